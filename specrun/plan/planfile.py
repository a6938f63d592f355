"""Saved plan files (``plan --out``, ``apply FILE``): write, read, and the staleness check."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from specrun.errors import PlanError, StalePlan
from specrun.estimate import CostRange
from specrun.plan.values import ACTIONS, PLAN_FORMAT_VERSION, JobPlan, Plan, ShardPlan
from specrun.render import fingerprint_of, fingerprint_parts
from specrun.spec import Spec
from specrun.state import State

__all__ = ["save_plan", "load_plan", "check_saved_plan"]


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
        "provider_changed": plan.provider_changed,
        "ledger_revision": plan.ledger_revision,
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
            token_counting=raw.get("token_counting"), to_send=raw.get("to_send", 0), reused=raw.get("reused", 0),
            in_flight=raw.get("in_flight", 0), duplicates=raw.get("duplicates", 0),
        ))
    bound = document.get("state")
    budget = document.get("budget") or {}
    plan = Plan(jobs=tuple(jobs), provider=document.get("provider", ""),
                lineage=bound["lineage"] if bound else None, serial=bound["serial"] if bound else None,
                warnings=tuple(document.get("warnings", ())), budget_usd=budget.get("max_cost_usd"),
                budget_violations=tuple(budget.get("violations", ())),
                provider_changed=bool(document.get("provider_changed")),
                ledger_revision=document.get("ledger_revision"))
    return plan


def check_saved_plan(plan: Plan, spec: Spec, state: State | None, *, provider: str,
                     ledger_revision: int | None = None) -> None:
    """Refuse a plan whose state, inputs or row ledger moved since it was made (nothing is sent)."""
    stale = "Saved plan is stale: "
    if plan.ledger_revision is not None and ledger_revision is not None and plan.ledger_revision != ledger_revision:
        raise StalePlan(stale + "the row ledger gained or lost answers since it was made, so what it would send "
                        "changed. Run `specrun plan` again.")
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
