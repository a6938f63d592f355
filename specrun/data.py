"""Row sources: CSV, JSONL, JSON array and inline rows, each a streaming iterator.

Iterating a :class:`RowSource` yields ``(position, row)`` pairs, where ``row`` is a
dict and ``position`` is what a user needs to find the row again: the line where a
CSV record starts (the header is line 1), the line of a JSONL record, the index of
a JSON array item, the index in an inline ``rows:`` list. :meth:`RowSource.describe`
turns a position into words ("row 41 of data/articles.csv"). Nothing reads a whole
file into memory.

JSON rows must be plain JSON, because they are written back into the results: ``NaN``,
``Infinity`` and numbers too large for a float (``1e400``) are refused at read time,
naming the line and the field, and so is a row nested more than ``MAX_DEPTH`` levels
deep (Python would fail on it later, after the batch was paid for).
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import json
import math
import sys
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from specrun._files import hash_file
from specrun._text import json_kind, safe
from specrun.errors import DataError

__all__ = ["DataSpec", "RowSource", "DataFormat", "DATA_FORMATS", "register_format", "row_source", "FORMATS",
           "MAX_DEPTH", "format_from_extension"]

Reader = Callable[["RowSource"], Iterator[tuple[int, dict[str, Any]]]]


@dataclass(frozen=True)
class DataFormat:
    """One kind of data file: its name, its extensions, how to read it, how to name a row."""

    name: str                         # as written in ``data: {format: ...}``
    extensions: tuple[str, ...]       # lower-case, with the dot
    read: Reader                      # yields (position, row): position is what ``describe`` shows
    row_word: str                     # "row 41 of ...", "line 3 of ...", "item 7 of ..."
    position_in_brackets: bool = False  # data/x.json[3] rather than data/x.csv:41


#: Every data format by name (``register_format`` adds one: a new source is one reader).
DATA_FORMATS: dict[str, DataFormat] = {}
_EXTENSIONS: dict[str, str] = {}


def register_format(data_format: DataFormat) -> None:
    """Make a data format known by its name and its extensions."""
    DATA_FORMATS[data_format.name] = data_format
    for extension in data_format.extensions:
        _EXTENSIONS[extension] = data_format.name
_CHUNK = 1 << 20
#: Deepest nesting of arrays/objects a JSON row may have (the row itself is level 1).
MAX_DEPTH = 100
_DEEP_LENGTH = 2 * MAX_DEPTH  # shorter JSON text cannot nest that deep: skip the check

csv.field_size_limit(min(sys.maxsize, 2**31 - 1))  # a long article is not an error


def format_from_extension(path: str) -> str | None:
    """``csv``/``jsonl``/``json`` from a file name, or None when the extension says nothing."""
    return _EXTENSIONS.get(Path(path).suffix.lower())


@dataclass(frozen=True)
class DataSpec:
    """Where a job's rows come from: a file (path+format) or inline rows."""

    path: Path | None = None          # absolute, resolved against the spec's directory
    display_path: str | None = None   # as written in the spec (for messages: data/articles.csv)
    format: str | None = None         # csv | jsonl | json
    rows: tuple[Mapping[str, Any], ...] | None = None
    line: int | None = None           # spec line where `data`/`rows` is declared
    row_lines: tuple[int, ...] | None = None  # spec line of each inline row
    job: str | None = None            # a pipeline (DESIGN §8): the rows are this job's result lines
    include_errors: bool = False      # with job: the upstream's error lines too (default: ok lines only)


@dataclass(frozen=True)
class RowSource:
    """The rows of one job, ready to be iterated (any number of times)."""

    data: DataSpec
    spec_display: str = "specrun.yaml"

    @property
    def display(self) -> str:
        """How messages name the source: the data path as written, or the spec."""
        return self.data.display_path or self.spec_display

    def describe(self, position: int) -> str:
        """``row 41 of data/articles.csv``, ``item 3 of data/x.json``, ``rows[3] in specrun.yaml:12``."""
        if self.data.rows is not None:
            return f"rows[{position}] in {self.location(position)}"
        if self.data.job is not None:
            return f"line {position} of job '{self.data.job}' results ({self.display})"
        words = DATA_FORMATS[self.data.format or "csv"].row_word
        return f"{words} {position} of {self.display}"

    def location(self, position: int) -> str:
        """``data/articles.csv:41`` (a JSON array item: ``data/x.json[3]``)."""
        if self.data.rows is not None:
            lines = self.data.row_lines
            line = lines[position] if lines and position < len(lines) else self.data.line
            return f"{self.spec_display}:{line}" if line else self.spec_display
        if DATA_FORMATS[self.data.format or "csv"].position_in_brackets:
            return f"{self.display}[{position}]"
        return f"{self.display}:{position}"

    def __iter__(self) -> Iterator[tuple[int, dict[str, Any]]]:
        if self.data.rows is not None:
            return ((i, dict(row)) for i, row in enumerate(self.data.rows))
        return DATA_FORMATS[self.data.format or ""].read(self)

    def fingerprint(self) -> str:
        """sha256 of what the rows are made from: the inline rows, or the format and the file's bytes.

        An unreadable file hashes to a marker (the render that follows reports the error).
        """
        if self.data.rows is not None:
            canonical = [dict(r) if isinstance(r, Mapping) else r for r in self.data.rows]
            return hashlib.sha256(json.dumps(canonical, sort_keys=True, ensure_ascii=False, separators=(",", ":"),
                                             default=str).encode()).hexdigest()
        digest = hashlib.sha256((self.data.format or "").encode() + b"\0")
        if self.data.job is not None and self.data.include_errors:
            digest.update(b"include_errors\0")
        if self.data.path is not None:
            try:
                hash_file(self.data.path, digest)
            except OSError:
                digest.update(b"<unreadable>")
        return digest.hexdigest()

    def _open(self) -> IO[str]:
        path = self.data.path
        assert path is not None
        try:
            if path.stat().st_size == 0:
                raise DataError(f"data file {self.display} is empty")
            # utf-8-sig: spreadsheets like to start CSV files with a byte-order mark
            return open(path, encoding="utf-8-sig", newline="" if self.data.format == "csv" else None)
        except FileNotFoundError:
            if self.data.job is not None:
                raise DataError(f"the results of job '{self.data.job}' ({self.display}) are not written yet: "
                                f"apply '{self.data.job}' first (specrun apply --target {self.data.job})") from None
            raise DataError(f"data file {self.display} not found (looked for {path})") from None
        except IsADirectoryError:
            raise DataError(f"data file {self.display} is a directory ({path})") from None
        except PermissionError:
            raise DataError(f"data file {self.display} cannot be read: permission denied ({path})") from None

    def _undecodable(self, exc: UnicodeDecodeError) -> DataError:
        # Text files decode ahead of the parser, so find the bad byte's line ourselves.
        return DataError(f"{self.display} line {_first_bad_utf8_line(self.data.path)}: not valid UTF-8 ({exc.reason})")


def row_source(data: DataSpec, spec_display: str = "specrun.yaml") -> RowSource:
    """The row source for a job's ``data``/``rows``."""
    return RowSource(data, spec_display)


def _csv_rows(source: RowSource) -> Iterator[tuple[int, dict[str, Any]]]:
    with source._open() as file:
        reader = csv.reader(file, strict=True)
        last_line = 0
        try:
            header = next(reader, None)
            while header == []:  # blank lines before the header
                header = next(reader, None)
            if header is None:
                raise DataError(f"data file {source.display} is empty")
            problem = _header_problem(header)
            if problem:
                raise DataError(f"{source.display} line {reader.line_num}: {problem}")
            width = len(header)
            rows = 0
            last_line = reader.line_num
            for record in reader:
                start, last_line = last_line + 1, reader.line_num
                if not record:  # a blank line: csv.reader gives [], not a row
                    continue
                if len(record) != width:
                    raise DataError(
                        f"{source.display} line {start}: expected {width} fields "
                        f"({safe(', '.join(header), 300)}), found {len(record)}"
                    )
                rows += 1
                yield start, dict(zip(header, record, strict=False))  # lengths checked just above
        except csv.Error as exc:
            raise DataError(f"{source.display} line {last_line + 1}: malformed CSV: {safe(exc, 300)}") from None
        except UnicodeDecodeError as exc:
            raise source._undecodable(exc) from None
        if rows == 0:
            raise DataError(f"data file {source.display} has a header but no rows")


def _header_problem(header: list[str]) -> str | None:
    seen: set[str] = set()
    for number, name in enumerate(header, 1):
        if not name.strip():
            return f"header column {number} has no name"
        if name in seen:
            return f"header names column {name!r} twice"
        seen.add(name)
    return None


def _jsonl_rows(source: RowSource) -> Iterator[tuple[int, dict[str, Any]]]:
    rows = 0
    number = 0
    json_rows = _JsonRows()
    decode = json_rows.decoder.decode
    with source._open() as file:
        try:
            for number, text in enumerate(file, 1):
                if not text.strip():
                    continue
                try:
                    row = decode(text)
                except json.JSONDecodeError as exc:
                    raise DataError(
                        f"{source.display} line {number}: invalid JSON: {exc.msg} (column {exc.colno})"
                    ) from None
                except (RecursionError, ValueError) as exc:  # too deep; a number of 4,300+ digits
                    raise DataError(f"{source.display} line {number}: {_unreadable(exc)}") from None
                if json_rows.bad or (len(text) > _DEEP_LENGTH and  # cheap bound first: count the brackets
                                     text.count("[") + text.count("{") > MAX_DEPTH and _too_deep(row)):
                    raise DataError(f"{source.display} line {number}: {json_rows.problem(row)}")
                if not isinstance(row, dict):
                    raise DataError(
                        f"{source.display} line {number}: expected a JSON object, found {json_kind(row)}"
                    )
                rows += 1
                yield number, row
        except UnicodeDecodeError as exc:
            raise source._undecodable(exc) from None
    if rows == 0:
        raise DataError(f"data file {source.display} has no rows (only blank lines)")


def _json_rows(source: RowSource) -> Iterator[tuple[int, dict[str, Any]]]:
    """Items of a top-level JSON array, decoded one at a time from 1 MB reads."""
    json_rows = _JsonRows()
    decoder, forget_bad = json_rows.decoder, json_rows.bad.clear
    with source._open() as file:
        reader = _Buffer(file, source)
        if reader.next_char() != "[":
            if reader.at_end():
                raise DataError(f"data file {source.display} is empty")
            raise DataError(f"{source.display} line {reader.line()}: expected a JSON array of objects")
        reader.pos += 1
        index = 0
        while True:
            char = reader.next_char()
            if char == "]" and index == 0:
                raise DataError(f"data file {source.display} has no rows (an empty array)")
            if char == "]":
                reader.pos += 1
                break
            if index > 0:
                if char != ",":
                    raise reader.error("expected ',' or ']' after an item")
                reader.pos += 1
                reader.next_char()
            item = reader.decode(decoder, forget_bad)
            start, end = reader.item_start, reader.pos
            text = reader.text
            if json_rows.bad or (end - start > _DEEP_LENGTH and  # cheap bound first: count the brackets
                                 text.count("[", start, end) + text.count("{", start, end) > MAX_DEPTH
                                 and _too_deep(item)):
                raise reader.error(f"item {index}: {json_rows.problem(item)}", at=reader.item_start)
            if not isinstance(item, dict):
                raise DataError(f"item {index} of {source.display}: expected a JSON object, found {json_kind(item)}")
            yield index, item
            index += 1
        if reader.next_char() != "":
            raise reader.error("unexpected text after the array")


class _Buffer:
    """A sliding window over a text file for incremental JSON decoding."""

    def __init__(self, file: IO[str], source: RowSource) -> None:
        self.file = file
        self.source = source
        self.text = ""
        self.pos = 0
        self.lines_before = 0  # newlines in text already dropped from the window
        self.item_start = 0    # where the item decode() returned last starts in text
        self.eof = False

    def _more(self, size: int = _CHUNK) -> bool:
        if self.eof:
            return False
        if self.pos > _CHUNK:  # drop what was consumed, keep counting lines
            self.lines_before += self.text.count("\n", 0, self.pos)
            self.text = self.text[self.pos:]
            self.pos = 0
        try:
            chunk = self.file.read(size)
        except UnicodeDecodeError as exc:
            raise self.source._undecodable(exc) from None
        if not chunk:
            self.eof = True
            return False
        self.text += chunk
        return True

    def next_char(self) -> str:
        """Skip whitespace; the next character, or "" at the end."""
        while True:
            text, pos = self.text, self.pos
            while pos < len(text) and text[pos] in " \t\r\n":
                pos += 1
            self.pos = pos
            if pos < len(text):
                return text[pos]
            if not self._more():
                return ""

    def at_end(self) -> bool:
        return self.next_char() == ""

    def decode(self, decoder: json.JSONDecoder, on_retry: Callable[[], None] | None = None) -> Any:
        """The next item; ``on_retry`` runs before the item is decoded again with more text."""
        size = _CHUNK
        while True:
            try:
                item, end = decoder.raw_decode(self.text, self.pos)
            except RecursionError:
                raise self.error(_unreadable(RecursionError())) from None
            except json.JSONDecodeError as exc:
                # Incomplete at the end of the window? Read more (growing, so a huge
                # item costs O(n log n), not O(n^2)) and try again.
                if not self._more(size):
                    raise self.error(f"invalid JSON: {exc.msg}", at=exc.pos) from None
                size *= 2
                if on_retry is not None:
                    on_retry()
                continue
            except ValueError as exc:  # a number of 4,300+ digits
                raise self.error(_unreadable(exc)) from None
            if end == len(self.text) and not self.eof and self._more():
                if on_retry is not None:
                    on_retry()
                continue  # a number may go on in the next chunk: decode again
            self.item_start, self.pos = self.pos, end
            return item

    def line(self, at: int | None = None) -> int:
        return self.lines_before + self.text.count("\n", 0, self.pos if at is None else at) + 1

    def error(self, message: str, at: int | None = None) -> DataError:
        return DataError(f"{self.source.display} line {self.line(at)}: {message}")


class _NotJson:
    """Stands for a value JSON does not have (NaN, Infinity, 1e400) while the row is decoded."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text


class _JsonRows:
    """A JSON decoder for data rows that notes values JSON does not have.

    ``NaN``/``Infinity``/``-Infinity`` and out-of-range numbers decode to a marker and
    are listed in ``bad``, so the fast path pays one list check per row (and a call per
    float literal); :meth:`problem` then names the field.
    """

    def __init__(self) -> None:
        self.bad: list[str] = []
        self.decoder = json.JSONDecoder(parse_constant=self._constant, parse_float=self._float)

    def _constant(self, text: str) -> _NotJson:
        self.bad.append(text)
        return _NotJson(text)

    def _float(self, text: str) -> float | _NotJson:
        value = float(text)
        if math.isinf(value):
            self.bad.append(text)
            return _NotJson(text)
        return value

    def problem(self, row: Any) -> str:
        """What is wrong with a row that ``bad`` or ``_too_deep`` flagged."""
        if not self.bad:
            return _unreadable(RecursionError())
        field = _find_not_json(row)  # None/"" when not found or the row itself
        where = f" (field {safe(field, 200)})" if field else ""
        text = self.bad[0]
        if text in ("NaN", "Infinity", "-Infinity"):
            return (f"{text} is not valid JSON{where}; write null, a number or a string "
                    f"such as \"{text}\" instead")
        return (f"the number {safe(text, 40)} is too large{where}: it would read as infinity; "
                "write it as a string instead")


def _find_not_json(value: Any, path: str = "") -> str | None:
    """Path (``a.b[2]``) of the first ``_NotJson`` marker in ``value`` ("" for ``value`` itself)."""
    stack: list[tuple[Any, str]] = [(value, path)]
    while stack:
        node, where = stack.pop()
        if isinstance(node, _NotJson):
            return where
        if isinstance(node, dict):
            items = [(child, f"{where}.{key}" if where else str(key)) for key, child in node.items()]
        elif isinstance(node, list):
            items = [(child, f"{where}[{i}]") for i, child in enumerate(node)]
        else:
            continue
        stack.extend(reversed(items))
    return None


def _too_deep(value: Any) -> bool:
    """True when ``value`` nests arrays/objects more than ``MAX_DEPTH`` levels (no recursion)."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            return True
        if isinstance(node, dict):
            stack.extend((child, depth + 1) for child in node.values() if isinstance(child, (dict, list)))
        elif isinstance(node, list):
            stack.extend((child, depth + 1) for child in node if isinstance(child, (dict, list)))
    return False


def _unreadable(exc: BaseException) -> str:
    if isinstance(exc, RecursionError):
        return f"nested too deeply (more than {MAX_DEPTH} levels of arrays/objects); flatten the data"
    if "integer string conversion" in str(exc):  # Python refuses ints of 4,300+ digits
        return "a number has thousands of digits; write it as a string instead"
    return f"invalid JSON: {safe(exc, 200)}"


def _first_bad_utf8_line(path: Path | None) -> int | str:
    decoder = codecs.getincrementaldecoder("utf-8")()
    lines = 1
    with open(path or "", "rb") as file:
        while chunk := file.read(_CHUNK):
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as exc:
                return lines + chunk.count(b"\n", 0, max(exc.start, 0))
            lines += chunk.count(b"\n")
    return "?"


register_format(DataFormat("csv", (".csv",), _csv_rows, "row"))
register_format(DataFormat("jsonl", (".jsonl", ".ndjson"), _jsonl_rows, "line"))
register_format(DataFormat("json", (".json",), _json_rows, "item", position_in_brackets=True))


def _result_rows(source: RowSource) -> Iterator[tuple[int, dict[str, Any]]]:
    """Another job's results (a pipeline): its ok lines, or every line with ``include_errors``."""
    for position, row in _jsonl_rows(source):
        if source.data.include_errors or row.get("status") == "ok":
            yield position, row


#: Not a file format anyone writes: ``data: {job: NAME}`` (no extension maps to it).
register_format(DataFormat("results", (), _result_rows, "line"))


def _parquet_rows(source: RowSource) -> Iterator[tuple[int, dict[str, Any]]]:
    """Parquet (the optional parquet extra): specrun._parquet imports pyarrow only when a file is read."""
    from specrun._parquet import parquet_rows

    return parquet_rows(source, max_depth=MAX_DEPTH)


register_format(DataFormat("parquet", (".parquet",), _parquet_rows, "row"))
#: The data file formats a spec may name (``results`` is a job's own output, never written by hand).
FORMATS = tuple(name for name in DATA_FORMATS if name != "results")
