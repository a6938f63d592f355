"""The local Batch API as plain Python: files, batches, models, owned by an API key.

Framework-agnostic on purpose: ``specrun serve`` (FastAPI) and the embedded httpx
transport both reach these methods through the same router (``_http.py``), so the
two modes cannot drift apart. Methods return OpenAI-shaped dicts and raise
``APIFailure`` for anything the caller should see as an HTTP error.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from pathlib import Path
from typing import IO, Any

from specrun.local._options import LocalOptions
from specrun.local.engines import Engine, EngineUnavailable, make_engine
from specrun.local.store import BatchRow, FileRow, Store, dumps
from specrun.local.worker import FILE_RETENTION_SECONDS, Worker, new_id

__all__ = ["LocalBatchAPI", "APIFailure", "FILE_PURPOSES", "BATCH_ENDPOINT"]

FILE_PURPOSES = ("batch", "batch_output", "assistants", "assistants_output", "fine-tune",
                 "fine-tune-results", "vision", "user_data")
BATCH_ENDPOINT = "/v1/chat/completions"
#: The endpoints a batch can name (each line's url must be the batch's), and the spellings without /v1.
_SUPPORTED_ENDPOINTS = {url: url for url in (BATCH_ENDPOINT, "/v1/embeddings", "/v1/responses")}
_SUPPORTED_ENDPOINTS.update({url.removeprefix("/v1"): url for url in list(_SUPPORTED_ENDPOINTS)})


class APIFailure(Exception):
    """An error answer: HTTP status and the OpenAI error object."""

    def __init__(self, status: int, message: str, *, type: str = "invalid_request_error",
                 code: str | None = None, param: str | None = None,
                 headers: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.type = type
        self.code = code
        self.param = param
        self.headers = dict(headers or {})

    def body(self) -> dict[str, Any]:
        return {"error": {"message": self.message, "type": self.type, "param": self.param, "code": self.code}}


def _not_found(kind: str, object_id: str) -> APIFailure:
    return APIFailure(404, f"No such {kind} object: {object_id}", code="not_found", param="id")


def file_object(row: FileRow) -> dict[str, Any]:
    return {
        "id": row.id,
        "object": "file",
        "bytes": row.bytes,
        "created_at": row.created_at,
        "expires_at": row.expires_at,
        "filename": row.filename,
        "purpose": row.purpose,
        "status": "processed",
        "status_details": None,
    }


def batch_object(row: BatchRow) -> dict[str, Any]:
    return {
        "id": row.id,
        "object": "batch",
        "endpoint": row.endpoint,
        "model": row.model,
        "errors": json.loads(row.errors) if row.errors else None,
        "input_file_id": row.input_file_id,
        "completion_window": row.completion_window,
        "status": row.status,
        "output_file_id": row.output_file_id,
        "error_file_id": row.error_file_id,
        "created_at": row.created_at,
        "in_progress_at": row.in_progress_at,
        "expires_at": row.expires_at,
        "finalizing_at": row.finalizing_at,
        "completed_at": row.completed_at,
        "failed_at": row.failed_at,
        "expired_at": row.expired_at,
        "cancelling_at": row.cancelling_at,
        "cancelled_at": row.cancelled_at,
        "request_counts": {"total": row.total, "completed": row.completed, "failed": row.failed},
        "metadata": json.loads(row.metadata) if row.metadata else None,
    }


def _page(data: list[dict[str, Any]], has_more: bool) -> dict[str, Any]:
    return {
        "object": "list",
        "data": data,
        "first_id": data[0]["id"] if data else None,
        "last_id": data[-1]["id"] if data else None,
        "has_more": has_more,
    }


class LocalBatchAPI:
    """One local provider: a store, an engine and the worker that runs batches."""

    def __init__(self, data_dir: Path, options: LocalOptions) -> None:
        self.options = options
        self.engine: Engine = make_engine(options)
        self.store = Store(Path(data_dir))
        self.worker = Worker(self.store, self.engine, parallel_batches=options.parallel_batches,
                             finalize_delay=options.finalize_delay_ms / 1000.0)
        self._window_seconds = options.completion_window_seconds
        self._started = False
        self._closed = False

    def start(self) -> None:
        """Start processing batches in the background (resumes interrupted ones)."""
        if not self._started:
            self._started = True
            self.worker.start()

    def close(self) -> None:
        """Stop the workers at their next checkpoint and close the store."""
        if self._closed:
            return
        self._closed = True
        self.worker.stop()
        self.engine.close()
        self.store.close()

    # ---- models -------------------------------------------------------------------------

    def _models(self) -> list[Any]:
        try:
            return self.engine.models()
        except EngineUnavailable as exc:
            raise APIFailure(502, str(exc), type="server_error", code="upstream_unavailable") from exc

    def active_models(self) -> dict[str, Any]:
        return {"active_models": [m.id for m in self._models()]}

    def model_config(self) -> dict[str, Any]:
        return {"active_models": [m.config(i) for i, m in enumerate(self._models())]}

    def list_models(self) -> dict[str, Any]:
        """OpenAI's ``GET /models``, for clients that only know that call."""
        return {"object": "list", "data": [
            {"id": m.id, "object": "model", "created": 1735689600, "owned_by": f"specrun-{self.engine.name}"}
            for m in self._models()
        ]}

    # ---- files ---------------------------------------------------------------------------

    def create_file(self, owner: str, *, filename: str, purpose: str, content: IO[bytes]) -> dict[str, Any]:
        if purpose not in FILE_PURPOSES:
            raise APIFailure(400, f"Invalid purpose {purpose!r}; use 'batch' for batch input files.",
                             code="invalid_value", param="purpose")
        file_id = new_id("file-")
        size = self.store.save_blob(file_id, content)
        now = int(time.time())
        row = self.store.insert_file({
            "id": file_id, "owner": owner, "filename": filename or "upload.jsonl", "purpose": purpose,
            "bytes": size, "created_at": now, "expires_at": now + FILE_RETENTION_SECONDS,
        })
        return file_object(row)

    def list_files(self, owner: str, *, limit: int = 1000, after: str | None = None, order: str = "desc",
                   purpose: str | None = None) -> dict[str, Any]:
        rows, has_more = self.store.list_files(owner, limit=limit, after=after, order=order, purpose=purpose)
        return _page([file_object(r) for r in rows], has_more)

    def _file(self, owner: str, file_id: str) -> FileRow:
        row = self.store.get_file(file_id, owner)
        if row is None:
            raise _not_found("File", file_id)
        return row

    def get_file(self, owner: str, file_id: str) -> dict[str, Any]:
        return file_object(self._file(owner, file_id))

    def file_content(self, owner: str, file_id: str) -> tuple[Path, FileRow]:
        row = self._file(owner, file_id)
        return self.store.blob_path(row.id), row

    def delete_file(self, owner: str, file_id: str) -> dict[str, Any]:
        row = self._file(owner, file_id)
        users = self.store.batches_using_file(row.id)
        if users:
            raise APIFailure(409, f"File {file_id} is the input of batch {users[0]}, which is still running.",
                             code="file_in_use", param="file_id")
        self.store.delete_file(row.id)
        return {"id": row.id, "object": "file", "deleted": True}

    # ---- batches ----------------------------------------------------------------------------

    def create_batch(self, owner: str, body: Mapping[str, Any]) -> dict[str, Any]:
        input_file_id = body.get("input_file_id")
        if not isinstance(input_file_id, str) or not input_file_id:
            raise APIFailure(400, "Missing required parameter: 'input_file_id'.",
                             code="missing_required_parameter", param="input_file_id")
        asked = body.get("endpoint") or BATCH_ENDPOINT
        endpoint = _SUPPORTED_ENDPOINTS.get(asked) if isinstance(asked, str) else None
        if endpoint is None:
            served = ", ".join(url for url in _SUPPORTED_ENDPOINTS if url.startswith("/v1/"))
            raise APIFailure(400, f"Unsupported endpoint {asked!r}; served: {served}.",
                             code="invalid_value", param="endpoint")
        metadata = body.get("metadata")
        if metadata is not None and not (
            isinstance(metadata, dict) and all(isinstance(k, str) and isinstance(v, str) for k, v in metadata.items())
        ):
            raise APIFailure(400, "metadata must map strings to strings.", code="invalid_value", param="metadata")
        source = self.store.get_file(input_file_id, owner)
        if source is None:
            raise _not_found("File", input_file_id)
        if source.purpose != "batch":
            raise APIFailure(400, f"File {input_file_id} has purpose {source.purpose!r}; batch input files "
                             "must be uploaded with purpose 'batch'.", code="invalid_value", param="input_file_id")
        now = time.time()
        row = self.store.insert_batch({
            "id": new_id("batch_"),
            "owner": owner,
            "input_file_id": input_file_id,
            "endpoint": endpoint,
            "completion_window": self.options.completion_window,
            "status": "validating",
            "metadata": dumps(metadata or None),
            "deadline": now + self._window_seconds,
            "created_at": int(now),
            "expires_at": int(now + self._window_seconds),
        })
        self.worker.wake()
        return batch_object(row)

    def _batch(self, owner: str, batch_id: str) -> BatchRow:
        row = self.store.get_batch(batch_id, owner)
        if row is None:
            raise _not_found("Batch", batch_id)
        return row

    def get_batch(self, owner: str, batch_id: str) -> dict[str, Any]:
        return batch_object(self._batch(owner, batch_id))

    def list_batches(self, owner: str, *, limit: int = 20, after: str | None = None) -> dict[str, Any]:
        rows, has_more = self.store.list_batches(owner, limit=limit, after=after)
        return _page([batch_object(r) for r in rows], has_more)

    def cancel_batch(self, owner: str, batch_id: str) -> dict[str, Any]:
        """Ask to stop a batch; it becomes ``cancelling``, then ``cancelled`` with partial output."""
        row = self._batch(owner, batch_id)
        if row.status in ("cancelling", "cancelled"):
            return batch_object(row)
        changed = self.store.update_batch(row.id, only_if_status=("validating", "in_progress"),
                                          status="cancelling", cancelling_at=int(time.time()))
        row = self._batch(owner, batch_id)
        if not changed and row.status not in ("cancelling", "cancelled"):
            raise APIFailure(409, f"Cannot cancel a batch with status {row.status!r}.",
                             code="batch_not_cancellable", param="batch_id")
        self.worker.wake()
        return batch_object(row)
