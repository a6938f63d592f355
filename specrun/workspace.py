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

from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path

from specrun._files import atomic_write_bytes
from specrun.errors import SpecError
from specrun.ledger import LEDGER_FILE, Ledger
from specrun.provider import Provider
from specrun.spec import Spec, load_spec
from specrun.state import FileStateStore, State, spec_home, state_dir

__all__ = ["Workspace", "open_workspace", "ignore_outputs"]

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

    @property
    def state_path(self) -> Path:
        return self.directory / "state.json"

    @property
    def store(self) -> FileStateStore:
        """The spec's state, with its lock (the file store; see ``state.StateStore``)."""
        return FileStateStore(self.state_path)

    @property
    def build_dir(self) -> Path:
        return self.directory / "build"

    @property
    def downloads_dir(self) -> Path:
        return self.directory / "downloads"

    @property
    def ledger_path(self) -> Path:
        return self.directory / LEDGER_FILE

    def open_ledger(self) -> Ledger:
        """The spec's row ledger (DESIGN §7), created on first use."""
        return Ledger(self.ledger_path)

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
