"""The `keytui` command: the parser and the dispatch. Each command lives in its own module (keytui/cli/NAME.py):
it parses its flags, calls the domain, prints. Heavy imports (torch, textual) happen inside each command, so
`keytui --help` is instant.

Every failure the user can cause ends in one line on stderr and a non-zero exit, never a traceback.
"""

from __future__ import annotations

import argparse
import signal
import sys

from keytui import __version__
from keytui.cli import (
    evaluate,
    history,
    import_file,
    insight,
    interrupted_while_starting,
    listing,
    play,
    record,
    serve,
    simulate,
    stats,
    train,
)
from keytui.cli.common import EXIT_ERROR, EXIT_INTERRUPTED, Parser
from keytui.cli.format import protect_output
from keytui.cli.home import cmd_home
from keytui.errors import KeytuiError

COMMAND_MODULES = (record, train, play, import_file, evaluate, stats, simulate, listing, insight, history, serve)


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="keytui",
        description="A terminal game that learns your 'random' typing and guesses each next key before you press it.",
        epilog="Run with no command to open the home screen. Files live in a workspace: --home, $KEYTUI_HOME, the "
        "current directory when it has corpora/ and checkpoints/, or your user data directory.",
    )
    parser.add_argument("--version", action="version", version=f"keytui {__version__}")
    parser.add_argument("--home", metavar="DIR", help="workspace folder holding corpora/ and checkpoints/")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)

    for module in COMMAND_MODULES:
        module.add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    try:
        if signal.getsignal(signal.SIGINT) is interrupted_while_starting:
            signal.signal(signal.SIGINT, signal.default_int_handler)  # from here on, Ctrl-C is caught below
        protect_output()  # every line printed is terminal-safe; a closed stdout or stderr is no traceback
        from keytui.model.memory_guard import guard_torch_import

        guard_torch_import()
        parser = build_parser()
        args = parser.parse_args(argv)
        if args.command == "eval" and args.players is None and not (args.model and args.corpus):
            parser.error("eval needs --model and --corpus (or --players FILE for the few-key oracle game)")
        handler = getattr(args, "handler", cmd_home)
        return handler(args) or 0
    except KeytuiError as exc:
        print(f"keytui: error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("keytui: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:  # `keytui list | head` closed the pipe: not an error worth a word
        _silence_stdout()
        return 0
    except (MemoryError, ImportError, RuntimeError, OSError) as exc:
        from keytui.model.memory_guard import is_out_of_memory

        if is_out_of_memory(exc):  # torch or numpy met a memory limit while loading or running
            print("keytui: error: not enough memory", file=sys.stderr)
            return EXIT_ERROR
        if not isinstance(exc, OSError):
            raise
        # permissions, read-only or full disks met outside the paths that explain themselves
        where = f": {exc.filename}" if exc.filename else ""
        print(f"keytui: error: {exc.strerror or exc}{where}", file=sys.stderr)
        return EXIT_ERROR


def _silence_stdout() -> None:
    """After a closed pipe, point stdout at /dev/null so that Python's final flush does not complain either."""
    import os

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
