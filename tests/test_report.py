"""Plan reports: the markdown PR comment (snapshot), the human plan's money lines, colour rules.

The snapshot lives in ``tests/snapshots/plan.md``. After an intended change to the
markdown format, rewrite it with ``SPECRUN_UPDATE_SNAPSHOTS=1 pytest tests/test_report.py``
and review the diff like any other change to a public format.
"""

from __future__ import annotations

import io
import os
import re
from pathlib import Path

import pytest

from specrun.estimate import CostRange
from specrun.plan import JobPlan, Plan
from specrun.report import format_plan, format_plan_markdown, use_color

SNAPSHOTS = Path(__file__).parent / "snapshots"
MODEL = "meta-llama/Llama-3.1-8B-Instruct"


def job(name: str, action: str, reason: str, **extra) -> JobPlan:
    fields = dict(requests=0, shards=1, model=MODEL, input_sha256=None)
    fields.update(extra)
    return JobPlan(job=name, action=action, reason=reason, **fields)


def sample_plan() -> Plan:
    """One job of each kind the PR comment has to show, with costs, a budget and its violations."""
    return Plan(
        jobs=(
            job("summarize", "create", "job not in state", requests=12_000, shards=2,
                input_sha256="d4b7e6805ee84510cbc6213a6e20aa78fc3c2a29b9ee82db7f9568fe68e717ad",
                estimated_input_tokens=1_840_000, max_output_tokens=3_072_000,
                estimated_cost=CostRange(0.092, 0.2456), budget_usd=0.20, skipped=3, to_send=12_000),
            job("classify", "replace", "requests changed: messages[0] template edited | params changed",
                requests=500, model="meta-llama/Llama-3.3-70B-Instruct",
                input_sha256="0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
                batch_ids=("batch_old1",), estimated_input_tokens=60_000, max_output_tokens=64_000,
                estimated_cost=CostRange(0.021, 0.0466), spent_usd=0.0391, to_send=500),
            job("tag", "update", "requests changed: data changed (data/posts.csv)", requests=500_001,
                input_sha256="89abcdef0123456789abcdef0123456789abcdef0123456789abcdef01234567",
                batch_ids=("batch_tag1",), estimated_input_tokens=120, max_output_tokens=256,
                estimated_cost=CostRange(0.000006, 0.0000188), to_send=1, reused=500_000),
            job("translate", "noop", "up to date", requests=40,
                input_sha256="fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210",
                batch_ids=("batch_aaa", "batch_bbb"), estimated_input_tokens=2_000, max_output_tokens=5_120),
            job("legacy", "remove", "job no longer in the spec; cancel 1 in-flight batch", requests=7,
                model=None, batch_ids=("batch_zzz",)),
        ),
        provider="https://inference.example.com/v1",
        lineage="5a4f9e1c-0000-4000-8000-000000000000",
        serial=7,
        warnings=("the provider does not list active models; model names were not checked",),
        budget_usd=0.25,
        budget_violations=(
            "job 'summarize' may cost up to $0.246, over its budget of $0.200 (budget.max_cost_usd)",
            "this plan may cost up to $0.292 in all, over --max-cost of $0.250",
        ),
    )


def assert_snapshot(name: str, text: str) -> None:
    path = SNAPSHOTS / name
    if os.environ.get("SPECRUN_UPDATE_SNAPSHOTS") == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8", newline="\n")
    assert path.exists(), f"no snapshot {path}; create it with SPECRUN_UPDATE_SNAPSHOTS=1"
    expected = path.read_text(encoding="utf-8")
    assert text == expected, (f"{name} differs from the snapshot; if the change is intended, "
                              "rerun with SPECRUN_UPDATE_SNAPSHOTS=1 and review the diff")


# ---------------------------------------------------------------- markdown


def test_markdown_plan_matches_the_snapshot():
    assert_snapshot("plan.md", format_plan_markdown(sample_plan()))


def test_markdown_plan_table_rows_have_one_cell_per_column():
    lines = format_plan_markdown(sample_plan()).splitlines()
    header = lines.index("| | job | action | requests | to send | model | est. cost | reason |")
    assert lines[header + 1] == "|---|---|---|---:|---:|---|---:|---|"
    rows = lines[header + 2:header + 7]
    # an escaped "\|" inside a reason is text, not a column separator
    assert [row.replace("\\|", "").count("|") for row in rows] == [9, 9, 9, 9, 9]
    assert rows[1] == ("| `-/+` | `classify` | replace | 500 | 500 | meta-llama/Llama-3.3-70B-Instruct | "
                       "$0.021–$0.047 | requests changed: messages[0] template edited \\| params changed |")
    assert rows[2].startswith("| `~` | `tag` | update | 500,001 | 1 | ")
    assert lines[header + 7] == ""


def test_markdown_plan_without_changes_or_prices_is_short():
    plan = Plan(jobs=(job("translate", "noop", "up to date", requests=40),), provider="local",
                lineage=None, serial=None)
    assert format_plan_markdown(plan) == (
        "### specrun plan\n"
        "\n"
        "**No changes. Results are up to date.**\n"
        "\n"
        "| | job | action | requests | to send | model | est. cost | reason |\n"
        "|---|---|---|---:|---:|---|---:|---|\n"
        f"| `=` | `translate` | noop | 40 | – | {MODEL} | – | up to date |\n"
        "\n"
        "<details><summary>Details</summary>\n"
        "\n"
        "- **translate** (noop): 40 requests in 1 shard\n"
        "\n"
        "</details>\n"
    )


def test_markdown_plan_with_no_jobs():
    plan = Plan(jobs=(), provider="local", lineage=None, serial=None)
    assert format_plan_markdown(plan) == "### specrun plan\n\n**No changes. Results are up to date.**\n"


# ---------------------------------------------------------------- human


def test_human_plan_shows_each_jobs_money_and_the_total():
    assert format_plan(sample_plan()).splitlines() == [
        "Warning: the provider does not list active models; model names were not checked",
        "",
        f"  + summarize  create    12,000 requests   2 shards  {MODEL}",
        "               job not in state",
        "               ~1,840,000 input tokens, ≤3,072,000 output tokens, est. $0.092–$0.246, budget $0.200",
        "               3 row(s) too long: skipped (on_too_long: skip)",
        "-/+ classify   replace     500 requests    1 shard  meta-llama/Llama-3.3-70B-Instruct",
        "               requests changed: messages[0] template edited | params changed",
        "               ~60,000 input tokens, ≤64,000 output tokens, est. $0.021–$0.047 (already spent: $0.039)",
        "               batches: batch_old1",
        f"  ~ tag        update    500,001 requests    1 shard  {MODEL}",
        "               requests changed: data changed (data/posts.csv)",
        "               1 to send, 500,000 from the ledger",  # the row ledger answers the rest
        "               ~120 input tokens, ≤256 output tokens, est. $0.0000060–$0.000019",
        "               batches: batch_tag1",
        # a job that submits nothing has no money line
        f"  = translate  noop         40 requests    1 shard  {MODEL}",
        "               up to date",
        "               batches: batch_aaa, batch_bbb",
        "  - legacy     remove        7 requests    1 shard",
        "               job no longer in the spec; cancel 1 in-flight batch",
        "               batches: batch_zzz",
        "",
        "Plan: 1 to create, 1 to update, 1 to replace, 0 to retry, 1 to remove, 1 unchanged.",
        "Estimated cost: $0.113–$0.292 (budget $0.250)  [input only – every reply at its max tokens]",
        "Over budget: job 'summarize' may cost up to $0.246, over its budget of $0.200 (budget.max_cost_usd)",
        "Over budget: this plan may cost up to $0.292 in all, over --max-cost of $0.250",
    ]


def test_human_plan_without_prices_has_no_cost_line():
    plan = Plan(jobs=(job("greet", "create", "job not in state", requests=5, estimated_input_tokens=60,
                          max_output_tokens=160),), provider="local", lineage=None, serial=None)
    assert format_plan(plan).splitlines() == [
        f"  + greet  create        5 requests    1 shard  {MODEL}",
        "           job not in state",
        "           ~60 input tokens, ≤160 output tokens",
        "",
        "Plan: 1 to create, 0 to replace, 0 to retry, 0 to remove, 0 unchanged.",
    ]


def test_human_plan_colours_only_when_asked():
    plain = format_plan(sample_plan(), color=False)
    assert "\x1b[" not in plain
    coloured = format_plan(sample_plan(), color=True)
    assert "\x1b[31mOver budget: this plan may cost up to $0.292 in all, over --max-cost of $0.250\x1b[0m" in coloured
    assert "\x1b[32m  + summarize" in coloured
    # same text once the escapes are gone
    assert re.sub(r"\x1b\[\d+m", "", coloured) == plain


class _Stream(io.StringIO):
    def __init__(self, tty: bool) -> None:
        super().__init__()
        self._tty = tty

    def isatty(self) -> bool:
        return self._tty


def test_use_color_only_on_a_tty(monkeypatch):
    monkeypatch.delenv("NO_COLOR", raising=False)
    assert use_color(_Stream(tty=True)) is True
    assert use_color(_Stream(tty=False)) is False
    assert use_color(io.StringIO()) is False           # a plain buffer is no terminal
    assert use_color(object()) is False                # nor is something without isatty


@pytest.mark.parametrize("value", ["1", "true", "0", "anything"])
def test_no_color_with_any_value_turns_colour_off_even_on_a_tty(monkeypatch, value):
    monkeypatch.setenv("NO_COLOR", value)
    assert use_color(_Stream(tty=True)) is False


def test_empty_no_color_does_not_count(monkeypatch):
    # https://no-color.org: "when present and not an empty string"
    monkeypatch.setenv("NO_COLOR", "")
    assert use_color(_Stream(tty=True)) is True
