"""A players file: one player's presses per line, in order, for `keytui eval --players`.

Read line by line, never whole, so a file of many players or one line of a million presses costs one line of
memory. Characters that are not among the game's keys (spaces, punctuation, a stray letter) are skipped and counted;
lines left empty are not players. Without `--keys`, the keys are the file's distinct characters (spaces aside), in
the order they first appear, and there must be 2 to 12 of them.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from keytui.data.files import open_regular_file
from keytui.errors import KeytuiError
from keytui.oracle.keyset import MAX_KEYS, MIN_KEYS, parse_keys


@dataclass(frozen=True)
class PlayersFile:
    path: Path
    keys: str
    players: int  # lines with at least one press of the keys
    presses: int  # presses of the keys, every player together
    ignored: int  # characters skipped: not among the keys (line ends aside)


def _lines(path: Path) -> Iterator[str]:
    """The file's lines without their line ends, or a one-line error for a missing, binary or non-UTF-8 file."""
    if not path.exists():
        raise KeytuiError(f"no such players file: {path}")
    # the shared check refuses a FIFO or a device (which would block the read forever) before a line is read
    fd = open_regular_file(path, what="players file")
    with open(fd, encoding="utf-8", newline="") as handle:
        try:
            for number, line in enumerate(handle, start=1):
                if "\x00" in line:
                    raise KeytuiError(f"{path} looks binary (NUL byte on line {number}); a players file is text")
                yield line.rstrip("\r\n").removeprefix("\ufeff") if number == 1 else line.rstrip("\r\n")
        except UnicodeDecodeError:  # decoded a block at a time: the line it is on is not known
            raise KeytuiError(f"{path} is not UTF-8 text; a players file is one player's presses per line") from None


def scan_players(path: Path, keys: str | None = None) -> PlayersFile:
    """First pass: the keys (given or found), how many players and presses, how many characters are skipped."""
    if keys is not None:
        keys = parse_keys(keys)
    found: dict[str, None] = {}
    players = presses = ignored = 0
    for line in _lines(path):
        if keys is None:
            for character in line:
                if not character.isspace() and character not in found:
                    found[character] = None
                    if len(found) > MAX_KEYS:
                        raise KeytuiError(
                            f"{path} holds more than {MAX_KEYS} distinct keys; choose 2 to {MAX_KEYS} with --keys"
                        )
            kept = sum(1 for character in line if not character.isspace())
        else:
            kept = sum(line.count(key) for key in keys)
        ignored += len(line) - kept
        presses += kept
        players += kept > 0
    if keys is None:
        if len(found) < MIN_KEYS:
            only = f" ({next(iter(found))!r})" if found else ""
            raise KeytuiError(
                f"{path} presses {len(found)} distinct key{'' if len(found) == 1 else 's'}{only}; "
                f"the game needs {MIN_KEYS} to {MAX_KEYS} (name them with --keys, e.g. --keys fd)"
            )
        keys = parse_keys("".join(found))
    if players == 0:
        raise KeytuiError(f"{path} has no presses of the keys {keys!r}: nothing to play")
    return PlayersFile(path, keys, players, presses, ignored)


def iter_players(source: PlayersFile) -> Iterator[str]:
    """Second pass: each player's presses of the keys, in order (lines left empty are skipped)."""
    keys = set(source.keys)
    for line in _lines(source.path):
        presses = "".join(character for character in line if character in keys)
        if presses:
            yield presses
