"""Small file helpers shared by every writer: the user's umask, atomic writes.

``tempfile.mkstemp`` creates files with mode 0600 whatever the umask says; the
results, state and plan files specrun writes are ordinary user files, so they get
the mode ``open()`` would have given them (0666 minus the umask), like any other tool.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
import threading
from collections.abc import Iterable
from pathlib import Path

__all__ = ["default_file_mode", "use_default_mode", "atomic_write_bytes", "atomic_write_chunks", "hash_file",
           "file_sha256"]

_lock = threading.Lock()
_mode: int | None = None


def default_file_mode() -> int:
    """0666 minus the process umask (read once; umask can only be read by setting it)."""
    global _mode
    if _mode is None:
        with _lock:
            if _mode is None:
                mask = os.umask(0o022)
                os.umask(mask)
                _mode = 0o666 & ~mask
    return _mode


def use_default_mode(fd: int) -> None:
    """Give a file made by ``mkstemp`` (0600) the mode a plain ``open()`` would have."""
    with contextlib.suppress(AttributeError, OSError):  # Windows, or a filesystem without modes
        os.fchmod(fd, default_file_mode())


def atomic_write_bytes(path: Path, payload: bytes) -> None:
    """Write ``payload`` to ``path`` atomically: temp file in the same dir, fsync, rename."""
    atomic_write_chunks(path, (payload,))


def atomic_write_chunks(path: Path, chunks: Iterable[bytes]) -> int:
    """``atomic_write_bytes`` for a stream of chunks (never held whole); returns the bytes written."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    written = 0
    try:
        use_default_mode(fd)
        with os.fdopen(fd, "wb") as handle:
            for chunk in chunks:
                handle.write(chunk)
                written += len(chunk)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    try:  # make the rename durable too
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
    except OSError:
        pass
    return written


def hash_file(path: Path, digest: hashlib._Hash | None = None) -> hashlib._Hash:
    """Feed a file's bytes to ``digest`` (a new sha256 by default) in 1 MB reads; return it."""
    digest = digest if digest is not None else hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest


def file_sha256(path: Path) -> str:
    """sha256 of a file's bytes (hex)."""
    return hash_file(path).hexdigest()
