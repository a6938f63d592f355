"""Direct provider access: ``specrun models``, ``specrun files ...``, ``specrun batches ...``.

Thin on purpose: build the client (``specrun.connect``), call it, print. Human output is
plain aligned columns (safe to pipe into awk/grep); ``--json`` prints exactly the
provider's JSON objects (a JSON array for ``ls``/``models``, one object otherwise) and
nothing else on stdout. Progress and notes go to stderr.

Everything shown comes from the provider, so every cell and field goes through
``specrun._text.safe`` (and ``--json`` through ``safe_json``): an escape sequence in a
file name or a batch error is shown as ``\x1b``, never sent to the terminal.
"""

from __future__ import annotations

import itertools
import sys
import time
from collections.abc import Iterable, Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from specrun._text import quoted, safe, safe_json
from specrun.cli import main
from specrun.cli._common import CommonOptions, common_options
from specrun.errors import APIError, SpecrunError

# The client (httpx) is imported by the commands that use it, not by `specrun --help`.
if TYPE_CHECKING:
    from specrun.client import Batch, Client, FileObject
    from specrun.client.anthropic import AnthropicClient

__all__ = ["models", "files", "batches"]

_json_option = click.option("--json", "as_json", is_flag=True, help="Print the provider's JSON only.")
_limit_option = click.option("--limit", default=20, show_default=True, type=click.IntRange(min=1),
                             help="Show at most N entries (newest first).")
#: Widest a table cell gets (a provider may send a file name of any length).
_CELL = 120


# ------------------------------------------------------------------------ models

@main.command()
@_json_option
@common_options
def models(opts: CommonOptions, as_json: bool) -> None:
    """List the provider's active models with context length and prices."""
    with _client(opts) as client:
        configs = client.model_config()
    if as_json:
        _echo_json([dict(m.raw) for m in configs])
        return
    if not configs:
        click.echo("No active models.")
        return
    ordered = sorted(configs, key=lambda m: (m.display_order is None, m.display_order or 0))
    rows = [(m.id, _num(m.context_length), _money(m.input_price_cents), _money(m.output_price_cents),
             m.status or "-") for m in ordered]
    click.echo(_table(("MODEL", "CONTEXT", "INPUT $/1M", "OUTPUT $/1M", "STATUS"), rows, align="lrrrl"))


# ------------------------------------------------------------------------- files

@main.group()
def files() -> None:
    """Files on the provider: ls, get, upload, download."""


@files.command("ls")
@_limit_option
@_json_option
@common_options
def files_ls(opts: CommonOptions, limit: int, as_json: bool) -> None:
    """List files, newest first."""
    from specrun.client import FILES_PAGE_LIMIT

    with _client(opts) as client:
        try:
            found = list(itertools.islice(client.iter_files(limit=min(limit, FILES_PAGE_LIMIT)), limit))
        except APIError as exc:
            if exc.status_code in (404, 405, 501):
                raise SpecrunError(f"this provider does not support listing files ({exc})") from exc
            raise
    if as_json:
        _echo_json([dict(f.raw) for f in found])
        return
    if not found:
        click.echo("No files.")
        return
    rows = [(f.id, f.filename or "-", _num(f.bytes), f.purpose or "-", f.status or "-", _when(f.created_at))
            for f in found]
    click.echo(_table(("ID", "FILENAME", "BYTES", "PURPOSE", "STATUS", "CREATED"), rows, align="llrlll"))


@files.command("get")
@click.argument("file_id")
@_json_option
@common_options
def files_get(opts: CommonOptions, file_id: str, as_json: bool) -> None:
    """Show one file's metadata."""
    with _client(opts) as client:
        found = client.get_file(file_id)
    _show_file(found, as_json)


@files.command("upload")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--purpose", default="batch", show_default=True, help="Purpose field sent with the file.")
@click.option("--filename", default=None, help="Name to store the file under (default: its own name).")
@_json_option
@common_options
def files_upload(opts: CommonOptions, path: Path, purpose: str, filename: str | None, as_json: bool) -> None:
    """Upload a JSONL file (streamed from disk)."""
    with _client(opts) as client:
        uploaded = client.upload_file(path, filename=filename, purpose=purpose)
    _show_file(uploaded, as_json)


@files.command("download")
@click.argument("file_id")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Where to write the content (default: ./<FILE_ID>.jsonl).")
@common_options
def files_download(opts: CommonOptions, file_id: str, output: Path | None) -> None:
    """Download a file's content (streamed to disk, written atomically)."""
    from specrun.client import is_valid_id

    if output is None and not is_valid_id(file_id):
        # The default name must stay a plain file in this folder: no '/', '..' or odd characters.
        raise SpecrunError(f"cannot name the local file after {quoted(file_id)} (not a plain file id); "
                           "choose it with -o/--output")
    dest = output or Path(f"{file_id}.jsonl")
    with _client(opts) as client:
        written = client.download_file(file_id, dest)
    click.echo(f"Downloaded {safe(file_id)} to {safe(dest)} ({written:,} bytes).")


# ----------------------------------------------------------------------- batches

@main.group()
def batches() -> None:
    """Batches on the provider: ls, get, cancel, delete, wait."""


@batches.command("ls")
@_limit_option
@_json_option
@common_options
def batches_ls(opts: CommonOptions, limit: int, as_json: bool) -> None:
    """List batches, newest first."""
    from specrun.client import BATCHES_PAGE_LIMIT

    with _client(opts) as client:
        found = list(itertools.islice(client.iter_batches(limit=min(limit, BATCHES_PAGE_LIMIT)), limit))
    if as_json:
        _echo_json([dict(b.raw) for b in found])
        return
    if not found:
        click.echo("No batches.")
        return
    rows = [(b.id, b.status.value, _progress(b), b.input_file_id or "-", b.output_file_id or "-",
             _when(b.created_at)) for b in found]
    click.echo(_table(("ID", "STATUS", "PROGRESS", "INPUT FILE", "OUTPUT FILE", "CREATED"), rows,
                      align="llrlll"))


@batches.command("get")
@click.argument("batch_id")
@_json_option
@common_options
def batches_get(opts: CommonOptions, batch_id: str, as_json: bool) -> None:
    """Show one batch."""
    with _client(opts) as client:
        batch = client.get_batch(batch_id)
    _show_batch(batch, as_json)


@batches.command("cancel")
@click.argument("batch_id")
@_json_option
@common_options
def batches_cancel(opts: CommonOptions, batch_id: str, as_json: bool) -> None:
    """Cancel an in-progress batch (POST /batches/ID/cancel)."""
    with _client(opts) as client:
        batch = client.cancel_batch(batch_id)
    _show_batch(batch, as_json)


@batches.command("delete")
@click.argument("batch_id")
@_json_option
@common_options
def batches_delete(opts: CommonOptions, batch_id: str, as_json: bool) -> None:
    """Cancel an in-progress batch with DELETE /batches/ID."""
    with _client(opts) as client:
        batch = client.delete_batch(batch_id)
    if batch is None:
        if as_json:
            _echo_json({"id": batch_id, "deleted": True})
        else:
            click.echo(f"Deleted {safe(batch_id)}.")
        return
    _show_batch(batch, as_json)


@batches.command("wait")
@click.argument("batch_id")
@click.option("--poll-interval", default=10.0, show_default=True, type=click.FloatRange(min=0),
              help="Seconds between polls.")
@click.option("--timeout", default=None, type=click.FloatRange(min=0), help="Give up after this many seconds.")
@_json_option
@common_options
def batches_wait(opts: CommonOptions, batch_id: str, poll_interval: float, timeout: float | None,
                 as_json: bool) -> None:
    """Poll a batch until it finishes, showing progress on stderr.

    Exits 0 when the batch completed, 1 when it failed, expired or was cancelled.
    """
    from specrun.client import BatchStatus

    with _client(opts) as client, _WaitDisplay(batch_id) as display:
        batch = client.wait_batch(batch_id, poll_interval=poll_interval, timeout=timeout,
                                  on_update=display.update)
    _show_batch(batch, as_json)
    if batch.status is not BatchStatus.COMPLETED:
        reason = safe(_errors_text(batch), 500)
        raise SpecrunError(f"batch {batch.id} ended {batch.status.value}" + (f": {reason}" if reason else ""))


class _WaitDisplay:
    """Progress on stderr: a rich bar on a terminal, plain lines on change otherwise."""

    QUIET_SECONDS = 60.0  # in plain mode, repeat an unchanged line at most this often

    def __init__(self, batch_id: str) -> None:
        self.batch_id = batch_id
        self.tty = sys.stderr.isatty()
        self._progress: Any = None
        self._task: Any = None
        self._last: tuple[Any, ...] | None = None
        self._last_time = 0.0
        self._started = time.monotonic()

    def __enter__(self) -> _WaitDisplay:
        if self.tty:
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

            self._progress = Progress(
                TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                TextColumn("{task.fields[status]}"), TimeElapsedColumn(),
                console=Console(stderr=True))
            self._progress.start()
            from rich.markup import escape

            self._task = self._progress.add_task(escape(safe(self.batch_id)), total=None, status="")
        return self

    def __exit__(self, *exc_info: Any) -> None:
        if self._progress is not None:
            self._progress.stop()

    def update(self, batch: Batch) -> None:
        counts = batch.request_counts
        done = counts.completed + counts.failed
        if self._progress is not None:
            failed = f", {counts.failed} failed" if counts.failed else ""
            from rich.markup import escape

            self._progress.update(self._task, total=counts.total or None, completed=done,
                                  status=escape(safe(batch.status.value)) + failed)
            return
        state = (batch.status, counts)
        now = time.monotonic()
        if state == self._last and now - self._last_time < self.QUIET_SECONDS:
            return
        self._last, self._last_time = state, now
        failed = f", {counts.failed} failed" if counts.failed else ""
        elapsed = int(now - self._started)
        click.echo(f"{safe(self.batch_id)}: {safe(batch.status.value)}, {done}/{counts.total} done{failed} "
                   f"({elapsed}s)", err=True)


# ----------------------------------------------------------------------- helpers

def _client(opts: CommonOptions) -> Client | AnthropicClient:
    from specrun.connect import client_for_spec_file

    client, _identity = client_for_spec_file(opts.spec_path, opts.vars, base_url=opts.base_url,
                                             verbose=opts.verbose)
    return client


def _show_file(found: FileObject, as_json: bool) -> None:
    if as_json:
        _echo_json(dict(found.raw))
        return
    click.echo(_fields([
        ("id", found.id), ("filename", found.filename), ("bytes", _num(found.bytes)),
        ("purpose", found.purpose), ("status", found.status), ("created", _when(found.created_at)),
    ]))


def _show_batch(batch: Batch, as_json: bool) -> None:
    if as_json:
        _echo_json(dict(batch.raw))
        return
    counts = batch.request_counts
    click.echo(_fields([
        ("id", batch.id), ("status", batch.status.value),
        ("requests", f"{counts.total} total, {counts.completed} completed, {counts.failed} failed"),
        ("input file", batch.input_file_id), ("output file", batch.output_file_id),
        ("error file", batch.error_file_id), ("endpoint", batch.endpoint),
        ("completion window", batch.completion_window), ("created", _when(batch.created_at)),
        ("errors", _errors_text(batch) or None),
    ]))


def _errors_text(batch: Batch) -> str:
    """The batch's ``errors`` as one terminal-safe line (see ``Batch.errors_text``)."""
    return batch.errors_text()


def _echo_json(value: Any) -> None:
    click.echo(safe_json(value, indent=2))


def _table(headers: Sequence[str], rows: Iterable[Sequence[str]], *, align: str = "") -> str:
    """Columns padded to their widest cell, two spaces apart; ``align`` is l/r per column.

    Every cell is made safe for the terminal (and cut at ``_CELL`` characters).
    """
    rows = [list(headers)] + [[safe(cell, _CELL) for cell in row] for row in rows]
    widths = [max(len(row[i]) for row in rows) for i in range(len(headers))]
    lines = []
    for row in rows:
        cells = []
        for i, cell in enumerate(row):
            right = i < len(align) and align[i] == "r"
            cells.append(cell.rjust(widths[i]) if right else cell.ljust(widths[i]))
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)


def _fields(pairs: Sequence[tuple[str, Any]]) -> str:
    width = max(len(name) for name, _ in pairs)
    return "\n".join(f"{name + ':':<{width + 1}}  {'-' if value in (None, '') else safe(value)}"
                     for name, value in pairs)


def _progress(batch: Batch) -> str:
    counts = batch.request_counts
    text = f"{counts.completed + counts.failed}/{counts.total}"
    return text + (f" ({counts.failed} failed)" if counts.failed else "")


def _when(timestamp: int | None) -> str:
    if timestamp is None:
        return "-"
    try:
        return datetime.fromtimestamp(timestamp, tz=timezone.utc).strftime("%Y-%m-%d %H:%M:%S")
    except (OverflowError, OSError, ValueError):
        return str(timestamp)


def _num(value: int | None) -> str:
    return "-" if value is None else f"{value:,}"


def _money(cents: float | None) -> str:
    """Cents per million tokens as dollars: 15 -> $0.15, 0.5 -> $0.005."""
    if cents is None:
        return "-"
    dollars = f"{cents / 100:.6f}".rstrip("0")
    whole, _, fraction = dollars.partition(".")
    return f"${whole}.{fraction.ljust(2, '0')}"
