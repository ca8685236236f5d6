"""The keytui app: a home screen and three modes. `create_app` is the factory the tests reuse."""

from __future__ import annotations

from typing import Any

from textual.app import App
from textual.binding import Binding

from keytui.data.paths import Workspace


class KeytuiApp(App):
    # Only rules every screen shares live here; each screen keeps its own, scoped by its type, in DEFAULT_CSS.
    CSS = """
    Screen { background: $surface; }
    .title { padding: 0 1; margin-bottom: 1; }
    .section { text-style: bold; color: $accent; }
    .stream { height: 2; padding: 0 1; color: $text-muted; }
    .dim { color: $text-muted; }
    .burst { height: auto; padding: 0 1; color: $warning; display: none; }
    """
    TITLE = "keytui"
    SUB_TITLE = "how random is your random typing?"
    BINDINGS = [Binding("ctrl+q", "quit", "Quit", priority=True), Binding("f1", "help", "Help")]

    def __init__(self, workspace: Workspace, screen: str = "home", **options: Any) -> None:
        super().__init__()
        self.workspace = workspace
        self.start_screen = screen
        self.options = options
        # What the last mode worked on, so that home shows it when the player comes back.
        self.last_corpus: str | None = None
        self.last_model: str | None = None
        self.left_summaries: list[str] = []  # modes already left, for the summary printed when the app ends

    def get_driver_class(self):
        """Textual's driver, reading keys through keytui's filter (keytui/tui/keys.py): only typed keys are typing."""
        from textual import constants

        from keytui.tui.keys import KeytuiDriver

        if KeytuiDriver is None or constants.DRIVER is not None:
            return super().get_driver_class()
        return KeytuiDriver

    def notify(self, message: str, *, markup: bool = False, **options: Any) -> None:  # type: ignore[override]
        """Notifications carry names and error messages a player chose: plain text, never markup.

        Screens call `self.notify(...)`, which always passes `markup=True` up here; it is overridden on purpose.
        """
        super().notify(message, markup=False, **options)

    def on_mount(self) -> None:
        self._restore_theme()
        if self.start_screen == "home":
            from keytui.tui.home import HomeScreen

            self.push_screen(HomeScreen())
        else:  # opened straight from the command line: Esc leaves the app, not into a home nobody asked for
            self.open_mode(self.start_screen, **self.options)

    def leave_mode(self) -> None:
        """A mode is done: back to the screen it was opened from (home, or train for "play it"); the mode the
        command line opened leaves the app, whose summary is printed once the terminal is back."""
        if len(self.screen_stack) > 2:  # Textual's own default screen, then ours
            if hasattr(self.screen, "session_summary"):
                self.left_summaries.append(self.screen.session_summary())
            self.pop_screen()
        else:
            self.exit(result=self.session_summary())

    async def action_quit(self) -> None:
        self.exit(result=self.session_summary())

    def action_help_quit(self) -> None:
        """Ctrl+C: Textual's hint on how to quit, in plain words (notify takes no markup here), with the key a browser
        passes on."""
        self.notify("Press Ctrl+Q to quit, or Escape back to the home screen and q.", title="Do you want to quit?")

    def session_summary(self) -> str | None:
        """One line per mode opened straight from the command line, printed once the app has left the terminal."""
        if self.start_screen == "home":
            return None
        lines = [screen.session_summary() for screen in self.screen_stack if hasattr(screen, "session_summary")]
        return "\n".join(line for line in [*lines, *self.left_summaries] if line) or None

    def _restore_theme(self) -> None:
        """The theme chosen in an earlier run (a theme that no longer exists is ignored), kept on every change."""
        from keytui.data.settings import saved_theme

        theme = saved_theme()
        if theme is not None and theme in self.available_themes:
            self.theme = theme
        self._saved_theme = self.theme
        self.theme_changed_signal.subscribe(self, self._remember_theme)

    def _remember_theme(self, theme) -> None:
        from keytui.data.settings import save_setting
        from keytui.errors import KeytuiError

        if theme.name == self._saved_theme:
            return
        try:
            save_setting("theme", theme.name)
            self._saved_theme = theme.name
        except KeytuiError as exc:
            self.notify(f"The theme is not kept for next time: {exc}", severity="warning")

    def action_help(self) -> None:
        from keytui.tui.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    def open_mode(self, mode: str, **options: Any) -> None:
        if mode == "record":
            from keytui.tui.record import RecordScreen

            self.push_screen(RecordScreen(**options))
        elif mode == "train":
            from keytui.tui.train import TrainScreen

            self.push_screen(TrainScreen(**options))
        elif mode == "play":
            from keytui.tui.play import PlayScreen

            self.push_screen(PlayScreen(**options))
        elif mode == "oracle":
            from keytui.tui.oracle import OracleScreen

            self.push_screen(OracleScreen(**options))
        else:
            raise ValueError(f"unknown mode {mode!r}")


def create_app(workspace: Workspace, screen: str = "home", **options: Any) -> KeytuiApp:
    return KeytuiApp(workspace.ensure(), screen, **options)


def run_app(workspace: Workspace, screen: str = "home", **options: Any) -> None:
    if screen in ("home", "play", "train"):  # they load torch: too little memory for it is one line, said before
        from keytui.model.memory_guard import check_torch_memory  # the screen takes the terminal, not a crash

        check_torch_memory()
    summary = create_app(workspace, screen, **options).run()
    if summary:
        print(summary)
