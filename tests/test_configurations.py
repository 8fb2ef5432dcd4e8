"""``estimate-prior --configurations``: the level-wise search, its counts against brute force, the
inference shared with single AUs, the prototype table, and bad options."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as hs
from scipy.stats import false_discovery_control

from auknow.cli import main
from auknow.compile import compile_matrix
from auknow.compile.diff import diff_tables
from auknow.estimate.configurations import estimate_configurations, facs_exclusive, table_configurations
from auknow.estimate.prior import estimate_prior
from auknow.readers import MISSING, bundled_ckplus_path, read_ckplus
from auknow.readers.frames import AUFrames
from auknow.library import load_bundled
from auknow.tables import load_table
from auknow.tables.model import PrototypeTable

AUS = ("AU01", "AU02", "AU05", "AU12", "AU17", "AU26", "AU27")


def planted(seed: int = 0, n_subjects: int = 40, rate: float = 0.85, base: float = 0.15) -> AUFrames:
    """Each subject shows happiness, sadness and surprise once (one frame each); in surprise the
    configuration 1+2+5 is shown as a whole with probability ``rate``; otherwise every AU is
    present independently with probability ``base``."""
    rng = np.random.default_rng(seed)
    rows, subj, seq, expr = [], [], [], []
    for s in range(n_subjects):
        for e in ("happiness", "sadness", "surprise"):
            x = (rng.random(len(AUS)) < base).astype(int)
            if e == "surprise" and rng.random() < rate:
                x[:3] = 1
            x[6] = 0 if x[5] else x[6]  # 26 and 27 not coded together here
            rows.append(x)
            subj.append(f"S{s:02d}")
            seq.append(f"S{s:02d}_{e}")
            expr.append(e)
    return AUFrames(aus=AUS, occurrence=np.array(rows), subject=subj, sequence=seq, frame=np.zeros(len(rows)),
                    expression=expr)


def _config_index(est, *aus):
    return est.configurations.index(tuple(aus))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_planted_configuration_is_found_and_its_subsets_are_not_listed(seed):
    est = estimate_configurations(planted(seed), max_size=4, min_support=3, n_boot=0, n_perm=400, seed=seed)
    chosen = table_configurations(est, alpha=0.05, min_prevalence=0.5)
    e = est.expressions.index("surprise")
    full = _config_index(est, "AU01", "AU02", "AU05")
    assert est.q_value[e, full] < 0.01 and est.p_given_expression[e, full] > 0.7
    assert [est.configurations[c] for c in np.flatnonzero(chosen[e])] == [("AU01", "AU02", "AU05")]
    for sub in [("AU01",), ("AU02",), ("AU05",), ("AU01", "AU02"), ("AU01", "AU05"), ("AU02", "AU05")]:
        c = _config_index(est, *sub)
        assert est.significant()[e, c] and not chosen[e, c]  # significant, but implied by 1+2+5
    assert not chosen[[est.expressions.index(x) for x in ("happiness", "sadness")]].any()


def test_min_prevalence_zero_keeps_maximal_significant_only():
    est = estimate_configurations(planted(0), max_size=4, min_support=3, n_boot=0, n_perm=400)
    chosen = table_configurations(est, alpha=0.05, min_prevalence=0.0)
    sig = est.significant(0.05)
    sets = [frozenset(c) for c in est.configurations]
    for e in range(len(est.expressions)):
        for c in np.flatnonzero(sig[e]):
            has_superset = any(sets[c] < sets[d] for d in np.flatnonzero(sig[e]))
            assert chosen[e, c] == (not has_superset)


def _brute(frames: AUFrames, unit: str, max_size: int, min_support: int, min_fraction: float = 0.5):
    """By hand in float64: per (expression, combination) the units coded and the units where it occurs."""
    occ = frames.occurrence
    units = []  # (expression, coded [A], present [A])
    for q in sorted(set(zip(frames.subject.tolist(), frames.sequence.tolist()))):
        rows = np.flatnonzero((frames.subject == q[0]) & (frames.sequence == q[1]))
        e = frames.expression[rows[0]]
        if unit == "frame":
            units += [(e, occ[r] != MISSING, occ[r] == 1) for r in rows]
        else:
            coded = (occ[rows] != MISSING).any(0)
            n_coded = (occ[rows] != MISSING).sum(0)
            frac = np.where(n_coded > 0, (occ[rows] == 1).sum(0) / np.maximum(n_coded, 1), 0.0)
            units.append((e, coded, coded & (frac >= min_fraction)))
    out = {}
    for k in range(1, max_size + 1):
        for combo in itertools.combinations(range(occ.shape[1]), k):
            for e in sorted(set(frames.expression.tolist())):
                n = sum(1.0 for x, c, _ in units if x == e and c[list(combo)].all())
                s = sum(1.0 for x, _, p in units if x == e and p[list(combo)].all())
                if s >= min_support:
                    out[(e, tuple(frames.aus[a] for a in combo))] = (s, n, s / n)
    return out


@settings(max_examples=20, deadline=None)
@given(seed=hs.integers(0, 2**16), unit=hs.sampled_from(["frame", "sequence"]), min_support=hs.integers(1, 4),
       max_size=hs.integers(1, 4))
def test_tested_cells_and_probabilities_equal_a_count_by_hand(seed, unit, min_support, max_size):
    rng = np.random.default_rng(seed)
    n = 60
    occ = (rng.random((n, 5)) < 0.45).astype(int)
    occ[rng.random((n, 5)) < 0.1] = MISSING
    subj = rng.integers(0, 4, n)
    seq_id = rng.integers(0, 3, n)
    expr = np.array(["happiness", "sadness", "fear"])[seq_id]  # one expression per sequence
    frames = AUFrames(aus=("AU01", "AU02", "AU04", "AU06", "AU12"), occurrence=occ, subject=[f"S{s}" for s in subj],
                      sequence=[f"S{s}_{q}" for s, q in zip(subj, seq_id)], frame=np.arange(n), expression=expr)
    frames = frames.drop_uncoded_aus()
    want = _brute(frames, unit, max_size, min_support)
    if not want:
        return
    est = estimate_configurations(frames, unit=unit, max_size=max_size, min_support=min_support, n_boot=0,
                                  n_perm=0)
    got = {(est.expressions[e], est.configurations[c]): (est.support[e, c], est.n_units[e, c],
                                                         est.p_given_expression[e, c])
           for e, c in zip(*np.nonzero(est.tested))}
    assert set(got) == set(want)
    for key, (s, n_units, p) in want.items():
        assert got[key][:2] == (s, n_units)
        assert got[key][2] == p  # the same float64 division


def test_q_is_benjamini_hochberg_over_every_tested_cell():
    est = estimate_configurations(planted(3), max_size=3, min_support=2, n_boot=0, n_perm=200)
    t = est.tested
    assert t.sum() == est.settings["n_tested"] and est.settings["sizes"][3] > 0
    assert np.isnan(est.p_value[~t]).all() and np.isnan(est.q_value[~t]).all()
    np.testing.assert_allclose(est.q_value[t], false_discovery_control(est.p_value[t], method="bh"), rtol=1e-12)
    # a family of the size-1 cells alone would give other q-values: the family really is all sizes
    ones = np.array([len(c) == 1 for c in est.configurations])
    alone = false_discovery_control(est.p_value[:, ones][t[:, ones]], method="bh")
    assert not np.allclose(alone, est.q_value[:, ones][t[:, ones]])


def test_single_au_configurations_have_the_singles_estimates_and_intervals():
    frames = read_ckplus(bundled_ckplus_path())
    single = estimate_prior(frames, n_boot=200, n_perm=0, seed=7)
    est = estimate_configurations(frames, max_size=1, min_support=1, n_boot=200, n_perm=0, seed=7)
    lo, hi = single.expression_ci["p_au_given_expression"]
    for c, (au,) in enumerate(est.configurations):
        a = single.aus.index(au)
        rows = est.tested[:, c]
        np.testing.assert_array_equal(est.p_given_expression[rows, c],
                                      single.expression["p_au_given_expression"][rows, a])
        np.testing.assert_array_equal(est.ci_low[rows, c], lo[rows, a])
        np.testing.assert_array_equal(est.ci_high[rows, c], hi[rows, a])


def test_exclusive_pairs_are_tested_but_never_listed():
    f = planted(0)
    occ = f.occurrence.copy()
    surprise = f.expression == "surprise"
    occ[surprise, 5:7] = 1  # 26 and 27 coded together in every surprise frame
    frames = AUFrames(aus=f.aus, occurrence=occ, subject=f.subject, sequence=f.sequence, frame=f.frame,
                      expression=f.expression)
    est = estimate_configurations(frames, max_size=2, min_support=3, n_boot=0, n_perm=400)
    c = _config_index(est, "AU26", "AU27")
    e = est.expressions.index("surprise")
    assert facs_exclusive(est.configurations)[c] and est.significant()[e, c]
    chosen = table_configurations(est)
    listed = [est.configurations[k] for k in np.flatnonzero(chosen[e])]
    assert not chosen[:, facs_exclusive(est.configurations)].any()
    # 26 and 27 still join the listed configurations, each without the other (e.g. 1+26, 1+27)
    assert any("AU26" in x for x in listed) and any("AU27" in x for x in listed)
    assert not any({"AU26", "AU27"} <= set(x) for x in listed)


def test_bad_arguments_of_the_python_api():
    frames = planted(0)
    for kw in ({"max_size": 0}, {"min_support": 0}, {"min_support": 1.5}, {"n_perm": -1}, {"ci": 1.0}):
        with pytest.raises(Exception, match=list(kw)[0] if "ci" not in kw else "confidence"):
            estimate_configurations(frames, **kw)
    unlabelled = AUFrames(aus=frames.aus, occurrence=frames.occurrence, subject=frames.subject,
                          sequence=frames.sequence, frame=frames.frame)
    with pytest.raises(Exception, match="expression labels"):
        estimate_configurations(unlabelled)
    with pytest.raises(Exception, match="lower min_support="):
        estimate_configurations(frames, min_support=10_000)


# --- the command ---------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def ckplus_half(tmp_path_factory):
    """estimate-prior --configurations on every other CK+ subject; the others are held out."""
    frames = read_ckplus(bundled_ckplus_path())
    held = sorted(set(frames.subjects))[1::2]
    out = tmp_path_factory.mktemp("cfg") / "out"
    code = main(["estimate-prior", "--configurations", "--max-size", "4", "--n-boot", "50", "--n-perm", "200",
                 "--out", str(out), "--exclude-subjects", ",".join(held)])
    assert code == 0
    return out, held, frames


def test_cli_writes_a_prototype_table_that_validates_compiles_and_diffs(ckplus_half, capsys):
    out, held, _ = ckplus_half
    names = sorted(p.name for p in out.iterdir())
    assert names == ["configurations.csv", "configurations.yaml", "event_sizes.csv", "network.csv",
                     "network_edges.csv", "network_summary.csv", "prior.yaml", "relations.csv",
                     "relations.yaml", "relations_by_expression.csv", "statistics.csv"]
    table = load_table(out / "configurations.yaml")
    assert isinstance(table, PrototypeTable) and table.provenance.kind == "estimated"
    assert set(table.provenance.details["subjects"]).isdisjoint(held)
    assert table.provenance.details["configurations"]["n_tested"] > 100
    assert main(["validate", str(out / "configurations.yaml")]) == 0
    m = compile_matrix(table, "binary")
    assert m.values.shape[0] == len(table.expressions)
    d = diff_tables(load_bundled("fig2002"), table)
    assert d.only_b_expressions == ("contempt",) and "happiness" in d.expressions
    e, a = d.expressions.index("happiness"), d.aus.index("AU25")
    assert d.value_b[e, a] == 1 and d.value_a[e, a] == 0  # CK+ happiness parts the lips; FIG 2002 lists no 25
    header = (out / "configurations.csv").read_text().splitlines()[0].split(",")
    assert header[:7] == ["expression", "configuration", "size", "support", "n_units", "unit",
                          "p_config_given_expression"]


def test_the_table_classifies_held_out_subjects(ckplus_half):
    out, held, frames = ckplus_half
    from auknow.audit.classifiers import table_classifier

    test = frames.select(np.isin(frames.subject, held))
    table = load_table(out / "configurations.yaml")
    clf = table_classifier(table, test.aus, tuple(sorted(set(test.expression.tolist()))))
    keep = np.isin(test.expression, clf.expressions)
    proba = clf.predict_proba(test.occurrence[keep], clf.expressions)
    accuracy = (np.array(clf.expressions)[proba.argmax(1)] == test.expression[keep]).mean()
    assert accuracy > 0.8  # the prototypes generalise to subjects they were not estimated from


def test_the_table_is_audited_on_the_subjects_it_was_not_estimated_from(ckplus_half, capsys):
    out, held, _ = ckplus_half
    capsys.readouterr()
    assert main(["audit", str(out / "configurations.yaml"), "--n-boot", "20", "--cv-folds", "2"]) == 0
    report = capsys.readouterr().out
    assert "estimated_ckplus_configurations" in report and f"{len(held)} subjects" in report


def _snapshot(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*")}


@pytest.mark.parametrize("argv, fragment", [
    (["--configurations", "--max-size", "0"], "--max-size: 0 is not a whole number >= 1"),
    (["--configurations", "--min-support", "-1"], "--min-support: -1 is not a whole number >= 1"),
    (["--configurations", "--min-support", "2.5"], "--min-support: '2.5' is not a whole number"),
    (["--configurations", "--min-prevalence", "1.5"], "--min-prevalence: 1.5 is not a number in [0, 1]"),
    (["--max-size", "3"], "--max-size applies to --configurations only"),
    (["--min-support", "3"], "--min-support applies to --configurations only"),
    (["--min-prevalence", "0.3"], "--min-prevalence applies to --configurations only"),
    (["--configurations", "--min-support", "100000"], "lower --min-support"),
])
def test_cli_bad_options_exit_2_with_one_line_and_write_nothing(argv, fragment, tmp_path, capsys):
    before = _snapshot(tmp_path)
    code = main(["estimate-prior", *argv, "--n-boot", "0", "--n-perm", "0", "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("auknow: error: ") and fragment in lines[0], err
    assert _snapshot(tmp_path) == before


def test_cli_without_qualifying_configuration_writes_the_csv_and_says_why(tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["estimate-prior", "--configurations", "--n-boot", "0", "--n-perm", "0", "--out", str(out)]) == 0
    err = capsys.readouterr().err
    assert "configurations.yaml not written" in err
    assert (out / "configurations.csv").exists() and not (out / "configurations.yaml").exists()
