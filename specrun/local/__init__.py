"""The local provider: the Batch API of DESIGN §1, SQLite-backed, embedded or served.

    embedded_transport(data_dir, engine="echo", **options)  an httpx transport (``provider: local``)
    create_app(data_dir, ...)                                the ASGI app behind ``specrun serve``
    serve(data_dir, host=..., port=..., ...)                 run that app with uvicorn

Modules, one job each:

    _options   option names, defaults, checks (the spec's ``provider: {local: {...}}``)
    store      SQLite (WAL) metadata + file blobs on disk, batch leases
    engines    ``echo`` (deterministic) and ``openai`` (an upstream /chat/completions)
    worker     the batch lifecycle in background threads, checkpointed and resumable
    api        ``LocalBatchAPI``: files, batches, models as OpenAI-shaped dicts
    _http      routing, auth, fault injection, latency (shared by both adapters)
    embedded   the in-process httpx transport
    app        the FastAPI app and ``serve``

The echo engine answers ``"echo: " + <last user message>`` (cut to ``max_tokens*4``
characters) with usage ≈ characters/4; a last user message containing ``[[fail]]``
gets a per-line 400 error in the batch's error file.
"""

from __future__ import annotations

from specrun.local._options import LocalOptions, build_options, options_from_mapping, parse_duration
from specrun.local.api import APIFailure, LocalBatchAPI
from specrun.local.app import create_app, serve
from specrun.local.embedded import EMBEDDED_BASE_URL, EmbeddedTransport, embedded_transport
from specrun.local.engines import DEFAULT_ECHO_MODELS, ECHO_FAIL_MARKER, ModelInfo, echo_reply

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
    "ModelInfo",
    "echo_reply",
]
