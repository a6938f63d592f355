"""Turn Plans, apply reports and status into text for humans (JSON lives on the objects).

Plans and reports carry text neither specrun nor the user wrote: batch ids, statuses and
error messages from the provider, values from data files in reasons and warnings. Every
such piece goes through ``specrun._text.safe`` before it is printed, so an escape
sequence shows as ``\x1b`` instead of acting on the terminal (or a CI log).
"""

from __future__ import annotations

import os
import sys
from typing import IO, Any

from specrun._text import safe
from specrun.estimate import format_usd
from specrun.plan import SUBMITTING, JobPlan, Plan

__all__ = ["use_color", "format_plan", "format_plan_markdown", "format_apply_summary"]

_COLORS = {"create": "32", "update": "33", "replace": "33", "retry": "33", "remove": "31", "wait": "36",
           "download": "36", "noop": "2"}


def use_color(stream: IO[str] | None = None) -> bool:
    """Colour only on a TTY, and never with NO_COLOR set to a non-empty value (https://no-color.org)."""
    if os.environ.get("NO_COLOR"):
        return False
    stream = stream or sys.stdout
    return bool(getattr(stream, "isatty", lambda: False)())


def _paint(text: str, code: str, color: bool) -> str:
    return f"\x1b[{code}m{text}\x1b[0m" if color else text


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}{'' if n == 1 else 's'}"


def format_plan(plan: Plan, *, color: bool = False) -> str:
    """The human plan: one line per job with its symbol, then the reason, then the summary."""
    lines: list[str] = []
    for warning in plan.warnings:
        lines.append(_paint(f"Warning: {safe(warning)}", "33", color))
    if plan.warnings:
        lines.append("")
    if plan.jobs:
        width = max(len(safe(job.job)) for job in plan.jobs)
        for job in plan.jobs:
            symbol = f"{job.symbol:>3}"
            head = (f"{symbol} {safe(job.job):<{width}}  {job.action:<8}  {_plural(job.requests, 'request'):>14}  "
                    f"{_plural(job.shards, 'shard'):>9}  {safe(job.model or '')}")
            lines.append(_paint(head.rstrip(), _COLORS[job.action], color))
            pad = f"    {' ' * width}  "
            lines.append(pad + safe(job.reason))
            if job.action in SUBMITTING:
                ledger = _ledger_line(job)
                if ledger:
                    lines.append(pad + ledger)
                if job.to_send is not None:
                    lines.append(pad + _money_line(job))
            if job.skipped:
                lines.append(pad + f"{job.skipped:,} row(s) too long: skipped (on_too_long: skip)")
            if job.batch_ids and job.action != "create":
                lines.append(pad + f"batches: {safe(', '.join(job.batch_ids))}")
        lines.append("")
    else:
        lines.append("No jobs.")
    lines.append(_paint(plan.summary_line(), "1", color))
    total = plan.estimated_cost
    if total is not None:
        budget = f" (budget {format_usd(plan.budget_usd)})" if plan.budget_usd is not None else ""
        lines.append(f"Estimated cost: {total}{budget}  [input only – every reply at its max tokens]")
    for violation in plan.budget_violations:
        lines.append(_paint(f"Over budget: {safe(violation)}", "31", color))
    return "\n".join(lines)


def _ledger_line(job: JobPlan) -> str:
    """What the row ledger saves: "1 to send, 500,000 from the ledger" (empty when it saves nothing)."""
    if job.to_send is None:
        return "requests to send and cost: known after the job it reads from applies"
    if not (job.reused or job.in_flight or job.duplicates or job.action == "update"):
        return ""
    parts = [f"{job.to_send:,} to send", f"{job.reused:,} from the ledger"]
    if job.in_flight:
        parts.append(f"{job.in_flight:,} already running")
    if job.duplicates:
        parts.append(f"{job.duplicates:,} identical to another request (sent once)")
    return ", ".join(parts)


def _money_line(job: JobPlan) -> str:
    # "heuristic", "tiktoken o200k_base", "tiktoken cl100k_base (proxy)" -> one level of parentheses
    counted = f" ({safe(job.token_counting.replace(' (proxy)', ', proxy'))})" if job.token_counting else ""
    text = f"~{job.estimated_input_tokens:,} input tokens{counted}, ≤{job.max_output_tokens:,} output tokens"
    if job.estimated_cost is not None:
        text += f", est. {job.estimated_cost}"
    if job.spent_usd is not None:
        text += f" (already spent: {format_usd(job.spent_usd)})"
    if job.reused_requests and not job.reused:  # (the ledger line says it otherwise)
        text += f"; reusing {job.reused_requests:,} result(s) already paid for"
    if job.budget_usd is not None:
        text += f", budget {format_usd(job.budget_usd)}"
    if job.expected_input_tokens is not None:
        cost = f" ≈ {format_usd(job.expected_cost_usd)}" if job.expected_cost_usd is not None else ""
        text += (f"; expected ~{job.expected_input_tokens:,} input + ~{job.expected_output_tokens or 0:,} output "
                 f"tokens{cost} from {job.expected_from:,} past answers")
    return text


def format_plan_markdown(plan: Plan) -> str:
    """A compact GitHub-flavoured summary for a pull-request comment."""
    def cell(text: Any) -> str:
        return safe(str(text).replace("|", "\\|").replace("\n", " "))

    lines = ["### specrun plan", "", f"**{plan.summary_line()}**", ""]
    for violation in plan.budget_violations:
        lines.append(f"> [!CAUTION]\n> **Over budget:** {cell(violation)}")
        lines.append("")
    for warning in plan.warnings:
        lines.append(f"> [!WARNING]\n> {cell(warning)}")
        lines.append("")
    if plan.jobs:
        lines.append("| | job | action | requests | to send | model | est. cost | reason |")
        lines.append("|---|---|---|---:|---:|---|---:|---|")
        for job in plan.jobs:
            cost = str(job.estimated_cost) if job.estimated_cost is not None else "–"
            to_send = "–" if job.action not in SUBMITTING else (
                "known after apply" if job.to_send is None else f"{job.to_send:,}")
            lines.append(f"| `{job.symbol}` | `{cell(job.job)}` | {job.action} | {job.requests:,} | {to_send} | "
                         f"{cell(job.model or '')} | {cost} | {cell(job.reason)} |")
        lines.append("")
    total = plan.estimated_cost
    if total is not None:
        budget = f" of a {format_usd(plan.budget_usd)} budget" if plan.budget_usd is not None else ""
        lines.append(f"**Estimated cost:** {total}{budget} (input only – every reply at its max tokens)")
        lines.append("")
    if plan.jobs:
        lines.append("<details><summary>Details</summary>")
        lines.append("")
        for job in plan.jobs:
            lines.append(f"- **{cell(job.job)}** ({job.action}): {job.requests:,} requests in "
                         f"{job.shards} shard{'s' if job.shards != 1 else ''}")
            if job.action in SUBMITTING:
                ledger = _ledger_line(job)
                if ledger:
                    lines.append(f"  - {ledger}")
                if job.to_send is not None:
                    lines.append(f"  - {_money_line(job)}")
            if job.skipped:
                lines.append(f"  - {job.skipped:,} row(s) too long: skipped")
            if job.input_sha256:
                lines.append(f"  - input sha256 `{job.input_sha256[:16]}…`")
            if job.batch_ids:
                lines.append(f"  - batches: {', '.join(f'`{cell(b)}`' for b in job.batch_ids)}")
        lines.append("")
        lines.append("</details>")
    return "\n".join(lines).rstrip() + "\n"


def format_apply_summary(report: Any, *, color: bool = False) -> str:
    """One line per job: outcome, ok/error counts, tokens, result path."""
    lines = []
    for outcome in report.outcomes:
        name, message = safe(outcome.job), safe(outcome.message or "")
        if outcome.status == "removed":
            lines.append(f"  - {name}: removed, {message}")
            continue
        if outcome.status == "submitted":
            lines.append(f"  > {name}: {message}")
            continue
        good = outcome.status == "completed"
        mark = _paint("ok" if good else safe(outcome.status.upper()), "32" if good else "31", color)
        counts = f"{outcome.ok:,} ok, {outcome.error:,} error"
        if outcome.skipped:
            counts += f", {outcome.skipped:,} skipped"
        tokens = outcome.prompt_tokens + outcome.completion_tokens
        line = f"  {mark} {name}: {counts}, {tokens:,} tokens"
        if outcome.output:
            line += f" -> {safe(outcome.output)}"
        if outcome.message and not good:
            line += f" ({message})"
        lines.append(line)
        if outcome.sent:
            lines.append(f"     sent {_plural(outcome.sent, 'request')}: ~{outcome.estimated_input_tokens:,} input "
                         f"tokens estimated, {outcome.reported_input_tokens:,} reported; "
                         f"{outcome.reported_output_tokens:,} output tokens reported "
                         f"(bound {outcome.max_output_tokens:,})")
        if outcome.reused:
            lines.append(f"     {_plural(outcome.reused, 'row')} answered from the ledger")
    return "\n".join(lines)
