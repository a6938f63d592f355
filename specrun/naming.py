"""How specrun names what it uploads (the provider finds a job's files again by these names), and
what a row's custom_id may hold (it goes into file names, logs and terminals).

``specrun-<job>-<sha256[:16]>.jsonl`` for every shard — a job's first round, a retry round,
the requests an edit added (DESIGN §5): content-derived, so a lost state or a lost answer is
adopted by listing, never re-sent. (Before the row ledger, retry rounds were named
``specrun-<job>-<input16>-retry<N>-<sha16>.jsonl``; such files are still found and adopted.)
"""

from __future__ import annotations

import unicodedata

from specrun.errors import RenderError

__all__ = ["shard_filename", "retry_prefix", "retry_filename", "refuse_custom_id"]


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


# Characters a custom_id may not hold: it ends up in file names, logs and terminals.
# Control characters (newlines, tabs, escape sequences), line/paragraph separators and
# the bidirectional overrides that make text display in another order than it reads.
_UNSAFE_ID_CATEGORIES = frozenset({"Cc", "Zl", "Zp", "Cs"})
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def refuse_custom_id(job: str, custom_id: str, row_words: str) -> None:
    """Raise if ``custom_id`` is empty, only whitespace, or holds a control character.

    Any other text is fine (called only when the fast ``isprintable`` check fails,
    which it also does for harmless format characters such as emoji joiners).
    """
    where = f"job {job!r}, id: the custom_id of {row_words}"
    if not custom_id:
        raise RenderError(f"{where} renders empty")
    if custom_id.isspace():
        raise RenderError(f"{where} renders only whitespace ({_shorten(custom_id)})")
    for char in custom_id:
        if char in _BIDI_CONTROLS or unicodedata.category(char) in _UNSAFE_ID_CATEGORIES:
            raise RenderError(f"{where} holds the control character U+{ord(char):04X} ({_shorten(custom_id)}); "
                              "custom_ids go into file names, logs and terminals, so they must be printable text")


def _shorten(text: str, limit: int = 60) -> str:
    shown = repr(text if len(text) <= limit else text[:limit])
    return shown if len(text) <= limit else shown + "..."
