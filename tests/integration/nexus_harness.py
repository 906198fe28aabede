"""Shared harness for the Nexus integration tests.

Everything runs on 127.0.0.1. The pieces:
  - paths:        nexus_bin(), shared_dir()
  - waiting:      wait_until(predicate, timeout) -- the only way tests wait for something
  - config:       to_yaml(), make_config(), free_port()
  - the binary:   Nexus (writes the config, starts `nexus serve`, waits for its ports, stops it)
  - upstreams:    Upstream, a threaded raw-socket HTTP/1.1 server that records every request and
                  hands it to a programmable handler (see the handler factories below)
  - clients:      ClientConn (raw socket, incremental response reader), request(), parse_responses()
  - TLS:          TestPKI, which makes a CA and leaf certificates with the openssl CLI at test time
  - NexusTestCase: a unittest.TestCase that cleans all of the above up and prints the nexus logs
                  of a failed test.
"""

import sys
import tempfile
import unittest

from harness.common import *  # noqa: F401,F403
from harness.common import HERE  # noqa: F401
from harness.process import *  # noqa: F401,F403
from harness.http import *  # noqa: F401,F403
from harness.http import _get  # noqa: F401
from harness.client import *  # noqa: F401,F403
from harness.upstream import *  # noqa: F401,F403
from harness.tls import *  # noqa: F401,F403

# --------------------------------------------------------------------------------------------
# TestCase
# --------------------------------------------------------------------------------------------

# Every "type" Nexus writes (src/core/result.cc).
ERROR_TYPES = {"invalid_request_error", "authentication_error", "permission_error",
               "rate_limit_error", "insufficient_quota", "upstream_error", "server_error"}


class NexusTestCase(unittest.TestCase):
    """Starts nexus/upstreams through helpers that clean up and dump nexus logs on failure."""

    def upstream(self, handler=None, **kw):
        u = Upstream(handler, **kw)
        self.addCleanup(u.stop)
        return u

    def wait_json_lines(self, path, count, timeout=5.0):
        """The JSON lines of `path` (an access log) once it holds at least `count` of them."""
        self.assertTrue(wait_until(lambda: len(read_json_lines(path)) >= count, timeout),
                        read_json_lines(path))
        return read_json_lines(path)

    def nexus(self, config, **kw):
        nx = Nexus(config, **kw)
        self.addCleanup(self._finish_nexus, nx)
        nx.start()
        return nx

    def _finish_nexus(self, nx):
        nx.stop()
        self.dump_logs_if_failed(nx)
        nx.cleanup()

    def dump_logs_if_failed(self, nx):
        if self._failed_so_far():
            sys.stderr.write(f"\n[{self.id()}]\n" + nx.logs() + "\n")

    def _failed_so_far(self):
        outcome = getattr(self, "_outcome", None)
        result = getattr(outcome, "result", None)
        if result is None:
            return False
        bad = list(getattr(result, "errors", [])) + list(getattr(result, "failures", []))
        return any(getattr(t, "test_case", t) is self for t, _ in bad)

    def tmpdir(self):
        d = tempfile.TemporaryDirectory(prefix="nexus-it-")
        self.addCleanup(d.cleanup)
        return d.name

    def assertErrorJson(self, resp, status, type_=None, code=None):
        """The response has `status` and the JSON error body {"error":{"message","type","code"}}."""
        self.assertEqual(resp.status, status, resp)
        try:
            body = resp.json()
        except ValueError:
            self.fail(f"error body is not JSON: {resp.body[:300]!r}")
        self.assertIsInstance(body, dict, body)
        self.assertIn("error", body, body)
        err = body["error"]
        for key in ("message", "type", "code"):
            self.assertIn(key, err, body)
            self.assertIsInstance(err[key], str, body)
        self.assertIn(err["type"], ERROR_TYPES, body)
        self.assertTrue(err["code"], body)
        if type_ is not None:
            self.assertEqual(err["type"], type_, body)
        if code is not None:
            self.assertEqual(err["code"], code, body)
        ctype = resp.header("content-type") or ""
        self.assertIn("application/json", ctype, resp)
        return err

