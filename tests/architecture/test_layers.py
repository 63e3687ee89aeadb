"""The layers of docs/architecture.md hold: `lint-imports` keeps every contract in .importlinter."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_import_contracts_are_kept():
    lint = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run([str(lint), "--config", str(ROOT / ".importlinter")], cwd=ROOT, capture_output=True,
                            text=True, env={"PYTHONPATH": str(ROOT), "PATH": str(lint.parent)})
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert "Contracts: 2 kept, 0 broken." in result.stdout


def test_the_front_ends_do_not_name_the_store():
    """The text check of the layering: no `bot.store` anywhere in actions, channels or the web app."""
    found = subprocess.run(["git", "grep", "-n", "bot.store", "--", "actions", "bot/channels", "bot/web"],
                           cwd=ROOT, capture_output=True, text=True)
    assert found.stdout == "", found.stdout
