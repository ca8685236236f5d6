"""Drive a real terminal for the benchmarks that time what a player sees: tmux sessions of a given size, read back
with capture-pane (the text on screen, as the terminal shows it), keys sent with send-keys.

Every session this starts is named `keytui-bench-*` and killed by `close()` (or at exit)."""

from __future__ import annotations

import atexit
import itertools
import os
import shlex
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.common import ROOT

_counter = itertools.count()
_open: set[str] = set()


def python() -> str:
    return sys.executable


def keytui_command(home: Path, *args: str, tree: Path = ROOT) -> str:
    """A shell command line that runs keytui from `tree` (its own code first on the path) in workspace `home`."""
    env = f"PYTHONPATH={shlex.quote(str(tree))}"
    argv = " ".join(shlex.quote(a) for a in ["--home", str(home), *args])
    return f"cd {shlex.quote(str(tree))} && {env} exec {shlex.quote(python())} -m keytui {argv}"


class Session:
    def __init__(self, command: str, *, width: int = 100, height: int = 30, env: dict[str, str] | None = None) -> None:
        self.name = f"keytui-bench-{os.getpid()}-{next(_counter)}"
        prefix = " ".join(f"{k}={shlex.quote(v)}" for k, v in (env or {}).items())
        shell = f"{prefix} sh -c {shlex.quote(command)}; sleep 3600" if prefix else f"{command}; sleep 3600"
        # `sleep` keeps the pane (and what the command printed) after it exits, until close()
        command_line = ["tmux", "new-session", "-d", "-s", self.name, "-x", str(width), "-y", str(height), shell]
        for _ in range(3):  # a tmux server that is just exiting (the last session was killed) refuses once
            done = subprocess.run(command_line, env={**os.environ, "TERM": "xterm-256color"}, capture_output=True)
            if done.returncode == 0:
                break
            time.sleep(0.2)
        else:
            raise RuntimeError(f"tmux could not start a session: {done.stderr.decode(errors='replace').strip()}")
        _open.add(self.name)

    def screen(self) -> str:
        done = subprocess.run(["tmux", "capture-pane", "-p", "-t", self.name], capture_output=True, text=True)
        return done.stdout

    def send(self, *keys: str) -> None:
        subprocess.run(["tmux", "send-keys", "-t", self.name, "-l", *keys], check=True)

    def close(self) -> None:
        subprocess.run(["tmux", "kill-session", "-t", self.name], capture_output=True)
        _open.discard(self.name)


@atexit.register
def _close_all() -> None:
    for name in list(_open):
        subprocess.run(["tmux", "kill-session", "-t", name], capture_output=True)


def wait_for(sessions: dict[str, Session], words: dict[str, str], started: float, timeout: float) -> dict[str, float]:
    """Seconds from `started` until each session's screen shows its word (polled as fast as capture-pane goes)."""
    seen: dict[str, float] = {}
    while len(seen) < len(sessions) and time.perf_counter() - started < timeout:
        for name, session in sessions.items():
            if name not in seen and words[name] in session.screen():
                seen[name] = time.perf_counter() - started
    return seen


def fresh_home() -> Path:
    home = Path(tempfile.mkdtemp(prefix="keytui-bench-"))
    (home / "corpora").mkdir()
    (home / "checkpoints").mkdir()
    return home


class BusyLoops:
    """`count` CPU-bound processes (`while True: pass`) beside the benchmark, as another user's work would be."""

    def __init__(self, count: int) -> None:
        self.processes = [subprocess.Popen([python(), "-c", "while True: pass"]) for _ in range(count)]

    def close(self) -> None:
        for process in self.processes:
            process.kill()
            process.wait()

    def __enter__(self) -> BusyLoops:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
