"""A job's endpoint in the spec (DESIGN §10): which one, what fills its prompt, which params fit it.

Part of :mod:`specrun.spec`'s resolver: each function takes the job's section, the
``defaults:`` section and a ``problem(path, message, key=...)`` callback that records a
``file:line: field: words`` problem, and returns what it resolved (None when a problem
makes the job unusable). The rules:

- ``endpoint:`` (job or defaults) picks ``/v1/chat/completions`` (default),
  ``/v1/embeddings`` or ``/v1/responses``. A chat job gives ``messages:``, the other two
  ``input:`` (a template); the other key, written in the job, is an error (from
  ``defaults:`` it is simply not used: one defaults section serves every kind of job).
- ``params:`` merge key by key, except that a param bounding the answer of *another*
  endpoint (``max_tokens`` for a responses job, say) is not taken from ``defaults:``, and is
  an error in the job itself. An embeddings request has no answer tokens to bound.
- ``output_schema:`` is ``response_format`` on chat, ``text.format`` on responses, and an
  error on embeddings (a vector is not text).
- ``provider.type: anthropic`` has Message Batches only: chat jobs, each with ``max_tokens``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from specrun._endpoints import CHAT_COMPLETIONS, OUTPUT_LIMITS, Endpoint, endpoint
from specrun.structured import response_format, text_format

__all__ = ["Prompt", "job_prompt", "job_params", "structured_params", "limits_fit", "ENCODING_FORMATS"]

Problem = Callable[..., None]  # problem(path, message, key=False)
#: The embeddings ``encoding_format`` values specrun can join (base64 holds float32s: it is decoded).
ENCODING_FORMATS = ("float", "base64")
_WHAT_INPUT_IS = {"/v1/embeddings": "the text to embed", "/v1/responses": "the input text"}


@dataclass(frozen=True)
class Prompt:
    """What fills a job's requests: its endpoint, and its ``messages`` or its ``input`` template."""

    kind: Endpoint
    messages: list[Mapping[str, Any]] | None = None
    messages_from: tuple[Any, ...] = ()   # the spec path holding the messages (the job's or defaults)
    input: str | None = None
    input_from: tuple[Any, ...] = ()


def job_prompt(name: str, section: Mapping[str, Any], defaults: Mapping[str, Any], provider_type: str,
               problem: Problem) -> Prompt | None:
    """The job's endpoint and prompt template(s), or None after recording why there are none."""
    path = ("jobs", name)
    url = section.get("endpoint", defaults.get("endpoint", CHAT_COMPLETIONS))
    kind = endpoint(url)
    if provider_type == "anthropic" and url != CHAT_COMPLETIONS:
        where = (*path, "endpoint") if "endpoint" in section else ("defaults", "endpoint")
        problem(where, f"provider type anthropic has no {url} endpoint: its Message Batches answer chat "
                       f"requests only (endpoint: {CHAT_COMPLETIONS}, with messages:)")
        return None
    if kind.prompt == "messages":
        if "input" in section:
            problem((*path, "input"), f"input: is for /v1/embeddings and /v1/responses jobs; job {name!r} uses "
                                      f"{url}, which takes messages: (or set endpoint:)", key=True)
            return None
        messages_from = path if "messages" in section else ("defaults",)
        messages = section.get("messages", defaults.get("messages"))
        if messages is None:
            problem(path, "no messages (set messages: here or under defaults:)", key=True)
            return None
        return Prompt(kind, messages=messages, messages_from=messages_from)
    if "messages" in section:
        problem((*path, "messages"), f"job {name!r} uses {url}, which takes input: (a template: "
                                     f"{_WHAT_INPUT_IS[url]}), not messages:", key=True)
        return None
    input_from = path if "input" in section else ("defaults",)
    template = section.get("input", defaults.get("input"))
    if template is None:
        problem(path, f"no input (job {name!r} uses {url}: set input: here or under defaults:, a template of "
                      f"{_WHAT_INPUT_IS[url]})", key=True)
        return None
    return Prompt(kind, input=template, input_from=input_from)


def job_params(name: str, section: Mapping[str, Any], defaults: Mapping[str, Any], kind: Endpoint,
               provider_type: str, problem: Problem) -> dict[str, Any] | None:
    """The job's params, defaults merged in; None after recording why they cannot be sent."""
    path = ("jobs", name)
    own = section.get("params") or {}
    foreign = [key for key in OUTPUT_LIMITS if key not in kind.output_limits]
    params = {key: value for key, value in (defaults.get("params") or {}).items() if key not in foreign}
    params.update(own)
    ok = True
    reserved = ("model", "messages") if kind.prompt == "messages" else ("model", "input", "messages")
    for key in reserved:
        if key in params:
            where = path if key in own else ("defaults",)
            if key == "messages" and kind.prompt != "messages":
                message = f"messages cannot be a param; job {name!r} uses {kind.url}, which takes input:"
            else:
                message = f"{key} cannot be a param; use the job's {key}: key"
            problem((*where, "params", key), message, key=True)
            ok = False
    for key in foreign:
        if key in own:
            problem((*path, "params", key), _foreign_limit(key, kind), key=True)
            ok = False
    if kind.vector and "encoding_format" in params and params["encoding_format"] not in ENCODING_FORMATS:
        where = path if "encoding_format" in own else ("defaults",)
        problem((*where, "params", "encoding_format"), f"specrun joins embeddings sent as "
                f"{' or '.join(ENCODING_FORMATS)} only, not {params['encoding_format']!r}")
        ok = False
    if provider_type == "anthropic" and "max_tokens" not in params:
        problem(path, f"job {name!r} sets no params.max_tokens: provider type anthropic requires it on every "
                      "request (set it here or under defaults.params)", key=True)
        ok = False
    return params if ok else None


def _foreign_limit(key: str, kind: Endpoint) -> str:
    if kind.vector:
        return f"an {kind.url} request has no answer tokens to bound: remove {key}"
    return f"a {kind.url} job bounds its answers with {' or '.join(kind.output_limits)}, not {key}"


def structured_params(name: str, kind: Endpoint, schema: Mapping[str, Any], params: dict[str, Any],
                      problem: Problem) -> bool:
    """Ask every request of the job for answers following ``schema``; False after recording why it cannot."""
    where = ("jobs", name, "output_schema")
    if kind.vector:
        problem(where, f"output_schema asks for structured text, but job {name!r} uses {kind.url}, whose answers "
                       "are vectors; output_schema is for /v1/chat/completions and /v1/responses jobs")
        return False
    if kind.prompt == "messages":
        if "response_format" in params:
            problem(where, "use output_schema or params.response_format, not both")
            return False
        params["response_format"] = response_format(name, schema)
        return True
    text = params.get("text")
    if text is not None and (not isinstance(text, Mapping) or "format" in text):
        problem(where, "use output_schema or params.text.format, not both")
        return False
    params["text"] = {**(text or {}), "format": text_format(name, schema)}
    return True


#: What one batch may hold, per provider type that says: OpenAI's Batch API (per input file)
#: and Anthropic Message Batches (per batch body).
BATCH_LIMITS = {"openai": {"max_requests": 50_000, "max_bytes": 200 * 1024 * 1024},
                "anthropic": {"max_requests": 100_000, "max_bytes": 256 * 1024 * 1024}}


def limits_fit(name: str, section: Mapping[str, Any], limits: Mapping[str, int], provider_type: str,
               problem: Problem) -> bool:
    """False (with one problem each) for a shard limit above what the provider's batches take."""
    ok = True
    for key, most in BATCH_LIMITS.get(provider_type, {}).items():
        if limits[key] > most:
            own = key in (section.get("limits") or {})
            where = ("jobs", name, "limits", key) if own else ("defaults", "limits", key)
            problem(where, f"{limits[key]:,} is more than one {provider_type} batch takes ({most:,}): shards "
                           f"are cut at {key}, so set it to {most:,} or less")
            ok = False
    return ok
