"""Quality: hit rate on held-out keys for the default GRU against the baselines, frozen and adaptive.

Corpora: the shipped demo (a SYNTHETIC masher; scored with the shipped demo model) and a real human-written text
that ships with Debian (a licence text, on which a default GRU is trained in this run). Every predictor is fitted on
the same keys (train + validation) and guesses each test key before seeing it.

    python -m benchmarks.bench_quality [--text PATH]

"gru" is the predictor play uses (keytui/predictors/factory.py: the network and the other experts, mixed online and
calibrated); "gru-net" is the network alone, so the experts' share can be read off. For each corpus the GRU and the
n-gram are also compared key by key (a sign test on the keys only one of them hit), and for the licence model the
memory expert's cost in latency is measured. benchmarks/bench_mixer.py compares the mixture with each expert.
"""

from __future__ import annotations

import argparse
import math
import tempfile
import time
from pathlib import Path

from benchmarks.common import DEMO_CORPUS, DEMO_MODEL, LICENCE, header, peak_rss_mib, percentile
from keytui.data.corpus import read_corpus
from keytui.game.fit import fit_and_save
from keytui.model.checkpoint import load_checkpoint
from keytui.model.training import TrainConfig, split_text
from keytui.predictors import MajorityPredictor, NeuralPredictor, NGramPredictor, replay
from keytui.predictors.factory import build_predictor


def compare(label: str, checkpoint_path: Path, text: str) -> None:
    parts = split_text(text)
    fitted = parts.train + parts.val
    warmup = fitted[-256:]
    header(f"{label}: {len(parts.test):,} held-out keys after {len(fitted):,} fitted")
    rows, hits = {}, {}
    for adaptive in (False, True):
        # fresh weights for each model: an adaptive run changes them
        predictors = {
            "gru": build_predictor(load_checkpoint(checkpoint_path), adaptive=adaptive),
            "gru-net": network_alone(load_checkpoint(checkpoint_path), adaptive=adaptive),
            "ngram": NGramPredictor(fitted, adaptive=adaptive),
            "majority": MajorityPredictor(fitted, adaptive=adaptive),
        }
        for name, predictor in predictors.items():
            started = time.perf_counter()
            hits[(name, adaptive)] = []
            metrics = replay(predictor, parts.test, warmup=warmup, hits=hits[(name, adaptive)])
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
        only_gru, only_ngram, p_value = paired(hits[("gru", adaptive)], hits[("ngram", adaptive)])
        print(
            f"  {mode}: GRU / n-gram hit rate = {gru / ngram:.2f}x ({gru:.1%} vs {ngram:.1%}); keys only the GRU "
            f"hit {only_gru}, only the n-gram {only_ngram} (two-sided sign test p = {p_value:.2g})"
        )


def paired(a: list[bool], b: list[bool]) -> tuple[int, int, float]:
    """Keys only `a` hit, keys only `b` hit, and the exact two-sided sign test's p-value for "equally good"."""
    only_a = sum(x and not y for x, y in zip(a, b, strict=True))
    only_b = sum(y and not x for x, y in zip(a, b, strict=True))
    n, low = only_a + only_b, min(only_a, only_b)
    if n == 0:
        return 0, 0, 1.0
    tail = sum(math.comb(n, i) for i in range(low + 1)) / 2**n
    return only_a, only_b, min(1.0, 2 * tail)


def network_alone(checkpoint, *, adaptive: bool) -> NeuralPredictor:
    return NeuralPredictor(checkpoint.model, checkpoint.vocab, adaptive=adaptive)


def memory_latency(checkpoint_path: Path, text: str) -> None:
    """What the memory expert costs: building it, and a frozen guess with it vs without (1 thread)."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        keys = split_text(text).test
        started = time.perf_counter()
        with_memory = build_predictor(load_checkpoint(checkpoint_path), adaptive=False, memory=True)
        built = time.perf_counter() - started
        alone = build_predictor(load_checkpoint(checkpoint_path), adaptive=False, memory=False)
        timings = {"memory": [], "alone": []}
        for key in keys:  # interleaved, so both see the same machine state
            for name, predictor in (("memory", with_memory), ("alone", alone)):
                started = time.perf_counter()
                predictor.observe(key)
                predictor.ranked(3)
                timings[name].append((time.perf_counter() - started) * 1000)
        m, a = (timings[name][50:] for name in ("memory", "alone"))
        print(
            f"  with the memory of the fitted keys: built in {built:.2f}s at load (1 thread); frozen guess "
            f"p50 {percentile(m, 50):.3f} vs {percentile(a, 50):.3f} ms without, p99 {percentile(m, 99):.3f} vs "
            f"{percentile(a, 99):.3f} ms"
        )
    finally:
        torch.set_num_threads(threads)


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
            f"({outcome.result.epochs_run} epochs, {outcome.result.stopped}, refit {outcome.result.refit_epochs})"
        )
        compare(f"human-written text {text_path.name}", out, text)
        memory_latency(out, text)
    print(f"\npeak RSS {peak_rss_mib():.0f} MiB")


if __name__ == "__main__":
    main()
