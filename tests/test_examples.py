"""Every example validates and renders; the installed wheel (not the source tree) validates specs."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from specrun.cli import main

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted(p.parent.name for p in (ROOT / "examples").glob("*/specrun.yaml"))


def test_the_examples_exist():
    assert {"quickstart", "summarize-csv", "classify-jsonl", "pipeline", "openai", "embeddings"} <= set(EXAMPLES)


@pytest.mark.parametrize("name", EXAMPLES)
def test_example_validates_and_renders(name, tmp_path):
    spec = str(ROOT / "examples" / name / "specrun.yaml")
    result = CliRunner().invoke(main, ["validate", "-f", spec])
    assert result.exit_code == 0, result.output
    assert result.output.endswith("is valid (2 jobs).\n" if name == "pipeline" else "is valid (1 job).\n")
    rendered = CliRunner().invoke(main, ["render", "-f", spec, "--out", str(tmp_path)])
    assert rendered.exit_code == 0, rendered.output
    assert list(tmp_path.glob("specrun-*.jsonl"))


def test_example_summaries(tmp_path):
    def summary(name: str) -> str:
        return CliRunner().invoke(main, ["validate", "-f", str(ROOT / "examples" / name / "specrun.yaml")]).output

    assert summary("quickstart").startswith("explain  3 rows  1 shard  meta-llama/Llama-3.1-8B-Instruct\n")
    assert summary("summarize-csv").startswith("summarize  20 rows  1 shard  meta-llama/Llama-3.1-8B-Instruct\n")
    assert summary("classify-jsonl").startswith("triage  18 rows  2 shards  Qwen/Qwen2.5-7B-Instruct\n")
    assert summary("embeddings").startswith("faq  5 rows  1 shard  BAAI/bge-m3\n")


def test_installed_wheel_ships_the_schema_and_validates(tmp_path):
    """Build a wheel from a copy of the sources and import specrun from it alone."""
    source = tmp_path / "src"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        if (ROOT / name).exists():
            shutil.copy(ROOT / name, source / name)
    if not (source / "README.md").exists():
        (source / "README.md").write_text("specrun\n")
    shutil.copytree(ROOT / "specrun", source / "specrun", ignore=shutil.ignore_patterns("__pycache__"))
    command = [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path / "dist"), str(source)]
    # Offline first (works when setuptools and wheel are installed); else let pip fetch the build backend.
    build = subprocess.run([*command, "--no-build-isolation"], capture_output=True, text=True, cwd=tmp_path)
    if build.returncode != 0:
        build = subprocess.run(command, capture_output=True, text=True, cwd=tmp_path, timeout=120)
    if build.returncode != 0:
        pytest.skip(f"cannot build a wheel here: {build.stderr[-300:]}")
    (wheel,) = (tmp_path / "dist").glob("specrun-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        assert "specrun/schemas/specrun.schema.json" in archive.namelist()
        archive.extractall(tmp_path / "site")
    site_packages = next(p for p in sys.path if p.endswith("site-packages"))
    # -S: skip site-packages' .pth files, so the editable install cannot shadow the wheel.
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path / "site"), site_packages])}
    spec = ROOT / "examples" / "summarize-csv" / "specrun.yaml"
    code = ("import specrun, sys; assert specrun.__file__.startswith(sys.argv[1]), specrun.__file__; "
            "from specrun.cli import main; main(['validate', '-f', sys.argv[2]])")
    result = subprocess.run([sys.executable, "-S", "-c", code, str(tmp_path / "site"), str(spec)],
                            capture_output=True, text=True, env=env, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "is valid (1 job)." in result.stdout
