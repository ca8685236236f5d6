"""Pretrains the prior that ships as the `demo` model: one network that has read thousands of SYNTHETIC typists.

Every one of `--streams` parallel streams reads one typist after another (keytui/model/prior.py draws each one's habits
at random over wide ranges), `--seq-len` keys at a time with the recurrent state carried across chunks and cleared
when a new typist starts: so the network learns to read a typist it has never seen from the first key on, which is
what a new player is. Seeded and run for a fixed number of steps, so the same command makes the same file (on the
same torch build). Run with `nice -n 5 python tools/pretrain_prior.py` (about 10 minutes on 2 CPU cores).
"""

from __future__ import annotations

import argparse
import functools
import math
import random
import sys
import time
from pathlib import Path

import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from keytui.data.keyboard import DEFAULT_LAYOUT
from keytui.data.vocab import Vocab
from keytui.model.checkpoint import load_checkpoint, save_checkpoint
from keytui.model.models import KeyModel, ModelConfig, key_feature_table
from keytui.model.prior import PRIOR_KIND, PRIOR_MODEL, PRIOR_PATH, typist_keys
from keytui.model.training import evaluate_stream

VALIDATION_SEEDS = range(900_000, 900_016)  # typists the prior never trains on (benchmarks use others still)


class TypistStreams:
    """`streams` endless streams of synthetic typists; each typist's length a whole number of chunks, so that a
    new typist always starts at a chunk boundary, where its stream's recurrent state is cleared."""

    def __init__(self, vocab: Vocab, streams: int, seq_len: int, min_keys: int, max_keys: int, seed: int) -> None:
        self.vocab, self.seq_len = vocab, seq_len
        self.rng = random.Random(seed)
        self.min_chunks, self.max_chunks = max(1, min_keys // seq_len), max(1, max_keys // seq_len)
        self.next_typist = seed * 1_000_000  # disjoint typist seeds for disjoint run seeds
        self.buffers: list[list[int]] = [[] for _ in range(streams)]
        self.layouts = [DEFAULT_LAYOUT] * streams
        self.typists = 0

    def _new_typist(self, stream: int) -> list[int]:
        chunks = self.rng.randint(self.min_chunks, self.max_chunks)
        self.layouts[stream], text = typist_keys(self.next_typist, chunks * self.seq_len + 1)
        self.next_typist += 1
        self.typists += 1
        return self.vocab.encode(text)

    def batch(self) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, list[str]]:
        """x, y (B, T), a (B,) mask of the streams whose typist starts here (state to clear), each one's layout."""
        xs, ys, fresh = [], [], []
        for i, buffer in enumerate(self.buffers):
            starts = len(buffer) < self.seq_len + 1
            if starts:
                buffer = self.buffers[i] = self._new_typist(i)
            xs.append(buffer[: self.seq_len])
            ys.append(buffer[1 : self.seq_len + 1])
            del buffer[: self.seq_len]
            fresh.append(starts)
        return torch.tensor(xs), torch.tensor(ys), torch.tensor(fresh), list(self.layouts)


@functools.cache
def layout_table(layout: str) -> torch.Tensor:
    return key_feature_table(Vocab.prior().tokens, layout)


def use_layouts(model: KeyModel, layouts: list[str] | None) -> None:
    """Each row of the next batch reads the geometry of its own typist's layout (None: the model's own)."""
    if model.key_geometry is not None:
        tables = None if layouts is None else torch.stack([layout_table(name) for name in layouts])
        model.key_geometry.batch_features = tables


def learning_rate(step: int, steps: int, peak: float, warmup: int) -> float:
    if step < warmup:
        return peak * (step + 1) / warmup
    progress = (step - warmup) / max(1, steps - warmup)
    return peak * (0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * progress)))


def validation(model: KeyModel, vocab: Vocab, keys: int) -> dict:
    """Loss and hit rate over the first `keys` keys of each held-out typist, read from an empty state."""
    losses, hits, total = 0.0, 0.0, 0
    for seed in VALIDATION_SEEDS:
        layout, text = typist_keys(seed, keys + 1)
        use_layouts(model, [layout])
        scores = evaluate_stream(model, torch.tensor(vocab.encode(text)))
        losses += scores.loss * scores.keys
        hits += scores.accuracy * scores.keys
        total += scores.keys
    use_layouts(model, None)
    return {"loss": round(losses / total, 4), "hit_rate": round(hits / total, 4), "keys": total}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=3600)
    parser.add_argument("--streams", type=int, default=32)
    parser.add_argument("--seq-len", type=int, default=32)
    parser.add_argument("--lr", type=float, default=3e-3)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--threads", type=int, default=1, help="torch threads (the shipped file: 1)")
    parser.add_argument("--min-keys", type=int, default=500, help="shortest typist stream")
    parser.add_argument("--max-keys", type=int, default=6000, help="longest typist stream")
    parser.add_argument("--no-geometry", action="store_true", help="no keyboard geometry in the network")
    parser.add_argument("--hidden", type=int, default=PRIOR_MODEL["hidden_size"])
    parser.add_argument("--embedding", type=int, default=PRIOR_MODEL["embedding_dim"])
    parser.add_argument("--warmup", type=int, default=100, help="steps of rising learning rate")
    parser.add_argument(
        "--init", help="start from this prior's weights (e.g. the shipped one) instead of random ones: a shorter run"
    )
    parser.add_argument("--out", default=str(PRIOR_PATH))
    args = parser.parse_args(argv)

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    vocab = Vocab.prior()
    settings = {**PRIOR_MODEL, "hidden_size": args.hidden, "embedding_dim": args.embedding}
    settings["key_geometry"] = not args.no_geometry
    model = KeyModel(ModelConfig(vocab_size=len(vocab), **settings), vocab.tokens)
    if args.init:
        start = load_checkpoint(args.init)
        if start.vocab.tokens != vocab.tokens or start.model.config != model.config:
            parser.error(f"{args.init} is not a prior of this vocabulary and these settings")
        model.load_state_dict(start.model.state_dict())
    optimizer = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=0.01)
    streams = TypistStreams(vocab, args.streams, args.seq_len, args.min_keys, args.max_keys, args.seed)
    print(f"{model.num_parameters():,} parameters, {args.steps} steps of {args.streams}x{args.seq_len} keys")
    started = time.perf_counter()
    state = None
    running = None
    for step in range(args.steps):
        for group in optimizer.param_groups:
            group["lr"] = learning_rate(step, args.steps, args.lr, warmup=args.warmup)
        x, y, fresh, layouts = streams.batch()
        use_layouts(model, layouts)
        if state is not None:
            keep = (~fresh).float().view(1, -1, 1)  # (1, B, 1): a new typist starts from an empty state
            state = tuple(s.detach() * keep for s in state)
        model.train()
        logits, _, state = model(x, None, state)
        loss = F.cross_entropy(logits.reshape(-1, logits.size(-1)), y.reshape(-1))
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        running = loss.item() if running is None else 0.98 * running + 0.02 * loss.item()
        if (step + 1) % 100 == 0:
            elapsed = time.perf_counter() - started
            print(
                f"step {step + 1:5d}/{args.steps}  loss {running:.4f}  typists {streams.typists}  "
                f"{elapsed:5.0f}s  eta {elapsed / (step + 1) * (args.steps - step - 1):4.0f}s",
                flush=True,
            )
    use_layouts(model, None)
    model.eval()
    seconds = time.perf_counter() - started
    held_out = validation(model, vocab, keys=1000)
    print(f"held-out typists (first 1,000 keys each, from an empty state): {held_out}", flush=True)
    meta = {
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "kind": PRIOR_KIND,
        "corpus": {"name": "synthetic typists", "keys": args.steps * args.streams * args.seq_len},
        "prior": {
            "description": "pretrained on SYNTHETIC typists (keytui/model/prior.py), not on any person's keys",
            "script": "tools/pretrain_prior.py",
            "steps": args.steps,
            "streams": args.streams,
            "seq_len": args.seq_len,
            "lr": args.lr,
            "seed": args.seed,
            "init": Path(args.init).name if args.init else None,
            "warmup": args.warmup,
            "typists": streams.typists,
            "typist_keys": [args.min_keys, args.max_keys],
            "seconds": round(seconds, 1),
            "torch": torch.__version__,
        },
        "status": "pretrained",
        "metrics": {"held_out_typists": held_out},
    }
    save_checkpoint(args.out, model, vocab, meta)
    print(f"saved {args.out} ({Path(args.out).stat().st_size:,} bytes) after {seconds:.0f}s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
