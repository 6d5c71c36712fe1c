"""What ``--export DIR`` and ``--record PATH`` save when the automated run ends (see
vdq_gui.app.autorun): every plot and the data tables, and the animation of the run."""

from __future__ import annotations

import sys
from pathlib import Path

from vdq_gui.app import export, recording


def save_exports(window, directory: str | None, record: str | None, stepped, step: int) -> bool:
    """Save what was asked; print each file's name or why it failed.  True if all worked."""
    ok = True
    if directory:
        try:
            written = export.export_all(window.plots, directory)
            print(f"vdq-gui: exported {len(written)} files to {directory} (step {step})")
        except (OSError, ValueError) as error:
            print(f"vdq-gui: could not export to {directory}: {error}", file=sys.stderr)
            ok = False
    if record:
        frames = stepped.frames if stepped is not None else []
        if not frames:  # no chunked run (no --after-steps): the timeline's moments
            frames = recording.render_timeline(window.session, window, recording.RECORD_CHUNKS)
        try:
            path = recording.write_animation(Path(record), frames, fps=recording.DEFAULT_FPS)
            print(f"vdq-gui: recorded {len(frames)} frames to {path} (step {step})")
        except (OSError, ValueError) as error:
            print(f"vdq-gui: could not record {record}: {error}", file=sys.stderr)
            ok = False
    return ok
