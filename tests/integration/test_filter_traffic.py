"""The rate_limit and compression filters under real traffic: a nexus process on 127.0.0.1 in
front of the recording test upstream.

rate_limit: token bucket (burst, 429 with Retry-After, X-RateLimit-* and the OpenAI-shaped error),
keys by header value, one exact limit for the whole process with 4 workers and concurrent
connections, leaky bucket delaying instead of rejecting, per-route limits, and the 429 going back
through the filters before it (request_id, cors).

compression: Accept-Encoding negotiation (q-values, `*`, identity) for gzip, br and zstd with the
body decoded by the test, what is left untouched (small, already encoded, not an allowed type,
no-transform, HEAD, 204, 304), SSE compressed and still delivered event by event, request body
decoding (gzip/deflate/zstd, zip bombs, corrupt data, unknown codings) and HTTP/2.
"""

import json
import os
import random
import shutil
import socket
import subprocess
import threading
import time
import unittest
import zlib

from nexus_harness import (Closed, ClientConn, NexusTestCase, Upstream, cluster, free_port,
                           make_config, ok, request, sse, wait_until)
from harness.h2clients import CurlStream, run_curl

try:
    import brotli  # noqa: F401  (not installed here; the curl fallback is used then)
except ImportError:
    brotli = None


def no_access_log():
    return {"level": "info", "access_log": {"enabled": False}}


def json_doc(size=10 * 1024, seed=7):
    """A JSON document of about `size` bytes, compressible like real API output."""
    rng = random.Random(seed)
    words = ["alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota"]
    items, length = [], 0
    while length < size:
        item = {"id": len(items), "name": rng.choice(words) + "-" + str(rng.randint(0, 999)),
                "score": rng.random(), "tags": rng.sample(words, 3)}
        items.append(item)
        length += len(json.dumps(item)) + 2
    return json.dumps({"object": "list", "data": items}).encode()


BODY = json_doc()


# --------------------------------------------------------------------------------------------
# Decoding content codings in the test
# --------------------------------------------------------------------------------------------

def gunzip(data):
    return zlib.decompress(data, 16 + zlib.MAX_WBITS)


def _curl_decode(coding, data):
    """Decodes `data` with curl --compressed: a throwaway upstream serves the bytes verbatim
    with `Content-Encoding: coding` (curl here is built with brotli and zstd)."""
    up = Upstream(ok(body=data, headers=[("Content-Encoding", coding),
                                         ("Content-Type", "application/octet-stream")]))
    try:
        r = subprocess.run(["curl", "-sS", "--max-time", "10", "--compressed",
                            f"http://127.0.0.1:{up.port}/"], capture_output=True, timeout=15)
    finally:
        up.stop()
    if r.returncode != 0:
        raise AssertionError(f"curl could not decode {coding}: {r.stderr!r}")
    return r.stdout


def decode(coding, data):
    if coding in ("gzip", "x-gzip"):
        return gunzip(data)
    if coding == "deflate":
        return zlib.decompress(data)
    if coding == "zstd":
        if shutil.which("zstd"):
            r = subprocess.run(["zstd", "-d", "-c", "-q"], input=data, capture_output=True,
                               timeout=15)
            if r.returncode != 0:
                raise AssertionError(f"zstd -d failed: {r.stderr!r}")
            return r.stdout
        return _curl_decode("zstd", data)
    if coding == "br":
        if brotli is not None:
            return brotli.decompress(data)
        if shutil.which("brotli"):
            r = subprocess.run(["brotli", "-d", "-c"], input=data, capture_output=True, timeout=15)
            if r.returncode != 0:
                raise AssertionError(f"brotli -d failed: {r.stderr!r}")
            return r.stdout
        return _curl_decode("br", data)
    if coding in (None, "identity"):
        return data
    raise AssertionError(f"unexpected coding {coding!r}")


def zstd_compress(data):
    r = subprocess.run(["zstd", "-c", "-q"], input=data, capture_output=True, timeout=15)
    if r.returncode != 0:
        raise AssertionError(f"zstd failed: {r.stderr!r}")
    return r.stdout


def gzip_bytes(data, level=6):
    c = zlib.compressobj(level, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    return c.compress(data) + c.flush()


def server_side_drained(server_port, client_port):
    """True when the server's end of the 127.0.0.1 connection from client_port has an empty
    receive queue (/proc/net/tcp): the server has read everything the client sent."""
    local, remote = f"0100007F:{server_port:04X}", f"0100007F:{client_port:04X}"
    with open("/proc/net/tcp") as f:
        for line in f.readlines()[1:]:
            fields = line.split()
            if fields[1] == local and fields[2] == remote:
                return int(fields[4].split(":")[1], 16) == 0
    return False


def vary_tokens(resp):
    return [t.strip().lower() for v in resp.headers_named("vary") for t in v.split(",")
            if t.strip()]


# --------------------------------------------------------------------------------------------
# rate_limit
# --------------------------------------------------------------------------------------------

class RateLimitTest(NexusTestCase):
    def start(self, filters, routes=None, workers=1, handler=None):
        self.up = self.upstream(handler, name="up")
        cfg = make_config(free_port(), {"up": cluster(self.up)},
                          routes or [{"match": {"prefix": "/"}, "cluster": "up"}],
                          logging=no_access_log(), workers=workers)
        if filters is not None:
            cfg["filters"] = filters
        self.nx = self.nexus(cfg)
        return self.nx

    def assertRateLimitError(self, r):
        self.assertEqual(r.status, 429, r)
        self.assertIn("application/json", r.header("content-type") or "", r)
        err = r.json()["error"]
        self.assertEqual((err["type"], err["code"]), ("rate_limit_error", "rate_limit_exceeded"), r)
        self.assertIsInstance(err["message"], str)
        self.assertTrue(err["message"])
        retry = r.header("retry-after")
        self.assertIsNotNone(retry, r)
        self.assertTrue(retry.isdigit(), r)
        return int(retry)

    def test_token_bucket_burst_then_429_with_headers(self):
        # burst 3, refilled one token a minute: nothing can refill during the test.
        self.start([{"rate_limit": {"limits": [{"name": "per_ip", "algorithm": "token_bucket",
                                                "rate": 1, "per": "1m", "burst": 3}]}}])
        c = ClientConn(self.nx.port)
        self.addCleanup(c.close)
        for remaining in (2, 1, 0):
            r = c.request("GET", "/v1/models")
            self.assertEqual(r.status, 200, r)
            self.assertEqual(r.header("x-ratelimit-limit"), "3", r)
            self.assertEqual(r.header("x-ratelimit-remaining"), str(remaining), r)
            # Reset: seconds until the bucket is full again, (3 - remaining) minutes at most.
            reset = int(r.header("x-ratelimit-reset"))
            self.assertTrue(0 < reset <= 60 * (3 - remaining), r)
        r = c.request("GET", "/v1/models")
        retry = self.assertRateLimitError(r)
        # The next token comes a minute after the first one was taken (rounded up).
        self.assertTrue(50 <= retry <= 60, r)
        self.assertEqual(r.header("x-ratelimit-limit"), "3", r)
        self.assertEqual(r.header("x-ratelimit-remaining"), "0", r)
        self.assertTrue(170 <= int(r.header("x-ratelimit-reset")) <= 180, r)
        # The connection stays usable and a rejected request consumed nothing / reached nobody.
        r = c.request("GET", "/v1/models")
        self.assertRateLimitError(r)
        self.assertEqual(self.up.count(), 3)

    def test_header_keys_are_independent(self):
        self.start([{"rate_limit": {"limits": [
            {"name": "per_tenant", "key": "header", "header": "X-Tenant",
             "algorithm": "token_bucket", "rate": 1, "per": "1m", "burst": 2}]}}])
        port = self.nx.port
        for _ in range(2):
            self.assertEqual(request(port, "GET", "/", {"X-Tenant": "acme"}).status, 200)
        self.assertRateLimitError(request(port, "GET", "/", {"X-Tenant": "acme"}))
        # Another tenant has its own bucket, untouched by acme's.
        r = request(port, "GET", "/", {"x-tenant": "globex"})
        self.assertEqual((r.status, r.header("x-ratelimit-remaining")), (200, "1"), r)
        self.assertEqual(request(port, "GET", "/", {"x-tenant": "globex"}).status, 200)
        self.assertRateLimitError(request(port, "GET", "/", {"x-tenant": "globex"}))
        # Values are compared exactly: "ACME" is another key.
        self.assertEqual(request(port, "GET", "/", {"X-Tenant": "ACME"}).status, 200)
        # missing_header: skip (the default): requests without the header are not limited.
        for _ in range(5):
            r = request(port, "GET", "/")
            self.assertEqual(r.status, 200, r)
            self.assertIsNone(r.header("x-ratelimit-limit"), r)
        self.assertEqual(self.up.count(), 2 + 2 + 1 + 5)

    def test_fixed_window_is_exact_across_workers_and_connections(self):
        # 50 per 24 h, one key (all clients are 127.0.0.1): the window cannot roll over during
        # the test (unless the steady clock crosses a 24 h boundary in these few seconds).
        self.start([{"rate_limit": {"limits": [{"name": "per_ip", "algorithm": "fixed_window",
                                                "rate": 50, "per": "24h"}]}}], workers=4)
        threads, per_thread = 8, 25
        barrier = threading.Barrier(threads, timeout=10)
        results = [[] for _ in range(threads)]
        errors = []

        def run(i):
            try:
                barrier.wait()
                for _ in range(per_thread):
                    # A new connection per request: they are spread over the 4 workers.
                    r = request(self.nx.port, "GET", f"/t{i}", timeout=10.0)
                    results[i].append((r.status, r.header("x-ratelimit-remaining"),
                                       r.header("x-ratelimit-reset")))
            except Exception as e:  # noqa: BLE001 - reported below
                errors.append(repr(e))

        workers = [threading.Thread(target=run, args=(i,), daemon=True) for i in range(threads)]
        for t in workers:
            t.start()
        for t in workers:
            t.join(60)
        self.assertFalse(any(t.is_alive() for t in workers), "client threads did not finish")
        self.assertEqual(errors, [])
        flat = [r for rs in results for r in rs]
        self.assertEqual(len(flat), threads * per_thread)
        allowed = [r for r in flat if r[0] == 200]
        rejected = [r for r in flat if r[0] == 429]
        self.assertEqual(len(allowed), 50, sorted(set(s for s, _, _ in flat)))
        self.assertEqual(len(rejected), threads * per_thread - 50)
        # Every allowed request saw a distinct count: one shared counter, no lost updates.
        self.assertEqual(sorted(int(rem) for _, rem, _ in allowed), list(range(50)))
        self.assertTrue(all(rem == "0" for _, rem, _ in rejected), rejected[:5])
        self.assertEqual(self.up.count(), 50)

    def test_leaky_bucket_delays_instead_of_rejecting(self):
        # One request leaves every 200 ms; up to 1 s of waiting is accepted.
        self.start([{"rate_limit": {"limits": [{"name": "pace", "key": "global",
                                                "algorithm": "leaky_bucket", "rate": 5,
                                                "per": "1s", "max_wait": "1s"}]}}], workers=2)
        n = 4
        barrier = threading.Barrier(n + 1, timeout=10)
        statuses, errors = [None] * n, []

        def run(i):
            try:
                barrier.wait()
                statuses[i] = request(self.nx.port, "GET", f"/p{i}", timeout=10.0).status
            except Exception as e:  # noqa: BLE001
                errors.append(repr(e))

        threads = [threading.Thread(target=run, args=(i,), daemon=True) for i in range(n)]
        for t in threads:
            t.start()
        barrier.wait()
        started = time.monotonic()
        for t in threads:
            t.join(20)
        elapsed = time.monotonic() - started
        self.assertEqual(errors, [])
        self.assertEqual(statuses, [200] * n)  # none rejected: 0, 200, 400, 600 ms of waiting
        self.assertEqual(self.up.count(), n)
        # Lower bounds only: the 4th request cannot have left before 3 intervals had passed.
        self.assertGreaterEqual(elapsed, 0.6 - 0.01)
        with self.up.lock:
            times = sorted(req.time for req in self.up.requests)
        self.assertGreaterEqual(times[-1] - started, 0.6 - 0.01, times)

    def test_leaky_bucket_rejects_past_max_wait(self):
        # One request a second, at most 1.2 s of waiting: of 3 requests sent together the third
        # would wait ~2 s and is refused at once (unless they arrived 800 ms apart).
        self.start([{"rate_limit": {"limits": [{"name": "pace", "key": "global",
                                                "algorithm": "leaky_bucket", "rate": 1,
                                                "per": "1s", "max_wait": "1200ms"}]}}])
        conns = [ClientConn(self.nx.port, timeout=10.0) for _ in range(3)]
        for c in conns:
            self.addCleanup(c.close)
        for i, c in enumerate(conns):
            c.send_request("GET", f"/q{i}")
        responses = [c.read_response() for c in conns]
        statuses = sorted(r.status for r in responses)
        self.assertEqual(statuses, [200, 200, 429], responses)
        rejected = [r for r in responses if r.status == 429][0]
        self.assertRateLimitError(rejected)
        self.assertEqual(rejected.header("x-ratelimit-limit"), "2", rejected)  # 1200/1000 + 1
        self.assertEqual(self.up.count(), 2)

    def test_per_route_limits_differ(self):
        def limit(burst):
            return {"rate_limit": {"limits": [{"algorithm": "token_bucket", "rate": 1,
                                               "per": "1m", "burst": burst}]}}
        self.start(None, routes=[
            {"match": {"prefix": "/tight"}, "cluster": "up", "filters": [limit(1)]},
            {"match": {"prefix": "/loose"}, "cluster": "up", "filters": [limit(3)]},
            {"match": {"prefix": "/"}, "cluster": "up"}])
        port = self.nx.port
        r = request(port, "GET", "/tight")
        self.assertEqual((r.status, r.header("x-ratelimit-limit")), (200, "1"), r)
        self.assertRateLimitError(request(port, "GET", "/tight"))
        # /loose has its own state: /tight's exhausted bucket does not count there.
        for remaining in ("2", "1", "0"):
            r = request(port, "GET", "/loose")
            self.assertEqual((r.status, r.header("x-ratelimit-limit"),
                              r.header("x-ratelimit-remaining")), (200, "3", remaining), r)
        self.assertRateLimitError(request(port, "GET", "/loose"))
        for _ in range(6):
            r = request(port, "GET", "/free")
            self.assertEqual(r.status, 200, r)
            self.assertIsNone(r.header("x-ratelimit-limit"), r)
        self.assertEqual(self.up.count(), 1 + 3 + 6)

    def test_429_goes_through_earlier_filters(self):
        origin = "https://app.example.com"
        self.start([
            {"request_id": {}},
            {"cors": {"allow_origins": [origin], "expose_headers": ["x-request-id"]}},
            {"rate_limit": {"limits": [{"algorithm": "token_bucket", "rate": 1, "per": "1m",
                                        "burst": 1}]}},
        ])
        r = request(self.nx.port, "GET", "/a", {"Origin": origin})
        self.assertEqual(r.status, 200, r)
        r = request(self.nx.port, "GET", "/a", {"Origin": origin, "X-Request-Id": "req-abc-123"})
        self.assertRateLimitError(r)
        self.assertEqual(r.header("x-request-id"), "req-abc-123", r)
        self.assertEqual(r.header("access-control-allow-origin"), origin, r)
        self.assertEqual(r.header("access-control-expose-headers"), "x-request-id", r)
        self.assertIn("origin", vary_tokens(r), r)
        self.assertEqual(r.header("x-ratelimit-remaining"), "0", r)
        # Without a client id the request_id filter makes one, also for the 429.
        r = request(self.nx.port, "GET", "/a", {"Origin": "https://evil.example.org"})
        self.assertRateLimitError(r)
        self.assertTrue(r.header("x-request-id"), r)
        self.assertIsNone(r.header("access-control-allow-origin"), r)
        self.assertEqual(self.up.count(), 1)

    def test_rejection_by_a_later_limit_refunds_the_earlier_ones(self):
        # per_ip (4) is checked first, then per_tenant (2). Requests refused by per_tenant give
        # back what per_ip took; without that, t1's three refusals would exhaust per_ip.
        self.start([{"rate_limit": {"limits": [
            {"name": "per_ip", "algorithm": "token_bucket", "rate": 1, "per": "1m", "burst": 4},
            {"name": "per_tenant", "key": "header", "header": "x-tenant",
             "algorithm": "token_bucket", "rate": 1, "per": "1m", "burst": 2}]}}])
        port = self.nx.port
        r = request(port, "GET", "/", {"x-tenant": "t1"})
        # The most restrictive limit is shown: per_tenant (1 left) rather than per_ip (3 left).
        self.assertEqual((r.status, r.header("x-ratelimit-limit"),
                          r.header("x-ratelimit-remaining")), (200, "2", "1"), r)
        self.assertEqual(request(port, "GET", "/", {"x-tenant": "t1"}).status, 200)
        for _ in range(3):
            r = request(port, "GET", "/", {"x-tenant": "t1"})
            self.assertRateLimitError(r)
            self.assertIn("per_tenant", r.json()["error"]["message"], r)
        r = request(port, "GET", "/", {"x-tenant": "t2"})
        # 1 left in both: the tie goes to the longer reset, per_ip (3 tokens to refill).
        self.assertEqual((r.status, r.header("x-ratelimit-limit"),
                          r.header("x-ratelimit-remaining")), (200, "4", "1"), r)
        self.assertTrue(170 <= int(r.header("x-ratelimit-reset")) <= 180, r)
        r = request(port, "GET", "/", {"x-tenant": "t2"})
        # Both limits are at 0 now; per_ip (4 × 1 min to refill) has the longer reset.
        self.assertEqual((r.status, r.header("x-ratelimit-limit"),
                          r.header("x-ratelimit-remaining")), (200, "4", "0"), r)
        r = request(port, "GET", "/", {"x-tenant": "t3"})
        self.assertRateLimitError(r)
        self.assertIn("per_ip", r.json()["error"]["message"], r)
        self.assertEqual(self.up.count(), 4)

    def test_sliding_window_and_no_headers(self):
        # headers: false: no X-RateLimit-* anywhere, the 429 still has its Retry-After.
        self.start([{"rate_limit": {"headers": False, "limits": [
            {"algorithm": "sliding_window", "rate": 3, "per": "1h"}]}}])
        for _ in range(3):
            r = request(self.nx.port, "GET", "/")
            self.assertEqual(r.status, 200, r)
            self.assertEqual([k for k, _ in r.headers if k.lower().startswith("x-ratelimit")],
                             [], r)
        r = request(self.nx.port, "GET", "/")
        retry = self.assertRateLimitError(r)
        self.assertEqual([k for k, _ in r.headers if k.lower().startswith("x-ratelimit")], [], r)
        # Within this window (the 3 stay counted, whichever window they fell in): at least a
        # third of the hour, at most an hour and a third.
        self.assertTrue(1200 - 5 <= retry <= 4800, r)
        self.assertEqual(self.up.count(), 3)

    def test_max_keys_when_full(self):
        # One key fits; what happens to a second depends on when_full.
        def limits(when_full):
            return [{"rate_limit": {"limits": [
                {"key": "header", "header": "x-key", "algorithm": "token_bucket", "rate": 1,
                 "per": "1m", "burst": 2, "max_keys": 1, "when_full": when_full}]}}]
        expected = {
            # deny: b is refused while a is held (until a would be whole again, 2 min).
            "deny": [("a", 200), ("b", 429), ("b", 429), ("a", 200), ("a", 429)],
            # allow: b passes uncounted (always 2 remaining), a's count is kept.
            "allow": [("a", 200), ("b", 200), ("b", 200), ("a", 200), ("a", 429)],
            # evict: b replaces a, whose count starts afresh.
            "evict": [("a", 200), ("b", 200), ("b", 200), ("b", 429), ("a", 200)],
        }
        for when_full, steps in expected.items():
            with self.subTest(when_full=when_full):
                up = self.upstream(name="up")
                cfg = make_config(free_port(), {"up": cluster(up)},
                                  [{"match": {"prefix": "/"}, "cluster": "up"}],
                                  logging=no_access_log())
                cfg["filters"] = limits(when_full)
                nx = self.nexus(cfg)
                got = []
                for key, _ in steps:
                    r = request(nx.port, "GET", "/", {"x-key": key})
                    got.append((key, r.status))
                    if r.status == 429:
                        self.assertRateLimitError(r)
                    elif when_full == "allow" and key == "b":
                        self.assertEqual(r.header("x-ratelimit-remaining"), "2", r)
                self.assertEqual(got, steps)
                self.assertEqual(up.count(), sum(1 for _, st in steps if st == 200))

    def test_request_of_a_client_gone_during_a_pause_is_not_forwarded(self):
        """A request held by the leaky bucket whose client resets its connection during the pause
        is never sent upstream: the HTTP/1.1 downstream watches the client socket during the
        pause as it does while the upstream works (HTTP/2 learns it from RST_STREAM)."""
        self.start([{"rate_limit": {"limits": [{"key": "global", "algorithm": "leaky_bucket",
                                                "rate": 1, "per": "2s", "max_wait": "5s"}]}}])
        self.assertEqual(request(self.nx.port, "GET", "/first").status, 200)
        c = ClientConn(self.nx.port)
        self.addCleanup(c.close)
        c.send_request("GET", "/abandoned")
        client_port = c.sock.getsockname()[1]
        # Nexus has read the whole request (its socket's receive queue is empty): it is paused.
        self.assertTrue(wait_until(lambda: server_side_drained(self.nx.port, client_port), 5.0))
        c.reset()
        # The pause ends ~2 s after /first; by 4 s a forwarded request would have arrived.
        self.assertFalse(self.up.wait_requests(2, 4.0),
                         [r.path for r in self.up.requests])

    def test_limits_over_http2(self):
        self.up = self.upstream(name="up")
        cfg = make_config(free_port(), {"up": cluster(self.up)}, [
            {"match": {"prefix": "/burst"}, "cluster": "up",
             "filters": [{"rate_limit": {"limits": [{"algorithm": "token_bucket", "rate": 1,
                                                     "per": "1m", "burst": 2}]}}]},
            {"match": {"prefix": "/paced"}, "cluster": "up",
             "filters": [{"rate_limit": {"limits": [{"key": "global", "algorithm": "leaky_bucket",
                                                     "rate": 4, "per": "1s",
                                                     "max_wait": "2s"}]}}]}],
            logging=no_access_log(), workers=2)
        cfg["server"]["listen"] = [{"address": cfg["server"]["listen"][0], "http2": True}]
        nx = self.nexus(cfg)
        url = f"http://127.0.0.1:{nx.port}"
        for remaining in ("1", "0"):
            r = run_curl(url + "/burst", "h2", workdir=self.tmpdir())
            self.assertEqual((r.status, r.http_version, r.header("x-ratelimit-remaining")),
                             (200, "2", remaining), r)
        r = run_curl(url + "/burst", "h2", workdir=self.tmpdir())
        self.assertEqual((r.status, r.http_version), (429, "2"), r)
        self.assertEqual(json.loads(r.body)["error"]["code"], "rate_limit_exceeded", r)
        self.assertTrue(r.header("retry-after"), r)
        # Leaky bucket on HTTP/2 streams: paused, then forwarded (one every 250 ms).
        started = time.monotonic()
        for _ in range(3):
            r = run_curl(url + "/paced", "h2", workdir=self.tmpdir())
            self.assertEqual(r.status, 200, r)
        self.assertGreaterEqual(time.monotonic() - started, 0.5 - 0.01)
        self.assertEqual(self.up.count(), 2 + 3)


# --------------------------------------------------------------------------------------------
# compression
# --------------------------------------------------------------------------------------------

GZ_BODY = gzip_bytes(BODY)
PNG_BODY = bytes(random.Random(3).getrandbits(8) for _ in range(4096)) * 3


def content_handler(req, conn):
    """Answers by path; HEAD gets the GET head without a body."""
    path = req.path
    status, body, hdrs = 200, BODY, [("Content-Type", "application/json")]
    if path == "/json":
        hdrs += [("ETag", '"v1"'), ("Vary", "Origin")]
    elif path == "/small":
        body = b'{"ok":true,"n":12345}'
    elif path == "/encoded":
        hdrs += [("Content-Encoding", "gzip")]
        body = GZ_BODY
    elif path == "/png":
        hdrs = [("Content-Type", "image/png")]
        body = PNG_BODY
    elif path == "/notransform":
        hdrs += [("Cache-Control", "public, no-transform")]
    elif path == "/text":
        hdrs = [("Content-Type", "text/plain; charset=utf-8")]
    elif path == "/chunked":
        head = ("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                "Transfer-Encoding: chunked\r\n\r\n").encode()
        out = head
        for i in range(0, len(BODY), 3000):
            piece = BODY[i:i + 3000]
            out += b"%x\r\n%s\r\n" % (len(piece), piece)
        conn.send(out + b"0\r\n\r\n")
        return True
    elif path == "/204":
        conn.send(b"HTTP/1.1 204 No Content\r\nContent-Type: application/json\r\n\r\n")
        return True
    elif path == "/304":
        conn.send(b"HTTP/1.1 304 Not Modified\r\nETag: \"v1\"\r\nContent-Type: application/json"
                  b"\r\n\r\n")
        return True
    head = f"HTTP/1.1 {status} OK\r\n" + "".join(f"{k}: {v}\r\n" for k, v in hdrs)
    head += f"Content-Length: {len(body)}\r\n\r\n"
    conn.send(head.encode() + (b"" if req.method == "HEAD" else body))
    return True


class CompressionTest(NexusTestCase):
    def start(self, handler=content_handler, filter_cfg=None, http2=False, workers=1):
        self.up = self.upstream(handler, name="up")
        cfg = make_config(free_port(), {"up": cluster(self.up)},
                          [{"match": {"prefix": "/"}, "cluster": "up"}],
                          logging=no_access_log(), workers=workers)
        if http2:
            cfg["server"]["listen"] = [{"address": cfg["server"]["listen"][0], "http2": True}]
        cfg["filters"] = [{"compression": filter_cfg or {}}]
        self.nx = self.nexus(cfg)
        return self.nx

    def client(self, timeout=5.0):
        c = ClientConn(self.nx.port, timeout=timeout)
        self.addCleanup(c.close)
        return c

    def assertCompressed(self, r, coding, original=BODY):
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.header("content-encoding"), coding, r)
        self.assertIsNone(r.header("content-length"), r)
        self.assertEqual(r.framing, "chunked", r)
        self.assertEqual(vary_tokens(r).count("accept-encoding"), 1, r)
        self.assertLess(len(r.body), len(original) // 2, r)
        self.assertEqual(decode(coding, r.body), original)

    def assertUntouched(self, r, body, vary=True):
        self.assertEqual(r.status, 200, r)
        self.assertIsNone(r.header("content-encoding"), r)
        self.assertEqual(r.header("content-length"), str(len(body)), r)
        self.assertEqual(r.body, body)
        if vary:
            self.assertIn("accept-encoding", vary_tokens(r), r)

    def test_negotiation_picks_the_coding_and_the_body_decodes(self):
        self.start()
        c = self.client()
        cases = [
            ("gzip", "gzip"),
            ("GZIP", "gzip"),
            ("x-gzip", "gzip"),
            ("br", "br"),
            ("zstd", "zstd"),
            ("gzip, deflate, br, zstd", "br"),            # ties: server order br, zstd, gzip
            ("gzip;q=1.0, br;q=0.5, zstd;q=0.8", "gzip"),  # highest q wins
            ("zstd;q=0.9, gzip;q=0.3", "zstd"),
            ("br;q=0, *", "zstd"),                        # `*` covers the unlisted codings
            ("*;q=0.5, gzip;q=0.6", "gzip"),
            ("br;q=0, zstd;q=0, gzip", "gzip"),
            ("gzip;q=0.5, identity", None),                # identity ranked higher
            ("identity", None),
            ("deflate", None),                             # not offered for responses
            ("gzip;q=0, br;q=0, zstd;q=0", None),
            (None, None),                                  # no header: identity
        ]
        for accept, expected in cases:
            with self.subTest(accept=accept):
                hdrs = {"Accept-Encoding": accept} if accept is not None else {}
                r = c.request("GET", "/json", hdrs)
                if expected is None:
                    self.assertUntouched(r, BODY)
                    self.assertEqual(r.header("etag"), '"v1"', r)
                else:
                    self.assertCompressed(r, expected)
                    self.assertEqual(r.header("etag"), 'W/"v1"', r)  # a strong ETag is weakened
                # One Vary field, the upstream's Origin kept.
                self.assertEqual(len(r.headers_named("vary")), 1, r)
                self.assertEqual(vary_tokens(r), ["origin", "accept-encoding"], r)
        self.assertEqual(self.up.count(), len(cases))
        # The upstream always saw the client's Accept-Encoding unchanged (it may send identity).
        with self.up.lock:
            seen = [req.header("accept-encoding") for req in self.up.requests]
        self.assertEqual(seen, [a for a, _ in cases])

    def test_chunked_and_text_responses_are_compressed(self):
        self.start()
        c = self.client()
        for path, coding in (("/chunked", "gzip"), ("/text", "zstd"), ("/chunked", "br")):
            with self.subTest(path=path, coding=coding):
                self.assertCompressed(c.request("GET", path, {"Accept-Encoding": coding}), coding)

    def test_responses_left_untouched(self):
        self.start()
        c = self.client()
        ae = {"Accept-Encoding": "gzip, br, zstd"}
        r = c.request("GET", "/small", ae)  # under min_size (1 KiB)
        self.assertUntouched(r, b'{"ok":true,"n":12345}', vary=False)
        r = c.request("GET", "/encoded", ae)  # already gzip: passed through byte for byte
        self.assertEqual(r.header("content-encoding"), "gzip", r)
        self.assertEqual(r.header("content-length"), str(len(GZ_BODY)), r)
        self.assertEqual(r.body, GZ_BODY)
        self.assertEqual(gunzip(r.body), BODY)
        r = c.request("GET", "/png", ae)  # not an allowed content type
        self.assertUntouched(r, PNG_BODY, vary=False)
        r = c.request("GET", "/notransform", ae)
        self.assertUntouched(r, BODY, vary=False)
        # HEAD: the head of a GET, no body, no coding; the connection stays in sync afterwards.
        r = c.request("HEAD", "/json", ae)
        self.assertEqual(r.status, 200, r)
        self.assertIsNone(r.header("content-encoding"), r)
        self.assertEqual(r.header("content-length"), str(len(BODY)), r)
        self.assertEqual(r.body, b"")
        r = c.request("GET", "/204", ae)
        self.assertEqual((r.status, r.body), (204, b""), r)
        self.assertIsNone(r.header("content-encoding"), r)
        self.assertIsNone(r.header("transfer-encoding"), r)
        r = c.request("GET", "/304", dict(ae, **{"If-None-Match": '"v1"'}))
        self.assertEqual((r.status, r.body), (304, b""), r)
        self.assertIsNone(r.header("content-encoding"), r)
        self.assertIsNone(r.header("transfer-encoding"), r)
        self.assertEqual(r.header("etag"), '"v1"', r)
        # Still in sync: a compressed response on the same connection after all of those.
        self.assertCompressed(c.request("GET", "/json", {"Accept-Encoding": "gzip"}), "gzip")
        self.assertEqual(self.up.count(), 8)

    def test_configured_algorithms_min_size_and_types(self):
        self.start(filter_cfg={"algorithms": ["gzip"], "min_size": "16KiB",
                               "content_types": ["image/*"]})
        c = self.client()
        # JSON is no longer an allowed type; images are, but the 12 KiB PNG is under min_size.
        self.assertUntouched(c.request("GET", "/json", {"Accept-Encoding": "gzip"}), BODY,
                             vary=False)
        self.assertUntouched(c.request("GET", "/png", {"Accept-Encoding": "gzip"}), PNG_BODY,
                             vary=False)

    def test_sse_is_compressed_and_decodable_event_by_event(self):
        events = [b"data: {\"id\":\"chatcmpl-1\",\"choices\":[{\"delta\":{\"content\":\"%d\"}}]}\n\n"
                  % i for i in range(5)] + [b"data: [DONE]\n\n"]
        gates = {i: threading.Event() for i in range(1, len(events))}
        self.addCleanup(lambda: [g.set() for g in gates.values()])
        self.start(handler=sse(events, gates))
        c = self.client()
        c.send_request("POST", "/v1/chat/completions",
                       {"Accept": "text/event-stream", "Accept-Encoding": "gzip",
                        "Content-Type": "application/json"}, b"{}")
        head = c.responses.read_head()
        self.assertEqual(head.status, 200, head)
        self.assertEqual(head.header("content-encoding"), "gzip", head)
        self.assertIn("text/event-stream", head.header("content-type"))
        self.assertIsNone(head.header("content-length"), head)
        d = zlib.decompressobj(16 + zlib.MAX_WBITS)
        decoded = bytearray()
        wire = 0
        for i, ev in enumerate(events):
            # Event i+1 is held by the upstream until the client has decoded event i: a filter
            # that buffers its compressor's output (no flush per piece) fails here.
            deadline = time.monotonic() + 5.0
            while ev not in decoded:
                self.assertLess(time.monotonic(), deadline,
                                f"event {i} not decodable while the upstream holds the next; "
                                f"decoded {bytes(decoded)!r}")
                try:
                    piece = c.responses.read_piece()
                except (socket.timeout, TimeoutError, Closed) as e:
                    self.fail(f"event {i}: {e!r}; decoded {bytes(decoded)!r}")
                self.assertIsNotNone(piece, f"body ended before event {i}")
                wire += len(piece)
                decoded += d.decompress(piece)
            self.assertEqual(bytes(decoded), b"".join(events[:i + 1]))
            if i + 1 in gates:
                self.assertFalse(gates[i + 1].is_set())
                gates[i + 1].set()
        while True:
            piece = c.responses.read_piece()
            if piece is None:
                break
            decoded += d.decompress(piece)
        self.assertTrue(d.eof, "the gzip stream was not finished at the end of the body")
        self.assertEqual(bytes(decoded), b"".join(events))

    def test_sse_zstd_and_br_decode_whole(self):
        events = [b"data: {\"n\":%d}\n\n" % i for i in range(20)] + [b"data: [DONE]\n\n"]
        self.start(handler=sse(events))
        for coding in ("br", "zstd"):
            with self.subTest(coding=coding):
                r = request(self.nx.port, "GET", "/events", {"Accept-Encoding": coding})
                self.assertEqual((r.status, r.header("content-encoding")), (200, coding), r)
                self.assertEqual(decode(coding, r.body), b"".join(events))

    def test_close_delimited_response_is_compressed_and_finished(self):
        def handler(req, conn):
            conn.send(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                      b"Connection: close\r\n\r\n" + BODY)
            return False
        self.start(handler=handler)
        for coding in ("gzip", "zstd", "br"):
            with self.subTest(coding=coding):
                c = self.client()
                r = c.request("GET", "/json", {"Accept-Encoding": coding})
                self.assertCompressed(r, coding)

    def test_sse_over_http2_is_decodable_event_by_event(self):
        events = [b"data: {\"n\":%d}\n\n" % i for i in range(4)] + [b"data: [DONE]\n\n"]
        gates = {i: threading.Event() for i in range(1, len(events))}
        self.addCleanup(lambda: [g.set() for g in gates.values()])
        self.start(handler=sse(events, gates), http2=True)
        # No --compressed: curl writes the gzip bytes as they come, the test decodes them.
        s = CurlStream(f"http://127.0.0.1:{self.nx.port}/v1/chat/completions", "h2",
                       headers=[("Accept-Encoding", "gzip"), ("Accept", "text/event-stream")],
                       workdir=self.tmpdir())
        self.addCleanup(s.close)
        d = zlib.decompressobj(16 + zlib.MAX_WBITS)
        decoded, used = bytearray(), 0
        for i, ev in enumerate(events):
            deadline = time.monotonic() + 5.0
            while ev not in decoded:
                left = deadline - time.monotonic()
                self.assertGreater(left, 0, f"event {i} not decodable while the upstream holds "
                                            f"the next; decoded {bytes(decoded)!r}")
                self.assertFalse(s.reader.eof, f"stream ended before event {i}")
                s.reader._read_some(left)
                decoded += d.decompress(bytes(s.reader.data[used:]))
                used = len(s.reader.data)
            self.assertEqual(bytes(decoded), b"".join(events[:i + 1]))
            if i + 1 in gates:
                self.assertFalse(gates[i + 1].is_set())
                gates[i + 1].set()
        r = s.finish(10.0)
        self.assertEqual((r.status, r.http_version), (200, "2"), r)
        self.assertEqual(r.header("content-encoding"), "gzip", r)
        decoded += d.decompress(bytes(s.reader.data[used:]))
        self.assertTrue(d.eof)
        self.assertEqual(bytes(decoded), b"".join(events))

    # -- request bodies

    def post_upstream_body(self, headers, body):
        """POSTs, expects 200 from the (echo-less) upstream and returns what it received."""
        before = self.up.count()
        r = request(self.nx.port, "POST", "/v1/embeddings", headers, body)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(self.up.count(), before + 1)
        return self.up.last()

    def assertDecodedUpstream(self, req, original):
        self.assertEqual(req.body, original)
        self.assertIsNone(req.header("content-encoding"), req)
        if req.chunked:
            self.assertIsNone(req.header("content-length"), req)
        else:
            self.assertEqual(req.header("content-length"), str(len(original)), req)

    def test_request_bodies_are_decoded_before_the_upstream(self):
        self.start(handler=ok())
        original = json_doc(40 * 1024, seed=11)
        ctype = {"Content-Type": "application/json"}
        for coding, data in (("gzip", gzip_bytes(original)), ("x-gzip", gzip_bytes(original)),
                             ("deflate", zlib.compress(original)),
                             ("zstd", zstd_compress(original)),
                             ("identity", original)):
            with self.subTest(coding=coding):
                req = self.post_upstream_body(dict(ctype, **{"Content-Encoding": coding}), data)
                if coding == "identity":  # nothing to decode: passed through as it is
                    self.assertEqual((req.body, req.header("content-length")),
                                     (original, str(len(original))), req)
                else:
                    self.assertDecodedUpstream(req, original)
                self.assertEqual(req.header("content-type"), "application/json", req)

    def test_chunked_gzip_request_body_sent_in_pieces(self):
        self.start(handler=ok())
        original = json_doc(64 * 1024, seed=5)
        data = gzip_bytes(original)
        c = self.client()
        c.send(b"POST /v1/x HTTP/1.1\r\nHost: gw.test\r\nContent-Encoding: gzip\r\n"
               b"Transfer-Encoding: chunked\r\n\r\n")
        step = 997
        for i in range(0, len(data), step):
            piece = data[i:i + step]
            c.send(b"%x\r\n%s\r\n" % (len(piece), piece))
        c.send(b"0\r\n\r\n")
        r = c.read_response()
        self.assertEqual(r.status, 200, r)
        self.assertEqual(self.up.count(), 1)
        self.assertDecodedUpstream(self.up.last(), original)

    def test_zip_bomb_is_refused_without_reaching_the_upstream(self):
        bomb = gzip_bytes(b"\0" * (50 * 1024 * 1024), level=9)
        self.assertLess(len(bomb), 100 * 1024)
        # Default limits (10 MiB, ratio 100 past 1 MiB), then the size limit alone.
        for limits in ({}, {"max_ratio": 0, "max_decompressed_size": "10MiB"}):
            with self.subTest(limits=limits):
                self.check_zip_bomb(bomb, limits)

    def check_zip_bomb(self, bomb, limits):
        up = CountingUpstream(ok(), name="up")
        self.addCleanup(up.stop)
        cfg = make_config(free_port(), {"up": cluster(up)},
                          [{"match": {"prefix": "/"}, "cluster": "up"}], logging=no_access_log())
        cfg["filters"] = [{"compression": {"request_decompression": limits} if limits else {}}]
        nx = self.nexus(cfg)
        c = ClientConn(nx.port, timeout=10.0)
        self.addCleanup(c.close)
        try:
            c.send(b"POST /v1/upload HTTP/1.1\r\nHost: gw.test\r\nContent-Encoding: gzip\r\n"
                   b"Content-Type: application/json\r\n"
                   b"Content-Length: %d\r\n\r\n" % len(bomb) + bomb)
        except (BrokenPipeError, ConnectionResetError):
            pass  # nexus may answer and close before it read everything; the answer is below
        r = c.read_response()
        self.assertEqual(r.status, 413, r)
        self.assertEqual(r.json()["error"]["code"], "payload_too_large", r)
        self.assertEqual(up.count(), 0, "the upstream got a complete request")
        # Whatever was already forwarded, it is at most about the limit, never the 50 MB.
        self.assertLess(up.received_bytes(), 11 * 1024 * 1024)
        # And nexus is fine afterwards.
        self.assertEqual(request(nx.port, "GET", "/after").status, 200)

    def test_ratio_limit_refuses_small_bombs(self):
        self.start(handler=ok(), filter_cfg={"request_decompression": {
            "max_decompressed_size": "64MiB", "max_ratio": 100}})
        bomb = gzip_bytes(b"\0" * (4 * 1024 * 1024), level=9)  # ~1000:1, 4 MiB < 64 MiB
        r = request(self.nx.port, "POST", "/u", {"Content-Encoding": "gzip"}, bomb, timeout=10.0)
        self.assertEqual(r.status, 413, r)
        self.assertEqual(self.up.count(), 0)
        # A body of ordinary ratio and the same decoded size is fine.
        original = json_doc(2 * 1024 * 1024, seed=1)
        req = self.post_upstream_body({"Content-Encoding": "gzip"}, gzip_bytes(original))
        self.assertDecodedUpstream(req, original)

    def test_decompressed_size_limit_is_exact(self):
        self.start(handler=ok(), filter_cfg={"request_decompression": {
            "max_decompressed_size": "64KiB", "max_ratio": 0}})
        at_limit = json_doc(80 * 1024, seed=9)[:64 * 1024]
        over = at_limit + b" "
        for coding, enc in (("gzip", gzip_bytes), ("deflate", zlib.compress),
                            ("zstd", zstd_compress)):
            with self.subTest(coding=coding):
                req = self.post_upstream_body({"Content-Encoding": coding}, enc(at_limit))
                self.assertDecodedUpstream(req, at_limit)
                before = self.up.count()
                r = request(self.nx.port, "POST", "/u", {"Content-Encoding": coding}, enc(over))
                self.assertEqual(r.status, 413, r)
                self.assertEqual(r.json()["error"]["code"], "payload_too_large", r)
                self.assertEqual(self.up.count(), before)

    def test_corrupt_truncated_and_unknown_codings(self):
        self.start(handler=ok())
        port = self.nx.port
        good = gzip_bytes(BODY)
        corrupt = good[:10] + bytes(b ^ 0x5A for b in good[10:60]) + good[60:]
        for name, body in (("corrupt", corrupt), ("truncated", good[:len(good) // 2]),
                           ("not gzip", b"this is not gzip at all")):
            with self.subTest(name):
                r = request(port, "POST", "/u", {"Content-Encoding": "gzip"}, body)
                self.assertEqual(r.status, 400, r)
                self.assertEqual(r.json()["error"]["type"], "invalid_request_error", r)
        r = request(port, "POST", "/u", {"Content-Encoding": "compress"}, b"abc")
        self.assertEqual(r.status, 415, r)
        accepted = [t.strip() for t in (r.header("accept-encoding") or "").split(",")]
        self.assertTrue({"gzip", "br", "zstd"} <= set(accepted), r)
        r = request(port, "POST", "/u", {"Content-Encoding": "gzip, br"}, b"abc")
        self.assertEqual(r.status, 415, r)
        self.assertEqual(self.up.count(), 0)

    def test_request_decompression_disabled_passes_the_body_through(self):
        self.start(handler=ok(), filter_cfg={"request_decompression": {"enabled": False}})
        data = gzip_bytes(BODY)
        req = self.post_upstream_body({"Content-Encoding": "gzip"}, data)
        self.assertEqual(req.body, data)
        self.assertEqual(req.header("content-encoding"), "gzip")

    # -- HTTP/2

    def test_compression_over_http2(self):
        self.start(http2=True)
        url = f"http://127.0.0.1:{self.nx.port}/json"
        for coding in ("gzip", "br", "zstd"):
            with self.subTest(coding=coding):
                r = run_curl(url, "h2", headers=[("Accept-Encoding", coding)],
                             workdir=self.tmpdir())
                self.assertEqual((r.status, r.http_version), (200, "2"), r)
                self.assertEqual(r.header("content-encoding"), coding, r)
                self.assertIsNone(r.header("content-length"), r)
                self.assertIn("accept-encoding", [t.strip().lower() for v in
                                                  r.headers_named("vary") for t in v.split(",")])
                self.assertLess(len(r.body), len(BODY) // 2, r)
                self.assertEqual(decode(coding, r.body), BODY)
        r = run_curl(url, "h2", headers=[("Accept-Encoding", "identity")], workdir=self.tmpdir())
        self.assertEqual((r.status, r.header("content-encoding"), r.body), (200, None, BODY), r)
        # And a gzip request body over HTTP/2 reaches the upstream decoded.
        path = os.path.join(self.tmpdir(), "body.gz")
        with open(path, "wb") as f:
            f.write(gzip_bytes(BODY))
        r = run_curl(f"http://127.0.0.1:{self.nx.port}/small", "h2", method="POST",
                     headers=[("Content-Encoding", "gzip"), ("Content-Type", "application/json")],
                     body_file=path, workdir=self.tmpdir())
        self.assertEqual(r.status, 200, r)
        self.assertDecodedUpstream(self.up.last(), BODY)


class CountingUpstream(Upstream):
    """The recording upstream, also counting every byte nexus sent it."""

    def __init__(self, *a, **kw):
        self._received = 0
        self._count_lock = threading.Lock()
        super().__init__(*a, **kw)

    def _recv(self, conn, n):
        data = super()._recv(conn, n)
        with self._count_lock:
            self._received += len(data)
        return data

    def received_bytes(self):
        with self._count_lock:
            return self._received


if __name__ == "__main__":
    unittest.main()
