"""Turn what went wrong on a call into a typed error a user can act on.

- an error answer -> ``AuthError`` / ``NotFound`` / ``RateLimited`` / ``ProviderError``
  (``error_from_response``);
- no answer at all -> ``ConnectionFailed`` (``connection_failed``);
- a lost answer to a call that creates something -> ``OutcomeUnknown``
  (``outcome_unknown``).

The server's own words go into the message, but only after the API key is scrubbed
from them and they are made safe for a terminal (``specrun._text.safe``): an error
body is text the provider chose.
"""

from __future__ import annotations

import json
from typing import Any

import httpx

from specrun._text import safe
from specrun.client._config import DEFAULT_API_KEY_ENV
from specrun.errors import APIError, AuthError, ConnectionFailed, NotFound, OutcomeUnknown, ProviderError, RateLimited

__all__ = ["error_from_response", "connection_failed", "outcome_unknown", "server_detail", "call_name",
           "Redactor"]

#: Longest server explanation quoted in an error message.
_SNIPPET = 300


class Redactor:
    """Removes the API key from any text that might be shown (servers sometimes echo it)."""

    def __init__(self, secret: str | None) -> None:
        self._secret = secret or None

    def __call__(self, text: str) -> str:
        if self._secret and self._secret in text:
            return text.replace(self._secret, "***")
        return text

    def __repr__(self) -> str:
        return "Redactor(***)"


def call_name(request: httpx.Request) -> str:
    """``GET /v1/files``: method and path, no query, host or headers (shown safely: an id in
    the path may come from anywhere)."""
    return f"{request.method} {safe(request.url.path, 300)}"


def parse_body(response: httpx.Response) -> Any:
    """The JSON body, or None when the answer is empty or not JSON."""
    if not response.content:
        return None
    try:
        return response.json()
    except (ValueError, UnicodeDecodeError, RecursionError):
        return None


def server_detail(response: httpx.Response, redact: Redactor | None = None) -> str | None:
    """The server's own explanation, fit to show: ``detail`` (FastAPI), ``error.message``
    (OpenAI), ``message``, or a snippet of a non-JSON body; the API key scrubbed
    (``redact``), control characters escaped, cut at a few hundred characters."""
    try:
        detail = _raw_detail(response)
    except (ValueError, TypeError, RecursionError):  # a body too odd to describe
        detail = "unreadable error body"
    if detail is None:
        return None
    # Scrub the key before cutting, so a cut never leaves part of it behind.
    return safe((redact or Redactor(None))(" ".join(detail.split())), _SNIPPET)


def _raw_detail(response: httpx.Response) -> str | None:
    body = parse_body(response)
    if isinstance(body, dict):
        detail = body.get("detail")
        if isinstance(detail, str) and detail.strip():
            return detail.strip()
        if isinstance(detail, list) and detail:
            return "; ".join(_validation_item(item) for item in detail)
        if isinstance(detail, dict):
            message = detail.get("message") or detail.get("msg")
            if message:
                return str(message)
        error = body.get("error")
        if isinstance(error, dict) and error.get("message"):
            return str(error["message"])
        if isinstance(error, str) and error.strip():
            return error.strip()
        if isinstance(body.get("message"), str) and body["message"].strip():
            return body["message"].strip()
        return json.dumps(body, separators=(",", ":"))
    if body is not None:
        return json.dumps(body)
    try:
        text = response.text
    except (UnicodeDecodeError, LookupError):
        text = ""
    if not text.strip():
        return None
    content_type = response.headers.get("content-type", "unknown type").split(";")[0]
    return f"non-JSON answer ({content_type}): {text}"


def _validation_item(item: Any) -> str:
    # FastAPI/pydantic: {"loc": ["body", "input_file_id"], "msg": "field required", ...}
    if isinstance(item, dict):
        loc = item.get("loc")
        message = item.get("msg") or item.get("message") or json.dumps(item)
        if isinstance(loc, (list, tuple)) and loc:
            where = ".".join(str(part) for part in loc if part != "body") or str(loc[0])
            return f"{where}: {message}"
        return str(message)
    return str(item)


def error_from_response(
    response: httpx.Response,
    *,
    api_key_env: str = DEFAULT_API_KEY_ENV,
    key_sent: bool = False,
    redact: Redactor | None = None,
    attempts: int = 1,
) -> APIError:
    """Map an error status to the matching ``APIError`` subclass with a clear message."""
    redact = redact or Redactor(None)
    request = response.request
    status = response.status_code
    where = f"{status} on {call_name(request)}"
    detail = server_detail(response, redact)
    said = f": {detail}" if detail else ""
    kwargs = dict(status_code=status, method=request.method, url=str(request.url), body=parse_body(response))

    if status in (401, 403):
        env_hint = ("(or provider.api_key_env)" if api_key_env == DEFAULT_API_KEY_ENV
                    else "(named by provider.api_key_env)")
        if key_sent:
            action = f"set {api_key_env} {env_hint} to a valid key; the provider rejected the one sent"
        else:
            action = f"set {api_key_env} {env_hint}; no API key was sent"
        return AuthError(f"authentication failed ({where}): {action}{said}", **kwargs)
    if status == 404:
        return NotFound(f"not found ({where}){said}", **kwargs)
    if status == 429:
        tries = f" after {attempts} attempts" if attempts > 1 else ""
        return RateLimited(f"rate limited ({where}){tries}; try again later{said}", **kwargs)
    if status in (400, 409, 413, 422):
        return ProviderError(f"request rejected ({where}){said}", **kwargs)
    if 300 <= status < 400:
        location = response.headers.get("location")
        hint = (f"; the server redirects to {safe(redact(location), 300)}, use that as the base URL"
                if location else "")
        return ProviderError(f"unexpected redirect ({where}){hint}", **kwargs)
    if status >= 500:
        tries = f" after {attempts} attempts" if attempts > 1 else ""
        return ProviderError(f"provider error ({where}){tries}{said}", **kwargs)
    return ProviderError(f"provider error ({where}){said}", **kwargs)


def connection_failed(request: httpx.Request, exc: httpx.TransportError, *, base_url: str, timeout: float,
                      attempts: int, redact: Redactor) -> ConnectionFailed:
    """No answer came (refused, timed out, dropped): say where, and what to check."""
    tries = f" after {attempts} attempts" if attempts > 1 else ""
    reason = safe(redact(str(exc) or type(exc).__name__), 300)
    if isinstance(exc, (httpx.ConnectError, httpx.ConnectTimeout)):
        message = (f"could not connect to {base_url} ({call_name(request)}){tries}: {reason}; "
                   "is the server running? Check --base-url / SPECRUN_BASE_URL / provider.base_url")
    elif isinstance(exc, httpx.TimeoutException):
        message = (f"no answer from {base_url} ({call_name(request)}) within {timeout:g}s"
                   f"{tries}")
    elif isinstance(exc, httpx.UnsupportedProtocol):
        message = f"cannot reach {base_url}: {reason}"
    else:
        message = f"connection to {base_url} failed ({call_name(request)}){tries}: {reason}"
    return ConnectionFailed(message, method=request.method, url=str(request.url))


def outcome_unknown(request: httpx.Request, attempted: dict[str, Any], reason: str, *,
                    status_code: int | None = None, response: httpx.Response | None = None,
                    redact: Redactor | None = None) -> OutcomeUnknown:
    """The answer to a creating POST was lost: the file or batch may exist; list to find it."""
    what = "batch" if "input_file_id" in attempted else "file"
    subject = (f"for input file {attempted['input_file_id']}" if what == "batch"
               else f"{attempted.get('filename')!r} ({attempted.get('bytes')} bytes)")
    detail = ""
    if response is not None:
        said = server_detail(response, redact)
        detail = f" ({said})" if said else ""
    message = (f"{call_name(request)}: the answer was lost ({reason}){detail}; the provider may or "
               f"may not have created the {what} {subject}. Not retried, because a blind retry could "
               f"create a duplicate: list the provider's {'batches' if what == 'batch' else 'files'} "
               f"to find it (specrun plan adopts it)")
    return OutcomeUnknown(message, attempted=attempted, status_code=status_code,
                          method=request.method, url=str(request.url))
