"""OAuth access tokens fetched by Nexus: Vertex AI with a service account's key (an RS256 JWT
assertion, verified here with the openssl CLI against the public half of a key made at test
time) and Azure OpenAI with Entra client credentials, from a token endpoint served by the test
upstream (token_url points at it). Also Azure's static azure_ad_token. What is checked: the
provider gets `Bearer <fetched token>`, concurrent requests share one fetch, a token near its
expiry is refreshed, and a token endpoint that refuses gives the client a 502 in its dialect."""

import base64
import json
import os
import subprocess
import tempfile
import threading
import unittest
import urllib.parse

from harness.llm import llm_config, replay
from nexus_harness import NexusTestCase, free_port, request, wait_until
from test_llm_vertex_embeddings import vertex_predict

HELLO = [{"role": "user", "content": "Hello Nexus"}]
GEMINI = "google/ddtrace__vertexai_generate_content_score.json"
CLAUDE_STREAM = "anthropic/ddtrace__anthropic_completion_stream.sse"
AZURE_CHAT = "azure/ddtrace__azure_openai_chat_completion_categorical.json"
AZURE_STREAM = "azure/ddtrace__completion_azure_stream.sse"
GOOGLE_TOKEN_URI = "https://oauth2.googleapis.com/token"
JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"


def openssl(*args, **kw):
    subprocess.run(["openssl"] + list(args), check=True, capture_output=True, timeout=60, **kw)


def b64url_decode(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class TokenEndpoint:
    """The token endpoint's side of the test upstream: checks each form body (the JWT's
    signature with `public_pem`, or the client credentials), answers access tokens "tok-1",
    "tok-2", ... valid `expires_in` seconds, or `fail` = (status, body). With `hold` set, an
    answer waits until it is released (at most 10 s)."""

    def __init__(self, directory, public_pem=None, expires_in=3600):
        self.directory, self.public_pem, self.expires_in = directory, public_pem, expires_in
        self.forms, self.problems = [], []
        self.fail = None
        self.hold = None
        self.lock = threading.Lock()

    def count(self):
        with self.lock:
            return len(self.forms)

    def check_jwt(self, assertion):
        header, claims, signature = assertion.split(".")
        data = os.path.join(self.directory, "signed.txt")
        sig = os.path.join(self.directory, "sig.bin")
        with self.lock:  # one verification at a time: the files are shared
            with open(data, "wb") as f:
                f.write(f"{header}.{claims}".encode())
            with open(sig, "wb") as f:
                f.write(b64url_decode(signature))
            verified = subprocess.run(["openssl", "dgst", "-sha256", "-verify", self.public_pem,
                                       "-signature", sig, data], capture_output=True, timeout=30)
        if verified.returncode != 0:
            self.problems.append("signature: " + verified.stdout.decode() + verified.stderr.decode())
        return json.loads(b64url_decode(header)), json.loads(b64url_decode(claims))

    def handle(self, req, conn):
        form = dict(urllib.parse.parse_qsl(req.body.decode()))
        if req.method != "POST" or req.header("content-type") != "application/x-www-form-urlencoded":
            self.problems.append(f"request: {req.method} {req.header('content-type')}")
        decoded = {"form": form}
        if form.get("grant_type") == JWT_BEARER:
            decoded["header"], decoded["claims"] = self.check_jwt(form["assertion"])
        with self.lock:
            self.forms.append(decoded)
            number = len(self.forms)
        if self.hold is not None:
            self.hold.wait(10)
        if self.fail is not None:
            status, body = self.fail
            conn.respond(status, json.dumps(body), [("Content-Type", "application/json")])
            return True
        answer = {"access_token": f"tok-{number}", "expires_in": self.expires_in,
                  "token_type": "Bearer"}
        conn.respond(200, json.dumps(answer), [("Content-Type", "application/json")])
        return True


class LlmOAuthTest(NexusTestCase):
    @classmethod
    def setUpClass(cls):
        cls.keys = tempfile.TemporaryDirectory(prefix="nexus-oauth-")
        cls.private_pem = os.path.join(cls.keys.name, "key.pem")
        cls.public_pem = os.path.join(cls.keys.name, "pub.pem")
        openssl("genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048",
                "-out", cls.private_pem)
        openssl("pkey", "-in", cls.private_pem, "-pubout", "-out", cls.public_pem)

    @classmethod
    def tearDownClass(cls):
        cls.keys.cleanup()

    def key_file(self, token_uri):
        with open(self.private_pem) as f:
            key = {"type": "service_account", "project_id": "test-project",
                   "private_key_id": "kid-test", "private_key": f.read(),
                   "client_email": "nexus@test-project.iam.gserviceaccount.com",
                   "client_id": "1234", "token_uri": token_uri}
        path = os.path.join(self.tmpdir(), "sa.json")
        with open(path, "w") as f:
            json.dump(key, f)
        return path

    def start(self, models, vertex=None, azure=None, expires_in=3600):
        """The test upstream answers /token as the token endpoint, everything else from the
        recordings. `vertex` / `azure`: functions of the token endpoint's URL giving the vx / az
        providers' credentials (in place of api_key)."""
        self.tokens = TokenEndpoint(self.tmpdir(), self.public_pem, expires_in)
        provider_replay = replay()

        def handler(req, conn):
            if req.path == "/token":
                return self.tokens.handle(req, conn)
            if req.path.endswith(":predict"):  # Vertex embeddings: no recording to replay
                return vertex_predict(req, conn)
            return provider_replay(req, conn)

        self.up = self.upstream(handler, name="provider")
        token_url = f"http://{self.up.address}/token"
        config = llm_config(free_port(), self.up, models)
        for name, credentials in (("vx", vertex), ("az", azure)):
            if credentials is not None:
                config["providers"][name].pop("api_key")
                config["providers"][name].update(credentials(token_url))
        self.nx = self.nexus(config)

    def start_vertex(self, expires_in=3600):
        key = self.key_file(GOOGLE_TOKEN_URI)
        self.start([("vx-gemini", "vx", GEMINI), ("vx-claude", "vx", "anthropic/" + CLAUDE_STREAM)],
                   vertex=lambda url: {"credentials_file": key, "token_url": url},
                   expires_in=expires_in)

    def start_azure(self):
        self.start([("az-chat", "az", AZURE_CHAT), ("az-stream", "az", AZURE_STREAM)],
                   azure=lambda url: {"tenant_id": "contoso.onmicrosoft.com",
                                      "client_id": "app-1", "client_secret": "s3cr=t&x",
                                      "token_url": url})

    def token_url(self):
        return f"http://{self.up.address}/token"

    def post(self, path, body):
        return request(self.nx.port, "POST", path, {"Content-Type": "application/json"},
                       json.dumps(body).encode(), timeout=20.0)

    def provider_requests(self):
        return [r for r in self.up.requests if r.path != "/token"]

    def test_vertex_requests_carry_the_service_account_token(self):
        self.start_vertex()
        resp = self.post("/v1/chat/completions", {"model": "vx-gemini", "messages": HELLO})
        self.assertEqual(resp.status, 200, resp.body)
        resp = self.post("/v1/chat/completions", {"model": "vx-claude", "messages": HELLO,
                                                  "stream": True})
        self.assertEqual(resp.status, 200, resp.body)
        resp = self.post("/v1/messages", {"model": "vx-gemini", "max_tokens": 20,
                                          "messages": HELLO})
        self.assertEqual(resp.status, 200, resp.body)
        sent = self.provider_requests()
        self.assertEqual(len(sent), 3)
        for req in sent:
            self.assertEqual(req.header("authorization"), "Bearer tok-1")
        self.assertEqual(self.tokens.count(), 1)  # cached: one fetch for the three
        self.assertEqual(self.tokens.problems, [])
        got = self.tokens.forms[0]
        self.assertEqual(set(got["form"]), {"grant_type", "assertion"})
        self.assertEqual(got["header"], {"alg": "RS256", "typ": "JWT", "kid": "kid-test"})
        claims = got["claims"]
        self.assertEqual(claims["iss"], "nexus@test-project.iam.gserviceaccount.com")
        self.assertEqual(claims["scope"], "https://www.googleapis.com/auth/cloud-platform")
        self.assertEqual(claims["aud"], GOOGLE_TOKEN_URI)  # the key's, not token_url
        self.assertEqual(claims["exp"] - claims["iat"], 3600)

    def test_vertex_embeddings_carry_the_service_account_token(self):
        key = self.key_file(GOOGLE_TOKEN_URI)
        self.start([("vx-emb", "vx", "gemini-embedding-001")],
                   vertex=lambda url: {"credentials_file": key, "token_url": url})
        resp = self.post("/v1/embeddings", {"model": "vx-emb", "input": ["one", "two words"]})
        self.assertEqual(resp.status, 200, resp.body)
        self.assertEqual(len(resp.json()["data"]), 2)
        sent = self.provider_requests()
        self.assertEqual(len(sent), 2)  # gemini-embedding-001: one text per call
        for req in sent:
            self.assertEqual(req.header("authorization"), "Bearer tok-1")
        self.assertEqual(self.tokens.count(), 1)

    def test_key_token_uri_is_the_default_endpoint(self):
        # No token_url: the key's token_uri (the upstream's here) is where tokens come from.
        self.start([("vx-gemini", "vx", GEMINI)],
                   vertex=lambda url: {"credentials_file": self.key_file(url)})
        resp = self.post("/v1/chat/completions", {"model": "vx-gemini", "messages": HELLO})
        self.assertEqual(resp.status, 200, resp.body)
        self.assertEqual(self.provider_requests()[-1].header("authorization"), "Bearer tok-1")
        self.assertEqual(self.tokens.forms[0]["claims"]["aud"], self.token_url())
        self.assertEqual(self.tokens.problems, [])

    def test_concurrent_requests_share_one_fetch(self):
        self.start_vertex()
        self.tokens.hold = threading.Event()
        results = []

        def one():
            results.append(self.post("/v1/chat/completions",
                                     {"model": "vx-gemini", "messages": HELLO}))

        threads = [threading.Thread(target=one) for _ in range(8)]
        for thread in threads:
            thread.start()
        # The first request's fetch is held at the endpoint while the others arrive.
        self.assertTrue(wait_until(lambda: self.tokens.count() >= 1, 10))
        self.tokens.hold.set()
        for thread in threads:
            thread.join(30)
        self.assertEqual([r.status for r in results], [200] * 8, [r.body[:200] for r in results])
        self.assertEqual(self.tokens.count(), 1)
        self.assertEqual({r.header("authorization") for r in self.provider_requests()},
                         {"Bearer tok-1"})

    def test_token_near_expiry_is_refreshed(self):
        # expires_in 2 s: refreshed once less than a second is left (half the lifetime).
        self.start_vertex(expires_in=2)
        resp = self.post("/v1/chat/completions", {"model": "vx-gemini", "messages": HELLO})
        self.assertEqual(resp.status, 200, resp.body)
        self.assertEqual(self.provider_requests()[-1].header("authorization"), "Bearer tok-1")

        def refreshed():
            resp = self.post("/v1/chat/completions", {"model": "vx-gemini", "messages": HELLO})
            return resp.status == 200 and \
                self.provider_requests()[-1].header("authorization") == "Bearer tok-2"

        self.assertTrue(wait_until(refreshed, timeout=10, interval=0.1))
        self.assertEqual(self.tokens.count(), 2)
        self.assertEqual(self.tokens.problems, [])

    def test_token_endpoint_error_is_a_502_in_each_dialect(self):
        self.start_vertex()
        self.tokens.fail = (400, {"error": "invalid_grant",
                                  "error_description": "Invalid JWT Signature."})
        resp = self.post("/v1/chat/completions", {"model": "vx-gemini", "messages": HELLO})
        err = self.assertErrorJson(resp, 502)
        for part in ("provider 'vx'", self.token_url(), "400", "invalid_grant",
                     "Invalid JWT Signature."):
            self.assertIn(part, err["message"])
        resp = self.post("/v1/messages", {"model": "vx-claude", "max_tokens": 20,
                                          "messages": HELLO, "stream": True})
        self.assertEqual(resp.status, 502, resp.body)
        body = json.loads(resp.body)
        self.assertEqual(body["type"], "error")
        self.assertIn("invalid_grant", body["error"]["message"])
        self.assertEqual(self.provider_requests(), [])  # nothing reached the provider
        # Once the endpoint answers again, so does the provider.
        self.tokens.fail = None
        resp = self.post("/v1/chat/completions", {"model": "vx-gemini", "messages": HELLO})
        self.assertEqual(resp.status, 200, resp.body)

    def test_unreachable_token_endpoint_is_a_502(self):
        key = self.key_file(GOOGLE_TOKEN_URI)
        closed = free_port()
        self.start([("vx-gemini", "vx", GEMINI)],
                   vertex=lambda url: {"credentials_file": key,
                                       "token_url": f"http://127.0.0.1:{closed}/token"})
        resp = self.post("/v1/chat/completions", {"model": "vx-gemini", "messages": HELLO})
        err = self.assertErrorJson(resp, 502)
        self.assertIn(f"127.0.0.1:{closed}/token", err["message"])

    def test_azure_client_credentials(self):
        self.start_azure()
        # Passthrough (OpenAI client) and translated (Anthropic client, streamed).
        resp = self.post("/v1/chat/completions", {"model": "az-chat", "messages": HELLO})
        self.assertEqual(resp.status, 200, resp.body)
        resp = self.post("/v1/messages", {"model": "az-stream", "max_tokens": 20,
                                          "messages": HELLO, "stream": True})
        self.assertEqual(resp.status, 200, resp.body)
        # Forwarded endpoints (embeddings, completions) too: the recording only stands in for
        # an answer here, what matters is the request's authentication.
        resp = self.post("/v1/embeddings", {"model": "az-chat", "input": "hello"})
        self.assertEqual(resp.status, 200, resp.body)
        self.assertTrue(self.provider_requests()[-1].target.startswith(
            "/openai/deployments/" + urllib.parse.quote(AZURE_CHAT, safe="") + "/embeddings?"))
        self.assertEqual(len(self.provider_requests()), 3)
        for req in self.provider_requests():
            self.assertEqual(req.header("authorization"), "Bearer tok-1")
            self.assertIsNone(req.header("api-key"))
        self.assertEqual(self.tokens.count(), 1)
        self.assertEqual(self.tokens.forms[0]["form"], {
            "grant_type": "client_credentials", "client_id": "app-1", "client_secret": "s3cr=t&x",
            "scope": "https://cognitiveservices.azure.com/.default"})

    def test_azure_token_endpoint_error(self):
        self.start_azure()
        self.tokens.fail = (401, {"error": "invalid_client",
                                  "error_description": "AADSTS7000215: Invalid client secret."})
        resp = self.post("/v1/chat/completions", {"model": "az-chat", "messages": HELLO})
        err = self.assertErrorJson(resp, 502)
        self.assertIn("provider 'az'", err["message"])
        self.assertIn("401: invalid_client: AADSTS7000215", err["message"])
        resp = self.post("/v1/messages", {"model": "az-chat", "max_tokens": 20, "messages": HELLO})
        self.assertEqual(resp.status, 502, resp.body)
        self.assertIn("invalid_client", json.loads(resp.body)["error"]["message"])

    def test_azure_static_entra_token(self):
        self.start([("az-chat", "az", AZURE_CHAT)],
                   azure=lambda url: {"azure_ad_token": "eyJ0.entra"})
        resp = self.post("/v1/chat/completions", {"model": "az-chat", "messages": HELLO})
        self.assertEqual(resp.status, 200, resp.body)
        sent = self.provider_requests()[-1]
        self.assertEqual(sent.header("authorization"), "Bearer eyJ0.entra")
        self.assertIsNone(sent.header("api-key"))
        self.assertEqual(self.tokens.count(), 0)


if __name__ == "__main__":
    unittest.main()
