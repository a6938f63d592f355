"""YAML loading that remembers where every value came from.

``load_yaml`` returns the plain data (dicts, lists, scalars) together with a
``Lines`` map from field paths (``("jobs", "summarize", "messages", 1, "content")``)
to line numbers, so that every later check can say ``specrun.yaml:14``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Iterable

import yaml

__all__ = ["Lines", "YamlDocument", "load_yaml", "format_path"]

try:  # the C loader is ~10x faster; fall back to pure Python where libyaml is missing
    _BaseLoader: type = yaml.CSafeLoader
except AttributeError:  # pragma: no cover
    _BaseLoader = yaml.SafeLoader

Path_ = tuple[Any, ...]


class _Loader(_BaseLoader):  # type: ignore[misc, valid-type]
    """Safe loader that keeps dates as text (specs are JSON-shaped)."""


_Loader.add_constructor("tag:yaml.org,2002:timestamp", lambda loader, node: loader.construct_scalar(node))

_STR_TAG = "tag:yaml.org,2002:str"
_MERGE_TAG = "tag:yaml.org,2002:merge"


def format_path(path: Iterable[Any]) -> str:
    """``("jobs", "x", "messages", 1, "content")`` -> ``jobs.x.messages[1].content``."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
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
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        lines = Lines()
        problems: list[tuple[int, str, str]] = []
        if node is None:
            return YamlDocument(None, lines, problems)
        # Walk before constructing: construction flattens merge keys (<<) in place,
        # and we want duplicate-key checks on what the user actually wrote.
        _walk(node, (), lines, problems, set())
        if any(message == "recursive alias" for _, _, message in problems):
            return YamlDocument(None, lines, problems)
        data = loader.construct_document(node)
    finally:
        loader.dispose()
    _check_values(data, (), lines, problems)
    return YamlDocument(data, lines, problems)


def _walk(node: yaml.Node, path: Path_, lines: Lines, problems: list, active: set[int]) -> None:
    lines.values.setdefault(path, node.start_mark.line + 1)
    if id(node) in active:
        problems.append((node.start_mark.line + 1, format_path(path), "recursive alias"))
        return
    if isinstance(node, yaml.MappingNode):
        active.add(id(node))
        seen: dict[str, int] = {}
        for key_node, value_node in node.value:
            line = key_node.start_mark.line + 1
            if key_node.tag == _MERGE_TAG:
                continue
            if not isinstance(key_node, yaml.ScalarNode) or key_node.tag != _STR_TAG:
                shown = key_node.value if isinstance(key_node, yaml.ScalarNode) else "(a collection)"
                problems.append((line, format_path(path),
                                 f"key {shown} must be text; quote it: '{shown}'"))
                continue
            key = key_node.value
            if key in seen:
                problems.append((line, format_path(path + (key,)),
                                 f"duplicate key '{key}' (first at line {seen[key]})"))
                continue
            seen[key] = line
            lines.keys[path + (key,)] = line
            _walk(value_node, path + (key,), lines, problems, active)
        active.discard(id(node))
    elif isinstance(node, yaml.SequenceNode):
        active.add(id(node))
        for index, item in enumerate(node.value):
            lines.keys[path + (index,)] = item.start_mark.line + 1
            _walk(item, path + (index,), lines, problems, active)
        active.discard(id(node))


def _check_values(value: Any, path: Path_, lines: Lines, problems: list) -> None:
    """Specs are JSON-shaped: reject YAML-only values (sets, binary, NaN)."""
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(key, str):
                _check_values(item, path + (key,), lines, problems)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _check_values(item, path + (index,), lines, problems)
    elif isinstance(value, float):
        if not math.isfinite(value):
            problems.append((lines.of(path), format_path(path), f"{value} is not allowed (JSON has no NaN/infinity)"))
    elif not (value is None or isinstance(value, (str, int, bool))):
        problems.append((lines.of(path), format_path(path),
                         f"unsupported YAML value of type {type(value).__name__}"))
