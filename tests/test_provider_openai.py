"""``provider: {type: openai}``: OpenAI's own Batch API, with recorded shapes of its answers.

Where it differs from the seed API (DESIGN §1): batches carry ``metadata`` (the job and
the shard), which is a second way to adopt a batch after a lost answer; models come from
``GET /v1/models`` alone, with no prices; the key is read from ``OPENAI_API_KEY``.
"""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from specrun.apply import ApplyOptions, Executor
from specrun.client import Client
from specrun.connect import open_client
from specrun.errors import SpecrunError
from specrun.plan import Plan, make_plan
from specrun.spec import load_spec
from specrun.state import State, load_state

BASE = "https://api.openai.com/v1"
FILES = f"{BASE}/files?limit=10000"
BATCHES = f"{BASE}/batches?limit=100"
CREATE_FILE = f"{BASE}/files"

SPEC = """\
version: 1
provider:
  type: openai
jobs:
  greet:
    model: gpt-4o-mini
    messages:
      - role: user
        content: "Say hello to {{ row.name }}"
    rows:
      - {name: Ada}
      - {name: Bob}
"""


# Recorded shapes of OpenAI's answers (fields as the API documents and returns them).

def openai_file(file_id: str, filename: str, size: int) -> dict:
    return {"object": "file", "id": file_id, "purpose": "batch", "filename": filename, "bytes": size,
            "created_at": 1721300000, "expires_at": None, "status": "processed", "status_details": None}


def openai_batch(batch_id: str, input_file_id: str, *, status: str = "validating",
                 metadata: dict | None = None, created_at: int = 1721300100) -> dict:
    return {
        "id": batch_id, "object": "batch", "endpoint": "/v1/chat/completions", "errors": None,
        "input_file_id": input_file_id, "completion_window": "24h", "status": status,
        "output_file_id": None, "error_file_id": None, "created_at": created_at,
        "in_progress_at": None if status == "validating" else created_at + 5,
        "expires_at": created_at + 86400, "finalizing_at": None, "completed_at": None, "failed_at": None,
        "expired_at": None, "cancelling_at": None, "cancelled_at": None,
        "request_counts": {"total": 0, "completed": 0, "failed": 0},
        "metadata": metadata,
    }


def openai_models() -> dict:
    return {"object": "list", "data": [
        {"id": "gpt-4o-mini", "object": "model", "created": 1721172741, "owned_by": "system"},
        {"id": "gpt-4o", "object": "model", "created": 1715367049, "owned_by": "system"},
    ]}


def listing(*items: dict) -> dict:
    return {"object": "list", "data": list(items), "first_id": items[0]["id"] if items else None,
            "last_id": items[-1]["id"] if items else None, "has_more": False}


@pytest.fixture(autouse=True)
def clean_env(monkeypatch):
    for name in ("SPECRUN_BASE_URL", "MITHRIL_API_KEY", "OPENAI_API_KEY"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def spec_path(tmp_path) -> Path:
    path = tmp_path / "specrun.yaml"
    path.write_text(SPEC)
    return path


@pytest.fixture
def client():
    with Client(BASE, "sk-test", sleep=lambda seconds: None, provider_type="openai") as c:
        yield c


def plan_for(spec_path: Path) -> tuple[Plan, Path]:
    spec = load_spec(spec_path)
    build_dir = spec_path.parent / ".specrun" / "build"
    plan, _ = make_plan(spec, None, None, provider=BASE, build_dir=build_dir, refresh_provider=False)
    return plan, build_dir


def run(spec_path: Path, plan: Plan, build_dir: Path, client: Client) -> None:
    state_path = spec_path.parent / ".specrun" / "state.json"
    Executor(load_spec(spec_path), State(provider=BASE), state_path, client, build_dir=build_dir,
             downloads_dir=spec_path.parent / ".specrun" / "downloads", options=ApplyOptions(wait=False),
             echo=lambda line: None, sleep=lambda seconds: None).run(plan)


def saved_shard(spec_path: Path):
    state = load_state(spec_path.parent / ".specrun" / "state.json")
    assert state is not None
    [shard] = state.jobs["greet"].shards
    return shard


def the_shard(plan: Plan):
    [job] = plan.jobs
    [shard] = job.shard_plans
    return shard


# --------------------------------------------------------------------------- the spec


def test_type_openai_defaults_to_openai_url_key_and_window(spec_path):
    provider = load_spec(spec_path).provider
    assert (provider.type, provider.kind, provider.base_url, provider.api_key_env, provider.completion_window) == \
        ("openai", "http", BASE, "OPENAI_API_KEY", "24h")


def test_a_spec_without_type_is_the_seed_api_as_before(tmp_path):
    path = tmp_path / "specrun.yaml"
    path.write_text("version: 1\nprovider: {base_url: 'http://h:1/v1'}\njobs: {}\n")
    provider = load_spec(path).provider
    assert (provider.type, provider.base_url, provider.api_key_env, provider.completion_window) == \
        ("openai-compatible", "http://h:1/v1", "MITHRIL_API_KEY", "24h")


def test_an_unknown_type_names_the_line_and_the_choices(tmp_path):
    path = tmp_path / "specrun.yaml"
    path.write_text("version: 1\nprovider: {type: azure}\njobs: {}\n")
    with pytest.raises(SpecrunError) as info:
        load_spec(path)
    assert f"{path}:2: provider.type: must be one of openai-compatible, openai, anthropic (got 'azure')" in info.value.message


def test_openai_key_is_read_from_openai_api_key(spec_path, monkeypatch, httpx_mock):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-openai")
    monkeypatch.setenv("MITHRIL_API_KEY", "sk-other")
    client, identity = open_client(load_spec(spec_path), None)
    with client:
        assert identity == BASE and client.api_key_env == "OPENAI_API_KEY"
        httpx_mock.add_response(method="GET", url=f"{BASE}/models", json=openai_models())
        client.active_models()
    assert httpx_mock.get_request().headers["authorization"] == "Bearer sk-openai"


# --------------------------------------------------------------------------- models


def test_models_come_from_v1_models_alone_and_carry_no_prices(client, httpx_mock):
    httpx_mock.add_response(method="GET", url=f"{BASE}/models", json=openai_models(), is_reusable=True)

    models = client.model_config()

    assert [m.id for m in models] == ["gpt-4o-mini", "gpt-4o"]
    assert all(m.input_price_cents is None and m.output_price_cents is None for m in models)
    assert client.active_models() == ["gpt-4o-mini", "gpt-4o"]
    # never /active-models or /model-config first: OpenAI has neither
    assert {r.url.path for r in httpx_mock.get_requests()} == {"/v1/models"}


# --------------------------------------------------------------------------- batches


def test_create_sends_endpoint_completion_window_and_metadata(spec_path, client, httpx_mock):
    plan, build_dir = plan_for(spec_path)
    shard = the_shard(plan)
    httpx_mock.add_response(method="GET", url=FILES, json=listing())
    httpx_mock.add_response(method="POST", url=CREATE_FILE, json=openai_file("file-abc", shard.filename, shard.bytes))
    metadata = {"specrun_job": "greet", "specrun_shard": shard.filename}
    httpx_mock.add_response(method="POST", url=f"{BASE}/batches",
                            json=openai_batch("batch_abc", "file-abc", metadata=metadata))

    run(spec_path, plan, build_dir, client)

    create = httpx_mock.get_request(method="POST", url=f"{BASE}/batches")
    assert json.loads(create.content) == {"input_file_id": "file-abc", "endpoint": "/v1/chat/completions",
                                          "completion_window": "24h", "metadata": metadata}
    saved = saved_shard(spec_path)
    assert (saved.file_id, saved.batch_id, saved.status) == ("file-abc", "batch_abc", "validating")


def test_completion_window_from_the_spec_is_sent(spec_path, client, httpx_mock):
    spec_path.write_text(SPEC.replace("  type: openai\n", "  type: openai\n  completion_window: 48h\n"))
    plan, build_dir = plan_for(spec_path)
    shard = the_shard(plan)
    httpx_mock.add_response(method="GET", url=FILES, json=listing())
    httpx_mock.add_response(method="POST", url=CREATE_FILE, json=openai_file("file-abc", shard.filename, shard.bytes))
    httpx_mock.add_response(method="POST", url=f"{BASE}/batches", json=openai_batch("batch_abc", "file-abc"))

    run(spec_path, plan, build_dir, client)

    assert json.loads(httpx_mock.get_request(method="POST", url=f"{BASE}/batches").content)["completion_window"] \
        == "48h"


def test_lost_create_answer_is_adopted_through_metadata_without_a_second_post(spec_path, client, httpx_mock):
    plan, build_dir = plan_for(spec_path)
    shard = the_shard(plan)
    httpx_mock.add_response(method="GET", url=FILES, json=listing())
    httpx_mock.add_response(method="POST", url=CREATE_FILE, json=openai_file("file-new", shard.filename, shard.bytes))
    httpx_mock.add_exception(httpx.ReadTimeout("The read operation timed out"), method="POST", url=f"{BASE}/batches")
    # The batch the provider made lists another input file (an earlier upload of the same
    # shard): only its metadata ties it to the shard. One for another shard is left alone.
    httpx_mock.add_response(method="GET", url=BATCHES, json=listing(
        openai_batch("batch_else", "file-zzz", status="in_progress",
                     metadata={"specrun_job": "greet", "specrun_shard": "specrun-greet-0000000000000000-00000.jsonl"},
                     created_at=1721300200),
        openai_batch("batch_made", "file-earlier", status="in_progress",
                     metadata={"specrun_job": "greet", "specrun_shard": shard.filename})))

    run(spec_path, plan, build_dir, client)

    sent = [(r.method, r.url.path) for r in httpx_mock.get_requests()]
    assert sent == [("GET", "/v1/files"), ("POST", "/v1/files"), ("POST", "/v1/batches"), ("GET", "/v1/batches")]
    saved = saved_shard(spec_path)
    assert (saved.batch_id, saved.file_id, saved.status) == ("batch_made", "file-earlier", "in_progress")


def test_lost_create_answer_still_adopts_by_input_file(spec_path, client, httpx_mock):
    plan, build_dir = plan_for(spec_path)
    shard = the_shard(plan)
    httpx_mock.add_response(method="GET", url=FILES, json=listing())
    httpx_mock.add_response(method="POST", url=CREATE_FILE, json=openai_file("file-new", shard.filename, shard.bytes))
    httpx_mock.add_exception(httpx.ReadTimeout("The read operation timed out"), method="POST", url=f"{BASE}/batches")
    httpx_mock.add_response(method="GET", url=BATCHES, json=listing(openai_batch("batch_made", "file-new")))

    run(spec_path, plan, build_dir, client)

    assert sum(1 for r in httpx_mock.get_requests() if r.method == "POST" and r.url.path == "/v1/batches") == 1
    saved = saved_shard(spec_path)
    assert (saved.batch_id, saved.file_id) == ("batch_made", "file-new")


def test_plan_adopts_a_batch_its_metadata_names_even_from_another_upload(spec_path, client, httpx_mock):
    # Lost state; the shard was uploaded twice (a lost upload answer) and its batch was made
    # from the first upload. The plan's one listing of batches finds it by its metadata, so
    # plan says what apply does: nothing to send.
    spec = load_spec(spec_path)
    first, build_dir = plan_for(spec_path)
    shard = the_shard(first)
    httpx_mock.add_response(method="GET", url=FILES, json=listing(
        openai_file("file-second", shard.filename, shard.bytes)), is_reusable=True)
    httpx_mock.add_response(method="GET", url=BATCHES, json=listing(
        openai_batch("batch_made", "file-first", status="in_progress",
                     metadata={"specrun_job": "greet", "specrun_shard": shard.filename})), is_reusable=True)
    httpx_mock.add_response(method="GET", url=f"{BASE}/models", json=openai_models())
    # (the ledger is rebuilt first: the running batch's requests count as in flight)
    httpx_mock.add_response(method="GET", url=f"{BASE}/files/file-second/content",
                            content=(build_dir / shard.filename).read_bytes())
    plan, _ = make_plan(spec, None, client, provider=BASE, build_dir=spec_path.parent / ".specrun" / "build")
    [job] = plan.jobs
    assert [s.batch_id for s in job.shard_plans] == ["batch_made"]
    assert not any(r.method == "POST" for r in httpx_mock.get_requests())
