"""The plan as values: actions, shard and job plans, the Plan, and what the planner is given.

``JobInputs`` (the spec side of a job, rendered or fingerprinted) and ``ProviderView``
(what the provider said) are all the planner reads: plain data, gathered by
``specrun.plan.refresh``, so ``specrun.plan.planner.decide`` can be pure.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from specrun.estimate import CostRange
from specrun.spec import Job
from specrun.state import JobState, ShardState, batch_status

__all__ = ["Action", "ACTIONS", "SYMBOLS", "CHANGING", "SUBMITTING", "PLAN_FORMAT_VERSION", "ShardPlan", "JobPlan",
           "Plan", "JobInputs", "ProviderView", "shard_plan_of", "with_batch", "current_shard_plans"]

PLAN_FORMAT_VERSION = 1


class Action(str, enum.Enum):
    """What apply does to one job (DESIGN §4); a plain string where text is expected."""

    CREATE = "create"
    UPDATE = "update"                 # the job changed; only the requests the ledger cannot answer are sent
    REPLACE = "replace"
    RETRY = "retry"
    REMOVE = "remove"
    WAIT = "wait"
    DOWNLOAD = "download"
    NOOP = "noop"

    __str__ = str.__str__          # "create", not "Action.CREATE" (also in f-strings, on every Python)

    def __format__(self, format_spec: str) -> str:
        return str.__format__(self, format_spec)

    @property
    def symbol(self) -> str:
        return _SYMBOLS[self]

    @property
    def submits(self) -> bool:
        """Sends requests, so costs money: create, update, replace, retry."""
        return self in (Action.CREATE, Action.UPDATE, Action.REPLACE, Action.RETRY)

    @property
    def changes(self) -> bool:
        return self is not Action.NOOP


_SYMBOLS = {Action.CREATE: "+", Action.UPDATE: "~", Action.REPLACE: "-/+", Action.RETRY: "~", Action.WAIT: ">",
            Action.DOWNLOAD: ">",
            Action.REMOVE: "-", Action.NOOP: "="}
ACTIONS = tuple(action.value for action in Action)
SYMBOLS = {action.value: action.symbol for action in Action}
CHANGING = frozenset(action for action in Action if action.changes)
SUBMITTING = frozenset(action for action in Action if action.submits)


@dataclass(frozen=True)
class ShardPlan:
    """One shard the executor will upload/submit, or already tracks."""

    index: int
    filename: str
    sha256: str
    bytes: int
    requests: int
    generation: int = 0
    file_id: str | None = None
    batch_id: str | None = None
    status: str | None = None
    adopted: bool = False
    output_file_id: str | None = None
    error_file_id: str | None = None
    completed: int = 0
    failed: int = 0
    total: int = 0

    @property
    def result_files(self) -> set[str]:
        return {f for f in (self.output_file_id, self.error_file_id) if f}


@dataclass(frozen=True)
class JobPlan:
    job: str
    action: Action                    # a plain string is accepted and converted
    reason: str
    requests: int
    shards: int
    model: str | None
    input_sha256: str | None
    batch_ids: tuple[str, ...] = ()
    fingerprint: str | None = None
    fingerprint_parts: Mapping[str, str] = field(default_factory=dict)
    shard_plans: tuple[ShardPlan, ...] = ()
    cancel_batch_ids: tuple[str, ...] = ()
    adopted: bool = False
    # money (see specrun.estimate): what submitting this job may cost
    estimated_input_tokens: int = 0
    max_output_tokens: int = 0
    estimated_cost: CostRange | None = None   # None: nothing new to pay, or no prices published
    spent_usd: float | None = None            # already paid for results this plan replaces or keeps
    reused_requests: int = 0                  # retry: requests whose results are kept, not re-sent
    budget_usd: float | None = None
    skipped: int = 0
    context_length: int | None = None         # the model's, when the requests were rendered
    retry_errors: bool = False                # retry: also re-send rows that failed inside completed batches
    token_counting: str | None = None         # how the input tokens were counted: "heuristic", "tiktoken o200k_base"
    # the row ledger (DESIGN §7): what apply sends, and what the ledger answers
    to_send: int | None = 0                   # request lines apply uploads (None: known only after an upstream job)
    reused: int = 0                           # requests answered from the ledger
    in_flight: int = 0                        # requests a batch already running will answer
    duplicates: int = 0                       # requests identical to one sent once already in this plan
    # history (the ledger's usage of this model): what sending is expected to take, from how many answers
    expected_input_tokens: int | None = None
    expected_output_tokens: int | None = None
    expected_cost_usd: float | None = None
    expected_from: int = 0

    def __post_init__(self) -> None:
        object.__setattr__(self, "action", Action(self.action))  # an unknown action is a ValueError here

    @property
    def symbol(self) -> str:
        return Action(self.action).symbol

    def to_json(self) -> dict[str, Any]:
        """The public per-job JSON of DESIGN §4 (plus the cost keys of format 1.1)."""
        return {
            "job": self.job,
            "action": self.action,
            "reason": self.reason,
            "requests": self.requests,
            "shards": self.shards,
            "model": self.model,
            "input_sha256": self.input_sha256,
            "batch_ids": list(self.batch_ids),
            "estimated_input_tokens": self.estimated_input_tokens,
            "max_output_tokens": self.max_output_tokens,
            "estimated_cost_usd": self.estimated_cost.to_json() if self.estimated_cost else None,
            "spent_cost_usd": round(self.spent_usd, 6) if self.spent_usd is not None else None,
            "reused_requests": self.reused_requests,
            "budget_usd": self.budget_usd,
            "skipped": self.skipped,
            "token_counting": self.token_counting,
            "to_send": self.to_send,
            "reused": self.reused,
            "in_flight": self.in_flight,
            "duplicates": self.duplicates,
            "expected": None if self.expected_input_tokens is None else {
                "input_tokens": self.expected_input_tokens, "output_tokens": self.expected_output_tokens,
                "cost_usd": round(self.expected_cost_usd, 6) if self.expected_cost_usd is not None else None,
                "from_answers": self.expected_from},
        }


@dataclass(frozen=True)
class Plan:
    jobs: tuple[JobPlan, ...]
    provider: str
    lineage: str | None               # None: made before any state existed
    serial: int | None
    warnings: tuple[str, ...] = ()
    budget_usd: float | None = None           # the total budget (spec budget and --max-cost, the lower)
    budget_violations: tuple[str, ...] = ()
    # The state was made against another provider: its jobs are unreachable from here and are
    # planned afresh; apply forgets them before anything else (decided here, not by the executor).
    provider_changed: bool = False
    ledger_revision: int | None = None        # the row ledger this plan's to_send was counted against

    @property
    def estimated_cost(self) -> CostRange | None:
        costs = [job.estimated_cost for job in self.jobs if job.estimated_cost is not None]
        return sum(costs[1:], costs[0]) if costs else None

    @property
    def has_changes(self) -> bool:
        return any(job.action in CHANGING for job in self.jobs)

    def summary(self) -> dict[str, int]:
        counts = dict.fromkeys(ACTIONS, 0)
        for job in self.jobs:
            counts[job.action] += 1
        return counts

    def summary_line(self) -> str:
        counts = self.summary()
        if not self.has_changes:
            return "No changes. Results are up to date."
        parts = [f"{counts['create']} to create"]
        if counts["update"]:
            parts.append(f"{counts['update']} to update")
        parts += [f"{counts['replace']} to replace",
                 f"{counts['retry']} to retry", f"{counts['remove']} to remove"]
        if counts["wait"]:
            parts.append(f"{counts['wait']} to wait for")
        if counts["download"]:
            parts.append(f"{counts['download']} to download")
        parts.append(f"{counts['noop']} unchanged")
        return "Plan: " + ", ".join(parts) + "."

    def to_json(self) -> dict[str, Any]:
        """Exactly the ``plan --json`` object of DESIGN §4."""
        cost = self.estimated_cost
        return {
            "format_version": PLAN_FORMAT_VERSION,
            "jobs": [job.to_json() for job in self.jobs],
            "summary": self.summary(),
            "estimated_cost_usd": cost.to_json() if cost else None,
            "budget": {"max_cost_usd": self.budget_usd, "violations": list(self.budget_violations)},
            "warnings": list(self.warnings),
        }


@dataclass(frozen=True)
class JobInputs:
    """What the planner knows of a job in the spec before deciding."""

    job: Job
    fingerprint: str
    fingerprint_parts: Mapping[str, str]
    input_sha256: str
    requests: int
    shards: tuple[ShardPlan, ...]      # rendered shards (empty when rendering was skipped)
    rendered: bool
    estimated_input_tokens: int = 0
    max_output_tokens: int = 0
    context_length: int | None = None
    skipped: int = 0
    warnings: tuple[str, ...] = ()     # what rendering noticed (a message that renders empty, skipped rows)
    counting: str | None = None        # how the input tokens were counted (Counting.describe())
    counting_note: str | None = None   # why exact counting was not possible, when it was wanted
    results: str | None = None         # the recorded results file now: "same", "missing", "changed", "export:<path>"
    # the row ledger: what the rendered shards hold (rendered with a SendFilter), and what they leave out
    to_send: int = 0
    reused: int = 0
    in_flight: int = 0
    duplicates: int = 0
    prompt_chars: int = 0              # message characters of the requests sent
    waiting_on: frozenset[str] = frozenset()  # running shards (by name) that hold requests this job needs
    forced: bool = False               # --replace: the ledger was ignored for this job
    retry_round: bool = False          # the shards are a new round of an unchanged job (what still has no answer)
    waits_for: str | None = None       # a pipeline job whose upstream (this job) changes: planned after it applies


@dataclass
class ProviderView:
    """What the provider said during refresh (plain data, no client)."""

    refreshed: bool = False
    batches: dict[str, Any] = field(default_factory=dict)            # batch_id → Batch
    files_by_name: dict[str, list[Any]] = field(default_factory=dict)  # filename → [FileObject]
    batches_by_file: dict[str, list[Any]] = field(default_factory=dict)  # file_id → [Batch]
    active_models: list[str] | None = None
    notes: list[str] = field(default_factory=list)
    models: dict[str, Any] = field(default_factory=dict)              # id → ModelConfig
    retry_files: dict[str, list[Any]] = field(default_factory=dict)   # job → its retry files (state lost)
    gone: set[str] = field(default_factory=set)                       # recorded batch ids the provider no longer has
    unrecorded_live: dict[str, list[str]] = field(default_factory=dict)  # job → live batches the state never recorded
    # shard filename → the batch found on its file, for recorded shards uploaded but without a batch id
    # (a crash between creating the batch and saving the state)
    recovered: dict[str, Any] = field(default_factory=dict)


def shard_plan_of(shard: ShardState, batch: Any = None) -> ShardPlan:
    """A recorded shard, as the refreshed batch (when there is one) says it is now."""
    plan = ShardPlan(index=shard.index, filename=shard.filename, sha256=shard.sha256, bytes=shard.bytes,
                     requests=shard.requests, generation=shard.generation, file_id=shard.file_id,
                     batch_id=shard.batch_id, status=shard.status, output_file_id=shard.output_file_id,
                     error_file_id=shard.error_file_id, completed=shard.completed, failed=shard.failed,
                     total=shard.total)
    return with_batch(plan, batch) if batch is not None else plan


def current_shard_plans(job_state: JobState, view: ProviderView) -> list[ShardPlan]:
    """The job's newest round, each shard as the refreshed batch (when there is one) says it is now."""
    return [shard_plan_of(s, view.batches.get(s.batch_id) if s.batch_id else None)
            for s in job_state.current_shards()]


def with_batch(shard: ShardPlan, batch: Any) -> ShardPlan:
    counts = getattr(batch, "request_counts", None)
    return replace(shard, batch_id=batch.id, status=batch_status(batch),
                   output_file_id=getattr(batch, "output_file_id", None) or shard.output_file_id,
                   error_file_id=getattr(batch, "error_file_id", None) or shard.error_file_id,
                   completed=getattr(counts, "completed", 0), failed=getattr(counts, "failed", 0),
                   total=getattr(counts, "total", 0))
