"""Cutting a stream of request lines into shards: hashing and writing as it goes, and the
memory-lean custom_id uniqueness check."""

from __future__ import annotations

import hashlib
import os
from array import array
from bisect import bisect_left
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from specrun.naming import shard_filename
from specrun.spec import Limits

__all__ = ["Shard"]

_FLUSH_BYTES = 1 << 20


@dataclass(frozen=True)
class Shard:
    index: int                        # 0-based shard number within the job
    path: Path                        # the written JSONL file
    requests: int
    bytes: int
    sha256: str                       # of the file's bytes
    filename: str                     # upload name: specrun-<job>-<sha256[:16]>.jsonl
    custom_ids_first: str = ""        # first custom_id in the shard (diagnostics)


class _CustomIdSet:
    """Memory-lean uniqueness check: 8 bytes per id, in 4096 sorted buckets.

    Holding a million custom_id strings would cost ~100 MB; their 64-bit hashes cost
    8 MB. A repeated hash marks a suspect, which a second pass confirms with the
    real strings (so a hash collision is never reported as a duplicate).
    """

    __slots__ = ("buckets", "suspects")

    def __init__(self) -> None:
        self.buckets = [array("q") for _ in range(4096)]
        self.suspects: set[int] = set()

    def add(self, custom_id: str) -> None:
        value = hash(custom_id)
        bucket = self.buckets[value & 4095]
        at = bisect_left(bucket, value)
        if at < len(bucket) and bucket[at] == value:
            self.suspects.add(value)
        else:
            bucket.insert(at, value)


class _ShardWriter:
    """Cuts a stream of request lines into shards, hashing (and writing) as it goes."""

    def __init__(self, job: str, limits: Limits, out_dir: Path | None) -> None:
        self.job = job
        self.max_requests = limits.max_requests
        self.max_bytes = limits.max_bytes
        self.out_dir = out_dir
        self.job_sha256 = hashlib.sha256()
        self.total_requests = 0
        self.total_bytes = 0
        self.shards: list[Shard] = []
        self._buffer: list[bytes] = []
        self._buffered = 0
        self._requests = 0  # in the open shard
        self._bytes = 0
        self._sha256 = hashlib.sha256()
        self._file: IO[bytes] | None = None
        self._temp: Path | None = None
        self._first_id = ""
        self.on_close: Callable[[Shard], None] | None = None  # told of every finished shard

    def add(self, line: bytes, custom_id: str) -> None:
        size = len(line)
        if self._requests and (self._requests >= self.max_requests or self._bytes + size > self.max_bytes):
            self._close_shard()
        if self._requests == 0:
            self._first_id = custom_id
        if self._requests == 0 and self.out_dir is not None:
            self._temp = self.out_dir / f".specrun-{self.job}-{len(self.shards)}.{os.getpid()}.tmp"
            self._file = open(self._temp, "wb")  # noqa: SIM115 - open across add() calls, closed with the shard
        self._buffer.append(line)
        self._buffered += size
        self._requests += 1
        self._bytes += size
        if self._buffered >= _FLUSH_BYTES:
            self._flush()

    def finish(self) -> list[Shard]:
        if self._requests:
            self._close_shard()
        return self.shards

    def abort(self) -> None:
        """Drop the shard being written (finished shards are complete, content-named files)."""
        if self._file is not None:
            self._file.close()
        if self._temp is not None:
            self._temp.unlink(missing_ok=True)

    def _flush(self) -> None:
        data = b"".join(self._buffer)
        self._buffer.clear()
        self._buffered = 0
        self._sha256.update(data)
        self.job_sha256.update(data)
        if self._file is not None:
            self._file.write(data)

    def _close_shard(self) -> None:
        self._flush()
        sha256 = self._sha256.hexdigest()
        filename = shard_filename(self.job, sha256)
        path = Path(filename)
        if self._file is not None and self._temp is not None and self.out_dir is not None:
            self._file.close()
            path = self.out_dir / filename
            os.replace(self._temp, path)
            self._file, self._temp = None, None
        shard = Shard(index=len(self.shards), path=path, requests=self._requests, bytes=self._bytes,
                      sha256=sha256, filename=filename, custom_ids_first=self._first_id)
        self.shards.append(shard)
        if self.on_close is not None:
            self.on_close(shard)
        self.total_requests += self._requests
        self.total_bytes += self._bytes
        self._requests, self._bytes, self._sha256 = 0, 0, hashlib.sha256()
