"""Checkpoints: one safetensors file holding the weights, plus plain JSON metadata in its header.

Loading parses JSON and raw tensors only; nothing in a checkpoint can execute code (no pickle anywhere). Files are
written to a temporary name and renamed into place, so a crash leaves the previous checkpoint intact.
"""

from __future__ import annotations

import json
import struct
from dataclasses import dataclass, field
from pathlib import Path

from keytui import __version__
from keytui.errors import KeytuiError
from keytui.files import atomic_write_bytes
from keytui.models import KeyModel, ModelConfig
from keytui.vocab import Vocab

FORMAT = "keytui-checkpoint"
FORMAT_VERSION = 1
FIT_IDS = "_keytui.fit_ids"  # the keys the model was fitted on (train + validation), so baselines can match it
MAX_HEADER_BYTES = 64 * 1024 * 1024


@dataclass
class Checkpoint:
    model: KeyModel
    vocab: Vocab
    meta: dict = field(default_factory=dict)
    fit_text: str = ""
    path: Path | None = None

    @property
    def config(self) -> ModelConfig:
        return self.model.config

    @property
    def label(self) -> str:
        return self.path.stem if self.path else "model"


def save_checkpoint(path: str | Path, model: KeyModel, vocab: Vocab, meta: dict, fit_text: str = "") -> None:
    import torch
    from safetensors.torch import save

    tensors = {name: t.detach().contiguous().clone() for name, t in model.state_dict().items()}
    tensors[FIT_IDS] = torch.tensor(vocab.encode(fit_text), dtype=torch.int32)
    header = {
        "format": FORMAT,
        "format_version": str(FORMAT_VERSION),
        "meta": json.dumps(
            {**meta, "keytui_version": __version__, "model": model.config.to_json(), "vocab": vocab.to_list()}
        ),
    }
    atomic_write_bytes(Path(path), save(tensors, metadata=header))


def read_metadata(path: str | Path) -> dict:
    """The JSON metadata of a checkpoint, without loading torch or the weights."""
    path = Path(path)
    return _parse_header(_read(path), path)[1]


def load_checkpoint(path: str | Path) -> Checkpoint:
    from safetensors.torch import load

    path = Path(path)
    data = _read(path)
    _, meta = _parse_header(data, path)
    try:
        tensors = load(data)
    except Exception:  # safetensors raises its own error types for malformed data
        raise KeytuiError(f"{path.name} is corrupt: its tensors cannot be read") from None
    vocab = Vocab(meta["vocab"])
    config = ModelConfig.from_json(meta["model"])
    if config.vocab_size != len(vocab):
        raise KeytuiError(
            f"{path.name} is inconsistent: {len(vocab)} keys in the vocabulary, {config.vocab_size} in the model"
        )
    fit_ids = tensors.pop(FIT_IDS, None)
    model = KeyModel(config, vocab.tokens)
    try:
        model.load_state_dict(tensors, strict=True)
    except RuntimeError as exc:
        first = str(exc).strip().splitlines()[0]
        raise KeytuiError(f"{path.name} does not match its model settings ({first})") from None
    model.eval()
    fit_text = "".join(vocab.key(i) for i in fit_ids.tolist()) if fit_ids is not None else ""
    return Checkpoint(model=model, vocab=vocab, meta=meta, fit_text=fit_text, path=path)


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise KeytuiError(f"no model at {path}") from None
    except IsADirectoryError:
        raise KeytuiError(f"{path} is a directory, not a keytui model") from None
    except OSError as exc:
        raise KeytuiError(f"cannot read model {path}: {exc.strerror}") from None


def _parse_header(data: bytes, path: Path) -> tuple[dict, dict]:
    if len(data) < 8:
        raise KeytuiError(f"{path.name} is not a keytui model (too short: truncated or empty)")
    (header_len,) = struct.unpack("<Q", data[:8])
    if header_len > min(MAX_HEADER_BYTES, len(data) - 8):
        raise KeytuiError(f"{path.name} is not a keytui model (corrupt or truncated header)")
    try:
        header = json.loads(data[8 : 8 + header_len])
        info = header.get("__metadata__") or {}
    except (ValueError, AttributeError):
        raise KeytuiError(f"{path.name} is not a keytui model (unreadable header)") from None
    if info.get("format") != FORMAT:
        raise KeytuiError(f"{path.name} is not a keytui model (a safetensors file from something else?)")
    if info.get("format_version") != str(FORMAT_VERSION):
        raise KeytuiError(
            f"{path.name} uses checkpoint format {info.get('format_version')}; this keytui reads {FORMAT_VERSION}"
        )
    try:
        meta = json.loads(info["meta"])
    except (KeyError, ValueError):
        raise KeytuiError(f"{path.name} has unreadable metadata") from None
    if not isinstance(meta, dict) or "vocab" not in meta or "model" not in meta:
        raise KeytuiError(f"{path.name} has incomplete metadata (no vocabulary or model settings)")
    return header, meta
