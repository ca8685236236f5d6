import io
import json
import subprocess
import sys

import pytest

from keytui.cli.main import main
from keytui.model.training import split_text

from .conftest import TINY_MODEL


def run(capsys, *argv, stdin: str | None = None, monkeypatch=None):
    if stdin is not None:
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_simulate_import_stats_and_list(home, tmp_path, capsys):
    code, out, _ = run(capsys, "simulate", "--persona", "drummer", "--keys", "500", "--seed", "2", "--name", "sim")
    assert code == 0 and "SYNTHETIC" in out
    assert len((home / "corpora" / "sim.txt").read_text()) == 500
    source = tmp_path / "mine.txt"
    source.write_bytes(b"hello\r\nworld")
    code, out, _ = run(capsys, "import", str(source), "--name", "mine")
    assert code == 0 and (home / "corpora" / "mine.txt").read_text() == "hello\nworld"
    code, out, _ = run(capsys, "stats", "mine", "--json")
    stats = json.loads(out)
    assert stats["keys"] == 11 and stats["counts"]["l"] == 3
    code, out, _ = run(capsys, "list")
    assert "sim" in out and "mine" in out and "demo" in out


def test_record_headless_appends_printable_keys(home, capsys, monkeypatch):
    code, out, _ = run(
        capsys, "record", "--headless", "--corpus", "rec", stdin="ab c\n\x07d\x1be\n", monkeypatch=monkeypatch
    )
    assert code == 0 and "recorded 5 keys" in out  # ESC e is Alt+e, not a key
    run(capsys, "record", "--headless", "--corpus", "rec", stdin="ef", monkeypatch=monkeypatch)
    assert (home / "corpora" / "rec.txt").read_text() == "ab cdef"


def test_train_eval_and_play_headless(home, capsys, monkeypatch, small_text):
    (home / "corpora" / "small.txt").write_text(small_text)
    code, out, err = run(
        capsys,
        "train",
        "--corpus",
        "small",
        "--out",
        "m",
        "--epochs",
        "2",
        "--hidden",
        str(TINY_MODEL["hidden_size"]),
        "--layers",
        "1",
        "--seq-len",
        "32",
        "--no-memory",
        "--from-scratch",
        "--json",
    )
    assert code == 0, err
    summary = json.loads(out)
    assert summary["checkpoint"].endswith("m.safetensors") and summary["epochs"] == 2
    assert summary["memory"] == {"expert": False} and set(summary["predictor"]) == {"frozen", "adaptive"}
    assert "epoch   1/2" in err  # progress lines go to stderr when stdout carries JSON
    code, out, _ = run(capsys, "eval", "--model", "m", "--corpus", "small", "--split", "all", "--json")
    report = json.loads(out)
    assert report["n"] == len(small_text) and report["split"] == "all"
    code, out, _ = run(capsys, "eval", "--model", "m", "--corpus", "small", "--json")
    assert json.loads(out)["n"] == len(split_text(small_text).test)  # by default, only keys it never trained on
    code, out, _ = run(capsys, "eval", "--model", "m", "--corpus", "small")
    assert "never trained on" in out and "adaptive n-gram" not in out and "n-gram" in out
    code, out, _ = run(capsys, "eval", "--model", "m", "--corpus", "small", "--split", "all")
    assert "including the ones the model trained on" in out
    assert set(report["baselines"]) == {"majority", "ngram"}
    assert set(report["model"]) == {"hit_rate", "top3_hit_rate", "macro_f1", "weighted_f1", "bits_per_char"}
    # --no-memory: no memory expert; frozen: none of the experts that only learn from the player
    assert set(report["experts"]) == {"network", "ngram", "geometry"}
    assert 0 <= report["calibration_error"] <= 1
    assert all(0 <= e["hit_rate"] <= 1 and e["bits_per_char"] > 0 for e in report["experts"].values())
    code, out, _ = run(capsys, "eval", "--model", "m", "--corpus", "small", "--adapt", "--json")
    assert set(json.loads(out)["experts"]) == {"network", "cache", "ngram", "player", "copy", "recent", "geometry"}
    code, out, _ = run(capsys, "eval", "--model", "m", "--corpus", "small", "--adapt")
    assert code == 0 and "  copy" in out and "calibration error of the confidence shown" in out
    code, out, _ = run(
        capsys,
        "play",
        "--model",
        "m",
        "--corpus",
        "played",
        "--round",
        "10",
        stdin=small_text[:35],
        monkeypatch=monkeypatch,
    )
    game = json.loads(out)
    assert game["n"] == 35 and len(game["rounds"]) == 3
    assert (home / "corpora" / "played.txt").read_text() == small_text[:35]


def test_train_text_output_and_reference_preset_validation(home, capsys, small_text):
    (home / "corpora" / "small.txt").write_text(small_text)
    code, out, _ = run(
        capsys,
        "train",
        "--corpus",
        "small",
        "--epochs",
        "1",
        "--arch",
        "lstm-attn",
        "--hidden",
        "8",
        "--layers",
        "1",
        "--from-scratch",
        "--headless",
    )
    assert code == 0 and "epoch   1/1" in out and "saved" in out and "baseline n-gram" in out
    assert "predictor (adaptive): hit" in out  # the test keys replayed through play's predictor
    assert "baseline adaptive n-gram" in out and "ngram_adaptive" not in out
    assert "1 epoch run (all asked for)" in out or "early stopping after 1 epoch" in out


@pytest.mark.parametrize(
    ("argv", "setup", "message"),
    [
        (["train", "--corpus", "missing"], None, "no corpus 'missing'"),
        (["train", "--corpus", "short"], ("short.txt", b"abc" * 30), "needs at least 200"),
        (["train", "--corpus", "bin"], ("bin.txt", b"\x00\x01" * 200), "binary"),
        (["train", "--corpus", "latin"], ("latin.txt", b"caf\xe9" * 100), "not UTF-8"),
        (["train", "--corpus", "empty"], ("empty.txt", b""), "is empty"),
        (["play", "--model", "nothing"], None, "no model 'nothing'"),
        (["play", "--model", "junk"], ("../checkpoints/junk.safetensors", b"not a model at all"), "not a keytui model"),
        (["eval", "--model", "demo", "--corpus", "none"], None, "no corpus 'none'"),
        (["import", "/nonexistent/file.txt", "--name", "x"], None, "no such file"),
        (["import", "/etc/hostname", "--name", "../escape"], None, "not valid"),
        (["stats", "missing"], None, "no corpus"),
    ],
)
def test_bad_input_is_one_line_and_a_non_zero_exit(home, capsys, argv, setup, message):
    if setup:
        (home / "corpora" / setup[0]).write_bytes(setup[1])
    code, _, err = run(capsys, *argv)
    assert code != 0
    assert message in err
    assert err.count("\n") == 1 and err.startswith("keytui: error: ")
    assert "Traceback" not in err


def test_help_does_not_import_torch_or_textual():
    code = (
        "import sys; from keytui.cli.main import build_parser\n"
        "try:\n    build_parser().parse_args(['--help'])\nexcept SystemExit:\n    pass\n"
        "print(sorted(m for m in ('torch', 'textual', 'numpy') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip().splitlines()[-1] == "[]"


def test_the_installed_command_runs():
    result = subprocess.run([sys.executable, "-m", "keytui", "--version"], capture_output=True, text=True)
    assert result.returncode == 0 and result.stdout.startswith("keytui ")


@pytest.mark.parametrize(
    "argv",
    [
        ["train", "--epochs", "many"],
        ["train", "--epochs", "0"],
        ["play", "--round"],
        ["frobnicate"],
        ["eval", "--model", "demo"],
    ],
)
def test_usage_mistakes_are_one_line(capsys, argv):
    with pytest.raises(SystemExit) as info:
        main(argv)
    err = capsys.readouterr().err
    assert info.value.code == 2
    assert err.count("\n") == 1 and err.startswith("keytui: error: ") and "--help" in err


def test_an_unwritable_workspace_is_one_line(capsys, monkeypatch, tmp_path):
    from keytui.data.paths import Workspace

    def refuse(self):
        raise PermissionError(13, "Permission denied", str(self.corpora))

    monkeypatch.setattr(Workspace, "ensure", refuse)
    code, _, err = run(capsys, "--home", str(tmp_path), "simulate", "--keys", "10", "--name", "x")
    assert code == 1 and err == f"keytui: error: Permission denied: {tmp_path / 'corpora'}\n"


def test_small_cli_things(home, capsys, monkeypatch):
    """--home after the command is explained; a closed pipe is no error; train --help shows defaults; personas are
    listed; a few hundred keys' entropy comes with a bias-corrected figure and a caveat."""
    for argv, expected in (
        (["list", "--home", "x"], "--home goes before the command: keytui --home DIR COMMAND"),
        (["simulate", "--persona", "robot"], "invalid choice: 'robot' (choose from 'masher', 'roller'"),
    ):
        with pytest.raises(SystemExit):
            main(argv)
        assert expected in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["train", "--help"])
    helps = " ".join(capsys.readouterr().out.split())
    assert "maximum epochs, in [1, 10,000] (default: 60)" in helps  # each numeric flag shows its range too
    assert "recurrent hidden size, in [1, 1,024] (default: 150)" in helps

    def closed_pipe(*args, **kwargs):
        raise BrokenPipeError(32, "Broken pipe")

    with monkeypatch.context() as patch:
        patch.setattr("builtins.print", closed_pipe)
        patch.setattr("keytui.cli.main._silence_stdout", lambda: None)
        assert main(["list"]) == 0
    assert capsys.readouterr().err == ""
    from keytui.synthetic.simulate import simulate

    (home / "corpora" / "few.txt").write_text(simulate("chaotic", 300, seed=1))
    out = run(capsys, "stats", "few")[1]
    assert "bias-corrected" in out and "caveat: on 300 keys" in out
    report = json.loads(run(capsys, "stats", "few", "--json")[1])
    assert report["entropy2_bits_corrected"] > report["entropy2_bits"] and report["caveat"]


def test_eval_of_the_pretrained_demo_gives_the_baselines_the_corpus_to_learn_from(home, capsys):
    # demo was fitted on no person's keys: frozen on nothing, the baselines guessed nothing (0% hit, 30 bits/key)
    run(capsys, "simulate", "--persona", "drummer", "--keys", "2000", "--seed", "3", "--name", "drums")
    code, out, _ = run(capsys, "eval", "--model", "demo", "--corpus", "drums", "--json")
    baselines = json.loads(out)["baselines"]
    assert code == 0
    assert baselines["majority"]["hit_rate"] > 0 and baselines["ngram"]["hit_rate"] > 0.1
    assert baselines["ngram"]["bits_per_char"] < 10
    code, out, _ = run(capsys, "eval", "--model", "demo", "--corpus", "drums")
    assert "majority key " in out  # the baseline's name in full, not cut to "majority k"
