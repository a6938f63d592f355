"""Only plain data becomes text: ``str``, numbers, booleans, ``None`` and lists, tuples and dicts of them.

:func:`text_size` walks a value before it is printed, joined or formatted, refuses
anything else (a method, a function, a set, a generator, a template helper) with
words that say what it is, and returns about how long its text will be, so the size
limits apply before the text is built.
"""

from __future__ import annotations

import types
from collections.abc import Iterator
from typing import Any

import jinja2
from jinja2.runtime import Macro

from specrun._sandbox.limits import MAX_DEPTH, MAX_STEPS, MAX_TEXT, TemplateRefused, too_long

__all__ = ["PLAIN", "text_size", "as_text", "finalize"]

PLAIN = ("only text, numbers, booleans, none, and lists or dicts of them can become text")

_SCALARS = frozenset({int, float, bool, type(None)})
_TEXT_ONLY = frozenset({str})
_ITERATORS: tuple[Any, ...] = (Iterator, range, type({}.keys()), type({}.values()), type({}.items()))


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
    return TemplateRefused(f"cannot {how} {_describe(value)}: {PLAIN}")


def text_size(value: Any, how: str) -> int:
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
    """The text size of a nested value (see ``text_size``)."""

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
            raise too_long(size, f"{self.how} this value")
        return size


def as_text(value: Any, how: str) -> str:
    if type(value) is str:
        return value
    text_size(value, how)
    return str(value)


def finalize(value: Any) -> Any:
    """Every ``{{ ... }}`` passes here before it is printed."""
    if type(value) is not str:
        text_size(value, "print")
    return value
