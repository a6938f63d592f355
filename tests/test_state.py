"""The state file: JSON round trip, atomic save, loading errors, and the lock."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from specrun.errors import StateError, StateLocked
from specrun.state import (
    STATE_VERSION,
    JobState,
    OutputState,
    ShardState,
    State,
    load_state,
    save_state,
    state_dir,
    state_lock,
)


def sample_state() -> State:
    shard = ShardState(index=0, filename="specrun-greet-0123456789abcdef.jsonl", sha256="a" * 64, bytes=321,
                       requests=2, file_id="file-1", batch_id="batch_1", status="completed",
                       output_file_id="file-out", error_file_id=None, completed=2, failed=0, total=2)
    retry = ShardState(index=0, filename="specrun-greet-fedcba9876543210.jsonl", sha256="b" * 64, bytes=99,
                       requests=1, generation=1, file_id="file-2", batch_id="batch_2", status="in_progress")
    job = JobState(input_sha256="c" * 64, fingerprint="d" * 64, requests=2, model="test-model",
                   fingerprint_parts={"model": "e" * 64, "messages[0]": "f" * 64}, shards=[shard, retry],
                   output=OutputState(path="results/greet.jsonl", sha256="9" * 64, ok=1, error=1,
                                      prompt_tokens=10, completion_tokens=5),
                   estimated_input_tokens=12, max_output_tokens=64, context_length=8192, skipped=0)
    bare = JobState(input_sha256="1" * 64, fingerprint="2" * 64, requests=0, model="other-model")
    return State(lineage="4b1f0c1e-0000-4000-8000-000000000000", serial=7, provider="http://provider.test/v1",
                 jobs={"greet": job, "bare": bare})


# --------------------------------------------------------------------------- round trip


def test_to_json_from_json_round_trip():
    state = sample_state()
    document = json.loads(json.dumps(state.to_json()))
    assert document["version"] == STATE_VERSION
    assert set(document) == {"version", "lineage", "serial", "provider", "jobs"}
    assert State.from_json(document) == state


def test_save_then_load_round_trip(tmp_path):
    path = tmp_path / ".specrun" / "state.json"
    state = sample_state()
    save_state(path, state)
    loaded = load_state(path)
    assert loaded == state
    assert loaded.jobs["greet"].current_shards() == [state.jobs["greet"].shards[1]]
    assert loaded.jobs["greet"].batch_ids() == ["batch_1", "batch_2"]


def test_state_dir_is_beside_the_spec(tmp_path):
    assert state_dir(tmp_path / "sub" / "specrun.yaml") == (tmp_path / "sub" / ".specrun").resolve()


# --------------------------------------------------------------------------- save


def test_save_bumps_serial_by_one_per_write(tmp_path):
    path = tmp_path / "state.json"
    state = State(provider="http://provider.test/v1")
    assert state.serial == 0
    serials = []
    for _ in range(3):
        save_state(path, state)
        serials.append(json.loads(path.read_text())["serial"])
    assert serials == [1, 2, 3]
    assert state.serial == 3
    assert load_state(path).lineage == state.lineage  # lineage is set once, never changes


def test_save_leaves_no_temp_files(tmp_path):
    path = tmp_path / "state.json"
    state = sample_state()
    for _ in range(3):
        save_state(path, state)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["state.json"]


def test_a_failure_mid_write_leaves_the_old_file_intact(tmp_path, monkeypatch):
    path = tmp_path / "state.json"
    state = sample_state()
    save_state(path, state)
    before = path.read_bytes()

    def broken_replace(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", broken_replace)
    state.jobs["greet"].shards[0].batch_id = "batch_changed"
    with pytest.raises(OSError, match="No space left"):
        save_state(path, state)
    monkeypatch.undo()

    assert path.read_bytes() == before
    assert load_state(path).jobs["greet"].shards[0].batch_id == "batch_1"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["state.json"]


# --------------------------------------------------------------------------- load


def test_missing_file_is_none(tmp_path):
    assert load_state(tmp_path / "state.json") is None


def test_corrupt_json_names_the_file_and_line(tmp_path):
    path = tmp_path / "state.json"
    path.write_text('{\n  "version": 1,\n  "lineage": "x",,\n}\n')
    with pytest.raises(StateError) as info:
        load_state(path)
    message = info.value.message
    assert str(path) in message
    assert "corrupt" in message
    assert "line 3" in message


def test_newer_version_says_to_upgrade(tmp_path):
    path = tmp_path / "state.json"
    document = sample_state().to_json()
    document["version"] = STATE_VERSION + 1
    path.write_text(json.dumps(document))
    with pytest.raises(StateError) as info:
        load_state(path)
    assert str(path) in info.value.message
    assert f"version {STATE_VERSION + 1}" in info.value.message
    assert "upgrade specrun" in info.value.message


def test_older_version_is_refused_clearly(tmp_path):
    path = tmp_path / "state.json"
    document = sample_state().to_json()
    document["version"] = 0
    path.write_text(json.dumps(document))
    with pytest.raises(StateError, match="too old"):
        load_state(path)


@pytest.mark.parametrize("text", ["[1, 2]", '{"lineage": "x", "serial": 1}'])
def test_json_that_is_not_a_state_is_refused(tmp_path, text):
    path = tmp_path / "state.json"
    path.write_text(text)
    with pytest.raises(StateError, match="not a specrun state file"):
        load_state(path)


def test_missing_required_field_names_the_file(tmp_path):
    path = tmp_path / "state.json"
    path.write_text(json.dumps({"version": 1, "serial": 1, "jobs": {}}))
    with pytest.raises(StateError) as info:
        load_state(path)
    assert str(path) in info.value.message
    assert "lineage" in info.value.message


def test_unknown_extra_keys_are_tolerated(tmp_path):
    path = tmp_path / "state.json"
    document = sample_state().to_json()
    document["written_by"] = "specrun 9.9"
    document["jobs"]["greet"]["labels"] = {"team": "x"}
    document["jobs"]["greet"]["shards"][0]["region"] = "eu"
    document["jobs"]["greet"]["output"]["format"] = "jsonl"
    path.write_text(json.dumps(document))
    assert load_state(path) == sample_state()


# --------------------------------------------------------------------------- lock

HOLDER = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from specrun.state import state_lock

    directory, hold = Path(sys.argv[1]), float(sys.argv[2])
    with state_lock(directory, "apply"):
        print("locked", flush=True)
        time.sleep(hold)
    print("released", flush=True)
""")


def hold_lock(directory: Path, seconds: float) -> subprocess.Popen:
    """A separate process that takes the lock and holds it for ``seconds``."""
    proc = subprocess.Popen([sys.executable, "-c", HOLDER, str(directory), str(seconds)],
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "locked"
    return proc


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.kill()
    proc.wait(timeout=10)
    proc.stdout.close()


def test_second_run_fails_at_once_naming_the_holder(tmp_path):
    proc = hold_lock(tmp_path, 30)
    try:
        started = time.monotonic()
        with pytest.raises(StateLocked) as info:
            with state_lock(tmp_path, "plan"):
                pytest.fail("acquired a lock another process holds")
        assert time.monotonic() - started < 2
    finally:
        stop(proc)
    message = info.value.message
    assert message.startswith("state is locked: ")
    assert f"pid {proc.pid}" in message
    assert f"on {socket.gethostname()}" in message
    assert "running 'apply'" in message
    assert " since 20" in message and "Z" in message
    assert "--lock-timeout" in message


def test_with_a_timeout_it_waits_for_the_holder(tmp_path):
    proc = hold_lock(tmp_path, 0.5)
    try:
        started = time.monotonic()
        with state_lock(tmp_path, "apply", timeout=10):
            waited = time.monotonic() - started
            info = json.loads((tmp_path / "state.lock.json").read_text())
        assert 0.2 < waited < 5
        assert info["pid"] == os.getpid() and info["command"] == "apply"
    finally:
        stop(proc)


def test_a_timeout_that_runs_out_says_how_long_it_waited(tmp_path):
    proc = hold_lock(tmp_path, 30)
    try:
        started = time.monotonic()
        with pytest.raises(StateLocked, match=r"state is locked after waiting 0\.3s: held by pid"):
            with state_lock(tmp_path, "apply", timeout=0.3):
                pass
        assert 0.25 < time.monotonic() - started < 3
    finally:
        stop(proc)


def test_a_lock_held_by_a_killed_process_does_not_block(tmp_path):
    proc = hold_lock(tmp_path, 60)
    os.kill(proc.pid, signal.SIGKILL)
    stop(proc)
    assert proc.returncode == -signal.SIGKILL
    started = time.monotonic()
    with state_lock(tmp_path, "apply"):  # timeout 0: must not need to wait
        info = json.loads((tmp_path / "state.lock.json").read_text())
    assert time.monotonic() - started < 2
    assert info["pid"] == os.getpid()  # the dead holder's info file was replaced


def test_lock_is_released_and_its_info_removed_on_exit(tmp_path):
    with state_lock(tmp_path, "plan"):
        info = json.loads((tmp_path / "state.lock.json").read_text())
        assert info["pid"] == os.getpid()
        assert info["host"] == socket.gethostname()
        assert info["command"] == "plan"
    assert not (tmp_path / "state.lock.json").exists()
    with pytest.raises(RuntimeError, match="boom"):
        with state_lock(tmp_path, "apply"):
            raise RuntimeError("boom")
    with state_lock(tmp_path, "destroy"):  # released even after an error
        pass
