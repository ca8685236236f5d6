"""The keyboard-geometry expert: relation classes from the layout, learnt online from the first key."""

from __future__ import annotations

import random

import numpy as np
import pytest

from keytui.data.keyboard import KEY_RELATIONS, get_layout
from keytui.predictors import GeometryPredictor, NGramPredictor, replay
from keytui.synthetic.simulate import random_typist, simulate


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ("f", "f", "same"),
        ("f", "F", "twin"),
        ("f", "g", "neighbour"),
        ("f", "t", "neighbour"),
        ("r", "v", "same_finger"),
        ("a", "f", "same_hand"),
        ("f", "j", "mirror"),
        ("a", "l", "other_hand_row"),
        ("a", "p", "other_hand"),
        ("f", " ", "to_space"),
        (" ", "f", "from_space"),
        ("f", "é", "off_board"),
    ],
)
def test_relations_on_qwerty(a, b, expected):
    assert KEY_RELATIONS[get_layout("qwerty").relation(a, b)] == expected


def test_relations_follow_the_layout():
    assert KEY_RELATIONS[get_layout("dvorak").relation("u", "h")] == "mirror"  # dvorak's index-finger home keys
    assert KEY_RELATIONS[get_layout("qwerty").relation("u", "h")] == "neighbour"
    matrix = get_layout("qwerty").relation_matrix(["f", "g", "j"])
    assert matrix.shape == (3, 3) and [KEY_RELATIONS[r] for r in matrix[0]] == ["same", "neighbour", "mirror"]


def test_a_distribution_from_the_first_key_and_for_keys_off_the_board():
    expert = GeometryPredictor()
    assert np.isclose(expert.probs().sum(), 1) and len(expert.probs()) == len(get_layout("qwerty").characters)
    for key in "fjé€fj":
        expert.observe(key)
        assert np.isclose(expert.probs().sum(), 1)
    assert "é" in expert.keys and len(expert.probs()) == len(expert.keys)


def test_it_learns_hand_alternation_for_keys_it_never_saw_follow_each_other():
    rng = random.Random(3)
    layout = get_layout("qwerty")
    left = [k.cap for row in layout.rows[1:4] for k in row if k.hand == "left"]
    right = [k.cap for row in layout.rows[1:4] for k in row if k.hand == "right"]
    expert = GeometryPredictor()
    for i in range(400):
        expert.observe(rng.choice(left if i % 2 == 0 else right))
    # the last key was on the right hand: most of the guess goes to the left hand, pairs never seen included
    probs = expert.distribution()
    assert sum(probs[k] for k in left) > 0.8


def test_it_catches_the_echo_of_the_key_before_last():
    expert = GeometryPredictor()
    rng = random.Random(1)
    caps = list("qwertyuiopasdfghjkl")
    for _ in range(100):
        a, b = rng.sample(caps, 2)
        for key in (a, b, a, b):
            expert.observe(key)
    expert.observe("z")
    expert.observe("m")
    assert expert.guess(1) == ["z"]


def test_it_reads_a_rolling_typist_better_than_an_ngram_from_nothing():
    text = simulate("roller", 1500, seed=21)
    geometry = replay(GeometryPredictor(), text)
    ngram = replay(NGramPredictor(), text)
    assert geometry.bits_per_char < ngram.bits_per_char - 0.3
    assert geometry.hit_rate > ngram.hit_rate


def test_the_right_layout_reads_a_typist_better():
    typist = random_typist(9, layout="dvorak", motifs=False)
    text, _ = typist.generate(2000, seed=2)
    right = replay(GeometryPredictor(layout="dvorak"), text).bits_per_char
    wrong = replay(GeometryPredictor(layout="qwerty"), text).bits_per_char
    assert right < wrong


def test_a_frozen_expert_keeps_what_it_learnt():
    text = simulate("masher", 800, seed=4)
    frozen = GeometryPredictor(text, adaptive=False)
    before = frozen.relation_counts.copy()
    replay(frozen, "asdfjkl;")
    assert np.array_equal(frozen.relation_counts, before) and before.sum() == len(text) - 1
