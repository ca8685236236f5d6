"""The thread policy: one torch thread for play, the spare cores for training, set before or after torch loads."""

import subprocess
import sys

import pytest

from keytui.model import threads


@pytest.mark.parametrize(
    ("cores", "load", "spare"),
    [(2, 0.1, 2), (2, 2.3, 1), (2, 9.0, 1), (16, 3.4, 13), (1, 0.0, 1)],
)
def test_training_takes_the_cores_the_load_leaves(cores, load, spare):
    assert threads.spare_cores(cores, load) == spare


def test_play_before_torch_loads_sets_what_torch_reads_as_it_loads():
    code = (
        "import os, sys; from keytui.model import threads; threads.for_play(); "
        "assert 'torch' not in sys.modules; import torch; print(torch.get_num_threads())"
    )
    env = {k: v for k, v in __import__("os").environ.items() if k not in ("OMP_NUM_THREADS", "MKL_NUM_THREADS")}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env).stdout
    assert out.split() == ["1"]


def test_play_after_torch_loaded_and_training_beside_it():
    import torch

    before = torch.get_num_threads()
    try:
        torch.set_num_threads(2)
        threads.for_play()
        assert torch.get_num_threads() == 1
        assert threads.for_training(beside_play=True) == 1 and torch.get_num_threads() == 1
    finally:
        torch.set_num_threads(before)
