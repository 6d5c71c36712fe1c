"""Fixtures for the window tests: pyqtgraph configured as the app configures it, hand-made
snapshots for panel tests, and a window whose dialogs never block."""

import gc

import numpy as np
import pytest
from PySide6 import QtCore, QtWidgets

from vdq_gui.app import dialogs, style
from vdq_gui.training.snapshot import History, Snapshot


@pytest.fixture(autouse=True, scope="session")
def _pyqtgraph_style():
    style.configure_pyqtgraph()


@pytest.fixture(autouse=True)
def _users_folders_are_temporary(tmp_path_factory, monkeypatch):
    """No test reads or writes the user's settings or log: both go to a fresh folder (also
    for the app processes tests start: they inherit the environment).  The look is reset
    afterwards, so a test that leaves the dark theme on does not change the next one."""
    folder = tmp_path_factory.mktemp("user")
    monkeypatch.setenv("VDQ_GUI_SETTINGS_DIR", str(folder / "settings"))
    monkeypatch.setenv("VDQ_GUI_LOG_DIR", str(folder / "log"))
    yield folder
    from vdq_gui.app import log

    log.uninstall()
    if style.theme != "light":
        app = QtWidgets.QApplication.instance()
        if app is not None:
            app.setPalette(app.style().standardPalette())
    style.theme, style.line_scale, style.high_contrast = "light", 1.0, False
    style.configure_pyqtgraph()
    app = QtWidgets.QApplication.instance()
    if app is not None:  # a window in presentation mode scaled the application's font
        app.setFont(style.font(1.0))


@pytest.fixture
def user_folder(_users_folders_are_temporary):
    """The temporary folder holding this test's settings/ and log/."""
    return _users_folders_are_temporary


@pytest.fixture(autouse=True)
def _delete_widgets_at_a_safe_moment():
    """Widgets closed by pytest-qt are deleted *now*, and Python's cycles collected now.

    A top-level widget that Python no longer references is destroyed whenever the garbage
    collector runs, and the collector can run inside a paint event (any allocation in a
    pyqtgraph paint method may trigger it): a widget destroyed while it is being painted
    crashes inside QPainter (valgrind: use of a freed QGraphicsItem cache).  So tests keep
    their widgets referenced (``keep``) until here, where they are deleted outside painting.
    The app never has the problem: every widget belongs to the window, which main() holds.
    """
    yield
    app = QtWidgets.QApplication.instance()
    if app is not None:
        QtCore.QCoreApplication.sendPostedEvents(None, QtCore.QEvent.Type.DeferredDelete)
        app.processEvents()
    gc.collect()


@pytest.fixture
def keep(qtbot):
    """``keep(widget)``: register with pytest-qt (closed after the test) and hold a strong
    reference until teardown, so the garbage collector cannot destroy it mid-paint."""
    alive = []

    def keep_widget(widget):
        qtbot.addWidget(widget)
        alive.append(widget)
        return widget

    yield keep_widget
    alive.clear()


@pytest.fixture
def dialog_log(monkeypatch):
    """Replace every message box by a recorder; tests assert on what would have shown."""
    log = {"errors": [], "confirms": [], "infos": [], "answer": True}

    def show_error(parent, title, text):
        log["errors"].append((title, text))

    def confirm(parent, title, text):
        log["confirms"].append((title, text))
        return log["answer"]

    def show_info(parent, title, text):
        log["infos"].append((title, text))

    monkeypatch.setattr(dialogs, "show_error", show_error)
    monkeypatch.setattr(dialogs, "confirm", confirm)
    monkeypatch.setattr(dialogs, "show_info", show_info)
    return log


def history(n: int, one_d: bool = True) -> History:
    step = np.arange(1, n + 1, dtype=float) * 5
    bound = 5.0 - np.log1p(np.arange(n)) * 0.2
    val = np.full(n, np.nan)
    val[::4] = bound[::4] - 0.01
    exact = np.where(np.isfinite(val), val - 0.05, np.nan) if one_d else np.full(n, np.nan)
    gap = val - exact if one_d else np.full(n, np.nan)
    return History(step, bound, val, val - 0.02, exact, gap)


def snapshot_1d(step: int = 100, levels: int = 16, dequantizer: str = "uniform", seed: int = 0) -> Snapshot:
    rng = np.random.default_rng(seed)
    pmf = rng.random(levels) + 0.1
    pmf /= pmf.sum()
    cells = 32
    u_grid = (np.arange(cells) + 0.5) / cells
    y_grid = np.linspace(0, levels, levels * 8 + 1)
    noise = 1.0 + 0.5 * np.sin(np.outer(np.arange(levels), u_grid * 6))
    return Snapshot(
        step=step, elapsed_s=1.5, kind="1d", dequantizer=dequantizer, is_bound=dequantizer != "none",
        levels=levels, origin=-3.0, value_step=0.5, learning_rate=0.01, batch_size=128,
        metrics={"bound_bpd": 3.21}, history=history(step // 5), data_pmf=pmf, u_grid=u_grid,
        noise_density=noise,
        gap_per_bin=rng.random(levels) * 0.05 if dequantizer != "none" else np.full(levels, np.nan),
        y_grid=y_grid, q_density=np.interp(y_grid, np.arange(levels) + 0.5, pmf),
        model_pmf=pmf * 0.9 + 0.1 / levels, posterior_density=np.ones((levels, cells)) * 1.1,
    )


def snapshot_images(step: int = 50, levels: int = 17) -> Snapshot:
    rng = np.random.default_rng(1)
    cells = 32
    images = rng.random((16, 8, 8))
    return Snapshot(
        step=step, elapsed_s=3.0, kind="images", dequantizer="variational", is_bound=True, levels=levels,
        origin=0.0, value_step=1.0, learning_rate=0.002, batch_size=64, metrics={"bound_bpd": 2.5},
        history=history(step // 5, one_d=False), data_pmf=np.full(levels, 1 / levels),
        u_grid=(np.arange(cells) + 0.5) / cells, noise_density=rng.random((levels, cells)) * 2,
        data_images=images, sample_images=images[::-1], dequantized_images=images * 0.9,
    )
