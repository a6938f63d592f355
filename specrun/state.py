"""The state file (``.specrun/state.json``): load, migrate, atomic save, lock.

State is the memory of what specrun created on the provider. It is written
atomically (temp file, fsync, rename) after every remote side effect, so a crash
never loses a batch id; ``serial`` grows by one per write and ``lineage`` is set
once, which is what binds a saved plan to the state it was made from.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import os
import socket
import time
import uuid
from collections.abc import Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager, suppress
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import filelock

from specrun._batch_status import is_completed, is_dead, is_live
from specrun._files import atomic_write_bytes
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
    "spec_home",
    "load_state",
    "save_state",
    "state_lock",
    "atomic_write_bytes",
    "StateStore",
    "FileStateStore",
]

STATE_VERSION = 1



def batch_status(batch: Any) -> str | None:
    """A provider batch's status as a plain string (enum or str); None when it has none."""
    status = getattr(batch, "status", None)
    return getattr(status, "value", status)


def newest_usable_batch(batches: Iterable[Any]) -> Any:
    """The newest live or completed batch (never a failed/expired/cancelled one), or None."""
    usable = [b for b in batches if not is_dead(batch_status(b))]
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
        return self.batch_id is not None and is_live(self.status)

    @property
    def is_dead(self) -> bool:
        return is_dead(self.status)

    @property
    def is_completed(self) -> bool:
        return is_completed(self.status)


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
    stat: list[int] | None = None     # [size, mtime_ns, inode] when written: unchanged → no need to re-hash

    def matches_stat(self, path: Path) -> bool:
        """True when ``path`` still has the size, mtime and inode recorded when it was written.

        Like git's index: a file whose stat did not change is taken to hold the bytes
        that were hashed, so a no-op plan does not re-read a large results file. Any
        edit, copy or replacement changes the mtime or the inode; then it is hashed.
        """
        if not self.stat:
            return False
        try:
            return file_stat(path) == self.stat
        except OSError:
            return False


def file_stat(path: Path) -> list[int]:
    """``[size, mtime_ns, inode]`` of a file (what ``OutputState.stat`` records)."""
    info = os.stat(path)
    return [info.st_size, info.st_mtime_ns, info.st_ino]


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
    token_counting: str | None = None  # how estimated_input_tokens were counted (specrun.tokens)

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
    def from_json(cls, data: dict[str, Any], *, source: str = "state") -> State:
        """Build a State from its JSON document, checking every field's type.

        A state file is trusted input only as far as it is checked: a hand-edited or
        corrupted value (``"batch_id": 5``, a list where a job belongs) is one clear
        error naming the field, not a crash deep inside plan or apply.
        """
        def bad(where: str, expected: str, value: Any) -> StateError:
            return StateError(f"state file {source} is not valid: {where} must be {expected}, "
                              f"not {json.dumps(value)[:80]}; restore it from a backup, or delete it to let "
                              "specrun adopt the batches from the provider")

        if not isinstance(data.get("lineage"), str) or not data["lineage"]:
            raise bad("lineage", "a non-empty string", data.get("lineage"))
        for key in ("serial", "version"):
            if not _is_count(data.get(key)):
                raise bad(key, "a whole number >= 0", data.get(key))
        provider = data.get("provider")
        if provider is not None and not isinstance(provider, str):
            raise bad("provider", "a string", provider)
        raw_jobs = data.get("jobs")
        if raw_jobs is None:
            raw_jobs = {}
        if not isinstance(raw_jobs, dict):
            raise bad("jobs", "a mapping of job names", raw_jobs)
        jobs = {}
        for name, raw in raw_jobs.items():
            if not isinstance(raw, dict):
                raise bad(f"jobs.{name}", "a mapping", raw)
            raw_shards = raw.get("shards") or []
            if not isinstance(raw_shards, list):
                raise bad(f"jobs.{name}.shards", "a list", raw_shards)
            shards = [ShardState(**_checked(ShardState, shard, f"jobs.{name}.shards[{i}]", bad))
                      for i, shard in enumerate(raw_shards)]
            output = raw.get("output")
            jobs[name] = JobState(
                **_checked(JobState, raw, f"jobs.{name}", bad),
                shards=shards,
                output=OutputState(**_checked(OutputState, output, f"jobs.{name}.output", bad)) if output else None,
            )
        return cls(lineage=data["lineage"], serial=data["serial"], provider=provider or "", jobs=jobs,
                   version=data["version"])


def _is_count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


@functools.cache  # a few annotations, asked once per field of every shard
def _type_check(annotation: str) -> tuple[str, Any]:
    """(words, predicate) for the field annotations the state dataclasses use."""
    optional = annotation.endswith(" | None")
    base = annotation.removesuffix(" | None")
    checks: dict[str, tuple[str, Any]] = {
        "str": ("a string", lambda v: isinstance(v, str)),
        "int": ("a whole number >= 0", _is_count),
        "list[str]": ("a list of strings", lambda v: isinstance(v, list) and all(isinstance(x, str) for x in v)),
        "list[int]": ("a list of whole numbers", lambda v: isinstance(v, list) and all(_is_count(x) for x in v)),
        "dict[str, str]": ("a mapping of strings",
                           lambda v: isinstance(v, dict) and all(isinstance(x, str) for x in v.values())),
    }
    words, predicate = checks[base]
    if optional:
        return f"{words} or null", lambda v: v is None or predicate(v)
    return words, predicate


def _checked(cls: type[Any], raw: Any, where: str, bad: Any) -> dict[str, Any]:
    """The keys of ``raw`` that ``cls`` knows, each checked against its annotation.

    Unknown keys are dropped (a newer minor version may add keys); missing ones
    take their defaults, or are an error when the field has none.
    """
    if not isinstance(raw, dict):
        raise bad(where, "a mapping", raw)
    values: dict[str, Any] = {}
    for name, spec_field in cls.__dataclass_fields__.items():
        if name in ("shards", "output"):
            continue
        if name not in raw:
            if spec_field.default is dataclasses.MISSING and spec_field.default_factory is dataclasses.MISSING:
                raise bad(f"{where}.{name}", "present", None)
            continue
        words, predicate = _type_check(str(spec_field.type))
        if not predicate(raw[name]):
            raise bad(f"{where}.{name}", words, raw[name])
        values[name] = raw[name]
    return values


def state_dir(spec_path: Path) -> Path:
    """``.specrun/`` beside the spec file."""
    return spec_path.resolve().parent / ".specrun"


OWNER_FILE = "owner"   # .specrun/owner: the file name of the spec that owns .specrun/state.json
SPECS_DIR = "specs"    # .specrun/specs/<spec file name>/: the state of every other spec in the folder


def spec_home(spec_path: Path, job_names: Iterable[str] = (), *, claim: bool = False) -> Path:
    """The folder holding this spec's state, lock and build files.

    Every spec file has its own state. The first spec of a folder to plan or apply
    owns ``.specrun/state.json`` (DESIGN §5), recorded in ``.specrun/owner``; any other
    spec in the same folder keeps its state in ``.specrun/specs/<file name>/``. So
    ``apply -f a.yaml`` never sees, removes or cancels what ``b.yaml`` created.

    A ``state.json`` from before owners were recorded is taken over once (``claim``)
    only when it can be this spec's: it shares a job name with it, or has no jobs.
    One written for another spec is left alone for that spec to claim.
    """
    resolved = spec_path.resolve()
    root = resolved.parent / ".specrun"
    name = resolved.name
    own = root / SPECS_DIR / name
    owner = _read_owner(root)
    if owner is None:
        if (own / "state.json").exists():
            return own
        legacy_jobs = _job_names_in(root / "state.json")
        if legacy_jobs and not legacy_jobs & set(job_names):
            return own  # an unowned state written for another spec of this folder
        if not claim:
            return root
        owner = _claim_root(root, name)
    return root if owner == name else own


def _read_owner(root: Path) -> str | None:
    try:
        text = (root / OWNER_FILE).read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError):
        return None
    return text or None


def _job_names_in(path: Path) -> set[str]:
    """Job names recorded in a state file (empty when there is none or it cannot be read)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):
        return set()
    jobs = data.get("jobs") if isinstance(data, dict) else None
    return {name for name in jobs if isinstance(name, str)} if isinstance(jobs, dict) else set()


def _claim_root(root: Path, name: str) -> str:
    """Record ``name`` as the owner of ``.specrun/state.json`` unless another spec won the race."""
    root.mkdir(parents=True, exist_ok=True)
    temp = root / f".{OWNER_FILE}.{os.getpid()}.{uuid.uuid4().hex[:8]}"
    temp.write_text(name + "\n", encoding="utf-8")
    try:
        os.link(temp, root / OWNER_FILE)  # atomic, and refuses to replace: the first spec wins
    except FileExistsError:
        pass
    except OSError:  # a filesystem without hard links: exclusive create, then write
        try:
            with open(root / OWNER_FILE, "x", encoding="utf-8") as handle:
                handle.write(name + "\n")
        except FileExistsError:
            pass
    finally:
        temp.unlink(missing_ok=True)
    return _read_owner(root) or name


def load_state(path: Path) -> State | None:
    """Read the state file; None when there is none yet."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except IsADirectoryError:
        raise StateError(f"state file {path} is a directory; move it away") from None
    except OSError as exc:
        raise StateError(f"cannot read state file {path}: {exc.strerror}") from exc
    except UnicodeDecodeError as exc:
        raise StateError(
            f"state file {path} is corrupt (not UTF-8 text at byte {exc.start}); "
            "restore it from a backup or delete it to let specrun adopt batches from the provider"
        ) from None
    try:
        data = json.loads(text)
    except RecursionError:
        raise StateError(f"state file {path} is corrupt (nested too deeply); restore it from a backup or "
                         "delete it to let specrun adopt batches from the provider") from None
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
        with suppress(OSError):
            atomic_write_bytes(info_path, json.dumps(info).encode())
        yield
    finally:
        with suppress(OSError):
            info_path.unlink()
        lock.release()


def _describe_holder(info_path: Path) -> str:
    try:
        info = json.loads(info_path.read_text(encoding="utf-8"))
        return (f"held by pid {info.get('pid')} on {info.get('host')} "
                f"running '{info.get('command')}' since {info.get('since')}")
    except (OSError, ValueError):
        return "held by another specrun process"


@runtime_checkable
class StateStore(Protocol):
    """Where a spec's state lives (Terraform's statemgr: transient + persistent + locker).

    ``.specrun/`` files are one implementation (``FileStateStore``); a shared database
    is another (DESIGN §9). plan, apply and destroy use only these three calls.
    """

    def load(self) -> State | None: ...
    def save(self, state: State) -> None: ...  # bumps the serial, atomically
    def lock(self, command: str, timeout: float = 0.0) -> AbstractContextManager[None]: ...


class FileStateStore:
    """The state file beside the spec (``state.json``), its lock and holder file."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    def load(self) -> State | None:
        return load_state(self.path)

    def save(self, state: State) -> None:
        save_state(self.path, state)

    def lock(self, command: str, timeout: float = 0.0) -> AbstractContextManager[None]:
        return state_lock(self.path.parent, command, timeout)

    def __repr__(self) -> str:
        return f"FileStateStore({str(self.path)!r})"
