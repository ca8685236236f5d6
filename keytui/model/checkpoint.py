"""Checkpoints: one safetensors file holding the weights, plus plain JSON metadata in its header.

Loading parses JSON and raw tensors only; nothing in a checkpoint can execute code (no pickle anywhere). Files are
written to a temporary name and renamed into place, so a crash leaves the previous checkpoint intact. A checkpoint
is untrusted input: before any model is built, the whole header is checked (model sizes bounded, every tensor's
name, dtype and shape against the settings), the weights against their sha256 and for NaN or infinity.
"""

from __future__ import annotations

import hashlib
import json
import math
import struct
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path

from keytui import __version__
from keytui.data.files import MiB, atomic_write_bytes, read_regular_file
from keytui.data.vocab import Vocab
from keytui.errors import KeytuiError
from keytui.model.models import MAX_VOCAB, KeyModel, ModelConfig

FORMAT = "keytui-checkpoint"
FORMAT_VERSION = 1
FIT_IDS = "_keytui.fit_ids"  # the keys the model was fitted on (train + validation), so baselines can match it
MAX_HEADER_BYTES = 64 * MiB
MAX_CHECKPOINT_BYTES = 512 * MiB  # the largest model the size bounds allow, plus its fitted keys
MAX_TENSORS = 1024
WEIGHTS_HASH = "weights_sha256"  # in the header; checkpoints saved before it existed load without the check
EXTRA_PREFIX = "_keytui."  # keytui's own tensors beside the model's (the fitted keys, and any added later)
DTYPE_BYTES = {"F32": 4, "F16": 2, "I64": 8, "I32": 4}
FLOAT_DTYPES = {"F32": "<f4", "F16": "<f2"}


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
        WEIGHTS_HASH: weights_hash((name, t.cpu().numpy().tobytes()) for name, t in tensors.items()),
    }
    atomic_write_bytes(Path(path), save(tensors, metadata=header))


def weights_hash(named_bytes: Iterable[tuple[str, bytes]]) -> str:
    """sha256 over every tensor's name and raw little-endian bytes, in name order: what a bit flip changes."""
    digest = hashlib.sha256()
    for name, raw in sorted(named_bytes, key=lambda item: item[0]):
        digest.update(name.encode("utf-8") + b"\0" + len(raw).to_bytes(8, "little"))
        digest.update(raw)
    return digest.hexdigest()


def read_metadata(path: str | Path) -> dict:
    """The JSON metadata of a checkpoint, without loading torch or the weights (the header is checked whole)."""
    path = Path(path)
    return _parse(_read(path), path).meta


def verify_checkpoint(path: str | Path) -> dict:
    """The metadata of a checkpoint whose every byte was checked (header, tensor table, checksum, finite
    weights), without torch: what `keytui list` and the home screen use to show a broken file as broken."""
    path = Path(path)
    data = _read(path)
    parsed = _parse(data, path)
    _check_weights(data, parsed, path)
    return parsed.meta


def load_checkpoint(path: str | Path) -> Checkpoint:
    """Load a checkpoint, trusting nothing in it: any file gives a Checkpoint or a one-line KeytuiError."""
    path = Path(path)
    data = _read(path)
    parsed = _parse(data, path)
    _check_weights(data, parsed, path)
    vocab, config = parsed.vocab, parsed.config
    _check_shapes(_expected_tensors(replace(config, share_key_caps=False)), parsed, path)  # the sizeable core
    try:
        model = KeyModel(config, vocab.tokens)  # no bigger than the file now: its core matched the tensors
    except Exception as exc:
        raise KeytuiError(f"{path.name} cannot be loaded ({type(exc).__name__})") from None
    expected = _dtypes_and_shapes(model)
    _check_shapes(expected, parsed, path)
    unexpected = sorted(set(parsed.tensors) - set(expected) - {FIT_IDS})
    unexpected = [name for name in unexpected if not name.startswith(EXTRA_PREFIX)]
    if unexpected:
        raise KeytuiError(f"{path.name} does not match its model settings (unexpected tensor {unexpected[0][:40]!r})")
    fit = parsed.tensors.get(FIT_IDS)
    if fit is not None and (fit.dtype not in ("I32", "I64") or len(fit.shape) != 1):
        raise KeytuiError(f"{path.name} is corrupt (its fitted keys are not a list of key ids)")
    try:
        from safetensors.torch import load

        tensors = load(data)
        fit_ids = tensors.pop(FIT_IDS, None)
        fit_list = fit_ids.tolist() if fit_ids is not None else []
        if any(not 0 <= i < len(vocab) for i in fit_list):
            raise KeytuiError(f"{path.name} is corrupt (a fitted key id is outside its vocabulary)")
        model.load_state_dict({name: tensors[name] for name in expected}, strict=True)
    except KeytuiError:
        raise
    except Exception as exc:  # checked above; a last net so that no file can raise past here
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]
        raise KeytuiError(f"{path.name} cannot be loaded ({first})") from None
    model.eval()
    fit_text = "".join(vocab.key(i) for i in fit_list)
    return Checkpoint(model=model, vocab=vocab, meta=parsed.meta, fit_text=fit_text, path=path)


@dataclass(frozen=True)
class _Entry:
    dtype: str
    shape: tuple[int, ...]
    begin: int
    end: int


@dataclass
class _Parsed:
    meta: dict
    info: dict
    tensors: dict[str, _Entry]
    data_start: int
    vocab: Vocab
    config: ModelConfig


def _read(path: Path) -> bytes:
    if not path.exists() and not path.is_symlink():
        raise KeytuiError(f"no model at {path}")
    return read_regular_file(path, what=f"model {path.name}", limit=MAX_CHECKPOINT_BYTES)


def _parse(data: bytes, path: Path) -> _Parsed:
    """Check the whole header (format, metadata, model settings, vocabulary, the tensor table) before any use."""
    name = path.name
    if len(data) < 8:
        raise KeytuiError(f"{name} is not a keytui model (too short: truncated or empty)")
    (header_len,) = struct.unpack("<Q", data[:8])
    if header_len > min(MAX_HEADER_BYTES, len(data) - 8):
        raise KeytuiError(f"{name} is not a keytui model (corrupt or truncated header)")
    try:
        header = json.loads(data[8 : 8 + header_len].decode("utf-8"))
    except (ValueError, RecursionError):
        raise KeytuiError(f"{name} is not a keytui model (unreadable header)") from None
    if not isinstance(header, dict):
        raise KeytuiError(f"{name} is not a keytui model (unreadable header)")
    info = header.get("__metadata__") or {}
    if not isinstance(info, dict) or not all(isinstance(v, str) for v in info.values()):
        raise KeytuiError(f"{name} is not a keytui model (unreadable header)")
    if info.get("format") != FORMAT:
        raise KeytuiError(f"{name} is not a keytui model (a safetensors file from something else?)")
    if info.get("format_version") != str(FORMAT_VERSION):
        version = str(info.get("format_version"))[:20]
        raise KeytuiError(f"{name} uses checkpoint format {version}; this keytui reads {FORMAT_VERSION}")
    try:
        meta = json.loads(info["meta"])
    except (KeyError, ValueError, RecursionError):
        raise KeytuiError(f"{name} has unreadable metadata") from None
    if not isinstance(meta, dict) or "vocab" not in meta or "model" not in meta:
        raise KeytuiError(f"{name} has incomplete metadata (no vocabulary or model settings)")
    tokens = meta["vocab"]
    if not isinstance(tokens, list) or not all(isinstance(t, str) for t in tokens) or len(tokens) > MAX_VOCAB:
        raise KeytuiError(f"{name} has a broken vocabulary (a list of at most {MAX_VOCAB:,} keys is expected)")
    try:
        vocab = Vocab(tokens)
        config = ModelConfig.from_json(meta["model"])
    except KeytuiError as exc:
        raise KeytuiError(f"{name} has broken model settings: {exc}") from None
    if config.vocab_size != len(vocab):
        raise KeytuiError(
            f"{name} is inconsistent: {len(vocab)} keys in the vocabulary, {config.vocab_size} in the model"
        )
    tensors = _tensor_table(header, len(data) - 8 - header_len, name)
    return _Parsed(meta, info, tensors, 8 + header_len, vocab, config)


def _tensor_table(header: dict, data_len: int, name: str) -> dict[str, _Entry]:
    """Every tensor's dtype, shape and byte range: known dtypes, sizes that add up, ranges that tile the data."""
    entries: dict[str, _Entry] = {}
    for key, spec in header.items():
        if key == "__metadata__":
            continue
        if len(entries) >= MAX_TENSORS:
            raise KeytuiError(f"{name} is corrupt (more than {MAX_TENSORS} tensors)")
        try:
            dtype, shape, (begin, end) = spec["dtype"], spec["shape"], spec["data_offsets"]
            ok = (
                isinstance(key, str)
                and dtype in DTYPE_BYTES
                and isinstance(shape, list)
                and len(shape) <= 4
                and all(type(d) is int and 0 <= d <= data_len for d in shape)
                and type(begin) is int
                and type(end) is int
                and 0 <= begin <= end <= data_len
                and math.prod(shape) * DTYPE_BYTES[dtype] == end - begin
            )
        except (KeyError, TypeError, ValueError):
            ok = False
        if not ok:
            raise KeytuiError(f"{name} is corrupt (tensor {str(key)[:40]!r} is described wrongly)")
        entries[key] = _Entry(dtype, tuple(shape), begin, end)
    position = 0
    for entry in sorted(entries.values(), key=lambda e: (e.begin, e.end)):
        if entry.begin != position:
            raise KeytuiError(f"{name} is corrupt (its tensors overlap or leave gaps)")
        position = entry.end
    if position != data_len:
        raise KeytuiError(f"{name} is corrupt (truncated, or bytes after its tensors)")
    return entries


def _check_weights(data: bytes, parsed: _Parsed, path: Path) -> None:
    """The checksum (checkpoints from before it existed have none) and finite floating-point weights."""
    import numpy as np

    view = memoryview(data)[parsed.data_start :]
    stored = parsed.info.get(WEIGHTS_HASH)
    if stored is not None:
        actual = weights_hash((key, bytes(view[e.begin : e.end])) for key, e in parsed.tensors.items())
        if actual != stored:
            raise KeytuiError(f"{path.name} is corrupt: its weights do not match their checksum (damaged file?)")
    for key, entry in parsed.tensors.items():
        if entry.dtype in FLOAT_DTYPES:
            values = np.frombuffer(view[entry.begin : entry.end], dtype=FLOAT_DTYPES[entry.dtype])
            if not np.isfinite(values).all():
                raise KeytuiError(f"{path.name} is corrupt: tensor {key[:40]!r} holds NaN or infinite weights")


def _check_shapes(expected: dict[str, tuple[str, tuple[int, ...]]], parsed: _Parsed, path: Path) -> None:
    for name, (dtype, shape) in expected.items():
        entry = parsed.tensors.get(name)
        if entry is None:
            raise KeytuiError(f"{path.name} does not match its model settings (no tensor {name!r})")
        if entry.dtype != dtype or entry.shape != shape:
            raise KeytuiError(
                f"{path.name} does not match its model settings ({name!r} is {entry.dtype} {list(entry.shape)}, "
                f"expected {dtype} {list(shape)})"
            )


def _expected_tensors(config: ModelConfig) -> dict[str, tuple[str, tuple[int, ...]]]:
    """Name -> (dtype, shape) of the model `config` describes, built on torch's meta device (no memory)."""
    import torch

    with torch.device("meta"):
        return _dtypes_and_shapes(KeyModel(config))


def _dtypes_and_shapes(model: KeyModel) -> dict[str, tuple[str, tuple[int, ...]]]:
    import torch

    names = {torch.float32: "F32", torch.float16: "F16", torch.int64: "I64", torch.int32: "I32"}
    return {key: (names.get(t.dtype, str(t.dtype)), tuple(t.shape)) for key, t in model.state_dict().items()}
