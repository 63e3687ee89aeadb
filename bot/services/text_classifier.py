"""A small phrase classifier for short Chinese customer utterances (leaving reasons, complaint types).

Learned from a dozen example wordings per label, so it stays deliberately simple and inspectable:
- text is normalised (NFKC full-width → half-width, traditional → simplified with OpenCC, lower case);
- features are jieba words plus character bigrams (bigrams survive typos and jieba's mis-splits);
- TF-IDF vectors are compared with each label's centroid and with its nearest example (the centroid
  generalises, the nearest example catches a wording close to one we wrote down);
- a label's curated keywords found in the text add a fixed boost;
- below `threshold` the fallback label (`other`) is returned, so an unclear text never forces a guess.
"""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Dict, Iterable, List, Mapping, Optional, Sequence, Tuple

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer

from bot.common.text import comparable

FALLBACK = "other"
# Tuned by leave-one-out on the kb examples only. Similarities of short utterances are small, so the bar
# is low: the text is always an answer to "why?" or a complaint, so recall matters more than rejecting
# chit-chat (0.2 rejected more chit-chat but sent real complaints to `other`, with its slower SLA).
DEFAULT_THRESHOLD = 0.15
CENTROID_WEIGHT = 0.7  # vs 0.3 for the nearest single example
KEYWORD_BOOST = 0.3  # per matched keyword …
KEYWORD_BOOST_CAP = 0.6  # … so a keyword-stuffed text cannot drown the similarity evidence

# Particles, pronouns and intensifying adverbs carry no label signal but dominate short utterances.
_STOPWORDS = frozenset(
    "的 了 吗 呢 啊 吧 呀 嘛 哦 哈 么 我 你 你们 我们 他 她 它 就 都 也 还 是 在 和 跟 把 给 这 那 这个 那个 有 个 很 太 "
    "一直 根本 老是 总是 还是 就是 真的 实在 已经 怎么 什么 为什么".split()
)
_PARTICLES = frozenset("了的吗呢啊吧呀嘛哦么们")  # a bigram holding one is noise ("你们", "了吧")
_FUNCTION_CHARS = _PARTICLES | frozenset("我你他她它就都也还是在和跟把给这那有个很太")
_RUN = re.compile(r"[0-9a-z\u4e00-\u9fff]+")  # runs of letters/digits/CJK; punctuation splits them
# "倒不是因为佣金，主要是搬家了": a clause the customer explicitly disclaims must not vote. Kept narrow
# ("不是因为/不是嫌/不是说") because a bare "不是" also negates adjectives ("不是很方便" = inconvenient).
_DISCLAIMED = re.compile(r"(?:倒|并|也)?不是(?:因为|嫌|说)[^，。,.!！?？;；]*")

_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Classification:
    label: str
    confidence: float  # the winning label's score clipped to [0, 1]; 0.0 on a low-confidence fallback
    matched: Tuple[str, ...] = ()  # the label's keywords found in the text (explains the decision)
    scores: Mapping[str, float] = field(default_factory=dict, compare=False, hash=False)

    @property
    def is_fallback(self) -> bool:
        return self.confidence == 0.0


@lru_cache(maxsize=1)
def _tokenizer():
    # A private jieba instance: words other components add to the global one must not shift our features.
    import jieba

    jieba.setLogLevel(logging.WARNING)
    tokenizer = jieba.Tokenizer()
    tokenizer.initialize()
    return tokenizer


def features(normalised: str) -> List[str]:
    """jieba words, character bigrams and content characters, within punctuation-free runs.

    Bigrams survive typos and jieba's mis-splits; single characters carry the one-character cues
    customers use a lot ("远", "贵", "崩").
    """
    runs = _RUN.findall(normalised)
    words = [f"w:{w}" for w in _tokenizer().lcut(normalised) if _RUN.fullmatch(w) and w not in _STOPWORDS]
    bigrams = [f"b:{r[i:i + 2]}" for r in runs for i in range(len(r) - 1) if not _PARTICLES & set(r[i:i + 2])]
    chars = [f"c:{ch}" for r in runs for ch in r if ch not in _FUNCTION_CHARS]
    return words + bigrams + chars


class PhraseClassifier:
    def __init__(
        self,
        labels: Sequence[str],
        vectorizer: TfidfVectorizer,
        centroids: np.ndarray,
        examples: np.ndarray,
        example_labels: np.ndarray,
        keywords: Mapping[str, Sequence[str]],
        threshold: float,
        fallback: str,
    ) -> None:
        self.labels = list(labels)
        self.threshold = threshold
        self.fallback = fallback
        self._vectorizer = vectorizer
        self._centroids = centroids
        self._examples = examples
        self._example_labels = example_labels
        self._keywords = {label: tuple(comparable(k) for k in keywords.get(label, ())) for label in self.labels}

    @classmethod
    def from_examples(
        cls,
        labelled: Mapping[str, Iterable[str]],
        keywords: Optional[Mapping[str, Iterable[str]]] = None,
        *,
        threshold: float = DEFAULT_THRESHOLD,
        fallback: str = FALLBACK,
    ) -> "PhraseClassifier":
        """Fit on example wordings per label; `keywords` are cues that boost their label when present."""
        labelled = {label: list(texts) for label, texts in labelled.items()}
        labels = [label for label, texts in labelled.items() if texts]
        if not labels:
            raise ValueError("need at least one label with examples")
        texts = [comparable(t) for label in labels for t in labelled[label]]
        example_labels = np.array([label for label in labels for _ in labelled[label]])
        vectorizer = TfidfVectorizer(analyzer=features, sublinear_tf=True)
        matrix = vectorizer.fit_transform(texts).toarray()
        centroids = np.vstack([matrix[example_labels == label].mean(axis=0) for label in labels])
        centroids /= np.linalg.norm(centroids, axis=1, keepdims=True)
        return cls(
            labels, vectorizer, centroids, matrix, example_labels,
            {k: list(v) for k, v in (keywords or {}).items()}, threshold, fallback,
        )

    def scores(self, text: str) -> Tuple[Dict[str, float], Dict[str, Tuple[str, ...]]]:
        """Per-label score (similarity + keyword boost) and the keywords matched per label."""
        normalised = _DISCLAIMED.sub(" ", comparable(text))
        vector = self._vectorizer.transform([normalised]).toarray()[0]
        to_centroids = self._centroids @ vector
        to_examples = self._examples @ vector
        scores: Dict[str, float] = {}
        matched: Dict[str, Tuple[str, ...]] = {}
        for i, label in enumerate(self.labels):
            nearest = float(to_examples[self._example_labels == label].max())
            hits = tuple(k for k in self._keywords[label] if k and k in normalised)
            boost = min(KEYWORD_BOOST_CAP, KEYWORD_BOOST * len(hits))
            scores[label] = CENTROID_WEIGHT * float(to_centroids[i]) + (1 - CENTROID_WEIGHT) * nearest + boost
            matched[label] = hits
        return scores, matched

    def classify(self, text: str) -> Classification:
        if not _RUN.search(comparable(text)):
            return Classification(self.fallback, 0.0)
        scores, matched = self.scores(text)
        best = max(scores, key=scores.__getitem__)
        rounded = {label: round(score, 3) for label, score in scores.items()}
        if scores[best] < self.threshold:
            return Classification(self.fallback, 0.0, (), rounded)
        return Classification(best, round(min(1.0, scores[best]), 3), matched[best], rounded)


LabelData = Tuple[Tuple[str, Tuple[str, ...], Tuple[str, ...]], ...]  # (label, examples, keywords) …


@lru_cache(maxsize=8)
def cached_classifier(data: LabelData, threshold: float, fallback: str = FALLBACK) -> PhraseClassifier:
    """One fitted classifier per distinct kb content (fitting is cheap, ~10 ms, but pointless per message)."""
    _log.debug("fitting phrase classifier for labels %s", [label for label, _, _ in data])
    return PhraseClassifier.from_examples(
        {label: examples for label, examples, _ in data},
        {label: keywords for label, _, keywords in data},
        threshold=threshold,
        fallback=fallback,
    )
