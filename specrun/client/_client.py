"""The Batch API over httpx: typed results, retries, pagination, streaming.

CONTRACT (other modules depend on these names; add freely, do not rename):
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator, Mapping

import httpx

__all__ = [
    "BatchStatus", "RequestCounts", "Batch", "FileObject", "ModelConfig",
    "Client", "resolve_base_url",
]


class BatchStatus(str, enum.Enum):
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


@dataclass(frozen=True)
class RequestCounts:
    total: int = 0
    completed: int = 0
    failed: int = 0


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


@dataclass(frozen=True)
class FileObject:
    id: str
    bytes: int | None = None
    filename: str | None = None
    purpose: str | None = None
    status: str | None = None
    created_at: int | None = None
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)


@dataclass(frozen=True)
class ModelConfig:
    id: str
    name: str | None = None
    context_length: int | None = None
    input_price_cents: float | None = None    # cents per million input tokens
    output_price_cents: float | None = None   # cents per million output tokens
    status: str | None = None
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)


def resolve_base_url(cli_base_url: str | None, spec_base_url: str | None) -> str:
    """``--base-url`` > ``SPECRUN_BASE_URL`` > the spec; normalised to end in ``/v1``."""
    raise NotImplementedError


class Client:
    """One door to the provider. Safe calls retry; creating POSTs never retry blindly."""

    def __init__(
        self,
        base_url: str,
        api_key: str | None = None,
        *,
        transport: httpx.BaseTransport | None = None,
        timeout: float = 60.0,
        max_retries: int = 5,
        max_retry_seconds: float = 120.0,
    ) -> None:
        raise NotImplementedError

    # models
    def active_models(self) -> list[str]: raise NotImplementedError
    def model_config(self) -> list[ModelConfig]: raise NotImplementedError
    # files
    def iter_files(self, *, limit: int | None = None, order: str | None = None) -> Iterator[FileObject]: raise NotImplementedError
    def get_file(self, file_id: str) -> FileObject: raise NotImplementedError
    def upload_file(self, path: Path, *, filename: str | None = None, purpose: str = "batch") -> FileObject: raise NotImplementedError
    def download_file(self, file_id: str, dest: Path) -> int: raise NotImplementedError  # bytes written
    def find_files(self, filename: str, *, size: int | None = None) -> list[FileObject]: raise NotImplementedError
    # batches
    def iter_batches(self, *, limit: int | None = None) -> Iterator[Batch]: raise NotImplementedError
    def get_batch(self, batch_id: str) -> Batch: raise NotImplementedError
    def create_batch(self, input_file_id: str, *, endpoint: str = "/v1/chat/completions",
                     completion_window: str = "24h", metadata: Mapping[str, str] | None = None) -> Batch: raise NotImplementedError
    def cancel_batch(self, batch_id: str) -> Batch: raise NotImplementedError
    def delete_batch(self, batch_id: str) -> Batch | None: raise NotImplementedError
    def find_batches(self, input_file_id: str) -> list[Batch]: raise NotImplementedError
    def close(self) -> None: raise NotImplementedError
