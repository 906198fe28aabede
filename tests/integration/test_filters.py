"""The filter chain end to end: global and per-route chains (override, disable, priority), local
replies going through the filters before the one that answered, on_complete exactly once
(access_log) for every way an exchange ends, and the body_limit, fault and access_log filters,
over HTTP/1.1 and HTTP/2."""

import os
import time
import unittest

from nexus_harness import ClientConn, NexusTestCase, cluster, free_port, make_config, request
from harness.h2clients import run_curl, run_nghttp


def no_access_log():
    return {"level": "info", "access_log": {"enabled": False}}


class ChainTest(NexusTestCase):
    """Global filters, per-route overrides and disabling, and the access log as a filter."""

    def setUp(self):
        self.up = self.upstream(name="up")
        self.log_path = os.path.join(self.tmpdir(), "access.log")
        cfg = make_config(free_port(), {"up": cluster(self.up)}, [
            {"match": {"prefix": "/small"}, "cluster": "up",
             "filters": [{"body_limit": {"max_bytes": 10}}]},
            {"match": {"prefix": "/quiet"}, "cluster": "up",
             "filters": [{"access_log": {}, "disabled": True}]},
            {"match": {"prefix": "/faulty"}, "cluster": "up", "name": "faulty",
             # Overrides the global fault filter (same name) for this route only.
             "filters": [{"fault": {"abort": {"status": 418}}}]},
            {"match": {"prefix": "/"}, "cluster": "up"},
        ], logging=no_access_log(), workers=2)
        cfg["filters"] = [
            {"access_log": {"path": self.log_path,
                            "fields": ["method", "path", "status", "error", "route"],
                            "headers": ["user-agent", "authorization", "x-api-key", "x-secret"],
                            "redact": ["X-Secret"]}},
            {"fault": {"header_control": True}},
        ]
        self.nx = self.nexus(cfg)

    def test_access_log_filter_redacts_secrets_and_logs_every_ending(self):
        r = request(self.nx.port, "GET", "/a", {"User-Agent": "tester/1",
                                                "Authorization": "Bearer sk-live-123",
                                                "X-Api-Key": "k-456", "X-Secret": "s-789"})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(request(self.nx.port, "POST", "/small", body=b"x" * 11).status, 413)
        c = ClientConn(self.nx.port)
        self.addCleanup(c.close)
        c.send(b"GET /bad HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n")
        self.assertEqual(c.read_response().status, 400)
        entries = self.wait_json_lines(self.log_path, 3)
        self.assertEqual(len(entries), 3, entries)
        # Two workers share the log: a line is written when its exchange completes, which may be
        # after the client has its response, so lines of different workers may swap places.
        by_path = {e["path"]: e for e in entries}
        self.assertEqual(set(by_path), {"/a", "/small", "/bad"}, entries)
        first = by_path["/a"]
        self.assertEqual(set(first), {"method", "path", "status", "error", "route", "headers"})
        self.assertEqual(first["headers"], {"user-agent": "tester/1", "authorization": "[redacted]",
                                            "x-api-key": "[redacted]", "x-secret": "[redacted]"})
        with open(self.log_path) as f:
            text = f.read()
        for secret in ("sk-live-123", "k-456", "s-789"):
            self.assertNotIn(secret, text)
        small = by_path["/small"]
        self.assertEqual((small["status"], small["error"], small["route"]),
                         (413, "payload_too_large", "routes[0]"))
        # A malformed request never reaches a route: the global chain still logs it, once.
        self.assertEqual((by_path["/bad"]["status"], by_path["/bad"]["route"]), (400, ""))

    def test_route_can_disable_and_override_global_filters(self):
        self.assertEqual(request(self.nx.port, "GET", "/quiet").status, 200)
        r = request(self.nx.port, "GET", "/faulty")
        self.assertEqual(r.status, 418, r)
        self.assertEqual(r.json()["error"]["code"], "fault_injected")
        self.assertEqual(self.up.count(), 1)  # only /quiet reached the upstream
        entries = self.wait_json_lines(self.log_path, 1)
        self.assertEqual([(e["path"], e["status"], e["error"], e["route"]) for e in entries],
                         [("/faulty", 418, "fault_injected", "faulty")])

    def test_requests_without_a_route_go_through_the_global_chain(self):
        cfg = make_config(free_port(), {}, [{"match": {"path": "/only"},
                                             "direct_response": {"status": 200}}],
                          logging=no_access_log())
        cfg["filters"] = [{"fault": {"abort": {"status": 503}}}]
        nx = self.nexus(cfg)
        self.assertEqual(request(nx.port, "GET", "/elsewhere").status, 503)

    def test_fault_header_control_aborts_and_delays(self):
        r = request(self.nx.port, "GET", "/x", {"x-nexus-fault-abort": "502"})
        self.assertEqual(r.status, 502)
        self.assertEqual(r.header("content-type"), "application/json")
        self.assertEqual(self.up.count(), 0)
        started = time.monotonic()
        r = request(self.nx.port, "GET", "/x", {"x-nexus-fault-delay-ms": "300"})
        self.assertEqual(r.status, 200)
        # A lower bound only: the request cannot have been answered before its injected delay.
        self.assertGreaterEqual(time.monotonic() - started, 0.3)
        started = time.monotonic()
        r = request(self.nx.port, "GET", "/x", {"x-nexus-fault-delay-ms": "200",
                                                "x-nexus-fault-abort": "503"})
        self.assertEqual(r.status, 503)
        self.assertGreaterEqual(time.monotonic() - started, 0.2)
        self.assertEqual(self.up.count(), 1)

    def test_filters_over_http2(self):
        cfg = make_config(free_port(), {"up": cluster(self.up)}, [
            {"match": {"prefix": "/small"}, "cluster": "up",
             "filters": [{"body_limit": {"max_bytes": 10}}]},
            {"match": {"prefix": "/"}, "cluster": "up"}], logging=no_access_log())
        cfg["server"]["listen"] = [{"address": cfg["server"]["listen"][0], "http2": True}]
        cfg["filters"] = [{"fault": {"header_control": True}}]
        nx = self.nexus(cfg)
        url = f"http://127.0.0.1:{nx.port}"
        r = run_curl(url + "/x", "h2", headers=[("x-nexus-fault-abort", "429")],
                     workdir=self.tmpdir())
        self.assertEqual((r.status, r.http_version), (429, "2"), r)
        body = os.path.join(self.tmpdir(), "body")
        with open(body, "wb") as f:
            f.write(b"y" * 100)
        # nghttp: the 413 comes before the body was read, so the stream ends with RST_STREAM
        # NO_ERROR after the response (RFC 9113 §8.1), which curl 7.88 reports as an error.
        r = run_nghttp(url + "/small", method="POST", body_file=body)
        self.assertEqual(r.status, 413, r)
        r = run_curl(url + "/ok", "h2", workdir=self.tmpdir())
        self.assertEqual(r.status, 200, r)


class BodyLimitTest(NexusTestCase):
    def setUp(self):
        self.up = self.upstream(name="up")
        self.nx = self.nexus(make_config(free_port(), {"up": cluster(self.up)}, [
            {"match": {"prefix": "/"}, "cluster": "up",
             "filters": [{"body_limit": {"max_bytes": 1024}}]}], logging=no_access_log()))

    def test_declared_length_over_the_limit_never_reaches_the_upstream(self):
        r = request(self.nx.port, "POST", "/u", body=b"z" * 1025)
        self.assertEqual(r.status, 413, r)
        self.assertEqual(r.json()["error"]["code"], "payload_too_large")
        self.assertEqual(self.up.count(), 0)
        self.assertEqual(request(self.nx.port, "POST", "/u", body=b"z" * 1024).status, 200)

    def test_chunked_body_is_cut_off_when_it_passes_the_limit(self):
        c = ClientConn(self.nx.port)
        self.addCleanup(c.close)
        c.send(b"POST /u HTTP/1.1\r\nHost: gw.test\r\nTransfer-Encoding: chunked\r\n\r\n"
               b"400\r\n" + b"a" * 1024 + b"\r\n")
        c.send(b"10\r\n" + b"b" * 16 + b"\r\n0\r\n\r\n")
        r = c.read_response()
        self.assertEqual(r.status, 413, r)
        self.assertEqual(r.header("connection"), "close")


if __name__ == "__main__":
    unittest.main()
