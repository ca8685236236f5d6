"""`keytui serve` in a real browser: Debian's Chromium, driven by Playwright, against the command on 127.0.0.1.

The page is opened with WebGL switched off (headless Chromium often has none) and with every request that leaves
127.0.0.1 refused and counted: the game must draw, take keys and score them offline. What the screen shows is read
from the terminal stream the page receives over its websocket (xterm.js draws on a canvas, out of the DOM's reach);
a screenshot is saved for a person to look at (`KEYTUI_BROWSER_SHOTS=DIR` keeps it there).

Skipped, with the reason, where Playwright or Chromium is missing: `.ci/run` installs both.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest

playwright_api = pytest.importorskip(
    "playwright.sync_api", reason="Playwright is not installed (pip install playwright)"
)

KEYS = "asdfjkl;asdfjkl;asdf"  # 20 keys, none of them a command on the home screen
START_SECONDS = 90.0  # the server's address, then the home screen: a busy 2-core machine starts the app slowly
STEP_SECONDS = 60.0  # each later wait (the play screen, the scored keys)
ESCAPE = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[()][0-9A-Za-z]|\x1b[@-_]")


def chromium_path() -> str | None:
    """Debian's Chromium (`apt-get install chromium`), or the one named by $KEYTUI_CHROMIUM."""
    named = os.environ.get("KEYTUI_CHROMIUM")
    if named:
        return named if Path(named).is_file() else None
    return shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture
def chromium() -> str:
    path = chromium_path()
    if path is None:
        pytest.skip("Chromium is not installed (apt-get install chromium), so keytui serve is not tried in a browser")
    return path


class Served:
    """`keytui serve --port 0` on a workspace, in its own process group so that its app processes die with it."""

    def __init__(self, workspace: Path) -> None:
        self.workspace = workspace
        self.process = subprocess.Popen(
            [sys.executable, "-m", "keytui", "--home", str(workspace), "serve", "--port", "0"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        self.first_line: list[str] = []
        reader = threading.Thread(target=lambda: self.first_line.append(self.process.stdout.readline()), daemon=True)
        reader.start()
        reader.join(START_SECONDS)
        line = self.first_line[0] if self.first_line else ""
        found = re.search(r"http://127\.0\.0\.1:\d+/", line)
        if found is None:
            self.stop()
            raise AssertionError(f"keytui serve gave no address: {line!r} {self.process.stderr.read()!r}")
        self.url = found.group(0)

    def stop(self) -> None:
        """Ctrl+C as a person would; whatever is left of the group after 10 s is counted, then killed."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(10)
        self.left_running = self.process.poll() is None
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, 0)  # any process still in the group: the server or a page's app
            self.left_running = True
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(10)


class Screen:
    """The terminal output the page received, escape sequences removed, to wait for words to appear in."""

    def __init__(self, page) -> None:
        self.page = page
        self.chunks: list[str] = []
        page.on("websocket", lambda ws: ws.on("framereceived", self._received))

    def _received(self, payload) -> None:
        text = payload.decode("utf-8", "replace") if isinstance(payload, bytes) else payload
        self.chunks.append(ESCAPE.sub("", text))

    def text(self) -> str:
        return "".join(self.chunks)

    def wait_for(self, pattern: str, seconds: float = STEP_SECONDS, *, since: int = 0) -> re.Match:
        """The first match of `pattern` in what the page received (from character `since` on)."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            found = re.search(pattern, self.text()[since:])
            if found:
                return found
            self.page.wait_for_timeout(100)
        raise AssertionError(f"the page never showed {pattern!r}; it last showed {self.text()[-600:]!r}")


def test_keys_typed_in_chromium_are_recorded_and_scored(chromium, tmp_path):
    workspace = tmp_path / "workspace"
    shots = Path(os.environ.get("KEYTUI_BROWSER_SHOTS") or tmp_path)
    served = Served(workspace)
    left_the_machine: list[str] = []
    try:
        with playwright_api.sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=chromium, args=["--disable-gpu", "--disable-3d-apis"], timeout=STEP_SECONDS * 1000
            )
            try:
                page = browser.new_page(viewport={"width": 1100, "height": 760})
                page.set_default_timeout(STEP_SECONDS * 1000)

                def only_this_machine(route) -> None:
                    if urlsplit(route.request.url).hostname == "127.0.0.1":
                        route.continue_()
                    else:
                        left_the_machine.append(route.request.url)
                        route.abort()

                page.route("**/*", only_this_machine)
                screen = Screen(page)
                page.goto(served.url)
                assert page.evaluate("() => !document.createElement('canvas').getContext('webgl2')"), (
                    "this test means to check the page without WebGL, but WebGL is on"
                )
                screen.wait_for(r"Play \(p\)", START_SECONDS)  # the home screen
                page.focus("textarea.xterm-helper-textarea")
                page.keyboard.press("p")
                screen.wait_for(r"\(sealed\)")  # the play screen, its first guess ready
                page.keyboard.type(KEYS, delay=40)
                scores = screen.wait_for(r"(?s)keys played\s+20\b.{0,200}?hit rate\s+(\d+\.\d)%")
                page.wait_for_timeout(300)  # the last frame drawn before the picture
                page.screenshot(path=str(shots / "keytui_serve_play.png"))
                shipped_font = (
                    "() => [...document.fonts].some(f => f.family.includes('Roboto Mono') && f.status === 'loaded')"
                )
                assert page.evaluate(shipped_font), "the font served with the page did not load"
                # out the way a browser that keeps Ctrl+Q allows: Escape back home, q there
                back = len(screen.text())
                page.keyboard.press("Escape")
                screen.wait_for(r"Play \(p\)", since=back)
                page.keyboard.press("q")
                page.wait_for_selector("body.-closed .closed-dialog", state="visible")  # "Session ended."
            finally:
                browser.close()
    finally:
        served.stop()

    assert not served.left_running, "Ctrl+C left keytui serve or a page's app running"
    assert not left_the_machine, f"the page reached outside this machine: {left_the_machine}"
    corpus = (workspace / "corpora" / "keys.txt").read_text(encoding="utf-8")
    assert corpus == KEYS, f"the corpus holds {corpus!r}"
    # 20 keys scored: the rate on screen is a whole number of hits out of 20, drawn after the keys were typed
    rate = float(scores.group(1))
    assert abs(rate * 20 / 100 - round(rate * 20 / 100)) < 1e-9, f"hit rate {rate}% is not k/20"
