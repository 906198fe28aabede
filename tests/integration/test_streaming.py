"""Streaming: SSE flushed event by event (the upstream holds event N+1 until the client has event
N), slow-client backpressure with bounded memory, client disconnects cancelling the upstream
request, and upstream resets in the middle of a body."""

import threading
import time
import unittest

from nexus_harness import (Closed, ClientConn, NexusTestCase, cluster, free_port, large_body,
                           make_config, never_respond, read_body_until, reset, sse, wait_until)

EVENTS = [b"data: {\"n\":0}\n\n", b"event: delta\ndata: {\"n\":1}\n\n",
          b"data: {\"n\":2}\n\n", b"data: [DONE]\n\n"]

class StreamingTest(NexusTestCase):
    def start(self, handler, sndbuf=None, **cluster_kw):
        self.up = self.upstream(handler, name="up", sndbuf=sndbuf)
        self.nx = self.nexus(make_config(free_port(), {"up": cluster(self.up, **cluster_kw)},
                                         [{"match": {"prefix": "/"}, "cluster": "up"}]))

    def client(self, timeout=5.0, **kw):
        c = ClientConn(self.nx.port, timeout=timeout, **kw)
        self.addCleanup(c.close)
        return c

    def check_event_by_event(self, chunked):
        gates = {i: threading.Event() for i in range(1, len(EVENTS))}
        self.addCleanup(lambda: [g.set() for g in gates.values()])
        self.start(sse(EVENTS, gates, chunked=chunked))
        c = self.client(timeout=5.0)
        c.send_request("POST", "/v1/chat/completions", {"Accept": "text/event-stream"}, b"{}")
        head = c.responses.read_head()
        self.assertEqual(head.status, 200, head)
        self.assertIn("text/event-stream", head.header("content-type"))
        acc = bytearray()
        for i, ev in enumerate(EVENTS):
            # Event i+1 is held by the upstream until we have event i: a buffering proxy fails here.
            self.assertTrue(read_body_until(c.responses, acc, ev, timeout=5.0),
                            f"event {i} not delivered while the upstream holds event {i + 1}; "
                            f"got {bytes(acc)!r}")
            self.assertEqual(bytes(acc), b"".join(EVENTS[:i + 1]))
            if i + 1 in gates:
                self.assertFalse(gates[i + 1].is_set())
                gates[i + 1].set()
        self.assertIsNone(c.responses.read_piece(), "stream did not end after the last event")

    def test_sse_chunked_is_flushed_event_by_event(self):
        self.check_event_by_event(chunked=True)

    def test_sse_close_delimited_is_flushed_event_by_event(self):
        self.check_event_by_event(chunked=False)

    def test_sse_keep_alive_connection_reusable_after_stream(self):
        self.start(sse(EVENTS))
        c = self.client()
        for _ in range(2):
            r = c.request("GET", "/stream")
            self.assertEqual((r.status, r.body), (200, b"".join(EVENTS)))

    def test_slow_client_backpressure_bounds_memory(self):
        total = 64 * 1024 * 1024
        self.start(large_body(total), sndbuf=64 * 1024)
        c = self.client(timeout=20.0, rcvbuf=64 * 1024)
        base_rss = self.nx.rss_kib()
        c.send_request("GET", "/big")
        head = c.responses.read_head()
        self.assertEqual(head.status, 200, head)
        self.assertEqual(head.length, total)

        # Do not read. The upstream must be slowed down: wait for its progress to stop.
        samples = []

        def stalled():
            samples.append((time.monotonic(), self.up.bytes_sent()))
            old = [s for t, s in samples if t <= samples[-1][0] - 0.75]
            return bool(old) and old[-1] == samples[-1][1] and samples[-1][1] > 0

        self.assertTrue(wait_until(stalled, timeout=20.0, interval=0.05),
                        f"upstream never stalled: sent {self.up.bytes_sent()} bytes")
        sent = self.up.bytes_sent()
        rss = self.nx.rss_kib()
        self.assertLess(sent, total // 2,
                        f"nexus read {sent} bytes from the upstream while the client read none")
        self.assertLess(rss - base_rss, 16 * 1024,
                        f"nexus RSS grew by {rss - base_rss} KiB for one stalled connection")

        # Now read everything: it must all arrive intact.
        got = 0
        first = None
        while True:
            piece = c.responses.read_piece()
            if piece is None:
                break
            if first is None:
                first = piece[:16]
            got += len(piece)
        self.assertEqual(got, total)
        self.assertEqual(first, b"0123456789abcdef")

    def test_client_disconnect_cancels_pending_upstream_request(self):
        self.start(never_respond(timeout=15.0))
        c = self.client()
        c.send_request("POST", "/v1/slow", body=b"{}")
        self.assertTrue(self.up.wait_requests(1, 5.0), "request never reached the upstream")
        c.close()
        conn = self.up.last().conn
        self.assertTrue(wait_until(conn.peer_closed.is_set, 5.0),
                        "nexus kept the upstream request open after the client left")

    def test_client_disconnect_mid_stream_cancels_upstream(self):
        result = {}

        def handler(req, conn):
            conn.send(b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
                      b"Transfer-Encoding: chunked\r\n\r\n")
            conn.send(b"%x\r\n%s\r\n" % (len(EVENTS[0]), EVENTS[0]))
            result["closed"] = conn.wait_peer_close(10.0)
            return False

        self.start(handler)
        c = self.client()
        c.send_request("GET", "/stream")
        acc = bytearray()
        self.assertEqual(c.responses.read_head().status, 200)
        self.assertTrue(read_body_until(c.responses, acc, EVENTS[0], 5.0))
        c.reset()
        conn = wait_until(lambda: self.up.last() and self.up.last().conn, 1.0)
        self.assertTrue(wait_until(conn.peer_closed.is_set, 5.0),
                        "upstream stream not cancelled after the client disconnected")

    def test_upstream_reset_mid_body_closes_client_connection(self):
        self.start(reset(after=b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n" + b"x" * 100))
        c = self.client()
        c.send_request("GET", "/")
        head = c.responses.read_head()
        self.assertEqual(head.status, 200)
        body = bytearray()
        truncated = False
        try:
            while True:
                piece = c.responses.read_piece()
                if piece is None:
                    break
                body += piece
        except Closed:
            truncated = True
        self.assertTrue(truncated, "connection not closed after the upstream reset")
        self.assertLess(len(body), 1000, "a truncated body was delivered as complete")

    def test_upstream_eof_mid_chunked_stream_is_not_completed(self):
        def handler(req, conn):
            conn.send(b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
                      b"Transfer-Encoding: chunked\r\n\r\n")
            conn.send(b"%x\r\n%s\r\n" % (len(EVENTS[0]), EVENTS[0]))
            return False  # closes without the last-chunk

        self.start(handler)
        c = self.client()
        c.send_request("GET", "/stream")
        self.assertEqual(c.responses.read_head().status, 200)
        acc = bytearray()
        self.assertTrue(read_body_until(c.responses, acc, EVENTS[0], 5.0))
        with self.assertRaises(Closed, msg="nexus terminated a truncated stream cleanly"):
            while c.responses.read_piece() is not None:
                pass


if __name__ == "__main__":
    unittest.main()
