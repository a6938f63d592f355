"""plan/apply end to end: the CLI in-process against a real `specrun serve` (one per module).

``server`` is this test's own tenant of the module's server (an empty provider); the
smoke tests in test_smoke.py run the same CLI in subprocesses (kill -9, concurrent runs).
"""

from __future__ import annotations

import json
import time

from tests.e2e.conftest import read_results, write_project


def test_results_keep_input_order_with_failed_rows_in_the_middle(tmp_path, cli, server):
    spec = write_project(tmp_path / "proj", server.url, rows=6, fail_rows=(2, 3))
    result = cli("apply", "--auto-approve", "--poll-interval", "0.2", cwd=spec.parent)
    assert result.code == 0, result.stderr  # row errors do not fail the run...
    assert "4 ok, 2 error" in result.stdout
    rows = read_results(spec.parent / "results" / "greet.jsonl")
    assert [r["index"] for r in rows] == list(range(6))
    assert [r["status"] for r in rows] == ["ok", "ok", "error", "error", "ok", "ok"]
    assert rows[2]["content"] is None and rows[2]["error"]["message"]
    assert rows[2]["row"]["name"] == "person 2 [[fail]]"

    strict = cli("apply", "--auto-approve", "--fail-on-row-errors", cwd=spec.parent)
    assert strict.code == 1  # no changes, but the results still hold the row errors
    (spec.parent / "results" / "greet.jsonl").unlink()
    strict = cli("apply", "--auto-approve", "--fail-on-row-errors", cwd=spec.parent)
    assert strict.code == 1
    assert "2 row(s) failed inside completed batches" in strict.stderr


def test_three_shards_three_batches(tmp_path, cli, server):
    spec = write_project(tmp_path / "proj", server.url, rows=7, max_requests=3)
    result = cli("apply", "--auto-approve", "--poll-interval", "0.2", cwd=spec.parent)
    assert result.code == 0, result.stderr
    assert "3 shards" in result.stdout
    assert len(server.batches()) == 3
    rows = read_results(spec.parent / "results" / "greet.jsonl")
    assert [r["index"] for r in rows] == list(range(7))


def test_lost_post_answers_never_duplicate(tmp_path, cli, server_factory):
    server = server_factory("--late-fault-rate", "1.0")
    spec = write_project(tmp_path / "proj", server.url)
    result = cli("apply", "--auto-approve", "--poll-interval", "0.2", "-v", cwd=spec.parent)
    assert result.code == 0, result.stderr
    assert len(server.batches()) == 1
    assert len(server.files()) == 1
    assert "5 ok" in result.stdout


def test_deleted_state_adopts_existing_batches(tmp_path, cli, server):
    spec = write_project(tmp_path / "proj", server.url, rows=7, max_requests=3)
    assert cli("apply", "--auto-approve", "--poll-interval", "0.2", cwd=spec.parent).code == 0
    (spec.parent / ".specrun" / "state.json").unlink()
    plan = cli("plan", "--json", cwd=spec.parent)
    assert plan.code == 0, plan.stderr
    job = json.loads(plan.stdout)["jobs"][0]
    # the row ledger holds every answer the three batches gave: nothing is sent again
    assert (job["action"], job["to_send"], job["reused"]) == ("create", 0, 7)
    assert "the ledger answers all 7 requests" in job["reason"]
    (spec.parent / "results" / "greet.jsonl").unlink()
    applied = cli("apply", "--auto-approve", "-v", cwd=spec.parent)
    assert applied.code == 0, applied.stderr
    assert applied.posts() == []
    assert len(server.batches()) == 3
    rows = read_results(spec.parent / "results" / "greet.jsonl")  # the paid-for results, not "missing"
    assert [r["status"] for r in rows] == ["ok"] * 7
    assert "7 ok, 0 error" in applied.stdout


def test_every_action_in_one_lifecycle(tmp_path, cli, server):
    spec = write_project(tmp_path / "proj", server.url, jobs=("greet", "thank"))
    plan = cli("plan", "--detailed-exitcode", cwd=spec.parent)
    assert plan.code == 2
    assert "Plan: 2 to create, 0 to replace, 0 to retry, 0 to remove, 0 unchanged." in plan.stdout
    assert cli("apply", "--auto-approve", "--poll-interval", "0.2", cwd=spec.parent).code == 0
    assert cli("plan", "--detailed-exitcode", cwd=spec.parent).code == 0

    # download: results file deleted
    (spec.parent / "results" / "thank.jsonl").unlink()
    plan = json.loads(cli("plan", "--json", cwd=spec.parent).stdout)
    actions = {j["job"]: (j["action"], j["reason"]) for j in plan["jobs"]}
    assert actions["thank"] == ("download", "results file results/thank.jsonl missing")
    assert actions["greet"] == ("noop", "up to date")
    assert cli("apply", "--auto-approve", cwd=spec.parent).code == 0

    # replace + remove: edit the template and drop a job
    write_project(tmp_path / "proj", server.url, jobs=("greet",), content="Say goodbye to {{ row.name }}.")
    plan = json.loads(cli("plan", "--json", cwd=spec.parent).stdout)
    actions = {j["job"]: (j["action"], j["reason"]) for j in plan["jobs"]}
    assert actions["greet"] == ("replace", "requests changed: messages[0] template edited")
    assert actions["thank"] == ("remove", "job no longer in the spec")
    assert plan["summary"] == {"create": 0, "update": 0, "replace": 1, "retry": 0, "remove": 1, "wait": 0,
                               "download": 0, "noop": 0}
    applied = cli("apply", "--auto-approve", "--poll-interval", "0.2", cwd=spec.parent)
    assert applied.code == 0, applied.stderr
    assert "goodbye" in read_results(spec.parent / "results" / "greet.jsonl")[0]["content"]
    # greet and thank asked the same questions: the row ledger sent them once (one batch), then the edit
    assert len(server.batches()) == 2


def test_no_wait_then_a_later_apply_collects(tmp_path, cli, server):
    spec = write_project(tmp_path / "proj", server.url)
    submitted = cli("apply", "--auto-approve", "--no-wait", cwd=spec.parent)
    assert submitted.code == 0, submitted.stderr
    assert "run `specrun apply` again" in submitted.stdout or "5 ok" in submitted.stdout
    time.sleep(0.5)
    collected = cli("apply", "--auto-approve", "--poll-interval", "0.2", cwd=spec.parent)
    assert collected.code == 0
    assert (spec.parent / "results" / "greet.jsonl").exists()
    assert len(server.batches()) == 1


def test_saved_plan_applies_once_and_is_then_stale(tmp_path, cli, server):
    spec = write_project(tmp_path / "proj", server.url)
    saved = cli("plan", "--out", "tfplan.json", cwd=spec.parent)
    assert saved.code == 0 and "Saved the plan to tfplan.json" in saved.stdout
    applied = cli("apply", "tfplan.json", "--poll-interval", "0.2", cwd=spec.parent)  # no prompt, no TTY
    assert applied.code == 0, applied.stderr
    again = cli("apply", "tfplan.json", "-v", cwd=spec.parent)
    assert again.code == 1
    assert "Saved plan is stale" in again.stderr
    assert again.posts() == []
    assert len(server.batches()) == 1


def test_saved_plan_is_stale_when_inputs_change(tmp_path, cli, server):
    spec = write_project(tmp_path / "proj", server.url)
    assert cli("apply", "--auto-approve", "--poll-interval", "0.2", cwd=spec.parent).code == 0
    (spec.parent / "results" / "greet.jsonl").unlink()
    assert cli("plan", "--out", "p.json", cwd=spec.parent).code == 0
    with open(spec.parent / "data" / "people.csv", "a", encoding="utf-8") as handle:
        handle.write("99,late row\n")
    stale = cli("apply", "p.json", "-v", cwd=spec.parent)
    assert stale.code == 1
    assert "Saved plan is stale: the inputs of job 'greet' changed" in stale.stderr
    assert stale.posts() == []


def test_target_limits_the_plan(tmp_path, cli, server):
    spec = write_project(tmp_path / "proj", server.url, jobs=("greet", "thank"))
    plan = json.loads(cli("plan", "--json", "--target", "thank", cwd=spec.parent).stdout)
    assert [j["job"] for j in plan["jobs"]] == ["thank"]
    bad = cli("plan", "--target", "nope", cwd=spec.parent)
    assert bad.code == 1 and "--target 'nope': no such job" in bad.stderr


def test_apply_without_tty_or_auto_approve_refuses(tmp_path, cli, server):
    spec = write_project(tmp_path / "proj", server.url)
    result = cli("apply", cwd=spec.parent)
    assert result.code == 1
    assert "--auto-approve" in result.stderr and "specrun plan --out FILE" in result.stderr
    assert server.batches() == []


def test_unknown_model_fails_at_plan_time_before_upload(tmp_path, cli, server):
    spec = write_project(tmp_path / "proj", server.url)
    spec.write_text(spec.read_text().replace("Llama-3.1-8B-Instruct", "Llama-3.1-8B-Instrukt"))
    result = cli("apply", "--auto-approve", cwd=spec.parent)
    assert result.code == 1
    assert "model 'meta-llama/Llama-3.1-8B-Instrukt' is not active" in result.stderr
    assert "meta-llama/Llama-3.1-8B-Instruct" in result.stderr
    assert server.files() == []


def test_status_and_destroy(tmp_path, cli, server):
    spec = write_project(tmp_path / "proj", server.url)
    assert cli("apply", "--auto-approve", "--poll-interval", "0.2", cwd=spec.parent).code == 0
    status = cli("status", "--json", cwd=spec.parent)
    data = json.loads(status.stdout)
    assert data["jobs"][0]["batches"][0]["status"] == "completed"
    assert data["jobs"][0]["output"]["ok"] == 5
    refused = cli("destroy", cwd=spec.parent)
    assert refused.code == 1 and "--auto-approve" in refused.stderr
    destroyed = cli("destroy", "--auto-approve", cwd=spec.parent)
    assert destroyed.code == 0, destroyed.stderr
    assert "Destroy complete." in destroyed.stdout
    state = json.loads((spec.parent / ".specrun" / "state.json").read_text())
    assert state["jobs"] == {}
    assert (spec.parent / "results" / "greet.jsonl").exists()


def test_saved_plan_needs_the_same_vars(tmp_path, cli, server):
    spec = write_project(tmp_path / "proj", server.url, content="Say {{ vars.greeting }} to {{ row.name }}.")
    spec.write_text(spec.read_text().replace("defaults:", "vars:\n  greeting: hello\ndefaults:"))
    assert cli("plan", "--var", "greeting=hi", "--out", "p.json", cwd=spec.parent).code == 0
    refused = cli("apply", "p.json", cwd=spec.parent)
    assert refused.code == 1
    assert "it was made with --var greeting=hi; pass the same --var options" in refused.stderr
    applied = cli("apply", "p.json", "--var", "greeting=hi", "--poll-interval", "0.2", cwd=spec.parent)
    assert applied.code == 0, applied.stderr
    assert read_results(spec.parent / "results" / "greet.jsonl")[0]["content"] == "echo: Say hi to person 0."


def test_row_errors_fail_reruns_too_and_retry_errors_re_sends_only_them(tmp_path, cli, server):
    spec = write_project(tmp_path / "proj", server.url, rows=5, fail_rows=(1, 3))
    first = cli("apply", "--auto-approve", "--fail-on-row-errors", "--poll-interval", "0.2", cwd=spec.parent)
    assert first.code == 1 and "2 row(s) failed inside completed batches" in first.stderr
    again = cli("apply", "--auto-approve", "--fail-on-row-errors", cwd=spec.parent)
    assert again.code == 1, again.stdout  # nothing to do, but the results still hold the errors
    assert "the results are unchanged" in again.stderr

    plan = json.loads(cli("plan", "--json", "--retry-errors", cwd=spec.parent).stdout)
    job = plan["jobs"][0]
    assert job["action"] == "retry"
    assert job["reason"] == "2 row(s) failed inside completed batches; re-sending just those (--retry-errors)"
    retried = cli("apply", "--auto-approve", "--retry-errors", "--poll-interval", "0.2", cwd=spec.parent)
    assert retried.code == 0, retried.stderr
    batches = server.batches()
    assert len(batches) == 2
    assert sorted(b["request_counts"]["total"] for b in batches) == [2, 5]  # only the failed rows re-sent


def test_a_saved_plan_refuses_other_targets(tmp_path, cli, server):
    spec = write_project(tmp_path / "proj", server.url, jobs=("greet", "thank"))
    assert cli("plan", "--target", "greet", "--out", "p.json", cwd=spec.parent).code == 0
    refused = cli("apply", "p.json", "--target", "thank", "-v", cwd=spec.parent)
    assert refused.code == 1
    assert "a saved plan carries its own targets (greet)" in refused.stderr
    assert refused.posts() == []
