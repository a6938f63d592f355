"""The Batch API over httpx: typed results, retries, pagination, streaming.

Retry rules, and why
--------------------
Calls that are safe to repeat (every GET, ``POST /batches/{id}/cancel``,
``DELETE /batches/{id}``) are retried on 408, 429, 5xx (except 501/505), connection
errors and timeouts, with exponential backoff and full jitter, honouring
``retry-after-ms`` and ``Retry-After``, within ``max_retries`` extra attempts and
``max_retry_seconds`` in total (see ``RetryPolicy``).

The two calls that *create* something, ``POST /files`` and ``POST /batches``, have no
idempotency key on this API: repeating one whose answer was lost can upload a second
copy or, worse, start and bill a second batch. So they are retried only when the
request provably never reached the server, or the server provably did not process it:

- ``httpx.ConnectError`` / ``ConnectTimeout`` / ``PoolTimeout``: no connection was
  made, nothing was sent → retried like a GET;
- ``429``: the server refused the request before doing anything → retried, honouring
  ``Retry-After``; when the budget runs out, ``RateLimited``;
- any other 4xx: the server rejected it → the matching typed error, no retry;
- 5xx or 408, a read/write timeout, a dropped connection, or a 2xx whose body cannot
  be read: the server may have created the object → ``OutcomeUnknown`` carrying
  ``attempted`` (method, path, filename/bytes or input_file_id). The caller reconciles
  by listing (``find_files`` / ``find_batches``) instead of retrying.

Servers without some calls
--------------------------
Not every OpenAI-compatible server has ``/active-models``, ``/model-config`` or file
listing. A 404/405/501 there is not an error: ``active_models`` falls back to
``GET /models``; ``model_config`` falls back to the bare model ids.

Without ``GET /files`` (listing), ``find_files``/``files_by_name`` find files through
batches instead: every distinct ``input_file_id`` in ``GET /batches`` is looked up once
per client with ``GET /files/{id}`` (a 404 there is skipped) and matched by filename,
with one warning per client. This keeps adoption, and so "never a second batch",
working after a lost state; only a file uploaded but never used in a batch is not
found (uploading it again is free). Without batch listing either, ``find_files`` and
``find_batches`` return ``[]`` and log one warning per client, so adoption of earlier
uploads is skipped rather than crashing (``supports_file_listing`` tells which).

Logging: ``logging.getLogger("specrun.client")`` at DEBUG gets one line per request,
``METHOD path -> status (ms)``. Headers, and so the API key, are never logged; the
key is also scrubbed from every error message and hidden from ``repr``.

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

import contextlib
import dataclasses
import json
import logging
import math
import os
import tempfile
import time
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Mapping, TypeVar
from urllib.parse import quote

import httpx

from specrun import __version__
from specrun._text import quoted, safe
from specrun.client._config import DEFAULT_API_KEY_ENV, normalise_base_url
from specrun.client._errors import Redactor, call_name, error_from_response, parse_body, server_detail
from specrun.client._models import Batch, FileObject, ModelConfig, Page, _kind, check_model_id
from specrun.client._retry import RetryBudget, RetryPolicy, retry_after_seconds
from specrun.errors import APIError, ConnectionFailed, OutcomeUnknown, ProviderError, SpecrunError

__all__ = ["Client", "WaitTimeout", "FILES_PAGE_LIMIT", "BATCHES_PAGE_LIMIT"]

logger = logging.getLogger("specrun.client")

T = TypeVar("T")

#: The API's maximum page size for ``GET /files``.
FILES_PAGE_LIMIT = 10_000
#: Page size for ``GET /batches`` (OpenAI's maximum; servers without paging ignore it).
BATCHES_PAGE_LIMIT = 100

# Raised before a single byte of the request left this machine.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
# Configuration problems: retrying cannot help.
_NOT_RETRYABLE = (httpx.UnsupportedProtocol, httpx.LocalProtocolError)
_UNSUPPORTED = (404, 405, 501)


class WaitTimeout(SpecrunError):
    """A batch did not reach a terminal status within the allowed time."""


class _NoFileLookup(Exception):
    """``GET /files/{id}`` is not supported (405/501): files cannot be found through batches."""

    def __init__(self, status_code: int | None) -> None:
        super().__init__(status_code)
        self.status_code = status_code


def _is_retryable_status(status: int) -> bool:
    return status in (408, 429) or (500 <= status < 600 and status not in (501, 505))


def _is_unsupported(exc: APIError) -> bool:
    return exc.status_code in _UNSUPPORTED


class Client:
    """One door to the provider. Safe calls retry; creating POSTs never retry blindly.

    ``api_key`` is sent as ``Authorization: Bearer``; without one no header is sent.
    ``api_key_env`` only names where the key came from, for error messages. Pass
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
    ) -> None:
        self.base_url = normalise_base_url(base_url)
        self.api_key_env = api_key_env
        self._api_key = api_key or None
        self._redact = Redactor(self._api_key)
        if retry_policy is None:
            retry_policy = RetryPolicy(max_retries=max_retries, max_retry_seconds=max_retry_seconds)
            if sleep is not None:
                retry_policy = _replace(retry_policy, sleep=sleep)
            if clock is not None:
                retry_policy = _replace(retry_policy, clock=clock)
        self.retry_policy = retry_policy
        self.timeout = timeout
        headers = {"User-Agent": f"specrun/{__version__}", "Accept": "application/json"}
        if self._api_key:
            headers["Authorization"] = f"Bearer {self._api_key}"
        self._http = httpx.Client(
            base_url=self.base_url + "/",
            headers=headers,
            transport=transport,
            timeout=httpx.Timeout(timeout, connect=min(timeout, 15.0)),
            follow_redirects=False,
        )
        self._file_listing_supported: bool | None = None
        self._batch_listing_supported: bool | None = None
        # Finding files through batches (no file listing): GET /files/{id} answers,
        # None for a file that is gone; whether that lookup exists; warnings given.
        self._files_by_id: dict[str, FileObject | None] = {}
        self._file_lookup_supported: bool | None = None
        self._files_unlisted_why = ""
        self._warned_files_via_batches = False
        self._warned_no_file_search = False

    def __repr__(self) -> str:
        key = "***" if self._api_key else None
        return f"Client(base_url={self.base_url!r}, api_key={key!r})"

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection pool (and the transport)."""
        self._http.close()

    @property
    def has_api_key(self) -> bool:
        return self._api_key is not None

    @property
    def supports_file_listing(self) -> bool | None:
        """False once ``GET /files`` answered 404/405; None until tried."""
        return self._file_listing_supported

    # ------------------------------------------------------------------ models

    def active_models(self) -> list[str]:
        """Ids of the models the provider serves now (falls back to ``GET /models``)."""
        try:
            response = self._send("GET", "active-models")
        except APIError as exc:
            if not _is_unsupported(exc):
                raise
            logger.debug("no /active-models on this provider; using /models")
            response = self._send("GET", "models")
        ids = []
        for item in self._list(response, "active_models", "data", "models"):
            if isinstance(item, Mapping):
                item = item.get("id") or item.get("model_code")
            ids.append(self._build(response, check_model_id, item))
        return ids

    def model_config(self) -> list[ModelConfig]:
        """Models with details (context length, prices) from ``/model-config``.

        Falls back to bare ``ModelConfig(id=...)`` entries from ``active_models()`` when
        the provider has no ``/model-config``.
        """
        try:
            response = self._send("GET", "model-config")
        except APIError as exc:
            if not _is_unsupported(exc):
                raise
            logger.debug("no /model-config on this provider; using the model list")
            return [ModelConfig(id=model_id, raw={"id": model_id}) for model_id in self.active_models()]
        items = self._list(response, "active_models", "data", "models")
        return [self._build(response, ModelConfig.from_dict, item) for item in items]

    # ------------------------------------------------------------------- files

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
        response = self._send("GET", "files", params=params)
        return self._page(response, FileObject.from_dict)

    def iter_files(self, *, limit: int | None = None, order: str | None = None) -> Iterator[FileObject]:
        """Every file, lazily, page by page. ``limit`` is the page size (default: API max)."""
        size = limit or FILES_PAGE_LIMIT
        return self._iterate(lambda after: self.list_files(limit=size, after=after, order=order), "files")

    def get_file(self, file_id: str) -> FileObject:
        """``GET /files/{id}``: a file's metadata."""
        response = self._send("GET", f"files/{_segment(file_id)}")
        return self._parse(response, FileObject.from_dict)

    def upload_file(self, path: Path, *, filename: str | None = None, purpose: str = "batch") -> FileObject:
        """``POST /files``: upload a JSONL file, streamed from disk (never read whole).

        Raises ``OutcomeUnknown`` when the answer was lost; see the module docstring.
        """
        path = Path(path)
        try:
            size = path.stat().st_size
        except OSError as exc:
            raise SpecrunError(f"cannot upload {path}: {exc.strerror or exc}") from exc
        name = filename or path.name

        def body(stack: contextlib.ExitStack) -> dict[str, Any]:
            # Reopened on each attempt so a retry after a connect error starts at byte 0.
            handle = stack.enter_context(path.open("rb"))
            return {"files": {"file": (name, handle, "application/jsonl")}, "data": {"purpose": purpose}}

        attempted = {"method": "POST", "path": self._path("files"), "filename": name,
                     "bytes": size, "purpose": purpose}
        response = self._send("POST", "files", body=body, creating=attempted)
        return self._parse(response, FileObject.from_dict, creating=attempted)

    def download_file(self, file_id: str, dest: Path) -> int:
        """Stream ``GET /files/{id}/content`` to ``dest``; returns the bytes written.

        Writes a temp file beside ``dest`` and renames it, so ``dest`` is either the old
        file or the complete new one. An interrupted transfer is retried from the start.
        """
        dest = Path(dest)
        dest.parent.mkdir(parents=True, exist_ok=True)
        budget = self.retry_policy.budget()
        while True:
            response = self._send("GET", f"files/{_segment(file_id)}/content", stream=True, budget=budget)
            fd, temp_name = tempfile.mkstemp(dir=dest.parent, prefix=f".{dest.name}.", suffix=".part")
            try:
                written = 0
                with os.fdopen(fd, "wb") as out:
                    for chunk in response.iter_bytes():
                        out.write(chunk)
                        written += len(chunk)
                os.replace(temp_name, dest)
                return written
            except httpx.TransportError as exc:
                _unlink(temp_name)
                delay = budget.next_delay(None)
                if delay is None:
                    raise self._transport_failure(response.request, exc, budget) from exc
                logger.debug("download of %s interrupted (%s); retrying in %.1fs",
                             safe(file_id, 300), type(exc).__name__, delay)
                budget.wait(delay)
            except BaseException:
                _unlink(temp_name)
                raise
            finally:
                response.close()

    def find_files(self, filename: str, *, size: int | None = None) -> list[FileObject]:
        """Files named ``filename`` (and of ``size`` bytes, if given), newest first.

        A file whose size the provider does not report matches on its name alone. When
        the provider cannot list files, files are found through its batches (see the
        module docstring); ``[]`` (with one warning per client) if it lists neither.
        """
        return [f for f in self.files_by_name([filename])[filename]
                if size is None or f.bytes is None or f.bytes == size]

    def files_by_name(self, filenames: Iterable[str]) -> dict[str, list[FileObject]]:
        """``find_files`` for many names in one listing pass (newest first per name)."""
        wanted = set(filenames)
        found: dict[str, list[FileObject]] = {name: [] for name in wanted}
        if wanted:
            for f in self._find_files(lambda name: name in wanted):
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
        return self._find_files(lambda name: name in exact or name.startswith(starts))

    def _find_files(self, match: Callable[[str], bool]) -> list[FileObject]:
        if self._file_listing_supported is False:
            return self._files_through_batches(match)
        found: list[FileObject] = []
        try:
            for f in self.iter_files():
                if f.filename is not None and match(f.filename):
                    found.append(f)
        except APIError as exc:
            if not _is_unsupported(exc):
                raise
            self._file_listing_supported = False
            self._files_unlisted_why = f"{exc.status_code} {self._path('files')}"
            return self._files_through_batches(match)
        self._file_listing_supported = True
        return found

    def _files_through_batches(self, match: Callable[[str], bool]) -> list[FileObject]:
        """File search for a provider without file listing: the input files of its
        batches, each looked up once per client, matched by filename."""
        found: list[FileObject] = []
        if self._batch_listing_supported is False:
            self._warn_no_file_search("nor batches")
            return found
        if self._file_lookup_supported is False:
            self._warn_no_file_search(f"nor answers {self._path('files')}/{{id}}")
            return found
        seen: set[str] = set()
        try:
            for batch in self.iter_batches():
                file_id = batch.input_file_id
                if not file_id or file_id in seen:
                    continue
                seen.add(file_id)
                f = self._cached_file(file_id)
                if f is not None and f.filename is not None and match(f.filename):
                    found.append(f)
        except _NoFileLookup as exc:
            self._file_lookup_supported = False
            self._warn_no_file_search(f"nor answers {self._path('files')}/{{id}} ({exc.status_code})")
            return []
        except APIError as exc:
            if not _is_unsupported(exc):
                raise
            self._batch_listing_supported = False
            self._warn_no_file_search(f"nor batches ({exc.status_code} {self._path('batches')})")
            return []
        self._batch_listing_supported = True
        if not self._warned_files_via_batches:
            self._warned_files_via_batches = True
            logger.warning(
                "the provider does not list files (%s): looking for files uploaded earlier through "
                "its batches instead (one %s/{id} per batch input file); a file uploaded but never "
                "used in a batch is not found", self._files_unlisted_why, self._path("files"))
        found.sort(key=lambda f: f.created_at or 0, reverse=True)  # newest first, stable
        return found

    def _cached_file(self, file_id: str) -> FileObject | None:
        """``get_file``, once per client; None for a file that is gone (404/410)."""
        if file_id in self._files_by_id:
            return self._files_by_id[file_id]
        try:
            f: FileObject | None = self.get_file(file_id)
        except APIError as exc:
            if exc.status_code in (405, 501):
                raise _NoFileLookup(exc.status_code) from exc
            if exc.status_code not in (404, 410):
                raise
            f = None
        self._file_lookup_supported = True
        self._files_by_id[file_id] = f
        return f

    def _warn_no_file_search(self, also: str) -> None:
        if self._warned_no_file_search:
            return
        self._warned_no_file_search = True
        logger.warning(
            "the provider does not list files (%s) %s: cannot look for files uploaded "
            "earlier, so they are not reused", self._files_unlisted_why, also)

    # ----------------------------------------------------------------- batches

    def list_batches(self, *, limit: int | None = None, after: str | None = None) -> Page[Batch]:
        """One page of ``GET /batches`` (newest first)."""
        params: dict[str, Any] = {}
        if limit is not None:
            params["limit"] = max(1, int(limit))
        if after:
            params["after"] = after
        response = self._send("GET", "batches", params=params)
        return self._page(response, Batch.from_dict)

    def iter_batches(self, *, limit: int | None = None) -> Iterator[Batch]:
        """Every batch, lazily, newest first. ``limit`` is the page size."""
        size = limit or BATCHES_PAGE_LIMIT
        return self._iterate(lambda after: self.list_batches(limit=size, after=after), "batches")

    def get_batch(self, batch_id: str) -> Batch:
        """``GET /batches/{id}``."""
        response = self._send("GET", f"batches/{_segment(batch_id)}")
        return self._parse(response, Batch.from_dict)

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
        attempted = {"method": "POST", "path": self._path("batches"), "input_file_id": input_file_id,
                     "endpoint": endpoint, "completion_window": completion_window}
        response = self._send("POST", "batches", json=payload, creating=attempted)
        return self._parse(response, Batch.from_dict, creating=attempted)

    def cancel_batch(self, batch_id: str) -> Batch:
        """``POST /batches/{id}/cancel`` (safe to repeat, so retried)."""
        response = self._send("POST", f"batches/{_segment(batch_id)}/cancel")
        return self._parse(response, Batch.from_dict)

    def delete_batch(self, batch_id: str) -> Batch | None:
        """``DELETE /batches/{id}``: cancels an in-progress batch; the batch if returned."""
        response = self._send("DELETE", f"batches/{_segment(batch_id)}")
        body = parse_body(response)
        if isinstance(body, Mapping) and body.get("id") and body.get("status"):
            return self._build(response, Batch.from_dict, body)
        return None

    def find_batches(self, input_file_id: str) -> list[Batch]:
        """Batches created from ``input_file_id``, newest first (``[]`` if unlistable)."""
        return self.batches_by_input_file([input_file_id])[input_file_id]

    def batches_by_input_file(self, input_file_ids: Iterable[str]) -> dict[str, list[Batch]]:
        """``find_batches`` for many files in one listing pass (newest first per file)."""
        wanted = set(input_file_ids)
        found: dict[str, list[Batch]] = {file_id: [] for file_id in wanted}
        if not wanted or self._batch_listing_supported is False:
            return found
        try:
            for b in self.iter_batches():
                if b.input_file_id in wanted:
                    found[b.input_file_id].append(b)
        except APIError as exc:
            if not _is_unsupported(exc):
                raise
            self._batch_listing_supported = False
            logger.warning("the provider does not list batches (%s %s): cannot look for batches "
                           "created earlier", exc.status_code, self._path("batches"))
            return {file_id: [] for file_id in wanted}
        self._batch_listing_supported = True
        return found

    def wait_batch(self, batch_id: str, *, poll_interval: float = 5.0, timeout: float | None = None,
                   on_update: Callable[[Batch], None] | None = None) -> Batch:
        """Poll ``get_batch`` until the batch is terminal; ``on_update`` sees every poll."""
        clock, sleep = self.retry_policy.clock, self.retry_policy.sleep
        started = clock()
        while True:
            batch = self.get_batch(batch_id)
            if on_update is not None:
                on_update(batch)
            if batch.status.is_terminal:
                return batch
            if timeout is not None and clock() - started + poll_interval > timeout:
                raise WaitTimeout(
                    f"batch {batch_id} is still {batch.status.value} after {timeout:g}s; "
                    "it keeps running on the provider, wait again later")
            sleep(poll_interval)

    # --------------------------------------------------------------- internals

    def _path(self, relative: str) -> str:
        return httpx.URL(self.base_url + "/" + relative).path

    def _unreadable(self, response: httpx.Response, problem: str) -> ProviderError:
        return ProviderError(f"unreadable answer ({response.status_code} on {call_name(response.request)}): "
                             f"{problem}", status_code=response.status_code, method=response.request.method,
                             url=str(response.request.url))

    def _json(self, response: httpx.Response) -> Any:
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
            raise self._unreadable(response, problem) from None

    def _build(self, response: httpx.Response, build: Callable[[Any], T], item: Any) -> T:
        """``build(item)``, a refused value named together with the call that returned it."""
        try:
            return build(item)
        except ProviderError as exc:
            raise ProviderError(f"{exc.message} (answer to {call_name(response.request)})",
                                status_code=response.status_code, method=response.request.method,
                                url=str(response.request.url)) from None

    def _parse(self, response: httpx.Response, build: Callable[[Mapping[str, Any]], T], *,
               creating: dict[str, Any] | None = None) -> T:
        """Build a typed object from a JSON object answer; a creating POST whose
        answer cannot be read is an unknown outcome (it did return 2xx)."""
        try:
            body = self._json(response)
            if not isinstance(body, Mapping):
                raise self._unreadable(response, f"expected a JSON object, got {_kind(body)}")
            return self._build(response, build, body)
        except ProviderError as exc:
            if creating is None:
                raise
            raise self._outcome_unknown(response.request, creating,
                                        f"unreadable {response.status_code} answer: {exc.message}",
                                        status_code=response.status_code) from exc

    def _list(self, response: httpx.Response, *names: str, body: Any = None) -> list[Any]:
        """The entries of a list answer: a bare array, or the first of ``names`` present.

        ``null`` is an empty list (Go servers send that); anything else that is not an
        array is a ``ProviderError``.
        """
        if body is None:
            body = self._json(response)
        if isinstance(body, list):  # a server that returns a bare array: one page, no cursor
            return body
        if not isinstance(body, Mapping):
            raise self._unreadable(response, f"expected a list object, got {_kind(body)}")
        for name in names:
            if name in body:
                value = body[name]
                if value is None:
                    return []
                if not isinstance(value, list):
                    raise self._unreadable(response, f"'{name}' is {_kind(value)}, expected an array")
                return value
        raise self._unreadable(response, f"no {' or '.join(repr(n) for n in names)} array in the answer")

    def _page(self, response: httpx.Response, build: Callable[[Mapping[str, Any]], T]) -> Page[T]:
        body = self._json(response)
        items = [self._build(response, build, item) for item in self._list(response, "data", body=body)]
        cursors = body if isinstance(body, Mapping) else {}
        first_id = self._build(response, _cursor, cursors.get("first_id")) or (items[0].id if items else None)  # type: ignore[attr-defined]
        last_id = self._build(response, _cursor, cursors.get("last_id")) or (items[-1].id if items else None)  # type: ignore[attr-defined]
        return Page(data=items, has_more=bool(cursors.get("has_more")), first_id=first_id, last_id=last_id)

    def _iterate(self, fetch: Callable[[str | None], Page[T]], what: str) -> Iterator[T]:
        after: str | None = None
        while True:
            page = fetch(after)
            if after is not None and page.last_id == after:
                logger.warning("the provider ignored the `after` cursor on %s; stopping the listing", what)
                return
            yield from page.data
            if not page.has_more or not page.data or not page.last_id:
                return
            after = page.last_id

    def _send(
        self,
        method: str,
        relative: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        body: Callable[[contextlib.ExitStack], dict[str, Any]] | None = None,
        creating: dict[str, Any] | None = None,
        stream: bool = False,
        budget: RetryBudget | None = None,
    ) -> httpx.Response:
        """Send one logical call, retrying as the module docstring says.

        ``creating`` marks a POST that creates something (its value describes it for
        ``OutcomeUnknown``). Returns a successful response (open, when ``stream``).
        """
        budget = budget or self.retry_policy.budget()
        while True:
            attempt = budget.start_attempt()
            with contextlib.ExitStack() as stack:
                extra = body(stack) if body is not None else {}
                request = self._http.build_request(method, relative, params=params or None, json=json, **extra)
                shown = request.url.raw_path.decode("ascii", "replace")
                started = time.perf_counter()
                try:
                    response = self._http.send(request, stream=stream)
                except httpx.TransportError as exc:
                    logger.debug("%s %s -> %s (%d ms)", method, shown, type(exc).__name__, _ms(started))
                    if creating is not None and not isinstance(exc, _NOT_SENT):
                        raise self._outcome_unknown(request, creating, _describe_transport(exc)) from exc
                    delay = None if isinstance(exc, _NOT_RETRYABLE) else budget.next_delay(None)
                    if delay is None:
                        raise self._transport_failure(request, exc, budget) from exc
                    logger.debug("retrying in %.1fs (attempt %d of %d)", delay, attempt + 1,
                                 self.retry_policy.max_retries + 1)
                    budget.wait(delay)
                    continue
            logger.debug("%s %s -> %s (%d ms)", method, shown, response.status_code, _ms(started))
            if response.is_success:
                return response
            status = response.status_code
            if _is_retryable_status(status):
                if creating is not None and status != 429:
                    _finish(response)
                    raise self._outcome_unknown(request, creating, f"answer {status}", status_code=status,
                                                response=response)
                delay = budget.next_delay(retry_after_seconds(response))
                if delay is not None:
                    response.close()
                    logger.debug("retrying in %.1fs (attempt %d of %d)", delay, attempt + 1,
                                 self.retry_policy.max_retries + 1)
                    budget.wait(delay)
                    continue
            _finish(response)
            raise error_from_response(response, api_key_env=self.api_key_env, key_sent=self.has_api_key,
                                      redact=self._redact, attempts=budget.attempts)

    def _transport_failure(self, request: httpx.Request, exc: httpx.TransportError,
                           budget: RetryBudget) -> ConnectionFailed:
        tries = f" after {budget.attempts} attempts" if budget.attempts > 1 else ""
        reason = safe(self._redact(str(exc) or type(exc).__name__), 300)
        if isinstance(exc, (httpx.ConnectError, httpx.ConnectTimeout)):
            message = (f"could not connect to {self.base_url} ({call_name(request)}){tries}: {reason}; "
                       "is the server running? Check --base-url / SPECRUN_BASE_URL / provider.base_url")
        elif isinstance(exc, httpx.TimeoutException):
            message = (f"no answer from {self.base_url} ({call_name(request)}) within {self.timeout:g}s"
                       f"{tries}")
        elif isinstance(exc, httpx.UnsupportedProtocol):
            message = f"cannot reach {self.base_url}: {reason}"
        else:
            message = f"connection to {self.base_url} failed ({call_name(request)}){tries}: {reason}"
        return ConnectionFailed(message, method=request.method, url=str(request.url))

    def _outcome_unknown(self, request: httpx.Request, attempted: dict[str, Any], reason: str, *,
                         status_code: int | None = None,
                         response: httpx.Response | None = None) -> OutcomeUnknown:
        what = "batch" if "input_file_id" in attempted else "file"
        subject = (f"for input file {attempted['input_file_id']}" if what == "batch"
                   else f"{attempted.get('filename')!r} ({attempted.get('bytes')} bytes)")
        detail = ""
        if response is not None:
            said = server_detail(response, self._redact)
            detail = f" ({said})" if said else ""
        message = (f"{call_name(request)}: the answer was lost ({reason}){detail}; the provider may or "
                   f"may not have created the {what} {subject}. Not retried, because a blind retry could "
                   f"create a duplicate: list the provider's {'batches' if what == 'batch' else 'files'} to find it (specrun plan adopts it)")
        return OutcomeUnknown(message, attempted=attempted, status_code=status_code,
                              method=request.method, url=str(request.url))


def _replace(policy: RetryPolicy, **changes: Any) -> RetryPolicy:
    return dataclasses.replace(policy, **changes)


def _segment(value: str) -> str:
    """An id as one URL path segment (no ``/`` or ``..`` games)."""
    if not value or not str(value).strip():
        raise SpecrunError("an empty id was given")
    return quote(str(value), safe="")


def _cursor(value: Any) -> str | None:
    """A page cursor (``first_id``/``last_id``), or None when absent.

    Only ever sent back as the ``after`` query parameter, so any printable text up to
    1,024 characters will do (some servers use opaque base64 cursors, not ids).
    """
    if value is None or value == "":
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if not isinstance(value, str) or len(value) > 1024 or safe(value, None) != value:
        raise ProviderError(f"provider returned an invalid list cursor {quoted(value)}: expected an id")
    return value


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


def _describe_transport(exc: httpx.TransportError) -> str:
    if isinstance(exc, httpx.TimeoutException):
        return f"timed out: {type(exc).__name__}"
    return type(exc).__name__


def _finish(response: httpx.Response) -> None:
    """Read (for streamed responses) and close, so error bodies can be shown."""
    try:
        response.read()
    except httpx.HTTPError:
        pass
    finally:
        response.close()


def _ms(started: float) -> int:
    return int((time.perf_counter() - started) * 1000)


def _unlink(name: str) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.unlink(name)
