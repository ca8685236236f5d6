"""A game with no screen: keys from a stream (stdin, a pipe, a file) played one after another, as `keytui play
--headless` runs them. The same rules, scoring, recording and history as the play screen."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from keytui.data.corpus import CorpusBusy, CorpusWriter
from keytui.data.history import History
from keytui.errors import KeytuiError
from keytui.game.session import GameSession


def play_stream(
    keys: Iterable[str],
    model_path: Path,
    *,
    corpus_path: Path | None,
    history: History | None,
    round_size: int = 100,
    adaptive: bool = True,
    dodge: bool = False,
    layout: str | None = None,
) -> GameSession:
    """Play every key of `keys` against the model at `model_path`; each played key is appended to `corpus_path`
    (None: not kept) before the next is read. Returns the finished game; Ctrl-C ends it early, with
    `game.interrupted` set."""
    from keytui.model.checkpoint import load_checkpoint
    from keytui.predictors import NGramPredictor
    from keytui.predictors.factory import build_predictor

    checkpoint = load_checkpoint(model_path)
    try:
        writer = CorpusWriter(corpus_path) if corpus_path else None
    except CorpusBusy as exc:
        raise KeytuiError(f"{exc}, so played keys cannot be appended to it; play with --no-append") from None
    try:
        game = GameSession(
            build_predictor(checkpoint, adaptive=adaptive, layout=layout),
            NGramPredictor(checkpoint.fit_text, adaptive=adaptive),
            round_size=round_size,
            recorder=writer,
            history=history,
            model_label=checkpoint.label,
            mode="dodge" if dodge else "play",
            clock=None,  # keys read from a stream carry no timing: no keys-per-second figure is made up
        )
        try:
            for key in keys:
                if game.press(key, dodge=dodge).round_over:
                    game.next_round()
                game.settle()
        except KeyboardInterrupt:  # Ctrl-C ends the game early: it is still finished, kept and reported
            game.interrupted = True
    finally:
        if writer:
            writer.close()
    game.finish()
    return game
