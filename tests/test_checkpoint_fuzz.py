"""Checkpoints are untrusted: any file gives a model or ONE line of KeytuiError: never another exception or a hang.

A seeded fuzzer mutates a real (small) checkpoint: bit flips anywhere, truncations, and mutations of the JSON header
(sizes, dtypes, shapes, offsets, vocabulary, model settings). Each load runs under an alarm, so a hang fails.
"""

from __future__ import annotations

import contextlib
import json
import random
import signal
import struct
from pathlib import Path

import pytest
import torch

from keytui.data.vocab import Vocab
from keytui.errors import KeytuiError
from keytui.model.checkpoint import WEIGHTS_HASH, load_checkpoint, read_metadata, save_checkpoint, verify_checkpoint
from keytui.model.models import KeyModel, ModelConfig

SECONDS_PER_LOAD = 10


@pytest.fixture(scope="module")
def good(tmp_path_factory) -> bytes:
    torch.manual_seed(0)
    vocab = Vocab.from_text("asdf[/é")
    model = KeyModel(ModelConfig(vocab_size=len(vocab), hidden_size=8, embedding_dim=4, num_layers=1), vocab.tokens)
    path = tmp_path_factory.mktemp("fuzz") / "good.safetensors"
    save_checkpoint(path, model, vocab, {"corpus": {"name": "x"}}, fit_text="asdfasdf")
    return path.read_bytes()


@contextlib.contextmanager
def deadline(seconds: int):
    def timeout(*_):
        raise TimeoutError(f"a checkpoint load took more than {seconds}s")

    previous = signal.signal(signal.SIGALRM, timeout)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def outcome(path: Path) -> str:
    """'ok' or 'refused'; anything else (another exception, a hang, a traceback-length message) fails the test."""
    results = []
    for reader in (read_metadata, verify_checkpoint, load_checkpoint):
        with deadline(SECONDS_PER_LOAD):
            try:
                reader(path)
                results.append("ok")
            except KeytuiError as exc:
                message = str(exc)
                assert message and "\n" not in message and len(message) < 400, message
                results.append("refused")
    return results[-1]


def split(data: bytes) -> tuple[dict, bytes]:
    (n,) = struct.unpack("<Q", data[:8])
    return json.loads(data[8 : 8 + n]), data[8 + n :]


def join(header: dict, body: bytes) -> bytes:
    raw = json.dumps(header).encode()
    return struct.pack("<Q", len(raw)) + raw + body


def mutate_header(header: dict, rng: random.Random) -> dict:
    header = json.loads(json.dumps(header))
    tensors = [k for k in header if k != "__metadata__"]
    meta = json.loads(header["__metadata__"]["meta"])
    choice = rng.randrange(12)
    target = header[rng.choice(tensors)]
    if choice == 0:
        target["shape"] = [rng.choice([0, 1, 7, 10**6, -1, 2**40]) for _ in range(rng.randrange(0, 6))]
    elif choice == 1:
        target["dtype"] = rng.choice(["F64", "BF16", "I8", "U8", "BOOL", "F16", "I64", "nope", 3])
    elif choice == 2:
        target["data_offsets"] = [rng.randrange(-5, 5000), rng.randrange(-5, 5000)]
    elif choice == 3:
        del header[rng.choice(tensors)]
    elif choice == 4:
        header[rng.choice(tensors) + ".extra"] = dict(target)
    elif choice == 5:
        key = rng.choice(["hidden_size", "num_layers", "embedding_dim", "vocab_size", "attn_window", "dropout"])
        meta["model"][key] = rng.choice([0, -1, 10**5, 10**8, 2**70, 1.5, "x", None, True, float("nan")])
    elif choice == 6:
        meta["vocab"] = rng.choice([[], ["<unk>", "a", "a"], ["<unk>", ["a"]], "abc", None, ["<unk>"] * 10**4])
    elif choice == 7:
        meta["model"]["arch"] = rng.choice(["lstm", "lstm-attn", "gru-onehot", "transformer", 7])
    elif choice == 8:
        meta = rng.choice([[], "x", None, {"vocab": meta["vocab"]}, {"model": meta["model"]}])
    elif choice == 9:
        header["__metadata__"][WEIGHTS_HASH] = "0" * 64
    elif choice == 10:
        header["__metadata__"]["format_version"] = rng.choice(["2", "", "1" * 1000])
    else:
        header["__metadata__"] = rng.choice([None, [], {"format": "keytui-checkpoint"}, {"meta": 3}])
        return header
    header["__metadata__"]["meta"] = json.dumps(meta)
    return header


def test_the_unmutated_file_loads(good, tmp_path):
    path = tmp_path / "m.safetensors"
    path.write_bytes(good)
    assert outcome(path) == "ok"


def test_fuzzed_checkpoints_load_or_are_refused_in_one_line(good, tmp_path):
    rng = random.Random(11)
    header, body = split(good)
    path = tmp_path / "m.safetensors"
    counts = {"ok": 0, "refused": 0}
    for trial in range(360):
        kind = trial % 4
        if kind == 0:  # bit flips anywhere, 1 to 3 of them
            data = bytearray(good)
            for _ in range(rng.randint(1, 3)):
                data[rng.randrange(len(data))] ^= 1 << rng.randrange(8)
            data = bytes(data)
        elif kind == 1:  # truncated anywhere
            data = good[: rng.randrange(len(good))]
        elif kind == 2:  # the JSON header mutated, the tensors kept
            data = join(mutate_header(header, rng), body)
        else:  # a short random file, or a length prefix that lies
            data = rng.choice([rng.randbytes(rng.randrange(0, 64)), struct.pack("<Q", 2**63) + good[8:]])
        path.write_bytes(data)
        counts[outcome(path)] += 1
    assert counts["refused"] > 300  # the mutations are real: nearly all must be caught


def test_a_flipped_weight_bit_is_caught_by_the_checksum(good, tmp_path):
    _, body = split(good)
    data = bytearray(good)
    data[len(good) - len(body) + 40] ^= 0x01  # a low mantissa bit: the weight is still a finite number
    path = tmp_path / "m.safetensors"
    path.write_bytes(bytes(data))
    with pytest.raises(KeytuiError, match="checksum"):
        load_checkpoint(path)


def test_nan_or_infinite_weights_are_refused(tmp_path):
    vocab = Vocab.from_text("ab")
    model = KeyModel(ModelConfig(vocab_size=len(vocab), hidden_size=4, embedding_dim=2, num_layers=1), vocab.tokens)
    for bad in (float("nan"), float("inf")):
        with torch.no_grad():
            model.head.bias[0] = bad
        path = tmp_path / "bad.safetensors"
        save_checkpoint(path, model, vocab, {})
        with pytest.raises(KeytuiError, match="NaN or infinite"):
            load_checkpoint(path)
        with pytest.raises(KeytuiError, match="NaN or infinite"):
            verify_checkpoint(path)


def test_huge_model_settings_are_refused_at_once(good, tmp_path):
    header, body = split(good)
    meta = json.loads(header["__metadata__"]["meta"])
    path = tmp_path / "m.safetensors"
    for key, value in (("num_layers", 100_000), ("hidden_size", 100_000), ("embedding_dim", 10**8)):
        changed = json.loads(json.dumps(header))
        changed["__metadata__"]["meta"] = json.dumps({**meta, "model": {**meta["model"], key: value}})
        path.write_bytes(join(changed, body))
        with (
            deadline(SECONDS_PER_LOAD),
            pytest.raises(KeytuiError, match=f"{key} must be a whole number from 1 to at most"),
        ):
            load_checkpoint(path)


def test_a_checkpoint_saved_before_checksums_still_loads(good, tmp_path):
    header, body = split(good)
    del header["__metadata__"][WEIGHTS_HASH]
    path = tmp_path / "old.safetensors"
    path.write_bytes(join(header, body))
    assert load_checkpoint(path).fit_text == "asdfasdf"


def test_list_shows_a_broken_model_as_broken(good, tmp_path, capsys):
    from keytui.cli.main import main

    for folder in ("corpora", "checkpoints"):
        (tmp_path / folder).mkdir()
    (tmp_path / "checkpoints" / "fine.safetensors").write_bytes(good)
    (tmp_path / "checkpoints" / "tiny.safetensors").write_bytes(b"\x13" + b"\x00" * 26)  # 27 bytes
    flipped = bytearray(good)
    flipped[-100] ^= 0x10
    (tmp_path / "checkpoints" / "flipped.safetensors").write_bytes(bytes(flipped))
    assert main(["--home", str(tmp_path), "list"]) == 0
    out = capsys.readouterr().out
    lines = {line.split()[0]: line for line in out.splitlines() if line.startswith("  ")}
    assert "broken" not in lines["fine"] and "gru" in lines["fine"]
    assert "broken:" in lines["tiny"] and "broken:" in lines["flipped"]
