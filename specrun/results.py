"""Join the provider's output and error files back to the input rows.

Output files hold one line per successful request, error files one per failed
request; neither is in input order. The join reads them into a map keyed by
``custom_id`` (a later file wins unless an earlier one already holds an ``ok``
result, so retries merge cleanly) and then streams the input requests in order,
writing one result line per row.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Iterator, Mapping

from specrun._files import use_default_mode
from specrun.errors import ProviderError

__all__ = ["RowResult", "ResultsSummary", "UNANSWERED_CODES", "is_answer", "parse_result_line", "load_results",
           "join_rows", "write_results", "file_sha256"]

#: Error codes that mean "this request was never answered" (the batch ended first):
#: such a row has no result yet, and a retry re-sends it.
UNANSWERED_CODES = frozenset({"missing", "batch_expired", "batch_cancelled", "batch_failed"})


@dataclass(frozen=True)
class RowResult:
    status: str                       # ok | error
    content: str | None
    error: dict[str, Any] | None
    usage: dict[str, Any] | None


def is_answer(result: "RowResult | None") -> bool:
    """True when the provider answered the request (ok, or a row-level error)."""
    if result is None:
        return False
    return result.status == "ok" or (result.error or {}).get("code") not in UNANSWERED_CODES


@dataclass(frozen=True)
class ResultsSummary:
    sha256: str
    ok: int
    error: int
    skipped: int
    prompt_tokens: int
    completion_tokens: int
    rewritten: bool                   # False when the file was already byte-identical
    unanswered: int = 0               # error rows never answered (batch ended first); counted in ``error``


def parse_result_line(obj: Mapping[str, Any]) -> tuple[str, RowResult]:
    """One line of an output or error file → (custom_id, RowResult)."""
    custom_id = str(obj.get("custom_id"))
    error = obj.get("error")
    response = obj.get("response") or {}
    body = response.get("body") if isinstance(response, dict) else None
    status_code = response.get("status_code") if isinstance(response, dict) else None
    if error:
        return custom_id, RowResult("error", None, _error_of(error), None)
    if isinstance(status_code, int) and status_code >= 400:
        err = body.get("error") if isinstance(body, dict) else None
        detail = _error_of(err) if err else {"code": str(status_code), "message": f"HTTP {status_code}"}
        return custom_id, RowResult("error", None, detail, None)
    if not isinstance(body, dict):
        return custom_id, RowResult("error", None, {"code": "invalid_response", "message": "response has no body"}, None)
    choices = body.get("choices") or []
    content = None
    if choices and isinstance(choices[0], dict):
        message = choices[0].get("message") or {}
        content = message.get("content")
    return custom_id, RowResult("ok", content, None, body.get("usage"))


def _error_of(err: Any) -> dict[str, Any]:
    if isinstance(err, dict):
        code = err.get("code") or err.get("type") or "error"
        return {"code": str(code), "message": str(err.get("message") or code)}
    return {"code": "error", "message": str(err)}


def load_results(paths: Iterable[Path]) -> dict[str, RowResult]:
    """Read output/error files (oldest first) into ``custom_id → RowResult``."""
    results: dict[str, RowResult] = {}
    for path in paths:
        with open(path, "rb") as handle:
            for lineno, raw in enumerate(handle, start=1):
                if not raw.strip():
                    continue
                try:
                    obj = json.loads(raw)
                except json.JSONDecodeError as exc:
                    raise ProviderError(f"result file {path.name} line {lineno} is not JSON: {exc.msg}") from exc
                if not isinstance(obj, dict):
                    raise ProviderError(f"result file {path.name} line {lineno} is not a JSON object "
                                        f"(got {type(obj).__name__})")
                custom_id, result = parse_result_line(obj)
                previous = results.get(custom_id)
                if previous is not None and previous.status == "ok" and result.status != "ok":
                    continue
                results[custom_id] = result
    return results


def join_rows(
    requests: Iterable[Any],
    results: Mapping[str, RowResult],
    *,
    missing_reason: str = "no result from the provider",
) -> Iterator[dict[str, Any]]:
    """Yield one result record per input request, in input order (pure).

    A request with a ``skip_reason`` (``on_too_long: skip``) was never sent: its
    record says ``skipped`` and why.
    """
    for request in requests:
        custom_id = request.custom_id
        record: dict[str, Any] = {"custom_id": custom_id, "index": request.index}
        result = results.get(custom_id)
        skip_reason = getattr(request, "skip_reason", None)
        if skip_reason is not None:
            record.update(status="skipped", content=None,
                          error={"code": "skipped", "message": skip_reason}, usage=None)
        elif result is None:
            record.update(status="error", content=None,
                          error={"code": "missing", "message": missing_reason}, usage=None)
        else:
            record.update(status=result.status, content=result.content, error=result.error, usage=result.usage)
        record["row"] = dict(request.row)
        yield record


def write_results(path: Path, records: Iterable[Mapping[str, Any]]) -> ResultsSummary:
    """Write result records as JSONL atomically; leave an identical file untouched."""
    path.parent.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    counts = {"ok": 0, "error": 0, "skipped": 0}
    unanswered = 0
    prompt_tokens = completion_tokens = 0
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        use_default_mode(fd)  # results are the user's files: the umask decides, not mkstemp's 0600
        with os.fdopen(fd, "wb") as handle:
            for record in records:
                line = json.dumps(record, ensure_ascii=False, separators=(",", ":")).encode("utf-8") + b"\n"
                digest.update(line)
                handle.write(line)
                counts[record["status"]] = counts.get(record["status"], 0) + 1
                if record["status"] == "error" and (record.get("error") or {}).get("code") in UNANSWERED_CODES:
                    unanswered += 1
                usage = record.get("usage") or {}
                prompt_tokens += int(usage.get("prompt_tokens") or 0)
                completion_tokens += int(usage.get("completion_tokens") or 0)
            handle.flush()
            os.fsync(handle.fileno())
        sha = digest.hexdigest()
        rewritten = not (path.exists() and file_sha256(path) == sha)
        if rewritten:
            os.replace(tmp, path)
        else:
            os.unlink(tmp)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return ResultsSummary(sha, counts["ok"], counts["error"], counts["skipped"],
                          prompt_tokens, completion_tokens, rewritten, unanswered)


def file_sha256(path: Path) -> str:
    """sha256 of a file's bytes, read in 1 MB chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()

