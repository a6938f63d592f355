"""The row ledger end to end (DESIGN §7): an edit costs only the rows it changed.

The CLI runs in-process (``cli``) on the embedded local provider (echo engine), or on a
``specrun serve`` tenant (``server``) where the provider's data must outlive ``.specrun/``;
the crash tests alone need a real process (``run_cli`` with ``SPECRUN_CRASH_AT``). What
was paid for is read back from the provider itself: every batch's input file, through
``specrun batches ls`` and ``specrun files download`` (see ``received``), never from
specrun's own state or ledger.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.e2e.conftest import MODEL, Result, plan_jobs, read_results, run_cli

ECHO = "{local: {engine: echo}}"
EXPECTED_KEYS = {"input_tokens", "output_tokens", "cost_usd", "from_answers"}


def write_spec(root: Path, jobs: dict[str, list[str]], *, template: str = "Answer: {{ row.q }}",
               provider: str = ECHO, no_dedupe: tuple[str, ...] = ()) -> Path:
    """A spec whose jobs each ask ``template`` of inline rows ``{q: text}``."""
    root.mkdir(parents=True, exist_ok=True)
    body = "".join(
        f"  {name}:\n"
        + ("    dedupe: false\n" if name in no_dedupe else "")
        + f"    rows: {json.dumps([{'q': q} for q in rows])}\n"
        f"    messages: [{{role: user, content: {json.dumps(template)}}}]\n"
        for name, rows in jobs.items()
    )
    spec = root / "specrun.yaml"
    spec.write_text(f"version: 1\nprovider: {provider}\n"
                    f"defaults: {{model: {MODEL}, params: {{max_tokens: 16}}}}\njobs:\n{body}", encoding="utf-8")
    return spec


def apply(cli, cwd: Path, *args: str) -> Result:
    result = cli("apply", "--auto-approve", "--poll-interval", "0.1", *args, cwd=cwd)
    assert result.code == 0, result.stdout + result.stderr
    return result


def received(cli, cwd: Path) -> Counter:
    """What the provider was asked to answer: the user message of every line of every batch's input file."""
    listed = cli("batches", "ls", "--json", "--limit", "100", cwd=cwd)
    assert listed.code == 0, listed.stderr
    prompts: Counter = Counter()
    for batch in json.loads(listed.stdout):
        dest = cwd.parent / f"audit-{batch['input_file_id']}.jsonl"
        assert cli("files", "download", batch["input_file_id"], "-o", str(dest), cwd=cwd).code == 0
        for line in dest.read_text(encoding="utf-8").splitlines():
            prompts[json.loads(line)["body"]["messages"][-1]["content"]] += 1
        dest.unlink()
    return prompts


def results(cwd: Path, job: str = "a") -> list[tuple[str, str, bool]]:
    """(content or error code, status, reused) per results line, checking the lines are whole and in input order."""
    lines = read_results(cwd / "results" / f"{job}.jsonl")
    assert [(r["custom_id"], r["index"]) for r in lines] == [(f"{job}-{i}", i) for i in range(len(lines))]
    return [(r["content"] if r["status"] == "ok" else r["error"]["code"], r["status"], r["reused"]) for r in lines]


def asked(*texts: str, times: int = 1) -> Counter:
    """``received`` as it should be: each "Answer: <text>" asked ``times`` times."""
    return Counter({f"Answer: {text}": times for text in texts})


# ---------------------------------------------------------------- an edit costs what it changed


def test_an_added_row_costs_one_request_and_every_plan_format_says_so(tmp_path, cli):
    spec = write_spec(tmp_path / "p", {"a": ["one", "two", "three"]})
    first = apply(cli, spec.parent)
    assert re.search(r"sent 3 requests: ~[\d,]+ input tokens estimated, 10 reported", first.stdout)  # ⌈chars/4⌉: 3+3+4
    write_spec(spec.parent, {"a": ["one", "two", "three", "four"]})

    job = plan_jobs(cli, spec.parent)["a"]
    assert (job["action"], job["requests"], job["to_send"], job["reused"]) == ("update", 4, 1, 3)
    human = cli("plan", cwd=spec.parent)
    assert "1 to send, 3 from the ledger" in human.stdout
    assert "Plan: 0 to create, 1 to update, 0 to replace" in human.stdout
    markdown = cli("plan", "--format", "markdown", cwd=spec.parent).stdout
    assert "| to send |" in markdown and "| update | 4 | 1 |" in markdown
    assert "1 to send, 3 from the ledger" in markdown

    applied = apply(cli, spec.parent)
    assert "sent 1 request:" in applied.stdout and "3 rows answered from the ledger" in applied.stdout
    assert results(spec.parent) == [("echo: Answer: one", "ok", True), ("echo: Answer: two", "ok", True),
                                    ("echo: Answer: three", "ok", True), ("echo: Answer: four", "ok", False)]
    assert received(cli, spec.parent) == asked("one", "two", "three", "four")
    assert plan_jobs(cli, spec.parent)["a"]["action"] == "noop"


def test_a_revert_is_answered_from_the_ledger_and_uploads_nothing(tmp_path, cli):
    spec = write_spec(tmp_path / "p", {"a": ["one", "two"]})
    apply(cli, spec.parent)
    write_spec(spec.parent, {"a": ["one", "two"]}, template="Briefly: {{ row.q }}")
    job = plan_jobs(cli, spec.parent)["a"]
    assert (job["action"], job["to_send"], job["reused"]) == ("replace", 2, 0)  # touches every row
    apply(cli, spec.parent)

    write_spec(spec.parent, {"a": ["one", "two"]})  # back to the first version: all answered already
    job = plan_jobs(cli, spec.parent)["a"]
    assert (job["action"], job["to_send"], job["reused"]) == ("update", 0, 2)
    files_before = cli("files", "ls", "--json", "--limit", "100", cwd=spec.parent).stdout
    apply(cli, spec.parent)
    assert cli("files", "ls", "--json", "--limit", "100", cwd=spec.parent).stdout == files_before  # nothing uploaded
    assert results(spec.parent) == [("echo: Answer: one", "ok", True), ("echo: Answer: two", "ok", True)]
    assert plan_jobs(cli, spec.parent)["a"]["action"] == "noop"


def test_after_pruning_everything_a_revert_adopts_the_batch_the_provider_still_holds(tmp_path, cli):
    spec = write_spec(tmp_path / "p", {"a": ["one", "two"]})
    apply(cli, spec.parent)
    write_spec(spec.parent, {"a": ["one", "two"]}, template="Briefly: {{ row.q }}")
    apply(cli, spec.parent)
    write_spec(spec.parent, {"a": ["one", "two"]})
    apply(cli, spec.parent)  # answered from the ledger

    pruned = cli("ledger", "prune", "--older-than", "0", cwd=spec.parent)
    assert pruned.code == 0 and "Pruned 4 answers older than 0 days; 0 left." in pruned.stdout
    write_spec(spec.parent, {"a": ["one", "two"]}, template="Briefly: {{ row.q }}")
    job = plan_jobs(cli, spec.parent)["a"]
    # the ledger forgot, but the provider still holds the file of that very shard (same content, same
    # name) and its completed batch: adopted, so the plan sends nothing, and apply agrees
    assert (job["action"], job["to_send"], job["reused"]) == ("replace", 0, 2)
    assert "adopted" in job["reason"]
    apply(cli, spec.parent)
    assert results(spec.parent) == [("echo: Briefly: one", "ok", False), ("echo: Briefly: two", "ok", False)]
    assert received(cli, spec.parent) == asked("one", "two") + Counter({"Briefly: one": 1, "Briefly: two": 1})


def test_replace_ignores_the_ledger_in_plan_and_apply(tmp_path, cli):
    spec = write_spec(tmp_path / "p", {"a": ["one", "two"], "b": ["three"]})
    apply(cli, spec.parent)
    planned = plan_jobs(cli, spec.parent, "--replace", "a")
    assert (planned["a"]["action"], planned["a"]["to_send"], planned["a"]["reused"]) == ("replace", 2, 0)
    assert planned["b"]["action"] == "noop"
    apply(cli, spec.parent, "--replace", "a")
    assert results(spec.parent) == [("echo: Answer: one", "ok", False), ("echo: Answer: two", "ok", False)]
    assert received(cli, spec.parent) == asked("one", "two", times=2) + asked("three")


def test_a_saved_plan_is_stale_once_the_ledger_changed(tmp_path, cli):
    spec = write_spec(tmp_path / "p", {"a": ["one", "two"]})
    apply(cli, spec.parent)
    write_spec(spec.parent, {"a": ["one", "two", "three"]})
    assert cli("plan", "--out", "edit.plan", cwd=spec.parent).code == 0  # would send 1 request
    assert cli("ledger", "prune", "--older-than", "0", cwd=spec.parent).code == 0  # now it would send 3
    refused = cli("apply", "edit.plan", cwd=spec.parent)
    assert refused.code == 1
    assert "Saved plan is stale" in refused.stderr and "ledger" in refused.stderr
    assert received(cli, spec.parent) == asked("one", "two")  # nothing sent
    assert cli("plan", "--out", "again.plan", cwd=spec.parent).code == 0
    assert cli("apply", "again.plan", "--poll-interval", "0.1", cwd=spec.parent).code == 0
    assert received(cli, spec.parent) == asked("one", "two", times=2) + asked("three")


# ---------------------------------------------------------------- identical requests


def test_identical_requests_are_sent_once_across_jobs_unless_dedupe_is_off(tmp_path, cli):
    spec = write_spec(tmp_path / "p", {"a": ["one", "two"], "b": ["one", "two", "two", "new"],
                                       "sampled": ["one", "one"]}, no_dedupe=("sampled",))
    planned = plan_jobs(cli, spec.parent)
    assert [(planned[j]["action"], planned[j]["requests"], planned[j]["to_send"]) for j in ("a", "b", "sampled")] \
        == [("create", 2, 2), ("create", 4, 1), ("create", 2, 2)]
    assert planned["b"]["duplicates"] == 3
    apply(cli, spec.parent)
    assert received(cli, spec.parent) == asked("two", "new") + asked("one", times=3)  # a+b once, sampled twice
    assert [content for content, _, _ in results(spec.parent, "b")] == \
        ["echo: Answer: one", "echo: Answer: two", "echo: Answer: two", "echo: Answer: new"]
    assert [status for _, status, _ in results(spec.parent, "sampled")] == ["ok", "ok"]


# ---------------------------------------------------------------- errors


def test_errors_are_reused_as_errors_until_retry_errors(tmp_path, cli):
    spec = write_spec(tmp_path / "p", {"a": ["one", "two [[fail]]"]})
    apply(cli, spec.parent)
    write_spec(spec.parent, {"a": ["one", "two [[fail]]", "three"]})
    job = plan_jobs(cli, spec.parent)["a"]
    assert (job["action"], job["to_send"], job["reused"]) == ("update", 1, 2)
    apply(cli, spec.parent)
    assert results(spec.parent) == [("echo: Answer: one", "ok", True), ("echo_fail_marker", "error", True),
                                    ("echo: Answer: three", "ok", False)]
    assert received(cli, spec.parent) == asked("one", "two [[fail]]", "three")

    job = plan_jobs(cli, spec.parent, "--retry-errors")["a"]
    assert (job["action"], job["to_send"]) == ("retry", 1)
    apply(cli, spec.parent, "--retry-errors")
    assert received(cli, spec.parent) == asked("one", "three") + asked("two [[fail]]", times=2)


@pytest.fixture
def upstream():
    """An OpenAI-compatible upstream for the local provider's openai engine: ``(url, refusing)``.

    While ``refusing`` is set it answers 400 to a prompt containing "flaky"; otherwise 200.
    """
    refusing = threading.Event()
    refusing.set()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            text = body["messages"][-1]["content"]
            if refusing.is_set() and "flaky" in text:
                status, answer = 400, {"error": {"message": "refused", "type": "invalid_request_error",
                                                 "code": "flaky_refused"}}
            else:
                status, answer = 200, {
                    "id": "chatcmpl-1", "object": "chat.completion", "created": 0, "model": body["model"],
                    "choices": [{"index": 0, "message": {"role": "assistant", "content": "up: " + text},
                                 "finish_reason": "stop"}],
                    "usage": {"prompt_tokens": 3, "completion_tokens": 3, "total_tokens": 6}}
            payload = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", refusing
    httpd.shutdown()
    httpd.server_close()


def test_retry_errors_replaces_the_error_in_the_ledger_with_the_new_answer(tmp_path, cli, upstream):
    url, refusing = upstream
    provider = f"{{local: {{engine: openai, upstream: '{url}', models: ['{MODEL}']}}}}"
    spec = write_spec(tmp_path / "p", {"a": ["one", "flaky"]}, provider=provider)
    apply(cli, spec.parent)
    assert results(spec.parent) == [("up: Answer: one", "ok", False), ("flaky_refused", "error", False)]

    refusing.clear()
    assert plan_jobs(cli, spec.parent)["a"]["action"] == "noop"  # an error is an answer until --retry-errors
    apply(cli, spec.parent, "--retry-errors")
    assert results(spec.parent)[1][:2] == ("up: Answer: flaky", "ok")

    write_spec(spec.parent, {"a": ["one", "flaky", "two"]}, provider=provider)
    job = plan_jobs(cli, spec.parent)["a"]
    assert (job["action"], job["to_send"], job["reused"]) == ("update", 1, 2)
    apply(cli, spec.parent)
    assert results(spec.parent) == [("up: Answer: one", "ok", True), ("up: Answer: flaky", "ok", True),
                                    ("up: Answer: two", "ok", False)]
    assert received(cli, spec.parent) == asked("one", "two") + asked("flaky", times=2)


# ---------------------------------------------------------------- a lost .specrun/ and crashes


def test_a_lost_specrun_directory_is_rebuilt_from_the_provider(tmp_path, cli, server):
    provider = f"{{base_url: '{server.url}'}}"
    spec = write_spec(tmp_path / "p", {"a": ["one", "two [[fail]]", "three"]}, provider=provider)
    apply(cli, spec.parent)
    write_spec(spec.parent, {"a": ["one", "two [[fail]]", "three", "four"]}, provider=provider)
    apply(cli, spec.parent)  # answers now come from two batches
    shutil.rmtree(spec.parent / ".specrun")

    write_spec(spec.parent, {"a": ["one", "two [[fail]]", "three", "four", "five"]}, provider=provider)
    planned = cli("plan", "--json", cwd=spec.parent)
    assert planned.code == 0, planned.stderr
    assert "rebuilt from the provider" in planned.stderr
    [job] = json.loads(planned.stdout)["jobs"]
    assert (job["action"], job["to_send"], job["reused"]) == ("create", 1, 4)  # no state: create, yet 1 to send
    apply(cli, spec.parent)
    assert results(spec.parent) == [("echo: Answer: one", "ok", True), ("echo_fail_marker", "error", True),
                                    ("echo: Answer: three", "ok", True), ("echo: Answer: four", "ok", True),
                                    ("echo: Answer: five", "ok", False)]
    assert received(cli, spec.parent) == asked("one", "two [[fail]]", "three", "four", "five")


def crash_while_applying_an_edit(spec: Path, cli, crash_at: str) -> None:
    """Apply 3 rows, add 2, and kill the apply of that edit at ``crash_at`` (a real process)."""
    apply(cli, spec.parent)
    write_spec(spec.parent, {"a": ["one", "two", "three", "four", "five"]}, provider=spec_provider(spec))
    crashed = run_cli("apply", "--auto-approve", "--poll-interval", "0.1", cwd=spec.parent,
                      env={"SPECRUN_CRASH_AT": crash_at})
    assert crashed.code == -9, crashed.stderr


def spec_provider(spec: Path) -> str:
    return re.search(r"^provider: (.*)$", spec.read_text(), re.M).group(1)


@pytest.mark.parametrize("crash_at", ["after-upload", "after-create"])
def test_a_crash_while_applying_an_edit_sends_nothing_twice(tmp_path, cli, server, crash_at):
    spec = write_spec(tmp_path / "p", {"a": ["one", "two", "three"]}, provider=f"{{base_url: '{server.url}'}}")
    crash_while_applying_an_edit(spec, cli, crash_at)
    apply(cli, spec.parent)
    assert [status for _, status, _ in results(spec.parent)] == ["ok"] * 5
    assert received(cli, spec.parent) == asked("one", "two", "three", "four", "five")


@pytest.mark.parametrize(("crash_at", "to_send"), [
    ("after-upload", 3),  # no batch yet: four and five were never asked
    ("after-create", 1),  # four and five: in the batch created before the crash, waited for (or reused)
])
def test_a_crash_then_another_edit_sends_nothing_twice(tmp_path, cli, server, crash_at, to_send):
    spec = write_spec(tmp_path / "p", {"a": ["one", "two", "three"]}, provider=f"{{base_url: '{server.url}'}}")
    crash_while_applying_an_edit(spec, cli, crash_at)
    write_spec(spec.parent, {"a": ["one", "two", "three", "four", "five", "six"]}, provider=spec_provider(spec))
    job = plan_jobs(cli, spec.parent)["a"]
    assert (job["to_send"], job["reused"] + job["in_flight"]) == (to_send, 6 - to_send)
    apply(cli, spec.parent)
    assert [status for _, status, _ in results(spec.parent)] == ["ok"] * 6
    assert received(cli, spec.parent) == asked("one", "two", "three", "four", "five", "six")


# ---------------------------------------------------------------- keeping the ledger in check


def test_ledger_stats_report_entries_size_and_the_last_plans_hit_rate(tmp_path, cli):
    spec = write_spec(tmp_path / "p", {"a": ["one", "two", "three [[fail]]"]})
    empty = json.loads(cli("ledger", "stats", "--json", cwd=spec.parent).stdout)
    assert (empty["entries"], empty["last_plan"]) == (0, None)
    apply(cli, spec.parent)
    write_spec(spec.parent, {"a": ["one", "two", "three [[fail]]", "four"]})
    assert cli("plan", cwd=spec.parent).code == 0

    stats = json.loads(cli("ledger", "stats", "--json", cwd=spec.parent).stdout)
    assert (stats["entries"], stats["ok"], stats["error"]) == (3, 2, 1)
    assert stats["bytes"] > 0
    assert {k: stats["last_plan"][k] for k in ("requests", "to_send", "reused", "hit_rate")} == \
        {"requests": 4, "to_send": 1, "reused": 3, "hit_rate": 0.75}
    human = cli("ledger", "stats", cwd=spec.parent).stdout
    assert "entries: 3 (2 ok, 1 error)" in human
    assert "last plan: 4 requests, 1 to send, 3 from the ledger (hit rate 75.0%)" in human

    kept = cli("ledger", "prune", "--older-than", "1", cwd=spec.parent)
    assert kept.code == 0 and "Pruned 0 answers older than 1 day; 3 left." in kept.stdout


def test_specrun_gitignore_keeps_the_ledger_and_the_local_provider_out_of_git(tmp_path, cli):
    spec = write_spec(tmp_path / "p", {"a": ["one"]})
    subprocess.run(["git", "init", "-q", str(spec.parent)], check=True)
    assert cli("plan", "--no-refresh", cwd=spec.parent).code == 0
    assert (spec.parent / ".specrun" / ".gitignore").is_file()
    apply(cli, spec.parent)
    home = spec.parent / ".specrun"
    ignored = subprocess.run(["git", "-C", str(spec.parent), "check-ignore", "--stdin"], capture_output=True,
                             text=True, input="\n".join(str(p.relative_to(spec.parent)) for p in home.rglob("*")))
    ignored_paths = set(ignored.stdout.split())
    assert ".specrun/ledger.sqlite" in ignored_paths
    assert any(p.startswith(".specrun/local") for p in ignored_paths)
    assert ".specrun/state.json" not in ignored_paths


# ---------------------------------------------------------------- calibrated estimates


def test_estimates_are_calibrated_from_ten_answers_of_the_model(tmp_path, cli):
    def texts(start: int, stop: int) -> list[str]:  # ~100 characters each: the echo engine's ⌈chars/4⌉ stays close
        return [f"row {i:03d} " + "lorem ipsum dolor sit amet " * 4 for i in range(start, stop)]

    spec = write_spec(tmp_path / "p", {"a": texts(0, 9)})
    assert plan_jobs(cli, spec.parent)["a"]["expected"] is None  # an empty ledger knows nothing
    apply(cli, spec.parent)
    write_spec(spec.parent, {"a": texts(0, 10)})
    assert plan_jobs(cli, spec.parent)["a"]["expected"] is None  # 9 answers: not yet
    apply(cli, spec.parent)

    write_spec(spec.parent, {"a": texts(0, 15)})
    job = plan_jobs(cli, spec.parent)["a"]
    assert job["to_send"] == 5
    expected = job["expected"]
    assert set(expected) == EXPECTED_KEYS and expected["from_answers"] == 10
    assert "from 10 past answers" in cli("plan", cwd=spec.parent).stdout
    applied = apply(cli, spec.parent)
    sent = [r for r in read_results(spec.parent / "results" / "a.jsonl") if not r["reused"]]
    reported_in = sum(r["usage"]["prompt_tokens"] for r in sent)
    reported_out = sum(r["usage"]["completion_tokens"] for r in sent)
    assert re.search(rf"sent 5 requests: ~[\d,]+ input tokens estimated, {reported_in:,} reported", applied.stdout)
    assert abs(expected["input_tokens"] - reported_in) <= 0.05 * reported_in  # calibrated: close to what came
    assert abs(expected["output_tokens"] - reported_out) <= 0.05 * reported_out


def test_a_rebuilt_ledger_still_calibrates_estimates(tmp_path, cli):
    spec = write_spec(tmp_path / "p", {"a": [f"row {i}" for i in range(12)]})
    apply(cli, spec.parent)
    for lost in ("state.json", "ledger.sqlite", "downloads", "build"):  # all but the provider's own data
        target = spec.parent / ".specrun" / lost
        shutil.rmtree(target) if target.is_dir() else target.unlink()
    write_spec(spec.parent, {"a": [f"row {i}" for i in range(13)]})
    job = plan_jobs(cli, spec.parent)["a"]
    assert (job["to_send"], job["reused"]) == (1, 12)
    assert job["expected"] is not None and job["expected"]["from_answers"] == 12
