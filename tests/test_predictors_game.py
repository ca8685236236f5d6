import numpy as np
import pytest

from keytui.data.corpus import CorpusWriter
from keytui.data.metrics import StreamingMetrics
from keytui.game.evaluation import evaluate_corpus
from keytui.game.session import ROLLING_KEYS, GameSession, judge
from keytui.model.checkpoint import load_checkpoint
from keytui.model.training import evaluate_stream
from keytui.predictors import MajorityPredictor, NeuralPredictor, NGramPredictor, replay


def test_ngram_learns_a_repeating_pattern():
    metrics = replay(NGramPredictor("abcde" * 20, adaptive=False), "abcde" * 10, warmup="abcde")
    assert metrics.hit_rate == 1.0


def test_adaptive_ngram_learns_keys_it_never_trained_on():
    frozen = replay(NGramPredictor("xy" * 10, adaptive=False), "pq" * 50)
    adaptive = replay(NGramPredictor("xy" * 10, adaptive=True), "pq" * 50)
    assert frozen.hit_rate == 0.0 and adaptive.hit_rate > 0.9


def test_predictor_distributions_are_probabilities():
    for predictor in (NGramPredictor("hello world"), MajorityPredictor("hello world")):
        predictor.observe("l")
        probs = predictor.probs()
        assert probs.sum() == pytest.approx(1.0) and (probs > 0).all()
        assert set(predictor.distribution()) == set("helo wrd")
        assert predictor.guess(3)[0] == max(predictor.distribution(), key=predictor.distribution().get)


def test_majority_guesses_the_most_frequent_key():
    assert MajorityPredictor("aaabbc").guess(2) == ["a", "b"]


def test_neural_predictor_matches_a_full_pass_and_never_guesses_unknown(tiny_checkpoint, small_text):
    import torch

    checkpoint = load_checkpoint(tiny_checkpoint)
    predictor = NeuralPredictor(checkpoint.model, checkpoint.vocab)
    text = small_text[:50]
    hits = 0
    for i, key in enumerate(text[:-1]):
        predictor.observe(key)
        hits += predictor.guess(1)[0] == text[i + 1]
        assert "<unk>" not in predictor.guess(5)
    ids = torch.tensor(checkpoint.vocab.encode(text))
    full = evaluate_stream(checkpoint.model, ids)
    assert hits / (len(text) - 1) == pytest.approx(full.accuracy)
    predictor.observe("€")  # a key the model never saw: the unknown id, no crash
    assert np.isfinite(predictor.probs()).all()


def test_adaptive_neural_predictor_changes_its_weights(tiny_checkpoint):
    checkpoint = load_checkpoint(tiny_checkpoint)
    before = checkpoint.model.head.weight.detach().clone()
    predictor = NeuralPredictor(checkpoint.model, checkpoint.vocab, adaptive=True, adapt_every=5)
    for key in "asdfasdfasdfasdfasdf":
        predictor.observe(key)
    assert not np.allclose(before.numpy(), checkpoint.model.head.weight.detach().numpy())


def test_adaptive_learning_waits_for_settle_so_it_never_delays_the_guess(tiny_checkpoint):
    checkpoint = load_checkpoint(tiny_checkpoint)
    predictor = NeuralPredictor(checkpoint.model, checkpoint.vocab, adaptive=True, adapt_every=5)
    before = checkpoint.model.head.weight.detach().clone()
    for key in "asdfas":  # one more key than a segment: the segment is full, its SGD step pending
        predictor.observe(key)
    assert np.allclose(before.numpy(), checkpoint.model.head.weight.detach().numpy())
    predictor.settle()
    after_settle = checkpoint.model.head.weight.detach().clone()
    assert not np.allclose(before.numpy(), after_settle.numpy())
    predictor.settle()  # nothing pending: no second step
    assert np.allclose(after_settle.numpy(), checkpoint.model.head.weight.detach().numpy())


def test_eval_report_has_the_public_json_shape(tiny_checkpoint, small_text):
    report = evaluate_corpus(load_checkpoint(tiny_checkpoint), small_text[:300])
    assert report["n"] == 300
    keys = {"hit_rate", "top3_hit_rate", "macro_f1", "weighted_f1", "bits_per_char"}
    assert set(report["model"]) == keys
    assert set(report["baselines"]["majority"]) == keys and set(report["baselines"]["ngram"]) == keys


def test_game_scores_the_committed_guess_and_ends_rounds(tmp_path):
    corpus = tmp_path / "c.txt"
    writer = CorpusWriter(corpus)
    game = GameSession(
        NGramPredictor("ab" * 30, adaptive=False), MajorityPredictor("ab" * 30), round_size=4, recorder=writer
    )
    first_guess = game.guess
    result = game.press("a")
    assert result.guess == first_guess
    assert corpus.read_text() == "a"  # the key is on disk as soon as it is played
    results = [game.press(k) for k in "bab"]
    assert results[-1].round_over and game.round.n == 4
    game.next_round()
    assert game.round.n == 0 and game.total.n == 4
    writer.close()
    summary = game.summary()
    assert summary["n"] == 4 and len(summary["rounds"]) == 1
    assert {"uniform", "majority"} == set(summary["chance"])


def test_game_keeps_a_rolling_hit_rate_over_the_last_keys():
    game = GameSession(NGramPredictor("ab" * 30, adaptive=False), MajorityPredictor("ab" * 30), round_size=100)
    hits = [game.press(k).hit for k in "ab" * 15 + "zz" * 10]
    rates = list(game.rolling_rates)
    assert len(rates) == len(hits)
    for i, rate in enumerate(rates):
        window = hits[max(0, i + 1 - ROLLING_KEYS) : i + 1]
        assert rate == pytest.approx(sum(window) / len(window))
    assert rates[29] > 0.9 and rates[-1] == 0.0  # "z" was never seen: the rate falls to nothing


def test_verdict_needs_enough_keys_and_significance():
    metrics = StreamingMetrics()
    for i in range(10):
        metrics.update("a" if i % 2 else "b", ["a"], 0.5)
    assert not judge(metrics, 0.1).predictable and "more keys" in judge(metrics, 0.1).text
    strong = StreamingMetrics()
    keys = "abcdefghij" * 10
    for key in keys:
        strong.update(key, [key], 0.9)  # every guess right, ten keys equally common: far beyond chance
    verdict = judge(strong, 0.1)
    assert verdict.predictable and verdict.p_value < 1e-50
    weak = StreamingMetrics()
    for key in keys:
        weak.update(key, ["z"], 0.01)
    assert not judge(weak, 0.1).predictable and "You beat the machine" in judge(weak, 0.1).text


def test_dodge_keys_are_scored_apart_and_never_recorded(tmp_path):
    corpus = tmp_path / "keys.txt"
    with CorpusWriter(corpus) as writer:
        game = GameSession(NGramPredictor("ab" * 30, adaptive=False), MajorityPredictor("ab" * 30), recorder=writer)
        game.press("a")
        shown = game.guess.top[0]
        dodged = "a" if shown != "a" else "b"
        result = game.press(dodged, dodge=True)
        caught = game.press(game.guess.top[0], dodge=True)
        game.press("b")
    assert corpus.read_text() == "ab"  # dodge keys are not random typing
    assert result.dodge and not result.round_over and caught.hit
    assert game.total.n == 2 and game.round.n == 2  # nor in the hit rate, the round or the verdict
    assert (game.dodge.n, game.dodge.dodged) == (2, 1)
    summary = game.summary()
    assert summary["n"] == 2 and summary["dodge"]["n"] == 2 and summary["dodge"]["dodged"] == 1
    assert len(game.rolling_rates) == 2


def test_the_ngram_baselines_top3_is_measured_not_its_top1():
    text = "abcabdabe" * 20
    game = GameSession(NGramPredictor(text, adaptive=False), NGramPredictor(text, adaptive=False), round_size=1000)
    for key in "abcabdabeabeabd":
        game.press(key)
    baseline = game.total.baseline
    assert baseline.top3_hits > baseline.hits  # after "ab", c, d and e are all in its top 3; one is its top 1
