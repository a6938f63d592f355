"""The jobs as a graph (DESIGN §8): which job reads which job's results.

``data: {job: NAME}`` makes a job *downstream* of NAME. The spec refuses unknown jobs
and circles (``spec.find_cycle``); here the graph is put in order (``in_order``: every
job after the jobs it reads), widened to what a set of jobs needs (``with_upstreams``),
and drawn for people (``draw``: text, Graphviz dot, Mermaid).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from specrun.spec import Spec

__all__ = ["upstream_of", "in_order", "with_upstreams", "downstream_of", "draw", "GRAPH_FORMATS"]

GRAPH_FORMATS = ("text", "dot", "mermaid")


def upstream_of(spec: Spec) -> dict[str, str | None]:
    """Each job → the job whose results it reads (None for a job that reads a data file)."""
    return {name: job.data.job for name, job in spec.jobs.items()}


def in_order(spec: Spec, names: Iterable[str] | None = None) -> list[str]:
    """The jobs (all, or ``names``) with every job after the jobs it reads; otherwise in spec order."""
    wanted = list(spec.jobs) if names is None else [n for n in spec.jobs if n in set(names)]
    reads = upstream_of(spec)
    placed: list[str] = []
    done: set[str] = set()

    def place(name: str) -> None:
        if name in done:
            return
        done.add(name)
        upstream = reads.get(name)
        if upstream is not None and upstream in wanted:
            place(upstream)
        placed.append(name)

    for name in wanted:
        place(name)
    return placed


def with_upstreams(spec: Spec, targets: Sequence[str]) -> list[str]:
    """``targets`` and every job they read from, directly or not (``--target`` brings them in)."""
    reads = upstream_of(spec)
    found: list[str] = []
    for name in targets:
        step: str | None = name
        while step is not None and step not in found:
            found.append(step)
            step = reads.get(step)
    return found


def downstream_of(spec: Spec, name: str) -> list[str]:
    """The jobs that read ``name``'s results, directly or not, in order."""
    reads = upstream_of(spec)
    below: set[str] = set()
    changed = True
    while changed:
        changed = False
        for job, upstream in reads.items():
            if job not in below and (upstream == name or upstream in below):
                below.add(job)
                changed = True
    return [job for job in in_order(spec) if job in below]


def draw(spec: Spec, output_format: str = "text") -> str:
    """The graph as text (one line per job), Graphviz ``dot`` or a Mermaid ``flowchart``."""
    order = in_order(spec)
    reads: Mapping[str, str | None] = upstream_of(spec)
    if output_format == "dot":
        lines = ["digraph specrun {", "  rankdir=LR;"]
        for name in order:
            label = _quoted(name)[:-1] + "\\n" + _quoted(spec.jobs[name].model)[1:]  # \n: a line break in dot
            lines.append(f"  {_quoted(name)} [label={label}];")
        lines += [f"  {_quoted(up)} -> {_quoted(name)};" for name in order if (up := reads[name])]
        return "\n".join([*lines, "}"]) + "\n"
    if output_format == "mermaid":
        ids = {name: f"j{i}" for i, name in enumerate(order)}
        lines = ["flowchart LR"]
        lines += [f'  {ids[name]}["{_mermaid(name)}"]' for name in order]
        lines += [f"  {ids[up]} --> {ids[name]}" for name in order if (up := reads[name])]
        return "\n".join(lines) + "\n"
    lines = []
    for name in order:
        job = spec.jobs[name]
        source = (f"reads job {reads[name]}" + (" (errors too)" if job.data.include_errors else "")
                  if reads[name] else f"reads {job.data.display_path or 'inline rows'}")
        structured = ", output_schema" if job.output_schema is not None else ""
        lines.append(f"{name}  ({source}{structured}) -> {job.output_display}")
    return "\n".join(lines) + ("\n" if lines else "")


def _quoted(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _mermaid(text: str) -> str:
    return text.replace('"', "#quot;")
