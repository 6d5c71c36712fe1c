"""The plots and their layout: every panel, for one run or for several side by side, and
the timeline bar under them.  A view of the session: it subscribes to the session's
signals and tells it about clicks and slider moves; it never talks to a worker.

Layout (a 2 x 2 grid): top left the data and density (1-D) or the image grids (a row of
grids per run); top right the noise heatmap (one per run, one colour scale); bottom left
the loss (one chart: colour = run, line style = metric); bottom right the selected bin.
"""

from __future__ import annotations

import time

from PySide6 import QtCore, QtWidgets

from vdq_gui.app import style
from vdq_gui.app.panels.density import DensityPanel
from vdq_gui.app.panels.detail import DetailPanel
from vdq_gui.app.panels.ladder import LadderPanel
from vdq_gui.app.panels.images import ImageGridPanel
from vdq_gui.app.panels.interaction import Throttle, hurry_all
from vdq_gui.app.panels.loss import LossPanel
from vdq_gui.app.panels.noise_map import MIN_TOP_LEVEL, NoiseMapPanel, choose_top_level
from vdq_gui.app.timeline import Moment


TOP_ROW_SHARE = {1: (1, 1), 2: (4, 3)}  # runs -> row stretch (top, bottom)
# Three runs: three rows.  The heatmaps take the right column's first two, the selected bin
# the third; on the left the density and the loss share the height about evenly (image
# rows, a panel per run like the heatmaps, take two rows as well).  At 1280 x 720 each
# heatmap's panel so gets ~140 px instead of ~125 px, and the loss chart ~300 px instead of
# ~250.  The selected bin's read-out box needs a line per run below its title (at a third of
# the height, under a lesson's caption, it lost the last run's line), presentation fonts
# need more still: row stretches for normal and presentation fonts.  (Stretches, not
# minimum heights: a minimum made the window outgrow 720 px.)
THREE_RUN_ROWS = {False: (10, 3, 6), True: (9, 2, 9)}
CROWDED_BELOW = 600  # px of plot area per font scale: shorter, three stacked heatmaps lose their gap bars


class GridCell(QtWidgets.QWidget):
    """A panel's place in a layout that shares space by stretch factors alone (the 2 x 2
    grid; the stacked panels of compare mode).

    Qt's layouts honour stretch only when every item gets at least its size hint; below
    that they shrink the items from their hints, so a panel with a tall hint (the tab
    widget, a heatmap without gap bars) takes the space and its neighbours are squeezed
    to their minimum.  And a grid with height-for-width items (legends that wrap) ignores
    row stretch altogether.  This cell reports its minimum as its hint and no
    height-for-width; the panel's own layout still wraps its legend in the space it gets."""

    def __init__(self, widget: QtWidgets.QWidget, parent=None):
        super().__init__(parent)
        box = QtWidgets.QVBoxLayout(self)
        box.setContentsMargins(0, 0, 0, 0)
        box.addWidget(widget)

    def hasHeightForWidth(self) -> bool:  # noqa: N802 (Qt's name)
        return False

    def sizeHint(self) -> QtCore.QSize:  # noqa: N802
        return self.minimumSizeHint()


class PanelColumn(QtWidgets.QWidget):
    """Panels of one kind, one per run, stacked (noise heatmaps; image grids)."""

    def __init__(self, make, parent=None):
        super().__init__(parent)
        self.make = make
        self.panels: list = []
        self.cells: list[GridCell] = []  # one per panel: equal shares of the height
        self.box = QtWidgets.QVBoxLayout(self)
        self.box.setContentsMargins(0, 0, 0, 0)
        self.box.setSpacing(2)
        self.set_count(1)

    def set_count(self, count: int) -> list:
        while len(self.panels) < count:
            panel = self.make()
            self.panels.append(panel)
            self.cells.append(GridCell(panel))
            self.box.addWidget(self.cells[-1], 1)
        for index, cell in enumerate(self.cells):
            cell.setVisible(index < count)
        return self.panels[:count]


class TimelineBar(QtWidgets.QWidget):
    """A slider over the kept moments, the moment's step, and "Live"."""

    def __init__(self, session, parent=None):
        super().__init__(parent)
        self.session = session
        self.slider = QtWidgets.QSlider(QtCore.Qt.Orientation.Horizontal)
        self.slider.setRange(0, 0)
        self.slider.setFocusPolicy(QtCore.Qt.FocusPolicy.NoFocus)  # ← → belong to the window's actions
        self.slider.setToolTip("Scrub through what the window showed (← → Home End); training goes on")
        self.label = QtWidgets.QLabel("live")
        self.label.setMinimumWidth(150)
        self.live = QtWidgets.QToolButton()
        self.live.setText("● Live")
        self.live.setToolTip("Back to the live picture (End)")
        self.live.setFocusPolicy(QtCore.Qt.FocusPolicy.NoFocus)
        row = QtWidgets.QHBoxLayout(self)
        row.setContentsMargins(4, 0, 4, 0)
        title = QtWidgets.QLabel("Timeline")
        row.addWidget(title)
        row.addWidget(self.slider, 1)
        row.addWidget(self.label)
        row.addWidget(self.live)
        self.slider.valueChanged.connect(self._on_slider)
        self.live.clicked.connect(self._on_live)
        session.timeline_changed.connect(self._on_timeline_changed)
        session.position_changed.connect(self._on_position_changed)
        self._on_position_changed(-1)

    @QtCore.Slot(int)
    def _on_slider(self, value: int) -> None:
        if value >= self.slider.maximum() and self.session.position < 0:
            return
        self.session.scrub_to(value)

    @QtCore.Slot()
    def _on_live(self) -> None:
        self.session.go_live()

    @QtCore.Slot(int)
    def _on_timeline_changed(self, count: int) -> None:
        with QtCore.QSignalBlocker(self.slider):
            self.slider.setRange(0, max(0, count - 1))
            if self.session.position < 0:
                self.slider.setValue(self.slider.maximum())

    @QtCore.Slot(int)
    def _on_position_changed(self, position: int) -> None:
        live = position < 0
        with QtCore.QSignalBlocker(self.slider):
            self.slider.setValue(self.slider.maximum() if live else position)
        if live:
            self.label.setText("showing: live")
        else:
            moment = self.session.timeline[position]
            self.label.setText(f"showing: step {moment.step:,}")
        self.live.setEnabled(not live)
        style.set_sheet(self.label, "" if live else "color:#8b0000; font-weight:bold;")

    def set_font_scale(self, scale: float) -> None:
        for widget in (self.label, self.live, *self.findChildren(QtWidgets.QLabel)):
            widget.setFont(style.font(scale, 0.95))


class PlotArea(QtWidgets.QWidget):
    """Every panel of every run; draws the session's moments."""

    frame_drawn = QtCore.Signal(int)  # the step of the moment just drawn

    def __init__(self, session, parent=None):
        super().__init__(parent)
        self.session = session
        self.density = DensityPanel()
        self.image_column = PanelColumn(ImageGridPanel)
        self.noise_column = PanelColumn(NoiseMapPanel)
        self.loss = LossPanel()
        self.detail = DetailPanel()
        self.ladder = LadderPanel()
        # The selected bin up close and the bound ladder share the bottom right: both are
        # about one bin, and a lecturer shows one at a time.
        self.bottom_right = QtWidgets.QTabWidget()
        self.bottom_right.setDocumentMode(True)
        self.bottom_right.addTab(self.detail, "Selected bin")
        self.bottom_right.addTab(self.ladder, "Bound ladder")
        self.bottom_right.setTabToolTip(0, "One bin up close: its noise r(u|x), the exact posterior and uniform")
        self.bottom_right.setTabToolTip(1, "exact −log P(x) ≤ IW-64 ≤ IW-16 ≤ IW-4 ≤ ELBO, as gaps above the exact value")
        self.bottom_right.currentChanged.connect(self._on_tab_changed)
        self.top_left = QtWidgets.QStackedWidget()
        self.top_left.addWidget(self.density)
        self.top_left.addWidget(self.image_column)
        self.banner = QtWidgets.QLabel()
        self.banner.setWordWrap(True)
        self.banner.hide()
        self.timeline_bar = TimelineBar(session)
        self.grid = grid = QtWidgets.QGridLayout()
        grid.setSpacing(4)
        self.cells = {"top_left": GridCell(self.top_left), "noise": GridCell(self.noise_column),
                      "loss": GridCell(self.loss), "bottom_right": GridCell(self.bottom_right)}
        self._places = None
        for i in (0, 1):
            grid.setColumnStretch(i, 1)

        column = QtWidgets.QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(self.banner)
        column.addLayout(grid, 1)
        column.addWidget(self.timeline_bar)
        self.font_scale = 1.0
        self.last_moment: Moment | None = None
        self._drawn: dict = {}  # panel -> the snapshot it shows (draw only what changed)
        self._layout_key = None
        self._top_throttle = Throttle(0.5)
        for panel in (self.density, self.loss, self.detail):
            panel.bin_clicked.connect(self._on_bin_clicked)
        session.moment_changed.connect(self.show_moment)
        session.selected_bin_changed.connect(self._on_selected_bin)
        session.runs_changed.connect(self.rebuild)
        session.running_changed.connect(self._on_running_changed)
        self.rebuild()

    # == the runs =======================================================================
    @property
    def noise_panels(self) -> list:
        return self.noise_column.panels[:len(self.session.runs)]

    @property
    def image_panels(self) -> list:
        return self.image_column.panels[:len(self.session.runs)]

    @property
    def panels(self) -> tuple:
        return (self.density, *self.image_column.panels, *self.noise_column.panels, self.loss, self.detail,
                self.ladder)

    @QtCore.Slot()
    def rebuild(self) -> None:
        """The runs changed: one heatmap and one row of grids per run, run colours."""
        runs = self.session.runs
        names, colours = [r.name for r in runs], [r.colour for r in runs]
        compare = len(runs) > 1
        self._fit_rows()
        noise = self.noise_column.set_count(len(runs))
        images = self.image_column.set_count(len(runs))
        for index, (panel, name, colour) in enumerate(zip(noise, names, colours)):
            panel.set_run_label(name if compare else "", colour)
            panel.set_compact(compare, legend=index == 0, axis=index == len(runs) - 1)
            panel.shared_top = None
            if not getattr(panel, "_clicks_connected", False):
                panel.bin_clicked.connect(self._on_bin_clicked)
                panel._clicks_connected = True
        for index, (panel, name, colour) in enumerate(zip(images, names, colours)):
            panel.set_run_label(name if compare else "", colour)
            panel.set_compact(compare, titles=index == 0)
        for panel in noise[1:]:
            panel.heat.setXLink(noise[0].heat)  # zoom and pan together
        for panel in (self.density, self.detail, self.loss):
            panel.set_runs(names, colours)
        self.loss.clear()
        self._drawn.clear()
        self._layout_key = None
        self.last_moment = None
        self.set_font_scale(self.font_scale)
        for panel in self.panels:
            panel.set_selected_bin(self.session.selected_bin)

    def _fit_rows(self) -> None:
        """The top row holds a panel per run (heatmaps, image grids): in compare mode it
        gets more of the height (TOP_ROW_SHARE); three runs get a row more (THREE_RUN_ROWS)."""
        runs = len(self.session.runs)
        images = self.top_left.currentWidget() is self.image_column
        # (row, column, row span, column span) of each cell
        if runs >= 3:
            left = 2 if images else 1  # rows of the top left (a row of grids per run: two)
            places = {"top_left": (0, 0, left, 1), "loss": (left, 0, 3 - left, 1),
                      "noise": (0, 1, 2, 1), "bottom_right": (2, 1, 1, 1)}
            stretches = THREE_RUN_ROWS[self.font_scale > 1.2]
        else:
            places = {"top_left": (0, 0, 1, 1), "noise": (0, 1, 1, 1),
                      "loss": (1, 0, 1, 1), "bottom_right": (1, 1, 1, 1)}
            stretches = (*TOP_ROW_SHARE.get(runs, TOP_ROW_SHARE[1]), 0)
        if places != self._places:
            self._places = places
            for name, cell in self.cells.items():
                self.grid.removeWidget(cell)
                self.grid.addWidget(cell, *places[name])
        for row, stretch in enumerate(stretches):
            self.grid.setRowStretch(row, stretch)

    # == drawing ========================================================================
    @QtCore.Slot(object)
    def show_moment(self, moment: Moment) -> None:
        started = time.perf_counter()
        self.draw(moment)
        self.session.record_frame_cost(time.perf_counter() - started)
        self.frame_drawn.emit(moment.step)

    def draw(self, moment: Moment) -> None:
        snapshots = moment.snapshots
        first = snapshots[0]
        key = (first.kind, first.levels, first.origin, first.value_step, len(snapshots))
        if key != self._layout_key:
            self._prepare_layout(first, key)
        if not moment.live or not self.session.is_running:
            hurry_all()  # a paused or recorded state: fit the ranges now, it stays on screen
        compare = len(snapshots) > 1
        if first.kind == "1d":
            self._draw_shared(self.density, snapshots, compare)
        else:
            for panel, snapshot in zip(self.image_panels, snapshots):
                self._draw_one(panel, snapshot)
        if compare and (self._top_throttle.due() or not moment.live):
            # One colour scale for every run; ``none`` (all mass at u = 0, a saturated
            # first row by design) would wash the others out, so it does not set it.
            bounded = [s for s in snapshots if s.is_bound] or list(snapshots)
            top = max(choose_top_level(s.noise_density, MIN_TOP_LEVEL) for s in bounded)
            for panel in self.noise_panels:
                if panel.shared_top != top:
                    panel.shared_top = top
                    self._drawn.pop(panel, None)
        for panel, snapshot in zip(self.noise_panels, snapshots):
            self._draw_one(panel, snapshot)
        self._draw_shared(self.detail, snapshots, compare)
        if self.bottom_right.currentWidget() is self.ladder:  # hidden: no work
            # One run's ladder; in compare mode the first that is a bound (``none`` is not).
            shown = next((i for i, s in enumerate(snapshots) if s.is_bound), 0)
            self.ladder.set_run_label(self.session.runs[shown].name if compare else "")
            self._draw_one(self.ladder, snapshots[shown])
        self._draw_shared(self.loss, snapshots, compare)
        self.loss.set_marker(None if moment.live else moment.step)
        self.last_moment = moment

    def _draw_one(self, panel, snapshot) -> None:
        if self._drawn.get(panel) is not snapshot:  # only what changed
            panel.draw(snapshot)
            self._drawn[panel] = snapshot

    def _draw_shared(self, panel, snapshots, compare: bool) -> None:
        drawn = self._drawn.get(panel)
        if drawn is not None and len(drawn) == len(snapshots) and all(a is b for a, b in zip(drawn, snapshots)):
            return
        if compare:
            panel.draw_runs(snapshots)
        else:
            panel.draw(snapshots[0])
        self._drawn[panel] = snapshots

    def _prepare_layout(self, snapshot, key) -> None:
        """A new kind of data or number of levels: switch panels, choose a bin to detail."""
        self._layout_key = key
        self._drawn.clear()
        self.top_left.setCurrentWidget(self.density if snapshot.kind == "1d" else self.image_column)
        self._fit_rows()  # image rows, one per run, take the height heatmaps take
        pmf = snapshot.data_pmf
        self.session.select_bin(int(pmf.argmax()) if pmf.size else 0)

    def forget_drawn(self) -> None:
        """Draw everything again at the next moment (after the data or the runs changed)."""
        self._drawn.clear()
        self._layout_key = None
        self.last_moment = None

    def show_data(self, data) -> None:
        """The data alone, before any model exists (1-D)."""
        if data.kind == "1d":
            self.top_left.setCurrentWidget(self.density)
            self.density.show_data(data)

    @QtCore.Slot(bool)
    def _on_running_changed(self, running: bool) -> None:
        """Paused: the last moment may have been drawn while a worker still reported
        running (its "idle" news comes after its last picture), with the throttled parts
        (loss curves, ranges) skipped: draw them now, they stay on screen."""
        if running or self.last_moment is None:
            return
        for panel in (self.loss, self.detail, self.density):
            self._drawn.pop(panel, None)
        self.draw(self.last_moment)

    @QtCore.Slot(int)
    def _on_tab_changed(self, index: int) -> None:
        """The tab just shown was not drawn while hidden: draw it now.  The ladder is also
        computed only while shown (a view setting of the session)."""
        self.session.set_picture_parts(ladder=self.bottom_right.currentWidget() is self.ladder)
        if self.last_moment is not None:
            self._drawn.pop(self.ladder, None)
            self.draw(self.last_moment)

    # == interaction ====================================================================
    @QtCore.Slot(int)
    def _on_bin_clicked(self, level: int) -> None:
        self.session.select_bin(level)

    @QtCore.Slot(int)
    def _on_selected_bin(self, level: int) -> None:
        for panel in self.panels:
            panel.set_selected_bin(level)

    def panels_for(self, key: str) -> list:
        """The visible panels of a plot key of ``explanations.PLOT_TITLES``."""
        one_d = self.top_left.currentWidget() is self.density
        found = {"density": [self.density] if one_d else [], "images": [] if one_d else self.image_panels,
                 "noise": self.noise_panels, "loss": [self.loss], "detail": [self.detail],
                 "ladder": [self.ladder] if one_d else []}
        return list(found.get(key, []))

    def highlight(self, term: str | None, plots=None, reveal: bool = False) -> list:
        """Show where ``term`` (a key of ``explanations.TERM_PLOTS``, or "plot" with
        ``plots``) is drawn; None undoes it.  ``reveal``: bring a panel hidden behind
        another tab to the front.  Returns the panels highlighted."""
        from vdq_gui.app.explanations import TERM_PLOTS

        for panel in self.panels:
            if panel.highlighted_term is not None:
                panel.highlight(None)
        if term is None:
            return []
        keys = plots if plots is not None else TERM_PLOTS.get(term, ())
        shown = [panel for key in keys for panel in self.panels_for(key) if panel.shows(term)]
        tabbed = [panel for panel in shown if self.bottom_right.indexOf(panel) >= 0]
        if reveal and tabbed and self.bottom_right.currentWidget() not in tabbed:
            self.bottom_right.setCurrentWidget(tabbed[0])
        for panel in shown:
            panel.highlight(term)
        return shown

    def reset_views(self) -> None:
        for panel in self.panels:
            panel.reset_view()

    def add_top_bar(self, widget: QtWidgets.QWidget) -> None:
        """A strip above the banner and the plots (a lesson's caption)."""
        self.layout().insertWidget(0, widget)

    def show_banner(self, text: str, error: bool = False) -> None:
        colour = "background:#fde8e8; color:#8b0000;" if error else "background:#eef3fb; color:#1d3a63;"
        style.set_sheet(self.banner, f"{colour} padding:4px 8px; border-radius:3px;")
        self.banner.setText(text)
        self.banner.show()

    def set_font_scale(self, scale: float) -> None:
        self.font_scale = scale
        self._fit_rows()
        changed = self._fit_gap_bars()
        self.banner.setFont(style.font(scale, 1.0, bold=True))
        self.timeline_bar.set_font_scale(scale)
        for panel in self.panels:
            panel.set_font_scale(scale)
        if changed and self.last_moment is not None:
            self.draw(self.last_moment)

    def _fit_gap_bars(self) -> list:
        """Three stacked heatmaps at presentation fonts in a short window (1280 x 720): no
        room for gap bars under them (a heatmap was 15 px tall).  Returns the panels changed."""
        crowded = (len(self.session.runs) >= 3 and self.font_scale > 1.2
                   and self.height() < CROWDED_BELOW * self.font_scale)
        changed = [panel for panel in self.noise_panels if panel.gap_bars_wanted == crowded]
        for panel in changed:
            panel.show_gap_bars(not crowded)
            self._drawn.pop(panel, None)  # bars shown again are drawn from the moment on screen
        return changed

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        super().resizeEvent(event)
        if self._fit_gap_bars() and self.last_moment is not None:
            self.draw(self.last_moment)

