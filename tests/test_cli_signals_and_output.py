"""Untrusted text reaches the terminal escaped; signals, closed streams, odd encodings and memory limits end in one
line (or the game's summary), never a traceback. Each test drives the real `keytui` command."""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from keytui.cli.format import terminal_safe
from keytui.cli.main import main
from keytui.data.history import GameRecord, History
from keytui.oracle.store import GameStore

REPO = Path(__file__).resolve().parents[1]
HOSTILE = "\x1b]0;pwned\x07\x1b[2J\x1b]52;c;ZmQ=\x07\x9b31m\u202e"  # title, clear, clipboard, 8-bit CSI, bidi


def test_terminal_safe_leaves_no_control_and_keeps_json_valid():
    shown = terminal_safe(f"a\n{HOSTILE}\tb\udcff")
    assert not any(c in shown for c in "\x1b\x07\x9b\u202e\udcff")
    assert shown.startswith("a\n") and "\tb" in shown and "\\u001b]0;pwned" in shown
    record = {"name": HOSTILE}
    assert json.loads(terminal_safe(json.dumps(record, ensure_ascii=False))) == record


def hostile_record() -> GameRecord:
    return GameRecord(
        kind="game", date="2026-01-01T00:00:00+00:00", model=HOSTILE, mode="play", keys=3, hit_rate=0.5,
        top3_hit_rate=0.5, macro_f1=0.5, weighted_f1=0.5, bits_per_key=1.0, chance=0.1, uniform_chance=0.1,
        p_value=0.5, predictable=False, verdict=HOSTILE, typed="a\x1bb", hits="010",
    )  # fmt: skip


@pytest.mark.parametrize(
    ("argv", "names_it"),
    [(["history"], True), (["history", "--json"], True), (["insight", "--games", "1"], False), (["list"], True)],
)
def test_every_command_shows_hostile_names_and_records_escaped(home, capsys, argv, names_it):
    History.of_workspace(home).append(hostile_record())
    (home / "corpora" / f"x{HOSTILE[:8]}.txt").write_text("abc")  # a corpus whose name sets the window title
    assert main(argv) == 0
    out, err = capsys.readouterr()
    assert "\x1b" not in out + err and "\x07" not in out + err and "\x9b" not in out + err
    assert ("\\u001b" in out) is names_it  # shown, escaped, where the command names the model or the corpus


def keytui(home: Path, *argv: str, shell_tail: str = "", env: dict | None = None, **kwargs):
    """The command in a subprocess, through bash so a test can close or redirect its streams."""
    command = " ".join(["exec", sys.executable, "-m", "keytui", *(f"'{a}'" for a in argv), shell_tail])
    environment = {**os.environ, "PYTHONPATH": str(REPO), "KEYTUI_HOME": str(home), **(env or {})}
    return subprocess.run(["bash", "-c", command], capture_output=True, env=environment, timeout=120, **kwargs)


def test_closed_stdout_and_stderr_are_no_traceback(home):
    for tail in (">&-", "2>&-", ">&- 2>&-"):
        done = keytui(home, "history", shell_tail=tail)
        assert done.returncode == 0, done.stderr
        assert b"Traceback" not in done.stderr + done.stdout


def test_a_home_that_is_not_utf8_prints_under_a_strict_utf8_stdout(tmp_path):
    home = Path(os.fsdecode(bytes(tmp_path) + b"/h\xff"))
    strict = {"LC_ALL": "C.UTF-8", "PYTHONIOENCODING": "utf-8:strict"}
    done = keytui(home, "history", env=strict)
    assert done.returncode == 0, done.stderr
    assert b"h\\udcff" in done.stdout and b"Traceback" not in done.stderr


def test_too_little_memory_for_torch_is_one_line(home):
    import resource

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (300 * 2**20, resource.RLIM_INFINITY))

    done = keytui(home, "train", "--corpus", "demo", "--headless", preexec_fn=limit)
    assert done.returncode == 1
    assert done.stderr.decode().startswith("keytui: error: not enough memory")
    assert done.stderr.count(b"\n") == 1


def run_child(home: Path, code: str, delay: float | None = None) -> subprocess.CompletedProcess:
    """`code` in a fresh interpreter; with `delay`, Ctrl-C that long after the child says '>' on stderr."""
    process = subprocess.Popen(
        [sys.executable, "-c", f"import os, sys; sys.path.insert(0, {str(REPO)!r}); {code}"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, "KEYTUI_HOME": str(home)},
    )
    if delay is not None:
        assert process.stderr.read(1) == b">"
        time.sleep(delay)
        process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=60)
    return subprocess.CompletedProcess(process.args, process.returncode, out, err)


def test_ctrl_c_while_keytui_imports_is_one_line(home):
    """The handler is there from keytui.cli's first lines: Ctrl-C before main() runs is one line and 130."""
    done = run_child(
        home, "import keytui.cli.main, signal; os.kill(os.getpid(), signal.SIGINT); import time; time.sleep(5)"
    )
    assert done.returncode == 130
    assert done.stderr == b"keytui: interrupted\n"


def test_ctrl_c_at_any_moment_of_main_is_no_traceback(home):
    """Parsing the command line, opening the workspace, the command: one line and 130 (or done: 0; or, landing
    after main() returned, while the interpreter shuts down: killed by the signal, silently)."""
    for delay in (0.0, 0.01, 0.03, 0.1):
        done = run_child(
            home, "from keytui.cli.main import main; os.write(2, b'>'); sys.exit(main(['history']))", delay
        )
        assert b"Traceback" not in done.stderr, (delay, done.stderr)
        assert done.returncode in (0, 130, -signal.SIGINT), (delay, done.stderr)


class KeysThenCtrlC(io.RawIOBase):
    """stdin that hands out some keys, then is interrupted as Ctrl-C would interrupt the read."""

    def __init__(self, keys: bytes) -> None:
        self.keys = keys

    def readable(self) -> bool:
        return True

    def read1(self, size: int = -1) -> bytes:
        if self.keys:
            keys, self.keys = self.keys, b""
            return keys
        raise KeyboardInterrupt

    read = read1


@pytest.mark.parametrize("argv", [["--model", "demo"], ["--keys", "fd"]])
def test_ctrl_c_in_headless_play_still_prints_the_summary(home, capsys, monkeypatch, argv):
    monkeypatch.setattr(sys, "stdin", KeysThenCtrlC(b"fdfdffdd"))
    assert main(["play", "--headless", "--no-append", *argv]) == 130
    out, err = capsys.readouterr()
    summary = json.loads(out)
    assert summary["n"] == 8 and summary["interrupted"] is True
    assert "Traceback" not in err


def start_keys_game(home: Path) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(REPO), "KEYTUI_HOME": str(home), "LC_ALL": "C.UTF-8"}
    return subprocess.Popen(
        [sys.executable, "-m", "keytui", "play", "--headless", "--keys", "fd"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )


def test_the_few_key_game_keeps_each_press_as_it_arrives_without_a_newline(home):
    process = start_keys_game(home)
    try:
        process.stdin.write(b"fd\xff\xfe" * 1500)  # 3,000 presses and bytes that are not UTF-8, no newline
        process.stdin.flush()
        store = GameStore(home, "fd").path
        end = time.monotonic() + 60
        while time.monotonic() < end and (not store.exists() or len(store.read_bytes()) < 3000):
            time.sleep(0.05)
    finally:
        process.kill()  # SIGKILL: what arrived is on disk already
        process.communicate()
    assert store.read_text() == "fd" * 1500


def test_the_few_key_game_with_stdin_closed_plays_nothing(home):
    done = keytui(home, "play", "--headless", "--keys", "fd", shell_tail="<&-")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["n"] == 0
