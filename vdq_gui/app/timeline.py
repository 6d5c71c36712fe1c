"""The timeline: moments the window drew, kept with bounded memory so that an hour-long
run still has a useful history to scrub through.

A *moment* is what one frame drew: one immutable Snapshot per run.  Keeping the very
objects that were drawn is what makes a scrubbed moment show exactly what was live then.

Memory: moments are captured at most ``CAPTURE_HZ`` times a second (and whenever the runs
pause).  The newest ``RECENT`` captures are all kept; older ones are thinned by powers of
two with their age: a capture whose age lies in [RECENT * 2^j, RECENT * 2^(j+1)) is kept
only if its number is a multiple of 2^(j+1).  That keeps RECENT/2 captures per doubling of
the run's length, so an hour (14,400 captures at 4 Hz) holds about 600 moments.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

RECENT = 128
CAPTURE_HZ = 4.0


@dataclass(frozen=True)
class Moment:
    """What the window draws in one frame: each run's snapshot, in run order."""

    snapshots: tuple
    live: bool = True

    @property
    def step(self) -> int:
        """The step of the moment (runs in lockstep share it; otherwise the least)."""
        return min(s.step for s in self.snapshots)

    def as_recorded(self) -> "Moment":
        return Moment(self.snapshots, live=False)


class Timeline:
    def __init__(self, recent: int = RECENT):
        self.recent = recent
        self._entries: list[tuple[int, Moment]] = []  # (capture number, moment), oldest first
        self._captures = 0
        self._buffers: dict[int, np.ndarray] = {}  # run -> the log buffer last shared

    def __len__(self) -> int:
        return len(self._entries)

    def __getitem__(self, index: int) -> Moment:
        return self._entries[index][1]

    def clear(self) -> None:
        self._entries.clear()
        self._captures = 0
        self._buffers.clear()

    def add(self, moment: Moment) -> None:
        """Keep ``moment`` (replacing the newest one if it is of the same steps)."""
        if self._entries and _steps(self._entries[-1][1]) == _steps(moment):
            self._entries[-1] = (self._entries[-1][0], moment.as_recorded())
            return
        self._entries.append((self._captures, moment.as_recorded()))
        self._captures += 1
        self._thin()
        self._share_histories(moment)

    def _share_histories(self, moment: Moment) -> None:
        """Point older moments' loss curves at the newest log buffer.  A run's log doubles
        its buffer when it grows; a moment holding a view of an old buffer would keep it
        alive, so an hour's timeline held every buffer the log ever had (up to twice the
        log).  Rows of one lineage are never rewritten, so the old view and the same rows
        of the new buffer are equal: the moment still shows exactly what it showed."""
        for run, snapshot in enumerate(moment.snapshots):
            newest = snapshot.history
            buffer = _buffer(newest.step)
            if newest.lineage is None or self._buffers.get(run) is buffer:
                continue
            self._buffers[run] = buffer
            for index, (number, old) in enumerate(self._entries):
                if run >= len(old.snapshots):
                    continue
                history = old.snapshots[run].history
                if (history.lineage is newest.lineage and len(history) <= len(newest)
                        and _buffer(history.step) is not buffer):
                    snapshots = list(old.snapshots)
                    snapshots[run] = replace(snapshots[run], history=history.prefix_of(newest))
                    self._entries[index] = (number, Moment(tuple(snapshots), live=old.live))

    def steps(self) -> list[int]:
        return [moment.step for _, moment in self._entries]

    def index_at_or_before(self, step: int) -> int:
        steps = self.steps()
        return max(0, int(np.searchsorted(steps, step, side="right")) - 1)

    def _thin(self) -> None:
        newest = self._captures - 1
        kept = []
        for number, moment in self._entries:
            age = newest - number
            if age < self.recent:
                kept.append((number, moment))
                continue
            octave = int(np.log2(age / self.recent))
            if number % (2 << octave) == 0:
                kept.append((number, moment))
        self._entries = kept

    def nbytes(self, history: bool = True) -> int:
        """Bytes of array data the kept moments hold (each buffer counted once: loss
        histories are views of shared, append-only logs); ``history=False``: without them."""
        seen: dict[int, int] = {}
        for _, moment in self._entries:
            for snapshot in moment.snapshots:
                for value in _arrays(snapshot, history):
                    base = _buffer(value)
                    seen[id(base)] = base.nbytes
        return sum(seen.values())


def _buffer(array: np.ndarray) -> np.ndarray:
    """The array that owns ``array``'s memory."""
    while isinstance(array.base, np.ndarray):
        array = array.base
    return array


def _steps(moment: Moment) -> tuple:
    return tuple(s.step for s in moment.snapshots)


def _arrays(snapshot, history: bool = True):
    for value in vars(snapshot).values():
        if isinstance(value, np.ndarray):
            yield value
    if history:
        for value in vars(snapshot.history).values():
            if isinstance(value, np.ndarray):
                yield value


def kept_after(captures: int, recent: int = RECENT) -> int:
    """How many moments the thinning rule keeps after ``captures`` captures."""
    kept = 0
    newest = captures - 1
    for number in range(captures):
        age = newest - number
        if age < recent or number % (2 << int(np.log2(age / recent))) == 0:
            kept += 1
    return kept
