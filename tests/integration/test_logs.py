"""The process log (docs/observability.md, "Logs"): JSON lines on stderr by default, text when
configured, and a failed request's error line carrying its request id and trace id as fields."""

import json
import unittest

from nexus_harness import NexusTestCase, cluster, free_port, make_config, ok, request, wait_until

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"


def json_lines(text):
    """Every line of `text` parsed; fails on the first that is not a JSON object."""
    out = []
    for line in text.splitlines():
        entry = json.loads(line)
        if not isinstance(entry, dict):
            raise ValueError(f"not an object: {line!r}")
        out.append(entry)
    return out


class ProcessLogTest(NexusTestCase):
    def start(self, logging, routes=None, clusters=None, **extra):
        cfg = make_config(free_port(), clusters or {}, routes or [
            {"match": {"prefix": "/"}, "direct_response": {"status": 200, "body": "hi"}}],
            logging=logging)
        cfg.update(extra)
        return self.nexus(cfg)

    def test_json_by_default_one_object_per_line(self):
        nx = self.start({"level": "debug"})
        self.assertEqual(request(nx.port, "GET", "/").status, 200)
        self.assertTrue(wait_until(lambda: "listening on" in nx.stderr()), nx.stderr())
        lines = json_lines(nx.stderr())
        listening = [e for e in lines if e["msg"].startswith("listening on")]
        self.assertEqual(len(listening), 1, lines)
        self.assertEqual(listening[0]["level"], "info")
        self.assertRegex(listening[0]["ts"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")

    def test_text_when_configured(self):
        nx = self.start({"level": "info", "format": "text"})
        self.assertTrue(wait_until(lambda: "listening on" in nx.stderr()), nx.stderr())
        line = next(x for x in nx.stderr().splitlines() if "listening on" in x)
        self.assertRegex(line, r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3} .*info.* listening on")

    def test_a_failed_request_logs_its_request_id_and_trace_id(self):
        closed = free_port()  # nothing listens there: connect refused
        nx = self.start({"level": "info"}, clusters={"gone": cluster(f"127.0.0.1:{closed}")},
                        routes=[{"match": {"prefix": "/"}, "cluster": "gone",
                                 "filters": [{"request_id": {}}]}],
                        observability={"tracing": {"endpoint": "http://127.0.0.1:9/v1/traces",
                                                   "sampling_ratio": 0.0}})
        traceparent = f"00-{TRACE_ID}-00f067aa0ba902b7-01"
        r = request(nx.port, "GET", "/thing",
                    {"X-Request-Id": "client-req-42", "traceparent": traceparent})
        self.assertEqual(r.status, 502, r)
        r = request(nx.port, "GET", "/other")  # no id sent: the one nexus made
        self.assertEqual(r.status, 502, r)
        made = r.header("x-request-id")
        self.assertTrue(made, r)

        def errors():
            return [e for e in json_lines(nx.stderr()) if e["level"] == "error"
                    and e["msg"].startswith("request failed")]
        self.assertTrue(wait_until(lambda: len(errors()) >= 2, 5.0), nx.stderr())
        first, second = errors()[:2]
        self.assertEqual(first["request_id"], "client-req-42", first)
        self.assertEqual(first["trace_id"], TRACE_ID, first)
        self.assertIn("502", first["msg"])
        self.assertEqual(second["request_id"], made, second)
        self.assertRegex(second["trace_id"], r"^[0-9a-f]{32}$")  # a new trace
        self.assertNotEqual(second["trace_id"], TRACE_ID)

    def test_untraced_failure_has_no_trace_id(self):
        closed = free_port()
        nx = self.start({"level": "info"}, clusters={"gone": cluster(f"127.0.0.1:{closed}")},
                        routes=[{"match": {"prefix": "/"}, "cluster": "gone"}])
        self.assertEqual(request(nx.port, "GET", "/x").status, 502)
        self.assertTrue(wait_until(lambda: "request failed" in nx.stderr()), nx.stderr())
        line = next(e for e in json_lines(nx.stderr()) if e["msg"].startswith("request failed"))
        self.assertNotIn("trace_id", line)
        self.assertNotIn("request_id", line)  # no request_id filter: no id


if __name__ == "__main__":
    unittest.main()
