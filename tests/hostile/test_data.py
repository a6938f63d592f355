"""Hostile data: JSON rows that are not JSON (NaN, Infinity), nested 100,000 deep, numbers of
thousands of digits; provider output files of any shape; results that must stay strict JSON.

Every case ends as one clean ``Error:`` naming the file and the line (and the field when
there is one), or, for the provider's files, as a row error or a ProviderError: never a
traceback, never a results line that is not JSON.
"""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import pytest

from specrun.errors import DataError, ProviderError
from specrun.results import join_rows, load_results, parse_result_line, write_results
from tests.hostile.conftest import MODEL, assert_one_clean_error, cli


def _project(root: Path, name: str, text: str) -> Path:
    (root / "data").mkdir(exist_ok=True)
    (root / "data" / name).write_text(text, encoding="utf-8")
    (root / "specrun.yaml").write_text(f"""version: 1
provider: local
defaults: {{model: {MODEL}, params: {{max_tokens: 16}}}}
jobs:
  a:
    data: data/{name}
    messages: [{{role: user, content: "item {{{{ index }}}}"}}]
""")
    return root


def _strict(text: str) -> object:
    def refuse(constant: str) -> None:
        raise AssertionError(f"{constant} in a results line")
    return json.loads(text, parse_constant=refuse)


# ------------------------------------------------------------ NaN / Infinity in data rows

@pytest.mark.parametrize("name, text, pieces", [
    ("x.jsonl", '{"q": 1}\n\n{"q": {"x": [1, NaN]}}\n',
     ["data/x.jsonl line 3: NaN is not valid JSON (field q.x[1])", 'a string such as "NaN"']),
    ("x.jsonl", '{"q": Infinity}\n', ["data/x.jsonl line 1: Infinity is not valid JSON (field q)"]),
    ("x.jsonl", '{"q": 1}\n{"a": 2, "b": -Infinity}\n', ["data/x.jsonl line 2: -Infinity is not valid JSON (field b)"]),
    ("x.jsonl", '{"q": 1e400}\n', ["data/x.jsonl line 1: the number 1e400 is too large (field q)", "infinity"]),
    ("x.jsonl", '{"q": -2.5E+999}\n', ["line 1: the number -2.5E+999 is too large (field q)"]),
    ("x.ndjson", "NaN\n", ["data/x.ndjson line 1: NaN is not valid JSON;"]),
    ("x.json", '[{"q": 1},\n {"q": 2},\n {"a": {"b": NaN}}]', ["data/x.json line 3: item 2: NaN is not valid JSON (field a.b)"]),
    ("x.json", '[\n  {"q": 1e999}\n]', ["data/x.json line 2: item 0: the number 1e999 is too large (field q)"]),
])
def test_nan_and_infinity_in_data_are_refused_naming_line_and_field(tmp_path, name, text, pieces):
    project = _project(tmp_path, name, text)
    for command in ("validate", "render", "plan"):
        assert_one_clean_error(cli(command, cwd=project), *pieces)


def test_ordinary_numbers_still_read_exactly(tmp_path):
    project = _project(tmp_path, "x.jsonl", '{"f": 1.5, "big": 1e300, "tiny": 1e-320, "neg": -0.0, "i": 12345678901234567890}\n')
    result = cli("render", "--out", "build", cwd=project)
    assert result.exit_code == 0, result.output
    from specrun.data import row_source
    from specrun.spec import load_spec

    spec = load_spec(project / "specrun.yaml")
    [(_, row)] = list(row_source(spec.jobs["a"].data, "specrun.yaml"))
    assert row == {"f": 1.5, "big": 1e300, "tiny": 1e-320, "neg": -0.0, "i": 12345678901234567890}


# ------------------------------------------------------------------- deep nesting

DEEP = 100_000


@pytest.mark.parametrize("name, text, pieces", [
    ("x.jsonl", '{"q": 1}\n' + "[" * DEEP + "]" * DEEP + "\n", ["data/x.jsonl line 2: nested too deeply"]),
    ("x.jsonl", '{"a":' * DEEP + "1" + "}" * DEEP + "\n", ["data/x.jsonl line 1: nested too deeply"]),
    ("x.jsonl", '{"q": ' + "[" * DEEP + "\n", ["data/x.jsonl line 1: nested too deeply"]),  # and unclosed
    ("x.jsonl", '{"q": 1}\n{"a": ' + "[" * 150 + "]" * 150 + "}\n", ["data/x.jsonl line 2: nested too deeply",
                                                                       "more than 100 levels"]),
    ("x.json", '[{"q": 1},\n' + '{"a":' * DEEP + "1" + "}" * DEEP + "]", ["data/x.json line 2: nested too deeply"]),
    ("x.json", "[" * DEEP + "]" * DEEP, ["data/x.json line 1: nested too deeply"]),
    ("x.json", '[{"q": 1},\n {"a": ' + "[" * 150 + "]" * 150 + "}]", ["data/x.json line 2: item 1: nested too deeply"]),
])
def test_deeply_nested_rows_are_a_clear_data_error(tmp_path, name, text, pieces):
    project = _project(tmp_path, name, text)
    assert_one_clean_error(cli("validate", cwd=project), *pieces)


def test_a_row_exactly_at_the_depth_limit_is_fine(tmp_path):
    project = _project(tmp_path, "x.jsonl", '{"a": ' + "[" * 99 + "]" * 99 + "}\n")  # the row is level 1
    assert cli("validate", cwd=project).exit_code == 0


@pytest.mark.parametrize("name, text, piece", [
    ("x.jsonl", '{"q": ' + "9" * 5000 + "}\n", "data/x.jsonl line 1: a number has thousands of digits"),
    ("x.json", '[\n{"q": ' + "9" * 5000 + "}]", "data/x.json line 2: a number has thousands of digits"),
])
def test_a_number_of_thousands_of_digits_is_a_clear_data_error(tmp_path, name, text, piece):
    assert_one_clean_error(cli("validate", cwd=_project(tmp_path, name, text)), piece)


def test_a_field_name_with_escape_sequences_is_shown_safely(tmp_path):
    project = _project(tmp_path, "x.jsonl", '{"\\u001b]0;pwned\\u0007": NaN}\n')
    result = cli("validate", cwd=project)
    assert_one_clean_error(result, "(field \\x1b]0;pwned\\x07)")
    assert "\x1b" not in result.output and "\x07" not in result.output


def test_a_csv_header_with_escape_sequences_is_shown_safely(tmp_path):
    project = _project(tmp_path, "x.csv", "id,\x1b]0;pwned\x07title\n1,a\n2,b,c\n")
    result = cli("validate", cwd=project)
    assert_one_clean_error(result, "data/x.csv line 3: expected 2 fields (id, \\x1b]0;pwned\\x07title), found 3")
    assert "\x1b" not in result.output and "\x07" not in result.output


# ----------------------------------------------- the provider's output files, any shape

def _ok(custom_id: str, **body) -> dict:
    answer = {"choices": [{"message": {"role": "assistant", "content": "hi"}}],
              "usage": {"prompt_tokens": 3, "completion_tokens": 2}}
    answer.update(body)
    return {"custom_id": custom_id, "response": {"status_code": 200, "body": answer}, "error": None}


@pytest.mark.parametrize("line, expected", [
    (_ok("a", choices={"0": {"message": {"content": "hi"}}}), ("ok", None)),
    (_ok("a", choices="hi"), ("ok", None)),
    (_ok("a", choices=[{"message": "hi"}]), ("ok", None)),
    (_ok("a", choices=[{"message": {"content": ["hi"]}}]), ("error", "invalid_response")),
    (_ok("a", choices=[{"message": {"content": 5}}]), ("error", "invalid_response")),
    (_ok("a", usage="lots"), ("ok", "hi")),
    (_ok("a", usage=[1, 2]), ("ok", "hi")),
    ({"custom_id": "a", "error": {"code": [[["x"]]], "message": {"nested": [1]}}}, ("error", '[[["x"]]]')),
    ({"custom_id": "a", "error": ["boom"]}, ("error", "error")),
    ({"custom_id": "a", "response": {"status_code": "200", "body": None}}, ("error", "invalid_response")),
    ({"custom_id": ["a"], "response": []}, ("error", "invalid_response")),
])
def test_an_output_line_of_the_wrong_shape_never_crashes(line, expected):
    _, result = parse_result_line(line)
    status, detail = expected
    assert result.status == status
    assert (result.content if status == "ok" else result.error["code"]) == detail


def test_usage_keeps_only_plain_values():
    _, result = parse_result_line(_ok("a", usage={"prompt_tokens": 3, "completion_tokens": "x", "deep": [[1]],
                                                  "completion_tokens_details": {"reasoning_tokens": 1}}))
    assert result.usage == {"prompt_tokens": 3, "completion_tokens": "x",
                            "completion_tokens_details": {"reasoning_tokens": 1}}


def test_nan_and_huge_numbers_in_an_output_file_read_as_null_and_results_stay_strict(tmp_path):
    out = tmp_path / "out.jsonl"
    out.write_text(
        '{"custom_id": "a", "response": {"status_code": 200, "body": {"choices": [{"message": {"content": "A"}}],'
        ' "usage": {"prompt_tokens": NaN, "completion_tokens": 1e400, "total_tokens": -Infinity}}}}\n'
        '{"custom_id": "b", "response": {"status_code": 200, "body": {"choices": [{"message": {"content": "B"}}],'
        ' "usage": {"prompt_tokens": 2.0, "completion_tokens": "7"}}}}\n')
    results = load_results([out])
    assert results["a"].usage == {"prompt_tokens": None, "completion_tokens": None, "total_tokens": None}
    requests = [SimpleNamespace(index=i, custom_id=c, row={"q": c}) for i, c in enumerate("ab")]
    summary = write_results(tmp_path / "results.jsonl", join_rows(requests, results))
    assert (summary.ok, summary.prompt_tokens, summary.completion_tokens) == (2, 2, 0)
    lines = (tmp_path / "results.jsonl").read_text().splitlines()
    assert [_strict(line)["content"] for line in lines] == ["A", "B"]


@pytest.mark.parametrize("raw, piece", [
    (b"[" * DEEP + b"]" * DEEP + b"\n", "out.jsonl line 2 is not JSON that can be read: nested too deeply"),
    (b'{"custom_id": "a", "x": ' + b'{"a":' * DEEP + b"1" + b"}" * DEEP + b"}\n", "line 2 is not JSON that can be read"),
    (b'{"custom_id": "\xff\xfe"}\n', "out.jsonl line 2 is not JSON: not valid UTF-8"),
    (b'{"custom_id": "a", "n": ' + b"9" * 5000 + b"}\n", "out.jsonl line 2 is not JSON that can be read"),
])
def test_an_unreadable_output_line_is_a_provider_error(tmp_path, raw, piece):
    out = tmp_path / "out.jsonl"
    out.write_bytes(json.dumps(_ok("z")).encode() + b"\n" + raw)
    with pytest.raises(ProviderError) as caught:
        load_results([out])
    assert piece in caught.value.message


# ----------------------------------------------------------- results are strict JSON

@pytest.mark.parametrize("row, why", [
    ({"q": float("nan")}, "NaN or infinite"),
    ({"q": float("inf")}, "NaN or infinite"),
    ({"q": object()}, "not JSON"),
])
def test_a_record_that_is_not_json_is_never_written(tmp_path, row, why):
    path = tmp_path / "results.jsonl"
    path.write_text("old\n")
    record = {"custom_id": "a\x1b[2J", "index": 0, "status": "ok", "content": "x", "error": None, "usage": None,
              "row": row}
    with pytest.raises(DataError) as caught:
        write_results(path, [record])
    assert f"cannot write the result for custom_id 'a\\x1b[2J' to results.jsonl: a value is {why}" \
        in caught.value.message
    assert path.read_text() == "old\n" and [p.name for p in tmp_path.iterdir()] == ["results.jsonl"]


def test_a_deeply_nested_record_is_a_data_error(tmp_path):
    deep: list = []
    for _ in range(5000):
        deep = [deep]
    with pytest.raises(DataError, match="nested too deeply"):
        write_results(tmp_path / "r.jsonl", [{"custom_id": "a", "status": "ok", "row": {"q": deep}}])


def test_a_lone_surrogate_is_written_as_its_json_escape(tmp_path):
    path = tmp_path / "results.jsonl"
    records = [{"custom_id": "a", "status": "ok", "content": "bad \ud800 half", "row": {"q": "é"}}]
    write_results(path, records)
    text = path.read_bytes().decode("utf-8")  # valid UTF-8
    assert _strict(text) == records[0]
