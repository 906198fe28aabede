"""No secret reaches a log (docs/observability.md, "Logs"): traffic carrying virtual keys, the
admin key, Authorization and x-api-key headers, provider keys and credentials in URL queries,
answered and refused (401s, upstream errors), with debug logging and the access log on; then
neither stderr, stdout nor the access log file holds any of the secrets."""

import json
import os
import unittest

from harness.common import wait_until
from harness.llm import replay
from harness.upstream import ok
from nexus_harness import free_port, request
from test_governance import ADMIN_KEY, CHAT, TEN_TOKENS, GovernanceCase, governed_config

GEMINI_KEY = "gm-provider-secret-6b1d"
OPENAI_KEY = "sk-provider-secret-41c9"
QUERY_SECRETS = {"key": "q-key-secret-1", "api_key": "q-apikey-secret-2",
                 "access_token": "q-access-secret-3", "token": "q-token-secret-4"}
WRONG_VIRTUAL_KEY = "nx-wrong-virtual-key-secret-77"
WRONG_ADMIN_KEY = "wrong-admin-key-secret-88"
GEMINI_MODEL = "google/pydantic__test_google_model.json"


class LogSecretsTest(GovernanceCase):
    workers = 1

    def governance_config(self, config):
        self.access_log = os.path.join(self.tmpdir(), "access.log")
        self.closed_port = free_port()  # nothing listens: connect refused
        self.plain = self.upstream(ok(b"plain"), name="plain")
        providers = config["providers"]
        providers["oai"]["api_key"] = OPENAI_KEY
        providers["gem"] = {"type": "gemini", "api_key": GEMINI_KEY,
                            "base_url": f"http://{self.up.address}/v1beta"}
        providers["gone"] = {"type": "gemini", "api_key": GEMINI_KEY,
                             "base_url": f"http://127.0.0.1:{self.closed_port}/v1beta"}
        config["models"] += [
            {"name": "gem", "provider": "gem", "model": GEMINI_MODEL},
            {"name": "gem-gone", "provider": "gone", "model": GEMINI_MODEL},
        ]
        config["clusters"] = {"plain": {"endpoints": [self.plain.address]},
                              "gone": {"endpoints": [f"127.0.0.1:{self.closed_port}"]}}
        config["routes"] = [
            {"match": {"prefix": "/plain/"}, "cluster": "plain"},
            {"match": {"prefix": "/gone/"}, "cluster": "gone"},
        ] + config["routes"]
        config["logging"] = {"level": "debug",
                             "access_log": {"enabled": True, "path": self.access_log}}
        return config

    def query(self):
        return "&".join(f"{k}={v}" for k, v in QUERY_SECRETS.items()) + "&x=1"

    def test_no_secret_in_any_log(self):
        secret, _, _ = self.make_key()
        statuses = []
        # A virtual key as a bearer and as x-api-key, answered by OpenAI and Gemini providers.
        statuses.append(self.chat(secret).status)
        statuses.append(self.chat(secret, model="gem").status)
        statuses.append(self.chat(None, extra_headers={"x-api-key": secret}).status)
        statuses.append(self.chat(secret, path=CHAT + "?" + self.query()).status)
        # Refused: an unknown key, no key, an upstream that is gone.
        statuses.append(self.chat(WRONG_VIRTUAL_KEY).status)
        statuses.append(self.chat(None, extra_headers={"x-api-key": WRONG_VIRTUAL_KEY}).status)
        statuses.append(self.chat(secret, model="gem-gone").status)
        # Proxied traffic with credentials in the query and headers, answered and failed.
        auth = {"Authorization": f"Bearer {secret}", "x-api-key": secret}
        statuses.append(request(self.nx.port, "GET", "/plain/a?" + self.query(), auth).status)
        statuses.append(request(self.nx.port, "GET", "/gone/b?" + self.query(), auth).status)
        statuses.append(request(self.nx.port, "GET", "/nowhere?" + self.query(), auth).status)
        # The admin API: the admin key, a wrong one, a virtual key where an admin key belongs.
        self.admin("GET", "/admin/v1/keys")
        for key in (WRONG_ADMIN_KEY, secret):
            resp = request(self.admin_port, "GET", "/admin/v1/orgs?" + self.query(),
                           {"Authorization": f"Bearer {key}"}, timeout=10.0)
            statuses.append(resp.status)
        self.assertIn(200, statuses)
        self.assertIn(401, statuses)
        self.assertIn(502, statuses)

        # Every data-plane request is in the access log (one line each), and the failures in
        # stderr, before the logs are searched.
        self.assertTrue(wait_until(lambda: self.lines() >= 10, 10.0), self.nx.logs())
        self.assertTrue(wait_until(lambda: "request failed" in self.nx.stderr(), 10.0))
        self.assertTrue(wait_until(lambda: "q-key-secret" not in self.everything() and
                                   "key=REDACTED" in self.everything(), 5.0), self.everything())

        text = self.everything()
        secrets = [secret, GEMINI_KEY, OPENAI_KEY, ADMIN_KEY, WRONG_ADMIN_KEY, WRONG_VIRTUAL_KEY,
                   *QUERY_SECRETS.values()]
        for value in secrets:
            self.assertNotIn(value, text, f"{value!r} is in a log")
        # The redacted query keeps its shape: the parameter names and the harmless one.
        paths = [json.loads(x)["path"] for x in self.read(self.access_log).splitlines()]
        self.assertIn("/plain/a?key=REDACTED&api_key=REDACTED&access_token=REDACTED"
                      "&token=REDACTED&x=1", paths)

    def read(self, path):
        try:
            with open(path, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except FileNotFoundError:
            return ""

    def lines(self):
        return len(self.read(self.access_log).splitlines())

    def everything(self):
        return self.nx.stderr() + self.nx.stdout() + self.read(self.access_log)


if __name__ == "__main__":
    unittest.main()
