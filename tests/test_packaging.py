"""What a wheel, ``pip install .`` and pipx need: every package listed, the built-in data
shipped as package data and read through importlib.resources, nothing read relative to
the source tree.  (.ci/run builds the wheel, installs it into a fresh environment and runs
both commands from another folder.)"""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path

import pytest

import vdq_gui
from vdq_gui.data.builtin import BUILTINS, RESOURCE_PACKAGE

tomllib = pytest.importorskip("tomllib")  # Python 3.11+

REPO = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text())
SETUPTOOLS = PYPROJECT["tool"]["setuptools"]


def source_packages() -> set[str]:
    root = REPO / "vdq_gui"
    return {".".join(init.parent.relative_to(REPO).parts) for init in root.rglob("__init__.py")}


def test_every_package_of_the_source_tree_is_in_the_wheel():
    missing = source_packages() - set(SETUPTOOLS["packages"])
    assert not missing, f"add {sorted(missing)} to [tool.setuptools] packages in pyproject.toml"


def test_the_resources_folder_is_the_package_data():
    assert SETUPTOOLS["package-dir"][RESOURCE_PACKAGE] == "resources"
    assert RESOURCE_PACKAGE in SETUPTOOLS["packages"]
    patterns = SETUPTOOLS["package-data"][RESOURCE_PACKAGE]
    for entry in BUILTINS.values():
        assert (REPO / "resources" / entry.file).is_file()
        assert any(Path(entry.file).match(pattern) for pattern in patterns), entry.file


@pytest.mark.parametrize("name", sorted(BUILTINS))
def test_builtins_are_read_through_importlib_resources(name):
    shipped = resources.files(RESOURCE_PACKAGE).joinpath(BUILTINS[name].file)
    assert shipped.is_file() and len(shipped.read_bytes()) > 100


def test_no_module_reads_files_relative_to_its_source():
    package = Path(vdq_gui.__file__).parent
    offenders = [str(path.relative_to(package)) for path in package.rglob("*.py")
                 if re.search(r"\b__file__\b", path.read_text(encoding="utf-8"))]
    assert not offenders, f"these read files next to their source, which an install may not have: {offenders}"
