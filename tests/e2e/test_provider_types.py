"""The hidden-fault guarantees, once per API shape the local provider serves (DESIGN §10).

Each test starts a real ``specrun serve`` and runs the real CLI in a subprocess against it
as ``type: openai-compatible`` (the seed API), ``type: openai`` (OpenAI's Batch API: batch
metadata, models from /models) and ``type: anthropic`` (Message Batches, requests inline,
no files): lost answers, 30% faults, kill -9 at the two crash points, lost state and two
applies at once never make a second batch for a shard, and every row is answered.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import httpx
import pytest

from tests.e2e.conftest import Server, read_results, run_cli, start_server, write_project

TYPES = ("openai-compatible", "openai", "anthropic")
KEY = "sk-types-test"
KEY_ENV = "SPECRUN_TYPES_KEY"


def batches(server: Server, kind: str) -> list[dict]:
    """Every batch the provider holds, in the type's own listing (asked again past injected faults)."""
    root = server.url.removesuffix("/v1")
    if kind == "anthropic":
        url, headers = f"{root}/v1/messages/batches", {"x-api-key": KEY, "anthropic-version": "2023-06-01"}
    else:
        url, headers = f"{root}/v1/batches", {"Authorization": f"Bearer {KEY}"}
    for _ in range(50):
        response = httpx.get(url, params={"limit": 100}, headers=headers, timeout=10)
        if response.status_code not in (429, 500, 502, 503, 529):
            break
    response.raise_for_status()
    return response.json()["data"]


def project(tmp_path, server: Server, kind: str, *, rows: int = 5, max_requests: int | None = None):
    spec = write_project(tmp_path / "proj", server.url, rows=rows, max_requests=max_requests)
    url = server.url.removesuffix("/v1") if kind == "anthropic" else server.url
    text = spec.read_text().replace(f"provider:\n  base_url: {server.url}\n",
                                    f"provider:\n  type: {kind}\n  base_url: {url}\n  api_key_env: {KEY_ENV}\n")
    spec.write_text(text)
    return spec


def apply(spec, *extra: str, env: dict | None = None):
    return run_cli("apply", "--auto-approve", "--poll-interval", "0.2", "-v", *extra, cwd=spec.parent,
                   env={KEY_ENV: KEY, **(env or {})})


def creates(result) -> list[str]:
    """The batch-creating POSTs a run logged."""
    return [p for p in result.posts() if p.split()[1].rstrip("/").endswith("batches")]


def all_ok(spec, rows: int) -> bool:
    results = read_results(spec.parent / "results" / "greet.jsonl")
    return len(results) == rows and all(r["status"] == "ok" for r in results)


@pytest.fixture(params=TYPES)
def kind(request) -> str:
    return request.param


def test_one_batch_per_shard_and_a_second_apply_sends_nothing(tmp_path, server_factory, kind):
    server = server_factory()
    spec = project(tmp_path, server, kind, rows=7, max_requests=3)
    first = apply(spec)
    assert first.code == 0, first.stderr
    assert len(creates(first)) == 3 and len(batches(server, kind)) == 3
    assert all_ok(spec, 7)
    second = apply(spec)
    assert second.code == 0, second.stderr
    assert "No changes." in second.stdout and second.posts() == []


def test_lost_answers_to_every_post_never_duplicate(tmp_path, server_factory, kind):
    server = server_factory("--late-fault-rate", "1.0")
    spec = project(tmp_path, server, kind, rows=7, max_requests=3)
    for _ in range(4):  # a lost create answer that cannot be matched yet stops the run: run again
        result = apply(spec)
        if result.code == 0:
            break
    assert result.code == 0, result.stderr
    assert len(batches(server, kind)) == 3
    assert all_ok(spec, 7)


def test_thirty_percent_faults(tmp_path, server_factory, kind):
    server = server_factory("--fault-rate", "0.3", "--late-fault-rate", "0.1")
    spec = project(tmp_path, server, kind, rows=9, max_requests=3)
    for _ in range(6):
        result = apply(spec)
        if result.code == 0:
            break
        assert result.code == 1, result.stderr   # a clear stop ("run apply again"), never a crash
    assert result.code == 0, result.stderr
    assert len(batches(server, kind)) == 3
    assert all_ok(spec, 9)


@pytest.mark.parametrize("point", ["after-upload", "after-create", "after-post"])
def test_kill_9_at_each_crash_point_then_resume(tmp_path, server_factory, kind, point):
    if kind == "anthropic" and point == "after-upload":
        pytest.skip("anthropic uploads are local copies made at plan time: apply uploads nothing")
    if kind != "anthropic" and point == "after-post":
        pytest.skip("after-post is the Anthropic client's point: the batch exists, its journal does not know it")
    server = server_factory()
    spec = project(tmp_path, server, kind)
    crashed = apply(spec, env={"SPECRUN_CRASH_AT": point})
    assert crashed.code == -9, crashed.stderr
    resumed = apply(spec)
    assert resumed.code == 0, resumed.stderr
    assert len(batches(server, kind)) == 1
    if point != "after-upload":
        assert creates(resumed) == []
    assert all_ok(spec, 5)


def test_lost_state_adopts_instead_of_paying_twice(tmp_path, server_factory, kind):
    server = server_factory()
    spec = project(tmp_path, server, kind, rows=7, max_requests=3)
    assert apply(spec).code == 0
    shutil.rmtree(spec.parent / ".specrun")          # state, ledger, build folder (and any journal)
    (spec.parent / "results" / "greet.jsonl").unlink()
    plan = run_cli("plan", "--json", cwd=spec.parent, env={KEY_ENV: KEY})
    assert plan.code == 0, plan.stderr
    [job] = json.loads(plan.stdout)["jobs"]
    # plan says what apply does: nothing is sent (the rebuilt ledger answers it all, or the batches are adopted)
    assert job["action"] == "download" or (job["action"], job["to_send"]) == ("create", 0), job
    again = apply(spec)
    assert again.code == 0, again.stderr
    assert creates(again) == []
    assert len(batches(server, kind)) == 3
    assert all_ok(spec, 7)


def test_two_applies_at_once_make_one_batch_per_shard(tmp_path, server_factory, kind):
    server = server_factory()
    spec = project(tmp_path, server, kind, rows=7, max_requests=3)
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("SPECRUN_")}, KEY_ENV: KEY, "NO_COLOR": "1"}
    procs = [subprocess.Popen([sys.executable, "-m", "specrun", "apply", "--auto-approve", "--poll-interval", "0.2",
                               "--lock-timeout", "60"], cwd=spec.parent, stdout=subprocess.PIPE, env=env,
                              stderr=subprocess.PIPE, text=True, stdin=subprocess.DEVNULL) for _ in range(2)]
    outputs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outputs
    assert len(batches(server, kind)) == 3
    assert all_ok(spec, 7)


def test_a_server_with_api_keys_serves_every_type(tmp_path, kind):
    server = start_server(tmp_path, api_keys=(KEY,))   # models, files and batches all need the key
    try:
        spec = project(tmp_path, server, kind)
        result = apply(spec)
        assert result.code == 0, result.stderr
        assert len(batches(server, kind)) == 1 and all_ok(spec, 5)
        wrong = run_cli("plan", cwd=spec.parent, env={KEY_ENV: "sk-wrong"})
        assert wrong.code == 1 and "Traceback" not in wrong.stderr
    finally:
        server.stop()
