"""Token and cost estimates: fast, offline by default, documented.

**Prompt tokens** are counted by ``specrun.tokens``: exactly with tiktoken when the
``specrun[tokens]`` extra is installed (the model's own encoding, or a stated proxy),
else with a script- and character-class-aware heuristic calibrated against a real BPE
tokenizer (never far below it, so budgets err on the safe side), plus what the chat
template adds per message and per request.

**Output tokens** are bounded above by the request's ``max_completion_tokens`` or
``max_tokens`` (``max_output_tokens`` on ``/v1/responses``, see ``specrun._endpoints``);
without one, by the model's context length minus the prompt, and at most
``DEFAULT_MAX_OUTPUT_TOKENS`` when the context length is unknown. An embeddings request
has no output tokens at all: its bound is 0.
That bound is per answer: a request asking for several answers (``n``, or
``best_of`` on the completions API, the larger of the two) is billed for each, so
its output bound is ``answers_per_request`` times as large (the prompt is billed once).

**Prices** come from the provider's ``/model-config``: ``input_price_cents`` and
``output_price_cents`` are **US cents per million tokens**. This is the one place
that unit is interpreted. A cost estimate is a range: the low end is the input
alone (every reply empty), the high end adds every reply at its maximum length.
Budgets are checked against the high end, so a passing budget cannot be exceeded.

**History** (``Calibration``): once the row ledger holds answers of a model, what they
really took calibrates an *expected* figure beside the range: input tokens per
character of message text, and completion tokens per answer. It is shown with the
number of answers it comes from; budgets still use the high end.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from specrun._endpoints import CHAT_COMPLETIONS, endpoint

__all__ = [
    "DEFAULT_MAX_OUTPUT_TOKENS",
    "OUTPUT_LIMIT_PARAMS",
    "sets_output_limit",
    "max_output_tokens",
    "answers_per_request",
    "COST_MULTIPLIER_PARAMS",
    "Prices",
    "CostRange",
    "cost_range",
    "format_usd",
    "Calibration",
    "MIN_HISTORY",
]

#: Fewest past answers of a model before its history makes an expected figure.
MIN_HISTORY = 10

DEFAULT_MAX_OUTPUT_TOKENS = 4096
#: Body fields that bound one chat answer's length, the first present wins.
OUTPUT_LIMIT_PARAMS = endpoint(CHAT_COMPLETIONS).output_limits


def sets_output_limit(params: Mapping[str, Any], url: str = CHAT_COMPLETIONS) -> bool:
    """The request bounds its answers itself (else only the model's context does); an
    embeddings request answers no tokens, so it is always bounded."""
    kind = endpoint(url)
    return kind.vector or any(key in params for key in kind.output_limits)


def max_output_tokens(params: Mapping[str, Any], context_length: int | None = None, prompt: int = 0,
                      url: str = CHAT_COMPLETIONS) -> int:
    """Upper bound of one answer's tokens (times ``answers_per_request`` for what a request is billed).

    ``url``: the request's endpoint, which says which param bounds it (0 for embeddings)."""
    kind = endpoint(url)
    if kind.vector:
        return 0
    for key in kind.output_limits:
        value = params.get(key)
        if isinstance(value, int) and not isinstance(value, bool) and value > 0:
            return value
    if context_length:
        return max(context_length - prompt, 0)
    return DEFAULT_MAX_OUTPUT_TOKENS


#: Body fields that multiply the billed output: each asks for that many answers.
COST_MULTIPLIER_PARAMS = ("n", "best_of")


def answers_per_request(params: Mapping[str, Any]) -> int:
    """How many answers one request is billed for (``n``/``best_of``; 1 when unset)."""
    answers = 1
    for key in COST_MULTIPLIER_PARAMS:
        value = params.get(key)
        if isinstance(value, int) and not isinstance(value, bool) and value > answers:
            answers = value
    return answers


@dataclass(frozen=True)
class Prices:
    """US cents per million tokens, as ``/model-config`` gives them."""

    input_cents_per_million: float
    output_cents_per_million: float

    @classmethod
    def of(cls, model_config: Any) -> Prices | None:
        """Prices of a ModelConfig, or None when the provider does not publish them."""
        if model_config is None:
            return None
        inp, out = getattr(model_config, "input_price_cents", None), getattr(model_config, "output_price_cents", None)
        if inp is None and out is None:
            return None
        return cls(float(inp or 0), float(out or 0))

    @classmethod
    def from_usd(cls, input_usd_per_million: float, output_usd_per_million: float) -> Prices:
        """Prices written in a spec (``prices:``): US dollars per million tokens."""
        return cls(input_usd_per_million * 100, output_usd_per_million * 100)

    def usd(self, input_tokens: int, output_tokens: int) -> float:
        cents = (input_tokens * self.input_cents_per_million + output_tokens * self.output_cents_per_million) / 1e6
        return cents / 100


@dataclass(frozen=True)
class CostRange:
    min_usd: float
    max_usd: float

    def __add__(self, other: CostRange) -> CostRange:
        return CostRange(self.min_usd + other.min_usd, self.max_usd + other.max_usd)

    def to_json(self) -> dict[str, float]:
        return {"min": round(self.min_usd, 6), "max": round(self.max_usd, 6)}

    def __str__(self) -> str:
        if format_usd(self.min_usd) == format_usd(self.max_usd):
            return format_usd(self.max_usd)
        return f"{format_usd(self.min_usd)}–{format_usd(self.max_usd)}"


@dataclass(frozen=True)
class Calibration:
    """What a model's past answers really took (from the row ledger's usage)."""

    answers: int
    prompt_chars: int
    prompt_tokens: int
    completion_tokens: int

    @property
    def usable(self) -> bool:
        return self.answers >= MIN_HISTORY and self.prompt_chars > 0

    def expected(self, prompt_chars: int, requests: int, answers_per_request: int = 1) -> tuple[int, int]:
        """Expected (input, output) tokens of ``requests`` requests holding ``prompt_chars`` characters.

        Input: characters times the tokens per character seen (the chat template's share
        is in the ratio too); output: the completion tokens per answer seen.
        """
        input_tokens = round(prompt_chars * self.prompt_tokens / self.prompt_chars) if self.prompt_chars else 0
        output = round(requests * answers_per_request * self.completion_tokens / self.answers) if self.answers else 0
        return input_tokens, output


def cost_range(input_tokens: int, output_tokens: int, prices: Prices) -> CostRange:
    """From input only (low) to input plus every reply at its maximum (high)."""
    return CostRange(prices.usd(input_tokens, 0), prices.usd(input_tokens, output_tokens))


def format_usd(amount: float) -> str:
    """``$0.0042``, ``$0.0000035``, ``$0.137``, ``$1,204.50``: enough digits to be useful for small jobs.

    Below a cent, at least two significant digits, so a tiny non-zero cost (or
    budget) never prints as ``$0.0000``. The branch is chosen on the rounded
    figure, so 0.9999 prints as ``$1.00``, not ``$1.000``.
    """
    if amount == 0:
        return "$0.00"
    if round(amount, 3) >= 1:
        return f"${amount:,.2f}"
    if round(amount, 4) >= 0.01:
        return f"${amount:.3f}"
    decimals = max(4, 1 - math.floor(math.log10(abs(amount))))
    return f"${amount:.{decimals}f}"
