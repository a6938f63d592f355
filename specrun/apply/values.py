"""What apply is told (ApplyOptions) and what it reports (JobOutcome, ApplyReport, ProgressSink)."""

from __future__ import annotations

from dataclasses import dataclass, field

from specrun.errors import SpecrunError

__all__ = ["ApplyInterrupted", "ApplyOptions", "JobOutcome", "ApplyReport", "ProgressSink"]


class ApplyInterrupted(SpecrunError):
    """Ctrl-C while waiting: state saved, batches keep running."""

    exit_code = 130


@dataclass(frozen=True)
class ApplyOptions:
    wait: bool = True
    poll_interval: float = 30.0       # cap of the adaptive polling interval
    timeout: float | None = None      # give up waiting after this many seconds
    fail_on_row_errors: bool = False
    auto_retry_expired: bool = True   # one automatic retry of batches expiring during this apply


@dataclass
class JobOutcome:
    job: str
    status: str                       # completed | failed | expired | cancelled | submitted | removed | timeout
    ok: int = 0
    error: int = 0
    skipped: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    output: str | None = None
    message: str = ""
    reused: int = 0                   # rows answered from the row ledger
    # what this apply sent for the job: the plan's estimate against what the provider reported
    sent: int = 0
    estimated_input_tokens: int = 0
    max_output_tokens: int = 0
    reported_input_tokens: int = 0
    reported_output_tokens: int = 0


@dataclass
class ApplyReport:
    outcomes: list[JobOutcome] = field(default_factory=list)

    @property
    def failed_jobs(self) -> list[JobOutcome]:
        return [o for o in self.outcomes if o.status in ("failed", "expired", "cancelled", "timeout", "incomplete")]

    @property
    def row_errors(self) -> int:
        return sum(o.error for o in self.outcomes)


class ProgressSink:
    """Where the executor reports waiting progress: ``(job, status, done, failed, total)`` rows.

    The terminal displays (a live table, periodic plain lines) live with the CLI, in
    ``specrun.cli._progress``; this default shows nothing.
    """

    def update(self, rows: list[tuple[str, str, int, int, int]], elapsed: float) -> None: ...
    def close(self) -> None: ...
