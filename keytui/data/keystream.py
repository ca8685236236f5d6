"""What a terminal or a pipe sends, split into the keys a person typed and everything else.

`TerminalInput` is the one filter every key goes through (the screens' parser in keytui/tui/keys.py, headless
record, play and the few-key game through `KeyStream`): escape sequences (terminal replies, mouse reports, OSC/DCS
strings, Alt chords) are never keys, even when a read cuts them in two. `KeyStream` reads bytes in chunks, decoded
incrementally: each key is handed on the moment its bytes arrive (no waiting for a newline, so a SIGKILL loses
nothing already sent), bytes that are not UTF-8 are skipped and counted, and nothing is held in memory beyond one
chunk.
"""

from __future__ import annotations

import codecs
import io
import os
import time
from collections.abc import Callable, Iterator
from typing import BinaryIO, NamedTuple, TextIO

from keytui.data.corpus import is_recordable_key

CHUNK_BYTES = 4096
INVALID = range(0xDC80, 0xDD00)  # surrogateescape turns each byte that is not UTF-8 into one of these

ESC = "\x1b"
PASTE_START = "\x1b[200~"
PASTE_END = "\x1b[201~"
STRING_INTRODUCERS = "]PX^_"  # after ESC: OSC, DCS, SOS, PM, APC: strings that run to BEL or ESC \
C1_CSI = "\x9b"
C1_STRINGS = "\x90\x98\x9d\x9e\x9f"  # the same strings' 8-bit introducers
STRING_ENDS = "\x07\x9c"  # BEL, 8-bit ST
ABORT = "\x18\x1a"  # CAN and SUB cancel a sequence
# A lone ESC is the Escape key only once nothing followed it for this long. Textual waits 0.1 s; a mouse report cut
# in two by a busy machine or a slow link arrives later than that, and its tail then read as typed keys (`[<0;5;5M`).
# tmux waits 0.5 s for the same decision; 0.3 s is still quick to leave a screen by.
ESCAPE_HOLD_SECONDS = 0.3
# A sequence or string still open after this long was cut off: what came of it is dropped, and keys flow again.
SEQUENCE_HOLD_SECONDS = 1.0
MAX_SEQUENCE_CHARS = 64  # longer CSI sequences are read to their end but not kept: no reply is this long


class Token(NamedTuple):
    """One thing a terminal sent. `kind`: "key" (a character typed outside any sequence, controls included),
    "alt" (ESC then a character: an Alt chord; `text` is the character), "escape" (the Escape key alone),
    "sequence" (a complete CSI or SS3 sequence, ESC included: arrows, function keys, mouse, replies), or "paste"
    (text between bracketed-paste markers, the end marker included)."""

    kind: str
    text: str


class TerminalInput:
    """Split text from a terminal into tokens, holding a sequence cut across reads until the rest arrives.

    OSC, DCS, SOS, PM and APC strings (window titles, clipboard writes, terminal replies) are dropped whole and
    counted in `dropped`, as are sequences cut off for good. Nothing grows with the input: a string is skipped, not
    kept, and a CSI sequence keeps at most MAX_SEQUENCE_CHARS.
    """

    def __init__(self, escape_hold: float = ESCAPE_HOLD_SECONDS, sequence_hold: float = SEQUENCE_HOLD_SECONDS) -> None:
        self.escape_hold = escape_hold
        self.sequence_hold = sequence_hold
        self.dropped = 0  # strings, unfinished sequences
        self._state = "ground"
        self._held = ""  # the sequence so far (CSI, SS3, X10 mouse), or the start of a paste's end marker
        self._since = 0.0  # when the open sequence or string began (the last paste character, in a paste)
        self._more = 0  # characters an X10 mouse report or a Linux console key still needs

    @property
    def pending(self) -> bool:
        """Whether a sequence, string or paste is open (a caller with a clock should call `expire` later)."""
        return self._state != "ground"

    def feed(self, text: str, now: float) -> list[Token]:
        """The tokens `text` completes, read at time `now` (seconds, any monotonic clock)."""
        out = self.expire(now)
        for character in text:
            self._step(character, now, out)
        return out

    def expire(self, now: float) -> list[Token]:
        """Settle what waited too long: a lone ESC becomes the Escape key, a cut-off sequence is dropped."""
        out: list[Token] = []
        state, waited = self._state, now - self._since
        if state == "escape" and waited >= self.escape_hold:
            out.append(Token("escape", ESC))
            self._state = "ground"
        elif state == "paste" and waited >= self.sequence_hold:
            if text := self._held.replace(ESC, ""):
                out.append(Token("paste", text))
            out.append(Token("paste", PASTE_END))  # close the paste the terminal never closed
            self._state, self._held = "ground", ""
        elif state not in ("ground", "escape", "paste") and waited >= self.sequence_hold:
            self._drop()
        return out

    def finish(self) -> list[Token]:
        """End of input: a lone ESC is the Escape key, anything else still open is dropped."""
        return self.expire(float("inf"))

    def _drop(self) -> None:
        self.dropped += 1
        self._state, self._held = "ground", ""

    def _open(self, state: str, held: str, now: float) -> None:
        self._state, self._held, self._since = state, held, now

    def _step(self, ch: str, now: float, out: list[Token]) -> None:  # one state machine, in one place
        state = self._state
        if state == "ground":
            if ch == ESC:
                self._open("escape", "", now)
            elif ch == C1_CSI:
                self._open("csi", ESC + "[", now)
            elif ch in C1_STRINGS:
                self._open("string", "", now)
            else:
                out.append(Token("key", ch))
        elif state == "escape":
            if ch == "[":
                self._state, self._held = "csi", ESC + "["
            elif ch == "O":
                self._state, self._held = "ss3", ESC + "O"
            elif ch in STRING_INTRODUCERS:
                self._state = "string"
            elif ch == ESC:  # ESC ESC: the first was the Escape key (or Alt+Escape), the second starts anew
                out.append(Token("escape", ESC))
                self._since = now
            else:
                out.append(Token("alt", ch))
                self._state = "ground"
        elif state == "csi":
            code = ord(ch)
            if 0x20 <= code <= 0x3F:  # parameter and intermediate bytes
                if len(self._held) < MAX_SEQUENCE_CHARS:
                    self._held += ch
                else:
                    self._state = "long-csi"
            elif 0x40 <= code <= 0x7E:  # the final byte
                sequence = self._held + ch
                if sequence == ESC + "[M":  # an X10 mouse report: three raw bytes follow
                    self._state, self._held, self._more = "more", sequence, 3
                elif sequence == ESC + "[[":  # the Linux console's F1-F5: one letter follows
                    self._state, self._held, self._more = "more", sequence, 1
                else:
                    self._complete(sequence, now, out)
            else:
                self._abort(ch, now, out)
        elif state == "long-csi":
            code = ord(ch)
            if 0x40 <= code <= 0x7E:
                self._drop()
            elif not 0x20 <= code <= 0x3F:
                self._abort(ch, now, out)
        elif state == "ss3":
            if 0x20 <= ord(ch) <= 0x7E:
                self._complete(self._held + ch, now, out)
            else:
                self._abort(ch, now, out)
        elif state == "more":
            self._held += ch
            self._more -= 1
            if not self._more:
                self._complete(self._held, now, out)
        elif state == "string":
            if ch in STRING_ENDS or ch in ABORT:
                self._drop()
            elif ch == ESC:
                self._state = "string-escape"
        elif state == "string-escape":  # ESC \ ends the string; ESC and anything else ends it and starts anew
            self._drop()
            if ch != "\\":
                self._open("escape", "", now)
                self._step(ch, now, out)
        elif state == "paste":
            self._since = now
            held = self._held + ch
            if PASTE_END.startswith(held):  # the end marker so far: held back until it is known
                self._held = held
                if held == PASTE_END:
                    out.append(Token("paste", PASTE_END))
                    self._state, self._held = "ground", ""
            else:  # pasted text: no ESC of it goes on, so no pasted sequence can pass for a key
                self._held = ESC if ch == ESC else ""
                text = (held[:-1] if ch == ESC else held).replace(ESC, "")
                if text:
                    out.append(Token("paste", text))

    def _complete(self, sequence: str, now: float, out: list[Token]) -> None:
        out.append(Token("sequence", sequence))
        self._held = ""
        if sequence == PASTE_START:
            self._state, self._since = "paste", now
        else:
            self._state = "ground"

    def _abort(self, ch: str, now: float, out: list[Token]) -> None:
        """A character no sequence may hold: the sequence so far is dropped; the character starts afresh."""
        self._drop()
        if ch not in ABORT:
            self._step(ch, now, out)


# Keys that reach the program faster than a hand can type them are not typing: a paste without bracketed-paste
# markers, a script writing into the terminal. A hand lands one key per read: even the fastest mashers (15-20 keys
# a second) leave 50 ms between keys, far longer than a terminal takes to hand a key over, so typed keys share a read
# only when the program was stalled (a busy machine). 16 in one read would need a stall of 0.8 s at 20 keys a second;
# a paste arrives in one read (or in back-to-back reads of up to 4 KiB). A paste of fewer keys passes as typing: the
# price of never dropping a hand's keys on a loaded machine.
BURST_KEYS = 16
# A read that follows a burst this closely is the same paste cut across reads, however few keys it holds.
BURST_FOLLOW_SECONDS = 0.05


class BurstRule:
    """Says of each read's keys whether they came at paste speed (not typing)."""

    def __init__(self, burst_keys: int = BURST_KEYS, follow_seconds: float = BURST_FOLLOW_SECONDS) -> None:
        self.burst_keys = burst_keys
        self.follow_seconds = follow_seconds
        self._last_burst = float("-inf")

    def is_burst(self, keys: int, now: float) -> bool:
        """Whether `keys` keys that arrived together at time `now` are a burst."""
        if not keys:
            return False
        burst = keys >= self.burst_keys or now - self._last_burst <= self.follow_seconds
        if burst:
            self._last_burst = now
        return burst


class KeyStream:
    """Iterate over the printable keys in `source`; afterwards `invalid_bytes`, `skipped` and `sequences` say what
    was dropped.

    `source` is a file descriptor, a binary stream, a text stream (tests pass `io.StringIO`) or None (stdin closed:
    no keys). Newlines and carriage returns separate lines of keys and are neither keys nor counted as skipped.
    Escape sequences go through the same `TerminalInput` filter as the screens' keys: a title-setting OSC string or a
    mouse report is one skipped sequence, never keys. `clock` times a lone ESC (tests pass a fixed one).
    """

    def __init__(self, source: int | BinaryIO | TextIO | None, clock: Callable[[], float] = time.monotonic) -> None:
        self.source = source
        self.clock = clock
        self.invalid_bytes = 0
        self.skipped = 0
        self.terminal = TerminalInput()
        self._sequence_tokens = 0

    @property
    def sequences(self) -> int:
        """Escape sequences, strings, Alt chords, lone ESCs and pastes skipped."""
        return self._sequence_tokens + self.terminal.dropped

    def __iter__(self) -> Iterator[str]:
        decoder = codecs.getincrementaldecoder("utf-8")(errors="surrogateescape")
        terminal = self.terminal
        for chunk in self._chunks():
            yield from self._keys(terminal.feed(decoder.decode(chunk), self.clock()))
        yield from self._keys(terminal.feed(decoder.decode(b"", final=True), self.clock()))
        yield from self._keys(terminal.finish())

    def _keys(self, tokens: list[Token]) -> Iterator[str]:
        for kind, text in tokens:
            if kind != "key":
                if kind != "paste":  # a paste counts once, as its start marker
                    self._sequence_tokens += 1
            elif is_recordable_key(text):
                yield text
            elif ord(text) in INVALID:
                self.invalid_bytes += 1
            elif text not in "\r\n":
                self.skipped += 1

    def _chunks(self) -> Iterator[bytes]:
        source = self.source
        if source is None:  # started with stdin closed: there is nothing to read
            return
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
        if self.sequences:
            parts.append(f"{self.sequences} escape sequences skipped (terminal replies, mouse, Alt chords)")
        return f" ({', '.join(parts)})" if parts else ""


def _read_fd(fd: int) -> Iterator[bytes]:
    while True:
        try:
            chunk = os.read(fd, CHUNK_BYTES)
        except InterruptedError:  # pragma: no cover - Python retries EINTR itself since 3.5
            continue
        except OSError:  # a closed descriptor or a terminal that hung up: the input has ended
            return
        if not chunk:
            return
        yield chunk
