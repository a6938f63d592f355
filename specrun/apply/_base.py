"""What the executor's parts share: its attributes, and the steps one part calls on another.

``Executor`` is put together from ``_Submitting``, ``_Waiting`` and ``_Finishing``;
each uses the executor's state, client and options and steps defined elsewhere
(``_save`` by the executor, ``_update_shard`` by waiting, ``_finish`` by finishing).
Declaring them here, once, lets the type checker check every part against them.
Declarations only: nothing here runs.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from specrun.apply.values import ApplyOptions, JobOutcome, ProgressSink
    from specrun.client import Batch
    from specrun.ledger import LedgerStore
    from specrun.plan import JobPlan
    from specrun.provider import Provider
    from specrun.spec import Job, Spec
    from specrun.state import ShardState, State, StateStore


class _ExecutorBase:
    """The attributes ``Executor.__init__`` sets, and the steps the parts call across."""

    spec: Spec
    state: State
    store: StateStore
    client: Provider
    ledger: LedgerStore
    build_dir: Path
    downloads_dir: Path
    options: ApplyOptions
    progress: ProgressSink
    echo: Callable[[str], None]
    sleep: Callable[[float], None]
    clock: Callable[[], float]
    _retried: set[str]                # jobs retried in this run (an expired batch is retried once)
    _deferred_retry: set[str]         # planned waits whose last round ended early
    _retry_errors: dict[str, bool]    # jobs whose retry also re-sends rows with errors
    _sent: dict[str, tuple[set[str], int, int]]  # job → (shards sent by this apply, est. input, output bound)

    if TYPE_CHECKING:
        # Executor
        def _save(self) -> None: ...
        def _crash_point(self, name: str) -> None: ...
        def _submit_shards(self, job: Job, job_plan: JobPlan) -> None: ...
        def _next_round(self, job: Job) -> bool: ...

        # _Waiting
        def _update_shard(self, shard: ShardState, batch: Batch) -> bool: ...

        # _Finishing
        def _finish(self, job: Job) -> JobOutcome: ...
