"""The LLM route at the HTTP level: what goes to the provider (path, authentication, translated
body), errors in each dialect's shape (before and inside a stream), streams that break, the
models list, and the echo provider. The official SDKs' view is in test_llm_sdk.py."""

import hashlib
import hmac
import json
import unittest
import urllib.parse

from harness.llm import llm_config, recorded_body, replay
from nexus_harness import NexusTestCase, free_port, request

HELLO = [{"role": "user", "content": "Hello Nexus"}]


def sse_events(body):
    """(event name or None, parsed data or the raw text) of each event of an SSE body."""
    events = []
    for block in body.decode().split("\n\n"):
        name, data = None, []
        for line in block.splitlines():
            if line.startswith("event:"):
                name = line[6:].strip()
            elif line.startswith("data:"):
                data.append(line[5:].strip())
        if data:
            text = "\n".join(data)
            events.append((name, text if text == "[DONE]" else json.loads(text)))
    return events


def sigv4_signature(req, secret, region, service="bedrock"):
    """AWS Signature Version 4 of an upstream request, recomputed here from what was received
    (the signed headers it names, the path encoded once more as AWS wants for non-S3 services)."""
    authorization = req.header("authorization")
    fields = dict(part.strip().split("=", 1) for part in authorization.split(" ", 1)[1].split(","))
    signed = fields["SignedHeaders"].split(";")
    amz_date = req.header("x-amz-date")
    path = "/".join(urllib.parse.quote(segment, safe="-_.~") for segment in req.path.split("/"))
    canonical = "\n".join([
        req.method, path, "",
        "".join(f"{name}:{req.header(name).strip()}\n" for name in signed),
        fields["SignedHeaders"], hashlib.sha256(req.body).hexdigest()])
    scope = f"{amz_date[:8]}/{region}/{service}/aws4_request"
    to_sign = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope,
                         hashlib.sha256(canonical.encode()).hexdigest()])
    key = ("AWS4" + secret).encode()
    for part in (amz_date[:8], region, service, "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return fields["Signature"], hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()


class LlmRouteTest(NexusTestCase):
    def start(self, models=(), upstream_handler=None, **kw):
        self.up = self.upstream(upstream_handler or replay(), name="provider")
        self.nx = self.nexus(llm_config(free_port(), self.up, models, **kw))

    def post(self, path, body, headers=None):
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        return request(self.nx.port, "POST", path,
                       dict({"Content-Type": "application/json"}, **(headers or {})), data,
                       timeout=10.0)

    def test_openai_client_to_anthropic_provider_request(self):
        self.start([("claude", "claude", "anthropic/ddtrace__anthropic_v1_messages_post_c247d326.json")])
        resp = self.post("/v1/chat/completions",
                         {"model": "claude", "messages": [{"role": "system", "content": "Be brief"}] + HELLO,
                          "temperature": 0.5, "stop": ["END"]})
        self.assertEqual(resp.status, 200, resp.body)
        sent = self.up.requests[-1]
        self.assertEqual(sent.path, "/v1/messages")
        self.assertEqual(sent.header("x-api-key"), "sk-ant-upstream")
        self.assertEqual(sent.header("anthropic-version"), "2023-06-01")
        self.assertIsNone(sent.header("authorization"))
        body = json.loads(sent.body)
        self.assertEqual(body["model"], "anthropic/ddtrace__anthropic_v1_messages_post_c247d326.json")
        self.assertEqual(body["max_tokens"], 4096)  # Anthropic requires it; the default fills in
        self.assertEqual(body["temperature"], 0.5)
        self.assertEqual(body["stop_sequences"], ["END"])
        self.assertIn("Be brief", json.dumps(body["system"]))
        self.assertEqual(body["messages"][0]["role"], "user")
        answer = json.loads(resp.body)
        self.assertEqual(answer["object"], "chat.completion")
        self.assertEqual(answer["choices"][0]["finish_reason"], "tool_calls")

    def test_openai_client_to_openai_provider_is_passed_through(self):
        # The same API on both sides: the body reaches the provider with only the model
        # replaced (fields Nexus does not translate included), the answer comes back as sent.
        name = "openai/pydantic__test_openai_chat_prompt_cache_e2e.0.json"
        self.start([("gpt", "oai", name)])
        resp = self.post("/v1/chat/completions", {"model": "gpt", "messages": HELLO,
                                                  "logit_bias": {"50256": -100},
                                                  "vendor_option": {"keep": [1, 2.5, "x"]}})
        self.assertEqual(resp.status, 200, resp.body)
        sent = self.up.requests[-1]
        self.assertEqual(sent.path, "/v1/chat/completions")
        self.assertEqual(sent.header("authorization"), "Bearer sk-upstream")
        self.assertEqual(json.loads(sent.body), {"model": name, "messages": HELLO,
                                                 "logit_bias": {"50256": -100},
                                                 "vendor_option": {"keep": [1, 2.5, "x"]}})
        self.assertEqual(resp.body, recorded_body(name))

    def test_openai_client_to_openai_provider_stream_is_passed_through(self):
        name = "groq/vercel__groq-text.chunks.txt"
        self.start([("groq", "oai", name)])
        resp = self.post("/v1/chat/completions", {"model": "groq", "messages": HELLO, "stream": True,
                                                  "stream_options": {"include_usage": True}})
        self.assertEqual(resp.status, 200, resp.body)
        self.assertIn("text/event-stream", resp.header("content-type"))
        self.assertEqual(json.loads(self.up.requests[-1].body)["stream_options"], {"include_usage": True})
        self.assertEqual(resp.body, recorded_body(name))

    def test_anthropic_client_to_openai_provider_streams_translated_usage(self):
        name = "groq/vercel__groq-text.chunks.txt"
        self.start([("groq", "oai", name)])
        resp = self.post("/v1/messages", {"model": "groq", "max_tokens": 50, "messages": HELLO,
                                          "stream": True})
        self.assertEqual(resp.status, 200, resp.body)
        sent = json.loads(self.up.requests[-1].body)
        self.assertEqual(sent["stream_options"], {"include_usage": True})  # always, to meter usage
        events = sse_events(resp.body)
        text = "".join(d["delta"].get("text", "") for n, d in events if n == "content_block_delta")
        recorded = "".join(
            (c["choices"][0]["delta"].get("content") or "") for _, c in sse_events(recorded_body(name))[:-1]
            if c["choices"])
        self.assertEqual(text, recorded)
        delta = [d for n, d in events if n == "message_delta"][0]
        self.assertGreater(delta["usage"]["output_tokens"], 0)

    def test_openai_client_to_gemini_provider_request(self):
        whole = "google/pydantic__test_google_model.json"
        streamed = "google/pydantic__test_google_model_iter_stream.2.sse"
        self.start([("gem", "gem", whole), ("gem-stream", "gem", streamed)])
        resp = self.post("/v1/chat/completions",
                         {"model": "gem", "max_tokens": 50, "stop": ["END"],
                          "messages": [{"role": "system", "content": "Be brief"}] + HELLO})
        self.assertEqual(resp.status, 200, resp.body)
        sent = self.up.requests[-1]
        # The model goes in the path, the key in x-goog-api-key.
        self.assertEqual(sent.target, "/v1beta/models/" + urllib.parse.quote(whole, safe="") +
                         ":generateContent")
        self.assertEqual(sent.header("x-goog-api-key"), "gm-upstream")
        self.assertIsNone(sent.header("authorization"))
        body = json.loads(sent.body)
        self.assertNotIn("model", body)
        self.assertEqual(body["systemInstruction"], {"parts": [{"text": "Be brief"}]})
        self.assertEqual(body["contents"], [{"role": "user", "parts": [{"text": "Hello Nexus"}]}])
        self.assertEqual(body["generationConfig"], {"maxOutputTokens": 50, "stopSequences": ["END"]})
        self.assertEqual(json.loads(resp.body)["object"], "chat.completion")

        resp = self.post("/v1/messages", {"model": "gem-stream", "max_tokens": 50, "messages": HELLO,
                                          "stream": True})
        self.assertEqual(resp.status, 200, resp.body)
        self.assertEqual(self.up.requests[-1].target, "/v1beta/models/" +
                         urllib.parse.quote(streamed, safe="") + ":streamGenerateContent?alt=sse")
        events = sse_events(resp.body)
        self.assertEqual([n for n, _ in events][0], "message_start")
        self.assertEqual([n for n, _ in events][-1], "message_stop")
        text = "".join(d["delta"].get("text", "") for n, d in events if n == "content_block_delta")
        self.assertEqual(text, "The temperature in Paris is 30°C.\n")

    def test_anthropic_client_to_cohere_provider_request(self):
        name = "cohere/vercel__cohere-tool-call.chunks.txt"
        self.start([("command", "coh", name)])
        tools = [{"name": "weather", "input_schema": {"type": "object"}}]
        resp = self.post("/v1/messages", {"model": "command", "max_tokens": 50, "messages": HELLO,
                                          "tools": tools, "stream": True})
        self.assertEqual(resp.status, 200, resp.body)
        sent = self.up.requests[-1]
        self.assertEqual(sent.target, "/v2/chat")
        self.assertEqual(sent.header("authorization"), "Bearer co-upstream")
        body = json.loads(sent.body)
        self.assertEqual((body["model"], body["stream"], body["max_tokens"]), (name, True, 50))
        self.assertEqual(body["tools"][0]["function"]["name"], "weather")
        events = sse_events(resp.body)
        starts = [d["content_block"] for n, d in events if n == "content_block_start"]
        self.assertEqual([b["name"] for b in starts if b["type"] == "tool_use"],
                         ["weather", "cityAttractions"])
        stop = [d for n, d in events if n == "message_delta"][0]
        self.assertEqual(stop["delta"]["stop_reason"], "tool_use")
        message = [d for n, d in events if n == "message_start"][0]["message"]
        self.assertEqual(message["model"], "command")  # Cohere names none: the client's name

    def test_azure_openai_deployment_urls(self):
        whole = "azure/ddtrace__azure_openai_chat_completion_categorical.json"
        streamed = "azure/ddtrace__completion_azure_stream.sse"
        self.start([("az-chat", "az", whole), ("az-stream", "az", streamed)])
        # An OpenAI client: passed through, to the deployment's URL with Azure's key header.
        resp = self.post("/v1/chat/completions", {"model": "az-chat", "messages": HELLO,
                                                  "max_completion_tokens": 20})
        self.assertEqual(resp.status, 200, resp.body)
        self.assertEqual(resp.body, recorded_body(whole))
        sent = self.up.requests[-1]
        self.assertEqual(sent.target, "/openai/deployments/" + urllib.parse.quote(whole, safe="") +
                         "/chat/completions?api-version=2024-10-21")
        self.assertEqual(sent.header("api-key"), "az-upstream")
        self.assertIsNone(sent.header("authorization"))
        # An Anthropic client: translated; the output limit as max_completion_tokens.
        resp = self.post("/v1/messages", {"model": "az-stream", "max_tokens": 50, "messages": HELLO,
                                          "stream": True})
        self.assertEqual(resp.status, 200, resp.body)
        body = json.loads(self.up.requests[-1].body)
        self.assertEqual(body["max_completion_tokens"], 50)
        self.assertNotIn("max_tokens", body)
        events = sse_events(resp.body)
        self.assertEqual(events[-1][0], "message_stop")
        text = "".join(d["delta"].get("text", "") for n, d in events if n == "content_block_delta")
        recorded = "".join((c["choices"][0]["delta"].get("content") or "")
                           for _, c in sse_events(recorded_body(streamed))[:-1] if c["choices"])
        self.assertEqual(text, recorded)

    def test_bedrock_requests_are_signed_and_streams_decoded(self):
        streamed = "bedrock/ddtrace__bedrock_converse_stream.eventstream"
        whole = "bedrock/vercel__amazon-bedrock-text.json"
        self.start([("br-stream", "br", streamed), ("br-chat", "br", whole)])
        resp = self.post("/v1/chat/completions", {"model": "br-stream", "messages": HELLO,
                                                  "stream": True, "max_tokens": 30})
        self.assertEqual(resp.status, 200, resp.body)
        sent = self.up.requests[-1]
        self.assertEqual(sent.target, "/model/" + urllib.parse.quote(streamed, safe="") +
                         "/converse-stream")
        self.assertEqual(json.loads(sent.body)["inferenceConfig"], {"maxTokens": 30})
        self.assertTrue(sent.header("authorization").startswith(
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/"), sent.header("authorization"))
        got, want = sigv4_signature(sent, "secret", "us-east-1")
        self.assertEqual(got, want)
        events = sse_events(resp.body)
        self.assertEqual(events[-1], (None, "[DONE]"))
        calls = [c["choices"][0]["delta"]["tool_calls"][0] for _, c in events[:-1]
                 if c["choices"] and c["choices"][0]["delta"].get("tool_calls")]
        self.assertEqual(calls[0]["function"]["name"], "fetch_concept")
        self.assertEqual(json.loads("".join(c["function"]["arguments"] for c in calls)),
                         {"concept": "distributed tracing"})

        resp = self.post("/v1/messages", {"model": "br-chat", "max_tokens": 30, "messages": HELLO})
        self.assertEqual(resp.status, 200, resp.body)
        self.assertEqual(self.up.requests[-1].target,
                         "/model/" + urllib.parse.quote(whole, safe="") + "/converse")
        got, want = sigv4_signature(self.up.requests[-1], "secret", "us-east-1")
        self.assertEqual(got, want)
        self.assertEqual(json.loads(resp.body)["usage"]["output_tokens"], 57)

    def test_bedrock_embeddings_one_call_per_text(self):
        titan = "bedrock/pydantic__TestBedrock.test_titan_v2_with_dimensions.json"
        nova = "bedrock/pydantic__TestBedrock.test_nova_with_dimensions.json"
        # The model id decides the body's shape: "<Bedrock model id>#<file in bedrock/>".
        titan_id = "amazon.titan-embed-text-v2:0#" + titan.split("/")[1]
        self.start([("titan", "br", titan_id),
                    ("nova", "br", "amazon.nova-2-multimodal-embeddings-v1:0#" + nova.split("/")[1]),
                    ("unknown", "br", "meta.llama3#" + titan.split("/")[1])])
        resp = self.post("/v1/embeddings", {"model": "titan", "input": ["one", "two"],
                                            "dimensions": 256})
        self.assertEqual(resp.status, 200, resp.body)
        calls = self.up.requests[-2:]
        for call, text in zip(calls, ["one", "two"]):
            self.assertEqual(call.target, "/model/" + urllib.parse.quote(titan_id, safe="") +
                             "/invoke")
            self.assertEqual(json.loads(call.body),
                             {"inputText": text, "dimensions": 256, "normalize": True})
            got, want = sigv4_signature(call, "secret", "us-east-1")
            self.assertEqual(got, want)
        recorded = json.loads(recorded_body(titan))
        answer = json.loads(resp.body)
        self.assertEqual([d["index"] for d in answer["data"]], [0, 1])
        for got_value, want_value in zip(answer["data"][1]["embedding"], recorded["embedding"]):
            self.assertAlmostEqual(got_value, want_value, places=6)
        self.assertEqual(answer["usage"]["prompt_tokens"], 2 * recorded["inputTextTokenCount"])
        # Nova counts tokens only in a response header.
        resp = self.post("/v1/embeddings", {"model": "nova", "input": "one", "encoding_format": "base64"})
        self.assertEqual(resp.status, 200, resp.body)
        self.assertEqual(json.loads(resp.body)["usage"]["prompt_tokens"], 18)
        # A model id that names no embeddings family Nexus knows: 400 naming the model.
        resp = self.post("/v1/embeddings", {"model": "unknown", "input": "x"})
        self.assertEqual(resp.status, 400, resp.body)
        self.assertEqual(json.loads(resp.body)["error"]["param"], "model")

    def test_vertex_serves_gemini_and_claude(self):
        gemini = "google/ddtrace__vertexai_generate_content_score.json"
        claude = "anthropic/ddtrace__anthropic_completion_stream.sse"
        self.start([("vx-gemini", "vx", gemini), ("vx-claude", "vx", "anthropic/" + claude)])
        prefix = "/v1/projects/test-project/locations/us-central1/publishers/"
        resp = self.post("/v1/chat/completions", {"model": "vx-gemini", "messages": HELLO})
        self.assertEqual(resp.status, 200, resp.body)
        sent = self.up.requests[-1]
        self.assertEqual(sent.target, prefix + "google/models/" +
                         urllib.parse.quote(gemini, safe="") + ":generateContent")
        self.assertEqual(sent.header("authorization"), "Bearer ya29.vertex-token")
        self.assertIn("contents", json.loads(sent.body))
        recorded = json.loads(recorded_body(gemini))["candidates"][0]["content"]["parts"][0]["text"]
        self.assertEqual(json.loads(resp.body)["choices"][0]["message"]["content"], recorded)
        # Claude on Vertex: Anthropic's body without the model, the version in the body.
        resp = self.post("/v1/chat/completions", {"model": "vx-claude", "messages": HELLO,
                                                  "stream": True})
        self.assertEqual(resp.status, 200, resp.body)
        sent = self.up.requests[-1]
        self.assertEqual(sent.target, prefix + "anthropic/models/" +
                         urllib.parse.quote(claude, safe="") + ":streamRawPredict")
        body = json.loads(sent.body)
        self.assertNotIn("model", body)
        self.assertEqual(body["anthropic_version"], "vertex-2023-10-16")
        self.assertIsNone(sent.header("x-api-key"))
        text = "".join(c["choices"][0]["delta"].get("content") or ""
                       for _, c in sse_events(resp.body)[:-1] if c["choices"])
        recorded = "".join(d["delta"].get("text", "") for n, d in sse_events(recorded_body(claude))
                           if n == "content_block_delta")
        self.assertEqual(text, recorded)

    def test_embeddings_translated_for_gemini(self):
        name = "google/pydantic__TestGoogle.test_instrumentation.json"
        self.start([("gem-emb", "gem", name)])
        resp = self.post("/v1/embeddings", {"model": "gem-emb", "input": ["hello"], "dimensions": 64,
                                            "input_type": "search_query"})
        self.assertEqual(resp.status, 200, resp.body)
        sent = self.up.requests[-1]
        self.assertEqual(sent.target, "/v1beta/models/" + urllib.parse.quote(name, safe="") +
                         ":batchEmbedContents")
        self.assertEqual(json.loads(sent.body), {"requests": [{
            "model": "models/" + name, "content": {"parts": [{"text": "hello"}]},
            "taskType": "RETRIEVAL_QUERY", "outputDimensionality": 64}]})
        answer = json.loads(resp.body)
        recorded = json.loads(recorded_body(name))["embeddings"][0]["values"]
        self.assertEqual(answer["model"], "gem-emb")
        self.assertEqual(len(answer["data"][0]["embedding"]), len(recorded))
        for got, want in zip(answer["data"][0]["embedding"], recorded):
            self.assertAlmostEqual(got, want, places=6)
        # 101 inputs: two calls (Gemini takes 100 a call). The recording has one vector per
        # answer, not one per input: a count that does not match is the provider's error.
        before = len(self.up.requests)
        resp = self.post("/v1/embeddings", {"model": "gem-emb", "input": ["t"] * 101})
        self.assertEqual(resp.status, 502, resp.body)
        self.assertIn("2 embeddings for 101 inputs",
                      json.loads(resp.body)["error"]["message"])
        sizes = [len(json.loads(r.body)["requests"]) for r in self.up.requests[before:]]
        self.assertEqual(sizes, [100, 1])

    def test_embeddings_completions_and_count_tokens_are_forwarded(self):
        models = [("emb", "oai", "openai/ddtrace__embedding_b64.json"),
                  ("legacy", "oai", "openai/vercel__openai-completion-text.json"),
                  ("count", "claude", "anthropic/pydantic__test_anthropic_count_tokens_error.json")]
        self.start(models)
        for path, model, fixture in (("/v1/embeddings", "emb", models[0][2]),
                                     ("/v1/completions", "legacy", models[1][2])):
            resp = self.post(path, {"model": model, "input": "hi", "prompt": "hi", "dimensions": 512})
            self.assertEqual(resp.status, 200, resp.body)
            self.assertEqual(resp.body, recorded_body(fixture))
            sent = self.up.requests[-1]
            self.assertEqual(sent.path, path)
            self.assertEqual(json.loads(sent.body)["model"], fixture)
            self.assertEqual(json.loads(sent.body)["dimensions"], 512)
        # count_tokens goes to Anthropic; this recording is the 404 of a beta endpoint.
        resp = self.post("/v1/messages/count_tokens", {"model": "count", "messages": HELLO},
                         {"anthropic-version": "2023-06-01"})
        self.assertEqual(resp.status, 404, resp.body)
        self.assertEqual(json.loads(resp.body)["error"]["type"], "not_found_error")
        self.assertEqual(self.up.requests[-1].path, "/v1/messages/count_tokens")
        # A provider that does not speak the endpoint's API.
        resp = self.post("/v1/embeddings", {"model": "count", "input": "hi"})
        self.assertEqual(resp.status, 400, resp.body)
        self.assertEqual(json.loads(resp.body)["error"]["param"], "model")
        # The echo provider makes its own (the SDK tests check their values).
        resp = self.post("/v1/embeddings", {"model": "echo", "input": ["a b", "c"]})
        self.assertEqual(resp.status, 200, resp.body)
        answer = json.loads(resp.body)
        self.assertEqual([d["index"] for d in answer["data"]], [0, 1])
        self.assertEqual(answer["usage"], {"prompt_tokens": 3, "total_tokens": 3})
        resp = self.post("/v1/embeddings", {"input": "hi"})
        self.assertEqual(resp.status, 400)
        self.assertEqual(json.loads(resp.body)["error"]["param"], "model")

    def test_anthropic_client_gets_the_full_event_sequence(self):
        # Translated (from an OpenAI-shaped provider): Nexus writes the whole sequence.
        self.start([("groq", "oai", "groq/vercel__groq-text.chunks.txt")])
        resp = self.post("/v1/messages", {"model": "groq", "max_tokens": 50, "messages": HELLO,
                                          "stream": True}, {"anthropic-version": "2023-06-01"})
        self.assertEqual(resp.status, 200, resp.body)
        names = [name for name, _ in sse_events(resp.body)]
        self.assertEqual(names[:2], ["message_start", "content_block_start"])
        self.assertEqual(names[-3:], ["content_block_stop", "message_delta", "message_stop"])
        self.assertTrue(all(n == "content_block_delta" for n in names[2:-3]), names)

    def test_anthropic_client_to_anthropic_provider_is_passed_through(self):
        # Fields the IR has no place for (server tools, betas) reach Anthropic; the stream comes
        # back as Anthropic wrote it.
        name = "anthropic/ddtrace__anthropic_completion_stream.sse"
        self.start([("claude", "claude", name)])
        request = {"model": "claude", "max_tokens": 50, "messages": HELLO, "stream": True,
                   "context_management": {"edits": []},
                   "tools": [{"type": "web_search_20250305", "name": "web_search"}]}
        resp = self.post("/v1/messages", request, {"anthropic-version": "2023-06-01",
                                                   "anthropic-beta": "context-management-2025-06-27"})
        self.assertEqual(resp.status, 200, resp.body)
        self.assertEqual(resp.body, recorded_body(name))
        sent = self.up.requests[-1]
        self.assertEqual(sent.path, "/v1/messages")
        self.assertEqual(sent.header("anthropic-beta"), "context-management-2025-06-27")
        self.assertEqual(sent.header("x-api-key"), "sk-ant-upstream")
        self.assertEqual(json.loads(sent.body), dict(request, model=name))

    def test_error_inside_a_stream_reaches_each_dialect(self):
        # Groq reports a failed tool call as an error event inside a 200 stream.
        self.start([("groq", "oai", "groq/pydantic__test_tool_use_failed_error_streaming_with_text.0.sse")])
        resp = self.post("/v1/chat/completions", {"model": "groq", "messages": HELLO, "stream": True})
        self.assertEqual(resp.status, 200)
        errors = [data for _, data in sse_events(resp.body) if isinstance(data, dict) and "error" in data]
        self.assertEqual(len(errors), 1, resp.body)
        self.assertTrue(errors[0]["error"]["message"])
        resp = self.post("/v1/messages", {"model": "groq", "max_tokens": 50, "messages": HELLO,
                                          "stream": True})
        names = [name for name, _ in sse_events(resp.body)]
        self.assertIn("error", names)
        self.assertNotIn("message_stop", names)

    def test_stream_cut_short_by_the_provider_ends_with_an_error_event(self):
        def cut(req, conn):
            conn.send("HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nConnection: close\r\n\r\n")
            conn.send(b"data: " + json.dumps({"id": "c1", "object": "chat.completion.chunk", "model": "m",
                                              "choices": [{"index": 0, "delta": {"content": "Hi"}}]}).encode()
                      + b"\n\n")
            return False  # closes the connection: no finish reason, no [DONE]
        self.start([("cut", "oai", "m")], upstream_handler=cut)
        for path, body in (("/v1/chat/completions", {"model": "cut", "messages": HELLO, "stream": True}),
                           ("/v1/messages", {"model": "cut", "max_tokens": 5, "messages": HELLO,
                                             "stream": True})):
            resp = self.post(path, body)
            events = sse_events(resp.body)
            self.assertIn("Hi", resp.body.decode())
            self.assertIn("error", events[-1][1], "the client must learn that the stream is incomplete")
            self.assertNotIn((None, "[DONE]"), events)
            self.assertNotIn("message_stop", [name for name, _ in events])

    def test_errors_in_each_dialect_shape(self):
        self.start()
        resp = self.post("/v1/chat/completions", b"{not json")
        self.assertEqual(resp.status, 400)
        self.assertEqual(json.loads(resp.body)["error"]["type"], "invalid_request_error")
        resp = self.post("/v1/messages", b"{not json")
        self.assertEqual(resp.status, 400)
        body = json.loads(resp.body)
        self.assertEqual(body["type"], "error")
        self.assertEqual(body["error"]["type"], "invalid_request_error")
        resp = self.post("/v1/chat/completions", {"model": "echo"})
        self.assertEqual(resp.status, 400)
        self.assertEqual(json.loads(resp.body)["error"]["param"], "messages")
        resp = self.post("/v1/chat/completions", {"model": "nope", "messages": HELLO})
        self.assertEqual(resp.status, 404)
        self.assertEqual(json.loads(resp.body)["error"]["code"], "model_not_found")
        resp = self.post("/v1/audio/speech", {"model": "echo", "input": "x"})
        self.assertEqual(resp.status, 404)
        self.assertIn("/v1/audio/speech", json.loads(resp.body)["error"]["message"])
        resp = request(self.nx.port, "GET", "/v1/chat/completions")
        self.assertEqual(resp.status, 405)

    def test_filter_errors_reach_each_dialect_in_its_shape(self):
        auth = {"auth": {"api_keys": {"keys": [{"name": "k", "sha256": "0" * 64}]}}}
        self.start(filters=[auth])
        resp = self.post("/v1/messages", {"model": "echo", "max_tokens": 5, "messages": HELLO})
        self.assertEqual(resp.status, 401, resp.body)
        body = json.loads(resp.body)
        self.assertEqual(body["type"], "error")
        self.assertEqual(body["error"]["type"], "authentication_error")
        self.assertIsNotNone(resp.header("www-authenticate"))
        resp = self.post("/v1/chat/completions", {"model": "echo", "messages": HELLO})
        self.assertEqual(resp.status, 401, resp.body)
        self.assertEqual(json.loads(resp.body)["error"]["type"], "authentication_error")
        self.assertEqual(self.up.requests, [])

    def test_provider_unreachable_is_a_502_in_the_dialect(self):
        port = free_port()  # nothing listens there
        cfg = llm_config(free_port(), models=[("down", "down", "m")])
        cfg["providers"]["down"] = {"type": "anthropic", "api_key": "k",
                                    "base_url": f"http://127.0.0.1:{port}/v1"}
        self.nx = self.nexus(cfg)
        resp = self.post("/v1/messages", {"model": "down", "max_tokens": 5, "messages": HELLO})
        self.assertEqual(resp.status, 502, resp.body)
        self.assertEqual(json.loads(resp.body)["type"], "error")

    def test_models_in_both_shapes(self):
        self.start([("claude", "claude", "x")])
        listed = json.loads(request(self.nx.port, "GET", "/v1/models").body)
        self.assertEqual(listed["object"], "list")
        self.assertEqual(sorted(m["id"] for m in listed["data"]), ["claude", "echo"])
        listed = json.loads(request(self.nx.port, "GET", "/v1/models",
                                    {"anthropic-version": "2023-06-01"}).body)
        self.assertEqual([m["type"] for m in listed["data"]], ["model", "model"])
        self.assertFalse(listed["has_more"])
        resp = request(self.nx.port, "GET", "/v1/models/missing")
        self.assertEqual(resp.status, 404)

    def test_echo_tool_call_when_a_tool_is_required(self):
        self.start()
        tools = [{"type": "function", "function": {"name": "lookup", "parameters": {"type": "object"}}}]
        resp = self.post("/v1/chat/completions", {"model": "echo", "messages": HELLO, "tools": tools,
                                                  "tool_choice": "required"})
        self.assertEqual(resp.status, 200, resp.body)
        message = json.loads(resp.body)["choices"][0]["message"]
        call = message["tool_calls"][0]
        self.assertEqual(call["function"]["name"], "lookup")
        self.assertEqual(json.loads(call["function"]["arguments"]), {"echo": "Hello Nexus"})


if __name__ == "__main__":
    unittest.main()
