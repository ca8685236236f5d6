"""`keytui list`: list the workspace's corpora and models."""

from __future__ import annotations

from keytui.cli.common import workspace_of


def add_parser(sub) -> None:
    parser = sub.add_parser("list", help="list corpora and models in the workspace")
    parser.set_defaults(handler=cmd_list)


def cmd_list(args) -> int:
    from keytui.game.listing import list_corpora, list_models

    ws = workspace_of(args)
    print(f"workspace: {ws.root}")
    print("corpora:")
    for corpus in list_corpora(ws):
        print(f"  {corpus.name:20s} {corpus.size:>9,d} bytes  {corpus.kind}")
    print("models:")
    for model in list_models(ws):
        mark = "  <- play's default" if model.default else ""
        print(f"  {model.name:20s} {model.detail}{mark}")
        for number, previous in enumerate(model.previous, start=1):
            print(f"  {'':20s} previous version {number}: {previous}")
        if model.candidate is not None:
            print(f"  {'':20s} a run that did not replace it: {model.candidate}")
    return 0
