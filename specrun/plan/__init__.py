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

import dataclasses
import json
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from specrun._batch_status import is_completed, is_dead, is_live
from specrun.errors import ConnectionFailed, PlanError
from specrun.estimate import Calibration
from specrun.graph import in_order, with_upstreams
from specrun.ledger import LEDGER_FILE, Ledger, LedgerStore
from specrun.plan.planfile import check_saved_plan, load_plan, save_plan
from specrun.plan.planner import answered_in, decide, decide_destroy, parse_retry_filename
from specrun.plan.pricing import budget_violations, price
from specrun.plan.refresh import (
    context_length_of,
    fetch_models,
    job_inputs,
    refresh,
    refresh_batches,
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
    current_shard_plans,
)
from specrun.provider import Provider, share_state
from specrun.reconcile import Rebuilt, ingest_job, ingest_recovered, rebuild_ledger, rename_shard, send_filter
from specrun.render import fingerprint_of, fingerprint_parts
from specrun.spec import Job, Spec
from specrun.state import JobState, State

__all__ = [
    "Action", "ACTIONS", "SYMBOLS", "CHANGING", "SUBMITTING", "PLAN_FORMAT_VERSION",
    "ShardPlan", "JobPlan", "Plan", "JobInputs", "ProviderView",
    "fingerprint_parts", "fingerprint_of", "job_inputs", "results_on_disk", "fetch_models", "refresh",
    "decide", "parse_retry_filename", "price", "budget_violations",
    "make_plan", "needs_new_round", "make_destroy_plan", "refresh_for_destroy", "decide_destroy",
    "save_plan", "load_plan", "check_saved_plan",
]


def make_plan(spec: Spec, state: State | None, client: Provider | None, *, provider: str, build_dir: Path,
              targets: Sequence[str] = (), refresh_provider: bool = True,
              max_cost_usd: float | None = None, retry_errors: bool = False,
              ledger: LedgerStore | None = None, downloads_dir: Path | None = None,
              replace: Sequence[str] = (), mid_run: bool = False) -> tuple[Plan, list[JobInputs]]:
    """Refresh (provider, ledger, render what changed), decide, price.

    ``ledger``: the row ledger (DESIGN §7); by default the one in the spec's home, beside
    ``build_dir`` (as are the ``downloads_dir``). ``replace``: jobs to re-send in full,
    ignoring the ledger (``--replace``). ``mid_run``: the executor plans a job again while
    applying (a round ended early): the models and the ledger are as the first plan left them.
    """
    share_state(client, state)
    if ledger is None:
        ledger = Ledger(build_dir.parent / LEDGER_FILE)
    if downloads_dir is None:
        downloads_dir = build_dir.parent / "downloads"
    unknown = [t for t in [*targets, *replace] if t not in spec.jobs and not (state and t in state.jobs)]
    if unknown:
        names = ", ".join(spec.jobs) or "none"
        flag = "--target" if unknown[0] in targets else "--replace"
        raise PlanError(f"{flag} {unknown[0]!r}: no such job in the spec (jobs: {names})")
    if targets and not mid_run:  # --target JOB brings in the jobs it reads from
        targets = [*with_upstreams(spec, [t for t in targets if t in spec.jobs]),
                   *(t for t in targets if t not in spec.jobs)]
    provider_matches = state is None or not state.provider or state.provider == provider
    known = state.jobs if (state is not None and provider_matches) else {}
    refreshing = refresh_provider and client is not None
    selected = [(name, spec.jobs[name]) for name in in_order(spec) if not targets or name in targets]
    removed = [n for n in known if n not in spec.jobs and (not targets or n in targets)]
    models: dict[str, Any] | None = None
    view = ProviderView()
    rebuilt = Rebuilt()
    unreachable: ConnectionFailed | None = None  # the provider did not answer: fine while nothing needs it
    if refreshing:
        assert client is not None
        try:
            models, notes = fetch_models(client) if not mid_run else (None, [])
        except ConnectionFailed as exc:
            unreachable, models, notes = exc, None, [f"the provider cannot be reached ({exc.message}); planned "
                                                      "from the state and the ledger alone"]
        view = refresh_batches(client, state, [n for n, _ in selected] + removed, provider_matches=provider_matches,
                               models=models, notes=notes)
        if not mid_run and unreachable is None and ledger.meta("rebuilt") is None:
            rebuilt = rebuild_ledger(ledger, client, provider, downloads_dir)
            ledger.set_meta("rebuilt", str(time.time()))
            view.notes.extend(rebuilt.notes)
            if rebuilt.answers:
                view.notes.append(f"the row ledger was rebuilt from the provider: {rebuilt.answers:,} answers "
                                  f"from {rebuilt.files:,} result files")
    if view.recovered and state is not None:
        assert client is not None
        ingest_recovered(ledger, client, provider, downloads_dir, spec, state, view.recovered)
    claimed: set[bytes] = set()  # keys this plan sends: identical requests of later jobs share them
    inputs: list[JobInputs] = []
    changing: dict[str, bool] = {}  # job → its results will be written by this apply
    for name, job in selected:
        job_state = known.get(name)
        upstream = job.data.job
        if upstream is not None and changing.get(upstream):
            # its rows are the upstream's results, which this apply rewrites: known after that
            inputs.append(waiting_inputs(job, job_state, upstream))
            changing[name] = True
            continue
        forced = name in replace
        new_round = not forced and job_state is not None and needs_new_round(job_state, view, retry_errors)
        if new_round and refreshing:
            assert client is not None and job_state is not None
            ingest_job(ledger, client, provider, downloads_dir, spec, job, job_state, view.batches)
        send = send_filter(None if forced else ledger, state if provider_matches else None,
                           resend_errors=retry_errors, claimed=claimed, also_live=rebuilt.live,
                           batches=view.batches, recovered=view.recovered)
        item = job_inputs(spec, job, job_state, build_dir, context_length=context_length_of(models, job.model),
                          force_render=new_round or forced, send=send, forced=forced, retry_round=new_round)
        if forced:  # named apart from the files sent before, so they are sent again, not adopted
            tag = f"-replace{state.serial if state is not None else 0}.jsonl"
            shards = []
            for shard in item.shards:
                renamed = shard.filename.removesuffix(".jsonl") + tag
                rename_shard(ledger, build_dir, shard.filename, renamed)
                shards.append(dataclasses.replace(shard, filename=renamed))
            item = dataclasses.replace(item, shards=tuple(shards))
        inputs.append(item)
        changing[name] = results_change(item, job_state, view)
    if refreshing:
        assert client is not None
        view = refresh(client, state, inputs, view, provider_matches=provider_matches, build_dir=build_dir)
    plan = decide(spec, inputs, state, view, provider=provider, targets=targets, retry_errors=retry_errors)
    if unreachable is not None and any(job.action.submits or job.action is Action.WAIT for job in plan.jobs):
        raise unreachable  # something must be sent or waited for: the provider is needed after all
    # (a scan of the whole ledger: only when something will be sent)
    history = {model: Calibration(*usage) for model, usage in ledger.usage_by_model().items()} if any(
        job.action.submits for job in plan.jobs) else {}
    plan = price(plan, spec, inputs, state if provider_matches else None, view, max_cost_usd=max_cost_usd,
                 history=history)
    plan = dataclasses.replace(plan, ledger_revision=ledger.revision)
    if not mid_run:
        sent = [j for j in plan.jobs if j.action in SUBMITTING and j.to_send is not None]
        asked = sum(j.requests for j in sent)
        ledger.set_meta("last_plan", json.dumps({"requests": asked, "to_send": sum(j.to_send or 0 for j in sent),
                                                 "reused": sum(j.reused for j in sent), "at": time.time()}))
    return plan, inputs


def waiting_inputs(job: Job, job_state: JobState | None, upstream: str) -> JobInputs:
    """A pipeline job planned after its upstream applies: nothing about its rows is known yet."""
    if job_state is None:
        return JobInputs(job, "", {}, "", 0, (), False, waits_for=upstream)
    return JobInputs(job, job_state.fingerprint, dict(job_state.fingerprint_parts), job_state.input_sha256,
                     job_state.requests, (), False, waits_for=upstream)


def results_change(item: JobInputs, job_state: JobState | None, view: ProviderView) -> bool:
    """Whether applying this job (re)writes its results file: what the jobs reading it wait for."""
    if job_state is None or item.rendered or item.forced or item.results in ("missing", "changed"):
        return True
    output = job_state.output
    if output is None or output.path != item.job.output_display or output.unanswered:
        return True
    current = current_shard_plans(job_state, view)
    return any(not s.batch_id or s.status is None or is_live(s.status) or not s.result_files <= set(output.sources)
               for s in current)


def needs_new_round(job_state: JobState, view: ProviderView, retry_errors: bool) -> bool:
    """An unchanged job has requests without a result (a batch ended early, rows unanswered, or
    errors to re-send with --retry-errors) and nothing of it still runs: render what to send."""
    current = current_shard_plans(job_state, view)
    if any(not s.batch_id or s.status is None or is_live(s.status) for s in current):
        return False
    output = job_state.output
    if not current and output is None:
        return True  # recorded, but nothing was ever submitted for it (its shards were dropped)
    if output is not None and any(is_completed(s.status) and not s.result_files <= set(output.sources)
                                  for s in current):
        return False  # a round finished since the last join: join it first (download)
    if any(is_dead(s.status) and not answered_in(s, output) for s in current):
        return True
    return output is not None and bool(output.unanswered or (retry_errors and output.error))


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
