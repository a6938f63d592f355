"""Strings for a JSON Schema ``format`` or ``pattern``, drawn from a hash (echo's structured answers).

``_formatted`` gives plausible values of the formats ``jsonschema`` checks;
``_pattern_example`` walks a parsed regular expression and picks, by hash, a string
it should match. Both are guesses: the instance builder checks every value it keeps.
"""

from __future__ import annotations

import datetime
import hashlib
import importlib
import itertools
import uuid
from collections.abc import Callable
from typing import Any

#: Parts of a ``pattern`` one try may build before giving up (``(a{1000}){1000}``).
_MAX_PATTERN_STEPS = 10_000
_CLASS_POOL = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-. @"


def _hash_int(*parts: str) -> int:
    return int.from_bytes(hashlib.sha256("\0".join(parts).encode()).digest()[:8], "big")


def _formatted(fmt: str, h: int) -> list[str]:
    """Plausible values of a string ``format``, best first (none for a format this does not know)."""
    day = datetime.date(2000, 1, 1) + datetime.timedelta(days=h % 10000)
    seconds = (h >> 20) % 86400
    clock = f"{seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"
    tag = f"{h & 0xFFFFFF:06x}"
    values = {
        "date": day.isoformat(),
        "date-time": f"{day.isoformat()}T{clock}Z",
        # RFC 3339 wants the offset; jsonschema without rfc3339-validator checks the
        # draft 3 time, which refuses it: the caller keeps the one its checker takes
        "time": f"{clock}Z|{clock}",
        "duration": f"P{h % 30 + 1}D",
        "email": f"user.{tag}@example.com",
        "idn-email": f"user.{tag}@example.com",
        "hostname": f"host-{tag}.example.com",
        "idn-hostname": f"host-{tag}.example.com",
        "ipv4": f"192.0.2.{h % 254 + 1}",
        "ipv6": f"2001:db8::{h % 0xFFFF + 1:x}",
        "uri": f"https://example.com/{tag}",
        "iri": f"https://example.com/{tag}",
        "uri-reference": f"https://example.com/{tag}",
        "iri-reference": f"https://example.com/{tag}",
        "url": f"https://example.com/{tag}",
        "uri-template": "https://example.com/{id}",
        "uuid": str(uuid.UUID(int=h << 64 | (h ^ 0x5DEECE66D), version=4)),
        "json-pointer": f"/{tag}",
        "relative-json-pointer": "0",
        "regex": "^[a-z]+$",
    }
    return values[fmt].split("|") if fmt in values else []


# ---- strings for a `pattern`: walk the parsed regex, choosing by hash


def _regex_parser() -> Any:
    try:
        return importlib.import_module("re._parser")   # Python 3.11+
    except ImportError:
        return importlib.import_module("sre_parse")


class _Unbuildable(Exception):
    """The pattern uses a construct the example builder does not handle."""


def _pattern_example(pattern: str, seed: str, stretch: int = 2) -> str | None:
    """A string built to match ``pattern``, or None (the caller checks it really matches)."""
    parser = _regex_parser()
    try:
        parsed = parser.parse(pattern)
    except Exception:  # any parser complaint: not a pattern this can build
        return None
    picks = itertools.count()

    def pick(n: int) -> int:
        return 0 if n <= 1 else _hash_int(seed, str(next(picks))) % n

    groups: dict[int, str] = {}

    steps = itertools.count()

    def emit(items: Any) -> str:
        out: list[str] = []
        for op, arg in items:
            if next(steps) > _MAX_PATTERN_STEPS:
                raise _Unbuildable("too long")
            name = getattr(op, "name", str(op))
            if name == "LITERAL":
                out.append(chr(arg))
            elif name in ("NOT_LITERAL", "ANY"):
                pool = [c for c in _CLASS_POOL[:62] if name == "ANY" or ord(c) != arg]
                out.append(pool[pick(len(pool))])
            elif name == "IN":
                out.append(_class_char(arg, pick))
            elif name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
                least, most, sub = arg
                out += [emit(sub) for _ in range(least + pick(min(most, least + stretch) - least + 1))]
            elif name == "SUBPATTERN":
                text = emit(arg[-1])
                if arg[0]:
                    groups[arg[0]] = text
                out.append(text)
            elif name == "ATOMIC_GROUP":
                out.append(emit(arg))
            elif name == "BRANCH":
                out.append(emit(arg[1][pick(len(arg[1]))]))
            elif name == "GROUPREF":
                out.append(groups.get(arg, ""))
            elif name not in ("AT", "ASSERT", "ASSERT_NOT"):  # anchors and lookarounds add no text
                raise _Unbuildable(name)
        return "".join(out)

    try:
        return emit(parsed)
    except (_Unbuildable, ValueError, TypeError, IndexError, RecursionError):
        return None


def _class_char(items: Any, pick: Callable[[int], int]) -> str:
    """One character of a ``[...]`` class (or ``\\d``, ``\\w``, ``\\s``)."""
    negate = any(getattr(op, "name", "") == "NEGATE" for op, _ in items)
    pool = list(_CLASS_POOL)
    for op, arg in items:
        name = getattr(op, "name", "")
        if name == "LITERAL":
            pool.append(chr(arg))
        elif name == "RANGE":
            pool += [chr(arg[0]), chr(arg[1])]

    def member(char: str) -> bool:
        for op, arg in items:
            name = getattr(op, "name", "")
            if (name == "LITERAL" and ord(char) == arg) or (name == "RANGE" and arg[0] <= ord(char) <= arg[1]):
                return not negate
            if name == "CATEGORY" and _in_category(getattr(arg, "name", ""), char):
                return not negate
        return negate

    allowed = sorted({c for c in pool if member(c)})
    if not allowed:
        raise _Unbuildable("empty class")
    return allowed[pick(len(allowed))]


def _in_category(category: str, char: str) -> bool:
    tests = {
        "CATEGORY_DIGIT": char.isdigit(),
        "CATEGORY_SPACE": char.isspace(),
        "CATEGORY_WORD": char.isalnum() or char == "_",
    }
    if category.startswith("CATEGORY_NOT_"):
        return not tests.get("CATEGORY_" + category[len("CATEGORY_NOT_"):], True)
    return tests.get(category, False)
