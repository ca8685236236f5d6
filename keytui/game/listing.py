"""What a workspace holds, as `keytui list` and the home screen name it: corpora with their kind, models with what
they are, their kept previous versions and a candidate that did not replace them, and play's default."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from keytui.data.corpus_meta import corpus_kind
from keytui.data.paths import Workspace
from keytui.errors import KeytuiError
from keytui.game.versions import candidate_path, default_play_model, is_complete, previous_versions, status_words


@dataclass(frozen=True)
class CorpusEntry:
    name: str
    path: Path
    size: int  # bytes
    kind: str  # typing, text, synthetic, or "?" for an unreadable sidecar


@dataclass(frozen=True)
class ModelEntry:
    name: str
    path: Path
    detail: str  # "gru corpus keys, fine-tuned from demo, test hit 21.0%", or "broken: ..."
    broken: bool
    default: bool  # play's default model
    previous: list[Path] = field(default_factory=list)
    candidate: Path | None = None  # a run that did not replace it


def list_corpora(ws: Workspace) -> list[CorpusEntry]:
    return [CorpusEntry(p.stem, p, p.stat().st_size, corpus_kind(p)) for p in ws.list_corpora()]


def describe_model(path: Path) -> tuple[str, bool]:
    """What a model is, in a few words, and whether it is broken; every byte is checked, and a damaged file or odd
    metadata is described as broken rather than failing the listing."""
    from keytui.model.checkpoint import verify_checkpoint
    from keytui.model.prior import PRIOR_KIND

    try:
        meta = verify_checkpoint(path)
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
        return detail, False
    except KeytuiError as exc:
        return f"broken: {exc}", True
    except (KeyError, TypeError, ValueError, AttributeError):  # well-formed, but odd optional metadata
        return "broken: its metadata is not what keytui writes", True


def list_models(ws: Workspace) -> list[ModelEntry]:
    default = default_play_model(ws)
    entries = []
    for path in ws.list_checkpoints():
        detail, broken = describe_model(path)
        candidate = candidate_path(path)
        entries.append(
            ModelEntry(
                path.stem,
                path,
                detail,
                broken,
                path == default,
                previous_versions(path),
                candidate if candidate.exists() else None,
            )
        )
    return entries
