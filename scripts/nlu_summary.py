"""Prints the headline NLU figures from a `rasa test nlu` results folder."""
from __future__ import annotations

import json
import sys
from pathlib import Path


def headline(report: Path) -> str:
    data = json.loads(report.read_text(encoding="utf-8"))
    avg = data.get("weighted avg") or data.get("macro avg") or {}
    acc = data.get("accuracy")
    parts = [f"{report.parent.name}/{report.name}:"]
    if acc is not None:
        parts.append(f"accuracy {acc:.3f}")
    parts.append(f"weighted F1 {avg.get('f1-score', float('nan')):.3f}")
    parts.append(f"precision {avg.get('precision', float('nan')):.3f}")
    parts.append(f"recall {avg.get('recall', float('nan')):.3f}")
    return "  ".join(parts)


def main(folder: str) -> None:
    root = Path(folder)
    for name in ("intent_report.json", "response_selection_report.json", "SecuritiesEntityExtractor_report.json"):
        for report in sorted(root.rglob(name)):
            print(headline(report))


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "results/nlu")
