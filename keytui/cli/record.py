"""`keytui record`: record typing into a corpus: the record screen, or headless from stdin."""

from __future__ import annotations

import sys

from keytui.cli.common import DEFAULT_CORPUS, GOAL, interactive, positive, workspace_of
from keytui.data.keyboard import LAYOUTS


def add_parser(sub) -> None:
    parser = sub.add_parser("record", help="record your random typing into a corpus")
    parser.add_argument("--corpus", default=DEFAULT_CORPUS, help="corpus name or path (default: %(default)s)")
    parser.add_argument(
        "--goal", type=GOAL, default=10_000, help=f"keys to aim for, in {GOAL.range} (default: %(default)s)"
    )
    parser.add_argument("--no-timestamps", action="store_true", help="do not keep the per-key timestamp sidecar")
    parser.add_argument("--headless", action="store_true", help="append the printable keys read from stdin, no screen")
    parser.add_argument(
        "--layout", choices=LAYOUTS, help="the keyboard layout you type on (default: the corpus's, else qwerty)"
    )
    parser.set_defaults(handler=cmd_record)


def cmd_record(args) -> int:
    from keytui.data.corpus import CorpusWriter
    from keytui.data.corpus_meta import check_typing_target, recording_layout
    from keytui.data.keystream import KeyStream

    positive(args.goal, "--goal")
    ws = workspace_of(args).ensure()
    path = ws.corpus_path(args.corpus, must_exist=False)
    check_typing_target(path)  # typing goes to typing: never into an imported text or synthetic keys
    layout = recording_layout(path, args.layout)
    if interactive(args):
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
