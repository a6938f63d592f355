"""The ``specrun`` command line: click commands only, no logic of their own.

Each group of commands lives in its own module and registers itself on ``main``:

- ``spec_cmds``     validate, render
- ``provider_cmds`` models, files ..., batches ...
- ``serve_cmd``     serve
- ``state_cmds``    plan, apply, status, destroy
"""

from __future__ import annotations

import importlib

import click

from specrun import __version__
from specrun.cli._common import SpecrunGroup

__all__ = ["main"]


@click.group(cls=SpecrunGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="specrun")
def main() -> None:
    """Declarative, infrastructure-as-code runner for LLM batch-inference jobs."""


for _module in ("spec_cmds", "provider_cmds", "serve_cmd", "state_cmds"):
    try:
        importlib.import_module(f"specrun.cli.{_module}")
    except ModuleNotFoundError as exc:  # a command module not written yet
        if exc.name != f"specrun.cli.{_module}":
            raise
