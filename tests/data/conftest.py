"""Shared helpers for the data tests: every bad input must name its file and the reason."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from vdq_gui.data import DataError, load_data


@pytest.fixture
def fails() -> Callable[..., DataError]:
    """``fails(path, "word", **options)``: load_data raises DataError naming the file and the word."""

    def check(path: Path | str, word: str, **options: object) -> DataError:
        with pytest.raises(DataError) as excinfo:
            load_data(path, **options)
        message = str(excinfo.value)
        assert Path(path).name in message, message
        assert word.lower() in message.lower(), message
        return excinfo.value

    return check
