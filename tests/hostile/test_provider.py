"""Hostile providers: ids that pick paths, answers of the wrong shape, text that drives the terminal.

A provider, or anyone in the middle of an ``http://`` base URL, chooses every byte of its
answers. Whatever it sends must end as data specrun checked or as one clean error: never a
local path of its choosing, never a traceback, never an escape sequence on the terminal.
Driven through pytest-httpx (client and ``specrun models/files/batches``) and the report
formatters.
"""

from __future__ import annotations

import json
import logging

import httpx
import pytest
from click.testing import CliRunner

from specrun._text import safe, safe_json
from specrun.apply import ApplyReport, JobOutcome
from specrun.cli import main
from specrun.client import Batch, Client, FileObject, ModelConfig, check_id, is_valid_id
from specrun.errors import APIError, OutcomeUnknown, ProviderError
from specrun.plan import JobPlan, Plan
from specrun.report import format_apply_summary, format_plan, format_plan_markdown

BASE = "http://api.test/v1"
KEY = "sk-hostile-SECRET-42"
ESC_SEQUENCES = ["\x1b]0;pwned\x07", "\x1b[2J", "\x1b[31mred", "\r", "\x9b2J", "\u202e", "\x00", "\x07"]


@pytest.fixture
def client():
    with Client(BASE, KEY, max_retries=0, sleep=lambda s: None) as c:
        yield c


@pytest.fixture(autouse=True)
def workdir(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no specrun.yaml: commands run from SPECRUN_BASE_URL
    return tmp_path


@pytest.fixture(autouse=True)
def fresh_logging():
    logger = logging.getLogger("specrun")
    saved = (list(logger.handlers), logger.level)
    logger.handlers.clear()
    yield
    logger.handlers[:], logger.level = saved[0], saved[1]


def run(*args: str):
    return CliRunner().invoke(main, list(args), env={"SPECRUN_BASE_URL": BASE, "MITHRIL_API_KEY": KEY})


def batch_json(batch_id="batch_1", status="completed", **extra) -> dict:
    body = {"id": batch_id, "object": "batch", "endpoint": "/v1/chat/completions", "input_file_id": "file-in",
            "completion_window": "24h", "status": status, "output_file_id": "file-out", "error_file_id": None,
            "created_at": 1714000000, "request_counts": {"total": 2, "completed": 2, "failed": 0}, "errors": None}
    body.update(extra)
    return body


def file_json(file_id="file-1", filename="a.jsonl", **extra) -> dict:
    body = {"id": file_id, "object": "file", "bytes": 12, "created_at": 1714000000, "filename": filename,
            "purpose": "batch", "status": "processed"}
    body.update(extra)
    return body


def raw_json(httpx_mock, url: str, text: str, **kwargs) -> None:
    """An answer whose bytes we write ourselves (json= cannot send NaN or 1e400)."""
    httpx_mock.add_response(url=url, content=text.encode(), headers={"content-type": "application/json"}, **kwargs)


def no_raw_controls(text: str) -> bool:
    """True when ``text`` holds no character a terminal would act on."""
    return not any(ch in text for ch in "\x1b\x07\r\x00\x9b\u202e")


def assert_clean_cli_error(result, *pieces: str) -> None:
    assert result.exit_code == 1, result.output
    assert result.stderr.splitlines()[-1].startswith("Error: "), result.output
    assert "Traceback" not in result.output and "internal error" not in result.output, result.output
    assert no_raw_controls(result.output), repr(result.output)
    for piece in pieces:
        assert piece in result.output, f"{piece!r} not in {result.output!r}"


# ------------------------------------------------------- ids never choose a local path

HOSTILE_IDS = [
    "../../../home/user/.bashrc", "/etc/passwd", "..", "a/b", "a\\b", "file-1/../../x", ".hidden",
    "file-1\x00.jsonl", "file\x1b]0;pwned\x07", "C:\\evil", "x" * 300, "file 1", "~/x", "-rf",
]


@pytest.mark.parametrize("bad", HOSTILE_IDS)
@pytest.mark.parametrize("field", ["output_file_id", "error_file_id", "input_file_id"])
def test_a_batch_file_id_that_could_be_a_path_is_refused(httpx_mock, client, field, bad):
    httpx_mock.add_response(url=f"{BASE}/batches/batch_1", json=batch_json(**{field: bad}))
    with pytest.raises(ProviderError) as caught:
        client.get_batch("batch_1")
    message = caught.value.message
    assert message.startswith(f"provider returned an invalid {field} '{safe(bad, 100)}")
    assert "(batch batch_1); refusing it" in message
    assert no_raw_controls(message)


@pytest.mark.parametrize("bad", HOSTILE_IDS)
def test_a_batch_id_that_could_be_a_path_is_refused(httpx_mock, client, bad):
    httpx_mock.add_response(url=f"{BASE}/batches/batch_1", json=batch_json(bad))
    with pytest.raises(ProviderError, match="provider returned an invalid batch id") as caught:
        client.get_batch("batch_1")
    assert no_raw_controls(caught.value.message)


@pytest.mark.parametrize("bad", HOSTILE_IDS)
def test_a_file_id_that_could_be_a_path_is_refused_in_get_and_list(httpx_mock, client, bad):
    httpx_mock.add_response(url=f"{BASE}/files/file-1", json=file_json(bad))
    httpx_mock.add_response(url=f"{BASE}/files?limit=10000", json={"data": [file_json("file-ok"), file_json(bad)]})
    with pytest.raises(ProviderError, match="provider returned an invalid file id"):
        client.get_file("file-1")
    with pytest.raises(ProviderError, match=r"provider returned an invalid file id .*\(answer to GET /v1/files\)"):
        client.find_files("a.jsonl")


def test_adoption_listing_with_a_hostile_batch_is_an_error_not_a_path(httpx_mock, client):
    httpx_mock.add_response(url=f"{BASE}/batches?limit=100", json={"data": [
        batch_json("batch_1", input_file_id="file-in", output_file_id="../../../home/user/.bashrc")]})
    with pytest.raises(ProviderError, match=r"invalid output_file_id '\.\./\.\./\.\./home/user/\.bashrc'"):
        client.find_batches("file-in")


def test_a_created_batch_with_a_hostile_id_is_not_accepted(httpx_mock, client):
    httpx_mock.add_response(method="POST", url=f"{BASE}/batches", json=batch_json("../b", "validating"))
    with pytest.raises(OutcomeUnknown, match="invalid batch id '../b'"):  # reconciled by listing, never used
        client.create_batch("file-in")


@pytest.mark.parametrize("bad", ["../m", "/etc/passwd", "m\x1b[2J", "a..b", "m b", "", None, 5.5, ["m"]])
def test_a_hostile_model_id_is_refused(httpx_mock, client, bad):
    httpx_mock.add_response(url=f"{BASE}/active-models", json={"active_models": ["ok-model", bad]})
    with pytest.raises(ProviderError, match="invalid model id") as caught:
        client.active_models()
    assert no_raw_controls(caught.value.message)


def test_ordinary_ids_still_pass():
    for good in ["file-abc123", "batch_6f1e", "0b8a3c52-7d3e-4f5a-9c1e-2b3c4d5e6f70", "ns:file.v1", "7"]:
        assert is_valid_id(good) and check_id(good) == good
    assert check_id(42) == "42"  # some servers number their objects
    config = ModelConfig.from_dict({"id": "meta-llama/Llama-3.1-8B-Instruct", "input_price_cents": "5"})
    assert config.id == "meta-llama/Llama-3.1-8B-Instruct" and config.input_price_cents == 5.0
    assert Batch.from_dict(batch_json(output_file_id="", error_file_id=None)).output_file_id is None


def test_files_download_never_derives_a_path_from_an_odd_id(httpx_mock, workdir):
    result = run("files", "download", "../../escape")
    assert_clean_cli_error(result, "cannot name the local file after '../../escape'", "-o/--output")
    assert not httpx_mock.get_requests() and list(workdir.iterdir()) == []
    httpx_mock.add_response(url=f"{BASE}/files/file-1/content", content=b'{"a": 1}\n')
    result = run("files", "download", "file-1")
    assert result.exit_code == 0, result.output
    assert [p.name for p in workdir.iterdir()] == ["file-1.jsonl"]


# -------------------------------------------------- answers of the wrong shape

@pytest.mark.parametrize("body, piece", [
    ([batch_json()], "expected a JSON object, got an array"),
    ("batch_1", "expected a JSON object, got a string"),
    (5, "expected a JSON object, got a number"),
    ({"object": "batch", "status": "completed"}, "missing or invalid 'id'"),
    (batch_json(status=5), "invalid status '5'"),
    (batch_json(status=["completed"]), "invalid status"),
    (batch_json(status="\x1b[2Jcompleted"), r"invalid status '\x1b[2Jcompleted'"),
    (batch_json(request_counts="x"), "invalid request_counts 'x'"),
    (batch_json(request_counts=[1, 2]), "invalid request_counts"),
    (batch_json(request_counts={"total": "many"}), "invalid request_counts.total 'many'"),
    (batch_json(request_counts={"total": -3}), "invalid request_counts.total '-3'"),
    (batch_json(request_counts={"total": 10**30}), "invalid request_counts.total"),
    (batch_json(request_counts={"completed": 2.5}), "invalid request_counts.completed '2.5'"),
    (batch_json(id={"a": 1}), "invalid batch id"),
])
def test_a_batch_answer_of_the_wrong_shape_is_a_provider_error(httpx_mock, client, body, piece):
    httpx_mock.add_response(url=f"{BASE}/batches/batch_1", json=body)
    with pytest.raises(ProviderError) as caught:
        client.get_batch("batch_1")
    assert piece in caught.value.message
    assert "GET /v1/batches/batch_1" in caught.value.message


@pytest.mark.parametrize("text, piece", [
    ('{"id": "batch_1", "status": "completed", "created_at": NaN}', "NaN is not valid JSON"),
    ('{"id": "batch_1", "status": "completed", "request_counts": {"total": Infinity}}', "Infinity is not valid JSON"),
    ('{"id": "batch_1", "status": "completed", "created_at": 1e400}', "out of range"),
    ('{"id": "batch_1", "created_at": ' + "9" * 5000 + "}", "invalid JSON"),
    ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
    ('{"a":' * 100_000 + "1" + "}" * 100_000, "nested too deeply"),
    ('{"id": "batch_1", ', "invalid JSON"),
    ("null", "expected a JSON object, got null"),
])
def test_an_answer_that_is_not_strict_json_is_a_provider_error(httpx_mock, client, text, piece):
    raw_json(httpx_mock, f"{BASE}/batches/batch_1", text)
    with pytest.raises(ProviderError, match=r"unreadable answer \(200 on GET /v1/batches/batch_1\)") as caught:
        client.get_batch("batch_1")
    assert piece in caught.value.message


@pytest.mark.parametrize("body, piece", [
    ({"data": 5}, "'data' is a number, expected an array"),
    ({"data": "file-1"}, "'data' is a string, expected an array"),
    ({"data": {"id": "file-1"}}, "'data' is an object, expected an array"),
    ({"object": "list"}, "no 'data' array"),
    ("files", "expected a list object, got a string"),
    ({"data": [file_json(), "file-2"]}, "a string where a file object belongs"),
    ({"data": [file_json(), None]}, "null where a file object belongs"),
    ({"data": [{"object": "file"}]}, "missing or invalid 'id'"),
    ({"data": [file_json()], "has_more": True, "last_id": {"x": 1}}, "invalid list cursor"),
    ({"data": [file_json()], "has_more": True, "last_id": "x\x1b[2J"}, "invalid list cursor 'x\\x1b[2J'"),
])
def test_a_listing_of_the_wrong_shape_is_a_provider_error(httpx_mock, client, body, piece):
    httpx_mock.add_response(url=f"{BASE}/files?limit=10000", json=body)
    with pytest.raises(ProviderError) as caught:
        list(client.iter_files())
    assert piece in caught.value.message


@pytest.mark.parametrize("field", ["id", "status", "output_file_id", "request_counts"])
def test_a_deeply_nested_value_where_a_scalar_belongs_is_a_provider_error(field):
    deep: list = []
    for _ in range(5000):  # deeper than Python can repr
        deep = [deep]
    with pytest.raises(ProviderError, match=r"provider returned an invalid .* '<list>'"):
        Batch.from_dict(batch_json(**{field: deep}))


def test_a_null_listing_is_empty_not_an_error(httpx_mock, client):
    # Go servers marshal an empty slice as null: that is "nothing", not a broken answer.
    httpx_mock.add_response(url=f"{BASE}/files?limit=10000", json={"data": None, "has_more": False})
    httpx_mock.add_response(url=f"{BASE}/active-models", json={"active_models": None})
    assert list(client.iter_files()) == [] and client.active_models() == []


@pytest.mark.parametrize("body, piece", [
    ({"active_models": "m-1"}, "'active_models' is a string, expected an array"),
    ({"active_models": [{"id": "m", "input_price_cents": "nan"}]}, "invalid input_price_cents 'nan' (model m)"),
    ({"active_models": [{"id": "m", "output_price_cents": -1}]}, "invalid output_price_cents '-1'"),
    ({"active_models": [{"id": "m", "output_price_cents": 1e300}]}, "invalid output_price_cents"),
    ({"active_models": [{"id": "m", "input_price_cents": [5]}]}, "invalid input_price_cents"),
    ({"active_models": [{"name": "no id", "context_length": 5}]}, "invalid model id 'no id'"),
    ({"active_models": [7]}, "a number where a model object belongs"),
])
def test_a_model_config_of_the_wrong_shape_is_a_provider_error(httpx_mock, client, body, piece):
    httpx_mock.add_response(url=f"{BASE}/model-config", json=body)
    with pytest.raises(ProviderError) as caught:
        client.model_config()
    assert piece in caught.value.message


def test_odd_informational_numbers_are_tolerated(httpx_mock, client):
    httpx_mock.add_response(url=f"{BASE}/files/file-1", json=file_json(bytes=10**40, created_at="yesterday"))
    found = client.get_file("file-1")
    assert found.bytes is None and found.created_at is None
    assert ModelConfig.from_dict({"id": "m", "context_length": -5}).context_length is None


@pytest.mark.parametrize("args, url, body, piece", [
    (["batches", "get", "batch_1"], f"{BASE}/batches/batch_1", [1, 2], "expected a JSON object, got an array"),
    (["batches", "get", "batch_1"], f"{BASE}/batches/batch_1", batch_json(status=5), "invalid status '5'"),
    (["batches", "get", "batch_1"], f"{BASE}/batches/batch_1", batch_json(request_counts="x"),
     "invalid request_counts 'x'"),
    (["batches", "ls"], f"{BASE}/batches?limit=20", {"data": 5}, "'data' is a number"),
    (["files", "ls"], f"{BASE}/files?limit=20", {"data": [{"id": "../x"}]}, "invalid file id '../x'"),
    (["models"], f"{BASE}/model-config", {"active_models": [{"id": "m\x1b[2J"}]}, r"invalid model id 'm\x1b[2J'"),
])
def test_cli_shows_a_wrong_shaped_answer_as_one_clean_error(httpx_mock, args, url, body, piece):
    httpx_mock.add_response(url=url, json=body)
    assert_clean_cli_error(run(*args), piece)


# ------------------------------------------------------------- terminal escapes

@pytest.mark.parametrize("evil", ESC_SEQUENCES)
def test_files_ls_and_get_show_provider_text_safely(httpx_mock, evil):
    entry = file_json(filename=f"{evil}report.jsonl", purpose=f"batch{evil}", status=evil)
    httpx_mock.add_response(url=f"{BASE}/files?limit=20", json={"data": [entry]})
    httpx_mock.add_response(url=f"{BASE}/files/file-1", json=entry)
    listed, shown = run("files", "ls"), run("files", "get", "file-1")
    for result in (listed, shown):
        assert result.exit_code == 0, result.output
        assert no_raw_controls(result.output), repr(result.output)
        assert f"{safe(evil)}report.jsonl" in result.output


@pytest.mark.parametrize("evil", ESC_SEQUENCES)
def test_json_output_is_valid_json_without_raw_controls(httpx_mock, evil):
    entry = file_json(filename=f"{evil}x.jsonl")
    httpx_mock.add_response(url=f"{BASE}/files?limit=20", json={"data": [entry]})
    result = run("files", "ls", "--json")
    assert result.exit_code == 0, result.output
    assert no_raw_controls(result.stdout), repr(result.stdout)
    assert json.loads(result.stdout) == [entry]  # the value itself is unchanged


def test_models_table_shows_names_and_statuses_safely(httpx_mock):
    httpx_mock.add_response(url=f"{BASE}/model-config", json={"active_models": [
        {"id": "m-1", "status": "\x1b]8;;http://evil\x07click\x1b]8;;\x07", "context_length": 8}]})
    result = run("models")
    assert result.exit_code == 0, result.output
    assert no_raw_controls(result.output)
    assert "\\x1b]8;;http://evil\\x07click" in result.output


def test_batch_errors_are_shown_safely_in_get_and_wait(httpx_mock):
    errors = {"data": [{"code": "bad", "message": "\x1b[2J\x1b]0;pwned\x07line is bad", "line": 3}]}
    body = batch_json(status="failed", errors=errors)
    httpx_mock.add_response(url=f"{BASE}/batches/batch_1", json=body, is_reusable=True)
    shown = run("batches", "get", "batch_1")
    assert shown.exit_code == 0 and no_raw_controls(shown.output), repr(shown.output)
    assert "line 3: \\x1b[2J\\x1b]0;pwned\\x07line is bad" in shown.output
    waited = run("batches", "wait", "batch_1", "--poll-interval", "0")
    assert_clean_cli_error(waited, "batch batch_1 ended failed: line 3: \\x1b[2J")


@pytest.mark.parametrize("errors, shown", [
    ("plain \x1b[2J text", "plain \\x1b[2J text"),
    ({"data": [{"code": "c"}, "x\r", 5, None]}, "c; x\\r; 5; null"),
    ({"data": [{"message": {"deep": [[1]]}, "line": [2]}]}, 'line [2]: {"deep": [[1]]}'),
    ([{"message": "m", "line": 1}] * 25, "and 5 more"),
])
def test_batch_errors_of_any_shape_become_one_safe_line(errors, shown):
    text = Batch.from_dict(batch_json(status="failed", errors=errors)).errors_text()
    assert shown in text and no_raw_controls(text)


def test_deeply_nested_batch_errors_never_crash():
    deep: list = []
    for _ in range(5000):
        deep = [deep]
    assert Batch.from_dict(batch_json(errors={"data": [{"message": deep}]})).errors_text() == "list"


def test_many_huge_batch_errors_are_cut(httpx_mock):
    errors = {"data": [{"message": "x" * 100_000, "line": i} for i in range(1000)]}
    httpx_mock.add_response(url=f"{BASE}/batches/batch_1", json=batch_json(status="failed", errors=errors))
    result = run("batches", "get", "batch_1")
    assert result.exit_code == 0 and len(result.output) < 5_000


@pytest.mark.parametrize("body", [
    {"detail": "\x1b]0;pwned\x07\x1b[2Jnope"},
    {"error": {"message": "\x1b]0;pwned\x07\x1b[2Jnope"}},
    {"detail": [{"loc": ["body", "x\x1b[2J"], "msg": "\x1b]0;pwned\x07nope"}]},
])
def test_error_bodies_reach_the_message_safely(httpx_mock, client, body):
    httpx_mock.add_response(url=f"{BASE}/batches/batch_1", status_code=400, json=body)
    with pytest.raises(ProviderError) as caught:
        client.get_batch("batch_1")
    assert no_raw_controls(caught.value.message) and "\\x1b]0;pwned\\x07" in caught.value.message


def test_a_non_json_error_body_and_a_redirect_reach_the_message_safely(httpx_mock, client):
    httpx_mock.add_response(url=f"{BASE}/batches/b1", status_code=502, text="<h1>\x1b[2Jdown</h1>")
    httpx_mock.add_response(url=f"{BASE}/batches/b2", status_code=302, headers={"location": "http://x/\x1b[2J"})
    for batch_id in ("b1", "b2"):  # (httpx itself refuses the redirect: still one clean message)
        with pytest.raises(APIError) as caught:
            client.get_batch(batch_id)
        assert no_raw_controls(caught.value.message) and "\\x1b" in caught.value.message


def test_a_huge_error_body_is_cut_and_the_key_never_half_shown(httpx_mock, client):
    httpx_mock.add_response(url=f"{BASE}/batches/b1", status_code=400,
                            json={"detail": "x" * 290 + KEY + "y" * 1_000_000})
    with pytest.raises(ProviderError) as caught:
        client.get_batch("b1")
    message = caught.value.message
    assert len(message) < 1_000 and "more characters" in message
    assert KEY[:8] not in message


def test_an_id_typed_by_the_user_is_shown_safely_in_errors_and_logs(httpx_mock, client, caplog):
    httpx_mock.add_response(url=f"{BASE}/batches/%1B%5B2J", status_code=404, json={"detail": "no"},
                            is_reusable=True)
    assert_clean_cli_error(run("batches", "get", "\x1b[2J"), "GET /v1/batches/\\x1b[2J")
    with caplog.at_level(logging.DEBUG, logger="specrun.client"), pytest.raises(APIError):
        client.get_batch("\x1b[2J")
    assert "GET /v1/batches/%1B%5B2J -> 404" in caplog.text and no_raw_controls(caplog.text)


def test_the_reports_show_provider_text_safely():
    evil = "\x1b]0;pwned\x07\x1b[2J"
    plan = Plan(jobs=(JobPlan(job="j", action="wait", reason=f"batch batch_1 {evil}in_progress", requests=1,
                              shards=1, model=f"m{evil}", input_sha256=None, batch_ids=(f"b{evil}",)),),
                provider=BASE, lineage="l", serial=1, warnings=(f"note {evil}",),
                budget_violations=(f"over {evil}",))
    for text in (format_plan(plan), format_plan(plan, color=True), format_plan_markdown(plan)):
        assert "\x07" not in text and "\x1b]" not in text and "\x1b[2J" not in text, repr(text)
        assert "\\x1b]0;pwned\\x07" in text
    outcome = JobOutcome(job="j", status="failed", message=f"batch b1 failed: {evil}", ok=0, error=1)
    summary = format_apply_summary(ApplyReport(outcomes=[outcome]))
    assert no_raw_controls(summary) and "\\x1b]0;pwned\\x07" in summary


def test_safe_keeps_ordinary_unicode_and_cuts_absurd_text():
    assert safe("Café 東京 🎉 naïve – ok") == "Café 東京 🎉 naïve – ok"
    assert safe("a\x1bb\rc\nd\te\x9bf\u202eg") == "a\\x1bb\\rc\\nd\\te\\x9bf\\u202eg"
    assert safe("lone \ud800 surrogate") == "lone \\ud800 surrogate"
    assert safe("x" * 5000).endswith("… (4,000 more characters)")
    assert json.loads(safe_json({"a": "\x1b\x9b\u2028\ud800é"}, indent=2)) == {"a": "\x1b\x9b\u2028\ud800é"}


def test_a_lone_surrogate_from_the_provider_never_breaks_printing(httpx_mock):
    raw_json(httpx_mock, f"{BASE}/files/file-1",
             json.dumps(file_json(filename="x")).replace('"x"', '"\\ud800x"'), is_reusable=True)
    for args in (("files", "get", "file-1"), ("files", "get", "file-1", "--json")):
        result = run(*args)
        assert result.exit_code == 0, result.output
        assert "\\ud800x" in result.output


def test_a_transport_error_message_is_shown_safely(httpx_mock, client):
    httpx_mock.add_exception(httpx.RemoteProtocolError("bad header \x1b[2J"), url=f"{BASE}/batches/b1",
                             is_reusable=True)
    with pytest.raises(Exception) as caught:
        client.get_batch("b1")
    assert no_raw_controls(str(caught.value)) and "\\x1b[2J" in str(caught.value)


def test_file_object_rejects_a_non_object():
    with pytest.raises(ProviderError, match="an array where a file object belongs"):
        FileObject.from_dict([1])  # type: ignore[arg-type]
