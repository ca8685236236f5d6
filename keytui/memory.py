"""A memory of the keys a model was fitted on (a kNN language model, Khandelwal et al., 2020).

A recurrent network of a few hundred units learns what usually follows, but a string it read once or twice in
training ("MERCHANTABILITY", a URL) is mostly gone from its weights. The memory keeps that record outside them: for
every fitted key, the model's top-layer output after it and the key that came next. Before a guess, the moments in
the memory nearest this one vote for the keys that followed them, each with weight exp(-theta * squared distance
between the outputs), and their vote is mixed into the model's guess with `weight`. It is the neural cache's
mechanism (keytui/predictors) pointed at the training keys instead of the game's; the distance (as in the kNN-LM
paper) rather than the cache's dot product, because on two licence texts it recalled 0.4 to 1 point more hits.

Only moments that read the same key as the one just read are compared: they hold nearly all of the similar ones,
and it keeps a guess to a few thousand dot products on a 30,000-key corpus.

Whether the memory helps depends on the corpus (written text repeats phrases; random mashing only repeats motifs the
network already knows), so its weight and sharpness are chosen per model on the validation keys, with the weights
that never trained on them and a memory of the training keys only; weight 0 (no memory) is a candidate and wins
ties. Nothing of the memory is saved: it is rebuilt from the fitted keys a checkpoint keeps.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np

THETAS = (0.25, 0.5)
WEIGHTS = (0.0, 0.2, 0.35, 0.5, 0.65)
SPAN = 512  # keys per stream when the memory is built: the streams run as one batch
OVERLAP = 64  # keys each stream reads before its span, so its first outputs have context
QUERY_BLOCK = 512  # queries scored at a time: bounds the memory their similarity scores take


@dataclass(frozen=True)
class MemorySettings:
    weight: float = 0.0  # 0: the model guesses alone
    theta: float = 0.5
    hit_rate: float | None = None  # on the validation keys it was chosen on

    @property
    def enabled(self) -> bool:
        return self.weight > 0

    def describe(self) -> str:
        rate = f" (validation hit {self.hit_rate:.1%})" if self.hit_rate is not None else ""
        if not self.enabled:
            return f"memory of the training keys: off, the model alone guesses best{rate}"
        return f"memory of the training keys: weight {self.weight:g}, sharpness {self.theta:g}{rate}"

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, data: object) -> MemorySettings:
        """Settings saved in a checkpoint; anything missing or out of range means no memory (checkpoints from
        before the memory existed play as they were trained to)."""
        if not isinstance(data, dict):
            return cls()
        weight, theta = data.get("weight"), data.get("theta")
        if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (weight, theta)):
            return cls()
        if not (0 <= weight < 1 and 0 < theta <= 100 and math.isfinite(theta)):
            return cls()
        return cls(float(weight), float(theta))


def model_outputs(model, ids: Sequence[int]):
    """The top-layer output after each key of `ids` (N, F) and the model's logits there (N, V), read as parallel
    streams of SPAN keys (each first reading the OVERLAP keys before it): one batched pass instead of N steps."""
    import torch

    ids = torch.as_tensor(ids, dtype=torch.long)
    starts = list(range(0, len(ids), SPAN))
    pieces = [ids[max(0, s - OVERLAP) : s + SPAN] for s in starts]
    batch = torch.zeros(len(pieces), max(len(p) for p in pieces), dtype=torch.long)
    for row, piece in enumerate(pieces):
        batch[row, : len(piece)] = piece  # padding only ever follows the keys kept
    with torch.inference_mode():
        out, _ = model.features(batch)
        kept = [out[row, s - max(0, s - OVERLAP) :][: min(SPAN, len(ids) - s)] for row, s in enumerate(starts)]
        features = torch.cat(kept) if kept else out.new_zeros((0, out.size(-1)))
        logits = model.logits(features)
    return features.float().numpy(), logits.float().numpy()


class KeyMemory:
    """(output after a key, the key that followed) for every fitted key, grouped by the key read."""

    def __init__(self, features: np.ndarray, ids: Sequence[int], num_keys: int, *, weight: float, theta: float) -> None:
        """`features[i]` is the output after reading `ids[i]`; keys are indexed as predictors index them (id - 1:
        the unknown id 0 is never a guess, nor remembered)."""
        ids = np.asarray(ids, dtype=np.int64)
        read, following = ids[:-1], ids[1:] - 1
        usable = np.flatnonzero(following >= 0)
        self.num_keys = num_keys
        self.weight = weight
        self.theta = theta
        self.size = len(usable)
        # per key read: the outputs after it, their squared norms, and the keys that followed
        self._groups: dict[int, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
        order = usable[np.argsort(read[usable], kind="stable")]
        for key_id, group in _runs(read[order], order):
            remembered = np.ascontiguousarray(features[group], dtype=np.float32)
            self._groups[key_id] = (remembered, np.einsum("ij,ij->i", remembered, remembered), following[group])

    @classmethod
    def build(cls, model, ids: Sequence[int], num_keys: int, *, weight: float, theta: float) -> KeyMemory:
        features, _ = model_outputs(model, ids)
        return cls(features, ids, num_keys, weight=weight, theta=theta)

    def vote(self, key_id: int, feature: np.ndarray) -> np.ndarray | None:
        """The memory's distribution over the next key after reading `key_id` with output `feature`, or None when
        no remembered moment read that key."""
        group = self._groups.get(key_id)
        if group is None:
            return None
        remembered, squared_norms, following = group
        # -theta * |q - k|^2 up to a constant per query, which the normalisation cancels
        scores = self.theta * (2 * (remembered @ feature.astype(np.float32, copy=False)) - squared_norms)
        weights = np.exp(scores - scores.max())
        return np.bincount(following, weights=weights, minlength=self.num_keys) / weights.sum()

    def mix(self, probs: np.ndarray, key_id: int, feature: np.ndarray) -> np.ndarray:
        vote = self.vote(key_id, feature)
        return probs if vote is None else (1 - self.weight) * probs + self.weight * vote

    def votes(self, key_ids: np.ndarray, features: np.ndarray, theta: float) -> tuple[np.ndarray, np.ndarray]:
        """`vote` for many queries at once (any sharpness): (M, K) distributions and which queries have one."""
        result = np.zeros((len(key_ids), self.num_keys))
        has_vote = np.zeros(len(key_ids), dtype=bool)
        order = np.argsort(key_ids, kind="stable")
        for key_id, queries in _runs(key_ids[order], order):
            group = self._groups.get(key_id)
            if group is None:
                continue
            remembered, squared_norms, following = group
            onehot = np.zeros((len(following), self.num_keys))
            onehot[np.arange(len(following)), following] = 1.0
            for rows in np.array_split(queries, max(1, math.ceil(len(queries) / QUERY_BLOCK))):
                scores = theta * (2 * (features[rows].astype(np.float32) @ remembered.T) - squared_norms)
                weights = np.exp(scores - scores.max(axis=1, keepdims=True))
                result[rows] = weights @ onehot / weights.sum(axis=1, keepdims=True)
            has_vote[queries] = True
        return result, has_vote


def _runs(sorted_keys: np.ndarray, items: np.ndarray):
    """(key, items) for each run of equal keys in `sorted_keys`."""
    if len(sorted_keys) == 0:
        return
    cuts = np.flatnonzero(np.diff(sorted_keys)) + 1
    for start, stop in zip(np.r_[0, cuts], np.r_[cuts, len(sorted_keys)], strict=True):
        yield int(sorted_keys[start]), items[start:stop]


def mix_votes(own: np.ndarray, vote: np.ndarray, has_vote: np.ndarray, weight: float) -> np.ndarray:
    """Many guesses at once, each mixed with its vote (memory or cache) where it has one, as `KeyMemory.mix` and
    the predictor's cache mix a single guess."""
    return np.where(has_vote[:, None], (1 - weight) * own + weight * vote, own)


def mixed_hit_rate(own: np.ndarray, vote: np.ndarray, has_vote: np.ndarray, weight: float, targets) -> float:
    mixed = mix_votes(own, vote, has_vote, weight)
    return float(np.mean(mixed.argmax(axis=1) == targets)) if len(targets) else 0.0


def choose_memory(model, vocab, train_text: str, val_text: str) -> tuple[MemorySettings, KeyMemory | None]:
    """Score every (weight, sharpness) on the validation keys, read by the model after the training keys, with a
    memory of the training keys only; the best hit rate wins (ties: the first, so no memory unless it helps).
    Returns the choice and, when it is a memory, that memory of the training keys (to choose the adaptation with)."""
    train_ids, val_ids = vocab.encode(train_text), vocab.encode(val_text)
    features, logits = model_outputs(model, train_ids + val_ids)
    num_keys = len(vocab) - 1
    memory = KeyMemory(features[: len(train_ids)], train_ids, num_keys, weight=0.0, theta=1.0)
    # Query j (the output after key j) guesses key j + 1: from the last training key to the second-last val key.
    first = len(train_ids) - 1
    queries = np.arange(first, first + len(val_ids))
    read = np.asarray(train_ids + val_ids, dtype=np.int64)
    targets = read[queries + 1] - 1  # -1 (unknown) is never a hit
    own = _softmax(logits[queries][:, 1:])
    best: MemorySettings | None = None
    for theta in THETAS:
        vote, has_vote = memory.votes(read[queries], features[queries], theta)
        for weight in WEIGHTS:
            hit_rate = mixed_hit_rate(own, vote, has_vote, weight, targets)
            if best is None or hit_rate > best.hit_rate:
                best = MemorySettings(weight, theta if weight > 0 else MemorySettings.theta, round(hit_rate, 6))
    if not best.enabled:
        return best, None
    memory.weight, memory.theta = best.weight, best.theta
    return best, memory


def _softmax(logits: np.ndarray) -> np.ndarray:
    shifted = np.exp(logits - logits.max(axis=1, keepdims=True))
    return shifted / shifted.sum(axis=1, keepdims=True)


def build_memory(checkpoint, settings: MemorySettings) -> KeyMemory | None:
    """The memory a checkpoint plays with, or None when it chose none (or keeps no fitted keys)."""
    if not settings.enabled or len(checkpoint.fit_text) < 2:
        return None
    ids = checkpoint.vocab.encode(checkpoint.fit_text)
    return KeyMemory.build(
        checkpoint.model, ids, len(checkpoint.vocab) - 1, weight=settings.weight, theta=settings.theta
    )
