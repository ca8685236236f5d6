"""A play session's rules and scoring, headless: the screen only draws what this decides.

Before each key the model commits to a guess (its top-3 and its confidence). When the key lands it is scored against
that guess, the baselines are scored on the same key, and only then does the model see the key and prepare its next
guess. A round is `round_size` keys; the session keeps both the round's and the whole game's figures.
"""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass, field

import numpy as np

from keytui.metrics import StreamingMetrics, binomial_upper_tail
from keytui.predictors import Predictor

SIGNIFICANCE = 0.01
MIN_KEYS_FOR_VERDICT = 20
ROLLING_KEYS = 20  # the rolling hit rate is over this many most recent keys
RATE_HISTORY = 200  # how many rolling hit rates the screen can draw


@dataclass(frozen=True)
class Guess:
    top: list[str]  # best first
    confidence: float  # the model's probability for its first guess


@dataclass(frozen=True)
class KeyResult:
    key: str
    guess: Guess
    hit: bool
    top3_hit: bool
    baseline_hit: bool
    round_over: bool


@dataclass(frozen=True)
class Verdict:
    hits: int
    n: int
    chance: float
    p_value: float
    text: str

    @property
    def predictable(self) -> bool:
        return self.n >= MIN_KEYS_FOR_VERDICT and self.p_value < SIGNIFICANCE


@dataclass
class Scoreboard:
    """The figures for a stretch of play (a round, or the whole game)."""

    model: StreamingMetrics = field(default_factory=StreamingMetrics)
    baseline: StreamingMetrics = field(default_factory=StreamingMetrics)

    @property
    def n(self) -> int:
        return self.model.n

    def to_json(self, uniform_chance: float) -> dict:
        verdict = judge(self.model, uniform_chance)
        return {
            "n": self.n,
            "model": self.model.to_json(),
            "baseline_ngram": self.baseline.to_json(),
            "chance": {"uniform": round(uniform_chance, 6), "majority": round(self.model.majority_rate, 6)},
            "verdict": {"predictable": verdict.predictable, "p_value": verdict.p_value, "text": verdict.text},
        }


def judge(metrics: StreamingMetrics, uniform_chance: float) -> Verdict:
    """Is the model's hit rate beyond what guessing could do? Exact one-sided binomial test against the stronger
    of two chance levels: uniform guessing, and always guessing the player's most frequent key (in hindsight)."""
    n, hits = metrics.n, metrics.hits
    chance = max(uniform_chance, metrics.majority_rate)
    if n < MIN_KEYS_FOR_VERDICT:
        return Verdict(hits, n, chance, 1.0, f"Keep typing: a verdict needs {MIN_KEYS_FOR_VERDICT - n} more keys.")
    p_value = binomial_upper_tail(hits, n, chance)
    rate = hits / n
    if p_value < SIGNIFICANCE:
        text = f"The machine reads you: {rate:.0%} hits vs {chance:.0%} chance (p={p_value:.1g})."
    elif rate > chance:
        text = f"Close: {rate:.0%} hits vs {chance:.0%} chance, not yet significant (p={p_value:.2f})."
    else:
        text = f"You beat the machine: {rate:.0%} hits, no better than {chance:.0%} chance."
    return Verdict(hits, n, chance, p_value, text)


class GameSession:
    def __init__(
        self,
        predictor: Predictor,
        baseline: Predictor,
        *,
        round_size: int = 100,
        recent: int = 40,
        recorder=None,
    ) -> None:
        self.predictor = predictor
        self.baseline = baseline
        self.round_size = round_size
        self.recorder = recorder  # a CorpusWriter, or None when played keys are not kept
        self.total = Scoreboard()
        self.round = Scoreboard()
        self.rounds_done: list[dict] = []
        self.history: deque[KeyResult] = deque(maxlen=recent)
        self.recent_hits: deque[bool] = deque(maxlen=ROLLING_KEYS)
        self.rolling_rates: deque[float] = deque(maxlen=RATE_HISTORY)  # hit rate over the last keys, after each key
        self.latencies: deque[float] = deque(maxlen=1000)
        self.guess = self._make_guess()
        self._baseline_guess = self.baseline.guess(1)

    @property
    def uniform_chance(self) -> float:
        return 1.0 / max(1, len(self.predictor.keys))

    def _make_guess(self) -> Guess:
        top, probs = self.predictor.ranked(3)
        self._probs = probs
        return Guess(top, float(probs.max()) if len(probs) else 0.0)

    def press(self, key: str) -> KeyResult:
        """Score `key` against the committed guess, then let the predictors see it and commit to the next guess."""
        if self.recorder is not None:
            self.recorder.write(key)  # on disk before it counts: a crash never loses a key the screen showed
        guess = self.guess
        p_actual = self.predictor.prob_of(key, self._probs)
        baseline_top = self._baseline_guess
        baseline_p = self.baseline.prob_of(key, self.baseline.probs()) if baseline_top else 0.0
        for board in (self.total, self.round):
            board.model.update(key, guess.top or ["\x00"], p_actual)
            board.baseline.update(key, baseline_top or ["\x00"], baseline_p)
        started = time.perf_counter()
        self.predictor.observe(key)
        self.baseline.observe(key)
        self.guess = self._make_guess()
        self._baseline_guess = self.baseline.guess(1)
        self.latencies.append(time.perf_counter() - started)  # to the next guess; deferred learning is not in it
        hit = bool(guess.top) and guess.top[0] == key
        round_over = self.round.n >= self.round_size
        result = KeyResult(
            key, guess, hit, key in guess.top[:3], bool(baseline_top) and baseline_top[0] == key, round_over
        )
        self.history.append(result)
        self.recent_hits.append(hit)
        self.rolling_rates.append(sum(self.recent_hits) / len(self.recent_hits))
        if round_over:
            self.rounds_done.append(self.round.to_json(self.uniform_chance))
        return result

    def settle(self) -> None:
        """Let the predictors do their deferred learning: call it between keys, once the guess is on screen."""
        self.predictor.settle()
        self.baseline.settle()

    def next_round(self) -> None:
        self.round = Scoreboard()

    def verdict(self, board: Scoreboard | None = None) -> Verdict:
        return judge((board or self.total).model, self.uniform_chance)

    def latency_p99_ms(self) -> float:
        return float(np.percentile(np.array(self.latencies), 99) * 1000) if self.latencies else 0.0

    def summary(self) -> dict:
        data = self.total.to_json(self.uniform_chance)
        data["rounds"] = self.rounds_done
        return data
