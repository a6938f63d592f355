"""YAML loading that remembers where every value came from.

``load_yaml`` returns the plain data (dicts, lists, scalars) together with a
``Lines`` map from field paths (``("jobs", "summarize", "messages", 1, "content")``)
to line numbers, so that every later check can say ``specrun.yaml:14``.

Specs come from pull requests, so the loader is defensive: before anything is built
it reads the document's events once and refuses nesting deeper than ``MAX_DEPTH`` and
aliases that would repeat more than ``MAX_ALIAS_VALUES`` values or ``MAX_ALIAS_CHARS``
characters (or, for big specs, more than the spec itself holds): a "billion laughs"
is refused at the line of the alias, in one linear pass, before anything is built. Keys
that are not text (``1:``, ``on:`` read as true, ``null:``, ``? [a, b]``) and whole
numbers that do not fit in 64 bits are reported and left out, so every later check sees
JSON-shaped data with text keys.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import yaml

__all__ = [
    "Lines", "YamlDocument", "load_yaml", "format_path",
    "MAX_DEPTH", "MAX_ALIAS_VALUES", "MAX_ALIAS_CHARS", "MAX_INT",
]

try:  # the C loader is ~10x faster; fall back to pure Python where libyaml is missing
    _BaseLoader: type = yaml.CSafeLoader
except AttributeError:  # pragma: no cover
    _BaseLoader = yaml.SafeLoader

Path_ = tuple[Any, ...]

#: Deepest nesting a spec may have, counted through aliases (a response_format schema
#: ten objects deep uses about 30 levels). Every later step walks the data recursively.
MAX_DEPTH = 100
#: Values aliases may bring in beyond the ones written (or as many as are written, when
#: that is more): plenty for anchors and ``<<:`` merge keys, far below what exhausts memory.
MAX_ALIAS_VALUES = 100_000
#: The same for the characters of the text values aliases repeat (one long string, many aliases).
MAX_ALIAS_CHARS = 10_000_000
#: Whole numbers must fit in 64 bits (bigger ones are refused; quoted, they are text).
MAX_INT = 2**63 - 1
_TOO_LARGE = f"whole number too large (at most {MAX_INT:,}); quote it to keep it as text"


class _Loader(_BaseLoader):
    """Safe loader that keeps dates as text (specs are JSON-shaped)."""


_Loader.add_constructor("tag:yaml.org,2002:timestamp", lambda loader, node: loader.construct_scalar(node))

_STR_TAG = "tag:yaml.org,2002:str"
_INT_TAG = "tag:yaml.org,2002:int"
_BOOL_TAG = "tag:yaml.org,2002:bool"
_FLOAT_TAG = "tag:yaml.org,2002:float"
_SCALARS = yaml.constructor.SafeConstructor()  # only its scalar readers, which keep no state
_SCALAR_READERS = {
    _INT_TAG: yaml.constructor.SafeConstructor.construct_yaml_int,
    _FLOAT_TAG: yaml.constructor.SafeConstructor.construct_yaml_float,
    _BOOL_TAG: yaml.constructor.SafeConstructor.construct_yaml_bool,
}
_MERGE_TAG = "tag:yaml.org,2002:merge"


def format_path(path: Iterable[Any]) -> str:
    """``("jobs", "x", "messages", 1, "content")`` -> ``jobs.x.messages[1].content``."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        elif not part.isprintable() or not part or part[0] == "." or part[-1] == ".":
            text += f"[{part!r}]"  # control characters shown escaped; '.', '..' and '' stay readable
        else:
            text += f".{part}" if text else str(part)
    return text


@dataclass
class Lines:
    """Line numbers (1-based) of keys and values, by field path."""

    keys: dict[Path_, int] = field(default_factory=dict)
    values: dict[Path_, int] = field(default_factory=dict)

    def of(self, path: Iterable[Any]) -> int:
        """Line of the value at ``path``, or of its nearest ancestor we know."""
        path = tuple(path)
        while path:
            if path in self.values:
                return self.values[path]
            path = path[:-1]
        return self.values.get((), 1)

    def of_key(self, path: Iterable[Any]) -> int:
        """Line of the key that introduces ``path`` (falls back to :meth:`of`)."""
        path = tuple(path)
        return self.keys.get(path) or self.of(path)


@dataclass
class YamlDocument:
    data: Any
    lines: Lines
    problems: list[tuple[int, str, str]]  # (line, field path, message): structural issues


def load_yaml(text: str, display: str) -> YamlDocument:
    """Parse one YAML document; raise ``yaml.YAMLError`` on syntax errors."""
    lines = Lines()
    refused = _check_size(text)
    if refused is not None:
        return YamlDocument(None, lines, [refused])
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        problems: list[tuple[int, str, str]] = []
        if node is None:
            return YamlDocument(None, lines, problems)
        # Walk before constructing: construction flattens merge keys (<<) in place,
        # and we want duplicate-key checks on what the user actually wrote.
        _walk(node, (), lines, problems, merged=False)
        data = loader.construct_document(node)
    finally:
        loader.dispose()
    _check_values(data, (), lines, problems)
    return YamlDocument(data, lines, problems)


def _check_size(text: str) -> tuple[int, str, str] | None:
    """Read the events once: refuse deep nesting, recursive aliases and alias bombs.

    Each anchored value's size (values and characters once expanded) and height are
    known when it closes, so an alias costs its anchor's size: the whole check is one
    linear pass, whatever the aliases would expand to.
    """
    loader = _Loader(text)
    sizes: dict[str, tuple[int, int, int]] = {}  # anchor -> (values, characters, height) once expanded
    open_anchors: set[str] = set()
    stack: list[list[Any]] = []  # open collections: [anchor, values, characters, height of the tallest child]
    written = brought_in = brought_in_chars = 0
    try:
        while loader.check_event():
            event = loader.get_event()
            line = event.start_mark.line + 1
            if isinstance(event, yaml.ScalarEvent):
                values, chars, height = 1, len(event.value), 1
                written += 1
                if event.anchor is not None:
                    sizes[event.anchor] = (values, chars, height)
            elif isinstance(event, yaml.AliasEvent):
                if event.anchor in open_anchors:
                    return (line, "", f"alias *{event.anchor} refers to a value that contains it "
                                      f"(recursive alias); specs are JSON-shaped and cannot loop")
                if event.anchor not in sizes:
                    continue  # an undefined alias: composing says so, with its position
                values, chars, height = sizes[event.anchor]
                brought_in += values
                brought_in_chars += chars
                if brought_in > max(MAX_ALIAS_VALUES, written) or brought_in_chars > max(MAX_ALIAS_CHARS, len(text)):
                    return (line, "", f"alias *{event.anchor}: aliases would repeat more than "
                                      f"{max(MAX_ALIAS_VALUES, written):,} values or "
                                      f"{max(MAX_ALIAS_CHARS, len(text)):,} characters beyond what is written "
                                      f"(nested aliases, a \"billion laughs\"?); specrun refuses such specs")
            elif isinstance(event, (yaml.SequenceStartEvent, yaml.MappingStartEvent)):
                written += 1
                if len(stack) + 1 > MAX_DEPTH:
                    return _too_deep(line, event)
                if event.anchor is not None:
                    open_anchors.add(event.anchor)
                    sizes.pop(event.anchor, None)
                stack.append([event.anchor, 1, 0, 0])
                continue
            elif isinstance(event, (yaml.SequenceEndEvent, yaml.MappingEndEvent)):
                anchor, values, chars, tallest = stack.pop()
                height = tallest + 1
                if anchor is not None:
                    open_anchors.discard(anchor)
                    sizes[anchor] = (values, chars, height)
            else:
                continue  # stream and document events
            if len(stack) + height > MAX_DEPTH:
                return _too_deep(line, event)
            if stack:  # the value just read (or closed) belongs to the collection around it
                stack[-1][1] += values
                stack[-1][2] += chars
                stack[-1][3] = max(stack[-1][3], height)
    finally:
        loader.dispose()
    return None


def _too_deep(line: int, event: yaml.Event) -> tuple[int, str, str]:
    through = f" (through alias *{event.anchor})" if isinstance(event, yaml.AliasEvent) else ""
    return (line, "", f"values nested more than {MAX_DEPTH} levels deep{through}; specrun reads at most {MAX_DEPTH}")


def _walk(node: yaml.Node, path: Path_, lines: Lines, problems: list, *, merged: bool) -> None:
    """Record lines; report (and drop) keys that are not text, duplicate keys and oversized numbers.

    ``merged``: walking a ``<<:`` merge source, whose lines never override what the
    mapping itself wrote.
    """
    lines.values.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.ScalarNode):
        if node.tag == _INT_TAG and len(node.value) > 100:  # Python refuses to read > 4,300 digits
            problems.append((node.start_mark.line + 1, format_path(path), _TOO_LARGE))
            node.tag = _STR_TAG  # reported; built as text so nothing downstream trips on it
        elif node.tag in _SCALAR_READERS:  # an explicit `!!float text` cannot be read: say so, at its line
            try:
                _SCALAR_READERS[node.tag](_SCALARS, node)
            except (ValueError, KeyError, ArithmeticError):
                kind = node.tag.rsplit(":", 1)[-1]
                problems.append((node.start_mark.line + 1, format_path(path),
                                 f"{node.value[:100]!r} cannot be read as !!{kind}; fix the value or drop the tag"))
                node.tag = _STR_TAG
    elif isinstance(node, yaml.MappingNode):
        seen: dict[str, int] = {}
        kept: list[tuple[yaml.Node, yaml.Node]] = []
        merges: list[yaml.Node] = []
        for key_node, value_node in node.value:
            line = key_node.start_mark.line + 1
            if key_node.tag == _MERGE_TAG:
                kept.append((key_node, value_node))
                merges.append(value_node)
                continue
            if not isinstance(key_node, yaml.ScalarNode) or key_node.tag != _STR_TAG:
                problems.append((line, format_path(path), _key_problem(key_node)))
                continue  # dropped: construction and every later check see text keys only
            key = key_node.value
            if key in seen:
                problems.append((line, format_path((*path, key)),
                                 f"duplicate key '{key}' (first at line {seen[key]})"))
                continue  # dropped too, so an alias of this mapping does not report it again
            kept.append((key_node, value_node))
            seen[key] = line
            child = (*path, key)
            if merged:
                lines.keys.setdefault(child, line)
            else:
                lines.keys[child] = line
            _walk(value_node, child, lines, problems, merged=merged)
        node.value = kept
        for source in merges:  # a mapping, an alias of one, or a list of them
            for mapping in (source.value if isinstance(source, yaml.SequenceNode) else [source]):
                if isinstance(mapping, yaml.MappingNode):
                    _walk(mapping, path, lines, problems, merged=True)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            child = (*path, index)
            if merged:
                lines.keys.setdefault(child, item.start_mark.line + 1)
            else:
                lines.keys[child] = item.start_mark.line + 1
            _walk(item, child, lines, problems, merged=merged)


def _key_problem(key_node: yaml.Node) -> str:
    if not isinstance(key_node, yaml.ScalarNode):
        kind = "a list" if isinstance(key_node, yaml.SequenceNode) else "a mapping"
        return f"a key must be text, not {kind}"
    shown = key_node.value
    if shown in ("", "~", "null", "Null", "NULL"):
        return "a key must be text, not null; write a name"
    if len(shown) > 100:
        return f"key of {len(shown):,} characters must be text; quote it"
    quoted = "'" + shown.replace("'", "''") + "'"
    if key_node.tag == _BOOL_TAG:  # YAML 1.1: on/off/yes/no are booleans (a GitHub Actions workflow's `on:`)
        truth = "true" if yaml.constructor.SafeConstructor.bool_values.get(shown.lower()) else "false"
        return f"key {shown} must be text (YAML reads it as {truth}); quote it: {quoted}"
    return f"key {shown} must be text; quote it: {quoted}"


def _check_values(value: Any, path: Path_, lines: Lines, problems: list) -> None:
    """Specs are JSON-shaped: reject YAML-only values (sets, binary, NaN) and numbers beyond 64 bits."""
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(key, str):
                _check_values(item, (*path, key), lines, problems)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _check_values(item, (*path, index), lines, problems)
    elif isinstance(value, float):
        if not math.isfinite(value):
            problems.append((lines.of(path), format_path(path), f"{value} is not allowed (JSON has no NaN/infinity)"))
    elif isinstance(value, int) and not isinstance(value, bool):
        if abs(value) > MAX_INT:
            problems.append((lines.of(path), format_path(path), _TOO_LARGE))
    elif not (value is None or isinstance(value, (str, bool))):
        problems.append((lines.of(path), format_path(path),
                         f"unsupported YAML value of type {type(value).__name__}"))
