"""Checkpoints: one safetensors file holding the weights, plus plain JSON metadata in its header.

Loading parses JSON and raw tensors only; nothing in a checkpoint can execute code (no pickle anywhere). Files are
written to a temporary name and renamed into place, so a crash leaves the previous checkpoint intact. A checkpoint
is untrusted input: before any model is built, the whole header is checked (model sizes bounded, the metadata's
types, every tensor's name, dtype and shape against the settings), the file against its sha256, the weights for NaN
or infinity, the key-cap indices against the tables they index, and the fitted keys against the vocabulary.
`verify_checkpoint` (list, the home screen) and `load_checkpoint` (play, eval, train --from) run the same checks.

The checksum (`sha256` in the header) covers every metadata entry and every tensor: an edited or damaged file is
refused. Files saved before it existed still load: those with only `weights_sha256` have their weights checked
(their metadata is still type-checked), the oldest ones (the shipped demo before this version) nothing.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import struct
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from keytui import __version__
from keytui.data.files import MiB, atomic_write_bytes, read_regular_file
from keytui.data.keyboard import FEATURE_SIZE, key_cap
from keytui.data.vocab import Vocab
from keytui.errors import KeytuiError
from keytui.model.config import MAX_VOCAB, ModelConfig

if TYPE_CHECKING:  # torch loads only when a network is built from the weights (see Checkpoint.ensure_model)
    from keytui.model.models import KeyModel

FORMAT = "keytui-checkpoint"
FORMAT_VERSION = 1
FIT_IDS = "_keytui.fit_ids"  # the keys the model was fitted on (train + validation), so baselines can match it
MAX_HEADER_BYTES = 64 * MiB
MAX_CHECKPOINT_BYTES = 512 * MiB  # the largest model the size bounds allow, plus its fitted keys
MAX_TENSORS = 1024
CHECKSUM = "sha256"  # in the header: every metadata entry and every tensor (keytui 0.1 from issue 29 on)
WEIGHTS_HASH = "weights_sha256"  # the older checksum, of the tensors only: still checked in files that have it
MAX_FIT_KEYS = 200_000  # the newest fitted keys read back: what the experts learn from (the memory keeps 50,000)
EXTRA_PREFIX = "_keytui."  # keytui's own tensors beside the model's (the fitted keys, and any added later)
DTYPE_BYTES = {"F32": 4, "F16": 2, "I64": 8, "I32": 4}
FLOAT_DTYPES = {"F32": "<f4", "F16": "<f2"}


@dataclass
class Checkpoint:
    """A checked model file: its network as numpy arrays (`arrays`, read without torch) and, once built, as a
    PyTorch module (`model`; `ensure_model` builds it from the arrays, which loads torch)."""

    model: KeyModel | None
    vocab: Vocab
    meta: dict = field(default_factory=dict)
    fit_text: str = ""
    path: Path | None = None
    arrays: dict[str, np.ndarray] | None = None  # name -> weights, as in the model's state_dict
    settings: ModelConfig | None = None  # the model's settings, for a checkpoint whose network is not built yet

    @property
    def config(self) -> ModelConfig:
        if self.model is not None:
            return self.model.config
        assert self.settings is not None
        return self.settings

    @property
    def label(self) -> str:
        return self.path.stem if self.path else "model"

    def ensure_model(self) -> KeyModel:
        """The PyTorch network, built from the checked arrays the first time (this imports torch: seconds)."""
        with _BUILDING:  # the play screen builds it in the background; a caller that needs it now waits for it
            if self.model is None:
                assert self.arrays is not None
                self.model = _build_model(self.config, self.vocab, self.arrays, self.path)
        return self.model


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
    header[CHECKSUM] = checkpoint_hash(header, ((name, t.cpu().numpy().tobytes()) for name, t in tensors.items()))
    atomic_write_bytes(Path(path), save(tensors, metadata=header))


def weights_hash(named_bytes: Iterable[tuple[str, bytes]]) -> str:
    """sha256 over every tensor's name and raw little-endian bytes, in name order: what a bit flip changes."""
    digest = hashlib.sha256()
    for name, raw in sorted(named_bytes, key=lambda item: item[0]):
        digest.update(name.encode("utf-8") + b"\0" + len(raw).to_bytes(8, "little"))
        digest.update(raw)
    return digest.hexdigest()


def checkpoint_hash(info: dict[str, str], named_bytes: Iterable[tuple[str, bytes]]) -> str:
    """sha256 over every metadata entry (but the checksums) and every tensor's name and bytes, each length-prefixed
    and in name order: what an edit or a bit flip anywhere in the file's meaning changes."""
    digest = hashlib.sha256()
    for key in sorted(k for k in info if k not in (CHECKSUM, WEIGHTS_HASH)):
        value = info[key].encode("utf-8")
        digest.update(b"meta\0" + key.encode("utf-8") + b"\0" + len(value).to_bytes(8, "little"))
        digest.update(value)
    digest.update(weights_hash(named_bytes).encode("ascii"))
    return digest.hexdigest()


def is_keytui_model(path: Path) -> bool:
    """Whether the regular file at `path` says it is a keytui checkpoint (its header names keytui's format), however
    damaged the rest: what a writer may replace. Anything else (a corpus, someone's file) is not keytui's to replace."""
    from keytui.data.files import open_regular_file

    try:
        fd = open_regular_file(path, what="model")
    except KeytuiError:
        return False
    try:
        (header_len,) = struct.unpack("<Q", os.pread(fd, 8, 0).ljust(8, b"\xff"))
        if header_len > MAX_HEADER_BYTES:
            return False
        header = json.loads(os.pread(fd, header_len, 8).decode("utf-8"))
        return isinstance(header, dict) and (header.get("__metadata__") or {}).get("format") == FORMAT
    except (OSError, ValueError, RecursionError, AttributeError):
        return False
    finally:
        os.close(fd)


def read_metadata(path: str | Path) -> dict:
    """The JSON metadata of a checkpoint, without loading torch or the weights (the header is checked whole)."""
    path = Path(path)
    return _parse(_read(path), path).meta


def verify_checkpoint(path: str | Path) -> dict:
    """The metadata of a checkpoint that passed every check `load_checkpoint` makes (the same function runs them),
    without torch: what `keytui list` and the home screen use to show a broken file as broken, so that nothing play
    refuses is listed as good."""
    path = Path(path)
    parsed, _ = _validate(path)
    return parsed.meta


def load_checkpoint(path: str | Path) -> Checkpoint:
    """Load a checkpoint, trusting nothing in it: any file gives a Checkpoint or a one-line KeytuiError."""
    checkpoint = load_weights(path)
    checkpoint.ensure_model()
    checkpoint.arrays = None  # the network holds the weights now: no second copy
    return checkpoint


def load_weights(path: str | Path) -> Checkpoint:
    """A checkpoint's weights as numpy arrays, every check of `load_checkpoint` made, without torch (its import
    takes seconds; the game's first guess needs only numpy). `ensure_model()` builds the network later."""
    path = Path(path)
    parsed, fit_text = _validate(path)
    view = memoryview(parsed.data)[parsed.data_start :]
    expected = expected_tensors(parsed.config, parsed.vocab.tokens)
    arrays = {name: _array(view, parsed.tensors[name]) for name in expected}
    return Checkpoint(
        model=None,
        vocab=parsed.vocab,
        meta=parsed.meta,
        fit_text=fit_text,
        path=path,
        arrays=arrays,
        settings=parsed.config,
    )


def _validate(path: Path) -> tuple[_Parsed, str]:
    """Every check, in order of cost, without torch; returns the parsed file (its tensors match the network its
    settings describe) and the fitted keys as text. Shared by `verify_checkpoint` and `load_weights`."""
    data = _read(path)
    parsed = _parse(data, path)
    _check_weights(data, parsed, path)
    expected = expected_tensors(parsed.config, parsed.vocab.tokens)
    _check_shapes(expected, parsed, path)
    unexpected = sorted(set(parsed.tensors) - set(expected) - {FIT_IDS})
    unexpected = [name for name in unexpected if not name.startswith(EXTRA_PREFIX)]
    if unexpected:
        raise KeytuiError(f"{path.name} does not match its model settings (unexpected tensor {unexpected[0][:40]!r})")
    _check_indices(data, parsed, path)
    fit_text = _fitted_text(data, parsed, path)
    parsed.data = data
    return parsed, fit_text


_BUILDING = threading.Lock()
NUMPY_DTYPES = {"F32": "<f4", "F16": "<f2", "I64": "<i8", "I32": "<i4"}


def _array(view: memoryview, entry: _Entry) -> np.ndarray:
    """A tensor's bytes as a numpy array of its own (little-endian, as safetensors stores them): no view into the
    file's bytes, so the arrays outlive them and can be written to."""
    values = np.frombuffer(view[entry.begin : entry.end], dtype=NUMPY_DTYPES[entry.dtype])
    return values.reshape(entry.shape).astype(values.dtype.newbyteorder("="), copy=True)


def _build_model(config: ModelConfig, vocab: Vocab, arrays: dict[str, np.ndarray], path: Path | None) -> KeyModel:
    """The PyTorch network holding `arrays` (already checked against `config`)."""
    import torch

    from keytui.model.models import KeyModel

    name = path.name if path is not None else "model"
    try:
        model = KeyModel(config, vocab.tokens)  # no bigger than the file: its tensors matched these settings
        model.load_state_dict({key: torch.from_numpy(value) for key, value in arrays.items()}, strict=True)
    except Exception as exc:  # checked already; a last net so that no file can raise past here
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]
        raise KeytuiError(f"{name} cannot be loaded ({first})") from None
    return model.eval()


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
    data: bytes = b""  # the whole file, once every check passed


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
    _check_meta_types(meta, name)
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
    _check_checksum(view, parsed, path)
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


def expected_tensors(config: ModelConfig, keys: list[str]) -> dict[str, tuple[str, tuple[int, ...]]]:
    """Name -> (dtype, shape) of every tensor in the state_dict of the KeyModel that `config` describes over
    `keys` (keytui/model/models.py), worked out without torch. tests/test_weights.py checks it against torch's."""
    V, E, H, L = config.vocab_size, config.embedding_dim, config.hidden_size, config.num_layers
    tensors: dict[str, tuple[str, tuple[int, ...]]] = {}
    onehot = config.arch == "gru-onehot"
    if not onehot:
        tensors["embedding.weight"] = ("F32", (V, E))
    gates = 3 if config.arch.startswith("gru") else 4
    for layer in range(L):
        inputs = (V if onehot else E) if layer == 0 else H
        tensors[f"rnn.weight_ih_l{layer}"] = ("F32", (gates * H, inputs))
        tensors[f"rnn.weight_hh_l{layer}"] = ("F32", (gates * H, H))
        tensors[f"rnn.bias_ih_l{layer}"] = ("F32", (gates * H,))
        tensors[f"rnn.bias_hh_l{layer}"] = ("F32", (gates * H,))
    features = 2 * H if config.arch == "lstm-attn" else H
    tensors["head.weight"] = ("F32", (V, features))
    tensors["head.bias"] = ("F32", (V,))
    if config.share_key_caps:
        caps = shared_caps(keys)
        tensors["key_caps.cap_of_key"] = ("I64", (V,))
        tensors["key_caps.shift_of_key"] = ("I64", (V,))
        tensors["key_caps.cap_embedding.weight"] = ("F32", (len(caps) + 1, E))
        tensors["key_caps.shift_embedding.weight"] = ("F32", (2, E))
        tensors["key_caps.cap_head.weight"] = ("F32", (len(caps) + 1, features))
        tensors["key_caps.shift_head.weight"] = ("F32", (2, features))
        tensors["key_caps.shift_head.bias"] = ("F32", (2,))
    if config.key_geometry:
        tensors["key_geometry.key_features"] = ("F32", (V, FEATURE_SIZE))
        tensors["key_geometry.feature_embedding.weight"] = ("F32", (E, FEATURE_SIZE))
        tensors["key_geometry.feature_head.weight"] = ("F32", (FEATURE_SIZE, features))
    return tensors


def shared_caps(keys: list[str]) -> list[str]:
    """The key caps with two characters among `keys` (a / A, 1 / !), in the order KeyCaps numbers them."""
    counts: dict[str, int] = {}
    for key in keys:
        cap = key_cap(key)
        counts[cap] = counts.get(cap, 0) + 1
    return [cap for cap, n in counts.items() if n > 1]


def _check_checksum(view: memoryview, parsed: _Parsed, path: Path) -> None:
    """The whole-file checksum; for files saved before it, the weights-only one; for the oldest, none."""
    named = ((key, bytes(view[e.begin : e.end])) for key, e in parsed.tensors.items())
    if CHECKSUM in parsed.info:
        if checkpoint_hash(parsed.info, named) != parsed.info[CHECKSUM]:
            raise KeytuiError(f"{path.name} is corrupt: it does not match its checksum (damaged or edited file?)")
    elif WEIGHTS_HASH in parsed.info and weights_hash(named) != parsed.info[WEIGHTS_HASH]:
        raise KeytuiError(f"{path.name} is corrupt: its weights do not match their checksum (damaged file?)")


_NUMBER = (int, float)
# The metadata keytui writes and reads back, by path, and the types it must have. Anything else in a file is refused
# here, in one line, by list, play and the home screen alike, rather than crashing whichever reads it first.
META_TYPES: dict[tuple[str, ...], tuple[type, ...]] = {
    ("corpus",): (dict,),
    ("corpus", "name"): (str,),
    ("corpus", "sha256"): (str,),
    ("corpus", "keys"): (int,),
    ("corpus", "kind"): (str, type(None)),
    ("kind",): (str,),
    ("created",): (str,),
    ("status",): (str,),
    ("layout",): (str,),
    ("keytui_version",): (str,),
    ("memory",): (dict,),
    ("memory", "expert"): (bool,),
    ("prior",): (dict,),
    ("curve",): (list,),
    ("split",): (dict,),
    ("training",): (dict,),
    ("best_epoch",): (int,),
    ("refit_epochs",): (int,),
    ("seconds",): _NUMBER,
    ("metrics",): (dict,),
    ("metrics", "test"): (dict,),
    ("metrics", "test", "accuracy"): _NUMBER,
    ("metrics", "predictor"): (dict, type(None)),
    ("metrics", "baselines"): (dict,),
    ("metrics", "held_out_typists"): (dict,),
}


def _check_meta_types(meta: dict, name: str) -> None:
    """Each known metadata entry, where present, has the type keytui writes (a bool is no number here)."""
    for keys, types in META_TYPES.items():
        value: object = meta
        for key in keys:
            value = value.get(key, _ABSENT) if isinstance(value, dict) else _ABSENT
        if value is _ABSENT:
            continue
        is_bool = isinstance(value, bool)
        if not isinstance(value, types) or (is_bool and bool not in types):
            wanted = " or ".join("null" if t is type(None) else t.__name__ for t in types)
            raise KeytuiError(f"{name} has broken metadata ({'.'.join(keys)} is not {wanted})")


_ABSENT = object()


def _integers(data: bytes, parsed: _Parsed, key: str):
    """An integer tensor's values, read with numpy straight from the file's bytes."""
    import numpy as np

    entry = parsed.tensors[key]
    start = parsed.data_start + entry.begin
    dtype = {"I64": "<i8", "I32": "<i4"}[entry.dtype]
    return np.frombuffer(data, dtype=dtype, count=(entry.end - entry.begin) // DTYPE_BYTES[entry.dtype], offset=start)


def _check_indices(data: bytes, parsed: _Parsed, path: Path) -> None:
    """Index tensors (`X_of_key`, e.g. `key_caps.cap_of_key`) point into their table `X_embedding` (IndexError in
    eval and play otherwise): every value from 0 to the table's rows."""
    for key, entry in parsed.tensors.items():
        if not key.endswith("_of_key") or entry.dtype not in ("I64", "I32"):
            continue
        table = parsed.tensors.get(key.removesuffix("_of_key") + "_embedding.weight")
        values = _integers(data, parsed, key)
        rows = table.shape[0] if table is not None and table.shape else 0
        if values.size and (values.min() < 0 or values.max() >= rows):
            raise KeytuiError(f"{path.name} is corrupt ({key[:40]!r} points past the table it indexes)")


def _fitted_text(data: bytes, parsed: _Parsed, path: Path) -> str:
    """The newest MAX_FIT_KEYS fitted keys as text (the experts learn from no more; millions of ids would take
    gigabytes and minutes before the first guess), each id checked against the vocabulary."""
    import numpy as np

    entry = parsed.tensors.get(FIT_IDS)
    if entry is None:
        return ""
    if entry.dtype not in ("I32", "I64") or len(entry.shape) != 1:
        raise KeytuiError(f"{path.name} is corrupt (its fitted keys are not a list of key ids)")
    ids = _integers(data, parsed, FIT_IDS)[-MAX_FIT_KEYS:]
    if ids.size and (ids.min() < 0 or ids.max() >= len(parsed.vocab)):
        raise KeytuiError(f"{path.name} is corrupt (a fitted key id is outside its vocabulary)")
    tokens = np.array(parsed.vocab.tokens, dtype=object)
    return "".join(tokens[ids].tolist())
