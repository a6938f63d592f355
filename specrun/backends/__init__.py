"""Shared state backends (DESIGN §9): the state, its lock and the row ledger in a database every run can reach.

The local backend is ``specrun.state.FileStateStore`` and ``specrun.ledger.Ledger``
(``.specrun/`` beside the spec). Each backend here implements the same
``specrun.state.StateStore`` and ``specrun.ledger.LedgerStore`` protocols, and imports
its driver only when it is used, so specrun runs without it until a spec names it.
"""

from __future__ import annotations

from specrun.backends.postgres import POSTGRES_EXTRA, SCHEMA_VERSION, PostgresStateStore
from specrun.backends.postgres_ledger import PostgresLedger

__all__ = ["open_backend", "PostgresStateStore", "PostgresLedger", "POSTGRES_EXTRA", "SCHEMA_VERSION"]


def open_backend(url: str, *, schema: str = "specrun", name: str) -> tuple[PostgresStateStore, PostgresLedger]:
    """The state store and the row ledger of the spec ``name`` in a postgres backend.

    Each opens a connection of its own on first use (the ledger writes in transactions,
    the store in single statements; apart, neither can end up inside the other's), and
    closes it with ``close()``. Nothing is contacted here: a bad URL or a missing
    ``postgres`` extra is refused at once, an unreachable server on first use.
    """
    return PostgresStateStore(url, schema=schema, name=name), PostgresLedger(url, schema=schema, name=name)
