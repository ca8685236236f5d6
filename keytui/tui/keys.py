"""Which key events count as typing. Shared by the record, play and few-key screens.

Two layers. Below Textual, `KeytuiParser` puts keytui's `TerminalInput` filter (keytui/keystream.py, the one the
headless commands use too) in front of Textual's own parser: an Alt chord is an `alt+` key (Textual turns ESC 1 into
`¡` and a fast ESC a ESC c into `^a^c`), a mouse report cut across reads stays a mouse report, and OSC/DCS strings
and terminal replies Textual does not know are dropped instead of arriving as their payload (`]0;pwned`). Each
read's keys that came at paste speed (`BurstRule`) are handed on as a paste, which is what they are: an input field
takes them, a typing screen does not. Above it, `TypingKeys` says which key events are typing and counts the pasted
keys a screen did not take, so that it can say so.
"""

from __future__ import annotations

import os
import sys
from codecs import getincrementaldecoder
from collections.abc import Callable, Iterable

from textual import events
from textual._loop import loop_last
from textual._parser import ParseError
from textual._time import get_time
from textual._xterm_parser import (
    SPECIAL_SEQUENCES,
    XTermParser,
    _re_cursor_position,
    _re_in_band_window_resize,
    _re_mouse_event,
    _re_terminal_mode_response,
)
from textual.message import Message
from textual.widgets import Static

from keytui.data.corpus import is_recordable_key
from keytui.data.keystream import INVALID, BurstRule, TerminalInput, Token

MODIFIER_PREFIXES = ("ctrl+", "alt+", "meta+", "super+", "hyper+")


def typed_character(event: events.Key) -> str | None:
    """The printable character a key event typed, or None for chords, function keys, arrows and controls.

    `alt+e` arrives with character "e": the modifier in the key name is what gives it away.
    """
    if event.key.startswith(MODIFIER_PREFIXES):
        return None
    character = event.character
    return character if is_recordable_key(character) else None


class TypingKeys:
    """One screen's view of the keys: `typed(event)` is the character a person typed, or None. A paste (bracketed,
    or keys that came faster than a hand types, which the parser hands on as a paste) is never typing: `pasted`
    counts its keys and says so in `line`, one line with how many were not taken."""

    def __init__(self, line: Static, what: str) -> None:
        """`what`: what the screen does with typed keys ("recorded", "played")."""
        self.line = line
        self.what = what
        self.pasted_keys = 0

    @staticmethod
    def typed(event: events.Key) -> str | None:
        return typed_character(event)

    def pasted(self, text: str) -> None:
        self.pasted_keys += sum(1 for character in text if is_recordable_key(character))
        self.line.update(pasted_line(self.pasted_keys, self.what))
        self.line.display = True


def pasted_line(keys: int, what: str) -> str:
    """The one line a screen shows once keys came pasted or faster than a hand types."""
    return f"{keys:,} keys came pasted or faster than a hand types: not {what}, as they are not typing."


def pasted_summary(keys: int, what: str) -> str:
    """'' or what a screen's closing summary adds about pasted keys."""
    return f"; {keys:,} keys not {what}: pasted, or faster than a hand types" if keys else ""


class KeytuiParser(XTermParser):
    """Textual's terminal parser, fed only what keytui's `TerminalInput` filter lets through."""

    def __init__(self, debug: bool = False, clock: Callable[[], float] = get_time) -> None:
        super().__init__(debug)
        self.clock = clock
        self.terminal = TerminalInput()
        self.bursts = BurstRule()
        self.invalid = 0  # bytes that were not UTF-8 (or surrogates), never keys

    def feed(self, data: str) -> Iterable[Message]:
        if not data:  # the end of input: settle what is held, then let Textual's parser end
            yield from self._messages(self.terminal.finish(), burst=False)
            yield from super().feed(data)
            return
        now = self.clock()
        tokens = self.terminal.feed(data, now)
        keys = sum(1 for kind, _ in tokens if kind == "key")
        yield from self._messages(tokens, burst=self.bursts.is_burst(keys, now))

    def tick(self) -> Iterable[Message]:
        yield from self._messages(self.terminal.expire(self.clock()), burst=False)
        yield from super().tick()

    def _messages(self, tokens: list[Token], burst: bool) -> Iterable[Message]:
        pending: list[str] = []  # what goes on to Textual's parser, in one piece
        pasted: list[str] = []  # a burst's keys
        for kind, text in tokens:
            if kind == "key" and ord(text) in INVALID:
                self.invalid += 1
            elif kind == "key" and burst:
                pasted.append(text)
            elif kind in ("key", "paste"):
                pending.append(text)
            elif kind == "sequence":
                if self._understood(text):
                    pending.append(text)
                else:  # a terminal reply Textual does not know: it would wait on it, then type out its tail
                    self.terminal.dropped += 1
            else:
                yield from self._textual(pending)
                pending = []
                if kind == "escape":
                    yield events.Key("escape", text)
                else:
                    yield from self._alt_chord(text)
        yield from self._textual(pending)
        if pasted:
            yield events.Paste("".join(pasted).replace("\x00", ""))  # as Textual hands on a paste

    def _textual(self, pending: list[str]) -> Iterable[Message]:
        """Textual's messages for `pending`; of mouse moves in a row only the last (a flood of 1,500 took seconds
        to work through, keys waiting behind it)."""
        if not pending:
            return
        move = None
        for message in super().feed("".join(pending)):
            if isinstance(message, events.MouseMove):
                move = message
                continue
            if move is not None:
                yield move
                move = None
            yield message
        if move is not None:
            yield move

    def _alt_chord(self, character: str) -> Iterable[events.Key]:
        """ESC then a character: Alt with that key, never the character typed (nor Textual's `¡` for ESC 1)."""
        for event in self._sequence_to_key_events(character):
            key = event.key
            if len(key) == 1 and key.isupper():
                key = f"shift+{key.lower()}"
            yield events.Key(f"alt+{key}", event.character)

    def _understood(self, sequence: str) -> bool:
        """Whether Textual's parser makes something of this complete sequence (a key, the mouse, focus, a paste,
        a reply it asked for)."""
        return bool(
            sequence in SPECIAL_SEQUENCES
            or _re_in_band_window_resize.fullmatch(sequence)
            or _re_cursor_position.match(sequence)
            or _re_mouse_event.match(sequence)
            or _re_terminal_mode_response.match(sequence)
            or any(True for _ in self._sequence_to_key_events(sequence))
        )


if sys.platform != "win32":
    from textual.drivers.linux_driver import LinuxDriver

    class KeytuiDriver(LinuxDriver):
        """Textual's Linux driver reading through `KeytuiParser`, with a decoder that never raises: bytes that are
        not UTF-8 are dropped, not a crash of the input thread."""

        def run_input_thread(self) -> None:  # Textual 8's loop, with the parser and the decoder swapped
            import selectors

            selector = selectors.SelectSelector()
            selector.register(self.fileno, selectors.EVENT_READ)
            fileno = self.fileno
            parser = KeytuiParser(self._debug)
            decode = getincrementaldecoder("utf-8")(errors="surrogateescape").decode

            def process(selector_events, final: bool = False) -> None:
                for last, (_key, mask) in loop_last(selector_events):
                    if mask & selectors.EVENT_READ:
                        text = decode(os.read(fileno, 1024 * 4), final=final and last)
                        if not text:
                            break
                        for message in parser.feed(text):
                            self.process_message(message)
                for message in parser.tick():
                    self.process_message(message)

            try:
                while not self.exit_event.is_set():
                    process(selector.select(0.1))
                selector.unregister(self.fileno)
                process(selector.select(0.1), final=True)
            finally:
                selector.close()
                try:
                    for _ in parser.feed(""):
                        pass
                except (EOFError, ParseError):
                    pass

else:  # pragma: no cover - Windows keeps Textual's own driver
    KeytuiDriver = None
