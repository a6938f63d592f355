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
import types
import typing
import uuid
from collections.abc import Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Protocol, runtime_checkable

import filelock
from annotated_types import Ge, MinLen

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

    index: Count
    filename: str
    sha256: str
    bytes: Count
    requests: Count
    generation: Count = 0               # 0 = the job's requests; 1.. = retries of the missing ones
    file_id: str | None = None
    batch_id: str | None = None
    status: str | None = None         # batch status as last seen
    output_file_id: str | None = None
    error_file_id: str | None = None
    completed: Count = 0
    failed: Count = 0
    total: Count = 0

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
    ok: Count = 0
    error: Count = 0
    skipped: Count = 0
    prompt_tokens: Count = 0
    completion_tokens: Count = 0
    sources: list[str] = field(default_factory=list)  # provider output/error file ids joined into it
    unanswered: Count = 0               # rows with no answer yet (their batch ended first); part of ``error``
    stat: list[Count] | None = None     # [size, mtime_ns, inode] when written: unchanged → no need to re-hash

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
    requests: Count
    model: str
    fingerprint_parts: dict[str, str] = field(default_factory=dict)
    shards: list[ShardState] = field(default_factory=list)
    output: OutputState | None = None
    estimated_input_tokens: Count = 0   # of the job's requests (see specrun.estimate)
    max_output_tokens: Count = 0
    context_length: Count | None = None  # the model's, when the job was rendered (on_too_long: skip)
    skipped: Count = 0                  # rows kept out by on_too_long: skip
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
    lineage: Annotated[str, MinLen(1)] = field(default_factory=lambda: str(uuid.uuid4()))
    serial: Count = 0
    provider: str = ""
    jobs: dict[str, JobState] = field(default_factory=dict)
    version: Count = STATE_VERSION

    def to_json(self) -> dict[str, Any]:
        """The state file's document (written through the same typed model it is read with)."""
        document: dict[str, Any] = _adapter().dump_python(self, mode="json")
        return document

    @classmethod
    def from_json(cls, data: dict[str, Any], *, source: str = "state") -> State:
        """Build a State from its JSON document, checking every field's type (pydantic, strict).

        A state file is trusted input only as far as it is checked: a hand-edited or
        corrupted value (``"batch_id": 5``, a list where a job belongs) is one clear
        error naming the field, not a crash deep inside plan or apply. Unknown keys are
        dropped (a newer minor version may add some); missing ones take their defaults.
        """
        from pydantic import ValidationError

        # null where a default is meant (written by hand, or by an older specrun): the default
        # (the lineage has no default in a file: a state without one is not one specrun wrote)
        data = {**data, "lineage": data.get("lineage"), "provider": _default(data.get("provider"), ""),
                "jobs": _default(data.get("jobs"), {})}
        if isinstance(data["jobs"], dict):
            data["jobs"] = {name: {**job, "shards": _default(job.get("shards"), [])} if isinstance(job, dict) else job
                            for name, job in data["jobs"].items()}
        try:
            state: State = _adapter().validate_json(json.dumps(data), strict=True)
        except ValidationError as exc:
            error = exc.errors()[0]
            if error["type"] == "json_invalid":  # a lone surrogate ("\ud800"): not text any JSON reader keeps
                raise StateError(f"state file {source} is not valid: it holds text that is not valid Unicode "
                                 f"({error['msg']}); restore it from a backup, or delete it to let specrun adopt "
                                 "the batches from the provider") from None
            where, words = _where(error["loc"])
            if error["type"] == "missing":
                words = "present"
            raise StateError(f"state file {source} is not valid: {where} must be {words}, not "
                             f"{json.dumps(error.get('input'))[:80] if error['type'] != 'missing' else 'missing'}; "
                             "restore it from a backup, or delete it to let specrun adopt the batches from the "
                             "provider") from None
        return state


def _default(value: Any, default: Any) -> Any:
    return default if value is None else value


#: A whole number >= 0 (counts, sizes, indexes, serials), as the state's typed model checks it.
Count = Annotated[int, Ge(0)]


@functools.cache
def _adapter() -> Any:
    """The state file's typed model (pydantic, imported on first use: it is not cheap)."""
    from pydantic import TypeAdapter

    return TypeAdapter(State)


def _where(loc: tuple[Any, ...]) -> tuple[str, str]:
    """A pydantic error location as the field's path (``jobs.a.shards[0].batch_id``) and what it must be."""
    where = ""
    annotation: Any = State
    for part in loc:
        if isinstance(part, int):
            where += f"[{part}]"
        else:
            where += f".{part}" if where else str(part)
        annotation = _inner(annotation, part)
    return where, _words(annotation)


def _inner(annotation: Any, part: Any) -> Any:
    """The type one step into ``annotation``: a dataclass field, a dict value or a list item."""
    annotation = _unwrap(annotation)
    if dataclasses.is_dataclass(annotation):
        return typing.get_type_hints(annotation, include_extras=True).get(part, Any)
    args = typing.get_args(annotation)
    return args[-1] if args else Any


def _unwrap(annotation: Any) -> Any:
    """``X | None`` → X (the other members of a union of one type and None)."""
    args = [a for a in typing.get_args(annotation) if a is not type(None)]
    if typing.get_origin(annotation) in (types.UnionType, typing.Union) and len(args) == 1:
        return args[0]
    return annotation


def _words(annotation: Any) -> str:
    """What a value of ``annotation`` must be, in the words the state errors use."""
    optional = _unwrap(annotation) is not annotation
    base = _unwrap(annotation)
    words = "a value of another type"
    metadata = getattr(base, "__metadata__", ())
    plain = typing.get_args(base)[0] if metadata else base
    origin = typing.get_origin(plain)
    if plain is str:
        words = "a non-empty string" if any(isinstance(m, MinLen) for m in metadata) else "a string"
    elif plain is int:
        words = "a whole number >= 0"
    elif origin is list:
        item = _words(typing.get_args(plain)[0])
        words = "a list of strings" if item == "a string" else (
            "a list of whole numbers" if item.startswith("a whole number") else "a list")
    elif origin is dict:
        words = "a mapping of strings" if typing.get_args(plain)[1] is str else "a mapping of job names"
    elif dataclasses.is_dataclass(plain):
        words = "a mapping"
    return f"{words} or null" if optional and words != "a mapping of job names" else words


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
