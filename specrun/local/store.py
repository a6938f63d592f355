"""Where the local provider keeps things: SQLite (WAL) for metadata, blobs on disk.

    <data_dir>/specrun-local.sqlite3   files and batches (one row each)
    <data_dir>/files/<file_id>         uploaded and produced file contents
    <data_dir>/work/<batch_id>.*       partial output of batches in progress

Message batches (the Anthropic surface) keep their own table (``anthropic_store``) and
run their requests as ordinary batches here, under an owner no API key maps to.

One connection guarded by a lock serves every thread of the process; other
processes on the same directory are coordinated by SQLite itself and by the
batch leases (see ``claim_batch``).
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

__all__ = ["Store", "FileRow", "BatchRow", "ACTIVE_STATUSES", "TERMINAL_STATUSES"]

ACTIVE_STATUSES = ("validating", "in_progress", "finalizing", "cancelling")
TERMINAL_STATUSES = ("completed", "failed", "expired", "cancelled")
LEASE_SECONDS = 15.0

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS files (
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,
    id         TEXT NOT NULL UNIQUE,
    owner      TEXT NOT NULL,
    filename   TEXT NOT NULL,
    purpose    TEXT NOT NULL,
    bytes      INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER
);
CREATE INDEX IF NOT EXISTS files_by_owner ON files (owner, seq);
CREATE TABLE IF NOT EXISTS batches (
    seq               INTEGER PRIMARY KEY AUTOINCREMENT,
    id                TEXT NOT NULL UNIQUE,
    owner             TEXT NOT NULL,
    input_file_id     TEXT NOT NULL,
    endpoint          TEXT NOT NULL,
    completion_window TEXT NOT NULL,
    status            TEXT NOT NULL,
    model             TEXT,
    metadata          TEXT,
    errors            TEXT,
    output_file_id    TEXT,
    error_file_id     TEXT,
    planned_output_file_id TEXT,
    planned_error_file_id  TEXT,
    total             INTEGER NOT NULL DEFAULT 0,
    completed         INTEGER NOT NULL DEFAULT 0,
    failed            INTEGER NOT NULL DEFAULT 0,
    next_line         INTEGER NOT NULL DEFAULT 0,
    output_bytes      INTEGER NOT NULL DEFAULT 0,
    error_bytes       INTEGER NOT NULL DEFAULT 0,
    deadline          REAL NOT NULL,
    created_at        INTEGER NOT NULL,
    expires_at        INTEGER,
    in_progress_at    INTEGER,
    finalizing_at     INTEGER,
    completed_at      INTEGER,
    failed_at         INTEGER,
    expired_at        INTEGER,
    cancelling_at     INTEGER,
    cancelled_at      INTEGER,
    lease_owner       TEXT,
    lease_until       REAL
);
CREATE INDEX IF NOT EXISTS batches_by_owner ON batches (owner, seq);
CREATE INDEX IF NOT EXISTS batches_by_status ON batches (status);
"""


@dataclass(frozen=True)
class FileRow:
    seq: int
    id: str
    owner: str
    filename: str
    purpose: str
    bytes: int
    created_at: int
    expires_at: int | None


@dataclass(frozen=True)
class BatchRow:
    seq: int
    id: str
    owner: str
    input_file_id: str
    endpoint: str
    completion_window: str
    status: str
    model: str | None
    metadata: str | None
    errors: str | None
    output_file_id: str | None
    error_file_id: str | None
    planned_output_file_id: str | None
    planned_error_file_id: str | None
    total: int
    completed: int
    failed: int
    next_line: int
    output_bytes: int
    error_bytes: int
    deadline: float
    created_at: int
    expires_at: int | None
    in_progress_at: int | None
    finalizing_at: int | None
    completed_at: int | None
    failed_at: int | None
    expired_at: int | None
    cancelling_at: int | None
    cancelled_at: int | None
    lease_owner: str | None
    lease_until: float | None


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, belongs to someone else
        return True
    return True


class Store:
    """Metadata in SQLite, contents on disk. Thread-safe."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = Path(data_dir)
        self.files_dir = self.data_dir / "files"
        self.work_dir = self.data_dir / "work"
        for directory in (self.data_dir, self.files_dir, self.work_dir):
            directory.mkdir(parents=True, exist_ok=True)
        self._lock = threading.RLock()
        self._db = sqlite3.connect(
            self.data_dir / "specrun-local.sqlite3",
            isolation_level=None,  # autocommit; transactions are explicit
            check_same_thread=False,
            timeout=10.0,
        )
        self._db.row_factory = sqlite3.Row
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        with self._lock:
            self._db.executescript(_SCHEMA)
            self._db.execute("INSERT OR IGNORE INTO meta (key, value) VALUES ('schema_version', '1')")
        self._closed = False

    def close(self) -> None:
        with self._lock:
            if not self._closed:
                self._closed = True
                self._db.close()

    # ---- paths -----------------------------------------------------------------

    def blob_path(self, file_id: str) -> Path:
        return self.files_dir / file_id

    def partial_paths(self, batch_id: str) -> tuple[Path, Path]:
        return (self.work_dir / f"{batch_id}.output.partial", self.work_dir / f"{batch_id}.error.partial")

    # ---- files -------------------------------------------------------------------

    def save_blob(self, file_id: str, source: IO[bytes]) -> int:
        """Copy ``source`` to the blob of ``file_id`` (atomically); return its size."""
        target = self.blob_path(file_id)
        temporary = target.with_name(target.name + ".upload")
        with open(temporary, "wb") as sink:
            shutil.copyfileobj(source, sink, 1024 * 1024)
            size = sink.tell()
        os.replace(temporary, target)
        return size

    def write_blob(self, file_id: str, chunks: Iterable[bytes]) -> int:
        """Write ``chunks`` as the blob of ``file_id`` (atomically); return its size."""
        target = self.blob_path(file_id)
        temporary = target.with_name(f"{target.name}.{secrets.token_hex(4)}.upload")
        try:
            with open(temporary, "wb") as sink:
                for chunk in chunks:
                    sink.write(chunk)
                size = sink.tell()
            os.replace(temporary, target)
        finally:
            temporary.unlink(missing_ok=True)
        return size

    def insert_file(self, row: dict[str, Any]) -> FileRow:
        with self._lock:
            self._db.execute(
                "INSERT INTO files (id, owner, filename, purpose, bytes, created_at, expires_at) "
                "VALUES (:id, :owner, :filename, :purpose, :bytes, :created_at, :expires_at)",
                row,
            )
        found = self.get_file(row["id"])
        assert found is not None
        return found

    def get_file(self, file_id: str, owner: str | None = None) -> FileRow | None:
        with self._lock:
            row = self._db.execute("SELECT * FROM files WHERE id = ?", (file_id,)).fetchone()
        if row is None or (owner is not None and row["owner"] != owner):
            return None
        return FileRow(**dict(row))

    def list_files(self, owner: str, *, limit: int, after: str | None, order: str,
                   purpose: str | None = None) -> tuple[list[FileRow], bool]:
        """A page of files and whether more follow."""
        rows = self._page("files", owner, limit=limit, after=after, order=order,
                          extra=("purpose = ?", purpose) if purpose else None)
        return [FileRow(**dict(r)) for r in rows[:limit]], len(rows) > limit

    def delete_file(self, file_id: str) -> None:
        with self._lock:
            self._db.execute("DELETE FROM files WHERE id = ?", (file_id,))
        self.blob_path(file_id).unlink(missing_ok=True)

    # ---- batches -------------------------------------------------------------------

    def insert_batch(self, row: dict[str, Any]) -> BatchRow:
        columns = ", ".join(row)
        values = ", ".join(f":{k}" for k in row)
        with self._lock:
            self._db.execute(f"INSERT INTO batches ({columns}) VALUES ({values})", row)
        found = self.get_batch(row["id"])
        assert found is not None
        return found

    def get_batch(self, batch_id: str, owner: str | None = None) -> BatchRow | None:
        with self._lock:
            row = self._db.execute("SELECT * FROM batches WHERE id = ?", (batch_id,)).fetchone()
        if row is None or (owner is not None and row["owner"] != owner):
            return None
        return BatchRow(**dict(row))

    def get_batches(self, batch_ids: list[str]) -> list[BatchRow]:
        """The batches with these ids, in that order (missing ones left out)."""
        rows = self.query(f"SELECT * FROM batches WHERE id IN ({', '.join('?' * len(batch_ids))})", batch_ids) \
            if batch_ids else []
        found = {r["id"]: BatchRow(**dict(r)) for r in rows}
        return [found[b] for b in batch_ids if b in found]

    def list_batches(self, owner: str, *, limit: int, after: str | None) -> tuple[list[BatchRow], bool]:
        rows = self._page("batches", owner, limit=limit, after=after, order="desc")
        return [BatchRow(**dict(r)) for r in rows[:limit]], len(rows) > limit

    def update_batch(self, batch_id: str, *, only_if_status: tuple[str, ...] = (), **changes: Any) -> bool:
        """Apply ``changes``; with ``only_if_status``, only from those statuses. True if applied."""
        assignments = ", ".join(f"{k} = ?" for k in changes)
        sql = f"UPDATE batches SET {assignments} WHERE id = ?"
        params: list[Any] = [*changes.values(), batch_id]
        if only_if_status:
            sql += f" AND status IN ({', '.join('?' * len(only_if_status))})"
            params.extend(only_if_status)
        with self._lock:
            return self._db.execute(sql, params).rowcount == 1

    def finish_batch(self, batch_id: str, *, files: list[dict[str, Any]], **changes: Any) -> None:
        """Register the produced files and move the batch to its final status, atomically."""
        with self.transaction() as db:
            for row in files:
                db.execute(
                    "INSERT OR IGNORE INTO files (id, owner, filename, purpose, bytes, created_at, expires_at) "
                    "VALUES (:id, :owner, :filename, :purpose, :bytes, :created_at, :expires_at)",
                    row,
                )
            changes.update(lease_owner=None, lease_until=None)
            assignments = ", ".join(f"{k} = ?" for k in changes)
            db.execute(f"UPDATE batches SET {assignments} WHERE id = ?", [*changes.values(), batch_id])

    def batches_using_file(self, file_id: str) -> list[str]:
        marks = ", ".join("?" * len(ACTIVE_STATUSES))
        with self._lock:
            rows = self._db.execute(
                f"SELECT id FROM batches WHERE input_file_id = ? AND status IN ({marks})",
                (file_id, *ACTIVE_STATUSES),
            ).fetchall()
        return [r["id"] for r in rows]

    # ---- leases: which worker processes which batch ------------------------------------

    @staticmethod
    def new_lease_owner(token: str) -> str:
        return f"{socket.gethostname()}:{os.getpid()}:{token}"

    def claimable_batch_ids(self) -> list[str]:
        """Active batches no live worker holds, oldest first."""
        marks = ", ".join("?" * len(ACTIVE_STATUSES))
        with self._lock:
            rows = self._db.execute(
                f"SELECT id, lease_owner, lease_until FROM batches WHERE status IN ({marks}) ORDER BY seq",
                ACTIVE_STATUSES,
            ).fetchall()
        now = time.time()
        return [r["id"] for r in rows if self._lease_is_free(r["lease_owner"], r["lease_until"], now)]

    @staticmethod
    def _lease_is_free(owner: str | None, until: float | None, now: float) -> bool:
        if not owner or until is None or until < now:
            return True
        host, _, rest = owner.partition(":")
        pid = rest.partition(":")[0]
        # A holder on this host that died (kill -9, crash) frees its batches at once.
        return host == socket.gethostname() and pid.isdigit() and not _process_alive(int(pid))

    def claim_batch(self, batch_id: str, lease_owner: str) -> bool:
        """Take the lease of an active batch if it is free. True if we now hold it."""
        with self._lock:
            row = self._db.execute(
                "SELECT status, lease_owner, lease_until FROM batches WHERE id = ?", (batch_id,)
            ).fetchone()
            if row is None or row["status"] not in ACTIVE_STATUSES:
                return False
            if not self._lease_is_free(row["lease_owner"], row["lease_until"], time.time()):
                return False
            cursor = self._db.execute(
                "UPDATE batches SET lease_owner = ?, lease_until = ? WHERE id = ? "
                "AND lease_owner IS ? AND lease_until IS ?",
                (lease_owner, time.time() + LEASE_SECONDS, batch_id, row["lease_owner"], row["lease_until"]),
            )
            return cursor.rowcount == 1

    def renew_leases(self, lease_owner: str) -> dict[str, str]:
        """Extend our leases; return {batch_id: status} of the batches we hold."""
        with self._lock:
            self._db.execute(
                "UPDATE batches SET lease_until = ? WHERE lease_owner = ?",
                (time.time() + LEASE_SECONDS, lease_owner),
            )
            rows = self._db.execute(
                "SELECT id, status FROM batches WHERE lease_owner = ?", (lease_owner,)
            ).fetchall()
        return {r["id"]: r["status"] for r in rows}

    def release_lease(self, batch_id: str, lease_owner: str) -> None:
        with self._lock:
            if not self._closed:
                self._db.execute(
                    "UPDATE batches SET lease_owner = NULL, lease_until = NULL WHERE id = ? AND lease_owner = ?",
                    (batch_id, lease_owner),
                )

    # ---- plain SQL, for the tables of other modules (``anthropic_store``) ----------------------

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """The connection, inside one write transaction (rolled back if the block raises)."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row]:
        with self._lock:
            return self._db.execute(sql, params).fetchall()

    def execute(self, sql: str, params: Sequence[Any] | Mapping[str, Any] = ()) -> int:
        """Run one statement (``?`` or ``:name`` parameters); the number of rows it changed."""
        with self._lock:
            return self._db.execute(sql, params).rowcount

    def executescript(self, script: str) -> None:
        with self._lock:
            self._db.executescript(script)

    # ---- pagination ----------------------------------------------------------------------

    def _page(self, table: str, owner: str, *, limit: int, after: str | None, order: str,
              extra: tuple[str, Any] | None = None) -> list[sqlite3.Row]:
        """Up to limit+1 rows (the extra one tells whether more follow)."""
        descending = order == "desc"
        where = ["owner = ?"]
        params: list[Any] = [owner]
        if extra is not None:
            where.append(extra[0])
            params.append(extra[1])
        with self._lock:
            if after:
                anchor = self._db.execute(
                    f"SELECT seq FROM {table} WHERE id = ? AND owner = ?", (after, owner)
                ).fetchone()
                if anchor is None:
                    return []
                where.append("seq < ?" if descending else "seq > ?")
                params.append(anchor["seq"])
            sql = (f"SELECT * FROM {table} WHERE {' AND '.join(where)} "
                   f"ORDER BY seq {'DESC' if descending else 'ASC'} LIMIT ?")
            return self._db.execute(sql, [*params, limit + 1]).fetchall()


def dumps(value: Any) -> str | None:
    return None if value is None else json.dumps(value, separators=(",", ":"))


def iter_lines(path: Path, start: int = 0) -> Iterator[tuple[int, bytes]]:
    """(0-based line index, raw line) from ``start`` on, streaming."""
    with open(path, "rb") as source:
        for index, line in enumerate(source):
            if index >= start:
                yield index, line
