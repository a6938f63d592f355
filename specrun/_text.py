"""Text that is safe to show: provider-supplied strings on a terminal or in a log line.

A provider (or anyone between specrun and an ``http://`` base URL) controls model
names, file names, statuses, error messages and error bodies. Printed as they come,
``\\x1b]0;title\\x07`` retitles the terminal, ``\\x1b[2J`` clears it, ``\\r`` overwrites
what was printed before, bidi overrides reorder text, and a lone surrogate makes the
print itself fail. :func:`safe` shows every such character as a visible escape
(``\\x1b``, ``\\r``, ``\\u202e``) and cuts absurdly long text; ordinary unicode
(accents, CJK, emoji) passes untouched. :func:`safe_json` does the same for JSON
printed on a terminal, keeping it valid JSON.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

__all__ = ["safe", "quoted", "safe_json", "json_kind", "DEFAULT_LIMIT"]

#: Characters shown as escapes: C0 controls and DEL, C1 controls (8-bit CSI/OSC on
#: some terminals), the line/paragraph separators, bidi embeddings/overrides/isolates
#: ("trojan source") and lone surrogates (unprintable: encoding them fails).
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
_UNSAFE_KEEP_NEWLINES = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
# json.dumps already escapes C0 controls inside strings; its own newlines (indent) are structure.
_UNSAFE_IN_JSON = re.compile("[\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}

#: Longest text shown before it is cut (error bodies, batch errors, file names).
DEFAULT_LIMIT = 1000


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    named = _NAMED.get(char)
    if named:
        return named
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def safe(text: Any, limit: int | None = DEFAULT_LIMIT, *, newlines: bool = False) -> str:
    """``text`` as a string fit for a terminal: control characters shown as escapes, cut at ``limit``.

    ``newlines=True`` keeps ``\\n`` (for multi-line messages); ``limit=None`` never cuts.
    Never raises: anything that is not a string is shown as ``str(text)``.
    """
    if not isinstance(text, str):
        try:
            text = str(text)
        except (RecursionError, ValueError):  # a structure nested too deeply to print
            text = f"<{type(text).__name__}>"
    cut = ""
    if limit is not None and len(text) > limit:
        cut = f"… ({len(text) - limit:,} more characters)"
        text = text[:limit]
    pattern = _UNSAFE_KEEP_NEWLINES if newlines else _UNSAFE
    if pattern.search(text):
        text = pattern.sub(_escape, text)
    return text + cut


def quoted(text: Any, limit: int = 100) -> str:
    """``'value'``: :func:`safe` text in single quotes, for naming a value in a message."""
    return f"'{safe(text, limit)}'"


def _json_escape(match: re.Match[str]) -> str:
    return f"\\u{ord(match.group()):04x}"


def safe_json(value: Any, **dumps_options: Any) -> str:
    """``json.dumps`` for a terminal: strict JSON (no NaN), non-ASCII kept, control characters escaped.

    The characters escaped here can only sit inside a JSON string (``json.dumps``
    escapes C0 controls itself), so writing them as ``\\uXXXX`` keeps the document
    valid and its value unchanged.
    """
    text = json.dumps(value, ensure_ascii=False, allow_nan=False, **dumps_options)
    return _UNSAFE_IN_JSON.sub(_json_escape, text)


def json_kind(value: Any) -> str:
    """What kind of JSON value this is, in words: "an object", "an array", "true/false", ..."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, Mapping):
        return "an object"
    if isinstance(value, (list, tuple)):
        return "an array"
    return type(value).__name__
