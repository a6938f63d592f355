"""``specrun ledger stats`` and ``specrun ledger prune``: the row ledger (DESIGN §7) in check.

Neither command talks to the provider: they read (and prune) the spec's own ledger,
``ledger.sqlite`` in its home beside the state.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from specrun.cli import main
from specrun.cli._common import CommonOptions, FiniteFloat, common_options
from specrun.errors import SpecError

if TYPE_CHECKING:
    from specrun.spec import Spec

__all__ = ["ledger"]


@main.group()
def ledger() -> None:
    """The row ledger: every answer the provider gave, by request (what lets an edit cost only what changed)."""


def _spec_and_home(opts: CommonOptions) -> tuple[Spec, Path]:
    from specrun.spec import load_spec
    from specrun.state import spec_home

    if not opts.spec_path.exists():
        raise SpecError(f"spec file {opts.spec_path} not found (pass -f/--file SPEC)")
    spec = load_spec(opts.spec_path, opts.vars)
    return spec, spec_home(spec.path, spec.jobs)


@ledger.command("stats")
@click.option("--json", "as_json", is_flag=True, help="Print the figures as one JSON object.")
@common_options
def ledger_stats(as_json: bool, opts: CommonOptions) -> None:
    """Entries, size, what the last plan reused, and what each model's answers really cost."""
    from specrun.ledger import LEDGER_FILE
    from specrun.workspace import ledger_store

    spec, home = _spec_and_home(opts)
    local = spec.backend.kind == "local"
    path = home / LEDGER_FILE
    if local and not path.exists():
        figures: dict[str, Any] = {"path": str(path), "entries": 0, "ok": 0, "error": 0, "bytes": 0,
                                   "oldest": None, "newest": None, "last_plan": None, "models": {}}
    else:
        book = ledger_store(spec, home)
        try:
            figures = book.stats()
            figures["models"] = {model: {"answers": n, "prompt_chars": chars, "prompt_tokens": prompt,
                                         "completion_tokens": completion}
                                 for model, (n, chars, prompt, completion) in book.usage_by_model().items()}
        finally:
            book.close()
    last = figures["last_plan"]
    if last is not None:
        asked = last.get("requests") or 0
        last["hit_rate"] = round(last.get("reused", 0) / asked, 6) if asked else None
    if as_json:
        click.echo(json.dumps(figures, indent=2))
        return
    click.echo(f"Ledger: {_shown(path) if local else figures['path']}")
    if not figures["entries"]:
        click.echo("  no answers yet (the first apply fills it)")
    else:
        click.echo(f"  entries: {figures['entries']:,} ({figures['ok']:,} ok, {figures['error']:,} error), "
                   f"{_size(figures['bytes'])}")
        click.echo(f"  answers recorded from {_day(figures['oldest'])} to {_day(figures['newest'])}")
    if last is not None:
        rate = f" (hit rate {last['hit_rate']:.1%})" if last["hit_rate"] is not None else ""
        click.echo(f"  last plan: {last['requests']:,} requests, {last['to_send']:,} to send, "
                   f"{last['reused']:,} from the ledger{rate}")
    for model, usage in figures["models"].items():
        per_char = usage["prompt_tokens"] / usage["prompt_chars"] if usage["prompt_chars"] else 0.0
        per_answer = usage["completion_tokens"] / usage["answers"] if usage["answers"] else 0.0
        click.echo(f"  {model}: {usage['answers']:,} answers, {per_char:.3f} input tokens per character, "
                   f"{per_answer:,.1f} completion tokens per answer")


@ledger.command("prune")
@click.option("--older-than", "days", required=True, type=FiniteFloat(min=0), metavar="DAYS",
              help="Forget answers recorded more than DAYS days ago.")
@common_options
def ledger_prune(days: float, opts: CommonOptions) -> None:
    """Forget old answers: a later edit that asks them again sends them again."""
    from specrun.ledger import LEDGER_FILE
    from specrun.workspace import ledger_store, state_store

    spec, home = _spec_and_home(opts)
    if spec.backend.kind == "local" and not (home / LEDGER_FILE).exists():
        click.echo(f"Nothing to prune: no ledger at {_shown(home / LEDGER_FILE)}.")
        return
    with state_store(spec, home).lock("ledger prune", opts.lock_timeout):
        book = ledger_store(spec, home)
        try:
            removed = book.prune(days)
            left = book.stats()["entries"]
        finally:
            book.close()
    click.echo(f"Pruned {removed:,} answer{'s' if removed != 1 else ''} older than {days:g} day"
               f"{'s' if days != 1 else ''}; {left:,} left.")


def _shown(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _size(count: int) -> str:
    size = float(count)
    for unit in ("bytes", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:,.0f} {unit}" if unit == "bytes" else f"{size:,.1f} {unit}"
        size /= 1024
    return f"{count} bytes"


def _day(epoch: float | None) -> str:
    if epoch is None:
        return "?"
    return datetime.fromtimestamp(epoch, tz=timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
