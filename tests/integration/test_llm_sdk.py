"""The official npm SDKs (`openai`, `@anthropic-ai/sdk`) against a real nexus process: the four
translation paths (OpenAI->OpenAI, OpenAI->Anthropic, Anthropic->Anthropic, Anthropic->OpenAI,
both dialects to Gemini and Bedrock, OpenAI to Cohere and Azure OpenAI),
streaming, tool calls, errors, with providers replayed from recordings. The assertions are in
tests/e2e/sdk.test.mjs; this file starts the processes and runs it."""

import hashlib
import os
import subprocess
import unittest

from harness.llm import FIXTURES, llm_config, replay
from nexus_harness import HERE, NexusTestCase, free_port
from test_governance import GovernanceCase

E2E = os.path.join(HERE, "..", "e2e")
KEY = "sk-nexus-e2e"

# Client model name -> (provider, the recording the replaying upstream answers with).
MODELS = {
    "oai-chat": ("oai", "openai/pydantic__test_openai_chat_prompt_cache_e2e.0.json"),
    "oai-tools-stream": ("oai", "openai/ddtrace__completion_stream_with_tools.sse"),
    "oai-401": ("oai", "openai/ddtrace__chat_completion_error.json"),
    "oai-429": ("oai", "openai/vercel__openai-error.1.json"),
    "groq-stream": ("oai", "groq/vercel__groq-text.chunks.txt"),
    "claude-tool": ("claude", "anthropic/ddtrace__anthropic_v1_messages_post_c247d326.json"),
    "claude-stream": ("claude", "anthropic/ddtrace__anthropic_completion_stream.sse"),
    "claude-tool-stream": ("claude", "anthropic/vercel__anthropic-json-tool.2.chunks.txt"),
    "claude-429": ("claude", "anthropic/issue__anthropic-429-rate-limit-account.json"),
    "claude-529": ("claude", "anthropic/issue__anthropic-529-overloaded.json"),
    "emb-b64": ("oai", "openai/ddtrace__embedding_b64.json"),
    "emb-float": ("oai", "openai/vercel__openai-embedding.json"),
    "oai-legacy": ("oai", "openai/vercel__openai-completion-text.json"),
    "gem-chat": ("gem", "google/pydantic__test_google_model.json"),
    "gem-stream": ("gem", "google/pydantic__test_google_model_iter_stream.2.sse"),
    "gem-tool-stream": ("gem", "google/pydantic__test_google_model_iter_stream.0.sse"),
    "gem-404": ("gem", "google/pydantic__test_model_name_suggestion_google.json"),
    "gem-emb": ("gem", "google/pydantic__TestGoogle.test_instrumentation.json"),
    "coh-chat": ("coh", "cohere/pydantic__test_stop_settings_cohere.json"),
    "coh-tool-stream": ("coh", "cohere/vercel__cohere-tool-call.chunks.txt"),
    "coh-emb": ("coh", "cohere/pydantic__TestCohere.test_query.json"),
    "az-chat": ("az", "azure/ddtrace__azure_openai_chat_completion_categorical.json"),
    "az-stream": ("az", "azure/ddtrace__completion_azure_stream.sse"),
    "br-chat": ("br", "bedrock/vercel__amazon-bedrock-text.json"),
    "br-tool-stream": ("br", "bedrock/ddtrace__bedrock_converse_stream.eventstream"),
    "br-thinking-stream": ("br", "bedrock/pydantic__test_bedrock_model_thinking_part_stream.eventstream"),
    "br-403": ("br", "bedrock/ddtrace__bedrock_converse_error.json"),
}


class SdkTest(NexusTestCase):
    def test_official_sdks(self):
        if not os.path.isdir(os.path.join(E2E, "node_modules")):
            self.fail("tests/e2e/node_modules is missing: scripts/setup.sh installs the SDKs")
        upstream = self.upstream(replay(), name="provider")
        auth = {"auth": {"api_keys": {"header": "x-api-key", "keys": [
            {"name": "e2e", "id": "k1", "sha256": hashlib.sha256(KEY.encode()).hexdigest()}]}}}
        models = [(name, provider, fixture) for name, (provider, fixture) in MODELS.items()]
        nx = self.nexus(llm_config(free_port(), upstream, models, filters=[auth]))
        env = dict(os.environ, NEXUS_URL=f"http://127.0.0.1:{nx.port}", NEXUS_FIXTURES=FIXTURES)
        run = subprocess.run(["node", "--test", "--test-reporter=spec", "sdk.test.mjs"], cwd=E2E,
                             env=env, capture_output=True, text=True, timeout=120)
        self.assertEqual(run.returncode, 0, run.stdout[-6000:] + run.stderr[-3000:])
        # Every recording that a test named was asked for, with the upstream's own key.
        asked = {r.body for r in upstream.requests}
        self.assertTrue(all(r.header("authorization") == "Bearer sk-upstream" or
                            r.header("x-api-key") == "sk-ant-upstream" or
                            r.header("x-goog-api-key") == "gm-upstream" or
                            r.header("authorization") == "Bearer co-upstream" or
                            r.header("api-key") == "az-upstream" or
                            (r.header("authorization") or "").startswith(
                                "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/")
                            for r in upstream.requests))
        self.assertGreaterEqual(len(asked), len(MODELS))


class GovernedSdkTest(GovernanceCase):
    """The SDKs with virtual keys (tests/e2e/governance.test.mjs)."""

    def test_official_sdks_with_virtual_keys(self):
        if not os.path.isdir(os.path.join(E2E, "node_modules")):
            self.fail("tests/e2e/node_modules is missing: scripts/setup.sh installs the SDKs")
        key, _, _ = self.make_key(key_fields={"allowed_models": ["echo", "gpt"]})
        spent, _, _ = self.make_key({"budget": {"hard_usd": 0.1, "period": "total"}})
        env = dict(os.environ, NEXUS_URL=f"http://127.0.0.1:{self.nx.port}",
                   NEXUS_VIRTUAL_KEY=key, NEXUS_BUDGET_SPENT_KEY=spent)
        run = subprocess.run(["node", "--test", "--test-reporter=spec", "governance.test.mjs"],
                             cwd=E2E, env=env, capture_output=True, text=True, timeout=120)
        self.assertEqual(run.returncode, 0, run.stdout[-6000:] + run.stderr[-3000:])


if __name__ == "__main__":
    unittest.main()
