"""``specrun serve``: the local Batch API over HTTP (FastAPI + uvicorn).

Routing, auth and fault injection live in ``_http.Gateway`` (shared with the
embedded transport); this module only adapts Starlette requests to it and runs
the batch workers for the app's lifetime.
"""

from __future__ import annotations

import contextlib
import json
import signal
import socket
import threading
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import FileResponse, Response

from specrun.errors import SpecrunError
from specrun.local._http import Gateway, HttpRequest, Reply, UploadedForm
from specrun.local._options import LocalOptions, build_options
from specrun.local.api import APIFailure, LocalBatchAPI

__all__ = ["create_app", "serve", "bind_socket"]

_MAX_FORM_FIELD_BYTES = 64 * 1024


def _options(engine: str, api_keys: Any, completion_window: Any, fault_rate: Any, late_fault_rate: Any,
             latency_ms: Any, engine_options: dict[str, Any]) -> LocalOptions:
    return build_options(engine, api_keys=tuple(api_keys or ()), completion_window=completion_window,
                         fault_rate=fault_rate, late_fault_rate=late_fault_rate, latency_ms=latency_ms,
                         **engine_options)


def create_app(data_dir: Path, *, engine: str = "echo", api_keys: Any = (), completion_window: Any = "24h",
               fault_rate: float = 0.0, late_fault_rate: float = 0.0, latency_ms: float = 0.0,
               **engine_options: Any) -> FastAPI:
    """The ASGI app of the local Batch API; its workers run while the app is up (lifespan)."""
    options = _options(engine, api_keys, completion_window, fault_rate, late_fault_rate, latency_ms,
                       engine_options)
    api = LocalBatchAPI(Path(data_dir), options)
    gateway = Gateway(api, options)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        api.start()
        try:
            yield
        finally:
            await run_in_threadpool(api.close)

    app = FastAPI(title="specrun local Batch API", lifespan=lifespan, docs_url=None, redoc_url=None,
                  openapi_url=None)
    app.state.api = api
    app.state.gateway = gateway

    @app.api_route("/{path:path}", methods=["GET", "POST", "DELETE", "PUT", "PATCH"])
    async def dispatch(request: Request, path: str) -> Response:
        body: bytes | None = b""
        form: UploadedForm | None = None
        form_failure: APIFailure | None = None
        content_type = request.headers.get("content-type", "")
        if request.method == "POST" and content_type.startswith("multipart/form-data"):
            try:
                form = await _read_form(request)
            except Exception as exc:  # malformed multipart: answered as a 400 by the gateway
                form_failure = APIFailure(400, f"Malformed multipart body: {exc}", code="invalid_request")
        elif request.method in ("POST", "PUT", "PATCH", "DELETE"):
            body = await _read_body(request, options.message_batch_max_bytes)

        def read_form() -> UploadedForm:
            if form_failure is not None:
                raise form_failure
            if form is None:
                raise APIFailure(400, "Uploads must be multipart/form-data with a 'file' part.",
                                 code="invalid_request", param="file")
            return form

        def read_json() -> Any:
            if body is None:
                raise APIFailure(413, f"The request body exceeds {options.message_batch_max_bytes} bytes.",
                                 code="request_too_large")
            return json.loads(body or b"null")

        http_request = HttpRequest(
            method=request.method,
            path=request.url.path,
            query=dict(request.query_params),
            headers={k.lower(): v for k, v in request.headers.items()},
            read_json=read_json,
            read_form=read_form,
            scheme=request.url.scheme,
        )
        try:
            reply = await run_in_threadpool(gateway.handle, http_request)
        finally:
            if form is not None and form.file is not None and not form.file.closed:
                form.file.close()
        return _response(reply)

    return app


async def _read_body(request: Request, limit: int) -> bytes | None:
    """The body, or None when it is larger than ``limit`` (then read no further than that)."""
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > limit:
        return None
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


async def _read_form(request: Request) -> UploadedForm:
    """Starlette spools the file part to a temporary file; we keep that file open."""
    parsed = await request.form(max_files=4, max_fields=32, max_part_size=_MAX_FORM_FIELD_BYTES)
    form = UploadedForm()
    for name, value in parsed.multi_items():
        if isinstance(value, str):
            form.fields[name] = value
        elif name == "file":
            form.file, form.filename = value.file, value.filename
    return form


def _response(reply: Reply) -> Response:
    if reply.file is not None:
        return FileResponse(reply.file, status_code=reply.status, headers=reply.headers,
                            media_type=reply.media_type or "application/octet-stream", filename=reply.filename,
                            content_disposition_type="attachment")
    return Response(reply.json_bytes(), status_code=reply.status, headers=reply.headers,
                    media_type="application/json")


def bind_socket(host: str, port: int) -> socket.socket:
    """Bind now, so that port 0 yields a real port to announce before serving."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP explicitly: asyncio only sets TCP_NODELAY on sockets that say so, and
    # without it every keep-alive answer waits ~40 ms for a delayed ACK.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise SpecrunError(f"specrun serve: cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    sock.listen(2048)
    sock.setblocking(False)
    return sock


def serve(data_dir: Path, *, host: str = "127.0.0.1", port: int = 8080, engine: str = "echo",
          log_level: str = "warning", on_listening: Callable[[str], None] | None = None,
          **options: Any) -> None:
    """Run the local Batch API with uvicorn until interrupted.

    ``on_listening`` receives the base URL (``http://host:port/v1``) once the port is bound.
    """
    import uvicorn

    app = create_app(Path(data_dir), engine=engine, **options)
    sock = bind_socket(host, port)
    bound_port = sock.getsockname()[1]
    shown_host = f"[{host}]" if ":" in host else host
    server = uvicorn.Server(uvicorn.Config(app, log_level=log_level, lifespan="on"))
    if on_listening is not None:
        on_listening(f"http://{shown_host}:{bound_port}/v1")
    # uvicorn shuts down gracefully on SIGINT/SIGTERM, then re-raises the signal; for a
    # server that is the normal way to stop, not an error.
    previous = None
    if threading.current_thread() is threading.main_thread():
        previous = signal.signal(signal.SIGTERM, _raise_interrupt)
    try:
        server.run(sockets=[sock])
    except KeyboardInterrupt:
        pass
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def _raise_interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt
