"""JSON Schema instances for the echo engine's structured-output answers.

``schema_instance`` builds a deterministic value meant to satisfy a schema (best effort):
what the schema leaves free is drawn from a hash of a seed (for the echo engine, the last
user message, whose echo text goes into the first free-form string). ``_structured_content``
turns a request's ``response_format`` into the answer's text; the ``[[invalid-json]]`` and
``[[off-schema]]`` markers break it on purpose. Strings for a ``format`` or a ``pattern``
come from ``_strings``.
"""

from __future__ import annotations

import functools
import json
import math
import urllib.parse
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

from specrun.local._strings import _formatted, _hash_int, _pattern_example

if TYPE_CHECKING:
    from jsonschema.protocols import Validator

#: With structured output asked for: a 200 answer whose text is not JSON.
ECHO_INVALID_JSON_MARKER = "[[invalid-json]]"
#: With structured output asked for: a 200 answer that is JSON but breaks the schema.
ECHO_OFF_SCHEMA_MARKER = "[[off-schema]]"

#: Nesting (objects and arrays) beyond which instances take the shortest way out: no
#: optional properties, ``minItems`` items, ``null`` and scalar alternatives first.
_MAX_NESTING = 8
#: Subschemas (properties, items, alternatives, references) one branch may descend through
#: before giving up on it: a schema with no finite instance must not hang the engine.
_MAX_DESCENT = 64
#: Values in one instance beyond which it stops adding optional properties and items.
_MAX_VALUES = 500
#: Subschemas one instance may visit, tries that failed included, before it gives up:
#: alternatives that all recurse forever would otherwise cost 2**depth tries.
_MAX_VISITS = 5_000
#: Longest string padded out for a ``minLength``.
_MAX_TEXT = 100_000
_NOT_JSON = "echo: not json {"
#: How far past its minimum each try at a pattern may repeat a ``+``/``*``/``{m,}``:
#: short strings first, longer ones for a ``minLength`` the short ones miss.
_PATTERN_STRETCH = (2, 2, 2, 4, 4, 8, 16, 32)


class _NoInstance(Exception):
    """This branch of the schema has no instance the builder can find."""


class _InvalidResponseFormat(Exception):
    """The request's ``response_format`` cannot be answered (a 400, as a real provider would)."""


def schema_instance(schema: Mapping[str, Any] | bool, seed: str, *, text: str | None = None) -> Any:
    """A deterministic instance of a JSON Schema, varied by ``seed``.

    Strings and numbers the schema leaves free are derived from a hash of ``seed`` and
    their place in the instance, so different seeds give different values. ``text``, when
    given, goes into the first free-form string (cut to its ``maxLength``). Best effort:
    the result does not validate when the schema has no instance this can find (an
    unsatisfiable ``pattern``, ``not``, conditional keywords); None when nothing was found.
    """
    return _InstanceBuilder(schema, _validator(schema), seed, text).build()


def _validator(schema: Mapping[str, Any] | bool) -> Validator:
    """The validator ``specrun``'s own checks use (with formats), for the schema's draft."""
    import jsonschema

    cls = jsonschema.validators.validator_for(schema, default=jsonschema.Draft202012Validator)
    return cls(schema, format_checker=jsonschema.FormatChecker())


@functools.lru_cache(maxsize=32)
def _compiled(schema_json: str) -> tuple[Mapping[str, Any] | bool, Validator]:
    """A request's schema, checked and compiled once per distinct schema (every row of a job shares it)."""
    import jsonschema

    schema = json.loads(schema_json)
    try:
        jsonschema.validators.validator_for(schema, default=jsonschema.Draft202012Validator).check_schema(schema)
    except jsonschema.SchemaError as exc:
        where = "/".join(str(part) for part in exc.absolute_path)
        raise _InvalidResponseFormat(
            f"response_format.json_schema.schema is not a valid JSON Schema{f' at {where}' if where else ''}: "
            f"{exc.message}") from None
    return schema, _validator(schema)


def _structured_content(response_format: Any, last: str) -> str | None:
    """The echo answer's text when the request asks for JSON (None: it does not)."""
    if not isinstance(response_format, Mapping):
        return None
    kind = response_format.get("type")
    if kind not in ("json_object", "json_schema"):
        return None
    if ECHO_INVALID_JSON_MARKER in last:
        return _NOT_JSON + " " + last
    spec = response_format.get("json_schema")
    if kind == "json_object" or (isinstance(spec, Mapping) and "schema" not in spec):
        # Any JSON object will do; off-schema, a JSON value that is not the object asked for.
        instance: Any = [last] if ECHO_OFF_SCHEMA_MARKER in last else {"echo": last}
        return _dumps(instance)
    if not isinstance(spec, Mapping):
        raise _InvalidResponseFormat("response_format.json_schema must be an object with a schema")
    schema = spec["schema"]
    if not isinstance(schema, (Mapping, bool)):
        raise _InvalidResponseFormat("response_format.json_schema.schema must be a JSON Schema object")
    try:
        # key order kept: the instance follows the schema's property order, as a model's answer does
        schema, validator = _compiled(json.dumps(schema, ensure_ascii=False))
        instance = _InstanceBuilder(schema, validator, last, "echo: " + last).build()
        if ECHO_OFF_SCHEMA_MARKER in last:
            instance = _off_schema(instance, schema, validator, last)
        return _dumps(instance)
    except (TypeError, ValueError) as exc:  # not JSON-serialisable
        raise _InvalidResponseFormat(f"response_format.json_schema.schema is not JSON: {exc}") from None
    except RecursionError:
        raise _InvalidResponseFormat("response_format.json_schema.schema is nested too deeply") from None


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _off_schema(instance: Any, schema: Mapping[str, Any] | bool, validator: Validator, last: str) -> Any:
    """Valid JSON that breaks the schema, the way a model would: a required key dropped, first."""
    candidates: list[Any] = []
    if isinstance(instance, dict):
        root = schema if isinstance(schema, Mapping) else {}
        required = [name for name in root.get("required") or [] if name in instance]
        if required:
            candidates.append({k: v for k, v in instance.items() if k != required[0]})
        candidates.append({**instance, "off_schema": last})
        candidates += [{**instance, name: None if value is not None else []} for name, value in instance.items()]
    candidates += [[last], last, 0, True, None, {"echo": last}]
    return next((c for c in candidates if not validator.is_valid(c)), instance)


def _merge(base: Mapping[str, Any], extra: Mapping[str, Any]) -> dict[str, Any]:
    """``base`` and ``extra`` as one schema (properties and required lists joined)."""
    merged = {**base, **extra}
    for key in ("properties", "$defs", "definitions"):
        if isinstance(base.get(key), Mapping) and isinstance(extra.get(key), Mapping):
            merged[key] = {**base[key], **extra[key]}
    if isinstance(base.get("required"), list) and isinstance(extra.get("required"), list):
        merged["required"] = list(dict.fromkeys([*base["required"], *extra["required"]]))
    return merged


def _pointer(root: Any, ref: str) -> Any:
    """The subschema a local ``$ref`` (``#``, ``#/$defs/x``, ``#/definitions/x``, ...) points at."""
    if not ref.startswith("#"):
        raise _NoInstance
    node = root
    for part in urllib.parse.unquote(ref[1:]).split("/")[1:]:
        part = part.replace("~1", "/").replace("~0", "~")
        if isinstance(node, Mapping) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            raise _NoInstance
    return node


_INFERRED_TYPES = (
    ("object", ("properties", "required", "additionalProperties", "minProperties", "maxProperties")),
    ("array", ("items", "prefixItems", "minItems", "maxItems", "uniqueItems")),
    ("string", ("minLength", "maxLength", "pattern", "format")),
    ("number", ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf")),
)
_SIMPLE_FIRST = {"null": 0, "boolean": 1, "integer": 1, "number": 1, "string": 1, "array": 2, "object": 3}


class _InstanceBuilder:
    """Builds one instance; see :func:`schema_instance`."""

    def __init__(self, root: Mapping[str, Any] | bool, validator: Validator, seed: str, text: str | None) -> None:
        self._root = root
        self._validator = validator
        self._seed = seed
        self._text = text      # still to place, or None once placed (or never given)
        self._values = 0

    def build(self) -> Any:
        try:
            return self._value(self._root, (), 0)
        except _NoInstance:
            return None

    # -- helpers

    def _fits(self, schema: Mapping[str, Any], value: Any) -> bool:
        return self._validator.evolve(schema=schema).is_valid(value)

    def _hash(self, path: tuple[str, ...], salt: str = "") -> int:
        return _hash_int(self._seed, "/".join(path), salt)

    def _short(self, path: tuple[str, ...]) -> bool:
        """Take the shortest way out here (deep, or the instance is already big)."""
        return len(path) >= _MAX_NESTING or self._values >= _MAX_VALUES

    def _resolve(self, schema: Mapping[str, Any]) -> Mapping[str, Any]:
        """``schema`` with its ``$ref`` followed and its ``allOf`` merged in."""
        for _ in range(_MAX_DESCENT):
            if isinstance(schema.get("$ref"), str):
                target = _pointer(self._root, schema["$ref"])
                if target is False:
                    raise _NoInstance
                rest = {k: v for k, v in schema.items() if k != "$ref"}
                schema = _merge(target if isinstance(target, Mapping) else {}, rest)
            elif isinstance(schema.get("allOf"), list):
                merged: dict[str, Any] = {k: v for k, v in schema.items() if k != "allOf"}
                for part in schema["allOf"]:
                    if part is False:
                        raise _NoInstance
                    if isinstance(part, Mapping):
                        merged = _merge(merged, part)
                schema = merged
            else:
                return schema
        raise _NoInstance

    def _types(self, schema: Mapping[str, Any], path: tuple[str, ...]) -> list[str]:
        declared = schema.get("type")
        if isinstance(declared, str):
            return [declared]
        if isinstance(declared, list) and declared:
            types = [t for t in declared if isinstance(t, str)]
            if self._short(path):
                return sorted(types, key=lambda t: _SIMPLE_FIRST.get(t, 1))
            return sorted(types, key=lambda t: t == "null")  # a value says more than null
        inferred = next((kind for kind, keys in _INFERRED_TYPES if any(k in schema for k in keys)), None)
        # nothing says what it is: a string, unless the schema (a ``not``, say) wants another kind
        return [inferred] if inferred else ["string", "integer", "boolean", "null", "object", "array"]

    # -- values

    def _value(self, schema: Any, path: tuple[str, ...], descent: int) -> Any:
        self._values += 1
        if descent > _MAX_DESCENT or self._values > _MAX_VISITS or schema is False:
            raise _NoInstance
        if not isinstance(schema, Mapping):  # true (anything goes), or not a schema at all
            return self._free_text({}, path)
        schema = self._resolve(schema)
        if "const" in schema:
            return schema["const"]
        if isinstance(schema.get("enum"), list) and schema["enum"]:
            return self._enum(schema, path)
        for key in ("anyOf", "oneOf"):
            if isinstance(schema.get(key), list) and schema[key]:
                return self._alternatives(schema, key, path, descent)
        types = self._types(schema, path)
        if len(types) == 1:
            return self._typed(types[0], schema, path, descent)
        return self._first_that_fits(schema, [functools.partial(self._typed, kind, schema, path, descent)
                                              for kind in types])

    def _first_that_fits(self, schema: Mapping[str, Any], tries: Iterable[Callable[[], Any]]) -> Any:
        """The first try whose value satisfies ``schema`` (else the first value built at all).

        The echo text stays where the kept value put it: a try thrown away gives it back.
        """
        fallback: tuple[Any, str | None] | None = None
        for build in tries:
            text_before = self._text
            try:
                value = build()
            except _NoInstance:
                self._text = text_before
                continue
            if self._fits(schema, value):
                return value
            if fallback is None:
                fallback = (value, self._text)
            self._text = text_before
        if fallback is None:
            raise _NoInstance
        value, self._text = fallback
        return value

    def _enum(self, schema: Mapping[str, Any], path: tuple[str, ...]) -> Any:
        options = schema["enum"]
        start = self._hash(path, "enum") % len(options)
        rotated = options[start:] + options[:start]
        return next((o for o in rotated if self._fits(schema, o)), rotated[0])

    def _alternatives(self, schema: Mapping[str, Any], key: str, path: tuple[str, ...], descent: int) -> Any:
        """The first alternative whose instance satisfies the whole schema (the simplest first when deep)."""
        base = {k: v for k, v in schema.items() if k != key}
        options = [o for o in schema[key] if isinstance(o, (Mapping, bool))]
        if self._short(path):
            options.sort(key=self._simplicity)
        return self._first_that_fits(schema, [
            functools.partial(self._value, _merge(base, o) if isinstance(o, Mapping) else o, path, descent + 1)
            for o in options])

    def _simplicity(self, option: Any) -> int:
        if not isinstance(option, Mapping):
            return 1
        if "$ref" in option or "anyOf" in option or "oneOf" in option:
            return 2
        declared = option.get("type")
        kinds = [declared] if isinstance(declared, str) else declared if isinstance(declared, list) else []
        return min((_SIMPLE_FIRST.get(k, 1) for k in kinds if isinstance(k, str)), default=1)

    def _typed(self, kind: str, schema: Mapping[str, Any], path: tuple[str, ...], descent: int) -> Any:
        if kind == "object":
            return self._object(schema, path, descent)
        if kind == "array":
            return self._array(schema, path, descent)
        if kind in ("integer", "number"):
            return self._number(schema, path, integer=kind == "integer")
        if kind == "boolean":
            return self._hash(path, "boolean") % 2 == 0
        if kind == "null":
            return None
        return self._string(schema, path)

    def _object(self, schema: Mapping[str, Any], path: tuple[str, ...], descent: int) -> dict[str, Any]:
        declared = schema.get("properties")
        properties: Mapping[str, Any] = declared if isinstance(declared, Mapping) else {}
        required = [r for r in schema.get("required") or [] if isinstance(r, str)]
        extra = schema.get("additionalProperties", True)
        names = list(dict.fromkeys([*required, *(n for n in properties if not self._short(path))]))
        limit = _count(schema, "maxProperties")
        if limit is not None:
            names = names[: max(limit, len(required))]
        order = {name: index for index, name in enumerate(properties)}
        names.sort(key=lambda n: order.get(n, len(order)))  # the schema's order, as a model writes it
        instance: dict[str, Any] = {}
        for name in names:
            try:
                instance[name] = self._value(properties.get(name, extra), (*path, name), descent + 1)
            except _NoInstance:
                if name in required:
                    raise
        wanted = _count(schema, "minProperties") or 0
        count = 0
        while len(instance) < wanted and extra is not False and count < wanted:
            count += 1
            name = f"extra_{count}"
            if name not in instance and name not in properties:
                instance[name] = self._value(extra, (*path, name), descent + 1)
        return instance

    def _array(self, schema: Mapping[str, Any], path: tuple[str, ...], descent: int) -> list[Any]:
        items = schema.get("items", True)
        prefix = schema.get("prefixItems")
        if isinstance(items, list):  # draft 7 and older: a tuple
            prefix, items = items, schema.get("additionalItems", True)
        prefix = prefix if isinstance(prefix, list) else []
        least = _count(schema, "minItems") or 0
        most = _count(schema, "maxItems")
        count = least if self._short(path) else least + 1 + self._hash(path, "items") % 2
        if most is not None:
            count = min(count, most)
        if items is False:
            count = min(count, len(prefix))
        unique = schema.get("uniqueItems") is True
        instance: list[Any] = []
        for index in range(count):
            item_schema = prefix[index] if index < len(prefix) else items
            try:
                for attempt in range(4 if unique else 1):
                    # a retry for uniqueItems hashes another place, so it draws other values
                    where = (*path, f"[{index}]" if attempt == 0 else f"[{index}#{attempt}]")
                    item = self._value(item_schema, where, descent + 1)
                    if not unique or item not in instance:
                        break
            except _NoInstance:
                if index < least:
                    raise
                break
            instance.append(item)
        return instance

    def _number(self, schema: Mapping[str, Any], path: tuple[str, ...], *, integer: bool) -> int | float:
        def numeric(key: str) -> float | None:
            value = schema.get(key)
            return value if isinstance(value, (int, float)) and not isinstance(value, bool) else None

        low, high = numeric("minimum"), numeric("maximum")
        # draft 4 spells an open bound as a boolean beside minimum/maximum
        low_open = low if schema.get("exclusiveMinimum") is True else numeric("exclusiveMinimum")
        high_open = high if schema.get("exclusiveMaximum") is True else numeric("exclusiveMaximum")
        lows = [b for b in (low, low_open) if b is not None]
        highs = [b for b in (high, high_open) if b is not None]
        floor = max(lows) if lows else (min(highs) - 100 if highs else 0)
        ceiling = min(highs) if highs else floor + 100
        step = numeric("multipleOf")
        h = self._hash(path, "number")
        candidates: list[int | float] = []
        try:
            if step is not None and step > 0:
                first, last = math.ceil(floor / step), math.floor(ceiling / step)
                start = first + h % (last - first + 1) if last >= first else first
                # a float step's multiples are not all exact in binary; a few neighbours give the check a choice
                for k in [start + i for i in range(8)] + [first, last, 0]:
                    value = k * step
                    candidates.append(int(value) if float(value).is_integer() and (integer or isinstance(step, int))
                                      else round(value, 12))
            elif integer:
                first, last = math.ceil(floor), math.floor(ceiling)
                if last >= first:
                    candidates.append(first + h % (last - first + 1))
                candidates += [first, first + 1, last - 1, last]
            else:
                # not a whole number, when the bounds allow: 52.0 would pass for an integer too
                # (and fail a oneOf of integer and number)
                value = round(floor + (ceiling - floor) * ((h % 999) + 1) / 1000, 2)
                candidates += [value + 0.25 if float(value).is_integer() else value, value, (floor + ceiling) / 2,
                               floor, ceiling]
        except (OverflowError, ValueError):  # infinite bounds (JSON's Infinity), or steps too fine to count
            pass
        # JSON has no Infinity or NaN: never answer them
        finite = [c for c in candidates if math.isfinite(c)] or [0]
        return next((c for c in finite if self._fits(schema, c)), finite[0])

    def _string(self, schema: Mapping[str, Any], path: tuple[str, ...]) -> str:
        fmt = schema.get("format")
        pattern = schema.get("pattern")
        if not isinstance(fmt, str) and not isinstance(pattern, str):
            return self._free_text(schema, path)
        h = self._hash(path, "string")
        candidates = _formatted(fmt, h) if isinstance(fmt, str) else []
        if isinstance(pattern, str):
            if self._text is not None:
                text = _fit_length(self._text, schema, h)
                if self._fits(schema, text):
                    self._text = None
                    return text
            candidates += [example for attempt, stretch in enumerate(_PATTERN_STRETCH)
                           if (example := _pattern_example(pattern, f"{self._seed}\0{'/'.join(path)}\0{attempt}",
                                                           stretch)) is not None]
        found = next((c for c in candidates if self._fits(schema, c)), None)
        # an unknown format is only an annotation; a pattern nothing here satisfies gets the
        # echo text (the answer then fails validation, as a model's would)
        return found if found is not None else self._free_text(schema, path)

    def _free_text(self, schema: Mapping[str, Any], path: tuple[str, ...]) -> str:
        """The echo text the first time, then ``<property>-<hex>`` values."""
        h = self._hash(path, "string")
        if self._text is not None:
            text, self._text = self._text, None
        else:
            text = f"{_label(path)}-{h & 0xFFFFFFFF:08x}"
            most = _count(schema, "maxLength")
            if most is not None and len(text) > most:
                text = f"{h:016x}"[:most]  # keep the part that varies, not the label
        return _fit_length(text, schema, h)


def _label(path: tuple[str, ...]) -> str:
    """The nearest property name above a value (``value`` at the top)."""
    return next((part for part in reversed(path) if not part.startswith("[")), "value")


def _count(schema: Mapping[str, Any], key: str) -> int | None:
    """A length or count keyword (``2.0`` is a valid 2), or None when absent or unusable."""
    value = schema.get(key)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
        return None
    return int(value) if float(value).is_integer() else None


def _fit_length(text: str, schema: Mapping[str, Any], h: int) -> str:
    least, most = _count(schema, "minLength"), _count(schema, "maxLength")
    if least is not None and len(text) < least <= _MAX_TEXT:
        pad = f"{h:016x}"
        text += (pad * (least // len(pad) + 1))[: least - len(text)]
    if most is not None and len(text) > most:
        text = text[:most]
    return text
