"""The history of play: what a finished round and game leave behind, and a reader no bad line can break."""

from __future__ import annotations

import itertools
import json
import random
from dataclasses import replace

import pytest

from keytui.data.history import History, least_predictable_yet, share_line
from keytui.game.control import play_random, random_keys
from keytui.game.session import GameSession
from keytui.predictors import MajorityPredictor, NGramPredictor

from .test_cli import run


def make_game(tmp_path, *, round_size=10, recorder=None, mode="play", clock=None, text="asdfasdfjkl;"):
    return GameSession(
        NGramPredictor(text),
        MajorityPredictor(text),
        round_size=round_size,
        recorder=recorder,
        history=History(tmp_path / "history.jsonl"),
        model_label="toy",
        mode=mode,
        clock=clock,
    )


def play(game, keys):
    for key in keys:
        if game.press(key).round_over:
            game.next_round()
        game.settle()


class ListRecorder:
    """Stands in for a CorpusWriter: keeps the keys it is given."""

    def __init__(self):
        self.keys = []

    def write(self, key):
        self.keys.append(key)


def test_rounds_and_the_game_are_kept_with_their_figures(tmp_path):
    ticks = itertools.count()
    game = make_game(tmp_path, recorder=ListRecorder(), clock=lambda: next(ticks) * 0.25)  # four keys a second
    play(game, "asdfasdfasdfasdfasdfasdfa")  # two rounds of 10 and 5 keys more
    read = History(tmp_path / "history.jsonl").read()
    assert [r.kind for r in read.records] == ["round", "round"] and read.skipped == 0
    first = read.records[0]
    assert first.keys == 10 and first.round == 1 and first.mode == "play" and first.model == "toy"
    assert first.keys_per_second == pytest.approx(4.0)
    assert first.hit_rate == pytest.approx(json.loads(json.dumps(game.rounds_done[0]))["model"]["hit_rate"])
    record = game.finish()
    assert game.finish() is record  # once only
    read = History(tmp_path / "history.jsonl").read()
    assert [r.kind for r in read.records] == ["round", "round", "game"]
    assert record.keys == 25 and record.rounds == 2 and record.typed == "asdfasdfasdfasdfasdfasdfa"
    assert record.hits == "".join("1" if h else "0" for h in game.hits)
    assert record.hit_rate == pytest.approx(game.total.model.hit_rate, abs=1e-6)
    assert record.keys_per_second == pytest.approx(4.0)  # the pause between rounds is not typing time


def test_keys_not_kept_in_a_corpus_are_not_kept_in_the_history(tmp_path):
    game = make_game(tmp_path)  # no recorder: the player chose not to keep keys
    play(game, "asdfasdfasdf")
    record = game.finish()
    assert record.typed is None and record.hits is None and record.keys == 12
    assert record.keys_per_second is None  # no clock (keys from a file): no made-up speed


def test_a_game_without_a_key_leaves_no_record(tmp_path):
    game = make_game(tmp_path)
    assert game.finish() is None
    assert not (tmp_path / "history.jsonl").exists()


def test_dodge_toggled_mid_round_is_a_mixed_round(tmp_path):
    game = make_game(tmp_path, round_size=4)
    play(game, "asdf")
    game.mode = "dodge"
    play(game, "as")
    game.mode = "play"
    play(game, "df")
    record = game.finish()
    rounds = History(tmp_path / "history.jsonl").read().rounds()
    assert [r.mode for r in rounds] == ["play", "mixed"] and record.mode == "mixed"


def test_a_corrupt_or_truncated_line_never_loses_the_others(tmp_path):
    path = tmp_path / "history.jsonl"
    game = make_game(tmp_path, round_size=5)
    play(game, "asdfa")
    with open(path, "ab") as handle:
        handle.write(b"not json at all\n\xff\xfe binary\n[1, 2]\n")
        handle.write(b'{"kind": "round", "keys": 3, "hit_rate": "high"}\n')
    play(game, "sdfas")
    with open(path, "ab") as handle:
        handle.write(b'{"kind": "round", "date": "2026-01-01", "mo')  # a crash in the middle of a line
    play(game, "dfasd")  # the next record is appended after the broken line, not glued onto it
    read = History(path).read()
    assert [r.round for r in read.records] == [1, 2, 3]
    assert read.skipped == 5


def test_reading_a_missing_history_is_empty(tmp_path):
    read = History(tmp_path / "nothing.jsonl").read()
    assert read.records == [] and read.skipped == 0


def test_a_history_the_disk_refuses_does_not_stop_the_game(tmp_path):
    (tmp_path / "history.jsonl").mkdir()  # a folder where the file should be: every append fails
    game = make_game(tmp_path, round_size=5)
    play(game, "asdfasdfas")
    assert game.total.n == 10 and "cannot" in game.history_error


def test_least_predictable_round_yet(tmp_path):
    game = make_game(tmp_path, round_size=20, text="ab" * 50)
    play(game, "ab" * 10)  # exactly what it learnt: a high hit rate, the first round is nobody's record
    assert not game.least_predictable_round
    play(game, "abcdbadcabdcbacdbdca")  # less predictable than the first
    assert game.least_predictable_round and game.rounds_done[-1]["least_predictable_yet"]
    play(game, "ab" * 10)
    assert not game.least_predictable_round
    earlier = History(tmp_path / "history.jsonl").read().records
    lowest = min(earlier, key=lambda r: r.hit_rate)
    assert not least_predictable_yet(earlier, replace(lowest, round=4))  # a tie is not a new record
    assert least_predictable_yet(earlier, replace(lowest, round=4, hit_rate=lowest.hit_rate - 0.01))
    assert not least_predictable_yet(earlier, replace(lowest, mode="random", hit_rate=0.0))  # the control: no record
    assert not least_predictable_yet(earlier, replace(lowest, keys=10, hit_rate=0.0))  # too short to count


def test_the_random_control_scores_near_uniform_chance(tmp_path):
    text = random_keys(list("abcdefghij"), 500, random.Random(1))
    game = make_game(tmp_path, round_size=100, mode="random", text=text)
    play_random(game, 1000, random.Random(7))
    record = game.finish()
    assert record.mode == "random" and record.keys == 1000
    assert record.typed is not None  # the generator's keys are nobody's secret
    assert abs(record.hit_rate - 0.1) < 0.04  # 10 keys: chance is 10%, and no machine can beat a fair die
    assert not record.predictable
    assert set(random_keys(["x", "y"], 50, random.Random(0))) == {"x", "y"}


def test_play_random_and_history_headless(home, capsys, tiny_checkpoint):
    code, out, _ = run(capsys, "play", "--model", str(tiny_checkpoint), "--random", "120", "--round", "50")
    summary = json.loads(out)
    assert code == 0 and summary["n"] == 120 and summary["mode"] == "random" and len(summary["rounds"]) == 2
    assert not (home / "corpora" / "keys.txt").exists()  # the generator's keys never go into the player's corpus
    code, out, _ = run(capsys, "history", "--json")
    data = json.loads(out)
    assert [r["kind"] for r in data["records"]] == ["round", "round", "game"] and data["skipped"] == 0
    assert data["records"][-1]["keys"] == 120 and data["records"][-1]["mode"] == "random"
    with open(home / "history.jsonl", "ab") as handle:
        handle.write(b"garbage\n")
    code, out, err = run(capsys, "history")
    assert code == 0 and "1 games, 2 rounds" in out and "1 unreadable" in err
    with pytest.raises(SystemExit) as info:  # a usage error now: every numeric flag has a range (test_cli_values)
        run(capsys, "play", "--random", "0")
    assert info.value.code == 2 and "--random: 0 is outside [1," in capsys.readouterr().err


def test_history_when_there_is_none(home, capsys):
    code, out, _ = run(capsys, "history")
    assert code == 0 and "no games yet" in out


def test_the_share_line_says_it_in_one_line(tmp_path):
    game = make_game(tmp_path, round_size=100, text="ab" * 200)
    play(game, "ab" * 150)
    line = share_line(game.finish())
    assert line == "keytui: the machine read me 100% of the time, chance 50%, p=5e-91, 300 keys"
    assert "\n" not in line
    game = make_game(tmp_path, round_size=100, text="ab" * 200)
    play(game, "ba" * 10)
    record = replace(game.finish(), hit_rate=0.0, p_value=1.0, predictable=False)
    assert share_line(record).endswith("p=1.00, 20 keys: no better than chance")


def test_the_few_key_game_is_kept_as_few_key(home, capsys, monkeypatch):
    code, out, _ = run(capsys, "play", "--keys", "fd", "--headless", stdin="fdffdfdd" * 5, monkeypatch=monkeypatch)
    assert code == 0 and json.loads(out)["n"] == 40
    code, out, _ = run(capsys, "history", "--json")
    games = [r for r in json.loads(out)["records"] if r["kind"] == "game"]
    assert [(g["mode"], g["keys"], g["model"]) for g in games] == [("few-key", 40, "oracle fd")]
