"""Spec + state + a refreshed provider view → Plan.

The planner is split in two so that ``plan`` is trustworthy and testable:

- ``refresh(...)`` is the only part that talks to the provider: it GETs the
  in-flight batches recorded in state, looks up files/batches to adopt for jobs
  the state does not know, and reads the active model list. It returns a
  ``ProviderView`` (plain data).
- ``decide(...)`` is pure: from the jobs' inputs, the state and the view it
  derives one ``JobPlan`` per job with an action and a one-line reason.

``make_plan`` glues them together with rendering. The executor (``apply.py``)
never decides what to do: it follows the Plan.
"""

from __future__ import annotations

import difflib
import enum
import json
import logging
import re
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

from specrun.errors import APIError, NotFound, PlanError, StalePlan
from specrun.render import fingerprint_of, fingerprint_parts
from specrun.estimate import DEFAULT_MAX_OUTPUT_TOKENS, CostRange, Prices, cost_range, format_usd
from specrun._batch_status import is_dead, is_live
from specrun.spec import Job, Spec
from specrun.state import (
    JobState,
    ShardState,
    State,
    batch_status,
    newest_usable_batch,
)
from specrun.provider import Provider

__all__ = [
    "Action",
    "ACTIONS",
    "SYMBOLS",
    "PLAN_FORMAT_VERSION",
    "ShardPlan",
    "JobPlan",
    "Plan",
    "JobInputs",
    "ProviderView",
    "fingerprint_parts",
    "fingerprint_of",
    "job_inputs",
    "refresh",
    "decide",
    "make_plan",
    "save_plan",
    "load_plan",
    "check_saved_plan",
    "make_destroy_plan",
    "budget_violations",
]

log = logging.getLogger("specrun.plan")

PLAN_FORMAT_VERSION = 1


class Action(str, enum.Enum):
    """What apply does to one job (DESIGN §4); a plain string where text is expected."""

    CREATE = "create"
    REPLACE = "replace"
    RETRY = "retry"
    REMOVE = "remove"
    WAIT = "wait"
    DOWNLOAD = "download"
    NOOP = "noop"

    __str__ = str.__str__          # "create", not "Action.CREATE" (also in f-strings, on every Python)
    __format__ = str.__format__

    @property
    def symbol(self) -> str:
        return _SYMBOLS[self]

    @property
    def submits(self) -> bool:
        """Sends requests, so costs money: create, replace, retry."""
        return self in (Action.CREATE, Action.REPLACE, Action.RETRY)

    @property
    def changes(self) -> bool:
        return self is not Action.NOOP


_SYMBOLS = {Action.CREATE: "+", Action.REPLACE: "-/+", Action.RETRY: "~", Action.WAIT: ">", Action.DOWNLOAD: ">",
            Action.REMOVE: "-", Action.NOOP: "="}
ACTIONS = tuple(action.value for action in Action)
SYMBOLS = {action.value: action.symbol for action in Action}
CHANGING = frozenset(action for action in Action if action.changes)
SUBMITTING = frozenset(action for action in Action if action.submits)


# --------------------------------------------------------------------------- values


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

    @property
    def estimated_cost(self) -> CostRange | None:
        costs = [job.estimated_cost for job in self.jobs if job.estimated_cost is not None]
        return sum(costs[1:], costs[0]) if costs else None

    @property
    def has_changes(self) -> bool:
        return any(job.action in CHANGING for job in self.jobs)

    def summary(self) -> dict[str, int]:
        counts = {action: 0 for action in ACTIONS}
        for job in self.jobs:
            counts[job.action] += 1
        return counts

    def summary_line(self) -> str:
        counts = self.summary()
        if not self.has_changes:
            return "No changes. Results are up to date."
        parts = [f"{counts['create']} to create", f"{counts['replace']} to replace",
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


# --------------------------------------------------------------------------- fingerprints


def _describe_change(old: Mapping[str, str], new: Mapping[str, str], job: Job) -> str:
    if not old:
        return "requests changed"
    changed: list[str] = []
    for key in new:
        if key not in old:
            changed.append(f"{key} added")
        elif old[key] != new[key]:
            if key.startswith("messages["):
                changed.append(f"{key} template edited")
            elif key == "data":
                changed.append(f"data changed ({job.data.display_path or 'inline rows'})")
            elif key == "model":
                changed.append(f"model changed to {job.model}")
            else:
                changed.append(f"{key} changed")
    changed += [f"{key} removed" for key in old if key not in new and key.startswith("messages[")]
    return "requests changed: " + ", ".join(changed) if changed else "requests changed"


# --------------------------------------------------------------------------- inputs


def job_inputs(spec: Spec, job: Job, state_job: JobState | None, build_dir: Path, *,
               context_length: int | None = None, force_render: bool = False) -> JobInputs:
    """Fingerprint the job; render it only when its inputs changed since the state.

    A no-op plan reuses the fingerprint and never re-renders, which keeps
    ``plan`` fast for big, unchanged jobs. ``context_length`` (the model's, when
    the provider publishes it) turns on the context check while rendering.
    """
    from specrun.render import render_job

    parts = fingerprint_parts(spec, job)
    fingerprint = fingerprint_of(parts)
    if context_length is None and state_job is not None:
        # Offline (--no-refresh) or a provider that stopped saying: keep the context the
        # job was rendered with, so skipped rows stay skipped and nothing is re-sent.
        context_length = state_job.context_length
    same_context = job.on_too_long != "skip" or state_job is None or state_job.context_length == context_length
    if state_job is not None and state_job.fingerprint == fingerprint and same_context and not force_render:
        return JobInputs(job, fingerprint, parts, state_job.input_sha256, state_job.requests,
                         tuple(_shard_plan_of(s) for s in state_job.shards if s.generation == 0), False,
                         state_job.estimated_input_tokens, state_job.max_output_tokens,
                         state_job.context_length, state_job.skipped, counting=state_job.token_counting)
    rendered = render_job(spec, job, build_dir, context_length=context_length, fingerprint=fingerprint)
    shards = tuple(
        ShardPlan(index=s.index, filename=s.filename, sha256=s.sha256, bytes=s.bytes, requests=s.requests)
        for s in rendered.shards
    )
    return JobInputs(job, fingerprint, parts, rendered.input_sha256, rendered.requests, shards, True,
                     rendered.estimated_input_tokens, rendered.max_output_tokens, context_length, rendered.skipped,
                     tuple(rendered.warnings), rendered.counting.describe(), rendered.counting.note)


def _shard_plan_of(shard: ShardState, batch: Any = None) -> ShardPlan:
    """A recorded shard, as the refreshed batch (when there is one) says it is now."""
    plan = ShardPlan(index=shard.index, filename=shard.filename, sha256=shard.sha256, bytes=shard.bytes,
                     requests=shard.requests, generation=shard.generation, file_id=shard.file_id,
                     batch_id=shard.batch_id, status=shard.status, output_file_id=shard.output_file_id,
                     error_file_id=shard.error_file_id, completed=shard.completed, failed=shard.failed,
                     total=shard.total)
    return _with_batch(plan, batch) if batch is not None else plan


def _with_batch(shard: ShardPlan, batch: Any) -> ShardPlan:
    counts = getattr(batch, "request_counts", None)
    return replace(shard, batch_id=batch.id, status=batch_status(batch),
                   output_file_id=getattr(batch, "output_file_id", None) or shard.output_file_id,
                   error_file_id=getattr(batch, "error_file_id", None) or shard.error_file_id,
                   completed=getattr(counts, "completed", 0), failed=getattr(counts, "failed", 0),
                   total=getattr(counts, "total", 0))


# --------------------------------------------------------------------------- refresh (I/O)


def fetch_models(client: Provider) -> tuple[dict[str, Any] | None, list[str]]:
    """The provider's active models (id → ModelConfig), or None when it cannot say."""
    try:
        return {m.id: m for m in client.model_config()}, []
    except APIError as exc:
        if isinstance(exc, NotFound) or exc.status_code in (404, 405, 501):
            return None, ["the provider does not list active models; model names were not checked"]
        raise


def refresh(client: Provider, state: State | None, inputs: Sequence[JobInputs], *,
            provider_matches: bool, removed: Iterable[str] = (),
            models: dict[str, Any] | None = None, notes: Sequence[str] = ()) -> ProviderView:
    """Ask the provider what the plan needs to know. The only I/O of planning."""
    view = ProviderView(refreshed=True, notes=list(notes), models=dict(models or {}),
                        active_models=list(models) if models is not None else None)
    known = state.jobs if (state is not None and provider_matches) else {}
    batch_ids: list[str] = []
    for name in [i.job.name for i in inputs] + list(removed):
        job_state = known.get(name)
        if job_state is None:
            continue
        for shard in job_state.shards:
            if shard.batch_id and (shard.status is None or is_live(shard.status)):
                batch_ids.append(shard.batch_id)
    for batch_id in batch_ids:
        try:
            view.batches[batch_id] = client.get_batch(batch_id)
        except NotFound:
            view.notes.append(f"batch {batch_id} recorded in state no longer exists on the provider")
    from specrun.render import retry_prefix

    lookups: list[ShardPlan] = []
    prefixes: dict[str, str] = {}  # retry-file prefix → job
    for item in inputs:
        job_state = known.get(item.job.name)
        if job_state is not None:
            # Shards recorded without a file or batch (a crash mid-apply) are looked up too.
            lookups += [s for s in (_shard_plan_of(s) for s in job_state.current_shards()) if not s.batch_id]
        elif item.rendered:
            lookups += item.shards
            prefixes[retry_prefix(item.job.name, item.input_sha256)] = item.job.name
    # One listing pass for all files, one for all batches, however many shards.
    names = {s.filename for s in lookups if not s.file_id}
    files = client.files_matching(names, prefixes) if (names or prefixes) else []
    for name in names:  # sizes are checked per shard, in _adopt
        view.files_by_name[name] = [f for f in files if f.filename == name]
    for prefix, job_name in prefixes.items():
        view.retry_files[job_name] = [f for f in files if (f.filename or "").startswith(prefix)]
    file_ids = {s.file_id for s in lookups if s.file_id}
    file_ids |= {f.id for files in view.files_by_name.values() for f in files}
    file_ids |= {f.id for files in view.retry_files.values() for f in files}
    view.batches_by_file.update(client.batches_by_input_file(file_ids))
    return view


# --------------------------------------------------------------------------- decide (pure)


def decide(spec: Spec, inputs: Sequence[JobInputs], state: State | None, view: ProviderView, *,
           provider: str, targets: Sequence[str] = (), retry_errors: bool = False) -> Plan:
    """Derive the plan. Pure: no I/O, same arguments → same Plan."""
    warnings: list[str] = list(view.notes)
    provider_matches = state is None or not state.provider or state.provider == provider
    known: Mapping[str, JobState] = state.jobs if state is not None else {}
    if not provider_matches:
        warnings.append(
            f"state was made against provider {state.provider}, now {provider}: the batches recorded "
            "there are not reachable from here and are ignored (no mixing); jobs are planned afresh"
        )
        known = {}
    jobs: list[JobPlan] = []
    errors: list[str] = []
    for item in inputs:
        warnings.extend(item.warnings)
        if item.counting_note and item.counting_note not in warnings:
            warnings.append(item.counting_note)  # once, however many jobs it concerns
        plan = _decide_job(item, known.get(item.job.name), view, retry_errors=retry_errors)
        if plan.action in SUBMITTING and view.active_models is not None and item.job.model not in view.active_models:
            close = difflib.get_close_matches(item.job.model, view.active_models, n=3, cutoff=0.3)
            hint = f"; closest active models: {', '.join(close)}" if close else \
                f"; active models: {', '.join(view.active_models[:8])}"
            errors.append(f"job '{item.job.name}': model '{item.job.model}' is not active on the provider{hint}")
        jobs.append(plan)
    spec_names = set(spec.jobs)
    for name, job_state in (state.jobs.items() if state is not None else ()):
        if name in spec_names or (targets and name not in targets):
            continue
        live = tuple(s.batch_id for s in job_state.shards if s.batch_id and
                     _live(view.batches.get(s.batch_id), s)) if provider_matches else ()
        reason = "job no longer in the spec"
        if live:
            reason += f"; cancel {len(live)} in-flight batch{'es' if len(live) != 1 else ''}"
        jobs.append(JobPlan(job=name, action="remove", reason=reason, requests=job_state.requests,
                            shards=len(job_state.current_shards()), model=job_state.model,
                            input_sha256=job_state.input_sha256, batch_ids=tuple(job_state.batch_ids()),
                            cancel_batch_ids=live))
    if errors:
        raise PlanError("\n".join(errors))
    return Plan(jobs=tuple(jobs), provider=provider,
                lineage=state.lineage if state is not None else None,
                serial=state.serial if state is not None else None,
                warnings=tuple(warnings))


def price(plan: Plan, spec: Spec, inputs: Sequence[JobInputs], state: State | None, view: ProviderView, *,
          max_cost_usd: float | None = None) -> Plan:
    """Add token and cost estimates to a plan and check the budgets (pure).

    Only what a plan *submits* costs new money: create and replace cost the whole
    job, retry the share of requests still without a result. Budgets are checked
    against the high end of the range (see specrun.estimate).
    """
    by_name = {item.job.name: item for item in inputs}
    known = state.jobs if state is not None else {}
    jobs: list[JobPlan] = []
    notes: list[str] = []
    for job_plan in plan.jobs:
        item = by_name.get(job_plan.job)
        if item is None:
            jobs.append(job_plan)
            continue
        prices = Prices.of(view.models.get(item.job.model))
        tokens_in, tokens_out = item.estimated_input_tokens, item.max_output_tokens
        job_state = known.get(job_plan.job)
        reused = 0
        resuming = job_state is not None or any(s.batch_id for s in job_plan.shard_plans)
        if job_plan.action == "create" and item.requests and resuming and job_plan.shard_plans:
            # resuming: only shards without a batch are still to be paid for
            unsubmitted = sum(s.requests for s in job_plan.shard_plans if not s.batch_id)
            share = min(unsubmitted / item.requests, 1.0)
            tokens_in, tokens_out = int(tokens_in * share), int(tokens_out * share)
        output = job_state.output if job_state is not None else None
        if job_plan.action == "retry" and item.requests and output is not None and (
                output.unanswered or job_plan.retry_errors):
            # what is still to send, as the last join counted it (never more than that)
            to_send = output.unanswered + ((output.error - output.unanswered) if job_plan.retry_errors else 0)
            live_share = min(to_send / item.requests, 1.0)
            reused = item.requests - min(to_send, item.requests)
            tokens_in, tokens_out = int(tokens_in * live_share), int(tokens_out * live_share)
        elif job_plan.action == "retry" and item.requests and job_plan.shard_plans:
            newest = max(s.generation for s in job_plan.shard_plans)
            current = [s for s in job_plan.shard_plans if s.generation == newest]
            missing = min(sum(max((s.total or s.requests) - s.completed, 0) for s in current), item.requests)
            reused = item.requests - missing
            share = missing / item.requests
            tokens_in, tokens_out = int(tokens_in * share), int(tokens_out * share)
        cost = cost_range(tokens_in, tokens_out, prices) if (
            prices is not None and job_plan.action in SUBMITTING) else None
        if job_plan.action in SUBMITTING and tokens_out:
            note = _unbounded_output_note(item, cost)
            if note:
                notes.append(note)
        spent = None
        if job_plan.action in ("replace", "retry") and job_state is not None and job_state.output and prices:
            spent = prices.usd(job_state.output.prompt_tokens, job_state.output.completion_tokens)
        jobs.append(replace(job_plan, estimated_input_tokens=tokens_in, max_output_tokens=tokens_out,
                            estimated_cost=cost, spent_usd=spent, reused_requests=reused,
                            budget_usd=item.job.budget_max_cost_usd,
                            skipped=item.skipped, context_length=item.context_length,
                            token_counting=item.counting))
    priced = replace(plan, jobs=tuple(jobs), warnings=(*plan.warnings, *notes))
    limits = [v for v in (spec.budget_max_cost_usd, max_cost_usd) if v is not None]
    if limits and priced.estimated_cost is None and any(j.action in SUBMITTING for j in jobs):
        priced = replace(priced, warnings=(*priced.warnings,
                         "the provider publishes no prices for these models: the budget cannot be checked"))
    return replace(priced, budget_usd=min(limits) if limits else None,
                   budget_violations=tuple(budget_violations(priced, spec, max_cost_usd=max_cost_usd)))


def _unbounded_output_note(item: JobInputs, cost: CostRange | None) -> str | None:
    """Why a job's cost range is so wide when it sets no max_tokens, and what to set."""
    params = item.job.params
    if any(key in params for key in ("max_tokens", "max_completion_tokens")):
        return None
    if item.context_length:
        bound = f"the rest of the model's {item.context_length:,}-token context"
    else:
        bound = f"{DEFAULT_MAX_OUTPUT_TOKENS:,} tokens (the model's context length is unknown)"
    high = f" (up to {format_usd(cost.max_usd)})" if cost is not None else ""
    return (f"job '{item.job.name}' sets no max_tokens, so each reply is bounded only by {bound}: the high end "
            f"of its estimate{high} assumes every reply is that long. Set params.max_tokens to the longest "
            "reply you expect to get a useful estimate and budget check")


def budget_violations(plan: Plan, spec: Spec, *, max_cost_usd: float | None = None) -> list[str]:
    """Every budget the plan's estimated cost (high end) breaks, against the spec as it is now.

    Used when planning, and again when applying a saved plan: a budget lowered
    after the plan was made still holds.
    """
    violations = []
    for job_plan in plan.jobs:
        job = spec.jobs.get(job_plan.job)
        budget = job.budget_max_cost_usd if job is not None else None
        cost = job_plan.estimated_cost
        if cost is not None and budget is not None and cost.max_usd > budget:
            violations.append(f"job '{job_plan.job}' may cost up to {format_usd(cost.max_usd)}, over its budget "
                              f"of {format_usd(budget)} (budget.max_cost_usd)")
    total = plan.estimated_cost
    for limit, where in ((spec.budget_max_cost_usd, "budget.max_cost_usd"), (max_cost_usd, "--max-cost")):
        if limit is not None and total is not None and total.max_usd > limit:
            violations.append(f"this plan may cost up to {format_usd(total.max_usd)} in all, over {where} "
                              f"of {format_usd(limit)}")
    return violations


def _live(batch: Any, shard: ShardState) -> bool:
    status = batch_status(batch) if batch is not None else shard.status
    return is_live(status)


def _decide_job(item: JobInputs, job_state: JobState | None, view: ProviderView, *,
                retry_errors: bool = False) -> JobPlan:
    job = item.job
    base = dict(job=job.name, requests=item.requests, shards=len(item.shards) or 1, model=job.model,
                input_sha256=item.input_sha256, fingerprint=item.fingerprint,
                fingerprint_parts=dict(item.fingerprint_parts))
    if job_state is None:
        return _decide_new_job(item, view, base)
    if job_state.input_sha256 != item.input_sha256:
        live = tuple(s.batch_id for s in job_state.shards
                     if s.batch_id and _live(view.batches.get(s.batch_id), s))
        reason = _describe_change(job_state.fingerprint_parts, item.fingerprint_parts, job)
        if live:
            reason += f"; cancel {len(live)} in-flight batch{'es' if len(live) != 1 else ''}"
        return JobPlan(action="replace", reason=reason, shard_plans=item.shards,
                       cancel_batch_ids=live, batch_ids=tuple(job_state.batch_ids()), **base)
    current = [_shard_plan_of(s, view.batches.get(s.batch_id) if s.batch_id else None)
               for s in job_state.current_shards()]
    # Shards a crash left without a batch: adopt what the provider holds.
    current = [_adopt(s, view) if not s.batch_id else s for s in current]
    base["shards"] = len([s for s in job_state.shards if s.generation == 0]) or base["shards"]
    batch_ids = tuple(dict.fromkeys([*job_state.batch_ids(), *(s.batch_id for s in current if s.batch_id)]))
    base["batch_ids"] = batch_ids
    return _decide_from_shards(job, job_state, current, base, adopted=False, retry_errors=retry_errors)


def _decide_new_job(item: JobInputs, view: ProviderView, base: dict[str, Any]) -> JobPlan:
    if not view.refreshed or not item.shards:
        return JobPlan(action="create", reason="job not in state", shard_plans=item.shards, **base)
    shards = [_adopt(s, view) for s in item.shards]
    found = [s for s in shards if s.batch_id]
    if not found:
        files = [s for s in shards if s.file_id]
        reason = "job not in state"
        if files:
            reason += f"; adopting {len(files)} uploaded file{'s' if len(files) != 1 else ''} found on the provider"
        return JobPlan(action="create", reason=reason, shard_plans=tuple(shards), **base)
    retries = _adopt_retries(item, view)
    base["batch_ids"] = tuple(s.batch_id for s in [*found, *retries] if s.batch_id)
    if len(found) < len(shards):
        return JobPlan(action="create", adopted=True, shard_plans=tuple(shards),
                       reason=f"adopted {len(found)} of {len(shards)} shards' batches found on the provider; "
                              "submitting the rest", **base)
    if retries:
        # The newest retry round is what the job waits on now; earlier rounds keep their results.
        newest = max(s.generation for s in retries)
        current = [s for s in retries if s.generation == newest]
        return _decide_from_shards(item.job, None, current, base, adopted=True,
                                   all_shards=[*shards, *retries])
    return _decide_from_shards(item.job, None, shards, base, adopted=True)


_RETRY_NAME = re.compile(r"-retry(\d+)-([0-9a-f]{16})\.jsonl$")


def parse_retry_filename(filename: str) -> tuple[int, str] | None:
    """``(generation, sha16)`` of a retry file name, or None for any other name."""
    match = _RETRY_NAME.search(filename)
    return (int(match.group(1)), match.group(2)) if match else None


def _adopt_retries(item: JobInputs, view: ProviderView) -> list[ShardPlan]:
    """Retry rounds of this version of the job found on the provider (state lost)."""
    by_name: dict[str, list[Any]] = {}
    for f in view.retry_files.get(item.job.name, ()):
        by_name.setdefault(f.filename, []).append(f)
    plans: list[ShardPlan] = []
    for generation_name in sorted(by_name, key=lambda n: (int(_RETRY_NAME.search(n).group(1)), n)):
        match = _RETRY_NAME.search(generation_name)
        generation = int(match.group(1))
        index = sum(1 for p in plans if p.generation == generation)
        adopted = None
        for f in by_name[generation_name]:  # the same name uploaded twice: take the one with a batch
            candidate = _adopt(ShardPlan(index=index, filename=generation_name, sha256=match.group(2),
                                         bytes=getattr(f, "bytes", None) or 0, requests=0,
                                         generation=generation, file_id=f.id), view)
            if adopted is None or (candidate.batch_id and not adopted.batch_id):
                adopted = candidate
        if adopted is not None:
            plans.append(replace(adopted, requests=adopted.total))
    return plans


def _adopt(shard: ShardPlan, view: ProviderView) -> ShardPlan:
    """Fill in a file/batch the provider already holds for this shard (by file name)."""
    file_id = shard.file_id
    if not file_id:
        files = [f for f in view.files_by_name.get(shard.filename, ())
                 if getattr(f, "bytes", None) in (None, shard.bytes)]
        if not files:
            return shard
        file_id = files[0].id
    on_file = list(view.batches_by_file.get(file_id, ()))
    batch = newest_usable_batch(on_file)
    if batch is None:
        # No live or completed batch: an expired/cancelled one still holds paid-for partial
        # results, so adopt it (the plan then retries only the rest) rather than start over.
        partial = [b for b in on_file if batch_status(b) in ("expired", "cancelled")]
        if not partial:
            return replace(shard, file_id=file_id, adopted=True)
        batch = max(partial, key=lambda b: getattr(b, "created_at", 0) or 0)
    return replace(_with_batch(shard, batch), file_id=file_id, adopted=True)


def _decide_from_shards(job: Job, job_state: JobState | None, shards: list[ShardPlan],
                        base: dict[str, Any], *, adopted: bool,
                        all_shards: list[ShardPlan] | None = None, retry_errors: bool = False) -> JobPlan:
    """Decide from the shards the job waits on now (``all_shards`` are recorded too)."""
    prefix = "adopted from the provider; " if adopted else ""
    plans = tuple(all_shards if all_shards is not None else shards)
    unsubmitted = [s for s in shards if not s.batch_id]
    if unsubmitted:
        return JobPlan(action="create", shard_plans=plans, adopted=adopted,
                       reason=f"{prefix}resuming: {len(unsubmitted)} of {len(shards)} shard(s) not yet submitted",
                       **base)
    dead = [s for s in shards if is_dead(s.status)]
    output = job_state.output if job_state is not None else None
    if dead and output is not None and not output.unanswered and all(
            s.result_files <= set(output.sources) for s in shards):
        dead = []  # the last round ended early, but every request already has its answer
    if dead:
        first = dead[0]
        done = ""
        if first.total:
            done = f" with {first.completed}/{first.total} done"
            if first.failed:
                done += f", {first.failed} failed"
        elif job_state is not None:
            recorded = next((s for s in job_state.shards if s.batch_id == first.batch_id), None)
            if recorded is not None and recorded.total:
                done = f" with {recorded.completed}/{recorded.total} done"
        more = f" (+{len(dead) - 1} more)" if len(dead) > 1 else ""
        return JobPlan(action="retry", shard_plans=plans, adopted=adopted, retry_errors=retry_errors,
                       reason=f"{prefix}batch {first.batch_id} {first.status}{done}{more}; "
                              "resubmitting the requests without a result", **base)
    live = [s for s in shards if s.status is None or is_live(s.status)]
    if live:
        statuses = sorted({s.status or "unknown" for s in live})
        return JobPlan(action="wait", shard_plans=plans, adopted=adopted,
                       reason=f"{prefix}{len(live)} batch{'es' if len(live) != 1 else ''} "
                              f"{'/'.join(statuses)}", **base)
    if output is None:
        return JobPlan(action="download", shard_plans=plans, adopted=adopted,
                       reason=f"{prefix}batches completed; results not downloaded yet", **base)
    unjoined = [s for s in shards if not s.result_files <= set(output.sources)]
    if unjoined:
        return JobPlan(action="download", shard_plans=plans,
                       reason=f"batch {unjoined[0].batch_id} finished; its results are not joined yet", **base)
    from specrun.results import file_sha256

    if output.path != job.output_display:
        return JobPlan(action="download", shard_plans=plans,
                       reason=f"results path changed to {job.output_display}", **base)
    if not job.output.exists():
        return JobPlan(action="download", shard_plans=plans,
                       reason=f"results file {job.output_display} missing", **base)
    if not output.matches_stat(job.output) and file_sha256(job.output) != output.sha256:
        return JobPlan(action="download", shard_plans=plans,
                       reason=f"results file {job.output_display} changed on disk", **base)
    if output.unanswered:
        return JobPlan(action="retry", shard_plans=plans, retry_errors=retry_errors,
                       reason=f"{output.unanswered:,} request(s) have no result yet; sending them", **base)
    if retry_errors and output.error:
        return JobPlan(action="retry", shard_plans=plans, retry_errors=True,
                       reason=f"{output.error:,} row(s) failed inside completed batches; re-sending just those "
                              "(--retry-errors)", **base)
    return JobPlan(action="noop", shard_plans=plans, reason="up to date", **base)


# --------------------------------------------------------------------------- make_plan


def make_plan(spec: Spec, state: State | None, client: Provider | None, *, provider: str, build_dir: Path,
              targets: Sequence[str] = (), refresh_provider: bool = True,
              max_cost_usd: float | None = None, retry_errors: bool = False) -> tuple[Plan, list[JobInputs]]:
    """Render what changed, refresh from the provider (unless told not to), decide, price."""
    unknown = [t for t in targets if t not in spec.jobs and not (state and t in state.jobs)]
    if unknown:
        names = ", ".join(spec.jobs) or "none"
        raise PlanError(f"--target {unknown[0]!r}: no such job in the spec (jobs: {names})")
    provider_matches = state is None or not state.provider or state.provider == provider
    known = state.jobs if (state is not None and provider_matches) else {}
    models: dict[str, Any] | None = None
    notes: list[str] = []
    if refresh_provider and client is not None:
        models, notes = fetch_models(client)
    inputs = [job_inputs(spec, job, known.get(name), build_dir,
                         context_length=_context_length(models, job.model))
              for name, job in spec.jobs.items() if not targets or name in targets]
    removed = [n for n in known if n not in spec.jobs and (not targets or n in targets)]
    view = ProviderView()
    if refresh_provider and client is not None:
        view = refresh(client, state, inputs, provider_matches=provider_matches, removed=removed,
                       models=models, notes=notes)
    plan = decide(spec, inputs, state, view, provider=provider, targets=targets, retry_errors=retry_errors)
    plan = price(plan, spec, inputs, state if provider_matches else None, view, max_cost_usd=max_cost_usd)
    return plan, inputs


def _context_length(models: Mapping[str, Any] | None, model: str) -> int | None:
    config = (models or {}).get(model)
    length = getattr(config, "context_length", None)
    return int(length) if length else None


# --------------------------------------------------------------------------- saved plans


def save_plan(path: Path, plan: Plan, *, spec: Spec, var_overrides: Mapping[str, str],
              targets: Sequence[str]) -> None:
    """Save a plan bound to the state's lineage/serial and the inputs' hashes."""
    from specrun.state import atomic_write_bytes

    document = {
        "kind": "specrun-plan",
        "format_version": PLAN_FORMAT_VERSION,
        "spec": str(spec.path),
        "vars": dict(var_overrides),
        "targets": list(targets),
        "state": {"lineage": plan.lineage, "serial": plan.serial} if plan.lineage else None,
        "provider": plan.provider,
        "warnings": list(plan.warnings),
        "budget": {"max_cost_usd": plan.budget_usd, "violations": list(plan.budget_violations)},
        "jobs": [
            {**job.to_json(), "fingerprint": job.fingerprint, "fingerprint_parts": dict(job.fingerprint_parts),
             "cancel_batch_ids": list(job.cancel_batch_ids), "adopted": job.adopted,
             "context_length": job.context_length, "retry_errors": job.retry_errors,
             "shard_plans": [asdict(s) for s in job.shard_plans]}
            for job in plan.jobs
        ],
    }
    atomic_write_bytes(path, json.dumps(document, indent=2).encode() + b"\n")


def load_plan(path: Path) -> tuple[Plan, dict[str, Any]]:
    """Read a saved plan file; returns the Plan and the raw document."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise PlanError(f"plan file {path} not found") from None
    except (OSError, ValueError) as exc:
        raise PlanError(f"plan file {path} is not a readable specrun plan: {exc}") from None
    except RecursionError:
        raise PlanError(f"plan file {path} is not a readable specrun plan: nested too deeply") from None
    if not isinstance(document, dict) or document.get("kind") != "specrun-plan":
        raise PlanError(f"{path} is not a specrun plan file (make one with `specrun plan --out {path}`)")
    if document.get("format_version") != PLAN_FORMAT_VERSION:
        raise PlanError(f"plan file {path} has format_version {document.get('format_version')!r}; "
                        f"this specrun reads {PLAN_FORMAT_VERSION}")
    try:
        return _plan_from_document(document), document
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise PlanError(f"plan file {path} is damaged ({type(exc).__name__}: {exc}); make it again with "
                        f"`specrun plan --out {path}`") from None


def _plan_from_document(document: dict[str, Any]) -> Plan:
    jobs = []
    for raw in document["jobs"]:
        if raw["action"] not in ACTIONS:
            raise ValueError(f"unknown action {raw['action']!r}")  # named here: the enum's words are less clear
        jobs.append(JobPlan(
            job=raw["job"], action=raw["action"], reason=raw["reason"], requests=raw["requests"],
            shards=raw["shards"], model=raw["model"], input_sha256=raw["input_sha256"],
            batch_ids=tuple(raw.get("batch_ids", ())), fingerprint=raw.get("fingerprint"),
            fingerprint_parts=raw.get("fingerprint_parts") or {},
            shard_plans=tuple(ShardPlan(**s) for s in raw.get("shard_plans", ())),
            cancel_batch_ids=tuple(raw.get("cancel_batch_ids", ())), adopted=bool(raw.get("adopted")),
            estimated_input_tokens=raw.get("estimated_input_tokens", 0),
            max_output_tokens=raw.get("max_output_tokens", 0),
            estimated_cost=CostRange(cost["min"], cost["max"]) if (cost := raw.get("estimated_cost_usd")) else None,
            spent_usd=raw.get("spent_cost_usd"), budget_usd=raw.get("budget_usd"), skipped=raw.get("skipped", 0),
            reused_requests=raw.get("reused_requests", 0),
            context_length=raw.get("context_length"), retry_errors=bool(raw.get("retry_errors")),
            token_counting=raw.get("token_counting"),
        ))
    bound = document.get("state")
    budget = document.get("budget") or {}
    plan = Plan(jobs=tuple(jobs), provider=document.get("provider", ""),
                lineage=bound["lineage"] if bound else None, serial=bound["serial"] if bound else None,
                warnings=tuple(document.get("warnings", ())), budget_usd=budget.get("max_cost_usd"),
                budget_violations=tuple(budget.get("violations", ())))
    return plan


def check_saved_plan(plan: Plan, spec: Spec, state: State | None, *, provider: str) -> None:
    """Refuse a plan whose state or inputs moved since it was made (nothing is sent)."""
    stale = "Saved plan is stale: "
    if plan.lineage is None:
        if state is not None:
            raise StalePlan(stale + "it was made before any state existed, and a state exists now "
                            "(was it already applied?). Run `specrun plan` again.")
    elif state is None:
        raise StalePlan(stale + "it was made against a state that no longer exists. Run `specrun plan` again.")
    elif state.lineage != plan.lineage:
        raise StalePlan(stale + f"state lineage is {state.lineage}, the plan was made for {plan.lineage}. "
                        "Run `specrun plan` again.")
    elif state.serial != plan.serial:
        raise StalePlan(stale + f"state serial moved from {plan.serial} to {state.serial} since it was made. "
                        "Run `specrun plan` again.")
    if plan.provider != provider:
        raise StalePlan(stale + f"it was made for provider {plan.provider}, now {provider}.")
    for job_plan in plan.jobs:
        if job_plan.action == "remove":
            if job_plan.job in spec.jobs:
                raise StalePlan(stale + f"job '{job_plan.job}' is back in the spec.")
            continue
        job = spec.jobs.get(job_plan.job)
        if job is None:
            raise StalePlan(stale + f"job '{job_plan.job}' is no longer in the spec.")
        if fingerprint_of(fingerprint_parts(spec, job)) != job_plan.fingerprint:
            raise StalePlan(stale + f"the inputs of job '{job_plan.job}' changed since it was made.")


def _unrecorded_live_batches(client: Provider, name: str, job_state: JobState, *, known: set[str]) -> list[str]:
    """In-flight batches of the job that the state does not record (a crash between
    create and the state write, a state restored from a backup): destroy cancels
    them too, so nothing keeps running and billing once the job is forgotten."""
    from specrun.render import retry_prefix

    recorded = {s.batch_id for s in job_state.shards if s.batch_id}
    file_ids = {s.file_id for s in job_state.shards if s.file_id}
    file_ids |= {f.id for f in client.files_with_prefix(retry_prefix(name, job_state.input_sha256))}
    found = []
    for batches in client.batches_by_input_file(file_ids).values():
        for batch in batches:
            if batch.id not in recorded and batch.id not in known and is_live(batch_status(batch)):
                found.append(batch.id)
    return found


def make_destroy_plan(state: State | None, client: Provider | None, *, provider: str,
                      targets: Sequence[str] = ()) -> Plan:
    """A plan that removes every job in state (or the targeted ones), cancelling what still runs."""
    jobs: list[JobPlan] = []
    if state is None:
        return Plan(jobs=(), provider=provider, lineage=None, serial=None)
    reachable = not state.provider or state.provider == provider
    warnings = [] if reachable else [
        f"state was made against provider {state.provider}, now {provider}: its batches cannot be cancelled "
        "from here; the jobs are only forgotten"]
    for name, job_state in state.jobs.items():
        if targets and name not in targets:
            continue
        live: list[str] = []
        if reachable:
            for shard in job_state.shards:
                if not shard.batch_id or not (shard.status is None or is_live(shard.status)):
                    continue
                status = shard.status
                if client is not None:
                    try:
                        status = batch_status(client.get_batch(shard.batch_id))
                    except NotFound:
                        status = None
                if is_live(status):
                    live.append(shard.batch_id)
        if reachable and client is not None:
            live += _unrecorded_live_batches(client, name, job_state, known=set(live))
        reason = "destroy: forget the job (result files stay)"
        if live:
            reason = f"destroy: cancel {len(live)} in-flight batch{'es' if len(live) != 1 else ''}, forget the job"
        jobs.append(JobPlan(job=name, action="remove", reason=reason, requests=job_state.requests,
                            shards=len(job_state.current_shards()), model=job_state.model,
                            input_sha256=job_state.input_sha256, batch_ids=tuple(job_state.batch_ids()),
                            cancel_batch_ids=tuple(live)))
    return Plan(jobs=tuple(jobs), provider=provider, lineage=state.lineage, serial=state.serial,
                warnings=tuple(warnings))
