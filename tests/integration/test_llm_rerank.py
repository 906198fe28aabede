"""Rerank through an llm route: POST /v1/rerank in Cohere's API is forwarded to a Cohere
provider's /rerank with only the model replaced, and Cohere's answer (status, body, content type)
comes back as it was written; usage is metered from the answer's meta. There is no recording of
a rerank answer: the test upstream answers in the documented shape (docs.cohere.com, v2/rerank)."""

import hashlib
import json
import os
import unittest

from harness.llm import llm_config, replay
from nexus_harness import NexusTestCase, free_port, request

DOCUMENTS = ["Carson City is the capital city of Nevada.",
             {"text": "Washington, D.C. is the capital of the United States."}]
QUERY = "What is the capital of the United States?"
SEARCH_UNITS_ONLY = {"results": [{"index": 1, "relevance_score": 0.999071},
                                 {"index": 0, "relevance_score": 0.32713068}],
                     "id": "07734bd2-2473-4f07-94e1-0d9f0e6843cf",
                     "meta": {"api_version": {"version": "2", "is_experimental": False},
                              "billed_units": {"search_units": 1}}}
WITH_TOKENS = dict(SEARCH_UNITS_ONLY, meta={"billed_units": {"search_units": 1},
                                            "tokens": {"input_tokens": 42, "output_tokens": 0}})
# Cohere's error body: {"message": ...}.
RATE_LIMITED = {"message": "You are using a Trial key, which is limited to 10 API calls / minute."}
KEY = "sk-nexus-rerank"


def cohere_rerank(req, conn):
    """Cohere's /v2/rerank as documented; the upstream model id picks the answer. Other paths
    are replayed from the recordings."""
    if not req.path.endswith("/rerank"):
        return replay()(req, conn)
    model = json.loads(req.body)["model"]
    if model == "rerank-429":
        conn.respond(429, json.dumps(RATE_LIMITED).encode(),
                     [("Content-Type", "application/json"), ("Retry-After", "7")])
        return True
    answer = WITH_TOKENS if model == "rerank-tokens" else SEARCH_UNITS_ONLY
    # Pretty-printed, with a charset: the bytes and the content type must come back unchanged.
    conn.respond(200, json.dumps(answer, indent=2).encode(),
                 [("Content-Type", "application/json; charset=utf-8")])
    return True


class LlmRerankTest(NexusTestCase):
    def start(self, filters=None):
        self.up = self.upstream(cohere_rerank, name="provider")
        self.log_path = os.path.join(self.tmpdir(), "access.log")
        models = [("rerank", "coh", "rerank-v3.5"), ("rerank-tokens", "coh", "rerank-tokens"),
                  ("rerank-429", "coh", "rerank-429"),
                  ("gpt", "oai", "openai/ddtrace__embedding_b64.json")]
        config = llm_config(free_port(), self.up, models, filters=filters)
        config["logging"]["access_log"] = {"enabled": True, "path": self.log_path}
        self.nx = self.nexus(config)
        self.sent = 0

    def post(self, body, headers=None, path="/v1/rerank"):
        self.sent += 1
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        return request(self.nx.port, "POST", path,
                       dict({"Content-Type": "application/json"}, **(headers or {})), data,
                       timeout=10.0)

    def logged(self):
        return self.wait_json_lines(self.log_path, self.sent)[-1]

    def assert_error(self, resp, status, param):
        self.assertEqual(resp.status, status, resp.body)
        error = json.loads(resp.body)["error"]
        self.assertEqual(error["param"], param, error)
        return error

    def test_forwarded_with_only_the_model_replaced_and_answered_as_cohere_wrote_it(self):
        self.start()
        body = {"model": "rerank", "query": QUERY, "documents": DOCUMENTS, "top_n": 2,
                "return_documents": False, "max_tokens_per_doc": 512, "priority": 1}
        resp = self.post(body)
        self.assertEqual(resp.status, 200, resp.body)
        self.assertEqual(resp.body, json.dumps(SEARCH_UNITS_ONLY, indent=2).encode())
        self.assertEqual(resp.header("content-type"), "application/json; charset=utf-8")
        sent = self.up.requests[-1]
        self.assertEqual((sent.method, sent.target), ("POST", "/v2/rerank"))
        self.assertEqual(sent.header("authorization"), "Bearer co-upstream")
        self.assertEqual(json.loads(sent.body), dict(body, model="rerank-v3.5"))
        # Billed in search units only: the exchange names its model, and no tokens.
        line = self.logged()
        self.assertEqual((line["model"], line["provider"], line["status"]),
                         ("rerank", "coh", 200), line)
        self.assertNotIn("input_tokens", line)

    def test_tokens_cohere_reports_are_metered(self):
        self.start()
        resp = self.post({"model": "rerank-tokens", "query": QUERY, "documents": DOCUMENTS})
        self.assertEqual(resp.status, 200, resp.body)
        self.assertEqual(json.loads(resp.body), WITH_TOKENS)
        line = self.logged()
        self.assertEqual((line["input_tokens"], line["output_tokens"]), (42, 0), line)

    def test_bad_requests(self):
        self.start()
        resp = self.post(b"{not json")
        self.assertEqual(resp.status, 400, resp.body)
        self.assertIn("not a JSON object", json.loads(resp.body)["error"]["message"])
        self.assert_error(self.post({"query": QUERY, "documents": DOCUMENTS}), 400, "model")
        self.assert_error(self.post({"model": "rerank", "documents": DOCUMENTS}), 400, "query")
        self.assert_error(self.post({"model": "rerank", "query": QUERY}), 400, "documents")
        self.assert_error(self.post({"model": "rerank", "query": QUERY, "documents": []}), 400,
                          "documents")
        self.assert_error(self.post({"model": "rerank", "query": QUERY, "documents": ["a", 1]}),
                          400, "documents[1]")
        # An unknown model, as on every llm endpoint: 404 model_not_found.
        error = self.assert_error(self.post({"model": "nope", "query": QUERY,
                                             "documents": DOCUMENTS}), 404, "model")
        self.assertEqual(error["code"], "model_not_found")
        # Models whose provider has no rerank endpoint.
        for model in ("gpt", "echo"):
            error = self.assert_error(self.post({"model": model, "query": QUERY,
                                                 "documents": DOCUMENTS}), 400, "model")
            self.assertIn("does not serve /v1/rerank", error["message"])
        self.assertEqual([r for r in self.up.requests if r.path.endswith("/rerank")], [])
        resp = request(self.nx.port, "GET", "/v1/rerank")
        self.assertEqual(resp.status, 405, resp.body)

    def test_upstream_errors_keep_their_status(self):
        self.start()
        resp = self.post({"model": "rerank-429", "query": QUERY, "documents": DOCUMENTS})
        self.assertEqual(resp.status, 429, resp.body)
        self.assertEqual(resp.header("retry-after"), "7")
        error = json.loads(resp.body)["error"]
        self.assertEqual(error["message"], RATE_LIMITED["message"])
        self.assertEqual(error["type"], "rate_limit_error")

    def test_the_route_filters_apply(self):
        digest = hashlib.sha256(KEY.encode()).hexdigest()
        self.start(filters=[{"auth": {"api_keys": {"keys": [{"name": "k", "sha256": digest}]}}}])
        body = {"model": "rerank", "query": QUERY, "documents": DOCUMENTS}
        resp = self.post(body)
        self.assertEqual(resp.status, 401, resp.body)
        self.assertEqual(self.up.requests, [])
        resp = self.post(body, {"Authorization": "Bearer " + KEY})
        self.assertEqual(resp.status, 200, resp.body)
        # The client's key stays with Nexus; Cohere gets the provider's.
        self.assertEqual(self.up.requests[-1].header("authorization"), "Bearer co-upstream")


if __name__ == "__main__":
    unittest.main()
