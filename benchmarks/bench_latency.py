"""Play latency: time from a keypress to the next guess being ready, on one CPU thread, for the shipped demo
model run incrementally (one recurrent step per key) versus re-running a 70-key window for every key. Also the
predictor `keytui play` uses by default (keytui/predictors/factory.py: every expert, the mixer and the calibration,
adaptive): its guess, and apart from it the learning it defers until the guess is on screen (`settle`), which must fit
between two keys; and the frozen predictor with the memory of the fitted keys as an expert.

    python -m benchmarks.bench_latency [--keys N] [--model PATH]

`--model`: a fine-tuned checkpoint instead of the shipped prior (a model that keeps its fitted keys adds the memory
expert, the slowest one). `--app N`: also the same guess inside the play screen (Textual's test pilot pressing N
keys, 100x30, a throwaway workspace), as the game itself times it: between two keys the screen redraws, which leaves
the CPU's caches colder than the tight loop above does, so this is the figure a player's keys meet.
"""

from __future__ import annotations

import argparse
import time

import torch

from benchmarks.common import DEMO_CORPUS, DEMO_MODEL, header, peak_rss_mib, percentile
from keytui.model.checkpoint import load_checkpoint
from keytui.predictors import NeuralPredictor, NGramPredictor
from keytui.predictors.factory import build_predictor


def summarise(label: str, seconds: list[float]) -> float:
    ms = [s * 1000 for s in seconds]
    p99 = percentile(ms, 99)
    print(f"{label:42s} p50 {percentile(ms, 50):7.3f} ms   p99 {p99:7.3f} ms   max {max(ms):7.3f} ms")
    return p99


def time_guesses(predictor, keys: str) -> list[float]:
    """Seconds from each key being observed to the next top-3 guess being ready."""
    seconds = []
    for key in keys:
        started = time.perf_counter()
        predictor.observe(key)
        predictor.ranked(3)
        seconds.append(time.perf_counter() - started)
    return seconds


def time_in_the_app(keys: str, model: str) -> list[float]:
    """The game's own timing of each guess (keytui/game/session.py), with the play screen redrawing between keys."""
    import asyncio
    import tempfile
    from pathlib import Path

    from keytui.data.paths import Workspace
    from keytui.tui.app import create_app

    async def play() -> list[float]:
        workspace = Workspace(Path(tempfile.mkdtemp(prefix="bench-latency-"))).ensure()
        app = create_app(workspace, "play", model=model, corpus=None, round_size=len(keys) + 1)
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.pause()
            for key in keys:
                await pilot.press(key)
            game = app.screen.game
            return list(game.latencies)

    return asyncio.run(play())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--keys", type=int, default=3000)
    parser.add_argument("--model", default=str(DEMO_MODEL))
    parser.add_argument("--app", type=int, default=0, help="also time N keys inside the play screen")
    args = parser.parse_args()
    torch.set_num_threads(1)
    checkpoint = load_checkpoint(args.model)
    keys = DEMO_CORPUS.read_text(encoding="utf-8")[: args.keys]
    header(
        f"play latency over {len(keys)} keys, 1 torch thread, model {checkpoint.config.arch} "
        f"{checkpoint.config.hidden_size}x{checkpoint.config.num_layers}"
    )

    incremental = time_guesses(NeuralPredictor(checkpoint.model, checkpoint.vocab), keys)
    # frozen: the network, the memory of its fitted keys and the fitted n-gram, mixed
    remembering = time_guesses(build_predictor(load_checkpoint(args.model), adaptive=False), keys)

    adaptive = build_predictor(load_checkpoint(args.model), adaptive=True)  # what play uses
    adaptive_guess, adaptive_settle = [], []
    for key in keys:
        started = time.perf_counter()
        adaptive.observe(key)
        adaptive.ranked(3)
        guessed = time.perf_counter()
        adaptive.settle()
        adaptive_guess.append(guessed - started)
        adaptive_settle.append(time.perf_counter() - guessed)

    model, vocab = checkpoint.model, checkpoint.vocab
    ids = vocab.encode(keys)
    window = []
    with torch.inference_mode():
        for i in range(1, len(ids) + 1):
            started = time.perf_counter()
            x = torch.tensor([ids[max(0, i - 70) : i]])
            logits, _, _ = model(x, last_only=True)
            logits[0, 1:].topk(3)
            window.append(time.perf_counter() - started)

    ngram_times = time_guesses(NGramPredictor(checkpoint.fit_text), keys)

    warm = 50  # the first steps pay for allocator and kernel warm-up
    p99_step = summarise("incremental step (keytui play)", incremental[warm:])
    p99_window = summarise("re-run a 70-key window per key", window[warm:])
    summarise(f"frozen mixture, memory of {len(checkpoint.fit_text):,} keys", remembering[warm:])
    summarise("adaptive mixture (keytui play): guess", adaptive_guess[warm:])
    summarise("adaptive: deferred learning (settle)", adaptive_settle[warm:])
    summarise("n-gram baseline (observe + top-3)", ngram_times[warm:])
    if args.app:
        typed = [key for key in keys if key.isprintable()][: args.app]
        summarise(f"in the play screen, {len(typed)} keys: guess", time_in_the_app("".join(typed), args.model)[warm:])
    print(f"incremental is {p99_window / p99_step:.1f}x faster at p99; peak RSS {peak_rss_mib():.0f} MiB")


if __name__ == "__main__":
    main()
