"""How far one template render may go, and the meter that counts it in this thread.

The limits are documented in :mod:`specrun._templates` (``Bounded``). Every check
here runs *before* the work it guards where it can (sizes are computed from the
operands), so a hostile template fails in milliseconds; :class:`TemplateRefused`
carries the words a user reads.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import jinja2

__all__ = [
    "MAX_TEXT", "MAX_ITEMS", "MAX_INT_BITS", "MAX_DEPTH", "MAX_STEPS", "MAX_WORK", "MAX_SECONDS", "MAX_SLOW_TEXT",
    "MAX_NESTING", "TemplateRefused", "RenderedTooLarge", "METER", "reset_meter", "step", "work", "too_long",
    "too_many", "check_text_size", "check_items", "check_bits", "checked", "int_arg",
]

MAX_TEXT = 16 * 1024 * 1024       # characters in one text a template builds or renders
MAX_ITEMS = 1_000_000             # items in one list/tuple/dict a template builds
MAX_INT_BITS = 65_536             # bits in one number a template computes
MAX_DEPTH = 100                   # nesting of a value that becomes text
MAX_STEPS = 250_000               # loop iterations + calls in one render (and values in one printed value)
MAX_WORK = 256 * 1024 * 1024      # characters of text built in one render, all values together
MAX_SECONDS = 5.0                 # wall time of one render (checked at every step)
MAX_SLOW_TEXT = 512 * 1024        # characters into a filter that works in Python per word or line (|urlize...)

MAX_NESTING = 40                  # brackets, blocks, unary operators, calls inside each other (jinja recurses)


class TemplateRefused(jinja2.TemplateRuntimeError):
    """The template did something specrun refuses; the message says what, in full."""


class RenderedTooLarge(TemplateRefused):
    """A template rendered more than ``MAX_TEXT`` characters (``on_too_long: skip`` may skip the row)."""

    def __init__(self, size: int) -> None:
        super().__init__(f"the template renders {size:,} characters; at most {MAX_TEXT:,} (16 MiB)")
        self.size = size


# --------------------------------------------------------------------------- budget


class _Meter(threading.local):
    """Steps and built text of the render running in this thread (reset per render)."""

    steps = 0
    work = 0
    depth = 0  # calls inside calls (macros calling macros)
    seconds = MAX_SECONDS  # wall time this render may take (set by reset_meter) ...
    deadline = 0.0  # ... counted from its first step (0: no step yet)
    compiling = False  # jinja computes constant parts of a template while compiling it


METER = _Meter()


def reset_meter(seconds: float) -> None:
    """Start a new budget in this thread: no steps or text yet, ``seconds`` of wall time from the first step."""
    meter = METER
    meter.steps = meter.work = meter.depth = 0
    meter.seconds = seconds
    meter.deadline = 0.0


def step() -> None:
    """One loop iteration, call or formatted field (templates without any never get here)."""
    meter = METER
    steps = meter.steps = meter.steps + 1
    if steps > MAX_STEPS:
        raise TemplateRefused(f"the template runs more than {MAX_STEPS:,} loop iterations and calls for one "
                              "render; simplify it")
    now = time.monotonic()
    deadline = meter.deadline
    if not deadline:
        meter.deadline = now + meter.seconds
    elif now > deadline:
        raise TemplateRefused(f"the template ran for more than {meter.seconds:g} s for one render; simplify it")


def work(characters: int) -> None:
    """``characters`` more of text built in this render (see ``MAX_WORK``)."""
    meter = METER
    total = meter.work = meter.work + characters
    if total > MAX_WORK:
        raise TemplateRefused(f"the template builds more than {MAX_WORK:,} characters of text in all for one "
                              "render; simplify it")


def too_long(size: int, how: str) -> TemplateRefused:
    return TemplateRefused(f"{how} would build a text of {size:,} characters; a template may build at most "
                           f"{MAX_TEXT:,} (16 MiB)")


def too_many(size: int, how: str) -> TemplateRefused:
    return TemplateRefused(f"{how} would build {size:,} items; a template may build at most {MAX_ITEMS:,}")


def check_text_size(size: int, how: str) -> None:
    if size > MAX_TEXT:
        raise too_long(size, how)


def check_items(size: int, how: str) -> None:
    if size > MAX_ITEMS:
        raise too_many(size, how)


_FOLD_LIMIT = 64 * 1024  # larger constant results are computed at render time, not written into the code


def checked(value: Any, how: str) -> Any:
    """``value`` (a result the template built), once its size is within the limits."""
    kind = type(value)
    size = -1
    if kind is str or kind is bytes or isinstance(value, (str, bytes)):
        size = len(value)
        check_text_size(size, how)
    elif kind is list or kind is tuple or kind is dict or isinstance(value, (list, tuple, dict)):
        size = len(value)
        check_items(size, how)
    elif kind is int and value.bit_length() > MAX_INT_BITS:
        raise TemplateRefused(f"{how} would build a number of {value.bit_length():,} bits; a template may build "
                              f"at most {MAX_INT_BITS:,}")
    if size > 0:
        work(size)
        if size > _FOLD_LIMIT and METER.compiling:
            raise TemplateRefused("too large to compute while compiling")  # jinja then leaves it to render time
    return value


def check_bits(bits: int, how: str) -> None:
    if bits > MAX_INT_BITS:
        raise TemplateRefused(f"{how} would build a number of about {bits:,} bits; a template may build at "
                              f"most {MAX_INT_BITS:,}")


def int_arg(value: Any, limit: int, what: str) -> None:
    if isinstance(value, int) and value > limit:
        raise TemplateRefused(f"{what} of {value:,} is too large (at most {limit:,})")
