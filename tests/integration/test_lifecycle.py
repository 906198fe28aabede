"""Lifecycle and CLI: graceful shutdown (SIGTERM/SIGINT with a request or stream in flight, the
drain deadline, idle connections), `nexus validate` (exit codes, FILE:LINE: KEY: messages),
`nexus version`, `--help`, `--log-level`, and the JSON access log."""

import os
import re
import signal
import threading
import time
import unittest

from nexus_harness import (ClientConn, Nexus, NexusTestCase, cluster, free_port, gated,
                           make_config, never_respond, port_accepts, request, run_cli, sse,
                           wait_until)


class GracefulShutdownTest(NexusTestCase):
    def start(self, handler, drain="10s"):
        self.up = self.upstream(handler, name="up")
        self.nx = self.nexus(make_config(free_port(), {"up": cluster(self.up)},
                                         [{"match": {"prefix": "/"}, "cluster": "up"}],
                                         timeouts={"drain": drain}))

    def test_sigterm_finishes_in_flight_request_then_exits_0(self):
        gate = threading.Event()
        self.addCleanup(gate.set)
        self.start(gated(gate, timeout=15.0))
        c = ClientConn(self.nx.port, timeout=10.0)
        self.addCleanup(c.close)
        c.send_request("POST", "/v1/chat/completions", body=b"{}")
        self.assertTrue(self.up.wait_requests(1, 5.0))
        self.nx.send_signal(signal.SIGTERM)
        self.assertTrue(wait_until(lambda: not port_accepts(self.nx.port), 5.0),
                        "nexus still accepts connections after SIGTERM")
        self.assertIsNone(self.nx.proc.poll(), "nexus exited with a request in flight")
        gate.set()
        r = c.read_response()
        self.assertEqual((r.status, r.body), (200, b"ok"), r)
        self.assertEqual(self.nx.wait_exit(5.0), 0)

    def test_sigint_finishes_stream_in_flight(self):
        events = [b"data: 1\n\n", b"data: 2\n\n", b"data: [DONE]\n\n"]
        gates = {1: threading.Event(), 2: threading.Event()}
        self.addCleanup(lambda: [g.set() for g in gates.values()])
        self.start(sse(events, gates))
        c = ClientConn(self.nx.port, timeout=10.0)
        self.addCleanup(c.close)
        c.send_request("GET", "/stream")
        self.assertEqual(c.responses.read_head().status, 200)
        first = c.responses.read_piece()
        self.assertTrue(events[0].startswith(first), first)
        self.nx.send_signal(signal.SIGINT)
        self.assertTrue(wait_until(lambda: not port_accepts(self.nx.port), 5.0))
        gates[1].set()
        gates[2].set()
        rest = first + c.responses.read_body()
        self.assertEqual(rest, b"".join(events))
        self.assertEqual(self.nx.wait_exit(5.0), 0)

    def test_drain_deadline_bounds_shutdown(self):
        self.start(never_respond(timeout=20.0), drain="1s")
        c = ClientConn(self.nx.port, timeout=10.0)
        self.addCleanup(c.close)
        c.send_request("GET", "/forever")
        self.assertTrue(self.up.wait_requests(1, 5.0))
        t0 = time.monotonic()
        self.nx.send_signal(signal.SIGTERM)
        code = self.nx.wait_exit(6.0)
        elapsed = time.monotonic() - t0
        self.assertEqual(code, 0, f"exit code {code} after {elapsed:.1f}s")
        self.assertGreater(elapsed, 0.8, "nexus did not wait for the in-flight request")
        self.assertTrue(c.wait_closed(2.0))

    def test_idle_connections_do_not_hold_shutdown(self):
        self.start(None, drain="20s")
        c = ClientConn(self.nx.port, timeout=10.0)
        self.addCleanup(c.close)
        self.assertEqual(c.request("GET", "/").status, 200)  # keep-alive, now idle
        t0 = time.monotonic()
        self.nx.send_signal(signal.SIGTERM)
        self.assertEqual(self.nx.wait_exit(5.0), 0)
        self.assertLess(time.monotonic() - t0, 5.0)
        self.assertTrue(c.wait_closed(2.0))


GOOD = """\
# a comment
server:
  listen:
    - "127.0.0.1:{port}"
  workers: 1
clusters:
  backend:
    endpoints:
      - "127.0.0.1:9"
    lb: {lb}
routes:
  - match: {{ prefix: / }}
    cluster: backend
  - match: {{ path: /healthz }}
    direct_response: {{ status: 200, body: ok, content_type: text/plain }}
"""


class ValidateCliTest(NexusTestCase):
    def validate(self, text, env=None):
        d = self.tmpdir()
        with open(os.path.join(d, "nexus.yaml"), "w") as f:
            f.write(text)
        return run_cli(["validate", "--config", "nexus.yaml"], cwd=d,
                       env=dict(os.environ, **(env or {})))

    def test_valid_file(self):
        r = self.validate(GOOD.format(port=18080, lb="round_robin"))
        self.assertEqual(r.returncode, 0, r.stderr)
        lines = [l for l in r.stdout.splitlines() if l.strip()]
        self.assertEqual(len(lines), 1, r.stdout)

    def check_error(self, text, key_re, marker, env=None):
        r = self.validate(text, env)
        self.assertEqual(r.returncode, 1, f"stdout={r.stdout!r} stderr={r.stderr!r}")
        m = re.search(r"nexus\.yaml:(\d+): (" + key_re + r"): \S", r.stderr)
        self.assertIsNotNone(m, f"no 'nexus.yaml:LINE: {key_re}: message' in {r.stderr!r}")
        if marker is not None:
            want = next(i for i, l in enumerate(text.splitlines(), 1) if marker in l)
            self.assertEqual(int(m.group(1)), want, r.stderr)
        return r.stderr

    def test_unknown_enum_value(self):
        err = self.check_error(GOOD.format(port=18080, lb="fastest"), r"clusters\.backend\.lb",
                               "lb: fastest")
        self.assertIn("fastest", err)

    def test_unknown_key(self):
        text = GOOD.format(port=18080, lb="round_robin").replace(
            "  workers: 1\n", "  workers: 1\n  wrokers: 2\n")
        # "server.wrokers: unknown key" or "server: unknown key 'wrokers'"; both name the key
        err = self.check_error(text, r"server(\.wrokers)?", "wrokers")
        self.assertIn("wrokers", err)

    def test_route_to_missing_cluster(self):
        text = GOOD.format(port=18080, lb="round_robin").replace("cluster: backend",
                                                                 "cluster: nowhere")
        err = self.check_error(text, r"routes(\[0\]|\.0)\.cluster", "cluster: nowhere")
        self.assertIn("nowhere", err)

    def test_bad_duration_and_size(self):
        base = GOOD.format(port=18080, lb="round_robin")
        self.check_error(base.replace("  workers: 1\n", "  workers: 1\n  timeouts:\n"
                                      "    header: 10 parsecs\n"),
                         r"server\.timeouts\.header", "parsecs")
        self.check_error(base.replace("  workers: 1\n", "  workers: 1\n  limits:\n"
                                      "    max_body_bytes: 12XB\n"),
                         r"server\.limits\.max_body_bytes", "12XB")

    def test_missing_listen(self):
        text = GOOD.format(port=18080, lb="round_robin").replace(
            '  listen:\n    - "127.0.0.1:18080"\n', "")
        self.check_error(text, r"server(\.listen)?", None)

    def test_environment_interpolation(self):
        text = GOOD.format(port="${NEXUS_IT_PORT}", lb="${NEXUS_IT_UNSET_LB:-least_request}")
        r = self.validate(text, {"NEXUS_IT_PORT": "18081"})
        self.assertEqual(r.returncode, 0, r.stderr)
        env = {k: v for k, v in os.environ.items() if k != "NEXUS_IT_PORT"}
        d = self.tmpdir()
        with open(os.path.join(d, "nexus.yaml"), "w") as f:
            f.write(text)
        r = run_cli(["validate", "--config", "nexus.yaml"], cwd=d, env=env)
        self.assertEqual(r.returncode, 1, r.stdout)
        self.assertRegex(r.stderr, r"nexus\.yaml:4: server\.listen")

    def test_serve_refuses_bad_config(self):
        d = self.tmpdir()
        with open(os.path.join(d, "nexus.yaml"), "w") as f:
            f.write(GOOD.format(port=free_port(), lb="fastest"))
        r = run_cli(["serve", "--config", "nexus.yaml"], cwd=d)
        self.assertNotEqual(r.returncode, 0)
        self.assertRegex(r.stderr, r"nexus\.yaml:\d+: clusters\.backend\.lb: ")

    def test_version_and_help(self):
        r = run_cli(["version"])
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertRegex(r.stdout + r.stderr, r"\d+\.\d+\.\d+")
        r = run_cli(["--help"])
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("serve", r.stdout)
        self.assertIn("validate", r.stdout)


class LoggingTest(NexusTestCase):
    def config(self, port, level="info", access_log=None, dead=None):
        self.up = self.upstream(name="up")
        clusters = {"up": cluster(self.up), "dead": cluster(f"127.0.0.1:{dead or free_port()}")}
        routes = [{"match": {"path": "/healthz"}, "direct_response": {"status": 200, "body": "ok"}},
                  {"match": {"prefix": "/dead"}, "cluster": "dead"},
                  {"match": {"prefix": "/up"}, "cluster": "up"}]
        return make_config(port, clusters, routes, logging={
            "level": level, "access_log": access_log or {"enabled": True, "path": "stdout"}})

    def test_log_level_flag_overrides_config(self):
        port = free_port()
        nx = self.nexus(self.config(port, level="error"), args=["--log-level", "info"])
        # The log is written by a background thread: wait for the line rather than race it.
        self.assertTrue(wait_until(lambda: f"listening on 127.0.0.1:{port}" in nx.stderr(), 5.0),
                        nx.stderr())
        port = free_port()
        nx = self.nexus(self.config(port, level="info"), args=["--log-level", "error"])
        self.assertEqual(request(port, "GET", "/up").status, 200)
        self.assertNotIn("listening on", nx.stderr())

    def test_invalid_log_level_is_rejected(self):
        nx = Nexus(self.config(free_port()), args=["--log-level", "chatty"])
        self.addCleanup(nx.cleanup)
        nx.start(wait=False)
        self.assertNotIn(nx.wait_exit(10.0), (0, None))

    def test_access_log_json_lines(self):
        nx = self.nexus(self.config(free_port()))
        self.assertEqual(request(nx.port, "POST", "/up/a?x=1", body=b"hello").status, 200)
        self.assertEqual(request(nx.port, "GET", "/healthz").status, 200)
        self.assertEqual(request(nx.port, "GET", "/dead").status, 502)
        self.assertEqual(request(nx.port, "GET", "/nope").status, 404)
        self.assertEqual(nx.stop(), 0)  # graceful stop flushes the log
        entries = nx.access_log()
        self.assertEqual(len(entries), 4, nx.stdout())
        fields = {"time", "method", "path", "status", "bytes_received", "bytes_sent",
                  "duration_ms", "upstream", "upstream_duration_ms", "client", "error"}
        for e in entries:
            self.assertLessEqual(fields, set(e), e)
            self.assertEqual(e["client"], "127.0.0.1")
            self.assertIsInstance(e["duration_ms"], (int, float))
            self.assertGreater(e["bytes_sent"], 0)
        by_status = {e["status"]: e for e in entries}
        self.assertEqual(set(by_status), {200, 502, 404}, entries)
        proxied = [e for e in entries if e["status"] == 200 and e["method"] == "POST"][0]
        self.assertTrue(proxied["path"].startswith("/up/a"), proxied)
        self.assertEqual(proxied["upstream"], self.up.address)
        self.assertGreaterEqual(proxied["bytes_received"], 5)
        self.assertEqual(proxied["error"], "")
        direct = [e for e in entries if e["path"] == "/healthz"][0]
        self.assertEqual((direct["upstream"], direct["error"]), ("", ""))
        self.assertNotEqual(by_status[502]["error"], "")
        self.assertNotEqual(by_status[404]["error"], "")

    def test_access_log_to_file_or_disabled(self):
        path = os.path.join(self.tmpdir(), "access.log")
        nx = self.nexus(self.config(free_port(), access_log={"enabled": True, "path": path}))
        self.assertEqual(request(nx.port, "GET", "/up/f").status, 200)
        self.assertEqual(nx.stop(), 0)
        with open(path) as f:
            lines = [l for l in f.read().splitlines() if l.strip()]
        self.assertEqual(len(lines), 1, lines)
        self.assertIn('"status":200', lines[0].replace(" ", ""))
        self.assertEqual(nx.access_log(), [])

        nx = self.nexus(self.config(free_port(), access_log={"enabled": False, "path": "stdout"}))
        self.assertEqual(request(nx.port, "GET", "/up/g").status, 200)
        self.assertEqual(nx.stop(), 0)
        self.assertEqual(nx.access_log(), [])


if __name__ == "__main__":
    unittest.main()
