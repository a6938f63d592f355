"""Execute a Plan, step by step, saving state after every remote side effect.

The executor never decides *what* to do (the Plan says); it decides only *how*
to do each step safely:

- reconcile, then act: before uploading, look for the shard's file by name and
  size; before creating a batch, look for a live or completed batch on that file;
  adopt what exists;
- a creating POST whose answer was lost (``OutcomeUnknown``) is never retried
  blindly: the executor lists, adopts what the provider did, and only re-uploads
  a *file* (free, never billed) when the listing shows nothing — a batch is
  never created twice;
- state is saved right after every file upload, batch creation, cancellation
  and results write, so a crash at any point loses nothing.
"""

from __future__ import annotations

import importlib.util
import logging
import sys
import time
from collections.abc import Callable, Iterable
from pathlib import Path

from specrun._batch_status import is_dead
from specrun._crash import CRASH_ENV, crash_point
from specrun._parquet import PARQUET_EXTRA
from specrun.apply.finish import _Finishing, output_problem
from specrun.apply.submit import _Submitting
from specrun.apply.values import (
    ApplyOptions,
    ApplyReport,
    JobOutcome,
    ProgressSink,
)
from specrun.apply.wait import _is_terminal, _Waiting
from specrun.errors import ApplyError, BudgetExceeded, SpecrunError
from specrun.ledger import LEDGER_FILE, Ledger, LedgerStore
from specrun.plan import Action, JobPlan, Plan
from specrun.provider import Provider
from specrun.reconcile import ingest_job
from specrun.spec import Job, Spec
from specrun.state import (
    FileStateStore,
    JobState,
    ShardState,
    State,
    StateStore,
)

__all__ = ["Executor", "CRASH_ENV"]

log = logging.getLogger("specrun.apply")



class Executor(_Submitting, _Waiting, _Finishing):
    """Carries out one Plan against one provider, keeping the state file current."""

    def __init__(
        self,
        spec: Spec,
        state: State,
        store: StateStore | Path,
        client: Provider,
        *,
        build_dir: Path,
        downloads_dir: Path,
        options: ApplyOptions = ApplyOptions(),
        progress: ProgressSink | None = None,
        ledger: LedgerStore | None = None,
        echo: Callable[[str], None] = lambda line: print(line, file=sys.stderr),
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.spec = spec
        self.state = state
        # where every step saves the state (a path means the state file there)
        self.store: StateStore = FileStateStore(store) if isinstance(store, Path) else store
        self.client = client
        # the row ledger: beside the build folder, in the spec's home (unless given)
        self.ledger = ledger if ledger is not None else Ledger(build_dir.parent / LEDGER_FILE)
        self.build_dir = build_dir
        self.downloads_dir = downloads_dir
        self.options = options
        self.progress = progress or ProgressSink()
        self.echo = echo
        self.sleep = sleep
        self.clock = clock
        self._retried: set[str] = set()
        self._deferred_retry: set[str] = set()   # planned waits whose last round ended early
        self._retry_errors: dict[str, bool] = {}  # jobs whose retry also re-sends rows with errors
        self._sent: dict[str, tuple[set[str], int, int]] = {}

    # ----------------------------------------------------------------- driver

    def run(self, plan: Plan) -> ApplyReport:
        self._check_outputs(plan)
        report = ApplyReport()
        if plan.provider_changed or self.state.provider != plan.provider:
            if plan.provider_changed:  # the plan decided: batches on the old provider are unreachable
                self.state.jobs = {}
            self.state.provider = plan.provider
            self._save()
        # A job reading the results of a job this apply changes is planned once those are written.
        later = [job_plan for job_plan in plan.jobs if job_plan.to_send is None]
        active = [job_plan.job for job_plan in plan.jobs
                  if job_plan not in later and self._start(job_plan, report)]
        if not self.options.wait:
            self._report_submitted(plan, active, report)
            report.outcomes.extend(JobOutcome(job_plan.job, "submitted", message=(
                f"reads the results of job '{self.spec.jobs[job_plan.job].data.job}': run `specrun apply` again "
                "once they are written")) for job_plan in later)
            self._prune_build_dir()
            return report
        report.outcomes.extend(self._wait_and_finish(active))
        while later:
            # the next stage: jobs whose upstream jobs are done, planned now that their rows exist
            waiting = {job_plan.job for job_plan in later}
            stage = [job_plan.job for job_plan in later if self.spec.jobs[job_plan.job].data.job not in waiting]
            later = [job_plan for job_plan in later if job_plan.job not in stage]
            report.outcomes.extend(self._wait_and_finish(self._run_stage(stage, report)))
        self._prune_build_dir()
        return report

    def _run_stage(self, names: list[str], report: ApplyReport) -> list[str]:
        """Plan jobs whose upstream results are now written (the same make_plan as `specrun plan`) and
        start them; their budgets are checked before anything of them is sent."""
        from specrun.plan import budget_violations, make_plan

        the_plan, _ = make_plan(self.spec, self.state, self.client, provider=self.state.provider or "",
                                build_dir=self.build_dir, targets=names, ledger=self.ledger,
                                downloads_dir=self.downloads_dir, mid_run=True)
        violations = budget_violations(the_plan, self.spec)
        if violations:
            raise BudgetExceeded("over budget (nothing of " + ", ".join(names) + " was sent): "
                                 + "; ".join(violations))
        for job_plan in the_plan.jobs:
            self.echo(f"{job_plan.job}: {job_plan.action} ({job_plan.reason}); "
                      f"{job_plan.to_send or 0:,} to send, {job_plan.reused:,} from the ledger")
        return [job_plan.job for job_plan in the_plan.jobs if self._start(job_plan, report)]

    def _start(self, job_plan: JobPlan, report: ApplyReport) -> bool:
        """Do the first part of one job's plan (remove, submit, adopt); True when the job is to be waited for."""
        if job_plan.action == "remove":
            self._remove(job_plan)
            report.outcomes.append(JobOutcome(job_plan.job, "removed", message="forgotten; result files kept"))
            return False
        job = self.spec.jobs[job_plan.job]
        if job_plan.action == "noop":
            self._refresh_fingerprint(job_plan)
            report.outcomes.append(self._outcome_from_state(job_plan.job, "completed"))
            return False
        if job_plan.action in (Action.REPLACE, Action.UPDATE):
            # the new version's shards (kept running batches included) replace the old record;
            # what the old one's batches answered goes into the ledger first (a revert reuses it)
            self._cancel(job_plan.job, job_plan.cancel_batch_ids)
            self._keep_answers(job)
            self.state.jobs.pop(job_plan.job, None)
            self._save()
        if job_plan.retry_errors:
            self._retry_errors[job.name] = True
        if job_plan.action is Action.RETRY and not any(not s.batch_id for s in job_plan.shard_plans):
            # a retry the plan could not render (no new round in it): plan the job's round now
            self._adopt_into_state(job, job_plan)
            if self._next_round(job):
                return True
        if job_plan.action.submits:
            if job_plan.action is Action.RETRY:
                self._retried.add(job.name)
                new = [s for s in job_plan.shard_plans if not s.batch_id]
                what = "without an ok result" if job_plan.retry_errors else "without a result"
                self.echo(f"{job.name}: retrying {sum(s.requests for s in new):,} request(s) {what} in "
                          f"{len(new)} new batch(es)")
            self._submit_shards(job, job_plan)
        else:  # wait / download
            self._adopt_into_state(job, job_plan)
            if job_plan.action is Action.WAIT and any(s.status and is_dead(s.status) for s in job_plan.shard_plans):
                self._deferred_retry.add(job.name)
        return True

    def _report_submitted(self, plan: Plan, active: list[str], report: ApplyReport) -> None:
        """--no-wait: finish what is done already, say what still runs."""
        running = {name for name in active if any(s.is_live for s in self.state.jobs[name].shards)}
        for name in active:
            planned = next(j for j in plan.jobs if j.job == name)
            if name not in running and (planned.duplicates or planned.in_flight) and running - {name}:
                report.outcomes.append(JobOutcome(name, "submitted", message=(
                    "its answers come from batches of other jobs still running; run `specrun apply` again "
                    "to collect results")))
            elif name not in running and name not in self._deferred_retry:
                report.outcomes.append(self._finish(self.spec.jobs[name]))
            elif name in self._deferred_retry:
                report.outcomes.append(JobOutcome(name, "submitted", message=(
                    "the retry waits for batches still running; run `specrun apply` again to submit it and "
                    "collect results")))
            else:
                report.outcomes.append(JobOutcome(
                    name, "submitted", message="batches submitted; run `specrun apply` again to collect results"))

    def _keep_answers(self, job: Job) -> None:
        """Record in the ledger what the job's recorded batches answered, before the record goes."""
        old = self.state.jobs.get(job.name)
        if old is None:
            return
        try:
            ingest_job(self.ledger, self.client, self.state.provider, self.downloads_dir, self.spec, job, old)
        except SpecrunError as exc:  # best effort: the new version does not need them
            log.warning("%s: could not read the previous version's answers into the ledger: %s", job.name,
                        exc.message)

    def _prune_build_dir(self) -> None:
        """Delete rendered shards nothing needs any more: every file but those of shards not yet uploaded.

        A shard's file is needed only until the provider holds it; the job's own
        shards are re-rendered deterministically if ever needed again. Leftover temp
        files of crashed renders go too.
        """
        keep = {s.filename for job_state in self.state.jobs.values() for s in job_state.shards if not s.file_id}
        try:
            entries = list(self.build_dir.iterdir())
        except OSError:
            return
        for path in entries:
            if path.name in keep or not path.name.startswith((".specrun-", "specrun-")):
                continue
            try:
                if path.is_file():
                    path.unlink()
            except OSError:
                pass

    def _check_outputs(self, plan: Plan) -> None:
        """Every results file this plan will write can be written: checked before anything is paid for."""
        for job_plan in plan.jobs:
            job = self.spec.jobs.get(job_plan.job)
            if job is None or job_plan.action in ("remove", "noop"):
                continue
            problem = output_problem(job.output)
            if problem:
                raise ApplyError(f"job '{job.name}': cannot write its results to {job.output_display}: {problem}; "
                                 "nothing was sent. Fix `output:` in the spec")
            for path, shown in zip(job.exports, job.exports_display, strict=True):
                problem = output_problem(path) or (
                    f"it needs the parquet extra: {PARQUET_EXTRA}"
                    if path.suffix.lower() == ".parquet" and importlib.util.find_spec("pyarrow") is None else None)
                if problem:
                    raise ApplyError(f"job '{job.name}': cannot export its results to {shown}: {problem}; "
                                     "nothing was sent")

    # ----------------------------------------------------------------- steps

    def _save(self) -> None:
        self.store.save(self.state)

    def _crash_point(self, name: str) -> None:
        crash_point(name)  # test hook (specrun._crash)

    def _refresh_fingerprint(self, job_plan: JobPlan) -> None:
        job_state = self.state.jobs.get(job_plan.job)
        if job_state is not None and job_plan.fingerprint and job_state.fingerprint != job_plan.fingerprint:
            job_state.fingerprint = job_plan.fingerprint
            job_state.fingerprint_parts = dict(job_plan.fingerprint_parts)
            self._save()

    def _job_state_for(self, job: Job, job_plan: JobPlan) -> JobState:
        job_state = self.state.jobs.get(job.name)
        if job_state is None:
            job_state = JobState(input_sha256=job_plan.input_sha256 or "", fingerprint=job_plan.fingerprint or "",
                                 requests=job_plan.requests, model=job.model,
                                 fingerprint_parts=dict(job_plan.fingerprint_parts),
                                 estimated_input_tokens=job_plan.estimated_input_tokens,
                                 max_output_tokens=job_plan.max_output_tokens,
                                 context_length=job_plan.context_length, skipped=job_plan.skipped,
                                 token_counting=job_plan.token_counting)
            self.state.jobs[job.name] = job_state
        else:
            job_state.fingerprint = job_plan.fingerprint or job_state.fingerprint
            job_state.fingerprint_parts = dict(job_plan.fingerprint_parts) or job_state.fingerprint_parts
        return job_state

    def _adopt_into_state(self, job: Job, job_plan: JobPlan) -> JobState:
        """Record the plan's shards (adopted ones included) in state."""
        job_state = self._job_state_for(job, job_plan)
        by_key = {(s.generation, s.index): s for s in job_state.shards}
        for shard_plan in job_plan.shard_plans:
            shard = by_key.get((shard_plan.generation, shard_plan.index))
            if shard is None:
                shard = ShardState(index=shard_plan.index, filename=shard_plan.filename, sha256=shard_plan.sha256,
                                   bytes=shard_plan.bytes, requests=shard_plan.requests,
                                   generation=shard_plan.generation)
                job_state.shards.append(shard)
                by_key[(shard.generation, shard.index)] = shard
            shard.file_id = shard.file_id or shard_plan.file_id
            if shard_plan.batch_id and not shard.batch_id:
                shard.batch_id = shard_plan.batch_id
                shard.status = shard_plan.status
                shard.output_file_id = shard_plan.output_file_id
                shard.error_file_id = shard_plan.error_file_id
                shard.completed, shard.failed = shard_plan.completed, shard_plan.failed
                shard.total = shard_plan.total
        self._save()
        return job_state

    def _submit_shards(self, job: Job, job_plan: JobPlan) -> None:
        new = {s.filename for s in job_plan.shard_plans if not s.batch_id}
        names, tokens_in, tokens_out = self._sent.get(job.name, (set(), 0, 0))
        self._sent[job.name] = (names | new, tokens_in + job_plan.estimated_input_tokens,
                                tokens_out + job_plan.max_output_tokens)
        job_state = self._adopt_into_state(job, job_plan)
        self._submit(job, job_state, job_state.current_shards())

    def _cancel(self, job_name: str, batch_ids: Iterable[str]) -> None:
        """Cancel in-flight batches; a batch that could not be cancelled stays in state.

        A cancel refused because the batch already finished (e.g. 409) is fine: the
        batch is no longer running. Any other failure stops the job's step with an
        error, so the batch is never forgotten while it may still be billing.
        """
        failed: list[str] = []
        for batch_id in batch_ids:
            try:
                batch = self.client.cancel_batch(batch_id)
                self.echo(f"cancelled batch {batch_id}")
            except SpecrunError as exc:
                try:
                    batch = self.client.get_batch(batch_id)
                except SpecrunError:
                    batch = None
                if batch is None or not _is_terminal(batch):
                    failed.append(f"{batch_id} ({exc.message})")
                    continue
            for job_state in self.state.jobs.values():
                for shard in job_state.shards:
                    if shard.batch_id == batch_id:
                        self._update_shard(shard, batch)
            self._save()
        if failed:
            raise ApplyError(f"job '{job_name}': could not cancel batch {', '.join(failed)}; it is kept in "
                             "state. Run `specrun apply` again to retry, or cancel it with `specrun batches cancel`.")

    def _remove(self, job_plan: JobPlan) -> None:
        self._cancel(job_plan.job, job_plan.cancel_batch_ids)
        if self.state.jobs.pop(job_plan.job, None) is not None:
            self._save()
