"""Corpora: UTF-8 text files of keystrokes. Reading and validating them, importing a user's text, and the
crash-safe append-only writer used while recording.

The writer's promise: a key is in the file, whole, before it is shown; a key the disk refuses is not in it at all
(one `write` per key, truncated back on a short write), in the corpus and in its `.times` sidecar alike.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import time
import unicodedata
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import NoReturn

from keytui.data.files import (
    MiB,
    append_whole,
    atomic_write_bytes,
    read_regular_file,
    require_regular_or_missing,
    restorable,
    write_failure,
)
from keytui.errors import KeytuiError

try:  # POSIX advisory locks; on platforms without fcntl the writer still works, unlocked
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

TIMES_SUFFIX = ".times"
NONBLOCK = getattr(os, "O_NONBLOCK", 0)  # opening a FIFO swapped in after the checks must fail, not block forever


def is_recordable_key(character: str | None) -> bool:
    """A single printable character: letters, digits, punctuation, symbols, space. No controls, no newlines."""
    if not character or len(character) != 1:
        return False
    if character == " ":
        return True
    return unicodedata.category(character)[0] in "LNPS"


MAX_CORPUS_BYTES = 64 * MiB  # about 30 million keys: far past any typed corpus; a bound for /dev/zero and friends

__all__ = ["MAX_CORPUS_BYTES", "TIMES_SUFFIX", "CorpusBusy", "CorpusWriter", "atomic_write_bytes", "read_corpus"]


def read_corpus(path: Path, *, label: str | None = None, notices: list[str] | None = None) -> str:
    """The corpus text, or a one-line error for a missing, empty, special, binary or non-UTF-8 file.

    A tail cut in the middle of a character (a full disk during an older keytui's append) is dropped, not fatal:
    the note saying so goes into `notices` when given.
    """
    label = label or path.stem
    raw = read_regular_file(path, what=f"corpus {label!r}", limit=MAX_CORPUS_BYTES)
    return decode_text(raw, label=f"corpus {label!r}", notices=notices)


def partial_tail(raw: bytes) -> int:
    """How many bytes at the end of `raw` start a UTF-8 character that never finished (0 to 3)."""
    for back in range(1, min(4, len(raw)) + 1):
        byte = raw[-back]
        if byte < 0x80:  # ASCII: the tail is whole
            return 0
        if 0xC2 <= byte <= 0xF4:  # a lead byte: how long should its character be?
            needed = 2 if byte < 0xE0 else 3 if byte < 0xF0 else 4
            return back if needed > back else 0
        if byte >= 0xC0:  # never a lead byte in UTF-8: bad data, which decoding reports
            return 0
    return 0  # only continuation bytes: not a cut character but bad data, which decoding reports


def decode_text(raw: bytes, *, label: str, notices: list[str] | None = None) -> str:
    if b"\x00" in raw:
        raise KeytuiError(f"{label} looks binary (it contains NUL bytes); keytui needs UTF-8 text")
    cut = partial_tail(raw)
    try:
        text = raw[: len(raw) - cut].decode("utf-8")
    except UnicodeDecodeError as exc:
        raise KeytuiError(f"{label} is not UTF-8 text (bad byte at offset {exc.start})") from None
    if cut and notices is not None:
        notices.append(f"{label} ended in half a character ({cut} bytes of a write cut short): left out")
    text = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    if not text:
        raise KeytuiError(f"{label} is empty")
    return text


def corpus_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def import_text(
    source: Path, destination: Path, *, overwrite: bool = False, then: Callable[[], object] | None = None
) -> str:
    """Copy a user's text into the workspace as a corpus, normalising line endings. Returns the text. `then`: see
    `replace_corpus`."""
    if not source.exists() and not source.is_symlink():
        raise KeytuiError(f"no such file: {source}")
    raw = read_regular_file(source, what=str(source), limit=MAX_CORPUS_BYTES)
    text = decode_text(raw, label=str(source))
    replace_corpus(destination, text, overwrite=overwrite, then=then)
    return text


def replace_corpus(destination: Path, text: str, *, overwrite: bool, then: Callable[[], object] | None = None) -> None:
    """Write a whole corpus atomically and drop its `.times` sidecar (those timestamps belonged to the old keys),
    then run `then` (writing the sidecar that says what the corpus now is): all of it or none, since a failed step
    puts the corpus, its timestamps and its sidecar back as they were (an import whose `.times` was a folder
    replaced the corpus and left it labelled as typing).

    Takes the recorder's lock: refused while a recorder holds the corpus, which would go on writing into the
    replaced file and lose every key.
    """
    require_regular_or_missing(destination, what=f"corpus {destination.stem!r}")
    if destination.exists() and not overwrite:
        raise KeytuiError(f"corpus {destination.stem!r} already exists; choose another --name or pass --force")
    times = destination.with_suffix(TIMES_SUFFIX)
    sidecar = destination.with_name(destination.name.removesuffix(destination.suffix) + ".meta.json")
    existed = destination.exists()
    # (a new corpus is not among the files set aside: the lock created it empty; a failure removes it again)
    with corpus_lock(destination), restorable(*([destination] if existed else []), times, sidecar):
        try:
            atomic_write_bytes(destination, text.encode("utf-8"))
            try:
                times.unlink(missing_ok=True)
            except OSError as exc:
                raise KeytuiError(f"cannot remove the old timestamps {times}: {exc.strerror}") from None
            if then is not None:
                then()
        except BaseException:
            if not existed:
                with contextlib.suppress(OSError):
                    destination.unlink()
            raise


@contextlib.contextmanager
def corpus_lock(path: Path) -> Iterator[None]:
    """Hold the lock a recorder holds on `path`, or refuse at once. A file created only to lock is removed."""
    path.parent.mkdir(parents=True, exist_ok=True)
    existed = path.exists()
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CREAT | NONBLOCK, 0o644)  # a FIFO put there must not block
    except OSError as exc:
        raise KeytuiError(f"cannot open corpus {path}: {exc.strerror}") from None
    try:
        _lock(fd, path)
        yield
    except BaseException:
        if not existed:
            with contextlib.suppress(OSError):
                if path.stat().st_size == 0:
                    path.unlink()
        raise
    finally:
        os.close(fd)


class CorpusBusy(KeytuiError):
    """Another keytui holds the corpus (recording or playing into it)."""


def _lock(fd: int, path: Path) -> None:
    """Take the recorder's lock on `fd`, the corpus opened at `path`, or refuse at once.

    The lock is only the corpus's if `path` still names the file locked: were it replaced or removed between the
    open and the lock (an import, or a writer cleaning up), the lock would hold a file nobody reads, and a second
    recorder could lock the new one and write beside this one. Checked after locking, so it holds from then on."""
    if fcntl is None:
        return
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        raise CorpusBusy(f"corpus {path.stem!r} is being recorded by another keytui") from None
    try:
        locked, named = os.fstat(fd), os.stat(path)
        same = (locked.st_dev, locked.st_ino) == (named.st_dev, named.st_ino)
    except OSError:
        same = False
    if not same:
        fcntl.flock(fd, fcntl.LOCK_UN)
        raise CorpusBusy(f"corpus {path.stem!r} was replaced while it was being opened (by another keytui?); try again")


class CorpusWriter:
    """Appends keystrokes to a corpus, one `write` per key, straight to the kernel (no user-space buffer).

    A key that `write` returned for is in the file even if keytui crashes the next instant; `fsync` runs every
    `fsync_every` keys or `fsync_seconds`, so a power cut loses at most that much. A key the disk takes only part
    of is cut back out (`ftruncate` to the last whole key), so a full disk never leaves half a character. An
    exclusive lock keeps two recorders (or a recorder and an import) apart. With `timestamps`, a sidecar
    `NAME.times` gets one line per key, milliseconds since the epoch, all-or-nothing with its key.
    `notices` says what was repaired on opening (a half-written last key or timestamp left by a crash).
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
        self.notices: list[str] = []
        self._unsynced = 0
        self._last_sync = time.monotonic()
        self._fd: int | None = None
        self._times_fd: int | None = None
        label = f"corpus {path.stem!r}"
        require_regular_or_missing(path, what=label)
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | NONBLOCK, 0o644)
        except OSError as exc:
            raise KeytuiError(f"cannot open corpus {path}: {exc.strerror}") from None
        try:
            _lock(self._fd, path)
            self._size = self._repair_corpus(label)
            if timestamps:
                times_path = path.with_suffix(TIMES_SUFFIX)
                require_regular_or_missing(times_path, what=f"timestamps of {label}")
                self._times_fd = os.open(times_path, os.O_RDWR | os.O_APPEND | os.O_CREAT | NONBLOCK, 0o644)
                self._times_size = self._repair_times()
        except OSError as exc:
            self._close_fds()
            raise KeytuiError(f"cannot open corpus {path}: {exc.strerror or exc}") from None
        except BaseException:
            self._close_fds()
            raise

    def _repair_corpus(self, label: str) -> int:
        """Validate what is there (refuse to append keys to something that is not a corpus); cut a half key."""
        assert self._fd is not None
        size = os.fstat(self._fd).st_size
        if not size:
            return 0
        existing = read_regular_file(self.path, what=label, limit=MAX_CORPUS_BYTES)
        decode_text(existing, label=label)  # raises for binary or bad UTF-8 before the tail
        cut = partial_tail(existing)
        if cut:
            os.ftruncate(self._fd, len(existing) - cut)
            self.notices.append(f"{label} ended in half a character ({cut} bytes of a write cut short): removed")
        return len(existing) - cut

    def _repair_times(self) -> int:
        """Cut a timestamp line left without its newline by a crash or a full disk."""
        assert self._times_fd is not None
        size = os.fstat(self._times_fd).st_size
        if not size:
            return 0
        start = max(0, size - 64)
        tail = os.pread(self._times_fd, size - start, start)
        if tail.endswith(b"\n") or (b"\n" not in tail and start > 0):  # whole, or not ours to judge
            return size
        keep = start + tail.rfind(b"\n") + 1
        os.ftruncate(self._times_fd, keep)
        self.notices.append(f"the timestamps of corpus {self.path.stem!r} ended in half a line: removed")
        return keep

    def write(self, key: str, *, at: float | None = None) -> None:
        """Append one key, whole or not at all. Raises KeytuiError (keeping every earlier key) if the disk refuses."""
        if self._fd is None:
            raise KeytuiError("the corpus writer is closed")
        if not is_recordable_key(key):
            raise KeytuiError(f"{key!r} is not a printable key")
        data = key.encode("utf-8")
        self._append(self._fd, data, self._size)
        if self._times_fd is not None:
            stamp = int((time.time() if at is None else at) * 1000)
            try:
                self._append(self._times_fd, f"{stamp}\n".encode("ascii"), self._times_size)
            except KeytuiError:
                self._truncate(self._fd, self._size)  # the key goes with its timestamp, or not at all
                raise
            self._times_size += len(str(stamp)) + 1
        self._size += len(data)
        self.keys_written += 1
        self._unsynced += 1
        now = time.monotonic()
        if self._unsynced >= self.fsync_every or now - self._last_sync >= self.fsync_seconds:
            self.sync()

    def _append(self, fd: int, data: bytes, size_before: int) -> None:
        """One `write` call; anything short of all of `data` is cut back out, and reported in one line."""
        try:
            append_whole(fd, data, size_before)
        except OSError as exc:
            self._refused(write_failure(exc))

    def _truncate(self, fd: int, size: int) -> None:
        with contextlib.suppress(OSError):  # shrinking a file needs no space; if even this fails, say so below
            os.ftruncate(fd, size)

    def _refused(self, reason: str) -> NoReturn:
        keys = f"{self.keys_written:,} key{'s' if self.keys_written != 1 else ''}"
        raise KeytuiError(f"cannot append to corpus {self.path.stem!r}: {reason}; the {keys} before it are saved")

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
        self._close_fds()

    def _close_fds(self) -> None:
        if self._fd is not None:
            if fcntl is not None:
                with contextlib.suppress(OSError):
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
