"""The admin API over HTTP and the CLI that calls it: a real `nexus serve` with a governance
section (a SQLite store in a temporary directory, the admin API on its own loopback listener),
and the real `nexus keys ...` and `nexus usage` commands; JWT callers of an identity provider
whose tokens the test signs (Debian's python3-cryptography, scripts/setup.sh).
"""

import base64
import hashlib
import http.client
import json
import os
import signal
import socket
import tempfile
import time
import unittest

from harness.common import free_port, wait_until
from harness.process import Nexus
from nexus_harness import TestPKI, run_cli

ADMIN_KEY = "integration-admin-key"
ISSUER = "https://idp.test/"
AUDIENCE = "nexus-admin"


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class TestIdentityProvider:
    """An EC P-256 key, its JWK Set, and the ES256 tokens it signs."""

    def __init__(self, kid="idp-1"):
        from cryptography.hazmat.primitives.asymmetric import ec
        self.kid = kid
        self.key = ec.generate_private_key(ec.SECP256R1())

    def jwks(self):
        numbers = self.key.public_key().public_numbers()
        return {"keys": [{"kty": "EC", "crv": "P-256", "kid": self.kid, "alg": "ES256",
                          "x": b64url(numbers.x.to_bytes(32, "big")),
                          "y": b64url(numbers.y.to_bytes(32, "big"))}]}

    def token(self, lifetime=3600, **claims):
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
        now = int(time.time())
        payload = {"iss": ISSUER, "aud": AUDIENCE, "sub": "ops", "iat": now,
                   "exp": now + lifetime}
        payload.update(claims)
        header = {"alg": "ES256", "typ": "JWT", "kid": self.kid}
        signing_input = (b64url(json.dumps(header).encode()) + "."
                         + b64url(json.dumps(payload).encode()))
        r, s = decode_dss_signature(self.key.sign(signing_input.encode(),
                                                  ec.ECDSA(hashes.SHA256())))
        return signing_input + "." + b64url(r.to_bytes(32, "big") + s.to_bytes(32, "big"))


class AdminServer:
    """nexus serve with governance.admin on a free port (and TLS on it when `tls` is given; JWT
    callers of `idp`, through a jwks_file, when it is given)."""

    def __init__(self, tls=None, idp=None):
        self.dir = tempfile.TemporaryDirectory(prefix="nexus-admin-")
        pepper = os.path.join(self.dir.name, "pepper")
        with open(pepper, "w") as f:
            f.write("integration-pepper\n")
        self.port = free_port()
        listen = f"127.0.0.1:{self.port}"
        if tls:
            listen = {"address": listen, "tls": {"certificates": [{"cert": tls[0], "key": tls[1]}]}}
        data_port = free_port()
        config = {
            "server": {"listen": [f"127.0.0.1:{data_port}"], "workers": 1},
            "providers": {"echo": {"type": "echo"}},
            "models": [{"name": "echo", "provider": "echo"}],
            "routes": [{"match": {"prefix": "/v1/"}, "llm": {}}],
            "governance": {
                "store": "sqlite:" + os.path.join(self.dir.name, "nexus.db"),
                "pepper_file": pepper,
                "admin": {"listen": listen,
                          "key_sha256": hashlib.sha256(ADMIN_KEY.encode()).hexdigest()},
            },
        }
        if idp:
            jwks = os.path.join(self.dir.name, "idp-jwks.json")
            with open(jwks, "w") as f:
                json.dump(idp.jwks(), f)
            config["governance"]["admin"]["jwt"] = {"issuer": ISSUER, "audiences": [AUDIENCE],
                                                    "jwks_file": jwks}
        self.nexus = Nexus(config, ports=[data_port, self.port], workdir=self.dir.name)
        self.nexus.start()
        self.proc = self.nexus.proc
        self.url = f"{'https' if tls else 'http'}://127.0.0.1:{self.port}"

    def logs(self):
        return self.nexus.stderr()

    def stop(self):
        self.nexus.stop()
        self.dir.cleanup()


class AdminCalls:
    """Calls to self.server's admin API (a mixin of the test cases)."""

    def call(self, method, path, body=None, key=ADMIN_KEY, conn=None):
        own = conn is None
        conn = conn or http.client.HTTPConnection("127.0.0.1", self.server.port, timeout=10)
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        payload = json.dumps(body) if body is not None else None
        if payload is not None:
            headers["Content-Type"] = "application/json"
        conn.request(method, "/admin/v1" + path, body=payload, headers=headers)
        response = conn.getresponse()
        data = response.read()
        if own:
            conn.close()
        self.assertEqual(response.getheader("Content-Type"), "application/json")
        return response.status, json.loads(data) if data else None


class AdminApiTest(AdminCalls, unittest.TestCase):
    def setUp(self):
        self.server = AdminServer()
        self.addCleanup(self.server.stop)

    def cli(self, *args, key=ADMIN_KEY):
        env = dict(os.environ)
        env.pop("NEXUS_ADMIN_KEY", None)
        if key is not None:
            env["NEXUS_ADMIN_KEY"] = key
        return run_cli(list(args) + ["--admin-url", self.server.url], env=env)

    def test_serves_the_openapi_document_and_refuses_calls_without_a_key(self):
        status, document = self.call("GET", "/openapi.json", key=None)
        self.assertEqual(status, 200)
        self.assertEqual(document["openapi"], "3.1.0")
        self.assertIn("/keys/{id}/rotate", document["paths"])
        status, body = self.call("GET", "/keys", key=None)
        self.assertEqual(status, 401)
        self.assertEqual(body["error"]["type"], "authentication_error")
        status, body = self.call("GET", "/keys", key="wrong")
        self.assertEqual(status, 401)

    def test_a_members_key_sees_only_its_own_keys_and_is_refused_elsewhere(self):
        _, org = self.call("POST", "/orgs", {"name": "Acme"})
        _, team = self.call("POST", "/teams", {"name": "ml", "org_id": org["id"]})
        _, user = self.call("POST", "/users", {"name": "ada@example.com", "team_id": team["id"]})
        status, key = self.call("POST", "/keys", {"name": "ada", "user_id": user["id"]})
        self.assertEqual(status, 201)
        self.assertTrue(key["key"].startswith("nx-"))
        self.call("POST", "/keys", {"name": "service", "org_id": org["id"]})

        status, listed = self.call("GET", "/keys", key=key["key"])
        self.assertEqual(status, 200)
        self.assertEqual([k["id"] for k in listed["data"]], [key["id"]])
        self.assertNotIn(key["key"], json.dumps(listed))
        status, body = self.call("POST", "/teams", {"name": "x"}, key=key["key"])
        self.assertEqual(status, 403)
        self.assertEqual(body["error"]["type"], "permission_error")
        status, body = self.call("POST", "/users", {"name": "ada@example.com",
                                                    "org_id": org["id"]})
        self.assertEqual(status, 409)

    def test_keeps_connections_alive_and_bounds_bodies(self):
        conn = http.client.HTTPConnection("127.0.0.1", self.server.port, timeout=10)
        self.addCleanup(conn.close)
        for _ in range(3):
            status, _ = self.call("GET", "/orgs", conn=conn)
            self.assertEqual(status, 200)
        with socket.create_connection(("127.0.0.1", self.server.port), timeout=10) as raw:
            raw.sendall(b"POST /admin/v1/orgs HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
                        + ADMIN_KEY.encode() + b"\r\nContent-Length: 2000000\r\n\r\n")
            raw.sendall(b"{" * 65536)
            response = b""
            while chunk := raw.recv(65536):
                response += chunk
        self.assertTrue(response.startswith(b"HTTP/1.1 413"), response[:80])

    def test_the_cli_creates_lists_rotates_and_revokes_keys(self):
        _, org = self.call("POST", "/orgs", {"name": "Acme"})
        created = self.cli("keys", "create", "--name", "ci", "--org", org["id"], "--models",
                           "gpt-4o,claude", "--expires", "30d", "--budget", "10",
                           "--period", "monthly", "--json")
        self.assertEqual(created.returncode, 0, created.stderr)
        key = json.loads(created.stdout)
        self.assertTrue(key["key"].startswith("nx-"))
        self.assertEqual(key["allowed_models"], ["gpt-4o", "claude"])
        self.assertEqual(key["budget"], {"hard_usd": 10, "soft_usd": 0, "period": "monthly"})
        self.assertIsNotNone(key["expires_at"])

        table = self.cli("keys", "list")
        self.assertEqual(table.returncode, 0, table.stderr)
        header, row = table.stdout.splitlines()[:2]
        self.assertEqual(header.split(), ["ID", "PREFIX", "NAME", "STATUS", "USER", "TEAM",
                                          "EXPIRES"])
        self.assertEqual(row.split()[:4], [key["id"], key["prefix"], "ci", "active"])
        self.assertNotIn(key["key"], table.stdout)

        rotated = self.cli("keys", "rotate", key["id"], "--grace", "1h", "--json")
        self.assertEqual(rotated.returncode, 0, rotated.stderr)
        new_key = json.loads(rotated.stdout)
        self.assertEqual(new_key["id"], key["id"], "a rotation keeps the key's id")
        self.assertNotEqual(new_key["key"], key["key"])
        self.assertIsNotNone(new_key["previous_valid_until"])
        status, old = self.call("GET", "/keys/" + key["id"])
        self.assertEqual(old["status"], "rotating")
        self.assertEqual(old["prefix"], new_key["prefix"])

        # Without --json: the id and the new secret, once.
        printed = self.cli("keys", "rotate", key["id"], "--grace", "0")
        self.assertEqual(printed.returncode, 0, printed.stderr)
        self.assertIn("Rotated key " + key["id"] + ": a new secret; the old one no longer works",
                      printed.stdout)
        secret = next(w for w in printed.stdout.split() if w.startswith("nx-"))
        status, again_key = self.call("GET", "/keys/" + key["id"])
        self.assertEqual(again_key["prefix"], secret[:12])
        self.assertEqual(again_key["status"], "active", "a grace period of 0 ends at once")

        revoked = self.cli("keys", "revoke", key["id"])
        self.assertEqual(revoked.returncode, 0, revoked.stderr)
        self.assertIn("Revoked key " + key["id"], revoked.stdout)
        status, old = self.call("GET", "/keys/" + key["id"])
        self.assertEqual(old["status"], "revoked")

        again = self.cli("keys", "revoke", key["id"])
        self.assertEqual(again.returncode, 1)
        self.assertIn("already revoked (HTTP 409)", again.stderr)

        status, audit = self.call("GET", "/audit")
        self.assertEqual([e["action"] for e in audit["data"]],
                         ["org.create", "key.create", "key.rotate", "key.rotate",
                          "key.revoke"])

    def test_the_cli_reports_usage_and_needs_a_key(self):
        usage = self.cli("usage", "--group-by", "model", "--from", "2026-01-01", "--json")
        self.assertEqual(usage.returncode, 0, usage.stderr)
        self.assertEqual(json.loads(usage.stdout), {"data": []})
        table = self.cli("usage")
        self.assertEqual(table.returncode, 0, table.stderr)
        self.assertTrue(table.stdout.startswith("GROUP"))
        bad = self.cli("usage", "--group-by", "week")
        self.assertEqual(bad.returncode, 1)
        self.assertIn("nexus: group_by: expected key, user", bad.stderr)
        keyless = self.cli("keys", "list", key=None)
        self.assertEqual(keyless.returncode, 2)
        self.assertIn("NEXUS_ADMIN_KEY", keyless.stderr)

    def call_with_id(self, method, path, body=None, request_id=None):
        """(status, body, the reply's X-Request-Id), sending `request_id` when given."""
        conn = http.client.HTTPConnection("127.0.0.1", self.server.port, timeout=10)
        self.addCleanup(conn.close)
        headers = {"Authorization": f"Bearer {ADMIN_KEY}", "Content-Type": "application/json"}
        if request_id:
            headers["X-Request-Id"] = request_id
        conn.request(method, "/admin/v1" + path,
                     body=json.dumps(body) if body is not None else None, headers=headers)
        response = conn.getresponse()
        data = response.read()
        return response.status, json.loads(data) if data else None, response.getheader(
            "X-Request-Id")

    def audit_lines(self, count):
        def lines():
            out = []
            for line in self.server.logs().splitlines():
                try:
                    entry = json.loads(line)
                except ValueError:
                    continue
                if isinstance(entry, dict) and entry.get("log") == "audit":
                    out.append(entry)
            return out
        self.assertTrue(wait_until(lambda: len(lines()) >= count, 10.0), self.server.logs())
        return lines()

    def test_every_change_logs_an_audit_line_without_secrets(self):
        status, org, generated = self.call_with_id("POST", "/orgs", {"name": "Acme"})
        self.assertEqual(status, 201, org)
        self.assertTrue(generated)  # a new id when the client sent none
        status, key, echoed = self.call_with_id(
            "POST", "/keys", {"name": "ci", "org_id": org["id"]}, request_id="req-create-1")
        self.assertEqual((status, echoed), (201, "req-create-1"))
        status, _, _ = self.call_with_id("PATCH", "/keys/" + key["id"], {"name": "ci-2"},
                                         request_id="req-patch-1")
        self.assertEqual(status, 200)
        status, rotated, _ = self.call_with_id("POST", f"/keys/{key['id']}/rotate", {},
                                               request_id="req-rotate-1")
        self.assertEqual(status, 200, rotated)
        status, _, _ = self.call_with_id("GET", "/keys/" + key["id"], request_id="req-read")
        self.assertEqual(status, 200)  # a read: not audited
        status, _, _ = self.call_with_id("PATCH", "/keys/" + key["id"], {"name": 5},
                                         request_id="req-bad")
        self.assertEqual(status, 400)  # a refused change: not audited

        lines = self.audit_lines(4)
        self.assertEqual([(e["action"], e.get("request_id")) for e in lines],
                         [("org.create", generated), ("key.create", "req-create-1"),
                          ("key.update", "req-patch-1"), ("key.rotate", "req-rotate-1")], lines)
        for entry in lines:
            self.assertEqual(entry["actor"], "admin", entry)
            self.assertEqual(entry["level"], "info", entry)
        create_org, create_key, patch, rotate = lines
        self.assertEqual(create_org["target"], org["id"])
        self.assertIsNone(create_org["before"])
        self.assertEqual(create_org["after"]["name"], "Acme")
        self.assertIsNone(create_key["before"])
        self.assertEqual(create_key["after"]["id"], key["id"])
        self.assertEqual((patch["before"]["name"], patch["after"]["name"]), ("ci", "ci-2"))
        self.assertEqual(rotate["before"]["prefix"], key["prefix"])
        self.assertEqual(rotate["after"]["prefix"], rotated["prefix"])

        logs = self.server.logs()
        for secret in (key["key"], rotated["key"], ADMIN_KEY):
            self.assertNotIn(secret, logs)
        for entry in lines:
            for side in ("before", "after"):
                self.assertFalse({"key", "hash", "previous_hash"} & set(entry[side] or {}), entry)

    def test_stops_gracefully_on_sigterm(self):
        conn = http.client.HTTPConnection("127.0.0.1", self.server.port, timeout=10)
        self.call("GET", "/orgs", conn=conn)  # an idle kept-alive connection
        self.server.proc.send_signal(signal.SIGTERM)
        self.assertEqual(self.server.proc.wait(timeout=5), 0)
        self.assertIn("stopped", self.server.logs())
        conn.close()


class AdminApiJwtTest(AdminCalls, unittest.TestCase):
    """governance.admin.jwt with a jwks_file: tokens of the identity provider are callers."""

    def setUp(self):
        self.idp = TestIdentityProvider()
        self.server = AdminServer(idp=self.idp)
        self.addCleanup(self.server.stop)

    def test_an_admin_token_lists_organizations_and_a_viewer_token_cannot_post(self):
        status, org = self.call("POST", "/orgs", {"name": "Acme"})
        self.assertEqual(status, 201)
        admin = self.idp.token(nexus_role="admin")
        status, listed = self.call("GET", "/orgs", key=admin)
        self.assertEqual(status, 200, listed)
        self.assertEqual([o["id"] for o in listed["data"]], [org["id"]])
        status, _ = self.call("POST", "/teams", {"name": "ml", "org_id": org["id"]}, key=admin)
        self.assertEqual(status, 201)

        viewer = self.idp.token(nexus_role="viewer", nexus_org=org["id"], sub="vera")
        status, teams = self.call("GET", "/teams", key=viewer)
        self.assertEqual(status, 200, teams)
        self.assertEqual([t["name"] for t in teams["data"]], ["ml"])
        status, body = self.call("POST", "/teams", {"name": "x"}, key=viewer)
        self.assertEqual(status, 403)
        self.assertEqual(body["error"]["type"], "permission_error")

        status, audit = self.call("GET", "/audit")
        self.assertEqual([(e["action"], e["actor"]) for e in audit["data"]],
                         [("org.create", "admin"), ("team.create", "jwt:" + ISSUER + "#ops")])

    def test_a_token_that_does_not_verify_is_refused_with_the_reason(self):
        expired = self.idp.token(lifetime=-600, nexus_role="admin")
        status, body = self.call("GET", "/orgs", key=expired)
        self.assertEqual(status, 401)
        self.assertEqual(body["error"]["message"], "invalid token: token expired")
        elsewhere = self.idp.token(aud="other", nexus_role="admin")
        status, body = self.call("GET", "/orgs", key=elsewhere)
        self.assertEqual(status, 401)
        self.assertEqual(body["error"]["message"], "invalid token: audience not accepted")
        other = TestIdentityProvider(kid=self.idp.kid)  # the right kid, the wrong key
        status, body = self.call("GET", "/orgs", key=other.token(nexus_role="admin"))
        self.assertEqual(status, 401)
        self.assertEqual(body["error"]["message"], "invalid token: invalid signature")
        status, body = self.call("GET", "/orgs", key=self.idp.token())  # no role claim
        self.assertEqual(status, 403)


class AdminApiTlsTest(unittest.TestCase):
    def test_serves_over_tls_and_the_cli_verifies_the_certificate(self):
        pki_dir = tempfile.TemporaryDirectory(prefix="nexus-admin-pki-")
        self.addCleanup(pki_dir.cleanup)
        pki = TestPKI(pki_dir.name)
        server = AdminServer(tls=pki.leaf("admin.test", dns=["localhost"], ips=["127.0.0.1"]))
        self.addCleanup(server.stop)

        conn = http.client.HTTPSConnection("127.0.0.1", server.port, timeout=10,
                                           context=pki.client_context())
        conn.request("GET", "/admin/v1/orgs", headers={"Authorization": f"Bearer {ADMIN_KEY}"})
        self.assertEqual(conn.getresponse().status, 200)
        conn.close()

        env = dict(os.environ, NEXUS_ADMIN_KEY=ADMIN_KEY, SSL_CERT_FILE=pki.ca_cert)
        trusted = run_cli(["keys", "list", "--admin-url", server.url], env=env)
        self.assertEqual(trusted.returncode, 0, trusted.stderr)
        self.assertTrue(trusted.stdout.startswith("ID"))
        env.pop("SSL_CERT_FILE")
        env["SSL_CERT_DIR"] = pki_dir.name + "/none"  # no CA trusts the test's certificate
        env["SSL_CERT_FILE"] = os.devnull
        untrusted = run_cli(["keys", "list", "--admin-url", server.url], env=env)
        self.assertEqual(untrusted.returncode, 1)
        self.assertIn("TLS", untrusted.stderr)


if __name__ == "__main__":
    unittest.main()
