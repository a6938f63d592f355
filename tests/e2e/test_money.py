"""Money guards end to end: the CLI in-process against a real `specrun serve` (echo engine).

Figures, by hand, from specrun.tokens (counting pinned to the heuristic, so they do not
depend on whether tiktoken is installed) and the echo engine's published models: each
row renders "Say hello to person <i>." (7 tokens by the heuristic, as by cl100k), in the
Llama 3 chat format (5 per message + 30 per request), so 42 prompt tokens; 5 rows -> 210
input tokens. With max_tokens 2000 the output bound is 5 x 2000 = 10,000 tokens.
Llama 3.3 70B costs 35 ¢ per million input and 40 ¢ per million output tokens:
  low  = 210 x 35 / 1e6 ¢                 = 0.00735 ¢ = $0.0000735  -> "$0.000073"
  high = (210 x 35 + 10,000 x 40) / 1e6 ¢ = 0.40735 ¢ = $0.0040735  -> "$0.0041"
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from specrun.render import iter_requests
from specrun.spec import load_spec
from tests.e2e.conftest import MODEL, read_results, write_project

BIG = "meta-llama/Llama-3.3-70B-Instruct"
COST = "$0.000073–$0.0041"
LOW, HIGH = 0.0000735, 0.0040735


@pytest.fixture(autouse=True)
def heuristic_counting(cli, monkeypatch):
    """The figures below are the heuristic's (set after ``cli`` clears SPECRUN_* variables; the CLI
    runs in-process, so its counter cache is cleared too)."""
    from specrun.tokens import TOKENS_ENV, counter_for

    monkeypatch.setenv(TOKENS_ENV, "heuristic")
    counter_for.cache_clear()
    yield
    counter_for.cache_clear()


def money_project(root: Path, base_url: str | None, *, jobs: tuple[str, ...] = ("greet",), top: str = "",
                  job_extra: dict[str, str] | None = None) -> Path:
    """write_project on the 70B model with max_tokens 2000, plus spec lines for budgets."""
    spec = write_project(root, base_url, rows=5, jobs=jobs)
    text = spec.read_text(encoding="utf-8").replace(MODEL, BIG).replace("max_tokens: 32", "max_tokens: 2000")
    for job, extra in (job_extra or {}).items():
        head = f"  {job}:\n"
        assert head in text
        text = text.replace(head, head + extra)
    spec.write_text(text + top, encoding="utf-8")
    return spec


# ---------------------------------------------------------------- estimates in the plan


def test_plan_shows_tokens_and_cost_in_every_format(tmp_path, cli, server):
    spec = money_project(tmp_path / "proj", server.url)
    human = cli("plan", cwd=spec.parent)
    assert human.code == 0, human.stderr
    lines = human.stdout.splitlines()
    assert lines[:3] == [
        f"  + greet  create        5 requests    1 shard  {BIG}",
        "           job not in state",
        f"           ~210 input tokens (heuristic), ≤10,000 output tokens, est. {COST}",
    ]
    assert lines[-1] == f"Estimated cost: {COST}  [input only – every reply at its max tokens]"

    as_json = cli("plan", "--format", "json", cwd=spec.parent)
    assert as_json.code == 0, as_json.stderr
    document = json.loads(as_json.stdout)
    job = document["jobs"][0]
    assert (job["estimated_input_tokens"], job["max_output_tokens"]) == (210, 10_000)
    assert job["token_counting"] == "heuristic"
    assert job["estimated_cost_usd"] == {"min": round(LOW, 6), "max": round(HIGH, 6)} == {"min": 7.3e-05,
                                                                                          "max": 0.004073}
    assert document["estimated_cost_usd"] == job["estimated_cost_usd"]
    assert document["budget"] == {"max_cost_usd": None, "violations": []}
    assert json.loads(cli("plan", "--json", cwd=spec.parent).stdout) == document

    markdown = cli("plan", "--format", "markdown", cwd=spec.parent)
    assert markdown.code == 0, markdown.stderr
    assert markdown.stdout.startswith("### specrun plan\n\n"
                                      "**Plan: 1 to create, 0 to replace, 0 to retry, 0 to remove, 0 unchanged.**\n")
    assert ("| | job | action | requests | to send | model | est. cost | reason |\n"
            "|---|---|---|---:|---:|---|---:|---|\n"
            f"| `+` | `greet` | create | 5 | 5 | {BIG} | {COST} | job not in state |\n") in markdown.stdout
    assert f"**Estimated cost:** {COST} (input only – every reply at its max tokens)\n" in markdown.stdout
    assert "<details><summary>Details</summary>" in markdown.stdout and markdown.stdout.endswith("</details>\n")
    assert server.files() == [] and server.batches() == []  # planning sends nothing


def test_embedded_provider_publishes_prices_too(tmp_path, cli):
    spec = money_project(tmp_path / "proj", None)
    result = cli("plan", "--format", "markdown", cwd=spec.parent)
    assert result.code == 0, result.stderr
    assert f"| `+` | `greet` | create | 5 | 5 | {BIG} | {COST} | job not in state |" in result.stdout


# ---------------------------------------------------------------- budgets


def test_top_level_budget_violation_fails_plan_and_apply_sends_nothing(tmp_path, cli, server):
    spec = money_project(tmp_path / "proj", server.url, top="budget: {max_cost_usd: 0.003}\n")
    violation = "this plan may cost up to $0.0041 in all, over budget.max_cost_usd of $0.0030"

    planned = cli("plan", "--out", "reviewed.plan", cwd=spec.parent)
    assert planned.code == 1
    assert planned.stdout.splitlines()[-2:] == [
        f"Estimated cost: {COST} (budget $0.0030)  [input only – every reply at its max tokens]",
        f"Over budget: {violation}",
    ]
    assert planned.stderr == f"Error: over budget (apply would refuse this plan): {violation}\n"
    assert not (spec.parent / "reviewed.plan").exists()  # a plan over budget is not saved for apply

    as_json = cli("plan", "--json", cwd=spec.parent)
    assert as_json.code == 1
    assert json.loads(as_json.stdout)["budget"] == {"max_cost_usd": 0.003, "violations": [violation]}

    markdown = cli("plan", "--format", "markdown", cwd=spec.parent)
    assert markdown.code == 1
    assert f"> [!CAUTION]\n> **Over budget:** {violation}\n" in markdown.stdout

    applied = cli("apply", "--auto-approve", "-v", cwd=spec.parent)
    assert applied.code == 1
    assert f"Error: over budget (nothing was sent): {violation}" in applied.stderr
    assert applied.posts() == []
    assert server.files() == [] and server.batches() == []
    assert not (spec.parent / "results").exists()


def test_job_budget_violation_names_the_job(tmp_path, cli, server):
    spec = money_project(tmp_path / "proj", server.url, jobs=("greet", "shout"),
                         # dedupe: false, or shout would ask exactly what greet asks and send nothing
                         job_extra={"shout": "    budget: {max_cost_usd: 0.001}\n    dedupe: false\n"})
    violation = "job 'shout' may cost up to $0.0041, over its budget of $0.0010 (budget.max_cost_usd)"
    planned = cli("plan", cwd=spec.parent)
    assert planned.code == 1
    assert f"           ~210 input tokens (heuristic), ≤10,000 output tokens, est. {COST}, budget $0.0010" in planned.stdout
    assert planned.stdout.count("Over budget:") == 1
    assert planned.stderr == f"Error: over budget (apply would refuse this plan): {violation}\n"
    document = json.loads(cli("plan", "--json", cwd=spec.parent).stdout)
    assert {j["job"]: j["budget_usd"] for j in document["jobs"]} == {"greet": None, "shout": 0.001}
    assert document["budget"] == {"max_cost_usd": None, "violations": [violation]}

    applied = cli("apply", "--auto-approve", "-v", cwd=spec.parent)
    assert applied.code == 1
    assert f"Error: over budget (nothing was sent): {violation}" in applied.stderr
    # the job within its budget is not sent either: apply refuses the whole plan
    assert applied.posts() == []
    assert server.files() == [] and server.batches() == []


def test_max_cost_on_plan_and_on_a_saved_plan(tmp_path, cli, server):
    spec = money_project(tmp_path / "proj", server.url)
    over = cli("plan", "--max-cost", "0.001", cwd=spec.parent)
    assert over.code == 1
    assert over.stderr == ("Error: over budget (apply would refuse this plan): this plan may cost up to $0.0041 "
                           "in all, over --max-cost of $0.0010\n")

    within = cli("plan", "--max-cost", "1", "--out", "reviewed.plan", cwd=spec.parent)
    assert within.code == 0, within.stderr
    assert f"Estimated cost: {COST} (budget $1.00)  [input only – every reply at its max tokens]" in within.stdout

    refused = cli("apply", "reviewed.plan", "--max-cost", "0.001", "-v", cwd=spec.parent)
    assert refused.code == 1
    assert refused.stderr.splitlines()[-1] == ("Error: over budget (nothing was sent): this plan may cost up to "
                                               "$0.0041 in all, over --max-cost of $0.0010")
    assert refused.posts() == []
    assert server.files() == [] and server.batches() == []

    # refusing did not spend the saved plan: it still applies, within a budget that fits
    applied = cli("apply", "reviewed.plan", "--max-cost", "0.005", "--poll-interval", "0.2", cwd=spec.parent)
    assert applied.code == 0, applied.stderr
    assert len(server.files()) == 1 and len(server.batches()) == 1


def test_a_saved_plan_is_refused_when_the_spec_budget_was_lowered_since(tmp_path, cli, server):
    spec = money_project(tmp_path / "proj", server.url, top="budget: {max_cost_usd: 1}\n")
    assert cli("plan", "--out", "reviewed.plan", cwd=spec.parent).code == 0
    spec.write_text(spec.read_text(encoding="utf-8").replace("max_cost_usd: 1}", "max_cost_usd: 0.001}"),
                    encoding="utf-8")
    assert cli("plan", cwd=spec.parent).code == 1  # a fresh plan is over the new budget...
    applied = cli("apply", "reviewed.plan", "--poll-interval", "0.2", cwd=spec.parent)
    # ...and so is the saved one: apply must refuse it before sending anything
    assert applied.code == 1
    assert "over budget (nothing was sent)" in applied.stderr
    assert server.files() == [] and server.batches() == []


# ---------------------------------------------------------------- context and model checks

LONG_NAME = "x" * 200   # "Say hello to " + 200 x + "." -> 44 tokens by the heuristic + 5 + 30 = 79 prompt tokens


def context_project(root: Path, base_url: str | None, *, on_too_long: str | None = None) -> Path:
    """Llama 3.1 8B (131,072-token context) with max_tokens 131,030: a 42-token row fits exactly, a 79-token one not."""
    spec = write_project(root, base_url, rows=5)
    (spec.parent / "data" / "people.csv").write_text(
        "id,name\n" + "".join(f"{i},{LONG_NAME if i == 2 else f'person {i}'}\n" for i in range(5)),
        encoding="utf-8")
    text = spec.read_text(encoding="utf-8").replace("max_tokens: 32", "max_tokens: 131030")
    if on_too_long:
        text += f"    on_too_long: {on_too_long}\n"
    spec.write_text(text, encoding="utf-8")
    return spec


TOO_LONG = ("~79 prompt tokens + 131,030 max output = 131,109, over the 131,072-token context of "
            f"{MODEL}")


def test_a_row_over_the_context_is_a_plan_error_naming_the_row(tmp_path, cli, server):
    spec = context_project(tmp_path / "proj", server.url)
    planned = cli("plan", cwd=spec.parent)
    assert planned.code == 1
    assert planned.stdout == ""
    assert planned.stderr == (f"Error: job 'greet': row 4 of data/people.csv (custom_id 'greet-2') needs {TOO_LONG}; "
                              "shorten it, lower max_tokens, or set on_too_long: skip\n")
    applied = cli("apply", "--auto-approve", "-v", cwd=spec.parent)
    assert applied.code == 1
    assert "row 4 of data/people.csv (custom_id 'greet-2')" in applied.stderr
    assert applied.posts() == []
    assert server.files() == [] and server.batches() == []


def test_on_too_long_skip_sends_the_rest_and_marks_the_row_skipped(tmp_path, cli, server):
    spec = context_project(tmp_path / "proj", server.url, on_too_long="skip")
    planned = cli("plan", cwd=spec.parent)
    assert planned.code == 0, planned.stderr
    assert "  + greet  create        4 requests    1 shard" in planned.stdout
    assert "           1 row(s) too long: skipped (on_too_long: skip)" in planned.stdout

    applied = cli("apply", "--auto-approve", "--poll-interval", "0.2", cwd=spec.parent)
    assert applied.code == 0, applied.stderr
    assert "ok greet: 4 ok, 0 error, 1 skipped" in applied.stdout

    rows = read_results(spec.parent / "results" / "greet.jsonl")
    assert [(r["index"], r["custom_id"], r["status"]) for r in rows] == [
        (0, "greet-0", "ok"), (1, "greet-1", "ok"), (2, "greet-2", "skipped"), (3, "greet-3", "ok"),
        (4, "greet-4", "ok")]
    assert rows[2] == {"custom_id": "greet-2", "index": 2, "status": "skipped", "content": None,
                       "error": {"code": "skipped", "message": f"too long: {TOO_LONG}"}, "usage": None,
                       "parsed": None, "reused": False,
                       "row": {"id": "2", "name": LONG_NAME}}

    # the provider never saw the skipped row
    [uploaded] = server.files()
    [batch] = server.batches()
    assert batch["request_counts"]["total"] == 4
    content = server.file_content(uploaded['id'])
    keys = {r.custom_id: r.key for r in iter_requests(load_spec(spec), load_spec(spec).jobs["greet"])}
    assert [json.loads(line)["custom_id"] for line in content.splitlines()] == [
        keys["greet-0"], keys["greet-1"], keys["greet-3"], keys["greet-4"]]  # sent under their ledger keys

    again = cli("plan", "--detailed-exitcode", cwd=spec.parent)
    assert again.code == 0, again.stdout + again.stderr  # skipped rows are not a pending change
    assert "No changes." in again.stdout


def test_inactive_model_is_a_plan_error_listing_close_names(tmp_path, cli, server):
    spec = write_project(tmp_path / "proj", server.url)
    spec.write_text(spec.read_text(encoding="utf-8").replace(MODEL, "meta-llama/Llama-3.1-8B-Instrukt"),
                    encoding="utf-8")
    expected = ("Error: job 'greet': model 'meta-llama/Llama-3.1-8B-Instrukt' is not active on the provider; "
                "closest active models: meta-llama/Llama-3.1-8B-Instruct, meta-llama/Llama-3.3-70B-Instruct, "
                "mistralai/Mistral-7B-Instruct-v0.3\n")
    planned = cli("plan", cwd=spec.parent)
    assert (planned.code, planned.stdout, planned.stderr) == (1, "", expected)
    applied = cli("apply", "--auto-approve", "-v", cwd=spec.parent)
    assert applied.code == 1
    assert applied.stderr.endswith(expected)
    assert applied.posts() == []
    assert server.files() == [] and server.batches() == []


def test_plan_without_refresh_keeps_skipped_rows_skipped(tmp_path, cli):
    spec = context_project(tmp_path / "proj", None, on_too_long="skip")  # embedded provider
    applied = cli("apply", "--auto-approve", "--poll-interval", "0.2", cwd=spec.parent)
    assert applied.code == 0, applied.stderr
    assert cli("plan", "--detailed-exitcode", cwd=spec.parent).code == 0
    offline = cli("plan", "--no-refresh", "--detailed-exitcode", cwd=spec.parent)
    assert (offline.code, offline.stdout.splitlines()[-1]) == (0, "No changes. Results are up to date.")
