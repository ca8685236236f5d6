"""What gave you away: the habits a guesser used, in plain words.

From a run of keys and, for each, whether it was guessed (the machine's own record of a game, or, for a corpus
with no game, a guesser that only counts which key followed the last two), this finds:
- the moments where the guesser was most often right ("after `as` you pressed `d` 8 times out of 10");
- the keys it saw coming most and least often;
- three habits of the hands against a random typist who presses the same keys uniformly at random: switching
  hands between keys, rolling onto a neighbouring key, and pressing the same key twice;
- per key, how often it was pressed and how often it was guessed (the keyboard heatmap).
"""

from __future__ import annotations

import itertools
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from keytui.data.keyboard import DEFAULT_LAYOUT, HANDS, get_layout

CONTEXT = 2  # keys of context in a habit: enough to tell a roll, few enough to recur in a short game
MIN_CONTEXT_SEEN = 3  # a moment seen fewer times than this is an anecdote, not a habit
MIN_KEY_PRESSES = 3  # a key pressed fewer times than this is not scored as best or worst
NEIGHBOUR_RADIUS = 1.3  # key widths: the keys around a key, diagonals included
SHOWN = 3  # habits and keys named in the summary


@dataclass(frozen=True)
class Habit:
    """After `context`, the player pressed `key` `times` times out of `out_of`, and was guessed `guessed` times."""

    context: str
    key: str
    times: int
    out_of: int
    guessed: int

    def sentence(self) -> str:
        return f"after {quoted(self.context)} you pressed {quoted(self.key)} {self.times} times out of {self.out_of}"

    def to_json(self) -> dict:
        return {
            "context": self.context,
            "key": self.key,
            "times": self.times,
            "out_of": self.out_of,
            "guessed": self.guessed,
        }


@dataclass(frozen=True)
class KeyScore:
    key: str
    pressed: int
    guessed: int

    @property
    def rate(self) -> float:
        return self.guessed / self.pressed if self.pressed else 0.0

    def to_json(self) -> dict:
        return {"key": self.key, "pressed": self.pressed, "guessed": self.guessed}


@dataclass(frozen=True)
class PairHabit:
    """How often two keys in a row did something, for the player and for a random typist of the same keys."""

    name: str
    yours: float
    random_typist: float
    pairs: int

    def sentence(self) -> str:
        return (
            f"you {self.name} {self.yours:.0%} of the time (a random typist of the same keys: {self.random_typist:.0%})"
        )

    def to_json(self) -> dict:
        return {"yours": round(self.yours, 4), "random_typist": round(self.random_typist, 4), "pairs": self.pairs}


@dataclass(frozen=True)
class Insight:
    source: str  # where the keys came from, in words
    guesser: str  # who made the guesses, in words
    keys: int
    guessed: int
    habits: list[Habit]
    best: list[KeyScore]
    worst: list[KeyScore]
    alternation: PairHabit | None
    neighbours: PairHabit | None
    repeats: PairHabit | None
    heatmap: dict[str, KeyScore] = field(default_factory=dict)  # by key cap

    @property
    def hit_rate(self) -> float:
        return self.guessed / self.keys if self.keys else 0.0

    def lines(self) -> list[str]:
        """The whole insight as plain sentences, most telling first."""
        if self.keys == 0:
            return [f"No keys to look at in {self.source} yet."]
        out = [f"{self.source}: {self.keys} keys; {self.guesser} guessed {self.guessed} of them ({self.hit_rate:.0%})."]
        if self.habits:
            out.append("What gave you away:")
            out.extend(f"  {h.sentence()} (guessed {h.guessed} times)" for h in self.habits[:SHOWN])
        else:
            out.append("No habit stood out: no two keys were followed by the same key often enough.")
        if self.best:
            out.append("Keys it saw coming: " + ", ".join(_key_rate(k) for k in self.best))
        if self.worst:
            out.append("Keys it guessed least often: " + ", ".join(_key_rate(k) for k in self.worst))
        for pair in (self.alternation, self.neighbours, self.repeats):
            if pair is not None:
                out.append(_capitalised(pair.sentence()) + ".")
        return out

    def summary(self) -> str:
        """One line: the most telling habit, or the most telling pair habit when no context stood out."""
        if self.habits:
            return _capitalised(self.habits[0].sentence()) + "."
        pairs = [p for p in (self.alternation, self.neighbours, self.repeats) if p is not None]
        if pairs:
            loudest = max(pairs, key=lambda p: abs(p.yours - p.random_typist))
            return _capitalised(loudest.sentence()) + "."
        return "Too few keys to say what gave you away."

    def to_json(self) -> dict:
        return {
            "source": self.source,
            "guesser": self.guesser,
            "keys": self.keys,
            "guessed": self.guessed,
            "habits": [h.to_json() for h in self.habits],
            "best_keys": [k.to_json() for k in self.best],
            "worst_keys": [k.to_json() for k in self.worst],
            "hand_alternation": self.alternation.to_json() if self.alternation else None,
            "neighbour_rolls": self.neighbours.to_json() if self.neighbours else None,
            "repeats": self.repeats.to_json() if self.repeats else None,
            "heatmap": {cap: {"pressed": s.pressed, "guessed": s.guessed} for cap, s in sorted(self.heatmap.items())},
            "lines": self.lines(),
        }


def _capitalised(sentence: str) -> str:
    return sentence[:1].upper() + sentence[1:]


def quoted(keys: str) -> str:
    """Keys as the player would read them: in backticks, the space bar named."""
    return "`" + keys.replace(" ", "␣") + "`"


def _key_rate(score: KeyScore) -> str:
    return f"{quoted(score.key)} {score.guessed}/{score.pressed}"


def counting_guesses(keys: str, context: int = CONTEXT) -> list[bool]:
    """Whether a guesser that counts which key followed the last `context` keys (falling back to shorter
    contexts, then to the most frequent key) would have guessed each key, learning as it goes."""
    followers: dict[str, Counter[str]] = defaultdict(Counter)
    hits = []
    for i, key in enumerate(keys):
        guess = None
        for order in range(min(context, i), -1, -1):
            seen = followers.get(keys[i - order : i])
            if seen:
                guess = seen.most_common(1)[0][0]
                break
        hits.append(guess == key)
        for order in range(min(context, i) + 1):
            followers[keys[i - order : i]][key] += 1
    return hits


def find_habits(keys: str, hits: Sequence[bool], context: int = CONTEXT) -> list[Habit]:
    """The (context, next key) pairs the guesser got right most often, best first."""
    seen: Counter[str] = Counter()
    pressed: Counter[tuple[str, str]] = Counter()
    guessed: Counter[tuple[str, str]] = Counter()
    for i in range(context, len(keys)):
        moment = keys[i - context : i]
        seen[moment] += 1
        pressed[moment, keys[i]] += 1
        if hits[i]:
            guessed[moment, keys[i]] += 1
    habits = [
        Habit(moment, key, pressed[moment, key], seen[moment], count)
        for (moment, key), count in guessed.items()
        if seen[moment] >= MIN_CONTEXT_SEEN and pressed[moment, key] >= 2
    ]
    habits.sort(key=lambda h: (-h.guessed, -h.times / h.out_of, h.context, h.key))
    return habits


def score_keys(keys: str, hits: Sequence[bool]) -> dict[str, KeyScore]:
    pressed: Counter[str] = Counter(keys)
    guessed: Counter[str] = Counter(k for k, hit in zip(keys, hits, strict=True) if hit)
    return {k: KeyScore(k, pressed[k], guessed[k]) for k in pressed}


def pair_habits(keys: str, layout: str = DEFAULT_LAYOUT) -> tuple[PairHabit | None, PairHabit | None, PairHabit | None]:
    """Hand alternation, rolls to a neighbouring key and repeats, against a random typist of the same keys.

    A random typist presses each of the player's distinct key caps with equal chance, independently, so for two
    keys in a row: switching hands has chance 2*L*R/N^2 (L, R: caps per hand), a neighbour has chance
    (ordered neighbouring pairs)/N^2, and a repeat 1/N. Hands and neighbours count keys typed by one hand (not the
    space bar, nor characters off the layout).
    """
    board = get_layout(layout)
    caps = [board.key_cap(k) for k in keys]
    hand = {c: key.hand for c in set(caps) if (key := board.key(c)) is not None and key.hand in HANDS}
    on_grid = sorted(hand)
    pairs = [(a, b) for a, b in itertools.pairwise(caps) if a in hand and b in hand]
    if len(on_grid) < 2 or not pairs:
        return None, None, None
    count = len(on_grid)
    left = sum(1 for c in on_grid if hand[c] == "left")
    right = count - left
    switches = sum(1 for a, b in pairs if hand[a] != hand[b])
    alternation = PairHabit("switch hands", switches / len(pairs), 2 * left * right / count**2, len(pairs))

    def near(a: str, b: str) -> bool:
        return a != b and board.distance(a, b) <= NEIGHBOUR_RADIUS

    neighbour_pairs = sum(1 for a in on_grid for b in on_grid if near(a, b))
    rolls = sum(1 for a, b in pairs if near(a, b))
    neighbours = PairHabit("roll onto a neighbouring key", rolls / len(pairs), neighbour_pairs / count**2, len(pairs))
    all_pairs = list(itertools.pairwise(caps))
    repeats = PairHabit(
        "press the same key twice",
        sum(1 for a, b in all_pairs if a == b) / len(all_pairs),
        1 / len(set(caps)),
        len(all_pairs),
    )
    return alternation, neighbours, repeats


def insight(
    keys: str,
    hits: Sequence[bool] | None = None,
    *,
    source: str,
    guesser: str | None = None,
    layout: str = DEFAULT_LAYOUT,
) -> Insight:
    """What gave the player away in `keys` (typed on `layout`). With no `hits`, a counting guesser replays them."""
    if hits is None:
        hits = counting_guesses(keys)
        guesser = guesser or "a guesser that only counts which key followed the last two"
    if len(hits) != len(keys):
        raise ValueError("one hit flag per key is needed")
    board = get_layout(layout)
    scores = score_keys(keys, hits)
    ranked = sorted(
        (s for s in scores.values() if s.pressed >= MIN_KEY_PRESSES), key=lambda s: (-s.rate, -s.pressed, s.key)
    )
    best = [s for s in ranked if s.guessed > 0][:SHOWN]
    worst = [s for s in reversed(ranked) if s not in best][:SHOWN]
    heatmap: dict[str, KeyScore] = {}
    for score in scores.values():
        cap = board.key_cap(score.key)
        old = heatmap.get(cap, KeyScore(cap, 0, 0))
        heatmap[cap] = KeyScore(cap, old.pressed + score.pressed, old.guessed + score.guessed)
    alternation, neighbours, repeats = pair_habits(keys, layout)
    return Insight(
        source=source,
        guesser=guesser or "the machine",
        keys=len(keys),
        guessed=sum(bool(h) for h in hits),
        habits=find_habits(keys, hits),
        best=best,
        worst=worst,
        alternation=alternation,
        neighbours=neighbours,
        repeats=repeats,
        heatmap=heatmap,
    )


SHADES = " ░▒▓█"


def text_heatmap(found: Insight, layout: str = DEFAULT_LAYOUT) -> str:
    """The keyboard in plain text, each key followed by a shade for how often it was guessed when pressed."""
    lines = []
    for indent, row in zip((0, 2, 3, 5), get_layout(layout).rows, strict=False):
        cells = []
        for key in row:
            score = found.heatmap.get(key.cap)
            shade = " " if score is None else SHADES[min(4, 1 + int(score.rate * 4))] if score.guessed else "·"
            cells.append(f"{key.cap}{shade}")
        lines.append(" " * indent + " ".join(cells))
    space = found.heatmap.get(" ")
    if space is not None:
        lines.append(f"{'':12s}space {space.guessed}/{space.pressed}")
    lines.append("· never guessed  ░ under 25%  ▒ under 50%  ▓ under 75%  █ 75% or more")
    return "\n".join(lines)
