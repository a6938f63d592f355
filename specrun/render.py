"""Render jobs into OpenAI batch JSONL shards, streaming and hashing as it writes.

CONTRACT (other modules depend on these names; add fields freely, do not rename):
``iter_requests``, ``render_job``, ``job_fingerprint``, ``shard_filename``,
``RenderedRequest``, ``Shard``, ``RenderedJob``.

A request line is exactly ``json.dumps(obj, ensure_ascii=False, separators=(",", ":"))``
of ``{"custom_id", "method": "POST", "url": <the job's endpoint>, "body": {"model",
"messages" (chat) or "input" (embeddings, responses), <params in spec order>}}`` plus
``\\n``, encoded UTF-8. It is assembled from pre-encoded pieces (only what depends on the
row is encoded per row, see ``specrun._job_renderer``), and templates that do not use
``row`` or ``index`` are rendered once per job.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from specrun._endpoints import CHAT_COMPLETIONS
from specrun._job_renderer import _JobRenderer
from specrun.estimate import answers_per_request
from specrun.fingerprint import (
    RENDER_FORMAT,
    fingerprint_of,
    fingerprint_parts,
    job_fingerprint,
)
from specrun.ledger import SendFilter
from specrun.naming import retry_filename, retry_prefix, shard_filename
from specrun.shards import Shard, _ShardWriter
from specrun.spec import Job, Spec
from specrun.tokens import Counting

__all__ = [
    "RenderedRequest", "Shard", "RenderedJob", "JobCheck", "iter_requests", "render_job", "check_job",
    "job_fingerprint", "fingerprint_parts", "fingerprint_of",
    "shard_filename", "retry_prefix", "retry_filename", "RENDER_FORMAT", "CHAT_COMPLETIONS_URL",
]

CHAT_COMPLETIONS_URL = CHAT_COMPLETIONS


@dataclass(frozen=True)
class RenderedRequest:
    index: int                        # 0-based position of the row in its data
    custom_id: str
    row: Mapping[str, Any]            # the input row as read
    location: str                     # "data/articles.csv:41" (for messages)
    line: bytes                       # the JSONL request line, with trailing b"\n"
    prompt_tokens: int = 0            # estimated (see specrun.estimate)
    skip_reason: str | None = None    # set when on_too_long: skip keeps this row out of the batch
    key: str = ""                     # the ledger key (specrun.ledger); "" for a skipped row
    prompt_chars: int = 0             # characters of message text (calibrated estimates)
    url: str = CHAT_COMPLETIONS       # the job's endpoint: what kind of answer the request gets


@dataclass(frozen=True)
class RenderedJob:
    job: str
    model: str
    requests: int
    bytes: int
    input_sha256: str                 # sha256 of all request lines of the job, in order (shard-independent)
    fingerprint: str                  # cheap hash of inputs (see job_fingerprint)
    shards: tuple[Shard, ...]
    warnings: tuple[str, ...] = ()
    estimated_input_tokens: int = 0   # sum over the kept requests (see specrun.tokens)
    max_output_tokens: int = 0        # sum of each kept request's billed output bound (x n answers)
    skipped: int = 0                  # rows kept out by on_too_long: skip
    counting: Counting = Counting("heuristic")  # how the input tokens were counted
    # With a SendFilter (the row ledger): what the shards hold and what they leave out.
    to_send: int = 0                  # request lines in the shards (= requests without a filter)
    reused: int = 0                   # answered by the ledger
    in_flight: int = 0                # held by a shard still running
    duplicates: int = 0               # identical to a request sent once already in this plan
    prompt_chars: int = 0             # message characters of the requests sent


@dataclass(frozen=True)
class JobCheck:
    """What rendering a job would produce, without writing anything (``validate``)."""

    job: str
    model: str
    requests: int
    bytes: int
    shards: int
    input_sha256: str
    warnings: tuple[str, ...] = ()
    estimated_input_tokens: int = 0
    counting: Counting = Counting("heuristic")


def iter_requests(spec: Spec, job: Job, *, context_length: int | None = None) -> Iterator[RenderedRequest]:
    """Stream the job's rendered requests in input order (templates compiled once).

    Rows that ``on_too_long: skip`` keeps out of the batch are included, with
    ``skip_reason`` set, so results can account for every input row.
    """
    renderer = _JobRenderer(spec, job, context_length=context_length)
    describe, url = renderer.source.location, job.endpoint
    for index, position, custom_id, line, row, tokens, skip_reason, key, chars in renderer.stream():
        yield RenderedRequest(index=index, custom_id=custom_id, row=row, location=describe(position), line=line,
                              prompt_tokens=tokens, skip_reason=skip_reason, key=key, prompt_chars=chars, url=url)


def render_job(
    spec: Spec,
    job: Job,
    out_dir: Path,
    *,
    only_custom_ids: Iterable[str] | None = None,
    context_length: int | None = None,
    fingerprint: str | None = None,
    send: SendFilter | None = None,
) -> RenderedJob:
    """Render the job into shard files under ``out_dir``.

    ``send`` (the row ledger's filter): the shards hold only the requests it says to
    send, each once, with its ledger key as ``custom_id`` (so any answer the provider
    gives names its key); ``input_sha256`` still covers every request of the job, as
    the rows ask them. Without it, every request goes in as its row asks it (``specrun
    render``). ``only_custom_ids`` keeps just those requests; the input_sha256 then
    covers only the kept lines. ``context_length`` (the model's,
    when known) turns on the context check: a request whose estimated prompt plus
    output bound exceeds it is an error, or skipped with ``on_too_long: skip``.
    ``fingerprint``: the job's fingerprint when the caller already computed it
    (the planner does), so the data file is not hashed a second time.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    renderer = _JobRenderer(spec, job, context_length=context_length)
    keep = None if only_custom_ids is None else set(only_custom_ids)
    if send is not None:
        return _render_keyed(spec, job, renderer, out_dir, send, fingerprint)
    writer = _ShardWriter(job.name, job.limits, out_dir)
    found = skipped = input_tokens = output_tokens = 0
    answers = answers_per_request(job.params)  # n: every answer is billed up to the bound
    try:
        for _index, _position, custom_id, line, _row, tokens, skip_reason, _key, _chars in renderer.stream():
            if skip_reason is not None:
                skipped += 1
                continue
            if keep is not None:
                if custom_id not in keep:
                    continue
                found += 1
            input_tokens += tokens
            output_tokens += renderer.output_bound(tokens) * answers
            writer.add(line, custom_id)
        shards = writer.finish()
    except BaseException:
        writer.abort()
        raise
    warnings = list(renderer.warnings)
    if keep is not None and found < len(keep):
        warnings.append(f"job {job.name!r}: {len(keep) - found} of the requested custom_ids are not in the job")
    return RenderedJob(
        job=job.name,
        model=job.model,
        requests=writer.total_requests,
        bytes=writer.total_bytes,
        input_sha256=writer.job_sha256.hexdigest(),
        fingerprint=fingerprint if fingerprint is not None else job_fingerprint(spec, job),
        shards=tuple(shards),
        warnings=tuple(warnings),
        estimated_input_tokens=input_tokens,
        max_output_tokens=output_tokens,
        skipped=skipped,
        counting=renderer.counting,
        to_send=writer.total_requests,
    )


_BATCH = 2048  # requests classified per ledger round trip
_SEND_AT = b',"method":"POST","url":'


def _render_keyed(spec: Spec, job: Job, renderer: _JobRenderer, out_dir: Path, send: SendFilter,
                  fingerprint: str | None) -> RenderedJob:
    """Render with the row ledger: only what ``send`` says goes into the shards, keyed."""
    writer = _ShardWriter(job.name, job.limits, out_dir)
    ledger = send.ledger
    shard_keys: list[str] = []

    def closed(shard: Shard) -> None:
        if ledger is not None:
            ledger.note_shard(shard.filename, shard_keys)
        shard_keys.clear()

    writer.on_close = closed
    job_sha256 = hashlib.sha256()
    requests = skipped = input_tokens = output_tokens = chars = 0
    counts = {"send": 0, "reuse": 0, "inflight": 0, "duplicate": 0}
    answers = answers_per_request(job.params)
    batch: list[tuple[str, bytes, int, int]] = []
    claimed: list[str] = []

    def flush() -> None:
        nonlocal input_tokens, output_tokens, chars
        verdicts = send.classify([key for key, _, _, _ in batch])
        lengths = []  # answers rebuilt from the provider do not know how long their request was: now we do
        for (key, line, tokens, length), verdict in zip(batch, verdicts, strict=True):
            counts[verdict] += 1
            if verdict == "reuse" and key in send.unmeasured:
                lengths.append((key, length))
            if verdict != "send":
                continue
            claimed.append(key)
            input_tokens += tokens
            output_tokens += renderer.output_bound(tokens) * answers
            chars += length
            at = line.find(_SEND_AT)
            writer.add(b'{"custom_id":"' + key.encode() + b'"' + line[at:], key)
            shard_keys.append(key)
        if lengths and ledger is not None:
            ledger.set_prompt_chars(lengths, job.model)
        batch.clear()

    try:
        for _index, _position, _custom_id, line, _row, tokens, skip_reason, key, length in renderer.stream():
            if skip_reason is not None:
                skipped += 1
                continue
            requests += 1
            job_sha256.update(line)
            batch.append((key, line, tokens, length))
            if len(batch) >= _BATCH:
                flush()
        if batch:
            flush()
        shards = writer.finish()
    except BaseException:
        writer.abort()
        send.forget(claimed)
        raise
    return RenderedJob(
        job=job.name, model=job.model, requests=requests, bytes=writer.total_bytes,
        input_sha256=job_sha256.hexdigest(),
        fingerprint=fingerprint if fingerprint is not None else job_fingerprint(spec, job),
        shards=tuple(shards), warnings=tuple(renderer.warnings), estimated_input_tokens=input_tokens,
        max_output_tokens=output_tokens, skipped=skipped, counting=renderer.counting,
        to_send=counts["send"], reused=counts["reuse"], in_flight=counts["inflight"],
        duplicates=counts["duplicate"], prompt_chars=chars,
    )


def check_job(spec: Spec, job: Job) -> JobCheck:
    """Render the job in memory only: counts, shards and sha256, or the first error."""
    renderer = _JobRenderer(spec, job)
    writer = _ShardWriter(job.name, job.limits, None)
    input_tokens = 0
    for _index, _position, custom_id, line, _row, tokens, skip_reason, _key, _chars in renderer.stream():
        if skip_reason is None:
            writer.add(line, custom_id)
            input_tokens += tokens
    shards = writer.finish()
    return JobCheck(
        job=job.name,
        model=job.model,
        requests=writer.total_requests,
        bytes=writer.total_bytes,
        shards=len(shards),
        input_sha256=writer.job_sha256.hexdigest(),
        warnings=tuple(renderer.warnings),
        estimated_input_tokens=input_tokens,
        counting=renderer.counting,
    )
