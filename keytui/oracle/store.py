"""Earlier few-key games in a workspace: the prior the predictor starts each new game from.

`oracle/<keyset id>.txt` holds one finished or interrupted game per line, the presses in order: exactly a players
file, so `keytui eval --players` reads it as is. "fd" and "df" are one key set (keytui/oracle/keyset.py). A press is
appended the moment it is played (straight to the kernel, fsync every few dozen presses), so a crash keeps it; the
line is ended when the game ends, and a game that was cut off is ended before the next one starts.
`oracle/<keyset id>.scores.jsonl` holds one line per finished game: its presses and hit rates, for the screen.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from pathlib import Path

from keytui.data.files import MiB, append_whole, open_for_append, parse_json, read_regular_tail, write_failure
from keytui.errors import KeytuiError
from keytui.oracle.keyset import keyset_id

try:  # POSIX advisory locks; without fcntl the writer still works, unlocked
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

PRIOR_PRESSES = 50_000  # the most recent presses read back as the prior; older games are left on disk
FSYNC_EVERY = 32
MAX_GAMES_BYTES = 8 * MiB  # the newest bytes of the store read for the prior: PRIOR_PRESSES presses, room to spare
MAX_SCORES_BYTES = 1 * MiB  # the newest lines of the scores: far more than the few games the screen shows


class GameStore:
    def __init__(self, root: Path, keys: str) -> None:
        self.keys = keys
        self.folder = root / "oracle"
        stem = keyset_id(keys)
        self.path = self.folder / f"{stem}.txt"
        self.scores_path = self.folder / f"{stem}.scores.jsonl"

    def games(self, max_presses: int = PRIOR_PRESSES) -> list[str]:
        """The most recent stored games (presses of these keys only), oldest first, `max_presses` in all at most.
        A damaged file (not UTF-8) is skipped with nothing learned from it, never an error: it is only a prior."""
        try:  # the shared guard: a FIFO or /dev/zero here is skipped like a damaged file, never a hang
            raw, _ = read_regular_tail(self.path, what=f"the few-key store {self.path}", limit=MAX_GAMES_BYTES)
        except KeytuiError:
            return []
        text = raw.decode("utf-8", errors="ignore")
        keys = set(self.keys)
        games: list[str] = []
        total = 0
        for line in reversed(text.split("\n")):
            presses = "".join(c for c in line if c in keys)
            if not presses:
                continue
            presses = presses[-(max_presses - total) :]
            games.append(presses)
            total += len(presses)
            if total >= max_presses:
                break
        return games[::-1]

    def scores(self, last: int = 10) -> list[dict]:
        """The figures of the last finished games, oldest first; lines that do not parse are skipped."""
        try:
            raw, _ = read_regular_tail(self.scores_path, what="the few-key scores", limit=MAX_SCORES_BYTES)
        except KeytuiError:
            return []
        found = []
        for line in raw.split(b"\n")[-last - 1 :]:
            with contextlib.suppress(KeytuiError):
                entry = parse_json(line, what="a score line")
                hit_rate = entry.get("hit_rate") if isinstance(entry, dict) else None
                if isinstance(hit_rate, int | float) and not isinstance(hit_rate, bool):
                    found.append(entry)
        return found[-last:]

    def writer(self) -> GameWriter:
        return GameWriter(self)


class GameWriter:
    """Appends one game's presses to the store as they are played; `close()` ends the game's line and records its
    figures. A second game on the same keys at the same time is refused rather than interleaved."""

    def __init__(self, store: GameStore) -> None:
        self.store = store
        self.presses = 0
        self._unsynced = 0
        self._fd: int | None = open_for_append(store.path, what=f"the few-key store {store.path.name}")
        if fcntl is not None:
            try:
                fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                os.close(self._fd)
                self._fd = None
                raise KeytuiError(f"a game on the keys {store.keys!r} is being played by another keytui") from None
        self._size = os.fstat(self._fd).st_size  # under the lock: only this writer appends from here on
        if self._size and os.pread(self._fd, 1, self._size - 1) != b"\n":
            self._write(b"\n")  # the last game was cut off: end its line so this game starts its own

    def _write(self, data: bytes) -> None:
        if self._fd is None:
            raise KeytuiError("the game store is closed")
        try:
            append_whole(self._fd, data, self._size)  # one write, cut back on a short one: never half a press
        except OSError as exc:
            raise KeytuiError(f"cannot keep the game in {self.store.path}: {write_failure(exc)}") from None
        self._size += len(data)

    def write(self, key: str) -> None:
        self._write(key.encode("utf-8"))
        self.presses += 1
        self._unsynced += 1
        if self._unsynced >= FSYNC_EVERY:
            self.sync()

    def sync(self) -> None:
        if self._fd is not None:
            with contextlib.suppress(OSError):
                os.fsync(self._fd)
        self._unsynced = 0

    def close(self, summary: dict | None = None) -> None:
        """End the game's line; with `summary` (the game's figures), add them to the scores."""
        if self._fd is None:
            return
        try:
            if self.presses:
                self._write(b"\n")
            self.sync()
        finally:
            if fcntl is not None:
                fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None
        if summary is not None and self.presses:
            with contextlib.suppress(KeytuiError):  # the scores are for the screen: the game itself is kept
                append_line(self.store.scores_path, {"when": round(time.time()), **summary}, what="the few-key scores")

    @property
    def closed(self) -> bool:
        return self._fd is None


def append_line(path: Path, entry: dict, *, what: str) -> None:
    """Append one JSON line: one write under an exclusive lock, cut back on a short write (KeytuiError, one line)."""
    fd = open_for_append(path, what=what)
    try:
        if fcntl is not None:
            fcntl.flock(fd, fcntl.LOCK_EX)  # two games ending at once: one line each, never interleaved
        size = os.fstat(fd).st_size
        line = (json.dumps(entry) + "\n").encode("utf-8")
        if size and os.pread(fd, 1, size - 1) != b"\n":
            line = b"\n" + line  # a line left open by a crash must not swallow this one
        append_whole(fd, line, size)
    except OSError as exc:
        raise KeytuiError(f"cannot append to {what} {path}: {write_failure(exc)}") from None
    finally:
        os.close(fd)  # closing releases the lock
