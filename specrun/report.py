"""Turn Plans, apply reports and status into text for humans (JSON lives on the objects)."""

from __future__ import annotations

import os
import sys
from typing import IO, Any

from specrun.plan import Plan

__all__ = ["use_color", "format_plan", "format_apply_summary"]

_COLORS = {"create": "32", "replace": "33", "retry": "33", "remove": "31", "wait": "36", "download": "36",
           "noop": "2"}


def use_color(stream: IO[str] | None = None) -> bool:
    """Colour only on a TTY, and never with NO_COLOR set (https://no-color.org)."""
    if "NO_COLOR" in os.environ:
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
        lines.append(_paint(f"Warning: {warning}", "33", color))
    if plan.warnings:
        lines.append("")
    if plan.jobs:
        width = max(len(job.job) for job in plan.jobs)
        for job in plan.jobs:
            symbol = f"{job.symbol:>3}"
            head = (f"{symbol} {job.job:<{width}}  {job.action:<8}  {_plural(job.requests, 'request'):>14}  "
                    f"{_plural(job.shards, 'shard'):>9}  {job.model or ''}")
            lines.append(_paint(head.rstrip(), _COLORS[job.action], color))
            lines.append(f"    {' ' * width}  {job.reason}")
            if job.batch_ids and job.action != "create":
                lines.append(f"    {' ' * width}  batches: {', '.join(job.batch_ids)}")
        lines.append("")
    else:
        lines.append("No jobs.")
    lines.append(_paint(plan.summary_line(), "1", color))
    return "\n".join(lines)


def format_apply_summary(report: Any, *, color: bool = False) -> str:
    """One line per job: outcome, ok/error counts, tokens, result path."""
    lines = []
    for outcome in report.outcomes:
        if outcome.status == "removed":
            lines.append(f"  - {outcome.job}: removed ({outcome.message})")
            continue
        if outcome.status == "submitted":
            lines.append(f"  > {outcome.job}: {outcome.message}")
            continue
        good = outcome.status == "completed"
        mark = _paint("ok" if good else outcome.status.upper(), "32" if good else "31", color)
        counts = f"{outcome.ok:,} ok, {outcome.error:,} error"
        if outcome.skipped:
            counts += f", {outcome.skipped:,} skipped"
        tokens = outcome.prompt_tokens + outcome.completion_tokens
        line = f"  {mark} {outcome.job}: {counts}, {tokens:,} tokens"
        if outcome.output:
            line += f" -> {outcome.output}"
        if outcome.message and not good:
            line += f" ({outcome.message})"
        lines.append(line)
    return "\n".join(lines)
