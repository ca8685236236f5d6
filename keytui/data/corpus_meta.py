"""What a corpus is, kept beside it: recorded typing, an imported text, or synthetic keys, and its keyboard layout.

Each corpus `NAME.txt` may have a sidecar `NAME.meta.json`, written atomically:
`{"kind": "typing" | "text" | "synthetic", "layout": "qwerty", "created": ISO date}` (fields other modules add are
kept on update). A corpus without a sidecar is the player's typing, except the bundled ones (the demo is synthetic).

Record and play append typing only to a typing corpus: an imported text or a simulated masher mixed with a person's
keys would be neither, and the model trained on it would learn a player who does not exist.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path

from keytui.data.corpus import atomic_write_bytes
from keytui.data.files import MissingFile, read_json_file
from keytui.data.keyboard import DEFAULT_LAYOUT, layout_or_default
from keytui.data.paths import BUNDLED_DIR, CORPUS_SUFFIX, Workspace, validate_name
from keytui.errors import KeytuiError

KINDS = ("typing", "text", "synthetic")
META_SUFFIX = ".meta.json"
PLAYER_CORPUS = "keys"  # the player's own typing: the default target of record and play
KIND_WORDS = {"typing": "your typing", "text": "an imported text", "synthetic": "synthetic keys"}


@dataclass(frozen=True)
class CorpusMeta:
    kind: str
    layout: str = DEFAULT_LAYOUT
    created: str = ""
    extra: dict = field(default_factory=dict)  # fields written by other modules, kept as they are

    def to_json(self) -> dict:
        return {**self.extra, "kind": self.kind, "layout": self.layout, "created": self.created}

    @property
    def is_typing(self) -> bool:
        return self.kind == "typing"


def meta_path(corpus_path: Path) -> Path:
    """`corpora/NAME.txt` -> `corpora/NAME.meta.json`."""
    corpus_path = Path(corpus_path)
    name = corpus_path.name.removesuffix(CORPUS_SUFFIX)
    return corpus_path.with_name(f"{name}{META_SUFFIX}")


def is_bundled(corpus_path: Path) -> bool:
    return Path(corpus_path).resolve().parent == BUNDLED_DIR.resolve()


def read_meta(corpus_path: Path) -> CorpusMeta:
    """The corpus's sidecar, or what a corpus without one is: typing, or synthetic when bundled with keytui."""
    path = meta_path(corpus_path)
    try:  # the shared guard: a FIFO, /dev/zero, bad UTF-8 or 100,000-deep JSON is one line, never a hang
        data = read_json_file(path, what=f"the sidecar {path.name}")
    except MissingFile:
        return CorpusMeta(kind="synthetic" if is_bundled(corpus_path) else "typing")
    except KeytuiError as exc:
        raise KeytuiError(f"{exc}; fix or delete it (it says what the corpus is)") from None
    if not isinstance(data, dict):
        raise KeytuiError(f"{path.name} is not a JSON object; fix or delete it (it says what the corpus is)")
    data.setdefault("kind", "synthetic" if is_bundled(corpus_path) else "typing")
    if not isinstance(data["kind"], str) or data["kind"] not in KINDS:
        raise KeytuiError(f"{path.name} has no valid kind (one of {', '.join(KINDS)})")
    layout = data.get("layout", DEFAULT_LAYOUT)
    extra = {k: v for k, v in data.items() if k not in ("kind", "layout", "created")}
    return CorpusMeta(
        kind=data["kind"],
        layout=layout if isinstance(layout, str) else DEFAULT_LAYOUT,
        created=str(data.get("created", "")),
        extra=extra,
    )


def write_meta(corpus_path: Path, kind: str, layout: str = DEFAULT_LAYOUT, **extra: object) -> CorpusMeta:
    """Say what a corpus is (a new one, or one replaced with --force): a fresh sidecar, written atomically."""
    if kind not in KINDS:
        raise ValueError(f"unknown corpus kind {kind!r}")
    meta = CorpusMeta(kind=kind, layout=layout, created=time.strftime("%Y-%m-%dT%H:%M:%S%z"), extra=dict(extra))
    _save(corpus_path, meta)
    return meta


def update_meta(corpus_path: Path, **changes: object) -> CorpusMeta:
    """Change some fields of a corpus's sidecar (e.g. `layout="dvorak"`), keeping the others; creates it if absent."""
    meta = read_meta(corpus_path)
    data = meta.to_json()
    if not meta.created:
        data["created"] = time.strftime("%Y-%m-%dT%H:%M:%S%z")
    data.update(changes)
    if data["kind"] not in KINDS:
        raise ValueError(f"unknown corpus kind {data['kind']!r}")
    updated = CorpusMeta(
        kind=data.pop("kind"), layout=str(data.pop("layout")), created=str(data.pop("created")), extra=data
    )
    _save(corpus_path, updated)
    return updated


def read_layout(corpus_path: Path) -> str:
    """The layout the corpus was typed on (qwerty for a corpus from before layouts were kept, and for one whose
    sidecar cannot be read: a layout only tunes the geometry expert, so it is no reason to refuse; `sidecar_problem`
    says what is wrong, for the one line a command shows)."""
    try:
        return layout_or_default(read_meta(corpus_path).layout)
    except KeytuiError:
        return DEFAULT_LAYOUT


def sidecar_problem(corpus_path: Path) -> str | None:
    """Why the corpus's sidecar cannot be read, in one line, or None when it can (or there is none)."""
    try:
        read_meta(corpus_path)
    except KeytuiError as exc:
        return str(exc)
    return None


def known_kind(corpus_path: Path) -> str | None:
    """The corpus's kind, or None when its sidecar cannot be read (what a model trained on it records)."""
    kind = corpus_kind(corpus_path)
    return None if kind == "?" else kind


def set_layout(corpus_path: Path, layout: str) -> CorpusMeta:
    return update_meta(corpus_path, layout=layout)


def _save(corpus_path: Path, meta: CorpusMeta) -> None:
    if is_bundled(corpus_path):
        raise KeytuiError("the bundled corpora are read-only")
    atomic_write_bytes(meta_path(corpus_path), (json.dumps(meta.to_json(), indent=1) + "\n").encode("utf-8"))


def check_typing_target(corpus_path: Path) -> CorpusMeta:
    """Refuse, in one line, to append a player's typing to anything but a typing corpus in the workspace.

    Returns the corpus's kind; a typing corpus that has no sidecar yet gets one, so it stays typing once it exists.
    """
    corpus_path = Path(corpus_path)
    name = corpus_path.name.removesuffix(CORPUS_SUFFIX)
    if is_bundled(corpus_path):
        raise KeytuiError(
            f"corpus {name!r} ships with keytui ({KIND_WORDS['synthetic']}): your typing goes to your own corpus, "
            f"{PLAYER_CORPUS!r}"
        )
    meta = read_meta(corpus_path)
    if not meta.is_typing:
        raise KeytuiError(
            f"corpus {name!r} is {KIND_WORDS[meta.kind]}, not recorded typing: record and play add keys only to "
            f"typing, e.g. your corpus {PLAYER_CORPUS!r} (--corpus {PLAYER_CORPUS})"
        )
    if not meta_path(corpus_path).exists():
        meta = write_meta(corpus_path, "typing")
    return meta


def corpus_kind(corpus_path: Path) -> str:
    """The kind, or "?" for an unreadable sidecar (for listings, which must not fail on one bad file)."""
    try:
        return read_meta(corpus_path).kind
    except KeytuiError:
        return "?"


def recording_layout(corpus_path: Path, requested: str | None) -> str:
    """The layout of the keys going into a corpus: `requested`, or the corpus's own. A corpus keeps one layout: keys
    typed on another one go into another corpus."""
    current = read_layout(corpus_path)
    if requested is None or requested == current:
        return current
    if corpus_path.exists() and corpus_path.stat().st_size > 0:
        raise KeytuiError(
            f"corpus {corpus_path.stem!r} holds keys typed on {current}; put {requested} keys in another corpus "
            "(--corpus NAME)"
        )
    set_layout(corpus_path, requested)
    return requested


def new_corpus_path(ws: Workspace, name: str, *, force: bool) -> Path:
    """Where a new corpus called `name` goes; a name keytui ships (demo) is not shadowed without --force."""
    name = validate_name(name, "corpus")  # `keys.txt` is the corpus `keys`
    shipped = (BUNDLED_DIR / f"{name}{CORPUS_SUFFIX}").exists() or (BUNDLED_DIR / f"{name}.safetensors").exists()
    if shipped and not force:
        raise KeytuiError(f"{name!r} is a name keytui ships (the demo); choose another --name or pass --force")
    return ws.corpora / f"{name}{CORPUS_SUFFIX}"
