"""The postgres row ledger against a real server, held to the SQLite ledger's contract.

Every test of ``tests/test_ledger.py`` that takes the ``ledger`` fixture runs here again on
a ``PostgresLedger``; the tests below that take ``book`` run on both ledgers; the rest
are about postgres itself (names, scale, the shared schema, errors).
"""

from __future__ import annotations

import functools
import inspect
import json
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import tests.test_ledger as contract
from specrun.backends import SCHEMA_VERSION, PostgresLedger, PostgresStateStore, open_backend, postgres_ledger
from specrun.backends.postgres import MIGRATIONS
from specrun.errors import MissingExtra, StateError
from specrun.ledger import Ledger, LedgerStore, Outcome
from specrun.state import State
from tests.backends.conftest import UNREACHABLE_URL, assert_each_fails_cleanly, query
from tests.test_ledger import key

Factory = Callable[..., PostgresLedger]


@pytest.fixture
def open_pg(opened: Callable[..., Any]) -> Factory:
    """Postgres ledgers on the test server under this test's name (see conftest ``opened``)."""
    return functools.partial(opened, PostgresLedger)


# --------------------------------------------------------------------------- the SQLite ledger's tests


@pytest.fixture
def ledger(open_pg: Factory) -> PostgresLedger:
    return open_pg()


_NOT_HERE = {
    "test_stats_count_entries_and_bytes": "its path is a file; test_stats_say_where_the_ledger_is below",
}
for _name, _test in vars(contract).items():
    if _name.startswith("test_") and "ledger" in inspect.signature(_test).parameters and _name not in _NOT_HERE:
        globals()[_name] = _test


def test_the_sqlite_tests_really_run_here() -> None:
    borrowed = [n for n in globals() if n.startswith("test_") and getattr(contract, n, None) is globals()[n]]
    assert len(borrowed) >= 15 and "test_an_ok_answer_is_never_replaced_by_an_error" in borrowed


# --------------------------------------------------------------------------- one contract, both ledgers


@pytest.fixture(params=["sqlite", "postgres"])
def open_book(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Callable[[], LedgerStore]]:
    """Ledgers of one kind on one store (SQLite file or postgres name): each call another connection."""
    opened: list[LedgerStore] = []

    def make() -> LedgerStore:
        if request.param == "sqlite":
            book: LedgerStore = Ledger(tmp_path / "ledger.sqlite")
        else:
            book = request.getfixturevalue("open_pg")()
        opened.append(book)
        return book

    yield make
    for book in opened:
        book.close()


@pytest.fixture
def book(open_book: Callable[[], LedgerStore]) -> LedgerStore:
    return open_book()


def test_both_are_ledger_stores(book: LedgerStore) -> None:
    assert isinstance(book, LedgerStore)


def test_a_key_given_twice_in_one_call_is_recorded_in_order(book: LedgerStore) -> None:
    assert book.record([(key(1), Outcome("error", error={"code": "first"}, at=1.0)),
                        (key(1), Outcome("ok", content="then", batch_id="b1", at=2.0)),
                        (key(1), Outcome("error", error={"code": "late"}, at=3.0)),
                        (key(1), Outcome("ok", content="then", batch_id="b1", at=4.0))]) == 2
    assert book.outcomes([key(1)])[key(1)] == Outcome("ok", content="then", batch_id="b1", at=2.0)
    assert book.revision == 1


def test_a_failed_record_leaves_nothing_behind(book: LedgerStore) -> None:
    def outcomes() -> Iterator[tuple[str, Outcome]]:
        yield key(1), Outcome("ok", at=1.0)
        raise RuntimeError("the results file ended early")

    with pytest.raises(RuntimeError):
        book.record(outcomes())
    assert book.statuses([key(1)]) == {} and book.revision == 0
    assert book.record([(key(2), Outcome("ok", at=1.0))]) == 1  # and the ledger works on
    assert book.revision == 1


def test_marking_answers_invalid_makes_them_errors_once(book: LedgerStore) -> None:
    book.record([(key(1), Outcome("ok", content="{", at=1.0)), (key(2), Outcome("error", error={"code": "x"}, at=1.0)),
                 (key(3), Outcome("ok", content="{}", at=1.0))])
    book.mark_invalid([(key(1), "not JSON: 'ç' \"quoted\""), (key(1), "a second verdict"), (key(2), "already"),
                       (key(9), "never answered")])
    found = book.outcomes([key(1), key(2), key(3), key(9)])
    assert found[key(1)].status == "error" and found[key(1)].content == "{"
    assert found[key(1)].error == {"code": "invalid_output", "message": "not JSON: 'ç' \"quoted\""}
    assert found[key(2)].error == {"code": "x"} and found[key(3)].status == "ok" and key(9) not in found
    assert book.revision == 2
    book.mark_invalid([(key(1), "again"), (key(2), "again")])
    book.mark_invalid([])
    assert book.revision == 2 and book.outcomes([key(1)])[key(1)].error["message"].startswith("not JSON")


def test_request_lengths_and_models_fill_in_only_what_is_unknown(book: LedgerStore) -> None:
    book.record([(key(1), Outcome("ok", at=1.0)), (key(2), Outcome("ok", model="m-known", prompt_chars=7, at=1.0)),
                 (key(3), Outcome("ok", model="m-known", at=1.0)), (key(4), Outcome("error", prompt_chars=9, at=1.0))])
    assert book.answers([key(1), key(2), key(3), key(4), key(5)]) == {
        key(1): ("ok", False), key(2): ("ok", True), key(3): ("ok", False), key(4): ("error", False)}
    revision = book.revision
    book.set_prompt_chars([(key(1), 40), (key(1), 41), (key(2), 50), (key(3), 0), (key(4), 60), (key(5), 70)],
                          model="m-spec")
    book.set_prompt_chars([(key(3), 30)])
    book.set_prompt_chars([], model="m")
    found = book.outcomes([key(1), key(2), key(3), key(4), key(5)])
    assert {k: (o.prompt_chars, o.model) for k, o in found.items()} == {
        key(1): (40, "m-spec"), key(2): (7, "m-known"), key(3): (30, "m-known"), key(4): (9, "m-spec")}
    assert book.answers([key(1), key(3)]) == {key(1): ("ok", True), key(3): ("ok", True)}
    assert book.revision == revision  # a measurement is not a new answer


def test_every_outcome_is_listed_once_in_key_order(book: LedgerStore, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(postgres_ledger, "_PAGE", 7)  # several pages (the SQLite ledger's hold 1,000)
    keys = [key(n) for n in range(1203)]
    book.record((k, Outcome("ok" if n % 2 else "error", content=str(n), at=float(n))) for n, k in enumerate(keys))
    listed = list(book.each_outcome())
    assert [k for k, _ in listed] == sorted(keys)
    assert {k: o.content for k, o in listed} == {k: str(n) for n, k in enumerate(keys)}


HOSTILE = ["nul \x00 inside", "\x00", "\x01 starts with the marker", "\x01", '\x01"not json', "ends \x01", "",
           "tab\t and \\ backslash \\N", "é 😀 \u2028"]


@pytest.mark.parametrize("text", HOSTILE)
def test_any_text_the_provider_sends_reads_back_as_it_was(book: LedgerStore, text: str) -> None:
    outcome = Outcome("ok", content=text, error={"message": text, text: [text]}, usage={"note": text}, model=text,
                      batch_id=text, file_id=text, at=1.5, prompt_chars=3)
    assert book.record([(key(1), outcome)]) == 1
    assert book.outcomes([key(1)]) == {key(1): outcome} == dict(book.each_outcome())
    assert book.record([(key(1), outcome)]) == 0  # stored as itself: the same answer is no change
    book.note_shard(text, [key(2)])
    book.mark_ingested([text, "plain"])
    book.set_meta("note", text)
    assert book.shard_files([key(2)]) == {key(2): {text}}
    assert book.ingested([text, "other"]) == {text} and book.meta("note") == text


def test_stats_have_the_same_figures(book: LedgerStore) -> None:
    book.record([(key(n), Outcome("ok" if n < 3 else "error", content="x" * 1000, at=100.0 + n)) for n in range(5)])
    book.set_meta("last_plan", json.dumps({"reused": 3, "requests": 4}))
    stats = book.stats()
    assert list(stats) == ["path", "entries", "ok", "error", "bytes", "oldest", "newest", "last_plan"]
    assert {k: v for k, v in stats.items() if k not in ("path", "bytes")} == {
        "entries": 5, "ok": 3, "error": 2, "oldest": 100.0, "newest": 104.0, "last_plan": {"reused": 3, "requests": 4}}
    assert stats["bytes"] > 5000 and isinstance(stats["path"], str)


def test_two_connections_see_each_others_writes_on_either(open_book: Callable[[], LedgerStore]) -> None:
    one, two = open_book(), open_book()
    one.record([(key(1), Outcome("ok", content="from one", at=1.0))])
    assert two.outcomes([key(1)])[key(1)].content == "from one" and two.revision == 1
    two.mark_invalid([(key(1), "off schema")])
    assert one.statuses([key(1)]) == {key(1): "error"} and one.revision == 2


# --------------------------------------------------------------------------- postgres itself


def test_a_lone_surrogate_from_the_provider_is_kept_too(ledger: PostgresLedger) -> None:
    # (the SQLite ledger cannot store one: sqlite3 refuses to encode it)
    text = "lone \ud800 surrogate"
    outcome = Outcome("ok", content=text, error={text: text}, usage={"u": text}, model=text, batch_id=text,
                      file_id=text, at=1.0)
    ledger.record([(key(1), outcome)])
    ledger.note_shard(text, [key(2)])
    assert ledger.outcomes([key(1)]) == {key(1): outcome} and ledger.shard_files([key(2)]) == {key(2): {text}}


def test_specs_do_not_see_each_others_answers(open_pg: Factory, pg_url: str) -> None:
    mine, theirs = open_pg(name=f"a-{uuid.uuid4().hex}"), open_pg(name=f"b-{uuid.uuid4().hex}")
    mine.record([(key(1), Outcome("ok", content="mine", at=1.0))])
    theirs.record([(key(1), Outcome("ok", content="theirs", at=time.time())),
                   (key(2), Outcome("error", at=time.time()))])
    mine.note_shard("s.jsonl", [key(3)])
    mine.mark_ingested(["file-1"])
    mine.set_meta("last_plan", "{}")

    assert mine.outcomes([key(1), key(2)])[key(1)].content == "mine" and key(2) not in mine.statuses([key(2)])
    assert theirs.outcomes([key(1)])[key(1)].content == "theirs"
    assert theirs.shard_files([key(3)]) == {} and theirs.ingested(["file-1"]) == set()
    assert theirs.meta("last_plan") is None and (mine.revision, theirs.revision) == (1, 1)
    assert mine.prune(older_than_days=1) == 1  # only its own old answer
    assert theirs.statuses([key(1), key(2)]) == {key(1): "ok", key(2): "error"} and theirs.revision == 1
    assert (mine.stats()["entries"], theirs.stats()["entries"]) == (0, 2)
    assert [row[0] for row in query(pg_url, "SELECT DISTINCT name FROM specrun.ledger_outcomes WHERE name = ANY(%s)",
                                    [mine.name, theirs.name])] == [theirs.name]


@pytest.fixture
def unknown_to_the_planner(open_pg: Factory, pg_url: str) -> None:
    """Statistics that know nothing of the test's name, as after a spec's first big apply: a plan
    that trusted them would scan the name's rows once per key (hours at these sizes)."""
    other = open_pg(name=f"other-{uuid.uuid4().hex}")
    other.record([(key(-n), Outcome("ok", at=1.0)) for n in range(1, 2000)])
    other.note_shard("other.jsonl", [key(-n) for n in range(1, 2000)])
    for table in ("ledger_outcomes", "ledger_shard_keys"):
        query(pg_url, f"ANALYZE specrun.{table}")


@pytest.mark.usefixtures("unknown_to_the_planner")
def test_a_hundred_thousand_answers_record_and_read_in_seconds(ledger: PostgresLedger) -> None:
    keys = [key(n) for n in range(100_000)]
    started = time.monotonic()
    assert ledger.record((k, Outcome("ok", content=f"answer {n}", model="m", batch_id="batch_1", at=1.0))
                         for n, k in enumerate(keys)) == 100_000
    assert len(ledger.statuses(keys)) == 100_000
    found = ledger.outcomes([*keys[::-1], key(-1)])
    assert len(found) == 100_000 and found[keys[7]].content == "answer 7"
    assert time.monotonic() - started < 15  # about 3s on a laptop
    ledger.prune(older_than_days=1)  # (the session's other tests share the server)


@pytest.mark.usefixtures("unknown_to_the_planner")
def test_every_write_and_lookup_costs_what_it_asks(ledger: PostgresLedger) -> None:
    keys = [key(n) for n in range(20_000)]
    usage = {"prompt_tokens": 12, "completion_tokens": 3}
    started = time.monotonic()
    ledger.record((k, Outcome("ok", usage=usage, model="m", at=1.0)) for k in keys)
    ledger.note_shard("big.jsonl", keys)
    ledger.set_prompt_chars((k, 40) for k in keys)
    ledger.mark_invalid((k, "off schema") for k in keys[::2])
    assert len(ledger.answers(keys)) == len(ledger.shard_files(keys)) == 20_000
    assert ledger.usage_by_model() == {"m": (10_000, 400_000, 120_000, 30_000)}
    assert ledger.prune(older_than_days=1) == 20_000 and ledger.shard_files(keys) == {}
    assert time.monotonic() - started < 15  # about 1.5s on a laptop


def test_writers_of_one_name_queue_and_count_every_change(open_pg: Factory) -> None:
    writers = [open_pg() for _ in range(4)]
    failures: list[BaseException] = []

    def write(number: int, ledger: PostgresLedger) -> None:
        try:
            for round_number in range(5):
                # overlapping keys, in different orders: without the write lock, rows would deadlock
                keys = [key(n) for n in range(300)][::1 if number % 2 else -1]
                ledger.record((k, Outcome("ok", content=f"{number}-{round_number}", at=1.0)) for k in keys)
        except BaseException as exc:  # pragma: no cover - reported below
            failures.append(exc)

    threads = [threading.Thread(target=write, args=(n, w)) for n, w in enumerate(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert failures == [] and writers[0].revision == 20  # every write changed every answer


def test_a_ledger_and_a_state_store_share_one_database(pg_url: str, name: str) -> None:
    store, ledger = open_backend(pg_url, name=name)
    try:
        assert isinstance(store, PostgresStateStore) and isinstance(ledger, PostgresLedger)
        with store.lock("apply"):  # the state's lock does not block the ledger's writes
            assert store.load() is None
            ledger.record([(key(1), Outcome("ok", content="answer", at=1.0))])
            store.save(State(provider="local"))
            ledger.set_meta("rebuilt", "1")
        loaded = store.load()
        assert loaded is not None and loaded.serial == 1 and ledger.revision == 1 and ledger.meta("rebuilt") == "1"
    finally:
        store.close()
        ledger.close()
    assert query(pg_url, "SELECT count(*) FROM specrun.states WHERE name = %s", name) == [(1,)]
    assert query(pg_url, "SELECT count(*) FROM specrun.ledger_outcomes WHERE name = %s", name) == [(1,)]


def test_a_database_of_an_older_specrun_gains_the_ledger_tables(open_pg: Factory, pg_url: str) -> None:
    schema = f"t_{uuid.uuid4().hex[:12]}"
    # what the first postgres state store left: schema version 1, a state in it
    statements = [f'CREATE SCHEMA "{schema}"',
                  f'CREATE TABLE "{schema}".meta (key text PRIMARY KEY, value text NOT NULL)',
                  *(s.replace("{schema}", f'"{schema}"') for s in MIGRATIONS[0]),
                  f"INSERT INTO \"{schema}\".meta VALUES ('schema_version', '1')"]
    for statement in statements:
        query(pg_url, statement)
    store = PostgresStateStore(pg_url, schema=schema, name="old")
    try:
        store.save(State(provider="local"))
        ledger = open_pg(schema=schema)
        assert ledger.record([(key(1), Outcome("ok", at=1.0))]) == 1
        assert query(pg_url, f'SELECT value FROM "{schema}".meta') == [(str(SCHEMA_VERSION),)]
        loaded = store.load()
        assert loaded is not None and loaded.provider == "local"
    finally:
        store.close()


def test_stats_say_where_the_ledger_is_without_the_password(open_pg: Factory, pg_url: str, name: str) -> None:
    url = pg_url.replace("postgres@/postgres?", "postgres:s3cret@/postgres?")
    ledger = open_pg(url=url)
    stats = ledger.stats()
    host = pg_url.split("host=")[1]
    assert stats["path"] == f"postgres://{host}/postgres specrun.{name}"
    assert "s3cret" not in repr(ledger) and "s3cret" not in str(stats)


def test_without_psycopg_the_error_names_the_extra(monkeypatch: pytest.MonkeyPatch, pg_url: str) -> None:
    monkeypatch.setitem(sys.modules, "psycopg", None)  # import psycopg → ImportError
    for attempt in (lambda: PostgresLedger(pg_url, name="x"), lambda: open_backend(pg_url, name="x")):
        with pytest.raises(MissingExtra) as missing:
            attempt()
        assert str(missing.value) == ("the postgres state backend needs the postgres extra: "
                                      "pip install 'specrun[postgres]'")


def test_an_unreachable_server_is_one_clear_error_without_the_password() -> None:
    ledger = PostgresLedger(UNREACHABLE_URL, name="x")
    assert "s3cret" not in repr(ledger)
    attempts: list[Callable[[], object]] = [
        lambda: ledger.statuses([key(1)]), lambda: ledger.record([(key(1), Outcome("ok"))]), ledger.stats,
        lambda: ledger.revision, lambda: ledger.note_shard("s.jsonl", [key(1)]), lambda: list(ledger.each_outcome()),
        lambda: ledger.prune(1), lambda: ledger.set_meta("a", "b")]
    assert_each_fails_cleanly(attempts)


def test_a_database_error_is_one_clear_error_without_the_password(pg_url: str) -> None:
    url = pg_url.replace("postgres@/postgres?", "postgres:s3cret@/no_such_db?")
    with pytest.raises(StateError) as failed:
        PostgresLedger(url, name="x").record([(key(1), Outcome("ok"))])
    assert 'database "no_such_db" does not exist' in str(failed.value) and "s3cret" not in str(failed.value)


def test_a_dropped_connection_is_one_error_then_the_ledger_reconnects(ledger: PostgresLedger, pg_url: str,
                                                                       name: str) -> None:
    ledger.record([(key(1), Outcome("ok", at=1.0))])  # the temp table for records exists on this connection
    query(pg_url, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE pid <> pg_backend_pid() "
                  "AND application_name = 'specrun' AND state = 'idle'")
    with pytest.raises(StateError, match=rf"could not record answers in the row ledger of '{name}': "):
        ledger.record([(key(2), Outcome("ok", at=1.0))])
    assert ledger.record([(key(2), Outcome("ok", at=1.0))]) == 1  # a new connection, its own temp table
    assert ledger.statuses([key(1), key(2)]) == {key(1): "ok", key(2): "ok"} and ledger.revision == 2


@pytest.mark.parametrize("encoding", ["SQL_ASCII", "LATIN1"])
def test_a_database_not_in_utf8_keeps_every_answer_or_is_refused_at_once(pg_url: str, encoding: str) -> None:
    database = f"enc_{uuid.uuid4().hex[:12]}"
    query(pg_url, f"CREATE DATABASE {database} ENCODING '{encoding}' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0")
    url = pg_url.replace("/postgres?", f"/{database}?")
    store, ledger = open_backend(url, name="spec")
    answer = Outcome("ok", content="ça 😀 \x00", model="m-é", at=1.0)
    try:
        if encoding == "SQL_ASCII":  # it keeps the UTF-8 bytes it is sent
            ledger.record([(key(1), answer)])
            ledger.set_meta("last_plan", '{"a": "é"}')
            store.save(State(provider="local"))
            assert ledger.outcomes([key(1)]) == {key(1): answer} and ledger.meta("last_plan") == '{"a": "é"}'
            assert store.load() is not None
        else:
            for attempt in (store.load, ledger.stats):
                with pytest.raises(StateError, match=rf"database {database}\) is a database in 'LATIN1', which "
                                                     r"cannot hold every answer .*use a UTF8 database"):
                    attempt()
    finally:
        store.close()
        ledger.close()


def test_keys_that_are_not_request_keys_are_refused(ledger: PostgresLedger) -> None:
    for keys in (["zz" * 32], [key(1)[:-2]], [key(1)[:-2], key(2) + "ab"]):
        with pytest.raises(ValueError):
            ledger.statuses(keys)
