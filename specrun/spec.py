"""Load a spec file: YAML with line numbers, JSON Schema validation, typed Spec/Job.

CONTRACT (other modules depend on these names; add fields freely, do not rename):
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

__all__ = ["ProviderConfig", "DataSpec", "Limits", "Message", "Job", "Spec", "load_spec"]

DEFAULT_API_KEY_ENV = "MITHRIL_API_KEY"


@dataclass(frozen=True)
class ProviderConfig:
    """Where the jobs run. ``kind`` is "http" (base_url) or "local" (embedded)."""

    kind: str = "http"
    base_url: str | None = None
    api_key_env: str = DEFAULT_API_KEY_ENV
    local: Mapping[str, Any] = field(default_factory=dict)  # engine options for provider: local


@dataclass(frozen=True)
class DataSpec:
    """Where a job's rows come from: a file (path+format) or inline rows."""

    path: Path | None = None          # absolute, resolved against the spec's directory
    display_path: str | None = None   # as written in the spec (for messages: data/articles.csv)
    format: str | None = None         # csv | jsonl | json
    rows: tuple[Mapping[str, Any], ...] | None = None
    line: int | None = None           # spec line where `data`/`rows` is declared


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
    line: int | None = None           # spec line of the job's key
    resolved: Mapping[str, Any] = field(default_factory=dict)  # merged job section (for fingerprints)


@dataclass(frozen=True)
class Spec:
    path: Path                        # absolute path of the spec file
    base_dir: Path                    # directory paths are resolved against
    version: int
    provider: ProviderConfig
    vars: Mapping[str, Any]
    jobs: Mapping[str, Job]           # in spec order
    budget_max_cost_usd: float | None = None


def load_spec(path: Path, var_overrides: Mapping[str, str] | None = None) -> Spec:
    """Load, validate and resolve a spec; raise SpecError listing every problem."""
    raise NotImplementedError  # implemented by the foundation work
