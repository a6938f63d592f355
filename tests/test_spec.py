"""load_spec: YAML with lines, every schema problem at once in plain words, resolution."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from specrun.errors import SpecError
from specrun.spec import load_spec, select_jobs

ROOT = Path(__file__).resolve().parents[1]


def write(tmp_path: Path, text: str, name: str = "specrun.yaml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def problems_of(path: Path, **kwargs) -> list[str]:
    with pytest.raises(SpecError) as info:
        load_spec(path, **kwargs)
    return info.value.problems or [info.value.message]


GOOD = """\
    version: 1
    vars: {tone: concise, n: 3}
    defaults:
      model: base-model
      params: {temperature: 0, max_tokens: 256}
      limits: {max_requests: 10}
      budget: {max_cost_usd: 2}
    jobs:
      summarize:
        description: briefs
        data: data/articles.csv
        id: "a-{{ row.id }}"
        messages:
          - {role: system, content: "Be {{ vars.tone }}."}
          - role: user
            content: |
              {{ row.title }}
        params: {max_tokens: 128, stop: ["\\n\\n"]}
      other:
        model: other-model
        rows: [{q: a}, {q: b}]
        messages: [{role: user, content: "{{ row.q }}"}]
        output: out/other.jsonl
        limits: {max_bytes: 4096}
        on_too_long: skip
    """


def test_defaults_merge_into_jobs_and_params_merge_key_by_key(tmp_path):
    spec = load_spec(write(tmp_path, GOOD))
    job = spec.jobs["summarize"]
    assert list(spec.jobs) == ["summarize", "other"]
    assert job.model == "base-model"
    assert dict(job.params) == {"temperature": 0, "max_tokens": 128, "stop": ["\n\n"]}
    assert job.id_template == "a-{{ row.id }}"
    assert job.limits.max_requests == 10 and job.limits.max_bytes == 200 * 1024 * 1024
    assert job.budget_max_cost_usd == 2
    assert job.data.path == tmp_path / "data" / "articles.csv"
    assert job.data.display_path == "data/articles.csv" and job.data.format == "csv"
    assert job.output == tmp_path / "results" / "summarize.jsonl"
    assert job.output_display == "results/summarize.jsonl"
    assert [m.line for m in job.messages] == [14, 16]
    assert job.messages[1].content == "{{ row.title }}\n"
    other = spec.jobs["other"]
    assert other.model == "other-model"
    assert other.id_template == "{{ job }}-{{ index }}"
    assert other.data.rows == ({"q": "a"}, {"q": "b"})
    assert other.limits.max_requests == 10 and other.limits.max_bytes == 4096
    assert other.on_too_long == "skip"
    assert other.output == tmp_path / "out" / "other.jsonl"


def test_var_overrides_replace_spec_vars(tmp_path):
    spec = load_spec(write(tmp_path, GOOD), {"tone": "formal"})
    assert dict(spec.vars) == {"tone": "formal", "n": 3}


def test_unknown_var_override_is_an_error_with_a_hint(tmp_path):
    problems = problems_of(write(tmp_path, GOOD), var_overrides={"tnoe": "x"})
    assert problems == ["--var tnoe=x: no var 'tnoe' in " + str(tmp_path / "specrun.yaml")
                        + " (did you mean 'tone'?); declare it under vars:"]


@pytest.mark.parametrize("provider, kind, base_url, local", [
    ("", "http", None, {}),
    ("provider: local", "local", None, {}),
    ("provider: {local: {engine: echo}}", "local", None, {"engine": "echo"}),
    ("provider: {base_url: 'http://h:1/v1', api_key_env: KEY}", "http", "http://h:1/v1", {}),
])
def test_provider_forms(tmp_path, provider, kind, base_url, local):
    spec = load_spec(write(tmp_path, f"version: 1\n{provider}\njobs: {{}}\n"))
    assert (spec.provider.kind, spec.provider.base_url, dict(spec.provider.local)) == (kind, base_url, local)


def test_every_schema_problem_is_listed_with_line_and_field(tmp_path):
    path = write(tmp_path, """\
        version: 2
        provider: {base_url: ftp://x}
        jbos: 1
        defaults:
          modle: x
          on_too_long: skp
        jobs:
          "bad name":
            data: x.csv
          ok:
            data: x.csv
            messages:
              - {role: usr, content: hi}
              - content: hi
            limits: {max_requests: 0}
            params: []
        """)
    with pytest.raises(SpecError) as info:
        load_spec(path)
    assert info.value.message.startswith(f"{path} is invalid (10 problems):")
    assert [p.replace(str(path), "S") for p in info.value.problems] == [
        "S:1: version: unsupported spec version 2; this specrun reads version: 1",
        "S:2: provider.base_url: must start with http:// or https:// (got 'ftp://x')",
        "S:3: jbos: unknown key 'jbos' (did you mean 'jobs'?)",
        "S:5: defaults.modle: unknown key 'modle' (did you mean 'model'?)",
        "S:6: defaults.on_too_long: must be one of error, skip (got 'skp'; did you mean 'skip'?)",
        "S:8: jobs.bad name: job names may only contain letters, digits, '_', '.' and '-', must start with a "
        "letter, a digit or '_', must not end with '.' and have at most 100 characters (they become file names "
        "and command-line arguments)",
        "S:13: jobs.ok.messages[0].role: must be one of system, developer, user, assistant"
        " (got 'usr'; did you mean 'user'?)",
        "S:14: jobs.ok.messages[1]: missing required key 'role'",
        "S:15: jobs.ok.limits.max_requests: must be at least 1 (got 0)",
        "S:16: jobs.ok.params: must be a mapping (got a list)",
    ]


def test_unknown_key_without_close_match_lists_the_allowed_keys(tmp_path):
    problems = problems_of(write(tmp_path, "version: 1\njobs:\n  j:\n    rows: [{}]\n    frobnicate: 1\n"))
    assert problems[0].endswith(":5: jobs.j.frobnicate: unknown key 'frobnicate' (allowed: description, model, "
                                "data, rows, id, endpoint, messages, input, params, output, limits, budget, "
                                "on_too_long, dedupe, output_schema, exports)")


def test_missing_version_and_jobs(tmp_path):
    problems = problems_of(write(tmp_path, "vars: {}\n"))
    assert [p.split(": ", 1)[1] for p in problems] == ["missing required key 'version'", "missing required key 'jobs'"]


def test_yaml_syntax_error_names_line_and_column(tmp_path):
    path = write(tmp_path, "version: 1\njobs:\n  a: [1, 2\n  b: 3\n")
    with pytest.raises(SpecError, match=r"specrun.yaml:4:\d+: invalid YAML: "):
        load_spec(path)


def test_missing_and_empty_spec_files(tmp_path):
    with pytest.raises(SpecError) as info:
        load_spec(tmp_path / "nope.yaml")
    assert info.value.message == f"spec file {tmp_path / 'nope.yaml'} not found (looked for {tmp_path / 'nope.yaml'})"
    with pytest.raises(SpecError, match="is empty; it needs at least 'version: 1' and 'jobs:'"):
        load_spec(write(tmp_path, ""))
    with pytest.raises(SpecError, match="the spec must be a mapping"):
        load_spec(write(tmp_path, "- 1\n"))


def test_duplicate_keys_are_errors(tmp_path):
    problems = problems_of(write(tmp_path, "version: 1\njobs:\n  a: {rows: [{}]}\n  a: {rows: [{}]}\n"))
    assert problems[0].endswith(":4: jobs.a: duplicate key 'a' (first at line 3)")


def test_template_syntax_error_is_reported_at_load(tmp_path):
    path = write(tmp_path, """\
        version: 1
        jobs:
          j:
            model: m
            rows: [{a: 1}]
            messages:
              - role: user
                content: |
                  line one
                  {{ row.a }
        """)
    problems = problems_of(path)
    assert len(problems) == 1
    assert problems[0].endswith(":8: jobs.j.messages[0].content: template error (template line 2): "
                                "unexpected '}'")


def test_resolution_problems(tmp_path):
    path = write(tmp_path, """\
        version: 1
        jobs:
          no_model:
            rows: [{a: 1}]
            messages: [{role: user, content: hi}]
          no_data:
            model: m
            messages: [{role: user, content: hi}]
          both:
            model: m
            data: a.csv
            rows: [{a: 1}]
            messages: [{role: user, content: hi}]
          odd_ext:
            model: m
            data: a.txt
            messages: [{role: user, content: hi}]
          reserved:
            model: m
            rows: [{a: 1}]
            messages: [{role: user, content: hi}]
            params: {model: other}
        """)
    assert [p.split(":", 2)[1:] for p in problems_of(path)] == [
        ["3", " jobs.no_model: no model (set model: here or under defaults:)"],
        ["6", " jobs.no_data: no data (add data: <file> or rows: [...])"],
        ["12", " jobs.both.rows: use either data: or rows:, not both"],
        ["16", " jobs.odd_ext.data: cannot tell the format of 'a.txt' from its extension; "
               "write data: {path: a.txt, format: csv|jsonl|json|parquet}"],
        ["22", " jobs.reserved.params.model: model cannot be a param; use the job's model: key"],
    ]


def test_data_format_can_be_explicit(tmp_path):
    spec = load_spec(write(tmp_path, """\
        version: 1
        jobs:
          j: {model: m, data: {path: export.txt, format: jsonl}, messages: [{role: user, content: x}]}
        """))
    assert spec.jobs["j"].data.format == "jsonl"


def test_dates_stay_text_and_nan_is_refused(tmp_path):
    spec = load_spec(write(tmp_path, "version: 1\nvars: {day: 2024-05-01}\njobs: {}\n"))
    assert spec.vars["day"] == "2024-05-01"
    assert problems_of(write(tmp_path, "version: 1\nvars: {x: .nan}\njobs: {}\n"))[0].endswith(
        ":2: vars.x: nan is not allowed (JSON has no NaN/infinity)")


def test_select_jobs(tmp_path):
    spec = load_spec(write(tmp_path, GOOD))
    assert [j.name for j in select_jobs(spec)] == ["summarize", "other"]
    assert [j.name for j in select_jobs(spec, ["other", "summarize"])] == ["summarize", "other"]
    with pytest.raises(SpecError) as info:
        select_jobs(spec, ["sumarize"])
    assert info.value.message.endswith("(did you mean 'summarize'?) (jobs: summarize, other)")


def test_packaged_schema_is_a_copy_of_schemas_dir():
    assert (ROOT / "specrun" / "schemas" / "specrun.schema.json").read_bytes() == \
        (ROOT / "schemas" / "specrun.schema.json").read_bytes()


# --------------------------------------------------------------------------- output collisions

def lines_and_messages(path: Path) -> list[list[str]]:
    return [p.split(":", 2)[1:] for p in problems_of(path)]


def test_two_jobs_with_the_same_output_are_refused(tmp_path):
    path = write(tmp_path, """\
        version: 1
        defaults: {model: m, messages: [{role: user, content: hi}]}
        jobs:
          a:
            rows: [{x: 1}]
            output: same.jsonl
          b:
            rows: [{x: 1}]
            output: ./out/../same.jsonl
        """)
    assert lines_and_messages(path) == [
        ["9", " jobs.b.output: jobs 'a' and 'b' both write results to ./out/../same.jsonl; "
              "give each job its own output"],
    ]


def test_an_explicit_output_may_not_take_another_jobs_default_output(tmp_path):
    path = write(tmp_path, """\
        version: 1
        defaults: {model: m, messages: [{role: user, content: hi}]}
        jobs:
          a: {rows: [{x: 1}]}
          b: {rows: [{x: 1}], output: results/a.jsonl}
          c: {rows: [{x: 1}], output: results/a.jsonl}
        """)
    assert lines_and_messages(path) == [
        ["5", " jobs.b.output: jobs 'a', 'b' and 'c' all write results to results/a.jsonl; "
              "give each job its own output"],
    ]


def test_output_may_not_be_a_data_file(tmp_path):
    path = write(tmp_path, """\
        version: 1
        defaults: {model: m, messages: [{role: user, content: hi}]}
        jobs:
          a:
            data: in.csv
            output: in.csv
          b:
            data: data/other.jsonl
            output: ../""" + tmp_path.name + """/in.csv
          c:
            rows: [{x: 1}]
            output: data/other.jsonl
        """)
    assert lines_and_messages(path) == [
        ["6", " jobs.a.output: job 'a' output in.csv is the data file of job 'a' (its own input)"],
        ["9", " jobs.b.output: jobs 'a' and 'b' both write results to ../" + tmp_path.name
              + "/in.csv; give each job its own output"],
        ["9", " jobs.b.output: job 'b' output ../" + tmp_path.name + "/in.csv is the data file of job 'a'"],
        ["12", " jobs.c.output: job 'c' output data/other.jsonl is the data file of job 'b'"],
    ]


def test_output_may_not_be_the_spec_file(tmp_path):
    path = write(tmp_path, """\
        version: 1
        jobs:
          a: {model: m, rows: [{x: 1}], messages: [{role: user, content: hi}], output: specrun.yaml}
        """)
    assert lines_and_messages(path) == [
        ["3", " jobs.a.output: job 'a' output specrun.yaml is the spec file " + str(path) + " itself"],
    ]


def test_output_may_not_be_inside_the_specrun_directory(tmp_path):
    path = write(tmp_path, """\
        version: 1
        defaults: {model: m, messages: [{role: user, content: hi}]}
        jobs:
          state:
            rows: [{x: 1}]
            output: .specrun/state.json
          build:
            rows: [{x: 1}]
            output: .specrun/build/b.jsonl
          dir:
            rows: [{x: 1}]
            output: sub/../.specrun
        """)
    working = "is inside .specrun/, where specrun keeps its own working files (state, build, downloads)"
    assert lines_and_messages(path) == [
        ["6", f" jobs.state.output: job 'state' output .specrun/state.json {working}"],
        ["9", f" jobs.build.output: job 'build' output .specrun/build/b.jsonl {working}"],
        ["12", f" jobs.dir.output: job 'dir' output sub/../.specrun {working}"],
    ]


def test_defaulted_output_problems_point_at_the_job(tmp_path):
    (tmp_path / "results").mkdir()
    path = write(tmp_path, """\
        version: 1
        defaults: {model: m, messages: [{role: user, content: hi}]}
        jobs:
          a:
            data: results/b.jsonl
          b:
            rows: [{x: 1}]
        """)
    assert lines_and_messages(path) == [
        ["6", " jobs.b: job 'b' output results/b.jsonl is the data file of job 'a'"],
    ]


def test_output_collisions_are_listed_with_other_resolution_problems(tmp_path):
    path = write(tmp_path, """\
        version: 1
        jobs:
          a: {rows: [{x: 1}], messages: [{role: user, content: hi}]}
          b: {model: m, data: in.csv, messages: [{role: user, content: hi}], output: in.csv}
        """)
    assert lines_and_messages(path) == [
        ["3", " jobs.a: no model (set model: here or under defaults:)"],
        ["4", " jobs.b.output: job 'b' output in.csv is the data file of job 'b' (its own input)"],
    ]


def test_symlinked_output_that_reaches_a_data_file_is_refused(tmp_path):
    (tmp_path / "real").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "real")
    path = write(tmp_path, """\
        version: 1
        defaults: {model: m, messages: [{role: user, content: hi}]}
        jobs:
          a: {data: real/in.csv, output: link/in.csv}
        """)
    assert lines_and_messages(path) == [
        ["4", " jobs.a.output: job 'a' output link/in.csv is the data file of job 'a' (its own input)"],
    ]


def test_distinct_outputs_in_different_directories_are_fine(tmp_path):
    path = write(tmp_path, """\
        version: 1
        defaults: {model: m, messages: [{role: user, content: hi}]}
        jobs:
          a: {data: in.csv, output: one/results.jsonl}
          b: {data: in.csv, output: two/results.jsonl}
          c: {rows: [{x: 1}]}
          d: {rows: [{x: 1}], output: specrun-d.jsonl}
          e: {rows: [{x: 1}], output: specrun/e.jsonl}
        """)
    spec = load_spec(path)
    assert {name: job.output.relative_to(tmp_path).as_posix() for name, job in spec.jobs.items()} == {
        "a": "one/results.jsonl", "b": "two/results.jsonl", "c": "results/c.jsonl",
        "d": "specrun-d.jsonl", "e": "specrun/e.jsonl",
    }


def test_an_output_that_is_several_jobs_data_file_is_one_problem(tmp_path):
    path = write(tmp_path, """\
        version: 1
        defaults: {model: m, messages: [{role: user, content: hi}]}
        jobs:
          a: {data: in.csv, output: a.jsonl}
          b: {data: in.csv, output: b.jsonl}
          c: {data: in.csv, output: in.csv}
        """)
    assert lines_and_messages(path) == [
        ["6", " jobs.c.output: job 'c' output in.csv is the data file of jobs 'a', 'b' and 'c'"],
    ]


def test_validate_exits_1_with_the_output_problems_and_no_traceback(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from specrun.cli import main

    (tmp_path / "in.csv").write_text("id,q\n1,a\n", encoding="utf-8")
    write(tmp_path, """\
        version: 1
        defaults: {model: m, messages: [{role: user, content: "{{ row.q }}"}]}
        jobs:
          a: {data: in.csv, output: same.jsonl}
          b: {data: in.csv, output: same.jsonl}
          c: {rows: [{q: x}], output: .specrun/state.json}
        """)
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["validate"])
    assert result.exit_code == 1
    assert result.output == (
        "Error: specrun.yaml is invalid (2 problems):\n"
        "  specrun.yaml:5: jobs.b.output: jobs 'a' and 'b' both write results to same.jsonl; "
        "give each job its own output\n"
        "  specrun.yaml:6: jobs.c.output: job 'c' output .specrun/state.json is inside .specrun/, "
        "where specrun keeps its own working files (state, build, downloads)\n"
    )
    assert not (tmp_path / ".specrun").exists()
