"""The context check while rendering: the error names the row and its size; on_too_long: skip keeps it out.

These tests are about what rendering does with a count, not about counting (tests/test_tokens.py
and tests/test_heuristic.py are): the counter is pinned to ceil(chars/4) with a chat format
of 4 tokens per message + 3 per request, so the figures can be worked out by hand. With one
message "Say hello to {{ row.name }}." ("Say hello to " + name + "."), a row whose
name has n characters needs ceil((13 + n) / 4) + 7 prompt tokens.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from specrun.errors import RenderError
from specrun.render import iter_requests, render_job
from specrun.spec import load_spec

LONG = "x" * 200          # "Say hello to " + 200 x + "." = 214 chars -> 54 + 7 = 61 tokens
NAMES = ["Ann", LONG, "Cy", LONG + "y" * 4, "Dee"]
# prompt tokens per row: Ann 17 chars -> 12; LONG 61; Cy 16 -> 11; LONG+4 218 chars -> 62; Dee 17 -> 12
TOKENS = [12, 61, 11, 62, 12]


@pytest.fixture(autouse=True)
def counted_by_hand(monkeypatch):
    from specrun.tokens import ChatFormat, Counting, TokenCounter

    monkeypatch.setattr("specrun._job_renderer.counter_for",
                        lambda model: TokenCounter(Counting("heuristic"), lambda text: -(-len(text) // 4)))
    monkeypatch.setattr("specrun._job_renderer.chat_format_for", lambda model: ChatFormat("by hand", 4, 3))


def make(tmp_path: Path, *, params: str = "{max_tokens: 100}", extra: str = "", names=NAMES):
    data = tmp_path / "data"
    data.mkdir(exist_ok=True)
    (data / "people.csv").write_text("id,name\n" + "".join(f"{i},{n}\n" for i, n in enumerate(names)),
                                     encoding="utf-8")
    (tmp_path / "specrun.yaml").write_text(
        "version: 1\n"
        "defaults:\n"
        "  model: m1\n"
        f"  params: {params}\n"
        "jobs:\n"
        "  greet:\n"
        "    data: data/people.csv\n"
        "    id: \"g-{{ row.id }}\"\n"
        "    messages:\n"
        "      - {role: user, content: \"Say hello to {{ row.name }}.\"}\n"
        f"{extra}",
        encoding="utf-8",
    )
    spec = load_spec(tmp_path / "specrun.yaml")
    return spec, spec.jobs["greet"]


def custom_ids_in(rendered) -> list[str]:
    return [json.loads(line)["custom_id"] for shard in rendered.shards
            for line in shard.path.read_text(encoding="utf-8").splitlines()]


# ---------------------------------------------------------------- estimates


def test_render_reports_estimated_tokens_without_a_context(tmp_path):
    spec, job = make(tmp_path)
    rendered = render_job(spec, job, tmp_path / "build")
    assert [r.prompt_tokens for r in iter_requests(spec, job)] == TOKENS
    assert rendered.estimated_input_tokens == sum(TOKENS) == 158
    assert rendered.max_output_tokens == 5 * 100
    assert (rendered.requests, rendered.skipped) == (5, 0)


def test_without_max_tokens_the_output_bound_is_the_default_or_the_rest_of_the_context(tmp_path):
    spec, job = make(tmp_path, params="{temperature: 0}")
    assert render_job(spec, job, tmp_path / "a").max_output_tokens == 5 * 4096
    # with a context, each request may fill what its prompt leaves of it
    rendered = render_job(spec, job, tmp_path / "b", context_length=1000)
    assert rendered.max_output_tokens == sum(1000 - t for t in TOKENS) == 4842
    assert rendered.requests == 5


def test_max_completion_tokens_is_the_bound_when_set(tmp_path):
    spec, job = make(tmp_path, params="{max_completion_tokens: 7, max_tokens: 100}")
    assert render_job(spec, job, tmp_path / "build").max_output_tokens == 35


# ---------------------------------------------------------------- context check: error


def test_a_request_over_the_context_is_an_error_naming_the_row_and_its_size(tmp_path):
    spec, job = make(tmp_path)
    # row "g-1" needs 61 + 100 = 161 tokens; the others at most 12 + 100 = 112
    with pytest.raises(RenderError) as caught:
        render_job(spec, job, tmp_path / "build", context_length=160)
    assert caught.value.message == (
        "job 'greet': row 3 of data/people.csv (custom_id 'g-1') needs ~61 prompt tokens + 100 max output "
        "= 161, over the 160-token context of m1; shorten it, lower max_tokens, or set on_too_long: skip"
    )
    assert not list((tmp_path / "build").glob("*.tmp")), "an aborted render leaves no partial shard"
    with pytest.raises(RenderError, match=r"^job 'greet': row 3 of data/people.csv \(custom_id 'g-1'\)"):
        list(iter_requests(spec, job, context_length=160))


def test_exactly_filling_the_context_is_allowed(tmp_path):
    spec, job = make(tmp_path)
    rendered = render_job(spec, job, tmp_path / "build", context_length=162)  # 62 + 100 = 162: fits exactly
    assert (rendered.requests, rendered.skipped) == (5, 0)


def test_no_context_length_means_no_check(tmp_path):
    spec, job = make(tmp_path, params="{max_tokens: 1000000}")
    assert render_job(spec, job, tmp_path / "build").requests == 5


def test_large_numbers_are_grouped_in_the_message(tmp_path):
    spec, job = make(tmp_path, params="{max_tokens: 131050}")
    with pytest.raises(RenderError) as caught:
        render_job(spec, job, tmp_path / "build", context_length=131072)
    assert ("row 3 of data/people.csv (custom_id 'g-1') needs ~61 prompt tokens + 131,050 max output = 131,111, "
            "over the 131,072-token context of m1;") in caught.value.message


def test_without_max_tokens_only_a_prompt_over_the_whole_context_fails(tmp_path):
    spec, job = make(tmp_path, params="{temperature: 0}")
    assert render_job(spec, job, tmp_path / "a", context_length=62).requests == 5
    with pytest.raises(RenderError) as caught:
        render_job(spec, job, tmp_path / "b", context_length=61)
    assert caught.value.message.startswith(
        "job 'greet': row 5 of data/people.csv (custom_id 'g-3') needs ~62 prompt tokens + 0 max output = 62, "
        "over the 61-token context of m1;")


def test_inline_rows_are_named_by_their_line_in_the_spec(tmp_path, monkeypatch):
    (tmp_path / "specrun.yaml").write_text(
        "version: 1\n"
        "jobs:\n"
        "  greet:\n"
        "    model: m1\n"
        "    params: {max_tokens: 100}\n"
        "    messages:\n"
        "      - {role: user, content: \"Say hello to {{ row.name }}.\"}\n"
        "    rows:\n"
        "      - {name: Ann}\n"
        f"      - {{name: {LONG}}}\n",
        encoding="utf-8",
    )
    monkeypatch.chdir(tmp_path)
    spec = load_spec(Path("specrun.yaml"))  # as the CLI loads it: named as the user gave it
    with pytest.raises(RenderError) as caught:
        render_job(spec, spec.jobs["greet"], tmp_path / "build", context_length=160)
    assert caught.value.message.startswith(
        "job 'greet': rows[1] in specrun.yaml:10 (custom_id 'greet-1') needs ~61 prompt tokens")


# ---------------------------------------------------------------- context check: on_too_long: skip


def test_skip_keeps_too_long_rows_out_of_the_batch(tmp_path):
    spec, job = make(tmp_path, extra="    on_too_long: skip\n")
    rendered = render_job(spec, job, tmp_path / "build", context_length=160)
    assert (rendered.requests, rendered.skipped) == (3, 2)
    assert custom_ids_in(rendered) == ["g-0", "g-2", "g-4"]
    # the estimates cover only what is sent
    assert rendered.estimated_input_tokens == 12 + 11 + 12
    assert rendered.max_output_tokens == 3 * 100
    assert rendered.warnings == (
        "job 'greet': skipped 2 request(s) too long for the 160-token context of m1 "
        "(first: row 3 of data/people.csv)",
    )


def test_iter_requests_yields_skipped_rows_in_input_order_with_the_reason(tmp_path):
    spec, job = make(tmp_path, extra="    on_too_long: skip\n")
    requests = list(iter_requests(spec, job, context_length=160))
    assert [(r.index, r.custom_id) for r in requests] == [(i, f"g-{i}") for i in range(5)]
    assert [r.skip_reason for r in requests] == [
        None,
        "too long: ~61 prompt tokens + 100 max output = 161, over the 160-token context of m1",
        None,
        "too long: ~62 prompt tokens + 100 max output = 162, over the 160-token context of m1",
        None,
    ]
    assert requests[1].row == {"id": "1", "name": LONG}
    assert requests[1].location == "data/people.csv:3"
    assert [r.prompt_tokens for r in requests] == TOKENS


def test_skip_set_in_defaults_applies_to_the_job(tmp_path):
    spec, job = make(tmp_path, params="{max_tokens: 100}\n  on_too_long: skip")
    assert job.on_too_long == "skip"
    assert render_job(spec, job, tmp_path / "build", context_length=161).skipped == 1


def test_skipped_rows_do_not_change_the_hash_of_what_is_sent(tmp_path):
    """The batch holds exactly the rows that fit: same bytes as a spec without those rows."""
    spec, job = make(tmp_path, extra="    on_too_long: skip\n")
    skipping = render_job(spec, job, tmp_path / "a", context_length=160)
    assert [s.requests for s in skipping.shards] == [3]
    lines = b"".join(r.line for r in iter_requests(spec, job, context_length=160) if r.skip_reason is None)
    assert skipping.input_sha256 == hashlib.sha256(lines).hexdigest()
    assert skipping.shards[0].path.read_bytes() == lines


def test_retry_render_of_some_custom_ids_never_resends_a_skipped_row(tmp_path):
    spec, job = make(tmp_path, extra="    on_too_long: skip\n")
    rendered = render_job(spec, job, tmp_path / "build", context_length=160, only_custom_ids=["g-1", "g-2"])
    assert custom_ids_in(rendered) == ["g-2"]
    assert rendered.requests == 1


def test_all_rows_too_long_leaves_nothing_to_send(tmp_path):
    spec, job = make(tmp_path, extra="    on_too_long: skip\n", names=[LONG, LONG])
    rendered = render_job(spec, job, tmp_path / "build", context_length=100)
    assert (rendered.requests, rendered.skipped, rendered.shards) == (0, 2, ())
    assert rendered.estimated_input_tokens == rendered.max_output_tokens == 0
