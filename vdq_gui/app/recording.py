"""Recording animations (GIF through Pillow, MP4 through imageio-ffmpeg's bundled ffmpeg)
of the whole window or of one plot.

Three sources of frames:
  * ``LiveRecorder``: the live window, grabbed on a timer at a modest rate.  A grab reads
    the window's back buffer (QScreen.grabWindow: ~0.2 ms at 1280 x 720 on an idle
    machine, where QWidget.grab() would paint the whole window again, ~10 ms) and is
    handed to the writer thread, which scales it down;
  * ``render_timeline``: the timeline's kept moments, drawn one after the other;
  * ``SteppedRecording``: ``--record``: N steps trained in equal chunks, a frame after each.
Encoding runs in ``AnimationWriter``'s thread (MP4 frames stream into ffmpeg as they come;
a GIF's frames are reduced to a palette as they come and written at the end), so Stop
waits only for what is left.
"""

from __future__ import annotations

import queue
import threading
from pathlib import Path

import numpy as np
from PySide6 import QtCore, QtGui, QtWidgets

FORMATS = (".gif", ".mp4")
DEFAULT_FPS = 10
DEFAULT_WIDTH = 800
MAX_BUFFERED_BYTES = 1 << 30  # a GIF's palette frames kept until Stop: at most 1 GiB
RECORD_CHUNKS = 30  # --record: frames (and chunks of training) spanning the run


def check_path(path: str | Path) -> Path:
    path = Path(path)
    if path.suffix.lower() not in FORMATS:
        raise ValueError(f"{path}: record to a .gif or .mp4 file")
    return path


# == frames ==============================================================================
def grab_live(widget: QtWidgets.QWidget) -> QtGui.QImage:
    """What ``widget`` shows now, read from the window's back buffer where the platform
    allows it (cheap), else painted again."""
    window = widget.window()
    screen = window.screen() if window.windowHandle() is not None else None
    if screen is not None:
        corner = widget.mapTo(window, QtCore.QPoint(0, 0))
        pixmap = screen.grabWindow(window.winId(), corner.x(), corner.y(), widget.width(), widget.height())
        if not pixmap.isNull() and pixmap.width() > 1:
            return pixmap.toImage()
    return widget.grab().toImage()


def grab_fresh(widget: QtWidgets.QWidget) -> QtGui.QImage:
    """``widget`` painted now (after a draw the back buffer may not be painted yet)."""
    return widget.grab().toImage()


def to_frame(image: QtGui.QImage, width: int) -> np.ndarray:
    """A QImage scaled to ``width`` (never up), as an (H, W, 3) uint8 array with even sides
    (what H.264 in yuv420p needs)."""
    if image.width() > width:
        image = image.scaledToWidth(width, QtCore.Qt.TransformationMode.SmoothTransformation)
    image = image.convertToFormat(QtGui.QImage.Format.Format_RGB888)
    height, row = image.height(), image.bytesPerLine()
    array = np.frombuffer(image.constBits(), dtype=np.uint8, count=height * row).reshape(height, row)
    array = array[:, :image.width() * 3].reshape(height, image.width(), 3)
    return np.array(array[:height - height % 2, :image.width() - image.width() % 2])  # a copy: the image goes


# == the writer ==========================================================================
class AnimationWriter:
    """Frames in (any thread), an animation file out, encoded in a thread of its own."""

    def __init__(self, path: str | Path, fps: float):
        self.path = check_path(path)
        self.fps = float(fps)
        self.frames_in = 0
        self.frames_done = 0
        self.error: Exception | None = None
        self._size = None
        self._buffered = 0
        self._queue: queue.Queue = queue.Queue(maxsize=64)
        self._thread = threading.Thread(target=self._run, name="vdq-recording-writer")
        self._thread.start()

    def add(self, frame) -> bool:
        """Queue a frame: an (H, W, 3) uint8 array, or ``(QImage, width)`` to be scaled in
        the writer's thread.  False when the writer cannot take more (a failure, or a GIF
        too big to keep): the recording should stop."""
        if self.error is not None or self._buffered > MAX_BUFFERED_BYTES:
            return False
        self.frames_in += 1
        self._queue.put(frame)
        return True

    def close(self) -> None:
        """No more frames: the thread finishes the file (``wait`` joins it)."""
        self._queue.put(None)

    def wait(self, timeout: float | None = None) -> bool:
        self._thread.join(timeout)
        return not self._thread.is_alive()

    @property
    def done(self) -> bool:
        return not self._thread.is_alive()

    def _run(self) -> None:
        try:
            if self.path.suffix.lower() == ".mp4":
                self._write_mp4()
            else:
                self._write_gif()
        except Exception as error:  # reported by whoever closes the writer
            self.error = error
            while self._queue.get() is not None:  # let the producer finish
                pass

    def _frames(self):
        while (item := self._queue.get()) is not None:
            # QImage is safe to read in another thread, and Qt's scaling here runs beside
            # the GUI thread (PySide releases the GIL in Qt calls).
            frame = to_frame(*item) if isinstance(item, tuple) else item
            if self._size is None:
                self._size = frame.shape
            elif frame.shape != self._size:  # every frame of a file has the first one's size
                frame = _fit(frame, self._size)
            yield frame

    def _write_mp4(self) -> None:
        import imageio.v2 as imageio

        writer = None
        try:
            for frame in self._frames():
                if writer is None:
                    writer = imageio.get_writer(str(self.path), format="FFMPEG", mode="I", fps=self.fps,
                                                codec="libx264", pixelformat="yuv420p", macro_block_size=2,
                                                ffmpeg_log_level="error")
                writer.append_data(frame)
                self.frames_done += 1
        finally:
            if writer is not None:
                writer.close()
        if writer is None:
            raise ValueError("no frames were recorded")

    def _write_gif(self) -> None:
        from PIL import Image

        frames = []
        for frame in self._frames():
            # One byte a pixel from here on: a palette image.  Fast octree, not Pillow's
            # default median cut: 3 ms a frame instead of 37 (800x450, measured), and at
            # 10 frames a second the median cut took a third of a core from training.
            frames.append(Image.fromarray(frame).quantize(colors=255, method=Image.Quantize.FASTOCTREE))
            self._buffered += frames[-1].width * frames[-1].height
            self.frames_done += 1
        if not frames:
            raise ValueError("no frames were recorded")
        frames[0].save(self.path, save_all=True, append_images=frames[1:], loop=0,
                       duration=max(20, round(1000 / self.fps)), disposal=1)


def _fit(frame: np.ndarray, shape) -> np.ndarray:
    """Crop or pad (black) to ``shape``: a plot that changed size mid-recording."""
    out = np.zeros(shape, dtype=np.uint8)
    height, width = min(shape[0], frame.shape[0]), min(shape[1], frame.shape[1])
    out[:height, :width] = frame[:height, :width]
    return out


def write_animation(path: str | Path, frames, fps: float) -> Path:
    """All ``frames`` at once (blocking): for frames already made."""
    writer = AnimationWriter(path, fps)
    try:
        for frame in frames:
            writer.add(frame)
    finally:
        writer.close()
        writer.wait()
    if writer.error is not None:
        raise OSError(f"{path}: {writer.error}") from writer.error
    return writer.path


# == live frames =========================================================================
class LiveRecorder(QtCore.QObject):
    """Grab ``widget`` ``fps`` times a second into an animation until ``stop()``."""

    stopped_itself = QtCore.Signal(str)  # the reason, when it had to stop (a full buffer)

    def __init__(self, widget: QtWidgets.QWidget, path: str | Path, fps: float = DEFAULT_FPS,
                 width: int = DEFAULT_WIDTH, parent=None):
        super().__init__(parent)
        self.widget, self.width = widget, int(width)
        self.writer = AnimationWriter(path, fps)
        self.grab_seconds = 0.0  # time the GUI thread spent on frames (measured)
        self.timer = QtCore.QTimer(self)
        self.timer.setInterval(max(1, round(1000 / fps)))
        self.timer.timeout.connect(self._on_tick)

    @property
    def frames(self) -> int:
        return self.writer.frames_in

    def start(self) -> None:
        self.timer.start()
        self._on_tick()

    def stop(self) -> AnimationWriter:
        """Stop grabbing; the writer finishes in its thread (``writer.wait()``)."""
        if self.timer.isActive():
            self.timer.stop()
            self.writer.close()
        return self.writer

    @QtCore.Slot()
    def _on_tick(self) -> None:
        import time

        started = time.perf_counter()
        ok = self.writer.add((grab_live(self.widget), self.width))
        self.grab_seconds += time.perf_counter() - started
        if not ok:
            self.stop()
            reason = str(self.writer.error) if self.writer.error else "the recording is as long as memory allows"
            self.stopped_itself.emit(reason)


# == the timeline ========================================================================
def timeline_indices(count: int, frames: int) -> list[int]:
    """``frames`` moments evenly spread over ``count`` kept ones (all if fewer)."""
    if count <= 0:
        return []
    return sorted({int(round(i)) for i in np.linspace(0, count - 1, min(frames, count))})


def render_timeline(session, widget: QtWidgets.QWidget, frames: int, width: int = DEFAULT_WIDTH,
                    progress=None) -> list[np.ndarray]:
    """The timeline's moments drawn one by one into ``widget`` and grabbed; the window
    goes back to the moment it showed.  ``progress(done, total)`` may return False to stop."""
    indices = timeline_indices(len(session.timeline), frames)
    position = session.position
    out = []
    try:
        for done, index in enumerate(indices):
            session.scrub_to(index)  # the plots draw it now (they subscribe to the session)
            out.append(to_frame(grab_fresh(widget), width))
            if progress is not None and progress(done + 1, len(indices)) is False:
                break
    finally:
        if position >= 0:
            session.scrub_to(position)
        else:
            session.go_live()
    return out


# == --record: chunks of training, a frame after each ====================================
class SteppedRecording(QtCore.QObject):
    """Train ``steps`` steps in ``chunks`` equal chunks, grabbing ``widget`` after each, so the
    animation spans the run however fast it trains.  ``finished`` when the last is grabbed.
    ``start_step``: where the runs are now (a resumed session's step; targets count from it)."""

    finished = QtCore.Signal()

    def __init__(self, window, widget, steps: int, chunks: int = RECORD_CHUNKS, width: int = DEFAULT_WIDTH,
                 start_step: int = 0):
        super().__init__(window)
        self.window, self.widget, self.width = window, widget, int(width)
        self.start_step = start_step
        self.targets = sorted({start_step + round(steps * (k + 1) / chunks) for k in range(chunks)} - {start_step})
        self.frames: list[np.ndarray] = []
        self._next = 0  # index of the target being trained towards

    def start(self) -> None:
        self.window.frame_drawn.connect(self._on_frame)
        self.window.session.running_changed.connect(self._on_running_changed)
        self.window.session.step(self.targets[0] - self.start_step)

    @QtCore.Slot(int)
    def _on_frame(self, _step: int) -> None:
        self._check()

    @QtCore.Slot(bool)
    def _on_running_changed(self, running: bool) -> None:
        if not running:
            self._check()

    def _check(self) -> None:
        session = self.window.session
        if self._next >= len(self.targets) or session.is_running:
            return
        target = self.targets[self._next]
        if any(run.snapshot is None or run.snapshot.step < target for run in session.runs):
            return
        self.frames.append(to_frame(grab_fresh(self.widget), self.width))
        self._next += 1
        if self._next < len(self.targets):
            session.step(self.targets[self._next] - target)
        else:
            self.finished.emit()

    @property
    def done(self) -> bool:
        return self._next >= len(self.targets)
