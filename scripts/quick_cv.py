"""A 30-second stand-in for `make eval` while writing NLU data: the pipeline's intent model (word
counts, character 1–3-grams, class-balanced logistic regression) rebuilt in scikit-learn, 5-fold
cross-validated, with the most frequent confusions; --errors lists every misclassified example and
--fallback what each FallbackClassifier setting would cost and catch.

`make eval` (Rasa's own cross-validation) takes 15–20 minutes on 2 cores; this tracks it within
about one point, so a data change can be checked first.

    .venv/bin/python scripts/quick_cv.py [--errors] [--fallback]
"""
from __future__ import annotations

import argparse
import collections
from pathlib import Path

import jieba
import opencc
from rasa.shared.nlu.training_data.loading import load_data
import numpy as np
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import classification_report, f1_score
from sklearn.model_selection import StratifiedKFold, cross_val_predict
from sklearn.pipeline import make_pipeline, make_union

ROOT = Path(__file__).resolve().parent.parent
_TO_SIMPLIFIED = opencc.OpenCC("t2s")


def load_examples(folder: Path) -> tuple[list[str], list[str]]:
    """Texts (simplified, lower-case) and intents, retrieval intents grouped as Rasa reports them."""
    data = load_data(str(folder))
    texts = [_TO_SIMPLIFIED.convert(m.get("text")).lower() for m in data.intent_examples]
    intents = [m.get("intent").split("/")[0] for m in data.intent_examples]
    return texts, intents


def words(text: str) -> list[str]:
    return [w for w in jieba.lcut(text) if w.strip()]


def pipeline_like_model():
    """The features and classifier of config.yml, as scikit-learn sees them inside Rasa."""
    features = make_union(
        CountVectorizer(tokenizer=words, token_pattern=None),
        CountVectorizer(analyzer="char_wb", ngram_range=(1, 3), min_df=2),
    )
    return make_pipeline(features, LogisticRegression(max_iter=300, class_weight="balanced"))


def fallback_table(probabilities: np.ndarray, classes: np.ndarray, intents: list[str]) -> None:
    """Correct answers lost and errors caught for each threshold × ambiguity_threshold."""
    ranked = probabilities.argsort(axis=1)[:, ::-1]
    rows = np.arange(len(intents))
    confidence = probabilities[rows, ranked[:, 0]]
    margin = confidence - probabilities[rows, ranked[:, 1]]
    right = classes[ranked[:, 0]] == np.array(intents)
    for threshold in (0.25, 0.3, 0.35, 0.4, 0.5, 0.6):
        for ambiguity in (0.0, 0.02, 0.05, 0.1):
            falls_back = (confidence < threshold) | (margin < ambiguity)
            lost, caught = (falls_back & right).sum(), (falls_back & ~right).sum()
            print(f"threshold {threshold:.2f} ambiguity {ambiguity:.2f}: correct lost {lost:4d} "
                  f"({lost / right.sum():.1%}), errors caught {caught:3d}/{(~right).sum()}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--errors", action="store_true", help="list every misclassified example")
    parser.add_argument("--fallback", action="store_true", help="compare FallbackClassifier settings")
    args = parser.parse_args()

    jieba.setLogLevel(60)
    for dictionary in sorted((ROOT / "data" / "jieba").iterdir()):
        jieba.load_userdict(str(dictionary))
    texts, intents = load_examples(ROOT / "data" / "nlu")
    folds = StratifiedKFold(5, shuffle=True, random_state=0)
    probabilities = cross_val_predict(
        pipeline_like_model(), texts, intents, cv=folds, n_jobs=2, method="predict_proba"
    )
    classes = np.array(sorted(set(intents)))
    predicted = list(classes[probabilities.argmax(axis=1)])

    print(f"{len(texts)} examples, weighted F1 {f1_score(intents, predicted, average='weighted'):.3f}")
    print(classification_report(intents, predicted, digits=3))
    confusions = collections.Counter((a, b) for a, b in zip(intents, predicted) if a != b)
    for (gold, guess), count in confusions.most_common(20):
        print(f"{count:4d}  {gold} -> {guess}")
    if args.fallback:
        fallback_table(probabilities, classes, intents)
    if args.errors:
        for text, gold, guess in sorted(zip(texts, intents, predicted), key=lambda r: (r[1], r[2])):
            if gold != guess:
                print(f"{gold:26} -> {guess:26} {text}")


if __name__ == "__main__":
    main()
