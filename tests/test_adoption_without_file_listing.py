"""Lost state against a provider without ``GET /files`` (listing): still one batch, never two.

The embedded local provider, behind a transport that answers 404 to the file listing
(as OpenAI-compatible servers without it do) but serves ``GET /files/{id}`` and
``GET /batches``. After one apply and a deleted state file, the plan must adopt the
batch (files are found through batches) and a second apply must create nothing.
"""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import httpx

from specrun.apply import ApplyOptions, Executor
from specrun.client import Client
from specrun.local import embedded_transport
from specrun.plan import make_plan
from specrun.spec import load_spec
from specrun.state import State, load_state

BASE = "http://specrun.local/v1"

SPEC = """\
version: 1
provider:
  base_url: http://specrun.local/v1
jobs:
  greet:
    model: meta-llama/Llama-3.1-8B-Instruct
    messages:
      - role: user
        content: "Say hello to {{ row.name }}"
    rows:
      - {name: Ada}
      - {name: Bob}
      - {name: Cy}
    output: results/greet.jsonl
"""


class NoFileListing(httpx.BaseTransport):
    """Answers 404 to ``GET /v1/files`` (the listing only); forwards the rest. Records every call."""

    def __init__(self, inner: httpx.BaseTransport) -> None:
        self.inner = inner
        self.calls: list[tuple[str, str]] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.calls.append((request.method, request.url.path))
        if request.method == "GET" and request.url.path == "/v1/files":
            return httpx.Response(404, json={"detail": "Not Found"}, request=request)
        return self.inner.handle_request(request)

    def close(self) -> None:
        self.inner.close()


def _executor(spec, state: State, root: Path, client: Client) -> Executor:
    return Executor(spec, state, root / ".specrun" / "state.json", client,
                    build_dir=root / ".specrun" / "build", downloads_dir=root / ".specrun" / "downloads",
                    options=ApplyOptions(wait=True, poll_interval=0.05, timeout=60),
                    echo=lambda line: None, sleep=lambda seconds: time.sleep(min(seconds, 0.05)))


def test_lost_state_is_adopted_through_batches_when_files_are_not_listed(tmp_path):
    root = tmp_path / "project"
    root.mkdir()
    (root / "specrun.yaml").write_text(SPEC)
    spec = load_spec(root / "specrun.yaml")
    state_path = root / ".specrun" / "state.json"
    build_dir = root / ".specrun" / "build"
    inner = embedded_transport(tmp_path / "prov")
    transport = NoFileListing(inner)
    client = Client(BASE, None, transport=transport)
    try:
        # 1. First apply: uploads, creates one batch, waits, downloads.
        plan, _ = make_plan(spec, State(provider=BASE), client, provider=BASE, build_dir=build_dir)
        [job] = plan.jobs
        assert job.action == "create", job.reason
        report = _executor(spec, State(provider=BASE), root, client).run(plan)
        assert [o.status for o in report.outcomes] == ["completed"]
        assert ("GET", "/v1/files") in transport.calls  # the listing was tried, and refused
        assert transport.calls.count(("POST", "/v1/batches")) == 1
        assert len(client.list_batches().data) == 1
        results = [json.loads(line) for line in (root / "results" / "greet.jsonl").read_text().splitlines()]
        assert [r["status"] for r in results] == ["ok", "ok", "ok"]

        # 2. The state file and the row ledger are lost.
        state_path.unlink()
        (root / ".specrun" / "ledger.sqlite").unlink()
        shutil.rmtree(root / ".specrun" / "downloads")
        assert load_state(state_path) is None

        # 3. Plan again, with a fresh client (a new run): the ledger is rebuilt from the
        #    batch's output, its file found through the batch listing and GET /files/{id}.
        client.close()
        transport = NoFileListing(inner := embedded_transport(tmp_path / "prov"))
        client = Client(BASE, None, transport=transport)
        fresh = State(provider=BASE)
        plan, _ = make_plan(spec, fresh, client, provider=BASE, build_dir=build_dir)
        [job] = plan.jobs
        assert (job.action, job.to_send, job.reused) == ("create", 0, 3), job.reason
        assert "the ledger answers all 3 requests" in job.reason
        [batch] = client.list_batches().data
        assert ("GET", f"/v1/files/{batch.input_file_id}") in transport.calls
        assert ("GET", f"/v1/files/{batch.output_file_id}/content") in transport.calls

        # 4. Apply it: nothing is created, the one batch's results are downloaded.
        transport.calls.clear()
        report = _executor(spec, fresh, root, client).run(plan)
        assert [o.status for o in report.outcomes] == ["completed"]
        assert [call for call in transport.calls if call[0] == "POST"] == []
        assert [b.id for b in client.list_batches().data] == [batch.id]
        state = load_state(state_path)
        assert state is not None and state.jobs["greet"].shards == []  # nothing sent, nothing to track
        assert [(json.loads(line)["status"], json.loads(line)["reused"]) for line in
                (root / "results" / "greet.jsonl").read_text().splitlines()] == [("ok", True)] * 3
    finally:
        client.close()
        inner.close()
