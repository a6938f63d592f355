"""What each provider type costs against one real `specrun serve` (README "Providers").

Starts ONE `python -m specrun serve --port P --data-dir D` (echo engine, no API keys, a
free port; stopped at the end, also on errors) and, for each type the server speaks —
`openai-compatible` (the baseline), `openai` and `anthropic` (the root URL, no /v1) —
builds a fresh project folder with one chat job over a CSV of N rows (default 20,000;
`limits: {max_requests: 5000}`, so several shards; the same request bodies for every type)
and runs, each as a real CLI subprocess (`python -m specrun`, SPECRUN_* variables removed,
NO_COLOR=1, the spec's api_key_env set to a dummy value):

1. `specrun apply --auto-approve`: the full apply, all N rows,
2. `specrun plan --detailed-exitcode` right after (must exit 0: no changes), median of --repeat runs,
3. one row's text edited, `specrun plan --json` (must say 1 to send: the row ledger), then
   `specrun apply --auto-approve`: the one-row edit.

Both applies get --poll-interval (default 0.2 s, the cap of the pauses between polls).
Before each type, the files the previous one left under /v1 are deleted (untimed): a fresh
project's first plan rebuilds its row ledger from every `specrun-*` file the server lists,
so `openai` after `openai-compatible` would answer every row from the baseline's batches.
(`--api-key` tenants would isolate them, but the anthropic client's `GET /v1/models` sends
only `x-api-key`, which the server accepts on /v1/messages* only.) Requests sent are counted
on the provider's side (`specrun batches ls --json`: N for the full apply, 1 for the edit);
the results file must have N lines, all `"status": "ok"`, after each apply. Prints a table
with ratios to openai-compatible's figures of the same run; exits 1 if a check fails.
A --rows 200 --repeat 1 smoke run takes ~15 s.

    python benchmarks/providers.py [--rows N] [--repeat K] [--poll-interval S]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from _cli import fail_on, run, timed_apply

SPECRUN = [sys.executable, "-m", "specrun"]

WORDS = ("batch", "inference", "latency", "throughput", "tokens", "model", "prompt", "dataset", "review", "budget",
         "invoice", "customer", "shipment", "warehouse", "analysis", "summary", "forecast", "contract", "incident")
JOB = "summarize"
SHARD_REQUESTS = 5_000
KEY_ENV = "BENCH_PROVIDER_KEY"  # the openai and anthropic specs' api_key_env: any value, the server has no keys
BASELINE = "openai-compatible"


def providers(port: int) -> dict[str, str]:
    """Provider type → its spec's ``provider:`` value (flow YAML)."""
    return {
        BASELINE: f"{{base_url: http://127.0.0.1:{port}/v1}}",
        "openai": f"{{type: openai, base_url: http://127.0.0.1:{port}/v1, api_key_env: {KEY_ENV}}}",
        "anthropic": f"{{type: anthropic, base_url: http://127.0.0.1:{port}, api_key_env: {KEY_ENV}}}",
    }


def write_data(root: Path, rows: int, edited: int | None = None) -> None:
    """The CSV, the same for every type (row i seeded by i); row ``edited`` gets a word more."""
    with open(root / "data.csv", "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "title", "body"])
        for i in range(rows):
            rng = random.Random(i)
            body = " ".join(rng.choice(WORDS) for _ in range(20)) + (" edited" if i == edited else "")
            writer.writerow([i, f"Report {i}", body])


def write_project(root: Path, rows: int, provider: str) -> None:
    root.mkdir(parents=True)
    write_data(root, rows)
    (root / "specrun.yaml").write_text(
        "version: 1\n"
        f"provider: {provider}\n"
        "defaults:\n"
        "  model: meta-llama/Llama-3.1-8B-Instruct\n"
        "  params: {max_tokens: 16}\n"
        "jobs:\n"
        f"  {JOB}:\n"
        "    data: data.csv\n"
        "    id: \"r-{{ row.id }}\"\n"
        "    messages:\n"
        "      - {role: system, content: \"Summarize the report in one sentence.\"}\n"
        "      - {role: user, content: \"{{ row.title }}: {{ row.body }}\"}\n"
        f"    limits: {{max_requests: {SHARD_REQUESTS}}}\n",
        encoding="utf-8",
    )


def clean_env(tmp: Path) -> dict[str, str]:
    """The environment without SPECRUN_* variables, NO_COLOR=1, the dummy key, and XDG_STATE_HOME in ``tmp``
    (where the anthropic client keeps its creation journals: not the user's ~/.local/state)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SPECRUN_")}
    return {**env, "NO_COLOR": "1", KEY_ENV: "bench-any-value", "XDG_STATE_HOME": str(tmp / "xdg-state")}


def free_port() -> int:  # as tests/e2e/conftest.py finds one
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(directory: Path, port: int, env: dict[str, str]) -> subprocess.Popen:
    """`specrun serve` on ``port``, up once /v1/active-models answers 200 (as tests/e2e/conftest.py waits)."""
    log = open(directory / "serve.log", "wb")  # noqa: SIM115 - the server writes to it until stopped
    process = subprocess.Popen([*SPECRUN, "serve", "--port", str(port),
                                "--data-dir", str(directory / "serve-data")],
                               stdout=log, stderr=subprocess.STDOUT, env=env, stdin=subprocess.DEVNULL)
    log.close()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"specrun serve exited {process.returncode}: {(directory / 'serve.log').read_text()}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/v1/active-models", timeout=1).status_code == 200:
                return process
        except httpx.TransportError:
            time.sleep(0.05)
    process.kill()
    raise SystemExit("specrun serve did not come up within 30 s")


def clear_files(port: int) -> int:
    """Delete every file listed under /v1 (uploads, batch outputs); return how many. Batches stay listed."""
    with httpx.Client(base_url=f"http://127.0.0.1:{port}/v1", timeout=30) as client:
        ids = [f["id"] for f in client.get("/files", params={"limit": 10_000}).raise_for_status().json()["data"]]
        for file_id in ids:
            client.delete(f"/files/{file_id}").raise_for_status()
        if client.get("/files", params={"limit": 10_000}).json()["data"]:
            raise SystemExit("specrun serve still lists files after they were deleted")
    return len(ids)


def check_results(path: Path, rows: int) -> str | None:
    """None if the results file has ``rows`` lines, all status ok; else what is wrong."""
    count = not_ok = 0
    with open(path, encoding="utf-8") as handle:  # (a missing file: the apply above would have failed)
        for line in handle:
            count, not_ok = count + 1, not_ok + (json.loads(line).get("status") != "ok")
    if count != rows or not_ok:
        return f"{path.name}: {count:,} lines ({rows:,} expected), {not_ok:,} not ok"
    return None


def measure(kind: str, root: Path, args: argparse.Namespace, problems: list[str]) -> dict[str, float]:
    env = clean_env(root.parent)
    results = root / "results" / f"{JOB}.jsonl"

    def check(what: str, seconds: float, sent: int, wanted: int) -> None:
        problem = check_results(results, args.rows)
        print(f"  {kind}: {what} {seconds:.2f} s, {sent:,} request(s) sent; "
              f"results: {problem or f'{args.rows:,} lines, all ok'}", flush=True)
        if sent != wanted:
            problems.append(f"{kind}: {what}: {sent:,} requests sent, expected {wanted:,}")
        if problem:
            problems.append(f"{kind}: after the {what}: {problem}")

    figures: dict[str, float] = {}
    figures["apply"], sent = timed_apply(SPECRUN, root, args.poll_interval, env)
    check("full apply", figures["apply"], sent, args.rows)
    noop = [run([*SPECRUN, "plan", "--detailed-exitcode"], cwd=root, env=env)[0]  # (2: not a no-op)
            for _ in range(args.repeat)]
    figures["plan"] = statistics.median(noop)
    write_data(root, args.rows, edited=args.rows // 2)
    _, proc = run([*SPECRUN, "plan", "--json"], cwd=root, env=env)
    to_send = {job["job"]: job for job in json.loads(proc.stdout)["jobs"]}[JOB]["to_send"]
    print(f"  {kind}: no-op plan {figures['plan']:.2f} s (median of {args.repeat}); "
          f"after editing row {args.rows // 2}: plan --json to_send = {to_send}", flush=True)
    if to_send != 1:
        problems.append(f"{kind}: plan after the one-row edit: to_send {to_send!r}, expected 1")
    figures["edit"], sent = timed_apply(SPECRUN, root, args.poll_interval, env)
    check("one-row edit apply", figures["edit"], sent, 1)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=20_000, help="rows of the job (--rows 200: a quick smoke run)")
    parser.add_argument("--repeat", type=int, default=3, help="runs of the no-op plan (median)")
    parser.add_argument("--poll-interval", type=float, default=0.2, help="both applies' --poll-interval")
    args = parser.parse_args()
    if args.rows < 2 or args.repeat < 1:
        parser.error("--rows must be at least 2 and --repeat at least 1")
    # A plain kill would skip the `finally` that stops the server: make it unwind like an error.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    problems: list[str] = []
    figures: dict[str, dict[str, float]] = {}
    shards = -(-args.rows // SHARD_REQUESTS)
    print(f"specrun provider types against one `specrun serve` (echo engine; python {sys.version.split()[0]}, "
          f"{os.cpu_count()} CPUs):\none chat job, {args.rows:,} CSV rows, "
          f"{shards} shard(s) of ≤ {SHARD_REQUESTS:,}; --poll-interval {args.poll_interval}", flush=True)
    with tempfile.TemporaryDirectory(prefix="specrun-bench-providers-") as tmp:
        port = free_port()
        kinds = providers(port)
        server = start_server(Path(tmp), port, clean_env(Path(tmp)))
        try:
            for kind, provider in kinds.items():
                if cleared := clear_files(port):
                    print(f"  (deleted the {cleared} files the previous type left on the server)", flush=True)
                root = Path(tmp) / kind
                write_project(root, args.rows, provider)
                figures[kind] = measure(kind, root, args, problems)
        finally:
            server.terminate()
            try:
                server.wait(10)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()

    base = figures[BASELINE]
    print()
    print(f"{'type':<18} {'full apply s':>12} {'no-op plan s':>12} {'one-row edit s':>14}   "
          f"{'ratios to ' + BASELINE + ' (apply / plan / edit)'}")
    for kind, values in figures.items():
        ratios = " / ".join(f"{values[k] / base[k]:.2f}x" for k in ("apply", "plan", "edit"))
        print(f"{kind:<18} {values['apply']:>12.2f} {values['plan']:>12.2f} {values['edit']:>14.2f}   {ratios}")
    fail_on(problems, "CHECKS")
    print(f"\nchecks: each type's full apply sent {args.rows:,} requests and its edit 1 (plan --json to_send = 1), "
          f"results {args.rows:,} lines all ok after both; every no-op plan said no changes")


if __name__ == "__main__":
    main()
