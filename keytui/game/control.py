"""The control: a random generator plays against the same machine, to show what chance looks like.

It presses keys uniformly at random among the keys the model can name, so its expected hit rate is exactly the
uniform chance the verdict compares against. If the machine scored well above that against a random generator,
it would be cheating (seeing the key before guessing); it cannot, and the control shows it.
"""

from __future__ import annotations

import random
import threading
from pathlib import Path

from keytui.data.history import History
from keytui.game.session import GameSession


def random_keys(keys: list[str], count: int, rng: random.Random) -> str:
    """`count` keys drawn uniformly, with replacement, from `keys`."""
    if not keys:
        return ""
    return "".join(rng.choice(keys) for _ in range(count))


def play_random(
    game: GameSession, count: int, rng: random.Random | None = None, *, cancel: threading.Event | None = None
) -> GameSession:
    """Let a random generator play `count` keys of `game` (whose mode should be "random"); returns the game."""
    rng = rng or random.Random()
    keys = [k for k in game.predictor.keys if len(k) == 1 and k.isprintable()]
    for key in random_keys(keys, count, rng):
        if cancel is not None and cancel.is_set():
            break
        if game.press(key).round_over:
            game.next_round()
        game.settle()
    return game


def control_game(
    checkpoint_path: Path,
    count: int,
    *,
    round_size: int = 100,
    adaptive: bool = True,
    history: History | None = None,
    rng: random.Random | None = None,
    cancel: threading.Event | None = None,
) -> GameSession:
    """A fresh machine from the checkpoint on disk (never the one a player is playing: an adaptive machine learns
    from what it is shown) against `count` random keys; the finished game is kept in `history`."""
    from keytui.model.checkpoint import load_checkpoint
    from keytui.predictors import NGramPredictor
    from keytui.predictors.factory import build_predictor

    checkpoint = load_checkpoint(checkpoint_path)
    game = GameSession(
        build_predictor(checkpoint, adaptive=adaptive),
        NGramPredictor(checkpoint.fit_text, adaptive=adaptive),
        round_size=round_size,
        history=history,
        model_label=checkpoint.label,
        mode="random",
        clock=None,  # a generator has no typing speed
    )
    play_random(game, count, rng, cancel=cancel)
    game.finish()
    return game
