"""Refresh: every read planning needs, from the disk and from the provider, as plain data.

``job_inputs`` fingerprints (and, when its inputs changed, renders) a job and looks at
its results file; ``refresh`` asks the provider about recorded and adoptable files and
batches and the models. What they return is all ``planner.decide`` reads: it touches
neither the disk nor the network.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from specrun._batch_status import is_live
from specrun.errors import APIError, NotFound
from specrun.ledger import SendFilter
from specrun.plan.values import (
    JobInputs,
    ProviderView,
    ShardPlan,
    shard_plan_of,
)
from specrun.provider import InlineRequests, Provider, share_state
from specrun.render import fingerprint_of, fingerprint_parts
from specrun.spec import Job, Spec
from specrun.state import JobState, OutputState, State, batch_status, newest_usable_batch

__all__ = ["job_inputs", "results_on_disk", "fetch_models", "refresh_batches", "refresh", "context_length_of",
           "unrecorded_live_batches"]

log = logging.getLogger("specrun.plan")


def job_inputs(spec: Spec, job: Job, state_job: JobState | None, build_dir: Path, *,
               context_length: int | None = None, force_render: bool = False,
               send: SendFilter | None = None, forced: bool = False, retry_round: bool = False) -> JobInputs:
    """Fingerprint the job; render it only when its inputs changed since the state
    (or ``force_render``: a new round of an unchanged job, for what has no answer yet).

    A no-op plan reuses the fingerprint and never re-renders, which keeps
    ``plan`` fast for big, unchanged jobs. ``context_length`` (the model's, when
    the provider publishes it) turns on the context check while rendering. ``send``
    (the row ledger's filter) keeps out of the shards what the ledger answers or a
    running batch holds; ``forced`` (``--replace``) says it was built without the ledger.
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
                         tuple(shard_plan_of(s) for s in state_job.shards if s.generation == 0), False,
                         state_job.estimated_input_tokens, state_job.max_output_tokens,
                         state_job.context_length, state_job.skipped, counting=state_job.token_counting,
                         results=results_on_disk(job, state_job.output))
    retry_round = retry_round and state_job is not None
    generation = state_job.generation + 1 if retry_round and state_job is not None else 0
    send = send if send is not None else SendFilter(None)
    rendered = render_job(spec, job, build_dir, context_length=context_length, fingerprint=fingerprint, send=send)
    shards = tuple(
        ShardPlan(index=s.index, filename=s.filename, sha256=s.sha256, bytes=s.bytes, requests=s.requests,
                  generation=generation)
        for s in rendered.shards
    )
    return JobInputs(job, fingerprint, parts, rendered.input_sha256, rendered.requests, shards, True,
                     rendered.estimated_input_tokens, rendered.max_output_tokens, context_length, rendered.skipped,
                     tuple(rendered.warnings), rendered.counting.describe(), rendered.counting.note,
                     results_on_disk(job, state_job.output if state_job is not None else None),
                     to_send=rendered.to_send, reused=rendered.reused, in_flight=rendered.in_flight,
                     duplicates=rendered.duplicates, prompt_chars=rendered.prompt_chars,
                     waiting_on=frozenset(send.used_files), forced=forced, retry_round=retry_round)


def results_on_disk(job: Job, output: OutputState | None) -> str | None:
    """What the recorded results file looks like now: "same", "missing" or "changed" — or
    "export:<path>" when it is the same but one of the job's exports was never written (added
    to the spec since, or deleted).

    None when no results are recorded for this output path (nothing to compare). A file
    whose size, mtime and inode are as recorded is not re-read (``OutputState.matches_stat``).
    """
    from specrun.results import file_sha256

    if output is None or output.path != job.output_display:
        return None
    if not job.output.exists():
        return "missing"
    if output.matches_stat(job.output) or file_sha256(job.output) == output.sha256:
        missing = next((shown for path, shown in zip(job.exports, job.exports_display, strict=True)
                        if not path.exists()), None)
        return "same" if missing is None else f"export:{missing}"
    return "changed"


def fetch_models(client: Provider) -> tuple[dict[str, Any] | None, list[str]]:
    """The provider's active models (id → ModelConfig), or None when it cannot say."""
    try:
        return {m.id: m for m in client.model_config()}, []
    except APIError as exc:
        if isinstance(exc, NotFound) or exc.status_code in (404, 405, 501):
            return None, ["the provider does not list active models; model names were not checked"]
        raise


def refresh_batches(client: Provider, state: State | None, names: Iterable[str], *, provider_matches: bool,
                    models: dict[str, Any] | None = None, notes: Sequence[str] = ()) -> ProviderView:
    """The recorded in-flight batches of these jobs, as the provider has them now."""
    view = ProviderView(refreshed=True, notes=list(notes), models=dict(models or {}),
                        active_models=list(models) if models is not None else None)
    known = state.jobs if (state is not None and provider_matches) else {}
    batch_ids: list[str] = []
    for name in names:
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
    # Uploaded, but no batch recorded: a crash may have come right after creating it.
    unsure = {s.file_id: s.filename for name in names if (job_state := known.get(name)) is not None
              for s in job_state.shards if s.file_id and not s.batch_id}
    if unsure:
        for file_id, batches in client.batches_by_input_file(set(unsure)).items():
            batch = newest_usable_batch(batches)
            if batch is not None:
                view.recovered[unsure[file_id]] = batch
                view.batches[batch.id] = batch
    return view


def refresh(client: Provider, state: State | None, inputs: Sequence[JobInputs], view: ProviderView, *,
            provider_matches: bool, build_dir: Path | None = None) -> ProviderView:
    """Look on the provider for files and batches the rendered shards can adopt (by file name).

    A provider taking requests inline (``InlineRequests``) keeps its "uploads" as local
    copies named by content: the rendered shards in ``build_dir`` are copied in first
    (free, and nothing leaves the machine), so the plan finds their batches as apply will.
    """
    from specrun.render import retry_prefix

    known = state.jobs if (state is not None and provider_matches) else {}

    lookups: list[ShardPlan] = []
    prefixes: dict[str, str] = {}  # retry-file prefix → job
    for item in inputs:
        job_state = known.get(item.job.name)
        if job_state is not None:
            # Shards recorded without a file or batch (a crash mid-apply) are looked up too.
            lookups += [s for s in (shard_plan_of(s) for s in job_state.current_shards()) if not s.batch_id]
        elif item.rendered:
            lookups += item.shards
            prefixes[retry_prefix(item.job.name, item.input_sha256)] = item.job.name
        if job_state is not None and item.rendered:
            lookups += [s for s in item.shards if not s.batch_id]  # a new round, or the new version's shards
    # One listing pass for all files, one for all batches, however many shards.
    names = {s.filename for s in lookups if not s.file_id}
    if isinstance(client, InlineRequests) and build_dir is not None:
        for name in sorted(names):
            if (build_dir / name).is_file():
                client.upload_file(build_dir / name, filename=name)
    names |= {name for item in inputs if item.job.name not in known for name in item.waiting_on}
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


def context_length_of(models: Mapping[str, Any] | None, model: str) -> int | None:
    config = (models or {}).get(model)
    length = getattr(config, "context_length", None)
    return int(length) if length else None


def unrecorded_live_batches(client: Provider, name: str, job_state: JobState, *, known: set[str]) -> list[str]:
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


def refresh_for_destroy(client: Provider, state: State, targets: Sequence[str] = ()) -> ProviderView:
    """What destroy needs to know: each recorded in-flight batch's status now, and live
    batches of the jobs that the state never recorded."""
    share_state(client, state)
    view = ProviderView(refreshed=True)
    for name, job_state in state.jobs.items():
        if targets and name not in targets:
            continue
        for shard in job_state.shards:
            if not shard.batch_id or not (shard.status is None or is_live(shard.status)):
                continue
            try:
                view.batches[shard.batch_id] = client.get_batch(shard.batch_id)
            except NotFound:
                view.gone.add(shard.batch_id)
        known = {batch_id for batch_id, batch in view.batches.items() if is_live(batch_status(batch))}
        view.unrecorded_live[name] = unrecorded_live_batches(client, name, job_state, known=known)
    return view
