"""Reconciliation: what the provider and the ledger hold, against what the spec needs.

Plan (refresh) and apply use the same functions here, so they agree on what is
answered, what is still running and what must be sent:

- ``send_filter`` builds the row ledger's ``SendFilter`` for a render: keys the ledger
  answers are reused, keys held by a shard still running are in flight, the rest are
  sent (each once per plan);
- ``download`` fetches a provider file once into the downloads cache, under a hash;
- ``ledger_lookup`` / ``outcome_of`` translate between the ledger and result rows;
- ``rebuild_ledger`` reads the provider's ``specrun-*`` files and their batches'
  output and error files into a ledger that was lost, so nothing the provider already
  answered is sent again.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from specrun._batch_status import is_live
from specrun.errors import APIError, ProviderError
from specrun.ledger import LedgerStore, Outcome, SendFilter, is_key
from specrun.provider import Provider
from specrun.results import RowResult, is_answer, load_results, merge_results
from specrun.spec import Job, Spec
from specrun.state import JobState, State, batch_status

__all__ = ["live_files", "send_filter", "file_for", "download_name", "download", "outcome_of", "ledger_lookup",
           "rebuild_ledger", "Rebuilt", "ingest_job", "ingest_recovered", "keys_in", "rename_shard", "result_files"]

log = logging.getLogger("specrun.reconcile")


def live_files(state: State | None, batches: Mapping[str, Any] | None = None,
               recovered: Mapping[str, Any] | None = None) -> set[str]:
    """Names of the recorded shards whose batches may still answer (any job), by the batch
    statuses just refreshed (``batches``: id → Batch) where there are some, else as recorded.
    ``recovered``: batches found on the files of shards recorded without one (filename → Batch)."""
    if state is None:
        return set()
    found = set()
    for job in state.jobs.values():
        for shard in job.shards:
            if not shard.batch_id:
                lost = (recovered or {}).get(shard.filename)
                if lost is not None and is_live(batch_status(lost)):
                    found.add(shard.filename)
                continue
            batch = (batches or {}).get(shard.batch_id)
            status = batch_status(batch) if batch is not None else shard.status
            if status is None or is_live(status):
                found.add(shard.filename)
    return found


def send_filter(ledger: LedgerStore | None, state: State | None, *, resend_errors: bool = False,
                claimed: set[bytes] | None = None, also_live: Iterable[str] = (),
                batches: Mapping[str, Any] | None = None, recovered: Mapping[str, Any] | None = None) -> SendFilter:
    return SendFilter(ledger, live_files=live_files(state, batches, recovered) | set(also_live),
                      resend_errors=resend_errors, claimed=claimed)


def ingest_recovered(ledger: LedgerStore, client: Provider, provider: str, downloads_dir: Path, spec: Spec,
                     state: State, recovered: Mapping[str, Any]) -> None:
    """Record what the batches found on unrecorded shards' files already answered (they may have
    finished since the crash that lost their ids), so nothing they answered is sent again."""
    for name, job_state in state.jobs.items():
        job = spec.jobs.get(name)
        found = []
        for shard in job_state.shards:
            batch = recovered.get(shard.filename) if not shard.batch_id else None
            if batch is not None and not is_live(batch_status(batch)):
                found.append(dataclasses.replace(shard, batch_id=batch.id, output_file_id=batch.output_file_id,
                                                 error_file_id=batch.error_file_id))
        if found and job is not None:
            ingest_job(ledger, client, provider, downloads_dir, spec, job, dataclasses.replace(job_state, shards=found))


def file_for(files: Iterable[Any], size: int) -> Any:
    """The first of the files found under a shard's name that can be that shard (its size, when the
    provider says one), or None. Plan (adopting) and apply (reconciling before upload) both ask this."""
    return next((f for f in files if getattr(f, "bytes", None) in (None, size)), None)


def download_name(provider: str, file_id: str) -> str:
    """Local cache name of a provider file: a hash, so the provider cannot pick a path."""
    return hashlib.sha256(f"{provider}\0{file_id}".encode("utf-8", "surrogatepass")).hexdigest()[:32] + ".jsonl"


def download(client: Provider, provider: str, downloads_dir: Path, file_id: str) -> Path:
    """The provider file's content, downloaded once into the cache (never under a name it chose)."""
    dest = downloads_dir / download_name(provider, file_id)
    if not dest.exists():
        downloads_dir.mkdir(parents=True, exist_ok=True)
        client.download_file(file_id, dest)
    return dest


def outcome_of(result: RowResult, *, model: str | None = None, batch_id: str | None = None,
               prompt_chars: int = 0) -> Outcome:
    return Outcome(result.status, result.content, result.error, result.usage, model, batch_id, result.source,
                   time.time(), prompt_chars, result.embedding)


def ledger_lookup(ledger: LedgerStore) -> Any:
    """The ledger as ``join_rows`` reads it: keys → RowResult."""
    def lookup(keys: Sequence[str]) -> Mapping[str, RowResult]:
        return {key: RowResult(o.status, o.content, dict(o.error) if o.error is not None else None,
                               dict(o.usage) if o.usage is not None else None, o.file_id, embedding=o.embedding)
                for key, o in ledger.outcomes(keys).items()}
    return lookup


@dataclass
class Rebuilt:
    """What a ledger rebuild found on the provider."""

    files: int = 0                    # output/error files read
    answers: int = 0                  # outcomes recorded
    live: set[str] = field(default_factory=set)  # names of shards whose batches still run
    notes: list[str] = field(default_factory=list)


def rebuild_ledger(ledger: LedgerStore, client: Provider, provider: str, downloads_dir: Path) -> Rebuilt:
    """Read what the provider answered for every ``specrun-*`` file into the ledger.

    Providers without file listing are searched through their batches' input files
    (as adoption does). Output files already read in are skipped; answers keyed by
    anything but a request key (sent before the ledger existed) are left out, since
    nothing says which request they answer. A batch still running has its input file
    read, so its requests count as in flight rather than as to be sent.
    """
    found = Rebuilt()
    files = client.files_matching(prefixes=["specrun-"])
    names = {f.id: f.filename or "" for f in files}
    batches = client.batches_by_input_file(set(names))
    pending: list[tuple[str, str, Any]] = []  # (result file id, batch id, model)
    for file_id, on_file in batches.items():
        for batch in on_file:
            status = batch_status(batch)
            if is_live(status):
                found.live.add(names[file_id])
                _note_running(ledger, client, provider, downloads_dir, names[file_id], file_id, found)
                continue
            for result_file in (batch.error_file_id, batch.output_file_id):
                if result_file:
                    pending.append((result_file, batch.id, getattr(batch, "model", None)))
    done = ledger.ingested(f for f, _, _ in pending)
    for result_file, batch_id, model in pending:
        if result_file in done:
            continue
        try:
            path = download(client, provider, downloads_dir, result_file)
            # (a file of row-keyed answers is not marked read: its job reads it again, knowing its rows)
            found.answers += _record_file(ledger, result_file, path, batch_id, model, lambda _custom_id: None)[0]
        except (APIError, ProviderError) as exc:
            found.notes.append(f"could not read {result_file} of batch {batch_id} into the ledger: {exc.message}")
            continue
        found.files += 1
    return found


def _record_file(ledger: LedgerStore, file_id: str, path: Path, batch_id: str | None, model: str | None,
                 key_of_row: Callable[[str], str | None]) -> tuple[int, dict[str, RowResult]]:
    """Record the answers of one output/error file; mark it read when every answer reached the ledger.

    An answer's custom_id is its request key, or (sent before the ledger existed) a row's
    custom_id, which ``key_of_row`` turns into the key when it can. Returns how many outcomes
    changed, and the file's results (custom_id → RowResult), so no caller reads it twice.
    """
    results = load_results([(file_id, path)])
    answers = [(custom_id, r) for custom_id, r in results.items() if is_answer(r)]
    items = []
    for custom_id, result in answers:
        key = custom_id if is_key(custom_id) else key_of_row(custom_id)
        if key:
            items.append((key, outcome_of(result, model=model, batch_id=batch_id)))
    changed = ledger.record(items)
    if len(items) == len(answers):  # every answer is in the ledger: the file need not be read again
        ledger.mark_ingested([file_id])
    return changed, results


def result_files(job_state: JobState, batches: Mapping[str, Any] | None = None) -> list[tuple[str, str | None]]:
    """``(file_id, batch_id)`` of every output and error file of the job's batches, oldest round first
    (``batches``: just refreshed ones, which may know files the state does not yet)."""
    found = []
    for shard in sorted(job_state.shards, key=lambda s: (s.generation, s.index)):
        batch = (batches or {}).get(shard.batch_id or "")
        for file_id in (getattr(batch, "error_file_id", None) or shard.error_file_id,
                        getattr(batch, "output_file_id", None) or shard.output_file_id):
            if file_id:
                found.append((file_id, shard.batch_id))
    return found


def _keys_by_row(spec: Spec, job: Job, job_state: JobState) -> dict[str, str]:
    """Row custom_id → request key, for answers sent before the ledger existed (keyed by row).

    Only while the spec still renders the requests the state recorded (same input_sha256):
    after an edit, a row's custom_id names another question, and its old answer must not
    be filed under the new one's key. Empty then.
    """
    from specrun.render import iter_requests

    digest = hashlib.sha256()
    found = {}
    for request in iter_requests(spec, job, context_length=job_state.context_length):
        if request.skip_reason is None:
            digest.update(request.line)
            found[request.custom_id] = request.key
    return found if digest.hexdigest() == job_state.input_sha256 else {}


def keys_in(path: Path) -> list[str]:
    """The request keys a keyed shard file holds (its custom_ids)."""
    keys = []
    with open(path, "rb") as handle:
        for raw in handle:
            start = raw.find(b'"custom_id":"')
            if start >= 0:
                candidate = raw[start + 13:start + 77].decode("ascii", "replace")
                if is_key(candidate):
                    keys.append(candidate)
    return keys


def rename_shard(ledger: LedgerStore, build_dir: Path, old: str, new: str) -> None:
    """Give a rendered shard another upload name (``--replace``: a fresh send, not the old file adopted)."""
    path = build_dir / old
    ledger.note_shard(new, keys_in(path))
    path.replace(build_dir / new)


def _note_running(ledger: LedgerStore, client: Provider, provider: str, downloads_dir: Path, filename: str,
                  file_id: str, found: Rebuilt) -> None:
    """Record which keys a running shard holds (from its input file), so they are not sent twice."""
    try:
        path = download(client, provider, downloads_dir, file_id)
    except APIError as exc:
        found.notes.append(f"batch input file {filename} is still running and cannot be read ({exc.message}); "
                           "its requests are matched by file name only")
        return
    ledger.note_shard(filename, keys_in(path))
    path.unlink(missing_ok=True)  # an input file: not worth keeping in the cache


def ingest_job(ledger: LedgerStore, client: Provider, provider: str, downloads_dir: Path, spec: Spec, job: Job,
               job_state: JobState, batches: Mapping[str, Any] | None = None) -> dict[str, RowResult]:
    """Record in the ledger every answer the job's batches gave (their output and error files).

    Files already read in are skipped. Answers sent before the ledger existed carry the
    row's custom_id, not the request key: those are matched through the job's requests.
    Returns what the files read now hold (custom_id → RowResult, merged as ``load_results``
    merges files); the answers of files read before are in the ledger.
    """
    pending = result_files(job_state, batches)
    done = ledger.ingested(f for f, _ in pending)
    by_row: dict[str, str] | None = None  # built once, and only if some answer is row-keyed

    def key_of_row(custom_id: str) -> str | None:
        nonlocal by_row
        if by_row is None:
            by_row = _keys_by_row(spec, job, job_state)
        return by_row.get(custom_id)

    return merge_results(_record_file(ledger, file_id, download(client, provider, downloads_dir, file_id),
                                      batch_id, job.model, key_of_row)[1]
                         for file_id, batch_id in pending if file_id not in done)
