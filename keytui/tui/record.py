"""Record: a capture pad that writes every printable key through the crash-safe corpus writer."""

from __future__ import annotations

import time
from collections import Counter, deque
from pathlib import Path

from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.reactive import reactive
from textual.screen import Screen
from textual.widgets import Footer, Header, ProgressBar, Static

from keytui.data.corpus import CorpusWriter, read_corpus
from keytui.data.corpus_meta import check_typing_target
from keytui.data.keyboard import DEFAULT_LAYOUT
from keytui.errors import KeytuiError
from keytui.tui.keys import TypingKeys, pasted_summary
from keytui.tui.widgets.frequency import FrequencyChart
from keytui.tui.widgets.keyboard import KeyboardHeatmap

RATE_WINDOW_SECONDS = 5.0
NOT_GAME_KEYS = ("enter", "backspace", "tab", "shift+tab", "delete")


class RecordScreen(Screen):
    DEFAULT_CSS = """
    RecordScreen #record { padding: 1 2; }
    RecordScreen #goal { margin-bottom: 1; }
    RecordScreen #record-stats { height: 1; margin-bottom: 1; }
    RecordScreen #record-charts { height: 1fr; min-height: 8; }
    RecordScreen #frequency { width: 1fr; height: 100%; margin-right: 2; }
    RecordScreen #heatmap { height: 6; }
    """

    BINDINGS = [
        Binding("f2", "toggle_pause", "Pause/resume"),
        Binding("f3", "toggle_alignment", "Sorted/middle-aligned"),
        Binding("escape", "leave", "Done"),
    ]

    keys: reactive[int] = reactive(0)
    paused: reactive[bool] = reactive(False)

    def __init__(
        self,
        corpus: str,
        goal: int = 10_000,
        timestamps: bool = True,
        clock=time.monotonic,
        chart_interval: float | None = 0.2,
        layout: str = DEFAULT_LAYOUT,
    ) -> None:
        """`chart_interval`: seconds between chart redraws (None redraws on every key, for deterministic tests).
        `layout`: the keyboard layout the heatmap draws."""
        super().__init__()
        self.keyboard_layout = layout
        self.chart_interval = chart_interval
        self.corpus_path = Path(corpus)
        self.goal = goal
        self.timestamps = timestamps
        self.clock = clock
        self.counts: Counter[str] = Counter()
        self.recent: deque[str] = deque(maxlen=60)
        self.press_times: deque[float] = deque()
        self.writer: CorpusWriter | None = None
        self.session_keys = 0  # keys recorded since this screen opened
        self.told_not_game_keys = False
        self._charts_dirty = True

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="record"):
            yield Static(id="record-title", classes="title")
            yield ProgressBar(total=self.goal, show_eta=False, id="goal")
            yield Static(id="record-stats")
            yield Static(id="burst", classes="burst")
            yield Static(id="stream", classes="stream")
            with Horizontal(id="record-charts"):
                yield FrequencyChart(id="frequency")
                yield KeyboardHeatmap(layout=self.keyboard_layout, id="heatmap")
        yield Footer()

    def on_mount(self) -> None:
        self.typing = TypingKeys(self.query_one("#burst", Static), "recorded")
        existing = ""
        try:
            check_typing_target(self.corpus_path)  # typing goes to typing, never into an imported text
        except KeytuiError as exc:
            self._refuse(str(exc))
            return
        if self.corpus_path.exists() and self.corpus_path.stat().st_size:
            try:
                existing = read_corpus(self.corpus_path, notices=[])  # the writer repairs and reports a cut tail
            except KeytuiError as exc:
                self._refuse(str(exc))
                return
        try:
            self.writer = CorpusWriter(self.corpus_path, timestamps=self.timestamps)
        except KeytuiError as exc:
            self._refuse(str(exc))
            return
        self.app.last_corpus = str(self.corpus_path)  # home shows this corpus when the player comes back
        for notice in self.writer.notices:  # a half key left by a crash or a full disk was cut off
            self.notify(notice, severity="warning", timeout=8)
        if self.writer.notices:
            existing = read_corpus(self.corpus_path) if self.corpus_path.stat().st_size else ""
        self.counts.update(existing)
        self.recent.extend(existing[-60:])
        self.keys = len(existing)
        action = "Appending to" if existing else "Recording into"
        self.query_one("#record-title", Static).update(
            Content.from_markup(  # names and keys go in as $variables: plain text, never markup
                "$action [b]$name[/b]: mash keys at random. Pasting is not typing: it is refused. "
                "Enter, Backspace and Tab are not keys of the game: they are not recorded.",
                action=action,
                name=self.corpus_path.stem,
            )
        )
        if self.chart_interval is not None:  # charts redraw at a steady rate, however fast the keys come
            self.set_interval(self.chart_interval, self._refresh_charts)
        self._refresh_stats()
        self._refresh_charts()

    def _refuse(self, message: str) -> None:
        self.notify(message, severity="error", timeout=8)
        self.query_one("#record-title", Static).update(
            Content.from_markup("[b red]Cannot record:[/] $message", message=message)
        )

    def on_key(self, event: events.Key) -> None:
        character = self.typing.typed(event)
        if character is None and event.key in NOT_GAME_KEYS and not self.told_not_game_keys:
            self.told_not_game_keys = True  # once: a player who uses them out of habit learns why nothing showed
            self.notify("Enter, Backspace and Tab are not keys of the game: nothing was recorded.", timeout=4)
        if character is None or self.writer is None:
            return
        event.stop()
        event.prevent_default()
        if self.paused:
            self.notify("Paused: press F2 to resume.", timeout=2)
            return
        try:
            self.writer.write(character)  # on disk before it is shown
        except KeytuiError as exc:
            self.notify(str(exc), severity="error", timeout=10)
            self.paused = True
            return
        now = self.clock()
        self.press_times.append(now)
        self.counts[character] += 1
        self.recent.append(character)
        self.keys += 1
        self.session_keys += 1
        self._charts_dirty = True
        self._refresh_stats()
        if self.chart_interval is None:
            self._refresh_charts()

    def on_paste(self, event: events.Paste) -> None:
        event.stop()
        event.prevent_default()
        self.typing.pasted(event.text)  # one line says how many: a paste is not typing

    def keys_per_second(self) -> float:
        now = self.clock()
        while self.press_times and now - self.press_times[0] > RATE_WINDOW_SECONDS:
            self.press_times.popleft()
        if len(self.press_times) < 2:
            return 0.0
        span = max(now - self.press_times[0], 1e-3)
        return (len(self.press_times) - 1) / span

    def _refresh_stats(self) -> None:
        progress = self.query_one("#goal", ProgressBar)
        progress.update(progress=min(self.keys, self.goal))
        state = " [reverse] PAUSED [/]" if self.paused else ""
        goal_note = "goal reached!" if self.keys >= self.goal else f"{self.goal - self.keys:,} to go"
        self.query_one("#record-stats", Static).update(
            f"[b]{self.keys:,}[/b] / {self.goal:,} keys ({goal_note})   "
            f"{self.keys_per_second():4.1f} keys/s   {len(self.counts)} distinct{state}"
        )
        stream = "".join(self.recent).replace(" ", "␣")
        shown = Content.from_markup("last keys: [b]$stream[/b]", stream=stream) if stream else "last keys: —"
        self.query_one("#stream", Static).update(shown)  # `[` then `/` in markup would be a closing tag

    def _refresh_charts(self) -> None:
        self._refresh_stats()  # keys/s decays while idle
        if not self._charts_dirty:
            return
        self._charts_dirty = False
        self.query_one(FrequencyChart).set_counts(self.counts)
        self.query_one(KeyboardHeatmap).set_counts(self.counts)

    def watch_paused(self) -> None:
        if self.is_mounted:
            self._refresh_stats()

    def action_toggle_pause(self) -> None:
        self.paused = not self.paused
        if self.writer is not None:
            self.writer.sync()

    def action_toggle_alignment(self) -> None:
        chart = self.query_one(FrequencyChart)
        chart.aligned = not chart.aligned

    def action_leave(self) -> None:
        self.close_writer()
        self.app.leave_mode()

    def session_summary(self) -> str:
        name = self.corpus_path.name.removesuffix(".txt")
        if self.writer is None and not self.session_keys and not self.keys:
            return f"recorded nothing into {name}"
        dropped = pasted_summary(self.typing.pasted_keys, "recorded") if hasattr(self, "typing") else ""
        return f"recorded {self.session_keys:,} keys into {name} ({self.keys:,} keys in all){dropped}"

    def close_writer(self) -> None:
        if self.writer is not None:
            self.writer.close()
            self.writer = None

    def on_unmount(self) -> None:
        self.close_writer()
