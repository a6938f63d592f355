"""The row ledger (DESIGN §7) in the postgres backend, beside the state it serves (§9).

``PostgresLedger`` is a ``specrun.ledger.LedgerStore`` with the SQLite ``Ledger``'s
meaning, rule for rule, so plan and apply decide the same on either: an ok answer is
never replaced by an error, an error by anything, an ok by an ok only when its content
or batch differ; ``revision`` grows by one with every write that changed outcomes.
Its tables come with the state store's (the second of ``MIGRATIONS``):

    ledger_outcomes    (name, key) → the outcome: status, content, error, usage, model, ...
    ledger_shard_keys  (name, key, filename): which uploaded shard holds which key
    ledger_ingested    (name, file_id) → at: provider result files already read in
    ledger_meta        (name, key) → value: the revision, "rebuilt", "last_plan"

**Every row belongs to one spec's name: specs do not share answers.** Keys are content
hashes, so sharing looks free, but a key hashes the request, not who answered it: the
provider is not in it. A team database holds, beside a production spec, a CI spec on
``provider: local`` whose echo engine serves the same model names
(``meta-llama/Llama-3.1-8B-Instruct``); shared answers would put echo text in the
production results. Sharing would also let one spec's ``ledger prune`` forget every
spec's answers, and make each teammate's apply stale everyone's saved plans (the
revision would have to count every spec's writes). And ``ingested`` holds provider
file ids, which cannot be shared at all (the local provider's ``file-1`` on two
machines are two files). What one database does share is each spec's answers between
every checkout, laptop and CI runner that names it: what §9 asks of a backend.

Writes take a transaction-scoped advisory lock on the name, so two writers of one
name queue instead of deadlocking on each other's rows. ``record`` copies its rows
into a temporary table (COPY) and upserts them in one statement. Keys travel 100,000
to a statement as one bytea of digests end to end, and every statement finds its rows
by one primary-key probe per key: a lookup costs what it asks, never a scan of the
name's rows, whatever the planner's statistics say of a name that just grew.

PostgreSQL text holds neither NUL nor a lone surrogate, and a hostile provider's
answers and ids may carry both (SQLite keeps them): such a value, or one that starts
with the marker ``\\x01``, is stored as the marker and its ASCII JSON string; every
other value as itself, so the tables read plainly in psql. JSON columns keep
``\\u0000`` as written (``json``, not ``jsonb``); since json's operators fail on a
document holding one, the usage's integer token counts get columns of their own,
filled when an outcome is written.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from specrun._text import quoted
from specrun.backends.postgres import _Backend, _key, _location
from specrun.ledger import Outcome, stored_answer, vector_text

if TYPE_CHECKING:
    from psycopg import Connection

__all__ = ["PostgresLedger"]

_BATCH = 100_000  # keys per statement: 3.2 MB of digests
_PAGE = 5_000  # outcomes per page of each_outcome
_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1

# The keys of a statement: ``i`` is a key's place in its batch (rows found name their key
# by it), ``key`` its digest, cut from %(digests)s (a bytea[] of many elements would be
# dumped element by element, several times slower).
_KEYS = "(SELECT i, substr(%(digests)s::bytea, i * 32 + 1, 32) AS key FROM generate_series(0, %(count)s - 1) AS i)"
# ``OFFSET 0`` keeps a probe a subquery of its own, run once per key through the primary
# key: flattened into a join, it could be planned as a scan of every row of the name.
_PROBE = "CROSS JOIN LATERAL (SELECT {columns} FROM {{schema}}.{table} WHERE name = %(name)s AND key = k.key{extra} " \
         "OFFSET 0)"

# Rows of one ``record`` wait here, in the session's own temp schema, for the upsert;
# ``round`` numbers the repeats of a key within the call, so an upsert sees a key once.
_STAGING = (
    "CREATE TEMP TABLE IF NOT EXISTS specrun_ledger_incoming (round integer NOT NULL, key bytea NOT NULL, "
    "status text NOT NULL, content text, error json, usage json, model text, batch_id text, file_id text, "
    "at double precision NOT NULL, prompt_chars bigint NOT NULL, prompt_tokens bigint, completion_tokens bigint"
    ") ON COMMIT DELETE ROWS"
)
_COLUMNS = ("key, status, content, error, usage, model, batch_id, file_id, at, prompt_chars, prompt_tokens, "
            "completion_tokens")
_OUTCOME_COLUMNS = "status, content, error, usage, model, batch_id, file_id, at, prompt_chars"


class PostgresLedger(_Backend):
    """One spec's row ledger in a PostgreSQL database (see the module doc). A ``LedgerStore``.

    ``url`` is a libpq URL or connection string (it is never shown); ``schema`` holds the
    tables, the state store's too; ``name`` is the spec's state name, whose answers these are.
    """

    def __init__(self, url: str, *, schema: str = "specrun", name: str) -> None:
        super().__init__(url, schema=schema, name=name)
        self._staging_on: Connection[Any] | None = None  # the connection that has the temp table

    def __repr__(self) -> str:
        return f"PostgresLedger({self.where}, schema={self.schema!r}, name={self.name!r})"

    @property
    def description(self) -> str:
        """``postgres://HOST/DATABASE SCHEMA.NAME``: where this ledger is, without the password."""
        host, database = _location(self._url, self._secrets)
        return f"postgres://{host}/{database or ''} {self.schema}.{self.name}"

    def _configure(self, connection: Connection[Any]) -> None:
        # A statement of 100,000 probes is costed high enough to be compiled, which takes
        # longer than the probes: JIT helps long scans, and the ledger never runs one.
        connection.execute("SET jit = off")

    # ----------------------------------------------------------------- reads

    def _probe(self, table: str, columns: str, keys: Sequence[str]) -> list[tuple[str, tuple[Any, ...]]]:
        """(key, ``columns`` of its row) for each row of ``table`` that one of ``keys`` has."""
        found: list[tuple[str, tuple[Any, ...]]] = []
        statement = self._sql(f"SELECT k.i, p.* FROM {_KEYS} k "
                              + _PROBE.format(columns=columns, table=table, extra="") + " p")
        with self._failures(f"read the row ledger of {quoted(self.name)}"):
            for _start, batch, digests in _batches(keys):
                # prepare=False: planned for these keys each time (a handful, or the whole ledger)
                rows = self._session().execute(statement, {"digests": digests, "count": len(batch), "name": self.name},
                                               prepare=False, binary=True).fetchall()
                found += ((batch[i], tuple(row)) for i, *row in rows)
        return found

    def statuses(self, keys: Sequence[str]) -> dict[str, str]:
        """key → "ok" / "error" for the keys the ledger answers (cheap: no content read)."""
        return {key: status for key, (status,) in self._probe("ledger_outcomes", "status", keys)}

    def answers(self, keys: Sequence[str]) -> dict[str, tuple[str, bool]]:
        """key → (status, measured) for the keys the ledger answers (no content read); ``measured``:
        the asking request's length and model are known (an answer rebuilt from the provider lacks them)."""
        return {key: (status, measured) for key, (status, measured) in self._probe(
            "ledger_outcomes", "status, prompt_chars > 0 AND model IS NOT NULL", keys)}

    def outcomes(self, keys: Sequence[str]) -> dict[str, Outcome]:
        return {key: _outcome(row) for key, row in self._probe("ledger_outcomes", _OUTCOME_COLUMNS, keys)}

    def each_outcome(self) -> Iterator[tuple[str, Outcome]]:
        """Every outcome, in key order (``specrun backend migrate`` copies them), a page at a time."""
        after = b""
        while True:
            with self._failures(f"read the row ledger of {quoted(self.name)}"):
                rows = self._session().execute(self._sql(
                    f"SELECT key, {_OUTCOME_COLUMNS} FROM {{schema}}.ledger_outcomes WHERE name = %s AND key > %s "
                    "ORDER BY key LIMIT %s"), [self.name, after, _PAGE], binary=True).fetchall()
            if not rows:
                return
            for key, *row in rows:
                yield key.hex(), _outcome(row)
            after = rows[-1][0]

    def shard_files(self, keys: Sequence[str]) -> dict[str, set[str]]:
        """key → the names of uploaded shards that hold it."""
        found: dict[str, set[str]] = {}
        for key, (filename,) in self._probe("ledger_shard_keys", "filename", keys):
            found.setdefault(key, set()).add(_untext(filename))
        return found

    def ingested(self, file_ids: Iterable[str]) -> set[str]:
        stored = {_text(file_id): file_id for file_id in file_ids}
        wanted = list(stored)
        found: set[str] = set()
        with self._failures(f"read the row ledger of {quoted(self.name)}"):
            for start in range(0, len(wanted), _BATCH):
                found |= {stored[file_id] for (file_id,) in self._session().execute(self._sql(
                    "SELECT file_id FROM {schema}.ledger_ingested WHERE name = %s AND file_id = ANY(%s)"),
                    [self.name, wanted[start:start + _BATCH]], prepare=False).fetchall()}
        return found

    def meta(self, name: str) -> str | None:
        with self._failures(f"read the row ledger of {quoted(self.name)}"):
            row = self._session().execute(self._sql(
                "SELECT value FROM {schema}.ledger_meta WHERE name = %s AND key = %s"), [self.name, name]).fetchone()
        return None if row is None else _untext(row[0])

    def usage_by_model(self) -> dict[str, tuple[int, int, int, int]]:
        """model → (answers, prompt characters, prompt tokens, completion tokens) of ok answers with usage."""
        with self._failures(f"read the row ledger of {quoted(self.name)}"):
            rows = self._session().execute(self._sql(
                "SELECT model, COUNT(*), SUM(prompt_chars), SUM(prompt_tokens), SUM(completion_tokens) "
                "FROM {schema}.ledger_outcomes WHERE name = %s AND status = 'ok' AND prompt_chars > 0 "
                "AND prompt_tokens IS NOT NULL AND completion_tokens IS NOT NULL GROUP BY model"),
                [self.name]).fetchall()
        found: dict[str, tuple[int, int, int, int]] = {}
        for model, count, chars, prompt, completion in rows:
            if model:
                found[_untext(model)] = (int(count), int(chars or 0), int(prompt or 0), int(completion or 0))
        return found

    def stats(self) -> dict[str, Any]:
        """Entries, ok and error counts, the bytes of this name's rows, the oldest and newest answer, the last plan."""
        with self._failures(f"read the row ledger of {quoted(self.name)}"):
            entries, ok, oldest, newest, size = self._session().execute(self._sql(
                "SELECT COUNT(*), COUNT(*) FILTER (WHERE status = 'ok'), MIN(at), MAX(at), "
                "COALESCE(SUM(pg_column_size(o.*)), 0) "
                "+ (SELECT COALESCE(SUM(pg_column_size(s.*)), 0) FROM {schema}.ledger_shard_keys s WHERE s.name = %s) "
                "+ (SELECT COALESCE(SUM(pg_column_size(i.*)), 0) FROM {schema}.ledger_ingested i WHERE i.name = %s) "
                "+ (SELECT COALESCE(SUM(pg_column_size(m.*)), 0) FROM {schema}.ledger_meta m WHERE m.name = %s) "
                "FROM {schema}.ledger_outcomes o WHERE o.name = %s"), [self.name] * 4).fetchall()[0]  # one, always
        hits = self.meta("last_plan")
        return {"path": self.description, "entries": int(entries), "ok": int(ok), "error": int(entries) - int(ok),
                "bytes": int(size), "oldest": oldest, "newest": newest,
                "last_plan": json.loads(hits) if hits else None}

    @property
    def revision(self) -> int:
        """Grows with every change to the outcomes: a saved plan made at another revision is stale."""
        return int(self.meta("revision") or 0)

    # ----------------------------------------------------------------- writes

    @contextmanager
    def _writing(self, doing: str) -> Iterator[Connection[Any]]:
        """A transaction holding this name's write lock, its failures as one ``StateError``."""
        with self._failures(f"{doing} the row ledger of {quoted(self.name)}"):
            session = self._session()
            with session.transaction():
                session.execute("SELECT pg_advisory_xact_lock(%s)", [_key("ledger", self.schema, self.name)])
                yield session

    def record(self, items: Iterable[tuple[str, Outcome]]) -> int:
        """Store final outcomes; an ok answer is never replaced by an error. Returns how many changed."""
        now = time.time()
        rows = []
        repeats: dict[str, int] = {}  # a key given again in this call is upserted in a later round
        for key, outcome in items:
            seen = repeats.get(key, 0)
            repeats[key] = seen + 1
            prompt_tokens, completion_tokens = _tokens(outcome.usage)
            content = _text(outcome.content) if outcome.embedding is None else vector_text(outcome.embedding)
            rows.append((seen, bytes.fromhex(key), outcome.status, content, _dump(outcome.error),
                         _dump(outcome.usage), _text(outcome.model), _text(outcome.batch_id), _text(outcome.file_id),
                         outcome.at or now, outcome.prompt_chars, prompt_tokens, completion_tokens))
        if not rows:
            return 0
        upsert = self._sql(
            f"INSERT INTO {{schema}}.ledger_outcomes AS o (name, {_COLUMNS}) SELECT %s, {_COLUMNS} "
            "FROM pg_temp.specrun_ledger_incoming WHERE round = %s ORDER BY key "
            "ON CONFLICT (name, key) DO UPDATE SET status = excluded.status, content = excluded.content, "
            "error = excluded.error, usage = excluded.usage, model = excluded.model, batch_id = excluded.batch_id, "
            "file_id = excluded.file_id, at = excluded.at, "
            "prompt_chars = GREATEST(excluded.prompt_chars, o.prompt_chars), "
            "prompt_tokens = excluded.prompt_tokens, completion_tokens = excluded.completion_tokens "
            "WHERE o.status <> 'ok' OR (excluded.status = 'ok' AND (o.content IS DISTINCT FROM excluded.content "
            "OR o.batch_id IS DISTINCT FROM excluded.batch_id))")
        changed = 0
        with self._writing("record answers in") as session:
            if self._staging_on is not session:
                session.execute(_STAGING)
            with session.cursor().copy(f"COPY pg_temp.specrun_ledger_incoming (round, {_COLUMNS}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            for round_number in range(max(repeats.values())):
                changed += max(session.execute(upsert, [self.name, round_number]).rowcount, 0)
            if changed:
                self._bump(session)
        self._staging_on = session  # only once committed: a rollback takes the temp table with it
        return changed

    def _bump(self, session: Connection[Any]) -> None:
        session.execute(self._sql(
            "INSERT INTO {schema}.ledger_meta AS m (name, key, value) VALUES (%s, 'revision', '1') "
            "ON CONFLICT (name, key) DO UPDATE SET value = (m.value::bigint + 1)::text"), [self.name])

    def _update(self, session: Connection[Any], assignments: str, values: tuple[str, str], where: str,
                keys: Sequence[str], numbered: Sequence[Any], extra: Mapping[str, Any] | None = None) -> int:
        """``UPDATE ... SET assignments`` on the rows of ``keys`` that match ``where``, each key with its value
        of ``numbered`` as ``v.value`` (``values``: its SQL type and name); returns how many rows changed.

        The rows are found by one probe per key and updated through their row id: planned as a
        join on the key, the update could scan every row of the name for every key."""
        value_type, value = values
        statement = self._sql(
            f"UPDATE {{schema}}.ledger_outcomes o SET {assignments} "
            f"FROM (SELECT k.{value}, p.tid FROM (SELECT u.{value}, substr(%(digests)s::bytea, u.n::integer * 32 - 31, "
            f"32) AS key FROM unnest(%(values)s::{value_type}[]) WITH ORDINALITY AS u({value}, n)) k "
            + _PROBE.format(columns="ctid AS tid", table="ledger_outcomes", extra=f" AND {where}")
            + " p) v WHERE o.ctid = v.tid")
        changed = 0
        for start, batch, digests in _batches(keys):
            parameters = {"digests": digests, "values": list(numbered[start:start + len(batch)]), "name": self.name,
                          **(extra or {})}
            changed += max(session.execute(statement, parameters, prepare=False).rowcount, 0)
        return changed

    def set_prompt_chars(self, items: Iterable[tuple[str, int]], model: str | None = None) -> None:
        """Record how long the asking requests were, and their model (for calibrated estimates), where not
        known yet."""
        first: dict[str, int] = {}
        for key, chars in items:
            if chars > 0:
                first.setdefault(key, chars)  # as in the SQLite ledger, a key's first count holds
        if not first:
            return
        with self._writing("measure requests in") as session:
            self._update(session, "prompt_chars = CASE WHEN o.prompt_chars = 0 THEN v.chars ELSE o.prompt_chars END, "
                         "model = COALESCE(o.model, %(model)s)", ("bigint", "chars"),
                         "(prompt_chars = 0 OR model IS NULL)", list(first), list(first.values()),
                         {"model": _text(model)})

    def mark_invalid(self, items: Iterable[tuple[str, str]]) -> None:
        """Answers that do not follow the job's output schema (key, message): errors from now on, so
        ``--retry-errors`` re-sends them (the key covers the schema, so the verdict holds for every job)."""
        first: dict[str, str] = {}
        for key, message in items:
            first.setdefault(key, message)  # as in the SQLite ledger, a key's first verdict holds
        if not first:
            return
        errors = [_dump({"code": "invalid_output", "message": message}) for message in first.values()]
        with self._writing("mark answers invalid in") as session:
            if self._update(session, "status = 'error', error = v.error::json", ("text", "error"), "status = 'ok'",
                            list(first), errors):
                self._bump(session)

    def note_shard(self, filename: str, keys: Iterable[str]) -> None:
        """Remember which keys an uploaded (or about to be uploaded) shard holds."""
        unique = list(dict.fromkeys(keys))
        if not unique:
            return
        statement = self._sql(f"INSERT INTO {{schema}}.ledger_shard_keys (name, key, filename) "
                              f"SELECT %(name)s, k.key, %(filename)s FROM {_KEYS} k ON CONFLICT DO NOTHING")
        with self._writing("note a shard in") as session:
            for _start, batch, digests in _batches(unique):
                session.execute(statement, {"name": self.name, "filename": _text(filename), "digests": digests,
                                            "count": len(batch)}, prepare=False)

    def mark_ingested(self, file_ids: Iterable[str]) -> None:
        stored = list(dict.fromkeys(_text(file_id) for file_id in file_ids))
        if not stored:
            return
        with self._writing("note read files in") as session:
            for start in range(0, len(stored), _BATCH):
                session.execute(self._sql(
                    "INSERT INTO {schema}.ledger_ingested (name, file_id, at) SELECT %s, f, %s "
                    "FROM unnest(%s::text[]) AS f ON CONFLICT DO NOTHING"),
                    [self.name, time.time(), stored[start:start + _BATCH]], prepare=False)

    def set_meta(self, name: str, value: str) -> None:
        with self._failures(f"write the row ledger of {quoted(self.name)}"):
            self._session().execute(self._sql(
                "INSERT INTO {schema}.ledger_meta (name, key, value) VALUES (%s, %s, %s) "
                "ON CONFLICT (name, key) DO UPDATE SET value = excluded.value"), [self.name, name, _text(value)])

    def prune(self, older_than_days: float) -> int:
        """Forget outcomes recorded more than ``older_than_days`` ago; returns how many.

        The space is reused by later answers (autovacuum), not given back to the disk."""
        cutoff = time.time() - older_than_days * 86400.0
        with self._writing("prune") as session:
            # shard contents matter only for requests still without an answer
            session.execute(self._sql(
                "DELETE FROM {schema}.ledger_shard_keys s WHERE s.name = %(name)s AND EXISTS (SELECT FROM "
                "{schema}.ledger_outcomes o WHERE o.name = %(name)s AND o.key = s.key OFFSET 0)"), {"name": self.name})
            removed = session.execute(self._sql(
                "DELETE FROM {schema}.ledger_outcomes WHERE name = %s AND at < %s"), [self.name, cutoff]).rowcount
            if removed > 0:
                # every output file is read again when next needed: the answers it gave may be gone now
                session.execute(self._sql("DELETE FROM {schema}.ledger_ingested WHERE name = %s"), [self.name])
                self._bump(session)
        return max(removed, 0)


def _batches(keys: Sequence[str]) -> Iterator[tuple[int, Sequence[str], bytes]]:
    """The keys in batches: where each starts, its keys, and their digests end to end (``_KEYS``)."""
    for start in range(0, len(keys), _BATCH):
        batch = keys[start:start + _BATCH]
        digests = bytes.fromhex("".join(batch))  # a key that is not hex fails here, as bytes.fromhex(key)
        if len(digests) != 32 * len(batch) or set(map(len, batch)) != {64}:
            raise ValueError(f"not a request key (64 hex digits) among {len(batch)} keys")
        yield start, batch, digests


# PostgreSQL text refuses NUL, and UTF-8 has no lone surrogates: values holding either, or
# starting with the marker (so that every stored value reads back as exactly itself), are
# stored as the marker and their ASCII JSON string.
_MARK = "\x01"
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
_SURROGATE = re.compile("[\ud800-\udfff]")


def _text(value: str | None) -> str | None:
    """``value`` as a text column holds it (see ``_untext``)."""
    if value is None or (not value.startswith(_MARK) and _UNSTORABLE.search(value) is None):
        return value
    return _MARK + json.dumps(value)


def _untext(stored: str | None) -> Any:
    """What ``_text`` stored, as it was."""
    return json.loads(stored[1:]) if stored is not None and stored.startswith(_MARK) else stored


_JSON = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))
_ASCII_JSON = json.JSONEncoder(separators=(",", ":"))


def _dump(value: Mapping[str, Any] | None) -> str | None:
    """JSON for a json column: non-ASCII kept as written, but lone surrogates escaped (text cannot carry them)."""
    if value is None:
        return None
    text = _JSON.encode(value)
    if not text.isascii() and _SURROGATE.search(text):
        text = _ASCII_JSON.encode(value)
    return text


def _tokens(usage: Mapping[str, Any] | None) -> tuple[int | None, int | None]:
    """The usage's prompt and completion tokens when both are JSON integers, else (None, None).

    As SQLite's ``json_type(...) = 'integer'`` says: floats and booleans are left out, and an
    integer past 64 bits is clamped, as SQLite's CAST does."""
    if not isinstance(usage, Mapping):
        return None, None
    prompt, completion = usage.get("prompt_tokens"), usage.get("completion_tokens")
    if type(prompt) is not int or type(completion) is not int:  # not isinstance: bool is an int
        return None, None
    if not (_INT64_MIN <= prompt <= _INT64_MAX and _INT64_MIN <= completion <= _INT64_MAX):
        prompt, completion = (min(max(n, _INT64_MIN), _INT64_MAX) for n in (prompt, completion))
    return prompt, completion


def _outcome(row: Sequence[Any]) -> Outcome:
    status, content, error, usage, model, batch_id, file_id, at, chars = row
    text, embedding = stored_answer(_untext(content))
    return Outcome(status, text, error, usage, _untext(model), _untext(batch_id), _untext(file_id), at, chars,
                   embedding)
