"""HTTP/1.1 semantics around the proxy: Expect: 100-continue, HTTP/1.0 clients, interim and
101 responses from upstreams, the route's total timeout, and IPv6 listeners."""

import socket
import threading
import time
import unittest

from nexus_harness import (ClientConn, NexusTestCase, ResponseReader, cluster, free_port,
                           make_config, ok, raw, request, wait_until)


def catch_all(**route):
    return [dict({"match": {"prefix": "/"}, "cluster": "up"}, **route)]


class ExpectContinueTest(NexusTestCase):
    def setUp(self):
        self.up = self.upstream(ok())
        self.nx = self.nexus(make_config(free_port(), {"up": cluster(self.up)}, catch_all()))

    def test_100_continue_is_sent_before_the_body_is_read(self):
        c = ClientConn(self.nx.port)
        self.addCleanup(c.close)
        c.send(b"POST /upload HTTP/1.1\r\nHost: gw.test\r\nExpect: 100-continue\r\n"
               b"Content-Length: 5\r\n\r\n")
        interim = ResponseReader(c.reader).read_head(skip_interim=False)
        self.assertEqual(interim.status, 100)
        c.send(b"hello")
        r = c.read_response()
        self.assertEqual(r.status, 200, r)
        self.assertEqual(self.up.last().body, b"hello")
        self.assertIsNone(self.up.last().header("expect"), "Expect is handled by Nexus")


class Http10ClientTest(NexusTestCase):
    def test_keep_alive_only_when_asked_and_chunked_becomes_close_delimited(self):
        def chunked(req, conn):
            conn.send(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                      b"5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n")
        up = self.upstream(chunked)
        nx = self.nexus(make_config(free_port(), {"up": cluster(up)}, catch_all()))
        c = ClientConn(nx.port)
        self.addCleanup(c.close)
        c.send(b"GET /a HTTP/1.0\r\n\r\n")
        data, saw_eof = c.read_until_idle(idle=2.0, total=5.0)
        head, _, body = data.partition(b"\r\n\r\n")
        self.assertIn(b" 200 ", head.split(b"\r\n")[0])
        self.assertNotIn(b"chunked", head.lower(), "HTTP/1.0 clients do not get chunked")
        self.assertEqual(body, b"hello world")
        self.assertTrue(saw_eof, "the body is delimited by closing the connection")

    def test_http10_keep_alive_with_content_length(self):
        up = self.upstream(ok())
        nx = self.nexus(make_config(free_port(), {"up": cluster(up)}, catch_all()))
        c = ClientConn(nx.port)
        self.addCleanup(c.close)
        for path in ("/one", "/two"):
            c.send(f"GET {path} HTTP/1.0\r\nConnection: keep-alive\r\n\r\n".encode())
            r = c.read_response()
            self.assertEqual(r.status, 200, r)
            self.assertEqual((r.header("connection") or "").lower(), "keep-alive")
        self.assertEqual(up.count(), 2)


class UpstreamInterimResponsesTest(NexusTestCase):
    def test_100_and_103_from_upstream_are_not_forwarded(self):
        up = self.upstream(raw(b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\n"
                               b"Link: </a.css>\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
                               close=False))
        nx = self.nexus(make_config(free_port(), {"up": cluster(up)}, catch_all()))
        c = ClientConn(nx.port)
        self.addCleanup(c.close)
        c.send_request("GET", "/")
        first = ResponseReader(c.reader).read_head(skip_interim=False)
        self.assertEqual(first.status, 200)

    def test_unrequested_101_is_502(self):
        up = self.upstream(raw(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                               b"Connection: upgrade\r\n\r\n"))
        nx = self.nexus(make_config(free_port(), {"up": cluster(up)}, catch_all()))
        r = request(nx.port, "GET", "/", {"Upgrade": "websocket", "Connection": "upgrade"})
        self.assertErrorJson(r, 502)
        self.assertIsNone(up.last().header("upgrade"), "Upgrade is hop-by-hop: never forwarded")


class ErrorKeepsFramingTest(NexusTestCase):
    def test_body_of_a_failed_request_is_not_read_as_the_next_request(self):
        served = []

        def garbage_then_ok(req, conn):
            served.append(req.target)
            if len(served) == 1:
                conn.send(b"garbage\r\n\r\n")
                return False
            return ok()(req, conn)
        up = self.upstream(garbage_then_ok)
        nx = self.nexus(make_config(free_port(), {"up": cluster(up)}, catch_all()))
        c = ClientConn(nx.port)
        self.addCleanup(c.close)
        body = b"GET /smuggled HTTP/1.1\r\nHost: gw.test\r\n\r\n"
        r = c.request("POST", "/first", {"Content-Type": "text/plain"}, body)
        self.assertErrorJson(r, 502)
        r = c.request("GET", "/second")
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.header("x-upstream-path"), "/second")
        self.assertEqual(served, ["/first", "/second"], "the body was taken for a request")

    def test_malformed_request_after_a_head_request_gets_its_error_body(self):
        # The connection's state served a HEAD first: the 400 for the next, unparsable head
        # must not be taken for a HEAD response (no body) nor logged as the HEAD request.
        up = self.upstream(ok())
        nx = self.nexus(make_config(free_port(), {"up": cluster(up)}, catch_all()))
        c = ClientConn(nx.port)
        self.addCleanup(c.close)
        self.assertEqual(c.request("HEAD", "/first").status, 200)
        c.send(b"GET /bad HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n")
        self.assertErrorJson(c.read_response(), 400)


class RouteTotalTimeoutTest(NexusTestCase):
    def test_total_timeout_is_504_even_while_bytes_trickle(self):
        release = threading.Event()
        self.addCleanup(release.set)

        def slow_head(req, conn):
            for part in (b"HTTP/1.1 200 OK\r\n", b"X-A: 1\r\n", b"X-B: 2\r\n", b"X-C: 3\r\n"):
                conn.send(part)
                if release.wait(0.2):
                    return False
            release.wait(5)
            return False
        up = self.upstream(slow_head)
        routes = catch_all(timeouts={"first_byte": "5s", "idle": "5s", "total": "300ms"})
        nx = self.nexus(make_config(free_port(), {"up": cluster(up)}, routes))
        started = time.monotonic()
        r = request(nx.port, "GET", "/", timeout=5.0)
        self.assertErrorJson(r, 504)
        # first_byte and idle (5 s) would also end in 504, but only much later.
        self.assertLess(time.monotonic() - started, 3.0, "the total timeout did not apply")


class Ipv6ListenerTest(NexusTestCase):
    def test_serves_on_ipv6_loopback(self):
        try:
            probe = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
            probe.bind(("::1", 0))
            port = probe.getsockname()[1]
            probe.close()
        except OSError:
            self.skipTest("no IPv6 loopback on this machine")
        routes = [{"match": {"path": "/healthz"}, "direct_response": {"status": 200, "body": "up"}}]
        cfg = make_config(port, routes=routes, listen=[f"[::1]:{port}"])
        nx = self.nexus(cfg, ports=[])
        def answered():
            try:
                with socket.create_connection(("::1", port), timeout=1.0) as s:
                    s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                    data = b""
                    while chunk := s.recv(4096):
                        data += chunk
                    return data
            except OSError:
                return b""
        data = wait_until(answered, 5.0)
        self.assertTrue(data.startswith(b"HTTP/1.1 200"), data)
        self.assertTrue(data.endswith(b"up"), data)


if __name__ == "__main__":
    unittest.main()
