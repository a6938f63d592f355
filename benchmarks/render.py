"""Render throughput vs a naive renderer, and peak memory at 100k vs 1M rows.

    .venv/bin/python benchmarks/render.py                  # defaults: 200k rows; RSS at 100k and 1M
    .venv/bin/python benchmarks/render.py --rows 20000 --rss-rows 10000 50000   # quick look

Prints, from one run:
- specrun throughput (rows/s): ``render_job`` on N synthetic rows (~600-byte CSV rows, 3 fields);
- the naive baseline written below (whole file read into memory, jinja2 ``Template.render``
  per row and message, ``json.dumps`` per request) and the ratio specrun / naive;
- peak RSS of ``specrun render`` (a fresh process) at the two RSS sizes, and the growth.

Bar: ratio >= 1.0, and peak RSS grows by less than 20 MB from 100k to 1M rows.
Not part of the test run.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import io
import json
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import jinja2

SYSTEM = "You summarize news articles for {{ vars.audience }} in a {{ vars.tone }} tone."
USER = "Title: {{ row.title }}\n\n{{ row.body }}\n\nSummarize the article above in three sentences."
SPEC = f"""\
version: 1
vars: {{tone: neutral, audience: busy readers}}
defaults:
  model: meta-llama/Llama-3.1-8B-Instruct
  params: {{temperature: 0, max_tokens: 256}}
jobs:
  bench:
    data: rows.csv
    id: "article-{{{{ row.id }}}}"
    messages:
      - role: system
        content: {json.dumps(SYSTEM)}
      - role: user
        content: {json.dumps(USER)}
"""
WORDS = (
    "the council said on monday that its new plan would cut waiting times for patients by a third "
    "while researchers warned the data covered only one year and called for a longer study of costs "
    "prices rose again in march as the harvest fell short and roasters passed higher costs to shops "
    "volunteers removed tonnes of plastic from the river after storms carried waste from city drains"
).split()


def generate(path: Path, rows: int) -> None:
    """``rows`` CSV rows of ~600 bytes (id, title, body), deterministic."""
    rng = random.Random(42)
    sentences = [" ".join(rng.choices(WORDS, k=rng.randint(12, 20))).capitalize() + "." for _ in range(2000)]
    titles = [" ".join(rng.choices(WORDS, k=7)).title() for _ in range(500)]
    with open(path, "w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(["id", "title", "body"])
        for i in range(rows):
            body = " ".join(sentences[(i * 7 + k * 131) % 2000] for k in range(6))
            writer.writerow([i, titles[i % 500], body])


def naive_render(spec_dir: Path, out: Path) -> tuple[int, str]:
    """The straightforward way: whole file in memory, Template.render + json.dumps per row."""
    text = (spec_dir / "rows.csv").read_text(encoding="utf-8")
    rows = list(csv.DictReader(io.StringIO(text)))
    variables = {"tone": "neutral", "audience": "busy readers"}
    env = jinja2.Environment(undefined=jinja2.StrictUndefined)
    system, user, custom_id = (env.from_string(t) for t in (SYSTEM, USER, "article-{{ row.id }}"))
    lines = []
    for index, row in enumerate(rows):
        context = {"row": row, "index": index, "job": "bench", "vars": variables}
        request = {
            "custom_id": custom_id.render(context), "method": "POST", "url": "/v1/chat/completions",
            "body": {"model": "meta-llama/Llama-3.1-8B-Instruct",
                     "messages": [{"role": "system", "content": system.render(context)},
                                  {"role": "user", "content": user.render(context)}],
                     "temperature": 0, "max_tokens": 256},
        }
        lines.append(json.dumps(request, ensure_ascii=False, separators=(",", ":")) + "\n")
    data = "".join(lines).encode("utf-8")
    out.write_bytes(data)
    return len(rows), hashlib.sha256(data).hexdigest()


def specrun_render(spec_dir: Path, out_dir: Path) -> tuple[int, str]:
    from specrun.render import render_job
    from specrun.spec import load_spec

    spec = load_spec(spec_dir / "specrun.yaml")
    rendered = render_job(spec, spec.jobs["bench"], out_dir)
    return rendered.requests, rendered.input_sha256


def peak_rss_mb(spec_dir: Path, out_dir: Path) -> float:
    """Peak RSS of a fresh ``specrun render`` process, measured by a tiny parent that waits for it."""
    probe = (
        "import resource, subprocess, sys; "
        "subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL); "
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
    )
    command = [sys.executable, "-c", probe, sys.executable, "-m", "specrun", "render",
               "-f", str(spec_dir / "specrun.yaml"), "--out", str(out_dir)]
    kilobytes = int(subprocess.run(command, check=True, capture_output=True, text=True).stdout.strip())
    return kilobytes / (1024 * 1024 if sys.platform == "darwin" else 1024)


def make_project(root: Path, rows: int) -> Path:
    project = root / f"rows-{rows}"
    project.mkdir()
    (project / "specrun.yaml").write_text(SPEC, encoding="utf-8")
    generate(project / "rows.csv", rows)
    return project


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000, help="rows for the throughput comparison")
    parser.add_argument("--rss-rows", type=int, nargs=2, default=[100_000, 1_000_000], metavar=("SMALL", "LARGE"))
    parser.add_argument("--no-rss", action="store_true", help="skip the peak-RSS runs")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="specrun-bench-") as tmp:
        root = Path(tmp)
        project = make_project(root, args.rows)
        size = (project / "rows.csv").stat().st_size
        print(f"data: {args.rows:,} rows, {size / args.rows:.0f} bytes/row, {size / 1e6:.1f} MB")

        started = time.perf_counter()
        rows, specrun_sha = specrun_render(project, root / "specrun-out")
        specrun_seconds = time.perf_counter() - started
        started = time.perf_counter()
        naive_rows, naive_sha = naive_render(project, root / "naive.jsonl")
        naive_seconds = time.perf_counter() - started
        assert rows == naive_rows == args.rows
        same = "identical output" if specrun_sha == naive_sha else "OUTPUT DIFFERS"
        specrun_rate, naive_rate = rows / specrun_seconds, rows / naive_seconds
        print(f"specrun render: {specrun_rate:,.0f} rows/s ({specrun_seconds:.2f} s)")
        print(f"naive baseline: {naive_rate:,.0f} rows/s ({naive_seconds:.2f} s), {same}")
        print(f"ratio specrun/naive: {specrun_rate / naive_rate:.2f} (bar: >= 1.0)")

        if not args.no_rss:
            small, large = args.rss_rows
            figures = []
            for count in (small, large):
                rss_project = make_project(root, count) if count != args.rows else project
                started = time.perf_counter()
                figures.append(peak_rss_mb(rss_project, root / f"rss-out-{count}"))
                print(f"peak RSS of `specrun render` at {count:,} rows: {figures[-1]:.1f} MB "
                      f"({time.perf_counter() - started:.1f} s)")
                for path in (root / f"rss-out-{count}").glob("*"):
                    path.unlink()  # keep disk use bounded
            print(f"peak RSS growth {small:,} -> {large:,} rows: {figures[1] - figures[0]:+.1f} MB (bar: < 20 MB)")


if __name__ == "__main__":
    main()
