"""The simulator looks like people: every statistic of real keyboard mashing (the shared data's README) lies well
inside the range of the random typists the prior is pretrained on; and the statistics measure what they say."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from keytui.synthetic.simulate import (
    MASHING_STATISTICS,
    Mode,
    Typist,
    TypistParams,
    join_lines,
    mashing_statistics,
    random_typist,
)

ROOT = Path(__file__).resolve().parents[1]
# shared/ sits beside a clone (CI: a copy beside the fresh clone; here: /work/shared beside /work/main), or inside it
SHARED_CANDIDATES = [ROOT / "shared", ROOT.parent / "shared", ROOT.parent.parent / "shared"]
REAL_MASHES = next(
    (c / "data" / "real" / "isitkbs_keysmash.txt" for c in SHARED_CANDIDATES if (c / "data" / "real").is_dir()), None
)
SESSION_KEYS = 800  # the mash file's short lines joined into sessions as long as the hidden ones, for drift
TYPISTS = 40


def _real_statistics() -> dict[str, float]:
    lines = REAL_MASHES.read_text(encoding="utf-8").splitlines()
    found = mashing_statistics(lines)
    found["drift"] = mashing_statistics(join_lines(lines, SESSION_KEYS))["drift"]
    return found


@pytest.mark.skipif(REAL_MASHES is None, reason="the shared real data (shared/data/real/) is not beside this clone")
def test_real_mashing_lies_well_inside_the_simulated_typists():
    real = _real_statistics()
    simulated = [
        mashing_statistics([random_typist(20_000 + seed, "qwerty").generate(SESSION_KEYS, seed)[0]])
        for seed in range(TYPISTS)
    ]
    outside = []
    for name in MASHING_STATISTICS:
        values = np.array([found[name] for found in simulated])
        low, high = np.percentile(values, [10, 90])
        if not low < real[name] < high:
            outside.append(f"{name}: real {real[name]:.3f}, simulated 10th-90th percentile {low:.3f}-{high:.3f}")
    assert not outside, "; ".join(outside)


def test_the_statistics_measure_what_they_say():
    # a d: home row, left hand, two keys apart (not adjacent); d f: adjacent; f j: other hand; steps never cross lines
    found = mashing_statistics(["adfj", "ss"])
    assert found["repeat"] == pytest.approx(1 / 4)
    assert found["other_hand"] == pytest.approx(1 / 4)
    assert found["adjacent"] == pytest.approx(1 / 4)
    assert found["row_home"] == 1.0 and found["row_top"] == found["row_number"] == found["row_bottom"] == 0.0
    assert found["carry_on"] == 1.0  # a d f j: rightwards all along
    assert mashing_statistics(["asa"])["carry_on"] == 0.0  # right, then back left
    assert mashing_statistics(["qw1Q"])["row_top"] == pytest.approx(3 / 4)  # capitals count as their key
    # s d f s d f s d f: every key from the fifth on continues the pair typed three keys before
    assert mashing_statistics(["sdfsdfsdf"])["back_and_forth"] == pytest.approx(5 / 6)
    assert mashing_statistics(["qwertyuiop"])["back_and_forth"] == 0.0
    assert np.isnan(mashing_statistics(["asdf"])["drift"])  # too short to have halves
    assert mashing_statistics(["as" * 200])["drift"] == 0.0
    assert mashing_statistics(["a" * 200 + "l" * 200])["drift"] == 1.0


def _typist(copy: float = 0.0, **habits) -> Typist:
    mode = Mode(homes=((3.0, 1.5), (8.5, 1.5)), spread=1.5, home_row=1.0, alternate=0.5, roll=0.0,
                roll_direction=0.0, repeat=0.0, burst=0.0, **habits)  # fmt: skip
    return Typist(TypistParams(layout="qwerty", modes=(mode,), switch=0.0, word_length=0.0, shift=0.0, copy=copy))


def test_the_new_habits_move_their_statistics():
    plain = mashing_statistics([_typist().generate(3000, seed=1)[0]])
    carrying = mashing_statistics([_typist(carry=0.6).generate(3000, seed=1)[0]])
    averse = mashing_statistics([_typist(avoid_repeat=1.0).generate(3000, seed=1)[0]])
    letters = mashing_statistics([_typist(number_row=0.0).generate(3000, seed=1)[0]])
    assert carrying["carry_on"] > plain["carry_on"] + 0.15
    assert averse["repeat"] == 0.0 < plain["repeat"]
    assert letters["row_number"] == 0.0 < plain["row_number"]


def test_habits_that_leave_no_fresh_keys_are_refused():
    with pytest.raises(ValueError, match="fresh"):
        _typist(carry=0.7, copy=0.5)
