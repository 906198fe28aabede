"""Test PKI: a CA and leaf certificates made with the openssl CLI at test time."""

import os
import socket
import ssl
import subprocess
import time

from .common import *  # noqa: F401,F403

# --------------------------------------------------------------------------------------------
# TLS
# --------------------------------------------------------------------------------------------

class TestPKI:
    """A throw-away CA plus leaf certificates, made with the openssl CLI."""

    def __init__(self, directory, name="Nexus Test CA"):
        self.dir = directory
        self.ca_key = os.path.join(directory, f"{_slug(name)}.key")
        self.ca_cert = os.path.join(directory, f"{_slug(name)}.pem")
        _openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                 "-nodes", "-keyout", self.ca_key, "-out", self.ca_cert, "-days", "2",
                 "-subj", f"/CN={name}",
                 "-addext", "basicConstraints=critical,CA:TRUE",
                 "-addext", "keyUsage=critical,keyCertSign,cRLSign")

    def leaf(self, cn, dns=(), ips=()):
        """Returns (cert_path, key_path) of a server certificate for the given names."""
        base = os.path.join(self.dir, _slug(cn))
        key, csr, cert, ext = base + ".key", base + ".csr", base + ".pem", base + ".ext"
        sans = [f"DNS:{d}" for d in dns] + [f"IP:{i}" for i in ips]
        with open(ext, "w") as f:
            f.write("basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\n"
                    "extendedKeyUsage=serverAuth\n")
            if sans:
                f.write("subjectAltName=" + ",".join(sans) + "\n")
        _openssl("req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                 "-nodes", "-keyout", key, "-out", csr, "-subj", f"/CN={cn}")
        _openssl("x509", "-req", "-in", csr, "-CA", self.ca_cert, "-CAkey", self.ca_key,
                 "-CAcreateserial", "-out", cert, "-days", "2", "-extfile", ext)
        return cert, key

    def client_context(self, alpn=None, check_hostname=True):
        ctx = ssl.create_default_context(cafile=self.ca_cert)
        ctx.check_hostname = check_hostname
        if alpn:
            ctx.set_alpn_protocols(alpn)
        return ctx


def server_tls_context(cert, key):
    """A server-side context for a TLS upstream; records the SNI it was sent on the socket."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)

    def on_sni(sslsock, name, _ctx):
        sslsock.nexus_sni = name  # copied to UpstreamConn.sni after the handshake
    ctx.sni_callback = on_sni
    return ctx


def _slug(s):
    return "".join(c if c.isalnum() else "_" for c in s)


def _openssl(*args):
    r = subprocess.run(["openssl"] + list(args), capture_output=True, text=True, timeout=30)
    if r.returncode != 0:
        raise RuntimeError(f"openssl {' '.join(args)} failed: {r.stderr}")


