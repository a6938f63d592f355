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

import os
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.pgcluster import ClusterError, find_initdb, throwaway_cluster


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """The libpq URL of a fresh PostgreSQL cluster (superuser ``postgres``, database ``postgres``)."""
    if find_initdb() is None:
        if os.environ.get("SPECRUN_SKIP_PG") == "1":
            pytest.skip("PostgreSQL is not installed (initdb not found) and SPECRUN_SKIP_PG=1")
        pytest.fail("PostgreSQL is not installed: initdb is not on PATH. The postgres backend tests need a real "
                    "server (apt-get install postgresql); set SPECRUN_SKIP_PG=1 to skip them instead")
    try:
        with throwaway_cluster() as cluster:
            yield cluster.url()
    except ClusterError as exc:
        pytest.fail(str(exc))


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


#: A database URL with a password and a server that is not there.
UNREACHABLE_URL = "postgresql://u:s3cret@/db?host=/nonexistent"


def assert_each_fails_cleanly(attempts: list[Callable[[], object]]) -> None:
    """Each call against ``UNREACHABLE_URL`` is one StateError on one line, naming the host and
    database, never the password or the URL, with the driver's exception chain cut off."""
    from specrun.errors import StateError

    for attempt in attempts:
        with pytest.raises(StateError) as failed:
            attempt()
        message = str(failed.value)
        assert message.startswith("cannot connect to the postgres state backend (host /nonexistent, database db): ")
        assert "s3cret" not in message and UNREACHABLE_URL not in message and "\n" not in message
        assert failed.value.__cause__ is None and failed.value.__suppress_context__
