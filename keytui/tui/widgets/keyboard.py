"""A keyboard heatmap: where the hands land, shaded by how often each key was pressed."""

from __future__ import annotations

from collections import Counter

from rich.color import Color
from rich.style import Style
from rich.text import Text
from textual.widget import Widget

from keytui.keyboard import ROWS, key_cap

ROW_INDENT = [0, 2, 3, 5]


class KeyboardHeatmap(Widget):
    DEFAULT_CSS = """
    KeyboardHeatmap { height: 6; width: auto; min-width: 52; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.caps: Counter[str] = Counter()

    def set_counts(self, counts: Counter[str]) -> None:
        caps: Counter[str] = Counter()
        for character, count in counts.items():
            caps[key_cap(character)] += count
        self.caps = caps
        self.refresh()

    def _style(self, key: str, top: int) -> Style:
        share = self.caps.get(key, 0) / top if top else 0.0
        if share == 0:
            return Style(color="grey50")
        # from a cool dim blue to a hot red, readable on both dark and light themes (text colour follows)
        red, green, blue = int(40 + 215 * share), int(60 + 60 * (1 - share)), int(140 * (1 - share))
        return Style(bgcolor=Color.from_rgb(red, green, blue), color="white" if share > 0.15 else "grey85", bold=True)

    def render(self) -> Text:
        top = max(self.caps.values(), default=0)
        text = Text()
        for indent, row in zip(ROW_INDENT, ROWS, strict=True):
            text.append(" " * indent)
            for key in row:
                text.append(f" {key} ", style=self._style(key, top))
                text.append(" ")
            text.append("\n")
        text.append(" " * 12)
        text.append(" space ".center(24), style=self._style(" ", top))
        return text
