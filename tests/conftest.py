"""Session-wide test settings."""

from __future__ import annotations

import os

import pytest


@pytest.fixture(scope="session", autouse=True)
def user_state_home(tmp_path_factory: pytest.TempPathFactory):
    """The user's state folder (``$XDG_STATE_HOME``: the Anthropic client's creation journal)
    is a temporary one, for in-process runs and the CLI subprocesses alike: tests never write
    into the home folder of whoever runs them."""
    saved = os.environ.get("XDG_STATE_HOME")
    os.environ["XDG_STATE_HOME"] = str(tmp_path_factory.mktemp("xdg-state"))
    yield
    if saved is None:
        del os.environ["XDG_STATE_HOME"]
    else:
        os.environ["XDG_STATE_HOME"] = saved
