"""`make bench`: simulated customers against the embedded and production profiles; see bot/devtools/bench.

    scripts/bench.py [--profile embedded|production|all] [--quick] [--levels 1,10,50,200] [--think 1.0]

Results: var/bench/latest.json and var/bench/latency.png; one summary line per level on stdout.
"""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.devtools.bench.run import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
