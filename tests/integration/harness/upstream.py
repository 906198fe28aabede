"""The recording test upstream and its programmable handlers."""

import json
import socket
import threading
import time

from .common import *  # noqa: F401,F403
from .http import *  # noqa: F401,F403
from .http import _get  # noqa: F401
from .recording import RecordingServer

# --------------------------------------------------------------------------------------------
# Upstream
# --------------------------------------------------------------------------------------------

class UpstreamRequest:
    def __init__(self, method, target, version, headers, body, conn, chunked):
        self.method, self.target, self.version = method, target, version
        self.path = target.split("?", 1)[0]
        self.headers, self.body, self.conn, self.chunked = headers, body, conn, chunked
        self.time = time.monotonic()

    def header(self, name):
        return _get(self.headers, name)

    def headers_named(self, name):
        return [v for k, v in self.headers if k.lower() == name.lower()]

    def __repr__(self):
        return f"<UpstreamRequest {self.method} {self.target} {self.headers} {self.body[:100]!r}>"


class UpstreamConn:
    def __init__(self, upstream, sock, cid):
        self.upstream, self.sock, self.id = upstream, sock, cid
        self.bytes_sent = 0
        self.peer_closed = threading.Event()   # nexus closed (EOF or reset) this connection
        self.finished = threading.Event()      # our thread is done with it
        self.sni = None

    def send(self, data):
        if isinstance(data, str):
            data = data.encode()
        view = memoryview(data)
        self.sock.settimeout(30)
        while view:
            n = self.sock.send(view[:65536])
            view = view[n:]
            self.bytes_sent += n

    def respond(self, status=200, body=b"ok", headers=None, reason="OK"):
        if isinstance(body, str):
            body = body.encode()
        hdrs = list(headers or [])
        if not any(k.lower() in ("content-length", "transfer-encoding") for k, _ in hdrs):
            hdrs.append(("Content-Length", str(len(body))))
        head = f"HTTP/1.1 {status} {reason}\r\n" + "".join(f"{k}: {v}\r\n" for k, v in hdrs) + "\r\n"
        self.send(head.encode("latin-1") + body)

    def wait_peer_close(self, timeout):
        """Blocks until nexus closes this connection (True) or timeout (False). Consumes input."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and not self.upstream.stopping.is_set():
            self.sock.settimeout(0.05)
            try:
                if not self.sock.recv(65536):
                    self.peer_closed.set()
                    return True
            except socket.timeout:
                continue
            except OSError:
                self.peer_closed.set()
                return True
        return False

    def reset(self):
        try:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
        except OSError:
            pass
        self.close()

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


class Upstream(RecordingServer):
    """A threaded HTTP/1.1 upstream on 127.0.0.1 that records requests.

    handler(req, conn) answers a request; it returns False to end the connection (the default
    handler answers `200 ok` with X-Upstream-Id / X-Upstream-Path headers and keeps it alive).
    """

    def __init__(self, handler=None, name=None, tls=None, sndbuf=None):
        super().__init__(name)
        self.handler = handler or ok()
        self.tls = tls
        self.sndbuf = sndbuf
        self._thread = threading.Thread(target=self._accept_loop, daemon=True)
        self._thread.start()

    # -- inspection
    def bytes_sent(self):
        with self.lock:
            return sum(c.bytes_sent for c in self.connections)

    # -- machinery
    def _accept_loop(self):
        while not self.stopping.is_set():
            try:
                sock, _ = self.listener.accept()
            except OSError:
                return
            if self.sndbuf:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, self.sndbuf)
            with self.lock:
                conn = UpstreamConn(self, sock, len(self.connections))
                self.connections.append(conn)
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn):
        reader = None
        try:
            if self.tls is not None:
                conn.sock.settimeout(5)
                conn.sock = self.tls.wrap_socket(conn.sock, server_side=True)
                conn.sni = getattr(conn.sock, "nexus_sni", None)
            conn.sock.settimeout(None)
            reader = Reader(lambda n: self._recv(conn, n))
            while not self.stopping.is_set():
                req = self._read_request(reader, conn)
                with self.lock:
                    self.requests.append(req)
                if self.handler(req, conn) is False:
                    break
        except (Closed, OSError, ValueError):
            pass
        finally:
            if reader is not None and reader.eof:
                conn.peer_closed.set()
            conn.close()
            conn.finished.set()

    def _recv(self, conn, n):
        # Poll so that stop() ends the thread promptly.
        while not self.stopping.is_set():
            conn.sock.settimeout(0.1)
            try:
                return conn.sock.recv(n)
            except socket.timeout:
                continue
        return b""

    @staticmethod
    def _read_request(reader, conn):
        raw = reader.read_until(b"\r\n\r\n")
        start, headers = parse_head(raw)
        method, target, version = start.split(" ", 2)
        te = (_get(headers, "transfer-encoding") or "").lower()
        cl = _get(headers, "content-length")
        chunked = False
        if "chunked" in te:
            chunked, body = True, b""
            while True:
                size = int(reader.read_until(b"\r\n").split(b";")[0], 16)
                if size == 0:
                    while reader.read_until(b"\r\n") != b"\r\n":
                        pass
                    break
                body += reader.read_exact(size)
                reader.read_exact(2)
        elif cl is not None:
            body = reader.read_exact(int(cl))
        else:
            body = b""
        return UpstreamRequest(method, target, version, headers, body, conn, chunked)

    def stop(self):
        self.stopping.set()
        try:
            self.listener.close()
        except OSError:
            pass
        with self.lock:
            conns = list(self.connections)
        for c in conns:
            c.close()


# -- handler factories ------------------------------------------------------------------------

def ok(body=b"ok", status=200, headers=None):
    def handler(req, conn):
        hdrs = [("X-Upstream-Id", conn.upstream.name), ("X-Upstream-Path", req.target)]
        conn.respond(status, body, hdrs + list(headers or []))
    return handler


def echo():
    """200 with a JSON body describing the request as received."""
    def handler(req, conn):
        body = json.dumps({"method": req.method, "target": req.target, "headers": req.headers,
                           "body_len": len(req.body)}).encode()
        conn.respond(200, body, [("Content-Type", "application/json"),
                                 ("X-Upstream-Id", conn.upstream.name)])
    return handler


def gated(gate, then=None, timeout=20.0):
    """Holds each request until `gate` (threading.Event) is set, then answers with `then`."""
    then = then or ok()

    def handler(req, conn):
        if not gate.wait(timeout):
            return False
        return then(req, conn)
    return handler


def raw(data, close=True):
    """Sends `data` verbatim, then closes the connection (or keeps it if close=False)."""
    def handler(req, conn):
        conn.send(data)
        return not close
    return handler


def reset(after=b""):
    """Sends `after` (maybe nothing), then resets the connection (RST)."""
    def handler(req, conn):
        if after:
            conn.send(after)
        conn.reset()
        return False
    return handler


def never_respond(timeout=20.0):
    """Never answers; returns when nexus closes the connection (conn.peer_closed is then set)."""
    def handler(req, conn):
        conn.wait_peer_close(timeout)
        return False
    return handler


def sse(events, gates=None, timeout=20.0, chunked=True):
    """A text/event-stream response; before event i it waits for gates[i] if there is one."""
    gates = gates or {}

    def handler(req, conn):
        hdrs = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\n"
        hdrs += "Transfer-Encoding: chunked\r\n\r\n" if chunked else "Connection: close\r\n\r\n"
        conn.send(hdrs)
        for i, ev in enumerate(events):
            g = gates.get(i)
            if g is not None and not g.wait(timeout):
                return False
            conn.send(b"%x\r\n%s\r\n" % (len(ev), ev) if chunked else ev)
        if chunked:
            conn.send(b"0\r\n\r\n")
            return True
        return False
    return handler


def large_body(size, piece=65536):
    """200 with a Content-Length body of `size` bytes, written as fast as the socket allows."""
    block = (b"0123456789abcdef" * (piece // 16 + 1))[:piece]

    def handler(req, conn):
        conn.send(f"HTTP/1.1 200 OK\r\nContent-Length: {size}\r\n\r\n".encode())
        left = size
        while left > 0:
            n = min(left, piece)
            conn.send(block[:n])
            left -= n
        return True
    return handler


