"""The row ledger (DESIGN §7): request keys as render builds them, stored outcomes, the send filter."""

from __future__ import annotations

import hashlib
import json
import random
import re
import sqlite3
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from specrun.errors import StateError
from specrun.ledger import Ledger, Outcome, SendFilter, canonical_request, is_key, request_key
from specrun.render import iter_requests
from specrun.spec import load_spec

# Row text that JSON escapes (or must not escape) in every way render cares about.
TEXTS = ["", " ", "plain", 'say "hi" and \'bye\'', "back\\slash \\n \\u00e9", "l1\nl2\r\nl3\n", "tab\there",
         "emoji 😀👍🏽 👨‍👩‍👧", "中文 ελληνικά русский", "ctl \x01\x1f\x7f \x85 \u2028 \u2029 \ufeff", "{ not jinja }",
         "\U0010fffd", "</script>&amp;"]
STATIC = ["You are terse.", 'Quote "this" \\ that', "Zeilen\nund ümlaute 🎉", "", "  "]
PARAM_VALUES = [0, 1, -1, 0.1, 1e-7, 2.5, 1e300, -0.0, True, False, None, "é", [], [3, 1, 2],
                {"z": 1, "a": {"y": [1, {"c": True, "b": None}], "b": "é"}, "M": [0.5]}, {}]
PARAM_NAMES = ["frequency_penalty", "logit_bias", "temperature", "top_p", "stop", "metadata", "a_first",
               "messages_after", "mode", "modelz", "zz_last", "Upper", "ñame", "seed", "response_format"]


def job(content: str = "Summarize: {{ row.q }}", rows: list[dict] | None = None, **section: Any) -> dict[str, Any]:
    return {"model": "m1", "messages": [{"role": "user", "content": content}],
            "params": {"max_tokens": 16}, "rows": rows if rows is not None else [{"q": "a"}, {"q": "b"}], **section}


def requests_of(tmp_path: Path, jobs: dict[str, Any]) -> dict[str, list]:
    """Write a spec (local provider, inline rows) from plain values, load it, render every job."""
    document = {"version": 1, "provider": "local", "jobs": jobs}
    (tmp_path / "specrun.yaml").write_text(
        yaml.safe_dump(document, allow_unicode=True, sort_keys=False, width=10**6), encoding="utf-8")
    spec = load_spec(tmp_path / "specrun.yaml")
    return {name: list(iter_requests(spec, spec.jobs[name])) for name in jobs}


def random_job(rng: random.Random) -> dict[str, Any]:
    contents = [*STATIC, "{{ row.q }}", "Q: {{ row.q }} / {{ row.r }}", "{{ row.r }}{{ index }}"]
    messages = [{"role": rng.choice(["system", "user", "assistant"]), "content": rng.choice(contents)}
                for _ in range(rng.randint(1, 3))]
    params = {name: rng.choice(PARAM_VALUES) for name in rng.sample(PARAM_NAMES, rng.randint(0, 6))}
    if rng.random() < 0.5:  # the schema checks these two: valid values only
        params["max_tokens"] = rng.randint(1, 4096)
    if rng.random() < 0.3:
        params["n"] = rng.randint(1, 3)
    rows = [{"q": rng.choice(TEXTS), "r": rng.choice(TEXTS)} for _ in range(rng.randint(1, 4))]
    section = {"model": rng.choice(["m1", "gpt-4o-mini", "模型-é"]), "messages": messages, "params": params,
               "rows": rows}
    if rng.random() < 0.3:
        section.update(dedupe=False, id="é-{{ index }}-✓")
    return section


# --------------------------------------------------------------------------- keys


def test_canonical_request_sorts_keys_at_every_depth_without_whitespace_or_escapes():
    body = {"model": "m", "b": {"z": 1, "a": "é"}, "a": [2, 1]}
    assert canonical_request("/u", body) == '{"body":{"a":[2,1],"b":{"a":"é","z":1},"model":"m"},"url":"/u"}'.encode()
    assert canonical_request("/u", {}, "id-1") == b'{"body":{},"custom_id":"id-1","url":"/u"}'
    assert request_key("/u", body) == hashlib.sha256(canonical_request("/u", body)).hexdigest()
    assert is_key(request_key("/u", body))
    assert not is_key(request_key("/u", body).upper()) and not is_key("a-0") and not is_key(None)


def test_render_builds_the_key_of_the_request_line_it_writes(tmp_path):
    rng = random.Random(20240611)
    jobs = {f"case{number}": random_job(rng) for number in range(60)}
    checked = with_id = 0
    for name, requests in requests_of(tmp_path, jobs).items():
        for request in requests:
            obj = json.loads(request.line)
            assert list(obj["body"]) == ["model", "messages", *jobs[name]["params"]]  # spec order in the line
            custom_id = None if jobs[name].get("dedupe", True) else request.custom_id
            assert request.key == request_key(obj["url"], obj["body"], custom_id), (name, request.line)
            checked += 1
            with_id += custom_id is not None
    assert checked > 100 and with_id > 10  # the seed really exercised both kinds of key


@pytest.mark.parametrize("text", TEXTS)
def test_row_text_reaches_the_body_unchanged_and_keys_match(tmp_path, text):
    (request,) = requests_of(tmp_path, {"j": job("{{ row.q }}", rows=[{"q": text}])})["j"]
    obj = json.loads(request.line)
    assert obj["body"]["messages"] == [{"role": "user", "content": text}]
    assert request.key == request_key(obj["url"], obj["body"])


def test_identical_requests_share_a_key_whatever_their_row_job_or_custom_id(tmp_path):
    rows = [{"q": "same"}, {"q": "other"}, {"q": "same"}]
    found = requests_of(tmp_path, {"first": job(rows=rows), "second": job(rows=rows, id="x-{{ index }}")})
    first, second = found["first"], found["second"]
    assert first[0].key == first[2].key != first[1].key
    assert [r.key for r in first] == [r.key for r in second]
    assert [r.custom_id for r in first] != [r.custom_id for r in second]


def test_dedupe_false_gives_each_row_its_own_key(tmp_path):
    rows = [{"q": "same"}, {"q": "same"}]
    found = requests_of(tmp_path, {"shared": job(rows=rows), "sampled": job(rows=rows, dedupe=False)})
    shared, sampled = found["shared"], found["sampled"]
    assert shared[0].key == shared[1].key
    assert sampled[0].key != sampled[1].key
    assert {r.key for r in sampled}.isdisjoint(r.key for r in shared)
    obj = json.loads(sampled[1].line)
    assert sampled[1].key == request_key(obj["url"], obj["body"], "sampled-1")


def reversed_keys(value: Any) -> Any:
    """The same value with every dict's keys in reverse order, at every depth."""
    if isinstance(value, dict):
        return {k: reversed_keys(value[k]) for k in reversed(value)}
    return [reversed_keys(v) for v in value] if isinstance(value, list) else value


def test_params_key_order_in_the_spec_does_not_change_the_key(tmp_path):
    schema = {"type": "object", "properties": {"b": {"type": "string"}, "a": {"type": "integer"}}}
    one = {"temperature": 0.5, "max_tokens": 9, "logit_bias": {"50256": -100, "11": 5}, "stop": ["b", "a"],
           "response_format": {"type": "json_schema", "json_schema": {"name": "x", "schema": schema}}}
    two = reversed_keys(one)
    found = requests_of(tmp_path, {"one": job(params=one), "two": job(params=two)})
    assert [r.line for r in found["one"]] != [r.line for r in found["two"]]  # the order really differs
    assert [r.key for r in found["one"]] == [r.key for r in found["two"]]


def test_what_the_request_asks_changes_the_key(tmp_path):
    system = [{"role": "system", "content": "Summarize: {{ row.q }}"}]
    found = requests_of(tmp_path, {"base": job(), "template": job("Summarise: {{ row.q }}"), "model": job(model="m2"),
                                   "param": job(params={"max_tokens": 17}), "role": job(messages=system)})
    keys = {name: [r.key for r in requests] for name, requests in found.items()}
    for name in ("template", "model", "param", "role"):
        assert set(keys[name]).isdisjoint(keys["base"]), name


# --------------------------------------------------------------------------- the ledger


def key(number: int) -> str:
    return hashlib.sha256(str(number).encode()).hexdigest()


@pytest.fixture
def ledger(tmp_path):
    with Ledger(tmp_path / ".specrun" / "ledger.sqlite") as book:
        yield book


def test_open_creates_a_wal_file_and_says_so_only_the_first_time(tmp_path):
    path = tmp_path / ".specrun" / "ledger.sqlite"
    with Ledger(path) as book:
        assert book.created and path.exists()
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    with Ledger(path) as book:
        assert not book.created


def test_outcomes_round_trip(ledger):
    answer = Outcome("ok", content="Bonjour 😀\n", usage={"prompt_tokens": 5, "details": {"cached": [1]}},
                     model="m1", batch_id="batch_1", file_id="file-out", at=1700000000.5, prompt_chars=12)
    failure = Outcome("error", error={"code": "invalid", "message": "ça \"casse\""}, model="m1", at=1700000001.0)
    before = time.time()
    assert ledger.record([(key(1), answer), (key(2), failure), (key(3), Outcome("ok", content=""))]) == 3
    found = ledger.outcomes([key(1), key(2), key(3), key(4)])
    assert (found[key(1)], found[key(2)], found[key(2)].content, found[key(3)].content) == (answer, failure, None, "")
    assert before <= found[key(3)].at <= time.time()  # no time given: recorded now
    assert ledger.statuses([key(1), key(2), key(4)]) == {key(1): "ok", key(2): "error"}
    assert ledger.outcomes([]) == {} == ledger.statuses([])


def test_an_ok_answer_is_never_replaced_by_an_error(ledger):
    ledger.record([(key(1), Outcome("ok", content="kept", at=1.0))])
    revision = ledger.revision
    assert ledger.record([(key(1), Outcome("error", error={"code": "late"}, at=2.0))]) == 0
    assert ledger.outcomes([key(1)])[key(1)] == Outcome("ok", content="kept", at=1.0)
    assert ledger.revision == revision


def test_an_error_is_replaced_by_a_newer_error_and_then_by_an_answer(ledger):
    ledger.record([(key(1), Outcome("error", error={"code": "first"}, at=1.0, prompt_chars=40))])
    assert ledger.record([(key(1), Outcome("error", error={"code": "second"}, at=2.0))]) == 1
    assert ledger.outcomes([key(1)])[key(1)].error == {"code": "second"}
    assert ledger.record([(key(1), Outcome("ok", content="at last", at=3.0))]) == 1
    stored = ledger.outcomes([key(1)])[key(1)]
    assert (stored.status, stored.content, stored.error, stored.at) == ("ok", "at last", None, 3.0)
    assert stored.prompt_chars == 40  # a later outcome without the count keeps the one known


def test_reads_of_many_keys_are_chunked(ledger):
    keys = [key(n) for n in range(1500)]
    assert ledger.record((k, Outcome("ok" if n % 3 else "error", content=str(n), at=5.0))
                         for n, k in enumerate(keys)) == 1500
    wanted = [*keys, key(-1), key(-2)]
    assert ledger.statuses(wanted) == {k: ("ok" if n % 3 else "error") for n, k in enumerate(keys)}
    assert {k: o.content for k, o in ledger.outcomes(wanted).items()} == {k: str(n) for n, k in enumerate(keys)}
    ledger.note_shard("big.jsonl", keys)
    assert ledger.shard_files(wanted) == {k: {"big.jsonl"} for k in keys}
    ledger.mark_ingested(f"file-{n}" for n in range(1200))
    assert ledger.ingested(f"file-{n}" for n in range(0, 2400, 2)) == {f"file-{n}" for n in range(0, 1200, 2)}


def test_revision_grows_only_when_outcomes_change(ledger):
    assert ledger.revision == 0
    ledger.record([(key(1), Outcome("ok", at=1.0)), (key(2), Outcome("error", at=1.0))])
    assert ledger.revision == 1
    ledger.record([])
    ledger.record([(key(1), Outcome("error", at=2.0))])
    ledger.note_shard("s.jsonl", [key(3)])
    ledger.mark_ingested(["file-1"])
    ledger.set_meta("last_plan", "{}")
    assert ledger.prune(older_than_days=1e6) == 0
    assert ledger.revision == 1
    ledger.record([(key(2), Outcome("ok", at=2.0))])
    assert ledger.revision == 2


def test_prune_forgets_only_old_outcomes(ledger):
    old, recent = time.time() - 10 * 86400, time.time() - 86400
    ledger.record([(key(1), Outcome("ok", at=old)), (key(2), Outcome("error", at=old)), (key(3), Outcome("ok"))])
    ledger.record([(key(4), Outcome("ok", at=recent))])
    ledger.mark_ingested(["file-recent"])
    revision = ledger.revision
    assert ledger.prune(older_than_days=5) == 2
    assert set(ledger.statuses([key(n) for n in range(1, 5)])) == {key(3), key(4)}
    assert ledger.revision == revision + 1
    assert ledger.ingested(["file-recent"]) == set()  # output files are read again: their answers may be gone
    assert ledger.prune(older_than_days=5) == 0 and ledger.revision == revision + 1


def test_stats_count_entries_and_bytes(ledger):
    empty = ledger.stats()
    assert (empty["entries"], empty["ok"], empty["error"], empty["last_plan"]) == (0, 0, 0, None)
    ledger.record([(key(n), Outcome("ok" if n < 3 else "error", content="x" * 1000, at=100.0 + n)) for n in range(5)])
    ledger.set_meta("last_plan", json.dumps({"reused": 3, "requests": 4}))
    stats = ledger.stats()
    assert (stats["entries"], stats["ok"], stats["error"]) == (5, 3, 2)
    assert (stats["oldest"], stats["newest"], stats["last_plan"]) == (100.0, 104.0, {"reused": 3, "requests": 4})
    assert stats["bytes"] > 5000 and stats["path"] == str(ledger.path)


def test_shards_ingested_files_and_meta_are_remembered(ledger):
    ledger.note_shard("a.jsonl", [key(1), key(2)])
    ledger.note_shard("b.jsonl", [key(2)])
    ledger.note_shard("b.jsonl", [key(2)])  # noting twice is harmless
    assert ledger.shard_files([key(1), key(2), key(3)]) == {key(1): {"a.jsonl"}, key(2): {"a.jsonl", "b.jsonl"}}
    assert ledger.ingested(["f1", "f2"]) == set()
    ledger.mark_ingested(iter(["f1"]))
    ledger.mark_ingested(["f1"])
    assert ledger.ingested(["f1", "f2"]) == {"f1"}
    assert ledger.meta("rebuilt") is None
    ledger.set_meta("rebuilt", "1")
    ledger.set_meta("rebuilt", "2")
    assert ledger.meta("rebuilt") == "2"


def test_usage_by_model_sums_only_ok_answers_with_integer_usage_and_prompt_text(ledger):
    usage = {"prompt_tokens": 10, "completion_tokens": 4}
    ledger.record([
        (key(1), Outcome("ok", usage=usage, model="m1", prompt_chars=40)),
        (key(2), Outcome("ok", usage={"prompt_tokens": 20, "completion_tokens": 6, "x": 1}, model="m1",
                         prompt_chars=80)),
        (key(3), Outcome("ok", usage=usage, model="m2", prompt_chars=30)),
    ])
    left_out = [Outcome("error", usage=usage, model="m1", prompt_chars=40),
                Outcome("ok", usage={"prompt_tokens": "10", "completion_tokens": 4}, model="m1", prompt_chars=40),
                Outcome("ok", usage={"prompt_tokens": 10.5, "completion_tokens": 4}, model="m1", prompt_chars=40),
                Outcome("ok", usage={"prompt_tokens": 10}, model="m1", prompt_chars=40),
                Outcome("ok", usage=usage, model="m1", prompt_chars=0),
                Outcome("ok", model="m1", prompt_chars=40),
                Outcome("ok", usage=usage, model=None, prompt_chars=40)]
    ledger.record((key(10 + n), outcome) for n, outcome in enumerate(left_out))
    assert ledger.usage_by_model() == {"m1": (2, 120, 30, 10), "m2": (1, 30, 10, 4)}


def test_two_connections_see_each_others_writes(tmp_path):
    path = tmp_path / "ledger.sqlite"
    with Ledger(path) as one, Ledger(path) as two:
        one.record([(key(1), Outcome("ok", content="from one", at=1.0))])
        assert two.outcomes([key(1)])[key(1)].content == "from one" and two.revision == 1
        two.note_shard("s.jsonl", [key(2)])
        two.set_meta("rebuilt", "yes")
        assert one.shard_files([key(2)]) == {key(2): {"s.jsonl"}} and one.meta("rebuilt") == "yes"
        two.record([(key(2), Outcome("error", at=2.0))])
        assert one.statuses([key(1), key(2)]) == {key(1): "ok", key(2): "error"} and one.revision == 2


# --------------------------------------------------------------------------- unreadable ledgers


def test_a_damaged_ledger_is_refused_with_its_name_and_left_as_it_was(tmp_path):
    path = tmp_path / "ledger.sqlite"
    garbage = random.Random(7).randbytes(8192)
    path.write_bytes(garbage)
    with pytest.raises(StateError, match=re.escape(str(path))) as caught:
        Ledger(path)
    assert "rebuilt from the provider" in str(caught.value)
    assert path.read_bytes() == garbage


def test_a_ledger_from_a_newer_specrun_is_refused(tmp_path):
    path = tmp_path / "ledger.sqlite"
    db = sqlite3.connect(path)
    db.execute("PRAGMA user_version=99")
    db.close()
    with pytest.raises(StateError, match=re.escape(str(path)) + r".*newer specrun \(ledger schema 99.*upgrade"):
        Ledger(path)


def test_a_ledger_damaged_past_its_first_page_is_refused_too(tmp_path):
    path = tmp_path / "ledger.sqlite"
    keys = [key(n) for n in range(1500)]
    with Ledger(path) as book:
        book.record((k, Outcome("ok", content="x" * 200, at=1.0)) for k in keys)
    with open(path, "r+b") as handle:
        handle.seek(4096 * 20)
        handle.write(random.Random(1).randbytes(4096 * 20))
    with pytest.raises(StateError, match=re.escape(str(path))), Ledger(path) as book:
        book.statuses(keys)


# --------------------------------------------------------------------------- the send filter


def test_unknown_keys_are_sent_once_then_duplicates(ledger):
    send = SendFilter(ledger)
    assert send.classify([key(1), key(2), key(1)]) == ["send", "send", "duplicate"]
    assert send.classify([key(2), key(3)]) == ["duplicate", "send"]


def test_filters_sharing_claims_send_a_key_once_across_jobs(ledger):
    claimed: set[bytes] = set()
    assert SendFilter(ledger, claimed=claimed).classify([key(1)]) == ["send"]
    assert SendFilter(ledger, claimed=claimed).classify([key(1), key(2)]) == ["duplicate", "send"]
    assert SendFilter(ledger).classify([key(1)]) == ["send"]  # a filter of its own claims nothing shared


def test_answered_keys_are_reused_and_errors_resent_only_when_asked(ledger):
    ledger.record([(key(1), Outcome("ok", at=1.0)), (key(2), Outcome("error", at=1.0))])
    assert SendFilter(ledger).classify([key(1), key(2), key(3), key(1)]) == ["reuse", "reuse", "send", "reuse"]
    retry = SendFilter(ledger, resend_errors=True)
    assert retry.classify([key(1), key(2), key(2)]) == ["reuse", "send", "duplicate"]
    assert retry.claimed == {bytes.fromhex(key(2))}


def test_keys_held_by_a_live_shard_are_in_flight(ledger):
    ledger.note_shard("live.jsonl", [key(1), key(3), key(4)])
    ledger.note_shard("done.jsonl", [key(2)])
    ledger.record([(key(3), Outcome("ok", at=1.0)), (key(4), Outcome("error", at=1.0))])
    send = SendFilter(ledger, live_files=["live.jsonl", "unused.jsonl"])
    assert send.classify([key(1), key(2), key(3), key(4)]) == ["inflight", "send", "reuse", "reuse"]
    assert send.used_files == {"live.jsonl"}
    retry = SendFilter(ledger, live_files=["live.jsonl"], resend_errors=True)
    assert retry.classify([key(4)]) == ["inflight"]
    assert SendFilter(ledger, live_files=["other.jsonl"]).classify([key(1)]) == ["send"]


def test_forget_releases_claims(ledger):
    send = SendFilter(ledger)
    assert send.classify([key(1), key(2)]) == ["send", "send"]
    send.forget([key(1), key(9)])
    assert send.classify([key(1), key(2)]) == ["send", "duplicate"]


def test_without_a_ledger_everything_is_sent_once(ledger):
    ledger.record([(key(1), Outcome("ok", at=1.0))])
    ledger.note_shard("live.jsonl", [key(2)])
    send = SendFilter(None, live_files=["live.jsonl"])
    assert send.classify([key(1), key(2), key(1)]) == ["send", "send", "duplicate"]
    assert send.used_files == set()


def test_recording_the_same_answer_again_changes_nothing(ledger):
    ledger.record([(key(1), Outcome("ok", content="a", batch_id="b1"))])
    revision = ledger.revision
    assert ledger.record([(key(1), Outcome("ok", content="a", batch_id="b1"))]) == 0  # a re-read output file
    assert ledger.revision == revision
    assert ledger.record([(key(1), Outcome("ok", content="new", batch_id="b2"))]) == 1  # --replace: a new answer
    assert ledger.outcomes([key(1)])[key(1)].content == "new"


def test_text_a_provider_sent_that_utf8_cannot_hold_is_kept_exactly(ledger):
    odd = Outcome("ok", content="x\ud800y", error=None, usage={"note": "\udc00"})
    marked = Outcome("ok", content="\x01looks like the marker")
    ledger.record([(key(1), odd), (key(2), marked)])
    stored = ledger.outcomes([key(1), key(2)])
    assert (stored[key(1)].content, stored[key(1)].usage) == ("x\ud800y", {"note": "\udc00"})
    assert stored[key(2)].content == "\x01looks like the marker"


def test_an_embedding_reads_back_bit_for_bit_and_never_as_text(ledger):
    from array import array

    vector = array("d", [0.1, -2.5e-308, 1 / 3, 1e300, -0.0, 5e-324])
    ledger.record([(key(900), Outcome("ok", None, None, {"prompt_tokens": 3, "total_tokens": 3}, "m", "b", "f",
                                      embedding=vector))])
    stored = ledger.outcomes([key(900)])[key(900)]
    assert stored.content is None and stored.embedding is not None
    assert stored.embedding.tobytes() == vector.tobytes()  # -0.0 and subnormals too
    marker_text = "\x01" + json.dumps({"embedding": "AAAAAAAAAAA="})  # a provider's text that looks like one
    ledger.record([(key(901), Outcome("ok", marker_text))])
    text = ledger.outcomes([key(901)])[key(901)]
    assert (text.content, text.embedding) == (marker_text, None)
    assert [k for k, o in ledger.each_outcome() if o.embedding is not None] == [key(900)]
