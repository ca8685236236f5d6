"""Keys-only Bayes filters: the best a predictor that reads only the keys can do against a SYNTHETIC typist.

The simulator's oracle (`simulate_with_oracle`) knows the typist's hidden state: which hand it is on, its mode, and
the keys still to come of a motif it has started replaying. No predictor reading keys can know that, so a share of
the oracle's limit under-states how close a predictor comes to what is achievable. These filters are exact forward
filters over that hidden state, with the typist's own parameters, given only the keys typed so far: their expected
hit rate is the keys-only limit.

- `PersonaFilter`: the original personas (hand, the last key typed outside a replay, and the replay under way: a
  start in the last 60 keys, a length of 2-5 keys and a place in it; hypotheses the keys rule out are dropped).
- `BayesFilter`: a random typist (mode, hand, and the place in a favourite motif or in a fragment of its recent
  keys it is replaying).

Both have a `Predictor`'s shape (keys, probs(), observe()) without importing the predictors package.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np

from keytui.data.keyboard import DEFAULT_LAYOUT, get_layout, key_positions
from keytui.synthetic.simulate import (
    MOTIF_LENGTHS,
    MOTIF_WINDOW,
    PERSONAS,
    OracleTrace,
    Typist,
    _persona_tables,
    _PersonaOracle,
    _shift_char,
)

COPY_LENGTHS = (2, 3, 4, 5)  # a random typist's replays: 2-5 keys, cut where the text ends
OTHER_HAND = {"left": "right", "right": "left"}
PRUNE = 1e-15  # hypotheses this unlikely are dropped (a replay the keys have ruled out weighs exactly 0)


def keys_only_filter(typist: str | Typist) -> PersonaFilter | BayesFilter:
    """The exact keys-only filter for an original persona (by name) or a random typist."""
    if isinstance(typist, str):
        if typist not in PERSONAS:
            raise ValueError(f"no keys-only filter for {typist!r}: name a persona or pass a Typist")
        return PersonaFilter(typist)
    return BayesFilter(typist)


def keys_only_best_hit(trace: OracleTrace, bayes: PersonaFilter | BayesFilter) -> np.ndarray:
    """Per key of `trace`, the chance that guessing the filter's most likely key hits (scored against the oracle's
    true distribution, so without the noise of which key was drawn): its mean is the keys-only limit."""
    best = np.zeros(len(trace.text))
    columns = {k: i for i, k in enumerate(trace.keys)}
    for t, key in enumerate(trace.text):
        best[t] = trace.probs[t, columns[bayes.keys[int(bayes.probs().argmax())]]]
        bayes.observe(key)
    return best


class PersonaFilter:
    """The exact keys-only filter for an original persona (`simulate()`): a forward filter over its hand, the last
    key it typed outside a replay (the generator's `last`, which a shifted key or a replay can leave behind the text),
    and the replay under way (the next key's place in the text, and where the replay ends)."""

    name = "bayes"

    def __init__(self, persona: str) -> None:
        self.persona = p = PERSONAS[persona]
        left, right, weights, neighbours = _persona_tables(p)
        self._rows = _PersonaOracle(list(get_layout(DEFAULT_LAYOUT).characters), 0)
        self._rows.prepare(p, left, right, weights, neighbours)
        self.keys = self._rows.keys
        self.index = self._rows.index
        positions = key_positions()
        self._plain = set(positions)  # keys the generator remembers as `last`
        self._unshift = {_shift_char(k): k for k in positions}
        self._can_roll = set(neighbours)
        self.out: list[str] = []
        # (hand, last, next place of the replay or -1, its end or -1) -> probability; the generator starts on the
        # left hand with a `last` drawn from the left hand's keys
        self.belief: dict[tuple[str, str, int, int], float] = {("left", k, -1, -1): 1 / len(left) for k in left}
        self._probs = self._predict()

    def _predict(self) -> np.ndarray:
        probs = np.zeros(len(self.keys))
        rows: dict[tuple[str, str], float] = defaultdict(float)
        for (hand, last, place, _), w in self.belief.items():
            if place < 0:
                rows[hand, last] += w
            else:
                probs[self.index[self.out[place]]] += w
        for (hand, last), w in rows.items():
            probs += w * self._rows.row(self.out, hand, last)
        return probs / probs.sum()

    def probs(self) -> np.ndarray:
        return self._probs

    def observe(self, key: str) -> None:
        if key not in self.index:
            return  # not a key this persona types: no evidence
        p, out, n = self.persona, self.out, len(self.out)
        can_space = bool(out) and out[-1] != " "
        p_space = p.space if can_space else 0.0
        p_motif = (p.space + p.motif - p_space) if n > 12 else 0.0
        rest = 1.0 - p_space - p_motif
        burst = p.burst if n >= 2 and out[-2] != " " else 0.0
        # the key before any shift, and the chance of typing `key` from it
        if key in self._plain:
            plain, typed = key, 1 - p.shift
        elif key in self._unshift:
            plain, typed = self._unshift[key], p.shift
        else:
            plain, typed = None, 0.0
        # a burst types the key two back again (shifted or not); `last` moves only to a plain key
        echo = 0.0
        if burst:
            again = out[-2]
            echo = (1 - p.shift) * (key == again) + p.shift * (key == _shift_char(again))
        # replays that could start with this key: (next place, end, probability given a replay starts)
        starts: list[tuple[int, int, float]] = []
        if p_motif:
            low = max(1, n - MOTIF_WINDOW)
            for length in MOTIF_LENGTHS:
                share = 1 / (len(MOTIF_LENGTHS) * (n - length - low))
                starts.extend((s + 1, s + length, share) for s in range(low, n - length) if out[s] == key)
        new: dict[tuple[str, str, int, int], float] = defaultdict(float)
        for (hand, last, place, end), w in self.belief.items():
            if place >= 0:  # a replay under way types its next key for certain
                if out[place] == key:
                    if place + 1 < end:
                        new[hand, last, place + 1, end] += w
                    else:
                        new[hand, key if key != " " else last, -1, -1] += w
                continue
            if key == " " and p_space:
                new[hand, last, -1, -1] += w * p_space
            for next_place, replay_end, share in starts:
                new[hand, last, next_place, replay_end] += w * p_motif * share
            roll = p.roll if last in self._can_roll else 0.0
            alternate = p.alternate
            if plain is not None:
                fresh = rest * (1 - burst) * typed
                column = self.index[plain]
                stay = roll * self._rows.rolls[last][column] if roll else 0.0
                stay += (1 - roll) * (1 - alternate) * self._rows.pool[hand][column]
                switch = (1 - roll) * alternate * self._rows.pool[OTHER_HAND[hand]][column]
                if stay:
                    new[hand, plain, -1, -1] += w * fresh * stay
                if switch:
                    new[OTHER_HAND[hand], plain, -1, -1] += w * fresh * switch
            if echo:
                moved = out[-2] if out[-2] in self._plain else last
                new[hand, moved, -1, -1] += w * rest * burst * echo * (roll + (1 - roll) * (1 - alternate))
                new[OTHER_HAND[hand], moved, -1, -1] += w * rest * burst * echo * (1 - roll) * alternate
        total = sum(new.values())
        if total > 0:
            self.belief = {state: w / total for state, w in new.items() if w / total > PRUNE}
        # else: a key the persona could not have typed here (not its own text): keep what it believed
        out.append(key)
        self._probs = self._predict()


class BayesFilter:
    """The exact keys-only filter for a random `Typist`: a forward filter over its mode, hand and what it is
    replaying (the place in a favourite motif, or the next place and the end of a fragment of its recent keys it is
    typing again), with the typist's own parameters."""

    name = "bayes"

    def __init__(self, typist: Typist) -> None:
        self.typist = typist
        self.keys = list(typist.keys)
        # motif positions: state 0 is "no motif under way"; state q > 0 means the next key is motif_key[q]
        self.motif_key = [-1]
        self.motif_next = [0]
        self.motif_start: list[tuple[int, int]] = []  # per motif: its first key, the state after it
        for ids in typist.motif_ids:
            first_state = len(self.motif_key)
            for position in range(1, len(ids)):
                self.motif_key.append(int(ids[position]))
                self.motif_next.append(len(self.motif_key) if position + 1 < len(ids) else 0)
            self.motif_start.append((int(ids[0]), first_state if len(ids) > 1 else 0))
        modes, states = len(typist.params.modes), len(self.motif_key)
        self.belief = np.zeros((modes, 2, states))  # P(mode, hand, motif state | keys so far)
        self.belief[:, :, 0] = 1.0 / (2 * modes)
        # replays of recent keys under way: (place of the next key in the text, end) -> P(mode, hand, that replay)
        self.replays: dict[tuple[int, int], np.ndarray] = {}
        self.out: list[int] = []
        self.last = self.before = -1
        self.run = 0
        self.n = 0
        self._probs, self._split, self._motif_weight, self._copy_weight = self._predict()

    def _window(self) -> tuple[int, int]:
        """The places a replay may start from: keys lo .. n-2 (the typist's `copy_window`)."""
        return max(0, self.n - self.typist.params.copy_window), self.n - 1

    def _predict(self) -> tuple[np.ndarray, np.ndarray, float, float]:
        """The next key's distribution; per (mode, hand before, hand after) the joint P(key, hand after) when nothing
        is being replayed and no replay starts; the chance of starting each motif; and of starting a replay."""
        t = self.typist
        modes = len(t.params.modes)
        split = np.zeros((modes, 2, 2, len(self.keys)))
        motif_weight = copy_weight = 0.0
        for m in range(modes):
            for h in range(2):
                stay = np.zeros(len(self.keys))
                for w, what in t.components(m, h, self.last, self.before, self.run, self.n):
                    if isinstance(what, (int, np.integer)):
                        stay[what] += w
                    elif what == "fresh":
                        a = t.params.modes[m].alternate
                        stay += w * (1 - a) * t.fresh_pool(m, h, self.last)
                        split[m, h, 1 - h] += w * a * t.fresh_pool(m, 1 - h, self.last)
                    elif what == "motif":
                        motif_weight = w / len(self.motif_start)  # the same in every mode and hand
                    elif what == "copy":
                        copy_weight = w  # the same in every mode and hand
                    else:
                        stay += w * t._vector(what, m, h, self.last, np.ones(1), self.before)
                split[m, h, h] += stay
        idle = self.belief[:, :, 0]
        probs = np.einsum("mh,mhgk->k", idle, split)
        for first, _ in self.motif_start:
            probs[first] += motif_weight * idle.sum()
        if copy_weight:
            low, high = self._window()
            probs += copy_weight * idle.sum() * np.bincount(self.out[low:high], minlength=len(self.keys)) / (high - low)
        busy = self.belief[:, :, 1:].sum(axis=(0, 1))
        np.add.at(probs, np.array(self.motif_key[1:], dtype=np.int64), busy)
        for (place, _), weight in self.replays.items():
            probs[self.out[place]] += weight.sum()
        return probs / probs.sum(), split, motif_weight, copy_weight

    def probs(self) -> np.ndarray:
        return self._probs

    def observe(self, key: str) -> None:
        t = self.typist
        k = t.index.get(key)
        if k is None:
            return  # not a key this typist can type: no evidence
        belief = np.zeros_like(self.belief)
        idle = self.belief[:, :, 0]
        belief[:, :, 0] = np.einsum("mh,mhg->mg", idle, self._split[:, :, :, k])
        for first, state in self.motif_start:
            if first == k:
                belief[:, :, state] += idle * self._motif_weight
        for state in range(1, len(self.motif_key)):
            if self.motif_key[state] == k:
                belief[:, :, self.motif_next[state]] += self.belief[:, :, state]
        replays: dict[tuple[int, int], np.ndarray] = {}
        for (place, end), weight in self.replays.items():
            if self.out[place] != k:
                continue
            if place + 1 < end:
                replays[place + 1, end] = replays.get((place + 1, end), 0) + weight
            else:
                belief[:, :, 0] += weight
        if self._copy_weight:
            # a replay starts at a place of the window holding this key, 2-5 keys long, cut at the present
            low, high = self._window()
            share = idle * self._copy_weight / ((high - low) * len(COPY_LENGTHS))
            for start in range(low, high):
                if self.out[start] == k:
                    for length in COPY_LENGTHS:
                        state = (start + 1, min(start + length, self.n))
                        replays[state] = replays.get(state, 0) + share
        total = belief.sum() + sum(float(w.sum()) for w in replays.values())
        if total <= 0:  # a key the typist could not have typed here (not its own text): start afresh
            belief, replays, total = np.full_like(belief, 1.0 / belief.size), {}, 1.0
        belief /= total
        replays = {state: w / total for state, w in replays.items() if w.sum() / total > PRUNE}
        modes = len(t.params.modes)
        if modes > 1:  # the mode may change after each key
            s = t.params.switch

            def drift(b: np.ndarray) -> np.ndarray:
                return (1 - s) * b + s * (b.sum(axis=0, keepdims=True) - b) / (modes - 1)

            belief = drift(belief)
            replays = {state: drift(w) for state, w in replays.items()}
        self.belief, self.replays = belief, replays
        self.out.append(k)
        self.before, self.last = self.last, k
        self.run = 0 if k == t.space_id else self.run + 1
        self.n += 1
        self._probs, self._split, self._motif_weight, self._copy_weight = self._predict()
