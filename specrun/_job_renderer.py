"""One job's templates compiled into request lines and ledger keys: the renderer's engine room.

``_JobRenderer.stream`` yields, row by row, the request line (``{"custom_id", "method",
"url", "body": {"model", <"messages" or "input">, <params in spec order>}}``), its ledger
key (the sha256 of the canonical request, built from pre-encoded pieces without parsing
JSON: the same bytes as ``specrun.ledger.canonical_request``), its token estimate and,
under ``on_too_long: skip``, why it is left out. ``specrun.render`` drives it.

What fills the body depends on the job's endpoint (``specrun._endpoints``): a chat job's
messages (a list), or an embeddings or responses job's ``input`` (one string). A template
that uses neither ``row`` nor ``index`` is rendered once per job.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator

from specrun._endpoints import endpoint
from specrun._templates import (
    CompiledTemplate,
    RenderedTooLarge,
    TemplateFailure,
    base_context,
    compile_template,
)
from specrun.data import RowSource, row_source
from specrun.errors import DataError, RenderError
from specrun.estimate import max_output_tokens
from specrun.naming import refuse_custom_id
from specrun.shards import _CustomIdSet
from specrun.spec import Job, Spec
from specrun.tokens import Counting, chat_format_for, counter_for

__all__ = ["_JobRenderer"]

_encode = json.encoder.encode_basestring  # json.dumps's, with ensure_ascii=False


class _JobRenderer:
    """One job's compiled templates and the pre-encoded parts of its request lines."""

    def __init__(self, spec: Spec, job: Job, *, context_length: int | None = None) -> None:
        self.job = job
        self.context_length = context_length
        counter = counter_for(job.model)
        self.counting: Counting = counter.counting
        self.count_tokens = counter.count
        self.source: RowSource = row_source(job.data, spec.display_path)
        self.vars = dict(spec.vars)
        self.context = base_context(job.name, self.vars)
        self.warnings: list[str] = []
        self.id_template = self._compile("id", job.id_template)
        # what the chat template adds around the text, plus the text that is the same for every row
        self.static_tokens = self.static_chars = 0
        kind = endpoint(job.endpoint)
        # (field, source, line prefix, line suffix, canonical prefix, canonical suffix) of each piece of prompt
        pieces: list[tuple[str, str, str, str, str, str]] = []
        if kind.prompt == "messages":
            chat = chat_format_for(job.model)
            self.static_tokens = chat.per_request + chat.per_message * len(job.messages)
            for number, message in enumerate(job.messages):
                role = _encode(message.role)  # canonical: content sorts before role
                pieces.append((f"messages[{number}].content", message.content, '{"role":' + role + ',"content":',
                               "}", '{"content":', ',"role":' + role + "}"))
            opener, closer = "[", "]"
        else:  # one input text: embeddings embed it as it is; responses read it as a user message
            if not kind.vector:
                chat = chat_format_for(job.model)
                self.static_tokens = chat.per_request + chat.per_message
                instructions = job.params.get("instructions")
                if isinstance(instructions, str):  # sent as a system message: billed as input
                    self.static_tokens += chat.per_message + self.count_tokens(instructions)
                    self.static_chars += len(instructions)
            assert job.input is not None  # load_spec gives every non-chat job its input
            pieces.append(("input", job.input, "", "", "", ""))
            opener = closer = ""
        # (field, template or None when static, prefix, suffix, canonical prefix, canonical suffix); a static
        # piece is rendered and encoded once: its prefix is then the whole piece, its canonical prefix too
        self.messages: list[tuple[str, CompiledTemplate | None, str, str, str, str]] = []
        for field_name, source, prefix, suffix, canon_prefix, canon_suffix in pieces:
            template = self._compile(field_name, source)
            if template.per_row:
                self.messages.append((field_name, template, prefix, suffix, canon_prefix, canon_suffix))
                continue
            content = self._render(field_name, template, None, None)
            self.static_tokens += self.count_tokens(content)
            self.static_chars += len(content)
            encoded = _encode(content)
            self.messages.append((field_name, None, prefix + encoded + suffix, "",
                                  canon_prefix + encoded + canon_suffix, ""))
            if not content.strip():
                self.warnings.append(f"job {job.name!r}: {field_name} renders empty")
        params = json.dumps(dict(job.params), ensure_ascii=False, separators=(",", ":"))
        url = _encode(job.endpoint)
        field = _encode(kind.prompt)
        self.head = '{"custom_id":'
        self.middle = ',"method":"POST","url":' + url + ',"body":{"model":' + _encode(job.model) + "," + field + ":" \
            + opener
        self.tail = closer + ("," + params[1:-1] if job.params else "") + "}}\n"
        # The ledger key hashes the canonical request (specrun.ledger.canonical_request):
        # body keys sorted, at every depth; only the messages (or the input) vary per row.
        entries = {key: _encode(key) + ":" + json.dumps(value, sort_keys=True, ensure_ascii=False,
                                                        separators=(",", ":"))
                   for key, value in {**dict(job.params), "model": job.model}.items()}
        before = "".join(entries[k] + "," for k in sorted(entries) if k < kind.prompt)
        after = "".join("," + entries[k] for k in sorted(entries) if k > kind.prompt)
        self.key_head = '{"body":{' + before + field + ":" + opener
        self.key_tail = closer + after + "}," + '"url":' + url + "}"
        self.url_tail = ',"url":' + url + "}"
        self.key_with_id = not job.dedupe  # dedupe: false: the custom_id is part of the key
        self.key_id_tail = closer + after + "}," + '"custom_id":'

    def output_bound(self, prompt: int) -> int:
        """Upper bound of one request's reply tokens."""
        return max_output_tokens(self.job.params, self.context_length, prompt, self.job.endpoint)

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
        key_with_id, url_tail = self.key_with_id, self.url_tail
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
                for field_name, template, prefix, suffix, canon_prefix, canon_suffix in messages:
                    if template is None:
                        parts.append(prefix)
                        canon.append(canon_prefix)
                        continue
                    content = template.render(context)
                    contents.append(content)
                    if not content or content.isspace():
                        count, first = empty.get(field_name, (0, position))
                        empty[field_name] = (count + 1, first)
                    encoded = _encode(content)
                    parts.append(prefix + encoded + suffix)
                    canon.append(canon_prefix + encoded + canon_suffix)
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
