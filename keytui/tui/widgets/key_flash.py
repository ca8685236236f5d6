"""A big, unmistakable verdict on the last key: a coloured block that says HIT or miss, and flashes when it lands."""

from __future__ import annotations

from rich.text import Text
from textual.widget import Widget

FLASH_SECONDS = 0.25


class KeyFlash(Widget):
    """Three rows tall: the key, the machine's guess and the verdict, on green (hit), amber (top-3) or red (miss).

    Each new key lights it brightly for a moment (`-flash`), so even a run of hits reads as separate hits.
    """

    DEFAULT_CSS = """
    KeyFlash { height: 3; width: 1fr; content-align: center middle; text-style: bold;
               background: $panel; color: $text-muted; }
    KeyFlash.-hit { background: $success-darken-2; color: $text; }
    KeyFlash.-top3 { background: $warning-darken-3; color: $text; }
    KeyFlash.-miss { background: $error-darken-3; color: $text; }
    KeyFlash.-hit.-flash { background: $success; }
    KeyFlash.-top3.-flash { background: $warning; }
    KeyFlash.-miss.-flash { background: $error; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.message = Text("press any key to start")
        self.outcome: str | None = None  # "hit", "top3" or "miss"
        self._timer = None

    def show(self, outcome: str, message: Text, *, flash: bool = True) -> None:
        self.outcome = outcome
        self.message = message
        self.set_class(outcome == "hit", "-hit")
        self.set_class(outcome == "top3", "-top3")
        self.set_class(outcome == "miss", "-miss")
        if flash:
            self.add_class("-flash")
            if self._timer is not None:
                self._timer.stop()
            self._timer = self.set_timer(FLASH_SECONDS, lambda: self.remove_class("-flash"))
        self.refresh()

    def reset(self, message: str) -> None:
        self.outcome = None
        self.message = Text(message)
        self.remove_class("-hit", "-top3", "-miss", "-flash")
        self.refresh()

    def render(self) -> Text:
        return self.message
