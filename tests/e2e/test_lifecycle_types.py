"""Slow and broken batches once per API shape, on the embedded provider spoken to as that type.

``provider: {type: T, local: {...}}`` runs the same local store and engines behind the
OpenAI-style surface (openai-compatible, openai) or the Anthropic Message Batches one:
a batch cancelled outside specrun, one that expires, a wait that times out and a
``--no-wait`` apply each end the same way whatever the type (see test_lifecycle_local.py
for the openai-compatible originals and their fuller checks).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.e2e.conftest import plan_jobs, read_results, write_local_project

TYPES = ("openai-compatible", "openai", "anthropic")


@pytest.fixture(params=TYPES)
def kind(request) -> str:
    return request.param


def project(root: Path, kind: str, *, rows: int, delay_ms: int, window: str = "24h") -> Path:
    spec = write_local_project(root, rows=rows, delay_ms=delay_ms, window=window)
    text = spec.read_text().replace("provider:\n", f"provider:\n  type: {kind}\n", 1)
    text = text.replace("    messages:\n", "    params: {max_tokens: 16}\n    messages:\n", 1)  # anthropic needs it
    spec.write_text(text)
    return spec


def batch_of(spec: Path, shard: int = 0) -> str:
    state = json.loads((spec.parent / ".specrun" / "state.json").read_text())
    return state["jobs"]["count"]["shards"][shard]["batch_id"]


def test_no_wait_then_a_later_apply_collects(tmp_path, cli, kind):
    spec = project(tmp_path, kind, rows=3, delay_ms=300)
    submitted = cli("apply", "--auto-approve", "--no-wait", cwd=spec.parent)
    assert submitted.code == 0, submitted.stderr
    assert plan_jobs(cli, spec.parent)["count"]["action"] in ("wait", "download")
    collected = cli("apply", "--auto-approve", "--poll-interval", "0.2", cwd=spec.parent)
    assert collected.code == 0, collected.stderr
    assert [r["status"] for r in read_results(spec.parent / "results" / "count.jsonl")] == ["ok"] * 3


def test_a_batch_cancelled_outside_specrun_is_retried(tmp_path, cli, kind):
    spec = project(tmp_path, kind, rows=4, delay_ms=1000)
    assert cli("apply", "--auto-approve", "--no-wait", cwd=spec.parent).code == 0
    batch_id = batch_of(spec)
    assert cli("batches", "cancel", batch_id, cwd=spec.parent).code == 0
    waited = cli("batches", "wait", batch_id, "--poll-interval", "0.2", cwd=spec.parent)
    assert waited.code == 1 and "cancelled" in (waited.stdout + waited.stderr)
    job = plan_jobs(cli, spec.parent)["count"]
    assert job["action"] == "retry" and job["reason"].startswith(f"batch {batch_id} cancel")
    spec.write_text(spec.read_text().replace("delay_ms: 1000", "delay_ms: 0"))
    applied = cli("apply", "--auto-approve", "--poll-interval", "0.2", cwd=spec.parent)
    assert applied.code == 0, applied.stderr
    assert [r["status"] for r in read_results(spec.parent / "results" / "count.jsonl")] == ["ok"] * 4
    state = json.loads((spec.parent / ".specrun" / "state.json").read_text())
    assert [s["generation"] for s in state["jobs"]["count"]["shards"]] == [0, 1]


def test_an_expired_batch_is_retried_once_and_partial_results_are_kept(tmp_path, cli, kind):
    spec = project(tmp_path, kind, rows=6, delay_ms=700, window="1s")
    result = cli("apply", "--auto-approve", "--poll-interval", "0.2", cwd=spec.parent)
    assert result.code == 1
    assert "expired; retrying the requests without a result" in result.stderr
    rows = read_results(spec.parent / "results" / "count.jsonl")
    assert len(rows) == 6 and any(r["status"] == "ok" for r in rows)
    missing = [r for r in rows if r["status"] == "error"]
    assert missing and all("expired" in r["error"]["message"] for r in missing)
    # a longer window: the next apply sends only what is still unanswered, and completes
    spec.write_text(spec.read_text().replace("completion_window: 1s", "completion_window: 24h")
                    .replace("delay_ms: 700", "delay_ms: 0"))
    again = cli("apply", "--auto-approve", "--poll-interval", "0.2", cwd=spec.parent)
    assert again.code == 0, again.stderr
    assert [r["status"] for r in read_results(spec.parent / "results" / "count.jsonl")] == ["ok"] * 6


def test_a_timeout_gives_up_cleanly_and_a_rerun_resumes(tmp_path, cli, kind):
    spec = project(tmp_path, kind, rows=3, delay_ms=1000)
    timed_out = cli("apply", "--auto-approve", "--poll-interval", "0.2", "--timeout", "1", cwd=spec.parent)
    assert timed_out.code == 1 and "Run `specrun apply` again to resume" in timed_out.stderr
    assert batch_of(spec)
    spec.write_text(spec.read_text().replace("delay_ms: 1000", "delay_ms: 0"))
    resumed = cli("apply", "--auto-approve", "--poll-interval", "0.2", cwd=spec.parent)
    assert resumed.code == 0, resumed.stderr
    assert "3 ok" in resumed.stdout
