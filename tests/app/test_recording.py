"""Recording: the writer produces the frames it was given (GIF read back with Pillow, MP4
with imageio), live recordings of the window or one plot, recordings of the timeline,
the REC indicator, and the --record argument.  (``--record`` end to end runs in
tests/app/test_export.py, together with ``--export``: one start of the app for both.)"""

import imageio.v2 as imageio
import numpy as np
import pytest
from PIL import Image
from PySide6 import QtCore, QtGui

from tests.app.conftest import snapshot_1d
from tests.app.test_export import drawn_window
from vdq_gui.app import recording, recording_menu
from vdq_gui.app.main import parse_args
from vdq_gui.app.timeline import Moment
from vdq_gui.data.loaders import load_data


def frames(count, height=60, width=80):
    """Distinct frames: a bar that moves (a GIF merges identical neighbours)."""
    out = []
    for index in range(count):
        frame = np.full((height, width, 3), 240, dtype=np.uint8)
        frame[:, (index * 3) % width:(index * 3) % width + 3] = (200, 30, 30)
        out.append(frame)
    return out


@pytest.mark.parametrize("suffix", [".gif", ".mp4"])
def test_an_animation_has_every_frame_it_was_given(tmp_path, suffix):
    path = recording.write_animation(tmp_path / f"a{suffix}", frames(25), fps=10)
    if suffix == ".gif":
        with Image.open(path) as gif:
            assert (gif.n_frames, gif.size) == (25, (80, 60))
            assert gif.info["duration"] == 100  # (GIF counts in hundredths of a second)
    else:
        with imageio.get_reader(path) as video:
            assert video.count_frames() == 25
            assert video.get_meta_data()["size"] == (80, 60)
            assert video.get_meta_data()["fps"] == 10


def test_other_formats_are_refused(tmp_path):
    with pytest.raises(ValueError, match=r"\.gif or \.mp4"):
        recording.AnimationWriter(tmp_path / "a.avi", 10)
    with pytest.raises(SystemExit):
        parse_args(["--record", "run.avi"])
    assert parse_args(["--record", "run.MP4"]).record == "run.MP4"


def test_frames_are_scaled_down_to_even_sides():
    image = QtGui.QImage(1001, 601, QtGui.QImage.Format.Format_RGB32)
    image.fill(QtGui.QColor(10, 200, 30))
    frame = recording.to_frame(image, 500)
    assert frame.shape == (300, 500, 3) and frame.dtype == np.uint8
    assert tuple(frame[5, 5]) == (10, 200, 30)
    assert recording.to_frame(image, 4000).shape == (600, 1000, 3)  # never up; even sides


@pytest.fixture
def window(qtbot, keep, dialog_log):
    win = drawn_window(qtbot, keep, load_data("builtin:bimodal"), None)
    yield win
    win.close()


def fill_timeline(win, count):
    for step in range(1, count + 1):
        win.session.timeline.add(Moment((snapshot_1d(step=10 * step, seed=step),)))
    win.session.timeline_changed.emit(len(win.session.timeline))


def test_the_timeline_becomes_an_animation_of_the_asked_frames(window, tmp_path):
    fill_timeline(window, 30)
    options = recording_menu.RecordOptions(str(tmp_path / "timeline.gif"), "loss", fps=5, width=400, frames=20)
    commands = window.record_commands
    assert commands.record_moments(options, commands.targets()["loss"])
    with Image.open(tmp_path / "timeline.gif") as gif:
        assert gif.n_frames == 20
        assert gif.width == 400
    assert window.session.position == -1  # back to live


def test_the_timeline_indices_spread_over_the_run():
    assert recording.timeline_indices(100, 5) == [0, 25, 50, 74, 99]
    assert recording.timeline_indices(3, 10) == [0, 1, 2]
    assert recording.timeline_indices(0, 10) == []


def test_a_live_recording_shows_rec_and_writes_its_frames(qtbot, window, tmp_path):
    commands = window.record_commands
    assert window.menuBar().actions()[-2].text() == "&Record"  # before Help
    options = recording_menu.RecordOptions(str(tmp_path / "live.mp4"), "the whole window", fps=20, width=640)
    assert commands.start(options, window)
    assert commands.indicator.isVisible() and commands.stop_action.isEnabled()
    step = iter(range(210, 10_000, 10))

    def draw_next():  # the window changes while it is recorded, as during training
        window.session.moment_changed.emit(Moment((snapshot_1d(step=next(step)),), live=False))

    timer = QtCore.QTimer()
    timer.timeout.connect(draw_next)
    timer.start(30)
    qtbot.waitUntil(lambda: commands.recorder.frames >= 12, timeout=10000)
    timer.stop()
    recorder = commands.recorder
    commands.stop_live()
    assert not commands.indicator.isVisible() and commands.start_action.isEnabled()
    with imageio.get_reader(tmp_path / "live.mp4") as video:
        assert video.count_frames() == recorder.frames >= 12
        width, height = video.get_meta_data()["size"]
        assert width == 640 and height % 2 == 0  # scaled down, even sides (H.264)
        assert abs(height - window.height() * 640 / window.width()) <= 2
    # The cost on the GUI thread: a grab from the back buffer, scaled (not a repaint).
    assert recorder.grab_seconds / recorder.frames < 0.05


def test_closing_the_window_while_recording_writes_the_file(qtbot, window, tmp_path):
    commands = window.record_commands
    options = recording_menu.RecordOptions(str(tmp_path / "closed.gif"), "noise", fps=10, width=300)
    commands.start(options, commands.targets()["noise"])
    qtbot.waitUntil(lambda: commands.recorder.frames >= 2, timeout=5000)
    window.close()
    with Image.open(tmp_path / "closed.gif") as gif:
        assert gif.width == 300 and gif.n_frames >= 1


def test_record_menu_start_and_stop_through_the_dialog(qtbot, window, tmp_path, monkeypatch):
    dialog = recording_menu.RecordDialog(window, list(window.record_commands.targets()), timeline=False)
    assert [dialog.target.itemText(i) for i in range(dialog.target.count())] == [
        "the whole window", "density", "noise", "loss", "detail"]
    dialog.target.setCurrentText("density")
    dialog.fps.setValue(15)
    dialog.path.setText(str(tmp_path / "density.gif"))
    chosen = dialog.options()
    assert (chosen.target, chosen.fps, chosen.width) == ("density", 15, recording.DEFAULT_WIDTH)
    dialog.deleteLater()
    monkeypatch.setattr(recording_menu, "ask_options", lambda *args, **kwargs: chosen)
    commands = window.record_commands
    commands.start_action.trigger()
    assert commands.recorder.widget is window.density
    qtbot.waitUntil(lambda: commands.recorder.frames >= 2, timeout=5000)
    commands.stop_action.trigger()
    with Image.open(tmp_path / "density.gif") as gif:
        assert gif.width == min(recording.DEFAULT_WIDTH, window.density.width() // 2 * 2)


def test_a_resumed_sessions_recording_counts_its_steps_from_where_the_runs_are(qapp):
    """`vdq-gui a.vdq --after-steps 40 --record …` on a session saved at step 100 trains 40
    more steps (as vdq-train --resume does), grabbing a frame at 110, 120, 130 and 140."""
    owner = QtCore.QObject()
    stepped = recording.SteppedRecording(owner, None, 40, chunks=4, start_step=100)
    assert stepped.targets == [110, 120, 130, 140]
    assert recording.SteppedRecording(owner, None, 40, chunks=4).targets == [10, 20, 30, 40]
