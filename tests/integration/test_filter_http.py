"""The request_id, cors, headers and ip_filter filters end to end: a real nexus on loopback in
front of the recording test upstream, observed from the client (status, headers, body) and from
what the upstream received, over HTTP/1.1 and (one test per filter) HTTP/2 with prior knowledge.
Config errors of these filters are checked through `nexus validate` (FILE:LINE: KEY: message)."""

import json
import os
import re
import socket
import threading
import time
import unittest

from nexus_harness import (ClientConn, NexusTestCase, build_request, cluster, free_port,
                           make_config, ok, request, run_cli, wait_until)
from harness.h2clients import NodeClient, run_curl, run_nghttp

UUID_V7 = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
PREFLIGHT_VARY = "Origin, Access-Control-Request-Method, Access-Control-Request-Headers"
FORBIDDEN_BODY = {"error": {"message": "access from this address is not allowed",
                            "type": "permission_error", "code": "forbidden"}}


def no_access_log():
    return {"level": "info", "access_log": {"enabled": False}}


def h2c(cfg):
    """Turns the config's (single) listener into an HTTP/2 prior-knowledge (h2c) listener."""
    cfg["server"]["listen"] = [{"address": cfg["server"]["listen"][0], "http2": True}]
    return cfg


def ipv6_loopback_port():
    """A free port on ::1, or None when this machine has no IPv6 loopback."""
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as s:
            s.bind(("::1", 0))
            return s.getsockname()[1]
    except OSError:
        return None


def uuid_v7_millis(value):
    """The 48-bit Unix milliseconds at the front of a UUIDv7."""
    return int(value.replace("-", "")[:12], 16)


class FilterTestCase(NexusTestCase):
    def assertForbidden(self, resp):
        """The ip_filter / cors refusal: 403 with the OpenAI-shaped permission_error body."""
        self.assertEqual(resp.status, 403, resp)
        self.assertIn("application/json", resp.header("content-type") or "", resp)
        body = resp.json()
        self.assertEqual(body["error"]["type"], "permission_error", body)
        self.assertEqual(body["error"]["code"], "forbidden", body)
        self.assertIsInstance(body["error"]["message"], str, body)
        return body

    def assertUuidV7(self, value, msg=None):
        self.assertIsNotNone(value, msg)
        self.assertRegex(value, UUID_V7, msg)
        # The timestamp is the wall clock of when it was made (generous bound: same machine).
        self.assertLess(abs(uuid_v7_millis(value) / 1000.0 - time.time()), 60.0, value)


# ============================================================================================
# request_id
# ============================================================================================

class RequestIdTest(FilterTestCase):
    def setUp(self):
        # The upstream answers with an id of its own: the filter's id must replace it.
        self.up = self.upstream(ok(headers=[("X-Request-Id", "from-upstream")]), name="up")
        self.log_path = os.path.join(self.tmpdir(), "access.log")
        cfg = make_config(free_port(), {"up": cluster(self.up)}, [
            {"match": {"prefix": "/api"}, "cluster": "up"},
            {"match": {"prefix": "/denied"}, "cluster": "up",
             "filters": [{"ip_filter": {"deny": ["127.0.0.1"]}}]},
            {"match": {"prefix": "/trace"}, "cluster": "up",
             # Same name as the global entry: replaces it on this route only.
             "filters": [{"request_id": {"header": "X-Trace", "trust_incoming": False}}]},
            {"match": {"prefix": "/silent"}, "cluster": "up",
             "filters": [{"request_id": {"response": False}}]},
        ], logging=no_access_log(), workers=1)
        cfg["filters"] = [
            {"access_log": {"path": self.log_path, "fields": ["request_id", "status", "path"]}},
            {"request_id": {}},
        ]
        self.nx = self.nexus(cfg)

    def test_generated_id_is_uuid_v7_on_response_and_upstream(self):
        r = request(self.nx.port, "GET", "/api/one")
        self.assertEqual(r.status, 200, r)
        rid = r.header("x-request-id")
        self.assertUuidV7(rid, r)
        self.assertEqual(r.headers_named("x-request-id"), [rid], "upstream's own id not replaced")
        self.assertTrue(self.up.wait_requests(1))
        self.assertEqual(self.up.last().headers_named("x-request-id"), [rid])
        # Ids of one worker sort in creation order and differ.
        ids = [rid]
        for i in range(5):
            r = request(self.nx.port, "GET", f"/api/{i}")
            self.assertEqual(r.status, 200, r)
            self.assertUuidV7(r.header("x-request-id"))
            ids.append(r.header("x-request-id"))
        self.assertEqual(len(set(ids)), len(ids), ids)
        self.assertEqual(sorted(ids), ids)

    def test_ids_are_unique_across_workers_and_connections(self):
        cfg = make_config(free_port(), {"up": cluster(self.up)}, [
            {"match": {"prefix": "/"}, "cluster": "up"}], logging=no_access_log(), workers=4)
        cfg["filters"] = [{"request_id": {}}]
        nx = self.nexus(cfg)
        results, errors = [], []
        lock = threading.Lock()

        def client():
            try:
                c = ClientConn(nx.port)
                try:
                    for _ in range(25):
                        r = c.request("GET", "/u")
                        with lock:
                            results.append((r.status, r.header("x-request-id")))
                finally:
                    c.close()
            except Exception as e:  # reported below
                with lock:
                    errors.append(repr(e))
        threads = [threading.Thread(target=client) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        self.assertFalse(any(t.is_alive() for t in threads), "clients did not finish")
        self.assertEqual(errors, [])
        self.assertEqual(len(results), 200)
        self.assertEqual({s for s, _ in results}, {200})
        ids = [i for _, i in results]
        for i in ids:
            self.assertRegex(i, UUID_V7)
        self.assertEqual(len(set(ids)), 200, "duplicate request ids")
        with self.up.lock:
            upstream_ids = {r.header("x-request-id") for r in self.up.requests}
        self.assertEqual(upstream_ids, set(ids))

    def test_sane_incoming_id_is_kept(self):
        for rid in ("abc-123", "Req_42.x~!#$&'*+^`|", "x" * 128):
            with self.subTest(rid=rid):
                self.up.clear()
                r = request(self.nx.port, "GET", "/api/k", {"X-Request-Id": rid})
                self.assertEqual(r.status, 200, r)
                self.assertEqual(r.headers_named("x-request-id"), [rid])
                self.assertEqual(self.up.last().headers_named("x-request-id"), [rid])

    def test_duplicate_fields_become_one(self):
        r = request(self.nx.port, "GET", "/api/dup",
                    [("X-Request-Id", "first-id"), ("X-Request-Id", "second-id")])
        self.assertEqual(r.status, 200, r)
        # The first field is the one considered; every field is replaced by one.
        self.assertEqual(self.up.last().headers_named("x-request-id"), ["first-id"])
        self.assertEqual(r.headers_named("x-request-id"), ["first-id"])

    def test_insane_incoming_id_is_replaced(self):
        bad = {"space": "has space", "too long": "y" * 129, "utf8": "caf\u00e9",
               "empty": "", "tab inside": "a\tb"}
        for why, rid in bad.items():
            with self.subTest(why=why):
                self.up.clear()
                r = request(self.nx.port, "GET", "/api/b", {"X-Request-Id": rid})
                self.assertEqual(r.status, 200, r)
                got = r.header("x-request-id")
                self.assertUuidV7(got, why)
                self.assertEqual(self.up.last().headers_named("x-request-id"), [got])

    def test_local_replies_carry_the_id(self):
        # No route: the global chain answers 404 and still gets an id.
        r = request(self.nx.port, "GET", "/nowhere")
        self.assertEqual(r.status, 404, r)
        self.assertUuidV7(r.header("x-request-id"), r)
        r = request(self.nx.port, "GET", "/nowhere", {"X-Request-Id": "client-404"})
        self.assertEqual((r.status, r.header("x-request-id")), (404, "client-404"), r)
        # A later filter (ip_filter on the route) refuses: the 403 has the id.
        r = request(self.nx.port, "GET", "/denied")
        self.assertForbidden(r)
        self.assertUuidV7(r.header("x-request-id"), r)
        r = request(self.nx.port, "GET", "/denied", {"X-Request-Id": "client-403"})
        self.assertEqual((r.status, r.header("x-request-id")), (403, "client-403"), r)
        self.assertEqual(self.up.count(), 0)

    def test_access_log_has_the_id(self):
        ids = []
        for path in ("/api/log", "/nowhere", "/denied"):
            r = request(self.nx.port, "GET", path)
            ids.append((r.header("x-request-id"), r.status, path))
        r = request(self.nx.port, "GET", "/api/kept", {"X-Request-Id": "kept-id-1"})
        ids.append(("kept-id-1", r.status, "/api/kept"))
        entries = self.wait_json_lines(self.log_path, 4)
        # Each exchange logs once, when it ends (compared by path, not by order).
        self.assertEqual(sorted((e["request_id"], e["status"], e["path"]) for e in entries),
                         sorted(ids))
        self.assertEqual([s for _, s, _ in ids], [200, 404, 403, 200])
        for rid, _, _ in ids[:3]:
            self.assertUuidV7(rid)

    def test_custom_header_and_untrusted_incoming(self):
        r = request(self.nx.port, "GET", "/trace", {"X-Trace": "client-trace"})
        self.assertEqual(r.status, 200, r)
        got = r.header("x-trace")
        self.assertUuidV7(got, r)  # trust_incoming: false replaces even a sane id
        up = self.up.last()
        self.assertEqual(up.headers_named("x-trace"), [got])
        # The route's entry replaced the global one: no x-request-id is made there, the
        # upstream's own passes untouched.
        self.assertIsNone(up.header("x-request-id"))
        self.assertEqual(r.headers_named("x-request-id"), ["from-upstream"])

    def test_response_false_keeps_the_id_off_the_response(self):
        r = request(self.nx.port, "GET", "/silent")
        self.assertEqual(r.status, 200, r)
        # The upstream still gets a generated id ...
        self.assertUuidV7(self.up.last().header("x-request-id"))
        self.assertEqual(len(self.up.last().headers_named("x-request-id")), 1)
        # ... the client does not: the upstream's header is passed through untouched.
        self.assertEqual(r.headers_named("x-request-id"), ["from-upstream"])

    def test_request_id_over_http2(self):
        cfg = make_config(free_port(), {"up": cluster(self.up)}, [
            {"match": {"prefix": "/api"}, "cluster": "up"}], logging=no_access_log())
        cfg["filters"] = [{"request_id": {}}]
        nx = self.nexus(h2c(cfg))
        url = f"http://127.0.0.1:{nx.port}"
        r = run_curl(url + "/api/h2", "h2", workdir=self.tmpdir())
        self.assertEqual((r.status, r.http_version), (200, "2"), r)
        rid = r.header("x-request-id")
        self.assertUuidV7(rid, r)
        self.assertEqual(r.headers_named("x-request-id"), [rid])
        self.assertEqual(self.up.last().headers_named("x-request-id"), [rid])
        r = run_curl(url + "/api/h2", "h2", headers=[("X-Request-Id", "h2-client-id")],
                     workdir=self.tmpdir())
        self.assertEqual(r.headers_named("x-request-id"), ["h2-client-id"], r)
        self.assertEqual(self.up.last().headers_named("x-request-id"), ["h2-client-id"])
        r = run_curl(url + "/api/h2", "h2", headers=[("X-Request-Id", "bad id")],
                     workdir=self.tmpdir())
        self.assertUuidV7(r.header("x-request-id"), r)
        r = run_nghttp(url + "/nowhere")
        self.assertEqual(r.status, 404, r)
        self.assertUuidV7(r.header("x-request-id"), r)


# ============================================================================================
# cors
# ============================================================================================

APP = "https://app.example.com"


class CorsTest(FilterTestCase):
    def setUp(self):
        # The upstream sends CORS headers of its own and a Vary: the filter owns the former and
        # merges Origin into the latter.
        self.up = self.upstream(ok(headers=[("Access-Control-Allow-Origin", "*"),
                                            ("Access-Control-Allow-Credentials", "true"),
                                            ("Access-Control-Expose-Headers", "x-secret"),
                                            ("Vary", "Accept-Encoding")]), name="up")
        self.cors = {"allow_origins": [APP, "https://*.example.org"],
                     "allow_methods": ["GET", "POST"],
                     "allow_headers": ["content-type", "X-Api-Key"],
                     "expose_headers": ["x-request-id"],
                     "max_age": "10m"}
        cfg = make_config(free_port(), {"up": cluster(self.up)}, [
            {"match": {"prefix": "/fault"}, "cluster": "up",
             "filters": [{"fault": {"abort": {"status": 503}}}]},
            {"match": {"prefix": "/denied"}, "cluster": "up",
             "filters": [{"ip_filter": {"deny": ["127.0.0.0/8"]}}]},
            {"match": {"prefix": "/api"}, "cluster": "up"},
        ], logging=no_access_log())
        cfg["filters"] = [{"cors": self.cors}]
        self.nx = self.nexus(cfg)

    def preflight(self, origin, method="POST", req_headers=None, path="/api/x", port=None):
        hdrs = [("Origin", origin), ("Access-Control-Request-Method", method)]
        if req_headers is not None:
            hdrs.append(("Access-Control-Request-Headers", req_headers))
        return request(port or self.nx.port, "OPTIONS", path, hdrs)

    def assertNoCors(self, r):
        for name in ("access-control-allow-origin", "access-control-allow-credentials",
                     "access-control-expose-headers", "access-control-allow-methods",
                     "access-control-allow-headers", "access-control-max-age"):
            self.assertEqual(r.headers_named(name), [], f"{name} in {r}")

    def test_preflight_is_answered_locally(self):
        r = self.preflight(APP, "POST", "Content-Type, x-api-key")
        self.assertEqual(r.status, 204, r)
        self.assertEqual(r.body, b"")
        self.assertEqual(r.headers_named("access-control-allow-origin"), [APP])
        self.assertEqual(r.header("access-control-allow-methods"), "GET, POST")
        self.assertEqual(r.header("access-control-allow-headers"), "content-type, x-api-key")
        self.assertEqual(r.header("access-control-max-age"), "600")
        self.assertEqual(r.headers_named("vary"), [PREFLIGHT_VARY])
        self.assertIsNone(r.header("access-control-allow-credentials"))
        # Without requested headers there is no Allow-Headers.
        r = self.preflight(APP, "GET")
        self.assertEqual(r.status, 204, r)
        self.assertIsNone(r.header("access-control-allow-headers"), r)
        self.assertEqual(self.up.count(), 0, "a preflight reached the upstream")

    def test_preflight_204_has_no_content_length(self):
        # RFC 9110 8.6: a server MUST NOT send Content-Length in a 204 response (the local
        # reply writers used to add "Content-Length: 0").
        r = self.preflight(APP, "GET")
        self.assertEqual(r.status, 204, r)
        self.assertIsNone(r.header("content-length"), r)

    def test_preflight_refusals(self):
        cases = [("origin", "https://evil.example.net", "GET", None, "origin"),
                 ("method", APP, "PUT", None, "method"),
                 ("method case", APP, "post", None, "method"),
                 ("header", APP, "POST", "content-type, x-other", "x-other")]
        for why, origin, method, req_headers, needle in cases:
            with self.subTest(why=why):
                r = self.preflight(origin, method, req_headers)
                body = self.assertForbidden(r)
                self.assertIn(needle, body["error"]["message"])
                self.assertNoCors(r)
        self.assertEqual(self.up.count(), 0)

    def test_actual_request_from_allowed_origin(self):
        r = request(self.nx.port, "GET", "/api/a", {"Origin": APP})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.headers_named("access-control-allow-origin"), [APP])
        self.assertEqual(r.headers_named("access-control-expose-headers"), ["x-request-id"])
        # No credentials in the policy: the upstream's Allow-Credentials is removed.
        self.assertEqual(r.headers_named("access-control-allow-credentials"), [])
        self.assertEqual(r.headers_named("vary"), ["Accept-Encoding, Origin"])
        # Sent upstream as it came (the filter does not strip Origin).
        self.assertEqual(self.up.last().header("origin"), APP)

    def test_actual_request_from_disallowed_or_no_origin_gets_no_cors_headers(self):
        for origin in ("https://evil.example.net", None):
            with self.subTest(origin=origin):
                r = request(self.nx.port, "GET", "/api/a", {"Origin": origin} if origin else {})
                self.assertEqual(r.status, 200, r)  # CORS is for browsers: not refused here
                self.assertNoCors(r)  # the upstream's own are removed
                self.assertEqual(r.headers_named("vary"), ["Accept-Encoding, Origin"])
        self.assertEqual(self.up.count(), 2)

    def test_options_without_request_method_is_not_a_preflight(self):
        r = request(self.nx.port, "OPTIONS", "/api/o", {"Origin": APP})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(self.up.count(), 1)
        self.assertEqual(self.up.last().method, "OPTIONS")
        self.assertEqual(r.header("access-control-allow-origin"), APP)

    def test_wildcard_subdomain(self):
        allowed = ["https://a.example.org", "https://a.b.example.org", "HTTPS://A.Example.ORG"]
        refused = ["https://example.org", "http://a.example.org", "https://a.example.org:8443",
                   "https://evilexample.org", "https://.example.org", "https://a..example.org"]
        for origin in allowed:
            with self.subTest(origin=origin):
                self.assertEqual(self.preflight(origin, "GET").status, 204)
                r = request(self.nx.port, "GET", "/api/w", {"Origin": origin})
                self.assertEqual(r.header("access-control-allow-origin"), origin, r)
        for origin in refused:
            with self.subTest(origin=origin):
                self.assertForbidden(self.preflight(origin, "GET"))
                r = request(self.nx.port, "GET", "/api/w", {"Origin": origin})
                self.assertEqual(r.status, 200, r)
                self.assertNoCors(r)

    def test_cors_headers_on_local_errors_of_later_filters(self):
        r = request(self.nx.port, "GET", "/fault/x", {"Origin": APP})
        self.assertEqual(r.status, 503, r)
        self.assertEqual(r.header("access-control-allow-origin"), APP, r)
        self.assertEqual(r.header("access-control-expose-headers"), "x-request-id", r)
        self.assertIn("Origin", r.header("vary") or "", r)
        r = request(self.nx.port, "GET", "/denied/x", {"Origin": APP})
        self.assertForbidden(r)
        self.assertEqual(r.header("access-control-allow-origin"), APP, r)
        r = request(self.nx.port, "GET", "/denied/x", {"Origin": "https://evil.example.net"})
        self.assertForbidden(r)
        self.assertNoCors(r)
        # A preflight is answered before the later filters run.
        self.assertEqual(self.preflight(APP, "GET", path="/denied/x").status, 204)
        self.assertEqual(self.up.count(), 0)

    def test_vary_is_merged_into_one_field(self):
        varies = {"/two": [("Vary", "Accept-Encoding"), ("Vary", "User-Agent")],
                  "/star": [("Vary", "*")], "/has": [("Vary", "accept, origin")], "/none": []}

        def handler(req, conn):
            conn.respond(200, b"v", varies[req.path])
        up = self.upstream(handler, name="vary")
        cfg = make_config(free_port(), {"up": cluster(up)},
                          [{"match": {"prefix": "/"}, "cluster": "up"}], logging=no_access_log())
        cfg["filters"] = [{"cors": self.cors}]
        nx = self.nexus(cfg)
        expect = {"/two": ["Accept-Encoding, User-Agent, Origin"], "/star": ["*"],
                  "/has": ["accept, origin"], "/none": ["Origin"]}
        for path, vary in expect.items():
            with self.subTest(path=path):
                r = request(nx.port, "GET", path, {"Origin": APP})
                self.assertEqual(r.status, 200, r)
                self.assertEqual(r.headers_named("vary"), vary)
                self.assertEqual(r.header("access-control-allow-origin"), APP)

    def test_credentials_and_any_origin(self):
        cfg = make_config(free_port(), {"up": cluster(self.up)}, [
            {"match": {"prefix": "/cred"}, "cluster": "up",
             "filters": [{"cors": {"allow_origins": ["*"], "allow_credentials": True,
                                   "allow_methods": ["*"], "allow_headers": ["*"]}}]},
            {"match": {"prefix": "/open"}, "cluster": "up",
             "filters": [{"cors": {"allow_origins": ["*"]}}]},
        ], logging=no_access_log())
        nx = self.nexus(cfg)
        origin = "https://anything.test"
        # Credentials: the origin is echoed (never "*"), also "null".
        for o in (origin, "null"):
            with self.subTest(origin=o):
                r = request(nx.port, "GET", "/cred", {"Origin": o})
                self.assertEqual(r.headers_named("access-control-allow-origin"), [o], r)
                self.assertEqual(r.headers_named("access-control-allow-credentials"), ["true"])
                self.assertEqual(r.headers_named("vary"), ["Accept-Encoding, Origin"])
        r = self.preflight(origin, "PATCH", "X-Custom, Authorization", path="/cred", port=nx.port)
        self.assertEqual(r.status, 204, r)
        self.assertEqual(r.header("access-control-allow-origin"), origin)
        self.assertEqual(r.header("access-control-allow-credentials"), "true")
        self.assertEqual(r.header("access-control-allow-methods"), "PATCH")  # echoed for "*"
        self.assertEqual(r.header("access-control-allow-headers"), "x-custom, authorization")
        self.assertIsNone(r.header("access-control-max-age"))
        # "*" without credentials: "*", no credentials header, and Vary is left alone.
        r = request(nx.port, "GET", "/open", {"Origin": origin})
        self.assertEqual(r.headers_named("access-control-allow-origin"), ["*"], r)
        self.assertEqual(r.headers_named("access-control-allow-credentials"), [])
        self.assertEqual(r.headers_named("vary"), ["Accept-Encoding"])
        r = self.preflight(origin, "GET", path="/open", port=nx.port)
        self.assertEqual((r.status, r.header("access-control-allow-origin")), (204, "*"), r)
        self.assertEqual(r.header("access-control-allow-methods"), "GET, HEAD, POST")  # default

    def test_cors_over_http2(self):
        cfg = make_config(free_port(), {"up": cluster(self.up)}, [
            {"match": {"prefix": "/fault"}, "cluster": "up",
             "filters": [{"fault": {"abort": {"status": 503}}}]},
            {"match": {"prefix": "/api"}, "cluster": "up"}], logging=no_access_log())
        cfg["filters"] = [{"cors": self.cors}]
        nx = self.nexus(h2c(cfg))
        url = f"http://127.0.0.1:{nx.port}"
        r = run_curl(url + "/api/p", "h2", method="OPTIONS", workdir=self.tmpdir(),
                     headers=[("Origin", APP), ("Access-Control-Request-Method", "POST"),
                              ("Access-Control-Request-Headers", "content-type")])
        self.assertEqual((r.status, r.http_version), (204, "2"), r)
        self.assertEqual(r.header("access-control-allow-origin"), APP)
        self.assertEqual(r.header("access-control-allow-methods"), "GET, POST")
        self.assertEqual(r.header("access-control-allow-headers"), "content-type")
        self.assertEqual(r.header("access-control-max-age"), "600")
        self.assertEqual(r.headers_named("vary"), [PREFLIGHT_VARY])
        self.assertEqual(self.up.count(), 0)
        r = run_nghttp(url + "/api/p", method="OPTIONS",
                       headers=[("Origin", APP), ("Access-Control-Request-Method", "DELETE")])
        self.assertForbidden(r)
        self.assertNoCors(r)
        r = run_curl(url + "/api/a", "h2", headers=[("Origin", APP)], workdir=self.tmpdir())
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.headers_named("access-control-allow-origin"), [APP])
        self.assertEqual(r.headers_named("access-control-allow-credentials"), [])
        self.assertEqual(r.headers_named("vary"), ["Accept-Encoding, Origin"])
        r = run_curl(url + "/api/a", "h2", headers=[("Origin", "https://evil.example.net")],
                     workdir=self.tmpdir())
        self.assertEqual(r.status, 200, r)
        self.assertNoCors(r)
        r = run_curl(url + "/fault", "h2", headers=[("Origin", "https://x.example.org")],
                     workdir=self.tmpdir())
        self.assertEqual(r.status, 503, r)
        self.assertEqual(r.header("access-control-allow-origin"), "https://x.example.org", r)
        self.assertEqual(self.up.count(), 2)


# ============================================================================================
# headers
# ============================================================================================

class HeadersTest(FilterTestCase):
    def setUp(self):
        self.up = self.upstream(ok(headers=[("X-Upstream-Secret", "s3cr3t"),
                                            ("Cache-Control", "max-age=60"),
                                            ("X-Tenant", "from-upstream"),
                                            ("X-Powered-By", "up")]), name="up")
        self.headers = {
            "request": {
                "remove": ["x-internal-debug"],
                "set": {"x-client-ip": "%{client_ip}", "x-req-id": "%{request_id}",
                        "x-user": "%{identity}", "x-debug-copy": "%{header:X-Internal-Debug}",
                        "x-tenant": "tenant-%{header:x-tenant}"},
                "add": {"x-route": "%{route} (%{method} %{path})",
                        "x-literal": "100%% sure, 5% off", "x-host": "%{host}"}},
            "response": {
                "remove": ["x-upstream-secret", "X-POWERED-BY"],
                "set": {"x-tenant": "%{header:x-tenant}", "x-echo-rid": "%{request_id}"},
                "add": {"cache-control": "no-store", "x-served-by": "%{route}"}},
        }
        cfg = make_config(free_port(), {"up": cluster(self.up)}, [
            {"match": {"prefix": "/h"}, "cluster": "up", "name": "hdr",
             "filters": [{"headers": self.headers}]},
            {"match": {"prefix": "/fault"}, "cluster": "up", "name": "hfault",
             "filters": [{"headers": {"request": {"set": {"x-never": "1"}},
                                      "response": {"set": {"x-tenant": "%{header:x-tenant}"},
                                                   "add": {"x-route": "%{route}"}}}},
                         {"fault": {"abort": {"status": 503}}}]},
        ], logging=no_access_log())
        # request_id after headers in the chain: %{request_id} is known in on_upstream_request
        # whatever the order.
        cfg["filters"] = [{"request_id": {}, "priority": -10}]
        self.nx = self.nexus(cfg)

    def test_request_operations_seen_by_upstream(self):
        r = request(self.nx.port, "POST", "/h/path?q=1", [
            ("X-Internal-Debug", "dbg-1"), ("X-Client-Ip", "6.6.6.6"), ("X-User", "admin"),
            ("X-Tenant", "acme"), ("X-Route", "client-value"), ("X-Request-Id", "rid-77")],
            body=b"{}", host="api.test")
        self.assertEqual(r.status, 200, r)
        up = self.up.last()
        self.assertEqual(up.headers_named("x-internal-debug"), [])
        # Expanded before the remove: the copy still sees it.
        self.assertEqual(up.headers_named("x-debug-copy"), ["dbg-1"])
        self.assertEqual(up.headers_named("x-client-ip"), ["127.0.0.1"])  # replaced, not added
        self.assertEqual(up.headers_named("x-req-id"), ["rid-77"])
        # No identity (no auth filter): set only removes what the client sent.
        self.assertEqual(up.headers_named("x-user"), [])
        self.assertEqual(up.headers_named("x-tenant"), ["tenant-acme"])
        # add appends after the client's own field.
        self.assertEqual(up.headers_named("x-route"), ["client-value", "hdr (POST /h/path)"])
        self.assertEqual(up.headers_named("x-literal"), ["100% sure, 5% off"])
        self.assertEqual(up.headers_named("x-host"), ["api.test"])
        self.assertEqual(up.body, b"{}")
        self.assertEqual(up.target, "/h/path?q=1")

    def test_response_operations_seen_by_client(self):
        r = request(self.nx.port, "GET", "/h/r", {"X-Tenant": "acme", "X-Request-Id": "rid-9"})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.headers_named("x-upstream-secret"), [])
        self.assertEqual(r.headers_named("x-powered-by"), [])
        self.assertEqual(r.headers_named("x-tenant"), ["acme"])
        self.assertEqual(r.headers_named("cache-control"), ["max-age=60", "no-store"])
        self.assertEqual(r.headers_named("x-served-by"), ["hdr"])
        self.assertEqual(r.headers_named("x-echo-rid"), ["rid-9"])
        self.assertEqual(r.body, b"ok")
        # Without the request header the template is empty: set only removes the upstream's.
        r = request(self.nx.port, "GET", "/h/r")
        self.assertEqual(r.headers_named("x-tenant"), [])
        self.assertUuidV7(r.header("x-echo-rid"), r)
        self.assertEqual(r.header("x-echo-rid"), r.header("x-request-id"))
        self.assertEqual(self.up.last().header("x-req-id"), r.header("x-request-id"))

    def test_response_operations_apply_to_local_replies_and_request_ones_do_not(self):
        r = request(self.nx.port, "GET", "/fault", {"X-Tenant": "t-503"})
        self.assertEqual(r.status, 503, r)
        self.assertEqual(r.headers_named("x-tenant"), ["t-503"])
        self.assertEqual(r.headers_named("x-route"), ["hfault"])
        self.assertIsNone(r.header("x-never"))
        self.assertEqual(self.up.count(), 0)

    def test_config_errors_name_file_line_and_key(self):
        base = ("server:\n"
                "  listen:\n"
                "    - \"127.0.0.1:18080\"\n"
                "clusters:\n"
                "  up:\n"
                "    endpoints:\n"
                "      - \"127.0.0.1:9\"\n"
                "routes:\n"
                "  - match: {{ prefix: / }}\n"
                "    cluster: up\n"
                "    filters:\n"
                "      - headers:\n"
                "          {side}:\n"
                "            {op}:\n"
                "{entries}")
        cases = [
            # (side, op, entries, key regex, message needle)
            ("response", "set", "              content-length: \"5\"\n",
             r"routes\[0\]\.filters\[0\]\.headers\.response\.set\.content-length",
             "framing or hop-by-hop"),
            ("request", "add", "              Transfer-Encoding: chunked\n",
             r"routes\[0\]\.filters\[0\]\.headers\.request\.add\.Transfer-Encoding",
             "framing or hop-by-hop"),
            ("request", "remove", "              - connection\n",
             r"routes\[0\]\.filters\[0\]\.headers\.request\.remove\[0\]",
             "framing or hop-by-hop"),
            ("request", "set", "              x-a: \"%{user}\"\n",
             r"routes\[0\]\.filters\[0\]\.headers\.request\.set\.x-a", "unknown attribute"),
            ("response", "add", "              x-b: \"%{route\"\n",
             r"routes\[0\]\.filters\[0\]\.headers\.response\.add\.x-b", "unterminated"),
            ("request", "set", "              x-c: \"%{header:bad name}\"\n",
             r"routes\[0\]\.filters\[0\]\.headers\.request\.set\.x-c", "does not name a header"),
            ("request", "set", "              x-d: \"a\\r\\nx-evil: 1\"\n",
             r"routes\[0\]\.filters\[0\]\.headers\.request\.set\.x-d", "control characters"),
            ("request", "set", "              \"bad name\": v\n",
             r"routes\[0\]\.filters\[0\]\.headers\.request\.set\.bad name", "header name"),
        ]
        for side, op, entries, key, needle in cases:
            with self.subTest(key=key):
                text = base.format(side=side, op=op, entries=entries)
                d = self.tmpdir()
                with open(os.path.join(d, "nexus.yaml"), "w") as f:
                    f.write(text)
                r = run_cli(["validate", "--config", "nexus.yaml"], cwd=d)
                self.assertEqual(r.returncode, 1, f"stdout={r.stdout!r} stderr={r.stderr!r}")
                m = re.search(r"nexus\.yaml:(\d+): (" + key + r"): (.*)", r.stderr)
                self.assertIsNotNone(m, f"no 'nexus.yaml:LINE: {key}: ...' in {r.stderr!r}")
                self.assertEqual(int(m.group(1)), 15, r.stderr)  # the entry's own line
                self.assertIn(needle, m.group(3))
        # The same file with a harmless entry is valid (so the cases above fail for their
        # reason, not for the skeleton).
        d = self.tmpdir()
        with open(os.path.join(d, "nexus.yaml"), "w") as f:
            f.write(base.format(side="request", op="set", entries="              x-ok: \"%{route}\"\n"))
        r = run_cli(["validate", "--config", "nexus.yaml"], cwd=d)
        self.assertEqual(r.returncode, 0, r.stderr)

    def test_headers_over_http2(self):
        cfg = make_config(free_port(), {"up": cluster(self.up)}, [
            {"match": {"prefix": "/h"}, "cluster": "up", "name": "hdr",
             "filters": [{"headers": self.headers}]}], logging=no_access_log())
        cfg["filters"] = [{"request_id": {}}]
        nx = self.nexus(h2c(cfg))
        r = run_curl(f"http://127.0.0.1:{nx.port}/h/two?x=y", "h2", method="PUT",
                     headers=[("X-Internal-Debug", "d2"), ("X-Client-Ip", "6.6.6.6"),
                              ("X-User", "admin"), ("X-Tenant", "h2co"),
                              ("X-Request-Id", "h2-rid")],
                     workdir=self.tmpdir())
        self.assertEqual((r.status, r.http_version), (200, "2"), r)
        up = self.up.last()
        self.assertEqual(up.headers_named("x-internal-debug"), [])
        self.assertEqual(up.headers_named("x-debug-copy"), ["d2"])
        self.assertEqual(up.headers_named("x-client-ip"), ["127.0.0.1"])
        self.assertEqual(up.headers_named("x-user"), [])
        self.assertEqual(up.headers_named("x-req-id"), ["h2-rid"])
        self.assertEqual(up.headers_named("x-route"), ["hdr (PUT /h/two)"])
        self.assertEqual(up.headers_named("x-host"), [f"127.0.0.1:{nx.port}"])
        self.assertEqual(r.headers_named("x-upstream-secret"), [])
        self.assertEqual(r.headers_named("x-tenant"), ["h2co"])
        self.assertEqual(r.headers_named("cache-control"), ["max-age=60", "no-store"])
        self.assertEqual(r.headers_named("x-served-by"), ["hdr"])
        self.assertEqual(r.headers_named("x-echo-rid"), ["h2-rid"])


# ============================================================================================
# ip_filter
# ============================================================================================

class IpFilterTest(FilterTestCase):
    def setUp(self):
        self.up = self.upstream(name="up")

    def start(self, routes, global_filters=None, **kw):
        cfg = make_config(free_port(), {"up": cluster(self.up)}, routes,
                          logging=no_access_log(), **kw)
        if global_filters:
            cfg["filters"] = global_filters
        return self.nexus(cfg)

    @staticmethod
    def route(prefix, ip_filter, extra=()):
        return {"match": {"prefix": prefix}, "cluster": "up",
                "filters": [{"ip_filter": ip_filter}] + list(extra)}

    def test_allow_and_deny_by_cidr(self):
        nx = self.start([
            self.route("/allow-lo", {"allow": ["127.0.0.0/8"]}),
            self.route("/allow-host", {"allow": ["127.0.0.1"]}),
            self.route("/allow-other", {"allow": ["10.0.0.0/8", "127.0.0.2/32"]}),
            self.route("/deny-lo", {"deny": ["127.0.0.1/32"]}),
            self.route("/deny-other", {"deny": ["10.0.0.0/8"]}),
            self.route("/deny-wins", {"allow": ["127.0.0.0/8"], "deny": ["127.0.0.0/24"]}),
            self.route("/deny-all-v6", {"deny": ["::/0"]}),
            self.route("/deny-all-v4", {"deny": ["0.0.0.0/0"]}),
            self.route("/allow-mapped", {"allow": ["::ffff:127.0.0.0/104"]}),
            self.route("/allow-v6-only", {"allow": ["::1"]}),
        ])
        expect = {"/allow-lo": 200, "/allow-host": 200, "/allow-other": 403, "/deny-lo": 403,
                  "/deny-other": 200, "/deny-wins": 403, "/deny-all-v6": 403,
                  "/deny-all-v4": 403, "/allow-mapped": 200, "/allow-v6-only": 403}
        for path, status in expect.items():
            with self.subTest(path=path):
                self.up.clear()
                r = request(nx.port, "GET", path)
                self.assertEqual(r.status, status, r)
                if status == 403:
                    self.assertEqual(r.json(), FORBIDDEN_BODY)
                    self.assertEqual(r.header("content-type"), "application/json")
                    self.assertEqual(self.up.count(), 0)
                else:
                    self.assertTrue(self.up.wait_requests(1))

    def test_forbidden_body_and_connection_reuse(self):
        nx = self.start([self.route("/no", {"deny": ["127.0.0.1"]}),
                         {"match": {"prefix": "/yes"}, "cluster": "up"}])
        c = ClientConn(nx.port)
        self.addCleanup(c.close)
        r = c.request("GET", "/no")
        self.assertEqual(r.status, 403, r)
        self.assertEqual(r.json(), FORBIDDEN_BODY)
        self.assertEqual(int(r.header("content-length")), len(r.body))
        self.assertIsNone(r.header("connection"), r)
        # Without a body left unread the connection stays usable after the refusal.
        r = c.request("GET", "/yes")
        self.assertEqual(r.status, 200, r)
        self.assertEqual(self.up.count(), 1)
        self.assertEqual(self.up.last().path, "/yes")
        # With a request body it was never read: the refusal says so and closes.
        r = c.request("POST", "/no", body=b"payload")
        self.assertEqual(r.status, 403, r)
        self.assertEqual(r.json(), FORBIDDEN_BODY)
        self.assertEqual(r.header("connection"), "close", r)
        self.assertTrue(c.wait_closed(5.0))
        self.assertEqual(self.up.count(), 1)

    def test_refusal_comes_before_100_continue(self):
        nx = self.start([self.route("/no", {"deny": ["127.0.0.1"]})])
        c = ClientConn(nx.port)
        self.addCleanup(c.close)
        c.send(b"POST /no HTTP/1.1\r\nHost: gw.test\r\nExpect: 100-continue\r\n"
               b"Content-Length: 5\r\n\r\n")
        r = c.responses.read_head(skip_interim=False)
        self.assertEqual(r.status, 403, r)  # no interim 100: the client never sends the body
        c.responses.read_body()
        self.assertEqual(r.json(), FORBIDDEN_BODY)
        self.assertEqual(self.up.count(), 0)

    def test_global_ip_filter_applies_to_requests_without_a_route(self):
        nx = self.start([{"match": {"prefix": "/api"}, "cluster": "up"}],
                        [{"ip_filter": {"deny": ["127.0.0.0/8"]}}])
        r = request(nx.port, "GET", "/no-route-here")
        self.assertEqual(r.status, 403, r)
        self.assertEqual(r.json(), FORBIDDEN_BODY)
        self.assertEqual(request(nx.port, "GET", "/api").status, 403)
        self.assertEqual(self.up.count(), 0)
        # And with an allow list that has the client, the 404 is the router's.
        nx = self.start([{"match": {"prefix": "/api"}, "cluster": "up"}],
                        [{"ip_filter": {"allow": ["127.0.0.1"]}}])
        self.assertEqual(request(nx.port, "GET", "/no-route-here").status, 404)
        self.assertEqual(request(nx.port, "GET", "/api").status, 200)

    def test_forwarded_for_from_a_trusted_proxy(self):
        show_client = {"headers": {"request": {"set": {"x-client": "%{client_ip}"}}}}
        log_path = os.path.join(self.tmpdir(), "access.log")
        nx = self.start([self.route("/", {"trusted_proxies": ["127.0.0.1", "10.0.0.0/8"],
                                          "deny": ["203.0.113.0/24"]}, [show_client])],
                        [{"access_log": {"path": log_path,
                                         "fields": ["client", "status", "path"]}}])
        cases = [
            # (X-Forwarded-For fields, status, client seen by later filters)
            ([], 200, "127.0.0.1"),
            (["203.0.113.7"], 403, "203.0.113.7"),
            (["198.51.100.1"], 200, "198.51.100.1"),
            # Walked from the right: the rightmost untrusted entry is the client.
            (["203.0.113.7, 198.51.100.1"], 200, "198.51.100.1"),
            (["198.51.100.1, 203.0.113.7"], 403, "203.0.113.7"),
            (["203.0.113.7, 10.1.2.3"], 403, "203.0.113.7"),  # 10/8 trusted: skipped
            (["203.0.113.7", "10.1.2.3"], 403, "203.0.113.7"),  # across fields, last first
            (["10.1.2.3, 10.4.5.6"], 200, "10.1.2.3"),  # all trusted: the leftmost
            (["203.0.113.7:4711"], 403, "203.0.113.7"),  # a port is dropped
            (["[2001:db8::1]:443"], 200, "2001:db8::1"),
            # Malformed: the nearest trusted hop so far is the client.
            (["203.0.113.7, unknown"], 200, "127.0.0.1"),
            (["203.0.113.7, unknown, 10.9.9.9"], 200, "10.9.9.9"),
        ]
        expect_log = {}
        for i, (fields, status, client) in enumerate(cases):
            with self.subTest(xff=fields):
                self.up.clear()
                r = request(nx.port, "GET", f"/x{i}", [("X-Forwarded-For", v) for v in fields])
                self.assertEqual(r.status, status, r)
                if status == 200:
                    up = self.up.last()
                    self.assertEqual(up.headers_named("x-client"), [client])
                    # The upstream sees the chain the client sent plus our peer.
                    self.assertEqual(up.headers_named("x-forwarded-for"),
                                     [", ".join(fields + ["127.0.0.1"])])
                else:
                    self.assertEqual(r.json(), FORBIDDEN_BODY)
                    self.assertEqual(self.up.count(), 0)
                # The access log's client is the one ip_filter found, refused or not.
                expect_log[f"/x{i}"] = (client, status)
        entries = self.wait_json_lines(log_path, len(cases))
        self.assertEqual({e["path"]: (e["client"], e["status"]) for e in entries}, expect_log)

    def test_forwarded_for_from_an_untrusted_peer_is_ignored(self):
        show_client = {"headers": {"request": {"set": {"x-client": "%{client_ip}"}}}}
        nx = self.start([
            self.route("/deny", {"deny": ["203.0.113.0/24"], "trusted_proxies": ["10.0.0.0/8"]},
                       [show_client]),
            self.route("/allow", {"allow": ["203.0.113.0/24"]}),
        ])
        r = request(nx.port, "GET", "/deny", {"X-Forwarded-For": "203.0.113.7"})
        self.assertEqual(r.status, 200, r)
        up = self.up.last()
        self.assertEqual(up.headers_named("x-client"), ["127.0.0.1"])
        self.assertEqual(up.headers_named("x-forwarded-for"), ["203.0.113.7, 127.0.0.1"])
        r = request(nx.port, "GET", "/allow", {"X-Forwarded-For": "203.0.113.7"})
        self.assertEqual(r.status, 403, r)
        self.assertEqual(self.up.count(), 1)

    def test_ipv6_loopback(self):
        port6 = ipv6_loopback_port()
        if port6 is None:
            self.skipTest("no IPv6 loopback on this machine")
        port4 = free_port()
        cfg = make_config(port4, {"up": cluster(self.up)}, [
            self.route("/v6-only", {"allow": ["::1/128"]}),
            self.route("/no-v6", {"deny": ["::1"]}),
            self.route("/no-v4", {"deny": ["0.0.0.0/0"]}),
            self.route("/doc", {"allow": ["2001:db8::/32"]}),
            self.route("/v6-xff", {"trusted_proxies": ["::1"], "deny": ["2001:db8::/32"]}),
        ], logging=no_access_log(), listen=[f"127.0.0.1:{port4}", f"[::1]:{port6}"])
        nx = self.nexus(cfg, ports=[port4])

        def get6(path, extra=""):
            with socket.create_connection(("::1", port6), timeout=5.0) as s:
                s.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\n{extra}Connection: close\r\n\r\n"
                          .encode())
                data = b""
                while chunk := s.recv(65536):
                    data += chunk
            head, _, body = data.partition(b"\r\n\r\n")
            return int(head.split(b" ", 2)[1]), body

        listening = wait_until(lambda: self._connects6(port6), 5.0)
        self.assertTrue(listening, "nexus did not listen on [::1]")
        expect6 = {"/v6-only": 200, "/no-v6": 403, "/no-v4": 200, "/doc": 403}
        for path, status in expect6.items():
            with self.subTest(ip="::1", path=path):
                got, body = get6(path)
                self.assertEqual(got, status, body)
                if status == 403:
                    self.assertEqual(json.loads(body), FORBIDDEN_BODY)
                else:
                    self.assertEqual(self.up.last().headers_named("x-forwarded-for"), ["::1"])
        expect4 = {"/v6-only": 403, "/no-v6": 200, "/no-v4": 403}
        for path, status in expect4.items():
            with self.subTest(ip="127.0.0.1", path=path):
                self.assertEqual(request(nx.port, "GET", path).status, status)
        # ::1 is a trusted proxy on /v6-xff: its X-Forwarded-For decides; 127.0.0.1 is not.
        xff = "X-Forwarded-For: 2001:db8::7\r\n"
        self.assertEqual(get6("/v6-xff", xff)[0], 403)
        self.assertEqual(get6("/v6-xff", "X-Forwarded-For: 2001:db9::7\r\n")[0], 200)
        self.assertEqual(self.up.last().headers_named("x-forwarded-for"), ["2001:db9::7, ::1"])
        r = request(nx.port, "GET", "/v6-xff", {"X-Forwarded-For": "2001:db8::7"})
        self.assertEqual(r.status, 200, r)

    @staticmethod
    def _connects6(port):
        try:
            with socket.create_connection(("::1", port), timeout=0.5):
                return True
        except OSError:
            return False

    def test_config_errors_name_file_line_and_key(self):
        cases = [
            ("deny", "10.0.0.1/8", "host bits"),
            ("allow", "10.0.0.0/33", "33"),
            ("trusted_proxies", "not-an-ip", ""),
            ("allow", "2001:db8::1/32", "host bits"),
        ]
        for key, value, needle in cases:
            with self.subTest(value=value):
                text = ("server:\n"
                        "  listen:\n"
                        "    - \"127.0.0.1:18080\"\n"
                        "clusters:\n"
                        "  up:\n"
                        "    endpoints:\n"
                        "      - \"127.0.0.1:9\"\n"
                        "filters:\n"
                        "  - ip_filter:\n"
                        f"      {key}:\n"
                        "        - 127.0.0.0/8\n"
                        f"        - \"{value}\"\n"
                        "routes:\n"
                        "  - match: { prefix: / }\n"
                        "    cluster: up\n")
                d = self.tmpdir()
                with open(os.path.join(d, "nexus.yaml"), "w") as f:
                    f.write(text)
                r = run_cli(["validate", "--config", "nexus.yaml"], cwd=d)
                self.assertEqual(r.returncode, 1, f"stdout={r.stdout!r} stderr={r.stderr!r}")
                self.assertRegex(r.stderr, r"nexus\.yaml:12: filters\[0\]\.ip_filter\." + key +
                                 r"\[1\]: expected a CIDR")
                self.assertIn(needle, r.stderr)
        # No list at all.
        d = self.tmpdir()
        with open(os.path.join(d, "nexus.yaml"), "w") as f:
            f.write("server:\n  listen:\n    - \"127.0.0.1:18080\"\nfilters:\n"
                    "  - ip_filter: {}\nroutes:\n"
                    "  - match: { path: /h }\n    direct_response: { status: 200 }\n")
        r = run_cli(["validate", "--config", "nexus.yaml"], cwd=d)
        self.assertEqual(r.returncode, 1, r.stdout)
        self.assertRegex(r.stderr, r"nexus\.yaml:5: filters\[0\]\.ip_filter: expected at least one")

    def test_ip_filter_over_http2(self):
        show_client = {"headers": {"request": {"set": {"x-client": "%{client_ip}"}}}}
        cfg = make_config(free_port(), {"up": cluster(self.up)}, [
            self.route("/denied", {"deny": ["127.0.0.1"]}),
            self.route("/xff", {"trusted_proxies": ["127.0.0.1"], "deny": ["203.0.113.0/24"]},
                       [show_client]),
            # Same name as the global entry: replaces it on this route, so nobody trusts XFF.
            {"match": {"prefix": "/plain"}, "cluster": "up",
             "filters": [{"ip_filter": {"deny": ["203.0.113.0/24"]}, "name": "global_ip"},
                         show_client]},
        ], logging=no_access_log())
        cfg["filters"] = [{"ip_filter": {"deny": ["192.0.2.0/24"], "trusted_proxies": ["127.0.0.1"]},
                           "name": "global_ip"}]
        nx = self.nexus(h2c(cfg))
        url = f"http://127.0.0.1:{nx.port}"
        r = run_curl(url + "/denied", "h2", workdir=self.tmpdir())
        self.assertEqual((r.status, r.http_version), (403, "2"), r)
        self.assertEqual(r.json(), FORBIDDEN_BODY)
        r = run_nghttp(url + "/xff", headers=[("X-Forwarded-For", "203.0.113.9")])
        self.assertEqual(r.status, 403, r)
        self.assertEqual(r.json(), FORBIDDEN_BODY)
        self.assertEqual(self.up.count(), 0)
        r = run_curl(url + "/xff", "h2", headers=[("X-Forwarded-For", "198.51.100.2")],
                     workdir=self.tmpdir())
        self.assertEqual(r.status, 200, r)
        up = self.up.last()
        self.assertEqual(up.headers_named("x-client"), ["198.51.100.2"])
        self.assertEqual(up.headers_named("x-forwarded-for"), ["198.51.100.2, 127.0.0.1"])
        # Untrusted on this route: XFF ignored.
        r = run_curl(url + "/plain", "h2", headers=[("X-Forwarded-For", "203.0.113.9")],
                     workdir=self.tmpdir())
        self.assertEqual(r.status, 200, r)
        self.assertEqual(self.up.last().headers_named("x-client"), ["127.0.0.1"])
        # The global entry applies to requests that match no route.
        r = run_curl(url + "/nothing", "h2", headers=[("X-Forwarded-For", "192.0.2.5")],
                     workdir=self.tmpdir())
        self.assertEqual(r.status, 403, r)
        r = run_curl(url + "/nothing", "h2", workdir=self.tmpdir())
        self.assertEqual(r.status, 404, r)
        self.assertEqual(self.up.count(), 2)


# ============================================================================================
# the four filters together: chain order, and per-exchange state on one connection
# ============================================================================================

class FiltersTogetherTest(FilterTestCase):
    def setUp(self):
        self.up = self.upstream(name="up")
        show = {"headers": {"request": {"set": {"x-client": "%{client_ip}",
                                                "x-rid": "%{request_id}"}}}}
        cfg = make_config(free_port(), {"up": cluster(self.up)}, [
            {"match": {"prefix": "/xff"}, "cluster": "up",
             "filters": [{"ip_filter": {"trusted_proxies": ["127.0.0.1"],
                                        "deny": ["203.0.113.0/24"]}}, show]},
            {"match": {"prefix": "/plain"}, "cluster": "up",
             "filters": [{"request_id": {}, "disabled": True}, show]},
            # cors raised above the global request_id and a route ip_filter that refuses.
            {"match": {"prefix": "/early-cors"}, "cluster": "up",
             "filters": [{"ip_filter": {"deny": ["127.0.0.1"]}},
                         {"cors": {"allow_origins": [APP]}, "priority": 10}]},
            # cors after the refusing filter: it never sees the request, so adds nothing.
            {"match": {"prefix": "/late-cors"}, "cluster": "up",
             "filters": [{"ip_filter": {"deny": ["127.0.0.1"]}, "priority": 5},
                         {"cors": {"allow_origins": [APP]}, "priority": -5}]},
        ], logging=no_access_log())
        cfg["filters"] = [{"request_id": {}}]
        self.nx = self.nexus(cfg)

    def test_chain_order_decides_who_sees_a_local_reply(self):
        r = request(self.nx.port, "GET", "/early-cors", {"Origin": APP})
        self.assertForbidden(r)
        self.assertEqual(r.header("access-control-allow-origin"), APP, r)
        self.assertUuidV7(r.header("x-request-id"), r)
        r = request(self.nx.port, "GET", "/late-cors", {"Origin": APP})
        self.assertForbidden(r)
        self.assertIsNone(r.header("access-control-allow-origin"), r)
        self.assertEqual(r.headers_named("vary"), [], r)
        # request_id (priority 0) runs after ip_filter (priority 5) here: no id on the 403.
        self.assertIsNone(r.header("x-request-id"), r)
        self.assertEqual(self.up.count(), 0)

    def check_second(self, first, second):
        self.assertEqual(first.status, 200, first)
        self.assertEqual(first.header("x-request-id"), "first-id")
        self.assertEqual(second.status, 200, second)
        # Nothing of the first exchange leaks into the second on the same connection.
        self.assertIsNone(second.header("x-request-id"), second)
        self.assertTrue(self.up.wait_requests(2))
        with self.up.lock:
            one, two = self.up.requests[-2], self.up.requests[-1]
        self.assertEqual(one.headers_named("x-client"), ["198.51.100.1"])
        self.assertEqual(one.headers_named("x-rid"), ["first-id"])
        self.assertEqual(two.headers_named("x-client"), ["127.0.0.1"])
        self.assertEqual(two.headers_named("x-rid"), [])
        self.assertEqual(two.headers_named("x-request-id"), [])

    def test_state_does_not_leak_between_exchanges_of_one_connection(self):
        first = [("X-Forwarded-For", "198.51.100.1"), ("X-Request-Id", "first-id")]
        c = ClientConn(self.nx.port)
        self.addCleanup(c.close)
        self.check_second(c.request("GET", "/xff", first), c.request("GET", "/plain"))
        # Pipelined: both heads in one write.
        c.send(b"".join([build_request("GET", "/xff", first), build_request("GET", "/plain")]))
        self.check_second(c.read_response(), c.read_response())

    def test_state_does_not_leak_between_streams_of_one_http2_connection(self):
        cfg = make_config(free_port(), {"up": cluster(self.up)}, [
            {"match": {"prefix": "/xff"}, "cluster": "up",
             "filters": [{"ip_filter": {"trusted_proxies": ["127.0.0.1"], "deny": ["203.0.113.0/24"]}},
                         {"headers": {"request": {"set": {"x-client": "%{client_ip}",
                                                          "x-rid": "%{request_id}"}}}}]},
            {"match": {"prefix": "/plain"}, "cluster": "up",
             "filters": [{"request_id": {}, "disabled": True},
                         {"headers": {"request": {"set": {"x-client": "%{client_ip}",
                                                          "x-rid": "%{request_id}"}}}}]},
        ], logging=no_access_log())
        cfg["filters"] = [{"request_id": {}}]
        nx = self.nexus(h2c(cfg))
        url = f"http://127.0.0.1:{nx.port}"
        # One HTTP/2 session, two streams one after the other. (Not curl: 7.88 fails to reuse
        # a prior-knowledge connection, curl/curl#10634.)
        client = NodeClient(url, "h2", timeout=20.0)
        self.addCleanup(client.kill)
        client.request("one", "GET", "/xff", headers=[("x-forwarded-for", "198.51.100.1"),
                                                      ("x-request-id", "first-id")])
        first = client.wait_end("one")
        client.request("two", "GET", "/plain")
        second = client.wait_end("two")
        self.assertEqual((first.status, first.header("x-request-id")), (200, "first-id"), first)
        self.assertEqual(second.status, 200, second)
        self.assertIsNone(second.header("x-request-id"), second)
        connects = [e for e in client.events if e.get("event") == "connect"]
        self.assertEqual(len(connects), 1, client.events)  # one session for both
        self.assertTrue(self.up.wait_requests(2))
        with self.up.lock:
            one, two = self.up.requests[-2], self.up.requests[-1]
        self.assertEqual(one.path, "/xff")
        self.assertEqual(one.headers_named("x-client"), ["198.51.100.1"])
        self.assertEqual(one.headers_named("x-rid"), ["first-id"])
        self.assertEqual(two.headers_named("x-client"), ["127.0.0.1"])
        self.assertEqual(two.headers_named("x-rid"), [])


if __name__ == "__main__":
    unittest.main()
