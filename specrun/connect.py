"""Build the one ``Client`` a command talks to, from the spec and the command line.

Precedence for where to connect: ``--base-url`` > ``SPECRUN_BASE_URL`` > the spec
(``provider.base_url``, or ``provider: local`` for the embedded provider). The API key
is read from the env var named by ``provider.api_key_env`` (``MITHRIL_API_KEY`` when
there is no spec, ``OPENAI_API_KEY`` for ``type: openai``, ``ANTHROPIC_API_KEY`` for
``type: anthropic``); it goes into the client's auth header and nowhere else.
``type: anthropic`` gets an ``AnthropicClient`` (Message Batches) behind the same seam.
"""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from specrun._spec_values import ANTHROPIC_BASE_URL
from specrun.client import BASE_URL_ENV, DEFAULT_API_KEY_ENV, Client, resolve_base_url
from specrun.client.anthropic import AnthropicClient

if TYPE_CHECKING:
    from specrun.spec import Spec

__all__ = ["LOCAL_BASE_URL", "LOCAL_IDENTITY", "open_client", "client_for_spec_file", "load_spec_if_present"]

LOCAL_BASE_URL = "http://specrun.local/v1"
LOCAL_ROOT = "http://specrun.local"
LOCAL_IDENTITY = "local"
LOCAL_ANTHROPIC_IDENTITY = "local-anthropic"  # another API surface: its batch ids are not the OpenAI-style ones


def open_client(spec: Spec | None, cli_base_url: str | None, *,
                verbose: bool = False) -> tuple[Client | AnthropicClient, str]:
    """The client for this run and the provider's identity for the state file.

    The identity is the normalised base URL, or ``"local"`` for the embedded provider
    (``provider: local``), whose data lives in ``<spec dir>/.specrun/local``. An explicit
    ``--base-url`` or ``SPECRUN_BASE_URL`` wins over ``provider: local`` too, like over
    any spec setting. Raises ``SpecrunError`` when no base URL is given anywhere.
    """
    if verbose:
        logging.getLogger("specrun.client").setLevel(logging.DEBUG)
    provider = spec.provider if spec is not None else None
    api_key_env = (provider.api_key_env if provider is not None else None) or DEFAULT_API_KEY_ENV
    api_key = os.environ.get(api_key_env, "").strip() or None
    explicit_url = cli_base_url or os.environ.get(BASE_URL_ENV)
    provider_type = provider.type if provider is not None else "openai-compatible"
    if provider is not None and provider.kind == "local" and not explicit_url:
        from specrun.local import embedded_transport  # imported only when used: it starts workers

        data_dir = spec.base_dir / ".specrun" / "local"  # type: ignore[union-attr]
        transport = embedded_transport(data_dir, **dict(provider.local or {}))
        # The key is passed too: a local provider may be configured with api_keys.
        if provider_type == "anthropic":
            local = AnthropicClient(LOCAL_ROOT, api_key, transport=transport, api_key_env=api_key_env,
                                    data_dir=_anthropic_dir(spec), journal_dir=_journal_dir(spec))
            return local, LOCAL_ANTHROPIC_IDENTITY
        client = Client(LOCAL_BASE_URL, api_key, transport=transport, api_key_env=api_key_env,
                        provider_type=provider_type)
        return client, LOCAL_IDENTITY

    if provider_type == "anthropic":
        root = explicit_url or (provider.base_url if provider is not None else None) or ANTHROPIC_BASE_URL
        anthropic = AnthropicClient(root, api_key, api_key_env=api_key_env, data_dir=_anthropic_dir(spec),
                                    journal_dir=_journal_dir(spec))
        return anthropic, anthropic.base_url
    base_url = resolve_base_url(cli_base_url, provider.base_url if provider is not None else None)
    client = Client(base_url, api_key, api_key_env=api_key_env, provider_type=provider_type)
    return client, client.base_url


def _anthropic_dir(spec: Spec | None) -> Path:
    """Where the Anthropic client keeps its request files: beside the spec's state."""
    return (spec.base_dir if spec is not None else Path.cwd()) / ".specrun" / "anthropic"


def _journal_dir(spec: Spec | None) -> Path:
    """Where the Anthropic client keeps its creation journal: the user's state folder
    (``$XDG_STATE_HOME/specrun``, default ``~/.local/state/specrun``), one folder per spec
    file, so that a deleted ``.specrun/`` still knows which batch holds which shard."""
    home = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    spec_file = str(spec.path.resolve()) if spec is not None else str(Path.cwd())
    return Path(home) / "specrun" / "anthropic" / hashlib.sha256(spec_file.encode()).hexdigest()[:16]


def load_spec_if_present(spec_path: Path, var_overrides: Mapping[str, str] | None = None) -> Spec | None:
    """The spec at ``spec_path`` if that file exists, else None (provider commands work without one)."""
    path = Path(spec_path)
    if not path.is_file():
        return None
    from specrun.spec import load_spec

    return load_spec(path, var_overrides)


def client_for_spec_file(spec_path: Path, var_overrides: Mapping[str, str] | None = None, *,
                         base_url: str | None = None,
                         verbose: bool = False) -> tuple[Client | AnthropicClient, str]:
    """``open_client`` for a spec file that may not exist (``specrun models`` needs no spec)."""
    return open_client(load_spec_if_present(spec_path, var_overrides), base_url, verbose=verbose)
