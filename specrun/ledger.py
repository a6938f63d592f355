"""The row ledger (DESIGN §7): every answered request, by the hash of what was asked.

A request's **key** is the sha256 of its canonical JSON (``url`` + ``body``, sorted
keys, no whitespace; with ``dedupe: false`` its ``custom_id`` too), so the same
question asked by any row of any job maps to one entry. The ledger maps key → the
final outcome the provider gave (the answer or the row error, usage, model, batch and
file ids, time). It lives in SQLite (stdlib, WAL) beside the state and only grows from
provider answers; ``prune`` is the one way entries leave.

An embeddings answer's vector is stored in the ``content`` column too, as the escape
marker and ``{"embedding": <base64 of its little-endian float64s>}`` (``vector_text``):
exact (the floats the provider wrote, bit for bit), about 11 characters a number, and
never mistaken for text (an escaped text is a JSON string, a vector a JSON object).

Besides outcomes it remembers which keys each uploaded shard holds (``shard_keys``):
a key whose shard is still running is *in flight* — neither answered nor to be sent
again — and which provider output files were already read in (``ingested``), so a
rebuild from the provider reads each file once.

Writes happen before the state records that results were joined: a crash between the
two leaves answers in the ledger the state does not mention yet, which is harmless
(the next plan reuses them); the other order could lose answers.
"""

from __future__ import annotations

import base64
import hashlib
import json
import sqlite3
import sys
import time
from array import array
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from specrun.errors import StateError

__all__ = ["LEDGER_FILE", "Outcome", "Ledger", "LedgerStore", "SendFilter", "request_key", "canonical_request",
           "is_key", "vector_text", "stored_answer"]

LEDGER_FILE = "ledger.sqlite"
_SCHEMA_VERSION = 1
_CHUNK = 500  # keys per IN (...) query: under SQLite's variable limit on every build


def canonical_request(url: str, body: Mapping[str, Any], custom_id: str | None = None) -> bytes:
    """The canonical JSON a key hashes: sorted keys, no whitespace, UTF-8 (``custom_id`` only for dedupe: false)."""
    obj: dict[str, Any] = {"body": body, "url": url}
    if custom_id is not None:
        obj["custom_id"] = custom_id
    return json.dumps(obj, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def request_key(url: str, body: Mapping[str, Any], custom_id: str | None = None) -> str:
    """The ledger key of one request (the renderer builds the same bytes without parsing JSON)."""
    return hashlib.sha256(canonical_request(url, body, custom_id)).hexdigest()


def is_key(value: Any) -> bool:
    """A custom_id specrun sent: a request key (64 lowercase hex digits)."""
    return isinstance(value, str) and len(value) == 64 and all(c in "0123456789abcdef" for c in value)


@dataclass(frozen=True)
class Outcome:
    """The provider's final word on one request."""

    status: str                       # ok | error
    content: str | None = None
    error: Mapping[str, Any] | None = None
    usage: Mapping[str, Any] | None = None
    model: str | None = None
    batch_id: str | None = None
    file_id: str | None = None        # the output/error file it was read from
    at: float = 0.0                   # when it was recorded (epoch seconds)
    prompt_chars: int = 0             # length of the request's message text (for calibrated estimates)
    embedding: array[float] | None = None  # an embeddings answer's vector (content is None then)


_TABLES = (
    "CREATE TABLE IF NOT EXISTS outcomes (key BLOB PRIMARY KEY, status TEXT NOT NULL, content TEXT, error TEXT, "
    "usage TEXT, model TEXT, batch_id TEXT, file_id TEXT, at REAL NOT NULL, prompt_chars INTEGER NOT NULL DEFAULT 0"
    ") WITHOUT ROWID",
    "CREATE TABLE IF NOT EXISTS shard_keys (key BLOB NOT NULL, filename TEXT NOT NULL, PRIMARY KEY (key, filename)"
    ") WITHOUT ROWID",
    "CREATE TABLE IF NOT EXISTS ingested (file_id TEXT PRIMARY KEY, at REAL NOT NULL) WITHOUT ROWID",
    "CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT) WITHOUT ROWID",
)


@runtime_checkable
class LedgerStore(Protocol):
    """What plan, apply and the ledger commands need of a row ledger: the SQLite file beside the
    state (``Ledger``), or a shared backend (``specrun.backends``)."""

    @property
    def revision(self) -> int: ...
    def answers(self, keys: Sequence[str]) -> dict[str, tuple[str, bool]]: ...
    def statuses(self, keys: Sequence[str]) -> dict[str, str]: ...
    def outcomes(self, keys: Sequence[str]) -> dict[str, Outcome]: ...
    def shard_files(self, keys: Sequence[str]) -> dict[str, set[str]]: ...
    def ingested(self, file_ids: Iterable[str]) -> set[str]: ...
    def meta(self, name: str) -> str | None: ...
    def usage_by_model(self) -> dict[str, tuple[int, int, int, int]]: ...
    def stats(self) -> dict[str, Any]: ...
    def record(self, items: Iterable[tuple[str, Outcome]]) -> int: ...
    def set_prompt_chars(self, items: Iterable[tuple[str, int]], model: str | None = None) -> None: ...
    def mark_invalid(self, items: Iterable[tuple[str, str]]) -> None: ...
    def note_shard(self, filename: str, keys: Iterable[str]) -> None: ...
    def mark_ingested(self, file_ids: Iterable[str]) -> None: ...
    def set_meta(self, name: str, value: str) -> None: ...
    def prune(self, older_than_days: float) -> int: ...
    def each_outcome(self) -> Iterator[tuple[str, Outcome]]: ...
    def close(self) -> None: ...


class Ledger:
    """key → Outcome, in one SQLite file (see the module doc). A ``LedgerStore``."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.created = not path.exists()
        path.parent.mkdir(parents=True, exist_ok=True)
        connection = sqlite3.connect(str(path), timeout=30.0, isolation_level=None)
        self._db = _Guarded(connection, path)
        try:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._migrate()
        except BaseException:
            connection.close()
            raise

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _migrate(self) -> None:
        version = self._db.execute("PRAGMA user_version").fetchone()[0]
        if version > _SCHEMA_VERSION:
            raise StateError(f"the row ledger {self.path} was made by a newer specrun (ledger schema {version}, "
                             f"this one reads {_SCHEMA_VERSION}); upgrade specrun to use it")
        if version == _SCHEMA_VERSION:
            return
        with self._transaction():
            for statement in _TABLES:
                self._db.execute(statement)
            self._db.execute(f"PRAGMA user_version={_SCHEMA_VERSION}")

    def _transaction(self) -> Any:
        db = self._db

        class _Tx:
            def __enter__(self) -> None:
                db.execute("BEGIN IMMEDIATE")

            def __exit__(self, kind: object, *rest: object) -> None:
                db.execute("COMMIT" if kind is None else "ROLLBACK")

        return _Tx()

    # ----------------------------------------------------------------- reads

    def _rows(self, sql: str, keys: Sequence[str]) -> Iterator[tuple[Any, ...]]:
        for start in range(0, len(keys), _CHUNK):
            chunk = [bytes.fromhex(k) for k in keys[start:start + _CHUNK]]
            marks = ",".join("?" * len(chunk))
            yield from self._db.execute(sql.format(marks=marks), chunk)

    def statuses(self, keys: Sequence[str]) -> dict[str, str]:
        """key → "ok" / "error" for the keys the ledger answers (cheap: no content read)."""
        return {row[0].hex(): row[1] for row in self._rows("SELECT key, status FROM outcomes WHERE key IN ({marks})",
                                                            keys)}

    def each_outcome(self) -> Iterator[tuple[str, Outcome]]:
        """Every outcome, in key order (``specrun backend migrate`` copies them), a page at a time."""
        after = b""
        while True:
            rows = self._db.execute(
                "SELECT key, status, content, error, usage, model, batch_id, file_id, at, prompt_chars "
                "FROM outcomes WHERE key > ? ORDER BY key LIMIT 1000", (after,)).rows
            if not rows:
                return
            for row in rows:
                yield row[0].hex(), _outcome(row)
            after = rows[-1][0]

    def answers(self, keys: Sequence[str]) -> dict[str, tuple[str, bool]]:
        """key → (status, measured) for the keys the ledger answers (no content read); ``measured``:
        the asking request's length and model are known (an answer rebuilt from the provider lacks them)."""
        return {row[0].hex(): (row[1], bool(row[2])) for row in self._rows(
            "SELECT key, status, prompt_chars > 0 AND model IS NOT NULL FROM outcomes WHERE key IN ({marks})", keys)}

    def outcomes(self, keys: Sequence[str]) -> dict[str, Outcome]:
        return {row[0].hex(): _outcome(row) for row in self._rows(
            "SELECT key, status, content, error, usage, model, batch_id, file_id, at, prompt_chars "
            "FROM outcomes WHERE key IN ({marks})", keys)}

    def shard_files(self, keys: Sequence[str]) -> dict[str, set[str]]:
        """key → the names of uploaded shards that hold it."""
        found: dict[str, set[str]] = {}
        for key, filename in self._rows("SELECT key, filename FROM shard_keys WHERE key IN ({marks})", keys):
            found.setdefault(key.hex(), set()).add(filename)
        return found

    def ingested(self, file_ids: Iterable[str]) -> set[str]:
        ids = list(file_ids)
        found: set[str] = set()
        for start in range(0, len(ids), _CHUNK):
            chunk = ids[start:start + _CHUNK]
            marks = ",".join("?" * len(chunk))
            found |= {row[0] for row in self._db.execute(
                f"SELECT file_id FROM ingested WHERE file_id IN ({marks})", chunk)}
        return found

    def meta(self, name: str) -> str | None:
        row = self._db.execute("SELECT value FROM meta WHERE name = ?", (name,)).fetchone()
        return None if row is None else row[0]

    def usage_by_model(self) -> dict[str, tuple[int, int, int, int]]:
        """model → (answers, prompt characters, prompt tokens, completion tokens) of ok answers with usage."""
        found: dict[str, tuple[int, int, int, int]] = {}
        for model, count, chars, prompt, completion in self._db.execute(
                "SELECT model, COUNT(*), SUM(prompt_chars), "
                "SUM(CAST(json_extract(usage, '$.prompt_tokens') AS INTEGER)), "
                "SUM(CAST(json_extract(usage, '$.completion_tokens') AS INTEGER)) "
                "FROM outcomes WHERE status = 'ok' AND usage IS NOT NULL AND prompt_chars > 0 "
                "AND json_type(usage, '$.prompt_tokens') = 'integer' "
                "AND json_type(usage, '$.completion_tokens') = 'integer' GROUP BY model"):
            if model:
                found[model] = (int(count), int(chars or 0), int(prompt or 0), int(completion or 0))
        return found

    def stats(self) -> dict[str, Any]:
        entries, ok, oldest, newest = self._db.execute(
            "SELECT COUNT(*), SUM(status = 'ok'), MIN(at), MAX(at) FROM outcomes").fetchone()
        size = sum(p.stat().st_size for p in (self.path, Path(f"{self.path}-wal")) if p.exists())
        hits = self.meta("last_plan")
        return {"path": str(self.path), "entries": int(entries), "ok": int(ok or 0),
                "error": int(entries) - int(ok or 0), "bytes": size, "oldest": oldest, "newest": newest,
                "last_plan": json.loads(hits) if hits else None}

    # ----------------------------------------------------------------- writes

    def record(self, items: Iterable[tuple[str, Outcome]]) -> int:
        """Store final outcomes; an ok answer is never replaced by an error. Returns how many changed."""
        now = time.time()
        changed = 0
        with self._transaction():
            for key, outcome in items:
                cursor = self._db.execute(
                    "INSERT INTO outcomes (key, status, content, error, usage, model, batch_id, file_id, at, "
                    "prompt_chars) VALUES (?,?,?,?,?,?,?,?,?,?) ON CONFLICT(key) DO UPDATE SET "
                    "status=excluded.status, content=excluded.content, error=excluded.error, usage=excluded.usage, "
                    "model=excluded.model, batch_id=excluded.batch_id, file_id=excluded.file_id, at=excluded.at, "
                    "prompt_chars=MAX(excluded.prompt_chars, outcomes.prompt_chars) "
                    "WHERE outcomes.status != 'ok' OR (excluded.status = 'ok' AND (outcomes.content IS NOT "
                    "excluded.content OR outcomes.batch_id IS NOT excluded.batch_id))",
                    (bytes.fromhex(key), outcome.status, _content_in(outcome), _dump(outcome.error),
                     _dump(outcome.usage), outcome.model, outcome.batch_id, outcome.file_id,
                     outcome.at or now, outcome.prompt_chars))
                changed += cursor.rowcount
            if changed:
                self._bump()
        return changed

    def _bump(self) -> None:
        self._db.execute("INSERT INTO meta (name, value) VALUES ('revision', '1') ON CONFLICT(name) DO UPDATE "
                         "SET value = CAST(value AS INTEGER) + 1")

    @property
    def revision(self) -> int:
        """Grows with every change to the outcomes: a saved plan made at another revision is stale."""
        return int(self.meta("revision") or 0)

    def set_prompt_chars(self, items: Iterable[tuple[str, int]], model: str | None = None) -> None:
        """Record how long the asking requests were, and their model (for calibrated estimates), where not
        known yet."""
        with self._transaction():
            self._db.executemany(
                "UPDATE outcomes SET prompt_chars = CASE WHEN prompt_chars = 0 THEN ? ELSE prompt_chars END, "
                "model = COALESCE(model, ?) WHERE key = ? AND (prompt_chars = 0 OR model IS NULL)",
                ((chars, model, bytes.fromhex(key)) for key, chars in items if chars > 0))

    def mark_invalid(self, items: Iterable[tuple[str, str]]) -> None:
        """Answers that do not follow the job's output schema (key, message): errors from now on, so
        ``--retry-errors`` re-sends them (the key covers the schema, so the verdict holds for every job)."""
        with self._transaction():
            changed = self._db.executemany(
                "UPDATE outcomes SET status = 'error', error = ? WHERE key = ? AND status = 'ok'",
                ((_dump({"code": "invalid_output", "message": message}), bytes.fromhex(key)) for key, message in items))
            if changed.rowcount > 0:
                self._bump()

    def note_shard(self, filename: str, keys: Iterable[str]) -> None:
        """Remember which keys an uploaded (or about to be uploaded) shard holds."""
        with self._transaction():
            self._db.executemany("INSERT OR IGNORE INTO shard_keys (key, filename) VALUES (?, ?)",
                                 ((bytes.fromhex(k), filename) for k in keys))

    def mark_ingested(self, file_ids: Iterable[str]) -> None:
        now = time.time()
        with self._transaction():
            self._db.executemany("INSERT OR IGNORE INTO ingested (file_id, at) VALUES (?, ?)",
                                 ((f, now) for f in file_ids))

    def set_meta(self, name: str, value: str) -> None:
        self._db.execute("INSERT INTO meta (name, value) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET "
                         "value = excluded.value", (name, value))

    def prune(self, older_than_days: float) -> int:
        """Forget outcomes recorded more than ``older_than_days`` ago; returns how many."""
        cutoff = time.time() - older_than_days * 86400.0
        with self._transaction():
            # shard contents matter only for requests still without an answer
            self._db.execute("DELETE FROM shard_keys WHERE key IN (SELECT key FROM outcomes)")
            removed = self._db.execute("DELETE FROM outcomes WHERE at < ?", (cutoff,)).rowcount
            if removed:
                # every output file is read again when next needed: the answers it gave may be gone now
                self._db.execute("DELETE FROM ingested")
                self._bump()
        self._db.execute("VACUUM")
        return int(removed)


@dataclass(frozen=True)
class _Result:
    rows: list[Any]
    rowcount: int

    def fetchone(self) -> Any:
        return self.rows[0] if self.rows else None

    def __iter__(self) -> Iterator[Any]:
        return iter(self.rows)


class _Guarded:
    """The SQLite connection, with every database failure turned into one clear ``StateError``."""

    def __init__(self, connection: sqlite3.Connection, path: Path) -> None:
        self._connection = connection
        self._path = path

    def _refuse(self, exc: sqlite3.Error) -> StateError:
        if isinstance(exc, sqlite3.OperationalError) and "locked" in str(exc):
            return StateError(f"the row ledger {self._path} is busy (another specrun holds it): {exc}")
        return StateError(f"the row ledger {self._path} cannot be read ({exc}); move it aside and run "
                          "`specrun plan` again: it is rebuilt from the provider")

    def execute(self, sql: str, parameters: Any = ()) -> _Result:
        """Run one statement and read all its rows (a damaged page can fail while reading, too)."""
        try:
            cursor = self._connection.execute(sql, parameters)
            return _Result(cursor.fetchall(), cursor.rowcount)
        except sqlite3.DatabaseError as exc:
            raise self._refuse(exc) from None

    def executemany(self, sql: str, parameters: Iterable[Any]) -> _Result:
        try:
            cursor = self._connection.executemany(sql, parameters)
            return _Result([], cursor.rowcount)
        except sqlite3.DatabaseError as exc:
            raise self._refuse(exc) from None

    def close(self) -> None:
        self._connection.close()


def _dump(value: Mapping[str, Any] | None) -> str | None:
    return None if value is None else _text_in(json.dumps(value, ensure_ascii=False, separators=(",", ":")))


#: Marks a stored text that holds what UTF-8 cannot (a lone surrogate a provider sent): JSON-escaped.
_ESCAPED = "\x01"


def _text_in(text: str | None) -> str | None:
    """Text as SQLite can store it: as it is, or JSON-escaped behind a marker when it is not valid UTF-8."""
    if text is None:
        return None
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return _ESCAPED + json.dumps(text)
    return text if not text.startswith(_ESCAPED) else _ESCAPED + json.dumps(text)


def _text_out(text: str | None) -> Any:
    """What ``_text_in`` (or ``vector_text``) stored: the text, or the JSON object behind the marker."""
    return json.loads(text[1:]) if text is not None and text.startswith(_ESCAPED) else text


def _content_in(outcome: Outcome) -> str | None:
    return _text_in(outcome.content) if outcome.embedding is None else vector_text(outcome.embedding)


def vector_text(vector: array[float]) -> str:
    """How a ledger stores an embedding in its content column (SQLite and Postgres alike, see the module doc)."""
    floats = array("d", vector)
    if sys.byteorder == "big":
        floats.byteswap()
    return _ESCAPED + json.dumps({"embedding": base64.b64encode(floats.tobytes()).decode("ascii")},
                                 separators=(",", ":"))


def stored_answer(value: Any) -> tuple[str | None, array[float] | None]:
    """``(content, embedding)`` from what a content column held, its escape already undone."""
    if isinstance(value, dict) and isinstance(value.get("embedding"), str):
        floats = array("d", base64.b64decode(value["embedding"]))
        if sys.byteorder == "big":
            floats.byteswap()
        return None, floats
    return value, None


def _load(text: str | None) -> Any:
    return None if text is None else json.loads(_text_out(text) or "null")


def _outcome(row: tuple[Any, ...]) -> Outcome:
    _key, status, content, error, usage, model, batch_id, file_id, at, chars = row
    text, embedding = stored_answer(_text_out(content))
    return Outcome(status, text, _load(error), _load(usage), model, batch_id, file_id, at, chars, embedding)


class SendFilter:
    """Decides, key by key, what a render sends: ``send``, ``reuse`` (the ledger answers),
    ``inflight`` (a running shard already holds it) or ``duplicate`` (sent once already
    in this plan, by this job or an earlier one).

    ``ledger`` None: nothing is reused (``--replace JOB``, or no ledger at all).
    ``live_files``: names of shards whose batches may still answer.
    ``resend_errors``: error outcomes are sent again (``--retry-errors``).
    """

    def __init__(self, ledger: LedgerStore | None, *, live_files: Iterable[str] = (), resend_errors: bool = False,
                 claimed: set[bytes] | None = None) -> None:
        self.ledger = ledger
        self.live_files = set(live_files)
        self.resend_errors = resend_errors
        self.claimed = claimed if claimed is not None else set()  # keys this plan sends (shared across jobs)
        self.used_files: set[str] = set()  # running shards that hold keys the render needed
        self.unmeasured: set[str] = set()  # reused keys whose request length the ledger lacks (a rebuild)

    def classify(self, keys: Sequence[str]) -> list[str]:
        found = self.ledger.answers(keys) if self.ledger is not None else {}
        answered = {key: status for key, (status, _) in found.items()}
        self.unmeasured = {key for key, (_, measured) in found.items() if not measured}
        unknown = [k for k in keys if k not in answered or (self.resend_errors and answered[k] != "ok")]
        running: set[str] = set()
        if unknown and self.live_files and self.ledger is not None:
            for key, files in self.ledger.shard_files(unknown).items():
                if files & self.live_files:
                    running.add(key)
                    self.used_files |= files & self.live_files
        verdicts = []
        for key in keys:
            status = answered.get(key)
            if status is not None and not (self.resend_errors and status != "ok"):
                verdicts.append("reuse")
            elif key in running:
                verdicts.append("inflight")
            else:
                digest = bytes.fromhex(key)
                if digest in self.claimed:
                    verdicts.append("duplicate")
                else:
                    self.claimed.add(digest)
                    verdicts.append("send")
        return verdicts

    def forget(self, keys: Iterable[str]) -> None:
        """Release claims (a render that failed halfway must not keep them)."""
        for key in keys:
            self.claimed.discard(bytes.fromhex(key))

