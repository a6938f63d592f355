"""The one Jinja2 environment templates run in: immutable sandbox, strict undefined, every route to text checked.

Attribute and item lookups on a dict mean its keys only (a missing column is
undefined, even when a dict method has its name); changing data is refused
(:class:`_ReadOnly`); loops, calls, operators, ``~`` and ``.format()`` go through
the limits (:mod:`specrun._sandbox.limits`) and the plain-data checks
(:mod:`specrun._sandbox.plain`); the filters are the checked ones
(:mod:`specrun._sandbox.filters`), without ``random`` and ``lipsum``.
"""

from __future__ import annotations

import functools
import types
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import jinja2
from jinja2.runtime import LoopContext, markup_join
from jinja2.sandbox import (
    ImmutableSandboxedEnvironment,
    SandboxedFormatter,
    SecurityError,
    modifies_known_mutable,
)
from markupsafe import Markup

from specrun._sandbox.codegen import SandboxCodeGenerator
from specrun._sandbox.filters import check_method_call, make_filters
from specrun._sandbox.formatting import EscapeFormatter, Formatter, check_percent
from specrun._sandbox.limits import (
    MAX_NESTING,
    METER,
    TemplateRefused,
    check_bits,
    check_items,
    check_text_size,
    checked,
    step,
    work,
)
from specrun._sandbox.plain import as_text, finalize, text_size

__all__ = ["ENVIRONMENT"]

class _ReadOnly(TemplateRefused, SecurityError):
    """A template tried to change a row, vars or another list/dict/set."""


def _concat(pieces: Iterable[str]) -> str:
    """Join the text a block, macro or ``{% set %}`` rendered; sized before joining."""
    pieces = pieces if isinstance(pieces, list) else list(pieces)
    size = sum(map(len, pieces))
    check_text_size(size, "the template")
    work(size)
    return "".join(pieces)


class _Environment(ImmutableSandboxedEnvironment):
    code_generator_class = SandboxCodeGenerator
    intercepted_binops = frozenset({"*", "**", "+", "%"})
    concat = staticmethod(_concat)

    def getattr(self, obj: Any, attribute: str) -> Any:
        # For a dict, obj.name is the key only: a missing column named like a dict
        # method (values, items) is undefined, not the method. No exception on the hot path.
        if type(obj) is dict or isinstance(obj, dict):
            try:
                return obj[attribute]
            except KeyError:
                return self.undefined(obj=obj, name=attribute)
        return super().getattr(obj, attribute)

    def getitem(self, obj: Any, argument: Any) -> Any:
        if type(obj) is dict or isinstance(obj, dict):
            try:
                return obj[argument]
            except (KeyError, TypeError):
                return self.undefined(obj=obj, name=argument)
        return super().getitem(obj, argument)

    def getmethod(self, obj: Any, attribute: str) -> Any:
        """``obj.name(...)``: a dict's key first, then its (read-only) method."""
        if isinstance(obj, dict) and attribute not in obj:
            return super().getattr(obj, attribute)
        return self.getattr(obj, attribute)

    def unsafe_undefined(self, obj: Any, attribute: str) -> jinja2.Undefined:
        if modifies_known_mutable(obj, attribute):
            return self.undefined(
                f"templates cannot change data: {attribute!r} would modify a {type(obj).__name__} "
                "(rows, vars and every list or dict are read-only)",
                name=attribute, obj=obj, exc=_ReadOnly,
            )
        return super().unsafe_undefined(obj, attribute)

    def guard_iter(self, iterable: Any) -> Iterator[Any]:
        """Count each loop iteration as a step (see ``MAX_STEPS``)."""
        for item in iterable:
            step()
            yield item

    def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        step()
        if isinstance(__obj, types.BuiltinMethodType) and __obj.__self__ is not None:
            args = check_method_call(__obj, args, kwargs)
        elif isinstance(__obj, LoopContext) and args:  # a recursive loop: its iterations count too
            args = (__self.guard_iter(args[0]), *args[1:])
        meter = METER
        if meter.depth >= MAX_NESTING:  # before Python's own recursion limit, with a clearer message
            raise TemplateRefused(f"the template calls macros or loops inside each other more than {MAX_NESTING} "
                                  "deep (a macro or a loop calling itself?)")
        meter.depth += 1
        try:
            result = ImmutableSandboxedEnvironment.call(__self, __context, __obj, *args, **kwargs)
        finally:
            meter.depth -= 1
        return checked(result, "the call")

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        how = f"'{operator}'"
        if operator == "*":
            for text, times in ((left, right), (right, left)):
                if isinstance(times, int) and isinstance(text, (str, bytes)):
                    check_text_size(len(text) * times, how)
                elif isinstance(times, int) and isinstance(text, (list, tuple)):
                    check_items(len(text) * times, how)
            if isinstance(left, int) and isinstance(right, int):
                check_bits(left.bit_length() + right.bit_length(), how)
        elif operator == "**":
            if isinstance(left, int) and isinstance(right, int) and right > 0 and abs(left) > 1:
                check_bits(left.bit_length() * right, how)
        elif operator == "+":
            if isinstance(left, (str, bytes)) and isinstance(right, (str, bytes)):
                check_text_size(len(left) + len(right), how)
            elif isinstance(left, (list, tuple)) and isinstance(right, (list, tuple)):
                check_items(len(left) + len(right), how)
        elif operator == "%" and isinstance(left, (str, bytes)):
            check_percent(left, right, "format with '%'")
        return checked(self.binop_table[operator](left, right), how)

    def str_join(self, values: Iterable[Any]) -> str:
        """``a ~ b``: plain data only, sized before joining."""
        return _concat([as_text(value, "join with '~'") for value in values])

    def markup_join(self, values: Iterable[Any]) -> str:
        values = list(values)
        for value in values:
            if type(value) is not str:
                text_size(value, "join with '~'")
        return checked(markup_join(values), "'~'")

    def wrap_str_format(self, value: Any) -> Callable[..., str] | None:
        """``'...'.format(...)`` / ``.format_map(...)``, with fields checked as they are formatted."""
        if not isinstance(value, (types.MethodType, types.BuiltinMethodType)) \
                or value.__name__ not in ("format", "format_map") or not isinstance(value.__self__, str):
            return None
        text: str = value.__self__
        is_format_map = value.__name__ == "format_map"
        formatter: SandboxedFormatter
        formatter = EscapeFormatter(self, escape=text.escape) if isinstance(text, Markup) else Formatter(self)

        def wrapper(*args: Any, **kwargs: Any) -> str:
            if is_format_map:
                if kwargs:
                    raise TypeError("format_map() takes no keyword arguments")
                if len(args) != 1:
                    raise TypeError(f"format_map() takes exactly one argument ({len(args)} given)")
                kwargs, args = args[0], ()
            formatter.total = 0
            return type(text)(formatter.vformat(text, args, kwargs))

        return functools.update_wrapper(wrapper, value)


def _make_environment() -> _Environment:
    env = _Environment(undefined=jinja2.StrictUndefined, autoescape=False, finalize=finalize)
    env.filters = make_filters()
    env.globals.pop("lipsum", None)
    return env


ENVIRONMENT = _make_environment()
