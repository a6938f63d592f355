"""How specrun names what it uploads: the provider finds a job's files again by these names.

``specrun-<job>-<sha256[:16]>.jsonl`` for a shard, ``specrun-<job>-<input16>-retry<N>-<sha16>.jsonl``
for a retry round (DESIGN §5): content-derived, so a lost state or a lost answer is
adopted by listing, never re-sent.
"""

from __future__ import annotations

__all__ = ["shard_filename", "retry_prefix", "retry_filename"]


def shard_filename(job: str, sha256: str) -> str:
    """Upload file name of a shard: ``specrun-<job>-<sha256[:16]>.jsonl``."""
    return f"specrun-{job}-{sha256[:16]}.jsonl"


def retry_prefix(job: str, input_sha256: str) -> str:
    """Name prefix of every retry file of one version of a job (its input_sha256)."""
    return f"specrun-{job}-{input_sha256[:16]}-retry"


def retry_filename(job: str, input_sha256: str, generation: int, sha256: str) -> str:
    """Upload name of a retry shard: ``specrun-<job>-<input16>-retry<N>-<sha16>.jsonl``.

    Tied to the job's input hash, so that with the state file lost, ``plan`` still
    finds every retry round of this version of the job (and never re-sends what a
    retry already did).
    """
    return f"{retry_prefix(job, input_sha256)}{generation}-{sha256[:16]}.jsonl"
