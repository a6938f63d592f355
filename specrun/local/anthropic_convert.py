"""Message Batches <-> the chat-completions lines the worker and engines run: pure functions.

- ``check_requests``: the checks Anthropic makes when a batch is created (a 400 names
  the first broken field as ``requests.3.params.max_tokens: ...``).
- ``chat_body``: one request's ``params`` as a chat-completions body (``system`` becomes
  a first system message, text blocks text, image blocks image parts, ``stop_sequences``
  ``stop``, ``output_config.format`` ``response_format``). A request the local provider
  cannot run (a field Anthropic does not know, a tool block) raises ``Refused``: it ends
  as an ``errored`` result, as Anthropic reports such requests.
- ``succeeded``/``errored``/``unanswered`` and ``from_record``: results lines, from a
  worker's output or error record.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from typing import Any, TypeGuard

from specrun.local.api import APIFailure

__all__ = ["CUSTOM_ID", "Refused", "check_requests", "chat_body", "error_type", "error_body", "succeeded",
           "errored", "unanswered", "from_record"]

CUSTOM_ID = re.compile(r"[a-zA-Z0-9_-]{1,64}")

# Every params field of the Messages API (stable and beta); anything else is refused
# per request, as Anthropic does. Those not in _PASSED are accepted and ignored: the
# engines answer text (tools, thinking, caching and the like change nothing here).
_KNOWN_PARAMS = frozenset({
    "model", "max_tokens", "messages", "system", "temperature", "top_p", "top_k", "stop_sequences",
    "metadata", "stream", "tools", "tool_choice", "thinking", "service_tier", "container", "mcp_servers",
    "context_management", "output_config", "output_format", "cache_control", "inference_geo", "speed",
    "diagnostics", "betas", "compaction", "fallbacks", "thread", "billing_policy", "user_profile_id",
})
_PASSED = ("model", "max_tokens", "temperature", "top_p", "top_k")

_ERROR_TYPES = {400: "invalid_request_error", 401: "authentication_error", 403: "permission_error",
                404: "not_found_error", 413: "request_too_large", 429: "rate_limit_error", 500: "api_error",
                529: "overloaded_error"}
_STOP_REASONS = {"stop": "end_turn", "length": "max_tokens", "tool_calls": "tool_use",
                 "function_call": "tool_use", "content_filter": "refusal"}


class Refused(Exception):
    """A request the local provider will not run: its result is ``errored`` with this error."""

    def __init__(self, message: str, type: str = "invalid_request_error") -> None:
        super().__init__(message)
        self.message = message
        self.type = type


def error_type(status: int) -> str:
    """The Anthropic error type of an HTTP status."""
    return _ERROR_TYPES.get(status, "api_error" if status >= 500 else "invalid_request_error")


def error_body(type: str, message: str) -> dict[str, Any]:
    return {"type": "error", "error": {"type": type, "message": message}}


# ---- creation -----------------------------------------------------------------------------------


def _bad(where: str, message: str) -> APIFailure:
    return APIFailure(400, f"{where}: {message}")


def _is_int(value: Any) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def _check_text_blocks(where: str, blocks: Any) -> None:
    if isinstance(blocks, str):
        return
    if not isinstance(blocks, list):
        raise _bad(where, "Input should be a valid string or a list of content blocks")
    for index, block in enumerate(blocks):
        if not isinstance(block, dict) or not isinstance(block.get("type"), str):
            raise _bad(f"{where}.{index}", "Input should be a content block (an object with a 'type')")
        if block["type"] == "text" and not isinstance(block.get("text"), str):
            raise _bad(f"{where}.{index}.text", "Field required (a string)")


def _check_params(where: str, params: Any) -> None:
    if not isinstance(params, dict):
        raise _bad(where, "Field required (an object)" if params is None else "Input should be a valid dictionary")
    model = params.get("model")
    if not isinstance(model, str) or not model:
        raise _bad(f"{where}.model", "Field required (a model name)")
    max_tokens = params.get("max_tokens")
    if not _is_int(max_tokens) or max_tokens < 1:
        raise _bad(f"{where}.max_tokens", "Field required" if max_tokens is None
                   else f"Input should be an integer greater than or equal to 1, got {max_tokens!r}")
    messages = params.get("messages")
    if not isinstance(messages, list) or not messages:
        raise _bad(f"{where}.messages", "Field required (a non-empty list of messages)")
    for index, message in enumerate(messages):
        if not isinstance(message, dict):
            raise _bad(f"{where}.messages.{index}", "Input should be a valid dictionary")
        if message.get("role") not in ("user", "assistant"):
            raise _bad(f"{where}.messages.{index}.role", f"Input should be 'user' or 'assistant', got "
                       f"{message.get('role')!r}")
        _check_text_blocks(f"{where}.messages.{index}.content", message.get("content"))
    if "system" in params:
        _check_text_blocks(f"{where}.system", params["system"])
    stops = params.get("stop_sequences")
    if stops is not None and not (isinstance(stops, list) and all(isinstance(s, str) for s in stops)):
        raise _bad(f"{where}.stop_sequences", "Input should be a list of strings")
    for name in ("temperature", "top_p"):
        value = params.get(name)
        if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float))):
            raise _bad(f"{where}.{name}", "Input should be a number")
    if params.get("top_k") is not None and not _is_int(params["top_k"]):
        raise _bad(f"{where}.top_k", "Input should be an integer")


def check_requests(body: Any, *, max_requests: int) -> list[dict[str, Any]]:
    """The ``requests`` of a create body, or the 400 Anthropic answers to it."""
    if not isinstance(body, dict):
        raise APIFailure(400, "The request body must be a JSON object with 'requests'.")
    requests = body.get("requests")
    if not isinstance(requests, list) or not requests:
        raise _bad("requests", "Field required (a non-empty list of requests)")
    if len(requests) > max_requests:
        raise _bad("requests", f"A message batch holds at most {max_requests} requests, got {len(requests)}")
    seen: set[str] = set()
    for index, request in enumerate(requests):
        where = f"requests.{index}"
        if not isinstance(request, dict):
            raise _bad(where, "Input should be a valid dictionary")
        custom_id = request.get("custom_id")
        if not isinstance(custom_id, str) or not CUSTOM_ID.fullmatch(custom_id):
            raise _bad(f"{where}.custom_id", f"String should match pattern '^[a-zA-Z0-9_-]{{1,64}}$', "
                       f"got {custom_id!r}")
        if custom_id in seen:
            raise _bad(f"{where}.custom_id", f"Duplicate custom_id {custom_id!r}: each custom_id must be unique "
                       "within a message batch")
        seen.add(custom_id)
        _check_params(f"{where}.params", request.get("params"))
    return requests


# ---- params -> chat-completions body -------------------------------------------------------------


def _parts(content: str | list[dict[str, Any]], where: str) -> str | list[dict[str, Any]]:
    """Anthropic content as OpenAI content: a string, or parts when there is more than one text."""
    if isinstance(content, str):
        return content
    parts: list[dict[str, Any]] = []
    for block in content:
        kind = block["type"]
        if kind == "text":
            parts.append({"type": "text", "text": block["text"]})
        elif kind == "image" and isinstance(block.get("source"), Mapping):
            source = block["source"]
            url = source.get("url") if source.get("type") == "url" else \
                f"data:{source.get('media_type')};base64,{source.get('data')}"
            parts.append({"type": "image_url", "image_url": {"url": url}})
        else:
            raise Refused(f"{where}: the local provider answers text and image content only, "
                          f"not {kind!r} blocks")
    if all(p["type"] == "text" for p in parts) and len(parts) <= 1:
        return parts[0]["text"] if parts else ""
    return parts


def _response_format(params: Mapping[str, Any]) -> dict[str, Any] | None:
    config = params.get("output_config")
    wanted = config.get("format") if isinstance(config, Mapping) else params.get("output_format")
    if not isinstance(wanted, Mapping):
        return None
    if wanted.get("type") != "json_schema" or not isinstance(wanted.get("schema"), Mapping):
        raise Refused("output_config.format: expected {'type': 'json_schema', 'schema': {...}}")
    return {"type": "json_schema", "json_schema": {"name": "output", "schema": wanted["schema"], "strict": True}}


def chat_body(params: Mapping[str, Any]) -> dict[str, Any]:
    """One request's (already checked) params as a chat-completions body; ``Refused`` if it cannot run."""
    unknown = sorted(set(params) - _KNOWN_PARAMS)
    if unknown:
        raise Refused(f"{unknown[0]}: Extra inputs are not permitted")
    if params.get("stream"):
        raise Refused("stream: streaming is not supported in message batches")
    messages: list[dict[str, Any]] = []
    system = params.get("system")
    if system:
        messages.append({"role": "system", "content": _parts(system, "system")})
    for index, message in enumerate(params["messages"]):
        messages.append({"role": message["role"],
                         "content": _parts(message["content"], f"messages.{index}.content")})
    body = {"messages": messages, **{k: params[k] for k in _PASSED if params.get(k) is not None}}
    if params.get("stop_sequences"):
        body["stop"] = list(params["stop_sequences"])
    response_format = _response_format(params)
    if response_format is not None:
        body["response_format"] = response_format
    return body


# ---- results lines ----------------------------------------------------------------------------------


def succeeded(custom_id: str, batch_id: str, model: str, answer: Mapping[str, Any]) -> dict[str, Any]:
    """A chat completion as the ``succeeded`` result of a message batch."""
    choices = answer.get("choices")
    choice = _mapping(choices[0]) if isinstance(choices, list) and choices else {}
    text = _mapping(choice.get("message")).get("content")
    finish = choice.get("finish_reason")
    stop_sequence = choice.get("stop_reason")  # vLLM names the stop string it met
    if finish == "stop" and isinstance(stop_sequence, str) and stop_sequence:
        stop_reason: str = "stop_sequence"
    else:
        stop_reason, stop_sequence = _STOP_REASONS.get(str(finish), "end_turn"), None
    usage = _mapping(answer.get("usage"))
    digest = hashlib.sha256(f"{batch_id}\0{custom_id}".encode()).hexdigest()[:24]
    return {"custom_id": custom_id, "result": {"type": "succeeded", "message": {
        "id": "msg_" + digest,
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": [{"type": "text", "text": text}] if isinstance(text, str) else [],
        "stop_reason": stop_reason,
        "stop_sequence": stop_sequence,
        "usage": {"input_tokens": _tokens(usage, "prompt_tokens"),
                  "output_tokens": _tokens(usage, "completion_tokens")},
    }}}


def _tokens(usage: Mapping[str, Any], name: str) -> int:
    value = usage.get(name)
    return value if _is_int(value) and value >= 0 else 0


def errored(custom_id: str, type: str, message: str) -> dict[str, Any]:
    return {"custom_id": custom_id, "result": {"type": "errored", "error": error_body(type, message)}}


def unanswered(custom_id: str, kind: str) -> dict[str, Any]:
    """A request that never ran: ``canceled`` or ``expired``."""
    return {"custom_id": custom_id, "result": {"type": kind}}


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def from_record(record: Mapping[str, Any], batch_id: str, model: str) -> dict[str, Any]:
    """One line of a worker's output or error file as a results line."""
    custom_id = str(record.get("custom_id"))
    response = record.get("response")
    if isinstance(response, Mapping):
        status = response.get("status_code")
        body = _mapping(response.get("body"))
        if isinstance(status, int) and status < 400:
            return succeeded(custom_id, batch_id, model, body)
        message = _mapping(body.get("error")).get("message") or f"the model server answered {status}"
        return errored(custom_id, error_type(status if isinstance(status, int) else 500), str(message))
    message = _mapping(record.get("error")).get("message") or "the request got no answer"
    return errored(custom_id, "api_error", str(message))
