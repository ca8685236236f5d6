"""A checkpoint's fitted keys are bounded on reading: a model file holding N fitted key ids, loaded and turned into
play's predictor, for growing N. Only the newest MAX_FIT_KEYS are read back, so time and memory stop growing past it
(2,000,000 ids took 3.4 GB and 65-149 s before the first guess when every id was read; issue 29).

python -m benchmarks.bench_fit_ids [--ids 20000 200000 2000000]
"""

from __future__ import annotations

import argparse
import random
import resource
import tempfile
import time
from pathlib import Path

from benchmarks.common import header


def main() -> None:
    from keytui.data.vocab import Vocab
    from keytui.model.checkpoint import MAX_FIT_KEYS, load_checkpoint, save_checkpoint
    from keytui.model.models import KeyModel, ModelConfig
    from keytui.predictors.factory import build_predictor

    parser = argparse.ArgumentParser()
    parser.add_argument("--ids", type=int, nargs="+", default=[20_000, 200_000, 2_000_000])
    args = parser.parse_args()
    header(f"fitted keys read back (MAX_FIT_KEYS = {MAX_FIT_KEYS:,})")
    keys = "asdfjkl;"
    vocab = Vocab.from_text(keys)
    model = KeyModel(ModelConfig(vocab_size=len(vocab), hidden_size=16, embedding_dim=8, num_layers=1), vocab.tokens)
    rng = random.Random(0)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "m.safetensors"
        load_checkpoint_warm = False
        columns = ("ids in file", 12), ("file MB", 8), ("keys read", 10), ("load s", 7), ("predictor s", 12)
        print(" ".join(f"{name:>{width}s}" for name, width in columns), f"{'peak RSS MB':>12s}")
        for count in args.ids:
            save_checkpoint(path, model, vocab, {}, fit_text="".join(rng.choice(keys) for _ in range(count)))
            if not load_checkpoint_warm:  # torch's first import is not the fitted keys' cost
                load_checkpoint(path)
                load_checkpoint_warm = True
            started = time.perf_counter()
            checkpoint = load_checkpoint(path)
            loaded = time.perf_counter()
            build_predictor(checkpoint, adaptive=True)
            built = time.perf_counter()
            rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            print(
                f"{count:>12,d} {path.stat().st_size / 1e6:>8.1f} {len(checkpoint.fit_text):>10,d} "
                f"{loaded - started:>7.2f} {built - loaded:>12.2f} {rss:>12.0f}"
            )


if __name__ == "__main__":
    main()
