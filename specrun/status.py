"""What `specrun status` reports: each job's batches, their states and counts, its results."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from specrun.provider import Provider
from specrun.spec import Spec
from specrun.state import State, batch_status

__all__ = ["job_statuses"]


def job_statuses(spec: Spec, state: State | None, client: Provider | None, *,
                 targets: Sequence[str] = ()) -> list[dict[str, Any]]:
    """One record per job in state; in-flight batches are refreshed when ``client`` is given.

    Pass ``client=None`` to report the state as recorded (``--no-refresh``, or a state
    made against another provider).
    """
    jobs: list[dict[str, Any]] = []
    for name, job_state in (state.jobs.items() if state else ()):
        if targets and name not in targets:
            continue
        batches = []
        for shard in job_state.shards:
            entry = {"shard": shard.index, "generation": shard.generation, "file_id": shard.file_id,
                     "batch_id": shard.batch_id, "status": shard.status, "completed": shard.completed,
                     "failed": shard.failed, "total": shard.total or shard.requests}
            if shard.is_live and client is not None:
                assert shard.batch_id is not None  # is_live needs one
                batch = client.get_batch(shard.batch_id)
                counts = batch.request_counts
                entry.update(status=batch_status(batch), completed=counts.completed, failed=counts.failed,
                             total=counts.total)
            batches.append(entry)
        output = None
        if job_state.output is not None:
            out_path = spec.base_dir / job_state.output.path
            output = {"path": job_state.output.path, "exists": out_path.exists(), "ok": job_state.output.ok,
                      "error": job_state.output.error, "skipped": job_state.output.skipped,
                      "sha256": job_state.output.sha256}
        jobs.append({"job": name, "model": job_state.model, "requests": job_state.requests,
                     "in_spec": name in spec.jobs, "batches": batches, "output": output})
    return jobs
