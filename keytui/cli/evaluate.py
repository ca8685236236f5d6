"""`keytui eval`: replay a corpus as a game for a model and the baselines (or score few-key players)."""

from __future__ import annotations

import json

from keytui.cli.common import progress_printer, read_corpus_noting, workspace_of
from keytui.cli.format import print_score_table
from keytui.errors import KeytuiError


def add_parser(sub) -> None:
    parser = sub.add_parser("eval", help="replay a corpus as a game for a model and the baselines")
    parser.add_argument("--model", help="checkpoint name or path (required unless --players)")
    parser.add_argument("--corpus", help="corpus name or path (required unless --players)")
    parser.add_argument(
        "--players", metavar="FILE", help="few-key oracle game: one player's presses per line, in order"
    )
    parser.add_argument("--keys", help="with --players: the game's keys (default: the file's own, 2 to 12)")
    parser.add_argument("--adapt", action="store_true", help="predictors keep learning from the keys they are shown")
    parser.add_argument(
        "--split",
        choices=["test", "all"],
        default="test",
        help="test: only the held-out keys the model never trained on (default); all: every key, training keys "
        "included (flatters the model)",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.set_defaults(handler=cmd_eval)


def cmd_eval(args) -> int:
    if args.players is not None:  # the few-key game needs no model: no torch to import
        from keytui.cli.oracle import eval_players

        return eval_players(args)
    if args.keys is not None:
        raise KeytuiError("--keys goes with --players FILE (the few-key oracle game)")
    from keytui.game.evaluation import evaluate_corpus
    from keytui.game.versions import baseline_words
    from keytui.model import threads
    from keytui.model.checkpoint import load_checkpoint

    threads.for_play()  # a replay is a game: one key at a time
    ws = workspace_of(args)
    checkpoint = load_checkpoint(ws.checkpoint_path(args.model))
    text = read_corpus_noting(ws.corpus_path(args.corpus))
    if args.split == "test" and len(text) < 20:
        raise KeytuiError(f"corpus {args.corpus!r} is too short to hold out a test split ({len(text)} keys)")
    report = evaluate_corpus(checkpoint, text, adaptive=args.adapt, split=args.split, on_progress=progress_printer())
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
