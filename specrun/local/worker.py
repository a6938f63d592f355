"""Background processing of batches: validating → in_progress → finalizing → completed.

A scheduler thread claims active batches (through a lease in SQLite, so two
processes on one data directory never process the same batch) and runs each in
its own thread. Progress is checkpointed every ``CHECKPOINT_LINES`` lines or
``CHECKPOINT_SECONDS``: the partial output files are flushed, then the next input
line and the output sizes are recorded. A batch interrupted anywhere resumes from
its last checkpoint: the partial files are cut back to the recorded sizes and
processing continues from the recorded line, so no line is answered twice.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import threading
import time
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from specrun.local.engines import Engine, EngineRequest, EngineResult, EngineUnavailable
from specrun.local.store import BatchRow, Store, dumps, iter_lines

__all__ = ["Worker", "validate_input", "MAX_LISTED_ERRORS"]

log = logging.getLogger("specrun.local")

CHECKPOINT_LINES = 2000
CHECKPOINT_SECONDS = 0.2
HEARTBEAT_SECONDS = 0.5
MAX_LISTED_ERRORS = 100
FILE_RETENTION_SECONDS = 30 * 86400


def new_id(prefix: str) -> str:
    return prefix + secrets.token_hex(12)


# ---- validation -----------------------------------------------------------------------------


@dataclass
class _Validation:
    total: int = 0
    model: str | None = None
    errors: list[dict[str, Any]] = field(default_factory=list)
    error_count: int = 0

    def add(self, line: int | None, code: str, message: str, param: str | None = None) -> None:
        self.error_count += 1
        if len(self.errors) < MAX_LISTED_ERRORS:
            self.errors.append({"code": code, "message": message, "param": param, "line": line})


def validate_input(path: Path, *, endpoint: str, active_models: set[str] | None,
                   models_problem: str | None = None) -> _Validation:
    """Check every line of a batch input file; line numbers are 1-based."""
    result = _Validation()
    seen: set[str] = set()
    for index, raw in iter_lines(path):
        number = index + 1
        if not raw.strip():
            continue
        try:
            line = json.loads(raw)
        except ValueError as exc:
            result.add(number, "invalid_json_line", f"line {number} is not valid JSON: {exc}")
            continue
        if not isinstance(line, dict):
            result.add(number, "invalid_json_line", f"line {number} is not a JSON object")
            continue
        result.total += 1
        custom_id = line.get("custom_id")
        if not isinstance(custom_id, str) or not custom_id:
            result.add(number, "missing_required_parameter", f"line {number}: custom_id must be a non-empty string",
                       "custom_id")
        elif custom_id in seen:
            result.add(number, "duplicate_custom_id",
                       f"line {number}: custom_id {custom_id!r} appears more than once in the file", "custom_id")
        else:
            seen.add(custom_id)
        if line.get("method") != "POST":
            result.add(number, "invalid_method", f"line {number}: method must be 'POST', got {line.get('method')!r}",
                       "method")
        if line.get("url") != endpoint:
            result.add(number, "invalid_url",
                       f"line {number}: url must be {endpoint!r} (the batch's endpoint), got {line.get('url')!r}",
                       "url")
        body = line.get("body")
        if not isinstance(body, dict):
            result.add(number, "missing_required_parameter", f"line {number}: body must be a JSON object", "body")
            continue
        if endpoint.endswith("/chat/completions"):
            messages = body.get("messages")
            if not isinstance(messages, list) or not messages:
                result.add(number, "missing_required_parameter",
                           f"line {number}: body.messages must be a non-empty list", "body.messages")
        else:  # /v1/embeddings, /v1/responses
            given = body.get("input")
            if not (isinstance(given, str) or (isinstance(given, list) and given)):
                result.add(number, "missing_required_parameter",
                           f"line {number}: body.input must be a text or a non-empty list", "body.input")
        model = body.get("model")
        if not isinstance(model, str) or not model:
            result.add(number, "missing_required_parameter", f"line {number}: body.model must be a string",
                       "body.model")
            continue
        if result.model is None:
            result.model = model
            if models_problem is not None:
                result.add(number, "model_unavailable", f"line {number}: {models_problem}", "body.model")
            elif active_models is not None and model not in active_models:
                result.add(number, "model_not_found",
                           f"line {number}: model {model!r} is not active here "
                           f"(active: {', '.join(sorted(active_models))})", "body.model")
        elif model != result.model:
            result.add(number, "mismatched_model",
                       f"line {number}: model {model!r} differs from {result.model!r} of the first line; "
                       "all lines of a batch file must use the same model", "body.model")
    if result.total == 0 and not result.error_count:
        result.add(None, "empty_file", "the input file contains no requests")
    if result.error_count > len(result.errors):
        result.errors.append({"code": "too_many_errors", "line": None, "param": None,
                              "message": f"{result.error_count - len(result.errors)} more errors not listed"})
    return result


# ---- one batch -----------------------------------------------------------------------------


def _open_at(path: Path, size: int) -> IO[bytes]:
    """Open a partial output file for appending, cut back to ``size`` bytes."""
    handle = open(path, "r+b" if path.exists() else "w+b")  # noqa: SIM115 - returned to the caller, who closes it
    handle.truncate(size)
    handle.seek(size)
    return handle


class _BatchRun:
    """Processes one claimed batch until it is finished, stopped or interrupted."""

    def __init__(self, worker: Worker, batch_id: str) -> None:
        self.worker = worker
        self.store = worker.store
        self.batch_id = batch_id
        self.cancel_seen = threading.Event()

    def stop_requested(self) -> bool:
        return self.worker.stopping.is_set()

    def run(self) -> None:
        row = self.store.get_batch(self.batch_id)
        if row is None:
            return
        if row.status == "validating":
            row = self._validate(row)
        if row.status == "cancelling" and row.in_progress_at is None:
            self._finish(row, "cancelled")
        elif row.status in ("in_progress", "cancelling"):
            self._process(row)
        elif row.status == "finalizing":
            self._finish(row, "completed")

    def _validate(self, row: BatchRow) -> BatchRow:
        now = time.time()
        if now >= row.deadline:
            self._finish(row, "expired")
            return self.store.get_batch(row.id) or row
        models_problem = None
        try:
            active = {m.id for m in self.worker.engine.models()}
        except EngineUnavailable as exc:
            active, models_problem = None, str(exc)
        input_path = self.store.blob_path(row.input_file_id)
        if not input_path.exists():
            checked = _Validation()
            checked.add(None, "file_not_found", f"input file {row.input_file_id} no longer exists")
        else:
            checked = validate_input(input_path, endpoint=row.endpoint, active_models=active,
                                     models_problem=models_problem)
        if checked.error_count:
            self.store.update_batch(
                row.id, only_if_status=("validating",), status="failed", failed_at=int(time.time()),
                model=checked.model, errors=dumps({"object": "list", "data": checked.errors}),
                lease_owner=None, lease_until=None,
            )
        else:
            self.store.update_batch(
                row.id, only_if_status=("validating",), status="in_progress", in_progress_at=int(time.time()),
                model=checked.model, total=checked.total,
                planned_output_file_id=new_id("file-"), planned_error_file_id=new_id("file-"),
            )
        return self.store.get_batch(row.id) or row

    def _process(self, row: BatchRow) -> None:
        output_path, error_path = self.store.partial_paths(row.id)
        output = _open_at(output_path, row.output_bytes)
        errors = _open_at(error_path, row.error_bytes)
        completed, failed, next_line = row.completed, row.failed, row.next_line
        deadline = row.deadline
        outcome = "completed"

        def should_stop() -> bool:
            return self.stop_requested() or self.cancel_seen.is_set() or time.time() >= deadline

        def checkpoint() -> None:
            output.flush()
            errors.flush()
            self.store.update_batch(row.id, completed=completed, failed=failed, next_line=next_line,
                                    output_bytes=output.tell(), error_bytes=errors.tell())
            current = self.store.get_batch(row.id)
            if current is not None and current.status == "cancelling":
                self.cancel_seen.set()

        if row.status == "cancelling":
            self.cancel_seen.set()
        # (line number after the request, custom_id) of requests handed to the engine, in order.
        queued: deque[tuple[int, str]] = deque()

        def requests() -> Iterator[EngineRequest]:
            for index, raw in iter_lines(self.store.blob_path(row.input_file_id), start=row.next_line):
                if not raw.strip():
                    continue
                line = json.loads(raw)
                queued.append((index + 1, line["custom_id"]))
                yield EngineRequest(line["custom_id"], line["body"], row.endpoint)

        results = self.worker.engine.map(requests(), should_stop)
        since_checkpoint, last_checkpoint = 0, time.monotonic()
        try:
            if not should_stop():
                for result in results:
                    line_end, custom_id = queued.popleft()
                    record = _output_record(custom_id, new_id("req_"), result)
                    if result.ok:
                        output.write(record)
                        completed += 1
                    else:
                        errors.write(record)
                        failed += 1
                    next_line = line_end
                    since_checkpoint += 1
                    if since_checkpoint >= CHECKPOINT_LINES or \
                            time.monotonic() - last_checkpoint >= CHECKPOINT_SECONDS:
                        checkpoint()
                        since_checkpoint, last_checkpoint = 0, time.monotonic()
                    if should_stop():
                        break
            # Everything answered, or why we stopped early:
            if self.stop_requested() and completed + failed < row.total:
                outcome = "stopped"
            elif self.cancel_seen.is_set():
                outcome = "cancelled"
            elif completed + failed < row.total:
                outcome = "expired"
        finally:
            results.close()
            checkpoint()
            output.close()
            errors.close()
        if outcome == "stopped":
            self.store.release_lease(row.id, self.worker.lease_owner)
            return
        current = self.store.get_batch(row.id) or row
        if outcome == "completed" and current.status == "cancelling":
            outcome = "cancelled"
        self._finish(current, outcome)

    def _finish(self, row: BatchRow, outcome: str) -> None:
        """Publish partial or full output and move to the final status."""
        now = int(time.time())
        if outcome == "completed":
            self.store.update_batch(row.id, only_if_status=("in_progress", "finalizing"),
                                    status="finalizing", finalizing_at=row.finalizing_at or now)
            delay = self.worker.finalize_delay
            if delay and self.worker.stopping.wait(delay):
                self.store.release_lease(row.id, self.worker.lease_owner)
                return
        output_path, error_path = self.store.partial_paths(row.id)
        produced: list[dict[str, Any]] = []
        file_ids: dict[str, str | None] = {"output_file_id": None, "error_file_id": None}
        for column, planned, count, partial, suffix in (
            ("output_file_id", row.planned_output_file_id, row.completed, output_path, "output"),
            ("error_file_id", row.planned_error_file_id, row.failed, error_path, "error"),
        ):
            if planned is None:
                continue
            target = self.store.blob_path(planned)
            if count and partial.exists():
                os.replace(partial, target)
            else:
                partial.unlink(missing_ok=True)
            if count and target.exists():
                file_ids[column] = planned
                produced.append({
                    "id": planned, "owner": row.owner, "filename": f"{row.id}_{suffix}.jsonl",
                    "purpose": "batch_output", "bytes": target.stat().st_size, "created_at": now,
                    "expires_at": now + FILE_RETENTION_SECONDS,
                })
        stamp = {"completed": "completed_at", "cancelled": "cancelled_at", "expired": "expired_at"}[outcome]
        self.store.finish_batch(row.id, files=produced, status=outcome, **{stamp: now}, **file_ids)
        log.debug("batch %s %s (%d ok, %d failed)", row.id, outcome, row.completed, row.failed)


def _output_record(custom_id: str, request_id: str, result: EngineResult) -> bytes:
    if result.status_code is None:
        record: dict[str, Any] = {"id": "batch_req_" + request_id[4:], "custom_id": custom_id,
                                  "response": None, "error": result.error}
    else:
        record = {"id": "batch_req_" + request_id[4:], "custom_id": custom_id,
                  "response": {"status_code": result.status_code, "request_id": request_id, "body": result.body},
                  "error": None}
    return (json.dumps(record, separators=(",", ":"), ensure_ascii=False) + "\n").encode()


# ---- the scheduler ----------------------------------------------------------------------------


class Worker:
    """Claims active batches and runs them in background threads."""

    def __init__(self, store: Store, engine: Engine, *, parallel_batches: int = 4,
                 finalize_delay: float = 0.0) -> None:
        self.store = store
        self.engine = engine
        self.parallel_batches = parallel_batches
        self.finalize_delay = finalize_delay
        self.lease_owner = store.new_lease_owner(secrets.token_hex(6))
        self.stopping = threading.Event()
        self._wake = threading.Event()
        self._runs: dict[str, tuple[threading.Thread, _BatchRun]] = {}
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._loop, name="specrun-local-scheduler", daemon=True)
            self._thread.start()

    def wake(self) -> None:
        """Look for work now (a batch was created or cancelled)."""
        self._wake.set()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop claiming, let running batches checkpoint, release their leases."""
        self.stopping.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
        deadline = time.monotonic() + timeout
        for thread, _ in list(self._runs.values()):
            thread.join(max(0.0, deadline - time.monotonic()))

    def _loop(self) -> None:
        while not self.stopping.is_set():
            try:
                self._tick()
            except Exception:  # keep serving; a broken batch must not stop the others
                log.exception("specrun local worker: scheduling failed")
            self._wake.wait(HEARTBEAT_SECONDS)
            self._wake.clear()

    def _tick(self) -> None:
        with self._lock:
            for batch_id in [b for b, (t, _) in self._runs.items() if not t.is_alive()]:
                del self._runs[batch_id]
        held = self.store.renew_leases(self.lease_owner)
        for batch_id, status in held.items():
            entry = self._runs.get(batch_id)
            if entry is not None and status == "cancelling":
                entry[1].cancel_seen.set()
        if len(self._runs) >= self.parallel_batches:
            return
        for batch_id in self.store.claimable_batch_ids():
            if self.stopping.is_set() or len(self._runs) >= self.parallel_batches:
                return
            if batch_id in self._runs or not self.store.claim_batch(batch_id, self.lease_owner):
                continue
            run = _BatchRun(self, batch_id)
            thread = threading.Thread(target=self._run, args=(run,), name=f"specrun-batch-{batch_id}", daemon=True)
            with self._lock:
                self._runs[batch_id] = (thread, run)
            thread.start()

    def _run(self, run: _BatchRun) -> None:
        try:
            run.run()
        except Exception as exc:
            # Fail the batch rather than retry it forever: the error says what broke.
            log.exception("specrun local worker: batch %s failed unexpectedly", run.batch_id)
            self.store.update_batch(
                run.batch_id, only_if_status=("validating", "in_progress", "finalizing", "cancelling"),
                status="failed", failed_at=int(time.time()),
                errors=dumps({"object": "list", "data": [{
                    "code": "internal_error", "line": None, "param": None,
                    "message": f"the local provider could not process this batch: {type(exc).__name__}: {exc}",
                }]}),
            )
        finally:
            self.store.release_lease(run.batch_id, self.lease_owner)
            self._wake.set()  # a slot is free
