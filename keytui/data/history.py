"""The history of play: every finished round and game, one JSON line each, appended to the workspace's
`history.jsonl`.

Each record is appended with one write and an fsync, under an exclusive lock so that two keytui processes never
interleave their lines. Reading is tolerant: a line that is corrupt, truncated by a crash, or from a future version
is skipped and counted, and never costs the lines around it. A line left unterminated by a crash is closed before
the next record is appended, so the new record is not glued onto it.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from keytui.data.files import MiB, MissingFile, append_whole, open_for_append, read_regular_tail, write_failure
from keytui.errors import KeytuiError

try:  # POSIX advisory locks; elsewhere appends still work, unlocked
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

HISTORY_FILE = "history.jsonl"
MODES = ("play", "dodge", "few-key", "random", "mixed")
KINDS = ("round", "game")
MIN_KEYS_FOR_RECORD = 20  # a round shorter than this says too little to be anybody's record
FORMAT_VERSION = 1
MAX_HISTORY_BYTES = 64 * MiB  # a record is under a kilobyte or two: years of play; older lines are left on disk


@dataclass(frozen=True)
class GameRecord:
    """One finished round or game. `typed`/`hits` (the keys and whether each was guessed, "1"/"0") are only kept
    when the played keys were kept in a corpus too, so a game played with keys not kept leaves no keys behind."""

    kind: str  # "round" or "game"
    date: str  # ISO 8601, UTC
    model: str
    mode: str  # play, dodge, few-key, random (the control), or mixed (dodge toggled mid-round)
    keys: int
    hit_rate: float
    top3_hit_rate: float
    macro_f1: float
    weighted_f1: float
    bits_per_key: float
    chance: float  # the verdict's chance level: the stronger of uniform guessing and the player's top key
    uniform_chance: float
    p_value: float
    predictable: bool
    verdict: str
    ngram_hit_rate: float | None = None
    keys_per_second: float | None = None
    round: int | None = None  # which round of its game (rounds only)
    rounds: int | None = None  # how many rounds were finished (games only)
    typed: str | None = None
    hits: str | None = None
    extra: dict = field(default_factory=dict)  # anything a mode wants to keep beside the common figures

    def to_json(self) -> dict:
        data = {"v": FORMAT_VERSION, **asdict(self)}
        return {k: v for k, v in data.items() if v is not None and v != {}}

    @classmethod
    def from_json(cls, data: object) -> GameRecord:
        """A record from one parsed line; ValueError when it is not one."""
        if not isinstance(data, dict):
            raise ValueError("not an object")
        if data.get("kind") not in KINDS:
            raise ValueError("unknown kind")
        values = {}
        for name in _NUMBERS:
            value = data.get(name)
            if not isinstance(value, int | float) or isinstance(value, bool) or not math.isfinite(value):
                raise ValueError(f"{name} is not a number")
            values[name] = float(value)
        keys = data.get("keys")
        if not isinstance(keys, int) or isinstance(keys, bool) or keys < 0:
            raise ValueError("keys is not a count")
        strings = {name: data.get(name) for name in ("date", "model", "mode", "verdict")}
        if not all(isinstance(v, str) for v in strings.values()):
            raise ValueError("a text field is missing")
        typed, hits = data.get("typed"), data.get("hits")
        paired = isinstance(typed, str) and isinstance(hits, str) and len(typed) == len(hits)
        if not (paired and set(hits) <= {"0", "1"}):
            typed = hits = None
        return cls(
            kind=data["kind"],
            keys=keys,
            predictable=bool(data.get("predictable", False)),
            ngram_hit_rate=_optional_number(data.get("ngram_hit_rate")),
            keys_per_second=_optional_number(data.get("keys_per_second")),
            round=data.get("round") if isinstance(data.get("round"), int) else None,
            rounds=data.get("rounds") if isinstance(data.get("rounds"), int) else None,
            typed=typed,
            hits=hits,
            extra=data.get("extra") if isinstance(data.get("extra"), dict) else {},
            **strings,
            **values,
        )

    @property
    def when(self) -> datetime | None:
        try:
            return datetime.fromisoformat(self.date)
        except ValueError:
            return None


_NUMBERS = (
    "hit_rate",
    "top3_hit_rate",
    "macro_f1",
    "weighted_f1",
    "bits_per_key",
    "chance",
    "uniform_chance",
    "p_value",
)


def _optional_number(value: object) -> float | None:
    if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
        return float(value)
    return None


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


@dataclass(frozen=True)
class HistoryRead:
    records: list[GameRecord]
    skipped: int  # lines that were not a record (corrupt, truncated, foreign)

    def rounds(self, mode: str | None = None) -> list[GameRecord]:
        return [r for r in self.records if r.kind == "round" and (mode is None or r.mode == mode)]

    def games(self, mode: str | None = None) -> list[GameRecord]:
        return [r for r in self.records if r.kind == "game" and (mode is None or r.mode == mode)]


class History:
    """The append-only history file of one workspace."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    @classmethod
    def of_workspace(cls, root: Path) -> History:
        return cls(Path(root) / HISTORY_FILE)

    def append(self, record: GameRecord) -> None:
        """Append one record: one write, then fsync. Raises KeytuiError (one line) when the disk refuses it."""
        line = (json.dumps(record.to_json(), ensure_ascii=False, separators=(",", ":")) + "\n").encode("utf-8")
        try:
            fd = open_for_append(self.path, what=self.path.name)
        except KeytuiError as exc:
            raise KeytuiError(f"cannot append to the history: {exc}") from None
        try:
            if fcntl is not None:
                fcntl.flock(fd, fcntl.LOCK_EX)  # appends are short: wait for the other keytui rather than fail
            size = os.fstat(fd).st_size
            if size and os.pread(fd, 1, size - 1) != b"\n":
                line = b"\n" + line  # a crash left the last line open: close it so it cannot swallow this one
            append_whole(fd, line, size)  # one write, cut back on a short one: never half a record
            os.fsync(fd)
        except OSError as exc:
            raise KeytuiError(f"cannot append to the history {self.path}: {write_failure(exc)}") from None
        finally:
            with contextlib.suppress(OSError):
                if fcntl is not None:
                    fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)

    def read(self) -> HistoryRead:
        """Every record that can be read, oldest first, and how many lines could not. Read through the shared guard
        (a FIFO or a device is one line of KeytuiError, never a hang); past MAX_HISTORY_BYTES only the newest
        records are read, and the line cut in two at the start counts as skipped."""
        try:
            raw, cut = read_regular_tail(self.path, what=self.path.name, limit=MAX_HISTORY_BYTES)
        except MissingFile:
            return HistoryRead([], 0)
        except KeytuiError as exc:
            raise KeytuiError(f"cannot read the history: {exc}") from None
        lines = raw.split(b"\n")
        read = parse_lines(lines[1:] if cut else lines)
        return HistoryRead(read.records, read.skipped + cut)


def parse_lines(lines: Iterable[bytes]) -> HistoryRead:
    records, skipped = [], 0
    for line in lines:
        if not line.strip():
            continue
        try:
            records.append(GameRecord.from_json(json.loads(line.decode("utf-8"))))
        except (ValueError, UnicodeDecodeError, RecursionError):
            skipped += 1
    return HistoryRead(records, skipped)


def least_predictable_yet(earlier: Iterable[GameRecord], record: GameRecord) -> bool:
    """Is `record` the round with the lowest hit rate of all the rounds of its mode so far?

    Only rounds of at least MIN_KEYS_FOR_RECORD keys count, and there must be an earlier one to beat: the first
    round ever is nobody's record.
    """
    if record.kind != "round" or record.keys < MIN_KEYS_FOR_RECORD or record.mode == "random":
        return False
    rivals = [
        r.hit_rate
        for r in earlier
        if r.kind == "round" and r.mode == record.mode and r.keys >= MIN_KEYS_FOR_RECORD and r is not record
    ]
    return bool(rivals) and record.hit_rate < min(rivals)


def share_line(record: GameRecord) -> str:
    """One line to paste anywhere: how often the machine read the player, against chance, how sure, on how many."""
    p_value = f"{record.p_value:.1g}" if record.p_value < 0.01 else f"{record.p_value:.2f}"
    figures = f"chance {record.chance:.0%}, p={p_value}, {record.keys} keys"
    if record.mode == "random":
        return f"keytui: a random generator was read {record.hit_rate:.0%} of the time ({figures})"
    if record.predictable:
        return f"keytui: the machine read me {record.hit_rate:.0%} of the time, {figures}"
    return f"keytui: the machine read me only {record.hit_rate:.0%} of the time, {figures}: no better than chance"
