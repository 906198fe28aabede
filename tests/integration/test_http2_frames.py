"""HTTP/2 at the frame level: conformance to RFC 9113 / RFC 7541 and the flood attacks.

Organised like h2spec, one TestCase per section of RFC 9113, each test named after the rule it
checks:
  §3.4 connection preface, §3.2/§3.3 starting HTTP/2 (ALPN h2 over TLS, prior knowledge next to
  HTTP/1.1), §4.1 frame format, §4.2 frame size, §5.1 stream states, §5.1.1 stream identifiers,
  §5.1.2 stream concurrency, §5.2/§6.9 flow control, §5.3/§6.3 priority, §5.4 error handling,
  §6.1 DATA, §6.2 HEADERS, §6.4 RST_STREAM, §6.5 SETTINGS, §6.5.2 SETTINGS values, §6.7 PING,
  §6.8 GOAWAY, §6.10 CONTINUATION, RFC 7541 / §4.3 HPACK, §8.1-§8.3 HTTP messages.
Then the attack mitigations (rapid reset, CONTINUATION / SETTINGS / PING / empty-frame /
PRIORITY floods, HPACK bomb, stream-id exhaustion, isolation of a well-behaved connection) and
graceful shutdown with a stream in flight.

Expectations: a connection error is GOAWAY with the RFC's code followed by the server closing
the TCP connection (§5.4.1); a stream error is RST_STREAM with the code, after which the connection
keeps working (§5.4.2). Where the RFC allows either ("stream error or connection error"), either
is accepted with the right code. Malformed requests (§8.1.1) get RST_STREAM(PROTOCOL_ERROR) and
never reach the upstream. Attacks get GOAWAY(ENHANCE_YOUR_CALM) (or, where the brief of each test
says so, a close) and leave the server process alive.

Each class starts one nexus (plain listener with HTTP/2 by prior knowledge) and one recording
upstream whose handler answers by path: /hold never answers (the stream stays open until the
client goes), /big/N answers N bytes, anything else echoes the request as JSON; /direct is a
direct response ("hi"). Frames are built and parsed with harness/h2frames.py (hyperframe +
hpack from Debian's python3-h2: run with /usr/bin/python3).
"""

import importlib.util
import signal
import socket
import struct
import tempfile
import threading
import time
import unittest

if not (importlib.util.find_spec("hpack") and importlib.util.find_spec("hyperframe")):
    raise unittest.SkipTest("needs hyperframe and hpack (Debian python3-h2): run with "
                            "/usr/bin/python3")

from harness.h2frames import (  # noqa: E402
    ACK, CANCEL, COMPRESSION_ERROR, CONTINUATION, DATA, END_HEADERS, END_STREAM,
    ENABLE_PUSH, ENHANCE_YOUR_CALM, FLOW_CONTROL_ERROR, FRAME_SIZE_ERROR, GOAWAY, HEADERS,
    HEADER_TABLE_SIZE, INITIAL_WINDOW_SIZE, MAX_CONCURRENT_STREAMS, MAX_FRAME_SIZE,
    MAX_STREAM_ID, MAX_WINDOW, NO_ERROR, PADDED, PING, PRIORITY, PROTOCOL_ERROR,
    REFUSED_STREAM, RST_STREAM, SETTINGS, STREAM_CLOSED, WINDOW_UPDATE, H2Conn, error_name,
    frame, hpack_indexed, hpack_int, hpack_literal, hpack_string, hpack_table_size_update,
    padded, priority_payload, settings_payload)
from nexus_harness import (  # noqa: E402
    ClientConn, Nexus, NexusTestCase, TestPKI, Upstream, cluster, echo, free_port, make_config)

REQ = H2Conn.request_headers
HEAD_LIMIT = 65536  # server.limits.max_request_head_bytes


def body_of(n):
    return (b"0123456789abcdef" * (n // 16 + 1))[:n]


def dispatch():
    """The class upstream: /hold never answers, /big/N sends N bytes, anything else echoes."""
    echo_handler = echo()

    def handler(req, conn):
        if req.path.startswith("/hold"):
            conn.wait_peer_close(30.0)
            return False
        if req.path.startswith("/big/"):
            conn.respond(200, body_of(int(req.path[5:])),
                         [("Content-Type", "application/octet-stream")])
            return True
        return echo_handler(req, conn)
    return handler


def h2_config(port, up):
    routes = [{"match": {"prefix": "/direct"}, "direct_response": {"status": 200, "body": "hi"}},
              {"match": {"prefix": "/"}, "cluster": "up"}]
    cfg = make_config(port, {"up": cluster(up)}, routes,
                      limits={"max_request_head_bytes": HEAD_LIMIT},
                      listen=[{"address": f"127.0.0.1:{port}", "http2": True}])
    cfg["server"]["http2"] = {"max_concurrent_streams": 100, "initial_stream_window": 65536,
                              "connection_window": 1048576}
    return cfg


class H2TestCase(NexusTestCase):
    """One nexus and one upstream per class; one or more H2Conn per test."""

    @classmethod
    def setUpClass(cls):
        cls.up = Upstream(dispatch(), name="up")
        cls.server = None
        try:
            cls._start_server()
        except Exception:
            cls.up.stop()
            raise

    @classmethod
    def _start_server(cls):
        if cls.server is not None:
            cls.server.cleanup()
        cls.server = cls.start_server(cls.up)

    @classmethod
    def start_server(cls, up):
        """Starts the server under test; returns a started Nexus."""
        return Nexus(h2_config(free_port(), up)).start()

    @classmethod
    def tearDownClass(cls):
        cls.up.stop()
        if cls.server is not None:
            cls.server.cleanup()

    def setUp(self):
        if self.server.proc.poll() is not None:  # an earlier test killed it: start a fresh one
            type(self)._start_server()
        self.port = self.server.port
        self.addCleanup(self.dump_logs_if_failed, self.server)
        self.addCleanup(self._server_survived, self.server)

    def _server_survived(self, server):
        # Names the test during which the server died, whatever else the test reported.
        if server.proc.poll() is not None:
            raise AssertionError(f"the server died during this test "
                                 f"(exit {server.proc.returncode})")

    # -- helpers
    def connect(self, settings=None, handshake=True, **kw):
        kw.setdefault("timeout", 3.0)  # every wait of the connection is bounded by this
        c = H2Conn(self.port, **kw)
        self.addCleanup(c.close)
        if handshake:
            c.handshake(settings)
        return c

    def assertConnectionError(self, c, code):
        """GOAWAY(code) and then the TCP connection closed (RFC 9113 §5.4.1)."""
        g = c.expect_goaway(code)
        self.assertTrue(c.is_closed(5.0), f"connection not closed after GOAWAY({error_name(code)})"
                        f"; received: {c.summary()}")
        return g

    def assertStreamError(self, c, sid, code):
        """RST_STREAM(code) on sid, and the connection still answers a PING (§5.4.2)."""
        c.expect_rst(sid, code)
        self.assertFalse(c.goaways, f"unexpected GOAWAY after a stream error: {c.summary()}")
        self.assertTrue(c.ping(), f"connection unusable after a stream error: {c.summary()}")

    def assertStreamOrConnectionError(self, c, sid, code):
        kind = c.expect_error(sid, code)
        if kind == "connection":
            self.assertTrue(c.is_closed(5.0), f"not closed after GOAWAY: {c.summary()}")
        return kind

    def assertUsable(self, c, path="/direct"):
        """The connection answers a PING and serves a request."""
        self.assertTrue(c.ping(), f"no PING ACK: {c.summary()}")
        r = c.read_response(c.request(path))
        self.assertEqual(r.status, 200, r)
        return r

    def assertAlive(self):
        self.assertIsNone(self.server.wait_exit(0.05),
                          f"the server died (exit {self.server.proc.returncode})")

    def hold_stream(self, c, end_stream=False):
        """A stream that stays open: a request to /hold, whose upstream never answers."""
        return c.request("/hold", method="POST" if not end_stream else "GET",
                         end_stream=end_stream)


# ============================================================================================
# §3.4 HTTP/2 connection preface
# ============================================================================================

class ConnectionPrefaceTest(H2TestCase):
    def test_server_preface_is_a_settings_frame(self):
        c = self.connect()
        first = c.frames[0]
        self.assertEqual(first.type, SETTINGS, c.summary())
        self.assertNotIn("ACK", first.flags, c.summary())

    def test_preface_not_followed_by_settings_is_protocol_error(self):
        c = self.connect(handshake=False)
        c.send(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + frame(PING, 0, 0, b"12345678"))
        self.assertConnectionError(c, PROTOCOL_ERROR)

    def test_invalid_preface_closes_the_connection(self):
        c = self.connect(handshake=False)
        c.send(b"PRI * HTTP/2.0\r\n\r\nXX\r\n\r\n" + b"\0" * 32)
        deadline = time.monotonic() + 5.0
        closed = False
        while time.monotonic() < deadline and not closed:
            c.sock.settimeout(max(0.01, deadline - time.monotonic()))
            try:
                closed = not c.sock.recv(65536)
            except socket.timeout:
                break
            except OSError:
                closed = True
        self.assertTrue(closed, "an invalid preface did not close the connection")
        self.assertAlive()


# ============================================================================================
# §3.2 / §3.3 Starting HTTP/2: ALPN "h2" over TLS, prior knowledge next to HTTP/1.1
# ============================================================================================

class StartingHttp2Test(H2TestCase):
    @classmethod
    def setUpClass(cls):
        cls._tmp = tempfile.TemporaryDirectory(prefix="nexus-h2-")
        try:
            cls.pki = TestPKI(cls._tmp.name)
            cls.leaf = cls.pki.leaf("gw.test", dns=["gw.test"], ips=["127.0.0.1"])
            super().setUpClass()
        except Exception:
            cls._tmp.cleanup()
            raise

    @classmethod
    def tearDownClass(cls):
        super().tearDownClass()
        cls._tmp.cleanup()

    @classmethod
    def start_server(cls, up):
        port, tls_port = free_port(), free_port()
        cfg = h2_config(port, up)
        cfg["server"]["listen"].append({"address": f"127.0.0.1:{tls_port}", "http2": True,
                                        "tls": {"certificates": [{"cert": cls.leaf[0],
                                                                  "key": cls.leaf[1]}]}})
        nx = Nexus(cfg).start()
        nx.tls_port = tls_port
        return nx

    def test_tls_with_alpn_h2_speaks_http2(self):
        ctx = self.pki.client_context(alpn=["h2", "http/1.1"])
        c = H2Conn(self.server.tls_port, tls=ctx, server_hostname="gw.test", timeout=3.0)
        self.addCleanup(c.close)
        self.assertEqual(c.sock.selected_alpn_protocol(), "h2")
        c.handshake()
        self.assertEqual(c.frames[0].type, SETTINGS, c.summary())
        r = c.read_response(c.request("/direct"))
        self.assertEqual((r.status, r.body), (200, b"hi"), r)

    def test_tls_with_alpn_http11_speaks_http11(self):
        ctx = self.pki.client_context(alpn=["http/1.1"])
        c = ClientConn(self.server.tls_port, tls=ctx, server_hostname="gw.test")
        self.addCleanup(c.close)
        self.assertEqual(c.sock.selected_alpn_protocol(), "http/1.1")
        self.assertEqual(c.request("GET", "/direct").status, 200)

    def test_plain_listener_serves_http11_next_to_prior_knowledge(self):
        c = ClientConn(self.port)
        self.addCleanup(c.close)
        r = c.request("GET", "/direct")
        self.assertEqual((r.status, r.body), (200, b"hi"), r)


# ============================================================================================
# §4.1 Frame format, §5.5 extending HTTP/2
# ============================================================================================

class FrameFormatTest(H2TestCase):
    def test_unknown_frame_type_is_ignored(self):
        c = self.connect()
        c.send(frame(0xFA, 0xFF, 0, b"unknown extension frame"))
        self.assertUsable(c)

    def test_unknown_flags_are_ignored(self):
        c = self.connect()
        c.send(frame(PING, 0xFE, 0, b"flags!!!"))
        self.assertTrue(c.wait_for(lambda f: f.type == PING and "ACK" in f.flags), c.summary())
        self.assertEqual(c.ping_acks[0], b"flags!!!", c.summary())

    def test_reserved_bit_in_stream_id_is_ignored(self):
        c = self.connect()
        c.send(frame(HEADERS, END_STREAM | END_HEADERS, 1, c.encode(REQ("/direct")),
                     reserved_bit=True))
        c.last_stream_id = 1
        r = c.read_response(1)
        self.assertEqual(r.status, 200, r)


# ============================================================================================
# §4.2 Frame size
# ============================================================================================

class FrameSizeTest(H2TestCase):
    def big_frames_or_skip(self, c):
        if c.peer_max_frame_size >= min(c.peer_initial_window, 1 << 20):
            self.skipTest(f"MAX_FRAME_SIZE {c.peer_max_frame_size} is not below the window")

    def test_data_frame_of_max_frame_size_is_accepted(self):
        c = self.connect()
        self.big_frames_or_skip(c)
        n = c.peer_max_frame_size
        sid = c.request("/echo", method="POST", end_stream=False)
        c.send(frame(DATA, END_STREAM, sid, body_of(n)))
        r = c.read_response(sid)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json()["body_len"], n, r)

    def test_data_frame_over_max_frame_size_is_frame_size_error(self):
        c = self.connect()
        self.big_frames_or_skip(c)
        sid = c.request("/echo", method="POST", end_stream=False)
        c.send(frame(DATA, END_STREAM, sid, body_of(c.peer_max_frame_size + 1)))
        self.assertStreamOrConnectionError(c, sid, FRAME_SIZE_ERROR)

    def test_headers_frame_over_max_frame_size_is_connection_error(self):
        c = self.connect()
        self.big_frames_or_skip(c)
        target = c.peer_max_frame_size + 1
        base = c.encode(REQ("/direct"))
        n = target - len(base) - 12
        block = base + hpack_literal("x-pad", "a" * n)
        block = base + hpack_literal("x-pad", "a" * (n + target - len(block)))
        self.assertEqual(len(block), target)
        c.send(frame(HEADERS, END_STREAM | END_HEADERS, 1, block))
        self.assertConnectionError(c, FRAME_SIZE_ERROR)


# ============================================================================================
# §5.1 Stream states
# ============================================================================================

class StreamStatesTest(H2TestCase):
    def test_frames_other_than_headers_or_priority_on_idle_stream_are_protocol_error(self):
        for name, raw in (("DATA", frame(DATA, END_STREAM, 1, b"x")),
                          ("RST_STREAM", frame(RST_STREAM, 0, 1, struct.pack(">I", CANCEL))),
                          ("WINDOW_UPDATE", frame(WINDOW_UPDATE, 0, 1, struct.pack(">I", 100))),
                          ("CONTINUATION", frame(CONTINUATION, END_HEADERS, 1,
                                                 hpack_literal("x-a", "b")))):
            with self.subTest(frame=name):
                c = self.connect()
                c.send(raw)
                self.assertConnectionError(c, PROTOCOL_ERROR)

    def test_data_or_headers_on_half_closed_remote_stream_is_stream_closed(self):
        # The client sent END_STREAM; the response is still pending (/hold never answers).
        for name in ("DATA", "HEADERS"):
            with self.subTest(frame=name):
                c = self.connect()
                sid = self.hold_stream(c, end_stream=True)
                if name == "DATA":
                    c.send(frame(DATA, 0, sid, b"late"))
                else:
                    c.send_headers(sid, [("x-late", "1")], end_stream=True)
                self.assertStreamOrConnectionError(c, sid, STREAM_CLOSED)

    def test_window_update_and_rst_stream_on_half_closed_remote_stream_are_allowed(self):
        c = self.connect()
        sid = self.hold_stream(c, end_stream=True)
        c.send_window_update(sid, 1000)
        self.assertUsable(c)
        self.assertIsNone(c.response(sid).reset, c.summary())
        c.send_rst(sid, CANCEL)
        self.assertUsable(c)

    # closed
    def test_data_or_headers_after_rst_stream_is_stream_closed(self):
        for name in ("DATA", "HEADERS"):
            with self.subTest(frame=name):
                c = self.connect()
                sid = self.hold_stream(c)
                c.send_rst(sid, CANCEL)
                if name == "DATA":
                    c.send(frame(DATA, END_STREAM, sid, b"after reset"))
                else:
                    c.send_headers(sid, [("x-after", "reset")], end_stream=True)
                self.assertStreamOrConnectionError(c, sid, STREAM_CLOSED)

    def test_data_after_end_stream_on_closed_stream_is_stream_closed(self):
        c = self.connect()
        sid = c.request("/direct")
        self.assertEqual(c.read_response(sid).status, 200)
        c.send(frame(DATA, END_STREAM, sid, b"after end"))
        self.assertStreamOrConnectionError(c, sid, STREAM_CLOSED)


# ============================================================================================
# §5.1.1 Stream identifiers
# ============================================================================================

class StreamIdentifiersTest(H2TestCase):
    def test_even_stream_id_from_client_is_protocol_error(self):
        c = self.connect()
        c.send_headers(2, REQ("/direct"))
        self.assertConnectionError(c, PROTOCOL_ERROR)

    def test_decreasing_stream_id_is_protocol_error(self):
        c = self.connect()
        self.assertEqual(c.read_response(c.request("/direct", stream_id=5)).status, 200)
        c.send_headers(3, REQ("/direct"))
        self.assertConnectionError(c, PROTOCOL_ERROR)

    def test_stream_ids_may_skip_values(self):
        c = self.connect()
        self.assertEqual(c.read_response(c.request("/direct", stream_id=1)).status, 200)
        self.assertEqual(c.read_response(c.request("/direct", stream_id=11)).status, 200)


# ============================================================================================
# §5.1.2 Stream concurrency
# ============================================================================================

class StreamConcurrencyTest(H2TestCase):
    def test_streams_over_max_concurrent_streams_are_refused(self):
        c = self.connect()
        limit = c.peer_settings.get(MAX_CONCURRENT_STREAMS)
        if limit is None or limit > 512:
            self.skipTest(f"the server advertises MAX_CONCURRENT_STREAMS={limit}")
        sids = []
        data = b""
        for _ in range(limit):
            sid = c.next_stream_id()
            c.last_stream_id = sid
            sids.append(sid)
            data += c.headers_frames(sid, c.encode(REQ("/hold", "POST")), end_stream=False)
        c.send(data)
        extra = c.next_stream_id()
        c.send_headers(extra, REQ("/hold", "POST"), end_stream=False)
        # §5.1.2 asks for a stream error. nghttp2 refuses the stream (REFUSED_STREAM) until the
        # client has acknowledged the limit and makes it a connection error (PROTOCOL_ERROR)
        # after, as h2spec accepts: a documented deviation (docs/http2.md). This client has
        # acknowledged our SETTINGS, so it must get the GOAWAY, and no stream within the limit
        # may have been reset before it.
        kind = c.expect_error(extra, {PROTOCOL_ERROR, REFUSED_STREAM})
        reset = [s for s in sids if c.response(s).reset is not None]
        self.assertEqual(reset, [], f"streams within the limit were reset: {c.summary()}")
        if kind == "connection":
            self.assertTrue(c.is_closed(5.0), c.summary())
            return
        self.assertTrue(c.ping(), c.summary())
        reset = [s for s in sids if c.response(s).reset is not None]
        self.assertEqual(reset, [], f"streams within the limit were reset: {c.summary()}")
        self.assertFalse(c.goaways, c.summary())
        # Closing one stream makes room for another.
        c.send_rst(sids[0], CANCEL)
        r = c.read_response(c.request("/direct"))
        self.assertEqual(r.status, 200, r)


# ============================================================================================
# §5.2 / §6.9 Flow control
# ============================================================================================

class FlowControlTest(H2TestCase):
    def no_more_data(self, c, sid, wait=0.3):
        """True if no DATA frame carrying bytes arrives on sid within `wait` seconds."""
        f = c.wait_for(lambda f: f.type == DATA and f.stream_id == sid and f.data, wait)
        return f is None

    def test_server_respects_the_stream_window(self):
        c = self.connect({INITIAL_WINDOW_SIZE: 16}, auto_window=False)
        sid = c.request("/big/1000")
        resp = c.response(sid)
        c.wait_for(lambda f: False, 5.0, until=lambda: len(resp.body) >= 16 or resp.ended)
        self.assertEqual(len(resp.body), 16, c.summary())
        self.assertTrue(self.no_more_data(c, sid), f"sent beyond the stream window: {c.summary()}")
        c.send_window_update(sid, 1000 - 16)
        r = c.read_response(sid)
        self.assertEqual((r.status, r.body), (200, body_of(1000)), r)

    def test_server_respects_the_connection_window(self):
        c = self.connect({INITIAL_WINDOW_SIZE: 1 << 20}, auto_window=False)
        sid = c.request("/big/100000")
        resp = c.response(sid)
        c.wait_for(lambda f: False, 5.0, until=lambda: len(resp.body) >= 65535 or resp.ended)
        self.assertEqual(len(resp.body), 65535, c.summary())
        self.assertTrue(self.no_more_data(c, sid),
                        f"sent beyond the connection window: {c.summary()}")
        c.send_window_update(0, 100000 - 65535)
        r = c.read_response(sid)
        self.assertEqual((r.status, len(r.body)), (200, 100000), r)
        self.assertEqual(r.body, body_of(100000))

    def test_initial_window_size_change_applies_to_open_streams(self):
        c = self.connect({INITIAL_WINDOW_SIZE: 0}, auto_window=False)
        sid = c.request("/big/1000")
        c.wait_for(lambda f: f.stream_id == sid and f.type in (HEADERS, DATA), 5.0)
        self.assertTrue(self.no_more_data(c, sid), f"DATA with a zero window: {c.summary()}")
        self.assertEqual(c.response(sid).body, b"")
        c.send_settings({INITIAL_WINDOW_SIZE: 1000})
        r = c.read_response(sid)
        self.assertEqual((r.status, r.body), (200, body_of(1000)), r)

    def test_zero_window_increment_on_connection_is_protocol_error(self):
        c = self.connect()
        c.send_window_update(0, 0)
        self.assertConnectionError(c, PROTOCOL_ERROR)

    def test_zero_window_increment_on_stream_is_protocol_error(self):
        c = self.connect()
        sid = self.hold_stream(c)
        c.send_window_update(sid, 0)
        self.assertStreamOrConnectionError(c, sid, PROTOCOL_ERROR)

    def test_connection_window_above_max_is_flow_control_error(self):
        c = self.connect()
        c.send_window_update(0, MAX_WINDOW)
        c.send_window_update(0, MAX_WINDOW)
        self.assertConnectionError(c, FLOW_CONTROL_ERROR)

    def test_stream_window_above_max_is_flow_control_error(self):
        c = self.connect()
        sid = self.hold_stream(c)
        c.send_window_update(sid, MAX_WINDOW)
        c.send_window_update(sid, MAX_WINDOW)
        self.assertStreamOrConnectionError(c, sid, FLOW_CONTROL_ERROR)

    def test_initial_window_size_change_overflowing_a_window_is_flow_control_error(self):
        # §6.9.2: a SETTINGS_INITIAL_WINDOW_SIZE change that makes a stream window exceed
        # 2^31-1 is a connection error. nghttp2 resets only the overflowing stream with
        # FLOW_CONTROL_ERROR (a documented deviation, docs/http2.md): either is accepted, and
        # the stream must not live on.
        c = self.connect()
        sid = self.hold_stream(c, end_stream=True)
        c.send_window_update(sid, MAX_WINDOW - 65535)  # the stream window is now 2^31-1
        self.assertTrue(c.ping(), c.summary())
        c.send_settings({INITIAL_WINDOW_SIZE: 65536})
        self.assertStreamOrConnectionError(c, sid, FLOW_CONTROL_ERROR)

    def test_window_update_with_wrong_length_is_frame_size_error(self):
        c = self.connect()
        c.send(frame(WINDOW_UPDATE, 0, 0, b"\x00\x00\x01"))
        self.assertConnectionError(c, FRAME_SIZE_ERROR)


# ============================================================================================
# §5.3 / §6.3 Priority
# ============================================================================================

class PriorityTest(H2TestCase):
    def test_headers_with_priority_are_served(self):
        c = self.connect()
        c.send_headers(1, REQ("/direct"), priority=(0, 200, True))
        c.last_stream_id = 1
        self.assertEqual(c.read_response(1).status, 200)

    def test_priority_on_idle_stream_is_allowed(self):
        c = self.connect()
        c.send_priority(3, depends_on=0, weight=10)
        r = c.read_response(c.request("/direct", stream_id=5))
        self.assertEqual(r.status, 200, r)
        self.assertFalse(c.goaways, c.summary())

    def test_priority_on_closed_stream_is_allowed(self):
        c = self.connect()
        sid = c.request("/direct")
        self.assertEqual(c.read_response(sid).status, 200)
        c.send_priority(sid, depends_on=0, weight=50)
        self.assertUsable(c)

    def test_priority_on_stream_zero_is_protocol_error(self):
        c = self.connect()
        c.send(frame(PRIORITY, 0, 0, priority_payload(1, 16)))
        self.assertConnectionError(c, PROTOCOL_ERROR)

    def test_priority_with_wrong_length_is_frame_size_error(self):
        c = self.connect()
        sid = self.hold_stream(c)
        c.send(frame(PRIORITY, 0, sid, priority_payload(0, 16)[:4]))
        self.assertStreamOrConnectionError(c, sid, FRAME_SIZE_ERROR)

    def test_stream_depending_on_itself_is_protocol_error(self):
        with self.subTest(frame="HEADERS"):
            c = self.connect()
            c.send_headers(1, REQ("/direct"), priority=(1, 16, False))
            c.last_stream_id = 1
            self.assertStreamOrConnectionError(c, 1, PROTOCOL_ERROR)
        with self.subTest(frame="PRIORITY"):
            c = self.connect()
            sid = self.hold_stream(c)
            c.send_priority(sid, depends_on=sid, weight=16)
            self.assertStreamOrConnectionError(c, sid, PROTOCOL_ERROR)


# ============================================================================================
# §5.4 Error handling
# ============================================================================================

class ErrorHandlingTest(H2TestCase):
    def test_connection_error_sends_goaway_with_last_stream_then_closes(self):
        c = self.connect()
        self.assertEqual(c.read_response(c.request("/direct")).status, 200)
        c.send(frame(DATA, 0, 0, b"data on stream 0"))
        g = self.assertConnectionError(c, PROTOCOL_ERROR)
        self.assertEqual(g.last_stream_id, 1, c.summary())

    def test_stream_error_leaves_the_connection_usable(self):
        c = self.connect()
        sid = c.request("/echo", headers=[("X-Upper", "1")])
        self.assertStreamError(c, sid, PROTOCOL_ERROR)
        self.assertUsable(c)

    def test_rst_stream_is_not_answered_with_rst_stream(self):
        c = self.connect()
        sid = self.hold_stream(c)
        c.send_rst(sid, CANCEL)
        self.assertTrue(c.ping(), c.summary())
        self.assertIsNone(c.response(sid).reset,
                          f"RST_STREAM answered with RST_STREAM: {c.summary()}")


# ============================================================================================
# §6.1 DATA
# ============================================================================================

class DataFrameTest(H2TestCase):
    def test_data_on_stream_zero_is_protocol_error(self):
        c = self.connect()
        c.send(frame(DATA, 0, 0, b"x"))
        self.assertConnectionError(c, PROTOCOL_ERROR)

    def test_padded_data_is_accepted_without_its_padding(self):
        c = self.connect()
        sid = c.request("/echo", method="POST", end_stream=False)
        c.send(frame(DATA, PADDED, sid, padded(b"hello", 10)))
        c.send(frame(DATA, PADDED | END_STREAM, sid, padded(b"world!", 0)))
        r = c.read_response(sid)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json()["body_len"], 11, r)

    def test_padding_longer_than_payload_is_protocol_error(self):
        c = self.connect()
        sid = c.request("/echo", method="POST", end_stream=False)
        c.send(frame(DATA, PADDED | END_STREAM, sid, bytes([10]) + b"abc"))
        self.assertConnectionError(c, PROTOCOL_ERROR)


# ============================================================================================
# §6.2 HEADERS
# ============================================================================================

class HeadersFrameTest(H2TestCase):
    def test_headers_on_stream_zero_is_protocol_error(self):
        c = self.connect()
        c.send(frame(HEADERS, END_STREAM | END_HEADERS, 0, c.encode(REQ("/direct"))))
        self.assertConnectionError(c, PROTOCOL_ERROR)

    def test_padded_headers_are_accepted(self):
        c = self.connect()
        c.send_headers(1, REQ("/direct"), pad=20)
        c.last_stream_id = 1
        self.assertEqual(c.read_response(1).status, 200)

    def test_padding_longer_than_payload_is_protocol_error(self):
        c = self.connect()
        block = c.encode(REQ("/direct"))
        c.send(frame(HEADERS, END_STREAM | END_HEADERS | PADDED, 1,
                     bytes([len(block) + 10]) + block))
        self.assertConnectionError(c, PROTOCOL_ERROR)

    def test_trailers_are_accepted(self):
        c = self.connect()
        sid = c.request("/echo", method="POST", end_stream=False)
        c.send_data(sid, b"body")
        c.send_headers(sid, [("x-checksum", "abc")], end_stream=True)
        r = c.read_response(sid)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json()["body_len"], 4, r)


# ============================================================================================
# §6.4 RST_STREAM
# ============================================================================================

class RstStreamTest(H2TestCase):
    def test_rst_stream_on_stream_zero_is_protocol_error(self):
        c = self.connect()
        c.send(frame(RST_STREAM, 0, 0, struct.pack(">I", CANCEL)))
        self.assertConnectionError(c, PROTOCOL_ERROR)

    def test_rst_stream_with_wrong_length_is_frame_size_error(self):
        c = self.connect()
        sid = self.hold_stream(c)
        c.send(frame(RST_STREAM, 0, sid, b"\x00\x00\x08"))
        self.assertConnectionError(c, FRAME_SIZE_ERROR)

    def test_rst_stream_cancels_the_upstream_request(self):
        c = self.connect()
        before = self.up.count()
        sid = c.request("/hold/cancel")
        self.assertTrue(self.up.wait_requests(before + 1, 5.0), "the request never reached "
                        "the upstream")
        conn = self.up.last().conn
        c.send_rst(sid, CANCEL)
        self.assertTrue(conn.peer_closed.wait(5.0),
                        "the upstream request was not abandoned after RST_STREAM")
        self.assertUsable(c)


# ============================================================================================
# §6.5 SETTINGS
# ============================================================================================

class SettingsFrameTest(H2TestCase):
    def test_settings_ack_with_payload_is_frame_size_error(self):
        c = self.connect()
        c.send(frame(SETTINGS, ACK, 0, settings_payload({INITIAL_WINDOW_SIZE: 100})))
        self.assertConnectionError(c, FRAME_SIZE_ERROR)

    def test_settings_on_a_stream_is_protocol_error(self):
        c = self.connect()
        c.send(frame(SETTINGS, 0, 1, settings_payload({INITIAL_WINDOW_SIZE: 100})))
        self.assertConnectionError(c, PROTOCOL_ERROR)

    def test_settings_length_not_a_multiple_of_6_is_frame_size_error(self):
        c = self.connect()
        c.send(frame(SETTINGS, 0, 0, settings_payload({MAX_CONCURRENT_STREAMS: 100}) + b"\0"))
        self.assertConnectionError(c, FRAME_SIZE_ERROR)

    def test_unknown_setting_is_ignored(self):
        c = self.connect()
        acks = c.settings_acks
        c.send_settings({0xFF: 12345, 0x4242: 1})
        c.wait_for(lambda f: f.type == SETTINGS and "ACK" in f.flags)
        self.assertGreater(c.settings_acks, acks, c.summary())
        self.assertUsable(c)

    def test_server_frames_fit_the_default_max_frame_size(self):
        c = self.connect({INITIAL_WINDOW_SIZE: 1 << 20})
        c.send_window_update(0, 1 << 20)
        r = c.read_response(c.request("/big/100000"))
        self.assertEqual(len(r.body), 100000, r)
        big = [f for f in c.frames if f.raw_length > 16384]
        self.assertEqual(big, [], "frames over 16384 bytes sent without MAX_FRAME_SIZE")


# ============================================================================================
# §6.5.2 Defined settings: value validation
# ============================================================================================

class SettingsValuesTest(H2TestCase):
    def test_enable_push_other_than_0_or_1_is_protocol_error(self):
        c = self.connect()
        c.send_settings({ENABLE_PUSH: 2})
        self.assertConnectionError(c, PROTOCOL_ERROR)

    def test_initial_window_size_above_max_is_flow_control_error(self):
        c = self.connect()
        c.send_settings({INITIAL_WINDOW_SIZE: MAX_WINDOW + 1})
        self.assertConnectionError(c, FLOW_CONTROL_ERROR)

    def test_max_frame_size_outside_16384_to_2_24_minus_1_is_protocol_error(self):
        for value in (16383, 1 << 24):
            with self.subTest(max_frame_size=value):
                c = self.connect()
                c.send_settings({MAX_FRAME_SIZE: value})
                self.assertConnectionError(c, PROTOCOL_ERROR)

    def test_header_table_size_zero_is_honoured(self):
        # With SETTINGS_HEADER_TABLE_SIZE 0 the server's encoder may not keep dynamic entries:
        # our decoder's table is 0 bytes, so any reference to one fails to decode.
        c = self.connect({HEADER_TABLE_SIZE: 0})
        for i in range(3):
            r = c.read_response(c.request(f"/echo/{i}"))
            self.assertEqual(r.status, 200, r)


# ============================================================================================
# §6.7 PING
# ============================================================================================

class PingTest(H2TestCase):
    def test_ping_is_acknowledged_with_the_same_payload(self):
        c = self.connect()
        self.assertTrue(c.ping(data=b"\x01\x02\x03\x04\x05\x06\x07\x08"), c.summary())

    def test_ping_ack_is_not_answered(self):
        c = self.connect()
        c.send_ping(b"unasked!", ack=True)
        self.assertTrue(c.ping(data=b"asked!!!"), c.summary())
        self.assertEqual(c.ping_acks, [b"asked!!!"], c.summary())

    def test_ping_on_a_stream_is_protocol_error(self):
        c = self.connect()
        c.send(frame(PING, 0, 1, b"12345678"))
        self.assertConnectionError(c, PROTOCOL_ERROR)

    def test_ping_with_wrong_length_is_frame_size_error(self):
        c = self.connect()
        c.send(frame(PING, 0, 0, b"1234567"))
        self.assertConnectionError(c, FRAME_SIZE_ERROR)


# ============================================================================================
# §6.8 GOAWAY
# ============================================================================================

class GoawayTest(H2TestCase):
    def test_goaway_on_a_stream_is_protocol_error(self):
        c = self.connect()
        c.send(frame(GOAWAY, 0, 1, struct.pack(">II", 0, NO_ERROR)))
        self.assertConnectionError(c, PROTOCOL_ERROR)

    def test_client_goaway_lets_open_streams_complete(self):
        c = self.connect()
        sid = c.request("/big/1000")
        c.send_goaway(NO_ERROR, last_stream_id=0)
        r = c.read_response(sid)
        self.assertEqual((r.status, r.body), (200, body_of(1000)), r)


# ============================================================================================
# §6.10 CONTINUATION (and §4.3 field blocks)
# ============================================================================================

class ContinuationTest(H2TestCase):
    def test_header_block_split_over_continuations_is_accepted(self):
        c = self.connect()
        c.send_headers(1, REQ("/echo", headers=[("x-long", "v" * 100)]), split=20)
        c.last_stream_id = 1
        r = c.read_response(1)
        self.assertEqual(r.status, 200, r)
        self.assertIn(["x-long", "v" * 100], [[k.lower(), v] for k, v in r.json()["headers"]])

    def test_continuation_after_end_headers_is_protocol_error(self):
        c = self.connect()
        c.send_headers(1, REQ("/hold", "POST"), end_stream=False)
        c.send(frame(CONTINUATION, END_HEADERS, 1, hpack_literal("x-a", "b")))
        self.assertConnectionError(c, PROTOCOL_ERROR)

    def test_continuation_on_another_stream_is_protocol_error(self):
        c = self.connect()
        block = c.encode(REQ("/direct"))
        c.send(frame(HEADERS, END_STREAM, 1, block[:5]) +
               frame(CONTINUATION, END_HEADERS, 3, block[5:]))
        self.assertConnectionError(c, PROTOCOL_ERROR)

    def test_continuation_on_stream_zero_is_protocol_error(self):
        c = self.connect()
        block = c.encode(REQ("/direct"))
        c.send(frame(HEADERS, END_STREAM, 1, block[:5]) +
               frame(CONTINUATION, END_HEADERS, 0, block[5:]))
        self.assertConnectionError(c, PROTOCOL_ERROR)

    def test_any_other_frame_inside_a_header_block_is_protocol_error(self):
        # §4.3 / §6.2: a field block is contiguous; §5.5: extension frames included.
        for name, raw in (("PING", frame(PING, 0, 0, b"12345678")),
                          ("DATA", frame(DATA, 0, 1, b"x")),
                          ("unknown type", frame(0xFA, 0, 1, b"ext"))):
            with self.subTest(frame=name):
                c = self.connect()
                block = c.encode(REQ("/direct"))
                c.send(frame(HEADERS, END_STREAM, 1, block[:5]) + raw +
                       frame(CONTINUATION, END_HEADERS, 1, block[5:]))
                self.assertConnectionError(c, PROTOCOL_ERROR)


# ============================================================================================
# RFC 7541 HPACK / RFC 9113 §4.3: decoding errors are COMPRESSION_ERROR connection errors
# ============================================================================================

def raw_request_block(path="/direct"):
    """GET http://gw.test{path} without touching the dynamic table."""
    return (hpack_indexed(2) + hpack_indexed(6) + hpack_literal(None, path, name_index=4) +
            hpack_literal(None, "gw.test", name_index=1))


class HpackTest(H2TestCase):
    def send_block(self, block):
        c = self.connect()
        c.send(frame(HEADERS, END_STREAM | END_HEADERS, 1, block))
        return c

    def assertCompressionError(self, block):
        c = self.send_block(block)
        self.assertConnectionError(c, COMPRESSION_ERROR)

    def test_raw_request_block_is_valid(self):  # the base of the malformed blocks below
        c = self.send_block(raw_request_block())
        self.assertEqual(c.read_response(1).status, 200)

    def test_invalid_index_is_compression_error(self):
        for index in (0, 70):  # 0 is never valid; 70 is past the static table and the empty
            with self.subTest(index=index):  # dynamic one
                self.assertCompressionError(raw_request_block() + hpack_indexed(index))

    def test_integer_overflow_is_compression_error(self):
        self.assertCompressionError(raw_request_block() + b"\xff" + b"\xff" * 10 + b"\x01")

    def test_truncated_string_is_compression_error(self):
        self.assertCompressionError(raw_request_block() + b"\x00" + hpack_string("x-a") +
                                    hpack_int(100, 7) + b"abc")

    def test_table_size_update_above_setting_is_compression_error(self):
        c = self.connect()
        limit = c.peer_settings.get(HEADER_TABLE_SIZE, 4096)
        c.send(frame(HEADERS, END_STREAM | END_HEADERS, 1,
                     hpack_table_size_update(limit + 1) + raw_request_block()))
        self.assertConnectionError(c, COMPRESSION_ERROR)

    def test_table_size_update_after_a_field_is_compression_error(self):
        self.assertCompressionError(raw_request_block() + hpack_table_size_update(0))

    def test_invalid_huffman_string_is_compression_error(self):
        # 'a' is the 5-bit code 00011; padding must be the most significant bits of EOS (1s),
        # at most 7 bits, and EOS itself must not appear.
        for name, value in (("padding of zeros", b"\x81\x18"),
                            ("padding longer than 7 bits", b"\x82\x1f\xff"),
                            ("EOS symbol", b"\x84\xff\xff\xff\xff")):
            with self.subTest(name):
                self.assertCompressionError(raw_request_block() + b"\x00" +
                                            hpack_string("x-a") + value)

    def test_dynamic_table_entries_are_reused(self):
        c = self.connect()
        for _ in range(3):
            r = c.read_response(c.request("/echo", headers=[("x-indexed", "value-1")]))
            self.assertEqual(r.status, 200, r)
            self.assertIn(["x-indexed", "value-1"],
                          [[k.lower(), v] for k, v in r.json()["headers"]])


# ============================================================================================
# §8.1-§8.3 HTTP message rules: malformed requests are stream errors of type PROTOCOL_ERROR
# ============================================================================================

class HttpMessageTest(H2TestCase):
    def assertMalformed(self, headers, body=None, trailers=None, forwarded_ok=False):
        c = self.connect()
        before = self.up.count()
        sid = c.next_stream_id()
        c.send_headers(sid, headers, end_stream=body is None and trailers is None)
        if body is not None:
            c.send_data(sid, body, end_stream=trailers is None)
        if trailers is not None:
            c.send_headers(sid, trailers, end_stream=True)
        self.assertStreamError(c, sid, PROTOCOL_ERROR)
        if not forwarded_ok:
            self.assertEqual(self.up.count(), before, "a malformed request reached the upstream")

    def test_well_formed_post_is_forwarded(self):
        c = self.connect()
        r = c.read_response(c.request("/echo", method="POST", body=b"12345",
                                      headers=[("content-length", "5")]))
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json()["body_len"], 5, r)

    def test_uppercase_header_name_is_malformed(self):
        self.assertMalformed(REQ("/echo", headers=[("X-Upper", "1")]))

    def test_connection_specific_header_is_malformed(self):
        for name, value in (("connection", "keep-alive"), ("keep-alive", "timeout=5"),
                            ("proxy-connection", "keep-alive"),
                            ("transfer-encoding", "chunked"), ("upgrade", "h2c")):
            with self.subTest(name=name):
                self.assertMalformed(REQ("/echo", headers=[(name, value)]))

    def test_te_other_than_trailers_is_malformed(self):
        self.assertMalformed(REQ("/echo", headers=[("te", "gzip")]))

    def test_te_trailers_is_allowed(self):
        c = self.connect()
        r = c.read_response(c.request("/echo", headers=[("te", "trailers")]))
        self.assertEqual(r.status, 200, r)

    def test_missing_pseudo_header_is_malformed(self):
        full = REQ("/echo")
        for name in (":method", ":scheme", ":path"):
            with self.subTest(missing=name):
                self.assertMalformed([(k, v) for k, v in full if k != name])

    def test_duplicate_pseudo_header_is_malformed(self):
        for dup in ((":method", "GET"), (":scheme", "http"), (":path", "/echo"),
                    (":authority", "gw.test")):
            with self.subTest(duplicate=dup[0]):
                self.assertMalformed(REQ("/echo") + [dup])

    def test_empty_path_is_malformed(self):
        self.assertMalformed(REQ(""))

    def test_undefined_or_response_pseudo_header_is_malformed(self):
        for name, value in ((":foo", "bar"), (":status", "200")):
            with self.subTest(name=name):
                self.assertMalformed(REQ("/echo") + [(name, value)])

    def test_pseudo_header_after_regular_header_is_malformed(self):
        hdrs = REQ("/echo")
        self.assertMalformed(hdrs[:2] + [("x-early", "1")] + hdrs[2:])

    def test_field_value_with_cr_lf_or_nul_is_malformed(self):
        for value in ("a\r\nx-injected: 1", "a\nb", "a\0b"):
            with self.subTest(value=value):
                self.assertMalformed(REQ("/echo", headers=[("x-bad", value)]))

    def test_field_name_with_invalid_character_is_malformed(self):
        for name in ("x bad", "x:bad", "x\0bad"):
            with self.subTest(name=name):
                self.assertMalformed(REQ("/echo", headers=[(name, "1")]))

    def test_content_length_not_matching_the_body_is_malformed(self):
        for length in (10, 2):  # the body has 5 bytes
            with self.subTest(content_length=length):
                hdrs = REQ("/echo", "POST", headers=[("content-length", str(length))])
                self.assertMalformed(hdrs, body=b"12345", forwarded_ok=True)

    def test_pseudo_header_in_trailers_is_malformed(self):
        self.assertMalformed(REQ("/echo", "POST"), body=b"abc",
                             trailers=[(":path", "/other")], forwarded_ok=True)

    def test_second_headers_without_end_stream_is_malformed(self):
        c = self.connect()
        sid = c.request("/echo", method="POST", end_stream=False)
        c.send_headers(sid, [("x-second", "1")], end_stream=False)
        self.assertStreamError(c, sid, PROTOCOL_ERROR)


# ============================================================================================
# Attack mitigations
# ============================================================================================

FLOOD_CLOSE_CODES = {ENHANCE_YOUR_CALM, PROTOCOL_ERROR, COMPRESSION_ERROR, FRAME_SIZE_ERROR}


class AttackMitigationTest(H2TestCase):
    def rapid_reset_batch(self, c, n, path="/rapid-reset"):
        data = b""
        for _ in range(n):
            sid = c.next_stream_id()
            c.last_stream_id = sid
            data += c.headers_frames(sid, c.encode(REQ(path)), end_stream=True)
            data += frame(RST_STREAM, 0, sid, struct.pack(">I", CANCEL))
        return data

    def flood_then_expect_cut(self, c, chunks, codes, limit_bytes, skim=False):
        """Sends chunks (without reading, apart from a non-blocking look now and then) until the
        server closes or `limit_bytes` were sent; then the server must have closed, or sent a
        GOAWAY with one of `codes` -- and any GOAWAY must have one of them. Returns bytes sent."""
        sent = 0
        stalled = False
        for i, chunk in enumerate(chunks):
            try:
                if not c.send(chunk):
                    break
            except socket.timeout:
                stalled = True
                break
            sent += len(chunk)
            if not skim and i % 64 == 0:
                c.drain()
                if c.goaways or c.closed:
                    break
            if sent >= limit_bytes:
                break
        closed = c.skim_until_closed(5.0) if skim else c.is_closed(5.0)
        bad = [g for g in c.goaways if g.error_code not in codes]
        self.assertEqual(bad, [], f"GOAWAY with an unexpected code: {c.summary()}")
        self.assertTrue(closed or c.goaways,
                        f"after {sent} bytes{' (the server stopped reading)' if stalled else ''}"
                        f" the server neither closed nor sent GOAWAY"
                        f"{'' if closed else ' within 5 s'}: {c.summary()}")
        self.assertLess(sent, limit_bytes, f"the server took {sent} bytes before closing")
        self.assertAlive()
        return sent

    def test_rapid_reset_gets_enhance_your_calm(self):
        c = self.connect()
        opened = 0
        while opened < 2000 and not (c.goaways or c.closed):
            if not c.send(self.rapid_reset_batch(c, 50)):
                break
            opened += 50
            c.ping(5.0)  # a barrier: the server has processed everything sent so far
        g = c.expect_goaway(ENHANCE_YOUR_CALM, timeout=2.0)
        self.assertLessEqual(g.last_stream_id, c.last_stream_id)
        self.assertTrue(c.is_closed(5.0), f"not closed after GOAWAY: {c.summary()}")
        self.assertAlive()

    def test_continuation_flood_is_cut_off(self):
        c = self.connect(sndbuf=65536)
        c.send(frame(HEADERS, END_STREAM, 1, c.encode(REQ("/continuation-flood"))))
        piece = b"".join(hpack_literal(f"x-flood-{i}", "a" * 1000) for i in range(4))
        chunks = (frame(CONTINUATION, 0, 1, piece) for _ in range(100000))
        self.flood_then_expect_cut(c, chunks, FLOOD_CLOSE_CODES, 10 * 1024 * 1024)

    def test_empty_continuation_flood_is_cut_off(self):
        c = self.connect(sndbuf=65536)
        c.send(frame(HEADERS, END_STREAM, 1, c.encode(REQ("/continuation-flood"))))
        chunks = (frame(CONTINUATION, 0, 1, b"") * 1000 for _ in range(100))
        self.flood_then_expect_cut(c, chunks, FLOOD_CLOSE_CODES, 10 * 1024 * 1024)

    def test_hpack_bomb_is_refused_and_the_server_survives(self):
        c = self.connect()
        big = "b" * 4000  # one dynamic-table entry, then referenced by index 4000 times
        block = c.encode(REQ("/hpack-bomb") + [("x-bomb", big)] * 4000)
        self.assertLess(len(block), 16384)
        sid = c.next_stream_id()
        c.send_headers(sid, block=block, end_stream=True)
        r = c.response(sid)
        c.wait_for(lambda f: False, 10.0, until=lambda: r.ended or r.reset is not None or
                   c.goaways)
        if c.goaways:  # the connection was given up: only ENHANCE_YOUR_CALM, then closed
            c.expect_goaway(ENHANCE_YOUR_CALM, timeout=0)
            self.assertTrue(c.is_closed(5.0), f"not closed after GOAWAY: {c.summary()}")
        else:  # the stream alone was refused; the connection goes on
            self.assertTrue(r.ended or r.reset is not None,
                            f"the oversized request was not answered: {c.summary()}")
            if r.reset is None:
                self.assertErrorJson(r, 431)
            self.assertUsable(c)
        with self.up.lock:
            paths = [u.path for u in self.up.requests]
        self.assertNotIn("/hpack-bomb", paths, "the oversized request reached the upstream")
        self.assertAlive()

    def ack_flood(self, one_frame, count):
        # The server's socket send buffer grows to tcp_wmem's maximum (4 MiB on Linux), so the
        # flood asks for more ACK bytes than that: beyond it they can only pile up in the server
        # (or the server stops reading: then it must still close rather than stall for ever).
        c = self.connect(rcvbuf=4096, sndbuf=65536)
        chunks = (one_frame * 1000 for _ in range(count // 1000))
        self.flood_then_expect_cut(c, chunks, {ENHANCE_YOUR_CALM}, len(one_frame) * count + 1,
                                   skim=True)
        acks = sum(c.skimmed.get(t, 0) for t in (SETTINGS, PING))
        self.assertLess(acks, count, "the server answered the whole flood")

    def test_settings_flood_is_cut_off(self):
        self.ack_flood(frame(SETTINGS, 0, 0, b""), 1000000)  # 9 MB in, 9 MB of ACKs asked for

    def test_ping_flood_is_cut_off(self):
        self.ack_flood(frame(PING, 0, 0, b"floodme!"), 500000)  # 8.5 MB in and asked for

    def test_empty_data_flood_gets_enhance_your_calm(self):
        c = self.connect()
        sid = self.hold_stream(c)
        c.send(frame(DATA, 0, sid, b"") * 1000)
        c.expect_goaway(ENHANCE_YOUR_CALM)
        self.assertTrue(c.is_closed(5.0), c.summary())
        self.assertAlive()

    def test_priority_flood_gets_enhance_your_calm(self):
        c = self.connect()
        sid = self.hold_stream(c)
        c.send(b"".join(frame(PRIORITY, 0, sid, priority_payload(0, 1 + i % 256))
                        for i in range(1000)))
        c.expect_goaway(ENHANCE_YOUR_CALM)
        self.assertTrue(c.is_closed(5.0), c.summary())
        self.assertAlive()

    def test_max_stream_id_is_served_and_any_later_headers_is_protocol_error(self):
        c = self.connect()
        r = c.read_response(c.request("/direct", stream_id=MAX_STREAM_ID))
        self.assertEqual(r.status, 200, r)
        c.send_headers(1, REQ("/direct"))
        g = c.wait_for(lambda f: f.type == GOAWAY and f.error_code == PROTOCOL_ERROR)
        self.assertIsNotNone(g, f"no GOAWAY(PROTOCOL_ERROR) for a HEADERS after stream "
                                f"{MAX_STREAM_ID}: {c.summary()}")
        self.assertAlive()

    def test_a_flood_does_not_starve_other_connections(self):
        stop = threading.Event()
        started = threading.Event()
        streams = [0]

        def attacker():
            while not stop.is_set():
                try:
                    a = H2Conn(self.port, timeout=2.0)
                    try:
                        a.handshake()
                        for _ in range(40):
                            if stop.is_set() or not a.send(self.rapid_reset_batch(a, 50)):
                                break
                            streams[0] += 50
                            started.set()
                            a.drain()
                            if a.goaways or a.closed:
                                break
                    finally:
                        a.close()
                except (OSError, AssertionError):
                    pass  # refused, reset or timed out: go again

        t = threading.Thread(target=attacker, daemon=True)
        t.start()
        self.addCleanup(t.join, 10.0)
        self.addCleanup(stop.set)
        self.assertTrue(started.wait(5.0), "the attacker could not start")
        good = self.connect()
        for i in range(20):  # answered by nexus itself: the shared upstream is not measured
            r = good.read_response(good.request(f"/direct/good/{i}"), timeout=5.0)
            self.assertEqual((r.status, r.body), (200, b"hi"), r)
        stop.set()
        t.join(10.0)
        self.assertGreater(streams[0], 0)
        self.assertAlive()


# ============================================================================================
# Graceful shutdown (§6.8): GOAWAY(NO_ERROR), in-flight streams complete, then close
# ============================================================================================

class GracefulShutdownTest(NexusTestCase):
    BODY = body_of(200000)
    shutdown_signal = signal.SIGTERM

    def start_server(self, up):
        return self.nexus(h2_config(free_port(), up))

    def test_sigterm_sends_goaway_and_completes_the_open_stream(self):
        gate = threading.Event()

        def slow(req, conn):
            if not gate.wait(20.0):
                return False
            conn.respond(200, self.BODY)
            return True

        up = self.upstream(slow)
        nx = self.start_server(up)
        c = H2Conn(nx.port)
        self.addCleanup(c.close)
        c.handshake()
        sid = c.request("/slow")
        self.assertTrue(up.wait_requests(1, 5.0), "the request never reached the upstream")
        nx.send_signal(self.shutdown_signal)
        g = c.expect_goaway(NO_ERROR, timeout=5.0)
        self.assertGreaterEqual(g.last_stream_id, sid, c.summary())
        gate.set()
        r = c.read_response(sid, timeout=10.0)
        self.assertEqual(r.status, 200, r)
        self.assertIsNone(r.reset, r)
        self.assertEqual(len(r.body), len(self.BODY), r)
        self.assertEqual(r.body, self.BODY)
        self.assertTrue(c.is_closed(10.0), f"connection not closed after the drain: "
                        f"{c.summary()}")


if __name__ == "__main__":
    unittest.main()
