"""A TCP fault proxy for the resilience tests (the chaos harness).

It sits between nexus and a test upstream. Each connection it accepts either passes through
faithfully or gets the fault the test set, decided when the connection is accepted:

    proxy = FaultProxy(upstream.address)          # cluster endpoint: proxy.address
    proxy.set(Fault.reset())                       # every new connection is reset
    proxy.set(Fault.error(503), share=0.8)         # 80 % of new connections answer 503
    proxy.set(Fault.truncate(after=300), first=1)  # only the next connection is cut short
    proxy.down(); proxy.up()                       # refuse connections, then accept again
    proxy.drop_connections()                       # open connections end: the fault set now
                                                   # applies to the next ones

Faults that end the connection (reset, truncate, error: "Connection: close") make the next
request open a new connection and so draw again: a per-request failure rate for a client that
pools its connections. Latency and throttling apply to the whole connection.

Faults, on the way back from the upstream unless said otherwise:
  latency(delay)      each piece of the answer waits `delay` seconds before it is forwarded
  reset(after=0)      forwards `after` bytes of the answer, then resets (RST) both sides;
                      after=0 resets once the request has arrived, before contacting the upstream
  truncate(after)     forwards `after` bytes of the answer, then closes cleanly (FIN)
  blackhole()         reads the request, never answers, never contacts the upstream
  error(status, ...)  answers the request itself with `status`, never contacts the upstream
  throttle(rate)      forwards the answer at `rate` bytes per second
"""

import random
import select
import socket
import struct
import threading
import time
from dataclasses import dataclass, field

_SLICE_SECONDS = 0.05  # throttling sends a slice of the allowance this often


@dataclass(frozen=True)
class Fault:
    kind: str = "pass"
    delay: float = 0.0
    after: int = 0
    status: int = 503
    body: bytes = b""
    headers: tuple = ()
    rate: int = 0

    @staticmethod
    def passthrough():
        return Fault()

    @staticmethod
    def latency(delay):
        return Fault("latency", delay=delay)

    @staticmethod
    def reset(after=0):
        return Fault("reset", after=after)

    @staticmethod
    def truncate(after):
        return Fault("truncate", after=after)

    @staticmethod
    def blackhole():
        return Fault("blackhole")

    @staticmethod
    def error(status=503, body=None, headers=()):
        if body is None:
            body = (b'{"error":{"message":"injected by the fault proxy","type":"server_error",'
                    b'"code":"fault_injected"}}')
        return Fault("error", status=status, body=body, headers=tuple(headers))

    @staticmethod
    def throttle(rate):
        return Fault("throttle", rate=rate)


@dataclass
class _Policy:
    fault: Fault = field(default_factory=Fault)
    share: float = 1.0
    first: int = None  # only this many more connections get the fault (None: all)


def _reset(sock):
    """Closes `sock` with a TCP reset instead of a FIN (SO_LINGER with a zero timeout)."""
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    except OSError:
        pass
    sock.close()


def _read_request(sock):
    """Reads one HTTP/1.1 request (head, then a Content-Length body); b"" if the peer closed."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            return b""
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    while len(body) < length:
        chunk = sock.recv(65536)
        if not chunk:
            break
        body += chunk
    return data


class FaultProxy:
    def __init__(self, target, seed=7):
        host, _, port = target.rpartition(":")
        self.target = (host, int(port))
        self.lock = threading.Lock()
        self.policy = _Policy()
        self.random = random.Random(seed)  # a fixed seed: the same draws in every run
        self.accepted = 0
        self.applied = {}  # fault kind -> connections it was applied to
        self.sockets = set()
        self.stopping = threading.Event()
        self.listener = None
        self.port = 0
        self.up()
        self.address = f"127.0.0.1:{self.port}"

    # -- control
    def set(self, fault, share=1.0, first=None):
        """Applies `fault` to new connections: a `share` of them, and only the `first` N if set."""
        with self.lock:
            self.policy = _Policy(fault, share, first)

    def clear(self):
        self.set(Fault.passthrough())

    def down(self):
        """Stops listening: new connections are refused. Open ones carry on."""
        with self.lock:
            listener, self.listener = self.listener, None
        if listener is not None:
            listener.shutdown(socket.SHUT_RDWR)  # wakes the accept loop and stops listening now
            listener.close()

    def up(self):
        """Listens again, on the same port once one was chosen."""
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(128)
        with self.lock:
            self.listener = listener
            self.port = listener.getsockname()[1]
        threading.Thread(target=self._accept_loop, args=(listener,), daemon=True).start()

    def drop_connections(self):
        """Ends every open connection, so that a client that pools them connects again and
        meets the fault set now (a provider that turns slow or flaky for everyone)."""
        with self.lock:
            sockets = list(self.sockets)
        for s in sockets:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def count(self, kind):
        with self.lock:
            return self.applied.get(kind, 0)

    def stop(self):
        self.stopping.set()
        self.down()
        with self.lock:
            sockets = list(self.sockets)
        for s in sockets:
            try:
                s.close()
            except OSError:
                pass

    # -- serving
    def _draw(self):
        with self.lock:
            self.accepted += 1
            p = self.policy
            fault = Fault()
            if p.fault.kind != "pass" and (p.first is None or p.first > 0):
                if p.share >= 1.0 or self.random.random() < p.share:
                    fault = p.fault
                    if p.first is not None:
                        p.first -= 1
            self.applied[fault.kind] = self.applied.get(fault.kind, 0) + 1
            return fault

    def _track(self, sock):
        with self.lock:
            self.sockets.add(sock)

    def _untrack(self, *socks):
        with self.lock:
            for s in socks:
                self.sockets.discard(s)

    def _accept_loop(self, listener):
        while not self.stopping.is_set():
            try:
                client, _ = listener.accept()
            except OSError:
                return
            self._track(client)
            threading.Thread(target=self._serve, args=(client, self._draw()), daemon=True).start()

    def _serve(self, client, fault):
        upstream = None
        try:
            client.settimeout(30)
            if fault.kind in ("blackhole", "error") or (fault.kind == "reset" and not fault.after):
                self._answer_locally(client, fault)
                return
            upstream = socket.create_connection(self.target, timeout=30)
            self._track(upstream)
            self._relay(client, upstream, fault)
        except OSError:
            pass
        finally:
            for s in (client, upstream):
                if s is not None:
                    s.close()
            self._untrack(client, upstream)

    def _answer_locally(self, client, fault):
        if not _read_request(client):
            return
        if fault.kind == "reset":
            _reset(client)
        elif fault.kind == "error":
            head = (f"HTTP/1.1 {fault.status} Injected\r\ncontent-type: application/json\r\n"
                    f"content-length: {len(fault.body)}\r\nconnection: close\r\n"
                    + "".join(f"{k}: {v}\r\n" for k, v in fault.headers) + "\r\n")
            client.sendall(head.encode("latin-1") + fault.body)
        else:  # blackhole: hold the connection, read and drop whatever comes, until it closes
            while not self.stopping.is_set() and client.recv(65536):
                pass

    def _relay(self, client, upstream, fault):
        """Both directions in one thread (a second thread blocked in recv would keep a closed
        socket open, and its FIN or RST from being sent); faults apply to the answer."""
        forwarded = 0
        open_ends = {client: upstream, upstream: client}
        while open_ends and not self.stopping.is_set():
            readable, _, _ = select.select(list(open_ends), [], [], 1.0)
            for source in readable:
                data = source.recv(65536)
                sink = open_ends[source]
                if not data:
                    if source is upstream:
                        return  # the answer ended: close both
                    del open_ends[source]
                    sink.shutdown(socket.SHUT_WR)
                    continue
                if source is client:
                    sink.sendall(data)
                    continue
                if fault.kind in ("reset", "truncate"):
                    data = data[:fault.after - forwarded]
                if fault.kind == "latency":
                    time.sleep(fault.delay)
                if fault.kind == "throttle":
                    self._send_throttled(client, data, fault.rate)
                else:
                    client.sendall(data)
                forwarded += len(data)
                if fault.kind in ("reset", "truncate") and forwarded >= fault.after:
                    if fault.kind == "reset":
                        _reset(client)
                        _reset(upstream)
                    return

    @staticmethod
    def _send_throttled(client, data, rate):
        step = max(1, int(rate * _SLICE_SECONDS))
        for start in range(0, len(data), step):
            began = time.monotonic()
            client.sendall(data[start:start + step])
            time.sleep(max(0.0, _SLICE_SECONDS - (time.monotonic() - began)))
