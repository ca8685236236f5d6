"""--layout in record, train and play: kept in the corpus's sidecar and the checkpoint's metadata."""

from __future__ import annotations

import json

import pytest

from keytui.data.corpus_meta import read_layout
from keytui.model.checkpoint import read_metadata

from .conftest import TINY_MODEL
from .test_cli import run


def test_record_keeps_the_layout_and_a_corpus_keeps_one_layout(home, capsys, monkeypatch):
    code, out, _ = run(
        capsys, "record", "--headless", "--corpus", "dv", "--layout", "dvorak", stdin="aoeu", monkeypatch=monkeypatch
    )
    assert code == 0 and "(dvorak)" in out
    assert read_layout(home / "corpora" / "dv.txt") == "dvorak"
    code, out, _ = run(capsys, "record", "--headless", "--corpus", "dv", stdin="htns", monkeypatch=monkeypatch)
    assert code == 0 and "(dvorak)" in out  # the corpus's layout when none is asked for
    code, _, err = run(
        capsys, "record", "--headless", "--corpus", "dv", "--layout", "qwerty", stdin="x", monkeypatch=monkeypatch
    )
    assert code == 1 and err.count("\n") == 1 and "holds keys typed on dvorak" in err
    assert (home / "corpora" / "dv.txt").read_text() == "aoeuhtns"  # nothing written


def test_an_unknown_layout_is_a_one_line_usage_error(home, capsys):
    for command in ("record", "train", "play"):
        with pytest.raises(SystemExit) as exit_info:
            run(capsys, command, "--layout", "bepo")
        _, err = capsys.readouterr()
        assert exit_info.value.code == 2 and err.count("\n") == 1 and "invalid choice: 'bepo'" in err


def test_training_copies_the_corpus_layout_and_play_follows_it(home, capsys, monkeypatch, small_text):
    (home / "corpora" / "small.txt").write_text(small_text)
    run(capsys, "record", "--headless", "--corpus", "small", stdin="", monkeypatch=monkeypatch)
    from keytui.data.corpus_meta import set_layout

    set_layout(home / "corpora" / "small.txt", "colemak")
    argv = ["train", "--corpus", "small", "--out", "m", "--epochs", "1", "--hidden", str(TINY_MODEL["hidden_size"])]
    code, out, err = run(capsys, *argv, "--layers", "1", "--seq-len", "32", "--no-memory", "--from-scratch", "--json")
    assert code == 0, err
    assert json.loads(out)["layout"] == "colemak"
    assert read_metadata(home / "checkpoints" / "m.safetensors")["layout"] == "colemak"
    # a new corpus played into takes the model's layout; an old model (the demo) means qwerty
    code, out, _ = run(
        capsys, "play", "--model", "m", "--corpus", "fresh", "--headless", stdin="arst", monkeypatch=monkeypatch
    )
    assert code == 0 and json.loads(out)["layout"] == "colemak"
    assert read_layout(home / "corpora" / "fresh.txt") == "colemak"
    code, out, _ = run(
        capsys, "play", "--model", "demo", "--no-append", "--headless", stdin="asdf", monkeypatch=monkeypatch
    )
    assert code == 0 and json.loads(out)["layout"] == "qwerty"


async def test_the_record_heatmap_draws_the_corpus_layout(home):
    from keytui.data.paths import Workspace
    from keytui.tui.app import create_app
    from keytui.tui.widgets.keyboard import KeyboardHeatmap

    corpus = home / "corpora" / "fr.txt"
    app = create_app(Workspace(home), "record", corpus=str(corpus), layout="azerty", chart_interval=None)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("a", "1", "exclamation_mark")
        heatmap = app.screen.query_one(KeyboardHeatmap)
        rows = heatmap.render().plain.splitlines()
        assert rows[1].split()[:3] == ["a", "z", "e"] and rows[3].split()[:2] == ["<", "w"]
        assert heatmap.caps == {"a": 1, "&": 1, "!": 1}  # 1 is shift+& on azerty


def test_simulate_a_random_typist_on_a_layout(home, capsys):
    from keytui.data.keyboard import get_layout

    code, out, _ = run(capsys, "simulate", "--persona", "random", "--layout", "azerty", "--seed", "4", "--keys", "600")
    assert code == 0
    text = out.rstrip("\n")
    assert len(text) == 600 and set(text) <= set(get_layout("azerty").characters)
    assert set(text) - set(get_layout("qwerty").characters)  # azerty's own letters show up: é, è, ç, à, ...
