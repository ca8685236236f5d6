"""The domain must be usable without Textual: importing every module outside keytui.tui pulls in no UI code.

The modules are discovered, not listed, so a new domain module is held to the boundary from its first commit.
"""

import pkgutil
import subprocess
import sys

import keytui

UI_PACKAGE = "keytui.tui"


def domain_modules() -> list[str]:
    found = [
        info.name
        for info in pkgutil.walk_packages(keytui.__path__, prefix="keytui.")
        if not (info.name == UI_PACKAGE or info.name.startswith(UI_PACKAGE + "."))
    ]
    return sorted(found)


def test_the_discovery_sees_the_domain_and_skips_the_screens():
    modules = domain_modules()
    assert {"keytui.cli", "keytui.game", "keytui.predictors.mixer", "keytui.oracle.predictor"} <= set(modules)
    assert not [m for m in modules if m.startswith(UI_PACKAGE)]


def test_domain_modules_import_no_textual():
    code = (
        f"import sys\nfor m in {domain_modules()!r}: __import__(m)\n"
        "print([m for m in sys.modules if m.split('.')[0] in ('textual', 'rich') or m.startswith('keytui.tui')])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
