"""Waiting: poll the batches of every active job in one loop, with adaptive pauses."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from specrun._batch_status import is_live
from specrun.apply._base import _ExecutorBase
from specrun.apply.values import (
    ApplyInterrupted,
    JobOutcome,
)
from specrun.errors import ApplyError
from specrun.plan import Action
from specrun.spec import Job
from specrun.state import (
    ShardState,
    batch_status,
)

log = logging.getLogger("specrun.apply")


class _Waiting(_ExecutorBase):
    """Part of ``Executor`` (a mixin: the state, client and options are the executor's)."""

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
                current = self.state.jobs[name].current_shards()
                expired = [s for s in current if s.status == "expired"]
                deferred = name in self._deferred_retry
                if (deferred or (expired and self.options.auto_retry_expired and name not in self._retried)) \
                        and self._next_round(job):
                    next_round.append(name)
                    continue
                outcome = self._finish(job)
                if deferred and outcome.status == "incomplete" and self._next_round(job):
                    # joined now, some requests still have no answer: their round, planned as plan would
                    next_round.append(name)
                    continue
                outcomes[name] = outcome
            pending = next_round
        return [outcomes[name] for name in names]

    def _next_round(self, job: Job) -> bool:
        """A round ended early mid-run: plan the job again (the same refresh and decide as
        ``specrun plan``) and submit the new round it decides, if it decides one."""
        from specrun.plan import make_plan

        self._deferred_retry.discard(job.name)
        self._retried.add(job.name)
        the_plan, _ = make_plan(self.spec, self.state, self.client, provider=self.state.provider or "",
                                build_dir=self.build_dir, targets=[job.name], ledger=self.ledger,
                                downloads_dir=self.downloads_dir,
                                retry_errors=self._retry_errors.get(job.name, False), mid_run=True)
        job_plan = next((j for j in the_plan.jobs if j.job == job.name), None)
        if job_plan is None or job_plan.action is not Action.RETRY:
            return False
        ended = next((s for s in self.state.jobs[job.name].current_shards() if s.is_dead), None)
        what = f"batch {ended.batch_id} {ended.status}" if ended is not None else "a batch ended early"
        sending = sum(s.requests for s in job_plan.shard_plans if not s.batch_id)
        self.echo(f"{job.name}: {what}; retrying the requests without a result ({sending:,} to send)")
        self._submit_shards(job, job_plan)
        return True

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
                    assert shard.batch_id is not None  # both tests above need one
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
            statuses = sorted({s.status or "submitted" for s in shards}) or ["nothing to send"]
            rows.append((name, "/".join(statuses), sum(s.completed for s in shards),
                         sum(s.failed for s in shards), sum(s.total or s.requests for s in shards)))
        return rows


def _is_terminal(batch: Any) -> bool:
    status = batch_status(batch)
    return status is not None and not is_live(status)
