"""Quality: hit rate on held-out keys for the default GRU against the baselines, frozen and adaptive.

Corpora: the shipped demo (a SYNTHETIC masher; scored with the shipped demo model) and a real human-written text
that ships with Debian (a licence text, on which a default GRU is trained in this run). Every predictor is fitted on
the same keys (train + validation) and guesses each test key before seeing it.

    python -m benchmarks.bench_quality [--text PATH]

Adaptive play uses the settings each model chose on its validation keys when it was trained (keytui/adaptation.py).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from benchmarks.common import DEMO_CORPUS, DEMO_MODEL, LICENCE, header, peak_rss_mib
from keytui.adaptation import model_predictor
from keytui.checkpoint import load_checkpoint
from keytui.corpus import read_corpus
from keytui.fit import fit_and_save
from keytui.predictors import MajorityPredictor, NGramPredictor, replay
from keytui.training import TrainConfig, split_text


def compare(label: str, checkpoint_path: Path, text: str) -> None:
    parts = split_text(text)
    fitted = parts.train + parts.val
    warmup = fitted[-256:]
    header(f"{label}: {len(parts.test):,} held-out keys after {len(fitted):,} fitted")
    rows = {}
    for adaptive in (False, True):
        checkpoint = load_checkpoint(checkpoint_path)  # fresh weights: the adaptive run changes them
        predictors = {
            "gru": model_predictor(checkpoint, adaptive=adaptive),
            "ngram": NGramPredictor(fitted, adaptive=adaptive),
            "majority": MajorityPredictor(fitted, adaptive=adaptive),
        }
        for name, predictor in predictors.items():
            started = time.perf_counter()
            metrics = replay(predictor, parts.test, warmup=warmup)
            rows[(name, adaptive)] = metrics
            print(
                f"  {name:9s} {'adaptive' if adaptive else 'frozen  '}  hit {metrics.hit_rate:6.1%}  top-3 "
                f"{metrics.top3_hit_rate:6.1%}  macroF1 {metrics.macro_f1:.3f}  weightedF1 {metrics.weighted_f1:.3f}"
                f"  bits/key {metrics.bits_per_char:.3f}  ({time.perf_counter() - started:.1f}s)",
                flush=True,
            )
    for adaptive in (False, True):
        gru, ngram = rows[("gru", adaptive)].hit_rate, rows[("ngram", adaptive)].hit_rate
        mode = "adaptive" if adaptive else "frozen"
        print(f"  {mode}: GRU / n-gram hit rate = {gru / ngram:.2f}x ({gru:.1%} vs {ngram:.1%})")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--text", default=str(LICENCE))
    args = parser.parse_args()
    compare("demo persona (synthetic)", DEMO_MODEL, read_corpus(DEMO_CORPUS))
    text_path = Path(args.text)
    if not text_path.exists():
        print(f"\n(skipping the human-written text: {text_path} is not on this machine)")
        return
    text = read_corpus(text_path)
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "licence.safetensors"
        started = time.perf_counter()
        outcome = fit_and_save(
            text, corpus_name=text_path.name, out_path=out, model_settings={}, train_config=TrainConfig()
        )
        print(
            f"\ntrained the default GRU on {text_path} in {time.perf_counter() - started:.0f}s "
            f"({outcome.result.epochs_run} epochs, {outcome.result.stopped}, refit {outcome.result.refit_epochs}); "
            f"{outcome.result.adaptation.describe() if outcome.result.adaptation else ''}"
        )
        compare(f"human-written text {text_path.name}", out, text)
    print(f"\npeak RSS {peak_rss_mib():.0f} MiB")


if __name__ == "__main__":
    main()
