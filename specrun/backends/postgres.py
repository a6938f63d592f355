"""PostgreSQL as the state backend: one state document per name, compare-and-swap, a session lock.

The tables live in a schema of their own (``specrun`` unless told), created on first use:

    meta     key → value; ``schema_version`` says how many of MIGRATIONS have run
    states   name → lineage, serial, document (the state's JSON), updated_at
    holders  name → pid, host, command, since: who holds the lock, for the "locked" message
    ledger_* the row ledger of each name (``specrun.backends.postgres_ledger``)

``save`` writes only while the row still has the lineage and serial the state was read
with (compare-and-swap): of two runs that read the same state, the second to write is
refused and the first one's write is kept. ``lock`` takes a session-level advisory lock
on a connection of its own, held while the command runs: when the process dies its
session ends and the server frees the lock at once, so a stale lock never blocks.

Connections speak UTF8; a database whose encoding cannot hold every answer (anything but
UTF8, or SQL_ASCII, which keeps the bytes it is sent) is refused on connecting.

The URL carries the password, so it is never shown: messages name the host and the
database only, and any text taken from the driver is scrubbed of the URL and password.
psycopg is imported only when a store is made (the ``postgres`` extra).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import socket
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, suppress
from datetime import datetime, timezone
from types import ModuleType, TracebackType
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urlsplit

from specrun._text import quoted
from specrun.errors import MissingExtra, StateError, StateLocked
from specrun.state import STATE_VERSION, State

if TYPE_CHECKING:
    from psycopg import Connection
    from psycopg.sql import Composed

__all__ = ["PostgresStateStore", "require_psycopg", "POSTGRES_EXTRA", "MIGRATIONS", "SCHEMA_VERSION"]

POSTGRES_EXTRA = "pip install 'specrun[postgres]'"

#: The backend's tables, one entry per schema version, run in order on first use. One that
#: has shipped is never edited: a change is the next entry. ``{schema}`` is the quoted schema.
MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (  # 1: state documents and lock holders
        # json, not jsonb: it keeps the document's text as written, and jsonb refuses \u0000
        # and lone surrogates, which a provider's ids or a data file's names may hold
        """CREATE TABLE {schema}.states (
               name text PRIMARY KEY,
               lineage text NOT NULL,
               serial bigint NOT NULL CHECK (serial >= 0),
               document json NOT NULL,
               updated_at timestamptz NOT NULL DEFAULT now())""",
        # backend_pid ties a row to the session holding the lock: a killed holder's row
        # stays behind until the next holder overwrites it, and is never reported
        """CREATE TABLE {schema}.holders (
               name text PRIMARY KEY,
               pid integer NOT NULL,
               host text NOT NULL,
               command text NOT NULL,
               since timestamptz NOT NULL DEFAULT now(),
               backend_pid integer NOT NULL)""",
    ),
    (  # 2: the row ledger of each name (specrun.backends.postgres_ledger says why per name)
        # Provider text (answers, ids, model names) may hold NUL or lone surrogates, which
        # text refuses: such a value is stored marked and escaped (postgres_ledger._text).
        # The usage's integer token counts are copied out at write time: json's operators
        # fail on a whole document when any string in it holds \u0000.
        """CREATE TABLE {schema}.ledger_outcomes (
               name text NOT NULL,
               key bytea NOT NULL,
               status text NOT NULL,
               content text,
               error json,
               usage json,
               model text,
               batch_id text,
               file_id text,
               at double precision NOT NULL,
               prompt_chars bigint NOT NULL DEFAULT 0,
               prompt_tokens bigint,
               completion_tokens bigint,
               PRIMARY KEY (name, key))""",
        """CREATE TABLE {schema}.ledger_shard_keys (
               name text NOT NULL,
               key bytea NOT NULL,
               filename text NOT NULL,
               PRIMARY KEY (name, key, filename))""",
        """CREATE TABLE {schema}.ledger_ingested (
               name text NOT NULL,
               file_id text NOT NULL,
               at double precision NOT NULL,
               PRIMARY KEY (name, file_id))""",
        """CREATE TABLE {schema}.ledger_meta (
               name text NOT NULL,
               key text NOT NULL,
               value text NOT NULL,
               PRIMARY KEY (name, key))""",
    ),
)
SCHEMA_VERSION = len(MIGRATIONS)

_Self = TypeVar("_Self", bound="_Backend")

_LOCK_POLL_SECONDS = 0.1
_CONNECT_TIMEOUT_SECONDS = 10
# The server notices a vanished client (power loss, a dropped network) within about
# idle + interval × count seconds and frees its lock; a killed process is noticed at once.
_KEEPALIVES = {"tcp_keepalives_idle": 60, "tcp_keepalives_interval": 10, "tcp_keepalives_count": 6}


def require_psycopg() -> ModuleType:
    """``psycopg``, or a ``MissingExtra`` error naming the ``postgres`` extra."""
    try:
        import psycopg
    except ImportError:
        raise MissingExtra(f"the postgres state backend needs the postgres extra: {POSTGRES_EXTRA}") from None
    return psycopg


class _Backend:
    """What the state store and the row ledger share: one connection, opened on first use;
    the tables, created or migrated by the first connection; database errors as one
    ``StateError`` that never shows the URL or its password.

    ``url`` is a libpq URL or connection string (it is never shown); ``schema`` holds
    the tables; ``name`` says which spec's state (and ledger) of the database this is.
    """

    def __init__(self, url: str, *, schema: str = "specrun", name: str) -> None:
        require_psycopg()
        self._url = url
        self._secrets = _secrets(url)
        self.where = _describe(url, self._secrets)
        self.schema = schema
        self.name = name
        self._connection: Connection[Any] | None = None
        self._tables_ready = False

    # -- connections ------------------------------------------------------------------

    def close(self) -> None:
        """Close the connection (a held state lock has its own)."""
        if self._connection is not None:
            with suppress(Exception):
                self._connection.close()
            self._connection = None

    def __enter__(self: _Self) -> _Self:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.close()

    def _session(self) -> Connection[Any]:
        """The connection, opened on first use and again after it broke."""
        if self._connection is None or self._connection.closed or self._connection.broken:
            self._connection = self._connect()
        return self._connection

    def _connect(self) -> Connection[Any]:
        """A new autocommit connection; the tables are created or migrated on the first one."""
        import psycopg

        known = _conninfo(self._url)
        defaults: dict[str, Any] = {}
        if "connect_timeout" not in known and not os.environ.get("PGCONNECT_TIMEOUT"):
            defaults["connect_timeout"] = _CONNECT_TIMEOUT_SECONDS
        if "application_name" not in known and not os.environ.get("PGAPPNAME"):
            defaults["application_name"] = "specrun"
        if "client_encoding" not in known and not os.environ.get("PGCLIENTENCODING"):
            # else a SQL_ASCII database sends text as bytes; UTF8 is what specrun writes and reads
            defaults["client_encoding"] = "UTF8"
        try:
            connection = psycopg.connect(self._url, autocommit=True, **defaults)
        except psycopg.Error as exc:
            raise StateError(f"cannot connect to the postgres state backend ({self.where}): "
                             f"{self._reason(exc)}") from None
        try:
            self._refuse_encoding(connection)
            if not self._tables_ready:
                with self._failures("create its tables"):
                    self._ensure_tables(connection)
                self._tables_ready = True
            with self._failures("set up its connection"):
                self._configure(connection)
        except StateError:
            connection.close()
            raise
        return connection

    def _refuse_encoding(self, connection: Connection[Any]) -> None:
        """A database whose text cannot hold every answer (UTF8 can; SQL_ASCII keeps the bytes it is sent)."""
        encoding = connection.info.parameter_status("server_encoding")
        if encoding is not None and encoding not in ("UTF8", "SQL_ASCII"):
            raise StateError(f"the postgres state backend ({self.where}) is a database in "
                             f"{quoted(encoding)}, which cannot hold every answer a "
                             "provider gives; use a UTF8 database (CREATE DATABASE ... ENCODING 'UTF8' "
                             "TEMPLATE template0)")

    def _configure(self, connection: Connection[Any]) -> None:
        """Session settings a kind of object wants on each of its connections (none by default)."""

    # -- tables -------------------------------------------------------------------------

    def _ensure_tables(self, connection: Connection[Any]) -> None:
        """Create the schema and its tables, or run the migrations they lack, once per database."""
        version = self._schema_version(connection)
        if version == SCHEMA_VERSION:
            return
        self._refuse_newer(version)
        with connection.transaction():
            # one run creates or migrates the tables; a concurrent first run waits, then finds them
            connection.execute("SELECT pg_advisory_xact_lock(%s)", [_key("schema", self.schema)])
            connection.execute(self._sql("CREATE SCHEMA IF NOT EXISTS {schema}"))
            connection.execute(self._sql(
                "CREATE TABLE IF NOT EXISTS {schema}.meta (key text PRIMARY KEY, value text NOT NULL)"))
            version = self._schema_version(connection)
            self._refuse_newer(version)
            for statements in MIGRATIONS[version:]:
                for statement in statements:
                    connection.execute(self._sql(statement))
            connection.execute(self._sql(
                "INSERT INTO {schema}.meta (key, value) VALUES ('schema_version', %s) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value"), [str(SCHEMA_VERSION)])

    def _schema_version(self, connection: Connection[Any]) -> int:
        """How many migrations have run in this schema (0 when it has no tables yet)."""
        exists = connection.execute(
            "SELECT 1 FROM pg_catalog.pg_tables WHERE schemaname = %s AND tablename = 'meta'",
            [self.schema]).fetchone()
        if not exists:
            return 0
        row = connection.execute(
            self._sql("SELECT value FROM {schema}.meta WHERE key = 'schema_version'")).fetchone()
        if row is None:
            return 0
        try:
            return int(row[0])
        except ValueError:
            raise StateError(f"the postgres state backend ({self.where}) has a schema version of "
                             f"{quoted(row[0])} in {quoted(self.schema)}.meta, which is not a number") from None

    def _refuse_newer(self, version: int) -> None:
        if version > SCHEMA_VERSION:
            raise StateError(f"the postgres state backend ({self.where}) has tables of schema version {version} in "
                             f"schema {quoted(self.schema)}, newer than this specrun understands ({SCHEMA_VERSION}); "
                             "upgrade specrun")

    def _sql(self, text: str) -> Composed:
        """``text`` with ``{schema}`` replaced by the quoted schema name."""
        from psycopg import sql

        return sql.SQL(text).format(schema=sql.Identifier(self.schema))

    # -- errors -------------------------------------------------------------------------

    @contextmanager
    def _failures(self, doing: str) -> Iterator[None]:
        """A database error while ``doing`` something as one ``StateError``, scrubbed of the URL."""
        import psycopg

        try:
            yield
        except psycopg.Error as exc:
            raise StateError(f"the postgres state backend ({self.where}) could not {doing}: "
                             f"{self._reason(exc)}") from None

    def _reason(self, error: BaseException) -> str:
        """The driver's message on one line, without the URL or password."""
        lines = [line.strip() for line in str(error).splitlines() if line.strip()]
        return _scrub(" ".join(lines), self._secrets) or type(error).__name__


class PostgresStateStore(_Backend):
    """One named state in a PostgreSQL database: load, compare-and-swap save, session lock.

    ``url`` is a libpq URL or connection string (it is never shown); ``schema`` holds
    the tables; ``name`` says which state of the database this store reads and writes.
    """

    # -- the StateStore protocol --------------------------------------------------------

    def load(self) -> State | None:
        """The state stored under this store's name; None when there is none yet."""
        with self._failures(f"read the state of {quoted(self.name)}"):
            row = self._session().execute(
                self._sql("SELECT document FROM {schema}.states WHERE name = %s"), [self.name]).fetchone()
        return None if row is None else self._state(row[0])

    def save(self, state: State) -> None:
        """Write the state and bump its serial, only if the backend still holds the serial it was read with."""
        document = state.to_json()
        document["serial"] = state.serial + 1
        text = json.dumps(document)
        with self._failures(f"save the state of {quoted(self.name)}"):
            session = self._session()
            if state.serial == 0:  # a new state: only if no other run created one meanwhile
                written = session.execute(self._sql(
                    "INSERT INTO {schema}.states (name, lineage, serial, document) VALUES (%s, %s, %s, %s::json) "
                    "ON CONFLICT (name) DO NOTHING RETURNING serial"),
                    [self.name, state.lineage, state.serial + 1, text]).fetchone()
            else:
                written = session.execute(self._sql(
                    "UPDATE {schema}.states SET serial = %s, document = %s::json, updated_at = now() "
                    "WHERE name = %s AND lineage = %s AND serial = %s RETURNING serial"),
                    [state.serial + 1, text, self.name, state.lineage, state.serial]).fetchone()
            current = None if written else session.execute(
                self._sql("SELECT lineage, serial FROM {schema}.states WHERE name = %s"), [self.name]).fetchone()
        if not written:
            raise self._lost_race(state, current)
        state.serial += 1  # only once the write succeeded

    def lock(self, command: str, timeout: float = 0.0) -> AbstractContextManager[None]:
        """Hold this state's lock while ``command`` runs; wait up to ``timeout`` seconds for another holder."""
        return self._locked(command, timeout)

    def __repr__(self) -> str:
        return f"PostgresStateStore({self.where}, schema={self.schema!r}, name={self.name!r})"

    # -- state --------------------------------------------------------------------------

    def _state(self, document: Any) -> State:
        source = f"{quoted(self.name)} in the postgres backend ({self.where})"
        if isinstance(document, str):  # a json column read without psycopg's loader
            document = json.loads(document)
        if not isinstance(document, dict) or "version" not in document:
            raise StateError(f"the state {source} is not a specrun state")
        version = document["version"]
        if isinstance(version, bool) or not isinstance(version, int) or version > STATE_VERSION:
            raise StateError(f"the state {source} has version {version!r}, newer than this specrun understands "
                             f"({STATE_VERSION}); upgrade specrun")
        if version < 1:
            raise StateError(f"the state {source} has version {version}, too old to read; delete it to let "
                             "specrun adopt the batches from the provider")
        return State.from_json(document, source=source)

    def _lost_race(self, state: State, current: tuple[Any, ...] | None) -> StateError:
        if current is None:
            now, who = "none", "another run removed it"
        elif state.serial == 0:
            now, who = str(current[1]), "another run created it"
        elif current[0] != state.lineage:
            now, who = f"{current[1]} of another lineage", "another run replaced it"
        else:
            now, who = str(current[1]), "another run wrote it"
        return StateError(f"the state of {quoted(self.name)} changed in the backend since it was read "
                          f"(serial {state.serial}, now {now}): {who}; nothing was lost: run the command again")

    # -- the lock -----------------------------------------------------------------------

    @contextmanager
    def _locked(self, command: str, timeout: float) -> Iterator[None]:
        # A connection of its own: the lock lives exactly as long as this session.
        connection = self._connect()
        try:
            with self._failures(f"take the lock of {quoted(self.name)}"):
                for setting, value in _KEEPALIVES.items():
                    connection.execute("SELECT set_config(%s, %s, false)", [setting, str(value)])
                self._acquire(connection, command, timeout)
            yield
        finally:
            self._release(connection)

    def _acquire(self, connection: Connection[Any], command: str, timeout: float) -> None:
        key = _key("state", self.schema, self.name)
        deadline = time.monotonic() + max(timeout, 0.0)
        while True:
            taken = connection.execute("SELECT pg_try_advisory_lock(%s)", [key]).fetchone()
            if taken and taken[0]:
                break
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                waited = f" after waiting {timeout:g}s" if timeout > 0 else ""
                raise StateLocked(f"the state of {quoted(self.name)} is locked{waited}: "
                                  f"{self._holder(connection, key)}. Wait for it to finish, "
                                  "or pass --lock-timeout SECONDS to wait")
            time.sleep(min(_LOCK_POLL_SECONDS, remaining))
        connection.execute(self._sql(
            "INSERT INTO {schema}.holders (name, pid, host, command, since, backend_pid) "
            "VALUES (%s, %s, %s, %s, now(), pg_backend_pid()) ON CONFLICT (name) DO UPDATE SET "
            "pid = excluded.pid, host = excluded.host, command = excluded.command, since = excluded.since, "
            "backend_pid = excluded.backend_pid"),
            [self.name, os.getpid(), socket.gethostname(), command])

    def _holder(self, connection: Connection[Any], key: int) -> str:
        """Who holds the lock, from the holder row of the session that holds it now."""
        unsigned = key & 0xFFFF_FFFF_FFFF_FFFF  # pg_locks shows a bigint key as two 32-bit halves
        row = connection.execute(self._sql(
            "SELECT h.pid, h.host, h.command, h.since FROM {schema}.holders h WHERE h.name = %s "
            "AND h.backend_pid IN (SELECT l.pid FROM pg_catalog.pg_locks l WHERE l.locktype = 'advisory' "
            "AND l.granted AND l.objsubid = 1 AND l.classid::bigint = %s AND l.objid::bigint = %s "
            "AND l.database = (SELECT oid FROM pg_catalog.pg_database WHERE datname = current_database()))"),
            [self.name, unsigned >> 32, unsigned & 0xFFFF_FFFF]).fetchone()
        if row is None:
            return "held by another specrun process"
        pid, host, command, since = row
        return f"held by pid {pid} on {host} running '{command}' since {_utc(since)}"

    def _release(self, connection: Connection[Any]) -> None:
        """Remove the holder row and end the session (which frees the lock even if the row cannot go)."""
        with suppress(Exception):
            connection.execute(self._sql(
                "DELETE FROM {schema}.holders WHERE name = %s AND backend_pid = pg_backend_pid()"), [self.name])
        with suppress(Exception):
            connection.close()


def _key(*parts: str) -> int:
    """A signed 64-bit advisory lock key for these parts (the first 8 bytes of their sha256)."""
    digest = hashlib.sha256("\0".join(("specrun", *parts)).encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def _utc(moment: Any) -> str:
    if isinstance(moment, datetime):
        return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    return str(moment)


def _conninfo(url: str) -> dict[str, Any]:
    """The URL's parameters (libpq's own parsing); a URL that does not parse is a ``StateError``."""
    import psycopg
    from psycopg.conninfo import conninfo_to_dict

    try:
        return conninfo_to_dict(url)
    except psycopg.Error as exc:
        # libpq quotes the part it could not parse, which may be the password: never shown
        reason = re.sub(r'"[^"]*"', '"…"', _scrub(str(exc).strip(), _secrets_in_text(url)))
        raise StateError(f"the postgres state backend URL is not a valid connection string ({reason}); "
                         "expected postgresql://USER:PASSWORD@HOST:PORT/DATABASE") from None


def _secrets_in_text(url: str) -> list[str]:
    """What must never be shown of a URL: the URL itself and its password, as written and decoded."""
    secrets = [url]
    with suppress(ValueError):
        password = urlsplit(url).password
        if password:
            secrets.append(password)
    return secrets


def _secrets(url: str) -> list[str]:
    secrets = _secrets_in_text(url)
    password = _conninfo(url).get("password")
    if password:
        secrets.append(str(password))
    return sorted({s for s in secrets if s}, key=len, reverse=True)  # longest first: a password inside the URL


def _scrub(text: str, secrets: list[str]) -> str:
    for secret in sorted(secrets, key=len, reverse=True):
        if secret:
            text = text.replace(secret, "***")
    return text


def _location(url: str, secrets: list[str]) -> tuple[str, str | None]:
    """The backend's host (with its port, if given) and database, scrubbed of the password."""
    params = _conninfo(url)
    host = params.get("host") or params.get("hostaddr") or "localhost"
    if params.get("port"):
        host = f"{host}:{params['port']}"
    database = params.get("dbname") or params.get("user")
    return _scrub(str(host), secrets), None if not database else _scrub(str(database), secrets)


def _describe(url: str, secrets: list[str]) -> str:
    """``host H, database D``: where the backend is, for messages (never the user's password)."""
    host, database = _location(url, secrets)
    return f"host {host}, " + (f"database {database}" if database else "the default database")
