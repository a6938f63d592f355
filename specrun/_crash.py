"""Test hook: ``SPECRUN_CRASH_AT=<point>`` SIGKILLs the process at that point, to prove recovery.

The points: ``after-upload`` and ``after-create`` (the executor: after the remote effect,
before the state write) and ``after-post`` (the Anthropic client: the batch exists, its
creation answer arrived, and the journal does not know it yet).
"""

from __future__ import annotations

import os
import signal

__all__ = ["CRASH_ENV", "crash_point"]

CRASH_ENV = "SPECRUN_CRASH_AT"


def crash_point(name: str) -> None:
    if os.environ.get(CRASH_ENV) == name:
        os.kill(os.getpid(), signal.SIGKILL)
