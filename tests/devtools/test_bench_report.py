"""The benchmark's arithmetic and its summary line: what `make bench` prints is what it measured."""
from __future__ import annotations

import re

from bot.devtools.bench.conversations import SCRIPTS, capture
from bot.devtools.bench.load import Tally
from bot.devtools.bench.report import cost_split, line, percentile, row

# The issue's format, exactly.
LINE = re.compile(r"bench: profile \w+, concurrency \d+, \d+ msgs, [\d.]+ msg/s, p50 \d+ ms, p95 \d+ ms, "
                  r"p99 \d+ ms, errors \d+, rss_max \d+ MB")


def test_percentiles_are_nearest_rank():
    values = [float(v) for v in range(1, 101)]
    assert (percentile(values, 50), percentile(values, 95), percentile(values, 99)) == (50.0, 95.0, 99.0)
    assert percentile([7.0], 99) == 7.0 and percentile([], 50) is None


def test_a_level_is_summarised_in_the_issues_format():
    tally = Tally(latencies_ms=[100.0] * 90 + [400.0] * 10, errors=2, error_kinds={"timeout": 2}, replies_total=104)
    entry = row("embedded", "level", 10, 1.0, 20.0, tally, {"rasa-1": 1100.4, "actions-1": 240.0}, None,
                {"rasa-1": 10.4, "actions-1": 2.08})
    printed = line(entry)
    assert LINE.fullmatch(printed), printed
    assert "102 msgs, 5.0 msg/s, p50 100 ms, p95 400 ms, p99 400 ms, errors 2, rss_max 1100 MB" in printed
    assert entry["cpu_ms_per_msg"] == {"rasa-1": 100.0, "actions-1": 20.0}


def test_the_cost_split_is_the_difference_between_two_probe_readings():
    def totals(turns, nlu, action, retrieve, save, policies):
        return {"turn": {"count": turns[0], "seconds": turns[1]}, "nlu": {"count": turns[0], "seconds": nlu},
                "policies": {"count": 2 * turns[0], "seconds": policies},
                "action": {"count": turns[0], "seconds": action},
                "store_retrieve": {"count": turns[0], "seconds": retrieve},
                "store_save": {"count": turns[0], "seconds": save}}

    before = {11: totals((10, 1.0), 0.5, 0.2, 0.01, 0.04, 0.05)}
    after = {11: totals((30, 3.0), 1.5, 0.6, 0.03, 0.12, 0.15), 12: totals((10, 1.2), 0.6, 0.2, 0.01, 0.05, 0.05)}
    split = cost_split(before, after)
    assert split["turns"] == 30  # 20 more on the first server, 10 on the one that appeared
    ms = split["ms_per_turn"]
    assert ms["turn"] == 106.7 and ms["nlu"] == 53.3 and ms["action"] == 20.0 and ms["store"] == 5.3
    assert ms["other"] == round(ms["turn"] - ms["nlu"] - ms["policies"] - ms["action"] - ms["store"], 1)
    assert split["calls_per_turn"]["policies"] == 2.0
    assert cost_split(after, after) is None


def test_every_script_has_turns_and_the_complaint_refers_to_its_own_ticket():
    assert {script.name for script in SCRIPTS} == {"questions", "fee-calculator", "retention", "complaint"}
    captured = {}
    capture("已为您登记投诉，编号 CP-20261207-0042，我们会在24小时内联系您", captured)
    complaint = next(script for script in SCRIPTS if script.name == "complaint")
    import random

    assert complaint.turns[-1].text(captured, random.Random(1)).startswith("CP-20261207-0042")
