"""`keytui serve`: the whole app, home screen first, in a web browser, through textual-serve.

Each page a browser opens starts its own app process: `python -m keytui --home ROOT serve --app`, run by the Python
that runs this command, on the workspace this command resolved. So keys typed in the browser are recorded and scored
exactly as in the terminal, into the same corpora, models and history.

textual-serve's page is served with three changes, all kept in this module:
- it works offline: the page's link to Google's web font is replaced by the same font that textual-serve ships;
- its links and its websocket address follow the address the browser used (textual-serve writes the host it was
  given, which a browser elsewhere cannot reach when serving on 0.0.0.0);
- the websocket refuses pages from another origin, so a web page open in the same browser cannot type into the
  player's corpus.

The terminal in the page is xterm.js: textual.js loads its WebGL renderer and then its canvas renderer, which takes
over, so a browser without WebGL (headless Chromium often has none) draws the same screen.
"""

from __future__ import annotations

import argparse
import errno
import re
import shlex
import socket
import sys
from dataclasses import dataclass
from pathlib import Path

from keytui.cli.common import number, workspace_of
from keytui.errors import KeytuiError

DEFAULT_HOST = "127.0.0.1"  # this machine only: the served app reads and writes the workspace
DEFAULT_PORT = 8000
PORT = number(int, 0, 65535)
TITLE = "keytui"
APP_FLAG = "--app"  # the hidden flag of the command each page's app process runs

# The page's external links: a stylesheet or a script fetched from another site (today only Google's web font).
EXTERNAL_LINK = re.compile(
    r"""<link\b[^>]*\bhref\s*=\s*["']https?://[^"']*["'][^>]*>|<script\b[^>]*\bsrc\s*=\s*["']https?://[^"']*["'][^>]*>\s*</script>""",
    re.IGNORECASE,
)
FONT_FILE = "fonts/RobotoMono-VariableFont_wght.ttf"  # shipped in textual-serve's static folder
LOCAL_FONT = """<style>
      @font-face {
        font-family: "Roboto Mono";
        src: url("{{ config.static.url }}%s") format("truetype");
        font-weight: 100 700;
      }
    </style>"""


def add_parser(sub) -> None:
    parser = sub.add_parser("serve", help="play in a web browser: the whole app, home screen first")
    parser.add_argument(
        "--host", metavar="H", default=DEFAULT_HOST,
        help=f"address to listen on (default {DEFAULT_HOST}: this machine only)",
    )  # fmt: skip
    parser.add_argument(
        "--port", metavar="P", type=PORT, default=DEFAULT_PORT,
        help=f"port to listen on, {PORT.range} (default {DEFAULT_PORT}; 0 picks a free one)",
    )  # fmt: skip
    parser.add_argument(APP_FLAG, action="store_true", help=argparse.SUPPRESS)  # what each page's process runs
    parser.set_defaults(handler=cmd_serve)


def cmd_serve(args) -> int:
    workspace = workspace_of(args).ensure()
    if args.app:
        run_served_app(workspace)
    else:
        serve(workspace.root, args.host, args.port)
    return 0


@dataclass(frozen=True)
class Listening:
    """A socket bound and listening, and the address a browser on this machine opens."""

    sock: socket.socket
    url: str


def served_command(workspace_root: Path) -> str:
    """The shell command textual-serve runs for each page: this Python, this workspace (quoted for the shell).

    `exec`: the shell becomes the app, so that stopping the process stops the app, not only a shell around it.
    """
    parts = [sys.executable, "-m", "keytui", "--home", str(workspace_root), "serve", APP_FLAG]
    return "exec " + " ".join(shlex.quote(part) for part in parts)


def offline_page(template: str, static_folder: Path) -> str:
    """textual-serve's page template with every external link removed, and its web font served from `static_folder`.

    Without the shipped font file the page falls back on the terminal's other fonts (Monaco, Courier New, monospace):
    offline either way.
    """
    page = EXTERNAL_LINK.sub("", template)
    if (static_folder / FONT_FILE).is_file():
        page = page.replace("</head>", LOCAL_FONT % FONT_FILE + "\n  </head>", 1)
    return page


def listen(host: str, port: int) -> Listening:
    """Bind and listen on host:port (port 0: any free port), or one line saying why not."""
    if not host.strip():
        raise KeytuiError("--host is empty: give an address of this machine, e.g. 127.0.0.1")
    if not 0 <= port <= 65535:
        raise KeytuiError(f"--port {port} is outside 0 to 65535 (0 picks a free port)")
    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
    except (socket.gaierror, UnicodeError) as exc:
        reason = exc.strerror if isinstance(exc, socket.gaierror) else "not a valid host name"
        raise KeytuiError(f"--host {host!r} is not an address this machine can listen on ({reason})") from None
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # serving again right after Ctrl+C
        sock.bind(address)
        sock.listen(128)
    except OSError as exc:
        sock.close()
        raise KeytuiError(_bind_error(host, port, exc)) from None
    bound_port = sock.getsockname()[1]
    return Listening(sock, f"http://{_url_host(host, family)}:{bound_port}/")


def _bind_error(host: str, port: int, exc: OSError) -> str:
    if exc.errno == errno.EADDRINUSE:
        return f"port {port} on {host} is in use: choose another with --port (--port 0 picks a free one)"
    if exc.errno == errno.EACCES:
        return f"port {port} needs administrator rights: choose one from 1024 up with --port"
    if exc.errno == errno.EADDRNOTAVAIL:
        return f"--host {host!r} is not an address of this machine"
    return f"cannot listen on {host} port {port}: {exc.strerror or exc}"


def _url_host(host: str, family: int) -> str:
    """The host part of the address to open: this machine for a wildcard, IPv6 in brackets."""
    if host in ("0.0.0.0", ""):
        return "127.0.0.1"
    if host == "::":
        return "[::1]"
    if family == socket.AF_INET6 and ":" in host:
        return f"[{host}]"
    return host


def serve(workspace_root: Path, host: str, port: int) -> None:
    """Serve the app until Ctrl+C (or SIGTERM); says first which address to open."""
    listening = listen(host, port)
    try:
        server = make_server(served_command(workspace_root), listening)
    except BaseException:
        listening.sock.close()
        raise
    print(f"keytui: serving the game on {listening.url} : open it in a web browser (Ctrl+C stops)", flush=True)
    if host not in ("127.0.0.1", "localhost", "::1"):
        print("keytui: note: anyone who can reach that address can play and write into this workspace", flush=True)
    server.run()


def make_server(command: str, listening: Listening):
    """textual-serve's server, with the page, the addresses and the websocket changed as the module says."""
    import asyncio
    import logging
    from urllib.parse import urlsplit

    import aiohttp_jinja2
    import jinja2
    from aiohttp import WSCloseCode, web
    from textual_serve.app_service import AppService
    from textual_serve.server import Server

    class OfflineServer(Server):
        pages: set[web.WebSocketResponse]
        apps: set[AppService]

        def page(self) -> str:
            template = (self.templates_path / "app_index.html").read_text(encoding="utf-8")
            return offline_page(template, self.statics_path)

        async def _make_app(self) -> web.Application:
            app = web.Application()
            aiohttp_jinja2.setup(app, loader=jinja2.DictLoader({"app_index.html": self.page()}))
            self.pages, self.apps = set(), set()
            app.on_shutdown.append(self.on_shutdown)
            app.add_routes(
                [
                    web.get("/", self.handle_index, name="index"),
                    web.get("/ws", self.handle_websocket, name="websocket"),
                    web.get("/download/{key}", self.handle_download, name="download"),
                    web.static("/static", self.statics_path, name="static"),
                ]
            )
            return app

        @aiohttp_jinja2.template("app_index.html")
        async def handle_index(self, request: web.Request) -> dict:
            scheme = "wss" if request.secure else "ws"
            return {
                "font_size": _clamped(request.query.get("fontsize", ""), 16, 6, 48),
                "app_websocket_url": f"{scheme}://{request.host}/ws",
                "config": {"static": {"url": "/static/"}},
                "application": {"name": TITLE},
            }

        async def handle_websocket(self, request: web.Request) -> web.StreamResponse:
            """textual-serve's own handler, refusing other origins and keeping each page's app in reach of shutdown."""
            origin = request.headers.get("Origin")
            if origin is not None and urlsplit(origin).netloc != request.host:
                raise web.HTTPForbidden(text="keytui: this game only plays from its own page")
            websocket = web.WebSocketResponse(heartbeat=15)
            width = _clamped(request.query.get("width", ""), 80, 10, 1000)
            height = _clamped(request.query.get("height", ""), 24, 5, 500)
            service: AppService | None = None
            try:
                await websocket.prepare(request)
                self.pages.add(websocket)
                service = AppService(
                    self.command,
                    write_bytes=websocket.send_bytes,
                    write_str=websocket.send_str,
                    close=websocket.close,
                    download_manager=self.download_manager,
                    debug=self.debug,
                )
                self.apps.add(service)
                await service.start(width, height)
                await self._process_messages(websocket, service)
            except asyncio.CancelledError:
                await websocket.close()
            except Exception as error:  # one page's failure is logged; the server serves on
                logging.getLogger("keytui").warning("a page's game failed: %s", error)
            finally:
                self.pages.discard(websocket)
                if service is not None:
                    await service.stop()  # the app is told to quit: it saves its game and closes its corpus
                    self.apps.discard(service)
            return websocket

        async def on_shutdown(self, app: web.Application) -> None:
            """Ctrl+C: every page is closed and its app told to quit; an app still running after 5 s is killed."""
            for websocket in list(self.pages):
                await websocket.close(code=WSCloseCode.GOING_AWAY, message=b"keytui serve stopped")
            services = list(self.apps)
            if services:
                await asyncio.wait([asyncio.ensure_future(s.stop()) for s in services], timeout=5.0)
            for process in [s._process for s in services if s._process is not None]:
                try:
                    await asyncio.wait_for(process.wait(), timeout=1.0)
                except asyncio.TimeoutError:
                    process.kill()
                    await process.wait()  # reaped before the loop closes: no warning about a child left behind

        def run(self) -> None:
            logging.basicConfig(level=logging.WARNING, format="keytui: %(message)s")
            web.run_app(
                self._make_app(),
                sock=listening.sock,
                print=None,
                access_log=None,
                handle_signals=True,
                shutdown_timeout=5.0,
                loop=asyncio.new_event_loop(),
            )

    return OfflineServer(command, host="127.0.0.1", port=0, title=TITLE, public_url=listening.url.rstrip("/"))


def _clamped(text: str, default: int, low: int, high: int) -> int:
    """A number from the page's query (`?fontsize=`, the terminal's width and height), kept within reason."""
    try:
        return min(max(int(text), low), high)
    except ValueError:
        return default


def run_served_app(workspace) -> None:
    """One page's app: the home screen, drawn through textual-serve's web driver on stdin and stdout."""
    from keytui.tui.app import run_app

    run_app(workspace, screen="home")
