"""load_spec and endpoints (DESIGN §10): endpoint:, input:, the params and output_schema each one takes,
and what provider type anthropic requires. Every wrong combination is one problem naming file:line and field."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from specrun.errors import SpecError
from specrun.spec import load_spec


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "specrun.yaml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def problems_of(path: Path) -> list[str]:
    with pytest.raises(SpecError) as info:
        load_spec(path)
    return info.value.problems or [info.value.message]


MIXED = """\
    version: 1
    defaults:
      model: chat-model
      params: {temperature: 0, max_tokens: 64}
      messages: [{role: user, content: "{{ row.q }}"}]
    jobs:
      chat:
        rows: [{q: a}]
      embed:
        endpoint: /v1/embeddings
        model: embed-model
        input: "{{ row.q }}"
        params: {dimensions: 8}
        rows: [{q: a}]
      respond:
        endpoint: /v1/responses
        input: |
          Question: {{ row.q }}
        params: {max_output_tokens: 32, instructions: Be brief.}
        rows: [{q: a}]
    """


def test_each_job_gets_its_endpoint_and_prompt(tmp_path):
    spec = load_spec(write(tmp_path, MIXED))
    chat, embed, respond = spec.jobs["chat"], spec.jobs["embed"], spec.jobs["respond"]
    assert (chat.endpoint, chat.input, len(chat.messages)) == ("/v1/chat/completions", None, 1)
    assert (embed.endpoint, embed.input, embed.messages, embed.input_line) == ("/v1/embeddings", "{{ row.q }}", (), 12)
    assert (respond.endpoint, respond.input, respond.messages) == ("/v1/responses", "Question: {{ row.q }}\n", ())
    # the defaults' messages serve the chat job; a chat-only output bound is not merged into the others
    assert dict(embed.params) == {"temperature": 0, "dimensions": 8}
    assert dict(respond.params) == {"temperature": 0, "max_output_tokens": 32, "instructions": "Be brief."}
    assert dict(chat.params) == {"temperature": 0, "max_tokens": 64}
    assert spec.warnings == ()


def test_endpoint_and_input_in_defaults(tmp_path):
    spec = load_spec(write(tmp_path, """\
        version: 1
        defaults: {model: m, endpoint: /v1/embeddings, input: "{{ row.q }}"}
        jobs:
          a: {rows: [{q: x}]}
          b: {rows: [{q: y}], endpoint: /v1/chat/completions, messages: [{role: user, content: hi}]}
        """))
    assert spec.jobs["a"].endpoint == "/v1/embeddings" and spec.jobs["a"].input == "{{ row.q }}"
    assert spec.jobs["b"].endpoint == "/v1/chat/completions" and spec.jobs["b"].input is None


def test_unknown_endpoint_is_a_schema_problem(tmp_path):
    problems = problems_of(write(tmp_path, """\
        version: 1
        jobs:
          a: {model: m, endpoint: /v1/completions, input: x, rows: [{}]}
        """))
    assert len(problems) == 1 and ":3: jobs.a.endpoint:" in problems[0] and "/v1/embeddings" in problems[0]


@pytest.mark.parametrize("job, line, field, words", [
    ("endpoint: /v1/embeddings\n    messages: [{role: user, content: x}]", 6, "jobs.a.messages",
     "job 'a' uses /v1/embeddings, which takes input: (a template: the text to embed), not messages:"),
    ("endpoint: /v1/responses\n    input: x\n    messages: [{role: user, content: x}]", 7, "jobs.a.messages",
     "job 'a' uses /v1/responses, which takes input: (a template: the input text), not messages:"),
    ("endpoint: /v1/embeddings", 3, "jobs.a",
     "no input (job 'a' uses /v1/embeddings: set input: here or under defaults:, a template of the text to embed)"),
    ("input: x", 5, "jobs.a.input", "input: is for /v1/embeddings and /v1/responses jobs; job 'a' uses "
                                    "/v1/chat/completions, which takes messages: (or set endpoint:)"),
    ("endpoint: /v1/embeddings\n    input: x\n    params: {max_tokens: 5}", 7, "jobs.a.params.max_tokens",
     "an /v1/embeddings request has no answer tokens to bound: remove max_tokens"),
    ("endpoint: /v1/responses\n    input: x\n    params: {max_tokens: 5}", 7, "jobs.a.params.max_tokens",
     "a /v1/responses job bounds its answers with max_output_tokens, not max_tokens"),
    ("messages: [{role: user, content: x}]\n    params: {max_output_tokens: 5}", 6, "jobs.a.params.max_output_tokens",
     "a /v1/chat/completions job bounds its answers with max_completion_tokens or max_tokens, not "
     "max_output_tokens"),
    ("endpoint: /v1/embeddings\n    input: x\n    params: {input: y}", 7, "jobs.a.params.input",
     "input cannot be a param; use the job's input: key"),
    ("endpoint: /v1/embeddings\n    input: x\n    params: {encoding_format: int8}", 7,
     "jobs.a.params.encoding_format", "specrun joins embeddings sent as float or base64 only, not 'int8'"),
    ("endpoint: /v1/embeddings\n    input: x\n    output_schema: {type: object}", 7, "jobs.a.output_schema",
     "output_schema asks for structured text, but job 'a' uses /v1/embeddings, whose answers are vectors; "
     "output_schema is for /v1/chat/completions and /v1/responses jobs"),
    ("endpoint: /v1/responses\n    input: x\n    params: {text: {format: {type: text}}}\n"
     "    output_schema: {type: object}", 8, "jobs.a.output_schema",
     "use output_schema or params.text.format, not both"),
    ("endpoint: /v1/embeddings\n    input: '{{ row.q '", 6, "jobs.a.input", "template error (template line 1)"),
])
def test_a_wrong_combination_is_one_problem_naming_line_and_field(tmp_path, job, line, field, words):
    text = "version: 1\njobs:\n  a:\n    model: m\n    " + job + "\n    rows: [{q: x}]\n"
    path = tmp_path / "specrun.yaml"
    path.write_text(text, encoding="utf-8")
    problems = problems_of(path)
    assert len(problems) == 1, problems
    assert problems[0].startswith(f"{path}:{line}: {field}: {words}"), problems[0]


def test_a_wrong_combination_fails_validate_with_exit_1_and_one_message(tmp_path):
    from click.testing import CliRunner

    from specrun.cli import main

    path = write(tmp_path, """\
        version: 1
        jobs:
          embed:
            endpoint: /v1/embeddings
            model: m
            messages: [{role: user, content: x}]
            rows: [{q: x}]
        """)
    result = CliRunner().invoke(main, ["validate", "-f", str(path)])
    assert result.exit_code == 1
    assert result.stderr.count(f"{path}:6: jobs.embed.messages:") == 1
    assert "1 problem" in result.stderr


def test_responses_structured_output_is_text_format(tmp_path):
    spec = load_spec(write(tmp_path, """\
        version: 1
        jobs:
          r:
            model: m
            endpoint: /v1/responses
            input: x
            params: {max_output_tokens: 10, text: {verbosity: low}}
            output_schema: {type: object, properties: {a: {type: string}}, required: [a]}
            rows: [{}]
        """))
    job = spec.jobs["r"]
    assert job.params["text"] == {"verbosity": "low", "format": {
        "type": "json_schema", "name": "r", "strict": True,
        "schema": {"type": "object", "properties": {"a": {"type": "string"}}, "required": ["a"]}}}
    assert "response_format" not in job.params


def test_a_responses_job_without_max_output_tokens_is_warned_about_that_param(tmp_path):
    spec = load_spec(write(tmp_path, """\
        version: 1
        defaults: {model: m, params: {max_tokens: 10}}
        jobs:
          r: {endpoint: /v1/responses, input: x, rows: [{}]}
          e: {endpoint: /v1/embeddings, input: x, rows: [{}]}
        """))
    [warning] = spec.warnings
    assert ":4: job 'r' sets no max_output_tokens" in warning and "set params.max_output_tokens" in warning


def anthropic(tmp_path: Path, *, defaults_params: str = "", more: str = "") -> Path:
    path = tmp_path / "specrun.yaml"
    path.write_text("version: 1\nprovider: {type: anthropic}\ndefaults:\n  model: claude-haiku\n"
                    f"{defaults_params}\njobs:\n  ask:\n    messages: [{{role: user, content: x}}]\n    rows: [{{}}]\n"
                    f"{more}", encoding="utf-8")
    return path


def test_anthropic_jobs_need_max_tokens_after_defaults(tmp_path):
    assert load_spec(anthropic(tmp_path, defaults_params="  params: {max_tokens: 100}")).jobs["ask"].params == {
        "max_tokens": 100}
    path = anthropic(tmp_path)
    [problem] = problems_of(path)
    assert problem == (f"{path}:7: jobs.ask: job 'ask' sets no params.max_tokens: provider type anthropic requires "
                       "it on every request (set it here or under defaults.params)")


def test_anthropic_has_no_embeddings_or_responses_endpoint(tmp_path):
    path = anthropic(tmp_path, defaults_params="  params: {max_tokens: 100}", more=(
        "  embed:\n"
        "    endpoint: /v1/embeddings\n"
        "    input: x\n"
        "    rows: [{}]\n"))
    [problem] = problems_of(path)
    assert problem.startswith(f"{path}:11: jobs.embed.endpoint: provider type anthropic has no /v1/embeddings "
                              "endpoint")
    # in defaults, the problem names the defaults' line (once per job that uses it)
    path = write(tmp_path, """\
        version: 1
        provider: {type: anthropic}
        defaults: {model: m, endpoint: /v1/responses, input: x, params: {max_tokens: 5}}
        jobs:
          a: {rows: [{}]}
        """)
    [problem] = problems_of(path)
    assert problem.startswith(f"{path}:3: defaults.endpoint: provider type anthropic has no /v1/responses endpoint")


def test_anthropic_shard_limits_cannot_exceed_a_message_batch(tmp_path):
    path = anthropic(tmp_path, defaults_params="  params: {max_tokens: 100}\n  limits: {max_bytes: 300000000}",
                     more="    limits: {max_requests: 150000}\n")
    problems = problems_of(path)
    assert any(p.startswith(f"{path}:") and "jobs.ask.limits.max_requests: 150,000 is more than one anthropic batch "
               "takes (100,000)" in p for p in problems), problems
    assert any("defaults.limits.max_bytes: 300,000,000 is more than one anthropic batch takes (268,435,456)" in p
               for p in problems), problems
    fine = anthropic(tmp_path, defaults_params="  params: {max_tokens: 100}", more="    limits: {max_requests: 100000}\n")
    assert load_spec(fine).jobs["ask"].limits.max_requests == 100_000


def test_openai_shard_limits_cannot_exceed_an_openai_batch_file(tmp_path):
    path = write(tmp_path, """\
        version: 1
        provider: {type: openai}
        defaults: {model: gpt-4o-mini}
        jobs:
          a:
            messages: [{role: user, content: x}]
            rows: [{}]
            limits: {max_requests: 60000}
        """)
    [problem] = problems_of(path)
    assert problem.endswith("jobs.a.limits.max_requests: 60,000 is more than one openai batch takes (50,000): "
                            "shards are cut at max_requests, so set it to 50,000 or less")
