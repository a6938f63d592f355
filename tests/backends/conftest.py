"""A throwaway PostgreSQL server for the backend tests: one cluster per session, on a Unix socket.

The server is real (``initdb`` + ``pg_ctl``; PostgreSQL 15 in CI), so what the tests show
about compare-and-swap and advisory locks is what a team's server does. It listens on a
socket in a temp dir only (no TCP port), trusts local connections, and is stopped and
removed at the end of the session. ``initdb`` refuses to run as root: as root, the
server runs as the ``postgres`` system user.

Without ``initdb`` the tests fail loudly (CI must run them); set ``SPECRUN_SKIP_PG=1``
to skip them instead on a machine without PostgreSQL.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest


def _initdb() -> str | None:
    """``initdb`` on PATH, or in the newest Debian/Ubuntu ``/usr/lib/postgresql/N/bin``."""
    found = shutil.which("initdb")
    if found:
        return found
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[-3]))
    return candidates[-1] if candidates else None


def _as_server_user() -> list[str]:
    """The command prefix that runs a server tool: ``runuser -u postgres --`` as root, nothing otherwise."""
    if os.geteuid() != 0:
        return []
    try:
        pwd.getpwnam("postgres")
    except KeyError:
        pytest.fail("the tests run as root and there is no 'postgres' system user to run PostgreSQL as "
                    "(initdb refuses to run as root)")
    return ["runuser", "-u", "postgres", "--"]


def _run(command: list[str], log: Path) -> None:
    done = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=120)
    if done.returncode != 0:
        server_log = log.read_text(errors="replace") if log.exists() else ""
        pytest.fail(f"{' '.join(command)} failed ({done.returncode}):\n{done.stdout}\n{server_log}")


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """The libpq URL of a fresh PostgreSQL cluster (superuser ``postgres``, database ``postgres``)."""
    initdb = _initdb()
    if initdb is None:
        if os.environ.get("SPECRUN_SKIP_PG") == "1":
            pytest.skip("PostgreSQL is not installed (initdb not found) and SPECRUN_SKIP_PG=1")
        pytest.fail("PostgreSQL is not installed: initdb is not on PATH. The postgres backend tests need a real "
                    "server (apt-get install postgresql); set SPECRUN_SKIP_PG=1 to skip them instead")
    bin_dir = Path(initdb).resolve().parent
    pg_ctl = str(bin_dir / "pg_ctl") if (bin_dir / "pg_ctl").exists() else "pg_ctl"
    prefix = _as_server_user()
    # Under /tmp itself: pytest's own temp dirs are private to the test user, and the server
    # runs as another one. The path stays short: a Unix socket path has a ~100 byte limit.
    root = Path(tempfile.mkdtemp(prefix="specrun-pg-"))
    data, log = root / "data", root / "server.log"
    if prefix:
        shutil.chown(root, user="postgres", group="postgres")
    started = False
    try:
        _run([*prefix, initdb, "-D", str(data), "-U", "postgres", "--auth=trust", "--no-locale",
              "--encoding=UTF8", "--no-sync"], log)
        options = f"-k {root} -c listen_addresses='' -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        _run([*prefix, pg_ctl, "-D", str(data), "-l", str(log), "-o", options, "-w", "-t", "60", "start"], log)
        started = True
        yield f"postgresql://postgres@/postgres?host={root}"
    finally:
        if started:
            subprocess.run([*prefix, pg_ctl, "-D", str(data), "-m", "immediate", "-w", "stop"],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=60, check=False)
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def name() -> str:
    """A state (and ledger) name of this test's own: every test shares the session's server and schema."""
    return f"spec-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def opened(pg_url: str, name: str) -> Iterator[Callable[..., Any]]:
    """``opened(PostgresStateStore or PostgresLedger, **options)``: on the test server, under this test's
    name, each its own connection (like separate runs); all closed afterwards."""
    made: list[Any] = []

    def make(cls: type, **options: Any) -> Any:
        backend = cls(options.pop("url", pg_url), **{"name": name, **options})
        made.append(backend)
        return backend

    yield make
    for backend in made:
        backend.close()


def query(pg_url: str, statement: str, *params: Any) -> list[tuple[Any, ...]]:
    """Run one SQL statement on the test server outside specrun; its rows (none for a command)."""
    import psycopg

    with psycopg.connect(pg_url, autocommit=True) as connection:
        cursor = connection.execute(statement, params or None)
        return cursor.fetchall() if cursor.description else []
