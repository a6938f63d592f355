"""The local provider: the Batch API of DESIGN §1, SQLite-backed, embedded or served.

    embedded_transport(data_dir, engine="echo", **options)  an httpx transport (``provider: local``)
    create_app(data_dir, ...)                                the ASGI app behind ``specrun serve``
    serve(data_dir, host=..., port=..., ...)                 run that app with uvicorn

Modules, one job each:

    _options   option names, defaults, checks (the spec's ``provider: {local: {...}}``)
    store      SQLite (WAL) metadata + file blobs on disk, batch leases
    engines    ``echo`` (deterministic) and ``openai`` (an upstream /chat/completions)
    _instances JSON Schema instances for the echo engine's structured answers
    _strings   strings for a schema's ``format`` or ``pattern`` (used by ``_instances``)
    worker     the batch lifecycle in background threads, checkpointed and resumable
    api        ``LocalBatchAPI``: files, batches, models as OpenAI-shaped dicts
    anthropic_batches  Anthropic Message Batches (``/v1/messages/batches``) on the same store,
               worker and engines; ``anthropic_convert`` maps requests and answers,
               ``anthropic_store`` keeps message batches apart from the OpenAI-style ones
    _http      routing, auth, fault injection, latency (shared by both adapters)
    embedded   the in-process httpx transport
    app        the FastAPI app and ``serve``

The echo engine answers ``"echo: " + <last user message>`` (cut to ``max_tokens*4``
characters) with usage ≈ characters/4; a last user message containing ``[[fail]]``
gets a per-line 400 error in the batch's error file. Asked for structured output
(``response_format``), it answers JSON: a deterministic instance of the schema
(``schema_instance``), or ``{"echo": ...}`` for ``json_object``; ``[[invalid-json]]``
and ``[[off-schema]]`` in the last user message make that answer not JSON, or off-schema.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from specrun.local._options import LocalOptions, build_options, options_from_mapping, parse_duration
    from specrun.local.api import APIFailure, LocalBatchAPI
    from specrun.local.app import create_app, serve
    from specrun.local.embedded import EMBEDDED_BASE_URL, EmbeddedTransport, embedded_transport
    from specrun.local.engines import (
        DEFAULT_ECHO_MODELS,
        ECHO_FAIL_MARKER,
        ECHO_INVALID_JSON_MARKER,
        ECHO_OFF_SCHEMA_MARKER,
        ModelInfo,
        echo_reply,
        schema_instance,
    )

# Name -> submodule, imported on first use: the embedded provider (``provider: local``)
# runs in-process and must not pay for the server stack (FastAPI, uvicorn) that only
# ``create_app``/``serve`` need.
_EXPORTS = {
    "embedded_transport": "embedded",
    "EmbeddedTransport": "embedded",
    "EMBEDDED_BASE_URL": "embedded",
    "create_app": "app",
    "serve": "app",
    "LocalBatchAPI": "api",
    "APIFailure": "api",
    "LocalOptions": "_options",
    "build_options": "_options",
    "options_from_mapping": "_options",
    "parse_duration": "_options",
    "DEFAULT_ECHO_MODELS": "engines",
    "ECHO_FAIL_MARKER": "engines",
    "ECHO_INVALID_JSON_MARKER": "engines",
    "ECHO_OFF_SCHEMA_MARKER": "engines",
    "ModelInfo": "engines",
    "echo_reply": "engines",
    "schema_instance": "engines",
}

__all__ = [
    "embedded_transport",
    "EmbeddedTransport",
    "EMBEDDED_BASE_URL",
    "create_app",
    "serve",
    "LocalBatchAPI",
    "APIFailure",
    "LocalOptions",
    "build_options",
    "options_from_mapping",
    "parse_duration",
    "DEFAULT_ECHO_MODELS",
    "ECHO_FAIL_MARKER",
    "ECHO_INVALID_JSON_MARKER",
    "ECHO_OFF_SCHEMA_MARKER",
    "ModelInfo",
    "echo_reply",
    "schema_instance",
]


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{_EXPORTS[name]}"), name)
    globals()[name] = value  # later lookups skip __getattr__
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_EXPORTS])
