"""Join the provider's output and error files back to the input rows.

Output files hold one line per successful request, error files one per failed
request; neither is in input order. The join reads them into a map keyed by
``custom_id`` (a later file wins unless an earlier one already holds an ``ok``
result, so retries merge cleanly) and then streams the input requests in order,
writing one result line per row.

An answer is read by its shape (``specrun._endpoints``): a chat completion's message
text, a Responses API object's ``output_text`` (its usage renamed to the chat names:
``input_tokens`` → ``prompt_tokens``, ``output_tokens`` → ``completion_tokens``), or an
embeddings list's vector (``data[0].embedding``: floats, or base64 float32s as
``encoding_format: base64`` sends them), kept as an ``array('d')``: 8 bytes a number,
exactly the floats the provider wrote. The result line of an embeddings request carries it
as ``"embedding"`` (a list of numbers, null on error), beside a null ``content``.

The provider wrote those files, so nothing in them is trusted to have the expected
shape: a field of the wrong type becomes a row error or is dropped, ``NaN``/``Infinity``
numbers read as null, and a line that is not JSON (or nested too deeply to read) is a
``ProviderError`` naming the file and line. Results are written as strict JSON: a
record that cannot be (a value that is not JSON) is a ``DataError``, never a
non-JSON line.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import math
import os
import sys
import tempfile
from array import array
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, TypeGuard

from specrun._endpoints import CHAT_COMPLETIONS, endpoint
from specrun._files import file_sha256, use_default_mode
from specrun._text import quoted
from specrun.errors import DataError, ProviderError

__all__ = ["RowResult", "ResultsSummary", "UNANSWERED_CODES", "is_answer", "parse_result_line", "load_results",
           "merge_results",
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
    source: str | None = field(default=None, compare=False)  # the provider file it was read from
    parsed: Any = field(default=None, compare=False)  # a structured answer's JSON value (specrun.structured)
    embedding: array[float] | None = None  # an embeddings answer's vector (float64s; content is None then)


def is_answer(result: RowResult | None) -> TypeGuard[RowResult]:
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
    reused: int = 0                   # rows answered from the row ledger, not by the job's own batches
    fresh_prompt_tokens: int = 0      # usage of the rows the job's own batches answered
    fresh_completion_tokens: int = 0


def parse_result_line(obj: Mapping[str, Any]) -> tuple[str, RowResult]:
    """One line of an output or error file → (custom_id, RowResult)."""
    custom_id = _text(obj.get("custom_id"))
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
        no_body = {"code": "invalid_response", "message": "response has no body"}
        return custom_id, RowResult("error", None, no_body, None)
    if "choices" not in body:
        if body.get("object") == "list" or isinstance(body.get("data"), list):
            return custom_id, _embedding_answer(body)
        if body.get("object") == "response" or isinstance(body.get("output"), list):
            return custom_id, _responses_answer(body)
    choices = body.get("choices")
    content = None
    if isinstance(choices, list) and choices and isinstance(choices[0], dict):
        message = choices[0].get("message")
        content = message.get("content") if isinstance(message, dict) else None
    if content is not None and not isinstance(content, str):
        return custom_id, RowResult("error", None, {"code": "invalid_response",
                                                    "message": "the answer's message content is not text"}, None)
    return custom_id, RowResult("ok", content, None, _usage_of(body.get("usage")))


def _invalid(message: str) -> RowResult:
    return RowResult("error", None, {"code": "invalid_response", "message": message}, None)


def _embedding_answer(body: Mapping[str, Any]) -> RowResult:
    """An embeddings list (``/v1/embeddings``): the vector of its first input."""
    data = body.get("data")
    items = [item for item in data if isinstance(item, dict)] if isinstance(data, list) else []
    first = next((item for item in items if item.get("index") == 0), items[0] if items else None)
    vector = vector_of(first.get("embedding")) if first is not None else None
    if vector is None:
        return _invalid("the answer holds no embedding (a list of finite numbers, or base64 float32s)")
    return RowResult("ok", None, None, _usage_of(body.get("usage")), embedding=vector)


def vector_of(value: Any) -> array[float] | None:
    """An embedding as a provider sent it (numbers, or base64 of little-endian float32s), or None."""
    if isinstance(value, str):
        try:
            raw = base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            return None
        if len(raw) % 4:
            return None
        floats = array("f", raw)
        if sys.byteorder == "big":
            floats.byteswap()
        vector = array("d", floats)
    elif isinstance(value, list) and all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in value):
        try:
            vector = array("d", value)
        except OverflowError:  # an integer past the float range
            return None
    else:
        return None
    return vector if all(map(math.isfinite, vector)) else None


#: Responses API usage names → the chat names result lines (and budgets, and the ledger) use.
_RESPONSES_USAGE = {"input_tokens": "prompt_tokens", "output_tokens": "completion_tokens",
                    "input_tokens_details": "prompt_tokens_details",
                    "output_tokens_details": "completion_tokens_details"}


def _responses_answer(body: Mapping[str, Any]) -> RowResult:
    """A Responses API object (``/v1/responses``): the text of its ``output_text`` parts, in order."""
    status = body.get("status")
    if status in ("failed", "cancelled") or body.get("error"):
        err = body.get("error")
        return RowResult("error", None, _error_of(err) if err else {"code": f"response_{_text(status, 50)}",
                                                                    "message": f"the response is {_text(status)}"},
                         None)
    texts = []
    output = body.get("output")
    for item in output if isinstance(output, list) else ():
        parts = item.get("content") if isinstance(item, dict) and item.get("type") == "message" else None
        for part in parts if isinstance(parts, list) else ():
            if isinstance(part, dict) and part.get("type") == "output_text":
                if not isinstance(part.get("text"), str):
                    return _invalid("the answer's output_text is not text")
                texts.append(part["text"])
    usage = body.get("usage")
    if isinstance(usage, dict):
        usage = {_RESPONSES_USAGE.get(key, key): value for key, value in usage.items()}
    return RowResult("ok", "".join(texts) if texts else None, None, _usage_of(usage))


def _error_of(err: Any) -> dict[str, Any]:
    if isinstance(err, dict):
        code = _text(err.get("code") or err.get("type") or "error", 200)
        return {"code": code, "message": _text(err.get("message") or code)}
    return {"code": "error", "message": _text(err)}


#: Longest error message kept from an output file (the rest is cut).
_MESSAGE_LIMIT = 10_000


def _text(value: Any, limit: int = _MESSAGE_LIMIT) -> str:
    """A provider value as text: strings as they are, anything else as short JSON."""
    if not isinstance(value, str):
        try:
            value = json.dumps(value, ensure_ascii=False, allow_nan=False)
        except (TypeError, ValueError, RecursionError):
            value = type(value).__name__
    return value if len(value) <= limit else value[:limit] + "…"


def _usage_of(usage: Any) -> dict[str, Any] | None:
    """The answer's ``usage`` with only plain values kept (numbers, text, one level of details)."""
    if not isinstance(usage, dict):
        return None
    return {key: value for key, value in usage.items()
            if isinstance(key, str) and (_plain(value) or (isinstance(value, dict) and _flat(value)))}


def _plain(value: Any) -> bool:
    return value is None or isinstance(value, (str, bool, int)) or (isinstance(value, float) and math.isfinite(value))


def _flat(value: dict[str, Any]) -> bool:
    return all(_plain(item) for item in value.values())


def _tokens(value: Any) -> int:
    """A token count from ``usage``: a non-negative integer, anything else counts as 0."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return 0
    if isinstance(value, float) and not (math.isfinite(value) and value.is_integer()):
        return 0
    return max(int(value), 0)


def _null_constant(name: str) -> None:
    return None  # NaN/Infinity are not JSON: a provider that writes them said nothing


def _finite_or_null(text: str) -> float | None:
    value = float(text)
    return None if math.isinf(value) else value


_PROVIDER_JSON = json.JSONDecoder(parse_constant=_null_constant, parse_float=_finite_or_null)


def load_results(paths: Iterable[Path | tuple[str, Path]]) -> dict[str, RowResult]:
    """Read output/error files (oldest first) into ``custom_id → RowResult``.

    An item may be ``(file_id, path)``: each result then names its ``source`` file.
    """
    results: dict[str, RowResult] = {}
    for item in paths:
        source, path = item if isinstance(item, tuple) else (None, item)
        with open(path, "rb") as handle:
            for lineno, raw in enumerate(handle, start=1):
                if not raw.strip():
                    continue
                try:
                    obj = _PROVIDER_JSON.decode(raw.decode("utf-8-sig"))
                except json.JSONDecodeError as exc:
                    raise ProviderError(f"result file {path.name} line {lineno} is not JSON: {exc.msg}") from exc
                except UnicodeDecodeError:
                    raise ProviderError(f"result file {path.name} line {lineno} is not JSON: "
                                        "not valid UTF-8") from None
                except RecursionError:
                    raise ProviderError(f"result file {path.name} line {lineno} is not JSON that can be read: "
                                        "nested too deeply") from None
                except ValueError as exc:  # a number of 4,300+ digits
                    raise ProviderError(f"result file {path.name} line {lineno} is not JSON that can be "
                                        f"read: {exc}") from None
                if not isinstance(obj, dict):
                    raise ProviderError(f"result file {path.name} line {lineno} is not a JSON object "
                                        f"(got {type(obj).__name__})")
                custom_id, result = parse_result_line(obj)
                _keep(results, custom_id, replace(result, source=source) if source is not None else result)
    return results


def merge_results(parts: Iterable[Mapping[str, RowResult]]) -> dict[str, RowResult]:
    """Results read file by file (oldest first), merged as ``load_results`` merges files."""
    results: dict[str, RowResult] = {}
    for part in parts:
        for custom_id, result in part.items():
            _keep(results, custom_id, result)
    return results


def _keep(results: dict[str, RowResult], custom_id: str, result: RowResult) -> None:
    """A later answer replaces an earlier one, unless the earlier is ok and the later is not (a retry
    round's errors never hide an answer)."""
    previous = results.get(custom_id)
    if previous is None or previous.status != "ok" or result.status == "ok":
        results[custom_id] = result


Lookup = Callable[[Sequence[str]], Mapping[str, RowResult]]

_JOIN_CHUNK = 2048


def join_rows(
    requests: Iterable[Any],
    results: Mapping[str, RowResult],
    *,
    missing_reason: str = "no result from the provider",
    ledger: Lookup | None = None,
    answered: Callable[[Any, RowResult], None] | None = None,
    check: Callable[[Any, RowResult], RowResult] | None = None,
    own_files: Collection[str] = (),
) -> Iterator[dict[str, Any]]:
    """Yield one result record per input request, in input order.

    ``results`` are the job's own answers (its batches' files), by the ``custom_id``
    they were sent with: the request's ledger ``key`` (specrun.ledger), or for
    requests sent before the ledger existed, the row's custom_id. ``ledger(keys)``
    answers the rest (those lines say ``"reused": true``); an ok answer beats an
    error wherever it comes from. ``answered(request, result)`` is told of every
    request the job's own batches answered (read from its files now, or from the ledger where
    the answer names one of ``own_files``). ``check``
    (structured output, specrun.structured) turns each request's answer into its checked
    form: ``parsed`` set, or the row error ``invalid_output``. ``own_files``: the job's own result
    files; a ledger answer read from one of them is the job's own, not reused.

    A request with a ``skip_reason`` (``on_too_long: skip``) was never sent: its
    record says ``skipped`` and why.
    """
    chunk: list[Any] = []
    for request in requests:
        chunk.append(request)
        if len(chunk) >= _JOIN_CHUNK:
            yield from _join_chunk(chunk, results, missing_reason, ledger, answered, check, own_files)
            chunk = []
    if chunk:
        yield from _join_chunk(chunk, results, missing_reason, ledger, answered, check, own_files)


def _join_chunk(chunk: list[Any], results: Mapping[str, RowResult], missing_reason: str,
                ledger: Lookup | None, answered: Callable[[Any, RowResult], None] | None,
                check: Callable[[Any, RowResult], RowResult] | None,
                own_files: Collection[str] = ()) -> Iterator[dict[str, Any]]:
    own: list[RowResult | None] = []
    for request in chunk:
        key = getattr(request, "key", "")
        result = results.get(key) if key else None
        own.append(result if result is not None else results.get(request.custom_id))
    wanted = [request.key for request, result in zip(chunk, own, strict=True)
              if getattr(request, "key", "") and getattr(request, "skip_reason", None) is None
              and (result is None or result.status != "ok")]
    stored = ledger(wanted) if (ledger is not None and wanted) else {}
    for request, result in zip(chunk, own, strict=True):
        record: dict[str, Any] = {"custom_id": request.custom_id, "index": request.index}
        wants_vector = endpoint(getattr(request, "url", CHAT_COMPLETIONS)).vector
        reused = False
        skip_reason = getattr(request, "skip_reason", None)
        if skip_reason is None:
            other = stored.get(getattr(request, "key", ""))
            if other is not None and (result is None or (result.status != "ok" and other.status == "ok")
                                      or not is_answer(result)):
                result, reused = other, other.source not in own_files
            if result is not None and not reused and answered is not None and is_answer(result):
                answered(request, result)
            if result is not None and check is not None:
                result = check(request, result)
            if wants_vector and result is not None and result.status == "ok" and result.embedding is None:
                result = _invalid("the answer to an embeddings request holds no vector")
        error: dict[str, Any] | None
        if skip_reason is not None:
            result = None
            record.update(status="skipped", content=None)
            error, usage = {"code": "skipped", "message": skip_reason}, None
        elif result is None:
            record.update(status="error", content=None)
            error, usage = {"code": "missing", "message": missing_reason}, None
        else:
            record.update(status=result.status, content=result.content)
            error, usage = result.error, result.usage
        if wants_vector:
            vector = result.embedding if result is not None and result.status == "ok" else None
            record["embedding"] = vector.tolist() if vector is not None else None
        record.update(error=error, usage=usage)
        record["parsed"] = result.parsed if result is not None else None
        record["reused"] = reused
        record["row"] = dict(request.row)
        yield record


def write_results(path: Path, records: Iterable[Mapping[str, Any]]) -> ResultsSummary:
    """Write result records as strict JSONL atomically; leave an identical file untouched.

    A record that is not JSON (NaN, a value nested too deeply) is a ``DataError`` and the
    old file stays as it was.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    counts = {"ok": 0, "error": 0, "skipped": 0}
    unanswered = reused = 0
    prompt_tokens = completion_tokens = fresh_prompt = fresh_completion = 0
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        use_default_mode(fd)  # results are the user's files: the umask decides, not mkstemp's 0600
        with os.fdopen(fd, "wb") as handle:
            for record in records:
                line = _json_line(record, path)
                digest.update(line)
                handle.write(line)
                counts[record["status"]] = counts.get(record["status"], 0) + 1
                if record["status"] == "error" and (record.get("error") or {}).get("code") in UNANSWERED_CODES:
                    unanswered += 1
                usage = record.get("usage")
                if isinstance(usage, Mapping):
                    prompt, completion = _tokens(usage.get("prompt_tokens")), _tokens(usage.get("completion_tokens"))
                    prompt_tokens += prompt
                    completion_tokens += completion
                    if not record.get("reused"):
                        fresh_prompt += prompt
                        fresh_completion += completion
                if record.get("reused"):
                    reused += 1
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
    return ResultsSummary(sha, counts["ok"], counts["error"], counts["skipped"], prompt_tokens, completion_tokens,
                          rewritten, unanswered, reused, fresh_prompt, fresh_completion)


def _json_line(record: Mapping[str, Any], path: Path) -> bytes:
    """One record as a strict JSON line (UTF-8; a lone surrogate written as its \\u escape)."""
    try:
        text = json.dumps(record, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
        try:
            return text.encode("utf-8") + b"\n"
        except UnicodeEncodeError:  # "\ud800" read from JSON: not UTF-8, but JSON can still say it
            return json.dumps(record, separators=(",", ":"), allow_nan=False).encode("ascii") + b"\n"
    except (TypeError, ValueError, RecursionError) as exc:
        if isinstance(exc, RecursionError):
            why = "a value is nested too deeply"
        elif isinstance(exc, TypeError):
            why = f"a value is not JSON ({exc})"
        else:
            why = "a value is NaN or infinite, which JSON cannot hold"
        raise DataError(f"cannot write the result for custom_id {quoted(record.get('custom_id'))} to "
                        f"{path.name}: {why}; the results file was not written") from None



