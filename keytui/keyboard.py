"""The keyboard the keys come from: a US QWERTY layout, and which key cap each character is typed on.

A capital and its lower-case letter, or `!` and `1`, are one key cap pressed with and without shift. The models use
this to share what they learn about a key between its two characters; the heatmap uses it to shade the cap.
"""

from __future__ import annotations

ROWS = ["1234567890-=", "qwertyuiop[]", "asdfghjkl;'", "zxcvbnm,./"]
ROW_OFFSETS = [0.0, 0.5, 0.75, 1.25]
SHIFTED = dict(zip("1234567890-=[];',./`\\", '!@#$%^&*()_+{}:"<>?~|', strict=True))
UNSHIFT = {shifted: plain for plain, shifted in SHIFTED.items()}


def key_positions() -> dict[str, tuple[float, float]]:
    """Key -> (x, y) in key widths, staggered like a real keyboard."""
    positions = {}
    for y, (row, offset) in enumerate(zip(ROWS, ROW_OFFSETS, strict=True)):
        for x, key in enumerate(row):
            positions[key] = (x + offset, float(y))
    return positions


def key_cap(character: str) -> str:
    """The key cap a character is typed on (shifted symbols and capitals count for their key)."""
    return UNSHIFT.get(character, character.lower() if len(character) == 1 else character)


def is_shifted(character: str) -> bool:
    return character in UNSHIFT or (len(character) == 1 and character != character.lower())
