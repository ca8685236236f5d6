"""A trained GRU network run one key at a time in numpy: the game's per-key step without PyTorch's per-call cost.

One key through a 2-layer GRU of 128 units is a few small matrix-vector products. PyTorch spends most of its
~0.35 ms per step dispatching a dozen operators; numpy does the same arithmetic in a few tens of microseconds, which
is what lets the whole mixture guess in under a millisecond. Everything linear around the recurrent core is folded
ahead of time, from the model's own functions (so it stays right whatever input or output layers the model has):

- the input: every key's embedding (with key caps and keyboard geometry) already through the first layer's input
  weights, one row per key id;
- the output: the head, the key-cap and shift terms and the geometry preference are all linear in the top layer's
  output, so they fold into one matrix and one bias.

The folding reads the weights as numpy arrays (a checkpoint read without torch: load_weights in checkpoint.py), so
the game guesses before torch has even loaded; tests/test_stepper.py checks it against the PyTorch network.
`compile_stepper` returns None for the networks it does not cover (LSTM, attention); the caller then steps with
PyTorch. Weights that change (dynamic evaluation) need `refresh()`: the folded tables are copies.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from keytui.model.config import ModelConfig

if TYPE_CHECKING:
    from keytui.model.models import KeyModel


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 0.5 * (np.tanh(0.5 * x) + 1.0)  # tanh form: no overflow warning for large negative inputs


def model_arrays(model: KeyModel) -> dict[str, np.ndarray]:
    """A PyTorch network's weights as numpy arrays (views, not copies: fold them before they change)."""
    return {name: tensor.detach().numpy() for name, tensor in model.state_dict().items()}


class GRUStepper:
    """`step(key_id, state)` -> (logits (V,), top-layer output (H,), new state (L, H)), all float32 numpy;
    `state` None is the zero state, as for the PyTorch GRU. Built from the network's settings and its weights as
    numpy arrays (named as in its state_dict); `model`, when given, is where `refresh()` reads changed weights."""

    def __init__(self, config: ModelConfig, arrays: dict[str, np.ndarray], model: KeyModel | None = None) -> None:
        self.config = config
        self.model = model
        self.layers = config.num_layers
        self.hidden = config.hidden_size
        self.input_table: np.ndarray  # (V, 3H): each key through the first layer's input weights
        self.w_ih: list[np.ndarray | None]  # per layer; None for the first (folded into input_table)
        self.b_ih: list[np.ndarray | None]
        self.w_hh: list[np.ndarray]
        self.b_hh: list[np.ndarray]
        self.out_weight: np.ndarray  # (V, H)
        self.out_bias: np.ndarray  # (V,)
        for name, table in self._fold(arrays).items():
            setattr(self, name, table)
        self._prepared: tuple[np.ndarray | None, list[np.ndarray] | None] = (None, None)  # see prepare()

    def _fold(self, w: dict[str, np.ndarray]) -> dict[str, np.ndarray | list]:
        """The model's input and output layers folded into tables, as KeyModel._embed and KeyModel.logits
        compute them (keytui/model/models.py): embedding + key cap + shift + keyboard geometry in; head + key cap +
        shift + geometry out."""
        config, layers = self.config, range(self.layers)
        f32 = np.float32
        if config.arch == "gru-onehot":
            embedded = np.eye(config.vocab_size, dtype=f32)
        else:
            embedded = w["embedding.weight"].astype(f32)  # a copy
        out_weight = w["head.weight"].astype(f32)
        out_bias = w["head.bias"].astype(f32)
        if config.share_key_caps and config.arch != "gru-onehot":
            cap, shift = w["key_caps.cap_of_key"], w["key_caps.shift_of_key"]
            embedded += w["key_caps.cap_embedding.weight"][cap] + w["key_caps.shift_embedding.weight"][shift]
            if cap.max(initial=0) > 0 or len(np.unique(shift)) > 1:  # KeyCaps.moves_logits
                out_weight += w["key_caps.cap_head.weight"][cap] + w["key_caps.shift_head.weight"][shift]
                out_bias += w["key_caps.shift_head.bias"][shift]
        if config.key_geometry and config.arch != "gru-onehot":
            table = w["key_geometry.key_features"]
            embedded += table @ w["key_geometry.feature_embedding.weight"].T
            out_weight += table @ w["key_geometry.feature_head.weight"]
        return {
            "input_table": (embedded @ w["rnn.weight_ih_l0"].T + w["rnn.bias_ih_l0"]).astype(f32),
            "w_ih": [None] + [w[f"rnn.weight_ih_l{k}"].astype(f32) for k in layers[1:]],
            "b_ih": [None] + [w[f"rnn.bias_ih_l{k}"].astype(f32) for k in layers[1:]],
            "w_hh": [w[f"rnn.weight_hh_l{k}"].astype(f32) for k in layers],
            "b_hh": [w[f"rnn.bias_hh_l{k}"].astype(f32) for k in layers],
            "out_weight": np.ascontiguousarray(out_weight, dtype=f32),
            "out_bias": out_bias,
        }

    def refresh(self) -> None:
        """Fold the model's weights again after they changed (dynamic evaluation), into the same arrays: nothing is
        reallocated every few keys, and the step right after reads memory it has already touched (it measured
        about 0.1 ms faster than with new arrays)."""
        self._prepared = (None, None)  # worked out with the old weights
        assert self.model is not None, "refresh() reads the weights of the network the stepper was built from"
        for name, new in self._fold(model_arrays(self.model)).items():
            mine = getattr(self, name)
            for target, source in zip(mine, new, strict=True) if isinstance(new, list) else [(mine, new)]:
                if source is not None:
                    np.copyto(target, source)

    def prepare(self, state: np.ndarray | None) -> None:
        """Work out, before the next key arrives, the half of its step that does not depend on the key: every
        layer's recurrent term W_hh h + b_hh from `state`. `step` from that same state then uses it. (Between keys
        the game has time to spare; the key's own step is the guess's latency.) Preparing the same state again
        does nothing."""
        prepared_for, recurrent = self._prepared
        if recurrent is None or prepared_for is not state:
            self._prepared = (state, self._recurrent(state))

    def _recurrent(self, state: np.ndarray | None) -> list[np.ndarray]:
        previous = np.zeros((self.layers, self.hidden), dtype=np.float32) if state is None else state
        return [self.w_hh[k] @ previous[k] + self.b_hh[k] for k in range(self.layers)]

    def step(self, key_id: int, state: np.ndarray | None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        H = self.hidden
        previous = np.zeros((self.layers, H), dtype=np.float32) if state is None else state
        prepared_for, recurrent = self._prepared
        if recurrent is None or prepared_for is not state:
            recurrent = self._recurrent(state)
        self._prepared = (None, None)  # used once: the weights may change before the next step
        new_state = np.empty_like(previous)
        x = None
        for k in range(self.layers):
            gi = self.input_table[key_id] if k == 0 else self.w_ih[k] @ x + self.b_ih[k]
            h = previous[k]
            gh = recurrent[k]
            r = _sigmoid(gi[:H] + gh[:H])
            z = _sigmoid(gi[H : 2 * H] + gh[H : 2 * H])
            n = np.tanh(gi[2 * H :] + r * gh[2 * H :])
            x = n + z * (h - n)  # (1 - z) * n + z * h
            new_state[k] = x
        logits = self.out_weight @ x + self.out_bias
        return logits, x, new_state

    @staticmethod
    def to_torch(state: np.ndarray):
        """The PyTorch GRU's state (L, 1, H) for a numpy state (L, H)."""
        import torch

        return (torch.from_numpy(state.copy()).unsqueeze(1),)


def steps_in_numpy(config: ModelConfig) -> bool:
    """Whether a network of these settings has a numpy stepper (a plain GRU; LSTM and attention step in PyTorch)."""
    return config.arch in ("gru", "gru-onehot")


def compile_stepper(model: KeyModel) -> GRUStepper | None:
    """A numpy stepper for `model`, or None when it is not a plain GRU (LSTM and attention step with PyTorch)."""
    if not steps_in_numpy(model.config) or model.attention or model.rnn.bidirectional:
        return None
    return GRUStepper(model.config, model_arrays(model), model)
