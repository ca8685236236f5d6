"""Pilot tests: each screen driven by key presses, asserting on state and on what the widgets show."""

from __future__ import annotations

import json

from textual import events
from textual.widgets import OptionList, Static

from keytui.model.models import ModelConfig
from keytui.tui.app import create_app
from keytui.tui.play import PlayScreen, RoundResults
from keytui.tui.record import RecordScreen
from keytui.tui.train import TrainScreen
from keytui.tui.widgets.bars import bar_rows
from keytui.tui.widgets.hit_rate import HitRateTrace, scale_top

from .conftest import TINY_MODEL, text_of

SIZE = (100, 32)


async def test_record_takes_printable_keys_only_and_writes_them_through(workspace):
    corpus = workspace.corpora / "mine.txt"
    app = create_app(workspace, "record", corpus=str(corpus), goal=50)
    async with app.run_test(size=SIZE) as pilot:
        screen = app.screen
        assert isinstance(screen, RecordScreen)
        await pilot.press("a", "s", "d", "space", "A", "exclamation_mark")
        await pilot.press("ctrl+a", "alt+e", "f12", "up", "tab", "enter")  # none of these is typing (F1 is help)
        assert corpus.read_text() == "asd A!"  # on disk while the screen is still open
        assert screen.keys == 6
        app.post_message(events.Paste("pasted text"))
        screen.post_message(events.Paste("pasted text"))
        await pilot.pause()
        assert corpus.read_text() == "asd A!"
        await pilot.press("f2", "q", "f2", "w")  # paused keys are not recorded
        assert corpus.read_text() == "asd A!w"
        assert "7 / 50 keys" in text_of(screen, "#record-stats")
        assert "asd␣A!w" in text_of(screen, "#stream")
        await pilot.press("escape")  # opened from the command line: Esc leaves the app, saying what was recorded
        await pilot.pause()
    assert app.return_value == (
        "recorded 7 keys into mine (7 keys in all); 22 keys not recorded: pasted, or faster than a hand types"
    )


async def test_record_appends_to_an_existing_corpus(workspace):
    corpus = workspace.corpora / "mine.txt"
    corpus.write_text("abc")
    app = create_app(workspace, "record", corpus=str(corpus), goal=10)
    async with app.run_test(size=SIZE) as pilot:
        assert "Appending to" in text_of(app.screen, "#record-title")
        await pilot.press("d")
        assert app.screen.keys == 4
    assert corpus.read_text() == "abcd"


async def test_record_refuses_a_binary_corpus_without_touching_it(workspace):
    corpus = workspace.corpora / "bin.txt"
    corpus.write_bytes(b"\x00\x01")
    app = create_app(workspace, "record", corpus=str(corpus))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("a")
        assert "Cannot record" in text_of(app.screen, "#record-title")
    assert corpus.read_bytes() == b"\x00\x01"


async def test_play_scores_each_key_against_the_committed_guess(workspace, tiny_checkpoint):
    corpus = workspace.corpora / "keys.txt"
    app = create_app(workspace, "play", model=str(tiny_checkpoint), corpus=str(corpus), round_size=5)
    async with app.run_test(size=SIZE) as pilot:
        screen = app.screen
        assert isinstance(screen, PlayScreen)
        committed = screen.game.guess
        await pilot.press("a")
        assert screen.last.guess == committed  # scored against the guess made before the key
        assert "sealed" in text_of(screen, "#guess")
        await pilot.press("s", "d", "ctrl+b", "f")
        assert screen.game.total.n == 4
        assert "keys played  4" in text_of(screen, "#scores")
        assert "verdict needs 16 more keys" in text_of(screen, "#verdict")
        trace = screen.query_one("#rolling", HitRateTrace)
        assert trace.rates == list(screen.game.rolling_rates) and len(trace.rates) == 4
        assert "25%" in str(trace.render())  # a fixed axis from 0, not stretched to the data
        assert screen.game.predictor.adaptive  # the model learns from the player by default
        await pilot.press("g")  # fifth key ends the round
        assert isinstance(app.screen, RoundResults)
        await pilot.press("x", "y")  # mashing on does not dismiss the results nor score keys
        assert isinstance(app.screen, RoundResults) and screen.game.total.n == 5
        await pilot.press("enter")
        assert app.screen is screen and screen.game.round.n == 0
        await pilot.press("f2")
        assert "next guess:" in text_of(screen, "#guess") and "sealed" not in text_of(screen, "#guess")
    assert corpus.read_text() == "asdfg"


async def test_play_with_keys_not_kept_and_toggled_back_on(workspace, tiny_checkpoint):
    corpus = workspace.corpora / "keys.txt"
    app = create_app(workspace, "play", model=str(tiny_checkpoint), corpus=str(corpus))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f3", "a", "f3", "b")
    assert corpus.read_text() == "b"


async def test_play_with_a_broken_model_says_so(workspace, tmp_path):
    broken = tmp_path / "broken.safetensors"
    broken.write_bytes(b"garbage")
    app = create_app(workspace, "play", model=str(broken))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("a")
        assert "Cannot play" in text_of(app.screen, "#play-title")


async def test_train_screen_trains_in_a_worker_and_saves(workspace, small_text):
    from keytui.model.training import TrainConfig

    corpus = workspace.corpora / "small.txt"
    corpus.write_text(small_text)
    out = workspace.checkpoints / "small.safetensors"
    app = create_app(
        workspace,
        "train",
        corpus=str(corpus),
        model_settings=TINY_MODEL,
        start_from="scratch",
        train_config=TrainConfig(epochs=2, seq_len=32),
    )
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.screen
        assert isinstance(screen, TrainScreen)
        await pilot.press("x")  # the UI keeps handling keys while the worker trains
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert screen.outcome is not None and out.exists()
        assert len(screen.epochs_seen) == 2
        status = text_of(screen, "#train-status")
        assert "Training over" in status and "Saved small.safetensors" in status and "F6 to play small" in status
        assert "epoch 2/2" in text_of(screen, "#train-figures")
        assert len(screen.query_one("LossPlot").val) == 2
        batch_bar = screen.query_one("#batch-bar")
        assert batch_bar.total > 0 and batch_bar.progress == batch_bar.total  # batch messages reached the screen
        log = "\n".join(screen.log_lines)
        log_widget = screen.query_one("#train-log")
        assert all(strip.cell_length <= log_widget.scrollable_content_region.width for strip in log_widget.lines)
        assert "replayed as a game (adaptive" in log  # the test keys through play's predictor


async def test_train_screen_cancel_keeps_the_best_checkpoint(workspace, small_text):
    from keytui.model.training import TrainConfig

    corpus = workspace.corpora / "small.txt"
    corpus.write_text(small_text)
    app = create_app(
        workspace,
        "train",
        corpus=str(corpus),
        model_settings=TINY_MODEL,
        start_from="scratch",
        train_config=TrainConfig(epochs=200, seq_len=32, patience=200),
    )
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.screen
        while len(screen.epochs_seen) < 1:
            await pilot.pause(0.05)
        await pilot.press("escape")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert screen.outcome.result.stopped == "cancelled"
        assert screen.outcome.checkpoint.exists()


async def test_train_screen_reports_bad_settings(workspace, small_text):
    corpus = workspace.corpora / "small.txt"
    corpus.write_text(small_text[:100])
    app = create_app(workspace, "train", corpus=str(corpus), autostart=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("f5")
        assert "needs at least 200" in text_of(app.screen, "#train-status")
        app.screen.query_one("#epochs").value = "many"
        await pilot.press("f5")
        assert "not a number" in text_of(app.screen, "#train-status")


async def test_home_lists_the_workspace_and_opens_each_mode(workspace, tiny_checkpoint):
    (workspace.corpora / "mine.txt").write_text("hello")
    (workspace.checkpoints / "tiny.safetensors").write_bytes(tiny_checkpoint.read_bytes())
    app = create_app(workspace)
    async with app.run_test(size=SIZE) as pilot:
        corpora = app.screen.query_one("#corpora", OptionList)
        names = [str(corpora.get_option_at_index(i).prompt) for i in range(corpora.option_count)]
        assert any("mine" in n for n in names) and any("demo" in n for n in names)
        assert "play against tiny" in text_of(app.screen, "#selection")  # play's default model preselected
        await pilot.press("p")
        assert isinstance(app.screen, PlayScreen) and app.screen.model_path.stem == "tiny"
        await pilot.press("escape", "r")
        assert isinstance(app.screen, RecordScreen)
        await pilot.press("escape", "t")
        assert isinstance(app.screen, TrainScreen)


async def test_small_terminal_keeps_the_play_screen_usable(workspace, tiny_checkpoint):
    app = create_app(workspace, "play", model=str(tiny_checkpoint))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("a", "b")
        assert app.screen.query_one("#scores").region.height > 0
        await pilot.resize_terminal(60, 20)
        await pilot.press("c")
        assert app.screen.game.total.n == 3


def test_headless_play_summary_is_json(tiny_checkpoint, capsys, monkeypatch, home):
    import io
    import sys

    from keytui.cli.main import main

    monkeypatch.setattr(sys, "stdin", io.StringIO("asdf"))
    assert main(["play", "--model", str(tiny_checkpoint), "--no-append"]) == 0
    assert json.loads(capsys.readouterr().out)["n"] == 4


def test_hit_rate_axis_starts_at_zero_and_rounds_up_to_a_quarter():
    assert scale_top([]) == 0.25 and scale_top([0.05, 0.1]) == 0.25
    assert scale_top([0.3]) == 0.5 and scale_top([0.5]) == 0.5 and scale_top([0.99]) == 1.0
    assert bar_rows([0.0, 0.25], 2, 0.25) == [" █", " █"]
    assert bar_rows([0.125], 2, 0.25) == [" ", "█"]


async def test_train_screen_fine_tunes_the_prior_unless_told_to_start_from_scratch(workspace, small_text):
    from keytui.model.checkpoint import read_metadata
    from keytui.model.prior import PRIOR_PATH, fine_tune_config
    from keytui.model.training import TrainConfig

    (workspace.corpora / "small.txt").write_text(small_text)
    app = create_app(workspace, "train", corpus=str(workspace.corpora / "small.txt"), autostart=False)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.screen
        hidden = screen.query_one("#hidden")
        assert hidden.disabled and hidden.value == str(read_metadata(PRIOR_PATH)["model"]["hidden_size"])
        assert screen.query_one("#epochs").value == str(fine_tune_config().epochs)
        screen.query_one("#start-from").value = "scratch"
        await pilot.pause()
        assert not hidden.disabled and hidden.value == str(ModelConfig(vocab_size=2).hidden_size)
        assert screen.query_one("#epochs").value == str(TrainConfig().epochs)
        assert screen.prior_path() is None


async def test_home_lists_are_visible_and_show_their_entries(workspace, tiny_checkpoint):
    (workspace.corpora / "mine.txt").write_text("hello")
    (workspace.checkpoints / "tiny.safetensors").write_bytes(tiny_checkpoint.read_bytes())
    for size in ((80, 24), (100, 30), (120, 40)):
        app = create_app(workspace)
        async with app.run_test(size=size) as pilot:
            await pilot.pause()
            screen = app.screen
            for selector, names in (("#corpora", ("mine", "demo")), ("#models", ("tiny", "demo"))):
                options = screen.query_one(selector, OptionList)
                assert options.region.height >= options.option_count + 2, (size, selector)  # border + every entry
                shown_lines = [line.text for line in options.render_lines(options.region.reset_offset)]
                assert all(any(name in line for line in shown_lines) for name in names), (size, shown_lines)
            for button in ("#record-button", "#train-button", "#play-button"):
                assert 1 <= screen.query_one(button).region.height <= 3, (size, button)  # a button, not a box


def test_every_screen_rule_is_scoped_by_its_screen():
    """A rule of one screen must not reach another's widgets: each rule starts with its screen's type."""
    from keytui.tui.app import KeytuiApp
    from keytui.tui.home import HomeScreen

    screens = [HomeScreen, RecordScreen, TrainScreen, PlayScreen, RoundResults]
    for screen in screens:
        rules = [r.strip() for r in screen.DEFAULT_CSS.split("}") if r.strip()]
        assert rules, screen.__name__
        for rule in rules:
            selectors = rule.split("{")[0].split(",")
            assert all(s.strip().split()[0] == screen.__name__ for s in selectors), (screen.__name__, rule)
    assert "#" not in KeytuiApp.CSS  # the app keeps only shared classes, no screen's ids


async def test_record_and_play_screens_never_append_typing_to_a_text(workspace, tiny_checkpoint):
    from keytui.data.corpus_meta import write_meta

    text = workspace.corpora / "apache.txt"
    text.write_text("Licensed")
    write_meta(text, "text")
    app = create_app(workspace, "record", corpus=str(text))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("a", "b")
        assert "Cannot record" in text_of(app.screen, "#record-title") and "'keys'" in text_of(
            app.screen, "#record-title"
        )
    app = create_app(workspace, "play", model=str(tiny_checkpoint), corpus=str(text))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("a", "f3", "b")  # F3 cannot turn keeping on either
        assert app.screen.game.total.n == 2 and app.screen.writer is None
    assert text.read_text() == "Licensed"


async def test_escape_from_a_mode_opened_from_the_command_line_leaves_with_a_summary(workspace, tiny_checkpoint):
    corpus = workspace.corpora / "keys.txt"
    app = create_app(workspace, "record", corpus=str(corpus))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("a", "b", "c", "escape")
        await pilot.pause()
    assert app.return_value == "recorded 3 keys into keys (3 keys in all)"
    app = create_app(workspace, "play", model=str(tiny_checkpoint), corpus=str(corpus))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("a", "s", "escape")
        await pilot.pause()
    assert app.return_value.startswith("played 2 keys against tiny: hit rate ")
    assert app.return_value.endswith("; 2 kept in keys")
    assert corpus.read_text() == "abcas"


async def test_home_acts_on_what_it_shows(workspace, tiny_checkpoint, small_text):
    from keytui.data.corpus_meta import write_meta
    from keytui.tui.home import HomeScreen

    apache = workspace.corpora / "apache.txt"
    apache.write_text(small_text)
    write_meta(apache, "text")
    (workspace.corpora / "a-mine.txt").write_text("qwe")  # sorts first: must not be taken for the player's corpus
    app = create_app(workspace)
    async with app.run_test(size=(120, 40)) as pilot:
        home = app.screen
        home.query_one("#corpora", OptionList).highlighted = 1  # apache, an imported text
        await pilot.pause()
        assert "record and play into keys" in text_of(home, "#selection")
        await pilot.press("r")
        assert isinstance(app.screen, RecordScreen) and app.screen.corpus_path.name == "keys.txt"
        await pilot.press("z", "escape")
        await pilot.pause()
        assert app.screen is home and home.selected_corpus().endswith("keys.txt")  # home shows where keys went
        assert apache.read_text() == small_text
        home.query_one("#corpora", OptionList).highlighted = 1  # apache again: train on it
        await pilot.press("t")
        train = app.screen
        for field, value in (("epochs", "1"), ("hidden", "8"), ("layers", "1"), ("embedding", "4")):
            train.query_one(f"#{field}").value = value
        await pilot.press("f5")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert "Training over" in text_of(train, "#train-status") and "F6" in text_of(train, "#train-status")
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)
        assert home.selected_model().endswith("apache.safetensors")  # after training, home selects that model
        assert "play against apache" in text_of(home, "#selection")


async def test_round_counter_restarts_after_the_results(workspace, tiny_checkpoint):
    app = create_app(workspace, "play", model=str(tiny_checkpoint), corpus=None, round_size=3)
    async with app.run_test(size=SIZE) as pilot:
        screen = app.screen
        await pilot.press("a", "b", "c")
        assert isinstance(app.screen, RoundResults)
        await pilot.press("enter")
        assert "(round 2: 0/3)" in text_of(screen, "#scores")
        assert screen.query_one("#round-bar").progress == 0


async def test_dodge_keys_on_screen_are_scored_apart_and_not_kept(workspace, tiny_checkpoint):
    corpus = workspace.corpora / "keys.txt"
    app = create_app(workspace, "play", model=str(tiny_checkpoint), corpus=str(corpus))
    async with app.run_test(size=SIZE) as pilot:
        screen = app.screen
        await pilot.press("a", "f2", "b", "c", "f2", "d")
        assert screen.game.total.n == 2 and screen.game.dodge.n == 2
        assert "dodged" in text_of(screen, "#scores") and "keys played  2" in text_of(screen, "#scores")
    assert corpus.read_text() == "ad"


async def test_f3_starts_keeping_keys_in_a_game_opened_without_keeping(workspace, tiny_checkpoint):
    corpus = workspace.corpora / "keys.txt"
    app = create_app(workspace, "play", model=str(tiny_checkpoint), corpus=str(corpus), keep=False)
    async with app.run_test(size=SIZE) as pilot:
        assert "F3 keeps them in keys" in text_of(app.screen, "#play-title")
        await pilot.press("a", "f3", "b")
        assert "played keys go to corpus keys" in text_of(app.screen, "#play-title")
    assert corpus.read_text() == "b"


async def test_record_says_enter_backspace_and_tab_are_not_keys_of_the_game(workspace):
    corpus = workspace.corpora / "keys.txt"
    app = create_app(workspace, "record", corpus=str(corpus))
    async with app.run_test(size=SIZE) as pilot:
        assert "Enter, Backspace and Tab are not keys of the game" in text_of(app.screen, "#record-title")
        await pilot.press("a", "enter", "backspace", "b")
        assert app.screen.told_not_game_keys and app.screen.keys == 2


async def test_round_results_show_every_line_whole_at_80x24(workspace, tiny_checkpoint):
    app = create_app(workspace, "play", model=str(tiny_checkpoint), corpus=None, round_size=20)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press(*"asdfjkl;asdfjkl;asdf")
        results = app.screen
        assert isinstance(results, RoundResults)
        body = results.query_one("#results-body", Static)
        shown = [strip.text.strip() for strip in body.render_lines(body.region.reset_offset)]
        verdict = results.summary["verdict"]["text"]
        assert verdict in shown  # on one line, not cut or wrapped
        assert results.query_one("#results").region.right <= 80 and body.region.height >= len(shown)
