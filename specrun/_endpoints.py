"""The request endpoints a job can use (DESIGN §10), and what each one means for a spec,
a request line and an answer.

- ``/v1/chat/completions`` (the default): the job's ``messages:`` fill ``body.messages``;
  an answer is text (``choices[0].message.content``), bounded by ``max_completion_tokens``
  or ``max_tokens``.
- ``/v1/embeddings``: the job's ``input:`` template fills ``body.input``; an answer is a
  vector (``data[0].embedding``). It has no output tokens: its cost is its input.
- ``/v1/responses``: the job's ``input:`` template fills ``body.input``; an answer is text
  (the ``output_text`` parts of its ``output`` messages), bounded by ``max_output_tokens``.

Nothing here imports the rest of specrun: the spec, the renderer, the estimates, the
results and the local provider all ask this one table.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["CHAT_COMPLETIONS", "EMBEDDINGS", "RESPONSES", "ENDPOINTS", "OUTPUT_LIMITS", "Endpoint", "endpoint"]

CHAT_COMPLETIONS = "/v1/chat/completions"
EMBEDDINGS = "/v1/embeddings"
RESPONSES = "/v1/responses"


@dataclass(frozen=True)
class Endpoint:
    """One endpoint as specrun uses it."""

    url: str
    prompt: str                       # the body field the job's template fills: "messages" or "input"
    output_limits: tuple[str, ...]    # params that bound one answer's tokens, the first present wins
    vector: bool = False              # an answer is a vector (no output tokens), not text

    @property
    def output_limit(self) -> str | None:
        """The param to name when telling a user how to bound an answer (None: nothing to bound)."""
        return self.output_limits[-1] if self.output_limits else None


ENDPOINTS: dict[str, Endpoint] = {
    CHAT_COMPLETIONS: Endpoint(CHAT_COMPLETIONS, "messages", ("max_completion_tokens", "max_tokens")),
    EMBEDDINGS: Endpoint(EMBEDDINGS, "input", (), vector=True),
    RESPONSES: Endpoint(RESPONSES, "input", ("max_output_tokens",)),
}

#: Every param that bounds an answer on some endpoint.
OUTPUT_LIMITS = ("max_completion_tokens", "max_tokens", "max_output_tokens")


def endpoint(url: str) -> Endpoint:
    """The endpoint a request URL names (a spec only names these three: its schema says so)."""
    return ENDPOINTS[url]
