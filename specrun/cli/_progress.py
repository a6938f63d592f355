"""How ``apply`` shows progress while it waits: a live table on a terminal, plain lines otherwise."""

from __future__ import annotations

from collections.abc import Callable

from specrun.apply import ProgressSink

__all__ = ["PlainProgress", "LiveProgress"]


class PlainProgress(ProgressSink):
    """Periodic plain lines (no TTY): on every change, and at least once a minute."""

    def __init__(self, echo: Callable[[str], None], every: float = 60.0) -> None:
        self.echo = echo
        self.every = every
        self._last: dict[str, tuple[str, int, int]] = {}
        self._last_time = 0.0

    def update(self, rows: list[tuple[str, str, int, int, int]], elapsed: float) -> None:
        due = elapsed - self._last_time >= self.every
        for name, status, completed, failed, total in rows:
            if due or self._last.get(name) != (status, completed, failed):
                self.echo(f"{name}: {status} {completed}/{total} done, {failed} failed ({_clock(elapsed)})")
                self._last[name] = (status, completed, failed)
        if due:
            self._last_time = elapsed


class LiveProgress(ProgressSink):
    """A live table on a TTY (stderr), via rich."""

    def __init__(self, no_color: bool = False) -> None:
        from rich.console import Console
        from rich.live import Live

        self.no_color = no_color
        self.console = Console(stderr=True, no_color=no_color, highlight=False)
        self.live = Live(console=self.console, refresh_per_second=4, transient=False)
        self.started = False

    def update(self, rows: list[tuple[str, str, int, int, int]], elapsed: float) -> None:
        from rich.table import Table

        table = Table(box=None, pad_edge=False, header_style="" if self.no_color else "bold")
        for column in ("job", "status", "done", "failed", "total", "elapsed"):
            table.add_column(column, justify="right" if column in ("done", "failed", "total") else "left")
        for name, status, completed, failed, total in rows:
            table.add_row(name, status, str(completed), str(failed), str(total), _clock(elapsed))
        if not self.started:
            self.live.start()
            self.started = True
        self.live.update(table)

    def close(self) -> None:
        if self.started:
            self.live.stop()
            self.started = False


def _clock(seconds: float) -> str:
    seconds = int(seconds)
    return f"{seconds // 60}m{seconds % 60:02d}s"
