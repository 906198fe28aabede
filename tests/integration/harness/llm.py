"""LLM tests: a provider emulated at the network boundary by replaying recorded responses
(../shared/fixtures/providers), and a Nexus config with an llm route in front of it.

The replaying upstream picks the recording from the request itself: the upstream model id *is*
the fixture's path ("anthropic/ddtrace__anthropic_completion_stream.sse"), so each test names
what the provider answers through the `models` of its config. Gemini puts the model in the path
(/v1beta/models/<percent-encoded id>:generateContent), and Bedrock
(/model/<percent-encoded id>/converse), instead of the body. A recorded x-amzn-errortype header
and x-amzn-bedrock-input-token-count are sent too. Status and content type come from
the fixture's INDEX.json; a 429 also carries Retry-After: 7, as providers send it."""

import json
import os
import re
import urllib.parse

from .common import free_port, shared_dir

FIXTURES = os.path.join(shared_dir(), "fixtures", "providers")
RETRY_AFTER = "7"


def fixture_entry(name):
    provider, file = name.split("/", 1)
    with open(os.path.join(FIXTURES, provider, "INDEX.json")) as f:
        for entry in json.load(f):
            if entry["file"] == file:
                return entry
    raise KeyError(name)


def recorded_body(name):
    """The bytes the provider sent: .sse as recorded; .chunks.txt (one data payload per line)
    framed as the provider frames it (Anthropic and Cohere name each event's type)."""
    with open(os.path.join(FIXTURES, name), "rb") as f:
        data = f.read()
    if not name.endswith(".chunks.txt"):
        return data
    named = name.startswith(("anthropic/", "cohere/"))  # events named by their type
    out = b""
    for line in data.splitlines():
        if not line.strip():
            continue
        if named:
            out += b"event: " + json.loads(line)["type"].encode() + b"\n"
        out += b"data: " + line + b"\n\n"
    if not named:
        out += b"data: [DONE]\n\n"
    return out


def replay(piece_size=None):
    """Upstream handler: answers with the fixture named by the request body's model. A stream
    goes out one chunk per event, as providers flush them, or in chunks of `piece_size` bytes
    (events split anywhere)."""
    def handler(req, conn):
        in_path = (re.search(r"/models/([^/:]+):", req.path) or  # Gemini
                   re.search(r"/model/([^/]+)/(?:converse|invoke)", req.path))  # Bedrock
        name = (urllib.parse.unquote(in_path.group(1)) if in_path
                else json.loads(req.body)["model"])
        if "#" in name:  # "<Bedrock model id>#<file in bedrock/>": when the id itself matters
            name = "bedrock/" + name.split("#", 1)[1]
        entry = fixture_entry(name)
        body = recorded_body(name)
        status = entry.get("status", 200)
        headers = [("Content-Type", entry.get("content_type", "application/json"))]
        if status == 429:
            headers.append(("Retry-After", RETRY_AFTER))
        for name in ("x-amzn-errortype", "x-amzn-bedrock-input-token-count"):  # Bedrock's
            if name in entry.get("response_headers", {}):
                headers.append((name, entry["response_headers"][name]))
        if name.endswith((".sse", ".chunks.txt")):
            head = f"HTTP/1.1 {status} OK\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers)
            conn.send(head + "Transfer-Encoding: chunked\r\n\r\n")
            if piece_size:
                pieces = [body[i:i + piece_size] for i in range(0, len(body), piece_size)]
            else:
                end = b"\r\n\r\n" if b"\r\n\r\n" in body else b"\n\n"  # Gemini's framing
                pieces = [event + end for event in body.split(end) if event.strip()]
            for piece in pieces:
                conn.send(b"%x\r\n%s\r\n" % (len(piece), piece))
            conn.send(b"0\r\n\r\n")
            return True
        conn.respond(status, body, headers)
        return True
    return handler


def with_model_list(state, then=None):
    """Upstream handler: answers GET .../models (a provider's model list, what a deployment's
    health_check calls) with state["status"] (200 unless set) and a JSON list, and hands every
    other request to `then` (replay() by default)."""
    then = then or replay()

    def handler(req, conn):
        if req.method == "GET" and req.path.endswith("/models"):
            status = state.get("status", 200)
            body = (json.dumps({"object": "list", "data": [{"id": "m", "object": "model"}]})
                    if status == 200 else '{"error":{"message":"from the test","type":"x"}}')
            conn.respond(status, body.encode(), [("Content-Type", "application/json")])
            return True
        return then(req, conn)
    return handler


def llm_config(port, upstream=None, models=(), filters=None, provider_options=None):
    """A config with the echo provider, and seven providers at `upstream` when given: "oai"
    (OpenAI-compatible), "claude" (Anthropic), "gem" (Gemini), "vx" (Vertex AI), "coh" (Cohere),
    "az" (Azure OpenAI) and "br" (Bedrock). `models`: (name, provider, upstream model)."""
    providers = {"echo": {"type": "echo"}}
    if upstream is not None:
        base = f"http://{upstream.address}/v1"
        providers["oai"] = dict({"type": "openai_compatible", "base_url": base,
                                 "api_key": "sk-upstream"}, **(provider_options or {}))
        providers["claude"] = dict({"type": "anthropic", "base_url": base,
                                    "api_key": "sk-ant-upstream"}, **(provider_options or {}))
        providers["gem"] = dict({"type": "gemini", "base_url": f"http://{upstream.address}/v1beta",
                                 "api_key": "gm-upstream"}, **(provider_options or {}))
        providers["coh"] = dict({"type": "cohere", "base_url": f"http://{upstream.address}/v2",
                                 "api_key": "co-upstream"}, **(provider_options or {}))
        providers["vx"] = dict({"type": "vertex", "project": "test-project",
                                "location": "us-central1", "api_key": "ya29.vertex-token",
                                "base_url": f"http://{upstream.address}"},
                               **(provider_options or {}))
        providers["br"] = dict({"type": "bedrock", "region": "us-east-1",
                                "access_key_id": "AKIDEXAMPLE", "secret_access_key": "secret",
                                "base_url": f"http://{upstream.address}"},
                               **(provider_options or {}))
        providers["az"] = dict({"type": "azure_openai", "api_key": "az-upstream",
                                "base_url": f"http://{upstream.address}/openai"},
                               **(provider_options or {}))
    model_list = [{"name": "echo", "provider": "echo"}]
    model_list += [{"name": n, "provider": p, "model": m} for n, p, m in models]
    route = {"match": {"prefix": "/v1/"}, "llm": {}}
    if filters is not None:
        route["filters"] = filters
    return {
        "server": {"listen": [f"127.0.0.1:{port}"], "workers": 1},
        "providers": providers,
        "models": model_list,
        "routes": [route],
        "logging": {"level": "info", "access_log": {"enabled": True, "path": "stdout"}},
    }
