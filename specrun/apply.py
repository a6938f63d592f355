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

import hashlib
import logging
import os
import signal
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping, Sequence

from specrun._batch_status import is_live
from specrun.errors import ApplyError, OutcomeUnknown, SpecrunError
from specrun.plan import JobPlan, Plan
from specrun.results import is_answer, join_rows, load_results, write_results
from specrun.spec import Job, Spec
from specrun.state import (
    JobState,
    OutputState,
    ShardState,
    State,
    batch_status,
    file_stat,
    newest_usable_batch,
    save_state,
)
from specrun.provider import Provider

__all__ = ["ApplyOptions", "JobOutcome", "ApplyReport", "Executor", "ApplyInterrupted", "ProgressSink"]

log = logging.getLogger("specrun.apply")

#: Test hook: ``SPECRUN_CRASH_AT=after-upload|after-create`` SIGKILLs the process at
#: that point (after the remote effect, before the state write) to prove recovery.
CRASH_ENV = "SPECRUN_CRASH_AT"


class ApplyInterrupted(SpecrunError):
    """Ctrl-C while waiting: state saved, batches keep running."""

    exit_code = 130


@dataclass(frozen=True)
class ApplyOptions:
    wait: bool = True
    poll_interval: float = 30.0       # cap of the adaptive polling interval
    timeout: float | None = None      # give up waiting after this many seconds
    fail_on_row_errors: bool = False
    auto_retry_expired: bool = True   # one automatic retry of batches expiring during this apply


@dataclass
class JobOutcome:
    job: str
    status: str                       # completed | failed | expired | cancelled | submitted | removed | timeout
    ok: int = 0
    error: int = 0
    skipped: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    output: str | None = None
    message: str = ""


@dataclass
class ApplyReport:
    outcomes: list[JobOutcome] = field(default_factory=list)

    @property
    def failed_jobs(self) -> list[JobOutcome]:
        return [o for o in self.outcomes if o.status in ("failed", "expired", "cancelled", "timeout", "incomplete")]

    @property
    def row_errors(self) -> int:
        return sum(o.error for o in self.outcomes)


class Executor:
    """Carries out one Plan against one provider, keeping the state file current."""

    def __init__(
        self,
        spec: Spec,
        state: State,
        state_path: Path,
        client: Provider,
        *,
        build_dir: Path,
        downloads_dir: Path,
        options: ApplyOptions = ApplyOptions(),
        progress: "ProgressSink | None" = None,
        echo: Callable[[str], None] = lambda line: print(line, file=sys.stderr),
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.spec = spec
        self.state = state
        self.state_path = state_path
        self.client = client
        self.build_dir = build_dir
        self.downloads_dir = downloads_dir
        self.options = options
        self.progress = progress or ProgressSink()
        self.echo = echo
        self.sleep = sleep
        self.clock = clock
        self._retried: set[str] = set()
        self._deferred_retry: set[str] = set()   # planned retries waiting for live shards
        self._retry_errors: dict[str, bool] = {}  # jobs whose retry also re-sends rows with errors

    # ----------------------------------------------------------------- driver

    def run(self, plan: Plan) -> ApplyReport:
        self._check_outputs(plan)
        report = ApplyReport()
        if self.state.provider != plan.provider:
            # Batches on another provider are unreachable from here: start afresh.
            self.state.provider = plan.provider
            self.state.jobs = {}
            self._save()
        active: list[str] = []
        for job_plan in plan.jobs:
            if job_plan.action == "remove":
                self._remove(job_plan)
                report.outcomes.append(JobOutcome(job_plan.job, "removed", message="forgotten; result files kept"))
                continue
            job = self.spec.jobs[job_plan.job]
            if job_plan.action == "noop":
                self._refresh_fingerprint(job_plan)
                outcome = self._outcome_from_state(job_plan.job, "completed")
                report.outcomes.append(outcome)
                continue
            if job_plan.action == "replace":
                self._cancel(job_plan.job, job_plan.cancel_batch_ids)
                self.state.jobs.pop(job_plan.job, None)
                self._save()
            if job_plan.action in ("create", "replace"):
                self._submit_shards(job, job_plan)
            elif job_plan.action == "retry":
                self._retry(job, job_plan)
            else:  # wait / download
                self._adopt_provider_rounds(job, self._adopt_into_state(job, job_plan))
            active.append(job_plan.job)
        if not self.options.wait:
            for name in active:
                job_state = self.state.jobs[name]
                if not any(s.is_live for s in job_state.shards) and name not in self._deferred_retry:
                    report.outcomes.append(self._finish(self.spec.jobs[name]))
                elif name in self._deferred_retry:
                    report.outcomes.append(JobOutcome(name, "submitted", message=
                                                      "the retry waits for batches still running; run `specrun "
                                                      "apply` again to submit it and collect results"))
                else:
                    report.outcomes.append(JobOutcome(name, "submitted", message=
                                                      "batches submitted; run `specrun apply` again to collect results"))
            self._prune_build_dir()
            return report
        finished = self._wait_and_finish(active)
        report.outcomes.extend(finished)
        self._prune_build_dir()
        return report

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

    # ----------------------------------------------------------------- steps

    def _save(self) -> None:
        save_state(self.state_path, self.state)

    def _crash_point(self, name: str) -> None:
        if os.environ.get(CRASH_ENV) == name:  # test hook, see CRASH_ENV
            os.kill(os.getpid(), signal.SIGKILL)

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
        job_state = self._adopt_into_state(job, job_plan)
        self._submit(job, job_state, job_state.current_shards())

    def _submit(self, job: Job, job_state: JobState, shards: list[ShardState]) -> None:
        """Upload and create what is missing, after one fresh look at the provider.

        The look (one listing of files, one of batches, for all shards at once) is
        taken right before acting, under the state lock: whatever an earlier, crashed
        or concurrent run left on the provider is adopted, never duplicated.
        """
        pending = [s for s in shards if not s.batch_id]
        if not pending:
            return
        lost = [s for s in pending if s.generation > 0 and not s.file_id
                and not (self.build_dir / s.filename).exists()]
        if lost:
            # A retry round recorded but never uploaded, its file since deleted: drop it
            # and work out the retry again from the results (it is deterministic).
            job_state.shards = [s for s in job_state.shards if s not in lost]
            self._save()
            self._retried.discard(job.name)
            self._retry(job, _retry_plan_for(job.name, job_state,
                                             errors=self._retry_errors.get(job.name, False)))
            return
        files = self.client.files_by_name({s.filename for s in pending if not s.file_id})
        known_files = {s.file_id for s in pending if s.file_id}
        for shard in pending:
            if not shard.file_id:
                match = [f for f in files.get(shard.filename, ()) if f.bytes in (None, shard.bytes)]
                if match:
                    shard.file_id = match[0].id
                    known_files.add(shard.file_id)
                    log.info("adopted file %s for %s", shard.file_id, shard.filename)
        if known_files:
            self._save()
        batches = self.client.batches_by_input_file(known_files)
        for shard in pending:
            batch = newest_usable_batch(batches.get(shard.file_id, ())) if shard.file_id else None
            if batch is not None:
                shard.batch_id = batch.id
                self._update_shard(shard, batch)
                self._save()
                log.info("adopted batch %s for %s", batch.id, shard.filename)
                continue
            fresh = self._ensure_file(job, job_state, shard)
            self._ensure_batch(job, shard, listed=fresh or shard.file_id in known_files)

    def _shard_path(self, job: Job, job_state: JobState, shard: ShardState) -> Path:
        """The shard's request file on disk, re-rendered (deterministically) if missing."""
        from specrun.render import render_job
        from specrun.results import file_sha256

        path = self.build_dir / shard.filename
        if path.exists() and file_sha256(path) == shard.sha256:
            return path
        if shard.generation > 0:
            raise ApplyError(f"job '{job.name}': retry file {shard.filename} is missing from {self.build_dir}; "
                             "run `specrun apply` again to re-plan the retry")
        rendered = render_job(self.spec, job, self.build_dir, context_length=job_state.context_length)
        if rendered.input_sha256 != job_state.input_sha256:
            raise ApplyError(f"job '{job.name}': its inputs changed while applying; run `specrun plan` again")
        if not path.exists():
            raise ApplyError(f"job '{job.name}': rendering did not produce {shard.filename}")
        return path

    def _ensure_file(self, job: Job, job_state: JobState, shard: ShardState) -> bool:
        """Upload the shard unless it has a file; True when this call uploaded it just now."""
        if shard.file_id or shard.batch_id:
            return False
        path = self._shard_path(job, job_state, shard)
        fresh = True
        for attempt in range(1, 4):
            try:
                uploaded = self.client.upload_file(path, filename=shard.filename)
                break
            except OutcomeUnknown:
                found = self.client.find_files(shard.filename, size=shard.bytes)
                if found:
                    uploaded, fresh = found[0], False
                    break
                if attempt == 3:
                    raise
                # A file is free and never billed: uploading it again is safe.
        shard.file_id = uploaded.id
        self._crash_point("after-upload")
        self._save()
        return fresh

    def _ensure_batch(self, job: Job, shard: ShardState, *, listed: bool = False) -> None:
        """Create the shard's batch unless one exists on its file.

        ``listed``: the file's batches were listed a moment ago (none live), or the
        file was uploaded by this run a moment ago (a new id nobody else knows, so
        it cannot have a batch yet). Any other file is looked up first.
        """
        if shard.batch_id:
            return
        assert shard.file_id is not None
        batch = None if listed else self._find_batch(shard.file_id)
        if batch is None:
            try:
                batch = self.client.create_batch(shard.file_id)
            except OutcomeUnknown as exc:
                # Listings can lag a moment behind a create: look a few times, never re-POST.
                for pause in (0.0, 1.0, 2.0):
                    self.sleep(pause)
                    batch = self._find_batch(shard.file_id)
                    if batch is not None:
                        break
                if batch is None:
                    raise ApplyError(
                        f"job '{job.name}': the answer to creating a batch for {shard.filename} was lost "
                        f"({exc.message}) and no batch on file {shard.file_id} is listed. Nothing was retried, "
                        "to avoid paying twice; run `specrun apply` again to reconcile."
                    ) from exc
                log.info("adopted batch %s after a lost answer", batch.id)
        self._crash_point("after-create")
        shard.batch_id = batch.id
        self._update_shard(shard, batch)
        self._save()

    def _find_batch(self, file_id: str) -> Any:
        return newest_usable_batch(self.client.find_batches(file_id))

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

    def _adopt_provider_rounds(self, job: Job, job_state: JobState) -> None:
        """Record retry rounds of this job version that the provider holds but the state does not.

        A state restored from a backup (or a second checkout) can be behind the
        provider: later rounds already answered some requests. Adopting them first
        means their results are joined and their requests are never paid for twice.
        """
        from specrun.plan import parse_retry_filename
        from specrun.render import retry_prefix

        known = {s.file_id for s in job_state.shards if s.file_id} | {s.filename for s in job_state.shards}
        files = [f for f in self.client.files_with_prefix(retry_prefix(job.name, job_state.input_sha256))
                 if f.id not in known and f.filename not in known]
        if not files:
            return
        batches = self.client.batches_by_input_file({f.id for f in files})
        adopted = 0
        for f in sorted(files, key=lambda f: f.filename or ""):
            parsed = parse_retry_filename(f.filename or "")
            on_file = [b for b in batches.get(f.id, ()) if batch_status(b) != "failed"]
            if parsed is None or not on_file:
                continue
            batch = max(on_file, key=lambda b: b.created_at or 0)
            generation, sha16 = parsed
            index = sum(1 for s in job_state.shards if s.generation == generation)
            shard = ShardState(index=index, filename=f.filename or "", sha256=sha16, bytes=f.bytes or 0,
                               requests=batch.request_counts.total, generation=generation, file_id=f.id,
                               batch_id=batch.id)
            self._update_shard(shard, batch)
            job_state.shards.append(shard)
            known |= {f.id, f.filename}
            adopted += 1
        if adopted:
            self._save()
            self.echo(f"{job.name}: adopted {adopted} retry batch(es) the state did not know of")

    def _retry(self, job: Job, job_plan: JobPlan) -> bool:
        """Submit a new generation holding only the requests without a result (with --retry-errors: without an ok one).

        While other shards of the job are still running, their requests have no
        result yet: the retry waits for them (the wait phase submits it), so it never
        re-sends a request that is still being worked on.
        """
        from specrun.render import iter_requests, render_job, retry_filename

        job_state = self._adopt_into_state(job, job_plan)
        self._adopt_provider_rounds(job, job_state)
        for shard in job_state.shards:
            if shard.batch_id and not shard.is_dead and not shard.is_completed:
                self._update_shard(shard, self.client.get_batch(shard.batch_id))
        self._save()
        if job_plan.retry_errors:
            self._retry_errors[job.name] = True
        if any(s.is_live for s in job_state.shards):
            self._deferred_retry.add(job.name)
            return False
        results = load_results(path for _, path in self._download_outputs(job_state))
        # DESIGN §4: a retry is for the requests that have no result; rows that failed
        # inside a completed batch are re-sent only when asked (--retry-errors).
        with_errors = self._retry_errors.get(job.name, False)
        missing = [r.custom_id for r in iter_requests(self.spec, job, context_length=job_state.context_length)
                   if r.skip_reason is None and (not is_answer(res := results.get(r.custom_id))
                                                 or (with_errors and res.status != "ok"))]
        self._retried.add(job.name)
        if not missing:
            return False
        generation = job_state.generation + 1
        rendered = render_job(self.spec, job, self.build_dir, only_custom_ids=missing,
                              context_length=job_state.context_length)
        for shard in rendered.shards:
            filename = retry_filename(job.name, job_state.input_sha256, generation, shard.sha256)
            os.replace(shard.path, self.build_dir / filename)
            job_state.shards.append(ShardState(index=shard.index, filename=filename, sha256=shard.sha256,
                                               bytes=shard.bytes, requests=shard.requests, generation=generation))
        self._save()
        what = "without an ok result" if with_errors else "without a result"
        self.echo(f"{job.name}: retrying {len(missing)} request(s) {what} in {len(rendered.shards)} new batch(es)")
        self._submit(job, job_state, job_state.current_shards())
        return True

    # ----------------------------------------------------------------- waiting

    def _update_shard(self, shard: ShardState, batch: Any) -> bool:
        before = (shard.status, shard.completed, shard.failed)
        shard.status = batch_status(batch)
        shard.output_file_id = batch.output_file_id or shard.output_file_id
        shard.error_file_id = batch.error_file_id or shard.error_file_id
        counts = batch.request_counts
        shard.completed, shard.failed, shard.total = counts.completed, counts.failed, counts.total
        return before != (shard.status, shard.completed, shard.failed)

    def _wait_and_finish(self, names: Sequence[str]) -> list[JobOutcome]:
        outcomes: dict[str, JobOutcome] = {}
        pending = list(names)
        started = self.clock()
        while pending:
            self._poll(pending, started)
            next_round: list[str] = []
            for name in pending:
                job = self.spec.jobs[name]
                job_state = self.state.jobs[name]
                current = job_state.current_shards()
                if name in self._deferred_retry and not any(s.is_live for s in job_state.shards):
                    self._deferred_retry.discard(name)
                    if self._retry(job, _retry_plan_for(name, job_state, errors=self._retry_errors.get(name, False))):
                        next_round.append(name)
                        continue
                expired = [s for s in current if s.status == "expired"]
                if (expired and self.options.auto_retry_expired and name not in self._retried
                        and all(not s.is_live for s in current)):
                    self.echo(f"{name}: batch {expired[0].batch_id} expired; retrying the requests without a result")
                    self._retry(job, _retry_plan_for(name, job_state))
                    next_round.append(name)
                    continue
                outcomes[name] = self._finish(job)
            pending = next_round
        return [outcomes[name] for name in names]

    def _poll(self, names: Sequence[str], started: float) -> None:
        """Poll every in-flight shard of every job in one loop until all are terminal."""
        interval = min(1.0, self.options.poll_interval)
        try:
            while True:
                changed = False
                # every round, not just the newest: a state restored from a backup may
                # know an older round only as in flight
                live = [(name, s) for name in names for s in self.state.jobs[name].shards if s.is_live
                        or (s.batch_id and s.status is None)]
                for _, shard in live:
                    changed |= self._update_shard(shard, self.client.get_batch(shard.batch_id))
                if changed:
                    self._save()
                self.progress.update(self._progress_rows(names), self.clock() - started)
                if not any(s.is_live for name in names for s in self.state.jobs[name].shards):
                    break
                if self.options.timeout is not None and self.clock() - started >= self.options.timeout:
                    self.progress.close()
                    raise ApplyError(
                        f"timed out after {self.options.timeout:g}s waiting for batches; state is saved and the "
                        "batches keep running. Run `specrun apply` again to resume waiting."
                    )
                self.sleep(interval)
                interval = min(interval * 1.5, self.options.poll_interval)
        except KeyboardInterrupt:
            self._save()
            self.progress.close()
            raise ApplyInterrupted(
                "stopped waiting (Ctrl-C). State is saved and the batches keep running on the provider; "
                "run `specrun apply` again to resume."
            ) from None
        self.progress.close()

    def _progress_rows(self, names: Sequence[str]) -> list[tuple[str, str, int, int, int]]:
        rows = []
        for name in names:
            shards = self.state.jobs[name].current_shards()
            statuses = sorted({s.status or "submitted" for s in shards})
            rows.append((name, "/".join(statuses), sum(s.completed for s in shards),
                         sum(s.failed for s in shards), sum(s.total or s.requests for s in shards)))
        return rows

    # ----------------------------------------------------------------- results

    def _download_outputs(self, job_state: JobState) -> list[tuple[str, Path]]:
        """Download (once, cached) every output/error file of the job, oldest first: ``(file_id, path)``.

        The local name is a hash of the provider and the file id, never the id itself:
        nothing a provider returns may choose a path on this machine (an id like
        ``../../.bashrc`` must not escape the downloads folder).
        """
        paths: list[tuple[str, Path]] = []
        stale = [s for s in job_state.shards if s.is_completed and not (s.output_file_id or s.error_file_id)]
        for shard in stale:  # a completed batch always has an output or error file: learn it
            self._update_shard(shard, self.client.get_batch(shard.batch_id))
        if stale:
            self._save()
        for shard in sorted(job_state.shards, key=lambda s: (s.generation, s.index)):
            for file_id in (shard.error_file_id, shard.output_file_id):
                if not file_id:
                    continue
                dest = self.downloads_dir / download_name(self.state.provider, file_id)
                if not dest.exists():
                    self.downloads_dir.mkdir(parents=True, exist_ok=True)
                    self.client.download_file(file_id, dest)
                paths.append((file_id, dest))
        return paths

    def _finish(self, job: Job) -> JobOutcome:
        """Download, join and write results; report the job's final state."""
        from specrun.render import iter_requests

        job_state = self.state.jobs[job.name]
        current = job_state.current_shards()
        dead = [s for s in current if s.is_dead]
        downloaded = self._download_outputs(job_state)
        results = load_results(path for _, path in downloaded)
        reason = "no result from the provider"
        if dead:
            reason += f" (batch {dead[0].batch_id} {dead[0].status})"
        requests = iter_requests(self.spec, job, context_length=job_state.context_length)
        summary = write_results(job.output, join_rows(requests, results, missing_reason=reason))
        job_state.output = OutputState(path=job.output_display, sha256=summary.sha256, ok=summary.ok,
                                       error=summary.error, skipped=summary.skipped,
                                       prompt_tokens=summary.prompt_tokens,
                                       completion_tokens=summary.completion_tokens,
                                       sources=[file_id for file_id, _ in downloaded], unanswered=summary.unanswered,
                                       stat=file_stat(job.output))
        self._save()
        # A dead last round only matters if it left requests without an answer.
        status = dead[0].status if (dead and summary.unanswered) else "completed"
        message = ""
        if status == "completed" and summary.unanswered:
            status = "incomplete"
            message = (f"{summary.unanswered} request(s) have no result yet; run `specrun apply` again "
                       "to send them")
        elif status != "completed":
            message = f"batch {dead[0].batch_id} {dead[0].status}"
            errors = _batch_errors(self.client, dead[0].batch_id) if dead[0].status == "failed" else ""
            if errors:
                message += f": {errors}"
        return JobOutcome(job.name, status, summary.ok, summary.error, summary.skipped, summary.prompt_tokens,
                          summary.completion_tokens, job.output_display, message)

    def _outcome_from_state(self, name: str, status: str) -> JobOutcome:
        output = self.state.jobs[name].output
        if output is None:
            return JobOutcome(name, status)
        return JobOutcome(name, status, output.ok, output.error, output.skipped, output.prompt_tokens,
                          output.completion_tokens, output.path, "unchanged")


def output_problem(path: Path) -> str | None:
    """Why a results file cannot be written at ``path`` (None when it can)."""
    if path.is_dir():
        return "it is a directory"
    parent = path.parent
    while not parent.exists():  # the nearest existing folder decides
        if parent == parent.parent:
            break
        parent = parent.parent
    if not parent.is_dir():
        return f"{parent} is not a directory"
    if path.exists() and not os.access(path, os.W_OK):
        return "the file is not writable"
    if not os.access(parent, os.W_OK | os.X_OK):
        return f"the folder {parent} is not writable"
    return None


def download_name(provider: str, file_id: str) -> str:
    """Local cache name of a provider file: a hash, so the provider cannot pick a path."""
    return hashlib.sha256(f"{provider}\0{file_id}".encode("utf-8", "surrogatepass")).hexdigest()[:32] + ".jsonl"


def _retry_plan_for(name: str, job_state: JobState, *, errors: bool = False) -> JobPlan:
    return JobPlan(job=name, action="retry", reason="expired during apply", requests=job_state.requests,
                   shards=len(job_state.current_shards()), model=job_state.model,
                   input_sha256=job_state.input_sha256, fingerprint=job_state.fingerprint,
                   fingerprint_parts=job_state.fingerprint_parts, retry_errors=errors)


def _batch_errors(client: Provider, batch_id: str) -> str:
    try:
        batch = client.get_batch(batch_id)
    except SpecrunError:
        return ""
    return batch.errors_text(max_items=3)  # terminal-safe whatever shape the provider gave it


def _is_terminal(batch: Any) -> bool:
    status = batch_status(batch)
    return status is not None and not is_live(status)


# --------------------------------------------------------------------------- progress


class ProgressSink:
    """Where the executor reports waiting progress: ``(job, status, done, failed, total)`` rows.

    The terminal displays (a live table, periodic plain lines) live with the CLI, in
    ``specrun.cli._progress``; this default shows nothing.
    """

    def update(self, rows: list[tuple[str, str, int, int, int]], elapsed: float) -> None: ...
    def close(self) -> None: ...
