"""Reading what the provider answered: strict JSON, objects and lists, checked on the way in.

Hostile answers
---------------
Whatever the provider sends is checked before specrun acts on it (``_models``): ids
must look like ids (they become local file names), statuses must be words, counts
integers, and an answer of the wrong shape (an array for an object, a number for a
list, JSON with ``NaN`` or nested thousands deep) is a ``ProviderError`` that says
what was wrong, never a traceback. Text from the provider that reaches an error
message is shown through ``specrun._text.safe`` (no terminal escape sequences).
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import httpx

from specrun._text import json_kind, safe
from specrun.client._errors import call_name, outcome_unknown
from specrun.errors import ProviderError

__all__ = ["build", "list_entries", "loads_strict", "parse_object", "read_json", "unreadable"]

T = TypeVar("T")


def unreadable(response: httpx.Response, problem: str) -> ProviderError:
    """A successful answer specrun cannot use, named together with its call."""
    return ProviderError(f"unreadable answer ({response.status_code} on {call_name(response.request)}): "
                         f"{problem}", status_code=response.status_code, method=response.request.method,
                         url=str(response.request.url))


def read_json(response: httpx.Response) -> Any:
    """The answer's JSON: strict (no NaN/Infinity), any depth refused cleanly."""
    content_type = response.headers.get("content-type", "no content type").split(";")[0]
    try:
        return loads_strict(response.content)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        if "json" not in content_type.lower() or isinstance(exc, UnicodeDecodeError) or not response.content:
            problem = f"expected JSON, got {safe(content_type, 100)}"
        elif isinstance(exc, RecursionError):
            problem = "its JSON is nested too deeply"
        elif isinstance(exc, json.JSONDecodeError):
            problem = f"invalid JSON ({exc.msg} at line {exc.lineno} column {exc.colno})"
        else:
            problem = f"invalid JSON ({safe(exc, 200)})"
        raise unreadable(response, problem) from None


def build(response: httpx.Response, make: Callable[[Any], T], item: Any) -> T:
    """``make(item)``, a refused value named together with the call that returned it."""
    try:
        return make(item)
    except ProviderError as exc:
        raise ProviderError(f"{exc.message} (answer to {call_name(response.request)})",
                            status_code=response.status_code, method=response.request.method,
                            url=str(response.request.url)) from None


def parse_object(response: httpx.Response, make: Callable[[Mapping[str, Any]], T], *,
                 creating: dict[str, Any] | None = None) -> T:
    """Build a typed object from a JSON object answer; a creating POST whose
    answer cannot be read is an unknown outcome (it did return 2xx)."""
    try:
        body = read_json(response)
        if not isinstance(body, Mapping):
            raise unreadable(response, f"expected a JSON object, got {json_kind(body)}")
        return build(response, make, body)
    except ProviderError as exc:
        if creating is None:
            raise
        raise outcome_unknown(response.request, creating,
                              f"unreadable {response.status_code} answer: {exc.message}",
                              status_code=response.status_code) from exc


def list_entries(response: httpx.Response, *names: str, body: Any = None) -> list[Any]:
    """The entries of a list answer: a bare array, or the first of ``names`` present.

    ``null`` is an empty list (Go servers send that); anything else that is not an
    array is a ``ProviderError``.
    """
    if body is None:
        body = read_json(response)
    if isinstance(body, list):  # a server that returns a bare array: one page, no cursor
        return body
    if not isinstance(body, Mapping):
        raise unreadable(response, f"expected a list object, got {json_kind(body)}")
    for name in names:
        if name in body:
            value = body[name]
            if value is None:
                return []
            if not isinstance(value, list):
                raise unreadable(response, f"'{name}' is {json_kind(value)}, expected an array")
            return value
    raise unreadable(response, f"no {' or '.join(repr(n) for n in names)} array in the answer")


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _refuse_infinite(text: str) -> float:
    value = float(text)
    if math.isinf(value):
        raise ValueError(f"the number {text[:40]} is out of range")
    return value


_STRICT = json.JSONDecoder(parse_constant=_refuse_constant, parse_float=_refuse_infinite)


def loads_strict(content: bytes | str) -> Any:
    """JSON as RFC 8259 has it: ``NaN``/``Infinity`` and out-of-range numbers are a ``ValueError``."""
    if isinstance(content, (bytes, bytearray)):
        content = content.decode(json.detect_encoding(content), "surrogatepass")
    return _STRICT.decode(content)
