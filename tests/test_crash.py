"""SIGKILL a real recording: the record screen runs in a real pseudo-terminal, keys are typed into it, and the process
is killed at a random moment. Every key the screen had counted must be on disk, whole, in the order typed.
"""

from __future__ import annotations

import fcntl
import os
import random
import re
import select
import signal
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
ANSI = re.compile(rb"\x1b\[[0-9;?<>=]*[ -/]*[@-~]|\x1b[()][0-9A-Za-z]|\x1b[=>]|\x1b\][^\x07]*\x07")
SHOWN = re.compile(rb"(\d[\d,]*) / 100,000 keys")
KEYS = "asdfjkl;[]/=@'\"éß"

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="needs a POSIX pseudo-terminal")


class Terminal:
    """A child process on a 100x30 pseudo-terminal; `screen` is everything it drew, escape codes removed."""

    def __init__(self, argv: list[str], env: dict[str, str]) -> None:
        master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 100, 0, 0))
        self.process = subprocess.Popen(
            argv, stdin=slave, stdout=slave, stderr=slave, env=env, start_new_session=True, close_fds=True
        )
        os.close(slave)
        self.master = master
        self.raw = b""

    def pump(self, seconds: float) -> None:
        end = time.monotonic() + seconds
        while (left := end - time.monotonic()) > 0:
            ready, _, _ = select.select([self.master], [], [], min(left, 0.05))
            if not ready:
                continue
            try:
                chunk = os.read(self.master, 65536)
            except OSError:  # the child is gone
                return
            if not chunk:
                return
            self.raw += chunk

    @property
    def screen(self) -> bytes:
        return ANSI.sub(b"", self.raw)

    def wait_for(self, pattern: bytes, seconds: float) -> bool:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            if pattern in self.screen:
                return True
            self.pump(0.1)
        return False

    def type(self, text: str) -> None:
        os.write(self.master, text.encode("utf-8"))

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)
        self.pump(0.2)
        os.close(self.master)


def counted_on_screen(screen: bytes) -> int:
    shown = [int(m.group(1).replace(b",", b"")) for m in SHOWN.finditer(screen)]
    return max(shown, default=0)


@pytest.mark.parametrize("seed", [1, 2])
def test_sigkill_while_recording_loses_no_key_the_screen_counted(tmp_path, seed):
    rng = random.Random(seed)
    env = {**os.environ, "PYTHONPATH": str(REPO), "TERM": "xterm-256color", "KEYTUI_HOME": str(tmp_path)}
    env.pop("TEXTUAL", None)
    corpus = tmp_path / "corpora" / "crash.txt"
    terminal = Terminal([sys.executable, "-m", "keytui", "record", "--corpus", "crash", "--goal", "100000"], env)
    try:
        if not terminal.wait_for(b"Recording into", 120):
            pytest.fail(f"the record screen did not start: {terminal.screen[-600:]!r}")
        typed = ""
        for _ in range(rng.randint(40, 120)):  # type in bursts, and kill at a random moment within them
            burst = "".join(rng.choice(KEYS) for _ in range(rng.randint(1, 8)))
            terminal.type(burst)
            typed += burst
            terminal.pump(rng.uniform(0.0, 0.03))
    finally:
        terminal.kill()
    shown = counted_on_screen(terminal.screen)
    on_disk = corpus.read_bytes().decode("utf-8")  # whole characters only, or this raises
    assert shown > 0, "the screen never showed a count: the test would prove nothing"
    assert len(on_disk) >= shown, f"the screen counted {shown} keys, the disk holds {len(on_disk)}"
    assert typed.startswith(on_disk)
