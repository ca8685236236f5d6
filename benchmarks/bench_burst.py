"""A burst of typing as the screen shows it: keys sent at 20 per second into `keytui play` in a real terminal (tmux,
100x30), with CPU-bound processes beside it, and how far behind the screen's key count falls.

    python -m benchmarks.bench_burst [--keys 200] [--rate 20] [--busy 2] [--tree PATH]

Once the first guess is on screen (and the network has had `--settle` seconds to load in the background), keys go
in with tmux send-keys at `--rate` per second; between sends the screen is read with capture-pane and its "keys
played N" parsed. A key's lag is from its send to the first screen read that counts it (reads take a few
milliseconds: their median is printed, the lag's resolution). One frame is 1/60 s (Textual draws at most 60 a
second). Prints the lag's median, p99 and max, in milliseconds and frames, and the most keys ever sent but not
shown.
"""

from __future__ import annotations

import argparse
import re
import statistics
import time
from pathlib import Path

from benchmarks.common import DEMO_CORPUS, ROOT, header, percentile
from benchmarks.tmux import BusyLoops, Session, fresh_home, keytui_command, wait_for

FRAME = 1 / 60
COUNT = re.compile(r"keys played\s+(\d+)")


def burst(session: Session, keys: str, rate: float, timeout: float) -> tuple[list[float], list[float], int]:
    """(lag of each key in seconds, durations of the screen reads, most keys behind)."""
    sent_at: list[float] = []
    shown_at: dict[int, float] = {}
    reads: list[float] = []
    behind = 0
    start = time.perf_counter()
    shown = 0
    while shown < len(keys) and time.perf_counter() - start < timeout:
        now = time.perf_counter()
        if len(sent_at) < len(keys) and now >= start + len(sent_at) / rate:
            sent_at.append(now)
            session.send(keys[len(sent_at) - 1])
            continue
        before = time.perf_counter()
        match = COUNT.search(session.screen())
        after = time.perf_counter()
        reads.append(after - before)
        count = int(match.group(1)) if match else 0
        for index in range(shown + 1, count + 1):
            shown_at[index] = (before + after) / 2  # the screen was read somewhere in between
        shown = max(shown, count)
        behind = max(behind, len(sent_at) - shown)
    lags = [shown_at[i + 1] - sent for i, sent in enumerate(sent_at) if i + 1 in shown_at]
    return lags, reads, behind


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--keys", type=int, default=200)
    parser.add_argument("--rate", type=float, default=20.0, help="keys per second")
    parser.add_argument("--busy", type=int, default=2, help="CPU-bound processes running beside it")
    parser.add_argument("--settle", type=float, default=10.0, help="seconds between the first guess and the burst")
    parser.add_argument("--tree", type=Path, default=ROOT, help="the keytui checkout to run (default: this one)")
    args = parser.parse_args()
    text = "".join(k for k in DEMO_CORPUS.read_text(encoding="utf-8") if k.isalnum())
    keys = (text * (1 + args.keys // max(1, len(text))))[: args.keys]
    header(f"{args.keys} keys at {args.rate:g}/s into the play screen, tmux 100x30, {args.busy} busy processes beside")
    print(f"keytui from {args.tree}")
    home = fresh_home()
    session = Session(keytui_command(home, "play", "--no-append", "--round", "100000", tree=args.tree))
    try:
        started = time.perf_counter()
        if "game" not in wait_for({"game": session}, {"game": "sealed"}, started, 120.0):
            print("the play screen never showed its guess")
            return
        time.sleep(args.settle)
        with BusyLoops(args.busy):
            lags, reads, behind = burst(session, keys, args.rate, timeout=args.keys / args.rate + 60)
    finally:
        session.close()
    if not lags:
        print("no key reached the screen")
        return
    ms = [lag * 1000 for lag in lags]
    print(f"{len(lags)} of {len(keys)} keys shown; screen read in {statistics.median(reads) * 1000:.1f} ms (median)")
    print(
        f"lag p50 {percentile(ms, 50):6.1f} ms ({percentile(ms, 50) / 1000 / FRAME:.1f} frames)   "
        f"p99 {percentile(ms, 99):6.1f} ms ({percentile(ms, 99) / 1000 / FRAME:.1f} frames)   "
        f"max {max(ms):6.1f} ms ({max(ms) / 1000 / FRAME:.1f} frames)   most keys behind {behind}"
    )


if __name__ == "__main__":
    main()
