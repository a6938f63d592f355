"""When to try a request again, and how long to wait first.

Which calls may be retried at all is decided in ``_sender``; this module only knows
about waiting: exponential backoff with full jitter, the server's ``Retry-After`` /
``retry-after-ms`` hints, and a budget of attempts and total seconds.
"""

from __future__ import annotations

import email.utils
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx

__all__ = ["RetryPolicy", "RetryBudget", "retry_after_seconds"]


def retry_after_seconds(response: httpx.Response, *, now: Callable[[], float] = time.time) -> float | None:
    """The delay the server asked for, in seconds, or None when it gave no usable hint.

    ``retry-after-ms`` (milliseconds, sent by OpenAI) wins over ``Retry-After``, which is
    either a number of seconds or an HTTP date.
    """
    millis = response.headers.get("retry-after-ms")
    if millis is not None:
        try:
            value = float(millis) / 1000.0
        except ValueError:
            value = -1.0
        if value >= 0:
            return value
    header = response.headers.get("retry-after")
    if header is None:
        return None
    header = header.strip()
    try:
        value = float(header)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(header)
        except (TypeError, ValueError, IndexError):
            return None
        if when is None:
            return None
        return max(0.0, when.timestamp() - now())
    return value if value >= 0 else None


@dataclass(frozen=True)
class RetryPolicy:
    """How many times, and how patiently, a retryable call is tried.

    ``max_retries`` counts attempts after the first; ``max_retry_seconds`` bounds the
    total time from the first attempt (a wait that would cross it is not started).
    Waits without a server hint are ``uniform(0, min(backoff_max, backoff_base * 2**n))``
    ("full jitter"), so many clients hitting one server spread out.
    """

    max_retries: int = 5
    max_retry_seconds: float = 120.0
    backoff_base: float = 0.5
    backoff_max: float = 30.0
    sleep: Callable[[float], None] = field(default=time.sleep, repr=False)
    clock: Callable[[], float] = field(default=time.monotonic, repr=False)
    rng: random.Random = field(default_factory=random.Random, repr=False, compare=False)

    def budget(self) -> RetryBudget:
        return RetryBudget(self)


class RetryBudget:
    """The retries left for one logical call (which may span several requests)."""

    def __init__(self, policy: RetryPolicy) -> None:
        self.policy = policy
        self.attempts = 0
        self.started = policy.clock()

    def start_attempt(self) -> int:
        self.attempts += 1
        return self.attempts

    @property
    def elapsed(self) -> float:
        return self.policy.clock() - self.started

    def next_delay(self, hint: float | None) -> float | None:
        """The wait before the next attempt, or None when the budget is spent."""
        policy = self.policy
        if self.attempts > policy.max_retries:
            return None
        if hint is not None:
            delay = hint
        else:
            ceiling = min(policy.backoff_max, policy.backoff_base * (2 ** (self.attempts - 1)))
            delay = policy.rng.uniform(0.0, ceiling)
        if self.elapsed + delay > policy.max_retry_seconds:
            return None
        return delay

    def wait(self, delay: float) -> None:
        if delay > 0:
            self.policy.sleep(delay)
