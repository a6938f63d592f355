"""Render jobs into OpenAI batch JSONL shards, streaming and hashing as it writes.

CONTRACT (other modules depend on these names; add fields freely, do not rename):
``iter_requests``, ``render_job``, ``job_fingerprint``, ``shard_filename``,
``RenderedRequest``, ``Shard``, ``RenderedJob``.

A request line is exactly ``json.dumps(obj, ensure_ascii=False, separators=(",", ":"))``
of ``{"custom_id", "method": "POST", "url": "/v1/chat/completions", "body": {"model",
"messages", <params in spec order>}}`` plus ``\\n``, encoded UTF-8. It is assembled from
pre-encoded pieces (only what depends on the row is encoded per row), and templates
that do not use ``row`` or ``index`` are rendered once per job.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from specrun._templates import (
    CompiledTemplate,
    RenderedTooLarge,
    TemplateFailure,
    base_context,
    compile_template,
)
from specrun.data import RowSource, row_source
from specrun.errors import DataError, RenderError
from specrun.estimate import answers_per_request, max_output_tokens
from specrun.fingerprint import (
    RENDER_FORMAT,
    fingerprint_of,
    fingerprint_parts,
    job_fingerprint,
)
from specrun.ledger import SendFilter
from specrun.naming import refuse_custom_id, retry_filename, retry_prefix, shard_filename
from specrun.shards import Shard, _CustomIdSet, _ShardWriter
from specrun.spec import Job, Spec
from specrun.tokens import Counting, chat_format_for, counter_for

__all__ = [
    "RenderedRequest", "Shard", "RenderedJob", "JobCheck", "iter_requests", "render_job", "check_job",
    "job_fingerprint", "fingerprint_parts", "fingerprint_of",
    "shard_filename", "retry_prefix", "retry_filename", "RENDER_FORMAT", "CHAT_COMPLETIONS_URL",
]

CHAT_COMPLETIONS_URL = "/v1/chat/completions"
_encode = json.encoder.encode_basestring  # json.dumps's, with ensure_ascii=False


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
    describe = renderer.source.location
    for index, position, custom_id, line, row, tokens, skip_reason, key, chars in renderer.stream():
        yield RenderedRequest(index=index, custom_id=custom_id, row=row, location=describe(position), line=line,
                              prompt_tokens=tokens, skip_reason=skip_reason, key=key, prompt_chars=chars)


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


# --------------------------------------------------------------------------- internals


class _JobRenderer:
    """One job's compiled templates and the pre-encoded parts of its request lines."""

    def __init__(self, spec: Spec, job: Job, *, context_length: int | None = None) -> None:
        self.job = job
        self.context_length = context_length
        counter = counter_for(job.model)
        self.counting: Counting = counter.counting
        self.count_tokens = counter.count
        chat = chat_format_for(job.model)
        # what the chat template adds around the text, plus the text that is the same for every row
        self.static_tokens = chat.per_request + chat.per_message * len(job.messages)
        self.source: RowSource = row_source(job.data, spec.display_path)
        self.vars = dict(spec.vars)
        self.context = base_context(job.name, self.vars)
        self.warnings: list[str] = []
        self.id_template = self._compile("id", job.id_template)
        # (field, template, static fragment, canonical role tail, static canonical fragment, static length)
        self.messages: list[tuple[str, CompiledTemplate | None, str, str, str, int]] = []
        self.static_chars = 0
        for number, message in enumerate(job.messages):
            field_name = f"messages[{number}].content"
            template = self._compile(field_name, message.content)
            head = '{"role":' + _encode(message.role) + ',"content":'
            role_tail = ',"role":' + _encode(message.role) + "}"  # canonical: content sorts before role
            if template.per_row:
                self.messages.append((field_name, template, head, role_tail, "", 0))
            else:  # same text for every row: render and encode it once
                content = self._render(field_name, template, None, None)
                self.static_tokens += self.count_tokens(content)
                self.static_chars += len(content)
                self.messages.append((field_name, None, head + _encode(content) + "}", role_tail,
                                      '{"content":' + _encode(content) + role_tail, len(content)))
                if not content.strip():
                    self.warnings.append(f"job {job.name!r}: {field_name} renders empty")
        params = json.dumps(dict(job.params), ensure_ascii=False, separators=(",", ":"))
        self.head = '{"custom_id":'
        self.middle = (',"method":"POST","url":' + _encode(CHAT_COMPLETIONS_URL)
                       + ',"body":{"model":' + _encode(job.model) + ',"messages":[')
        self.tail = "]" + ("," + params[1:-1] if job.params else "") + "}}\n"
        # The ledger key hashes the canonical request (specrun.ledger.canonical_request):
        # body keys sorted, at every depth; only the messages vary per row.
        entries = {key: _encode(key) + ":" + json.dumps(value, sort_keys=True, ensure_ascii=False,
                                                        separators=(",", ":"))
                   for key, value in {**dict(job.params), "model": job.model}.items()}
        before = "".join(entries[k] + "," for k in sorted(entries) if k < "messages")
        after = "".join("," + entries[k] for k in sorted(entries) if k > "messages")
        self.key_head = '{"body":{' + before + '"messages":['
        url = _encode(CHAT_COMPLETIONS_URL)
        self.key_tail = "]" + after + "}," + '"url":' + url + "}"
        self.key_with_id = not job.dedupe  # dedupe: false: the custom_id is part of the key
        self.key_id_tail = "]" + after + "}," + '"custom_id":'

    def output_bound(self, prompt: int) -> int:
        """Upper bound of one request's reply tokens."""
        return max_output_tokens(self.job.params, self.context_length, prompt)

    def _compile(self, field_name: str, source: str) -> CompiledTemplate:
        try:
            return compile_template(source)
        except Exception as exc:  # load_spec reports syntax errors; this is a safety net
            raise RenderError(f"job {self.job.name!r}, {field_name}: template error: {exc}") from None

    def _render(self, field_name: str, template: CompiledTemplate, row: dict | None, position: int | None) -> str:
        try:
            return template.render(self.context)
        except TemplateFailure as failure:
            raise self._failure(field_name, failure, row, position) from None

    def _failure(
        self, field_name: str, failure: TemplateFailure, row: dict | None, position: int | None,
    ) -> RenderError:
        line = f" (template line {failure.template_line})" if failure.template_line else ""
        words = self.source.describe(position) if position is not None else None
        reason = failure.reason(row=row, row_words=words, vars=self.vars)
        return RenderError(f"job {self.job.name!r}, {field_name}{line}: {reason}")

    def stream(self) -> Iterator[tuple[int, int, str, bytes, dict, int, str | None, str, int]]:
        """``(index, position, custom_id, line, row, prompt_tokens, skip_reason, key, prompt_chars)`` per
        row, in input order (``key``: the ledger key, see ``specrun.ledger``).

        A row that ``on_too_long: skip`` keeps out comes with its ``skip_reason``;
        callers that build batches leave it out, results mark it ``skipped``.
        """
        static_tokens, count_tokens, context_length = self.static_tokens, self.count_tokens, self.context_length
        job, context, describe = self.job, self.context, self.source.describe
        id_template, messages = self.id_template, self.messages
        head, middle, tail = self.head, self.middle, self.tail
        key_head, key_tail, key_id_tail = self.key_head, self.key_tail, self.key_id_tail
        key_with_id, url_tail = self.key_with_id, ',"url":' + _encode(CHAT_COMPLETIONS_URL) + "}"
        static_chars, sha256 = self.static_chars, hashlib.sha256
        max_bytes, skip_too_long = job.limits.max_bytes, job.on_too_long == "skip"
        custom_ids = _CustomIdSet()
        empty: dict[str, tuple[int, int]] = {}  # field -> (count, first position)
        skipped: list[int] = []
        oversized: list[int] = []
        too_long: list[int] = []
        rows = self._rows()
        for index, (position, row) in enumerate(rows):
            context["row"] = row
            context["index"] = index
            field_name = "id"
            contents = []
            try:
                custom_id = id_template.render(context)
                parts = []
                canon = []
                for field_name, template, fragment, role_tail, static_canon, _length in messages:
                    if template is None:
                        parts.append(fragment)
                        canon.append(static_canon)
                        continue
                    content = template.render(context)
                    contents.append(content)
                    if not content or content.isspace():
                        count, first = empty.get(field_name, (0, position))
                        empty[field_name] = (count + 1, first)
                    encoded = _encode(content)
                    parts.append(fragment + encoded + "}")
                    canon.append('{"content":' + encoded + role_tail)
            except TemplateFailure as failure:
                if not (skip_too_long and field_name != "id" and isinstance(failure.error, RenderedTooLarge)):
                    raise self._failure(field_name, failure, row, position) from None
                # a message too large for any request: skipped like one over limits.max_bytes
                if not custom_id or not custom_id.isprintable() or custom_id.isspace():
                    refuse_custom_id(job.name, custom_id, describe(position))
                custom_ids.add(custom_id)
                oversized.append(position)
                yield (index, position, custom_id, b"", row, 0,
                       f"{field_name} renders {failure.error.size:,} characters, over the 16 MiB a message may hold",
                       "", 0)
                continue
            if not custom_id or not custom_id.isprintable() or custom_id.isspace():
                refuse_custom_id(job.name, custom_id, describe(position))
            custom_ids.add(custom_id)
            text = head + _encode(custom_id) + middle + ",".join(parts) + tail
            try:
                line = text.encode("utf-8")
            except UnicodeEncodeError:
                raise RenderError(f"job {job.name!r}: {describe(position)} contains text that is not valid "
                                  f"Unicode (a lone surrogate)") from None
            tokens = static_tokens
            chars = static_chars
            for content in contents:
                tokens += count_tokens(content)
                chars += len(content)
            if key_with_id:
                canonical = key_head + ",".join(canon) + key_id_tail + _encode(custom_id) + url_tail
            else:
                canonical = key_head + ",".join(canon) + key_tail
            key = sha256(canonical.encode("utf-8")).hexdigest()
            if len(line) > max_bytes:
                if skip_too_long:
                    skipped.append(position)
                    yield (index, position, custom_id, line, row, tokens,
                           f"request is {len(line):,} bytes, over limits.max_bytes ({max_bytes:,})", key, chars)
                    continue
                raise RenderError(
                    f"job {job.name!r}: the request for {describe(position)} is {len(line):,} bytes, over "
                    f"limits.max_bytes ({max_bytes:,}); shorten it or set on_too_long: skip"
                )
            if context_length:
                bound = self.output_bound(tokens)
                if tokens + bound > context_length:
                    words = (f"~{tokens:,} prompt tokens + {bound:,} max output = {tokens + bound:,}, over the "
                             f"{context_length:,}-token context of {job.model}")
                    if skip_too_long:
                        too_long.append(position)
                        yield index, position, custom_id, line, row, tokens, f"too long: {words}", key, chars
                        continue
                    raise RenderError(
                        f"job {job.name!r}: {describe(position)} (custom_id {custom_id!r}) needs {words}; "
                        "shorten it, lower max_tokens, or set on_too_long: skip"
                    )
            yield index, position, custom_id, line, row, tokens, None, key, chars
        context["row"] = context["index"] = None
        if custom_ids.suspects:
            self._raise_duplicate(custom_ids.suspects)
        for field_name, (count, first) in empty.items():
            self.warnings.append(f"job {job.name!r}: {field_name} renders empty for {count:,} "
                                 f"row{'s' if count != 1 else ''} (first: {describe(first)})")
        if skipped:
            self.warnings.append(f"job {job.name!r}: skipped {len(skipped):,} request(s) over limits.max_bytes "
                                 f"(first: {describe(skipped[0])})")
        if oversized:
            self.warnings.append(f"job {job.name!r}: skipped {len(oversized):,} request(s) with a message over 16 MiB "
                                 f"(first: {describe(oversized[0])})")
        if too_long:
            self.warnings.append(f"job {job.name!r}: skipped {len(too_long):,} request(s) too long for the "
                                 f"{context_length:,}-token context of {job.model} (first: {describe(too_long[0])})")

    def _rows(self) -> Iterator[tuple[int, dict]]:
        try:
            yield from self.source
        except DataError as exc:
            raise DataError(f"job {self.job.name!r}: {exc.message}") from None

    def _raise_duplicate(self, suspects: set[int]) -> None:
        """Second pass, only on a suspected duplicate: find the first real one, with both rows."""
        seen: dict[str, int] = {}
        for index, (position, row) in enumerate(self._rows()):
            self.context["row"], self.context["index"] = row, index
            custom_id = self._render("id", self.id_template, row, position)
            if hash(custom_id) not in suspects:
                continue
            if custom_id in seen:
                first, describe = seen[custom_id], self.source.describe
                raise RenderError(
                    f"job {self.job.name!r}: custom_id {custom_id!r} is not unique: {describe(first)} and "
                    f"{describe(position)} both render it (change the id: template)"
                )
            seen[custom_id] = position
        # every suspect was a hash collision between different ids: nothing to report
