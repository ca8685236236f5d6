"""Text the command-line commands print in common: the table of scores `eval` and `eval --players` show, and the
one rule for untrusted text reaching a terminal (`terminal_safe`, applied to all output by `protect_output`)."""

from __future__ import annotations

import io
import os
import sys
from typing import TextIO


def print_score_table(rows: dict[str, dict], *, min_width: int = 10) -> None:
    """One line of scores per predictor, under a header; names in full ("majority k" read as a key named k)."""
    width = max(min_width, *(len(name) for name in rows))
    print(f"{'':{width}s} {'hit':>7s} {'top-3':>7s} {'macroF1':>8s} {'wF1':>7s} {'bits/key':>9s}")
    for name, s in rows.items():
        print(
            f"{name:{width}s} {s['hit_rate']:7.1%} {s['top3_hit_rate']:7.1%} {s['macro_f1']:8.3f} "
            f"{s['weighted_f1']:7.3f} {s['bits_per_char']:9.3f}"
        )


# Characters that drive a terminal instead of showing: C0 controls but the line break and tab, DEL, C1 controls
# (0x9b is a CSI by itself), the bidirectional overrides that reorder a line, and the surrogates that stand for bytes
# of a file name that were not UTF-8.
_UNSAFE = {
    *(chr(c) for c in range(0x20) if chr(c) not in "\n\t"),
    "\x7f",
    *(chr(c) for c in range(0x80, 0xA0)),
    *"\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069",
}
_ESCAPES = str.maketrans({c: f"\\u{ord(c):04x}" for c in _UNSAFE})


def terminal_safe(text: str, encoding: str | None = "utf-8") -> str:
    """Untrusted text (a corpus or model name, a checkpoint's metadata, a history record, typed keys) as it may
    reach a terminal: each control character shown as an escape such as \\u001b, so no name can set the title, clear
    the screen or write the clipboard; a byte that was not UTF-8 as \\udcff; and whatever `encoding` cannot write
    as a backslash escape. The escapes are JSON's, so a JSON line stays valid JSON."""
    text = text.translate(_ESCAPES)
    if any("\ud800" <= c <= "\udfff" for c in text):
        text = "".join(f"\\u{ord(c):04x}" if "\ud800" <= c <= "\udfff" else c for c in text)
    if encoding and not encoding.lower().replace("-", "").startswith("utf"):
        text = text.encode(encoding, errors="backslashreplace").decode(encoding)
    return text


class TerminalSafeWriter(io.TextIOBase):
    """stdout or stderr with every write passed through `terminal_safe`: one rule for every command's output.
    `control` writes the few sequences keytui itself means (a progress line's carriage return)."""

    def __init__(self, stream: TextIO) -> None:
        super().__init__()
        self.stream = stream

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return getattr(self.stream, "encoding", None) or "utf-8"

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        self.stream.write(terminal_safe(text, self.encoding))
        return len(text)

    def control(self, text: str) -> None:
        self.stream.write(text)

    def flush(self) -> None:
        self.stream.flush()

    def isatty(self) -> bool:
        return self.stream.isatty()

    def fileno(self) -> int:
        return self.stream.fileno()


def protect_output() -> None:
    """Make sys.stdout and sys.stderr terminal-safe; a stream the shell closed (`keytui list >&-`) goes to
    /dev/null, so the command still runs and exits with its status instead of a traceback."""
    for name in ("stdout", "stderr"):
        stream = getattr(sys, name)
        if isinstance(stream, TerminalSafeWriter):
            continue
        if stream is None or not _usable(stream):
            stream = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115 - lives as long as the process
        setattr(sys, name, TerminalSafeWriter(stream))


def _usable(stream: TextIO) -> bool:
    try:
        fd = stream.fileno()
    except (AttributeError, io.UnsupportedOperation):  # a stream with no descriptor below (a test's capture)
        return True
    except (OSError, ValueError):  # closed
        return False
    try:
        os.fstat(fd)
    except OSError:
        return False
    return True


def write_control(text: str, stream: TextIO) -> None:
    """Write a terminal control keytui means (not untrusted text) past the terminal-safe filter."""
    getattr(stream, "control", stream.write)(text)
    stream.flush()
