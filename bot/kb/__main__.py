"""Command line: `python -m bot.kb check [--kb DIR]`."""
from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path
from typing import List, Optional

from bot.kb.check import check_kb


def _kb_dir(value: Optional[str]) -> Path:
    if value:
        return Path(value)
    from bot.common.settings import get_settings

    return get_settings().kb_dir


def _check(args: argparse.Namespace) -> int:
    kb_dir = _kb_dir(args.kb)
    today = date.fromisoformat(args.today) if args.today else date.today()
    root = Path(args.project_root) if args.project_root else None
    report = check_kb(kb_dir, today, root)
    for warning in report.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    if not report.ok:
        print(f"kb check FAILED ({kb_dir}): {len(report.problems)} problem(s)", file=sys.stderr)
        for problem in report.problems:
            print(f"  - {problem}", file=sys.stderr)
        return 1
    print(report.summary)
    return 0


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.kb", description="Knowledge base tools.")
    commands = parser.add_subparsers(dest="command", required=True)

    check = commands.add_parser("check", help="validate kb/ and exit non-zero on any problem")
    check.add_argument("--kb", help="kb directory (default: settings kb_dir, env BOT_KB_DIR)")
    check.add_argument("--today", help="check review dates as of this ISO date (default: today)")
    check.add_argument(
        "--project-root", help="where data/ and domain files live for faq/<id> references (default: kb's parent)"
    )
    check.set_defaults(run=_check)

    args = parser.parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
