"""Shared helpers of the hostile-input tests: run the real CLI in-process on a tmp project."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from specrun.cli import main

MODEL = "meta-llama/Llama-3.1-8B-Instruct"


def cli(*args: str, cwd: Path | None = None) -> Result:
    """Run ``specrun ARGS`` in-process, the way a user types it (never raising)."""
    runner = CliRunner()
    if cwd is None:
        return runner.invoke(main, list(args), catch_exceptions=False)
    old = os.getcwd()
    os.chdir(cwd)
    try:
        return runner.invoke(main, list(args), catch_exceptions=False)
    finally:
        os.chdir(old)


def assert_one_clean_error(result: Result, *pieces: str) -> None:
    """Exit 1, an ``Error:`` line naming each piece, and no traceback."""
    output = result.output
    assert result.exit_code == 1, output
    assert "Error:" in output, output
    assert "Traceback" not in output and "internal error" not in output, output
    for piece in pieces:
        assert piece in output, f"{piece!r} not in:\n{output}"


def local_spec(job: str = "a", *, delay_ms: int = 0, extra: str = "") -> str:
    return f"""version: 1
provider: {{local: {{engine: echo, delay_ms: {delay_ms}}}}}
defaults: {{model: {MODEL}, params: {{max_tokens: 16}}}}
jobs:
  {job}:
    rows: [{{q: one}}, {{q: two}}, {{q: three}}]
    messages: [{{role: user, content: "{{{{ row.q }}}}"}}]
{extra}"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "specrun.yaml").write_text(local_spec())
    return tmp_path
