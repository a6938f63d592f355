"""plan/apply/destroy through click's CliRunner on the embedded local provider: CLI contract details."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from specrun.cli import main

SPEC = """\
version: 1
provider: local
jobs:
  greet:
    model: meta-llama/Llama-3.1-8B-Instruct
    messages:
      - {role: user, content: "Hello {{ row.name }}"}
    rows: [{name: Ada}, {name: Bob}]
"""


@pytest.fixture
def project(tmp_path: Path, monkeypatch) -> Path:
    (tmp_path / "jobs.yaml").write_text(SPEC, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("NO_COLOR", "1")
    return tmp_path


def run(*args: str):
    return CliRunner().invoke(main, list(args))


@pytest.mark.parametrize("args", [
    ("plan", "--detailed-exitcode", "--fromat", "markdown"),
    ("plan", "--format", "mardown"),
    ("plan", "--lock-timeout", "abc"),
    ("--no-such-option",),
    ("files", "upload", "/nonexistent/file.jsonl"),
])
def test_usage_errors_exit_1_never_2(project, args):
    # 2 means "changes present" under --detailed-exitcode: a typo must not read as that.
    result = run(*args)
    assert result.exit_code == 1, result.output


def test_plan_json_carries_warnings_and_prints_them_on_stderr(project):
    assert run("apply", "-f", "jobs.yaml", "--auto-approve", "--poll-interval", "0.1").exit_code == 0
    result = CliRunner().invoke(main, ["plan", "-f", "jobs.yaml", "--json", "--base-url", "http://127.0.0.1:9/v1",
                                       "--no-refresh"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert any("state was made against provider local" in w for w in document["warnings"])
    assert "Warning: state was made against provider local" in result.stderr


def test_saved_plan_hint_repeats_the_spec_and_vars(project):
    result = run("plan", "-f", "jobs.yaml", "--out", "p.json")
    assert result.exit_code == 0, result.output
    assert "Apply exactly this plan with: specrun apply p.json -f jobs.yaml" in result.output


def test_destroy_without_a_terminal_only_suggests_auto_approve(project):
    assert run("apply", "-f", "jobs.yaml", "--auto-approve", "--poll-interval", "0.1").exit_code == 0
    result = run("destroy", "-f", "jobs.yaml")
    assert result.exit_code == 1
    assert "destroy needs approval, and there is no terminal to ask on. Pass --auto-approve" in result.output
    assert "specrun plan --out" not in result.output
