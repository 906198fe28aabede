"""HTTP/1.1 message reading, shared by the test client and the test upstream."""

import json
import time
import socket
import ssl

from .common import *  # noqa: F401,F403

# --------------------------------------------------------------------------------------------
# HTTP/1.1 message reading (shared by the client and the upstream)
# --------------------------------------------------------------------------------------------

class Closed(Exception):
    """The peer closed the connection before a complete message."""


class Reader:
    """Buffered reader over a recv callable; recv returns b"" at EOF, raises socket.timeout."""

    def __init__(self, recv):
        self._recv = recv
        self.buf = b""
        self.eof = False

    def fill(self):
        if self.eof:
            raise Closed("eof")
        try:
            data = self._recv(65536)
        except (ConnectionResetError, BrokenPipeError, ssl.SSLError) as e:
            self.eof = True
            raise Closed(str(e))
        if not data:
            self.eof = True
            raise Closed("eof")
        self.buf += data

    def read_until(self, sep, limit=1 << 20):
        while sep not in self.buf:
            if len(self.buf) > limit:
                raise ValueError("line too long")
            self.fill()
        i = self.buf.index(sep) + len(sep)
        out, self.buf = self.buf[:i], self.buf[i:]
        return out

    def read_exact(self, n):
        while len(self.buf) < n:
            self.fill()
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def read_some(self):
        if not self.buf:
            self.fill()
        out, self.buf = self.buf, b""
        return out

    def read_to_eof(self):
        while True:
            try:
                self.fill()
            except Closed:
                out, self.buf = self.buf, b""
                return out


def parse_head(raw):
    """raw: the head bytes including the final CRLFCRLF. Returns (start_line, [(name, value)])."""
    lines = raw.decode("latin-1").split("\r\n")
    headers = []
    for line in lines[1:]:
        if not line:
            continue
        name, _, value = line.partition(":")
        headers.append((name.strip(), value.strip()))
    return lines[0], headers


def _get(headers, name):
    for k, v in headers:
        if k.lower() == name.lower():
            return v
    return None


class Response:
    def __init__(self, version, status, reason, headers):
        self.version, self.status, self.reason, self.headers = version, status, reason, headers
        self.body = b""
        self.framing = "none"  # none | length | chunked | close
        self.length = 0

    def header(self, name):
        return _get(self.headers, name)

    def headers_named(self, name):
        return [v for k, v in self.headers if k.lower() == name.lower()]

    def json(self):
        return json.loads(self.body)

    def __repr__(self):
        return f"<Response {self.status} {self.headers} {self.body[:200]!r}>"


class ResponseReader:
    """Reads responses one after the other from a Reader, optionally piece by piece."""

    def __init__(self, reader):
        self.r = reader
        self._remaining = 0
        self._current = None

    def read_head(self, method="GET", skip_interim=True):
        while True:
            raw = self.r.read_until(b"\r\n\r\n")
            start, headers = parse_head(raw)
            parts = start.split(" ", 2)
            if len(parts) < 2 or not parts[0].startswith("HTTP/") or not parts[1].isdigit():
                raise ValueError(f"bad status line {start!r}")
            resp = Response(parts[0], int(parts[1]), parts[2] if len(parts) > 2 else "", headers)
            if 100 <= resp.status < 200 and resp.status != 101 and skip_interim:
                continue
            break
        te = (resp.header("transfer-encoding") or "").lower()
        cl = resp.header("content-length")
        if method == "HEAD" or resp.status in (204, 304) or 100 <= resp.status < 200:
            resp.framing = "none"
        elif "chunked" in te:
            resp.framing = "chunked"
        elif cl is not None:
            resp.framing, resp.length = "length", int(cl)
            self._remaining = resp.length
        else:
            resp.framing = "close"
        self._current = resp
        self._chunk_left = 0
        self._done = resp.framing == "none" or (resp.framing == "length" and resp.length == 0)
        return resp

    def read_piece(self):
        """The next piece of the current body (as it arrives), or None at its end."""
        if self._done:
            return None
        f = self._current.framing
        if f == "length":
            if not self.r.buf:
                self.r.fill()
            piece = self.r.buf[:self._remaining]
            self.r.buf = self.r.buf[len(piece):]
            self._remaining -= len(piece)
            self._done = self._remaining == 0
            return piece
        if f == "close":
            try:
                return self.r.read_some()
            except Closed:
                self._done = True
                return None
        # chunked
        if self._chunk_left == 0:
            line = self.r.read_until(b"\r\n")
            size = int(line.split(b";")[0].strip(), 16)
            if size == 0:
                while self.r.read_until(b"\r\n") != b"\r\n":
                    pass  # trailers
                self._done = True
                return None
            self._chunk_left = size
        if not self.r.buf:
            self.r.fill()
        piece = self.r.buf[:self._chunk_left]
        self.r.buf = self.r.buf[len(piece):]
        self._chunk_left -= len(piece)
        if self._chunk_left == 0:
            if self.r.read_exact(2) != b"\r\n":
                raise ValueError("bad chunk end")
        return piece

    def read_body(self):
        parts = []
        while True:
            p = self.read_piece()
            if p is None:
                break
            parts.append(p)
        self._current.body = b"".join(parts)
        return self._current.body

    def read_response(self, method="GET"):
        resp = self.read_head(method)
        self.read_body()
        return resp


def read_body_until(responses, acc, needle, timeout):
    """Appends body pieces from a ResponseReader to acc (bytearray) until it contains needle;
    False on timeout or end of body. Used to check that streamed events arrive one by one."""
    deadline = time.monotonic() + timeout
    while needle not in acc:
        if deadline - time.monotonic() <= 0:
            return False
        try:
            piece = responses.read_piece()
        except (TimeoutError, Closed):
            return False
        if piece is None:
            return needle in acc
        acc += piece
    return True


def parse_responses(data, methods=None):
    """Every complete response in `data` (bytes read off one connection), in order.
    Interim 1xx responses are skipped. Returns (responses, leftover_bytes)."""
    chunks = [data]

    def recv(_n):
        return chunks.pop() if chunks else b""

    rr = ResponseReader(Reader(recv))
    out = []
    while True:
        try:
            if not rr.r.buf and not chunks:
                break
            resp = rr.read_head((methods or {}).get(len(out), "GET"))
            rr.read_body()
            out.append(resp)
        except (Closed, ValueError, IndexError):
            break
    return out, rr.r.buf


