"""The postgres state store against a real server: round trip, compare-and-swap, the lock, errors."""

from __future__ import annotations

import functools
import os
import re
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from specrun.backends import SCHEMA_VERSION, PostgresStateStore
from specrun.errors import MissingExtra, StateError, StateLocked
from specrun.state import JobState, OutputState, ShardState, State, StateStore
from tests.backends.conftest import UNREACHABLE_URL, assert_each_fails_cleanly, query

REPO = Path(__file__).resolve().parents[2]
Factory = Callable[..., PostgresStateStore]


@pytest.fixture
def make_store(opened: Callable[..., Any]) -> Factory:
    """State stores on the test server under this test's name (see conftest ``opened``)."""
    return functools.partial(opened, PostgresStateStore)


def sample_state() -> State:
    shard = ShardState(index=0, filename="specrun-summarize-0123456789abcdef.jsonl", sha256="ab" * 32,
                       bytes=2048, requests=3, file_id="file-1", batch_id="batch-1", status="completed",
                       output_file_id="file-out", completed=3, total=3)
    job = JobState(input_sha256="cd" * 32, fingerprint="ef" * 32, requests=3, model="gpt-4o-mini",
                   fingerprint_parts={"model": "gpt-4o-mini"}, shards=[shard],
                   output=OutputState(path="out/summaries.jsonl", sha256="01" * 32, ok=3, sources=["file-out"]))
    return State(provider="openai", jobs={"summarize": job})


def test_a_saved_state_loads_back_equal_with_its_serial_bumped(make_store: Factory) -> None:
    store = make_store()
    assert isinstance(store, StateStore)
    assert store.load() is None
    state = sample_state()
    store.save(state)
    assert state.serial == 1
    assert make_store().load() == state

    state.jobs["summarize"].shards[0].status = "expired"
    store.save(state)
    loaded = make_store().load()
    assert loaded is not None and loaded.serial == 2 and loaded.jobs["summarize"].shards[0].status == "expired"


def test_a_document_jsonb_would_refuse_is_kept_as_written(make_store: Factory) -> None:
    # a NUL character can arrive in a hostile provider's ids; jsonb refuses \u0000, json keeps it
    state = sample_state()
    state.jobs["summarize"].shards[0].batch_id = "batch-\x00-1"
    make_store().save(state)
    loaded = make_store().load()
    assert loaded is not None and loaded.jobs["summarize"].shards[0].batch_id == "batch-\x00-1"


def test_of_two_runs_that_read_the_same_state_the_second_to_save_is_refused_and_nothing_is_lost(
        make_store: Factory, name: str) -> None:
    make_store().save(sample_state())
    first, second = make_store(), make_store()
    mine, theirs = first.load(), second.load()
    assert mine is not None and theirs is not None

    mine.provider = "written-first"
    first.save(mine)
    theirs.provider = "written-second"
    with pytest.raises(StateError) as refused:
        second.save(theirs)

    assert str(refused.value) == (
        f"the state of '{name}' changed in the backend since it was read (serial 1, now 2): another run wrote it; "
        "nothing was lost: run the command again")
    assert theirs.serial == 1  # bumped only by a write that happened
    kept = make_store().load()
    assert kept is not None and kept.provider == "written-first" and kept.serial == 2


def test_of_two_runs_creating_the_same_state_the_second_is_refused(make_store: Factory, name: str) -> None:
    first, second = make_store(), make_store()
    assert first.load() is None and second.load() is None
    first.save(State(provider="first"))
    with pytest.raises(StateError, match=re.escape(
            f"the state of '{name}' changed in the backend since it was read (serial 0, now 1): "
            "another run created it; nothing was lost")):
        second.save(State(provider="second"))
    kept = make_store().load()
    assert kept is not None and kept.provider == "first"


def test_a_state_replaced_or_removed_since_it_was_read_is_not_overwritten(
        make_store: Factory, pg_url: str, name: str) -> None:
    store = make_store()
    store.save(sample_state())
    state = store.load()
    assert state is not None
    query(pg_url, "UPDATE specrun.states SET lineage = 'another' WHERE name = %s", name)
    with pytest.raises(StateError, match=r"\(serial 1, now 1 of another lineage\): another run replaced it"):
        store.save(state)
    query(pg_url, "DELETE FROM specrun.states WHERE name = %s", name)
    with pytest.raises(StateError, match=r"\(serial 1, now none\): another run removed it"):
        store.save(state)


def test_a_second_run_is_refused_the_lock_at_once_naming_the_holder(make_store: Factory, pg_url: str,
                                                                     name: str) -> None:
    holder, other = make_store(), make_store()
    with holder.lock("apply"):
        started = time.monotonic()
        with pytest.raises(StateLocked) as locked, other.lock("plan"):
            pass
        assert time.monotonic() - started < 1.0
        assert re.fullmatch(
            rf"the state of '{name}' is locked: held by pid {os.getpid()} on {re.escape(socket.gethostname())} "
            r"running 'apply' since \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\. "
            r"Wait for it to finish, or pass --lock-timeout SECONDS to wait", str(locked.value))
    assert query(pg_url, "SELECT count(*) FROM specrun.holders WHERE name = %s", name) == [(0,)]
    with other.lock("plan"):  # released
        assert query(pg_url, "SELECT command FROM specrun.holders WHERE name = %s", name) == [("plan",)]


def test_a_lock_timeout_waits_for_the_holder(make_store: Factory) -> None:
    holder, other = make_store(), make_store()
    taken, release = threading.Event(), threading.Event()

    def hold() -> None:
        with holder.lock("apply"):
            taken.set()
            release.wait(10)

    thread = threading.Thread(target=hold)
    thread.start()
    try:
        assert taken.wait(10)
        with pytest.raises(StateLocked, match=r"is locked after waiting 0\.3s: held by pid"), other.lock("plan", 0.3):
            pass
        threading.Timer(0.4, release.set).start()
        started = time.monotonic()
        with other.lock("plan", timeout=10):
            waited = time.monotonic() - started
        assert 0.3 < waited < 5
    finally:
        release.set()
        thread.join(10)


def test_a_killed_holder_frees_the_lock_at_once(make_store: Factory, pg_url: str, name: str) -> None:
    holder_script = (
        "import sys, time\n"
        "from specrun.backends import PostgresStateStore\n"
        "with PostgresStateStore(sys.argv[1], name=sys.argv[2]).lock('apply'):\n"
        "    print('locked', flush=True)\n"
        "    time.sleep(60)\n"
    )
    process = subprocess.Popen([sys.executable, "-c", holder_script, pg_url, name], cwd=REPO,
                               stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None and process.stdout.readline().strip() == "locked"
        other = make_store()
        with pytest.raises(StateLocked, match=f"held by pid {process.pid} on "), other.lock("plan"):
            pass
    finally:
        process.kill()
        process.wait(10)

    started = time.monotonic()
    with other.lock("plan", timeout=5):  # the session died with the process: no stale lock
        freed = time.monotonic() - started
        assert query(pg_url, "SELECT pid, command FROM specrun.holders WHERE name = %s", name) == [
            (os.getpid(), "plan")]  # the dead holder's row was overwritten
    assert freed < 1.0


def test_a_holder_row_left_by_a_dead_session_is_never_reported(make_store: Factory, pg_url: str,
                                                                name: str) -> None:
    make_store().load()  # the tables
    query(pg_url, "INSERT INTO specrun.holders (name, pid, host, command, backend_pid) "
                  "VALUES (%s, 4242, 'gone', 'apply', 1)", name)
    taker = make_store()
    with taker.lock("apply"):
        # between taking the lock and writing its row, a holder is only "another process"
        query(pg_url, "UPDATE specrun.holders SET backend_pid = 1 WHERE name = %s", name)
        with pytest.raises(StateLocked, match="is locked: held by another specrun process"), make_store().lock("plan"):
            pass


def test_without_psycopg_the_error_names_the_extra(monkeypatch: pytest.MonkeyPatch, pg_url: str) -> None:
    monkeypatch.setitem(sys.modules, "psycopg", None)  # import psycopg → ImportError
    with pytest.raises(MissingExtra) as missing:
        PostgresStateStore(pg_url, name="x")
    assert str(missing.value) == "the postgres state backend needs the postgres extra: pip install 'specrun[postgres]'"


def test_an_unreachable_server_is_one_clear_error_without_the_password() -> None:
    store = PostgresStateStore(UNREACHABLE_URL, name="x")
    assert "s3cret" not in repr(store) and "s3cret" not in str(vars(store).get("where"))
    assert_each_fails_cleanly([store.load, lambda: store.save(State()), lambda: store.lock("apply").__enter__()])


def test_a_database_error_is_one_clear_error_without_the_password(pg_url: str) -> None:
    url = pg_url.replace("postgres@/postgres?", "postgres:s3cret@/no_such_db?")
    with pytest.raises(StateError) as failed:
        PostgresStateStore(url, name="x").load()
    assert 'database "no_such_db" does not exist' in str(failed.value)
    assert "s3cret" not in str(failed.value)


@pytest.mark.parametrize("url", ["s3cret", "postgresql://u:s3cret@/db?s3cret=1", "host=x password"])
def test_a_url_that_does_not_parse_is_refused_without_showing_it(url: str) -> None:
    with pytest.raises(StateError, match="the postgres state backend URL is not a valid connection string") as bad:
        PostgresStateStore(url, name="x")
    assert "s3cret" not in str(bad.value) and "password" not in str(bad.value)


def test_the_tables_are_created_on_first_use_and_their_version_recorded(make_store: Factory, pg_url: str) -> None:
    schema = f"t_{uuid.uuid4().hex[:12]}"
    assert query(pg_url, "SELECT 1 FROM pg_namespace WHERE nspname = %s", schema) == []
    stores = [make_store(schema=schema) for _ in range(4)]
    threads = [threading.Thread(target=store.load) for store in stores]  # first use, all at once
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)

    assert query(pg_url, "SELECT tablename FROM pg_tables WHERE schemaname = %s ORDER BY 1", schema) == [
        ("holders",), ("ledger_ingested",), ("ledger_meta",), ("ledger_outcomes",), ("ledger_shard_keys",), ("meta",),
        ("states",)]
    assert query(pg_url, f'SELECT key, value FROM "{schema}".meta') == [("schema_version", str(SCHEMA_VERSION))]
    state = State()
    stores[0].save(state)
    assert query(pg_url, f'SELECT serial FROM "{schema}".states') == [(1,)]


def test_tables_of_a_newer_specrun_are_refused(make_store: Factory, pg_url: str) -> None:
    schema = f"t_{uuid.uuid4().hex[:12]}"
    make_store(schema=schema).load()
    query(pg_url, f"UPDATE \"{schema}\".meta SET value = '{SCHEMA_VERSION + 1}'")
    with pytest.raises(StateError, match=rf"has tables of schema version {SCHEMA_VERSION + 1} in schema '{schema}', "
                                         rf"newer than this specrun understands \({SCHEMA_VERSION}\); upgrade specrun"):
        make_store(schema=schema).load()


def test_a_hand_edited_document_is_one_error_naming_the_field(make_store: Factory, pg_url: str, name: str) -> None:
    make_store().save(State())
    query(pg_url, "UPDATE specrun.states SET document = %s::json WHERE name = %s",
          '{"version": 1, "lineage": "l", "serial": 1, "jobs": {"a": 5}}', name)
    with pytest.raises(StateError, match=rf"'{name}' in the postgres backend \(host .*\) is not valid: jobs\.a must"):
        make_store().load()
