"""Every message box the window shows goes through here, so that tests (and the headless
screenshot mode) can replace them: ``monkeypatch.setattr(dialogs, "show_error", ...)``."""

from __future__ import annotations

from PySide6 import QtWidgets


def show_error(parent: QtWidgets.QWidget | None, title: str, text: str) -> None:
    QtWidgets.QMessageBox.critical(parent, title, text)


def confirm(parent: QtWidgets.QWidget | None, title: str, text: str) -> bool:
    """Ask before something destructive (e.g. throwing away the current run)."""
    answer = QtWidgets.QMessageBox.question(
        parent, title, text,
        QtWidgets.QMessageBox.StandardButton.Yes | QtWidgets.QMessageBox.StandardButton.Cancel,
        QtWidgets.QMessageBox.StandardButton.Yes)
    return answer == QtWidgets.QMessageBox.StandardButton.Yes


def show_info(parent: QtWidgets.QWidget | None, title: str, text: str) -> None:
    QtWidgets.QMessageBox.information(parent, title, text)


def use_console() -> None:
    """Headless runs (--screenshot): print instead of opening modal boxes nobody can click."""
    import sys

    global show_error, confirm, show_info

    def _print_error(parent, title, text):
        print(f"vdq-gui: {title}: {text}", file=sys.stderr)

    def _yes(parent, title, text):
        return True

    def _print_info(parent, title, text):
        print(f"vdq-gui: {title}", file=sys.stderr)

    show_error, confirm, show_info = _print_error, _yes, _print_info
