"""Hostile specs: alias bombs, deep nesting, keys that are not text, cost params that are not
numbers, job names and outputs that are not file names, a CI workflow passed as the spec.

CI validates specs from pull requests, so every one of these must be one clear ``Error:``
naming the file, the line and the field, quickly, never a traceback.
"""

from __future__ import annotations

import copy
import time
from pathlib import Path

import pytest
import yaml

from specrun.errors import SpecError
from specrun.spec import load_spec
from tests.hostile.conftest import assert_one_clean_error, cli

ROOT = Path(__file__).resolve().parents[2]

JOB = "{model: m, rows: [{q: one}], messages: [{role: user, content: '{{ row.q }}'}], params: {max_tokens: 8}}"
JOB_BODY = ("    model: m\n    rows: [{q: one}]\n    messages: [{role: user, content: '{{ row.q }}'}]\n"
            "    params: {max_tokens: 8}\n")


def spec_file(tmp_path: Path, text: str, name: str = "specrun.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def problems(path: Path, **kwargs) -> list[str]:
    """The problems load_spec reports, with the spec's path shortened to ``S``."""
    with pytest.raises(SpecError) as info:
        load_spec(path, **kwargs)
    found = info.value.problems or [info.value.message]
    return [problem.replace(str(path), "S") for problem in found]


def one_problem(path: Path, **kwargs) -> str:
    found = problems(path, **kwargs)
    assert len(found) == 1, found
    return found[0]


# --------------------------------------------------------------------------- alias bombs, nesting

LAUGHS = """\
version: 1
jobs: {}
vars:
  a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]
  b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]
  c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]
  d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]
  e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]
  f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]
  g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f]
  h: &h [*g, *g, *g, *g, *g, *g, *g, *g, *g]
  i: &i [*h, *h, *h, *h, *h, *h, *h, *h, *h]
"""
BOMB = ("aliases would repeat more than 100,000 values or 10,000,000 characters beyond what is written "
        "(nested aliases, a \"billion laughs\"?); specrun refuses such specs")


def test_billion_laughs_is_refused_at_the_line_of_the_alias_quickly(tmp_path: Path):
    path = spec_file(tmp_path, LAUGHS)
    assert len(LAUGHS) < 500
    started = time.perf_counter()
    assert one_problem(path) == f"S:9: alias *e: {BOMB}"
    assert time.perf_counter() - started < 1


@pytest.mark.parametrize("text, line, alias", [
    # the same bomb, block style, and through merge keys
    ("version: 1\njobs: {}\nvars:\n  a: &a [x, x, x, x, x, x, x, x, x, x]\n"
     + "".join(f"  l{i}: &l{i}\n" + "".join(f"    - *{'a' if i == 0 else f'l{i - 1}'}\n" for _ in range(10))
               for i in range(6)), 46, "l2"),
    ("version: 1\njobs: {}\nvars:\n  a: &a {k0: x, k1: x, k2: x, k3: x, k4: x, k5: x, k6: x, k7: x, k8: x, k9: x}\n"
     + "".join(f"  m{i}: &m{i} [" + ", ".join(f"{{<<: *{'a' if i == 0 else f'm{i - 1}'}}}" if i == 0
                                             else f"*m{i - 1}" for _ in range(10)) + "]\n" for i in range(6)), 8, "m2"),
    # one long string, repeated by a few hundred aliases
    ("version: 1\njobs: {}\nvars:\n  s: &s " + "x" * 200_000 + "\n  l: &l [" + ", ".join(["*s"] * 40) + "]\n"
     "  m: [" + ", ".join(["*l"] * 40) + "]\n", 6, "l"),
])
def test_every_kind_of_alias_bomb_is_refused(tmp_path: Path, text: str, line: int, alias: str):
    started = time.perf_counter()
    assert one_problem(spec_file(tmp_path, text)) == f"S:{line}: alias *{alias}: {BOMB}"
    assert time.perf_counter() - started < 1


def test_billion_laughs_through_the_cli_is_one_clean_error(tmp_path: Path):
    spec_file(tmp_path, LAUGHS)
    started = time.perf_counter()
    result = cli("validate", "-f", "specrun.yaml", cwd=tmp_path)
    assert time.perf_counter() - started < 1
    assert_one_clean_error(result, "specrun.yaml is invalid (1 problem):", "specrun.yaml:9: alias *e:",
                           "billion laughs")


def test_merge_keys_resolve_and_report_lines(tmp_path: Path):
    path = spec_file(tmp_path, """\
version: 1
defaults:
  model: m
  params: {max_tokens: 16, temperature: 0}
jobs:
  a: &a
    messages: [{role: user, content: "{{ row.q }}"}]
    rows: &rows [{q: one}, {q: two}]
  b:
    <<: *a
    model: other
    params: &p {max_tokens: 32}
  c:
    <<: [*a, {model: third}]
    rows: *rows
    params: {<<: *p, temperature: 1}
""")
    spec = load_spec(path)
    assert [job.model for job in spec.jobs.values()] == ["m", "other", "third"]
    assert spec.jobs["b"].data.rows == ({"q": "one"}, {"q": "two"})
    assert dict(spec.jobs["c"].params) == {"max_tokens": 32, "temperature": 1}
    assert spec.jobs["b"].messages[0].line == 7  # a merged value keeps the line where it is written
    assert spec.warnings == ()


@pytest.mark.parametrize("text, expected", [
    ("version: 1\njobs: {}\nvars: {x: " + "[" * 100_000 + "]" * 100_000 + "}\n",
     "S:3:1009: invalid YAML: exceeded maximum nesting depth"),
    ("version: 1\njobs: {}\nvars: {x: " + "[" * 150 + "]" * 150 + "}\n",
     "S:3: values nested more than 100 levels deep; specrun reads at most 100"),
    ("version: 1\njobs: {}\nvars:\n" + "".join(" " * (i + 1) + f"k{i}:\n" for i in range(300)) + " " * 302 + "x\n",
     "S:102: values nested more than 100 levels deep; specrun reads at most 100"),
    ("version: 1\njobs: {}\nvars:\n  a: &a " + "[" * 60 + "1" + "]" * 60 + "\n  b: &b " + "[" * 30 + "*a" + "]" * 30
     + "\n  c: " + "[" * 11 + "*b" + "]" * 11 + "\n",
     "S:6: values nested more than 100 levels deep (through alias *b); specrun reads at most 100"),
    ("version: 1\njobs: {}\nvars:\n  a: &a [1, *a]\n",
     "S:4: alias *a refers to a value that contains it (recursive alias); specs are JSON-shaped and cannot loop"),
    ("version: 1\njobs: {}\nvars:\n  a: &a {b: {c: *a}}\n",
     "S:4: alias *a refers to a value that contains it (recursive alias); specs are JSON-shaped and cannot loop"),
])
def test_deep_nesting_is_one_clear_problem(tmp_path: Path, text: str, expected: str):
    started = time.perf_counter()
    assert one_problem(spec_file(tmp_path, text)) == expected
    assert time.perf_counter() - started < 1


def test_deep_nesting_through_the_cli_is_one_clean_error(tmp_path: Path):
    spec_file(tmp_path, "version: 1\njobs: {}\nvars: {x: " + "[" * 5000 + "]" * 5000 + "}\n")
    assert_one_clean_error(cli("validate", "-f", "specrun.yaml", cwd=tmp_path),
                           "specrun.yaml:3:1009: invalid YAML: exceeded maximum nesting depth")
    spec_file(tmp_path, "version: 1\njobs: {}\nvars: {x: " + "[" * 500 + "]" * 500 + "}\n")
    assert_one_clean_error(cli("validate", "-f", "specrun.yaml", cwd=tmp_path),
                           "specrun.yaml:3: values nested more than 100 levels deep")


def test_nesting_up_to_the_limit_is_fine(tmp_path: Path):
    deep = "[" * 90 + "1" + "]" * 90
    path = spec_file(tmp_path, f"version: 1\nvars: {{x: {deep}}}\njobs:\n  a: {JOB}\n")
    assert load_spec(path).vars["x"] == eval(deep)  # noqa: S307 (a literal list)


# --------------------------------------------------------------------------- keys that are not text

@pytest.mark.parametrize("key, message", [
    ("1", "key 1 must be text; quote it: '1'"),
    ("1.5", "key 1.5 must be text; quote it: '1.5'"),
    ("on", "key on must be text (YAML reads it as true); quote it: 'on'"),
    ("no", "key no must be text (YAML reads it as false); quote it: 'no'"),
    ("true", "key true must be text (YAML reads it as true); quote it: 'true'"),
    ("null", "a key must be text, not null; write a name"),
    ("~", "a key must be text, not null; write a name"),
    ("2020-01-01", "key 2020-01-01 must be text; quote it: '2020-01-01'"),
    ("[a, b]", "a key must be text, not a list"),
    ("{a: 1}", "a key must be text, not a mapping"),
])
@pytest.mark.parametrize("template, line, field", [
    ("version: 1\nENTRY\njobs: {}\n", 2, ""),
    ("version: 1\njobs:\n  ENTRY\n", 3, "jobs: "),
    ("version: 1\njobs:\n  a:\n    model: m\n    ENTRY\n", 5, "jobs.a: "),
    ("version: 1\njobs:\n  a:\n    params:\n      ENTRY\n", 5, "jobs.a.params: "),
    ("version: 1\nvars:\n  ENTRY\njobs: {}\n", 3, "vars: "),
    ("version: 1\njobs:\n  a:\n    rows:\n      - ENTRY\n", 5, "jobs.a.rows[0]: "),
    ("version: 1\njobs:\n  a:\n    <<:\n      ENTRY\n", 5, "jobs.a: "),
    ("version: 1\ndefaults: &d\n  ENTRY\njobs:\n  a: {<<: *d}\n  b: {<<: *d}\n", 3, "defaults: "),
])
def test_a_key_that_is_not_text_is_a_problem_naming_its_line(tmp_path: Path, key: str, message: str,
                                                             template: str, line: int, field: str):
    found = problems(spec_file(tmp_path, template.replace("ENTRY", f"{key}: 2")))
    assert f"S:{line}: {field}{message}" in found, found
    assert len([problem for problem in found if "must be text" in problem or "a key" in problem]) == 1, found
    assert not any("TypeError" in problem for problem in found)


def test_a_github_actions_workflow_is_not_a_spec(tmp_path: Path):
    workflow = ROOT / "examples" / "ci" / "specrun.yml"
    found = problems(workflow)
    assert "S:16: key on must be text (YAML reads it as true); quote it: 'on'" in found
    assert "S:14: missing required key 'version'" in found
    assert any(problem.startswith("S:34: jobs.plan.runs-on: unknown key 'runs-on'") for problem in found)
    result = cli("validate", "-f", str(workflow))
    assert_one_clean_error(result, f"Error: {workflow} is not a specrun spec: it looks like a GitHub Actions "
                                   "workflow (", "a spec starts with 'version: 1'", "key on must be text")


def test_something_else_entirely_is_not_a_spec(tmp_path: Path):
    spec_file(tmp_path, "services:\n  web: {image: nginx}\n1: 2\n")
    assert_one_clean_error(cli("validate", cwd=tmp_path),
                           "specrun.yaml is not a specrun spec: it has no 'version: 1' and keys a spec does not "
                           "have (4 problems)", "specrun.yaml:3: key 1 must be text; quote it: '1'")


def test_control_characters_in_keys_and_values_never_reach_the_terminal(tmp_path: Path):
    spec_file(tmp_path, 'version: 1\n"\\e[2J": 1\njobs:\n  "\\e]0;pwned\\a": {}\n  a: {output: "x\\e[31m/"}\n')
    result = cli("validate", cwd=tmp_path)
    assert_one_clean_error(result, "specrun.yaml:2: ['\\x1b[2J']: unknown key '\\x1b[2J'",
                           "specrun.yaml:4: jobs['\\x1b]0;pwned\\x07']: job names may only contain")
    assert "\x1b" not in result.output and "\x07" not in result.output


# --------------------------------------------------------------------------- numbers

def test_numbers_too_large_for_64_bits_are_problems(tmp_path: Path):
    path = spec_file(tmp_path, "version: 1\nvars:\n  a: " + "1" * 5000 + "\n  b: " + str(10**100)
                     + "\n  c: 0x" + "f" * 6000 + "\n  d: 1:0:0:0:0:0:0:0:0:0:0:0:0\njobs:\n  a:\n"
                     "    limits: {max_requests: 100000000000000000000000}\n")
    too_large = "whole number too large (at most 9,223,372,036,854,775,807); quote it to keep it as text"
    assert problems(path) == [f"S:3: vars.a: {too_large}", f"S:4: vars.b: {too_large}", f"S:5: vars.c: {too_large}",
                              f"S:6: vars.d: {too_large}", f"S:9: jobs.a.limits.max_requests: {too_large}"]


@pytest.mark.parametrize("value, message", [
    ("!!float string", "'string' cannot be read as !!float; fix the value or drop the tag"),
    ("!!float 1:x", "'1:x' cannot be read as !!float; fix the value or drop the tag"),
    ("!!int abc", "'abc' cannot be read as !!int; fix the value or drop the tag"),
    ("!!bool 5", "'5' cannot be read as !!bool; fix the value or drop the tag"),
    ("!!binary aGVsbG8=", "unsupported YAML value of type bytes"),
    ("!!set {a, b}", "unsupported YAML value of type set"),
    ("!!omap [a: 1]", "unsupported YAML value of type tuple"),
])
def test_explicit_yaml_tags_that_do_not_fit_are_problems(tmp_path: Path, value: str, message: str):
    found = problems(spec_file(tmp_path, f"version: 1\nvars:\n  x: {value}\njobs: {{}}\n"))
    assert found == [f"S:3: vars.x{'[0]' if 'omap' in value else ''}: {message}"]


@pytest.mark.parametrize("version, message", [
    ("1.0", "unsupported spec version 1.0; this specrun reads version: 1"),
    ("'1'", "unsupported spec version '1'; this specrun reads version: 1"),
    ("true", "unsupported spec version True; this specrun reads version: 1"),
    ("2", "unsupported spec version 2; this specrun reads version: 1"),
    ("null", "unsupported spec version None; this specrun reads version: 1"),
])
def test_version_must_be_the_whole_number_1(tmp_path: Path, version: str, message: str):
    assert one_problem(spec_file(tmp_path, f"version: {version}\njobs: {{}}\n")) == f"S:1: version: {message}"


@pytest.mark.parametrize("param", ["max_tokens", "max_completion_tokens", "n", "best_of"])
@pytest.mark.parametrize("value, message", [
    ("-5", "must be at least 1 (got -5)"),
    ("0", "must be at least 1 (got 0)"),
    ("lots", "must be a whole number (got a string)"),
    ("'8'", "must be a whole number (got a string)"),
    ("1.5", "must be a whole number (got the number 1.5)"),
    ("8.0", "must be a whole number (got the number 8.0)"),
    ("true", "must be a whole number (got true)"),
    ("null", "must be a whole number (got nothing (null))"),
    ("[8]", "must be a whole number (got a list)"),
])
@pytest.mark.parametrize("where", ["job", "defaults"])
def test_params_that_bound_or_multiply_cost_must_be_positive_whole_numbers(tmp_path: Path, param: str, value: str,
                                                                           message: str, where: str):
    if where == "job":
        text = f"version: 1\njobs:\n  a:\n    model: m\n    params:\n      {param}: {value}\n"
        field = f"jobs.a.params.{param}"
    else:
        text = f"version: 1\ndefaults:\n  params:\n    temperature: 0\n    {param}: {value}\njobs: {{}}\n"
        field = f"defaults.params.{param}"
    line = text.splitlines().index(next(l for l in text.splitlines() if l.strip().startswith(param))) + 1
    assert one_problem(spec_file(tmp_path, text)) == f"S:{line}: {field}: {message}"


@pytest.mark.parametrize("param, value, message", [
    ("n", 129, "must be at most 128 (got 129)"),
    ("best_of", 1000, "must be at most 128 (got 1000)"),
    ("max_tokens", 10**9, "must be at most 100,000,000 (got 1000000000)"),
])
def test_cost_params_have_a_sane_ceiling(tmp_path: Path, param: str, value: int, message: str):
    path = spec_file(tmp_path, f"version: 1\njobs:\n  a:\n    params: {{{param}: {value}}}\n")
    assert one_problem(path) == f"S:4: jobs.a.params.{param}: {message}"


def test_valid_cost_params_and_other_params_pass_through(tmp_path: Path):
    path = spec_file(tmp_path, "version: 1\njobs:\n  a:\n    model: m\n    rows: [{q: 1}]\n"
                               "    messages: [{role: user, content: hi}]\n"
                               "    params: {max_tokens: 1, max_completion_tokens: 100000000, n: 128, best_of: 1,"
                               " logit_bias: {'50256': -100}, stop: null, x_vendor: [1, {a: b}]}\n")
    assert dict(load_spec(path).jobs["a"].params)["n"] == 128


def test_bad_cost_params_through_the_cli(tmp_path: Path):
    spec_file(tmp_path, "version: 1\njobs:\n  a:\n    model: m\n    rows: [{q: 1}]\n"
                        "    messages: [{role: user, content: hi}]\n    params: {max_tokens: -5, n: lots}\n")
    assert_one_clean_error(cli("validate", cwd=tmp_path),
                           "specrun.yaml:7: jobs.a.params.max_tokens: must be at least 1 (got -5)",
                           "specrun.yaml:7: jobs.a.params.n: must be a whole number (got a string)")


@pytest.mark.parametrize("limits, message", [
    ("{max_requests: 0}", "jobs.a.limits.max_requests: must be at least 1 (got 0)"),
    ("{max_requests: 1.5}", "jobs.a.limits.max_requests: must be a whole number (got the number 1.5)"),
    ("{max_bytes: -1}", "jobs.a.limits.max_bytes: must be at least 1024 (got -1)"),
    ("{max_bytes: 2048.0}", "jobs.a.limits.max_bytes: must be a whole number (got the number 2048.0)"),
    ("{max_bytes: .inf}", "jobs.a.limits.max_bytes: inf is not allowed (JSON has no NaN/infinity)"),
])
def test_limits_must_be_usable_whole_numbers(tmp_path: Path, limits: str, message: str):
    path = spec_file(tmp_path, f"version: 1\njobs:\n  a:\n    limits: {limits}\n")
    assert message in [problem.split(": ", 1)[1] for problem in problems(path)]


# --------------------------------------------------------------------------- job names

@pytest.mark.parametrize("name", [
    "'.'", "'..'", "-x", "--help", ".hidden", "a.", "a..", "'a b'", "a/b", "'a\\\\b'", "'\\t'", '"a\\n"', "'é'",
    "x" * 101,
])
def test_job_names_that_cannot_be_file_names_or_arguments_are_refused(tmp_path: Path, name: str):
    problem = one_problem(spec_file(tmp_path, f"version: 1\njobs:\n  {name}: {JOB}\n"))
    assert problem.startswith("S:3: jobs"), problem
    assert problem.endswith(": job names may only contain letters, digits, '_', '.' and '-', must start with a "
                            "letter, a digit or '_', must not end with '.' and have at most 100 characters "
                            "(they become file names and command-line arguments)")


@pytest.mark.parametrize("name", ["a", "_a", "'0'", "a.b", "a-b", "summarize_v2.1", "x" * 100, "a-"])
def test_ordinary_job_names_are_fine(tmp_path: Path, name: str):
    assert list(load_spec(spec_file(tmp_path, f"version: 1\njobs:\n  {name}: {JOB}\n")).jobs) == [name.strip("'")]


def test_a_bad_job_name_through_the_cli(tmp_path: Path):
    spec_file(tmp_path, f"version: 1\njobs:\n  '..': {JOB}\n")
    assert_one_clean_error(cli("validate", cwd=tmp_path), "specrun.yaml:3: jobs['..']: job names may only contain")


# --------------------------------------------------------------------------- outputs and data paths

@pytest.mark.parametrize("output, problem", [
    (".", "output . names a folder"),
    ("..", "output .. names a folder"),
    ("results/", "output results/ names a folder"),
    ("results/.", "output results/. names a folder"),
    ("existing", "output existing is an existing folder"),
    ("~", "output ~ is an existing folder"),
    ("a-file/out.jsonl", "output a-file/out.jsonl cannot be written: a-file is a file, not a folder"),
    ("a-file/deeper/out.jsonl", "output a-file/deeper/out.jsonl cannot be written: a-file is a file, not a folder"),
])
def test_an_output_that_can_never_be_a_results_file_is_refused_at_load(tmp_path: Path, output: str, problem: str):
    (tmp_path / "existing").mkdir()
    (tmp_path / "a-file").write_text("x")
    path = spec_file(tmp_path, f"version: 1\njobs:\n  a:\n    output: '{output}'\n{JOB_BODY}")
    assert one_problem(path) == (f"S:4: jobs.a.output: job 'a' {problem}; output: names the results file "
                                 f"(e.g. results/a.jsonl)")


def test_a_default_output_that_is_a_folder_is_refused_at_the_job(tmp_path: Path):
    (tmp_path / "results" / "a.jsonl").mkdir(parents=True)
    path = spec_file(tmp_path, f"version: 1\njobs:\n  a: {JOB}\n")
    assert one_problem(path) == ("S:3: jobs.a: job 'a' output results/a.jsonl is an existing folder; output: names "
                                 "the results file (e.g. results/a.jsonl)")


def test_an_output_folder_is_one_clean_error_at_validate(tmp_path: Path):
    spec_file(tmp_path, f"version: 1\njobs:\n  a:\n    output: .\n{JOB_BODY}")
    assert_one_clean_error(cli("validate", cwd=tmp_path), "specrun.yaml:4: jobs.a.output: job 'a' output . names "
                                                          "a folder")


def test_outputs_in_folders_yet_to_be_made_are_fine(tmp_path: Path):
    path = spec_file(tmp_path, f"version: 1\njobs:\n  a:\n    output: new/deeper/a.jsonl\n{JOB_BODY}")
    assert load_spec(path).jobs["a"].output == tmp_path / "new" / "deeper" / "a.jsonl"


@pytest.mark.parametrize("data, field, problem", [
    (".", "jobs.a.data", ". is a folder; data: names one data file (csv, jsonl, json or parquet)"),
    ("folder", "jobs.a.data", "folder is a folder; data: names one data file (csv, jsonl, json or parquet)"),
    ("folder/", "jobs.a.data", "folder/ is a folder; data: names one data file (csv, jsonl, json or parquet)"),
    ("{path: folder.csv, format: csv}", "jobs.a.data.path",
     "folder.csv is a folder; data: names one data file (csv, jsonl, json or parquet)"),
    ('"a\\0.csv"', "jobs.a.data", "a path cannot contain a NUL character"),
    ("{path: ''}", "jobs.a.data.path", "must not be empty"),
])
def test_a_data_path_that_is_not_a_file_name_is_refused_at_load(tmp_path: Path, data: str, field: str, problem: str):
    (tmp_path / "folder").mkdir()
    (tmp_path / "folder.csv").mkdir()
    path = spec_file(tmp_path, f"version: 1\njobs:\n  a:\n    model: m\n    data: {data}\n"
                               f"    messages: [{{role: user, content: hi}}]\n")
    assert one_problem(path) == f"S:5: {field}: {problem}"


def test_a_nul_in_the_output_is_a_problem_not_a_crash(tmp_path: Path):
    path = spec_file(tmp_path, f"version: 1\njobs:\n  a:\n    output: \"a\\0.jsonl\"\n{JOB_BODY}")
    assert one_problem(path) == "S:4: jobs.a.output: a path cannot contain a NUL character"


def test_absolute_and_home_data_paths_are_allowed(tmp_path: Path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    path = spec_file(tmp_path, "version: 1\njobs:\n"
                               "  a: {model: m, data: /etc/passwd-like.csv, messages: [{role: user, content: hi}]}\n"
                               "  b: {model: m, data: ~/d.jsonl, messages: [{role: user, content: hi}]}\n")
    jobs = load_spec(path).jobs
    assert jobs["a"].data.path == Path("/etc/passwd-like.csv")
    assert jobs["b"].data.path == tmp_path / "home" / "d.jsonl"


# --------------------------------------------------------------------------- warnings

def test_a_job_without_max_tokens_is_a_spec_warning(tmp_path: Path):
    path = spec_file(tmp_path, f"""\
version: 1
defaults: {{model: m}}
jobs:
  bounded: {JOB}
  summarize:
    rows: [{{q: one}}]
    messages: [{{role: user, content: hi}}]
  completion:
    rows: [{{q: one}}]
    messages: [{{role: user, content: hi}}]
    params: {{max_completion_tokens: 5}}
""")
    spec = load_spec(path)
    warning = ("S:5: job 'summarize' sets no max_tokens: each reply is bounded only by the model's context length, "
               "so the cost estimate's upper end will be very wide; set params.max_tokens (or max_completion_tokens)")
    assert [w.replace(str(path), "S") for w in spec.warnings] == [warning]
    assert [w.replace(str(path), "S") for w in spec.jobs["summarize"].warnings] == [warning]
    assert spec.jobs["bounded"].warnings == () == spec.jobs["completion"].warnings


def test_defaults_max_tokens_silences_the_warning(tmp_path: Path):
    path = spec_file(tmp_path, "version: 1\ndefaults: {model: m, params: {max_tokens: 9}}\njobs:\n"
                               "  a: {rows: [{q: 1}], messages: [{role: user, content: hi}]}\n")
    assert load_spec(path).warnings == ()


def test_validate_prints_the_warning_for_the_chosen_jobs_only(tmp_path: Path):
    spec_file(tmp_path, "version: 1\ndefaults: {model: m, messages: [{role: user, content: hi}]}\njobs:\n"
                        "  a: {rows: [{q: 1}]}\n  b: {rows: [{q: 1}], params: {max_tokens: 3}}\n"
                        "  c: {rows: [{q: 1}]}\n")
    result = cli("validate", cwd=tmp_path)
    assert result.exit_code == 0, result.output
    assert "Warning: specrun.yaml:4: job 'a' sets no max_tokens" in result.stderr
    assert "Warning: specrun.yaml:6: job 'c' sets no max_tokens" in result.stderr
    assert "job 'b'" not in result.stderr
    only_b = cli("validate", "--target", "b", cwd=tmp_path)
    assert only_b.exit_code == 0 and "Warning" not in only_b.output


# --------------------------------------------------------------------------- --var

@pytest.mark.parametrize("name", ["1a", "a b", "a-b", "\x1b[2J", "é"])
def test_var_override_names_must_be_names(tmp_path: Path, name: str):
    path = spec_file(tmp_path, f"version: 1\nvars: {{tone: x}}\njobs:\n  a: {JOB}\n")
    assert one_problem(path, var_overrides={name: "x"}) == (
        f"--var {name!r}: var names may only contain letters, digits and '_' and must not start with a digit"
        .replace("\x1b", "\\x1b"))


def test_var_override_values_are_data(tmp_path: Path):
    path = spec_file(tmp_path, f"version: 1\nvars: {{tone: x}}\njobs:\n  a: {JOB}\n")
    value = "\x1b[2J" + "x" * 100_000
    assert load_spec(path, {"tone": value}).vars["tone"] == value


def test_an_unknown_var_with_control_characters_is_shown_escaped(tmp_path: Path):
    spec_file(tmp_path, f"version: 1\nvars: {{tone: x}}\njobs:\n  a: {JOB}\n")
    result = cli("validate", "--var", "tonee=\x1b[2J", cwd=tmp_path)
    assert_one_clean_error(result, "--var tonee=\\x1b[2J: no var 'tonee'")
    assert "\x1b" not in result.output


# --------------------------------------------------------------------------- a small fuzz

BASE = {
    "version": 1,
    "provider": {"base_url": "http://x/v1", "api_key_env": "K"},
    "vars": {"tone": "x"},
    "budget": {"max_cost_usd": 3},
    "defaults": {"model": "m", "params": {"max_tokens": 5}, "limits": {"max_requests": 10, "max_bytes": 2048},
                 "budget": {"max_cost_usd": 1}, "on_too_long": "skip", "id": "{{ index }}",
                 "messages": [{"role": "user", "content": "hi"}]},
    "jobs": {"a": {"data": {"path": "d.csv", "format": "csv"}, "messages": [{"role": "user", "content": "x"}],
                   "params": {"n": 2}, "output": "out/a.jsonl", "description": "x"},
             "b": {"rows": [{"q": "x"}], "limits": {"max_requests": 3}}},
}
HOSTILE = [None, 0, -1, 10**100, 1.5, True, "", ".", "..", "results/", "~", "-x", "\x1b[2J", "local\n", [], [[]],
           {}, {"a": 1}, {"path": "."}, {"local": None}, {"local": 5}, [{"role": "user"}], "{{"]


def _paths(value, prefix=()):
    yield prefix
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _paths(item, prefix + (key,))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _paths(item, prefix + (index,))


def test_any_value_anywhere_is_a_spec_error_or_a_spec(tmp_path: Path):
    (tmp_path / "d.csv").write_text("q\n1\n")
    path = tmp_path / "specrun.yaml"
    for field_path in [p for p in _paths(BASE) if p]:
        for value in HOSTILE:
            spec = copy.deepcopy(BASE)
            parent = spec
            for part in field_path[:-1]:
                parent = parent[part]
            parent[field_path[-1]] = value
            path.write_text(yaml.safe_dump(spec, allow_unicode=True))
            try:
                load_spec(path)
            except SpecError as exc:
                assert all(problem.startswith(f"{path}:") for problem in exc.problems), (field_path, value, exc)
