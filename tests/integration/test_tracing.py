"""OpenTelemetry tracing (docs/observability.md, "Traces"): W3C trace context read from clients
and propagated upstream, spans exported over OTLP/HTTP JSON to a collector run by the test (a
Python http.server on 127.0.0.1) that validates every export request against a JSON schema of
ExportTraceServiceRequest written from opentelemetry-proto (schemas/)."""

import http.server
import json
import os
import threading
import unittest

import jsonschema

from harness.llm import llm_config, replay
from nexus_harness import NexusTestCase, cluster, free_port, make_config, ok, request, wait_until

SCHEMA_PATH = os.path.join(os.path.dirname(__file__), "schemas",
                           "otlp_trace_export_request.schema.json")
with open(SCHEMA_PATH) as f:
    VALIDATOR = jsonschema.Draft202012Validator(json.load(f))

CLIENT_TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
CLIENT_PARENT = "00f067aa0ba902b7"
SERVER, CLIENT, INTERNAL = 2, 3, 1
HELLO = [{"role": "user", "content": "Hello"}]


class Collector:
    """An OTLP/HTTP JSON receiver: keeps every export request, validated against the schema
    (a payload that fails is kept in `invalid` with the reason), and answers `status`."""

    def __init__(self, status=200):
        self.lock = threading.Lock()
        self.requests = []  # (headers, parsed body)
        self.invalid = []
        self.status = status
        collector = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                collector.receive(self.path, dict(self.headers), body)
                answer = b"{}"
                self.send_response(collector.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}/v1/traces"

    def receive(self, path, headers, body):
        try:
            parsed = json.loads(body)
            VALIDATOR.validate(parsed)
            problem = None if path == "/v1/traces" else f"posted to {path}"
        except (ValueError, jsonschema.ValidationError) as e:
            parsed, problem = None, str(e)[:2000]
        with self.lock:
            if problem:
                self.invalid.append(problem)
            else:
                self.requests.append((headers, parsed))

    def spans(self):
        with self.lock:
            return [span for _, body in self.requests for rs in body.get("resourceSpans", [])
                    for ss in rs.get("scopeSpans", []) for span in ss.get("spans", [])]

    def trace(self, trace_id, count=1, timeout=10.0):
        """The spans of `trace_id` once at least `count` of them arrived."""
        def found():
            spans = [s for s in self.spans() if s["traceId"] == trace_id]
            return spans if len(spans) >= count else None
        return wait_until(found, timeout) or [s for s in self.spans() if s["traceId"] == trace_id]

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


def attributes(span):
    out = {}
    for kv in span.get("attributes", []):
        value = kv["value"]
        out[kv["key"]] = (value.get("stringValue") if "stringValue" in value else
                          int(value["intValue"]) if "intValue" in value else
                          value.get("doubleValue", value.get("boolValue")))
    return out


def traceparent(trace_id, parent, sampled):
    return f"00-{trace_id}-{parent}-{'01' if sampled else '00'}"


class TracingTest(NexusTestCase):
    def collector(self, status=200):
        c = Collector(status)
        self.addCleanup(c.stop)
        self.addCleanup(lambda: self.assertEqual(c.invalid, [], "payloads failed the schema"))
        return c

    def start(self, collector_url, ratio=1.0, retries=None, **tracing):
        self.up = self.upstream(ok(b"fine"), name="up")
        route = {"name": "everything", "match": {"prefix": "/"}, "cluster": "up"}
        if retries is not None:
            route["retries"] = retries
        cfg = make_config(free_port(), {"up": cluster(self.up)}, [route])
        cfg["observability"] = {"tracing": dict({"endpoint": collector_url,
                                                 "sampling_ratio": ratio,
                                                 "service_name": "nexus-under-test",
                                                 "flush_interval": "50ms"}, **tracing)}
        self.nx = self.nexus(cfg)

    def marker(self, collector):
        """A sampled request sent last: once its span arrived, every span exported before it
        has too (one queue, exported in order), so the absence of others is not a race."""
        trace_id = "%032x" % 0xfeedfacecafe
        r = request(self.nx.port, "GET", "/marker",
                    {"traceparent": traceparent(trace_id, "0000000000000abc", True)})
        self.assertEqual(r.status, 200)
        self.assertTrue(collector.trace(trace_id, count=2), collector.spans())
        return trace_id

    def test_client_trace_is_kept_and_the_attempts_id_is_propagated(self):
        collector = self.collector()
        self.start(collector.url, ratio=0.0)  # the client's sampled flag decides, not the ratio
        r = request(self.nx.port, "GET", "/items?x=1",
                    {"traceparent": traceparent(CLIENT_TRACE, CLIENT_PARENT, True),
                     "tracestate": "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE"})
        self.assertEqual(r.status, 200, r)
        sent = self.up.last()
        upstream_parent = sent.header("traceparent")
        self.assertEqual(len(sent.headers_named("traceparent")), 1, sent)
        version, trace_id, span_id, flags = upstream_parent.split("-")
        self.assertEqual((version, trace_id, flags), ("00", CLIENT_TRACE, "01"))
        self.assertEqual(sent.header("tracestate"), "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE")

        spans = collector.trace(CLIENT_TRACE, count=2)
        by_kind = {s["kind"]: s for s in spans}
        self.assertEqual(sorted(by_kind), [SERVER, CLIENT], spans)
        server, attempt = by_kind[SERVER], by_kind[CLIENT]
        self.assertEqual(server["parentSpanId"], CLIENT_PARENT)
        self.assertEqual(attempt["parentSpanId"], server["spanId"])
        self.assertEqual(attempt["spanId"], span_id)  # the upstream's parent is the attempt
        self.assertEqual(server["name"], "GET everything")
        self.assertEqual(attributes(server), {
            "http.request.method": "GET", "url.path": "/items", "server.address": "gw.test",
            "http.route": "everything", "http.response.status_code": 200})
        self.assertEqual(attributes(attempt)["http.response.status_code"], 200)
        self.assertEqual(attributes(attempt)["server.address"], self.up.address)
        self.assertLessEqual(int(server["startTimeUnixNano"]), int(attempt["startTimeUnixNano"]))
        self.assertLessEqual(int(attempt["endTimeUnixNano"]), int(server["endTimeUnixNano"]))

        headers, body = collector.requests[0]
        self.assertEqual(headers.get("Content-Type"), "application/json")
        resource = body["resourceSpans"][0]["resource"]
        self.assertIn({"key": "service.name", "value": {"stringValue": "nexus-under-test"}},
                      resource["attributes"])
        self.assertEqual(body["resourceSpans"][0]["scopeSpans"][0]["scope"]["name"], "nexus")

    def test_a_request_without_traceparent_starts_a_trace(self):
        collector = self.collector()
        self.start(collector.url, ratio=1.0)
        self.assertEqual(request(self.nx.port, "GET", "/").status, 200)
        _, trace_id, span_id, flags = self.up.last().header("traceparent").split("-")
        self.assertEqual(flags, "01")
        spans = collector.trace(trace_id, count=2)
        server = next(s for s in spans if s["kind"] == SERVER)
        self.assertNotIn("parentSpanId", server)  # a root
        self.assertIn(span_id, [s["spanId"] for s in spans if s["kind"] == CLIENT])

    def test_sampling_ratio_zero_sends_nothing(self):
        collector = self.collector()
        self.start(collector.url, ratio=0.0)
        for _ in range(5):
            self.assertEqual(request(self.nx.port, "GET", "/").status, 200)
        # Unsampled, the trace context still goes upstream, with the sampled flag clear.
        self.assertTrue(self.up.last().header("traceparent").endswith("-00"))
        marker = self.marker(collector)
        self.assertEqual({s["traceId"] for s in collector.spans()}, {marker})

    def test_the_parents_unsampled_flag_is_honoured(self):
        collector = self.collector()
        self.start(collector.url, ratio=1.0)
        r = request(self.nx.port, "GET", "/",
                    {"traceparent": traceparent(CLIENT_TRACE, CLIENT_PARENT, False)})
        self.assertEqual(r.status, 200)
        _, trace_id, span_id, flags = self.up.last().header("traceparent").split("-")
        self.assertEqual((trace_id, flags), (CLIENT_TRACE, "00"))
        self.assertNotEqual(span_id, CLIENT_PARENT)
        marker = self.marker(collector)
        self.assertEqual({s["traceId"] for s in collector.spans()}, {marker})

    def test_an_invalid_traceparent_starts_a_new_trace_and_drops_tracestate(self):
        collector = self.collector()
        self.start(collector.url, ratio=1.0)
        bad = "00-" + "0" * 32 + "-" + CLIENT_PARENT + "-01"
        r = request(self.nx.port, "GET", "/", {"traceparent": bad, "tracestate": "rojo=1"})
        self.assertEqual(r.status, 200)
        sent = self.up.last()
        self.assertNotEqual(sent.header("traceparent"), bad)
        self.assertNotEqual(sent.header("traceparent").split("-")[1], "0" * 32)
        self.assertIsNone(sent.header("tracestate"))

    def test_each_retry_is_a_span_with_its_own_id(self):
        collector = self.collector()
        calls = []

        def flaky(req, conn):
            calls.append(req.header("traceparent"))
            status = 503 if len(calls) == 1 else 200
            conn.respond(status, b"x", [("Content-Type", "text/plain")])
            return True

        self.start(collector.url, retries={"attempts": 2, "on": ["5xx"],
                                           "backoff": {"base": "1ms", "max": "10ms"}})
        self.up.handler = flaky
        r = request(self.nx.port, "GET", "/",
                    {"traceparent": traceparent(CLIENT_TRACE, CLIENT_PARENT, True)})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(len(calls), 2, calls)
        first, second = (c.split("-")[2] for c in calls)
        self.assertNotEqual(first, second)
        spans = collector.trace(CLIENT_TRACE, count=3)
        attempts = {s["spanId"]: s for s in spans if s["kind"] == CLIENT}
        self.assertEqual(set(attempts), {first, second})
        self.assertEqual(attributes(attempts[first])["http.response.status_code"], 503)
        self.assertEqual(attempts[first]["status"]["code"], 2)
        self.assertEqual(attributes(attempts[second])["http.response.status_code"], 200)

    def test_a_dead_collector_drops_spans_without_failing_requests(self):
        self.start(f"http://127.0.0.1:{free_port()}/v1/traces", max_retries=1,
                   export_timeout="500ms", max_queue_spans=8, batch_size=4)
        statuses = [request(self.nx.port, "GET", "/", timeout=5.0).status for _ in range(40)]
        self.assertEqual(statuses, [200] * 40)
        self.assertTrue(wait_until(lambda: "spans dropped" in self.nx.stderr() + self.nx.stdout(),
                                   10.0), self.nx.logs())

    def test_an_llm_stream_has_routing_attempt_and_stream_spans(self):
        collector = self.collector()
        self.up = self.upstream(replay(), name="provider")
        name = "groq/vercel__groq-text.chunks.txt"
        cfg = llm_config(free_port(), self.up, [("groq", "oai", name)])
        cfg["observability"] = {"tracing": {"endpoint": collector.url, "flush_interval": "50ms"}}
        self.nx = self.nexus(cfg)
        body = json.dumps({"model": "groq", "messages": HELLO, "stream": True, "max_tokens": 50})
        r = request(self.nx.port, "POST", "/v1/chat/completions",
                    {"Content-Type": "application/json",
                     "traceparent": traceparent(CLIENT_TRACE, CLIENT_PARENT, True)},
                    body.encode(), timeout=10.0)
        self.assertEqual(r.status, 200, r.body)
        sent = self.up.requests[-1].header("traceparent")
        self.assertIsNotNone(sent)
        self.assertEqual(sent.split("-")[1], CLIENT_TRACE)

        spans = collector.trace(CLIENT_TRACE, count=4)
        server = next(s for s in spans if s["kind"] == SERVER)
        routing = next(s for s in spans if s["name"].startswith("route "))
        attempt = next(s for s in spans if s["kind"] == CLIENT)
        stream = next(s for s in spans if s["name"] == "stream")
        self.assertEqual(routing["parentSpanId"], server["spanId"])
        self.assertEqual(attempt["parentSpanId"], routing["spanId"])
        self.assertEqual(stream["parentSpanId"], attempt["spanId"])
        self.assertEqual(attempt["spanId"], sent.split("-")[2])
        got = attributes(attempt)
        self.assertEqual(got["gen_ai.operation.name"], "chat")
        self.assertEqual(got["gen_ai.provider.name"], "openai")
        self.assertEqual(got["gen_ai.request.model"], name)
        self.assertEqual(got["gen_ai.response.model"], name)
        self.assertEqual(got["gen_ai.request.max_tokens"], 50)
        self.assertGreater(got["gen_ai.usage.input_tokens"], 0)
        self.assertGreater(got["gen_ai.usage.output_tokens"], 0)
        self.assertEqual(attributes(routing)["gen_ai.request.model"], "groq")
        events = stream.get("events", [])
        self.assertEqual([e["name"] for e in events], ["gen_ai.first_token"], stream)
        ttft = attributes(events[0])["gen_ai.server.time_to_first_token"]
        self.assertGreater(ttft, 0)
        self.assertLess(ttft, 10)


if __name__ == "__main__":
    unittest.main()
