"""`make soak`: one profile (embedded by default) under moderate load for ten minutes, memory read every minute.

Memory is stable when no server process grows by more than `STABLE_GROWTH` between the end of the
second reading (caches warm) and the end of the run. Written to var/bench/soak-<profile>.json.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import signal
import sys
import time
from pathlib import Path
from typing import Any, Dict, List, Optional

from bot.devtools.bench import servers
from bot.devtools.bench.load import run_level
from bot.devtools.bench.run import RESULTS, measure

STABLE_GROWTH = 0.05


async def soak(system: servers.System, customers: int, minutes: int, window_s: float) -> List[Dict[str, Any]]:
    await run_level(system.target, 2, 0, 5, 0)  # warm-up: first calls load lazy parts
    windows = []
    for minute in range(1, minutes + 1):
        row = await measure(system, "soak", customers, 1.0, window_s, 0)
        row["minute"] = minute
        row["rss_end_mb"] = {name: round(mb, 1) for name, mb in system.rss_mb().items()}
        windows.append(row)
        rss = ", ".join(f"{name} {mb:.0f} MB" for name, mb in sorted(row["rss_end_mb"].items()))
        print(f"soak: at {minute * window_s:.0f} s, {row['messages']} msgs, {row['msgs_per_s']} msg/s, p95 {row['p95_ms']} ms, "
              f"errors {row['errors']}, rss {rss}", flush=True)
    return windows


def growth(windows: List[Dict[str, Any]]) -> Dict[str, float]:
    """Each process's memory growth from the second reading (or the first) to the last, as a share."""
    base = windows[min(1, len(windows) - 1)]["rss_end_mb"]
    last = windows[-1]["rss_end_mb"]
    return {name: round((last[name] - base[name]) / base[name], 4) for name in last if base.get(name)}


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.devtools.bench.soak", description=__doc__.split("\n")[0])
    parser.add_argument("--profile", choices=("embedded", "production"), default="embedded")
    parser.add_argument("--customers", type=int, default=20)
    parser.add_argument("--minutes", type=int, default=10)
    parser.add_argument("--window", type=float, default=60.0, help="seconds between memory readings")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    started = time.time()
    system = (servers.start_embedded(args.out) if args.profile == "embedded"
              else servers.start_production(args.out, rasa_servers=2))
    try:
        windows = asyncio.run(soak(system, args.customers, args.minutes, args.window))
    finally:
        system.stop()
    grew = growth(windows)
    errors = sum(w["errors"] for w in windows)
    stable = all(share <= STABLE_GROWTH for share in grew.values())
    document = {"profile": args.profile, "customers": args.customers, "minutes": args.minutes, "seconds": round(time.time() - started, 1),
                "errors": errors, "rss_growth": grew, "stable": stable, "windows": windows}
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / f"soak-{args.profile}.json").write_text(json.dumps(document, indent=2, ensure_ascii=False))
    print(f"soak: {args.profile}, {args.customers} customers for {args.minutes} min, errors {errors}, memory growth after the second reading: "
          + ", ".join(f"{name} {share:+.1%}" for name, share in sorted(grew.items()))
          + (" (stable)" if stable else " (NOT stable)"), flush=True)
    return 0 if stable and errors == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
