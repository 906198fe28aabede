"""Real HTTP clients for the protocol-matrix tests: curl, nghttp (nghttp2-client) and Node's
http2/http modules (clients/h2_client.mjs), each run with a bounded timeout and its output
parsed into a ClientResponse (status, headers in wire order, body, trailers).

  - run_curl(url, proto, ...)       curl --http1.1 | --http2 (TLS, ALPN) | --http2-prior-knowledge
  - run_nghttp(url, ...)            nghttp -v, HTTP/2 only (prior knowledge on http://, ALPN h2
                                    on https://; nghttp cannot be given a CA: it does not verify)
  - NodeClient(url, proto, ...)     one node process = one HTTP/2 session (or one HTTP/1.1
                                    keep-alive agent) driven by JSON commands; events are read
                                    as they come, so a test can wait for a body piece, pause and
                                    resume a stream, or ask for its flow-control window
  - node_fetch(url, proto, reqs)    the one-shot form of NodeClient
  - CurlStream(url, proto, ...)     curl --no-buffer whose body is read incrementally
  - IncrementalReader(fd)           bounded reads from a pipe: read_until(needle, timeout)
"""

import base64
import hashlib
import json
import os
import re
import select
import subprocess
import tempfile
import threading
import time

from .common import HERE
from .http import _get

NODE_CLIENT = os.path.join(HERE, "clients", "h2_client.mjs")


class ClientError(Exception):
    """The client program failed (exit code, timeout, unparseable output)."""


class ClientResponse:
    """One response as a real client saw it. headers/trailers: [(name, value)] in wire order,
    pseudo-headers excluded; http_version: "1.1" or "2"."""

    def __init__(self, client, status, headers, body, trailers=(), http_version=None):
        self.client, self.status, self.headers = client, status, list(headers)
        self.body, self.trailers, self.http_version = body, list(trailers), http_version

    def header(self, name):
        return _get(self.headers, name)

    def headers_named(self, name):
        return [v for k, v in self.headers if k.lower() == name.lower()]

    def trailer(self, name):
        return _get(self.trailers, name)

    def json(self):
        return json.loads(self.body)

    def __repr__(self):
        return (f"<{self.client} HTTP/{self.http_version} {self.status} {self.headers} "
                f"body[{len(self.body)}]={self.body[:200]!r} trailers={self.trailers}>")


def _header_args(headers):
    out = []
    for k, v in headers or ():
        out += ["-H", f"{k}: {v}"]
    return out


def _tmpfile(directory, suffix):
    fd, path = tempfile.mkstemp(prefix="h2c-", suffix=suffix, dir=directory)
    os.close(fd)
    return path


# --------------------------------------------------------------------------------------------
# curl
# --------------------------------------------------------------------------------------------

def curl_args(url, proto, method=None, headers=(), body_file=None, cacert=None, authority=None,
              timeout=20.0):
    """The curl command line (without output options). proto: "h1" or "h2"; for h2 on http://
    prior knowledge is used. authority: "host:port" to send as Host/:authority while still
    connecting to the URL's address (curl --connect-to)."""
    args = ["curl", "-sS", "--max-time", str(timeout)]
    if proto == "h1":
        args.append("--http1.1")
    elif url.startswith("https:"):
        args.append("--http2")
    else:
        args.append("--http2-prior-knowledge")
    if cacert:
        args += ["--cacert", cacert]
    if authority:
        m = re.match(r"(https?)://([^/:]+):(\d+)(.*)", url)
        host, port = authority.rsplit(":", 1)
        args += ["--connect-to", f"{host}:{port}:{m.group(2)}:{m.group(3)}"]
        url = f"{m.group(1)}://{authority}{m.group(4)}"
    if method:
        args += ["-X", method]
    args += _header_args(headers)
    if body_file is not None:
        args += ["--data-binary", "@" + body_file]
    return args + [url]


def parse_curl_header_dump(text):
    """curl -D output -> (http_version, status, headers, trailers). Interim 1xx blocks are
    skipped; lines after the final block's blank line are trailers."""
    lines = text.replace("\r\n", "\n").split("\n")
    version, status, headers, trailers = None, None, [], []
    in_block, final_done = False, False
    for line in lines:
        if final_done:
            if line.strip():
                name, _, value = line.partition(":")
                trailers.append((name.strip(), value.strip()))
            continue
        if line.startswith("HTTP/") and not in_block:
            parts = line.split()
            version, status, headers, in_block = parts[0][5:], int(parts[1]), [], True
            continue
        if in_block:
            if not line.strip():
                in_block = False
                if not (100 <= status < 200):
                    final_done = True
                continue
            name, _, value = line.partition(":")
            headers.append((name.strip(), value.strip()))
    if status is None:
        raise ClientError(f"no status line in curl header dump: {text[:500]!r}")
    return version, status, headers, trailers


def run_curl(url, proto, method=None, headers=(), body_file=None, cacert=None, authority=None,
             timeout=20.0, workdir=None):
    """Runs curl to completion. Returns a ClientResponse (body = exact bytes received)."""
    hdr, out = _tmpfile(workdir, ".hdr"), _tmpfile(workdir, ".body")
    try:
        args = curl_args(url, proto, method, headers, body_file, cacert, authority, timeout)
        args[1:1] = ["-D", hdr, "-o", out, "-w", "%{http_version}"]
        try:
            r = subprocess.run(args, capture_output=True, timeout=timeout + 5)
        except subprocess.TimeoutExpired:
            raise ClientError(f"curl did not finish in {timeout + 5}s: {args}")
        if r.returncode != 0:
            raise ClientError(f"curl exit {r.returncode}: {r.stderr.decode(errors='replace')} "
                              f"({' '.join(args)})")
        with open(hdr, "rb") as f:
            version, status, hdrs, trailers = parse_curl_header_dump(f.read().decode("latin-1"))
        with open(out, "rb") as f:
            body = f.read()
        return ClientResponse("curl", status, hdrs, body, trailers,
                              r.stdout.decode().strip() or version)
    finally:
        for p in (hdr, out):
            try:
                os.unlink(p)
            except OSError:
                pass


# --------------------------------------------------------------------------------------------
# nghttp
# --------------------------------------------------------------------------------------------

# One log entry: "[  0.003] recv ..." (or send, or Connected) and its indented continuation lines.
_NGHTTP_LOG = re.compile(rb"\[ *\d+\.\d{3}\] (send|recv|Connected)([^\n]*)\n"
                         rb"((?: {10}[^\n]*\n)*)")
_NGHTTP_PROTO = re.compile(rb"The negotiated protocol: ([^\n]*)\n")
_NGHTTP_HEADER = re.compile(rb" \(stream_id=(\d+)\) ([^\n]*)$")
_NGHTTP_HEADERS_FRAME = re.compile(rb" HEADERS frame <length=\d+, flags=0x[0-9a-f]+, "
                                   rb"stream_id=(\d+)>$")
_NGHTTP_DATA_FRAME = re.compile(rb" DATA frame <length=(\d+), flags=0x([0-9a-f]+), "
                                rb"stream_id=(\d+)>$")
_NGHTTP_PADLEN = re.compile(rb"\(padlen=(\d+)\)")


def nghttp_args(url, method=None, headers=(), body_file=None, authority=None,
                no_content_length=False, timeout=20.0):
    args = ["nghttp", "-v", "-t", f"{int(timeout * 1000)}ms"]
    if method:
        args += ["-H", f":method: {method}"]
    if authority:
        args += ["-H", f":authority: {authority}"]
    args += _header_args(headers)
    if body_file is not None:
        args += ["-d", body_file]
    if no_content_length:
        args.append("--no-content-length")
    return args + [url]


def parse_nghttp_verbose(out):
    """nghttp -v stdout (a frame log with the received body bytes written in between) -> for
    each stream {"blocks": [[(name, value)], ...], "body": bytes}. The body is what is left once
    the log entries are cut out; its length is checked against the received DATA frames."""
    streams = {}
    pending = []      # (stream_id, name, value) of a header block not yet closed by its frame
    body_parts = []
    data_len = {}
    pos = 0
    for m in _NGHTTP_LOG.finditer(out):
        body_parts.append(out[pos:m.start()])
        pos = m.end()
        if m.group(1) != b"recv":
            continue
        rest = m.group(2)
        h = _NGHTTP_HEADER.match(rest)
        if h:
            name, _, value = h.group(2).decode("latin-1").partition(": ")
            pending.append((int(h.group(1)), name, value))
            continue
        f = _NGHTTP_HEADERS_FRAME.match(rest)
        if f:
            sid = int(f.group(1))
            block = [(n, v) for s, n, v in pending if s == sid]
            pending = [p for p in pending if p[0] != sid]
            streams.setdefault(sid, {"blocks": [], "body": b""})["blocks"].append(block)
            continue
        d = _NGHTTP_DATA_FRAME.match(rest)
        if d:
            sid, n = int(d.group(3)), int(d.group(1))
            pad = _NGHTTP_PADLEN.search(m.group(3))
            if pad and int(d.group(2), 16) & 0x8:
                n -= int(pad.group(1)) + 1
            data_len[sid] = data_len.get(sid, 0) + n
    body_parts.append(out[pos:])
    body = _NGHTTP_PROTO.sub(b"", b"".join(body_parts), count=1)
    total = sum(data_len.values())
    if len(body) != total:
        raise ClientError(f"nghttp output: {len(body)} body bytes left after removing the log, "
                          f"but DATA frames carried {total}")
    if len(data_len) > 1:
        raise ClientError(f"nghttp output: bodies on several streams {sorted(data_len)}")
    for sid in data_len:
        streams.setdefault(sid, {"blocks": [], "body": b""})["body"] = body
    return streams


def run_nghttp(url, method=None, headers=(), body_file=None, authority=None,
               no_content_length=False, timeout=20.0):
    """Runs nghttp -v for one request. Returns a ClientResponse (http_version "2")."""
    args = nghttp_args(url, method, headers, body_file, authority, no_content_length, timeout)
    try:
        r = subprocess.run(args, capture_output=True, timeout=timeout + 5)
    except subprocess.TimeoutExpired:
        raise ClientError(f"nghttp did not finish in {timeout + 5}s: {args}")
    if url.startswith("https:"):
        m = _NGHTTP_PROTO.search(r.stdout)
        if not m or m.group(1) != b"h2":
            raise ClientError(f"nghttp did not negotiate h2: {r.stdout[:800]!r} {r.stderr!r}")
    streams = parse_nghttp_verbose(r.stdout)
    ours = [s for s in streams.values() if s["blocks"]]
    if r.returncode != 0 or len(ours) != 1:
        raise ClientError(f"nghttp exit {r.returncode}, {len(ours)} answered streams: "
                          f"{r.stderr.decode(errors='replace')} {r.stdout[-1500:]!r}")
    s = ours[0]
    final = None
    for i, block in enumerate(s["blocks"]):
        st = _get(block, ":status")
        if st is not None and not (100 <= int(st) < 200):
            final = i
            break
    if final is None:
        raise ClientError(f"nghttp: no final response: {s['blocks']}")
    head = s["blocks"][final]
    trailers = [kv for b in s["blocks"][final + 1:] for kv in b]
    return ClientResponse("nghttp", int(_get(head, ":status")),
                          [(k, v) for k, v in head if not k.startswith(":")], s["body"],
                          trailers, "2")


# --------------------------------------------------------------------------------------------
# incremental reading of a pipe
# --------------------------------------------------------------------------------------------

class IncrementalReader:
    """Bounded reads from a file descriptor (a child's stdout): what arrived so far is in .data."""

    def __init__(self, fd):
        self.fd = fd
        self.data = bytearray()
        self.eof = False

    def _read_some(self, timeout):
        if self.eof:
            return False
        ready, _, _ = select.select([self.fd], [], [], max(0.0, timeout))
        if not ready:
            return False
        chunk = os.read(self.fd, 65536)
        if not chunk:
            self.eof = True
            return False
        self.data += chunk
        return True

    def read_until(self, needle, timeout):
        """True once .data contains needle; False at timeout or EOF."""
        deadline = time.monotonic() + timeout
        while needle not in self.data:
            left = deadline - time.monotonic()
            if left <= 0 or self.eof:
                return needle in self.data
            self._read_some(left)
        return True

    def read_to_eof(self, timeout):
        """True when EOF was reached within timeout."""
        deadline = time.monotonic() + timeout
        while not self.eof:
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            self._read_some(left)
        return True


class CurlStream:
    """curl --no-buffer in the background: .reader has the body as it arrives; finish() waits
    for curl and returns the ClientResponse (headers from -D)."""

    def __init__(self, url, proto, method=None, headers=(), body_file=None, cacert=None,
                 timeout=20.0, workdir=None):
        self.timeout = timeout
        self.hdr = _tmpfile(workdir, ".hdr")
        args = curl_args(url, proto, method, headers, body_file, cacert, None, timeout)
        args[1:1] = ["--no-buffer", "-D", self.hdr]
        self.args = args
        self.stderr = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=self.stderr,
                                     stdin=subprocess.DEVNULL)
        self.reader = IncrementalReader(self.proc.stdout.fileno())

    def finish(self, timeout=10.0):
        if not self.reader.read_to_eof(timeout):
            raise ClientError(f"curl stream did not end within {timeout}s; "
                              f"got {bytes(self.reader.data)[-300:]!r}")
        try:
            code = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            raise ClientError("curl did not exit")
        self.stderr.seek(0)
        if code != 0:
            raise ClientError(f"curl exit {code}: {self.stderr.read().decode(errors='replace')}")
        with open(self.hdr, "rb") as f:
            version, status, hdrs, trailers = parse_curl_header_dump(f.read().decode("latin-1"))
        return ClientResponse("curl", status, hdrs, bytes(self.reader.data), trailers, version)

    def close(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(5)
        self.proc.stdout.close()
        self.stderr.close()
        try:
            os.unlink(self.hdr)
        except OSError:
            pass


# --------------------------------------------------------------------------------------------
# node (clients/h2_client.mjs)
# --------------------------------------------------------------------------------------------

def node_wire_order(headers):
    """The order in which node 20's http2 sends `headers` (an object: equal names grouped at
    the position of the first of them)."""
    order, groups = [], {}
    for k, v in headers:
        key = k.lower()
        if key not in groups:
            order.append(key)
            groups[key] = []
        groups[key].append(v)
    return [(k, v) for k in order for v in groups[k]]


class NodeClient:
    """One node process: one HTTP/2 session (proto "h2") or one HTTP/1.1 keep-alive agent
    ("h1"). Every wait is bounded; close() or kill() ends it (tests add kill as a cleanup)."""

    def __init__(self, url, proto="h2", ca=None, servername=None, timeout=30.0):
        cfg = {"url": url, "proto": proto, "ca": ca, "servername": servername,
               "timeout_ms": int(timeout * 1000)}
        self.proto = proto
        self.stderr = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(["node", NODE_CLIENT, json.dumps(cfg)],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=self.stderr)
        self.events = []
        self.cond = threading.Condition()
        self._seq = 0
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self):
        for line in self.proc.stdout:
            try:
                ev = json.loads(line)
            except ValueError:
                ev = {"event": "garbage", "line": line[:300].decode(errors="replace")}
            with self.cond:
                self.events.append(ev)
                self.cond.notify_all()
        with self.cond:
            self.events.append({"event": "exit"})
            self.cond.notify_all()

    def send(self, cmd):
        try:
            self.proc.stdin.write((json.dumps(cmd) + "\n").encode())
            self.proc.stdin.flush()
        except (BrokenPipeError, OSError) as e:
            raise ClientError(f"node client is gone: {e}; {self.stderr_text()}")

    def request(self, rid, method="GET", path="/", headers=(), body=None, body_file=None,
                paused=False, stream=False):
        cmd = {"op": "request", "id": rid, "method": method, "path": path,
               "headers": [list(h) for h in headers], "paused": paused, "stream": stream}
        if body_file is not None:
            cmd["body_file"] = body_file
        elif body is not None:
            cmd["body_b64"] = base64.b64encode(body).decode()
        self.send(cmd)

    def resume(self, rid):
        self.send({"op": "resume", "id": rid})

    def state(self, rid, timeout=5.0):
        self._seq += 1
        seq = self._seq
        self.send({"op": "state", "id": rid, "seq": seq})
        ev = self.wait_event(lambda e: e.get("event") == "state" and e.get("seq") == seq,
                             timeout)
        if ev is None:
            raise ClientError(f"no state answer for {rid}")
        return ev

    def wait_event(self, pred, timeout):
        """The first event (from the start) matching pred, or None at timeout/exit."""
        deadline = time.monotonic() + timeout
        with self.cond:
            i = 0
            while True:
                while i < len(self.events):
                    ev = self.events[i]
                    if pred(ev):
                        return ev
                    if ev.get("event") == "exit":
                        return None
                    i += 1
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                self.cond.wait(left)

    def data_of(self, rid):
        """The body bytes reported so far by "data" events (requests made with stream=True)."""
        with self.cond:
            return b"".join(base64.b64decode(e["b64"]) for e in self.events
                            if e.get("event") == "data" and e.get("id") == rid)

    def wait_data(self, rid, needle, timeout):
        """True once the streamed body of rid contains needle (bounded)."""
        deadline = time.monotonic() + timeout
        while True:
            if needle in self.data_of(rid):
                return True
            with self.cond:
                n = len(self.events)
                left = deadline - time.monotonic()
                if left <= 0 or (self.events and self.events[-1].get("event") == "exit"):
                    return needle in self.data_of(rid)
                self.cond.wait_for(lambda: len(self.events) > n, left)

    def wait_response(self, rid, timeout=10.0):
        """The "response" (headers) event of rid, or raises with what happened instead."""
        ev = self.wait_event(lambda e: e.get("id") == rid and e.get("event") in
                             ("response", "error") or e.get("event") == "timeout", timeout)
        if ev is None or ev.get("event") != "response":
            raise ClientError(f"no response for {rid}: {ev}; {self.stderr_text()}")
        return ev

    def wait_end(self, rid, timeout=10.0):
        """The complete ClientResponse of rid, or raises ClientError."""
        ev = self.wait_event(lambda e: e.get("id") == rid and e.get("event") in ("end", "error")
                             or e.get("event") == "timeout", timeout)
        if ev is None or ev.get("event") != "end":
            raise ClientError(f"request {rid} did not complete: {ev}; {self.stderr_text()}")
        return self.response_from(ev)

    def response_from(self, ev):
        body = base64.b64decode(ev["body_b64"]) if "body_b64" in ev else None
        if body is not None and hashlib.sha256(body).hexdigest() != ev["sha256"]:
            raise ClientError("node body does not match its own sha256")
        return ClientResponse("node", ev["status"],
                              [(k, v) for k, v in ev["headers"] if not k.startswith(":")],
                              body, [tuple(t) for t in ev["trailers"]],
                              "2" if self.proto == "h2" else "1.1")

    def connect_event(self, timeout=5.0):
        return self.wait_event(lambda e: e.get("event") == "connect", timeout)

    def close(self, timeout=10.0):
        """Lets outstanding requests finish, then waits for the process to exit."""
        try:
            self.send({"op": "close"})
            self.proc.stdin.close()
        except (ClientError, OSError):
            pass
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise ClientError(f"node client did not exit in {timeout}s")

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(5)
        self._thread.join(2)
        for f in (self.proc.stdin, self.proc.stdout, self.stderr):
            try:
                f.close()
            except (OSError, ValueError):
                pass

    def stderr_text(self):
        try:
            self.stderr.seek(0)
            return self.stderr.read().decode(errors="replace")[-2000:]
        except (OSError, ValueError):
            return ""


def node_fetch(url, proto, requests, ca=None, servername=None, timeout=20.0):
    """Runs requests (dicts of NodeClient.request keyword arguments, each with "rid") at once on
    one session/agent; returns {rid: ClientResponse}. Raises ClientError if any fails."""
    c = NodeClient(url, proto, ca, servername, timeout)
    try:
        for r in requests:
            c.request(**r)
        out = {r["rid"]: c.wait_end(r["rid"], timeout) for r in requests}
        c.close(timeout)
        return out
    finally:
        c.kill()
