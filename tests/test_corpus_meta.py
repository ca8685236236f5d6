"""Corpus kinds: typing, text or synthetic, kept in a sidecar; typing is appended only to typing."""

from __future__ import annotations

import json

import pytest

from keytui.cli.main import main
from keytui.data.corpus_meta import (
    check_typing_target,
    meta_path,
    read_layout,
    read_meta,
    set_layout,
    update_meta,
    write_meta,
)
from keytui.data.paths import BUNDLED_DIR
from keytui.errors import KeytuiError

from .test_cli import run


def test_a_corpus_without_a_sidecar_is_typing_unless_bundled(tmp_path):
    assert read_meta(tmp_path / "keys.txt").kind == "typing"
    assert read_meta(BUNDLED_DIR / "demo.txt").kind == "synthetic"
    assert meta_path(tmp_path / "a.b.txt") == tmp_path / "a.b.meta.json"


def test_sidecar_round_trip_keeps_other_fields_and_the_layout(tmp_path):
    corpus = tmp_path / "keys.txt"
    write_meta(corpus, "text", origin="x")
    assert read_meta(corpus).kind == "text" and read_layout(corpus) == "qwerty"
    set_layout(corpus, "dvorak")
    update_meta(corpus, note=1)
    data = json.loads(meta_path(corpus).read_text())
    assert data["kind"] == "text" and data["layout"] == "dvorak" and data["origin"] == "x" and data["note"] == 1
    assert data["created"][:2] == "20"
    assert [p.name for p in tmp_path.iterdir()] == ["keys.meta.json"]  # written atomically, no temporary left


def test_a_broken_sidecar_is_a_one_line_error(tmp_path):
    corpus = tmp_path / "keys.txt"
    meta_path(corpus).write_text("{not json")
    with pytest.raises(KeytuiError, match="not valid JSON"):
        read_meta(corpus)
    meta_path(corpus).write_text('{"kind": "poetry"}')
    with pytest.raises(KeytuiError, match="no valid kind"):
        read_meta(corpus)


def test_typing_goes_only_to_typing(tmp_path):
    keys = tmp_path / "keys.txt"
    assert check_typing_target(keys).kind == "typing" and meta_path(keys).exists()  # labelled from the start
    write_meta(tmp_path / "apache.txt", "text")
    with pytest.raises(KeytuiError, match=r"'apache' is an imported text.*'keys'"):
        check_typing_target(tmp_path / "apache.txt")
    with pytest.raises(KeytuiError, match="ships with keytui"):
        check_typing_target(BUNDLED_DIR / "demo.txt")


def test_commands_label_what_they_write_and_refuse_typing_into_a_text(home, tmp_path, capsys, monkeypatch):
    source = tmp_path / "apache.txt"
    source.write_text("Licensed under the Apache License")
    assert run(capsys, "import", str(source), "--name", "apache")[0] == 0
    assert read_meta(home / "corpora" / "apache.txt").kind == "text"
    assert run(capsys, "simulate", "--keys", "300", "--name", "sim")[0] == 0
    assert read_meta(home / "corpora" / "sim.txt").kind == "synthetic"
    for argv in (("record", "--headless", "--corpus", "apache"), ("play", "--headless", "--corpus", "sim")):
        code, out, err = run(capsys, *argv, stdin="abc", monkeypatch=monkeypatch)
        assert code == 1 and len(err.strip().splitlines()) == 1 and "'keys'" in err, err
    assert (home / "corpora" / "apache.txt").read_text() == "Licensed under the Apache License"
    assert len((home / "corpora" / "sim.txt").read_text()) == 300
    assert run(capsys, "record", "--headless", stdin="abc", monkeypatch=monkeypatch)[0] == 0
    assert read_meta(home / "corpora" / "keys.txt").kind == "typing"
    code, out, _ = run(capsys, "list")
    lines = {line.split()[0]: line for line in out.splitlines() if line.startswith("  ")}
    assert lines["apache"].endswith("text") and lines["sim"].endswith("synthetic") and lines["keys"].endswith("typing")


def test_a_shipped_name_is_not_shadowed_without_force(home, tmp_path, capsys):
    source = tmp_path / "t.txt"
    source.write_text("hello")
    code, _, err = run(capsys, "import", str(source), "--name", "demo")
    assert code == 1 and "keytui ships" in err and not (home / "corpora" / "demo.txt").exists()
    code, _, err = run(capsys, "simulate", "--keys", "300", "--name", "demo")
    assert code == 1 and "keytui ships" in err
    assert run(capsys, "import", str(source), "--name", "demo", "--force")[0] == 0
    assert read_meta(home / "corpora" / "demo.txt").kind == "text"


def test_checkpoint_records_its_corpus_kind(home, capsys, small_text):
    corpus = home / "corpora" / "small.txt"
    corpus.write_text(small_text)
    write_meta(corpus, "synthetic")
    code, out, _ = run(
        capsys, "train", "--corpus", "small", "--epochs", "1", "--hidden", "8", "--layers", "1", "--embedding", "4",
        "--seq-len", "16", "--no-memory", "--from-scratch", "--headless",
    )  # fmt: skip
    assert code == 0, out
    from keytui.model.checkpoint import read_metadata

    assert read_metadata(home / "checkpoints" / "small.safetensors")["corpus"]["kind"] == "synthetic"
    assert main(["--home", str(home), "list"]) == 0
