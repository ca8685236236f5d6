"""The oracle game on a few keys (Aaronson's f/d game, rock-paper-scissors, digits): its key sets, synthetic players,
the plain order-k oracle it descends from, the few-key predictor, the store of earlier games, and eval over players.

Domain only: nothing here imports Textual.
"""
