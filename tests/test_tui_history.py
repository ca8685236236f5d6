"""Pilot tests for what issue 13 added to the screens: the history kept by play, and the elements built on it."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from keytui.data.history import History
from keytui.tui.app import create_app
from keytui.tui.play import PlayScreen, RoundResults

SIZE = (100, 32)


async def test_play_screen_keeps_rounds_and_the_game_in_the_history(workspace, tiny_checkpoint):
    corpus = workspace.corpora / "keys.txt"
    app = create_app(workspace, "play", model=str(tiny_checkpoint), corpus=str(corpus), round_size=5)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press(*"asdfg")
        assert isinstance(app.screen, RoundResults)
        await pilot.press("enter", "f2", *"qw", "escape")  # opened from the command line: Esc leaves the app
        await pilot.pause()
    assert app.return_value.startswith("played 5 keys against tiny") and "dodged" in app.return_value
    records = History.of_workspace(workspace.root).read().records
    # dodge keys are another game, scored apart: the game's record holds the 5 played keys only
    assert [(r.kind, r.mode, r.keys) for r in records] == [("round", "play", 5), ("game", "play", 5)]
    assert records[-1].typed == "asdfg" and records[-1].model == "tiny"
    assert records[-1].extra["dodge"]["n"] == 2  # the dodge game's score is kept beside it


async def test_help_opens_with_f1_anywhere_and_question_mark_on_home_only(workspace, tiny_checkpoint):
    from keytui.tui.help import HelpScreen

    app = create_app(workspace)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        text = app.screen.query_one("#help-text").source
        for term in ("sealed", "Dodge mode", "Hit rate", "Top-3", "Chance", "binomial", "F1", "Bits per key"):
            assert term in text
        await pilot.press("escape")
        assert not isinstance(app.screen, HelpScreen)
        await pilot.press("f1")
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("f1")
        assert not isinstance(app.screen, HelpScreen)
    app = create_app(workspace, "play", model=str(tiny_checkpoint), corpus=None)
    async with app.run_test(size=SIZE) as pilot:
        play = app.screen
        await pilot.press("question_mark")  # in play, `?` is a key of the game
        assert play.game.total.n == 1 and play.last.key == "?"
        await pilot.press("f1")
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("a", "q")  # q closes help; the `a` before it is no move in the game
        assert app.screen is play and play.game.total.n == 1


async def test_the_theme_is_kept_between_runs(workspace, config_dir):
    from keytui.data.settings import settings_path

    app = create_app(workspace)
    async with app.run_test(size=SIZE) as pilot:
        default = app.theme
        chosen = next(name for name in app.available_themes if name != default and not name.startswith("textual-a"))
        app.theme = chosen
        await pilot.pause()
    assert settings_path().is_relative_to(config_dir)
    assert json.loads(settings_path().read_text())["theme"] == chosen
    app = create_app(workspace)
    async with app.run_test(size=SIZE):
        assert app.theme == chosen
    settings_path().write_bytes(b"{not json")  # a corrupt file: the default theme, no error
    app = create_app(workspace)
    async with app.run_test(size=SIZE):
        assert app.theme == default
    settings_path().write_text(json.dumps({"theme": "no-such-theme", "other": 1}))
    app = create_app(workspace)
    async with app.run_test(size=SIZE) as pilot:
        assert app.theme == default
        app.theme = chosen
        await pilot.pause()
    assert json.loads(settings_path().read_text()) == {"theme": chosen, "other": 1}  # other settings kept


async def test_the_random_control_plays_a_fresh_machine_and_leaves_the_game_alone(workspace, tiny_checkpoint):
    from keytui.tui.control import ControlScreen

    app = create_app(workspace, "play", model=str(tiny_checkpoint), corpus=None)
    async with app.run_test(size=SIZE) as pilot:
        play = app.screen
        await pilot.press(*"asdf")
        guess_before = play.game.guess
        await pilot.press("f4")
        control = app.screen
        assert isinstance(control, ControlScreen)
        await app.workers.wait_for_complete()
        await pilot.pause()
        text = str(control.query_one("#control-result").render())
        assert "A random generator pressed 100 keys" in text and "Against you it guesses" in text
        assert control.game.total.n == 100 and control.game.mode == "random"
        await pilot.press("x", "escape")
        assert app.screen is play and play.game.total.n == 4 and play.game.guess == guess_before
    records = History.of_workspace(workspace.root).read().records
    control_records = [(r.kind, r.mode, r.keys) for r in records if r.mode == "random"]
    assert control_records == [("round", "random", 100), ("game", "random", 100)]


def seed_history(workspace, hit_rate: float, mode: str = "play") -> None:
    """One earlier round in the workspace's history, as if played before."""
    from keytui.data.history import GameRecord

    History.of_workspace(workspace.root).append(
        GameRecord(
            kind="round", date="2026-01-01T00:00:00+00:00", model="tiny", mode=mode, keys=100, hit_rate=hit_rate,
            top3_hit_rate=hit_rate, macro_f1=0.1, weighted_f1=0.1, bits_per_key=3.0, chance=0.05,
            uniform_chance=0.02, p_value=0.5, predictable=False, verdict="v", round=1,
        )
    )  # fmt: skip


async def test_play_feedback_flash_big_score_and_speed(workspace, tiny_checkpoint):
    from textual.widgets import Digits

    from keytui.tui.widgets.key_flash import KeyFlash

    ticks = iter(range(10_000))
    app = create_app(
        workspace, "play", model=str(tiny_checkpoint), corpus=None, clock=lambda: next(ticks) * 0.2
    )  # five keys a second
    async with app.run_test(size=(120, 40)) as pilot:
        play = app.screen
        flash = play.query_one("#result", KeyFlash)
        assert flash.outcome is None and "press any key" in str(flash.render())
        for key in "asdfasdfasdf":
            guess = play.game.guess.top[0]
            await pilot.press(key)
            expected = "hit" if guess == key else ("top3" if key in play.last.guess.top[:3] else "miss")
            assert flash.outcome == expected and flash.has_class(f"-{expected}")
            assert ("HIT" in str(flash.render())) == (expected == "hit")
        hits = play.game.total.model.hits
        assert play.query_one("#big-score", Digits).value == f"{hits / 12 * 100:.0f}"
        label = str(play.query_one("#big-score-label").render())
        assert "5.0 keys/s" in label and "chance" in label
        assert play.query_one("#hit-map").display  # room for the heatmap of hits at 120x40
        assert sum(play.query_one("#hit-map").caps.values()) == hits
        await pilot.resize_terminal(80, 24)
        await pilot.pause()
        assert not play.query_one("#hit-map").display


async def test_round_results_say_record_insight_and_share(workspace, tiny_checkpoint):
    seed_history(workspace, hit_rate=1.0)  # a round nobody can do worse than... except by being less predictable
    app = create_app(workspace, "play", model=str(tiny_checkpoint), corpus=None, round_size=20)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press(*"asdfjkl;asdfjkl;qwer")
        results = app.screen
        assert isinstance(results, RoundResults)
        assert "least predictable round yet" in str(results.query_one("#results-record").render())
        assert "What gave you away" in str(results.query_one("#results-insight").render())
        share = str(results.query_one("#results-share").render())
        assert share.startswith("keytui: the machine read me") and "20 keys" in share
        await pilot.press("f5")
        assert app.clipboard == share
        await pilot.press("f6")
        saved = list((workspace.root / "screenshots").glob("*.svg"))
        assert len(saved) == 1 and "predictable" in saved[0].read_text()  # the picture of this very screen
        await pilot.press("enter")
        assert isinstance(app.screen, PlayScreen)


async def test_no_record_when_an_earlier_round_was_less_predictable(workspace, tiny_checkpoint):
    seed_history(workspace, hit_rate=0.0)
    app = create_app(workspace, "play", model=str(tiny_checkpoint), corpus=None, round_size=20)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press(*"asdfasdfasdfasdfasdf")
        assert isinstance(app.screen, RoundResults) and not app.screen.query("#results-record")


async def test_home_shows_the_last_games_their_plot_and_a_retrain_offer(workspace, tiny_checkpoint, small_text):
    from keytui.game.retrain import MIN_NEW_KEYS
    from keytui.tui.widgets.history_panel import HistoryPanel

    (workspace.checkpoints / "tiny.safetensors").write_bytes(tiny_checkpoint.read_bytes())
    (workspace.corpora / "small.txt").write_text(small_text)  # what tiny was trained on: nothing new yet
    app = create_app(workspace)
    async with app.run_test(size=(120, 40)) as pilot:
        home = app.screen
        panel = home.query_one("#history-panel", HistoryPanel)
        assert "No games yet" in str(panel.query_one("#history-games").render())
        assert not home.query_one("#retrain-offer").display
        store = History.of_workspace(workspace.root)
        for rate in (0.5, 0.3, 0.1):
            game_record = replace(record_like(rate), kind="game")
            store.append(game_record)
        store.append(replace(record_like(0.01), kind="game", mode="random"))  # the control is not the player's game
        with open(store.path, "ab") as handle:
            handle.write(b"{broken\n")
        (workspace.corpora / "small.txt").write_text(small_text + "asdf" * MIN_NEW_KEYS)
        await pilot.press("f5")
        corpora = home.query_one("#corpora")
        corpora.highlighted = [corpora.get_option_at_index(i).id for i in range(corpora.option_count)].index(
            str(workspace.corpora / "small.txt")
        )
        await pilot.pause()
        games = str(panel.query_one("#history-games").render())
        assert games.index("10%") < games.index("30%") < games.index("50%")  # newest first
        assert "control" not in games and "1 unreadable history line" in games
        assert panel.query_one("#history-plot").rates == [0.5, 0.3, 0.1]
        assert panel.query_one("#history-plot").region.height == 3
        assert "new keys in corpus small" in str(home.query_one("#retrain-offer").render())
        await pilot.resize_terminal(80, 24)
        await pilot.pause()
        assert panel.query_one("#history-plot").region.height == 0  # a small terminal keeps its rows for the lists


def record_like(hit_rate: float):
    from keytui.data.history import GameRecord

    return GameRecord(
        kind="round", date="2026-01-01T00:00:00+00:00", model="tiny", mode="play", keys=100, hit_rate=hit_rate,
        top3_hit_rate=hit_rate, macro_f1=0.1, weighted_f1=0.1, bits_per_key=3.0, chance=0.05,
        uniform_chance=0.02, p_value=0.5, predictable=False, verdict="v",
    )  # fmt: skip


async def test_leaving_play_offers_retraining_when_it_pays(workspace, tiny_checkpoint, small_text):
    from keytui.game.retrain import MIN_NEW_KEYS

    corpus = workspace.corpora / "small.txt"  # the corpus the tiny model was trained on
    corpus.write_text(small_text + "asdf" * (MIN_NEW_KEYS // 4))
    app = create_app(workspace, "play", model=str(tiny_checkpoint), corpus=str(corpus))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("a", "escape")
        assert [n for n in app._notifications if "new keys in corpus small" in n.message]


async def test_insight_screen_from_games_and_from_the_corpus(workspace):
    from keytui.tui.insight import InsightScreen

    (workspace.corpora / "mine.txt").write_text("asd " * 40)
    store = History.of_workspace(workspace.root)
    store.append(replace(record_like(0.5), kind="game", typed="qwer" * 10, hits="10" * 20))
    app = create_app(workspace)
    async with app.run_test(size=(80, 24)) as pilot:
        corpora = app.screen.query_one("#corpora")
        ids = [corpora.get_option_at_index(i).id for i in range(corpora.option_count)]
        corpora.highlighted = ids.index(str(workspace.corpora / "mine.txt"))
        await pilot.press("i")
        screen = app.screen
        assert isinstance(screen, InsightScreen)
        text = str(screen.query_one("#insight-text").render())
        assert text.startswith("your last 1 game: 40 keys; the machine guessed 20") and "What gave you away" in text
        assert sum(screen.query_one("#insight-map").caps.values()) == 20  # the keyboard shows the hits
        await pilot.press("f2")
        text = str(screen.query_one("#insight-text").render())
        assert text.startswith("corpus mine: 160 keys") and "times out of 39" in text
        await pilot.press("escape")
        assert not isinstance(app.screen, InsightScreen)


async def test_retraining_in_the_background_swaps_a_better_model_in_between_rounds(
    workspace, tiny_checkpoint, small_text, monkeypatch
):
    import keytui.game.retrain as retrain_module
    from keytui.game.retrain import MIN_NEW_KEYS, RetrainResult

    model = workspace.checkpoints / "small.safetensors"
    model.write_bytes(tiny_checkpoint.read_bytes())
    corpus = workspace.corpora / "small.txt"
    corpus.write_text(small_text + "asdf" * (MIN_NEW_KEYS // 4))

    def fake_retrain(model_path, corpus_path, cancel=None, **_):  # training itself is tested in test_retrain.py
        return RetrainResult(True, "new 20.0% hit, previous 10.0%", model_path)

    monkeypatch.setattr(retrain_module, "retrain", fake_retrain)
    app = create_app(workspace, "play", model=str(model), corpus=str(corpus), round_size=5)
    async with app.run_test(size=SIZE) as pilot:
        play = app.screen
        first = play.game.predictor
        await pilot.press("a", "f7")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert play.pending_model == model and play.game.predictor is first  # not in the middle of a round
        await pilot.press(*"sdfg")
        assert isinstance(app.screen, RoundResults)
        assert play.game.predictor is not first and play.game.total.n == 5
        await pilot.press("enter", "h")
        assert play.game.total.n == 6
    records = History.of_workspace(workspace.root).read().records
    assert records[-1].kind == "game" and records[-1].extra["models"] == ["small", "small"]


async def test_retrain_says_not_yet_without_enough_new_keys(workspace, tiny_checkpoint):
    app = create_app(workspace, "play", model=str(tiny_checkpoint), corpus=str(workspace.corpora / "keys.txt"))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f7")
        assert not app.screen.retraining
        assert [n for n in app._notifications if "Retraining pays once" in n.message]


@pytest.mark.parametrize("mode", ["play", "dodge", "few-key", "random", "mixed"])
def test_home_names_each_games_mode_in_full(mode):
    from keytui.tui.widgets.history_panel import game_line

    assert f" {mode} " in game_line(replace(record_like(0.3), kind="game", mode=mode)).plain  # was "few-ke"
