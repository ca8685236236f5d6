"""Snapshot tests: what each screen looks like, compared against SVGs under tests/__snapshots__.

Update them after an intended visual change with `pytest tests/test_snapshots.py --snapshot-update`.
"""

from __future__ import annotations

import itertools

import pytest

from keytui.data.paths import BUNDLED_DIR, Workspace
from keytui.tui.app import create_app

DEMO_MODEL = BUNDLED_DIR / "demo.safetensors"


@pytest.fixture
def workspace(tmp_path) -> Workspace:
    ws = Workspace(tmp_path).ensure()
    (ws.corpora / "mine.txt").write_text("asdf jkl; " * 30)
    return ws


def fake_clock():
    ticks = itertools.count()
    return lambda: next(ticks) * 0.125  # eight keys a second, whatever the machine's speed


def test_home(snap_compare, workspace):
    assert snap_compare(create_app(workspace), terminal_size=(100, 30))


def test_record_after_some_keys(snap_compare, workspace):
    app = create_app(
        workspace,
        "record",
        corpus=str(workspace.corpora / "new.txt"),
        goal=100,
        clock=fake_clock(),
        chart_interval=None,
    )
    assert snap_compare(app, press=list("asdfasdf jkl;jkl; qwerQWER!!"), terminal_size=(100, 30))


def test_train_form(snap_compare, workspace):
    app = create_app(workspace, "train", corpus=str(workspace.corpora / "mine.txt"), autostart=False)
    assert snap_compare(app, terminal_size=(110, 36))


def play_app(workspace, **options):
    """The play screen with a steady clock (keys per second) and no flash: the same picture on every machine."""
    app = create_app(workspace, "play", model=str(DEMO_MODEL), corpus=None, clock=fake_clock(), **options)
    app.animation_level = "none"
    return app


def test_play_on_the_demo_model(snap_compare, workspace):
    app = play_app(workspace)
    assert snap_compare(app, press=list("asdfjkl;sdfghjk aqwsde"), terminal_size=(100, 30))


def test_play_in_a_small_terminal(snap_compare, workspace):
    assert snap_compare(play_app(workspace), press=list("asdf"), terminal_size=(80, 24))


def test_play_in_a_large_terminal(snap_compare, workspace):
    assert snap_compare(play_app(workspace), press=list("asdfjkl;asdfjkl;asdf"), terminal_size=(120, 40))


def test_round_results_in_a_small_terminal(snap_compare, workspace):
    app = play_app(workspace, round_size=20)
    assert snap_compare(app, press=list("asdfjkl;asdfjkl;qwer"), terminal_size=(80, 24))


def test_help_in_a_small_terminal(snap_compare, workspace):
    assert snap_compare(create_app(workspace), press=["f1"], terminal_size=(80, 24))


def test_oracle_game_on_two_keys(snap_compare, workspace):
    app = create_app(workspace, "oracle", keys="fd", round_size=100)
    assert snap_compare(app, press=list("fdfdffdfdfdfddfdfdfdx"), terminal_size=(80, 24))
