"""Hostile templates: non-data turned into text, dict methods shadowing columns, templates
that change their rows, templates that build huge values or run for ever, custom_ids that
are not text.

DESIGN §2 promises deterministic rendering and StrictUndefined for every template; CI
validates specs from pull requests, so each of these must be one clear ``RenderError``
naming the job, the field, the template line and the data row, in well under a second.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from specrun import _templates
from specrun.errors import RenderError, SpecError
from specrun.render import check_job, iter_requests, render_job
from specrun.spec import load_spec
from tests.hostile.conftest import assert_one_clean_error, cli

ARTICLES = "id,title,text\n1, One ,First\n2,Two,Second\n"
WHERE = "job 'summarize', messages[0].content (template line 1): row 2 of data/articles.csv: "
PLAIN = "only text, numbers, booleans, none, and lists or dicts of them can become text"
STRIP = "the method 'strip' of a str (call it with ())"


def write_spec(tmp_path: Path, content: str, *, data: str = ARTICLES, job_extra: str = "") -> Path:
    (tmp_path / "data").mkdir(exist_ok=True)
    (tmp_path / "data" / "articles.csv").write_text(data, encoding="utf-8")
    spec = textwrap.dedent(f"""\
        version: 1
        vars: {{tone: concise, tags: [a, b]}}
        defaults:
          model: m1
          params: {{max_tokens: 16}}
        jobs:
          summarize:
            data: data/articles.csv
            messages:
              - role: user
                content: {json.dumps(content)}
        """) + textwrap.indent(job_extra, "    ")
    path = tmp_path / "specrun.yaml"
    path.write_text(spec, encoding="utf-8")
    return path


def make(tmp_path: Path, content: str, **kwargs):
    spec = load_spec(write_spec(tmp_path, content, **kwargs))
    return spec, spec.jobs["summarize"]


def render_error(tmp_path: Path, content: str, **kwargs) -> str:
    spec, job = make(tmp_path, content, **kwargs)
    with pytest.raises(RenderError) as info:
        check_job(spec, job)
    return info.value.message


def contents(spec, job) -> list[str]:
    return [json.loads(request.line)["body"]["messages"][0]["content"] for request in iter_requests(spec, job)]


# ---------------------------------------------------------------- only plain data becomes text


@pytest.mark.parametrize("template, what", [
    ("{{ row.title.strip }}", STRIP),
    ("{{ row.title.upper }}", "the method 'upper' of a str (call it with ())"),
    ("{{ cycler(1, 2) }}", "a Cycler object (a template helper, not data)"),
    ("{{ joiner() }}", "a Joiner object (a template helper, not data)"),
    ("{{ namespace(a=1) }}", "a Namespace object (a template helper, not data)"),
    ("{{ namespace }}", "the class 'Namespace'"),
    ("{{ dict }}", "the class 'dict'"),
    ("{{ range }}", "the function 'safe_range' (call it with ())"),
    ("{{ row.title.split }}", "the method 'split' of a str (call it with ())"),
    ("{{ row.id|list|unique }}", "a generator (use |list or |join)"),
    ("{{ row.keys() }}", "a dict_keys (use |list or |join)"),
    ("{{ range(3) }}", "a range (use |list or |join)"),
    ("{{ self }}", "a TemplateReference object (a template helper, not data)"),
    ("{% macro m() %}x{% endmacro %}{{ m }}", "the macro 'm' (call it with ())"),
    ("{% for x in [1] %}{{ loop }}{% endfor %}", "a LoopContext object (a template helper, not data)"),
])
def test_printing_what_is_not_data_is_an_error(tmp_path, template, what):
    """The first money bug: `{{ row.title.strip }}` sent a different address every run."""
    message = render_error(tmp_path, "{{ row.id }}" + template)
    assert message == f"{WHERE}cannot print {what}: {PLAIN}"


@pytest.mark.parametrize("template, how", [
    ("{{ 'Title: ' ~ row.title.strip }}", "join with '~'"),
    ("{{ row.title.strip|string }}", "pass to |string"),
    ("{{ row.title.strip|upper }}", "pass to |upper"),
    ("{{ row.title.strip|e }}", "pass to |e"),
    ("{{ row.title.strip|trim }}", "pass to |trim"),
    ("{{ row.title.strip|urlencode }}", "pass to |urlencode"),
    ("{{ row.title.strip|pprint }}", "pass to |pprint"),
    ("{{ row.title.strip|tojson }}", "pass to |tojson"),
    ("{{ [row.title.strip]|join(', ') }}", "join"),
    ("{{ [1, row.title.strip] }}", "print"),
    ("{{ {'a': [row.title.strip]} }}", "print"),
    ("{{ [row.title.strip]|map('string')|list }}", "pass to |string"),
    ("{{ '%s' % row.title.strip }}", "format with '%'"),
    ("{{ '%r' % ([row.title.strip],) }}", "format with '%'"),
    ("{{ 'Title: %s'|format(row.title.strip) }}", "pass to |format"),
    ("{{ 'Title: {}'.format(row.title.strip) }}", "format"),
    ("{{ '{!r}'.format(row.title.strip) }}", "format"),
    ("{{ '{t}'.format_map({'t': row.title.strip}) }}", "format"),
    ("{% filter upper %}{{ row.title.strip }}{% endfilter %}", "print"),
    ("{% set x %}{{ row.title.strip }}{% endset %}{{ x }}", "print"),
    ("{{ cycler(row.title.strip).next() }}", "print"),
])
def test_every_route_to_text_refuses_what_is_not_data(tmp_path, template, how):
    message = render_error(tmp_path, "{{ row.id }}" + template)
    assert message == f"{WHERE}cannot {how} {STRIP}: {PLAIN}"


def test_the_error_names_the_template_line_and_the_row_that_broke_it(tmp_path):
    data = "id,title,text\n1,One,First\n2,Two,Second\n"
    message = render_error(tmp_path, "Title: {{ row.title }}\n\n{% if row.id == '2' %}{{ row.text.lower }}{% endif %}",
                           data=data)
    assert message == ("job 'summarize', messages[0].content (template line 3): row 3 of data/articles.csv: "
                       f"cannot print the method 'lower' of a str (call it with ()): {PLAIN}")


def test_a_set_is_not_printed_its_order_changes_from_run_to_run():
    # specs refuse YAML sets; this is for any other way a set reaches a template
    context = _templates.base_context("summarize", {"letters": {"a", "b", "c"}})
    with pytest.raises(_templates.TemplateFailure) as info:
        _templates.compile_template("{{ vars.letters }}").render(context)
    assert str(info.value) == f"cannot print a set (its order changes from run to run; use |sort): {PLAIN}"
    assert _templates.compile_template("{{ vars.letters|sort }}").render(context) == "['a', 'b', 'c']"


def test_an_undefined_value_inside_a_list_is_still_undefined(tmp_path):
    """StrictUndefined held only for `{{ x }}`: `{{ [row.body] }}` printed "[Undefined]"."""
    for template in ("{{ [row.body] }}", "{{ {'b': row.body} }}", "{{ 'x' ~ [row.body] }}", "{{ '%s' % [row.body] }}",
                     "{{ [row.body]|tojson }}"):
        assert render_error(tmp_path, template) == (
            "job 'summarize', messages[0].content (template line 1): row 2 of data/articles.csv has no column "
            "'body' (columns: id, title, text)"), template


def test_the_address_net_catches_a_route_the_checks_miss(tmp_path, monkeypatch):
    """Last net: an object address in the text that neither template nor data wrote."""
    monkeypatch.setitem(_templates.ENVIRONMENT.filters, "raw", str)  # a route to text that checks nothing
    message = render_error(tmp_path, "{{ row.id }}{{ row.title.strip|raw }}")
    # no template line: the net looks at the finished text
    assert message.startswith("job 'summarize', messages[0].content: row 2 of data/articles.csv: the text holds "
                              "'<built-in method strip of str object at 0x")
    assert message.endswith(f">', the address of a Python object, which changes on every run: something that is "
                            f"not data (a method, a function, an object) became text; {PLAIN}")


def test_addresses_written_by_the_data_or_the_template_are_text(tmp_path):
    data = "id,title,text\n1,<function f at 0x7f3a2b1c4d50>,x\n"
    spec, job = make(tmp_path, "Seen at 0x7f00aabbcc: {{ row.title|upper }}", data=data)
    assert contents(spec, job) == ["Seen at 0x7f00aabbcc: <FUNCTION F AT 0X7F3A2B1C4D50>"]


def test_plain_data_of_every_shape_still_renders_the_same_text(tmp_path):
    template = ("{{ row.id }}|{{ row }}|{{ vars.tags }}|{{ vars.tags|join('+') }}|{{ (1, 2.5, none, true) }}|"
                "{{ row.items()|list|length }}|{{ row|dictsort|first }}|{{ '%s-%05.1f'|format(row.id, 2.25) }}|"
                "{{ '{}:{:>4}'.format(job, index) }}|{% for k, v in row|dictsort %}{{ k }}={{ v|trim }};{% endfor %}|"
                "{{ row.get('missing', 'none') }}|{{ row.title.strip()|lower ~ '!' }}|"
                "{{ range(3)|map('string')|join }}")
    spec, job = make(tmp_path, template)
    assert contents(spec, job)[0] == (
        "1|{'id': '1', 'title': ' One ', 'text': 'First'}|['a', 'b']|a+b|(1, 2.5, None, True)|3|('id', '1')|"
        "1-002.2|summarize:   0|id=1;text=First;title=One;|none|one!|012")


def test_large_plain_values_are_not_refused_by_the_size_estimates():
    items = [{"a": "x" * 20, "b": [1, 2, 3]} for _ in range(5000)]
    context = _templates.base_context("summarize", {"items": items})
    text = _templates.compile_template("{{ vars.items|tojson(2) }}").render(context)
    assert text == json.dumps(items, indent=2, sort_keys=True)
    assert len(_templates.compile_template("{{ vars.items }}").render(context)) == len(str(items))


def test_the_same_spec_renders_the_same_sha256_in_every_process(tmp_path):
    """Adoption after a lost state needs byte-identical requests: across processes and hash seeds."""
    template = ("{{ row.id }} {{ row }} {{ vars.tags|unique|list }} {{ row|dictsort }} {{ vars|tojson }} "
                "{% for k in row|sort %}{{ k }}{% endfor %} {{ cycler('a', 'b').next() }}")
    path = write_spec(tmp_path, template)
    spec = load_spec(path)
    first, second = check_job(spec, spec.jobs["summarize"]), check_job(spec, spec.jobs["summarize"])
    assert first.input_sha256 == second.input_sha256
    rendered = render_job(spec, spec.jobs["summarize"], tmp_path / "build")
    assert rendered.input_sha256 == first.input_sha256
    program = ("import sys; from specrun.spec import load_spec; from specrun.render import check_job; "
               "spec = load_spec(sys.argv[1]); print(check_job(spec, spec.jobs['summarize']).input_sha256)")
    hashes = set()
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        done = subprocess.run([sys.executable, "-c", program, str(path)], capture_output=True, text=True, env=env,
                              cwd=Path(__file__).resolve().parents[2], check=True)
        hashes.add(done.stdout.strip())
    assert hashes == {first.input_sha256}


# ---------------------------------------------------------------- dict methods never shadow a missing column


@pytest.mark.parametrize("template, name", [
    ("{{ row.values }}", "values"),
    ("{{ row.items }}", "items"),
    ("{{ row.get }}", "get"),
    ("{{ row.copy }}", "copy"),
    ("{{ row['values'] }}", "values"),
    ("{{ row.values|length }}", "values"),
    ("{% if row.keys %}x{% endif %}", "keys"),
    ("{{ row.__class__ }}", "__class__"),
])
def test_a_missing_column_named_like_a_dict_method_is_undefined(tmp_path, template, name):
    assert render_error(tmp_path, template) == (
        "job 'summarize', messages[0].content (template line 1): row 2 of data/articles.csv has no column "
        f"{name!r} (columns: id, title, text)")


def test_columns_named_like_dict_methods_and_calling_dict_methods_still_work(tmp_path):
    data = "id,values,items\n1,v1,i1\n"
    spec, job = make(tmp_path, "{{ row.values }} {{ row['items'] }} {{ row.get('id') }} {{ row.get('x', '-') }} "
                               "{{ row.keys()|join(',') }}", data=data)
    assert contents(spec, job) == ["v1 i1 1 - id,values,items"]


# ---------------------------------------------------------------- rows and vars are read-only


@pytest.mark.parametrize("template, change", [
    ("{{ row.pop('text') }}", "'pop' would modify a dict"),
    ("{% set _ = row.pop('text') %}", "'pop' would modify a dict"),
    ("{{ row.update({'text': 'x'}) }}", "'update' would modify a dict"),
    ("{{ row.setdefault('extra', 1) }}", "'setdefault' would modify a dict"),
    ("{{ row.clear() }}", "'clear' would modify a dict"),
    ("{{ row['pop']('text') }}", None),
    ("{{ vars.tags.append('c') }}", "'append' would modify a list"),
    ("{{ vars.tags.sort() }}", "'sort' would modify a list"),
    ("{{ vars.popitem() }}", "'popitem' would modify a dict"),
])
def test_templates_cannot_change_their_rows_or_vars(tmp_path, template, change):
    spec, job = make(tmp_path, "{{ row.id }}" + template)
    with pytest.raises(RenderError) as info:
        list(iter_requests(spec, job))
    if change is None:  # a subscript is the key only
        assert info.value.message == ("job 'summarize', messages[0].content (template line 1): row 2 of "
                                      "data/articles.csv has no column 'pop' (columns: id, title, text)")
    else:
        assert info.value.message == (f"{WHERE}templates cannot change data: {change} (rows, vars and every list or "
                                      "dict are read-only)")
    assert spec.vars["tags"] == ["a", "b"]


def test_results_keep_the_rows_as_read(tmp_path):
    spec, job = make(tmp_path, "{{ row.title|trim }}")
    assert [request.row for request in iter_requests(spec, job)] == [
        {"id": "1", "title": " One ", "text": "First"}, {"id": "2", "title": "Two", "text": "Second"}]


# ---------------------------------------------------------------- resource exhaustion fails fast


@pytest.mark.parametrize("template, fragment", [
    ("{{ 'x' * 10**9 }}", "'*' would build a text of 1,000,000,000 characters; a template may build at most "
                          "16,777,216 (16 MiB)"),
    ("{{ 10**9 * 'x' }}", "'*' would build a text of 1,000,000,000 characters"),
    ("{{ [0] * 10**7 }}", "'*' would build 10,000,000 items; a template may build at most 1,000,000"),
    ("{{ range(100000) | join('x' * 100000) }}", "|join would build a text of 9,999,900,000 characters"),
    ("{{ 10 ** (10 ** 8) }}", "'**' would build a number of about 400,000,000 bits; a template may build at most "
                              "65,536"),
    ("{{ 3 ** 100000 }}", "'**' would build a number of about 200,000 bits"),
    ("{% set ns = namespace(n=3) %}{% for i in range(60) %}{% set ns.n = ns.n * ns.n %}{% endfor %}",
     "'*' would build a number of about 103,874 bits"),
    ("{% set ns = namespace(s='x') %}{% for i in range(60) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}{{ ns.s }}",
     "the template would build a text of 33,554,432 characters"),
    ("{% set ns = namespace(s='x') %}{% for i in range(60) %}{% set ns.s = ns.s + ns.s %}{% endfor %}{{ ns.s }}",
     "'+' would build a text of 33,554,432 characters"),
    ("{% set ns = namespace(s='x') %}{% for i in range(60) %}{% set ns.s = [ns.s, ns.s]|join %}{% endfor %}",
     "|join would build a text of 33,554,432 characters"),
    ("{% set ns = namespace(s='x') %}{% for i in range(60) %}{% set ns.s = '%s%s' % (ns.s, ns.s) %}{% endfor %}",
     "format with '%' would build a text of 16,777,"),
    ("{% set ns = namespace(s='x') %}{% for i in range(60) %}{% set ns.s = '{0}{0}'.format(ns.s) %}{% endfor %}",
     ".format() would build a text of 33,554,432 characters"),
    ("{% set ns = namespace(l=[1]) %}{% for i in range(60) %}{% set ns.l = [ns.l, ns.l] %}{% endfor %}{{ ns.l }}",
     "print this value would build a text of"),
    ("{% set ns = namespace(l=[1]) %}{% for i in range(60) %}{% set ns.l = [ns.l, ns.l] %}{% endfor %}"
     "{{ ns.l|tojson }}", "pass to |tojson this value would build a text of"),
    ("{% set ns = namespace(l=[1]) %}{% for i in range(60) %}{% set ns.l = [ns.l, ns.l]|sum(start=[]) %}"
     "{% endfor %}", "|sum would build 1,048,576 items"),
    ("{{ 'x'|center(10**9) }}", "|center: a width of 1,000,000,000 is too large (at most 16,777,216)"),
    ("{{ 'x'|center(1000000000) }}", "|center: a width of 1,000,000,000 is too large"),
    ("{{ 'a\\nb'|indent(10**9) }}", "|indent would build a text of 3,000,000,003 characters"),
    ("{{ 'a\\nb'|indent('x' * 10**7) }}", "|indent would build a text of 30,000,003 characters"),
    ("{{ 'abc'|replace('', 'x' * 10**7) }}", "|replace would build a text of 40,000,003 characters"),
    ("{{ ('x' * 10**6)|replace('x', 'yy' * 10**3) }}", "|replace would build a text of 2,000,000,000 characters"),
    ("{{ 'a b c'|wordwrap(1, wrapstring='x' * 10**7) }}", "|wordwrap would build a text of 80,000,005 characters"),
    ("{{ '%999999999d'|format(1) }}", "|format: a width or precision of 999,999,999 is too large"),
    ("{{ '%.999999999f' % 1.5 }}", "format with '%': a width or precision of 999,999,999 is too large"),
    ("{{ '%*d' % (10**9, 1) }}", "format with '%': a width or precision of 1,000,000,000 is too large"),
    ("{{ '{:999999999}'.format(1) }}", "format: a width or precision of 999,999,999 is too large"),
    ("{{ '{:{w}}'.format(1, w=10**9) }}", "format: a width or precision of 1,000,000,000 is too large"),
    ("{{ 'x'.ljust(10**9) }}", ".ljust(): a width of 1,000,000,000 is too large"),
    ("{{ 'x'.zfill(10**9) }}", ".zfill(): a width of 1,000,000,000 is too large"),
    ("{{ ('\\t' * 100).expandtabs(10**7) }}", ".expandtabs() would build a text of 1,000,000,100 characters"),
    ("{{ ('x' * 10**4).join(range(100000)|map('string')) }}", ".join() would build a text of"),
    ("{{ 'x'.encode().center(10**9) }}", ".center(): a width of 1,000,000,000 is too large"),
    ("{{ (10).to_bytes(10**9, 'big') }}", ".to_bytes(): a length of 1,000,000,000 is too large"),
    ("{{ 'ab'|batch(10**9, 'x')|list }}", "|batch: a count of 1,000,000,000 is too large (at most 1,000,000)"),
    ("{{ 'ab'|slice(10**9)|list }}", "|slice: a count of 1,000,000,000 is too large (at most 1,000,000)"),
    ("{{ [1]|tojson(10**9) }}", "|tojson with indent would build a text of"),
    ("{{ ('word ' * 200000)|urlize }}", "|urlize of 1,000,000 characters would take too long; at most 524,288"),
    ("{{ ('a b ' * 200000)|wordwrap(1) }}", "|wordwrap of 800,000 characters would take too long"),
    ("{{ ('{0}' * 300000).format(1) }}", "the template runs more than 250,000 loop iterations and calls"),
    ("{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}",
     "the template runs more than 250,000 loop iterations and calls for one render; simplify it"),
    ("{% for x in [1, 2, 3] recursive %}{% if x is number %}{{ loop(range(100000)|map('string')) }}{% endif %}"
     "{% endfor %}",
     "the template runs more than 250,000 loop iterations and calls for one render"),
    ("{% macro m() %}{{ m() }}{{ m() }}{% endmacro %}{{ m() }}",
     "the template calls macros or loops inside each other more than 40 deep (a macro or a loop calling itself?)"),
    ("{% for x in [[[1]]] recursive %}{{ loop([x]) }}{% endfor %}",
     "the template calls macros or loops inside each other more than 40 deep"),
    ("{% set big = 'x' * 1000000 %}{% for i in range(100000) %}{{ big }}{% endfor %}",
     "the template renders 100,000,000,001 characters; at most 16,777,216 (16 MiB)"),
    ("{% for i in range(100000) %}" + "x" * 200 + "{% endfor %}", "the template renders 20,000,001 characters"),
    ("{% set x %}{% for i in range(100000) %}{{ 'x' * 1000 }}{% endfor %}{% endset %}",
     "the template would build a text of 100,000,000 characters"),
    ("{% set ns = namespace(s='x' * 10**7) %}{% for i in range(1000) %}{% set ns.t = ns.s ~ 'y' %}{% endfor %}",
     "the template builds more than 268,435,456 characters of text in all for one render"),
])
def test_templates_that_would_build_huge_values_or_run_long_fail_fast(tmp_path, template, fragment):
    started = time.perf_counter()
    message = render_error(tmp_path, "{{ row.id }}" + template)
    elapsed = time.perf_counter() - started
    assert message.startswith("job 'summarize', messages[0].content")
    assert "row 2 of data/articles.csv: " in message
    assert fragment in message, message
    assert elapsed < 1.5, f"{elapsed:.2f} s"


def test_a_template_that_only_scans_large_values_stops_at_the_time_limit(tmp_path, monkeypatch):
    monkeypatch.setattr(_templates, "MAX_SECONDS", 0.05)
    message = render_error(tmp_path, "{{ row.id }}{% set big = 'x' * 10**7 %}"
                                     "{% for i in range(100000) %}{% if 'y' in big %}{% endif %}{% endfor %}")
    assert message == f"{WHERE}the template ran for more than 0.05 s for one render; simplify it"


def test_constant_parts_are_not_computed_huge_while_compiling(tmp_path):
    started = time.perf_counter()
    spec, job = make(tmp_path, "{{ row.id }}" + "{{ 'x'|center(16000000) }}" * 40)  # load_spec compiles
    assert time.perf_counter() - started < 1.5
    with pytest.raises(RenderError, match="the template builds more than 268,435,456 characters of text in all"):
        check_job(spec, job)


@pytest.mark.parametrize("template, line", [
    ("{{ " + "(" * 5000 + "1" + ")" * 5000 + " }}", 1),
    ("{{ " + "[" * 5000 + "]" * 5000 + " }}", 1),
    ("{{ " + "{'a': " * 5000 + "1" + "}" * 5000 + " }}", 1),
    ("{{ " + "- " * 5000 + "1 }}", 1),
    ("{{ " + "not " * 5000 + "1 }}", 1),
    ("x\n" + "{% if true %}" * 500 + "{% endif %}" * 500, 2),
    ("{% for x in [1] %}" * 500 + "{% endfor %}" * 500, 1),
    ("{% set x %}" * 500 + "{% endset %}" * 500, 1),
    ("{{ 1" + " + 1" * 20000 + " }}", 1),
    ("{{ x" + ".a" * 20000 + " }}", 1),
])
def test_a_template_nested_too_deeply_is_a_spec_error(tmp_path, template, line):
    write_spec(tmp_path, template)
    with pytest.raises(SpecError) as info:
        load_spec(tmp_path / "specrun.yaml")
    assert f"template error (template line {line}): the template nests " in str(info.value)


def test_nesting_a_template_may_use(tmp_path):
    template = ("{{ " + "(" * 30 + "row.id" + ")" * 30 + " }}" + "{% if true %}" * 30 + "x" + "{% endif %}" * 30
                + "{% set y = 1 %}" * 50 + "{{ - - 1 }}{{ not not true }}")
    spec, job = make(tmp_path, template)
    assert contents(spec, job)[0] == "1x1True"


def test_a_message_over_16_mib_is_an_error_or_skipped_with_on_too_long_skip(tmp_path):
    data = "id,title,text\n1,a,short\n2,b,long\n"
    template = "{{ row.text }}{% if row.id == '2' %}{{ 'x' * 9000000 }}{{ 'y' * 9000000 }}{% endif %}"
    assert render_error(tmp_path, template, data=data) == (
        "job 'summarize', messages[0].content: row 3 of data/articles.csv: the template renders "
        "18,000,004 characters; at most 16,777,216 (16 MiB)")
    spec, job = make(tmp_path, template, data=data, job_extra="on_too_long: skip\n")
    rendered = render_job(spec, job, tmp_path / "build")
    assert (rendered.requests, rendered.skipped) == (1, 1)
    assert rendered.warnings == ("job 'summarize': skipped 1 request(s) with a message over 16 MiB "
                                 "(first: row 3 of data/articles.csv)",)
    reasons = [request.skip_reason for request in iter_requests(spec, job)]
    assert reasons == [None, "messages[0].content renders 18,000,004 characters, over the 16 MiB a message may hold"]


# ---------------------------------------------------------------- custom_id


@pytest.mark.parametrize("id_template, data, message", [
    ("{{ row.blank }}", "id,blank\n1,\n", "renders empty"),
    ("{{ row.blank }}", "id,blank\n1,  \n", "renders only whitespace ('  ')"),
    ("{{ row.blank }}-{{ row.id }}", 'id,blank\n1,"a\nb"\n', "holds the control character U+000A ('a\\nb-1')"),
    ("x{{ '\\t' }}{{ row.id }}", "id\n1\n", "holds the control character U+0009 ('x\\t1')"),
    ("x{{ '\\x1b' }}[31m{{ row.id }}", "id\n1\n", "holds the control character U+001B ('x\\x1b[31m1')"),
    ("x{{ '\\u2028' }}{{ row.id }}", "id\n1\n", "holds the control character U+2028 ('x\\u20281')"),
    ("x{{ '\\u202e' }}{{ row.id }}", "id\n1\n", "holds the control character U+202E ('x\\u202e1')"),
])
def test_custom_ids_must_be_printable_text(tmp_path, id_template, data, message):
    spec, job = make(tmp_path, "{{ row.id }}", data=data, job_extra=f"id: {json.dumps(id_template)}\n")
    with pytest.raises(RenderError) as info:
        check_job(spec, job)
    where = "job 'summarize', id: the custom_id of row 2 of data/articles.csv "
    suffix = ("; custom_ids go into file names, logs and terminals, so they must be printable text"
              if "control" in message else "")
    assert info.value.message == where + message + suffix


def test_custom_ids_of_any_printable_unicode_work(tmp_path):
    data = "id,name\n1,記事\n2,café\n3,👩‍💻\n4,a b\n"
    spec, job = make(tmp_path, "{{ row.id }}", data=data, job_extra='id: "{{ row.name }}-{{ row.id }}"\n')
    assert [request.custom_id for request in iter_requests(spec, job)] == ["記事-1", "café-2", "👩‍💻-3", "a b-4"]


# ---------------------------------------------------------------- through the CLI


def test_validate_reports_a_forgotten_call_as_one_clean_error(tmp_path):
    path = write_spec(tmp_path, "Title: {{ row.title.strip }}")
    result = cli("validate", "-f", str(path), cwd=tmp_path)
    assert_one_clean_error(result, "job 'summarize'", "messages[0].content (template line 1)",
                           "row 2 of data/articles.csv", "cannot print the method 'strip' of a str (call it with ())")
    assert result.output.count("Error:") == 1


def test_validate_stops_a_memory_bomb_fast_with_one_clean_error(tmp_path):
    path = write_spec(tmp_path, "{{ row.id }}{{ range(100000) | join('x' * 100000) }}")
    started = time.perf_counter()
    result = cli("validate", "-f", str(path), cwd=tmp_path)
    assert time.perf_counter() - started < 1.5
    assert_one_clean_error(result, "job 'summarize'", "messages[0].content (template line 1)",
                           "row 2 of data/articles.csv", "|join would build a text of 9,999,900,000 characters")
    assert result.output.count("Error:") == 1


def test_validate_refuses_a_whitespace_custom_id(tmp_path):
    path = write_spec(tmp_path, "{{ row.id }}", data="id,blank\n1,   \n", job_extra='id: "{{ row.blank }}"\n')
    result = cli("validate", "-f", str(path), cwd=tmp_path)
    assert_one_clean_error(result, "job 'summarize', id: the custom_id of row 2 of data/articles.csv renders only "
                                   "whitespace ('   ')")
