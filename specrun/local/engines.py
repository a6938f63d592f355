"""Engines answer the requests of a batch: ``echo`` (deterministic) and ``openai`` (upstream).

An engine lists its models and maps requests to results *in input order*; how
many it works on at once is its own business (the openai engine keeps up to
``concurrency`` upstream calls in flight).

The echo engine replies ``"echo: " + <last user message>``, cut to
``max_tokens * 4`` characters (``finish_reason: "length"`` then), with usage counted
as one token per four characters. A last user message containing ``[[fail]]``
gets a per-line 400 error instead, so pipelines can test partial failures.

Asked for structured output, it answers JSON: for ``response_format`` ``json_schema``
a deterministic instance of the schema (``schema_instance``: values drawn from a hash
of the last user message, the echo text in the first free-form string), for
``json_object`` ``{"echo": <last user message>}``. Two markers let tests exercise the
checks downstream: ``[[invalid-json]]`` answers text that is not JSON, ``[[off-schema]]``
JSON that breaks the schema.
"""

from __future__ import annotations

import concurrent.futures
import datetime
import functools
import hashlib
import http.client
import importlib
import itertools
import json
import logging
import math
import os
import ssl
import threading
import time
import urllib.parse
import uuid
from collections import deque
from collections.abc import Callable, Generator, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from specrun.errors import SpecrunError
from specrun.local._options import LocalOptions

if TYPE_CHECKING:
    from jsonschema.protocols import Validator

__all__ = [
    "ECHO_FAIL_MARKER", "ECHO_INVALID_JSON_MARKER", "ECHO_OFF_SCHEMA_MARKER", "DEFAULT_ECHO_MODELS", "ModelInfo",
    "EngineRequest", "EngineResult", "Engine", "EchoEngine", "OpenAIEngine", "EngineUnavailable", "make_engine",
    "echo_reply", "schema_instance",
]

log = logging.getLogger("specrun.local")

ECHO_FAIL_MARKER = "[[fail]]"
#: With structured output asked for: a 200 answer whose text is not JSON.
ECHO_INVALID_JSON_MARKER = "[[invalid-json]]"
#: With structured output asked for: a 200 answer that is JSON but breaks the schema.
ECHO_OFF_SCHEMA_MARKER = "[[off-schema]]"


@dataclass(frozen=True)
class ModelInfo:
    """One active model, with the fields of ``/model-config``."""

    id: str
    name: str | None = None
    description: str = ""
    input_price_cents: float = 0.0     # cents per million input tokens
    output_price_cents: float = 0.0    # cents per million output tokens
    num_parameters_billions: float | None = None
    num_experts: int | None = None
    context_length: int = 8192
    license_url: str | None = None

    def config(self, display_order: int) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name or self.id.rsplit("/", 1)[-1],
            "description": self.description,
            "input_price_cents": self.input_price_cents,
            "output_price_cents": self.output_price_cents,
            "model_code": self.id,
            "num_parameters_billions": self.num_parameters_billions,
            "num_experts": self.num_experts,
            "context_length": self.context_length,
            "display_order": display_order,
            "license_url": self.license_url,
            "created_at": "2025-01-01T00:00:00Z",
            "updated_at": "2025-01-01T00:00:00Z",
            "status": "active",
        }


DEFAULT_ECHO_MODELS = (
    ModelInfo("meta-llama/Llama-3.1-8B-Instruct", "Llama 3.1 8B Instruct",
              "Meta's 8B instruction-tuned model (echo engine).", 5.0, 5.0, 8.0, None, 131072,
              "https://www.llama.com/llama3_1/license/"),
    ModelInfo("meta-llama/Llama-3.3-70B-Instruct", "Llama 3.3 70B Instruct",
              "Meta's 70B instruction-tuned model (echo engine).", 35.0, 40.0, 70.0, None, 131072,
              "https://www.llama.com/llama3_3/license/"),
    ModelInfo("Qwen/Qwen2.5-7B-Instruct", "Qwen2.5 7B Instruct",
              "Alibaba's 7B instruction-tuned model (echo engine).", 5.0, 5.0, 7.6, None, 32768,
              "https://huggingface.co/Qwen/Qwen2.5-7B-Instruct/blob/main/LICENSE"),
    ModelInfo("mistralai/Mistral-7B-Instruct-v0.3", "Mistral 7B Instruct v0.3",
              "Mistral AI's 7B instruction-tuned model (echo engine).", 5.0, 5.0, 7.2, None, 32768,
              "https://www.apache.org/licenses/LICENSE-2.0"),
)


@dataclass(frozen=True)
class EngineRequest:
    custom_id: str
    body: dict[str, Any]


@dataclass(frozen=True)
class EngineResult:
    """``status_code`` + ``body`` as the upstream answered, or ``error`` when there was no answer."""

    status_code: int | None
    body: dict[str, Any] | None
    error: dict[str, str] | None = None

    @property
    def ok(self) -> bool:
        return self.error is None and self.status_code is not None and self.status_code < 400


class EngineUnavailable(Exception):
    """The engine cannot say which models it serves (upstream down)."""


class Engine(Protocol):
    name: str

    def models(self) -> list[ModelInfo]: ...

    def map(
        self, requests: Iterable[EngineRequest], should_stop: Callable[[], bool],
    ) -> Generator[EngineResult, None, None]:
        """Results in input order; stops early (without error) once ``should_stop()``.

        A generator: the worker closes it when it stops early, so an engine can clean up.
        """
        ...

    def close(self) -> None: ...


# ---- echo ------------------------------------------------------------------------------


def _text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):  # content parts: [{"type": "text", "text": ...}, ...]
        return "".join(p.get("text", "") for p in content if isinstance(p, dict) and isinstance(p.get("text"), str))
    return "" if content is None else str(content)


def echo_reply(custom_id: str, body: dict[str, Any], *, created: int | None = None) -> EngineResult:
    """The echo engine's deterministic answer to one request body."""
    messages = [m for m in body.get("messages") or [] if isinstance(m, dict)]
    user = [m for m in messages if m.get("role") == "user"] or messages
    last = _text(user[-1].get("content")) if user else ""
    model = str(body.get("model", ""))
    digest = hashlib.sha256(f"{custom_id}\0{model}\0{last}".encode()).hexdigest()
    if ECHO_FAIL_MARKER in last:
        return EngineResult(400, {"error": {
            "message": f"echo engine: the last user message contains the {ECHO_FAIL_MARKER} marker",
            "type": "invalid_request_error",
            "param": "messages",
            "code": "echo_fail_marker",
        }})
    try:
        structured = _structured_content(body.get("response_format"), last)
    except _InvalidResponseFormat as exc:
        return EngineResult(400, {"error": {
            "message": f"echo engine: {exc}",
            "type": "invalid_request_error",
            "param": "response_format",
            "code": "invalid_response_format",
        }})
    content = "echo: " + last if structured is None else structured
    finish_reason = "stop"
    max_tokens = body.get("max_completion_tokens", body.get("max_tokens"))
    # Structured answers ignore the max_tokens cap: a JSON text cut mid-value would fail
    # every schema check for a reason tests did not ask for, and even the smallest valid
    # instance can outgrow a small cap. Broken answers are opt-in, by marker.
    if structured is None and isinstance(max_tokens, int) and not isinstance(max_tokens, bool) \
            and max_tokens > 0 and len(content) > max_tokens * 4:
        content = content[: max_tokens * 4]
        finish_reason = "length"
    prompt_chars = sum(len(_text(m.get("content"))) for m in messages)
    prompt_tokens = max(1, math.ceil(prompt_chars / 4))
    completion_tokens = max(1, math.ceil(len(content) / 4))
    return EngineResult(200, {
        "id": "chatcmpl-" + digest[:24],
        "object": "chat.completion",
        "created": int(time.time()) if created is None else created,
        "model": model,
        "choices": [{
            "index": 0,
            "message": {"role": "assistant", "content": content},
            "logprobs": None,
            "finish_reason": finish_reason,
        }],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        },
        "system_fingerprint": "specrun-echo",
    })


# ---- structured output (echo) ----------------------------------------------------------

#: Nesting (objects and arrays) beyond which instances take the shortest way out: no
#: optional properties, ``minItems`` items, ``null`` and scalar alternatives first.
_MAX_NESTING = 8
#: Subschemas (properties, items, alternatives, references) one branch may descend through
#: before giving up on it: a schema with no finite instance must not hang the engine.
_MAX_DESCENT = 64
#: Values in one instance beyond which it stops adding optional properties and items.
_MAX_VALUES = 500
#: Subschemas one instance may visit, tries that failed included, before it gives up:
#: alternatives that all recurse forever would otherwise cost 2**depth tries.
_MAX_VISITS = 5_000
#: Longest string padded out for a ``minLength``.
_MAX_TEXT = 100_000
#: Parts of a ``pattern`` one try may build before giving up (``(a{1000}){1000}``).
_MAX_PATTERN_STEPS = 10_000
_NOT_JSON = "echo: not json {"
#: How far past its minimum each try at a pattern may repeat a ``+``/``*``/``{m,}``:
#: short strings first, longer ones for a ``minLength`` the short ones miss.
_PATTERN_STRETCH = (2, 2, 2, 4, 4, 8, 16, 32)
_CLASS_POOL = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-. @"


class _NoInstance(Exception):
    """This branch of the schema has no instance the builder can find."""


class _InvalidResponseFormat(Exception):
    """The request's ``response_format`` cannot be answered (a 400, as a real provider would)."""


def _hash_int(*parts: str) -> int:
    return int.from_bytes(hashlib.sha256("\0".join(parts).encode()).digest()[:8], "big")


def schema_instance(schema: Mapping[str, Any] | bool, seed: str, *, text: str | None = None) -> Any:
    """A deterministic instance of a JSON Schema, varied by ``seed``.

    Strings and numbers the schema leaves free are derived from a hash of ``seed`` and
    their place in the instance, so different seeds give different values. ``text``, when
    given, goes into the first free-form string (cut to its ``maxLength``). Best effort:
    the result does not validate when the schema has no instance this can find (an
    unsatisfiable ``pattern``, ``not``, conditional keywords); None when nothing was found.
    """
    return _InstanceBuilder(schema, _validator(schema), seed, text).build()


def _validator(schema: Mapping[str, Any] | bool) -> Validator:
    """The validator ``specrun``'s own checks use (with formats), for the schema's draft."""
    import jsonschema

    cls = jsonschema.validators.validator_for(schema, default=jsonschema.Draft202012Validator)
    return cls(schema, format_checker=jsonschema.FormatChecker())


@functools.lru_cache(maxsize=32)
def _compiled(schema_json: str) -> tuple[Mapping[str, Any] | bool, Validator]:
    """A request's schema, checked and compiled once per distinct schema (every row of a job shares it)."""
    import jsonschema

    schema = json.loads(schema_json)
    try:
        jsonschema.validators.validator_for(schema, default=jsonschema.Draft202012Validator).check_schema(schema)
    except jsonschema.SchemaError as exc:
        where = "/".join(str(part) for part in exc.absolute_path)
        raise _InvalidResponseFormat(
            f"response_format.json_schema.schema is not a valid JSON Schema{f' at {where}' if where else ''}: "
            f"{exc.message}") from None
    return schema, _validator(schema)


def _structured_content(response_format: Any, last: str) -> str | None:
    """The echo answer's text when the request asks for JSON (None: it does not)."""
    if not isinstance(response_format, Mapping):
        return None
    kind = response_format.get("type")
    if kind not in ("json_object", "json_schema"):
        return None
    if ECHO_INVALID_JSON_MARKER in last:
        return _NOT_JSON + " " + last
    spec = response_format.get("json_schema")
    if kind == "json_object" or (isinstance(spec, Mapping) and "schema" not in spec):
        # Any JSON object will do; off-schema, a JSON value that is not the object asked for.
        instance: Any = [last] if ECHO_OFF_SCHEMA_MARKER in last else {"echo": last}
        return _dumps(instance)
    if not isinstance(spec, Mapping):
        raise _InvalidResponseFormat("response_format.json_schema must be an object with a schema")
    schema = spec["schema"]
    if not isinstance(schema, (Mapping, bool)):
        raise _InvalidResponseFormat("response_format.json_schema.schema must be a JSON Schema object")
    try:
        # key order kept: the instance follows the schema's property order, as a model's answer does
        schema, validator = _compiled(json.dumps(schema, ensure_ascii=False))
        instance = _InstanceBuilder(schema, validator, last, "echo: " + last).build()
        if ECHO_OFF_SCHEMA_MARKER in last:
            instance = _off_schema(instance, schema, validator, last)
        return _dumps(instance)
    except (TypeError, ValueError) as exc:  # not JSON-serialisable
        raise _InvalidResponseFormat(f"response_format.json_schema.schema is not JSON: {exc}") from None
    except RecursionError:
        raise _InvalidResponseFormat("response_format.json_schema.schema is nested too deeply") from None


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _off_schema(instance: Any, schema: Mapping[str, Any] | bool, validator: Validator, last: str) -> Any:
    """Valid JSON that breaks the schema, the way a model would: a required key dropped, first."""
    candidates: list[Any] = []
    if isinstance(instance, dict):
        root = schema if isinstance(schema, Mapping) else {}
        required = [name for name in root.get("required") or [] if name in instance]
        if required:
            candidates.append({k: v for k, v in instance.items() if k != required[0]})
        candidates.append({**instance, "off_schema": last})
        candidates += [{**instance, name: None if value is not None else []} for name, value in instance.items()]
    candidates += [[last], last, 0, True, None, {"echo": last}]
    return next((c for c in candidates if not validator.is_valid(c)), instance)


def _merge(base: Mapping[str, Any], extra: Mapping[str, Any]) -> dict[str, Any]:
    """``base`` and ``extra`` as one schema (properties and required lists joined)."""
    merged = {**base, **extra}
    for key in ("properties", "$defs", "definitions"):
        if isinstance(base.get(key), Mapping) and isinstance(extra.get(key), Mapping):
            merged[key] = {**base[key], **extra[key]}
    if isinstance(base.get("required"), list) and isinstance(extra.get("required"), list):
        merged["required"] = list(dict.fromkeys([*base["required"], *extra["required"]]))
    return merged


def _pointer(root: Any, ref: str) -> Any:
    """The subschema a local ``$ref`` (``#``, ``#/$defs/x``, ``#/definitions/x``, ...) points at."""
    if not ref.startswith("#"):
        raise _NoInstance
    node = root
    for part in urllib.parse.unquote(ref[1:]).split("/")[1:]:
        part = part.replace("~1", "/").replace("~0", "~")
        if isinstance(node, Mapping) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            raise _NoInstance
    return node


_INFERRED_TYPES = (
    ("object", ("properties", "required", "additionalProperties", "minProperties", "maxProperties")),
    ("array", ("items", "prefixItems", "minItems", "maxItems", "uniqueItems")),
    ("string", ("minLength", "maxLength", "pattern", "format")),
    ("number", ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf")),
)
_SIMPLE_FIRST = {"null": 0, "boolean": 1, "integer": 1, "number": 1, "string": 1, "array": 2, "object": 3}


class _InstanceBuilder:
    """Builds one instance; see :func:`schema_instance`."""

    def __init__(self, root: Mapping[str, Any] | bool, validator: Validator, seed: str, text: str | None) -> None:
        self._root = root
        self._validator = validator
        self._seed = seed
        self._text = text      # still to place, or None once placed (or never given)
        self._values = 0

    def build(self) -> Any:
        try:
            return self._value(self._root, (), 0)
        except _NoInstance:
            return None

    # -- helpers

    def _fits(self, schema: Mapping[str, Any], value: Any) -> bool:
        return self._validator.evolve(schema=schema).is_valid(value)

    def _hash(self, path: tuple[str, ...], salt: str = "") -> int:
        return _hash_int(self._seed, "/".join(path), salt)

    def _short(self, path: tuple[str, ...]) -> bool:
        """Take the shortest way out here (deep, or the instance is already big)."""
        return len(path) >= _MAX_NESTING or self._values >= _MAX_VALUES

    def _resolve(self, schema: Mapping[str, Any]) -> Mapping[str, Any]:
        """``schema`` with its ``$ref`` followed and its ``allOf`` merged in."""
        for _ in range(_MAX_DESCENT):
            if isinstance(schema.get("$ref"), str):
                target = _pointer(self._root, schema["$ref"])
                if target is False:
                    raise _NoInstance
                rest = {k: v for k, v in schema.items() if k != "$ref"}
                schema = _merge(target if isinstance(target, Mapping) else {}, rest)
            elif isinstance(schema.get("allOf"), list):
                merged: dict[str, Any] = {k: v for k, v in schema.items() if k != "allOf"}
                for part in schema["allOf"]:
                    if part is False:
                        raise _NoInstance
                    if isinstance(part, Mapping):
                        merged = _merge(merged, part)
                schema = merged
            else:
                return schema
        raise _NoInstance

    def _types(self, schema: Mapping[str, Any], path: tuple[str, ...]) -> list[str]:
        declared = schema.get("type")
        if isinstance(declared, str):
            return [declared]
        if isinstance(declared, list) and declared:
            types = [t for t in declared if isinstance(t, str)]
            if self._short(path):
                return sorted(types, key=lambda t: _SIMPLE_FIRST.get(t, 1))
            return sorted(types, key=lambda t: t == "null")  # a value says more than null
        inferred = next((kind for kind, keys in _INFERRED_TYPES if any(k in schema for k in keys)), None)
        # nothing says what it is: a string, unless the schema (a ``not``, say) wants another kind
        return [inferred] if inferred else ["string", "integer", "boolean", "null", "object", "array"]

    # -- values

    def _value(self, schema: Any, path: tuple[str, ...], descent: int) -> Any:
        self._values += 1
        if descent > _MAX_DESCENT or self._values > _MAX_VISITS or schema is False:
            raise _NoInstance
        if not isinstance(schema, Mapping):  # true (anything goes), or not a schema at all
            return self._free_text({}, path)
        schema = self._resolve(schema)
        if "const" in schema:
            return schema["const"]
        if isinstance(schema.get("enum"), list) and schema["enum"]:
            return self._enum(schema, path)
        for key in ("anyOf", "oneOf"):
            if isinstance(schema.get(key), list) and schema[key]:
                return self._alternatives(schema, key, path, descent)
        types = self._types(schema, path)
        if len(types) == 1:
            return self._typed(types[0], schema, path, descent)
        return self._first_that_fits(schema, [functools.partial(self._typed, kind, schema, path, descent)
                                              for kind in types])

    def _first_that_fits(self, schema: Mapping[str, Any], tries: Iterable[Callable[[], Any]]) -> Any:
        """The first try whose value satisfies ``schema`` (else the first value built at all).

        The echo text stays where the kept value put it: a try thrown away gives it back.
        """
        fallback: tuple[Any, str | None] | None = None
        for build in tries:
            text_before = self._text
            try:
                value = build()
            except _NoInstance:
                self._text = text_before
                continue
            if self._fits(schema, value):
                return value
            if fallback is None:
                fallback = (value, self._text)
            self._text = text_before
        if fallback is None:
            raise _NoInstance
        value, self._text = fallback
        return value

    def _enum(self, schema: Mapping[str, Any], path: tuple[str, ...]) -> Any:
        options = schema["enum"]
        start = self._hash(path, "enum") % len(options)
        rotated = options[start:] + options[:start]
        return next((o for o in rotated if self._fits(schema, o)), rotated[0])

    def _alternatives(self, schema: Mapping[str, Any], key: str, path: tuple[str, ...], descent: int) -> Any:
        """The first alternative whose instance satisfies the whole schema (the simplest first when deep)."""
        base = {k: v for k, v in schema.items() if k != key}
        options = [o for o in schema[key] if isinstance(o, (Mapping, bool))]
        if self._short(path):
            options.sort(key=self._simplicity)
        return self._first_that_fits(schema, [
            functools.partial(self._value, _merge(base, o) if isinstance(o, Mapping) else o, path, descent + 1)
            for o in options])

    def _simplicity(self, option: Any) -> int:
        if not isinstance(option, Mapping):
            return 1
        if "$ref" in option or "anyOf" in option or "oneOf" in option:
            return 2
        declared = option.get("type")
        kinds = [declared] if isinstance(declared, str) else declared if isinstance(declared, list) else []
        return min((_SIMPLE_FIRST.get(k, 1) for k in kinds if isinstance(k, str)), default=1)

    def _typed(self, kind: str, schema: Mapping[str, Any], path: tuple[str, ...], descent: int) -> Any:
        if kind == "object":
            return self._object(schema, path, descent)
        if kind == "array":
            return self._array(schema, path, descent)
        if kind in ("integer", "number"):
            return self._number(schema, path, integer=kind == "integer")
        if kind == "boolean":
            return self._hash(path, "boolean") % 2 == 0
        if kind == "null":
            return None
        return self._string(schema, path)

    def _object(self, schema: Mapping[str, Any], path: tuple[str, ...], descent: int) -> dict[str, Any]:
        declared = schema.get("properties")
        properties: Mapping[str, Any] = declared if isinstance(declared, Mapping) else {}
        required = [r for r in schema.get("required") or [] if isinstance(r, str)]
        extra = schema.get("additionalProperties", True)
        names = list(dict.fromkeys([*required, *(n for n in properties if not self._short(path))]))
        limit = _count(schema, "maxProperties")
        if limit is not None:
            names = names[: max(limit, len(required))]
        order = {name: index for index, name in enumerate(properties)}
        names.sort(key=lambda n: order.get(n, len(order)))  # the schema's order, as a model writes it
        instance: dict[str, Any] = {}
        for name in names:
            try:
                instance[name] = self._value(properties.get(name, extra), (*path, name), descent + 1)
            except _NoInstance:
                if name in required:
                    raise
        wanted = _count(schema, "minProperties") or 0
        count = 0
        while len(instance) < wanted and extra is not False and count < wanted:
            count += 1
            name = f"extra_{count}"
            if name not in instance and name not in properties:
                instance[name] = self._value(extra, (*path, name), descent + 1)
        return instance

    def _array(self, schema: Mapping[str, Any], path: tuple[str, ...], descent: int) -> list[Any]:
        items = schema.get("items", True)
        prefix = schema.get("prefixItems")
        if isinstance(items, list):  # draft 7 and older: a tuple
            prefix, items = items, schema.get("additionalItems", True)
        prefix = prefix if isinstance(prefix, list) else []
        least = _count(schema, "minItems") or 0
        most = _count(schema, "maxItems")
        count = least if self._short(path) else least + 1 + self._hash(path, "items") % 2
        if most is not None:
            count = min(count, most)
        if items is False:
            count = min(count, len(prefix))
        unique = schema.get("uniqueItems") is True
        instance: list[Any] = []
        for index in range(count):
            item_schema = prefix[index] if index < len(prefix) else items
            try:
                for attempt in range(4 if unique else 1):
                    # a retry for uniqueItems hashes another place, so it draws other values
                    where = (*path, f"[{index}]" if attempt == 0 else f"[{index}#{attempt}]")
                    item = self._value(item_schema, where, descent + 1)
                    if not unique or item not in instance:
                        break
            except _NoInstance:
                if index < least:
                    raise
                break
            instance.append(item)
        return instance

    def _number(self, schema: Mapping[str, Any], path: tuple[str, ...], *, integer: bool) -> int | float:
        def numeric(key: str) -> float | None:
            value = schema.get(key)
            return value if isinstance(value, (int, float)) and not isinstance(value, bool) else None

        low, high = numeric("minimum"), numeric("maximum")
        # draft 4 spells an open bound as a boolean beside minimum/maximum
        low_open = low if schema.get("exclusiveMinimum") is True else numeric("exclusiveMinimum")
        high_open = high if schema.get("exclusiveMaximum") is True else numeric("exclusiveMaximum")
        lows = [b for b in (low, low_open) if b is not None]
        highs = [b for b in (high, high_open) if b is not None]
        floor = max(lows) if lows else (min(highs) - 100 if highs else 0)
        ceiling = min(highs) if highs else floor + 100
        step = numeric("multipleOf")
        h = self._hash(path, "number")
        candidates: list[int | float] = []
        try:
            if step is not None and step > 0:
                first, last = math.ceil(floor / step), math.floor(ceiling / step)
                start = first + h % (last - first + 1) if last >= first else first
                # a float step's multiples are not all exact in binary; a few neighbours give the check a choice
                for k in [start + i for i in range(8)] + [first, last, 0]:
                    value = k * step
                    candidates.append(int(value) if float(value).is_integer() and (integer or isinstance(step, int))
                                      else round(value, 12))
            elif integer:
                first, last = math.ceil(floor), math.floor(ceiling)
                if last >= first:
                    candidates.append(first + h % (last - first + 1))
                candidates += [first, first + 1, last - 1, last]
            else:
                # not a whole number, when the bounds allow: 52.0 would pass for an integer too
                # (and fail a oneOf of integer and number)
                value = round(floor + (ceiling - floor) * ((h % 999) + 1) / 1000, 2)
                candidates += [value + 0.25 if float(value).is_integer() else value, value, (floor + ceiling) / 2,
                               floor, ceiling]
        except (OverflowError, ValueError):  # infinite bounds (JSON's Infinity), or steps too fine to count
            pass
        # JSON has no Infinity or NaN: never answer them
        finite = [c for c in candidates if math.isfinite(c)] or [0]
        return next((c for c in finite if self._fits(schema, c)), finite[0])

    def _string(self, schema: Mapping[str, Any], path: tuple[str, ...]) -> str:
        fmt = schema.get("format")
        pattern = schema.get("pattern")
        if not isinstance(fmt, str) and not isinstance(pattern, str):
            return self._free_text(schema, path)
        h = self._hash(path, "string")
        candidates = _formatted(fmt, h) if isinstance(fmt, str) else []
        if isinstance(pattern, str):
            if self._text is not None:
                text = _fit_length(self._text, schema, h)
                if self._fits(schema, text):
                    self._text = None
                    return text
            candidates += [example for attempt, stretch in enumerate(_PATTERN_STRETCH)
                           if (example := _pattern_example(pattern, f"{self._seed}\0{'/'.join(path)}\0{attempt}",
                                                           stretch)) is not None]
        found = next((c for c in candidates if self._fits(schema, c)), None)
        # an unknown format is only an annotation; a pattern nothing here satisfies gets the
        # echo text (the answer then fails validation, as a model's would)
        return found if found is not None else self._free_text(schema, path)

    def _free_text(self, schema: Mapping[str, Any], path: tuple[str, ...]) -> str:
        """The echo text the first time, then ``<property>-<hex>`` values."""
        h = self._hash(path, "string")
        if self._text is not None:
            text, self._text = self._text, None
        else:
            text = f"{_label(path)}-{h & 0xFFFFFFFF:08x}"
            most = _count(schema, "maxLength")
            if most is not None and len(text) > most:
                text = f"{h:016x}"[:most]  # keep the part that varies, not the label
        return _fit_length(text, schema, h)


def _label(path: tuple[str, ...]) -> str:
    """The nearest property name above a value (``value`` at the top)."""
    return next((part for part in reversed(path) if not part.startswith("[")), "value")


def _count(schema: Mapping[str, Any], key: str) -> int | None:
    """A length or count keyword (``2.0`` is a valid 2), or None when absent or unusable."""
    value = schema.get(key)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
        return None
    return int(value) if float(value).is_integer() else None


def _fit_length(text: str, schema: Mapping[str, Any], h: int) -> str:
    least, most = _count(schema, "minLength"), _count(schema, "maxLength")
    if least is not None and len(text) < least <= _MAX_TEXT:
        pad = f"{h:016x}"
        text += (pad * (least // len(pad) + 1))[: least - len(text)]
    if most is not None and len(text) > most:
        text = text[:most]
    return text


def _formatted(fmt: str, h: int) -> list[str]:
    """Plausible values of a string ``format``, best first (none for a format this does not know)."""
    day = datetime.date(2000, 1, 1) + datetime.timedelta(days=h % 10000)
    seconds = (h >> 20) % 86400
    clock = f"{seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"
    tag = f"{h & 0xFFFFFF:06x}"
    values = {
        "date": day.isoformat(),
        "date-time": f"{day.isoformat()}T{clock}Z",
        # RFC 3339 wants the offset; jsonschema without rfc3339-validator checks the
        # draft 3 time, which refuses it: the caller keeps the one its checker takes
        "time": f"{clock}Z|{clock}",
        "duration": f"P{h % 30 + 1}D",
        "email": f"user.{tag}@example.com",
        "idn-email": f"user.{tag}@example.com",
        "hostname": f"host-{tag}.example.com",
        "idn-hostname": f"host-{tag}.example.com",
        "ipv4": f"192.0.2.{h % 254 + 1}",
        "ipv6": f"2001:db8::{h % 0xFFFF + 1:x}",
        "uri": f"https://example.com/{tag}",
        "iri": f"https://example.com/{tag}",
        "uri-reference": f"https://example.com/{tag}",
        "iri-reference": f"https://example.com/{tag}",
        "url": f"https://example.com/{tag}",
        "uri-template": "https://example.com/{id}",
        "uuid": str(uuid.UUID(int=h << 64 | (h ^ 0x5DEECE66D), version=4)),
        "json-pointer": f"/{tag}",
        "relative-json-pointer": "0",
        "regex": "^[a-z]+$",
    }
    return values[fmt].split("|") if fmt in values else []


# ---- strings for a `pattern`: walk the parsed regex, choosing by hash


def _regex_parser() -> Any:
    try:
        return importlib.import_module("re._parser")   # Python 3.11+
    except ImportError:
        return importlib.import_module("sre_parse")


class _Unbuildable(Exception):
    """The pattern uses a construct the example builder does not handle."""


def _pattern_example(pattern: str, seed: str, stretch: int = 2) -> str | None:
    """A string built to match ``pattern``, or None (the caller checks it really matches)."""
    parser = _regex_parser()
    try:
        parsed = parser.parse(pattern)
    except Exception:  # any parser complaint: not a pattern this can build
        return None
    picks = itertools.count()

    def pick(n: int) -> int:
        return 0 if n <= 1 else _hash_int(seed, str(next(picks))) % n

    groups: dict[int, str] = {}

    steps = itertools.count()

    def emit(items: Any) -> str:
        out: list[str] = []
        for op, arg in items:
            if next(steps) > _MAX_PATTERN_STEPS:
                raise _Unbuildable("too long")
            name = getattr(op, "name", str(op))
            if name == "LITERAL":
                out.append(chr(arg))
            elif name in ("NOT_LITERAL", "ANY"):
                pool = [c for c in _CLASS_POOL[:62] if name == "ANY" or ord(c) != arg]
                out.append(pool[pick(len(pool))])
            elif name == "IN":
                out.append(_class_char(arg, pick))
            elif name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
                least, most, sub = arg
                out += [emit(sub) for _ in range(least + pick(min(most, least + stretch) - least + 1))]
            elif name == "SUBPATTERN":
                text = emit(arg[-1])
                if arg[0]:
                    groups[arg[0]] = text
                out.append(text)
            elif name == "ATOMIC_GROUP":
                out.append(emit(arg))
            elif name == "BRANCH":
                out.append(emit(arg[1][pick(len(arg[1]))]))
            elif name == "GROUPREF":
                out.append(groups.get(arg, ""))
            elif name not in ("AT", "ASSERT", "ASSERT_NOT"):  # anchors and lookarounds add no text
                raise _Unbuildable(name)
        return "".join(out)

    try:
        return emit(parsed)
    except (_Unbuildable, ValueError, TypeError, IndexError, RecursionError):
        return None


def _class_char(items: Any, pick: Callable[[int], int]) -> str:
    """One character of a ``[...]`` class (or ``\\d``, ``\\w``, ``\\s``)."""
    negate = any(getattr(op, "name", "") == "NEGATE" for op, _ in items)
    pool = list(_CLASS_POOL)
    for op, arg in items:
        name = getattr(op, "name", "")
        if name == "LITERAL":
            pool.append(chr(arg))
        elif name == "RANGE":
            pool += [chr(arg[0]), chr(arg[1])]

    def member(char: str) -> bool:
        for op, arg in items:
            name = getattr(op, "name", "")
            if (name == "LITERAL" and ord(char) == arg) or (name == "RANGE" and arg[0] <= ord(char) <= arg[1]):
                return not negate
            if name == "CATEGORY" and _in_category(getattr(arg, "name", ""), char):
                return not negate
        return negate

    allowed = sorted({c for c in pool if member(c)})
    if not allowed:
        raise _Unbuildable("empty class")
    return allowed[pick(len(allowed))]


def _in_category(category: str, char: str) -> bool:
    tests = {
        "CATEGORY_DIGIT": char.isdigit(),
        "CATEGORY_SPACE": char.isspace(),
        "CATEGORY_WORD": char.isalnum() or char == "_",
    }
    if category.startswith("CATEGORY_NOT_"):
        return not tests.get("CATEGORY_" + category[len("CATEGORY_NOT_"):], True)
    return tests.get(category, False)



class EchoEngine:
    """Deterministic replies, instantly (or after ``delay_ms`` per request)."""

    name = "echo"

    def __init__(self, extra_models: Iterable[str] = (), delay_ms: float = 0.0) -> None:
        known = {m.id for m in DEFAULT_ECHO_MODELS}
        self._models = list(DEFAULT_ECHO_MODELS) + [
            ModelInfo(m, description="Extra model served by the echo engine.") for m in dict.fromkeys(extra_models)
            if m not in known
        ]
        self._delay = delay_ms / 1000.0

    def models(self) -> list[ModelInfo]:
        return list(self._models)

    def map(
        self, requests: Iterable[EngineRequest], should_stop: Callable[[], bool],
    ) -> Generator[EngineResult, None, None]:
        created = int(time.time())
        for request in requests:
            if self._delay:
                time.sleep(self._delay)
                created = int(time.time())
            yield echo_reply(request.custom_id, request.body, created=created)
            if should_stop():
                return

    def close(self) -> None:
        pass


# ---- openai (an OpenAI-compatible upstream) ----------------------------------------------------


class OpenAIEngine:
    """Sends each request to ``<upstream>/chat/completions``, ``concurrency`` at a time."""

    name = "openai"
    _RETRY_STATUSES = frozenset({408, 409, 429, 500, 502, 503, 504})

    def __init__(self, upstream: str, *, api_key: str | None = None, concurrency: int = 16,
                 timeout: float = 300.0, max_retries: int = 3, models: Iterable[str] = ()) -> None:
        self.upstream = upstream.rstrip("/")
        self.concurrency = concurrency
        self.max_retries = max_retries
        self._upstream = _Upstream(self.upstream, api_key=api_key, timeout=timeout)
        self._fixed_models = [ModelInfo(m, description="Served by the upstream.") for m in dict.fromkeys(models)]
        self._listed: tuple[float, list[ModelInfo]] | None = None
        self._closed = threading.Event()

    def models(self) -> list[ModelInfo]:
        if self._fixed_models:
            return list(self._fixed_models)
        if self._listed and time.monotonic() - self._listed[0] < 60:
            return list(self._listed[1])
        try:
            status, _, payload = self._upstream.request("GET", "/models")
            if status != 200:
                raise ValueError(f"HTTP {status}")
            ids = [m["id"] for m in json.loads(payload)["data"]]
        except (OSError, http.client.HTTPException, ValueError, KeyError, TypeError) as exc:
            raise EngineUnavailable(
                f"cannot list the upstream's models at {self.upstream}/models ({exc}); "
                "name them with --model (or `models:` under provider.local)"
            ) from exc
        listed = [ModelInfo(i, description="Served by the upstream.") for i in ids]
        self._listed = (time.monotonic(), listed)
        return list(listed)

    def complete(self, request: EngineRequest) -> EngineResult:
        """One request, retrying upstream 429/5xx and connection errors."""
        body = dict(request.body)
        body.pop("stream", None)  # batch lines want whole answers
        payload = json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()
        attempt = 0
        while True:
            delay: float | None = None
            try:
                status, headers, content = self._upstream.request("POST", "/chat/completions", payload)
            except (OSError, http.client.HTTPException) as exc:
                if attempt >= self.max_retries or self._closed.is_set():
                    return EngineResult(None, None, {
                        "code": "upstream_unreachable",
                        "message": f"upstream {self.upstream}: {type(exc).__name__}: {exc}",
                    })
            else:
                if status not in self._RETRY_STATUSES or attempt >= self.max_retries:
                    try:
                        answer = json.loads(content)
                    except ValueError:
                        answer = None
                    if not isinstance(answer, dict):
                        return EngineResult(None, None, {
                            "code": "upstream_invalid_response",
                            "message": f"upstream answered {status} with a non-JSON body",
                        })
                    return EngineResult(status, answer)
                delay = _retry_after(headers)
            attempt += 1
            if delay is None:
                delay = min(8.0, 0.25 * 2 ** (attempt - 1))
            if self._closed.wait(min(delay, 60.0)):
                return EngineResult(None, None, {"code": "engine_stopped", "message": "the server stopped"})

    def map(
        self, requests: Iterable[EngineRequest], should_stop: Callable[[], bool],
    ) -> Generator[EngineResult, None, None]:
        window: deque[concurrent.futures.Future[EngineResult]] = deque()
        executor = concurrent.futures.ThreadPoolExecutor(self.concurrency, thread_name_prefix="specrun-upstream")
        source = iter(requests)
        try:
            exhausted = False
            while True:
                # Keep enough requests queued that no worker thread ever idles.
                while not exhausted and len(window) < self.concurrency * 4:
                    request = next(source, None)
                    if request is None:
                        exhausted = True
                        break
                    window.append(executor.submit(self.complete, request))
                if not window:
                    return
                head = window[0]
                while not head.done():
                    concurrent.futures.wait([head], timeout=0.1)
                    if should_stop():
                        return
                window.popleft()
                yield head.result()
                if should_stop():
                    return
        finally:
            for future in window:
                future.cancel()
            executor.shutdown(wait=False, cancel_futures=True)

    def close(self) -> None:
        self._closed.set()
        self._upstream.close()


class _Upstream:
    """Keep-alive HTTP(S) connections to the upstream, one per thread.

    The stdlib client, not httpx: with dozens of threads, httpx's shared pool costs
    ~1-2 ms of CPU per call and caps an engine near 500-900 requests/s; one plain
    connection per thread costs ~0.2 ms.
    """

    def __init__(self, base_url: str, *, api_key: str | None, timeout: float) -> None:
        parts = urllib.parse.urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise SpecrunError(f"local provider: upstream must be an http(s) URL, got {base_url!r}")
        self._https = parts.scheme == "https"
        self._host = parts.hostname
        self._port = parts.port
        self._path = parts.path.rstrip("/")
        self._timeout = timeout
        self._headers = {"Content-Type": "application/json", "Accept": "application/json",
                         "User-Agent": "specrun-local"}
        if api_key:
            self._headers["Authorization"] = f"Bearer {api_key}"
        self._local = threading.local()
        self._all: set[http.client.HTTPConnection] = set()
        self._lock = threading.Lock()

    def _connect(self) -> http.client.HTTPConnection:
        if self._https:
            connection: http.client.HTTPConnection = http.client.HTTPSConnection(
                self._host, self._port, timeout=self._timeout, context=ssl.create_default_context())
        else:
            connection = http.client.HTTPConnection(self._host, self._port, timeout=self._timeout)
        with self._lock:
            self._all.add(connection)
        return connection

    def _drop(self, connection: http.client.HTTPConnection) -> None:
        connection.close()
        self._local.connection = None
        with self._lock:
            self._all.discard(connection)

    def request(self, method: str, path: str, body: bytes | None = None) -> tuple[int, Mapping[str, str], bytes]:
        for attempt in range(2):
            connection = getattr(self._local, "connection", None)
            reused = connection is not None
            if connection is None:
                connection = self._local.connection = self._connect()
            try:
                connection.request(method, self._path + path, body=body, headers=self._headers)
                response = connection.getresponse()
                content = response.read()
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self._drop(connection)
                if reused and attempt == 0:
                    continue  # the upstream closed an idle keep-alive connection: reconnect once
                raise
            except BaseException:
                self._drop(connection)
                raise
            if response.will_close:
                self._drop(connection)
            return response.status, {k.lower(): v for k, v in response.getheaders()}, content
        raise AssertionError("unreachable")

    def close(self) -> None:
        with self._lock:
            connections, self._all = list(self._all), set()
        for connection in connections:
            connection.close()


def _retry_after(headers: Mapping[str, str]) -> float | None:
    milliseconds = headers.get("retry-after-ms")
    seconds = headers.get("retry-after")
    try:
        if milliseconds is not None:
            return max(0.0, float(milliseconds) / 1000)
        if seconds is not None:
            return max(0.0, float(seconds))
    except ValueError:
        return None
    return None


def make_engine(options: LocalOptions) -> Engine:
    """Build the engine the options name."""
    if options.engine == "echo":
        return EchoEngine(options.models, delay_ms=options.delay_ms)
    api_key = None
    if options.upstream_key_env:
        api_key = os.environ.get(options.upstream_key_env)
        if not api_key:
            raise SpecrunError(
                f"local provider: environment variable {options.upstream_key_env} "
                "(named by upstream_key_env) is not set"
            )
    assert options.upstream is not None
    return OpenAIEngine(options.upstream, api_key=api_key, concurrency=options.concurrency,
                        timeout=options.timeout, max_retries=options.max_retries, models=options.models)
