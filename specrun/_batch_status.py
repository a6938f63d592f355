"""Batch status: one enum for the whole code base (provider replies, state, plan, apply).

The eight OpenAI batch statuses, with what specrun needs to know of each: ``is_live``
(the provider is still working on it: wait), ``is_dead`` (it ended without finishing:
its unanswered requests need a retry), ``is_terminal`` (it will not change any more).
"""

from __future__ import annotations

import enum
import re

__all__ = ["BatchStatus", "LIVE_STATUSES", "DEAD_STATUSES", "is_live", "is_dead", "is_completed"]

_WORD = re.compile(r"[A-Za-z][A-Za-z0-9_. -]{0,63}")


class BatchStatus(str, enum.Enum):
    """The eight OpenAI batch statuses.

    A status outside these (some servers say ``queued`` or ``running``) is mapped to
    its obvious equivalent; anything else becomes a non-terminal pseudo-member, so an
    unexpected word never crashes a poll loop.
    """

    VALIDATING = "validating"
    FAILED = "failed"
    IN_PROGRESS = "in_progress"
    FINALIZING = "finalizing"
    COMPLETED = "completed"
    EXPIRED = "expired"
    CANCELLING = "cancelling"
    CANCELLED = "cancelled"

    @property
    def is_terminal(self) -> bool:
        return self in (BatchStatus.FAILED, BatchStatus.COMPLETED, BatchStatus.EXPIRED, BatchStatus.CANCELLED)

    @property
    def is_live(self) -> bool:
        """Still being worked on (validating, in progress, finalizing, cancelling, or a word we do not know)."""
        return not self.is_terminal

    @property
    def is_dead(self) -> bool:
        """Ended without finishing: its requests that have no answer need a retry."""
        return self in (BatchStatus.FAILED, BatchStatus.EXPIRED, BatchStatus.CANCELLED)

    @classmethod
    def _missing_(cls, value: object) -> BatchStatus | None:
        # Only words: a status is shown on the terminal and stored in state.
        if not isinstance(value, str) or _WORD.fullmatch(value.strip()) is None:
            return None
        word = value.strip().lower().replace("-", "_").replace(" ", "_")
        alias = _STATUS_ALIASES.get(word, word)
        for member in cls:
            if member.value == alias:
                return member
        pseudo = str.__new__(cls, value)
        pseudo._name_ = word.upper() or "UNKNOWN"
        pseudo._value_ = value
        return pseudo


_STATUS_ALIASES = {
    "queued": "validating",
    "pending": "validating",
    "running": "in_progress",
    "processing": "in_progress",
    "succeeded": "completed",
    "success": "completed",
    "done": "completed",
    "canceled": "cancelled",
    "canceling": "cancelling",
    "error": "failed",
    "errored": "failed",
}



def _member(status: object) -> BatchStatus | None:
    try:
        return BatchStatus(status)
    except ValueError:
        return None


def is_live(status: object) -> bool:
    """The provider is still working on a batch in this status (an unknown word counts as live)."""
    member = _member(status) if status is not None else None
    return member is not None and not member.is_terminal


def is_dead(status: object) -> bool:
    """The batch ended without finishing: failed, expired or cancelled."""
    member = _member(status) if status is not None else None
    return member is not None and member.is_dead


def is_completed(status: object) -> bool:
    return status is not None and _member(status) is BatchStatus.COMPLETED


#: The statuses by name, for messages and JSON (the enum decides; these only list it).
LIVE_STATUSES = tuple(s.value for s in BatchStatus if not s.is_terminal)
DEAD_STATUSES = tuple(s.value for s in BatchStatus if s.is_dead)
