"""TLS: termination with SNI selection among several certificates, the default certificate,
ALPN http/1.1, min_version, X-Forwarded-Proto https; upstream TLS verified against a CA made at
test time (success, wrong CA, host-name mismatch, verify off, SNI sent)."""

import ssl
import tempfile
import unittest

from nexus_harness import (ClientConn, NexusTestCase, TestPKI, cluster, free_port, make_config,
                           request, server_tls_context)


def cert_cn(sock):
    """The subject CN of the (CA-verified) certificate the server presented."""
    for rdn in (sock.getpeercert() or {}).get("subject", ()):
        for key, value in rdn:
            if key == "commonName":
                return value
    return None


class TlsTerminationTest(NexusTestCase):
    @classmethod
    def setUpClass(cls):
        cls._tmp = tempfile.TemporaryDirectory(prefix="nexus-tls-")
        d = cls._tmp.name
        cls.pki = TestPKI(d)
        cls.a = cls.pki.leaf("a.test", dns=["a.test", "gw.test"], ips=["127.0.0.1"])
        cls.b = cls.pki.leaf("b.test", dns=["b.test", "*.b.test"])

    @classmethod
    def tearDownClass(cls):
        cls._tmp.cleanup()

    def start(self, min_version="1.2"):
        self.up = self.upstream(name="up")
        self.tls_port, self.plain_port = free_port(), free_port()
        listen = [{"address": f"127.0.0.1:{self.tls_port}",
                   "tls": {"certificates": [{"cert": self.a[0], "key": self.a[1]},
                                            {"cert": self.b[0], "key": self.b[1]}],
                           "min_version": min_version}},
                  f"127.0.0.1:{self.plain_port}"]
        self.nx = self.nexus(make_config(None, {"up": cluster(self.up)},
                                         [{"match": {"prefix": "/"}, "cluster": "up"}],
                                         listen=listen))

    def connect(self, sni, ctx=None):
        c = ClientConn(self.tls_port, tls=ctx or self.pki.client_context(),
                       server_hostname=sni)
        self.addCleanup(c.close)
        return c

    def test_sni_selects_the_certificate(self):
        self.start()
        for sni, cn in (("a.test", "a.test"), ("b.test", "b.test"), ("x.b.test", "b.test"),
                        ("gw.test", "a.test")):
            c = self.connect(sni)  # verified against the CA, host name checked
            self.assertEqual(cert_cn(c.sock), cn, sni)
            self.assertEqual(c.request("GET", "/", host=sni).status, 200)

    def test_unknown_or_missing_sni_gets_the_first_certificate(self):
        self.start()
        for sni in ("unknown.test", None):
            ctx = self.pki.client_context(check_hostname=False)
            c = self.connect(sni, ctx)
            self.assertEqual(cert_cn(c.sock), "a.test", sni)

    def test_alpn_selects_http11(self):
        self.start()
        c = self.connect("a.test", self.pki.client_context(alpn=["http/1.1"]))
        self.assertEqual(c.sock.selected_alpn_protocol(), "http/1.1")
        self.assertEqual(c.request("GET", "/").status, 200)

    def test_requests_over_tls_are_proxied_with_proto_https(self):
        self.start()
        c = self.connect("gw.test")
        for i in range(3):  # keep-alive over TLS
            r = c.request("POST", f"/t{i}", body=b"secret body")
            self.assertEqual((r.status, r.body), (200, b"ok"), r)
        got = self.up.last()
        self.assertEqual(got.body, b"secret body")
        self.assertEqual(got.header("x-forwarded-proto"), "https")
        self.assertEqual(got.header("x-forwarded-for"), "127.0.0.1")
        self.assertEqual(self.up.count(), 3)
        # the plain listener next to it still speaks http
        r = request(self.plain_port, "GET", "/plain")
        self.assertEqual(r.status, 200)
        self.assertEqual(self.up.last().header("x-forwarded-proto"), "http")

    def test_min_version_13_refuses_tls12(self):
        self.start(min_version="1.3")
        old = self.pki.client_context()
        old.maximum_version = ssl.TLSVersion.TLSv1_2
        with self.assertRaises((ssl.SSLError, ConnectionError, OSError)):
            c = ClientConn(self.tls_port, tls=old, server_hostname="a.test")
            c.close()
        c = self.connect("a.test")
        self.assertEqual(c.sock.version(), "TLSv1.3")
        self.assertEqual(c.request("GET", "/").status, 200)

    def test_tls12_accepted_by_default(self):
        self.start()
        ctx = self.pki.client_context()
        ctx.maximum_version = ssl.TLSVersion.TLSv1_2
        c = self.connect("a.test", ctx)
        self.assertEqual(c.sock.version(), "TLSv1.2")
        self.assertEqual(c.request("GET", "/").status, 200)


class UpstreamTlsTest(NexusTestCase):
    @classmethod
    def setUpClass(cls):
        cls._tmp = tempfile.TemporaryDirectory(prefix="nexus-tls-")
        d = cls._tmp.name
        cls.pki = TestPKI(d, "Upstream CA")
        cls.other = TestPKI(d, "Other CA")
        cls.leaf = cls.pki.leaf("upstream.test", dns=["upstream.test"], ips=["127.0.0.1"])

    @classmethod
    def tearDownClass(cls):
        cls._tmp.cleanup()

    def start(self, tls):
        self.up = self.upstream(name="tls-up", tls=server_tls_context(*self.leaf))
        self.nx = self.nexus(make_config(free_port(), {"up": cluster(self.up, tls=tls)},
                                         [{"match": {"prefix": "/"}, "cluster": "up"}]))

    def test_verified_against_ca_with_sni(self):
        self.start({"enabled": True, "sni": "upstream.test", "verify": True,
                    "ca_file": self.pki.ca_cert})
        r = request(self.nx.port, "POST", "/v1/x", body=b"hello")
        self.assertEqual((r.status, r.body), (200, b"ok"), r)
        got = self.up.last()
        self.assertEqual(got.body, b"hello")
        self.assertEqual(got.conn.sni, "upstream.test")
        # pooled TLS connection is reused
        self.assertEqual(request(self.nx.port, "GET", "/2").status, 200)
        self.assertEqual(self.up.connection_count(), 1)

    def test_wrong_ca_is_502(self):
        self.start({"enabled": True, "sni": "upstream.test", "verify": True,
                    "ca_file": self.other.ca_cert})
        r = request(self.nx.port, "GET", "/")
        self.assertErrorJson(r, 502, "upstream_error")
        self.assertEqual(self.up.count(), 0)

    def test_host_name_mismatch_is_502(self):
        self.start({"enabled": True, "sni": "someone-else.test", "verify": True,
                    "ca_file": self.pki.ca_cert})
        r = request(self.nx.port, "GET", "/")
        self.assertErrorJson(r, 502, "upstream_error")
        self.assertEqual(self.up.count(), 0)

    def test_verify_off_accepts_unknown_ca(self):
        self.start({"enabled": True, "sni": "upstream.test", "verify": False,
                    "ca_file": self.other.ca_cert})
        r = request(self.nx.port, "GET", "/")
        self.assertEqual(r.status, 200, r)
        self.assertEqual(self.up.count(), 1)

    def test_plain_http_to_tls_upstream_fails_cleanly(self):
        self.up = self.upstream(name="tls-up", tls=server_tls_context(*self.leaf))
        self.nx = self.nexus(make_config(free_port(), {"up": cluster(self.up)},
                                         [{"match": {"prefix": "/"}, "cluster": "up"}]))
        r = request(self.nx.port, "GET", "/")
        self.assertErrorJson(r, 502, "upstream_error")


if __name__ == "__main__":
    unittest.main()
