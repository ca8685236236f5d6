"""The package's folders are its layers, and the boundary between them is enforced, not hoped for.

1. The domain must be usable without Textual: importing every module outside keytui.tui and keytui.cli pulls in no
   UI code. The modules are discovered, not listed, so a new domain module is held to the boundary from its first
   commit.
2. Each folder imports only the folders below it (LAYERS, top to bottom), never one above: keys come in through
   data/, the network is made in model/, a guess is made in predictors/, a game is played in game/ and oracle/, a
   screen draws in tui/, and cli/ only parses, calls one of those and prints. Every import counts, the ones inside
   functions too (a lazy import is still a dependency).
"""

import ast
import pkgutil
import subprocess
import sys
from pathlib import Path

import keytui

UI_PACKAGES = ("keytui.tui", "keytui.cli")
PACKAGE = Path(keytui.__file__).parent
# Top to bottom: a layer may import itself and any layer after it. `errors` and the package root (its version only)
# sit under everything.
LAYERS = ["cli", "tui", "oracle", "game", "predictors", "model", "synthetic", "data", "errors"]


def domain_modules() -> list[str]:
    found = [
        info.name
        for info in pkgutil.walk_packages(keytui.__path__, prefix="keytui.")
        if not info.name.startswith(UI_PACKAGES) and not info.name.endswith("__main__")
    ]
    return sorted(found)


def test_the_discovery_sees_the_domain_and_skips_the_screens():
    modules = set(domain_modules())
    assert {
        "keytui.game.session",
        "keytui.predictors.mixer",
        "keytui.oracle.predictor",
        "keytui.data.corpus",
    } <= modules
    assert not [m for m in modules if m.startswith(UI_PACKAGES)]


def test_domain_modules_import_no_textual():
    code = (
        f"import sys\nfor m in {domain_modules()!r}: __import__(m)\n"
        "print([m for m in sys.modules if m.split('.')[0] in ('textual', 'rich') or m.startswith('keytui.tui')])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def layer_of(module: str) -> str | None:
    """The layer a dotted keytui module belongs to; None for the package root itself."""
    parts = module.split(".")
    if parts[0] != "keytui" or len(parts) == 1:
        return None
    return parts[1]


def imports_of(path: Path) -> list[tuple[int, str]]:
    """Every keytui module a file imports, with its line, wherever the import stands in the file."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
            if node.module == "keytui":  # from keytui import data: the names are modules
                found += [(node.lineno, f"keytui.{alias.name}") for alias in node.names if alias.name != "__version__"]
    return [(line, name) for line, name in found if name.split(".")[0] == "keytui"]


def layer_violations() -> list[str]:
    problems = []
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE)
        here = relative.parts[0].removesuffix(".py") if len(relative.parts) > 1 else relative.stem
        if here not in LAYERS:
            continue  # the package root: __init__ (version) and __main__ (calls cli)
        for line, name in imports_of(path):
            there = layer_of(name)
            if there is None or there == "__version__":
                continue
            if there not in LAYERS:
                problems.append(f"{relative}:{line} imports {name}, which is in no layer")
            elif LAYERS.index(there) < LAYERS.index(here):
                problems.append(f"{relative}:{line} ({here}) imports {name} ({there}), a layer above it")
    return problems


def test_every_module_lives_in_a_layer_folder():
    loose = sorted(p.name for p in PACKAGE.glob("*.py") if p.stem not in ("__init__", "__main__", "errors"))
    assert loose == [], "modules outside the layer folders"
    folders = sorted(p.name for p in PACKAGE.iterdir() if p.is_dir() and (p / "__init__.py").exists())
    assert set(folders) <= set(LAYERS), folders


def test_each_layer_imports_only_the_layers_below_it():
    assert layer_violations() == []


def test_the_layer_check_can_fail(tmp_path, monkeypatch):
    """The check reads real import statements: a data module importing a screen is caught."""
    fake = tmp_path / "keytui"
    (fake / "data").mkdir(parents=True)
    (fake / "data" / "bad.py").write_text("def f():\n    from keytui.tui.app import KeytuiApp\n")
    monkeypatch.setattr(sys.modules[__name__], "PACKAGE", fake)
    assert layer_violations() == ["data/bad.py:2 (data) imports keytui.tui.app (tui), a layer above it"]
