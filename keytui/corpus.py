"""Corpora: UTF-8 text files of keystrokes. Reading and validating them, importing a user's text, and the
crash-safe append-only writer used while recording.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import time
import unicodedata
from pathlib import Path

from keytui.errors import KeytuiError

try:  # POSIX advisory locks; on platforms without fcntl the writer still works, unlocked
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

TIMES_SUFFIX = ".times"


def is_recordable_key(character: str | None) -> bool:
    """A single printable character: letters, digits, punctuation, symbols, space. No controls, no newlines."""
    if not character or len(character) != 1:
        return False
    if character == " ":
        return True
    return unicodedata.category(character)[0] in "LNPS"


def read_corpus(path: Path, *, label: str | None = None) -> str:
    """The corpus text, or a one-line error for a missing, empty, binary or non-UTF-8 file."""
    label = label or path.stem
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise KeytuiError(f"corpus {label!r} does not exist ({path})") from None
    except IsADirectoryError:
        raise KeytuiError(f"corpus {label!r} is a directory, not a text file ({path})") from None
    except OSError as exc:
        raise KeytuiError(f"cannot read corpus {label!r}: {exc.strerror}") from None
    return decode_text(raw, label=f"corpus {label!r}")


def decode_text(raw: bytes, *, label: str) -> str:
    if b"\x00" in raw:
        raise KeytuiError(f"{label} looks binary (it contains NUL bytes); keytui needs UTF-8 text")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise KeytuiError(f"{label} is not UTF-8 text (bad byte at offset {exc.start})") from None
    text = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    if not text:
        raise KeytuiError(f"{label} is empty")
    return text


def corpus_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def import_text(source: Path, destination: Path, *, overwrite: bool = False) -> str:
    """Copy a user's text into the workspace as a corpus, normalising line endings. Returns the text."""
    try:
        raw = source.read_bytes()
    except FileNotFoundError:
        raise KeytuiError(f"no such file: {source}") from None
    except IsADirectoryError:
        raise KeytuiError(f"{source} is a directory, not a text file") from None
    except OSError as exc:
        raise KeytuiError(f"cannot read {source}: {exc.strerror}") from None
    text = decode_text(raw, label=str(source))
    if destination.exists() and not overwrite:
        raise KeytuiError(f"corpus {destination.stem!r} already exists; choose another --name or pass --force")
    atomic_write_bytes(destination, text.encode("utf-8"))
    return text


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write to a temporary file beside `path`, fsync it, then rename over: readers see old or new, never half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise KeytuiError(f"cannot write {path}: {exc.strerror}") from None
    _fsync_dir(path.parent)


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


class CorpusWriter:
    """Appends keystrokes to a corpus, one `write` per key, straight to the kernel (no user-space buffer).

    A key that `write` returned for is in the file even if keytui crashes the next instant; `fsync` runs every
    `fsync_every` keys or `fsync_seconds`, so a power cut loses at most that much. An exclusive lock keeps two
    recorders from interleaving into one file. With `timestamps`, a sidecar `NAME.times` gets one line per key:
    milliseconds since the epoch.
    """

    def __init__(
        self,
        path: Path,
        *,
        timestamps: bool = True,
        fsync_every: int = 64,
        fsync_seconds: float = 1.0,
    ) -> None:
        self.path = path
        self.fsync_every = fsync_every
        self.fsync_seconds = fsync_seconds
        self.keys_written = 0
        self._unsynced = 0
        self._last_sync = time.monotonic()
        self._fd: int | None = None
        self._times_fd: int | None = None
        if path.exists():
            existing = path.read_bytes()
            if existing:  # refuse to append keystrokes to something that is not a corpus
                decode_text(existing, label=f"corpus {path.stem!r}")
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        except OSError as exc:
            raise KeytuiError(f"cannot open corpus {path}: {exc.strerror}") from None
        if fcntl is not None:
            try:
                fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                os.close(self._fd)
                self._fd = None
                raise KeytuiError(f"corpus {path.stem!r} is being recorded by another keytui") from None
        if timestamps:
            times_path = path.with_suffix(TIMES_SUFFIX)
            self._times_fd = os.open(times_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)

    def write(self, key: str, *, at: float | None = None) -> None:
        """Append one key. Raises KeytuiError (and keeps everything written so far) if the disk refuses it."""
        if self._fd is None:
            raise KeytuiError("the corpus writer is closed")
        if not is_recordable_key(key):
            raise KeytuiError(f"{key!r} is not a printable key")
        self._write_all(self._fd, key.encode("utf-8"))
        if self._times_fd is not None:
            stamp = int((time.time() if at is None else at) * 1000)
            self._write_all(self._times_fd, f"{stamp}\n".encode("ascii"))
        self.keys_written += 1
        self._unsynced += 1
        now = time.monotonic()
        if self._unsynced >= self.fsync_every or now - self._last_sync >= self.fsync_seconds:
            self.sync()

    def _write_all(self, fd: int, data: bytes) -> None:
        try:
            while data:
                written = os.write(fd, data)
                data = data[written:]
        except OSError as exc:
            reason = "the disk is full" if exc.errno == 28 else exc.strerror
            saved = f"the {self.keys_written} keys before it are saved"
            raise KeytuiError(f"cannot append to corpus {self.path.stem!r}: {reason}; {saved}") from None

    def sync(self) -> None:
        for fd in (self._fd, self._times_fd):
            if fd is not None:
                with contextlib.suppress(OSError):  # a failed fsync must not lose the key already written
                    os.fsync(fd)
        self._unsynced = 0
        self._last_sync = time.monotonic()

    def close(self) -> None:
        if self._fd is None:
            return
        self.sync()
        if fcntl is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
        os.close(self._fd)
        self._fd = None
        if self._times_fd is not None:
            os.close(self._times_fd)
            self._times_fd = None

    @property
    def closed(self) -> bool:
        return self._fd is None

    def __enter__(self) -> CorpusWriter:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
