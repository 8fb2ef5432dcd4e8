"""The AU-pair test (auknow.estimate.pair_test): definition, calibration on a clustered null, FDR."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import false_discovery_control

from auknow.estimate import pair_test as pt
from auknow.estimate import statistics as st
from auknow.estimate.stream import CountsBuilder
from auknow.readers.frames import AUFrames

EXPRS = ("anger", "happiness", "sadness")


def clustered_null(rng, n_subjects=16, lengths=(60, 60, 15), n_aus=4, run=10.0, copy=None) -> AUFrames:
    """AUs independent within each subject (subject effects sd 1 on the logit scale, episodes of mean
    length ``run`` frames, one expression with short sequences); ``copy=(i, j, rho)`` plants a
    dependence: AU j takes AU i's state in a share rho of its episodes."""
    occ, subj, expr, seq = [], [], [], []
    for s in range(n_subjects):
        p = 1 / (1 + np.exp(-(rng.uniform(-1.5, 0, n_aus) + rng.normal(0, 1, n_aus))))
        for e, n in enumerate(lengths):
            def states(prob):
                cut = rng.random((n, n_aus)) < 1 / run
                cut[0] = True
                return np.take_along_axis(rng.random((n, n_aus)) < prob, np.cumsum(cut, axis=0) - 1, axis=0)
            x = states(p)
            if copy is not None:
                i, j, rho = copy
                x[:, j] = np.where(states(np.full(n_aus, rho))[:, 0], x[:, i], x[:, j])
            occ.append(x.astype(np.int8))
            subj += [f"S{s:02d}"] * n
            expr += [EXPRS[e]] * n
            seq += [f"S{s:02d}_{e}"] * n
    return AUFrames(aus=("AU01", "AU02", "AU04", "AU06", "AU12")[:n_aus], occurrence=np.concatenate(occ),
                    subject=subj, sequence=seq, frame=np.zeros(len(subj)), expression=expr)


def test_clustered_null_naive_test_fails_and_sign_flip_holds_its_level():
    """Frames of a subject are correlated: the unclustered chi-square test rejects most true nulls,
    the subject sign-flip test about 5% of them (30 data sets x 6 pairs x 4 strata = 720 tests,
    Monte-Carlo SE ~0.01 at 0.05)."""
    rng = np.random.default_rng(11)
    iu = np.triu_indices(4, 1)
    naive, flip = [], []
    for _ in range(30):
        counts = st.count_units(clustered_null(rng))
        names, pairs = pt.strata_pair_counts(counts)
        assert names == ("all", *EXPRS)
        naive.append(np.stack([pt.unclustered_pvalues(p.sum(0)) for p in pairs])[:, iu[0], iu[1]] <= 0.05)
        flip.append(pt.pair_test(counts, rng, 99, max_factor=1)["p"][:, iu[0], iu[1]] <= 0.05)
    naive_rate, flip_rate = np.nanmean(naive), np.nanmean(flip)
    assert naive_rate > 0.3, naive_rate  # ~0.5: frames treated as independent
    assert flip_rate <= 0.085, flip_rate


def test_planted_dependence_is_found_and_the_null_pairs_mostly_not():
    rng = np.random.default_rng(3)
    counts = st.count_units(clustered_null(rng, n_subjects=20, copy=(0, 1, 0.6)))
    r = pt.pair_test(counts, rng, 400)
    assert r["q"][0, 0, 1] < 0.05 and r["z"][0, 0, 1] > 0
    assert r["q"][0, 1, 0] == r["q"][0, 0, 1]  # one test per unordered pair
    assert (r["q"][0][np.triu_indices(4, 1)] < 0.05).sum() <= 2


def test_statistic_equals_its_definition_on_the_frames():
    """observed, expected, z and the subject contributions recomputed from the frames, in float64."""
    rng = np.random.default_rng(7)
    frames = clustered_null(rng, n_subjects=5, n_aus=3)
    counts = st.count_units(frames)
    r = pt.pair_test(counts, np.random.default_rng(0), 50)
    x = frames.occurrence.astype(np.float64)
    for h, stratum in enumerate(("all", *EXPRS)):
        rows = np.ones(len(x), bool) if stratum == "all" else frames.expression == stratum
        for i, j in ((0, 1), (0, 2), (1, 2)):
            xi, xj = x[rows, i], x[rows, j]
            a, b, n = xi.sum(), xj.sum(), rows.sum()
            d_s = np.array([((xi - a / n) * (xj - b / n))[frames.subject[rows] == s].sum()
                            for s in np.unique(frames.subject)])
            assert r["observed"][h, i, j] == (xi * xj).sum()
            assert r["expected"][h, i, j] == pytest.approx(a * b / n, rel=1e-12)
            assert r["z"][h, i, j] == pytest.approx(d_s.sum() / np.sqrt((d_s ** 2).sum()), rel=1e-9)
            assert r["z"][h, j, i] == r["z"][h, i, j]


def test_flip_p_value_equals_a_direct_count_and_q_is_scipy_bh():
    rng = np.random.default_rng(5)
    counts = st.count_units(clustered_null(rng, n_subjects=8, n_aus=3))
    r = pt.pair_test(counts, np.random.default_rng(1), 64, max_factor=1)
    # the same flips, drawn again: the stratum loop draws one [64, S_h] block per stratum in order
    again = np.random.default_rng(1)
    _, pairs = pt.strata_pair_counts(counts)
    for h, pair in enumerate(pairs):
        d_s = pt.pair_contributions(pair)["D_s"][:, 0, 1]  # (0, 1) is the first unordered pair
        ok = pt.pair_contributions(pair)["testable"][np.triu_indices(3, 1)]
        w = again.integers(0, 2, size=(64, pair.shape[0])) * 2.0 - 1.0
        assert ok[0]
        extreme = (np.abs(w @ d_s) >= np.abs(d_s.sum()) - 1e-9 * max(1.0, np.abs(d_s).sum())).sum()
        assert r["p"][h, 0, 1] == (1 + extreme) / 65
    tested = r["p"][:, *np.triu_indices(3, 1)]
    np.testing.assert_allclose(r["q"][:, *np.triu_indices(3, 1)][~np.isnan(tested)],
                               false_discovery_control(tested[~np.isnan(tested)], method="bh"), rtol=1e-12)


def test_untestable_pairs_are_nan_and_not_counted():
    frames = clustered_null(np.random.default_rng(2), n_subjects=6, n_aus=3)
    occ = frames.occurrence.copy()
    occ[:, 2] = 1  # AU04 present in every frame: no dependence can be measured
    occ[frames.expression == "sadness", 1] = 0  # AU02 never present in sadness
    frames = AUFrames(aus=frames.aus, occurrence=occ, subject=frames.subject, sequence=frames.sequence,
                      frame=frames.frame, expression=frames.expression)
    r = pt.pair_test(st.count_units(frames), np.random.default_rng(0), 20)
    assert np.isnan(r["p"][:, 0, 2]).all() and np.isnan(r["expected"][:, 1, 2]).all()
    sad = r["strata"].index("sadness")
    assert np.isnan(r["p"][sad, 0, 1]) and not np.isnan(r["p"][0, 0, 1])
    assert r["n_tests"] == int((~np.isnan(r["p"][:, *np.triu_indices(3, 1)])).sum()) == 3
    with pytest.raises(ValueError, match="n_flips"):
        pt.pair_test(st.count_units(frames), np.random.default_rng(0), 0)


def test_cell_pair_counts_sum_to_subject_counts_and_match_the_streamed_builder():
    frames = clustered_null(np.random.default_rng(4), n_subjects=4, n_aus=3)
    for unit in ("frame", "sequence"):
        c = st.count_units(frames, unit=unit)
        by_subject = np.zeros_like(c.pair_counts)
        np.add.at(by_subject, c.cell_subject, c.cell_pair_counts)
        np.testing.assert_array_equal(by_subject, c.pair_counts)
        b = CountsBuilder()
        for q in np.unique(frames.sequence):
            rows = frames.sequence == q
            b.add(frames.subject[rows][0], q, frames.expression[rows][0],
                  {k: frames.occurrence[rows, a] for a, k in enumerate((1, 2, 4))})
        s = b.counts(unit)
        for field in ("pair_counts", "cell_pair_counts", "cell_subject", "cell_expression"):
            np.testing.assert_array_equal(getattr(s, field), getattr(c, field), err_msg=f"{unit} {field}")
