"""The executor's money-safety paths, against pytest-httpx behind a real Client.

Every test asserts the exact requests sent: reconcile before acting, never
repeat a creating POST whose answer was lost, save state after every remote effect.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from pathlib import Path

import httpx
import pytest

from specrun.apply import ApplyInterrupted, ApplyOptions, Executor
from specrun.client import Client
from specrun.errors import ApplyError, ProviderError, SpecrunError
from specrun.plan import Plan, make_plan
from specrun.render import iter_requests
from specrun.spec import Spec, load_spec
from specrun.state import JobState, ShardState, State, load_state, save_state

BASE = "http://provider.test/v1"
FILES = f"{BASE}/files?limit=10000"
BATCHES = f"{BASE}/batches?limit=100"
CREATE_FILE = f"{BASE}/files"
CREATE_BATCH = f"{BASE}/batches"

SPEC = """\
version: 1
provider:
  base_url: http://provider.test/v1
jobs:
  greet:
    model: test-model
    messages:
      - role: user
        content: "{greeting} {{{{ row.name }}}}"
    rows:
      - {{name: Ada}}
      - {{name: Bob}}
      - {{name: Cy}}
    output: results/greet.jsonl
"""


@dataclass
class Workspace:
    root: Path
    spec: Spec

    @property
    def state_path(self) -> Path:
        return self.root / ".specrun" / "state.json"

    @property
    def build_dir(self) -> Path:
        return self.root / ".specrun" / "build"

    @property
    def downloads_dir(self) -> Path:
        return self.root / ".specrun" / "downloads"

    def rewrite(self, greeting: str) -> None:
        (self.root / "specrun.yaml").write_text(SPEC.format(greeting=greeting))
        self.spec = load_spec(self.root / "specrun.yaml")

    def state(self) -> State | None:
        return load_state(self.state_path)

    def plan(self, state: State | None, **kwargs) -> Plan:
        plan, _ = make_plan(self.spec, state, None, provider=BASE, build_dir=self.build_dir,
                            refresh_provider=False, **kwargs)
        return plan

    def executor(self, state: State, client: Client, *, wait: bool = False, sleeps: list | None = None,
                 lines: list | None = None) -> Executor:
        sleeps = [] if sleeps is None else sleeps
        lines = [] if lines is None else lines
        return Executor(self.spec, state, self.state_path, client, build_dir=self.build_dir,
                        downloads_dir=self.downloads_dir, options=ApplyOptions(wait=wait),
                        echo=lines.append, sleep=sleeps.append)


@pytest.fixture
def ws(tmp_path) -> Workspace:
    workspace = Workspace(tmp_path, None)  # type: ignore[arg-type]
    workspace.rewrite("Say hello to")
    return workspace


@pytest.fixture
def client():
    with Client(BASE, None, sleep=lambda seconds: None) as c:
        yield c


def file_json(file_id: str, filename: str, size: int) -> dict:
    return {"id": file_id, "object": "file", "bytes": size, "filename": filename, "purpose": "batch",
            "created_at": 1714000000, "status": "processed"}


def batch_json(batch_id: str, status: str, input_file_id: str, *, created_at: int = 1714000100,
               output_file_id: str | None = None, error_file_id: str | None = None,
               completed: int = 0, failed: int = 0, total: int = 3) -> dict:
    return {"id": batch_id, "object": "batch", "endpoint": "/v1/chat/completions", "input_file_id": input_file_id,
            "completion_window": "24h", "status": status, "output_file_id": output_file_id,
            "error_file_id": error_file_id, "created_at": created_at, "errors": None,
            "request_counts": {"total": total, "completed": completed, "failed": failed}}


def listing(*items: dict) -> dict:
    return {"object": "list", "data": list(items), "has_more": False}


def finish_listings(httpx_mock) -> None:
    """Finishing a job (or a retry) looks for retry rounds the state may not know of."""
    httpx_mock.add_response(method="GET", url=FILES, json=listing(), is_optional=True, is_reusable=True)


def sent(httpx_mock) -> list[tuple[str, str]]:
    return [(r.method, r.url.path) for r in httpx_mock.get_requests()]


def posts(httpx_mock, path: str) -> int:
    return sum(1 for method, p in sent(httpx_mock) if method == "POST" and p == path)


def shard_of(plan: Plan):
    [job] = plan.jobs
    [shard] = job.shard_plans
    return shard


def output_line(custom_id: str, content: str) -> dict:
    return {"id": f"r-{custom_id}", "custom_id": custom_id, "error": None,
            "response": {"status_code": 200, "body": {
                "choices": [{"index": 0, "message": {"role": "assistant", "content": content}}],
                "usage": {"prompt_tokens": 5, "completion_tokens": 2, "total_tokens": 7}}}}


def jsonl(*objects: dict) -> bytes:
    return b"".join(json.dumps(o).encode() + b"\n" for o in objects)


# --------------------------------------------------------------------------- create


def test_create_lists_uploads_lists_creates_and_records_every_id(ws, client, httpx_mock):
    plan = ws.plan(None)
    shard = shard_of(plan)
    assert shard.filename.startswith("specrun-greet-") and len(shard.filename) == len("specrun-greet-") + 16 + 6
    httpx_mock.add_response(method="GET", url=FILES, json=listing())
    httpx_mock.add_response(method="POST", url=CREATE_FILE, json=file_json("file-1", shard.filename, shard.bytes))
    httpx_mock.add_response(method="POST", url=CREATE_BATCH, json=batch_json("batch_1", "validating", "file-1"))
    rendered = (ws.build_dir / shard.filename).read_bytes()

    report = ws.executor(State(provider=BASE), client).run(plan)

    # A file uploaded a moment ago has a new id: it cannot have a batch, so no batch listing.
    assert sent(httpx_mock) == [("GET", "/v1/files"), ("POST", "/v1/files"), ("POST", "/v1/batches")]
    upload = httpx_mock.get_request(method="POST", url=CREATE_FILE)
    assert f'filename="{shard.filename}"'.encode() in upload.content
    assert rendered in upload.content
    assert not (ws.build_dir / shard.filename).exists()  # uploaded: the build folder keeps no stale shard
    assert b'name="purpose"\r\n\r\nbatch' in upload.content
    create = httpx_mock.get_request(method="POST", url=CREATE_BATCH)
    assert json.loads(create.content) == {"input_file_id": "file-1", "endpoint": "/v1/chat/completions",
                                          "completion_window": "24h"}
    assert [(o.job, o.status) for o in report.outcomes] == [("greet", "submitted")]
    saved = ws.state().jobs["greet"]
    [saved_shard] = saved.shards
    assert (saved_shard.filename, saved_shard.file_id, saved_shard.batch_id, saved_shard.status) == \
        (shard.filename, "file-1", "batch_1", "validating")
    assert saved.input_sha256 == plan.jobs[0].input_sha256
    assert not ws.spec.jobs["greet"].output.exists()  # nothing to join yet


def test_existing_file_and_live_batch_are_adopted_without_any_post(ws, client, httpx_mock):
    plan = ws.plan(None)
    shard = shard_of(plan)
    httpx_mock.add_response(method="GET", url=FILES, json=listing(
        file_json("file-other", "specrun-other-0000000000000000.jsonl", shard.bytes),
        file_json("file-short", shard.filename, shard.bytes - 1),   # same name, other size: not this shard
        file_json("file-1", shard.filename, shard.bytes),
    ))
    httpx_mock.add_response(method="GET", url=BATCHES, json=listing(
        batch_json("batch_elsewhere", "in_progress", "file-other", created_at=1714000900),
        batch_json("batch_live", "in_progress", "file-1", created_at=1714000500, completed=1),
        batch_json("batch_failed", "failed", "file-1", created_at=1714000800),  # newer, but dead
    ))

    report = ws.executor(State(provider=BASE), client).run(plan)

    assert sent(httpx_mock) == [("GET", "/v1/files"), ("GET", "/v1/batches")]
    [saved_shard] = ws.state().jobs["greet"].shards
    assert (saved_shard.file_id, saved_shard.batch_id, saved_shard.status, saved_shard.completed) == \
        ("file-1", "batch_live", "in_progress", 1)
    assert report.outcomes[0].status == "submitted"


def test_a_file_of_another_size_is_not_adopted(ws, client, httpx_mock):
    plan = ws.plan(None)
    shard = shard_of(plan)
    httpx_mock.add_response(method="GET", url=FILES, json=listing(file_json("file-old", shard.filename, 5)))
    httpx_mock.add_response(method="POST", url=CREATE_FILE, json=file_json("file-1", shard.filename, shard.bytes))
    httpx_mock.add_response(method="POST", url=CREATE_BATCH, json=batch_json("batch_1", "validating", "file-1"))

    ws.executor(State(provider=BASE), client).run(plan)

    assert posts(httpx_mock, "/v1/files") == 1
    assert ws.state().jobs["greet"].shards[0].file_id == "file-1"


@pytest.mark.parametrize("dead", ["failed", "expired", "cancelled"])
def test_a_dead_batch_on_the_file_is_not_adopted(ws, client, httpx_mock, dead):
    plan = ws.plan(None)
    shard = shard_of(plan)
    httpx_mock.add_response(method="GET", url=FILES, json=listing(file_json("file-1", shard.filename, shard.bytes)))
    httpx_mock.add_response(method="GET", url=BATCHES, json=listing(batch_json("batch_dead", dead, "file-1")))
    httpx_mock.add_response(method="POST", url=CREATE_BATCH, json=batch_json("batch_new", "validating", "file-1"))

    ws.executor(State(provider=BASE), client).run(plan)

    assert sent(httpx_mock) == [("GET", "/v1/files"), ("GET", "/v1/batches"), ("POST", "/v1/batches")]
    assert ws.state().jobs["greet"].shards[0].batch_id == "batch_new"


# --------------------------------------------------------------------------- lost answers


def test_lost_create_answer_adopts_the_batch_the_provider_made(ws, client, httpx_mock):
    plan = ws.plan(None)
    shard = shard_of(plan)
    httpx_mock.add_response(method="GET", url=FILES, json=listing())
    httpx_mock.add_response(method="POST", url=CREATE_FILE, json=file_json("file-1", shard.filename, shard.bytes))
    httpx_mock.add_response(method="POST", url=CREATE_BATCH, status_code=500,
                            json={"error": {"message": "upstream timeout"}})
    httpx_mock.add_response(method="GET", url=BATCHES, json=listing(
        batch_json("batch_other", "in_progress", "file-zzz"),
        batch_json("batch_made", "validating", "file-1")))

    report = ws.executor(State(provider=BASE), client).run(plan)

    assert sent(httpx_mock) == [("GET", "/v1/files"), ("POST", "/v1/files"), ("POST", "/v1/batches"),
                                ("GET", "/v1/batches")]
    assert posts(httpx_mock, "/v1/batches") == 1
    assert ws.state().jobs["greet"].shards[0].batch_id == "batch_made"
    assert report.outcomes[0].status == "submitted"


def test_lost_create_answer_with_nothing_listed_stops_without_retrying(ws, client, httpx_mock):
    plan = ws.plan(None)
    shard = shard_of(plan)
    httpx_mock.add_response(method="GET", url=FILES, json=listing())
    httpx_mock.add_response(method="POST", url=CREATE_FILE, json=file_json("file-1", shard.filename, shard.bytes))
    httpx_mock.add_response(method="POST", url=CREATE_BATCH, status_code=502)
    httpx_mock.add_response(method="GET", url=BATCHES, json=listing(), is_reusable=True)
    sleeps: list[float] = []

    with pytest.raises(ApplyError) as info:
        ws.executor(State(provider=BASE), client, sleeps=sleeps).run(plan)

    # listings can lag behind a create: it looked three times (0 s, 1 s, 2 s apart), never re-posted
    assert sent(httpx_mock).count(("GET", "/v1/batches")) == 3
    assert sleeps == [0.0, 1.0, 2.0]

    message = info.value.message
    assert "was lost" in message and "Nothing was retried" in message and "run `specrun apply` again" in message
    assert shard.filename in message and "file-1" in message
    assert posts(httpx_mock, "/v1/batches") == 1
    assert sent(httpx_mock)[-1] == ("GET", "/v1/batches")  # the reconciling listing came last
    [saved_shard] = ws.state().jobs["greet"].shards
    assert (saved_shard.file_id, saved_shard.batch_id) == ("file-1", None)

    # The re-run reconciles: the batch the lost POST created shows up now, and is adopted.
    httpx_mock.reset()
    state = ws.state()
    rerun = ws.plan(state)
    assert rerun.jobs[0].action == "create" and "not yet submitted" in rerun.jobs[0].reason
    httpx_mock.add_response(method="GET", url=BATCHES, json=listing(batch_json("batch_late", "in_progress", "file-1")))

    ws.executor(state, client).run(rerun)

    assert sent(httpx_mock) == [("GET", "/v1/batches")]  # no upload, no create
    assert ws.state().jobs["greet"].shards[0].batch_id == "batch_late"


def test_lost_upload_answer_adopts_the_listed_file(ws, client, httpx_mock):
    plan = ws.plan(None)
    shard = shard_of(plan)
    httpx_mock.add_response(method="GET", url=FILES, json=listing())
    httpx_mock.add_response(method="POST", url=CREATE_FILE, status_code=503)
    httpx_mock.add_response(method="GET", url=FILES, json=listing(file_json("file-1", shard.filename, shard.bytes)))
    httpx_mock.add_response(method="GET", url=BATCHES, json=listing())
    httpx_mock.add_response(method="POST", url=CREATE_BATCH, json=batch_json("batch_1", "validating", "file-1"))

    ws.executor(State(provider=BASE), client).run(plan)

    assert sent(httpx_mock) == [("GET", "/v1/files"), ("POST", "/v1/files"), ("GET", "/v1/files"),
                                ("GET", "/v1/batches"), ("POST", "/v1/batches")]
    assert json.loads(httpx_mock.get_request(method="POST", url=CREATE_BATCH).content)["input_file_id"] == "file-1"
    assert ws.state().jobs["greet"].shards[0].file_id == "file-1"


def test_lost_upload_answer_with_nothing_listed_uploads_once_more(ws, client, httpx_mock):
    # A file is free and never billed, so uploading it again is the safe way on.
    plan = ws.plan(None)
    shard = shard_of(plan)
    httpx_mock.add_response(method="GET", url=FILES, json=listing())
    httpx_mock.add_response(method="POST", url=CREATE_FILE, status_code=500)
    httpx_mock.add_response(method="GET", url=FILES, json=listing())
    httpx_mock.add_response(method="POST", url=CREATE_FILE, json=file_json("file-2", shard.filename, shard.bytes))
    httpx_mock.add_response(method="POST", url=CREATE_BATCH, json=batch_json("batch_1", "validating", "file-2"))

    ws.executor(State(provider=BASE), client).run(plan)

    assert posts(httpx_mock, "/v1/files") == 2
    assert posts(httpx_mock, "/v1/batches") == 1
    assert ws.state().jobs["greet"].shards[0].file_id == "file-2"


# --------------------------------------------------------------------------- state saved at each step


def test_state_on_disk_has_the_file_id_before_the_batch_is_created(ws, client, httpx_mock):
    plan = ws.plan(None)
    shard = shard_of(plan)
    seen: dict[str, object] = {}

    def create_batch(request: httpx.Request) -> httpx.Response:
        on_disk = ws.state().jobs["greet"].shards[0]
        seen["at create"] = (on_disk.file_id, on_disk.batch_id)
        return httpx.Response(200, json=batch_json("batch_1", "validating", "file-1"))

    def poll(request: httpx.Request) -> httpx.Response:
        on_disk = ws.state().jobs["greet"].shards[0]
        seen["at first poll"] = (on_disk.file_id, on_disk.batch_id)
        return httpx.Response(200, json=batch_json("batch_1", "cancelled", "file-1"))

    httpx_mock.add_response(method="GET", url=FILES, json=listing())
    httpx_mock.add_response(method="POST", url=CREATE_FILE, json=file_json("file-1", shard.filename, shard.bytes))
    httpx_mock.add_callback(create_batch, method="POST", url=CREATE_BATCH)
    httpx_mock.add_callback(poll, method="GET", url=f"{BASE}/batches/batch_1")

    finish_listings(httpx_mock)
    report = ws.executor(State(provider=BASE), client, wait=True).run(plan)

    assert seen == {"at create": ("file-1", None), "at first poll": ("file-1", "batch_1")}
    assert report.outcomes[0].status == "cancelled"


def test_a_failed_create_keeps_the_uploaded_file_id(ws, client, httpx_mock):
    plan = ws.plan(None)
    shard = shard_of(plan)
    httpx_mock.add_response(method="GET", url=FILES, json=listing())
    httpx_mock.add_response(method="POST", url=CREATE_FILE, json=file_json("file-1", shard.filename, shard.bytes))
    httpx_mock.add_response(method="POST", url=CREATE_BATCH, status_code=400,
                            json={"error": {"message": "model test-model is not available"}})
    state = State(provider=BASE)

    with pytest.raises(ProviderError, match="not available"):
        ws.executor(state, client).run(plan)

    saved = ws.state()
    assert saved.serial == state.serial  # the last write is on disk
    assert saved.jobs["greet"].shards[0].file_id == "file-1"
    assert saved.jobs["greet"].shards[0].batch_id is None
    assert posts(httpx_mock, "/v1/batches") == 1


def test_serial_grows_with_each_remote_effect(ws, client, httpx_mock):
    plan = ws.plan(None)
    shard = shard_of(plan)
    serials = []

    def record(status_code: int, body: dict):
        def callback(request: httpx.Request) -> httpx.Response:
            state = ws.state()
            serials.append(state.serial if state else None)
            return httpx.Response(status_code, json=body)
        return callback

    httpx_mock.add_callback(record(200, listing()), method="GET", url=FILES)
    httpx_mock.add_callback(record(200, file_json("file-1", shard.filename, shard.bytes)),
                            method="POST", url=CREATE_FILE)
    httpx_mock.add_callback(record(200, batch_json("batch_1", "validating", "file-1")),
                            method="POST", url=CREATE_BATCH)

    ws.executor(State(provider=BASE), client).run(plan)

    # job recorded (1) → list, upload → file id saved (2) → create → batch id saved (3)
    assert serials == [1, 1, 2]
    assert ws.state().serial == 3


# --------------------------------------------------------------------------- wait and results


def test_wait_polls_downloads_and_joins_in_input_order_then_a_second_apply_sends_nothing(ws, client, httpx_mock):
    plan = ws.plan(None)
    shard = shard_of(plan)
    httpx_mock.add_response(method="GET", url=FILES, json=listing())
    httpx_mock.add_response(method="POST", url=CREATE_FILE, json=file_json("file-1", shard.filename, shard.bytes))
    httpx_mock.add_response(method="POST", url=CREATE_BATCH, json=batch_json("batch_1", "validating", "file-1"))
    httpx_mock.add_response(method="GET", url=f"{BASE}/batches/batch_1",
                            json=batch_json("batch_1", "in_progress", "file-1", completed=1))
    httpx_mock.add_response(method="GET", url=f"{BASE}/batches/batch_1",
                            json=batch_json("batch_1", "in_progress", "file-1", completed=2))
    httpx_mock.add_response(method="GET", url=f"{BASE}/batches/batch_1",
                            json=batch_json("batch_1", "completed", "file-1", output_file_id="file-out",
                                            error_file_id="file-err", completed=2, failed=1))
    httpx_mock.add_response(method="GET", url=f"{BASE}/files/file-out/content",
                            content=jsonl(output_line("greet-2", "Hi Cy"), output_line("greet-0", "Hi Ada")))
    httpx_mock.add_response(method="GET", url=f"{BASE}/files/file-err/content", content=jsonl(
        {"custom_id": "greet-1", "response": {"status_code": 500, "body": {"error": {
            "message": "boom", "code": "server_error"}}}}))
    sleeps: list[float] = []

    finish_listings(httpx_mock)
    report = ws.executor(State(provider=BASE), client, wait=True, sleeps=sleeps).run(plan)

    assert sleeps == [1.0, 1.5]
    assert posts(httpx_mock, "/v1/files") == 1 and posts(httpx_mock, "/v1/batches") == 1
    [outcome] = report.outcomes
    assert (outcome.status, outcome.ok, outcome.error, outcome.output) == ("completed", 2, 1, "results/greet.jsonl")
    assert (outcome.prompt_tokens, outcome.completion_tokens) == (10, 4)
    records = [json.loads(line) for line in ws.spec.jobs["greet"].output.read_text().splitlines()]
    assert [(r["custom_id"], r["index"], r["status"], r["content"], r["row"]) for r in records] == [
        ("greet-0", 0, "ok", "Hi Ada", {"name": "Ada"}),
        ("greet-1", 1, "error", None, {"name": "Bob"}),
        ("greet-2", 2, "ok", "Hi Cy", {"name": "Cy"}),
    ]
    assert records[1]["error"] == {"code": "server_error", "message": "boom"}
    saved = ws.state()
    assert saved.jobs["greet"].shards[0].status == "completed"
    assert (saved.jobs["greet"].output.ok, saved.jobs["greet"].output.error) == (2, 1)

    # Nothing changed: the next plan is a no-op and applying it sends no request at all.
    before = len(httpx_mock.get_requests())
    again = ws.plan(saved)
    assert [j.action for j in again.jobs] == ["noop"]
    report = ws.executor(saved, client, wait=True).run(again)
    assert len(httpx_mock.get_requests()) == before
    assert (report.outcomes[0].status, report.outcomes[0].ok) == ("completed", 2)


def test_lost_state_adopts_the_completed_batch_and_only_downloads(ws, client, httpx_mock):
    shard = shard_of(ws.plan(None))
    httpx_mock.add_response(method="GET", url=f"{BASE}/model-config", json={"data": [{"id": "test-model"}]})
    # listed twice: to rebuild the lost row ledger, then to adopt the shard's file
    httpx_mock.add_response(method="GET", url=FILES, json=listing(file_json("file-1", shard.filename, shard.bytes)),
                            is_reusable=True)
    httpx_mock.add_response(method="GET", url=BATCHES, json=listing(
        batch_json("batch_1", "completed", "file-1", output_file_id="file-out", completed=3)), is_reusable=True)
    # answered before the ledger existed (row custom_ids): the rebuild cannot key them, the join can
    httpx_mock.add_response(method="GET", url=f"{BASE}/files/file-out/content", content=jsonl(
        output_line("greet-0", "a"), output_line("greet-1", "b"), output_line("greet-2", "c")), is_reusable=True)
    plan, _ = make_plan(ws.spec, None, client, provider=BASE, build_dir=ws.build_dir)
    assert [(j.action, j.batch_ids) for j in plan.jobs] == [("download", ("batch_1",))]
    assert "adopted" in plan.jobs[0].reason
    httpx_mock.add_response(method="GET", url=f"{BASE}/batches/batch_1",
                            json=batch_json("batch_1", "completed", "file-1", output_file_id="file-out", completed=3),
                            is_optional=True)

    finish_listings(httpx_mock)
    report = ws.executor(State(provider=BASE), client, wait=True).run(plan)

    assert posts(httpx_mock, "/v1/files") == 0 and posts(httpx_mock, "/v1/batches") == 0
    records = [json.loads(line) for line in ws.spec.jobs["greet"].output.read_text().splitlines()]
    assert [(r["status"], r["content"]) for r in records] == [("ok", "a"), ("ok", "b"), ("ok", "c")]
    assert ("GET", "/v1/files/file-out/content") in sent(httpx_mock)
    assert (report.outcomes[0].status, report.outcomes[0].ok) == ("completed", 3)
    assert ws.state().jobs["greet"].shards[0].batch_id == "batch_1"


def submit_responses(httpx_mock, shard, *, batch_status: str = "validating") -> None:
    """The four answers of a fresh submission: nothing listed, upload, nothing listed, create."""
    httpx_mock.add_response(method="GET", url=FILES, json=listing())
    httpx_mock.add_response(method="POST", url=CREATE_FILE, json=file_json("file-1", shard.filename, shard.bytes))
    httpx_mock.add_response(method="POST", url=CREATE_BATCH, json=batch_json("batch_1", batch_status, "file-1"))


def test_ctrl_c_while_waiting_saves_state_and_leaves_the_batch_running(ws, client, httpx_mock):
    plan = ws.plan(None)
    submit_responses(httpx_mock, shard_of(plan))
    httpx_mock.add_response(method="GET", url=f"{BASE}/batches/batch_1",
                            json=batch_json("batch_1", "in_progress", "file-1", completed=2))

    def interrupted(seconds: float) -> None:
        raise KeyboardInterrupt

    executor = Executor(ws.spec, State(provider=BASE), ws.state_path, client, build_dir=ws.build_dir,
                        downloads_dir=ws.downloads_dir, options=ApplyOptions(), echo=lambda line: None,
                        sleep=interrupted)
    with pytest.raises(ApplyInterrupted) as info:
        executor.run(plan)

    assert info.value.exit_code == 130
    assert "batches keep running" in info.value.message and "specrun apply" in info.value.message
    assert not any("/cancel" in path for _, path in sent(httpx_mock))
    saved_shard = ws.state().jobs["greet"].shards[0]
    assert (saved_shard.batch_id, saved_shard.status, saved_shard.completed) == ("batch_1", "in_progress", 2)


def test_timeout_gives_up_waiting_with_state_kept(ws, client, httpx_mock):
    plan = ws.plan(None)
    submit_responses(httpx_mock, shard_of(plan))
    httpx_mock.add_response(method="GET", url=f"{BASE}/batches/batch_1",
                            json=batch_json("batch_1", "in_progress", "file-1"), is_reusable=True)
    now = [0.0]

    def sleep(seconds: float) -> None:
        now[0] += seconds

    executor = Executor(ws.spec, State(provider=BASE), ws.state_path, client, build_dir=ws.build_dir,
                        downloads_dir=ws.downloads_dir, options=ApplyOptions(timeout=10, poll_interval=4),
                        echo=lambda line: None, sleep=sleep, clock=lambda: now[0])
    with pytest.raises(ApplyError, match=r"timed out after 10s .*Run `specrun apply` again to resume"):
        executor.run(plan)

    polls = [r for r in httpx_mock.get_requests() if r.url.path == "/v1/batches/batch_1"]
    assert 10 <= now[0] < 10 + 4 and len(polls) == 6  # 1 + 1.5 + 2.25 + 3.375 + 4 → 12.1s, six polls
    assert ws.state().jobs["greet"].shards[0].batch_id == "batch_1"


def test_a_batch_expiring_during_apply_is_retried_once_with_only_the_missing_requests(ws, client, httpx_mock):
    plan = ws.plan(None)
    submit_responses(httpx_mock, shard_of(plan))
    httpx_mock.add_response(method="GET", url=f"{BASE}/batches/batch_1", json=batch_json(
        "batch_1", "expired", "file-1", output_file_id="file-out-1", completed=1, total=3))
    httpx_mock.add_response(method="GET", url=f"{BASE}/files/file-out-1/content",
                            content=jsonl(output_line("greet-1", "Hi Bob")))
    retry_upload: dict[str, bytes] = {}

    def upload_retry(request: httpx.Request) -> httpx.Response:
        retry_upload["content"] = request.content
        return httpx.Response(200, json=file_json("file-2", "retry.jsonl", 1))

    httpx_mock.add_response(method="GET", url=FILES, json=listing())
    httpx_mock.add_callback(upload_retry, method="POST", url=CREATE_FILE)
    httpx_mock.add_response(method="POST", url=CREATE_BATCH, json=batch_json("batch_2", "validating", "file-2"))
    httpx_mock.add_response(method="GET", url=f"{BASE}/batches/batch_2", json=batch_json(
        "batch_2", "completed", "file-2", output_file_id="file-out-2", completed=2, total=2))
    httpx_mock.add_response(method="GET", url=f"{BASE}/files/file-out-2/content",
                            content=jsonl(output_line("greet-2", "Hi Cy"), output_line("greet-0", "Hi Ada")))
    lines: list[str] = []

    finish_listings(httpx_mock)
    report = ws.executor(State(provider=BASE), client, wait=True, lines=lines).run(plan)

    assert posts(httpx_mock, "/v1/batches") == 2
    sent_ids = [json.loads(line)["custom_id"] for line in retry_upload["content"].split(b"\n")
                if line.startswith(b'{"custom_id"')]
    keys = [r.key for r in iter_requests(ws.spec, ws.spec.jobs["greet"])]
    assert sent_ids == [keys[0], keys[2]]  # sent under their ledger keys
    assert any("batch_1 expired; retrying" in line for line in lines)
    assert (report.outcomes[0].status, report.outcomes[0].ok, report.outcomes[0].error) == ("completed", 3, 0)
    records = [json.loads(line) for line in ws.spec.jobs["greet"].output.read_text().splitlines()]
    assert [r["content"] for r in records] == ["Hi Ada", "Hi Bob", "Hi Cy"]
    saved = ws.state().jobs["greet"]
    assert [(s.generation, s.batch_id, s.status) for s in saved.shards] == [(0, "batch_1", "expired"),
                                                                            (1, "batch_2", "completed")]


# --------------------------------------------------------------------------- remove and replace


def state_with_old_job(status: str) -> State:
    shard = ShardState(index=0, filename="specrun-old-0123456789abcdef.jsonl", sha256="a" * 64, bytes=100,
                       requests=2, file_id="file-old", batch_id="batch_old", status=status, total=2)
    return State(provider=BASE, jobs={"old": JobState(input_sha256="b" * 64, fingerprint="c" * 64, requests=2,
                                                      model="test-model", shards=[shard])})


def test_remove_cancels_the_in_flight_batch_and_forgets_the_job(ws, client, httpx_mock):
    state = state_with_old_job("in_progress")
    save_state(ws.state_path, state)
    results = ws.root / "results" / "old.jsonl"
    results.parent.mkdir()
    results.write_text('{"custom_id": "old-0"}\n')
    plan = ws.plan(state, targets=("old",))
    assert [(j.job, j.action, j.cancel_batch_ids) for j in plan.jobs] == [("old", "remove", ("batch_old",))]
    httpx_mock.add_response(method="POST", url=f"{BASE}/batches/batch_old/cancel",
                            json=batch_json("batch_old", "cancelling", "file-old"))
    lines: list[str] = []

    report = ws.executor(state, client, wait=True, lines=lines).run(plan)

    assert sent(httpx_mock) == [("POST", "/v1/batches/batch_old/cancel")]
    assert [(o.job, o.status) for o in report.outcomes] == [("old", "removed")]
    assert "old" not in ws.state().jobs
    assert "cancelled batch batch_old" in lines
    assert results.read_text() == '{"custom_id": "old-0"}\n'  # result files stay


def test_remove_of_a_finished_job_sends_nothing(ws, client, httpx_mock):
    state = state_with_old_job("completed")
    save_state(ws.state_path, state)
    plan = ws.plan(state, targets=("old",))
    assert [(j.action, j.cancel_batch_ids) for j in plan.jobs] == [("remove", ())]

    ws.executor(state, client).run(plan)

    assert httpx_mock.get_requests() == []
    assert ws.state().jobs == {}


def test_replace_cancels_the_old_batch_before_uploading_the_new_file(ws, client, httpx_mock):
    first = ws.plan(None)
    old_shard = shard_of(first)
    httpx_mock.add_response(method="GET", url=FILES, json=listing())
    httpx_mock.add_response(method="POST", url=CREATE_FILE, json=file_json("file-1", old_shard.filename,
                                                                           old_shard.bytes))
    httpx_mock.add_response(method="POST", url=CREATE_BATCH, json=batch_json("batch_1", "in_progress", "file-1"))
    ws.executor(State(provider=BASE), client).run(first)
    httpx_mock.reset()

    ws.rewrite("Say goodbye to")
    state = ws.state()
    plan = ws.plan(state)
    [job] = plan.jobs
    assert (job.action, job.cancel_batch_ids) == ("replace", ("batch_1",))
    new_shard = shard_of(plan)
    assert new_shard.filename != old_shard.filename
    httpx_mock.add_response(method="POST", url=f"{BASE}/batches/batch_1/cancel",
                            json=batch_json("batch_1", "cancelling", "file-1"))
    httpx_mock.add_response(method="GET", url=FILES, json=listing(
        file_json("file-1", old_shard.filename, old_shard.bytes)))
    httpx_mock.add_response(method="POST", url=CREATE_FILE, json=file_json("file-2", new_shard.filename,
                                                                           new_shard.bytes))
    httpx_mock.add_response(method="POST", url=CREATE_BATCH, json=batch_json("batch_2", "validating", "file-2"))

    ws.executor(state, client).run(plan)

    assert sent(httpx_mock) == [("POST", "/v1/batches/batch_1/cancel"), ("GET", "/v1/files"),
                                ("POST", "/v1/files"), ("POST", "/v1/batches")]
    assert json.loads(httpx_mock.get_request(method="POST", url=CREATE_BATCH).content)["input_file_id"] == "file-2"
    [saved_shard] = ws.state().jobs["greet"].shards
    assert (saved_shard.filename, saved_shard.file_id, saved_shard.batch_id) == (new_shard.filename, "file-2",
                                                                                 "batch_2")


def test_a_failed_cancel_keeps_the_batch_in_state(ws, client, httpx_mock):
    state = state_with_old_job("in_progress")
    save_state(ws.state_path, state)
    plan = ws.plan(state, targets=("old",))
    httpx_mock.add_response(method="POST", url=f"{BASE}/batches/batch_old/cancel", status_code=503,
                            is_reusable=True)
    httpx_mock.add_response(method="GET", url=f"{BASE}/batches/batch_old",
                            json=batch_json("batch_old", "in_progress", "file-old"), is_reusable=True)
    lines: list[str] = []

    with pytest.raises(ApplyError) as failure:
        ws.executor(state, client, lines=lines).run(plan)

    assert "job 'old': could not cancel batch batch_old" in failure.value.message
    assert "it is kept in state" in failure.value.message
    assert "batch_old" in ws.state().jobs.get("old", JobState("", "", 0, "")).batch_ids()


@pytest.mark.parametrize("hostile_id", ["../../../evil", "/tmp/evil", "..", "file-ok/../../evil"])
def test_a_provider_file_id_never_chooses_where_specrun_writes(ws, client, httpx_mock, hostile_id):
    plan = ws.plan(None)
    shard = shard_of(plan)
    httpx_mock.add_response(method="GET", url=FILES, json=listing())
    httpx_mock.add_response(method="POST", url=CREATE_FILE, json=file_json("file-1", shard.filename, shard.bytes))
    httpx_mock.add_response(method="POST", url=CREATE_BATCH, json=batch_json("batch_1", "validating", "file-1"))
    httpx_mock.add_response(method="GET", url=f"{BASE}/batches/batch_1", is_reusable=True,
                            json=batch_json("batch_1", "completed", "file-1", output_file_id=hostile_id, completed=3))
    httpx_mock.add_response(method="GET", is_optional=True, is_reusable=True, content=jsonl(output_line("greet-0", "x")))
    finish_listings(httpx_mock)
    before = {p for p in ws.root.parent.rglob("*evil*")}

    with pytest.raises(SpecrunError) as caught:
        ws.executor(State(provider=BASE), client, wait=True).run(plan)

    assert "invalid output_file_id" in caught.value.message
    assert {p for p in ws.root.parent.rglob("*evil*")} == before  # nothing written anywhere
    assert ws.state().jobs["greet"].shards[0].batch_id == "batch_1"  # the paid-for batch is kept in state


def test_the_executor_forgets_jobs_of_another_provider_only_because_the_plan_says_so(ws, client):
    from specrun.state import JobState

    old = JobState(input_sha256="x", fingerprint="f", requests=3, model="m")
    moved = State(provider="http://old-provider/v1", jobs={"gone": old})
    plan = ws.plan(moved)
    assert plan.provider_changed and "state was made against provider" in plan.warnings[0]
    ws.executor(moved, client).run(replace(plan, jobs=()))
    assert moved.jobs == {} and moved.provider == BASE

    unnamed = State(provider="", jobs={"kept": old})  # a state that never recorded its provider
    plan = ws.plan(unnamed)
    assert not plan.provider_changed
    ws.executor(unnamed, client).run(replace(plan, jobs=()))
    assert set(unnamed.jobs) == {"kept"} and unnamed.provider == BASE


def test_the_executor_saves_through_any_state_store(ws, client, httpx_mock):
    from contextlib import nullcontext

    from specrun.state import FileStateStore, StateStore

    class MemoryStore:
        def __init__(self) -> None:
            self.saved: list[dict] = []

        def load(self):
            return None

        def save(self, state: State) -> None:
            state.serial += 1
            self.saved.append(state.to_json())

        def lock(self, command: str, timeout: float = 0.0):
            return nullcontext()

    store = MemoryStore()
    assert isinstance(store, StateStore) and isinstance(FileStateStore(ws.state_path), StateStore)
    plan = ws.plan(None)
    shard = shard_of(plan)
    httpx_mock.add_response(method="GET", url=FILES, json=listing())
    httpx_mock.add_response(method="POST", url=CREATE_FILE, json=file_json("file-1", shard.filename, shard.bytes))
    httpx_mock.add_response(method="POST", url=CREATE_BATCH, json=batch_json("batch_1", "validating", "file-1"))
    Executor(ws.spec, State(provider=BASE), store, client, build_dir=ws.build_dir,
             downloads_dir=ws.downloads_dir, options=ApplyOptions(wait=False), echo=lambda line: None).run(plan)
    assert store.saved[-1]["jobs"]["greet"]["shards"][0]["batch_id"] == "batch_1"
    assert [s["serial"] for s in store.saved] == list(range(1, len(store.saved) + 1))
    assert not ws.state_path.exists()  # nothing went around the store
