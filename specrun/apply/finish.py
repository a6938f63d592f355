"""Finishing a job: download its output/error files (cached under a hash), join, write results."""

from __future__ import annotations

import logging
import os
from pathlib import Path

from specrun.apply._base import _ExecutorBase
from specrun.apply.values import (
    JobOutcome,
)
from specrun.errors import SpecrunError
from specrun.provider import Provider
from specrun.reconcile import ingest_job, ledger_lookup, result_files
from specrun.render import RenderedRequest
from specrun.results import RowResult, join_rows, write_results
from specrun.spec import Job
from specrun.state import (
    JobState,
    OutputState,
    file_stat,
)
from specrun.structured import Checker

log = logging.getLogger("specrun.apply")


class _Finishing(_ExecutorBase):
    """Part of ``Executor`` (a mixin: the state, client and options are the executor's)."""

    def _own_answers(self, job: Job, job_state: JobState) -> dict[str, RowResult]:
        """Put what the job's batches answered into the ledger, and return what the files read now hold.

        Each output/error file is downloaded once (cached under a hash of the provider and
        the file id, never the id itself: nothing a provider returns may choose a path on
        this machine) and read once. A file already read (by this or another checkout
        sharing the backend) is not downloaded again: the join finds its answers in the
        ledger. A file whose answers the ledger could not all key (row-keyed answers of an
        edited job) is not marked read, so it is read again next time.
        """
        stale = [s for s in job_state.shards if s.is_completed and not (s.output_file_id or s.error_file_id)]
        for shard in stale:  # a completed batch always has an output or error file: learn it
            # (no batch id recorded, only in a hand-edited state: the client refuses the empty id)
            self._update_shard(shard, self.client.get_batch(shard.batch_id or ""))
        if stale:
            self._save()
        return ingest_job(self.ledger, self.client, self.state.provider, self.downloads_dir, self.spec, job,
                          job_state)

    def _finish(self, job: Job) -> JobOutcome:
        """Download, record the answers in the ledger, join and write results; report the job's final state.

        The ledger is written first, then the results file, then the state: a crash in
        between leaves answers the state does not mention yet (reused next time), never
        the other way round.
        """
        from specrun.render import iter_requests

        job_state = self.state.jobs[job.name]
        current = job_state.current_shards()
        dead = [s for s in current if s.is_dead]
        results = self._own_answers(job, job_state)
        reason = "no result from the provider"
        if dead:
            reason += f" (batch {dead[0].batch_id} {dead[0].status})"
        requests = iter_requests(self.spec, job, context_length=job_state.context_length)
        lengths: list[tuple[str, int]] = []  # how long the requests this job's batches answered were

        def answered(request: RenderedRequest, _result: RowResult) -> None:
            lengths.append((request.key, request.prompt_chars))
            if len(lengths) >= 10_000:
                self.ledger.set_prompt_chars(lengths, job.model)
                lengths.clear()

        invalid: list[tuple[str, str]] = []  # answers the output schema refuses, found here (not at ingest)
        checker = Checker(job.output_schema) if job.output_schema is not None else None

        def check(request: RenderedRequest, result: RowResult) -> RowResult:
            assert checker is not None
            checked = checker.check(result)
            if checked.status != result.status and checked.error is not None and request.key:
                invalid.append((request.key, checked.error["message"]))
            return checked

        own = {file_id for file_id, _ in result_files(job_state)}
        summary = write_results(job.output, join_rows(requests, results, missing_reason=reason,
                                                      ledger=ledger_lookup(self.ledger), answered=answered,
                                                      check=check if checker is not None else None, own_files=own))
        self.ledger.set_prompt_chars(lengths, job.model)
        self.ledger.mark_invalid(invalid)
        if job.exports:
            from specrun.exports import write_exports

            write_exports(job.output, job.exports)  # each rewritten only when its bytes change
        job_state.output = OutputState(path=job.output_display, sha256=summary.sha256, ok=summary.ok,
                                       error=summary.error, skipped=summary.skipped,
                                       prompt_tokens=summary.prompt_tokens,
                                       completion_tokens=summary.completion_tokens,
                                       sources=sorted(own), unanswered=summary.unanswered,
                                       stat=file_stat(job.output))
        self._save()
        # A dead last round only matters if it left requests without an answer.
        status = dead[0].status if (dead and summary.unanswered) else "completed"
        assert status is not None  # a dead shard has a status
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
        planned = self._sent.get(job.name)
        sent = {} if planned is None else dict(
            sent=sum(s.requests for s in job_state.shards if s.filename in planned[0]),
            estimated_input_tokens=planned[1], max_output_tokens=planned[2],
            reported_input_tokens=summary.fresh_prompt_tokens, reported_output_tokens=summary.fresh_completion_tokens)
        return JobOutcome(job.name, status, summary.ok, summary.error, summary.skipped, summary.prompt_tokens,
                          summary.completion_tokens, job.output_display, message, reused=summary.reused, **sent)

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


def _batch_errors(client: Provider, batch_id: str | None) -> str:
    if not batch_id:  # what the client's refusal of an empty id below would come to
        return ""
    try:
        batch = client.get_batch(batch_id)
    except SpecrunError:
        return ""
    return batch.errors_text(max_items=3)  # terminal-safe whatever shape the provider gave it
