"""Unit tests of the pure planner: every action and its reason, no network, no render."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from specrun.client import Batch, BatchStatus, FileObject, RequestCounts
from specrun.errors import PlanError, StalePlan
from specrun.plan import (
    JobInputs,
    ProviderView,
    ShardPlan,
    check_saved_plan,
    decide,
    fingerprint_of,
    fingerprint_parts,
    load_plan,
    save_plan,
)
from specrun.spec import DataSpec, Job, Message, ProviderConfig, Spec
from specrun.state import JobState, OutputState, ShardState, State

MODEL = "meta-llama/Llama-3.1-8B-Instruct"


def make_spec(tmp_path: Path, *names: str, model: str = MODEL, content: str = "Summarize {{ row.text }}") -> Spec:
    jobs = {}
    for name in names:
        jobs[name] = Job(
            name=name, model=model, messages=(Message("user", content),), params={"max_tokens": 16},
            data=DataSpec(rows=({"text": "a"}, {"text": "b"})), id_template="{{ job }}-{{ index }}",
            output=tmp_path / "results" / f"{name}.jsonl", output_display=f"results/{name}.jsonl",
        )
    return Spec(path=tmp_path / "specrun.yaml", base_dir=tmp_path, version=1,
                provider=ProviderConfig(kind="http", base_url="http://x/v1"), vars={}, jobs=jobs)


def inputs_for(spec: Spec, name: str, sha: str = "a" * 64) -> JobInputs:
    job = spec.jobs[name]
    parts = fingerprint_parts(spec, job)
    shard = ShardPlan(index=0, filename=f"specrun-{name}-{sha[:16]}.jsonl", sha256=sha, bytes=100, requests=2)
    return JobInputs(job, fingerprint_of(parts), parts, sha, 2, (shard,), True)


def refreshed_inputs(spec: Spec, name: str, state: State) -> JobInputs:
    """inputs_for, plus what refresh reads of the recorded results file (decide reads no file)."""
    from dataclasses import replace

    from specrun.plan import results_on_disk

    return replace(inputs_for(spec, name), results=results_on_disk(spec.jobs[name], state.jobs[name].output))


def batch(batch_id: str, status: str, *, file_id: str = "file-1", completed: int = 0, total: int = 2,
          created_at: int = 1) -> Batch:
    return Batch(id=batch_id, status=BatchStatus(status), input_file_id=file_id,
                 request_counts=RequestCounts(total=total, completed=completed, failed=0), created_at=created_at)


def state_with(spec: Spec, name: str, *, status: str, sha: str = "a" * 64, output: OutputState | None = None,
               completed: int = 0, total: int = 2) -> State:
    item = inputs_for(spec, name, sha)
    shard = ShardState(index=0, filename=item.shards[0].filename, sha256=sha, bytes=100, requests=2,
                       file_id="file-1", batch_id="batch_1", status=status, completed=completed, total=total)
    job_state = JobState(input_sha256=sha, fingerprint=item.fingerprint, requests=2, model=MODEL,
                         fingerprint_parts=dict(item.fingerprint_parts), shards=[shard], output=output)
    return State(provider="http://x/v1", jobs={name: job_state}, serial=3)


def test_new_job_is_create(tmp_path):
    spec = make_spec(tmp_path, "a")
    plan = decide(spec, [inputs_for(spec, "a")], None, ProviderView(refreshed=True), provider="http://x/v1")
    assert [(j.action, j.reason) for j in plan.jobs] == [("create", "job not in state")]
    assert plan.summary_line() == "Plan: 1 to create, 0 to replace, 0 to retry, 0 to remove, 0 unchanged."
    assert plan.to_json()["summary"]["create"] == 1


def test_new_job_adopts_completed_batch_found_by_file_name(tmp_path):
    spec = make_spec(tmp_path, "a")
    item = inputs_for(spec, "a")
    view = ProviderView(refreshed=True,
                        files_by_name={item.shards[0].filename: [FileObject(id="file-9", bytes=100)]},
                        batches_by_file={"file-9": [batch("batch_old", "failed", file_id="file-9"),
                                                    batch("batch_9", "completed", file_id="file-9", completed=2)]})
    plan = decide(spec, [item], None, view, provider="http://x/v1")
    job = plan.jobs[0]
    assert job.action == "download"
    assert "adopted" in job.reason
    assert job.batch_ids == ("batch_9",)
    assert job.shard_plans[0].file_id == "file-9"


def test_file_of_other_size_is_not_adopted(tmp_path):
    spec = make_spec(tmp_path, "a")
    item = inputs_for(spec, "a")
    view = ProviderView(refreshed=True, files_by_name={item.shards[0].filename: [FileObject(id="f", bytes=99)]})
    plan = decide(spec, [item], None, view, provider="http://x/v1")
    assert plan.jobs[0].action == "create"
    assert plan.jobs[0].shard_plans[0].file_id is None


def test_changed_template_is_replace_naming_the_message(tmp_path):
    old_spec = make_spec(tmp_path, "a")
    state = state_with(old_spec, "a", status="in_progress")
    new_spec = make_spec(tmp_path, "a", content="Summarize briefly {{ row.text }}")
    item = inputs_for(new_spec, "a", sha="b" * 64)
    view = ProviderView(refreshed=True, batches={"batch_1": batch("batch_1", "in_progress")})
    plan = decide(new_spec, [item], state, view, provider="http://x/v1")
    job = plan.jobs[0]
    assert job.action == "replace"
    assert job.reason.startswith("requests changed: messages[0] template edited")
    assert job.cancel_batch_ids == ("batch_1",)
    assert job.symbol == "-/+"


def test_in_flight_is_wait(tmp_path):
    spec = make_spec(tmp_path, "a")
    state = state_with(spec, "a", status="validating")
    view = ProviderView(refreshed=True, batches={"batch_1": batch("batch_1", "in_progress", completed=1)})
    plan = decide(spec, [inputs_for(spec, "a")], state, view, provider="http://x/v1")
    assert (plan.jobs[0].action, plan.jobs[0].reason) == ("wait", "1 batch in_progress")


@pytest.mark.parametrize("status", ["expired", "cancelled", "failed"])
def test_drift_is_retry_with_counts(tmp_path, status):
    spec = make_spec(tmp_path, "a")
    state = state_with(spec, "a", status="in_progress", completed=812, total=1000)
    state.jobs["a"].shards[0].status = status
    view = ProviderView(refreshed=True, batches={})
    plan = decide(spec, [inputs_for(spec, "a")], state, view, provider="http://x/v1")
    assert plan.jobs[0].action == "retry"
    assert plan.jobs[0].reason.startswith(f"batch batch_1 {status} with 812/1000 done")


def test_completed_without_results_is_download_then_noop(tmp_path):
    spec = make_spec(tmp_path, "a")
    state = state_with(spec, "a", status="completed")
    plan = decide(spec, [inputs_for(spec, "a")], state, ProviderView(refreshed=True), provider="http://x/v1")
    assert (plan.jobs[0].action, plan.jobs[0].reason) == ("download", "batches completed; results not downloaded yet")

    out = tmp_path / "results" / "a.jsonl"
    out.parent.mkdir()
    out.write_bytes(b'{"x":1}\n')
    sha = hashlib.sha256(out.read_bytes()).hexdigest()
    state.jobs["a"].output = OutputState(path="results/a.jsonl", sha256=sha, ok=2)
    plan = decide(spec, [refreshed_inputs(spec, "a", state)], state, ProviderView(refreshed=True), provider="http://x/v1")
    assert (plan.jobs[0].action, plan.jobs[0].reason) == ("noop", "up to date")
    assert not plan.has_changes
    assert plan.summary_line() == "No changes. Results are up to date."

    out.write_bytes(b'{"x":2}\n')
    plan = decide(spec, [refreshed_inputs(spec, "a", state)], state, ProviderView(refreshed=True), provider="http://x/v1")
    assert plan.jobs[0].reason == "results file results/a.jsonl changed on disk"
    out.unlink()
    plan = decide(spec, [refreshed_inputs(spec, "a", state)], state, ProviderView(refreshed=True), provider="http://x/v1")
    assert plan.jobs[0].reason == "results file results/a.jsonl missing"


def test_job_gone_from_spec_is_remove_with_cancel(tmp_path):
    spec = make_spec(tmp_path, "a")
    state = state_with(spec, "a", status="in_progress")
    empty = make_spec(tmp_path)
    view = ProviderView(refreshed=True, batches={"batch_1": batch("batch_1", "in_progress")})
    plan = decide(empty, [], state, view, provider="http://x/v1")
    job = plan.jobs[0]
    assert (job.action, job.cancel_batch_ids) == ("remove", ("batch_1",))
    assert job.reason == "job no longer in the spec; cancel 1 in-flight batch"
    # --target of another job leaves it alone
    assert decide(empty, [], state, view, provider="http://x/v1", targets=["b"]).jobs == ()


def test_unknown_model_is_a_plan_error_with_closest_names(tmp_path):
    spec = make_spec(tmp_path, "a", model="meta-llama/Llama-3.1-8B-Instruc")
    view = ProviderView(refreshed=True, active_models=[MODEL, "Qwen/Qwen2.5-7B-Instruct"])
    with pytest.raises(PlanError) as info:
        decide(spec, [inputs_for(spec, "a")], None, view, provider="http://x/v1")
    assert "model 'meta-llama/Llama-3.1-8B-Instruc' is not active" in info.value.message
    assert MODEL in info.value.message


def test_provider_change_is_said_and_old_batches_ignored(tmp_path):
    spec = make_spec(tmp_path, "a")
    state = state_with(spec, "a", status="completed")
    plan = decide(spec, [inputs_for(spec, "a")], state, ProviderView(refreshed=True), provider="http://y/v1")
    assert "state was made against provider http://x/v1, now http://y/v1" in plan.warnings[0]
    assert plan.jobs[0].action == "create"


def test_saved_plan_round_trip_and_staleness(tmp_path):
    spec = make_spec(tmp_path, "a")
    state = state_with(spec, "a", status="completed")
    plan = decide(spec, [inputs_for(spec, "a")], state, ProviderView(refreshed=True), provider="http://x/v1")
    path = tmp_path / "plan.json"
    save_plan(path, plan, spec=spec, var_overrides={}, targets=())
    loaded, _ = load_plan(path)
    assert loaded.to_json() == plan.to_json()
    check_saved_plan(loaded, spec, state, provider="http://x/v1")  # fresh: no error
    state.serial += 1
    with pytest.raises(StalePlan, match="Saved plan is stale: state serial moved from 3 to 4"):
        check_saved_plan(loaded, spec, state, provider="http://x/v1")
    state.serial -= 1
    edited = make_spec(tmp_path, "a", content="other {{ row.text }}")
    with pytest.raises(StalePlan, match="inputs of job 'a' changed"):
        check_saved_plan(loaded, edited, state, provider="http://x/v1")


def test_plan_made_without_state_is_stale_once_state_exists(tmp_path):
    spec = make_spec(tmp_path, "a")
    plan = decide(spec, [inputs_for(spec, "a")], None, ProviderView(refreshed=True), provider="http://x/v1")
    check_saved_plan(plan, spec, None, provider="http://x/v1")
    with pytest.raises(StalePlan, match="made before any state existed"):
        check_saved_plan(plan, spec, State(provider="http://x/v1"), provider="http://x/v1")


def test_output_path_is_not_part_of_the_fingerprint(tmp_path):
    spec = make_spec(tmp_path, "a")
    job = spec.jobs["a"]
    moved = Job(**{**job.__dict__, "output": tmp_path / "elsewhere.jsonl", "output_display": "elsewhere.jsonl"})
    assert fingerprint_parts(spec, job) == fingerprint_parts(spec, moved)


def test_retry_prices_only_the_missing_requests_and_says_what_is_reused(tmp_path):
    from specrun.client import ModelConfig
    from specrun.plan import price

    spec = make_spec(tmp_path, "a")
    state = state_with(spec, "a", status="expired", completed=1, total=2)
    state.jobs["a"].output = OutputState(path="results/a.jsonl", sha256="x", ok=1, error=1, unanswered=1,
                                         prompt_tokens=1_000_000, completion_tokens=0)
    item = inputs_for(spec, "a")
    item = JobInputs(item.job, item.fingerprint, item.fingerprint_parts, item.input_sha256, 2, item.shards, True,
                     estimated_input_tokens=2_000_000, max_output_tokens=0)
    view = ProviderView(refreshed=True, models={MODEL: ModelConfig(id=MODEL, input_price_cents=10,
                                                                   output_price_cents=20)})
    plan = price(decide(spec, [item], state, view, provider="http://x/v1"), spec, [item], state, view)
    job = plan.jobs[0]
    assert job.action == "retry"
    assert job.reused_requests == 1
    assert job.estimated_input_tokens == 1_000_000           # half the job is re-sent
    assert job.estimated_cost.max_usd == pytest.approx(0.10)  # 1M tokens x 10 cents/M = 10 cents
    assert job.spent_usd == pytest.approx(0.10)
    assert job.to_json()["reused_requests"] == 1


def test_a_dead_last_round_with_every_request_answered_is_not_retried(tmp_path):
    spec = make_spec(tmp_path, "a")
    state = state_with(spec, "a", status="expired", completed=1, total=2)
    out = tmp_path / "results" / "a.jsonl"
    out.parent.mkdir()
    out.write_bytes(b"{}\n{}\n")
    sha = hashlib.sha256(out.read_bytes()).hexdigest()
    # one ok row and one row-level error: both answered, nothing is missing
    state.jobs["a"].output = OutputState(path="results/a.jsonl", sha256=sha, ok=1, error=1, unanswered=0)
    plan = decide(spec, [inputs_for(spec, "a")], state, ProviderView(refreshed=True), provider="http://x/v1")
    assert (plan.jobs[0].action, plan.jobs[0].reason) == ("noop", "up to date")
    state.jobs["a"].output.unanswered = 1
    plan = decide(spec, [inputs_for(spec, "a")], state, ProviderView(refreshed=True), provider="http://x/v1")
    assert plan.jobs[0].action == "retry"


def test_decide_reads_no_file_and_no_network(tmp_path, monkeypatch):
    import builtins
    import io
    import os
    import socket

    spec = make_spec(tmp_path, "a")
    out = tmp_path / "results" / "a.jsonl"
    out.parent.mkdir()
    out.write_bytes(b'{"x":1}\n')
    state = state_with(spec, "a", status="completed")
    state.jobs["a"].output = OutputState(path="results/a.jsonl", sha256="0" * 64, ok=2)
    inputs = [refreshed_inputs(spec, "a", state)]  # refresh: the one step that may read

    def refuse(*args, **kwargs):
        raise AssertionError("decide did I/O")

    for target, name in ((builtins, "open"), (io, "open"), (os, "stat"), (os, "open"), (socket, "socket"),
                         (socket, "create_connection")):
        monkeypatch.setattr(target, name, refuse)
    plan = decide(spec, inputs, state, ProviderView(refreshed=True), provider="http://x/v1")
    monkeypatch.undo()
    assert (plan.jobs[0].action, plan.jobs[0].reason) == ("download", "results file results/a.jsonl changed on disk")


def test_a_listed_file_under_the_retry_prefix_that_specrun_never_names_is_ignored(tmp_path):
    # State lost; the provider lists, under this job's retry prefix, a file whose name does not
    # parse as a retry round (someone else's upload, or a hostile provider): not adopted, no crash.
    spec = make_spec(tmp_path, "a")
    item = inputs_for(spec, "a")
    prefix = f"specrun-a-{item.input_sha256[:16]}-retry"
    good = f"{prefix}1-{'b' * 16}.jsonl"
    view = ProviderView(refreshed=True,
                        files_by_name={item.shards[0].filename: [FileObject(id="file-9", bytes=100)]},
                        batches_by_file={"file-9": [batch("batch_9", "completed", file_id="file-9", completed=2)],
                                         "file-r": [batch("batch_r", "completed", file_id="file-r", completed=1,
                                                          total=1)]},
                        retry_files={"a": [FileObject(id="file-x", filename=f"{prefix}X-not-hex.jsonl"),
                                           FileObject(id="file-y", filename=f"{prefix}-evil"),
                                           FileObject(id="file-r", filename=good)]})
    plan = decide(spec, [item], None, view, provider="http://x/v1")
    [job] = plan.jobs
    assert {s.filename for s in job.shard_plans} == {item.shards[0].filename, good}


# --------------------------------------------------------------------------- prices written in the spec


def priced_inputs(spec: Spec, name: str) -> JobInputs:
    from dataclasses import replace

    return replace(inputs_for(spec, name), to_send=2, estimated_input_tokens=1_000_000, max_output_tokens=500_000)


def test_prices_in_the_spec_price_a_plan_the_provider_does_not(tmp_path):
    from dataclasses import replace

    from specrun.plan import price

    spec = replace(make_spec(tmp_path, "a"), prices={MODEL: (0.10, 0.40)})  # USD per million tokens
    item = priced_inputs(spec, "a")
    view = ProviderView(refreshed=True)  # the provider publishes no prices
    plan = price(decide(spec, [item], None, view, provider="http://x/v1"), spec, [item], None, view)
    cost = plan.jobs[0].estimated_cost
    assert cost is not None
    assert (cost.min_usd, cost.max_usd) == (pytest.approx(0.10), pytest.approx(0.10 + 0.20))


def test_a_budget_without_known_prices_is_an_error_at_plan(tmp_path):
    from dataclasses import replace

    from specrun.plan import price

    spec = replace(make_spec(tmp_path, "a"), budget_max_cost_usd=5.0)
    item = priced_inputs(spec, "a")
    view = ProviderView(refreshed=True)
    with pytest.raises(PlanError, match=r"a budget is set, but no prices are known for .*prices: \{"):
        price(decide(spec, [item], None, view, provider="http://x/v1"), spec, [item], None, view)
    # offline (--no-refresh), the provider was not asked: a warning, not an error
    offline = ProviderView()
    plan = price(decide(spec, [item], None, offline, provider="http://x/v1"), spec, [item], None, offline)
    assert any("cannot be checked" in warning for warning in plan.warnings)
    # with prices written in the spec, the budget is checked
    spec = replace(spec, prices={MODEL: (0.10, 0.40)}, budget_max_cost_usd=0.25)
    plan = price(decide(spec, [item], None, view, provider="http://x/v1"), spec, [item], None, view)
    assert plan.budget_violations and "over budget.max_cost_usd" in plan.budget_violations[0]
