"""`keytui insight`: what gave you away, in plain words."""

from __future__ import annotations

import json

from keytui.cli.common import DEFAULT_CORPUS, GAMES, positive, workspace_of
from keytui.errors import KeytuiError


def add_parser(sub) -> None:
    parser = sub.add_parser("insight", help="what gave you away: the habits the guesses used, in plain words")
    parser.add_argument(
        "--corpus", default=DEFAULT_CORPUS, help="corpus name or path to look at (default: %(default)s)"
    )
    parser.add_argument(
        "--games",
        type=GAMES,
        metavar="N",
        help=f"look at your last N games instead, with the machine's guesses; N in {GAMES.range}",
    )
    parser.add_argument(
        "--layout", default="qwerty", help="keyboard layout the keys were typed on (default: %(default)s)"
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.set_defaults(handler=cmd_insight)


def cmd_insight(args) -> int:
    from keytui.game.insight import insight, text_heatmap

    ws = workspace_of(args)
    if args.games is not None:
        from keytui.data.history import History

        positive(args.games, "--games")
        games = [g for g in History.of_workspace(ws.root).read().games() if g.typed and g.mode != "random"]
        if not games:
            raise KeytuiError("no game with its keys kept in the history yet: play a game (keys kept) first")
        chosen = games[-args.games :]
        keys = "".join(g.typed for g in chosen)
        hits = [h == "1" for g in chosen for h in g.hits]
        plural = "s" if len(chosen) > 1 else ""
        found = insight(keys, hits, source=f"your last {len(chosen)} game{plural}", layout=args.layout)
    else:
        from keytui.data.corpus import read_corpus

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
