"""Keyboard layouts: every printable ASCII character has a key, hands and fingers follow the touch-typing chart,
distances and neighbours are physical, feature vectors are stable."""

from __future__ import annotations

import string

import numpy as np
import pytest

from keytui.data.keyboard import (
    DEFAULT_LAYOUT,
    FEATURE_NAMES,
    FEATURE_SIZE,
    LAYOUTS,
    get_layout,
    is_shifted,
    key_cap,
    layout_or_default,
)
from keytui.errors import KeytuiError

PRINTABLE_ASCII = string.printable[:95]  # space to ~


def test_the_five_layouts_exist_and_qwerty_is_the_default():
    assert set(LAYOUTS) >= {"qwerty", "qwertz", "azerty", "dvorak", "colemak"}
    assert DEFAULT_LAYOUT == "qwerty"
    with pytest.raises(KeytuiError, match="unknown keyboard layout 'bepo'; choose one of qwerty"):
        get_layout("bepo")


@pytest.mark.parametrize("name", LAYOUTS)
def test_every_printable_ascii_character_has_a_key(name):
    layout = get_layout(name)
    for character in PRINTABLE_ASCII:
        key = layout.key(character)
        assert key is not None, character
        assert key.hand in ("left", "right", "both")
        assert layout.key(key.cap).cap == key.cap  # the cap itself is typed without modifiers
        assert not layout.key(key.cap).shift


@pytest.mark.parametrize(
    ("name", "character", "cap", "shift", "altgr", "hand", "finger"),
    [
        ("qwerty", "A", "a", True, False, "left", "pinky"),
        ("qwerty", "j", "j", False, False, "right", "index"),
        ("qwerty", "!", "1", True, False, "left", "pinky"),
        ("qwertz", "z", "z", False, False, "right", "index"),  # where qwerty has y
        ("qwertz", "@", "q", False, True, "left", "pinky"),
        ("azerty", "a", "a", False, False, "left", "pinky"),  # where qwerty has q
        ("azerty", "1", "&", True, False, "left", "pinky"),
        ("azerty", "é", "é", False, False, "left", "ring"),
        ("dvorak", "u", "u", False, False, "left", "index"),  # home row, where qwerty has f
        ("colemak", "n", "n", False, False, "right", "index"),  # home row, where qwerty has j
        ("qwerty", " ", " ", False, False, "both", "thumb"),
    ],
)
def test_keys_sit_where_the_layout_puts_them(name, character, cap, shift, altgr, hand, finger):
    key = get_layout(name).key(character)
    assert (key.cap, key.shift, key.altgr, key.hand, key.finger) == (cap, shift, altgr, hand, finger)


def test_home_row_is_the_same_physical_row_on_every_layout():
    homes = {name: [k.cap for k in get_layout(name).rows[2][:4]] for name in LAYOUTS}
    assert homes["qwerty"] == list("asdf")
    assert homes["dvorak"] == list("aoeu")
    assert homes["colemak"] == list("arst")
    assert homes["azerty"] == list("qsdf")
    assert {get_layout(n).key(homes[n][3]).x for n in LAYOUTS} == {get_layout("qwerty").key("f").x}


def test_legacy_qwerty_helpers_match_the_layout():
    qwerty = get_layout("qwerty")
    for character in PRINTABLE_ASCII + "é€":
        assert key_cap(character) == qwerty.key_cap(character)
        assert is_shifted(character) == qwerty.is_shifted(character)
    assert key_cap("1", "azerty") == "&" and is_shifted("1", "azerty")
    assert key_cap("1") == "1" and not is_shifted("1")


def test_distances_and_neighbours_are_physical():
    qwerty = get_layout("qwerty")
    assert qwerty.distance("f", "f") == qwerty.distance("f", "F") == 0
    assert qwerty.distance("f", "g") == 1
    assert qwerty.distance("q", "p") == pytest.approx(9)
    assert qwerty.distance("b", " ") == 1  # the space bar is wide: b sits right above it
    assert qwerty.distance("a", "é") == float("inf")
    assert set(qwerty.neighbours("f")) == set("rtdgcv")
    assert set(get_layout("dvorak").neighbours("u")) == set("pyeijk")
    assert "f" not in qwerty.neighbours("F")
    assert qwerty.neighbours("é") == []


def test_same_hand_and_other_hand():
    qwerty = get_layout("qwerty")
    assert qwerty.same_hand("a", "f") and not qwerty.other_hand("a", "f")
    assert qwerty.other_hand("a", "j") and not qwerty.same_hand("a", "j")
    assert not qwerty.same_hand(" ", " ") and not qwerty.other_hand("a", " ")
    assert get_layout("dvorak").same_hand("a", "u")  # both on the left hand there, unlike qwerty's a and u
    assert qwerty.other_hand("a", "u")


def test_feature_vectors_are_stable_and_describe_the_key():
    qwerty = get_layout("qwerty")
    assert len(FEATURE_NAMES) == FEATURE_SIZE
    f = dict(zip(FEATURE_NAMES, qwerty.features("J"), strict=True))
    assert f["hand_right"] == 1 and f["hand_left"] == 0 and f["finger_index"] == 1 and f["row_home"] == 1
    assert f["shift"] == 1 and f["off_board"] == 0
    assert 0 < f["x"] < 1 and f["y"] == 0.5
    off = dict(zip(FEATURE_NAMES, qwerty.features("é"), strict=True))
    assert off["off_board"] == 1 and off["x"] == 0
    matrix = qwerty.feature_matrix(["a", "b", " "])
    assert matrix.shape == (3, FEATURE_SIZE)
    assert np.array_equal(matrix[0], qwerty.features("a"))
    matrix[0, 0] = 99  # callers get copies: the cached vectors cannot be spoiled
    assert qwerty.features("a")[0] != 99
    # the same physical key gives the same position features on every layout
    assert np.array_equal(get_layout("dvorak").features("u")[:4], qwerty.features("f")[:4])


def test_old_metadata_means_qwerty():
    assert layout_or_default(None) == "qwerty"
    assert layout_or_default("dvorak") == "dvorak"
    assert layout_or_default("nonsense") == "qwerty"
