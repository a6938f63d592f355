"""Typed values the provider returns: batches, files, models, pages.

Every ``from_dict`` tolerates unknown extra fields (kept in ``raw``) and missing
optional ones, because OpenAI-compatible servers differ in what they send.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any, Generic, Mapping, TypeVar

__all__ = ["BatchStatus", "RequestCounts", "Batch", "FileObject", "ModelConfig", "Page"]

T = TypeVar("T")


class BatchStatus(str, enum.Enum):
    """The eight OpenAI batch statuses.

    A status outside these (some servers say ``queued`` or ``running``) is mapped to
    its obvious equivalent; anything else becomes a non-terminal pseudo-member, so an
    unexpected word never crashes a poll loop.
    """

    VALIDATING = "validating"
    FAILED = "failed"
    IN_PROGRESS = "in_progress"
    FINALIZING = "finalizing"
    COMPLETED = "completed"
    EXPIRED = "expired"
    CANCELLING = "cancelling"
    CANCELLED = "cancelled"

    @property
    def is_terminal(self) -> bool:
        return self in (BatchStatus.FAILED, BatchStatus.COMPLETED, BatchStatus.EXPIRED, BatchStatus.CANCELLED)

    @classmethod
    def _missing_(cls, value: object) -> BatchStatus | None:
        if not isinstance(value, str):
            return None
        word = value.strip().lower().replace("-", "_").replace(" ", "_")
        alias = _STATUS_ALIASES.get(word, word)
        for member in cls:
            if member.value == alias:
                return member
        pseudo = str.__new__(cls, value)
        pseudo._name_ = word.upper() or "UNKNOWN"
        pseudo._value_ = value
        return pseudo


_STATUS_ALIASES = {
    "queued": "validating",
    "pending": "validating",
    "running": "in_progress",
    "processing": "in_progress",
    "succeeded": "completed",
    "success": "completed",
    "done": "completed",
    "canceled": "cancelled",
    "canceling": "cancelling",
    "error": "failed",
    "errored": "failed",
}


def _int(value: Any) -> int | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _float(value: Any) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _str(value: Any) -> str | None:
    return None if value is None else str(value)


@dataclass(frozen=True)
class RequestCounts:
    total: int = 0
    completed: int = 0
    failed: int = 0

    @classmethod
    def from_dict(cls, data: Any) -> RequestCounts:
        if not isinstance(data, Mapping):
            return cls()
        return cls(
            total=_int(data.get("total")) or 0,
            completed=_int(data.get("completed")) or 0,
            failed=_int(data.get("failed")) or 0,
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
        """Build from the provider's batch object (``id`` and ``status`` required)."""
        return cls(
            id=str(data["id"]),
            status=BatchStatus(str(data.get("status") or "validating")),
            input_file_id=_str(data.get("input_file_id")),
            output_file_id=_str(data.get("output_file_id")) or None,
            error_file_id=_str(data.get("error_file_id")) or None,
            endpoint=_str(data.get("endpoint")),
            completion_window=_str(data.get("completion_window")),
            created_at=_int(data.get("created_at")),
            request_counts=RequestCounts.from_dict(data.get("request_counts")),
            errors=data.get("errors"),
            raw=dict(data),
            metadata=data.get("metadata") if isinstance(data.get("metadata"), Mapping) else None,
        )


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
        """Build from the provider's file object (``id`` required)."""
        return cls(
            id=str(data["id"]),
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
        model_id = data.get("id") or data.get("model_code") or data.get("name")
        if model_id is None:
            raise KeyError("id")
        return cls(
            id=str(model_id),
            name=_str(data.get("name")),
            context_length=_int(data.get("context_length")),
            input_price_cents=_float(data.get("input_price_cents")),
            output_price_cents=_float(data.get("output_price_cents")),
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
