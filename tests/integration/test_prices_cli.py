"""`nexus prices check` and `nexus prices list` (docs/pricing.md): the exit status says whether
every deployment of a config has a price; the list shows the built-in table or a config's."""

import os
import unittest

from nexus_harness import NexusTestCase, run_cli

CONFIG = """server: {{ listen: ["127.0.0.1:18080"] }}
routes: [{{ match: {{ prefix: /v1/ }}, llm: {{}} }}]
providers:
  openai: {{ type: openai, api_key: k }}
  self: {{ type: openai_compatible, base_url: "http://127.0.0.1:1/v1", api_key: k }}
models:
  - {{ name: gpt, provider: openai, model: gpt-4o-mini }}
  - {{ name: mine, provider: self, model: my-model{price} }}
{prices}"""


class PricesCliTest(NexusTestCase):
    def run_in(self, text, *args):
        d = self.tmpdir()
        with open(os.path.join(d, "nexus.yaml"), "w") as f:
            f.write(text)
        return run_cli(["prices", *args, "-c", "nexus.yaml"], cwd=d)

    def test_check_lists_unpriced_deployments_and_fails(self):
        r = self.run_in(CONFIG.format(price="", prices=""), "check")
        self.assertEqual(r.returncode, 1, r)
        self.assertEqual(r.stdout.splitlines(), [
            "model mine: provider self (openai_compatible), model my-model: no price",
            "nexus.yaml: 1 deployment(s) without a price"])

    def test_check_passes_once_every_deployment_is_priced(self):
        own = self.run_in(CONFIG.format(price=", price: { input: 0.1, output: 0.2 }", prices=""),
                          "check")
        self.assertEqual(own.returncode, 0, own)
        self.assertEqual(own.stdout, "nexus.yaml: every deployment has a price\n")
        table = self.run_in(CONFIG.format(price="", prices=(
            "prices:\n  models: [{ provider: openai_compatible, model: my-model, input: 0,"
            " output: 0 }]\n")), "check")
        self.assertEqual(table.returncode, 0, table)

    def test_check_reports_config_errors(self):
        r = self.run_in(CONFIG.format(price="", prices="prices: { models: [{ model: x }] }\n"),
                        "check")
        self.assertEqual(r.returncode, 1, r)
        self.assertIn("nexus.yaml:9: prices.models[0].input: required key is missing", r.stderr)

    def test_list_shows_the_built_in_table_or_the_configs(self):
        builtin = run_cli(["prices", "list"])
        self.assertEqual(builtin.returncode, 0, builtin)
        lines = builtin.stdout.splitlines()
        self.assertTrue(lines[0].startswith("# data/prices.yaml (built in), version "), lines[0])
        self.assertIn("openai gpt-4o-mini (and its dated snapshots): in 0.15 out 0.6 "
                      "cache_read 0.075; batch: in 0.075 out 0.3", lines)
        own = self.run_in(CONFIG.format(price="", prices=(
            "prices:\n  builtin: false\n  models: [{ model: my-model, input: 0.0375,"
            " output: 1 }]\n")), "list")
        self.assertEqual(own.returncode, 0, own)
        self.assertEqual(own.stdout.splitlines()[-1], "* my-model: in 0.0375 out 1.0")


if __name__ == "__main__":
    unittest.main()
