"""`keytui history`: every finished round and game, oldest first."""

from __future__ import annotations

import json
import sys

from keytui.cli.common import workspace_of


def add_parser(sub) -> None:
    parser = sub.add_parser("history", help="every finished round and game, oldest first")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.set_defaults(handler=cmd_history)


def cmd_history(args) -> int:
    from keytui.data.history import History

    ws = workspace_of(args)
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
