"""`keytui` alone: the home screen."""

from __future__ import annotations

import sys

from keytui.cli.common import workspace_of
from keytui.errors import KeytuiError


def cmd_home(args) -> int:
    if not sys.stdout.isatty():
        raise KeytuiError("the home screen needs a terminal; see `keytui --help` for headless commands")
    from keytui.tui.app import run_app

    run_app(workspace_of(args), screen="home")
    return 0
