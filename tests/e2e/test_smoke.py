"""Smoke tests: the real `specrun` CLI in subprocesses, against a real `specrun serve`.

Everything else in tests/e2e runs the CLI in-process (faster, same assertions); these
keep what only a real process shows: the installed entry point end to end, kill -9 in
the middle of an apply (``SPECRUN_CRASH_AT``), Ctrl-C, two applies at once, and a
state lock held by another process. Run just these with ``pytest -m smoke``.
"""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from tests.e2e.conftest import read_results, run_cli, write_local_project, write_project

pytestmark = pytest.mark.smoke


# ---------------------------------------------------------------- against `specrun serve`


def test_apply_creates_one_batch_and_a_second_apply_sends_no_post(tmp_path, server):
    spec = write_project(tmp_path / "proj", server.url, rows=5)
    first = run_cli("apply", "--auto-approve", "--poll-interval", "0.2", "-v", cwd=spec.parent)
    assert first.code == 0, first.stderr
    assert "+ greet" in first.stdout and "create" in first.stdout
    assert "Apply complete." in first.stdout
    assert "5 ok, 0 error" in first.stdout
    assert len(first.posts()) == 2  # one upload, one batch
    assert len(server.batches()) == 1

    results = read_results(spec.parent / "results" / "greet.jsonl")
    assert [r["custom_id"] for r in results] == [f"greet-{i}" for i in range(5)]
    assert all(r["status"] == "ok" and r["content"] for r in results)
    assert results[0]["row"] == {"id": "0", "name": "person 0"}

    before = (spec.parent / "results" / "greet.jsonl").stat().st_mtime_ns
    second = run_cli("apply", "--auto-approve", "-v", cwd=spec.parent)
    assert second.code == 0, second.stderr
    assert "No changes." in second.stdout
    assert second.posts() == []
    assert (spec.parent / "results" / "greet.jsonl").stat().st_mtime_ns == before
    assert len(server.batches()) == 1


def test_crash_after_upload_does_not_upload_or_create_twice(tmp_path, server):
    spec = write_project(tmp_path / "proj", server.url)
    crashed = run_cli("apply", "--auto-approve", cwd=spec.parent, env={"SPECRUN_CRASH_AT": "after-upload"})
    assert crashed.code == -9  # SIGKILL, before the state write
    assert len(server.files()) == 1 and server.batches() == []
    resumed = run_cli("apply", "--auto-approve", "--poll-interval", "0.2", "-v", cwd=spec.parent)
    assert resumed.code == 0, resumed.stderr
    assert len(server.files()) == 1
    assert len(server.batches()) == 1
    assert [p for p in resumed.posts() if "/files" in p] == []


def test_crash_between_create_and_state_write_adopts_the_batch(tmp_path, server):
    spec = write_project(tmp_path / "proj", server.url)
    crashed = run_cli("apply", "--auto-approve", cwd=spec.parent, env={"SPECRUN_CRASH_AT": "after-create"})
    assert crashed.code == -9
    assert len(server.batches()) == 1
    plan = run_cli("plan", cwd=spec.parent)
    assert "adopted" in plan.stdout or "download" in plan.stdout or "wait" in plan.stdout
    resumed = run_cli("apply", "--auto-approve", "--poll-interval", "0.2", "-v", cwd=spec.parent)
    assert resumed.code == 0, resumed.stderr
    assert resumed.posts() == []
    assert len(server.batches()) == 1
    assert len(read_results(spec.parent / "results" / "greet.jsonl")) == 5


def test_concurrent_applies_create_one_batch_per_shard(tmp_path, server):
    spec = write_project(tmp_path / "proj", server.url, rows=7, max_requests=3)
    procs = [subprocess.Popen([sys.executable, "-m", "specrun", "apply", "--auto-approve", "--poll-interval", "0.2",
                               "--lock-timeout", "60"], cwd=spec.parent, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True, stdin=subprocess.DEVNULL) for _ in range(2)]
    outputs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outputs
    assert len(server.batches()) == 3
    assert sum("No changes." in out for out, _ in outputs) == 1


def test_second_run_fails_at_once_naming_the_lock_holder(tmp_path, server):
    spec = write_project(tmp_path / "proj", server.url)
    from specrun.state import state_lock

    with state_lock(spec.parent / ".specrun", "apply (test)"):
        result = run_cli("plan", cwd=spec.parent)
    assert result.code == 1
    assert "state is locked" in result.stderr and "apply (test)" in result.stderr
    assert "Traceback" not in result.stderr

# ---------------------------------------------------------------- on the embedded provider


def test_ctrl_c_while_waiting_saves_state_and_says_how_to_resume(tmp_path):
    spec = write_local_project(tmp_path, rows=3, delay_ms=1000)
    # SIGINT back to its default: a test run started in the background (`pytest &`) hands its
    # children SIGINT ignored, and Python then never raises KeyboardInterrupt.
    proc = subprocess.Popen([sys.executable, "-m", "specrun", "apply", "--auto-approve", "--poll-interval", "0.2"],
                            cwd=spec.parent, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            stdin=subprocess.DEVNULL, preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    state_path = spec.parent / ".specrun" / "state.json"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if state_path.exists() and '"batch_id": "batch' in state_path.read_text():
            break
        time.sleep(0.1)
    time.sleep(0.5)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 130, err
    assert "State is saved and the batches keep running" in err
    assert "Traceback" not in err
    state = json.loads(state_path.read_text())
    assert state["jobs"]["count"]["shards"][0]["batch_id"].startswith("batch")


def request_keys(spec: Path, job: str) -> list[str]:
    """The ledger keys of a job's requests (what specrun sends as their custom_ids)."""
    from specrun.render import iter_requests
    from specrun.spec import load_spec

    loaded = load_spec(spec)
    return [r.key for r in iter_requests(loaded, loaded.jobs[job])]


def ok_answers_per_custom_id(project: Path) -> dict[str, int]:
    """How many ok answers the embedded provider produced for each custom_id (money audit)."""
    from specrun.client import Client
    from specrun.local import embedded_transport

    counts: Counter = Counter()
    transport = embedded_transport(project / ".specrun" / "local")
    try:
        with Client("http://specrun.local/v1", None, transport=transport) as client:
            for batch in client.iter_batches():
                if batch.output_file_id:
                    dest = project / f"audit-{batch.output_file_id}.jsonl"
                    client.download_file(batch.output_file_id, dest)
                    for line in dest.read_text().splitlines():
                        counts[json.loads(line)["custom_id"]] += 1
    finally:
        transport.close()
    return dict(counts)


def test_a_backup_knowing_round_zero_as_in_flight_joins_it_and_pays_nothing_twice(tmp_path):
    spec = write_local_project(tmp_path, rows=12, delay_ms=500, window="1s")  # 1.5 s a shard: expires
    spec.write_text(spec.read_text().replace("    rows:\n", "    limits: {max_requests: 3}\n    rows:\n"))
    assert run_cli("apply", "--auto-approve", "--no-wait", cwd=spec.parent).code == 0
    state_path = spec.parent / ".specrun" / "state.json"
    backup = state_path.read_bytes()  # round 0 only, recorded as in flight
    spec.write_text(spec.read_text().replace("completion_window: 1s", "completion_window: 24h"))
    crashed = run_cli("apply", "--auto-approve", "--poll-interval", "0.2", cwd=spec.parent,
                      env={"SPECRUN_CRASH_AT": "after-create"})  # killed right after the first retry batch
    assert crashed.code == -9, crashed.stderr

    state_path.write_bytes(backup)
    applied = run_cli("apply", "--auto-approve", "--poll-interval", "0.2", cwd=spec.parent)
    assert applied.code == 0, applied.stderr
    rows = read_results(spec.parent / "results" / "count.jsonl")
    assert [r["status"] for r in rows] == ["ok"] * 12
    answers = ok_answers_per_custom_id(spec.parent)
    assert sorted(answers) == sorted(request_keys(spec, "count"))  # requests are sent under their ledger keys
    assert set(answers.values()) == {1}  # nothing paid for twice


def test_a_retry_round_killed_mid_submission_with_its_files_gone_still_completes(tmp_path):
    spec = write_local_project(tmp_path, rows=12, delay_ms=500, window="1s")  # 1.5 s a shard: expires
    spec.write_text(spec.read_text().replace("    rows:\n", "    limits: {max_requests: 3}\n    rows:\n"))
    assert run_cli("apply", "--auto-approve", "--no-wait", cwd=spec.parent).code == 0
    spec.write_text(spec.read_text().replace("completion_window: 1s", "completion_window: 24h"))
    crashed = run_cli("apply", "--auto-approve", "--poll-interval", "0.2", cwd=spec.parent,
                      env={"SPECRUN_CRASH_AT": "after-create"})
    assert crashed.code == -9, crashed.stderr
    shutil.rmtree(spec.parent / ".specrun" / "build")

    applied = run_cli("apply", "--auto-approve", "--poll-interval", "0.2", cwd=spec.parent)
    assert applied.code == 0, applied.stderr
    rows = read_results(spec.parent / "results" / "count.jsonl")
    assert [r["status"] for r in rows] == ["ok"] * 12
    assert set(ok_answers_per_custom_id(spec.parent).values()) == {1}


def test_destroy_also_cancels_a_batch_the_state_never_recorded(tmp_path):
    spec = write_local_project(tmp_path, rows=3, delay_ms=1000)
    crashed = run_cli("apply", "--auto-approve", cwd=spec.parent, env={"SPECRUN_CRASH_AT": "after-create"})
    assert crashed.code == -9  # the batch exists, the state only knows its file
    destroyed = run_cli("destroy", "--auto-approve", cwd=spec.parent)
    assert destroyed.code == 0, destroyed.stderr
    batches = json.loads(run_cli("batches", "ls", "--json", cwd=spec.parent).stdout)
    assert len(batches) == 1 and batches[0]["status"] in ("cancelling", "cancelled")
