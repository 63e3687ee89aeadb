"""`make bench`: the assistant under simulated customers, per profile, written to var/bench/.

For each profile: a warm-up, the parse floor (`/model/parse` alone: one client for its latency, then
enough clients to saturate it), the load levels (customers with think time), and a saturation run
(no think time, customers doubled until two steps in a row add no messages/s). Every row: messages/s,
latency percentiles, errors, the peak memory and CPU per message of each server process, and the
cost split of a turn from the servers' timing probes.
"""
from __future__ import annotations

import argparse
import asyncio
import dataclasses
import os
import signal
import subprocess
import sys
import time
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Tuple

from bot.devtools.bench import report, servers
from bot.devtools.bench.load import run_level

RESULTS = servers.ROOT / "var" / "bench"
RSS_EVERY_S = 0.5
PARSE_SATURATION_CLIENTS = 4
SATURATION_GAIN = 1.05  # a step that adds less than 5% messages/s ends the saturation run


@dataclass(frozen=True)
class Plan:
    levels: Tuple[int, ...]
    think: float
    level_s: float
    warmup_s: float
    parse_s: float
    saturation_steps: Tuple[int, ...]
    saturation_s: float

    @classmethod
    def full(cls, levels: Tuple[int, ...], think: float) -> "Plan":
        return cls(levels, think, level_s=25, warmup_s=4, parse_s=12, saturation_steps=(2, 4, 8, 16, 32),
                   saturation_s=12)

    @classmethod
    def quick(cls, levels: Tuple[int, ...], think: float) -> "Plan":
        return cls(levels, think, level_s=8, warmup_s=2, parse_s=5, saturation_steps=(4, 8), saturation_s=6)


class RssWatch:
    """The peak resident memory of each server process while a level runs, sampled from /proc."""

    def __init__(self, system: servers.System) -> None:
        self.system = system
        self.peaks: Dict[str, float] = {}
        self._task: Optional[asyncio.Task] = None

    def sample(self) -> None:
        for name, mb in self.system.rss_mb().items():
            self.peaks[name] = max(self.peaks.get(name, 0.0), mb)

    async def _loop(self) -> None:
        while True:
            self.sample()
            await asyncio.sleep(RSS_EVERY_S)

    async def __aenter__(self) -> "RssWatch":
        self._task = asyncio.create_task(self._loop())
        return self

    async def __aexit__(self, *exc: Any) -> None:
        self.sample()
        if self._task:
            self._task.cancel()


async def measure(system: servers.System, kind: str, customers: int, think: float, seconds: float,
                  warmup: float, parse_only: bool = False) -> Dict[str, Any]:
    before = servers.read_probes(system.probe_dir)
    cpu_before = system.cpu_s()
    async with RssWatch(system) as watch:
        tally, measured = await run_level(system.target, customers, think, seconds, warmup, parse_only=parse_only)
    cpu = {name: used - cpu_before.get(name, used) for name, used in system.cpu_s().items()}
    await asyncio.sleep(servers_probe_settle())
    split = None if parse_only else report.cost_split(before, servers.read_probes(system.probe_dir))
    return report.row(system.profile, kind, customers, think, measured, tally, watch.peaks, split, cpu)


def servers_probe_settle() -> float:
    from bot.tracking.bench_probe import WRITE_EVERY_S

    return WRITE_EVERY_S * 1.5


async def bench_system(system: servers.System, plan: Plan, emit: Callable[[Dict[str, Any]], None]) -> None:
    await run_level(system.target, 2, 0, plan.parse_s, 0)  # warm-up: first calls load lazy parts
    emit(await measure(system, "parse-floor", 1, 0, plan.parse_s, 1, parse_only=True))
    emit(await measure(system, "parse-floor", PARSE_SATURATION_CLIENTS, 0, plan.parse_s, 1, parse_only=True))
    for customers in plan.levels:
        emit(await measure(system, "level", customers, plan.think, plan.level_s, plan.warmup_s + plan.think))
    best, flat = 0.0, 0
    for customers in plan.saturation_steps:
        entry = await measure(system, "saturation", customers, 0, plan.saturation_s, 2)
        emit(entry)
        # Two steps in a row without a gain end it: one may be a busy moment of a shared machine.
        flat = 0 if entry["msgs_per_s"] >= best * SATURATION_GAIN else flat + 1
        best = max(best, entry["msgs_per_s"])
        if entry["errors"] or flat == 2:
            break


def summarise(rows: List[Dict[str, Any]], profile: str) -> Dict[str, Any]:
    """The issue's aims, each with the figures it was judged on."""
    mine = [r for r in rows if r["profile"] == profile]
    parse_one = next((r for r in mine if r["kind"] == "parse-floor" and r["concurrency"] == 1), None)
    parse_max = max((r["msgs_per_s"] for r in mine if r["kind"] == "parse-floor"), default=None)
    saturation = max((r["msgs_per_s"] for r in mine if r["kind"] == "saturation"), default=None)
    low = next((r for r in mine if r["kind"] == "level" and r["concurrency"] == 1), None)
    ten = next((r for r in mine if r["kind"] == "level" and r["concurrency"] == 10), None)
    rasa_rss = max((r["rasa_rss_max_mb"] or 0 for r in mine), default=None)
    ratio = (low["p50_ms"] / parse_one["p50_ms"]
             if low and parse_one and low["p50_ms"] and parse_one["p50_ms"] else None)
    share = (saturation / parse_max) if saturation and parse_max else None
    return {
        "parse_floor_p50_ms": parse_one and parse_one["p50_ms"], "parse_floor_msgs_per_s": parse_max,
        "saturation_msgs_per_s": saturation, "low_load_turn_over_parse": ratio and round(ratio, 2),
        "saturation_over_parse_floor": share and round(share, 2), "rasa_rss_max_mb": rasa_rss,
        "aims": {
            "errors_zero": all(r["errors"] == 0 for r in mine),
            "p95_under_150ms_at_10": bool(ten and ten["p95_ms"] is not None and ten["p95_ms"] < 150)
            if profile == "embedded" else None,
            "low_load_within_3x_parse": ratio is not None and ratio <= 3,
            "saturation_at_least_70pct_of_parse": share is not None and share >= 0.7,
            "rasa_under_1_5_gb": rasa_rss is not None and rasa_rss < 1536,
        },
    }


def machine() -> Dict[str, Any]:
    """The machine, its load, and the fee engine's speed: at equal speeds two runs compare."""
    import datetime
    import timeit
    from decimal import Decimal

    from bot.kb import load_kb
    from bot.services import fees

    schedule = load_kb().fee_schedule_on(datetime.date.today())
    order = fees.OrderRequest(side="sell", quantity=2000, price=Decimal("25"), amount=None)
    seconds = timeit.timeit(lambda: fees.quote(order, schedule), number=5000)
    return {"cpus": os.cpu_count(), "loadavg_at_start": [round(x, 2) for x in os.getloadavg()],
            "fee_engine_quotes_per_s": round(5000 / seconds), "python": sys.version.split()[0]}


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="scripts/bench.py", description=__doc__.split("\n")[0])
    parser.add_argument("--profile", choices=("embedded", "production", "all"), default="all",
                        help="all: embedded, then production when scripts/production.sh exists")
    parser.add_argument("--quick", action="store_true", help="short runs, for development (noisy figures)")
    parser.add_argument("--levels", default="1,10,50,200", help="customers per level, comma-separated")
    parser.add_argument("--think", type=float, default=1.0, help="seconds between a customer's messages")
    parser.add_argument("--seconds", type=float, help="override the measured seconds of each level and step")
    parser.add_argument("--rasa-servers", type=int, default=2, help="production profile: Rasa servers")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    # A stopped benchmark (TERM, as from `timeout`) still stops the servers it started.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    levels = tuple(int(x) for x in args.levels.split(",") if x.strip())
    plan = (Plan.quick if args.quick else Plan.full)(levels, args.think)
    if args.seconds:
        plan = dataclasses.replace(plan, level_s=args.seconds, saturation_s=args.seconds)
    profiles = ["embedded", "production"] if args.profile == "all" else [args.profile]
    if args.profile == "all" and not (servers.ROOT / "scripts" / "production.sh").exists():
        profiles = ["embedded"]
    started = time.time()
    document: Dict[str, Any] = {"started_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "machine": machine(),
                                "plan": plan.__dict__, "rows": [], "summary": {}, "failures": {}}
    failed = False

    def emit(entry: Dict[str, Any]) -> None:
        document["rows"].append(entry)
        print(report.line(entry), flush=True)
        report.write_json(args.out / "latest.json", document)

    for profile in profiles:
        system = None
        try:
            print(f"bench: starting the {profile} profile", file=sys.stderr, flush=True)
            system = (servers.start_embedded(args.out) if profile == "embedded"
                      else servers.start_production(args.out, rasa_servers=args.rasa_servers))
            document.setdefault("processes", {})[profile] = system.processes
            asyncio.run(bench_system(system, plan, emit))
            document.setdefault("rss_high_water_mb", {})[profile] = system.rss_high_water_mb()
            document["summary"][profile] = summarise(document["rows"], profile)
        except (Exception, subprocess.SubprocessError) as error:  # one profile failing still reports the other
            failed = True
            document["failures"][profile] = "".join(traceback.format_exception_only(type(error), error)).strip()
            print(f"bench: profile {profile} failed: {document['failures'][profile]}", file=sys.stderr, flush=True)
        finally:
            if system is not None:
                system.stop()
    document["seconds"] = round(time.time() - started, 1)
    report.write_json(args.out / "latest.json", document)
    if document["rows"]:
        report.plot(args.out / "latency.png", document["rows"])
    for profile, summary in document["summary"].items():
        print(f"bench: {profile}: " + ", ".join(f"{k} {v}" for k, v in summary.items() if k != "aims"), flush=True)
        print(f"bench: {profile} aims: " + ", ".join(f"{k} {'met' if v else 'NOT met'}"
                                                      for k, v in summary["aims"].items() if v is not None), flush=True)
    print(f"bench: wrote {args.out / 'latest.json'} and {args.out / 'latency.png'} in {document['seconds']:.0f} s",
          flush=True)
    return 1 if failed else 0
