"""Alerts (docs/observability.md, "Alerts"): an error_rate rule over a route whose upstream
answers 500 fires, its webhook (a receiver on 127.0.0.1 whose first POST fails with 503, so the
retry is exercised) receives the firing payload; with the upstream back to 200s the rule
resolves and the resolved payload arrives; GET /alerts shows the state, /metrics
nexus_alerts_firing, and the log has a line for each."""

import http.client
import http.server
import json
import threading
import unittest

from nexus_harness import NexusTestCase, cluster, free_port, make_config, request, wait_until


class Receiver:
    """A webhook receiver: answers the first `fail_first` POSTs with 503, then 200, and keeps the
    parsed bodies of those it took."""

    def __init__(self, fail_first=1):
        self.lock = threading.Lock()
        self.posts = 0
        self.taken = []
        self.fail_first = fail_first
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                status = receiver.receive(self.path, dict(self.headers), body)
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def receive(self, path, headers, body):
        with self.lock:
            self.posts += 1
            if self.posts <= self.fail_first:
                return 503
            self.taken.append((path, headers, json.loads(body)))
            return 200

    def payloads(self, state):
        with self.lock:
            return [body for _, _, body in self.taken if body.get("state") == state]

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


def ops_get(port, path):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, response.read().decode()
    finally:
        conn.close()


class AlertsTest(NexusTestCase):
    def setUp(self):
        self.failing = True

        def handler(req, conn):
            conn.respond(500 if self.failing else 200, b"x")

        self.up = self.upstream(handler, name="up")
        self.receiver = Receiver(fail_first=1)
        self.addCleanup(self.receiver.stop)
        self.ops_port = free_port()

    def start(self, rules, **cluster_extra):
        port = free_port()
        routes = [{"name": "api", "match": {"prefix": "/"}, "cluster": "up"}]
        config = make_config(port, {"up": cluster(self.up, **cluster_extra)}, routes)
        config["observability"] = {
            "listen": f"127.0.0.1:{self.ops_port}",
            "alerts": {
                "evaluation_interval": "200ms",
                "webhooks": [{"name": "ops",
                              "url": f"http://127.0.0.1:{self.receiver.port}/hook",
                              "headers": {"X-Token": "t0ken"},
                              "timeout": "2s", "max_attempts": 4, "backoff": "50ms"}],
                "rules": rules,
            },
        }
        self.nx = self.nexus(config, ports=[port, self.ops_port])
        self.port = port

    def alerts(self):
        status, body = ops_get(self.ops_port, "/alerts")
        self.assertEqual(status, 200, body)
        return {rule["name"]: rule for rule in json.loads(body)["rules"]}

    def traffic_until(self, done, timeout=10.0):
        """Sends requests until `done()` holds (the rule sees a rate only with traffic)."""
        def step():
            request(self.port, "GET", "/x")
            return done()
        return wait_until(step, timeout)

    def test_error_rate_fires_and_resolves_through_the_webhook(self):
        self.start([{"name": "api-errors", "kind": "error_rate", "threshold": 0.5,
                     "window": "1s", "severity": "critical", "webhooks": ["ops"],
                     "match": {"route": "api"}}])
        self.assertEqual(self.alerts()["api-errors"]["state"], "inactive")

        self.assertTrue(self.traffic_until(lambda: self.receiver.payloads("firing")),
                        (self.alerts(), self.receiver.posts))
        fired = self.receiver.payloads("firing")[0]
        self.assertGreaterEqual(self.receiver.posts, 2)  # the 503 was retried
        self.assertEqual(fired["rule"], "api-errors")
        self.assertEqual(fired["kind"], "error_rate")
        self.assertEqual(fired["severity"], "critical")
        self.assertGreaterEqual(fired["value"], 0.5)
        self.assertEqual(fired["threshold"], 0.5)
        self.assertIsNone(fired["ended_at"])
        self.assertEqual(fired["labels"]["route"], "api")
        self.assertTrue(fired["instance"])
        path, headers, _ = self.receiver.taken[0]
        self.assertEqual(path, "/hook")
        self.assertEqual(headers.get("X-Token"), "t0ken")
        self.assertEqual(headers.get("Content-Type"), "application/json")
        rule = self.alerts()["api-errors"]
        self.assertEqual(rule["state"], "firing", rule)
        status, metrics = ops_get(self.ops_port, "/metrics")
        self.assertIn('nexus_alerts_firing{rule="api-errors"} 1', metrics)

        self.failing = False
        self.assertTrue(self.traffic_until(lambda: self.receiver.payloads("resolved")),
                        self.alerts())
        resolved = self.receiver.payloads("resolved")[0]
        self.assertEqual(resolved["started_at"], fired["started_at"])
        self.assertLess(resolved["value"], 0.5)
        self.assertGreaterEqual(resolved["ended_at"], resolved["started_at"])
        self.assertEqual(self.alerts()["api-errors"]["state"], "inactive")
        self.assertTrue(wait_until(
            lambda: 'nexus_alerts_firing{rule="api-errors"} 0' in ops_get(self.ops_port,
                                                                           "/metrics")[1], 5.0))

        logs = self.nx.stderr() + self.nx.stdout()
        self.assertIn("alert api-errors firing", logs)
        self.assertIn("alert api-errors resolved", logs)

    def test_circuit_open_fires_while_a_breaker_refuses_the_endpoint(self):
        self.start([{"name": "circuits", "kind": "circuit_open", "threshold": 1,
                     "webhooks": ["ops"]}],
                   circuit_breaker={"consecutive_failures": 3, "cool_down": "300ms"})
        self.assertEqual(self.alerts()["circuits"]["state"], "inactive")
        self.assertTrue(self.traffic_until(lambda: self.receiver.payloads("firing")),
                        self.alerts())
        fired = self.receiver.payloads("firing")[0]
        self.assertEqual(fired["kind"], "circuit_open")
        self.assertGreaterEqual(fired["value"], 1)
        # The upstream recovers: the half-open probe succeeds, the breaker closes, the rule
        # resolves.
        self.failing = False
        self.assertTrue(self.traffic_until(lambda: self.receiver.payloads("resolved")),
                        self.alerts())
        self.assertEqual(self.receiver.payloads("resolved")[0]["value"], 0)


if __name__ == "__main__":
    unittest.main()
