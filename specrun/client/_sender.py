"""The send loop: one logical call to the provider, tried until it is answered or given up.

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

Uploads are streamed from disk (the file is reopened on each attempt, never read
whole); downloads are streamed to a temp file beside the destination and renamed, and
an interrupted download is retried from the start within the same budget.

Logging: ``logging.getLogger("specrun.client")`` at DEBUG gets one line per request,
``METHOD path -> status (ms)``. Headers, and so the API key, are never logged; the
key is also scrubbed from every error message and hidden from ``repr``.
"""

from __future__ import annotations

import contextlib
import logging
import os
import tempfile
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import httpx

from specrun import __version__
from specrun._text import safe
from specrun.client._errors import Redactor, connection_failed, error_from_response, outcome_unknown
from specrun.client._retry import RetryBudget, RetryPolicy, retry_after_seconds
from specrun.errors import ConnectionFailed

__all__ = ["Sender"]

logger = logging.getLogger("specrun.client")

# Raised before a single byte of the request left this machine.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
# Configuration problems: retrying cannot help.
_NOT_RETRYABLE = (httpx.UnsupportedProtocol, httpx.LocalProtocolError)


def _is_retryable_status(status: int) -> bool:
    return status in (408, 429) or (500 <= status < 600 and status not in (501, 505))


class Sender:
    """Sends calls to one provider over one connection pool, by the rules above.

    ``base_url`` is already normalised. ``api_key`` is sent as ``Authorization:
    Bearer`` (or in the headers ``auth(api_key)`` gives); without one no header is
    sent. ``headers`` go with every call (``anthropic-version``). ``api_key_env`` only
    names where the key came from, for error messages.
    """

    def __init__(self, base_url: str, api_key: str | None, *, transport: httpx.BaseTransport | None,
                 timeout: float, retry_policy: RetryPolicy, api_key_env: str,
                 auth: Callable[[str], Mapping[str, str]] | None = None,
                 headers: Mapping[str, str] | None = None) -> None:
        api_key = api_key or None
        self.base_url = base_url
        self.timeout = timeout
        self.retry_policy = retry_policy
        self.api_key_env = api_key_env
        self.has_api_key = api_key is not None
        self.redact = Redactor(api_key)
        headers = {"User-Agent": f"specrun/{__version__}", "Accept": "application/json", **(headers or {})}
        if api_key:
            headers.update(auth(api_key) if auth is not None else {"Authorization": f"Bearer {api_key}"})
        self._http = httpx.Client(
            base_url=base_url + "/",
            headers=headers,
            transport=transport,
            timeout=httpx.Timeout(timeout, connect=min(timeout, 15.0)),
            follow_redirects=False,
        )

    def __repr__(self) -> str:
        return f"Sender(base_url={self.base_url!r})"

    def close(self) -> None:
        """Close the connection pool (and the transport)."""
        self._http.close()

    def path(self, relative: str) -> str:
        """The URL path of a call, as shown in messages (``/v1/files``)."""
        return httpx.URL(self.base_url + "/" + relative).path

    def send(
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

        ``body(stack)`` builds the request's ``files``/``data`` afresh for each attempt.
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
                        raise outcome_unknown(request, creating, _describe_transport(exc),
                                              redact=self.redact) from exc
                    delay = None if isinstance(exc, _NOT_RETRYABLE) else budget.next_delay(None)
                    if delay is None:
                        raise self._connection_failed(request, exc, budget) from exc
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
                    raise outcome_unknown(request, creating, f"answer {status}", status_code=status,
                                          response=response, redact=self.redact)
                delay = budget.next_delay(retry_after_seconds(response))
                if delay is not None:
                    response.close()
                    logger.debug("retrying in %.1fs (attempt %d of %d)", delay, attempt + 1,
                                 self.retry_policy.max_retries + 1)
                    budget.wait(delay)
                    continue
            _finish(response)
            raise error_from_response(response, api_key_env=self.api_key_env, key_sent=self.has_api_key,
                                      redact=self.redact, attempts=budget.attempts)

    def upload(self, relative: str, path: Path, *, filename: str, purpose: str,
               creating: dict[str, Any]) -> httpx.Response:
        """A creating multipart POST of ``path`` as ``filename``, streamed from disk."""

        def body(stack: contextlib.ExitStack) -> dict[str, Any]:
            # Reopened on each attempt so a retry after a connect error starts at byte 0.
            handle = stack.enter_context(path.open("rb"))
            return {"files": {"file": (filename, handle, "application/jsonl")}, "data": {"purpose": purpose}}

        return self.send("POST", relative, body=body, creating=creating)

    def download(self, relative: str, dest: Path, *, what: str) -> int:
        """Stream a GET's body to ``dest`` (whose folder exists); returns the bytes written.

        Writes a temp file beside ``dest`` and renames it, so ``dest`` is either the old
        file or the complete new one. An interrupted transfer is retried from the start;
        ``what`` names the download in the log.
        """
        budget = self.retry_policy.budget()
        while True:
            response = self.send("GET", relative, stream=True, budget=budget)
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
                    raise self._connection_failed(response.request, exc, budget) from exc
                logger.debug("download of %s interrupted (%s); retrying in %.1fs",
                             safe(what, 300), type(exc).__name__, delay)
                budget.wait(delay)
            except BaseException:
                _unlink(temp_name)
                raise
            finally:
                response.close()

    def _connection_failed(self, request: httpx.Request, exc: httpx.TransportError,
                           budget: RetryBudget) -> ConnectionFailed:
        return connection_failed(request, exc, base_url=self.base_url, timeout=self.timeout,
                                 attempts=budget.attempts, redact=self.redact)


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
