"""specrun.structured: loading output schemas, response_format, checking answers."""

from __future__ import annotations

import json

import pytest

from specrun.results import RowResult
from specrun.structured import INVALID_OUTPUT, Checker, load_output_schema, response_format, schema_problem

SCHEMA = {"type": "object", "properties": {"label": {"enum": ["a", "b"]}, "n": {"type": "integer"}},
          "required": ["label", "n"], "additionalProperties": False}


@pytest.mark.parametrize("schema, words", [
    ({"type": "object", "properties": {"x": {"type": "nope"}}}, "not a valid JSON Schema at properties/x/type"),
    ({"type": "array", "items": {"type": "string"}}, "top level is an object"),
    ({"type": "object", "properties": {"a": {"$ref": "#/$defs/missing"}}}, "$ref '#/$defs/missing' points to nothing"),
    ({"type": "object", "properties": {"a": {"$ref": "https://example.com/s.json"}}}, "points to nothing"),
])
def test_a_schema_that_cannot_check_answers_is_refused(schema, words):
    assert words in (schema_problem(schema) or "")


def test_a_good_schema_with_a_local_ref_is_accepted():
    schema = {"type": "object", "$defs": {"x": {"type": "string"}}, "properties": {"a": {"$ref": "#/$defs/x"}}}
    assert schema_problem(schema) is None


def test_schema_files_json_and_yaml(tmp_path):
    (tmp_path / "s.json").write_text(json.dumps(SCHEMA))
    (tmp_path / "s.yaml").write_text("type: object\nproperties: {x: {type: string}}\n")
    (tmp_path / "bad.yaml").write_text("type: object\nproperties: [unclosed\n")
    assert load_output_schema("s.json", tmp_path)[0] == SCHEMA
    assert load_output_schema("s.yaml", tmp_path)[0] == {"type": "object", "properties": {"x": {"type": "string"}}}
    assert "not found" in (load_output_schema("missing.json", tmp_path)[2] or "")
    assert "must be .json or .yaml" in (load_output_schema("s.txt", tmp_path)[2] or "")
    assert "bad.yaml" in (load_output_schema("bad.yaml", tmp_path)[2] or "")


def test_response_format_names_the_job_safely():
    fmt = response_format("my job/é", SCHEMA)
    assert fmt == {"type": "json_schema", "json_schema": {"name": "my_job__", "schema": SCHEMA, "strict": True}}


@pytest.mark.parametrize("content, words", [
    ('{"label": "a", "n": 1}', None),
    ("not json", "the answer is not JSON (line 1 column 1"),
    ('{"label": "c", "n": 1}', "does not follow the schema at label"),
    ('{"label": "a"}', "'n' is a required property"),
    (None, "the answer has no text"),
    ("[" * 10_000 + "]" * 10_000, "not JSON that can be read"),
])
def test_answers_are_parsed_or_become_invalid_output(content, words):
    checked = Checker(SCHEMA).check(RowResult("ok", content, None, {"prompt_tokens": 1}))
    if words is None:
        assert (checked.status, checked.parsed) == ("ok", {"label": "a", "n": 1})
    else:
        assert checked.status == "error" and checked.error is not None
        assert checked.error["code"] == INVALID_OUTPUT and words in checked.error["message"]
        assert checked.content == content and checked.parsed is None  # the raw text is kept


def test_an_error_answer_is_left_as_it_is():
    error = RowResult("error", None, {"code": "server_error", "message": "boom"}, None)
    assert Checker(SCHEMA).check(error) is error
