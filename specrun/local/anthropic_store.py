"""Where message batches (the Anthropic surface) are kept: one table beside the store's.

A message batch is a row here plus the ordinary batches ("parts", one per model) that
run its requests through the same worker and engines. Parts and their files belong to
``MESSAGES_OWNER_PREFIX + owner``, a namespace no API key maps to (real owners are hex
digests or ""), so ``GET /v1/batches`` and ``/v1/files`` never show them, and the
message batch listing never shows OpenAI-style batches. Requests refused at creation
(unknown model, unsupported content) get their result lines in ``rejected_file_id``.

The table is created on first use (``CREATE TABLE IF NOT EXISTS``): a data directory
written by an older specrun gains it and loses nothing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from specrun.local.store import BatchRow, Store

__all__ = ["MessageBatchRow", "MessageBatchStore", "MESSAGES_OWNER_PREFIX"]

MESSAGES_OWNER_PREFIX = "anthropic:"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS message_batches (
    seq                 INTEGER PRIMARY KEY AUTOINCREMENT,
    id                  TEXT NOT NULL UNIQUE,
    owner               TEXT NOT NULL,
    requests            INTEGER NOT NULL,
    rejected            INTEGER NOT NULL DEFAULT 0,
    rejected_file_id    TEXT,
    results_file_id     TEXT NOT NULL,
    parts               TEXT NOT NULL,
    created_at          REAL NOT NULL,
    expires_at          REAL NOT NULL,
    cancel_initiated_at REAL
);
CREATE INDEX IF NOT EXISTS message_batches_by_owner ON message_batches (owner, seq);
"""

_INSERT_FILE = ("INSERT INTO files (id, owner, filename, purpose, bytes, created_at, expires_at) "
                "VALUES (:id, :owner, :filename, :purpose, :bytes, :created_at, :expires_at)")


@dataclass(frozen=True)
class MessageBatchRow:
    """``requests`` in all; ``rejected`` of them errored at creation, the rest run by ``parts``."""

    seq: int
    id: str
    owner: str
    requests: int
    rejected: int
    rejected_file_id: str | None
    results_file_id: str           # written once the batch has ended (``anthropic_batches.results``)
    parts: str                     # JSON list of batch ids
    created_at: float
    expires_at: float
    cancel_initiated_at: float | None

    @property
    def part_ids(self) -> list[str]:
        return list(json.loads(self.parts))


def _insert(table: str, row: dict[str, Any]) -> str:
    return f"INSERT INTO {table} ({', '.join(row)}) VALUES ({', '.join(':' + k for k in row)})"


class MessageBatchStore:
    """Message batch rows on a ``Store``'s database."""

    def __init__(self, store: Store) -> None:
        self.store = store
        store.executescript(_SCHEMA)

    def insert(self, row: dict[str, Any], *, files: list[dict[str, Any]],
               parts: list[dict[str, Any]]) -> MessageBatchRow:
        """Register a message batch with its input files and part batches, atomically."""
        with self.store.transaction() as db:
            for file_row in files:
                db.execute(_INSERT_FILE, file_row)
            for part in parts:
                db.execute(_insert("batches", part), part)
            db.execute(_insert("message_batches", row), row)
        found = self.get(row["id"])
        assert found is not None
        return found

    def get(self, batch_id: str, owner: str | None = None) -> MessageBatchRow | None:
        rows = self.store.query("SELECT * FROM message_batches WHERE id = ?", (batch_id,))
        if not rows or (owner is not None and rows[0]["owner"] != owner):
            return None
        return MessageBatchRow(**dict(rows[0]))

    def parts(self, row: MessageBatchRow) -> list[BatchRow]:
        return self.store.get_batches(row.part_ids)

    def page(self, owner: str, *, limit: int, before_id: str | None,
             after_id: str | None) -> tuple[list[MessageBatchRow], bool]:
        """Newest first: the ``limit`` batches just older than ``after_id`` (or just newer than
        ``before_id``, or the newest), and whether more follow in that direction."""
        where, params = "owner = ?", [owner]
        anchor_id = after_id or before_id
        if anchor_id:
            anchor = self.store.query("SELECT seq FROM message_batches WHERE id = ? AND owner = ?",
                                      (anchor_id, owner))
            if not anchor:
                return [], False
            where += " AND seq < ?" if after_id else " AND seq > ?"
            params.append(anchor[0]["seq"])
        order = "ASC" if before_id and not after_id else "DESC"  # the ones nearest the anchor first
        rows = self.store.query(f"SELECT * FROM message_batches WHERE {where} ORDER BY seq {order} LIMIT ?",
                                [*params, limit + 1])
        page = [MessageBatchRow(**dict(r)) for r in rows[:limit]]
        if order == "ASC":
            page.reverse()
        return page, len(rows) > limit

    def mark_cancel(self, batch_id: str, when: float) -> None:
        self.store.execute("UPDATE message_batches SET cancel_initiated_at = ? "
                           "WHERE id = ? AND cancel_initiated_at IS NULL", (when, batch_id))

    def register_results(self, file_row: dict[str, Any]) -> None:
        """Record a written results file (once, however many callers wrote it)."""
        self.store.execute(_INSERT_FILE.replace("INSERT", "INSERT OR IGNORE", 1), file_row)

    def delete(self, row: MessageBatchRow) -> None:
        """Forget a message batch, its parts and every file they read or wrote."""
        parts = self.parts(row)
        file_ids = [f for f in (row.rejected_file_id, row.results_file_id) if f]
        for part in parts:
            file_ids += [f for f in (part.input_file_id, part.output_file_id, part.error_file_id,
                                     part.planned_output_file_id, part.planned_error_file_id) if f]
        with self.store.transaction() as db:
            db.execute(f"DELETE FROM files WHERE id IN ({', '.join('?' * len(file_ids))})", file_ids)
            db.execute(f"DELETE FROM batches WHERE id IN ({', '.join('?' * len(parts))})", [p.id for p in parts])
            db.execute("DELETE FROM message_batches WHERE id = ?", (row.id,))
        for file_id in file_ids:
            self.store.blob_path(file_id).unlink(missing_ok=True)
        for part in parts:
            for partial in self.store.partial_paths(part.id):
                partial.unlink(missing_ok=True)
