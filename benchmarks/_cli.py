"""Running the specrun CLI from a benchmark: timed, checked, and what a run sent.

Imported by the scripts beside it (``python benchmarks/x.py`` puts this folder on the path).
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

__all__ = ["specrun_command", "run", "batch_sizes", "timed_apply", "fail_on"]


def specrun_command() -> list[str]:
    """The installed `specrun` script beside this interpreter (what users run), else `python -m specrun`."""
    script = Path(sys.executable).parent / "specrun"
    return [str(script)] if script.is_file() else [sys.executable, "-m", "specrun"]


def run(command: list[str], *, cwd: Path, env: dict[str, str] | None = None,
        expect: tuple[int, ...] = (0,)) -> tuple[float, subprocess.CompletedProcess[str]]:
    """Run a command; return its wall-clock seconds and the finished process (exit code, stdout).
    An exit code outside ``expect`` ends the benchmark, showing the command's output."""
    started = time.perf_counter()
    proc = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, stdin=subprocess.DEVNULL)
    elapsed = time.perf_counter() - started
    if proc.returncode not in expect:
        raise SystemExit(f"in {cwd}: {' '.join(command)} exited {proc.returncode} (expected {expect}):\n"
                         f"{proc.stdout}{proc.stderr}")
    return elapsed, proc


def batch_sizes(specrun: list[str], root: Path, env: dict[str, str] | None = None) -> dict[str, int]:
    """Every batch the provider holds → its request count (the provider's raw JSON, not specrun's
    report; an Anthropic message batch has no total: its counts add up to it)."""
    _, proc = run([*specrun, "batches", "ls", "--json", "--limit", "100000"], cwd=root, env=env)
    counts = {batch["id"]: batch["request_counts"] for batch in json.loads(proc.stdout)}
    return {batch_id: c["total"] if "total" in c else sum(c.values()) for batch_id, c in counts.items()}


def timed_apply(specrun: list[str], root: Path, poll_interval: float,
                env: dict[str, str] | None = None) -> tuple[float, int]:
    """Apply with auto-approve; return its seconds and the requests it sent (sum over the batches it created)."""
    before = batch_sizes(specrun, root, env)
    seconds, _ = run([*specrun, "apply", "--auto-approve", "--poll-interval", str(poll_interval)], cwd=root, env=env)
    return seconds, sum(total for batch_id, total in batch_sizes(specrun, root, env).items() if batch_id not in before)


def fail_on(problems: list[str], heading: str) -> None:
    """Print the problems under ``heading`` (CHECKS, GOALS, ...) and end with exit 1, if there are any."""
    if problems:
        print(f"\n{heading} FAILED:\n  " + "\n  ".join(problems), file=sys.stderr)
        raise SystemExit(1)
