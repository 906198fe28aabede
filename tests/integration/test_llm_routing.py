"""Model groups on the LLM route: deployments chosen by strategy, failover between them and to
fallback groups, context-window fallbacks, capability filtering, A/B splits, the 429 and 401
reactions, rpm limits, and the x-nexus-* headers. Each deployment's provider is a replaying
test upstream behind its own fault proxy (the chaos harness), so faults hit one deployment."""

import json
import threading
import time
import unittest
from collections import Counter

from harness.fault_proxy import Fault, FaultProxy
from harness.llm import replay, with_model_list
from nexus_harness import NexusTestCase, free_port, request, wait_until

OK = "openai/pydantic__test_openai_chat_prompt_cache_e2e.0.json"  # answers "OK"
STREAM = "openai/vercel__openai-text.chunks.txt"
CLAUDE = "anthropic/ddtrace__completion_anthropic.json"
HELLO = [{"role": "user", "content": "Hello Nexus"}]
CONTEXT_ERROR = (b'{"error":{"message":"This model\'s maximum context length is 50 tokens.",'
                 b'"type":"invalid_request_error","param":"messages",'
                 b'"code":"context_length_exceeded"}}')


class RoutingTestCase(NexusTestCase):
    def deployment_providers(self, names, kind="openai_compatible", handler=None):
        """One replaying upstream behind a fault proxy per provider name (`handler(name)`: the
        upstream's handler instead of replay())."""
        self.proxies = getattr(self, "proxies", {})
        self.upstreams = getattr(self, "upstreams", {})
        providers = {}
        for name in names:
            up = self.upstream(handler(name) if handler else replay(), name=name)
            proxy = FaultProxy(up.address)
            self.addCleanup(proxy.stop)
            self.proxies[name], self.upstreams[name] = proxy, up
            base = f"http://{proxy.address}/v1"
            key = "sk-ant-" + name if kind == "anthropic" else "sk-" + name
            providers[name] = {"type": kind, "base_url": base, "api_key": key}
        return providers

    def start(self, providers, models, timeouts=None, workers=1, observability=None,
              **route_options):
        route = dict({"match": {"prefix": "/v1/"}, "llm": {}}, **route_options)
        if timeouts:
            route["timeouts"] = timeouts
        config = {"server": {"listen": [f"127.0.0.1:{free_port()}"], "workers": workers},
                  "providers": providers, "models": models, "routes": [route],
                  "logging": {"level": "info", "access_log": {"enabled": False}}}
        if observability:
            config["observability"] = observability
        self.nx = self.nexus(config)

    def chat(self, model, messages=HELLO, **fields):
        body = dict({"model": model, "messages": messages}, **fields)
        return request(self.nx.port, "POST", "/v1/chat/completions",
                       {"content-type": "application/json", "authorization": "Bearer sk-client"},
                       json.dumps(body).encode(), timeout=15)

    def served_by(self, response):
        return response.header("x-nexus-provider")


class FailoverTest(RoutingTestCase):
    def test_a_down_provider_fails_over_within_the_request(self):
        providers = self.deployment_providers(["a", "b"])
        self.proxies["a"].down()
        self.start(providers, [{"name": "gpt", "strategy": "round_robin", "deployments": [
            {"provider": "a", "model": OK}, {"provider": "b", "model": OK}]}])
        responses = [self.chat("gpt") for _ in range(10)]
        self.assertEqual([r.status for r in responses], [200] * 10)
        self.assertEqual({self.served_by(r) for r in responses}, {"b"})
        first = responses[0]
        self.assertEqual(first.header("x-nexus-attempts"), "2")  # a refused, then b
        self.assertEqual(first.header("x-nexus-model"), OK)
        self.assertEqual(json.loads(first.body)["choices"][0]["message"]["content"], "OK")
        # After 5 failures in a row a's breaker is open: the later requests go to b at once.
        self.assertEqual(responses[-1].header("x-nexus-attempts"), "1")

    def test_mostly_failing_deployment_is_broken_out_and_recovers_when_healed(self):
        providers = self.deployment_providers(["a", "b"])
        self.proxies["a"].set(Fault.error(500), share=0.8)
        self.start(providers, [{"name": "gpt", "strategy": "round_robin",
                                "circuit_breaker": {"consecutive_failures": 3,
                                                    "failure_percent": 50, "min_requests": 5,
                                                    "cool_down": "1s", "close_after": 2},
                                "deployments": [{"provider": "a", "model": OK},
                                                {"provider": "b", "model": OK}]}])
        statuses = [self.chat("gpt").status for _ in range(20)]
        self.assertEqual(statuses, [200] * 20)  # every failure of a was failed over to b
        errors = self.proxies["a"].count("error")
        more = [self.served_by(self.chat("gpt")) for _ in range(10)]
        self.assertEqual(more, ["b"] * 10)  # open: nothing goes to a
        self.assertEqual(self.proxies["a"].count("error"), errors)
        self.proxies["a"].clear()
        self.proxies["a"].drop_connections()
        healed = time.monotonic()
        back = wait_until(lambda: self.served_by(self.chat("gpt")) == "a", timeout=5)
        self.assertTrue(back, "the healed deployment got no traffic back")
        print(f"\nLLM breaker: the healed deployment served again "
              f"{(time.monotonic() - healed) * 1000:.0f} ms after healing (cool_down 1 s)",
              flush=True)

    def test_5xx_fails_over_and_every_deployment_down_is_a_clean_503(self):
        providers = self.deployment_providers(["a", "b"])
        self.proxies["a"].set(Fault.error(500))
        self.start(providers, [{"name": "gpt", "strategy": "round_robin", "deployments": [
            {"provider": "a", "model": OK}, {"provider": "b", "model": OK}]}])
        r = self.chat("gpt")
        self.assertEqual((r.status, self.served_by(r), r.header("x-nexus-attempts")),
                         (200, "b", "2"))
        self.proxies["b"].set(Fault.error(502))
        self.proxies["b"].drop_connections()
        r = self.chat("gpt")
        self.assertIn(r.status, (500, 502), r.body)  # the last failure, in OpenAI's shape
        self.assertIn("error", json.loads(r.body))
        self.assertEqual(r.header("x-nexus-attempts"), "2")

    def test_route_fallback_response_stands_in_when_no_provider_can_be_reached(self):
        providers = self.deployment_providers(["a", "b"])
        self.proxies["a"].down()
        self.proxies["b"].set(Fault.error(500))
        fallback = {"status": 200, "body": '{"choices":[{"message":{"content":"Busy, sorry"}}]}'}
        self.start(providers, [{"name": "down", "provider": "a", "model": OK},
                               {"name": "failing", "provider": "b", "model": OK}],
                   fallback_response=fallback)
        r = self.chat("down")
        self.assertEqual((r.status, r.header("x-nexus-fallback")), (200, "upstream_connect_failed"))
        self.assertIn(b"Busy, sorry", r.body)
        self.assertEqual(r.header("x-nexus-provider"), "a")
        failing = self.chat("failing")  # the provider's own answer is never replaced
        self.assertEqual((failing.status, failing.header("x-nexus-fallback")), (500, None))

    def test_fallback_chain_reaches_another_model_group_in_another_dialect(self):
        providers = self.deployment_providers(["a"])
        providers.update(self.deployment_providers(["claude"], kind="anthropic"))
        self.proxies["a"].down()
        self.start(providers, [
            {"name": "gpt", "provider": "a", "model": OK, "fallbacks": ["sonnet"]},
            {"name": "sonnet", "provider": "claude", "model": CLAUDE}])
        r = self.chat("gpt")
        self.assertEqual(r.status, 200, r.body)
        self.assertEqual((self.served_by(r), r.header("x-nexus-model")), ("claude", CLAUDE))
        body = json.loads(r.body)
        self.assertEqual(body["object"], "chat.completion")  # translated to the client's API
        self.assertEqual(self.upstreams["claude"].requests[-1].path, "/v1/messages")

    def test_4xx_from_the_provider_is_not_retried(self):
        providers = self.deployment_providers(["a", "b"])
        self.proxies["a"].set(Fault.error(400, body=b'{"error":{"message":"bad temperature",'
                                                    b'"type":"invalid_request_error"}}'))
        self.start(providers, [{"name": "gpt", "strategy": "round_robin", "deployments": [
            {"provider": "a", "model": OK}, {"provider": "b", "model": OK}]}])
        r = self.chat("gpt")
        self.assertEqual(r.status, 400)
        self.assertEqual(json.loads(r.body)["error"]["message"], "bad temperature")
        self.assertEqual(r.header("x-nexus-attempts"), "1")
        self.assertEqual(self.upstreams["b"].count(), 0)

    def test_retry_budget_bounds_failovers_when_everything_fails(self):
        providers = self.deployment_providers(["a", "b", "c"])
        for name in ("a", "b", "c"):
            self.proxies[name].set(Fault.error(503))
        self.start(providers, [{"name": "gpt", "circuit_breaker": False,
                                "retry_budget": {"percent": 20, "min_per_second": 0},
                                "deployments": [{"provider": n, "model": OK}
                                                for n in ("a", "b", "c")]}])
        statuses = [self.chat("gpt").status for _ in range(20)]
        self.assertEqual(statuses, [503] * 20)
        attempts = sum(self.proxies[n].count("error") for n in ("a", "b", "c"))
        # 20 first attempts, and failovers up to 20 % of them: not 60 attempts.
        self.assertEqual(attempts, 24, attempts)


class ProviderSignalsTest(RoutingTestCase):
    def test_429_rests_the_deployment_for_its_retry_after(self):
        providers = self.deployment_providers(["a", "b"])
        self.proxies["a"].set(Fault.error(429, headers=[("Retry-After", "1")]))
        self.start(providers, [{"name": "gpt", "strategy": "round_robin", "deployments": [
            {"provider": "a", "model": OK}, {"provider": "b", "model": OK}]}])
        served = [self.served_by(self.chat("gpt")) for _ in range(6)]
        self.assertEqual(served, ["b"] * 6)
        self.assertEqual(self.proxies["a"].count("error"), 1, "a was asked again while resting")
        self.proxies["a"].clear()
        back = wait_until(lambda: self.served_by(self.chat("gpt")) == "a", timeout=5)
        self.assertTrue(back, "a got no traffic after its Retry-After passed")

    def test_401_marks_the_deployment_misconfigured_and_says_so_in_the_log(self):
        providers = self.deployment_providers(["a", "b"])
        self.start(providers, [{"name": "gpt", "strategy": "round_robin", "deployments": [
            {"provider": "a", "model": "openai/ddtrace__chat_completion_error.json"},
            {"provider": "b", "model": OK}]}])
        served = [self.served_by(self.chat("gpt")) for _ in range(5)]
        self.assertEqual(served, ["b"] * 5)
        self.assertEqual(self.upstreams["a"].count(), 1, "a misconfigured key was tried again")
        logged = wait_until(lambda: "refused Nexus's credentials" in self.nx.stderr())
        self.assertTrue(logged)

    def test_context_length_error_moves_to_the_context_fallback(self):
        providers = self.deployment_providers(["small", "big"])
        self.proxies["small"].set(Fault.error(400, body=CONTEXT_ERROR))
        self.start(providers, [
            {"name": "gpt", "provider": "small", "model": OK, "context_fallback": "gpt-long"},
            {"name": "gpt-long", "provider": "big", "model": OK}])
        r = self.chat("gpt")
        self.assertEqual((r.status, self.served_by(r), r.header("x-nexus-attempts")),
                         (200, "big", "2"))


class CapabilitiesTest(RoutingTestCase):
    def test_too_long_for_the_context_window_goes_to_the_context_fallback_first(self):
        providers = self.deployment_providers(["small", "big"])
        self.start(providers, [
            {"name": "gpt", "provider": "small", "model": OK, "context_window": 50,
             "context_fallback": "gpt-long"},
            {"name": "gpt-long", "provider": "big", "model": OK, "context_window": 100000}])
        short = self.chat("gpt")
        self.assertEqual(self.served_by(short), "small")
        long = self.chat("gpt", [{"role": "user", "content": "word " * 400}])
        self.assertEqual((long.status, self.served_by(long)), (200, "big"))
        self.assertEqual(self.upstreams["small"].count(), 1, "the long request reached small")

    def test_deployments_that_cannot_serve_a_request_are_passed_over(self):
        providers = self.deployment_providers(["text", "vision"])
        self.start(providers, [
            {"name": "gpt", "strategy": "round_robin", "deployments": [
                {"provider": "text", "model": OK, "vision": False},
                {"provider": "vision", "model": OK}]},
            {"name": "no-tools", "provider": "text", "model": OK, "tools": False}])
        image = [{"role": "user", "content": [
            {"type": "text", "text": "what is this?"},
            {"type": "image_url", "image_url": {"url": "https://example.com/a.png"}}]}]
        served = {self.served_by(self.chat("gpt", image)) for _ in range(4)}
        self.assertEqual(served, {"vision"})
        tools = [{"type": "function", "function": {"name": "f", "parameters": {}}}]
        r = self.chat("no-tools", tools=tools)
        err = self.assertErrorJson(r, 400)
        self.assertIn("needs tools", err["message"])


class StrategiesTest(RoutingTestCase):
    def test_weighted_split_follows_the_weights(self):
        providers = self.deployment_providers(["a", "b"])
        self.start(providers, [{"name": "gpt", "deployments": [
            {"provider": "a", "model": OK, "weight": 3}, {"provider": "b", "model": OK}]}])
        served = Counter(self.served_by(self.chat("gpt")) for _ in range(200))
        self.assertTrue(120 <= served["a"] <= 180, served)  # 150 expected

    def test_cost_picks_the_cheapest_unless_it_is_over_the_latency_ceiling(self):
        providers = self.deployment_providers(["cheap", "dear"])
        self.start(providers, [{"name": "gpt", "strategy": "cost", "latency_ceiling": "150ms",
                                "deployments": [
                                    {"provider": "dear", "model": OK,
                                     "price": {"input": 5, "output": 15}},
                                    {"provider": "cheap", "model": OK,
                                     "price": {"input": 0.15, "output": 0.6}}]}])
        self.assertEqual({self.served_by(self.chat("gpt")) for _ in range(5)}, {"cheap"})
        self.proxies["cheap"].set(Fault.latency(0.6))  # one answer lifts its average over 150 ms
        self.proxies["cheap"].drop_connections()
        slow = self.chat("gpt")  # cheap is still the pick until its latency is measured
        self.assertEqual(self.served_by(slow), "cheap")
        served = [self.served_by(self.chat("gpt")) for _ in range(5)]
        self.assertEqual(served, ["dear"] * 5)

    def test_least_latency_moves_traffic_away_from_a_slow_deployment(self):
        providers = self.deployment_providers(["a", "b"])
        self.start(providers, [{"name": "gpt", "strategy": "least_latency", "exploration": 0.1,
                                "deployments": [{"provider": "a", "model": OK},
                                                {"provider": "b", "model": OK}]}])

        def slow_down(name, delay):
            self.proxies[name].set(Fault.latency(delay) if delay else Fault.passthrough())
            self.proxies[name].drop_connections()

        def share_of(name, count):
            return [self.served_by(self.chat("gpt")) for _ in range(count)].count(name) / count

        slow_down("b", 0.05)
        self.assertGreaterEqual(share_of("a", 30), 0.8)  # b is slower: a gets the traffic
        slow_down("b", 0)
        slow_down("a", 0.1)
        slowed = time.monotonic()
        recent = []

        def shifted():
            recent.append(self.served_by(self.chat("gpt")))
            return len(recent) >= 20 and recent[-20:].count("b") >= 16

        self.assertTrue(wait_until(shifted, timeout=10, interval=0))
        took = time.monotonic() - slowed
        self.assertLess(took, 5.0, f"traffic moved to b only after {took:.2f} s")
        print(f"\nleast_latency: 80 % of traffic on the fast deployment {took:.2f} s after the "
              f"other turned slow", flush=True)

    def test_usage_strategy_keeps_each_deployment_under_its_rpm(self):
        providers = self.deployment_providers(["a", "b"])
        self.start(providers, [{"name": "gpt", "strategy": "usage", "deployments": [
            {"provider": "a", "model": OK, "rpm": 3}, {"provider": "b", "model": OK, "rpm": 5}]}])
        responses = [self.chat("gpt") for _ in range(10)]
        served = Counter(self.served_by(r) for r in responses if r.status == 200)
        self.assertEqual((served["a"], served["b"]), (3, 5))
        self.assertEqual([r.status for r in responses[8:]], [429, 429])
        self.assertIn("per minute limit", json.loads(responses[-1].body)["error"]["message"])

    def test_a_b_split_is_sticky_per_user_and_follows_the_percentages(self):
        providers = self.deployment_providers(["a", "b"])
        self.start(providers, [
            {"name": "gpt", "split": [{"model": "gpt-a", "percent": 70},
                                      {"model": "gpt-b", "percent": 30}]},
            {"name": "gpt-a", "provider": "a", "model": OK},
            {"name": "gpt-b", "provider": "b", "model": OK}])
        variants = {}
        for user in range(60):
            r = self.chat("gpt", user=f"user-{user}")
            variants[user] = r.header("x-nexus-variant")
            self.assertEqual(self.served_by(r), {"gpt-a": "a", "gpt-b": "b"}[variants[user]])
        for user in range(0, 60, 7):  # the same user, the same variant
            self.assertEqual(self.chat("gpt", user=f"user-{user}").header("x-nexus-variant"),
                             variants[user])
        share = Counter(variants.values())["gpt-a"] / 60
        self.assertTrue(0.5 <= share <= 0.9, share)


class StreamsTest(RoutingTestCase):
    def stream(self, model):
        body = {"model": model, "messages": HELLO, "stream": True}
        return request(self.nx.port, "POST", "/v1/chat/completions",
                       {"content-type": "application/json"}, json.dumps(body).encode(), timeout=15)

    def test_no_first_token_in_time_fails_over_before_the_client_saw_anything(self):
        providers = self.deployment_providers(["a", "b"])
        self.proxies["a"].set(Fault.blackhole())
        self.start(providers, [{"name": "gpt", "strategy": "round_robin", "deployments": [
            {"provider": "a", "model": STREAM}, {"provider": "b", "model": STREAM}]}],
            timeouts={"first_byte": "300ms"})
        r = self.stream("gpt")
        self.assertEqual((r.status, self.served_by(r), r.header("x-nexus-attempts")),
                         (200, "b", "2"))
        self.assertTrue(r.body.rstrip().endswith(b"data: [DONE]"), r.body[-200:])

    def test_a_stream_cut_after_its_first_token_ends_with_an_error_and_is_not_repeated(self):
        providers = self.deployment_providers(["a", "b"])
        self.start(providers, [{"name": "gpt", "strategy": "round_robin", "deployments": [
            {"provider": "a", "model": STREAM}, {"provider": "b", "model": STREAM}]}])
        whole = self.stream("gpt")  # from a: round robin starts there
        self.assertEqual(self.served_by(whole), "a")
        self.proxies["a"].set(Fault.truncate(after=1100))  # the head and the first tokens
        self.proxies["a"].drop_connections()
        self.stream("gpt")  # b's turn
        r = self.stream("gpt")
        self.assertEqual((r.status, self.served_by(r), r.header("x-nexus-attempts")),
                         (200, "a", "1"))
        events = [line for line in r.body.split(b"\n") if line.startswith(b"data:")]
        self.assertIn(b'"error"', events[-1])  # the client learns why the stream ends
        text, whole_text = content_of(r.body), content_of(whole.body)
        self.assertTrue(text and whole_text.startswith(text) and len(text) < len(whole_text),
                        (text, whole_text[:80]))  # the start of the answer, once
        self.assertEqual(self.upstreams["b"].count(), 1, "the cut stream was sent again to b")


def content_of(body):
    """The text of an OpenAI stream's content deltas, in order."""
    text = ""
    for line in body.split(b"\n"):
        if line.startswith(b"data: {"):
            event = json.loads(line[6:])
            for choice in event.get("choices", []):
                text += choice.get("delta", {}).get("content") or ""
    return text


class TimeoutsAndLimitsTest(RoutingTestCase):
    def test_adaptive_first_byte_timeout_fails_over_after_a_few_times_the_usual_latency(self):
        providers = self.deployment_providers(["a", "b"])
        self.start(providers, [
            {"name": "gpt", "provider": "a", "model": OK, "fallbacks": ["gpt-b"]},
            {"name": "gpt-b", "provider": "b", "model": OK}],
            timeouts={"first_byte": "30s",
                      "adaptive_first_byte": {"floor": "300ms", "min_samples": 10}})
        for _ in range(12):  # a's usual latency: about a millisecond
            self.assertEqual(self.served_by(self.chat("gpt")), "a")
        self.proxies["a"].set(Fault.latency(3.0))
        self.proxies["a"].drop_connections()
        started = time.monotonic()
        r = self.chat("gpt")
        took = time.monotonic() - started
        self.assertEqual((r.status, self.served_by(r), r.header("x-nexus-attempts")),
                         (200, "b", "2"))
        self.assertLess(took, 2.0, "the adaptive timeout (the 300 ms floor) did not apply")

    def test_max_concurrent_sends_the_excess_elsewhere_or_fails_fast(self):
        providers = self.deployment_providers(["a", "b"])
        self.proxies["a"].set(Fault.latency(0.5))
        self.start(providers, [
            {"name": "gpt", "provider": "a", "model": OK, "max_concurrent": 1,
             "fallbacks": ["gpt-b"]},
            {"name": "solo", "provider": "a", "model": OK, "max_concurrent": 1},
            {"name": "gpt-b", "provider": "b", "model": OK}])
        results = {}

        def slow_call(name):
            results[name] = self.chat(name)

        first = threading.Thread(target=slow_call, args=("gpt",))
        first.start()
        self.assertTrue(wait_until(lambda: self.upstreams["a"].count() >= 1, timeout=5))
        second = self.chat("gpt")  # a is busy: b takes it
        self.assertEqual(self.served_by(second), "b")
        first.join(10)
        self.assertEqual(self.served_by(results["gpt"]), "a")
        other = threading.Thread(target=slow_call, args=("solo",))
        other.start()
        self.assertTrue(wait_until(lambda: self.upstreams["a"].count() >= 2, timeout=5))
        refused = self.chat("solo")  # nowhere else to go: a fast 503
        err = self.assertErrorJson(refused, 503)
        self.assertIn("concurrent requests", err["message"])
        self.assertEqual(refused.header("retry-after"), "1")
        other.join(10)
        self.assertEqual(results["solo"].status, 200)


class HeadersTest(RoutingTestCase):
    def test_every_answer_names_provider_model_and_attempts(self):
        self.start({"echo": {"type": "echo"}}, [{"name": "e", "provider": "echo",
                                                   "model": "echo-1"}])
        r = self.chat("e")
        self.assertEqual((r.header("x-nexus-provider"), r.header("x-nexus-model"),
                          r.header("x-nexus-attempts")), ("echo", "echo-1", "1"))
        self.assertIsNone(r.header("x-nexus-variant"))


class HealthCheckTest(RoutingTestCase):
    """Opt-in active checks of deployments (health_check): a GET of the provider's model list,
    once per process, whose failures take a deployment out before a client request meets them."""

    INTERVAL = 0.1  # seconds between two checks of one deployment

    def checked_providers(self, names):
        """Providers whose upstreams answer their model list with self.lists[name]["status"]."""
        self.lists = {name: {"status": 200} for name in names}
        return self.deployment_providers(names, handler=lambda n: with_model_list(self.lists[n]))

    def health_check(self, **overrides):
        check = {"interval": f"{int(self.INTERVAL * 1000)}ms", "timeout": "500ms",
                 "unhealthy_threshold": 2, "healthy_threshold": 2}
        check.update(overrides)
        return check

    def checks(self, name):
        up = self.upstreams[name]
        with up.lock:
            return sum(1 for r in up.requests if r.method == "GET" and r.path.endswith("/models"))

    def completions(self, name):
        up = self.upstreams[name]
        with up.lock:
            return sum(1 for r in up.requests if r.method == "POST")

    def log_count(self, text):
        return (self.nx.stderr() + self.nx.stdout()).count(text)

    def two_checked(self, **overrides):
        providers = self.checked_providers(["a", "b"])
        check = self.health_check(**overrides)
        self.start(providers, [{"name": "gpt", "strategy": "round_robin", "deployments": [
            {"provider": "a", "model": OK, "health_check": check},
            {"provider": "b", "model": OK, "health_check": check}]}])
        self.assertTrue(wait_until(lambda: self.checks("a") >= 1 and self.checks("b") >= 1,
                                   timeout=5), "no check reached the providers")

    def assert_all_served_by_b_at_once(self, n=10):
        responses = [self.chat("gpt") for _ in range(n)]
        self.assertEqual([(r.status, self.served_by(r), r.header("x-nexus-attempts"))
                          for r in responses], [(200, "b", "1")] * n,
                         "a request failed, or went to the unhealthy deployment first")

    def test_strict_readiness_follows_the_deployments_health(self):
        providers = self.checked_providers(["a", "b"])
        check = self.health_check()
        ops_port = free_port()
        self.start(providers, [
            {"name": "gpt", "provider": "a", "model": OK, "health_check": check},
            {"name": "other", "provider": "b", "model": OK}],
            observability={"listen": f"127.0.0.1:{ops_port}", "strict_readiness": True})

        def readyz():
            return request(ops_port, "GET", "/readyz", {}, None, timeout=5)
        self.assertTrue(wait_until(lambda: readyz().status == 200, timeout=5), readyz().body)
        ready = readyz().json()
        self.assertEqual(ready["status"], "ready")
        self.assertEqual(ready["checks"]["config"], "ok")
        self.assertEqual(ready["checks"]["models"]["gpt"], {"deployments": 1, "healthy": 1})
        self.lists["a"]["status"] = 503  # gpt's only deployment fails its checks
        self.assertTrue(wait_until(lambda: readyz().status == 503, timeout=5), readyz().body)
        not_ready = readyz().json()
        self.assertEqual(not_ready["status"], "not_ready")
        self.assertEqual(not_ready["checks"]["models"]["gpt"], {"deployments": 1, "healthy": 0})
        self.assertEqual(not_ready["checks"]["models"]["other"]["healthy"], 1)
        self.lists["a"]["status"] = 200
        self.assertTrue(wait_until(lambda: readyz().status == 200, timeout=5), readyz().body)

    def test_failing_checks_take_a_deployment_out_before_requests_fail_and_bring_it_back(self):
        self.two_checked()
        self.proxies["a"].set(Fault.error(503))  # the provider fails, before any client request
        failing_at = time.monotonic()
        self.assertTrue(wait_until(lambda: self.log_count("is unhealthy") >= 1, timeout=5),
                        "the deployment whose checks get 503 was never marked unhealthy")
        taken_out = time.monotonic() - failing_at
        self.assertIn("last: status 503", self.nx.stderr() + self.nx.stdout())
        self.assert_all_served_by_b_at_once()

        self.proxies["a"].clear()
        healed_at = time.monotonic()
        self.assertTrue(wait_until(lambda: self.log_count("is healthy again") >= 1, timeout=5),
                        "the healed deployment was never marked healthy again")
        recovery = time.monotonic() - healed_at
        self.assertTrue(wait_until(lambda: self.served_by(self.chat("gpt")) == "a", timeout=5),
                        "the healed deployment got no traffic back")
        self.assertEqual(self.log_count("is unhealthy"), 1, "state changes are logged once")
        self.assertEqual(self.log_count("is healthy again"), 1)
        print(f"\nLLM health checks: out {taken_out * 1000:.0f} ms after the provider failed, "
              f"back {recovery * 1000:.0f} ms after it healed (interval "
              f"{self.INTERVAL * 1000:.0f} ms, both thresholds 2)", flush=True)

    def test_a_refused_connection_fails_the_check(self):
        self.two_checked()
        self.proxies["a"].down()
        self.assertTrue(wait_until(lambda: self.log_count("is unhealthy") >= 1, timeout=5))
        self.assertIn("connect failed", self.nx.stderr() + self.nx.stdout())
        self.assert_all_served_by_b_at_once()

    def test_a_401_on_the_check_marks_the_deployment_out(self):
        providers = self.checked_providers(["a", "b"])
        self.lists["a"]["status"] = 401  # the key is wrong (completions would pass here)
        check = self.health_check(unhealthy_threshold=1)
        self.start(providers, [{"name": "gpt", "strategy": "round_robin", "deployments": [
            {"provider": "a", "model": OK, "health_check": check},
            {"provider": "b", "model": OK}]}])
        self.assertTrue(wait_until(lambda: self.log_count("is unhealthy") >= 1, timeout=5))
        logs = self.nx.stderr() + self.nx.stdout()
        self.assertIn("last: status 401", logs)
        self.assertIn("check its api_key", logs)
        self.assert_all_served_by_b_at_once()
        self.assertEqual(self.completions("a"), 0)

    def test_a_429_on_the_check_passes(self):
        providers = self.checked_providers(["a", "b"])
        self.lists["a"]["status"] = 429  # reachable; its rate limits are passive health's
        check = self.health_check(unhealthy_threshold=1)
        self.start(providers, [{"name": "gpt", "strategy": "round_robin", "deployments": [
            {"provider": "a", "model": OK, "health_check": check},
            {"provider": "b", "model": OK}]}])
        self.assertTrue(wait_until(lambda: self.checks("a") >= 3, timeout=5))
        self.assertEqual(self.log_count("is unhealthy"), 0)
        served = [self.served_by(self.chat("gpt")) for _ in range(4)]
        self.assertEqual(sorted(served), ["a", "a", "b", "b"])

    def test_a_group_with_every_deployment_unhealthy_goes_to_its_fallbacks(self):
        providers = self.checked_providers(["a", "b"])
        self.proxies["a"].down()
        check = self.health_check(unhealthy_threshold=1)
        self.start(providers, [
            {"name": "gpt", "provider": "a", "model": OK, "health_check": check,
             "fallbacks": ["backup"]},
            {"name": "solo", "provider": "a", "model": OK, "health_check": check},
            {"name": "backup", "provider": "b", "model": OK}])
        self.assertTrue(wait_until(lambda: self.log_count("is unhealthy") >= 2, timeout=5))
        r = self.chat("gpt")  # no panic mode: the fallback group serves it, at the first try
        self.assertEqual((r.status, self.served_by(r), r.header("x-nexus-attempts")),
                         (200, "b", "1"))
        refused = self.chat("solo")  # nowhere else to go: unavailable, without trying a
        err = self.assertErrorJson(refused, 503)
        self.assertIn("unavailable", err["message"])
        self.assertIsNotNone(refused.header("retry-after"))

    def test_checks_run_once_per_process_not_per_worker(self):
        """Two workers, one checked deployment: about one check per interval, with the key."""
        providers = self.checked_providers(["a"])
        self.start(providers, [{"name": "gpt", "provider": "a", "model": OK,
                                "health_check": self.health_check(interval="200ms")}],
                   workers=2)
        self.assertTrue(wait_until(lambda: self.checks("a") >= 1, timeout=5))
        first, started = self.checks("a"), time.monotonic()
        time.sleep(2.0)  # a measuring window, not a wait for a condition
        elapsed = time.monotonic() - started
        expected = elapsed / 0.2  # 10 in 2 s; one checker per worker would send 20
        count = self.checks("a") - first
        self.assertGreaterEqual(count, expected * 0.5, f"too few checks: {count}")
        self.assertLessEqual(count, expected * 1.3 + 1, f"too many checks: {count}")
        print(f"\n  2 workers, interval 200 ms: {count} checks of the deployment in "
              f"{elapsed:.1f} s", flush=True)
        self.assertEqual(self.completions("a"), 0, "checks are the only requests")
        check = self.upstreams["a"].last()
        self.assertEqual((check.method, check.target), ("GET", "/v1/models"))
        self.assertEqual(check.header("authorization"), "Bearer sk-a")
        self.assertEqual(check.header("host"), self.proxies["a"].address)
        self.assertEqual(check.header("user-agent"), "nexus-health-check")
        self.assertEqual(check.body, b"")


if __name__ == "__main__":
    unittest.main()
