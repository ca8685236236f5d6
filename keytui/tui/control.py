"""The control on the play screen: a random generator plays against a fresh copy of the same machine."""

from __future__ import annotations

import threading
from pathlib import Path

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Footer, Static
from textual.worker import Worker, WorkerState

from keytui.data.history import History
from keytui.errors import KeytuiError
from keytui.game.control import control_game

CONTROL_KEYS = 100


def control_report(game, player_rate: float | None) -> str:
    """The control's result in plain words (markup-free)."""
    board = game.total.model
    verdict = game.verdict()
    lines = [
        f"A random generator pressed {board.n} keys, each of the {len(game.predictor.keys)} keys the machine knows "
        "equally likely.",
        f"The machine guessed {board.hits} of them: {board.hit_rate:.1%}, where chance is {game.uniform_chance:.1%}.",
        "It cannot read a fair die: that is what chance looks like, and it does not cheat."
        if not verdict.predictable
        else f"It scored beyond chance (p={verdict.p_value:.1g}): luck, about one control in a hundred.",
    ]
    if player_rate is not None:
        lines.append(f"Against you it guesses {player_rate:.1%} so far.")
    return "\n".join(lines)


class ControlScreen(ModalScreen):
    DEFAULT_CSS = """
    ControlScreen { align: center middle; }
    ControlScreen #control { width: 80; max-width: 100%; height: auto; border: round $accent; padding: 1 2;
                             background: $panel; }
    """
    BINDINGS = [Binding("escape", "close", "Back to the game"), Binding("enter", "close", "Back", show=False)]

    def __init__(
        self,
        model: Path,
        *,
        adaptive: bool,
        player_rate: float | None,
        history: History | None,
        keys: int = CONTROL_KEYS,
    ) -> None:
        super().__init__()
        self.model_path = model
        self.adaptive = adaptive
        self.player_rate = player_rate
        self.history_store = history
        self.keys = keys
        self.cancel = threading.Event()
        self.game = None

    def compose(self) -> ComposeResult:
        with Vertical(id="control"):
            yield Static("[b]The control[/b]", classes="title")
            playing = f"A random generator is playing {self.keys} keys against a fresh copy of the machine…"
            yield Static(playing, id="control-result")
        yield Footer()

    def on_mount(self) -> None:
        self.play()

    @work(thread=True, exclusive=True, exit_on_error=False)
    def play(self):
        return control_game(
            self.model_path, self.keys, adaptive=self.adaptive, history=self.history_store, cancel=self.cancel
        )

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        result = self.query_one("#control-result", Static)
        if event.state == WorkerState.SUCCESS:
            self.game = event.worker.result
            result.update(Text(control_report(self.game, self.player_rate)))
        elif event.state == WorkerState.ERROR:
            error = event.worker.error
            message = str(error) if isinstance(error, KeytuiError | OSError) else f"{type(error).__name__}: {error}"
            result.update(Text(f"The control could not play: {message}"))

    def action_close(self) -> None:
        self.cancel.set()
        self.dismiss(self.game)
