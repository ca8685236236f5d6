"""How many CPU threads torch may use: one for play, what the machine can spare for training.

torch starts as many threads as there are cores, whatever else runs. A guess is a few small matrix products: split
over threads, each product waits for the slowest thread, and on a busy machine that thread is off the CPU. On two
cores with two other busy processes, a headless adaptive game of 400 keys took 7x longer with torch's default than
with one thread. So play, eval and the guess path use one thread; training uses the cores the load average leaves
free (at least one), so that it neither fights the machine's other work nor the game beside it.

torch keeps one count for the whole process: the screens set it as they start their work (play, a training run),
and a training run beside a game (the play screen's retrain) takes one thread. Nothing here imports torch: when it
is not loaded yet, the count goes into the environment torch reads as it loads (OMP_NUM_THREADS, MKL_NUM_THREADS),
so the game can start before torch has.
"""

from __future__ import annotations

import os
import sys

# What the user set before keytui started (a count keytui writes there itself is not the user's choice).
_USER_THREADS = os.environ.get("OMP_NUM_THREADS", "")


def machine_cores() -> int:
    """The cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def spare_cores(cores: int | None = None, load: float | None = None) -> int:
    """The cores other work leaves free: `cores` less the 1-minute load average (rounded), at least 1.

    `cores` and `load` default to this machine's; they are parameters so the rule can be checked."""
    cores = machine_cores() if cores is None else cores
    if load is None:
        try:
            load = os.getloadavg()[0]
        except (AttributeError, OSError):
            load = 0.0
    return max(1, min(cores, cores - round(load)))


def training_threads() -> int:
    """Threads for a training run: OMP_NUM_THREADS when the user set it, else the spare cores."""
    if _USER_THREADS.isdigit() and int(_USER_THREADS) > 0:
        return int(_USER_THREADS)
    return spare_cores()


def use_threads(count: int) -> None:
    """torch computes on `count` threads from now on, numpy's BLAS on one (keytui's numpy work is one key's small
    products: threads only wait for each other, and spin while they do)."""
    _one_blas_thread()
    torch = sys.modules.get("torch")
    if torch is None:  # read by torch when it loads
        os.environ["OMP_NUM_THREADS"] = os.environ["MKL_NUM_THREADS"] = str(count)
        return
    if torch.get_num_threads() != count:
        torch.set_num_threads(count)


def for_play() -> None:
    """Play, eval, headless games and the guess path: one thread (a guess is too small to split)."""
    use_threads(1)


def for_training(*, beside_play: bool = False) -> int:
    """A training run: the spare cores, or one thread when it runs beside a game (the play screen's retrain), so
    that the game's keys are never kept waiting. Returns the count."""
    count = 1 if beside_play else training_threads()
    use_threads(count)
    return count


def _one_blas_thread() -> None:
    if "numpy" not in sys.modules:  # read by OpenBLAS as numpy loads
        os.environ["OPENBLAS_NUM_THREADS"] = "1"
        return
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=1, user_api="blas")
