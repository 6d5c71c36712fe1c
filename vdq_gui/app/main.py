"""``vdq-gui [DATA] [options]``: open the window.

With no DATA the window opens on the built-in bimodal 1-D data, ready to train.
``--auto-start --after-steps N --screenshot PATH`` trains N steps, saves a PNG of the whole
window and exits 0 (works offscreen: QT_QPA_PLATFORM=offscreen).

Start-up is ordered for a model on screen soon: the data is read (numpy only), then the
training process is started, so that it imports torch and builds the model while this
process imports Qt and builds the window (``vdq_gui.training.prestart``); it sends the
first picture itself.  Only Qt, pyqtgraph and numpy are imported before the window shows.
"""

from __future__ import annotations

import argparse
import sys

from vdq_gui.cli import (add_data_arguments, add_objective_arguments, data_options, int_at_least, objective_options,
                         positive_float)
from vdq_gui.lessons import add_lesson_arguments, apply_lesson_arguments, listing
from vdq_gui.models.names import DEFAULT_DEQUANTIZER, DEQUANTIZERS

DEFAULT_DATA = "builtin:bimodal"
# The ranges of the window's boxes (vdq_gui.app.controls; a test checks they agree), so a
# value given here is one the window can show and the user can set back.
LEARNING_RATE_RANGE = (1e-6, 100.0)
BATCH_SIZE_MAX = 8192
SEED_MAX = 2**31 - 1
SIZE_RANGE = (200, 10000)


def learning_rate(text: str) -> float:
    value = positive_float(text)
    low, high = LEARNING_RATE_RANGE
    if not low <= value <= high:
        raise argparse.ArgumentTypeError(f"{text!r} is outside the window's range {low:g} to {high:g}")
    return value


def window_size(text: str) -> tuple[int, int]:
    width, separator, height = text.lower().partition("x")
    low, high = SIZE_RANGE
    try:
        size = int(width), int(height)
    except ValueError:
        size = None
    if not separator or size is None or not all(low <= side <= high for side in size):
        raise argparse.ArgumentTypeError(f"{text!r} is not WIDTHxHEIGHT with sides from {low} to {high} pixels")
    return size


learning_rate.__name__ = window_size.__name__ = "value"


def parse_size(text: str) -> tuple[int, int]:
    """WIDTHxHEIGHT -> (width, height); ValueError names what is wrong."""
    try:
        return window_size(text)
    except argparse.ArgumentTypeError as error:
        raise ValueError(str(error)) from None


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    return build_parser().parse_args(argv)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="vdq-gui", description="Watch dequantization happen.")
    parser.add_argument("data", nargs="?", default=DEFAULT_DATA,
                        help="a data file or folder, builtin:NAME (default: %(default)s), "
                             "or a saved session FILE.vdq to continue")
    parser.add_argument("--dequantizer", choices=DEQUANTIZERS, default=DEFAULT_DEQUANTIZER)
    parser.add_argument("--compare", metavar="A,B[,C]", type=compare_list, default=None,
                        help="train two or three dequantizers side by side (e.g. uniform,variational)")
    parser.add_argument("--seed", type=int_at_least(0, SEED_MAX), default=0)
    parser.add_argument("--learning-rate", "--lr", type=learning_rate, default=None)
    parser.add_argument("--batch-size", type=int_at_least(1, BATCH_SIZE_MAX), default=None)
    add_data_arguments(parser)  # the same data options as vdq-train
    add_objective_arguments(parser.add_argument_group("objective (also Training ▸ Objective…)"))
    add_lesson_arguments(parser)  # --lesson NAME, --list-lessons, --explanations
    run = parser.add_argument_group("automation")
    run.add_argument("--auto-start", action="store_true", help="start training at once")
    run.add_argument("--after-steps", type=int_at_least(1), metavar="N", help="with --auto-start: train N steps, then pause")
    run.add_argument("--screenshot", metavar="PATH", help="save a PNG of the window, then exit")
    run.add_argument("--export", metavar="DIR", help="save every plot (PNG, SVG), the slide figure and the data "
                                                    "(metrics, noise, density, gaps as CSV and NPZ) in DIR, then exit")
    run.add_argument("--record", metavar="PATH", type=record_path,
                     help="with --after-steps N: save an animation of the run (.gif or .mp4), then exit")
    run.add_argument("--presentation", action="store_true",
                     help="start in presentation mode (large fonts and lines, high contrast, fewer controls)")
    run.add_argument("--theme", choices=("light", "dark"), default=None,
                     help="light or dark plots and panels (default: the last one used, else light)")
    run.add_argument("--size", type=window_size, default="1280x720", help="window size WIDTHxHEIGHT (default %(default)s)")
    run.add_argument("--worker", choices=("process", "thread"), default="process",
                     help="train in a separate process (default: painting never slows training) "
                          "or in a thread of the window's process")
    return parser


def record_path(text: str) -> str:
    if not text.lower().endswith((".gif", ".mp4")):
        raise argparse.ArgumentTypeError(f"{text!r}: record to a .gif or .mp4 file")
    return text


def compare_list(text: str) -> list[str]:
    names = [name.strip() for name in text.split(",") if name.strip()]
    if not 2 <= len(names) <= 3 or len(set(names)) != len(names):
        raise argparse.ArgumentTypeError(f"{text!r}: give two or three different dequantizers, e.g. uniform,variational")
    return names


def check_compare(names: list[str] | None) -> str | None:
    """An error sentence if a compared name is not a dequantizer (vdq_gui.models.names:
    the registry's names, importable without torch)."""
    if not names:
        return None
    unknown = [name for name in names if name not in DEQUANTIZERS]
    if unknown:
        return f"--compare: unknown dequantizer {', '.join(unknown)}; choose from {', '.join(DEQUANTIZERS)}"
    return None


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    if args.list_lessons:  # before Qt and torch: answers at once
        print(listing())
        return 0
    problem = apply_lesson_arguments(args, DEFAULT_DATA)
    if problem:
        print(f"vdq-gui: {problem}", file=sys.stderr)
        return 2
    from vdq_gui.app.platform_check import check_platform

    # Before Qt is asked for a platform: a missing system library or display gets one clear
    # message and exit status 2, not Qt's abort.
    unattended = bool(args.screenshot or args.export or args.record)
    failed = check_platform(offscreen_ok=unattended)
    if failed is not None:
        return failed
    problem = check_compare(args.compare)
    if problem:
        print(f"vdq-gui: {problem}", file=sys.stderr)
        return 2
    warm = start_warm(args.worker)  # imports torch while we read settings, data and Qt
    try:
        return run_window(args, argv, unattended, warm)
    finally:
        if warm is not None:
            warm.close()  # unless a run took it


def start_warm(worker: str):
    """The training process, started now when the window will train in one."""
    if worker != "process":
        return None
    from vdq_gui.training.prestart import start_warm_process

    try:
        return start_warm_process()
    except Exception:  # the worker tries again (and reports it) when the window starts it
        return None


def run_window(args, argv: list[str], unattended: bool, warm) -> int:
    from vdq_gui.app import log, settings
    from vdq_gui.data.dataset import DataError
    from vdq_gui.data.loaders import load_data
    from vdq_gui.training.session_file import SessionError, is_session_path, read_session

    log.install()  # warnings and errors to the log file (Help > Show log)
    # The user's remembered settings, under the command line's (not in automation runs).
    given = settings.given_options(build_parser(), argv)
    if args.lesson:  # the lesson chose these: a remembered value must not replace them
        given |= {"data", "dequantizer", "compare", "seed", *args.lesson.options}
    launch = settings.Launch(args, given)
    saved = None  # a session file given as DATA: its runs continue
    try:
        if is_session_path(args.data):
            saved = read_session(args.data)
            data = saved.data
        else:
            data = launch.load(load_data, data_options(args), DEFAULT_DATA)
    except SessionError as error:
        print(f"vdq-gui: error: {error}", file=sys.stderr)
        return 2
    except DataError as error:
        print(f"vdq-gui: {error}", file=sys.stderr)
        return 2
    except OSError as error:
        print(f"vdq-gui: {args.data}: {error}", file=sys.stderr)
        return 2

    from vdq_gui.training.loop import RunSpec

    launch.fill_training(data.kind)
    spec = RunSpec.of(data, dequantizer=args.dequantizer, seed=args.seed,
                   learning_rate=args.learning_rate, batch_size=args.batch_size, **objective_options(args))
    if saved is not None:
        spec, names = saved.runs[0].spec, [run.spec.dequantizer for run in saved.runs]
        args.compare = names if len(names) > 1 else None
    # Before Qt: the training process (started above, importing torch) gets the (first)
    # run now (a saved session's runs start from their states, when the window hands them over).
    first = spec.with_changes(dequantizer=args.compare[0]) if args.compare else spec
    if saved is not None and warm is not None:
        warm.close()  # the saved runs start from their states, in processes of their own
    factory = worker_factory(args.worker, None if saved is not None else first, warm)

    from PySide6 import QtCore, QtWidgets

    from vdq_gui.app import style

    style.configure_pyqtgraph()
    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication(sys.argv[:1])
    app.setOrganizationName(settings.ORGANISATION)
    app.setApplicationName(settings.APPLICATION)

    from vdq_gui.app.window import MainWindow

    window = MainWindow(spec, compare=args.compare, worker_factory=factory)
    window.resize(*args.size)
    launch.restore(window)  # theme, presentation, speed, geometry; saved again at close
    window.remembers = launch.enabled  # automation runs leave the recent files alone
    log.watch(window)
    if args.explanations:
        window.explain.show()
    if args.lesson:  # in unattended runs at full speed: the picture is what is wanted
        window.lessons.adopt(args.lesson, pace=not unattended)
    if unattended:
        from vdq_gui.app import dialogs

        dialogs.use_console()
        window.ask_before_reset = False
    if saved is not None:
        window.session_files.use(saved, ask=False)
    window.show()
    app.processEvents()  # paint once now: torch and the model come after the first paint
    from vdq_gui.app.autorun import AutoRun

    runner = AutoRun(window, app, screenshot=args.screenshot, auto_start=args.auto_start,
                     after_steps=args.after_steps, export=args.export, record=args.record,
                     start_step=saved.runs[0].trainer.step_count if saved is not None else 0)
    QtCore.QTimer.singleShot(0, runner.start)
    close_on_ctrl_c(window)
    return app.exec()


def worker_factory(kind: str, spec=None, warm=None):
    """The window's worker class; for the process worker with ``spec``, the training
    process (``warm``, started earlier, or a new one now) is given ``spec`` and handed to
    the worker the window makes for it."""
    if kind == "thread":
        from vdq_gui.app.worker import TrainingWorker

        return TrainingWorker
    if spec is None:
        from vdq_gui.app.process_worker import ProcessTrainingWorker

        return ProcessTrainingWorker
    from vdq_gui.training.prestart import start_training_process

    try:
        waiting = [warm.assign(spec) if warm is not None else start_training_process(spec)]
    except Exception:  # the worker tries again (and reports it) when the window starts it
        waiting = []

    def make(worker_spec, parent=None, **options):
        from vdq_gui.app.process_worker import ProcessTrainingWorker

        # Handed once, to the worker of the run it builds; any other worker (another run,
        # a later session's) spawns its own process.
        started = waiting.pop() if waiting and waiting[0].builds(worker_spec, 0) else None
        return ProcessTrainingWorker(worker_spec, parent, started=started, **options)

    return make


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


if __name__ == "__main__":
    sys.exit(main())
