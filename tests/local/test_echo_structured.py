"""The echo engine's structured answers: schema instances, json_object, and the markers that break them."""

from __future__ import annotations

import datetime
import json
import random
import time
from typing import Any

import jsonschema
import openai
import pytest
from conftest import MODEL, jsonl, request_line

from specrun.local import (
    ECHO_FAIL_MARKER,
    ECHO_INVALID_JSON_MARKER,
    ECHO_OFF_SCHEMA_MARKER,
    echo_reply,
    schema_instance,
)

PERSON = {
    "type": "object",
    "properties": {
        "name": {"type": "string", "maxLength": 12},
        "email": {"type": "string", "format": "email"},
        "born": {"type": "string", "format": "date"},
    },
    "required": ["name", "email", "born"],
    "additionalProperties": False,
}

SCHEMAS: dict[str, dict[str, Any]] = {
    "flat": {
        "type": "object",
        "properties": {"summary": {"type": "string"}, "score": {"type": "integer"}, "ok": {"type": "boolean"},
                       "ratio": {"type": "number"}, "nothing": {"type": "null"}},
        "required": ["summary", "score", "ok", "ratio", "nothing"],
        "additionalProperties": False,
    },
    "enums_and_consts": {
        "type": "object",
        "properties": {"label": {"enum": ["positive", "negative", "neutral"]}, "version": {"const": 2},
                       "level": {"type": "integer", "enum": [1, 2, 3]}, "mixed": {"type": "string", "enum": [1, "a"]}},
        "required": ["label", "version", "level", "mixed"],
        "additionalProperties": False,
    },
    "refs_defs": {
        "$defs": {"person": PERSON},
        "type": "object",
        "properties": {"author": {"$ref": "#/$defs/person"},
                       "reviewers": {"type": "array", "items": {"$ref": "#/$defs/person"}, "minItems": 2}},
        "required": ["author", "reviewers"],
        "additionalProperties": False,
    },
    "refs_definitions": {
        "definitions": {"tag": {"type": "string", "minLength": 3, "maxLength": 8}},
        "type": "object",
        "properties": {"tags": {"type": "array", "items": {"$ref": "#/definitions/tag"}, "uniqueItems": True}},
        "required": ["tags"],
    },
    "root_ref": {"$defs": {"answer": PERSON}, "$ref": "#/$defs/answer"},
    "any_of": {
        "type": "object",
        "properties": {
            "value": {"anyOf": [{"type": "integer", "minimum": 10}, {"type": "string"}]},
            "shape": {"anyOf": [
                {"type": "object", "properties": {"kind": {"const": "circle"}, "radius": {"type": "number"}},
                 "required": ["kind", "radius"], "additionalProperties": False},
                {"type": "object", "properties": {"kind": {"const": "square"}, "side": {"type": "number"}},
                 "required": ["kind", "side"], "additionalProperties": False},
            ]},
        },
        "required": ["value", "shape"],
        "additionalProperties": False,
    },
    "one_of_needs_the_second": {
        "type": "object",
        "properties": {"x": {"oneOf": [{"type": "integer"}, {"type": "number"}]}},  # an integer matches both
        "required": ["x"],
    },
    "nested": {
        "type": "object",
        "properties": {
            "matrix": {"type": "array", "items": {"type": "array", "items": {"type": "integer", "minimum": 0,
                                                                               "maximum": 9},
                                                  "minItems": 3, "maxItems": 3}},
            "sections": {"type": "array", "items": {
                "type": "object",
                "properties": {"title": {"type": "string"},
                               "points": {"type": "array", "items": {"type": "string"}, "maxItems": 1}},
                "required": ["title", "points"], "additionalProperties": False}},
        },
        "required": ["matrix", "sections"],
        "additionalProperties": False,
    },
    "nullable": {
        "type": "object",
        "properties": {"a": {"type": ["string", "null"]}, "b": {"type": ["null", "integer"]},
                       "c": {"anyOf": [{"type": "string", "format": "date"}, {"type": "null"}]}},
        "required": ["a", "b", "c"],
        "additionalProperties": False,
    },
    "formats": {
        "type": "object",
        "properties": {f.replace("-", "_"): {"type": "string", "format": f}
                       for f in ("date", "date-time", "time", "email", "uri", "hostname", "ipv4", "ipv6", "uuid")},
        "required": ["date", "date_time", "time", "email", "uri", "hostname", "ipv4", "ipv6", "uuid"],
    },
    "bounds": {
        "type": "object",
        "properties": {
            "open_unit": {"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 1},
            "cents": {"type": "number", "minimum": 3, "maximum": 4, "multipleOf": 0.01},
            "sevens": {"type": "integer", "minimum": -20, "maximum": -1, "multipleOf": 7},
            "one": {"type": "integer", "minimum": 1, "maximum": 1},
            "huge": {"type": "number", "minimum": 1e12},
            "negative": {"type": "integer", "exclusiveMaximum": -5},
            "short": {"type": "string", "minLength": 40, "maxLength": 40},
            "tiny": {"type": "string", "maxLength": 3},
            "few": {"type": "array", "items": {"type": "boolean"}, "minItems": 5, "maxItems": 5},
        },
        "required": ["open_unit", "cents", "sevens", "one", "huge", "negative", "short", "tiny", "few"],
    },
    "patterns": {
        "type": "object",
        "properties": {"code": {"type": "string", "pattern": "^[A-Z]{3}-\\d{4}$"},
                       "ext": {"type": "string", "pattern": "^(foo|bar)+\\.json$"},
                       "phone": {"type": "string", "pattern": "^\\+?[0-9 ]{7,12}$"},
                       "hex": {"type": "string", "pattern": "^[^g-z]{2}(ab)\\1$", "maxLength": 6}},
        "required": ["code", "ext", "phone", "hex"],
    },
    "recursive_tree": {
        "$defs": {"node": {"type": "object",
                           "properties": {"name": {"type": "string"},
                                          "children": {"type": "array", "items": {"$ref": "#/$defs/node"}}},
                           "required": ["name", "children"], "additionalProperties": False}},
        "$ref": "#/$defs/node",
    },
    "recursive_list": {
        "$defs": {"cell": {"type": "object",
                           "properties": {"value": {"type": "integer"},
                                          "next": {"anyOf": [{"$ref": "#/$defs/cell"}, {"type": "null"}]}},
                           "required": ["value", "next"], "additionalProperties": False}},
        "$ref": "#/$defs/cell",
    },
    "all_of_and_untyped": {
        "allOf": [{"type": "object", "properties": {"a": {"type": "string"}}, "required": ["a"]},
                  {"properties": {"b": {"minimum": 5}, "c": {}}, "required": ["b", "c"]}],
    },
    "draft7_tuple": {
        "$schema": "http://json-schema.org/draft-07/schema#",
        "type": "object",
        "properties": {"pair": {"type": "array", "items": [{"type": "string"}, {"type": "integer"}],
                                "additionalItems": False, "minItems": 2},
                       "count": {"type": "integer", "exclusiveMinimum": 0}},
        "required": ["pair", "count"],
    },
    "draft4_exclusive": {
        "$schema": "http://json-schema.org/draft-04/schema#",
        "type": "object",
        "properties": {"p": {"type": "number", "minimum": 0, "maximum": 1,
                             "exclusiveMinimum": True, "exclusiveMaximum": True}},
        "required": ["p"],
    },
    "min_properties": {"type": "object", "additionalProperties": {"type": "integer"}, "minProperties": 2},
}
SEEDS = ["Summarize: the cat sat on the mat", "", "é ünïcode ☃ \"quotes\" \\ {braces}", "row 42"]


def validator(schema: dict[str, Any]) -> jsonschema.protocols.Validator:
    """What specrun's structured-output check uses: the schema's draft, with formats checked."""
    cls = jsonschema.validators.validator_for(schema, default=jsonschema.Draft202012Validator)
    return cls(schema, format_checker=jsonschema.FormatChecker())


def structured_body(text: str, schema: dict[str, Any] | None = None, **params: Any) -> dict[str, Any]:
    response_format: dict[str, Any] = (
        {"type": "json_object"} if schema is None
        else {"type": "json_schema", "json_schema": {"name": "answer", "schema": schema, "strict": True}})
    return {"model": MODEL, "messages": [{"role": "system", "content": "Answer in JSON."},
                                         {"role": "user", "content": text}],
            "response_format": response_format, **params}


def answer(body: dict[str, Any], custom_id: str = "r-0") -> tuple[str, dict[str, Any]]:
    """The answer text and the whole answer body of a 200 echo reply."""
    result = echo_reply(custom_id, body, created=0)
    assert result.status_code == 200, result.body
    assert result.body is not None
    return result.body["choices"][0]["message"]["content"], result.body


# ---- valid instances


@pytest.mark.parametrize("name", sorted(SCHEMAS))
@pytest.mark.parametrize("seed", SEEDS)
def test_the_answer_is_compact_json_that_validates(name, seed):
    schema = SCHEMAS[name]
    content, body = answer(structured_body(seed, schema))
    parsed = json.loads(content)
    errors = [e.message for e in validator(schema).iter_errors(parsed)]
    assert errors == [], content
    assert content == json.dumps(parsed, ensure_ascii=False, separators=(",", ":"))
    assert body["choices"][0]["finish_reason"] == "stop"


@pytest.mark.parametrize("name", sorted(SCHEMAS))
def test_schema_instance_validates_and_is_deterministic(name):
    schema = SCHEMAS[name]
    for seed in SEEDS:
        instance = schema_instance(schema, seed)
        assert validator(schema).is_valid(instance), instance
        assert schema_instance(schema, seed) == instance


def test_formats_are_plausible_values():
    instance = schema_instance(SCHEMAS["formats"], "seed")
    datetime.date.fromisoformat(instance["date"])
    datetime.datetime.fromisoformat(instance["date_time"].replace("Z", "+00:00"))
    datetime.time.fromisoformat(instance["time"].replace("Z", "+00:00"))
    assert instance["uri"].startswith("https://") and "@" in instance["email"]
    assert instance["uuid"].count("-") == 4 and instance["ipv4"].startswith("192.0.2.")


def test_the_echo_text_goes_into_the_first_free_form_string():
    schema = {"type": "object",
              "properties": {"label": {"enum": ["a", "b"]}, "when": {"type": "string", "format": "date"},
                             "count": {"type": "integer"}, "summary": {"type": "string"},
                             "notes": {"type": "string"}},
              "required": ["label", "when", "count", "summary", "notes"], "additionalProperties": False}
    parsed = json.loads(answer(structured_body("the cat sat", schema))[0])
    assert list(parsed) == ["label", "when", "count", "summary", "notes"]  # the schema's order, as a model writes
    assert parsed["summary"] == "echo: the cat sat"
    assert parsed["notes"].startswith("notes-") and "the cat" not in parsed["notes"]


def test_the_echo_text_is_cut_to_max_length():
    schema = {"type": "object", "properties": {"title": {"type": "string", "maxLength": 9}}, "required": ["title"]}
    assert json.loads(answer(structured_body("a long question", schema))[0]) == {"title": "echo: a l"}


def test_the_echo_text_is_used_for_a_pattern_it_matches():
    schema = {"type": "object", "properties": {"s": {"type": "string", "pattern": "^echo: "}}, "required": ["s"]}
    assert json.loads(answer(structured_body("hi", schema))[0]) == {"s": "echo: hi"}


# ---- determinism, and rows told apart


def test_the_same_request_gets_the_same_answer():
    schema = SCHEMAS["refs_defs"]
    first, _ = answer(structured_body("q", schema), "r-1")
    again, _ = answer(structured_body("q", schema), "r-1")
    elsewhere, _ = answer(structured_body("q", schema), "r-2")  # same question on another row: same answer
    assert first == again == elsewhere


def test_different_rows_get_different_values():
    schema = {"type": "object",
              "properties": {"summary": {"type": "string"}, "topic": {"type": "string"},
                             "score": {"type": "integer", "minimum": 0, "maximum": 1000},
                             "weight": {"type": "number"}, "code": {"type": "string", "pattern": "^[A-Z]{4}$"}},
              "required": ["summary", "topic", "score", "weight", "code"], "additionalProperties": False}
    rows = [json.loads(answer(structured_body(f"question {i}", schema))[0]) for i in range(30)]
    assert len({r["summary"] for r in rows}) == 30
    assert len({r["topic"] for r in rows}) == 30
    assert len({r["score"] for r in rows}) >= 25
    assert len({r["weight"] for r in rows}) >= 25
    assert len({r["code"] for r in rows}) >= 25


def test_a_different_schema_on_the_same_row_is_answered_for_that_schema():
    one = json.loads(answer(structured_body("q", SCHEMAS["flat"]))[0])
    two = json.loads(answer(structured_body("q", SCHEMAS["nullable"]))[0])
    assert set(one) == {"summary", "score", "ok", "ratio", "nothing"} and set(two) == {"a", "b", "c"}


# ---- size and depth caps


def test_recursive_schemas_stop_at_a_bounded_depth():
    def depth(value: Any) -> int:
        if isinstance(value, dict):
            return 1 + max((depth(v) for v in value.values()), default=0)
        if isinstance(value, list):
            return 1 + max((depth(v) for v in value), default=0)
        return 0

    for name in ("recursive_tree", "recursive_list"):
        content, _ = answer(structured_body("deep", SCHEMAS[name]))
        assert depth(json.loads(content)) <= 12, name
        assert len(content) < 100_000


@pytest.mark.parametrize("impossible", [
    {"type": "object", "properties": {"again": {"$ref": "#"}}, "required": ["again"]},
    {"type": "object", "properties": {"a": {"anyOf": [{"$ref": "#"}, {"$ref": "#"}, {"$ref": "#"}]}},
     "required": ["a"]},
    {"type": "object", "properties": {"many": {"type": "array", "minItems": 10**9}}, "required": ["many"]},
    {"type": "object", "properties": {"long": {"type": "string", "minLength": 10**9}}, "required": ["long"]},
    {"type": "object", "properties": {"s": {"type": "string", "pattern": "^(a{1000}){1000}$"}}, "required": ["s"]},
], ids=["required_self", "alternatives_all_recursive", "huge_min_items", "huge_min_length", "huge_pattern"])
def test_a_schema_without_a_usable_instance_answers_quickly(impossible):
    started = time.monotonic()
    content, _ = answer(structured_body("loop", impossible))
    assert time.monotonic() - started < 3
    assert len(content) < 100_000
    assert not validator(impossible).is_valid(json.loads(content))  # best effort: the check downstream says so


def test_arrays_get_at_most_a_few_items_beyond_min_items():
    schema = {"type": "array", "items": {"type": "integer"}, "minItems": 4}
    assert all(4 <= len(schema_instance(schema, f"s{i}")) <= 7 for i in range(20))


# ---- json_object


def test_json_object_answers_an_echo_object():
    content, _ = answer(structured_body('say "hi"'))
    assert json.loads(content) == {"echo": 'say "hi"'}


def test_a_json_schema_without_a_schema_answers_like_json_object():
    body = structured_body("hi")
    body["response_format"] = {"type": "json_schema", "json_schema": {"name": "free"}}
    assert json.loads(answer(body)[0]) == {"echo": "hi"}


# ---- markers


@pytest.mark.parametrize("schema", [SCHEMAS["flat"], None], ids=["json_schema", "json_object"])
def test_the_invalid_json_marker_answers_text_that_is_not_json(schema):
    content, body = answer(structured_body(f"q {ECHO_INVALID_JSON_MARKER}", schema))
    with pytest.raises(json.JSONDecodeError):
        json.loads(content)
    assert body["choices"][0]["finish_reason"] == "stop"


@pytest.mark.parametrize("name", sorted(SCHEMAS))
def test_the_off_schema_marker_answers_json_that_breaks_the_schema(name):
    schema = SCHEMAS[name]
    content, _ = answer(structured_body(f"q {ECHO_OFF_SCHEMA_MARKER}", schema))
    assert not validator(schema).is_valid(json.loads(content)), content


def test_the_off_schema_marker_drops_a_required_property_first():
    content, _ = answer(structured_body(f"q {ECHO_OFF_SCHEMA_MARKER}", SCHEMAS["flat"]))
    assert set(json.loads(content)) == {"score", "ok", "ratio", "nothing"}


def test_the_off_schema_marker_with_json_object_answers_json_that_is_not_an_object():
    assert not isinstance(json.loads(answer(structured_body(f"q {ECHO_OFF_SCHEMA_MARKER}"))[0]), dict)


def test_the_markers_change_nothing_without_structured_output():
    for marker in (ECHO_INVALID_JSON_MARKER, ECHO_OFF_SCHEMA_MARKER):
        result = echo_reply("r", {"model": MODEL, "messages": [{"role": "user", "content": f"q {marker}"}]})
        assert result.body is not None
        assert result.body["choices"][0]["message"]["content"] == f"echo: q {marker}"


def test_the_fail_marker_still_wins():
    result = echo_reply("r", structured_body(f"q {ECHO_FAIL_MARKER} {ECHO_OFF_SCHEMA_MARKER}", SCHEMAS["flat"]))
    assert result.status_code == 400 and result.body is not None
    assert result.body["error"]["code"] == "echo_fail_marker"


# ---- max_tokens, usage, bad requests


def test_structured_answers_ignore_max_tokens_and_count_usage_from_the_content():
    body = structured_body("a question that is long enough", SCHEMAS["refs_defs"], max_tokens=2)
    content, answered = answer(body)
    validator(SCHEMAS["refs_defs"]).validate(json.loads(content))
    assert answered["choices"][0]["finish_reason"] == "stop"
    prompt_chars = len("Answer in JSON.") + len("a question that is long enough")
    assert answered["usage"] == {"prompt_tokens": -(-prompt_chars // 4), "completion_tokens": -(-len(content) // 4),
                                 "total_tokens": -(-prompt_chars // 4) + -(-len(content) // 4)}


def test_plain_answers_are_still_cut_at_max_tokens():
    body = {"model": MODEL, "messages": [{"role": "user", "content": "x" * 40}], "max_tokens": 2,
            "response_format": {"type": "text"}}
    _, answered = answer(body)
    assert answered["choices"][0]["message"]["content"] == "echo: xx"
    assert answered["choices"][0]["finish_reason"] == "length"


@pytest.mark.parametrize(("json_schema", "says"), [
    (None, "response_format.json_schema must be an object"),
    ({"name": "x", "schema": "not a schema"}, "must be a JSON Schema object"),
    ({"name": "x", "schema": {"type": "nope"}}, "not a valid JSON Schema at type"),
])
def test_an_unusable_json_schema_is_a_400(json_schema, says):
    body = structured_body("q")
    body["response_format"] = {"type": "json_schema", "json_schema": json_schema}
    result = echo_reply("r", body)
    assert result.status_code == 400 and result.body is not None
    assert result.body["error"]["code"] == "invalid_response_format"
    assert result.body["error"]["param"] == "response_format"
    assert says in result.body["error"]["message"]


# ---- end to end: the official SDK against `specrun serve`


def test_a_batch_with_structured_output_through_the_openai_sdk(served):
    server = served(api_keys=["sk-local-test"])
    schema = SCHEMAS["refs_defs"]
    response_format = {"type": "json_schema", "json_schema": {"name": "review", "schema": schema, "strict": True}}
    texts = ["first paper", f"second {ECHO_INVALID_JSON_MARKER}", f"third {ECHO_OFF_SCHEMA_MARKER}", "fourth"]
    lines = [request_line(f"r-{i}", text, body={"model": MODEL, "response_format": response_format,
                                                "messages": [{"role": "user", "content": text}]})
             for i, text in enumerate(texts)]
    with openai.OpenAI(base_url=server.url, api_key="sk-local-test", max_retries=0,
                       _strict_response_validation=True) as sdk:
        uploaded = sdk.files.create(file=("structured.jsonl", jsonl(lines)), purpose="batch")
        batch = sdk.batches.create(input_file_id=uploaded.id, endpoint="/v1/chat/completions",
                                   completion_window="24h")
        deadline = time.monotonic() + 10
        while (batch := sdk.batches.retrieve(batch.id)).status not in ("completed", "failed", "expired", "cancelled"):
            assert time.monotonic() < deadline, batch
            time.sleep(0.02)
        assert batch.status == "completed" and batch.request_counts.completed == 4
        output = [json.loads(line) for line in sdk.files.content(batch.output_file_id).text.splitlines()]

    contents = {o["custom_id"]: o["response"]["body"]["choices"][0]["message"]["content"] for o in output}
    check = validator(schema)
    first = json.loads(contents["r-0"])
    assert check.is_valid(first) and first["author"]["name"] == "echo: first "  # cut to maxLength 12
    assert check.is_valid(json.loads(contents["r-3"])) and json.loads(contents["r-3"]) != first
    with pytest.raises(json.JSONDecodeError):
        json.loads(contents["r-1"])
    assert not check.is_valid(json.loads(contents["r-2"]))


# ---- many schemas: a seeded walk through the supported subset (all of them satisfiable)


def random_schema(rng: random.Random, depth: int = 0, refs: bool = True) -> dict[str, Any]:
    kinds = ["string", "integer", "number", "boolean", "null", "enum", "const", "anyOf", "nullable"] + ["ref"] * refs
    kind = rng.choice(kinds + (["object", "array"] * 2 if depth < 4 else []))
    if kind == "string":
        schema: dict[str, Any] = {"type": "string"}
        choice = rng.random()
        if choice < 0.25:
            schema["format"] = rng.choice(["date", "date-time", "time", "email", "uri", "uuid", "ipv4", "hostname"])
        elif choice < 0.5:
            schema["pattern"] = rng.choice(["^[a-z]{2,5}$", "^\\d{3}-\\d{2}$", "^(yes|no)$", "^[A-F0-9]+$",
                                            "^\\w+@\\w+\\.com$", "^.{3}$", "^[^\\s]{4,6}$"])
        else:
            schema["minLength"] = rng.randint(0, 5)
            schema["maxLength"] = schema["minLength"] + rng.randint(0, 20)
        return schema
    if kind in ("integer", "number"):
        schema = {"type": kind}
        low = rng.randint(-1000, 1000)
        if rng.random() < 0.5:
            schema[rng.choice(["minimum", "exclusiveMinimum"])] = low
        if rng.random() < 0.5:
            schema[rng.choice(["maximum", "exclusiveMaximum"])] = low + rng.randint(30, 500)
        if rng.random() < 0.3:
            schema["multipleOf"] = rng.choice([2, 3, 5, 0.5, 0.1, 0.25, 0.01] if kind == "number" else [2, 3, 7])
        return schema
    if kind in ("boolean", "null"):
        return {"type": kind}
    if kind == "enum":
        return {"enum": rng.sample(["a", "b", 1, 2.5, None, True, {"x": 1}, [1]], rng.randint(1, 4))}
    if kind == "const":
        return {"const": rng.choice(["c", 3, None, {"k": [1]}])}
    if kind == "anyOf":
        return {"anyOf": [random_schema(rng, depth + 1, refs) for _ in range(rng.randint(1, 3))]}
    if kind == "nullable":
        inner = random_schema(rng, depth + 1, refs)
        if isinstance(inner.get("type"), str) and inner["type"] != "null":
            return {**inner, "type": [inner["type"], "null"]}
        return {"anyOf": [inner, {"type": "null"}]}
    if kind == "ref":
        return {"$ref": "#/$defs/shared"}
    if kind == "object":
        properties = {f"p{i}": random_schema(rng, depth + 1, refs) for i in range(rng.randint(0, 4))}
        return {"type": "object", "properties": properties, "required": list(properties),
                "additionalProperties": False}
    schema = {"type": "array", "items": random_schema(rng, depth + 1, refs)}
    if rng.random() < 0.5:
        schema["minItems"] = rng.randint(0, 3)
        schema["maxItems"] = schema["minItems"] + rng.randint(0, 2)
    return schema


def test_instances_of_many_random_schemas_validate():
    invalid = []
    for number in range(300):
        rng = random.Random(number)
        shared = random_schema(rng, depth=2, refs=False)
        properties = {f"f{i}": random_schema(rng, depth=1) for i in range(rng.randint(1, 5))}
        schema = {"type": "object", "properties": properties, "required": list(properties),
                  "additionalProperties": False, "$defs": {"shared": shared}}
        jsonschema.Draft202012Validator.check_schema(schema)
        instance = schema_instance(schema, f"row {number}", text=f"echo: row {number}")
        if not validator(schema).is_valid(instance):
            invalid.append((schema, instance))
    assert invalid == []
