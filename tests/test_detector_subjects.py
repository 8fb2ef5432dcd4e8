"""Detector outputs with their real subjects: labels files, file-name patterns, iMotions / FACET,
delimiters, duplicated AU columns, designs where the resampling cannot vary, and DFEW + OpenFace."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest

from auknow.cli import main
from auknow.errors import DataError
from auknow.estimate.design import ResamplingWarning, check_design
from auknow.estimate.prior import estimate_prior
from auknow.readers import MISSING, FileLabels, read_imotions, read_openface
from auknow.readers.csvio import read_delimited
from auknow.readers.filelabels import DFEW_CLASSES

from test_readers import raises_at

DATA = Path(__file__).parent / "data"
IMOTIONS = DATA / "imotions_facet_v6_trimmed.txt"
OPENFACE_C = (1, 2, 4, 5, 6, 7, 9, 10, 12, 14, 15, 17, 20, 23, 25, 26, 28, 45)


def write_clip(path: Path, au: np.ndarray, success=None, sep: str = ", ", aus=OPENFACE_C) -> Path:
    """A minimal OpenFace 2.x CSV: ``frame, success, AUxx_c...`` (leading spaces as OpenFace writes)."""
    n = au.shape[0]
    success = np.ones(n, dtype=int) if success is None else np.asarray(success)
    header = ["frame", "success"] + [f"AU{a:02d}_c" for a in aus]
    lines = [sep.join(header)]
    for i in range(n):
        lines.append(sep.join([str(i + 1), str(int(success[i]))] + [str(int(v)) for v in au[i]]))
    path.write_text("\n".join(lines) + "\n")
    return path


# --- labels files and patterns ------------------------------------------------------------------
def test_labels_file_gives_subject_and_expression(tmp_path):
    rng = np.random.default_rng(0)
    folder = tmp_path / "of"
    folder.mkdir()
    for stem in ("S1_a", "S1_b", "S2_a"):
        write_clip(folder / f"{stem}.csv", rng.random((6, 18)) < 0.3)
    labels = tmp_path / "labels.csv"
    labels.write_text("file,subject,expression\nclips/S1_a.csv,P1,happy\nS1_b,P1,sad\nS2_a.csv,P2,angry\n")
    got = read_openface(folder, labels=labels)
    assert got.subject[got.sequence == "S1_b"].tolist() == ["P1"] * 6
    assert set(got.subject[got.sequence == "S2_a"]) == {"P2"} and got.subjects == ["P1", "P2"]
    assert set(got.expression[got.sequence == "S1_a"]) == {"happiness"}
    assert got.source["subjects_from"].startswith("labels file")
    # an expressions file with sequence + subject columns is a labels file: its subjects are used
    both = tmp_path / "both.csv"
    both.write_text("sequence,subject,expression\nS1_a,P1,happy\nS1_b,P1,sad\nS2_a,P2,angry\n")
    assert read_openface(folder, expressions_file=both).subjects == ["P1", "P2"]
    # subjects only: expressions from a constant
    subj = tmp_path / "subj.csv"
    subj.write_text("sequence,subject\nS1_a,P1\nS1_b,P1\nS2_a,P2\n")
    got = read_openface(folder, labels=subj, expression="fear")
    assert set(got.expression) == {"fear"} and got.subjects == ["P1", "P2"]


def test_name_pattern(tmp_path):
    rng = np.random.default_rng(1)
    folder = tmp_path / "of"
    folder.mkdir()
    for stem in ("S01_happy", "S01_sad", "S02_happy"):
        write_clip(folder / f"{stem}.csv", rng.random((5, 18)) < 0.3)
    got = read_openface(folder, name_pattern=r"(?P<subject>[^_]+)_(?P<expression>\w+)")
    assert got.subject[got.sequence == "S01_sad"].tolist() == ["S01"] * 5
    assert got.expression[got.sequence == "S01_sad"].tolist() == ["sadness"] * 5
    assert got.subjects == ["S01", "S02"]
    write_clip(folder / "odd.csv", rng.random((5, 18)) < 0.3)
    raises_at(lambda: read_openface(folder, name_pattern=r"(?P<subject>[^_]+)_(?P<expression>\w+)"),
              folder / "odd.csv", match="does not match name_pattern=")
    with pytest.raises(DataError, match="not a regular expression"):
        read_openface(folder, name_pattern="(?P<subject>[")
    with pytest.raises(DataError, match="no named group"):
        read_openface(folder, name_pattern=r"(\w+)")


def test_labels_file_errors(tmp_path):
    bad = tmp_path / "l.csv"
    bad.write_text("clip,expression\na,happy\n")
    raises_at(lambda: FileLabels.from_csv(bad), bad, 1, "expected a 'sequence' or 'file' column")
    bad.write_text("sequence,subject,expression\na,P1,happy\na,P2,sad\n")
    raises_at(lambda: FileLabels.from_csv(bad), bad, 3, "'a' appears twice (first on line 2)")
    bad.write_text("sequence,subject\na,P1\nb,\n")
    raises_at(lambda: FileLabels.from_csv(bad), bad, 3, "empty subject for b")
    bad.write_text("sequence,expression\na,blissful\n")
    raises_at(lambda: FileLabels.from_csv(bad), bad, 2, "unknown expression 'blissful'")
    bad.write_text("sequence,notes\na,x\n")
    raises_at(lambda: FileLabels.from_csv(bad), bad, 1, "needs a 'subject' and/or an 'expression' column")
    bad.write_text("video_name,label\n1,3\n2,8\n")
    raises_at(lambda: FileLabels.from_csv(bad), bad, 3, "label 8 is outside 1..7")
    bad.write_text("video_name,label\n1,3\nx,2\n")
    raises_at(lambda: FileLabels.from_csv(bad), bad, 3, "whole numbers")
    rng = np.random.default_rng(2)
    clip = write_clip(tmp_path / "c9.csv", rng.random((4, 18)) < 0.3)
    short = tmp_path / "short.csv"
    short.write_text("sequence,subject\nother,P1\n")
    raises_at(lambda: read_openface(clip, labels=short), short, match="no row for 'c9'")


# --- OpenFace: delimiters and duplicated columns ---------------------------------------------------
def test_semicolon_and_tab_openface_read_the_same(tmp_path):
    rng = np.random.default_rng(3)
    au = rng.random((8, 18)) < 0.4
    ok = [1, 1, 0, 1, 1, 1, 1, 1]
    comma = read_openface(write_clip(tmp_path / "a.csv", au, ok))
    for sep in (";", "\t"):
        other = read_openface(write_clip(tmp_path / f"b{ord(sep)}.csv", au, ok, sep=sep))
        assert np.array_equal(other.occurrence, comma.occurrence) and other.aus == comma.aus
    assert (comma.occurrence[2] == MISSING).all()
    assert np.array_equal(comma.occurrence[[0, 1, 3]], au[[0, 1, 3]].astype(np.int8))


def test_openface_refuses_duplicated_au_columns(tmp_path):
    path = tmp_path / "dup.csv"
    path.write_text("frame, success, AU12_c, AU06_c, AU12_c\n1, 1, 1, 0, 0\n")
    raises_at(lambda: read_openface(path), path, 1, "AU12 appears in two columns ('AU12_c' and 'AU12_c', columns 3 and 5)")
    path.write_text("frame, success, AU12_r, AU12_r, AU12_c\n1, 1, 1, 0, 0\n")
    raises_at(lambda: read_openface(path, use="r"), path, 1, "AU12 appears in two columns")


def test_pyfeat_duplicated_au_column_names_both_columns_and_the_file(tmp_path):
    from auknow.readers import read_pyfeat

    path = tmp_path / "dup.csv"
    path.write_text("frame,AU12,AU06,au12\n0,0.9,0.1,0.2\n")
    err = raises_at(lambda: read_pyfeat(path), path, 1, "AU12 appears in two columns")
    assert "'AU12' and 'au12', columns 2 and 4" in str(err), str(err)
    path.write_text("frame,AU12,AU99\n0,0.9,0.1\n")  # the unknown-AU check is unchanged
    raises_at(lambda: read_pyfeat(path), path, 1, "unknown AU column 'AU99'")


def test_read_delimited_preamble_and_lines(tmp_path):
    p = tmp_path / "x.txt"
    p.write_text("#Study : S\r\n#Version : 6.1\r\n\r\na\tb\r\n1\t2\r\n\r\n3\t4\r\n")
    header, rows, lines, info = read_delimited(p)
    assert header == ["a", "b"] and rows == [["1", "2"], ["3", "4"]] and lines == [5, 7]
    assert info == {"delimiter": "tab", "preamble": {"Study": "S", "Version": "6.1"}}
    p.write_text("#Study : S\n\na\tb\n1\t2\t3\n")
    raises_at(lambda: read_delimited(p), p, 4, "3 cells, expected 2 as in the header (tab-separated)")
    p.write_text("#only a preamble\n\n")
    raises_at(lambda: read_delimited(p), p, match="empty file, expected a header row after the preamble")


# --- iMotions / FACET -------------------------------------------------------------------------------
def _imotions_table():
    text = IMOTIONS.read_text()
    lines = text.split("\n")
    header = lines[5].rstrip("\r").split("\t")
    rows = [ln.rstrip("\r").split("\t") for ln in lines[6:] if ln.strip()]
    return header, rows


def test_imotions_real_export(tmp_path):
    header, rows = _imotions_table()
    au_cols = [h for h in header if h.startswith("AU") and h.endswith("Evidence")]
    got = read_imotions(IMOTIONS, expression="neutral")
    assert len(au_cols) == 20 and got.aus == tuple(f"AU{int(h[2:].split()[0]):02d}" for h in au_cols)
    faces = np.array([r[header.index("NoOfFaces")] == "1" for r in rows])
    assert faces.sum() == 8 and (got.occurrence[~faces] == MISSING).all()
    for thr in (0.0, -1.0):
        got = read_imotions(IMOTIONS, threshold=thr)
        for j, h in enumerate(au_cols):
            ev = np.array([float(r[header.index(h)]) for r, f in zip(rows, faces) if f])
            assert np.array_equal(got.occurrence[faces, j], (ev >= thr).astype(np.int8)), h
    assert got.frame.tolist() == [int(r[header.index("FrameNo")]) for r in rows]
    assert got.subjects == ["separate_rotation"]  # the Name column (the respondent)
    assert got.source["delimiter"] == "tab" and got.source["imotions_version"] == "6.1.2667.3"
    assert got.source["frames_no_face"] == 4 and got.expression is None


def test_imotions_errors(tmp_path):
    text = IMOTIONS.read_text()
    lines = text.split("\n")
    cells = lines[7].split("\t")
    header = lines[5].split("\t")
    cells[header.index("AU12 Evidence")] = "strong"
    bad = tmp_path / "bad.txt"
    bad.write_text("\n".join(lines[:7] + ["\t".join(cells)] + lines[8:]))
    raises_at(lambda: read_imotions(bad), bad, 8, "column AU12 Evidence: 'strong' is not a number")
    none = tmp_path / "none.txt"
    none.write_text("#Version : 6\n\nName\tFrameNo\tJoy Evidence\np\t0\t0.1\n")
    raises_at(lambda: read_imotions(none), none, 1, "no 'AUn Evidence' columns")
    dup = tmp_path / "dup.txt"
    dup.write_text("Name\tFrameNo\tAU12 Evidence\tAU 12 Evidence\np\t0\t0.1\t0.2\n")
    raises_at(lambda: read_imotions(dup), dup, 1, "AU12 appears in two columns")
    semi = tmp_path / "semi.csv"
    semi.write_text("Name;FrameNo;NoOfFaces;AU12 Evidence;AU6 Evidence\np;0;1;0.5;-0.5\np;1;1;-2;1.5\n")
    got = read_imotions(semi, threshold=0.0, expression="happy")
    assert got.source["delimiter"] == "semicolon" and got.occurrence.tolist() == [[0, 1], [1, 0]]
    with pytest.raises(DataError, match="not a finite Evidence"):
        read_imotions(semi, threshold=float("nan"))


# --- designs where the resampling cannot vary ---------------------------------------------------------
def _one_clip_per_subject(folder: Path, n_per_class: int = 15, n_frames: int = 20, seed: int = 4) -> Path:
    """Planted effect: P(AU12 | happy) = 0.80 vs 0.12 in sad clips; AU06 at 0.3 in both (null);
    one clip per subject (the file stem), labels by file name."""
    rng = np.random.default_rng(seed)
    folder.mkdir()
    for k in range(2 * n_per_class):
        expr = "happy" if k < n_per_class else "sad"
        au = np.zeros((n_frames, 2), dtype=bool)
        au[:, 0] = rng.random(n_frames) < 0.3
        au[:, 1] = rng.random(n_frames) < (0.80 if expr == "happy" else 0.12)
        write_clip(folder / f"P{k:02d}_{expr}.csv", au, aus=(6, 12))
    return folder


def test_check_design():
    assert check_design(np.array([0, 0, 1, 1]), np.array([0, 1, 0, 0]), 2)["permutable_sequences"] == 2
    d = check_design(np.array([0, 1]), np.array([0, 1]), 2)
    assert not d["permutation_varies"] and d["sequences_per_subject_max"] == 1


def test_planted_effect_one_clip_per_subject(tmp_path):
    frames = read_openface(_one_clip_per_subject(tmp_path / "of"),
                           name_pattern=r"(?P<subject>[^_]+)_(?P<expression>\w+)")
    with pytest.warns(ResamplingWarning, match="cannot change any label"):
        est = estimate_prior(frames, n_boot=50, n_perm=200, seed=1)
    assert np.isnan(est.p_value).all() and est.settings["warnings"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        est = estimate_prior(frames, n_boot=200, n_perm=400, seed=1, independent_clips=True)
    e, a12, a6 = est.expressions.index("happiness"), est.aus.index("AU12"), est.aus.index("AU06")
    assert est.p_value[e, a12] <= 2 / 401 + 1e-12 and est.q_value[e, a12] < 0.05
    assert est.p_value[e, a6] > 0.05  # the null AU is not found
    assert abs(est.expression["p_au_given_expression"][e, a12] - 0.80) < 0.06
    lo, hi = est.expression_ci["p_au_given_expression"]
    assert lo[e, a12] < est.expression["p_au_given_expression"][e, a12] < hi[e, a12]
    assert est.n_subjects[e, a12] == 15 and "unrestricted permutation" in est.settings["null"]


def test_cli_warns_and_offers_independent_clips(tmp_path, capsys):
    folder = _one_clip_per_subject(tmp_path / "of")
    out = tmp_path / "out"
    pattern = r"(?P<subject>[^_]+)_(?P<expression>\w+)"
    assert main(["estimate-prior", "--dataset", "openface", str(folder), "--name-pattern", pattern,
                 "--n-boot", "20", "--n-perm", "50", "--out", str(out), "--quiet"]) == 0
    err = capsys.readouterr().err
    assert "auknow: WARNING: the within-subject permutation cannot change any label" in err
    assert "--independent-clips" in err
    prior = (out / "prior.yaml").read_text()
    assert "resampling_warnings" in prior and "p_value" not in prior
    out2 = tmp_path / "out2"
    assert main(["estimate-prior", "--dataset", "openface", str(folder), "--name-pattern", pattern,
                 "--independent-clips", "--n-boot", "20", "--n-perm", "200", "--out", str(out2), "--quiet"]) == 0
    assert "WARNING" not in capsys.readouterr().err
    assert "independent_clips: true" in (out2 / "prior.yaml").read_text()


def test_single_file_says_how_to_give_subjects(tmp_path, capsys):
    rng = np.random.default_rng(5)
    clip = write_clip(tmp_path / "only.csv", rng.random((10, 18)) < 0.3)
    assert main(["estimate-prior", "--dataset", "openface", str(clip), "--expression", "happy", "--quiet"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "only 1 subject(s)" in err and "--labels FILE" in err
    assert "--name-pattern" in err and "--independent-clips" in err


@pytest.mark.parametrize("argv, message", [
    (["--name-pattern", "(?P<subject>["], "not a regular expression"),
    (["--name-pattern", r"(\w+)"], "no named group"),
    (["--labels", "missing.csv"], "no such file"),
    (["--labels", "L", "--name-pattern", r"(?P<subject>\w+)"], "not several"),
])
def test_cli_bad_label_options(tmp_path, capsys, argv, message):
    folder = _one_clip_per_subject(tmp_path / "of", n_per_class=2)
    labels = tmp_path / "L"
    labels.write_text("sequence,subject\nP00_happy,a\n")
    argv = [str(labels) if a == "L" else (str(tmp_path / a) if a == "missing.csv" else a) for a in argv]
    out = tmp_path / "out"
    assert main(["estimate-prior", "--dataset", "openface", str(folder), *argv, "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("auknow: error:") and err.count("\n") == 0 and message in err, err
    assert not out.exists()


def test_cli_label_options_only_for_detectors(tmp_path, capsys):
    assert main(["estimate-prior", "--dataset", "ckplus", "x", "--name-pattern", r"(?P<subject>\w+)"]) == 2
    assert "--name-pattern does not apply to --dataset ckplus" in capsys.readouterr().err


# --- DFEW + OpenFace: the AU-DFER workflow ------------------------------------------------------------
def _dfew_release(root: Path, seed: int = 6):
    """DFEW's split file in its released layout, and OpenFace outputs ``<5-digit id>.csv`` for every
    clip of the data set (train clips, test clips): clip AU vectors by AU-DFER's majority rule."""
    rng = np.random.default_rng(seed)
    split = root / "DFEW" / "EmoLabel_DataSplit" / "train(single-labeled)"
    split.mkdir(parents=True)
    openface = root / "openface"
    openface.mkdir()
    rows, majority = [], {}
    for vid in range(1, 43):
        label = (vid - 1) % 7 + 1
        n = int(rng.integers(10, 20))
        p = 0.15 + 0.6 * (np.arange(18) % 7 == label - 1)
        au = rng.random((n, 18)) < p
        success = (rng.random(n) > 0.1).astype(int)
        write_clip(openface / f"{vid:05d}.csv", au, success)
        ok = success == 1
        majority[vid] = (au[ok].sum(0) >= ok.sum() / 2).astype(int), label
        if vid <= 35:
            rows.append(f"{vid},{label}")  # clips 36-42 are test clips: not in the train split
    (split / "set_1.csv").write_text("video_name,label\n" + "\n".join(rows) + "\n")
    return split / "set_1.csv", openface, {k: v for k, v in majority.items() if k <= 35}


def test_dfew_openface_one_command(tmp_path, capsys):
    torch = pytest.importorskip("torch")
    from auknow.compile.matrix import compile_matrix
    from auknow.losses.au_loss import au_loss
    from auknow.tables import load_table

    labels, openface, majority = _dfew_release(tmp_path)
    out = tmp_path / "prior"
    assert main(["estimate-prior", "--dataset", "dfew", str(openface), "--labels", str(labels),
                 "--n-boot", "50", "--n-perm", "100", "--out", str(out), "--quiet"]) == 0
    assert "clips are the resampling units" in capsys.readouterr().err
    table = load_table(out / "prior.yaml")
    assert list(table.weights) == list(DFEW_CLASSES)
    assert all(list(row) == [f"AU{a:02d}" for a in OPENFACE_C] for row in table.weights.values())
    for e, name in enumerate(DFEW_CLASSES):  # P(AU | e) over clips by the majority rule, by hand
        clips = [v for v, lab in majority.values() if lab == e + 1]
        want = np.mean(clips, axis=0)
        got = np.array([table.weights[name][f"AU{a:02d}"].value for a in OPENFACE_C])
        assert np.allclose(got, want, atol=1e-6), name
        assert all(w.n == 5 for w in table.weights[name].values())
    details = table.provenance.details
    assert details["dataset"] == "dfew" and details["files_not_in_split"] == 7 and details["independent_clips"]
    m = compile_matrix(out / "prior.yaml", mode="quantified", expressions="dfew", aus="openface_c")
    assert m.shape == (7, 18)
    logits = torch.zeros(4, 18, requires_grad=True)
    loss = au_loss(logits, torch.ones(4, 18), torch.tensor([0, 1, 5, 6]), m.tensor())
    loss.backward()
    assert torch.isfinite(loss) and logits.grad.abs().sum() > 0


def test_dfew_errors(tmp_path, capsys):
    labels, openface, _ = _dfew_release(tmp_path)
    (openface / "00003.csv").unlink()
    out = tmp_path / "prior"
    assert main(["estimate-prior", "--dataset", "dfew", str(openface), "--labels", str(labels),
                 "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert "1 clip(s) of the DFEW label file have no detector output file (e.g. 00003.csv)" in err
    assert str(labels) in err and err.count("\n") == 0 and not out.exists()
    assert main(["estimate-prior", "--dataset", "dfew", str(openface)]) == 2
    assert "--dataset dfew needs --labels" in capsys.readouterr().err
    assert main(["estimate-prior", "--dataset", "dfew", str(openface), "--labels", str(labels),
                 "--threshold", "2"]) == 2
    assert "--threshold does not apply to --dataset dfew" in capsys.readouterr().err
    other = tmp_path / "other.csv"
    other.write_text("sequence,expression\n00001,happy\n")
    assert main(["estimate-prior", "--dataset", "dfew", str(openface), "--labels", str(other)]) == 2
    assert "expected DFEW's split file" in capsys.readouterr().err


def test_pyfeat_and_imotions_take_labels(tmp_path, capsys):
    from auknow.readers import read_pyfeat

    pf = tmp_path / "pf"
    pf.mkdir()
    for stem in ("S1_happy", "S2_sad"):
        (pf / f"{stem}.csv").write_text("AU01,AU12,frame\n0.9,0.1,0\n0.2,0.8,1\n")
    got = read_pyfeat(pf, name_pattern=r"(?P<subject>[^_]+)_(?P<expression>\w+)")
    assert got.subject.tolist() == ["S1", "S1", "S2", "S2"] and set(got.expression) == {"happiness", "sadness"}
    # two respondents of the real export: subjects from the Name column, expressions from a labels file
    text = IMOTIONS.read_text()
    im = tmp_path / "im"
    im.mkdir()
    (im / "r1.txt").write_text(text)
    (im / "r2.txt").write_text(text.replace("separate_rotation", "second_person"))
    labels = tmp_path / "labels.csv"
    labels.write_text("file,expression\nr1,happy\nr2,sad\n")
    got = read_imotions(im, labels=labels)
    assert got.subjects == ["second_person", "separate_rotation"]
    assert got.expression[got.sequence == "r2"].tolist() == ["sadness"] * 12
    out = tmp_path / "out"
    assert main(["estimate-prior", "--dataset", "imotions", str(im), "--labels", str(labels), "--n-boot", "10",
                 "--n-perm", "10", "--out", str(out), "--quiet"]) == 0
    assert "the within-subject permutation cannot change any label" in capsys.readouterr().err
    assert "dataset: imotions" in (out / "prior.yaml").read_text()


def test_dfew_refuses_several_faces_and_cli_bad_imotions_row(tmp_path, capsys):
    labels, openface, _ = _dfew_release(tmp_path)
    clip = openface / "00002.csv"
    lines = clip.read_text().split("\n")
    lines[0] = lines[0].replace("frame, success", "frame, face_id, success")
    lines[1:] = [ln.replace(", ", f", {k % 2}, ", 1) if ln else ln for k, ln in enumerate(lines[1:])]
    clip.write_text("\n".join(lines))
    out = tmp_path / "p"
    assert main(["estimate-prior", "--dataset", "dfew", str(openface), "--labels", str(labels),
                 "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert "clip 00002 has several faces" in err and err.count("\n") == 0 and not out.exists()
    bad = tmp_path / "bad.txt"
    text = IMOTIONS.read_text().split("\n")
    text[8] = text[8] + "\textra"
    bad.write_text("\n".join(text))
    assert main(["estimate-prior", "--dataset", "imotions", str(bad), "--expression", "happy",
                 "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert err == f"auknow: error: {bad}:9: 91 cells, expected 90 as in the header (tab-separated)", err
    assert not out.exists()
