"""The spec as typed values: what ``specrun.spec.load_spec`` returns (a Spec of Jobs) and the
settings it holds (provider, backend, limits). Plain frozen dataclasses: no loading here."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from specrun._endpoints import CHAT_COMPLETIONS
from specrun.data import DataSpec

__all__ = ["DEFAULT_API_KEY_ENV", "DEFAULT_COMPLETION_WINDOW", "OPENAI_BASE_URL", "OPENAI_API_KEY_ENV",
           "ANTHROPIC_BASE_URL", "ANTHROPIC_API_KEY_ENV",
           "DEFAULT_BACKEND_URL_ENV", "ProviderConfig", "BackendConfig", "Limits", "Message", "Job", "Spec",
           "backend_config", "provider_config", "find_cycle"]

DEFAULT_API_KEY_ENV = "MITHRIL_API_KEY"
DEFAULT_COMPLETION_WINDOW = "24h"
OPENAI_BASE_URL = "https://api.openai.com/v1"
ANTHROPIC_BASE_URL = "https://api.anthropic.com"
ANTHROPIC_API_KEY_ENV = "ANTHROPIC_API_KEY"
OPENAI_API_KEY_ENV = "OPENAI_API_KEY"


@dataclass(frozen=True)
class ProviderConfig:
    """Where the jobs run. ``kind`` is "http" (base_url) or "local" (embedded).

    ``type`` is the API's shape: "openai-compatible" (the seed API, DESIGN §1), "openai"
    (OpenAI's own Batch API: batch metadata, models from ``/models``, no prices) or
    "anthropic" (Message Batches: requests inline, no files; ``base_url`` is the API root).
    A local provider (``kind`` "local") is spoken to in its ``type``'s shape too.
    """

    kind: str = "http"
    base_url: str | None = None
    api_key_env: str = DEFAULT_API_KEY_ENV
    local: Mapping[str, Any] = field(default_factory=dict)  # engine options for provider: local
    type: str = "openai-compatible"
    completion_window: str = DEFAULT_COMPLETION_WINDOW


DEFAULT_BACKEND_URL_ENV = "SPECRUN_PG_URL"


@dataclass(frozen=True)
class BackendConfig:
    """Where the state, its lock and the row ledger live (DESIGN §9): "local" or "postgres"."""

    kind: str = "local"
    url_env: str = DEFAULT_BACKEND_URL_ENV   # the environment variable holding the database URL
    schema: str = "specrun"
    name: str | None = None                 # the state's name (default: the spec's path in its git repository)


@dataclass(frozen=True)
class Limits:
    max_requests: int = 50_000
    max_bytes: int = 200 * 1024 * 1024


@dataclass(frozen=True)
class Message:
    role: str
    content: str                      # Jinja2 template source
    line: int | None = None           # spec line of `content`


@dataclass(frozen=True)
class Job:
    name: str
    model: str
    messages: tuple[Message, ...]
    params: Mapping[str, Any]
    data: DataSpec
    id_template: str                  # custom_id template, default "{{ job }}-{{ index }}"
    output: Path                      # absolute path of the results JSONL
    output_display: str               # as written (results/<job>.jsonl)
    limits: Limits = Limits()
    budget_max_cost_usd: float | None = None
    on_too_long: str = "error"        # error | skip
    dedupe: bool = True               # identical requests share one answer (DESIGN §7); false: keyed by custom_id too
    output_schema: Mapping[str, Any] | None = None  # structured output (DESIGN §8): every answer must follow it
    exports: tuple[Path, ...] = ()    # more files the results are written to (.csv, .parquet)
    exports_display: tuple[str, ...] = ()
    line: int | None = None           # spec line of the job's key
    resolved: Mapping[str, Any] = field(default_factory=dict)  # merged job section (for fingerprints)
    description: str | None = None    # free text; metadata, never part of the fingerprint
    id_line: int | None = None        # spec line of the custom_id template
    warnings: tuple[str, ...] = ()    # this job's share of Spec.warnings
    endpoint: str = CHAT_COMPLETIONS  # the request URL (specrun._endpoints): chat, embeddings or responses
    input: str | None = None          # Jinja2 template of body.input (embeddings, responses; messages is then ())
    input_line: int | None = None     # spec line of `input`


@dataclass(frozen=True)
class Spec:
    path: Path                        # absolute path of the spec file
    base_dir: Path                    # directory paths are resolved against
    version: int
    provider: ProviderConfig
    vars: Mapping[str, Any]
    jobs: Mapping[str, Job]           # in spec order
    budget_max_cost_usd: float | None = None
    display_path: str = "specrun.yaml"  # the spec path as the user gave it (for messages)
    warnings: tuple[str, ...] = ()    # spec-level warnings (file:line: ...), e.g. a job without max_tokens
    backend: BackendConfig = BackendConfig()
    prices: Mapping[str, tuple[float, float]] = field(default_factory=dict)  # model → USD per 1M (input, output)


# --------------------------------------------------------------------------- loading


def backend_config(raw: Any) -> BackendConfig:
    """The spec's ``backend:`` (already schema-checked) as a BackendConfig."""
    if not raw:
        return BackendConfig()
    return BackendConfig(kind=raw["type"], url_env=raw.get("url_env", DEFAULT_BACKEND_URL_ENV),
                         schema=raw.get("schema", "specrun"), name=raw.get("name"))


def provider_config(raw: Any) -> ProviderConfig:
    """The spec's ``provider:`` (already schema-checked) as a ProviderConfig."""
    if raw is None:
        return ProviderConfig()
    if raw == "local":
        return ProviderConfig(kind="local")
    kind = "local" if "local" in raw else "http"
    local = dict(raw.get("local") or {})
    window = raw.get("completion_window", DEFAULT_COMPLETION_WINDOW)
    api_type = raw.get("type", "openai-compatible")
    base_url, key_env = {
        "openai": (OPENAI_BASE_URL, OPENAI_API_KEY_ENV),
        "anthropic": (ANTHROPIC_BASE_URL, ANTHROPIC_API_KEY_ENV),
    }.get(api_type, (None, DEFAULT_API_KEY_ENV))
    if kind == "local":
        base_url = None
    return ProviderConfig(kind=kind, type=api_type, base_url=raw.get("base_url", base_url),
                          api_key_env=raw.get("api_key_env", key_env), completion_window=window, local=local)


def find_cycle(reads: Mapping[str, str | None]) -> list[str]:
    """A circle in "job reads job" (``[a, b, a]``), or [] when there is none."""
    for start in reads:
        seen = [start]
        step = reads.get(start)
        while step is not None:
            if step in seen:
                return [*seen[seen.index(step):], step]
            seen.append(step)
            step = reads.get(step)
    return []
