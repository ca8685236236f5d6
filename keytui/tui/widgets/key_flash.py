"""A big, unmistakable verdict on the last key: a coloured band that says HIT or miss, and flashes when it lands."""

from __future__ import annotations

from textual.content import Content
from textual.widgets import Static

FLASH_SECONDS = 0.25
OUTCOMES = ("hit", "top3", "miss")


class KeyFlash(Static):
    """Three rows tall (one of text between two of padding), on green (hit), amber (top-3) or red (miss).

    Each new key lights it brightly for a moment (`-flash`), so that even a run of hits reads as separate hits; with
    the app's animations off (TEXTUAL_ANIMATIONS=none) it only changes colour.
    """

    DEFAULT_CSS = """
    KeyFlash { height: auto; width: 1fr; padding: 1 2; content-align: center middle; text-style: bold;
               margin-bottom: 1; background: $panel; color: $text-muted; }
    KeyFlash.-hit { background: $success-darken-2; color: $text; }
    KeyFlash.-top3 { background: $warning-darken-3; color: $text; }
    KeyFlash.-miss { background: $error-darken-3; color: $text; }
    KeyFlash.-hit.-flash { background: $success; }
    KeyFlash.-top3.-flash { background: $warning; }
    KeyFlash.-miss.-flash { background: $error; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.outcome: str | None = None
        self._timer = None

    def show(self, outcome: str, message: Content, *, layout: bool = True) -> None:
        """A new key landed: `outcome` is "hit", "top3" or "miss". `layout`: False when the message takes the room
        the last one took (the screen need not be laid out again)."""
        self.outcome = outcome
        for name in OUTCOMES:
            self.set_class(outcome == name, f"-{name}")
        self.update(message, layout=layout)
        if self.app.animation_level == "none":
            return
        self.add_class("-flash")
        if self._timer is not None:
            self._timer.stop()
        self._timer = self.set_timer(FLASH_SECONDS, lambda: self.remove_class("-flash"))

    def clear(self, message: str, *, layout: bool = True) -> None:
        self.outcome = None
        self.remove_class(*(f"-{name}" for name in OUTCOMES), "-flash")
        self.update(message, layout=layout)
