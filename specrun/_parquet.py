"""Parquet files, through the optional ``parquet`` extra: pyarrow on demand, and rows from a data file.

pyarrow is imported only when a Parquet file is read or written, so specrun runs without
it until a spec names one; :func:`require_pyarrow` then says which extra to install.

:func:`parquet_rows` streams a data file a batch at a time (memory stays flat whatever
the file holds) and yields ``(row number, row)``, the row number 1-based
(``row 42 of data/x.parquet``). Rows are written back into the results, which are JSON,
so every value becomes a plain JSON value: timestamps, dates and times as ISO 8601
text (to the microsecond), decimals as text (exact), durations as seconds, binary as
text when it is UTF-8. A NaN or infinite float and binary that is not text are refused at read time, naming
the row and the column, like the JSON sources refuse them.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from types import ModuleType
from typing import Any, Protocol

from specrun._text import quoted, safe
from specrun.errors import DataError, MissingExtra


class ParquetSource(Protocol):
    """What the reader needs of ``specrun.data.RowSource`` (named here, so this module needs not import it)."""

    @property
    def display(self) -> str: ...
    @property
    def data(self) -> Any: ...  # a DataSpec: its ``path`` is the file


__all__ = ["require_pyarrow", "parquet_rows", "PARQUET_EXTRA"]

PARQUET_EXTRA = "pip install 'specrun[parquet]'"

#: Rows converted to Python at a time: the only rows held in memory while reading.
_BATCH_ROWS = 4096

Convert = Callable[[Any], Any]


def require_pyarrow(doing: str) -> ModuleType:
    """``pyarrow.parquet``, or a ``MissingExtra`` error: "<doing> needs the parquet extra: ..."."""
    try:
        import pyarrow.parquet
    except ImportError:
        raise MissingExtra(f"{doing} needs the parquet extra: {PARQUET_EXTRA}") from None
    return pyarrow.parquet


def parquet_rows(source: ParquetSource, *, max_depth: int) -> Iterator[tuple[int, dict[str, Any]]]:
    """The rows of a Parquet data file, one batch in memory at a time (nesting at most ``max_depth`` deep)."""
    display, path = source.display, source.data.path
    assert path is not None
    pq = require_pyarrow(f"reading {display}")
    import pyarrow as pa

    try:
        if path.is_dir():
            raise DataError(f"data file {display} is a directory ({path})")
        if path.stat().st_size == 0:
            raise DataError(f"data file {display} is empty")
        with open(path, "rb"):  # the user's words for a missing or unreadable file, as other sources say them
            pass
    except FileNotFoundError:
        raise DataError(f"data file {display} not found (looked for {path})") from None
    except PermissionError:
        raise DataError(f"data file {display} cannot be read: permission denied ({path})") from None
    unreadable = (pa.ArrowException, OSError, ValueError)
    try:
        file = pq.ParquetFile(str(path))
    except unreadable as exc:
        raise DataError(f"data file {display} is not a Parquet file that can be read: {safe(exc, 300)}") from None
    with file:
        schema = file.schema_arrow
        names = list(schema.names)
        problem = _columns_problem(names)
        if problem:
            raise DataError(f"{display}: {problem}")
        converters: list[Convert | None] = []
        casts: list[Any] = []
        for field in schema:
            if _depth(field.type) + 1 > max_depth:
                raise DataError(f"{display}: column {quoted(field.name, 200)} is nested more than {max_depth} "
                                "levels deep; flatten the data")
            converters.append(_converter(field.type))
            casts.append(_microseconds(field.type))
        number = 0
        batches = file.iter_batches(batch_size=_BATCH_ROWS)
        while True:
            try:
                batch = next(batches, None)
            except unreadable as exc:
                raise DataError(f"{display}: the rows from row {number + 1} on cannot be read (is the file "
                                f"damaged?): {safe(exc, 300)}") from None
            if batch is None:
                break
            columns = [_python_values(column, cast, name, display, number)
                       for column, cast, name in zip(batch.columns, casts, names, strict=True)]
            for name, convert, values in zip(names, converters, columns, strict=True):
                if convert is not None:
                    _convert_column(values, convert, name, display, number)
            for row in zip(*columns, strict=True):
                number += 1
                yield number, dict(zip(names, row, strict=True))
    if number == 0:
        raise DataError(f"data file {display} has no rows")


def _columns_problem(names: list[str]) -> str | None:
    if not names:
        return "the file has no columns"
    seen: set[str] = set()
    for name in names:
        if name in seen:
            return f"the file names column {quoted(name, 200)} twice"
        seen.add(name)
    return None


def _microseconds(arrow_type: Any) -> Any:
    """The microsecond type to read a nanosecond timestamp/time/duration column as, else None.

    Python's datetime stops at microseconds (pyarrow refuses finer values, or makes pandas
    objects when pandas is installed): the digits below a microsecond are dropped, the
    same way whatever is installed, so the rendered requests never depend on it.
    """
    import pyarrow as pa

    if getattr(arrow_type, "unit", None) != "ns":
        return None
    if pa.types.is_timestamp(arrow_type):
        return pa.timestamp("us", tz=arrow_type.tz)
    if pa.types.is_time(arrow_type):
        return pa.time64("us")
    if pa.types.is_duration(arrow_type):
        return pa.duration("us")
    return None


def _python_values(column: Any, cast: Any, name: str, display: str, before: int) -> list[Any]:
    """A batch's column as Python values (still to be made JSON values by its converter)."""
    try:
        return list(column.cast(cast, safe=False).to_pylist() if cast is not None else column.to_pylist())
    except ValueError as exc:  # nanoseconds inside a list or struct
        raise DataError(f"{display} rows {before + 1}–{before + len(column)}: column {quoted(name, 200)} "
                        f"cannot be read as Python values: {safe(exc, 300)}") from None


def _convert_column(values: list[Any], convert: Convert, name: str, display: str, before: int) -> None:
    for offset, value in enumerate(values):
        if value is None:
            continue
        try:
            values[offset] = convert(value)
        except _NotJson as exc:
            raise DataError(f"{display} row {before + offset + 1}: column {quoted(name, 200)} {exc.reason}") from None


class _NotJson(Exception):
    """A value the JSON results cannot hold."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _depth(arrow_type: Any) -> int:
    """Levels of lists/structs/maps inside a column type (a plain column is 0)."""
    import pyarrow as pa

    if pa.types.is_dictionary(arrow_type):
        return _depth(arrow_type.value_type)
    if pa.types.is_map(arrow_type):
        return 1 + max(_depth(arrow_type.key_type), _depth(arrow_type.item_type))
    if _is_list(arrow_type):
        return 1 + _depth(arrow_type.value_type)
    if pa.types.is_struct(arrow_type):
        return 1 + max((_depth(arrow_type.field(i).type) for i in range(arrow_type.num_fields)), default=0)
    return 0


def _is_list(arrow_type: Any) -> bool:
    import pyarrow as pa

    checks = ("is_list", "is_large_list", "is_fixed_size_list", "is_list_view", "is_large_list_view")
    return any(getattr(pa.types, check, lambda _: False)(arrow_type) for check in checks)


def _converter(arrow_type: Any) -> Convert | None:
    """How to turn a column's Python values (``to_pylist``) into JSON values; None when they already are."""
    import pyarrow as pa

    types = pa.types
    if (types.is_string(arrow_type) or types.is_large_string(arrow_type) or types.is_integer(arrow_type)
            or types.is_boolean(arrow_type) or types.is_null(arrow_type)
            or getattr(types, "is_string_view", lambda _: False)(arrow_type)):
        return None
    if types.is_dictionary(arrow_type):
        return _converter(arrow_type.value_type)
    if types.is_floating(arrow_type):
        return _finite
    if types.is_decimal(arrow_type):
        return str
    if types.is_duration(arrow_type):
        return _seconds
    if types.is_timestamp(arrow_type) or types.is_date(arrow_type) or types.is_time(arrow_type):
        return _iso
    if (types.is_binary(arrow_type) or types.is_large_binary(arrow_type) or types.is_fixed_size_binary(arrow_type)
            or getattr(types, "is_binary_view", lambda _: False)(arrow_type)):
        return _utf8
    if types.is_map(arrow_type):
        return _map_of(_converter(arrow_type.key_type), _converter(arrow_type.item_type))
    if _is_list(arrow_type):
        item = _converter(arrow_type.value_type)
        return None if item is None else _list_of(item)
    if types.is_struct(arrow_type):
        fields = {arrow_type.field(i).name: _converter(arrow_type.field(i).type) for i in range(arrow_type.num_fields)}
        converted = {name: convert for name, convert in fields.items() if convert is not None}
        return _struct_of(converted) if converted else None
    return _any  # intervals, unions, extension types: whatever Python made of them


def _finite(value: Any) -> float:
    number = float(value)  # float16 reads as a numpy scalar
    if not math.isfinite(number):
        what = "NaN" if math.isnan(number) else "infinite"
        raise _NotJson(f"is {what}, which the results (JSON) cannot hold; store null instead")
    return number


def _seconds(value: Any) -> float | int:
    seconds = value.total_seconds()
    return int(seconds) if float(seconds).is_integer() else seconds


def _iso(value: Any) -> str:
    return str(value.isoformat())


def _utf8(value: bytes) -> str:
    try:
        return value.decode("utf-8")
    except UnicodeDecodeError:
        raise _NotJson("holds binary data that is not UTF-8 text; the results (JSON) can only hold text") from None


def _list_of(item: Convert) -> Convert:
    def convert(values: list[Any]) -> list[Any]:
        return [None if value is None else item(value) for value in values]

    return convert


def _struct_of(fields: dict[str, Convert]) -> Convert:
    def convert(value: dict[str, Any]) -> dict[str, Any]:
        for name, field_convert in fields.items():
            if value.get(name) is not None:
                value[name] = field_convert(value[name])
        return value

    return convert


def _map_of(key: Convert | None, item: Convert | None) -> Convert:
    def convert(pairs: list[tuple[Any, Any]]) -> dict[str, Any]:  # a map reads as (key, value) pairs
        mapping: dict[str, Any] = {}
        for map_key, value in pairs:
            name = key(map_key) if key is not None else map_key
            mapping[name if isinstance(name, str) else str(name)] = (
                item(value) if item is not None and value is not None else value)
        return mapping

    return convert


def _any(value: Any) -> Any:
    """A value of a type without its own converter: JSON values kept, anything else as text."""
    if value is None or isinstance(value, (str, bool, int)):
        return value
    if isinstance(value, float):
        return _finite(value)
    if isinstance(value, dict):
        return {str(name): _any(item) for name, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_any(item) for item in value]
    if isinstance(value, bytes):
        return _utf8(value)
    return str(value)
