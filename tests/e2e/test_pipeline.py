"""Pipelines, structured output and exports end to end (DESIGN §8, issue #14).

The real CLI runs in-process (``cli``) on the embedded local provider's echo engine: it
answers ``"echo: " + <last user message>``, or for an ``output_schema`` a valid instance
of the schema (``[[invalid-json]]`` / ``[[off-schema]]`` in the message make it answer
badly, ``[[fail]]`` makes the row fail). What was paid for is read back from the provider
itself (every batch's input file, see ``uploaded``), never from specrun's state or ledger.
"""

from __future__ import annotations

import csv
import importlib.util
import json
import re
import shutil
import textwrap
from collections import Counter
from pathlib import Path

import pytest

from tests.e2e.conftest import MODEL, Result, plan_jobs, read_results, uploaded

ECHO = "{local: {engine: echo}}"
EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "pipeline"
LABEL_SCHEMA = ("{type: object, properties: {label: {enum: [pos, neg]}, why: {type: string}}, "
                "required: [label, why], additionalProperties: false}")


def write_spec(root: Path, jobs: str, *, provider: str = ECHO) -> Path:
    """A spec with ``jobs`` (YAML, dedented) under ``jobs:``; the first job starts on line 5."""
    root.mkdir(parents=True, exist_ok=True)
    spec = root / "specrun.yaml"
    spec.write_text(f"version: 1\nprovider: {provider}\n"
                    f"defaults: {{model: {MODEL}, params: {{max_tokens: 64}}}}\njobs:\n"
                    + textwrap.indent(textwrap.dedent(jobs).strip("\n"), "  ") + "\n", encoding="utf-8")
    return spec


def two_step(rows: list[str], down: str = "Down {{ row.content }}") -> str:
    """Jobs ``up`` (inline rows ``{q}``) and ``down`` reading up's results with template ``down``."""
    return textwrap.dedent(f"""
        up:
          rows: {json.dumps([{'q': q} for q in rows])}
          messages: [{{role: user, content: "Up {{{{ row.q }}}}"}}]
        down:
          data: {{job: up}}
          messages: [{{role: user, content: {json.dumps(down)}}}]
    """)


def plain(job: str, rows: list[str], template: str, extra: str = "") -> str:
    """Job ``job`` on one line: inline rows ``{q}``, one user message ``template``, ``extra`` keys."""
    return f"{job}: {{rows: {json.dumps([{'q': q} for q in rows])}, " \
           f"messages: [{{role: user, content: {json.dumps(template)}}}]{extra}}}\n"


def apply(cli, cwd: Path, *args: str, code: int = 0) -> Result:
    result = cli("apply", "--auto-approve", "--poll-interval", "0.1", *args, cwd=cwd)
    assert result.code == code, result.stdout + result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    return result


def received(cli, cwd: Path) -> Counter:
    """What the provider was asked: the last user message of every request line, counted."""
    return Counter(line["body"]["messages"][-1]["content"] for _batch, line in uploaded(cli, cwd))


def results(cwd: Path, job: str) -> list[dict]:
    return read_results(cwd / "results" / f"{job}.jsonl")


def stat(path: Path) -> tuple[int, int]:
    info = path.stat()
    return info.st_ino, info.st_mtime_ns


# ---------------------------------------------------------------- the example


def test_the_pipeline_example_runs_offline_with_structured_output_and_a_csv_export(tmp_path, cli):
    project = tmp_path / "pipeline"
    shutil.copytree(EXAMPLE, project)
    planned = plan_jobs(cli, project)
    assert planned["review"]["to_send"] is None and "'draft'" in planned["review"]["reason"]

    applied = apply(cli, project)
    assert "ok draft: 4 ok, 0 error" in applied.stdout and "ok review: 4 ok, 0 error" in applied.stdout
    schema = json.loads((project / "schemas" / "review.schema.json").read_text())
    review = results(project, "review")
    assert [line["custom_id"] for line in review] == ["review-T-100", "review-C-200", "review-K-300", "review-H-400"]
    for line in review:
        assert line["status"] == "ok" and set(line["parsed"]) == {"verdict", "score", "note"}
        assert line["parsed"]["verdict"] in ("keep", "rewrite") and 1 <= line["parsed"]["score"] <= 5
        assert json.loads(line["content"]) == line["parsed"]
        assert line["row"]["custom_id"].startswith("draft-") and line["row"]["row"]["sku"] in line["custom_id"]

    bodies = {line["body"]["messages"][-1]["content"].split("\n")[0]: line["body"]
              for _batch, line in uploaded(cli, project)}
    reviews = [body for first, body in bodies.items() if first.startswith("Product:")]
    assert len(reviews) == 4 and len(bodies) == 8
    for body in reviews:  # every review request asks for the schema, strictly
        assert body["response_format"] == {"type": "json_schema",
                                           "json_schema": {"name": "review", "schema": schema, "strict": True}}
    assert all("response_format" not in body for first, body in bodies.items() if first.startswith("Write"))

    with open(project / "results" / "review.csv", newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert [row["parsed.verdict"] for row in rows] == [line["parsed"]["verdict"] for line in review]
    assert [row["row.custom_id"] for row in rows] == [line["row"]["custom_id"] for line in review]

    before = stat(project / "results" / "review.csv")
    again = apply(cli, project)
    assert "No changes" in again.stdout
    assert stat(project / "results" / "review.csv") == before
    products = project / "data" / "products.csv"  # the example's promise: one edit, one draft and one review
    products.write_text(products.read_text().replace("made with milk", "made with oat milk"))
    assert apply(cli, project).stdout.count("sent 1 request:") == 2


def test_graph_prints_text_dot_and_mermaid(tmp_path, cli):
    spec = write_spec(tmp_path / "p", two_step(["one"]) + plain("other", ["x"], "{{ row.q }}"))
    text = cli("graph", cwd=spec.parent)
    assert text.code == 0 and "down  (reads job up)" in text.stdout and "other  (reads inline rows)" in text.stdout
    dot = cli("graph", "--format", "dot", cwd=spec.parent)
    assert dot.code == 0 and dot.stdout.startswith("digraph") and '"up" -> "down";' in dot.stdout
    assert '"other" ->' not in dot.stdout and '-> "other"' not in dot.stdout
    mermaid = cli("graph", "--format", "mermaid", cwd=spec.parent)
    assert mermaid.code == 0 and mermaid.stdout.startswith("flowchart")
    ids = {label: node for node, label in re.findall(r'(\w+)\["(\w+)"\]', mermaid.stdout)}
    assert f"{ids['up']} --> {ids['down']}" in mermaid.stdout and mermaid.stdout.count("-->") == 1


# ---------------------------------------------------------------- validate


def reads(job: str, upstream: str) -> str:
    return f'{job}:\n  data: {{job: {upstream}}}\n  messages: [{{role: user, content: "{{{{ row.content }}}}"}}]\n'


def with_schema(schema: str) -> str:
    return f'b:\n  rows: [{{q: one}}]\n  output_schema: {schema}\n  messages: [{{role: user, content: "x"}}]\n'


@pytest.mark.parametrize(("jobs", "expected"), [
    (reads("a", "c") + reads("b", "a") + reads("c", "b"),
     "specrun.yaml:6: jobs.a.data.job: the jobs read each other's results in a circle: "
     "a (specrun.yaml:6) → c (specrun.yaml:12) → b (specrun.yaml:9) → a"),
    (reads("b", "nope"), "specrun.yaml:6: jobs.b.data.job: job 'nope' is not in the spec"),
    (with_schema("{type: object, properties: {x: {type: bogus}}}"),
     "specrun.yaml:7: jobs.b.output_schema: not a valid JSON Schema at properties/x/type"),
    (with_schema("schemas/bad.json"),
     "specrun.yaml:7: jobs.b.output_schema: schemas/bad.json: not a valid JSON Schema at required"),
    (with_schema("schemas/bad.yaml"),
     "specrun.yaml:7: jobs.b.output_schema: schemas/bad.yaml: not a valid JSON Schema at properties/x/minLength"),
], ids=["circle", "unknown-job", "inline-schema", "json-schema-file", "yaml-schema-file"])
def test_validate_refuses_circles_unknown_jobs_and_invalid_schemas_naming_file_and_line(tmp_path, cli, jobs,
                                                                                        expected):
    spec = write_spec(tmp_path / "p", jobs)
    (spec.parent / "schemas").mkdir()
    (spec.parent / "schemas" / "bad.json").write_text('{"type": "object", "required": 5}\n')
    (spec.parent / "schemas" / "bad.yaml").write_text("type: object\nproperties:\n  x:\n    minLength: -1\n")
    for command in ("validate", "plan"):
        result = cli(command, cwd=spec.parent)
        assert result.code == 1 and expected in result.stderr, result.stderr
        assert "Traceback" not in result.stderr
    assert not (spec.parent / "results").exists()


# ---------------------------------------------------------------- plan and apply in dependency order


def test_downstream_templates_read_content_parsed_and_the_upstream_row(tmp_path, cli):
    spec = write_spec(tmp_path / "p", """
        label:
          rows: [{q: one, id: 7}, {q: two, id: 8}]
          output_schema: schemas/label.yaml
          messages: [{role: user, content: "Label {{ row.q }}"}]
        use:
          data: {job: label}
          messages: [{role: user, content: "{{ row.row.id }}|{{ row.parsed.label }}|{{ row.custom_id }}|{{
            row.content }}"}]
    """)
    (spec.parent / "schemas").mkdir()
    (spec.parent / "schemas" / "label.yaml").write_text(LABEL_SCHEMA + "\n")
    apply(cli, spec.parent)
    label = results(spec.parent, "label")
    expected = [f"{line['row']['id']}|{line['parsed']['label']}|{line['custom_id']}|{line['content']}"
                for line in label]
    assert [line["parsed"]["why"] for line in label] == ["echo: Label one", "echo: Label two"]
    assert [line["content"] for line in results(spec.parent, "use")] == [f"echo: {text}" for text in expected]
    assert received(cli, spec.parent) == Counter(["Label one", "Label two", *expected])


def test_an_upstream_edit_changing_three_answers_resends_only_those_three_downstream_rows(tmp_path, cli):
    spec = write_spec(tmp_path / "p", two_step(["q0", "q1", "q2", "q3", "q4"]))
    apply(cli, spec.parent)
    write_spec(spec.parent, two_step(["q0", "Q1", "Q2", "q3", "Q4"]))

    planned = plan_jobs(cli, spec.parent)
    assert (planned["up"]["action"], planned["up"]["to_send"], planned["up"]["reused"]) == ("update", 3, 2)
    assert planned["down"]["to_send"] is None and planned["down"]["estimated_cost_usd"] is None
    assert planned["down"]["reason"].startswith("known after apply") and "'up'" in planned["down"]["reason"]
    human = cli("plan", cwd=spec.parent).stdout
    assert "known after apply: reads the results of job 'up'" in human

    applied = apply(cli, spec.parent)
    assert applied.stderr.index("up: completed") < applied.stderr.index("down:")  # up's results first
    assert applied.stdout.count("sent 3 requests") == 2
    assert [(line["content"], line["reused"]) for line in results(spec.parent, "down")] == [
        ("echo: Down echo: Up q0", True), ("echo: Down echo: Up Q1", False), ("echo: Down echo: Up Q2", False),
        ("echo: Down echo: Up q3", True), ("echo: Down echo: Up Q4", False)]
    asked = [*(f"Up {q}" for q in ("q0", "q1", "q2", "q3", "q4", "Q1", "Q2", "Q4"))]
    assert received(cli, spec.parent) == Counter(asked + [f"Down echo: {text}" for text in asked])
    assert {job["action"] for job in plan_jobs(cli, spec.parent).values()} == {"noop"}


def test_with_an_unchanged_upstream_the_downstream_plan_is_exact_and_apply_sends_it(tmp_path, cli):
    spec = write_spec(tmp_path / "p", two_step(["a", "b", "c"]))
    apply(cli, spec.parent)
    write_spec(spec.parent, two_step(["a", "b", "c"], down="Again {{ row.content }}"))
    planned = plan_jobs(cli, spec.parent)
    assert planned["up"]["action"] == "noop"
    assert (planned["down"]["action"], planned["down"]["requests"], planned["down"]["to_send"]) == ("replace", 3, 3)
    assert planned["down"]["estimated_cost_usd"]["max"] > 0
    before = sum(received(cli, spec.parent).values())
    apply(cli, spec.parent)
    sent = received(cli, spec.parent)
    assert sum(sent.values()) - before == 3 and all(sent[f"Again echo: Up {q}"] == 1 for q in "abc")


def test_independent_jobs_share_one_poll_loop_and_a_downstream_waits_for_its_upstream(tmp_path, cli):
    spec = write_spec(tmp_path / "p", two_step(["one", "two", "three"]) + plain("side", ["1", "2", "3"], "{{ row.q }}"),
                      provider="{local: {engine: echo, delay_ms: 100}}")
    lines = apply(cli, spec.parent).stderr.splitlines()
    first = {job: next(i for i, line in enumerate(lines) if line.startswith(f"{job}:"))
             for job in ("up", "side", "down")}
    up_done = lines.index(next(line for line in lines if line.startswith("up: completed")))
    assert first["up"] < up_done and first["side"] < up_done < first["down"], lines
    assert [line["content"] for line in results(spec.parent, "down")] == [
        f"echo: Down echo: Up {q}" for q in ("one", "two", "three")]


def test_target_downstream_brings_in_its_upstream_only(tmp_path, cli):
    spec = write_spec(tmp_path / "p", two_step(["one", "two"]) + plain("other", ["x"], "Other {{ row.q }}"))
    planned = plan_jobs(cli, spec.parent, "--target", "down")
    assert set(planned) == {"up", "down"} and planned["down"]["to_send"] is None
    apply(cli, spec.parent, "--target", "down")
    assert sorted(p.name for p in (spec.parent / "results").iterdir()) == ["down.jsonl", "up.jsonl"]
    assert "Other x" not in received(cli, spec.parent)


def test_removing_a_job_another_job_reads_is_one_clear_error(tmp_path, cli):
    spec = write_spec(tmp_path / "p", two_step(["one"]))
    apply(cli, spec.parent)
    down_before = (spec.parent / "results" / "down.jsonl").read_bytes()
    write_spec(spec.parent, reads("down", "up"))
    for args in (("plan",), ("apply", "--auto-approve")):
        result = cli(*args, cwd=spec.parent)
        assert result.code == 1 and "Traceback" not in result.stderr
        assert "specrun.yaml:6: jobs.down.data.job: job 'up' is not in the spec; job 'down' reads its results" \
            in result.stderr
    assert (spec.parent / "results" / "down.jsonl").read_bytes() == down_before


# ---------------------------------------------------------------- structured output


def test_invalid_answers_are_invalid_output_row_errors_counted_and_resent(tmp_path, cli):
    spec = write_spec(tmp_path / "p", plain("label", ["one", "two [[invalid-json]]", "three [[off-schema]]"],
                                            "Label {{ row.q }}", f", output_schema: {LABEL_SCHEMA}"))
    failed = apply(cli, spec.parent, "--fail-on-row-errors", code=1)
    assert "2 row(s) failed" in failed.stderr
    ok, not_json, off_schema = results(spec.parent, "label")
    assert ok["status"] == "ok" and ok["parsed"] == json.loads(ok["content"])
    assert not_json["status"] == "error" and not_json["error"]["code"] == "invalid_output"
    assert "not JSON" in not_json["error"]["message"] and "[[invalid-json]]" in not_json["content"]
    assert not_json["parsed"] is None
    assert off_schema["error"]["code"] == "invalid_output" and "'label' is a required property" in \
        off_schema["error"]["message"]
    assert json.loads(off_schema["content"]) == {"why": "echo: Label three [[off-schema]]"}

    assert apply(cli, spec.parent, "--fail-on-row-errors", code=1).stderr.count("2 row(s) failed") == 1
    planned = plan_jobs(cli, spec.parent, "--retry-errors")["label"]
    assert (planned["action"], planned["to_send"]) == ("retry", 2)
    apply(cli, spec.parent, "--retry-errors")
    assert received(cli, spec.parent) == Counter(
        {"Label one": 1, "Label two [[invalid-json]]": 2, "Label three [[off-schema]]": 2})


def test_a_retry_of_invalid_answers_is_estimated_for_the_rows_it_resends(tmp_path, cli):
    rows = ["one", "two [[invalid-json]]", "three [[off-schema]]", "four"]
    spec = write_spec(tmp_path / "p", plain("label", rows, "Label {{ row.q }}", f", output_schema: {LABEL_SCHEMA}"))
    assert plan_jobs(cli, spec.parent)["label"]["max_output_tokens"] == 4 * 64  # max_tokens: 64 a request
    apply(cli, spec.parent)
    planned = plan_jobs(cli, spec.parent, "--retry-errors")["label"]
    assert (planned["action"], planned["to_send"]) == ("retry", 2)
    assert planned["max_output_tokens"] == 2 * 64  # found: 64 = 256 * (2/4) ** 2


# ---------------------------------------------------------------- robustness


def test_a_downstream_reads_ok_rows_only_unless_it_includes_errors(tmp_path, cli):
    template = "{{ row.index }} {{ row.status }} {{ row.error.code if row.error else '' }}"
    spec = write_spec(tmp_path / "p", f"""
        up:
          rows: [{{q: one}}, {{q: "two [[fail]]"}}, {{q: "three [[off-schema]]"}}, {{q: four}}]
          output_schema: {LABEL_SCHEMA}
          messages: [{{role: user, content: "Up {{{{ row.q }}}}"}}]
        ok_only:
          data: {{job: up}}
          messages: [{{role: user, content: "{{{{ row.index }}}} {{{{ row.parsed.label }}}}"}}]
        everything:
          data: {{job: up, include_errors: true}}
          messages: [{{role: user, content: {json.dumps(template)}}}]
    """)
    apply(cli, spec.parent)
    labels = [line["parsed"]["label"] if line["parsed"] else None for line in results(spec.parent, "up")]
    assert [line["content"] for line in results(spec.parent, "ok_only")] == [
        f"echo: 0 {labels[0]}", f"echo: 3 {labels[3]}"]
    assert [line["content"] for line in results(spec.parent, "everything")] == [
        "echo: 0 ok ", "echo: 1 error echo_fail_marker", "echo: 2 error invalid_output", "echo: 3 ok "]


def test_a_hand_edited_upstream_results_file_is_restored_and_the_downstream_stays_consistent(tmp_path, cli):
    spec = write_spec(tmp_path / "p", two_step(["one", "two"]))
    apply(cli, spec.parent)
    upstream = spec.parent / "results" / "up.jsonl"
    original = upstream.read_bytes()
    lines = read_results(upstream)
    lines[0]["content"] = "edited by hand"
    upstream.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    sent_before = received(cli, spec.parent)

    planned = plan_jobs(cli, spec.parent)
    assert planned["up"]["action"] == "download" and "changed on disk" in planned["up"]["reason"]
    assert planned["down"]["to_send"] is None and "known after apply" in planned["down"]["reason"]
    apply(cli, spec.parent)
    assert upstream.read_bytes() == original
    assert [line["content"] for line in results(spec.parent, "down")] == [
        "echo: Down echo: Up one", "echo: Down echo: Up two"]
    assert received(cli, spec.parent) == sent_before  # nothing sent: the ledger answered the same requests
    assert {job["action"] for job in plan_jobs(cli, spec.parent).values()} == {"noop"}


@pytest.mark.parametrize(("field", "message"), [
    ("row.row.title", "a dict has no key 'title' (keys: q)"),
    ("row.parsed.title", "'None' has no attribute 'title'"),
])
def test_a_downstream_template_reading_a_field_the_upstream_lacks_is_one_clear_error(tmp_path, cli, field, message):
    spec = write_spec(tmp_path / "p", two_step(["one", "two"], down=f"Down {{{{ {field} }}}}"))
    failed = apply(cli, spec.parent, code=1)
    errors = [line for line in failed.stderr.splitlines() if line.startswith("Error:")]
    assert errors == [f"Error: job 'down', messages[0].content (template line 1): "
                      f"line 1 of job 'up' results (results/up.jsonl): {message}"]
    assert not (spec.parent / "results" / "down.jsonl").exists()
    assert cli("plan", cwd=spec.parent).stderr.strip() == errors[0]  # upstream unchanged: found at plan time


def test_a_10_mb_structured_answer_flows_through_a_pipeline(tmp_path, cli):
    # The echo engine's structured answers ignore max_tokens: 101 strings of >= 100,000 characters.
    spec = write_spec(tmp_path / "p", """
        big:
          rows: [{q: big}]
          output_schema:
            type: object
            properties: {chunks: {type: array, minItems: 100, items: {type: string, minLength: 100000}}}
            required: [chunks]
            additionalProperties: false
          messages: [{role: user, content: "{{ row.q }}"}]
        size:
          data: {job: big}
          messages: [{role: user, content: "{{ row.parsed.chunks | length }} {{ row.content | length }}"}]
    """)
    apply(cli, spec.parent)
    [big] = results(spec.parent, "big")
    assert big["status"] == "ok" and len(big["content"]) >= 10_000_000
    assert json.loads(big["content"]) == big["parsed"]
    [size] = results(spec.parent, "size")
    assert size["content"] == f"echo: {len(big['parsed']['chunks'])} {len(big['content'])}"


# ---------------------------------------------------------------- exports


def test_exports_are_written_after_the_results_and_only_rewritten_when_they_change(tmp_path, cli):
    import pyarrow.parquet as pq

    def jobs(label_rows: list[str], other_rows: list[str]) -> str:
        return plain("label", label_rows, "Label {{ row.q }}", f", output_schema: {LABEL_SCHEMA}, "
                     "exports: [results/label.csv, results/label.parquet]") + plain("other", other_rows, "{{ row.q }}")

    spec = write_spec(tmp_path / "p", jobs(["one", "two"], ["x"]))
    apply(cli, spec.parent)
    out = spec.parent / "results"
    label = results(spec.parent, "label")
    with open(out / "label.csv", newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert [(r["custom_id"], r["status"], r["parsed.label"], r["parsed.why"], r["row.q"]) for r in rows] == [
        (line["custom_id"], "ok", line["parsed"]["label"], line["parsed"]["why"], line["row"]["q"]) for line in label]
    table = pq.read_table(out / "label.parquet").to_pylist()
    assert [(r["custom_id"], r["parsed.label"], r["row.q"]) for r in table] == [
        (r["custom_id"], r["parsed.label"], r["row.q"]) for r in rows]

    exports = [out / "label.csv", out / "label.parquet"]
    stats = [stat(path) for path in exports]
    assert "No changes" in apply(cli, spec.parent).stdout
    write_spec(spec.parent, jobs(["one", "two"], ["x", "y"]))  # only an unrelated job changes
    apply(cli, spec.parent)
    assert [stat(path) for path in exports] == stats
    lines = read_results(out / "label.jsonl")  # the results edited by hand, restored with the same bytes
    lines[0]["content"] = "edited"
    (out / "label.jsonl").write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    apply(cli, spec.parent)
    assert [stat(path) for path in exports] == stats

    write_spec(spec.parent, jobs(["one", "two", "three"], ["x", "y"]))
    apply(cli, spec.parent)
    with open(out / "label.csv", newline="", encoding="utf-8") as handle:
        assert [r["row.q"] for r in csv.DictReader(handle)] == ["one", "two", "three"]
    assert [r["row.q"] for r in pq.read_table(out / "label.parquet").to_pylist()] == ["one", "two", "three"]


def test_a_parquet_export_without_pyarrow_stops_apply_before_anything_is_sent(tmp_path, cli, monkeypatch):
    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *args: None if name.split(".")[0] == "pyarrow" else real_find_spec(name, *args))
    spec = write_spec(tmp_path / "p", plain("a", ["one"], "{{ row.q }}", ", exports: [results/a.parquet]"))
    failed = apply(cli, spec.parent, code=1)
    assert "job 'a': cannot export its results to results/a.parquet" in failed.stderr
    assert "pip install 'specrun[parquet]'" in failed.stderr and "nothing was sent" in failed.stderr
    assert received(cli, spec.parent) == Counter()


def test_an_export_added_to_an_applied_job_is_written_by_the_next_apply(tmp_path, cli):
    spec = write_spec(tmp_path / "p", plain("a", ["one"], "{{ row.q }}"))
    apply(cli, spec.parent)
    write_spec(spec.parent, plain("a", ["one"], "{{ row.q }}", ", exports: [results/a.csv]"))
    apply(cli, spec.parent)
    assert (spec.parent / "results" / "a.csv").exists()
    (spec.parent / "results" / "a.csv").unlink()
    apply(cli, spec.parent)
    assert (spec.parent / "results" / "a.csv").exists()
