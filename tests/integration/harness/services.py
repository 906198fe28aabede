"""Real PostgreSQL and Redis servers for the tests that need them (several nexus processes sharing
a store and counters), started on loopback in temporary directories and stopped at the end.

PostgreSQL refuses to run as root: as root, its programs run as the `postgres` system user
(Debian's package creates it) on a directory given to that user. A missing binary fails the
test with what to install; nothing is skipped."""

import os
import pwd
import shutil
import subprocess
import tempfile

from .common import free_port, port_accepts, wait_until

PG_BINDIR = os.environ.get("NEXUS_PG_BINDIR", "/usr/lib/postgresql/15/bin")


class Postgres:
    def __init__(self):
        initdb = os.path.join(PG_BINDIR, "initdb")
        if not os.path.exists(initdb):
            raise RuntimeError(f"{initdb} is missing: install Debian's postgresql (setup.sh does)")
        self.dir = tempfile.mkdtemp(prefix="nexus-pg-")
        self.as_postgres = os.geteuid() == 0
        if self.as_postgres:
            user = pwd.getpwnam("postgres")
            os.chown(self.dir, user.pw_uid, user.pw_gid)
        self.data = os.path.join(self.dir, "data")
        self._run("initdb", "-D", self.data, "-U", "nexus", "--auth=trust", "-N", "-E", "UTF8",
                  "--locale=C")
        self.port = free_port()
        options = (f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.dir} "
                   "-c fsync=off -c full_page_writes=off")
        self._run("pg_ctl", "-D", self.data, "-l", os.path.join(self.dir, "server.log"), "-w",
                  "-t", "30", "-o", options, "start")
        if not wait_until(lambda: port_accepts(self.port), 30.0):
            raise RuntimeError("PostgreSQL did not accept connections within 30 s")
        self.url = f"postgres://nexus@127.0.0.1:{self.port}/postgres"

    def _run(self, program, *args):
        command = [os.path.join(PG_BINDIR, program), *args]
        if self.as_postgres:
            command = ["runuser", "-u", "postgres", "--"] + command
        done = subprocess.run(command, capture_output=True, text=True, timeout=60)
        if done.returncode != 0:
            raise RuntimeError(f"{program} failed: {done.stdout[-2000:]}{done.stderr[-2000:]}")

    def stop(self):
        try:
            self._run("pg_ctl", "-D", self.data, "-m", "immediate", "stop")
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)


class Redis:
    def __init__(self):
        binary = shutil.which("redis-server")
        if binary is None:
            raise RuntimeError("redis-server is missing: install Debian's redis-server "
                               "(setup.sh does)")
        self.dir = tempfile.mkdtemp(prefix="nexus-redis-")
        self.port = free_port()
        self.proc = subprocess.Popen(
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", self.dir],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if not wait_until(lambda: port_accepts(self.port), 10.0):
            self.stop()
            raise RuntimeError("redis-server did not accept connections within 10 s")
        self.url = f"redis://127.0.0.1:{self.port}"

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)
