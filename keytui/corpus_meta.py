"""What a corpus is, kept beside it in `NAME.meta.json`: for now its keyboard layout (a corpus without a sidecar was
typed on qwerty). Written atomically; fields this module does not know are kept as they are."""

from __future__ import annotations

import json
from pathlib import Path

from keytui.corpus import atomic_write_bytes
from keytui.errors import KeytuiError
from keytui.keyboard import DEFAULT_LAYOUT, layout_or_default
from keytui.paths import BUNDLED_DIR, CORPUS_SUFFIX

META_SUFFIX = ".meta.json"


def meta_path(corpus_path: Path) -> Path:
    """`corpora/NAME.txt` -> `corpora/NAME.meta.json`."""
    corpus_path = Path(corpus_path)
    return corpus_path.with_name(f"{corpus_path.name.removesuffix(CORPUS_SUFFIX)}{META_SUFFIX}")


def _read(corpus_path: Path) -> dict:
    path = meta_path(corpus_path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise KeytuiError(f"cannot read {path.name}: {exc.strerror}") from None
    except ValueError:
        raise KeytuiError(f"{path.name} is not valid JSON; fix or delete it (it says what the corpus is)") from None
    if not isinstance(data, dict):
        raise KeytuiError(f"{path.name} is not a JSON object; fix or delete it (it says what the corpus is)")
    return data


def read_layout(corpus_path: Path) -> str:
    """The layout the corpus was typed on (qwerty for a corpus from before layouts were kept)."""
    return layout_or_default(_read(corpus_path).get("layout", DEFAULT_LAYOUT))


def set_layout(corpus_path: Path, layout: str) -> None:
    if Path(corpus_path).resolve().parent == BUNDLED_DIR.resolve():
        raise KeytuiError("the bundled corpora are read-only")
    data = {"kind": "typing", **_read(corpus_path), "layout": layout}
    atomic_write_bytes(meta_path(corpus_path), (json.dumps(data, indent=1) + "\n").encode("utf-8"))
