"""The one predictor play, eval and the end-of-training test all replay keys through.

A checkpoint holds a network and the keys it was fitted on; this builds the experts around them, the mixer over
them, and the calibration of the confidence shown on top. Nothing here was chosen on validation keys: the mixer
learns, key by key, which expert reads this player, and the calibrator how often guesses like this one hit.

    network      the trained network (adaptive: dynamic evaluation, one SGD step every few keys)
    cache        the network with a vote of this game's moments most like now (adaptive only)
    memory       the network with a vote of the fitted moments most like now (when the checkpoint keeps its keys)
    ngram        a variable-order n-gram of the fitted keys (adaptive: and of the player's)
    player       a variable-order n-gram of the player's keys alone, from the first key (adaptive only)
    copy         the fragment the player is repeating from the last few hundred keys (adaptive only)
    recent       what followed the last few keys each time they occurred in the last 64 (adaptive only)
    geometry     where the next key sits on the keyboard relative to the last (predictors/geometry.py), from the
                 fitted keys (adaptive: and the player's)

Frozen (adaptive=False), no expert learns from the keys it is shown; the mixer's few weights and the calibrator
still do (that is how it knows whom to trust).
"""

from __future__ import annotations

from keytui.data.keyboard import layout_or_default
from keytui.model.stepper import steps_in_numpy
from keytui.predictors.base import Predictor
from keytui.predictors.cache import NeuralCachePredictor
from keytui.predictors.calibration import CalibratedPredictor
from keytui.predictors.geometry import GeometryPredictor
from keytui.predictors.match import MatchPredictor
from keytui.predictors.memory import MemoryPredictor
from keytui.predictors.mixer import Context, MixturePredictor
from keytui.predictors.neural import NeuralPredictor
from keytui.predictors.ngram import NGramPredictor
from keytui.predictors.recent import RecentPredictor

# The mixer's step size for the game. Replaying the same recorded expert outputs (11 streams: the 8 held-out synthetic
# typists of bench_prior, the masher, GPL-3 and a first session), 0.005 gave the best mean hit rate (34.7% against
# 34.3% at the mixer's generic 0.02, 34.5% at 0.003 and 33.3% at 0.04) and the fewest bits: a game's experts are
# read over hundreds of keys, and a larger step chases the last few.
MIXER_LEARNING_RATE = 0.005
# Where the game's mixer starts: half its weight on the experts' plain average, half on their product (each expert
# 0.5 / E), rather than all on the product. Replaying the same 13 recorded streams (bench_prior's 8 held-out typists
# from the first key, 1,000- and 10,000-key fine-tunes of two typists, GPL-3), the mean expected hit from the first
# key went from 29.97 / 30.42 / 32.06 / 32.74% to 30.30 / 30.78 / 32.38 / 32.89% after 100 / 300 / 1,000 / 3,000
# keys, the fine-tunes from 89.0% to 89.5% of the keys-only limit, GPL-3 58.00% -> 58.07%. Starting on the average
# alone (29.1% at 100 keys) or a faster early step (28.3-28.7% at 100 keys) lost: before the mixer has read the player,
# the average of the experts is the safer bet, and the product still sharpens it.
MIXER_AVERAGE_START = 0.5
MEMORY_KEYS = 50_000  # the newest fitted keys the memory keeps: bounds its build time at load and each vote


def memory_allowed(meta: dict) -> bool:
    """Whether the checkpoint lets the memory of its fitted keys be an expert (`keytui train --no-memory` says no).
    Checkpoints from before the mixer saved the weight training chose; the mixer now weighs it, so they say yes."""
    saved = meta.get("memory")
    return not (isinstance(saved, dict) and saved.get("expert") is False)


def build_experts(
    checkpoint, *, adaptive: bool, memory: bool | None = None, layout: str | None = None
) -> dict[str, Predictor]:
    """The experts for `checkpoint`, by name, in the order the mixer must show them each key (the network first:
    the cache and the memory read its output). `memory`: None follows the checkpoint's metadata; `layout`: the
    keyboard the player types on (None: the checkpoint's)."""
    layout = layout_or_default(layout or checkpoint.meta.get("layout"))
    if memory is None:
        memory = memory_allowed(checkpoint.meta)
    if checkpoint.model is None and (not steps_in_numpy(checkpoint.config) or (memory and _memory_keys(checkpoint))):
        checkpoint.ensure_model()  # the network steps in PyTorch, or the memory is read through it: torch now
    read_on_layout(checkpoint, layout)  # a network with keyboard geometry reads this board
    network = NeuralPredictor(checkpoint.model, checkpoint.vocab, adaptive=adaptive, checkpoint=checkpoint)
    experts: dict[str, Predictor] = {"network": network}
    if adaptive:
        experts["cache"] = NeuralCachePredictor(network)
    store = _memory(checkpoint) if memory else None
    if store is not None:
        experts["memory"] = MemoryPredictor(network, store)
    experts["ngram"] = NGramPredictor(checkpoint.fit_text, adaptive=adaptive)
    if adaptive:
        experts["player"] = NGramPredictor(max_order=4)
        experts["copy"] = MatchPredictor()
        experts["recent"] = RecentPredictor()
    experts["geometry"] = GeometryPredictor(checkpoint.fit_text, layout=layout, adaptive=adaptive)
    return experts


def build_predictor(
    checkpoint,
    *,
    adaptive: bool,
    memory: bool | None = None,
    layout: str | None = None,
    calibrated: bool = True,
) -> Predictor:
    """The predictor for a game, an eval or a test score: the mixture of `build_experts`, calibrated."""
    experts = build_experts(checkpoint, adaptive=adaptive, memory=memory, layout=layout)
    mixture = MixturePredictor(
        experts,
        context=mixer_contexts(experts),
        learning_rate=MIXER_LEARNING_RATE,
        average=True,
        average_start=MIXER_AVERAGE_START,
    )
    mixture.name = "model"
    mixture.adaptive = adaptive  # whether its experts learn from the player (the mixer's weights always do)
    return CalibratedPredictor(mixture) if calibrated else mixture


def mixer_contexts(experts: dict[str, Predictor]) -> list[Context]:
    """The contexts that choose the first-layer mixers' weight sets, one mixer each; a final mixer combines them
    (PAQ's two layers).
    - As in PAQ, the length of the repeat the player is in: in a long repeat the copy expert (and the cache)
      deserve more trust than between repeats.
    - How sure the recent-window expert is: a masher alternates replays of what it just typed (the recent expert
      sure) with fresh keys (the recent expert unsure), and different experts read the two.
    Replaying recorded expert outputs of 13 streams (bench_prior's 8 held-out typists, 10,000- and 1,000-key
    fine-tunes of two typists, GPL-3), the second context and the mixer's average input together raised the mean
    expected hit from 85.9% to 87.1% of the keys-only limit (GPL-3 58.7% -> 58.8%); either alone gave less."""
    contexts: list[Context] = []
    copy, recent = experts.get("copy"), experts.get("recent")
    if isinstance(copy, MatchPredictor):
        contexts.append(match_length_context(copy))
    if isinstance(recent, RecentPredictor):
        contexts.append(confidence_context(recent))
    return contexts


def match_length_context(copy: MatchPredictor) -> Context:
    """Weight sets by the copy expert's current match: none, 1-2 keys, 3-4, 5 or more."""
    return lambda mixture: min(3, (copy.length + 1) // 2)


def confidence_context(expert: Predictor, bounds: tuple[float, ...] = (0.3, 0.6)) -> Context:
    """Weight sets by the probability of `expert`'s top guess, bucketed at `bounds`."""

    def context(mixture: MixturePredictor) -> int:
        probs = expert.probs()
        return sum(float(probs.max()) >= bound for bound in bounds) if len(probs) else 0

    return context


def read_on_layout(checkpoint, layout: str) -> None:
    """The checkpoint's network reads keyboard `layout` from now on (one without geometry is left as it is): its
    PyTorch module when built, and its numpy arrays, from which a module built later starts."""
    from dataclasses import replace

    from keytui.model.config import key_feature_array

    config = checkpoint.config
    if checkpoint.model is not None:
        from keytui.model.models import use_layout

        use_layout(checkpoint.model, checkpoint.vocab.tokens, layout)
    if checkpoint.arrays is not None and config.key_geometry and checkpoint.settings.layout != layout:
        checkpoint.arrays["key_geometry.key_features"] = key_feature_array(checkpoint.vocab.tokens, layout)
        checkpoint.settings = replace(checkpoint.settings, layout=layout)


def _memory_keys(checkpoint) -> str:
    return checkpoint.fit_text[-MEMORY_KEYS:]


def _memory(checkpoint):
    from keytui.model.memory import KeyMemory

    text = _memory_keys(checkpoint)
    if len(text) < 2:
        return None
    ids = checkpoint.vocab.encode(text)
    return KeyMemory.build(checkpoint.model, ids, len(checkpoint.vocab) - 1)
