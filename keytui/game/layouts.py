"""Which keyboard layout a game is played on: the player's flag, their corpus's, or the model's."""

from __future__ import annotations

from pathlib import Path

from keytui.data.corpus_meta import read_layout, recording_layout
from keytui.data.keyboard import layout_or_default
from keytui.model.checkpoint import read_metadata


def play_layout(model_path: Path, corpus_path: Path | None, requested: str | None) -> str:
    """The layout the player types on: --layout, else the layout of the corpus their keys go to (when it has keys),
    else the model's (a model from before layouts were kept: qwerty)."""
    if corpus_path is not None:
        if requested is not None:
            return recording_layout(corpus_path, requested)
        if corpus_path.exists() and corpus_path.stat().st_size > 0:
            return read_layout(corpus_path)
    if requested is not None:
        return requested
    layout = layout_or_default(read_metadata(model_path).get("layout"))
    if corpus_path is not None:
        recording_layout(corpus_path, layout)
    return layout
