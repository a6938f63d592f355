"""Pricing and budgets: what a plan may cost, and which budgets it breaks. Pure."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from specrun._endpoints import endpoint
from specrun.errors import PlanError
from specrun.estimate import (
    DEFAULT_MAX_OUTPUT_TOKENS,
    Calibration,
    CostRange,
    Prices,
    answers_per_request,
    cost_range,
    format_usd,
    sets_output_limit,
)
from specrun.plan.values import SUBMITTING, JobInputs, JobPlan, Plan, ProviderView
from specrun.spec import Spec
from specrun.state import State

__all__ = ["price", "budget_violations"]


def price(plan: Plan, spec: Spec, inputs: Sequence[JobInputs], state: State | None, view: ProviderView, *,
          max_cost_usd: float | None = None, history: Mapping[str, Calibration] | None = None) -> Plan:
    """Add token and cost estimates to a plan and check the budgets (pure).

    Only what a plan *submits* costs new money: the requests its shards hold (what
    the row ledger cannot answer). Budgets are checked against the high end of the
    range (see specrun.estimate). ``history``: per model, what its answers in the
    ledger really took, for an expected figure beside the range.
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
        if item.waits_for is not None:  # its rows are not known yet: neither is its cost
            jobs.append(replace(job_plan, budget_usd=item.job.budget_max_cost_usd))
            if item.job.budget_max_cost_usd is not None or spec.budget_max_cost_usd is not None or max_cost_usd:
                notes.append(f"the cost of job '{item.job.name}' is known once job '{item.waits_for}' applies: "
                             "apply checks its budget then, before sending any of it")
            continue
        written = spec.prices.get(item.job.model)
        prices = Prices.from_usd(*written) if written is not None else Prices.of(view.models.get(item.job.model))
        tokens_in, tokens_out = item.estimated_input_tokens, item.max_output_tokens
        job_state = known.get(job_plan.job)
        reused = 0
        share = 0.0
        resuming = job_state is not None or any(s.batch_id for s in job_plan.shard_plans)
        if item.rendered and (job_plan.action != "retry" or item.retry_round):
            # The render counted exactly the requests in its shards (what the ledger could not
            # answer); shards that already have a batch (adopted, or kept running) are paid for.
            reused = item.reused
            unsubmitted = sum(s.requests for s in job_plan.shard_plans if not s.batch_id)
            share = min(unsubmitted / item.to_send, 1.0) if item.to_send else 0.0
            tokens_in, tokens_out = int(tokens_in * share), int(tokens_out * share)
        elif job_plan.action == "create" and item.requests and resuming and job_plan.shard_plans:
            # resuming: only shards without a batch are still to be paid for
            unsubmitted = sum(s.requests for s in job_plan.shard_plans if not s.batch_id)
            share = min(unsubmitted / item.requests, 1.0)
            tokens_in, tokens_out = int(tokens_in * share), int(tokens_out * share)
        output = job_state.output if job_state is not None else None
        from_render = item.rendered and (job_plan.action != "retry" or item.retry_round)
        if from_render:
            pass  # counted above: exactly what the shards hold
        elif job_plan.action == "retry" and item.requests and output is not None and (
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
        expected = _expected(item, job_plan, (history or {}).get(item.job.model), prices, share)
        jobs.append(replace(job_plan, **expected, estimated_input_tokens=tokens_in, max_output_tokens=tokens_out,
                            estimated_cost=cost, spent_usd=spent, reused_requests=reused,
                            budget_usd=item.job.budget_max_cost_usd,
                            skipped=item.skipped, context_length=item.context_length,
                            token_counting=item.counting))
    priced = replace(plan, jobs=tuple(jobs), warnings=(*plan.warnings, *notes))
    limits = [v for v in (spec.budget_max_cost_usd, max_cost_usd) if v is not None]
    unpriced = sorted({j.model or "?" for j in jobs if j.action in SUBMITTING and j.to_send is not None
                       and j.estimated_cost is None and (limits or j.budget_usd is not None)})
    if unpriced and view.refreshed:
        # a budget that cannot be checked is not a budget: refuse rather than send unchecked
        raise PlanError(f"a budget is set, but no prices are known for {', '.join(unpriced)}: the provider "
                        "publishes none. Add them to the spec, in USD per million tokens: "
                        f"prices: {{{unpriced[0]}: {{input: ..., output: ...}}}}")
    if unpriced:
        priced = replace(priced, warnings=(*priced.warnings,
                         "no prices are known for these models (the provider was not asked): the budget cannot be "
                         "checked"))
    return replace(priced, budget_usd=min(limits) if limits else None,
                   budget_violations=tuple(budget_violations(priced, spec, max_cost_usd=max_cost_usd)))


def _expected(item: JobInputs, job_plan: JobPlan, history: Calibration | None, prices: Prices | None,
              share: float) -> dict[str, Any]:
    """The expected tokens (and cost) of what the job sends, from the model's history in the ledger."""
    if (history is None or not history.usable or not item.rendered or job_plan.action not in SUBMITTING
            or not share or (job_plan.action == "retry" and not item.retry_round)):
        return {}
    sending = round(item.to_send * share)
    tokens_in, tokens_out = history.expected(round(item.prompt_chars * share), sending,
                                             answers_per_request(item.job.params))
    return {"expected_input_tokens": tokens_in, "expected_output_tokens": tokens_out,
            "expected_cost_usd": prices.usd(tokens_in, tokens_out) if prices is not None else None,
            "expected_from": history.answers}


def _unbounded_output_note(item: JobInputs, cost: CostRange | None) -> str | None:
    """Why a job's cost range is so wide when it sets no max_tokens, and what to set."""
    params, url = item.job.params, item.job.endpoint
    if sets_output_limit(params, url):
        return None
    limit = endpoint(url).output_limit
    if item.context_length:
        bound = f"the rest of the model's {item.context_length:,}-token context"
    else:
        bound = f"{DEFAULT_MAX_OUTPUT_TOKENS:,} tokens (the model's context length is unknown)"
    high = f" (up to {format_usd(cost.max_usd)})" if cost is not None else ""
    return (f"job '{item.job.name}' sets no {limit}, so each reply is bounded only by {bound}: the high end "
            f"of its estimate{high} assumes every reply is that long. Set params.{limit} to the longest "
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
