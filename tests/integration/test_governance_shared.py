"""Two nexus processes sharing one PostgreSQL store and one Redis (both real servers on
loopback): a key made through one instance's admin API works on the other, a budget is never
overspent across both, and a rate limit admits exactly its limit across both."""

import concurrent.futures
import os
import threading
import time
import unittest

from harness.common import wait_until
from harness.services import Postgres, Redis
from nexus_harness import free_port
from test_governance import GovernanceCase, governed_config


class SharedGovernanceTest(GovernanceCase):
    def setUp(self):
        self.pg = Postgres()
        self.addCleanup(self.pg.stop)
        self.redis = Redis()
        self.addCleanup(self.redis.stop)
        pepper = os.path.join(self.tmpdir(), "pepper")
        with open(pepper, "w") as f:
            f.write("shared-pepper-for-both-instances\n")
        self.shared = {"store": self.pg.url, "pepper_file": pepper, "redis": self.redis.url,
                       "key_refresh": "200ms"}
        super().setUp()
        config = governed_config(free_port(), free_port(), self.up, self.workers)
        del config["governance"]["admin"]
        config["governance"].update(self.shared)
        self.other = self.nexus(config)

    def governance_config(self, config):
        config["governance"].update(self.shared)
        return config

    def make_shared_key(self, team_controls=None):
        key, key_id, team_id = self.make_key(team_controls)
        # The other instance sees it within key_refresh.
        self.assertTrue(wait_until(lambda: self.chat(key, model="echo",
                                                     port=self.other.port).status == 200, 10.0))
        return key, key_id, team_id

    def test_a_budget_is_never_overspent_across_instances(self):
        for _ in range(20):
            key, _, team_id = self.make_shared_key({"budget": {"hard_usd": 1.0,
                                                               "period": "total"}})
            barrier = threading.Barrier(200)

            def one(i):
                barrier.wait(timeout=30)
                port = self.nx.port if i % 2 == 0 else self.other.port
                return self.chat(key, port=port).status

            with concurrent.futures.ThreadPoolExecutor(max_workers=200) as pool:
                statuses = list(pool.map(one, range(200)))
            self.assertEqual(statuses.count(200), 10, sorted(set(statuses)))
            self.assertEqual(statuses.count(402), 190, sorted(set(statuses)))
            usage = self.admin("GET", f"/admin/v1/usage?group_by=team&team_id={team_id}").json()
            self.assertEqual(usage["data"][0]["cost_usd"], 1.0, usage)

    def test_requests_per_minute_across_instances(self):
        for _ in range(3):
            key, _, _ = self.make_shared_key({"limits": {"rpm": 100}})
            minute = int(time.time() // 60)

            def one(i):
                port = self.nx.port if i % 2 == 0 else self.other.port
                return self.chat(key, model="echo", port=port).status

            with concurrent.futures.ThreadPoolExecutor(max_workers=32) as pool:
                statuses = list(pool.map(one, range(300)))
            if int(time.time() // 60) != minute:
                continue  # a minute ended mid-test: the count spans two windows
            # The key's first request (its check on the other instance) was in this window too.
            self.assertEqual(statuses.count(200), 99, sorted(set(statuses)))
            self.assertEqual(statuses.count(429), 201)
            return
        self.fail("three tries crossed a minute boundary")


if __name__ == "__main__":
    unittest.main()
