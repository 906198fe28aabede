"""OpenAI's /v1/embeddings for a Vertex AI model: translated to Vertex's :predict (one call per
text for gemini-embedding models, 250 texts a call for the text-embedding models), the answers
put back together in the inputs' order and written in OpenAI's shape. There is no recording of
Vertex's embeddings: the test upstream answers in the documented shape, a vector made from each
text (its length first) so that the order can be checked."""

import base64
import json
import struct
import unittest

from harness.llm import llm_config
from nexus_harness import NexusTestCase, free_port, request

PREFIX = "/v1/projects/test-project/locations/us-central1/publishers/google/models/"
INVALID = {"error": {"code": 400, "message": "Unable to submit request because the input token "
                     "count is 20001 but the model supports up to 20000.",
                     "status": "INVALID_ARGUMENT"}}


def vertex_predict(req, conn):
    """Vertex AI's :predict for embeddings: one prediction per instance, [len(text), 0.5, ...]
    (outputDimensionality numbers, 3 by default), a token per word."""
    if req.path.endswith("/bad-model:predict"):
        conn.respond(400, json.dumps(INVALID).encode(), [("Content-Type", "application/json")])
        return True
    body = json.loads(req.body)
    size = body.get("parameters", {}).get("outputDimensionality", 3)
    predictions = [{"embeddings": {
        "values": [float(len(i["content"]))] + [0.5] * (size - 1),
        "statistics": {"token_count": float(len(i["content"].split())), "truncated": False}}}
        for i in body["instances"]]
    conn.respond(200, json.dumps({"predictions": predictions,
                                  "metadata": {"billableCharacterCount": 1}}).encode(),
                 [("Content-Type", "application/json")])
    return True


class VertexEmbeddingsTest(NexusTestCase):
    def setUp(self):
        self.up = self.upstream(vertex_predict, name="provider")
        models = [("vx-gemini-emb", "vx", "gemini-embedding-001"),
                  ("vx-text-emb", "vx", "text-embedding-005"), ("vx-bad", "vx", "bad-model")]
        self.nx = self.nexus(llm_config(free_port(), self.up, models))

    def post(self, body):
        return request(self.nx.port, "POST", "/v1/embeddings",
                       {"Content-Type": "application/json"}, json.dumps(body).encode(),
                       timeout=10.0)

    def test_gemini_embedding_one_call_per_text_in_order(self):
        texts = ["alpha", "beta gamma", "delta epsilon zeta"]
        resp = self.post({"model": "vx-gemini-emb", "input": texts, "dimensions": 4,
                          "input_type": "search_query"})
        self.assertEqual(resp.status, 200, resp.body)
        calls = self.up.requests[-3:]
        self.assertEqual(len(self.up.requests), 3)
        for call, text in zip(calls, texts):
            self.assertEqual(call.target, PREFIX + "gemini-embedding-001:predict")
            self.assertEqual(call.header("authorization"), "Bearer ya29.vertex-token")
            self.assertEqual(json.loads(call.body), {
                "instances": [{"content": text, "task_type": "RETRIEVAL_QUERY"}],
                "parameters": {"outputDimensionality": 4}})
        answer = json.loads(resp.body)
        self.assertEqual(answer["object"], "list")
        self.assertEqual(answer["model"], "vx-gemini-emb")
        self.assertEqual([d["index"] for d in answer["data"]], [0, 1, 2])
        self.assertEqual([d["embedding"] for d in answer["data"]],
                         [[float(len(t)), 0.5, 0.5, 0.5] for t in texts])
        self.assertEqual(answer["usage"], {"prompt_tokens": 6, "total_tokens": 6})

    def test_text_embedding_250_texts_a_call_and_base64(self):
        texts = [f"text {i}" + " word" * (i % 3) for i in range(251)]
        resp = self.post({"model": "vx-text-emb", "input": texts, "encoding_format": "base64"})
        self.assertEqual(resp.status, 200, resp.body)
        sizes = [len(json.loads(r.body)["instances"]) for r in self.up.requests]
        self.assertEqual(sizes, [250, 1])
        self.assertEqual(self.up.requests[-1].target, PREFIX + "text-embedding-005:predict")
        self.assertNotIn("parameters", json.loads(self.up.requests[0].body))
        answer = json.loads(resp.body)
        self.assertEqual(len(answer["data"]), 251)
        for i, item in enumerate(answer["data"]):
            self.assertEqual(item["index"], i)
            vector = struct.unpack("<3f", base64.b64decode(item["embedding"]))
            self.assertEqual(vector, (float(len(texts[i])), 0.5, 0.5))
        self.assertEqual(answer["usage"]["prompt_tokens"], sum(len(t.split()) for t in texts))

    def test_vertex_errors_reach_the_client(self):
        resp = self.post({"model": "vx-bad", "input": "x"})
        self.assertEqual(resp.status, 400, resp.body)
        self.assertIn("supports up to 20000", json.loads(resp.body)["error"]["message"])
        resp = self.post({"model": "vx-text-emb", "input": []})
        self.assertEqual(resp.status, 400, resp.body)
        self.assertEqual(self.up.requests[-1].path, PREFIX + "bad-model:predict")


if __name__ == "__main__":
    unittest.main()
