"""Slow batches on the embedded local provider: wait, drift → retry, expiry, timeout.

The echo engine's ``delay_ms`` keeps a batch ``in_progress`` long enough to observe;
the embedded provider only works while a specrun command runs (``cli`` runs each one
in-process and checks it stopped its workers), so a batch left behind by ``--no-wait``
stays in flight until the next command picks it up. A command ending lets the request
in hand finish, so each command moves a batch on by about one request: with commands
taking milliseconds in-process, 1 s a request keeps a batch in flight for several. Ctrl-C and kill -9 need a real
process: they are in test_smoke.py.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from tests.e2e.conftest import Result, in_process_cli, plan_jobs, read_results, write_local_project


def test_no_wait_leaves_a_batch_in_flight_and_plan_says_wait(tmp_path, cli):
    spec = write_local_project(tmp_path, rows=3, delay_ms=1000)
    submitted = cli("apply", "--auto-approve", "--no-wait", cwd=spec.parent)
    assert submitted.code == 0, submitted.stderr
    assert "batches submitted; run `specrun apply` again" in submitted.stdout
    job = plan_jobs(cli, spec.parent)["count"]
    assert job["action"] == "wait"
    assert job["reason"] in ("1 batch in_progress", "1 batch validating")
    assert len(job["batch_ids"]) == 1


def test_batch_cancelled_outside_specrun_is_retried(tmp_path, cli):
    spec = write_local_project(tmp_path, rows=4, delay_ms=1000)
    assert cli("apply", "--auto-approve", "--no-wait", cwd=spec.parent).code == 0
    state = json.loads((spec.parent / ".specrun" / "state.json").read_text())
    batch_id = state["jobs"]["count"]["shards"][0]["batch_id"]
    cancelled = cli("batches", "cancel", batch_id, cwd=spec.parent)
    assert cancelled.code == 0, cancelled.stderr
    waited = cli("batches", "wait", batch_id, "--poll-interval", "0.2", cwd=spec.parent)  # cancelling → cancelled
    assert waited.code == 1 and "cancelled" in (waited.stdout + waited.stderr)

    job = plan_jobs(cli, spec.parent)["count"]
    assert job["action"] == "retry"
    assert job["reason"].startswith(f"batch {batch_id} cancel")

    spec.write_text(spec.read_text().replace("delay_ms: 1000", "delay_ms: 0"))  # provider option, not an input
    applied = cli("apply", "--auto-approve", "--poll-interval", "0.2", cwd=spec.parent)
    assert applied.code == 0, applied.stderr
    assert "retrying" in applied.stderr
    rows = read_results(spec.parent / "results" / "count.jsonl")
    assert [r["status"] for r in rows] == ["ok"] * 4
    state = json.loads((spec.parent / ".specrun" / "state.json").read_text())
    assert [s["generation"] for s in state["jobs"]["count"]["shards"]] == [0, 1]


def first_apply_expires(directory: Path, *, rows: int, delay_ms: int) -> Result:
    """The first apply on a 1 s window: the batch and its automatic retry both expire, partly done."""
    spec = write_local_project(directory, rows=rows, delay_ms=delay_ms, window="1s")
    with pytest.MonkeyPatch.context() as monkeypatch:
        return in_process_cli(monkeypatch)("apply", "--auto-approve", "--poll-interval", "0.2", cwd=spec.parent)


# Several tests start from the same expired project: it is made once per module (the
# expiry takes seconds) and each test gets its own copy, the embedded provider's data
# (.specrun/local) included, so no test sees another's batches.
@pytest.fixture(scope="module")
def _six_rows_expired_once(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Result]:
    directory = tmp_path_factory.mktemp("six-rows-expired")
    return directory, first_apply_expires(directory, rows=6, delay_ms=700)


@pytest.fixture(scope="module")
def _eight_rows_expired_once(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Result]:
    directory = tmp_path_factory.mktemp("eight-rows-expired")
    return directory, first_apply_expires(directory, rows=8, delay_ms=500)


def _copy(template: tuple[Path, Result], tmp_path: Path) -> tuple[Path, Result]:
    directory, first_apply = template
    shutil.copytree(directory, tmp_path, dirs_exist_ok=True)
    return tmp_path / "specrun.yaml", first_apply


@pytest.fixture
def six_rows_expired(tmp_path: Path, _six_rows_expired_once: tuple[Path, Result]) -> tuple[Path, Result]:
    """(spec, first apply) of a project of 6 rows, 700 ms a request, a 1 s window, after its first apply."""
    return _copy(_six_rows_expired_once, tmp_path)


@pytest.fixture
def eight_rows_expired(tmp_path: Path, _eight_rows_expired_once: tuple[Path, Result]) -> tuple[Path, Result]:
    """(spec, first apply) of a project of 8 rows, 500 ms a request, a 1 s window, after its first apply."""
    return _copy(_eight_rows_expired_once, tmp_path)


def test_expired_batch_is_retried_once_then_the_run_fails(six_rows_expired):
    spec, result = six_rows_expired
    assert result.code == 1
    assert "expired; retrying the requests without a result" in result.stderr
    assert "did not complete: count (expired" in result.stderr
    rows = read_results(spec.parent / "results" / "count.jsonl")
    assert len(rows) == 6  # partial results are kept, the rest marked
    assert any(r["status"] == "ok" for r in rows)
    missing = [r for r in rows if r["status"] == "error"]
    assert missing and all("expired" in r["error"]["message"] for r in missing)


def test_timeout_gives_up_cleanly_and_a_rerun_resumes(tmp_path, cli):
    spec = write_local_project(tmp_path, rows=3, delay_ms=1000)
    timed_out = cli("apply", "--auto-approve", "--poll-interval", "0.2", "--timeout", "1", cwd=spec.parent)
    assert timed_out.code == 1
    assert "timed out after 1s" in timed_out.stderr and "Run `specrun apply` again to resume" in timed_out.stderr
    state = json.loads((spec.parent / ".specrun" / "state.json").read_text())
    assert state["jobs"]["count"]["shards"][0]["batch_id"]
    spec.write_text(spec.read_text().replace("delay_ms: 1000", "delay_ms: 0"))  # provider option, not an input
    resumed = cli("apply", "--auto-approve", "--poll-interval", "0.2", cwd=spec.parent)
    assert resumed.code == 0, resumed.stderr
    assert "3 ok" in resumed.stdout


def reopen(spec: Path, first_apply: Result) -> None:
    """After a first apply whose batch and automatic retry both expired: widen the window, end the delay."""
    assert first_apply.code == 1, first_apply.stderr
    spec.write_text(re.sub(r"delay_ms: \d+", "delay_ms: 0",  # a provider option, not an input
                           spec.read_text().replace("completion_window: 1s", "completion_window: 24h")))


def test_a_retry_batch_finishing_between_runs_is_downloaded(six_rows_expired, cli):
    spec, first_apply = six_rows_expired
    reopen(spec, first_apply)
    submitted = cli("apply", "--auto-approve", "--no-wait", cwd=spec.parent)
    assert submitted.code == 0, submitted.stderr
    state = json.loads((spec.parent / ".specrun" / "state.json").read_text())
    retry = [s for s in state["jobs"]["count"]["shards"] if s["generation"] == max(
        x["generation"] for x in state["jobs"]["count"]["shards"])][0]
    # the retry finishes outside apply
    waited = cli("batches", "wait", retry["batch_id"], "--poll-interval", "0.2", cwd=spec.parent)
    assert waited.code == 0, waited.stderr

    job = plan_jobs(cli, spec.parent)["count"]
    assert job["action"] == "download"
    assert job["reason"] == f"batch {retry['batch_id']} finished; its results are not joined yet"
    applied = cli("apply", "--auto-approve", cwd=spec.parent)
    assert applied.code == 0, applied.stderr
    assert [r["status"] for r in read_results(spec.parent / "results" / "count.jsonl")] == ["ok"] * 6
    assert plan_jobs(cli, spec.parent)["count"]["action"] == "noop"


def test_lost_state_adopts_an_expired_batch_and_retries_only_the_rest(six_rows_expired, cli):
    spec, first_apply = six_rows_expired
    reopen(spec, first_apply)
    before = json.loads(cli("batches", "ls", "--json", cwd=spec.parent).stdout)
    (spec.parent / ".specrun" / "state.json").unlink()

    job = plan_jobs(cli, spec.parent)["count"]
    # the row ledger kept the answers the expired batch gave: only the rest is sent
    assert job["action"] == "create" and job["reason"] == "job not in state"
    assert job["reused"] > 0 and job["to_send"] == 6 - job["reused"]
    applied = cli("apply", "--auto-approve", "--poll-interval", "0.2", cwd=spec.parent)
    assert applied.code == 0, applied.stderr
    rows = read_results(spec.parent / "results" / "count.jsonl")
    assert [r["status"] for r in rows] == ["ok"] * 6
    after = json.loads(cli("batches", "ls", "--json", cwd=spec.parent).stdout)
    new = [b for b in after if b["id"] not in {x["id"] for x in before}]
    assert len(new) == 1
    done_before = max(b["request_counts"]["completed"] for b in before)
    assert new[0]["request_counts"]["total"] < 6  # only the requests without a result were re-sent
    assert new[0]["request_counts"]["total"] <= 6 - done_before


def test_lost_state_after_expired_retries_re_sends_only_requests_without_a_result(eight_rows_expired, cli):
    spec, first_apply = eight_rows_expired
    reopen(spec, first_apply)  # the first batch and its retry both expired, partly done
    state = json.loads((spec.parent / ".specrun" / "state.json").read_text())
    assert max(s["generation"] for s in state["jobs"]["count"]["shards"]) == 1
    ok_before = sum(r["status"] == "ok" for r in read_results(spec.parent / "results" / "count.jsonl"))
    before = {b["id"] for b in json.loads(cli("batches", "ls", "--json", cwd=spec.parent).stdout)}
    (spec.parent / ".specrun" / "state.json").unlink()

    job = plan_jobs(cli, spec.parent)["count"]
    assert job["action"] == "create"  # a new job to the state; the ledger answers what was answered
    assert job["reused"] == ok_before and job["to_send"] == 8 - ok_before
    applied = cli("apply", "--auto-approve", "--poll-interval", "0.2", cwd=spec.parent)
    assert applied.code == 0, applied.stderr
    assert [r["status"] for r in read_results(spec.parent / "results" / "count.jsonl")] == ["ok"] * 8
    after = json.loads(cli("batches", "ls", "--json", cwd=spec.parent).stdout)
    new = [b for b in after if b["id"] not in before]
    assert len(new) == 1
    assert new[0]["request_counts"]["total"] == 8 - ok_before  # nothing with an ok result was re-sent


def test_a_planned_retry_waits_for_the_shards_still_running_then_retries(tmp_path, cli):
    spec = write_local_project(tmp_path, rows=6, delay_ms=1000)
    spec.write_text(spec.read_text().replace("    rows:\n", "    limits: {max_requests: 3}\n    rows:\n"))
    assert cli("apply", "--auto-approve", "--no-wait", cwd=spec.parent).code == 0
    state = json.loads((spec.parent / ".specrun" / "state.json").read_text())
    first, second = (s["batch_id"] for s in state["jobs"]["count"]["shards"])
    assert cli("batches", "cancel", first, cwd=spec.parent).code == 0
    cli("batches", "wait", first, "--poll-interval", "0.2", cwd=spec.parent)
    job = plan_jobs(cli, spec.parent)["count"]
    # wait while the second shard still runs (the retry follows it), retry once it ended: timing decides
    assert job["action"] in ("wait", "retry") and f"batch {first} cancelled" in job["reason"], job
    spec.write_text(spec.read_text().replace("delay_ms: 1000", "delay_ms: 0"))  # provider option, not an input
    applied = cli("apply", "--auto-approve", "--poll-interval", "0.2", cwd=spec.parent)
    assert applied.code == 0, applied.stderr
    assert "retrying" in applied.stderr
    assert [r["status"] for r in read_results(spec.parent / "results" / "count.jsonl")] == ["ok"] * 6
    batches = json.loads(cli("batches", "ls", "--json", cwd=spec.parent).stdout)
    retry = [b for b in batches if b["id"] not in (first, second)]
    assert len(retry) == 1 and retry[0]["request_counts"]["total"] <= 3  # only the cancelled shard's rest


def test_a_state_restored_from_a_backup_never_re_sends_what_later_rounds_answered(eight_rows_expired, cli):
    spec, first_apply = eight_rows_expired
    assert first_apply.code == 1
    state_path = spec.parent / ".specrun" / "state.json"
    backup = state_path.read_bytes()  # knows the first batch and retry round 1
    assert cli("apply", "--auto-approve", "--poll-interval", "0.2", cwd=spec.parent).code == 1  # round 2
    spec.write_text(spec.read_text().replace("completion_window: 1s", "completion_window: 24h")
                    .replace("delay_ms: 500", "delay_ms: 0"))
    assert cli("apply", "--auto-approve", "--poll-interval", "0.2", cwd=spec.parent).code == 0  # round 3
    before = {b["id"] for b in json.loads(cli("batches", "ls", "--json", cwd=spec.parent).stdout)}

    state_path.write_bytes(backup)
    restored = cli("apply", "--auto-approve", "--poll-interval", "0.2", cwd=spec.parent)
    assert restored.code == 0, restored.stderr
    assert "the ledger answers every request without a result" in restored.stdout
    after = {b["id"] for b in json.loads(cli("batches", "ls", "--json", cwd=spec.parent).stdout)}
    assert after == before  # nothing re-sent
    assert [r["status"] for r in read_results(spec.parent / "results" / "count.jsonl")] == ["ok"] * 8


def test_a_recorded_retry_round_whose_file_is_gone_is_worked_out_again(six_rows_expired, cli):
    import shutil

    spec, first_apply = six_rows_expired
    reopen(spec, first_apply)
    state_path = spec.parent / ".specrun" / "state.json"
    state = json.loads(state_path.read_text())
    # As if the run had been killed after recording retry round 2, before uploading it.
    shards = state["jobs"]["count"]["shards"]
    shards.append({**shards[-1], "generation": 2, "filename": "specrun-count-0000000000000000-retry2-"
                   "0000000000000000.jsonl", "file_id": None, "batch_id": None, "status": None,
                   "output_file_id": None, "error_file_id": None, "completed": 0, "failed": 0, "total": 0})
    state_path.write_text(json.dumps(state))
    shutil.rmtree(spec.parent / ".specrun" / "build")

    applied = cli("apply", "--auto-approve", "--poll-interval", "0.2", cwd=spec.parent)
    assert applied.code == 0, applied.stderr
    assert [r["status"] for r in read_results(spec.parent / "results" / "count.jsonl")] == ["ok"] * 6


def test_an_expired_retry_of_failed_rows_does_not_leave_the_job_stuck(tmp_path, cli):
    spec = write_local_project(tmp_path, rows=6, delay_ms=1000)
    spec.write_text(spec.read_text().replace("{n: 3}", "{n: '3 [[fail]]'}").replace("{n: 4}", "{n: '4 [[fail]]'}")
                    .replace("{n: 5}", "{n: '5 [[fail]]'}").replace("delay_ms: 1000", "delay_ms: 0"))
    assert cli("apply", "--auto-approve", "--poll-interval", "0.2", cwd=spec.parent).code == 0  # 3 ok, 3 error
    spec.write_text(spec.read_text().replace("delay_ms: 0", "delay_ms: 1000").replace("24h", "1s"))
    cli("apply", "--auto-approve", "--retry-errors", "--poll-interval", "0.2", cwd=spec.parent)  # expires
    spec.write_text(spec.read_text().replace("delay_ms: 1000", "delay_ms: 0").replace("completion_window: 1s",
                                                                                      "completion_window: 24h"))
    final = cli("apply", "--auto-approve", "--poll-interval", "0.2", cwd=spec.parent)
    assert final.code == 0, final.stdout + final.stderr
    rows = read_results(spec.parent / "results" / "count.jsonl")
    assert [r["status"] for r in rows] == ["ok"] * 3 + ["error"] * 3  # every request answered
    assert all(r["error"]["code"] != "missing" for r in rows[3:])
    again = cli("plan", "--detailed-exitcode", cwd=spec.parent)
    assert again.code == 0, again.stdout  # settled: no retry promised that apply would not do


