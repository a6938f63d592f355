"""The postgres backend end to end (issue #15): the real CLI, real processes, a real PostgreSQL server.

Each test's spec says ``backend: {type: postgres, url_env: SPECRUN_PG_URL, schema: <its own>}``
and reads the session's cluster (``pg_url``), except the database-outage test, which
starts and stops a cluster of its own. Processes are real where the point needs one
(two checkouts at once, kill -9, a write racing a running apply, the database going
away); the migration and the encoding check run the CLI in-process. A strict xfail
names the bug it shows.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg
import pytest

from specrun.backends import PostgresStateStore
from specrun.spec import load_spec
from specrun.state import State
from specrun.workspace import state_name
from tests.e2e.conftest import (
    API_KEY_ENV,
    MODEL,
    InProcessCLI,
    Server,
    _clean_env,
    in_process_cli,
    read_results,
    run_cli,
    start_server,
)
from tests.e2e.test_smoke import ok_answers_per_custom_id
from tests.pgcluster import Cluster, ClusterError, throwaway_cluster

PASSWORD = "s3cr3t-Zq8"  # trust auth ignores it: it is there to be looked for
SLOW = "{local: {engine: echo, delay_ms: 400}}"  # 4 rows: a batch of ~1.6 s, long enough to act during it
APPLY = ("apply", "--auto-approve", "--poll-interval", "0.1")
TEAM_KEY = "team-key"


@pytest.fixture
def schema() -> str:
    """A schema of this test's own: every test shares the session's server."""
    return f"e2e_{uuid.uuid4().hex[:12]}"


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch) -> InProcessCLI:
    return in_process_cli(monkeypatch)


@pytest.fixture
def stores() -> Iterator[Callable[[Path, str], PostgresStateStore]]:
    """``stores(spec, url)``: a state store reading what the spec's runs write (closed afterwards)."""
    made: list[PostgresStateStore] = []

    def make(spec: Path, url: str) -> PostgresStateStore:
        loaded = load_spec(spec)
        made.append(PostgresStateStore(url, schema=loaded.backend.schema, name=state_name(loaded)))
        return made[-1]

    yield make
    for store in made:
        store.close()


def write_spec(root: Path, *, schema: str | None, provider: str, rows: int = 4, max_requests: int = 0) -> Path:
    """Job ``count`` over inline rows; ``schema=None`` leaves the backend local."""
    root.mkdir(parents=True, exist_ok=True)
    backend = f"backend: {{type: postgres, url_env: SPECRUN_PG_URL, schema: {schema}}}\n" if schema else ""
    limits = f"    limits: {{max_requests: {max_requests}}}\n" if max_requests else ""
    spec = root / "specrun.yaml"
    spec.write_text(
        f"version: 1\n{backend}provider: {provider}\njobs:\n  count:\n    model: {MODEL}\n"
        "    messages:\n      - {role: user, content: \"Say the number {{ row.n }}.\"}\n"
        f"{limits}    rows:\n" + "".join(f"      - {{n: {i}}}\n" for i in range(rows)),
        encoding="utf-8")
    return spec


def start_cli(*args: str, cwd: Path, env: dict[str, str]) -> subprocess.Popen[str]:
    """The real CLI in a subprocess that keeps running (``run_cli``'s environment)."""
    return subprocess.Popen([sys.executable, "-m", "specrun", *args], cwd=cwd, env={**_clean_env(), **env},
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, stdin=subprocess.DEVNULL)


def batch_ids(store: PostgresStateStore) -> list[str]:
    state = store.load()
    if state is None or "count" not in state.jobs:
        return []
    return [shard.batch_id for shard in state.jobs["count"].shards if shard.batch_id]


def wait_for(condition: Callable[[], object], timeout: float = 20) -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        time.sleep(0.05)
    raise AssertionError("timed out")


def assert_complete_and_paid_once(project: Path, rows: int = 4) -> None:
    """Every row answered, and the embedded provider answered each request once (money audit)."""
    assert [r["status"] for r in read_results(project / "results" / "count.jsonl")] == ["ok"] * rows
    answers = ok_answers_per_custom_id(project)
    assert len(answers) == rows and set(answers.values()) == {1}, answers


# ------------------------------------------------------------------------------ one truth for a team


@pytest.fixture
def team_server(tmp_path: Path) -> Iterator[Server]:
    """A `specrun serve` of this test's own: the one provider every checkout talks to."""
    server = start_server(tmp_path, api_keys=(TEAM_KEY,))
    server.api_key = TEAM_KEY
    yield server
    server.stop()


def two_checkouts(tmp_path: Path, schema: str, server: Server) -> list[Path]:
    """Two clones, at different paths, of a repository holding the spec (7 rows, 3 a shard)."""
    origin = tmp_path / "origin"
    write_spec(origin, schema=schema, provider=f"{{base_url: {server.url}}}", rows=7, max_requests=3)
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.com"]
    subprocess.run([*git, "init", "-q", str(origin)], check=True)
    subprocess.run([*git, "-C", str(origin), "add", "specrun.yaml"], check=True)
    subprocess.run([*git, "-C", str(origin), "commit", "-q", "-m", "spec"], check=True)
    checkouts = [tmp_path / "laptop" / "repo", tmp_path / "ci-runner"]
    for checkout in checkouts:
        subprocess.run(["git", "clone", "-q", str(origin), str(checkout)], check=True)
    return checkouts


def test_two_checkouts_applying_at_once_get_one_batch_per_shard_and_share_the_answers(
        tmp_path: Path, pg_url: str, schema: str, team_server: Server) -> None:
    checkouts = two_checkouts(tmp_path, schema, team_server)
    env = {"SPECRUN_PG_URL": pg_url, API_KEY_ENV: TEAM_KEY}
    runs = [start_cli(*APPLY, "--lock-timeout", "60", "-v", cwd=c, env=env) for c in checkouts]
    outputs = [run.communicate(timeout=60) for run in runs]
    assert [run.returncode for run in runs] == [0, 0], outputs
    assert len(team_server.batches()) == 3 and len(team_server.files()) == 3
    posts = sorted(len([line for line in err.splitlines() if line.startswith("POST ")]) for _, err in outputs)
    assert posts == [0, 6]  # the run that waited for the lock uploaded and submitted nothing
    with psycopg.connect(pg_url) as connection:
        names = connection.execute(f"SELECT name FROM {schema}.states").fetchall()
    assert names == [("specrun.yaml",)]  # one state: the spec's path in its repository

    results = [read_results(c / "results" / "count.jsonl") for c in checkouts]
    assert [r["content"] for r in results[0]] == [r["content"] for r in results[1]]
    assert all(r["status"] == "ok" for r in results[0] + results[1])
    for checkout in checkouts:
        again = run_cli(*APPLY, "-v", cwd=checkout, env=env)
        assert again.code == 0 and "No changes." in again.stdout, again.stderr
        assert again.posts() == []
    assert len(team_server.batches()) == 3


def test_a_fresh_checkout_rebuilds_its_results_from_the_shared_ledger_without_downloading(
        tmp_path: Path, pg_url: str, schema: str, team_server: Server) -> None:
    first, fresh = two_checkouts(tmp_path, schema, team_server)
    env = {"SPECRUN_PG_URL": pg_url, API_KEY_ENV: TEAM_KEY}
    assert run_cli(*APPLY, cwd=first, env=env).code == 0
    rebuilt = run_cli(*APPLY, "-v", cwd=fresh, env=env)
    assert rebuilt.code == 0, rebuilt.stderr
    assert rebuilt.posts() == [] and len(team_server.batches()) == 3
    assert read_results(fresh / "results" / "count.jsonl") == read_results(first / "results" / "count.jsonl")
    assert [line for line in rebuilt.stderr.splitlines() if "/content" in line] == []  # every answer is in the ledger


def test_a_killed_lock_holder_frees_the_lock_and_the_next_apply_resumes_its_batch(
        tmp_path: Path, pg_url: str, schema: str, stores: Callable[[Path, str], PostgresStateStore]) -> None:
    spec = write_spec(tmp_path / "proj", schema=schema, provider=SLOW)
    env = {"SPECRUN_PG_URL": pg_url}
    holder = start_cli(*APPLY, cwd=spec.parent, env=env)
    store = stores(spec, pg_url)
    submitted = wait_for(lambda: batch_ids(store))  # the holder now waits on its batch, lock held
    holder.kill()
    holder.communicate(timeout=10)

    resumed = run_cli(*APPLY, cwd=spec.parent, env=env)  # no --lock-timeout: a held lock would fail at once
    assert resumed.code == 0, resumed.stderr
    assert "locked" not in resumed.stderr
    assert batch_ids(store) == submitted
    assert_complete_and_paid_once(spec.parent)


def test_a_state_another_run_wrote_meanwhile_is_one_clear_error_and_nothing_is_lost(
        tmp_path: Path, pg_url: str, schema: str, stores: Callable[[Path, str], PostgresStateStore]) -> None:
    spec = write_spec(tmp_path / "proj", schema=schema, provider=SLOW)
    env = {"SPECRUN_PG_URL": pg_url}
    running = start_cli(*APPLY, cwd=spec.parent, env=env)
    other = stores(spec, pg_url)
    submitted = wait_for(lambda: batch_ids(other))
    state = other.load()
    assert state is not None
    other.save(state)  # a writer that ignored the lock bumps the serial under the running apply

    out, err = running.communicate(timeout=30)
    assert running.returncode == 1, out + err
    assert "changed in the backend since it was read" in err and "nothing was lost" in err, err
    assert "Traceback" not in err

    resumed = run_cli(*APPLY, cwd=spec.parent, env=env)
    assert resumed.code == 0, resumed.stderr
    assert batch_ids(other) == submitted
    assert_complete_and_paid_once(spec.parent)


# ------------------------------------------------------------------------------ moving between backends


def test_backend_migrate_moves_state_and_ledger_both_ways_and_refuses_another_lineage(
        tmp_path: Path, cli: InProcessCLI, monkeypatch: pytest.MonkeyPatch, pg_url: str, schema: str,
        stores: Callable[[Path, str], PostgresStateStore]) -> None:
    local_spec = write_spec(tmp_path / "proj", schema=None, provider="{local: {engine: echo}}")
    project, text = local_spec.parent, local_spec.read_text()
    assert cli(*APPLY, cwd=project).code == 0
    lineage = json.loads((project / ".specrun" / "state.json").read_text())["lineage"]
    monkeypatch.setenv("SPECRUN_PG_URL", pg_url)

    spec = write_spec(project, schema=schema, provider="{local: {engine: echo}}")
    moved = cli("backend", "migrate", "--to", "postgres", cwd=project)
    assert moved.code == 0, moved.stderr
    assert "Moved 1 job(s) and 4 ledger answer(s)" in moved.stdout
    in_postgres = stores(spec, pg_url).load()
    assert in_postgres is not None and in_postgres.lineage == lineage
    planned = cli("plan", cwd=project)
    assert planned.code == 0 and "No changes." in planned.stdout, planned.stdout + planned.stderr

    for path in (project / ".specrun").iterdir():  # an empty .specrun/ (the embedded provider kept)
        if path.name != "local":
            shutil.rmtree(path) if path.is_dir() else path.unlink()
    back = cli("backend", "migrate", "--to", "local", cwd=project)
    assert back.code == 0, back.stderr
    assert "Moved 1 job(s) and 4 ledger answer(s)" in back.stdout
    local_spec.write_text(text)
    assert json.loads((project / ".specrun" / "state.json").read_text())["lineage"] == lineage
    planned = cli("plan", cwd=project)
    assert planned.code == 0 and "No changes." in planned.stdout, planned.stdout + planned.stderr

    other = f"{schema}_other"
    spec = write_spec(project, schema=other, provider="{local: {engine: echo}}")
    stranger = State(provider="someone else")
    stores(spec, pg_url).save(stranger)
    refused = cli("backend", "migrate", "--to", "postgres", cwd=project)
    assert refused.code == 1
    assert "already holds a state of another lineage" in refused.stderr and "nothing was moved" in refused.stderr
    assert "Traceback" not in refused.stderr
    kept = stores(spec, pg_url).load()
    assert kept is not None and kept.lineage == stranger.lineage and kept.jobs == {}


# ------------------------------------------------------------------------------ the database going away


#: The session cluster's settings, less ``synchronous_commit=off`` and ``full_page_writes=off``: this
#: cluster is stopped at once under a running apply, and what it said was written must be there after.
DURABLE = "-c fsync=off"


@pytest.fixture
def cluster(pg_url: str) -> Iterator[Cluster]:  # pg_url: the session's checks (initdb present) come first
    try:
        with throwaway_cluster(DURABLE) as own:
            yield own
    except ClusterError as exc:
        pytest.fail(str(exc))


def test_the_database_going_away_mid_apply_is_one_clear_error_and_the_next_apply_resumes(
        tmp_path: Path, cluster: Cluster, schema: str, stores: Callable[[Path, str], PostgresStateStore]) -> None:
    spec = write_spec(tmp_path / "proj", schema=schema, provider=SLOW)
    env = {"SPECRUN_PG_URL": cluster.url(PASSWORD)}
    running = start_cli(*APPLY, cwd=spec.parent, env=env)
    store = stores(spec, cluster.url(PASSWORD))
    submitted = wait_for(lambda: batch_ids(store))
    store.close()
    cluster.stop()  # the batch runs on; the apply's next write finds no database

    out, err = running.communicate(timeout=60)
    assert running.returncode == 1, out + err
    errors = [line for line in err.splitlines() if line.startswith("Error: ")]  # progress lines share stderr
    assert len(errors) == 1 and "postgres state backend" in errors[0] and "could not" in errors[0], err
    assert "Traceback" not in err
    assert PASSWORD not in out + err and cluster.url(PASSWORD) not in out + err

    cluster.start(DURABLE)
    resumed = run_cli(*APPLY, "-v", cwd=spec.parent, env=env)
    assert resumed.code == 0, resumed.stderr
    assert batch_ids(store) == submitted
    assert_complete_and_paid_once(spec.parent)


# ------------------------------------------------------------------------------ the password


def test_the_url_and_its_password_are_never_printed_or_written(tmp_path: Path, pg_url: str, schema: str) -> None:
    url = pg_url.replace("postgres@", f"postgres:{PASSWORD}@")
    assert PASSWORD in url
    spec = write_spec(tmp_path / "proj", schema=schema, provider="{local: {engine: echo}}")
    env = {"SPECRUN_PG_URL": url}
    runs = [run_cli("plan", "-v", "--out", "saved.plan", cwd=spec.parent, env=env),
            run_cli("apply", "saved.plan", "--auto-approve", "--poll-interval", "0.1", "-v", cwd=spec.parent, env=env),
            run_cli("plan", "-v", "--json", cwd=spec.parent, env=env)]
    assert [run.code for run in runs] == [0, 0, 0], [run.stderr for run in runs]
    unreachable = run_cli("plan", "-v", cwd=spec.parent, env={"SPECRUN_PG_URL": url.replace("/postgres?", "/nowhere?")})
    assert unreachable.code == 1 and "nowhere" in unreachable.stderr, unreachable.stderr
    for run in (*runs, unreachable):
        assert PASSWORD not in run.stdout + run.stderr

    written = [path for path in spec.parent.rglob("*") if path.is_file()]
    assert spec.parent / "results" / "count.jsonl" in written and spec.parent / "saved.plan" in written
    assert [path for path in written if PASSWORD.encode() in path.read_bytes()] == []
    with psycopg.connect(pg_url) as connection:
        tables = connection.execute("SELECT tablename FROM pg_tables WHERE schemaname = %s", [schema]).fetchall()
        assert len(tables) > 3
        for (table,) in tables:
            rows = connection.execute(f"SELECT * FROM {schema}.{table}").fetchall()
            assert PASSWORD not in repr(rows), table


def test_a_database_not_in_utf8_works_or_is_refused_clearly(tmp_path: Path, cli: InProcessCLI,
                                                            monkeypatch: pytest.MonkeyPatch, pg_url: str,
                                                            schema: str) -> None:
    with psycopg.connect(pg_url, autocommit=True) as connection:
        connection.execute(f"CREATE DATABASE {schema} ENCODING 'SQL_ASCII' LC_COLLATE 'C' LC_CTYPE 'C' "
                           "TEMPLATE template0")
    monkeypatch.setenv("SPECRUN_PG_URL", pg_url.replace("/postgres?", f"/{schema}?"))
    spec = write_spec(tmp_path / "proj", schema=schema, provider="{local: {engine: echo}}")
    applied, planned = cli(*APPLY, cwd=spec.parent), cli("plan", cwd=spec.parent)
    said = applied.stderr + planned.stderr
    assert "internal error" not in said, said
    assert "No changes." in planned.stdout or "UTF8" in said
