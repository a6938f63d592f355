"""Structured output (DESIGN §8): a job's ``output_schema`` asks for JSON answers, and checks them.

- ``load_output_schema`` reads the schema (inline, or a .json/.yaml file) and refuses one
  that is not a valid JSON Schema, with words a user can act on;
- ``response_format`` is what every request of a chat job carries, so the model (and the
  request key, so the ledger) knows the schema; ``text_format`` the same for a
  ``/v1/responses`` job (``text: {format: ...}``);
- ``Checker`` parses each answer and validates it: an ok answer gains ``parsed``; one that
  is not JSON, or breaks the schema, becomes the row error ``invalid_output`` naming what
  failed, its raw text kept in ``content``. Plan, apply and the ledger all check with it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

import yaml

from specrun.results import RowResult

__all__ = ["SCHEMA_SUFFIXES", "load_output_schema", "schema_problem", "response_format", "text_format", "Checker",
           "INVALID_OUTPUT"]

INVALID_OUTPUT = "invalid_output"
SCHEMA_SUFFIXES = (".json", ".yaml", ".yml")
#: Longest answer text a check parses (a bigger answer is an invalid_output error, not a stall).
_MAX_PARSE_CHARS = 64 * 1024 * 1024


def load_output_schema(value: Any, base_dir: Path) -> tuple[Mapping[str, Any] | None, str | None, str | None]:
    """``(schema, source, problem)``: the schema as given inline, or read from the file it names.

    ``source`` is the file as written (None inline); ``problem`` says why it cannot be used.
    """
    if isinstance(value, Mapping):
        problem = schema_problem(value)
        return (value if problem is None else None), None, problem
    path = Path(value) if Path(value).is_absolute() else base_dir / value
    if Path(value).suffix.lower() not in SCHEMA_SUFFIXES:
        return None, value, f"{value}: a schema file must be .json or .yaml"
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None, value, f"schema file {value} not found (looked for {path})"
    except (OSError, UnicodeDecodeError) as exc:
        return None, value, f"schema file {value} cannot be read: {exc}"
    try:
        if path.suffix.lower() == ".json":
            loaded = json.loads(text)
        else:
            from specrun._yaml import load_yaml

            document = load_yaml(text, value)  # the spec's own safe loader: alias and depth limits
            if document.problems:
                line, _where, message = document.problems[0]
                return None, value, f"schema file {value} line {line}: {message}"
            loaded = document.data
    except (ValueError, RecursionError, yaml.YAMLError) as exc:  # its message says where
        return None, value, f"schema file {value} is not valid {path.suffix.lstrip('.').upper()}: {exc}"
    if not isinstance(loaded, Mapping):
        return None, value, f"schema file {value} must hold a JSON Schema object"
    problem = schema_problem(loaded)
    return (loaded if problem is None else None), value, (f"{value}: {problem}" if problem else None)


def schema_problem(schema: Mapping[str, Any]) -> str | None:
    """Why ``schema`` is not a valid JSON Schema (None when it is)."""
    import jsonschema

    try:
        jsonschema.Draft202012Validator.check_schema(schema)
    except jsonschema.SchemaError as exc:
        where = "/".join(str(part) for part in exc.absolute_path)
        return f"not a valid JSON Schema{f' at {where}' if where else ''}: {exc.message}"
    if schema.get("type", "object") != "object":
        return "structured output needs a schema whose top level is an object (type: object)"
    return _unresolved_ref(schema)


def _unresolved_ref(schema: Mapping[str, Any]) -> str | None:
    """Why a ``$ref`` in the schema points nowhere (checked now: an answer must never meet it first)."""
    from referencing import Registry
    from referencing.exceptions import Unresolvable
    from referencing.jsonschema import DRAFT202012

    resolver = Registry().resolver_with_root(DRAFT202012.create_resource(dict(schema)))
    stack: list[Any] = [schema]
    while stack:
        node = stack.pop()
        if isinstance(node, Mapping):
            ref = node.get("$ref")
            if isinstance(ref, str):
                try:
                    resolver.lookup(ref)
                except Unresolvable:
                    return f"$ref {ref!r} points to nothing in the schema (only references inside it are allowed)"
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return None


def response_format(job_name: str, schema: Mapping[str, Any]) -> dict[str, Any]:
    """The ``response_format`` every request of the job carries (the OpenAI structured-outputs shape)."""
    return {"type": "json_schema", "json_schema": {"name": _schema_name(job_name), "schema": dict(schema),
                                                   "strict": True}}


def text_format(job_name: str, schema: Mapping[str, Any]) -> dict[str, Any]:
    """The ``text.format`` every request of a ``/v1/responses`` job carries (the Responses API's shape)."""
    return {"type": "json_schema", "name": _schema_name(job_name), "schema": dict(schema), "strict": True}


def _schema_name(job_name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]", "_", job_name)[:64] or "output"


class Checker:
    """Parses and validates a job's answers against its schema (compiled once)."""

    def __init__(self, schema: Mapping[str, Any]) -> None:
        import jsonschema

        self._validator = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())

    def check(self, result: RowResult) -> RowResult:
        """An ok answer with ``parsed`` set, or the row error ``invalid_output`` (content kept)."""
        if result.status != "ok":
            return result
        text = result.content
        if text is None:
            return self._invalid(result, "the answer has no text")
        if len(text) > _MAX_PARSE_CHARS:
            return self._invalid(result, f"the answer is {len(text):,} characters, too long to parse")
        try:
            parsed = json.loads(text)
        except json.JSONDecodeError as exc:
            return self._invalid(result, f"the answer is not JSON (line {exc.lineno} column {exc.colno}: {exc.msg})")
        except (RecursionError, ValueError) as exc:
            return self._invalid(result, f"the answer is not JSON that can be read ({type(exc).__name__})")
        error = next(iter(sorted(self._validator.iter_errors(parsed), key=lambda e: list(e.absolute_path))), None)
        if error is not None:
            where = "/".join(str(part) for part in error.absolute_path)
            return self._invalid(result, f"the answer does not follow the schema"
                                         f"{f' at {where}' if where else ''}: {error.message[:500]}")
        return replace(result, parsed=parsed)

    @staticmethod
    def _invalid(result: RowResult, message: str) -> RowResult:
        return replace(result, status="error", error={"code": INVALID_OUTPUT, "message": message}, parsed=None)
