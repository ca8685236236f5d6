"""Synthetic keyboard mashers, clearly labelled as such: for the demo corpus, tests, benchmarks and pretraining.

Two families:
- the four original personas (masher, roller, drummer, chaotic): a home position per hand on qwerty, a habit of
  rolling to a neighbouring key, of alternating hands, of replaying little motifs typed before, of repeating a finger
  pattern, and of hitting the space bar now and then. `simulate()` still types exactly what it always typed.
- random typists (`random_typist(seed, layout=...)`), drawn over wide ranges of the same habits and more, on any
  layout: favourite keys and motifs, repeats, home-row bias, roll direction, words of a typical length (bursts
  between spaces), shift, and strategy drift (two or three modes, each with its own hands and habits, switching now
  and then).

Every typist is exact about itself: at every step it can say the true distribution of its next key given its
hidden state (which hand it is on, its mode, how far into a motif it is), because it draws each key from that very
distribution. `simulate_with_oracle()` returns those distributions with the text, so a benchmark can report "the best
any predictor could do": the expected hit rate of always guessing the oracle's most likely key, and its entropy in
bits per key. That limit knows the hidden state, which no predictor reading keys can: `synthetic.bayes` has the exact
keys-only filters (forward filters over each typist's hidden state), and the gap between the two says how much the
hidden state is worth.
"""

from __future__ import annotations

import itertools
import math
import random
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from keytui.data.keyboard import DEFAULT_LAYOUT, LAYOUTS, SHIFTED, SPACE, get_layout, key_positions
from keytui.errors import KeytuiError

# ---- the original personas ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Persona:
    name: str
    description: str
    roll: float  # chance the next key is a neighbour of the last one
    alternate: float  # chance of switching hands
    motif: float  # chance of replaying a recent motif
    space: float  # chance of a space
    burst: float  # chance a burst of the same finger pattern continues
    spread: float  # how far from home row the hands wander (key widths)
    shift: float  # chance of a shifted character


PERSONAS = {
    "masher": Persona(
        "masher", "mashes with both hands, loves the home row and rolls", 0.45, 0.5, 0.15, 0.06, 0.3, 1.1, 0.0
    ),
    "roller": Persona(
        "roller", "rolls fingers across neighbouring keys, few spaces", 0.7, 0.3, 0.1, 0.03, 0.5, 0.9, 0.0
    ),
    "drummer": Persona("drummer", "drums little motifs over and over", 0.3, 0.6, 0.45, 0.08, 0.2, 1.3, 0.0),
    "chaotic": Persona("chaotic", "tries hard to be random (almost manages)", 0.15, 0.5, 0.03, 0.05, 0.05, 2.2, 0.05),
}
MOTIF_WINDOW = 60  # the original personas replay motifs from the last 60 keys
MOTIF_LENGTHS = (2, 3, 4, 5)


def _check(persona: str, keys: int) -> Persona:
    if persona not in PERSONAS:
        raise KeytuiError(f"unknown persona {persona!r}; choose one of {', '.join(PERSONAS)}, random")
    if keys < 1:
        raise KeytuiError("--keys must be at least 1")
    return PERSONAS[persona]


def simulate(persona: str, keys: int, seed: int = 0) -> str:
    """`keys` keystrokes of one of the original personas (the same text for the same seed, release after release)."""
    return _simulate_persona(_check(persona, keys), keys, seed, None)


def _shift_char(key: str) -> str:
    return SHIFTED.get(key, key.upper())


def _persona_tables(p: Persona) -> tuple[list[str], list[str], dict[str, list[float]], dict[str, list[str]]]:
    """A persona's keys for each hand, their weights around the hand's home, and each key's neighbours."""
    positions = key_positions()
    left = [k for k, (x, _) in positions.items() if x < 5.5]
    right = [k for k, (x, _) in positions.items() if x >= 5.5]
    neighbours = {
        k: [o for o, (ox, oy) in positions.items() if o != k and abs(ox - x) <= 1.3 and abs(oy - y) <= 1.01]
        for k, (x, y) in positions.items()
    }
    homes = {"left": (2.5, 2.0), "right": (8.0, 2.0)}

    def weight(key: str, home: tuple[float, float]) -> float:
        x, y = positions[key]
        distance2 = (x - home[0]) ** 2 + (y - home[1]) ** 2
        return pow(2.718, -distance2 / (2 * p.spread**2))

    weights = {hand: [weight(k, homes[hand]) for k in keys_] for hand, keys_ in (("left", left), ("right", right))}
    return left, right, weights, neighbours


def _simulate_persona(p: Persona, keys: int, seed: int, oracle: _PersonaOracle | None) -> str:
    """The original generator. With `oracle`, it also records, before each key, the exact distribution that key was
    drawn from (it changes nothing the generator draws: the same random numbers in the same order)."""
    rng = random.Random(seed)
    positions = key_positions()
    left, right, weights, neighbours = _persona_tables(p)
    if oracle is not None:
        oracle.prepare(p, left, right, weights, neighbours)
    out: list[str] = []
    hand = "left"
    last = rng.choice(left)
    while len(out) < keys:
        if oracle is not None:
            oracle.before_step(out, hand, last)
        r = rng.random()
        if r < p.space and out and out[-1] != " ":
            out.append(" ")
            continue
        if r < p.space + p.motif and len(out) > 12:
            length = rng.randint(2, 5)
            start = rng.randrange(max(1, len(out) - MOTIF_WINDOW), len(out) - length)
            motif = out[start : start + length]
            if oracle is not None:
                oracle.motif(motif)
            out.extend(motif)
            last = out[-1] if out[-1] != " " else last
            continue
        if rng.random() < p.roll and last in neighbours:
            key = rng.choice(neighbours[last])
        else:
            if rng.random() < p.alternate:
                hand = "right" if hand == "left" else "left"
            pool = left if hand == "left" else right
            key = rng.choices(pool, weights=weights[hand])[0]
        if rng.random() < p.burst and len(out) >= 2 and out[-2] != " ":
            key = out[-2]  # the finger pattern repeats: ...a s a s...
        last = key if key in positions else last
        if p.shift and rng.random() < p.shift:
            key = _shift_char(key)
        out.append(key)
    return "".join(out[:keys])


class _PersonaOracle:
    """The exact next-key distribution of an original persona, given its hidden state (its hand, and the rest of
    a motif it is replaying), computed beside the generator."""

    def __init__(self, keys: list[str], limit: int) -> None:
        self.keys = keys
        self.index = {k: i for i, k in enumerate(keys)}
        self.limit = limit
        self.rows: list[np.ndarray] = []
        self.ids = np.zeros(limit + max(MOTIF_LENGTHS), dtype=np.int64)  # the keys typed so far, as columns
        self.seen = 0

    def prepare(self, p: Persona, left, right, weights, neighbours) -> None:
        self.p = p
        size = len(self.keys)
        self.pool = {}
        for hand, pool in (("left", left), ("right", right)):
            vector = np.zeros(size)
            total = sum(weights[hand])
            for key, w in zip(pool, weights[hand], strict=True):
                vector[self.index[key]] += w / total
            self.pool[hand] = vector
        self.rolls = {}
        for key, near in neighbours.items():
            vector = np.zeros(size)
            for other in near:
                vector[self.index[other]] += 1 / len(near)
            self.rolls[key] = vector
        self.shift_of = np.array([self.index[_shift_char(k)] for k in self.keys])

    def _one(self, key: str) -> np.ndarray:
        vector = np.zeros(len(self.keys))
        vector[self.index[key]] = 1.0
        return vector

    def before_step(self, out: list[str], hand: str, last: str) -> None:
        if len(self.rows) < self.limit:
            self.rows.append(self.row(out, hand, last))

    def row(self, out: list[str], hand: str, last: str) -> np.ndarray:
        """The next key's distribution after `out`, given the hand and the last key (hidden: the generator's `last`
        is the last key typed without shift outside a motif)."""
        p, n = self.p, len(out)
        if n + max(MOTIF_LENGTHS) > len(self.ids):
            self.ids = np.resize(self.ids, 2 * (n + max(MOTIF_LENGTHS)))
        for position in range(self.seen, n):  # the ids of the keys typed since the last step
            self.ids[position] = self.index[out[position]]
        self.seen = n
        can_space = bool(out) and out[-1] != " "
        p_space = p.space if can_space else 0.0
        p_motif = (p.space + p.motif - p_space) if n > 12 else 0.0
        other = "right" if hand == "left" else "left"
        fresh = p.alternate * self.pool[other] + (1 - p.alternate) * self.pool[hand]
        # after a motif ending in a shifted key, `last` is off the neighbour map and the roll never happens
        normal = p.roll * self.rolls[last] + (1 - p.roll) * fresh if last in self.rolls else fresh
        if n >= 2 and out[-2] != " ":
            normal = p.burst * self._one(out[-2]) + (1 - p.burst) * normal
        if p.shift:
            shifted = np.bincount(self.shift_of, weights=normal, minlength=len(self.keys))
            normal = (1 - p.shift) * normal + p.shift * shifted
        row = (1 - p_space - p_motif) * normal
        if p_space:
            row[self.index[" "]] += p_space
        if p_motif:
            row += p_motif * self._motif_first(n)
        return row

    def _motif_first(self, n: int) -> np.ndarray:
        """The first key of a motif: length L uniform over MOTIF_LENGTHS, start uniform in [max(1, n-60), n-L).
        The starts every length shares are counted once; the few only the shorter lengths reach, one by one."""
        ids = self.ids
        start = max(1, n - MOTIF_WINDOW)
        longest = max(MOTIF_LENGTHS)
        weights = {length: 1 / (len(MOTIF_LENGTHS) * (n - length - start)) for length in MOTIF_LENGTHS}
        first = np.bincount(ids[start : n - longest], minlength=len(self.keys)) * sum(weights.values())
        for position in range(n - longest, n - min(MOTIF_LENGTHS)):
            first[ids[position]] += sum(w for length, w in weights.items() if position < n - length)
        return first

    def motif(self, keys: list[str]) -> None:
        # the motif's first key was drawn from the row just recorded; the rest follow for certain
        for key in keys[1:]:
            if len(self.rows) < self.limit:
                self.rows.append(self._one(key))


# ---- random typists -----------------------------------------------------------------------------------------------

CARRY_REACH = 2.6  # how far along its direction a carried-on step may land (key widths)


@dataclass(frozen=True)
class Mode:
    """One strategy of a random typist: where its hands rest and how it moves them."""

    homes: tuple[tuple[float, float], tuple[float, float]]  # (x, y) of the left and right hand's centre
    spread: float  # how far the hands wander from their centre (key widths)
    home_row: float  # extra weight of home-row keys
    alternate: float  # chance a fresh key is on the other hand
    roll: float  # chance of rolling to a neighbour of the last key
    roll_direction: float  # > 0: rolls rightwards, < 0: leftwards
    repeat: float  # chance of pressing the last key again
    burst: float  # chance of the key two back (a s a s ...)
    favourites: tuple[tuple[str, float], ...] = ()  # key cap -> extra weight
    # chance of a key further along the last step's direction (people's random sequences change direction too
    # seldom: the step between the last two keys tends to carry on, e.g. a s d f)
    carry: float = 0.0
    # share of a fresh key's chance taken off the key just pressed (real mashers almost never press a key twice in
    # a row: 0.5% of steps on real keysmashes, a seventh of what drawing keys independently gives)
    avoid_repeat: float = 0.0
    number_row: float = 1.0  # weight of the number row's keys (real mashers mostly keep to the letters: 5.5% of keys)


@dataclass(frozen=True)
class TypistParams:
    layout: str
    modes: tuple[Mode, ...]
    switch: float  # chance per key of changing mode (strategy drift)
    word_length: float  # keys between spaces, on average (0: no spaces)
    shift: float  # chance a fresh key is typed with shift
    motifs: tuple[str, ...] = ()  # favourite motifs, typed whole
    motif: float = 0.0  # chance of starting a favourite motif
    copy: float = 0.0  # chance of replaying a fragment of the last `copy_window` keys
    copy_window: int = 40


class Typist:
    """A synthetic typist whose every key is drawn from an explicit distribution, so it can say that distribution.

    Hidden state: the mode (strategy), the hand the last fresh key was typed with, and the keys still to come of a
    motif or replayed fragment. Everything else it uses (the last keys, how long since a space) is in the text.
    """

    def __init__(self, params: TypistParams, name: str = "typist") -> None:
        for mode in params.modes:
            if mode.roll + mode.carry + mode.repeat + mode.burst + params.motif + params.copy > 1:
                raise ValueError("a typist's habits take more than every key: no chance left for a fresh one")
        self.params = params
        self.name = name
        self.layout = get_layout(params.layout)
        self.keys: list[str] = list(self.layout.characters)
        self.index = {k: i for i, k in enumerate(self.keys)}
        self.space_id = self.index[SPACE]
        size = len(self.keys)
        caps = [k for row in self.layout.rows[:4] for k in row]
        shifted_of = {key.cap: c for c, key in self.layout.keys.items() if key.shift}  # cap -> its shifted character
        cap_ids = np.array([self.index[k.cap] for k in caps])
        shifted_ids = np.array([self.index[shifted_of.get(k.cap, k.cap)] for k in caps], dtype=np.int64)
        xs = np.array([k.x for k in caps])
        ys = np.array([k.y for k in caps])
        hands = np.array([k.hand == "left" for k in caps])
        # pool[m][h]: a fresh key for hand h in mode m; mix[m][h]: the same after the alternation choice
        self.pool = np.zeros((len(params.modes), 2, size))
        self.rolls = np.zeros((len(params.modes), size, size))
        self.can_roll = np.zeros(size, dtype=bool)
        for m, mode in enumerate(params.modes):
            favourite = {cap: w for cap, w in mode.favourites}
            for h, (hx, hy) in enumerate(mode.homes):
                on_hand = hands if h == 0 else ~hands
                d2 = (xs - hx) ** 2 + (ys - hy) ** 2
                w = np.exp(-d2 / (2 * mode.spread**2)) * np.where(ys == 2, mode.home_row, 1.0) * on_hand
                w = w * np.where(ys == 0, mode.number_row, 1.0)
                w = w * np.array([favourite.get(k.cap, 1.0) for k in caps])
                w = w / w.sum()
                vector = np.zeros(size)
                np.add.at(vector, cap_ids, w * (1 - params.shift))
                np.add.at(vector, shifted_ids, w * params.shift)
                self.pool[m, h] = vector
            for i, k in enumerate(caps):
                near = [self.layout.key(c) for c in self.layout.neighbours(k.cap) if c != SPACE]
                if not near:
                    continue
                w = np.array([math.exp(mode.roll_direction * (n.x - k.x)) for n in near])
                w = w / w.sum()
                row = np.zeros(size)
                for n, wn in zip(near, w, strict=True):
                    row[self.index[n.cap]] += wn * (1 - params.shift)
                    row[self.index[shifted_of.get(n.cap, n.cap)]] += wn * params.shift
                # a shifted key rolls like its cap
                for source in {cap_ids[i], shifted_ids[i]}:
                    self.rolls[m, source] = row
                    self.can_roll[source] = True
        # carry[m, d, k]: a key further along direction d (0: leftwards, 1: rightwards) from key k, nearer keys likelier
        self.carry = np.zeros((len(params.modes), 2, size))
        self.x_of = np.full(size, np.nan)  # each character's key position across the board (nan: the space bar)
        for i, k in enumerate(caps):
            self.x_of[cap_ids[i]] = self.x_of[shifted_ids[i]] = k.x
        self.carry_rows = np.zeros((2, size, size))
        self.can_carry = np.zeros((2, size), dtype=bool)
        for i, k in enumerate(caps):
            for d, sign in enumerate((-1.0, 1.0)):
                ahead = [
                    n
                    for n in caps
                    if sign * (n.x - k.x) > 0.3 and abs(n.y - k.y) <= 1 and abs(n.x - k.x) <= CARRY_REACH
                ]
                if not ahead:
                    continue
                w = np.array([math.exp(-math.hypot(n.x - k.x, n.y - k.y)) for n in ahead])
                w = w / w.sum()
                row = np.zeros(size)
                for n, wn in zip(ahead, w, strict=True):
                    row[self.index[n.cap]] += wn * (1 - params.shift)
                    row[self.index[shifted_of.get(n.cap, n.cap)]] += wn * params.shift
                for source in {cap_ids[i], shifted_ids[i]}:
                    self.carry_rows[d, source] = row
                    self.can_carry[d, source] = True
        self._fresh_cache: dict[tuple[int, int, int], np.ndarray] = {}
        self.mix = np.stack(
            [
                np.stack(
                    [(1 - mode.alternate) * self.pool[m, h] + mode.alternate * self.pool[m, 1 - h] for h in (0, 1)]
                )
                for m, mode in enumerate(params.modes)
            ]
        )
        self.motif_ids = [np.array([self.index[c] for c in motif]) for motif in params.motifs]
        self.motif_first = np.zeros(size)
        for ids in self.motif_ids:
            self.motif_first[ids[0]] += 1 / len(self.motif_ids)

    def describe(self) -> str:
        p = self.params
        return (
            f"SYNTHETIC typist {self.name} on {p.layout}: {len(p.modes)} mode(s), switch {p.switch:.4f}/key, "
            f"words ~{p.word_length:.1f} keys, shift {p.shift:.2f}, {len(p.motifs)} motifs ({p.motif:.2f}), "
            f"copy {p.copy:.2f}"
        )

    # -- one step --------------------------------------------------------------------------------------------

    def space_chance(self, run: int) -> float:
        """Chance of a space after `run` keys since the last one: rising as the word grows (bursts of keys)."""
        length = self.params.word_length
        if length <= 0 or run == 0:
            return 0.0
        return 0.85 / (1.0 + math.exp(-(run - length) * 1.2))

    def direction(self, last: int, before: int) -> int:
        """The horizontal direction of the step from `before` to `last`: 0 leftwards, 1 rightwards, -1 none (a key
        off the rows, the space bar, or a step straight up or down)."""
        if last < 0 or before < 0:
            return -1
        step = self.x_of[last] - self.x_of[before]
        if not abs(step) > 0.3:  # nan (the space bar) fails too
            return -1
        return int(step > 0)

    def fresh_pool(self, mode: int, hand: int, last: int) -> np.ndarray:
        """A fresh key for `hand` in `mode`, with the mode's aversion to pressing `last` again."""
        avoid = self.params.modes[mode].avoid_repeat
        if not avoid or last < 0 or last == self.space_id:
            return self.pool[mode, hand]
        found = self._fresh_cache.get((mode, hand, last))
        if found is None:
            found = self.pool[mode, hand].copy()
            found[last] *= 1 - avoid
            total = found.sum()
            found = found / total if total > 0 else self.pool[mode, hand]
            self._fresh_cache[mode, hand, last] = found
        return found

    def components(self, mode: int, hand: int, last: int, before: int, run: int, n: int) -> list[tuple[float, object]]:
        """This step's choices, each (probability, what it draws): an int is a certain key, an array a distribution
        over keys. Given the hidden state (mode, hand) and the visible context (last key, the one before it, keys
        since a space, how many keys so far). Motifs in progress are handled by the caller."""
        p = self.params
        m = p.modes[mode]
        space = self.space_chance(run) if last >= 0 and last != self.space_id else 0.0
        rest = 1.0 - space
        parts: list[tuple[float, object]] = []
        if space:
            parts.append((space, self.space_id))
        budget = rest
        for chance, what, ok in (
            (p.motif, "motif", bool(self.motif_ids)),
            (p.copy, "copy", n > 8),
            (m.repeat, last, last >= 0 and last != self.space_id),
            (m.burst, before, before >= 0 and before != self.space_id and before != last),
            (m.roll, "roll", last >= 0 and self.can_roll[last]),
            (m.carry, "carry", self._can_carry(last, before)),
        ):
            if ok and chance > 0:
                w = rest * chance
                parts.append((w, what))
                budget -= w
        parts.append((budget, "fresh"))
        return parts

    def _can_carry(self, last: int, before: int) -> bool:
        direction = self.direction(last, before)
        return direction >= 0 and bool(self.can_carry[direction, last])

    def _vector(
        self, what: object, mode: int, hand: int, last: int, copy_hist: np.ndarray, before: int = -1
    ) -> np.ndarray:
        if what == "motif":
            return self.motif_first
        if what == "copy":
            return copy_hist / copy_hist.sum()
        if what == "roll":
            return self.rolls[mode, last]
        if what == "carry":
            return self.carry_rows[self.direction(last, before), last]
        if what == "fresh":
            if not self.params.modes[mode].avoid_repeat:
                return self.mix[mode, hand]
            a = self.params.modes[mode].alternate
            return (1 - a) * self.fresh_pool(mode, hand, last) + a * self.fresh_pool(mode, 1 - hand, last)
        raise AssertionError(what)

    def generate(self, keys: int, seed: int = 0, *, oracle: bool = False) -> tuple[str, np.ndarray | None]:
        """`keys` keystrokes, and with `oracle` the (keys, len(self.keys)) exact next-key distributions."""
        if keys < 1:
            raise KeytuiError("--keys must be at least 1")
        p = self.params
        rng = np.random.default_rng(seed)
        uniforms = rng.random((keys, 3))
        switches = rng.random(keys)
        mode = int(rng.integers(len(p.modes)))
        hand = int(rng.integers(2))
        out = np.zeros(keys, dtype=np.int64)
        rows = np.zeros((keys, len(self.keys)), dtype=np.float32) if oracle else None
        queue: list[int] = []
        copy_hist = np.zeros(len(self.keys))
        window = p.copy_window
        last = before = -1
        run = 0
        cdf_cache: dict[int, np.ndarray] = {}
        for t in range(keys):
            if queue:
                key = queue.pop(0)
                if rows is not None:
                    rows[t, key] = 1.0
            else:
                parts = self.components(mode, hand, last, before, run, t)
                if rows is not None:
                    row = np.zeros(len(self.keys))
                    for w, what in parts:
                        if isinstance(what, (int, np.integer)):
                            row[what] += w
                        else:
                            row += w * self._vector(what, mode, hand, last, copy_hist, before)
                    rows[t] = row
                u, u_key, u_hand = uniforms[t]
                what = _choose(parts, u)
                if isinstance(what, (int, np.integer)):
                    key = int(what)
                elif what == "motif":
                    motif = self.motif_ids[min(int(u_key * len(self.motif_ids)), len(self.motif_ids) - 1)]
                    key = int(motif[0])
                    queue.extend(int(k) for k in motif[1:])
                elif what == "copy":
                    start = max(0, t - window) + min(int(u_key * (min(t, window) - 1)), min(t, window) - 2)
                    length = 2 + min(int(u_hand * 4), 3)
                    key = int(out[start])
                    queue.extend(int(k) for k in out[start + 1 : min(start + length, t)])
                elif what == "roll":
                    key = _draw(self.rolls[mode, last], u_key, cdf_cache, (mode, last))
                elif what == "carry":
                    direction = self.direction(last, before)
                    key = _draw(self.carry_rows[direction, last], u_key, cdf_cache, (direction, last, "carry"))
                else:  # a fresh key: maybe on the other hand
                    if u_hand < p.modes[mode].alternate:
                        hand = 1 - hand
                    fresh = self.fresh_pool(mode, hand, last)
                    key = _draw(fresh, u_key, cdf_cache, (mode, hand, last, "pool"))
            out[t] = key
            # visible context and the copy window's histogram (keys t-window .. t-1 after this step)
            if t - 1 >= 0:
                copy_hist[out[t - 1]] += 1
            if t - window >= 0:
                copy_hist[out[t - window]] -= 1  # the window is keys t+1-window .. t-1 at the next step
            before, last = last, key
            run = 0 if key == self.space_id else run + 1
            if len(p.modes) > 1 and switches[t] < p.switch:  # strategy drift, after the key
                mode = (mode + 1 + int(switches[t] / p.switch * (len(p.modes) - 1))) % len(p.modes)
        text = "".join(self.keys[k] for k in out)
        return text, rows


def _choose(parts: list[tuple[float, object]], u: float) -> object:
    """The part a uniform draw `u` falls in (the last one takes any rounding left over)."""
    for w, what in parts:
        if u < w:
            return what
        u -= w
    return parts[-1][1]


def _draw(probs: np.ndarray, u: float, cache: dict, tag) -> int:
    cdf = cache.get(tag)
    if cdf is None:
        cdf = np.cumsum(probs)
        cache[tag] = cdf
    return int(min(np.searchsorted(cdf, u * cdf[-1], side="right"), len(cdf) - 1))


def random_typist(seed: int, layout: str | None = DEFAULT_LAYOUT, *, motifs: bool = True) -> Typist:
    """A typist with habits drawn at random over wide ranges (seeded: the same seed gives the same typist).
    `layout=None` draws the layout too; `motifs=False`: no motifs and no replays.

    The ranges are centred on real keyboard mashing (the shared data's README: repeats rare, hands alternating
    about half the time, a third of steps to a neighbouring key, the top row busier than the bottom, the direction
    of the last step carrying on, loops of a few keys typed again and again, drifting): tests/test_simulate_realism.py
    checks each statistic of the real mashes lies well inside the range of these typists. They stay wide, because
    people differ a lot, and some typists keep the habits real mashers lack (repeats, bursts, long words)."""
    rng = random.Random(seed)
    layout = layout or rng.choice(LAYOUTS)
    board = get_layout(layout)
    caps = [k.cap for row in board.rows[:4] for k in row]
    modes = []
    for _ in range(rng.choice((1, 2, 2, 3, 3))):  # people drift between strategies
        # hand centres: the top row is as busy as the home row on real mashes, the bottom row a third of that
        left = (rng.uniform(1.5, 5.0), rng.uniform(0.7, 2.1))
        right = (rng.uniform(7.0, 11.0), rng.uniform(0.7, 2.1))
        roll, carry = rng.uniform(0, 0.35), rng.uniform(0, 0.4)
        repeat = rng.choice((0.0, 0.0, 0.0, 0.0, rng.uniform(0, 0.02), rng.uniform(0, 0.2)))
        burst = rng.choice((rng.uniform(0, 0.08), rng.uniform(0, 0.35)))
        total = roll + carry + repeat + burst
        if total > 0.85:  # leave room for fresh keys
            roll, carry, repeat, burst = (v * 0.85 / total for v in (roll, carry, repeat, burst))
        favourites = tuple((cap, rng.uniform(2, 15)) for cap in rng.sample(caps, rng.randint(0, 8)))
        modes.append(
            Mode(
                homes=(left, right),
                spread=rng.uniform(0.6, 2.2),
                home_row=rng.uniform(1.0, 3.0),
                alternate=rng.uniform(0.45, 1.0),
                roll=roll,
                roll_direction=rng.uniform(-2.0, 2.0),
                repeat=repeat,
                burst=burst,
                favourites=favourites,
                carry=carry,
                number_row=rng.uniform(0.05, 0.8),
                avoid_repeat=rng.choice((0.0, rng.uniform(0.9, 1.0), 1.0, 1.0)),
            )
        )
    typist_motifs: tuple[str, ...] = ()
    motif_chance = copy_chance = 0.0
    copy_window = 40
    if motifs:
        fresh = [c for c in caps if c.isalpha()] or caps
        typist_motifs = tuple(_motif(rng, fresh, rng.randint(2, 6)) for _ in range(rng.randint(0, 4)))
        motif_chance = rng.uniform(0.0, 0.12) if typist_motifs else 0.0
        # replaying a fragment of the last few keys: loops of a few keys (s d f s d f) that drift as fresh keys enter
        copy_chance = rng.choice((0.0, rng.uniform(0.0, 0.2), rng.uniform(0.15, 0.6), rng.uniform(0.15, 0.6)))
        copy_window = rng.randint(6, 40)
    room = 0.9 - motif_chance - copy_chance  # what each mode's habits may take, leaving fresh keys a share
    for i, mode in enumerate(modes):
        habits = mode.roll + mode.carry + mode.repeat + mode.burst
        if habits > room:
            scale = room / habits
            modes[i] = replace(
                mode,
                roll=mode.roll * scale,
                carry=mode.carry * scale,
                repeat=mode.repeat * scale,
                burst=mode.burst * scale,
            )
    params = TypistParams(
        layout=layout,
        modes=tuple(modes),
        switch=rng.uniform(0.0005, 0.004) if len(modes) > 1 else 0.0,
        # real mashes have few spaces (1% of keys): most typists type none, some now and then, some words
        word_length=rng.choice((0.0, 0.0, rng.uniform(12.0, 60.0), rng.uniform(2.0, 12.0))),
        shift=rng.choice((0.0, 0.0, rng.uniform(0.0, 0.15))),
        motifs=typist_motifs,
        motif=motif_chance,
        copy=copy_chance,
        copy_window=copy_window,
    )
    return Typist(params, name=f"random-{seed}")


def _motif(rng: random.Random, keys: list[str], length: int) -> str:
    """A favourite motif of `length` keys, no key twice in a row (as real mashers type)."""
    motif = [rng.choice(keys)]
    while len(motif) < length:
        motif.append(rng.choice([k for k in keys if k != motif[-1]] or keys))
    return "".join(motif)


# ---- the oracle ---------------------------------------------------------------------------------------------------


@dataclass
class OracleTrace:
    """A simulated text with, before each key, the exact distribution it was drawn from (given the hidden state)."""

    text: str
    keys: list[str]  # what the columns of `probs` are
    probs: np.ndarray  # (len(text), len(keys))
    actual: np.ndarray = field(init=False)  # column of each typed key

    def __post_init__(self) -> None:
        index = {k: i for i, k in enumerate(self.keys)}
        self.actual = np.array([index[c] for c in self.text], dtype=np.int64)

    @property
    def p_actual(self) -> np.ndarray:
        return self.probs[np.arange(len(self.text)), self.actual]

    @property
    def best_hit(self) -> np.ndarray:
        """Per key, the chance that guessing the oracle's most likely key hits."""
        return self.probs.max(axis=1)

    def expected_hits(self, guesses: Sequence[str], start: int = 0) -> np.ndarray:
        """Per guess (made before key `start`, `start` + 1, ...), the chance it hits under the true distribution:
        a predictor's hit rate without the noise of which key was drawn, scored as the limits are."""
        columns = {k: i for i, k in enumerate(self.keys)}
        rows = self.probs[start : start + len(guesses)]
        return np.array([row[columns[g]] if g in columns else 0.0 for row, g in zip(rows, guesses, strict=True)])

    def limit_hit_rate(self, start: int = 0, stop: int | None = None) -> float:
        """Expected hit rate of always guessing the oracle's argmax: the best a predictor that knew the hidden state
        could do (for what reading the keys alone can reach, see `keytui.synthetic.bayes`)."""
        return float(self.best_hit[start:stop].mean())

    def entropy_bits(self, start: int = 0, stop: int | None = None) -> float:
        """The oracle's mean entropy in bits per key (the fewest bits any predictor could pay, on average)."""
        p = self.probs[start:stop].astype(np.float64)
        with np.errstate(divide="ignore", invalid="ignore"):
            terms = np.where(p > 0, -p * np.log2(p), 0.0)
        return float(terms.sum(axis=1).mean())

    def bits_per_key(self, start: int = 0, stop: int | None = None) -> float:
        """The oracle's log loss on the keys actually typed (bits per key)."""
        return float(-np.log2(np.maximum(self.p_actual[start:stop], 1e-12)).mean())


def simulate_with_oracle(typist: str | Typist, keys: int, seed: int = 0, layout: str = DEFAULT_LAYOUT) -> OracleTrace:
    """A persona's (by name) or a typist's keys with the exact next-key distribution before each one.

    `layout` applies to a random typist named "random" (its habits drawn from `seed`); the original personas live on
    qwerty."""
    if isinstance(typist, Typist):
        text, rows = typist.generate(keys, seed, oracle=True)
        return OracleTrace(text, typist.keys, rows)
    if typist == "random":
        return simulate_with_oracle(random_typist(seed, layout), keys, seed)
    persona = _check(typist, keys)
    oracle = _PersonaOracle(list(get_layout(DEFAULT_LAYOUT).characters), keys)
    text = _simulate_persona(persona, keys, seed, oracle)
    return OracleTrace(text, oracle.keys, np.array(oracle.rows[:keys], dtype=np.float32))


def with_layout(params: TypistParams, layout: str) -> TypistParams:
    """The same habits on another layout (the hands land on the same physical keys)."""
    return replace(params, layout=layout)


# ---- how much a text looks like real mashing ----------------------------------------------------------------------

MASHING_STATISTICS = (
    "repeat",  # the same key twice in a row
    "other_hand",  # the next key on the other hand (of steps between two keys of the hands)
    "adjacent",  # the next key physically adjacent: another key <= 1 row and <= 1.3 columns away
    "row_number",  # share of keys on each row (of keys typed)
    "row_top",
    "row_home",
    "row_bottom",
    "carry_on",  # a step in the same horizontal direction as the step before (of two sideways steps in a row)
    "back_and_forth",  # a key that continues a pair typed 2-6 keys before (s d f s d: loops and motifs)
    "drift",  # how far the keys of a session's second half are from its first half's (total variation)
)


def mashing_statistics(lines: Sequence[str], layout: str = DEFAULT_LAYOUT) -> dict[str, float]:
    """The statistics of real keyboard mashing the shared data's README lists (MASHING_STATISTICS), measured on
    `lines` (each a mash or a session: steps never cross from one line to the next) as that README does: on the
    layout's geometry (US qwerty by default), lower-cased, keys the layout lacks left out. `drift` is measured on
    lines of 200 keys or more only (nan if there are none)."""
    board = get_layout(layout)
    steps = repeats = hand_steps = other = adjacent = sideways = carried = looped = places = 0
    rows = np.zeros(5)
    drifts: list[float] = []
    for line in lines:
        keys = [board.key(board.key_cap(c.lower())) for c in line]
        keys = [k for k in keys if k is not None]
        for k in keys:
            rows[k.row] += 1
        for a, b in itertools.pairwise(keys):
            steps += 1
            repeats += a.cap == b.cap
            if a.hand in ("left", "right") and b.hand in ("left", "right"):
                hand_steps += 1
                other += a.hand != b.hand
            adjacent += a.cap != b.cap and abs(a.y - b.y) <= 1 and abs(a.x - b.x) <= 1.3
        for a, b, c in zip(keys, keys[1:], keys[2:], strict=False):
            first, second = b.x - a.x, c.x - b.x
            if abs(first) > 0.3 and abs(second) > 0.3:
                sideways += 1
                carried += (first > 0) == (second > 0)
        caps = [k.cap for k in keys]
        for t in range(3, len(caps)):
            places += 1
            looped += any(caps[t] == caps[t - lag] and caps[t - 1] == caps[t - 1 - lag] for lag in range(2, min(7, t)))
        if len(caps) >= 200:
            half = len(caps) // 2
            first_half, second_half = Counter(caps[:half]), Counter(caps[half : 2 * half])
            drifts.append(sum(abs(first_half[c] - second_half[c]) for c in first_half | second_half) / (2 * half))
    typed = max(1.0, rows.sum())
    return {
        "repeat": repeats / max(1, steps),
        "other_hand": other / max(1, hand_steps),
        "adjacent": adjacent / max(1, steps),
        "row_number": rows[0] / typed,
        "row_top": rows[1] / typed,
        "row_home": rows[2] / typed,
        "row_bottom": rows[3] / typed,
        "carry_on": carried / max(1, sideways),
        "back_and_forth": looped / max(1, places),
        "drift": float(np.mean(drifts)) if drifts else math.nan,
    }


def join_lines(lines: Sequence[str], keys: int) -> list[str]:
    """Consecutive lines joined into sessions of about `keys` keys (a line is never split; the last session takes
    what is left): the shared mash file's short lines, read as the longer sessions a player types."""
    sessions, current = [], ""
    for line in lines:
        current += line
        if len(current) >= keys:
            sessions.append(current)
            current = ""
    if current:
        sessions.append(current)
    return sessions
