"""What a shared Postgres backend costs next to the local one (DESIGN §9, issue 15).

Starts a throwaway PostgreSQL cluster (``initdb`` + ``pg_ctl`` on a Unix socket in a temp
dir, as the backend tests do: as root the server runs as the ``postgres`` system user;
stopped and removed at the end, also on errors), and builds two copies of one spec — 10
jobs of --rows CSV rows each (default 300), on the embedded local provider (echo engine,
`delay_ms: 0`) — one on the default local backend (`.specrun/`: state file, SQLite
ledger), one with `backend: {type: postgres, url_env: SPECRUN_PG_URL, schema: bench}`.
Both are applied once, then, each as a real CLI subprocess with the same environment
(SPECRUN_PG_URL set for both), the two copies in turn (local, postgres, local, ...):

- `specrun plan --detailed-exitcode` when nothing changed: the baseline is the local
  backend's; goal (issue 15): Postgres ≤ 1.5× local,
- --repeat rounds of: one job's system message edited (a new wording each round), then
  `specrun plan --detailed-exitcode` (must exit 2) and `specrun apply --auto-approve`
  (must send that job's rows and nothing else: counted on the provider's side, from
  `specrun batches ls --json`), then a plan that must say "no changes" again.

Figures are medians of --repeat runs, Postgres ÷ local ratios beside them. Apply times
include polling, whose pauses are capped at --poll-interval (the same for both).
The server runs on the same machine with fsync off (as in the tests): this measures
what specrun does per command (connections, queries, round trips on a local socket),
not a disk's commit latency or a network's round trip to a team's server.
Exits 1 when the no-op goal is missed or a check above fails.

    python benchmarks/backend.py [--rows N] [--repeat K] [--poll-interval S]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import signal
import statistics
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repository: tests/pgcluster.py
from tests.pgcluster import ClusterError, throwaway_cluster

from _cli import fail_on, run, specrun_command, timed_apply

WORDS = ("batch inference latency throughput tokens model prompt dataset review budget invoice customer "
         "shipment warehouse analysis summary forecast contract release incident").split()

JOBS = 10
EDITED = 3  # the job whose template each edit round changes
NOOP_PLAN_GOAL = 1.5  # × the local backend's no-op plan
URL_ENV = "SPECRUN_PG_URL"
WORDINGS = ("one sentence", "two sentences", "three sentences", "four sentences", "five sentences",
            "six sentences", "seven sentences", "eight sentences", "nine sentences", "ten sentences")


# -- the throwaway server -------------------------------------------------------------------------


@contextmanager
def postgres_cluster() -> Iterator[str]:
    """A fresh PostgreSQL cluster on a Unix socket (the tests' own, tests/pgcluster.py); yields its URL."""
    try:
        with throwaway_cluster() as cluster:
            yield cluster.url()
    except ClusterError as exc:
        raise SystemExit(str(exc)) from None


# -- the two projects -----------------------------------------------------------------------------


def job_name(k: int) -> str:
    return f"job-{k:02d}"


EDITED_JOB = job_name(EDITED)


def write_project(root: Path, rows: int, backend: str | None) -> Path:
    """The 10-job spec and its data under ``root``; ``backend`` is the spec's ``backend:`` line, if any."""
    (root / "data").mkdir(parents=True)
    jobs = []
    for k in range(JOBS):
        rng = random.Random(k)  # the same data in both copies
        with open(root / "data" / f"{job_name(k)}.csv", "w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(["id", "title", "body"])
            for i in range(rows):
                writer.writerow([i, f"Report {k}.{i}", " ".join(rng.choice(WORDS) for _ in range(20))])
        jobs.append(
            f"  {job_name(k)}:\n"
            f"    data: data/{job_name(k)}.csv\n"
            f"    id: \"{job_name(k)}-{{{{ row.id }}}}\"\n"
            "    messages:\n"
            f"      - {{role: system, content: \"Job {k}: summarize the report in {WORDINGS[0]}.\"}}\n"
            "      - {role: user, content: \"{{ row.title }}: {{ row.body }}\"}\n"
        )
    spec = root / "specrun.yaml"
    spec.write_text(
        "version: 1\n"
        "provider: {local: {engine: echo, delay_ms: 0}}\n"
        + (f"backend: {backend}\n" if backend else "")
        + "defaults:\n"
        "  model: meta-llama/Llama-3.1-8B-Instruct\n"
        "  params: {temperature: 0, max_tokens: 32}\n"
        "jobs:\n"
        + "".join(jobs),
        encoding="utf-8",
    )
    return spec


def edit_template(spec: Path, wording: str) -> None:
    """Give the edited job's system message a new wording (the other nine jobs stay as they are)."""
    lines = spec.read_text(encoding="utf-8").splitlines(keepends=True)
    marker = f"Job {EDITED}: summarize the report in "
    for n, line in enumerate(lines):
        if marker in line:
            head = line.split(marker)[0]
            lines[n] = f"{head}{marker}{wording}.\"}}\n"
            break
    else:
        raise SystemExit(f"{spec}: the system message of {EDITED_JOB} was not found")
    spec.write_text("".join(lines), encoding="utf-8")


# -- running specrun ------------------------------------------------------------------------------


def plan_jobs(specrun: list[str], root: Path, env: dict[str, str]) -> dict[str, dict]:
    """`specrun plan --json`: job name → its object."""
    _, proc = run([*specrun, "plan", "--json"], cwd=root, env=env)
    return {job["job"]: job for job in json.loads(proc.stdout)["jobs"]}


def expect(problems: list[str], what: str, actual: object, wanted: object) -> None:
    if actual != wanted:
        problems.append(f"{what}: {actual!r}, expected {wanted!r}")


def verdict(ok: bool) -> str:
    return "ok" if ok else "MISSED"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=300, help="rows of each of the 10 jobs")
    parser.add_argument("--repeat", type=int, default=5, help="runs per median (no-op plan, and edit rounds)")
    parser.add_argument("--poll-interval", type=float, default=0.25,
                        help="apply's --poll-interval (cap of the pauses between polls), the same for both")
    args = parser.parse_args()
    if not 1 <= args.repeat <= len(WORDINGS) - 1:
        parser.error(f"--repeat must be 1 to {len(WORDINGS) - 1} (one new wording per edit round)")
    # A plain kill would skip the `finally` that stops the server: make it unwind like an error.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    specrun = specrun_command()
    problems: list[str] = []
    backends = ("local", "postgres")
    with postgres_cluster() as url, tempfile.TemporaryDirectory(prefix="specrun-bench-backend-") as tmp:
        env = {**os.environ, URL_ENV: url}
        roots = {name: Path(tmp) / name for name in backends}
        specs = {
            "local": write_project(roots["local"], args.rows, None),
            "postgres": write_project(roots["postgres"], args.rows,
                                      f"{{type: postgres, url_env: {URL_ENV}, schema: bench}}"),
        }
        print(f"spec: {JOBS} jobs × {args.rows:,} CSV rows (embedded local provider, echo engine, delay_ms 0); "
              f"PostgreSQL on a local Unix socket; medians of {args.repeat} runs")

        first_apply: dict[str, float] = {}
        for name in backends:
            first_apply[name], sent = timed_apply(specrun, roots[name], args.poll_interval, env)
            expect(problems, f"{name}: first apply: requests sent", sent, JOBS * args.rows)
            # Untimed: checks the no-op and warms both copies up (bytecode, page cache) before timing.
            jobs = plan_jobs(specrun, roots[name], env)
            expect(problems, f"{name}: plan after the first apply: actions",
                   {job["action"] for job in jobs.values()}, {"noop"})

        noop: dict[str, list[float]] = {name: [] for name in backends}
        for _ in range(args.repeat):
            for name in backends:
                seconds, proc = run([*specrun, "plan", "--detailed-exitcode"], cwd=roots[name], env=env,
                                    expect=(0, 2))
                noop[name].append(seconds)
                expect(problems, f"{name}: no-op plan: --detailed-exitcode", proc.returncode, 0)

        changed_plan: dict[str, list[float]] = {name: [] for name in backends}
        changed_apply: dict[str, list[float]] = {name: [] for name in backends}
        for round_number in range(1, args.repeat + 1):
            wording = WORDINGS[round_number]
            for name in backends:
                root = roots[name]
                edit_template(specs[name], wording)
                seconds, proc = run([*specrun, "plan", "--detailed-exitcode"], cwd=root, env=env, expect=(0, 2))
                changed_plan[name].append(seconds)
                expect(problems, f"{name}: round {round_number}: plan after the edit: --detailed-exitcode",
                       proc.returncode, 2)
                if round_number == 1:  # untimed: what the plan says, job by job
                    jobs = plan_jobs(specrun, root, env)
                    expect(problems, f"{name}: plan after the edit: {EDITED_JOB} to_send",
                           jobs[EDITED_JOB]["to_send"], args.rows)
                    expect(problems, f"{name}: plan after the edit: the other jobs' actions",
                           {job["action"] for other, job in jobs.items() if other != EDITED_JOB}, {"noop"})
                seconds, sent = timed_apply(specrun, root, args.poll_interval, env)
                changed_apply[name].append(seconds)
                expect(problems, f"{name}: round {round_number}: apply of the edit: requests sent", sent, args.rows)
                _, proc = run([*specrun, "plan", "--detailed-exitcode"], cwd=root, env=env, expect=(0, 2))
                expect(problems, f"{name}: round {round_number}: plan after the apply: --detailed-exitcode",
                       proc.returncode, 0)

    def line(label: str, figures: dict[str, list[float]] | dict[str, float], goal: float | None = None) -> bool:
        local, postgres = (statistics.median(v) if isinstance(v, list) else v
                           for v in (figures["local"], figures["postgres"]))
        ratio = postgres / local
        text = f"{label:<40} local {local:6.2f} s   postgres {postgres:6.2f} s   = {ratio:.2f}x local"
        if goal is not None:
            text += f"   goal ≤ {goal}x: {verdict(ratio <= goal)}"
        print(text)
        return goal is None or ratio <= goal

    line("first apply (10 jobs, all rows):", first_apply)
    goal_met = line("plan, nothing changed (baseline):", noop, NOOP_PLAN_GOAL)
    line(f"plan after editing {EDITED_JOB}'s template:", changed_plan)
    line(f"apply of that edit ({args.rows} requests):", changed_apply)
    fail_on(problems, "CHECKS")
    if not goal_met:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
