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

from keytui.errors import KeytuiError
from keytui.oracle.keyset import keyset_id

try:  # POSIX advisory locks; without fcntl the writer still works, unlocked
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

PRIOR_PRESSES = 50_000  # the most recent presses read back as the prior; older games are left on disk
FSYNC_EVERY = 32


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
        try:
            raw = self.path.read_bytes()
        except OSError:
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
            lines = self.scores_path.read_text(encoding="utf-8", errors="ignore").splitlines()
        except OSError:
            return []
        found = []
        for line in lines[-last:]:
            with contextlib.suppress(ValueError):
                entry = json.loads(line)
                if isinstance(entry, dict) and isinstance(entry.get("hit_rate"), int | float):
                    found.append(entry)
        return found

    def writer(self) -> GameWriter:
        return GameWriter(self)


class GameWriter:
    """Appends one game's presses to the store as they are played; `close()` ends the game's line and records its
    figures. A second game on the same keys at the same time is refused rather than interleaved."""

    def __init__(self, store: GameStore) -> None:
        self.store = store
        self.presses = 0
        self._unsynced = 0
        store.folder.mkdir(parents=True, exist_ok=True)
        try:
            self._fd: int | None = os.open(store.path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o644)
        except OSError as exc:
            raise KeytuiError(f"cannot open {store.path}: {exc.strerror}") from None
        if fcntl is not None:
            try:
                fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                os.close(self._fd)
                self._fd = None
                raise KeytuiError(f"a game on the keys {store.keys!r} is being played by another keytui") from None
        size = os.fstat(self._fd).st_size
        if size and os.pread(self._fd, 1, size - 1) != b"\n":
            self._write(b"\n")  # the last game was cut off: end its line so this game starts its own

    def _write(self, data: bytes) -> None:
        if self._fd is None:
            raise KeytuiError("the game store is closed")
        try:
            while data:
                data = data[os.write(self._fd, data) :]
        except OSError as exc:
            reason = "the disk is full" if exc.errno == 28 else exc.strerror
            raise KeytuiError(f"cannot keep the game in {self.store.path}: {reason}") from None

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
            entry = {"when": round(time.time()), **summary}
            with contextlib.suppress(OSError), open(self.store.scores_path, "a", encoding="utf-8") as handle:
                handle.write(json.dumps(entry) + "\n")

    @property
    def closed(self) -> bool:
        return self._fd is None
