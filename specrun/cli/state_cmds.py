"""plan, apply, status, destroy: the Terraform-like workflow over the state file."""

from __future__ import annotations

import json
import sys
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from specrun._text import safe
from specrun.cli import main
from specrun.cli._common import CommonOptions, FiniteFloat, common_options
from specrun.errors import ApplyError, BudgetExceeded, SpecrunError, StalePlan

# The workflow modules are imported inside each command: `--help` and the other
# commands do not pay for them, and `plan` does not import the executor.
if TYPE_CHECKING:
    from specrun.apply import ApplyOptions
    from specrun.ledger import LedgerStore
    from specrun.plan import Plan
    from specrun.state import State
    from specrun.workspace import Workspace

__all__ = ["plan", "apply", "status", "destroy"]


def _workspace(opts: CommonOptions, *, claim: bool = False) -> Any:
    from specrun.workspace import open_workspace

    return open_workspace(opts.spec_path, var_overrides=opts.vars, base_url=opts.base_url, verbose=opts.verbose,
                          claim=claim)


def _confirm(action: str, auto_approve: bool) -> None:
    """Ask like Terraform; refuse without a TTY unless --auto-approve."""
    if auto_approve:
        return
    if not sys.stdin.isatty():
        alternative = (", or save a reviewed plan with `specrun plan --out FILE` and run `specrun apply FILE`"
                       if action == "apply" else "")
        raise SpecrunError(f"{action} needs approval, and there is no terminal to ask on. "
                           f"Pass --auto-approve{alternative}")
    click.echo("\nDo you want to perform these actions?\n  Only 'yes' will be accepted to approve.\n")
    try:
        answer = click.prompt("  Enter a value", default="", show_default=False)
    except click.Abort:  # Ctrl-D / Ctrl-C at the prompt
        answer = ""
    if answer.strip() != "yes":
        raise SpecrunError(f"{action} cancelled: nothing was done.")


def _same_options(opts: CommonOptions) -> str:
    """The options a later command needs to see the same spec: -f, --var, --target."""
    parts = []
    if opts.spec_path != Path("specrun.yaml"):
        parts.append(f"-f {opts.spec_path}")
    parts += [f"--var {k}={v}" for k, v in opts.vars.items()]
    parts += [f"--target {t}" for t in opts.targets]
    return "".join(" " + p for p in parts)


def _progress() -> Any:
    from specrun.cli._progress import LiveProgress, PlainProgress
    from specrun.report import use_color

    if sys.stderr.isatty():
        return LiveProgress(no_color=not use_color(sys.stderr))
    return PlainProgress(lambda line: click.echo(safe(line, None), err=True))


def _refuse_over_budget(the_plan: Plan, *, applying: bool) -> None:
    if the_plan.budget_violations:
        consequence = "nothing was sent" if applying else "apply would refuse this plan"
        raise BudgetExceeded(f"over budget ({consequence}): " + "; ".join(the_plan.budget_violations))


retry_errors_option = click.option(
    "--retry-errors", is_flag=True,
    help="Also re-send rows that failed inside completed batches (a retry of just those).")

replace_option = click.option(
    "--replace", "replace_jobs", multiple=True, metavar="JOB",
    help="Send every request of JOB again, ignoring the row ledger (repeatable).")

max_cost_option = click.option("--max-cost", type=FiniteFloat(min=0), default=None, metavar="USD",
                               help="Refuse plans that may cost more than this in all (high end of the estimate).")


@main.command()
@click.option("--out", "out_file", type=click.Path(dir_okay=False, path_type=Path),
              help="Save the plan for `apply FILE`.")
@click.option("--format", "output_format", type=click.Choice(["human", "json", "markdown"]), default="human",
              show_default=True, help="markdown: a compact summary for a pull-request comment.")
@click.option("--json", "as_json", is_flag=True, help="Same as --format json.")
@click.option("--detailed-exitcode", is_flag=True, help="Exit 0 with no changes, 2 with changes, 1 on error.")
@click.option("--no-refresh", is_flag=True, help="Do not contact the provider.")
@max_cost_option
@retry_errors_option
@replace_option
@common_options
def plan(out_file: Path | None, output_format: str, as_json: bool, detailed_exitcode: bool, no_refresh: bool,
         max_cost: float | None, retry_errors: bool, replace_jobs: tuple[str, ...], opts: CommonOptions) -> None:
    """Show what apply would do, and what it may cost."""
    from specrun.plan import make_plan, save_plan
    from specrun.report import format_plan, format_plan_markdown, use_color

    with _workspace(opts, claim=True) as ws, ws.lock("plan", opts.lock_timeout), ws.open_ledger() as ledger:
        state = ws.load_state()
        the_plan, _ = make_plan(ws.spec, state, None if no_refresh else ws.client, provider=ws.provider,
                                build_dir=ws.build_dir, targets=opts.targets, refresh_provider=not no_refresh,
                                max_cost_usd=max_cost, retry_errors=retry_errors, ledger=ledger,
                                downloads_dir=ws.downloads_dir, replace=replace_jobs)
        if out_file is not None and not the_plan.budget_violations:
            save_plan(out_file, the_plan, spec=ws.spec, var_overrides=opts.vars, targets=opts.targets)
    if as_json or output_format == "json":
        for warning in the_plan.warnings:
            click.echo(f"Warning: {safe(warning, None)}", err=True)
        click.echo(json.dumps(the_plan.to_json(), indent=2))
    elif output_format == "markdown":
        click.echo(format_plan_markdown(the_plan), nl=False)
    else:
        click.echo(format_plan(the_plan, color=use_color()))
        if out_file is not None and not the_plan.budget_violations:
            click.echo(f"\nSaved the plan to {out_file}. Apply exactly this plan with: "
                       f"specrun apply {out_file}{_same_options(opts)}")
    _refuse_over_budget(the_plan, applying=False)
    if detailed_exitcode and the_plan.has_changes:
        sys.exit(2)


@main.command()
@click.argument("plan_file", required=False, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--auto-approve", is_flag=True, help="Do not ask for confirmation.")
@click.option("--no-wait", is_flag=True, help="Return after submitting batches.")
@click.option("--poll-interval", default=30.0, show_default=True, type=FiniteFloat(min=0, min_open=True),
              help="Longest pause between polls, in seconds (polling starts at 1 s and grows x1.5).")
@click.option("--timeout", default=None, type=FiniteFloat(min=0, min_open=True),
              help="Give up waiting after this many seconds.")
@click.option("--fail-on-row-errors", is_flag=True, help="Exit 1 if any row failed inside a completed batch.")
@max_cost_option
@retry_errors_option
@replace_option
@common_options
def apply(plan_file: Path | None, auto_approve: bool, no_wait: bool, poll_interval: float,
          timeout: float | None, fail_on_row_errors: bool, max_cost: float | None, retry_errors: bool,
          replace_jobs: tuple[str, ...], opts: CommonOptions) -> None:
    """Upload, create batches, wait, download and join results."""
    from specrun.apply import ApplyOptions
    from specrun.plan import budget_violations, check_saved_plan, load_plan, make_plan
    from specrun.report import format_apply_summary, format_plan, use_color

    options = ApplyOptions(wait=not no_wait, poll_interval=max(poll_interval, 0.05), timeout=timeout,
                           fail_on_row_errors=fail_on_row_errors)
    with _workspace(opts, claim=True) as ws, ws.lock("apply", opts.lock_timeout), ws.open_ledger() as ledger:
        state = ws.load_state()
        if plan_file is not None:
            the_plan, document = load_plan(plan_file)
            if retry_errors or replace_jobs:
                flag = "--retry-errors" if retry_errors else "--replace"
                raise StalePlan(f"{flag} is decided when planning: run `specrun plan {flag} ... --out FILE` and "
                                "apply that plan")
            saved_targets = tuple(document.get("targets") or ())
            if opts.targets and tuple(opts.targets) != saved_targets:
                raise StalePlan(f"a saved plan carries its own targets ({', '.join(saved_targets) or 'all jobs'}); "
                                "run `specrun plan --target ... --out FILE` to plan other ones")
            saved_vars = document.get("vars") or {}
            if saved_vars != opts.vars:
                given = " ".join(f"--var {k}={v}" for k, v in saved_vars.items()) or "no --var options"
                raise StalePlan(f"Saved plan is stale: it was made with {given}; pass the same --var options "
                                "to apply it, or run `specrun plan` again")
            check_saved_plan(the_plan, ws.spec, state, provider=ws.provider, ledger_revision=ledger.revision)
            # Budgets are checked again against the spec as it is now, and --max-cost.
            violations = budget_violations(the_plan, ws.spec, max_cost_usd=max_cost)
            _refuse_over_budget(replace(the_plan, budget_violations=tuple(violations)), applying=True)
        else:
            the_plan, _ = make_plan(ws.spec, state, ws.client, provider=ws.provider, build_dir=ws.build_dir,
                                    targets=opts.targets, max_cost_usd=max_cost, retry_errors=retry_errors,
                                    ledger=ledger, downloads_dir=ws.downloads_dir, replace=replace_jobs)
            click.echo(format_plan(the_plan, color=use_color()))
            _refuse_over_budget(the_plan, applying=True)
            if not the_plan.has_changes:
                _fail_on_recorded_row_errors(state, the_plan, fail_on_row_errors)
                return
            _confirm("apply", auto_approve)
        report = _execute(ws, state, the_plan, options, ledger)
    click.echo("\nApply complete." if not report.failed_jobs else "\nApply finished with failures.")
    click.echo(format_apply_summary(report, color=use_color()))
    if report.failed_jobs:
        names = ", ".join(f"{o.job} ({o.status}{': ' + o.message if o.message else ''})" for o in report.failed_jobs)
        raise ApplyError(f"{len(report.failed_jobs)} job(s) did not complete: {names}")
    if fail_on_row_errors and report.row_errors:
        raise ApplyError(f"{report.row_errors} row(s) failed inside completed batches (--fail-on-row-errors)")


def _fail_on_recorded_row_errors(state: State | None, the_plan: Plan, enabled: bool) -> None:
    """With nothing to do, --fail-on-row-errors still judges the results as they stand."""
    if not enabled or state is None:
        return
    outputs = (state.jobs[job.job].output for job in the_plan.jobs if job.job in state.jobs)
    errors = sum(output.error for output in outputs if output is not None)
    if errors:
        raise ApplyError(f"{errors} row(s) failed inside completed batches (--fail-on-row-errors); "
                         "the results are unchanged. Re-run them with `specrun apply --retry-errors`")


def _execute(ws: Workspace, state: State | None, the_plan: Plan, options: ApplyOptions, ledger: LedgerStore) -> Any:
    from specrun.apply import Executor
    from specrun.state import State

    if state is None:
        state = State(provider=ws.provider)
    executor = Executor(ws.spec, state, ws.store, ws.client, build_dir=ws.build_dir,
                        downloads_dir=ws.downloads_dir, options=options, progress=_progress(), ledger=ledger,
                        echo=lambda line: click.echo(safe(line, None, newlines=True), err=True))
    return executor.run(the_plan)


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print status as JSON.")
@click.option("--no-refresh", is_flag=True, help="Do not contact the provider.")
@common_options
def status(as_json: bool, no_refresh: bool, opts: CommonOptions) -> None:
    """Show each job's batches, their states and counts, and the result files."""
    from specrun.status import job_statuses

    with _workspace(opts) as ws:
        state = ws.load_state()
        reachable = not no_refresh and state is not None and state.provider == ws.provider
        jobs = job_statuses(ws.spec, state, ws.client if reachable else None, targets=opts.targets)
    if as_json:
        click.echo(json.dumps({"format_version": 1, "provider": state.provider if state else ws.provider,
                               "serial": state.serial if state else None, "jobs": jobs}, indent=2))
        return
    if not jobs:
        click.echo("No jobs in state yet. Run `specrun plan` and `specrun apply`.")
        return
    for job in jobs:
        suffix = "" if job["in_spec"] else "  (no longer in the spec)"
        plural = "request" if job["requests"] == 1 else "requests"
        click.echo(f"{safe(job['job'])}  {job['requests']:,} {plural}  {safe(job['model'])}{suffix}")
        for b in job["batches"]:
            retry = f" retry {b['generation']}" if b["generation"] else ""
            click.echo(f"  shard {b['shard']}{retry}  {safe(b['batch_id'] or '(not submitted)')}  "
                       f"{safe(b['status'] or 'pending')}  {b['completed']}/{b['total']} done, {b['failed']} failed")
        out = job["output"]
        if out is None:
            click.echo("  results: not downloaded yet")
        else:
            missing = "" if out["exists"] else "  (missing on disk)"
            skipped = f", {out['skipped']:,} skipped" if out["skipped"] else ""
            click.echo(f"  results: {safe(out['path'])}  {out['ok']:,} ok, {out['error']:,} error{skipped}{missing}")


@main.command()
@click.option("--auto-approve", is_flag=True, help="Do not ask for confirmation.")
@common_options
def destroy(auto_approve: bool, opts: CommonOptions) -> None:
    """Cancel in-flight batches and forget the jobs (result files stay)."""
    from specrun.apply import ApplyOptions
    from specrun.plan import make_destroy_plan
    from specrun.report import format_apply_summary, format_plan, use_color

    with _workspace(opts, claim=True) as ws, ws.lock("destroy", opts.lock_timeout):
        state = ws.load_state()
        the_plan = make_destroy_plan(state, ws.client, provider=ws.provider, targets=opts.targets)
        if not the_plan.jobs:
            click.echo("Nothing to destroy: no jobs in state.")
            return
        click.echo(format_plan(the_plan, color=use_color()))
        _confirm("destroy", auto_approve)
        with ws.open_ledger() as ledger:
            report = _execute(ws, state, the_plan, ApplyOptions(wait=False), ledger)
    click.echo("\nDestroy complete.")
    click.echo(format_apply_summary(report, color=use_color()))
