"""experiments/: metrics, the synthetic benchmark (quick mode, end to end), and the real-dataset
runners on tiny fixtures written in each dataset's released layout (DFEW + OpenFace, FERV39K,
BP4D, DISFA)."""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:  # experiments/ is a top-level package of the repository
    sys.path.insert(0, str(REPO))

pytest.importorskip("sklearn", reason="experiments' metrics need scikit-learn (pip install scikit-learn)")

from experiments import datasets as D  # noqa: E402
from experiments.metrics import au_f1, classification_metrics, format_ci, mean_ci, paired_diff_ci  # noqa: E402

OPENFACE_C = (1, 2, 4, 5, 6, 7, 9, 10, 12, 14, 15, 17, 20, 23, 25, 26, 28, 45)
TINY = ["train.epochs=1", "data.image_size=16", "data.num_frames=4", "model.width=4", "model.dim=16",
        "model.au_dim=4", "train.batch_size=4", "train.workers=0"]


# ------------------------------------------------------------------------------------------ metrics

def test_classification_metrics_match_sklearn():
    from sklearn.metrics import balanced_accuracy_score

    rng = np.random.default_rng(0)
    y = rng.integers(0, 5, 300)
    p = np.where(rng.random(300) < 0.6, y, rng.integers(0, 5, 300))
    m = classification_metrics(y, p, 5)
    assert m["war"] == pytest.approx((y == p).mean())
    assert m["uar"] == pytest.approx(balanced_accuracy_score(y, p))
    for k in range(5):
        assert m["recall"][k] == pytest.approx((p[y == k] == k).mean())
    assert m["confusion"].sum() == 300 and m["support"].sum() == 300


def test_uar_ignores_classes_absent_from_the_test_set():
    m = classification_metrics([0, 0, 1, 1], [0, 1, 1, 1], 3)
    assert np.isnan(m["recall"][2]) and m["uar"] == pytest.approx(0.75)
    with pytest.raises(ValueError):
        classification_metrics([0, 3], [0, 1], 3)
    with pytest.raises(ValueError):
        classification_metrics([], [], 3)


def test_au_f1_with_missing_labels():
    from sklearn.metrics import f1_score

    y = np.array([[1, 0, np.nan], [0, 0, np.nan], [1, 1, np.nan], [1, -1, np.nan]], dtype=float)
    s = np.array([[0.9, 0.2, 0.5], [0.6, 0.7, 0.5], [0.2, 0.8, 0.5], [0.8, 0.9, 0.5]])
    f = au_f1(y, s)
    assert f["f1"][0] == pytest.approx(f1_score([1, 0, 1, 1], [1, 1, 0, 1]))
    assert f["f1"][1] == pytest.approx(f1_score([0, 0, 1], [0, 1, 1]))  # the -1 frame is left out
    assert np.isnan(f["f1"][2]) and f["labelled"].tolist() == [4, 3, 0]
    assert f["mean_f1"] == pytest.approx(np.mean(f["f1"][:2]))


def test_mean_ci_and_paired_differences():
    from scipy import stats

    v = [0.61, 0.65, 0.63, 0.60, 0.66]
    ci = mean_ci(v)
    lo, hi = stats.t.interval(0.95, 4, loc=np.mean(v), scale=stats.sem(v))
    assert ci["low"] == pytest.approx(lo) and ci["high"] == pytest.approx(hi) and ci["n"] == 5
    d = paired_diff_ci([1, 2, 3, 4], [0.5, 1.4, 2.6, 3.5])
    assert d["mean"] == pytest.approx(0.5) and d["p"] < 0.05
    assert np.isnan(mean_ci([0.5])["half"]) and mean_ci([])["n"] == 0
    assert format_ci(ci).startswith("63.0 ± ") and format_ci({"mean": float("nan")}) == "n/a"
    assert format_ci({"mean": 0.012, "half": float("nan")}, signed=True) == "+1.2"


# --------------------------------------------------------------------------- synthetic benchmark

def test_synthetic_benchmark_quick_end_to_end(tmp_path):
    from experiments.synthetic import main

    out = tmp_path / "results.md"
    rc = main(["--quick", "--arms", "ce,au-wrong,pc,gnn-on", "--out", str(out), "-q"])
    assert rc == 0
    text = out.read_text()
    assert "python -m experiments.synthetic --quick --arms ce,au-wrong,pc,gnn-on" in text
    for arm in ("`ce`", "`au-wrong`", "`pc`", "`gnn-on`"):
        assert arm in text
    assert "| WAR | UAR |" in text and "recall disgust" in text and "Wall time" in text
    assert "`pc` − `ce`" in text  # a paired comparison
    rows = [line for line in text.splitlines() if line.startswith("| 0 | `") or line.startswith("| 1 | `")]
    assert len(rows) == 8  # 2 seeds x 4 arms, every run listed


def test_synthetic_runs_are_paired_and_deterministic():
    from experiments.synthetic import BenchmarkConfig, build, prepare, run_arm
    from experiments.training import ARMS

    cfg = BenchmarkConfig.quick(arms=("ce", "au"), seeds=(0,))
    a, b = run_arm(cfg, 0, "ce"), run_arm(cfg, 0, "ce")
    assert a["war"] == b["war"] and a["recall"] == b["recall"]
    data = prepare(cfg, 0)
    # same seed: the backbones of two arms start from the same weights (paired design)
    m1, _ = build(cfg, ARMS["ce"], data, 0)
    m2, _ = build(cfg, ARMS["au"], data, 0)
    for p, q in zip(m1.backbone.parameters(), m2.backbone.parameters()):
        assert p.shape == q.shape and (p == q).all()
    # the wrong prior is a derangement of the rows of the correct one
    perm = data["row_perm"]
    assert all(i != j for i, j in enumerate(perm))
    np.testing.assert_array_equal(data["prior_wrong"], data["prior"][perm])


def test_unknown_and_unavailable_arms(monkeypatch, capsys):
    import experiments.training as T
    from experiments.synthetic import main

    assert main(["--quick", "--arms", "ce,magic", "-q"]) == 2
    assert "unknown magic" in capsys.readouterr().err
    assert T.unavailable_arms(list(T.ARMS)) == {}  # every auknow API is there
    import auknow.models.prior_head

    monkeypatch.delattr(auknow.models.prior_head, "PriorHead")
    missing = T.unavailable_arms(["ce", "gnn-on"])
    assert missing == {"ce": "auknow.models.prior_head.PriorHead"}


# ------------------------------------------------------------------------- dataset fixtures

def _img(path: Path, rng, size: int = 8):
    from PIL import Image

    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray((rng.random((size, size, 3)) * 255).astype(np.uint8)).save(path)


def _openface_csv(path: Path, rng, n_frames: int, success=None, rows_c=None):
    hdr = ["frame", " face_id", " timestamp", " confidence", " success"]
    hdr += [f" AU{a:02d}_r" for a in OPENFACE_C if a != 28] + [f" AU{a:02d}_c" for a in OPENFACE_C]
    lines = [",".join(hdr)]
    for t in range(n_frames):
        ok = 1 if success is None else success[t]
        c = (rng.random(18) < 0.4).astype(int) if rows_c is None else rows_c[t]
        vals = [t + 1, 0, 0.04 * t, 0.95, ok] + list(np.round(rng.random(17) * 3, 2)) + list(c)
        lines.append(", ".join(str(v) for v in vals))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n")


@pytest.fixture()
def dfew_root(tmp_path):
    rng = np.random.default_rng(0)
    root = tmp_path / "DFEW"
    for split, ids in (("train", range(1, 15)), ("test", range(15, 22))):
        f = root / "EmoLabel_DataSplit" / f"{split}(single-labeled)" / "set_1.csv"
        f.parent.mkdir(parents=True, exist_ok=True)
        f.write_text("video_name,label\n" + "".join(f"{i},{(i % 7) + 1}\n" for i in ids))
    for i in range(1, 22):
        for t in range(1, 17):  # the 16-frame version of every clip
            _img(root / "Clip" / "clip_224x224_16f" / f"{i:05d}" / f"{t}.jpg", rng, 4)
        for t in range(1, (12 if i in (1, 15) else 17) + 1):  # all frames: clips 1 and 15 under 16 frames
            _img(root / "Clip" / "clip_224x224" / f"{i:05d}" / f"{t}.jpg", rng, 4)
    of = tmp_path / "openface"
    for i in range(1, 22):
        _openface_csv(of / f"{i:05d}.csv", rng, 16)  # OpenFace run on the 16 frames (AU-DFER)
    return root, of


def test_dfew_loader_and_openface_majority_rule(dfew_root, tmp_path):
    root, of = dfew_root
    tr = D.dfew_records(root, 1, "train")
    assert len(tr) == 14 and tr[0].clip_id == "00001" and tr[0].label == 1  # label 2 (sad) -> index 1
    assert [p.name for p in tr[0].frames] == [f"{t}.jpg" for t in range(1, 17)]
    # majority rule over tracked frames; untracked frames do not count; none tracked -> NaN
    c = np.zeros((4, 18), int)
    c[:2, 0] = 1          # AU01 in 2 of 4 tracked frames -> 1
    c[:1, 1] = 1          # AU02 in 1 of 4 -> 0
    c[:, 2] = [0, 0, 1, 1]  # AU04 in frames 2, 3 (only frame 2 tracked below)
    p = tmp_path / "clip.csv"
    _openface_csv(p, np.random.default_rng(1), 4, success=[1, 1, 1, 0], rows_c=c)
    y = D.openface_clip_target(p, [f"AU{a:02d}" for a in OPENFACE_C])
    assert y[0] == 1 and y[1] == 0 and y[2] == 0  # AU04: 1 of 3 tracked frames
    _openface_csv(p, np.random.default_rng(1), 3, success=[0, 0, 0])
    assert np.isnan(D.openface_clip_target(p, ["AU01", "AU12"])).all()
    n = D.attach_openface_targets(tr, of, ["AU01", "AU12"])
    assert n == 14 and tr[0].au_target.shape == (2,)
    with pytest.raises(D.DatasetError, match="set_2.csv"):
        D.dfew_records(root, 2, "train")


def test_sample_indices():
    rng = np.random.default_rng(0)
    idx = D.sample_indices(40, 16, False)
    assert len(idx) == 16 and (np.diff(idx) > 0).all() and idx[0] == 1
    for _ in range(20):
        t = D.sample_indices(40, 16, True, rng)
        assert ((t >= np.floor(np.arange(16) * 2.5)) & (t < np.arange(1, 17) * 2.5)).all()  # one per segment
    short = D.sample_indices(5, 16, False)
    assert short.min() >= 0 and short.max() <= 4 and len(short) == 16


def test_dfew_au_loss_runner_end_to_end(dfew_root, tmp_path):
    from experiments.run import main

    root, of = dfew_root
    out = tmp_path / "out"
    rc = main([str(REPO / "experiments" / "configs" / "dfew_au_loss.yaml"), "--root", str(root), "--openface", str(of),
               "--folds", "1", "--out", str(out), "-q", "--set", *TINY])
    assert rc == 0
    import json

    res = json.loads((out / "metrics.json").read_text())
    f = res["folds"][0]
    assert 0 <= f["war"] <= 1 and 0 <= f["uar"] <= 1 and len(f["recall"]) == 7
    assert "au_f1_mean" in f and res["config"]["loss"]["au_loss_weight"] == 0.25
    assert "| fold | WAR | UAR |" in (out / "summary.md").read_text()


def test_dfew_ial_runner_and_missing_openface(dfew_root, capsys):
    from experiments.run import load_config, main, run_config

    root, _ = dfew_root
    cfg = load_config(REPO / "experiments" / "configs" / "dfew_ial.yaml", TINY + ["folds=[1]"])
    res = run_config(cfg, root, log=lambda s: None)
    assert res["summary"]["uar"]["n"] == 1 and cfg["loss"]["ial_weight"] == 0.1
    # the AU loss without OpenFace targets is an error that says what to pass
    rc = main([str(REPO / "experiments" / "configs" / "dfew_au_loss.yaml"), "--root", str(root), "--folds", "1",
               "-q", "--set", *TINY])
    assert rc == 2 and "--openface" in capsys.readouterr().err
    assert main([str(REPO / "experiments" / "configs" / "dfew_ial.yaml"), "--root", str(root / "nope"),
                 "--folds", "1", "-q"]) == 2


def test_ferv39k_runner(tmp_path):
    from experiments.run import load_config, run_config

    rng = np.random.default_rng(2)
    root = tmp_path / "FERV39K"
    emos = list(D.FERV39K_LABELS)
    lists = {"train": [], "test": []}
    for i in range(16):
        rel = f"Action/{emos[i % 7]}/{i:04d}"
        lists["train" if i < 11 else "test"].append(f"{rel} {emos[i % 7]}")
        for t in range(5):
            _img(root / "2_ClipsforFaceCrop" / rel / f"{t:03d}.jpg", rng)
    d = root / "4_setups" / "All_scenes"
    d.mkdir(parents=True)
    (d / "train_All.csv").write_text("\n".join(lists["train"]) + "\n")
    (d / "test_All.csv").write_text("\n".join(lists["test"]) + "\n")
    recs = D.ferv39k_records(root, "train")
    assert len(recs) == 11 and recs[1].label == D.FERV39K_LABELS["Sad"] == 1
    cfg = load_config(REPO / "experiments" / "configs" / "ferv39k_ial.yaml", TINY)
    res = run_config(cfg, root, log=lambda s: None)
    assert len(res["folds"]) == 1 and 0 <= res["folds"][0]["uar"] <= 1
    (d / "test_All.csv").write_text("Action/Happy/0000 Happy\nAction/Happy/0000 Joy\n")
    with pytest.raises(D.DatasetError, match="unknown emotion"):
        D.ferv39k_records(root, "test")


def _bp4d(tmp_path):
    from auknow.library import dataset_descriptor

    rng = np.random.default_rng(3)
    root = tmp_path / "BP4D"
    desc = dataset_descriptor("bp4d")
    subjects = [desc.folds[k][0] for k in (1, 2, 3)]  # one subject of each fold
    occ = root / "AUCoding" / "AU_OCC"
    occ.mkdir(parents=True)
    cols = list(range(0, 40))
    for s in subjects:
        for task in ("T1", "T8"):
            rows = [",".join(map(str, cols))]
            for fr in range(100, 106):
                vals = [fr] + [int(v) for v in (rng.random(39) < 0.4)]
                vals[2] = 9 if fr == 100 else vals[2]  # AU02 not coded in one frame
                rows.append(",".join(map(str, vals)))
                _img(root / "images" / s / task / f"{fr}.jpg", rng)
            (occ / f"{s}_{task}.csv").write_text("\n".join(rows) + "\n")
    return root, subjects


def test_bp4d_loader_folds_and_gnn_runner(tmp_path):
    from experiments.run import load_config, run_config

    root, subjects = _bp4d(tmp_path)
    recs = D.bp4d_records(root, root / "images")
    assert len(recs) == 3 * 2 * 6 and recs[0].aus.shape == (12,)
    assert np.isnan(recs[0].aus[1]) and recs[0].frame == 100  # 9 -> missing
    tr, te = D.split_by_fold(recs, "bp4d", 1)
    assert not {r.subject for r in tr} & {r.subject for r in te}
    cfg = load_config(REPO / "experiments" / "configs" / "bp4d_gnn.yaml", TINY + ["folds=[1]"])
    res = run_config(cfg, root, images=root / "images", log=lambda s: None)
    f = res["folds"][0]
    assert len(f["f1"]) == 12 and 0 <= f["mean_f1"] <= 1
    assert "AU01" in res["markdown"] and "avg F1" in res["markdown"]


def test_disfa_loader_threshold_and_runner(tmp_path):
    from auknow.library import dataset_descriptor
    from experiments.run import load_config, run_config

    rng = np.random.default_rng(4)
    root = tmp_path / "DISFA"
    desc = dataset_descriptor("disfa")
    subjects = [desc.folds[k][0] for k in (1, 2, 3)]
    for s in subjects:
        d = root / "ActionUnit_Labels" / s
        d.mkdir(parents=True)
        for au in (1, 2, 4, 5, 6, 9, 12, 15, 17, 20, 25, 26):
            (d / f"{s}_au{au}.txt").write_text("".join(f"{i + 1},{int(rng.integers(0, 6))}\n" for i in range(6)))
        for i in range(6):
            _img(root / "images" / s / f"{i}.png", rng)
    recs = D.disfa_records(root, root / "images")
    assert len(recs) == 18 and recs[0].aus.shape == (8,)
    raw = np.loadtxt(root / "ActionUnit_Labels" / subjects[0] / f"{subjects[0]}_au1.txt", delimiter=",")
    first = [r for r in recs if r.subject == subjects[0]]
    np.testing.assert_array_equal([r.aus[0] for r in first], (raw[:, 1] >= 2).astype(np.float32))
    cfg = load_config(REPO / "experiments" / "configs" / "disfa_gnn.yaml", TINY + ["folds=[2]"])
    res = run_config(cfg, root, images=root / "images", log=lambda s: None)
    assert len(res["folds"][0]["f1"]) == 8
    with pytest.raises(D.DatasetError, match="no subject folder"):
        D.disfa_records(tmp_path / "empty")


def test_config_loading_and_overrides():
    from experiments.run import load_config

    cfg = load_config(REPO / "experiments" / "configs" / "dfew_au_loss.yaml",
                      ["train.epochs=3", "loss.au_loss_weight=0.5"])
    assert cfg["train"]["epochs"] == 3 and cfg["loss"]["au_loss_weight"] == 0.5 and cfg["folds"] == [1, 2, 3, 4, 5]
    assert cfg["prior"]["table"] == "au_dfer"
    with pytest.raises(ValueError, match="key.sub=value"):
        load_config(None, ["oops"])
    with pytest.raises(ValueError, match="dataset"):
        load_config(None, ["task=au", "dataset=dfew"])
    with warnings.catch_warnings():
        warnings.simplefilter("error", DeprecationWarning)  # ... and uses no deprecated key
        for path in sorted((REPO / "experiments" / "configs").glob("*.yaml")):
            load_config(path)  # every shipped config is valid


def test_config_key_loss_alpha_is_the_deprecated_name_of_au_loss_weight(tmp_path):
    from experiments.run import load_config

    old = tmp_path / "old.yaml"
    old.write_text("loss: {alpha: 0.25, scale: 5.0}\n")
    with pytest.warns(DeprecationWarning, match="use loss.au_loss_weight"):
        cfg = load_config(old)
    assert cfg["loss"]["au_loss_weight"] == 0.25 and "alpha" not in cfg["loss"] and cfg["loss"]["scale"] == 5.0
    with pytest.warns(DeprecationWarning, match="loss.alpha is deprecated"):
        cfg = load_config(None, ["loss.alpha=0.4"])  # an override too; the default is not "given"
    assert cfg["loss"]["au_loss_weight"] == 0.4 and "alpha" not in cfg["loss"]
    both = tmp_path / "both.yaml"
    both.write_text("loss: {alpha: 0.25, au_loss_weight: 0.25}\n")
    new_file = REPO / "experiments" / "configs" / "dfew_au_loss.yaml"  # names loss.au_loss_weight
    for path, over in ((both, []), (None, ["loss.alpha=0.1", "loss.au_loss_weight=0.1"]),
                       (new_file, ["loss.alpha=0.5"]), (old, ["loss.au_loss_weight=0.5"]),
                       (None, ["loss={alpha: 0.1, au_loss_weight: 0.1}"])):
        with pytest.raises(ValueError, match="give loss.au_loss_weight only, not also loss.alpha"):
            load_config(path, over)
