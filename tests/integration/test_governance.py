"""Governance end to end: virtual keys made through the admin API, admission by limits and
budgets, and the usage ledger, on a real nexus process with its SQLite store, in front of the
test upstream replaying recorded provider answers.

The priced model answers with a recorded Azure OpenAI completion of 10 output tokens; its
deployment costs $0 per input token and $10,000 per million output tokens, so each answer costs
exactly $0.10, and a request with max_tokens 10 reserves exactly $0.10."""

import concurrent.futures
import hashlib
import json
import os
import signal
import sqlite3
import threading
import time
import unittest

from harness.client import ClientConn
from harness.http import Closed
from harness.common import wait_until
from harness.llm import recorded_body, replay
from harness.upstream import gated
from nexus_harness import NexusTestCase, free_port, request
from test_metrics import ops_get, samples, value

ADMIN_KEY = "nexus-admin-test-key"
TEN_TOKENS = "azure/ddtrace__azure_openai_chat_completion_categorical.json"
STREAM = "openai/ddtrace__chat_completion_stream_prompt_caching_cache_read.sse"
CHAT = "/v1/chat/completions"


def governed_config(port, admin_port, upstream, workers=2):
    price = {"input": 0, "output": 10000}
    base = f"http://{upstream.address}/v1"
    return {
        "server": {"listen": [f"127.0.0.1:{port}"], "workers": workers},
        "providers": {
            "echo": {"type": "echo"},
            "oai": {"type": "openai_compatible", "base_url": base, "api_key": "sk-upstream"},
        },
        "models": [
            {"name": "echo", "provider": "echo"},
            {"name": "gpt", "deployments": [{"provider": "oai", "model": TEN_TOKENS,
                                             "price": price}]},
            {"name": "gpt-stream", "deployments": [{"provider": "oai", "model": STREAM,
                                                    "price": price}]},
            # A recorded 401 from OpenAI, at a price with a per-request fee.
            {"name": "gpt-refused", "deployments": [{
                "provider": "oai", "model": "openai/ddtrace__chat_completion_error.json",
                "price": {"input": 100, "output": 10000, "per_request": 0.01}}]},
            # Priced per image too, with a context window that bounds a prompt with media.
            {"name": "gpt-media", "deployments": [{
                "provider": "oai", "model": TEN_TOKENS, "context_window": 10000,
                "price": {"input": 100, "output": 10000, "per_image": 0.05}}]},
        ],
        "routes": [{"match": {"prefix": "/v1/"}, "llm": {}}],
        "logging": {"level": "info", "access_log": {"enabled": False}},
        "governance": {
            "admin": {"listen": f"127.0.0.1:{admin_port}",
                      "key_sha256": hashlib.sha256(ADMIN_KEY.encode()).hexdigest()},
        },
    }


class GovernanceCase(NexusTestCase):
    workers = 2

    def setUp(self):
        self.up = self.upstream(replay(), name="provider")
        self.admin_port = free_port()
        config = governed_config(free_port(), self.admin_port, self.up, self.workers)
        self.nx = self.nexus(self.governance_config(config))
        self.assertTrue(wait_until(lambda: self._admin_up(), 10.0), self.nx.logs())

    def governance_config(self, config):
        """Subclasses share a store and counters between instances here."""
        return config

    def _admin_up(self):
        try:
            return self.admin("GET", "/admin/v1/openapi.json", expect=None).status == 200
        except OSError:
            return False

    def admin(self, method, path, body=None, expect=(200, 201)):
        headers = {"Authorization": f"Bearer {ADMIN_KEY}"}
        data = None
        if body is not None:
            headers["Content-Type"] = "application/json"
            data = json.dumps(body).encode()
        resp = request(self.admin_port, method, path, headers, data, timeout=10.0)
        if expect is not None:
            self.assertIn(resp.status, expect, resp.body)
        return resp

    def make_key(self, team_controls=None, key_fields=None):
        """An organization, a team (with `team_controls`) and a key of that team: its secret."""
        org = self.admin("POST", "/admin/v1/orgs", {"name": f"org-{time.monotonic_ns()}"}).json()
        team = self.admin("POST", "/admin/v1/teams",
                          dict({"org_id": org["id"], "name": "team"}, **(team_controls or {})))
        key = self.admin("POST", "/admin/v1/keys",
                         dict({"name": "k", "team_id": team.json()["id"]}, **(key_fields or {})))
        return key.json()["key"], key.json()["id"], team.json()["id"]

    def chat(self, key, model="gpt", max_tokens=10, path=CHAT, extra_headers=None, port=None,
             **fields):
        headers = {"Content-Type": "application/json"}
        if key is not None:
            headers["Authorization"] = f"Bearer {key}"
        headers.update(extra_headers or {})
        body = dict({"model": model, "max_tokens": max_tokens,
                     "messages": [{"role": "user", "content": "Is this positive?"}]}, **fields)
        return request(port or self.nx.port, "POST", path, headers, json.dumps(body).encode(),
                       timeout=20.0)

    def ledger(self):
        """Every ledger row, read from the store's own file (read-only)."""
        path = os.path.join(self.nx.workdir, "data", "nexus.db")
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
            db.row_factory = sqlite3.Row
            return [dict(row) for row in db.execute("SELECT * FROM usage")]


class VirtualKeyTest(GovernanceCase):
    def test_llm_routes_need_a_valid_virtual_key(self):
        resp = self.chat(None)
        self.assertErrorJson(resp, 401, "authentication_error")
        self.assertIn("virtual key", resp.json()["error"]["message"])
        self.assertErrorJson(self.chat("nx-" + "A" * 43), 401, "authentication_error")
        self.assertErrorJson(self.chat("sk-not-a-virtual-key"), 401, "authentication_error")
        # An Anthropic client hears it in Anthropic's shape.
        resp = request(self.nx.port, "POST", "/v1/messages",
                       {"Content-Type": "application/json", "anthropic-version": "2023-06-01",
                        "x-api-key": "nx-" + "B" * 43},
                       json.dumps({"model": "gpt", "max_tokens": 5,
                                   "messages": [{"role": "user", "content": "hi"}]}).encode())
        self.assertEqual(resp.status, 401, resp.body)
        self.assertEqual(resp.json()["type"], "error")
        self.assertEqual(resp.json()["error"]["type"], "authentication_error")

    def test_a_key_answers_and_its_request_is_in_the_ledger_with_its_cost(self):
        key, key_id, team_id = self.make_key()
        resp = self.chat(key)
        self.assertEqual(resp.status, 200, resp.body)
        request_id = resp.header("x-nexus-request-id")
        self.assertTrue(request_id and request_id.startswith("req_"), resp.headers)
        rows = [r for r in self.ledger() if r["request_id"] == request_id]
        self.assertEqual(len(rows), 1, self.ledger())
        row = rows[0]
        self.assertEqual((row["key_id"], row["team_id"], row["model"], row["provider"]),
                         (key_id, team_id, "gpt", "oai"))
        self.assertEqual((row["input_tokens"], row["output_tokens"]), (20, 10))
        self.assertEqual(row["cost"], 100_000_000)  # $0.10 in nano-dollars
        self.assertEqual((row["status"], row["usage_estimated"]), (200, 0))
        ledger = self.admin("GET", "/admin/v1/ledger").json()
        self.assertGreaterEqual(ledger["records_written"], 1, ledger)
        self.assertEqual((ledger["commit_failures"], ledger["abandoned"]), (0, 0), ledger)
        usage = self.admin("GET", f"/admin/v1/usage?group_by=key&key_id={key_id}").json()
        self.assertEqual(usage["data"][0]["cost_usd"], 0.1, usage)
        self.assertEqual(usage["data"][0]["requests"], 1, usage)

    def test_a_key_lists_and_uses_only_its_models(self):
        key, _, _ = self.make_key(key_fields={"allowed_models": ["gpt"]})
        resp = request(self.nx.port, "GET", "/v1/models", {"Authorization": f"Bearer {key}"})
        self.assertEqual(resp.status, 200, resp.body)
        self.assertEqual([m["id"] for m in resp.json()["data"]], ["gpt"])
        resp = self.chat(key, model="echo")
        self.assertErrorJson(resp, 403, "permission_error")
        self.assertIn("may not use the model echo", resp.json()["error"]["message"])

    def test_a_revoked_key_is_refused_at_once(self):
        key, key_id, _ = self.make_key()
        self.assertEqual(self.chat(key).status, 200)
        self.admin("POST", f"/admin/v1/keys/{key_id}/revoke")
        self.assertErrorJson(self.chat(key), 401, "authentication_error")

    def test_a_rotated_key_keeps_working_for_its_grace_period(self):
        old, key_id, _ = self.make_key()
        rotated = self.admin("POST", f"/admin/v1/keys/{key_id}/rotate", {"grace_period": 3600},
                             expect=(200,))
        new = rotated.json()["key"]
        self.assertNotEqual(new, old)
        self.assertEqual(rotated.json()["id"], key_id, "a rotation keeps the key's id")
        by_new, by_old = self.chat(new), self.chat(old)
        self.assertEqual((by_new.status, by_old.status), (200, 200), (by_new.body, by_old.body))
        ids = {by_new.header("x-nexus-request-id"), by_old.header("x-nexus-request-id")}
        rows = [r for r in self.ledger() if r["request_id"] in ids]
        self.assertEqual([r["key_id"] for r in rows], [key_id, key_id],
                         "both secrets bill the same key")

    def test_a_key_budget_keeps_counting_across_a_rotation(self):
        """A key budget of $0.20 pays for two requests of $0.10: one with the old secret, one
        with the new; a third is refused whichever secret it carries."""
        old, key_id, _ = self.make_key(
            key_fields={"budget": {"hard_usd": 0.2, "period": "total"}})
        first = self.chat(old)
        self.assertEqual(first.status, 200, first.body)
        new = self.admin("POST", f"/admin/v1/keys/{key_id}/rotate", {"grace_period": 3600},
                         expect=(200,)).json()["key"]
        second = self.chat(new)
        self.assertEqual(second.status, 200, second.body)
        third = self.chat(new)
        self.assertErrorJson(third, 402, "insufficient_quota", "budget_exceeded")
        self.assertIn(f"key {key_id}", third.json()["error"]["message"])
        self.assertErrorJson(self.chat(old), 402, "insufficient_quota", "budget_exceeded")
        budget = self.admin("GET", f"/admin/v1/budgets/key/{key_id}").json()
        self.assertEqual(budget["spend_usd"], 0.2, budget)
        usage = self.admin("GET", f"/admin/v1/usage?group_by=key&key_id={key_id}").json()
        self.assertEqual([(r["group"], r["requests"]) for r in usage["data"]], [(key_id, 2)])

    def test_the_replaced_secret_stops_when_its_grace_period_ends(self):
        old, key_id, _ = self.make_key()
        new = self.admin("POST", f"/admin/v1/keys/{key_id}/rotate", {"grace_period": 1},
                         expect=(200,)).json()["key"]
        self.assertTrue(wait_until(lambda: self.chat(old).status == 401, 10.0),
                        "the old secret still works after its grace period")
        resp = self.chat(old)
        self.assertErrorJson(resp, 401, "authentication_error")
        self.assertIn("rotation", resp.json()["error"]["message"])
        self.assertEqual(self.chat(new).status, 200)
        # A rotation without grace ends the replaced secret at once.
        newest = self.admin("POST", f"/admin/v1/keys/{key_id}/rotate", {},
                            expect=(200,)).json()["key"]
        self.assertErrorJson(self.chat(new), 401, "authentication_error")
        self.assertEqual(self.chat(newest).status, 200)

    def test_allowed_ips_refuse_other_addresses(self):
        key, _, _ = self.make_key(key_fields={"allowed_ips": ["10.0.0.0/8"]})
        resp = self.chat(key)
        self.assertErrorJson(resp, 403, "permission_error")
        self.assertIn("127.0.0.1", resp.json()["error"]["message"])


class LimitsTest(GovernanceCase):
    def test_requests_per_minute_admit_exactly_the_limit(self):
        # Up to three tries, in case a wall-clock minute ends in the middle of one.
        for _ in range(3):
            key, _, _ = self.make_key({"limits": {"rpm": 5}})
            minute = int(time.time() // 60)
            statuses = [self.chat(key, model="echo") for _ in range(7)]
            if int(time.time() // 60) != minute:
                continue
            self.assertEqual([r.status for r in statuses], [200] * 5 + [429] * 2,
                             [r.body for r in statuses])
            refused = statuses[5]
            self.assertErrorJson(refused, 429, "rate_limit_error", "rate_limit_exceeded")
            self.assertIn("team ", refused.json()["error"]["message"])
            self.assertIn("5 requests per minute", refused.json()["error"]["message"])
            self.assertTrue(1 <= int(refused.header("retry-after")) <= 60, refused.headers)
            return
        self.fail("three tries crossed a minute boundary")

    def test_max_parallel_bounds_requests_in_flight(self):
        key, _, _ = self.make_key({"limits": {"max_parallel": 2}})
        gate = threading.Event()
        self.up.handler = gated(gate, replay())
        with concurrent.futures.ThreadPoolExecutor(max_workers=6) as pool:
            answers = [pool.submit(self.chat, key) for _ in range(6)]
            # Two reach the provider and wait there; the four others are refused meanwhile.
            self.assertTrue(wait_until(lambda: sum(a.done() for a in answers) == 4, 10.0))
            self.assertEqual(len(self.up.requests), 2)
            gate.set()
            statuses = sorted(a.result().status for a in answers)
        self.assertEqual(statuses, [200, 200, 429, 429, 429, 429])


class BudgetTest(GovernanceCase):
    def race(self):
        """200 concurrent requests on a fresh $1.00 team budget, each reserving and costing
        $0.10: exactly 10 are answered, the others refused 402, and the spend is $1.00."""
        key, _, team_id = self.make_key({"budget": {"hard_usd": 1.0, "period": "total"}})
        barrier = threading.Barrier(200)

        def one(_):
            barrier.wait(timeout=30)
            return self.chat(key)

        with concurrent.futures.ThreadPoolExecutor(max_workers=200) as pool:
            answers = list(pool.map(one, range(200)))
        statuses = [a.status for a in answers]
        self.assertEqual(statuses.count(200), 10, sorted(set(statuses)))
        self.assertEqual(statuses.count(402), 190, sorted(set(statuses)))
        refused = next(a for a in answers if a.status == 402)
        self.assertErrorJson(refused, 402, "insufficient_quota", "budget_exceeded")
        self.assertIn("budget", refused.json()["error"]["message"])
        spent = [r["cost"] for r in self.ledger() if r["team_id"] == team_id]
        self.assertEqual(len(spent), 10)
        self.assertEqual(sum(spent), 1_000_000_000)  # $1.00 exactly, in nano-dollars
        budget = self.admin("GET", f"/admin/v1/budgets/team/{team_id}").json()
        self.assertEqual(budget["spend_usd"], 1.0, budget)
        live = budget["live"]  # nothing is held any more
        self.assertEqual((live["in_flight"], live["reserved_usd"]), (0, 0), budget)

    def test_a_budget_is_never_overspent_under_concurrency(self):
        for _ in range(20):
            self.race()


class MediaTest(GovernanceCase):
    IMAGE = {"type": "image_url", "image_url": {"url": "https://example.com/a.png"}}

    def image_chat(self, key, images, model="gpt-media"):
        content = [{"type": "text", "text": "What is this?"}] + [self.IMAGE] * images
        return self.chat(key, model=model, messages=[{"role": "user", "content": content}])

    def test_a_model_priced_per_image_charges_each_image_of_the_prompt(self):
        key, key_id, _ = self.make_key()
        resp = self.image_chat(key, 2)
        self.assertEqual(resp.status, 200, resp.body)
        rows = [r for r in self.ledger() if r["key_id"] == key_id]
        # 20 input tokens at $100/M, 10 output at $10,000/M, two images at $0.05.
        self.assertEqual([r["cost"] for r in rows], [2_000_000 + 100_000_000 + 100_000_000])

    def test_a_request_the_provider_refused_costs_nothing(self):
        key, key_id, _ = self.make_key()
        resp = self.image_chat(key, 1, model="gpt-refused")
        self.assertGreaterEqual(resp.status, 400, resp.body)
        self.assertTrue(wait_until(lambda: any(r["key_id"] == key_id for r in self.ledger()),
                                   10.0))
        rows = [r for r in self.ledger() if r["key_id"] == key_id]
        self.assertEqual([(r["status"], r["cost"]) for r in rows], [(resp.status, 0)])

    def test_an_image_reserves_the_context_window_not_its_few_bytes(self):
        key, _, _ = self.make_key({"budget": {"hard_usd": 0.5, "period": "total"}})
        # Text only: its bytes bound its tokens (about $0.02 of input) plus $0.10 of output.
        self.assertEqual(self.chat(key, model="gpt-media").status, 200)
        # An image given by URL may be any number of tokens up to the window: 10,000 at $100/M
        # is $1.00 of input, more than the budget holds.
        refused = self.image_chat(key, 1)
        self.assertErrorJson(refused, 402, "insufficient_quota", "budget_exceeded")
        self.assertIn("may cost up to $1.15", refused.json()["error"]["message"])


class DurabilityTest(GovernanceCase):
    def test_a_killed_gateway_loses_no_answered_request(self):
        key, _, _ = self.make_key()
        answered = []
        stop = threading.Event()

        def load():
            while not stop.is_set():
                try:
                    resp = self.chat(key)
                except (OSError, Closed):  # the gateway was killed under it
                    return
                if resp.status == 200:
                    answered.append(resp.header("x-nexus-request-id"))

        threads = [threading.Thread(target=load) for _ in range(8)]
        for t in threads:
            t.start()
        self.assertTrue(wait_until(lambda: len(answered) >= 100, 30.0), len(answered))
        os.kill(self.nx.pid, signal.SIGKILL)
        stop.set()
        for t in threads:
            t.join(timeout=30)
        self.nx.wait_exit(10)
        ids = [r["request_id"] for r in self.ledger()]
        self.assertEqual(len(ids), len(set(ids)))
        missing = set(answered) - set(ids)
        self.assertFalse(missing, f"{len(missing)} of {len(answered)} answered requests lost")
        # Restarted on the same store, the gateway goes on from there.
        self.nx.start()
        self.assertEqual(self.chat(key).status, 200)


def stalled_stream(events):
    """Upstream handler: the recorded OpenAI stream's first `events` events, then nothing until
    Nexus goes away (as a provider generating slowly)."""
    def handler(req, conn):
        head = ("HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
                "Transfer-Encoding: chunked\r\n\r\n")
        conn.send(head)
        for event in recorded_body(STREAM).split(b"\n\n")[:events]:
            piece = event + b"\n\n"
            conn.send(b"%x\r\n%s\r\n" % (len(piece), piece))
        conn.wait_peer_close(10.0)
        return False
    return handler


class StreamBillingTest(GovernanceCase):
    def test_a_stream_the_client_leaves_is_billed_for_what_was_generated(self):
        key, key_id, _ = self.make_key()
        self.up.handler = stalled_stream(6)
        conn = ClientConn(self.nx.port, timeout=10.0)
        body = json.dumps({"model": "gpt-stream", "stream": True, "max_tokens": 100,
                           "messages": [{"role": "user", "content": "hi"}]}).encode()
        conn.send_request("POST", CHAT, {"Content-Type": "application/json",
                                         "Authorization": f"Bearer {key}"}, body)
        received = b""
        conn.sock.settimeout(10.0)
        while received.count(b"data: ") < 5:
            received += conn.sock.recv(65536)
        conn.close()  # the client leaves mid-stream
        self.assertTrue(wait_until(lambda: any(r["key_id"] == key_id for r in self.ledger()),
                                   10.0), self.nx.logs())
        row = next(r for r in self.ledger() if r["key_id"] == key_id)
        self.assertEqual(row["status"], 499, row)
        self.assertEqual(row["usage_estimated"], 1, row)
        self.assertGreater(row["output_tokens"], 0, row)
        self.assertEqual(row["cost"], row["output_tokens"] * 10_000_000, row)  # $0.01 a token


class LlmMetricsTest(GovernanceCase):
    """The LLM and governance families on the ops listener (docs/observability.md)."""

    def governance_config(self, config):
        self.ops_port = free_port()
        config["observability"] = {"listen": f"127.0.0.1:{self.ops_port}"}
        return config

    def scrape(self):
        status, _, body = ops_get(self.ops_port, "/metrics")
        self.assertEqual(status, 200, body)
        return samples(body)

    def test_tokens_durations_cost_and_decisions_are_exported(self):
        key, _, team_id = self.make_key({"budget": {"hard_usd": 0.35, "period": "total"}})
        for _ in range(3):
            self.assertEqual(self.chat(key).status, 200)
        refused = self.chat(key)  # $0.30 spent: another $0.10 cannot be reserved
        self.assertEqual(refused.status, 402, refused.body)
        found = {}

        def settled():
            nonlocal found
            found = self.scrape()
            return (value(found, "nexus_ledger_records_written_total") or 0) >= 3
        self.assertTrue(wait_until(settled, 10.0), found)
        labels = {"gen_ai_provider_name": "oai", "gen_ai_request_model": "gpt"}
        # The recorded answer: 20 prompt tokens and 10 completion tokens, $0.10 each time.
        self.assertEqual(value(found, "gen_ai_client_token_usage_count",
                               gen_ai_token_type="input", **labels), 3)
        self.assertEqual(value(found, "gen_ai_client_token_usage_sum",
                               gen_ai_token_type="input", **labels), 60)
        self.assertEqual(value(found, "gen_ai_client_token_usage_sum",
                               gen_ai_token_type="output", **labels), 30)
        self.assertEqual(value(found, "gen_ai_client_operation_duration_seconds_count",
                               **labels), 3)
        self.assertAlmostEqual(value(found, "nexus_llm_cost_usd_total", model="gpt",
                                     team=team_id), 0.3)
        self.assertEqual(value(found, "nexus_governance_decisions_total", decision="admitted"), 3)
        self.assertEqual(value(found, "nexus_governance_decisions_total",
                               decision="budget_exceeded"), 1)
        self.assertEqual(value(found, "nexus_ledger_pending_records"), 0)
        ready = request(self.ops_port, "GET", "/readyz", {}, None, timeout=5)
        self.assertEqual(ready.status, 200, ready.body)
        self.assertEqual(ready.json()["checks"]["storage"], "ok")
        self.assertEqual(ready.json()["checks"]["models"]["gpt"], {"deployments": 1, "healthy": 1})

    def test_a_stream_has_its_time_to_first_token(self):
        key, _, _ = self.make_key()
        resp = self.chat(key, model="gpt-stream", stream=True,
                         stream_options={"include_usage": True})
        self.assertEqual(resp.status, 200, resp.body)
        labels = {"gen_ai_provider_name": "oai", "gen_ai_request_model": "gpt-stream"}
        found = {}

        def counted():
            nonlocal found
            found = self.scrape()
            return value(found, "gen_ai_server_time_to_first_token_seconds_count", **labels) == 1
        self.assertTrue(wait_until(counted, 10.0), found)
        self.assertEqual(value(found, "gen_ai_client_operation_duration_seconds_count",
                               **labels), 1)
        ttft = value(found, "gen_ai_server_time_to_first_token_seconds_sum", **labels)
        total = value(found, "gen_ai_client_operation_duration_seconds_sum", **labels)
        self.assertTrue(0 < ttft <= total, (ttft, total))


if __name__ == "__main__":
    unittest.main()
