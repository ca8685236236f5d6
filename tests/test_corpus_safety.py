"""A key is whole on disk or not there at all: short writes, full disks, cut tails, special files, locks."""

from __future__ import annotations

import errno
import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from keytui.data.corpus import TIMES_SUFFIX, CorpusWriter, decode_text, import_text, partial_tail, read_corpus
from keytui.data.files import clean_stale_temporaries, read_regular_file
from keytui.errors import KeytuiError

KEYS = "aé中🙂[/"  # one, two, three and four bytes


def times_lines(path: Path) -> list[bytes]:
    raw = path.with_suffix(TIMES_SUFFIX).read_bytes()
    assert raw == b"" or raw.endswith(b"\n"), "a timestamp line was left half-written"
    return raw.splitlines()


@pytest.mark.parametrize("taken", [0, 1, 2, 3])
def test_a_short_write_is_cut_back_to_the_last_whole_key(tmp_path, monkeypatch, taken):
    path = tmp_path / "c.txt"
    writer = CorpusWriter(path)
    writer.write("a")
    writer.write("é")
    real_write = os.write

    def short(fd, data):  # the disk takes only `taken` bytes of the key, then is full
        return real_write(fd, data[:taken]) if taken else real_write(fd, b"")

    monkeypatch.setattr(os, "write", short)
    with pytest.raises(KeytuiError, match=r"the 2 keys before it are saved") as info:
        writer.write("🙂")
    assert "\n" not in str(info.value)
    monkeypatch.setattr(os, "write", real_write)
    assert path.read_bytes() == "aé".encode()
    assert len(times_lines(path)) == 2
    writer.write("中")  # space came back: writing goes on, cleanly
    writer.close()
    assert read_corpus(path) == "aé中" and len(times_lines(path)) == 3


def test_a_refused_timestamp_takes_its_key_back_out(tmp_path, monkeypatch):
    path = tmp_path / "c.txt"
    writer = CorpusWriter(path)
    writer.write("x")
    real_write = os.write
    times_fd = writer._times_fd

    def full_times(fd, data):
        if fd == times_fd:
            real_write(fd, data[:3])  # half a timestamp line
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_write(fd, data)

    monkeypatch.setattr(os, "write", full_times)
    with pytest.raises(KeytuiError, match=r"disk is full; the 1 key before it are saved"):
        writer.write("y")
    monkeypatch.setattr(os, "write", real_write)
    writer.close()
    assert path.read_text() == "x" and len(times_lines(path)) == 1


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from(list(KEYS)), min_size=1, max_size=20), st.data())
def test_any_pattern_of_short_writes_leaves_whole_keys_and_an_exact_count(tmp_path_factory, keys, data):
    path = tmp_path_factory.mktemp("short") / "c.txt"
    writer = CorpusWriter(path)
    real_write = os.write
    saved: list[str] = []
    for key in keys:
        budget = data.draw(st.integers(0, 6))  # bytes the disk will take of this write
        errno_ = data.draw(st.sampled_from([None, errno.ENOSPC, errno.EIO]))

        def flaky(fd, chunk, budget=budget, errno_=errno_):
            if budget >= len(chunk):
                return real_write(fd, chunk)
            written = real_write(fd, chunk[:budget]) if budget else 0
            if errno_ is not None:
                raise OSError(errno_, os.strerror(errno_))
            return written

        os.write = flaky
        try:
            writer.write(key)
            saved.append(key)
        except KeytuiError as exc:
            assert f"the {len(saved)} key" in str(exc)
        finally:
            os.write = real_write
    writer.close()
    assert path.read_bytes().decode("utf-8") == "".join(saved)
    assert len(times_lines(path)) == len(saved)


def mount_small_tmpfs(where: Path, size: str) -> None:
    where.mkdir()
    result = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)], capture_output=True)
    if result.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here (needs root): {result.stderr.decode(errors='replace').strip()}")


@pytest.mark.skipif(sys.platform != "linux" or shutil.which("mount") is None, reason="needs Linux mount(8)")
def test_a_really_full_disk_keeps_whole_keys_and_the_corpus_readable(tmp_path):
    disk = tmp_path / "disk"
    mount_small_tmpfs(disk, "8k")
    try:
        path = disk / "full.txt"
        writer = CorpusWriter(path)
        typed = []
        with pytest.raises(KeytuiError, match=r"cannot append to corpus 'full'") as info:
            for i in range(100_000):
                key = KEYS[i % len(KEYS)]
                writer.write(key)
                typed.append(key)
        assert f"the {len(typed):,} keys before it are saved" in str(info.value)
        assert read_corpus(path) == "".join(typed)  # every whole key, nothing half-written
        assert len(times_lines(path)) == len(typed)
        path.with_suffix(TIMES_SUFFIX).unlink()  # free some space: recording goes on in the same corpus
        writer.close()
        with CorpusWriter(path, timestamps=False) as again:
            again.write("z")
        assert read_corpus(path) == "".join(typed) + "z"
    finally:
        subprocess.run(["umount", str(disk)], check=False)


def test_a_tail_cut_mid_character_is_dropped_with_a_notice_not_refused(tmp_path):
    path = tmp_path / "c.txt"
    path.write_bytes("ab中".encode()[:-1])
    notices: list[str] = []
    assert read_corpus(path, notices=notices) == "ab"
    assert len(notices) == 1 and "half a character" in notices[0]
    with CorpusWriter(path, timestamps=False) as writer:  # the writer cuts the half key before appending
        assert writer.notices
        writer.write("c")
    assert read_corpus(path) == "abc"


def test_a_half_timestamp_line_is_cut_when_recording_resumes(tmp_path):
    path = tmp_path / "c.txt"
    path.write_text("ab")
    path.with_suffix(TIMES_SUFFIX).write_bytes(b"1700000000000\n17000")
    with CorpusWriter(path) as writer:
        writer.write("c", at=1.0)
    assert times_lines(path) == [b"1700000000000", b"1000"]


@given(st.binary(max_size=40))
def test_decoding_any_bytes_gives_text_or_one_line_error(raw):
    try:
        text = decode_text(raw, label="corpus 'x'", notices=[])
    except KeytuiError as exc:
        assert "\n" not in str(exc)
    else:
        assert text and "\x00" not in text


@given(st.text(min_size=1, max_size=20).filter(lambda t: "\x00" not in t))
def test_any_text_cut_anywhere_keeps_its_whole_characters(text):
    raw = text.encode("utf-8")
    for end in range(1, len(raw) + 1):
        piece = raw[:end]
        kept = piece[: len(piece) - partial_tail(piece)].decode("utf-8")  # never raises
        assert text.startswith(kept) or text.replace("\r", "").startswith(kept)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_special_files_are_refused_without_hanging(tmp_path):
    fifo = tmp_path / "pipe.txt"
    os.mkfifo(fifo)
    with pytest.raises(KeytuiError, match="not a regular file"):
        read_corpus(fifo)
    with pytest.raises(KeytuiError, match="not a regular file"):
        CorpusWriter(fifo)
    with pytest.raises(KeytuiError, match="not a regular file"):
        import_text(fifo, tmp_path / "out.txt")
    if Path("/dev/zero").exists():
        with pytest.raises(KeytuiError, match="not a regular file"):
            read_corpus(Path("/dev/zero"))
    with pytest.raises(KeytuiError, match="directory"):
        read_corpus(tmp_path)
    big = tmp_path / "big.txt"
    big.write_bytes(b"a" * 2000)
    with pytest.raises(KeytuiError, match="too large"):
        read_regular_file(big, what="corpus 'big'", limit=1000)


def test_replacing_a_corpus_is_refused_while_it_is_recorded_and_drops_old_timestamps(tmp_path):
    source = tmp_path / "in.txt"
    source.write_text("new keys")
    path = tmp_path / "corpora" / "c.txt"
    writer = CorpusWriter(path)
    writer.write("a")
    with pytest.raises(KeytuiError, match="being recorded"):
        import_text(source, path, overwrite=True)
    writer.write("b")
    writer.close()
    assert path.read_text() == "ab"
    import_text(source, path, overwrite=True)
    assert path.read_text() == "new keys"
    assert not path.with_suffix(TIMES_SUFFIX).exists()


def test_stale_temporaries_are_removed_only_when_their_process_is_gone(tmp_path):
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    stale = tmp_path / f".keys.txt.{int(dead.stdout)}.tmp"
    live = tmp_path / f".keys.txt.{os.getpid()}.tmp"
    other = tmp_path / f"keys-{uuid.uuid4().hex}.tmp"
    for file in (stale, live, other):
        file.write_text("x")
    assert clean_stale_temporaries(tmp_path) == [stale]
    assert not stale.exists() and live.exists() and other.exists()


@pytest.mark.parametrize("command", ["import", "simulate"])
def test_force_replacing_a_corpus_being_recorded_is_refused(tmp_path, capsys, command):
    from keytui.cli.main import main

    (tmp_path / "corpora").mkdir()
    source = tmp_path / "in.txt"
    source.write_text("other keys")
    path = tmp_path / "corpora" / "c.txt"
    simulate = ["simulate", "--name", "c", "--keys", "50"]
    args = ["import", str(source), "--name", "c"] if command == "import" else simulate
    with CorpusWriter(path) as writer:
        writer.write("a")
        assert main(["--home", str(tmp_path), *args, "--force"]) == 1
        assert "being recorded by another keytui" in capsys.readouterr().err
        writer.write("b")
    assert path.read_text() == "ab" and len(times_lines(path)) == 2
    assert main(["--home", str(tmp_path), *args, "--force"]) == 0
    assert path.read_text() != "ab" and not path.with_suffix(TIMES_SUFFIX).exists()
