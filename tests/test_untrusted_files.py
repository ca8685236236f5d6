"""Every file keytui reads is untrusted, and goes through one guard (keytui/files.py): a FIFO, a link to /dev/zero,
bytes that are not UTF-8, JSON nested 100,000 deep or JSON of the wrong types give one line (or the defaults), never
a hang, a traceback or a MemoryError. Each reader runs under an alarm, so a hang fails the test instead of stalling.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
from pathlib import Path

import pytest

from keytui.data.corpus_meta import (
    check_typing_target,
    corpus_kind,
    known_kind,
    read_layout,
    read_meta,
    sidecar_problem,
)
from keytui.data.history import History
from keytui.data.settings import load_settings, saved_theme
from keytui.errors import KeytuiError
from keytui.oracle.store import GameStore, GameWriter

HOSTILE = ["fifo", "dev-zero", "not-utf8", "deep-json", "wrong-types"]
SECONDS = 60  # a hang guard, not a timing: the first list imports torch on a busy machine


def make_hostile(path: Path, kind: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "dev-zero":
        path.symlink_to("/dev/zero")
    elif kind == "not-utf8":
        path.write_bytes(b'{"kind": "typing", "layout": "\xff\xfe"}\n')
    elif kind == "deep-json":
        path.write_bytes(b"[" * 100_000 + b"]" * 100_000 + b"\n")
    else:
        path.write_bytes(b'["typing", 5]\n{"kind": 5, "hit_rate": "high", "theme": 7}\n')


@contextlib.contextmanager
def deadline(seconds: int = SECONDS):
    def timeout(*_):
        raise TimeoutError(f"a read took more than {seconds}s (a hang)")

    previous = signal.signal(signal.SIGALRM, timeout)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def one_line(exc: BaseException) -> str:
    message = str(exc)
    assert message and "\n" not in message and len(message) < 400, message
    return message


@pytest.fixture
def corpus(tmp_path) -> Path:
    path = tmp_path / "corpora" / "keys.txt"
    path.parent.mkdir()
    path.write_text("asdfasdf")
    return path


@pytest.mark.parametrize("kind", HOSTILE)
def test_a_hostile_corpus_sidecar_is_one_line_for_writers_and_a_default_for_readers(corpus, kind):
    make_hostile(corpus.with_name("keys.meta.json"), kind)
    with deadline():
        with pytest.raises(KeytuiError) as refused:
            read_meta(corpus)
        assert "keys.meta.json" in one_line(refused.value)
        with pytest.raises(KeytuiError):  # record and play add keys only where the sidecar says typing
            check_typing_target(corpus)
        assert corpus_kind(corpus) == "?" and known_kind(corpus) is None  # list, the home screen, train
        assert read_layout(corpus) == "qwerty"  # the layout only tunes an expert: the default, not a refusal
        assert sidecar_problem(corpus) == str(refused.value)


@pytest.mark.parametrize("kind", HOSTILE)
def test_list_shows_a_corpus_with_a_hostile_sidecar_and_goes_on(tmp_path, corpus, kind, capsys):
    from keytui.cli.main import main

    (tmp_path / "checkpoints").mkdir()
    make_hostile(corpus.with_name("keys.meta.json"), kind)
    with deadline():
        assert main(["--home", str(tmp_path), "list"]) == 0
    line = next(line for line in capsys.readouterr().out.splitlines() if line.strip().startswith("keys "))
    assert line.rstrip().endswith("?")


@pytest.mark.parametrize("kind", ["fifo", "dev-zero"])
def test_a_history_that_is_not_a_regular_file_is_one_line_and_the_game_goes_on(tmp_path, kind):
    from keytui.game.session import GameSession
    from keytui.predictors import MajorityPredictor, NGramPredictor

    path = tmp_path / "history.jsonl"
    make_hostile(path, kind)
    with deadline():
        with pytest.raises(KeytuiError) as refused:
            History(path).read()
        assert "history" in one_line(refused.value)
        game = GameSession(
            NGramPredictor("asdf"), MajorityPredictor("asdf"), round_size=5, history=History(path), model_label="t"
        )
        for key in "asdfasdfas":  # two round ends: each reads and appends the history
            if game.press(key).round_over:
                game.next_round()
            game.settle()
    assert game.total.n == 10 and game.history_error
    one_line(KeytuiError(game.history_error))


@pytest.mark.parametrize("kind", ["not-utf8", "deep-json", "wrong-types"])
def test_hostile_history_lines_are_skipped_and_counted(tmp_path, kind):
    path = tmp_path / "history.jsonl"
    make_hostile(path, kind)
    with deadline():
        read = History(path).read()
    assert read.records == [] and read.skipped == len(path.read_bytes().strip().split(b"\n"))


@pytest.mark.parametrize("kind", ["fifo", "dev-zero"])
def test_history_command_refuses_a_history_that_is_not_a_file_in_one_line(tmp_path, kind, capsys):
    from keytui.cli.main import main

    for folder in ("corpora", "checkpoints"):
        (tmp_path / folder).mkdir()
    make_hostile(tmp_path / "history.jsonl", kind)
    with deadline():
        assert main(["--home", str(tmp_path), "history"]) == 1
    one_line(KeytuiError(capsys.readouterr().err.strip()))


@pytest.mark.parametrize("kind", HOSTILE)
def test_a_hostile_few_key_store_is_no_prior_and_no_scores(tmp_path, kind):
    store = GameStore(tmp_path, "fd")
    make_hostile(store.path, kind)
    make_hostile(store.scores_path, kind)
    with deadline():
        games, scores = store.games(), store.scores()
    assert scores == []
    assert all(set(game) <= set("fd") for game in games)


@pytest.mark.parametrize("kind", ["fifo", "dev-zero"])
def test_a_few_key_game_refuses_a_store_that_is_not_a_file_in_one_line(tmp_path, kind):
    store = GameStore(tmp_path, "fd")
    make_hostile(store.path, kind)
    with deadline(), pytest.raises(KeytuiError) as refused:
        GameWriter(store)
    one_line(refused.value)


@pytest.mark.parametrize("kind", HOSTILE)
def test_hostile_settings_give_the_defaults(tmp_path, kind):
    path = tmp_path / "settings.json"
    make_hostile(path, kind)
    with deadline():
        assert load_settings(path) == {} and saved_theme(path) is None


@pytest.mark.parametrize("kind", HOSTILE)
def test_a_hostile_checkpoint_is_listed_as_broken_and_refused_by_play(tmp_path, kind, capsys):
    from keytui.cli.main import main
    from keytui.model.checkpoint import load_checkpoint, read_metadata, verify_checkpoint

    (tmp_path / "corpora").mkdir()
    path = tmp_path / "checkpoints" / "bad.safetensors"
    make_hostile(path, kind)
    with deadline():
        for reader in (read_metadata, verify_checkpoint, load_checkpoint):
            with pytest.raises(KeytuiError) as refused:
                reader(path)
            one_line(refused.value)
        assert main(["--home", str(tmp_path), "list"]) == 0
    line = next(line for line in capsys.readouterr().out.splitlines() if line.strip().startswith("bad "))
    assert "broken:" in line


def test_a_checkpoint_with_a_corpus_that_is_not_an_object_is_passed_over_by_play_and_list(tmp_path, capsys):
    """`"corpus": "x"` in any file in checkpoints/ crashed `keytui play`, `list` and the home screen."""
    import struct

    from keytui.cli.main import main
    from keytui.data.paths import Workspace
    from keytui.game.versions import default_play_model
    from keytui.model.checkpoint import CHECKSUM, checkpoint_hash

    ws = Workspace(tmp_path).ensure()
    demo = Path(__file__).parent.parent / "keytui" / "demo" / "demo.safetensors"
    data = demo.read_bytes()
    (n,) = struct.unpack("<Q", data[:8])
    header, body = json.loads(data[8 : 8 + n]), data[8 + n :]
    meta = json.loads(header["__metadata__"]["meta"])
    header["__metadata__"]["meta"] = json.dumps({**meta, "corpus": "x", "status": "early_stop"})
    named = [(k, body[v["data_offsets"][0] : v["data_offsets"][1]]) for k, v in header.items() if k != "__metadata__"]
    header["__metadata__"][CHECKSUM] = checkpoint_hash(header["__metadata__"], named)  # sealed: only types can tell
    raw = json.dumps(header).encode()
    (ws.checkpoints / "odd.safetensors").write_bytes(struct.pack("<Q", len(raw)) + raw + body)
    assert default_play_model(ws).name == "demo.safetensors"
    assert main(["--home", str(tmp_path), "list"]) == 0
    line = next(line for line in capsys.readouterr().out.splitlines() if line.strip().startswith("odd "))
    assert "broken: odd.safetensors has broken metadata (corpus is not dict)" in line


def test_the_shipped_demo_carries_the_checksum_over_its_metadata():
    import struct

    from keytui.model.checkpoint import CHECKSUM, verify_checkpoint
    from keytui.model.prior import PRIOR_PATH

    data = PRIOR_PATH.read_bytes()
    (n,) = struct.unpack("<Q", data[:8])
    assert CHECKSUM in json.loads(data[8 : 8 + n])["__metadata__"]
    verify_checkpoint(PRIOR_PATH)


@pytest.mark.parametrize("kind", ["fifo", "dev-zero", "deep-json"])
async def test_the_home_screen_appears_over_every_hostile_file(tmp_path, kind):
    """A hostile sidecar, history, model or settings file crashed the home screen or kept it from appearing."""
    from textual.widgets import OptionList

    from keytui.data.paths import Workspace
    from keytui.tui.app import create_app

    ws = Workspace(tmp_path / "ws").ensure()
    (ws.corpora / "keys.txt").write_text("asdfasdf")
    make_hostile(ws.corpora / "keys.meta.json", kind)
    make_hostile(ws.root / "history.jsonl", kind)
    make_hostile(ws.checkpoints / "bad.safetensors", kind)
    make_hostile(Path(os.environ["XDG_CONFIG_HOME"]) / "keytui" / "settings.json", kind)
    app = create_app(ws)
    with deadline():
        async with app.run_test(size=(100, 32)):

            def names(selector: str) -> list[str]:
                options = app.screen.query_one(selector, OptionList)
                return [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]

            assert any(name.startswith("keys") and "?" in name for name in names("#corpora"))
            assert any(name.startswith("bad") and "broken" in name for name in names("#models"))
