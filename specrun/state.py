"""The state file (``.specrun/state.json``): load, migrate, atomic save, lock.

State is the memory of what specrun created on the provider. It is written
atomically (temp file, fsync, rename) after every remote side effect, so a crash
never loses a batch id; ``serial`` grows by one per write and ``lineage`` is set
once, which is what binds a saved plan to the state it was made from.
"""

from __future__ import annotations

import json
import os
import socket
import tempfile
import time
import uuid
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Iterable, Iterator

import filelock

from specrun.errors import StateError, StateLocked

__all__ = [
    "STATE_VERSION",
    "batch_status",
    "newest_usable_batch",
    "ShardState",
    "OutputState",
    "JobState",
    "State",
    "state_dir",
    "load_state",
    "save_state",
    "state_lock",
    "atomic_write_bytes",
]

STATE_VERSION = 1

LIVE_STATUSES = ("validating", "in_progress", "finalizing", "cancelling")
DEAD_STATUSES = ("failed", "expired", "cancelled")


def batch_status(batch: Any) -> str:
    """A provider batch's status as a plain string (enum or str)."""
    status = getattr(batch, "status", None)
    return getattr(status, "value", status)


def newest_usable_batch(batches: Iterable[Any]) -> Any:
    """The newest live or completed batch (never a failed/expired/cancelled one), or None."""
    usable = [b for b in batches if batch_status(b) not in DEAD_STATUSES]
    return max(usable, key=lambda b: getattr(b, "created_at", 0) or 0) if usable else None


@dataclass
class ShardState:
    """One uploaded file and the batch that runs it."""

    index: int
    filename: str
    sha256: str
    bytes: int
    requests: int
    generation: int = 0               # 0 = the job's requests; 1.. = retries of the missing ones
    file_id: str | None = None
    batch_id: str | None = None
    status: str | None = None         # batch status as last seen
    output_file_id: str | None = None
    error_file_id: str | None = None
    completed: int = 0
    failed: int = 0
    total: int = 0

    @property
    def is_live(self) -> bool:
        return self.batch_id is not None and self.status in LIVE_STATUSES

    @property
    def is_dead(self) -> bool:
        return self.status in DEAD_STATUSES

    @property
    def is_completed(self) -> bool:
        return self.status == "completed"


@dataclass
class OutputState:
    path: str                         # as written in the spec, relative to the spec's directory
    sha256: str
    ok: int = 0
    error: int = 0
    skipped: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    sources: list[str] = field(default_factory=list)  # provider output/error file ids joined into it
    unanswered: int = 0               # rows with no answer yet (their batch ended first); part of ``error``


@dataclass
class JobState:
    input_sha256: str
    fingerprint: str
    requests: int
    model: str
    fingerprint_parts: dict[str, str] = field(default_factory=dict)
    shards: list[ShardState] = field(default_factory=list)
    output: OutputState | None = None
    estimated_input_tokens: int = 0   # of the job's requests (see specrun.estimate)
    max_output_tokens: int = 0
    context_length: int | None = None  # the model's, when the job was rendered (on_too_long: skip)
    skipped: int = 0                  # rows kept out by on_too_long: skip

    @property
    def generation(self) -> int:
        return max((s.generation for s in self.shards), default=0)

    def current_shards(self) -> list[ShardState]:
        """Shards of the newest generation (what the job is waiting on now)."""
        gen = self.generation
        return [s for s in self.shards if s.generation == gen]

    def batch_ids(self) -> list[str]:
        return [s.batch_id for s in self.shards if s.batch_id]


@dataclass
class State:
    lineage: str = field(default_factory=lambda: str(uuid.uuid4()))
    serial: int = 0
    provider: str = ""
    jobs: dict[str, JobState] = field(default_factory=dict)
    version: int = STATE_VERSION

    def to_json(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "lineage": self.lineage,
            "serial": self.serial,
            "provider": self.provider,
            "jobs": {name: asdict(job) for name, job in self.jobs.items()},
        }

    @classmethod
    def from_json(cls, data: dict[str, Any], *, source: str = "state") -> "State":
        try:
            jobs = {}
            for name, raw in (data.get("jobs") or {}).items():
                raw = dict(raw)
                shards = [ShardState(**_known(ShardState, s)) for s in raw.pop("shards", [])]
                output = raw.pop("output", None)
                jobs[name] = JobState(
                    **_known(JobState, raw),
                    shards=shards,
                    output=OutputState(**_known(OutputState, output)) if output else None,
                )
            return cls(
                lineage=str(data["lineage"]),
                serial=int(data["serial"]),
                provider=str(data.get("provider") or ""),
                jobs=jobs,
                version=int(data["version"]),
            )
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise StateError(f"{source}: not a valid specrun state file ({type(exc).__name__}: {exc})") from exc


def _known(cls: type, raw: dict[str, Any]) -> dict[str, Any]:
    """Keep the keys a dataclass knows (newer minor versions may add keys)."""
    names = set(cls.__dataclass_fields__)
    return {k: v for k, v in raw.items() if k in names and k not in ("shards", "output")}


def state_dir(spec_path: Path) -> Path:
    """``.specrun/`` beside the spec file."""
    return spec_path.resolve().parent / ".specrun"


def load_state(path: Path) -> State | None:
    """Read the state file; None when there is none yet."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise StateError(f"cannot read state file {path}: {exc.strerror}") from exc
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise StateError(
            f"state file {path} is corrupt (line {exc.lineno}: {exc.msg}); "
            "restore it from a backup or delete it to let specrun adopt batches from the provider"
        ) from exc
    if not isinstance(data, dict) or "version" not in data:
        raise StateError(f"state file {path} is not a specrun state file")
    version = data.get("version")
    if not isinstance(version, int) or version > STATE_VERSION:
        raise StateError(
            f"state file {path} has version {version!r}, newer than this specrun understands "
            f"({STATE_VERSION}); upgrade specrun"
        )
    data = _migrate(data)
    return State.from_json(data, source=str(path))


def _migrate(data: dict[str, Any]) -> dict[str, Any]:
    """Bring an older state document up to STATE_VERSION (none exist yet below 1)."""
    if data["version"] < 1:
        raise StateError(f"state version {data['version']} is too old to migrate; delete the state to re-adopt")
    return data


def atomic_write_bytes(path: Path, payload: bytes) -> None:
    """Write ``payload`` to ``path`` atomically: temp file in the same dir, fsync, rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    try:  # make the rename durable too
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
    except OSError:
        pass


def save_state(path: Path, state: State) -> None:
    """Bump the serial and write the state atomically. Never contains the API key."""
    document = state.to_json()
    document["serial"] = state.serial + 1
    atomic_write_bytes(path, json.dumps(document, indent=2).encode("utf-8") + b"\n")
    state.serial += 1  # only once the write succeeded


@contextmanager
def state_lock(directory: Path, command: str, timeout: float = 0.0) -> Iterator[None]:
    """Hold the state lock for one plan/apply/destroy.

    The lock is an OS file lock (flock), so a killed process releases it: a stale
    lock never blocks. Beside it, ``state.lock.json`` says who holds it, for the
    error message of a second, concurrent run.
    """
    directory.mkdir(parents=True, exist_ok=True)
    lock = filelock.FileLock(str(directory / "state.lock"))
    info_path = directory / "state.lock.json"
    try:
        lock.acquire(timeout=max(timeout, 0.0), poll_interval=0.1)
    except filelock.Timeout:
        holder = _describe_holder(info_path)
        waited = f" after waiting {timeout:g}s" if timeout > 0 else ""
        raise StateLocked(
            f"state is locked{waited}: {holder}. Wait for it to finish, "
            "or pass --lock-timeout SECONDS to wait"
        ) from None
    try:
        info = {"pid": os.getpid(), "host": socket.gethostname(), "command": command,
                "since": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
        try:
            atomic_write_bytes(info_path, json.dumps(info).encode())
        except OSError:
            pass
        yield
    finally:
        try:
            info_path.unlink()
        except OSError:
            pass
        lock.release()


def _describe_holder(info_path: Path) -> str:
    try:
        info = json.loads(info_path.read_text(encoding="utf-8"))
        return (f"held by pid {info.get('pid')} on {info.get('host')} "
                f"running '{info.get('command')}' since {info.get('since')}")
    except (OSError, ValueError):
        return "held by another specrun process"
