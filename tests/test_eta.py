"""The training ETA covers the whole run and respects --max-seconds."""

from __future__ import annotations

from keytui.model.eta import RunShape, remaining_seconds
from keytui.model.training import EpochDone

from .test_training import _trainer


def test_eta_counts_the_refit_and_the_choice_replays():
    shape = RunShape(epochs=10, train_keys=700, val_keys=200, refit=True, refit_fraction=0.5, replayed_keys=1000)
    eta = remaining_seconds(shape, epoch=4, elapsed=8.0, best_epoch=4, step_seconds=0.001)
    epochs_left, refit, replays = 6 * 2.0, 2 * 2.0 * 900 / 700, 1.0
    assert abs(eta - (epochs_left + refit + replays)) < 1e-9
    plain = RunShape(epochs=10, train_keys=700, val_keys=200, refit=False)
    assert remaining_seconds(plain, epoch=10, elapsed=20.0, best_epoch=9, step_seconds=0.001) == 0.0


def test_eta_stops_where_max_seconds_stops_the_run():
    shape = RunShape(epochs=500, train_keys=700, val_keys=200, max_seconds=10.0, refit=True)
    eta = remaining_seconds(shape, epoch=2, elapsed=4.0, best_epoch=2, step_seconds=0.0)
    assert eta <= (10.0 - 4.0) + 2 * 2.0  # the limit, plus the epoch and the refit epoch running when it passes
    assert eta < 498 * 2.0  # not the 500 epochs it will never run


def test_the_last_epochs_eta_still_counts_the_refit(small_text):
    events = []
    _trainer(small_text, epochs=2, refit=True).run(events.append)
    last = [e for e in events if isinstance(e, EpochDone)][-1]
    assert last.epoch == 2 and last.eta_seconds > 0  # the refit is still to come
