"""SYNTHETIC few-key players, for tests and benchmarks: people pressing f/d (or any few keys) "at random".

Every player is a small stochastic program whose hidden state (the presses so far, a position in a pattern, which
strategy it is on) gives an EXACT distribution of its next press. So a benchmark knows the limit: the hit rate of a
guesser that knew the hidden state, the mean over presses of the most likely next press's probability. No predictor
can beat it in expectation.

Kinds follow what people do when asked to be random (Aaronson's oracle, rock-paper-scissors studies): they
alternate too much, avoid runs, keep the two keys balanced, fall into patterns, favour one key, and change strategy
as the game goes on. Each player's parameters are drawn at random, so two alternators differ.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from keytui.errors import KeytuiError


class Player:
    """A synthetic player over keys 0..k-1: `distribution()` is its exact next-press distribution given its hidden
    state; `observe(key)` moves the state on after a press (its own, drawn from that distribution)."""

    kind = "player"

    def __init__(self, k: int) -> None:
        self.k = k
        self.last: int | None = None
        self.run = 0  # how many times in a row `last` has been pressed

    def distribution(self) -> np.ndarray:
        raise NotImplementedError

    def observe(self, key: int) -> None:
        self.run = self.run + 1 if key == self.last else 1
        self.last = key


def _others(k: int, key: int, weights: np.ndarray | None = None) -> np.ndarray:
    """A distribution over every key but `key` (weighted, or uniform)."""
    row = np.ones(k) if weights is None else weights.copy()
    row[key] = 0.0
    return row / row.sum()


class Uniform(Player):
    """A fair die: the control. Nobody, the limit included, beats 1/k on it."""

    kind = "random"

    def distribution(self) -> np.ndarray:
        return np.full(self.k, 1.0 / self.k)


class Biased(Player):
    """Presses one favourite key more often than the others, independently of what came before."""

    kind = "biased"

    def __init__(self, k: int, rng: np.random.Generator) -> None:
        super().__init__(k)
        favourite = int(rng.integers(k))
        lean = rng.uniform(0.58, 0.72) if k == 2 else rng.uniform(0.3, 0.5)
        rest = rng.dirichlet(np.full(k - 1, 3.0)) * (1 - lean)
        self.probs = np.insert(rest, favourite, lean)

    def distribution(self) -> np.ndarray:
        return self.probs


class Alternator(Player):
    """Switches key far more often than chance; on a switch, goes to another key by a fixed preference."""

    kind = "alternator"

    def __init__(self, k: int, rng: np.random.Generator) -> None:
        super().__init__(k)
        self.switch = rng.uniform(0.7, 0.88)
        self.preference = rng.dirichlet(np.full(k, 1.0)) if k > 2 else None

    def distribution(self) -> np.ndarray:
        if self.last is None:
            return np.full(self.k, 1.0 / self.k)
        row = self.switch * _others(self.k, self.last, self.preference)
        row[self.last] = 1 - self.switch
        return row


class Repeater(Player):
    """Sticks with the last key more often than chance."""

    kind = "repeater"

    def __init__(self, k: int, rng: np.random.Generator) -> None:
        super().__init__(k)
        self.stay = rng.uniform(0.62, 0.8) if k == 2 else rng.uniform(0.4, 0.65)

    def distribution(self) -> np.ndarray:
        if self.last is None:
            return np.full(self.k, 1.0 / self.k)
        row = (1 - self.stay) * _others(self.k, self.last)
        row[self.last] = self.stay
        return row


class RunAvoider(Player):
    """The classic human: avoids runs (the longer the run, the surer the switch) and keeps the keys balanced over
    the last few presses (a key pressed less lately is pressed more)."""

    kind = "run-avoider"

    def __init__(self, k: int, rng: np.random.Generator) -> None:
        super().__init__(k)
        self.stay = [rng.uniform(0.35, 0.5), rng.uniform(0.12, 0.25), rng.uniform(0.0, 0.06)]
        self.balance = rng.uniform(0.2, 0.5)
        self.recent: deque[int] = deque(maxlen=int(rng.integers(6, 11)))

    def distribution(self) -> np.ndarray:
        if self.last is None:
            return np.full(self.k, 1.0 / self.k)
        counts = np.bincount(np.array(self.recent, dtype=np.int64), minlength=self.k)
        lean = np.exp(-self.balance * (counts - counts.mean()))
        stay = self.stay[min(self.run, len(self.stay)) - 1]
        row = (1 - stay) * _others(self.k, self.last, lean)
        row[self.last] = stay
        return row

    def observe(self, key: int) -> None:
        super().observe(key)
        self.recent.append(key)


class Cycler(Player):
    """Plays a short pattern over and over (f f d f d ...), now and then pressing a random key instead; the
    pattern moves on either way, as a rhythm does."""

    kind = "cycler"

    def __init__(self, k: int, rng: np.random.Generator) -> None:
        super().__init__(k)
        length = int(rng.integers(3, 7))
        pattern = rng.integers(k, size=length)
        while len(set(pattern.tolist())) < 2:
            pattern = rng.integers(k, size=length)
        self.pattern = pattern
        self.noise = rng.uniform(0.1, 0.25)
        self.position = 0

    def distribution(self) -> np.ndarray:
        row = np.full(self.k, self.noise / self.k)
        row[self.pattern[self.position]] += 1 - self.noise
        return row

    def observe(self, key: int) -> None:
        super().observe(key)
        self.position = (self.position + 1) % len(self.pattern)


class Habit(Player):
    """A habit of order 2 or 3: each combination of the last presses has its own (random) leaning."""

    kind = "habit"

    def __init__(self, k: int, rng: np.random.Generator) -> None:
        super().__init__(k)
        self.order = int(rng.integers(2, 4))
        self.table = rng.dirichlet(np.full(k, 0.6), size=k**self.order)
        self.history: deque[int] = deque(maxlen=self.order)

    def distribution(self) -> np.ndarray:
        if len(self.history) < self.order:
            return np.full(self.k, 1.0 / self.k)
        context = 0
        for key in self.history:
            context = context * self.k + key
        return self.table[context]

    def observe(self, key: int) -> None:
        super().observe(key)
        self.history.append(key)


class Switcher(Player):
    """Changes strategy mid-game: plays one simple strategy for a stretch of presses, then another. Every strategy
    watches every press, so whichever takes over knows the presses so far."""

    kind = "switcher"

    def __init__(self, k: int, rng: np.random.Generator) -> None:
        super().__init__(k)
        kinds = rng.choice(np.array(SIMPLE_KINDS, dtype=object), size=int(rng.integers(2, 4)), replace=False)
        self.strategies = [KINDS[str(name)](k, rng) for name in kinds]
        self.stretch = int(rng.integers(80, 260))
        self.presses = 0

    def _current(self) -> Player:
        return self.strategies[(self.presses // self.stretch) % len(self.strategies)]

    def distribution(self) -> np.ndarray:
        return self._current().distribution()

    def observe(self, key: int) -> None:
        super().observe(key)
        for strategy in self.strategies:
            strategy.observe(key)
        self.presses += 1


class Blend(Player):
    """Two strategies at once: each press comes from one or the other, by a fixed share."""

    kind = "blend"

    def __init__(self, k: int, rng: np.random.Generator) -> None:
        super().__init__(k)
        first, second = rng.choice(np.array(SIMPLE_KINDS, dtype=object), size=2, replace=False)
        self.strategies = [KINDS[str(first)](k, rng), KINDS[str(second)](k, rng)]
        self.share = rng.uniform(0.3, 0.7)

    def distribution(self) -> np.ndarray:
        first, second = (s.distribution() for s in self.strategies)
        return self.share * first + (1 - self.share) * second

    def observe(self, key: int) -> None:
        super().observe(key)
        for strategy in self.strategies:
            strategy.observe(key)


SIMPLE_KINDS = ("alternator", "repeater", "run-avoider", "biased", "cycler", "habit")
KINDS: dict[str, type[Player]] = {
    "alternator": Alternator,
    "repeater": Repeater,
    "run-avoider": RunAvoider,
    "biased": Biased,
    "cycler": Cycler,
    "habit": Habit,
    "switcher": Switcher,
    "blend": Blend,
    "random": Uniform,
}


def make_player(kind: str, k: int, rng: np.random.Generator) -> Player:
    if kind not in KINDS:
        raise KeytuiError(f"unknown kind of player {kind!r}; choose from {', '.join(KINDS)}")
    cls = KINDS[kind]
    return cls(k) if cls is Uniform else cls(k, rng)


@dataclass(frozen=True)
class SimulatedGame:
    kind: str
    presses: str
    best: np.ndarray  # before each press, the probability of the most likely next press: the limit's expected hits
    # before each press, the player's whole next-press distribution over the keys (presses x k), when asked for
    exact: np.ndarray | None = None

    def limit(self, first: int | None = None) -> float:
        """The limit's expected hit rate over the first `first` presses (all by default)."""
        best = self.best[:first]
        return float(best.mean()) if len(best) else 0.0

    def chances(self, guesses: np.ndarray) -> np.ndarray:
        """For a guesser's key index before each press, the chance that guess was right (needs `exact`): its
        expected hits, which score a guesser on these presses with far less noise than counting its hits."""
        if self.exact is None:
            raise ValueError("this game kept no exact distributions: simulate it with exact=True")
        return self.exact[np.arange(len(guesses)), guesses]


def play(player: Player, keys: str, presses: int, rng: np.random.Generator, *, exact: bool = False) -> SimulatedGame:
    """Let `player` press `presses` keys, recording each press and the limit's chance of guessing it (and, with
    `exact`, the player's whole distribution before each press)."""
    out: list[str] = []
    best = np.empty(presses)
    rows = np.empty((presses, player.k)) if exact else None
    draws = rng.random(presses)
    for i in range(presses):
        row = player.distribution()
        best[i] = row.max()
        if rows is not None:
            rows[i] = row / row.sum()
        key = min(int(np.searchsorted(np.cumsum(row), draws[i] * row.sum(), side="right")), player.k - 1)
        out.append(keys[key])
        player.observe(key)
    return SimulatedGame(player.kind, "".join(out), best, rows)


def iter_players(
    keys: str,
    players: int,
    presses: int,
    seed: int = 0,
    kinds: tuple[str, ...] | None = None,
    *,
    exact: bool = False,
) -> Iterator[SimulatedGame]:
    """`players` synthetic players, the kinds taken in turn (so every kind is there), `presses` presses each."""
    if players < 1 or presses < 1:
        raise KeytuiError("--players and --presses must be at least 1")
    kinds = kinds or tuple(KINDS)
    for kind in kinds:
        if kind not in KINDS:
            raise KeytuiError(f"unknown kind of player {kind!r}; choose from {', '.join(KINDS)}")
    rng = np.random.default_rng(seed)
    for i in range(players):
        yield play(make_player(kinds[i % len(kinds)], len(keys), rng), keys, presses, rng, exact=exact)


def simulate_players(
    keys: str,
    players: int,
    presses: int,
    seed: int = 0,
    kinds: tuple[str, ...] | None = None,
    *,
    exact: bool = False,
) -> list[SimulatedGame]:
    return list(iter_players(keys, players, presses, seed, kinds, exact=exact))
