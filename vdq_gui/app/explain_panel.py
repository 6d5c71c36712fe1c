"""The explanation panel (View ▸ Explanations, F2): a dock beside the plots with the bound
as a formula, each term in plain words, and one paragraph per plot saying what to look at
now.  Hovering a coloured term highlights the plot items that draw it; clicking one
flashes them (and brings a tabbed panel to the front).

A view of the session like the plots: it subscribes to the session's moments and renders
the words of ``vdq_gui.app.explanations`` at most a few times a second, and only while it
is shown.  It is hidden by default, so the plots keep the whole window.
"""

from __future__ import annotations

import time

from PySide6 import QtCore, QtGui, QtWidgets

from vdq_gui.app import explanations, style

REFRESH_MS = 400  # words change slowly: a few renders a second at most
FLASH_MS = 1500  # how long a click keeps the highlight
DOCK_WIDTH = 330  # at 1280 px the plots keep ~700 px
# Presentation fonts: the panel's text grows to PRESENTATION_TEXT times the base size at most, less than the
# plots' (it is read up close, the plots across the room), so a quarter of a 1280 px
# window still holds a formula line and a few words a line.
PRESENTATION_TEXT = 1.15


class ExplainPanel(QtWidgets.QDockWidget):
    def __init__(self, session, plots, parent=None):
        super().__init__("Explanations", parent)
        self.setObjectName("explanations")
        self.session, self.plots = session, plots
        self.setAllowedAreas(QtCore.Qt.DockWidgetArea.LeftDockWidgetArea
                             | QtCore.Qt.DockWidgetArea.RightDockWidgetArea)
        self.formula = self._browser()
        self.notes = self._browser()
        splitter = QtWidgets.QSplitter(QtCore.Qt.Orientation.Vertical)
        splitter.addWidget(self.formula)
        splitter.addWidget(self.notes)
        splitter.setStretchFactor(0, 1)
        splitter.setStretchFactor(1, 1)
        # The formula's half can be dragged away (the notes then take the height).
        splitter.setChildrenCollapsible(True)
        splitter.setCollapsible(1, False)
        self.splitter = splitter
        self.setWidget(splitter)
        self.lesson = self.lesson_caption = ""
        self.state = explanations.ViewState(runs=tuple(run.name for run in session.runs))
        self._rendered_at = 0.0
        self._sized = False
        self._moment = None
        self._formula_key = None
        self.hovered: QtCore.QUrl | None = None
        self._refresh = QtCore.QTimer(self)
        self._refresh.setSingleShot(True)
        self._refresh.setInterval(REFRESH_MS)
        self._refresh.timeout.connect(self.render)
        self._flash = QtCore.QTimer(self)
        self._flash.setSingleShot(True)
        self._flash.setInterval(FLASH_MS)
        self._flash.timeout.connect(self._on_flash_over)
        session.moment_changed.connect(self._on_moment)
        session.selected_bin_changed.connect(self._on_view_changed)
        session.runs_changed.connect(self._on_runs_changed)
        session.running_changed.connect(self._on_running_changed)  # paused: the final state now
        self.visibilityChanged.connect(self._on_visibility)
        self.render()

    def _browser(self) -> QtWidgets.QTextBrowser:
        browser = QtWidgets.QTextBrowser()
        browser.setOpenLinks(False)  # links are terms and plots, never pages
        browser.setFrameShape(QtWidgets.QFrame.Shape.NoFrame)
        browser.highlighted.connect(self._on_hovered)
        browser.anchorClicked.connect(self._on_clicked)
        return browser

    # == the words ======================================================================
    def set_lesson(self, title: str, caption: str = "") -> None:
        """The lesson on, shown above the notes ("": none)."""
        self.lesson, self.lesson_caption = title, caption
        self.render()

    @QtCore.Slot()
    def render(self) -> None:
        """Write the formula (when the kind of data changed) and the notes (when they did)."""
        self._rendered_at = time.monotonic()
        moment = self._moment
        if moment is not None:
            self.state = explanations.state_of(moment.snapshots, self.session.selected_bin, moment.live)
        else:
            self.state = explanations.ViewState(kind=self.session.runs[0].spec.data.kind,
                                                runs=tuple(run.name for run in self.session.runs))
        ink = self.palette().color(QtGui.QPalette.ColorRole.Text).name()
        if (self.state.kind, ink, style.theme) != self._formula_key:  # the terms' colours follow the theme
            self._formula_key = (self.state.kind, ink, style.theme)
            self.formula.setHtml(explanations.formula_html(self.state.kind, ink, style.themed)
                                 + explanations.terms_html(self.state.kind, ink, style.themed))
        set_html_keeping_scroll(self.notes, explanations.notes_html(self.state, self.lesson, self.lesson_caption,
                                                                    style.themed))

    @QtCore.Slot(object)
    def _on_moment(self, moment) -> None:
        self._moment = moment
        self._render_soon()

    @QtCore.Slot(int)
    def _on_view_changed(self, _value: int) -> None:
        self._render_soon()

    @QtCore.Slot(bool)
    def _on_running_changed(self, running: bool) -> None:
        if not running:
            self._render_soon()

    def _render_soon(self) -> None:
        """At once if the last render is long enough ago or training is paused (the
        state stays on screen), else once at the end of the interval (the newest state)."""
        if not self.isVisible():
            return
        if not self.session.is_running or time.monotonic() - self._rendered_at >= REFRESH_MS / 1000:
            self._refresh.stop()
            self.render()
        elif not self._refresh.isActive():
            self._refresh.start()

    @QtCore.Slot()
    def _on_runs_changed(self) -> None:
        self._moment = None  # the old runs' moment says nothing about the new ones
        self.plots.highlight(None)
        if self.isVisible():
            self.render()

    @QtCore.Slot(bool)
    def _on_visibility(self, visible: bool) -> None:
        if visible:
            self.render()
        else:
            self.plots.highlight(None)

    def changeEvent(self, event: QtCore.QEvent) -> None:  # noqa: N802 (Qt's name)
        super().changeEvent(event)
        if event.type() == QtCore.QEvent.Type.PaletteChange and hasattr(self, "notes"):
            self.render()  # a new theme: the text colour of the formula follows it
        if event.type() == QtCore.QEvent.Type.FontChange and hasattr(self, "notes"):
            self._fit_text_size()

    def text_scale(self) -> float:
        """The text's size over the base size: the window's font scale, capped at
        PRESENTATION_TEXT (the panel inherits the window's font)."""
        return min(self.font().pointSizeF() / style.BASE_POINT_SIZE, PRESENTATION_TEXT)

    def _fit_text_size(self) -> None:
        for browser in (self.formula, self.notes):
            browser.setFont(style.font(self.text_scale()))

    @QtCore.Slot(bool)
    def fit_width(self, shown: bool) -> None:
        """Shown the first time: a quarter of the window at most, so the plots stay large
        (later the width the user dragged it to stays)."""
        window = self.parentWidget()
        if shown and not self._sized and isinstance(window, QtWidgets.QMainWindow):
            self._sized = True
            scale = max(1.0, self.text_scale())  # presentation: wider
            width = min(int(DOCK_WIDTH * scale), max(240, window.width() // 4))
            window.resizeDocks([self], [width], QtCore.Qt.Orientation.Horizontal)

    # == hovering and clicking ==========================================================
    @QtCore.Slot(QtCore.QUrl)
    def _on_hovered(self, url: QtCore.QUrl) -> None:
        self.hovered = url if not url.isEmpty() else None
        if self._flash.isActive():
            return  # a click's flash runs its course first
        self.show_link(self.hovered)

    @QtCore.Slot(QtCore.QUrl)
    def _on_clicked(self, url: QtCore.QUrl) -> None:
        self.show_link(url, reveal=True)
        self._flash.start()

    @QtCore.Slot()
    def _on_flash_over(self) -> None:
        self.show_link(self.hovered)

    def show_link(self, url: QtCore.QUrl | None, reveal: bool = False) -> list:
        """Highlight what a ``term:KEY`` or ``plot:KEY`` link names (None: nothing)."""
        if url is None:
            return self.plots.highlight(None)
        kind, key = url.scheme(), url.path()
        if kind == "term" and key in explanations.TERM_PLOTS:
            return self.plots.highlight(key, reveal=reveal)
        if kind == "plot" and key in explanations.PLOT_TITLES:
            return self.plots.highlight("plot", plots=[key], reveal=reveal)
        return self.plots.highlight(None)


def set_html_keeping_scroll(browser: QtWidgets.QTextBrowser, html: str) -> None:
    """Replace the text only if it changed, and keep the reader's place in it."""
    if browser.property("vdq_html") == html:
        return
    bar = browser.verticalScrollBar()
    position = bar.value()
    browser.setHtml(html)
    browser.setProperty("vdq_html", html)
    bar.setValue(position)


def install(window) -> ExplainPanel:
    """Add the (hidden) panel to ``window`` and its toggle to View, as ``actions["explanations"]``."""
    panel = ExplainPanel(window.session, window.plots, window)
    window.addDockWidget(QtCore.Qt.DockWidgetArea.RightDockWidgetArea, panel)
    panel.hide()
    toggle = panel.toggleViewAction()
    toggle.setText("Explanations")
    toggle.setShortcut(QtGui.QKeySequence("F2"))
    toggle.setShortcutContext(QtCore.Qt.ShortcutContext.WindowShortcut)
    tip = "The bound, its terms in words, and what to look at in each plot"
    toggle.setToolTip(f"{tip} (F2)")
    toggle.setStatusTip(tip)
    panel.visibilityChanged.connect(panel.fit_width)
    window.actions["explanations"] = toggle
    window.addAction(toggle)  # the shortcut works with the menu bar hidden
    window.menus["view"].addSeparator()
    window.menus["view"].addAction(toggle)
    return panel


