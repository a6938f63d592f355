"""Spec + state + a refreshed provider view → Plan.

Planning is three steps, each in its own module, so that ``plan`` is trustworthy:

- ``refresh`` does every read: fingerprints and renders what changed, looks at the
  results files, asks the provider about recorded and adoptable files and batches and
  the models. It returns plain data (``JobInputs``, ``ProviderView``).
- ``planner.decide`` is pure: from that data and the state it derives one
  ``JobPlan`` per job, with an action and a one-line reason.
- ``pricing.price`` adds token and cost estimates and checks the budgets (pure).

``values`` holds the plan as values; ``planfile`` saves and loads reviewed plans.
``make_plan`` and ``make_destroy_plan`` glue the steps together. The executor
(``specrun.apply``) never decides what to do: it follows the Plan.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from specrun.errors import PlanError
from specrun.plan.planfile import check_saved_plan, load_plan, save_plan
from specrun.plan.planner import decide, decide_destroy, parse_retry_filename
from specrun.plan.pricing import budget_violations, price
from specrun.plan.refresh import (
    context_length_of,
    fetch_models,
    job_inputs,
    refresh,
    refresh_for_destroy,
    results_on_disk,
)
from specrun.plan.values import (
    ACTIONS,
    CHANGING,
    PLAN_FORMAT_VERSION,
    SUBMITTING,
    SYMBOLS,
    Action,
    JobInputs,
    JobPlan,
    Plan,
    ProviderView,
    ShardPlan,
)
from specrun.provider import Provider
from specrun.render import fingerprint_of, fingerprint_parts
from specrun.spec import Spec
from specrun.state import State

__all__ = [
    "Action", "ACTIONS", "SYMBOLS", "CHANGING", "SUBMITTING", "PLAN_FORMAT_VERSION",
    "ShardPlan", "JobPlan", "Plan", "JobInputs", "ProviderView",
    "fingerprint_parts", "fingerprint_of", "job_inputs", "results_on_disk", "fetch_models", "refresh",
    "decide", "parse_retry_filename", "price", "budget_violations",
    "make_plan", "make_destroy_plan", "refresh_for_destroy", "decide_destroy",
    "save_plan", "load_plan", "check_saved_plan",
]


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
                         context_length=context_length_of(models, job.model))
              for name, job in spec.jobs.items() if not targets or name in targets]
    removed = [n for n in known if n not in spec.jobs and (not targets or n in targets)]
    view = ProviderView()
    if refresh_provider and client is not None:
        view = refresh(client, state, inputs, provider_matches=provider_matches, removed=removed,
                       models=models, notes=notes)
    plan = decide(spec, inputs, state, view, provider=provider, targets=targets, retry_errors=retry_errors)
    plan = price(plan, spec, inputs, state if provider_matches else None, view, max_cost_usd=max_cost_usd)
    return plan, inputs


def make_destroy_plan(state: State | None, client: Provider | None, *, provider: str,
                      targets: Sequence[str] = ()) -> Plan:
    """A plan that removes every job in state (or the targeted ones), cancelling what still runs.

    Refresh (the batches' statuses now, and live batches the state never recorded),
    then a pure decide, like ``make_plan``.
    """
    if state is None:
        return Plan(jobs=(), provider=provider, lineage=None, serial=None)
    reachable = not state.provider or state.provider == provider
    view = ProviderView()
    if reachable and client is not None:
        view = refresh_for_destroy(client, state, targets)
    return decide_destroy(state, view, provider=provider, targets=targets)
