"""Endpoints (DESIGN §10) through render, estimates, results, the row ledger and exports:
request lines and keys per endpoint, output bounds, answers read by their shape, vectors
kept exactly wherever they are stored."""

from __future__ import annotations

import base64
import csv
import json
import struct
import textwrap
from array import array
from pathlib import Path
from types import SimpleNamespace

import pytest

from specrun.estimate import max_output_tokens, sets_output_limit
from specrun.exports import write_exports
from specrun.ledger import Ledger, Outcome, request_key
from specrun.reconcile import ledger_lookup, outcome_of
from specrun.render import iter_requests, job_fingerprint, render_job
from specrun.results import RowResult, join_rows, parse_result_line, write_results
from specrun.spec import load_spec

SPEC = """\
    version: 1
    defaults: {model: m, params: {temperature: 0, max_tokens: 9}}
    jobs:
      embed:
        endpoint: /v1/embeddings
        input: "Text: {{ row.q }}"
        params: {dimensions: 4}
        rows: [{q: a}, {q: "b \\"quoted\\" ü"}]
      respond:
        endpoint: /v1/responses
        input: "{{ row.q }}"
        params: {max_output_tokens: 7, instructions: Be brief., text: {verbosity: low}}
        rows: [{q: a}, {q: b}]
      static:
        endpoint: /v1/embeddings
        input: same for every row
        dedupe: false
        rows: [{}, {}]
    """


@pytest.fixture
def spec(tmp_path):
    path = tmp_path / "specrun.yaml"
    path.write_text(textwrap.dedent(SPEC), encoding="utf-8")
    return load_spec(path)


# ---------------------------------------------------------------- render


@pytest.mark.parametrize("name", ["embed", "respond", "static"])
def test_lines_carry_the_endpoint_and_input_and_their_key_is_the_canonical_one(spec, name):
    job = spec.jobs[name]
    requests = list(iter_requests(spec, job))
    for request in requests:
        line = json.loads(request.line)
        assert line["url"] == job.endpoint == request.url
        assert list(line["body"]) == ["model", "input", *job.params]  # the input where chat has messages
        custom_id = None if job.dedupe else request.custom_id
        assert request.key == request_key(line["url"], line["body"], custom_id)
    first = json.loads(requests[0].line)["body"]
    if name == "embed":
        assert first == {"model": "m", "input": "Text: a", "temperature": 0, "dimensions": 4}
        assert json.loads(requests[1].line)["body"]["input"] == 'Text: b "quoted" ü'
    if name == "static":  # rendered once per job, still one key per row (dedupe: false)
        assert requests[0].key != requests[1].key


def test_the_same_text_on_another_endpoint_is_another_request(spec, tmp_path):
    chat = json.loads(next(iter_requests(spec, spec.jobs["respond"])).line)
    assert request_key("/v1/responses", chat["body"]) != request_key("/v1/chat/completions", chat["body"])


def test_fingerprint_covers_the_input_template(spec, tmp_path):
    job = spec.jobs["embed"]
    before = job_fingerprint(spec, job)
    from dataclasses import replace

    assert job_fingerprint(spec, replace(job, input="Other: {{ row.q }}")) != before


def test_output_bounds_per_endpoint(spec, tmp_path):
    assert max_output_tokens({"max_tokens": 9}, 8192, 10, "/v1/embeddings") == 0
    assert sets_output_limit({}, "/v1/embeddings")
    assert max_output_tokens({"max_output_tokens": 7, "max_tokens": 9}, 8192, 10, "/v1/responses") == 7
    assert max_output_tokens({"max_tokens": 9}, 8192, 10, "/v1/responses") == 8182  # not its field
    assert not sets_output_limit({"max_tokens": 9}, "/v1/responses")
    embed = render_job(spec, spec.jobs["embed"], tmp_path / "e")
    respond = render_job(spec, spec.jobs["respond"], tmp_path / "r")
    assert embed.max_output_tokens == 0 and embed.estimated_input_tokens > 0
    assert respond.max_output_tokens == 2 * 7
    # a responses request pays for its instructions too
    without = load_spec_text(tmp_path, SPEC.replace("instructions: Be brief., ", ""))
    assert respond.estimated_input_tokens > render_job(without, without.jobs["respond"],
                                                       tmp_path / "w").estimated_input_tokens


def load_spec_text(tmp_path: Path, text: str):
    path = tmp_path / "other.yaml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return load_spec(path)


# ---------------------------------------------------------------- results


def embedding_line(custom_id: str, embedding, **body) -> dict:
    return {"id": "x", "custom_id": custom_id, "error": None, "response": {"status_code": 200, "body": {
        "object": "list", "model": "m", "data": [{"object": "embedding", "index": 0, "embedding": embedding}],
        "usage": {"prompt_tokens": 3, "total_tokens": 3}, **body}}}


def response_line(custom_id: str, output: list, **body) -> dict:
    return {"id": "x", "custom_id": custom_id, "error": None, "response": {"status_code": 200, "body": {
        "object": "response", "status": "completed", "output": output,
        "usage": {"input_tokens": 5, "input_tokens_details": {"cached_tokens": 0}, "output_tokens": 2,
                  "output_tokens_details": {"reasoning_tokens": 1}, "total_tokens": 7}, **body}}}


def test_an_embeddings_answer_gives_its_vector_and_usage():
    _, result = parse_result_line(embedding_line("e", [0.25, -1, 0.1]))
    assert result.status == "ok" and result.content is None
    assert list(result.embedding) == [0.25, -1.0, 0.1] and result.usage == {"prompt_tokens": 3, "total_tokens": 3}
    floats = [0.5, -0.125, 3.0]
    _, decoded = parse_result_line(embedding_line("e", base64.b64encode(struct.pack("<3f", *floats)).decode()))
    assert list(decoded.embedding) == floats  # encoding_format: base64 (little-endian float32s) is decoded


@pytest.mark.parametrize("embedding", [None, "not base64!", [1, "x"], [True], [], "AAA="])
def test_an_embeddings_answer_without_a_vector_is_a_row_error(embedding):
    _, result = parse_result_line(embedding_line("e", embedding))
    if embedding == []:  # an empty vector is still a vector
        assert result.status == "ok"
        return
    assert result.status == "error" and result.error["code"] == "invalid_response"


def test_a_responses_answer_gives_its_output_text_and_chat_usage_names():
    output = [{"type": "reasoning", "id": "r", "summary": []},
              {"type": "message", "role": "assistant", "content": [
                  {"type": "output_text", "text": "Hello, ", "annotations": []},
                  {"type": "refusal", "refusal": "no"},
                  {"type": "output_text", "text": "world", "annotations": []}]}]
    _, result = parse_result_line(response_line("r", output))
    assert (result.status, result.content) == ("ok", "Hello, world")
    assert result.usage == {"prompt_tokens": 5, "prompt_tokens_details": {"cached_tokens": 0},
                            "completion_tokens": 2, "completion_tokens_details": {"reasoning_tokens": 1},
                            "total_tokens": 7}
    _, cut = parse_result_line(response_line("r", output, status="incomplete"))
    assert cut.status == "ok"  # like finish_reason: length on chat
    _, failed = parse_result_line(response_line("r", [], status="failed",
                                                error={"code": "server_error", "message": "boom"}))
    assert failed.status == "error" and failed.error == {"code": "server_error", "message": "boom"}


def test_join_writes_embedding_only_on_embeddings_lines(tmp_path):
    vector = array("d", [0.1, 0.2])
    answers = {"k1": RowResult("ok", None, None, {"prompt_tokens": 1}, embedding=vector),
               "k2": RowResult("error", None, {"code": "400", "message": "bad"}, None),
               "k3": RowResult("ok", "text", None, None)}

    def req(index, key, url):
        return SimpleNamespace(index=index, custom_id=f"c{index}", row={"i": index}, key=key, url=url)

    records = list(join_rows([req(0, "k1", "/v1/embeddings"), req(1, "k2", "/v1/embeddings"),
                              req(2, "k3", "/v1/embeddings"), req(3, "k3", "/v1/responses")], answers))
    assert list(records[0]) == ["custom_id", "index", "status", "content", "embedding", "error", "usage", "parsed",
                                "reused", "row"]
    assert records[0]["embedding"] == [0.1, 0.2] and records[0]["status"] == "ok"
    assert records[1]["embedding"] is None and records[1]["status"] == "error"
    assert records[2]["status"] == "error" and records[2]["error"]["code"] == "invalid_response"  # text, no vector
    assert "embedding" not in records[3] and records[3]["content"] == "text"


def test_the_ledger_keeps_a_vector_exactly_and_compactly(tmp_path):
    floats = [0.1, -2.5e-308, 1 / 3, 123456.789, 0.0]
    _, result = parse_result_line(embedding_line("k", floats))
    key = "ab" * 32
    with Ledger(tmp_path / "ledger.sqlite") as ledger:
        ledger.record([(key, outcome_of(result, model="m", batch_id="b"))])
        stored = ledger.outcomes([key])[key]
        assert stored.content is None and list(stored.embedding) == floats  # bit for bit
        [row] = ledger._db.execute("SELECT content FROM outcomes").rows
        assert len(row[0]) < 12 * len(floats) + 20  # base64 of float64s: ~11 characters a number
        back = ledger_lookup(ledger)([key])[key]
        assert list(back.embedding) == floats and back.content is None
        # an answer recorded again unchanged changes nothing; a text that looks like the marker stays text
        assert ledger.record([(key, outcome_of(result, model="m", batch_id="b"))]) == 0
        tricky = "\x01" + json.dumps({"embedding": "AAAAAAAAAAA="})
        ledger.record([("cd" * 32, Outcome("ok", tricky))])
        assert ledger.outcomes(["cd" * 32])["cd" * 32].content == tricky


def test_results_from_the_batch_and_from_the_ledger_are_the_same_bytes(tmp_path):
    floats = [0.123456789012345, -0.5]
    _, own = parse_result_line(embedding_line("k", floats))
    request = SimpleNamespace(index=0, custom_id="c0", row={}, key="ef" * 32, url="/v1/embeddings")
    fresh = write_results(tmp_path / "a.jsonl", join_rows([request], {"ef" * 32: own}))
    with Ledger(tmp_path / "ledger.sqlite") as ledger:
        ledger.record([("ef" * 32, outcome_of(own))])
        write_results(tmp_path / "b.jsonl", join_rows([request], {}, ledger=ledger_lookup(ledger)))
    a, b = (json.loads((tmp_path / name).read_text()) for name in ("a.jsonl", "b.jsonl"))
    assert a["embedding"] == b["embedding"] == floats and b["reused"] is True
    assert fresh.prompt_tokens == 3 and fresh.completion_tokens == 0


# ---------------------------------------------------------------- exports


def embed_results(tmp_path: Path) -> Path:
    path = tmp_path / "embed.jsonl"
    lines = [{"custom_id": "c0", "index": 0, "status": "ok", "content": None, "embedding": [0.5, -0.25],
              "error": None, "usage": {"prompt_tokens": 2, "total_tokens": 2}, "parsed": None, "reused": False,
              "row": {"q": "a"}},
             {"custom_id": "c1", "index": 1, "status": "error", "content": None, "embedding": None,
              "error": {"code": "400", "message": "bad"}, "usage": None, "parsed": None, "reused": False,
              "row": {"q": "b"}}]
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    return path


def test_csv_export_has_an_embedding_column_of_json_arrays(tmp_path):
    results = embed_results(tmp_path)
    write_exports(results, [tmp_path / "embed.csv"])
    rows = list(csv.DictReader((tmp_path / "embed.csv").open()))
    assert list(rows[0])[9:] == ["embedding", "row.q"]
    assert json.loads(rows[0]["embedding"]) == [0.5, -0.25] and rows[1]["embedding"] == ""


def test_parquet_export_has_an_embedding_column_of_float_lists(tmp_path):
    pq = pytest.importorskip("pyarrow.parquet")
    results = embed_results(tmp_path)
    write_exports(results, [tmp_path / "embed.parquet"])
    table = pq.read_table(tmp_path / "embed.parquet")
    assert str(table.schema.field("embedding").type.value_type) == "double"
    assert table.column("embedding").to_pylist() == [[0.5, -0.25], None]
