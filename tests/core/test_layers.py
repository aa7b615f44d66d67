"""The one-way layers of shared/CONVENTIONS.md and no import circle inside an app, checked by
import-linter over every import (module level and inside functions): the contracts in
pyproject.toml hold, and the tool does see a violation when there is one."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LINT = Path(sys.executable).parent / "lint-imports"


def _lint(config: Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(LINT), "--no-cache", "--config", str(config)], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)


def test_the_layers_and_the_read_write_split_hold():
    result = _lint(ROOT / "pyproject.toml")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Contracts: 3 kept, 0 broken." in result.stdout


def test_the_linter_sees_a_layer_turned_upside_down(tmp_path):
    """Positive control: with core placed above reports the contract must break (reports imports core)."""
    config = tmp_path / "upside-down.toml"
    config.write_text('[tool.importlinter]\nroot_packages = ["reports", "core"]\n\n'
                      '[[tool.importlinter.contracts]]\nname = "upside down"\ntype = "layers"\n'
                      'layers = ["core", "reports"]\n')
    result = _lint(config)
    assert result.returncode != 0 and "reports is not allowed to import core" in result.stdout
