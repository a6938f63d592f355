"""Anthropic Message Batches on the local provider: same store, same worker, same engines.

``create`` checks a batch as Anthropic does (a 400 for a broken one), refuses per request
what cannot run (an unknown model, a tool block: ``errored`` results), and writes the rest
as chat-completions lines into one ordinary batch per model (the worker runs one model
per batch). The batch's status and counts are read from those parts on every call:

    parts still running                  -> in_progress (canceling once cancel was asked)
    every part completed/cancelled/...   -> ended

    part line answered 2xx               -> succeeded
    part line answered 4xx/5xx, refused  -> errored (the worker's per-line errors too)
    part cancelled before the line ran   -> canceled
    part expired before the line ran     -> expired
    part failed validation               -> every line errored with the worker's reason

Once ended, ``results`` writes the results file once (streaming, line by line) and
serves it from disk.
"""

from __future__ import annotations

import datetime as _dt
import json
import threading
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from specrun.local import anthropic_convert as convert
from specrun.local.anthropic_store import MESSAGES_OWNER_PREFIX, MessageBatchRow, MessageBatchStore
from specrun.local.api import BATCH_ENDPOINT, APIFailure, LocalBatchAPI
from specrun.local.engines import EngineUnavailable
from specrun.local.store import ACTIVE_STATUSES, BatchRow, dumps, iter_lines
from specrun.local.worker import FILE_RETENTION_SECONDS, new_id

__all__ = ["MessageBatches", "rfc3339"]

_UNANSWERED = {"cancelled": "canceled", "expired": "expired"}
# Where a part's requests without an answer are counted, by the part's status (a part that
# completed with some unanswered would have lost answers: those read as errored).
_UNANSWERED_COUNT = {**_UNANSWERED, "completed": "errored"}


def rfc3339(moment: float | None) -> str | None:
    """``2026-11-29T13:20:01.123456Z`` (UTC, microseconds), or None."""
    if moment is None:
        return None
    return _dt.datetime.fromtimestamp(moment, _dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _jsonl(records: Iterator[Mapping[str, Any]]) -> Iterator[bytes]:
    for record in records:
        yield (json.dumps(record, separators=(",", ":"), ensure_ascii=False) + "\n").encode()


def _ended_at(part: BatchRow) -> int | None:
    return part.completed_at or part.cancelled_at or part.expired_at or part.failed_at


class MessageBatches:
    """The message batches of one local provider (a ``LocalBatchAPI``)."""

    def __init__(self, api: LocalBatchAPI) -> None:
        self.api = api
        self.store = api.store
        self.rows = MessageBatchStore(api.store)
        self._results_lock = threading.Lock()

    # ---- creation -----------------------------------------------------------------------------

    def create(self, owner: str, body: Any, *, origin: str) -> dict[str, Any]:
        """Check and store a batch; its parts start at once. ``origin`` builds ``results_url``."""
        options = self.api.options
        requests = convert.check_requests(body, max_requests=options.message_batch_max_requests)
        try:
            active: set[str] | None = {m.id for m in self.api.engine.models()}
        except EngineUnavailable:
            active = None  # the worker finds out again, and errors the requests with the reason
        by_model: dict[str, list[tuple[str, dict[str, Any]]]] = {}
        rejected: list[dict[str, Any]] = []
        for request in requests:
            custom_id, params = request["custom_id"], request["params"]
            try:
                chat = convert.chat_body(params)
            except convert.Refused as refused:
                rejected.append(convert.errored(custom_id, refused.type, refused.message))
                continue
            if active is not None and params["model"] not in active:
                rejected.append(convert.errored(custom_id, "not_found_error", f"model: {params['model']}"))
                continue
            by_model.setdefault(params["model"], []).append((custom_id, chat))

        now = time.time()
        window = options.completion_window_seconds
        batch_id = new_id("msgbatch_")
        part_owner = MESSAGES_OWNER_PREFIX + owner
        files: list[dict[str, Any]] = []

        def blob(lines: Iterator[bytes], name: str) -> str:
            file_id = new_id("file-")
            size = self.store.write_blob(file_id, lines)
            files.append({"id": file_id, "owner": part_owner, "filename": f"{batch_id}_{name}.jsonl",
                          "purpose": "batch", "bytes": size, "created_at": int(now),
                          "expires_at": int(now) + FILE_RETENTION_SECONDS})
            return file_id

        parts = []
        for number, (model, lines) in enumerate(by_model.items()):
            input_file_id = blob(_jsonl({"custom_id": custom_id, "method": "POST", "url": BATCH_ENDPOINT,
                                         "body": {"model": model, **chat}} for custom_id, chat in lines),
                                 f"part{number}")
            parts.append({"id": new_id("batch_"), "owner": part_owner, "input_file_id": input_file_id,
                          "endpoint": BATCH_ENDPOINT, "completion_window": options.completion_window,
                          "status": "validating", "model": model, "total": len(lines),
                          "metadata": dumps({"message_batch_id": batch_id}), "deadline": now + window,
                          "created_at": int(now), "expires_at": int(now + window)})
        row = self.rows.insert({
            "id": batch_id, "owner": owner, "requests": len(requests), "rejected": len(rejected),
            "rejected_file_id": blob(_jsonl(iter(rejected)), "rejected") if rejected else None,
            "results_file_id": new_id("file-"), "parts": json.dumps([p["id"] for p in parts]),
            "created_at": now, "expires_at": now + window,
        }, files=files, parts=parts)
        self.api.worker.wake()
        return self._object(row, self.rows.parts(row), origin)

    # ---- reading --------------------------------------------------------------------------------

    def _row(self, owner: str, batch_id: str) -> MessageBatchRow:
        row = self.rows.get(batch_id, owner)
        if row is None:
            raise APIFailure(404, f"Message Batch {batch_id} not found.")
        return row

    @staticmethod
    def _ended(parts: list[BatchRow]) -> bool:
        return all(p.status not in ACTIVE_STATUSES for p in parts)

    def _object(self, row: MessageBatchRow, parts: list[BatchRow], origin: str) -> dict[str, Any]:
        counts = {"processing": 0, "succeeded": 0, "errored": row.rejected, "canceled": 0, "expired": 0}
        for part in parts:
            rest = part.total - part.completed - part.failed
            if part.status == "failed":
                counts["errored"] += part.total
                continue
            counts["succeeded"] += part.completed
            counts["errored"] += part.failed
            counts[_UNANSWERED_COUNT.get(part.status, "processing")] += rest
        ended = self._ended(parts)
        ended_at = max([row.created_at, *(_ended_at(p) or 0 for p in parts)]) if ended else None
        status = "ended" if ended else "canceling" if row.cancel_initiated_at is not None else "in_progress"
        return {
            "id": row.id,
            "type": "message_batch",
            "processing_status": status,
            "request_counts": counts,
            "ended_at": rfc3339(ended_at),
            "created_at": rfc3339(row.created_at),
            "expires_at": rfc3339(row.expires_at),
            "archived_at": None,
            "cancel_initiated_at": rfc3339(row.cancel_initiated_at),
            "results_url": f"{origin}/v1/messages/batches/{row.id}/results" if ended else None,
        }

    def get(self, owner: str, batch_id: str, *, origin: str) -> dict[str, Any]:
        row = self._row(owner, batch_id)
        return self._object(row, self.rows.parts(row), origin)

    def page(self, owner: str, *, limit: int, before_id: str | None, after_id: str | None,
             origin: str) -> dict[str, Any]:
        if before_id and after_id:
            raise APIFailure(400, "Give at most one of 'before_id' and 'after_id'.")
        rows, has_more = self.rows.page(owner, limit=limit, before_id=before_id, after_id=after_id)
        data = [self._object(row, self.rows.parts(row), origin) for row in rows]
        return {"data": data, "has_more": has_more, "first_id": data[0]["id"] if data else None,
                "last_id": data[-1]["id"] if data else None}

    # ---- changes ----------------------------------------------------------------------------------

    def cancel(self, owner: str, batch_id: str, *, origin: str) -> dict[str, Any]:
        """Stop a batch: requests not yet answered end ``canceled``."""
        row = self._row(owner, batch_id)
        parts = self.rows.parts(row)
        if self._ended(parts):
            raise APIFailure(400, f"Message Batch {batch_id} has already ended; only a batch still in progress "
                             "can be canceled.")
        now = time.time()
        self.rows.mark_cancel(row.id, now)
        for part in parts:  # a part already finalizing completes: all its requests were answered
            self.store.update_batch(part.id, only_if_status=("validating", "in_progress"), status="cancelling",
                                    cancelling_at=int(now))
        self.api.worker.wake()
        return self.get(owner, batch_id, origin=origin)

    def delete(self, owner: str, batch_id: str) -> dict[str, Any]:
        row = self._row(owner, batch_id)
        if not self._ended(self.rows.parts(row)):
            raise APIFailure(400, f"Message Batch {batch_id} is still in progress: cancel it and wait until it "
                             "has ended before deleting it.")
        self.rows.delete(row)
        return {"id": row.id, "type": "message_batch_deleted"}

    # ---- results --------------------------------------------------------------------------------

    def results(self, owner: str, batch_id: str) -> Path:
        """The results file of an ended batch (written on first call)."""
        row = self._row(owner, batch_id)
        parts = self.rows.parts(row)
        if not self._ended(parts):
            raise APIFailure(400, f"Message Batch {batch_id} has not ended yet: its results are available once "
                             "processing_status is 'ended'.")
        path = self.store.blob_path(row.results_file_id)
        with self._results_lock:
            if not path.exists():
                size = self.store.write_blob(row.results_file_id, _jsonl(self._result_lines(row, parts)))
                now = int(time.time())
                self.rows.register_results({
                    "id": row.results_file_id, "owner": MESSAGES_OWNER_PREFIX + owner,
                    "filename": f"{row.id}_results.jsonl", "purpose": "batch_output", "bytes": size,
                    "created_at": now, "expires_at": now + FILE_RETENTION_SECONDS})
        return path

    def _result_lines(self, row: MessageBatchRow, parts: list[BatchRow]) -> Iterator[Mapping[str, Any]]:
        if row.rejected_file_id:
            for _, raw in iter_lines(self.store.blob_path(row.rejected_file_id)):
                yield json.loads(raw)
        for part in parts:
            yield from self._part_lines(row, part)

    def _inputs(self, part: BatchRow) -> Iterator[tuple[int, str]]:
        """(1-based line number, custom_id) of a part's requests."""
        path = self.store.blob_path(part.input_file_id)
        if path.exists():
            for index, raw in iter_lines(path):
                yield index + 1, json.loads(raw)["custom_id"]

    def _part_lines(self, row: MessageBatchRow, part: BatchRow) -> Iterator[Mapping[str, Any]]:
        model = part.model or ""
        if part.status == "failed":
            yield from self._failed_lines(part)
            return
        answered: set[str] = set()
        for file_id in (part.output_file_id, part.error_file_id):
            if file_id is None:
                continue
            for _, raw in iter_lines(self.store.blob_path(file_id)):
                record = json.loads(raw)
                answered.add(record.get("custom_id"))
                yield convert.from_record(record, row.id, model)
        kind = _UNANSWERED.get(part.status)
        for _, custom_id in self._inputs(part):
            if custom_id not in answered:
                yield convert.unanswered(custom_id, kind) if kind else \
                    convert.errored(custom_id, "api_error", "the local provider lost this request's answer")

    def _failed_lines(self, part: BatchRow) -> Iterator[Mapping[str, Any]]:
        """Every request of a part the worker refused: errored, with the reason it gave for the line."""
        listed = json.loads(part.errors)["data"] if part.errors else []
        by_line = {e["line"]: e for e in listed if e.get("line") is not None}
        general = "; ".join(e["message"] for e in listed
                            if e.get("line") is None and e.get("code") != "too_many_errors")
        if not general:
            general = "not run: " + (listed[0]["message"] if listed else "the local provider could not run it")
        for number, custom_id in self._inputs(part):
            problem = by_line.get(number)
            if problem is None:
                yield convert.errored(custom_id, "api_error", general)
            else:
                kind = {"model_not_found": "not_found_error", "model_unavailable": "api_error"}.get(
                    problem.get("code"), "invalid_request_error")
                yield convert.errored(custom_id, kind, problem["message"])

