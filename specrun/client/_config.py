"""Where the provider is: base URL precedence and normalisation."""

from __future__ import annotations

import os
from urllib.parse import urlsplit, urlunsplit

from specrun.errors import SpecrunError

__all__ = ["BASE_URL_ENV", "DEFAULT_API_KEY_ENV", "normalise_api_root", "normalise_base_url", "resolve_base_url"]

BASE_URL_ENV = "SPECRUN_BASE_URL"
DEFAULT_API_KEY_ENV = "MITHRIL_API_KEY"


def normalise_base_url(url: str) -> str:
    """Return the canonical form of a provider base URL.

    The rule, so that the same provider always gets the same identity in state:

    - surrounding whitespace and trailing slashes are dropped;
    - scheme and host are lower-cased; the scheme must be http or https;
    - a URL with no path at all (``http://host:8080``) gets ``/v1`` appended, because
      every OpenAI-compatible Batch API lives there;
    - any other path is kept as written (``https://gw.example.com/openai/v1``,
      ``https://host/api``): a gateway prefix is the user's business.

    Query strings and fragments are rejected; they have no meaning for a base URL.
    """
    scheme, host, path = _split(url, "http://127.0.0.1:8080/v1")
    return urlunsplit((scheme, host, path or "/v1", "", ""))


def normalise_api_root(url: str) -> str:
    """An API root as the Anthropic SDK takes it (``https://api.anthropic.com``): checked and
    lower-cased as ``normalise_base_url`` does, but kept without ``/v1`` (specrun adds the rest)."""
    scheme, host, path = _split(url, "https://api.anthropic.com")
    if path.endswith("/v1"):
        raise SpecrunError(f"invalid provider base URL {url.strip()!r}: give the API root without /v1 "
                           "(specrun adds /v1/messages/batches)")
    return urlunsplit((scheme, host, path, "", ""))


def _split(url: str, example: str) -> tuple[str, str, str]:
    """``(scheme, host[:port], path)`` of an http(s) URL, lower-cased, the path without a
    trailing ``/``; ``SpecrunError`` for anything else (``example`` shows the expected form)."""
    text = url.strip()
    expected = f"expected http(s)://host[:port][/path], e.g. {example}"
    if any(ord(char) < 0x21 or ord(char) == 0x7F for char in text):
        raise SpecrunError(f"invalid provider base URL {text!r}: it contains spaces or control characters")
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018 - raises ValueError on a port that is not a number in 0..65535
    except ValueError as exc:
        raise SpecrunError(f"invalid provider base URL {text!r} ({exc}): {expected}") from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not parts.hostname:
        raise SpecrunError(f"invalid provider base URL {text!r}: {expected}")
    if parts.query or parts.fragment:
        raise SpecrunError(f"invalid provider base URL {text!r}: remove the query string or fragment")
    return scheme, parts.netloc.lower(), parts.path.rstrip("/")


def resolve_base_url(cli_base_url: str | None, spec_base_url: str | None) -> str:
    """``--base-url`` > ``SPECRUN_BASE_URL`` > the spec, normalised (``/v1`` if no path).

    See ``normalise_base_url`` for the exact rule. Raises ``SpecrunError`` saying how to
    set one when none is given anywhere.
    """
    for candidate in (cli_base_url, os.environ.get(BASE_URL_ENV), spec_base_url):
        if candidate and candidate.strip():
            return normalise_base_url(candidate)
    raise SpecrunError(
        "no provider base URL: pass --base-url URL, set SPECRUN_BASE_URL, or set "
        "provider.base_url in the spec (or use `provider: local`)"
    )
