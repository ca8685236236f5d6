"""Model versions: a model is never silently replaced by a worse one.

Training writes into `checkpoints/candidates/NAME.safetensors` (the best weights so far, so a cancel, Ctrl-C or crash
leaves the previous `NAME.safetensors` as it was). When training ends, the candidate replaces `NAME.safetensors` only
if it is complete and scores better than the current model on the same held-out keys (the candidate's test keys,
which neither model trained on), or when the user asks for it (`--replace`). The model it replaces is kept as
`checkpoints/previous/NAME.1.safetensors` (the older ones shift to `.2`, `.3`; `KEEP` of them are kept).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from keytui.data.paths import BUNDLED_DIR, CHECKPOINT_SUFFIX
from keytui.errors import KeytuiError

try:  # POSIX advisory locks; elsewhere two trains into one name are not kept apart
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

CANDIDATES = "candidates"
PREVIOUS = "previous"
KEEP = 3
COMPLETE = ("early_stop", "max_epochs", "time_limit")  # a run that ended by itself, not cancelled nor still going
STATUS_WORDS = {  # how a run ended, in words for people
    "early_stop": "early stopping",
    "max_epochs": "all epochs run",
    "time_limit": "time limit reached",
    "cancelled": "cancelled",
    "training": "unfinished (interrupted)",
}


BASELINE_WORDS = {"majority": "majority key", "ngram": "n-gram", "ngram_adaptive": "adaptive n-gram"}


def status_words(status: str | None) -> str:
    return STATUS_WORDS.get(status or "", status or "unknown")


def baseline_words(name: str) -> str:
    return BASELINE_WORDS.get(name, name)


def epochs_words(epochs: int) -> str:
    return f"{epochs} epoch{'' if epochs == 1 else 's'}"


def run_words(status: str | None, epochs: int) -> str:
    """How a run ended, for people: "early stopping after 12 epochs", "60 epochs run (all asked for)",
    "cancelled after 1 epoch"."""
    if status == "max_epochs":
        return f"{epochs_words(epochs)} run (all asked for)"
    if status == "time_limit":
        return f"time limit reached after {epochs_words(epochs)}"
    return f"{status_words(status)} after {epochs_words(epochs)}"


def candidate_path(out: Path) -> Path:
    return out.parent / CANDIDATES / out.name


def previous_path(out: Path, number: int) -> Path:
    return out.parent / PREVIOUS / f"{out.name.removesuffix(CHECKPOINT_SUFFIX)}.{number}{CHECKPOINT_SUFFIX}"


def previous_versions(out: Path) -> list[Path]:
    """The kept earlier versions of a model, newest first."""
    return [p for p in (previous_path(out, n) for n in range(1, KEEP + 1)) if p.exists()]


def check_model_output(out: Path) -> None:
    """Refuse, in one line, a place to save a model that would replace what it should not: a name without the model
    suffix (`--out corpora/keys.txt` replaced a corpus), the models shipped with keytui (compared as resolved
    folders: a relative `--out keytui/demo/demo.safetensors` in a clone is the shipped prior), and any existing file
    that is not a model keytui wrote."""
    from keytui.model.checkpoint import is_keytui_model

    out = Path(out)
    if out.suffix != CHECKPOINT_SUFFIX:
        raise KeytuiError(f"a model is saved as NAME{CHECKPOINT_SUFFIX}, not {out.name!r}: choose another --out")
    if out.parent.resolve() == BUNDLED_DIR.resolve():
        raise KeytuiError(f"{out} ships with keytui and is never replaced: choose another --out")
    if (out.exists() or out.is_symlink()) and not is_keytui_model(out):
        raise KeytuiError(
            f"{out} exists and is not a model keytui wrote; keytui will not replace it: choose another --out"
        )


@contextlib.contextmanager
def training_lock(out: Path) -> Iterator[None]:
    """Held by the run training into `out` from its first save to its install: two runs into one name would share
    one candidate file, and one result would silently vanish. The second is refused at once, in one line."""
    from keytui.data.files import open_for_append

    folder = out.parent / CANDIDATES
    fd = open_for_append(folder / f".{out.name}.lock", what=f"the training lock of {out.name}")
    try:
        if fcntl is not None:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                raise KeytuiError(
                    f"model {out.stem!r} is being trained by another keytui: wait for it, or train into another "
                    "name (--out NAME)"
                ) from None
        yield
    finally:
        os.close(fd)  # closing releases the lock


def is_complete(meta: dict) -> bool:
    """A model whose training ended by itself and was scored on its test keys (not cancelled, not mid-run)."""
    return meta.get("status") in COMPLETE and bool(meta.get("metrics", {}).get("test"))


@dataclass(frozen=True)
class Decision:
    replaced: bool
    reason: str  # one line for people
    kept_previous: Path | None = None  # where the replaced model now lives


def _rotate_into_previous(out: Path) -> Path:
    """Shift NAME.1 -> NAME.2 ... (dropping the oldest) and copy the current model to NAME.1, which is returned."""
    from keytui.data.files import atomic_write_bytes, read_regular_file
    from keytui.model.checkpoint import MAX_CHECKPOINT_BYTES

    folder = out.parent / PREVIOUS
    folder.mkdir(parents=True, exist_ok=True)
    previous_path(out, KEEP).unlink(missing_ok=True)
    for number in range(KEEP - 1, 0, -1):
        if previous_path(out, number).exists():
            os.replace(previous_path(out, number), previous_path(out, number + 1))
    first = previous_path(out, 1)
    # a copy, read through the shared guard: `out` stays whole until the candidate is renamed over it
    atomic_write_bytes(first, read_regular_file(out, what=f"model {out.name}", limit=MAX_CHECKPOINT_BYTES))
    return first


def install(candidate: Path, out: Path) -> Path | None:
    """Put the candidate in place of `out`, keeping the model it replaces among the previous versions."""
    kept = _rotate_into_previous(out) if out.exists() else None
    try:
        os.replace(candidate, out)
    except OSError as exc:
        raise KeytuiError(f"cannot install the new model as {out}: {exc.strerror}") from None
    return kept


def decide(candidate: Path, out: Path, test_keys: str, warmup: str = "", *, replace: bool = False) -> Decision:
    """Whether the finished candidate should replace `out` (see the module docstring); does not touch files.

    `test_keys`: the candidate's held-out keys (neither model trained on them: the old model's fitted keys end before
    them when its corpus was this one, shorter); `warmup`: the keys just before them, shown to both unscored."""
    from keytui.model.checkpoint import is_keytui_model, load_checkpoint, read_metadata

    new_meta = read_metadata(candidate)
    if not out.exists() and not out.is_symlink():
        return Decision(True, f"saved {out.name}")
    if not is_keytui_model(out):  # appeared during the run (a FIFO, a link to /dev/zero, someone's file): kept
        return Decision(False, f"kept {out.name}, which is not a model keytui wrote; this run's model is {candidate}")
    if replace:
        return Decision(True, f"replaced {out.name} as asked (--replace)")
    try:
        old_meta = read_metadata(out)
    except KeytuiError:
        return Decision(True, f"replaced {out.name}, which could not be read")
    if not is_complete(new_meta):
        if is_complete(old_meta):
            return Decision(False, f"kept {out.name}: this run did not finish ({new_meta.get('status')})")
        return Decision(True, f"replaced {out.name}, which had not finished either")
    if not is_complete(old_meta):
        return Decision(True, f"replaced {out.name}, whose training had not finished")
    if not test_keys:
        return Decision(True, f"replaced {out.name}")
    try:
        old = load_checkpoint(out)
    except KeytuiError:
        return Decision(True, f"replaced {out.name}, which could not be loaded")
    new_score = held_out_score(load_checkpoint(candidate), test_keys, warmup)
    old_score = held_out_score(old, test_keys, warmup)
    figures = (
        f"on the same {len(test_keys):,} held-out keys: new {new_score['hit_rate']:.1%} hit, "
        f"{new_score['bits_per_char']:.3f} bits/key; previous {old_score['hit_rate']:.1%}, "
        f"{old_score['bits_per_char']:.3f}"
    )
    if new_score["bits_per_char"] < old_score["bits_per_char"]:
        return Decision(True, f"replaced {out.name}: better {figures}")
    return Decision(False, f"kept {out.name}: the new model is not better {figures}")


def held_out_score(checkpoint, test_keys: str, warmup: str = "") -> dict:
    """The frozen model's score on keys, through the predictor play uses (every expert mixed, none learning)."""
    from keytui.predictors import replay
    from keytui.predictors.factory import build_predictor

    return replay(build_predictor(checkpoint, adaptive=False), test_keys, warmup=warmup).to_json()


def default_play_model(workspace) -> Path:
    """The player's latest complete model trained on their own typing; else the shipped demo."""
    from keytui.data.corpus_meta import corpus_kind
    from keytui.model.checkpoint import read_metadata

    best: tuple[str, float, Path] | None = None
    for path in workspace.list_checkpoints():
        if path.resolve().parent == BUNDLED_DIR.resolve():  # the demo itself, or a link to it (a clone's checkpoints/)
            continue
        try:
            meta = read_metadata(path)
            corpus = meta.get("corpus", {})
            kind = corpus.get("kind")
            if kind is None and corpus.get("name"):  # a model from before corpus kinds: ask its corpus
                kind = corpus_kind(workspace.corpus_path(corpus["name"], must_exist=False))
        except KeytuiError:  # unreadable, or its corpus has a name no corpus here can have: not the player's typing
            continue
        if kind != "typing" or not is_complete(meta):
            continue
        key = (str(meta.get("created", "")), path.stat().st_mtime, path)
        if best is None or key[:2] > best[:2]:
            best = key
    return best[2] if best else BUNDLED_DIR / f"demo{CHECKPOINT_SUFFIX}"
