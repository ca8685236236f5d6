"""A play session's rules and scoring, headless: the screen only draws what this decides.

Before each key the model commits to a guess (its top-3 and its confidence). When the key lands it is scored against
that guess, the baselines are scored on the same key, and only then does the model see the key and prepare its next
guess. A round is `round_size` keys; the session keeps both the round's and the whole game's figures.

Dodge mode is another game: the guess is shown and the player tries to avoid it. Its keys are scored apart (a dodge
score), never in the hit rate, the rounds or the verdict, and never kept as random typing.
"""

from __future__ import annotations

import gc
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from keytui.data.history import GameRecord, History, least_predictable_yet, now_iso
from keytui.data.metrics import StreamingMetrics, binomial_upper_tail
from keytui.errors import KeytuiError
from keytui.predictors import Predictor

SIGNIFICANCE = 0.01
MIN_KEYS_FOR_VERDICT = 20
ROLLING_KEYS = 20  # the rolling hit rate is over this many most recent keys
RATE_HISTORY = 200  # how many rolling hit rates the screen can draw
SPEED_KEYS = 10  # keys per second is measured over this many most recent keys


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
    dodge: bool = False  # pressed with the guess shown: scored apart


@dataclass
class DodgeScore:
    """Keys pressed with the guess shown: how often the player avoided it, and how often chance alone would have."""

    n: int = 0
    dodged: int = 0
    expected: float = 0.0  # sum over keys of 1 - p(shown guess): what pressing at the model's odds would dodge

    def update(self, dodged: bool, p_guess: float) -> None:
        self.n += 1
        self.dodged += dodged
        self.expected += 1.0 - p_guess

    @property
    def rate(self) -> float:
        return self.dodged / self.n if self.n else 0.0

    def to_json(self) -> dict:
        expected = self.expected / self.n if self.n else 0.0
        return {
            "n": self.n,
            "dodged": self.dodged,
            "dodge_rate": round(self.rate, 6),
            "expected_rate": round(expected, 6),
        }


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
            "calibration_error": round(self.model.calibration_error, 6),
            "chance": {"uniform": round(uniform_chance, 6), "majority": round(self.model.majority_rate, 6)},
            "verdict": {"predictable": verdict.predictable, "p_value": verdict.p_value, "text": verdict.text},
        }

    def record(self, kind: str, uniform_chance: float, **details) -> GameRecord:
        """This stretch of play as a history record."""
        verdict = judge(self.model, uniform_chance)
        model = self.model
        return GameRecord(
            kind=kind,
            date=now_iso(),
            keys=self.n,
            hit_rate=round(model.hit_rate, 6),
            top3_hit_rate=round(model.top3_hit_rate, 6),
            macro_f1=round(model.macro_f1, 6),
            weighted_f1=round(model.weighted_f1, 6),
            bits_per_key=round(model.bits_per_char, 6),
            chance=round(verdict.chance, 6),
            uniform_chance=round(uniform_chance, 6),
            p_value=verdict.p_value,
            predictable=verdict.predictable,
            verdict=verdict.text,
            ngram_hit_rate=round(self.baseline.hit_rate, 6),
            **details,
        )


class PlayClock:
    """When keys land, to tell keys per second: live over the last few keys, and over the time spent typing
    (a pause on a results screen between rounds is not typing time)."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self.clock = clock
        self.recent: deque[float] = deque(maxlen=SPEED_KEYS)
        self.round_first: float | None = None
        self.round_last: float | None = None
        self.seconds = 0.0  # typing time of the finished rounds
        self.gaps = 0  # key-to-key intervals in that time

    def tick(self) -> None:
        now = self.clock()
        self.recent.append(now)
        if self.round_first is None:
            self.round_first = now
        self.round_last = now

    def live(self) -> float | None:
        if len(self.recent) < 2 or self.recent[-1] <= self.recent[0]:
            return None
        return (len(self.recent) - 1) / (self.recent[-1] - self.recent[0])

    def round_rate(self, keys: int) -> float | None:
        if self.round_first is None or self.round_last is None or keys < 2 or self.round_last <= self.round_first:
            return None
        return (keys - 1) / (self.round_last - self.round_first)

    def close_round(self, keys: int) -> None:
        if self.round_first is not None and self.round_last is not None and keys >= 2:
            self.seconds += self.round_last - self.round_first
            self.gaps += keys - 1
        self.round_first = self.round_last = None
        self.recent.clear()  # the pause before the next round is not typing

    def game_rate(self, open_round_keys: int) -> float | None:
        seconds, gaps = self.seconds, self.gaps
        if self.round_first is not None and self.round_last is not None and open_round_keys >= 2:
            seconds += self.round_last - self.round_first
            gaps += open_round_keys - 1
        return gaps / seconds if seconds > 0 else None


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
        history: History | None = None,
        model_label: str = "",
        mode: str = "play",
        clock: Callable[[], float] | None = time.monotonic,
    ) -> None:
        """`history`: where finished rounds and games are kept (None: nowhere). `clock`: None when the keys do not
        arrive in real time (read from a file), so no keys-per-second figure is made up."""
        self.predictor = predictor
        self.baseline = baseline
        self.round_size = round_size
        self.recorder = recorder  # a CorpusWriter, or None when played keys are not kept
        self.total = Scoreboard()
        self.round = Scoreboard()
        self.rounds_done: list[dict] = []
        self.dodge = DodgeScore()
        self.history: deque[KeyResult] = deque(maxlen=recent)
        self.recent_hits: deque[bool] = deque(maxlen=ROLLING_KEYS)
        self.rolling_rates: deque[float] = deque(maxlen=RATE_HISTORY)  # hit rate over the last keys, after each key
        self.latencies: deque[float] = deque(maxlen=1000)
        self.history_store = history
        self.history_error: str | None = None  # why the history could not be written, once it could not
        self.interrupted = False  # a headless game's stream was cut short by Ctrl-C
        self.model_label = model_label
        self.models_played = [model_label]  # every model that guessed in this game, in order (a retrain swaps)
        self.mode = mode
        self.clock = PlayClock(clock) if clock is not None else None
        self.last_round_record: GameRecord | None = None
        self.least_predictable_round = False  # the last finished round was the least predictable of its mode yet
        self.game_record: GameRecord | None = None
        self._round_modes: set[str] = set()
        self._game_modes: set[str] = set()
        self._typed: list[str] = []
        self._hits: list[bool] = []
        self._keys_kept = True  # every key so far went to a corpus (or was the random control's)
        self.guess = self._make_guess()
        self._baseline_guess = self.baseline.guess(3)  # its top 3, so its top-3 hit rate is measured

    @property
    def uniform_chance(self) -> float:
        return 1.0 / max(1, len(self.predictor.keys))

    def _make_guess(self) -> Guess:
        top, probs = self.predictor.ranked(3)
        self._probs = probs
        return Guess(top, float(probs.max()) if len(probs) else 0.0)

    def press(self, key: str, *, dodge: bool = False) -> KeyResult:
        """Score `key` against the committed guess, then let the predictors see it and commit to the next guess.

        `dodge`: the guess was shown before the key, so the key is scored as a dodge, apart, and not recorded.
        """
        if self.recorder is not None and not dodge:
            self.recorder.write(key)  # on disk before it counts: a crash never loses a key the screen showed
        guess = self.guess
        p_actual = self.predictor.prob_of(key, self._probs)
        baseline_top = self._baseline_guess
        if dodge:
            self.dodge.update(guess.top[:1] != [key], guess.confidence)
        else:
            baseline_p = self.baseline.prob_of(key, self.baseline.probs()) if baseline_top else 0.0
            for board in (self.total, self.round):
                board.model.update(key, guess.top or ["\x00"], p_actual, guess.confidence if guess.top else None)
                board.baseline.update(key, baseline_top or ["\x00"], baseline_p)
        started = time.perf_counter()
        # No garbage collection inside the guess: beside a screen's thousands of objects one full collection takes
        # milliseconds, and the guess is a few hundred microseconds. It runs after, between keys. (In the play
        # screen, guesses over 1 ms of CPU time went from 247 to 96 of 950.)
        collecting = gc.isenabled()
        gc.disable()
        try:
            self.predictor.observe(key)
            self.guess = self._make_guess()
        finally:
            if collecting:
                gc.enable()
        # to the machine's next guess; its deferred learning and the n-gram rival shown beside it are not in it
        self.latencies.append(time.perf_counter() - started)
        self.baseline.observe(key)
        self._baseline_guess = self.baseline.guess(3)  # its top 3, so its top-3 hit rate is measured
        hit = bool(guess.top) and guess.top[0] == key
        round_over = not dodge and self.round.n >= self.round_size
        result = KeyResult(
            key, guess, hit, key in guess.top[:3], bool(baseline_top) and baseline_top[0] == key, round_over, dodge
        )
        self.history.append(result)
        if not dodge:  # dodge keys are another game: none of the main game's figures or records see them
            self.recent_hits.append(hit)
            self.rolling_rates.append(sum(self.recent_hits) / len(self.recent_hits))
            self._typed.append(key)
            self._hits.append(hit)
            self._round_modes.add(self.mode)
            self._game_modes.add(self.mode)
            if self.recorder is None and self.mode != "random":
                self._keys_kept = False
        if self.clock is not None:
            self.clock.tick()
        if round_over:
            self.rounds_done.append(self.round.to_json(self.uniform_chance))
            self._record_round()
        return result

    @property
    def typed(self) -> str:
        """Every key of this game so far."""
        return "".join(self._typed)

    @property
    def hits(self) -> list[bool]:
        """Whether each key of this game was the machine's first guess."""
        return list(self._hits)

    def keys_per_second(self) -> float | None:
        """Over the last few keys: how fast the player is typing now."""
        return self.clock.live() if self.clock is not None else None

    def _round_mode(self) -> str:
        return next(iter(self._round_modes)) if len(self._round_modes) == 1 else "mixed"

    def _record_round(self) -> None:
        speed = self.clock.round_rate(self.round.n) if self.clock is not None else None
        record = self.round.record(
            "round",
            self.uniform_chance,
            model=self.model_label,
            mode=self._round_mode(),
            keys_per_second=_rounded(speed),
            round=len(self.rounds_done),
        )
        self._round_modes = set()
        if self.clock is not None:
            self.clock.close_round(self.round.n)
        self.last_round_record = record
        self.least_predictable_round = False
        if self.history_store is not None:
            earlier = self._read_history()
            self.least_predictable_round = least_predictable_yet(earlier, record)
            self.rounds_done[-1]["least_predictable_yet"] = self.least_predictable_round
            self._append(record)

    def _read_history(self) -> list[GameRecord]:
        try:
            return self.history_store.read().records if self.history_store is not None else []
        except KeytuiError as exc:
            self.history_error = str(exc)
            return []

    def _append(self, record: GameRecord) -> None:
        """Keep a record; a history the disk refuses is reported once and then left alone: play goes on."""
        if self.history_store is None or self.history_error is not None:
            return
        try:
            self.history_store.append(record)
        except KeytuiError as exc:
            self.history_error = str(exc)

    def finish(self) -> GameRecord | None:
        """The game is over: keep its record (once; a game without a key leaves none)."""
        if self.game_record is not None or self.total.n == 0:
            return self.game_record
        speed = self.clock.game_rate(self.round.n) if self.clock is not None else None
        modes = set(self._game_modes)
        keep = self._keys_kept
        self.game_record = self.total.record(
            "game",
            self.uniform_chance,
            model=self.model_label,
            mode=modes.pop() if len(modes) == 1 else "mixed",
            keys_per_second=_rounded(speed),
            rounds=len(self.rounds_done),
            typed=self.typed if keep else None,
            hits="".join("1" if h else "0" for h in self._hits) if keep else None,
            extra=self._game_extra(),
        )
        self._append(self.game_record)
        return self.game_record

    def _game_extra(self) -> dict:
        """What a game record keeps beyond the common figures: the dodge game's score, every model that played."""
        extra: dict = {}
        if self.dodge.n:
            extra["dodge"] = self.dodge.to_json()
        if len(self.models_played) > 1:
            extra["models"] = self.models_played
        return extra

    def swap_predictor(self, predictor: Predictor, label: str, *, warm_keys: int = 200) -> None:
        """Play on with another model (between rounds): it first reads this game's last keys, unscored, so that it
        guesses the next key from where the player is, then commits to its guess. Figures so far are kept."""
        for key in self._typed[-warm_keys:]:
            predictor.observe(key)
        predictor.settle()
        self.predictor = predictor
        self.models_played.append(label)
        self.model_label = label
        self.guess = self._make_guess()

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
        if self.dodge.n:
            data["dodge"] = self.dodge.to_json()
        return data


def _rounded(value: float | None) -> float | None:
    return round(value, 3) if value is not None else None
