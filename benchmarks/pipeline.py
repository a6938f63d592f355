"""A two-stage pipeline at scale (issue #14, DESIGN §8): the downstream job's render rate
against a single job's, and its peak memory at 100k vs 1M upstream rows.

    .venv/bin/python benchmarks/pipeline.py               # 200k rows, real apply; RSS at 100k and 1M upstream rows
    .venv/bin/python benchmarks/pipeline.py --synthetic --rows 20000 --rss-rows 10000 100000   # quick look

One spec, two jobs, on the embedded local provider (echo engine, ``delay_ms: 0``):
``draft`` renders N synthetic ~600-byte CSV rows (benchmarks/render.py's article rows and
template); ``review`` has ``data: {job: draft}``: its rows are draft's result lines, and its
template reads ``row.row.id`` (the upstream's own input) and ``row.content`` (its answer),
a prompt of about the size of draft's (~3% longer), so the rates compare data paths.

What is real and what is synthetic:
- REAL: ``specrun apply --auto-approve`` of the whole pipeline on N rows (a subprocess,
  timed; both stages sent to the embedded provider). Its ``results/draft.jsonl`` is the
  downstream's input for the render rates. ``--synthetic`` skips the apply and writes
  that file with this script's generator instead.
- SYNTHETIC: the peak-RSS runs. ``results/draft.jsonl`` of 100k and 1M lines is written
  by this script in the exact results format (what the echo engine and the results join
  would write); ``specrun render --job review`` then renders only the downstream. When the
  real apply ran, the generator's N-line file is compared byte for byte with the real one.

Printed, from one run:
- the apply's seconds (real runs only);
- render rates (rows/s, best of --repeat, in-process ``render_job`` after an untimed
  warm-up, the jobs taking turns): draft over data.csv (the single-job baseline) and
  review over draft's results, and their ratio; for reference, review's template over the
  same file read as plain JSONL (``data: results/draft.jsonl``), which separates JSON
  parsing from the pipeline;
- peak RSS of a fresh ``specrun render --job review`` process at the two sizes, and the growth.

Goals: ratio downstream / single >= 0.8; peak RSS growth < 50 MB (the downstream reads its
input streaming). Exits 1 when a goal (or a check of the apply's results) fails, so the
script doubles as a check. The default run takes about 5 minutes on 2 cores (the apply
~70 s, the 1M-row render ~60 s) and ~3 GB of temporary disk.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import random
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from _cli import fail_on, run, specrun_command

MODEL = "meta-llama/Llama-3.1-8B-Instruct"
MAX_TOKENS = 256
VARIABLES = {"tone": "neutral", "audience": "busy readers"}
DRAFT_SYSTEM = "You summarize news articles for {{ vars.audience }} in a {{ vars.tone }} tone."
DRAFT_USER = "Title: {{ row.title }}\n\n{{ row.body }}\n\nSummarize the article above in three sentences."
REVIEW_SYSTEM = "You check summaries written for {{ vars.audience }} in a {{ vars.tone }} tone."
# About the size of draft's prompt (the echoed answer already holds the title), so the rates compare data paths.
REVIEW_USER = "{{ row.content }}\n\nFaithful? yes/no"


def job_yaml(name: str, data: str, custom_id: str, system: str, user: str) -> str:
    return (f"  {name}:\n"
            f"    data: {data}\n"
            f"    id: {json.dumps(custom_id)}\n"
            "    messages:\n"
            f"      - {{role: system, content: {json.dumps(system)}}}\n"
            f"      - {{role: user, content: {json.dumps(user)}}}\n")


HEADER = (
    "version: 1\n"
    "provider: {local: {engine: echo, delay_ms: 0}}\n"
    f"vars: {json.dumps(VARIABLES)}\n"
    f"defaults:\n  model: {MODEL}\n  params: {{temperature: 0, max_tokens: {MAX_TOKENS}}}\n"
    "jobs:\n"
)
PIPELINE_SPEC = (HEADER
                 + job_yaml("draft", "data.csv", "article-{{ row.id }}", DRAFT_SYSTEM, DRAFT_USER)
                 + job_yaml("review", "{job: draft}", "review-{{ row.row.id }}", REVIEW_SYSTEM, REVIEW_USER))
# The downstream's template over the same upstream file read as a plain JSONL data file.
REFERENCE_SPEC = HEADER + job_yaml("review_jsonl", "results/draft.jsonl", "review-{{ row.row.id }}",
                                   REVIEW_SYSTEM, REVIEW_USER)

NEWS = (
    "the council said on monday that its new plan would cut waiting times for patients by a third "
    "while researchers warned the data covered only one year and called for a longer study of costs "
    "prices rose again in march as the harvest fell short and roasters passed higher costs to shops "
    "volunteers removed tonnes of plastic from the river after storms carried waste from city drains"
)
WORDS = NEWS.split()


class Articles:
    """Row i of the data (id, title, body of ~600 bytes), the same in every run."""

    def __init__(self) -> None:
        rng = random.Random(42)
        self.sentences = [" ".join(rng.choices(WORDS, k=rng.randint(12, 20))).capitalize() + "."
                          for _ in range(2000)]
        self.titles = [" ".join(rng.choices(WORDS, k=7)).title() for _ in range(500)]

    def row(self, i: int) -> dict[str, str]:
        body = " ".join(self.sentences[(i * 7 + k * 131) % 2000] for k in range(6))
        return {"id": str(i), "title": self.titles[i % 500], "body": body}


def write_project(project: Path, rows: int, articles: Articles) -> Path:
    """The pipeline's spec, the reference spec and ``rows`` rows of data.csv; no results yet."""
    project.mkdir()
    (project / "specrun.yaml").write_text(PIPELINE_SPEC, encoding="utf-8")
    (project / "reference.yaml").write_text(REFERENCE_SPEC, encoding="utf-8")
    write_data(project / "data.csv", rows, articles)
    return project


def jobs(project: Path) -> tuple[tuple[str, Path], ...]:
    """The jobs whose render rates are compared, each with its spec file."""
    return (("draft", project / "specrun.yaml"), ("review", project / "specrun.yaml"),
            ("review_jsonl", project / "reference.yaml"))


def write_data(path: Path, rows: int, articles: Articles) -> None:
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "title", "body"])
        for i in range(rows):
            writer.writerow(articles.row(i).values())


def draft_result_lines(rows: int, articles: Articles) -> Iterator[str]:
    """draft's result lines as a real apply on the echo engine writes them (synthetic upstream results).

    The echo engine answers ``"echo: " + <last user message>`` cut to max_tokens * 4
    characters, with usage counted as characters / 4; the results join writes
    custom_id, index, status, content, error, usage, parsed, reused, row.
    """
    system = DRAFT_SYSTEM.replace("{{ vars.audience }}", VARIABLES["audience"]) \
                         .replace("{{ vars.tone }}", VARIABLES["tone"])
    for i in range(rows):
        row = articles.row(i)
        user = DRAFT_USER.replace("{{ row.title }}", row["title"]).replace("{{ row.body }}", row["body"])
        content = ("echo: " + user)[: MAX_TOKENS * 4]
        prompt_tokens = max(1, math.ceil((len(system) + len(user)) / 4))
        completion_tokens = max(1, math.ceil(len(content) / 4))
        record = {
            "custom_id": f"article-{i}", "index": i, "status": "ok", "content": content, "error": None,
            "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
                      "total_tokens": prompt_tokens + completion_tokens},
            "parsed": None, "reused": False, "row": row,
        }
        yield json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n"


def write_draft_results(path: Path, rows: int, articles: Articles) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8") as handle:
        chunk: list[str] = []
        for line in draft_result_lines(rows, articles):
            chunk.append(line)
            if len(chunk) == 10_000:
                handle.write("".join(chunk))
                chunk.clear()
        handle.write("".join(chunk))


def first_difference(path: Path, rows: int, articles: Articles) -> str | None:
    """Where the real results file differs from the synthetic lines (None: byte-identical)."""
    synthetic = draft_result_lines(rows, articles)
    number = 0
    with open(path, encoding="utf-8") as handle:
        for number, real in enumerate(handle, 1):
            expected = next(synthetic, "")
            if real != expected:
                return f"line {number}:\n    real:      {real[:300]!r}\n    synthetic: {expected[:300]!r}"
    return None if number == rows else f"the real file has {number:,} lines, expected {rows:,}"


def real_apply(project: Path, poll_interval: float) -> float:
    """`specrun apply --auto-approve` of both jobs; its wall-clock seconds."""
    seconds, _ = run([*specrun_command(), "apply", "--auto-approve", "--poll-interval", str(poll_interval)],
                     cwd=project)
    return seconds


def count_ok(path: Path) -> tuple[int, int]:
    """(lines, ok lines) of a results file, streamed."""
    lines = ok = 0
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            lines += 1
            ok += json.loads(line).get("status") == "ok"
    return lines, ok


def render_seconds(spec_path: Path, job_name: str, out_dir: Path) -> tuple[float, int, int]:
    """Seconds of one in-process ``render_job`` (spec loaded beforehand), requests and bytes; shards removed."""
    from specrun.render import render_job
    from specrun.spec import load_spec

    spec = load_spec(spec_path)
    started = time.perf_counter()
    rendered = render_job(spec, spec.jobs[job_name], out_dir)
    seconds = time.perf_counter() - started
    for shard in rendered.shards:
        shard.path.unlink()
    return seconds, rendered.requests, rendered.bytes


def peak_rss_mb(spec_path: Path, job_name: str, out_dir: Path) -> float:
    """Peak RSS of a fresh ``specrun render --job`` process, measured by a tiny parent that waits for it."""
    probe = (
        "import resource, subprocess, sys; "
        "subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL); "
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
    )
    command = [sys.executable, "-c", probe, sys.executable, "-m", "specrun", "render",
               "-f", str(spec_path), "--job", job_name, "--out", str(out_dir)]
    proc = subprocess.run(command, capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(command[4:])} exited {proc.returncode}:\n{proc.stdout}{proc.stderr}")
    kilobytes = int(proc.stdout.strip())
    return kilobytes / (1024 * 1024 if sys.platform == "darwin" else 1024)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=200_000, help="rows of the pipeline (apply and render rates)")
    parser.add_argument("--rss-rows", type=int, nargs=2, default=[100_000, 1_000_000], metavar=("SMALL", "LARGE"),
                        help="upstream result lines for the two peak-RSS runs")
    parser.add_argument("--repeat", type=int, default=3, help="renders of each job for the rates (the fastest counts)")
    parser.add_argument("--synthetic", action="store_true",
                        help="no apply: write draft's results for the rate comparison with this script's generator")
    parser.add_argument("--no-rss", action="store_true", help="skip the peak-RSS runs")
    parser.add_argument("--poll-interval", type=float, default=0.25, help="apply's --poll-interval")
    args = parser.parse_args()
    rows = args.rows
    articles = Articles()
    problems: list[str] = []

    with tempfile.TemporaryDirectory(prefix="specrun-bench-pipeline-") as tmp:
        root = Path(tmp)
        project = write_project(root / "pipeline", rows, articles)
        upstream = project / "results" / "draft.jsonl"
        data_bytes = (project / "data.csv").stat().st_size
        print(f"data: {rows:,} rows, {data_bytes / rows:.0f} bytes/row, {data_bytes / 1e6:.1f} MB "
              f"(embedded local provider, echo engine, delay_ms 0)")

        if args.synthetic:
            write_draft_results(upstream, rows, articles)
            print(f"upstream results: SYNTHETIC (--synthetic), {rows:,} lines written by this script")
        else:
            seconds = real_apply(project, args.poll_interval)
            print(f"real apply of the pipeline (draft -> review, {2 * rows:,} requests): {seconds:.1f} s "
                  f"= {rows / seconds:,.0f} rows/s through both stages")
            for job in ("draft", "review"):
                lines, ok = count_ok(project / "results" / f"{job}.jsonl")
                if lines != rows or ok != rows:
                    problems.append(f"apply: results/{job}.jsonl has {lines:,} lines, {ok:,} ok; expected {rows:,}")
                results_mb = (project / "results" / f"{job}.jsonl").stat().st_size / 1e6
                print(f"  results/{job}.jsonl: {lines:,} lines, {ok:,} ok, {results_mb:.1f} MB")
            difference = first_difference(upstream, rows, articles)
            print("  this script's synthetic results (used for RSS): "
                  + ("byte-identical to the real results/draft.jsonl" if difference is None
                     else f"DIFFER from the real results/draft.jsonl at {difference}"))
            if difference is not None:
                problems.append("synthetic upstream results differ from a real apply's (see above)")

        out_dir = root / "render-out"
        # Untimed first renders on a few rows: imports, template compilation, the token counter's tables.
        warm_up = write_project(root / "warm-up", 500, articles)
        write_draft_results(warm_up / "results" / "draft.jsonl", 500, articles)
        for job, path in jobs(warm_up):
            render_seconds(path, job, out_dir)
        timings: dict[str, list[float]] = {"draft": [], "review": [], "review_jsonl": []}
        sizes: dict[str, tuple[int, int]] = {}
        for _ in range(args.repeat):  # taking turns, so a slow moment of the machine hits both
            for job, path in jobs(project):
                seconds, requests, written = render_seconds(path, job, out_dir)
                timings[job].append(seconds)
                sizes[job] = requests, written
        rate = {job: sizes[job][0] / min(times) for job, times in timings.items()}
        for job, (requests, _) in sizes.items():
            if requests != rows:
                problems.append(f"render {job}: {requests:,} requests, expected {rows:,}")
        labels = {
            "draft": f"single job: draft over data.csv ({data_bytes / 1e6:.0f} MB)",
            "review": f"downstream: review over draft's results ({upstream.stat().st_size / 1e6:.0f} MB)",
            "review_jsonl": "reference: review's template, the same file as plain JSONL",
        }
        width = max(map(len, labels.values()))
        shown = {job: f"  {labels[job]:<{width}} {rate[job]:>8,.0f} rows/s ({min(timings[job]):.2f} s, "
                        f"{sizes[job][1] / max(sizes[job][0], 1):.0f} bytes/request)" for job in labels}
        ratio = rate["review"] / rate["draft"]
        print(f"render rate, best of {args.repeat} (in-process render_job, {rows:,} rows):")
        print(shown["draft"])
        print(shown["review"])
        print(f"  ratio downstream / single: {ratio:.2f} (goal: >= 0.8)")
        print(shown["review_jsonl"] + f"; downstream / this: {rate['review'] / rate['review_jsonl']:.2f}")
        if ratio < 0.8:
            problems.append(f"downstream render rate is {ratio:.2f}x the single job's (goal: >= 0.8)")

    if not args.no_rss:
        print("peak RSS of `specrun render --job review` (fresh process; SYNTHETIC upstream results):")
        figures = []
        for count in args.rss_rows:
            with tempfile.TemporaryDirectory(prefix="specrun-bench-pipeline-rss-") as tmp:
                rss_project = Path(tmp)
                (rss_project / "specrun.yaml").write_text(PIPELINE_SPEC, encoding="utf-8")  # no data.csv: not read
                write_draft_results(rss_project / "results" / "draft.jsonl", count, articles)
                size = (rss_project / "results" / "draft.jsonl").stat().st_size
                started = time.perf_counter()
                figures.append(peak_rss_mb(rss_project / "specrun.yaml", "review", rss_project / "out"))
                seconds = time.perf_counter() - started
                print(f"  {count:>9,} upstream rows ({size / 1e6:>5,.0f} MB): {figures[-1]:6.1f} MB "
                      f"({seconds:.1f} s, {count / seconds:,.0f} rows/s with start-up)")
        small, large = args.rss_rows
        growth = figures[1] - figures[0]
        print(f"  growth {small:,} -> {large:,} upstream rows: {growth:+.1f} MB (goal: < 50 MB)")
        if growth >= 50:
            problems.append(f"peak RSS grows by {growth:.1f} MB from {small:,} to {large:,} upstream rows "
                            "(goal: < 50 MB)")

    fail_on(problems, "GOALS")
    print("goals: ok (downstream renders at >= 0.8x a single job's rate; its memory does not grow with its input)")


if __name__ == "__main__":
    main()
