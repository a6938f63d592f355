"""Jinja's filters and the methods of text, each sized before it runs.

Every filter counts as a step; a filter that turns its input into text takes plain
data only; filters and methods whose result can be huge (``|center``, ``|replace``,
``|join``, ``|tojson(indent)``, ``.ljust()``, ``.join()``...) are checked against the
limits from their arguments first, and filters that work in Python per word or line
(``|urlize``, ``|wordwrap``...) take at most ``MAX_SLOW_TEXT`` characters.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Callable, Mapping
from typing import Any

import jinja2
from jinja2.filters import FILTERS, make_attrgetter

from specrun._sandbox.formatting import check_percent
from specrun._sandbox.limits import (
    MAX_ITEMS,
    MAX_SLOW_TEXT,
    MAX_TEXT,
    TemplateRefused,
    check_items,
    check_text_size,
    checked,
    int_arg,
    step,
)
from specrun._sandbox.plain import as_text, text_size

__all__ = ["make_filters", "check_method_call"]

def _items(value: Any, how: str) -> list[Any]:
    """``value`` as a list, refused before it is built if it would hold more than ``MAX_ITEMS``."""
    if hasattr(value, "__len__"):
        check_items(len(value), how)
    if isinstance(value, jinja2.Undefined):
        value._fail_with_undefined_error()
    items = list(itertools.islice(value, MAX_ITEMS + 1))
    check_items(len(items), how)
    return items


def _arg(args: tuple, kwargs: Mapping[str, Any], position: int, name: str, default: Any) -> Any:
    return args[position] if len(args) > position else kwargs.get(name, default)


def _pre_center(value: Any, args: tuple, kwargs: Mapping[str, Any]) -> None:
    int_arg(_arg(args, kwargs, 0, "width", 80), MAX_TEXT, "|center: a width")


def _pre_indent(value: Any, args: tuple, kwargs: Mapping[str, Any]) -> None:
    width = _arg(args, kwargs, 0, "width", 4)
    indent = len(width) if isinstance(width, str) else width if isinstance(width, int) else 0
    text = str(value)
    check_text_size(len(text) + (text.count("\n") + 2) * max(indent, 0), "|indent")


def _pre_wordwrap(value: Any, args: tuple, kwargs: Mapping[str, Any]) -> None:
    text = str(value)
    width = _arg(args, kwargs, 0, "width", 79)
    wrapstring = _arg(args, kwargs, 2, "wrapstring", None) or "\n"
    if isinstance(width, int) and width > 0:
        lines = len(text) // width + text.count(" ") + text.count("\n") + text.count("\t") + 1
        check_text_size(len(text) + lines * len(str(wrapstring)), "|wordwrap")


def _replaced_size(text: Any, old: Any, new: Any, count: Any) -> int:
    text, old, new = str(text), str(old), str(new)
    occurrences = text.count(old)
    if isinstance(count, int) and count >= 0:
        occurrences = min(occurrences, count)
    return len(text) + occurrences * (len(new) - len(old))


def _pre_replace(value: Any, args: tuple, kwargs: Mapping[str, Any]) -> None:
    if len(args) >= 2 or "new" in kwargs:
        size = _replaced_size(value, _arg(args, kwargs, 0, "old", ""), _arg(args, kwargs, 1, "new", ""),
                              _arg(args, kwargs, 2, "count", None))
        check_text_size(size, "|replace")


def _pre_format(value: Any, args: tuple, kwargs: Mapping[str, Any]) -> None:
    check_percent(str(value), kwargs or args, "|format")


def _pre_count(name: str, position: int, keyword: str) -> Callable[[Any, tuple, Mapping[str, Any]], None]:
    def check(value: Any, args: tuple, kwargs: Mapping[str, Any]) -> None:
        int_arg(_arg(args, kwargs, position, keyword, 0), MAX_ITEMS, f"|{name}: a count")
    return check


def _pre_sized(name: str) -> Callable[[Any, tuple, Mapping[str, Any]], None]:
    def check(value: Any, args: tuple, kwargs: Mapping[str, Any]) -> None:
        if hasattr(value, "__len__") and not isinstance(value, jinja2.Undefined):
            check_items(len(value), f"|{name}")
    return check


def _pre_tojson(value: Any, args: tuple, kwargs: Mapping[str, Any]) -> None:
    indent = _arg(args, kwargs, 0, "indent", None)
    indent_width = len(indent) if isinstance(indent, str) else indent if isinstance(indent, int) else 0
    if indent_width > 0:
        size = text_size(value, "pass to |tojson")  # plain data, so the walk below is bounded
        lines, deepest, stack = 1, 0, [(value, 1)]
        while stack:  # each value inside a list or dict gets its own line, indented by its depth
            item, depth = stack.pop()
            if isinstance(item, (list, tuple, dict)):
                members = list(item.values()) if isinstance(item, dict) else item
                lines += len(members) + 1
                deepest = max(deepest, depth)
                check_items(lines, "|tojson with indent")  # a value sharing its parts: bounded walk
                stack.extend((member, depth + 1) for member in members)
        check_text_size(size + lines * deepest * indent_width, "|tojson with indent")


def _pre_urlize(value: Any, args: tuple, kwargs: Mapping[str, Any]) -> None:
    text = str(value)
    extra = sum(len(str(v)) for v in list(args[1:]) + list(kwargs.values()) if isinstance(v, str))
    check_text_size(3 * len(text) + (text.count(" ") + 1) * extra, "|urlize")


def _pre_slow(name: str, then: Callable[[Any, tuple, Mapping[str, Any]], None] | None = None
              ) -> Callable[[Any, tuple, Mapping[str, Any]], None]:
    """Refuse more than ``MAX_SLOW_TEXT`` into a filter that loops in Python over words or lines."""
    def check(value: Any, args: tuple, kwargs: Mapping[str, Any]) -> None:
        size = text_size(value, f"pass to |{name}")
        if size > MAX_SLOW_TEXT:
            raise TemplateRefused(f"|{name} of {size:,} characters would take too long; at most {MAX_SLOW_TEXT:,}")
        if then is not None:
            then(value, args, kwargs)
    return check


_PRECHECKS: dict[str, Callable[[Any, tuple, Mapping[str, Any]], None]] = {
    "center": _pre_center,
    "replace": _pre_replace,
    "format": _pre_format,
    "batch": _pre_count("batch", 0, "linecount"),
    "slice": _pre_count("slice", 0, "slices"),
    "tojson": _pre_tojson,
    "indent": _pre_slow("indent", _pre_indent),
    "wordwrap": _pre_slow("wordwrap", _pre_wordwrap),
    "urlize": _pre_slow("urlize", _pre_urlize),
    "title": _pre_slow("title"),
    "pprint": _pre_slow("pprint"),
    **{name: _pre_sized(name) for name in ("list", "sort", "unique", "dictsort", "items", "groupby", "reverse")},
}

# Filters that take any iterable or pass a value through; every other filter turns
# its input into text, so its input must be plain data.
_ITERATING_FILTERS = frozenset({
    "attr", "batch", "count", "d", "default", "dictsort", "first", "groupby", "items", "join", "last", "length",
    "list", "map", "max", "min", "reject", "rejectattr", "reverse", "select", "selectattr", "slice", "sort", "sum",
    "unique",
})


def _checked_filter(name: str, function: Callable[..., Any]) -> Callable[..., Any]:
    value_at = 1 if getattr(function, "jinja_pass_arg", None) is not None else 0
    precheck = _PRECHECKS.get(name)
    makes_text = name not in _ITERATING_FILTERS
    how = f"pass to |{name}"

    @functools.wraps(function)
    def checked_filter(*args: Any, **kwargs: Any) -> Any:
        step()
        if makes_text:
            for argument in args[value_at:]:
                if type(argument) is not str:
                    text_size(argument, how)
            for argument in kwargs.values():
                if type(argument) is not str:
                    text_size(argument, how)
        if precheck is not None and len(args) > value_at:
            precheck(args[value_at], args[value_at + 1:], kwargs)
        return checked(function(*args, **kwargs), f"|{name}")

    return checked_filter


@jinja2.pass_eval_context
def _join(eval_ctx: Any, value: Any, d: Any = "", attribute: Any = None) -> str:
    """``|join``, sized before it runs: items must be plain data, the text at most ``MAX_TEXT``."""
    step()
    if attribute is not None:
        value = map(make_attrgetter(eval_ctx.environment, attribute), value)
    items = _items(value, "|join")
    separator = as_text(d, "join with")
    size = len(separator) * max(len(items) - 1, 0)
    check_text_size(size, "|join")
    for item in items:
        size += text_size(item, "join")
        check_text_size(size, "|join")
    return checked(FILTERS["join"](eval_ctx, items, d), "|join")


@jinja2.pass_environment
def _sum(environment: Any, iterable: Any, attribute: Any = None, start: Any = 0) -> Any:
    """``|sum``; lists and tuples are concatenated in linear time and sized first."""
    step()
    if attribute is not None:
        iterable = map(make_attrgetter(environment, attribute), iterable)
    items = _items(iterable, "|sum")
    if isinstance(start, (list, tuple)) and all(type(item) is type(start) for item in items):
        check_items(len(start) + sum(len(item) for item in items), "|sum")
        joined = list(itertools.chain(start, *items))
        return joined if isinstance(start, list) else tuple(joined)
    return checked(sum(items, start), "|sum")


def make_filters() -> dict[str, Callable[..., Any]]:
    filters = {name: _checked_filter(name, function) for name, function in FILTERS.items() if name != "random"}
    filters["join"] = _join
    filters["sum"] = _sum
    return filters


# --------------------------------------------------------------------------- str and bytes methods


def _check_text_method(owner: str | bytes, name: str, args: tuple, kwargs: dict[str, Any]) -> tuple:
    """Size a call of a str/bytes method before it runs; return the (possibly materialized) args."""
    how = f".{name}()"
    if name in ("center", "ljust", "rjust", "zfill"):
        int_arg(_arg(args, kwargs, 0, "width", 0), MAX_TEXT, f"{how}: a width")
    elif name == "expandtabs":
        tabsize = _arg(args, kwargs, 0, "tabsize", 8)
        if isinstance(tabsize, int):
            tab = "\t" if isinstance(owner, str) else b"\t"
            check_text_size(len(owner) + owner.count(tab) * max(tabsize, 0), how)  # type: ignore[arg-type]
    elif name == "join" and args:
        items = _items(args[0], how)
        size = len(owner) * max(len(items) - 1, 0)
        check_text_size(size, how)
        for item in items:
            size += len(item) if isinstance(item, (str, bytes)) else 0
            check_text_size(size, how)
        args = (items, *args[1:])
    elif name == "replace" and len(args) >= 2 and isinstance(owner, str):
        check_text_size(_replaced_size(owner, args[0], args[1], _arg(args, kwargs, 2, "count", None)), how)
    elif name == "translate" and args and isinstance(args[0], dict):
        longest = max((len(v) for v in args[0].values() if isinstance(v, (str, bytes))), default=1)
        check_text_size(len(owner) * max(longest, 1), how)
    return args


def check_method_call(method: Any, args: tuple, kwargs: dict[str, Any]) -> tuple:
    owner = method.__self__
    if isinstance(owner, (str, bytes)):
        return _check_text_method(owner, method.__name__, args, kwargs)
    if type(owner) is int and method.__name__ == "to_bytes":
        int_arg(_arg(args, kwargs, 0, "length", 1), MAX_TEXT, ".to_bytes(): a length")
    return args
