"""Anthropic Message Batches <-> the OpenAI batch shapes the rest of specrun reads.

Pure conversions, no I/O beyond the lines handed in:

- ``request_params``: one OpenAI batch line's chat body -> a Message Batches ``params``
  (system messages move to ``system``; ``stop`` -> ``stop_sequences``; image parts ->
  image blocks; a json_schema ``response_format`` -> ``output_format``); fields Anthropic
  does not know are passed on as written, so the API refuses them per request (an
  ``errored`` result) rather than specrun guessing.
- ``batch_from``: a ``message_batch`` object -> ``Batch`` (status, counts, result files).
- ``output_line``: one results line -> an OpenAI output/error line, or None for the
  ``canceled``/``expired`` requests (no answer: the next round sends them again).
"""

from __future__ import annotations

import datetime as _dt
import json
from collections.abc import Mapping
from typing import Any

from specrun._batch_status import BatchStatus
from specrun.client._models import Batch, RequestCounts, check_id
from specrun.errors import ProviderError

__all__ = ["ENDPOINT", "MAX_REQUESTS", "MAX_BYTES", "OUTPUT_SUFFIX", "ERROR_SUFFIX", "request_params",
           "batch_from", "output_line", "result_file_id", "parse_time", "request_total"]

ENDPOINT = "/v1/chat/completions"       # the only endpoint a type: anthropic job can use
MAX_REQUESTS = 100_000                  # Message Batches: requests per batch
MAX_BYTES = 256 * 1024 * 1024           # ... and bytes per batch body
OUTPUT_SUFFIX = ".succeeded"            # result "files": a batch's results, split as OpenAI splits them
ERROR_SUFFIX = ".errored"

_STOP_REASONS = {"end_turn": "stop", "stop_sequence": "stop", "max_tokens": "length",
                 "tool_use": "tool_calls", "refusal": "content_filter", "pause_turn": "stop"}
_RENAMED = {"stop": "stop_sequences", "max_completion_tokens": "max_tokens"}
_SERVER_ERRORS = {"api_error": 500, "overloaded_error": 529, "rate_limit_error": 429,
                  "authentication_error": 401, "permission_error": 403, "not_found_error": 404,
                  "request_too_large": 413}


def request_params(body: Mapping[str, Any]) -> dict[str, Any]:
    """The Message Batches ``params`` for one chat-completions body."""
    params: dict[str, Any] = {}
    system: list[dict[str, Any]] = []
    messages: list[dict[str, Any]] = []
    for message in body.get("messages") or ():
        role = message.get("role")
        content = message.get("content")
        if role in ("system", "developer"):
            system.extend(_blocks(content))
        else:
            messages.append({"role": role, "content": content if isinstance(content, str) else _blocks(content)})
    for key, value in body.items():
        if key == "messages":
            continue
        if key == "stop" and isinstance(value, str):
            value = [value]
        if key == "response_format" and isinstance(value, Mapping) and value.get("type") == "json_schema":
            # structured output (output_schema): Anthropic's output_format takes the bare schema
            params["output_format"] = {"type": "json_schema", "schema": (value.get("json_schema") or {}).get("schema")}
            continue
        params[_RENAMED.get(key, key)] = value
    params["messages"] = messages
    if system:
        params["system"] = system[0]["text"] if len(system) == 1 and system[0].get("type") == "text" else system
    return params


def _blocks(content: Any) -> list[dict[str, Any]]:
    """OpenAI content (text or parts) as Anthropic content blocks."""
    if content is None:
        return []
    if isinstance(content, str):
        return [{"type": "text", "text": content}]
    blocks: list[dict[str, Any]] = []
    for part in content:
        if not isinstance(part, Mapping):
            blocks.append({"type": "text", "text": str(part)})
        elif part.get("type") == "image_url":
            url = (part.get("image_url") or {}).get("url", "")
            blocks.append({"type": "image", "source": _image_source(str(url))})
        elif part.get("type") == "text":
            blocks.append({"type": "text", "text": part.get("text", "")})
        else:
            blocks.append(dict(part))
    return blocks


def _image_source(url: str) -> dict[str, Any]:
    if url.startswith("data:") and ";base64," in url:
        media_type, data = url[5:].split(";base64,", 1)
        return {"type": "base64", "media_type": media_type, "data": data}
    return {"type": "url", "url": url}


def parse_time(value: Any) -> int | None:
    """An RFC 3339 time (``2026-11-29T13:20:01.5Z``) as epoch seconds; None when absent or odd."""
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = _dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=_dt.timezone.utc)
    return int(parsed.timestamp())


def result_file_id(batch_id: str, suffix: str) -> str:
    """The id specrun gives one half of a batch's results (read from its ``results_url``)."""
    return batch_id + suffix


def request_total(counts: Mapping[str, Any]) -> int:
    return sum(_count(counts.get(k)) for k in ("processing", "succeeded", "errored", "canceled", "expired"))


def batch_from(data: Any, input_file_id: str | None) -> Batch:
    """A ``message_batch`` object as a ``Batch``.

    ``ended`` reads as ``completed``, or ``cancelled`` (it was cancelled) / ``expired``
    (requests ran out of time) when some requests got no answer, so that the next round
    sends those again. The succeeded and errored results are offered as two result
    files (``<id>.succeeded`` / ``<id>.errored``) that ``download`` reads from ``results_url``.
    """
    if not isinstance(data, Mapping) or data.get("id") in (None, ""):
        raise ProviderError("the provider returned a message batch without an id")
    batch_id = check_id(data["id"], "message batch id")
    raw_counts = data.get("request_counts")
    counts: Mapping[str, Any] = raw_counts if isinstance(raw_counts, Mapping) else {}
    succeeded, errored = _count(counts.get("succeeded")), _count(counts.get("errored"))
    canceled, expired = _count(counts.get("canceled")), _count(counts.get("expired"))
    processing = data.get("processing_status")
    if processing == "ended":
        status = (BatchStatus.CANCELLED if canceled else BatchStatus.EXPIRED if expired
                  else BatchStatus.COMPLETED)
    elif processing == "canceling":
        status = BatchStatus.CANCELLING
    elif processing == "in_progress":
        status = BatchStatus.IN_PROGRESS
    else:
        raise ProviderError(f"message batch {batch_id} has an unknown processing_status {processing!r}")
    ended = processing == "ended"
    return Batch(
        id=batch_id, status=status, input_file_id=input_file_id,
        output_file_id=result_file_id(batch_id, OUTPUT_SUFFIX) if ended and succeeded else None,
        error_file_id=result_file_id(batch_id, ERROR_SUFFIX) if ended and errored else None,
        endpoint=ENDPOINT, completion_window="24h", created_at=parse_time(data.get("created_at")),
        request_counts=RequestCounts(total=request_total(counts), completed=succeeded, failed=errored),
        raw=dict(data),
    )


def _count(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        if value in (None, 0):
            return 0
        raise ProviderError(f"the provider returned an invalid request count {value!r}")
    return value


def output_line(raw: bytes) -> tuple[str, bytes | None]:
    """``(kind, line)`` for one results line: kind is succeeded/errored/canceled/expired;
    the OpenAI-shaped line for the first two, None for the others (no answer)."""
    try:
        record = json.loads(raw)
        custom_id = record["custom_id"]
        result = record["result"]
        kind = result["type"]
    except (ValueError, KeyError, TypeError):
        raise ProviderError(f"the provider returned a results line specrun cannot read: {raw[:200]!r}") from None
    if kind == "succeeded":
        message = result.get("message") or {}
        return kind, _dump({"id": "batch_req_" + str(message.get("id", "")), "custom_id": custom_id,
                            "response": {"status_code": 200, "request_id": message.get("id"),
                                         "body": _completion(message)}, "error": None})
    if kind == "errored":
        error = _error_of(result.get("error"))
        status = _SERVER_ERRORS.get(str(error.get("type")), 400)
        return kind, _dump({"id": None, "custom_id": custom_id,
                            "response": {"status_code": status, "request_id": None,
                                         "body": {"error": {"message": error.get("message", ""),
                                                            "type": error.get("type"),
                                                            "code": error.get("type")}}},
                            "error": None})
    return str(kind), None


def _error_of(value: Any) -> dict[str, Any]:
    """The inner error of ``{"type": "error", "error": {...}}`` (or a bare error object)."""
    while isinstance(value, Mapping) and value.get("type") == "error" and isinstance(value.get("error"), Mapping):
        value = value["error"]
    return dict(value) if isinstance(value, Mapping) else {"type": "api_error", "message": str(value)}


def _completion(message: Mapping[str, Any]) -> dict[str, Any]:
    """An Anthropic message as the chat.completion body specrun's results read."""
    text = "".join(block.get("text", "") for block in message.get("content") or ()
                   if isinstance(block, Mapping) and block.get("type") == "text")
    usage = message.get("usage") or {}
    prompt = sum(_count(usage.get(k)) for k in ("input_tokens", "cache_creation_input_tokens",
                                                 "cache_read_input_tokens"))
    completion = _count(usage.get("output_tokens"))
    return {
        "id": message.get("id"), "object": "chat.completion", "created": 0, "model": message.get("model"),
        "choices": [{"index": 0, "message": {"role": "assistant", "content": text},
                     "finish_reason": _STOP_REASONS.get(str(message.get("stop_reason")), "stop")}],
        "usage": {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion},
    }


def _dump(record: Mapping[str, Any]) -> bytes:
    return (json.dumps(record, separators=(",", ":"), ensure_ascii=False) + "\n").encode()
