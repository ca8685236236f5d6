"""Pilot tests of the few-key oracle screen and its way in from the home screen."""

from __future__ import annotations

from textual import events
from textual.widgets import Digits, Input

from keytui.data.history import History
from keytui.oracle.store import GameStore
from keytui.tui.app import create_app
from keytui.tui.oracle import OracleKeysPrompt, OracleScreen
from keytui.tui.play import RoundResults

from .conftest import text_of

SIZE = (100, 32)


async def test_only_the_game_keys_count_and_the_game_is_kept(workspace):
    app = create_app(workspace, "oracle", keys="fd", round_size=50)
    async with app.run_test(size=SIZE) as pilot:
        screen = app.screen
        assert isinstance(screen, OracleScreen)
        await pilot.press(*"fdfdfdfdfd")
        await pilot.press("x", "left_square_bracket", "slash", "ctrl+f", "alt+d", "up")  # none of these is a press
        assert screen.game.total.n == 10
        assert "only f d count here (3 other keys ignored)" in text_of(screen, "#oracle-hint")
        assert GameStore(workspace.root, "fd").path.read_text() == "fdfdfdfdfd"  # on disk while playing
        app.post_message(events.Paste("fdfdfd"))
        await pilot.pause()
        assert screen.game.total.n == 10
        await pilot.press(*"fdfdfdfdfd")
        hits = screen.game.total.model.hits
        assert screen.query_one("#score", Digits).value == f"{hits * 100 / 20:.0f}"
        assert "fdfdfd" in text_of(screen, "#presses") and "round 1: 20/50" in text_of(screen, "#oracle-round")
        assert "sealed" in text_of(screen, "#guess")
        await pilot.press("f2")
        assert f"it guesses {screen.game.guess.top[0]}" in text_of(screen, "#guess")
        await pilot.press("escape")  # opened from the command line: Esc leaves the app with a summary
        await pilot.pause()
    assert app.return_value.startswith("played 20 presses: ")
    store = GameStore(workspace.root, "fd")
    assert store.games() == ["fd" * 10]
    assert store.scores()[-1]["n"] == 20
    (game,) = History.of_workspace(workspace.root).read().games(mode="few-key")
    assert game.keys == 20 and game.model == "oracle fd" and game.typed == "fd" * 10


async def test_a_round_ends_on_the_results_screen_and_the_next_game_remembers(workspace):
    app = create_app(workspace, "oracle", keys="rps", round_size=6)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press(*"rpsrps")
        assert isinstance(app.screen, RoundResults)
        assert "chance 33%" in app.screen.share  # a line to share, against 1/3 chance
        await pilot.press("enter")
        assert isinstance(app.screen, OracleScreen)
        await pilot.press("escape")
    app = create_app(workspace, "oracle", keys="spr", round_size=6, keep=False)
    async with app.run_test(size=SIZE) as pilot:
        screen = app.screen
        assert "learned from 1 earlier game" in text_of(screen, "#oracle-title")
        assert "this game is not kept" in text_of(screen, "#oracle-title")
        assert "earlier games on these keys: " in text_of(screen, "#oracle-hint")
        await pilot.press(*"rps")
        await pilot.press("escape")
    assert GameStore(workspace.root, "rps").games() == ["rpsrps"]


async def test_hostile_keys_are_shown_as_text_not_markup(workspace):
    app = create_app(workspace, "oracle", keys="[/", round_size=50)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("left_square_bracket", "slash", "left_square_bracket")
        screen = app.screen
        assert screen.game.total.n == 3
        assert "[/[" in text_of(screen, "#presses") and "Oracle game on [ /" in text_of(screen, "#oracle-title")


async def test_home_opens_the_oracle_game_after_asking_for_keys(workspace):
    app = create_app(workspace)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("o")
        assert isinstance(app.screen, OracleKeysPrompt)
        prompt = app.screen
        prompt.query_one("#oracle-keys", Input).value = "ff"
        await pilot.press("enter")
        assert isinstance(app.screen, OracleKeysPrompt) and "twice" in text_of(prompt, "#oracle-error")
        prompt.query_one("#oracle-keys", Input).value = "rps"
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, OracleScreen) and app.screen.keys == "rps"
