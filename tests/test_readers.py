"""Reader tests: every reader on fixture files written from a known generator, read back exactly;
layout variants; and each bad-input case gives a DataError naming the file (and line)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from auknow.errors import DataError
from auknow.readers import (MISSING, bundled_ckplus_path, read_bp4d, read_ckplus, read_dataset, read_disfa,
                            read_openface, read_pyfeat, read_tidy_csv)

from fixtures import (OPENFACE_C, OPENFACE_R, PYFEAT_AUS, PYFEAT_EMOTIONS,
                      make_ckplus, write_bp4d, write_ckplus_csv, write_ckplus_release, write_csv, write_disfa,
                      write_openface, write_pyfeat, write_tidy)


def raises_at(fn, path, line=None, match=None) -> DataError:
    """Call ``fn``; it must raise DataError naming ``path`` (and ``path:line:``), containing ``match``."""
    with pytest.raises(DataError) as info:
        fn()
    text = str(info.value)
    assert str(path) in text, text
    if line is not None:
        assert f"{path}:{line}:" in text, text
        assert info.value.line == line
    if match is not None:
        assert match in text, text
    assert "\n" not in text
    return info.value


# --- BP4D -------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def bp4d(tmp_path_factory):
    return write_bp4d(tmp_path_factory.mktemp("bp4d") / "BP4D", seed=1)


def test_bp4d_reads_back_exactly(bp4d):
    got = read_bp4d(bp4d.root, intensity=True)
    assert got.aus == bp4d.aus
    assert np.array_equal(got.occurrence, bp4d.occurrence)
    assert np.array_equal(got.intensity, bp4d.intensity, equal_nan=True)
    assert got.subject.tolist() == bp4d.subject.tolist()
    assert got.sequence.tolist() == bp4d.sequence.tolist()
    assert np.array_equal(got.frame, bp4d.frame)
    assert got.expression.tolist() == bp4d.expression.tolist()
    # 9 -> MISSING; AU columns never coded dropped; AU27 coded in one file only is kept
    assert (got.occurrence == MISSING).any() and "AU05" not in got.aus and "AU27" in got.aus
    assert (got.occurrence[:, got.aus.index("AU27")] == MISSING).mean() > 0.8
    assert "AU05" in got.source["uncoded_aus_dropped"]
    assert got.source["files_read"] == len(bp4d.files) == 24 - len(bp4d.missing_files)
    assert got.source["intensity_frames_without_occurrence"] == bp4d.extra_intensity_frames
    assert got.source["intensity_files_read"] == bp4d.intensity_files
    assert not any(s in got.sequence for s in bp4d.missing_files)
    # without intensity=True no intensities
    assert read_bp4d(bp4d.root).intensity is None


@pytest.mark.parametrize("sub", ["", "AUCoding", "AUCoding/AU_OCC"])
def test_bp4d_root_variants(bp4d, sub):
    got = read_bp4d(bp4d.root / sub if sub else bp4d.root)
    assert np.array_equal(got.occurrence, bp4d.occurrence) and got.aus == bp4d.aus


def test_bp4d_task_map_and_au_subset(bp4d):
    tmap = {"T1": "happy", "T2": "sad", "T3": "surprised", "T4": "shame", "T5": "afraid", "T6": "pain",
            "T7": "angry", "T8": "disgusted"}
    got = read_bp4d(bp4d.root, task_map=tmap, aus=["AU12", 1, "au_6"])
    assert got.aus == ("AU01", "AU06", "AU12")
    cols = [bp4d.aus.index(a) for a in got.aus]
    assert np.array_equal(got.occurrence, bp4d.occurrence[:, cols])
    expected = np.where(bp4d.expression == "embarrassment", "shame", bp4d.expression)
    assert got.expression.tolist() == expected.tolist()
    raises_at(lambda: read_bp4d(bp4d.root, task_map={"T1": "happy"}), bp4d.files[1], match="task T2")
    raises_at(lambda: read_bp4d(bp4d.root, aus=["AU05"]), bp4d.root / "AUCoding" / "AU_OCC", match="AU05")


GOOD_OCC = "0,1,2,4,12\n10,0,1,0,1\n11,1,1,9,0\n"


def _bp4d_tree(root: Path, text: str, name: str = "F001_T1.csv") -> Path:
    occ = root / "AUCoding" / "AU_OCC"
    occ.mkdir(parents=True)
    (occ / "F002_T1.csv").write_text(GOOD_OCC)
    path = occ / name
    path.write_text(text)
    return path


@pytest.mark.parametrize("text,line,match", [
    ("0,1,2,4,12\n10,0,1,0,1\n11,1,1,0\n", 3, "4 cells, expected 5"),
    ("0,1,2,4,12\n10,0,1,0,1\n\n11,1,2,0,0\n", 4, "AU2): 2 is not 0, 1 or 9"),
    ("0,1,2,4,12\n10,0,1,0,1\n11,1,x,0,0\n", 3, "'x' is not a number"),
    ("0,1,2,4,12\n10,0,1,0,1\n11,1,1,0,0\n10,0,0,0,0\n", 4, "frame 10 appears more than once"),
    ("0,1,2,AU4\n10,0,1,0\n", 1, "header row of column numbers"),
    ("0,1,2,4,12\n", None, "no frames"),
])
def test_bp4d_errors_name_file_and_line(tmp_path, text, line, match):
    path = _bp4d_tree(tmp_path, text)
    raises_at(lambda: read_bp4d(tmp_path), path, line, match)


def test_bp4d_placeholder_columns_and_unknown_task(tmp_path):
    _bp4d_tree(tmp_path, "0,1,3,12\n5,1,9,0\n6,0,9,1\n")  # column 3 (no FACS AU) never coded: ignored
    got = read_bp4d(tmp_path)
    assert got.aus == ("AU01", "AU02", "AU04", "AU12")
    path = tmp_path / "AUCoding" / "AU_OCC" / "F003_T9.csv"
    path.write_text(GOOD_OCC)
    raises_at(lambda: read_bp4d(tmp_path), path, match="task T9 is not in the task map")


def test_bp4d_intensity_errors(tmp_path):
    _bp4d_tree(tmp_path, GOOD_OCC)
    adir = tmp_path / "AUCoding" / "AU_INT" / "AU12"
    adir.mkdir(parents=True)
    path = adir / "F001_T1_AU12.csv"
    path.write_text("10,3\n11,7\n")
    raises_at(lambda: read_bp4d(tmp_path, intensity=True), path, 2, "7 is not 0-5 or 9")
    path.write_text("10,3\n11,9\n")
    got = read_bp4d(tmp_path, intensity=True)
    rows = got.sequence == "F001_T1"
    assert np.array_equal(got.intensity[rows, got.aus.index("AU12")], [3, np.nan], equal_nan=True)
    assert np.isnan(got.intensity[:, got.aus.index("AU01")]).all()


def test_bp4d_missing_and_empty_folders(tmp_path):
    raises_at(lambda: read_bp4d(tmp_path / "nope"), tmp_path / "nope", match="no such file or folder")
    (tmp_path / "AUCoding" / "AU_OCC").mkdir(parents=True)
    raises_at(lambda: read_bp4d(tmp_path), tmp_path, match="no BP4D label files found")
    raises_at(lambda: read_bp4d(tmp_path / "AUCoding"), tmp_path / "AUCoding", match="no BP4D label files")


# --- DISFA ------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def disfa(tmp_path_factory):
    return write_disfa(tmp_path_factory.mktemp("disfa") / "DISFA", seed=2)


@pytest.mark.parametrize("threshold", [2, 1, 4.5])
def test_disfa_reads_back_exactly(disfa, threshold):
    got = read_disfa(disfa.root, threshold=threshold)
    assert got.aus == disfa.aus
    assert np.array_equal(got.occurrence, disfa.occurrence(threshold))
    assert np.array_equal(got.intensity, disfa.intensity, equal_nan=True)
    assert got.subject.tolist() == disfa.subject.tolist() == got.sequence.tolist()
    assert np.array_equal(got.frame, disfa.frame)
    assert got.expression is None
    assert got.source["threshold"] == threshold and got.source["missing_label_files"] == disfa.missing_files
    j = got.aus.index("AU09")
    assert (got.occurrence[got.subject == "SN002", j] == MISSING).all()
    assert (got.occurrence[got.subject == "SN001", j] != MISSING).all()


def test_disfa_threshold_matters(disfa):
    # intensity 1 is present at threshold 1 but absent at threshold 2
    assert (read_disfa(disfa.root, threshold=1).occurrence == 1).sum() > (read_disfa(disfa.root).occurrence == 1).sum()


def test_disfa_with_expressions_makes_labelled_episodes(disfa):
    got = read_disfa(disfa.root / "ActionUnit_Labels", expressions=disfa.expressions_csv)
    keep = disfa.label != ""
    assert np.array_equal(got.occurrence, disfa.occurrence(2)[keep])
    assert got.expression.tolist() == disfa.label[keep].tolist()
    assert got.sequence.tolist() == disfa.episodes().tolist()
    assert got.source["frames_dropped_unlabelled"] == int((~keep).sum()) > 0
    assert got.source["labels_without_frames"] == disfa.labels_without_frames
    # each episode is one subject and one expression
    for seq in np.unique(got.sequence):
        rows = got.sequence == seq
        assert len(set(got.expression[rows])) == 1 and len(set(got.subject[rows])) == 1


def test_disfa_root_variants(disfa):
    a = read_disfa(disfa.root)
    b = read_disfa(disfa.root / "ActionUnit_Labels")
    assert np.array_equal(a.occurrence, b.occurrence) and a.subject.tolist() == b.subject.tolist()


def _disfa_tree(root: Path, text: str) -> Path:
    sdir = root / "ActionUnit_Labels" / "SN001"
    sdir.mkdir(parents=True)
    (sdir / "SN001_au1.txt").write_text("0,0\n1,2\n2,3\n")
    path = sdir / "SN001_au2.txt"
    path.write_text(text)
    return path


@pytest.mark.parametrize("text,line,match", [
    ("0,0\n1,6\n2,0\n", 2, "intensity 6 is outside 0-5"),
    ("0,0\n1,two\n2,0\n", 2, "'two' is not a number"),
    ("0,0\n1,1,1\n2,0\n", 2, "3 cells, expected 2"),
    ("0,0\n1,1\n1,0\n", 3, "frame 1 appears more than once"),
    ("0,0\n-1,1\n", 2, "not a frame number"),
])
def test_disfa_errors_name_file_and_line(tmp_path, text, line, match):
    path = _disfa_tree(tmp_path, text)
    raises_at(lambda: read_disfa(tmp_path), path, line, match)


def test_disfa_structure_errors(tmp_path):
    raises_at(lambda: read_disfa(tmp_path / "none"), tmp_path / "none", match="no such file or folder")
    (tmp_path / "ActionUnit_Labels").mkdir()
    raises_at(lambda: read_disfa(tmp_path), tmp_path, match="no DISFA label files found")
    _disfa_tree(tmp_path / "x", "0,1\n1,1\n2,1\n")
    (tmp_path / "x" / "ActionUnit_Labels" / "SN009").mkdir()
    raises_at(lambda: read_disfa(tmp_path / "x"), tmp_path / "x" / "ActionUnit_Labels" / "SN009",
              match="subject SN009 has no frames")


@pytest.mark.parametrize("rows,line,match", [
    ([["SN001", 0, "happy"], ["SN001", 1, "glee"]], 3, "unknown expression 'glee'"),
    ([["SN001", 0, "happy"], ["SN001", 0, "sad"]], 3, "appears twice"),
    ([["SN001", 0, "happy"], ["SN077", 1, "sad"]], 3, "subject SN077 has no frames"),
    ([["SN001", "1.5", "happy"]], 2, "not a frame number"),
])
def test_disfa_expression_file_errors(tmp_path, rows, line, match):
    _disfa_tree(tmp_path, "0,0\n1,1\n2,0\n")
    path = write_csv(tmp_path / "labels.csv", ["subject", "frame", "expression"], rows)
    raises_at(lambda: read_disfa(tmp_path, expressions=path), path, line, match)
    bad = write_csv(tmp_path / "bad.csv", ["subject", "expression"], [["SN001", "happy"]])
    raises_at(lambda: read_disfa(tmp_path, expressions=bad), bad, 1, "expected columns subject, frame")


# --- CK+ --------------------------------------------------------------------------------------
def test_bundled_ckplus():
    got = read_ckplus(bundled_ckplus_path())
    assert len(got) == 327 and len(got.subjects) == 118 and len(got.aus) == 23
    assert set(got.expression) == {"anger", "contempt", "disgust", "fear", "happiness", "sadness", "surprise"}
    assert set(np.unique(got.occurrence)) <= {0, 1} and (got.frame == 0).all()
    assert got.source["dataset"] == "ckplus" and "10.1109/CVPRW.2010.5543262" in got.source["reference"]
    assert len(set(got.sequence)) == 327


def test_ckplus_layouts_agree(tmp_path):
    seqs = make_ckplus(n_subjects=6, seed=3)
    write_ckplus_release(tmp_path / "CK+", seqs)
    write_ckplus_csv(tmp_path / "ck.csv", seqs)
    rel = read_ckplus(tmp_path / "CK+")
    tidy = read_ckplus(tmp_path / "ck.csv")
    labelled = [q for q in seqs if q.emotion is not None]
    assert len(rel) == len(tidy) == len(labelled) < len(seqs)
    assert rel.aus == tidy.aus
    a, b = np.argsort(rel.sequence), np.argsort(tidy.sequence)
    assert np.array_equal(rel.occurrence[a], tidy.occurrence[b])
    assert rel.expression[a].tolist() == tidy.expression[b].tolist()
    assert rel.subject[a].tolist() == tidy.subject[b].tolist()
    by_video = {q.video: q for q in labelled}
    for i, video in enumerate(rel.sequence):
        q = by_video[video]
        assert rel.frame[i] == q.peak and rel.expression[i] == q.emotion
        for j, au in enumerate(rel.aus):
            n = int(au[2:])
            want = 0.0 if n not in q.aus else (np.nan if q.aus[n] == 0 else q.aus[n])
            assert np.array_equal(rel.intensity[i, j], want, equal_nan=True)
    assert (tidy.frame == 0).all()
    assert read_dataset("ckplus", tmp_path / "ck.csv").source["layout"] == "tidy csv"


def test_ckplus_errors(tmp_path):
    seqs = make_ckplus(n_subjects=2, seed=4)
    write_ckplus_release(tmp_path, seqs)
    q = next(q for q in seqs if q.emotion is not None)
    stem = f"{q.video}_{q.peak:08d}"
    emo = tmp_path / "Emotion" / q.subject / q.video[-3:] / f"{stem}_emotion.txt"
    facs = tmp_path / "FACS" / q.subject / q.video[-3:] / f"{stem}_facs.txt"
    emo.write_text("   9.0000000e+00\n")
    raises_at(lambda: read_ckplus(tmp_path), emo, 1, "emotion code 0-7")
    emo.write_text("   5.0000000e+00\n")
    facs.write_text("   1.0000000e+00   0.0000000e+00\n   twelve   2\n")
    raises_at(lambda: read_ckplus(tmp_path), facs, 2, "two numbers")
    facs.unlink()
    raises_at(lambda: read_ckplus(tmp_path), facs, match="FACS file of this labelled sequence is missing")
    empty = tmp_path / "empty"
    (empty / "Emotion").mkdir(parents=True)
    (empty / "FACS").mkdir()
    raises_at(lambda: read_ckplus(empty), empty / "Emotion", match="no *_emotion.txt")
    dup = write_csv(tmp_path / "dup.csv", ["subject", "video", "emotion", "AU1"],
                    [["S1", "S1_001", "happy", 1], ["S1", "S1_001", "sad", 0]])
    raises_at(lambda: read_ckplus(dup), dup, match="S1_001 appears more than once")


# --- tidy CSV ---------------------------------------------------------------------------------
@pytest.mark.parametrize("spelling", ["AU{n}", "AU{n:02d}", "{n}", "AU{n:02d}_c", "au_{n}", " AU{n:02d}_r"])
def test_tidy_column_spellings(tmp_path, spelling):
    fix = write_tidy(tmp_path / "t.csv", spelling=spelling, seed=5)
    got = read_tidy_csv(fix.path, sequence_col="video", frame_col="frame")
    assert got.aus == fix.aus
    want = np.where(np.isnan(fix.values), MISSING, fix.values).astype(np.int8)
    assert np.array_equal(got.occurrence, want) and (got.occurrence == MISSING).sum() >= 1
    assert got.expression.tolist() == fix.expression
    assert got.subject.tolist() == fix.subject and got.sequence.tolist() == fix.sequence
    assert got.frame.tolist() == fix.frame
    assert got.source["ignored_columns"] == ["age", "note"] and got.intensity is None


def test_tidy_default_sequences_and_no_expression(tmp_path):
    fix = write_tidy(tmp_path / "t.csv", seed=6)
    got = read_tidy_csv(fix.path, expression_col=None)
    assert got.expression is None
    assert got.sequence.tolist() == [f"{s}_row{i + 2}" for i, s in enumerate(fix.subject)]
    assert (got.frame == 0).all()
    assert got.source["ignored_columns"] == ["video", "frame", "expression", "age", "note"]


def test_tidy_intensities_with_threshold(tmp_path):
    fix = write_tidy(tmp_path / "t.csv", seed=7, intensities=True)
    got = read_tidy_csv(fix.path, threshold=3)
    want = np.where(np.isnan(fix.values), MISSING, fix.values >= 3).astype(np.int8)
    assert np.array_equal(got.occurrence, want)
    assert np.array_equal(got.intensity, fix.values.astype(np.float32), equal_nan=True)
    assert got.source["threshold"] == 3
    line = 2 + int(np.argmax((np.nan_to_num(fix.values) > 1).any(axis=1)))
    raises_at(lambda: read_tidy_csv(fix.path), fix.path, line, "is not 0, 1 or empty")


def test_tidy_facs_string_column(tmp_path):
    path = write_csv(tmp_path / "f.csv", ["subject", "expression", "facs", "note"], [
        ["P1", "surprise", "1+2+5B+26", "x"],
        ["P1", "happy", "L12A+6", "y"],
        ["P2", "neutral", "", "z"],
        ["P2", "sad", "NA", "w"],
        ["P3", "neutral", "0", "v"],
    ])
    got = read_tidy_csv(path, facs_col="facs")
    assert got.aus == ("AU01", "AU02", "AU05", "AU06", "AU12", "AU26")
    assert got.occurrence.tolist() == [[1, 1, 1, 0, 0, 1], [0, 0, 0, 1, 1, 0], [0] * 6, [-1] * 6, [0] * 6]
    assert np.array_equal(got.intensity[0], [np.nan, np.nan, 2, 0, 0, np.nan], equal_nan=True)
    assert got.intensity[1, 4] == 1
    assert got.expression.tolist() == ["surprise", "happiness", "neutral", "sadness", "neutral"]
    bad = write_csv(tmp_path / "g.csv", ["subject", "expression", "facs"], [["P1", "happy", "6+12"],
                                                                            ["P1", "happy", "6+12Q"]])
    raises_at(lambda: read_tidy_csv(bad, facs_col="facs"), bad, 3, "12Q")


@pytest.mark.parametrize("header,rows,line,match,kw", [
    (["subject", "expression", "AU1", "AU99"], [["P1", "happy", "1", "0"]], 1, "unknown AU column 'AU99'", {}),
    (["id", "expression", "AU1"], [["P1", "happy", "1"]], 1, "no column 'subject'", {}),
    (["subject", "expression", "AU1"], [["P1", "happy", "1"], ["P1", "gleeful", "0"]], 3, "unknown expression", {}),
    (["subject", "expression", "AU1"], [["P1", "happy", "1"], ["P1", "happy", "yes"]], 3, "'yes' is not a number", {}),
    (["subject", "expression", "AU1"], [["P1", "happy", "1"], ["P1", "happy"]], 3, "2 cells, expected 3", {}),
    (["subject", "expression", "AU1"], [["P1", "happy", "1"], ["", "happy", "0"]], 3, "empty subject", {}),
    (["subject", "expression", "AU1"], [["P1", "happy", "7"]], 2, "outside the intensity range 0-5",
     {"threshold": 2}),
    (["subject", "video", "frame", "expression", "AU1"],
     [["P1", "v", "0", "happy", "1"], ["P1", "v", "1", "happy", "1"], ["P1", "v", "0", "happy", "0"]], 4,
     "frame 0 of sequence v appears more than once", {"sequence_col": "video", "frame_col": "frame"}),
    (["subject", "expression", "AU12L"], [["P1", "happy", "1"]], 1, "one side", {}),
    (["subject", "expression", "AU12_c", "AU12_r"], [["P1", "happy", "1", "2"]], 1, "two columns", {}),
])
def test_tidy_errors(tmp_path, header, rows, line, match, kw):
    path = write_csv(tmp_path / "bad.csv", header, rows)
    raises_at(lambda: read_tidy_csv(path, **kw), path, line, match)


def test_tidy_au_cols_selects(tmp_path):
    path = write_csv(tmp_path / "t.csv", ["subject", "expression", "AU12_c", "AU12_r", "AU06_c"],
                     [["P1", "happy", "1", "2.5", "0"], ["P2", "sad", "0", "0.2", "1"]])
    got = read_tidy_csv(path, au_cols=["AU12_c", "AU06_c"])
    assert got.aus == ("AU06", "AU12") and got.occurrence.tolist() == [[0, 1], [1, 0]]


# --- OpenFace ---------------------------------------------------------------------------------
def test_openface_c_and_r(tmp_path):
    fix = write_openface(tmp_path / "vid01.csv", seed=8)
    ok = fix.success == 1
    got = read_openface(fix.path)
    assert got.aus == tuple(f"AU{a:02d}" for a in OPENFACE_C)
    want = np.where(ok[:, None], fix.c, MISSING)
    assert np.array_equal(got.occurrence, want)
    assert np.array_equal(got.frame, fix.frame) and set(got.sequence) == {"vid01"} == set(got.subject)
    assert np.isnan(got.intensity[:, got.aus.index("AU28")]).all()
    j = got.aus.index("AU12")
    assert np.allclose(got.intensity[ok, j], fix.r[ok, OPENFACE_R.index(12)]) and np.isnan(got.intensity[~ok]).all()
    assert got.source["frames_failed"] == 2 and got.expression is None
    for thr in (1.0, 2.5):
        got = read_openface(fix.path, use="r", threshold=thr)
        assert got.aus == tuple(f"AU{a:02d}" for a in OPENFACE_R)
        want = np.where(ok[:, None], fix.r >= thr, MISSING)
        assert np.array_equal(got.occurrence, want) and got.source["threshold"] == thr


def test_openface_expressions_and_subjects(tmp_path):
    folder = tmp_path / "of"
    folder.mkdir()
    write_openface(folder / "a.csv", seed=9, face_id=False)
    write_openface(folder / "b.csv", seed=10, n_frames=12, failed=())
    got = read_openface(folder, expression="happy", subject="P7")
    assert set(got.expression) == {"happiness"} and set(got.subject) == {"P7"} and len(got) == 42
    labels = write_csv(tmp_path / "labels.csv", ["sequence", "expression"], [["a", "sad"], ["b", "angry"]])
    got = read_openface([folder / "a.csv", folder / "b.csv"], expressions_file=labels)
    assert got.expression[got.sequence == "a"].tolist() == ["sadness"] * 30
    assert set(got.expression[got.sequence == "b"]) == {"anger"}
    short = write_csv(tmp_path / "short.csv", ["subject", "expression"], [["a", "sad"]])
    raises_at(lambda: read_openface(folder, expressions_file=short), short, match="no expression for subject b")
    col = write_openface(tmp_path / "c.csv", seed=11, expression="Surprised")
    assert set(read_openface(col.path).expression) == {"surprise"}
    with pytest.raises(DataError, match="unknown expression 'blissful'"):
        read_openface(col.path, expression="blissful")


def test_openface_errors(tmp_path):
    fix = write_openface(tmp_path / "v.csv", seed=12)
    lines = fix.path.read_text().split("\n")
    header = [h.strip() for h in lines[0].split(",")]
    cells = lines[3].split(", ")
    cells[header.index("AU04_c")] = "0.5"
    lines[3] = ", ".join(cells)
    fix.path.write_text("\n".join(lines))
    raises_at(lambda: read_openface(fix.path), fix.path, 4, "AU04_c: '0.5' is not 0 or 1")
    cells[header.index("AU04_c")] = "1"
    cells[header.index("AU04_r")] = "7.5"
    lines[3] = ", ".join(cells)
    fix.path.write_text("\n".join(lines))
    raises_at(lambda: read_openface(fix.path, use="r"), fix.path, 4, "outside the intensity range 0-5")
    lines[5] = lines[5] + ", 3"
    fix.path.write_text("\n".join(lines))
    raises_at(lambda: read_openface(fix.path), fix.path, 6, "cells, expected")
    only_r = write_csv(tmp_path / "r.csv", ["frame", " success", " AU01_r"], [[1, 1, 0.5]])
    raises_at(lambda: read_openface(only_r), only_r, 1, "no AUxx_c columns")
    raises_at(lambda: read_openface(tmp_path / "missing.csv"), tmp_path / "missing.csv", match="no such file")


# --- py-feat ----------------------------------------------------------------------------------
def test_pyfeat_thresholds(tmp_path):
    fix = write_pyfeat(tmp_path / "clip.csv", seed=13, no_face=(3, 7))
    for thr in (0.5, 0.8):
        got = read_pyfeat(fix.path, threshold=thr, expression="neutral")
        assert got.aus == tuple(f"AU{a:02d}" for a in PYFEAT_AUS)
        want = np.where(np.isnan(fix.aus), MISSING, fix.aus >= thr)
        assert np.array_equal(got.occurrence, want)
        assert (got.occurrence[[3, 7]] == MISSING).all() and got.intensity is None
        assert np.array_equal(got.frame, fix.frame) and set(got.sequence) == {"clip"}
        assert set(got.expression) == {"neutral"}
    assert read_pyfeat(fix.path).expression is None


def test_pyfeat_emotion_argmax(tmp_path):
    fix = write_pyfeat(tmp_path / "clip.csv", seed=14, no_face=(2,), n_frames=40)
    got = read_pyfeat(fix.path, emotion_threshold=0.4)
    face = ~np.isnan(fix.emotions).any(axis=1)
    top = np.where(face, np.nan_to_num(fix.emotions).max(axis=1), 0)
    keep = face & (top >= 0.4)
    assert 0 < keep.sum() < len(keep) - 1
    assert got.frame.tolist() == fix.frame[keep].tolist()
    want = [PYFEAT_EMOTIONS[k] for k in np.nan_to_num(fix.emotions).argmax(axis=1)[keep]]
    assert got.expression.tolist() == want
    assert np.array_equal(got.occurrence, (fix.aus[keep] >= 0.5).astype(np.int8))
    assert got.source["frames_dropped_no_face"] == 1
    assert got.source["frames_dropped_low_emotion"] == int((face & ~keep).sum())


def test_pyfeat_errors(tmp_path):
    fix = write_pyfeat(tmp_path / "clip.csv", seed=15, no_face=())
    text = fix.path.read_text().split("\n")
    header = text[0].split(",")
    cells = text[4].split(",")
    cells[header.index("AU06")] = "1.5"
    text[4] = ",".join(cells)
    fix.path.write_text("\n".join(text))
    raises_at(lambda: read_pyfeat(fix.path), fix.path, 5, "AU06: 1.5 is outside 0-1")
    no_emo = write_csv(tmp_path / "n.csv", ["AU01", "AU12", "frame"], [[0.1, 0.9, 0], [0.2, 0.7, 1]])
    raises_at(lambda: read_pyfeat(no_emo, emotion_threshold=0.5), no_emo, 1, "missing: anger")
    dup = write_csv(tmp_path / "d.csv", ["AU01", "frame"], [[0.1, 0], [0.2, 0]])
    raises_at(lambda: read_pyfeat(dup), dup, 3, "frame 0 appears more than once")
    none = write_csv(tmp_path / "x.csv", ["anger", "frame"], [[0.1, 0]])
    raises_at(lambda: read_pyfeat(none), none, 1, "no AU probability columns")


# --- dispatcher -------------------------------------------------------------------------------
def test_read_dataset_dispatch(tmp_path, bp4d, disfa):
    assert len(read_dataset("bp4d", bp4d.root)) == len(bp4d.frame)
    assert read_dataset("DISFA", disfa.root, threshold=3).source["threshold"] == 3
    assert len(read_dataset("ckplus", bundled_ckplus_path())) == 327
    fix = write_tidy(tmp_path / "t.csv", seed=16)
    assert read_dataset("csv", fix.path).aus == fix.aus
    of = write_openface(tmp_path / "o.csv", seed=17)
    assert read_dataset("openface", [of.path], use="r").source["use"] == "r"
    pf = write_pyfeat(tmp_path / "p.csv", seed=18)
    assert read_dataset("pyfeat", pf.path).source["dataset"] == "pyfeat"
    raises_at(lambda: read_dataset("affectnet", tmp_path), tmp_path, match="unknown dataset kind 'affectnet'")
    with pytest.raises(DataError, match="unknown option"):
        read_dataset("bp4d", bp4d.root, threshold=2)


def test_detector_files_split_by_face_and_input(tmp_path):
    fix = write_openface(tmp_path / "two.csv", seed=19, n_frames=10, failed=())
    lines = fix.path.read_text().split("\n")
    header = [h.strip() for h in lines[0].split(",")]
    fi = header.index("face_id")
    for k in range(1, 11):  # frames 1-5 twice: face 0 then face 1
        cells = lines[k].split(", ")
        cells[0], cells[fi] = str((k - 1) % 5 + 1), str((k - 1) // 5)
        lines[k] = ", ".join(cells)
    fix.path.write_text("\n".join(lines))
    labels = write_csv(tmp_path / "l.csv", ["sequence", "expression"], [["two", "fear"]])
    got = read_openface(fix.path, expressions_file=labels)
    assert got.sequence.tolist() == ["two_face0"] * 5 + ["two_face1"] * 5 == got.subject.tolist()
    assert got.frame.tolist() == [1, 2, 3, 4, 5] * 2 and set(got.expression) == {"fear"}
    pf = tmp_path / "imgs.csv"
    write_csv(pf, ["AU01", "AU12", "input", "frame"], [[0.9, 0.1, "a/img1.jpg", 0], [0.2, 0.8, "a/img2.jpg", 0]])
    got = read_pyfeat(pf)
    assert got.sequence.tolist() == ["imgs_img1", "imgs_img2"] and got.occurrence.tolist() == [[1, 0], [0, 1]]
