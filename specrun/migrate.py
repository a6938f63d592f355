"""``specrun backend migrate``: move a spec's state and row ledger between backends (DESIGN §9).

The state keeps its lineage (a saved plan made before the move is stale after it, since
the serial starts again in the target); the ledger's answers are copied with their
usage, model and request length, so reuse and calibrated estimates carry over. A target
that already holds a state of another lineage is refused: that is another spec's
history, or a different run of this one, and merging them would lose track of batches.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from specrun.errors import StateError
from specrun.ledger import LedgerStore
from specrun.state import StateStore

__all__ = ["Moved", "migrate"]

_BATCH = 5_000


@dataclass(frozen=True)
class Moved:
    jobs: int
    serial: int                       # the state's serial in the target, after the move
    answers: int                      # ledger outcomes copied (new or changed in the target)


def migrate(source: StateStore, source_ledger: LedgerStore, target: StateStore, target_ledger: LedgerStore,
            *, source_words: str, target_words: str) -> Moved:
    """Copy the state (under both stores' locks, taken by the caller) and every ledger answer."""
    state = source.load()
    existing = target.load()
    if state is not None and existing is not None and existing.lineage != state.lineage:
        raise StateError(f"{target_words} already holds a state of another lineage ({existing.lineage}, this one "
                         f"is {state.lineage}): nothing was moved. Point the backend at another name "
                         "(backend.name) or schema, or remove that state first")
    serial = existing.serial if existing is not None else 0
    if state is not None:
        # the target's serial decides its compare-and-swap; the jobs are the source's
        copy = dataclasses.replace(state, serial=serial, jobs=dict(state.jobs))
        target.save(copy)
        serial = copy.serial
    answers = 0
    batch = []
    for item in source_ledger.each_outcome():
        batch.append(item)
        if len(batch) >= _BATCH:
            answers += target_ledger.record(batch)
            batch = []
    if batch:
        answers += target_ledger.record(batch)
    if state is None and answers == 0 and existing is None:
        raise StateError(f"{source_words} holds no state and no answers: nothing to move")
    return Moved(jobs=len(state.jobs) if state is not None else 0, serial=serial, answers=answers)

