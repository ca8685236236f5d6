"""The online mixer and the experts built for it: regret against the best expert, trust, alphabets, first keys."""

import random

import numpy as np
import pytest

from keytui.predictors import MatchPredictor, MixturePredictor, NGramPredictor, Predictor, replay
from keytui.predictors.mixer import keys_seen_context


class Fixed(Predictor):
    """Always the same distribution over its own keys."""

    def __init__(self, keys, probs=None, name="fixed"):
        super().__init__()
        self.name = name
        self.keys = list(keys)
        self._probs = np.full(len(keys), 1 / len(keys)) if probs is None else np.asarray(probs, dtype=float)

    def probs(self):
        return self._probs

    def observe(self, key):
        pass


class Knower(Predictor):
    """Knows the stream: gives its next key probability `sure`, the rest evenly (a perfect expert at 1.0)."""

    def __init__(self, keys, stream, sure=0.9, name="knower"):
        super().__init__()
        self.name = name
        self.keys = list(keys)
        self.stream, self.position, self.sure = stream, 0, sure

    def probs(self):
        probs = np.full(len(self.keys), (1 - self.sure) / (len(self.keys) - 1))
        if self.position < len(self.stream):
            probs[self.keys.index(self.stream[self.position])] = self.sure
        return probs

    def observe(self, key):
        self.position += 1


def markov_stream(keys, length, seed, stay=0.6):
    """A stream that mostly follows a fixed successor table: learnable by an n-gram, noisy enough to need mixing."""
    rng = random.Random(seed)
    successor = {k: rng.choice(keys) for k in keys}
    out = [rng.choice(keys)]
    for _ in range(length - 1):
        out.append(successor[out[-1]] if rng.random() < stay else rng.choice(keys))
    return "".join(out)


def mixed_run(experts, stream, **kwargs):
    mixture = MixturePredictor(experts, **kwargs)
    metrics = replay(mixture, stream)
    return mixture, metrics


@pytest.mark.parametrize("alphabet", ["fd", "asdfjkl;", "abcdefghijklmnopqrstuvwxyz0123456789" * 1])
def test_regret_against_the_best_expert_is_small(alphabet):
    keys = list(alphabet)
    stream = markov_stream(keys, 1500, seed=len(keys))
    experts = [
        NGramPredictor(max_order=1),
        NGramPredictor(max_order=3),
        Fixed(keys, name="uniform"),
        Knower(keys, stream, sure=0.5, name="half-sure"),
    ]
    mixture, metrics = mixed_run(experts, stream)
    best = min(m.bits_per_char for m in mixture.expert_metrics().values())
    regret = metrics.bits_per_char - best
    assert regret < 0.15, f"mixture {metrics.bits_per_char:.3f} bits/key vs best expert {best:.3f}"
    for expert_metrics in mixture.expert_metrics().values():
        assert expert_metrics.n == len(stream)


def test_it_learns_to_trust_the_expert_that_is_always_right():
    keys = list("qwertyuiop")
    rng = random.Random(1)
    stream = "".join(rng.choice(keys) for _ in range(400))
    mixture = MixturePredictor(
        [Fixed(keys, name="uniform"), Knower(keys, stream, sure=1.0, name="perfect"), NGramPredictor(max_order=2)]
    )
    hits = []
    replay(mixture, stream[:-1], hits=hits)  # the last key is still to come: the perfect expert knows it
    weights = mixture.weights()
    assert weights["perfect"] > max(weights["uniform"], weights["ngram"])
    assert sum(hits[-200:]) == 200  # once it trusts the perfect expert it follows it every time
    assert mixture.probs().max() > 0.9


def test_a_misleading_expert_is_ignored():
    keys = list("abcd")
    stream = markov_stream(keys, 800, seed=5, stay=0.9)
    liar = Knower(keys, stream[1:] + "a", sure=0.95, name="liar")  # confidently predicts the key after next
    _, alone = mixed_run([NGramPredictor(max_order=2)], stream)
    mixture, together = mixed_run([NGramPredictor(max_order=2), liar], stream)
    assert together.bits_per_char < alone.bits_per_char + 0.1
    assert mixture.weights()["liar"] < mixture.weights()["ngram"]


def test_experts_with_different_key_sets_share_one_alphabet():
    left, right = Fixed("ab", [0.9, 0.1], name="left"), Fixed("cd", [0.2, 0.8], name="right")
    mixture = MixturePredictor([left, right])
    assert sorted(mixture.keys) == list("abcd")
    probs = mixture.probs()
    assert probs.sum() == pytest.approx(1.0) and (probs > 0).all()
    for key in "acadaeae":  # e: a key neither expert knows joins the alphabet
        mixture.observe(key)
        assert mixture.probs().sum() == pytest.approx(1.0)
    assert "e" in mixture.keys and np.isfinite(mixture.probs()).all()


def test_a_fixed_alphabet_drops_keys_outside_it():
    experts = [NGramPredictor(max_order=2), MatchPredictor()]
    mixture = MixturePredictor(experts, keys=["f", "d"])
    metrics = replay(mixture, "fdxfdfdffdxfd" * 10)
    assert mixture.keys == ["f", "d"] and mixture.probs().shape == (2,)
    assert metrics.n == 130 and metrics.hit_rate > 0.5


def test_it_works_from_the_first_key_with_experts_that_know_nothing():
    mixture = MixturePredictor([NGramPredictor(max_order=3), MatchPredictor()])
    assert mixture.probs().shape == (0,) and mixture.guess(3) == []
    hits = []
    replay(mixture, "abcab" * 30, hits=hits)
    assert sum(hits[10:]) == len(hits) - 10  # a repeating phrase is read after two periods


def test_weight_sets_by_context_start_from_the_last_one_used():
    keys = list("xyz")
    stream = markov_stream(keys, 300, seed=2)
    plain, plain_metrics = mixed_run([NGramPredictor(max_order=1), Fixed(keys)], stream)
    bucketed, bucketed_metrics = mixed_run(
        [NGramPredictor(max_order=1), Fixed(keys)], stream, context=keys_seen_context((50, 100))
    )
    # the keys-seen context only moves forward, so each new set continues where the last left off
    assert bucketed_metrics.bits_per_char == pytest.approx(plain_metrics.bits_per_char)
    assert bucketed.weights() == pytest.approx(plain.weights())


def test_the_copy_expert_follows_a_repeated_fragment_and_grows_confident():
    copy = MatchPredictor(window=100)
    for key in "the quick brown fox. the quick bro":
        copy.observe(key)
    assert copy.predicted == "w" and copy.length >= 10
    first = copy.confidence
    hits = []
    replay(copy, "wn fox. the quick brown fox. the quick brown fox.", hits=hits)
    assert all(hits)
    assert copy.confidence > first


def test_the_copy_expert_forgets_beyond_its_window():
    copy = MatchPredictor(window=20)
    for key in "abcdefghij" + "0123456789" * 3 + "abcdefghi":
        copy.observe(key)
    assert copy.length < 9  # "abcdefghi" left the window, so no long match


def test_several_contexts_make_two_layers_that_still_track_the_best_expert():
    keys = list("asdfghjkl")
    stream = markov_stream(keys, 1200, seed=9)
    experts = [NGramPredictor(max_order=1), NGramPredictor(max_order=3), Fixed(keys, name="uniform"), MatchPredictor()]
    copy = experts[3]
    mixture, metrics = mixed_run(experts, stream, context=[None, lambda m: min(copy.length, 3), keys_seen_context()])
    best = min(m.bits_per_char for m in mixture.expert_metrics().values())
    assert metrics.bits_per_char < best + 0.15
    assert mixture.probs().sum() == pytest.approx(1.0)


def test_an_experts_top_guess_is_an_input_of_its_own():
    keys = list("qwer")
    stream = "".join(random.Random(4).choice(keys) for _ in range(300))
    # right about its top guess every time, but spreading almost evenly: only its vote carries the information
    timid = Knower(keys, stream, sure=0.3, name="timid")
    with_votes, voted = mixed_run([Fixed(keys, name="uniform"), timid], stream)
    without, plain = mixed_run([Fixed(keys, name="uniform"), Knower(keys, stream, sure=0.3)], stream, votes=False)
    assert with_votes.vote_weights()["timid"] > 0.5 and without.vote_weights()["knower"] == 0.0
    assert voted.bits_per_char < plain.bits_per_char - 0.3


def test_warmup_keys_are_read_by_the_experts_but_teach_the_mixer_nothing():
    """Keys before the game (the end of the fitted keys) give the experts context; the mixer's weights must not learn
    from them, or an expert that memorised them would look perfect."""
    keys = list("asdf")
    stream = markov_stream(keys, 300, seed=3)
    warmed = MixturePredictor([NGramPredictor(max_order=2), Knower(keys, stream, sure=1.0, name="memoriser")])
    fresh = MixturePredictor([NGramPredictor(max_order=2), Knower(keys, stream, sure=1.0, name="memoriser")])
    replay(warmed, "", warmup=stream)
    assert warmed.weights() == fresh.weights()
    assert warmed.experts[0].history == stream[-2:]  # the n-gram did read the keys
    assert warmed.experts[1].position == len(stream)
    observed = MixturePredictor([NGramPredictor(max_order=2), Knower(keys, stream, sure=1.0, name="memoriser")])
    replay(observed, stream)
    assert observed.weights()["memoriser"] > fresh.weights()["memoriser"]  # observing, by contrast, teaches it


def test_the_recent_expert_splits_its_vote_between_every_recent_follower():
    from keytui.predictors.recent import RecentPredictor

    recent = RecentPredictor(window=64, max_order=4)
    for key in "ayxabxa":  # "a" was followed once by "y" and once by "b"; "xa" only by "b"
        recent.observe(key)
    probs = recent.distribution()
    assert probs["b"] > probs["y"] > probs["x"]  # the longer context "xa" tips it to b; y still gets a share
    assert sum(probs.values()) == pytest.approx(1.0)


def test_the_recent_expert_forgets_beyond_its_window():
    from keytui.predictors.recent import RecentPredictor

    recent = RecentPredictor(window=8, max_order=2)
    for key in "ab" + "cdefghij" * 2 + "a":  # "a" -> "b" happened, but long before the window
        recent.observe(key)
    probs = recent.distribution()
    assert probs["b"] == pytest.approx(probs["z"] if "z" in probs else min(probs.values()))
    assert max(probs, key=probs.get) != "b"


class Scripted(Predictor):
    """A given distribution at each key (row t of `table` before key t)."""

    def __init__(self, keys, table, name):
        super().__init__()
        self.name, self.keys, self.table, self.position = name, list(keys), table, 0

    def probs(self):
        return self.table[self.position]

    def observe(self, key):
        self.position += 1


def average_stream_loss(seed: int, *, average: bool) -> tuple[float, MixturePredictor]:
    """Two experts with shapeless (Dirichlet) distributions; each key is drawn from their plain average."""
    rng = np.random.default_rng(seed)
    keys, n = list("abcdefgh"), 1000
    a, b = rng.dirichlet(np.full(8, 0.3), n), rng.dirichlet(np.full(8, 0.3), n)
    stream = [keys[rng.choice(8, p=(a[t] + b[t]) / 2)] for t in range(n)]
    experts = [Scripted(keys, a, "a"), Scripted(keys, b, "b")]
    mixture = MixturePredictor(experts, keys=keys, votes=False, average=average)
    losses = []
    for key in stream:
        losses.append(-np.log(mixture.prob_of(key, mixture.probs())))
        mixture.observe(key)
    return float(np.mean(losses[200:])), mixture


@pytest.mark.parametrize("seed", [0, 1])
def test_the_average_input_reads_a_stream_no_product_of_experts_can(seed):
    # A geometric mixture of two experts cannot express their plain average in general; the average input can, and
    # the mixer learns to lean on it.
    with_average, mixture = average_stream_loss(seed, average=True)
    without, _ = average_stream_loss(seed, average=False)
    assert with_average < without - 0.05
    assert mixture.average_weight() > 0.5
    assert set(mixture.vote_weights()) == {"a", "b"}


def test_the_games_mixers_are_chosen_by_the_repeat_and_by_how_sure_the_recent_window_is():
    from keytui.predictors.factory import confidence_context, mixer_contexts
    from keytui.predictors.recent import RecentPredictor

    buckets = [confidence_context(Fixed("abc", p))(None) for p in ([0.2, 0.4, 0.4], [0.5, 0.3, 0.2], [0.7, 0.2, 0.1])]
    assert buckets == [1, 1, 2] and confidence_context(Fixed("", []))(None) == 0
    assert confidence_context(Fixed("abcde"))(None) == 0
    assert len(mixer_contexts({"copy": MatchPredictor(), "recent": RecentPredictor()})) == 2
    assert mixer_contexts({"ngram": NGramPredictor()}) == []  # frozen: one mixer, as before
