"""`python -m bot.cli.retention_report [--json]`: retention rate by reason and by request type."""
from __future__ import annotations

import argparse
import json
from typing import Optional

from bot import runtime
from bot.services.retention import format_report, report


def main(argv: Optional[list] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.cli.retention_report", description=__doc__)
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    args = parser.parse_args(argv)
    result = report(runtime.store())
    print(json.dumps(result.as_dict(), ensure_ascii=False, indent=2) if args.json else format_report(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
