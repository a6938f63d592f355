"""The seams between specrun's core and the outside world, as protocols.

``Provider`` is everything plan, apply and status ask of a Batch API: the httpx
client (``specrun.client.Client``) implements it over HTTP, and over the embedded
local provider's transport; a test can hand the core any object that does. The
row source (``specrun.data.RowSource``) and the state store (``specrun.state``) are
the other two seams: rows with their file:line, and the state with its lock.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, runtime_checkable

if TYPE_CHECKING:
    from specrun.client import Batch, FileObject, ModelConfig
    from specrun.state import State

__all__ = ["Provider", "InlineRequests", "share_state"]


@runtime_checkable
class Provider(Protocol):
    """A Batch API, as the planner and the executor use it (DESIGN §1)."""

    base_url: str

    # models
    def active_models(self) -> list[str]: ...
    def model_config(self) -> list[ModelConfig]: ...

    # files: listed by name, so that lost state and lost answers are adopted, never re-sent
    def files_by_name(self, filenames: Iterable[str]) -> dict[str, list[FileObject]]: ...
    def files_with_prefix(self, prefix: str) -> list[FileObject]: ...
    def files_matching(self, names: Iterable[str] = (), prefixes: Iterable[str] = ()) -> list[FileObject]: ...
    def find_files(self, filename: str, *, size: int | None = None) -> list[FileObject]: ...
    def upload_file(self, path: Path, *, filename: str | None = None, purpose: str = "batch") -> FileObject: ...
    def download_file(self, file_id: str, dest: Path) -> int: ...

    # batches: never created twice; found again through their input file (or their metadata)
    def batches_by_input_file(self, input_file_ids: Iterable[str]) -> dict[str, list[Batch]]: ...
    def find_batches(self, input_file_id: str, *, shard: str | None = None) -> list[Batch]: ...
    def get_batch(self, batch_id: str) -> Batch: ...
    def create_batch(self, input_file_id: str, *, endpoint: str = "/v1/chat/completions",
                     completion_window: str = "24h", metadata: Mapping[str, str] | None = None) -> Batch: ...
    def cancel_batch(self, batch_id: str) -> Batch: ...

    def close(self) -> None: ...


@runtime_checkable
class InlineRequests(Protocol):
    """A provider that takes a batch's requests inline (Anthropic Message Batches).

    Its "uploads" are local copies named by their content, so a fresh upload says
    nothing about whether a batch of it exists; and its batches do not say their
    input file, so it is told which batches the state records (never strangers).
    """

    def remember(self, batches: Mapping[str, str | None], unfinished: Iterable[str] = ()) -> None: ...


def share_state(client: Provider | None, state: State | None) -> None:
    """Tell an ``InlineRequests`` provider the state's batches and their input files, and the
    files it records without a batch."""
    if state is not None and isinstance(client, InlineRequests):
        shards = [s for job in state.jobs.values() for s in job.shards]
        client.remember({s.batch_id: s.file_id for s in shards if s.batch_id},
                        unfinished=[s.file_id for s in shards if s.file_id and not s.batch_id])
