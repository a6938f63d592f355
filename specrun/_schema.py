"""The spec's JSON Schema, and its violations in a user's words.

:func:`schema_problems` turns each ``jsonschema`` error into ``(line, field path,
plain words)``: "unknown key 'modle' (did you mean 'model'?)", "must be a whole number
(got the number 1.5)", "missing required key 'messages'". The schema ships inside the
package (``schemas/specrun.schema.json``).
"""

from __future__ import annotations

import difflib
import functools
import json
from collections.abc import Iterable, Mapping
from importlib import resources
from typing import Any, cast

import jsonschema

from specrun._yaml import Lines, format_path

__all__ = ["spec_schema", "schema_problems", "type_words", "did_you_mean"]

SCHEMA_RESOURCE = "schemas/specrun.schema.json"


@functools.lru_cache(maxsize=1)
def spec_schema() -> dict[str, Any]:
    """The spec's JSON Schema, as shipped inside the package."""
    text = resources.files("specrun").joinpath(SCHEMA_RESOURCE).read_text(encoding="utf-8")
    return json.loads(text)


def did_you_mean(word: str, candidates: Iterable[str]) -> str:
    """`` (did you mean 'model'?)`` for the closest candidate, or ``""`` when none is close."""
    close = difflib.get_close_matches(word, list(candidates), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


_TYPE_WORDS = {
    "string": "a string", "object": "a mapping", "array": "a list", "integer": "a whole number",
    "number": "a number", "boolean": "true or false", "null": "null",
}


def type_words(value: Any) -> str:
    """What ``value`` is, in a user's words ("a mapping", "the number 1.5", "nothing (null)")."""
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return f"{str(value).lower()}"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, (int, float)):
        return f"the number {value!r}"
    return type(value).__name__


@functools.lru_cache(maxsize=1)
def _validator_class() -> type:
    """Draft 2020-12, except that 1.0 is not a whole number: a spec's integers are written as integers."""
    checker = jsonschema.Draft202012Validator.TYPE_CHECKER.redefine(
        "integer", lambda _checker, value: isinstance(value, int) and not isinstance(value, bool))
    return jsonschema.validators.extend(jsonschema.Draft202012Validator, type_checker=checker)


def schema_problems(data: Any, lines: Lines) -> list[tuple[int, str, str]]:
    """Every JSON Schema violation in ``data`` as ``(line, field path, plain words)``."""
    validator = _validator_class()(spec_schema())
    problems: list[tuple[int, str, str]] = []
    for error in validator.iter_errors(data):
        problems.extend(_explain(error, lines))
    return list(dict.fromkeys(problems))  # "required" yields one error per missing key, each listing all


def _explain(error: jsonschema.ValidationError, lines: Lines) -> list[tuple[int, str, str]]:
    path = tuple(error.absolute_path)
    # an error from iter_errors has all of these (the stubs also allow jsonschema's `Unset`),
    # and every schema in specrun's is an object
    kind: Any = error.validator
    expected: Any = error.validator_value
    value: Any = error.instance
    schema = cast("Mapping[str, Any]", error.schema)
    if kind == "additionalProperties":
        allowed = list(schema.get("properties", {}))
        return [
            (lines.of_key((*path, key)), format_path((*path, key)),
             f"unknown key {key!r}{did_you_mean(key, allowed)}"
             + ("" if did_you_mean(key, allowed) else f" (allowed: {', '.join(allowed)})"))
            for key in value if key not in allowed
        ]
    if "propertyNames" in error.relative_schema_path:  # a bad key: the error is about the name
        key_path = (*path, value)
        return [(lines.of_key(key_path), format_path(key_path), schema.get("x-hint", error.message))]
    line, field = lines.of(path), format_path(path)
    if path == ("version",) and kind in ("const", "type"):
        return [(line, field, f"unsupported spec version {value!r}; this specrun reads version: 1")]
    if kind == "required":
        missing = [name for name in expected if name not in value]
        return [(lines.of_key(path), field, f"missing required key {name!r}") for name in missing]
    if kind == "type":
        types = [expected] if isinstance(expected, str) else expected
        words = " or ".join(_TYPE_WORDS.get(t, t) for t in types)
        return [(line, field, f"must be {words} (got {type_words(value)})")]
    if kind == "const":
        return [(line, field, f"must be {json.dumps(expected)} (got {json.dumps(value)})")]
    if kind == "enum":
        close = difflib.get_close_matches(value, list(map(str, expected)), n=1) if isinstance(value, str) else []
        hint = f"; did you mean {close[0]!r}?" if close else ""
        return [(line, field, f"must be one of {', '.join(map(str, expected))} (got {value!r}{hint})")]
    if kind == "pattern":
        return [(line, field, schema.get("x-hint", f"must match {expected}") + f" (got {value!r})")]
    if kind in ("minItems", "minLength", "minProperties") and expected == 1:
        return [(line, field, "must not be empty")]
    if kind == "minimum":
        return [(line, field, f"must be at least {expected} (got {value!r})")]
    if kind == "maximum":
        return [(line, field, f"must be at most {expected:,} (got {value!r})")]
    return [(line, field, error.message)]
