"""The nexus process: write its config, start it, wait for its ports, stop it."""

import json
import os
import signal
import subprocess
import tempfile

from .common import *  # noqa: F401,F403
from .common import HERE  # noqa: F401

# --------------------------------------------------------------------------------------------
# The nexus process
# --------------------------------------------------------------------------------------------

def run_cli(args, cwd=None, env=None, timeout=10):
    """Runs `nexus ARGS...` to completion; returns CompletedProcess (text)."""
    return subprocess.run([nexus_bin()] + list(args), cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=timeout)


class Nexus:
    def __init__(self, config, ports=None, args=(), env=None, workdir=None):
        if not os.path.exists(nexus_bin()):
            raise RuntimeError(f"nexus binary not found at {nexus_bin()} (set NEXUS_BIN)")
        self._tmp = None
        if workdir is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="nexus-it-")
            workdir = self._tmp.name
        self.workdir = workdir
        self.config_path = os.path.join(workdir, "nexus.yaml")
        text = config if isinstance(config, str) else to_yaml(config) + "\n"
        with open(self.config_path, "w") as f:
            f.write(text)
        if ports is None:
            ports = []
            for item in config["server"]["listen"]:
                addr = item if isinstance(item, str) else item["address"]
                ports.append(int(addr.rsplit(":", 1)[1]))
        self.ports = list(ports)
        self.port = self.ports[0] if self.ports else None
        self.stdout_path = os.path.join(workdir, "nexus.stdout")
        self.stderr_path = os.path.join(workdir, "nexus.stderr")
        self.args = list(args)
        self.env = env
        self.proc = None

    def start(self, wait=True, timeout=10.0):
        out = open(self.stdout_path, "wb")
        err = open(self.stderr_path, "wb")
        try:
            self.proc = subprocess.Popen(
                [nexus_bin(), "serve", "--config", self.config_path] + self.args,
                stdout=out, stderr=err, stdin=subprocess.DEVNULL, cwd=self.workdir, env=self.env)
        finally:
            out.close()
            err.close()
        if wait:
            ok = wait_until(lambda: self.proc.poll() is not None or
                            all(port_accepts(p) for p in self.ports), timeout, 0.02)
            if self.proc.poll() is not None or not ok:
                self.stop()
                raise RuntimeError(f"nexus did not start (exit {self.proc.returncode}):\n"
                                   + self.logs())
        return self

    @property
    def pid(self):
        return self.proc.pid

    def send_signal(self, sig):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)

    def wait_exit(self, timeout):
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None

    def stop(self, sig=signal.SIGTERM, timeout=10.0):
        """SIGTERM, bounded wait, SIGKILL fallback. Returns the exit code (None if it was killed)."""
        if self.proc is None:
            return None
        if self.proc.poll() is not None:
            return self.proc.returncode
        self.proc.send_signal(sig)
        code = self.wait_exit(timeout)
        if code is None:
            self.proc.kill()
            self.proc.wait(timeout=5)
            return None
        return code

    def stdout(self):
        with open(self.stdout_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def stderr(self):
        with open(self.stderr_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def access_log(self):
        """The JSON lines on stdout, parsed."""
        out = []
        for line in self.stdout().splitlines():
            line = line.strip()
            if line.startswith("{"):
                try:
                    out.append(json.loads(line))
                except ValueError:
                    pass
        return out

    def rss_kib(self):
        with open(f"/proc/{self.proc.pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        return 0

    def logs(self, lines=80):
        parts = []
        for name, path in (("stderr", self.stderr_path), ("stdout", self.stdout_path)):
            try:
                with open(path, "rb") as f:
                    tail = f.read().decode("utf-8", "replace").splitlines()[-lines:]
                parts.append(f"--- nexus {name} (last {len(tail)} lines) ---\n" + "\n".join(tail))
            except OSError:
                pass
        return "\n".join(parts)

    def cleanup(self):
        self.stop()
        if self._tmp:
            self._tmp.cleanup()


