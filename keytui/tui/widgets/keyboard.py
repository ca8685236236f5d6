"""A keyboard heatmap: where the hands land on the player's layout, shaded by how often each key was pressed."""

from __future__ import annotations

from collections import Counter

from rich.color import Color
from rich.style import Style
from rich.text import Text
from textual.widget import Widget

from keytui.data.keyboard import DEFAULT_LAYOUT, SPACE, SPACE_ROW, get_layout

CELLS_PER_KEY = 4  # " k " and a gap
SPACE_BAR_CELLS = 24


class KeyboardHeatmap(Widget):
    DEFAULT_CSS = """
    KeyboardHeatmap { height: 6; width: auto; }
    """

    def __init__(self, *, layout: str = DEFAULT_LAYOUT, id: str | None = None) -> None:
        super().__init__(id=id)
        self.board = get_layout(layout)
        self.caps: Counter[str] = Counter()

    def set_counts(self, counts: Counter[str]) -> None:
        caps: Counter[str] = Counter()
        for character, count in counts.items():
            caps[self.board.key_cap(character)] += count
        self.caps = caps
        self.refresh()

    def _style(self, key: str, top: int) -> Style:
        share = self.caps.get(key, 0) / top if top else 0.0
        if share == 0:
            return Style(color="grey50")
        # from a cool dim blue to a hot red, readable on both dark and light themes (text colour follows)
        red, green, blue = int(40 + 215 * share), int(60 + 60 * (1 - share)), int(140 * (1 - share))
        return Style(bgcolor=Color.from_rgb(red, green, blue), color="white" if share > 0.15 else "grey85", bold=True)

    def _indent(self, x: float) -> int:
        return round(x * CELLS_PER_KEY)

    def get_content_width(self, container, viewport) -> int:
        rows = self.board.rows[:SPACE_ROW]
        return max(self._indent(row[0].x) + CELLS_PER_KEY * len(row) for row in rows)

    def render(self) -> Text:
        top = max(self.caps.values(), default=0)
        text = Text()
        for row in self.board.rows[:SPACE_ROW]:
            text.append(" " * self._indent(row[0].x))
            for key in row:
                text.append(f" {key.cap} ", style=self._style(key.cap, top))
                text.append(" ")
            text.append("\n")
        space = self.board.rows[SPACE_ROW][0]
        text.append(" " * self._indent(space.x - SPACE_BAR_CELLS / CELLS_PER_KEY / 2 + 0.5))
        text.append(" space ".center(SPACE_BAR_CELLS), style=self._style(SPACE, top))
        return text
