"""The echo engine's answers, per endpoint: ``(status code, body)`` for one request body.

- ``/v1/chat/completions``: a ``chat.completion`` whose message is ``"echo: " + <last user
  message>``, cut to ``max_tokens * 4`` characters (``finish_reason: "length"`` then);
  structured output (``response_format``) answers JSON, see ``_instances``.
- ``/v1/responses``: a ``response`` object with the same text (its last user input: the
  ``input`` string, or the last user item of an input list) in one ``output_text`` part,
  cut to ``max_output_tokens * 4`` (``status: "incomplete"`` then); ``text.format``
  asks for structured output as ``response_format`` does on chat.
- ``/v1/embeddings``: a ``list`` of one deterministic unit vector per input text, drawn
  from a hash of the model and the text: ``dimensions`` numbers (``DEFAULT_DIMENSIONS``
  when unset), as floats or, with ``encoding_format: base64``, as base64 float32s.

Usage counts one token per four characters. A last user message (or input) holding
``[[fail]]`` gets a 400 instead, so pipelines can test partial failures.
"""

from __future__ import annotations

import base64
import hashlib
import math
import struct
import time
from collections.abc import Mapping
from typing import Any

from specrun.local._instances import _InvalidResponseFormat, _structured_content

__all__ = ["ECHO_FAIL_MARKER", "DEFAULT_DIMENSIONS", "MAX_DIMENSIONS", "echo_answer", "echo_vector"]

ECHO_FAIL_MARKER = "[[fail]]"
#: Length of an echo embedding when the request sets no ``dimensions``.
DEFAULT_DIMENSIONS = 256
MAX_DIMENSIONS = 65536

Answer = tuple[int, dict[str, Any]]


def _text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):  # content parts: [{"type": "text" | "input_text", "text": ...}, ...]
        return "".join(p.get("text", "") for p in content if isinstance(p, dict) and isinstance(p.get("text"), str))
    return "" if content is None else str(content)


def _refused(message: str, param: str, code: str) -> Answer:
    """The echo engine's 400 answer to a request it refuses (the OpenAI error shape)."""
    return 400, {"error": {"message": f"echo engine: {message}", "type": "invalid_request_error",
                           "param": param, "code": code}}


class _Refusal(Exception):
    """The request gets a 400 answer instead (``answer``)."""

    def __init__(self, answer: Answer) -> None:
        super().__init__(answer[1]["error"]["message"])
        self.answer = answer


def _tokens(chars: int) -> int:
    return max(1, math.ceil(chars / 4))


def echo_answer(custom_id: str, body: Mapping[str, Any], url: str, created: int | None = None) -> Answer:
    """The echo engine's deterministic answer to one request body sent to ``url``."""
    created = int(time.time()) if created is None else created
    if url.endswith("/embeddings"):
        return _embeddings(body)
    if url.endswith("/responses"):
        return _responses(custom_id, body, created)
    return _chat(custom_id, body, created)


def _echo_text(last: str, response_format: Any, limit: Any, param: str) -> tuple[str, bool]:
    """``(text, cut)``: the echo of ``last`` (JSON when structured output is asked for), cut to
    ``limit * 4`` characters; ``_Refusal`` when the request cannot be answered."""
    if ECHO_FAIL_MARKER in last:
        raise _Refusal(_refused(f"the last user message contains the {ECHO_FAIL_MARKER} marker", param,
                                "echo_fail_marker"))
    try:
        structured = _structured_content(response_format, last)
    except _InvalidResponseFormat as exc:
        raise _Refusal(_refused(str(exc), "response_format" if param == "messages" else "text.format",
                                "invalid_response_format")) from None
    if structured is not None:
        # Structured answers ignore the max_tokens cap: a JSON text cut mid-value would fail
        # every schema check for a reason tests did not ask for, and even the smallest valid
        # instance can outgrow a small cap. Broken answers are opt-in, by marker.
        return structured, False
    content = "echo: " + last
    if isinstance(limit, int) and not isinstance(limit, bool) and limit > 0 and len(content) > limit * 4:
        return content[: limit * 4], True
    return content, False


def _chat(custom_id: str, body: Mapping[str, Any], created: int) -> Answer:
    messages = [m for m in body.get("messages") or [] if isinstance(m, dict)]
    user = [m for m in messages if m.get("role") == "user"] or messages
    last = _text(user[-1].get("content")) if user else ""
    model = str(body.get("model", ""))
    try:
        content, cut = _echo_text(last, body.get("response_format"),
                                  body.get("max_completion_tokens", body.get("max_tokens")), "messages")
    except _Refusal as refusal:
        return refusal.answer
    digest = hashlib.sha256(f"{custom_id}\0{model}\0{last}".encode()).hexdigest()
    prompt_tokens = _tokens(sum(len(_text(m.get("content"))) for m in messages))
    completion_tokens = _tokens(len(content))
    return 200, {
        "id": "chatcmpl-" + digest[:24],
        "object": "chat.completion",
        "created": created,
        "model": model,
        "choices": [{
            "index": 0,
            "message": {"role": "assistant", "content": content},
            "logprobs": None,
            "finish_reason": "length" if cut else "stop",
        }],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        },
        "system_fingerprint": "specrun-echo",
    }


def _response_format(text: Any) -> Any:
    """A Responses ``text`` config's format as the chat ``response_format`` shape (what ``_instances`` reads)."""
    fmt = text.get("format") if isinstance(text, Mapping) else None
    if not isinstance(fmt, Mapping) or fmt.get("type") != "json_schema":
        return fmt
    inner = {key: value for key, value in fmt.items() if key != "type"}
    return {"type": "json_schema", "json_schema": inner}


def _responses(custom_id: str, body: Mapping[str, Any], created: int) -> Answer:
    given = body.get("input")
    if isinstance(given, str):  # one text: a user message
        texts, users = [given], [given]
    else:  # input items: messages whose content is text or input_text parts
        items = [item for item in given if isinstance(item, dict)] if isinstance(given, list) else []
        texts = [_text(item.get("content")) for item in items]
        users = [text for item, text in zip(items, texts, strict=True) if item.get("role", "user") == "user"]
    last = (users or texts or [""])[-1]
    model = str(body.get("model", ""))
    try:
        content, cut = _echo_text(last, _response_format(body.get("text")), body.get("max_output_tokens"), "input")
    except _Refusal as refusal:
        return refusal.answer
    digest = hashlib.sha256(f"{custom_id}\0{model}\0{last}".encode()).hexdigest()
    instructions = body.get("instructions")
    prompt_tokens = _tokens(sum(map(len, texts)) + (len(instructions) if isinstance(instructions, str) else 0))
    completion_tokens = _tokens(len(content))
    text = body.get("text")
    temperature, top_p = body.get("temperature", 1.0), body.get("top_p", 1.0)
    return 200, {
        "id": "resp_" + digest[:32],
        "object": "response",
        "created_at": created,
        "status": "incomplete" if cut else "completed",
        "error": None,
        "incomplete_details": {"reason": "max_output_tokens"} if cut else None,
        "instructions": instructions if isinstance(instructions, str) else None,
        "max_output_tokens": body.get("max_output_tokens"),
        "model": model,
        "output": [{
            "id": "msg_" + digest[32:64],
            "type": "message",
            "role": "assistant",
            "status": "incomplete" if cut else "completed",
            "content": [{"type": "output_text", "text": content, "annotations": []}],
        }],
        "parallel_tool_calls": True,
        "temperature": float(temperature) if isinstance(temperature, (int, float)) else 1.0,
        "text": text if isinstance(text, Mapping) else {"format": {"type": "text"}},
        "tool_choice": "auto",
        "tools": [],
        "top_p": float(top_p) if isinstance(top_p, (int, float)) else 1.0,
        "usage": {
            "input_tokens": prompt_tokens,
            "input_tokens_details": {"cached_tokens": 0, "cache_write_tokens": 0},
            "output_tokens": completion_tokens,
            "output_tokens_details": {"reasoning_tokens": 0},
            "total_tokens": prompt_tokens + completion_tokens,
        },
        "metadata": {},
    }


def echo_vector(model: str, text: str, dimensions: int = DEFAULT_DIMENSIONS) -> list[float]:
    """A deterministic unit vector for ``text`` (8 decimals a number), different per model."""
    seed = hashlib.sha256(f"{model}\0{text}".encode()).digest()
    raw: list[float] = []
    block = 0
    while len(raw) < dimensions:
        chunk = hashlib.sha256(seed + block.to_bytes(4, "big")).digest()
        raw += [value / 2**31 - 1.0 for value in struct.unpack(">8I", chunk)]
        block += 1
    raw = raw[:dimensions]
    norm = math.sqrt(sum(x * x for x in raw)) or 1.0
    return [round(x / norm, 8) for x in raw]


def _embeddings(body: Mapping[str, Any]) -> Answer:
    given = body.get("input")
    texts = [given] if isinstance(given, str) else given if isinstance(given, list) else None
    if not texts or not all(isinstance(t, str) for t in texts):
        return _refused("input must be a text or a list of texts", "input", "invalid_input")
    assert texts is not None
    if any(ECHO_FAIL_MARKER in t for t in texts):
        return _refused(f"the input contains the {ECHO_FAIL_MARKER} marker", "input", "echo_fail_marker")
    dimensions = body.get("dimensions", DEFAULT_DIMENSIONS)
    if isinstance(dimensions, bool) or not isinstance(dimensions, int) or not 1 <= dimensions <= MAX_DIMENSIONS:
        return _refused(f"dimensions must be a whole number from 1 to {MAX_DIMENSIONS}", "dimensions",
                        "invalid_value")
    encoding = body.get("encoding_format", "float")
    if encoding not in ("float", "base64"):
        return _refused("encoding_format must be 'float' or 'base64'", "encoding_format", "invalid_value")
    model = str(body.get("model", ""))
    data = []
    for index, text in enumerate(texts):
        vector = echo_vector(model, text, dimensions)
        embedding: Any = vector if encoding == "float" else \
            base64.b64encode(struct.pack(f"<{len(vector)}f", *vector)).decode("ascii")
        data.append({"object": "embedding", "index": index, "embedding": embedding})
    tokens = _tokens(sum(map(len, texts)))
    return 200, {"object": "list", "data": data, "model": model,
                 "usage": {"prompt_tokens": tokens, "total_tokens": tokens}}
