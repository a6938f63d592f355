"""A throwaway PostgreSQL cluster on a Unix socket, for the tests and the benchmarks.

``initdb`` then ``pg_ctl start`` in a temp folder under /tmp (short: a socket path has a
~100 byte limit; under /tmp itself: the server runs as another user than the tests when
they run as root, since ``initdb`` refuses root — then as ``postgres``, through ``runuser``).
Failures raise ``ClusterError`` with the tool's output and the server log; callers turn it
into their own kind of failure (``pytest.fail``, ``SystemExit``).
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

__all__ = ["ClusterError", "Cluster", "find_initdb", "throwaway_cluster"]

#: For speed (nothing here survives the run): no flush to disk, no waiting on the WAL.
FAST = "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"


class ClusterError(Exception):
    """PostgreSQL is missing, or one of its tools failed."""


def find_initdb() -> str | None:
    """``initdb`` on PATH, or in the newest Debian/Ubuntu ``/usr/lib/postgresql/N/bin``."""
    found = shutil.which("initdb")
    if found:
        return found
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[-3]))
    return candidates[-1] if candidates else None


class Cluster:
    """One cluster's folder and tools: ``init`` once, then ``start`` and ``stop`` as often as wanted."""

    def __init__(self, initdb: str) -> None:
        self.initdb = initdb
        bin_dir = Path(initdb).resolve().parent
        self.pg_ctl = str(bin_dir / "pg_ctl") if (bin_dir / "pg_ctl").exists() else "pg_ctl"
        self.prefix = _as_server_user()
        self.root = Path(tempfile.mkdtemp(prefix="specrun-pg-"))
        if self.prefix:
            shutil.chown(self.root, user="postgres", group="postgres")
        self.data, self.log = self.root / "data", self.root / "server.log"

    def url(self, password: str | None = None) -> str:
        """The libpq URL of its database ``postgres`` as the superuser ``postgres``."""
        user = "postgres" if password is None else f"postgres:{password}"
        return f"postgresql://{user}@/postgres?host={self.root}"

    def init(self) -> None:
        self._run([self.initdb, "-D", str(self.data), "-U", "postgres", "--auth=trust", "--no-locale",
                   "--encoding=UTF8", "--no-sync"])

    def start(self, settings: str = FAST) -> None:
        """Start it; ``settings``: more ``-c name=value`` server options (fast by default)."""
        options = f"-k {self.root} -c listen_addresses='' {settings}".rstrip()
        self._run([self.pg_ctl, "-D", str(self.data), "-l", str(self.log), "-o", options, "-w", "-t", "60", "start"])

    def stop(self) -> None:
        """Stop it at once (``-m immediate``: as if the server died); quiet when it is not running."""
        subprocess.run([*self.prefix, self.pg_ctl, "-D", str(self.data), "-m", "immediate", "-w", "stop"],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=60, check=False)

    def remove(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)

    def _run(self, command: list[str]) -> None:
        done = subprocess.run([*self.prefix, *command], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                              timeout=120)
        if done.returncode != 0:
            server_log = self.log.read_text(errors="replace") if self.log.exists() else ""
            raise ClusterError(f"{' '.join(command)} failed ({done.returncode}):\n{done.stdout}\n{server_log}")


@contextmanager
def throwaway_cluster(settings: str = FAST) -> Iterator[Cluster]:
    """A started cluster; stopped and removed afterwards, whatever happens."""
    initdb = find_initdb()
    if initdb is None:
        raise ClusterError("PostgreSQL is not installed: initdb is not on PATH (apt-get install postgresql)")
    cluster = Cluster(initdb)
    try:
        cluster.init()
        cluster.start(settings)
        yield cluster
    finally:
        cluster.stop()
        cluster.remove()


def _as_server_user() -> list[str]:
    """The command prefix that runs a server tool: ``runuser -u postgres --`` as root, nothing otherwise."""
    if os.geteuid() != 0:
        return []
    try:
        pwd.getpwnam("postgres")
    except KeyError:
        raise ClusterError("running as root and there is no 'postgres' system user to run PostgreSQL as "
                           "(initdb refuses to run as root)") from None
    return ["runuser", "-u", "postgres", "--"]
