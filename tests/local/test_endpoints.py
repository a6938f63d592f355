"""The local provider's batches on /v1/embeddings and /v1/responses: the echo engine's answers,
line validation against the batch's endpoint, and the openai engine forwarding to the
upstream's matching path."""

from __future__ import annotations

import base64
import json
import math
import struct

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from conftest import ThreadedApp, jsonl, read_jsonl, upload, wait_for
from specrun.local import echo_reply

EMBED_MODEL = "BAAI/bge-m3"
CHAT_MODEL = "meta-llama/Llama-3.1-8B-Instruct"


def line(custom_id: str, url: str, body: dict) -> dict:
    return {"custom_id": custom_id, "method": "POST", "url": url, "body": body}


def batch(client, lines: list, endpoint: str) -> dict:
    response = client.post("/batches", json={"input_file_id": upload(client, jsonl(lines)), "endpoint": endpoint,
                                             "completion_window": "24h"})
    assert response.status_code == 200, response.text
    return response.json()


# ---------------------------------------------------------------- echo answers


def test_echo_embeddings_are_deterministic_unit_vectors():
    body = {"model": EMBED_MODEL, "input": "hello"}
    first = echo_reply("a", body, url="/v1/embeddings").body
    assert first == echo_reply("b", body, url="/v1/embeddings").body  # the text decides, not the custom_id
    vector = first["data"][0]["embedding"]
    assert len(vector) == 256 and abs(math.sqrt(sum(x * x for x in vector)) - 1) < 1e-6
    assert first["usage"] == {"prompt_tokens": 2, "total_tokens": 2} and first["object"] == "list"
    other = echo_reply("a", {**body, "input": "hellO"}, url="/v1/embeddings").body["data"][0]["embedding"]
    assert other != vector
    small = echo_reply("a", {**body, "dimensions": 3}, url="/v1/embeddings").body["data"][0]["embedding"]
    assert len(small) == 3
    packed = echo_reply("a", {**body, "dimensions": 3, "encoding_format": "base64"}, url="/v1/embeddings")
    decoded = struct.unpack("<3f", base64.b64decode(packed.body["data"][0]["embedding"]))
    assert decoded == pytest.approx(small, abs=1e-7)
    several = echo_reply("a", {**body, "input": ["hello", "x"]}, url="/v1/embeddings").body["data"]
    assert [d["index"] for d in several] == [0, 1] and several[0]["embedding"] == vector


@pytest.mark.parametrize("body, param", [
    ({"input": "x [[fail]]"}, "input"), ({"input": [1, 2]}, "input"), ({"input": "x", "dimensions": 0}, "dimensions"),
    ({"input": "x", "encoding_format": "int8"}, "encoding_format"),
])
def test_echo_embeddings_refusals_are_400s(body, param):
    reply = echo_reply("a", {"model": EMBED_MODEL, **body}, url="/v1/embeddings")
    assert reply.status_code == 400 and reply.body["error"]["param"] == param


def test_echo_responses_echo_the_input_like_chat():
    body = {"model": CHAT_MODEL, "input": "What is 2+2?", "instructions": "Be brief.", "max_output_tokens": 100}
    reply = echo_reply("a", body, url="/v1/responses", created=0)
    answer = reply.body
    assert answer["object"] == "response" and answer["status"] == "completed"
    [message] = answer["output"]
    assert message["content"] == [{"type": "output_text", "text": "echo: What is 2+2?", "annotations": []}]
    assert answer["usage"]["input_tokens"] == 6 and answer["usage"]["output_tokens"] == 5
    items = {**body, "input": [{"role": "user", "content": [{"type": "input_text", "text": "first"}]},
                               {"role": "assistant", "content": "ignored"},
                               {"role": "user", "content": "last one"}]}
    assert echo_reply("a", items, url="/v1/responses").body["output"][0]["content"][0]["text"] == "echo: last one"
    cut = echo_reply("a", {**body, "max_output_tokens": 2}, url="/v1/responses").body
    assert cut["status"] == "incomplete" and cut["incomplete_details"] == {"reason": "max_output_tokens"}
    assert cut["output"][0]["content"][0]["text"] == "echo: Wh"
    assert echo_reply("a", {**body, "input": "no [[fail]]"}, url="/v1/responses").status_code == 400


def test_echo_responses_structured_output_follows_text_format():
    schema = {"type": "object", "properties": {"label": {"enum": ["a", "b"]}, "why": {"type": "string"}},
              "required": ["label", "why"], "additionalProperties": False}
    body = {"model": CHAT_MODEL, "input": "classify me",
            "text": {"format": {"type": "json_schema", "name": "j", "schema": schema, "strict": True}}}
    reply = echo_reply("a", body, url="/v1/responses").body
    parsed = json.loads(reply["output"][0]["content"][0]["text"])
    assert parsed["label"] in ("a", "b") and parsed["why"] == "echo: classify me"
    assert reply["text"] == body["text"]


# ---------------------------------------------------------------- batches


def test_embeddings_and_responses_batches_run_end_to_end(embedded):
    client = embedded()
    embeds = [line(f"e{i}", "/v1/embeddings", {"model": EMBED_MODEL, "input": f"text {i}", "dimensions": 4})
              for i in range(3)]
    done = wait_for(client, batch(client, embeds, "/v1/embeddings")["id"])
    assert done["status"] == "completed" and done["endpoint"] == "/v1/embeddings"
    assert done["request_counts"] == {"total": 3, "completed": 3, "failed": 0}
    outputs = read_jsonl(client, done["output_file_id"])
    assert [len(o["response"]["body"]["data"][0]["embedding"]) for o in outputs] == [4, 4, 4]

    asks = [line(f"r{i}", "/v1/responses", {"model": CHAT_MODEL, "input": f"q {i}"}) for i in range(2)]
    done = wait_for(client, batch(client, asks, "/responses")["id"])  # the spelling without /v1 too
    assert done["status"] == "completed" and done["endpoint"] == "/v1/responses"
    assert read_jsonl(client, done["output_file_id"])[1]["response"]["body"]["output"][0]["content"][0]["text"] \
        == "echo: q 1"


@pytest.mark.parametrize("lines, endpoint, code", [
    ([line("a", "/v1/chat/completions", {"model": EMBED_MODEL, "input": "x"})], "/v1/embeddings", "invalid_url"),
    ([line("a", "/v1/embeddings", {"model": EMBED_MODEL})], "/v1/embeddings", "missing_required_parameter"),
    ([line("a", "/v1/responses", {"model": CHAT_MODEL, "input": []})], "/v1/responses",
     "missing_required_parameter"),
])
def test_lines_must_fit_the_batch_endpoint(embedded, lines, endpoint, code):
    client = embedded()
    done = wait_for(client, batch(client, lines, endpoint)["id"])
    assert done["status"] == "failed" and done["errors"]["data"][0]["code"] == code


# ---------------------------------------------------------------- the openai engine


class EndpointUpstream(ThreadedApp):
    """``/v1/models``, ``/v1/embeddings`` and ``/v1/responses``, recording the paths called."""

    def __init__(self) -> None:
        self.paths: list[str] = []
        super().__init__(Starlette(routes=[Route("/v1/models", self.models),
                                           Route("/v1/embeddings", self.answer, methods=["POST"]),
                                           Route("/v1/responses", self.answer, methods=["POST"])]),
                         lifespan="off")

    async def models(self, request: Request) -> JSONResponse:
        return JSONResponse({"object": "list", "data": [{"id": "up/model", "object": "model"}]})

    async def answer(self, request: Request) -> JSONResponse:
        self.paths.append(request.url.path)
        body = await request.json()
        return JSONResponse({"upstream_saw": body, "path": request.url.path})


@pytest.fixture
def endpoint_upstream():
    with EndpointUpstream() as stub:
        yield stub


def test_the_openai_engine_forwards_to_the_matching_upstream_path(embedded, endpoint_upstream):
    client = embedded(engine="openai", upstream=endpoint_upstream.url)
    for url in ("/v1/embeddings", "/v1/responses"):
        body = {"model": "up/model", "input": "hi"}
        done = wait_for(client, batch(client, [line("a", url, body)], url)["id"])
        assert done["request_counts"]["completed"] == 1
        [output] = read_jsonl(client, done["output_file_id"])
        assert output["response"]["body"] == {"upstream_saw": body, "path": url}
    assert endpoint_upstream.paths == ["/v1/embeddings", "/v1/responses"]
