"""packaging/: the Prometheus alert rules and the Grafana dashboard name only metrics that Nexus
exports. A real nexus with every family declared (governance, tracing, the ops listener) is
scraped, and each metric in a rule's or a panel's expression must be in its exposition."""

import json
import os
import re
import unittest

import yaml

from harness.common import wait_until
from harness.llm import replay
from nexus_harness import NexusTestCase, free_port
from test_governance import governed_config
from test_metrics import ops_get

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
RULES = os.path.join(ROOT, "packaging", "prometheus", "nexus-alerts.yml")
DASHBOARD = os.path.join(ROOT, "packaging", "grafana", "nexus-dashboard.json")
NOT_OURS = {"up"}  # Prometheus's own


def metric_names(expr):
    """The metric names a PromQL expression reads: what is left of its identifiers once label
    matchers, ranges and by/without lists are taken out, minus functions and keywords."""
    expr = re.sub(r"\{[^}]*\}", " ", expr)
    expr = re.sub(r"\[[^\]]*\]", " ", expr)
    expr = re.sub(r"\b(by|without)\s*\([^)]*\)", " ", expr)
    names = set(re.findall(r"[a-zA-Z_:][a-zA-Z0-9_:]*", expr))
    return {n for n in names if n.startswith(("nexus_", "gen_ai_", "process_")) or n in NOT_OURS}


def exported(text):
    """Every sample name the exposition can hold, from its TYPE lines."""
    names = set()
    for name, kind in re.findall(r"^# TYPE (\S+) (\S+)$", text, re.M):
        names.update([name + s for s in ("_bucket", "_sum", "_count")] if kind == "histogram"
                     else [name])
    return names


class PackagingTest(NexusTestCase):
    def test_rules_and_dashboard_name_only_exported_metrics(self):
        up = self.upstream(replay(), name="provider")
        ops_port = free_port()
        config = governed_config(free_port(), free_port(), up)
        config["observability"] = {
            "listen": f"127.0.0.1:{ops_port}",
            "tracing": {"endpoint": f"http://127.0.0.1:{free_port()}/v1/traces"}}
        self.nexus(config)
        scraped = {}

        def scrape():
            try:
                scraped["text"] = ops_get(ops_port, "/metrics")[2]
                return True
            except OSError:
                return False
        self.assertTrue(wait_until(scrape, 10.0))
        have = exported(scraped["text"]) | NOT_OURS
        for family in ("gen_ai_client_token_usage", "nexus_ledger_pending_records",
                       "nexus_tracing_dropped_spans_total"):
            self.assertTrue(any(n.startswith(family) for n in have), family)

        with open(RULES, encoding="utf-8") as f:
            rules = [r for g in yaml.safe_load(f)["groups"] for r in g["rules"]]
        self.assertGreater(len(rules), 5)
        for rule in rules:
            self.assertTrue(rule["alert"] and rule["annotations"]["summary"], rule)
            used = metric_names(rule["expr"])
            self.assertTrue(used, rule["alert"])
            self.assertLessEqual(used, have, (rule["alert"], used - have))

        with open(DASHBOARD, encoding="utf-8") as f:
            dashboard = json.load(f)
        targets = [t for p in dashboard["panels"] for t in p["targets"]]
        self.assertGreater(len(targets), 10)
        for target in targets:
            used = metric_names(target["expr"])
            self.assertTrue(used, target["expr"])
            self.assertLessEqual(used, have, (target["expr"], used - have))


if __name__ == "__main__":
    unittest.main()
