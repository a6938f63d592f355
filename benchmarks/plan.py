"""How fast is a no-op `specrun plan`, and a whole `specrun apply`?

Builds a spec with N synthetic rows (default 100,000) on the embedded local provider
(echo engine), then times, each as a real CLI subprocess in one run:

- `specrun render` (the cost of rendering the job once),
- `specrun apply --auto-approve` end to end (render, upload, batch, wait, download, join),
- `specrun plan` when nothing changed (must not re-render: fingerprint shortcut),
- `specrun plan` after a template edit (must re-render: shows what the shortcut saves),

and prints the no-op plan's speed-up over a re-rendering plan.

    python benchmarks/plan.py [--rows N]
"""

from __future__ import annotations

import argparse
import csv
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

WORDS = ("batch inference latency throughput tokens model prompt dataset review budget invoice customer "
         "shipment warehouse analysis summary forecast contract release incident").split()


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


def timed(*args: str, cwd: Path) -> float:
    started = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "specrun", *args], cwd=cwd, capture_output=True, text=True,
                          stdin=subprocess.DEVNULL)
    elapsed = time.perf_counter() - started
    if proc.returncode not in (0, 2):
        raise SystemExit(f"specrun {' '.join(args)} failed ({proc.returncode}):\n{proc.stderr}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="specrun-bench-plan-") as tmp:
        root = Path(tmp)
        spec = write_project(root, args.rows)
        size = (root / "data.csv").stat().st_size
        print(f"data: {args.rows:,} rows, {size / 1e6:.1f} MB (embedded local provider, echo engine)")
        startup = timed("--version", cwd=root)
        render = timed("render", cwd=root)
        apply = timed("apply", "--auto-approve", "--poll-interval", "1", cwd=root)
        noop = min(timed("plan", "--detailed-exitcode", cwd=root) for _ in range(3))
        spec.write_text(spec.read_text().replace("one sentence", "two sentences"))
        changed = timed("plan", "--detailed-exitcode", cwd=root)
        print(f"process start-up (specrun --version):   {startup:7.2f} s")
        print(f"specrun render:                          {render:7.2f} s")
        print(f"specrun apply (end to end):              {apply:7.2f} s = {args.rows / apply:,.0f} rows/s")
        print(f"specrun plan, nothing changed:           {noop:7.2f} s")
        print(f"specrun plan, template edited:           {changed:7.2f} s (re-renders)")
        print(f"no-op plan speed-up over a re-rendering plan: {changed / noop:.1f}x")


if __name__ == "__main__":
    main()
