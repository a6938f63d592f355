"""What the Anthropic client keeps on disk, since Message Batches have no files and no metadata.

``FileStore``: the request files specrun "uploads". Anthropic takes the requests inline
when the batch is created, so an upload is a local copy, named by its content
(``file-specrun-<sha256 of name and bytes>``): uploading the same shard twice gives the same id, and
listing files (adoption after lost state) works as it does on an OpenAI-style API.

``Journal``: an append-only, fsynced log of creations, one JSON object a line:

    {"op": "intent",  "file": F, "requests": N, "at": T}   before the POST
    {"op": "sent",    "file": F, "at": T}                  the whole body left this process
    {"op": "lost",    "file": F, "answered": bool, "at": T} the answer was lost (or an error status came)
    {"op": "created", "file": F, "batch": B, "at": T, "how": H}   the batch B is F's
    {"op": "settled", "file": F, "at": T}                  an intent that created nothing

It is what ties a batch to its request file (the API cannot say), and what tells a
lost creation answer (an intent with no ``created``) from a POST that never happened.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from specrun._files import atomic_write_bytes, atomic_write_chunks, hash_file
from specrun.errors import SpecrunError

__all__ = ["FileStore", "StoredFile", "Journal", "Intent"]

_ID_PREFIX = "file-specrun-"


@dataclass(frozen=True)
class StoredFile:
    id: str
    filename: str
    bytes: int
    requests: int
    created_at: int

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "object": "file", "filename": self.filename, "bytes": self.bytes,
                "requests": self.requests, "created_at": self.created_at, "purpose": "batch"}


class FileStore:
    """Request files by content id, in ``<root>/files``."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root) / "files"

    def path(self, file_id: str) -> Path:
        return self.root / f"{file_id}.jsonl"

    def put(self, source: Path, filename: str) -> StoredFile:
        """Copy ``source`` in (once: the same name and bytes give the same id, and a file
        already kept is only read, not copied again) and describe it."""
        file_id = _file_id(hash_file(Path(source), _digest(filename)))
        known = self.get(file_id)
        if known is not None:
            return known
        self.root.mkdir(parents=True, exist_ok=True)
        digest, lines, last = _digest(filename), 0, b"\n"

        def chunks() -> Iterator[bytes]:
            nonlocal lines, last
            with Path(source).open("rb") as handle:
                for chunk in iter(lambda: handle.read(1 << 20), b""):
                    digest.update(chunk)
                    lines += chunk.count(b"\n")
                    last = chunk[-1:]
                    yield chunk

        size = atomic_write_chunks(self.path(file_id), chunks())
        if _file_id(digest) != file_id:
            self.path(file_id).unlink(missing_ok=True)
            raise SpecrunError(f"{source} changed while specrun was keeping a copy of it; run again")
        lines += 1 if size and last != b"\n" else 0
        stored = StoredFile(file_id, filename, size, lines, int(time.time()))
        atomic_write_bytes(self.root / f"{file_id}.json", json.dumps(stored.as_dict()).encode())
        return stored

    def get(self, file_id: str) -> StoredFile | None:
        meta = self.root / f"{file_id}.json"
        if not file_id.startswith(_ID_PREFIX) or "/" in file_id or not meta.is_file() \
                or not self.path(file_id).is_file():
            return None
        try:
            data = json.loads(meta.read_text())
            return StoredFile(data["id"], data["filename"], int(data["bytes"]), int(data["requests"]),
                              int(data["created_at"]))
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def all(self) -> list[StoredFile]:
        """Every stored file, newest first."""
        if not self.root.is_dir():
            return []
        found = [self.get(meta.stem) for meta in self.root.glob(f"{_ID_PREFIX}*.json")]
        return sorted((f for f in found if f is not None), key=lambda f: (-f.created_at, f.id))

    def lines(self, file_id: str) -> Iterator[bytes]:
        with self.path(file_id).open("rb") as handle:
            for raw in handle:
                if raw.strip():
                    yield raw

    def custom_ids(self, file_id: str) -> set[str]:
        return {json.loads(raw)["custom_id"] for raw in self.lines(file_id)}


def _digest(filename: str) -> hashlib._Hash:
    return hashlib.sha256(filename.encode() + b"\0")


def _file_id(digest: hashlib._Hash) -> str:
    return _ID_PREFIX + digest.hexdigest()[:40]


@dataclass
class Intent:
    """A creation begun for ``file`` whose batch the journal does not know (yet)."""

    file: str
    requests: int
    at: float
    sent_at: float | None = None
    answered: bool = False       # the answer was lost, but an answer (an error status) came


@dataclass
class Journal:
    """The creations log (see the module docstring), loaded whole: it grows by a few lines a batch."""

    path: Path
    batches: dict[str, str] = field(default_factory=dict)        # batch id -> file id
    intents: dict[str, Intent] = field(default_factory=dict)     # file id -> open intent

    @classmethod
    def open(cls, root: Path) -> Journal:
        journal = cls(Path(root) / "journal.jsonl")
        try:
            text = journal.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return journal
        except OSError as exc:
            raise SpecrunError(f"cannot read {journal.path}: {exc.strerror or exc}") from exc
        for line in text.splitlines():
            try:
                record = json.loads(line)
            except ValueError:
                continue  # a line cut short by a crash: the records before it stand
            if isinstance(record, dict):
                journal._apply(record)
        return journal

    def _apply(self, record: dict[str, Any]) -> None:
        op, file_id = record.get("op"), record.get("file")
        if not isinstance(file_id, str):
            return
        if op == "intent":
            self.intents[file_id] = Intent(file_id, int(record.get("requests") or 0), float(record.get("at") or 0))
        elif op == "sent" and file_id in self.intents:
            self.intents[file_id].sent_at = float(record.get("at") or 0)
        elif op == "lost" and file_id in self.intents:
            self.intents[file_id].answered = bool(record.get("answered"))
        elif op == "created" and isinstance(record.get("batch"), str):
            self.batches[record["batch"]] = file_id
            self.intents.pop(file_id, None)
        elif op == "settled":
            self.intents.pop(file_id, None)

    def write(self, op: str, file_id: str, **fields: Any) -> None:
        """Append one record and fsync it before anything else happens."""
        record = {"op": op, "file": file_id, "at": time.time(), **fields}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        line = (json.dumps(record, separators=(",", ":")) + "\n").encode()
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, line)
            os.fsync(fd)
        finally:
            os.close(fd)
        self._apply(record)

    def batches_of(self, file_id: str) -> list[str]:
        return [batch for batch, of in self.batches.items() if of == file_id]
