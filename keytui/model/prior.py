"""The pretrained prior: a network that has read many SYNTHETIC typists, then real people's mashing, shipped as the
`demo` model.

It knows what mashers have in common (home rows, rolls to neighbouring keys, alternating hands, loops of a few keys,
few repeats) before it has seen a key of yours, and reads a new typist from the first key by carrying its recurrent
state. `keytui train` starts from it by default and fine-tunes on your keys (`--from-scratch` trains a network from
random weights). tools/pretrain_prior.py pretrains it on synthetic typists, tools/finetune_prior_real.py then
fine-tunes it on the first 70% of the lines of real keyboard mashes (MIT, keytui/demo/LICENSE-isitkbs) and
validates it on the rest; this module holds what those scripts, training and the benchmarks share.
"""

from __future__ import annotations

import random
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from keytui.data.keyboard import DEFAULT_LAYOUT
from keytui.synthetic.simulate import PERSONAS, random_typist, simulate

if TYPE_CHECKING:  # training imports torch; `keytui list` reads PRIOR_KIND without it
    from keytui.model.training import TrainConfig

PRIOR_PATH = Path(__file__).parents[1] / "demo" / "demo.safetensors"
PRIOR_KIND = "pretrained on synthetic typists"

# The prior's network: a little smaller than a from-scratch model's (70 / 150), so that pretraining fits in minutes
# on two CPU cores and fine-tuning on 10,000 keys in seconds.
PRIOR_MODEL = {"arch": "gru", "embedding_dim": 64, "hidden_size": 128, "num_layers": 2, "dropout": 0.1}

# Fine-tuning a prior on a player's keys: it already reads typists, so few epochs with short patience (and a short
# weight average) keep it from forgetting what it knows while it learns this player. On 1,000 keys of two held-out
# typists, lr 2e-4 / 1e-3 / 3e-3 gave the same held-out hit (within 1 point); 1e-3 stops sooner.
FINE_TUNE = {"lr": 1e-3, "epochs": 12, "patience": 3, "lr_patience": 1, "average_epochs": 2.0}


def fine_tune_config(base: TrainConfig | None = None, **overrides) -> TrainConfig:
    """The training settings for a fine-tune: FINE_TUNE over `base`, then any explicit overrides."""
    from keytui.model.training import TrainConfig

    settings = {**FINE_TUNE, **{k: v for k, v in overrides.items() if v is not None}}
    return replace(base or TrainConfig(), **settings)


def typist_keys(seed: int, keys: int) -> tuple[str, str]:
    """`keys` keystrokes of SYNTHETIC typist `seed` and the layout it types on: mostly a random typist (habits and
    layout drawn over wide ranges, keytui/synthetic/simulate.py), sometimes one of the named personas. Seeded."""
    rng = random.Random(f"keytui-typist-{seed}")
    if rng.random() < 0.15:
        return DEFAULT_LAYOUT, simulate(rng.choice(sorted(PERSONAS)), keys, seed=seed)
    typist = random_typist(seed, layout=None)
    text, _ = typist.generate(keys, seed)
    return typist.params.layout, text
