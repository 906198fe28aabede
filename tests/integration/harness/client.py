"""The raw-socket test client."""

import socket
import ssl
import time

from .common import *  # noqa: F401,F403
from .http import *  # noqa: F401,F403
from .http import _get  # noqa: F401

# --------------------------------------------------------------------------------------------
# Client
# --------------------------------------------------------------------------------------------

class ClientConn:
    def __init__(self, port, timeout=5.0, tls=None, server_hostname=None, rcvbuf=None):
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if rcvbuf:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        sock.settimeout(timeout)
        sock.connect(("127.0.0.1", port))
        if tls is not None:
            sock = tls.wrap_socket(sock, server_hostname=server_hostname)
        self.sock = sock
        self.reader = Reader(self._recv)
        self.responses = ResponseReader(self.reader)

    def _recv(self, n):
        return self.sock.recv(n)

    def settimeout(self, t):
        self.sock.settimeout(t)

    def send(self, data):
        self.sock.sendall(data)

    def send_request(self, method="GET", path="/", headers=None, body=None, host="gw.test"):
        self.send(build_request(method, path, headers, body, host))

    def read_response(self, method="GET"):
        return self.responses.read_response(method)

    def request(self, method="GET", path="/", headers=None, body=None, host="gw.test"):
        self.send_request(method, path, headers, body, host)
        return self.read_response(method)

    def wait_closed(self, timeout=5.0):
        """True when the peer closed (EOF or reset) within timeout. Discards any data read."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.sock.settimeout(max(0.01, deadline - time.monotonic()))
            try:
                if not self.sock.recv(65536):
                    return True
            except socket.timeout:
                return False
            except (ConnectionResetError, BrokenPipeError, ssl.SSLError):
                return True
        return False

    def read_until_idle(self, idle=1.0, total=10.0):
        """Reads until EOF or `idle` seconds without data. Returns (data, saw_eof)."""
        data = b""
        deadline = time.monotonic() + total
        while time.monotonic() < deadline:
            self.sock.settimeout(idle)
            try:
                chunk = self.sock.recv(65536)
            except socket.timeout:
                return data, False
            except ConnectionResetError:
                return data, True
            if not chunk:
                return data, True
            data += chunk
        return data, False

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def reset(self):
        """Closes with RST instead of FIN."""
        try:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
        except OSError:
            pass
        self.close()


def build_request(method="GET", path="/", headers=None, body=None, host="gw.test"):
    lines = [f"{method} {path} HTTP/1.1"]
    hdrs = list(headers.items()) if isinstance(headers, dict) else list(headers or [])
    if host is not None and not any(k.lower() == "host" for k, _ in hdrs):
        lines.append(f"Host: {host}")
    if isinstance(body, str):
        body = body.encode()
    if body is not None and not any(k.lower() in ("content-length", "transfer-encoding") for k, _ in hdrs):
        hdrs.append(("Content-Length", str(len(body))))
    lines += [f"{k}: {v}" for k, v in hdrs]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + (body or b"")


def request(port, method="GET", path="/", headers=None, body=None, host="gw.test", timeout=5.0,
            tls=None, server_hostname=None):
    c = ClientConn(port, timeout=timeout, tls=tls, server_hostname=server_hostname)
    try:
        return c.request(method, path, headers, body, host)
    finally:
        c.close()


