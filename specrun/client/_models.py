"""Typed values the provider returns: batches, files, models, pages.

Every ``from_dict`` tolerates unknown extra fields (kept in ``raw``) and missing
optional ones, because OpenAI-compatible servers differ in what they send.

What it does not tolerate is a value specrun would act on being unsafe or the wrong
shape: a provider (or anyone in the middle of an ``http://`` base URL) chooses these
values, and ids end up in local file names, URLs, state and the terminal. So every id
must look like an id (:func:`check_id`: letters, digits and ``_ . : -``, no ``..``),
a status must be a word, counts must be non-negative integers and prices finite
non-negative numbers; anything else is a ``ProviderError`` that shows the value safely.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from specrun._batch_status import BatchStatus
from specrun._text import json_kind, quoted, safe
from specrun.errors import ProviderError

__all__ = ["BatchStatus", "RequestCounts", "Batch", "FileObject", "ModelConfig", "Page",
           "check_id", "check_model_id", "is_valid_id"]

#: What an id the provider returns may look like: safe as a file name, a URL segment
#: and on a terminal. (OpenAI: ``file-abc123``, ``batch_abc123``; uuids; ``ns:id``.)
_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:-]{0,255}")
#: Model ids also use ``/`` (``meta-llama/Llama-3.1-8B-Instruct``), ``@`` and ``+``.
_MODEL_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:/@+-]{0,255}")
_ID_RULE = "ids may only use letters, digits and _ . : - (at most 256 characters, no '..')"
_MODEL_ID_RULE = "model ids may only use letters, digits and _ . : / @ + - (at most 256 characters, no '..')"
#: Counts and sizes above this are not real (and would not fit the provider's own int64).
_MAX_INT = 2**63 - 1
#: Cents per million tokens above this ($10M per million tokens) are not a price.
_MAX_PRICE_CENTS = 1e9

T = TypeVar("T")


def is_valid_id(value: Any) -> bool:
    """True for a string that is safe to use as a provider id (see the module docstring)."""
    return isinstance(value, str) and _ID.fullmatch(value) is not None and ".." not in value


def _checked(value: Any, name: str, where: str, pattern: re.Pattern[str], rule: str) -> str:
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= _MAX_INT:
        value = str(value)  # some servers number their objects
    if not isinstance(value, str) or pattern.fullmatch(value) is None or ".." in value:
        shown = quoted(value) if isinstance(value, str) else f"{quoted(value)} ({json_kind(value)})"
        raise ProviderError(f"provider returned an invalid {name} {shown}{where}; refusing it: {rule}")
    return value


def check_id(value: Any, name: str = "id", *, where: str = "") -> str:
    """``value`` if it is a safe provider id, else ``ProviderError`` naming ``name``.

    ``where`` adds context to the message (`` (batch batch_1)``). Integers are
    accepted as their decimal text.
    """
    return _checked(value, name, where, _ID, _ID_RULE)


def check_model_id(value: Any, name: str = "model id", *, where: str = "") -> str:
    """``value`` if it is a safe model id (``/`` allowed), else ``ProviderError``."""
    return _checked(value, name, where, _MODEL_ID, _MODEL_ID_RULE)


def _optional_id(data: Mapping[str, Any], name: str, where: str) -> str | None:
    value = data.get(name)
    if value is None or value == "":
        return None
    return check_id(value, name, where=where)


def _int(value: Any) -> int | None:
    """A lenient integer for informational fields (``created_at``, ``bytes``): None when odd."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, float) and not value.is_integer():
        return None
    try:
        number = int(value)
    except (TypeError, ValueError, OverflowError):
        return None
    return number if abs(number) <= _MAX_INT else None


def _count(value: Any, name: str, where: str) -> int:
    """A count specrun acts on: a non-negative integer (null means 0), else ``ProviderError``."""
    if value is None:
        return 0
    number = _int(value) if not isinstance(value, str) or value.strip().isdigit() else None
    if number is None or number < 0:
        raise ProviderError(f"provider returned an invalid {name} {quoted(value)}{where}: "
                            "expected a non-negative integer")
    return number


def _price(value: Any, name: str, where: str) -> float | None:
    """Cents per million tokens: a finite, non-negative number (null: not published)."""
    if value is None:
        return None
    number: float | None = None
    if not isinstance(value, bool):
        try:
            number = float(value)
        except (TypeError, ValueError, OverflowError):
            number = None
    if number is None or not math.isfinite(number) or not 0 <= number <= _MAX_PRICE_CENTS:
        raise ProviderError(f"provider returned an invalid {name} {quoted(value)}{where}: "
                            "expected a price in cents per million tokens")
    return number


def _str(value: Any) -> str | None:
    """Free text (file name, purpose, endpoint): kept as sent; shown through ``safe``."""
    if value is None:
        return None
    if isinstance(value, (dict, list)):
        return None  # a structure where text belongs says nothing useful
    return str(value)


def _require_mapping(data: Any, what: str) -> Mapping[str, Any]:
    if not isinstance(data, Mapping):
        raise ProviderError(f"provider returned {json_kind(data)} where a {what} object belongs")
    return data


@dataclass(frozen=True)
class RequestCounts:
    total: int = 0
    completed: int = 0
    failed: int = 0

    @classmethod
    def from_dict(cls, data: Any, where: str = "") -> RequestCounts:
        """From ``request_counts`` (null: all zero, as while a batch is validating)."""
        if data is None:
            return cls()
        if not isinstance(data, Mapping):
            raise ProviderError(f"provider returned an invalid request_counts {quoted(data)}{where}: "
                                "expected an object {total, completed, failed}")
        return cls(
            total=_count(data.get("total"), "request_counts.total", where),
            completed=_count(data.get("completed"), "request_counts.completed", where),
            failed=_count(data.get("failed"), "request_counts.failed", where),
        )


@dataclass(frozen=True)
class Batch:
    id: str
    status: BatchStatus
    input_file_id: str | None = None
    output_file_id: str | None = None
    error_file_id: str | None = None
    endpoint: str | None = None
    completion_window: str | None = None
    created_at: int | None = None
    request_counts: RequestCounts = RequestCounts()
    errors: Any = None
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)
    metadata: Mapping[str, Any] | None = None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Batch:
        """Build from the provider's batch object (``id`` required, every id checked).

        A missing status reads as ``validating``; one that is not a word is refused.
        """
        data = _require_mapping(data, "batch")
        if data.get("id") in (None, ""):
            raise ProviderError("missing or invalid 'id': the provider returned a batch without one")
        batch_id = check_id(data["id"], "batch id")
        where = f" (batch {batch_id})"
        status = data.get("status")
        if status is None or status == "":
            status = "validating"
        try:
            if not isinstance(status, str):
                raise ValueError(status)  # (before the enum, whose own message would repr any value)
            parsed_status = BatchStatus(status)
        except ValueError:
            raise ProviderError(f"provider returned an invalid status {quoted(status)}{where}: "
                                "expected a word such as in_progress or completed") from None
        return cls(
            id=batch_id,
            status=parsed_status,
            input_file_id=_optional_id(data, "input_file_id", where),
            output_file_id=_optional_id(data, "output_file_id", where),
            error_file_id=_optional_id(data, "error_file_id", where),
            endpoint=_str(data.get("endpoint")),
            completion_window=_str(data.get("completion_window")),
            created_at=_int(data.get("created_at")),
            request_counts=RequestCounts.from_dict(data.get("request_counts"), where),
            errors=data.get("errors"),
            raw=dict(data),
            metadata=data.get("metadata") if isinstance(data.get("metadata"), Mapping) else None,
        )

    def errors_text(self, max_items: int = 20) -> str:
        """The batch's ``errors`` (OpenAI: ``{"data": [{"code", "message", "line"}]}``) as one line,
        safe for a terminal whatever the provider put there ("" when there are none)."""
        errors = self.errors
        if isinstance(errors, Mapping):
            errors = errors.get("data")
        if not errors:
            return ""
        if isinstance(errors, str):
            return _short(errors)
        items = errors if isinstance(errors, list) else [errors]
        parts = []
        for item in items[:max_items]:
            if isinstance(item, Mapping):
                message = _short(item.get("message") or item.get("code") or item)
                line = f"line {_short(item['line'])}: " if item.get("line") is not None else ""
                parts.append(message if message.startswith(line) else line + message)
            else:
                parts.append(_short(item))
        if len(items) > max_items:
            parts.append(f"and {len(items) - max_items:,} more")
        return "; ".join(parts)


def _short(value: Any) -> str:
    """A provider value as one short, terminal-safe line (never raises, whatever its shape)."""
    if isinstance(value, str):
        return safe(value, 300)
    try:
        return safe(json.dumps(value, ensure_ascii=False), 300)
    except (TypeError, ValueError, RecursionError):
        return type(value).__name__


@dataclass(frozen=True)
class FileObject:
    id: str
    bytes: int | None = None
    filename: str | None = None
    purpose: str | None = None
    status: str | None = None
    created_at: int | None = None
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> FileObject:
        """Build from the provider's file object (``id`` required and checked)."""
        data = _require_mapping(data, "file")
        if data.get("id") in (None, ""):
            raise ProviderError("missing or invalid 'id': the provider returned a file without one")
        return cls(
            id=check_id(data["id"], "file id"),
            bytes=_int(data.get("bytes")),
            filename=_str(data.get("filename")),
            purpose=_str(data.get("purpose")),
            status=_str(data.get("status")),
            created_at=_int(data.get("created_at")),
            raw=dict(data),
        )


@dataclass(frozen=True)
class ModelConfig:
    id: str
    name: str | None = None
    context_length: int | None = None
    input_price_cents: float | None = None    # cents per million input tokens
    output_price_cents: float | None = None   # cents per million output tokens
    status: str | None = None
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)
    description: str | None = None
    display_order: int | None = None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ModelConfig:
        """Build from a ``/model-config`` entry (or a bare ``{"id": ...}`` from ``/models``)."""
        data = _require_mapping(data, "model")
        model_id = data.get("id") or data.get("model_code") or data.get("name")
        if model_id is None:
            raise ProviderError("missing or invalid 'id': the provider returned a model without one")
        model_id = check_model_id(model_id)
        where = f" (model {model_id})"
        context_length = _int(data.get("context_length"))
        return cls(
            id=model_id,
            name=_str(data.get("name")),
            context_length=context_length if context_length and context_length > 0 else None,
            input_price_cents=_price(data.get("input_price_cents"), "input_price_cents", where),
            output_price_cents=_price(data.get("output_price_cents"), "output_price_cents", where),
            status=_str(data.get("status")),
            raw=dict(data),
            description=_str(data.get("description")),
            display_order=_int(data.get("display_order")),
        )


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a list call: ``data`` plus the cursor fields."""

    data: list[T]
    has_more: bool = False
    first_id: str | None = None
    last_id: str | None = None
