"""The ``specrun`` command line: click commands only, no logic of their own.

Each group of commands lives in its own module and registers itself on ``main``:

- ``spec_cmds``     validate, render, graph
- ``provider_cmds`` models, files ..., batches ...
- ``serve_cmd``     serve
- ``state_cmds``    plan, apply, status, destroy
- ``ledger_cmds``   ledger stats, ledger prune
- ``backend_cmds``  backend migrate

A module is imported only when one of its commands runs (or ``--help`` lists them),
so ``specrun --version`` and ``specrun plan`` do not pay for the server stack or the
provider commands. Each command module keeps its own heavy imports inside the
functions that need them, so ``--help`` stays light too.
"""

from __future__ import annotations

import importlib

import click

from specrun import __version__
from specrun.cli._common import SpecrunGroup

__all__ = ["main"]

#: Command name -> "module:attribute" of the click command. Importing the module
#: registers its commands on ``main`` (``@main.command()``).
LAZY_COMMANDS: dict[str, str] = {
    "validate": "specrun.cli.spec_cmds:validate",
    "render": "specrun.cli.spec_cmds:render",
    "graph": "specrun.cli.spec_cmds:graph",
    "plan": "specrun.cli.state_cmds:plan",
    "apply": "specrun.cli.state_cmds:apply",
    "status": "specrun.cli.state_cmds:status",
    "destroy": "specrun.cli.state_cmds:destroy",
    "models": "specrun.cli.provider_cmds:models",
    "files": "specrun.cli.provider_cmds:files",
    "batches": "specrun.cli.provider_cmds:batches",
    "serve": "specrun.cli.serve_cmd:serve_command",
    "ledger": "specrun.cli.ledger_cmds:ledger",
    "backend": "specrun.cli.backend_cmds:backend",
}


class LazyGroup(click.Group):
    """A group whose commands (``LAZY_COMMANDS``) are listed by name and imported on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(super().list_commands(ctx)) | set(LAZY_COMMANDS))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        command = super().get_command(ctx, cmd_name)
        if command is not None or cmd_name not in LAZY_COMMANDS:
            return command
        module_name, _, attribute = LAZY_COMMANDS[cmd_name].partition(":")
        command = getattr(importlib.import_module(module_name), attribute)
        if not isinstance(command, click.Command):  # a programmer error in LAZY_COMMANDS
            raise TypeError(f"{LAZY_COMMANDS[cmd_name]} is not a click command")
        return command


class _MainGroup(SpecrunGroup, LazyGroup):
    """SpecrunGroup's command order and error boundary, over lazily imported commands."""


@click.group(cls=_MainGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="specrun")
def main() -> None:
    """Declarative, infrastructure-as-code runner for LLM batch-inference jobs."""
