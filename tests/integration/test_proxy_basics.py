"""Proxying basics: forwarding, proxy headers, hop-by-hop stripping, keep-alive, pipelining,
chunked bodies both ways, routing (host/path/regex/method/headers, first match wins),
prefix/host rewrite and direct responses."""

import json
import threading
import unittest

from nexus_harness import (ClientConn, NexusTestCase, cluster, echo, free_port, make_config,
                           ok, raw, request)


def catch_all(name="up"):
    return [{"match": {"prefix": "/"}, "cluster": name}]


class ForwardingTest(NexusTestCase):
    def setUp(self):
        self.up = self.upstream(name="up")
        self.nx = self.nexus(make_config(free_port(), {"up": cluster(self.up)}, catch_all()))

    def test_get_with_query_is_forwarded_and_answered(self):
        r = request(self.nx.port, "GET", "/v1/models?limit=2&x=%20y", {"X-Custom": "v1"})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.body, b"ok")
        self.assertEqual(r.header("x-upstream-id"), "up")
        got = self.up.last()
        self.assertEqual(got.method, "GET")
        self.assertEqual(got.target, "/v1/models?limit=2&x=%20y")
        self.assertEqual(got.header("x-custom"), "v1")
        self.assertEqual(got.header("host"), "gw.test")
        self.assertEqual(got.version, "HTTP/1.1")

    def test_post_body_with_content_length(self):
        body = bytes(range(256)) * 40
        r = request(self.nx.port, "POST", "/v1/chat/completions", {"Content-Type": "application/json"},
                    body)
        self.assertEqual(r.status, 200, r)
        got = self.up.last()
        self.assertEqual(got.body, body)
        self.assertEqual(got.headers_named("content-length"), [str(len(body))])
        self.assertIsNone(got.header("transfer-encoding"))

    def test_chunked_request_body_is_reframed(self):
        c = ClientConn(self.nx.port)
        self.addCleanup(c.close)
        c.send(b"POST /up HTTP/1.1\r\nHost: gw.test\r\nTransfer-Encoding: chunked\r\n\r\n"
               b"5\r\nhello\r\n1;ext=1\r\n \r\n5\r\nworld\r\n0\r\n\r\n")
        r = c.read_response()
        self.assertEqual(r.status, 200, r)
        got = self.up.last()
        self.assertEqual(got.body, b"hello world")
        te, cl = got.header("transfer-encoding"), got.header("content-length")
        self.assertTrue((te or "").lower() == "chunked" or cl == "11", got)
        self.assertFalse(te is not None and cl is not None, got)

    def test_forwarded_headers_and_via(self):
        r = request(self.nx.port, "GET", "/", {})
        self.assertEqual(r.status, 200)
        got = self.up.last()
        self.assertEqual(got.header("x-forwarded-for"), "127.0.0.1")
        self.assertEqual(got.header("x-forwarded-proto"), "http")
        self.assertIn("1.1 nexus", ", ".join(got.headers_named("via")))
        self.assertIn("1.1 nexus", ", ".join(r.headers_named("via")), r)

        request(self.nx.port, "GET", "/", {"X-Forwarded-For": "203.0.113.7", "Via": "1.0 edge"})
        got = self.up.last()
        xff = ", ".join(got.headers_named("x-forwarded-for"))
        self.assertEqual([p.strip() for p in xff.split(",")], ["203.0.113.7", "127.0.0.1"], got)
        via = ", ".join(got.headers_named("via"))
        self.assertIn("1.0 edge", via)
        self.assertIn("1.1 nexus", via)

    def test_request_hop_by_hop_headers_are_stripped(self):
        request(self.nx.port, "GET", "/", [
            ("Connection", "keep-alive, X-Hop-One"), ("Keep-Alive", "timeout=5"),
            ("X-Hop-One", "secret"), ("X-Normal", "kept"), ("Proxy-Connection", "keep-alive")])
        got = self.up.last()
        for name in ("keep-alive", "x-hop-one", "proxy-connection"):
            self.assertIsNone(got.header(name), f"{name} reached the upstream: {got}")
        self.assertNotIn("x-hop-one", (got.header("connection") or "").lower())
        self.assertEqual(got.header("x-normal"), "kept")

    def test_response_hop_by_hop_headers_are_stripped(self):
        self.up.handler = raw(b"HTTP/1.1 200 OK\r\nConnection: X-Up-Hop\r\nX-Up-Hop: 1\r\n"
                              b"Keep-Alive: timeout=9\r\nX-Kept: yes\r\nContent-Length: 2\r\n\r\nok",
                              close=False)
        r = request(self.nx.port, "GET", "/")
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.body, b"ok")
        self.assertIsNone(r.header("x-up-hop"), r)
        self.assertIsNone(r.header("keep-alive"), r)
        self.assertEqual(r.header("x-kept"), "yes")

    def test_header_names_with_underscore_are_dropped(self):
        r = request(self.nx.port, "GET", "/", [("X_Api_Key", "smuggled"), ("X-Api-Key", "real")])
        self.assertEqual(r.status, 200, r)
        got = self.up.last()
        self.assertEqual(got.headers_named("x-api-key"), ["real"])
        self.assertEqual([k for k, _ in got.headers if "_" in k], [], got)

    def test_keep_alive_reuses_both_connections(self):
        c = ClientConn(self.nx.port)
        self.addCleanup(c.close)
        for i in range(5):
            r = c.request("GET", f"/k{i}")
            self.assertEqual(r.status, 200, r)
            self.assertEqual(r.header("x-upstream-path"), f"/k{i}")
        self.assertEqual(self.up.count(), 5)
        self.assertEqual(self.up.connection_count(), 1, "upstream connection not reused")

    def test_pipelined_requests_are_answered_in_order(self):
        c = ClientConn(self.nx.port)
        self.addCleanup(c.close)
        c.send(b"".join(b"GET /p%d HTTP/1.1\r\nHost: gw.test\r\n\r\n" % i for i in range(4)))
        paths = [c.read_response().header("x-upstream-path") for _ in range(4)]
        self.assertEqual(paths, ["/p0", "/p1", "/p2", "/p3"])
        self.assertEqual([r.path for r in self.up.requests], paths)

    def test_upstream_chunked_response(self):
        self.up.handler = raw(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                              b"3\r\nabc\r\n4;x=y\r\ndefg\r\n0\r\nX-Trailer: t\r\n\r\n", close=False)
        c = ClientConn(self.nx.port)
        self.addCleanup(c.close)
        r = c.request("GET", "/")
        self.assertEqual((r.status, r.body), (200, b"abcdefg"), r)
        self.assertEqual(c.request("GET", "/again").status, 200)  # framing fully consumed

    def test_upstream_close_delimited_response(self):
        self.up.handler = raw(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil close",
                              close=True)
        r = request(self.nx.port, "GET", "/")
        self.assertEqual((r.status, r.body), (200, b"until close"), r)

    def test_head_and_204_have_no_body(self):
        self.up.handler = raw(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n", close=False)
        c = ClientConn(self.nx.port)
        self.addCleanup(c.close)
        r = c.request("HEAD", "/")
        self.assertEqual(r.status, 200)
        self.assertEqual(self.up.last().method, "HEAD")
        self.up.handler = raw(b"HTTP/1.1 204 No Content\r\nX-A: 1\r\n\r\n", close=False)
        r = c.request("GET", "/")
        self.assertEqual((r.status, r.body), (204, b""))
        self.up.handler = ok(b"after")
        r = c.request("GET", "/")  # the connection is still in sync
        self.assertEqual((r.status, r.body), (200, b"after"))

    def test_connect_and_trace_are_refused(self):
        for raw_req in (b"CONNECT gw.test:443 HTTP/1.1\r\nHost: gw.test:443\r\n\r\n",
                        b"TRACE / HTTP/1.1\r\nHost: gw.test\r\n\r\n"):
            c = ClientConn(self.nx.port)
            self.addCleanup(c.close)
            c.send(raw_req)
            r = c.read_response()
            self.assertIn(r.status, (405, 400, 501), r)
            self.assertErrorJson(r, r.status, "invalid_request_error")
        self.assertEqual(self.up.count(), 0)


class ConcurrencyTest(NexusTestCase):
    def test_concurrent_clients_get_their_own_responses(self):
        up = self.upstream(echo(), name="up")
        nx = self.nexus(make_config(free_port(), {"up": cluster(up)}, catch_all(), workers="auto"))
        errors, lock = [], threading.Lock()

        def client(n):
            try:
                c = ClientConn(nx.port, timeout=10.0)
                try:
                    for i in range(10):
                        body = f"client {n} request {i}".encode() * (n + 1)
                        r = c.request("POST", f"/c{n}/{i}", body=body)
                        seen = json.loads(r.body)
                        if (r.status, seen["target"], seen["body_len"]) != (200, f"/c{n}/{i}",
                                                                           len(body)):
                            raise AssertionError(f"client {n} got {r.status} {seen}")
                finally:
                    c.close()
            except Exception as e:  # noqa: BLE001 -- reported below
                with lock:
                    errors.append(repr(e))

        threads = [threading.Thread(target=client, args=(n,), daemon=True) for n in range(16)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30.0)
        self.assertFalse(any(t.is_alive() for t in threads), "clients still running")
        self.assertEqual(errors, [])
        self.assertEqual(up.count(), 160)


class RoutingTest(NexusTestCase):
    @classmethod
    def routes(cls):
        return [
            {"match": {"path": "/healthz"},
             "direct_response": {"status": 200, "body": '{"status":"ok"}',
                                 "content_type": "application/json"}},
            {"match": {"path": "/teapot"},
             "direct_response": {"status": 418, "body": "short and stout", "content_type": "text/plain"}},
            {"match": {"host": "api.test", "prefix": "/"}, "cluster": "a"},
            {"match": {"hosts": ["*.wild.test", "exact.test"], "prefix": "/"}, "cluster": "b"},
            {"match": {"path": "/exact"}, "cluster": "c"},
            {"match": {"regex": "/items/[0-9]+"}, "cluster": "a"},
            {"match": {"prefix": "/m/", "methods": ["POST", "PUT"]}, "cluster": "b"},
            {"match": {"prefix": "/h/", "headers": [{"name": "x-env", "exact": "prod"},
                                                    {"name": "x-canary", "regex": "^(1|true)$"}]},
             "cluster": "c"},
            {"match": {"prefix": "/h/", "headers": [{"name": "x-debug", "present": False}]},
             "cluster": "b"},
            {"match": {"prefix": "/api/"}, "cluster": "c", "prefix_rewrite": "/v1/"},
            {"match": {"prefix": "/hr/"}, "cluster": "a", "host_rewrite": "upstream.internal"},
            {"match": {"prefix": "/first/"}, "cluster": "a"},
            {"match": {"prefix": "/first/"}, "cluster": "b"},
        ]

    def setUp(self):
        self.ups = {n: self.upstream(echo(), name=n) for n in "abc"}
        clusters = {n: cluster(u) for n, u in self.ups.items()}
        self.nx = self.nexus(make_config(free_port(), clusters, self.routes()))

    def route(self, method, path, host="gw.test", headers=None):
        r = request(self.nx.port, method, path, headers, b"" if method in ("POST", "PUT") else None,
                    host=host)
        if r.status == 200 and r.header("x-upstream-id"):
            return r.header("x-upstream-id"), json.loads(r.body)
        return r.status, r

    def assertRoutes(self, expected, method, path, host="gw.test", headers=None):
        got = self.route(method, path, host, headers)
        self.assertEqual(got[0], expected, f"{method} {path} Host={host} {headers}: {got}")
        return got[1]

    def test_host_matching(self):
        self.assertRoutes("a", "GET", "/x", host="api.test")
        self.assertRoutes("a", "GET", "/x", host="API.Test")
        self.assertRoutes("a", "GET", "/x", host="api.test:8080")
        self.assertRoutes("b", "GET", "/x", host="one.wild.test")
        self.assertRoutes("b", "GET", "/x", host="exact.test")
        self.assertRoutes(404, "GET", "/x", host="wild.test")

    def test_path_exact_and_regex(self):
        self.assertRoutes("c", "GET", "/exact")
        self.assertRoutes("c", "GET", "/exact?q=1")
        self.assertRoutes(404, "GET", "/exact/more")
        self.assertRoutes("a", "GET", "/items/42")
        self.assertRoutes(404, "GET", "/items/abc")
        self.assertRoutes(404, "GET", "/items/42/x")

    def test_methods(self):
        self.assertRoutes("b", "POST", "/m/x")
        self.assertRoutes("b", "PUT", "/m/x")
        self.assertRoutes(404, "GET", "/m/x")

    def test_header_matchers(self):
        self.assertRoutes("c", "GET", "/h/x", headers={"X-Env": "prod", "X-Canary": "true"})
        self.assertRoutes("b", "GET", "/h/x", headers={"X-Env": "prod", "X-Canary": "2"})
        self.assertRoutes("b", "GET", "/h/x", headers={"X-Env": "dev", "X-Canary": "1"})
        self.assertRoutes(404, "GET", "/h/x", headers={"X-Debug": "1"})

    def test_first_match_wins(self):
        self.assertRoutes("a", "GET", "/first/x")

    def test_prefix_rewrite_keeps_query(self):
        seen = self.assertRoutes("c", "GET", "/api/chat?stream=true")
        self.assertEqual(seen["target"], "/v1/chat?stream=true")

    def test_host_rewrite(self):
        seen = self.assertRoutes("a", "GET", "/hr/x")
        hosts = [v for k, v in seen["headers"] if k.lower() == "host"]
        self.assertEqual(hosts, ["upstream.internal"])
        self.assertEqual(seen["target"], "/hr/x")

    def test_no_route_is_404_json(self):
        r = request(self.nx.port, "GET", "/nothing/here")
        self.assertErrorJson(r, 404, "invalid_request_error")
        self.assertEqual(sum(u.count() for u in self.ups.values()), 0)

    def test_direct_responses(self):
        r = request(self.nx.port, "GET", "/healthz")
        self.assertEqual(r.status, 200)
        self.assertEqual(json.loads(r.body), {"status": "ok"})
        self.assertIn("application/json", r.header("content-type"))
        r = request(self.nx.port, "GET", "/teapot")
        self.assertEqual((r.status, r.body), (418, b"short and stout"))
        self.assertIn("text/plain", r.header("content-type"))
        self.assertEqual(sum(u.count() for u in self.ups.values()), 0)


if __name__ == "__main__":
    unittest.main()
