"""What the row ledger buys on a big job: a one-row edit costs one request, not N (DESIGN §7).

Builds one job over a CSV of N synthetic rows (default 500,000; 50,000 requests a shard,
the OpenAI batch cap, so 10 shards) on the embedded local provider (echo engine,
`delay_ms: 0`), then, each as a real CLI subprocess in one run:

- `specrun apply --auto-approve` of the whole job: the baseline, "send everything",
- appends one row and runs `specrun plan --json` (must be `update`, 1 to send, N reused),
  then `specrun apply --auto-approve` (must send 1 request; the results must have N+1
  lines, the last `"reused": false`, every other `"reused": true`),
- `specrun plan --detailed-exitcode` when nothing changed (must say "no changes"),
- an edit of the system message, which touches every row: `specrun plan --json` must say
  `replace` with N+1 to send (planned only, not applied).

Requests sent are counted on the provider's side (`specrun batches ls --json`: the
`request_counts.total` of the batches each apply created), not taken from specrun's own
report. Apply times include polling, whose pauses are capped at --poll-interval.
Exits 1 if any of the above does not hold, so the script doubles as a check.
The default size takes about 3.5 minutes on 2 cores (the full apply ~105 s of it).

    python benchmarks/ledger.py [--rows N] [--repeat K] [--poll-interval S]
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import statistics
import tempfile
from pathlib import Path

from _cli import fail_on, run, specrun_command, timed_apply

WORDS = ("batch inference latency throughput tokens model prompt dataset review budget invoice customer "
         "shipment warehouse analysis summary forecast contract release incident").split()

JOB = "summarize"
SHARD_REQUESTS = 50_000  # the OpenAI per-batch cap: a big job is several shards, as it would be for real
SYSTEM = "Summarize the report in one sentence."


def write_project(root: Path, rows: int) -> Path:
    with open(root / "data.csv", "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "title", "body"])
        writer.writerows(data_row(i) for i in range(rows))
    spec = root / "specrun.yaml"
    spec.write_text(
        "version: 1\n"
        "provider: {local: {engine: echo, delay_ms: 0}}\n"
        "jobs:\n"
        f"  {JOB}:\n"
        "    model: meta-llama/Llama-3.1-8B-Instruct\n"
        "    data: data.csv\n"
        "    id: \"r-{{ row.id }}\"\n"
        "    messages:\n"
        f"      - {{role: system, content: \"{SYSTEM}\"}}\n"
        "      - {role: user, content: \"{{ row.title }}: {{ row.body }}\"}\n"
        "    params: {temperature: 0, max_tokens: 32}\n"
        f"    limits: {{max_requests: {SHARD_REQUESTS}}}\n",
        encoding="utf-8",
    )
    return spec


def data_row(i: int) -> list[object]:
    """Row i of the data, the same in every run (seeded by its index, so appending row N needs no state)."""
    rng = random.Random(i)
    return [i, f"Report {i}", " ".join(rng.choice(WORDS) for _ in range(20))]


def job_plan(specrun: list[str], root: Path) -> tuple[float, dict]:
    """`specrun plan --json`: its seconds and the job's object."""
    seconds, proc = run([*specrun, "plan", "--json"], cwd=root)
    jobs = {job["job"]: job for job in json.loads(proc.stdout)["jobs"]}
    return seconds, jobs[JOB]


def results_problems(path: Path, rows: int) -> list[str]:
    """What is wrong with the results after the one-row edit: N+1 lines, only the last one freshly answered."""
    count, errors, not_reused, last = 0, 0, [], {}
    with open(path, encoding="utf-8") as handle:  # streamed: N lines of JSON would not fit in memory at 10M rows
        for line in handle:
            if count and last.get("reused") is not True:
                not_reused.append(last.get("custom_id"))
            last = json.loads(line)
            count += 1
            errors += last.get("status") != "ok"
    problems = []
    if count != rows + 1:
        problems.append(f"results: {count:,} lines, expected {rows + 1:,}")
    if last.get("reused") is not False or last.get("custom_id") != f"r-{rows}":
        problems.append(f"results: last line is {last.get('custom_id')!r} reused={last.get('reused')!r}, "
                        f"expected 'r-{rows}' reused=False")
    if not_reused:
        problems.append(f"results: {len(not_reused):,} of the first {count - 1:,} lines not reused "
                        f"(first: {not_reused[0]!r})")
    if errors:
        problems.append(f"results: {errors:,} lines not ok")
    return problems


def expect(problems: list[str], what: str, actual: object, wanted: object) -> None:
    if actual != wanted:
        problems.append(f"{what}: {actual!r}, expected {wanted!r}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=500_000)
    parser.add_argument("--repeat", type=int, default=3, help="runs of the no-op plan (median)")
    parser.add_argument("--poll-interval", type=float, default=0.25,
                        help="apply's --poll-interval (cap of the pauses between polls), the same for both applies")
    args = parser.parse_args()
    rows = args.rows
    specrun = specrun_command()
    problems: list[str] = []
    with tempfile.TemporaryDirectory(prefix="specrun-bench-ledger-") as tmp:
        root = Path(tmp)
        spec = write_project(root, rows)
        size = (root / "data.csv").stat().st_size
        shards = -(-rows // SHARD_REQUESTS)
        print(f"data: {rows:,} rows, {size / 1e6:.1f} MB, {shards} shard{'s' if shards != 1 else ''} "
              f"(embedded local provider, echo engine, delay_ms 0)")

        full_seconds, full_sent = timed_apply(specrun, root, args.poll_interval)
        expect(problems, "full apply: requests sent", full_sent, rows)

        with open(root / "data.csv", "a", newline="", encoding="utf-8") as handle:
            csv.writer(handle).writerow(data_row(rows))
        plan_seconds, plan = job_plan(specrun, root)
        expect(problems, "one-row edit: plan action", plan["action"], "update")
        expect(problems, "one-row edit: plan to_send", plan["to_send"], 1)
        expect(problems, "one-row edit: plan reused", plan["reused"], rows)
        expect(problems, "one-row edit: plan requests", plan["requests"], rows + 1)
        edit_seconds, edit_sent = timed_apply(specrun, root, args.poll_interval)
        expect(problems, "one-row edit: requests sent", edit_sent, 1)
        problems += results_problems(root / "results" / f"{JOB}.jsonl", rows)

        # --detailed-exitcode: 0 proves the plan found nothing to do (2 would mean changes).
        noop_runs = [run([*specrun, "plan", "--detailed-exitcode"], cwd=root, expect=(0, 2))
                     for _ in range(args.repeat)]
        noop_seconds = statistics.median(seconds for seconds, _ in noop_runs)
        noop_codes = {proc.returncode for _, proc in noop_runs}
        noop_says = {proc.stdout.strip().splitlines()[-1] if proc.stdout.strip() else "" for _, proc in noop_runs}
        expect(problems, "no-op plan: --detailed-exitcode", noop_codes, {0})
        expect(problems, "no-op plan: last line", noop_says, {"No changes. Results are up to date."})

        spec.write_text(spec.read_text(encoding="utf-8").replace("one sentence", "two sentences"), encoding="utf-8")
        every_seconds, every = job_plan(specrun, root)
        expect(problems, "system-message edit: plan action", every["action"], "replace")
        expect(problems, "system-message edit: plan to_send", every["to_send"], rows + 1)

    cost = plan["estimated_cost_usd"] or {}
    every_cost = every["estimated_cost_usd"] or {}
    print(f"full apply (baseline, sends everything): {full_seconds:7.2f} s, {full_sent:,} requests sent "
          f"= {rows / full_seconds:,.0f} rows/s")
    print(f"plan after appending one row:            {plan_seconds:7.2f} s: {plan['action']}, "
          f"to_send {plan['to_send']}, reused {plan['reused']:,} of {plan['requests']:,} requests, "
          f"est. ${cost.get('min', 0):.7f}–${cost.get('max', 0):.7f}")
    print(f"apply of the one-row edit:               {edit_seconds:7.2f} s, {edit_sent:,} request(s) sent")
    print(f"  requests sent, full ÷ edit:               {full_sent / max(edit_sent, 1):,.0f}x")
    print(f"  apply seconds, edit ÷ full:               {edit_seconds / full_seconds:.3f}x")
    print(f"results: {rows + 1:,} lines, only the new row answered by a batch: "
          f"{'ok' if not any(p.startswith('results') for p in problems) else 'WRONG'}")
    print(f"plan, nothing changed (median of {args.repeat}):     {noop_seconds:7.2f} s: "
          f"exit {'/'.join(map(str, sorted(noop_codes)))}, {' / '.join(sorted(noop_says))!r}")
    print(f"plan after a system-message edit:        {every_seconds:7.2f} s: {every['action']}, "
          f"to_send {every['to_send']:,} of {every['requests']:,}, "
          f"est. ${every_cost.get('min', 0):.2f}–${every_cost.get('max', 0):.2f} (not applied)")
    fail_on(problems, "CONTRACT")
    print("contract: ok (a one-row edit sends one request; the rest comes from the ledger)")


if __name__ == "__main__":
    main()
