"""`keytui import`: import a UTF-8 text file as a corpus of kind `text`."""

from __future__ import annotations

from pathlib import Path

from keytui.cli.common import workspace_of


def add_parser(sub) -> None:
    parser = sub.add_parser("import", help="add your own text file as a corpus")
    parser.add_argument("file", help="a UTF-8 text file")
    parser.add_argument("--name", required=True, help="corpus name")
    parser.add_argument("--force", action="store_true", help="replace an existing corpus of that name")
    parser.set_defaults(handler=cmd_import)


def cmd_import(args) -> int:
    from keytui.data.corpus import import_text
    from keytui.data.corpus_meta import new_corpus_path, write_meta

    ws = workspace_of(args).ensure()
    destination = new_corpus_path(ws, args.name, force=args.force)
    # the sidecar is written with the corpus, all or nothing: a failure leaves both as they were
    text = import_text(Path(args.file), destination, overwrite=args.force, then=lambda: write_meta(destination, "text"))
    print(f"imported {len(text)} keys ({len(set(text))} distinct) as corpus {args.name!r}: {destination}")
    return 0
