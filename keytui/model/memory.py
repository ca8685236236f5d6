"""A memory of the keys a model was fitted on (a kNN language model, Khandelwal et al., 2020).

A recurrent network of a few hundred units learns what usually follows, but a string it read once or twice in
training ("MERCHANTABILITY", a URL) is mostly gone from its weights. The memory keeps that record outside them: for
every fitted key, the model's top-layer output after it and the key that came next. Before a guess, the moments in
the memory nearest this one vote for the keys that followed them, each with weight exp(-theta * squared distance
between the outputs). The distance (as in the kNN-LM paper) rather than the cache's dot product, because on two
licence texts it recalled 0.4 to 1 point more hits.

Only moments that read the same key as the one just read are compared: they hold nearly all of the similar ones,
and it keeps a guess to a few thousand dot products on a 30,000-key corpus.

Whether the memory helps depends on the corpus (written text repeats phrases; random mashing only repeats motifs the
network already knows); the memory expert (keytui/predictors/memory.py) lets the mixer learn that per player.
Nothing of the memory is saved: it is rebuilt from the fitted keys a checkpoint keeps.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

SPAN = 512  # keys per stream when the memory is built: the streams run as one batch
OVERLAP = 64  # keys each stream reads before its span, so its first outputs have context


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

    def __init__(self, features: np.ndarray, ids: Sequence[int], num_keys: int, *, theta: float = 0.5) -> None:
        """`features[i]` is the output after reading `ids[i]`; keys are indexed as predictors index them (id - 1:
        the unknown id 0 is never a guess, nor remembered)."""
        ids = np.asarray(ids, dtype=np.int64)
        read, following = ids[:-1], ids[1:] - 1
        usable = np.flatnonzero(following >= 0)
        self.num_keys = num_keys
        self.theta = theta
        self.size = len(usable)
        # per key read: the outputs after it, their squared norms, and the keys that followed
        self._groups: dict[int, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
        order = usable[np.argsort(read[usable], kind="stable")]
        for key_id, group in _runs(read[order], order):
            remembered = np.ascontiguousarray(features[group], dtype=np.float32)
            self._groups[key_id] = (remembered, np.einsum("ij,ij->i", remembered, remembered), following[group])

    @classmethod
    def build(cls, model, ids: Sequence[int], num_keys: int, *, theta: float = 0.5) -> KeyMemory:
        features, _ = model_outputs(model, ids)
        return cls(features, ids, num_keys, theta=theta)

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


def _runs(sorted_keys: np.ndarray, items: np.ndarray):
    """(key, items) for each run of equal keys in `sorted_keys`."""
    if len(sorted_keys) == 0:
        return
    cuts = np.flatnonzero(np.diff(sorted_keys)) + 1
    for start, stop in zip(np.r_[0, cuts], np.r_[cuts, len(sorted_keys)], strict=True):
        yield int(sorted_keys[start]), items[start:stop]
