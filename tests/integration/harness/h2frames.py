"""A small raw HTTP/2 client for frame-level tests (RFC 9113, RFC 7541).

Well-formed frames are built with hyperframe, header blocks with hpack (both from Debian's
python3-h2, so run the tests with /usr/bin/python3). Malformed frames are plain bytes from
`frame()`, malformed header blocks from the `hpack_*` helpers. Every read is bounded by a timeout;
nothing here sleeps.

    c = H2Conn(port).handshake()
    sid = c.request("/path")
    resp = c.read_response(sid)          # H2Response: status, headers, body, trailers, reset
    c.send(frame(PING, 0, 1, b"x" * 8))  # a malformed frame
    c.expect_goaway(PROTOCOL_ERROR)      # AssertionError (with the frames received) otherwise

While reading, the connection answers the server as a well-behaved client would (each can be
turned off): SETTINGS are acknowledged, PINGs answered, received DATA is given back with
WINDOW_UPDATEs on the stream and the connection.
"""

import json
import socket
import ssl
import struct
import time

import hpack
from hyperframe import frame as hf
from hyperframe.exceptions import HyperframeError

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"

# Frame types (RFC 9113 §6).
DATA, HEADERS, PRIORITY, RST_STREAM, SETTINGS, PUSH_PROMISE, PING, GOAWAY, WINDOW_UPDATE, \
    CONTINUATION = range(10)
FRAME_NAMES = ["DATA", "HEADERS", "PRIORITY", "RST_STREAM", "SETTINGS", "PUSH_PROMISE", "PING",
               "GOAWAY", "WINDOW_UPDATE", "CONTINUATION"]

# Flags.
END_STREAM = 0x1
ACK = 0x1
END_HEADERS = 0x4
PADDED = 0x8
PRIORITY_FLAG = 0x20

# Error codes (RFC 9113 §7).
NO_ERROR = 0x0
PROTOCOL_ERROR = 0x1
INTERNAL_ERROR = 0x2
FLOW_CONTROL_ERROR = 0x3
SETTINGS_TIMEOUT = 0x4
STREAM_CLOSED = 0x5
FRAME_SIZE_ERROR = 0x6
REFUSED_STREAM = 0x7
CANCEL = 0x8
COMPRESSION_ERROR = 0x9
CONNECT_ERROR = 0xA
ENHANCE_YOUR_CALM = 0xB
INADEQUATE_SECURITY = 0xC
HTTP_1_1_REQUIRED = 0xD
ERROR_NAMES = {0: "NO_ERROR", 1: "PROTOCOL_ERROR", 2: "INTERNAL_ERROR", 3: "FLOW_CONTROL_ERROR",
               4: "SETTINGS_TIMEOUT", 5: "STREAM_CLOSED", 6: "FRAME_SIZE_ERROR",
               7: "REFUSED_STREAM", 8: "CANCEL", 9: "COMPRESSION_ERROR", 10: "CONNECT_ERROR",
               11: "ENHANCE_YOUR_CALM", 12: "INADEQUATE_SECURITY", 13: "HTTP_1_1_REQUIRED"}

# Settings (RFC 9113 §6.5.2).
HEADER_TABLE_SIZE = 0x1
ENABLE_PUSH = 0x2
MAX_CONCURRENT_STREAMS = 0x3
INITIAL_WINDOW_SIZE = 0x4
MAX_FRAME_SIZE = 0x5
MAX_HEADER_LIST_SIZE = 0x6

DEFAULT_WINDOW = 65535
DEFAULT_MAX_FRAME = 16384
MAX_WINDOW = 2 ** 31 - 1
MAX_STREAM_ID = 2 ** 31 - 1


def error_name(code):
    return ERROR_NAMES.get(code, hex(code))


def _codes(code):
    """None (any), an int, or an iterable of ints -> a set or None."""
    if code is None:
        return None
    if isinstance(code, int):
        return {code}
    return set(code)


def _codes_text(codes):
    return "any" if codes is None else "|".join(error_name(c) for c in sorted(codes))


# --------------------------------------------------------------------------------------------
# Raw building blocks (for frames hyperframe refuses to build)
# --------------------------------------------------------------------------------------------

def frame(type_, flags, stream_id, payload=b"", length=None, reserved_bit=False):
    """One frame as bytes. `length` overrides the length field; `reserved_bit` sets the R bit."""
    n = len(payload) if length is None else length
    sid = (stream_id & 0x7FFFFFFF) | (0x80000000 if reserved_bit else 0)
    return struct.pack(">I", n)[1:] + struct.pack(">BBI", type_, flags, sid) + payload


def settings_payload(settings):
    items = settings.items() if isinstance(settings, dict) else settings
    return b"".join(struct.pack(">HI", k, v) for k, v in items)


def priority_payload(depends_on=0, weight=15, exclusive=False):
    """Stream dependency (with E bit) and weight-1 as sent on the wire (weight 1..256)."""
    return struct.pack(">IB", (depends_on & 0x7FFFFFFF) | (0x80000000 if exclusive else 0),
                       weight - 1)


def padded(payload, pad_length, pad_field=None):
    """PADDED payload: Pad Length byte, payload, padding. pad_field overrides the Pad Length."""
    return bytes([pad_length if pad_field is None else pad_field]) + payload + b"\0" * pad_length


def hpack_int(value, prefix_bits, first_byte=0):
    """An HPACK integer (RFC 7541 §5.1) with the pattern bits `first_byte` above the prefix."""
    out = bytearray(hpack.hpack.encode_integer(value, prefix_bits))
    out[0] |= first_byte
    return bytes(out)


def hpack_string(s, huffman=False):
    s = s.encode() if isinstance(s, str) else s
    if huffman:
        s = hpack.huffman.HuffmanEncoder(hpack.huffman_constants.REQUEST_CODES,
                                         hpack.huffman_constants.REQUEST_CODES_LENGTH).encode(s)
        return hpack_int(len(s), 7, 0x80) + s
    return hpack_int(len(s), 7) + s


def hpack_literal(name, value, name_index=None):
    """A literal field line *without indexing* (never touches the dynamic table, so it keeps
    the client encoder in step with the server decoder). name_index uses a table name."""
    if name_index is not None:
        return hpack_int(name_index, 4) + hpack_string(value)
    return b"\x00" + hpack_string(name) + hpack_string(value)


def hpack_indexed(index):
    return hpack_int(index, 7, 0x80)


def hpack_table_size_update(size):
    return hpack_int(size, 5, 0x20)


def describe(f):
    """A one-line description of a received frame."""
    name = FRAME_NAMES[f.type] if f.type < len(FRAME_NAMES) else f"type{f.type:#x}"
    extra = ""
    if isinstance(f, hf.GoAwayFrame):
        extra = (f" {error_name(f.error_code)} last={f.last_stream_id}"
                 f" {f.additional_data[:80]!r}")
    elif isinstance(f, hf.RstStreamFrame):
        extra = f" {error_name(f.error_code)}"
    elif isinstance(f, hf.SettingsFrame):
        extra = f" {dict(f.settings)}"
    elif isinstance(f, hf.WindowUpdateFrame):
        extra = f" +{f.window_increment}"
    elif isinstance(f, hf.DataFrame):
        extra = f" len={len(f.data)}"
    elif isinstance(f, (hf.HeadersFrame, hf.ContinuationFrame)):
        hdrs = getattr(f, "decoded", None)
        extra = f" {hdrs}" if hdrs is not None else f" frag={len(f.data)}"
    elif isinstance(f, hf.PingFrame):
        extra = f" {f.opaque_data!r}"
    flags = ",".join(sorted(f.flags)) if f.flags else ""
    return f"{name}[{f.stream_id}]{'{' + flags + '}' if flags else ''}{extra}"


# --------------------------------------------------------------------------------------------
# Responses
# --------------------------------------------------------------------------------------------

class H2Response:
    def __init__(self, stream_id):
        self.stream_id = stream_id
        self.status = None
        self.headers = []       # final response headers, pseudo-headers included
        self.informational = []  # 1xx header lists
        self.trailers = None
        self.body = b""
        self.ended = False      # END_STREAM received
        self.reset = None       # RST_STREAM error code, if the server reset the stream

    def header(self, name):
        for k, v in self.headers:
            if k == name.lower():
                return v
        return None

    def json(self):
        return json.loads(self.body)

    def __repr__(self):
        return (f"<H2Response stream={self.stream_id} status={self.status} "
                f"headers={self.headers} body={self.body[:200]!r} ended={self.ended} "
                f"reset={None if self.reset is None else error_name(self.reset)}>")


class _Stream:
    def __init__(self, sid, send_window):
        self.response = H2Response(sid)
        self.send_window = send_window
        self.fragments = None  # the header block being received (bytes list), if any
        self.fragment_frame = None


# --------------------------------------------------------------------------------------------
# The connection
# --------------------------------------------------------------------------------------------

class H2Conn:
    """A raw HTTP/2 client connection on 127.0.0.1 (plain, or TLS with ALPN h2)."""

    def __init__(self, port, host="127.0.0.1", tls=None, server_hostname=None, timeout=5.0,
                 rcvbuf=None, sndbuf=None, auto_ack=True, auto_ping=True, auto_window=True):
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if rcvbuf:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        if sndbuf:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, sndbuf)
        sock.settimeout(timeout)
        sock.connect((host, port))
        if tls is not None:
            if isinstance(tls, ssl.SSLContext):
                sock = tls.wrap_socket(sock, server_hostname=server_hostname)
            else:
                raise TypeError("tls must be an ssl.SSLContext (with ALPN h2)")
        self.sock = sock
        self.timeout = timeout
        self.auto_ack, self.auto_ping, self.auto_window = auto_ack, auto_ping, auto_window
        self.buf = bytearray()
        self.closed = False        # EOF or reset seen on receive
        self.send_failed = False   # a send hit a closed connection
        self.frames = []           # every frame received, in order
        self.encoder = hpack.Encoder()
        self.decoder = hpack.Decoder(max_header_list_size=1 << 30)
        self.peer_settings = {}    # the server's SETTINGS, merged
        self.local_settings = {}   # ours, as sent
        self.settings_acks = 0     # SETTINGS ACKs received
        self.ping_acks = []        # opaque data of PING ACKs received
        self.goaways = []
        self.streams = {}
        self.send_window = DEFAULT_WINDOW
        self.last_stream_id = 0
        self.bytes_sent = 0
        self._ping_seq = 0

    # -- settings the server sent
    @property
    def peer_max_frame_size(self):
        return self.peer_settings.get(MAX_FRAME_SIZE, DEFAULT_MAX_FRAME)

    @property
    def peer_initial_window(self):
        return self.peer_settings.get(INITIAL_WINDOW_SIZE, DEFAULT_WINDOW)

    # -- connection setup
    def send_preface(self, settings=None):
        """The client connection preface: the magic and a SETTINGS frame."""
        settings = dict(settings or {})
        self.local_settings.update(settings)
        self.send(PREFACE + frame(SETTINGS, 0, 0, settings_payload(settings)))
        if HEADER_TABLE_SIZE in settings:
            self._set_decoder_table_limit(settings[HEADER_TABLE_SIZE])

    def handshake(self, settings=None, timeout=None):
        """Preface + SETTINGS; waits for the server's SETTINGS and its ACK of ours."""
        self.send_preface(settings)
        timeout = self.timeout if timeout is None else timeout
        done = lambda: SETTINGS in self._seen_types() and self.settings_acks  # noqa: E731
        self.wait_for(lambda f: False, timeout, until=done)
        if not done():
            raise AssertionError("no HTTP/2 handshake (server SETTINGS + ACK of ours) within "
                                 f"{timeout}s; received: {self.summary()}")
        return self

    def _seen_types(self):
        return {f.type for f in self.frames if not (f.type == SETTINGS and "ACK" in f.flags)}

    def _set_decoder_table_limit(self, size):
        # The server may only use a table this large from now on; shrinking ours too means a
        # server that still refers to entries beyond it fails to decode (as it would anywhere).
        self.decoder.max_allowed_table_size = size
        if self.decoder.header_table_size > size:
            self.decoder.header_table_size = size

    # -- sending
    def send(self, data):
        """Sends bytes, a hyperframe Frame, or a list of them. Returns False if the connection
        was already closed by the peer (the frames received before that can still be read)."""
        if isinstance(data, hf.Frame):
            data = data.serialize()
        elif isinstance(data, (list, tuple)):
            data = b"".join(d.serialize() if isinstance(d, hf.Frame) else d for d in data)
        try:
            self.sock.sendall(data)
            self.bytes_sent += len(data)
            return True
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError):
            self.send_failed = True
            return False
        except socket.timeout:
            self.send_failed = True
            raise

    def send_frame(self, type_, flags, stream_id, payload=b"", **kw):
        return self.send(frame(type_, flags, stream_id, payload, **kw))

    def encode(self, headers):
        """HPACK-encodes headers with the connection's encoder (which indexes what it sends)."""
        return self.encoder.encode([(k, v) for k, v in headers])

    def headers_frames(self, stream_id, block, end_stream=True, end_headers=True,
                       priority=None, pad=None, split=None):
        """HEADERS (+ CONTINUATION) frames for a header block, as bytes. `split`: fragment size."""
        split = split or self.peer_max_frame_size
        first, rest = block[:split], block[split:]
        flags = (END_STREAM if end_stream else 0)
        payload = first
        if priority is not None:
            flags |= PRIORITY_FLAG
            payload = priority_payload(*priority) + payload
        if pad is not None:
            flags |= PADDED
            payload = padded(payload, pad)
        chunks = [rest[i:i + split] for i in range(0, len(rest), split)]
        if end_headers and not chunks:
            flags |= END_HEADERS
        out = [frame(HEADERS, flags, stream_id, payload)]
        for i, chunk in enumerate(chunks):
            last = i == len(chunks) - 1
            out.append(frame(CONTINUATION, END_HEADERS if (last and end_headers) else 0,
                             stream_id, chunk))
        return b"".join(out)

    def send_headers(self, stream_id, headers=None, block=None, **kw):
        """Sends a header list (encoded here) or a raw `block` on stream_id."""
        if block is None:
            block = self.encode(headers)
        self._stream(stream_id)
        self.last_stream_id = max(self.last_stream_id, stream_id)
        return self.send(self.headers_frames(stream_id, block, **kw))

    def send_data(self, stream_id, data, end_stream=False, pad=None, wait_window=True):
        """Sends data in frames of at most the server's MAX_FRAME_SIZE; with wait_window it
        first waits (bounded) for flow-control credit, else it sends regardless."""
        st = self._stream(stream_id)
        size = self.peer_max_frame_size - (256 if pad is not None else 0)
        pieces = [data[i:i + size] for i in range(0, len(data), size)] or [b""]
        for i, piece in enumerate(pieces):
            need = len(piece) + (pad + 1 if pad is not None else 0)
            if wait_window and need:
                self.wait_for(lambda f: False, self.timeout,
                              until=lambda: min(self.send_window, st.send_window) >= need)
            last = i == len(pieces) - 1
            flags = END_STREAM if (last and end_stream) else 0
            payload = piece
            if pad is not None:
                flags |= PADDED
                payload = padded(piece, pad)
            self.send_window -= need
            st.send_window -= need
            if not self.send(frame(DATA, flags, stream_id, payload)):
                return False
        return True

    def send_settings(self, settings=None, ack=False):
        if not ack:
            self.local_settings.update(dict(settings or {}))
        return self.send(frame(SETTINGS, ACK if ack else 0, 0,
                               b"" if ack else settings_payload(settings or {})))

    def send_ping(self, data=b"h2frames", ack=False):
        return self.send(frame(PING, ACK if ack else 0, 0, data))

    def send_rst(self, stream_id, code=CANCEL):
        return self.send(frame(RST_STREAM, 0, stream_id, struct.pack(">I", code)))

    def send_window_update(self, stream_id, increment):
        return self.send(frame(WINDOW_UPDATE, 0, stream_id, struct.pack(">I", increment)))

    def send_priority(self, stream_id, depends_on=0, weight=16, exclusive=False):
        return self.send(frame(PRIORITY, 0, stream_id,
                               priority_payload(depends_on, weight, exclusive)))

    def send_goaway(self, code=NO_ERROR, last_stream_id=0, debug=b""):
        return self.send(frame(GOAWAY, 0, 0, struct.pack(">II", last_stream_id, code) + debug))

    def next_stream_id(self):
        return self.last_stream_id + 2 if self.last_stream_id else 1

    @staticmethod
    def request_headers(path="/", method="GET", authority="gw.test", scheme="http",
                        headers=()):
        return ([(":method", method), (":scheme", scheme), (":authority", authority),
                 (":path", path)] + list(headers))

    def request(self, path="/", method="GET", headers=(), body=None, authority="gw.test",
                scheme="http", stream_id=None, end_stream=None):
        """Sends a request; returns its stream id. With a body, END_STREAM is on the last DATA."""
        sid = stream_id or self.next_stream_id()
        if body is not None and isinstance(body, str):
            body = body.encode()
        hdrs = self.request_headers(path, method, authority, scheme, headers)
        if end_stream is None:
            end_stream = True
        self.send_headers(sid, hdrs, end_stream=end_stream and body is None)
        if body is not None:
            self.send_data(sid, body, end_stream=end_stream)
        return sid

    def response(self, sid):
        """What has been received on stream sid so far (an H2Response, maybe incomplete)."""
        return self._stream(sid).response

    # -- receiving
    def _stream(self, sid):
        st = self.streams.get(sid)
        if st is None:
            st = self.streams[sid] = _Stream(sid, self.peer_initial_window)
        return st

    def _fill(self, deadline):
        """Reads more bytes; False on timeout or EOF (then self.closed)."""
        if self.closed:
            return False
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return False
        self.sock.settimeout(remaining)
        try:
            data = self.sock.recv(1 << 18)
        except socket.timeout:
            return False
        except (ConnectionResetError, BrokenPipeError, ssl.SSLError, OSError):
            self.closed = True
            return False
        if not data:
            self.closed = True
            return False
        self.buf += data
        return True

    def _parse_one(self):
        if len(self.buf) < 9:
            return None
        length = int.from_bytes(self.buf[:3], "big")
        if len(self.buf) < 9 + length:
            return None
        header, body = bytes(self.buf[:9]), memoryview(bytes(self.buf[9:9 + length]))
        del self.buf[:9 + length]
        try:
            f, _ = hf.Frame.parse_frame_header(memoryview(header))
            f.parse_body(body)
        except HyperframeError as e:
            raise AssertionError(f"the server sent an invalid frame {header.hex()} "
                                 f"{bytes(body[:64]).hex()}: {e}")
        f.raw_flags = header[4]
        f.raw_length = length
        return f

    def read_frame(self, timeout=None):
        """The next frame (processed as described in the module docstring), or None when
        `timeout` passes or the connection is closed (see self.closed)."""
        timeout = self.timeout if timeout is None else timeout
        deadline = time.monotonic() + timeout
        while True:
            f = self._parse_one()
            if f is not None:
                self._process(f)
                self.frames.append(f)
                return f
            if not self._fill(deadline):
                return None

    def drain(self):
        """Processes whatever has already arrived, without waiting. Returns the frames."""
        out = []
        while True:
            f = self.read_frame(0.0001)
            if f is None:
                return out
            out.append(f)

    def wait_for(self, pred, timeout=None, until=None):
        """Reads frames until pred(frame) (returns that frame) or until() is true, the timeout
        passes or the connection closes (returns None)."""
        timeout = self.timeout if timeout is None else timeout
        deadline = time.monotonic() + timeout
        while True:
            if until is not None and until():
                return None
            f = self.read_frame(max(0.0, deadline - time.monotonic()))
            if f is None:
                return None
            if pred(f):
                return f

    def _process(self, f):
        t = f.type
        if t == SETTINGS:
            if "ACK" in f.flags:
                self.settings_acks += 1
                return
            old_window = self.peer_initial_window
            self.peer_settings.update(f.settings)
            if INITIAL_WINDOW_SIZE in f.settings:
                delta = self.peer_initial_window - old_window
                for st in self.streams.values():
                    st.send_window += delta
            if HEADER_TABLE_SIZE in f.settings:
                size = f.settings[HEADER_TABLE_SIZE]
                if size < self.encoder.header_table_size:
                    self.encoder.header_table_size = size
            if self.auto_ack:
                self.send_settings(ack=True)
        elif t == PING:
            if "ACK" in f.flags:
                self.ping_acks.append(f.opaque_data)
            elif self.auto_ping:
                self.send_ping(f.opaque_data, ack=True)
        elif t == WINDOW_UPDATE:
            if f.stream_id == 0:
                self.send_window += f.window_increment
            else:
                self._stream(f.stream_id).send_window += f.window_increment
        elif t == GOAWAY:
            self.goaways.append(f)
        elif t == RST_STREAM:
            self._stream(f.stream_id).response.reset = f.error_code
        elif t == DATA:
            st = self._stream(f.stream_id)
            st.response.body += f.data
            if "END_STREAM" in f.flags:
                st.response.ended = True
            n = f.flow_controlled_length
            if self.auto_window and n:
                self.send_window_update(0, n)
                if not st.response.ended:
                    self.send_window_update(f.stream_id, n)
        elif t in (HEADERS, CONTINUATION):
            st = self._stream(f.stream_id)
            if t == HEADERS:
                st.fragments, st.fragment_frame = [f.data], f
            else:
                if st.fragments is None:
                    raise AssertionError(f"the server sent a stray CONTINUATION: {describe(f)}")
                st.fragments.append(f.data)
            if "END_HEADERS" in f.flags:
                block = b"".join(st.fragments)
                first = st.fragment_frame
                st.fragments = st.fragment_frame = None
                try:
                    hdrs = self.decoder.decode(block)
                except hpack.HPACKError as e:
                    raise AssertionError(f"cannot decode the server's header block "
                                         f"{block[:64].hex()}: {e!r}")
                first.decoded = hdrs
                self._on_headers(st.response, hdrs, "END_STREAM" in first.flags)

    @staticmethod
    def _on_headers(resp, hdrs, end_stream):
        status = next((v for k, v in hdrs if k == ":status"), None)
        if resp.status is None and status is not None and status.startswith("1"):
            resp.informational.append(hdrs)
        elif resp.status is None:
            resp.status = int(status) if status and status.isdigit() else status
            resp.headers = hdrs
        else:
            resp.trailers = hdrs
        if end_stream:
            resp.ended = True

    # -- expectations
    def summary(self, last=40):
        fr = self.frames[-last:]
        text = ", ".join(describe(f) for f in fr)
        more = f"({len(self.frames) - len(fr)} earlier) " if len(self.frames) > len(fr) else ""
        state = " <closed>" if self.closed else ""
        return f"{more}[{text}]{state}"

    def goaway(self):
        return self.goaways[0] if self.goaways else None

    def expect_goaway(self, code=None, timeout=None):
        """Waits for a GOAWAY (any one received so far counts) whose code is `code` (an int, a
        set, or None for any). Returns the frame; raises AssertionError otherwise."""
        codes = _codes(code)
        if not self.goaways:
            self.wait_for(lambda f: f.type == GOAWAY, timeout)
        if not self.goaways:
            raise AssertionError(f"expected GOAWAY({_codes_text(codes)}), got none; "
                                 f"received: {self.summary()}")
        g = self.goaways[0]
        if codes is not None and g.error_code not in codes:
            raise AssertionError(f"expected GOAWAY({_codes_text(codes)}), got "
                                 f"GOAWAY({error_name(g.error_code)}); received: {self.summary()}")
        return g

    def expect_rst(self, stream_id, code=None, timeout=None):
        """Waits for RST_STREAM on stream_id with `code`; returns the code."""
        codes = _codes(code)
        st = self._stream(stream_id)
        if st.response.reset is None:
            self.wait_for(lambda f: f.type == RST_STREAM and f.stream_id == stream_id, timeout)
        if st.response.reset is None:
            raise AssertionError(f"expected RST_STREAM({_codes_text(codes)}) on stream "
                                 f"{stream_id}, got none; received: {self.summary()}")
        if codes is not None and st.response.reset not in codes:
            raise AssertionError(f"expected RST_STREAM({_codes_text(codes)}) on stream "
                                 f"{stream_id}, got {error_name(st.response.reset)}; "
                                 f"received: {self.summary()}")
        return st.response.reset

    def expect_error(self, stream_id, code, timeout=None):
        """A stream error (RST_STREAM on stream_id) or a connection error (GOAWAY), either with
        `code` -- for the rules that allow both. Returns "stream" or "connection"."""
        codes = _codes(code)
        st = self._stream(stream_id)
        self.wait_for(lambda f: (f.type == GOAWAY or
                                 (f.type == RST_STREAM and f.stream_id == stream_id)),
                      timeout, until=lambda: st.response.reset is not None or self.goaways)
        if st.response.reset is not None:
            if codes is not None and st.response.reset not in codes:
                raise AssertionError(f"expected a {_codes_text(codes)} stream or connection "
                                     f"error, got RST_STREAM({error_name(st.response.reset)}) "
                                     f"on {stream_id}; received: {self.summary()}")
            return "stream"
        if self.goaways:
            self.expect_goaway(code, 0)
            return "connection"
        raise AssertionError(f"expected a {_codes_text(codes)} stream error on {stream_id} or "
                             f"connection error, got neither; received: {self.summary()}")

    def read_response(self, stream_id, timeout=None):
        """Collects the response on stream_id until END_STREAM or RST_STREAM; raises
        AssertionError if it does not end within timeout."""
        st = self._stream(stream_id)
        r = st.response
        self.wait_for(lambda f: False, timeout, until=lambda: r.ended or r.reset is not None)
        if not (r.ended or r.reset is not None):
            raise AssertionError(f"no complete response on stream {stream_id}: {r!r}; "
                                 f"received: {self.summary()}")
        return r

    def ping(self, timeout=None, data=None):
        """Sends a PING and waits for its ACK. True if it came back."""
        self._ping_seq += 1
        data = data or struct.pack(">Q", 0x6832000000000000 + self._ping_seq)
        if not self.send_ping(data):
            return False
        self.wait_for(lambda f: False, timeout, until=lambda: data in self.ping_acks)
        return data in self.ping_acks

    def is_closed(self, timeout=None):
        """True when the server closes the connection within timeout (reading all it sends)."""
        timeout = self.timeout if timeout is None else timeout
        deadline = time.monotonic() + timeout
        while not self.closed:
            if self.read_frame(max(0.0, deadline - time.monotonic())) is None:
                break  # closed, or the time is up
        return self.closed

    def skim_until_closed(self, timeout=None):
        """For floods: reads until the server closes or `timeout` passes, walking only the frame
        headers (fast); GOAWAYs are parsed into self.goaways, the other frames only counted in
        self.skimmed (by type) and not processed. True if the connection was closed."""
        timeout = self.timeout if timeout is None else timeout
        deadline = time.monotonic() + timeout
        self.skimmed = getattr(self, "skimmed", {})
        while True:
            while len(self.buf) >= 9:
                length = int.from_bytes(self.buf[:3], "big")
                if len(self.buf) < 9 + length:
                    break
                type_ = self.buf[3]
                if type_ == GOAWAY:
                    f = self._parse_one()
                    self.frames.append(f)
                    self.goaways.append(f)
                else:
                    del self.buf[:9 + length]
                self.skimmed[type_] = self.skimmed.get(type_, 0) + 1
            if not self._fill(deadline):
                return self.closed

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
