"""Statistics of estimate-prior against independent references (brute force over frames, float64)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as hst

from auknow.estimate import statistics as st
from auknow.estimate.prior import estimate_prior
from auknow.readers.frames import MISSING, AUFrames

EXPRS = ("anger", "fear", "happiness")
AUS = ("AU01", "AU04", "AU06", "AU12")


def random_frames(seed: int, n_subjects: int = 6, missing: float = 0.1, labelled: bool = True) -> AUFrames:
    """Subjects x expressions, 1-2 sequences each of 3-9 frames, AU rates depending on expression."""
    rng = np.random.default_rng(seed)
    rates = rng.uniform(0.05, 0.9, size=(len(EXPRS), len(AUS)))
    rows, subj, seq, frame, expr = [], [], [], [], []
    for s in range(n_subjects):
        for e, name in enumerate(EXPRS):
            for q in range(rng.integers(1, 3)):
                for f in range(rng.integers(3, 10)):
                    occ = (rng.random(len(AUS)) < rates[e]).astype(int)
                    occ[rng.random(len(AUS)) < missing] = MISSING
                    rows.append(occ)
                    subj.append(f"S{s}")
                    seq.append(f"S{s}_{name}_{q}")
                    frame.append(f)
                    expr.append(name)
    return AUFrames(aus=AUS, occurrence=np.array(rows), subject=subj, sequence=seq, frame=frame,
                    expression=expr if labelled else None)


def brute_force(frames: AUFrames, unit: str = "frame", min_fraction: float = 0.5):
    """Every expression statistic by explicit loops over units, in float64, from the definitions."""
    units = []  # (expression, {au: 0/1/None})
    if unit == "frame":
        for i in range(len(frames)):
            units.append((frames.expression[i], {a: (None if frames.occurrence[i, j] == MISSING
                                                     else int(frames.occurrence[i, j])) for j, a in enumerate(frames.aus)}))
    else:
        for q in sorted(set(frames.sequence)):
            idx = [i for i in range(len(frames)) if frames.sequence[i] == q]
            vals = {}
            for j, a in enumerate(frames.aus):
                coded = [frames.occurrence[i, j] for i in idx if frames.occurrence[i, j] != MISSING]
                vals[a] = None if not coded else int(sum(coded) / len(coded) >= min_fraction)
            units.append((frames.expression[idx[0]], vals))
    out = {}
    for e in sorted(set(frames.expression)):
        for a in frames.aus:
            ins = [v[a] for ex, v in units if ex == e and v[a] is not None]
            outs = [v[a] for ex, v in units if ex != e and v[a] is not None]
            pe, pn = sum(ins) / len(ins), sum(outs) / len(outs)
            allv = ins + outs
            a_, b_, c_, d_ = sum(ins), len(ins) - sum(ins), sum(outs), len(outs) - sum(outs)
            lor = math.log((a_ + .5) * (d_ + .5) / ((b_ + .5) * (c_ + .5)))
            den = math.sqrt((a_ + b_) * (c_ + d_) * (a_ + c_) * (b_ + d_))
            out[(e, a)] = {"p_au_given_expression": pe, "p_au": sum(allv) / len(allv),
                           "lift": pe / pn if pn > 0 else math.inf, "log_odds_ratio": lor,
                           "phi": (a_ * d_ - b_ * c_) / den}
    for a in frames.aus:
        total = sum(out[(e, a)]["p_au_given_expression"] for e in sorted(set(frames.expression)))
        for e in sorted(set(frames.expression)):
            out[(e, a)]["p_expression_given_au"] = out[(e, a)]["p_au_given_expression"] / total
    return out


def point_estimates(frames, unit="frame", min_fraction=0.5):
    counts = st.count_units(frames, unit=unit, min_fraction=min_fraction)
    N, K = counts.subject_expression_counts()
    return counts, st.expression_statistics(N.sum(0), K.sum(0))


@pytest.mark.parametrize("unit", ["frame", "sequence"])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_expression_statistics_match_brute_force(unit, seed):
    frames = random_frames(seed)
    counts, stats = point_estimates(frames, unit=unit, min_fraction=0.4)
    ref = brute_force(frames, unit=unit, min_fraction=0.4)
    for (e, a), vals in ref.items():
        i, j = counts.expressions.index(e), counts.aus.index(a)
        for name, value in vals.items():
            assert stats[name][i, j] == pytest.approx(value, rel=1e-12, abs=1e-12), (name, e, a)


def test_relation_statistics_match_brute_force():
    frames = random_frames(3, missing=0.2)
    counts = st.count_units(frames)
    rel = st.relation_statistics(counts.pair_counts.sum(0))
    occ = frames.occurrence
    for i in range(len(AUS)):
        for j in range(len(AUS)):
            if i == j:
                continue
            both_coded = (occ[:, i] != MISSING) & (occ[:, j] != MISSING)
            xi, xj = occ[both_coded, i], occ[both_coded, j]
            assert rel["p_j_given_i"][i, j] == pytest.approx(xj[xi == 1].mean(), rel=1e-12)
            assert rel["lift"][i, j] == pytest.approx((xi & xj).mean() / (xi.mean() * xj.mean()), rel=1e-12)
            assert rel["phi"][i, j] == pytest.approx(np.corrcoef(xi, xj)[0, 1], rel=1e-9)


def test_bootstrap_replicate_equals_statistics_of_resampled_data():
    """A cluster-bootstrap replicate is exactly the statistic of the data with subjects duplicated."""
    frames = random_frames(4)
    counts = st.count_units(frames)
    w = np.array([[2, 0, 1, 0, 3, 0]], dtype=float)  # subject S0 twice, S2 once, S4 three times
    N, K = counts.subject_expression_counts()
    S = len(counts.subjects)
    rep = st.expression_statistics((w @ N.reshape(S, -1)).reshape(N.shape[1:]),
                                   (w @ K.reshape(S, -1)).reshape(K.shape[1:]))
    parts = []
    for s, times in zip(counts.subjects, w[0]):
        for t in range(int(times)):
            part = frames.select(frames.subject == s)
            part.subject = np.array([f"{s}#{t}"] * len(part))
            part.sequence = np.char.add(part.sequence, f"#{t}")
            parts.append(part)
    dup = AUFrames(aus=AUS, occurrence=np.concatenate([p.occurrence for p in parts]),
                   subject=np.concatenate([p.subject for p in parts]),
                   sequence=np.concatenate([p.sequence for p in parts]),
                   frame=np.concatenate([p.frame for p in parts]),
                   expression=np.concatenate([p.expression for p in parts]))
    ref = brute_force(dup)
    for (e, a), vals in ref.items():
        i, j = counts.expressions.index(e), counts.aus.index(a)
        for name, value in vals.items():
            assert rep[name][i, j] == pytest.approx(value, rel=1e-12), (name, e, a)


@settings(max_examples=60, deadline=None)
@given(hst.integers(1, 40), hst.integers(1, 6), hst.floats(0.0, 0.9), hst.floats(0.01, 0.99), hst.integers(0, 10**6))
def test_nan_quantile_equals_numpy(n, cols, nan_share, q, seed):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, cols))
    x[rng.random(x.shape) < nan_share] = np.nan
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        expected = np.nanquantile(x, q, axis=0)
    np.testing.assert_allclose(st.nan_quantile(x, q), expected, rtol=1e-12, atol=1e-12, equal_nan=True)


def test_within_subject_permutations_keep_subjects():
    seq_subject = np.array([0, 0, 0, 1, 2, 2, 3, 3, 3, 3])
    perms = st.within_subject_permutations(np.random.default_rng(0), seq_subject, 200)
    assert perms.shape == (200, 10)
    assert (np.sort(perms, axis=1) == np.arange(10)).all()  # each row is a permutation
    assert (seq_subject[perms] == seq_subject).all()  # nothing crosses subjects
    assert len({tuple(p) for p in perms}) > 50  # and it really shuffles
    with pytest.raises(ValueError):
        st.within_subject_permutations(np.random.default_rng(0), np.array([1, 0]), 2)


def test_bh_qvalues_match_hand_computation():
    p = np.array([0.01, 0.04, 0.03, np.nan, 0.5, 0.002])
    q = st.bh_qvalues(p)
    finite = p[~np.isnan(p)]
    m = finite.size
    order = np.argsort(finite)
    raw = finite[order] * m / np.arange(1, m + 1)
    expected_sorted = np.minimum.accumulate(raw[::-1])[::-1]
    expected = np.empty(m)
    expected[order] = np.minimum(expected_sorted, 1)
    np.testing.assert_allclose(q[~np.isnan(p)], expected)
    assert np.isnan(q[3])
    from scipy.stats import false_discovery_control  # the well-kept reference implementation
    np.testing.assert_allclose(q[~np.isnan(p)], false_discovery_control(finite, method="bh"), rtol=1e-12)


def null_frames(seed: int, n_subjects: int = 12) -> AUFrames:
    """AU occurrence depends on the subject but not on the expression (H0 true)."""
    rng = np.random.default_rng(seed)
    rows, subj, seq, expr = [], [], [], []
    for s in range(n_subjects):
        rate = rng.uniform(0.1, 0.8, size=len(AUS))  # subject effect only
        for e, name in enumerate(EXPRS):
            for f in range(6):
                rows.append((rng.random(len(AUS)) < rate).astype(int))
                subj.append(f"S{s}")
                seq.append(f"S{s}_{name}")
                expr.append(name)
    return AUFrames(aus=AUS, occurrence=np.array(rows), subject=subj, sequence=seq, frame=np.zeros(len(rows)),
                    expression=expr)


def test_permutation_null_controls_type_one_error():
    pvals = []
    for seed in range(60):
        counts = st.count_units(null_frames(seed))
        perms = st.within_subject_permutations(np.random.default_rng(seed), counts.seq_subject, 199)
        pvals.append(st.permutation_pvalues(counts, perms).ravel())
    pvals = np.concatenate(pvals)
    assert pvals.min() >= 2 / 200  # +1 correction: never 0
    rate = (pvals <= 0.05).mean()
    assert 0.02 <= rate <= 0.08, rate


def test_strong_association_gets_smallest_pvalue():
    frames = random_frames(5, n_subjects=10, missing=0.0)
    occ = frames.occurrence.copy()
    occ[:, 3] = (frames.expression == "happiness").astype(int)  # AU12 iff happiness
    frames = AUFrames(aus=AUS, occurrence=occ, subject=frames.subject, sequence=frames.sequence,
                      frame=frames.frame, expression=frames.expression)
    est = estimate_prior(frames, n_boot=50, n_perm=199, seed=1)
    h = est.expressions.index("happiness")
    # the floor of the |T| test is 1/(P+1) (the old two-tail test's was 2/(P+1))
    assert est.p_value[h, 3] == pytest.approx(1 / (est.settings["n_perm_used"] + 1))
    assert est.p_value[h, 3] == np.nanmin(est.p_value)
    assert est.q_value[h, 3] < 0.05
    assert est.expression["p_au_given_expression"][h, 3] == 1.0
    assert math.isinf(est.expression["lift"][h, 3])


def coverage_frames(rng, m: np.ndarray, n_subjects: int, kappa: float = 8.0) -> AUFrames:
    """Subject-level P(AU | expression) ~ Beta(m*kappa, (1-m)*kappa): population value exactly m."""
    E, A = m.shape
    p = rng.beta(m * kappa, (1 - m) * kappa, size=(n_subjects, E, A))
    occ = (rng.random((n_subjects, E, 10, A)) < p[:, :, None, :]).astype(np.int8).reshape(-1, A)
    subj = np.repeat([f"S{s}" for s in range(n_subjects)], E * 10)
    expr = np.tile(np.repeat(np.array(EXPRS[:E]), 10), n_subjects)
    seq = np.char.add(np.char.add(subj, "_"), expr)
    return AUFrames(aus=AUS[:A], occurrence=occ, subject=subj, sequence=seq, frame=np.zeros(len(occ)),
                    expression=expr)


def test_bootstrap_interval_coverage_by_simulation():
    """95% subject-bootstrap intervals of P(AU | expression) cover the generating value ~95% of the time."""
    rng = np.random.default_rng(7)
    m = np.array([[0.2, 0.7], [0.5, 0.1]])
    hits, total = 0, 0
    for _ in range(150):
        frames = coverage_frames(rng, m, n_subjects=25)
        counts = st.count_units(frames)
        w = st.bootstrap_weights(rng, len(counts.subjects), 300)
        low, high = st.bootstrap(counts, w, 0.95)["expression"]["p_au_given_expression"]
        hits += ((low <= m) & (m <= high)).sum()
        total += m.size
    coverage = hits / total
    assert 0.89 <= coverage <= 0.985, coverage


def test_estimate_is_deterministic_and_seed_dependent():
    frames = random_frames(8)
    a = estimate_prior(frames, n_boot=100, n_perm=100, seed=3)
    b = estimate_prior(frames, n_boot=100, n_perm=100, seed=3)
    c = estimate_prior(frames, n_boot=100, n_perm=100, seed=4)
    for name in st.STATISTICS:
        np.testing.assert_array_equal(a.expression_ci[name][0], b.expression_ci[name][0])
    np.testing.assert_array_equal(a.p_value, b.p_value)
    assert not np.array_equal(a.expression_ci["phi"][0], c.expression_ci["phi"][0])
    # The permutation stream does not depend on the number of bootstrap resamples.
    d = estimate_prior(frames, n_boot=37, n_perm=100, seed=3)
    np.testing.assert_array_equal(a.p_value, d.p_value)


def test_estimate_without_labels_gives_relations_only():
    frames = random_frames(9, labelled=False)
    est = estimate_prior(frames, n_boot=20, n_perm=20)
    assert est.expressions == ()
    assert est.expression == {} and est.p_value is None
    assert est.relation["p_j_given_i"].shape == (4, 4)


def test_uncoded_aus_are_dropped_and_one_subject_is_refused():
    frames = random_frames(10)
    occ = frames.occurrence.copy()
    occ[:, 1] = MISSING
    frames2 = AUFrames(aus=AUS, occurrence=occ, subject=frames.subject, sequence=frames.sequence,
                       frame=frames.frame, expression=frames.expression)
    est = estimate_prior(frames2, n_boot=10, n_perm=10)
    assert "AU04" not in est.aus and len(est.aus) == 3
    from auknow.errors import DataError
    with pytest.raises(DataError, match="subject"):
        estimate_prior(frames.select(frames.subject == "S0"), n_boot=10, n_perm=10)
