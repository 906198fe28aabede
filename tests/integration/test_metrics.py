"""Metrics (docs/observability.md): a real nexus with the ops listener, traffic to its routes,
then GET /metrics parsed with prometheus_client's parsers (Debian's python3-prometheus-client):
counters equal the requests sent, histogram counts match, labels name route, status class and
protocol; OpenMetrics when Accept asks for it; /healthz; the process figures."""

import http.client
import shutil
import subprocess
import time
import unittest

from prometheus_client.openmetrics.parser import \
    text_string_to_metric_families as parse_openmetrics
from prometheus_client.parser import text_string_to_metric_families as parse_prometheus

from nexus_harness import (ClientConn, NexusTestCase, cluster, free_port, make_config, ok,
                           request, wait_until)

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
