"""Where a spec's working files live, and the glue the state commands share.

``.specrun/`` beside the spec holds ``state.json`` (the state), ``state.lock``,
``ledger.sqlite`` (the row ledger, DESIGN §7),
``build/`` (rendered request shards), ``downloads/`` (provider output files,
cached under a hash of the provider and file id) and, for ``provider: local``,
``local/`` (the embedded provider's data, shared by the folder's specs).

Each spec file has its own state, lock, build and downloads folder (its *home*,
see ``state.spec_home``): the folder's first spec uses ``.specrun/`` itself, any
other spec ``.specrun/specs/<file name>/``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from specrun._files import atomic_write_bytes
from specrun.errors import SpecError
from specrun.ledger import LEDGER_FILE, Ledger, LedgerStore
from specrun.provider import Provider
from specrun.spec import Spec, load_spec
from specrun.state import FileStateStore, State, StateStore, spec_home, state_dir

__all__ = ["Workspace", "open_workspace", "ignore_outputs", "state_store", "ledger_store", "state_name",
           "backend_url"]

#: ``.specrun/.gitignore``: the row ledger, the local provider's data and the downloads
#: hold model outputs (and the build folder the requests, rows included): never commit them.
GITIGNORE = b"""# Written by specrun: these hold model outputs and rendered rows (state.json is yours to keep).
ledger.sqlite*
**/ledger.sqlite*
local/
**/downloads/
**/build/
*.lock
**/*.lock
"""


def backend_url(spec: Spec) -> str:
    """The database URL of the spec's backend, from its environment variable (never written anywhere)."""
    url = os.environ.get(spec.backend.url_env, "").strip()
    if not url:
        raise SpecError(f"{spec.display_path}: backend: {spec.backend.kind} reads the database URL from the "
                        f"environment variable {spec.backend.url_env}, which is not set")
    return url


def state_name(spec: Spec) -> str:
    """The spec's state name in a shared backend: ``backend.name``, else the spec's path in its git
    repository (the same on a laptop and a CI runner), else its absolute path (set ``name:`` then)."""
    if spec.backend.name:
        return spec.backend.name
    path = spec.path.resolve()
    for folder in path.parents:
        if (folder / ".git").exists():
            return path.relative_to(folder).as_posix()
    return path.as_posix()


def state_store(spec: Spec, home: Path) -> StateStore:
    """The spec's state store: ``state.json`` in its home, or its postgres backend."""
    if spec.backend.kind == "postgres":
        from specrun.backends import PostgresStateStore

        return PostgresStateStore(backend_url(spec), schema=spec.backend.schema, name=state_name(spec))
    return FileStateStore(home / "state.json")


def ledger_store(spec: Spec, home: Path) -> LedgerStore:
    """The spec's row ledger: ``ledger.sqlite`` in its home, or in its postgres backend."""
    if spec.backend.kind == "postgres":
        from specrun.backends import PostgresLedger

        ledger: LedgerStore = PostgresLedger(backend_url(spec), schema=spec.backend.schema, name=state_name(spec))
        return ledger
    return Ledger(home / LEDGER_FILE)


def ignore_outputs(root: Path) -> None:
    """Give ``.specrun/`` its own .gitignore (once; an edited one is left alone)."""
    path = root / ".gitignore"
    if not path.exists():
        root.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(path, GITIGNORE)


@dataclass
class Workspace:
    spec: Spec
    client: Provider
    provider: str                     # the provider identity recorded in state
    directory: Path                   # the spec's home: .specrun/ or .specrun/specs/<file name>/
    _store: StateStore | None = field(default=None, repr=False)

    @property
    def state_path(self) -> Path:
        return self.directory / "state.json"

    @property
    def store(self) -> StateStore:
        """The spec's state, with its lock: the file beside the spec, or the spec's ``backend:``."""
        if self._store is None:
            self._store = state_store(self.spec, self.directory)
        return self._store

    @property
    def build_dir(self) -> Path:
        return self.directory / "build"

    @property
    def downloads_dir(self) -> Path:
        return self.directory / "downloads"

    @property
    def ledger_path(self) -> Path:
        return self.directory / LEDGER_FILE

    def open_ledger(self) -> LedgerStore:
        """The spec's row ledger (DESIGN §7), created on first use: beside the state, or in its backend."""
        return ledger_store(self.spec, self.directory)

    def load_state(self) -> State | None:
        return self.store.load()

    def lock(self, command: str, timeout: float) -> AbstractContextManager[None]:
        return self.store.lock(command, timeout)


@contextmanager
def open_workspace(spec_path: Path, *, var_overrides: Mapping[str, str] | None = None,
                   base_url: str | None = None, verbose: bool = False,
                   claim: bool = False) -> Iterator[Workspace]:
    """Load the spec and open a client for its provider; closes the client on exit.

    ``claim``: the command writes state (plan/apply/destroy), so a spec without a
    home yet takes one (see ``state.spec_home``).
    """
    from specrun.connect import open_client

    if not spec_path.exists():
        raise SpecError(f"spec file {spec_path} not found (pass -f/--file SPEC)")
    spec = load_spec(spec_path, var_overrides)
    client, provider = open_client(spec, base_url, verbose=verbose)
    try:
        home = spec_home(spec.path, spec.jobs, claim=claim)
        if claim:
            ignore_outputs(state_dir(spec.path))
        yield Workspace(spec=spec, client=client, provider=provider, directory=home)
    finally:
        client.close()
