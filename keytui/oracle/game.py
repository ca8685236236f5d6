"""A few-key game: the full game's rules and scoring (keytui/game/session.py) with the few-key predictor and Aaronson's
order-5 oracle as the baseline, the prior read from this workspace's earlier games on the same keys."""

from __future__ import annotations

import time
from pathlib import Path

from keytui.data.history import History
from keytui.game.session import GameSession
from keytui.oracle.baselines import OrderOracle
from keytui.oracle.evaluation import AARONSON_ORDER
from keytui.oracle.predictor import FewKeyPredictor
from keytui.oracle.store import GameStore, GameWriter

REPLAYED_PRESSES = 3_000  # the newest stored presses go through the whole predictor (its vote's prior learns too)


def prior_predictor(keys: str, store: GameStore | None) -> FewKeyPredictor:
    """A predictor that has learned from the earlier games in `store`: older ones counted into the shared trees,
    the newest played through in full, so both the shared counts and the vote's learned prior carry over."""
    predictor = FewKeyPredictor(keys)
    if store is None:
        return predictor
    games = store.games()
    replayed, older, total = [], [], 0
    for game in reversed(games):
        (replayed if total < REPLAYED_PRESSES else older).append(game)
        total += len(game)
    predictor.absorb(reversed(older))
    predictor.replay(reversed(replayed))
    predictor.players = len(games)
    predictor.new_player()
    return predictor


def new_game(
    keys: str, root: Path | None, *, round_size: int = 100, keep: bool = True, clock=time.monotonic
) -> tuple[GameSession, GameWriter | None, int]:
    """A game on `keys`: the session, the writer keeping its presses (None unless `keep`), and how many earlier
    games it learned from. Without a workspace `root`, no prior and nothing kept. Finished rounds and the game
    go into the workspace's history as mode "few-key" (`clock`: None when presses come from a file)."""
    store = GameStore(root, keys) if root is not None else None
    writer = store.writer() if store is not None and keep else None
    try:
        predictor = prior_predictor(keys, store)
    except BaseException:
        if writer is not None:
            writer.close()
        raise
    session = GameSession(
        predictor,
        OrderOracle(keys, AARONSON_ORDER),
        round_size=round_size,
        recorder=writer,
        history=History.of_workspace(root) if root is not None else None,
        model_label=f"oracle {keys}",
        mode="few-key",
        clock=clock,
    )
    return session, writer, max(0, predictor.players - 1)


def game_scores(session: GameSession) -> dict:
    """The figures of a finished game kept beside its presses."""
    total = session.total
    return {
        "n": total.n,
        "hit_rate": round(total.model.hit_rate, 6),
        "ngram_hit_rate": round(total.baseline.hit_rate, 6),
    }
