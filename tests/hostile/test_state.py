"""Hostile state: two specs in one folder, corrupt or hand-edited state files, file modes."""

from __future__ import annotations

import json
import os
import stat
import time
from pathlib import Path

import pytest

from specrun.state import load_state, spec_home
from tests.hostile.conftest import assert_one_clean_error, cli, local_spec


# --------------------------------------------------------------------------- one state per spec


def test_two_specs_in_one_folder_never_touch_each_others_batches(tmp_path: Path):
    (tmp_path / "specrun.yaml").write_text(local_spec("a", delay_ms=400))
    (tmp_path / "other.yaml").write_text(local_spec("b"))

    first = cli("apply", "-f", "specrun.yaml", "--no-wait", "--auto-approve", cwd=tmp_path)
    assert first.exit_code == 0, first.output
    [a_batch] = load_state(tmp_path / ".specrun" / "state.json").jobs["a"].batch_ids()

    second = cli("apply", "-f", "other.yaml", "--auto-approve", "--poll-interval", "0.05", cwd=tmp_path)
    assert second.exit_code == 0, second.output
    assert "0 to remove" in second.output and "- a" not in second.output
    assert (tmp_path / "results" / "b.jsonl").exists()

    # The first spec's state still holds its running batch, untouched, and its own plan agrees.
    a_state = load_state(tmp_path / ".specrun" / "state.json")
    assert set(a_state.jobs) == {"a"} and a_state.jobs["a"].batch_ids() == [a_batch]
    b_state = load_state(tmp_path / ".specrun" / "specs" / "other.yaml" / "state.json")
    assert set(b_state.jobs) == {"b"}
    plan = cli("plan", "-f", "specrun.yaml", "--json", cwd=tmp_path)
    [job] = json.loads(plan.stdout)["jobs"]
    assert job["job"] == "a" and job["action"] in ("wait", "download") and job["batch_ids"] == [a_batch]

    # Finishing the first spec sends nothing new: one batch per job on the provider in all.
    done = cli("apply", "-f", "specrun.yaml", "--auto-approve", "--poll-interval", "0.05", cwd=tmp_path)
    assert done.exit_code == 0, done.output
    assert load_state(tmp_path / ".specrun" / "state.json").jobs["a"].batch_ids() == [a_batch]
    again = cli("apply", "-f", "other.yaml", "--auto-approve", "--poll-interval", "0.05", cwd=tmp_path)
    assert "No changes." in again.output


def test_each_spec_has_its_own_lock(tmp_path: Path):
    (tmp_path / "specrun.yaml").write_text(local_spec("a"))
    (tmp_path / "other.yaml").write_text(local_spec("b"))
    a_home = spec_home(tmp_path / "specrun.yaml", ["a"], claim=True)
    b_home = spec_home(tmp_path / "other.yaml", ["b"], claim=True)
    assert a_home == tmp_path / ".specrun"
    assert b_home == tmp_path / ".specrun" / "specs" / "other.yaml"
    from specrun.state import state_lock

    with state_lock(a_home, "apply"):  # a holds its lock; b plans freely
        result = cli("plan", "-f", "other.yaml", "--no-refresh", cwd=tmp_path)
    assert result.exit_code == 0, result.output


def _legacy_state(path: Path, jobs: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"version": 1, "lineage": "L", "serial": 3, "provider": "local", "jobs": jobs}))


def test_an_unowned_state_of_another_spec_is_never_taken_over(tmp_path: Path):
    legacy = tmp_path / ".specrun" / "state.json"
    _legacy_state(legacy, {"a": {"input_sha256": "x", "fingerprint": "f", "requests": 3, "model": "m"}})
    before = legacy.read_bytes()
    (tmp_path / "other.yaml").write_text(local_spec("b"))

    result = cli("plan", "-f", "other.yaml", "--no-refresh", cwd=tmp_path)

    assert result.exit_code == 0, result.output
    assert "0 to remove" in result.output  # job 'a' belongs to another spec: not this plan's to remove
    assert legacy.read_bytes() == before
    assert not (tmp_path / ".specrun" / "owner").exists()


def test_an_unowned_state_with_this_specs_jobs_is_claimed_once(tmp_path: Path):
    legacy = tmp_path / ".specrun" / "state.json"
    _legacy_state(legacy, {"a": {"input_sha256": "x", "fingerprint": "f", "requests": 3, "model": "m"}})
    (tmp_path / "mine.yaml").write_text(local_spec("a"))
    (tmp_path / "other.yaml").write_text(local_spec("b"))

    assert cli("plan", "-f", "mine.yaml", "--no-refresh", cwd=tmp_path).exit_code == 0
    assert (tmp_path / ".specrun" / "owner").read_text().strip() == "mine.yaml"
    assert spec_home(tmp_path / "mine.yaml", ["a"]) == tmp_path / ".specrun"
    assert spec_home(tmp_path / "other.yaml", ["b"]) == tmp_path / ".specrun" / "specs" / "other.yaml"


# --------------------------------------------------------------------------- corrupt state


@pytest.mark.parametrize("content, pieces", [
    (b"\xff\xfe\x00binary\x00", ["is corrupt", "not UTF-8"]),
    (b"[" * 100_000, ["is corrupt"]),
    (b'{"version": 1, "lineage": "L", "serial": 0, "jobs": []}', ["jobs must be a mapping"]),
    (b'{"version": 1, "lineage": "L", "serial": "x", "jobs": {}}', ["serial must be a whole number"]),
    (b'{"version": 1, "lineage": 7, "serial": 0, "jobs": {}}', ["lineage must be a non-empty string"]),
    (b'{"version": 1, "lineage": "L", "serial": 0, "jobs": {"a": 5}}', ["jobs.a must be a mapping"]),
    (b'{"version": 1, "lineage": "L", "serial": 0, "jobs": {"a": {"input_sha256": "x", "fingerprint": "f",'
     b' "requests": 3, "model": "m", "shards": [{"index": 0, "filename": "f", "sha256": "s", "bytes": 1,'
     b' "requests": 3, "batch_id": 5}]}}}', ["jobs.a.shards[0].batch_id must be a string or null"]),
    (b'{"version": 1, "lineage": "L", "serial": 0, "jobs": {"a": {"input_sha256": "x", "fingerprint": "f",'
     b' "requests": -3, "model": "m"}}}', ["jobs.a.requests must be a whole number >= 0"]),
    (b'{"version": 1, "lineage": "L", "serial": 0, "jobs": {"a": {"input_sha256": "x", "fingerprint": "f",'
     b' "requests": 3, "model": "m", "shards": "nope"}}}', ["jobs.a.shards must be a list"]),
    (b'{"version": 1, "lineage": "L", "serial": 0, "jobs": {"a": {"input_sha256": "x", "fingerprint": "f",'
     b' "requests": 3, "model": "m", "output": {"path": 1, "sha256": "s"}}}}', ["jobs.a.output.path must be a string"]),
    (b'{"version": 1, "lineage": "L", "serial": 0, "jobs": {"a": {"fingerprint": "f", "requests": 3,'
     b' "model": "m"}}}', ["jobs.a.input_sha256 must be present"]),
])
@pytest.mark.parametrize("command", ["plan", "status", "destroy"])
def test_a_corrupt_or_hand_edited_state_file_is_one_clear_error(project: Path, content: bytes, pieces: list,
                                                                  command: str):
    (project / ".specrun").mkdir()
    (project / ".specrun" / "state.json").write_bytes(content)
    (project / ".specrun" / "owner").write_text("specrun.yaml\n")
    args = {"plan": ["plan", "--no-refresh"], "status": ["status", "--no-refresh"],
            "destroy": ["destroy", "--auto-approve"]}[command]

    result = cli(*args, cwd=project)

    assert_one_clean_error(result, "state file", *pieces)
    assert (project / ".specrun" / "state.json").read_bytes() == content  # never rewritten


def test_a_state_file_that_is_a_directory_is_one_clear_error(project: Path):
    (project / ".specrun" / "state.json").mkdir(parents=True)
    assert_one_clean_error(cli("plan", "--no-refresh", cwd=project), "is a directory")


# --------------------------------------------------------------------------- file modes


def test_results_and_state_follow_the_umask(project: Path):
    old = os.umask(0o022)
    try:
        result = cli("apply", "--auto-approve", "--poll-interval", "0.05", cwd=project)
    finally:
        os.umask(old)
    assert result.exit_code == 0, result.output
    for path in (project / "results" / "a.jsonl", project / ".specrun" / "state.json"):
        assert stat.S_IMODE(path.stat().st_mode) == 0o644, path


def test_the_build_folder_keeps_no_stale_shards(project: Path):
    assert cli("apply", "--auto-approve", "--poll-interval", "0.05", cwd=project).exit_code == 0
    spec = project / "specrun.yaml"
    spec.write_text(spec.read_text().replace("{{ row.q }}", "Q: {{ row.q }}"))
    assert cli("apply", "--auto-approve", "--poll-interval", "0.05", cwd=project).exit_code == 0
    build = project / ".specrun" / "build"
    assert [p.name for p in build.iterdir()] == []  # every shard was uploaded: none is kept


# --------------------------------------------------------------------------- results file checks


def test_an_untouched_results_file_is_not_re_read_by_a_no_op_plan(project: Path, monkeypatch):
    assert cli("apply", "--auto-approve", "--poll-interval", "0.05", cwd=project).exit_code == 0

    def refuse(path):
        raise AssertionError(f"re-hashed {path}")

    monkeypatch.setattr("specrun.results.file_sha256", refuse)
    result = cli("plan", "--detailed-exitcode", cwd=project)
    assert result.exit_code == 0, result.output
    assert "No changes." in result.output


def test_a_results_file_edited_in_place_at_the_same_size_is_noticed(project: Path):
    assert cli("apply", "--auto-approve", "--poll-interval", "0.05", cwd=project).exit_code == 0
    results = project / "results" / "a.jsonl"
    original = results.read_bytes()
    time.sleep(0.05)  # past the filesystem's timestamp tick, as any later edit is
    results.write_bytes(original.replace(b'"ok"', b'"OK"', 1))
    assert results.stat().st_size == len(original)

    result = cli("plan", cwd=project)
    assert "changed on disk" in result.output
    assert cli("apply", "--auto-approve", "--poll-interval", "0.05", cwd=project).exit_code == 0
    assert results.read_bytes() == original


# --------------------------------------------------------------------------- saved plans


@pytest.mark.parametrize("content, piece", [
    (b"[" * 100_000, "nested too deeply"),
    (b'{"kind": "specrun-plan", "format_version": 1, "jobs": [{"job": "a"}]}', "is damaged"),
    (b'{"kind": "specrun-plan", "format_version": 1, "jobs": 5}', "is damaged"),
    (b'{"kind": "specrun-plan", "format_version": 1, "jobs": [{"job": "a", "action": "mine-bitcoin", "reason": "",'
     b' "requests": 1, "shards": 1, "model": "m", "input_sha256": "x"}]}', "unknown action"),
    (b"\xff\xfe", "not a readable specrun plan"),
])
def test_a_damaged_saved_plan_is_one_clear_error(project: Path, content: bytes, piece: str):
    (project / "plan.json").write_bytes(content)
    assert_one_clean_error(cli("apply", "plan.json", cwd=project), "plan file", piece)
    assert not (project / ".specrun" / "state.json").exists()


def test_terminal_escapes_in_an_error_are_shown_not_run(project: Path):
    (project / "plan.json").write_bytes(b'{"kind": "specrun-plan", "format_version": 1, "jobs": [{"job": "a",'
                                        b' "action": "\\u001b]0;pwned\\u0007", "reason": ""}]}')
    result = cli("apply", "plan.json", cwd=project)
    assert_one_clean_error(result, "unknown action", "\\x1b]0;pwned\\x07")
    assert "\x1b" not in result.output and "\x07" not in result.output
