"""What gave you away: habits, keys seen coming, hand habits against a random typist, on scripted games."""

from __future__ import annotations

import json

import pytest

from keytui.game.insight import counting_guesses, find_habits, insight, pair_habits, quoted, text_heatmap

from .test_cli import run


def test_the_counting_guesser_learns_as_it_goes():
    hits = counting_guesses("abcabcabc")
    # nothing is known before the 1st key; `a`,`b`,`c` follow contexts seen for the first time until the 2nd lap
    assert hits[:3] == [False, False, False]
    assert hits[4:] == [True] * 5  # from the second `b` on, every key followed its context before


def test_habits_say_which_moment_gave_the_player_away():
    # a scripted game: after `as` the player pressed `d` 8 times and `f` twice; the machine guessed every `d`
    keys = "".join("asd " if i < 8 else "asf " for i in range(10))
    hits = [k == "d" for k in keys]
    found = insight(keys, hits, source="a scripted game")
    top = found.habits[0]
    assert (top.context, top.key, top.times, top.out_of, top.guessed) == ("as", "d", 8, 10, 8)
    assert top.sentence() == "after `as` you pressed `d` 8 times out of 10"
    assert found.summary() == "After `as` you pressed `d` 8 times out of 10."
    assert found.best[0].key == "d" and found.best[0].guessed == 8
    assert {k.key for k in found.worst} <= {"a", "s", " ", "f"} and all(k.guessed == 0 for k in found.worst)
    assert found.guessed == 8 and found.hit_rate == pytest.approx(8 / 40)
    assert found.lines()[0].startswith("a scripted game: 40 keys; the machine guessed 8 of them (20%)")


def test_a_moment_seen_once_or_twice_is_not_a_habit():
    assert find_habits("xyz", [True, True, True]) == []
    assert find_habits("abcabc", [True] * 6) == []  # `ab` was seen twice only


def test_hand_habits_against_a_random_typist():
    alternation, neighbours, repeats = pair_habits("fj" * 50)
    assert alternation.yours == 1.0 and alternation.random_typist == pytest.approx(0.5)
    assert neighbours.yours == 0.0 and neighbours.random_typist == 0.0  # f and j are three keys apart
    assert repeats.yours == 0.0 and repeats.random_typist == pytest.approx(0.5)
    alternation, neighbours, repeats = pair_habits("asdf" * 25)
    assert alternation.yours == 0.0 and alternation.random_typist == 0.0  # one hand only
    assert neighbours.yours == pytest.approx(75 / 99)  # a-s, s-d, d-f roll; f-a jumps back
    assert neighbours.random_typist == pytest.approx(6 / 16)  # ordered neighbouring pairs among 4 keys
    assert (
        "roll onto a neighbouring key 76% of the time (a random typist of the same keys: 38%)" in neighbours.sentence()
    )


def test_hand_habits_need_keys_on_the_keyboard():
    assert pair_habits("é") == (None, None, None)
    assert pair_habits("éàü") == (None, None, None)


def test_the_heatmap_counts_shifted_characters_on_their_key():
    found = insight("aAaA!1", [True, False, True, True, False, False], source="s")
    assert found.heatmap["a"].pressed == 4 and found.heatmap["a"].guessed == 3
    assert found.heatmap["1"].pressed == 2 and found.heatmap["1"].guessed == 0
    picture = text_heatmap(found)
    assert "a█" in picture and "1·" in picture and "q " in picture  # 75% or more, never guessed, never pressed


def test_an_empty_source_says_so():
    found = insight("", source="corpus 'x'")
    assert found.lines() == ["No keys to look at in corpus 'x' yet."]
    assert found.summary() == "Too few keys to say what gave you away."


def test_hits_must_match_the_keys():
    with pytest.raises(ValueError):
        insight("abc", [True], source="s")


def test_quoted_names_the_space_bar():
    assert quoted("a ") == "`a␣`"


def test_insight_headless_from_a_corpus_and_from_games(home, capsys, monkeypatch, tiny_checkpoint):
    (home / "corpora" / "keys.txt").write_text("asd " * 30 + "[/x]" * 5)
    code, out, _ = run(capsys, "insight", "--json")
    data = json.loads(out)
    assert code == 0 and data["source"] == "corpus 'keys'" and data["keys"] == 140
    assert data["habits"][0]["key"] in "asd " and data["heatmap"]["a"]["pressed"] == 30
    assert set(data) >= {"best_keys", "worst_keys", "hand_alternation", "neighbour_rolls", "repeats", "lines"}
    code, out, _ = run(capsys, "insight")
    assert code == 0 and "What gave you away:" in out and "space" in out
    code, _, err = run(capsys, "insight", "--games", "2")
    assert code == 1 and "no game with its keys kept" in err
    run(capsys, "play", "--model", str(tiny_checkpoint), "--headless", stdin="qwerqwer" * 5, monkeypatch=monkeypatch)
    code, out, _ = run(capsys, "insight", "--games", "2", "--json")
    data = json.loads(out)
    assert (
        code == 0 and data["source"] == "your last 1 game" and data["keys"] == 40 and data["guesser"] == "the machine"
    )
    code, _, err = run(capsys, "insight", "--corpus", "nothing")
    assert code == 1 and "no corpus 'nothing'" in err
