"""Usage metering on every LLM path: the access log names the model and provider of each LLM
exchange and the tokens the provider reported (input with cache reads and writes inside it,
output with reasoning inside it). A passthrough OpenAI stream asks the provider for usage even
when the client did not, and that client does not get the usage-only chunk."""

import json
import os
import unittest

from harness.llm import llm_config, recorded_body, replay
from nexus_harness import NexusTestCase, free_port, request

HELLO = [{"role": "user", "content": "Hello Nexus"}]
OPENAI_STREAM = "openai/ddtrace__chat_completion_stream_prompt_caching_cache_read.sse"
OPENAI_BODY = "openai/pydantic__test_openai_chat_prompt_cache_e2e.0.json"
ANTHROPIC_STREAM = "anthropic/ddtrace__anthropic_completion_stream_cache_read.sse"
ANTHROPIC_BODY = "anthropic/ddtrace__completion_anthropic.json"
EMBEDDINGS = "openai/ddtrace__embedding_b64.json"
OPENAI_ERROR = "openai/ddtrace__chat_completion_error.json"
TOKENS = ("input_tokens", "output_tokens", "cache_read_tokens", "cache_write_tokens",
          "reasoning_tokens")


def without_usage_chunk(body):
    """The recorded stream minus its usage-only chunk (no choices, a usage object)."""
    kept = []
    for event in body.split(b"\n\n"):
        data = event[len(b"data: "):] if event.startswith(b"data: ") else b""
        if data and data != b"[DONE]":
            chunk = json.loads(data)
            if chunk["choices"] == [] and chunk.get("usage"):
                continue
        kept.append(event)
    return b"\n\n".join(kept)


class LlmUsageTest(NexusTestCase):
    def setUp(self):
        # Streams leave the provider in 7-byte pieces: events are split anywhere.
        self.up = self.upstream(replay(piece_size=7), name="provider")
        self.log_path = os.path.join(self.tmpdir(), "access.log")
        models = [("gpt-stream", "oai", OPENAI_STREAM), ("gpt", "oai", OPENAI_BODY),
                  ("claude-stream", "claude", ANTHROPIC_STREAM), ("claude", "claude", ANTHROPIC_BODY),
                  ("emb", "oai", EMBEDDINGS), ("broken", "oai", OPENAI_ERROR)]
        config = llm_config(free_port(), self.up, models)
        config["logging"]["access_log"] = {"enabled": True, "path": self.log_path}
        self.nx = self.nexus(config)
        self.sent = 0

    def post(self, path, body):
        self.sent += 1
        return request(self.nx.port, "POST", path, {"Content-Type": "application/json"},
                       json.dumps(body).encode(), timeout=10.0)

    def logged(self):
        """The access log line of the last request."""
        return self.wait_json_lines(self.log_path, self.sent)[-1]

    def assert_tokens(self, line, model, provider, **tokens):
        self.assertEqual((line["model"], line["provider"]), (model, provider), line)
        self.assertEqual({k: line[k] for k in TOKENS},
                         dict({k: 0 for k in TOKENS}, **tokens), line)

    def test_passthrough_stream_is_metered_without_the_client_asking(self):
        resp = self.post("/v1/chat/completions", {"model": "gpt-stream", "messages": HELLO,
                                                  "stream": True})
        self.assertEqual(resp.status, 200, resp.body)
        self.assertEqual(json.loads(self.up.requests[-1].body)["stream_options"],
                         {"include_usage": True})
        self.assertEqual(resp.body, without_usage_chunk(recorded_body(OPENAI_STREAM)))
        self.assertNotEqual(resp.body, recorded_body(OPENAI_STREAM))
        self.assert_tokens(self.logged(), "gpt-stream", "oai", input_tokens=1420,
                           output_tokens=100, cache_read_tokens=1280)

    def test_passthrough_stream_keeps_the_usage_chunk_the_client_asked_for(self):
        resp = self.post("/v1/chat/completions", {"model": "gpt-stream", "messages": HELLO,
                                                  "stream": True,
                                                  "stream_options": {"include_usage": True}})
        self.assertEqual(resp.status, 200, resp.body)
        self.assertEqual(resp.body, recorded_body(OPENAI_STREAM))
        self.assert_tokens(self.logged(), "gpt-stream", "oai", input_tokens=1420,
                           output_tokens=100, cache_read_tokens=1280)

    def test_whole_bodies_passed_through_are_metered(self):
        resp = self.post("/v1/chat/completions", {"model": "gpt", "messages": HELLO})
        self.assertEqual(resp.body, recorded_body(OPENAI_BODY))
        self.assert_tokens(self.logged(), "gpt", "oai", input_tokens=4020, output_tokens=4,
                           cache_write_tokens=4012)
        resp = self.post("/v1/messages", {"model": "claude", "max_tokens": 50, "messages": HELLO})
        self.assertEqual(resp.body, recorded_body(ANTHROPIC_BODY))
        # Anthropic's input_tokens leaves the cache out; the logged input has it all.
        self.assert_tokens(self.logged(), "claude", "claude", input_tokens=13, output_tokens=21,
                           cache_read_tokens=1, cache_write_tokens=2)
        resp = self.post("/v1/embeddings", {"model": "emb", "input": "hi"})
        self.assertEqual(resp.status, 200, resp.body)
        self.assert_tokens(self.logged(), "emb", "oai", input_tokens=2)

    def test_translated_answers_are_metered(self):
        resp = self.post("/v1/chat/completions", {"model": "claude", "messages": HELLO})
        self.assertEqual(resp.status, 200, resp.body)
        self.assertEqual(json.loads(resp.body)["usage"]["prompt_tokens"], 13)
        self.assert_tokens(self.logged(), "claude", "claude", input_tokens=13, output_tokens=21,
                           cache_read_tokens=1, cache_write_tokens=2)
        resp = self.post("/v1/chat/completions", {"model": "claude-stream", "messages": HELLO,
                                                  "stream": True})
        self.assertEqual(resp.status, 200, resp.body)
        self.assertNotIn(b'"usage":{', resp.body)  # the client did not ask for it
        self.assert_tokens(self.logged(), "claude-stream", "claude", input_tokens=1042,
                           output_tokens=100, cache_read_tokens=1031)

    def test_echo_is_metered(self):
        resp = self.post("/v1/chat/completions", {"model": "echo", "messages": HELLO})
        usage = json.loads(resp.body)["usage"]
        self.assert_tokens(self.logged(), "echo", "echo", input_tokens=usage["prompt_tokens"],
                           output_tokens=usage["completion_tokens"])

    def test_errors_name_the_model_but_no_tokens(self):
        resp = self.post("/v1/chat/completions", {"model": "broken", "messages": HELLO})
        self.assertGreaterEqual(resp.status, 400)
        line = self.logged()
        self.assertEqual((line["model"], line["provider"]), ("broken", "oai"))
        self.assertNotIn("input_tokens", line)
        resp = self.post("/v1/chat/completions", {"model": "unknown", "messages": HELLO})
        self.assertEqual(resp.status, 404)
        line = self.logged()
        self.assertNotIn("model", line)  # not a configured model
        self.assertNotIn("input_tokens", line)


if __name__ == "__main__":
    unittest.main()
