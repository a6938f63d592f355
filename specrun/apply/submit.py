"""Submitting shards: reconcile with the provider, then upload and create what is missing."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

from specrun.apply._base import _ExecutorBase
from specrun.client import JOB_METADATA_KEY, SHARD_METADATA_KEY
from specrun.errors import ApplyError, OutcomeUnknown
from specrun.provider import InlineRequests
from specrun.reconcile import file_for
from specrun.spec import Job
from specrun.state import (
    JobState,
    ShardState,
    newest_usable_batch,
)

if TYPE_CHECKING:
    from specrun.client import Batch

log = logging.getLogger("specrun.apply")


class _Submitting(_ExecutorBase):
    """Part of ``Executor`` (a mixin: the state, client and options are the executor's)."""

    def _submit(self, job: Job, job_state: JobState, shards: list[ShardState]) -> None:
        """Upload and create what is missing, after one fresh look at the provider.

        The look (one listing of files, one of batches, for all shards at once) is
        taken right before acting, under the state lock: whatever an earlier, crashed
        or concurrent run left on the provider is adopted, never duplicated.
        """
        pending = [s for s in shards if not s.batch_id]
        if not pending:
            return
        lost = [s for s in pending if not s.file_id and not (self.build_dir / s.filename).exists()]
        if lost and self._rendered_again(job, job_state, lost):
            return
        if isinstance(self.client, InlineRequests):
            # Its uploads are local copies named by content: make them all, then look for
            # batches of every one (a lost journal, another machine's run) before creating.
            for shard in pending:
                self._ensure_file(job, job_state, shard)
        files = self.client.files_by_name({s.filename for s in pending if not s.file_id})
        known_files = {s.file_id for s in pending if s.file_id}
        for shard in pending:
            if not shard.file_id:
                found = file_for(files.get(shard.filename, ()), shard.bytes)
                if found is not None:
                    shard.file_id = found.id
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

    def _rendered_again(self, job: Job, job_state: JobState, lost: list[ShardState]) -> bool:
        """Shards recorded but never uploaded whose files are gone (a crash, a cleaned build folder).

        Render the job again as planning does: when that gives the same files, carry on
        (False). Otherwise the ledger or the data moved on since: drop the lost shards
        (nothing was uploaded for them) and plan the job's next round afresh (True).
        """
        from specrun.reconcile import send_filter
        from specrun.render import render_job

        send = send_filter(self.ledger, self.state, resend_errors=self._retry_errors.get(job.name, False))
        rendered = render_job(self.spec, job, self.build_dir, context_length=job_state.context_length, send=send)
        if rendered.input_sha256 == job_state.input_sha256 and all(
                (self.build_dir / s.filename).exists() for s in lost):
            return False
        if job.name in self._retried:
            raise ApplyError(f"job '{job.name}': its rendered requests {lost[0].filename} are missing from "
                             f"{self.build_dir} and cannot be made again; run `specrun plan` again")
        job_state.shards = [s for s in job_state.shards if s not in lost]
        self._save()
        log.info("%s: %d recorded shard(s) were never uploaded and their files are gone; planning again",
                 job.name, len(lost))
        if not self._next_round(job):
            self._deferred_retry.add(job.name)  # something still runs: plan the rest once it ends
        return True

    def _shard_path(self, job: Job, job_state: JobState, shard: ShardState) -> Path:
        """The shard's request file on disk (checked against its recorded sha256)."""
        from specrun.results import file_sha256

        path = self.build_dir / shard.filename
        if path.exists() and (len(shard.sha256) != 64 or file_sha256(path) == shard.sha256):
            return path
        raise ApplyError(f"job '{job.name}': the rendered requests {shard.filename} in {self.build_dir} are not "
                         "what was planned (changed or removed while applying); run `specrun apply` again")

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
        batch = None if listed else self._find_batch(shard)
        if batch is None:
            try:
                batch = self._create_batch(job, shard)
            except OutcomeUnknown as exc:
                # Listings can lag a moment behind a create: look a few times, never re-POST.
                for pause in (0.0, 1.0, 2.0):
                    self.sleep(pause)
                    batch = self._find_batch(shard)
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

    def _create_batch(self, job: Job, shard: ShardState) -> Batch:
        """``POST /batches`` for the shard; where the provider keeps batch metadata (type
        openai), it names the job and the shard, a second way to find the batch again."""
        assert shard.file_id is not None
        provider = self.spec.provider
        if provider.type != "openai":
            return self.client.create_batch(shard.file_id, endpoint=job.endpoint,
                                            completion_window=provider.completion_window)
        metadata = {JOB_METADATA_KEY: job.name, SHARD_METADATA_KEY: shard.filename}
        return self.client.create_batch(shard.file_id, endpoint=job.endpoint,
                                        completion_window=provider.completion_window, metadata=metadata)

    def _find_batch(self, shard: ShardState) -> Batch | None:
        """A usable batch on the shard's file, or (type openai) one whose metadata names the shard."""
        assert shard.file_id is not None
        if self.spec.provider.type != "openai":
            return newest_usable_batch(self.client.find_batches(shard.file_id))
        batch = newest_usable_batch(self.client.find_batches(shard.file_id, shard=shard.filename))
        if batch is not None and batch.input_file_id and batch.input_file_id != shard.file_id:
            log.info("batch %s names %s in its metadata: its input file %s is the shard's",
                     batch.id, shard.filename, batch.input_file_id)
            shard.file_id = batch.input_file_id
        return batch
