"""validate and render: everything that needs only the spec and its data (no network)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from specrun._text import safe
from specrun.cli import main
from specrun.cli._common import CommonOptions, common_options
from specrun.errors import DataError, RenderError, SpecError

if TYPE_CHECKING:
    from specrun.spec import Job, Spec

__all__ = ["validate", "render"]


@main.command()
@common_options
def validate(opts: CommonOptions) -> None:
    """Check the spec, its templates, its data and custom_id uniqueness (no network)."""
    from specrun.render import check_job
    from specrun.spec import load_spec, select_jobs

    spec = load_spec(opts.spec_path, opts.vars)
    jobs = select_jobs(spec, opts.targets)
    problems: list[str] = []
    lines: list[tuple[str, int, int, str]] = []
    waiting: list[str] = []
    for job in jobs:
        if job.data.job is not None and job.data.path is not None and not job.data.path.exists():
            waiting.append(f"{job.name}: reads the results of job {job.data.job}, not written yet: its rows are "
                           "checked once they are")
            continue
        try:
            check = check_job(spec, job)
        except (DataError, RenderError) as exc:
            problems.append(exc.message)
            continue
        _warn(check.warnings)
        lines.append((job.name, check.requests, check.shards, job.model))
    if problems:
        failed = _plural(len(problems), "job")
        raise SpecError(f"{spec.display_path}: {failed} cannot be rendered:", problems=problems)
    _warn(_spec_warnings(spec, jobs))  # once the spec is valid: errors come first
    for row in _aligned(lines):
        click.echo(row)
    for line in waiting:
        click.echo(safe(line))
    click.echo(f"Spec {spec.display_path} is valid ({_plural(len(jobs), 'job')}).")


@main.command()
@click.option("--format", "output_format", type=click.Choice(["text", "dot", "mermaid"]), default="text",
              show_default=True, help="dot: Graphviz; mermaid: a flowchart for docs and pull-request comments.")
@common_options
def graph(output_format: str, opts: CommonOptions) -> None:
    """Show which job reads which job's results (pipelines), in the order apply runs them."""
    from specrun.graph import draw
    from specrun.spec import load_spec

    spec = load_spec(opts.spec_path, opts.vars)
    click.echo(safe(draw(spec, output_format), None, newlines=True), nl=False)


@main.command()
@click.option("--job", "job_names", multiple=True, metavar="JOB", help="Render only this job (repeatable).")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Directory for the shard files (default: the spec's build folder, .specrun/build/).")
@common_options
def render(job_names: tuple[str, ...], out_dir: Path | None, opts: CommonOptions) -> None:
    """Write the request JSONL shard files; print rows, bytes, sha256 and paths."""
    from specrun.render import render_job
    from specrun.spec import load_spec, select_jobs

    spec = load_spec(opts.spec_path, opts.vars)
    jobs = select_jobs(spec, (*job_names, *opts.targets))
    out_dir = out_dir if out_dir is not None else _default_out_dir(spec)
    for job in jobs:
        if job.data.job is not None and job.data.path is not None and not job.data.path.exists():
            click.echo(safe(f"{job.name}: reads the results of job {job.data.job}, not written yet: nothing to "
                            "render until it applies"))
            continue
        rendered = render_job(spec, job, out_dir)
        _warn(rendered.warnings)
        click.echo(f"{job.name}: {_plural(rendered.requests, 'row')}, {rendered.bytes:,} bytes, "
                   f"{_plural(len(rendered.shards), 'shard')}, sha256 {rendered.input_sha256}")
        click.echo(f"  ~{rendered.estimated_input_tokens:,} input tokens (estimated), "
                   f"≤{rendered.max_output_tokens:,} output tokens")
        for shard in rendered.shards:
            click.echo(f"  {_show(shard.path)}  {_plural(shard.requests, 'row')}  {shard.bytes:,} bytes  "
                       f"sha256 {shard.sha256}")


def _default_out_dir(spec: Spec) -> Path:
    from specrun.state import spec_home

    return spec_home(spec.path, spec.jobs) / "build"  # this spec's own build folder


def _spec_warnings(spec: Spec, jobs: tuple[Job, ...]) -> tuple[str, ...]:
    """The spec's warnings, less those about jobs left out by --target."""
    chosen = {job.name for job in jobs}
    others = {warning for job in spec.jobs.values() if job.name not in chosen for warning in job.warnings}
    return tuple(warning for warning in spec.warnings if warning not in others)


def _warn(warnings: tuple[str, ...]) -> None:
    for warning in warnings:
        click.echo(f"Warning: {warning}", err=True)


def _plural(count: int, word: str, width: int = 0) -> str:
    return f"{count:>{width},} {word}{'' if count == 1 else 's'}"


def _aligned(rows: list[tuple[str, int, int, str]]) -> list[str]:
    """``name  rows  shards  model`` columns, numbers right-aligned."""
    if not rows:
        return []
    rows_width = max(len(f"{count:,}") for _, count, _, _ in rows)
    shards_width = max(len(f"{shards:,}") for _, _, shards, _ in rows)
    table = [(name, _plural(count, "row", rows_width), _plural(shards, "shard", shards_width), model)
             for name, count, shards, model in rows]
    widths = [max(len(row[column]) for row in table) for column in range(3)]
    # three padded columns, then the model as it is (zip stops at the three widths)
    return ["  ".join([*(cell.ljust(width) for cell, width in zip(row, widths, strict=False)), row[3]])
            for row in table]


def _show(path: Path) -> str:
    """A path relative to the working directory when it is under it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)
