"""The HTTP contract of the local provider: shapes, pagination, errors, auth, options."""

from __future__ import annotations

import pytest

from conftest import MODEL, create_batch, requests_file, upload, wait_for
from specrun.errors import SpecrunError
from specrun.local import DEFAULT_ECHO_MODELS, embedded_transport, echo_reply

MODEL_CONFIG_FIELDS = {"id", "name", "description", "input_price_cents", "output_price_cents", "model_code",
                       "num_parameters_billions", "num_experts", "context_length", "display_order",
                       "license_url", "created_at", "updated_at", "status"}


def test_models(embedded):
    client = embedded()
    active = client.get("/active-models").json()["active_models"]
    assert active == [m.id for m in DEFAULT_ECHO_MODELS]
    assert {"meta-llama/Llama-3.1-8B-Instruct", "meta-llama/Llama-3.3-70B-Instruct", "Qwen/Qwen2.5-7B-Instruct",
            "mistralai/Mistral-7B-Instruct-v0.3", "BAAI/bge-m3"} == set(active)
    configs = client.get("/model-config").json()["active_models"]
    assert [c["id"] for c in configs] == active
    for config in configs:
        assert set(config) == MODEL_CONFIG_FIELDS
        assert config["context_length"] > 0 and config["input_price_cents"] > 0 and config["status"] == "active"
    assert [m["id"] for m in client.get("/models").json()["data"]] == active


def test_file_upload_retrieve_content(embedded):
    client = embedded()
    content = requests_file(3)
    file_id = upload(client, content, "my-input.jsonl")
    assert file_id.startswith("file-")
    meta = client.get(f"/files/{file_id}").json()
    assert meta == {**meta, "id": file_id, "object": "file", "bytes": len(content), "filename": "my-input.jsonl",
                    "purpose": "batch", "status": "processed"}
    assert client.get(f"/files/{file_id}/content").content == content


def test_files_list_newest_first_with_pagination(embedded):
    client = embedded()
    ids = [upload(client, b"{}\n", f"f{i}.jsonl") for i in range(7)]
    page = client.get("/files", params={"limit": 3}).json()
    assert page["object"] == "list"
    assert [f["id"] for f in page["data"]] == ids[::-1][:3]
    assert page["has_more"] is True
    assert (page["first_id"], page["last_id"]) == (ids[6], ids[4])
    collected, after = [], None
    while True:
        page = client.get("/files", params={"limit": 3, **({"after": after} if after else {})}).json()
        collected += [f["id"] for f in page["data"]]
        if not page["has_more"]:
            break
        after = page["last_id"]
    assert collected == ids[::-1]
    ascending = client.get("/files", params={"order": "asc", "after": ids[1], "limit": 2}).json()
    assert [f["id"] for f in ascending["data"]] == ids[2:4]
    empty = client.get("/files", params={"after": ids[0]}).json()
    assert empty == {"object": "list", "data": [], "first_id": None, "last_id": None, "has_more": False}
    assert len(client.get("/files").json()["data"]) == 7  # default limit 1000


@pytest.mark.parametrize("params, param", [
    ({"limit": 0}, "limit"), ({"limit": 10001}, "limit"), ({"limit": "x"}, "limit"), ({"order": "up"}, "order"),
])
def test_files_list_rejects_bad_parameters(embedded, params, param):
    response = embedded().get("/files", params=params)
    assert response.status_code == 400
    assert response.json()["error"]["param"] == param
    assert response.json()["error"]["type"] == "invalid_request_error"


def test_batches_list_paginates_newest_first(embedded):
    client = embedded()
    ids = [create_batch(client, requests_file(1))["id"] for _ in range(5)]
    page = client.get("/batches", params={"limit": 2}).json()
    assert [b["id"] for b in page["data"]] == ids[::-1][:2] and page["has_more"]
    page = client.get("/batches", params={"limit": 2, "after": page["last_id"]}).json()
    assert [b["id"] for b in page["data"]] == ids[::-1][2:4]
    assert len(client.get("/batches").json()["data"]) == 5
    assert client.get("/batches", params={"limit": 101}).status_code == 400


def test_error_bodies(embedded):
    client = embedded()
    missing = client.get("/batches/batch_nope")
    assert missing.status_code == 404
    assert set(missing.json()["error"]) >= {"message", "type", "code"}
    assert client.get("/files/file-nope/content").status_code == 404
    assert client.get("/nowhere").status_code == 404
    assert client.put("/batches").status_code == 405
    assert client.post("/batches", json={}).json()["error"]["code"] == "missing_required_parameter"
    assert client.post("/batches", json={"input_file_id": "file-nope"}).status_code == 404
    assert client.post("/batches", content=b"{oops", headers={"content-type": "application/json"}).status_code == 400
    assert client.post("/files", data={"purpose": "batch"}).status_code == 400
    not_batch = client.post("/files", files={"file": ("x.jsonl", b"{}\n")}, data={"purpose": "vision"}).json()["id"]
    assert client.post("/batches", json={"input_file_id": not_batch}).status_code == 400
    assert client.post("/files", files={"file": ("x.jsonl", b"{}")}, data={"purpose": "junk"}).status_code == 400
    unsupported = client.post("/batches", json={"input_file_id": not_batch, "endpoint": "/v1/completions"})
    assert unsupported.status_code == 400 and unsupported.json()["error"]["param"] == "endpoint"
    assert "served: /v1/chat/completions, /v1/embeddings, /v1/responses" in unsupported.json()["error"]["message"]


def test_purpose_defaults_to_batch_and_metadata_round_trips(embedded):
    client = embedded()
    file_id = client.post("/files", files={"file": ("x.jsonl", requests_file(1))}).json()["id"]
    assert client.get(f"/files/{file_id}").json()["purpose"] == "batch"
    batch = client.post("/batches", json={"input_file_id": file_id, "metadata": {"job": "summarize"}}).json()
    assert batch["metadata"] == {"job": "summarize"}


def test_delete_file(embedded):
    client = embedded()
    file_id = upload(client, requests_file(1))
    assert client.delete(f"/files/{file_id}").json() == {"id": file_id, "object": "file", "deleted": True}
    assert client.get(f"/files/{file_id}").status_code == 404


def test_api_keys_isolate_owners(embedded):
    client = embedded(api_keys=["key-a", "key-b"])
    assert client.get("/files").status_code == 401
    assert client.get("/files", headers={"Authorization": "Bearer wrong"}).json()["error"]["code"] == "invalid_api_key"
    client_a = client.__class__(transport=client._transport, base_url=client.base_url,
                                headers={"Authorization": "Bearer key-a"})
    client_b = client.__class__(transport=client._transport, base_url=client.base_url,
                                headers={"Authorization": "Bearer key-b"})
    batch = create_batch(client_a, requests_file(2))
    file_id = batch["input_file_id"]
    assert file_id in [f["id"] for f in client_a.get("/files").json()["data"]]  # (+ its output once done)
    assert client_b.get("/files").json()["data"] == []
    assert client_b.get(f"/files/{file_id}").status_code == 404
    assert client_b.get(f"/files/{file_id}/content").status_code == 404
    assert client_b.get(f"/batches/{batch['id']}").status_code == 404
    assert client_b.post(f"/batches/{batch['id']}/cancel").status_code == 404
    assert client_b.post("/batches", json={"input_file_id": file_id}).status_code == 404
    assert client_b.get("/batches").json()["data"] == []
    done = wait_for(client_a, batch["id"])
    assert client_b.get(f"/files/{done['output_file_id']}").status_code == 404
    assert client_a.get(f"/files/{done['output_file_id']}").status_code == 200


@pytest.mark.parametrize("options, message", [
    ({"engine": "gpt"}, "unknown engine 'gpt'"),
    ({"engin": "echo"}, "unknown option 'engin'"),
    ({"fault_rate": 2}, "'fault_rate' must be between 0 and 1"),
    ({"completion_window": "soon"}, "'completion_window' must be a duration"),
    ({"concurrency": 0}, "'concurrency' must be at least 1"),
    ({"models": [1]}, "'models' must be a string or a list of strings"),
    ({"engine": "openai"}, "engine 'openai' needs an upstream URL"),
    ({"engine": "openai", "upstream": "http://x/v1", "upstream_key_env": "SPECRUN_TEST_UNSET_KEY"},
     "SPECRUN_TEST_UNSET_KEY"),
])
def test_bad_options_are_clear_errors(tmp_path, options, message):
    with pytest.raises(SpecrunError, match=message.replace("(", r"\(")):
        embedded_transport(tmp_path, **options)


def test_option_spellings_from_a_spec_are_accepted(embedded):
    client = embedded(**{"model": "acme/x", "completion-window": "60s", "latency": 0})
    assert "acme/x" in client.get("/active-models").json()["active_models"]


def test_echo_reply_counts_tokens_from_all_messages():
    body = {"model": MODEL, "messages": [{"role": "system", "content": "a" * 40},
                                         {"role": "user", "content": [{"type": "text", "text": "b" * 40}]}]}
    reply = echo_reply("x", body, created=0)
    assert reply.status_code == 200
    assert reply.body["usage"] == {"prompt_tokens": 20, "completion_tokens": 12, "total_tokens": 32}
    assert reply.body["choices"][0]["message"]["content"] == "echo: " + "b" * 40


def test_closed_transport_refuses_requests(tmp_path):
    import httpx
    transport = embedded_transport(tmp_path)
    transport.close()
    with pytest.raises(httpx.ConnectError):
        httpx.Client(transport=transport, base_url="http://specrun.local/v1").get("/files")


@pytest.mark.parametrize("mode", ["embedded", "served"])
def test_large_upload_round_trips_byte_for_byte(embedded, served, mode):
    import httpx
    client = embedded() if mode == "embedded" else httpx.Client(base_url=served().url, timeout=30)
    content = bytes(range(256)) * 12_000  # ~3 MB: past the in-memory spool threshold
    file_id = upload(client, content, "big.bin")
    assert client.get(f"/files/{file_id}").json()["bytes"] == len(content)
    assert client.get(f"/files/{file_id}/content").content == content
