"""Scale: a 100,000-key game and a 1,000,000-key corpus stay bounded. Prints resident memory and per-key latency at
the start and at the end of each run, so growth shows as a difference, not as a guess.

- the game: the demo model learning as `keytui play` does, the n-gram baseline, and the crash-safe writer
  appending every key to a corpus; latency is press + deferred learning (settle), per key;
- the corpus: read, stats, a frozen eval replay (first and last keys timed), and one training epoch over it, cut
  after a fixed time (the time per batch at its start and at its end).

    nice -n 10 python -m benchmarks.bench_scale [--game-keys 100000] [--corpus-keys 1000000] [--train-seconds 60]
        [--only game|corpus]
"""

from __future__ import annotations

import argparse
import tempfile
import threading
import time
from pathlib import Path

import torch

from benchmarks.common import DEMO_MODEL, header, peak_rss_mib, percentile
from keytui.data.corpus import CorpusWriter, read_corpus
from keytui.data.stats import corpus_stats
from keytui.data.vocab import Vocab
from keytui.game.session import GameSession
from keytui.model.checkpoint import load_checkpoint
from keytui.model.models import ModelConfig
from keytui.model.training import BatchDone, TrainConfig, Trainer, split_text
from keytui.predictors import NGramPredictor
from keytui.predictors.factory import build_predictor
from keytui.synthetic.simulate import simulate

WINDOW = 2000  # keys timed at the start and at the end
REPORT_EVERY = 10_000  # the game prints its latest window this often


def rss_mib() -> float:
    """Resident memory now (not the peak), from /proc; the peak where /proc is missing."""
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[1])
    except (OSError, IndexError, ValueError):
        return peak_rss_mib()
    import os

    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def line(label: str, seconds: list[float]) -> str:
    ms = [s * 1000 for s in seconds]
    return f"{label:24s} p50 {percentile(ms, 50):7.3f} ms   p99 {percentile(ms, 99):7.3f} ms   max {max(ms):7.3f} ms"


def bench_game(keys: int, folder: Path) -> None:
    header(f"a {keys:,}-key game: demo model adapting, n-gram baseline, every key appended to a corpus")
    text = simulate("masher", keys, seed=5)
    checkpoint = load_checkpoint(DEMO_MODEL)
    before = rss_mib()
    with CorpusWriter(folder / "game.txt") as writer:
        game = GameSession(
            build_predictor(checkpoint, adaptive=True),
            NGramPredictor(checkpoint.fit_text, adaptive=True),
            round_size=100,
            recorder=writer,
        )
        seconds: list[float] = []
        rss_after_start = 0.0
        started = time.perf_counter()
        for i, key in enumerate(text):
            t0 = time.perf_counter()
            if game.press(key).round_over:
                game.next_round()
            game.settle()
            seconds.append(time.perf_counter() - t0)
            if i == WINDOW - 1:
                rss_after_start = rss_mib()
            if (i + 1) % REPORT_EVERY == 0:  # a cut-short run still leaves figures behind
                print(line(f"keys {i + 2 - WINDOW:,}-{i + 1:,}", seconds[-WINDOW:]) + f"   memory {rss_mib():7.1f} MiB")
        total = time.perf_counter() - started
    print(
        f"memory: {before:7.1f} MiB before, {rss_after_start:7.1f} after {WINDOW:,} keys, {rss_mib():7.1f} at the end"
    )
    print(line(f"first {WINDOW:,} keys", seconds[:WINDOW]))
    print(line(f"last {WINDOW:,} keys", seconds[-WINDOW:]))
    print(f"{keys:,} keys in {total:.0f} s; hit rate {game.total.model.hit_rate:.1%}; corpus {writer.keys_written:,}")


def bench_corpus(keys: int, folder: Path, train_seconds: float) -> None:
    header(f"a {keys:,}-key corpus: read, stats, eval replay, one training epoch")
    path = folder / "big.txt"
    path.write_text(simulate("chaotic", keys, seed=9), encoding="utf-8")
    print(f"memory at the start: {rss_mib():7.1f} MiB; file {path.stat().st_size / 2**20:.2f} MiB")
    t0 = time.perf_counter()
    text = read_corpus(path)
    t1 = time.perf_counter()
    stats = corpus_stats(text)
    t2 = time.perf_counter()
    print(f"read {t1 - t0:6.2f} s   stats {t2 - t1:6.2f} s ({stats.keys:,} keys, {stats.distinct} distinct)")
    print(f"memory after read + stats: {rss_mib():7.1f} MiB")

    checkpoint = load_checkpoint(DEMO_MODEL)
    predictor = build_predictor(checkpoint, adaptive=False)
    for label, piece in (("eval, first keys", text[:WINDOW]), ("eval, last keys", text[-WINDOW:])):
        seconds = []
        for key in piece:  # the steps `replay` takes per key (guess, then observe), timed one by one
            t = time.perf_counter()
            predictor.ranked(3)
            predictor.observe(key)
            seconds.append(time.perf_counter() - t)
        print(line(label, seconds) + f"   memory {rss_mib():7.1f} MiB")

    split = split_text(text)
    vocab = Vocab.from_text(text)
    trainer = Trainer(
        ModelConfig(vocab_size=len(vocab)),
        TrainConfig(epochs=1, refit=False),
        vocab,
        split,
    )
    batch_times: list[tuple[int, float]] = []
    last = [time.perf_counter()]

    def on_event(event) -> None:
        if isinstance(event, BatchDone):
            now = time.perf_counter()
            batch_times.append((event.batch, now - last[0]))
            last[0] = now

    cancel = threading.Event()
    timer = threading.Timer(train_seconds, cancel.set)
    timer.start()
    try:
        trainer.run(on_event=on_event, cancel=cancel)
    finally:
        timer.cancel()
    done = [s for _, s in batch_times]
    batches = trainer.batches_per_epoch()
    print(f"training: {len(done):,} of {batches:,} batches in {train_seconds:.0f} s (cut there)")
    if len(done) > 2 * 50:
        print(line("first 50 batches", done[:50]))
        print(line("last 50 batches", done[-50:]))
    print(f"memory after training: {rss_mib():7.1f} MiB; peak {peak_rss_mib():7.1f} MiB")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--game-keys", type=int, default=100_000)
    parser.add_argument("--corpus-keys", type=int, default=1_000_000)
    parser.add_argument("--train-seconds", type=float, default=60.0)
    parser.add_argument("--only", choices=["game", "corpus"], help="run one of the two")
    args = parser.parse_args()
    torch.set_num_threads(1)
    with tempfile.TemporaryDirectory() as folder:
        if args.only != "game":
            bench_corpus(args.corpus_keys, Path(folder), args.train_seconds)
        if args.only != "corpus":
            bench_game(args.game_keys, Path(folder))


if __name__ == "__main__":
    main()
