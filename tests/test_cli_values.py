"""Every numeric flag has a range: a value outside it, nan or inf is a one-line usage error, never a traceback."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from keytui.cli import common as cli
from keytui.cli.main import build_parser, main
from keytui.model import models

BAD = [
    ("train", "--lr", "1e308"),
    ("train", "--lr", "0"),
    ("train", "--hidden", "100000"),
    ("train", "--embedding", "1e8"),
    ("train", "--weight-decay", "-1"),
    ("train", "--weight-decay", "nan"),
    ("train", "--refit-fraction", "inf"),
    ("train", "--refit-fraction", "1e300"),
    ("train", "--seed", str(2**70)),
    ("train", "--layers", "5000"),
    ("train", "--max-seconds", "-5"),
    ("train", "--dropout", "1"),
    ("train", "--epochs", "0"),
    ("train", "--batch-size", "1e9"),
    ("train", "--seq-len", "-1"),
    ("train", "--average-epochs", "-inf"),
    ("train", "--patience", "0"),
    ("train", "--lr-patience", "-1"),
    ("record", "--goal", "0"),
    ("play", "--round", "-3"),
    ("simulate", "--seed", "-1"),
]


@pytest.mark.parametrize(("command", "flag", "value"), BAD)
def test_out_of_range_values_are_one_line_usage_errors(capsys, command, flag, value):
    with pytest.raises(SystemExit) as info:
        main([command, flag, value])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and flag in err and "Traceback" not in err


def test_every_numeric_flag_documents_its_range():
    parser = build_parser()
    subparsers = next(a for a in parser._actions if a.choices and "train" in a.choices).choices
    checked = 0
    for name, sub in subparsers.items():
        for action in sub._actions:
            if action.type is int or action.type is float:
                pytest.fail(f"{name} {action.option_strings} has no range")
            if hasattr(action.type, "range"):
                assert action.type.range in action.help, (name, action.option_strings)
                checked += 1
    assert checked >= 19


def test_cli_model_bounds_match_the_checkpoint_bounds():
    assert (cli.MAX_HIDDEN, cli.MAX_EMBEDDING, cli.MAX_LAYERS) == (
        models.MAX_HIDDEN,
        models.MAX_EMBEDDING,
        models.MAX_LAYERS,
    )


@settings(max_examples=200, deadline=None)
@given(st.one_of(st.text(max_size=12), st.floats().map(repr), st.integers().map(str)))
def test_any_text_as_a_flag_value_parses_or_is_refused_in_range(text):
    parse = cli.number(float, 0, 10, low_open=True)
    try:
        value = parse(text)
    except Exception as exc:
        assert type(exc).__name__ == "ArgumentTypeError" and "\n" not in str(exc)
    else:
        assert 0 < value <= 10


def test_simulate_keys_out_of_range_is_one_line(capsys):
    assert main(["simulate", "--keys", "0"]) == 1  # --keys also takes a key set (with --players): checked later
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--keys" in err and "outside" in err
