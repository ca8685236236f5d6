"""The `keytui` command. Heavy imports (torch, textual) happen inside each command, so `keytui --help` is instant.

Every failure the user can cause ends in one line on stderr and a non-zero exit, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

from keytui import __version__
from keytui.cli_format import print_score_table
from keytui.errors import KeytuiError
from keytui.keyboard import LAYOUTS

DEFAULT_CORPUS = "keys"
PROGRESS_SECONDS = 5.0  # headless commands say they are alive at least this often during long work
EXIT_ERROR = 1
EXIT_INTERRUPTED = 130


# Bounds of the model flags: the same as a checkpoint may declare (keytui/models.py), without importing torch.
MAX_HIDDEN = 1024
MAX_EMBEDDING = 1024
MAX_LAYERS = 8


class _Parser(argparse.ArgumentParser):
    """argparse, with usage mistakes reported in one line like every other keytui error."""

    def error(self, message: str):  # type: ignore[override]
        if "unrecognized arguments" in message and "--home" in message:
            message = "--home goes before the command: keytui --home DIR COMMAND ..."
        self.exit(2, f"keytui: error: {message} (see `{self.prog} --help`)\n")


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
            from keytui.models import ModelConfig
            from keytui.training import TrainConfig

            if action.dest in _MODEL_FLAGS:
                value = getattr(ModelConfig(vocab_size=2), _MODEL_FLAGS[action.dest])
            else:
                value = getattr(TrainConfig(), action.dest)
            text += f" (default: {'none' if value is None else value})"
        return text


class _Personas:
    """The simulator's personas, looked up only when a persona is checked or listed (keeps `keytui --help` light)."""

    def _names(self) -> list[str]:
        from keytui.simulate import PERSONAS

        return [*PERSONAS, "random"]  # random: a typist drawn from the seed (keytui.simulate.random_typist)

    def __contains__(self, name: object) -> bool:
        return name in self._names()

    def __iter__(self):
        return iter(self._names())


def number(kind: type, low: float, high: float, *, low_open: bool = False, high_open: bool = False):
    """An argparse type: an int or float within [low, high] (or open at either end); nan and inf refused.

    The range is part of the flag's help, and a value outside it is a one-line usage error, not a traceback or a
    hang (`--layers 5000`, `--lr 1e308`, `--seed 2**70`).
    """

    def parse(text: str):
        try:
            value = kind(text)
        except (ValueError, OverflowError):
            raise argparse.ArgumentTypeError(f"{text!r} is not {'an integer' if kind is int else 'a number'}") from None
        if kind is float and not math.isfinite(value):
            raise argparse.ArgumentTypeError(f"{text!r} is not a finite number")
        too_low = value <= low if low_open else value < low
        too_high = value >= high if high_open else value > high
        if too_low or too_high:
            raise argparse.ArgumentTypeError(f"{text} is outside {describe_range()}")
        return value

    def describe_range() -> str:
        return f"{'(' if low_open else '['}{low:,}, {high:,}{')' if high_open else ']'}"

    parse.__name__ = kind.__name__  # argparse names the type in its messages
    parse.range = describe_range()  # type: ignore[attr-defined]
    return parse


GOAL = number(int, 1, 1_000_000_000)
ROUND = number(int, 1, 1_000_000)
SIM_KEYS = number(int, 1, 10_000_000)
SEED = number(int, 0, 2**32 - 1)
PLAYERS = number(int, 1, 100_000)
PRESSES = number(int, 1, 1_000_000)
RANDOM_KEYS = number(int, 1, 10_000_000)
GAMES = number(int, 1, 1_000_000)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="keytui",
        description="A terminal game that learns your 'random' typing and guesses each next key before you press it.",
        epilog="Run with no command to open the home screen. Files live in a workspace: --home, $KEYTUI_HOME, the "
        "current directory when it has corpora/ and checkpoints/, or your user data directory.",
    )
    parser.add_argument("--version", action="version", version=f"keytui {__version__}")
    parser.add_argument("--home", metavar="DIR", help="workspace folder holding corpora/ and checkpoints/")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    record = sub.add_parser("record", help="record your random typing into a corpus")
    record.add_argument("--corpus", default=DEFAULT_CORPUS, help="corpus name or path (default: %(default)s)")
    record.add_argument(
        "--goal", type=GOAL, default=10_000, help=f"keys to aim for, in {GOAL.range} (default: %(default)s)"
    )
    record.add_argument("--no-timestamps", action="store_true", help="do not keep the per-key timestamp sidecar")
    record.add_argument("--headless", action="store_true", help="append the printable keys read from stdin, no screen")
    record.add_argument(
        "--layout", choices=LAYOUTS, help="the keyboard layout you type on (default: the corpus's, else qwerty)"
    )

    train = sub.add_parser("train", help="train a next-key model on a corpus", formatter_class=_TrainHelp)
    train.add_argument("--corpus", default=DEFAULT_CORPUS, help="corpus name or path (default: %(default)s)")
    train.add_argument("--out", help="checkpoint name or path (default: the corpus name)")
    train.add_argument("--arch", choices=["gru", "gru-onehot", "lstm", "lstm-attn"], help="model (default: gru)")
    train.add_argument(
        "--preset",
        choices=["default", "reference"],
        default="default",
        help="'reference' uses the reference notebook's model and training settings",
    )
    train.add_argument(
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
        train.add_argument(flag, type=kind, help=f"{text}, in {kind.range}")
    train.add_argument(
        "--refit",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="after early stopping, go on training on train + validation keys (default: on)",
    )
    train.add_argument(
        "--memory",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="let a memory of the training keys be one of the experts in play (default: on)",
    )
    train.add_argument(
        "--share-key-caps",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="a character and its shifted twin (a/A, 1/!) share their key cap's weights (default: on)",
    )
    train.add_argument(
        "--from",
        dest="from_model",
        metavar="MODEL",
        help="fine-tune this model (name or path; default: the shipped prior, demo, pretrained on synthetic typists)",
    )
    train.add_argument(
        "--from-scratch",
        action="store_true",
        help="train a new network from random weights instead of fine-tuning the pretrained prior",
    )
    train.add_argument(
        "--replace",
        action="store_true",
        help="replace an existing model of that name even if the new one is not better on the held-out keys "
        "(the old one is kept under checkpoints/previous/ either way)",
    )
    train.add_argument("--headless", action="store_true", help="print progress lines instead of opening the screen")
    train.add_argument(
        "--layout", choices=LAYOUTS, help="the keyboard layout the corpus was typed on (default: the corpus's)"
    )
    train.add_argument("--json", action="store_true", help="headless: print the final summary as JSON")

    play = sub.add_parser("play", help="play against a model: it guesses each key before you press it")
    play.add_argument(
        "--model",
        help="checkpoint name or path (default: your latest complete model trained on your own typing, else the demo)",
    )
    play.add_argument("--corpus", default=DEFAULT_CORPUS, help="where played keys are appended (default: %(default)s)")
    play.add_argument("--no-append", action="store_true", help="do not append played keys to the corpus")
    play.add_argument(
        "--round", type=ROUND, default=100, help=f"keys per round, in {ROUND.range} (default: %(default)s)"
    )
    play.add_argument(
        "--adapt",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="the model and the n-gram baseline keep learning from your keys as you play (default: on)",
    )
    play.add_argument("--dodge", action="store_true", help="show the guess before you press: try to dodge it")
    play.add_argument(
        "--random",
        type=RANDOM_KEYS,
        metavar="N",
        help="the control: a random generator plays N keys against the same machine (headless; keys not kept), "
        f"N in {RANDOM_KEYS.range}",
    )
    play.add_argument("--headless", action="store_true", help="play the printable keys read from stdin; print JSON")
    play.add_argument(
        "--layout",
        choices=LAYOUTS,
        help="the keyboard layout you type on (default: your corpus's, else the model's, else qwerty)",
    )
    play.add_argument(
        "--keys",
        help="the oracle game on these 2 to 12 keys only (fd, rps, 123456789): no model, it learns you from scratch",
    )

    imp = sub.add_parser("import", help="add your own text file as a corpus")
    imp.add_argument("file", help="a UTF-8 text file")
    imp.add_argument("--name", required=True, help="corpus name")
    imp.add_argument("--force", action="store_true", help="replace an existing corpus of that name")

    ev = sub.add_parser("eval", help="replay a corpus as a game for a model and the baselines")
    ev.add_argument("--model", help="checkpoint name or path (required unless --players)")
    ev.add_argument("--corpus", help="corpus name or path (required unless --players)")
    ev.add_argument("--players", metavar="FILE", help="few-key oracle game: one player's presses per line, in order")
    ev.add_argument("--keys", help="with --players: the game's keys (default: the file's own, 2 to 12)")
    ev.add_argument("--adapt", action="store_true", help="predictors keep learning from the keys they are shown")
    ev.add_argument(
        "--split",
        choices=["test", "all"],
        default="test",
        help="test: only the held-out keys the model never trained on (default); all: every key, training keys "
        "included (flatters the model)",
    )
    ev.add_argument("--json", action="store_true", help="print one JSON object")

    stats = sub.add_parser("stats", help="key counts, frequency chart and entropy of a corpus")
    stats.add_argument("corpus", nargs="?", default=DEFAULT_CORPUS, help="corpus name or path")
    stats.add_argument("--json", action="store_true", help="print one JSON object")

    sim = sub.add_parser("simulate", help="write a SYNTHETIC keyboard masher's keystrokes (demo and tests)")
    sim.add_argument(
        "--persona", default="masher", choices=_Personas(), metavar="PERSONA",
        help="one of %(choices)s; random: a typist whose habits are drawn from --seed (default: %(default)s)",
    )  # fmt: skip
    sim.add_argument("--layout", choices=LAYOUTS, default="qwerty", help="a random typist's layout (default: qwerty)")
    sim.add_argument(
        "--keys",
        default="10000",
        help=f"how many keys, in {SIM_KEYS.range} (default: %(default)s); with --players: which keys",
    )
    sim.add_argument(
        "--players",
        type=PLAYERS,
        help=f"SYNTHETIC few-key players instead: this many, one per line; in {PLAYERS.range}",
    )
    sim.add_argument(
        "--presses",
        type=PRESSES,
        default=300,
        help=f"with --players: presses per player, in {PRESSES.range} (default: 300)",
    )
    sim.add_argument("--seed", type=SEED, default=0, help=f"random seed, in {SEED.range} (default: %(default)s)")
    sim.add_argument("--name", help="save as this corpus (default: print to stdout)")
    sim.add_argument("--force", action="store_true", help="replace an existing corpus of that name")

    sub.add_parser("list", help="list corpora and models in the workspace")

    ins = sub.add_parser("insight", help="what gave you away: the habits the guesses used, in plain words")
    ins.add_argument("--corpus", default=DEFAULT_CORPUS, help="corpus name or path to look at (default: %(default)s)")
    ins.add_argument(
        "--games",
        type=GAMES,
        metavar="N",
        help=f"look at your last N games instead, with the machine's guesses; N in {GAMES.range}",
    )
    ins.add_argument("--layout", default="qwerty", help="keyboard layout the keys were typed on (default: %(default)s)")
    ins.add_argument("--json", action="store_true", help="print one JSON object")

    hist = sub.add_parser("history", help="every finished round and game, oldest first")
    hist.add_argument("--json", action="store_true", help="print one JSON object")
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command == "eval" and args.players is None and not (args.model and args.corpus):
        parser.error("eval needs --model and --corpus (or --players FILE for the few-key oracle game)")
    try:
        handler = COMMANDS[args.command or "home"]
        return handler(args) or 0
    except KeytuiError as exc:
        print(f"keytui: error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("keytui: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:  # `keytui list | head` closed the pipe: not an error worth a word
        _silence_stdout()
        return 0
    except OSError as exc:  # permissions, read-only or full disks met outside the paths that explain themselves
        where = f": {exc.filename}" if exc.filename else ""
        print(f"keytui: error: {exc.strerror or exc}{where}", file=sys.stderr)
        return EXIT_ERROR


def _silence_stdout() -> None:
    """After a closed pipe, point stdout at /dev/null so that Python's final flush does not complain either."""
    import os

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


def _workspace(args):
    from keytui.paths import workspace

    return workspace(args.home).clean_stale()  # every start tidies what an interrupted save left


def _interactive(args) -> bool:
    return not getattr(args, "headless", False) and sys.stdout.isatty() and sys.stdin.isatty()


def _recording_layout(corpus_path: Path, requested: str | None) -> str:
    """The layout of the keys going into a corpus: `requested`, or the corpus's own. A corpus keeps one layout: keys
    typed on another one go into another corpus."""
    from keytui.corpus_meta import read_layout, set_layout

    current = read_layout(corpus_path)
    if requested is None or requested == current:
        return current
    if corpus_path.exists() and corpus_path.stat().st_size > 0:
        raise KeytuiError(
            f"corpus {corpus_path.stem!r} holds keys typed on {current}; put {requested} keys in another corpus "
            "(--corpus NAME)"
        )
    set_layout(corpus_path, requested)
    return requested


def _read_corpus(path: Path) -> str:
    """A corpus for a headless command; what was repaired on reading (a half-written last key) goes to stderr."""
    from keytui.corpus import read_corpus

    notices: list[str] = []
    text = read_corpus(path, notices=notices)
    for notice in notices:
        print(f"keytui: note: {notice}", file=sys.stderr)
    return text


def _progress_printer():
    """A progress callback for long headless work: one stderr line at most every PROGRESS_SECONDS, none if quick."""
    import time

    last = [time.monotonic()]

    def show(what: str, done: int, total: int) -> None:
        now = time.monotonic()
        if now - last[0] >= PROGRESS_SECONDS:
            print(f"keytui: {what}: {done:,} of {total:,} keys", file=sys.stderr, flush=True)
            last[0] = now

    return show


def _positive(value: int, flag: str) -> int:
    if value < 1:
        raise KeytuiError(f"{flag} must be at least 1")
    return value


# ---- commands ------------------------------------------------------------------------------------------------


def cmd_home(args) -> int:
    if not sys.stdout.isatty():
        raise KeytuiError("the home screen needs a terminal; see `keytui --help` for headless commands")
    from keytui.tui.app import run_app

    run_app(_workspace(args), screen="home")
    return 0


def cmd_record(args) -> int:
    from keytui.corpus import CorpusWriter
    from keytui.corpus_meta import check_typing_target
    from keytui.keystream import KeyStream

    _positive(args.goal, "--goal")
    ws = _workspace(args).ensure()
    path = ws.corpus_path(args.corpus, must_exist=False)
    check_typing_target(path)  # typing goes to typing: never into an imported text or synthetic keys
    layout = _recording_layout(path, args.layout)
    if _interactive(args):
        from keytui.tui.app import run_app

        run_app(ws, screen="record", corpus=str(path), goal=args.goal, timestamps=not args.no_timestamps, layout=layout)
        return 0
    keys = KeyStream(sys.stdin)  # bytes, decoded as they come: each key is on disk as soon as it arrives
    with CorpusWriter(path, timestamps=not args.no_timestamps) as writer:
        for notice in writer.notices:
            print(f"keytui: note: {notice}", file=sys.stderr)
        for key in keys:
            writer.write(key)
        written = writer.keys_written
    print(f"recorded {written} keys ({layout}) into {path}{keys.describe_dropped()}")
    return 0


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
    from keytui.prior import PRIOR_PATH

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
    from keytui.prior import fine_tune_config
    from keytui.training import REFERENCE_MODEL, REFERENCE_TRAINING, TrainConfig, with_overrides

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
    from keytui.models import ModelConfig

    ModelConfig(vocab_size=2, **model)  # validate the settings before any corpus is read
    return model, config


def cmd_train(args) -> int:
    from keytui.corpus_meta import read_meta
    from keytui.prior import PRIOR_PATH

    memory_expert = args.memory is not False
    ws = _workspace(args).ensure()
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
    if out.parent == Path(__file__).parent / "demo":
        out = ws.checkpoints / out.name  # never write into the installed package
    text = _read_corpus(corpus_path)
    from keytui.corpus_meta import read_layout

    layout = args.layout or read_layout(corpus_path)
    if _interactive(args):
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
    kind = read_meta(corpus_path).kind
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

    from keytui.fit import fit_and_save
    from keytui.training import BatchDone, EpochDone, RefitStarted, TrainingStarted
    from keytui.versions import baseline_words, run_words

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

    if prior is not None:
        from keytui.checkpoint import read_metadata

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
        raise KeytuiError("training stopped before the first epoch finished; nothing was saved")
    summary = {
        "checkpoint": str(outcome.checkpoint),
        "layout": layout,
        "from": prior.stem if prior is not None else None,
        "replaced": outcome.decision.replaced,
        "decision": outcome.decision.reason,
        "stopped": result.stopped,
        "epochs": result.epochs_run,
        "best_epoch": result.best_epoch,
        "best_val_loss": round(result.best_val_loss, 6),
        "seconds": round(result.seconds, 2),
        "test": result.test.to_json() if result.test else None,
        "baselines": outcome.baselines,
        "predictor": outcome.predictor,
        "memory": {"expert": memory_expert},
    }
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
    return EXIT_INTERRUPTED if result.stopped == "cancelled" else 0


def _resolve_model(ws, name: str | None) -> Path:
    from keytui.versions import default_play_model

    if name:
        return ws.checkpoint_path(name)
    return default_play_model(ws)


def cmd_play(args) -> int:
    _positive(args.round, "--round")
    if args.random is not None:
        _positive(args.random, "--random")
    if args.keys is not None:
        from keytui.cli_oracle import play_keys

        return play_keys(args, _workspace(args).ensure(), interactive=_interactive(args))
    ws = _workspace(args).ensure()
    model_path = _resolve_model(ws, args.model)
    if args.random is not None:
        return _play_random(ws, model_path, args)
    corpus_path = None if args.no_append else ws.corpus_path(args.corpus, must_exist=False)
    if corpus_path is not None:
        from keytui.corpus_meta import check_typing_target

        check_typing_target(corpus_path)  # played keys are typing: never appended to a text or synthetic corpus
    layout = _play_layout(model_path, corpus_path, args.layout)
    if _interactive(args):
        from keytui.tui.app import run_app

        run_app(
            ws,
            screen="play",
            model=str(model_path),
            # under --no-append the corpus is still named, so that F3 can start keeping keys there
            corpus=str(corpus_path or ws.corpus_path(args.corpus, must_exist=False)),
            keep=corpus_path is not None,
            round_size=args.round,
            adaptive=args.adapt,
            dodge=args.dodge,
            layout=layout,
        )
        return 0
    from keytui.checkpoint import load_checkpoint
    from keytui.corpus import CorpusBusy, CorpusWriter
    from keytui.game import GameSession
    from keytui.history import History
    from keytui.keystream import KeyStream
    from keytui.predictors import NGramPredictor
    from keytui.predictors.factory import build_predictor

    checkpoint = load_checkpoint(model_path)
    try:
        writer = CorpusWriter(corpus_path) if corpus_path else None
    except CorpusBusy as exc:
        raise KeytuiError(f"{exc}, so played keys cannot be appended to it; play with --no-append") from None
    try:
        game = GameSession(
            build_predictor(checkpoint, adaptive=args.adapt, layout=layout),
            NGramPredictor(checkpoint.fit_text, adaptive=args.adapt),
            round_size=args.round,
            recorder=writer,
            history=History.of_workspace(ws.root),
            model_label=checkpoint.label,
            mode="dodge" if args.dodge else "play",
            clock=None,  # keys read from stdin carry no timing: no keys-per-second figure is made up
        )
        for key in KeyStream(sys.stdin):  # bytes, decoded as they come; what is not UTF-8 is skipped
            if game.press(key, dodge=args.dodge).round_over:
                game.next_round()
            game.settle()
    finally:
        if writer:
            writer.close()
    game.finish()
    return _print_game(game, checkpoint.label, layout)


def _print_game(game, label: str, layout: str | None = None) -> int:
    summary = game.summary()
    summary["checkpoint"] = label
    if layout is not None:
        summary["layout"] = layout
    summary["mode"] = game.mode
    if game.history_error:
        print(f"keytui: warning: {game.history_error}", file=sys.stderr)
    print(json.dumps(summary))
    return 0


def _play_layout(model_path: Path, corpus_path: Path | None, requested: str | None) -> str:
    """The layout the player types on: --layout, else the layout of the corpus their keys go to (when it has keys),
    else the model's (a model from before layouts were kept: qwerty)."""
    from keytui.checkpoint import read_metadata
    from keytui.corpus_meta import read_layout
    from keytui.keyboard import layout_or_default

    if corpus_path is not None:
        if requested is not None:
            return _recording_layout(corpus_path, requested)
        if corpus_path.exists() and corpus_path.stat().st_size > 0:
            return read_layout(corpus_path)
    if requested is not None:
        return requested
    layout = layout_or_default(read_metadata(model_path).get("layout"))
    if corpus_path is not None:
        _recording_layout(corpus_path, layout)
    return layout


def _play_random(ws, model_path: Path, args) -> int:
    from keytui.control import control_game
    from keytui.history import History

    game = control_game(
        model_path, args.random, round_size=args.round, adaptive=args.adapt, history=History.of_workspace(ws.root)
    )
    return _print_game(game, game.model_label)


def cmd_import(args) -> int:
    from keytui.corpus import import_text

    ws = _workspace(args).ensure()
    destination = _new_corpus_path(ws, args.name, force=args.force)
    existed = destination.exists()
    text = import_text(Path(args.file), destination, overwrite=args.force)
    _label_corpus(destination, "text", existed)
    print(f"imported {len(text)} keys ({len(set(text))} distinct) as corpus {args.name!r}: {destination}")
    return 0


def _new_corpus_path(ws, name: str, *, force: bool) -> Path:
    """Where a new corpus called `name` goes; a name keytui ships (demo) is not shadowed without --force."""
    from keytui.paths import BUNDLED_DIR, CORPUS_SUFFIX, validate_name

    name = validate_name(name, "corpus")  # `keys.txt` is the corpus `keys`
    shipped = (BUNDLED_DIR / f"{name}{CORPUS_SUFFIX}").exists() or (BUNDLED_DIR / f"{name}.safetensors").exists()
    if shipped and not force:
        raise KeytuiError(f"{name!r} is a name keytui ships (the demo); choose another --name or pass --force")
    return ws.corpora / f"{name}{CORPUS_SUFFIX}"


def _label_corpus(path: Path, kind: str, existed: bool, layout: str = "qwerty") -> None:
    """Write the corpus's kind; if that fails, a corpus just created is removed rather than left unlabelled."""
    from keytui.corpus_meta import write_meta

    try:
        write_meta(path, kind, layout)
    except KeytuiError:
        if not existed:
            path.unlink(missing_ok=True)
        raise


def cmd_eval(args) -> int:
    if args.players is not None:  # the few-key game needs no model: no torch to import
        from keytui.cli_oracle import eval_players

        return eval_players(args)
    if args.keys is not None:
        raise KeytuiError("--keys goes with --players FILE (the few-key oracle game)")
    from keytui.checkpoint import load_checkpoint
    from keytui.evaluation import evaluate_corpus
    from keytui.versions import baseline_words

    ws = _workspace(args)
    checkpoint = load_checkpoint(ws.checkpoint_path(args.model))
    text = _read_corpus(ws.corpus_path(args.corpus))
    if args.split == "test" and len(text) < 20:
        raise KeytuiError(f"corpus {args.corpus!r} is too short to hold out a test split ({len(text)} keys)")
    report = evaluate_corpus(checkpoint, text, adaptive=args.adapt, split=args.split, on_progress=_progress_printer())
    if args.json:
        print(json.dumps(report))
        return 0
    what = (
        "the held-out keys the model never trained on"
        if args.split == "test"
        else "ALL keys, including the ones the model trained on (flattering: use --split test for a fair figure)"
    )
    print(f"{report['n']} keys of {args.corpus!r}: {what}; predictors {'adaptive' if args.adapt else 'frozen'}")
    rows = {checkpoint.label: report["model"], **{baseline_words(k): v for k, v in report["baselines"].items()}}
    rows.update({f"  {name}": scores for name, scores in report["experts"].items()})  # the model's experts
    print_score_table(rows)
    print(f"calibration error of the confidence shown: {report['calibration_error']:.3f} (0 is honest)")
    return 0


def cmd_stats(args) -> int:
    from keytui.stats import corpus_stats, middle_aligned

    ws = _workspace(args)
    stats = corpus_stats(_read_corpus(ws.corpus_path(args.corpus)))
    if args.json:
        print(json.dumps(stats.to_json()))
        return 0
    print(
        f"{stats.keys} keys, {stats.distinct} distinct; entropy {stats.entropy0:.3f} bits/key (order 0; "
        f"{stats.entropy0_corrected:.3f} bias-corrected), {stats.entropy2:.3f} given the 2 previous keys "
        f"({stats.entropy2_corrected:.3f} bias-corrected)"
    )
    if stats.caveat:
        print(f"caveat: {stats.caveat}")
    print(f"most frequent: {stats.majority_key!r} ({stats.majority_rate:.1%}); uniform chance {1 / stats.distinct:.1%}")
    top = max(stats.counts.values())
    print("frequency, middle-aligned:")
    for key, count in middle_aligned(stats.counts):
        print(f"  {key!r:6s} {'█' * max(1, round(40 * count / top)):40s} {count}")
    return 0


def cmd_simulate(args) -> int:
    if args.players is not None:
        from keytui.cli_oracle import simulate_players

        return simulate_players(args)
    from keytui.simulate import simulate

    if not args.keys.isdigit():
        raise KeytuiError(f"--keys must be a number of keys, not {args.keys!r} (a key set such as fd needs --players)")
    try:
        SIM_KEYS(args.keys)
    except argparse.ArgumentTypeError as exc:
        raise KeytuiError(f"--keys: {exc}") from None
    if args.persona == "random":
        from keytui.simulate import random_typist

        keys = _positive(int(args.keys), "--keys")
        text, _ = random_typist(args.seed, args.layout).generate(keys, args.seed)
    else:
        text = simulate(args.persona, int(args.keys), args.seed)
    if not args.name:
        sys.stdout.write(text + "\n")
        return 0
    from keytui.corpus import replace_corpus

    ws = _workspace(args).ensure()
    path = _new_corpus_path(ws, args.name, force=args.force)
    existed = path.exists()
    replace_corpus(path, text, overwrite=args.force)  # refused while a recorder holds it
    _label_corpus(path, "synthetic", existed, args.layout if args.persona == "random" else "qwerty")
    layout = f", layout {args.layout}" if args.persona == "random" else ""
    print(f"wrote {len(text)} SYNTHETIC keys (persona {args.persona}, seed {args.seed}{layout}) to {path}")
    return 0


def cmd_list(args) -> int:
    from keytui.checkpoint import verify_checkpoint
    from keytui.corpus_meta import corpus_kind
    from keytui.prior import PRIOR_KIND
    from keytui.versions import candidate_path, default_play_model, is_complete, previous_versions, status_words

    ws = _workspace(args)
    default = default_play_model(ws)
    print(f"workspace: {ws.root}")
    print("corpora:")
    for path in ws.list_corpora():
        print(f"  {path.stem:20s} {path.stat().st_size:>9,d} bytes  {corpus_kind(path)}")
    print("models:")
    for path in ws.list_checkpoints():
        try:
            meta = verify_checkpoint(path)  # every byte checked: a damaged file is listed as broken
            test = meta.get("metrics", {}).get("test", {})
            kind = meta.get("kind")  # "pretrained on synthetic typists", "fine-tuned from demo"
            if kind == PRIOR_KIND:
                detail = f"{meta['model']['arch']:10s} {kind}"
            else:
                detail = f"{meta['model']['arch']:10s} corpus {meta.get('corpus', {}).get('name', '?')}"
                if kind:
                    detail += f", {kind}"
            if test:
                detail += f", test hit {test.get('accuracy', 0):.1%}"
            if not is_complete(meta):
                detail += f" ({status_words(meta.get('status'))})"
        except KeytuiError as exc:
            detail = f"broken: {exc}"
        except (KeyError, TypeError, ValueError, AttributeError):  # well-formed, but odd optional metadata
            detail = "broken: its metadata is not what keytui writes"
        mark = "  <- play's default" if path == default else ""
        print(f"  {path.stem:20s} {detail}{mark}")
        for number, previous in enumerate(previous_versions(path), start=1):
            print(f"  {'':20s} previous version {number}: {previous}")
        if candidate_path(path).exists():
            print(f"  {'':20s} a run that did not replace it: {candidate_path(path)}")
    return 0


def cmd_history(args) -> int:
    from keytui.history import History

    ws = _workspace(args)
    read = History.of_workspace(ws.root).read()
    if args.json:
        print(json.dumps({"records": [r.to_json() for r in read.records], "skipped": read.skipped}))
        return 0
    if read.skipped:
        print(f"({read.skipped} unreadable lines skipped)", file=sys.stderr)
    if not read.records:
        print(f"no games yet (the history lives in {ws.root / 'history.jsonl'})")
        return 0
    header = f"{'date':19s} {'':5s} {'mode':7s} {'model':12s} {'keys':>6s} {'hit':>6s} {'chance':>6s}"
    print(f"{header} {'keys/s':>6s}  verdict")
    for r in read.records:
        speed = f"{r.keys_per_second:6.1f}" if r.keys_per_second is not None else f"{'-':>6s}"
        mark = "reads you" if r.predictable else ("too short" if r.keys < 20 else "chance")
        print(
            f"{r.date[:19].replace('T', ' '):19s} {r.kind:5s} {r.mode:7s} {r.model[:12]:12s} {r.keys:6d} "
            f"{r.hit_rate:6.1%} {r.chance:6.1%} {speed}  {mark} (p={r.p_value:.2g})"
        )
    games = read.games()
    print(f"{len(games)} games, {len(read.rounds())} rounds")
    return 0


def cmd_insight(args) -> int:
    from keytui.insight import insight, text_heatmap

    ws = _workspace(args)
    if args.games is not None:
        from keytui.history import History

        _positive(args.games, "--games")
        games = [g for g in History.of_workspace(ws.root).read().games() if g.typed and g.mode != "random"]
        if not games:
            raise KeytuiError("no game with its keys kept in the history yet: play a game (keys kept) first")
        chosen = games[-args.games :]
        keys = "".join(g.typed for g in chosen)
        hits = [h == "1" for g in chosen for h in g.hits]
        plural = "s" if len(chosen) > 1 else ""
        found = insight(keys, hits, source=f"your last {len(chosen)} game{plural}", layout=args.layout)
    else:
        from keytui.corpus import read_corpus

        path = ws.corpus_path(args.corpus)
        found = insight(read_corpus(path), source=f"corpus {path.stem!r}", layout=args.layout)
    if args.json:
        print(json.dumps(found.to_json(), ensure_ascii=False))
        return 0
    for line in found.lines():
        print(line)
    if found.keys:
        print("How often each key was guessed (blank: never pressed):")
        print(text_heatmap(found, args.layout))
    return 0


COMMANDS = {
    "home": cmd_home,
    "record": cmd_record,
    "train": cmd_train,
    "play": cmd_play,
    "import": cmd_import,
    "eval": cmd_eval,
    "stats": cmd_stats,
    "simulate": cmd_simulate,
    "list": cmd_list,
    "history": cmd_history,
    "insight": cmd_insight,
}


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
