"""The HTTP/1.1 edge-case fixtures (shared/fixtures/http1-edge), data-driven from manifest.tsv.

Per the fixtures' README: one TCP connection per file, the whole file written at once, then read
until EOF or 1 s of silence; the responses are parsed and compared with the `verdict` column, and
what the recording upstream saw with the `upstream` column. One test method per manifest row.
"""

import os
import re
import time
import unittest

from nexus_harness import (ClientConn, NexusTestCase, Nexus, Upstream, cluster, make_config,
                           free_port, parse_responses, shared_dir)

FIXTURES = os.path.join(shared_dir(), "fixtures", "http1-edge")
MANIFEST = os.path.join(FIXTURES, "manifest.tsv")
# Our own cases in the same format, written from the same rules (see edge_cases/README.md).
OWN_CASES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "edge_cases")

REQUEST_LINE = re.compile(rb"(?:^|\r\n)([A-Z]+) (/\S*) HTTP/1\.[01]\r\n")


def load_manifest(folder=FIXTURES):
    rows = []
    with open(os.path.join(folder, "manifest.tsv"), encoding="utf-8") as f:
        header = f.readline().rstrip("\n").split("\t")
        for line in f:
            line = line.rstrip("\n")
            if line:
                rows.append(dict(zip(header, line.split("\t")), dir=folder))
    return rows


def parse_verdict(text):
    """'REJECT(400,501)' | 'ACCEPT(2)' | 'ACCEPT(1)+CLOSE' | 'CLOSE' -> list of (kind, arg)."""
    steps = []
    for part in text.split("+"):
        m = re.fullmatch(r"(REJECT|ACCEPT|CLOSE)(?:\(([^)]*)\))?", part.strip())
        if not m:
            raise ValueError(f"unknown verdict {text!r}")
        kind, arg = m.group(1), m.group(2)
        if kind == "REJECT":
            steps.append((kind, {int(c) for c in arg.replace("|", ",").split(",")}))
        elif kind == "ACCEPT":
            steps.append((kind, int(arg)))
        else:
            steps.append((kind, None))
    return steps


def parse_upstream(text):
    """'up=2;in_order' / 'up=1;body_len=26' -> dict."""
    out = {}
    for item in filter(None, text.split(";")):
        key, _, value = item.partition("=")
        out[key.strip()] = int(value) if value else True
    return out


class Http1EdgeTest(NexusTestCase):
    @classmethod
    def setUpClass(cls):
        cls.up = Upstream(name="edge")
        cls.port = free_port()
        cls.nx = None
        try:
            cls._start_nexus()
        except Exception:
            cls.up.stop()
            raise

    @classmethod
    def _start_nexus(cls):
        if cls.nx is not None:
            cls.nx.cleanup()
        cfg = make_config(cls.port, clusters={"rec": cluster(cls.up)},
                          routes=[{"match": {"host": "gw.test", "prefix": "/"}, "cluster": "rec"}])
        cls.nx = Nexus(cfg)
        cls.nx.start()

    @classmethod
    def tearDownClass(cls):
        cls.up.stop()
        if cls.nx is not None:
            cls.nx.cleanup()

    def setUp(self):
        self.up.clear()
        if self.nx.proc.poll() is not None:  # a previous fixture crashed it: start a fresh one
            type(self)._start_nexus()
        self.addCleanup(self.dump_logs_if_failed, self.nx)

    def run_fixture(self, row):
        with open(os.path.join(row["dir"], row["file"]), "rb") as f:
            data = f.read()
        steps = parse_verdict(row["verdict"])
        expect_up = parse_upstream(row["upstream"])

        conn = ClientConn(self.nx.port)
        try:
            conn.send(data)
            received, eof = conn.read_until_idle(idle=1.0, total=10.0)
            # A rejecting Nexus must close within 1 s, or after a lingering close of at most 5 s.
            if not eof and steps[0][0] == "REJECT":
                deadline = time.monotonic() + 5.0
                while not eof and time.monotonic() < deadline:
                    more, eof = conn.read_until_idle(idle=deadline - time.monotonic(), total=5.0)
                    received += more
        except (ConnectionResetError, BrokenPipeError):
            received, eof = b"", True  # reset before we could read: no response at all
        finally:
            conn.close()

        # Whatever the verdict, the process must survive the connection.
        alive = self.nx.wait_exit(0.05) is None
        self.assertTrue(alive, f"nexus died (exit {self.nx.proc.returncode}) on {row['file']}")

        responses, leftover = parse_responses(received)
        ctx = (f"\nfixture {row['file']} verdict {row['verdict']} ({row['note']})\n"
               f"received {len(received)} bytes, eof={eof}: {received[:600]!r}")

        self.assertEqual(leftover, b"", "unparseable bytes after the responses" + ctx)
        kinds = [k for k, _ in steps]
        if kinds == ["REJECT"]:
            codes = steps[0][1]
            self.assertEqual(len(responses), 1, "expected exactly one response" + ctx)
            self.assertIn(responses[0].status, codes, ctx)
            self.assertErrorJson(responses[0], responses[0].status)
            self.assertTrue(eof, "nexus did not close the connection after rejecting" + ctx)
        elif kinds == ["CLOSE"]:
            self.assertEqual(responses, [], ctx)
            self.assertTrue(eof, ctx)
        else:
            self.assertEqual(kinds[0], "ACCEPT", ctx)
            n = steps[0][1]
            self.assertEqual(len(responses), n, f"expected {n} responses" + ctx)
            for r in responses:
                self.assertTrue(200 <= r.status < 300, f"{r}" + ctx)
            if "CLOSE" in kinds:
                self.assertTrue(eof, "expected the connection to be closed" + ctx)

        # The upstream: exactly these requests. Responses came from it, so they are recorded.
        up_n = expect_up.get("up", 0)
        got = list(self.up.requests)
        self.assertEqual(len(got), up_n, f"upstream saw {got}" + ctx)
        if "body_len" in expect_up:
            self.assertEqual(len(got[0].body), expect_up["body_len"], f"{got[0]!r}" + ctx)
            if row["id"] == "ctrl-chunked-upper-hex-ext":
                self.assertEqual(got[0].body, b"0123456789abcdefghijklmnop", ctx)
        if expect_up.get("in_order"):
            sent_paths = [m.group(2).decode() for m in REQUEST_LINE.finditer(data)][:up_n]
            self.assertEqual([r.path for r in got], sent_paths, ctx)
            self.assertEqual([r.header("x-upstream-path") for r in responses], sent_paths,
                             "responses out of order" + ctx)
        for r in got:
            # Framing is re-serialised, never both, never the client's odd spelling.
            te = r.header("transfer-encoding")
            cl = r.header("content-length")
            self.assertFalse(te is not None and cl is not None, f"{r!r}" + ctx)
            if te is not None:
                self.assertEqual(te.lower(), "chunked", ctx)
            if cl is not None:
                self.assertRegex(cl, r"^[0-9]+$", ctx)
                self.assertEqual(len(r.headers_named("content-length")), 1, ctx)


def _make_test(row):
    def test(self):
        self.run_fixture(row)
    test.__doc__ = f"{row['file']}: {row['verdict']} {row['upstream']}"
    return test


def _register():
    if not os.path.exists(MANIFEST):
        def test_manifest_present(self):
            self.fail(f"fixtures not found at {MANIFEST} (set NEXUS_SHARED_DIR)")
        Http1EdgeTest.test_manifest_present = test_manifest_present
        return
    for prefix, folder in (("test_", FIXTURES), ("test_own_", OWN_CASES)):
        for row in load_manifest(folder):
            name = prefix + row["file"].split("-", 1)[0] + "_" + row["id"].replace("-", "_")
            setattr(Http1EdgeTest, name, _make_test(row))


_register()


class ManifestSelfTest(unittest.TestCase):
    """Checks the manifest reader itself, so a parsing slip cannot pass fixtures silently."""

    def test_manifest_has_29_rows_with_known_verdicts(self):
        rows = load_manifest()
        self.assertEqual(len(rows), 29)
        for row in rows:
            self.assertTrue(os.path.exists(os.path.join(FIXTURES, row["file"])), row)
            parse_verdict(row["verdict"])
        self.assertEqual(parse_verdict("ACCEPT(1)+CLOSE"), [("ACCEPT", 1), ("CLOSE", None)])
        self.assertEqual(parse_upstream("up=1;body_len=26"), {"up": 1, "body_len": 26})


if __name__ == "__main__":
    unittest.main()
