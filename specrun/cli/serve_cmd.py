"""``specrun serve``: run the local Batch API over HTTP."""

from __future__ import annotations

import os
from pathlib import Path

import click

from specrun.cli import main
from specrun.cli._common import FiniteFloat

__all__ = ["serve_command"]

API_KEYS_ENV = "SPECRUN_SERVE_API_KEYS"


_EPILOG = """\b
Engines:
  echo    replies "echo: <last user message>" (cut to max_tokens*4 characters),
          usage = characters/4; a last user message containing [[fail]] gets a
          per-line 400 error, to test partial failures; embeddings are
          deterministic unit vectors, responses echo the input. Models: Llama
          3.1 8B, Llama 3.3 70B, Qwen2.5 7B, Mistral 7B v0.3, BAAI/bge-m3, plus
          any --model.
  openai  forwards every line to the upstream's matching path (/chat/completions,
          /embeddings, /responses: vLLM, llama.cpp, Ollama, ...), --concurrency
          at a time, retrying 429/5xx.
Both surfaces share the store: the OpenAI-style Batch API under /v1 and Anthropic
Message Batches under the root (/v1/messages/batches).

\b
Examples:
  specrun serve --port 8080
  specrun serve --engine openai --upstream http://127.0.0.1:8000/v1 --concurrency 64
  specrun serve --fault-rate 0.2 --late-fault-rate 0.1 --completion-window 60s
"""


@main.command("serve", epilog=_EPILOG)
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--port", default=8080, show_default=True, type=click.IntRange(0, 65535),
              help="Port to listen on (0: any free port).")
@click.option("--data-dir", default=".specrun/serve", show_default=True,
              type=click.Path(file_okay=False, path_type=Path), help="Where files and batches are kept.")
@click.option("--engine", default="echo", show_default=True, type=click.Choice(["echo", "openai"]),
              help="echo: deterministic replies; openai: forward to an OpenAI-compatible upstream.")
@click.option("--api-key", "api_keys", multiple=True, metavar="KEY",
              help=f"Accepted API key (repeatable; or comma-separated in ${API_KEYS_ENV}). "
                   "With keys, each key sees only its own files and batches.")
@click.option("--upstream", default=None, metavar="URL",
              help="openai engine: base URL of the upstream, e.g. http://127.0.0.1:8000/v1.")
@click.option("--upstream-key-env", default=None, metavar="NAME",
              help="openai engine: environment variable holding the upstream's API key.")
@click.option("--concurrency", default=16, show_default=True, type=click.IntRange(1),
              help="openai engine: upstream requests in flight per batch.")
@click.option("--timeout", default=300.0, show_default=True, type=FiniteFloat(min=0.001),
              help="openai engine: seconds per upstream request.")
@click.option("--model", "models", multiple=True, metavar="ID",
              help="Active model (repeatable). echo: added to the defaults; openai: instead of the upstream's /models.")
@click.option("--completion-window", default="24h", show_default=True,
              help="Time a batch may take before it expires (24h, 60s, ...).")
@click.option("--fault-rate", default=0.0, show_default=True, type=FiniteFloat(0, max=1),
              help="Share of calls answered 500/502/503/429 (testing clients).")
@click.option("--late-fault-rate", default=0.0, show_default=True, type=FiniteFloat(0, max=1),
              help="Share of POSTs that do the work, then answer 500 (a lost answer).")
@click.option("--latency", "latency_ms", default=0.0, show_default=True, type=FiniteFloat(min=0),
              metavar="MS", help="Milliseconds added to every call.")
@click.option("--fault-seed", default=None, type=int, help="Seed for reproducible fault injection.")
@click.option("--fault-retry-after", default=0.05, show_default=True, type=FiniteFloat(min=0),
              metavar="SECONDS", help="Retry-After sent with injected 429/503 faults.")
@click.option("-v", "--verbose", is_flag=True, help="Log every request.")
def serve_command(host: str, port: int, data_dir: Path, engine: str, api_keys: tuple[str, ...],
                  upstream: str | None, upstream_key_env: str | None, concurrency: int, timeout: float,
                  models: tuple[str, ...], completion_window: str, fault_rate: float, late_fault_rate: float,
                  latency_ms: float, fault_seed: int | None, fault_retry_after: float, verbose: bool) -> None:
    """Run the local Batch API server (the API specrun talks to, offline)."""
    from specrun.local import serve

    if any(not key.strip() for key in api_keys):
        raise click.BadParameter("an API key cannot be empty or blank; pass a real key, or leave --api-key "
                                 "out to serve without authentication", param_hint="--api-key")
    keys = list(api_keys)
    keys += [k.strip() for k in os.environ.get(API_KEYS_ENV, "").split(",") if k.strip()]
    if verbose:
        click.get_current_context().meta["specrun.verbose"] = True

    def announce(url: str) -> None:
        auth = f", {len(keys)} API key{'s' if len(keys) != 1 else ''}" if keys else ", no auth"
        click.echo(f"specrun serve: listening on {url} (engine {engine}, data {data_dir}{auth})", err=False)
        click.echo(f"specrun serve: Anthropic Message Batches at {url.removesuffix('/v1')} "
                   "(provider: {type: anthropic, base_url: ...})", err=False)
        if not keys and not _is_loopback(host):
            click.secho(
                f"WARNING: specrun serve is listening on {host} with no API key: anyone who can reach this "
                "machine can read every file and result, create batches and (with --engine openai) spend "
                f"your upstream's money. Pass --api-key KEY (or set {API_KEYS_ENV}), or listen on 127.0.0.1.",
                err=True, fg="red", bold=True, color=None if not os.environ.get("NO_COLOR") else False,
            )
        faults = [f"{name} {value:g}" for name, value in
                  (("fault-rate", fault_rate), ("late-fault-rate", late_fault_rate), ("latency ms", latency_ms))
                  if value]
        if faults:
            click.echo(f"specrun serve: fault injection on: {', '.join(faults)}", err=True)

    options = dict(
        api_keys=tuple(keys), upstream=upstream, upstream_key_env=upstream_key_env, models=models,
        completion_window=completion_window, fault_rate=fault_rate, late_fault_rate=late_fault_rate,
        latency_ms=latency_ms, fault_seed=fault_seed, fault_retry_after=fault_retry_after,
    )
    if engine == "openai":
        options.update(concurrency=concurrency, timeout=timeout)
    serve(data_dir, host=host, port=port, engine=engine, log_level="info" if verbose else "warning",
          on_listening=announce, **options)
    click.echo("specrun serve: stopped", err=True)


def _is_loopback(host: str) -> bool:
    """True for addresses only this machine can reach (127.0.0.0/8, ::1, localhost)."""
    import ipaddress

    name = host.strip().strip("[]").lower()
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False  # a host name: it may resolve to a public interface
