"""The per-key frequency chart, as the reference notebook plots it: sorted, or middle-aligned."""

from __future__ import annotations

from collections import Counter

from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget

from keytui.data.stats import middle_aligned
from keytui.tui.widgets.bars import bar_rows


class FrequencyChart(Widget):
    """Vertical bars, one column per key, labelled underneath. Shows as many keys as fit, most frequent first."""

    DEFAULT_CSS = """
    FrequencyChart { height: 8; color: $accent; }
    """
    aligned: reactive[bool] = reactive(True)

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.counts: Counter[str] = Counter()

    def set_counts(self, counts: Counter[str]) -> None:
        self.counts = counts
        self.refresh()

    def visible_bars(self, width: int) -> list[tuple[str, int]]:
        ordered = self.counts.most_common(max(1, width))
        if self.aligned:
            return middle_aligned(dict(ordered))
        return ordered

    def render(self) -> Text:
        height = max(1, self.size.height - 1)
        bars = self.visible_bars(self.size.width)
        if not bars:
            return Text("no keys yet", style="dim")
        rows = bar_rows([count for _, count in bars], height, max(count for _, count in bars))
        labels = "".join(key if key != " " else "␣" for key, _ in bars)
        text = Text("\n".join(rows))
        text.append("\n" + labels, style="bold")
        return text
