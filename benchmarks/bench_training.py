"""Training speed: time for keytui's default setup to reach the validation loss the reference notebook's
configuration reaches, both trained in this run on the same 10,000-key corpus and split, both scored by the
reference's evaluation (each 70-key window predicts the next key).

    python -m benchmarks.bench_training [--corpus PATH] [--ref-epochs N] [--seeds 0,1,2]

keytui's default is run with several seeds (the reference once: it takes minutes), so one lucky seed cannot make
the figure.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import torch

from benchmarks.common import DEMO_CORPUS, header, peak_rss_mib
from keytui.data.vocab import Vocab
from keytui.model.models import ModelConfig
from keytui.model.training import REFERENCE_MODEL, REFERENCE_TRAINING, EpochDone, TrainConfig, Trainer, split_text


def train(label: str, text: str, model_settings: dict, config: TrainConfig):
    vocab = Vocab.from_text(text)
    trainer = Trainer(ModelConfig(vocab_size=len(vocab), **model_settings), config, vocab, split_text(text))
    curve: list[tuple[float, float]] = []

    def on_event(event):
        if isinstance(event, EpochDone):
            curve.append((event.elapsed, event.val_loss))

    started = time.perf_counter()
    result = trainer.run(on_event)
    seconds = time.perf_counter() - started
    print(
        f"{label}: {result.epochs_run} epochs in {seconds:.1f}s ({result.stopped}); best val loss "
        f"{result.best_val_loss:.4f} at epoch {result.best_epoch}; test loss {result.test.loss:.4f}, "
        f"hit {result.test.accuracy:.3f}, macro F1 {result.test.macro_f1:.3f}, weighted F1 "
        f"{result.test.weighted_f1:.3f}",
        flush=True,
    )
    return result, curve


def first_time_at_or_below(curve: list[tuple[float, float]], target: float) -> float | None:
    return next((elapsed for elapsed, loss in curve if loss <= target), None)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--corpus", default=str(DEMO_CORPUS))
    parser.add_argument("--ref-epochs", type=int, default=REFERENCE_TRAINING.epochs)
    parser.add_argument("--seeds", default="0,1,2", help="seeds for keytui's default runs")
    args = parser.parse_args()
    text = Path(args.corpus).read_text(encoding="utf-8")
    header(f"training speed on {len(text):,} keys, {torch.get_num_threads()} torch threads")
    from dataclasses import replace

    reference, ref_curve = train(
        "reference (window objective, lr 1e-4)",
        text,
        REFERENCE_MODEL,
        replace(REFERENCE_TRAINING, epochs=args.ref_epochs),
    )
    target = reference.best_val_loss
    t_ref = first_time_at_or_below(ref_curve, target)
    print(f"target: the reference's best validation loss {target:.4f}, reached after {t_ref:.1f}s", flush=True)
    ratios, our_seconds = [], []
    for seed in [int(seed) for seed in args.seeds.split(",")]:
        ours, our_curve = train(
            f"keytui default (chunk objective), seed {seed}",
            text,
            {},
            TrainConfig(eval="window", eval_window=REFERENCE_TRAINING.seq_len, seed=seed),
        )
        our_seconds.append(ours.seconds)
        t_ours = first_time_at_or_below(our_curve, target)
        if t_ours is None:
            print(f"  seed {seed} never reached it (best {ours.best_val_loss:.4f})")
            ratios.append(0.0)
        else:
            print(f"  seed {seed} reached it after {t_ours:.1f}s: {t_ref / t_ours:.1f}x sooner")
            ratios.append(t_ref / t_ours)
    reached = sum(ratio > 0 for ratio in ratios)
    print(
        f"keytui default reached the reference's best in {reached}/{len(ratios)} seeds; "
        f"speed-up median {statistics.median(ratios):.1f}x, worst {min(ratios):.1f}x"
    )
    print(
        f"total wall time: reference {reference.seconds:.1f}s, keytui {statistics.median(our_seconds):.1f}s (median); "
        f"peak RSS {peak_rss_mib():.0f} MiB"
    )


if __name__ == "__main__":
    main()
