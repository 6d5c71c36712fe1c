"""Built-in datasets: the files of the repository's ``resources/`` folder, installed as the
package data ``vdq_gui.resources`` (made by ``resources/make_builtin.py``)."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path
from typing import Any, Callable, Iterator

from vdq_gui.data.dataset import DataError, DiscreteData


@dataclass(frozen=True)
class Builtin:
    """A resource file and the ``load_data`` options that make it the intended dataset."""

    file: str
    description: str
    options: dict[str, Any] = field(default_factory=dict)
    credit: str = ""


BUILTINS: dict[str, Builtin] = {
    "bimodal": Builtin("bimodal.npy", "1-D: 5,000 draws from a mixture of two discretised Gaussians, 32 levels",
                       {"levels": 32}),
    "counts": Builtin("counts.npy", "1-D: 5,000 skewed counts (negative binomial, clipped to 0..63), 64 levels",
                      {"levels": 64}),
    "digits": Builtin("digits.npz", "Images: 1,797 handwritten digits, 8x8, values 0..16 (UCI optdigits)",
                      {"levels": 17},
                      credit="digits: UCI ML Repository, Alpaydin & Kaynak, \"Optical Recognition of "
                             "Handwritten Digits\", CC BY 4.0"),
    "demo_patches": Builtin("demo_image.png", "Images: 8x8 patches of a generated 128x128 gray test picture",
                            {"as_": "patches"}),
}


RESOURCE_PACKAGE = "vdq_gui.resources"


@contextlib.contextmanager
def resource_file(file: str) -> Iterator[Path]:
    """A shipped data file as a real path for the duration of the ``with`` (the installed
    package's own file; a temporary copy only if the package were imported from a zip)."""
    with resources.as_file(resources.files(RESOURCE_PACKAGE).joinpath(file)) as path:
        yield path


def builtin_names() -> dict[str, str]:
    """Built-in dataset names with a one-line description each, in menu order."""
    return {name: entry.description for name, entry in BUILTINS.items()}


def load_builtin(name: str, /, read: Callable[..., DiscreteData], **options: Any) -> DiscreteData:
    """Load a built-in by name; ``options`` (bits, as_, patch, name) override its defaults.

    ``read`` reads the resource file (``loaders.load_data``, which calls this for
    "builtin:NAME"): passed in, so that this table does not import the loaders back."""
    entry = BUILTINS.get(name)
    if entry is None:
        raise DataError(f"builtin:{name}", f"no such built-in dataset; choose one of: {', '.join(BUILTINS)}")
    options = {**entry.options, **{k: v for k, v in options.items() if v is not None}}
    title = options.pop("name", None) or name
    with resource_file(entry.file) as path:
        data = read(path, **options)
    return replace(data, name=title, source=f"builtin:{name}",
                   notes=data.notes + ((entry.credit,) if entry.credit else ()))
