"""Fraction of the limit: each simple predictor's hit rate as a share of the best any predictor could do.

Streams: held-out seeds of every original persona and of random typists on every layout (SYNTHETIC typists, see
synthetic/simulate.py), 3,000 keys each. The limit is the simulator's exact oracle: the expected hit rate of always
guessing the most likely key of the true next-key distribution given the typist's hidden state, and that
distribution's entropy (bits/key). That limit knows the hidden state (which replay is under way); the keys-only
limit is the expected hit of the exact keys-only Bayes filter (synthetic/bayes.py), what reading the keys alone can
reach. Every predictor starts from nothing and learns from the keys it is shown, as in a first game.

    python -m benchmarks.bench_limit [--keys 3000] [--random 6]

Predictors: majority (most frequent key so far), the best single-order n-gram (orders 1-4, the best order chosen in
hindsight per stream: a rival stronger than any one order), the adaptive variable-order n-gram, and the geometry
expert. Add a predictor to PREDICTORS to put it in the table.
"""

from __future__ import annotations

import argparse
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from benchmarks.common import header
from keytui.data.keyboard import DEFAULT_LAYOUT, LAYOUTS
from keytui.predictors import GeometryPredictor, MajorityPredictor, NGramPredictor, Predictor, replay
from keytui.synthetic.bayes import BayesFilter, PersonaFilter, keys_only_filter
from keytui.synthetic.simulate import PERSONAS, OracleTrace, Typist, random_typist, simulate, simulate_with_oracle

HELD_OUT_SEED = 9_001  # seeds nothing in the repository trains or tunes on
SINGLE_ORDERS = (1, 2, 3, 4)


class SingleOrderNGram(Predictor):
    """An n-gram of exactly one order, learning online: counts of the key after each context of `order` keys,
    smoothed towards the key frequencies (an unseen context gives the frequencies alone)."""

    def __init__(self, order: int, smoothing: float = 1.0) -> None:
        super().__init__()
        self.order = order
        self.name = f"{order}-gram"
        self.smoothing = smoothing
        self.unigram: Counter[str] = Counter()
        self.follow: dict[str, Counter[str]] = defaultdict(Counter)
        self.history = ""

    def probs(self) -> np.ndarray:
        if not self.keys:
            return np.zeros(0)
        index = self._key_index()
        base = np.array([self.unigram[k] for k in self.keys], dtype=float) + 0.1
        base /= base.sum()
        followers = self.follow.get(self.history) if len(self.history) == self.order else None
        if not followers:
            return base
        counts = np.zeros(len(self.keys))
        for key, count in followers.items():
            counts[index[key]] = count
        return (counts + self.smoothing * base) / (counts.sum() + self.smoothing)

    def observe(self, key: str) -> None:
        if key not in self._key_index():
            self.keys.append(key)
        if len(self.history) == self.order:
            self.follow[self.history][key] += 1
        self.unigram[key] += 1
        self.history = (self.history + key)[-self.order :] if self.order else ""


class FilterPredictor(Predictor):
    """The simulator's Bayes filter in the predictors' shape (the simulator does not import the predictors)."""

    name = "bayes"

    def __init__(self, bayes: BayesFilter | PersonaFilter) -> None:
        super().__init__()
        self.bayes = bayes
        self.keys = bayes.keys

    def probs(self) -> np.ndarray:
        return self.bayes.probs()

    def observe(self, key: str) -> None:
        self.bayes.observe(key)


# name -> factory(layout) for a predictor that starts from nothing
PREDICTORS: dict[str, Callable[[str], Predictor]] = {
    "majority": lambda layout: MajorityPredictor(),
    "ngram": lambda layout: NGramPredictor(),
    "geometry": lambda layout: GeometryPredictor(layout=layout),
}


@dataclass
class Stream:
    label: str
    layout: str
    typist: str | Typist  # a persona's name or a random typist: what its keys-only filter is built from
    trace: OracleTrace


def streams(keys: int, randoms: int) -> list[Stream]:
    found = [Stream(name, DEFAULT_LAYOUT, name, simulate_with_oracle(name, keys, HELD_OUT_SEED)) for name in PERSONAS]
    for i in range(randoms):
        layout = LAYOUTS[i % len(LAYOUTS)]
        seed = HELD_OUT_SEED + 1 + i
        typist = random_typist(seed, layout, motifs=i % 2 == 0)  # every other one without motifs
        habits = (" +motifs" if typist.params.motifs and typist.params.motif else "") + (
            " +replays" if typist.params.copy else ""
        )
        label = f"random-{seed} {layout}{habits}"
        found.append(Stream(label, layout, typist, simulate_with_oracle(typist, keys, seed)))
    return found


def generation_speed(keys: int = 10_000) -> None:
    """How long the simulator takes to type `keys` keys, with and without the oracle's distributions."""
    header(f"simulator speed: {keys:,} keys")
    typists: list[tuple[str, object]] = [(name, name) for name in PERSONAS]
    for seed in (1, 2):
        typist = random_typist(seed, None)
        typists.append((f"random-{seed} {typist.params.layout}", typist))
    for label, typist in typists:
        started = time.perf_counter()
        if isinstance(typist, str):
            simulate(typist, keys, seed=1)
        else:
            typist.generate(keys, seed=1)
        plain = time.perf_counter() - started
        started = time.perf_counter()
        simulate_with_oracle(typist, keys, seed=1)
        with_oracle = time.perf_counter() - started
        print(f"{label:24s} text {plain:5.2f} s   text + exact distributions {with_oracle:5.2f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--keys", type=int, default=3000)
    parser.add_argument("--random", type=int, default=6, help="random typists (layouts in turn)")
    args = parser.parse_args()
    started = time.perf_counter()
    found = streams(args.keys, args.random)
    header(f"fraction of the exact limit, {args.keys:,} keys per stream, every predictor starting from nothing")
    names = ["majority", "best-order", *[n for n in PREDICTORS if n != "majority"], "bayes"]
    print(f"{'stream':30s} {'limit':>6s} {'k-only':>6s} {'bits':>5s} " + " ".join(f"{n[:10]:>10s}" for n in names))
    fractions: dict[str, list[float]] = defaultdict(list)
    keys_only_fractions: dict[str, list[float]] = defaultdict(list)
    for stream in found:
        trace = stream.trace
        limit = trace.limit_hit_rate()
        hits: dict[str, float] = {}
        bits: dict[str, float] = {}
        for name, make in PREDICTORS.items():
            scores = replay(make(stream.layout), trace.text)
            hits[name], bits[name] = scores.hit_rate, scores.bits_per_char
        best_order = max(
            (replay(SingleOrderNGram(order), trace.text) for order in SINGLE_ORDERS), key=lambda s: s.hit_rate
        )
        hits["best-order"], bits["best-order"] = best_order.hit_rate, best_order.bits_per_char
        guessed: list[str] = []
        scores = replay(FilterPredictor(keys_only_filter(stream.typist)), trace.text, guessed=guessed)
        hits["bayes"], bits["bayes"] = scores.hit_rate, scores.bits_per_char
        keys_only = float(trace.expected_hits(guessed).mean())  # the filter's argmax, scored as the limit is
        cells = []
        for name in names:
            fraction = hits[name] / limit
            fractions[name].append(fraction)
            keys_only_fractions[name].append(hits[name] / keys_only)
            cells.append(f"{fraction:6.0%} {bits[name]:3.1f}"[:10].rjust(10))
        print(f"{stream.label[:30]:30s} {limit:6.1%} {keys_only:6.1%} {trace.entropy_bits():5.2f} " + " ".join(cells))
    for label, table in (("limit", fractions), ("keys-only limit", keys_only_fractions)):
        print(f"{'mean fraction of the ' + label:49s} " + " ".join(f"{np.mean(table[n]):10.0%}" for n in names))
    print(
        "cells: hit rate as a fraction of the limit, then bits/key; limit: expected hit of the oracle's argmax "
        "(it knows the hidden state); keys-only: expected hit of the exact keys-only filter's argmax; bits: the "
        "oracle's entropy"
    )
    print(f"({time.perf_counter() - started:.1f}s)")
    generation_speed()


if __name__ == "__main__":
    main()
