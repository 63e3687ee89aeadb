"""Chooses the FallbackClassifier threshold from cross-validation: at each threshold, how many correct
predictions would turn into "please rephrase" and how many wrong ones would be caught."""
from __future__ import annotations

import json
import sys
from pathlib import Path


def confidences(path: Path) -> list:
    if not path.exists():
        return []
    return [e["intent_prediction"]["confidence"] for e in json.loads(path.read_text(encoding="utf-8"))]


def main(folder: str) -> None:
    root = Path(folder)
    right = confidences(root / "intent_successes.json")
    wrong = confidences(root / "intent_errors.json")
    if not right:
        print("no intent_successes.json: run rasa test nlu with --successes")
        return
    print(f"fallback threshold (CV: {len(right)} correct, {len(wrong)} wrong predictions)")
    best = None
    for step in range(20, 75, 5):
        t = step / 100
        lost = sum(c < t for c in right)
        caught = sum(c < t for c in wrong)
        print(f"  {t:.2f}: correct answers lost {lost:4d} ({lost / len(right):.1%}), errors caught {caught:3d}/{len(wrong)}")
        score = caught - lost
        if best is None or score > best[0]:
            best = (score, t)
    print(f"  best trade-off: {best[1]:.2f}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "results/nlu")
