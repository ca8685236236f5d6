"""The few-key oracle game: key sets, synthetic players and their exact limit, the order-k oracle, the predictor,
the store of earlier games, the players file and `eval --players`, `play --keys`, `simulate --keys --players`."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys

import numpy as np
import pytest

from keytui.cli.main import main
from keytui.errors import KeytuiError
from keytui.oracle.baselines import OrderOracle
from keytui.oracle.evaluation import evaluate_players
from keytui.oracle.experts import ExpertBank, ExpertSpec
from keytui.oracle.game import new_game
from keytui.oracle.keyset import keys_from_id, keyset_id, parse_keys
from keytui.oracle.players import KINDS, Cycler, RunAvoider, make_player, play, simulate_players
from keytui.oracle.players_file import iter_players, scan_players
from keytui.oracle.predictor import FewKeyPredictor
from keytui.oracle.store import GameStore
from keytui.oracle.trees import ContextTree, depth_for

PUBLIC_SCORES = {"hit_rate", "top3_hit_rate", "macro_f1", "weighted_f1", "bits_per_char"}


def run(capsys, monkeypatch, *argv, stdin: str | None = None):
    if stdin is not None:
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


# ---- key sets --------------------------------------------------------------------------------------------------


def test_key_sets_take_2_to_12_distinct_printable_keys():
    assert parse_keys("fd") == "fd" and parse_keys("rps") == "rps" and parse_keys("123456789") == "123456789"
    for bad, why in (("f", "got 1"), ("", "got 0"), ("fdf", "twice"), ("abcdefghijklm", "got 13"), ("f\t", "print")):
        with pytest.raises(KeytuiError, match=why):
            parse_keys(bad)


def test_a_key_set_id_is_order_free_file_safe_and_reversible():
    assert keyset_id("fd") == keyset_id("df")
    hostile = "/.\\[]é"
    identifier = keyset_id(hostile)
    assert identifier.isalnum() and sorted(keys_from_id(identifier)) == sorted(hostile)


# ---- synthetic players -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("k", [2, 3, 10])
def test_every_kind_gives_an_exact_distribution_and_presses_only_the_keys(k):
    keys = "abcdefghijkl"[:k]
    rng = np.random.default_rng(0)
    for kind in KINDS:
        player = make_player(kind, k, rng)
        game = play(player, keys, 200, rng)
        assert set(game.presses) <= set(keys) and len(game.presses) == 200
        row = player.distribution()
        assert row.shape == (k,) and row.min() >= 0 and row.sum() == pytest.approx(1.0)
        assert 1 / k - 1e-9 <= game.limit() <= 1.0


def test_the_limit_is_what_a_guesser_knowing_the_hidden_state_scores():
    # A cycler's limit is 1 - noise + noise/k; a guesser following its pattern hits that often over many presses.
    rng = np.random.default_rng(1)
    player = Cycler(2, rng)
    expected = 1 - player.noise + player.noise / 2
    pattern = player.pattern.copy()
    game = play(player, "fd", 20_000, rng)
    assert game.limit() == pytest.approx(expected)
    guessed = "".join("fd"[pattern[i % len(pattern)]] for i in range(len(game.presses)))
    hits = np.mean([a == b for a, b in zip(game.presses, guessed, strict=True)])
    assert hits == pytest.approx(expected, abs=0.015)


def test_a_run_avoider_switches_more_the_longer_its_run():
    player = RunAvoider(2, np.random.default_rng(2))
    stays = []
    for run in (1, 2, 3):
        player.last, player.run = 0, run
        stays.append(player.distribution()[0])
    assert stays[0] > stays[1] > stays[2]


def test_simulated_players_cycle_through_every_kind_and_repeat_with_a_seed():
    games = simulate_players("fd", len(KINDS), 50, seed=4)
    assert [g.kind for g in games] == list(KINDS)
    again = simulate_players("fd", len(KINDS), 50, seed=4)
    assert [g.presses for g in games] == [g.presses for g in again]
    with pytest.raises(KeytuiError):
        simulate_players("fd", 0, 50)


def test_exact_distributions_score_a_guess_by_its_chance_and_leave_the_presses_alone():
    plain = simulate_players("rps", len(KINDS), 300, seed=6)
    games = simulate_players("rps", len(KINDS), 300, seed=6, exact=True)
    assert [g.presses for g in games] == [g.presses for g in plain]  # keeping them draws nothing more
    for game in games:
        assert game.exact.shape == (300, 3)
        np.testing.assert_allclose(game.exact.sum(axis=1), 1.0)
        np.testing.assert_allclose(game.chances(game.exact.argmax(axis=1)), game.best)  # the limit's own guesses
    # over many presses, the chances of a fixed guess average to how often it hits
    (game,) = simulate_players("fd", 1, 20_000, seed=7, kinds=("biased",), exact=True)
    always_f = np.zeros(len(game.presses), dtype=int)
    assert game.chances(always_f).mean() == pytest.approx(game.presses.count("f") / len(game.presses), abs=0.015)
    with pytest.raises(ValueError):
        plain[0].chances(always_f[:300])


# ---- predictors ------------------------------------------------------------------------------------------------


def test_the_order_oracle_guesses_what_followed_the_context_most_often():
    oracle = OrderOracle("fd", order=2)
    for key in "ffd" * 5 + "ff":
        oracle.observe(key)
    assert oracle.guess(1) == ["d"]  # after "ff" came "d" every time
    oracle.observe("d")
    assert oracle.guess(1) == ["f"]  # after "fd" came "f"
    majority = OrderOracle("fd", order=0)
    for key in "fddd":
        majority.observe(key)
    assert majority.guess(1) == ["d"] and majority.probs() == pytest.approx([2 / 6, 4 / 6])
    majority.observe("x")  # not a key of the game: not a press
    assert majority.probs() == pytest.approx([2 / 6, 4 / 6])


def test_the_few_key_predictor_reads_a_cycler_and_an_alternator_from_scratch():
    for presses in ("ffd" * 100, "fd" * 150):
        report = evaluate_players([presses], "fd")
        assert report["per_player"][0]["hit_rate"] > 0.9


def test_cycle_experts_read_a_rhythm_through_stray_presses():
    pattern = [0, 0, 1, 0, 1]  # f f d f d, a stray press (the other key) every 7th press, the rhythm kept
    presses = [key if i % 7 else 1 - key for i, key in enumerate(pattern * 40)]
    bank = ExpertBank(2, (ExpertSpec("phase-5", "phase", 5, decay=0.95, alpha=0.2),))
    right = 0
    for i, key in enumerate(presses):
        if i >= 30:
            right += int(np.argmax(bank.probs()[0]) == pattern[i % 5])
        bank.observe(key)
    assert right == len(presses) - 30  # every press's place in the pattern, right after a stray press too
    report = evaluate_players(["".join("fd"[key] for key in presses)], "fd")
    ours, order5 = report["model"]["hit_rate"], report["baselines"]["ngram"]["hit_rate"]  # the order-5 oracle
    assert ours > order5 + 0.05  # a context of the last 5 keys is broken for 5 presses after each stray one


def test_the_prior_from_earlier_players_helps_the_next_player_from_the_first_presses():
    alternator = "fd" * 5
    fresh = evaluate_players([alternator], "fd")["model"]
    predictor = FewKeyPredictor("fd")
    predictor.replay(["df" * 100] * 5)
    seeded = evaluate_players([alternator], "fd", predictor)["model"]
    assert seeded["bits_per_char"] < fresh["bits_per_char"] / 2  # far surer of the switches from the start
    assert seeded["hit_rate"] >= 0.9


def test_a_new_player_starts_from_empty_trees_of_their_own_but_keeps_the_shared_ones():
    predictor = FewKeyPredictor("fd")
    for key in "f" * 40:
        predictor.observe(key)
    assert predictor.experts()["tree-keys"][0] > 0.9 and predictor.experts()["everyone-keys"][0] > 0.9
    predictor.new_player()
    assert predictor.presses == 0
    assert predictor.experts()["tree-keys"] == pytest.approx([0.5, 0.5])  # nothing of this player yet
    assert predictor.experts()["everyone-keys"][0] > 0.8  # what earlier players did
    # and the vote starts from where earlier players' stood (not near the floor an untrusted expert starts from;
    # 25 experts read an all-f player, and the counts that forget read it fastest and keep the larger shares)
    assert predictor.weights()["everyone-keys"] > 0.02


def _kt_sequence_probability(symbols: list[int], k: int, alpha: float) -> float:
    counts, probability = [0.0] * k, 1.0
    for symbol in symbols:
        probability *= (counts[symbol] + alpha) / (sum(counts) + k * alpha)
        counts[symbol] += 1
    return probability


@pytest.mark.parametrize("alpha", [0.5, 1.0])
def test_a_depth_one_context_tree_is_the_exact_bayes_mixture_of_order_0_and_order_1(alpha):
    # Context tree weighting: P = 1/2 Pe(all presses) + 1/2 prod over contexts (the previous key, or none yet) of
    # Pe(the presses that followed it). The tree's press-by-press predictions must multiply to exactly that.
    rng = np.random.default_rng(3)
    presses = rng.integers(3, size=60).tolist()
    tree = ContextTree(3, context="keys", estimate="keys", depth=1, alpha=alpha)
    sequential = 1.0
    for key in presses:
        sequential *= tree.probs()[key]
        tree.observe(key)
    followers: dict[int, list[int]] = {}
    for previous, key in zip([3, *presses[:-1]], presses, strict=True):
        followers.setdefault(previous, []).append(key)
    split = np.prod([_kt_sequence_probability(seq, 3, alpha) for seq in followers.values()])
    expected = 0.5 * _kt_sequence_probability(presses, 3, alpha) + 0.5 * split
    assert sequential == pytest.approx(expected, rel=1e-9)


def test_context_trees_read_a_habit_of_moves_and_stay_bounded_on_many_keys():
    moves = ContextTree(2, context="moves", estimate="moves")
    hits = 0
    for i, key in enumerate([0, 0, 1, 1] * 50):  # "same, switch" over and over, on both keys
        hits += i >= 20 and int(np.argmax(moves.probs())) == key
        moves.observe(key)
    assert hits >= 175
    assert depth_for(2) == 8 and depth_for(12) == 3  # the deepest level stays near NODE_BUDGET contexts
    tree = ContextTree(12)
    for key in np.random.default_rng(0).integers(12, size=3000).tolist():
        tree.observe(key)
    assert len(tree._nodes) <= sum(13**d for d in range(tree.depth + 1))


# ---- eval over players -----------------------------------------------------------------------------------------


def test_eval_players_report_has_the_public_json_shape():
    games = simulate_players("rps", 6, 40, seed=5)
    report = evaluate_players([g.presses for g in games], "rps")
    assert set(report) == {"players", "n", "keys", "model", "baselines", "per_player"}
    assert report["players"] == 6 and report["n"] == 240 and report["keys"] == "rps"
    assert set(report["model"]) == PUBLIC_SCORES
    assert set(report["baselines"]) == {"ngram", "majority"}
    assert all(set(report["baselines"][name]) == PUBLIC_SCORES for name in ("ngram", "majority"))
    assert [p["n"] for p in report["per_player"]] == [40] * 6
    assert {"n", "hit_rate"} == set(report["per_player"][0])


def test_eval_players_reports_progress_across_players_without_changing_the_report():
    games = [g.presses for g in simulate_players("rps", 6, 40, seed=5)]
    heard: list[int] = []
    report = evaluate_players(games, "rps", progress=heard.append, every=50)
    assert heard == list(range(50, 241, 50))  # counted across players, not per line
    assert report == evaluate_players(games, "rps")


def test_the_ngram_baseline_is_an_order_5_oracle_of_each_player_alone():
    players = ["fd" * 30, "ff" * 30]
    report = evaluate_players(players, "fd")
    hits = 0
    for presses in players:
        oracle = OrderOracle("fd", 5)
        for key in presses:
            hits += oracle.guess(1)[0] == key
            oracle.observe(key)
    assert report["baselines"]["ngram"]["hit_rate"] == pytest.approx(hits / 120, abs=1e-6)


def test_players_file_skips_empty_lines_and_counts_characters_not_among_the_keys(tmp_path):
    path = tmp_path / "players.txt"
    path.write_text("fdxf d\r\n\n   \nddff\n", encoding="utf-8")
    source = scan_players(path, "fd")
    assert (source.players, source.presses, source.ignored) == (2, 8, 5)
    assert list(iter_players(source)) == ["fdfd", "ddff"]
    found = scan_players(path)  # no --keys: the file's own keys, spaces aside
    assert found.keys == "fdx" and found.ignored == 4


def test_players_file_bad_input_is_one_line_errors(tmp_path):
    one_key = tmp_path / "one.txt"
    one_key.write_text("ffff\nff\n")
    with pytest.raises(KeytuiError, match="1 distinct key"):
        scan_players(one_key)
    with pytest.raises(KeytuiError, match="no presses"):
        scan_players(one_key, "dk")
    many = tmp_path / "many.txt"
    many.write_text("abcdefghijklmnop\n")
    with pytest.raises(KeytuiError, match="more than 12"):
        scan_players(many)
    binary = tmp_path / "bin.txt"
    binary.write_bytes(b"fd\x00fd\n")
    with pytest.raises(KeytuiError, match="binary"):
        scan_players(binary, "fd")
    latin = tmp_path / "latin.txt"
    latin.write_bytes(b"fd\nf\xe9d\n")
    with pytest.raises(KeytuiError, match="not UTF-8"):
        scan_players(latin, "fd")
    with pytest.raises(KeytuiError, match="no such"):
        scan_players(tmp_path / "missing.txt", "fd")


def test_one_line_of_a_million_presses_is_read_in_one_pass(tmp_path):
    path = tmp_path / "long.txt"
    path.write_text("fd" * 500_000 + "\n")
    source = scan_players(path, "fd")
    assert source.players == 1 and source.presses == 1_000_000
    (line,) = iter_players(source)
    assert len(line) == 1_000_000


# ---- the store of earlier games --------------------------------------------------------------------------------


def test_games_are_kept_press_by_press_and_read_back_as_the_prior(tmp_path):
    game, writer, earlier = new_game("fd", tmp_path, round_size=10)
    assert earlier == 0
    for key in "fdfdfd":
        game.press(key)
    store = GameStore(tmp_path, "df")  # the same key set, named in another order
    assert store.path.read_text() == "fdfdfd"  # on disk before the game ends
    writer.close({"n": 6, "hit_rate": 0.5})
    assert store.games() == ["fdfdfd"] and store.scores()[-1]["hit_rate"] == 0.5
    game, writer, earlier = new_game("fd", tmp_path)
    assert earlier == 1
    with pytest.raises(KeytuiError, match="another keytui"):
        new_game("df", tmp_path)
    game.press("f")
    writer.close()
    assert store.games() == ["fdfdfd", "f"]


def test_a_game_cut_off_mid_line_is_ended_before_the_next_and_damage_is_skipped(tmp_path):
    store = GameStore(tmp_path, "fd")
    store.folder.mkdir()
    store.path.write_bytes(b"fdfd\nff\xffdd")  # a crash mid-game, and a damaged byte
    writer = store.writer()
    writer.write("d")
    writer.close()
    assert store.games() == ["fdfd", "ffdd", "d"]
    assert store.games(max_presses=3) == ["dd", "d"]  # the newest presses, the older game's tail


# ---- the commands ----------------------------------------------------------------------------------------------


def test_simulate_writes_one_synthetic_player_per_line(home, capsys, monkeypatch):
    code, out, _ = run(capsys, monkeypatch, "simulate", "--keys", "fd", "--players", "12", "--presses", "30")
    lines = out.splitlines()
    assert code == 0 and len(lines) == 12 and all(len(line) == 30 and set(line) <= set("fd") for line in lines)
    code, _, err = run(capsys, monkeypatch, "simulate", "--keys", "f", "--players", "3")
    assert code == 1 and err.count("\n") == 1 and "2 to 12" in err
    code, _, err = run(capsys, monkeypatch, "simulate", "--keys", "fd")
    assert code == 1 and "--players" in err


def test_eval_players_json_and_bad_input_from_the_command_line(home, tmp_path, capsys, monkeypatch):
    path = tmp_path / "p.txt"
    path.write_text("fdfdfdfd\n\nffddffdd?\n")
    code, out, err = run(capsys, monkeypatch, "eval", "--players", str(path), "--keys", "fd", "--json")
    report = json.loads(out)
    assert code == 0 and report["players"] == 2 and report["n"] == 16 and "1 characters" in err
    code, out, _ = run(capsys, monkeypatch, "eval", "--players", str(path), "--keys", "fd")
    assert code == 0 and "order-5" in out
    for argv, why in (
        (["--keys", "f"], "2 to 12"),
        (["--model", "demo"], "no --model"),
    ):
        code, _, err = run(capsys, monkeypatch, "eval", "--players", str(path), *argv)
        assert code == 1 and why in err and "Traceback" not in err
    with pytest.raises(SystemExit) as usage:
        main(["eval", "--model", "demo"])
    assert usage.value.code == 2 and "--players" in capsys.readouterr().err


def test_play_keys_headless_scores_only_the_keys_and_keeps_the_game(home, capsys, monkeypatch):
    code, out, _ = run(
        capsys, monkeypatch, "play", "--keys", "fd", "--headless", "--round", "10", stdin="fdfdfdfdfd x\nfdfdfdfdfd\n"
    )
    summary = json.loads(out)
    assert code == 0 and summary["n"] == 20 and summary["keys"] == "fd" and summary["ignored"] == 2
    assert summary["chance"]["uniform"] == 0.5 and len(summary["rounds"]) == 2
    assert summary["model"]["hit_rate"] > 0.7
    assert GameStore(home, "fd").games() == ["fd" * 10]
    code, out, _ = run(capsys, monkeypatch, "play", "--keys", "df", "--headless", "--no-append", stdin="fdfd")
    assert code == 0 and json.loads(out)["earlier_games"] == 1
    assert GameStore(home, "fd").games() == ["fd" * 10]
    code, _, err = run(capsys, monkeypatch, "play", "--keys", "ff", "--headless", stdin="")
    assert code == 1 and "twice" in err


def test_the_few_key_game_needs_no_torch_or_textual_headless(tmp_path):
    import subprocess

    path = tmp_path / "p.txt"
    path.write_text("fdfdffdd\n")
    code = (
        "import sys, io, contextlib\nfrom keytui.cli.main import main\n"
        f"with contextlib.redirect_stdout(io.StringIO()):\n    main(['--home', {str(tmp_path)!r}, 'eval', "
        f"'--players', {str(path)!r}])\n"
        "print(sorted(m for m in ('torch', 'textual') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip().splitlines()[-1] == "[]"


def test_a_players_file_that_is_a_fifo_is_refused_without_hanging(tmp_path):
    fifo = tmp_path / "players.fifo"
    os.mkfifo(fifo)
    command = [sys.executable, "-m", "keytui", "eval", "--players", str(fifo), "--keys", "fd"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL)
    assert done.returncode == 1
    refusal = f"players file is not a regular file (a pipe, device or socket?): {fifo}"
    assert done.stderr.strip() == f"keytui: error: {refusal}"
