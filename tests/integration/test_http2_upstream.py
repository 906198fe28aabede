"""HTTP/2 to the upstream (clusters with `protocol: h2`): exact bytes both ways, the HTTP/1.1 ->
HTTP/2 header conversion, multiplexing many requests on one connection and opening more when the
peer's or our stream limit is reached, SSE relayed per event, request bodies held back by the
upstream's flow-control window (backpressure to the client), TLS with ALPN h2, the one retry of
a REFUSED_STREAM, the error statuses (502 / 504 / a truncated body), trailers to HTTP/1.1 chunked
clients, and connections the upstream ends (GOAWAY, FIN) being replaced.

The upstream is harness/h2upstream.py (Debian's python3-h2), so run with /usr/bin/python3:
    NEXUS_BIN=... /usr/bin/python3 -m unittest -v test_http2_upstream
"""

import os
import select
import socket
import subprocess
import tempfile
import threading
import time
import unittest

from nexus_harness import (Closed, ClientConn, NexusTestCase, TestPKI, cluster, free_port,
                           make_config, read_body_until, request, wait_until)
from harness.h2upstream import (CANCEL, INTERNAL_ERROR, REFUSED_STREAM, H2Upstream, h2_echo,
                                h2_gated, h2_large_body, h2_never_respond, h2_ok, h2_reset,
                                h2_sequence, h2_server_tls_context, h2_sse, pattern, PREFACE)

MIB = 1024 * 1024
EVENTS = [b"data: {\"n\":0}\n\n", b"event: delta\ndata: {\"n\":1}\n\n",
          b"data: {\"n\":2}\n\n", b"data: [DONE]\n\n"]
# Connection-specific fields (RFC 9113 section 8.2.2) that must never reach an HTTP/2 peer.
CONNECTION_SPECIFIC = ("connection", "keep-alive", "proxy-connection", "transfer-encoding",
                       "upgrade")

def read_chunked_with_trailers(reader):
    """Reads a chunked body off a harness Reader. Returns (body, [(name, value)] trailers)."""
    body = bytearray()
    while True:
        line = reader.read_until(b"\r\n")
        size = int(line.split(b";")[0].strip(), 16)
        if size == 0:
            break
        body += reader.read_exact(size)
        if reader.read_exact(2) != b"\r\n":
            raise ValueError("bad chunk end")
    trailers = []
    while True:
        line = reader.read_until(b"\r\n")
        if line == b"\r\n":
            return bytes(body), trailers
        name, _, value = line.decode("latin-1").partition(":")
        trailers.append((name.strip(), value.strip()))


def parallel(n, fn):
    """Runs fn(i) for i in range(n) on threads; returns their results (exceptions included)."""
    results = [None] * n

    def run(i):
        try:
            results[i] = fn(i)
        except Exception as e:  # noqa: BLE001 -- reported by the test
            results[i] = e

    threads = [threading.Thread(target=run, args=(i,), daemon=True) for i in range(n)]
    for t in threads:
        t.start()
    return threads, results


def join_all(threads, timeout):
    deadline = time.monotonic() + timeout
    for t in threads:
        t.join(max(0.0, deadline - time.monotonic()))
    return not any(t.is_alive() for t in threads)


class H2UpstreamCase(NexusTestCase):
    """One nexus (workers: 1) in front of one H2Upstream; `h2_port` is an extra listener with
    HTTP/2 enabled (prior knowledge) when h2_listener=True."""

    def start(self, handler=None, cluster_kw=None, route_kw=None, h2_listener=False,
              endpoint=None, **upstream_kw):
        self.up = H2Upstream(handler, name="h2up", **upstream_kw)
        self.addCleanup(self.up.stop)
        port = free_port()
        listen = [f"127.0.0.1:{port}"]
        self.h2_port = None
        if h2_listener:
            self.h2_port = free_port()
            listen.append({"address": f"127.0.0.1:{self.h2_port}", "http2": True})
        cl = cluster(endpoint or self.up, protocol="h2", **(cluster_kw or {}))
        route = dict({"match": {"prefix": "/"}, "cluster": "up"}, **(route_kw or {}))
        self.nx = self.nexus(make_config(port, {"up": cl}, [route], listen=listen, workers=1))
        return self.up

    def client(self, timeout=5.0):
        c = ClientConn(self.nx.port, timeout=timeout)
        self.addCleanup(c.close)
        return c

    def assertNoExcessStreams(self):
        for conn in self.up.conns():
            self.assertEqual([s for s, acked in conn.excess if acked], [],
                             f"connection {conn.id}: streams opened over the advertised "
                             f"MAX_CONCURRENT_STREAMS after our SETTINGS were acknowledged")
            self.assertIsNone(conn.protocol_error, f"connection {conn.id}")


# --------------------------------------------------------------------------------------------
# Bytes and headers
# --------------------------------------------------------------------------------------------

class ExactBytesTest(H2UpstreamCase):
    def test_get_is_proxied_with_exact_response_bytes(self):
        body = pattern(3000, seed=1)
        self.start(h2_ok(body, headers=[("x-custom", "Some Value"), ("cache-control", "no-store")]))
        r = request(self.nx.port, "GET", "/a/b?c=1&d=%20x")
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.body, body)
        self.assertEqual(r.header("x-custom"), "Some Value", r)
        self.assertEqual(r.header("cache-control"), "no-store", r)
        got = self.up.last()
        self.assertEqual((got.method, got.path, got.scheme), ("GET", "/a/b?c=1&d=%20x", "http"))
        self.assertEqual(got.body, b"")
        self.assertIsNone(got.header("content-length"), got)

    def test_post_body_is_forwarded_and_echoed_exactly(self):
        self.start(h2_echo())
        body = pattern(100000, seed=2)
        r = request(self.nx.port, "POST", "/echo", {"Content-Type": "application/octet-stream"},
                    body)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(self.up.last().body, body)
        self.assertEqual(r.body, body)
        cl = self.up.last().header("content-length")
        self.assertIn(cl, (None, str(len(body))), "content-length differs from the body sent")

    def test_5mib_request_and_response_bodies(self):
        self.start(h2_echo())
        body = pattern(5 * MIB, seed=3)
        c = self.client(timeout=30.0)
        r = c.request("POST", "/big", {"Content-Type": "application/octet-stream"}, body)
        self.assertEqual(r.status, 200, r)
        got = self.up.last()
        self.assertEqual(len(got.body), len(body))
        self.assertTrue(got.body == body, "request body corrupted on the way to the upstream")
        self.assertEqual(len(r.body), len(body))
        self.assertTrue(r.body == body, "response body corrupted on the way to the client")
        # and the connection is still good for another request
        r2 = c.request("GET", "/after")
        self.assertEqual(r2.status, 200, r2)
        self.assertEqual(self.up.connection_count(), 1)

    def test_5mib_response_with_content_length(self):
        self.start(h2_large_body(5 * MIB, content_length=True))
        c = self.client(timeout=30.0)
        r = c.request("GET", "/big")
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.header("content-length"), str(5 * MIB), r.headers)
        self.assertTrue(r.body == pattern(65536) * 80, "5 MiB response body corrupted")

    def test_chunked_request_body_is_forwarded_without_transfer_encoding(self):
        self.start(h2_echo())
        c = self.client()
        pieces = [b"hello ", pattern(70000, seed=4), b" world"]
        raw = b"".join(b"%x\r\n%s\r\n" % (len(p), p) for p in pieces) + b"0\r\n\r\n"
        c.send(b"POST /chunked HTTP/1.1\r\nHost: gw.test\r\nTransfer-Encoding: chunked\r\n\r\n"
               + raw)
        r = c.read_response("POST")
        self.assertEqual(r.status, 200, r)
        got = self.up.last()
        self.assertEqual(got.body, b"".join(pieces))
        self.assertEqual(r.body, b"".join(pieces))
        self.assertIsNone(got.header("transfer-encoding"), got)


class HeaderConversionTest(H2UpstreamCase):
    def test_request_headers_are_converted_to_http2(self):
        self.start(h2_ok())
        headers = [("Host", "api.example.test:8080"), ("X-Mixed-Case", "Value"),
                   ("Connection", "keep-alive, X-Hop"), ("Keep-Alive", "timeout=5"),
                   ("X-Hop", "secret"), ("Proxy-Connection", "keep-alive"),
                   ("TE", "trailers, deflate"), ("Accept", "application/json"),
                   ("Cookie", "a=1"), ("Cookie", "b=2")]
        r = request(self.nx.port, "POST", "/v1/x?y=z", headers, b"{}", host=None)
        self.assertEqual(r.status, 200, r)
        got = self.up.last()
        names = [k for k, _ in got.headers]
        self.assertEqual(got.authority, "api.example.test:8080", got)
        self.assertEqual((got.method, got.path, got.scheme), ("POST", "/v1/x?y=z", "http"))
        host = got.header("host")
        self.assertIn(host, (None, "api.example.test:8080"), "host differs from :authority")
        self.assertEqual([k for k in names if k != k.lower()], [], "upper-case field names")
        pseudo = [i for i, k in enumerate(names) if k.startswith(":")]
        self.assertEqual(pseudo, list(range(len(pseudo))), "pseudo-headers not first: "
                         f"{names}")
        self.assertEqual(sorted(k for k in names if k.startswith(":")),
                         [":authority", ":method", ":path", ":scheme"])
        for name in CONNECTION_SPECIFIC + ("x-hop",):
            self.assertIsNone(got.header(name), f"{name} forwarded: {got.headers}")
        te = got.header("te")
        self.assertIn(te, (None, "trailers"), "TE other than 'trailers' sent over HTTP/2")
        self.assertEqual(got.header("x-mixed-case"), "Value")
        self.assertEqual(got.header("accept"), "application/json")
        cookies = "; ".join(got.headers_named("cookie"))
        self.assertIn("a=1", cookies)
        self.assertIn("b=2", cookies)
        self.assertEqual(got.header("x-forwarded-for"), "127.0.0.1", got)
        self.assertEqual(got.header("x-forwarded-proto"), "http", got)
        self.assertIn("1.1 nexus", ", ".join(got.headers_named("via")), got)
        self.assertEqual(got.body, b"{}")

    def test_response_headers_reach_http1_client(self):
        def handler(req, stream):
            stream.respond(201, b"created", [("x-one", "1"), ("set-cookie", "a=1"),
                                             ("set-cookie", "b=2"), ("content-type", "text/x")])
        self.start(handler)
        r = request(self.nx.port, "PUT", "/thing", body=b"x")
        self.assertEqual((r.status, r.body), (201, b"created"), r)
        self.assertTrue(r.version.startswith("HTTP/1.1"), r)
        self.assertEqual(r.header("x-one"), "1")
        self.assertEqual(r.header("content-type"), "text/x")
        self.assertEqual(sorted(r.headers_named("set-cookie")), ["a=1", "b=2"], r.headers)
        self.assertFalse([k for k, _ in r.headers if k.startswith(":")], r.headers)

    def test_response_without_content_length_is_chunked_to_http1_client(self):
        body = pattern(200000, seed=5)
        self.start(h2_large_body(len(body), content_length=False))
        c = self.client(timeout=10.0)
        r = c.request("GET", "/nolen")
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.framing, "chunked", r.headers)
        self.assertEqual(r.body, pattern(65536) * 3 + pattern(65536)[:200000 - 3 * 65536])
        r2 = c.request("GET", "/again")  # the client connection stays usable
        self.assertEqual(r2.status, 200, r2)


# --------------------------------------------------------------------------------------------
# Multiplexing and the pool
# --------------------------------------------------------------------------------------------

class MultiplexTest(H2UpstreamCase):
    def check_all_ok(self, threads, results, n):
        self.assertTrue(join_all(threads, 15.0), "client requests did not finish")
        for i, r in enumerate(results):
            self.assertFalse(isinstance(r, Exception), f"request {i}: {r!r}")
            self.assertEqual(r.status, 200, r)
            self.assertEqual(r.header("x-upstream-path"), f"/r{i}", r)
        self.assertEqual(sorted(q.path for q in self.up.all_requests()),
                         sorted(f"/r{i}" for i in range(n)))

    def test_sequential_requests_reuse_one_connection(self):
        self.start(h2_ok())
        c = self.client()
        for i in range(10):
            self.assertEqual(c.request("GET", f"/{i}").status, 200)
        for i in range(5):
            self.assertEqual(request(self.nx.port, "GET", f"/new-client-{i}").status, 200)
        self.assertEqual(self.up.connection_count(), 1)
        ids = [q.stream_id for q in self.up.all_requests()]
        self.assertEqual(ids, sorted(ids))
        self.assertEqual(len(set(ids)), 15)

    def test_20_concurrent_requests_share_one_connection(self):
        gate = threading.Event()
        gate.set()
        self.addCleanup(gate.set)
        self.start(h2_gated(gate))
        # The connection is set up first (see TlsTest for concurrent requests during its setup).
        self.assertEqual(request(self.nx.port, "GET", "/warm").status, 200)
        self.up.clear()
        gate.clear()
        n = 20
        threads, results = parallel(n, lambda i: request(self.nx.port, "GET", f"/r{i}",
                                                         timeout=15.0))
        # All 20 must be in flight at the upstream at once, before any is answered.
        all_open = wait_until(lambda: self.up.count() >= n, 10.0)
        self.assertTrue(all_open, f"only {self.up.count()} of {n} requests reached the upstream "
                                  "while they were held")
        self.assertEqual(self.up.connection_count(), 1,
                         "concurrent requests were spread over several HTTP/2 connections")
        self.assertEqual(self.up.conns()[0].max_active, n, "requests were not concurrent streams")
        gate.set()
        self.check_all_ok(threads, results, n)
        self.assertEqual(self.up.connection_count(), 1)

    def test_peer_stream_limit_opens_more_connections(self):
        gate = threading.Event()
        self.addCleanup(gate.set)
        gate.set()
        self.start(h2_gated(gate), max_concurrent_streams=2)
        # One request first: nexus then knows the first connection's limit from its SETTINGS.
        self.assertEqual(request(self.nx.port, "GET", "/warm").status, 200)
        self.up.clear()
        gate.clear()
        n = 6
        threads, results = parallel(n, lambda i: request(self.nx.port, "GET", f"/r{i}",
                                                         timeout=15.0))
        all_open = wait_until(lambda: self.up.count() >= n, 10.0)
        self.assertTrue(all_open, f"only {self.up.count()} of {n} held requests reached the "
                        f"upstream over {self.up.connection_count()} connection(s); with "
                        "MAX_CONCURRENT_STREAMS=2 nexus must open more connections")
        self.assertGreaterEqual(self.up.connection_count(), 3)
        for conn in self.up.conns():
            self.assertLessEqual(conn.max_active, 2, f"connection {conn.id}")
        self.assertNoExcessStreams()
        gate.set()
        self.check_all_ok(threads, results, n)

    def test_pool_max_streams_per_connection_1(self):
        gate = threading.Event()
        self.addCleanup(gate.set)
        self.start(h2_gated(gate), cluster_kw={"pool": {"max_streams_per_connection": 1}})
        n = 4
        threads, results = parallel(n, lambda i: request(self.nx.port, "GET", f"/r{i}",
                                                         timeout=15.0))
        all_open = wait_until(lambda: self.up.count() >= n, 10.0)
        self.assertTrue(all_open, f"only {self.up.count()} of {n} held requests reached the "
                        f"upstream over {self.up.connection_count()} connection(s)")
        self.assertEqual(self.up.connection_count(), n)
        for conn in self.up.conns():
            self.assertEqual(conn.max_active, 1, f"connection {conn.id}")
        gate.set()
        self.check_all_ok(threads, results, n)
        # Idle connections are reused afterwards: still one stream at a time each.
        for i in range(3):
            self.assertEqual(request(self.nx.port, "GET", f"/after{i}").status, 200)
        self.assertEqual(self.up.connection_count(), n)


# --------------------------------------------------------------------------------------------
# Streaming
# --------------------------------------------------------------------------------------------

class StreamingTest(H2UpstreamCase):
    def test_sse_is_relayed_event_by_event(self):
        gates = {i: threading.Event() for i in range(1, len(EVENTS))}
        self.addCleanup(lambda: [g.set() for g in gates.values()])
        self.start(h2_sse(EVENTS, gates))
        c = self.client()
        c.send_request("POST", "/v1/chat/completions", {"Accept": "text/event-stream"}, b"{}")
        head = c.responses.read_head()
        self.assertEqual(head.status, 200, head)
        self.assertIn("text/event-stream", head.header("content-type"))
        acc = bytearray()
        for i, ev in enumerate(EVENTS):
            # Event i+1 is held by the upstream until we have event i: a buffering proxy fails.
            self.assertTrue(read_body_until(c.responses, acc, ev, timeout=5.0),
                            f"event {i} not delivered while the upstream holds event {i + 1}; "
                            f"got {bytes(acc)!r}")
            self.assertEqual(bytes(acc), b"".join(EVENTS[:i + 1]))
            if i + 1 in gates:
                self.assertFalse(gates[i + 1].is_set())
                gates[i + 1].set()
        self.assertIsNone(c.responses.read_piece(), "stream did not end after the last event")

    def test_client_disconnect_resets_the_upstream_stream(self):
        gate = threading.Event()
        self.addCleanup(gate.set)
        self.start(h2_sse(EVENTS, {1: gate}))
        c = self.client()
        c.send_request("GET", "/stream")
        self.assertEqual(c.responses.read_head().status, 200)
        acc = bytearray()
        self.assertTrue(read_body_until(c.responses, acc, EVENTS[0], 5.0))
        stream = self.up.last().conn.streams[self.up.last().stream_id]
        c.reset()
        self.assertTrue(stream.peer_reset.wait(5.0),
                        "nexus did not reset the upstream stream after the client left")
        self.assertEqual(stream.reset_by_peer, CANCEL)
        self.assertFalse(self.up.conns()[0].peer_closed.is_set(),
                         "the whole connection was closed for one cancelled stream")


# --------------------------------------------------------------------------------------------
# Errors
# --------------------------------------------------------------------------------------------

class ErrorsTest(H2UpstreamCase):
    def test_connect_refused_is_502(self):
        dead = f"127.0.0.1:{free_port()}"
        self.start(endpoint=dead)
        r = request(self.nx.port, "GET", "/")
        self.assertErrorJson(r, 502, "upstream_error")

    def test_refused_stream_is_retried_once_on_a_new_stream(self):
        self.start(h2_sequence(h2_reset(REFUSED_STREAM), h2_ok()))
        body = b'{"model":"m","messages":[]}'
        r = request(self.nx.port, "POST", "/v1/chat", {"Content-Type": "application/json"}, body)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.body, b"ok")
        reqs = self.up.all_requests()
        self.assertEqual(len(reqs), 2, reqs)
        self.assertEqual([q.path for q in reqs], ["/v1/chat"] * 2)
        self.assertEqual([q.body for q in reqs], [body] * 2, "the retried body differs")
        self.assertEqual([q.method for q in reqs], ["POST"] * 2)
        self.assertNotEqual((reqs[0].conn_id, reqs[0].stream_id),
                            (reqs[1].conn_id, reqs[1].stream_id))

    def test_refused_twice_is_502_after_one_retry(self):
        self.start(h2_reset(REFUSED_STREAM))
        r = request(self.nx.port, "POST", "/v1/chat", body=b"{}")
        self.assertErrorJson(r, 502, "upstream_error")
        self.assertEqual(self.up.count(), 2, "REFUSED_STREAM must be retried exactly once")

    def test_reset_before_headers_is_502_and_not_retried(self):
        self.start(h2_reset(INTERNAL_ERROR))
        r = request(self.nx.port, "POST", "/v1/chat", body=b"{}")
        self.assertErrorJson(r, 502, "upstream_error")
        self.assertEqual(self.up.count(), 1, "a stream reset with INTERNAL_ERROR was retried")
        # the connection itself is still fine
        self.up.handler = h2_ok()
        self.assertEqual(request(self.nx.port, "GET", "/after").status, 200)
        self.assertEqual(self.up.connection_count(), 1)

    def test_first_byte_timeout_is_504_and_stream_is_cancelled(self):
        self.start(h2_never_respond(timeout=10.0), route_kw={"timeouts": {"first_byte": "300ms"}})
        t0 = time.monotonic()
        r = request(self.nx.port, "GET", "/slow")
        elapsed = time.monotonic() - t0
        self.assertErrorJson(r, 504, "upstream_error")
        self.assertGreater(elapsed, 0.25)
        self.assertLess(elapsed, 4.0)
        got = self.up.last()
        stream = got.conn.streams[got.stream_id]
        self.assertTrue(wait_until(lambda: stream.peer_reset.is_set() or
                                   got.conn.peer_closed.is_set(), 3.0),
                        "nexus kept the timed-out upstream stream open")
        self.up.handler = h2_ok()
        self.assertEqual(request(self.nx.port, "GET", "/after").status, 200)

    def check_reset_mid_body(self, headers, declared, framing):
        self.start(h2_reset(INTERNAL_ERROR, headers=(200, headers), data=b"x" * 100))
        c = self.client()
        c.send_request("GET", "/")
        head = c.responses.read_head()
        self.assertEqual(head.status, 200, head)
        self.assertEqual(head.framing, framing, head.headers)
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
        self.assertTrue(truncated, f"client response ended cleanly ({head.framing}, "
                                   f"{len(body)} bytes) although the upstream reset the stream")
        if declared:
            self.assertLess(len(body), declared)
        self.assertEqual(bytes(body), b"x" * len(body))

    def test_reset_mid_body_truncates_content_length_response(self):
        self.check_reset_mid_body([("content-length", "1000")], 1000, "length")

    def test_reset_mid_body_truncates_chunked_response(self):
        self.check_reset_mid_body([("content-type", "text/event-stream")], None, "chunked")


class RequestBodyBackpressureTest(H2UpstreamCase):
    def test_request_body_streams_with_backpressure(self):
        total = 32 * MIB
        hold = threading.Event()
        self.addCleanup(hold.set)
        self.start(h2_ok(), hold_acks=hold)
        c = ClientConn(self.nx.port, timeout=30.0)
        self.addCleanup(c.close)
        c.sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 64 * 1024)
        base_rss = self.nx.rss_kib()
        body = pattern(total, seed=9)
        sent = [0]
        failed = []

        def upload():
            try:
                c.send(b"POST /upload HTTP/1.1\r\nHost: gw.test\r\n"
                       b"Content-Length: %d\r\n\r\n" % total)
                view = memoryview(body)
                while view:
                    n = c.sock.send(view[:65536])
                    view = view[n:]
                    sent[0] += n
            except OSError as e:
                failed.append(e)

        t = threading.Thread(target=upload, daemon=True)
        t.start()
        self.addCleanup(t.join, 5.0)
        # The upstream acknowledges nothing: nexus may forward one window (64 KiB) and must then
        # stop reading the client, so the upload stalls well before its end.
        self.assertTrue(wait_until(lambda: self.up.body_bytes_received() > 0, 5.0),
                        "no body byte reached the upstream while the client was still sending")
        samples = []

        def stalled():
            samples.append((time.monotonic(), sent[0]))
            old = [s for when, s in samples if when <= samples[-1][0] - 0.75]
            return bool(old) and old[-1] == samples[-1][1]

        self.assertTrue(wait_until(stalled, 20.0, 0.05),
                        f"the client upload never stalled: {sent[0]} bytes sent")
        self.assertLess(sent[0], total // 2, "nexus kept reading the request body although the "
                                             "upstream's window was shut")
        self.assertLessEqual(self.up.body_bytes_received(), 65535)
        self.assertLess(self.nx.rss_kib() - base_rss, 16 * 1024, "nexus buffered the body")
        self.assertFalse(any(conn.protocol_error for conn in self.up.conns()),
                         [conn.protocol_error for conn in self.up.conns()])
        hold.set()
        t.join(30.0)
        self.assertFalse(failed, failed)
        self.assertEqual(sent[0], total)
        r = c.read_response("POST")
        self.assertEqual(r.status, 200, r)
        got = self.up.last()
        self.assertEqual(len(got.body), total)
        self.assertTrue(got.body == body, "request body corrupted")


class TrailersTest(H2UpstreamCase):
    def test_response_trailers_reach_http1_chunked_client(self):
        def handler(req, stream):
            stream.send_headers(200, [("content-type", "text/plain")])
            stream.send_data(b"hello ")
            stream.send_data(b"world")
            stream.send_trailers([("x-checksum", "abc123"), ("x-status", "0")])
        self.start(handler)
        c = self.client()
        c.send_request("GET", "/trailers")
        head = c.responses.read_head()
        self.assertEqual(head.status, 200, head)
        self.assertEqual(head.framing, "chunked", head.headers)
        body, trailers = read_chunked_with_trailers(c.reader)
        self.assertEqual(body, b"hello world")
        got = {k.lower(): v for k, v in trailers}
        self.assertEqual(got.get("x-checksum"), "abc123", trailers)
        self.assertEqual(got.get("x-status"), "0", trailers)
        r = c.request("GET", "/next")  # framing stayed in sync
        self.assertEqual(r.status, 200, r)


# --------------------------------------------------------------------------------------------
# Connections ending
# --------------------------------------------------------------------------------------------

class ConnectionEndTest(H2UpstreamCase):
    def test_goaway_mid_response_connection_is_replaced(self):
        def first(req, stream):
            stream.send_headers(200, [("content-length", "2")])
            stream.conn.goaway(last_stream_id=stream.id)
            stream.send_data(b"ok", end_stream=True)
        self.start(h2_sequence(first, h2_ok()))
        self.assertEqual(request(self.nx.port, "GET", "/one").status, 200)
        # nexus had the GOAWAY before the end of the first response: no new stream on it.
        r = request(self.nx.port, "GET", "/two")
        self.assertEqual(r.status, 200, r)
        self.assertEqual(self.up.connection_count(), 2)
        self.assertEqual([q.conn_id for q in self.up.all_requests()], [0, 1])
        self.assertEqual(self.up.conns()[0].stream_count(), 1,
                         "a stream was opened after GOAWAY")

    def test_goaway_while_idle_connection_is_replaced(self):
        self.start(h2_ok())
        self.assertEqual(request(self.nx.port, "GET", "/one").status, 200)
        conn = self.up.conns()[0]
        conn.goaway()
        # PING after GOAWAY: its ACK means nexus has processed the GOAWAY.
        acked = conn.ping()
        self.assertTrue(acked.wait(5.0) or conn.peer_closed.is_set(),
                        "nexus neither answered PING nor closed the connection")
        r = request(self.nx.port, "GET", "/two")
        self.assertEqual(r.status, 200, r)
        self.assertEqual(self.up.connection_count(), 2)
        self.assertEqual([q.conn_id for q in self.up.all_requests()], [0, 1])
        self.assertTrue(wait_until(conn.peer_closed.is_set, 5.0),
                        "nexus kept the idle connection open after GOAWAY")

    def test_connection_closed_by_upstream_is_replaced(self):
        self.start(h2_ok())
        self.assertEqual(request(self.nx.port, "GET", "/one").status, 200)
        conn = self.up.conns()[0]
        conn.shutdown_write()  # FIN
        self.assertTrue(wait_until(conn.peer_closed.is_set, 5.0),
                        "nexus did not close its end after the upstream's FIN")
        r = request(self.nx.port, "GET", "/two")
        self.assertEqual(r.status, 200, r)
        self.assertEqual(self.up.connection_count(), 2)
        self.assertEqual([q.conn_id for q in self.up.all_requests()], [0, 1])


# --------------------------------------------------------------------------------------------
# TLS
# --------------------------------------------------------------------------------------------

class TlsTest(H2UpstreamCase):
    @classmethod
    def setUpClass(cls):
        cls._tmp = tempfile.TemporaryDirectory(prefix="nexus-h2tls-")
        cls.pki = TestPKI(cls._tmp.name, "H2 Upstream CA")
        cls.leaf = cls.pki.leaf("upstream.test", dns=["upstream.test"], ips=["127.0.0.1"])

    @classmethod
    def tearDownClass(cls):
        cls._tmp.cleanup()

    def tls_cluster(self):
        return {"tls": {"enabled": True, "verify": True, "ca_file": self.pki.ca_cert,
                        "sni": "upstream.test"}}

    def test_tls_with_alpn_h2(self):
        self.start(h2_echo(), cluster_kw=self.tls_cluster(),
                   tls=h2_server_tls_context(*self.leaf, alpn=("h2",)))
        body = pattern(300000, seed=7)
        r = request(self.nx.port, "POST", "/v1/x", body=body, timeout=10.0)
        self.assertEqual(r.status, 200, r)
        self.assertTrue(r.body == body, "body corrupted")
        got = self.up.last()
        self.assertEqual(got.body, body)
        self.assertEqual(got.conn.alpn, "h2")
        self.assertEqual(got.conn.sni, "upstream.test")
        self.assertIn(got.scheme, ("http", "https"))
        self.assertEqual(request(self.nx.port, "GET", "/2").status, 200)
        self.assertEqual(self.up.connection_count(), 1, "the TLS connection was not reused")

    def test_requests_during_connection_setup_share_one_connection(self):
        # The upstream takes 500 ms before its TLS handshake: the 10 requests all arrive while
        # the first connection is being set up, and must wait for it rather than open their own.
        self.start(h2_ok(), cluster_kw=self.tls_cluster(), handshake_delay=0.5,
                   tls=h2_server_tls_context(*self.leaf, alpn=("h2",)))
        n = 10
        threads, results = parallel(n, lambda i: request(self.nx.port, "GET", f"/r{i}",
                                                         timeout=10.0))
        self.assertTrue(join_all(threads, 15.0), "client requests did not finish")
        for i, r in enumerate(results):
            self.assertFalse(isinstance(r, Exception), f"request {i}: {r!r}")
            self.assertEqual(r.status, 200, r)
        self.assertEqual(self.up.connection_count(), 1,
                         f"{n} concurrent requests made while the first HTTP/2 connection was "
                         f"being set up opened {self.up.connection_count()} connections")

    def test_tls_upstream_without_h2_in_alpn_is_502(self):
        self.start(h2_ok(), cluster_kw=self.tls_cluster(),
                   tls=h2_server_tls_context(*self.leaf, alpn=("http/1.1",)))
        r = request(self.nx.port, "GET", "/")
        self.assertErrorJson(r, 502, "upstream_error")
        self.assertEqual(self.up.count(), 0)
        self.assertGreaterEqual(self.up.connection_count(), 1)
        for conn in self.up.conns():
            self.assertTrue(conn.io_done.wait(6.0))
            self.assertIsNone(conn.alpn, "nexus offered a protocol other than h2 in ALPN")
            self.assertFalse(conn.raw_received.startswith(PREFACE[:16]),
                             "nexus spoke HTTP/2 although ALPN did not agree on h2")


# --------------------------------------------------------------------------------------------
# HTTP/2 clients (curl --http2-prior-knowledge) in front of the HTTP/2 upstream
# --------------------------------------------------------------------------------------------

class Http2ClientTest(H2UpstreamCase):
    def curl(self, path, data_file=None, extra=(), timeout=20.0):
        d = self.tmpdir()
        out, hdr = os.path.join(d, "body"), os.path.join(d, "headers")
        args = ["curl", "-sS", "--http2-prior-knowledge", "-o", out, "-D", hdr,
                "-w", "%{http_version} %{http_code}", "--max-time", str(int(timeout))]
        if data_file:
            args += ["--data-binary", "@" + data_file, "-H", "Content-Type: application/x-raw"]
        args += list(extra) + [f"http://127.0.0.1:{self.h2_port}{path}"]
        p = subprocess.run(args, capture_output=True, timeout=timeout + 5)
        self.assertEqual(p.returncode, 0, p.stderr)
        version, status = p.stdout.decode().split()
        with open(out, "rb") as f:
            body = f.read()
        return version, int(status), body

    def test_curl_h2_get_and_post_through_h2_upstream(self):
        self.start(h2_echo(), h2_listener=True)
        version, status, body = self.curl("/get")
        self.assertEqual((version, status, body), ("2", 200, b""))
        data = pattern(MIB, seed=8)
        path = os.path.join(self.tmpdir(), "req")
        with open(path, "wb") as f:
            f.write(data)
        version, status, body = self.curl("/post", path)
        self.assertEqual((version, status), ("2", 200))
        self.assertTrue(body == data, "body corrupted")
        got = self.up.last()
        self.assertEqual((got.method, got.path), ("POST", "/post"))
        self.assertEqual(got.body, data)
        self.assertEqual(got.authority, f"127.0.0.1:{self.h2_port}")
        self.assertIn("nexus", ", ".join(got.headers_named("via")), got)
        self.assertEqual([k for k, _ in got.headers if k != k.lower()], [])
        self.assertEqual(self.up.connection_count(), 1)

    def test_curl_h2_sse_is_relayed_event_by_event(self):
        gates = {i: threading.Event() for i in range(1, len(EVENTS))}
        self.addCleanup(lambda: [g.set() for g in gates.values()])
        self.start(h2_sse(EVENTS, gates), h2_listener=True)
        p = subprocess.Popen(["curl", "-sS", "-N", "--http2-prior-knowledge", "--max-time", "20",
                              f"http://127.0.0.1:{self.h2_port}/stream"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)

        def finish():
            if p.poll() is None:
                p.kill()
            p.wait(5)
            p.stdout.close()
            p.stderr.close()
        self.addCleanup(finish)
        acc = bytearray()
        fd = p.stdout.fileno()
        for i, ev in enumerate(EVENTS):
            deadline = time.monotonic() + 5.0
            want = b"".join(EVENTS[:i + 1])
            while len(acc) < len(want) and time.monotonic() < deadline:
                r, _, _ = select.select([fd], [], [], max(0.0, deadline - time.monotonic()))
                if not r:
                    break
                chunk = os.read(fd, 65536)
                if not chunk:
                    break
                acc += chunk
            self.assertEqual(bytes(acc), want, f"event {i} not delivered while the upstream "
                                               f"holds event {i + 1}")
            if i + 1 in gates:
                gates[i + 1].set()
        self.assertEqual(p.wait(10), 0, "curl failed")


if __name__ == "__main__":
    unittest.main()
