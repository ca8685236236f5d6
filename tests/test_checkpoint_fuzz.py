"""Checkpoints are untrusted: any file gives a model or ONE line of KeytuiError: never another exception or a hang.

A seeded fuzzer mutates a real (small) checkpoint: bit flips anywhere, truncations, and mutations of the JSON header
(sizes, dtypes, shapes, offsets, vocabulary, model settings, the metadata's types) and of the tensors' values against
the settings (index tensors, fitted key ids, NaN). Mutated files are also resealed (their checksum recomputed), so
that the checks behind the checksum are reached too. Each load runs under an alarm, so a hang fails; `list`'s check
and play's load must agree on every file.
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
from keytui.model.checkpoint import (
    CHECKSUM,
    MAX_FIT_KEYS,
    WEIGHTS_HASH,
    checkpoint_hash,
    load_checkpoint,
    read_metadata,
    save_checkpoint,
    verify_checkpoint,
    weights_hash,
)
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
    assert results[1] == results[2], f"list says {results[1]}, play says {results[2]}"  # one validation for both
    return results[-1]


def split(data: bytes) -> tuple[dict, bytes]:
    (n,) = struct.unpack("<Q", data[:8])
    return json.loads(data[8 : 8 + n]), data[8 + n :]


def join(header: dict, body: bytes) -> bytes:
    raw = json.dumps(header).encode()
    return struct.pack("<Q", len(raw)) + raw + body


def tensor_bytes(header: dict, body: bytes) -> list[tuple[str, bytes]]:
    return [(k, body[v["data_offsets"][0] : v["data_offsets"][1]]) for k, v in header.items() if k != "__metadata__"]


def reseal(header: dict, body: bytes) -> dict:
    """The header with its checksum recomputed (as an editor who knows the format would): a mutation behind it is
    then caught by the checks it is aimed at, or not at all. Headers too broken to hash are left as they are."""
    header = json.loads(json.dumps(header))
    with contextlib.suppress(KeyError, TypeError, AttributeError, IndexError):
        header["__metadata__"][CHECKSUM] = checkpoint_hash(header["__metadata__"], tensor_bytes(header, body))
    return header


META_VALUES = [None, True, 5, -1, 2.5, float("nan"), "x", "", [], ["a"], {}, {"name": 5}, {"name": ["x"]}]
META_PATHS = [
    ("corpus",),
    ("corpus", "name"),
    ("corpus", "kind"),
    ("corpus", "keys"),
    ("kind",),
    ("created",),
    ("status",),
    ("layout",),
    ("memory",),
    ("memory", "expert"),
    ("metrics",),
    ("metrics", "test"),
    ("metrics", "test", "accuracy"),
    ("prior",),
    ("curve",),
]


def mutate_meta_types(meta: dict, rng: random.Random) -> dict:
    """One metadata entry keytui reads given a value of any JSON type (parents made objects as needed)."""
    meta = json.loads(json.dumps(meta))
    *parents, last = rng.choice(META_PATHS)
    node = meta
    for key in parents:
        if not isinstance(node.get(key), dict):
            node[key] = {}
        node = node[key]
    node[last] = rng.choice(META_VALUES)
    return meta


def mutate_values(header: dict, body: bytes, rng: random.Random) -> bytes:
    """A tensor's values set against the settings: index tensors and fitted key ids past their tables, floats NaN."""
    name = rng.choice([k for k in header if k != "__metadata__"])
    entry = header[name]
    begin, end = entry["data_offsets"]
    if begin == end:
        return body
    width = {"F32": 4, "F16": 2, "I64": 8, "I32": 4}[entry["dtype"]]
    at = begin + width * rng.randrange((end - begin) // width)
    if entry["dtype"] in ("I64", "I32"):
        raw = rng.choice([-1, 2, 7, 8, 100, 2**31 - 1]).to_bytes(width, "little", signed=True)
    else:
        raw = struct.pack("<f", rng.choice([float("nan"), float("inf"), 1e30, -0.0]))[:width]
    return body[:at] + raw + body[at + width :]


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
        header["__metadata__"][rng.choice([CHECKSUM, WEIGHTS_HASH])] = "0" * 64
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
        elif kind == 2:  # the JSON header mutated, the tensors kept; resealed half the time
            mutated = mutate_header(header, rng)
            data = join(reseal(mutated, body) if trial % 8 == 2 else mutated, body)
        else:  # a short random file, or a length prefix that lies
            data = rng.choice([rng.randbytes(rng.randrange(0, 64)), struct.pack("<Q", 2**63) + good[8:]])
        path.write_bytes(data)
        counts[outcome(path)] += 1
    assert counts["refused"] > 300  # the mutations are real: nearly all must be caught


def test_resealed_metadata_of_any_type_loads_or_is_refused_in_one_line(good, tmp_path):
    """`"corpus": "x"` or `{"name": 5}` crashed play, list and the home screen: the types are checked on reading."""
    rng = random.Random(5)
    header, body = split(good)
    meta = json.loads(header["__metadata__"]["meta"])
    path = tmp_path / "m.safetensors"
    counts = {"ok": 0, "refused": 0}
    for _ in range(120):
        changed = json.loads(json.dumps(header))
        changed["__metadata__"]["meta"] = json.dumps(mutate_meta_types(meta, rng))
        path.write_bytes(join(reseal(changed, body), body))
        counts[outcome(path)] += 1
    assert counts["refused"] > 60 and counts["ok"] > 5  # wrong types refused; right ones (e.g. a string name) load


def test_resealed_tensor_values_against_the_settings_load_or_are_refused(good, tmp_path):
    rng = random.Random(7)
    header, body = split(good)
    path = tmp_path / "m.safetensors"
    counts = {"ok": 0, "refused": 0}
    for _ in range(120):
        changed = mutate_values(header, body, rng)
        path.write_bytes(join(reseal(header, changed), changed))
        counts[outcome(path)] += 1
    assert counts["refused"] > 30 and counts["ok"] > 5


def with_meta(good: bytes, **changes) -> bytes:
    header, body = split(good)
    meta = json.loads(header["__metadata__"]["meta"])
    header["__metadata__"]["meta"] = json.dumps({**meta, **changes})
    return join(reseal(header, body), body)


@pytest.mark.parametrize("corpus", ["x", {"name": 5}, {"name": "x", "kind": 3}, ["x"]])
def test_a_checkpoint_whose_corpus_is_not_an_object_with_a_name_is_refused(good, tmp_path, corpus):
    path = tmp_path / "m.safetensors"
    path.write_bytes(with_meta(good, corpus=corpus))
    for reader in (read_metadata, verify_checkpoint, load_checkpoint):
        with pytest.raises(KeytuiError, match=r"broken metadata \(corpus"):
            reader(path)


def test_an_edited_metadata_entry_fails_the_checksum(good, tmp_path):
    header, body = split(good)
    meta = json.loads(header["__metadata__"]["meta"])
    header["__metadata__"]["meta"] = json.dumps({**meta, "kind": "edited by hand"})  # not resealed
    path = tmp_path / "m.safetensors"
    path.write_bytes(join(header, body))
    for reader in (verify_checkpoint, load_checkpoint):
        with pytest.raises(KeytuiError, match="checksum"):
            reader(path)


def test_a_file_with_the_older_weights_only_checksum_still_loads_and_is_still_checked(good, tmp_path):
    header, body = split(good)
    del header["__metadata__"][CHECKSUM]
    header["__metadata__"][WEIGHTS_HASH] = weights_hash(tensor_bytes(header, body))
    path = tmp_path / "older.safetensors"
    path.write_bytes(join(header, body))
    assert load_checkpoint(path).fit_text == "asdfasdf"
    flipped = bytearray(body)
    flipped[40] ^= 0x01
    path.write_bytes(join(header, bytes(flipped)))
    with pytest.raises(KeytuiError, match="checksum"):
        verify_checkpoint(path)


def test_an_index_tensor_past_its_table_is_refused(good, tmp_path):
    """`cap_of_key` past the cap table gave an IndexError in eval and play."""
    header, body = split(good)
    begin, _ = header["key_caps.cap_of_key"]["data_offsets"]
    rows = header["key_caps.cap_embedding.weight"]["shape"][0]
    body = body[:begin] + rows.to_bytes(8, "little") + body[begin + 8 :]
    path = tmp_path / "m.safetensors"
    path.write_bytes(join(reseal(header, body), body))
    for reader in (verify_checkpoint, load_checkpoint):
        with pytest.raises(KeytuiError, match="cap_of_key"):
            reader(path)


def test_the_fitted_keys_read_back_are_bounded(tmp_path):
    """2,000,000 fitted ids took 3.4 GB and minutes before the first guess: only the newest MAX_FIT_KEYS are read."""
    vocab = Vocab.from_text("ab")
    model = KeyModel(ModelConfig(vocab_size=len(vocab), hidden_size=4, embedding_dim=2, num_layers=1), vocab.tokens)
    path = tmp_path / "long.safetensors"
    save_checkpoint(path, model, vocab, {}, fit_text="a" * (MAX_FIT_KEYS + 1000) + "b" * 10)
    fit_text = load_checkpoint(path).fit_text
    assert len(fit_text) == MAX_FIT_KEYS and fit_text.endswith("a" + "b" * 10)


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
    del header["__metadata__"][CHECKSUM]
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
