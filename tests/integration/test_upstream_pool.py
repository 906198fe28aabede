"""Upstream connection pooling: reuse, the one retry after a stale keep-alive connection, idle
connections closed by the upstream or by the pool's idle timeout, and DNS endpoints."""

import unittest

from nexus_harness import (ClientConn, NexusTestCase, cluster, free_port, make_config, ok,
                           request, wait_until)


def catch_all():
    return [{"match": {"prefix": "/"}, "cluster": "up"}]


def closes_second_request_on_each_connection():
    """Answers the first request of a connection, then drops the connection when the second one
    arrives without answering it: what a keep-alive timeout racing a new request looks like."""
    answer = ok()
    seen = {}

    def handler(req, conn):
        seen[conn.id] = seen.get(conn.id, 0) + 1
        if seen[conn.id] >= 2:
            conn.close()
            return False
        return answer(req, conn)
    return handler


class StaleConnectionRetryTest(NexusTestCase):
    def setUp(self):
        self.up = self.upstream(closes_second_request_on_each_connection())
        self.nx = self.nexus(make_config(free_port(), {"up": cluster(self.up)}, catch_all()))

    def test_get_is_retried_once_on_a_new_connection(self):
        self.assertEqual(request(self.nx.port, "GET", "/one").status, 200)
        r = request(self.nx.port, "GET", "/two")
        self.assertEqual(r.status, 200, r)
        self.assertEqual(self.up.count(), 3, "the second request was sent twice")
        self.assertEqual(self.up.connection_count(), 2)
        self.assertEqual(self.up.last().target, "/two")

    def test_buffered_post_body_is_replayed_exactly(self):
        self.assertEqual(request(self.nx.port, "GET", "/warm").status, 200)
        body = b'{"model":"m","messages":[]}'
        r = request(self.nx.port, "POST", "/post", {"Content-Type": "application/json"}, body)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(self.up.last().body, body)
        self.assertEqual(self.up.last().target, "/post")


class IdlePoolTest(NexusTestCase):
    def test_connection_closed_by_upstream_while_idle_is_not_used(self):
        up = self.upstream(ok())
        nx = self.nexus(make_config(free_port(), {"up": cluster(up)}, catch_all()))
        self.assertEqual(request(nx.port, "GET", "/a").status, 200)
        first = up.connections[0]
        first.close()  # the upstream ends its idle keep-alive connection
        r = request(nx.port, "GET", "/b")
        self.assertEqual(r.status, 200, r)
        self.assertEqual(up.connection_count(), 2)
        self.assertEqual(up.count(), 2, "no request was lost on the closed connection")

    def test_pool_idle_timeout_closes_unused_connections(self):
        up = self.upstream(ok())
        clusters = {"up": cluster(up, pool={"idle_timeout": "200ms"})}
        nx = self.nexus(make_config(free_port(), clusters, catch_all()))
        self.assertEqual(request(nx.port, "GET", "/a").status, 200)
        conn = up.connections[0]
        self.assertTrue(conn.wait_peer_close(5.0), "the idle pooled connection was not closed")

    def test_sequential_requests_share_one_connection(self):
        up = self.upstream(ok())
        nx = self.nexus(make_config(free_port(), {"up": cluster(up)}, catch_all()))
        c = ClientConn(nx.port)
        self.addCleanup(c.close)
        for i in range(20):
            self.assertEqual(c.request("GET", f"/{i}").status, 200)
        self.assertEqual(up.connection_count(), 1)


class DnsEndpointTest(NexusTestCase):
    def test_localhost_name_is_resolved_and_served(self):
        up = self.upstream(ok())
        clusters = {"up": cluster(f"localhost:{up.port}", dns_refresh="1s")}
        nx = self.nexus(make_config(free_port(), clusters, catch_all()))
        # The first resolution runs in the background right after start-up.
        self.assertTrue(wait_until(lambda: request(nx.port, "GET", "/").status == 200, 5.0))
        self.assertGreaterEqual(up.count(), 1)

    def test_unresolvable_name_is_503_with_json_error(self):
        clusters = {"up": cluster("no-such-host.invalid:80")}
        nx = self.nexus(make_config(free_port(), clusters, catch_all()))
        r = request(nx.port, "GET", "/")
        self.assertErrorJson(r, 503)


if __name__ == "__main__":
    unittest.main()
