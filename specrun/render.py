"""Render jobs into OpenAI batch JSONL shards, streaming and hashing as it writes.

CONTRACT (other modules depend on these names; add fields freely, do not rename):
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Iterator, Mapping

from specrun.spec import Job, Spec

__all__ = ["RenderedRequest", "Shard", "RenderedJob", "iter_requests", "render_job", "job_fingerprint", "shard_filename"]


@dataclass(frozen=True)
class RenderedRequest:
    index: int                        # 0-based position of the row in its data
    custom_id: str
    row: Mapping[str, Any]            # the input row as read
    location: str                     # "data/articles.csv:41" (for messages)
    line: bytes                       # the JSONL request line, with trailing b"\n"


@dataclass(frozen=True)
class Shard:
    index: int                        # 0-based shard number within the job
    path: Path                        # the written JSONL file
    requests: int
    bytes: int
    sha256: str                       # of the file's bytes
    filename: str                     # upload name: specrun-<job>-<sha256[:16]>.jsonl
    custom_ids_first: str = ""        # first custom_id in the shard (diagnostics)


@dataclass(frozen=True)
class RenderedJob:
    job: str
    model: str
    requests: int
    bytes: int
    input_sha256: str                 # sha256 of all request lines of the job, in order (shard-independent)
    fingerprint: str                  # cheap hash of inputs (see job_fingerprint)
    shards: tuple[Shard, ...]
    warnings: tuple[str, ...] = ()


def shard_filename(job: str, sha256: str) -> str:
    """Upload file name of a shard: ``specrun-<job>-<sha256[:16]>.jsonl``."""
    return f"specrun-{job}-{sha256[:16]}.jsonl"


def iter_requests(spec: Spec, job: Job) -> Iterator[RenderedRequest]:
    """Stream the job's rendered requests in input order (templates compiled once)."""
    raise NotImplementedError


def render_job(
    spec: Spec,
    job: Job,
    out_dir: Path,
    *,
    only_custom_ids: Iterable[str] | None = None,
) -> RenderedJob:
    """Render the job into shard files under ``out_dir``.

    ``only_custom_ids`` keeps just those requests (used by ``retry``); the
    input_sha256 then covers only the kept lines.
    """
    raise NotImplementedError


def job_fingerprint(spec: Spec, job: Job) -> str:
    """Hash of the job's resolved section + vars + template sources + data file bytes."""
    raise NotImplementedError
