"""Formatting with ``%``, ``|format`` and ``'...'.format()``: plain data only, widths and sizes checked first."""

from __future__ import annotations

import re
from typing import Any

from jinja2.sandbox import SandboxedEscapeFormatter, SandboxedFormatter

from specrun._sandbox.limits import MAX_TEXT, TemplateRefused, check_text_size, int_arg, step
from specrun._sandbox.plain import text_size

__all__ = ["check_percent", "Formatter", "EscapeFormatter"]

# %-conversions: %(name)-08.3f; width and precision may be "*" (taken from the arguments)
_PERCENT = re.compile(r"%(?:\([^)]*\))?[#0 +\-]*(\*|\d+)?(?:\.(\*|\d+))?[hlL]?")
_SPEC_NUMBER = re.compile(r"\d+")


def _check_width(digits: str | None, how: str) -> bool:
    """True when the width is "*"; refuse a written one over ``MAX_TEXT``."""
    if digits == "*":
        return True
    if digits and (len(digits) > 9 or int(digits) > MAX_TEXT):
        shown = f"{int(digits):,}" if len(digits) <= 30 else f"{len(digits):,} digits"
        raise TemplateRefused(f"{how}: a width or precision of {shown} is too large (at most {MAX_TEXT:,})")
    return False


def check_percent(fmt: str | bytes, values: Any, how: str) -> None:
    """Refuse ``fmt % values`` before it runs if it would be too large or print non-data."""
    text = fmt if isinstance(fmt, str) else fmt.decode("latin-1")
    star = False
    for match in _PERCENT.finditer(text):
        star = _check_width(match.group(1), how) | _check_width(match.group(2), how) | star
    arguments = values if isinstance(values, tuple) else (values,)
    if star:
        for argument in arguments:
            int_arg(argument, MAX_TEXT, f"{how}: a width or precision")
    size = len(text) + sum(text_size(argument, how) for argument in arguments)
    check_text_size(size, how)


class _CheckedFormatting:
    """``str.format`` fields: plain data only, widths and total size within the limits."""

    total = 0

    def convert_field(self, value: Any, conversion: str | None) -> Any:
        text_size(value, "format")
        return super().convert_field(value, conversion)  # type: ignore[misc]

    def format_field(self, value: Any, format_spec: str) -> Any:
        step()
        for number in _SPEC_NUMBER.findall(format_spec):
            _check_width(number, "format")
        text_size(value, "format")
        text = super().format_field(value, format_spec)  # type: ignore[misc]
        self.total += len(text)
        check_text_size(self.total, ".format()")
        return text


class Formatter(_CheckedFormatting, SandboxedFormatter):
    pass


class EscapeFormatter(_CheckedFormatting, SandboxedEscapeFormatter):
    pass
