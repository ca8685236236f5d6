"""Keys from a byte stream (headless record and play): read as bytes in chunks, decoded incrementally.

Each key is handed on the moment its bytes arrive (no waiting for a newline, so a SIGKILL loses nothing already
sent), bytes that are not UTF-8 are skipped and counted, and nothing is held in memory beyond one chunk.
"""

from __future__ import annotations

import codecs
import io
import os
from collections.abc import Iterator
from typing import BinaryIO, TextIO

from keytui.data.corpus import is_recordable_key

CHUNK_BYTES = 4096
INVALID = range(0xDC80, 0xDD00)  # surrogateescape turns each byte that is not UTF-8 into one of these


class KeyStream:
    """Iterate over the printable keys in `source`; afterwards `invalid_bytes` and `skipped` say what was dropped.

    `source` is a file descriptor, a binary stream, or a text stream (tests pass `io.StringIO`). Newlines and
    carriage returns separate lines of keys and are neither keys nor counted as skipped.
    """

    def __init__(self, source: int | BinaryIO | TextIO) -> None:
        self.source = source
        self.invalid_bytes = 0
        self.skipped = 0

    def __iter__(self) -> Iterator[str]:
        decoder = codecs.getincrementaldecoder("utf-8")(errors="surrogateescape")
        for chunk in self._chunks():
            yield from self._keys(decoder.decode(chunk))
        yield from self._keys(decoder.decode(b"", final=True))

    def _keys(self, text: str) -> Iterator[str]:
        for character in text:
            if is_recordable_key(character):
                yield character
            elif ord(character) in INVALID:
                self.invalid_bytes += 1
            elif character not in "\r\n":
                self.skipped += 1

    def _chunks(self) -> Iterator[bytes]:
        source = self.source
        if isinstance(source, int):
            yield from _read_fd(source)
            return
        if isinstance(source, io.TextIOBase) and not hasattr(source, "buffer"):  # a text stream with no bytes below
            while text := source.read(CHUNK_BYTES):
                yield text.encode("utf-8", errors="surrogateescape")
            return
        binary = getattr(source, "buffer", source)
        try:
            fd = binary.fileno()
        except (AttributeError, OSError, io.UnsupportedOperation):
            fd = None
        if fd is not None:
            yield from _read_fd(fd)  # os.read returns what has arrived: a pipe's key is not held back for more
            return
        read = getattr(binary, "read1", binary.read)
        while chunk := read(CHUNK_BYTES):
            yield chunk

    def describe_dropped(self) -> str:
        """'' or a note such as ' (3 non-printable characters skipped, 2 bytes that are not UTF-8 skipped)'."""
        parts = []
        if self.skipped:
            parts.append(f"{self.skipped} non-printable characters skipped")
        if self.invalid_bytes:
            parts.append(f"{self.invalid_bytes} bytes that are not UTF-8 skipped")
        return f" ({', '.join(parts)})" if parts else ""


def _read_fd(fd: int) -> Iterator[bytes]:
    while True:
        try:
            chunk = os.read(fd, CHUNK_BYTES)
        except InterruptedError:  # pragma: no cover - Python retries EINTR itself since 3.5
            continue
        if not chunk:
            return
        yield chunk
