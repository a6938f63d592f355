"""Joining the provider's output and error files back to the input rows."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from types import SimpleNamespace

import pytest

from specrun.errors import ProviderError
from specrun.results import RowResult, join_rows, load_results, parse_result_line, write_results


def ok_line(custom_id: str, content: str = "hello", prompt_tokens: int = 7, completion_tokens: int = 3) -> dict:
    return {
        "id": f"resp-{custom_id}", "custom_id": custom_id,
        "response": {"status_code": 200, "request_id": "req-1", "body": {
            "id": "chatcmpl-1", "object": "chat.completion", "model": "test-model",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": content},
                         "finish_reason": "stop"}],
            "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
                      "total_tokens": prompt_tokens + completion_tokens}}},
        "error": None,
    }


def http_error_line(custom_id: str, status: int = 400, message: str = "max_tokens is too large") -> dict:
    return {"id": f"resp-{custom_id}", "custom_id": custom_id,
            "response": {"status_code": status, "body": {"error": {
                "message": message, "type": "invalid_request_error", "code": "context_length_exceeded"}}},
            "error": None}


def batch_error_line(custom_id: str) -> dict:
    return {"id": f"resp-{custom_id}", "custom_id": custom_id, "response": None,
            "error": {"code": "batch_expired", "message": "This request could not be executed before expiry."}}


def write_jsonl(path: Path, objects: list) -> Path:
    path.write_text("".join(json.dumps(o) + "\n" for o in objects))
    return path


def request(index: int, custom_id: str, skip_reason: str | None = None, **row) -> SimpleNamespace:
    return SimpleNamespace(index=index, custom_id=custom_id, row=row, skip_reason=skip_reason)


# --------------------------------------------------------------------------- parse_result_line


def test_ok_line_gives_content_and_usage():
    custom_id, result = parse_result_line(ok_line("greet-0", "Hi Ada"))
    assert custom_id == "greet-0"
    assert result == RowResult("ok", "Hi Ada", None,
                               {"prompt_tokens": 7, "completion_tokens": 3, "total_tokens": 10})


def test_http_error_status_uses_the_body_error():
    custom_id, result = parse_result_line(http_error_line("greet-1"))
    assert custom_id == "greet-1"
    assert result.status == "error"
    assert result.content is None and result.usage is None
    assert result.error == {"code": "context_length_exceeded", "message": "max_tokens is too large"}


def test_http_error_without_code_falls_back_to_type():
    line = http_error_line("greet-1")
    del line["response"]["body"]["error"]["code"]
    assert parse_result_line(line)[1].error == {"code": "invalid_request_error", "message": "max_tokens is too large"}


def test_http_error_status_without_body_error_says_the_status():
    line = {"custom_id": "greet-2", "response": {"status_code": 503, "body": {}}, "error": None}
    assert parse_result_line(line)[1] == RowResult("error", None, {"code": "503", "message": "HTTP 503"}, None)


def test_null_response_with_error_object():
    custom_id, result = parse_result_line(batch_error_line("greet-3"))
    assert custom_id == "greet-3"
    assert result == RowResult("error", None, {"code": "batch_expired",
                                               "message": "This request could not be executed before expiry."}, None)


def test_error_as_plain_string():
    line = {"custom_id": "greet-3", "response": None, "error": "worker crashed"}
    assert parse_result_line(line)[1].error == {"code": "error", "message": "worker crashed"}


@pytest.mark.parametrize("response", [{"status_code": 200}, {"status_code": 200, "body": None},
                                      {"status_code": 200, "body": "not an object"}, None, "garbage"])
def test_missing_body_is_an_invalid_response_error(response):
    line = {"custom_id": "greet-4", "response": response, "error": None}
    assert parse_result_line(line)[1] == RowResult(
        "error", None, {"code": "invalid_response", "message": "response has no body"}, None)


# --------------------------------------------------------------------------- load_results


def test_load_results_reads_output_and_error_files(tmp_path):
    output = write_jsonl(tmp_path / "out.jsonl", [ok_line("a"), ok_line("c", "C")])
    errors = write_jsonl(tmp_path / "err.jsonl", [http_error_line("b")])
    results = load_results([errors, output])
    assert set(results) == {"a", "b", "c"}
    assert results["a"].status == "ok" and results["c"].content == "C"
    assert results["b"].status == "error"


def test_later_file_wins_but_never_replaces_an_ok_with_an_error(tmp_path):
    first = write_jsonl(tmp_path / "gen0.jsonl", [
        batch_error_line("a"),          # error, then ok in the retry: ok
        ok_line("b", "first b"),        # ok, then error in the retry: stays ok
        ok_line("c", "first c"),        # ok, then ok: the later one
        http_error_line("d", message="first"),  # error, then error: the later one
    ])
    second = write_jsonl(tmp_path / "gen1.jsonl", [
        ok_line("a", "retried a"),
        batch_error_line("b"),
        ok_line("c", "second c"),
        http_error_line("d", message="second"),
    ])
    results = load_results([first, second])
    assert results["a"] == RowResult("ok", "retried a", None, ok_line("a")["response"]["body"]["usage"])
    assert results["b"].content == "first b"
    assert results["c"].content == "second c"
    assert results["d"].error["message"] == "second"


def test_blank_lines_are_skipped(tmp_path):
    path = tmp_path / "out.jsonl"
    path.write_text("\n" + json.dumps(ok_line("a")) + "\n   \n\n" + json.dumps(ok_line("b")) + "\n")
    assert set(load_results([path])) == {"a", "b"}


def test_non_json_line_names_file_and_line(tmp_path):
    path = tmp_path / "file-out.jsonl"
    path.write_text(json.dumps(ok_line("a")) + "\n\n{truncated\n")
    with pytest.raises(ProviderError) as info:
        load_results([path])
    assert "result file file-out.jsonl line 3 is not JSON" in info.value.message


@pytest.mark.parametrize("line", ["null", "[1, 2]", '"text"'])
def test_json_line_that_is_not_an_object_names_file_and_line(tmp_path, line):
    path = tmp_path / "file-out.jsonl"
    path.write_text(json.dumps(ok_line("a")) + "\n" + line + "\n")
    with pytest.raises(ProviderError, match="file-out.jsonl line 2"):
        load_results([path])


# --------------------------------------------------------------------------- join_rows


def test_join_keeps_input_order_and_marks_missing_and_skipped():
    requests = [request(0, "q-0", text="zero"), request(1, "q-1", text="one"),
                request(2, "q-2", skip_reason="prompt is 9000 tokens, over the context of 8192", text="two"),
                request(3, "q-3", text="three")]
    results = {  # deliberately not in input order
        "q-3": RowResult("error", None, {"code": "server_error", "message": "boom"}, None),
        "q-2": RowResult("ok", "never sent, ignored", None, None),
        "q-0": RowResult("ok", "Zero!", None, {"prompt_tokens": 4, "completion_tokens": 2}),
    }
    records = list(join_rows(requests, results, missing_reason="no result (batch batch_1 expired)"))
    assert [r["custom_id"] for r in records] == ["q-0", "q-1", "q-2", "q-3"]
    assert [r["index"] for r in records] == [0, 1, 2, 3]
    assert [r["status"] for r in records] == ["ok", "error", "skipped", "error"]
    assert records[0] == {"custom_id": "q-0", "index": 0, "status": "ok", "content": "Zero!", "error": None,
                          "usage": {"prompt_tokens": 4, "completion_tokens": 2}, "parsed": None, "reused": False,
                          "row": {"text": "zero"}}
    assert records[1]["error"] == {"code": "missing", "message": "no result (batch batch_1 expired)"}
    assert records[1]["content"] is None and records[1]["usage"] is None
    assert records[2]["error"] == {"code": "skipped",
                                   "message": "prompt is 9000 tokens, over the context of 8192"}
    assert records[2]["content"] is None
    assert records[3]["error"] == {"code": "server_error", "message": "boom"}
    assert [r["row"] for r in records] == [{"text": "zero"}, {"text": "one"}, {"text": "two"}, {"text": "three"}]
    assert all(list(r) == ["custom_id", "index", "status", "content", "error", "usage", "parsed", "reused", "row"]
               for r in records)


def test_join_default_missing_reason():
    [record] = join_rows([request(0, "q-0")], {})
    assert record["error"] == {"code": "missing", "message": "no result from the provider"}


def test_join_is_lazy_and_copies_rows():
    row = {"text": "x"}
    source = SimpleNamespace(index=0, custom_id="q-0", row=row, skip_reason=None)
    records = join_rows(iter([source]), {})
    assert not isinstance(records, list)
    [record] = records
    record["row"]["text"] = "changed"
    assert row == {"text": "x"}


# --------------------------------------------------------------------------- write_results


def records_of(*statuses: str) -> list[dict]:
    records = []
    for i, status in enumerate(statuses):
        usage = {"prompt_tokens": 10 + i, "completion_tokens": 5} if status == "ok" else None
        records.append({"custom_id": f"q-{i}", "index": i, "status": status,
                        "content": "ünïcode" if status == "ok" else None,
                        "error": None if status == "ok" else {"code": status, "message": status},
                        "usage": usage, "row": {"i": str(i)}})
    return records


def test_write_results_counts_sums_and_hashes(tmp_path):
    path = tmp_path / "results" / "greet.jsonl"
    summary = write_results(path, records_of("ok", "error", "ok", "skipped", "ok"))
    data = path.read_bytes()
    assert summary.sha256 == hashlib.sha256(data).hexdigest()
    assert (summary.ok, summary.error, summary.skipped) == (3, 1, 1)
    assert (summary.prompt_tokens, summary.completion_tokens) == (10 + 12 + 14, 15)
    assert summary.rewritten is True
    lines = data.decode("utf-8").splitlines()
    assert [json.loads(line)["custom_id"] for line in lines] == ["q-0", "q-1", "q-2", "q-3", "q-4"]
    assert "ünïcode" in lines[0]  # UTF-8, not \u escapes
    assert sorted(p.name for p in path.parent.iterdir()) == ["greet.jsonl"]


def test_write_results_of_nothing_is_an_empty_file(tmp_path):
    path = tmp_path / "empty.jsonl"
    summary = write_results(path, [])
    assert path.read_bytes() == b""
    assert (summary.ok, summary.error, summary.skipped, summary.prompt_tokens) == (0, 0, 0, 0)


def test_identical_results_are_not_rewritten(tmp_path):
    path = tmp_path / "greet.jsonl"
    first = write_results(path, records_of("ok", "error"))
    old = 1_000_000_000_000_000_000  # 2001: any rewrite would move it
    os.utime(path, ns=(old, old))
    inode = path.stat().st_ino
    second = write_results(path, records_of("ok", "error"))
    assert second.rewritten is False
    assert second.sha256 == first.sha256
    assert path.stat().st_mtime_ns == old
    assert path.stat().st_ino == inode
    assert sorted(p.name for p in tmp_path.iterdir()) == ["greet.jsonl"]


def test_changed_results_are_rewritten(tmp_path):
    path = tmp_path / "greet.jsonl"
    first = write_results(path, records_of("ok", "error"))
    second = write_results(path, records_of("ok", "ok"))
    assert second.rewritten is True and second.sha256 != first.sha256
    assert hashlib.sha256(path.read_bytes()).hexdigest() == second.sha256


def test_a_failed_rename_leaves_the_old_results(tmp_path, monkeypatch):
    path = tmp_path / "greet.jsonl"
    write_results(path, records_of("ok"))
    before = path.read_bytes()

    def broken_replace(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError):
        write_results(path, records_of("error", "error"))
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["greet.jsonl"]


def test_an_error_while_joining_leaves_the_old_results(tmp_path):
    path = tmp_path / "greet.jsonl"
    write_results(path, records_of("ok"))
    before = path.read_bytes()

    def records():
        yield from records_of("error")
        raise ProviderError("download failed halfway")

    with pytest.raises(ProviderError, match="halfway"):
        write_results(path, records())
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["greet.jsonl"]
