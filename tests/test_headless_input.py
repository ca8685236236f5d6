"""Headless record and play read stdin as bytes: any bytes are fine, and each key is written as it arrives."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from keytui.data.corpus import is_recordable_key
from keytui.data.keystream import KeyStream

REPO = Path(__file__).resolve().parents[1]


def expected_keys(raw: bytes) -> tuple[str, int]:
    text = raw.decode("utf-8", errors="surrogateescape")
    invalid = sum(1 for c in text if 0xDC80 <= ord(c) < 0xDD00)
    return "".join(c for c in text if is_recordable_key(c)), invalid


class Chunked(io.RawIOBase):
    """A byte stream that hands out the given chunks one read at a time, as a pipe would."""

    def __init__(self, chunks: list[bytes]) -> None:
        self.chunks = list(chunks)

    def readable(self) -> bool:
        return True

    def read1(self, size: int = -1) -> bytes:
        return self.chunks.pop(0) if self.chunks else b""

    read = read1


INTRODUCERS = "\x1b\x9b\x90\x98\x9d\x9e\x9f"  # ESC and the 8-bit CSI and string starts: escape sequences


def split(raw: bytes, cuts: list[int]) -> list[bytes]:
    chunks, start = [], 0
    for size in cuts:
        chunks.append(raw[start : start + size])
        start += size
    chunks.append(raw[start:])
    return [c for c in chunks if c]


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=60), st.lists(st.integers(1, 7), max_size=20))
def test_any_bytes_split_anywhere_give_the_same_keys_and_an_exact_invalid_count(raw, cuts):
    stream = KeyStream(Chunked(split(raw, cuts)), clock=lambda: 0.0)
    keys = "".join(stream)
    whole = KeyStream(Chunked([raw]), clock=lambda: 0.0)
    assert keys == "".join(whole)  # however the reads cut it, escape sequences included
    if not any(c in INTRODUCERS for c in raw.decode("utf-8", errors="surrogateescape")):
        wanted, invalid = expected_keys(raw)
        assert keys == wanted
        assert stream.invalid_bytes == invalid


@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters=INTRODUCERS), max_size=40))
def test_any_text_stream_without_escape_sequences_gives_its_printable_characters(text):
    assert "".join(KeyStream(io.StringIO(text))) == "".join(c for c in text if is_recordable_key(c))


def start_headless(home: Path, *args: str) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(REPO), "KEYTUI_HOME": str(home)}
    return subprocess.Popen(
        [sys.executable, "-m", "keytui", *args],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )


def wait_for(path: Path, content: bytes, seconds: float = 60) -> bytes:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if path.exists() and path.read_bytes() == content:
            return content
        time.sleep(0.02)
    return path.read_bytes() if path.exists() else b""


def test_headless_record_writes_each_key_as_it_arrives_and_skips_bad_bytes(tmp_path):
    corpus = tmp_path / "corpora" / "keys.txt"
    process = start_headless(tmp_path, "record", "--headless")
    try:
        process.stdin.write(b"ab")  # no newline: the keys must still reach the disk at once
        process.stdin.flush()
        assert wait_for(corpus, b"ab") == b"ab"
        process.stdin.write(b"\xff\xfe" + "é".encode()[:1])  # two bad bytes, then half a character
        process.stdin.flush()
        process.stdin.write("é".encode()[1:] + b"\x07c")
        process.stdin.flush()
        assert wait_for(corpus, "abéc".encode()) == "abéc".encode()
    finally:
        out, err = process.communicate(timeout=60)
    assert process.returncode == 0, err
    assert "recorded 4 keys" in out.decode() and "2 bytes that are not UTF-8 skipped" in out.decode()
    assert "1 non-printable characters skipped" in out.decode()


def test_headless_record_skips_escape_sequences_as_the_screen_does(tmp_path):
    """A title-setting OSC string, a mouse report and an Alt chord are not typing in a pipe either."""
    process = start_headless(tmp_path, "record", "--headless")
    out, err = process.communicate(b"a\x1b]0;pwned\x07b\x1b[<0;5;5Mc\x1b1d", timeout=60)
    assert process.returncode == 0, err
    assert (tmp_path / "corpora" / "keys.txt").read_text() == "abcd"
    assert "3 escape sequences skipped" in out.decode()


def test_headless_play_takes_bytes_that_are_not_utf8(tmp_path):
    process = start_headless(tmp_path, "play", "--model", "demo", "--no-append")
    out, err = process.communicate(b"asdf\xff\xc3jkl", timeout=120)
    assert process.returncode == 0, err
    assert json.loads(out)["n"] == 7
