"""The apps' layers hold, and the check that keeps them fails on a cycle."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")

pytestmark = pytest.mark.skipif(not LINT_IMPORTS.exists(), reason="import-linter is not installed")


def lint_imports(root: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"], cwd=root, capture_output=True, text=True, timeout=300, check=False
    )


def test_the_project_keeps_its_layers():
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr


def test_an_import_from_a_lower_layer_up_breaks_the_check(tmp_path):
    shutil.copytree(ROOT / "px360", tmp_path / "px360", ignore=shutil.ignore_patterns("__pycache__", "static"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    # The platform reaching up into the surveys app: the cycle the layers forbid.
    with (tmp_path / "px360" / "core" / "models.py").open("a") as models:
        models.write("\nfrom px360.surveys import services  # noqa\n")

    result = lint_imports(tmp_path)

    assert result.returncode != 0
    assert "px360.core is not allowed to import px360.surveys" in result.stdout
