"""A real PostgreSQL server for tests: a throwaway cluster (Debian's postgresql package) on a free
loopback port, or the server of ``ACCORD_TEST_DATABASE_URL`` when that is set.

PostgreSQL refuses to run as root: as root the cluster belongs to the ``postgres`` user the
package creates. Each test gets a database of its own (:meth:`PgServer.new_database`).
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

from tests.integration.chroma_server import free_port


def pg_bindir() -> Path | None:
    """Where initdb and pg_ctl are: pg_config's bindir, else Debian's versioned folder."""
    if shutil.which("pg_config"):
        out = subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True)
        if out.returncode == 0 and (Path(out.stdout.strip()) / "initdb").exists():
            return Path(out.stdout.strip())
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return Path(found[-1]).parent if found else None


def missing_reason() -> str | None:
    """Why no server can be started here, or None."""
    if os.environ.get("ACCORD_TEST_DATABASE_URL"):
        return None
    if pg_bindir() is None:
        return "PostgreSQL is not installed (apt-get install postgresql; .ci/install-system)"
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            return "running as root and there is no postgres user to run the server as"
    return None


class PgServer:
    def __init__(self) -> None:
        self.url = os.environ.get("ACCORD_TEST_DATABASE_URL", "")
        self.dir: Path | None = None
        self._user: str | None = None

    def _run(self, *cmd: str) -> subprocess.CompletedProcess:
        if self._user:
            cmd = ("runuser", "-u", self._user, "--", *cmd)
        return subprocess.run(cmd, capture_output=True, text=True, timeout=120)

    def start(self) -> PgServer:
        if self.url:
            return self
        bindir = pg_bindir()
        assert bindir is not None
        self.dir = Path(tempfile.mkdtemp(prefix="accord-pg-"))
        if os.geteuid() == 0:
            self._user = "postgres"
            pw = pwd.getpwnam("postgres")
            os.chown(self.dir, pw.pw_uid, pw.pw_gid)
        data, port = self.dir / "data", free_port()
        out = self._run(
            str(bindir / "initdb"),
            "-D",
            str(data),
            "-U",
            "accord",
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--locale=C.UTF-8",
        )
        if out.returncode:
            raise RuntimeError(f"initdb failed: {out.stderr[-2000:]}")
        out = self._run(
            str(bindir / "pg_ctl"),
            "-D",
            str(data),
            "-l",
            str(self.dir / "log"),
            "-w",
            "-t",
            "60",
            "-o",
            f"-p {port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off",
            "start",
        )
        if out.returncode:
            log = self.dir / "log"
            raise RuntimeError(
                f"pg_ctl start failed: {out.stderr[-1000:]} "
                f"{log.read_text()[-2000:] if log.exists() else ''}"
            )
        self.url = f"postgresql://accord@127.0.0.1:{port}/postgres"
        return self

    def new_database(self) -> str:
        """A fresh, empty database on the server; returns its URL."""
        import psycopg

        name = f"t_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(self.url, autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {name}")
        return self.url.rsplit("/", 1)[0] + "/" + name

    def stop(self) -> None:
        if self.dir is None:
            return
        bindir = pg_bindir()
        if bindir is not None:
            self._run(
                str(bindir / "pg_ctl"),
                "-D",
                str(self.dir / "data"),
                "-m",
                "immediate",
                "-w",
                "stop",
            )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and (self.dir / "data" / "postmaster.pid").exists():
            time.sleep(0.1)
        shutil.rmtree(self.dir, ignore_errors=True)
