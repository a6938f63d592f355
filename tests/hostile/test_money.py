"""Hostile money: fields that multiply the bill, unbounded replies, provider ids that pick paths."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from specrun.apply import download_name, output_problem
from tests.hostile.conftest import MODEL, assert_one_clean_error, cli


def _spec(params: str) -> str:
    return f"""version: 1
provider: local
defaults: {{model: {MODEL}}}
jobs:
  a:
    rows: [{{q: one}}, {{q: two}}]
    messages: [{{role: user, content: "{{{{ row.q }}}}"}}]
    params: {params}
"""


def _plan_job(root: Path, params: str, *extra: str) -> dict:
    (root / "specrun.yaml").write_text(_spec(params))
    result = cli("plan", "--json", *extra, cwd=root)
    assert result.exit_code == 0, result.output
    [job] = json.loads(result.stdout)["jobs"]
    return job


@pytest.mark.parametrize("params, answers", [
    ("{max_tokens: 1000}", 1),
    ("{max_tokens: 1000, n: 8}", 8),
    ("{max_completion_tokens: 1000, n: 3}", 3),
    ("{max_tokens: 1000, best_of: 5}", 5),
    ("{max_tokens: 1000, n: 2, best_of: 4}", 4),
])
def test_every_answer_a_request_asks_for_is_counted(tmp_path: Path, params: str, answers: int):
    job = _plan_job(tmp_path, params)
    assert job["max_output_tokens"] == 2 * 1000 * answers


def test_the_budget_sees_n(tmp_path: Path):
    one = _plan_job(tmp_path, "{max_tokens: 1000}")["estimated_cost_usd"]["max"]
    (tmp_path / "specrun.yaml").write_text(_spec("{max_tokens: 1000, n: 8}"))
    # A budget that one answer per request fits, eight do not.
    result = cli("plan", "--max-cost", str(one * 2), cwd=tmp_path)
    assert_one_clean_error(result, "over budget", "--max-cost")


def test_a_job_without_max_tokens_is_told_why_its_range_is_wide(tmp_path: Path):
    (tmp_path / "specrun.yaml").write_text(_spec("{temperature: 0}"))
    result = cli("plan", cwd=tmp_path)
    assert result.exit_code == 0, result.output
    assert "job 'a' sets no max_tokens" in result.output
    assert "131,072-token context" in result.output and "Set params.max_tokens" in result.output


@pytest.mark.parametrize("file_id", [
    "../../../home/user/.bashrc", "/etc/passwd", "..", "a/b", "file-1\x00.jsonl", "C:\\evil", "file-ok",
])
def test_a_provider_file_id_never_chooses_a_local_path(file_id: str):
    name = download_name("http://provider/v1", file_id)
    assert name.endswith(".jsonl") and "/" not in name and "\\" not in name and not name.startswith(".")
    assert len(name) == 32 + len(".jsonl")
    assert download_name("http://other/v1", file_id) != name  # two providers never share a cache entry


def test_output_problems(tmp_path: Path):
    (tmp_path / "file").write_text("x")
    assert output_problem(tmp_path) == "it is a directory"
    assert "not a directory" in output_problem(tmp_path / "file" / "out.jsonl")
    assert output_problem(tmp_path / "new" / "deeper" / "out.jsonl") is None
