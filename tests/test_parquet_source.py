"""Parquet data files: streamed rows of plain JSON values, 1-based row numbers, clear errors."""

from __future__ import annotations

import datetime
import decimal
import itertools
import sys
import tracemalloc
from pathlib import Path

import pytest
from click.testing import CliRunner

from specrun.cli import main
from specrun.data import DATA_FORMATS, DataSpec, format_from_extension, row_source
from specrun.errors import DataError, MissingExtra

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")


def parquet_source(tmp_path: Path, table, name: str = "x.parquet", **write_options):
    path = tmp_path / name
    pq.write_table(table, path, **write_options)
    return row_source(DataSpec(path=path, display_path=f"data/{name}", format="parquet"))


def error_of(source) -> str:
    with pytest.raises(DataError) as info:
        list(source)
    return info.value.message


def test_parquet_is_known_by_its_extension():
    assert format_from_extension("data/x.parquet") == format_from_extension("X.PARQUET") == "parquet"
    assert "parquet" in DATA_FORMATS


def test_rows_are_numbered_from_one_and_described_like_csv_rows(tmp_path):
    table = pa.table({"id": [1, 2, 3], "title": ["One", None, "Zoë"], "score": [0.5, 1.0, None],
                      "ok": [True, False, None]})
    source = parquet_source(tmp_path, table, row_group_size=2)  # positions go on across row groups
    assert list(source) == [
        (1, {"id": 1, "title": "One", "score": 0.5, "ok": True}),
        (2, {"id": 2, "title": None, "score": 1.0, "ok": False}),
        (3, {"id": 3, "title": "Zoë", "score": None, "ok": None}),
    ]
    assert source.describe(3) == "row 3 of data/x.parquet"
    assert source.location(3) == "data/x.parquet:3"
    assert list(source) == list(source)  # iterable again


def test_values_become_plain_json_values(tmp_path):
    table = pa.table({
        "when": pa.array([datetime.datetime(2024, 1, 2, 3, 4, 5, 6), None], pa.timestamp("us")),
        "utc": pa.array([1_700_000_000_123_456_789, 0], pa.timestamp("ns", tz="UTC")),
        "day": pa.array([datetime.date(2024, 2, 29), None]),
        "at": pa.array([datetime.time(9, 30), None]),
        "price": pa.array([decimal.Decimal("1.10"), None], pa.decimal128(5, 2)),
        "took": pa.array([datetime.timedelta(seconds=90), datetime.timedelta(milliseconds=1500)]),
        "blob": pa.array([b"text", None], pa.binary()),
        "tags": pa.array([["a", "b"], []]),
        "point": pa.array([{"x": 1.5, "on": datetime.date(2020, 1, 1)}, None]),
        "counts": pa.array([[("a", 1), ("b", 2)], []], pa.map_(pa.string(), pa.int64())),
        "kind": pa.array(["x", "y"]).dictionary_encode(),
        "nothing": pa.array([None, None], pa.null()),
    })
    rows = [row for _, row in parquet_source(tmp_path, table)]
    assert rows == [
        {"when": "2024-01-02T03:04:05.000006", "utc": "2023-11-14T22:13:20.123456+00:00", "day": "2024-02-29",
         "at": "09:30:00", "price": "1.10", "took": 90, "blob": "text", "tags": ["a", "b"],
         "point": {"x": 1.5, "on": "2020-01-01"}, "counts": {"a": 1, "b": 2}, "kind": "x", "nothing": None},
        {"when": None, "utc": "1970-01-01T00:00:00+00:00", "day": None, "at": None, "price": None, "took": 1.5,
         "blob": None, "tags": [], "point": None, "counts": {}, "kind": "y", "nothing": None},
    ]


def test_nan_and_binary_that_is_not_text_are_refused_naming_row_and_column(tmp_path):
    table = pa.table({"id": [1, 2, 3], "score": [0.5, 1.0, float("nan")]})
    assert error_of(parquet_source(tmp_path, table)) == (
        "data/x.parquet row 3: column 'score' is NaN, which the results (JSON) cannot hold; store null instead")
    table = pa.table({"scores": [[1.0], [float("inf")]]})
    assert error_of(parquet_source(tmp_path, table, "inf.parquet")) == (
        "data/inf.parquet row 2: column 'scores' is infinite, which the results (JSON) cannot hold; "
        "store null instead")
    table = pa.table({"raw": pa.array([b"\xff\xfe"], pa.binary())})
    assert error_of(parquet_source(tmp_path, table, "bin.parquet")) == (
        "data/bin.parquet row 1: column 'raw' holds binary data that is not UTF-8 text; "
        "the results (JSON) can only hold text")


def test_a_file_that_is_not_parquet_is_a_data_error_naming_it(tmp_path):
    path = tmp_path / "x.parquet"
    path.write_text("id,title\n1,One\n")
    source = row_source(DataSpec(path=path, display_path="data/x.parquet", format="parquet"))
    message = error_of(source)
    assert message.startswith("data file data/x.parquet is not a Parquet file that can be read: ")
    assert "magic bytes" in message


def test_a_truncated_parquet_file_is_a_data_error(tmp_path):
    source = parquet_source(tmp_path, pa.table({"id": list(range(1000))}))
    data = source.data.path.read_bytes()
    source.data.path.write_bytes(data[: len(data) // 2])
    assert error_of(source).startswith("data file data/x.parquet is not a Parquet file that can be read: ")


def test_missing_empty_and_rowless_files(tmp_path):
    missing = row_source(DataSpec(path=tmp_path / "gone.parquet", display_path="data/gone.parquet",
                                  format="parquet"))
    assert error_of(missing) == f"data file data/gone.parquet not found (looked for {tmp_path / 'gone.parquet'})"
    (tmp_path / "empty.parquet").write_bytes(b"")
    empty = row_source(DataSpec(path=tmp_path / "empty.parquet", display_path="data/empty.parquet",
                                format="parquet"))
    assert error_of(empty) == "data file data/empty.parquet is empty"
    rowless = parquet_source(tmp_path, pa.table({"id": pa.array([], pa.int64())}), "rowless.parquet")
    assert error_of(rowless) == "data file data/rowless.parquet has no rows"


def test_fingerprint_is_the_files_bytes(tmp_path):
    source = parquet_source(tmp_path, pa.table({"id": [1, 2]}))
    before = source.fingerprint()
    assert source.fingerprint() == before
    pq.write_table(pa.table({"id": [1, 3]}), source.data.path)
    assert source.fingerprint() != before


def test_rows_are_streamed(tmp_path):
    rows = 200_000
    table = pa.table({"id": pa.array(range(rows)), "text": pa.array([f"row number {i} " * 4 for i in range(rows)])})
    source = parquet_source(tmp_path, table, row_group_size=20_000)
    del table
    first = next(iter(source))  # lazy: the first row comes without reading the rest
    assert first == (1, {"id": 0, "text": "row number 0 " * 4})
    rows_seen = iter(source)
    tracemalloc.start()  # over three row groups only: tracing makes every allocation slow
    try:
        for _ in itertools.islice(rows_seen, 60_000):
            pass
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 10_000_000  # the file's rows as dicts would be well over 50 MB
    assert [position for position, _ in rows_seen][-1] == rows


def test_without_pyarrow_the_error_names_the_file_and_the_extra(tmp_path, monkeypatch):
    source = parquet_source(tmp_path, pa.table({"id": [1]}))
    monkeypatch.setitem(sys.modules, "pyarrow", None)  # import pyarrow → ImportError
    monkeypatch.setitem(sys.modules, "pyarrow.parquet", None)
    with pytest.raises(MissingExtra) as info:
        list(source)
    assert info.value.message == "reading data/x.parquet needs the parquet extra: pip install 'specrun[parquet]'"
    assert source.fingerprint()  # planning can still tell whether the file changed


SPEC = """\
version: 1
provider: local
defaults:
  model: meta-llama/Llama-3.1-8B-Instruct
  params: {max_tokens: 16}
jobs:
  summarize:
    data: DATA
    id: "article-{{ row.id }}"
    messages:
      - {role: user, content: "{{ row.title }} ({{ row.day }})"}
"""


@pytest.fixture
def project(tmp_path, monkeypatch):
    (tmp_path / "data").mkdir()
    pq.write_table(pa.table({"id": [1, 2], "title": ["One", "Two"],
                             "day": [datetime.date(2024, 1, 1), datetime.date(2024, 1, 2)]}),
                   tmp_path / "data" / "articles.parquet")
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.mark.parametrize("data", ["data/articles.parquet", "{path: data/articles.parquet, format: parquet}"])
def test_validate_and_render_a_parquet_job(project, data):
    (project / "specrun.yaml").write_text(SPEC.replace("DATA", data))
    result = CliRunner().invoke(main, ["validate"])
    assert result.exit_code == 0, result.output
    assert "summarize  2 rows" in result.stdout
    result = CliRunner().invoke(main, ["render", "--out", "build"])
    assert result.exit_code == 0, result.output
    rendered = "".join(path.read_text() for path in sorted((project / "build").glob("*.jsonl")))
    assert '"custom_id":"article-1"' in rendered and "One (2024-01-01)" in rendered


def test_validate_without_pyarrow_says_which_extra(project, monkeypatch):
    (project / "specrun.yaml").write_text(SPEC.replace("DATA", "data/articles.parquet"))
    monkeypatch.setitem(sys.modules, "pyarrow", None)
    monkeypatch.setitem(sys.modules, "pyarrow.parquet", None)
    result = CliRunner().invoke(main, ["validate"])
    assert result.exit_code == 1
    assert "Error: reading data/articles.parquet needs the parquet extra: pip install 'specrun[parquet]'" \
        in result.output
    assert "Traceback" not in result.output


def test_a_damaged_row_group_is_a_data_error_naming_where(tmp_path):
    table = pa.table({"id": list(range(100_000)), "text": [f"x{i}" for i in range(100_000)]})
    source = parquet_source(tmp_path, table, row_group_size=20_000, compression="none")
    damaged = bytearray(source.data.path.read_bytes())
    middle = len(damaged) // 2
    damaged[middle:middle + 2000] = b"\xab" * 2000  # the footer (the file's index) stays whole
    source.data.path.write_bytes(bytes(damaged))
    message = error_of(source)
    assert message.startswith("data/x.parquet: the rows from row ")
    assert "cannot be read (is the file damaged?): " in message
