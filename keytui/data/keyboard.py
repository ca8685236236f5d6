"""The keyboard the keys come from: layouts (qwerty, qwertz, azerty, dvorak, colemak), where each character's key
sits, which hand and finger type it, and whether it needs shift (or AltGr).

Every layout shares one physical board (a staggered 60% board: number row, top row, home row, bottom row and the space
bar); ANSI layouts have 13 keys on the top row (the last is `\\`), ISO layouts have a 12th home-row key and an extra
key left of the bottom row. Positions are in key widths: the number row's first key is at x = 0, rows are staggered
as on a real keyboard, and y counts rows from the number row (0) to the space bar (4). Fingers follow the usual
touch-typing chart and belong to the physical key, so every layout types `a`'s key with the left little finger.

A capital and its lower-case letter, or `!` and `1` on qwerty, are one key cap pressed with and without shift. The
models use this to share what they learn about a key between its two characters; the heatmap uses it to shade the
cap. Nothing here imports Textual or torch.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING

from keytui.errors import KeytuiError

if TYPE_CHECKING:  # numpy is imported where features are made, so the CLI can list layouts instantly
    import numpy as np

DEFAULT_LAYOUT = "qwerty"
SPACE = " "
HOME_ROW = 2
SPACE_ROW = 4
FINGERS = ("pinky", "ring", "middle", "index", "thumb")
HANDS = ("left", "right")
# The space bar: its centre, and how wide it is (it spans roughly the c to m keys' columns).
SPACE_X = 7.0
SPACE_WIDTH = 6.0
# Row offsets of the physical board, in key widths (ANSI/ISO stagger).
ROW_X = (0.0, 1.5, 1.75, 2.25)
ISO_EXTRA_X = 1.25  # the ISO key left of the bottom row (`<` on qwertz/azerty)
# Finger of each physical key, by row and column (L/R hand, p/r/m/i finger), from the touch-typing chart.
_FINGER_CHART = (
    "Lp Lp Lr Lm Li Li Ri Ri Rm Rr Rp Rp Rp",  # number row: ` 1 2 3 4 5 6 7 8 9 0 - =
    "Lp Lr Lm Li Li Ri Ri Rm Rr Rp Rp Rp Rp",  # top row: q w e r t y u i o p [ ] \
    "Lp Lr Lm Li Li Ri Ri Rm Rr Rp Rp Rp",  # home row: a s d f g h j k l ; ' (ISO: #)
    "Lp Lr Lm Li Li Ri Ri Rm Rr Rp",  # bottom row: z x c v b n m , . /
)
_FINGER_CODES = {"p": "pinky", "r": "ring", "m": "middle", "i": "index"}
_NONE = "\x00"  # no character on this level of this key

# Legacy qwerty tables (the API the models and older code use).
ROWS = ["1234567890-=", "qwertyuiop[]", "asdfghjkl;'", "zxcvbnm,./"]
ROW_OFFSETS = [0.0, 0.5, 0.75, 1.25]
SHIFTED = dict(zip("1234567890-=[];',./`\\", '!@#$%^&*()_+{}:"<>?~|', strict=True))
UNSHIFT = {shifted: plain for plain, shifted in SHIFTED.items()}


@dataclass(frozen=True)
class Key:
    """One character of a layout and the physical key it is typed on."""

    character: str
    cap: str  # the character the key types without modifiers (its key cap)
    row: int  # 0 number row, 1 top, 2 home, 3 bottom, 4 space bar
    column: int  # index of the key in its row, from the left
    x: float  # key widths from the number row's first key, with the row stagger
    y: float
    hand: str  # "left", "right", or "both" for the space bar
    finger: str  # one of FINGERS
    shift: bool = False
    altgr: bool = False
    width: float = 1.0


# Feature vector of a key, stable across versions: append new features at the end only.
FEATURE_NAMES = (
    "x",  # 0..1 across the board
    "y",  # 0..1 from the number row to the space bar
    "hand_left",
    "hand_right",
    *(f"finger_{f}" for f in FINGERS),
    *(f"row_{r}" for r in ("number", "top", "home", "bottom", "space")),
    "shift",
    "altgr",
    "off_board",  # a character this layout has no key for (é on qwerty, an emoji)
)
FEATURE_SIZE = len(FEATURE_NAMES)

# How one key stands to the key typed before it (Layout.relation), for models and experts that generalise over keys.
KEY_RELATIONS = (
    "same",  # the same character again
    "twin",  # the same key cap, other shift level (a -> A)
    "neighbour",  # a key next to the last one (within 1.3 key widths)
    "same_finger",  # further away, typed by the same finger
    "same_hand",  # further away on the same hand
    "mirror",  # the other hand's key of the same finger on the same row (f -> j)
    "other_hand_row",  # the other hand, same row
    "other_hand",  # the other hand, another row
    "to_space",
    "from_space",
    "off_board",  # a character the layout has no key for, on either side
)
_RELATION = {name: i for i, name in enumerate(KEY_RELATIONS)}
_BOARD_WIDTH = 14.0


class Layout:
    """A keyboard layout: for each character it can type, the physical key, hand, finger and modifiers."""

    def __init__(
        self, name: str, rows: list[tuple[str, str]], *, iso: bool, altgr: dict[str, str] | None = None
    ) -> None:
        """`rows`: (plain, shifted) characters of the four rows, left to right; for ISO boards the bottom row starts
        with the extra key. `altgr`: plain key cap -> the character AltGr adds to that key."""
        self.name = name
        self.iso = iso
        self.keys: dict[str, Key] = {}
        self.rows: list[list[Key]] = []  # the key caps, row by row (what the heatmap draws)
        altgr = altgr or {}
        levels: list[Key] = []  # every character, plain ones first so a character typed two ways keeps the easy way
        for row, (plain, shifted) in enumerate(rows):
            if len(plain) != len(shifted):
                raise ValueError(f"{name}: row {row} has {len(plain)} plain and {len(shifted)} shifted characters")
            caps = []
            for column, (cap, upper) in enumerate(zip(plain, shifted, strict=True)):
                x, hand, finger = _physical(row, column, iso)
                key = Key(cap, cap, row, column, x, float(row), hand, finger)
                caps.append(key)
                levels.append(key)
                if upper != _NONE:
                    levels.append(Key(upper, cap, row, column, x, float(row), hand, finger, shift=True))
                if cap in altgr:
                    levels.append(Key(altgr[cap], cap, row, column, x, float(row), hand, finger, altgr=True))
            self.rows.append(caps)
        space = Key(SPACE, SPACE, SPACE_ROW, 0, SPACE_X, float(SPACE_ROW), "both", "thumb", width=SPACE_WIDTH)
        self.rows.append([space])
        levels.append(space)
        for key in sorted(levels, key=lambda k: k.shift + 2 * k.altgr):
            self.keys.setdefault(key.character, key)
        self.characters: list[str] = list(self.keys)  # every character this layout types, in a stable order
        self.caps: list[str] = [key.cap for row in self.rows for key in row]

    def __repr__(self) -> str:
        return f"Layout({self.name!r})"

    def key(self, character: str) -> Key | None:
        return self.keys.get(character)

    def key_cap(self, character: str) -> str:
        """The key cap a character is typed on; a character the layout lacks is its own cap (lower-cased)."""
        key = self.keys.get(character)
        if key is not None:
            return key.cap
        return character.lower() if len(character) == 1 else character

    def is_shifted(self, character: str) -> bool:
        key = self.keys.get(character)
        if key is not None:
            return key.shift
        return len(character) == 1 and character != character.lower()

    def position(self, character: str) -> tuple[float, float] | None:
        key = self.keys.get(character)
        return (key.x, key.y) if key is not None else None

    def distance(self, a: str, b: str) -> float:
        """Distance in key widths between the keys of two characters (0 for one key; inf if either is off the
        board). The space bar is wide: the distance is to its nearest point."""
        ka, kb = self.keys.get(a), self.keys.get(b)
        if ka is None or kb is None:
            return math.inf
        dx = max(0.0, abs(ka.x - kb.x) - (ka.width - 1) / 2 - (kb.width - 1) / 2)
        return math.hypot(dx, ka.y - kb.y)

    def neighbours(self, character: str, radius: float = 1.3) -> list[str]:
        """Key caps next to the key of `character` (within `radius` key widths), not counting its own cap."""
        return list(_neighbours(self.name, character, radius))

    def same_hand(self, a: str, b: str) -> bool:
        """Both typed by the same hand (the space bar, typed by a thumb of either hand, is on neither)."""
        ka, kb = self.keys.get(a), self.keys.get(b)
        return ka is not None and kb is not None and ka.hand == kb.hand and ka.hand in HANDS

    def other_hand(self, a: str, b: str) -> bool:
        ka, kb = self.keys.get(a), self.keys.get(b)
        return ka is not None and kb is not None and {ka.hand, kb.hand} == set(HANDS)

    def relation(self, a: str, b: str) -> int:
        """How typing `b` right after `a` moves on the board: an index into KEY_RELATIONS."""
        if a == b:
            return _RELATION["same"]
        ka, kb = self.keys.get(a), self.keys.get(b)
        if ka is None or kb is None:
            return _RELATION["off_board"]
        if b == SPACE:
            return _RELATION["to_space"]
        if a == SPACE:
            return _RELATION["from_space"]
        if ka.cap == kb.cap:
            return _RELATION["twin"]
        if self.distance(a, b) <= 1.3:
            return _RELATION["neighbour"]
        if ka.hand == kb.hand:
            return _RELATION["same_finger"] if ka.finger == kb.finger else _RELATION["same_hand"]
        if ka.row == kb.row:
            return _RELATION["mirror"] if ka.finger == kb.finger else _RELATION["other_hand_row"]
        return _RELATION["other_hand"]

    def relation_matrix(self, characters: list[str]) -> np.ndarray:
        """(V, V) int64: entry [i, j] is the relation of typing characters[j] right after characters[i]."""
        import numpy as np

        return np.array([[self.relation(a, b) for b in characters] for a in characters], dtype=np.int64).reshape(
            len(characters), len(characters)
        )

    def features(self, character: str) -> np.ndarray:
        """A stable feature vector for a character (FEATURE_NAMES says what each entry means)."""
        return _features(self.name, character).copy()

    def feature_matrix(self, characters: list[str]) -> np.ndarray:
        """(len(characters), FEATURE_SIZE) features, e.g. for a vocabulary."""
        import numpy as np

        if not characters:
            return np.zeros((0, FEATURE_SIZE), dtype=np.float32)
        return np.stack([_features(self.name, c) for c in characters])


def _physical(row: int, column: int, iso: bool) -> tuple[float, str, str]:
    """x position, hand and finger of a physical key."""
    if iso and row == 3:
        if column == 0:
            return ISO_EXTRA_X, "left", "pinky"
        column -= 1
    chart = _FINGER_CHART[row].split()
    code = chart[min(column, len(chart) - 1)]
    return ROW_X[row] + column, "left" if code[0] == "L" else "right", _FINGER_CODES[code[1]]


@cache
def _neighbours(layout: str, character: str, radius: float) -> tuple[str, ...]:
    board = get_layout(layout)
    own = board.key_cap(character)
    if character not in board.keys:
        return ()
    return tuple(cap for cap in board.caps if cap != own and board.distance(character, cap) <= radius)


@cache
def _features(layout: str, character: str) -> np.ndarray:
    import numpy as np

    board = get_layout(layout)
    vector = np.zeros(FEATURE_SIZE, dtype=np.float32)
    key = board.keys.get(character)
    if key is None:
        vector[FEATURE_NAMES.index("off_board")] = 1.0
        vector[FEATURE_NAMES.index("shift")] = float(board.is_shifted(character))
        return vector
    vector[0] = key.x / _BOARD_WIDTH
    vector[1] = key.y / SPACE_ROW
    if key.hand in HANDS:
        vector[2 + HANDS.index(key.hand)] = 1.0
    vector[4 + FINGERS.index(key.finger)] = 1.0
    vector[4 + len(FINGERS) + key.row] = 1.0
    vector[FEATURE_NAMES.index("shift")] = float(key.shift)
    vector[FEATURE_NAMES.index("altgr")] = float(key.altgr)
    return vector


_LAYOUT_ROWS: dict[str, tuple[bool, list[tuple[str, str]], dict[str, str]]] = {
    "qwerty": (
        False,
        [
            ("`1234567890-=", "~!@#$%^&*()_+"),
            ("qwertyuiop[]\\", "QWERTYUIOP{}|"),
            ("asdfghjkl;'", 'ASDFGHJKL:"'),
            ("zxcvbnm,./", "ZXCVBNM<>?"),
        ],
        {},
    ),
    "qwertz": (  # German
        True,
        [
            ("^1234567890ß´", '°!"§$%&/()=?`'),
            ("qwertzuiopü+", "QWERTZUIOPÜ*"),
            ("asdfghjklöä#", "ASDFGHJKLÖÄ'"),
            ("<yxcvbnm,.-", ">YXCVBNM;:_"),
        ],
        {"q": "@", "e": "€", "7": "{", "8": "[", "9": "]", "0": "}", "ß": "\\", "+": "~", "<": "|", "m": "µ"},
    ),
    "azerty": (  # French
        True,
        [
            ("²&é\"'(-è_çà)=", f"{_NONE}1234567890°+"),
            ("azertyuiop^$", "AZERTYUIOP¨£"),
            ("qsdfghjklmù*", "QSDFGHJKLM%µ"),
            ("<wxcvbn,;:!", ">WXCVBN?./§"),
        ],
        {
            "é": "~",
            '"': "#",
            "'": "{",
            "(": "[",
            "-": "|",
            "è": "`",
            "_": "\\",
            "ç": "^",
            "à": "@",
            ")": "]",
            "=": "}",
            "e": "€",
            "$": "¤",
        },
    ),
    "dvorak": (
        False,
        [
            ("`1234567890[]", "~!@#$%^&*(){}"),
            ("',.pyfgcrl/=\\", '"<>PYFGCRL?+|'),
            ("aoeuidhtns-", "AOEUIDHTNS_"),
            (";qjkxbmwvz", ":QJKXBMWVZ"),
        ],
        {},
    ),
    "colemak": (
        False,
        [
            ("`1234567890-=", "~!@#$%^&*()_+"),
            ("qwfpgjluy;[]\\", "QWFPGJLUY:{}|"),
            ("arstdhneio'", 'ARSTDHNEIO"'),
            ("zxcvbkm,./", "ZXCVBKM<>?"),
        ],
        {},
    ),
}
LAYOUTS: tuple[str, ...] = tuple(_LAYOUT_ROWS)


@cache
def get_layout(name: str = DEFAULT_LAYOUT) -> Layout:
    """The layout called `name`, or a one-line error naming the ones there are."""
    if name not in _LAYOUT_ROWS:
        raise KeytuiError(f"unknown keyboard layout {name!r}; choose one of {', '.join(LAYOUTS)}")
    iso, rows, altgr = _LAYOUT_ROWS[name]
    return Layout(name, rows, iso=iso, altgr=altgr)


def layout_or_default(name: object) -> str:
    """A layout name read from metadata: a known name, or qwerty for metadata from before layouts existed."""
    return name if isinstance(name, str) and name in _LAYOUT_ROWS else DEFAULT_LAYOUT


def key_positions(layout: str = DEFAULT_LAYOUT) -> dict[str, tuple[float, float]]:
    """Key cap -> (x, y) in key widths, staggered like a real keyboard (qwerty: the legacy main block only,
    measured from the `1` key, as the simulator's original personas expect)."""
    if layout == DEFAULT_LAYOUT:
        positions = {}
        for y, (row, offset) in enumerate(zip(ROWS, ROW_OFFSETS, strict=True)):
            for x, key in enumerate(row):
                positions[key] = (x + offset, float(y))
        return positions
    board = get_layout(layout)
    return {key.cap: (key.x, key.y) for row in board.rows[:SPACE_ROW] for key in row}


def key_cap(character: str, layout: str = DEFAULT_LAYOUT) -> str:
    """The key cap a character is typed on (shifted symbols and capitals count for their key)."""
    if layout == DEFAULT_LAYOUT:
        return UNSHIFT.get(character, character.lower() if len(character) == 1 else character)
    return get_layout(layout).key_cap(character)


def is_shifted(character: str, layout: str = DEFAULT_LAYOUT) -> bool:
    if layout == DEFAULT_LAYOUT:
        return character in UNSHIFT or (len(character) == 1 and character != character.lower())
    return get_layout(layout).is_shifted(character)
