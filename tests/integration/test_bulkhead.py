"""Bulkheads (pool.max_pending: a bounded queue for a full pool) and the adaptive first-byte
timeout (routes[].timeouts.adaptive_first_byte), against a slow upstream."""

import threading
import time
import unittest

from harness.fault_proxy import Fault, FaultProxy
from nexus_harness import (ClientConn, NexusTestCase, cluster, free_port, make_config, ok,
                           request, wait_until)

LATENCY = 0.6  # seconds the fault proxy holds each answer


def concurrently(port, count, path="/"):
    """`count` GETs sent at once, each on its own connection: [(response, seconds)]."""
    results = [None] * count
    start = threading.Barrier(count)

    def one(i):
        start.wait()
        began = time.monotonic()
        r = request(port, "GET", f"{path}{i}", timeout=15)
        results[i] = (r, time.monotonic() - began)

    threads = [threading.Thread(target=one, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(20)
    return results


class BulkheadTest(NexusTestCase):
    def start(self, pool, latency=LATENCY):
        self.up = self.upstream(ok())
        self.proxy = FaultProxy(self.up.address)
        self.addCleanup(self.proxy.stop)
        self.proxy.set(Fault.latency(latency))
        route = {"match": {"prefix": "/"}, "cluster": "up"}
        up = cluster(self.proxy.address, pool=pool)
        self.nx = self.nexus(make_config(free_port(), {"up": up}, [route]))

    def assert_queue_full(self, r, elapsed):
        err = self.assertErrorJson(r, 503, code="upstream_unavailable")
        self.assertIn("is at its connection limit (2) and 2 requests are queued", err["message"])
        self.assertEqual(r.header("retry-after"), "1")
        self.assertLess(elapsed, LATENCY, "the 503 waited for the upstream")

    def test_two_wait_their_turn_and_the_rest_fail_fast_then_it_recovers(self):
        self.start({"max_connections": 2, "max_pending": 2, "queue_timeout": "5s"})
        results = concurrently(self.nx.port, 6)
        ok_ = [(r, t) for r, t in results if r.status == 200]
        refused = [(r, t) for r, t in results if r.status != 200]
        self.assertEqual(len(ok_), 4, [r.status for r, _ in results])
        for r, t in refused:
            self.assert_queue_full(r, t)
        # Two waited for a connection given back, not a new one: the queue reuses the pool.
        self.assertGreater(max(t for _, t in ok_), 2 * LATENCY * 0.9)
        self.assertEqual(self.proxy.accepted, 2)
        self.assertEqual(self.up.count(), 4, "a refused request reached the upstream")

        # Nothing leaked: the same burst gets the same answer, and single requests go through.
        again = concurrently(self.nx.port, 6)
        self.assertEqual(sorted(r.status for r, _ in again), [200] * 4 + [503] * 2)
        self.assertEqual(request(self.nx.port, "GET", "/after").status, 200)

    def test_without_max_pending_a_full_pool_is_a_503_at_once(self):
        self.start({"max_connections": 2})
        results = concurrently(self.nx.port, 3)
        self.assertEqual(sorted(r.status for r, _ in results), [200, 200, 503])
        r, elapsed = next((r, t) for r, t in results if r.status == 503)
        err = self.assertErrorJson(r, 503, code="upstream_unavailable")
        self.assertIn("is at its connection limit (2)", err["message"])
        self.assertNotIn("queued", err["message"])
        self.assertLess(elapsed, LATENCY)

    def test_a_request_queued_past_queue_timeout_gets_a_503(self):
        latency = 2.0
        self.start({"max_connections": 2, "max_pending": 2, "queue_timeout": "300ms"},
                   latency=latency)
        results = concurrently(self.nx.port, 3)
        self.assertEqual(sorted(r.status for r, _ in results), [200, 200, 503])
        r, elapsed = next((r, t) for r, t in results if r.status == 503)
        err = self.assertErrorJson(r, 503, code="upstream_unavailable")
        self.assertIn("no connection was free within its queue_timeout (300ms)", err["message"])
        self.assertEqual(r.header("retry-after"), "1")
        self.assertGreaterEqual(elapsed, 0.25)
        self.assertLess(elapsed, latency - 0.5, "it waited for the upstream, not queue_timeout")
        print(f"\n  queued request refused after {elapsed * 1000:.0f} ms (queue_timeout 300 ms)")

    def test_a_client_that_leaves_the_queue_frees_its_place(self):
        self.start({"max_connections": 1, "max_pending": 1, "queue_timeout": "10s"}, latency=2.0)
        held = ClientConn(self.nx.port, timeout=10)
        self.addCleanup(held.close)
        held.send_request("GET", "/held")
        self.assertTrue(wait_until(lambda: self.up.count() == 1), "the first request is not in")
        queued = ClientConn(self.nx.port, timeout=10)
        queued.send_request("GET", "/queued")
        # The queue's one place is taken: another request is refused at once.
        r = request(self.nx.port, "GET", "/refused")
        self.assertIn("1 request is queued", self.assertErrorJson(r, 503)["message"])
        queued.close()
        # Its place is free again: a request now waits in it (served once /held is done),
        # and the departed client's request never reaches the upstream.
        placed = wait_until(lambda: request(self.nx.port, "GET", "/probe", timeout=10).status
                            == 200, timeout=8)
        self.assertTrue(placed, "the place of the client that left was not freed")
        self.assertEqual(held.read_response().status, 200)
        self.assertEqual([r.target for r in self.up.requests], ["/held", "/probe"])


class AdaptiveFirstByteTest(NexusTestCase):
    FLOOR = 0.3

    def start(self, adaptive, **route_extra):
        def handler(req, conn):
            if req.target.startswith("/slow"):
                time.sleep(self.FLOOR * 3)
            return ok()(req, conn)
        self.up = self.upstream(handler)
        route = {"match": {"prefix": "/"}, "cluster": "up",
                 "timeouts": {"adaptive_first_byte": adaptive}}
        route.update(route_extra)
        self.nx = self.nexus(make_config(free_port(), {"up": cluster(self.up)}, [route]))

    def timed(self, path):
        began = time.monotonic()
        r = request(self.nx.port, "GET", path, timeout=15)
        return r, time.monotonic() - began

    def test_after_fast_answers_a_slow_one_times_out_near_the_floor(self):
        self.start({"floor": "300ms", "min_samples": 20})
        r, _ = self.timed("/slow-first")
        self.assertEqual(r.status, 200, "before min_samples the ceiling (60 s) applies")
        for i in range(30):
            self.assertEqual(request(self.nx.port, "GET", f"/fast{i}").status, 200)
        r, elapsed = self.timed("/slow")
        self.assertErrorJson(r, 504, code="upstream_timeout")
        self.assertGreaterEqual(elapsed, self.FLOOR * 0.9)
        self.assertLess(elapsed, self.FLOOR * 2.5, "not the floor: the fixed 60 s timeout?")
        print(f"\n  adaptive first-byte timeout after 30 fast answers: {elapsed * 1000:.0f} ms "
              f"(floor 300 ms, the upstream needed 900 ms)")

    def test_an_adaptive_timeout_is_retried_like_any_first_byte_timeout(self):
        self.start({"floor": "300ms", "min_samples": 5},
                   retries={"attempts": 2, "on": ["timeout"], "backoff": {"base": "1ms"}})
        for i in range(10):
            self.assertEqual(request(self.nx.port, "GET", f"/fast{i}").status, 200)
        before = self.up.count()
        r, elapsed = self.timed("/slow")
        self.assertErrorJson(r, 504, code="upstream_timeout")
        self.assertEqual(self.up.count() - before, 2, "the timeout was not retried")
        self.assertLess(elapsed, self.FLOOR * 2 * 2.5)


if __name__ == "__main__":
    unittest.main()
