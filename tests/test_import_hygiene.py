"""The domain must be usable without Textual: importing every domain module pulls in no UI code."""

import subprocess
import sys

DOMAIN = [
    "keytui.corpus",
    "keytui.vocab",
    "keytui.stats",
    "keytui.models",
    "keytui.training",
    "keytui.fit",
    "keytui.checkpoint",
    "keytui.predictors",
    "keytui.metrics",
    "keytui.game",
    "keytui.history",
    "keytui.control",
    "keytui.insight",
    "keytui.evaluation",
    "keytui.simulate",
    "keytui.paths",
    "keytui.cli",
]


def test_domain_modules_import_no_textual():
    code = (
        f"import sys\nfor m in {DOMAIN!r}: __import__(m)\n"
        "print([m for m in sys.modules if m.split('.')[0] in ('textual', 'rich') or m.startswith('keytui.tui')])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
