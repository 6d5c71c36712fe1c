"""Session files: save -> open -> continue equals an uninterrupted run; crafted files are
refused without running anything; a save that fails midway leaves the old file intact."""

import errno
import json
import os
import pickle
import struct
import zipfile

import numpy as np
import pytest
import torch
from safetensors.numpy import load as load_arrays, save as save_arrays

from vdq_gui.data.dataset import DiscreteData
from vdq_gui.training import session_file
from vdq_gui.training.inspect import snapshot
from vdq_gui.training.session_file import SessionError, read_session, save_trainers
from vdq_gui.training.trainer import TrainConfig, Trainer

TOLERANCE_BPD = 1e-5  # the tolerance on the final bound


pytestmark = pytest.mark.usefixtures("one_torch_thread")  # bit-for-bit comparisons


def resumed_equals_uninterrupted(tmp_path, data, configs, first, second):
    """Train ``first`` steps, save, read back, train ``second`` more; and train
    ``first + second`` at once.  Returns both lists of trainers."""
    straight = [Trainer(data, config) for config in configs]
    for trainer in straight:
        trainer.run(first + second)
    halves = [Trainer(data, config) for config in configs]
    for trainer in halves:
        trainer.run(first)
    path = tmp_path / "half.vdq"
    save_trainers(path, halves)
    del halves  # the rest comes from the file alone
    resumed = [run.trainer for run in read_session(path).runs]
    for trainer in resumed:
        assert trainer.step_count == first
        trainer.run(second)
    for a, b in zip(straight, resumed):
        assert b.step_count == a.step_count == first + second
        final_a, final_b = a.evaluate()["val_bound_bpd"], b.evaluate()["val_bound_bpd"]
        assert abs(final_a - final_b) <= TOLERANCE_BPD, (a.config.dequantizer, final_a, final_b)
        # Not only the final figure: every logged row, every parameter is the same.
        assert np.array_equal(a.log.rows_from(0)[:6], b.log.rows_from(0)[:6], equal_nan=True)
        assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters()))
    return straight, resumed


def test_1d_200_steps_saved_and_200_more_equal_400_uninterrupted(tmp_path, bimodal_small):
    resumed_equals_uninterrupted(tmp_path, bimodal_small, [TrainConfig(dequantizer="variational", seed=4)], 200, 200)


def test_images_resume_exactly(tmp_path, tiny_images):
    config = TrainConfig(dequantizer="variational", seed=1, hidden=8, noise_couplings=1, batch_size=16,
                         eval_every=10, eval_examples=8, iw_samples=2)
    resumed_equals_uninterrupted(tmp_path, tiny_images, [config], 15, 15)


def test_compare_mode_three_runs_in_one_file_resume_exactly(tmp_path, bimodal_small):
    configs = [TrainConfig(dequantizer=name, seed=2, eval_every=20) for name in ("none", "uniform", "variational")]
    _, resumed = resumed_equals_uninterrupted(tmp_path, bimodal_small, configs, 40, 40)
    assert [t.config.dequantizer for t in resumed] == ["none", "uniform", "variational"]


def test_a_session_holds_the_data_its_source_and_hash_settings_and_timeline(tmp_path, bimodal_small):
    trainer = Trainer(bimodal_small, TrainConfig(dequantizer="uniform", seed=7, learning_rate=0.02, components=8))
    pictures = []
    for _ in range(3):
        trainer.run(10)
        pictures.append((snapshot(trainer),))
    save_trainers(tmp_path / "s.vdq", [trainer], timeline=pictures, view={"selected_bin": 5})
    with zipfile.ZipFile(tmp_path / "s.vdq") as archive:
        assert sorted(archive.namelist()) == ["arrays.safetensors", "manifest.json"]
        manifest = json.loads(archive.read("manifest.json"))
    assert manifest["format"] == "vdq-session" and manifest["version"] == 1
    assert manifest["data"]["name"] == "small-bimodal"
    assert manifest["data"]["sha256"] == session_file.data_hash(bimodal_small.values)
    assert manifest["runs"][0]["config"]["seed"] == 7
    contents = read_session(tmp_path / "s.vdq")
    assert np.array_equal(contents.data.values, bimodal_small.values) and contents.data.levels == 16
    assert contents.runs[0].spec.config == trainer.config
    assert contents.runs[0].trainer.learning_rate == 0.02
    assert contents.view == {"selected_bin": 5}
    assert [m[0].step for m in contents.timeline] == [10, 20, 30]
    for (saved,), (read,) in zip(pictures, contents.timeline):
        assert np.array_equal(saved.noise_density, read.noise_density)
        assert np.array_equal(saved.q_density, read.q_density)
        assert saved.metrics == pytest.approx(read.metrics, nan_ok=True)
        assert np.array_equal(saved.history.train_bound, read.history.train_bound)


def test_pictures_without_the_ladder_and_of_other_objectives_come_back(tmp_path, bimodal_small):
    """The window takes pictures without the bound ladder while its tab is hidden, and
    records the objective's M and alpha: both must survive a save."""
    trainer = Trainer(bimodal_small, TrainConfig(dequantizer="variational", seed=3, objective="iw", train_samples=4,
                                                 iw_samples=8))
    trainer.run(5)
    pictures = [(snapshot(trainer, ladder=False),), (snapshot(trainer),)]
    save_trainers(tmp_path / "s.vdq", [trainer], timeline=pictures)
    (thin,), (whole,) = read_session(tmp_path / "s.vdq").timeline
    assert thin.iw_ladder_per_bin.shape == (0, 16) and whole.iw_ladder_per_bin.shape[0] > 0
    assert np.array_equal(whole.iw_ladder_per_bin, pictures[1][0].iw_ladder_per_bin)
    assert (thin.objective, thin.train_samples, thin.iw_samples) == ("iw", 4, 8)
    # a picture's history is a view of its run's log, so the timeline can share the buffer
    assert thin.history.lineage is not None


def test_image_pictures_on_the_timeline_come_back(tmp_path, tiny_images):
    trainer = Trainer(tiny_images, TrainConfig(dequantizer="uniform", hidden=8, batch_size=8, eval_examples=8,
                                               iw_samples=2))
    trainer.run(5)
    picture = snapshot(trainer)
    save_trainers(tmp_path / "images.vdq", [trainer], timeline=[(picture,)])
    (read,), = read_session(tmp_path / "images.vdq").timeline
    assert read.kind == "images" and read.step == 5 and read.y_grid is None
    for name in ("data_images", "sample_images", "dequantized_images", "noise_density"):
        assert np.array_equal(getattr(read, name), getattr(picture, name))


# == crafted and damaged files ================================================================
@pytest.fixture
def good_file(tmp_path, bimodal_small):
    trainer = Trainer(bimodal_small, TrainConfig(dequantizer="variational", seed=0))
    trainer.run(6)
    path = tmp_path / "good.vdq"
    save_trainers(path, [trainer], timeline=[(snapshot(trainer),)])
    return path


def members(path):
    with zipfile.ZipFile(path) as archive:
        return json.loads(archive.read("manifest.json")), load_arrays(archive.read("arrays.safetensors"))


def write_members(path, manifest, arrays, extra=()):
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("manifest.json", json.dumps(manifest))
        archive.writestr("arrays.safetensors", save_arrays(arrays))
        for name, blob in extra:
            archive.writestr(name, blob)
    return path


class Payload:
    """Unpickling this creates a marker file: the proof that code ran."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


def refused(path, *words):
    with pytest.raises(SessionError) as caught:
        read_session(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: "), message
    for word in words:
        assert word in message, message
    return message


def test_the_payloads_are_live(tmp_path):
    """Control: the payload used below really runs when unpickled."""
    marker = tmp_path / "control-marker"
    pickle.loads(pickle.dumps(Payload(marker)))
    assert marker.exists()


def test_a_pickle_renamed_vdq_is_refused_and_runs_nothing(tmp_path):
    marker = tmp_path / "ran"
    path = tmp_path / "evil.vdq"
    path.write_bytes(pickle.dumps(Payload(marker)))
    refused(path, "not a vdq session file")
    assert not marker.exists()


def test_a_torch_save_file_renamed_vdq_is_refused_and_runs_nothing(tmp_path):
    marker = tmp_path / "ran"
    path = tmp_path / "torch.vdq"
    torch.save({"model": torch.zeros(3), "payload": Payload(marker)}, path)
    assert zipfile.is_zipfile(path)  # torch's format is a zip too: the member check refuses it
    refused(path, "unexpected member")
    assert not marker.exists()


def test_a_pickle_in_place_of_the_arrays_runs_nothing(tmp_path, good_file):
    marker = tmp_path / "ran"
    manifest, _ = members(good_file)
    path = tmp_path / "swapped.vdq"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("manifest.json", json.dumps(manifest))
        archive.writestr("arrays.safetensors", pickle.dumps(Payload(marker)))
    refused(path, "safetensors")
    assert not marker.exists()


def test_a_zip_with_unexpected_members_is_refused(tmp_path, good_file):
    manifest, arrays = members(good_file)
    path = write_members(tmp_path / "extra.vdq", manifest, arrays, extra=[("data.pkl", b"\x80\x04N.")])
    refused(path, "unexpected member 'data.pkl'")


def test_a_truncated_file_is_refused(tmp_path, good_file):
    blob = good_file.read_bytes()
    for cut in (len(blob) // 2, len(blob) - 10, 100):
        path = tmp_path / f"cut{cut}.vdq"
        path.write_bytes(blob[:cut])
        refused(path, "truncated")


def test_absurd_or_mismatched_shapes_are_refused(tmp_path, good_file):
    manifest, arrays = members(good_file)
    huge = json.loads(json.dumps(manifest))
    huge["data"]["shape"] = [10**12]
    refused(write_members(tmp_path / "huge.vdq", huge, arrays), "data shape")
    wrong = dict(arrays)
    name = next(k for k in arrays if k.startswith("run0/density/"))
    wrong[name] = np.zeros(100_000, dtype=np.float32)
    refused(write_members(tmp_path / "wrong.vdq", manifest, wrong), name.removeprefix("run0/"), "shape")
    big_model = json.loads(json.dumps(manifest))
    big_model["runs"][0]["config"]["components"] = 10**9
    refused(write_members(tmp_path / "big.vdq", big_model, arrays), "components")
    adam = dict(arrays)
    adam["run0/optimizer/999/exp_avg"] = np.zeros(3, dtype=np.float32)
    refused(write_members(tmp_path / "adam.vdq", manifest, adam), "optimizer/999")


def test_bad_fields_are_refused(tmp_path, good_file):
    manifest, arrays = members(good_file)

    def variant(name, change):
        copy = json.loads(json.dumps(manifest))
        change(copy)
        return write_members(tmp_path / f"{name}.vdq", copy, arrays)

    refused(variant("newer", lambda m: m.update(version=99)), "newer", "version 99")
    refused(variant("format", lambda m: m.update(format="other")), "not a vdq session file")
    refused(variant("seed", lambda m: m["runs"][0]["config"].update(seed="0")), "seed")
    refused(variant("deq", lambda m: m["runs"][0]["config"].update(dequantizer="os.system")), "dequantizer")
    refused(variant("steps", lambda m: m["runs"][0]["trainer"].update(step_count=-1)), "step")
    refused(variant("field", lambda m: m["runs"][0]["trainer"].update(evil=1)), "evil")
    refused(variant("kind", lambda m: m["timeline"][0][0]["scalars"].update(kind="images")), "kind")
    altered = dict(arrays)
    altered["data/values"] = arrays["data/values"].copy()
    altered["data/values"][0] ^= 1
    refused(write_members(tmp_path / "hash.vdq", manifest, altered), "sha256")
    nan = dict(arrays)
    name = next(k for k in arrays if k.startswith("run0/dequantizer/"))
    nan[name] = np.full_like(arrays[name], np.nan)
    refused(write_members(tmp_path / "nan.vdq", manifest, nan), "NaN")


def test_a_zip_bomb_is_refused_before_it_is_inflated(tmp_path, good_file):
    # 1) A member that inflates 1000-fold (64 MB of zeros in ~64 kB).
    manifest, arrays = members(good_file)
    path = tmp_path / "bomb.vdq"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("manifest.json", json.dumps(manifest))
        archive.writestr("arrays.safetensors", bytes(64 << 20))
    assert path.stat().st_size < 1 << 20
    refused(path, "zip bomb")
    # 2) A member declaring a size far beyond the limit (patched into the central directory).
    blob = bytearray(good_file.read_bytes())
    at = blob.find(b"PK\x01\x02")
    while at >= 0:
        name_length = struct.unpack_from("<H", blob, at + 28)[0]
        if bytes(blob[at + 46:at + 46 + name_length]) == b"arrays.safetensors":
            struct.pack_into("<I", blob, at + 24, 0xFFFFFFF0)  # uncompressed size: ~4 GB
        at = blob.find(b"PK\x01\x02", at + 4)
    declared = tmp_path / "declared.vdq"
    declared.write_bytes(bytes(blob))
    refused(declared, "declares 4,294,967,280 bytes")


def test_a_huge_manifest_is_refused(tmp_path, good_file, monkeypatch):
    monkeypatch.setattr(session_file, "MAX_MANIFEST_BYTES", 1000)
    refused(good_file, "manifest.json declares")


def test_not_a_file_or_missing(tmp_path):
    refused(tmp_path / "missing.vdq", "cannot read")
    text = tmp_path / "text.vdq"
    text.write_text("hello")
    refused(text, "not a vdq session file")


# == atomic saving ============================================================================
def test_a_save_interrupted_midway_leaves_the_old_file_intact(tmp_path, good_file, bimodal_small, monkeypatch):
    old = good_file.read_bytes()
    trainer = Trainer(bimodal_small, TrainConfig(dequantizer="uniform", seed=1))
    trainer.run(3)
    real_writestr = zipfile.ZipFile.writestr

    def crash_on_arrays(archive, name, data, *args, **kwargs):
        if name == "arrays.safetensors":
            real_writestr(archive, name, data[:len(data) // 2], *args, **kwargs)  # half written, then:
            raise KeyboardInterrupt  # a crash or Ctrl+C mid-save
        return real_writestr(archive, name, data, *args, **kwargs)

    monkeypatch.setattr(zipfile.ZipFile, "writestr", crash_on_arrays)
    with pytest.raises(KeyboardInterrupt):
        save_trainers(good_file, [trainer])
    assert good_file.read_bytes() == old
    assert sorted(os.listdir(tmp_path)) == ["good.vdq"]  # no temporary file left
    read_session(good_file)  # still a good session


def test_a_full_disk_leaves_the_old_file_intact(tmp_path, good_file, bimodal_small, monkeypatch):
    old = good_file.read_bytes()
    trainer = Trainer(bimodal_small, TrainConfig(dequantizer="uniform", seed=1))

    def full(descriptor):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(session_file.os, "fsync", full)
    with pytest.raises(SessionError) as caught:
        save_trainers(good_file, [trainer])
    assert str(caught.value).startswith(f"{good_file}: could not save") and "No space" in str(caught.value)
    assert good_file.read_bytes() == old
    assert sorted(os.listdir(tmp_path)) == ["good.vdq"]


def test_saving_replaces_the_file_and_survives_reading_again(tmp_path, bimodal_small):
    data = DiscreteData(np.arange(300) % 7, 7, "1d", name="sevens", source="sevens.csv")
    trainer = Trainer(data, TrainConfig(dequantizer="uniform"))
    path = tmp_path / "s.vdq"
    save_trainers(path, [trainer])
    trainer.run(5)
    save_trainers(path, [trainer])
    contents = read_session(path)
    assert contents.runs[0].trainer.step_count == 5 and contents.data.source == "sevens.csv"
    umask = os.umask(0)
    os.umask(umask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~umask  # not the temporary file's private 0600
    assert session_file.describe(contents).startswith("s.vdq: sevens (uniform), step 5")
