"""Reading and replacing files safely: regular files only, bounded reads, atomic replacement, whole appends.

Every file keytui reads is untrusted (a player's workspace can hold anything under any name). A FIFO would block
`open()` forever and `/dev/zero` never ends, so every file keytui reads (corpora, imports, checkpoints, sidecars,
the history, the few-key store, the settings) goes through `open_regular_file`: opened without blocking, checked to
be a regular file, and read up to a limit (`read_regular_file`, `read_regular_tail`, `read_json_file`). JSON that is
not UTF-8, not JSON, or nested 100,000 deep is one KeytuiError too, never a traceback.

Every append (corpus keys, history records, few-key presses and scores) is one `write` of a whole record, cut back
to where it started on a short write (`append_whole`): a full disk or a file-size limit never leaves half a record.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import stat
from collections.abc import Iterator
from pathlib import Path

from keytui.errors import KeytuiError

MiB = 1024 * 1024
ENOSPC = 28
MAX_JSON_BYTES = 4 * MiB  # sidecars and settings are a few hundred bytes: a bound for /dev/zero and friends
TEMPORARY = re.compile(r"^\.(?P<name>.+)\.(?P<pid>\d+)\.tmp$")  # `.NAME.PID.tmp`, written by atomic_write_bytes


class MissingFile(KeytuiError):
    """The file does not exist (for readers to whom a missing file means "none yet", not an error)."""


def open_regular_file(path: Path, *, what: str) -> int:
    """A read-only descriptor of `path`, or a one-line error if it is missing or not a regular file. Opening never
    blocks on a FIFO, and nothing is read: the caller reads (whole, or a line at a time) and closes."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))  # a FIFO must not block the open
    except FileNotFoundError:
        raise MissingFile(f"{what} does not exist ({path})") from None
    except IsADirectoryError:
        raise KeytuiError(f"{what} is a directory, not a file ({path})") from None
    except OSError as exc:
        raise KeytuiError(f"cannot read {what}: {exc.strerror} ({path})") from None
    return _regular_or_closed(fd, path, what=what, verb="read")


def open_for_append(path: Path, *, what: str) -> int:
    """A read-write, append-only descriptor of the regular file `path` (created if missing), or a one-line error:
    appending into a FIFO would block once its buffer fills, and into a device would lose every record."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT | getattr(os, "O_NONBLOCK", 0), 0o644)
    except IsADirectoryError:
        raise KeytuiError(f"{what} is a directory, not a file ({path})") from None
    except OSError as exc:
        raise KeytuiError(f"cannot open {what}: {exc.strerror} ({path})") from None
    return _regular_or_closed(fd, path, what=what, verb="open")


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


def read_regular_tail(path: Path, *, what: str, limit: int) -> tuple[bytes, bool]:
    """The last `limit` bytes of `path` (all of it when smaller), and whether earlier bytes were left out: for
    append-only logs (the history, the few-key store), whose newest records matter and which may grow without end."""
    fd = open_regular_file(path, what=what)
    try:
        size = os.fstat(fd).st_size
        start = max(0, size - limit)
        chunks: list[bytes] = []
        total = 0
        while total < limit:  # never past the limit, even if the file grows meanwhile
            chunk = os.pread(fd, min(4 * MiB, limit - total), start + total)
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
        return b"".join(chunks), start > 0
    except OSError as exc:
        raise KeytuiError(f"cannot read {what}: {exc.strerror} ({path})") from None
    finally:
        os.close(fd)


def read_json_file(path: Path, *, what: str, limit: int = MAX_JSON_BYTES) -> object:
    """The parsed JSON of a small file, or a one-line KeytuiError for anything else (missing, a FIFO or device, too
    large, not UTF-8, not JSON, nested too deeply). The caller checks the types of what it uses."""
    return parse_json(read_regular_file(path, what=what, limit=limit), what=what)


def parse_json(raw: bytes | str, *, what: str) -> object:
    """JSON from untrusted bytes: a one-line KeytuiError for bytes that are not UTF-8 or not JSON (100,000 nested
    brackets included: the parser's RecursionError is caught like any other bad JSON)."""
    try:
        text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
    except UnicodeDecodeError as exc:
        raise KeytuiError(f"{what} is not UTF-8 text (bad byte at offset {exc.start})") from None
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        raise KeytuiError(f"{what} is not valid JSON") from None


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


@contextlib.contextmanager
def restorable(*paths: Path) -> Iterator[None]:
    """Everything at `paths` comes back as it was if the block fails (all or nothing for writes spanning files: a
    corpus, its timestamps and its sidecar). Each is refused up front unless a regular file or missing; each that
    exists is hard-linked aside (copied where links are not allowed) and put back on failure; one that did not
    exist is removed again."""
    for path in paths:
        require_regular_or_missing(path, what=path.name)
    kept: dict[Path, Path | None] = {}
    try:
        for path in paths:
            if not path.exists():
                kept[path] = None
                continue
            aside = path.with_name(f".{path.name}.old.{os.getpid()}.tmp")  # a stale one is cleaned like any temporary
            aside.unlink(missing_ok=True)
            try:
                os.link(path, aside)
            except OSError:
                shutil.copy2(path, aside)
            kept[path] = aside
    except OSError as exc:
        _discard(kept)
        raise KeytuiError(f"cannot set aside {path.name} before replacing it: {exc.strerror}") from None
    try:
        yield
    except BaseException:
        for path, aside in kept.items():
            with contextlib.suppress(OSError):
                if aside is None:
                    path.unlink(missing_ok=True)
                else:
                    os.replace(aside, path)
        raise
    _discard(kept)


def _discard(kept: dict[Path, Path | None]) -> None:
    for aside in kept.values():
        if aside is not None:
            with contextlib.suppress(OSError):
                aside.unlink()


class ShortWrite(OSError):
    """The disk took only part of a record (full, or a file-size limit): the part was cut back out."""


def append_whole(fd: int, data: bytes, size_before: int) -> None:
    """Append `data` with ONE `write` to `fd` (opened O_APPEND, `size_before` bytes long, held under the caller's
    lock), all of it or none: on an error or a short write the file is cut back to `size_before`, and OSError
    (ShortWrite for a short write) is raised. A loop of writes would leave half a record behind when the disk
    fills or a file-size limit (`ulimit -f`) stops it midway."""
    try:
        written = os.write(fd, data)
    except OSError:
        _cut_back(fd, size_before)
        raise
    if written != len(data):
        _cut_back(fd, size_before)
        raise ShortWrite(ENOSPC, f"the disk took {written} of {len(data)} bytes (full?)")


def _cut_back(fd: int, size: int) -> None:
    with contextlib.suppress(OSError):  # shrinking a file needs no space; if even this fails, the caller says so
        os.ftruncate(fd, size)


def write_failure(exc: OSError) -> str:
    """Why a write failed, in words: "the disk is full", or the system's reason."""
    if isinstance(exc, ShortWrite):
        return exc.strerror or "a short write"
    return "the disk is full" if exc.errno == ENOSPC else exc.strerror or str(exc)


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


def _regular_or_closed(fd: int, path: Path, *, what: str, verb: str) -> int:
    """`fd` if it is a regular file; otherwise it is closed and the reason is one line (checked on the open
    descriptor, so a file swapped for a FIFO after a path check is still caught)."""
    try:
        info = os.fstat(fd)
    except OSError as exc:
        os.close(fd)
        raise KeytuiError(f"cannot {verb} {what}: {exc.strerror} ({path})") from None
    if not stat.S_ISREG(info.st_mode):
        os.close(fd)
        if stat.S_ISDIR(info.st_mode):
            raise KeytuiError(f"{what} is a directory, not a file ({path})")
        raise KeytuiError(f"{what} is not a regular file (a pipe, device or socket?): {path}")
    return fd
