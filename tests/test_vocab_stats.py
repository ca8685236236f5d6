import math

import pytest

from keytui.data.stats import conditional_entropy, corpus_stats, middle_aligned
from keytui.data.vocab import UNKNOWN, Vocab
from keytui.errors import KeytuiError


def test_vocab_round_trip_and_unknown_keys():
    vocab = Vocab.from_text("hello")
    assert vocab.to_list() == [UNKNOWN, "e", "h", "l", "o"]
    assert vocab.encode("hez") == [2, 1, 0]
    assert "z" not in vocab and "h" in vocab
    assert Vocab(vocab.to_list()) == vocab


@pytest.mark.parametrize("tokens", [[], ["a", UNKNOWN], [UNKNOWN, "a", "a"], [UNKNOWN, "ab"], [UNKNOWN, 3]])
def test_vocab_rejects_malformed_lists(tokens):
    with pytest.raises(KeytuiError):
        Vocab(tokens)


def test_middle_aligned_puts_the_most_frequent_key_in_the_middle():
    counts = {"a": 5, "b": 4, "c": 3, "d": 2, "e": 1}
    assert [k for k, _ in middle_aligned(counts)] == ["e", "c", "a", "b", "d"]


def test_entropies():
    stats = corpus_stats("abcd" * 100)
    assert stats.entropy0 == pytest.approx(2.0)
    assert stats.entropy2 == pytest.approx(0.0)  # fully determined by the previous keys
    assert conditional_entropy("ab", 2) == 0.0
    assert stats.majority_rate == pytest.approx(0.25)
    assert math.isclose(corpus_stats("aab").entropy0, -(2 / 3 * math.log2(2 / 3) + 1 / 3 * math.log2(1 / 3)))
