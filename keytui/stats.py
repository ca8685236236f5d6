"""Corpus statistics shown by `keytui stats` and the record screen."""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass


@dataclass(frozen=True)
class CorpusStats:
    keys: int
    distinct: int
    counts: dict[str, int]  # most frequent first
    entropy0: float  # bits per key, ignoring context
    entropy2: float  # bits per key given the two previous keys (plug-in estimate: optimistic on small corpora)

    @property
    def majority_key(self) -> str:
        return next(iter(self.counts))

    @property
    def majority_rate(self) -> float:
        return self.counts[self.majority_key] / self.keys

    def to_json(self) -> dict:
        return {
            "keys": self.keys,
            "distinct": self.distinct,
            "entropy0_bits": round(self.entropy0, 4),
            "entropy2_bits": round(self.entropy2, 4),
            "majority_key": self.majority_key,
            "majority_rate": round(self.majority_rate, 4),
            "counts": self.counts,
        }


def sorted_counts(text: str) -> dict[str, int]:
    """Key -> count, most frequent first (ties broken by the key, so the order is stable)."""
    return dict(sorted(Counter(text).items(), key=lambda item: (-item[1], item[0])))


def middle_aligned(counts: dict[str, int]) -> list[tuple[str, int]]:
    """The reference notebook's view: the most frequent key in the middle, rarer keys alternating outwards."""
    ordered = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    aligned: list[tuple[str, int]] = []
    for i, item in enumerate(ordered):
        if i % 2 == 0:
            aligned.insert(0, item)
        else:
            aligned.append(item)
    return aligned


def entropy(counts: Counter | dict) -> float:
    total = sum(counts.values())
    return -sum(c / total * math.log2(c / total) for c in counts.values() if c)


def conditional_entropy(text: str, order: int) -> float:
    """H(next key | previous `order` keys), estimated from the corpus' own counts."""
    if len(text) <= order:
        return 0.0
    joint = Counter(text[i - order : i + 1] for i in range(order, len(text)))
    context = Counter()
    for gram, count in joint.items():
        context[gram[:-1]] += count
    total = sum(joint.values())
    return -sum(c / total * math.log2(c / context[g[:-1]]) for g, c in joint.items())


def corpus_stats(text: str) -> CorpusStats:
    counts = sorted_counts(text)
    return CorpusStats(
        keys=len(text),
        distinct=len(counts),
        counts=counts,
        entropy0=entropy(counts),
        entropy2=conditional_entropy(text, 2),
    )
