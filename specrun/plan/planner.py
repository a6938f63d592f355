"""Decide: from a job's inputs, its state and the provider's view, what apply must do. Pure.

No function here reads the disk or the network: ``refresh`` gathered all of it. The
same arguments always give the same Plan (tests run ``decide`` with file and network
access made to raise).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from specrun._batch_status import is_dead, is_live
from specrun.errors import PlanError
from specrun.plan.values import (
    SUBMITTING,
    Action,
    JobInputs,
    JobPlan,
    Plan,
    ProviderView,
    ShardPlan,
    current_shard_plans,
    shard_plan_of,
    with_batch,
)
from specrun.reconcile import file_for
from specrun.spec import Job, Spec
from specrun.state import JobState, OutputState, ShardState, State, batch_status, newest_usable_batch

__all__ = ["decide", "decide_destroy", "parse_retry_filename", "describe_change", "answered_in"]


def describe_change(old: Mapping[str, str], new: Mapping[str, str], job: Job) -> str:
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


def decide(spec: Spec, inputs: Sequence[JobInputs], state: State | None, view: ProviderView, *,
           provider: str, targets: Sequence[str] = (), retry_errors: bool = False) -> Plan:
    """Derive the plan. Pure: no I/O, same arguments → same Plan."""
    warnings: list[str] = list(view.notes)
    provider_matches = state is None or not state.provider or state.provider == provider
    known: Mapping[str, JobState] = state.jobs if state is not None else {}
    if state is not None and not provider_matches:
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
        plan = _counted(_decide_job(item, known.get(item.job.name), view, retry_errors=retry_errors), item)
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
        jobs.append(JobPlan(job=name, action=Action.REMOVE, reason=reason, requests=job_state.requests,
                            shards=len(job_state.current_shards()), model=job_state.model,
                            input_sha256=job_state.input_sha256, batch_ids=tuple(job_state.batch_ids()),
                            cancel_batch_ids=live))
    if errors:
        raise PlanError("\n".join(errors))
    return Plan(jobs=tuple(jobs), provider=provider,
                lineage=state.lineage if state is not None else None,
                serial=state.serial if state is not None else None,
                warnings=tuple(warnings), provider_changed=not provider_matches)


def _counted(plan: JobPlan, item: JobInputs) -> JobPlan:
    """The rendered shards the provider already ran (adopted by name) are not sent again: count them
    as reused, so ``to_send`` is exactly what apply uploads."""
    if not item.rendered or not plan.action.submits:
        return plan
    new = {s.filename for s in item.shards}
    adopted = sum(s.requests for s in plan.shard_plans if s.adopted and s.batch_id and s.filename in new)
    if not adopted:
        return plan
    reason = plan.reason
    if "adopt" not in reason:
        reason += f"; {adopted:,} of them already sent in batches found on the provider (adopted)"
    return replace(plan, to_send=max(item.to_send - adopted, 0), reused=item.reused + adopted, reason=reason)


def _live(batch: Any, shard: ShardState) -> bool:
    status = batch_status(batch) if batch is not None else shard.status
    return is_live(status)


def _decide_job(item: JobInputs, job_state: JobState | None, view: ProviderView, *,
                retry_errors: bool = False) -> JobPlan:
    job = item.job
    base: dict[str, Any] = dict(job=job.name, requests=item.requests, shards=len(item.shards), model=job.model,
                                input_sha256=item.input_sha256, fingerprint=item.fingerprint,
                                fingerprint_parts=dict(item.fingerprint_parts))
    if item.rendered:
        base.update(to_send=item.to_send, reused=item.reused, in_flight=item.in_flight, duplicates=item.duplicates)
    if item.waits_for is not None:
        return JobPlan(action=Action.CREATE if job_state is None else Action.UPDATE, to_send=None,
                       reason=f"known after apply: reads the results of job '{item.waits_for}', which this apply "
                              "changes", **{**base, "shards": 0, "fingerprint": None, "input_sha256": None})
    if job_state is None:
        return _decide_new_job(item, view, base)
    if job_state.input_sha256 != item.input_sha256 or item.forced:
        return _decide_changed_job(item, job_state, view, base)
    current = current_shard_plans(job_state, view)
    # Shards a crash left without a batch: adopt what the provider holds.
    current = [_adopt(s, view) if not s.batch_id else s for s in current]
    base["shards"] = len([s for s in job_state.shards if s.generation == 0])
    new_round = tuple(_adopt(s, view) if view.refreshed else s for s in item.shards) if item.retry_round else None
    batch_ids = tuple(dict.fromkeys([*job_state.batch_ids(), *(s.batch_id for s in current if s.batch_id),
                                     *(s.batch_id for s in new_round or () if s.batch_id)]))
    base["batch_ids"] = batch_ids
    return _decide_from_shards(job, job_state, current, base, adopted=False, retry_errors=retry_errors,
                               results=item.results, new_round=new_round, item=item)


def _decide_changed_job(item: JobInputs, job_state: JobState, view: ProviderView, base: dict[str, Any]) -> JobPlan:
    """The job's requests changed: send what the ledger cannot answer (update), or all of it (replace).

    Running batches of the old version that hold requests the new one asks are kept
    and waited for (their answers serve the new version); the others are cancelled.
    """
    now = {s.filename: view.batches.get(s.batch_id) if s.batch_id else view.recovered.get(s.filename)
           for s in job_state.shards}  # each recorded shard's batch as refreshed (or found after a crash)
    live = [shard_plan_of(s, now[s.filename]) if now[s.filename] is not None else shard_plan_of(s)
            for s in job_state.shards]
    live = [s for s in live if s.batch_id and is_live(s.status)]
    kept = [s for s in live if s.filename in item.waiting_on]
    cancel = tuple(s.batch_id for s in live if s.filename not in item.waiting_on and s.batch_id)
    new = [_adopt(s, view) if view.refreshed else s for s in item.shards]
    plans = tuple(replace(s, index=i, generation=0) for i, s in enumerate([*kept, *new]))
    if job_state.input_sha256 == item.input_sha256:
        reason = "--replace: every request is sent again, the ledger is not used"
    else:
        reason = describe_change(job_state.fingerprint_parts, item.fingerprint_parts, item.job)
        if item.forced:
            reason += "; --replace: every request is sent again, the ledger is not used"
    if cancel:
        reason += f"; cancel {len(cancel)} in-flight batch{'es' if len(cancel) != 1 else ''}"
    if kept:
        reason += f"; wait for {len(kept)} running batch{'es' if len(kept) != 1 else ''} that hold some of them"
    base = {**base, "shards": len(plans), "batch_ids": tuple(job_state.batch_ids())}
    action = Action.UPDATE if (item.reused or item.in_flight) and not item.forced else Action.REPLACE
    return JobPlan(action=action, reason=reason, shard_plans=plans, cancel_batch_ids=cancel, **base)


def _decide_new_job(item: JobInputs, view: ProviderView, base: dict[str, Any]) -> JobPlan:
    running = _running_elsewhere(item, view) if view.refreshed else []
    if running:
        # State lost while batches ran: their requests are in flight (the ledger says which);
        # adopt those batches so their answers are collected, and send only the rest.
        shards = [replace(s, index=i) for i, s in enumerate([*running, *(_adopt(s, view) for s in item.shards)])]
        reason = (f"job not in state; adopted {len(running)} running batch{'es' if len(running) != 1 else ''} "
                  "found on the provider")
        base = {**base, "shards": len(shards), "batch_ids": tuple(s.batch_id for s in shards if s.batch_id)}
        action = Action.CREATE if any(not s.batch_id for s in shards) else Action.WAIT
        return JobPlan(action=action, reason=reason, shard_plans=tuple(shards), adopted=True, **base)
    if item.rendered and not item.shards and item.requests:
        return JobPlan(action=Action.CREATE, shard_plans=(), **base,
                       reason=f"job not in state; the ledger answers all {item.requests:,} requests: nothing to send")
    if not view.refreshed or not item.shards:
        return JobPlan(action=Action.CREATE, reason="job not in state", shard_plans=item.shards, **base)
    shards = [_adopt(s, view) for s in item.shards]
    found = [s for s in shards if s.batch_id]
    if not found:
        files = [s for s in shards if s.file_id]
        reason = "job not in state"
        if files:
            reason += f"; adopting {len(files)} uploaded file{'s' if len(files) != 1 else ''} found on the provider"
        return JobPlan(action=Action.CREATE, reason=reason, shard_plans=tuple(shards), **base)
    retries = _adopt_retries(item, view)
    base["batch_ids"] = tuple(s.batch_id for s in [*found, *retries] if s.batch_id)
    if len(found) < len(shards):
        return JobPlan(action=Action.CREATE, adopted=True, shard_plans=tuple(shards),
                       reason=f"adopted {len(found)} of {len(shards)} shards' batches found on the provider; "
                              "submitting the rest", **base)
    if retries:
        # The newest retry round is what the job waits on now; earlier rounds keep their results.
        newest = max(s.generation for s in retries)
        current = [s for s in retries if s.generation == newest]
        return _decide_from_shards(item.job, None, current, base, adopted=True,
                                   all_shards=[*shards, *retries])
    return _decide_from_shards(item.job, None, shards, base, adopted=True)


def _running_elsewhere(item: JobInputs, view: ProviderView) -> list[ShardPlan]:
    """Running shards (found by name on the provider) that hold requests this new job needs."""
    own = {s.filename for s in item.shards}
    found = []
    for name in sorted(item.waiting_on - own):
        for f in view.files_by_name.get(name, ()):
            shard = _adopt(ShardPlan(index=0, filename=name, sha256=name.rsplit("-", 1)[-1].split(".")[0],
                                     bytes=getattr(f, "bytes", None) or 0, requests=0, file_id=f.id), view)
            if shard.batch_id:
                found.append(replace(shard, requests=shard.total))
                break
    return found


_RETRY_NAME = re.compile(r"-retry(\d+)-([0-9a-f]{16})\.jsonl$")


def parse_retry_filename(filename: str) -> tuple[int, str] | None:
    """``(generation, sha16)`` of a retry file name, or None for any other name."""
    match = _RETRY_NAME.search(filename)
    return (int(match.group(1)), match.group(2)) if match else None


def _adopt_retries(item: JobInputs, view: ProviderView) -> list[ShardPlan]:
    """Retry rounds of this version of the job found on the provider (state lost)."""
    by_name: dict[str, list[Any]] = {}
    parsed: dict[str, tuple[int, str]] = {}
    for f in view.retry_files.get(item.job.name, ()):
        name_parts = parse_retry_filename(f.filename)
        if name_parts is None:  # listed under the retry prefix, but not a name specrun gives: not ours
            continue
        parsed[f.filename] = name_parts
        by_name.setdefault(f.filename, []).append(f)
    plans: list[ShardPlan] = []
    for generation_name in sorted(by_name, key=lambda n: (parsed[n][0], n)):
        generation, sha16 = parsed[generation_name]
        index = sum(1 for p in plans if p.generation == generation)
        adopted = None
        for f in by_name[generation_name]:  # the same name uploaded twice: take the one with a batch
            candidate = _adopt(ShardPlan(index=index, filename=generation_name, sha256=sha16,
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
        found = file_for(view.files_by_name.get(shard.filename, ()), shard.bytes)
        if found is None:
            return shard
        file_id = found.id
    on_file = list(view.batches_by_file.get(file_id, ()))
    batch = newest_usable_batch(on_file)
    if batch is None:
        # No live or completed batch: an expired/cancelled one still holds paid-for partial
        # results, so adopt it (the plan then retries only the rest) rather than start over.
        partial = [b for b in on_file if batch_status(b) in ("expired", "cancelled")]
        if not partial:
            return replace(shard, file_id=file_id, adopted=True)
        batch = max(partial, key=lambda b: getattr(b, "created_at", 0) or 0)
    return replace(with_batch(shard, batch), file_id=file_id, adopted=True)


def _decide_from_shards(job: Job, job_state: JobState | None, shards: list[ShardPlan],
                        base: dict[str, Any], *, adopted: bool,
                        all_shards: list[ShardPlan] | None = None, retry_errors: bool = False,
                        results: str | None = None, new_round: tuple[ShardPlan, ...] | None = None,
                        item: JobInputs | None = None) -> JobPlan:
    """Decide from the shards the job waits on now (``all_shards`` are recorded too).

    ``results``: what refresh found of the recorded results file ("same", "missing",
    "changed"); this function reads no file itself. ``new_round``: the shards refresh
    rendered for what still has no answer (the row ledger's view), when nothing runs.
    """
    prefix = "adopted from the provider; " if adopted else ""
    plans = tuple(all_shards if all_shards is not None else shards)
    if new_round is not None and item is not None:
        retry = _decide_new_round(job, job_state, shards, plans, base, new_round, item, retry_errors=retry_errors)
        if retry is not None:
            return retry
    unsubmitted = [s for s in shards if not s.batch_id]
    if unsubmitted:
        return JobPlan(action=Action.CREATE, shard_plans=plans, adopted=adopted,
                       reason=f"{prefix}resuming: {len(unsubmitted)} of {len(shards)} shard(s) not yet submitted",
                       **base)
    output = job_state.output if job_state is not None else None
    dead = [s for s in shards if is_dead(s.status) and not answered_in(s, output)]
    if dead and any(s.status is None or is_live(s.status) for s in shards):
        first = dead[0]
        return JobPlan(action=Action.WAIT, shard_plans=plans, adopted=adopted, retry_errors=retry_errors,
                       reason=f"{prefix}batch {first.batch_id} {first.status}; its requests without a result are "
                              "sent once the batches still running end", **base)
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
        return JobPlan(action=Action.RETRY, shard_plans=plans, adopted=adopted, retry_errors=retry_errors,
                       reason=f"{prefix}batch {first.batch_id} {first.status}{done}{more}; "
                              "resubmitting the requests without a result", **base)
    live = [s for s in shards if s.status is None or is_live(s.status)]
    if live:
        statuses = sorted({s.status or "unknown" for s in live})
        return JobPlan(action=Action.WAIT, shard_plans=plans, adopted=adopted,
                       reason=f"{prefix}{len(live)} batch{'es' if len(live) != 1 else ''} "
                              f"{'/'.join(statuses)}", **base)
    if output is None:
        return JobPlan(action=Action.DOWNLOAD, shard_plans=plans, adopted=adopted,
                       reason=f"{prefix}batches completed; results not downloaded yet", **base)
    unjoined = [s for s in shards if not s.result_files <= set(output.sources)]
    if unjoined:
        return JobPlan(action=Action.DOWNLOAD, shard_plans=plans,
                       reason=f"batch {unjoined[0].batch_id} finished; its results are not joined yet", **base)
    if output.path != job.output_display:
        return JobPlan(action=Action.DOWNLOAD, shard_plans=plans,
                       reason=f"results path changed to {job.output_display}", **base)
    if results == "missing":
        return JobPlan(action=Action.DOWNLOAD, shard_plans=plans,
                       reason=f"results file {job.output_display} missing", **base)
    if results == "changed":
        return JobPlan(action=Action.DOWNLOAD, shard_plans=plans,
                       reason=f"results file {job.output_display} changed on disk", **base)
    if results is not None and results.startswith("export:"):
        return JobPlan(action=Action.DOWNLOAD, shard_plans=plans,
                       reason=f"export {results.removeprefix('export:')} not written yet", **base)
    if output.unanswered:
        return JobPlan(action=Action.RETRY, shard_plans=plans, retry_errors=retry_errors,
                       reason=f"{output.unanswered:,} request(s) have no result yet; sending them", **base)
    if retry_errors and output.error:
        return JobPlan(action=Action.RETRY, shard_plans=plans, retry_errors=True,
                       reason=f"{output.error:,} row(s) failed inside completed batches; re-sending just those "
                              "(--retry-errors)", **base)
    return JobPlan(action=Action.NOOP, shard_plans=plans, reason="up to date", **base)


def answered_in(shard: ShardPlan, output: OutputState | None) -> bool:
    """The shard's batch ended early, but its results are joined and every request has its answer."""
    return output is not None and not output.unanswered and shard.result_files <= set(output.sources)


def _decide_new_round(job: Job, job_state: JobState | None, shards: list[ShardPlan], plans: tuple[ShardPlan, ...],
                      base: dict[str, Any], new_round: tuple[ShardPlan, ...], item: JobInputs, *,
                      retry_errors: bool) -> JobPlan | None:
    """Nothing of the job runs, and some requests have no result: send exactly the new round.

    None when the recorded results still need joining first (nothing to send yet).
    """
    output = job_state.output if job_state is not None else None
    dead = [s for s in shards if is_dead(s.status) and not answered_in(s, output)]
    why: str
    if dead:
        first = dead[0]
        done = f" with {first.completed}/{first.total} done" if first.total else ""
        if first.failed:
            done += f", {first.failed} failed"
        more = f" (+{len(dead) - 1} more)" if len(dead) > 1 else ""
        why, then = f"batch {first.batch_id} {first.status}{done}{more}", "resubmitting the requests without a result"
    elif output is not None and output.unanswered:
        why, then = f"{output.unanswered:,} request(s) have no result yet", "sending them"
    elif output is not None and retry_errors and output.error:
        why, then = (f"{output.error:,} row(s) failed inside completed batches",
                     "re-sending just those (--retry-errors)")
    else:
        return None
    if not new_round and not item.in_flight:
        return JobPlan(action=Action.DOWNLOAD, shard_plans=plans,
                       reason=f"{why}; the ledger answers every request without a result: rebuilding the results",
                       **base)
    if not new_round:
        return JobPlan(action=Action.WAIT, shard_plans=plans,
                       reason=f"{why}; batches of other jobs already running will answer the rest", **base)
    return JobPlan(action=Action.RETRY, shard_plans=(*plans, *new_round), retry_errors=retry_errors,
                   reason=f"{why}; {then}", **base)


def decide_destroy(state: State, view: ProviderView, *, provider: str, targets: Sequence[str] = ()) -> Plan:
    """Remove every job in state (or the targeted ones), cancelling what still runs. Pure."""
    reachable = not state.provider or state.provider == provider
    warnings = [] if reachable else [
        f"state was made against provider {state.provider}, now {provider}: its batches cannot be cancelled "
        "from here; the jobs are only forgotten"]
    jobs: list[JobPlan] = []
    for name, job_state in state.jobs.items():
        if targets and name not in targets:
            continue
        live: list[str] = []
        if reachable:
            for shard in job_state.shards:
                if not shard.batch_id or not (shard.status is None or is_live(shard.status)):
                    continue
                if shard.batch_id in view.gone:
                    continue
                batch = view.batches.get(shard.batch_id)
                status = batch_status(batch) if batch is not None else shard.status
                if is_live(status):
                    live.append(shard.batch_id)
            live += [b for b in view.unrecorded_live.get(name, ()) if b not in live]
        reason = "destroy: forget the job (result files stay)"
        if live:
            reason = f"destroy: cancel {len(live)} in-flight batch{'es' if len(live) != 1 else ''}, forget the job"
        jobs.append(JobPlan(job=name, action=Action.REMOVE, reason=reason, requests=job_state.requests,
                            shards=len(job_state.current_shards()), model=job_state.model,
                            input_sha256=job_state.input_sha256, batch_ids=tuple(job_state.batch_ids()),
                            cancel_batch_ids=tuple(live)))
    return Plan(jobs=tuple(jobs), provider=provider, lineage=state.lineage, serial=state.serial,
                warnings=tuple(warnings))
