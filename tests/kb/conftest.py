"""Fixtures for the knowledge-base and fee-engine tests: the real kb/, and a scratch copy to break."""
from __future__ import annotations

import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path
from typing import Any, Callable

import pytest
import yaml

from bot.kb import KnowledgeBase, clear_cache, load_kb
from bot.kb.models import FeeSchedule

ROOT = Path(__file__).resolve().parents[2]
KB_DIR = ROOT / "kb"


@pytest.fixture(scope="session")
def kb() -> KnowledgeBase:
    clear_cache()
    return load_kb(KB_DIR)


@pytest.fixture(scope="session")
def schedule(kb: KnowledgeBase) -> FeeSchedule:
    """The schedule in force on the day the kb was last reviewed (2026-11-25)."""
    return kb.fee_schedule_on(date(2026, 11, 25))


@pytest.fixture
def kb_copy(tmp_path: Path) -> Path:
    """A private copy of kb/ (under tmp_path/kb) that a test may break."""
    target = tmp_path / "kb"
    shutil.copytree(KB_DIR, target)
    return target


def _edit_yaml(file: Path, change: Callable[[Any], None]) -> None:
    data = yaml.safe_load(file.read_text(encoding="utf-8"))
    change(data)
    file.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def _run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "bot.kb", *args], cwd=ROOT, capture_output=True, text=True, timeout=120
    )


# Helpers as fixtures: with --import-mode=importlib test modules cannot import from conftest.
@pytest.fixture
def edit_yaml() -> Callable[[Path, Callable[[Any], None]], None]:
    """edit_yaml(file, change): load a YAML file, let `change` mutate the data, write it back."""
    return _edit_yaml


@pytest.fixture(scope="session")
def run_cli() -> Callable[..., subprocess.CompletedProcess]:
    """run_cli(*args): `python -m bot.kb *args` in a subprocess, from the project root."""
    return _run_cli


@pytest.fixture(scope="session")
def project_root() -> Path:
    return ROOT
