"""The Batch API over httpx: typed results, retries, pagination, streaming.

CONTRACT (other modules depend on these names; add freely, do not rename):
    _config        where the provider is: resolve_base_url, normalise_base_url
    _models        typed values (Batch, BatchStatus, FileObject, ...); check_id, is_valid_id
    _retry         backoff with full jitter, Retry-After, the retry budget
    _errors        what went wrong -> AuthError, NotFound, ..., ConnectionFailed, OutcomeUnknown
    _answers       reading an answer: strict JSON, objects, lists; hostile answers refused
    _pages         page sizes (FILES_/BATCHES_PAGE_LIMIT), cursors, walking every page
    _sender        the send loop: retry rules (creating POSTs too), redaction, streaming
    _capabilities  what a provider lacks (/active-models, /model-config, GET /files), fallbacks
    _client        the Client: one method per call, built on the rooms above
"""

from __future__ import annotations

from specrun.client._client import JOB_METADATA_KEY, SHARD_METADATA_KEY, Client, WaitTimeout
from specrun.client._config import BASE_URL_ENV, DEFAULT_API_KEY_ENV, normalise_base_url, resolve_base_url
from specrun.client._models import (
    Batch,
    BatchStatus,
    FileObject,
    ModelConfig,
    Page,
    RequestCounts,
    check_id,
    check_model_id,
    is_valid_id,
)
from specrun.client._pages import BATCHES_PAGE_LIMIT, FILES_PAGE_LIMIT
from specrun.client._retry import RetryPolicy, retry_after_seconds

__all__ = [
    "BatchStatus", "RequestCounts", "Batch", "FileObject", "ModelConfig", "Page",
    "Client", "WaitTimeout", "RetryPolicy", "retry_after_seconds",
    "resolve_base_url", "normalise_base_url",
    "BASE_URL_ENV", "DEFAULT_API_KEY_ENV", "FILES_PAGE_LIMIT", "BATCHES_PAGE_LIMIT",
    "check_id", "check_model_id", "is_valid_id", "JOB_METADATA_KEY", "SHARD_METADATA_KEY",
]
