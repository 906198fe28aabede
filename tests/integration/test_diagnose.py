"""`nexus diagnose` (docs/observability.md, "Diagnose") on loopback: a live upstream and a closed
port, TLS upstreams made with the test PKI (a 2-day certificate: days left reported, and a
warning), a provider whose key the upstream rejects (--probe), and the exit statuses."""

import json
import os
import socket
import tempfile
import time
import unittest

from nexus_harness import (NexusTestCase, TestPKI, cluster, free_port, make_config, run_cli,
                           server_tls_context, to_yaml)

SECRET = "sk-diagnose-never-printed"


def reject_key(req, conn):
    conn.respond(401, b'{"error":{"message":"Incorrect API key"}}',
                 [("Content-Type", "application/json")], reason="Unauthorized")


class DiagnoseTest(NexusTestCase):
    @classmethod
    def setUpClass(cls):
        cls._tmp = tempfile.TemporaryDirectory(prefix="nexus-diagnose-pki-")
        cls.pki = TestPKI(cls._tmp.name)
        cls.other = TestPKI(cls._tmp.name, name="Other CA")
        cls.leaf = cls.pki.leaf("upstream.test", dns=["upstream.test"])

    @classmethod
    def tearDownClass(cls):
        cls._tmp.cleanup()

    def diagnose(self, config, *args):
        """Runs `nexus diagnose -c nexus.yaml ARGS` on `config` (a dict or YAML text)."""
        d = self.tmpdir()
        with open(os.path.join(d, "nexus.yaml"), "w") as f:
            f.write(config if isinstance(config, str) else to_yaml(config) + "\n")
        return run_cli(["diagnose", "-c", "nexus.yaml", *args], cwd=d, timeout=30)

    def report(self, result):
        """The JSON report's checks by (name, target), and the whole document."""
        document = json.loads(result.stdout)
        return {(c["name"], c["target"]): c for c in document["checks"]}, document

    def test_live_upstream_connects_and_closed_port_is_refused(self):
        up = self.upstream()
        closed = free_port()
        config = make_config(free_port(), {"live": cluster(up), "dead": cluster(f"127.0.0.1:{closed}")},
                             [{"match": {"prefix": "/"}, "cluster": "live"}])
        r = self.diagnose(config, "--format", "json")
        self.assertEqual(r.returncode, 1, r)  # a failed check
        checks, document = self.report(r)
        self.assertEqual(document["status"], "fail")
        live = checks[("tcp_connect", f"cluster live {up.address}")]
        self.assertEqual(live["status"], "ok", live)
        self.assertGreater(live["facts"]["connect_us"], 0)
        self.assertGreater(live["duration_ms"], 0)
        self.assertTrue(live["detail"].startswith(f"connected to {up.address} in "), live)
        dead = checks[("tcp_connect", f"cluster dead 127.0.0.1:{closed}")]
        self.assertEqual(dead["status"], "fail", dead)
        self.assertEqual(dead["detail"], f"127.0.0.1:{closed}: connection refused")
        self.assertEqual(checks[("dns", f"cluster live {up.address}")]["status"], "skip")
        self.assertEqual(checks[("config", "nexus.yaml")]["status"], "ok")
        self.assertIn(document["checks"][1]["name"], ("fd_limit",))
        self.assertEqual(up.count(), 0)  # a connect, no request

    def test_tls_upstream_reports_certificate_days_left(self):
        good = self.upstream(tls=server_tls_context(*self.leaf))
        wrong_ca = self.upstream(tls=server_tls_context(*self.leaf))
        config = make_config(free_port(), {
            "good": cluster(good, tls={"enabled": True, "sni": "upstream.test",
                                       "ca_file": self.pki.ca_cert}),
            "untrusted": cluster(wrong_ca, tls={"enabled": True, "sni": "upstream.test",
                                                "ca_file": self.other.ca_cert}),
        }, [{"match": {"prefix": "/"}, "cluster": "good"}])
        r = self.diagnose(config, "--format", "json")
        checks, _ = self.report(r)
        tls = checks[("tls", f"cluster good {good.address}")]
        # The test PKI's leaves live 2 days: under 14 days left is a warning.
        self.assertEqual(tls["status"], "warn", tls)
        self.assertIn(tls["facts"]["days_left"], (1, 2), tls)
        self.assertEqual(tls["facts"]["subject"], "upstream.test")
        self.assertEqual(tls["facts"]["issuer"], "Nexus Test CA")
        self.assertIn("verified", tls["detail"])
        self.assertIn("renew it", tls["detail"])
        untrusted = checks[("tls", f"cluster untrusted {wrong_ca.address}")]
        self.assertEqual(untrusted["status"], "fail", untrusted)
        self.assertTrue(untrusted["detail"].startswith("certificate rejected: "), untrusted)
        self.assertIn(untrusted["facts"]["days_left"], (1, 2), untrusted)
        self.assertEqual(r.returncode, 1, r)

    def test_probe_reports_a_rejected_key_without_printing_it(self):
        up = self.upstream(reject_key)
        config = f"""server: {{ listen: ["127.0.0.1:{free_port()}"] }}
routes: [{{ match: {{ prefix: /v1/ }}, llm: {{}} }}]
providers:
  local: {{ type: openai_compatible, base_url: "http://{up.address}/v1", api_key: {SECRET} }}
models:
  - {{ name: m, provider: local, model: my-model }}
"""
        without = self.diagnose(config, "--format", "json")
        checks, _ = self.report(without)
        probe = checks[("api_probe", f"provider local {up.address}")]
        self.assertEqual((probe["status"], probe["detail"]), ("skip", "not requested (--probe)"))
        self.assertEqual(up.count(), 0)

        r = self.diagnose(config, "--format", "json", "--probe")
        self.assertEqual(r.returncode, 1, r)
        checks, _ = self.report(r)
        probe = checks[("api_probe", f"provider local {up.address}")]
        self.assertEqual(probe["status"], "fail", probe)
        self.assertEqual(probe["detail"], "GET /v1/models: key rejected (status 401)")
        self.assertEqual(probe["facts"]["http_status"], 401)
        got = up.last()
        self.assertEqual((got.method, got.path), ("GET", "/v1/models"))
        self.assertEqual(got.header("authorization"), f"Bearer {SECRET}")
        self.assertNotIn(SECRET, r.stdout + r.stderr)
        for fmt in ("text", "markdown"):
            other = self.diagnose(config, "--format", fmt, "--probe")
            self.assertNotIn(SECRET, other.stdout + other.stderr)
            self.assertIn("key rejected (status 401)", other.stdout)

    def test_text_and_markdown_reports(self):
        closed = free_port()
        config = make_config(free_port(), {"dead": cluster(f"127.0.0.1:{closed}")},
                             [{"match": {"prefix": "/"}, "cluster": "dead"}])
        text = self.diagnose(config)
        self.assertEqual(text.returncode, 1, text)
        lines = text.stdout.splitlines()
        self.assertEqual(lines[0], "nexus diagnose nexus.yaml")
        self.assertTrue(lines[2].startswith("STATUS  CHECK"), lines)
        self.assertNotIn("\x1b[", text.stdout)  # not a terminal: no colours
        refused = [line for line in lines if "tcp_connect" in line]
        self.assertEqual(len(refused), 1, lines)
        self.assertTrue(refused[0].startswith("fail    tcp_connect  "), refused)
        self.assertIn("connection refused", refused[0])
        self.assertRegex(lines[-1], r"^\d+ checks: \d+ ok, \d+ warn, 1 fail, \d+ skipped$")
        markdown = self.diagnose(config, "--format", "markdown")
        self.assertIn("| **fail** | tcp_connect | cluster dead 127.0.0.1:%d |" % closed,
                      markdown.stdout)

    def test_silent_hosts_cost_one_timeout_not_one_each(self):
        # Listeners that never accept: the kernel completes the TCP handshake, nobody answers
        # the TLS ClientHello.
        silent = []
        for _ in range(4):
            s = socket.socket()
            self.addCleanup(s.close)
            s.bind(("127.0.0.1", 0))
            s.listen(16)
            silent.append(f"127.0.0.1:{s.getsockname()[1]}")
        config = make_config(free_port(), {"silent": cluster(*silent, tls={"enabled": True})},
                             [{"match": {"prefix": "/"}, "cluster": "silent"}])
        started = time.monotonic()
        r = self.diagnose(config, "--format", "json", "--timeout", "1s", "--parallel", "4")
        elapsed = time.monotonic() - started
        self.assertEqual(r.returncode, 1, r)
        checks, _ = self.report(r)
        for address in silent:
            tls = checks[("tls", f"cluster silent {address}")]
            self.assertEqual((tls["status"], tls["detail"]),
                             ("fail", "handshake failed: timed out after 1s"), tls)
            self.assertGreaterEqual(tls["duration_ms"], 900)
        # One after the other they would take 4 s at least; side by side about 1 s.
        self.assertLess(elapsed, 3.5)

    def test_usage_and_config_errors_exit_2(self):
        bad_format = self.diagnose(make_config(free_port()), "--format", "xml")
        self.assertEqual(bad_format.returncode, 2, bad_format)
        bad_timeout = self.diagnose(make_config(free_port()), "--timeout", "soon")
        self.assertEqual(bad_timeout.returncode, 2, bad_timeout)
        broken = self.diagnose("server: { listen: [\"127.0.0.1:1\"] }\nroutes: 5\n",
                               "--format", "json")
        self.assertEqual(broken.returncode, 2, broken)
        checks, _ = self.report(broken)
        config = checks[("config", "nexus.yaml")]
        self.assertEqual(config["status"], "fail")
        self.assertTrue(config["detail"].startswith("nexus.yaml:2: routes"), config)

    def test_a_clean_config_exits_0(self):
        up = self.upstream()
        config = make_config(free_port(), {"live": cluster(up)},
                             [{"match": {"prefix": "/"}, "cluster": "live"}])
        r = self.diagnose(config, "--format", "json", "--timeout", "2s")
        checks, document = self.report(r)
        failed = [c for c in document["checks"] if c["status"] == "fail"]
        self.assertEqual(failed, [])
        self.assertEqual(r.returncode, 0, r)
        self.assertEqual(checks[("listen_port", f"listener {config['server']['listen'][0]}")]
                         ["status"], "ok")


if __name__ == "__main__":
    unittest.main()
