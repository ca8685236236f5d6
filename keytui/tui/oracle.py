"""The oracle game on a few keys: press them "at random"; the machine guesses each press before it lands.

The running score is one big number next to chance (1/k), the last presses are shown hit or miss, with a rolling
chart, rounds, a verdict, dodge mode (F2: the guess is shown, try to avoid it) and the earlier games on these keys.
The rules and the scoring are keytui/game/session.py's; the predictor and the store are keytui/oracle/'s.
"""

from __future__ import annotations

from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen, Screen
from textual.widgets import Button, Digits, Footer, Header, Input, Label, Static

from keytui.data.history import share_line
from keytui.errors import KeytuiError
from keytui.game.session import ROLLING_KEYS, GameSession, KeyResult
from keytui.oracle.game import game_scores, new_game
from keytui.oracle.keyset import parse_keys
from keytui.oracle.store import GameStore, GameWriter
from keytui.tui.keys import TypingKeys, pasted_summary
from keytui.tui.play import RoundResults
from keytui.tui.widgets.hit_rate import HitRateTrace

SHOWN_PRESSES = 36


def shown(key: str) -> str:
    return "␣" if key == " " else key


class OracleScreen(Screen):
    DEFAULT_CSS = """
    OracleScreen #oracle { padding: 0 1; height: 1fr; }
    OracleScreen #oracle-title { height: auto; margin-bottom: 1; }
    OracleScreen #oracle-main { height: auto; }
    OracleScreen #score-box { width: 30; height: auto; border: round $accent; padding: 0 1; }
    OracleScreen #score { width: auto; color: $success; }
    OracleScreen #score-caption { height: auto; }
    OracleScreen #press-box { width: 1fr; height: auto; border: round $primary; padding: 0 1; }
    OracleScreen #guess { height: auto; text-style: bold; }
    OracleScreen #presses { height: auto; }
    OracleScreen #oracle-chart { height: 5; }
    OracleScreen #oracle-verdict { height: auto; text-style: bold; }
    OracleScreen #oracle-hint { height: auto; color: $text-muted; }
    """

    BINDINGS = [
        Binding("f2", "toggle_dodge", "Dodge mode"),
        Binding("escape", "leave", "Done"),
    ]

    def __init__(self, keys: str, round_size: int = 100, dodge: bool = False, keep: bool = True) -> None:
        super().__init__()
        self.keys = keys
        self.round_size = round_size
        self.dodge = dodge
        self.keep = keep
        self.game: GameSession | None = None
        self.writer: GameWriter | None = None
        self.earlier = 0
        self.ignored = 0
        self.last: KeyResult | None = None
        self._history: list[dict] = []

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="oracle"):
            yield Static(id="oracle-title")
            with Horizontal(id="oracle-main"):
                with Vertical(id="score-box"):
                    yield Digits("--", id="score")
                    yield Static(id="score-caption")
                with Vertical(id="press-box"):
                    yield Static(id="guess")
                    yield Static(id="presses")
                    yield Static(id="oracle-round")
            yield Static(f"hit rate over the last {ROLLING_KEYS} presses (┄ chance)", classes="dim")
            yield HitRateTrace(id="oracle-chart")
            yield Static(id="oracle-verdict")
            yield Static(id="burst", classes="burst")
            yield Static(id="oracle-hint")
        yield Footer()

    def on_mount(self) -> None:
        self.typing = TypingKeys(self.query_one("#burst", Static), "played")
        root = self.app.workspace.root
        try:
            self.game, self.writer, self.earlier = new_game(self.keys, root, round_size=self.round_size, keep=self.keep)
        except KeytuiError as exc:
            self.query_one("#oracle-title", Static).update(Text(f"Cannot play: {exc}", style="bold red"))
            self.notify(str(exc), severity="error", timeout=10)
            return
        self._history = GameStore(root, self.keys).scores(last=5)
        self._refresh()

    def on_key(self, event: events.Key) -> None:
        character = self.typing.typed(event)
        if character is None or self.game is None:
            return
        event.stop()
        event.prevent_default()
        if character not in self.keys:
            self.ignored += 1
            self._refresh()
            return
        try:
            result = self.game.press(character)
        except KeytuiError as exc:  # the disk refused the press: stop keeping the game, keep playing
            self.notify(str(exc), severity="error", timeout=10)
            self._stop_keeping()
            result = self.game.press(character)
        self.last = result
        self.ignored = 0
        self._refresh()
        self.call_after_refresh(self.game.settle)
        if result.round_over:
            summary = self.game.round.to_json(self.game.uniform_chance)
            self.game.next_round()
            record = self.game.last_round_record
            self.app.push_screen(
                RoundResults(
                    summary,
                    len(self.game.rounds_done),
                    least_predictable=self.game.least_predictable_round,
                    share=share_line(record) if record is not None else None,
                    screenshots=self.app.workspace.root / "screenshots",
                )
            )

    def on_paste(self, event: events.Paste) -> None:
        event.stop()
        event.prevent_default()
        self.typing.pasted(event.text)  # one line says how many: a paste is not typing

    def _refresh(self) -> None:
        game = self.game
        if game is None:
            return
        keys = " ".join(shown(k) for k in self.keys)
        kept = "games kept in this workspace" if self.writer else "this game is not kept"
        title = Text.assemble(
            ("Oracle game on ", ""),
            (keys, "bold"),
            (": press them at random. The machine guesses each press before it lands", ""),
            (f" (learned from {self.earlier} earlier game{'s' if self.earlier != 1 else ''}; {kept})", "dim"),
        )
        self.query_one("#oracle-title", Static).update(title)
        total = game.total
        chance = game.uniform_chance
        self.query_one("#score", Digits).update(f"{total.model.hit_rate * 100:.0f}" if total.n else "--")
        self.query_one("#score-caption", Static).update(
            Text.assemble(
                ("% guessed", "bold"),
                f" of {total.n} presses\nvs {chance:.0%} chance; Aaronson's\n"
                f"order-5 oracle {total.baseline.hit_rate:.0%}",
            )
        )
        guess = game.guess
        if self.dodge:
            self.query_one("#guess", Static).update(
                Text.assemble("dodge! it guesses ", (shown(guess.top[0]), "bold reverse"), f" ({guess.confidence:.0%})")
            )
        else:
            self.query_one("#guess", Static).update(Text("next guess: ▒ (sealed until your press lands)"))
        presses = Text("last presses: ")
        for result in list(game.history)[-SHOWN_PRESSES:]:
            presses.append(shown(result.key), style="bold green" if result.hit else "red")
        if not game.history:
            presses.append("none yet", style="dim")
        self.query_one("#presses", Static).update(presses)
        round_line = f"round {len(game.rounds_done) + 1}: {game.round.n}/{game.round_size}"
        if self.last is not None:
            verdict = "HIT" if self.last.hit else "miss"
            pressed, guessed = shown(self.last.key), shown(self.last.guess.top[0])
            round_line += f"   you pressed {pressed}, it guessed {guessed}: {verdict}"
        self.query_one("#oracle-round", Static).update(Text(round_line))
        verdict = game.verdict()
        self.query_one("#oracle-chart", HitRateTrace).update_rates(game.rolling_rates, chance)
        style = "bold red" if verdict.predictable else "bold green"
        self.query_one("#oracle-verdict", Static).update(Text(verdict.text, style=style))
        hint = ""
        if self.ignored:
            hint = f"only {keys} count here ({self.ignored} other key{'s' if self.ignored != 1 else ''} ignored). "
        if self._history:
            rates = ", ".join(f"{entry['hit_rate']:.0%}" for entry in self._history)
            hint += f"earlier games on these keys: {rates}"
        self.query_one("#oracle-hint", Static).update(Text(hint))

    def action_toggle_dodge(self) -> None:
        self.dodge = not self.dodge
        self._refresh()

    def _stop_keeping(self) -> None:
        if self.writer is not None:
            game = self.game
            self.writer.close(game_scores(game) if game is not None and game.total.n else None)
        self.writer = None
        if self.game is not None:
            self.game.recorder = None

    def session_summary(self) -> str:
        """The line printed when `keytui play --keys` leaves the app."""
        game = self.game
        dropped = pasted_summary(self.typing.pasted_keys, "played") if hasattr(self, "typing") else ""
        if game is None or game.total.n == 0:
            return f"played no presses{dropped}"
        return f"played {game.total.n} presses: {game.total.model.hit_rate:.0%} guessed before they landed{dropped}"

    def action_leave(self) -> None:
        self._finish()
        self.app.leave_mode()  # back home, or out of the app when `keytui play --keys` opened it

    def on_unmount(self) -> None:
        self._finish()

    def _finish(self) -> None:
        """The game is over: kept in the history (once), and its presses' file closed."""
        if self.game is not None:
            self.game.finish()
        self._stop_keeping()


class OracleKeysPrompt(ModalScreen):
    """From the home screen: which keys to play the oracle game on."""

    DEFAULT_CSS = """
    OracleKeysPrompt { align: center middle; }
    OracleKeysPrompt #oracle-prompt {
        width: 60; height: auto; border: thick $accent; padding: 1 2; background: $surface;
    }
    OracleKeysPrompt #oracle-error { color: $error; height: auto; }
    """

    BINDINGS = [Binding("escape", "dismiss", "Back")]

    def compose(self) -> ComposeResult:
        with Vertical(id="oracle-prompt"):
            yield Label("Oracle game: which 2 to 12 keys? (fd, rps, 123456789)")
            yield Input(value="fd", id="oracle-keys")
            yield Static(id="oracle-error")
            yield Button("Play (Enter)", id="oracle-start", variant="success")

    def on_input_submitted(self) -> None:
        self._start()

    def on_button_pressed(self) -> None:
        self._start()

    def _start(self) -> None:
        try:
            keys = parse_keys(self.query_one("#oracle-keys", Input).value, flag="the keys")
        except KeytuiError as exc:
            self.query_one("#oracle-error", Static).update(Text(str(exc)))
            return
        self.dismiss()
        self.app.open_mode("oracle", keys=keys)
