"""A rolling hit-rate trace on a fixed scale, with the chance level marked.

Textual's Sparkline stretches its data between the data's own minimum and maximum, so a flat 5% looks the same as a
flat 60%. A hit rate needs an honest axis: this one always starts at 0 and tops out at the next 25% step above the
highest value shown.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from rich.text import Text
from textual.widget import Widget

from keytui.tui.widgets.bars import bar_rows


def scale_top(rates: Sequence[float]) -> float:
    """The axis ceiling: 25%, 50%, 75% or 100%, whichever first holds every value."""
    highest = max(rates, default=0.0)
    return min(1.0, max(0.25, math.ceil(highest * 4 - 1e-9) / 4))


class HitRateTrace(Widget):
    DEFAULT_CSS = """
    HitRateTrace { height: 3; color: $accent; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.rates: list[float] = []
        self.chance = 0.0

    def update_rates(self, rates: Sequence[float], chance: float) -> None:
        self.rates = list(rates)
        self.chance = chance
        self.refresh()

    def render(self) -> Text:
        label_width = 5
        width = max(1, self.size.width - label_width)
        height = max(1, self.size.height)
        shown = self.rates[-width:]
        if not shown:
            return Text("no keys yet", style="dim")
        top = scale_top(shown)
        rows = bar_rows(shown, height, top)
        chance_row = height - 1 - min(height - 1, int(self.chance / top * height))
        text = Text()
        for index, row in enumerate(rows):
            label = f"{top:>4.0%} " if index == 0 else ("  0% " if index == height - 1 else " " * label_width)
            text.append(label, style="dim")
            if index == chance_row:
                # Chance level: empty cells on its row become a dotted line.
                for cell in row:
                    text.append(cell if cell != " " else "┄", style=None if cell != " " else "dim")
            else:
                text.append(row)
            if index < height - 1:
                text.append("\n")
        return text
