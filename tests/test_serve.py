"""`keytui serve` without a browser: the page it serves, its addresses, its errors, and keys a browser passes on.

tests/test_serve_browser.py plays the served game in Chromium.
"""

from __future__ import annotations

import importlib
import pkgutil
import shlex
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from keytui.cli.main import main
from keytui.cli.serve import listen, make_server, offline_page, served_command
from keytui.errors import KeytuiError

# Keys browsers keep for themselves, whatever the page asks: tabs and windows, and quitting (Firefox on Linux).
BROWSER_KEYS = {
    "ctrl+w", "ctrl+t", "ctrl+n", "ctrl+q", "ctrl+tab", "ctrl+shift+tab", "ctrl+pageup", "ctrl+pagedown",
    "ctrl+shift+w", "ctrl+shift+t", "ctrl+shift+n", "ctrl+shift+q",
}  # fmt: skip


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


# ---- the page -----------------------------------------------------------------------------------------------------


def test_the_page_template_loses_its_web_font_link_and_gets_the_shipped_font(tmp_path):
    (tmp_path / "fonts").mkdir()
    (tmp_path / "fonts" / "RobotoMono-VariableFont_wght.ttf").write_bytes(b"font")
    template = (
        "<html><head>\n"
        '<link rel="stylesheet" href="{{ config.static.url }}css/xterm.css" />\n'
        '<link\n  rel="stylesheet"\n  href="https://fonts.googleapis.com/css?family=Roboto%20Mono"\n/>\n'
        '<script src="http://cdn.example/x.js"></script>\n'
        "</head><body></body></html>"
    )
    page = offline_page(template, tmp_path)
    assert "googleapis" not in page and "cdn.example" not in page
    assert "css/xterm.css" in page  # the page's own files stay
    assert "@font-face" in page and "RobotoMono-VariableFont_wght.ttf" in page
    assert "@font-face" not in offline_page(template, tmp_path / "elsewhere")  # no font file: no link to a 404


async def test_the_served_page_stays_on_this_machine_and_follows_the_browsers_address():
    from aiohttp.test_utils import TestClient, TestServer

    listening = listen("127.0.0.1", 0)
    try:
        app = await make_server("true", listening)._make_app()
        async with TestClient(TestServer(app, host="127.0.0.1")) as client:
            response = await client.get("/")
            page = await response.text()
            assert response.status == 200
            assert "https://" not in page and "googleapis" not in page
            assert f'data-session-websocket-url="ws://127.0.0.1:{client.port}/ws"' in page
            font = await client.get("/static/fonts/RobotoMono-VariableFont_wght.ttf")
            assert font.status == 200 and len(await font.read()) > 10_000
            with pytest.raises(Exception) as refused:  # another site's page must not drive the game
                await client.ws_connect("/ws", headers={"Origin": "http://elsewhere.example"})
            assert getattr(refused.value, "status", None) == 403
    finally:
        listening.sock.close()


def test_each_page_runs_this_python_on_this_workspace():
    root = Path("/tmp/a workspace/with 'quotes' and $HOME")
    assert shlex.split(served_command(root)) == [
        "exec",
        sys.executable,
        "-m",
        "keytui",
        "--home",
        str(root),
        "serve",
        "--app",
    ]


# ---- the address ----------------------------------------------------------------------------------------------------


def test_port_0_picks_a_free_port_and_says_where():
    listening = listen("127.0.0.1", 0)
    try:
        port = listening.sock.getsockname()[1]
        assert port > 0 and listening.url == f"http://127.0.0.1:{port}/"
    finally:
        listening.sock.close()


@pytest.mark.parametrize(
    ("host", "port", "message"),
    [
        ("no-such-host.invalid", 0, "is not an address"),
        ("192.0.2.1", 0, "is not an address of this machine"),  # TEST-NET: never this machine's
        (" ", 0, "--host is empty"),
        ("127.0.0.1", 65536, "outside 0 to 65535"),
    ],
)
def test_addresses_it_cannot_listen_on_are_one_line_errors(host, port, message):
    with pytest.raises(KeytuiError, match=message) as error:
        listen(host, port)
    assert "\n" not in str(error.value)


def test_a_port_in_use_is_a_one_line_error_from_the_command(capsys, home):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        code, out, err = run(capsys, "serve", "--port", str(port))
    assert code == 1 and out == ""
    assert err.startswith(f"keytui: error: port {port} on 127.0.0.1 is in use: choose another with --port")
    assert err.count("\n") == 1


@pytest.mark.parametrize("port", ["70000", "-1", "http"])
def test_a_bad_port_is_a_one_line_usage_error(capsys, home, port):
    with pytest.raises(SystemExit) as exited:
        main(["serve", "--port", port])
    err = capsys.readouterr().err
    assert exited.value.code == 2 and err.startswith("keytui: error: ") and err.count("\n") == 1


def test_serve_help_imports_no_server_torch_or_textual():
    code = (
        "import sys; from keytui.cli.main import build_parser\n"
        "try:\n    build_parser().parse_args(['serve', '--help'])\nexcept SystemExit:\n    pass\n"
        "print(sorted(m for m in ('torch', 'textual', 'textual_serve', 'aiohttp') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert "--port" in out and out.strip().splitlines()[-1] == "[]"


# ---- keys a browser passes on ---------------------------------------------------------------------------------------


def _screens() -> list[type]:
    """Every screen keytui/tui defines."""
    from textual.screen import Screen

    import keytui.tui

    for info in pkgutil.walk_packages(keytui.tui.__path__, "keytui.tui."):
        importlib.import_module(info.name)
    found, stack = [], [Screen]
    while stack:
        for cls in stack.pop().__subclasses__():
            stack.append(cls)
            if cls.__module__.startswith("keytui.tui."):
                found.append(cls)
    return found


def _keys_by_action(cls: type) -> dict[str, set[str]]:
    """Each action of a screen or app, with every key bound to it there (its bases' bindings included)."""
    from textual.binding import Binding

    keys: dict[str, set[str]] = {}
    for klass in cls.__mro__:
        for binding in vars(klass).get("BINDINGS", []):
            key, action = (binding.key, binding.action) if isinstance(binding, Binding) else binding[:2]
            keys.setdefault(action, set()).update(k.strip() for k in key.split(","))
    return keys


def test_every_action_has_a_key_that_browsers_pass_on():
    from keytui.tui.app import KeytuiApp
    from keytui.tui.home import HomeScreen

    screens = _screens()
    assert {"HomeScreen", "PlayScreen", "RecordScreen", "TrainScreen", "HelpScreen"} <= {s.__name__ for s in screens}
    stuck = [
        f"{screen.__name__}: {action} ({', '.join(sorted(keys))})"
        for screen in screens
        for action, keys in _keys_by_action(screen).items()
        if keys <= BROWSER_KEYS
    ]
    # the app's own actions: on its keys, or from the home screen, which Escape always leads back to
    home = _keys_by_action(HomeScreen)
    for action, keys in _keys_by_action(KeytuiApp).items():
        if action == "help_quit":  # Ctrl+C: only a hint about how to quit
            continue
        if keys <= BROWSER_KEYS and home.get(f"app.{action}", set()) <= BROWSER_KEYS:
            stuck.append(f"KeytuiApp: {action} ({', '.join(sorted(keys))})")
    assert not stuck, "actions only browser-kept keys reach: " + "; ".join(stuck)
