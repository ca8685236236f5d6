"""A network's settings (architecture, sizes, key sharing, keyboard geometry) and their bounds, without torch:
a checkpoint's header is read and checked, and its weights stepped in numpy, before torch has loaded."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, fields
from typing import TYPE_CHECKING

from keytui.data.keyboard import LAYOUTS, get_layout

if TYPE_CHECKING:
    import numpy as np
from keytui.errors import KeytuiError

ARCHITECTURES = ("gru", "gru-onehot", "lstm", "lstm-attn")
# Bounds on model sizes: far above anything useful for a few hundred keys, far below what hangs or fills memory
# (a checkpoint's settings are untrusted input). The largest allowed LSTM has about 70 million weights.
MAX_VOCAB = 4096
MAX_HIDDEN = 1024
MAX_EMBEDDING = 1024
MAX_LAYERS = 8
MAX_ATTN_WINDOW = 4096


@dataclass(frozen=True)
class ModelConfig:
    vocab_size: int
    arch: str = "gru"
    embedding_dim: int = 70
    hidden_size: int = 150
    num_layers: int = 2
    dropout: float = 0.1
    attn_window: int = 64  # lstm-attn: how many past outputs a key can attend to
    # A character and its shifted twin (a / A, 1 / !) share the key cap's input and output weights, so what is
    # learnt about `the` helps with `THE`. Needs an embedding: off for gru-onehot, which stays the reference's.
    share_key_caps: bool = True
    # Each key's input embedding gets a learned linear map of where the key sits on the keyboard `layout`
    # (keytui/data/keyboard.py feature vectors), and each logit the top layer's preference for keys with those features:
    # what is learnt about one key carries over to its row, finger and hand, and to other layouts. Needs an
    # embedding; off for checkpoints from before.
    key_geometry: bool = False
    layout: str = "qwerty"

    def __post_init__(self) -> None:
        if self.arch == "gru-onehot":
            object.__setattr__(self, "share_key_caps", False)
            object.__setattr__(self, "key_geometry", False)
        for name in ("share_key_caps", "key_geometry"):
            if not isinstance(getattr(self, name), bool):
                raise KeytuiError(f"model setting {name} must be true or false, not {getattr(self, name)!r}")
        if not isinstance(self.layout, str) or self.layout not in LAYOUTS:
            raise KeytuiError(f"model setting layout must be one of {', '.join(LAYOUTS)}, not {self.layout!r}")
        if self.arch not in ARCHITECTURES:
            raise KeytuiError(f"unknown architecture {self.arch!r}; choose one of {', '.join(ARCHITECTURES)}")
        for name, top in (
            ("vocab_size", MAX_VOCAB),
            ("hidden_size", MAX_HIDDEN),
            ("num_layers", MAX_LAYERS),
            ("attn_window", MAX_ATTN_WINDOW),
            ("embedding_dim", MAX_EMBEDDING),
        ):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= top:
                raise KeytuiError(
                    f"model setting {name} must be a whole number from 1 to at most {top:,}, not {value!r}"
                )
        if isinstance(self.dropout, bool) or not isinstance(self.dropout, (int, float)) or not 0 <= self.dropout < 1:
            raise KeytuiError(f"model setting dropout must be in [0, 1), not {self.dropout!r}")

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict) -> ModelConfig:
        if not isinstance(data, dict):
            raise KeytuiError("model settings in the checkpoint are not an object")
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise KeytuiError(f"checkpoint has unknown model settings: {', '.join(sorted(unknown))}")
        data = {"share_key_caps": False, **data}  # checkpoints from before the setting existed did not share
        try:
            return cls(**data)
        except TypeError as exc:
            raise KeytuiError(f"checkpoint model settings are incomplete: {exc}") from None


def key_feature_array(keys: Sequence[str], layout: str) -> np.ndarray:
    """(V, G) float32: each vocabulary entry's feature vector on `layout` (keytui/data/keyboard.py); the unknown
    token's is all zeros. What a network with keyboard geometry reads."""
    import numpy as np  # not at the top: `keytui train --help` reads the settings without numpy

    board = get_layout(layout)
    table = np.asarray(board.feature_matrix([k if len(k) == 1 else " " for k in keys]), dtype=np.float32)
    for i, key in enumerate(keys):
        if len(key) != 1:
            table[i] = 0.0
    return table
