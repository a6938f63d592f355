"""Execute a Plan, step by step, saving state after every remote side effect.

``executor`` drives the plan (and decides only *how*, never *what*); its parts are
``submit`` (reconcile, upload, create), ``wait`` (one poll loop for every job) and
``finish`` (download, join, write results). ``values`` holds what apply is told and
what it reports.
"""

from __future__ import annotations

from specrun.apply.executor import CRASH_ENV, Executor
from specrun.apply.finish import output_problem
from specrun.apply.values import (
           ApplyInterrupted,
           ApplyOptions,
           ApplyReport,
           JobOutcome,
           ProgressSink,
)
from specrun.reconcile import download_name

__all__ = ["ApplyOptions", "JobOutcome", "ApplyReport", "Executor", "ApplyInterrupted", "ProgressSink",
           "CRASH_ENV", "download_name", "output_problem"]
