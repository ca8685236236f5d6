"""Where corpora and checkpoints live, and how a name or a path turns into a file.

A workspace is a folder holding `corpora/` and `checkpoints/`. It is chosen, in order, by `--home DIR`, by the
`KEYTUI_HOME` environment variable, by the current directory when it already holds both folders (a clone of the
repository), and otherwise by the user's data directory. The demo corpus and model ship inside the package and are
found by name even when the workspace has no copy of them.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from keytui.errors import KeytuiError

CORPUS_SUFFIX = ".txt"
CHECKPOINT_SUFFIX = ".safetensors"
BUNDLED_DIR = Path(__file__).parents[1] / "demo"


@dataclass(frozen=True)
class Workspace:
    root: Path

    @property
    def corpora(self) -> Path:
        return self.root / "corpora"

    @property
    def checkpoints(self) -> Path:
        return self.root / "checkpoints"

    def ensure(self) -> Workspace:
        """Create the folders, and remove `.NAME.PID.tmp` files that interrupted saves left behind."""
        self.corpora.mkdir(parents=True, exist_ok=True)
        self.checkpoints.mkdir(parents=True, exist_ok=True)
        return self.clean_stale()

    def clean_stale(self) -> Workspace:
        """Remove the `.NAME.PID.tmp` files of saves whose process died (a crash, a kill) before renaming them."""
        from keytui.data.files import clean_stale_temporaries

        for folder in (self.corpora, self.checkpoints):
            clean_stale_temporaries(folder)
        return self

    def corpus_path(self, name_or_path: str, *, must_exist: bool = True) -> Path:
        return _resolve(name_or_path, self.corpora, CORPUS_SUFFIX, "corpus", must_exist)

    def checkpoint_path(self, name_or_path: str, *, must_exist: bool = True) -> Path:
        return _resolve(name_or_path, self.checkpoints, CHECKPOINT_SUFFIX, "model", must_exist)

    def list_corpora(self) -> list[Path]:
        return _listing(self.corpora, CORPUS_SUFFIX)

    def list_checkpoints(self) -> list[Path]:
        return _listing(self.checkpoints, CHECKPOINT_SUFFIX)

    def newest_checkpoint(self) -> Path | None:
        found = [p for p in self.list_checkpoints() if p.exists()]
        return max(found, key=lambda p: p.stat().st_mtime) if found else None


def workspace(home: str | os.PathLike[str] | None = None) -> Workspace:
    """The workspace chosen by `--home`, `KEYTUI_HOME`, the current directory, or the user data directory."""
    if home:
        return Workspace(Path(home).expanduser().resolve())
    env_home = os.environ.get("KEYTUI_HOME")
    if env_home:
        return Workspace(Path(env_home).expanduser().resolve())
    cwd = Path.cwd()
    if (cwd / "corpora").is_dir() and (cwd / "checkpoints").is_dir():
        return Workspace(cwd)
    import platformdirs

    return Workspace(Path(platformdirs.user_data_dir("keytui", appauthor=False)))


MAX_NAME_LENGTH = 100
SUFFIXES = {"corpus": CORPUS_SUFFIX, "model": CHECKPOINT_SUFFIX}


def looks_like_path(name_or_path: str) -> bool:
    """A value is a path only when it holds a path separator (`./keys.txt`, `~/x.txt`); otherwise it is a name."""
    return "/" in name_or_path or os.sep in name_or_path or bool(os.altsep and os.altsep in name_or_path)


def validate_name(name: str, what: str) -> str:
    """A name is letters, digits, '-', '_' and '.', not starting with a dot, at most 100 characters.

    A name given with its own file suffix (`keys.txt` for a corpus, `demo.safetensors` for a model) is the same
    name without it; the other kind's suffix is refused, so a model file is never taken for a corpus.
    """
    own = SUFFIXES.get(what)
    other = [suffix for kind, suffix in SUFFIXES.items() if kind != what]
    if own and name.endswith(own) and len(name) > len(own):
        name = name[: -len(own)]
    if any(name.endswith(suffix) for suffix in other):
        raise KeytuiError(f"{what} name {name!r} names a {'model' if what == 'corpus' else 'corpus'} file")
    valid = (
        0 < len(name) <= MAX_NAME_LENGTH
        and not name.startswith(".")
        and all(c.isalnum() or c in "-_." for c in name)
        and name.isprintable()
    )
    if not valid:
        raise KeytuiError(
            f"{what} name {name!r} is not valid: use letters, digits, '-', '_' or '.' "
            f"(not first), at most {MAX_NAME_LENGTH} characters; a path needs a '/'"
        )
    return name


def _resolve(name_or_path: str, folder: Path, suffix: str, what: str, must_exist: bool) -> Path:
    if looks_like_path(name_or_path):
        path = Path(name_or_path).expanduser()
    else:
        name = validate_name(name_or_path, what)
        path = folder / f"{name}{suffix}"
        bundled = BUNDLED_DIR / f"{name}{suffix}"
        if not path.exists() and bundled.exists():
            return bundled
    if must_exist and not path.exists():
        raise KeytuiError(f"no {what} {name_or_path!r} (looked for {path})")
    return path


def _listing(folder: Path, suffix: str) -> list[Path]:
    found = {p.name: p for p in BUNDLED_DIR.glob(f"*{suffix}")}
    if folder.is_dir():
        found.update({p.name: p for p in folder.glob(f"*{suffix}") if p.exists()})
    return sorted(found.values(), key=lambda p: p.name)
