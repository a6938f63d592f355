"""The Jinja2 sandbox templates run in, and the words for what went wrong in them.

One environment for the whole process. DESIGN §2 promises deterministic rendering
and ``StrictUndefined``; CI validates specs from pull requests, so both must hold for
*every* template, hostile ones included, and no template may run long or grow large.

Deterministic
    ``random``/``lipsum`` are removed, and only plain data becomes text: ``str``,
    ``int``, ``float``, ``bool``, ``None`` and lists, tuples and dicts of them. A
    method (``row.title.strip`` without ``()``), a function, a class, a generator, a
    set (its order changes from run to run), a ``cycler``/``joiner``/``namespace``
    object... is a template error wherever it would turn into text: printed
    (``finalize``), joined with ``~``, passed to a filter that makes text
    (``|string``, ``|join``, ``|upper``...), formatted with ``%``, ``|format`` or
    ``.format()``. As a last net, a rendered text holding a Python object address
    (``... at 0x7f...``) that is in neither the template nor the data is an error.

StrictUndefined
    For a dict, ``d.name`` and ``d['name']`` mean the key only: a missing column is
    undefined even when a dict method has its name (``row.values``). Calling one,
    ``row.get('x', '')`` or ``row.items()``, still reaches the method when no column
    has that name.

Read-only
    ``ImmutableSandboxedEnvironment``: no template can change a row, ``vars`` or any
    list/dict/set (``row.pop('x')`` is an error), so results keep the rows as read.

Bounded (per template render, i.e. one template for one row)
    - any text a template builds or renders: at most ``MAX_TEXT`` characters (16 MiB,
      a fixed cap rather than the job's ``limits.max_bytes``, which still applies to
      each request after rendering, so ``on_too_long: skip`` keeps working; a message
      over 16 MiB is skipped too with ``on_too_long: skip``, an error otherwise);
    - any list, tuple or dict it builds: at most ``MAX_ITEMS`` items; numbers at most
      ``MAX_INT_BITS`` bits; values turned into text nested at most ``MAX_DEPTH`` deep;
    - loop iterations, calls (macros, methods, filters) and formatted fields: ``MAX_STEPS``;
    - all text built along the way: ``MAX_WORK`` characters;
    - filters that loop in Python over words or lines (``|urlize``, ``|wordwrap``,
      ``|title``, ``|indent``, ``|pprint``): at most ``MAX_SLOW_TEXT`` characters in;
    - and, as a net for what the counts above miss, ``MAX_SECONDS`` of wall time.
    A template nesting brackets, blocks or unary operators more than ``MAX_NESTING``
    deep is a syntax error (jinja's parser is recursive).
    Size-producing operations are checked *before* they run (``'x' * 10**9``,
    ``|center(10**9)``, ``'%999999999d'|format(1)``, ``range(10**5)|join('x' * 10**5)``),
    so a hostile template fails in milliseconds and never allocates the result. Jinja
    computes constant parts while compiling (``validate``); the same limits apply
    there, and a constant result over 64 KiB is left to render time.

A render error names the job, the field, the template line and the data row
(``_JobRenderer._failure`` in ``render.py``, from :meth:`TemplateFailure.reason`).
"""

from __future__ import annotations

import functools
import gc
import itertools
import re
import threading
import time
import types
from typing import Any, Callable, Iterable, Iterator, Mapping

import jinja2
from jinja2 import meta, nodes
from jinja2.compiler import CodeGenerator, Frame, optimizeconst
from jinja2.filters import FILTERS, make_attrgetter
from jinja2.runtime import LoopContext, Macro, markup_join
from jinja2.sandbox import (
    ImmutableSandboxedEnvironment,
    SandboxedEscapeFormatter,
    SandboxedFormatter,
    SecurityError,
    modifies_known_mutable,
)
from markupsafe import Markup

__all__ = [
    "ENVIRONMENT", "CONTEXT_NAMES", "CompiledTemplate", "TemplateFailure", "TemplateRefused", "RenderedTooLarge",
    "compile_template", "base_context",
    "MAX_TEXT", "MAX_ITEMS", "MAX_INT_BITS", "MAX_DEPTH", "MAX_STEPS", "MAX_WORK", "MAX_SECONDS", "MAX_SLOW_TEXT",
    "MAX_NESTING",
]

# Names a template may use; a template that uses none of the per-row ones is
# rendered once per job instead of once per row.
CONTEXT_NAMES = ("row", "index", "job", "vars")
_PER_ROW_NAMES = frozenset({"row", "index"})

MAX_TEXT = 16 * 1024 * 1024       # characters in one text a template builds or renders
MAX_ITEMS = 1_000_000             # items in one list/tuple/dict a template builds
MAX_INT_BITS = 65_536             # bits in one number a template computes
MAX_DEPTH = 100                   # nesting of a value that becomes text
MAX_STEPS = 250_000               # loop iterations + calls in one render (and values in one printed value)
MAX_WORK = 256 * 1024 * 1024      # characters of text built in one render, all values together
MAX_SECONDS = 5.0                 # wall time of one render (checked at every step)
MAX_SLOW_TEXT = 512 * 1024        # characters into a filter that works in Python per word or line (|urlize...)

_PLAIN = ("only text, numbers, booleans, none, and lists or dicts of them can become text")


class TemplateRefused(jinja2.TemplateRuntimeError):
    """The template did something specrun refuses; the message says what, in full."""


class RenderedTooLarge(TemplateRefused):
    """A template rendered more than ``MAX_TEXT`` characters (``on_too_long: skip`` may skip the row)."""

    def __init__(self, size: int) -> None:
        super().__init__(f"the template renders {size:,} characters; at most {MAX_TEXT:,} (16 MiB)")
        self.size = size


class _ReadOnly(TemplateRefused, SecurityError):
    """A template tried to change a row, vars or another list/dict/set."""


# --------------------------------------------------------------------------- budget


class _Meter(threading.local):
    """Steps and built text of the render running in this thread (reset per render)."""

    steps = 0
    work = 0
    depth = 0  # calls inside calls (macros calling macros)
    started = 0.0
    compiling = False  # jinja computes constant parts of a template while compiling it


_METER = _Meter()


def _reset_meter() -> None:
    meter = _METER
    meter.steps = meter.work = meter.depth = 0
    meter.started = 0.0


def _step() -> None:
    """One loop iteration, call or formatted field (templates without any never get here)."""
    meter = _METER
    steps = meter.steps = meter.steps + 1
    if steps > MAX_STEPS:
        raise TemplateRefused(f"the template runs more than {MAX_STEPS:,} loop iterations and calls for one "
                              "render; simplify it")
    now = time.monotonic()
    if not meter.started:
        meter.started = now
    elif now - meter.started > MAX_SECONDS:
        raise TemplateRefused(f"the template ran for more than {MAX_SECONDS:g} s for one render; simplify it")


def _work(characters: int) -> None:
    meter = _METER
    work = meter.work = meter.work + characters
    if work > MAX_WORK:
        raise TemplateRefused(f"the template builds more than {MAX_WORK:,} characters of text in all for one "
                              "render; simplify it")


def _too_long(size: int, how: str) -> TemplateRefused:
    return TemplateRefused(f"{how} would build a text of {size:,} characters; a template may build at most "
                           f"{MAX_TEXT:,} (16 MiB)")


def _too_many(size: int, how: str) -> TemplateRefused:
    return TemplateRefused(f"{how} would build {size:,} items; a template may build at most {MAX_ITEMS:,}")


def _check_text_size(size: int, how: str) -> None:
    if size > MAX_TEXT:
        raise _too_long(size, how)


def _check_items(size: int, how: str) -> None:
    if size > MAX_ITEMS:
        raise _too_many(size, how)


_FOLD_LIMIT = 64 * 1024  # larger constant results are computed at render time, not written into the code


def _checked(value: Any, how: str) -> Any:
    """``value`` (a result the template built), once its size is within the limits."""
    kind = type(value)
    size = -1
    if kind is str or kind is bytes or isinstance(value, (str, bytes)):
        size = len(value)
        _check_text_size(size, how)
    elif kind is list or kind is tuple or kind is dict or isinstance(value, (list, tuple, dict)):
        size = len(value)
        _check_items(size, how)
    elif kind is int and value.bit_length() > MAX_INT_BITS:
        raise TemplateRefused(f"{how} would build a number of {value.bit_length():,} bits; a template may build "
                              f"at most {MAX_INT_BITS:,}")
    if size > 0:
        _work(size)
        if size > _FOLD_LIMIT and _METER.compiling:
            raise TemplateRefused("too large to compute while compiling")  # jinja then leaves it to render time
    return value


def _int_arg(value: Any, limit: int, what: str) -> None:
    if isinstance(value, int) and value > limit:
        raise TemplateRefused(f"{what} of {value:,} is too large (at most {limit:,})")


# --------------------------------------------------------------------------- plain data


_SCALARS = frozenset({int, float, bool, type(None)})
_TEXT_ONLY = frozenset({str})
_ITERATORS = (Iterator, range, type({}.keys()), type({}.values()), type({}.items()))


def _describe(value: Any) -> str:
    """``value`` in a user's words, for "cannot print ..." messages."""
    if isinstance(value, Macro):
        return f"the macro {value.name!r} (call it with ())"
    if isinstance(value, (types.BuiltinMethodType, types.MethodType, types.MethodWrapperType)):
        owner = getattr(value, "__self__", None)
        name = getattr(value, "__name__", "?")
        if owner is None or isinstance(owner, types.ModuleType):
            return f"the function {name!r} (call it with ())"
        return f"the method {name!r} of a {type(owner).__name__} (call it with ())"
    if isinstance(value, (types.FunctionType, types.BuiltinFunctionType)):
        return f"the function {getattr(value, '__name__', '?')!r} (call it with ())"
    if isinstance(value, type):
        return f"the class {value.__name__!r}"
    if type(value).__module__.startswith("jinja2."):  # cycler, joiner, namespace, loop...
        return f"a {type(value).__name__} object (a template helper, not data)"
    if isinstance(value, (set, frozenset)):
        return "a set (its order changes from run to run; use |sort)"
    if isinstance(value, _ITERATORS):
        return f"a {type(value).__name__} (use |list or |join)"
    if isinstance(value, (bytes, bytearray)):
        return "bytes (use .decode())"
    if callable(value):
        return f"a {type(value).__name__} object (call it with ())"
    return f"a {type(value).__name__} object"


def _not_data(value: Any, how: str) -> TemplateRefused:
    return TemplateRefused(f"cannot {how} {_describe(value)}: {_PLAIN}")


def _text_size(value: Any, how: str) -> int:
    """Raise unless ``value`` is plain data; return about how long its text is.

    Bounded: at most ``MAX_DEPTH`` deep, ``MAX_TEXT`` characters and ``MAX_STEPS``
    nested values; a list or dict met again (``[x, x]`` doubled 60 times) is counted
    from memory instead of walked again. An undefined value raises its own error.
    """
    kind = type(value)
    if kind is str:
        return len(value)
    if kind in _SCALARS:
        return value.bit_length() // 3 + 2 if kind is int else 24
    return _Sizer(how).size(value, 0)


class _Sizer:
    """The text size of a nested value (see ``_text_size``)."""

    __slots__ = ("how", "known", "values")

    def __init__(self, how: str) -> None:
        self.how = how
        self.known: dict[int, int] = {}
        self.values = 0

    def size(self, item: Any, depth: int) -> int:
        kind = type(item)
        if kind is str:
            return len(item) + 2
        if kind in _SCALARS:
            return item.bit_length() // 3 + 2 if kind is int else 24
        if kind is list or kind is tuple or kind is dict or (isinstance(item, (list, tuple, dict))):
            known = self.known.get(id(item))
            if known is not None:
                return known
            if depth >= MAX_DEPTH:
                raise TemplateRefused(f"cannot {self.how} a value nested more than {MAX_DEPTH} deep")
            members: Any = item
            size = 2 + 2 * len(item)
            if isinstance(item, dict):
                size += 2 * len(item) + self.members_size(item.keys(), depth)
                members = item.values()
            size += self.members_size(members, depth)
            self.known[id(item)] = size
            return size
        if isinstance(item, str):
            return len(item) + 2
        if isinstance(item, jinja2.Undefined):
            item._fail_with_undefined_error()
        raise _not_data(item, self.how)

    def members_size(self, members: Any, depth: int) -> int:
        kinds = set(map(type, members))
        if kinds <= _TEXT_ONLY:  # the common flat cases at C speed
            size = sum(map(len, members)) + 2 * len(members)
        elif kinds <= _SCALARS:
            size = 24 * len(members)
            if int in kinds:
                size += sum(member.bit_length() for member in members if type(member) is int) // 3
        else:
            size = 0
            self.values += len(members)
            if self.values > MAX_STEPS:
                raise TemplateRefused(f"cannot {self.how} a value made of more than {MAX_STEPS:,} values")
            for member in members:
                size += self.size(member, depth + 1)
                if size > MAX_TEXT:
                    break
        if size > MAX_TEXT:
            raise _too_long(size, f"{self.how} this value")
        return size


def _as_text(value: Any, how: str) -> str:
    if type(value) is str:
        return value
    _text_size(value, how)
    return str(value)


def _finalize(value: Any) -> Any:
    """Every ``{{ ... }}`` passes here before it is printed."""
    if type(value) is not str:
        _text_size(value, "print")
    return value


# --------------------------------------------------------------------------- formatting

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


def _check_percent(fmt: str | bytes, values: Any, how: str) -> None:
    """Refuse ``fmt % values`` before it runs if it would be too large or print non-data."""
    text = fmt if isinstance(fmt, str) else fmt.decode("latin-1")
    star = False
    for match in _PERCENT.finditer(text):
        star = _check_width(match.group(1), how) | _check_width(match.group(2), how) | star
    arguments = values if isinstance(values, tuple) else (values,)
    if star:
        for argument in arguments:
            _int_arg(argument, MAX_TEXT, f"{how}: a width or precision")
    size = len(text) + sum(_text_size(argument, how) for argument in arguments)
    _check_text_size(size, how)


class _CheckedFormatting:
    """``str.format`` fields: plain data only, widths and total size within the limits."""

    total = 0

    def convert_field(self, value: Any, conversion: str | None) -> Any:
        _text_size(value, "format")
        return super().convert_field(value, conversion)  # type: ignore[misc]

    def format_field(self, value: Any, format_spec: str) -> Any:
        _step()
        for number in _SPEC_NUMBER.findall(format_spec):
            _check_width(number, "format")
        _text_size(value, "format")
        text = super().format_field(value, format_spec)  # type: ignore[misc]
        self.total += len(text)
        _check_text_size(self.total, ".format()")
        return text


class _Formatter(_CheckedFormatting, SandboxedFormatter):
    pass


class _EscapeFormatter(_CheckedFormatting, SandboxedEscapeFormatter):
    pass


# --------------------------------------------------------------------------- filters


def _items(value: Any, how: str) -> list[Any]:
    """``value`` as a list, refused before it is built if it would hold more than ``MAX_ITEMS``."""
    if hasattr(value, "__len__"):
        _check_items(len(value), how)
    if isinstance(value, jinja2.Undefined):
        value._fail_with_undefined_error()
    items = list(itertools.islice(value, MAX_ITEMS + 1))
    _check_items(len(items), how)
    return items


def _arg(args: tuple, kwargs: Mapping[str, Any], position: int, name: str, default: Any) -> Any:
    return args[position] if len(args) > position else kwargs.get(name, default)


def _pre_center(value: Any, args: tuple, kwargs: Mapping[str, Any]) -> None:
    _int_arg(_arg(args, kwargs, 0, "width", 80), MAX_TEXT, "|center: a width")


def _pre_indent(value: Any, args: tuple, kwargs: Mapping[str, Any]) -> None:
    width = _arg(args, kwargs, 0, "width", 4)
    step = len(width) if isinstance(width, str) else width if isinstance(width, int) else 0
    text = str(value)
    _check_text_size(len(text) + (text.count("\n") + 2) * max(step, 0), "|indent")


def _pre_wordwrap(value: Any, args: tuple, kwargs: Mapping[str, Any]) -> None:
    text = str(value)
    width = _arg(args, kwargs, 0, "width", 79)
    wrapstring = _arg(args, kwargs, 2, "wrapstring", None) or "\n"
    if isinstance(width, int) and width > 0:
        lines = len(text) // width + text.count(" ") + text.count("\n") + text.count("\t") + 1
        _check_text_size(len(text) + lines * len(str(wrapstring)), "|wordwrap")


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
        _check_text_size(size, "|replace")


def _pre_format(value: Any, args: tuple, kwargs: Mapping[str, Any]) -> None:
    _check_percent(str(value), kwargs or args, "|format")


def _pre_count(name: str, position: int, keyword: str) -> Callable[[Any, tuple, Mapping[str, Any]], None]:
    def check(value: Any, args: tuple, kwargs: Mapping[str, Any]) -> None:
        _int_arg(_arg(args, kwargs, position, keyword, 0), MAX_ITEMS, f"|{name}: a count")
    return check


def _pre_sized(name: str) -> Callable[[Any, tuple, Mapping[str, Any]], None]:
    def check(value: Any, args: tuple, kwargs: Mapping[str, Any]) -> None:
        if hasattr(value, "__len__") and not isinstance(value, jinja2.Undefined):
            _check_items(len(value), f"|{name}")
    return check


def _pre_tojson(value: Any, args: tuple, kwargs: Mapping[str, Any]) -> None:
    indent = _arg(args, kwargs, 0, "indent", None)
    step = len(indent) if isinstance(indent, str) else indent if isinstance(indent, int) else 0
    if step > 0:
        size = _text_size(value, "pass to |tojson")  # plain data, so the walk below is bounded
        lines, deepest, stack = 1, 0, [(value, 1)]
        while stack:  # each value inside a list or dict gets its own line, indented by its depth
            item, depth = stack.pop()
            if isinstance(item, (list, tuple, dict)):
                members = list(item.values()) if isinstance(item, dict) else item
                lines += len(members) + 1
                deepest = max(deepest, depth)
                _check_items(lines, "|tojson with indent")  # a value sharing its parts: bounded walk
                stack.extend((member, depth + 1) for member in members)
        _check_text_size(size + lines * deepest * step, "|tojson with indent")


def _pre_urlize(value: Any, args: tuple, kwargs: Mapping[str, Any]) -> None:
    text = str(value)
    extra = sum(len(str(v)) for v in list(args[1:]) + list(kwargs.values()) if isinstance(v, str))
    _check_text_size(3 * len(text) + (text.count(" ") + 1) * extra, "|urlize")


def _pre_slow(name: str, then: Callable[[Any, tuple, Mapping[str, Any]], None] | None = None
              ) -> Callable[[Any, tuple, Mapping[str, Any]], None]:
    """Refuse more than ``MAX_SLOW_TEXT`` into a filter that loops in Python over words or lines."""
    def check(value: Any, args: tuple, kwargs: Mapping[str, Any]) -> None:
        size = _text_size(value, f"pass to |{name}")
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
    def checked(*args: Any, **kwargs: Any) -> Any:
        _step()
        if makes_text:
            for argument in args[value_at:]:
                if type(argument) is not str:
                    _text_size(argument, how)
            for argument in kwargs.values():
                if type(argument) is not str:
                    _text_size(argument, how)
        if precheck is not None and len(args) > value_at:
            precheck(args[value_at], args[value_at + 1:], kwargs)
        return _checked(function(*args, **kwargs), f"|{name}")

    return checked


@jinja2.pass_eval_context
def _join(eval_ctx: Any, value: Any, d: Any = "", attribute: Any = None) -> str:
    """``|join``, sized before it runs: items must be plain data, the text at most ``MAX_TEXT``."""
    _step()
    if attribute is not None:
        value = map(make_attrgetter(eval_ctx.environment, attribute), value)
    items = _items(value, "|join")
    separator = _as_text(d, "join with")
    size = len(separator) * max(len(items) - 1, 0)
    _check_text_size(size, "|join")
    for item in items:
        size += _text_size(item, "join")
        _check_text_size(size, "|join")
    return _checked(FILTERS["join"](eval_ctx, items, d), "|join")


@jinja2.pass_environment
def _sum(environment: Any, iterable: Any, attribute: Any = None, start: Any = 0) -> Any:
    """``|sum``; lists and tuples are concatenated in linear time and sized first."""
    _step()
    if attribute is not None:
        iterable = map(make_attrgetter(environment, attribute), iterable)
    items = _items(iterable, "|sum")
    if isinstance(start, (list, tuple)) and all(type(item) is type(start) for item in items):
        _check_items(len(start) + sum(len(item) for item in items), "|sum")
        joined = list(itertools.chain(start, *items))
        return joined if isinstance(start, list) else tuple(joined)
    return _checked(sum(items, start), "|sum")


def _make_filters() -> dict[str, Callable[..., Any]]:
    filters = {name: _checked_filter(name, function) for name, function in FILTERS.items() if name != "random"}
    filters["join"] = _join
    filters["sum"] = _sum
    return filters


# --------------------------------------------------------------------------- calls


def _check_text_method(owner: str | bytes, name: str, args: tuple, kwargs: dict[str, Any]) -> tuple:
    """Size a call of a str/bytes method before it runs; return the (possibly materialized) args."""
    how = f".{name}()"
    if name in ("center", "ljust", "rjust", "zfill"):
        _int_arg(_arg(args, kwargs, 0, "width", 0), MAX_TEXT, f"{how}: a width")
    elif name == "expandtabs":
        tabsize = _arg(args, kwargs, 0, "tabsize", 8)
        if isinstance(tabsize, int):
            tab = "\t" if isinstance(owner, str) else b"\t"
            _check_text_size(len(owner) + owner.count(tab) * max(tabsize, 0), how)  # type: ignore[arg-type]
    elif name == "join" and args:
        items = _items(args[0], how)
        size = len(owner) * max(len(items) - 1, 0)
        _check_text_size(size, how)
        for item in items:
            size += len(item) if isinstance(item, (str, bytes)) else 0
            _check_text_size(size, how)
        args = (items,) + args[1:]
    elif name == "replace" and len(args) >= 2 and isinstance(owner, str):
        _check_text_size(_replaced_size(owner, args[0], args[1], _arg(args, kwargs, 2, "count", None)), how)
    elif name == "translate" and args and isinstance(args[0], dict):
        longest = max((len(v) for v in args[0].values() if isinstance(v, (str, bytes))), default=1)
        _check_text_size(len(owner) * max(longest, 1), how)
    return args


def _check_method_call(method: Any, args: tuple, kwargs: dict[str, Any]) -> tuple:
    owner = method.__self__
    if isinstance(owner, (str, bytes)):
        return _check_text_method(owner, method.__name__, args, kwargs)
    if type(owner) is int and method.__name__ == "to_bytes":
        _int_arg(_arg(args, kwargs, 0, "length", 1), MAX_TEXT, ".to_bytes(): a length")
    return args


# --------------------------------------------------------------------------- code generation


class _CodeGenerator(CodeGenerator):
    """Jinja's code generator with three changes (jinja allows no custom node types,
    so the nodes to change are marked by identity while their parent is visited):

    - a ``{% for %}`` iterable becomes ``environment.guard_iter(<iterable>)``, so every
      iteration is a counted step;
    - ``obj.name(...)`` looks ``name`` up with ``environment.getmethod``: a dict's method
      is reachable by calling it when no key has the name;
    - ``a ~ b`` joins with the environment's checked ``str_join``.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # id -> node: holding the node keeps its id from being reused by another one
        self._loop_iterables: dict[int, nodes.Node] = {}
        self._method_lookups: dict[int, nodes.Node] = {}

    def visit(self, node: nodes.Node, *args: Any, **kwargs: Any) -> Any:
        if self._loop_iterables.get(id(node)) is node:
            del self._loop_iterables[id(node)]
            self.write("environment.guard_iter(")
            super().visit(node, *args, **kwargs)
            self.write(")")
            return None
        return super().visit(node, *args, **kwargs)

    def visit_For(self, node: nodes.For, frame: Frame) -> None:
        self._loop_iterables[id(node.iter)] = node.iter
        super().visit_For(node, frame)

    def visit_Call(self, node: nodes.Call, frame: Frame, forward_caller: bool = False) -> None:
        if isinstance(node.node, nodes.Getattr) and node.node.ctx == "load":
            self._method_lookups[id(node.node)] = node.node
        super().visit_Call(node, frame, forward_caller=forward_caller)

    def visit_Getattr(self, node: nodes.Getattr, frame: Frame) -> None:
        if self._method_lookups.get(id(node)) is not node:
            return super().visit_Getattr(node, frame)  # type: ignore[no-any-return]
        del self._method_lookups[id(node)]
        self.write("environment.getmethod(")
        self.visit(node.node, frame)
        self.write(f", {node.attr!r})")
        return None

    def _output_child_pre(self, node: nodes.Expr, frame: Frame, finalize: Any) -> None:
        # {{ x }} -> text as is, anything else through finalize (one call saved per
        # printed text, which is nearly every print)
        if frame.eval_ctx.volatile or frame.eval_ctx.autoescape:
            return super()._output_child_pre(node, frame, finalize)  # type: ignore[no-any-return]
        self.write("(t_print if type(t_print := (")
        return None

    def _output_child_post(self, node: nodes.Expr, frame: Frame, finalize: Any) -> None:
        if frame.eval_ctx.volatile or frame.eval_ctx.autoescape:
            return super()._output_child_post(node, frame, finalize)  # type: ignore[no-any-return]
        self.write(")) is str else str(environment.finalize(t_print)))")
        return None

    @optimizeconst
    def visit_Concat(self, node: nodes.Concat, frame: Frame) -> None:
        if frame.eval_ctx.volatile:
            function = "(environment.markup_join if context.eval_ctx.volatile else environment.str_join)"
        elif frame.eval_ctx.autoescape:
            function = "environment.markup_join"
        else:
            function = "environment.str_join"
        self.write(f"{function}((")
        for argument in node.nodes:
            self.visit(argument, frame)
            self.write(", ")
        self.write("))")


# --------------------------------------------------------------------------- the environment


def _concat(pieces: Iterable[str]) -> str:
    """Join the text a block, macro or ``{% set %}`` rendered; sized before joining."""
    pieces = pieces if isinstance(pieces, list) else list(pieces)
    size = sum(map(len, pieces))
    _check_text_size(size, "the template")
    _work(size)
    return "".join(pieces)


class _Environment(ImmutableSandboxedEnvironment):
    code_generator_class = _CodeGenerator
    intercepted_binops = frozenset({"*", "**", "+", "%"})
    concat = staticmethod(_concat)  # type: ignore[assignment]

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
            _step()
            yield item

    def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: N805
        _step()
        if isinstance(__obj, types.BuiltinMethodType) and __obj.__self__ is not None:
            args = _check_method_call(__obj, args, kwargs)
        elif isinstance(__obj, LoopContext) and args:  # a recursive loop: its iterations count too
            args = (__self.guard_iter(args[0]),) + args[1:]
        meter = _METER
        if meter.depth >= MAX_NESTING:  # before Python's own recursion limit, with a clearer message
            raise TemplateRefused(f"the template calls macros or loops inside each other more than {MAX_NESTING} "
                                  "deep (a macro or a loop calling itself?)")
        meter.depth += 1
        try:
            result = ImmutableSandboxedEnvironment.call(__self, __context, __obj, *args, **kwargs)
        finally:
            meter.depth -= 1
        return _checked(result, "the call")

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        how = f"'{operator}'"
        if operator == "*":
            for text, times in ((left, right), (right, left)):
                if isinstance(times, int) and isinstance(text, (str, bytes)):
                    _check_text_size(len(text) * times, how)
                elif isinstance(times, int) and isinstance(text, (list, tuple)):
                    _check_items(len(text) * times, how)
            if isinstance(left, int) and isinstance(right, int):
                self._check_bits(left.bit_length() + right.bit_length(), how)
        elif operator == "**":
            if isinstance(left, int) and isinstance(right, int) and right > 0 and abs(left) > 1:
                self._check_bits(left.bit_length() * right, how)
        elif operator == "+":
            if isinstance(left, (str, bytes)) and isinstance(right, (str, bytes)):
                _check_text_size(len(left) + len(right), how)
            elif isinstance(left, (list, tuple)) and isinstance(right, (list, tuple)):
                _check_items(len(left) + len(right), how)
        elif operator == "%" and isinstance(left, (str, bytes)):
            _check_percent(left, right, "format with '%'")
        return _checked(self.binop_table[operator](left, right), how)

    @staticmethod
    def _check_bits(bits: int, how: str) -> None:
        if bits > MAX_INT_BITS:
            raise TemplateRefused(f"{how} would build a number of about {bits:,} bits; a template may build at "
                                  f"most {MAX_INT_BITS:,}")

    def str_join(self, values: Iterable[Any]) -> str:
        """``a ~ b``: plain data only, sized before joining."""
        return _concat([_as_text(value, "join with '~'") for value in values])

    def markup_join(self, values: Iterable[Any]) -> str:
        values = list(values)
        for value in values:
            if type(value) is not str:
                _text_size(value, "join with '~'")
        return _checked(markup_join(values), "'~'")

    def wrap_str_format(self, value: Any) -> Callable[..., str] | None:
        """``'...'.format(...)`` / ``.format_map(...)``, with fields checked as they are formatted."""
        if not isinstance(value, (types.MethodType, types.BuiltinMethodType)) \
                or value.__name__ not in ("format", "format_map") or not isinstance(value.__self__, str):
            return None
        text: str = value.__self__
        is_format_map = value.__name__ == "format_map"
        formatter: SandboxedFormatter
        formatter = _EscapeFormatter(self, escape=text.escape) if isinstance(text, Markup) else _Formatter(self)

        def wrapper(*args: Any, **kwargs: Any) -> str:
            if is_format_map:
                if kwargs:
                    raise TypeError("format_map() takes no keyword arguments")
                if len(args) != 1:
                    raise TypeError(f"format_map() takes exactly one argument ({len(args)} given)")
                kwargs, args = args[0], ()
            formatter.total = 0  # type: ignore[attr-defined]
            return type(text)(formatter.vformat(text, args, kwargs))

        return functools.update_wrapper(wrapper, value)


# The text of a default repr holds the object's address, which changes every run.
_ADDRESS = re.compile(r"at\s*0x[0-9a-f]{6,}", re.IGNORECASE)


def _make_environment() -> _Environment:
    env = _Environment(undefined=jinja2.StrictUndefined, autoescape=False, finalize=_finalize)
    env.filters = _make_filters()
    env.globals.pop("lipsum", None)
    return env


ENVIRONMENT = _make_environment()


# --------------------------------------------------------------------------- failures


class TemplateFailure(Exception):
    """A template failed while rendering; :meth:`reason` says why in plain words."""

    def __init__(self, template_line: int | None, error: BaseException, undefined: jinja2.Undefined | None) -> None:
        super().__init__(str(error))
        self.template_line = template_line
        self.error = error
        self.undefined = undefined

    def reason(self, *, row: Mapping[str, Any] | None, row_words: str | None, vars: Mapping[str, Any]) -> str:
        """The cause, e.g. "row 41 of data/a.csv has no column 'body' (columns: id, title)"."""
        if self.undefined is not None:
            obj, name = self.undefined._undefined_obj, self.undefined._undefined_name
            if row is not None and obj is row:
                columns = ", ".join(map(str, row.keys())) or "none"
                return f"{row_words} has no column {name!r} (columns: {columns})"
            if obj is vars:
                names = ", ".join(vars.keys()) or "none"
                return f"no var {name!r} (vars: {names})"
            if obj is jinja2.utils.missing and self.undefined._undefined_hint is None:
                detail = f"{name!r} is undefined; templates can use {', '.join(CONTEXT_NAMES)}"
            elif isinstance(obj, dict) and self.undefined._undefined_hint is None:
                keys = ", ".join(map(str, itertools.islice(obj.keys(), 20))) or "none"
                detail = f"a dict has no key {name!r} (keys: {keys})"
            else:
                detail = self.undefined._undefined_message
        elif isinstance(self.error, TemplateRefused):
            detail = str(self.error)
        elif isinstance(self.error, RecursionError):
            detail = "the template nests or recurses too deeply (a macro or a loop calling itself?)"
        else:
            detail = f"{type(self.error).__name__}: {self.error}"
        return f"{row_words}: {detail}" if row_words else detail


# Node types of a "simple" template (see CompiledTemplate.simple).
_SIMPLE_NODES = frozenset({
    nodes.Output, nodes.TemplateData, nodes.Name, nodes.Getattr, nodes.Getitem, nodes.Const, nodes.If,
    nodes.CondExpr, nodes.And, nodes.Or, nodes.Not, nodes.Compare, nodes.Operand, nodes.Slice,
})


class CompiledTemplate:
    """A template compiled once, rendered many times against a shared context dict."""

    __slots__ = ("source", "template", "per_row", "simple", "few_pieces", "_render", "_globals", "_parent", "_context",
                 "_lowered_source")

    def __init__(self, source: str) -> None:
        self.source = source
        self.template = ENVIRONMENT.from_string(source)
        tree = ENVIRONMENT.parse(source)
        used = meta.find_undeclared_variables(tree)
        self.per_row = bool(used & _PER_ROW_NAMES) or not used <= set(CONTEXT_NAMES)
        # Only prints, lookups and conditions: nothing can loop, call or convert, so
        # the budget and the address net have nothing to watch (the common, fast case).
        self.simple = all(type(node) in _SIMPLE_NODES for node in tree.find_all(nodes.Node))
        # A simple template yields at most this many pieces: when few, joining them
        # first cannot build much more than the values already in memory.
        self.few_pieces = self.simple and sum(len(output.nodes) for output in tree.find_all(nodes.Output)) <= 8
        self._render: Callable[..., Any] = self.template.root_render_func
        self._globals = self._render.__globals__
        self._parent: dict[str, Any] | None = None
        self._context: jinja2.runtime.Context | None = None
        self._lowered_source = source.lower()

    def render(self, context: dict[str, Any]) -> str:
        """Render against ``context`` (must already hold the environment globals).

        The jinja Context wrapping ``context`` is made once and reused: building one
        per row cost more than rendering a short template. Names a template sets
        with ``{% set %}`` are cleared before each render, so nothing leaks between rows.
        """
        jinja_context = self._context
        if context is not self._parent or jinja_context is None:
            jinja_context = self._context = self.template.new_context(context, shared=True)
            self._parent = context
        elif jinja_context.vars:
            jinja_context.vars.clear()
            jinja_context.exported_vars.clear()
        simple = self.simple
        if not simple:
            _reset_meter()
        try:
            if self.few_pieces:
                text = "".join(self._render(jinja_context))
                size = len(text)
            else:
                pieces = list(self._render(jinja_context))
                size = sum(map(len, pieces))  # before joining: a loop may repeat a large piece
                text = "".join(pieces) if size <= MAX_TEXT else ""
            if size > MAX_TEXT:
                raise RenderedTooLarge(size)
        except Exception as exc:  # user code: any failure is the template's, not ours
            raise self._failure(exc) from None
        if not simple and ("0x" in text or "0X" in text):
            self._refuse_object_address(text, context)
        return text

    def _refuse_object_address(self, text: str, context: Mapping[str, Any]) -> None:
        """The last net: an object's address in the text, unless the template or data wrote it."""
        for match in _ADDRESS.finditer(text):
            found = match.group().lower()
            if found in self._lowered_source or _holds_text(context.get("row"), found) \
                    or _holds_text(context.get("vars"), found):
                continue
            start = text.rfind("<", max(0, match.start() - 120), match.start())
            shown = text[start if start >= 0 else match.start():match.end() + 1]
            raise TemplateFailure(None, TemplateRefused(
                f"the text holds {shown!r}, the address of a Python object, which changes on every run: something "
                f"that is not data (a method, a function, an object) became text; {_PLAIN}"), None)

    def _failure(self, exc: Exception) -> TemplateFailure:
        line, undefined = None, None
        tb = exc.__traceback__
        while tb is not None:  # innermost template frame gives the line; the raiser, the Undefined
            if tb.tb_frame.f_globals is self._globals:
                line = self.template.get_corresponding_lineno(tb.tb_lineno)
            candidate = tb.tb_frame.f_locals.get("self")
            if isinstance(exc, jinja2.UndefinedError) and isinstance(candidate, jinja2.Undefined):
                undefined = candidate
            tb = tb.tb_next
        return TemplateFailure(line, exc, undefined)


def _holds_text(value: Any, needle: str) -> bool:
    """Whether some text inside ``value`` (lowercased) contains ``needle``."""
    stack, seen = [value], 0
    while stack and seen < MAX_ITEMS:
        item = stack.pop()
        seen += 1
        if isinstance(item, str):
            if needle in item.lower():
                return True
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, (list, tuple)):
            stack.extend(item)
    return False


MAX_NESTING = 40  # brackets, blocks and unary operators inside each other: jinja parses them recursively
_OPENERS = frozenset({"(", "[", "{"})
_CLOSERS = frozenset({")", "]", "}"})
_BLOCKS = frozenset({"if", "for", "macro", "call", "filter", "with", "block", "autoescape"})


def _check_nesting(source: str) -> None:
    """Refuse deep nesting before jinja's recursive parser meets it (the lexer is iterative)."""
    depth = unary = 0
    in_block, block_name, assigns = False, None, False
    for line, kind, value in ENVIRONMENT.lex(source):
        if kind == "whitespace":
            continue
        if kind == "operator" and value in _OPENERS:
            depth += 1
        elif kind == "operator" and value in _CLOSERS:
            depth -= 1
        elif kind == "block_begin":
            in_block, block_name, assigns = True, None, False
        elif in_block and kind == "name" and block_name is None:
            block_name = value
            if value in _BLOCKS:
                depth += 1
            elif value.startswith("end") and value[3:] in _BLOCKS | {"set"}:
                depth -= 1
        elif in_block and kind == "operator" and value == "=":
            assigns = True
        elif kind == "block_end":
            if block_name == "set" and not assigns:  # {% set x %}...{% endset %}
                depth += 1
            in_block = False
        unary = unary + 1 if (kind == "operator" and value in "+-") or (kind == "name" and value == "not") else 0
        if depth > MAX_NESTING or unary > MAX_NESTING:
            raise jinja2.TemplateSyntaxError(f"the template nests more than {MAX_NESTING} levels deep", line)


def compile_template(source: str) -> CompiledTemplate:
    """Compile ``source``; raise ``jinja2.TemplateSyntaxError`` (with ``lineno``) if invalid."""
    _check_nesting(source)
    _reset_meter()  # constant parts are computed while compiling: the same budget applies
    _METER.compiling = True
    collecting = gc.isenabled()
    gc.disable()  # no finalizers of unrelated garbage deep in the parser's recursion
    try:
        return CompiledTemplate(source)
    except RecursionError:
        raise jinja2.TemplateSyntaxError("the template nests too deeply", 1) from None
    finally:
        _METER.compiling = False
        if collecting:
            gc.enable()


def base_context(job: str, vars: Mapping[str, Any]) -> dict[str, Any]:
    """A context dict holding the environment globals plus ``job`` and ``vars``."""
    context = dict(ENVIRONMENT.globals)
    context.update(job=job, vars=vars, row=None, index=None)
    return context
