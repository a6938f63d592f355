"""The Client: the Batch API's calls, each one method with typed answers.

The Client is the one door to the provider (it implements ``specrun.provider.Provider``).
Each method says which call it makes and what it returns; the rest lives in a room of
its own:

    _sender         the send loop: retries and Retry-After, the rules for creating POSTs
                    (``OutcomeUnknown``), redaction, error mapping, streaming up and down
    _capabilities   what a provider lacks (/active-models, /model-config, file listing)
                    and the fallbacks, learnt once per client
    _answers        reading an answer: strict JSON, objects and lists, hostile values
    _pages          page sizes, cursors, walking every page
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import quote

import httpx

from specrun.client._answers import build, parse_object
from specrun.client._capabilities import Capabilities
from specrun.client._config import DEFAULT_API_KEY_ENV, normalise_base_url
from specrun.client._errors import parse_body
from specrun.client._models import Batch, FileObject, ModelConfig, Page
from specrun.client._pages import BATCHES_PAGE_LIMIT, FILES_PAGE_LIMIT, iterate, read_page
from specrun.client._retry import RetryPolicy
from specrun.client._sender import Sender
from specrun.errors import SpecrunError

__all__ = ["BATCHES_PAGE_LIMIT", "FILES_PAGE_LIMIT", "JOB_METADATA_KEY", "SHARD_METADATA_KEY", "Client", "SenderClient",
           "WaitTimeout", "segment"]

#: The batch metadata specrun sets where the provider keeps it (OpenAI: 16 string pairs,
#: values up to 512 characters): the spec's job and the shard's file name.
JOB_METADATA_KEY = "specrun_job"
SHARD_METADATA_KEY = "specrun_shard"


class WaitTimeout(SpecrunError):
    """A batch did not reach a terminal status within the allowed time."""


_C = TypeVar("_C", bound="SenderClient")


class SenderClient:
    """What a client over one ``Sender`` is, whatever the API's shape: a context manager,
    the sender's settings, finding files by name through the subclass's ``_search_files``,
    and waiting on a batch through its ``get_batch``."""

    _sender: Sender

    def __enter__(self: _C) -> _C:
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection pool (and the transport)."""
        self._sender.close()

    @property
    def has_api_key(self) -> bool:
        return self._sender.has_api_key

    @property
    def api_key_env(self) -> str:
        """Where the API key came from (an env var name), for error messages."""
        return self._sender.api_key_env

    @property
    def retry_policy(self) -> RetryPolicy:
        """How often and how long safe calls are retried (and how waiting is done)."""
        return self._sender.retry_policy

    @property
    def timeout(self) -> float:
        """Seconds to wait for an answer (connecting: at most 15)."""
        return self._sender.timeout

    def get_batch(self, batch_id: str) -> Batch:
        raise NotImplementedError

    def _search_files(self, match: Callable[[str], bool]) -> list[FileObject]:
        raise NotImplementedError

    def find_files(self, filename: str, *, size: int | None = None) -> list[FileObject]:
        """Files named ``filename`` (and of ``size`` bytes, if given), newest first.

        A file whose size the provider does not report matches on its name alone. When
        the provider cannot list files, files are found through its batches (see the
        ``_capabilities`` docstring); ``[]`` (with one warning per client) if it lists neither.
        """
        return [f for f in self.files_by_name([filename])[filename]
                if size is None or f.bytes is None or f.bytes == size]

    def files_by_name(self, filenames: Iterable[str]) -> dict[str, list[FileObject]]:
        """``find_files`` for many names in one listing pass (newest first per name)."""
        wanted = set(filenames)
        found: dict[str, list[FileObject]] = {name: [] for name in wanted}
        if wanted:
            for f in self._search_files(lambda name: name in wanted):
                found[f.filename].append(f)  # type: ignore[index]
        return found

    def files_with_prefix(self, prefix: str) -> list[FileObject]:
        """Files whose name starts with ``prefix``, newest first (one listing pass)."""
        return self.files_matching(prefixes=[prefix])

    def files_matching(self, names: Iterable[str] = (), prefixes: Iterable[str] = ()) -> list[FileObject]:
        """Files named exactly one of ``names`` or starting with one of ``prefixes`` (one pass)."""
        exact, starts = set(names), tuple(prefixes)
        if not exact and not starts:
            return []
        return self._search_files(lambda name: name in exact or name.startswith(starts))

    def wait_batch(self, batch_id: str, *, poll_interval: float = 5.0, timeout: float | None = None,
                   on_update: Callable[[Batch], None] | None = None) -> Batch:
        """Poll ``get_batch`` until the batch is terminal; ``on_update`` sees every poll."""
        policy = self.retry_policy
        started = policy.clock()
        while True:
            batch = self.get_batch(batch_id)
            if on_update is not None:
                on_update(batch)
            if batch.status.is_terminal:
                return batch
            if timeout is not None and policy.clock() - started + poll_interval > timeout:
                raise WaitTimeout(
                    f"batch {batch_id} is still {batch.status.value} after {timeout:g}s; "
                    "it keeps running on the provider, wait again later")
            policy.sleep(poll_interval)


class Client(SenderClient):
    """One door to the provider. Safe calls retry; creating POSTs never retry blindly.

    ``api_key`` is sent as ``Authorization: Bearer``; without one no header is sent.
    ``api_key_env`` only names where the key came from, for error messages.
    ``provider_type`` "openai" asks OpenAI's Batch API only for calls it has (models
    from ``GET /models``; no ``/active-models`` or ``/model-config`` first). Pass
    ``sleep``/``clock`` (or a whole ``retry_policy``) to make waiting testable.
    Use as a context manager, or call ``close()``.
    """

    def __init__(
        self,
        base_url: str,
        api_key: str | None = None,
        *,
        transport: httpx.BaseTransport | None = None,
        timeout: float = 60.0,
        max_retries: int = 5,
        max_retry_seconds: float = 120.0,
        api_key_env: str = DEFAULT_API_KEY_ENV,
        sleep: Callable[[float], None] | None = None,
        clock: Callable[[], float] | None = None,
        retry_policy: RetryPolicy | None = None,
        provider_type: str = "openai-compatible",
    ) -> None:
        self.base_url = normalise_base_url(base_url)
        if retry_policy is None:
            retry_policy = RetryPolicy(max_retries=max_retries, max_retry_seconds=max_retry_seconds)
            if sleep is not None:
                retry_policy = dataclasses.replace(retry_policy, sleep=sleep)
            if clock is not None:
                retry_policy = dataclasses.replace(retry_policy, clock=clock)
        self._sender = Sender(self.base_url, api_key or None, transport=transport, timeout=timeout,
                              retry_policy=retry_policy, api_key_env=api_key_env)
        self._capabilities = Capabilities(self._sender, self, standard_models=provider_type == "openai")
        self.provider_type = provider_type
        self._filenames: dict[str, str] = {}   # file id -> name, of the files this client has listed

    def __repr__(self) -> str:
        key = "***" if self.has_api_key else None
        return f"Client(base_url={self.base_url!r}, api_key={key!r})"

    @property
    def supports_file_listing(self) -> bool | None:
        """False once ``GET /files`` answered 404/405; None until tried."""
        return self._capabilities.file_listing_supported

    # ------------------------------------------------------------------ models

    def active_models(self) -> list[str]:
        """Ids of the models the provider serves now (falls back to ``GET /models``)."""
        return self._capabilities.active_models()

    def model_config(self) -> list[ModelConfig]:
        """Models with details (context length, prices) from ``/model-config``.

        Falls back to bare ``ModelConfig(id=...)`` entries from ``active_models()`` when
        the provider has no ``/model-config``.
        """
        return self._capabilities.model_config()

    # ------------------------------------------------------------------- files

    def _search_files(self, match: Callable[[str], bool]) -> list[FileObject]:
        """Files by name (see ``_capabilities``); their names are kept for ``batches_by_input_file``."""
        files = self._capabilities.search_files(match)
        self._filenames.update((f.id, f.filename) for f in files if f.filename)
        return files

    def list_files(self, *, limit: int | None = None, after: str | None = None,
                   order: str | None = None) -> Page[FileObject]:
        """One page of ``GET /files`` (newest first unless ``order="asc"``)."""
        params: dict[str, Any] = {}
        if limit is not None:
            params["limit"] = max(1, min(int(limit), FILES_PAGE_LIMIT))
        if after:
            params["after"] = after
        if order:
            if order not in ("asc", "desc"):
                raise ValueError(f"order must be 'asc' or 'desc', not {order!r}")
            params["order"] = order
        response = self._sender.send("GET", "files", params=params)
        return read_page(response, FileObject.from_dict)

    def iter_files(self, *, limit: int | None = None, order: str | None = None) -> Iterator[FileObject]:
        """Every file, lazily, page by page. ``limit`` is the page size (default: API max)."""
        size = limit or FILES_PAGE_LIMIT
        return iterate(lambda after: self.list_files(limit=size, after=after, order=order), "files")

    def get_file(self, file_id: str) -> FileObject:
        """``GET /files/{id}``: a file's metadata."""
        response = self._sender.send("GET", f"files/{segment(file_id)}")
        return parse_object(response, FileObject.from_dict)

    def upload_file(self, path: Path, *, filename: str | None = None, purpose: str = "batch") -> FileObject:
        """``POST /files``: upload a JSONL file, streamed from disk (never read whole).

        Raises ``OutcomeUnknown`` when the answer was lost (see ``_sender``).
        """
        path = Path(path)
        try:
            size = path.stat().st_size
        except OSError as exc:
            raise SpecrunError(f"cannot upload {path}: {exc.strerror or exc}") from exc
        name = filename or path.name
        attempted = {"method": "POST", "path": self._sender.path("files"), "filename": name,
                     "bytes": size, "purpose": purpose}
        response = self._sender.upload("files", path, filename=name, purpose=purpose, creating=attempted)
        return parse_object(response, FileObject.from_dict, creating=attempted)

    def download_file(self, file_id: str, dest: Path) -> int:
        """Stream ``GET /files/{id}/content`` to ``dest``; returns the bytes written.

        Writes a temp file beside ``dest`` and renames it, so ``dest`` is either the old
        file or the complete new one. An interrupted transfer is retried from the start.
        """
        dest = Path(dest)
        dest.parent.mkdir(parents=True, exist_ok=True)
        return self._sender.download(f"files/{segment(file_id)}/content", dest, what=file_id)

    # ----------------------------------------------------------------- batches

    def list_batches(self, *, limit: int | None = None, after: str | None = None) -> Page[Batch]:
        """One page of ``GET /batches`` (newest first)."""
        params: dict[str, Any] = {}
        if limit is not None:
            params["limit"] = max(1, int(limit))
        if after:
            params["after"] = after
        response = self._sender.send("GET", "batches", params=params)
        return read_page(response, Batch.from_dict)

    def iter_batches(self, *, limit: int | None = None) -> Iterator[Batch]:
        """Every batch, lazily, newest first. ``limit`` is the page size."""
        size = limit or BATCHES_PAGE_LIMIT
        return iterate(lambda after: self.list_batches(limit=size, after=after), "batches")

    def get_batch(self, batch_id: str) -> Batch:
        """``GET /batches/{id}``."""
        response = self._sender.send("GET", f"batches/{segment(batch_id)}")
        return parse_object(response, Batch.from_dict)

    def create_batch(self, input_file_id: str, *, endpoint: str = "/v1/chat/completions",
                     completion_window: str = "24h", metadata: Mapping[str, str] | None = None) -> Batch:
        """``POST /batches``. Never retried blindly: may raise ``OutcomeUnknown``."""
        payload: dict[str, Any] = {
            "input_file_id": input_file_id,
            "endpoint": endpoint,
            "completion_window": completion_window,
        }
        if metadata:
            payload["metadata"] = dict(metadata)
        attempted = {"method": "POST", "path": self._sender.path("batches"), "input_file_id": input_file_id,
                     "endpoint": endpoint, "completion_window": completion_window}
        response = self._sender.send("POST", "batches", json=payload, creating=attempted)
        return parse_object(response, Batch.from_dict, creating=attempted)

    def cancel_batch(self, batch_id: str) -> Batch:
        """``POST /batches/{id}/cancel`` (safe to repeat, so retried)."""
        response = self._sender.send("POST", f"batches/{segment(batch_id)}/cancel")
        return parse_object(response, Batch.from_dict)

    def delete_batch(self, batch_id: str) -> Batch | None:
        """``DELETE /batches/{id}``: cancels an in-progress batch; the batch if returned."""
        response = self._sender.send("DELETE", f"batches/{segment(batch_id)}")
        body = parse_body(response)
        if isinstance(body, Mapping) and body.get("id") and body.get("status"):
            return build(response, Batch.from_dict, body)
        return None

    def find_batches(self, input_file_id: str, *, shard: str | None = None) -> list[Batch]:
        """Batches created from ``input_file_id``, newest first (``[]`` if unlistable).

        With ``shard`` (a shard's file name), a batch whose ``metadata.specrun_shard`` names
        it counts too: the batch specrun created for that shard, from whichever upload.
        """
        if shard is None:
            return self.batches_by_input_file([input_file_id])[input_file_id]
        return self._capabilities.search_batches(
            lambda b: b.input_file_id == input_file_id or _metadata_value(b, SHARD_METADATA_KEY) == shard)

    def batches_by_input_file(self, input_file_ids: Iterable[str]) -> dict[str, list[Batch]]:
        """``find_batches`` for many files in one listing pass (newest first per file).

        Type openai: a batch whose ``metadata.specrun_shard`` names a file this client has
        listed counts as that file's too (the shard's batch, created from another upload
        of it: shard names carry their content hash), so plan adopts what apply would.
        """
        wanted = set(input_file_ids)
        shards = {self._filenames[f]: f for f in wanted if f in self._filenames}
        if self.provider_type != "openai" or not shards:
            return self._capabilities.batches_by_input_file(wanted)
        found: dict[str, list[Batch]] = {file_id: [] for file_id in wanted}
        for b in self._capabilities.search_batches(
                lambda b: b.input_file_id in wanted or _metadata_value(b, SHARD_METADATA_KEY) in shards):
            on = b.input_file_id if b.input_file_id in wanted else shards[_metadata_value(b, SHARD_METADATA_KEY) or ""]
            found[on or ""].append(b)
        return found


def _metadata_value(batch: Batch, key: str) -> str | None:
    value = batch.metadata.get(key) if batch.metadata else None
    return value if isinstance(value, str) else None


def segment(value: str) -> str:
    """An id as one URL path segment (no ``/`` or ``..`` games)."""
    if not value or not str(value).strip():
        raise SpecrunError("an empty id was given")
    return quote(str(value), safe="")
