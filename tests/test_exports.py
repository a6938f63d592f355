"""Exports: the results as CSV and Parquet beside the JSONL, rewritten only when they change."""

from __future__ import annotations

import csv
import io
import json
import os
import sys
import tracemalloc
from pathlib import Path

import pytest

from specrun._files import default_file_mode
from specrun.errors import DataError, MissingExtra, SpecError
from specrun.exports import ExportSummary, write_exports

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")

FIXED = ["custom_id", "index", "status", "content", "error_code", "error_message", "prompt_tokens",
         "completion_tokens", "reused"]


def line(index: int, *, status: str = "ok", content: str | None = "answer", parsed=None, row=None,
         error=None, usage=None, reused: bool = False, **extra) -> dict:
    record = {"custom_id": f"job-{index}", "index": index, "status": status, "content": content,
              "error": error, "usage": usage if usage is not None else {"prompt_tokens": 10, "completion_tokens": 2},
              "reused": reused, "row": row if row is not None else {"id": index}, "parsed": parsed}
    record.update(extra)
    return record


def results_file(tmp_path: Path, records: list[dict]) -> Path:
    path = tmp_path / "results" / "job.jsonl"
    path.parent.mkdir(exist_ok=True)
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    return path


def read_csv(path: Path) -> list[list[str]]:
    with open(path, encoding="utf-8", newline="") as handle:
        return list(csv.reader(handle))


# ---------------------------------------------------------------- CSV


def test_csv_columns_in_order_with_parsed_and_row_flattened_one_level(tmp_path):
    results = results_file(tmp_path, [
        line(0, parsed={"label": "pos", "score": 0.5}, row={"id": 1, "title": "One", "tags": ["a", "b"]}),
        line(1, status="error", content=None, parsed=None, usage={},
             error={"code": "invalid_output", "message": "not JSON"}, reused=True,
             row={"id": 2, "meta": {"k": [1, 2]}}),
        line(2, parsed={"score": 1, "why": {"because": True}}, row={"title": "Three"}),
    ])
    [summary] = write_exports(results, [tmp_path / "results" / "job.csv"])
    assert summary == ExportSummary(tmp_path / "results" / "job.csv", 3, True)
    header, *rows = read_csv(summary.path)
    assert header == [*FIXED, "parsed.label", "parsed.score", "parsed.why", "row.id", "row.title", "row.tags",
                      "row.meta"]
    assert rows == [
        ["job-0", "0", "ok", "answer", "", "", "10", "2", "false", "pos", "0.5", "", "1", "One", '["a","b"]', ""],
        ["job-1", "1", "error", "", "invalid_output", "not JSON", "", "", "true", "", "", "", "2", "", "",
         '{"k":[1,2]}'],
        ["job-2", "2", "ok", "answer", "", "", "10", "2", "false", "", "1", '{"because":true}', "", "Three", "",
         ""],
    ]


def test_csv_escapes_commas_quotes_newlines_and_keeps_unicode(tmp_path):
    tricky = 'a, "quoted" answer\nover two lines\r\nand a tab\there — Zoë 日本 🎉'
    results = results_file(tmp_path, [line(0, content=tricky, row={"body": "x,y", "q": '"', "nl": "\n"})])
    [summary] = write_exports(results, [tmp_path / "job.csv"])
    header, row = read_csv(summary.path)
    assert dict(zip(header, row, strict=True))["content"] == tricky
    assert row[-3:] == ["x,y", '"', "\n"]
    raw = summary.path.read_bytes()
    assert not raw.startswith(b"\xef\xbb\xbf")  # no byte-order mark: pandas and csv read the header as is
    assert "Zoë 日本 🎉".encode() in raw


def test_csv_lone_surrogate_is_written_as_its_escape(tmp_path):
    results = tmp_path / "r.jsonl"
    results.write_text(json.dumps(line(0, content="bad \ud800 text")) + "\n", encoding="ascii")
    [summary] = write_exports(results, [tmp_path / "r.csv"])
    assert read_csv(summary.path)[1][3] == "bad \\ud800 text"


def test_parsed_scalars_are_one_parsed_column(tmp_path):
    results = results_file(tmp_path, [line(0, parsed="yes"), line(1, parsed=None), line(2, parsed=3),
                                      line(3, parsed=["a", 1])])
    [summary] = write_exports(results, [tmp_path / "job.csv"])
    header, *rows = read_csv(summary.path)
    assert header == [*FIXED, "parsed", "row.id"]
    assert [row[-2] for row in rows] == ["yes", "", "3", '["a",1]']


def test_parsed_objects_mixed_with_scalars_are_one_column_of_json(tmp_path):
    results = results_file(tmp_path, [line(0, parsed={"label": "a"}), line(1, parsed=True)])
    [summary] = write_exports(results, [tmp_path / "job.csv"])
    header, *rows = read_csv(summary.path)
    assert header == [*FIXED, "parsed", "row.id"]
    assert [row[-2] for row in rows] == ['{"label":"a"}', "true"]


def test_results_without_parsed_have_no_parsed_column(tmp_path):
    record = line(0)
    del record["parsed"]  # results written before structured outputs
    results = results_file(tmp_path, [record, line(1, parsed=None)])
    [summary] = write_exports(results, [tmp_path / "job.csv"])
    assert read_csv(summary.path)[0] == [*FIXED, "row.id"]


def test_empty_results_give_a_header_only(tmp_path):
    results = results_file(tmp_path, [])
    [summary] = write_exports(results, [tmp_path / "job.csv"])
    assert (summary.rows, read_csv(summary.path)) == (0, [FIXED])


def test_unchanged_export_is_not_rewritten_and_a_change_is(tmp_path):
    results = results_file(tmp_path, [line(0), line(1)])
    targets = [tmp_path / "out" / "job.csv", tmp_path / "out" / "job.parquet"]
    assert [s.rewritten for s in write_exports(results, targets)] == [True, True]
    before = [os.stat(t) for t in targets]
    assert [s.rewritten for s in write_exports(results, targets)] == [False, False]
    after = [os.stat(t) for t in targets]
    assert [(s.st_ino, s.st_mtime_ns) for s in after] == [(s.st_ino, s.st_mtime_ns) for s in before]
    assert sorted(os.listdir(tmp_path / "out")) == ["job.csv", "job.parquet"]  # no temp files left

    results_file(tmp_path, [line(0), line(1, content="changed")])
    assert [s.rewritten for s in write_exports(results, targets)] == [True, True]
    assert read_csv(targets[0])[2][3] == "changed"


def test_exports_get_the_mode_the_umask_gives(tmp_path):
    results = results_file(tmp_path, [line(0)])
    for summary in write_exports(results, [tmp_path / "job.csv", tmp_path / "job.parquet"]):
        assert os.stat(summary.path).st_mode & 0o777 == default_file_mode()


def test_unknown_extension_names_the_path_and_the_supported_ones(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    results = results_file(tmp_path, [line(0)])
    with pytest.raises(SpecError) as info:
        write_exports(results, [Path("results/job.csv"), Path("results/job.xlsx")])
    assert info.value.message == ("cannot export results to results/job.xlsx: unknown extension '.xlsx'; "
                                  "supported: .csv, .parquet")
    assert not (tmp_path / "results" / "job.csv").exists()  # refused before anything is written


def test_missing_results_file_is_a_data_error(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(DataError) as info:
        write_exports(Path("results/gone.jsonl"), [Path("results/gone.csv")])
    assert info.value.message == "results file results/gone.jsonl not found: nothing to export"


def test_csv_export_streams_the_results(tmp_path):
    # 50 MB of answers: held in memory they would show; streamed, only a line at a time is.
    results = tmp_path / "big.jsonl"
    with open(results, "w", encoding="utf-8") as handle:
        for index in range(2_000):
            handle.write(json.dumps(line(index, content="x" * 25_000, row={"id": index, f"c{index % 3}": 1})) + "\n")
    tracemalloc.start()
    try:
        [summary] = write_exports(results, [tmp_path / "big.csv"])
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert summary.rows == 2_000
    assert read_csv(summary.path)[0][-4:] == ["row.id", "row.c0", "row.c1", "row.c2"]
    assert peak < 5_000_000


# ---------------------------------------------------------------- Parquet


def test_parquet_round_trip_with_types_from_the_values(tmp_path):
    results = results_file(tmp_path, [
        line(0, parsed={"label": "pos", "score": 1}, row={"id": 1, "price": 2, "big": 2**70, "flag": True,
                                                           "tags": ["a"], "note": "x"}),
        line(1, status="error", content=None, usage={}, error={"code": "missing", "message": "no result"},
             parsed=None, row={"id": 2, "price": 2.5, "big": 1, "flag": False, "tags": None, "note": 7}),
    ])
    [summary] = write_exports(results, [tmp_path / "job.parquet"])
    table = pq.read_table(summary.path)
    assert summary.rows == 2 and table.num_rows == 2
    assert [(f.name, str(f.type)) for f in table.schema] == [
        ("custom_id", "string"), ("index", "int64"), ("status", "string"), ("content", "string"),
        ("error_code", "string"), ("error_message", "string"), ("prompt_tokens", "int64"),
        ("completion_tokens", "int64"), ("reused", "bool"), ("parsed.label", "string"), ("parsed.score", "int64"),
        ("row.id", "int64"), ("row.price", "double"), ("row.big", "string"), ("row.flag", "bool"),
        ("row.tags", "string"), ("row.note", "string"),
    ]
    assert table.to_pylist() == [
        {"custom_id": "job-0", "index": 0, "status": "ok", "content": "answer", "error_code": None,
         "error_message": None, "prompt_tokens": 10, "completion_tokens": 2, "reused": False,
         "parsed.label": "pos", "parsed.score": 1, "row.id": 1, "row.price": 2.0, "row.big": str(2**70),
         "row.flag": True, "row.tags": '["a"]', "row.note": "x"},
        {"custom_id": "job-1", "index": 1, "status": "error", "content": None, "error_code": "missing",
         "error_message": "no result", "prompt_tokens": None, "completion_tokens": None, "reused": False,
         "parsed.label": None, "parsed.score": None, "row.id": 2, "row.price": 2.5, "row.big": "1",
         "row.flag": False, "row.tags": None, "row.note": "7"},
    ]


def test_parquet_is_written_in_batches_and_byte_identical_when_rewritten(tmp_path):
    results = results_file(tmp_path, [line(i, content=f"answer {i}", row={"id": i}) for i in range(25_000)])
    target = tmp_path / "job.parquet"
    [summary] = write_exports(results, [target])
    assert summary.rows == 25_000
    metadata = pq.ParquetFile(target).metadata
    assert (metadata.num_rows, metadata.num_row_groups) == (25_000, 3)
    first = target.read_bytes()
    target.unlink()
    write_exports(results, [target])
    assert target.read_bytes() == first  # nothing time-dependent in the file


def test_parquet_lone_surrogate_is_written_as_its_escape(tmp_path):
    results = tmp_path / "r.jsonl"
    results.write_text(json.dumps(line(0, content="bad \ud800")) + "\n", encoding="ascii")
    [summary] = write_exports(results, [tmp_path / "r.parquet"])
    assert pq.read_table(summary.path).column("content").to_pylist() == ["bad \\ud800"]


def test_parquet_of_empty_results_has_the_fixed_columns(tmp_path):
    [summary] = write_exports(results_file(tmp_path, []), [tmp_path / "job.parquet"])
    table = pq.read_table(summary.path)
    assert (summary.rows, table.num_rows, table.schema.names) == (0, 0, FIXED)


def test_parquet_without_pyarrow_names_the_file_and_the_extra(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    results = results_file(tmp_path, [line(0)])
    monkeypatch.setitem(sys.modules, "pyarrow", None)  # import pyarrow → ImportError
    monkeypatch.setitem(sys.modules, "pyarrow.parquet", None)
    with pytest.raises(MissingExtra) as info:
        write_exports(results, [Path("results/job.csv"), Path("results/job.parquet")])
    assert info.value.message == ("writing results/job.parquet needs the parquet extra: "
                                  "pip install 'specrun[parquet]'")
    assert info.value.exit_code == 1
    assert not (tmp_path / "results" / "job.csv").exists()  # refused before anything is written


def test_csv_export_needs_no_pyarrow(tmp_path, monkeypatch):
    results = results_file(tmp_path, [line(0)])
    monkeypatch.setitem(sys.modules, "pyarrow", None)
    monkeypatch.setitem(sys.modules, "pyarrow.parquet", None)
    [summary] = write_exports(results, [tmp_path / "job.csv"])
    assert summary.rows == 1


def test_csv_and_parquet_hold_the_same_cells(tmp_path):
    results = results_file(tmp_path, [line(0, parsed={"a": {"b": 1}}, row={"x": "1,2", "y": None}),
                                      line(1, parsed={"a": "s"}, row={"x": "é", "y": 3})])
    csv_summary, parquet_summary = write_exports(results, [tmp_path / "job.csv", tmp_path / "job.parquet"])
    from_csv = list(csv.DictReader(io.StringIO(csv_summary.path.read_text(encoding="utf-8"), newline="")))
    from_parquet = pq.read_table(parquet_summary.path).to_pylist()
    for text_row, typed_row in zip(from_csv, from_parquet, strict=True):
        assert text_row.keys() == typed_row.keys()
        assert text_row["parsed.a"] == typed_row["parsed.a"]
        assert text_row["row.x"] == typed_row["row.x"]
