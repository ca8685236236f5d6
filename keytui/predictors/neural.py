"""The trained network as a predictor, one key at a time, optionally learning from the keys it is shown."""

from __future__ import annotations

from collections import deque

import numpy as np

from keytui.data.vocab import UNKNOWN
from keytui.predictors.base import Predictor


class NeuralPredictor(Predictor):
    """A trained KeyModel, run one key at a time: it keeps the recurrent state and never re-reads a window.

    With `adaptive`, it learns from the keys it is shown by dynamic evaluation (Krause et al., 2018): after every
    `adapt_every` keys it takes one SGD step on that segment, starting from the recurrent state the segment started
    in, and pulls the weights a little back towards the trained ones so a long game cannot drift arbitrarily far.
    After each key, `feature` holds the network's top-layer output: the cache and the memory experts compare it.
    A GRU steps in numpy (keytui/model/stepper.py: the same arithmetic without PyTorch's per-call cost); its folded
    weights are rebuilt after each SGD step.

    `model` may be None when `checkpoint` (keytui/model/checkpoint.py) holds the weights as numpy arrays and its PyTorch
    network is still being built in the background (torch takes seconds to load; the play screen guesses at once):
    a GRU then guesses from the arrays, and the SGD steps that fall due wait, in order, until the network is there
    (`joined`). Until then it guesses as the frozen network does.
    """

    name = "network"

    def __init__(
        self,
        model,
        vocab,
        *,
        adaptive: bool = False,
        adapt_every: int = 10,
        adapt_lr: float = 0.01,
        adapt_decay: float = 0.01,
        checkpoint=None,
    ) -> None:
        from keytui.model.stepper import GRUStepper, compile_stepper, steps_in_numpy

        super().__init__()
        self.model = None
        self.checkpoint = checkpoint
        self.vocab = vocab
        self.keys = [k for k in vocab.tokens if k != UNKNOWN]
        self.adaptive = adaptive
        self.adapt_every = adapt_every
        self.adapt_lr = adapt_lr
        self.adapt_decay = adapt_decay
        self.state = None
        self._segment: list[int] = []
        self._segment_state = None
        self._pending: deque[tuple[list[int], object]] = deque()  # full segments waiting for their SGD step
        self.feature: np.ndarray | None = None
        if model is not None:
            self._stepper = compile_stepper(model)
            self._join(model)
            head_bias = model.head.bias.detach().numpy()
            self.feature_size = model.head.in_features
        else:
            config, arrays = checkpoint.config, checkpoint.arrays
            if not steps_in_numpy(config):
                raise ValueError(f"a {config.arch} network steps in PyTorch: build it first (ensure_model)")
            self._stepper = GRUStepper(config, arrays)
            head_bias = arrays["head.bias"]
            self.feature_size = arrays["head.weight"].shape[1]
        # Before any key there is no recurrent output yet: use the output layer's bias (the model's prior).
        self._probs = self._to_probs(head_bias)

    @property
    def joined(self) -> bool:
        """Whether the PyTorch network is here (it learns only then)."""
        return self.model is not None

    def _join(self, model) -> None:
        import torch

        self.torch = torch
        self.model = model.eval()
        if self.adaptive:
            self._trained = [p.detach().clone() for p in model.parameters()]
        if self._stepper is not None:
            self._stepper.model = model  # refresh() folds its weights after each SGD step

    def _to_probs(self, logits) -> np.ndarray:
        if not isinstance(logits, np.ndarray):
            logits = logits.detach().float().numpy()
        z = logits[1:].astype(np.float64)  # drop the unknown class: it is never a guess
        probs = np.exp(z - z.max())
        return probs / probs.sum()

    def probs(self) -> np.ndarray:
        return self._probs

    def observe(self, key: str) -> None:
        self.settle()
        key_id = self.vocab.id(key)
        state_before = self.state
        if self._stepper is not None:
            logits, self.feature, self.state = self._stepper.step(key_id, state_before)
        else:
            logits, feature, self.state = self.model.step_with_features(key_id, state_before)
            self.feature = feature.numpy()  # the top-layer output after this key
        self._probs = self._to_probs(logits)
        if self.adaptive:
            if not self._segment:
                self._segment_state = state_before
            self._segment.append(key_id)
            if len(self._segment) > self.adapt_every:
                # The guess above is already made; the SGD step waits for settle() (or the next key).
                self._pending.append((self._segment, self._segment_state))
                # the next segment starts with this key, read from the state it was read in
                self._segment, self._segment_state = [key_id], state_before

    def settle(self) -> None:
        if self._pending and self.model is None and self.checkpoint is not None and self.checkpoint.model is not None:
            self._join(self.checkpoint.model)  # built in the background since the last key
        if self._pending and self.model is not None:
            # One step per call: steps that waited for the network catch up a key at a time, never all at once.
            segment, state = self._pending.popleft()
            self._adapt(segment, state)
        if self._stepper is not None:
            self._stepper.prepare(self.state)  # the next key's step, as far as it can go without the key

    def _adapt(self, segment: list[int], segment_state) -> None:
        """One SGD step on a segment of keys seen (each key predicting the next), then a pull towards the
        trained weights."""
        torch = self.torch
        ids = torch.tensor([segment], dtype=torch.long)
        if segment_state is None:
            start = None
        elif self._stepper is not None:
            start = self._stepper.to_torch(segment_state)
        else:  # step() runs in inference mode; a clone made outside it is an ordinary tensor autograd accepts
            start = tuple(t.clone() for t in segment_state)
        with torch.enable_grad():
            self.model.zero_grad(set_to_none=True)
            _, loss, _ = self.model(ids[:, :-1], ids[:, 1:], start)
            loss.backward()
        with torch.no_grad():
            for param, trained in zip(self.model.parameters(), self._trained, strict=True):
                if param.grad is not None:
                    param.add_(param.grad, alpha=-self.adapt_lr)
                param.add_(trained - param, alpha=self.adapt_decay)
        if self._stepper is not None:  # the folded weights are copies: fold the new ones
            self._stepper.refresh()
