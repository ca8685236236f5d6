"""`keytui train`: train (fine-tune) a next-key model: the train screen, or headless with progress lines or JSON."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from keytui.cli.common import (
    DEFAULT_CORPUS,
    EXIT_INTERRUPTED,
    MAX_EMBEDDING,
    MAX_HIDDEN,
    MAX_LAYERS,
    PROGRESS_SECONDS,
    SEED,
    interactive,
    number,
    read_corpus_noting,
    workspace_of,
)
from keytui.data.keyboard import LAYOUTS
from keytui.errors import KeytuiError


def add_parser(sub) -> None:
    parser = sub.add_parser("train", help="train a next-key model on a corpus", formatter_class=_TrainHelp)
    parser.add_argument("--corpus", default=DEFAULT_CORPUS, help="corpus name or path (default: %(default)s)")
    parser.add_argument("--out", help="checkpoint name or path (default: the corpus name)")
    parser.add_argument("--arch", choices=["gru", "gru-onehot", "lstm", "lstm-attn"], help="model (default: gru)")
    parser.add_argument(
        "--preset",
        choices=["default", "reference"],
        default="default",
        help="'reference' uses the reference notebook's model and training settings",
    )
    parser.add_argument(
        "--objective",
        choices=["chunk", "window"],
        help="chunk: every key predicts the next (default); window: one target per window",
    )
    for flag, kind, text in (
        ("--epochs", number(int, 1, 10_000), "maximum epochs"),
        ("--batch-size", number(int, 1, 4096), "parallel streams (chunk) or windows (window) per batch"),
        ("--seq-len", number(int, 1, 4096), "keys per chunk or window"),
        ("--lr", number(float, 0, 10, low_open=True), "initial learning rate"),
        ("--weight-decay", number(float, 0, 10), "AdamW weight decay"),
        (
            "--average-epochs",
            number(float, 0, 10_000),
            "keep a moving average of the weights over about this many epochs (0: off)",
        ),
        (
            "--refit-fraction",
            number(float, 0, 10, low_open=True),
            "refit for this fraction of the epochs early stopping chose",
        ),
        ("--patience", number(int, 1, 10_000), "early stopping: epochs without improvement"),
        ("--lr-patience", number(int, 0, 10_000), "ReduceLROnPlateau patience"),
        ("--hidden", number(int, 1, MAX_HIDDEN), "recurrent hidden size"),
        ("--layers", number(int, 1, MAX_LAYERS), "recurrent layers"),
        ("--embedding", number(int, 1, MAX_EMBEDDING), "embedding size"),
        ("--dropout", number(float, 0, 1, high_open=True), "dropout"),
        ("--seed", SEED, "random seed"),
        ("--max-seconds", number(float, 0, 7 * 24 * 3600, low_open=True), "stop after this many seconds"),
    ):
        parser.add_argument(flag, type=kind, help=f"{text}, in {kind.range}")
    parser.add_argument(
        "--refit",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="after early stopping, go on training on train + validation keys (default: on)",
    )
    parser.add_argument(
        "--memory",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="let a memory of the training keys be one of the experts in play (default: on)",
    )
    parser.add_argument(
        "--share-key-caps",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="a character and its shifted twin (a/A, 1/!) share their key cap's weights (default: on)",
    )
    parser.add_argument(
        "--from",
        dest="from_model",
        metavar="MODEL",
        help="fine-tune this model (name or path; default: the shipped prior, demo, pretrained on synthetic typists)",
    )
    parser.add_argument(
        "--from-scratch",
        action="store_true",
        help="train a new network from random weights instead of fine-tuning the pretrained prior",
    )
    parser.add_argument(
        "--replace",
        action="store_true",
        help="replace an existing model of that name even if the new one is not better on the held-out keys "
        "(the old one is kept under checkpoints/previous/ either way)",
    )
    parser.add_argument("--headless", action="store_true", help="print progress lines instead of opening the screen")
    parser.add_argument(
        "--layout", choices=LAYOUTS, help="the keyboard layout the corpus was typed on (default: the corpus's)"
    )
    parser.add_argument("--json", action="store_true", help="headless: print the final summary as JSON")
    parser.set_defaults(handler=cmd_train)


# `keytui train --help` shows each setting's default, read from the config classes themselves. They live beside torch,
# so they are looked up only when that help is printed: `keytui --help` stays instant.
_MODEL_FLAGS = {"hidden": "hidden_size", "layers": "num_layers", "embedding": "embedding_dim", "dropout": "dropout"}


_TRAIN_FLAGS = {
    "epochs", "batch_size", "seq_len", "lr", "weight_decay", "average_epochs", "refit_fraction", "patience",
    "lr_patience", "seed", "max_seconds",
}  # fmt: skip


class _TrainHelp(argparse.HelpFormatter):
    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        if action.dest in _TRAIN_FLAGS or action.dest in _MODEL_FLAGS:
            from keytui.model.config import ModelConfig
            from keytui.model.train_config import TrainConfig

            if action.dest in _MODEL_FLAGS:
                value = getattr(ModelConfig(vocab_size=2), _MODEL_FLAGS[action.dest])
            else:
                value = getattr(TrainConfig(), action.dest)
            text += f" (default: {'none' if value is None else value})"
        return text


MODEL_SHAPE_FLAGS = (
    ("arch", "--arch"),
    ("hidden", "--hidden"),
    ("layers", "--layers"),
    ("embedding", "--embedding"),
    ("dropout", "--dropout"),
    ("share_key_caps", "--share-key-caps"),
)


def _train_start(args, ws) -> Path | None:
    """The model to fine-tune (None: train from scratch). Flags that shape a new network need --from-scratch."""
    from keytui.model.prior import PRIOR_PATH

    if args.from_scratch:
        if args.from_model:
            raise KeytuiError("choose one of --from MODEL and --from-scratch")
        return None
    shaping = [flag for name, flag in MODEL_SHAPE_FLAGS if getattr(args, name) is not None]
    if args.preset == "reference":
        shaping.insert(0, "--preset reference")
    if shaping:
        raise KeytuiError(
            f"{shaping[0]} sets up a new network: add --from-scratch (fine-tuning keeps the network it starts from)"
        )
    if args.from_model:
        return ws.checkpoint_path(args.from_model)
    if not PRIOR_PATH.is_file():
        raise KeytuiError("the shipped pretrained model is missing; reinstall keytui or train with --from-scratch")
    return PRIOR_PATH


def _train_settings(args, fine_tune: bool = False) -> tuple[dict, object]:
    from keytui.model.prior import fine_tune_config
    from keytui.model.training import REFERENCE_MODEL, REFERENCE_TRAINING, TrainConfig, with_overrides

    model = dict(REFERENCE_MODEL) if args.preset == "reference" else {}
    for key, value in (
        ("arch", args.arch),
        ("hidden_size", args.hidden),
        ("num_layers", args.layers),
        ("embedding_dim", args.embedding),
        ("dropout", args.dropout),
        ("share_key_caps", args.share_key_caps),
    ):
        if value is not None:
            model[key] = value
    base = REFERENCE_TRAINING if args.preset == "reference" else TrainConfig()
    if fine_tune:
        base = fine_tune_config(base)
    config = with_overrides(
        base,
        objective=args.objective,
        epochs=args.epochs,
        batch_size=args.batch_size,
        seq_len=args.seq_len,
        lr=args.lr,
        weight_decay=args.weight_decay,
        average_epochs=args.average_epochs,
        patience=args.patience,
        lr_patience=args.lr_patience,
        seed=args.seed,
        max_seconds=args.max_seconds,
        refit=args.refit,
        refit_fraction=args.refit_fraction,
    )
    from keytui.model.config import ModelConfig

    ModelConfig(vocab_size=2, **model)  # validate the settings before any corpus is read
    return model, config


def cmd_train(args) -> int:
    from keytui.data.paths import BUNDLED_DIR, looks_like_path
    from keytui.game.versions import check_model_output
    from keytui.model.prior import PRIOR_PATH

    memory_expert = args.memory is not False
    ws = workspace_of(args).ensure()
    prior = _train_start(args, ws)
    model_settings, config = _train_settings(args, fine_tune=prior is not None)
    corpus_path = ws.corpus_path(args.corpus)
    if corpus_path.suffix == ".safetensors":
        raise KeytuiError(f"{corpus_path.name} is a model, not a corpus")
    # the default is named after the corpus file, whatever its name holds (a corpus given by path may be `x y.txt`)
    out = (
        ws.checkpoint_path(args.out, must_exist=False)
        if args.out
        else ws.checkpoints / f"{corpus_path.stem}.safetensors"
    )
    if out.parent.resolve() == BUNDLED_DIR.resolve() and not looks_like_path(args.out):
        out = ws.checkpoints / out.name  # a name keytui ships (demo) is trained in the workspace, beside it
    check_model_output(out)  # before the training, not after: never a corpus, someone's file, or the shipped prior
    text = read_corpus_noting(corpus_path)
    from keytui.data.corpus_meta import known_kind, read_layout, sidecar_problem

    problem = sidecar_problem(corpus_path)
    if problem:  # a broken sidecar costs its layout and kind (qwerty, unknown), not the training
        print(f"keytui: warning: {problem}; training as if it had none", file=sys.stderr)
    layout = args.layout or read_layout(corpus_path)
    if interactive(args):
        from keytui.tui.app import run_app

        run_app(
            ws,
            screen="train",
            corpus=str(corpus_path),
            out=str(out),
            model_settings=model_settings,
            train_config=config,
            layout=layout,
            memory_expert=memory_expert,
            start_from="scratch" if prior is None else "prior" if prior == PRIOR_PATH else str(prior),
            replace=args.replace,
        )
        return 0
    kind = known_kind(corpus_path)
    return _train_headless(
        text,
        corpus_path.stem,
        out,
        model_settings,
        config,
        memory_expert,
        as_json=args.json,
        layout=layout,
        prior=prior,
        corpus_kind=kind,
        replace=args.replace,
    )


def _train_headless(
    text,
    corpus_name,
    out,
    model_settings,
    config,
    memory_expert: bool,
    *,
    as_json: bool,
    layout: str,
    prior: Path | None,
    corpus_kind=None,
    replace: bool = False,
) -> int:
    import threading
    import time

    from keytui.game.fit import fit_and_save
    from keytui.game.versions import baseline_words, run_words
    from keytui.model.training import BatchDone, EpochDone, RefitStarted, TrainingStarted

    log = sys.stderr if as_json else sys.stdout
    last_line = [time.monotonic()]

    def show(event) -> None:
        now = time.monotonic()
        if isinstance(event, BatchDone):  # a long epoch (a 10 MB corpus) still shows it is alive, every 5 s
            if now - last_line[0] >= PROGRESS_SECONDS:
                print(f"  epoch {event.epoch}: batch {event.batch:,}/{event.batches:,}", file=log, flush=True)
                last_line[0] = now
            return
        last_line[0] = now
        if isinstance(event, TrainingStarted):
            print(
                f"training on {event.train_keys} keys (validation {event.val_keys}, test {event.test_keys}), "
                f"{event.parameters:,} parameters, {event.batches_per_epoch} batches per epoch",
                file=log,
            )
        elif isinstance(event, EpochDone):
            mark = " *" if event.improved else ""
            print(
                f"epoch {event.epoch:3d}/{event.epochs}  train {event.train_loss:.4f}  val {event.val_loss:.4f}  "
                f"acc {event.val_accuracy:6.1%}  macroF1 {event.macro_f1:.3f}  weightedF1 {event.weighted_f1:.3f}  "
                f"lr {event.lr:.1e}  patience {event.patience_left}  left ~{event.eta_seconds:4.0f}s{mark}",
                file=log,
                flush=True,
            )
        elif isinstance(event, RefitStarted):
            print(
                f"refitting on train + validation ({event.keys} keys) for {event.epochs} epochs", file=log, flush=True
            )

    from keytui.model import threads

    threads.for_training()
    if prior is not None:
        from keytui.model.checkpoint import read_metadata

        kind = read_metadata(prior).get("kind")
        about = f" ({kind})" if kind else ""
        print(f"fine-tuning {prior.stem}{about}; --from-scratch to start afresh", file=log)
    cancel = threading.Event()
    outcome = fit_and_save(
        text,
        corpus_name=corpus_name,
        out_path=out,
        model_settings=model_settings,
        train_config=config,
        on_event=show,
        cancel=cancel,
        layout=layout,
        memory_expert=memory_expert,
        prior=prior,
        corpus_kind=corpus_kind,
        replace=replace,
    )
    result = outcome.result
    if outcome.checkpoint is None:
        if result.stopped == "cancelled":  # headless, only Ctrl-C (SIGINT) cancels
            print("keytui: interrupted before the first epoch finished; nothing was saved", file=sys.stderr)
            return EXIT_INTERRUPTED
        raise KeytuiError("training stopped before the first epoch finished; nothing was saved")
    summary = outcome.summary(layout=layout, prior=prior, memory_expert=memory_expert)
    if as_json:
        print(json.dumps(summary))
    else:
        test = result.test
        print(
            f"{run_words(result.stopped, result.epochs_run)} ({result.seconds:.1f}s); "
            f"best epoch {result.best_epoch}, val loss {result.best_val_loss:.4f}"
        )
        if test:
            print(
                f"test: loss {test.loss:.4f}  hit {test.accuracy:.1%}  top-3 {test.top3_accuracy:.1%}  "
                f"macroF1 {test.macro_f1:.3f}  weightedF1 {test.weighted_f1:.3f}"
            )
            for mode, scores in (outcome.predictor or {}).items():
                print(f"predictor ({mode}): hit {scores['hit_rate']:.1%}  top-3 {scores['top3_hit_rate']:.1%}")
            for name, scores in outcome.baselines.items():
                print(
                    f"baseline {baseline_words(name)}: hit {scores['hit_rate']:.1%}  "
                    f"top-3 {scores['top3_hit_rate']:.1%}"
                )
        print(f"{outcome.decision.reason} ({outcome.checkpoint})")
    if result.stopped == "cancelled":
        print("keytui: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    return 0
