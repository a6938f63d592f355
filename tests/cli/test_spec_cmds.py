"""specrun validate / render through click: exact output, exit codes, no tracebacks."""

from __future__ import annotations

import hashlib

import pytest
from click.testing import CliRunner

from specrun.cli import main

SPEC = """\
version: 1
provider: local
vars: {tone: concise}
defaults:
  model: meta-llama/Llama-3.1-8B-Instruct
jobs:
  summarize:
    data: data/articles.csv
    id: "article-{{ row.id }}"
    messages:
      - {role: system, content: "Summarize in a {{ vars.tone }} tone."}
      - role: user
        content: |
          {{ row.title }}
          {{ row.text }}
    limits: {max_requests: 2}
  ask:
    model: Qwen/Qwen2.5-7B-Instruct
    rows: [{q: Why?}]
    messages: [{role: user, content: "{{ row.q }}"}]
"""
ARTICLES = "id,title,text\n1,One,First\n2,Two,Second\n3,Three,Third\n"


@pytest.fixture
def project(tmp_path, monkeypatch):
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "articles.csv").write_text(ARTICLES)
    (tmp_path / "specrun.yaml").write_text(SPEC)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def run(*args: str):
    return CliRunner().invoke(main, list(args))


def test_validate_prints_one_line_per_job(project):
    result = run("validate")
    assert result.exit_code == 0, result.output
    assert result.stdout == (  # warnings (no max_tokens here) go to stderr
        "summarize  3 rows  2 shards  meta-llama/Llama-3.1-8B-Instruct\n"
        "ask        1 row   1 shard   Qwen/Qwen2.5-7B-Instruct\n"
        "Spec specrun.yaml is valid (2 jobs).\n"
    )
    assert not (project / ".specrun").exists()  # validate writes nothing


def test_validate_warns_about_jobs_without_max_tokens_on_stderr(project):
    result = run("validate", "--target", "ask")
    assert result.exit_code == 0, result.output
    assert result.stderr == (
        "Warning: specrun.yaml:17: job 'ask' sets no max_tokens: each reply is bounded only by the model's "
        "context length, so the cost estimate's upper end will be very wide; set params.max_tokens "
        "(or max_completion_tokens)\n"
    )
    (project / "specrun.yaml").write_text(SPEC.replace("  model: meta-llama/Llama-3.1-8B-Instruct\n",
                                                       "  model: meta-llama/Llama-3.1-8B-Instruct\n"
                                                       "  params: {max_tokens: 64}\n"))
    result = run("validate")
    assert result.exit_code == 0 and result.stderr == "", result.output


def test_validate_lists_every_schema_problem_and_exits_1(project):
    (project / "bad.yaml").write_text("version: 1\njobs:\n  a:\n    modle: x\n    rows: {}\n")
    result = run("validate", "-f", "bad.yaml")
    assert result.exit_code == 1
    assert result.output == (
        "Error: bad.yaml is invalid (2 problems):\n"
        "  bad.yaml:4: jobs.a.modle: unknown key 'modle' (did you mean 'model'?)\n"
        "  bad.yaml:5: jobs.a.rows: must be a list (got a mapping)\n"
    )


def test_validate_lists_render_errors_of_every_job(project):
    (project / "specrun.yaml").write_text(SPEC.replace("row.text", "row.body").replace("row.q", "row.question"))
    result = run("validate")
    assert result.exit_code == 1
    assert result.output == (
        "Error: specrun.yaml: 2 jobs cannot be rendered:\n"
        "  job 'summarize', messages[1].content (template line 2): row 2 of data/articles.csv has no column "
        "'body' (columns: id, title, text)\n"
        "  job 'ask', messages[0].content (template line 1): rows[0] in specrun.yaml:19 has no column "
        "'question' (columns: q)\n"
    )
    assert "Traceback" not in result.output


def test_validate_data_errors_and_missing_spec(project):
    (project / "data" / "articles.csv").write_text("id,title,text\n1,a\n")
    result = run("validate", "--target", "summarize")
    assert result.exit_code == 1
    assert result.output == ("Error: specrun.yaml: 1 job cannot be rendered:\n"
                             "  job 'summarize': data/articles.csv line 2: expected 3 fields (id, title, text), "
                             "found 2\n")
    result = run("validate", "-f", "nope.yaml")
    assert result.exit_code == 1
    assert result.output == f"Error: spec file nope.yaml not found (looked for {project / 'nope.yaml'})\n"


def test_validate_applies_var_overrides(project):
    assert run("validate", "--var", "tone=formal").exit_code == 0
    result = run("validate", "--var", "tnoe=formal")
    assert result.exit_code == 1
    assert "--var tnoe=formal: no var 'tnoe' in specrun.yaml (did you mean 'tone'?)" in result.output


def test_render_writes_shards_and_prints_them(project):
    result = run("render")
    assert result.exit_code == 0, result.output
    build = project / ".specrun" / "build"
    shards = sorted(build.glob("specrun-summarize-*.jsonl"), key=lambda p: p.read_bytes().count(b"\n"), reverse=True)
    assert len(shards) == 2
    total = hashlib.sha256(b"".join(sorted((p.read_bytes() for p in shards), key=lambda b: b"article-1" not in b)))
    lines = result.output.splitlines()
    assert lines[0] == f"summarize: 3 rows, {sum(p.stat().st_size for p in shards):,} bytes, 2 shards, " \
                       f"sha256 {total.hexdigest()}"
    for shard in shards:
        digest = hashlib.sha256(shard.read_bytes()).hexdigest()
        assert shard.name == f"specrun-summarize-{digest[:16]}.jsonl"
        assert f"  .specrun/build/{shard.name}  " in result.output and f"sha256 {digest}" in result.output
    assert lines[1].startswith("  ~") and "input tokens (estimated)" in lines[1]
    assert lines[4].startswith("ask: 1 row, ")


def test_render_job_and_out_options(project, tmp_path_factory):
    out = tmp_path_factory.mktemp("out")
    result = run("render", "--job", "ask", "--out", str(out))
    assert result.exit_code == 0, result.output
    assert [p.name.startswith("specrun-ask-") for p in out.iterdir()] == [True]
    assert result.output.startswith("ask: 1 row, ") and "summarize" not in result.output
    assert run("render", "--target", "summarize", "--out", str(out)).output.startswith("summarize: 3 rows")


def test_render_unknown_job(project):
    result = run("render", "--job", "sumarize")
    assert result.exit_code == 1
    assert result.output == "Error: no job 'sumarize' in specrun.yaml (did you mean 'summarize'?) (jobs: summarize, ask)\n"


def test_render_errors_are_one_line_and_verbose_shows_traceback(project):
    (project / "specrun.yaml").write_text(SPEC.replace("{{ row.text }}", "{{ row.text | int / 0 }}"))
    result = run("render")
    assert result.exit_code == 1
    assert result.output.startswith("Error: job 'summarize', messages[1].content (template line 2): row 2 of "
                                    "data/articles.csv: ")
    assert "Traceback" not in result.output
    verbose = run("render", "-v")
    assert verbose.exit_code == 1 and "Traceback" in verbose.output


def test_render_empty_content_warning_goes_to_stderr(project):
    (project / "data" / "articles.csv").write_text("id,title,text\n1,,\n")
    (project / "specrun.yaml").write_text(SPEC.replace("{{ row.title }}\n      {{ row.text }}", "{{ row.text }}"))
    result = run("render", "--job", "summarize")
    assert result.exit_code == 0
    assert "Warning: job 'summarize': messages[1].content renders empty for 1 row " \
           "(first: row 2 of data/articles.csv)" in result.stderr
    assert "Warning" not in result.stdout
