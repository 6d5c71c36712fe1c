"""``vdq-gui [DATA] [options]``: open the window.

With no DATA the window opens on the built-in bimodal 1-D data, ready to train.
``--auto-start --after-steps N --screenshot PATH`` trains N steps, saves a PNG of the whole
window and exits 0 (works offscreen: QT_QPA_PLATFORM=offscreen).

Start-up is ordered for a fast first paint: only Qt, pyqtgraph and numpy are imported
before the window shows; torch is imported and the model built by the training process (or worker thread).
"""

from __future__ import annotations

import argparse
import sys

from vdq_gui.cli import add_data_arguments, data_options
from vdq_gui.models.names import DEFAULT_DEQUANTIZER, DEQUANTIZERS

DEFAULT_DATA = "builtin:bimodal"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="vdq-gui", description="Watch dequantization happen.")
    parser.add_argument("data", nargs="?", default=DEFAULT_DATA,
                        help="a data file or folder, or builtin:NAME (default: %(default)s)")
    parser.add_argument("--dequantizer", choices=DEQUANTIZERS, default=DEFAULT_DEQUANTIZER)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--learning-rate", "--lr", type=float, default=None)
    parser.add_argument("--batch-size", type=int, default=None)
    add_data_arguments(parser)  # the same data options as vdq-train
    run = parser.add_argument_group("automation")
    run.add_argument("--auto-start", action="store_true", help="start training at once")
    run.add_argument("--after-steps", type=int, metavar="N", help="with --auto-start: train N steps, then pause")
    run.add_argument("--screenshot", metavar="PATH", help="save a PNG of the window, then exit")
    run.add_argument("--presentation", action="store_true", help="start with larger fonts")
    run.add_argument("--size", default="1280x720", help="window size WIDTHxHEIGHT (default %(default)s)")
    run.add_argument("--worker", choices=("process", "thread"), default="process",
                     help="train in a separate process (default: painting never slows training) "
                          "or in a thread of the window's process")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    from vdq_gui.data.dataset import DataError
    from vdq_gui.data.loaders import load_data

    try:
        data = load_data(args.data, **data_options(args))
    except DataError as error:
        print(f"vdq-gui: {error}", file=sys.stderr)
        return 2
    except OSError as error:
        print(f"vdq-gui: {args.data}: {error}", file=sys.stderr)
        return 2

    from PySide6 import QtCore, QtWidgets

    from vdq_gui.app import style

    style.configure_pyqtgraph()
    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication(sys.argv[:1])
    app.setApplicationName("vdq-gui")

    from vdq_gui.app.window import MainWindow
    from vdq_gui.training.loop import RunSpec

    spec = RunSpec(data, dequantizer=args.dequantizer, seed=args.seed,
                   learning_rate=args.learning_rate, batch_size=args.batch_size)
    window = MainWindow(spec, worker_factory=worker_factory(args.worker))
    window.resize(*parse_size(args.size))
    if args.presentation:
        window.actions["presentation"].setChecked(True)
    if args.screenshot:
        from vdq_gui.app import dialogs

        dialogs.use_console()
        window.ask_before_reset = False
    window.show()
    app.processEvents()  # paint once now: torch and the model come after the first paint
    from vdq_gui.app.autorun import AutoRun

    runner = AutoRun(window, app, screenshot=args.screenshot, auto_start=args.auto_start,
                     after_steps=args.after_steps)
    QtCore.QTimer.singleShot(0, runner.start)
    close_on_ctrl_c(window)
    return app.exec()


def worker_factory(kind: str):
    if kind == "thread":
        from vdq_gui.app.worker import TrainingWorker

        return TrainingWorker
    from vdq_gui.app.process_worker import ProcessTrainingWorker

    return ProcessTrainingWorker


def close_on_ctrl_c(window) -> None:
    """Ctrl+C in the terminal closes the window properly (stopping and joining the worker)
    instead of being ignored while Qt's event loop runs."""
    import signal

    from PySide6 import QtCore

    signal.signal(signal.SIGINT, lambda *_: window.close())
    # Python runs signal handlers only between bytecodes: wake it up now and then.
    ticker = QtCore.QTimer(window)
    ticker.timeout.connect(_do_nothing)
    ticker.start(250)


def _do_nothing() -> None:
    pass


def parse_size(text: str) -> tuple[int, int]:
    width, _, height = text.lower().partition("x")
    return int(width), int(height)


if __name__ == "__main__":
    sys.exit(main())
