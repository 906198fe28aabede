"""Shared harness for the Nexus integration tests.

Everything runs on 127.0.0.1. The pieces:
  - paths:        nexus_bin(), shared_dir()
  - waiting:      wait_until(predicate, timeout) -- the only way tests wait for something
  - config:       to_yaml(), make_config(), free_port()
  - the binary:   Nexus (writes the config, starts `nexus serve`, waits for its ports, stops it)
  - upstreams:    Upstream, a threaded raw-socket HTTP/1.1 server that records every request and
                  hands it to a programmable handler (see the handler factories below)
  - clients:      ClientConn (raw socket, incremental response reader), request(), parse_responses()
  - TLS:          TestPKI, which makes a CA and leaf certificates with the openssl CLI at test time
  - NexusTestCase: a unittest.TestCase that cleans all of the above up and prints the nexus logs
                  of a failed test.
"""

import json
import os
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))


def nexus_bin():
    return os.path.abspath(os.environ.get("NEXUS_BIN") or
                           os.path.join(HERE, "..", "..", "build", "release", "nexus"))


def shared_dir():
    return os.path.abspath(os.environ.get("NEXUS_SHARED_DIR") or
                           os.path.join(HERE, "..", "..", "..", "shared"))


def wait_until(predicate, timeout=5.0, interval=0.01):
    """Polls predicate() until it returns a truthy value (returned) or timeout passes (returns it)."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() >= deadline:
            return value
        time.sleep(interval)


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def port_accepts(port, timeout=0.2):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout):
            return True
    except OSError:
        return False


# --------------------------------------------------------------------------------------------
# YAML config
# --------------------------------------------------------------------------------------------

def _scalar(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return str(v)
    return json.dumps(str(v))  # a JSON string is a valid YAML double-quoted scalar


def to_yaml(obj, indent=0):
    """Block-style YAML for dicts; list items that are mappings are written in JSON flow style."""
    pad = " " * indent
    lines = []
    if isinstance(obj, dict):
        for k, v in obj.items():
            if isinstance(v, dict) and v:
                lines.append(f"{pad}{k}:")
                lines.append(to_yaml(v, indent + 2))
            elif isinstance(v, list) and v:
                lines.append(f"{pad}{k}:")
                lines.append(to_yaml(v, indent + 2))
            elif isinstance(v, (dict, list)):
                lines.append(f"{pad}{k}: {json.dumps(v)}")
            else:
                lines.append(f"{pad}{k}: {_scalar(v)}")
    elif isinstance(obj, list):
        for item in obj:
            if isinstance(item, (dict, list)):
                lines.append(f"{pad}- {json.dumps(item)}")
            else:
                lines.append(f"{pad}- {_scalar(item)}")
    else:
        lines.append(pad + _scalar(obj))
    return "\n".join(lines)


def make_config(port, clusters=None, routes=None, limits=None, timeouts=None, workers=1,
                logging=None, listen=None):
    server = {"listen": listen or [f"127.0.0.1:{port}"], "workers": workers}
    if limits:
        server["limits"] = limits
    if timeouts:
        server["timeouts"] = timeouts
    cfg = {"server": server, "clusters": clusters or {}, "routes": routes or []}
    cfg["logging"] = logging or {"level": "info", "access_log": {"enabled": True, "path": "stdout"}}
    return cfg


def cluster(*upstreams, **extra):
    eps = [u if isinstance(u, (str, dict)) else u.address for u in upstreams]
    return dict({"endpoints": eps}, **extra)


# --------------------------------------------------------------------------------------------
# The nexus process
# --------------------------------------------------------------------------------------------

def run_cli(args, cwd=None, env=None, timeout=10):
    """Runs `nexus ARGS...` to completion; returns CompletedProcess (text)."""
    return subprocess.run([nexus_bin()] + list(args), cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=timeout)


class Nexus:
    def __init__(self, config, ports=None, args=(), env=None, workdir=None):
        if not os.path.exists(nexus_bin()):
            raise RuntimeError(f"nexus binary not found at {nexus_bin()} (set NEXUS_BIN)")
        self._tmp = None
        if workdir is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="nexus-it-")
            workdir = self._tmp.name
        self.workdir = workdir
        self.config_path = os.path.join(workdir, "nexus.yaml")
        text = config if isinstance(config, str) else to_yaml(config) + "\n"
        with open(self.config_path, "w") as f:
            f.write(text)
        if ports is None:
            ports = []
            for item in config["server"]["listen"]:
                addr = item if isinstance(item, str) else item["address"]
                ports.append(int(addr.rsplit(":", 1)[1]))
        self.ports = list(ports)
        self.port = self.ports[0] if self.ports else None
        self.stdout_path = os.path.join(workdir, "nexus.stdout")
        self.stderr_path = os.path.join(workdir, "nexus.stderr")
        self.args = list(args)
        self.env = env
        self.proc = None

    def start(self, wait=True, timeout=10.0):
        out = open(self.stdout_path, "wb")
        err = open(self.stderr_path, "wb")
        try:
            self.proc = subprocess.Popen(
                [nexus_bin(), "serve", "--config", self.config_path] + self.args,
                stdout=out, stderr=err, stdin=subprocess.DEVNULL, cwd=self.workdir, env=self.env)
        finally:
            out.close()
            err.close()
        if wait:
            ok = wait_until(lambda: self.proc.poll() is not None or
                            all(port_accepts(p) for p in self.ports), timeout, 0.02)
            if self.proc.poll() is not None or not ok:
                self.stop()
                raise RuntimeError(f"nexus did not start (exit {self.proc.returncode}):\n"
                                   + self.logs())
        return self

    @property
    def pid(self):
        return self.proc.pid

    def send_signal(self, sig):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)

    def wait_exit(self, timeout):
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None

    def stop(self, sig=signal.SIGTERM, timeout=10.0):
        """SIGTERM, bounded wait, SIGKILL fallback. Returns the exit code (None if it was killed)."""
        if self.proc is None:
            return None
        if self.proc.poll() is not None:
            return self.proc.returncode
        self.proc.send_signal(sig)
        code = self.wait_exit(timeout)
        if code is None:
            self.proc.kill()
            self.proc.wait(timeout=5)
            return None
        return code

    def stdout(self):
        with open(self.stdout_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def stderr(self):
        with open(self.stderr_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def access_log(self):
        """The JSON lines on stdout, parsed."""
        out = []
        for line in self.stdout().splitlines():
            line = line.strip()
            if line.startswith("{"):
                try:
                    out.append(json.loads(line))
                except ValueError:
                    pass
        return out

    def rss_kib(self):
        with open(f"/proc/{self.proc.pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        return 0

    def logs(self, lines=80):
        parts = []
        for name, path in (("stderr", self.stderr_path), ("stdout", self.stdout_path)):
            try:
                with open(path, "rb") as f:
                    tail = f.read().decode("utf-8", "replace").splitlines()[-lines:]
                parts.append(f"--- nexus {name} (last {len(tail)} lines) ---\n" + "\n".join(tail))
            except OSError:
                pass
        return "\n".join(parts)

    def cleanup(self):
        self.stop()
        if self._tmp:
            self._tmp.cleanup()


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


class Upstream:
    """A threaded HTTP/1.1 upstream on 127.0.0.1 that records requests.

    handler(req, conn) answers a request; it returns False to end the connection (the default
    handler answers `200 ok` with X-Upstream-Id / X-Upstream-Path headers and keeps it alive).
    """

    def __init__(self, handler=None, name=None, tls=None, sndbuf=None):
        self.handler = handler or ok()
        self.tls = tls
        self.sndbuf = sndbuf
        self.lock = threading.Lock()
        self.requests = []
        self.connections = []
        self.stopping = threading.Event()
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(128)
        self.port = self.listener.getsockname()[1]
        self.address = f"127.0.0.1:{self.port}"
        self.name = name or self.address
        self._thread = threading.Thread(target=self._accept_loop, daemon=True)
        self._thread.start()

    # -- inspection
    def count(self):
        with self.lock:
            return len(self.requests)

    def wait_requests(self, n, timeout=5.0):
        return wait_until(lambda: self.count() >= n, timeout)

    def last(self):
        with self.lock:
            return self.requests[-1] if self.requests else None

    def clear(self):
        with self.lock:
            self.requests.clear()

    def connection_count(self):
        with self.lock:
            return len(self.connections)

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


# --------------------------------------------------------------------------------------------
# TLS
# --------------------------------------------------------------------------------------------

class TestPKI:
    """A throw-away CA plus leaf certificates, made with the openssl CLI."""

    def __init__(self, directory, name="Nexus Test CA"):
        self.dir = directory
        self.ca_key = os.path.join(directory, f"{_slug(name)}.key")
        self.ca_cert = os.path.join(directory, f"{_slug(name)}.pem")
        _openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                 "-nodes", "-keyout", self.ca_key, "-out", self.ca_cert, "-days", "2",
                 "-subj", f"/CN={name}",
                 "-addext", "basicConstraints=critical,CA:TRUE",
                 "-addext", "keyUsage=critical,keyCertSign,cRLSign")

    def leaf(self, cn, dns=(), ips=()):
        """Returns (cert_path, key_path) of a server certificate for the given names."""
        base = os.path.join(self.dir, _slug(cn))
        key, csr, cert, ext = base + ".key", base + ".csr", base + ".pem", base + ".ext"
        sans = [f"DNS:{d}" for d in dns] + [f"IP:{i}" for i in ips]
        with open(ext, "w") as f:
            f.write("basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\n"
                    "extendedKeyUsage=serverAuth\n")
            if sans:
                f.write("subjectAltName=" + ",".join(sans) + "\n")
        _openssl("req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                 "-nodes", "-keyout", key, "-out", csr, "-subj", f"/CN={cn}")
        _openssl("x509", "-req", "-in", csr, "-CA", self.ca_cert, "-CAkey", self.ca_key,
                 "-CAcreateserial", "-out", cert, "-days", "2", "-extfile", ext)
        return cert, key

    def client_context(self, alpn=None, check_hostname=True):
        ctx = ssl.create_default_context(cafile=self.ca_cert)
        ctx.check_hostname = check_hostname
        if alpn:
            ctx.set_alpn_protocols(alpn)
        return ctx


def server_tls_context(cert, key):
    """A server-side context for a TLS upstream; records the SNI it was sent on the socket."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)

    def on_sni(sslsock, name, _ctx):
        sslsock.nexus_sni = name  # copied to UpstreamConn.sni after the handshake
    ctx.sni_callback = on_sni
    return ctx


def _slug(s):
    return "".join(c if c.isalnum() else "_" for c in s)


def _openssl(*args):
    r = subprocess.run(["openssl"] + list(args), capture_output=True, text=True, timeout=30)
    if r.returncode != 0:
        raise RuntimeError(f"openssl {' '.join(args)} failed: {r.stderr}")


# --------------------------------------------------------------------------------------------
# TestCase
# --------------------------------------------------------------------------------------------

ERROR_TYPES = {"invalid_request_error", "upstream_error", "server_error"}


class NexusTestCase(unittest.TestCase):
    """Starts nexus/upstreams through helpers that clean up and dump nexus logs on failure."""

    def upstream(self, handler=None, **kw):
        u = Upstream(handler, **kw)
        self.addCleanup(u.stop)
        return u

    def nexus(self, config, **kw):
        nx = Nexus(config, **kw)
        self.addCleanup(self._finish_nexus, nx)
        nx.start()
        return nx

    def _finish_nexus(self, nx):
        nx.stop()
        self.dump_logs_if_failed(nx)
        nx.cleanup()

    def dump_logs_if_failed(self, nx):
        if self._failed_so_far():
            sys.stderr.write(f"\n[{self.id()}]\n" + nx.logs() + "\n")

    def _failed_so_far(self):
        outcome = getattr(self, "_outcome", None)
        result = getattr(outcome, "result", None)
        if result is None:
            return False
        bad = list(getattr(result, "errors", [])) + list(getattr(result, "failures", []))
        return any(getattr(t, "test_case", t) is self for t, _ in bad)

    def tmpdir(self):
        d = tempfile.TemporaryDirectory(prefix="nexus-it-")
        self.addCleanup(d.cleanup)
        return d.name

    def assertErrorJson(self, resp, status, type_=None, code=None):
        """The response has `status` and the JSON error body {"error":{"message","type","code"}}."""
        self.assertEqual(resp.status, status, resp)
        try:
            body = resp.json()
        except ValueError:
            self.fail(f"error body is not JSON: {resp.body[:300]!r}")
        self.assertIsInstance(body, dict, body)
        self.assertIn("error", body, body)
        err = body["error"]
        for key in ("message", "type", "code"):
            self.assertIn(key, err, body)
            self.assertIsInstance(err[key], str, body)
        self.assertIn(err["type"], ERROR_TYPES, body)
        self.assertTrue(err["code"], body)
        if type_ is not None:
            self.assertEqual(err["type"], type_, body)
        if code is not None:
            self.assertEqual(err["code"], code, body)
        ctype = resp.header("content-type") or ""
        self.assertIn("application/json", ctype, resp)
        return err
