"""The chaos harness's fault proxy (harness/fault_proxy.py): each fault does what it says, first
between a raw client and a test upstream, then between nexus and its upstream."""

import socket
import time
import unittest

from harness.fault_proxy import Fault, FaultProxy
from nexus_harness import (ClientConn, NexusTestCase, cluster, free_port, large_body, make_config,
                           ok, port_accepts, request, sse)


class FaultProxyTestCase(NexusTestCase):
    def proxy(self, upstream):
        p = FaultProxy(upstream.address)
        self.addCleanup(p.stop)
        return p

    def client(self, proxy, timeout=5.0):
        c = ClientConn(proxy.port, timeout=timeout)
        self.addCleanup(c.sock.close)
        return c

    def read_all(self, conn):
        """Everything the peer sends until it closes (EOF)."""
        data = b""
        while True:
            chunk = conn.sock.recv(65536)
            if not chunk:
                return data
            data += chunk


class FaultsTest(FaultProxyTestCase):
    def setUp(self):
        self.up = self.upstream(ok(b"hello"))
        self.px = self.proxy(self.up)

    def test_passthrough_forwards_both_ways(self):
        r = self.client(self.px).request("GET", "/a")
        self.assertEqual((r.status, r.body), (200, b"hello"))
        self.assertEqual(self.up.last().target, "/a")
        self.assertEqual(self.px.count("pass"), 1)

    def test_latency_holds_the_answer_back(self):
        self.px.set(Fault.latency(0.3))
        began = time.monotonic()
        r = self.client(self.px).request("GET", "/")
        self.assertEqual(r.status, 200)
        self.assertGreaterEqual(time.monotonic() - began, 0.3)

    def test_reset_before_the_upstream_is_contacted(self):
        self.px.set(Fault.reset())
        c = self.client(self.px)
        c.send_request("GET", "/")
        with self.assertRaises(ConnectionResetError):
            c.sock.recv(65536)
        self.assertEqual(self.up.count(), 0)

    def test_reset_after_part_of_the_answer(self):
        up = self.upstream(large_body(100_000))
        px = self.proxy(up)
        px.set(Fault.reset(after=1000))
        c = self.client(px)
        c.send_request("GET", "/")
        received = b""
        with self.assertRaises(ConnectionResetError):
            while True:
                chunk = c.sock.recv(65536)
                if not chunk:
                    break
                received += chunk
        self.assertLessEqual(len(received), 1000)

    def test_truncate_forwards_exactly_that_much_then_closes(self):
        up = self.upstream(large_body(100_000))
        px = self.proxy(up)
        px.set(Fault.truncate(after=5000))
        c = self.client(px)
        c.send_request("GET", "/")
        self.assertEqual(len(self.read_all(c)), 5000)

    def test_blackhole_never_answers_and_never_connects(self):
        self.px.set(Fault.blackhole())
        c = self.client(self.px, timeout=0.5)
        c.send_request("GET", "/")
        with self.assertRaises(socket.timeout):
            c.sock.recv(65536)
        self.assertEqual(self.up.connection_count(), 0)

    def test_error_is_answered_by_the_proxy(self):
        self.px.set(Fault.error(429, headers=[("retry-after", "2")]))
        c = self.client(self.px)
        r = c.request("POST", "/v1/chat/completions", body=b'{"model":"m"}')
        self.assertEqual(r.status, 429)
        self.assertEqual(r.header("retry-after"), "2")
        self.assertEqual(r.json()["error"]["code"], "fault_injected")
        self.assertTrue(c.wait_closed(), "an injected error closes its connection")
        self.assertEqual(self.up.count(), 0)

    def test_throttle_paces_the_answer(self):
        up = self.upstream(large_body(40_000))
        px = self.proxy(up)
        px.set(Fault.throttle(100_000))
        c = self.client(px)
        began = time.monotonic()
        r = c.request("GET", "/")
        self.assertEqual(len(r.body), 40_000)
        self.assertGreaterEqual(time.monotonic() - began, 0.3)  # 40 kB at 100 kB/s, in 50-ms slices

    def test_first_n_connections_only(self):
        self.px.set(Fault.error(500), first=2)
        statuses = [self.client(self.px).request("GET", "/").status for _ in range(4)]
        self.assertEqual(statuses, [500, 500, 200, 200])

    def test_share_draws_per_connection_with_a_fixed_seed(self):
        self.px.set(Fault.error(503), share=0.5)
        statuses = [self.client(self.px).request("GET", "/").status for _ in range(40)]
        self.assertEqual(statuses.count(503), self.px.count("error"))
        self.assertTrue(5 < statuses.count(503) < 35, statuses)  # a fair draw, not all or none
        self.assertEqual(statuses.count(200), self.up.count())

    def test_down_refuses_then_up_accepts_on_the_same_port(self):
        port = self.px.port
        self.px.down()
        with self.assertRaises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.1", port), timeout=2).close()
        self.px.up()
        self.assertEqual(self.px.port, port)
        self.assertTrue(port_accepts(port))
        self.assertEqual(self.client(self.px).request("GET", "/").status, 200)


class ThroughNexusTest(FaultProxyTestCase):
    """What nexus does today when its upstream fails in each way (the resilience work builds on
    this: retries, fallbacks and breakers change the outcomes, not the faults)."""

    def start(self, handler, timeouts=None):
        self.up = self.upstream(handler)
        self.px = self.proxy(self.up)
        route = {"match": {"prefix": "/"}, "cluster": "up"}
        if timeouts:
            route["timeouts"] = timeouts
        self.nx = self.nexus(make_config(free_port(), {"up": cluster(self.px.address)}, [route]))

    def test_reset_before_the_answer_is_a_502_json_error(self):
        self.start(ok())
        self.px.set(Fault.reset())
        r = request(self.nx.port, "POST", "/v1/x", body=b"{}")
        self.assertErrorJson(r, 502)

    def test_refused_connection_is_a_502_json_error(self):
        self.start(ok())
        self.px.down()
        self.assertErrorJson(request(self.nx.port, "GET", "/"), 502)

    def test_blackholed_upstream_hits_the_first_byte_timeout(self):
        self.start(ok(), timeouts={"first_byte": "300ms"})
        self.px.set(Fault.blackhole())
        self.assertErrorJson(request(self.nx.port, "GET", "/"), 504)

    def test_stream_cut_midway_ends_the_client_stream_without_its_last_chunk(self):
        events = [b"data: one\n\n", b"data: two\n\n", b"data: three\n\n"]
        self.start(sse(events))
        self.px.set(Fault.truncate(after=150))  # the head and part of the first events
        c = ClientConn(self.nx.port)
        self.addCleanup(c.sock.close)
        c.send_request("GET", "/sse")
        received = self.read_all(c)
        self.assertTrue(received.startswith(b"HTTP/1.1 200"), received)
        self.assertNotIn(b"three", received)
        self.assertFalse(received.endswith(b"0\r\n\r\n"), "a cut stream must not end cleanly")

    def test_injected_upstream_error_is_relayed(self):
        self.start(ok())
        self.px.set(Fault.error(503, body=b'{"error":"busy"}'))
        r = request(self.nx.port, "GET", "/")
        self.assertEqual((r.status, r.body), (503, b'{"error":"busy"}'))


if __name__ == "__main__":
    unittest.main()
