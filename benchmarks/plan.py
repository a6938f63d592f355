"""How close is a no-op `specrun plan` to just hashing the data, and how fast is start-up?

Builds a spec with N synthetic rows (default 100,000) on the embedded local provider
(echo engine), then times, each as a real CLI subprocess in one run:

- `sha256sum` of the data file: the baseline, since a no-op plan must hash the data
  (the job's fingerprint) and should do little else; hashlib's sha256 of it in this
  process is printed beside it (it can be much faster than coreutils: OpenSSL),
- `specrun --version`: process start-up, the floor under every command,
- `specrun render` (the cost of rendering the job once),
- `specrun apply --auto-approve` end to end (render, upload, batch, wait, download, join),
- `specrun plan` when nothing changed (must not re-render: fingerprint shortcut),
- `specrun plan` after a template edit (must re-render: shows what the shortcut saves).

The baseline, start-up and no-op plan are medians of --repeat runs (the data file is in
the page cache by then, for sha256sum and specrun alike). Goals (issue 10): no-op plan
≤ 1.3× sha256sum, `specrun --version` ≤ 0.15 s.

    python benchmarks/plan.py [--rows N] [--repeat K]
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import random
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from _cli import run, specrun_command

WORDS = ("batch inference latency throughput tokens model prompt dataset review budget invoice customer "
         "shipment warehouse analysis summary forecast contract release incident").split()

NOOP_PLAN_GOAL = 1.3  # × sha256sum of the data
VERSION_GOAL = 0.15  # seconds


def write_project(root: Path, rows: int) -> Path:
    rng = random.Random(7)
    data = root / "data.csv"
    with open(data, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "title", "body"])
        for i in range(rows):
            body = " ".join(rng.choice(WORDS) for _ in range(60))
            writer.writerow([i, f"Report {i}", body])
    spec = root / "specrun.yaml"
    spec.write_text(
        "version: 1\n"
        "provider: local\n"
        "jobs:\n"
        "  summarize:\n"
        "    model: meta-llama/Llama-3.1-8B-Instruct\n"
        "    data: data.csv\n"
        "    id: \"r-{{ row.id }}\"\n"
        "    messages:\n"
        "      - {role: system, content: \"Summarize the report in one sentence.\"}\n"
        "      - {role: user, content: \"{{ row.title }}: {{ row.body }}\"}\n"
        "    params: {max_tokens: 64}\n",
        encoding="utf-8",
    )
    return spec


def median_of(repeat: int, command: list[str], *, cwd: Path, expect: tuple[int, ...] = (0,)) -> float:
    return statistics.median(run(command, cwd=cwd, expect=expect)[0] for _ in range(repeat))


def hashlib_seconds(path: Path, repeat: int) -> float:
    """sha256 of the file in this process (OpenSSL, as specrun hashes it), no start-up: the true floor."""
    def once() -> float:
        started = time.perf_counter()
        digest = hashlib.sha256()
        with open(path, "rb") as handle:
            while chunk := handle.read(1 << 20):
                digest.update(chunk)
        return time.perf_counter() - started
    return statistics.median(once() for _ in range(repeat))


def verdict(ok: bool) -> str:
    return "ok" if ok else "MISSED"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5, help="runs per median (sha256sum, --version, no-op plan)")
    args = parser.parse_args()
    sha256sum = shutil.which("sha256sum")
    if sha256sum is None:
        raise SystemExit("sha256sum not found: it is the baseline of the no-op plan")
    specrun = specrun_command()
    with tempfile.TemporaryDirectory(prefix="specrun-bench-plan-") as tmp:
        root = Path(tmp)
        spec = write_project(root, args.rows)
        size = (root / "data.csv").stat().st_size
        print(f"data: {args.rows:,} rows, {size / 1e6:.1f} MB (embedded local provider, echo engine); "
              f"medians of {args.repeat} runs")
        render, _ = run([*specrun, "render"], cwd=root)
        apply, _ = run([*specrun, "apply", "--auto-approve", "--poll-interval", "1"], cwd=root)
        # Interleaved after apply, so the data file is equally warm for all three.
        hashing = median_of(args.repeat, [sha256sum, "data.csv"], cwd=root)
        in_process = hashlib_seconds(root / "data.csv", args.repeat)
        startup = median_of(args.repeat, [*specrun, "--version"], cwd=root)
        # --detailed-exitcode: 0 proves the plan found nothing to do (2 would mean changes).
        noop = median_of(args.repeat, [*specrun, "plan", "--detailed-exitcode"], cwd=root, expect=(0,))
        spec.write_text(spec.read_text().replace("one sentence", "two sentences"))
        changed, _ = run([*specrun, "plan", "--detailed-exitcode"], cwd=root, expect=(2,))
        ratio = noop / hashing
        print(f"sha256sum of the data (baseline):        {hashing:7.2f} s")
        print(f"  (hashlib.sha256 of it, in-process:     {in_process:7.2f} s)")
        print(f"process start-up (specrun --version):    {startup:7.2f} s   goal ≤ {VERSION_GOAL:.2f} s: "
              f"{verdict(startup <= VERSION_GOAL)}")
        print(f"specrun render:                          {render:7.2f} s")
        print(f"specrun apply (end to end):              {apply:7.2f} s = {args.rows / apply:,.0f} rows/s")
        print(f"specrun plan, nothing changed:           {noop:7.2f} s = {ratio:.2f}x sha256sum   "
              f"goal ≤ {NOOP_PLAN_GOAL}x: {verdict(ratio <= NOOP_PLAN_GOAL)}")
        print(f"specrun plan, template edited:           {changed:7.2f} s (re-renders)")
        print(f"no-op plan speed-up over a re-rendering plan: {changed / noop:.1f}x")


if __name__ == "__main__":
    main()
