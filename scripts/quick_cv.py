"""A few-minute stand-in for `make eval` while writing NLU data: the pipeline's intent model (word
counts, the sentence's character 1–3-grams, the sentence embedding, the entity-mention features,
class-balanced logistic regression over FAQ articles blended with the one-layer network and the
regression on the encoders' vectors) rebuilt
in scikit-learn, 5-fold cross-validated, with the most frequent confusions; --errors lists every
misclassified example and --fallback what each FallbackClassifier setting would cost and catch.

`make eval` (Rasa's own cross-validation) takes about an hour on 2 cores; this takes 5–10 minutes,
so a data change can be checked here first. It leaves out the RegexFeaturizer's few pattern
features; otherwise its features are the intent classifier's (docs/nlu.md).

    .venv/bin/python scripts/quick_cv.py [--errors] [--fallback] [--split N]
"""
from __future__ import annotations

import argparse
import collections
from pathlib import Path

import jieba
import numpy as np
import yaml
from rasa.shared.nlu.training_data.loading import load_data
from scipy.sparse import csr_matrix, hstack
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import classification_report, f1_score
from sklearn.model_selection import StratifiedKFold

from bot.nlu.entities import SecuritiesEntityExtractor
from bot.nlu.entity_features import mention_vector
from bot.nlu.intent_classifier import IntentClassifier, fit_network
from bot.nlu.sentence_embeddings import ENCODERS, E5Encoder
from bot.nlu.text import normalise

ROOT = Path(__file__).resolve().parent.parent


def load_examples(folder: Path) -> tuple[list[str], list[str]]:
    """Normalised texts and their labels: intents, and FAQ articles as `faq/<article>`."""
    data = load_data(str(folder))
    texts = [normalise(m.get("text")) for m in data.intent_examples]
    labels = [m.get("intent_response_key") or m.get("intent") for m in data.intent_examples]
    return texts, labels


def words(text: str) -> list[str]:
    return [w for w in jieba.lcut(text.lower()) if w.strip()]


def component_config(suffix: str) -> dict:
    pipeline = yaml.safe_load((ROOT / "config.yml").read_text(encoding="utf-8"))["pipeline"]
    return next(c for c in pipeline if c["name"].endswith(suffix))


def mention_features(texts: list[str]) -> dict[str, np.ndarray]:
    extractor = SecuritiesEntityExtractor.from_kb({})
    return {t: mention_vector([e["entity"] for e in extractor.extract(t)])[0] for t in set(texts)}


def pipeline_like_features(train: list[str], test: list[str], embeddings: dict[str, np.ndarray],
                           mentions: dict[str, np.ndarray]):
    """The features of config.yml, as the intent classifier sees them inside Rasa."""
    word_counts = CountVectorizer(tokenizer=words, token_pattern=None)
    char_counts = CountVectorizer(analyzer="char_wb", ngram_range=(1, 3), min_df=2, lowercase=True)
    scale = float(component_config("SentenceEmbeddingFeaturizer")["scale"])

    def dense(texts: list[str]):
        return csr_matrix(np.stack([embeddings[t] for t in texts]) * scale)

    def entity_kinds(texts: list[str]):
        return csr_matrix(np.stack([mentions[t] for t in texts]))

    x_train = hstack([word_counts.fit_transform(train), char_counts.fit_transform(train), dense(train),
                      entity_kinds(train)])
    x_test = hstack([word_counts.transform(test), char_counts.transform(test), dense(test), entity_kinds(test)])
    return x_train.tocsr(), x_test.tocsr()


def embedding_vote_features(texts: list[str], config: dict) -> np.ndarray | None:
    """The vectors the intent classifier's embedding regression reads (config.yml), or None without one."""
    if not (config["embedding_featurizers"] and float(config["embedding_weight"]) > 0):
        return None
    pipeline = yaml.safe_load((ROOT / "config.yml").read_text(encoding="utf-8"))["pipeline"]
    blocks = []
    for alias in config["embedding_featurizers"]:
        featurizer = next(c for c in pipeline if c.get("alias") == alias)
        encoder = ENCODERS[featurizer.get("encoder", "e5")].shared()
        blocks.append(encoder.encode(texts) * float(featurizer.get("scale", 10.0)))
    return np.hstack(blocks)


def cross_validated_probabilities(texts: list[str], labels: list[str], split: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Out-of-fold probabilities per intent (an intent as likely as its most likely label)."""
    encoded = E5Encoder.shared().encode(texts)
    embeddings = dict(zip(texts, encoded))
    mentions = mention_features(texts)
    config = {**IntentClassifier.get_default_config(), **component_config("IntentClassifier")}
    regularisation, network_weight = float(config["C"]), float(config["mlp_weight"])
    encoder_vectors = embedding_vote_features(texts, config)
    intents = [label.split("/")[0] for label in labels]
    classes = np.array(sorted(set(intents)))
    probabilities = np.zeros((len(texts), len(classes)))
    folds = StratifiedKFold(5, shuffle=True, random_state=split)
    for train, test in folds.split(texts, intents):
        x_train, x_test = pipeline_like_features(
            [texts[i] for i in train], [texts[i] for i in test], embeddings, mentions
        )
        model = LogisticRegression(C=regularisation, max_iter=1000, class_weight="balanced", random_state=42)
        model.fit(x_train, [labels[i] for i in train])
        label_intents = np.array([str(c).split("/")[0] for c in model.classes_])
        fold = model.predict_proba(x_test)
        if network_weight > 0:  # the intent classifier's blend with its network
            network = fit_network(x_train, [labels[i] for i in train], config)
            fold = (1 - network_weight) * fold + network_weight * network.predict_proba(x_test)
        if encoder_vectors is not None:  # … and with its regression on the encoders' vectors
            vote = LogisticRegression(C=float(config["embedding_C"]), max_iter=2000, class_weight="balanced",
                                      random_state=42)
            vote.fit(encoder_vectors[train], [labels[i] for i in train])
            weight = float(config["embedding_weight"])
            fold = (1 - weight) * fold + weight * vote.predict_proba(encoder_vectors[test])
        for column, intent in enumerate(classes):
            probabilities[test, column] = fold[:, label_intents == intent].max(axis=1)
    return probabilities, classes


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
    parser.add_argument("--split", type=int, default=0,
                        help="seed of the 5-fold split: the same seed gives the same folds, for paired comparisons")
    args = parser.parse_args()

    jieba.setLogLevel(60)
    for dictionary in sorted((ROOT / "data" / "jieba").iterdir()):
        jieba.load_userdict(str(dictionary))
    texts, labels = load_examples(ROOT / "data" / "nlu")
    intents = [label.split("/")[0] for label in labels]
    probabilities, classes = cross_validated_probabilities(texts, labels, args.split)
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
