"""The local provider inside the specrun process: an httpx transport, no port opened.

    transport = embedded_transport(Path(".specrun/local"))
    client = httpx.Client(transport=transport, base_url="http://specrun.local/v1")

Batches run in background threads while the caller polls; ``transport.close()``
stops them at their next checkpoint, and the next transport opened on the same
directory resumes them.
"""

from __future__ import annotations

import atexit
import json
import threading
import weakref
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx

from specrun.local._http import Gateway, HttpRequest, Reply, UploadedForm, parse_multipart
from specrun.local._options import LocalOptions, build_options
from specrun.local.api import LocalBatchAPI

__all__ = ["EmbeddedTransport", "embedded_transport", "EMBEDDED_BASE_URL"]

EMBEDDED_BASE_URL = "http://specrun.local/v1"
_CHUNK = 256 * 1024

_open_transports: weakref.WeakSet[EmbeddedTransport] = weakref.WeakSet()


@atexit.register
def _close_open_transports() -> None:
    # Release batch leases on a normal exit so the next run resumes at once.
    for transport in list(_open_transports):
        transport.close()


class _FileStream(httpx.SyncByteStream):
    def __init__(self, path: Path) -> None:
        self._file = open(path, "rb")  # noqa: SIM115 - opened now: a later delete cannot break the download

    def __iter__(self) -> Iterator[bytes]:
        while chunk := self._file.read(_CHUNK):
            yield chunk

    def close(self) -> None:
        self._file.close()


class EmbeddedTransport(httpx.BaseTransport):
    """Serves the local Batch API to an ``httpx.Client`` in-process."""

    def __init__(self, data_dir: Path, options: LocalOptions) -> None:
        self.data_dir = Path(data_dir)
        self.options = options
        self.api = LocalBatchAPI(self.data_dir, options)
        self.gateway = Gateway(self.api, options)
        self._closed = False
        self._close_lock = threading.Lock()
        self.api.start()
        _open_transports.add(self)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if self._closed:
            raise httpx.ConnectError("the embedded specrun provider is closed", request=request)

        def read_json() -> Any:
            return json.loads(request.read() or b"null")

        def read_form() -> UploadedForm:
            # httpx request streams (multipart included) are re-iterable and read lazily,
            # so a large upload goes to the spooled file chunk by chunk.
            return parse_multipart(request.headers.get("content-type", ""), request.stream)  # type: ignore[arg-type]

        reply = self.gateway.handle(HttpRequest(
            method=request.method.upper(),
            path=request.url.path,
            query={key: request.url.params[key] for key in request.url.params},
            headers={k.lower(): v for k, v in request.headers.items()},
            read_json=read_json,
            read_form=read_form,
            scheme=request.url.scheme,
        ))
        return self._response(reply, request)

    @staticmethod
    def _response(reply: Reply, request: httpx.Request) -> httpx.Response:
        headers = dict(reply.headers)
        if reply.file is not None:
            headers["content-type"] = reply.media_type or "application/octet-stream"
            headers["content-length"] = str(reply.file.stat().st_size)
            if reply.filename:
                headers["content-disposition"] = _attachment(reply.filename)
            return httpx.Response(reply.status, headers=headers, stream=_FileStream(reply.file), request=request)
        headers["content-type"] = "application/json"
        return httpx.Response(reply.status, headers=headers, content=reply.json_bytes(), request=request)

    def close(self) -> None:
        """Stop the background workers (they checkpoint) and close the store."""
        with self._close_lock:
            if self._closed:
                return
            self._closed = True
        self.api.close()
        _open_transports.discard(self)


def embedded_transport(data_dir: Path, *, engine: str = "echo", **engine_options: Any) -> EmbeddedTransport:
    """A sync httpx transport serving the local Batch API from ``data_dir``.

    ``engine_options`` are those of ``specrun serve`` (``models``, ``completion_window``,
    ``fault_rate``, ``upstream``, ...); an unknown or bad one raises a SpecrunError.
    """
    return EmbeddedTransport(Path(data_dir), build_options(engine, **engine_options))


def _attachment(filename: str) -> str:
    """A Content-Disposition value for any uploaded name (quotes, newlines, non-ASCII: RFC 6266 filename*)."""
    from urllib.parse import quote

    if filename.isascii() and filename.isprintable() and '"' not in filename and "\\" not in filename:
        return f'attachment; filename="{filename}"'
    return "attachment; filename*=UTF-8''" + quote(filename, safe="")
