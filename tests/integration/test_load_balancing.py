"""Load balancing across a cluster's endpoints: round_robin, weighted_round_robin, least_request,
consistent_hash (header and source IP), and connection pooling per endpoint."""

import collections
import threading
import unittest

from nexus_harness import (ClientConn, NexusTestCase, cluster, free_port, gated, make_config,
                           request, wait_until)


class LoadBalancingTest(NexusTestCase):
    def start(self, n, lb, weights=None, handlers=None, **extra):
        self.ups = [self.upstream((handlers or {}).get(i), name=f"u{i}") for i in range(n)]
        eps = []
        for i, u in enumerate(self.ups):
            eps.append({"address": u.address, "weight": weights[i]} if weights else u.address)
        self.nx = self.nexus(make_config(free_port(), {"pool": cluster(*eps, lb=lb, **extra)},
                                         [{"match": {"prefix": "/"}, "cluster": "pool"}]))

    def hits(self, count, headers=None, keep_alive=True):
        """Sends `count` sequential requests; returns a Counter of upstream names."""
        seen = collections.Counter()
        c = ClientConn(self.nx.port) if keep_alive else None
        try:
            for i in range(count):
                hdrs = headers(i) if callable(headers) else headers
                r = c.request("GET", f"/{i}", hdrs) if c else request(self.nx.port, "GET", f"/{i}",
                                                                        hdrs)
                self.assertEqual(r.status, 200, r)
                seen[r.header("x-upstream-id")] += 1
        finally:
            if c:
                c.close()
        return seen

    def test_round_robin_spreads_evenly(self):
        self.start(3, "round_robin")
        seen = self.hits(30)
        self.assertEqual(seen, {"u0": 10, "u1": 10, "u2": 10})
        for u in self.ups:
            self.assertEqual(u.count(), 10)

    def test_round_robin_across_client_connections(self):
        self.start(2, "round_robin")
        seen = self.hits(10, keep_alive=False)
        self.assertEqual(seen, {"u0": 5, "u1": 5})

    def test_weighted_round_robin_follows_weights(self):
        self.start(2, "weighted_round_robin", weights=[1, 3])
        seen = self.hits(40)
        self.assertTrue(8 <= seen["u0"] <= 12 and 28 <= seen["u1"] <= 32, seen)

    def test_least_request_avoids_the_busy_endpoint(self):
        gate = threading.Event()
        self.addCleanup(gate.set)
        self.start(2, "least_request", handlers={0: gated(gate, timeout=15.0)})
        results = []

        def fire():
            results.append(request(self.nx.port, "GET", "/held", timeout=15.0))

        # Requests that land on u1 finish at once; send one at a time until one is held on u0.
        for _ in range(10):
            t = threading.Thread(target=fire, daemon=True)
            t.start()
            wait_until(lambda: self.ups[0].count() >= 1 or not t.is_alive(), 5.0)
            if self.ups[0].count() >= 1:
                break
        self.assertTrue(wait_until(lambda: self.ups[0].count() == 1, 5.0),
                        "no request reached the held endpoint")
        before = self.ups[1].count()
        seen = self.hits(6)
        self.assertEqual(seen, {"u1": 6}, "least_request sent work to the busy endpoint")
        self.assertEqual(self.ups[1].count(), before + 6)
        gate.set()
        self.assertTrue(wait_until(lambda: any(r.header("x-upstream-id") == "u0" for r in results),
                                   10.0))

    def test_consistent_hash_on_header_is_sticky(self):
        self.start(3, "consistent_hash", hash={"header": "x-user-id"})
        owner = {}
        for rnd in range(3):
            for user in range(24):
                r = request(self.nx.port, "GET", "/", {"X-User-Id": f"user-{user}"})
                self.assertEqual(r.status, 200, r)
                who = r.header("x-upstream-id")
                self.assertEqual(owner.setdefault(user, who), who, f"user-{user} moved")
        self.assertGreaterEqual(len(set(owner.values())), 2, f"no spread: {owner}")

    def test_consistent_hash_on_source_ip(self):
        self.start(3, "consistent_hash", hash={"source_ip": True})
        seen = self.hits(12, keep_alive=False)
        self.assertEqual(len(seen), 1, seen)

    def test_pool_keeps_one_connection_per_endpoint_when_sequential(self):
        self.start(2, "round_robin")
        self.hits(20, keep_alive=False)
        for u in self.ups:
            self.assertEqual(u.count(), 10)
            self.assertEqual(u.connection_count(), 1, f"{u.name} connections not pooled")


if __name__ == "__main__":
    unittest.main()
