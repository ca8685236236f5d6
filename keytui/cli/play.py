"""`keytui play`: play against a model: the play screen, headless from stdin, or the random control."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from keytui.cli.common import (
    DEFAULT_CORPUS,
    EXIT_INTERRUPTED,
    RANDOM_KEYS,
    ROUND,
    interactive,
    positive,
    workspace_of,
)
from keytui.data.keyboard import LAYOUTS


def add_parser(sub) -> None:
    parser = sub.add_parser("play", help="play against a model: it guesses each key before you press it")
    parser.add_argument(
        "--model",
        help="checkpoint name or path (default: your latest complete model trained on your own typing, else the demo)",
    )
    parser.add_argument(
        "--corpus", default=DEFAULT_CORPUS, help="where played keys are appended (default: %(default)s)"
    )
    parser.add_argument("--no-append", action="store_true", help="do not append played keys to the corpus")
    parser.add_argument(
        "--round", type=ROUND, default=100, help=f"keys per round, in {ROUND.range} (default: %(default)s)"
    )
    parser.add_argument(
        "--adapt",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="the model and the n-gram baseline keep learning from your keys as you play (default: on)",
    )
    parser.add_argument("--dodge", action="store_true", help="show the guess before you press: try to dodge it")
    parser.add_argument(
        "--random",
        type=RANDOM_KEYS,
        metavar="N",
        help="the control: a random generator plays N keys against the same machine (headless; keys not kept), "
        f"N in {RANDOM_KEYS.range}",
    )
    parser.add_argument("--headless", action="store_true", help="play the printable keys read from stdin; print JSON")
    parser.add_argument(
        "--layout",
        choices=LAYOUTS,
        help="the keyboard layout you type on (default: your corpus's, else the model's, else qwerty)",
    )
    parser.add_argument(
        "--keys",
        help="the oracle game on these 2 to 12 keys only (fd, rps, 123456789): no model, it learns you from scratch",
    )
    parser.set_defaults(handler=cmd_play)


def resolve_model(ws, name: str | None) -> Path:
    from keytui.game.versions import default_play_model

    if name:
        return ws.checkpoint_path(name)
    return default_play_model(ws)


def cmd_play(args) -> int:
    from keytui.model import threads

    threads.for_play()  # first, before numpy and torch load: a guess is too small to split over threads
    from keytui.game.layouts import play_layout

    positive(args.round, "--round")
    if args.random is not None:
        positive(args.random, "--random")
    if args.keys is not None:
        from keytui.cli.oracle import play_keys

        return play_keys(args, workspace_of(args).ensure(), interactive=interactive(args))
    ws = workspace_of(args).ensure()
    model_path = resolve_model(ws, args.model)
    if args.random is not None:
        return _play_random(ws, model_path, args)
    corpus_path = None if args.no_append else ws.corpus_path(args.corpus, must_exist=False)
    if corpus_path is not None:
        from keytui.data.corpus_meta import check_typing_target

        check_typing_target(corpus_path)  # played keys are typing: never appended to a text or synthetic corpus
    layout = play_layout(model_path, corpus_path, args.layout)
    if interactive(args):
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
    from keytui.data.history import History
    from keytui.data.keystream import KeyStream
    from keytui.game.headless import play_stream

    game = play_stream(
        KeyStream(sys.stdin),  # bytes, decoded as they come; what is not UTF-8 is skipped
        model_path,
        corpus_path=corpus_path,
        history=History.of_workspace(ws.root),
        round_size=args.round,
        adaptive=args.adapt,
        dodge=args.dodge,
        layout=layout,
    )
    print_game(game, game.model_label, layout)
    return EXIT_INTERRUPTED if game.interrupted else 0


def print_game(game, label: str, layout: str | None = None) -> int:
    summary = game.summary()
    if game.interrupted:  # Ctrl-C ended the stream: this is what was played until then
        summary["interrupted"] = True
    summary["checkpoint"] = label
    if layout is not None:
        summary["layout"] = layout
    summary["mode"] = game.mode
    if game.history_error:
        print(f"keytui: warning: {game.history_error}", file=sys.stderr)
    print(json.dumps(summary))
    return 0


def _play_random(ws, model_path: Path, args) -> int:
    from keytui.data.history import History
    from keytui.game.control import control_game

    game = control_game(
        model_path, args.random, round_size=args.round, adaptive=args.adapt, history=History.of_workspace(ws.root)
    )
    return print_game(game, game.model_label)
