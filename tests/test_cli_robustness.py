"""Smaller promises: a closed pipe is not an error; play says why it cannot keep keys; stale temporaries go."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from keytui.cli.main import main
from keytui.data.corpus import CorpusWriter
from keytui.data.paths import Workspace
from keytui.tui.app import create_app
from keytui.tui.play import PlayScreen

REPO = Path(__file__).resolve().parents[1]


def test_a_closed_pipe_ends_quietly_with_status_0(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(REPO), "KEYTUI_HOME": str(tmp_path)}
    for command in (["stats", "demo"], ["list"]):
        process = subprocess.Popen(
            [sys.executable, "-m", "keytui", *command], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env
        )
        process.stdout.close()  # like `| head` that has read all it wanted before keytui writes
        err = process.stderr.read()
        assert process.wait(timeout=60) == 0, err
        assert err == b""


def test_headless_play_into_a_corpus_recorded_elsewhere_says_to_use_no_append(tmp_path, capsys):
    Workspace(tmp_path).ensure()
    with CorpusWriter(tmp_path / "corpora" / "keys.txt"):
        assert main(["--home", str(tmp_path), "play", "--headless", "--model", "demo"]) == 1
    err = capsys.readouterr().err
    assert "being recorded by another keytui" in err and "--no-append" in err and err.count("\n") == 1


async def test_the_play_screen_plays_on_without_keeping_keys_when_the_corpus_is_busy(tmp_path):
    workspace = Workspace(tmp_path).ensure()
    corpus = workspace.corpora / "keys.txt"
    with CorpusWriter(corpus, timestamps=False) as recorder:
        recorder.write("x")
        app = create_app(workspace, "play", model="demo", corpus=str(corpus))
        app.options["model"] = str(workspace.checkpoint_path("demo"))
        async with app.run_test(size=(100, 32)) as pilot:
            await pilot.press("a", "b")
            screen = app.screen
            assert isinstance(screen, PlayScreen) and screen.game.total.n == 2 and screen.writer is None
            assert any("being recorded" in n.message for n in app._notifications)
    assert corpus.read_text() == "x"


def test_stale_temporaries_are_cleaned_when_keytui_starts(tmp_path):
    Workspace(tmp_path).ensure()
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    stale = tmp_path / "checkpoints" / f".m.safetensors.{int(dead.stdout)}.tmp"
    stale.write_bytes(b"half a checkpoint")
    assert main(["--home", str(tmp_path), "list"]) == 0
    assert not stale.exists()


def test_eval_reports_progress_and_scores_as_one_replay(monkeypatch):
    from keytui.game import evaluation
    from keytui.model.checkpoint import load_checkpoint
    from keytui.synthetic.simulate import simulate

    checkpoint = load_checkpoint(Workspace(Path("/nonexistent")).checkpoint_path("demo"))
    text = simulate("masher", 350, seed=4)
    whole = evaluation.evaluate_corpus(checkpoint, text)
    monkeypatch.setattr(evaluation, "PROGRESS_KEYS", 100)
    heard: list[tuple[str, int, int]] = []
    sliced = evaluation.evaluate_corpus(checkpoint, text, on_progress=lambda *args: heard.append(args))
    assert sliced == whole
    assert [done for name, done, _ in heard if name == "model"] == [100, 200, 300, 350]
