"""`keytui list`: list the workspace's corpora and models."""

from __future__ import annotations

from keytui.cli.common import workspace_of
from keytui.errors import KeytuiError


def add_parser(sub) -> None:
    parser = sub.add_parser("list", help="list corpora and models in the workspace")
    parser.set_defaults(handler=cmd_list)


def cmd_list(args) -> int:
    from keytui.data.corpus_meta import corpus_kind
    from keytui.game.versions import candidate_path, default_play_model, is_complete, previous_versions, status_words
    from keytui.model.checkpoint import verify_checkpoint
    from keytui.model.prior import PRIOR_KIND

    ws = workspace_of(args)
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
