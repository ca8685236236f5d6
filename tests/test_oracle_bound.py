"""The kind-aware Bayes guessers behind benchmarks/bench_oracle_bound.py: they must be the rule they claim to be."""

import numpy as np

from benchmarks.bench_oracle_bound import biased_bayes, habit_guesses, repeater_bayes


def test_repeater_bayes_guesses_the_last_key_after_the_first_press():
    # every repeater of the simulator repeats more often than it switches, on 2 and on 3 keys
    for k in (2, 3):
        presses = [0, 1, 1, 2 % k, 0, 0, 1]
        guesses = repeater_bayes(k).guesses(presses)
        assert guesses[1:].tolist() == presses[:-1]


def test_biased_bayes_follows_the_majority_and_ignores_order():
    for k in (2, 3):
        presses = [1, 0, 1, 1, 0, 1, 1, 1, 0, 1]
        guesses = biased_bayes(k).guesses(presses)
        assert guesses[-1] == 1
        # the same presses in another order give the same final guess: a biased player has no memory
        assert biased_bayes(k).guesses(sorted(presses))[-1] == 1
        tables = biased_bayes(k).tables
        assert np.allclose(tables[:, 1:], tables[:, :1])  # the same row after any key as before the first


def test_habit_bayes_reads_an_order_two_table():
    # a deterministic order-2 habit on f/d: 00->1, 01->1, 11->0, 10->0; after a few laps every guess is right
    presses = [0, 0]
    table = {(0, 0): 1, (0, 1): 1, (1, 1): 0, (1, 0): 0}
    for _ in range(60):
        presses.append(table[tuple(presses[-2:])])
    guesses = habit_guesses(presses, 2)
    assert (guesses[20:] == np.array(presses[20:])).all()
