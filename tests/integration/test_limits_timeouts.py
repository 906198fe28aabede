"""Limits (413/414/431, max_requests_per_connection, max_connections), server timeouts
(408 on head/body, idle keep-alive) and upstream failures mapped to 502/503/504 with the JSON
error body."""

import threading
import time
import unittest

from nexus_harness import (ClientConn, NexusTestCase, cluster, free_port, gated, make_config,
                           never_respond, raw, request, reset, wait_until)

SMALL_LIMITS = {"max_request_line_bytes": "1KiB", "max_request_head_bytes": "4KiB",
                "max_header_count": 20, "max_body_bytes": "1KiB"}


class Base(NexusTestCase):
    def start(self, handler=None, limits=None, timeouts=None, route_timeouts=None,
              endpoints=None, **cluster_kw):
        self.up = self.upstream(handler, name="up")
        route = {"match": {"prefix": "/"}, "cluster": "up"}
        if route_timeouts:
            route["timeouts"] = route_timeouts
        eps = endpoints or [self.up.address]
        self.nx = self.nexus(make_config(free_port(), {"up": cluster(*eps, **cluster_kw)}, [route],
                                         limits=limits, timeouts=timeouts))
        return self.nx

    def client(self, timeout=5.0):
        c = ClientConn(self.nx.port, timeout=timeout)
        self.addCleanup(c.close)
        return c


class LimitsTest(Base):
    def setUp(self):
        self.start(limits=SMALL_LIMITS)

    def test_413_is_sent_as_soon_as_content_length_is_too_big(self):
        c = self.client(timeout=3.0)
        c.send(b"POST /v1/upload HTTP/1.1\r\nHost: gw.test\r\nContent-Length: 2048\r\n\r\n")
        r = c.read_response()  # the body is never sent: nexus must not wait for it
        self.assertErrorJson(r, 413, "invalid_request_error")
        self.assertTrue(c.wait_closed(6.0), "connection left open after 413")
        self.assertEqual(self.up.count(), 0)

    def test_chunked_body_over_limit_is_413(self):
        c = self.client()
        c.send(b"POST / HTTP/1.1\r\nHost: gw.test\r\nTransfer-Encoding: chunked\r\n\r\n"
               + (b"258\r\n" + b"a" * 600 + b"\r\n") * 2 + b"0\r\n\r\n")
        r = c.read_response()
        self.assertErrorJson(r, 413, "invalid_request_error")
        self.assertEqual(self.up.count(), 0, "an over-limit body reached the upstream complete")

    def test_431_too_many_headers(self):
        r = request(self.nx.port, "GET", "/", [(f"X-H{i}", "v") for i in range(25)])
        self.assertErrorJson(r, 431, "invalid_request_error")
        self.assertEqual(self.up.count(), 0)

    def test_431_header_block_too_big(self):
        r = request(self.nx.port, "GET", "/", {"Cookie": "c" * 5000})
        self.assertErrorJson(r, 431, "invalid_request_error")
        self.assertEqual(self.up.count(), 0)

    def test_414_request_line_too_long(self):
        r = request(self.nx.port, "GET", "/" + "p" * 2000)
        self.assertErrorJson(r, 414, "invalid_request_error")
        self.assertEqual(self.up.count(), 0)

    def test_requests_within_limits_pass(self):
        r = request(self.nx.port, "POST", "/" + "p" * 900, [(f"X-H{i}", "v") for i in range(15)],
                    b"b" * 1024)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(len(self.up.last().body), 1024)


class ConnectionLimitsTest(Base):
    def test_max_requests_per_connection(self):
        self.start(limits={"max_requests_per_connection": 2})
        c = self.client()
        self.assertEqual(c.request("GET", "/1").status, 200)
        r = c.request("GET", "/2")
        self.assertEqual(r.status, 200)
        self.assertIn("close", (r.header("connection") or "").lower(), r)
        self.assertTrue(c.wait_closed(3.0), "connection not closed after its last request")
        self.assertEqual(request(self.nx.port, "GET", "/3").status, 200)  # a new one is fine

    def test_max_connections_gives_503(self):
        self.start(limits={"max_connections": 2})
        # The harness's readiness probe is a connection too; until Nexus has seen it close it
        # still counts, so a held connection is retried until it is served.
        held = []
        for _ in range(2):
            def served():
                c = self.client()
                try:
                    if c.request("GET", "/").status == 200:
                        held.append(c)
                        return True
                except Exception:  # noqa: BLE001 -- refused while the probe still counts
                    pass
                c.close()
                return False
            self.assertTrue(wait_until(served, 5.0))
        c = self.client()
        try:
            c.send_request("GET", "/")
            r = c.read_response()
        except Exception as e:  # noqa: BLE001 -- a bare close is not what the spec asks for
            self.fail(f"third connection got no 503 response: {e!r}")
        self.assertErrorJson(r, 503)
        for c in held:
            c.close()
        # once the others are gone a new connection is served again
        self.assertTrue(wait_until(lambda: self._try_get() == 200, 5.0))

    def _try_get(self):
        try:
            return request(self.nx.port, "GET", "/", timeout=2.0).status
        except Exception:  # noqa: BLE001
            return None


class ServerTimeoutsTest(Base):
    def setUp(self):
        self.start(timeouts={"header": "500ms", "body": "500ms", "idle": "700ms"})

    def test_408_when_head_is_incomplete(self):
        c = self.client()
        t0 = time.monotonic()
        c.send(b"GET / HTTP/1.1\r\nHost: gw")
        r = c.read_response()
        elapsed = time.monotonic() - t0
        self.assertErrorJson(r, 408, "invalid_request_error")
        self.assertGreater(elapsed, 0.4)
        self.assertLess(elapsed, 4.0)
        self.assertTrue(c.wait_closed(3.0))
        self.assertEqual(self.up.count(), 0)

    def test_408_for_slowloris_trickle(self):
        c = self.client()
        t0 = time.monotonic()
        head = b"GET / HTTP/1.1\r\nHost: gw.test\r\n" + b"X-Slow: " + b"a" * 100
        sent = 0
        # Trickle one byte per 100 ms; the header timeout runs from the first byte regardless.
        while sent < len(head) and time.monotonic() - t0 < 5.0:
            try:
                c.send(head[sent:sent + 1])
            except OSError:
                break
            sent += 1
            c.sock.settimeout(0.1)
            try:
                data = c.sock.recv(65536, 2)  # MSG_PEEK: has nexus answered?
                if data:
                    break
            except TimeoutError:
                pass
            except OSError:
                break
        c.sock.settimeout(3.0)
        r = c.read_response()
        self.assertErrorJson(r, 408)
        self.assertLess(time.monotonic() - t0, 4.0)

    def test_408_when_body_stalls(self):
        c = self.client()
        c.send(b"POST / HTTP/1.1\r\nHost: gw.test\r\nContent-Length: 10\r\n\r\nabc")
        r = c.read_response()
        self.assertErrorJson(r, 408, "invalid_request_error")
        self.assertTrue(c.wait_closed(3.0))

    def test_idle_keep_alive_connection_is_closed(self):
        c = self.client()
        self.assertEqual(c.request("GET", "/").status, 200)
        t0 = time.monotonic()
        self.assertTrue(c.wait_closed(5.0), "idle connection never closed")
        self.assertGreater(time.monotonic() - t0, 0.5)


class UpstreamFailuresTest(Base):
    def test_connect_refused_is_502(self):
        self.start(endpoints=[f"127.0.0.1:{free_port()}"], connect_timeout="2s")
        r = request(self.nx.port, "GET", "/")
        self.assertErrorJson(r, 502, "upstream_error")

    def test_upstream_closes_without_response_is_502(self):
        self.start(raw(b"", close=True))
        self.assertErrorJson(request(self.nx.port, "GET", "/"), 502, "upstream_error")

    def test_upstream_reset_is_502(self):
        self.start(reset())
        self.assertErrorJson(request(self.nx.port, "GET", "/"), 502, "upstream_error")

    def test_malformed_upstream_responses_are_502(self):
        bad = [b"garbage\r\n\r\n",
               b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!",
               b"HTTP/1.1 200 OK\r\nContent-Length: abc\r\n\r\nok",
               b"HTTP/1.1 2000 OK\r\nContent-Length: 2\r\n\r\nok",
               # Smuggling-shaped responses are not passed on, whatever the client could make
               # of them.
               b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n"
               b"2\r\nok\r\n0\r\n\r\n",
               b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\nok",
               b"HTTP/1.1 200 OK\r\nX-A: 1\r\n folded\r\nContent-Length: 2\r\n\r\nok",
               b"HTTP/1.1 200 OK\nContent-Length: 2\n\nok",
               b"HTTP/1.1 200 OK\r\nX-A: a\x00b\r\nContent-Length: 2\r\n\r\nok",
               b"HTTP/1.1 200 OK\r\nX A: 1\r\nContent-Length: 2\r\n\r\nok",
               b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nok\r\n0\r\n\r\n"]
        self.start()
        for data in bad:
            self.up.handler = raw(data, close=True)
            r = request(self.nx.port, "GET", "/")
            with self.subTest(response=data):
                self.assertErrorJson(r, 502, "upstream_error")

    def test_first_byte_timeout_is_504_and_upstream_is_closed(self):
        self.start(never_respond(timeout=10.0), route_timeouts={"first_byte": "400ms"})
        t0 = time.monotonic()
        r = request(self.nx.port, "GET", "/")
        elapsed = time.monotonic() - t0
        self.assertErrorJson(r, 504, "upstream_error")
        self.assertGreater(elapsed, 0.3)
        self.assertLess(elapsed, 4.0)
        conn = self.up.last().conn
        self.assertTrue(wait_until(conn.peer_closed.is_set, 3.0),
                        "nexus kept the timed-out upstream connection")

    def test_stream_idle_timeout_closes_client(self):
        def handler(req, conn):
            conn.send(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n" + b"x" * 10)
            conn.wait_peer_close(10.0)
            return False

        self.start(handler, route_timeouts={"idle": "400ms"})
        c = self.client()
        c.send_request("GET", "/")
        self.assertEqual(c.responses.read_head().status, 200)
        t0 = time.monotonic()
        self.assertTrue(c.wait_closed(5.0), "stalled upstream stream never timed out")
        self.assertGreater(time.monotonic() - t0, 0.2)
        self.assertTrue(wait_until(self.up.last().conn.peer_closed.is_set, 3.0))

    def test_pool_full_is_503(self):
        gate = threading.Event()
        self.addCleanup(gate.set)
        self.start(gated(gate), pool={"max_connections": 1})
        result = {}

        def first():
            result["r"] = request(self.nx.port, "GET", "/held", timeout=10.0)

        t = threading.Thread(target=first, daemon=True)
        t.start()
        self.assertTrue(self.up.wait_requests(1, 5.0))
        r = request(self.nx.port, "GET", "/second", timeout=10.0)
        gate.set()
        t.join(10.0)
        self.assertErrorJson(r, 503)
        self.assertEqual(result["r"].status, 200)


if __name__ == "__main__":
    unittest.main()
