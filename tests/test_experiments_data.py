"""experiments/ data audit on fixtures in the released layouts: DISFA / BP4D frame images are never
matched to a neighbour's labels, BP4D's non-FACS columns, AU-DFER / IAL clip rules, py-feat
identities, and ``python -m experiments.run ... --check``.

Layouts: DISFA ``ActionUnit_Labels/<SN>/<SN>_au<n>.txt`` (``frame,intensity``, frames 1..N) and
images ``<SN>/<i>.png`` (0-based line index, ME-GraphAU) or ``<SN>/<frame>.png``; BP4D
``AUCoding/AU_OCC/<S>_<T>.csv`` and ``<S>/<T>/<frame>.jpg``; DFEW ``EmoLabel_DataSplit`` +
``Clip/clip_224x224_16f``; OpenFace 2.x CSV headers (RecorderCSV.cpp); py-feat 2 CSVs
(``frame``, ``Identity``, ``AU01`` ...)."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

pytest.importorskip("sklearn", reason="experiments' metrics need scikit-learn")
pytest.importorskip("PIL")

from experiments import datasets as D  # noqa: E402


def _img(path: Path, value: int):
    """An 8x8 image whose every pixel is ``value`` (so a test can tell which file was read)."""
    from PIL import Image

    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.full((8, 8, 3), value, dtype=np.uint8)).save(path)


def _disfa(root: Path, subjects, n: int = 6, naming: str = "index", drop=(), aus=(1, 2, 4, 6, 9, 12, 25, 26)):
    """DISFA labels where frame f (1..n) has AU1 intensity f % 6 (so labels identify frames)."""
    for s in subjects:
        d = root / "ActionUnit_Labels" / s
        d.mkdir(parents=True, exist_ok=True)
        for au in aus:
            (d / f"{s}_au{au}.txt").write_text("".join(f"{f},{f % 6 if au == 1 else 0}\n" for f in range(1, n + 1)))
        for i in range(n):
            name = i if naming == "index" else i + 1
            if name in drop:
                continue
            _img(root / "images" / s / f"{name}.png", 10 * (i + 1))  # pixel = 10 x frame number


def _disfa_subjects():
    from auknow.library import dataset_descriptor

    desc = dataset_descriptor("disfa")
    return [desc.folds[k][0] for k in (1, 2, 3)]


def test_disfa_missing_image_is_skipped_never_shifted(tmp_path):
    s = _disfa_subjects()[:1]
    _disfa(tmp_path, s, n=6, naming="index", drop=(2,))  # 0-based name 2 = frame 3 is missing
    recs = D.disfa_records(tmp_path, tmp_path / "images", naming="index")
    assert [r.frame for r in recs] == [1, 2, 4, 5, 6]  # frame 3 skipped, not matched to 3.png
    for r in recs:  # every image is the image of its own frame, and carries that frame's label
        assert r.path.stem == str(r.frame - 1)
        assert r.aus[0] == float(r.frame % 6 >= 2)


def test_disfa_naming_detected_once_per_subject_and_reported(tmp_path):
    subs = _disfa_subjects()
    _disfa(tmp_path, subs[:1], n=6, naming="index", drop=(3,))  # has 0.png: index naming
    _disfa(tmp_path, subs[1:2], n=6, naming="frame", drop=(2,))  # has 6.png (= n): frame naming
    audit = D.ImageAudit()
    recs = D.disfa_records(tmp_path, tmp_path / "images", audit=audit)
    by = {r.subject: r for r in recs}
    assert audit.naming == {subs[0]: "index", subs[1]: "frame"}
    assert audit.skipped == {subs[0]: 1, subs[1]: 1} and audit.matched == {subs[0]: 5, subs[1]: 5}
    for r in recs:
        img = D.load_image(r.path, 8, 3)
        assert round(float(img[0, 0, 0]) * 255) == 10 * r.frame  # the frame's own image
    assert by[subs[1]].path.stem == str(by[subs[1]].frame)
    assert "frame" in audit.summary() and "skipped" in audit.summary()


def test_disfa_ambiguous_naming_is_an_error_naming_the_folder(tmp_path):
    s = _disfa_subjects()[:1]
    _disfa(tmp_path, s, n=6, naming="index", drop=(0,))  # 1..5.png: line index or frame number?
    with pytest.raises(D.DatasetError, match=rf"{s[0]}.*data.image_naming"):
        D.disfa_records(tmp_path, tmp_path / "images")
    recs = D.disfa_records(tmp_path, tmp_path / "images", naming="frame")
    assert [r.frame for r in recs] == [1, 2, 3, 4, 5] and all(r.path.stem == str(r.frame) for r in recs)
    _img(tmp_path / "images" / s[0] / "6.png", 1)  # 6 = N: only frame numbering explains it
    with pytest.raises(D.DatasetError, match="6.png exists.*data.image_naming=index"):
        D.disfa_records(tmp_path, tmp_path / "images", naming="index")


def test_disfa_duplicate_image_names_are_an_error(tmp_path):
    s = _disfa_subjects()[:1]
    _disfa(tmp_path, s, n=4)
    _img(tmp_path / "images" / s[0] / "0001.jpg", 3)  # 1.png and 0001.jpg: both frame key 1
    with pytest.raises(D.DatasetError, match="0001.jpg"):
        D.disfa_records(tmp_path, tmp_path / "images", naming="index")


# --------------------------------------------------------------------------- BP4D

def _bp4d(root: Path, header=(0, 1, 2, 3, 4, 12), frames=range(100, 106), subjects=None, tasks=("T1", "T8"),
          value3=5, drop=()):
    """BP4D AU_OCC files: AU1 = frame % 2, column 3 (not a FACS AU) holds ``value3``; images
    ``<S>/<T>/<frame>.jpg`` with pixel value frame - 90 (so the file read is identifiable)."""
    from auknow.library import dataset_descriptor

    desc = dataset_descriptor("bp4d")
    subjects = subjects or [desc.folds[k][0] for k in (1, 2, 3)]
    occ = root / "AUCoding" / "AU_OCC"
    occ.mkdir(parents=True, exist_ok=True)
    for s in subjects:
        for t in tasks:
            rows = [",".join(map(str, header))]
            for fr in frames:
                vals = {0: fr, 1: fr % 2, 3: value3}
                rows.append(",".join(str(vals.get(h, 0)) for h in header))
                if fr not in drop:
                    _img(root / "images" / s / t / f"{fr}.jpg", fr - 90)
            (occ / f"{s}_{t}.csv").write_text("\n".join(rows) + "\n")
    return subjects


def test_bp4d_non_facs_columns_left_out_by_reader_and_runner(tmp_path):
    from auknow.readers import read_bp4d

    _bp4d(tmp_path)  # column 3 holds 5: neither 0/1/9 nor a FACS AU
    got = read_bp4d(tmp_path)
    assert got.aus == ("AU01", "AU02", "AU04", "AU12")
    assert got.source["columns_left_out_not_facs"] == [3]
    sub = read_bp4d(tmp_path, aus=["AU1", "AU12"])
    assert sub.aus == ("AU01", "AU12") and sub.source["columns_left_out_not_requested"] == [2, 4]
    audit = D.ImageAudit()
    recs = D.bp4d_records(tmp_path, tmp_path / "images", ["AU01", "AU02", "AU04", "AU12"], audit=audit)
    assert len(recs) == 3 * 2 * 6 and recs[0].aus.shape == (4,)
    for r in recs:  # AU1 of frame f is f % 2: the runner reads the same column as the reader
        assert r.aus[0] == r.frame % 2
    assert 3 in audit.notes["columns_left_out_not_facs"]
    # a requested AU column with a bad value is still an error naming the file and line
    f = tmp_path / "AUCoding" / "AU_OCC" / sorted((tmp_path / "AUCoding" / "AU_OCC").iterdir())[0].name
    f.write_text(f.read_text().replace("\n101,1,", "\n101,7,"))
    with pytest.raises(D.DatasetError, match=rf"{f.name}:3: .*7 is not 0, 1 or 9"):
        D.bp4d_records(tmp_path, tmp_path / "images", ["AU01"])


def test_bp4d_missing_image_skipped_and_padding_read_as_the_same_frame(tmp_path):
    subs = _bp4d(tmp_path, drop=(102,))
    _img(tmp_path / "images" / subs[0] / "T1" / "3.jpg", 0)  # an uncoded frame's image: ignored, not an error
    p = tmp_path / "images" / subs[0] / "T1" / "103.jpg"
    p.rename(p.with_name("0103.jpg"))  # zero-padded name: still frame 103
    audit = D.ImageAudit()
    recs = D.bp4d_records(tmp_path, tmp_path / "images", ["AU01"], audit=audit)
    assert 102 not in {r.frame for r in recs} and audit.n_skipped == 6 and audit.n_matched == 30
    for r in recs:
        assert round(float(D.load_image(r.path, 8, 3)[0, 0, 0]) * 255) == r.frame - 90
    assert any("102.jpg" in m for m in audit.missing_examples)


# --------------------------------------------------------------------------- clip AU targets

def _of(path: Path, c: np.ndarray, success=None, face_id=None):
    """OpenFace 2.x CSV (RecorderCSV.cpp header with leading spaces) with AU01_c, AU12_c = c[:, 0:2]."""
    hdr = ["frame"] + ([" face_id"] if face_id is not None else []) + [" timestamp", " confidence", " success",
                                                                       " AU01_r", " AU12_r", " AU01_c", " AU12_c"]
    lines = [",".join(hdr)]
    for t, row in enumerate(c):
        ok = 1 if success is None else success[t]
        vals = [t + 1] + ([face_id[t]] if face_id is not None else []) + [0.04 * t, 0.9, ok, 1.0, 1.0, *row]
        lines.append(", ".join(str(v) for v in vals))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n")


def test_au_dfer_fixed_denominator_against_tracked_frames(tmp_path):
    from experiments.targets import clip_targets

    c = np.zeros((16, 2), int)
    c[:8, 0] = 1   # AU01 in 8 of 16 frames: 8/16 >= 0.5 under both rules
    c[:6, 1] = 1   # AU12 in 6 frames, all tracked; 4 untracked frames
    success = [1] * 12 + [0] * 4
    p = tmp_path / "00001.csv"
    _of(p, c, success)
    fixed = clip_targets(p, ["AU01", "AU12"], denominator=16)["0"]
    tracked = clip_targets(p, ["AU01", "AU12"], denominator="tracked")["0"]
    assert fixed.tolist() == [1.0, 0.0]    # AU12: 6 / 16 < 0.5 (AU-DFER)
    assert tracked.tolist() == [1.0, 1.0]  # AU12: 6 / 12 >= 0.5 (tracked frames)
    _of(p, np.zeros((20, 2), int))  # OpenFace run on all frames, not the 16
    with pytest.raises(D.DatasetError, match=r"00001.csv: 20 frames.*clip_224x224_16f"):
        clip_targets(p, ["AU01"], denominator=16)


def test_pyfeat_several_faces_read_per_identity(tmp_path):
    from experiments.targets import attach_clip_targets, clip_targets

    rows = ["frame,FaceScore,AU01,AU12,Identity"]
    for t in range(4):  # Person_0 smiles in every frame; Person_1 (2 frames) never
        rows.append(f"{t},0.99,0.1,0.9,Person_0")
        if t < 2:
            rows.append(f"{t},0.95,0.8,0.1,Person_1")
    p = tmp_path / "pf" / "00002.csv"
    p.parent.mkdir()
    p.write_text("\n".join(rows) + "\n")
    t = clip_targets(p, ["AU01", "AU12"], detector="pyfeat")
    assert t["Person_0"].tolist() == [0.0, 1.0] and t["Person_1"].tolist() == [1.0, 0.0]
    rec = D.ClipRecord("00002", [], 0)
    rep = attach_clip_targets([rec], tmp_path / "pf", ["AU01", "AU12"], detector="pyfeat")
    assert rep.several_identities == 1 and rec.au_target.tolist() == [0.0, 1.0]  # the face in most frames


def test_ial_rule_drops_short_clips_in_the_runner(tmp_path):
    from experiments.run import dfer_records, load_config

    root = tmp_path / "DFEW"
    for split, ids in (("train", (1, 2, 3)), ("test", (4, 5))):
        f = root / "EmoLabel_DataSplit" / f"{split}(single-labeled)" / "set_1.csv"
        f.parent.mkdir(parents=True, exist_ok=True)
        f.write_text("video_name,label\n" + "".join(f"{i},1\n" for i in ids))
    for i in range(1, 6):
        for t in range(15 if i in (2, 5) else 16):
            (root / "Clip" / "clip_224x224" / f"{i:05d}").mkdir(parents=True, exist_ok=True)
            (root / "Clip" / "clip_224x224" / f"{i:05d}" / f"{t}.jpg").write_bytes(b"")
    cfg = load_config(REPO / "experiments" / "configs" / "dfew_ial.yaml")
    logs = []
    tr, te, _, info = dfer_records(cfg, root, 1, None, logs.append)
    assert [r.clip_id for r in tr] == ["00001", "00003"] and [r.clip_id for r in te] == ["00004"]
    assert info["dropped_short_train"] == ["00002"] and any("IAL" in s for s in logs)


# --------------------------------------------------------------------------- --check

def test_check_reads_everything_and_names_missing_files(tmp_path, capsys):
    from experiments.run import main

    subs = _disfa_subjects()
    for k, s in enumerate(subs):
        _disfa(tmp_path, [s], n=6, naming="index", drop=(2,) if k == 0 else ())
    cfg = str(REPO / "experiments" / "configs" / "disfa_gnn.yaml")
    tiny = ["data.image_size=16", "model.width=4", "model.dim=8", "model.au_dim=4", "train.batch_size=4",
            "train.workers=0"]
    rc = main([cfg, "--root", str(tmp_path), "--images", str(tmp_path / "images"), "--check", "--check-batches", "1",
               "--set", *tiny])
    out = capsys.readouterr().out
    assert rc == 0, out
    assert "17 labelled frames matched, 1 skipped" in out and f"{subs[0]}/2.png" in out  # first missing path
    assert "AU occurrence rates (train)" in out and "min per epoch" in out and "fold 3: test" in out
    assert "check passed" in out
    import shutil

    shutil.rmtree(tmp_path / "images" / subs[1])  # a whole subject's images gone: an error naming it
    rc = main([cfg, "--root", str(tmp_path), "--images", str(tmp_path / "images"), "--check", "--set", *tiny])
    err = capsys.readouterr().err
    assert rc == 2 and str(tmp_path / "images" / subs[1]) in err and err.count("\n") == 1


def test_check_dfew_counts_classes_and_missing_openface(tmp_path, capsys):
    from experiments.run import main

    root = tmp_path / "DFEW"
    for split, ids in (("train", range(1, 8)), ("test", range(8, 10))):
        f = root / "EmoLabel_DataSplit" / f"{split}(single-labeled)" / "set_1.csv"
        f.parent.mkdir(parents=True, exist_ok=True)
        f.write_text("video_name,label\n" + "".join(f"{i},{(i % 7) + 1}\n" for i in ids))
    for i in range(1, 10):
        for t in range(16):
            _img(root / "Clip" / "clip_224x224_16f" / f"{i:05d}" / f"{t}.jpg", t)
        if i != 9:
            c = np.zeros((16, 2), int)
            c[:10, 1] = 1 if i % 2 else 0
            _of(tmp_path / "of" / f"{i:05d}.csv", c)
    cfg = str(REPO / "experiments" / "configs" / "dfew_au_loss.yaml")
    tiny = ["folds=[1]", "data.image_size=8", "data.num_frames=2", "model.width=4", "model.dim=8",
            "train.batch_size=2", "train.workers=0", "prior.aus=[AU01,AU12]"]
    rc = main([cfg, "--root", str(root), "--openface", str(tmp_path / "of"), "--check", "--set", *tiny])
    cap = capsys.readouterr()
    assert rc == 2 and "00009.csv" in cap.err  # test clip 9 has no OpenFace file: named
    assert "train 7 clips (happiness 1, sadness 1" in cap.out
    assert "AU12 57%" in cap.out  # clips 1, 3, 5, 7 of 7: AU12 in 10/16 frames
