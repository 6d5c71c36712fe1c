"""Session files (``.vdq``): save a whole session and resume it exactly, safely (no Qt).

A session file is a zip archive with exactly two members:

  ``manifest.json``       the format name and version, the dataset's description (source
                          name, kind, levels, axis mapping, shape and the sha256 of its values),
                          every run's configuration (seed included) and scalar trainer state
                          (step counts, learning rate, last metrics, ...), the timeline's
                          pictures' scalars and the view (selected bin);
  ``arrays.safetensors``  every array: the dataset's values, each run's model and optimizer
                          state (Adam's moments and step counters), its random-number
                          generator states and log rows, the timeline pictures' arrays.

Files are exchanged between students, so reading one must never run code: no pickle
anywhere (safetensors and JSON only); the archive may hold no other member; its declared
sizes and compression ratios are checked before anything is decompressed (a zip bomb is
refused without inflating it); every field is validated (types, ranges, the format
version) and every array's name, dtype and shape must match a model freshly built from the
stored configuration.  Every problem raises ``SessionError`` with the file and the reason.

Saving is atomic: the archive is written to a temporary file beside the target, flushed and
fsynced, then renamed over it, so a crash or a full disk leaves the previous file intact.
"""

from __future__ import annotations

import dataclasses
import errno
import hashlib
import json
import math
import os
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from vdq_gui.data.dataset import DataError, DiscreteData
from vdq_gui.training.config import TrainConfig
from vdq_gui.training.loop import RunSpec

FORMAT = "vdq-session"
VERSION = 1
SUFFIX = ".vdq"
MANIFEST, ARRAYS = "manifest.json", "arrays.safetensors"
MEMBERS = (MANIFEST, ARRAYS)
# Bounds on what is read, checked against the archive's declared sizes before reading.
MAX_FILE_BYTES = 4 << 30
MAX_MANIFEST_BYTES = 64 << 20
MAX_ARRAYS_BYTES = 3 << 30
MAX_RATIO = 100  # deflate reaches ~1000 only on degenerate (e.g. all-zero) input
MAX_RUNS = 3
MAX_MOMENTS = 4096
MAX_DATA_VALUES = 1 << 28  # 268 million values (MNIST is 47 million): 2 GB as int64
TIMELINE_BUDGET_BYTES = 256 << 20  # pictures beyond this are thinned out when saving
# The largest model sizes a file may ask for: a fresh model is built from the stored
# configuration, so absurd sizes must be refused before they cost memory.
CONFIG_LIMITS = {"components": 1024, "noise_layers": 32, "noise_components": 256, "hidden": 1024,
                 "noise_hidden": 1024, "noise_couplings": 32, "batch_size": 1 << 20, "eval_every": 1 << 30,
                 "eval_examples": 1 << 24, "log_every": 1 << 30, "train_samples": 4096}


class SessionError(ValueError):
    """A session file that cannot be read or written; the message names the file and why."""

    def __init__(self, path, reason: str):
        self.path, self.reason = str(path), reason
        super().__init__(f"{self.path}: {reason}")


@dataclass
class SavedRun:
    """One run of a session: its spec, its full trainer state, and (after reading) the
    trainer built from the spec and restored from the state (proof that the state fits)."""

    spec: RunSpec
    state: object  # trainer_state.TrainerState
    trainer: object = None


@dataclass
class SessionContents:
    data: DiscreteData
    runs: list
    timeline: list = field(default_factory=list)  # moments: tuples of Snapshots, one per run
    view: dict = field(default_factory=dict)
    path: str = ""


def is_session_path(path) -> bool:
    return str(path).lower().endswith(SUFFIX)


# == writing ==================================================================================
def save_trainers(path, trainers: list, timeline=(), view: dict | None = None) -> None:
    """Save live trainers (they all train on the same data), e.g. from vdq-train."""
    from vdq_gui.training import trainer_state

    runs = [SavedRun(RunSpec(t.data, t.config), trainer_state.export(t)) for t in trainers]
    write_session(path, runs, timeline, view)


def write_session(path, runs: list, timeline=(), view: dict | None = None) -> None:
    """Write ``runs`` (SavedRun with spec and state; all on one dataset), the timeline's
    moments (tuples of Snapshots, one per run) and the view, atomically."""
    path = Path(path)
    if not 1 <= len(runs) <= MAX_RUNS:
        raise SessionError(path, f"a session holds 1 to {MAX_RUNS} runs, not {len(runs)}")
    data = runs[0].spec.data
    if any(run.spec.data is not data and run.spec.data.values is not data.values for run in runs):
        raise SessionError(path, "the runs of a session must train on the same data")
    from safetensors.numpy import save as save_arrays

    arrays: dict[str, np.ndarray] = {}
    manifest = {"format": FORMAT, "version": VERSION, "data": _encode_data(data, arrays),
                "runs": [_encode_run(index, run, arrays) for index, run in enumerate(runs)],
                "timeline": _encode_timeline(list(timeline), len(runs), arrays),
                "view": {"selected_bin": int((view or {}).get("selected_bin", 0))}}
    manifest_bytes = json.dumps(manifest, allow_nan=True).encode()
    blob = save_arrays({name: np.ascontiguousarray(value) for name, value in arrays.items()})
    _write_atomically(path, manifest_bytes, blob)


def _write_atomically(path: Path, manifest: bytes, blob: bytes) -> None:
    handle = None
    try:
        handle = tempfile.NamedTemporaryFile(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp", delete=False)
        with zipfile.ZipFile(handle, "w") as archive:
            archive.writestr(MANIFEST, manifest, compress_type=zipfile.ZIP_DEFLATED)
            # Stored: the arrays are mostly floats (deflate gains little), and it keeps a
            # save of image data fast.
            archive.writestr(ARRAYS, blob, compress_type=zipfile.ZIP_STORED)
        handle.flush()
        os.fsync(handle.fileno())
        handle.close()
        # A temporary file is private (0600); the session gets the mode a new file would.
        os.chmod(handle.name, _new_file_mode(path))
        os.replace(handle.name, path)
    except BaseException as error:
        if handle is not None:
            handle.close()
            try:
                os.unlink(handle.name)
            except OSError:
                pass
        if isinstance(error, OSError):
            raise SessionError(path, f"could not save: {error.strerror or error}") from None
        raise
    _fsync_folder(path.parent)


def _new_file_mode(path: Path) -> int:
    """The old file's permissions, or those of a new file under the current umask."""
    try:
        return path.stat().st_mode & 0o777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def _fsync_folder(folder: Path) -> None:
    """Make the rename itself durable (not possible on every platform: best effort)."""
    try:
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)


def _values_dtype(levels: int):
    return np.uint8 if levels <= 1 << 8 else np.uint16 if levels <= 1 << 16 else np.int64


def data_hash(values: np.ndarray) -> str:
    """sha256 of the values as little-endian int64 in C order (whatever dtype stores them)."""
    return hashlib.sha256(np.ascontiguousarray(values, dtype="<i8").tobytes()).hexdigest()


def _encode_data(data: DiscreteData, arrays: dict) -> dict:
    arrays["data/values"] = data.values.astype(_values_dtype(data.levels))
    return {"source": data.source, "name": data.name, "kind": data.kind, "levels": data.levels,
            "origin": float(data.origin), "step": float(data.step), "notes": list(data.notes),
            "shape": list(data.values.shape), "sha256": data_hash(data.values)}


def _encode_run(index: int, run: SavedRun, arrays: dict) -> dict:
    for name, value in run.state.arrays.items():
        arrays[f"run{index}/{name}"] = value
    return {"config": dataclasses.asdict(run.spec.config), "trainer": run.state.scalars}


def _encode_timeline(moments: list, runs: int, arrays: dict) -> list:
    moments = [m for m in moments if len(m) == runs]
    moments = _thin_to_budget(moments)
    out = []
    for m, snapshots in enumerate(moments):
        encoded = []
        for r, snapshot in enumerate(snapshots):
            scalars, names = {}, {}
            for item in dataclasses.fields(snapshot):
                value = getattr(snapshot, item.name)
                if item.name == "history":
                    scalars["history_length"] = len(value)
                elif isinstance(value, np.ndarray):
                    key = f"timeline/{m}/{r}/{item.name}"
                    arrays[key] = value
                    names[item.name] = key
                elif value is None:
                    names[item.name] = None
                else:
                    scalars[item.name] = value
            scalars["metrics"] = {str(k): float(v) for k, v in snapshot.metrics.items()}
            encoded.append({"scalars": scalars, "arrays": names})
        out.append(encoded)
    return out


def _thin_to_budget(moments: list) -> list:
    """Drop every other older moment until the pictures fit the budget (the newest stays)."""
    def size(ms):
        return sum(v.nbytes for snaps in ms for s in snaps for v in vars(s).values() if isinstance(v, np.ndarray))

    while len(moments) > 2 and (size(moments) > TIMELINE_BUDGET_BYTES or len(moments) > MAX_MOMENTS):
        moments = moments[:-1][::2] + moments[-1:]
    return moments


# == reading ==================================================================================
def read_session(path) -> SessionContents:
    """Read, validate and rebuild a session: every run's trainer is built from its stored
    configuration and restored from its stored state.  SessionError on any problem."""
    path = Path(path)
    try:
        manifest, arrays = _read_archive(path)
        return _decode(path, manifest, arrays)
    except SessionError:
        raise
    except (DataError, ValueError, TypeError, KeyError, IndexError, OverflowError) as error:
        raise SessionError(path, str(error) or type(error).__name__) from None
    except MemoryError:
        raise SessionError(path, "not enough memory to read it") from None
    except RecursionError:
        raise SessionError(path, "its manifest is nested too deeply") from None


def _read_archive(path: Path) -> tuple[dict, dict]:
    try:
        size = path.stat().st_size
    except OSError as error:
        raise SessionError(path, f"cannot read it: {error.strerror or error}") from None
    if size > MAX_FILE_BYTES:
        raise SessionError(path, f"it is {size:,} bytes, more than a session file may be ({MAX_FILE_BYTES:,})")
    try:
        with zipfile.ZipFile(path) as archive:
            infos = _checked_members(path, archive)
            manifest_bytes = _read_member(archive, infos[MANIFEST])
            arrays_bytes = _read_member(archive, infos[ARRAYS])
    except zipfile.BadZipFile as error:
        raise SessionError(path, f"not a vdq session file, or a truncated or damaged one "
                                 f"(not a readable zip archive: {error})") from None
    except (OSError, EOFError, zipfile.LargeZipFile, NotImplementedError, RuntimeError) as error:
        raise SessionError(path, f"a damaged session file ({type(error).__name__}: {error})") from None
    try:
        manifest = json.loads(manifest_bytes.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise SessionError(path, f"its manifest is not valid JSON ({error})") from None
    if not isinstance(manifest, dict):
        raise SessionError(path, "its manifest is not a JSON object")
    _check_format(path, manifest)
    try:
        from safetensors.numpy import load as load_arrays

        arrays = load_arrays(arrays_bytes)
    except Exception as error:  # safetensors raises its own error types; nothing runs
        raise SessionError(path, f"its arrays are not a valid safetensors file ({error})") from None
    return manifest, arrays


def _checked_members(path: Path, archive: zipfile.ZipFile) -> dict:
    """The two members, after checking names and declared sizes (nothing is inflated yet)."""
    infos = archive.infolist()
    names = [info.filename for info in infos]
    unexpected = [name for name in names if name not in MEMBERS]
    if unexpected:
        raise SessionError(path, f"not a vdq session file: unexpected member {unexpected[0]!r} "
                                 f"(a session holds only {' and '.join(MEMBERS)})")
    if len(names) != len(set(names)) or set(names) != set(MEMBERS):
        missing = [name for name in MEMBERS if name not in names]
        raise SessionError(path, f"not a vdq session file: {'member ' + missing[0] + ' is missing' if missing else 'a member appears twice'}")
    limits = {MANIFEST: MAX_MANIFEST_BYTES, ARRAYS: MAX_ARRAYS_BYTES}
    for info in infos:
        if info.flag_bits & 0x1:
            raise SessionError(path, f"{info.filename} is encrypted")
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise SessionError(path, f"{info.filename} uses an unsupported compression")
        if info.file_size > limits[info.filename]:
            raise SessionError(path, f"{info.filename} declares {info.file_size:,} bytes, more than "
                                     f"{limits[info.filename]:,} (refused: it could exhaust memory)")
        if info.file_size > MAX_RATIO * max(info.compress_size, 1) + 4096:
            raise SessionError(path, f"{info.filename} would inflate {info.file_size / max(info.compress_size, 1):,.0f} "
                                     f"times (a zip bomb?); refused")
    return {info.filename: info for info in infos}


def _read_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes:
    """At most the declared size (zipfile stops there and checks the CRC at the end)."""
    with archive.open(info) as member:
        data = member.read(info.file_size + 1)
    if len(data) != info.file_size:
        raise zipfile.BadZipFile(f"{info.filename} is not the size it declares")
    return data


def _check_format(path: Path, manifest: dict) -> None:
    if manifest.get("format") != FORMAT:
        raise SessionError(path, "not a vdq session file (its manifest does not say format \"vdq-session\")")
    version = manifest.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise SessionError(path, f"format version {version!r} is not a version number")
    if version > VERSION:
        raise SessionError(path, f"written by a newer vdq-gui (format version {version}); "
                                 f"this one reads version {VERSION}")


def _require(value, kind, what: str):
    if isinstance(value, bool) and kind is not bool or not isinstance(value, kind):
        raise ValueError(f"{what} has the wrong type ({type(value).__name__})")
    return value


def _decode(path: Path, manifest: dict, arrays: dict) -> SessionContents:
    from vdq_gui.training import trainer_state
    from vdq_gui.training.trainer import Trainer

    unknown = sorted(set(manifest) - {"format", "version", "data", "runs", "timeline", "view"})
    if unknown:
        raise ValueError(f"unexpected manifest field {unknown[0]!r}")
    data = _decode_data(_require(manifest.get("data"), dict, "the data description"), arrays)
    runs_in = _require(manifest.get("runs"), list, "the list of runs")
    if not 1 <= len(runs_in) <= MAX_RUNS:
        raise ValueError(f"a session holds 1 to {MAX_RUNS} runs, not {len(runs_in)}")
    known = {"data/values"}
    runs = []
    for index, run in enumerate(runs_in):
        run = _require(run, dict, f"run {index + 1}")
        config = _decode_config(_require(run.get("config"), dict, f"run {index + 1}'s configuration"))
        prefix = f"run{index}/"
        state = trainer_state.TrainerState(_require(run.get("trainer"), dict, f"run {index + 1}'s trainer state"),
                                           {k[len(prefix):]: v for k, v in arrays.items() if k.startswith(prefix)})
        known.update(k for k in arrays if k.startswith(prefix))
        spec = RunSpec(data, config)
        try:
            trainer = Trainer(data, config)
            trainer_state.restore(trainer, state)
        except ValueError as error:
            raise ValueError(f"run {index + 1} ({config.dequantizer}): {error}") from None
        runs.append(SavedRun(spec, state, trainer))
    timeline = _decode_timeline(_require(manifest.get("timeline", []), list, "the timeline"), runs, arrays, known)
    extra = sorted(set(arrays) - known)
    if extra:
        raise ValueError(f"unexpected array {extra[0]!r}")
    view = _require(manifest.get("view", {}), dict, "the view")
    selected = _require(view.get("selected_bin", 0), int, "the selected bin")
    return SessionContents(data, runs, timeline, {"selected_bin": min(max(0, selected), data.levels - 1)}, str(path))


def _decode_data(described: dict, arrays: dict) -> DiscreteData:
    kind = _require(described.get("kind"), str, "the data kind")
    levels = _require(described.get("levels"), int, "the number of levels")
    shape = _require(described.get("shape"), list, "the data shape")
    if kind not in ("1d", "images") or not 2 <= levels <= 1 << 16:
        raise ValueError(f"data of kind {kind!r} with {levels} levels is not supported")
    if not all(isinstance(s, int) and not isinstance(s, bool) and s >= 1 for s in shape) \
            or len(shape) != (1 if kind == "1d" else 4) or math.prod(shape) > MAX_DATA_VALUES:
        raise ValueError(f"data shape {shape} is not a valid {kind} shape")
    values = arrays.get("data/values")
    if values is None:
        raise ValueError("the data's values are missing")
    if values.dtype != np.dtype(_values_dtype(levels)) or list(values.shape) != shape:
        raise ValueError(f"the data's values are {values.dtype} shaped {list(values.shape)}, "
                         f"the manifest says {np.dtype(_values_dtype(levels))} shaped {shape}")
    values = values.astype(np.int64)
    digest = _require(described.get("sha256"), str, "the data hash")
    if data_hash(values) != digest:
        raise ValueError("the data's values do not match their sha256 (the file was altered or damaged)")
    notes = _require(described.get("notes", []), list, "the data notes")
    return DiscreteData(values, levels, kind, origin=float(_require(described.get("origin", 0.0), (int, float), "origin")),
                        step=float(_require(described.get("step", 1.0), (int, float), "the value step")),
                        name=_require(described.get("name", ""), str, "the data name"),
                        source=_require(described.get("source", ""), str, "the data source"),
                        notes=tuple(_require(n, str, "a data note") for n in notes))


def _decode_config(stored: dict) -> TrainConfig:
    fields = {f.name: f for f in dataclasses.fields(TrainConfig)}
    defaults = TrainConfig()
    unknown = sorted(set(stored) - set(fields))
    if unknown:
        raise ValueError(f"unknown training setting {unknown[0]!r}")
    values = {}
    for name, value in stored.items():
        default = getattr(defaults, name)
        if value is None:
            if default is not None:
                raise ValueError(f"training setting {name!r} may not be empty")
        elif isinstance(default, float) or name == "learning_rate":
            value = float(_require(value, (int, float), f"training setting {name!r}"))
        elif isinstance(default, str):
            _require(value, str, f"training setting {name!r}")
        else:  # ints, and the int-or-None settings
            _require(value, int, f"training setting {name!r}")
        if name in CONFIG_LIMITS and value is not None and value > CONFIG_LIMITS[name]:
            raise ValueError(f"training setting {name}={value} is more than {CONFIG_LIMITS[name]}")
        values[name] = value
    from vdq_gui.models.names import DEQUANTIZERS

    if values.get("dequantizer", defaults.dequantizer) not in DEQUANTIZERS:
        raise ValueError(f"unknown dequantizer {values.get('dequantizer')!r}")
    return TrainConfig(**values)  # checks the ranges


_SCALAR_KINDS = {"step": int, "elapsed_s": float, "kind": str, "dequantizer": str, "is_bound": bool, "levels": int,
                 "origin": float, "value_step": float, "learning_rate": float, "batch_size": int, "metrics": dict,
                 "objective": str, "iw_samples": int, "train_samples": int, "alpha": float, "status": str,
                 "steps_per_s": float, "extra": dict, "history_length": int}
# Arrays a picture may hold with no rows (the window takes pictures without the bound
# ladder while its tab is hidden); every other array has exactly its run's shape.
_MAY_BE_EMPTY = ("iw_ladder_samples", "iw_ladder_per_bin")
_MUST_MATCH = ("kind", "dequantizer", "is_bound", "levels", "origin", "value_step", "objective", "iw_samples",
               "train_samples", "alpha")


def _decode_timeline(moments: list, runs: list, arrays: dict, known: set) -> list:
    if len(moments) > MAX_MOMENTS:
        raise ValueError(f"the timeline holds {len(moments):,} moments, more than {MAX_MOMENTS:,}")
    if not moments:
        return []
    from vdq_gui.training.inspect import snapshot as make_snapshot

    references = [make_snapshot(run.trainer) for run in runs]  # what every picture must look like
    out = []
    for m, moment in enumerate(moments):
        moment = _require(moment, list, f"timeline moment {m}")
        if len(moment) != len(runs):
            raise ValueError(f"timeline moment {m} has {len(moment)} pictures for {len(runs)} runs")
        out.append(tuple(_decode_snapshot(f"timeline moment {m}, run {r + 1}", item, references[r], runs[r].trainer,
                                          arrays, known) for r, item in enumerate(moment)))
    return out


def _decode_snapshot(what: str, item, reference, trainer, arrays: dict, known: set):
    from vdq_gui.training.snapshot import HISTORY_COLUMNS, History, Snapshot

    item = _require(item, dict, what)
    scalars = _require(item.get("scalars"), dict, f"{what}: the scalars")
    names = _require(item.get("arrays"), dict, f"{what}: the arrays")
    values = {}
    for name, kind in _SCALAR_KINDS.items():
        if name not in scalars:
            raise ValueError(f"{what}: {name!r} is missing")
        value = scalars[name]
        value = float(value) if kind is float and isinstance(value, int) and not isinstance(value, bool) else value
        values[name] = _require(value, kind, f"{what}: {name!r}")
    if set(scalars) - set(_SCALAR_KINDS):
        raise ValueError(f"{what}: unexpected field {sorted(set(scalars) - set(_SCALAR_KINDS))[0]!r}")
    for name in _MUST_MATCH:
        if values[name] != getattr(reference, name):
            raise ValueError(f"{what}: {name} {values[name]!r} does not match its run ({getattr(reference, name)!r})")
    if values["extra"] or values["step"] < 0 or len(values["status"]) > 10_000 or not all(
            isinstance(k, str) and isinstance(v, float) for k, v in values["metrics"].items()):
        raise ValueError(f"{what}: invalid step, status, metrics or extra fields")
    length = values.pop("history_length")
    if not 0 <= length <= len(trainer.log):
        raise ValueError(f"{what}: a history of {length} rows, but its run logged {len(trainer.log)}")
    whole = trainer.log.history()  # its lineage lets the timeline share the run's log buffer
    values["history"] = History(*(getattr(whole, c)[:length] for c in HISTORY_COLUMNS), lineage=whole.lineage)
    for item_field in dataclasses.fields(Snapshot):
        expected = getattr(reference, item_field.name)
        if item_field.name in values or item_field.name == "history":
            continue
        if item_field.name not in names:
            raise ValueError(f"{what}: array {item_field.name!r} is missing")
        key = names[item_field.name]
        if expected is None or key is None:
            if expected is not None or key is not None:
                raise ValueError(f"{what}: array {item_field.name!r} does not match its run")
            values[item_field.name] = None
            continue
        value = arrays.get(key) if isinstance(key, str) else None
        empty_allowed = item_field.name in _MAY_BE_EMPTY and value is not None and value.shape[:1] == (0,)
        if value is None or value.dtype != expected.dtype or (
                value.shape != expected.shape and not (empty_allowed and value.shape[1:] == expected.shape[1:])):
            raise ValueError(f"{what}: array {item_field.name!r} is missing or has the wrong dtype or shape")
        known.add(key)
        values[item_field.name] = value
    if set(names) - {f.name for f in dataclasses.fields(Snapshot)}:
        raise ValueError(f"{what}: unexpected array field")
    return Snapshot(**values)


def describe(contents: SessionContents) -> str:
    """One line for status bars: what was opened."""
    names = " vs ".join(run.spec.dequantizer for run in contents.runs)
    steps = contents.runs[0].trainer.step_count if contents.runs[0].trainer is not None else 0
    return f"{Path(contents.path).name}: {contents.data.name or contents.data.source} ({names}), step {steps:,}"


__all__ = ["SessionError", "SessionContents", "SavedRun", "read_session", "write_session", "save_trainers",
           "is_session_path", "data_hash", "describe"]


# == for vdq-train ============================================================================
def check_writable_target(path) -> None:
    """Before training: prove a session can be written there (SessionError if not)."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp"):
            pass
        if path.is_dir():
            raise IsADirectoryError(errno.EISDIR, "it is a folder")
    except OSError as error:
        raise SessionError(path, f"cannot write a session file there: {error.strerror or error}") from None


def resume_one_run(path):
    """The trainer of a one-run session, ready to continue."""
    contents = read_session(path)
    if len(contents.runs) != 1:
        names = ", ".join(run.spec.dequantizer for run in contents.runs)
        raise SessionError(path, f"it holds {len(contents.runs)} runs ({names}, compare mode); vdq-train "
                                 "resumes a one-run session (open this one in vdq-gui)")
    return contents.runs[0].trainer
