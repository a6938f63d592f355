"""Options of the local provider, from the CLI (`specrun serve`) or the spec.

The spec form is ``provider: {local: {engine: echo, models: [...], ...}}``; every key
there is checked here, so a typo is one clear error instead of a silent default.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

from specrun.errors import SpecrunError

__all__ = ["LocalOptions", "build_options", "parse_duration", "ENGINES"]

ENGINES = ("echo", "openai")

# Spellings users reach for, mapped to the canonical option name.
_ALIASES = {
    "model": "models",
    "api_key": "api_keys",
    "latency": "latency_ms",
    "upstream_url": "upstream",
    "base_url": "upstream",
    "seed": "fault_seed",
}


@dataclass(frozen=True)
class LocalOptions:
    """Everything that shapes one local provider instance."""

    engine: str = "echo"
    models: tuple[str, ...] = ()          # extra active models (echo) / the model list (openai)
    api_keys: tuple[str, ...] = ()        # empty: no auth, one shared namespace
    completion_window: str = "24h"
    # Fault injection (testing pipelines against a flaky provider).
    fault_rate: float = 0.0               # share of calls answered 500/502/503/429
    late_fault_rate: float = 0.0          # share of POSTs that do the work, then answer 500
    latency_ms: float = 0.0               # added to every call
    fault_seed: int | None = None         # reproducible faults
    fault_retry_after: float = 0.05       # seconds, sent as Retry-After / retry-after-ms
    # echo engine
    delay_ms: float = 0.0                 # per request; makes in_progress observable
    # openai engine
    upstream: str | None = None
    upstream_key_env: str | None = None
    concurrency: int = 16
    timeout: float = 300.0                # per upstream request, seconds
    max_retries: int = 3                  # upstream 429/5xx/connection errors
    # worker
    parallel_batches: int = 4
    finalize_delay_ms: float = 0.0        # makes `finalizing` observable in tests
    # Anthropic Message Batches: Anthropic's own limits, lowered in tests
    message_batch_max_requests: int = 100_000
    message_batch_max_bytes: int = 256 * 1024 * 1024

    @property
    def completion_window_seconds(self) -> float:
        return parse_duration(self.completion_window, option="completion_window")


def parse_duration(value: Any, *, option: str = "duration") -> float:
    """``"24h"``, ``"60s"``, ``"30m"``, ``"2d"``, ``"500ms"`` or a number of seconds."""
    if isinstance(value, bool):
        raise SpecrunError(f"local provider: option {option!r} must be a duration like 24h or 60s, got {value!r}")
    if isinstance(value, (int, float)):
        seconds = float(value)
    else:
        match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*", str(value))
        if not match:
            raise SpecrunError(
                f"local provider: option {option!r} must be a duration like 24h or 60s, got {value!r}"
            )
        number = float(match.group(1))
        unit = match.group(2) or "s"
        seconds = number * {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400}[unit]
    if seconds <= 0:
        raise SpecrunError(f"local provider: option {option!r} must be positive, got {value!r}")
    return seconds


def _as_tuple_of_str(name: str, value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) and v for v in value):
        raise SpecrunError(f"local provider: option {name!r} must be a string or a list of strings, got {value!r}")
    return tuple(value)


def _as_number(name: str, value: Any, *, low: float | None = None, high: float | None = None,
               integer: bool = False) -> Any:
    try:
        if isinstance(value, bool):
            raise ValueError
        number = int(value) if integer else float(value)
        if integer and float(value) != number:
            raise ValueError
    except (TypeError, ValueError):
        kind = "an integer" if integer else "a number"
        raise SpecrunError(f"local provider: option {name!r} must be {kind}, got {value!r}") from None
    if (low is not None and number < low) or (high is not None and number > high):
        bounds = f"between {low:g} and {high:g}" if high is not None else f"at least {low:g}"
        raise SpecrunError(f"local provider: option {name!r} must be {bounds}, got {value!r}")
    return number


def build_options(engine: str = "echo", **raw: Any) -> LocalOptions:
    """Check and normalise options; raise a SpecrunError naming the bad one."""
    known = {f.name for f in fields(LocalOptions)}
    values: dict[str, Any] = {}
    for key, value in {"engine": engine, **raw}.items():
        name = _ALIASES.get(key.replace("-", "_"), key.replace("-", "_"))
        if name not in known:
            raise SpecrunError(
                f"local provider: unknown option {key!r} (known: {', '.join(sorted(known))})"
            )
        if value is None and name != "engine":
            continue
        if name == "models" and "models" in values:  # both `model` and `models` given
            value = values["models"] + _as_tuple_of_str(key, value)
        values[name] = value

    name = str(values.get("engine") or "echo")
    if name not in ENGINES:
        raise SpecrunError(f"local provider: unknown engine {name!r} (choose from {', '.join(ENGINES)})")
    values["engine"] = name
    for key in ("models", "api_keys"):
        if key in values:
            values[key] = _as_tuple_of_str(key, values[key])
    for key in ("fault_rate", "late_fault_rate"):
        if key in values:
            values[key] = _as_number(key, values[key], low=0, high=1)
    for key in ("latency_ms", "delay_ms", "finalize_delay_ms", "fault_retry_after"):
        if key in values:
            values[key] = _as_number(key, values[key], low=0)
    if "timeout" in values:
        values["timeout"] = _as_number("timeout", values["timeout"], low=0.001)
    for key, low in (("concurrency", 1), ("max_retries", 0), ("parallel_batches", 1),
                     ("message_batch_max_requests", 1), ("message_batch_max_bytes", 1)):
        if key in values:
            values[key] = _as_number(key, values[key], low=low, integer=True)
    if "fault_seed" in values:
        values["fault_seed"] = _as_number("fault_seed", values["fault_seed"], integer=True)
    if "completion_window" in values:
        values["completion_window"] = str(values["completion_window"]).strip()
    for key in ("upstream", "upstream_key_env"):
        if key in values and not isinstance(values[key], str):
            raise SpecrunError(f"local provider: option {key!r} must be a string, got {values[key]!r}")

    options = LocalOptions(**values)
    options.completion_window_seconds  # noqa: B018 - validates the duration
    if options.engine == "openai" and not options.upstream:
        raise SpecrunError(
            "local provider: engine 'openai' needs an upstream URL "
            "(--upstream http://host:port/v1, or `upstream:` under provider.local)"
        )
    return options


def options_from_mapping(mapping: Mapping[str, Any]) -> LocalOptions:
    """Options as written under ``provider: {local: {...}}`` in a spec."""
    raw = dict(mapping)
    engine = raw.pop("engine", "echo")
    return build_options(engine, **raw)
