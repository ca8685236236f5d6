"""Next-key models: GRU (with or without an embedding layer), LSTM, and LSTM with attention over its outputs.

Every model reads key ids and returns logits over the vocabulary for the key that comes next. `forward` runs a
whole batch of sequences (training, evaluation); `step` takes one key and the recurrent state and returns the next
state and logits, which is what the game calls once per keypress.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import replace

import torch
import torch.nn.functional as F
from torch import nn

from keytui.data.keyboard import is_shifted, key_cap
from keytui.errors import KeytuiError
from keytui.model.config import (  # noqa: F401  (the settings live apart from torch; imported from here too)
    ARCHITECTURES,
    MAX_ATTN_WINDOW,
    MAX_EMBEDDING,
    MAX_HIDDEN,
    MAX_LAYERS,
    MAX_VOCAB,
    ModelConfig,
    key_feature_array,
)

# Recurrent state: a tuple of tensors whose first dimension is the batch (None before the first key).
State = tuple[torch.Tensor, ...] | None


class KeyModel(nn.Module):
    """One class for the four architectures: they differ only in the input layer and the recurrent core.

    `keys` are the vocabulary's tokens (id order); with `share_key_caps` they tell which ids are one key cap.
    """

    def __init__(self, config: ModelConfig, keys: Sequence[str] | None = None) -> None:
        super().__init__()
        self.config = config
        V, E, H, L = config.vocab_size, config.embedding_dim, config.hidden_size, config.num_layers
        inter_layer_dropout = config.dropout if L > 1 else 0.0
        if config.arch == "gru-onehot":
            self.embedding = None
            input_size = V
        else:
            self.embedding = nn.Embedding(V, E)
            input_size = E
        rnn_class = nn.GRU if config.arch.startswith("gru") else nn.LSTM
        self.rnn = rnn_class(input_size, H, L, batch_first=True, dropout=inter_layer_dropout)
        self.dropout = nn.Dropout(config.dropout)
        self.attention = config.arch == "lstm-attn"
        features = 2 * H if self.attention else H
        self.head = nn.Linear(features, V)
        self.key_caps: KeyCaps | None = KeyCaps(V, E, features, keys) if config.share_key_caps else None
        self.key_geometry: KeyGeometry | None = None
        if config.key_geometry:
            self.key_geometry = KeyGeometry(V, E, features, keys, config.layout)

    @property
    def is_lstm(self) -> bool:
        return isinstance(self.rnn, nn.LSTM)

    def _embed(self, idx: torch.Tensor) -> torch.Tensor:
        if self.embedding is None:
            return F.one_hot(idx, self.config.vocab_size).float()  # (B, T, V)
        x = self.embedding(idx)  # (B, T, E)
        if self.key_caps is not None:
            x = x + self.key_caps.embed(idx)
        if self.key_geometry is not None:
            x = x + self.key_geometry.embed(idx)
        return x

    def logits(self, out: torch.Tensor) -> torch.Tensor:
        """The top layer's output (..., F) -> logits over the next key (..., V)."""
        logits = self.head(out)
        if self.key_caps is not None and self.key_caps.moves_logits:
            logits = logits + self.key_caps.logits(out)
        if self.key_geometry is not None:
            logits = logits + self.key_geometry.logits(out)
        return logits

    def features(self, idx: torch.Tensor, state: State = None) -> tuple[torch.Tensor, State]:
        """idx (B, T) -> the top layer's output (B, T, F) that the output layer reads, and the new state."""
        x = self._embed(idx)
        rnn_state, memory = self._split_state(state)
        out, rnn_state = self.rnn(x, rnn_state)  # out: (B, T, H)
        new_memory = None
        if self.attention:
            out, new_memory = self._attend(out, memory)  # (B, T, 2H)
        return out, self._join_state(rnn_state, new_memory)

    def forward(
        self,
        idx: torch.Tensor,
        targets: torch.Tensor | None = None,
        state: State = None,
        *,
        last_only: bool = False,
    ) -> tuple[torch.Tensor, torch.Tensor | None, State]:
        """idx (B, T) -> logits (B, T, V), or (B, V) with `last_only`; loss when targets are given.

        `targets` has the shape of the logits' batch/time part: (B, T), or (B,) with `last_only`.
        """
        out, state = self.features(idx, state)
        if last_only:
            out = out[:, -1]
        logits = self.logits(self.dropout(out))
        loss = None
        if targets is not None:
            loss = F.cross_entropy(logits.reshape(-1, logits.size(-1)), targets.reshape(-1))
        return logits, loss, state

    def _attend(self, out: torch.Tensor, memory: torch.Tensor | None) -> tuple[torch.Tensor, torch.Tensor]:
        """Dot-product attention of each output over itself and the previous `attn_window` outputs (causal)."""
        T, H = out.shape[1:]
        keys = out if memory is None else torch.cat([memory, out], dim=1)  # (B, M+T, H)
        M = keys.size(1) - T
        scores = out @ keys.transpose(1, 2) / math.sqrt(H)  # (B, T, M+T)
        query_pos = torch.arange(T, device=out.device).unsqueeze(1) + M  # (T, 1)
        key_pos = torch.arange(M + T, device=out.device).unsqueeze(0)  # (1, M+T)
        visible = (key_pos <= query_pos) & (key_pos > query_pos - self.config.attn_window)
        scores = scores.masked_fill(~visible, float("-inf"))
        context = torch.softmax(scores, dim=-1) @ keys  # (B, T, H)
        return torch.cat([out, context], dim=-1), keys[:, -(self.config.attn_window - 1) :]

    def _split_state(self, state: State):
        if state is None:
            return None, None
        if self.is_lstm:
            rnn_state = (state[0], state[1])
            rest = state[2:]
        else:
            rnn_state = state[0]
            rest = state[1:]
        return rnn_state, (rest[0] if rest else None)

    def _join_state(self, rnn_state, memory: torch.Tensor | None) -> State:
        parts = list(rnn_state) if self.is_lstm else [rnn_state]
        if memory is not None:
            parts.append(memory)
        return tuple(parts)

    @torch.inference_mode()
    def step(self, key_id: int, state: State = None) -> tuple[torch.Tensor, State]:
        """One key in, (logits over the next key (V,), new state) out. Batch of one, eval mode expected."""
        logits, _, state = self.step_with_features(key_id, state)
        return logits, state

    @torch.inference_mode()
    def step_with_features(self, key_id: int, state: State = None) -> tuple[torch.Tensor, torch.Tensor, State]:
        """Like `step`, also returning the top layer's output (F,) for this key."""
        out, state = self.features(torch.tensor([[key_id]], dtype=torch.long), state)
        feature = out[0, -1]
        return self.logits(feature), feature, state

    def num_parameters(self) -> int:
        return sum(p.numel() for p in self.parameters())


class KeyCaps(nn.Module):
    """What a character shares with its shifted twin: an input embedding and output weights for its key cap, and
    for the shift state. A key's logit is its own plus its cap's plus its shift state's.

    Only caps with two characters in the vocabulary get weights (a corpus without capitals adds next to nothing);
    the others point at row 0, which stays zero.
    """

    def __init__(self, vocab_size: int, embedding_dim: int, features: int, keys: Sequence[str] | None) -> None:
        super().__init__()
        keys = list(keys) if keys is not None else [str(i) for i in range(vocab_size)]
        if len(keys) != vocab_size:
            raise KeytuiError(f"{len(keys)} keys given for a vocabulary of {vocab_size}")
        caps = [key_cap(k) for k in keys]  # the unknown token is a cap of its own
        shared = [cap for cap, n in Counter(caps).items() if n > 1]
        cap_index = {cap: i for i, cap in enumerate(shared, start=1)}
        # Persistent buffers: the grouping is saved with the weights it was trained with.
        self.register_buffer("cap_of_key", torch.tensor([cap_index.get(c, 0) for c in caps], dtype=torch.long))
        self.register_buffer("shift_of_key", torch.tensor([int(is_shifted(k)) for k in keys]))
        self.cap_embedding = nn.Embedding(len(shared) + 1, embedding_dim, padding_idx=0)
        self.shift_embedding = nn.Embedding(2, embedding_dim)
        self.cap_head = nn.Linear(features, len(shared) + 1, bias=False)
        with torch.no_grad():
            self.cap_head.weight[0].zero_()
        self.cap_head.weight.register_hook(_keep_first_row_zero)
        self.shift_head = nn.Linear(features, 2)
        # With no shared cap and one shift state, the terms add the same to every logit: skip them (play latency).
        self.moves_logits = bool(shared) or len(set(self.shift_of_key.tolist())) > 1

    def embed(self, idx: torch.Tensor) -> torch.Tensor:
        return self.cap_embedding(self.cap_of_key[idx]) + self.shift_embedding(self.shift_of_key[idx])

    def logits(self, out: torch.Tensor) -> torch.Tensor:
        return self.cap_head(out)[..., self.cap_of_key] + self.shift_head(out)[..., self.shift_of_key]


class KeyGeometry(nn.Module):
    """Keyboard knowledge shared by every key: a linear map from a key's feature vector on the layout (position,
    hand, finger, row, shift; keytui/data/keyboard.py) into its input embedding, and from the top layer's output into a
    preference over those features that every key's logit reads. The feature table is a persistent buffer, so a
    checkpoint keeps the table it was trained with.

    `batch_features` (B, V, G), when set, replaces the table for a batch whose rows are typed on different layouts
    (pretraining); the game and fine-tuning use the buffer."""

    def __init__(
        self, vocab_size: int, embedding_dim: int, features: int, keys: Sequence[str] | None, layout: str
    ) -> None:
        super().__init__()
        keys = list(keys) if keys is not None else [str(i) for i in range(vocab_size)]
        if len(keys) != vocab_size:
            raise KeytuiError(f"{len(keys)} keys given for a vocabulary of {vocab_size}")
        table = key_feature_table(keys, layout)
        self.register_buffer("key_features", table)  # (V, G)
        self.feature_embedding = nn.Linear(table.size(1), embedding_dim, bias=False)
        self.feature_head = nn.Linear(features, table.size(1), bias=False)
        self.batch_features: torch.Tensor | None = None

    def embed(self, idx: torch.Tensor) -> torch.Tensor:
        table = self.batch_features
        if table is None:
            return self.feature_embedding(self.key_features[idx])  # (..., E)
        rows = torch.arange(idx.size(0), device=idx.device).unsqueeze(1)  # (B, 1)
        return self.feature_embedding(table[rows, idx])  # (B, T, G) -> (B, T, E)

    def logits(self, out: torch.Tensor) -> torch.Tensor:
        preference = self.feature_head(out)  # (..., G)
        if self.batch_features is None:
            return preference @ self.key_features.T  # (..., V)
        return torch.einsum("btg,bvg->btv", preference, self.batch_features)


def key_feature_table(keys: Sequence[str], layout: str) -> torch.Tensor:
    """(V, G): each vocabulary entry's feature vector on `layout`; the unknown token's is all zeros."""
    return torch.from_numpy(key_feature_array(keys, layout))


def _keep_first_row_zero(grad: torch.Tensor) -> torch.Tensor:
    grad = grad.clone()
    grad[0] = 0
    return grad


def detach_state(state: State) -> State:
    return None if state is None else tuple(s.detach() for s in state)


def use_layout(model: KeyModel, keys: Sequence[str], layout: str) -> None:
    """Read the keyboard geometry of `layout` from now on (a model without geometry is left as it is): what the
    network learnt about positions, hands and fingers carries over, each character sits where `layout` puts it."""
    if model.key_geometry is None or model.config.layout == layout:
        return
    table = key_feature_table(keys, layout)  # checks the layout name
    with torch.no_grad():
        model.key_geometry.key_features.copy_(table)
    model.config = replace(model.config, layout=layout)
