"""The build engine type-checks: mypy with the project's configuration (pyproject.toml,
[tool.mypy]: every function of build_scripts typed) reports no error."""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def test_build_scripts_type_checks():
    try:
        import mypy  # noqa: F401
    except ImportError:  # a missing checker must not look like a passing check
        pytest.fail("mypy is not installed: it is in the test extra (pip install -e '.[test]')")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--no-incremental",
            "--config-file",
            str(ROOT / "pyproject.toml"),
            "build_scripts",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Success" in result.stdout
