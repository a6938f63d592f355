"""Job fingerprints: a cheap hash of everything that shapes a job's requests, part by part."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from specrun.data import row_source
from specrun.spec import Job, Spec

__all__ = ["RENDER_FORMAT", "job_fingerprint", "fingerprint_parts", "fingerprint_of"]

# Bump when the same inputs would render different bytes, so fingerprints change too.
RENDER_FORMAT = 1


def job_fingerprint(spec: Spec, job: Job) -> str:
    """Cheap hash of the job's inputs: its request-shaping spec section, vars,
    template sources and data file bytes (see ``fingerprint_parts``)."""
    return fingerprint_of(fingerprint_parts(spec, job))


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _canonical(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str).encode()


def fingerprint_parts(spec: Spec, job: Job) -> dict[str, str]:
    """Hashes of everything that shapes a job's requests, part by part.

    Only what changes the requests counts (SQLMesh-style): the output path, budget
    and description are metadata, and so is the data file's path (its bytes are
    hashed instead), so moving a results file never buys a new batch. The parts let
    the planner say *what* changed ("messages[1] template edited").
    """
    parts = {
        "format": str(RENDER_FORMAT),
        "model": _sha(job.model.encode()),
        # params keep spec order: it is the order of the rendered body's keys
        "params": _sha(json.dumps(dict(job.params), ensure_ascii=False, default=str).encode()),
        "id": _sha(job.id_template.encode()),
        "limits": _sha(_canonical([job.limits.max_requests, job.limits.max_bytes, job.on_too_long])),
        "vars": _sha(_canonical(dict(spec.vars))),
    }
    if not job.dedupe:  # only when set, so the fingerprints of existing jobs stay as they were
        parts["dedupe"] = "false"
    for i, message in enumerate(job.messages):
        parts[f"messages[{i}]"] = _sha(_canonical([message.role, message.content]))
    if job.input is not None:  # embeddings and responses jobs (only then, so chat fingerprints stay as they were)
        parts["endpoint"] = _sha(job.endpoint.encode())
        parts["input"] = _sha(job.input.encode())
    if job.data.rows is not None or job.data.path is not None:
        parts["data"] = row_source(job.data).fingerprint()
    return parts


def fingerprint_of(parts: Mapping[str, str]) -> str:
    """The job fingerprint: one hash over its parts."""
    return _sha(_canonical(dict(parts)))
