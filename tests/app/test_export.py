"""Export: PNGs of the asked width, SVGs that keep the titles, axis labels and legends
(parsed as XML), CSVs that hold exactly the plotted arrays, the plot menus and File >
Export figure..., and ``--export DIR`` end to end (one run and compare mode)."""

import os
import subprocess
import sys
import xml.etree.ElementTree as ElementTree

import numpy as np
import pytest
from PIL import Image
from PySide6 import QtCore, QtTest

from tests.app import fakes
from tests.app.conftest import snapshot_1d
from vdq_gui.app import export, export_menu
from vdq_gui.app.timeline import Moment
from vdq_gui.app.window import MainWindow
from vdq_gui.app.worker import TrainingWorker
from vdq_gui.data.loaders import load_data
from vdq_gui.training import tables
from vdq_gui.training.loop import RunSpec


def fake_worker(spec, parent=None):
    return TrainingWorker(spec, parent, build=fakes.build, inspect=fakes.inspect)


@pytest.fixture(scope="module")
def bimodal():
    return load_data("builtin:bimodal")


def drawn_window(qtbot, keep, data, names):
    """A window showing hand-made snapshots (no training: nothing to wait for)."""
    win = keep(MainWindow(RunSpec.of(data), compare=names, worker_factory=fake_worker, ask_before_reset=False))
    win.resize(1100, 700)
    win.show()
    qtbot.waitExposed(win)
    snapshots = tuple(snapshot_1d(step=200, dequantizer=name, seed=i) for i, name in enumerate(names or ["uniform"]))
    win.session.moment_changed.emit(Moment(snapshots, live=False))
    qtbot.wait(10)
    return win


@pytest.fixture
def window(qtbot, keep, dialog_log, bimodal):
    win = drawn_window(qtbot, keep, bimodal, None)
    yield win
    win.close()


@pytest.fixture
def compare_window(qtbot, keep, dialog_log, bimodal):
    win = drawn_window(qtbot, keep, bimodal, ["uniform", "variational"])
    yield win
    win.close()


def svg_texts(path) -> str:
    """Every text of an SVG (parsed as XML), spaces normalised."""
    root = ElementTree.parse(path).getroot()
    parts = [" ".join("".join(node.itertext()).replace("\xa0", " ").split())
             for node in root.iter() if node.tag.endswith("text")]
    return "\n".join(parts)


def test_a_plot_png_has_the_asked_width_and_the_plots_aspect(window, tmp_path):
    panel = window.density
    export.panel_png(panel, tmp_path / "density.png", width=1000)
    with Image.open(tmp_path / "density.png") as image:
        assert image.format == "PNG" and image.width == 1000
        assert abs(image.height - 1000 * panel.height() / panel.width()) <= 1
        pixels = np.asarray(image.convert("L"))
    assert pixels.std() > 10  # drawn, not blank


@pytest.mark.parametrize("stem, wanted", [
    ("density", ["Data and density", "probability per bin", "x (data value)", "model density q(y)", "data P(x)"]),
    ("noise", ["Noise per bin", "noise u", "gap (bits)", "r(u|x)", "gap KL(r ‖ q) per bin"]),
    ("loss", ["Loss", "bits/dim", "training step", "train bound", "val bound", "gap (bits/dim)"]),
    ("detail", ["Selected bin", "density of u", "noise u", "exact posterior q(u|x)", "bin 9"]),
])
def test_a_plot_svg_keeps_title_axis_labels_and_legend(window, tmp_path, stem, wanted):
    panel = dict(export.visible_panels(window.plots))[stem]
    path = export.panel_svg(panel, tmp_path / f"{stem}.svg")
    texts = svg_texts(path)
    for text in wanted:
        assert text in texts, f"{text!r} missing from {stem}.svg"
    root = ElementTree.parse(path).getroot()
    assert root.get("width") == str(panel.width()) and root.get("height") == str(panel.height())
    assert list(root.iter("{http://www.w3.org/2000/svg}polyline")) or list(root.iter("{http://www.w3.org/2000/svg}path"))


def test_the_svg_has_no_scaled_rectangles_and_unique_ids(window, tmp_path):
    """Renderers without vector-effect support must not widen outlines (see flatten_scaled_rects)."""
    path = export.figure_svg_file(window.plots, tmp_path / "figure.svg")
    root = ElementTree.parse(path).getroot()
    for group in root.iter("{http://www.w3.org/2000/svg}g"):
        if "matrix" in group.get("transform", ""):
            assert not any(child.tag.endswith("rect") for child in group)
    ids = [node.get("id") for node in root.iter() if node.get("id")]
    assert len(ids) == len(set(ids))


def curves_of(panel):
    return {name: (x, y, z) for name, x, y, z in export.plotted_series(panel)}


@pytest.mark.parametrize("stem", ["density", "noise", "loss", "detail"])
def test_a_plot_csv_holds_the_plotted_arrays(window, tmp_path, stem):
    panel = dict(export.visible_panels(window.plots))[stem]
    read = export.read_panel_csv(export.panel_csv(panel, tmp_path / f"{stem}.csv"))
    expected = curves_of(panel)
    assert set(read) == set(expected) and read
    for name, (x, y, z) in expected.items():
        np.testing.assert_array_equal(read[name][:, 0], x)
        np.testing.assert_array_equal(read[name][:, 1], y)
        if z is not None:
            np.testing.assert_array_equal(read[name][:, 2], z)


def test_the_csv_series_are_the_items_on_screen(window, tmp_path):
    """Not a copy of the snapshot: what the items were given (checked against them)."""
    density = curves_of(window.density)
    np.testing.assert_array_equal(density["model density q(y)"][1], window.density.density_curve.getData()[1])
    np.testing.assert_array_equal(density["data P(x) (bars from x)"][1], window.density.data_bars.getData()[1])
    heat = curves_of(window.noise)["r(u|x) (x = bin, y = u row)"]
    image = window.noise.image.image  # rows u, columns bins
    np.testing.assert_array_equal(heat[2].reshape(image.shape), image)
    loss = curves_of(window.loss)
    np.testing.assert_array_equal(loss["train bound"][1], window.loss.curves["train_bound"].getData()[1])


@pytest.mark.parametrize("width", [1920, 3840])
def test_the_figure_png_is_as_wide_as_asked(window, tmp_path, width):
    image = export.figure_png(window.plots, tmp_path / "figure.png", width)
    with Image.open(tmp_path / "figure.png") as read:
        assert read.width == width == image.width()
    panels = [panel for _, panel in export.visible_panels(window.plots)]
    assert len(panels) == 4


def test_the_figure_svg_has_every_visible_plot(compare_window, tmp_path):
    texts = svg_texts(export.figure_svg_file(compare_window.plots, tmp_path / "figure.svg"))
    # "━╍╍ variational": the selected bin's legend entry of a run (solid r, dashed posterior)
    for title in ("Data and density", "Loss", "Selected bin", "uniform: q and P(x)", "━╍╍\nvariational"):
        assert title in texts
    lines = texts.splitlines()
    assert lines.count("Noise per bin —") == 2  # one heatmap per run, the run's name beside (its colour)
    assert lines[lines.index("Noise per bin —") + 1] == "uniform"


def test_compare_mode_csvs_name_every_run(compare_window, tmp_path):
    written = export.export_all(compare_window.plots, tmp_path)
    names = {path.name for path in written}
    assert {"noise-uniform.png", "noise-variational.svg", "figure.png", "figure.svg", "metrics.csv"} <= names
    columns, _ = tables.read_csv(tmp_path / "gaps.csv")
    assert "uniform:gap bits" in columns and "variational:gap bits" in columns
    plotted = export.read_panel_csv(tmp_path / "density-plotted.csv")
    assert "variational: model density q(y)" in plotted and "uniform: model P(x)" in plotted


def test_every_plot_menu_offers_the_three_exports(window, tmp_path, monkeypatch):
    menus = {panel.export_menu for panel in window.plots.panels}
    assert all(isinstance(menu, export_menu.PlotMenu) for menu in menus)
    texts = [a.text() for a in window.density.export_menu.actions()]
    assert texts == ["Export as PNG…", "Export as SVG…", "Export as CSV… (the plotted data)"]
    view = window.density.plot.getViewBox()
    assert view.menu is window.density.export_menu and view.menuEnabled()
    for panel in (window.density, window.noise, window.loss, window.detail):  # a real right-click opens it
        viewport = panel.widget.viewport()
        QtTest.QTest.mouseClick(viewport, QtCore.Qt.MouseButton.RightButton, QtCore.Qt.KeyboardModifier.NoModifier,
                                QtCore.QPoint(viewport.width() // 2, viewport.height() // 3))
        assert panel.export_menu.isVisible(), type(panel).__name__
        panel.export_menu.hide()
    answers = iter([str(tmp_path / "a.png"), str(tmp_path / "a"), str(tmp_path / "a.csv")])
    monkeypatch.setattr(export_menu, "ask_save_path", lambda *args: next(answers))
    for action in window.density.export_menu.actions():
        action.trigger()
    assert (tmp_path / "a.png").stat().st_size > 0
    assert "Data and density" in svg_texts(tmp_path / "a.svg")  # the suffix is added
    assert "model density q(y)" in export.read_panel_csv(tmp_path / "a.csv")


def test_file_menu_exports_the_figure_at_the_chosen_width(window, tmp_path, monkeypatch):
    menu_texts = [a.text() for a in window.menus["file"].actions()]
    assert "Export figure…" in menu_texts and "Export data…" in menu_texts
    monkeypatch.setattr(export_menu, "ask_save_path", lambda *args: str(tmp_path / "slide.png"))
    monkeypatch.setattr(export_menu, "ask_width", lambda *args: 3840)
    window.export_commands.figure_action.trigger()
    with Image.open(tmp_path / "slide.png") as image:
        assert image.width == 3840
    monkeypatch.setattr(export_menu, "ask_directory", lambda *args: str(tmp_path / "data"))
    window.export_commands.data_action.trigger()
    assert {p.name for p in (tmp_path / "data").iterdir()} == {
        "metrics.csv", "noise.csv", "density.csv", "gaps.csv", "tables.npz"}


def test_a_failed_export_is_reported_and_changes_nothing(window, tmp_path, monkeypatch, dialog_log):
    monkeypatch.setattr(export_menu, "ask_save_path", lambda *args: str(tmp_path / "missing" / "x.svg"))
    window.density.export_menu.export_svg()
    assert dialog_log["errors"] and "x.svg" in dialog_log["errors"][0][1]


def run_app(*args, timeout=240):
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    return subprocess.run([sys.executable, "-m", "vdq_gui.app.main", *args], capture_output=True, text=True,
                          timeout=timeout, env=env)


EXPORTED = {"figure.png", "figure.svg", "metrics.csv", "noise.csv", "density.csv", "gaps.csv", "tables.npz"}


def check_exported(directory, stems):
    names = {path.name for path in directory.iterdir()}
    assert EXPORTED <= names
    for stem in stems:
        assert {f"{stem}.png", f"{stem}.svg", f"{stem}-plotted.csv"} <= names
        ElementTree.parse(directory / f"{stem}.svg")
    with Image.open(directory / "figure.png") as image:
        assert image.width >= 1920
    ElementTree.parse(directory / "figure.svg")
    columns, values = tables.read_csv(directory / "metrics.csv")
    return columns, values


def test_export_dir_and_record_gif_write_every_file_and_exit_0(tmp_path):
    """(One run of the app for both: torch and the model take most of its time.)"""
    out = tmp_path / "out"
    result = run_app("--auto-start", "--after-steps", "24", "--export", str(out), "--record", str(out / "run.gif"),
                     "--size", "900x600")
    assert result.returncode == 0, result.stderr
    columns, values = check_exported(out, ["density", "noise", "loss", "detail"])
    assert columns[0] == "step" and 20 <= values[-1, 0] <= 24  # the history logs every few steps
    assert "train_bound" in columns
    with Image.open(out / "run.gif") as gif:
        assert gif.n_frames == 24  # one frame after each of 24 one-step chunks: the whole run
        assert gif.width == 800


def test_export_dir_and_record_mp4_in_compare_mode(tmp_path):
    import imageio.v2 as imageio

    out = tmp_path / "out"
    result = run_app("--compare", "uniform,variational", "--auto-start", "--after-steps", "60",
                     "--export", str(out), "--record", str(out / "run.mp4"), "--size", "900x600")
    assert result.returncode == 0, result.stderr
    columns, values = check_exported(out, ["density", "noise-uniform", "noise-variational", "loss", "detail"])
    assert "uniform:train_bound" in columns and "variational:train_bound" in columns
    assert values[-1, 0] == 60
    with imageio.get_reader(out / "run.mp4") as video:
        assert video.count_frames() == 30  # 30 chunks of 2 steps
        assert video.get_meta_data()["size"] == (800, 532)
    noise_columns, _ = tables.read_csv(out / "noise.csv")
    assert "uniform:r(u|x)" in noise_columns and "variational:r(u|x)" in noise_columns


def test_image_grids_and_the_ladder_export_too(window, tmp_path):
    from tests.app.conftest import snapshot_images

    window.plots.bottom_right.setCurrentWidget(window.plots.ladder)
    window.session.moment_changed.emit(Moment((snapshot_images(),), live=False))
    shown = dict(export.visible_panels(window.plots))
    assert set(shown) == {"images", "noise", "loss", "ladder"}
    grids = shown["images"]
    read = export.read_panel_csv(export.panel_csv(grids, tmp_path / "images.csv"))
    image = grids.items["sample_images"].image
    np.testing.assert_array_equal(read["model samples"][:, 2].reshape(image.shape[:2]), image)
    texts = svg_texts(export.panel_svg(grids, tmp_path / "images.svg"))
    assert "Images" in texts and "model samples" in texts and "dequantized (x+u)/K" in texts
    ladder = export.read_panel_csv(export.panel_csv(shown["ladder"], tmp_path / "ladder.csv"))
    assert ladder == {}  # images have no ladder (it needs the exact P(x)): no rows, the header only
    assert "Bound ladder" in svg_texts(export.panel_svg(shown["ladder"], tmp_path / "ladder.svg"))
