"""Resilience of plain clusters against the fault proxy: circuit breakers per endpoint."""

import threading
import time
import unittest

from harness.fault_proxy import Fault, FaultProxy
from nexus_harness import (ClientConn, NexusTestCase, cluster, free_port, gated, make_config, ok,
                           request, wait_until)


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


class RetryTest(NexusTestCase):
    def start(self, endpoints, retries=None, budget=None, **cluster_extra):
        route = {"match": {"prefix": "/"}, "cluster": "up"}
        if retries is not None:
            route["retries"] = retries
        if budget is not None:
            cluster_extra["retry_budget"] = budget
        up = cluster(*endpoints, **cluster_extra)
        self.nx = self.nexus(make_config(free_port(), {"up": up}, [route]))

    def proxied(self, upstream):
        proxy = FaultProxy(upstream.address)
        self.addCleanup(proxy.stop)
        return proxy

    def two_endpoints(self, fault, retries, **kw):
        """A faulty endpoint (behind the proxy) and a healthy one, round robin."""
        self.bad_up, self.good = self.upstream(ok(b"a")), self.upstream(ok(b"b"))
        self.bad = self.proxied(self.bad_up)
        self.bad.set(fault)
        self.start([self.bad.address, self.good.address], retries, **kw)

    def test_a_refused_connection_is_retried_on_the_next_endpoint_for_any_method(self):
        self.two_endpoints(Fault.passthrough(), {"attempts": 2})
        self.bad.down()
        statuses = [request(self.nx.port, "POST", "/", body=b"{}").status for _ in range(10)]
        self.assertEqual(statuses, [200] * 10)
        self.assertEqual(self.good.count(), 10)

    def test_without_retries_a_refused_connection_fails_the_request(self):
        self.two_endpoints(Fault.passthrough(), None)
        self.bad.down()
        statuses = [request(self.nx.port, "GET", "/").status for _ in range(10)]
        self.assertEqual(statuses.count(502), 5, statuses)

    def test_a_reset_after_sending_is_retried_only_for_idempotent_methods(self):
        self.two_endpoints(Fault.reset(after=1), {"attempts": 2})
        gets = [request(self.nx.port, "GET", "/").status for _ in range(6)]
        self.assertEqual(gets, [200] * 6)
        posts = [request(self.nx.port, "POST", "/", body=b"{}").status for _ in range(6)]
        self.assertEqual(posts.count(502), 3, posts)  # the upstream may have acted on them

    def test_5xx_answers_are_retried_when_the_route_asks(self):
        self.two_endpoints(Fault.error(503), {"attempts": 2, "on": ["5xx"]})
        r = [request(self.nx.port, "GET", "/") for _ in range(4)]
        self.assertEqual([x.status for x in r], [200] * 4)
        self.assertEqual({x.body for x in r}, {b"b"})
        # Not for a POST: the 503 is the client's answer.
        posts = [request(self.nx.port, "POST", "/", body=b"{}").status for _ in range(4)]
        self.assertEqual(sorted(posts), [200, 200, 503, 503])

    def test_retry_after_within_the_backoff_is_waited_longer_is_given_to_the_client(self):
        fault = Fault.error(429, headers=[("retry-after", "1")])
        self.two_endpoints(fault, {"attempts": 2, "on": ["429"],
                                   "backoff": {"base": "10ms", "max": "2s"}})
        began = time.monotonic()
        statuses = [request(self.nx.port, "GET", "/").status for _ in range(2)]
        self.assertEqual(statuses, [200, 200])
        # Round robin sent one of the two to the faulty endpoint first: its Retry-After was waited.
        self.assertEqual(self.bad.count("error"), 1)
        self.assertGreaterEqual(time.monotonic() - began, 1.0)

        short = self.upstream(ok())
        proxy = self.proxied(short)
        proxy.set(fault)
        route = {"match": {"prefix": "/"}, "cluster": "up",
                 "retries": {"attempts": 3, "on": ["429"], "backoff": {"max": "500ms"}}}
        nx = self.nexus(make_config(free_port(), {"up": cluster(proxy.address)}, [route]))
        r = request(nx.port, "GET", "/")
        self.assertEqual((r.status, r.header("retry-after")), (429, "1"))
        self.assertEqual(proxy.count("error"), 1, "retried although Retry-After was too long")

    def test_the_budget_caps_retries_during_an_outage(self):
        up = self.upstream(ok())
        proxy = self.proxied(up)
        proxy.set(Fault.reset(after=1))
        self.start([proxy.address], {"attempts": 3, "backoff": {"base": "1ms", "max": "1ms"}},
                   budget={"percent": 0, "min_per_second": 1})
        statuses = [request(self.nx.port, "GET", "/").status for _ in range(30)]
        self.assertEqual(statuses, [502] * 30)
        attempts = proxy.count("reset")
        self.assertEqual(attempts, 30 + 10, "the budget allows 10 retries in 10 s, no more")


class FallbackResponseTest(NexusTestCase):
    FALLBACK = {"status": 200, "content_type": "application/json",
                "body": '{"answer":"the service is resting, try again soon"}'}

    def start(self, fault, **cluster_extra):
        up = self.upstream(ok(b"live"))
        self.proxy = FaultProxy(up.address)
        self.addCleanup(self.proxy.stop)
        self.proxy.set(fault)
        route = {"match": {"prefix": "/"}, "cluster": "up", "fallback_response": self.FALLBACK,
                 "timeouts": {"first_byte": "300ms"}}
        self.nx = self.nexus(make_config(free_port(), {"up": cluster(self.proxy.address,
                                                                     **cluster_extra)}, [route]))

    def assertFallback(self, r, why):
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.body, self.FALLBACK["body"].encode())
        self.assertEqual(r.header("content-type"), "application/json")
        self.assertEqual(r.header("x-nexus-fallback"), why)

    def test_unreachable_upstream_gets_the_fallback(self):
        self.start(Fault.passthrough())
        self.proxy.down()
        self.assertFallback(request(self.nx.port, "GET", "/"), "upstream_connect_failed")

    def test_reset_and_timeout_get_the_fallback(self):
        self.start(Fault.reset())
        self.assertFallback(request(self.nx.port, "POST", "/", body=b"{}"), "upstream_reset")
        self.proxy.set(Fault.blackhole())
        self.assertFallback(request(self.nx.port, "GET", "/"), "upstream_timeout")

    def test_every_breaker_open_gets_the_fallback(self):
        self.start(Fault.reset(), circuit_breaker={"consecutive_failures": 1, "cool_down": "10s"})
        self.assertFallback(request(self.nx.port, "GET", "/"), "upstream_reset")
        self.assertFallback(request(self.nx.port, "GET", "/"), "upstream_unavailable")
        self.assertEqual(self.proxy.count("reset"), 1)

    def test_an_upstream_answer_is_not_replaced(self):
        self.start(Fault.error(500, body=b'{"error":"real"}'))
        r = request(self.nx.port, "GET", "/")
        self.assertEqual((r.status, r.body), (500, b'{"error":"real"}'))
        self.assertIsNone(r.header("x-nexus-fallback"))


class LoadSheddingTest(NexusTestCase):
    def start(self, handler, limits, workers=1):
        self.up = self.upstream(handler)
        route = {"match": {"prefix": "/"}, "cluster": "up"}
        self.nx = self.nexus(make_config(free_port(), {"up": cluster(self.up)}, [route],
                                         limits=limits, workers=workers))

    def test_over_max_in_flight_is_a_503_with_retry_after_and_it_recovers(self):
        gate = threading.Event()
        self.addCleanup(gate.set)
        self.start(gated(gate), {"max_in_flight": 2}, workers=2)
        held = [ClientConn(self.nx.port, timeout=10) for _ in range(2)]
        for c in held:
            self.addCleanup(c.sock.close)
            c.send_request("GET", "/held")
        self.assertTrue(self.up.wait_requests(2), "the two requests did not reach the upstream")

        r = request(self.nx.port, "GET", "/more")
        err = self.assertErrorJson(r, 503, code="overloaded")
        self.assertIn("max_in_flight", err["message"])
        self.assertEqual(r.header("retry-after"), "1")
        self.assertEqual(self.up.count(), 2, "a shed request reached the upstream")

        gate.set()
        self.assertEqual([c.read_response().status for c in held], [200, 200])
        self.assertEqual(request(self.nx.port, "GET", "/after").status, 200)

    def test_over_max_memory_is_a_503(self):
        self.start(ok(), {"max_memory": "1MiB"})  # below any process's resident size
        shed = wait_until(lambda: request(self.nx.port, "GET", "/").status == 503, timeout=5)
        self.assertTrue(shed, "never shed although the resident size is over the limit")
        err = self.assertErrorJson(request(self.nx.port, "GET", "/"), 503, code="overloaded")
        self.assertIn("max_memory", err["message"])
        self.assertEqual(self.up.count(), 0)

    def test_under_max_memory_nothing_is_shed(self):
        self.start(ok(), {"max_memory": "4GiB", "max_in_flight": 100})
        statuses = [request(self.nx.port, "GET", "/").status for _ in range(20)]
        self.assertEqual(statuses, [200] * 20)


if __name__ == "__main__":
    unittest.main()
