"""Significance of AU-pair co-occurrence with a subject-clustered sign-flip test.

The question, per AU pair (i, j) and per stratum (all units, or the units of one expression):
do i and j co-occur more (or less) often than if they were independent? Every statistic of
``relations.csv`` that measures it -- phi, lift, P(j | i) - P(j | not i), NPMI -- has the sign of

    D = c - a b / n = sum over units u of (x_iu - a/n)(x_ju - b/n),

with n the units (frames, or sequences with ``unit="sequence"``) where both AUs are coded, a and b
those with i and with j present, c those with both (D = n x the covariance of the two
indicators; D = a (n - a) / n x (P(j | i) - P(j | not i)), so it is also the conditional test of
P(j | i) against P(j | not i), and symmetric in i and j). ``D`` is the observed minus the expected
number of units with both present (``n_both_units - expected_both_units``).

**Why not a test over units.** Frames of one subject are not independent: AU episodes persist over
many frames and subjects differ in how often they show each AU. A test that treats units as
independent (Pearson's chi-square or Fisher's exact test on the pooled 2x2 table,
:func:`unclustered_pvalues`) then rejects true nulls far more often than its level (measured in
``benchmarks/calibration.py``: type-I error up to ~0.9 at p < 0.05 on BP4D-like frames).

**The null and the test.** Split D into subject contributions, D = sum_s D_s, with
D_s = sum over subject s's units of (x_iu - a/n)(x_ju - b/n) (the centring at the stratum's pooled
rates, estimated once). Under H0 -- i and j independent within every subject, subjects
independent of each other, each AU with its own subject-specific rate and persistence -- the D_s
are independent with mean ~0 however long each subject's sequences are and however strongly its
frames are correlated. The test flips the sign of every subject's contribution at random,
D* = sum_s w_s D_s with w_s = +-1 (the sign-flip / wild cluster bootstrap with Rademacher
weights: Fisher 1935's randomisation of signs; Cameron, Gelbach & Miller 2008, Rev. Econ. Stat.
90(3), 414-427; for score contributions with estimated nuisance parameters Hemerik, Goeman &
Finos 2020, JRSS B 82(3), 841-864), two-sided: p = (1 + #{|D*| >= |D|}) / (1 + B)
(Phipson & Smyth 2010).

**Studentization.** The written statistic is the cluster-robust score statistic
``dependence_z`` = D / sqrt(sum_s D_s^2) (approximately N(0, 1) under H0 with many subjects).
The sign-flip test of it equals the test of D, because sum_s (w_s D_s)^2 = sum_s D_s^2 for every
flip: the test is studentized by construction. This is also why unequal sequence lengths do not
break it, the reason the expression test needed a studentized statistic (Chung & Romano 2013):
a flip acts on each subject's own contribution, whatever its scale, so subjects with long and
short sequences need not be exchangeable with each other; exchangeability is only asked of D_s and
-D_s (symmetry), which holds asymptotically (skewed contributions of rare AUs make small-sample
tails slightly off; calibrated in ``benchmarks/calibration.py``).

**What the test does not remove.** Pooled over expressions (the ``all`` stratum), two AUs that
both belong to one expression (AU6 and AU12 in happiness) co-occur, and the test says so:
that is a real co-occurrence, caused by the expression. Within an expression it is removed.
Subject effects that are *correlated* across AUs (expressive people showing every AU more) also
make a real pooled co-occurrence; the test is of the pooled association the row reports.

**One unit per subject.** Where every subject has at most one unit of the stratum in which
both AUs are coded (CK+ within an expression: one apex frame per subject and expression), the
units are the clusters and are independent, and under H0 their AU vectors are exchangeable, so
Fisher's exact test of the stratum's 2x2 table is exact; it is used there instead of the sign
flips, which are liberal for such sparse single-unit contributions (0.055-0.069 at p < 0.05 in the
CK+-like calibration, against Fisher's conservative ~0.04).

**Multiple comparisons and the p-value floor.** One test per unordered pair and stratum (the p of
(i, j) and (j, i) is the same); Benjamini-Hochberg q-values over every pair tested in every
stratum (one family, :func:`auknow.estimate.statistics.bh_qvalues`, equal to
``scipy.stats.false_discovery_control``). The flips double while the q-value of the pairs at the
floor 1/(B+1) exceeds :data:`auknow.estimate.permutation.FLOOR_Q`, up to
:data:`~auknow.estimate.permutation.MAX_EXTENSION` times, the same sequential scheme as the
expression test (Besag & Clifford 1991).
"""

from __future__ import annotations

import math
from typing import Callable

import numpy as np

from . import permutation as pm
from . import statistics as st

#: Written into provenance.
PAIR_NULL = ("AU-pair dependence: sign-flip test of subject contributions to D = both - expected both "
             "(units where both AUs are coded, centred at the stratum's pooled rates); two-sided; "
             "p = (1 + #extreme) / (1 + n_flips), flips doubled while the p-value floor could decide; "
             "BH q over every unordered pair tested in every stratum (all units and each expression)")


def pair_contributions(pair: np.ndarray) -> dict[str, np.ndarray]:
    """Subject contributions ``D_s`` to the excess co-occurrence of every AU pair.

    Args:
        pair: ``[S, ..., 4, A, A]`` pair counts per subject (``Counts.pair_counts`` [S, 4, A, A],
            or one expression's cells of ``Counts.cell_pair_counts``): units with both coded,
            i present, j present, both present.

    Returns:
        ``{"D_s": [S, ..., A, A], "observed": [..., A, A] units with both present,
        "expected": [..., A, A] a b / n, "z": [..., A, A] D / sqrt(sum_s D_s^2),
        "testable": [..., A, A] bool}``. A pair is testable where n > 0 and both AUs are present
        in some but not all of the units (otherwise the 2x2 table has an empty margin and no
        dependence can be measured); ``expected`` and ``z`` are NaN elsewhere.

    >>> pair = np.zeros((2, 4, 2, 2))
    >>> pair[0] = [[[4, 4], [4, 4]], [[2, 2], [2, 2]], [[2, 2], [2, 2]], [[2, 2], [2, 2]]]  # together
    >>> pair[1] = [[[4, 4], [4, 4]], [[2, 2], [2, 2]], [[2, 2], [2, 2]], [[2, 0], [0, 2]]]  # apart
    >>> r = pair_contributions(pair)
    >>> r["D_s"][:, 0, 1].tolist(), float(r["expected"][0, 1])
    ([1.0, -1.0], 2.0)
    """
    pair = np.asarray(pair, dtype=np.float64)
    n_s, a_s, b_s, c_s = (pair[..., k, :, :] for k in range(4))
    n, a, b, c = (x.sum(0) for x in (n_s, a_s, b_s, c_s))
    with np.errstate(invalid="ignore", divide="ignore"):
        pa, pb = a / n, b / n
        testable = (n > 0) & (a > 0) & (a < n) & (b > 0) & (b < n)
        pa, pb = np.where(testable, pa, 0.0), np.where(testable, pb, 0.0)
        d_s = c_s - pb * a_s - pa * b_s + pa * pb * n_s
        d_s = np.where(testable, d_s, 0.0)
        d_s = 0.5 * (d_s + np.swapaxes(d_s, -1, -2))  # equal up to rounding: make (i, j) and (j, i) identical
        expected = np.where(testable, a * b / np.where(n > 0, n, 1), np.nan)  # NaN: untestable
        ss = (d_s ** 2).sum(0)
        d = c - expected
        z = np.where(ss > 0, d / np.sqrt(ss), np.where(testable, 0.0, np.nan))
    return {"D_s": d_s, "observed": c, "expected": expected, "z": z, "testable": testable}


def sign_flip_extremes(d_s: np.ndarray, rng: np.random.Generator, n_flips: int, chunk: int = 500) -> np.ndarray:
    """``[M]`` how many of ``n_flips`` random sign flips of the subject contributions ``d_s``
    ``[S, M]`` give ``|sum_s w_s d_s| >= |sum_s d_s|`` (ties, up to rounding, count as extreme).

    >>> d_s = np.array([[1.0, 0.5], [1.0, -0.5], [1.0, 0.0]])   # 3 subjects, 2 pairs
    >>> hits = sign_flip_extremes(d_s, np.random.default_rng(0), 400)
    >>> bool(50 < hits[0] < 150), int(hits[1])   # all-equal signs: 2 of 8 flips; a zero sum: every flip
    (True, 400)
    """
    S, M = d_s.shape
    observed = np.abs(d_s.sum(0))
    thr = observed - 1e-9 * np.maximum(1.0, np.abs(d_s).sum(0))
    extreme = np.zeros(M)
    for start in range(0, n_flips, chunk):
        size = min(chunk, n_flips - start)
        w = rng.integers(0, 2, size=(size, S)).astype(np.float64) * 2.0 - 1.0
        extreme += (np.abs(w @ d_s) >= thr).sum(0)
    return extreme


def strata_pair_counts(counts: st.Counts) -> tuple[tuple[str, ...], list[np.ndarray]]:
    """The strata of the pair test and their per-subject pair counts ``[S_h, 4, A, A]`` (the
    subjects with units in the stratum): ``("all", *expressions)`` when per-expression counts
    exist (``Counts.cell_pair_counts``), else ``("all",)``.

    >>> from auknow.readers import read_ckplus
    >>> from auknow.readers.ckplus import bundled_ckplus_path
    >>> names, per = strata_pair_counts(st.count_units(read_ckplus(bundled_ckplus_path())))
    >>> names[:3], per[0].shape, per[1].shape        # all 118 subjects; the 45 with anger
    (('all', 'anger', 'contempt'), (118, 4, 23, 23), (45, 4, 23, 23))
    """
    names, pairs = ["all"], [counts.pair_counts]
    if counts.expressions and counts.cell_pair_counts is not None:
        for e, expr in enumerate(counts.expressions):
            names.append(expr)
            pairs.append(counts.cell_pair_counts[counts.cell_expression == e])
    return tuple(names), pairs


def pair_test(counts: st.Counts, rng: np.random.Generator, n_flips: int,
              progress: Callable[[int], None] | None = None, floor_q: float = pm.FLOOR_Q,
              max_factor: int = pm.MAX_EXTENSION) -> dict:
    """Sign-flip p- and BH q-values of every AU pair, overall and per expression (module docstring).

    Args:
        counts: from :func:`auknow.estimate.statistics.count_units` (or a counts builder).
        rng: the random stream of the flips. n_flips: flips to start with (>= 1).
        progress: called with the number of flips done in the first batch.
        floor_q, max_factor: the adaptive extension (as
            :func:`auknow.estimate.permutation.adaptive_permutation_test`).

    Returns:
        ``{"strata": ("all", *expressions), "p", "q", "z", "observed", "expected": [H, A, A]
        (symmetric; NaN on the diagonal and where untestable), "n_flips": flips drawn,
        "floor": 1/(n_flips+1), "floor_q": BH q of the pairs at the floor (None if none),
        "n_floor": their number, "n_tests": unordered pairs tested}``.

    Raises:
        ValueError: ``n_flips`` < 1.

    >>> import auknow
    >>> c = st.count_units(auknow.read_ckplus(auknow.bundled_ckplus_path()))
    >>> r = pair_test(c, np.random.default_rng(0), 200)
    >>> r["strata"][:2], r["p"].shape == (8, len(c.aus), len(c.aus))
    (('all', 'anger'), True)
    """
    if n_flips < 1:
        raise ValueError(f"n_flips must be >= 1, got {n_flips}")
    names, pairs = strata_pair_counts(counts)
    A = len(counts.aus)
    iu = np.triu_indices(A, 1)
    res = [pair_contributions(pair) for pair in pairs]
    # per stratum, the testable unordered pairs' subject contributions [S_h, m_h]
    ok = [r["testable"][iu] for r in res]
    d_s = [r["D_s"][:, iu[0], iu[1]][:, k] for r, k in zip(res, ok)]
    # one unit per subject (CK+ within an expression): units are the clusters, Fisher's test is exact
    exact = np.concatenate([(pair[:, 0] <= 1).all(0)[iu][k] for pair, k in zip(pairs, ok)])
    fisher = np.concatenate([fisher_pvalues(pair.sum(0), iu, k, (pair[:, 0] <= 1).all(0)[iu][k])
                             for pair, k in zip(pairs, ok)])
    extreme, total, batch = np.zeros(exact.size), 0, n_flips
    while True:
        extreme += np.concatenate([sign_flip_extremes(d, rng, batch) for d in d_s])
        if progress and not total:
            progress(batch)
        total += batch
        p_ok = np.where(exact, fisher, (1.0 + extreme) / (1.0 + total))
        q_ok = st.bh_qvalues(p_ok)
        at_floor = (extreme == 0) & ~exact
        fq = float(q_ok[at_floor].max()) if at_floor.any() else None
        if fq is None or fq <= floor_q or total >= max_factor * n_flips:
            break
        batch = min(total, max_factor * n_flips - total)
    mask = np.stack(ok)  # [H, A(A-1)/2]
    out = {}
    for key, flat in (("p", p_ok), ("q", q_ok)):
        full = np.full(mask.shape, np.nan)
        full[mask] = flat
        out[key] = _symmetric(full, iu, A)
    stack = {k: np.stack([r[k] for r in res]) for k in ("z", "observed", "expected")}
    return {"strata": names, **out, "z": _masked(stack["z"], A), "observed": stack["observed"],
            "expected": _masked(stack["expected"], A), "n_flips": total, "floor": 1.0 / (total + 1),
            "floor_q": fq, "n_floor": int(at_floor.sum()), "n_tests": int(mask.sum())}


def fisher_pvalues(pair: np.ndarray, iu, testable: np.ndarray, wanted: np.ndarray) -> np.ndarray:
    """Two-sided Fisher exact p of the 2x2 unit tables of the testable unordered pairs (NaN where
    not ``wanted``), from summed pair counts ``[4, A, A]``: exact when every subject has at most one
    unit in the stratum (units independent, margins fixed under H0).

    Args:
        pair: ``[4, A, A]`` units with both AUs coded, i present, j present, both present.
        iu: ``np.triu_indices(A, 1)``, the unordered pairs. testable: ``[A(A-1)/2]`` bool (as
            :func:`pair_contributions`). wanted: ``[testable.sum()]`` bool, the pairs to test.

    Returns:
        ``[testable.sum()]`` p-values in (0, 1], NaN where not wanted.

    >>> pair = np.zeros((4, 3, 3))
    >>> pair[0] = 10                                   # 10 units, every AU coded
    >>> pair[1] = np.array([5, 5, 4])[:, None]          # AU i present in 5, 5, 4 units
    >>> pair[2] = pair[1].T
    >>> pair[3] = [[5, 5, 2], [5, 5, 2], [2, 2, 4]]    # AUs 0 and 1 always together
    >>> iu = np.triu_indices(3, 1)                     # pairs (0, 1), (0, 2), (1, 2)
    >>> p = fisher_pvalues(pair, iu, np.ones(3, bool), np.array([True, True, False]))
    >>> p.round(4).tolist(), bool(np.isclose(p[0], 2 / 252))   # [[5, 0], [0, 5]]: 2 of C(10, 5) tables
    ([0.0079, 1.0, nan], True)
    """
    out = np.full(int(testable.sum()), np.nan)
    if not wanted.any():
        return out
    from scipy.stats import fisher_exact  # slow import: only when needed

    n, a, b, c = (pair[k][iu][testable] for k in range(4))
    for m in np.flatnonzero(wanted):
        table = [[c[m], a[m] - c[m]], [b[m] - c[m], n[m] - a[m] - b[m] + c[m]]]
        out[m] = fisher_exact(np.array(table, dtype=np.int64), alternative="two-sided").pvalue
    return out


def _symmetric(upper: np.ndarray, iu, A: int) -> np.ndarray:
    out = np.full((upper.shape[0], A, A), np.nan)
    out[:, iu[0], iu[1]] = upper
    out[:, iu[1], iu[0]] = upper
    return out


def _masked(x: np.ndarray, A: int) -> np.ndarray:
    return np.where(np.eye(A, dtype=bool), np.nan, x)


def unclustered_pvalues(pair: np.ndarray) -> np.ndarray:
    """Two-sided p of Pearson's chi-square test of the pooled 2x2 unit table ``[..., A, A]`` from
    summed pair counts ``[..., 4, A, A]``, treating every unit as independent.

    The reference that ignores clustering (what a naive analysis of frames does); it is *not*
    valid for frames of a subject and is kept for ``benchmarks/calibration.py`` and the tests,
    which show its type-I error. p = erfc(|phi| sqrt(n / 2)); NaN where phi is undefined.

    >>> pair = np.array([[[100., 100.], [100., 100.]], [[50., 50.], [50., 50.]],
    ...                  [[50., 50.], [50., 50.]], [[50., 25.], [25., 50.]]])
    >>> round(float(unclustered_pvalues(pair)[0, 1]), 4)
    1.0
    """
    phi = st.relation_statistics(np.asarray(pair, dtype=np.float64))["phi"]
    n = np.asarray(pair, dtype=np.float64)[..., 0, :, :]
    with np.errstate(invalid="ignore"):
        z = np.abs(phi) * np.sqrt(n / 2.0)
    return np.where(np.isnan(z), np.nan, _erfc(np.nan_to_num(z)))


_erfc = np.vectorize(math.erfc, otypes=[np.float64])
