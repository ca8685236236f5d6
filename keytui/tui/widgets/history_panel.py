"""The home screen's look back: the last games, and the hit rate over games ("are you getting less predictable?")."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Static

from keytui.data.history import GameRecord, HistoryRead
from keytui.tui.widgets.hit_rate import HitRateTrace

SHOWN_GAMES = 3


def game_line(record: GameRecord) -> Text:
    """One game in a line: when, what, how often it was read, against chance."""
    when = record.date[5:16].replace("T", " ")
    mark = ("reads you", "bold red") if record.predictable else ("chance", "bold green")
    if record.mode == "random":
        mark = ("control", "dim")
    line = Text(f"{when}  {record.mode:7.7s} {record.keys:5d} keys  ")
    line.append(f"{record.hit_rate:4.0%}", style="bold")
    line.append(f" vs {record.chance:3.0%}  ")
    line.append(*mark)
    return line


class HistoryPanel(Vertical):
    DEFAULT_CSS = """
    HistoryPanel { height: auto; }
    HistoryPanel #history-games { height: auto; }
    HistoryPanel #history-plot { height: 3; }
    HistoryPanel.-compact #history-plot, HistoryPanel.-compact #history-plot-label { display: none; }
    HistoryPanel.-no-plot #history-plot, HistoryPanel.-no-plot #history-plot-label { display: none; }
    """

    def compose(self) -> ComposeResult:
        yield Static(id="history-games")
        yield Static("hit rate over your games (┄ chance)", classes="dim", id="history-plot-label")
        yield HitRateTrace(id="history-plot")

    def show(self, read: HistoryRead) -> None:
        games = [g for g in read.games() if g.mode != "random"]
        lines = Text()
        if not games:
            lines.append("No games yet: play one and it will be kept here.", style="dim")
        for record in games[-SHOWN_GAMES:][::-1]:
            if lines:
                lines.append("\n")
            lines.append_text(game_line(record))
        if read.skipped:
            lines.append(f"\n({read.skipped} unreadable history lines skipped)", style="dim")
        self.query_one("#history-games", Static).update(lines)
        plot = self.query_one("#history-plot", HitRateTrace)
        chances = sorted(g.chance for g in games)
        plot.update_rates([g.hit_rate for g in games], chances[len(chances) // 2] if chances else 0.0)
        self.set_class(len(games) < 2, "-no-plot")
