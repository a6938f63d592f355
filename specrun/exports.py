"""Exports: a job's results in more formats beside its JSONL (DESIGN §8, ``exports:``).

Every format gets the same columns: ``custom_id, index, status, content, error_code,
error_message, prompt_tokens, completion_tokens, reused``, then ``embedding`` when the
lines carry one (an embeddings job: compact JSON in CSV, a list of float64 in Parquet),
then ``parsed`` flattened one level (``parsed.<key>`` per key when every parsed value is an object, else a single
``parsed`` column; none when no line has one), then ``row.<column>`` per input column,
in order of first appearance. Objects and arrays inside a cell are compact JSON text.

The results file is streamed, never held: one pass learns the columns (and for Parquet
each column's type), then one pass per export writes it. An export is written to a temp
file beside it and replaces the old file only when the bytes differ, so an unchanged
export keeps its mtime and inode; the umask decides a new file's mode.
"""

from __future__ import annotations

import contextlib
import csv
import json
import os
import tempfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import IO, Any

from specrun._files import use_default_mode
from specrun._parquet import require_pyarrow
from specrun._text import safe
from specrun.errors import DataError, SpecError

__all__ = ["ExportSummary", "EXPORT_FORMATS", "write_exports"]

#: Extensions an export can have (lower case).
EXPORT_FORMATS = (".csv", ".parquet")

#: Rows per Parquet record batch (and row group): the only rows held in memory while writing.
_PARQUET_BATCH = 10_000
_CHUNK = 1 << 20


@dataclass(frozen=True)
class ExportSummary:
    path: Path
    rows: int
    rewritten: bool                   # False when the file already held exactly these bytes


def write_exports(results: Path, targets: Sequence[Path]) -> list[ExportSummary]:
    """Write the results file ``results`` once per target, in the format its extension names.

    An unknown extension (``SpecError``) or a Parquet target without pyarrow
    (``MissingExtra``) is refused before anything is written.
    """
    for target in targets:
        if target.suffix.lower() not in EXPORT_FORMATS:
            what = f"unknown extension {target.suffix!r}" if target.suffix else "no extension"
            raise SpecError(f"cannot export results to {_shown(target)}: {what}; "
                            f"supported: {', '.join(EXPORT_FORMATS)}")
    for target in targets:  # before anything is written
        if target.suffix.lower() == ".parquet":
            require_pyarrow(f"writing {_shown(target)}")
    if not targets:
        return []
    layout = _scan(results)
    summaries = []
    for target in targets:
        write = _write_csv if target.suffix.lower() == ".csv" else _write_parquet
        rows, rewritten = _replace_if_changed(target, partial(write, results, layout))
        summaries.append(ExportSummary(target, rows, rewritten))
    return summaries


# ---------------------------------------------------------------- columns

# Value kinds seen in a column, as bits: the Parquet type follows from their union.
_BOOL, _INT, _FLOAT, _TEXT, _JSON = 1, 2, 4, 8, 16
_VECTOR = 32                          # the embedding column: a list of numbers (list<double> in Parquet)
_INT64 = range(-(2**63), 2**63)


def _kind(value: Any) -> int:
    if value is None:
        return 0
    if isinstance(value, bool):
        return _BOOL
    if isinstance(value, int):
        return _INT if value in _INT64 else _TEXT
    if isinstance(value, float):
        return _FLOAT
    if isinstance(value, (dict, list)):
        return _JSON
    return _TEXT


def _text(value: Any) -> str | None:
    """A cell as text: strings as they are, ``true``/``false``, numbers and JSON values as compact JSON."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def _count(value: Any) -> int | None:
    """A token count or index: an integer, or None for anything else."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value in _INT64 else None
    if isinstance(value, float) and value.is_integer():
        return _count(int(value))
    return None


def _vector(value: Any) -> list[float] | None:
    """An embedding: its numbers as floats (None for anything that is not a list of numbers)."""
    if isinstance(value, list) and all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in value):
        return [float(x) for x in value]
    return None


def _flag(value: Any) -> bool | None:
    return value if isinstance(value, bool) else None


def _error(record: Mapping[str, Any], key: str) -> str | None:
    error = record.get("error")
    return _text(error.get(key)) if isinstance(error, dict) else None


def _usage(record: Mapping[str, Any], key: str) -> int | None:
    usage = record.get("usage")
    return _count(usage.get(key)) if isinstance(usage, dict) else None


#: The columns every export starts with: name, Parquet type, value from a result line.
_FIXED: tuple[tuple[str, str, Callable[[Mapping[str, Any]], Any]], ...] = (
    ("custom_id", "string", lambda record: _text(record.get("custom_id"))),
    ("index", "int64", lambda record: _count(record.get("index"))),
    ("status", "string", lambda record: _text(record.get("status"))),
    ("content", "string", lambda record: _text(record.get("content"))),
    ("error_code", "string", lambda record: _error(record, "code")),
    ("error_message", "string", lambda record: _error(record, "message")),
    ("prompt_tokens", "int64", lambda record: _usage(record, "prompt_tokens")),
    ("completion_tokens", "int64", lambda record: _usage(record, "completion_tokens")),
    ("reused", "bool", lambda record: _flag(record.get("reused"))),
)


@dataclass
class _Layout:
    """What the first pass learned: the columns after the fixed ones, and the kinds of their values."""

    parsed_keys: dict[str, int] = field(default_factory=dict)  # key → kinds, for parsed objects
    parsed_whole: int = 0             # kinds of the parsed values themselves
    parsed_seen: bool = False         # some line has a parsed value
    parsed_flat: bool = True          # every parsed value is an object
    row_columns: dict[str, int] = field(default_factory=dict)  # input column → kinds
    embedding: bool = False           # the lines carry an embedding (an embeddings job's results)

    def names(self) -> list[str]:
        return ([name for name, _, _ in _FIXED] + (["embedding"] if self.embedding else []) + self._parsed_names()
                + [f"row.{column}" for column in self.row_columns])

    def _parsed_names(self) -> list[str]:
        if not self.parsed_seen:
            return []
        return [f"parsed.{key}" for key in self.parsed_keys] if self.parsed_flat else ["parsed"]

    def kinds(self) -> list[int]:
        """Kinds of the columns after the fixed ones, in order."""
        parsed = (list(self.parsed_keys.values()) if self.parsed_flat else [self.parsed_whole]) \
            if self.parsed_seen else []
        return ([_VECTOR] if self.embedding else []) + parsed + list(self.row_columns.values())

    def values(self, record: Mapping[str, Any]) -> list[Any]:
        """One result line as the export's cells (raw values; each writer turns them into its types)."""
        cells = [value_of(record) for _, _, value_of in _FIXED]
        if self.embedding:
            cells.append(_vector(record.get("embedding")))
        parsed = record.get("parsed")
        if self.parsed_seen:
            if not self.parsed_flat:
                cells.append(parsed)
            elif isinstance(parsed, dict):
                cells.extend(parsed.get(key) for key in self.parsed_keys)
            else:
                cells.extend([None] * len(self.parsed_keys))
        row = record.get("row")
        row = row if isinstance(row, dict) else {}
        cells.extend(row.get(column) for column in self.row_columns)
        return cells


def _scan(results: Path) -> _Layout:
    """First pass: the columns, in order of first appearance, and the kinds of their values."""
    layout = _Layout()
    parsed_keys, row_columns = layout.parsed_keys, layout.row_columns
    for record in _records(results):
        layout.embedding = layout.embedding or "embedding" in record
        parsed = record.get("parsed")
        if parsed is not None:
            layout.parsed_seen = True
            layout.parsed_whole |= _kind(parsed)
            if isinstance(parsed, dict):
                for key, value in parsed.items():
                    parsed_keys[key] = parsed_keys.get(key, 0) | _kind(value)
            else:
                layout.parsed_flat = False
        row = record.get("row")
        if isinstance(row, dict):
            for column, value in row.items():
                row_columns[column] = row_columns.get(column, 0) | _kind(value)
    return layout


def _records(results: Path) -> Iterator[dict[str, Any]]:
    """The result lines, one at a time."""
    try:
        with open(results, "rb") as handle:
            for number, line in enumerate(handle, 1):
                if not line.strip():
                    continue
                try:
                    record = json.loads(line)
                except (ValueError, RecursionError) as exc:
                    raise DataError(f"results file {_shown(results)} line {number} is not JSON: "
                                    f"{safe(exc, 200)}") from None
                if not isinstance(record, dict):
                    raise DataError(f"results file {_shown(results)} line {number} is not a JSON object")
                yield record
    except FileNotFoundError:
        raise DataError(f"results file {_shown(results)} not found: nothing to export") from None
    except OSError as exc:
        raise DataError(f"cannot read results file {_shown(results)}: {exc.strerror or exc}") from None


# ---------------------------------------------------------------- CSV


class _Utf8:
    """What ``csv.writer`` writes to: text out as UTF-8 (a lone surrogate as its ``\\udXXX`` escape)."""

    def __init__(self, handle: IO[bytes]) -> None:
        self.handle = handle

    def write(self, text: str) -> int:
        self.handle.write(text.encode("utf-8", "backslashreplace"))
        return len(text)


def _write_csv(results: Path, layout: _Layout, handle: IO[bytes]) -> int:
    writer = csv.writer(_Utf8(handle))
    writer.writerow(layout.names())
    rows = 0
    for record in _records(results):
        writer.writerow(["" if value is None else _text(value) for value in layout.values(record)])
        rows += 1
    return rows


# ---------------------------------------------------------------- Parquet


def _parquet_type(kinds: int) -> str:
    if kinds == _VECTOR:
        return "list<double>"
    if kinds == _BOOL:
        return "bool"
    if kinds == _INT:
        return "int64"
    if kinds and not kinds & ~(_INT | _FLOAT):
        return "float64"
    return "string"  # text, JSON, mixed kinds, or only nulls


def _as(type_name: str) -> Callable[[Any], Any]:
    if type_name == "string":
        return _text
    if type_name == "float64":
        return lambda value: None if value is None else float(value)
    return lambda value: value


def _write_parquet(results: Path, layout: _Layout, handle: IO[bytes]) -> int:
    import pyarrow as pa  # write_exports checked that the parquet extra is installed
    import pyarrow.parquet as pq

    type_names = [type_name for _, type_name, _ in _FIXED] + [_parquet_type(kinds) for kinds in layout.kinds()]
    names = layout.names()
    schema = pa.schema([pa.field(name, pa.list_(pa.float64()) if type_name == "list<double>"
                                 else pa.type_for_alias(type_name))
                        for name, type_name in zip(names, type_names, strict=True)])
    converters = [_as(type_name) for type_name in type_names]
    rows = 0
    # Fixed options, and nothing in the file that depends on the time: the same results
    # give the same bytes, so an unchanged export is found unchanged.
    with pq.ParquetWriter(handle, schema, compression="snappy", version="2.6", use_dictionary=True,
                          write_statistics=True) as writer:
        batch: list[list[Any]] = []
        for record in _records(results):
            batch.append([convert(value) for convert, value in zip(converters, layout.values(record), strict=True)])
            if len(batch) >= _PARQUET_BATCH:
                writer.write_batch(_record_batch(pa, batch, schema))
                rows += len(batch)
                batch = []
        if batch:
            writer.write_batch(_record_batch(pa, batch, schema))
            rows += len(batch)
    return rows


def _record_batch(pa: Any, rows: list[list[Any]], schema: Any) -> Any:
    columns = list(zip(*rows, strict=True))
    arrays = []
    for values, column in zip(columns, schema, strict=True):
        try:
            arrays.append(pa.array(values, type=column.type))
        except UnicodeEncodeError:  # a lone surrogate (read from JSON): Parquet text is UTF-8
            arrays.append(pa.array([_utf8_safe(value) for value in values], type=column.type))
    return pa.RecordBatch.from_arrays(arrays, schema=schema)


def _utf8_safe(value: Any) -> Any:
    if isinstance(value, str):
        return value.encode("utf-8", "backslashreplace").decode("utf-8")
    return value


# ---------------------------------------------------------------- files


def _replace_if_changed(path: Path, write: Callable[[IO[bytes]], int]) -> tuple[int, bool]:
    """Write to a temp file beside ``path``; replace ``path`` only when the bytes differ.

    Returns what ``write`` returned (the rows) and whether ``path`` was replaced.
    """
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise DataError(f"cannot write {_shown(path)}: {exc.strerror or exc}") from None
    try:
        use_default_mode(fd)  # exports are the user's files: the umask decides, not mkstemp's 0600
        with os.fdopen(fd, "wb") as handle:
            rows = write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        rewritten = not _same_bytes(Path(tmp), path)
        if rewritten:
            os.replace(tmp, path)
        else:
            os.unlink(tmp)
    except OSError as exc:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise DataError(f"cannot write {_shown(path)}: {exc.strerror or exc}") from None
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    return rows, rewritten


def _same_bytes(new: Path, old: Path) -> bool:
    """True when ``old`` is a file holding exactly ``new``'s bytes (sizes first: most changes stop there)."""
    try:
        if not old.is_file() or old.stat().st_size != new.stat().st_size:
            return False
        with open(new, "rb") as first, open(old, "rb") as second:
            while True:
                chunk = first.read(_CHUNK)
                if chunk != second.read(_CHUNK):
                    return False
                if not chunk:
                    return True
    except OSError:
        return False


def _shown(path: Path) -> str:
    """A path for messages: relative to the working directory when it is inside it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except (ValueError, OSError):
        return str(path)
