"""The few-key oracle game's commands: `play --keys`, `eval --players`, `simulate --keys K --players N`.

Kept apart from keytui/cli/main.py so the full-keyboard commands and these can change without stepping on each other;
cli.py hands over when the few-key flags are given. Same rules: one-line errors, no Textual outside the screen.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from keytui.cli.format import write_control
from keytui.errors import KeytuiError
from keytui.oracle.keyset import parse_keys


def _at_least_one(value: int, flag: str) -> int:
    if value < 1:
        raise KeytuiError(f"{flag} must be at least 1")
    return value


def play_keys(args, ws, *, interactive: bool) -> int:
    keys = parse_keys(args.keys)
    if args.model:
        raise KeytuiError("--keys plays the oracle game, which needs no --model: it learns you from the first press")
    keep = not args.no_append
    if interactive:
        from keytui.tui.app import run_app

        run_app(ws, screen="oracle", keys=keys, round_size=args.round, dodge=args.dodge, keep=keep)
        return 0
    from keytui.data.keystream import KeyStream
    from keytui.oracle.game import game_scores, new_game

    game, writer, earlier = new_game(keys, ws.root, round_size=args.round, keep=keep, clock=None)
    ignored = 0
    stream = KeyStream(sys.stdin)  # typing play's stream: each press kept as it arrives, any bytes, no line held
    interrupted = False
    try:
        for key in stream:
            if key in keys:
                if game.press(key).round_over:
                    game.next_round()
                game.settle()
            else:
                ignored += 1
    except KeyboardInterrupt:  # Ctrl-C ends the game: what was played is still kept and reported
        interrupted = True
    finally:
        if writer is not None:
            writer.close(game_scores(game) if game.total.n else None)
    game.finish()  # into the workspace's history
    summary = game.summary()
    summary.update(keys=keys, ignored=ignored + stream.skipped + stream.invalid_bytes + stream.sequences)
    summary.update(earlier_games=earlier)
    if interrupted:
        summary["interrupted"] = True
    print(json.dumps(summary))
    return 130 if interrupted else 0


def _progress_line(total: int):
    """Where stderr is a terminal, a line that counts the presses scored; else None, so scripts and logs get only
    the report."""
    if not sys.stderr.isatty():
        return None

    def show(scored: int) -> None:
        write_control(f"\rkeytui: scored {scored:,} of {total:,} presses ({scored / total:.0%})", sys.stderr)

    return show


def eval_players(args) -> int:
    from keytui.oracle.evaluation import evaluate_players
    from keytui.oracle.players_file import iter_players, scan_players

    if args.model or args.corpus:
        raise KeytuiError("--players replays a players file for the few-key oracle: it takes no --model or --corpus")
    source = scan_players(Path(args.players), args.keys)
    if source.ignored:
        print(
            f"keytui: note: {source.ignored} characters that are not among the keys {source.keys!r} were ignored",
            file=sys.stderr,
        )
    progress = _progress_line(source.presses)
    try:
        report = evaluate_players(iter_players(source), source.keys, progress=progress)
    finally:
        if progress is not None:  # the count goes, whether the report or an interruption follows
            write_control("\r\033[K", sys.stderr)
    if args.json:
        print(json.dumps(report))
        return 0
    print(f"{report['players']} players, {report['n']} presses of {source.keys!r}, played one after another")
    from keytui.cli.format import print_score_table

    rows = {
        "oracle (this machine)": report["model"],
        "order-5 (each alone)": report["baselines"]["ngram"],
        "majority (each alone)": report["baselines"]["majority"],
    }
    print_score_table(rows, min_width=22)
    print(f"chance {1 / len(source.keys):.1%}")
    return 0


def simulate_players(args) -> int:
    from keytui.oracle.players import iter_players

    keys = parse_keys(args.keys)
    _at_least_one(args.players, "--players")
    _at_least_one(args.presses, "--presses")
    if args.name:
        raise KeytuiError("--players writes one SYNTHETIC player per line to stdout: redirect it to a file")
    for game in iter_players(keys, args.players, args.presses, args.seed):
        sys.stdout.write(game.presses + "\n")
    return 0
