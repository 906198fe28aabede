"""What both recording test upstreams (HTTP/1.1 in upstream.py, HTTP/2 in h2upstream.py) share:
a listening socket on 127.0.0.1 and the lists of requests and connections, under one lock."""

import socket
import threading

from .common import wait_until


class RecordingServer:
    def __init__(self, name=None):
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
