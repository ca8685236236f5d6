"""What gave you away, on one screen: the habits the guesses used, in plain words, and a keyboard of hits."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Header, Static

from keytui.data.history import History
from keytui.data.keyboard import DEFAULT_LAYOUT
from keytui.errors import KeytuiError
from keytui.game.insight import Insight, insight
from keytui.tui.widgets.keyboard import KeyboardHeatmap

MAX_CORPUS_KEYS = 50_000  # the newest keys of a long corpus: enough to tell habits, quick to count
LAST_GAMES = 5


def games_insight(history: History, layout: str) -> Insight | None:
    """From the last games whose keys were kept, with the machine's own guesses; None when there are none."""
    games = [g for g in history.read().games() if g.typed and g.hits and g.mode not in ("random", "few-key")]
    if not games:
        return None
    chosen = games[-LAST_GAMES:]
    keys = "".join(g.typed for g in chosen)
    hits = [h == "1" for g in chosen for h in g.hits]
    plural = "s" if len(chosen) > 1 else ""
    return insight(keys, hits, source=f"your last {len(chosen)} game{plural}", layout=layout)


def corpus_insight(corpus: Path, layout: str) -> Insight:
    from keytui.data.corpus import read_corpus

    text = read_corpus(corpus)
    newest = f" (its newest {MAX_CORPUS_KEYS:,} keys)" if len(text) > MAX_CORPUS_KEYS else ""
    source = f"corpus {corpus.stem}{newest}"
    return insight(text[-MAX_CORPUS_KEYS:], source=source, layout=layout)


class InsightScreen(Screen):
    """From your last games when some were kept, else from the corpus; F2 switches between the two."""

    DEFAULT_CSS = """
    InsightScreen #insight { padding: 1 2; }
    InsightScreen #insight-text { height: auto; margin-bottom: 1; }
    InsightScreen #insight-map-label { margin-bottom: 1; }
    """
    BINDINGS = [Binding("f2", "switch_source", "Games / corpus"), Binding("escape", "app.pop_screen", "Back")]

    def __init__(self, corpus: Path | None, layout: str = DEFAULT_LAYOUT) -> None:
        super().__init__()
        self.corpus = corpus
        self.keyboard_layout = layout
        self.from_games = True
        self.found: Insight | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(id="insight"):
            yield Static(id="insight-text")
            yield Static("How often it guessed each key you pressed (hotter: more often)", id="insight-map-label")
            yield KeyboardHeatmap(layout=self.keyboard_layout, id="insight-map")
        yield Footer()

    def on_mount(self) -> None:
        self.show()

    def action_switch_source(self) -> None:
        self.from_games = not self.from_games
        self.show()

    def show(self) -> None:
        found = None
        note = ""
        try:
            if self.from_games:
                found = games_insight(History.of_workspace(self.app.workspace.root), self.keyboard_layout)
                if found is None:
                    note = "No game with its keys kept yet: here is your corpus.\n\n"
            if found is None and self.corpus is not None:
                found = corpus_insight(self.corpus, self.keyboard_layout)
        except KeytuiError as exc:
            note = f"{exc}\n"
        self.found = found
        lines = Text(note, style="dim")
        if found is not None:
            for index, line in enumerate(found.lines()):
                lines.append(line + "\n", style="bold" if index == 0 else "")
        elif not note:
            lines.append("Nothing to look at yet: record or play first.")
        self.query_one("#insight-text", Static).update(lines)
        guessed: Counter[str] = Counter({cap: score.guessed for cap, score in (found.heatmap if found else {}).items()})
        self.query_one("#insight-map", KeyboardHeatmap).set_counts(guessed)
