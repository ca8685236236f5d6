import errno
import os

import pytest

from keytui.data.corpus import CorpusWriter, import_text, is_recordable_key, read_corpus
from keytui.errors import KeytuiError


def test_writer_puts_each_key_on_disk_before_the_next(tmp_path):
    path = tmp_path / "c.txt"
    with CorpusWriter(path) as writer:
        for i, key in enumerate("asdf jk"):
            writer.write(key)
            assert path.read_text() == "asdf jk"[: i + 1]  # visible to another reader without close or flush
    assert path.with_suffix(".times").read_text().count("\n") == 7


def test_writer_appends_to_an_existing_corpus(tmp_path):
    path = tmp_path / "c.txt"
    path.write_text("abc")
    with CorpusWriter(path, timestamps=False) as writer:
        writer.write("d")
    assert path.read_text() == "abcd"
    assert not path.with_suffix(".times").exists()


def test_second_writer_is_refused_while_the_first_holds_the_lock(tmp_path):
    path = tmp_path / "c.txt"
    with CorpusWriter(path), pytest.raises(KeytuiError, match="being recorded by another"):
        CorpusWriter(path)
    CorpusWriter(path).close()  # free again once the first one closed


def test_writer_refuses_non_printable_keys(tmp_path):
    with CorpusWriter(tmp_path / "c.txt") as writer:
        for bad in ("\n", "\x1b", "ab", ""):
            with pytest.raises(KeytuiError):
                writer.write(bad)
    assert (tmp_path / "c.txt").read_text() == ""


def test_full_disk_is_one_clear_error_and_earlier_keys_survive(tmp_path, monkeypatch):
    path = tmp_path / "c.txt"
    writer = CorpusWriter(path, timestamps=False)
    writer.write("a")
    writer.write("b")
    real_write = os.write

    def full(fd, data):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "write", full)
    with pytest.raises(KeytuiError, match=r"disk is full.*2 keys before it are saved"):
        writer.write("c")
    monkeypatch.setattr(os, "write", real_write)
    writer.close()
    assert path.read_text() == "ab"


def test_writer_refuses_to_append_to_a_binary_file(tmp_path):
    path = tmp_path / "c.txt"
    path.write_bytes(b"\x00\x01\x02")
    with pytest.raises(KeytuiError, match="binary"):
        CorpusWriter(path)
    assert path.read_bytes() == b"\x00\x01\x02"


@pytest.mark.parametrize(
    ("content", "message"),
    [(b"", "is empty"), (b"ab\x00cd", "binary"), (b"abc\xff\xfe", "not UTF-8")],
)
def test_read_corpus_rejects_bad_files_in_one_line(tmp_path, content, message):
    path = tmp_path / "bad.txt"
    path.write_bytes(content)
    with pytest.raises(KeytuiError, match=message) as info:
        read_corpus(path)
    assert "\n" not in str(info.value)


def test_missing_corpus(tmp_path):
    with pytest.raises(KeytuiError, match="does not exist"):
        read_corpus(tmp_path / "nope.txt")


def test_import_normalises_line_endings_and_refuses_to_overwrite(tmp_path):
    source = tmp_path / "in.txt"
    source.write_bytes("\ufeffone\r\ntwo\rthree".encode())
    destination = tmp_path / "corpora" / "mine.txt"
    assert import_text(source, destination) == "one\ntwo\nthree"
    assert destination.read_text() == "one\ntwo\nthree"
    with pytest.raises(KeytuiError, match="already exists"):
        import_text(source, destination)
    source.write_text("new")
    import_text(source, destination, overwrite=True)
    assert destination.read_text() == "new"


def test_recordable_keys():
    assert all(is_recordable_key(k) for k in "aZ9!?. é€")
    assert not any(is_recordable_key(k) for k in ["\n", "\t", "\x1b", "ab", None, ""])
