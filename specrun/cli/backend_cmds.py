"""``specrun backend migrate --to postgres|local``: move a spec's state and row ledger (DESIGN §9)."""

from __future__ import annotations

import dataclasses

import click

from specrun._text import safe
from specrun.cli import main
from specrun.cli._common import CommonOptions, common_options
from specrun.errors import SpecError

__all__ = ["backend"]


@main.group()
def backend() -> None:
    """Where the state, its lock and the row ledger live (local files, or a shared database)."""


@backend.command("migrate")
@click.option("--to", "to", type=click.Choice(["postgres", "local"]), required=True,
              help="Where to move the state and the ledger.")
@common_options
def backend_migrate(to: str, opts: CommonOptions) -> None:
    """Move the spec's state and row ledger to postgres, or back to .specrun/ beside the spec.

    The postgres side is the spec's backend: settings (url_env, schema, name), or the
    defaults (SPECRUN_PG_URL, schema specrun, the spec's path in its git repository).
    Both sides are locked while moving; a target holding another lineage is refused.
    """
    from specrun.migrate import migrate
    from specrun.spec import BackendConfig, load_spec
    from specrun.state import spec_home
    from specrun.workspace import ledger_store, state_store

    if not opts.spec_path.exists():
        raise SpecError(f"spec file {opts.spec_path} not found (pass -f/--file SPEC)")
    spec = load_spec(opts.spec_path, opts.vars)
    home = spec_home(spec.path, spec.jobs, claim=True)
    postgres = spec.backend if spec.backend.kind == "postgres" else dataclasses.replace(
        spec.backend, kind="postgres")
    local_spec = dataclasses.replace(spec, backend=BackendConfig())
    postgres_spec = dataclasses.replace(spec, backend=postgres)
    source_spec, target_spec = (local_spec, postgres_spec) if to == "postgres" else (postgres_spec, local_spec)
    words = {"local": f"the local state in {home}", "postgres": f"the postgres backend (schema {postgres.schema})"}
    source_words = words["postgres" if to == "local" else "local"]
    source, target = state_store(source_spec, home), state_store(target_spec, home)
    source_ledger, target_ledger = ledger_store(source_spec, home), ledger_store(target_spec, home)
    try:
        with source.lock("backend migrate", opts.lock_timeout), target.lock("backend migrate", opts.lock_timeout):
            moved = migrate(source, source_ledger, target, target_ledger, source_words=source_words,
                            target_words=words[to])
    finally:
        source_ledger.close()
        target_ledger.close()
    click.echo(safe(f"Moved {moved.jobs} job(s) and {moved.answers:,} ledger answer(s) from {source_words} to "
                    f"{words[to]} (state serial {moved.serial})."))
    if spec.backend.kind != to:
        click.echo(f"Now set `backend: {{type: {to}}}` in {spec.display_path}" if to == "postgres" else
                   f"Now remove `backend:` from {spec.display_path} (or set type: local)")
