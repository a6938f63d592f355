"""The HTTP face of the local provider, shared by ``specrun serve`` and the embedded transport.

Both adapters turn their request into an ``HttpRequest`` and hand it to
``Gateway.handle``, which applies (in this order) latency, fault injection,
authentication, routing and parameter checks, calls ``LocalBatchAPI`` and returns
a ``Reply``. Keeping this in one place is what makes the embedded provider behave
exactly like the server, faults included.

Two API shapes share it: the OpenAI-style Batch API under ``/v1`` and Anthropic's
Message Batches under ``/v1/messages/batches`` (``anthropic_batches``). On the latter,
errors (injected faults included) take Anthropic's shape, the key may come as
``x-api-key`` and the ``anthropic-version`` header is required, as Anthropic requires it.
"""

from __future__ import annotations

import hashlib
import json
import math
import random
import re
import secrets
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from python_multipart import MultipartParser
from python_multipart.multipart import parse_options_header

from specrun.local import anthropic_convert
from specrun.local._options import LocalOptions
from specrun.local.anthropic_batches import MessageBatches
from specrun.local.api import APIFailure, LocalBatchAPI

__all__ = ["HttpRequest", "UploadedForm", "Reply", "Gateway", "parse_multipart"]

FAULT_STATUSES = (500, 502, 503, 429)
ANTHROPIC_FAULT_STATUSES = (*FAULT_STATUSES, 529)   # 529: Anthropic's "overloaded"
_SPOOL_BYTES = 1024 * 1024


@dataclass
class UploadedForm:
    """A parsed multipart form: text fields and at most the one file we care about."""

    fields: dict[str, str] = field(default_factory=dict)
    file: IO[bytes] | None = None
    filename: str | None = None


@dataclass
class HttpRequest:
    method: str
    path: str
    query: Mapping[str, str]
    headers: Mapping[str, str]                    # lower-case names
    read_json: Callable[[], Any]
    read_form: Callable[[], UploadedForm]
    scheme: str = "http"

    @property
    def anthropic(self) -> bool:
        """Whether this is a call on the Anthropic surface (Message Batches)."""
        return self.path == "/v1/messages" or self.path.startswith("/v1/messages/")

    @property
    def origin(self) -> str:
        """``scheme://host`` as the caller sees this server (for absolute URLs in answers)."""
        return f"{self.scheme}://{self.headers.get('host') or 'localhost'}"


@dataclass
class Reply:
    status: int
    json: Any = None
    file: Path | None = None                      # stream this file as the body
    filename: str | None = None
    media_type: str | None = None                 # of the file (default application/octet-stream)
    headers: dict[str, str] = field(default_factory=dict)

    def json_bytes(self) -> bytes:
        return json.dumps(self.json, separators=(",", ":")).encode()


def _error(failure: APIFailure, request: HttpRequest | None = None) -> Reply:
    if request is not None and request.anthropic:
        body = anthropic_convert.error_body(anthropic_convert.error_type(failure.status), failure.message)
        return Reply(failure.status, body, headers=dict(failure.headers))
    return Reply(failure.status, failure.body(), headers=dict(failure.headers))


# ---- routing ------------------------------------------------------------------------------

_ID = r"(?P<id>[^/]+)"
_ROUTES: list[tuple[str, re.Pattern[str], str]] = [
    (method, re.compile(f"^/v1{pattern}/?$"), handler)
    for method, pattern, handler in (
        ("GET", "/active-models", "active_models"),
        ("GET", "/model-config", "model_config"),
        ("GET", "/models", "list_models"),
        ("POST", "/files", "create_file"),
        ("GET", "/files", "list_files"),
        ("GET", f"/files/{_ID}", "get_file"),
        ("DELETE", f"/files/{_ID}", "delete_file"),
        ("GET", f"/files/{_ID}/content", "file_content"),
        ("POST", "/batches", "create_batch"),
        ("GET", "/batches", "list_batches"),
        ("GET", f"/batches/{_ID}", "get_batch"),
        ("DELETE", f"/batches/{_ID}", "cancel_batch"),
        ("POST", f"/batches/{_ID}/cancel", "cancel_batch"),
        # Anthropic Message Batches
        ("POST", "/messages/batches", "create_message_batch"),
        ("GET", "/messages/batches", "list_message_batches"),
        ("GET", f"/messages/batches/{_ID}", "get_message_batch"),
        ("DELETE", f"/messages/batches/{_ID}", "delete_message_batch"),
        ("POST", f"/messages/batches/{_ID}/cancel", "cancel_message_batch"),
        ("GET", f"/messages/batches/{_ID}/results", "message_batch_results"),
    )
]


def _int_param(query: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = query.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        value = low - 1
    if not low <= value <= high:
        raise APIFailure(400, f"Invalid '{name}': expected an integer between {low} and {high}, got {raw!r}.",
                         code="invalid_value", param=name)
    return value


class Gateway:
    """Latency, faults, auth and routing in front of a ``LocalBatchAPI``."""

    def __init__(self, api: LocalBatchAPI, options: LocalOptions) -> None:
        self.api = api
        self.options = options
        self.message_batches = MessageBatches(api)
        self._owners = {key: hashlib.sha256(key.encode()).hexdigest()[:32] for key in options.api_keys}
        self._random = random.Random(options.fault_seed)
        self._random_lock = threading.Lock()

    # ---- fault injection -------------------------------------------------------------------

    def _draw(self) -> float:
        with self._random_lock:
            return self._random.random()

    def _fault(self, request: HttpRequest) -> Reply | None:
        if not self.options.fault_rate or self._draw() >= self.options.fault_rate:
            return None
        with self._random_lock:
            status = self._random.choice(ANTHROPIC_FAULT_STATUSES if request.anthropic else FAULT_STATUSES)
        headers: dict[str, str] = {}
        if status in (429, 503, 529):
            wait = self.options.fault_retry_after
            headers = {"Retry-After": str(math.ceil(wait)), "retry-after-ms": str(int(wait * 1000))}
        kind = ("rate_limit_exceeded", "requests") if status == 429 else ("injected_fault", "server_error")
        return _error(APIFailure(status, f"Injected fault ({status}) by the local provider's --fault-rate.",
                                 type=kind[1], code=kind[0], headers=headers), request)

    def _late_fault(self, request: HttpRequest) -> Reply | None:
        if request.method != "POST" or not self.options.late_fault_rate:
            return None
        if self._draw() >= self.options.late_fault_rate:
            return None
        return _error(APIFailure(500, "Injected late fault: the request was carried out, but this answer "
                                 "is an error (--late-fault-rate).", type="server_error", code="injected_late_fault"),
                      request)

    # ---- the request cycle -------------------------------------------------------------------

    def handle(self, request: HttpRequest) -> Reply:
        if self.options.latency_ms:
            time.sleep(self.options.latency_ms / 1000.0)
        reply = self._fault(request)
        if reply is None:
            try:
                owner = self._authenticate(request)
                reply = self._route(request, owner)
            except APIFailure as failure:
                reply = _error(failure, request)
            if reply.status < 400:
                reply = self._late_fault(request) or reply
        request_id = "req_" + secrets.token_hex(12)
        reply.headers.setdefault("x-request-id", request_id)
        if request.anthropic:
            reply.headers.setdefault("request-id", request_id)
        return reply

    def _authenticate(self, request: HttpRequest) -> str:
        headers = request.headers
        owner = ""
        if self._owners:
            scheme, _, key = headers.get("authorization", "").partition(" ")
            key = key.strip() if scheme.lower() == "bearer" else ""
            if request.anthropic or request.path.rstrip("/") == "/v1/models":  # (both surfaces list models there)
                key = headers.get("x-api-key", "").strip() or key
            if not key:
                raise APIFailure(401, "x-api-key header is required." if request.anthropic else
                                 "You didn't provide an API key. Send it as 'Authorization: Bearer <key>'.",
                                 code="missing_api_key")
            found = self._owners.get(key)
            if found is None:
                raise APIFailure(401, "invalid x-api-key" if request.anthropic else "Incorrect API key provided.",
                                 code="invalid_api_key")
            owner = found
        if request.anthropic and not headers.get("anthropic-version", "").strip():
            raise APIFailure(400, "anthropic-version: header is required")
        return owner

    def _route(self, request: HttpRequest, owner: str) -> Reply:
        path_known = False
        for method, pattern, handler in _ROUTES:
            match = pattern.match(request.path)
            if match is None:
                continue
            path_known = True
            if method == request.method:
                return getattr(self, "_" + handler)(request, owner, *match.groups())
        if path_known:
            raise APIFailure(405, f"Method {request.method} is not allowed on {request.path}.",
                             code="method_not_allowed")
        raise APIFailure(404, f"Unknown request URL: {request.method} {request.path}.", code="unknown_url")

    # ---- handlers ---------------------------------------------------------------------------------

    def _active_models(self, request: HttpRequest, owner: str) -> Reply:
        return Reply(200, self.api.active_models())

    def _model_config(self, request: HttpRequest, owner: str) -> Reply:
        return Reply(200, self.api.model_config())

    def _list_models(self, request: HttpRequest, owner: str) -> Reply:
        return Reply(200, self.api.list_models())

    def _create_file(self, request: HttpRequest, owner: str) -> Reply:
        form = request.read_form()
        try:
            if form.file is None:
                raise APIFailure(400, "Missing required parameter: 'file' (multipart/form-data).",
                                 code="missing_required_parameter", param="file")
            purpose = form.fields.get("purpose") or "batch"
            return Reply(200, self.api.create_file(owner, filename=form.filename or "upload.jsonl",
                                                   purpose=purpose, content=form.file))
        finally:
            if form.file is not None:
                form.file.close()

    def _list_files(self, request: HttpRequest, owner: str) -> Reply:
        limit = _int_param(request.query, "limit", 1000, 1, 10000)
        order = request.query.get("order") or "desc"
        if order not in ("asc", "desc"):
            raise APIFailure(400, f"Invalid 'order': expected 'asc' or 'desc', got {order!r}.",
                             code="invalid_value", param="order")
        return Reply(200, self.api.list_files(owner, limit=limit, after=request.query.get("after") or None,
                                              order=order, purpose=request.query.get("purpose") or None))

    def _get_file(self, request: HttpRequest, owner: str, file_id: str) -> Reply:
        return Reply(200, self.api.get_file(owner, file_id))

    def _delete_file(self, request: HttpRequest, owner: str, file_id: str) -> Reply:
        return Reply(200, self.api.delete_file(owner, file_id))

    def _file_content(self, request: HttpRequest, owner: str, file_id: str) -> Reply:
        path, row = self.api.file_content(owner, file_id)
        return Reply(200, file=path, filename=row.filename)

    def _create_batch(self, request: HttpRequest, owner: str) -> Reply:
        try:
            body = request.read_json()
        except ValueError:
            raise APIFailure(400, "The request body is not valid JSON.", code="invalid_json") from None
        if not isinstance(body, dict):
            raise APIFailure(400, "The request body must be a JSON object.", code="invalid_json")
        return Reply(200, self.api.create_batch(owner, body))

    def _list_batches(self, request: HttpRequest, owner: str) -> Reply:
        limit = _int_param(request.query, "limit", 20, 1, 100)
        return Reply(200, self.api.list_batches(owner, limit=limit, after=request.query.get("after") or None))

    def _get_batch(self, request: HttpRequest, owner: str, batch_id: str) -> Reply:
        return Reply(200, self.api.get_batch(owner, batch_id))

    def _cancel_batch(self, request: HttpRequest, owner: str, batch_id: str) -> Reply:
        return Reply(200, self.api.cancel_batch(owner, batch_id))

    # ---- Anthropic Message Batches ----------------------------------------------------------------

    def _create_message_batch(self, request: HttpRequest, owner: str) -> Reply:
        limit = self.options.message_batch_max_bytes
        length = request.headers.get("content-length", "")
        if length.isdigit() and int(length) > limit:
            raise APIFailure(413, f"Request exceeds the maximum size of a message batch ({limit} bytes).")
        try:
            body = request.read_json()
        except ValueError:
            raise APIFailure(400, "The request body is not valid JSON.") from None
        return Reply(200, self.message_batches.create(owner, body, origin=request.origin))

    def _list_message_batches(self, request: HttpRequest, owner: str) -> Reply:
        limit = _int_param(request.query, "limit", 20, 1, 1000)
        return Reply(200, self.message_batches.page(
            owner, limit=limit, before_id=request.query.get("before_id") or None,
            after_id=request.query.get("after_id") or None, origin=request.origin))

    def _get_message_batch(self, request: HttpRequest, owner: str, batch_id: str) -> Reply:
        return Reply(200, self.message_batches.get(owner, batch_id, origin=request.origin))

    def _cancel_message_batch(self, request: HttpRequest, owner: str, batch_id: str) -> Reply:
        return Reply(200, self.message_batches.cancel(owner, batch_id,
                                                      origin=request.origin))

    def _delete_message_batch(self, request: HttpRequest, owner: str, batch_id: str) -> Reply:
        return Reply(200, self.message_batches.delete(owner, batch_id))

    def _message_batch_results(self, request: HttpRequest, owner: str, batch_id: str) -> Reply:
        return Reply(200, file=self.message_batches.results(owner, batch_id), media_type="application/x-jsonl")


# ---- multipart, for the embedded transport (the server lets Starlette parse) ----------------------


def parse_multipart(content_type: str, chunks: Iterable[bytes]) -> UploadedForm:
    """Stream a multipart/form-data body: the file part goes to a spooled temp file."""
    kind, params = parse_options_header(content_type)
    boundary = params.get(b"boundary")
    if kind != b"multipart/form-data" or not boundary:
        raise APIFailure(400, "Uploads must be multipart/form-data with a 'file' part.",
                         code="invalid_request", param="file")
    form = UploadedForm()
    state: dict[str, Any] = {}

    def on_part_begin() -> None:
        state.update(headers={}, name=None, filename=None, sink=None, text=bytearray(), field=b"", value=b"")

    def on_header_field(data: bytes, start: int, end: int) -> None:
        state["field"] += data[start:end]

    def on_header_value(data: bytes, start: int, end: int) -> None:
        state["value"] += data[start:end]

    def on_header_end() -> None:
        state["headers"][state["field"].decode("latin-1").lower()] = state["value"]
        state["field"], state["value"] = b"", b""

    def on_headers_finished() -> None:
        _, disposition = parse_options_header(state["headers"].get("content-disposition", b""))
        state["name"] = disposition.get(b"name", b"").decode()
        filename = disposition.get(b"filename")
        if filename is not None and state["name"] == "file":
            state["filename"] = filename.decode("utf-8", "replace")
            state["sink"] = tempfile.SpooledTemporaryFile(max_size=_SPOOL_BYTES)  # noqa: SIM115 - handed to the form (form.file), which closes it

    def on_part_data(data: bytes, start: int, end: int) -> None:
        if state["sink"] is not None:
            state["sink"].write(data[start:end])
        elif len(state["text"]) < 65536:
            state["text"] += data[start:end]

    def on_part_end() -> None:
        if state["sink"] is not None:
            if form.file is not None:
                form.file.close()
            state["sink"].seek(0)
            form.file, form.filename = state["sink"], state["filename"]
        elif state["name"]:
            form.fields[state["name"]] = state["text"].decode("utf-8", "replace")

    parser = MultipartParser(boundary, {
        "on_part_begin": on_part_begin, "on_part_data": on_part_data, "on_part_end": on_part_end,
        "on_header_field": on_header_field, "on_header_value": on_header_value,
        "on_header_end": on_header_end, "on_headers_finished": on_headers_finished,
    })
    try:
        for chunk in chunks:
            parser.write(chunk)
        parser.finalize()
    except Exception as exc:
        if form.file is not None:
            form.file.close()
        raise APIFailure(400, f"Malformed multipart body: {exc}", code="invalid_request") from None
    return form
