"""The pretrained prior: reading a new typist from the first key, and fine-tuning on few keys.

All typists are SYNTHETIC (synthetic/simulate.py) and held out: seeds that neither the prior's pretraining nor its
validation ever drew. Side by side in one run:

1. From the first key, nothing recorded: what `keytui play` plays on the shipped prior (the mixture of experts
   around it, adaptive), the prior's network alone adapting (dynamic evaluation), and an adaptive n-gram that starts
   from nothing: cumulative hit rate after 100 / 300 / 1,000 / 3,000 keys, with two limits over the same keys: the
   simulator's oracle, which knows the hidden state (expected hit of the true next-key distribution's argmax), and
   the keys-only limit, what reading the keys alone can reach (the exact Bayes filter's argmax, synthetic/bayes.py).
2. A player with 1,000 recorded keys fine-tuning the prior (`keytui train`'s default) against today's from-scratch
   training on 10,000 keys, and a 10,000-key fine-tune: hit rate on the 3,000 keys that follow the recording,
   frozen and adaptive, with the n-gram fitted on the same keys and both limits.
3. The time a 10,000-key fine-tune takes (wall and CPU seconds, torch on 2 threads).

    python -m benchmarks.bench_prior [--keys 3000] [--random 4] [--seed 7300000] [--typists 2] [--also OLD_MODEL]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from benchmarks.common import DEMO_MODEL, header
from keytui.data.keyboard import DEFAULT_LAYOUT, LAYOUTS
from keytui.game.fit import fit_and_save
from keytui.model.checkpoint import load_checkpoint
from keytui.model.models import use_layout
from keytui.model.prior import fine_tune_config
from keytui.model.training import TrainConfig
from keytui.predictors import NGramPredictor, replay
from keytui.predictors.factory import build_predictor
from keytui.predictors.neural import NeuralPredictor
from keytui.synthetic.bayes import keys_only_best_hit, keys_only_filter
from keytui.synthetic.simulate import PERSONAS, OracleTrace, Typist, random_typist, simulate_with_oracle

HELD_OUT_SEED = 7_300_000  # far from pretraining's seeds (run seed x 1,000,000 upwards) and its validation's
CHECKPOINTS = (100, 300, 1000, 3000)


def held_out_streams(
    keys: int, randoms: int, base: int = HELD_OUT_SEED
) -> list[tuple[str, str, OracleTrace, np.ndarray]]:
    """(label, layout, oracle trace, per-key keys-only best hit) for every persona (seed `base`) and `randoms`
    random typists (seeds `base` + 1, + 2, ...) on the layouts in turn."""
    typists: list[tuple[str, str, str | Typist, int]] = [(name, DEFAULT_LAYOUT, name, base) for name in PERSONAS]
    for i in range(randoms):
        layout, seed = LAYOUTS[i % len(LAYOUTS)], base + 1 + i
        typists.append((f"random-{seed} {layout}", layout, random_typist(seed, layout), seed))
    found = []
    for label, layout, typist, seed in typists:
        trace = simulate_with_oracle(typist, keys, seed)
        found.append((label, layout, trace, keys_only_best_hit(trace, keys_only_filter(typist))))
    return found


def game_player(path: Path, layout: str):
    """What `keytui play` plays: every expert around the model, mixed online, adaptive."""
    return build_predictor(load_checkpoint(path), adaptive=True, layout=layout)


def network_player(path: Path, layout: str):
    """The network alone, learning from the keys by dynamic evaluation."""
    checkpoint = load_checkpoint(path)
    use_layout(checkpoint.model, checkpoint.vocab.tokens, layout)
    return NeuralPredictor(checkpoint.model, checkpoint.vocab, adaptive=True)


def cumulative(hits: list[bool]) -> list[float]:
    return [float(np.mean(hits[:n])) for n in CHECKPOINTS if n <= len(hits)]


def from_the_first_key(keys: int, randoms: int, also: Path | None, base: int = HELD_OUT_SEED) -> None:
    header(f"from the first key, nothing recorded: cumulative hit rate after {', '.join(map(str, CHECKPOINTS))} keys")
    players = {"game": game_player, "network": network_player}
    rivals = [*players, *(["also"] if also else []), "ngram", "limit", "keys-only"]
    print(f"{'stream':28s} " + "  ".join(f"{name:>23s}" for name in rivals))
    table: dict[str, list[list[float]]] = {name: [] for name in rivals}
    expected: dict[str, list[list[float]]] = {name: [] for name in rivals[:-2]}  # scored as the limits are
    labels = []
    for label, layout, trace, keys_only in held_out_streams(keys, randoms, base):
        labels.append(label)
        rows = {}
        made = {name: make(DEMO_MODEL, layout) for name, make in players.items()}
        if also:
            made["also"] = game_player(also, layout)
        made["ngram"] = NGramPredictor()
        for name, predictor in made.items():
            hits: list[bool] = []
            guessed: list[str] = []
            replay(predictor, trace.text, hits=hits, guessed=guessed)
            rows[name] = cumulative(hits)
            expected[name].append(cumulative(trace.expected_hits(guessed).tolist()))
        rows["limit"] = [trace.limit_hit_rate(0, n) for n in CHECKPOINTS if n <= len(trace.text)]
        rows["keys-only"] = [float(keys_only[:n].mean()) for n in CHECKPOINTS if n <= len(trace.text)]
        for name in rivals:
            table[name].append(rows[name])
        print(f"{label[:28]:28s} " + "  ".join(" ".join(f"{v:5.1%}" for v in rows[n]) for n in rivals), flush=True)
    means = {name: np.mean(np.array(rows), axis=0) for name, rows in table.items()}
    print(f"{'mean':28s} " + "  ".join(" ".join(f"{v:5.1%}" for v in means[n]) for n in rivals))
    expected_means = {name: np.mean(np.array(rows), axis=0) for name, rows in expected.items()}
    expected_cells = "  ".join(" ".join(f"{v:5.1%}" for v in expected_means[n]) for n in expected)
    print(f"{'mean, expected hits':28s} " + expected_cells)
    for limit in ("limit", "keys-only"):
        for name in rivals[:-2]:
            fraction = expected_means[name] / means[limit]
            print(f"{name + ' / ' + limit:28s} " + " ".join(f"{v:5.0%}" for v in fraction))
    game, ngram = np.array(expected["game"]), np.array(expected["ngram"])  # (streams, checkpoints)
    above = " ".join(f"{int(n):5d}" for n in (game > ngram).sum(axis=0))
    print(f"{'game above ngram, streams':28s} {above}   (of {len(game)}, expected hits)")
    for label, g, n in zip(labels, game, ngram, strict=True):
        if (g <= n).any():
            print(
                f"  not above: {label[:26]:26s} game "
                + " ".join(f"{v:5.1%}" for v in g)
                + "  ngram "
                + " ".join(f"{v:5.1%}" for v in n)
            )
    print(
        "limit: the oracle that knows the hidden state (which replay is under way); keys-only: the exact keys-only "
        "filter's best guess (synthetic/bayes.py). Fractions use expected hits: the true probability of each guess,\n"
        "as the limits are scored (realised hits add the noise of which key was drawn)"
    )
    if also:
        print(f"('also' is {also})")


def fit(text: str, out: Path, *, prior: Path | None, layout: str) -> tuple[Path, float, float, object]:
    """Train as `keytui train` would (fine-tune the prior, or from scratch); returns the checkpoint, wall and CPU
    seconds, and the outcome."""
    config = fine_tune_config() if prior is not None else TrainConfig()
    wall, cpu = time.perf_counter(), time.process_time()
    outcome = fit_and_save(
        text, corpus_name=out.stem, out_path=out, model_settings={}, train_config=config, prior=prior, layout=layout
    )
    return outcome.checkpoint, time.perf_counter() - wall, time.process_time() - cpu, outcome


def held_out_hit(path: Path, trace: OracleTrace, start: int, fitted: str, *, adaptive: bool) -> tuple[float, float]:
    """The game's predictor on the model (frozen or adaptive), after reading the end of the recording, on the keys
    of `trace` from `start`: realised and expected hit rate (each guess's true probability)."""
    player = build_predictor(load_checkpoint(path), adaptive=adaptive, layout=None)
    guessed: list[str] = []
    metrics = replay(player, trace.text[start:], warmup=fitted[-64:], guessed=guessed)
    return metrics.hit_rate, float(trace.expected_hits(guessed, start).mean())


def fine_tuning(typists: int, test_keys: int) -> None:
    header("fine-tuning the prior on 1,000 keys vs training from scratch on 10,000 (hit on the next keys)")
    print(
        f"{'typist':22s} {'limit':>6s} {'k-only':>7s} {'ngram 10k':>10s} {'scratch 10k':>12s} {'prior 1k':>10s}"
        f" {'prior 10k':>10s}   (frozen / adaptive)   fine-tune 10k: wall / CPU s   adaptive / limit, / keys-only:"
        " prior 1k, prior 10k (expected hits)"
    )
    torch.set_num_threads(2)
    work = Path(tempfile.mkdtemp(prefix="bench-prior-"))
    choices = [("masher", None), *((f"random-{HELD_OUT_SEED + 50 + i}", LAYOUTS[i]) for i in range(typists - 1))]
    for label, layout in choices[:typists]:
        if layout is None:
            typist: str | Typist = label
            trace = simulate_with_oracle(typist, 10_000 + test_keys, HELD_OUT_SEED + 99)
        else:
            seed = int(label.split("-")[1])
            typist = random_typist(seed, layout)
            trace = simulate_with_oracle(typist, 10_000 + test_keys, seed)
        text, test = trace.text[:10_000], trace.text[10_000:]
        limit = trace.limit_hit_rate(10_000)
        keys_only = float(keys_only_best_hit(trace, keys_only_filter(typist))[10_000:].mean())
        board = layout or DEFAULT_LAYOUT
        scratch, *_ = fit(text, work / f"{label}-scratch.safetensors", prior=None, layout=board)
        small, *_ = fit(text[-1000:], work / f"{label}-1k.safetensors", prior=DEMO_MODEL, layout=board)
        large, wall, cpu, _ = fit(text, work / f"{label}-10k.safetensors", prior=DEMO_MODEL, layout=board)
        ngram = [replay(NGramPredictor(text, adaptive=a), test, warmup=text[-8:]).hit_rate for a in (False, True)]
        cells = [f"{ngram[0]:4.1%}/{ngram[1]:4.1%}"]
        adaptive_hits = []
        for path, fitted in ((scratch, text), (small, text[-1000:]), (large, text)):
            frozen, _ = held_out_hit(path, trace, 10_000, fitted, adaptive=False)
            adaptive, expected = held_out_hit(path, trace, 10_000, fitted, adaptive=True)
            cells.append(f"{frozen:4.1%}/{adaptive:4.1%}")
            adaptive_hits.append(expected)
        print(
            f"{label[:22]:22s} {limit:6.1%} {keys_only:7.1%} {cells[0]:>10s} {cells[1]:>12s} {cells[2]:>10s}"
            f" {cells[3]:>10s}   {wall:6.1f} / {cpu:5.1f}          "
            + ", ".join(f"{hit / limit:5.1%}" for hit in adaptive_hits[1:])
            + "    "
            + ", ".join(f"{hit / keys_only:5.1%}" for hit in adaptive_hits[1:]),
            flush=True,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--keys", type=int, default=3000, help="keys per stream from the first key")
    parser.add_argument("--random", type=int, default=4, help="random typists from the first key (layouts in turn)")
    parser.add_argument("--typists", type=int, default=2, help="typists for the fine-tuning comparison (0: skip)")
    parser.add_argument("--test-keys", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=HELD_OUT_SEED, help="first seed of the from-the-first-key streams")
    parser.add_argument("--also", type=Path, help="another model to play from the first key (e.g. the old demo)")
    args = parser.parse_args()
    torch.set_num_threads(1)
    started = time.perf_counter()
    meta = load_checkpoint(DEMO_MODEL).meta
    print(f"shipped model: {meta.get('kind', 'not a prior')}; {meta.get('metrics', {})}")
    if args.keys:
        from_the_first_key(args.keys, args.random, args.also, args.seed)
    if args.typists:
        fine_tuning(args.typists, args.test_keys)
    print(f"({time.perf_counter() - started:.0f}s)")


if __name__ == "__main__":
    main()
