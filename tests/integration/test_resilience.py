"""Resilience of plain clusters against the fault proxy: circuit breakers per endpoint."""

import time
import unittest

from harness.fault_proxy import Fault, FaultProxy
from nexus_harness import NexusTestCase, cluster, free_port, make_config, ok, request, wait_until


def breaker(**overrides):
    config = {"consecutive_failures": 3, "failure_percent": 50, "min_requests": 10,
              "window": "10s", "cool_down": "300ms", "half_open_probes": 1, "close_after": 2}
    config.update(overrides)
    return config


class CircuitBreakerTest(NexusTestCase):
    def start(self, endpoints, **breaker_overrides):
        route = {"match": {"prefix": "/"}, "cluster": "up"}
        up = cluster(*endpoints, circuit_breaker=breaker(**breaker_overrides))
        self.nx = self.nexus(make_config(free_port(), {"up": up}, [route]))

    def proxied(self, upstream):
        proxy = FaultProxy(upstream.address)
        self.addCleanup(proxy.stop)
        return proxy

    def test_a_failing_endpoint_is_taken_out_and_back_in_when_it_heals(self):
        bad_up, good = self.upstream(ok(b"a")), self.upstream(ok(b"b"))
        bad = self.proxied(bad_up)
        bad.set(Fault.reset())
        self.start([bad.address, good.address])

        statuses = [request(self.nx.port, "GET", "/").status for _ in range(20)]
        self.assertEqual(statuses.count(502), 3, statuses)  # 3 in a row open its breaker
        self.assertEqual(statuses.count(200), 17, statuses)
        self.assertEqual(bad.count("reset"), 3, "no request reached it once its breaker opened")

        bad.clear()  # healed: after the cool-down a probe goes through, two successes close it
        healed = wait_until(lambda: request(self.nx.port, "GET", "/").body == b"a"
                            and bad_up.count() >= 2, timeout=5)
        self.assertTrue(healed, "the healed endpoint got no traffic back")
        bodies = [request(self.nx.port, "GET", "/").body for _ in range(10)]
        self.assertEqual(bodies.count(b"a"), 5, bodies)  # closed again: round robin as before

    def test_every_endpoint_open_is_a_fast_503_with_retry_after(self):
        up = self.upstream(ok())
        proxy = self.proxied(up)
        proxy.set(Fault.error(500))
        self.start([proxy.address], cool_down="5s")
        for _ in range(3):
            self.assertEqual(request(self.nx.port, "GET", "/").status, 500)
        r = request(self.nx.port, "GET", "/")
        err = self.assertErrorJson(r, 503)
        self.assertIn("circuit breakers open", err["message"])
        self.assertIn(r.header("retry-after"), ("4", "5"))
        self.assertEqual(proxy.count("error"), 3, "the open breaker let a request through")

    def test_an_error_rate_opens_it_and_a_healed_upstream_closes_it(self):
        """80 % errors: the breaker opens on the rate, and the upstream sees nothing until the
        cool-down; once healed, the time until requests succeed again is about the cool-down."""
        up = self.upstream(ok())
        proxy = self.proxied(up)
        proxy.set(Fault.error(503), share=0.8)
        self.start([proxy.address], consecutive_failures=0, cool_down="500ms")
        refused = 0
        for _ in range(40):
            r = request(self.nx.port, "GET", "/")
            refused += r.status == 503 and r.header("retry-after") is not None
        self.assertGreater(refused, 0, "the breaker never opened")
        reached = proxy.accepted
        self.assertLess(reached, 40, "every request reached the failing upstream")

        proxy.clear()
        healed_at = time.monotonic()
        recovered = wait_until(lambda: request(self.nx.port, "GET", "/").status == 200, timeout=5)
        self.assertTrue(recovered, "no recovery after the upstream healed")
        recovery = time.monotonic() - healed_at
        self.assertLess(recovery, 5)
        print(f"\n  breaker recovery after the upstream healed: {recovery * 1000:.0f} ms "
              f"(cool-down 500 ms); {reached} of 40 requests reached the failing upstream")

    def test_without_a_breaker_every_request_reaches_the_failing_endpoint(self):
        up = self.upstream(ok())
        proxy = self.proxied(up)
        proxy.set(Fault.reset())
        route = {"match": {"prefix": "/"}, "cluster": "up"}
        nx = self.nexus(make_config(free_port(), {"up": cluster(proxy.address)}, [route]))
        statuses = [request(nx.port, "GET", "/").status for _ in range(10)]
        self.assertEqual(statuses, [502] * 10)
        self.assertEqual(proxy.count("reset"), 10)


if __name__ == "__main__":
    unittest.main()
