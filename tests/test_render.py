"""Rendering: exact request bytes, determinism, shards, and errors that point at the row."""

from __future__ import annotations

import hashlib
import json
import textwrap
from pathlib import Path

import pytest

from specrun.errors import DataError, RenderError
from specrun.render import check_job, iter_requests, job_fingerprint, render_job, shard_filename
from specrun.spec import load_spec

ARTICLES = "id,title,text\n" + "".join(f"{i},Title {i},Text number {i}\n" for i in range(1, 41))


def make(tmp_path: Path, job: str, files: dict[str, str] | None = None, vars: str = "{tone: concise}",
         overrides: dict[str, str] | None = None):
    for name, content in (files or {"data/articles.csv": ARTICLES}).items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(content, encoding="utf-8")
    spec_text = f"version: 1\nvars: {vars}\ndefaults:\n  model: m1\n  params: {{temperature: 0}}\njobs:\n  summarize:\n"
    spec_text += textwrap.indent(textwrap.dedent(job), "    ")
    (tmp_path / "specrun.yaml").write_text(spec_text, encoding="utf-8")
    spec = load_spec(tmp_path / "specrun.yaml", overrides)
    return spec, spec.jobs["summarize"]


SUMMARIZE = textwrap.dedent("""\
    data: data/articles.csv
    id: "article-{{ row.id }}"
    messages:
      - {role: system, content: "Summarize in a {{ vars.tone }} tone."}
      - role: user
        content: |
          {{ row.title }}
          {{ row.text }}
    params: {max_tokens: 128, stop: ["é"]}
""")


def test_request_line_is_exactly_json_dumps_of_the_batch_request(tmp_path):
    spec, job = make(tmp_path, SUMMARIZE)
    first = next(iter_requests(spec, job))
    expected = {
        "custom_id": "article-1", "method": "POST", "url": "/v1/chat/completions",
        "body": {"model": "m1", "messages": [
            {"role": "system", "content": "Summarize in a concise tone."},
            {"role": "user", "content": "Title 1\nText number 1"},
        ], "temperature": 0, "max_tokens": 128, "stop": ["é"]},
    }
    assert first.line == (json.dumps(expected, ensure_ascii=False, separators=(",", ":")) + "\n").encode()
    assert (first.index, first.custom_id, first.location) == (0, "article-1", "data/articles.csv:2")
    assert first.row == {"id": "1", "title": "Title 1", "text": "Text number 1"}


def test_render_is_deterministic_and_hashes_what_it_writes(tmp_path):
    spec, job = make(tmp_path, SUMMARIZE)
    one = render_job(spec, job, tmp_path / "a")
    two = render_job(spec, job, tmp_path / "b")
    assert one.input_sha256 == two.input_sha256
    assert [s.path.read_bytes() for s in one.shards] == [s.path.read_bytes() for s in two.shards]
    (shard,) = one.shards
    content = shard.path.read_bytes()
    assert shard.sha256 == one.input_sha256 == hashlib.sha256(content).hexdigest()
    assert shard.filename == shard.path.name == shard_filename("summarize", shard.sha256)
    assert (one.requests, one.bytes, shard.requests, shard.bytes) == (40, len(content), 40, len(content))
    assert shard.custom_ids_first == "article-1"
    assert not list((tmp_path / "a").glob(".*.tmp"))
    assert one.fingerprint == job_fingerprint(spec, job)


def test_three_shards_by_max_requests(tmp_path):
    spec, job = make(tmp_path, SUMMARIZE + "limits: {max_requests: 15}\n")
    rendered = render_job(spec, job, tmp_path / "out")
    assert [s.requests for s in rendered.shards] == [15, 15, 10]
    assert [s.custom_ids_first for s in rendered.shards] == ["article-1", "article-16", "article-31"]
    joined = b"".join(s.path.read_bytes() for s in rendered.shards)
    assert hashlib.sha256(joined).hexdigest() == rendered.input_sha256  # independent of sharding
    unsharded = render_job(*make(tmp_path, SUMMARIZE), tmp_path / "one")
    assert unsharded.input_sha256 == rendered.input_sha256
    for shard in rendered.shards:
        assert hashlib.sha256(shard.path.read_bytes()).hexdigest() == shard.sha256


def test_shards_by_max_bytes(tmp_path):
    spec, job = make(tmp_path, SUMMARIZE + "limits: {max_bytes: 2048}\n")
    rendered = render_job(spec, job, tmp_path / "out")
    assert len(rendered.shards) > 3
    assert all(s.bytes <= 2048 for s in rendered.shards)
    assert sum(s.requests for s in rendered.shards) == 40
    assert check_job(spec, job).shards == len(rendered.shards)


def test_check_job_matches_render_without_writing(tmp_path):
    spec, job = make(tmp_path, SUMMARIZE)
    check = check_job(spec, job)
    rendered = render_job(spec, job, tmp_path / "out")
    assert (check.requests, check.bytes, check.shards, check.input_sha256) == \
        (rendered.requests, rendered.bytes, 1, rendered.input_sha256)


def test_missing_column_names_job_message_template_line_and_row(tmp_path):
    spec, job = make(tmp_path, SUMMARIZE.replace("row.text", "row.body"))
    with pytest.raises(RenderError) as info:
        render_job(spec, job, tmp_path / "out")
    assert info.value.message == ("job 'summarize', messages[1].content (template line 2): row 2 of "
                                  "data/articles.csv has no column 'body' (columns: id, title, text)")
    assert not list((tmp_path / "out").iterdir())  # the partial shard was removed


def test_missing_column_in_a_later_row_of_jsonl(tmp_path):
    rows = "".join(json.dumps({"q": f"q{i}"}) + "\n" for i in range(40)) + '{"question": "x"}\n'
    spec, job = make(tmp_path, "data: in.jsonl\nmessages: [{role: user, content: '{{ row.q }}'}]\n",
                     files={"in.jsonl": rows})
    with pytest.raises(RenderError, match=r"^job 'summarize', messages\[0\].content \(template line 1\): "
                                          r"line 41 of in.jsonl has no column 'q' \(columns: question\)$"):
        list(iter_requests(spec, job))


def test_missing_var_undefined_name_and_runtime_errors(tmp_path):
    cases = {
        "{{ vars.tnoe }}": "job 'summarize', messages[0].content (template line 1): no var 'tnoe' (vars: tone)",
        "{{ rwo.id }}": "job 'summarize', messages[0].content (template line 1): row 2 of data/articles.csv: "
                        "'rwo' is undefined; templates can use row, index, job, vars",
        "x\n{{ row.id | int / 0 }}": "job 'summarize', messages[0].content (template line 2): row 2 of "
                                     "data/articles.csv: ZeroDivisionError: division by zero",
        # for a dict, .name is the key only: never an attribute of the dict object
        "{{ row.__class__ }}": "job 'summarize', messages[0].content (template line 1): row 2 of data/articles.csv "
                               "has no column '__class__' (columns: id, title, text)",
        "{{ row.id.__class__ }}": "job 'summarize', messages[0].content (template line 1): row 2 of "
                                  "data/articles.csv: SecurityError: access to attribute '__class__' of 'str' object "
                                  "is unsafe.",
    }
    for template, message in cases.items():
        spec, job = make(tmp_path, "data: data/articles.csv\nmessages: [{role: user, content: "
                         + json.dumps(template) + "}]\n")
        with pytest.raises(RenderError) as info:
            check_job(spec, job)
        assert info.value.message == message


def test_duplicate_custom_id_reports_both_rows(tmp_path):
    data = "id,title,text\n1,a,x\n2,b,y\n1,c,z\n1,d,w\n"
    spec, job = make(tmp_path, SUMMARIZE, files={"data/articles.csv": data})
    with pytest.raises(RenderError) as info:
        render_job(spec, job, tmp_path / "out")
    assert info.value.message == ("job 'summarize': custom_id 'article-1' is not unique: row 2 of data/articles.csv "
                                  "and row 4 of data/articles.csv both render it (change the id: template)")


def test_default_custom_id_uses_job_and_index(tmp_path):
    spec, job = make(tmp_path, "rows: [{a: 1}, {a: 2}]\nmessages: [{role: user, content: '{{ row.a }}'}]\n")
    assert [r.custom_id for r in iter_requests(spec, job)] == ["summarize-0", "summarize-1"]
    assert [r.location for r in iter_requests(spec, job)] == [f"{tmp_path / 'specrun.yaml'}:8"] * 2


def test_empty_content_is_a_warning(tmp_path):
    data = "id,title,text\n1,a,x\n2,,\n3,,\n"
    spec, job = make(tmp_path, "data: data/articles.csv\nmessages: [{role: user, content: '{{ row.text }}'}]\n",
                     files={"data/articles.csv": data})
    rendered = render_job(spec, job, tmp_path / "out")
    assert rendered.requests == 3
    assert rendered.warnings == ("job 'summarize': messages[0].content renders empty for 2 rows "
                                 "(first: row 3 of data/articles.csv)",)


def test_columns_named_like_dict_methods(tmp_path):
    spec, job = make(tmp_path, "rows: [{items: 3, keys: k}]\n"
                     "messages: [{role: user, content: '{{ row.items }} {{ row.keys }} {{ index }} {{ job }}'}]\n")
    (request,) = iter_requests(spec, job)
    assert json.loads(request.line)["body"]["messages"][0]["content"] == "3 k 0 summarize"


def test_too_long_requests_error_or_skip(tmp_path):
    big = "id,title,text\n1,a," + "x" * 3000 + "\n2,b,short\n"
    job = "data: data/articles.csv\nlimits: {max_bytes: 2048}\nmessages: [{role: user, content: '{{ row.text }}'}]\n"
    spec, spec_job = make(tmp_path, job, files={"data/articles.csv": big})
    with pytest.raises(RenderError, match=r"^job 'summarize': the request for row 2 of data/articles.csv is 3,\d{3} "
                                          r"bytes, over limits.max_bytes \(2,048\); shorten it or set on_too_long: skip$"):
        check_job(spec, spec_job)
    spec, spec_job = make(tmp_path, job + "on_too_long: skip\n", files={"data/articles.csv": big})
    rendered = render_job(spec, spec_job, tmp_path / "out")
    assert rendered.requests == 1
    assert rendered.warnings == ("job 'summarize': skipped 1 request(s) over limits.max_bytes "
                                 "(first: row 2 of data/articles.csv)",)


def test_only_custom_ids_keeps_those_requests(tmp_path):
    spec, job = make(tmp_path, SUMMARIZE)
    full = {r.custom_id: r.line for r in iter_requests(spec, job)}
    rendered = render_job(spec, job, tmp_path / "out", only_custom_ids=["article-7", "article-3"])
    (shard,) = rendered.shards
    assert shard.path.read_bytes() == full["article-3"] + full["article-7"]
    assert rendered.input_sha256 == hashlib.sha256(full["article-3"] + full["article-7"]).hexdigest()


def test_lone_surrogate_in_json_data(tmp_path):
    spec, job = make(tmp_path, "data: in.jsonl\nmessages: [{role: user, content: '{{ row.q }}'}]\n",
                     files={"in.jsonl": '{"q": "\\ud800"}\n'})
    with pytest.raises(RenderError, match="line 1 of in.jsonl contains text that is not valid Unicode"):
        check_job(spec, job)


def test_data_errors_name_the_job(tmp_path):
    spec, job = make(tmp_path, SUMMARIZE.replace("data/articles.csv", "data/missing.csv"))
    with pytest.raises(DataError) as info:
        check_job(spec, job)
    assert info.value.message == (f"job 'summarize': data file data/missing.csv not found "
                                  f"(looked for {tmp_path / 'data' / 'missing.csv'})")


def test_vars_overrides_change_output(tmp_path):
    spec, job = make(tmp_path, SUMMARIZE, overrides={"tone": "formal"})
    assert b"Summarize in a formal tone." in next(iter_requests(spec, job)).line


def test_fingerprint_changes_with_data_not_with_metadata(tmp_path):
    base = job_fingerprint(*make(tmp_path, SUMMARIZE))
    assert job_fingerprint(*make(tmp_path, SUMMARIZE + "output: elsewhere/x.jsonl\ndescription: hi\n"
                                 "budget: {max_cost_usd: 3}\n")) == base
    assert job_fingerprint(*make(tmp_path, SUMMARIZE, vars="{tone: formal}")) != base
    assert job_fingerprint(*make(tmp_path, SUMMARIZE.replace("{{ row.title }}", "{{ row.title }}!"))) != base
    assert job_fingerprint(*make(tmp_path, SUMMARIZE.replace("128", "129"))) != base
    assert job_fingerprint(*make(tmp_path, SUMMARIZE + "limits: {max_requests: 5}\n")) != base
    changed = ARTICLES.replace("Text number 40", "Text number forty")
    assert job_fingerprint(*make(tmp_path, SUMMARIZE, files={"data/articles.csv": changed})) != base
    assert job_fingerprint(*make(tmp_path, SUMMARIZE, files={"data/articles.csv": ARTICLES})) == base
