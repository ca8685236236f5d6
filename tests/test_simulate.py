"""The simulator: the original personas type what they always typed; every typist's oracle is the distribution its
keys are really drawn from; the keys-only Bayes filters read every typist's hidden state from its keys."""

from __future__ import annotations

import hashlib
from collections import Counter

import numpy as np
import pytest

from keytui.data.keyboard import LAYOUTS, get_layout
from keytui.synthetic.bayes import BayesFilter, keys_only_best_hit, keys_only_filter
from keytui.synthetic.simulate import (
    PERSONAS,
    random_typist,
    simulate,
    simulate_with_oracle,
)

MASHER_3000_SEED_7 = "3f0d19a8db3a26e1da4f309eb3323fd343f1d35ffecdb422d99de019f05958e5"  # the demo corpus's first keys


def test_the_original_personas_type_what_they_always_typed():
    assert hashlib.sha256(simulate("masher", 3000, 7).encode()).hexdigest() == MASHER_3000_SEED_7
    for persona in PERSONAS:
        assert simulate_with_oracle(persona, 800, seed=3).text == simulate(persona, 800, seed=3)


def _check_exact(trace, tolerance: float = 0.03) -> None:
    """An oracle that is the true distribution: rows sum to 1, the typed key always had a chance, and over many keys
    the chance of the typed key matches sum(p^2), the argmax hits as often as max(p) says."""
    assert trace.probs.shape == (len(trace.text), len(trace.keys))
    assert np.allclose(trace.probs.sum(axis=1), 1, atol=1e-4)
    assert trace.p_actual.min() > 0
    expected_p = (trace.probs.astype(np.float64) ** 2).sum(axis=1).mean()
    assert trace.p_actual.mean() == pytest.approx(expected_p, abs=tolerance)
    argmax_hits = (trace.probs.argmax(axis=1) == trace.actual).mean()
    assert argmax_hits == pytest.approx(trace.limit_hit_rate(), abs=tolerance)
    assert 0 < trace.entropy_bits() < np.log2(len(trace.keys))


@pytest.mark.parametrize("persona", list(PERSONAS))
def test_persona_oracles_are_exact(persona):
    _check_exact(simulate_with_oracle(persona, 3000, seed=11))


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_random_typist_oracles_are_exact(seed):
    typist = random_typist(seed, layout=None)
    trace = simulate_with_oracle(typist, 3000, seed=seed + 50)
    _check_exact(trace)
    assert trace.text == typist.generate(3000, seed + 50)[0]  # the oracle changes nothing typed


def test_random_typists_differ_and_type_on_their_layout():
    texts = set()
    for name in LAYOUTS:
        typist = random_typist(5, layout=name)
        text, _ = typist.generate(2000, seed=1)
        assert set(text) <= set(get_layout(name).characters)
        assert typist.generate(2000, seed=1)[0] == text  # seeded
        texts.add(text)
    assert len(texts) == len(LAYOUTS)
    habits = {random_typist(seed).describe() for seed in range(8)}
    assert len(habits) == 8
    # broad: some typists use spaces, some never do, and the most frequent key's share varies widely
    tops = []
    spaced = 0
    for seed in range(12):
        text, _ = random_typist(seed).generate(1500, seed)
        spaced += " " in text
        tops.append(Counter(text).most_common(1)[0][1] / len(text))
    assert 0 < spaced < 12
    assert max(tops) > 2 * min(tops)


def test_home_row_layouts_put_the_hands_on_the_same_physical_keys():
    qwerty, dvorak = random_typist(9, layout="qwerty", motifs=False), random_typist(9, layout="dvorak", motifs=False)
    q_text, _ = qwerty.generate(3000, seed=4)
    d_text, _ = dvorak.generate(3000, seed=4)
    q_layout, d_layout = get_layout("qwerty"), get_layout("dvorak")
    # the same draws on the same physical keys: each key of one is the key at the same place on the other
    assert [(q_layout.key(a).row, q_layout.key(a).column) for a in q_text] == [
        (d_layout.key(b).row, d_layout.key(b).column) for b in d_text
    ]


def _replay_bits(predictor, text: str, index: dict[str, int]) -> tuple[float, float]:
    hits = bits = 0.0
    for key in text:
        probs = predictor.probs()
        hits += probs.argmax() == index[key]
        bits -= np.log2(max(probs[index[key]], 1e-12))
        predictor.observe(key)
    return hits / len(text), bits / len(text)


class _Unigram:
    def __init__(self, keys):
        self.keys = keys
        self.index = {k: i for i, k in enumerate(keys)}
        self.counts = np.full(len(keys), 0.5)

    def probs(self):
        return self.counts / self.counts.sum()

    def observe(self, key):
        self.counts[self.index[key]] += 1


@pytest.mark.parametrize("seed", [1, 3])
def test_bayes_filter_reads_the_hidden_state_from_the_keys(seed):
    typist = random_typist(seed, layout="qwerty", motifs=False)
    trace = simulate_with_oracle(typist, 2000, seed=seed)
    index = {k: i for i, k in enumerate(typist.keys)}
    bayes = BayesFilter(typist)
    assert np.isclose(bayes.probs().sum(), 1)
    hit, bits = _replay_bits(bayes, trace.text, index)
    _, unigram_bits = _replay_bits(_Unigram(typist.keys), trace.text, index)
    # never much better than the oracle that knows the hidden state, far better than counting keys
    assert bits >= trace.bits_per_key() - 0.05
    assert hit <= trace.limit_hit_rate() + 0.03
    assert bits < unigram_bits - 0.3


def test_bayes_filter_follows_favourite_motifs_exactly():
    typist = next(t for t in (random_typist(s, layout="dvorak") for s in range(50)) if t.params.motif > 0.05)
    trace = simulate_with_oracle(typist, 3000, seed=1)
    bayes = BayesFilter(typist)
    typed, squares, hits, best = [], [], [], []
    for key in trace.text:
        probs = bayes.probs()
        column = typist.index[key]
        typed.append(probs[column])
        squares.append((probs**2).sum())
        hits.append(probs.argmax() == column)
        best.append(probs.max())
        bayes.observe(key)
    # the keys-only predictive distribution is the true one given the keys: calibrated like the oracle
    assert min(typed) > 0
    assert np.mean(typed) == pytest.approx(np.mean(squares), abs=0.03)
    assert np.mean(hits) == pytest.approx(np.mean(best), abs=0.03)
    assert np.mean(best) <= trace.limit_hit_rate() + 0.01  # knowing only the keys is worth less than the state


def _filter_checks(bayes, trace) -> tuple[float, float, float]:
    """Replay `trace` through a keys-only filter: (smallest chance it gave a typed key, mean chance of the typed key
    minus its mean sum of squares, the largest mean gap between its distribution and the oracle's)."""
    index = {k: i for i, k in enumerate(trace.keys)}
    assert list(bayes.keys) == list(trace.keys)
    typed, squares, gaps = [], [], np.zeros(len(trace.keys))
    for t, key in enumerate(trace.text):
        probs = bayes.probs()
        typed.append(probs[index[key]])
        squares.append((probs**2).sum())
        gaps += probs - trace.probs[t]
        bayes.observe(key)
    return min(typed), float(np.mean(typed) - np.mean(squares)), float(np.abs(gaps / len(trace.text)).max())


@pytest.mark.parametrize("persona", ["drummer", "chaotic"])
def test_the_persona_filter_is_the_keys_only_optimum(persona):
    trace = simulate_with_oracle(persona, 3000, seed=11)
    smallest, miscalibration, gap = _filter_checks(keys_only_filter(persona), trace)
    # exact: never rules out a key the persona typed (a replay it failed to follow, a shifted key it mis-read);
    # calibrated (the chance of the typed key is the distribution's own sum of squares); on average the oracle's
    assert smallest > 0
    assert abs(miscalibration) < 0.02
    assert gap < 0.01
    # knowing only the keys is worth less than the hidden state: the replays' later keys are not certain
    keys_only = keys_only_best_hit(trace, keys_only_filter(persona)).mean()
    assert keys_only < trace.limit_hit_rate() - (0.05 if persona == "drummer" else 0.0)


def test_the_bayes_filter_follows_replays_of_recent_keys():
    typist = next(t for t in map(random_typist, range(50)) if t.params.copy > 0.05)
    trace = simulate_with_oracle(typist, 3000, seed=2)
    smallest, miscalibration, gap = _filter_checks(BayesFilter(typist), trace)
    assert smallest > 0
    assert abs(miscalibration) < 0.02
    assert gap < 0.01
