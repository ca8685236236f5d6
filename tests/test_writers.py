"""Writers never replace what they should not, and never leave half a record.

One rule for model outputs (`versions.check_model_output`: a keytui model or nothing, never a corpus, someone's file
or the shipped prior), one lock per trained name, all-or-nothing corpus replacement (corpus, timestamps and sidecar
together), and one `write` per appended record, cut back on a short one (`files.append_whole`).
"""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest

from keytui.data.history import GameRecord, History, now_iso
from keytui.errors import KeytuiError
from keytui.oracle.store import GameStore, GameWriter

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
def ws(tmp_path) -> Path:
    for folder in ("corpora", "checkpoints"):
        (tmp_path / folder).mkdir()
    (tmp_path / "corpora" / "keys.txt").write_text("asdf" * 300)
    return tmp_path


def run(*argv: str) -> int:
    from keytui.cli.main import main

    return main(list(argv))


def test_train_refuses_to_write_its_model_over_a_corpus(ws, capsys):
    corpus = ws / "corpora" / "keys.txt"
    before = corpus.read_bytes()
    assert run("--home", str(ws), "train", "--corpus", "keys", "--out", str(corpus), "--epochs", "1") == 1
    assert "keys.txt" in capsys.readouterr().err and corpus.read_bytes() == before


def test_train_refuses_a_relative_path_to_the_shipped_prior(ws, capsys, monkeypatch):
    demo = REPO / "keytui" / "demo" / "demo.safetensors"
    before = demo.read_bytes()
    monkeypatch.chdir(REPO)  # a clone: the relative path is the package's own prior
    code = run(
        "--home", str(ws), "train", "--corpus", "keys", "--out", "keytui/demo/demo.safetensors", "--replace",
        "--epochs", "1",
    )  # fmt: skip
    assert code == 1 and "ships with keytui" in capsys.readouterr().err
    assert demo.read_bytes() == before


def test_only_a_file_keytui_wrote_may_be_replaced_by_a_model(ws, tmp_path):
    from keytui.game.versions import check_model_output

    out = ws / "checkpoints" / "mine.safetensors"
    check_model_output(out)  # nothing there yet: fine
    out.write_bytes(b"someone's own bytes, not a model")
    with pytest.raises(KeytuiError, match="not a model keytui wrote"):
        check_model_output(out)
    damaged = bytearray((REPO / "keytui" / "demo" / "demo.safetensors").read_bytes())
    damaged[-100] ^= 0x10  # a keytui model damaged in its weights: still keytui's, so training may replace it
    out.write_bytes(bytes(damaged))
    check_model_output(out)
    for name in ("keys.txt", "keys"):
        with pytest.raises(KeytuiError, match=r"saved as NAME\.safetensors"):
            check_model_output(ws / "checkpoints" / name)
    linked = tmp_path / "linked"
    linked.symlink_to(REPO / "keytui" / "demo")
    with pytest.raises(KeytuiError, match="ships with keytui"):
        check_model_output(linked / "demo.safetensors")


def test_a_second_train_into_the_same_name_is_refused_while_the_first_runs(ws):
    from keytui.game.fit import fit_and_save
    from keytui.game.versions import training_lock
    from keytui.model.training import TrainConfig

    out = ws / "checkpoints" / "keys.safetensors"
    with training_lock(out), pytest.raises(KeytuiError, match="being trained by another keytui"):
        fit_and_save(
            "asdf" * 300,
            corpus_name="keys",
            out_path=out,
            model_settings={"hidden_size": 4, "num_layers": 1, "embedding_dim": 2},
            train_config=TrainConfig(epochs=1),
        )
    assert not out.exists()


def test_a_failed_import_force_leaves_the_corpus_and_its_sidecar_as_they_were(ws, tmp_path, capsys):
    corpus = ws / "corpora" / "keys.txt"
    (ws / "corpora" / "keys.meta.json").write_text('{"kind": "typing", "layout": "qwerty", "created": ""}\n')
    (ws / "corpora" / "keys.times").mkdir()  # the import cannot remove it: it must then change nothing
    source = tmp_path / "book.txt"
    source.write_text("a different text entirely")
    before = corpus.read_bytes(), (ws / "corpora" / "keys.meta.json").read_bytes()
    assert run("--home", str(ws), "import", str(source), "--name", "keys", "--force") == 1
    assert "keys.times" in capsys.readouterr().err
    assert (corpus.read_bytes(), (ws / "corpora" / "keys.meta.json").read_bytes()) == before


def test_an_import_whose_sidecar_cannot_be_written_leaves_the_corpus_as_it_was(ws, tmp_path):
    from keytui.data.corpus import import_text
    from keytui.data.corpus_meta import write_meta

    corpus = ws / "corpora" / "keys.txt"
    before = corpus.read_bytes()
    source = tmp_path / "book.txt"
    source.write_text("a different text entirely")

    def failing_label():
        write_meta(corpus, "text")
        raise KeytuiError("the disk refused the sidecar")  # after it was written: it must be undone too

    with pytest.raises(KeytuiError, match="refused the sidecar"):
        import_text(source, corpus, overwrite=True, then=failing_label)
    assert corpus.read_bytes() == before and not (ws / "corpora" / "keys.meta.json").exists()
    new = ws / "corpora" / "new.txt"
    with pytest.raises(KeytuiError):
        import_text(source, new, then=failing_label)
    assert not new.exists()  # a new corpus that could not be labelled is not left behind


@pytest.fixture
def file_size_limit(monkeypatch):
    """The first write into `target` stops halfway, the next fails (as `ulimit -f` does): a loop of writes would
    leave half a record; one write, cut back, leaves none."""
    real_write = os.write
    state = {"target": None, "calls": 0}

    def write(fd, data):
        target = state["target"]
        if target is None or not target.exists() or os.fstat(fd).st_ino != target.stat().st_ino:
            return real_write(fd, data)
        state["calls"] += 1
        if state["calls"] == 1 and len(data) > 1:
            return real_write(fd, bytes(data)[: len(data) // 2])
        raise OSError(errno.EFBIG, "File too large")

    monkeypatch.setattr(os, "write", write)
    return state


def record() -> GameRecord:
    figures = dict.fromkeys(
        ("hit_rate", "top3_hit_rate", "macro_f1", "weighted_f1", "bits_per_key", "chance", "uniform_chance"), 0.5
    )
    return GameRecord(
        kind="round", date=now_iso(), model="m", mode="play", keys=30, p_value=0.5, predictable=False,
        verdict="v", **figures,
    )  # fmt: skip


def test_a_history_append_cut_short_leaves_no_half_record(tmp_path, file_size_limit):
    path = tmp_path / "history.jsonl"
    History(path).append(record())
    before = path.read_bytes()
    file_size_limit["target"] = path
    with pytest.raises(KeytuiError, match="history"):
        History(path).append(record())
    assert path.read_bytes() == before
    file_size_limit["target"] = None
    assert History(path).read().skipped == 0


def test_a_few_key_press_or_score_cut_short_leaves_no_half_record(tmp_path, file_size_limit):
    store = GameStore(tmp_path, "fd")
    writer = GameWriter(store)
    writer.write("f")
    file_size_limit["target"] = store.path
    with pytest.raises(KeytuiError, match="cannot keep the game"):
        writer.write("d\n" * 4)  # a press longer than a byte stands for any record the disk takes part of
    assert store.path.read_bytes() == b"f"
    file_size_limit["target"] = None
    writer.close({"hit_rate": 0.5, "presses": "f"})
    scores = store.scores_path.read_bytes()
    writer = GameWriter(store)
    writer.write("d")
    file_size_limit.update(target=store.scores_path, calls=0)
    writer.close({"hit_rate": 0.25, "presses": "d" * 100})  # the score is for the screen: lost whole, not halved
    assert store.scores_path.read_bytes() == scores and len(store.scores()) == 1


def test_a_recorder_whose_corpus_is_replaced_before_it_locks_refuses_rather_than_write_to_a_lost_file(
    tmp_path, monkeypatch
):
    """The lock must be on the file the path names: a corpus replaced between a recorder's open and its lock (an
    import landing then) left the recorder writing into a file nobody reads, beside a second recorder."""
    import fcntl

    from keytui.data import corpus as corpus_module
    from keytui.data.corpus import CorpusBusy, CorpusWriter

    path = tmp_path / "keys.txt"
    path.write_text("old")
    real_flock = fcntl.flock

    def flock_after_a_replace(fd, operation):
        if operation & fcntl.LOCK_EX and path.exists() and os.fstat(fd).st_ino == path.stat().st_ino:
            replacement = tmp_path / "new.txt"
            replacement.write_text("new")
            os.replace(replacement, path)
        return real_flock(fd, operation)

    monkeypatch.setattr(corpus_module.fcntl, "flock", flock_after_a_replace)
    try:
        writer = CorpusWriter(path, timestamps=False)
    except CorpusBusy as exc:
        assert "replaced" in str(exc)
        return
    writer.write("k")
    writer.close()
    assert path.read_text().endswith("k")  # had it not refused, its key must at least be in the corpus


def test_two_recorders_started_at_the_same_instant_one_records(tmp_path):
    import threading

    from keytui.data.corpus import CorpusBusy, CorpusWriter

    for trial in range(20):
        path = tmp_path / f"keys{trial}.txt"
        barrier = threading.Barrier(2)
        outcomes: list[object] = []

        def start(outcomes=outcomes, barrier=barrier, path=path):
            barrier.wait()
            try:
                outcomes.append(CorpusWriter(path, timestamps=True))
            except CorpusBusy as exc:
                outcomes.append(exc)

        threads = [threading.Thread(target=start) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        writers = [o for o in outcomes if isinstance(o, CorpusWriter)]
        assert len(writers) == 1, outcomes
        writers[0].close()


@pytest.mark.parametrize("kind", ["fifo", "dev-zero", "text"])
def test_a_model_file_that_turns_into_something_else_during_training_is_kept_not_replaced(tmp_path, kind):
    """A FIFO or a /dev/zero link at checkpoints/NAME.safetensors hung or crashed training after its last epoch."""
    from keytui.game.versions import decide

    demo = REPO / "keytui" / "demo" / "demo.safetensors"
    candidate = tmp_path / "candidates" / "m.safetensors"
    candidate.parent.mkdir()
    candidate.write_bytes(demo.read_bytes())
    out = tmp_path / "m.safetensors"
    if kind == "fifo":
        os.mkfifo(out)
    elif kind == "dev-zero":
        out.symlink_to("/dev/zero")
    else:
        out.write_text("someone's notes")
    for replace in (False, True):
        decision = decide(candidate, out, "asdf", replace=replace)  # a hang here fails the run's time limit
        assert not decision.replaced and "not a model keytui wrote" in decision.reason
