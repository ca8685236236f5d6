"""The mixture against each of its experts and the strongest simple rivals, side by side, in one run.

Three streams, each played as a game (every predictor guesses each key before seeing it, adapting as in play):
- the demo persona: the shipped demo model (the pretrained prior) playing fresh keys of the SYNTHETIC masher from the
  first key, nothing recorded;
- two real texts, GPL-3 and GFDL-1.3 (/usr/share/common-licenses/): the shipped prior fine-tuned here (as `keytui
  train` does by default) on the first 90% for at most --train-seconds, playing the last 10%;
- a first session: the prior fine-tuned on ~700 keys of a SYNTHETIC persona, playing --keys new keys of the same
  persona.

Rivals: the mixture (what `keytui play` uses), the same predictor frozen (no expert learns from the played keys, as
`keytui eval` without --adapt), each of its experts (scored inside the same run), the best single-order n-gram
(orders 1-5, the best in hindsight, fitted on the same keys and learning as it plays), a variable-order n-gram that
starts from nothing, and the majority guess; against the frozen predictor, the same rivals frozen (the best single
order, and the most frequent key). The rivals count every fitted key; the trained model's own n-gram, memory and
geometry experts hold only the keys `keytui train` fitted on, which leaves out its own held-out tenth (the last 3,164
keys of GPL-3's 31,634, next to the played keys). So the frozen rivals are also fitted on exactly the model's keys
("same keys"), a like-for-like comparison, beside the ones with more data. Regret: the mixture's bits per key minus
the best expert's. ECE: expected calibration error of the confidence shown. Latency: observe + top-3 on one thread.

    python -m benchmarks.bench_mixer [--keys N] [--train-seconds S]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np
import torch

from benchmarks.common import DEMO_MODEL, LICENCE, header, percentile
from keytui.data.corpus import read_corpus
from keytui.game.fit import fit_and_save
from keytui.model.checkpoint import load_checkpoint
from keytui.model.prior import fine_tune_config
from keytui.model.training import split_text
from keytui.predictors import MajorityPredictor, NGramPredictor, Predictor, replay
from keytui.predictors.factory import build_predictor
from keytui.synthetic.simulate import simulate

SECOND_TEXT = LICENCE.parent / "GFDL-1.3"  # a second real text, another licence on every Debian machine


class SingleOrderNGram(Predictor):
    """Counts of what followed exactly the last `order` keys (add-half smoothing over the keys seen), falling back to
    key frequencies for a context never seen: the simple rival a mixer must beat."""

    def __init__(self, text: str, order: int, *, learn: bool = True) -> None:
        super().__init__()
        self.order = order
        self.learn = True
        self.counts: dict[str, Counter[str]] = defaultdict(Counter)
        self.unigram: Counter[str] = Counter()
        self.history = ""
        for key in text:
            self.observe(key)
        self.history = ""
        self.learn = learn

    def probs(self) -> np.ndarray:
        followers = self.counts.get(self.history[-self.order :]) if len(self.history) >= self.order else None
        source = followers if followers else self.unigram
        counts = np.array([source.get(k, 0) for k in self.keys], dtype=float) + 0.5
        return counts / counts.sum() if len(counts) else counts

    def observe(self, key: str) -> None:
        if not self.learn:
            self.history = (self.history + key)[-self.order :]
            return
        if key not in self._key_index():
            self.keys.append(key)
        if len(self.history) >= self.order:
            self.counts[self.history[-self.order :]][key] += 1
        self.unigram[key] += 1
        self.history = (self.history + key)[-self.order :]


def best_single_order(text: str, played: str, warmup: str, *, learn: bool = True) -> tuple[int, object]:
    """The single-order n-gram (orders 1-5) fitted on `text` that hit `played` most often, chosen in hindsight: its
    order and its scores."""
    scores = {k: replay(SingleOrderNGram(text, k, learn=learn), played, warmup=warmup) for k in range(1, 6)}
    best = max(scores, key=lambda k: scores[k].hit_rate)
    return best, scores[best]


def row(name: str, metrics, note: str = "") -> None:
    print(
        f"  {name:22s} hit {metrics.hit_rate:6.1%}  top-3 {metrics.top3_hit_rate:6.1%}  bits/key "
        f"{metrics.bits_per_char:6.3f}  ECE {metrics.calibration_error:.3f}{note}",
        flush=True,
    )


def compare(label: str, checkpoint_path: Path, fitted: str, played: str) -> dict:
    header(f"{label}: {len(played):,} keys played after {len(fitted):,} fitted")
    warmup = fitted[-256:]
    latencies: list[float] = []
    mixture = build_predictor(load_checkpoint(checkpoint_path), adaptive=True)
    for key in warmup:
        mixture.warm(key)
    mixture.reset_expert_metrics()
    mixed = replay(mixture, played, latencies=latencies)
    experts = mixture.expert_metrics()
    frozen_checkpoint = load_checkpoint(checkpoint_path)
    frozen = replay(build_predictor(frozen_checkpoint, adaptive=False), played, warmup=warmup)
    best_order, best_single = best_single_order(fitted, played, warmup)
    best_fixed, best_fixed_single = best_single_order(fitted, played, warmup, learn=False)
    frozen_rivals = {
        f"best single n-gram ({best_fixed}), frozen": best_fixed_single,
        "majority, frozen": replay(MajorityPredictor(fitted, adaptive=False), played),
    }
    model_keys = frozen_checkpoint.fit_text
    if fitted and model_keys != fitted:  # `keytui train` held its own test keys out: rivals on what the model kept
        best_same, same_single = best_single_order(model_keys, played, warmup, learn=False)
        frozen_rivals[f"same keys: single ({best_same}), frozen"] = same_single
        frozen_rivals["same keys: majority, frozen"] = replay(MajorityPredictor(model_keys, adaptive=False), played)
    rivals = {
        f"best single n-gram ({best_order})": best_single,
        "n-gram from nothing": replay(NGramPredictor(), played),
        "majority": replay(MajorityPredictor(fitted), played),
    }
    best_expert = min(experts, key=lambda k: experts[k].bits_per_char)
    row("MIXTURE (play)", mixed)
    row("mixture, frozen", frozen)
    for name, metrics in experts.items():
        row(f"expert {name}", metrics)
    for name, metrics in rivals.items():
        row(name, metrics)
    if fitted:  # a frozen model against rivals that are frozen too (nothing to compare on a model fitted on nothing)
        for name, metrics in frozen_rivals.items():
            row(name, metrics)
    above = all(mixed.hit_rate > m.hit_rate for m in experts.values())
    frozen_above = all(frozen.hit_rate > m.hit_rate for m in frozen_rivals.values())
    lowest = all(mixed.bits_per_char < m.bits_per_char for m in experts.values())
    ms = [s * 1000 for s in latencies[50:]]
    print(
        f"  regret vs best expert ({best_expert}): {mixed.bits_per_char - experts[best_expert].bits_per_char:+.3f} "
        f"bits/key; mixture above every expert in hit rate: {'yes' if above else 'NO'}, in bits: "
        f"{'yes' if lowest else 'NO'}; frozen above the frozen rivals in hit rate: {'yes' if frozen_above else 'NO'}"
        f"; guess latency p50 {percentile(ms, 50):.3f} ms p99 {percentile(ms, 99):.3f} ms"
        f"; final weights {', '.join(f'{k} {v:+.2f}' for k, v in mixture.weights().items())}",
        flush=True,
    )
    return {"hit": mixed.hit_rate, "ece": mixed.calibration_error}


def train(text: str, name: str, folder: str, seconds: float) -> Path:
    """What `keytui train` does by default: fine-tune the shipped prior on `text`."""
    out = Path(folder) / f"{name}.safetensors"
    started = time.perf_counter()
    outcome = fit_and_save(
        text,
        corpus_name=name,
        out_path=out,
        model_settings={},
        train_config=fine_tune_config(max_seconds=seconds),
        prior=DEMO_MODEL,
    )
    print(
        f"(fine-tuned the prior on {len(text):,} keys of {name} in {time.perf_counter() - started:.0f}s, "
        f"{outcome.result.epochs_run} epochs)",
        flush=True,
    )
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--keys", type=int, default=2000, help="keys played on the synthetic streams")
    parser.add_argument("--train-seconds", type=float, default=90.0, help="training budget per trained model")
    args = parser.parse_args()
    torch.set_num_threads(1)
    demo = load_checkpoint(DEMO_MODEL)
    compare("demo persona (SYNTHETIC masher, new seed)", DEMO_MODEL, demo.fit_text, simulate("masher", args.keys, 4242))
    with tempfile.TemporaryDirectory() as folder:
        for path in (LICENCE, SECOND_TEXT):
            if not path.exists():
                print(f"\n(skipping {path.name}: not on this machine)")
                continue
            parts = split_text(read_corpus(path), 0.1, 0.2)
            model = train(parts.train + parts.val, path.name.lower(), folder, args.train_seconds)
            compare(f"{path.name} (human-written text)", model, parts.train + parts.val, parts.test)
        first = simulate("roller", 700, 11)
        model = train(first, "first-session", folder, args.train_seconds)
        compare("first session (700 SYNTHETIC roller keys)", model, first, simulate("roller", args.keys, 12))


if __name__ == "__main__":
    main()
