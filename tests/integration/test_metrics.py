"""Metrics (docs/observability.md): a real nexus with the ops listener, traffic to its routes,
then GET /metrics parsed with prometheus_client's parsers (Debian's python3-prometheus-client):
counters equal the requests sent, histogram counts match, labels name route, status class and
protocol; OpenMetrics when Accept asks for it; /healthz; the process figures."""

import http.client
import shutil
import subprocess
import threading
import time
import unittest

from prometheus_client.openmetrics.parser import \
    text_string_to_metric_families as parse_openmetrics
from prometheus_client.parser import text_string_to_metric_families as parse_prometheus

from nexus_harness import (ClientConn, NexusTestCase, cluster, free_port, gated, make_config,
                           ok, request, wait_until)

N = 25


def ops_get(port, path, accept=None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        conn.request("GET", path, headers={"Accept": accept} if accept else {})
        resp = conn.getresponse()
        return resp.status, resp.getheader("Content-Type"), resp.read().decode()
    finally:
        conn.close()


def samples(text, parse=parse_prometheus):
    """{(sample name, frozenset of labels): value} of an exposition."""
    out = {}
    for family in parse(text):
        for s in family.samples:
            out[(s.name, frozenset(s.labels.items()))] = s.value
    return out


def value(found, name, **labels):
    return found.get((name, frozenset(labels.items())))


class MetricsTest(NexusTestCase):
    def setUp(self):
        self.up = self.upstream(name="up")
        self.failing = self.upstream(ok(b"down", status=503), name="failing")
        self.ops_port = free_port()
        port = free_port()
        routes = [
            {"name": "health", "match": {"path": "/healthz"},
             "direct_response": {"status": 200, "body": "{}"}},
            {"name": "api", "match": {"prefix": "/api/"}, "cluster": "up"},
            {"name": "broken", "match": {"prefix": "/broken/"}, "cluster": "failing"},
        ]
        config = make_config(port, {"up": cluster(self.up), "failing": cluster(self.failing)},
                             routes, workers=2,
                             listen=[{"address": f"127.0.0.1:{port}", "http2": True}])
        config["observability"] = {"listen": f"127.0.0.1:{self.ops_port}"}
        self.nx = self.nexus(config, ports=[port, self.ops_port])

    def scrape(self, accept=None, parse=parse_prometheus):
        status, content_type, body = ops_get(self.ops_port, "/metrics", accept)
        self.assertEqual(status, 200, body)
        return content_type, body, samples(body, parse)

    def wait_for(self, name, expected, **labels):
        """The scrape once `name{labels}` reached `expected` (an exchange is counted when it
        completes, which may be just after its client read the response)."""
        last = {}

        def reached():
            nonlocal last
            last = self.scrape()[2]
            return (value(last, name, **labels) or 0) >= expected
        self.assertTrue(wait_until(reached, 5.0), (name, labels, value(last, name, **labels)))
        return last

    def test_requests_are_counted_exactly_with_matching_histograms(self):
        for i in range(N):
            r = request(self.nx.port, "GET", f"/api/{i}")
            self.assertEqual(r.status, 200, r)
        found = self.wait_for("nexus_http_requests_total", N,
                              route="api", status_class="2xx", protocol="http1")
        self.assertEqual(value(found, "nexus_http_requests_total",
                               route="api", status_class="2xx", protocol="http1"), N)
        for name, labels in [("nexus_http_request_duration_seconds", {"route": "api"}),
                             ("nexus_overhead_seconds", {"route": "api"}),
                             ("nexus_upstream_request_duration_seconds", {"cluster": "up"})]:
            self.assertEqual(value(found, name + "_count", **labels), N, name)
            self.assertEqual(value(found, name + "_bucket", le="+Inf", **labels), N, name)
            buckets = sorted((float(dict(k[1])["le"]), v) for k, v in found.items()
                             if k[0] == name + "_bucket" and dict(k[1]).items() >= labels.items())
            counts = [v for _, v in buckets]
            self.assertEqual(counts, sorted(counts), name)  # cumulative
            self.assertGreater(value(found, name + "_sum", **labels), 0, name)
        # Overhead is the request's duration less the upstream's time: never more.
        self.assertLessEqual(value(found, "nexus_overhead_seconds_sum", route="api"),
                             value(found, "nexus_http_request_duration_seconds_sum", route="api"))

    def test_status_classes_routes_and_unrouted_requests(self):
        for _ in range(3):
            self.assertEqual(request(self.nx.port, "GET", "/broken/x").status, 503)
        self.assertEqual(request(self.nx.port, "GET", "/healthz").status, 200)
        self.assertEqual(request(self.nx.port, "GET", "/nowhere").status, 404)
        found = self.wait_for("nexus_http_requests_total", 1,
                              route="none", status_class="4xx", protocol="http1")
        found = self.wait_for("nexus_http_requests_total", 3,
                              route="broken", status_class="5xx", protocol="http1")
        self.assertEqual(value(found, "nexus_http_requests_total",
                               route="health", status_class="2xx", protocol="http1"), 1)
        self.assertEqual(value(found, "nexus_upstream_request_duration_seconds_count",
                               cluster="failing"), 3)
        self.assertIsNone(value(found, "nexus_upstream_request_duration_seconds_count",
                                cluster="up"))  # no traffic: the series is not written

    @unittest.skipUnless(shutil.which("curl"), "curl is not installed")
    def test_http2_requests_are_labelled_http2(self):
        url = f"http://127.0.0.1:{self.nx.port}/api/h2"
        for _ in range(2):
            run = subprocess.run(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}",
                                  "--http2-prior-knowledge", url],
                                 capture_output=True, timeout=10, check=False)
            self.assertEqual(run.stdout, b"200", run)
        found = self.wait_for("nexus_http_requests_total", 2,
                              route="api", status_class="2xx", protocol="http2")
        self.assertEqual(value(found, "nexus_http_requests_total",
                               route="api", status_class="2xx", protocol="http2"), 2)
        # The streams are over: the gauge is back at zero (and still written).
        self.assertTrue(wait_until(
            lambda: value(self.scrape()[2], "nexus_streams_active", kind="http2") == 0, 5.0))

    def test_openmetrics_when_accept_asks(self):
        request(self.nx.port, "GET", "/api/om")
        self.wait_for("nexus_http_requests_total", 1,
                      route="api", status_class="2xx", protocol="http1")
        content_type, body, found = self.scrape(
            "application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5",
            parse=parse_openmetrics)
        self.assertEqual(content_type, "application/openmetrics-text; version=1.0.0; charset=utf-8")
        self.assertTrue(body.endswith("# EOF\n"), body[-200:])
        self.assertIn("# UNIT nexus_http_request_duration_seconds seconds\n", body)
        self.assertEqual(value(found, "nexus_http_requests_total",
                               route="api", status_class="2xx", protocol="http1"), 1)
        content_type, body, _ = self.scrape()
        self.assertEqual(content_type, "text/plain; version=0.0.4; charset=utf-8")
        self.assertNotIn("# EOF", body)

    def test_connections_and_process_figures(self):
        conn = ClientConn(self.nx.port)
        self.addCleanup(conn.close)
        self.assertEqual(conn.request("GET", "/api/keep").status, 200)
        found = self.wait_for("nexus_connections_active", 1)
        self.assertGreater(value(found, "process_resident_memory_bytes"), 1 << 20)
        self.assertGreater(value(found, "process_open_fds"), 3)
        self.assertGreater(value(found, "process_max_fds"), value(found, "process_open_fds"))
        self.assertGreaterEqual(value(found, "process_cpu_seconds_total"), 0)
        started = value(found, "process_start_time_seconds")
        self.assertLess(abs(started - time.time()), 600, started)  # started by this test
        conn.close()
        self.assertTrue(wait_until(
            lambda: value(self.scrape()[2], "nexus_connections_active") == 0, 5.0))

    def test_healthz_and_unknown_paths(self):
        status, content_type, body = ops_get(self.ops_port, "/healthz")
        self.assertEqual((status, content_type, body), (200, "application/json", '{"status":"ok"}'))
        self.assertEqual(ops_get(self.ops_port, "/admin")[0], 404)


class UpstreamMetricsTest(NexusTestCase):
    """Circuit state, active health, pools and rate-limit decisions (issue 9)."""

    def start(self, clusters, routes, filters=None, workers=1):
        self.ops_port = free_port()
        port = free_port()
        config = make_config(port, clusters, routes, workers=workers)
        config["observability"] = {"listen": f"127.0.0.1:{self.ops_port}"}
        if filters is not None:
            config["filters"] = filters
        self.nx = self.nexus(config, ports=[port, self.ops_port])

    def scrape(self):
        status, _, body = ops_get(self.ops_port, "/metrics")
        self.assertEqual(status, 200, body)
        return samples(body)

    def until(self, predicate, what):
        """Scrapes until predicate(samples) holds (within 5 s); returns the last scrape."""
        last = {}

        def reached():
            nonlocal last
            last = self.scrape()
            return predicate(last)
        self.assertTrue(wait_until(reached, 5.0),
                        (what, {k: v for k, v in last.items() if "circuit" in k[0] or
                                "healthy" in k[0] or "pool" in k[0] or "rate_limit" in k[0]}))
        return last

    def test_circuit_opens_after_failures_then_closes(self):
        state = {"status": 503}

        def handler(req, conn):
            conn.respond(state["status"], b"x", [])
        up = self.upstream(handler, name="flaky")
        breaker = {"consecutive_failures": 2, "cool_down": "300ms", "half_open_probes": 1,
                   "close_after": 1}
        self.start({"up": cluster(up, circuit_breaker=breaker)},
                   [{"name": "api", "match": {"prefix": "/"}, "cluster": "up"}], workers=1)
        endpoint = f"127.0.0.1:{up.port}"
        labels = {"cluster": "up", "endpoint": endpoint}
        found = self.scrape()
        self.assertEqual(value(found, "nexus_upstream_circuit_state", state="closed", **labels), 1)
        self.assertIsNone(value(found, "nexus_upstream_circuit_state", state="open", **labels))
        for _ in range(2):
            self.assertEqual(request(self.nx.port, "GET", "/x").status, 503)
        found = self.until(lambda f: value(f, "nexus_upstream_circuit_state", state="open",
                                           **labels) == 1, "open")
        self.assertIsNone(value(found, "nexus_upstream_circuit_state", state="closed", **labels))
        self.assertEqual(value(found, "nexus_upstream_circuit_transitions_total",
                               cluster="up", to="open"), 1)
        # Healed: once the cool-down is over, one probe succeeds and closes it (until then the
        # breaker refuses and Nexus answers 503 itself).
        state["status"] = 200
        self.assertTrue(wait_until(
            lambda: request(self.nx.port, "GET", "/y").status == 200, 5.0))
        found = self.until(lambda f: value(f, "nexus_upstream_circuit_state", state="closed",
                                           **labels) == 1, "closed")
        self.assertIsNone(value(found, "nexus_upstream_circuit_state", state="open", **labels))
        self.assertIsNone(value(found, "nexus_upstream_circuit_state", state="half_open",
                                **labels))
        self.assertEqual(value(found, "nexus_upstream_circuit_transitions_total",
                               cluster="up", to="half_open"), 1)
        self.assertEqual(value(found, "nexus_upstream_circuit_transitions_total",
                               cluster="up", to="closed"), 1)

    def test_a_failing_health_check_sets_healthy_to_zero(self):
        state = {"health": 200}

        def handler(req, conn):
            conn.respond(state["health"] if req.target == "/healthz" else 200, b"", [])
        up = self.upstream(handler, name="checked")
        check = {"path": "/healthz", "interval": "100ms", "timeout": "300ms",
                 "unhealthy_threshold": 2, "healthy_threshold": 2}
        self.start({"up": cluster(up, health_check=check)},
                   [{"match": {"prefix": "/"}, "cluster": "up"}])
        labels = {"cluster": "up", "endpoint": f"127.0.0.1:{up.port}"}
        self.assertEqual(value(self.scrape(), "nexus_upstream_healthy", **labels), 1)
        state["health"] = 500
        self.until(lambda f: value(f, "nexus_upstream_healthy", **labels) == 0, "unhealthy")
        state["health"] = 200
        self.until(lambda f: value(f, "nexus_upstream_healthy", **labels) == 1, "healthy again")

    def test_rate_limited_requests_are_counted_as_limited(self):
        up = self.upstream(name="up")
        limit = {"name": "per_ip", "algorithm": "token_bucket", "rate": 1, "per": "1m",
                 "burst": 2}
        self.start({"up": cluster(up)}, [{"match": {"prefix": "/"}, "cluster": "up"}],
                   filters=[{"rate_limit": {"limits": [limit]}}])
        statuses = [request(self.nx.port, "GET", "/x").status for _ in range(5)]
        self.assertEqual(statuses, [200, 200, 429, 429, 429])
        found = self.until(lambda f: value(f, "nexus_rate_limit_decisions_total",
                                           decision="limited") == 3, "limited")
        self.assertEqual(value(found, "nexus_rate_limit_decisions_total", decision="allowed"), 2)

    def test_pool_gauges_follow_a_request_in_flight(self):
        gate = threading.Event()
        self.addCleanup(gate.set)
        up = self.upstream(gated(gate), name="slow")
        self.start({"up": cluster(up)}, [{"match": {"prefix": "/"}, "cluster": "up"}])
        found = self.scrape()
        self.assertEqual(value(found, "nexus_upstream_pool_active_connections", cluster="up"), 0)
        result = {}
        client = threading.Thread(
            target=lambda: result.update(r=request(self.nx.port, "GET", "/held")))
        client.start()
        found = self.until(lambda f: value(f, "nexus_upstream_pool_active_connections",
                                           cluster="up") == 1, "in use")
        self.assertEqual(value(found, "nexus_upstream_pool_idle_connections", cluster="up"), 0)
        self.assertEqual(value(found, "nexus_upstream_connections_opened_total", cluster="up"), 1)
        gate.set()
        client.join(10)
        self.assertEqual(result["r"].status, 200)
        # Answered: the keep-alive connection is back in the pool, idle.
        self.until(lambda f: value(f, "nexus_upstream_pool_active_connections", cluster="up") == 0
                   and value(f, "nexus_upstream_pool_idle_connections", cluster="up") == 1,
                   "idle again")


class NoOpsListenerTest(NexusTestCase):
    def test_absent_section_means_no_listener(self):
        up = self.upstream(name="up")
        port = free_port()
        nx = self.nexus(make_config(port, {"up": cluster(up)},
                                    [{"match": {"prefix": "/"}, "cluster": "up"}]))
        self.assertEqual(request(nx.port, "GET", "/").status, 200)
        self.assertNotIn("metrics on", nx.logs())


if __name__ == "__main__":
    unittest.main()
