"""What every command shares: exit codes, the numeric flag types, the workspace, progress lines."""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

from keytui.errors import KeytuiError

DEFAULT_CORPUS = "keys"


PROGRESS_SECONDS = 5.0  # headless commands say they are alive at least this often during long work


EXIT_ERROR = 1


EXIT_INTERRUPTED = 130


# Bounds of the model flags: the same as a checkpoint may declare (keytui/model/models.py), without importing torch.
MAX_HIDDEN = 1024


MAX_EMBEDDING = 1024


MAX_LAYERS = 8


class Parser(argparse.ArgumentParser):
    """argparse, with usage mistakes reported in one line like every other keytui error."""

    def error(self, message: str):  # type: ignore[override]
        if "unrecognized arguments" in message and "--home" in message:
            message = "--home goes before the command: keytui --home DIR COMMAND ..."
        self.exit(2, f"keytui: error: {message} (see `{self.prog} --help`)\n")


def number(kind: type, low: float, high: float, *, low_open: bool = False, high_open: bool = False):
    """An argparse type: an int or float within [low, high] (or open at either end); nan and inf refused.

    The range is part of the flag's help, and a value outside it is a one-line usage error, not a traceback or a
    hang (`--layers 5000`, `--lr 1e308`, `--seed 2**70`).
    """

    def parse(text: str):
        try:
            value = kind(text)
        except (ValueError, OverflowError):
            raise argparse.ArgumentTypeError(f"{text!r} is not {'an integer' if kind is int else 'a number'}") from None
        if kind is float and not math.isfinite(value):
            raise argparse.ArgumentTypeError(f"{text!r} is not a finite number")
        too_low = value <= low if low_open else value < low
        too_high = value >= high if high_open else value > high
        if too_low or too_high:
            raise argparse.ArgumentTypeError(f"{text} is outside {describe_range()}")
        return value

    def describe_range() -> str:
        return f"{'(' if low_open else '['}{low:,}, {high:,}{')' if high_open else ']'}"

    parse.__name__ = kind.__name__  # argparse names the type in its messages
    parse.range = describe_range()  # type: ignore[attr-defined]
    return parse


GOAL = number(int, 1, 1_000_000_000)


ROUND = number(int, 1, 1_000_000)


SIM_KEYS = number(int, 1, 10_000_000)


SEED = number(int, 0, 2**32 - 1)


PLAYERS = number(int, 1, 100_000)


PRESSES = number(int, 1, 1_000_000)


RANDOM_KEYS = number(int, 1, 10_000_000)


GAMES = number(int, 1, 1_000_000)


def workspace_of(args):
    from keytui.data.paths import workspace

    return workspace(args.home).clean_stale()  # every start tidies what an interrupted save left


def interactive(args) -> bool:
    return not getattr(args, "headless", False) and sys.stdout.isatty() and sys.stdin.isatty()


def read_corpus_noting(path: Path) -> str:
    """A corpus for a headless command; what was repaired on reading (a half-written last key) goes to stderr."""
    from keytui.data.corpus import read_corpus

    notices: list[str] = []
    text = read_corpus(path, notices=notices)
    for notice in notices:
        print(f"keytui: note: {notice}", file=sys.stderr)
    return text


def progress_printer():
    """A progress callback for long headless work: one stderr line at most every PROGRESS_SECONDS, none if quick."""
    import time

    last = [time.monotonic()]

    def show(what: str, done: int, total: int) -> None:
        now = time.monotonic()
        if now - last[0] >= PROGRESS_SECONDS:
            print(f"keytui: {what}: {done:,} of {total:,} keys", file=sys.stderr, flush=True)
            last[0] = now

    return show


def positive(value: int, flag: str) -> int:
    if value < 1:
        raise KeytuiError(f"{flag} must be at least 1")
    return value
