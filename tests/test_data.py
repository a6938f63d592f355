"""Row sources: positions users can find again, and errors that name file and line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from specrun import data as data_module
from specrun.data import row_source
from specrun.errors import DataError
from specrun.spec import DataSpec


def source(tmp_path: Path, name: str, content: str | bytes, fmt: str | None = None):
    path = tmp_path / name
    path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    fmt = fmt or data_module.format_from_extension(name)
    return row_source(DataSpec(path=path, display_path=f"data/{name}", format=fmt))


def error_of(src) -> str:
    with pytest.raises(DataError) as info:
        list(src)
    return info.value.message


# ---------------------------------------------------------------- CSV


def test_csv_positions_are_the_line_where_each_record_starts(tmp_path):
    src = source(tmp_path, "a.csv", 'id,text\n1,"two\nlines"\n\n2,plain\n3,"with ""quotes"", commas"\n')
    assert list(src) == [(2, {"id": "1", "text": "two\nlines"}), (5, {"id": "2", "text": "plain"}),
                         (6, {"id": "3", "text": 'with "quotes", commas'})]
    assert src.describe(5) == "row 5 of data/a.csv"
    assert src.location(5) == "data/a.csv:5"


def test_csv_with_byte_order_mark_and_crlf(tmp_path):
    src = source(tmp_path, "a.csv", b"\xef\xbb\xbfid,name\r\n1,Zo\xc3\xab\r\n")
    assert list(src) == [(2, {"id": "1", "name": "Zoë"})]


def test_csv_wrong_field_count_names_the_line_and_header(tmp_path):
    src = source(tmp_path, "a.csv", "id,title,text\n1,a,b\n2,\"multi\nline\",c,extra\n")
    assert error_of(src) == "data/a.csv line 3: expected 3 fields (id, title, text), found 4"


def test_csv_empty_header_only_and_bad_header(tmp_path):
    assert error_of(source(tmp_path, "a.csv", "")) == "data file data/a.csv is empty"
    assert error_of(source(tmp_path, "b.csv", "\n\n")) == "data file data/b.csv is empty"
    assert error_of(source(tmp_path, "c.csv", "id,text\n")) == "data file data/c.csv has a header but no rows"
    assert error_of(source(tmp_path, "d.csv", "id,id\n1,2\n")) == "data/d.csv line 1: header names column 'id' twice"
    assert error_of(source(tmp_path, "e.csv", "id,,x\n1,2,3\n")) == "data/e.csv line 1: header column 2 has no name"


def test_csv_malformed_quoting_and_bad_encoding(tmp_path):
    assert error_of(source(tmp_path, "a.csv", 'id,text\n1,"open\n')) == \
        "data/a.csv line 2: malformed CSV: unexpected end of data"
    assert error_of(source(tmp_path, "c.csv", 'id,text\n1,ok\n2,"a"b\n')) == \
        "data/c.csv line 3: malformed CSV: ',' expected after '\"'"
    assert error_of(source(tmp_path, "b.csv", b"id,text\n1,ok\n2,\xff\xfe\n")) == \
        "data/b.csv line 3: not valid UTF-8 (invalid start byte)"


def test_csv_long_fields_are_fine(tmp_path):
    long = "x" * 300_000
    assert list(source(tmp_path, "a.csv", f"id,text\n1,{long}\n")) == [(2, {"id": "1", "text": long})]


def test_missing_file_names_the_resolved_path(tmp_path):
    src = row_source(DataSpec(path=tmp_path / "nope.csv", display_path="data/nope.csv", format="csv"))
    assert error_of(src) == f"data file data/nope.csv not found (looked for {tmp_path / 'nope.csv'})"


# ---------------------------------------------------------------- JSONL


def test_jsonl_rows_by_line_skipping_blank_lines(tmp_path):
    src = source(tmp_path, "a.jsonl", '{"a": 1}\n\n{"a": "\\u2028 x"}\n')
    assert list(src) == [(1, {"a": 1}), (3, {"a": "\u2028 x"})]
    assert src.describe(3) == "line 3 of data/a.jsonl"


def test_jsonl_bad_json_names_line_and_column(tmp_path):
    lines = "".join(json.dumps({"n": i}) + "\n" for i in range(40)) + '{"n": 40,, }\n'
    assert error_of(source(tmp_path, "a.jsonl", lines)) == \
        "data/a.jsonl line 41: invalid JSON: Expecting property name enclosed in double quotes (column 10)"


def test_jsonl_non_objects_and_empty(tmp_path):
    assert error_of(source(tmp_path, "a.jsonl", '{"a":1}\n[1]\n')) == \
        "data/a.jsonl line 2: expected a JSON object, found an array"
    assert error_of(source(tmp_path, "b.jsonl", "\n \n")) == "data file data/b.jsonl has no rows (only blank lines)"
    assert error_of(source(tmp_path, "c.jsonl", "")) == "data file data/c.jsonl is empty"


# ---------------------------------------------------------------- JSON array


def test_json_array_items_across_small_reads(tmp_path, monkeypatch):
    monkeypatch.setattr(data_module, "_CHUNK", 7)  # every item straddles a read boundary
    items = [{"i": i, "text": "é" * (i % 5), "n": 12345.5} for i in range(50)]
    src = source(tmp_path, "a.json", json.dumps(items, indent=2))
    assert list(src) == list(enumerate(items))
    assert src.describe(3) == "item 3 of data/a.json"
    assert src.location(3) == "data/a.json[3]"


def test_json_array_numbers_at_read_boundaries(tmp_path, monkeypatch):
    monkeypatch.setattr(data_module, "_CHUNK", 3)
    assert list(source(tmp_path, "a.json", '[{"n": 123456789}]')) == [(0, {"n": 123456789})]


def test_json_errors(tmp_path):
    assert error_of(source(tmp_path, "a.json", '{"a": 1}')) == "data/a.json line 1: expected a JSON array of objects"
    assert error_of(source(tmp_path, "b.json", "  \n")) == "data file data/b.json is empty"
    assert error_of(source(tmp_path, "c.json", "[ ]")) == "data file data/c.json has no rows (an empty array)"
    assert error_of(source(tmp_path, "d.json", '[{"a": 1}, 2]')) == \
        "item 1 of data/d.json: expected a JSON object, found a number"
    assert error_of(source(tmp_path, "e.json", '[\n{"a": 1},\n{"a": tru}\n]')) == \
        "data/e.json line 3: invalid JSON: Expecting value"
    assert error_of(source(tmp_path, "f.json", '[{"a": 1} {"a": 2}]')) == \
        "data/f.json line 1: expected ',' or ']' after an item"
    assert error_of(source(tmp_path, "g.json", '[{"a": 1}] x')) == "data/g.json line 1: unexpected text after the array"


# ---------------------------------------------------------------- inline rows


def test_inline_rows_point_into_the_spec():
    src = row_source(DataSpec(rows=({"a": 1}, {"a": 2}), line=7, row_lines=(8, 9)), "specrun.yaml")
    assert list(src) == [(0, {"a": 1}), (1, {"a": 2})]
    assert src.describe(1) == "rows[1] in specrun.yaml:9"


def test_a_new_data_format_is_one_registered_reader(tmp_path):
    from specrun.data import DATA_FORMATS, DataFormat, format_from_extension, register_format

    def tsv_rows(source):
        with open(source.data.path, encoding="utf-8") as handle:
            header = handle.readline().rstrip("\n").split("\t")
            for number, line in enumerate(handle, 2):
                yield number, dict(zip(header, line.rstrip("\n").split("\t"), strict=True))

    register_format(DataFormat("tsv", (".tsv",), tsv_rows, "row"))
    try:
        path = tmp_path / "people.tsv"
        path.write_text("id\tname\n1\tAda\n2\tBob\n", encoding="utf-8")
        assert format_from_extension("data/people.TSV") == "tsv"
        source = row_source(DataSpec(path=path, display_path="data/people.tsv", format="tsv"))
        assert list(source) == [(2, {"id": "1", "name": "Ada"}), (3, {"id": "2", "name": "Bob"})]
        assert source.describe(3) == "row 3 of data/people.tsv" and source.location(3) == "data/people.tsv:3"
        before = source.fingerprint()
        path.write_text("id\tname\n1\tAda\n2\tBo\n", encoding="utf-8")
        assert source.fingerprint() != before  # the data's bytes are its fingerprint
    finally:
        DATA_FORMATS.pop("tsv")
        from specrun import data

        data._EXTENSIONS.pop(".tsv")
