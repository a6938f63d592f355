"""Shared state backends (DESIGN §9): the state and its lock in a database every run can reach.

The local backend is ``specrun.state.FileStateStore`` (``.specrun/`` beside the spec).
Each module here implements the same ``specrun.state.StateStore`` protocol, and imports
its driver only when it is used, so specrun runs without it until a spec names it.
"""

from __future__ import annotations

from specrun.backends.postgres import POSTGRES_EXTRA, SCHEMA_VERSION, PostgresStateStore

__all__ = ["PostgresStateStore", "POSTGRES_EXTRA", "SCHEMA_VERSION"]
