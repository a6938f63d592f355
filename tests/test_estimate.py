"""Token and cost estimates: exact figures for each documented rule, and the price unit."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from specrun.estimate import (
    DEFAULT_MAX_OUTPUT_TOKENS,
    CostRange,
    Prices,
    cost_range,
    format_usd,
    max_output_tokens,
)

# ---------------------------------------------------------------- output bound


def test_output_bound_prefers_max_completion_tokens_over_max_tokens():
    assert max_output_tokens({"max_completion_tokens": 100, "max_tokens": 256}) == 100
    assert max_output_tokens({"max_tokens": 256}) == 256
    # an explicit limit wins over the context, whatever the prompt
    assert max_output_tokens({"max_tokens": 256}, context_length=8192, prompt=8000) == 256


def test_output_bound_without_a_limit_is_what_the_context_leaves():
    assert max_output_tokens({}, context_length=8192, prompt=100) == 8092
    assert max_output_tokens({"temperature": 0}, context_length=131072, prompt=12) == 131060
    # a prompt already over the context leaves nothing (never a negative bound)
    assert max_output_tokens({}, context_length=100, prompt=250) == 0


def test_output_bound_without_limit_or_context_is_the_default():
    assert DEFAULT_MAX_OUTPUT_TOKENS == 4096
    assert max_output_tokens({}) == 4096
    assert max_output_tokens({}, context_length=None, prompt=500) == 4096


@pytest.mark.parametrize("bad", [0, -5, True, "256", 256.0, None])
def test_output_bound_ignores_limits_that_are_not_positive_integers(bad):
    assert max_output_tokens({"max_tokens": bad}) == 4096
    assert max_output_tokens({"max_completion_tokens": bad, "max_tokens": 64}) == 64
    assert max_output_tokens({"max_tokens": bad}, context_length=1000, prompt=10) == 990


# ---------------------------------------------------------------- prices: US cents per million tokens


def test_prices_are_cents_per_million_tokens_hand_computed():
    # Llama 3.3 70B on the local echo engine: 35 ¢/M input, 40 ¢/M output.
    prices = Prices(input_cents_per_million=35, output_cents_per_million=40)
    # 2,000,000 input tokens  -> 2 × 35 ¢ =  70 ¢
    #   500,000 output tokens -> 0.5 × 40 ¢ = 20 ¢           total 90 ¢ = $0.90
    assert prices.usd(2_000_000, 500_000) == pytest.approx(0.90)
    assert prices.usd(1_000_000, 0) == pytest.approx(0.35)
    assert prices.usd(0, 1_000_000) == pytest.approx(0.40)
    assert prices.usd(0, 0) == 0


def test_cost_range_runs_from_input_only_to_input_plus_every_reply_at_its_max():
    # 3 requests of ~12 prompt tokens (36 in all), max_tokens 32 each (96 in all), at 5 ¢/M both ways:
    #   low  = 36 × 5 / 1e6 ¢ = 0.00018 ¢ = $0.0000018
    #   high = (36 + 96) × 5 / 1e6 ¢ = 0.00066 ¢ = $0.0000066
    cost = cost_range(36, 96, Prices(5, 5))
    assert cost.min_usd == pytest.approx(0.0000018)
    assert cost.max_usd == pytest.approx(0.0000066)
    # a bigger job, with different input and output prices:
    # 10M input at 35 ¢/M = $3.50; plus 4M output at 40 ¢/M = $1.60 -> $5.10
    big = cost_range(10_000_000, 4_000_000, Prices(35, 40))
    assert (big.min_usd, big.max_usd) == (pytest.approx(3.50), pytest.approx(5.10))
    assert str(big) == "$3.50–$5.10"
    assert big.to_json() == {"min": 3.5, "max": 5.1}


def test_cost_ranges_add_end_by_end():
    total = CostRange(0.10, 0.25) + CostRange(1.00, 2.50)
    assert (total.min_usd, total.max_usd) == (pytest.approx(1.10), pytest.approx(2.75))
    assert str(total) == "$1.10–$2.75"


def test_cost_range_json_rounds_to_a_millionth_of_a_dollar():
    assert CostRange(0.00000149, 0.0123456789).to_json() == {"min": 0.000001, "max": 0.012346}


def test_cost_range_prints_one_figure_when_both_ends_look_the_same():
    assert str(CostRange(1.001, 1.004)) == "$1.00"
    assert str(CostRange(0, 0)) == "$0.00"


def test_prices_of_a_model_config():
    assert Prices.of(SimpleNamespace(input_price_cents=5, output_price_cents=7.5)) == Prices(5.0, 7.5)
    assert Prices.of(SimpleNamespace(input_price_cents=None, output_price_cents=12)) == Prices(0.0, 12.0)
    # no prices published (or no model config at all): no estimate, rather than a made-up $0
    assert Prices.of(SimpleNamespace(input_price_cents=None, output_price_cents=None)) is None
    assert Prices.of(SimpleNamespace()) is None
    assert Prices.of(None) is None


# ---------------------------------------------------------------- format_usd


@pytest.mark.parametrize(
    ("amount", "text"),
    [
        (0, "$0.00"),
        (0.0042, "$0.0042"),
        (0.0099, "$0.0099"),
        (0.01, "$0.010"),
        (0.137, "$0.137"),
        (0.999, "$0.999"),
        (1, "$1.00"),
        (1.37, "$1.37"),
        (1204.5, "$1,204.50"),
        (1_000_000, "$1,000,000.00"),
    ],
)
def test_format_usd(amount, text):
    assert format_usd(amount) == text


@pytest.mark.parametrize(
    ("amount", "text"),
    [
        (0.0000066, "$0.0000066"),   # a small job at 5 ¢/M: must not print as $0.0000
        (0.000001, "$0.0000010"),
        (0.00001234, "$0.000012"),
        (0.00012, "$0.00012"),
    ],
)
def test_format_usd_keeps_two_significant_digits_below_a_hundredth_of_a_cent(amount, text):
    assert format_usd(amount) == text


@pytest.mark.parametrize(("amount", "text"), [(0.9996, "$1.00"), (0.00999, "$0.010"), (999.999, "$1,000.00")])
def test_format_usd_picks_its_precision_after_rounding(amount, text):
    # 0.9996 used to print as "$1.000" and 0.00999 as "$0.0100"
    assert format_usd(amount) == text


def test_tiny_budget_violation_reads_as_two_different_numbers():
    # Before the fix both sides printed "$0.0000": "may cost up to $0.0000, over ... of $0.0000".
    cost = cost_range(36, 96, Prices(5, 5))
    assert format_usd(cost.max_usd) == "$0.0000066"
    assert format_usd(0.000001) == "$0.0000010"
    assert str(cost) == "$0.0000018–$0.0000066"
