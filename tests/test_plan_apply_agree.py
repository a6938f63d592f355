"""Plan = apply: for every submitting action, what the plan says it will send (requests, and
their estimated tokens) is exactly what apply then uploads.

Runs the real CLI in-process on the embedded local provider; the uploads are read back
from the provider (``specrun files``), so nothing of specrun's own is mocked.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from specrun.cli import main
from specrun.render import iter_requests
from specrun.spec import load_spec
from specrun.tokens import TOKENS_ENV, counter_for

MODEL = "meta-llama/Llama-3.1-8B-Instruct"


@pytest.fixture(autouse=True)
def in_project(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv(TOKENS_ENV, "heuristic")
    counter_for.cache_clear()
    yield
    counter_for.cache_clear()


def run(*args: str) -> str:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.stdout


def write_spec(rows: list[str], *, template: str = "Answer: {{ row.q }}", local: str = "engine: echo") -> None:
    inline = ", ".join(json.dumps({"q": q}) for q in rows)
    Path("specrun.yaml").write_text(f"""version: 1
provider: {{local: {{{local}}}}}
defaults: {{model: {MODEL}, params: {{max_tokens: 8}}}}
jobs:
  a:
    rows: [{inline}]
    messages: [{{role: user, content: {json.dumps(template)}}}]
""")


def uploaded_lines() -> dict[str, list[dict]]:
    """Every request file on the provider: filename -> its request lines."""
    files = json.loads(run("files", "ls", "--json", "--limit", "1000"))
    found = {}
    for item in files.get("data", files) if isinstance(files, dict) else files:
        if item.get("purpose") != "batch":
            continue
        out = Path(f"download-{item['id']}.jsonl")
        run("files", "download", item["id"], "-o", str(out))
        found[item["filename"]] = [json.loads(line) for line in out.read_text().splitlines() if line.strip()]
        out.unlink()
    return found


def planned_job() -> dict:
    [job] = json.loads(run("plan", "--json"))["jobs"]
    return job


def sent_by_apply(before: dict[str, list[dict]]) -> list[dict]:
    run("apply", "--auto-approve", "--poll-interval", "0.1")
    after = uploaded_lines()
    return [line for name, lines in after.items() if name not in before for line in lines]


def check_agreement(job: dict, sent: list[dict]) -> None:
    """Apply uploaded exactly the plan's ``to_send`` requests, and the estimate counted exactly those."""
    assert len(sent) == job["to_send"], (job["action"], job["reason"])
    assert job["to_send"] + job["reused"] + job["in_flight"] + job["duplicates"] + job["skipped"] \
        == job["requests"] + job["skipped"] or job["action"] == "retry"
    from specrun._heuristic import heuristic_tokens
    from specrun.tokens import chat_format_for

    chat = chat_format_for(MODEL)
    tokens = sum(heuristic_tokens(message["content"]) + chat.per_message
                 for line in sent for message in line["body"]["messages"]) + chat.per_request * len(sent)
    assert job["estimated_input_tokens"] == tokens
    assert job["max_output_tokens"] == 8 * len(sent)


def test_create_sends_every_request_the_plan_counts():
    write_spec(["one", "two", "three"])
    job = planned_job()
    assert job["action"] == "create"
    check_agreement(job, sent_by_apply({}))


def test_replace_sends_every_request_of_the_new_version():
    write_spec(["one", "two", "three"])
    run("apply", "--auto-approve", "--poll-interval", "0.1")
    write_spec(["one", "two", "three", "four"], template="Briefly: {{ row.q }}")
    job = planned_job()
    assert job["action"] == "replace"
    check_agreement(job, sent_by_apply(uploaded_lines()))


def test_retry_errors_sends_just_the_failed_rows():
    write_spec(["one", "two [[fail]]", "three", "four [[fail]]"])
    run("apply", "--auto-approve", "--poll-interval", "0.1")
    before = uploaded_lines()
    [job] = json.loads(run("plan", "--json", "--retry-errors"))["jobs"]
    assert job["action"] == "retry" and job["reused_requests"] == 2
    result = CliRunner().invoke(main, ["apply", "--auto-approve", "--retry-errors", "--poll-interval", "0.1"])
    assert result.exit_code in (0, 1), result.output  # the rows fail again: the echo engine is deterministic
    sent = [line for name, lines in uploaded_lines().items() if name not in before for line in lines]
    keys = {r.custom_id: r.key for r in iter_requests(load_spec(Path("specrun.yaml")), load_spec(
        Path("specrun.yaml")).jobs["a"])}
    assert sorted(line["custom_id"] for line in sent) == sorted([keys["a-1"], keys["a-3"]])  # sent by ledger key
    assert len(sent) == job["requests"] - job["reused_requests"]


def test_update_sends_only_the_rows_the_ledger_cannot_answer():
    write_spec(["one", "two", "three"])
    run("apply", "--auto-approve", "--poll-interval", "0.1")
    write_spec(["one", "two", "three", "four"])
    job = planned_job()
    assert (job["action"], job["to_send"], job["reused"]) == ("update", 1, 3)
    sent = sent_by_apply(uploaded_lines())
    check_agreement(job, sent)
    assert [m["content"] for line in sent for m in line["body"]["messages"]] == ["Answer: four"]
    rows = [json.loads(line) for line in Path("results/a.jsonl").read_text().splitlines()]
    assert [(r["status"], r["reused"]) for r in rows] == [("ok", True)] * 3 + [("ok", False)]


def test_reverting_an_edit_sends_nothing():
    write_spec(["one", "two"])
    run("apply", "--auto-approve", "--poll-interval", "0.1")
    write_spec(["one", "two"], template="Briefly: {{ row.q }}")
    run("apply", "--auto-approve", "--poll-interval", "0.1")
    write_spec(["one", "two"])
    job = planned_job()
    assert (job["action"], job["to_send"], job["reused"]) == ("update", 0, 2)
    assert job["estimated_cost_usd"] in (None, {"min": 0.0, "max": 0.0})
    check_agreement(job, sent_by_apply(uploaded_lines()))
    assert "update" in run("plan") or planned_job()["action"] == "noop"
    assert planned_job()["action"] == "noop"


def test_identical_requests_are_sent_once_and_answer_every_row():
    write_spec(["same", "same", "other", "same"])
    job = planned_job()
    assert (job["action"], job["to_send"], job["duplicates"]) == ("create", 2, 2)
    check_agreement(job, sent_by_apply({}))
    rows = [json.loads(line) for line in Path("results/a.jsonl").read_text().splitlines()]
    assert [r["content"] for r in rows] == ["echo: Answer: same"] * 2 + ["echo: Answer: other", "echo: Answer: same"]


def test_replace_flag_ignores_the_ledger():
    write_spec(["one", "two"])
    run("apply", "--auto-approve", "--poll-interval", "0.1")
    [job] = json.loads(run("plan", "--json", "--replace", "a"))["jobs"]
    assert (job["action"], job["to_send"], job["reused"]) == ("replace", 2, 0)
    before = uploaded_lines()
    run("apply", "--auto-approve", "--replace", "a", "--poll-interval", "0.1")
    sent = [line for name, lines in uploaded_lines().items() if name not in before for line in lines]
    check_agreement(job, sent)


def write_endpoint_spec(endpoint: str, rows: list[str]) -> None:
    """Job ``a`` on ``endpoint`` (embeddings or responses), its input a template of ``row.q``."""
    inline = ", ".join(json.dumps({"q": q}) for q in rows)
    params = "{dimensions: 4}" if endpoint == "/v1/embeddings" else "{max_output_tokens: 8, instructions: Be brief.}"
    model = "BAAI/bge-m3" if endpoint == "/v1/embeddings" else MODEL
    Path("specrun.yaml").write_text(f"""version: 1
provider: {{local: {{engine: echo}}}}
defaults: {{model: {MODEL}, params: {{max_tokens: 8}}}}
jobs:
  a:
    endpoint: {endpoint}
    model: {model}
    rows: [{inline}]
    input: "Answer: {{{{ row.q }}}}"
    params: {params}
""")


@pytest.mark.parametrize("endpoint", ["/v1/embeddings", "/v1/responses"])
def test_other_endpoints_send_what_the_plan_counts(endpoint):
    from specrun._heuristic import heuristic_tokens
    from specrun.tokens import chat_format_for

    def check(job: dict, sent: list[dict]) -> None:
        assert len(sent) == job["to_send"]
        assert {line["url"] for line in sent} <= {endpoint}
        tokens = sum(heuristic_tokens(line["body"]["input"]) for line in sent)
        if endpoint == "/v1/responses":  # the input is a user message, the instructions a system one
            chat = chat_format_for(MODEL)
            tokens += len(sent) * (chat.per_request + 2 * chat.per_message + heuristic_tokens("Be brief."))
        assert job["estimated_input_tokens"] == tokens
        assert job["max_output_tokens"] == (0 if endpoint == "/v1/embeddings" else 8) * len(sent)

    write_endpoint_spec(endpoint, ["one", "two", "three"])
    job = planned_job()
    assert (job["action"], job["to_send"]) == ("create", 3)
    check(job, sent_by_apply({}))
    write_endpoint_spec(endpoint, ["one", "TWO", "three", "four"])
    job = planned_job()
    assert (job["action"], job["to_send"], job["reused"]) == ("update", 2, 2)
    sent = sent_by_apply(uploaded_lines())
    check(job, sent)
    assert sorted(line["body"]["input"] for line in sent) == ["Answer: TWO", "Answer: four"]
    assert planned_job()["action"] == "noop"
