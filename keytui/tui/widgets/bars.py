"""Vertical bars drawn with eighth-block characters, shared by the frequency chart and the hit-rate trace."""

from __future__ import annotations

from collections.abc import Sequence

BLOCKS = " ▁▂▃▄▅▆▇█"


def bar_rows(values: Sequence[float], height: int, top: float) -> list[str]:
    """Rows of block characters, top row first, one column per value; `top` fills a column."""
    rows = []
    for level in range(height, 0, -1):
        row = ""
        for value in values:
            filled = value / top * height - (level - 1)
            row += BLOCKS[max(0, min(8, round(filled * 8)))]
        rows.append(row)
    return rows
