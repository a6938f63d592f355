"""Start-up stays light: a command imports only what it uses (issue 10).

Each check runs the real CLI in a fresh interpreter and looks at ``sys.modules``
afterwards: a module imported by an earlier test in this process would hide a
regression otherwise.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import click
from click.testing import CliRunner

from specrun.cli import LAZY_COMMANDS, main
from specrun.cli._common import SpecrunGroup

#: Imported by no command that only prints: the server stack, the terminal UI, the
#: HTTP client, spec validation, templating, YAML and the state lock.
HEAVY = ("fastapi", "uvicorn", "starlette", "rich", "httpx", "jsonschema", "jinja2", "yaml", "filelock")
SERVER_STACK = ("fastapi", "uvicorn", "starlette")

_RUN_AND_LIST_MODULES = """
import json, sys
from specrun.cli import main
try:
    main(sys.argv[1:], prog_name="specrun")
except SystemExit:
    pass
print("MODULES=" + json.dumps(sorted(sys.modules)), file=sys.stderr)
"""


def modules_after(*args: str, cwd: Path | None = None) -> set[str]:
    """The modules loaded after ``specrun ARGS`` ran in a fresh interpreter."""
    proc = subprocess.run([sys.executable, "-c", _RUN_AND_LIST_MODULES, *args], cwd=cwd,
                          capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=120)
    marker = [line for line in proc.stderr.splitlines() if line.startswith("MODULES=")]
    assert marker, proc.stderr
    return set(json.loads(marker[-1].removeprefix("MODULES=")))


def loaded(modules: set[str], names: tuple[str, ...]) -> list[str]:
    return [name for name in names if name in modules]


def test_version_imports_nothing_heavy() -> None:
    modules = modules_after("--version")
    assert loaded(modules, HEAVY) == []
    assert sorted(m for m in modules if m.startswith("specrun.")) == ["specrun.cli", "specrun.cli._common",
                                                                      "specrun.errors"]


def test_help_imports_nothing_heavy() -> None:
    modules = modules_after("--help")
    assert loaded(modules, HEAVY) == []
    assert loaded(modules, ("specrun.plan", "specrun.apply", "specrun.spec", "specrun.client", "specrun.local")) == []


def test_help_lists_every_command_in_workflow_order() -> None:
    result = CliRunner().invoke(main, ["--help"])
    assert result.exit_code == 0, result.output
    listed = result.output.split("Commands:\n", 1)[1].splitlines()
    names = [line.split()[0] for line in listed if line.startswith("  ")]
    assert names == list(SpecrunGroup.ORDER)
    assert set(names) == set(LAZY_COMMANDS)


def test_every_lazy_command_resolves_to_the_command_of_that_name() -> None:
    with click.Context(main) as ctx:
        for name in LAZY_COMMANDS:
            command = main.get_command(ctx, name)
            assert isinstance(command, click.Command)
            assert command.name == name


def test_unknown_command_is_a_usage_error() -> None:
    result = CliRunner().invoke(main, ["nosuch"])
    assert result.exit_code == 1
    assert "No such command 'nosuch'" in result.output


def test_command_help_imports_only_its_own_module() -> None:
    modules = modules_after("plan", "--help")
    assert loaded(modules, HEAVY) == []
    assert "specrun.cli.provider_cmds" not in modules
    assert "specrun.cli.serve_cmd" not in modules


def test_plan_on_the_embedded_provider_skips_the_server_stack_and_the_executor(tmp_path: Path) -> None:
    (tmp_path / "data.csv").write_text("id,q\n1,hello\n2,world\n", encoding="utf-8")
    (tmp_path / "specrun.yaml").write_text(
        "version: 1\n"
        "provider: local\n"
        "jobs:\n"
        "  ask:\n"
        "    model: meta-llama/Llama-3.1-8B-Instruct\n"
        "    data: data.csv\n"
        "    id: \"q-{{ row.id }}\"\n"
        "    messages: [{role: user, content: \"{{ row.q }}\"}]\n"
        "    params: {max_tokens: 16}\n",
        encoding="utf-8",
    )
    modules = modules_after("plan", cwd=tmp_path)
    assert "specrun.local.embedded" in modules  # it did talk to the embedded provider
    assert loaded(modules, SERVER_STACK) == []
    assert "specrun.local.app" not in modules
    assert "specrun.apply" not in modules


def test_local_package_still_exports_every_name() -> None:
    import specrun.local

    for name in specrun.local.__all__:
        assert getattr(specrun.local, name) is not None
    assert set(specrun.local.__all__) <= set(dir(specrun.local))
