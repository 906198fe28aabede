"""Active health checks of plain clusters (clusters.NAME.health_check) against the fault proxy:
an endpoint failing its checks is passed over, comes back after healthy_threshold passes,
all failing is panic mode, and W workers still send one check per interval per endpoint."""

import tempfile
import time
import unittest

from harness.fault_proxy import Fault, FaultProxy
from nexus_harness import (NexusTestCase, TestPKI, cluster, free_port, make_config, ok, request,
                           server_tls_context, wait_until)

INTERVAL = 0.1  # seconds between two checks of one endpoint


def health_check(**overrides):
    config = {"path": "/healthz", "interval": f"{int(INTERVAL * 1000)}ms", "timeout": "300ms",
              "unhealthy_threshold": 2, "healthy_threshold": 2}
    config.update(overrides)
    return config


def checks_fail_but_traffic_passes(state):
    """An upstream handler answering /healthz with state["health"] and everything else 200."""
    def handler(req, conn):
        hdrs = [("X-Upstream-Id", conn.upstream.name), ("X-Upstream-Path", req.target)]
        if req.target == "/healthz":
            conn.respond(state["health"], b"", hdrs)
        else:
            conn.respond(200, conn.upstream.name.encode(), hdrs)
    return handler


def checks(upstream):
    with upstream.lock:
        return sum(1 for r in upstream.requests if r.target == "/healthz")


def traffic(upstream):
    with upstream.lock:
        return sum(1 for r in upstream.requests if r.target != "/healthz")


class HealthCheckTest(NexusTestCase):
    def start(self, endpoints, workers=1, **check_overrides):
        route = {"match": {"prefix": "/"}, "cluster": "up"}
        up = cluster(*endpoints, health_check=health_check(**check_overrides))
        self.nx = self.nexus(make_config(free_port(), {"up": up}, [route], workers=workers))

    def proxied(self, upstream):
        proxy = FaultProxy(upstream.address)
        self.addCleanup(proxy.stop)
        return proxy

    def log_count(self, text):
        return (self.nx.stderr() + self.nx.stdout()).count(text)

    def two_endpoints(self):
        """A faulty endpoint (behind the proxy, answering "a") and a good one ("b")."""
        self.bad_up, self.good = self.upstream(ok(b"a")), self.upstream(ok(b"b"))
        self.bad = self.proxied(self.bad_up)
        self.start([self.bad.address, self.good.address])

    def assert_all_go_to_the_good_one(self, n=20):
        bodies = [request(self.nx.port, "GET", "/").body for _ in range(n)]
        self.assertEqual(bodies, [b"b"] * n, "a request failed or reached the unhealthy endpoint")

    def test_failing_checks_take_an_endpoint_out_and_passing_ones_bring_it_back(self):
        self.two_endpoints()
        bodies = [request(self.nx.port, "GET", "/").body for _ in range(10)]
        self.assertEqual(bodies.count(b"a"), 5, bodies)  # healthy from the start: round robin

        self.bad.set(Fault.error(503))
        failing_at = time.monotonic()
        self.assertTrue(wait_until(lambda: self.log_count("is unhealthy") >= 1, timeout=5),
                        "the endpoint answering 503 to its checks was never marked unhealthy")
        taken_out = time.monotonic() - failing_at
        self.assert_all_go_to_the_good_one()

        self.bad.clear()
        healed_at = time.monotonic()
        self.assertTrue(wait_until(lambda: self.log_count("is healthy again") >= 1, timeout=5),
                        "the healed endpoint was never marked healthy again")
        recovery = time.monotonic() - healed_at
        bodies = [request(self.nx.port, "GET", "/").body for _ in range(10)]
        self.assertEqual(bodies.count(b"a"), 5, bodies)  # back in the round robin
        self.assertEqual(self.log_count("is unhealthy"), 1, "state changes are logged once")
        self.assertEqual(self.log_count("is healthy again"), 1)
        print(f"\n  out of the rotation {taken_out * 1000:.0f} ms after the upstream failed, back "
              f"{recovery * 1000:.0f} ms after it healed (interval {INTERVAL * 1000:.0f} ms, "
              f"both thresholds 2)")

    def test_a_refused_connection_fails_the_check_until_the_endpoint_listens_again(self):
        self.two_endpoints()
        self.bad.down()
        self.assertTrue(wait_until(lambda: self.log_count("is unhealthy") >= 1, timeout=5))
        self.assertIn("connect failed", self.nx.stderr() + self.nx.stdout())
        self.assert_all_go_to_the_good_one()
        self.bad.up()
        self.assertTrue(wait_until(lambda: self.log_count("is healthy again") >= 1, timeout=5))
        self.assertTrue(wait_until(lambda: request(self.nx.port, "GET", "/").body == b"a",
                                   timeout=5))

    def test_a_check_without_an_answer_times_out_and_fails(self):
        self.two_endpoints()
        self.bad.set(Fault.blackhole())
        self.assertTrue(wait_until(lambda: self.log_count("is unhealthy") >= 1, timeout=5))
        self.assertIn("no answer within 300ms", self.nx.stderr() + self.nx.stdout())
        self.assert_all_go_to_the_good_one()

    def test_an_unexpected_status_fails_the_check(self):
        state = {"health": 200}
        a = self.upstream(checks_fail_but_traffic_passes(state), name="a")
        b = self.upstream(checks_fail_but_traffic_passes({"health": 204}), name="b")
        self.start([a, b], expected_status=[200, "204-204"])
        state["health"] = 302  # serves traffic, but not the status its checks expect
        self.assertTrue(wait_until(lambda: self.log_count("is unhealthy") >= 1, timeout=5))
        self.assertIn("last: status 302", self.nx.stderr() + self.nx.stdout())
        bodies = [request(self.nx.port, "GET", "/").body for _ in range(10)]
        self.assertEqual(bodies, [b"b"] * 10)

    def test_every_endpoint_unhealthy_is_panic_mode_traffic_goes_to_all(self):
        state = {"health": 200}
        a = self.upstream(checks_fail_but_traffic_passes(state), name="a")
        b = self.upstream(checks_fail_but_traffic_passes(state), name="b")
        self.start([a, b])
        state["health"] = 503
        self.assertTrue(wait_until(lambda: self.log_count("is unhealthy") >= 2, timeout=5),
                        "both endpoints should fail their checks")
        responses = [request(self.nx.port, "GET", "/") for _ in range(10)]
        self.assertEqual([r.status for r in responses], [200] * 10)
        bodies = [r.body for r in responses]
        self.assertEqual(bodies.count(b"a"), 5, bodies)  # ignored health: round robin over both

    def test_checks_run_once_per_process_not_per_worker(self):
        """Two workers, two endpoints: each endpoint sees about one check per interval."""
        a, b = self.upstream(ok()), self.upstream(ok())
        self.start([a, b], workers=2, interval="200ms")
        self.assertTrue(wait_until(lambda: checks(a) >= 1 and checks(b) >= 1, timeout=5))
        first_a, first_b, started = checks(a), checks(b), time.monotonic()
        time.sleep(2.0)  # a measuring window, not a wait for a condition
        elapsed = time.monotonic() - started
        expected = elapsed / 0.2  # 10 in 2 s; one checker per worker would send 20
        counts = {"a": checks(a) - first_a, "b": checks(b) - first_b}
        for name, count in counts.items():
            self.assertGreaterEqual(count, expected * 0.5, f"{name}: too few checks: {count}")
            self.assertLessEqual(count, expected * 1.3 + 1, f"{name}: too many checks: {count}")
        print(f"\n  2 workers, interval 200 ms: {counts['a']} and {counts['b']} checks per "
              f"endpoint in {elapsed:.1f} s")
        self.assertEqual(traffic(a) + traffic(b), 0, "checks are the only requests")
        check = a.last()
        self.assertEqual(check.method, "GET")
        self.assertEqual(check.header("host"), a.address)
        self.assertEqual(check.header("user-agent"), "nexus-health-check")
        self.assertEqual(check.header("connection"), "close")

    def test_host_override(self):
        a = self.upstream(ok())
        self.start([a], host="status.internal")
        self.assertTrue(wait_until(lambda: checks(a) >= 1, timeout=5))
        self.assertEqual(a.last().header("host"), "status.internal")


class HealthCheckTlsTest(NexusTestCase):
    @classmethod
    def setUpClass(cls):
        cls._tmp = tempfile.TemporaryDirectory(prefix="nexus-hc-tls-")
        cls.pki = TestPKI(cls._tmp.name, "Upstream CA")
        cls.leaf = cls.pki.leaf("upstream.test", dns=["upstream.test"], ips=["127.0.0.1"])

    @classmethod
    def tearDownClass(cls):
        cls._tmp.cleanup()

    def test_checks_over_tls_with_the_clusters_settings(self):
        state = {"health": 200}
        up = self.upstream(checks_fail_but_traffic_passes(state), name="tls-up",
                           tls=server_tls_context(*self.leaf))
        tls = {"sni": "upstream.test", "verify": True, "ca_file": self.pki.ca_cert}
        route = {"match": {"prefix": "/"}, "cluster": "up"}
        nx = self.nexus(make_config(free_port(), {"up": cluster(
            up, tls=tls, health_check=health_check(unhealthy_threshold=1))}, [route]))
        self.assertTrue(wait_until(lambda: checks(up) >= 2, timeout=5))
        check = up.last()
        self.assertEqual(check.conn.sni, "upstream.test")
        self.assertEqual(check.header("user-agent"), "nexus-health-check")
        state["health"] = 500
        self.assertTrue(wait_until(lambda: "is unhealthy" in nx.stderr() + nx.stdout(),
                                   timeout=5))


if __name__ == "__main__":
    unittest.main()
