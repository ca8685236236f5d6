"""Names are names, paths are paths: only a value holding a '/' is a path; a name never leaves the workspace."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from keytui.data.paths import Workspace, looks_like_path, validate_name
from keytui.errors import KeytuiError


@pytest.fixture
def ws(tmp_path) -> Workspace:
    return Workspace(tmp_path).ensure()


def test_a_name_with_its_own_suffix_is_the_same_name(ws):
    assert ws.corpus_path("keys.txt", must_exist=False) == ws.corpora / "keys.txt"
    assert ws.checkpoint_path("mine.safetensors", must_exist=False) == ws.checkpoints / "mine.safetensors"
    assert ws.corpus_path("v1.2", must_exist=False) == ws.corpora / "v1.2.txt"


def test_the_other_kinds_suffix_is_refused(ws):
    with pytest.raises(KeytuiError, match="names a model file"):
        ws.corpus_path("mine.safetensors", must_exist=False)
    with pytest.raises(KeytuiError, match="names a corpus file"):
        ws.checkpoint_path("keys.txt", must_exist=False)


def test_only_a_separator_makes_a_path(ws, tmp_path):
    assert ws.corpus_path("./x.txt", must_exist=False).name == "x.txt"
    assert looks_like_path("a/b") and not looks_like_path("keys.txt") and not looks_like_path("..")


@pytest.mark.parametrize(
    "name", ["", ".hidden", "..", "a\nb", "tab\there", "bell\x07", "x" * 101, "x[a=", "a b", "semi;colon", "\u202eevil"]
)
def test_bad_names_are_refused_in_one_line(name):
    with pytest.raises(KeytuiError) as info:
        validate_name(name, "corpus")
    assert "\n" not in str(info.value)


@given(st.text(max_size=120))
def test_any_accepted_name_is_a_plain_file_name_inside_the_folder(name):
    try:
        clean = validate_name(name, "corpus")
    except KeytuiError:
        return
    assert clean and not clean.startswith(".") and "/" not in clean and "\\" not in clean
    assert clean.isprintable() and len(clean) <= 100 and clean not in (".", "..")
