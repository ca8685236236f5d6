"""Reading and replacing files safely: regular files only, bounded reads, atomic replacement, stale temporaries.

A FIFO would block `open()` forever and `/dev/zero` never ends, so every file keytui reads (corpora, imports,
checkpoints) is opened without blocking, checked to be a regular file, and read up to a limit.
"""

from __future__ import annotations

import contextlib
import os
import re
import stat
from pathlib import Path

from keytui.errors import KeytuiError

MiB = 1024 * 1024
TEMPORARY = re.compile(r"^\.(?P<name>.+)\.(?P<pid>\d+)\.tmp$")  # `.NAME.PID.tmp`, written by atomic_write_bytes


def open_regular_file(path: Path, *, what: str) -> int:
    """A read-only descriptor of `path`, or a one-line error if it is missing or not a regular file. Opening never
    blocks on a FIFO, and nothing is read: the caller reads (whole, or a line at a time) and closes."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))  # a FIFO must not block the open
    except FileNotFoundError:
        raise KeytuiError(f"{what} does not exist ({path})") from None
    except IsADirectoryError:
        raise KeytuiError(f"{what} is a directory, not a file ({path})") from None
    except OSError as exc:
        raise KeytuiError(f"cannot read {what}: {exc.strerror} ({path})") from None
    try:
        info = os.fstat(fd)
    except OSError as exc:
        os.close(fd)
        raise KeytuiError(f"cannot read {what}: {exc.strerror} ({path})") from None
    if not stat.S_ISREG(info.st_mode):
        os.close(fd)
        if stat.S_ISDIR(info.st_mode):
            raise KeytuiError(f"{what} is a directory, not a file ({path})")
        raise KeytuiError(f"{what} is not a regular file (a pipe, device or socket?): {path}")
    return fd


def read_regular_file(path: Path, *, what: str, limit: int) -> bytes:
    """The bytes of `path`, or a one-line error if it is missing, not a regular file, or larger than `limit`."""
    fd = open_regular_file(path, what=what)
    try:
        info = os.fstat(fd)
        if info.st_size > limit:
            raise KeytuiError(
                f"{what} is too large ({info.st_size / MiB:,.1f} MiB; keytui reads up to {limit // MiB} MiB)"
            )
        chunks: list[bytes] = []
        total = 0
        while True:  # read to the end, but never past the limit even if the file grows meanwhile
            chunk = os.read(fd, min(4 * MiB, limit + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
            if total > limit:
                raise KeytuiError(f"{what} is too large (it grew past {limit // MiB} MiB while being read)")
        return b"".join(chunks)
    except OSError as exc:
        raise KeytuiError(f"cannot read {what}: {exc.strerror} ({path})") from None
    finally:
        os.close(fd)


def require_regular_or_missing(path: Path, *, what: str) -> None:
    """Refuse to write into something that exists and is not a regular file (a FIFO, a device, a folder)."""
    try:
        info = os.stat(path)
    except FileNotFoundError:
        return
    except OSError as exc:
        raise KeytuiError(f"cannot use {what}: {exc.strerror} ({path})") from None
    if not stat.S_ISREG(info.st_mode):
        kind = "a directory" if stat.S_ISDIR(info.st_mode) else "not a regular file"
        raise KeytuiError(f"{what} is {kind}: {path}")


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
        reason = "the disk is full" if exc.errno == 28 else exc.strerror
        raise KeytuiError(f"cannot write {path}: {reason}; the previous file is untouched") from None
    fsync_dir(path.parent)


def fsync_dir(folder: Path) -> None:
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


def pid_alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    except OSError:
        return False
    return True


def clean_stale_temporaries(folder: Path) -> list[Path]:
    """Remove `.NAME.PID.tmp` files left by interrupted saves whose process is gone. Returns what was removed."""
    removed = []
    if not folder.is_dir():
        return removed
    for entry in folder.iterdir():
        match = TEMPORARY.match(entry.name)
        if not match or pid_alive(int(match["pid"])):
            continue
        with contextlib.suppress(OSError):
            if entry.is_file() and not entry.is_symlink():
                entry.unlink()
                removed.append(entry)
    return removed
