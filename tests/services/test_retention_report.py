"""`python -m bot.cli.retention_report` shows retention rates by reason and by request type."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

from bot.store import retention_cases
from bot.store.db import init_store

ROOT = Path(__file__).resolve().parents[2]


def test_report_counts_each_case_once_with_its_outcome(tmp_path):
    url = f"sqlite:///{tmp_path / 'bot.db'}"
    store = init_store(url)
    now = datetime(2026, 11, 25, 3, 0, tzinfo=timezone.utc)
    outcomes = [("c1", "fees_too_high", "retained"), ("c2", "fees_too_high", "left"), ("c3", "branch_far", "left")]
    for conversation, reason, outcome in outcomes:
        with store.session() as session, session.begin():
            case = retention_cases.open_case(session, conversation, now, request_type="change_broker", channel="rest")
            retention_cases.update_case(session, case.id, now, reason_class=reason)
            retention_cases.close_case(session, case.id, outcome, now)
    result = subprocess.run([sys.executable, "-m", "bot.cli.retention_report", "--json"], cwd=ROOT,
                            env=dict(os.environ, DATABASE_URL=url), capture_output=True, text=True, check=True)
    report = json.loads(result.stdout)
    assert report["overall"]["total"] == 3
    assert report["by_reason_class"]["fees_too_high"]["retention_rate"] == 0.5
    assert report["by_reason_class"]["branch_far"]["left"] == 1
    assert report["by_request_type"]["change_broker"]["retained"] == 1
    table = subprocess.run([sys.executable, "-m", "bot.cli.retention_report"], cwd=ROOT,
                           env=dict(os.environ, DATABASE_URL=url), capture_output=True, text=True, check=True)
    assert "fees_too_high" in table.stdout and "50%" in table.stdout
