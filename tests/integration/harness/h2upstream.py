"""A recording HTTP/2 test upstream (server side of Debian's python3-h2), threaded like Upstream.

    up = H2Upstream(handler, max_concurrent_streams=2, tls=h2_server_tls_context(cert, key))

Each accepted connection gets one I/O thread that owns the socket (plain prior knowledge, or TLS
with ALPN); it feeds the bytes to an h2.connection.H2Connection, acknowledges request DATA as it
is read (so the client's flow-control windows reopen), records every request, and, once a
request has ended (END_STREAM), runs handler(req, stream) on a thread of its own. The handler
answers through the H2Stream it is given: respond(), send_headers()/send_data()/send_trailers()
(send_data waits for WINDOW_UPDATE when the window is shut), reset(code), or nothing at all.
Handlers only change h2 state under the connection's lock and wake the I/O thread, which does all
socket writes: an SSL socket is never read and written from two threads at once.

MAX_CONCURRENT_STREAMS is advertised in the first SETTINGS frame and enforced here, not by h2:
a HEADERS frame over the limit is counted in conn.excess and refused with RST_STREAM, using
REFUSED_STREAM while our SETTINGS are not yet acknowledged and PROTOCOL_ERROR afterwards (what
Go's server does), instead of h2's connection error.

Requires /usr/bin/python3 (the `h2` module comes from Debian's python3-h2).
"""

import collections
import json
import random
import select
import socket
import ssl
import threading
import time

try:
    import h2.config
    import h2.connection
    import h2.errors
    import h2.events
    import h2.exceptions
    import h2.settings
    from hyperframe.frame import GoAwayFrame
except ImportError as e:  # pragma: no cover
    raise ImportError("harness/h2upstream.py needs the h2 module (Debian python3-h2): "
                      "run the tests with /usr/bin/python3") from e

from .common import wait_until
from .recording import RecordingServer

ErrorCodes = h2.errors.ErrorCodes
NO_ERROR = ErrorCodes.NO_ERROR
PROTOCOL_ERROR = ErrorCodes.PROTOCOL_ERROR
INTERNAL_ERROR = ErrorCodes.INTERNAL_ERROR
REFUSED_STREAM = ErrorCodes.REFUSED_STREAM
CANCEL = ErrorCodes.CANCEL

UNLIMITED = 2 ** 31 - 1
PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"


class StreamGone(Exception):
    """The stream (or its connection) is closed: the handler cannot send on it any more."""


def _s(b):
    return b.decode("latin-1") if isinstance(b, (bytes, bytearray)) else b


def _get(headers, name):
    name = name.lower()
    for k, v in headers:
        if k.lower() == name:
            return v
    return None


class H2Request:
    """One request as received: pseudo-headers split out, `headers` is every field in order."""

    def __init__(self, conn, stream_id, headers):
        self.conn, self.stream_id = conn, stream_id
        self.headers = [(_s(k), _s(v)) for k, v in headers]
        self.method = _get(self.headers, ":method")
        self.path = _get(self.headers, ":path")
        self.authority = _get(self.headers, ":authority")
        self.scheme = _get(self.headers, ":scheme")
        self._body = bytearray()
        self.trailers = []
        self.complete = threading.Event()   # END_STREAM received
        self.time = time.monotonic()

    @property
    def body(self):
        return bytes(self._body)

    @property
    def body_length(self):
        return len(self._body)

    @property
    def conn_id(self):
        return self.conn.id

    @property
    def regular_headers(self):
        return [(k, v) for k, v in self.headers if not k.startswith(":")]

    def header(self, name):
        return _get(self.headers, name)

    def headers_named(self, name):
        return [v for k, v in self.headers if k.lower() == name.lower()]

    def __repr__(self):
        return (f"<H2Request conn={self.conn.id} stream={self.stream_id} {self.method} "
                f"{self.path} {self.headers} {self.body[:100]!r}>")


class H2Stream:
    """The handler's side of one stream. Every method raises StreamGone once the stream is over."""

    def __init__(self, conn, stream_id, req):
        self.conn, self.id, self.req = conn, stream_id, req
        self.local_ended = False            # we sent END_STREAM or RST_STREAM
        self.remote_ended = False           # the peer sent END_STREAM or RST_STREAM
        self.reset_by_peer = None           # error code of the peer's RST_STREAM
        self.reset_by_us = None
        self.peer_reset = threading.Event()
        self.headers_sent = False
        self.data_sent = 0

    @property
    def closed(self):
        return self.local_ended and self.remote_ended

    # -- sending
    def send_headers(self, status=200, headers=(), end_stream=False):
        hdrs = [(":status", str(status))] + [(str(k).lower(), str(v)) for k, v in headers]
        with self.conn.cond:
            self._check()
            self._h2_call(self.conn.h2.send_headers, self.id, hdrs, end_stream=end_stream)
            self.headers_sent = True
            if end_stream:
                self._ended_locally()
        self.conn.wake()

    def send_data(self, data, end_stream=False, timeout=20.0):
        """Sends `data` in frames no larger than the peer allows, waiting (bounded) for window."""
        if isinstance(data, str):
            data = data.encode()
        view = memoryview(data)
        deadline = time.monotonic() + timeout
        conn = self.conn
        with conn.cond:
            while True:
                self._check()
                if not view:
                    if end_stream:
                        self._h2_call(conn.h2.end_stream, self.id)
                        self._ended_locally()
                        conn.wake()
                    return
                try:
                    window = conn.h2.local_flow_control_window(self.id)
                except h2.exceptions.StreamClosedError:
                    raise StreamGone(f"stream {self.id} closed")
                n = min(window, conn.h2.max_outbound_frame_size, len(view))
                if n <= 0:
                    left = deadline - time.monotonic()
                    if left <= 0:
                        raise StreamGone(f"stream {self.id}: flow-control window shut for "
                                         f"{timeout}s")
                    conn.cond.wait(min(left, 0.1))
                    continue
                last = end_stream and n == len(view)
                self._h2_call(conn.h2.send_data, self.id, view[:n].tobytes(), end_stream=last)
                self.data_sent += n
                view = view[n:]
                if last:
                    self._ended_locally()
                conn.wake()
                if last:
                    return

    def end(self):
        self.send_data(b"", end_stream=True)

    def send_trailers(self, trailers):
        with self.conn.cond:
            self._check()
            self._h2_call(self.conn.h2.send_headers, self.id,
                          [(str(k).lower(), str(v)) for k, v in trailers], end_stream=True)
            self._ended_locally()
        self.conn.wake()

    def respond(self, status=200, body=b"ok", headers=None, trailers=None, content_length=True):
        if isinstance(body, str):
            body = body.encode()
        hdrs = list(headers or [])
        if content_length and not any(k.lower() == "content-length" for k, _ in hdrs):
            hdrs.append(("content-length", str(len(body))))
        if not body and not trailers:
            self.send_headers(status, hdrs, end_stream=True)
            return
        self.send_headers(status, hdrs)
        self.send_data(body, end_stream=not trailers)
        if trailers:
            self.send_trailers(trailers)

    def reset(self, error_code=INTERNAL_ERROR):
        with self.conn.cond:
            self._check()
            self._h2_call(self.conn.h2.reset_stream, self.id, error_code)
            self.reset_by_us = error_code
            self.local_ended = self.remote_ended = True
            self.conn._stream_closed(self)
        self.conn.wake()

    # -- waiting
    def wait_peer_reset(self, timeout):
        """True once the peer reset this stream (or the connection went away) within timeout."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.peer_reset.wait(0.05) or self.conn.peer_closed.is_set() \
                    or self.conn.upstream.stopping.is_set():
                return self.peer_reset.is_set() or self.conn.peer_closed.is_set()
        return False

    # -- internals (called with conn.cond held)
    def _check(self):
        if self.conn.upstream.stopping.is_set() or self.conn.io_done.is_set():
            raise StreamGone("connection closed")
        if self.reset_by_peer is not None or self.reset_by_us is not None or self.local_ended:
            raise StreamGone(f"stream {self.id} is over")

    def _h2_call(self, fn, *args, **kw):
        try:
            return fn(*args, **kw)
        except (h2.exceptions.StreamClosedError, h2.exceptions.ProtocolError) as e:
            raise StreamGone(f"stream {self.id}: {e!r}")

    def _ended_locally(self):
        self.local_ended = True
        if self.closed:
            self.conn._stream_closed(self)


class H2UpstreamConn:
    def __init__(self, upstream, sock, cid):
        self.upstream, self.sock, self.id = upstream, sock, cid
        self.cond = threading.Condition()   # guards h2, streams, out
        self.h2 = None
        self.streams = {}                    # stream id -> H2Stream (every stream ever opened)
        self.active = set()                  # stream ids open from the peer's point of view
        self.max_active = 0
        self.excess = []                     # (stream_id, settings_acked) refused over the limit
        self.settings_acked = False
        self.remote_settings = {}
        self.goaway_received = None          # error code of the peer's GOAWAY
        self.goaway_sent = False
        self.protocol_error = None
        self.alpn = None
        self.sni = None
        self.raw_received = b""              # what a non-h2 (ALPN mismatch) connection got
        self.bytes_sent = 0
        self.bytes_received = 0
        self.out = bytearray()
        self._pings = {}
        self.unacked = []                    # (length, stream_id) of DATA not acknowledged yet
        self._ping_seq = 0
        self.peer_closed = threading.Event()  # EOF or error reading from the peer
        self.io_done = threading.Event()      # the I/O thread is finished with the socket
        self._shutdown_write = False
        self._abort = False
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_r.setblocking(False)
        self._wake_w.setblocking(False)

    # -- connection-level actions, for handlers and tests
    def wake(self):
        try:
            self._wake_w.send(b"x")
        except OSError:
            pass

    def goaway(self, last_stream_id=None, error_code=NO_ERROR):
        """Queues a GOAWAY frame (written by hand: h2 refuses to send anything after its own)."""
        with self.cond:
            if last_stream_id is None:
                last_stream_id = self.h2.highest_inbound_stream_id
            f = GoAwayFrame(0)
            f.last_stream_id = last_stream_id
            f.error_code = error_code
            self.out += self.h2.data_to_send() + f.serialize()
            self.goaway_sent = True
        self.wake()

    def ping(self):
        """Sends a PING; returns an Event set when its ACK arrives. The peer has then processed
        every frame we sent before it (e.g. a GOAWAY)."""
        ev = threading.Event()
        with self.cond:
            self._ping_seq += 1
            opaque = b"%08d" % self._ping_seq
            self._pings[opaque] = ev
            self.h2.ping(opaque)
        self.wake()
        return ev

    def shutdown_write(self):
        """Sends FIN once everything queued is written; keeps reading (peer_closed tells EOF).
        Plain connections only (an SSLSocket drops its TLS layer on shutdown())."""
        self._shutdown_write = True
        self.wake()

    def abort(self):
        """Closes the socket with RST now."""
        self._abort = True
        self.wake()

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def stream_count(self):
        with self.cond:
            return len(self.streams)

    # -- called with cond held
    def _stream_closed(self, stream):
        self.active.discard(stream.id)
        self.cond.notify_all()


class H2Upstream(RecordingServer):
    """A threaded HTTP/2 upstream on 127.0.0.1 that records requests.

    handler(req, stream) answers a request (default: h2_ok()). tls: an ssl.SSLContext (see
    h2_server_tls_context); connections whose ALPN is not "h2" are answered like an HTTP/1.1
    server would (400 and close) and recorded with their raw bytes, never as requests.
    """

    def __init__(self, handler=None, name=None, tls=None, max_concurrent_streams=100,
                 initial_window_size=None, io_timeout=20.0, handshake_delay=0.0,
                 hold_acks=None):
        """handshake_delay: seconds to wait after accept before the TLS handshake (a slow
        connection setup). hold_acks: a threading.Event; until it is set, request DATA is
        recorded but not acknowledged, so the client's flow-control windows stay shut."""
        super().__init__(name)
        self.handler = handler or h2_ok()
        self.handshake_delay = handshake_delay
        self.hold_acks = hold_acks
        self.tls = tls
        self.max_concurrent_streams = max_concurrent_streams
        self.initial_window_size = initial_window_size
        self.io_timeout = io_timeout
        self.handler_errors = []
        self._threads = []
        t = threading.Thread(target=self._accept_loop, daemon=True)
        t.start()
        self._threads.append(t)

    # -- inspection
    def all_requests(self):
        with self.lock:
            return list(self.requests)

    def conns(self):
        with self.lock:
            return list(self.connections)

    def body_bytes_received(self):
        """Request body bytes received so far, over every stream (finished or not)."""
        total = 0
        for c in self.conns():
            with c.cond:
                total += sum(st.req.body_length for st in c.streams.values())
        return total

    def active_streams(self):
        return sum(len(c.active) for c in self.conns())

    # -- machinery
    def _accept_loop(self):
        while not self.stopping.is_set():
            try:
                sock, _ = self.listener.accept()
            except OSError:
                return
            with self.lock:
                conn = H2UpstreamConn(self, sock, len(self.connections))
                self.connections.append(conn)
            t = threading.Thread(target=self._serve, args=(conn,), daemon=True)
            t.start()

    def _serve(self, conn):
        try:
            if self.handshake_delay and self.stopping.wait(self.handshake_delay):
                return
            if self.tls is not None:
                conn.sock.settimeout(5)
                conn.sock = self.tls.wrap_socket(conn.sock, server_side=True)
                conn.sni = getattr(conn.sock, "nexus_sni", None)
                conn.alpn = conn.sock.selected_alpn_protocol()
                if conn.alpn != "h2":
                    self._serve_not_h2(conn)
                    return
            self._serve_h2(conn)
        except (OSError, ssl.SSLError, ValueError):
            conn.peer_closed.set()
        finally:
            conn.io_done.set()
            with conn.cond:
                conn.cond.notify_all()
            if conn._abort:
                try:
                    conn.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                         b"\x01\x00\x00\x00\x00\x00\x00\x00")
                except OSError:
                    pass
            conn.close()
            for s in (conn._wake_r, conn._wake_w):
                s.close()

    def _serve_not_h2(self, conn):
        """An HTTP/1.1-only server: whatever arrives gets a 400, then the connection closes."""
        deadline = time.monotonic() + 5.0
        conn.sock.settimeout(0.05)
        while time.monotonic() < deadline and not self.stopping.is_set():
            try:
                data = conn.sock.recv(65536)
            except (socket.timeout, ssl.SSLWantReadError):
                continue
            except OSError:
                break
            if not data:
                break
            conn.raw_received += data
            conn.sock.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n"
                              b"Connection: close\r\n\r\n")
            break
        conn.peer_closed.set()

    def _serve_h2(self, conn):
        cfg = h2.config.H2Configuration(client_side=False, header_encoding=None,
                                        validate_inbound_headers=False,
                                        normalize_inbound_headers=False)
        c = h2.connection.H2Connection(config=cfg)
        S = h2.settings.SettingCodes
        initial = {S.MAX_CONCURRENT_STREAMS: self.max_concurrent_streams,
                   S.MAX_HEADER_LIST_SIZE: 65536}
        if self.initial_window_size is not None:
            initial[S.INITIAL_WINDOW_SIZE] = self.initial_window_size
        c.local_settings = h2.settings.Settings(client=False, initial_values=initial)
        with conn.cond:
            conn.h2 = c
            c.initiate_connection()
            # The limit is advertised above but enforced by _on_request (see the module doc).
            c.local_settings._settings[S.MAX_CONCURRENT_STREAMS] = collections.deque([UNLIMITED])
        conn.sock.setblocking(False)
        last_io = time.monotonic()
        inflight = None
        while not self.stopping.is_set() and not conn._abort:
            with conn.cond:
                if conn.unacked and self.hold_acks.is_set():
                    for length, sid in conn.unacked:
                        self._ack(c, length, sid)
                    conn.unacked.clear()
                conn.out += c.data_to_send()
                # After SSL_ERROR_WANT_WRITE, OpenSSL wants the very same bytes again.
                pending = inflight if inflight is not None else bytes(conn.out[:65536])
            if conn._shutdown_write and not pending and not conn.peer_closed.is_set():
                try:
                    conn.sock.shutdown(socket.SHUT_WR)
                except OSError:
                    pass
                conn._shutdown_write = False
            try:
                r, w, _ = select.select([conn.sock, conn._wake_r],
                                        [conn.sock] if pending else [], [], 0.05)
            except (OSError, ValueError):
                break
            if conn._wake_r in r:
                try:
                    while conn._wake_r.recv(4096):
                        pass
                except (BlockingIOError, OSError):
                    pass
            if pending and conn.sock in w:
                try:
                    n = conn.sock.send(pending)
                    inflight = None
                except (BlockingIOError, ssl.SSLWantWriteError, ssl.SSLWantReadError):
                    n = 0
                    inflight = pending
                except OSError:
                    conn.peer_closed.set()
                    break
                if n:
                    last_io = time.monotonic()
                    conn.bytes_sent += n
                    with conn.cond:
                        del conn.out[:n]
            elif pending and time.monotonic() - last_io > self.io_timeout:
                break   # the peer stopped reading: give up instead of hanging
            if conn.peer_closed.is_set():
                if not pending:
                    break
                continue
            if conn.sock in r or (self.tls is not None and conn.sock.pending()):
                if not self._read(conn, c):
                    conn.peer_closed.set()
                    if not conn.out:
                        break

    def _read(self, conn, c):
        """Reads what is there and processes it. False on EOF, error or protocol error."""
        while True:
            try:
                data = conn.sock.recv(65536)
            except (BlockingIOError, ssl.SSLWantReadError, ssl.SSLWantWriteError):
                return True
            except OSError:
                return False
            if not data:
                return False
            conn.bytes_received += len(data)
            to_start = []
            with conn.cond:
                try:
                    events = c.receive_data(data)
                except h2.exceptions.ProtocolError as e:
                    conn.protocol_error = repr(e)
                    conn.out += c.data_to_send()
                    conn.cond.notify_all()
                    return False
                for ev in events:
                    self._on_event(conn, c, ev, to_start)
                conn.out += c.data_to_send()
                conn.cond.notify_all()
            for stream in to_start:
                t = threading.Thread(target=self._run_handler, args=(stream,), daemon=True)
                t.start()
            if self.tls is None:
                return True   # plain: one recv per select; TLS: drain decrypted records first

    def _on_event(self, conn, c, ev, to_start):
        # h2 reports END_STREAM as its own StreamEnded event (after RequestReceived, DataReceived
        # or TrailersReceived), so only that one ends a request.
        E = h2.events
        if isinstance(ev, E.RequestReceived):
            self._on_request(conn, c, ev)
        elif isinstance(ev, E.DataReceived):
            if self.hold_acks is not None and not self.hold_acks.is_set():
                conn.unacked.append((ev.flow_controlled_length, ev.stream_id))
            else:
                self._ack(c, ev.flow_controlled_length, ev.stream_id)
            st = conn.streams.get(ev.stream_id)
            if st is not None and st.reset_by_us is None:
                st.req._body += ev.data
        elif isinstance(ev, E.TrailersReceived):
            st = conn.streams.get(ev.stream_id)
            if st is not None:
                st.req.trailers = [(_s(k), _s(v)) for k, v in ev.headers]
        elif isinstance(ev, E.StreamEnded):
            self._on_end(conn, ev.stream_id, to_start)
        elif isinstance(ev, E.StreamReset):
            st = conn.streams.get(ev.stream_id)
            if st is not None and ev.remote_reset:
                st.reset_by_peer = ev.error_code
                st.local_ended = st.remote_ended = True
                st.peer_reset.set()
                conn._stream_closed(st)
        elif isinstance(ev, E.SettingsAcknowledged):
            conn.settings_acked = True
        elif isinstance(ev, E.RemoteSettingsChanged):
            for code, cs in ev.changed_settings.items():
                conn.remote_settings[int(code)] = cs.new_value
        elif isinstance(ev, E.PingAckReceived):
            done = conn._pings.pop(bytes(ev.ping_data), None)
            if done is not None:
                done.set()
        elif isinstance(ev, E.ConnectionTerminated):
            conn.goaway_received = ev.error_code

    @staticmethod
    def _ack(c, length, stream_id):
        try:
            c.acknowledge_received_data(length, stream_id)
        except (h2.exceptions.StreamClosedError, h2.exceptions.ProtocolError):
            pass

    def _on_request(self, conn, c, ev):
        req = H2Request(conn, ev.stream_id, ev.headers)
        st = H2Stream(conn, ev.stream_id, req)
        conn.streams[ev.stream_id] = st
        if len(conn.active) >= self.max_concurrent_streams:
            conn.excess.append((ev.stream_id, conn.settings_acked))
            code = PROTOCOL_ERROR if conn.settings_acked else REFUSED_STREAM
            c.reset_stream(ev.stream_id, code)
            st.reset_by_us = code
            st.local_ended = st.remote_ended = True
            return
        conn.active.add(ev.stream_id)
        conn.max_active = max(conn.max_active, len(conn.active))

    def _on_end(self, conn, stream_id, to_start):
        st = conn.streams.get(stream_id)
        if st is None or st.reset_by_us is not None:
            return
        st.remote_ended = True
        st.req.complete.set()
        if st.closed:
            conn._stream_closed(st)
        with self.lock:
            self.requests.append(st.req)
        to_start.append(st)

    def _run_handler(self, stream):
        try:
            self.handler(stream.req, stream)
        except StreamGone as e:
            with self.lock:
                self.handler_errors.append((stream.req, repr(e)))
        except Exception as e:  # noqa: BLE001 -- recorded for the test to see
            with self.lock:
                self.handler_errors.append((stream.req, repr(e)))
            try:
                stream.reset(INTERNAL_ERROR)
            except StreamGone:
                pass

    def stop(self):
        self.stopping.set()
        try:
            self.listener.close()
        except OSError:
            pass
        for c in self.conns():
            c.wake()
            with c.cond:
                c.cond.notify_all()
        for c in self.conns():
            if not c.io_done.wait(2.0):
                c.close()


def h2_server_tls_context(cert, key, alpn=("h2",)):
    """A server context offering `alpn`; records the SNI it was sent on the socket."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    if alpn:
        ctx.set_alpn_protocols(list(alpn))

    def on_sni(sslsock, name, _ctx):
        sslsock.nexus_sni = name
    ctx.sni_callback = on_sni
    return ctx


# -- handler factories ------------------------------------------------------------------------

def h2_ok(body=b"ok", status=200, headers=None):
    """`status` with `body` (content-length set) and x-upstream-id / x-upstream-path headers."""
    def handler(req, stream):
        hdrs = [("x-upstream-id", stream.conn.upstream.name), ("x-upstream-path", req.path),
                ("x-upstream-conn", str(stream.conn.id))]
        stream.respond(status, body, hdrs + list(headers or []))
    return handler


def h2_echo():
    """200 with the request body echoed back byte for byte (no content-length)."""
    def handler(req, stream):
        stream.send_headers(200, [("content-type", "application/octet-stream"),
                                  ("x-request-body-length", str(len(req.body)))])
        stream.send_data(req.body, end_stream=True)
    return handler


def h2_describe():
    """200 with a JSON body describing the request as received."""
    def handler(req, stream):
        body = json.dumps({"method": req.method, "path": req.path, "authority": req.authority,
                           "headers": req.headers, "body_len": len(req.body)}).encode()
        stream.respond(200, body, [("content-type", "application/json")])
    return handler


def h2_gated(gate, then=None, timeout=20.0):
    """Holds each request until `gate` (threading.Event) is set, then answers with `then`.
    A request whose gate never opens is reset with CANCEL."""
    then = then or h2_ok()

    def handler(req, stream):
        if not wait_gate(gate, stream, timeout):
            stream.reset(CANCEL)
            return
        then(req, stream)
    return handler


def h2_never_respond(timeout=20.0):
    """Never answers; returns when nexus resets the stream or the connection ends."""
    def handler(req, stream):
        stream.wait_peer_reset(timeout)
    return handler


def h2_reset(error_code=INTERNAL_ERROR, headers=None, data=b""):
    """Resets the stream; with `headers` (a status, or (status, header list)) and `data` first,
    that is a reset in the middle of the response."""
    def handler(req, stream):
        if headers is not None:
            status, hdrs = (headers, []) if isinstance(headers, int) else headers
            stream.send_headers(status, hdrs)
            if data:
                stream.send_data(data)
        stream.reset(error_code)
    return handler


def h2_sequence(*handlers):
    """The n-th request (over all connections) is answered by handlers[n], the last one after."""
    lock = threading.Lock()
    n = [0]

    def handler(req, stream):
        with lock:
            i = min(n[0], len(handlers) - 1)
            n[0] += 1
        handlers[i](req, stream)
    return handler


def h2_sse(events, gates=None, timeout=20.0, trailers=None):
    """text/event-stream; before event i it waits for gates[i] (threading.Event) if there is one."""
    gates = gates or {}

    def handler(req, stream):
        stream.send_headers(200, [("content-type", "text/event-stream"),
                                  ("cache-control", "no-cache")])
        for i, ev in enumerate(events):
            g = gates.get(i)
            if g is not None and not wait_gate(g, stream, timeout):
                stream.reset(CANCEL)
                return
            stream.send_data(ev)
        if trailers:
            stream.send_trailers(trailers)
        else:
            stream.end()
    return handler


def h2_large_body(size, piece=65536, content_length=True):
    """200 with `size` bytes of a repeating pattern, sent as fast as flow control allows."""
    block = pattern(piece)

    def handler(req, stream):
        hdrs = [("content-length", str(size))] if content_length else []
        stream.send_headers(200, hdrs)
        left = size
        while left > 0:
            n = min(left, piece)
            stream.send_data(block[:n], end_stream=(n == left))
            left -= n
    return handler


def pattern(size, seed=0):
    """`size` deterministic pseudo-random bytes (a shifted or dropped piece changes them)."""
    return random.Random(seed).randbytes(size)


def wait_gate(gate, stream, timeout):
    """Waits for `gate` (bounded, and not past the upstream's stop()). True if it opened."""
    deadline = time.monotonic() + timeout
    while not gate.wait(0.05):
        if time.monotonic() > deadline or stream.conn.upstream.stopping.is_set():
            return False
    return True
