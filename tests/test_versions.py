"""Model versions: a model is replaced only by a better one, earlier versions are kept, and play's default model is
the player's latest complete model of their own typing."""

from __future__ import annotations

import threading

import pytest
import torch

from keytui.data.corpus_meta import write_meta
from keytui.data.paths import BUNDLED_DIR, Workspace
from keytui.game.fit import fit_and_save
from keytui.game.versions import (
    KEEP,
    candidate_path,
    decide,
    default_play_model,
    install,
    previous_path,
    previous_versions,
)
from keytui.model.checkpoint import load_checkpoint, read_metadata, save_checkpoint
from keytui.model.training import EpochDone, TrainConfig

from .conftest import TINY_MODEL
from .test_cli import run


def copy_model(source, path, *, misleading: bool = False, **meta_changes) -> None:
    """A copy of a checkpoint with changed metadata; `misleading` makes a clearly worse model: weights zeroed, every
    guess a confident vote for the last key of the vocabulary, and none of its fitted keys kept. (A model that knows
    nothing would only be uniform, and one that keeps its fitted keys still has the n-gram and geometry experts
    fitted on them: the mixture makes up for a wrong network with those, to within noise over 120 keys.)"""
    checkpoint = load_checkpoint(source)
    fit_text = checkpoint.fit_text
    if misleading:
        with torch.no_grad():
            for parameter in checkpoint.model.parameters():
                parameter.zero_()
            checkpoint.model.head.bias[-1] = 12.0
        fit_text = ""
    save_checkpoint(path, checkpoint.model, checkpoint.vocab, {**checkpoint.meta, **meta_changes}, fit_text)


def test_a_worse_model_does_not_replace_a_better_one(tmp_path, tiny_checkpoint, small_text):
    out, candidate = tmp_path / "m.safetensors", tmp_path / "candidates" / "m.safetensors"
    copy_model(tiny_checkpoint, out)
    copy_model(tiny_checkpoint, candidate, misleading=True)
    test_keys = small_text[-120:]
    decision = decide(candidate, out, test_keys)
    assert not decision.replaced and "not better" in decision.reason
    assert decide(candidate, out, test_keys, replace=True).replaced  # unless the user says so
    assert decide(out, candidate, test_keys).replaced  # the better one does replace the worse
    cancelled = tmp_path / "c.safetensors"
    copy_model(tiny_checkpoint, cancelled, status="cancelled")
    assert not decide(cancelled, out, test_keys).replaced  # a cancelled run never replaces a complete model


def test_installing_keeps_a_few_previous_versions(tmp_path, tiny_checkpoint):
    out = tmp_path / "m.safetensors"
    contents = []
    for number in range(KEEP + 2):
        candidate = candidate_path(out)
        candidate.parent.mkdir(exist_ok=True)
        copy_model(tiny_checkpoint, candidate, run=number)
        contents.append(number)
        install(candidate, out)
        assert not candidate.exists()
    assert read_metadata(out)["run"] == KEEP + 1
    assert [read_metadata(p)["run"] for p in previous_versions(out)] == [KEEP, KEEP - 1, KEEP - 2]
    assert previous_path(out, 1).parent.name == "previous" and not previous_path(out, KEEP + 1).exists()


def fit(text, out, config, on_event=None, cancel=None, **options):
    return fit_and_save(
        text, corpus_name="small", out_path=out, model_settings=TINY_MODEL, train_config=config,
        on_event=on_event, cancel=cancel, corpus_kind="typing", **options,
    )  # fmt: skip


def test_cancel_and_a_worse_run_keep_the_previous_complete_model(tmp_path, tiny_checkpoint, small_text):
    out = tmp_path / "m.safetensors"
    copy_model(tiny_checkpoint, out)
    before = out.read_bytes()
    cancel = threading.Event()

    def cancel_after_first_epoch(event):
        if isinstance(event, EpochDone):
            cancel.set()

    config = TrainConfig(epochs=50, seq_len=32, batch_size=8)
    outcome = fit(small_text, out, config, cancel_after_first_epoch, cancel)
    assert outcome.result.stopped == "cancelled" and not outcome.decision.replaced
    assert out.read_bytes() == before and outcome.checkpoint == candidate_path(out) and candidate_path(out).exists()
    assert outcome.installed == out


def test_a_crash_mid_training_leaves_the_previous_model_whole(tmp_path, tiny_checkpoint, small_text):
    out = tmp_path / "m.safetensors"
    copy_model(tiny_checkpoint, out)
    before = out.read_bytes()

    def crash(event):
        if isinstance(event, EpochDone) and event.epoch == 2:
            raise RuntimeError("power cut")

    with pytest.raises(RuntimeError):
        fit(small_text, out, TrainConfig(epochs=5, seq_len=32, batch_size=8), crash)
    assert out.read_bytes() == before and candidate_path(out).exists()


def test_plays_default_model_is_the_latest_complete_model_of_the_players_typing(tmp_path, tiny_checkpoint):
    ws = Workspace(tmp_path).ensure()
    assert default_play_model(ws) == BUNDLED_DIR / "demo.safetensors"
    (ws.corpora / "keys.txt").write_text("abc")
    write_meta(ws.corpora / "sim.txt", "synthetic")
    copy_model(tiny_checkpoint, ws.checkpoints / "mine.safetensors", corpus={"name": "keys", "kind": "typing"},
               created="2026-01-01T00:00:00", status="early_stop")  # fmt: skip
    copy_model(tiny_checkpoint, ws.checkpoints / "newer-but-cancelled.safetensors", status="cancelled",
               corpus={"name": "keys", "kind": "typing"}, created="2026-06-01T00:00:00")  # fmt: skip
    copy_model(tiny_checkpoint, ws.checkpoints / "synthetic.safetensors", corpus={"name": "sim"},
               created="2026-06-01T00:00:00", status="early_stop")  # fmt: skip
    copy_model(tiny_checkpoint, ws.checkpoints / "text.safetensors", corpus={"name": "x", "kind": "text"},
               created="2026-06-01T00:00:00", status="early_stop")  # fmt: skip
    assert default_play_model(ws) == ws.checkpoints / "mine.safetensors"


def test_plays_default_model_passes_over_the_demo_linked_in_and_a_model_of_an_unnameable_corpus(
    tmp_path, tiny_checkpoint
):
    # A clone of the repository is a workspace whose checkpoints/demo.safetensors links to the shipped prior, and the
    # prior's corpus is named "synthetic typists": no corpus here can have that name. `keytui play` from a fresh clone
    # must still start on the demo, not stop on a bad corpus name.
    ws = Workspace(tmp_path).ensure()
    (ws.checkpoints / "demo.safetensors").symlink_to(BUNDLED_DIR / "demo.safetensors")
    copy_model(tiny_checkpoint, ws.checkpoints / "old.safetensors", corpus={"name": "synthetic typists"},
               created="2026-06-01T00:00:00", status="early_stop")  # fmt: skip
    assert default_play_model(ws) == BUNDLED_DIR / "demo.safetensors"


def test_train_twice_into_one_name_keeps_and_lists_the_previous(home, capsys, small_text):
    (home / "corpora" / "keys.txt").write_text(small_text)
    argv = ["train", "--epochs", "1", "--hidden", "8", "--layers", "1", "--embedding", "4", "--seq-len", "16",
            "--no-memory", "--from-scratch", "--headless", "--json"]  # fmt: skip
    assert run(capsys, *argv)[0] == 0
    code, out, _ = run(capsys, *argv, "--replace")
    assert code == 0 and '"replaced": true' in out
    code, out, _ = run(capsys, "list")
    assert "previous version 1:" in out and "keys.1.safetensors" in out
    models = out.split("models:")[1].splitlines()
    assert "<- play's default" in next(line for line in models if line.strip().startswith("keys "))
