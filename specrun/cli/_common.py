"""Options shared by every command, and the error boundary of the CLI."""

from __future__ import annotations

import functools
import logging
import math
import sys
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import click

from specrun.errors import SpecError, SpecrunError

__all__ = ["CommonOptions", "common_options", "SpecrunGroup", "parse_vars", "FiniteFloat"]


class FiniteFloat(click.ParamType):
    """A real number within bounds: ``nan``, ``inf`` and out-of-range values are usage errors.

    click's ``FloatRange`` lets ``nan`` through (every comparison with it is false),
    and a ``--max-cost nan`` budget or a ``--timeout nan`` wait would then never trip.
    """

    name = "number"

    def __init__(self, min: float | None = None, *, min_open: bool = False, max: float | None = None) -> None:
        self.min, self.min_open, self.max = min, min_open, max

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> float:
        if isinstance(value, float) and math.isfinite(value):
            number = value
        else:
            try:
                number = float(str(value).strip())
            except ValueError:
                self.fail(f"{value!r} is not a number", param, ctx)
        if not math.isfinite(number):
            self.fail(f"{value!r} is not a finite number", param, ctx)
        if self.min is not None and (number < self.min or (self.min_open and number == self.min)):
            bound = "greater than" if self.min_open else "at least"
            self.fail(f"{value!r} must be {bound} {self.min:g}", param, ctx)
        if self.max is not None and number > self.max:
            self.fail(f"{value!r} must be at most {self.max:g}", param, ctx)
        return number

    def __repr__(self) -> str:
        return f"FiniteFloat(min={self.min}, max={self.max})"


@dataclass(frozen=True)
class CommonOptions:
    """The options every command accepts (``specrun plan -v -f x.yaml``)."""

    spec_path: Path = Path("specrun.yaml")
    base_url: str | None = None
    vars: dict[str, str] = field(default_factory=dict)
    targets: tuple[str, ...] = ()
    verbose: bool = False
    lock_timeout: float = 0.0


def parse_vars(pairs: tuple[str, ...]) -> dict[str, str]:
    """Turn ``("a=1", "b=x=y")`` into ``{"a": "1", "b": "x=y"}``."""
    result: dict[str, str] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise SpecError(f"--var {pair!r}: expected name=value")
        result[name.strip()] = value
    return result


class _SafeFormatter(logging.Formatter):
    """``-v`` log lines carry provider text (ids, error bodies): show control characters as escapes."""

    def format(self, record: logging.LogRecord) -> str:
        from specrun._text import safe

        return safe(super().format(record), None, newlines=True)


def _configure_logging(verbose: bool) -> None:
    """``-v``: specrun's log lines on stderr. Without it, logging is left as Python sets it up
    (warnings only), and a handler an earlier ``-v`` run in this process added is taken away."""
    logger = logging.getLogger("specrun")
    ours = [handler for handler in logger.handlers if isinstance(handler.formatter, _SafeFormatter)]
    if verbose:
        if not ours:
            stream = logging.StreamHandler(sys.stderr)
            stream.setFormatter(_SafeFormatter("%(message)s"))
            logger.addHandler(stream)
        logger.setLevel(logging.DEBUG)
        return
    for handler in ours:
        logger.removeHandler(handler)
    logger.setLevel(logging.NOTSET)  # inherit: WARNING by default, or whatever the embedding program set


def common_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """Add the common options to a command; it receives them as ``opts``."""

    @click.option("-f", "--file", "spec_file", default="specrun.yaml", show_default=True,
                  type=click.Path(dir_okay=False, path_type=Path), help="Spec file.")
    @click.option("--base-url", default=None, help="Provider base URL (overrides SPECRUN_BASE_URL and the spec).")
    @click.option("--var", "var_pairs", multiple=True, metavar="NAME=VALUE", help="Override a spec var (repeatable).")
    @click.option("--target", "targets", multiple=True, metavar="JOB", help="Limit to this job (repeatable).")
    @click.option("-v", "--verbose", is_flag=True, help="Log HTTP calls and show tracebacks.")
    @click.option("--lock-timeout", default=0.0, type=FiniteFloat(min=0), show_default=True,
                  help="Seconds to wait for the state lock.")
    @functools.wraps(func)
    def wrapper(*args: Any, spec_file: Path, base_url: str | None, var_pairs: tuple[str, ...],
                targets: tuple[str, ...], verbose: bool, lock_timeout: float, **kwargs: Any) -> Any:
        _configure_logging(verbose)
        ctx = click.get_current_context()
        ctx.meta["specrun.verbose"] = verbose
        opts = CommonOptions(
            spec_path=spec_file,
            base_url=base_url,
            vars=parse_vars(var_pairs),
            targets=tuple(targets),
            verbose=verbose,
            lock_timeout=lock_timeout,
        )
        return func(*args, opts=opts, **kwargs)

    return wrapper


class SpecrunGroup(click.Group):
    """A group that turns unexpected exceptions into one clean line (traceback with -v).

    Usage errors (an unknown option, a bad value) exit 1 like every other error:
    exit code 2 belongs to ``plan --detailed-exitcode`` ("changes present"), and a
    typo in a CI script must never read as "there are changes".
    """

    #: `specrun --help` lists the workflow first, in the order it is used.
    ORDER = ("validate", "render", "graph", "plan", "apply", "status", "destroy", "ledger", "backend", "models",
             "files", "batches", "serve")

    def list_commands(self, ctx: click.Context) -> list[str]:
        names = super().list_commands(ctx)
        rank = {name: i for i, name in enumerate(self.ORDER)}
        return sorted(names, key=lambda name: (rank.get(name, len(rank)), name))

    def make_context(self, info_name: str | None, args: list[str], parent: click.Context | None = None,
                     **extra: Any) -> click.Context:
        try:
            return super().make_context(info_name, args, parent=parent, **extra)
        except click.UsageError as exc:
            exc.exit_code = 1  # type: ignore[misc]  # click's stubs say ClassVar; a usage error exits 1 here
            raise

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except click.UsageError as exc:
            exc.exit_code = 1  # type: ignore[misc]  # click's stubs say ClassVar; a usage error exits 1 here
            raise
        except SpecrunError:
            if ctx.meta.get("specrun.verbose"):
                traceback.print_exc(file=sys.stderr)
            raise
        except (click.exceptions.Exit, click.exceptions.Abort, click.ClickException):
            raise
        except KeyboardInterrupt:
            click.echo("Interrupted.", err=True)
            raise click.exceptions.Exit(130) from None
        except Exception as exc:  # a bug: say so briefly, traceback only with -v
            if ctx.meta.get("specrun.verbose"):
                traceback.print_exc(file=sys.stderr)
                raise click.exceptions.Exit(1) from None
            raise SpecrunError(
                f"internal error: {type(exc).__name__}: {exc} (run with -v for the traceback)"
            ) from exc
