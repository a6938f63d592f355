"""Saved plan files (``plan --out``, ``apply FILE``): write, read, and the staleness check."""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from specrun._text import quoted
from specrun.errors import PlanError, StalePlan
from specrun.plan.values import PLAN_FORMAT_VERSION, JobPlan, Plan
from specrun.render import fingerprint_of, fingerprint_parts
from specrun.spec import Spec
from specrun.state import State

__all__ = ["save_plan", "load_plan", "check_saved_plan", "SavedPlan", "PLAN_FILE_VERSION"]


#: The saved plan file's own layout (``plan --out``); a file of another layout is made again.
PLAN_FILE_VERSION = 2


@dataclass
class _Bound:
    lineage: str
    serial: int


@dataclass
class _Budget:
    max_cost_usd: float | None = None
    violations: list[str] = field(default_factory=list)


@dataclass
class SavedPlan:
    """The saved plan file: the Plan's own typed values, bound to the spec, vars and targets it was made with."""

    kind: Literal["specrun-plan"]
    format_version: int
    jobs: list[JobPlan]
    plan_file_version: int | None = None
    spec: str = ""
    vars: dict[str, str] = field(default_factory=dict)
    targets: list[str] = field(default_factory=list)
    state: _Bound | None = None
    provider: str = ""
    provider_changed: bool = False
    ledger_revision: int | None = None
    warnings: list[str] = field(default_factory=list)
    budget: _Budget = field(default_factory=_Budget)


@functools.cache
def _adapter() -> Any:
    from pydantic import TypeAdapter

    return TypeAdapter(SavedPlan)


def save_plan(path: Path, plan: Plan, *, spec: Spec, var_overrides: Mapping[str, str],
              targets: Sequence[str]) -> None:
    """Save a plan bound to the state's lineage/serial, the inputs' hashes and the ledger's revision."""
    from specrun.state import atomic_write_bytes

    saved = SavedPlan(
        kind="specrun-plan", format_version=PLAN_FORMAT_VERSION, plan_file_version=PLAN_FILE_VERSION,
        spec=str(spec.path), vars=dict(var_overrides), targets=list(targets),
        state=_Bound(plan.lineage, plan.serial or 0) if plan.lineage else None, provider=plan.provider,
        provider_changed=plan.provider_changed, ledger_revision=plan.ledger_revision, warnings=list(plan.warnings),
        budget=_Budget(plan.budget_usd, list(plan.budget_violations)), jobs=list(plan.jobs))
    atomic_write_bytes(path, _adapter().dump_json(saved, indent=2) + b"\n")


def load_plan(path: Path) -> tuple[Plan, dict[str, Any]]:
    """Read a saved plan file (checked field by field); returns the Plan and the raw document."""
    from pydantic import ValidationError

    try:
        text = path.read_bytes()
        document = json.loads(text)
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
        saved: SavedPlan = _adapter().validate_json(text)
    except ValidationError as exc:
        error = exc.errors()[0]
        where = ".".join(str(part) for part in error["loc"])
        if error["loc"][-1:] == ("action",) and error["type"] != "missing":
            raise PlanError(f"plan file {path} is damaged: unknown action {quoted(error.get('input'))} "
                            f"({where}); make it again with `specrun plan --out {path}`") from None
        raise PlanError(f"plan file {path} is damaged ({where}: {error['msg']}); make it again with "
                        f"`specrun plan --out {path}`") from None
    if saved.plan_file_version != PLAN_FILE_VERSION:
        raise StalePlan(f"plan file {path} was saved by another specrun version; make it again with "
                        f"`specrun plan --out {path}`")
    plan = Plan(jobs=tuple(saved.jobs), provider=saved.provider,
                lineage=saved.state.lineage if saved.state else None,
                serial=saved.state.serial if saved.state else None, warnings=tuple(saved.warnings),
                budget_usd=saved.budget.max_cost_usd, budget_violations=tuple(saved.budget.violations),
                provider_changed=saved.provider_changed, ledger_revision=saved.ledger_revision)
    return plan, document


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
        if job_plan.to_send is None:
            continue  # planned when apply reaches it (it reads another job's results)
        if fingerprint_of(fingerprint_parts(spec, job)) != job_plan.fingerprint:
            raise StalePlan(stale + f"the inputs of job '{job_plan.job}' changed since it was made.")
