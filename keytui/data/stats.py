"""Corpus statistics shown by `keytui stats` and the record screen."""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass

SPARSE_KEYS_PER_CONTEXT = 5  # fewer keys than this per 2-key context, and the order-2 entropy is a rough figure


@dataclass(frozen=True)
class CorpusStats:
    keys: int
    distinct: int
    counts: dict[str, int]  # most frequent first
    entropy0: float  # bits per key, ignoring context
    entropy2: float  # bits per key given the two previous keys (plug-in estimate: optimistic on small corpora)
    entropy0_corrected: float = 0.0  # Miller-Madow: the plug-in estimate plus its first-order bias
    entropy2_corrected: float = 0.0
    keys_per_context: float = 0.0  # order-2 contexts seen, on average how many keys each: few means a rough figure

    @property
    def caveat(self) -> str | None:
        """A warning in words when the order-2 figure rests on too few keys to be trusted."""
        if self.keys_per_context >= SPARSE_KEYS_PER_CONTEXT:
            return None
        return (
            f"on {self.keys:,} keys each 2-key context was seen {self.keys_per_context:.1f} times on average: the "
            "order-2 entropy reads lower than the truth even bias-corrected; more keys make it steadier"
        )

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
            "entropy0_bits_corrected": round(self.entropy0_corrected, 4),
            "entropy2_bits_corrected": round(self.entropy2_corrected, 4),
            "caveat": self.caveat,
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


def miller_madow(bins: int, samples: int) -> float:
    """The first-order bias of a plug-in entropy estimate, in bits: (bins seen - 1) / (2 N ln 2)."""
    return (bins - 1) / (2 * samples * math.log(2)) if samples else 0.0


def corpus_stats(text: str) -> CorpusStats:
    counts = sorted_counts(text)
    n2 = max(len(text) - 2, 0)
    contexts = len({text[i - 2 : i] for i in range(2, len(text))})
    grams = len({text[i - 2 : i + 1] for i in range(2, len(text))})
    entropy2 = conditional_entropy(text, 2)
    # H(next | context) = H(context, next) - H(context): each plug-in term corrected for its own bins
    correction2 = miller_madow(grams, n2) - miller_madow(contexts, n2)
    return CorpusStats(
        keys=len(text),
        distinct=len(counts),
        counts=counts,
        entropy0=entropy(counts),
        entropy2=entropy2,
        entropy0_corrected=entropy(counts) + miller_madow(len(counts), len(text)),
        entropy2_corrected=entropy2 + correction2,
        keys_per_context=n2 / contexts if contexts else 0.0,
    )
