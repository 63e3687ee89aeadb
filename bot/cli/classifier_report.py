"""Held-out accuracy of the reason and complaint classifiers.

    python -m bot.cli.classifier_report [--kb-dir kb] [--data-dir tests/services/data] [--min-accuracy 0.85]

The held-out files map each label to wordings that are *not* kb examples; the tests use the same
functions, so the number printed here is the number the tests assert on.
"""
from __future__ import annotations

import argparse
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, List, Optional, Sequence, Tuple

import yaml

from bot.services.complaint_categories import classify_complaint
from bot.kb.playbooks import load_complaints, load_retention
from bot.services.retention_reasons import classify_reason
from bot.common.settings import PROJECT_ROOT
from bot.services.text_classifier import Classification

DATA_DIR = PROJECT_ROOT / "tests" / "services" / "data"
RETENTION_HELDOUT = "retention_heldout.yml"
COMPLAINTS_HELDOUT = "complaints_heldout.yml"


@dataclass(frozen=True)
class Miss:
    text: str
    expected: str
    got: str
    confidence: float


@dataclass(frozen=True)
class EvalReport:
    name: str
    labels: Tuple[str, ...]
    total: int
    correct: int
    confusion: Counter  # (expected, got) → count
    misses: Tuple[Miss, ...]

    @property
    def accuracy(self) -> float:
        return self.correct / self.total if self.total else 0.0

    def format(self) -> str:
        width = max(len(label) for label in self.labels)
        lines = [f"{self.name}: accuracy {self.accuracy:.3f} ({self.correct}/{self.total})",
                 "confusion (rows = expected, columns = predicted):",
                 " " * (width + 2) + " ".join(f"{i:>3}" for i in range(len(self.labels)))]
        for i, expected in enumerate(self.labels):
            row = " ".join(f"{self.confusion[(expected, got)]:>3}" for got in self.labels)
            lines.append(f"{expected:<{width}}  {row}   [{i}]")
        lines += [f"  miss: {m.text!r} expected {m.expected}, got {m.got} ({m.confidence:.2f})" for m in self.misses]
        return "\n".join(lines)


def load_heldout(path: Path) -> List[Tuple[str, str]]:
    """(text, label) pairs from a `label: [wordings…]` YAML file."""
    with Path(path).open(encoding="utf-8") as handle:
        data = yaml.safe_load(handle)
    return [(text, label) for label, texts in data.items() for text in texts]


def evaluate(name: str, items: Sequence[Tuple[str, str]], classify: Callable[[str], Classification],
             labels: Sequence[str]) -> EvalReport:
    confusion: Counter = Counter()
    misses = []
    for text, expected in items:
        result = classify(text)
        confusion[(expected, result.label)] += 1
        if result.label != expected:
            misses.append(Miss(text, expected, result.label, result.confidence))
    correct = sum(count for (expected, got), count in confusion.items() if expected == got)
    return EvalReport(name, tuple(labels), len(items), correct, confusion, tuple(misses))


def retention_report(kb_dir: Path, data_dir: Path = DATA_DIR) -> EvalReport:
    playbook = load_retention(kb_dir)
    return evaluate(RETENTION_HELDOUT, load_heldout(data_dir / RETENTION_HELDOUT),
                    lambda text: classify_reason(text, playbook), [r.id for r in playbook.reasons])


def complaints_report(kb_dir: Path, data_dir: Path = DATA_DIR) -> EvalReport:
    catalogue = load_complaints(kb_dir)
    return evaluate(COMPLAINTS_HELDOUT, load_heldout(data_dir / COMPLAINTS_HELDOUT),
                    lambda text: classify_complaint(text, catalogue), [c.id for c in catalogue.categories])


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.cli.classifier_report", description=__doc__.splitlines()[0])
    parser.add_argument("--kb-dir", type=Path, default=PROJECT_ROOT / "kb")
    parser.add_argument("--data-dir", type=Path, default=DATA_DIR)
    parser.add_argument("--min-accuracy", type=float, default=0.0, help="exit 1 if any file scores below this")
    args = parser.parse_args(argv)
    reports = [retention_report(args.kb_dir, args.data_dir), complaints_report(args.kb_dir, args.data_dir)]
    print("\n\n".join(report.format() for report in reports))
    return 0 if all(report.accuracy >= args.min_accuracy for report in reports) else 1


if __name__ == "__main__":
    sys.exit(main())
