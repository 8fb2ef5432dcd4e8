"""Information measures of AU co-occurrence: normalized PMI and conditional-probability asymmetry.

**Normalised pointwise mutual information** (Bouma 2009, "Normalized (pointwise) mutual
information in collocation extraction", Proc. GSCL, 31-40) of two events x, y:

    npmi(x, y) = log[P(x, y) / (P(x) P(y))] / (-log P(x, y)),    in [-1, 1]:

-1 when x and y never occur together (the limit as P(x, y) -> 0), 0 when they are independent,
1 when each occurs only with the other (P(x, y) = P(x) = P(y)). Between AUs i and j (over units
where both are coded) and between an expression e and an AU a (over units where a is coded;
x = "the unit is of e", y = "a is present"), as NetFACS's ``mutual.information`` and
``mutual.information.condition`` (Mielke et al. 2022). NetFACS writes -1 wherever the value is NaN,
which also turns the undefined cases into "never together". Here they are NaN (an empty CSV cell):

* no unit where both are coded, or an event that never happens (P(x) = 0 or P(y) = 0: an AU never
  present, an expression without a unit): nothing to measure;
* P(x, y) = 1 (both in every unit): PMI = 0 and -log P(x, y) = 0, 0 / 0; two constant events
  carry no information about each other.

An event that always happens (P(x) = 1) with P(y) < 1 is independent of everything: npmi = 0.

**Conditional-probability asymmetry** P(j | i) - P(i | j), in [-1, 1], over units where both
are coded. By Bayes' rule P(j | i) / P(i | j) = P(j) / P(i), so the asymmetry says which AU is the
rarer one in their co-occurrence (positive: j nearly always accompanies i, not the reverse;
j "extends" i), not how dependent they are (that is phi, NPMI and the pair test). NetFACS's
``netfacs.reciprocity`` combines the two conditionals as (m / M - (M - m)) M, M the larger and m
the smaller (R/netfacs_reciprocity.R); it can be computed from ``p_j_given_i`` and
``p_i_given_j`` of ``relations.csv``.
"""

from __future__ import annotations

import numpy as np


def npmi_from_counts(both: np.ndarray, x: np.ndarray, y: np.ndarray, n: np.ndarray) -> np.ndarray:
    """NPMI from counts (any equal shapes): ``both`` units with x and y, ``x``, ``y`` units with
    each, ``n`` units; NaN where undefined (module docstring).

    >>> float(npmi_from_counts(np.array(0.), np.array(5.), np.array(5.), np.array(20.)))   # never together
    -1.0
    >>> float(npmi_from_counts(np.array(5.), np.array(5.), np.array(5.), np.array(20.)))   # only together
    1.0
    >>> float(npmi_from_counts(np.array(5.), np.array(10.), np.array(10.), np.array(20.)))  # independent
    0.0
    >>> bool(np.isnan(npmi_from_counts(np.array(20.), np.array(20.), np.array(20.), np.array(20.))))
    True
    """
    both, x, y, n = (np.asarray(v, dtype=np.float64) for v in (both, x, y, n))
    defined = (n > 0) & (x > 0) & (y > 0) & (both < n)
    with np.errstate(invalid="ignore", divide="ignore"):
        # Integer counts: both*n and x*y are exact in float64, so independence gives log(1) = 0,
        # and "only together" (both = x = y) rounds (both n)/(x y) and n/both to the same float: 1.
        pmi = np.log((both * n) / (x * y))
        h = np.log(n / both)
        out = np.where(both > 0, pmi / np.where(h > 0, h, 1.0), -1.0)
    return np.where(defined, out, np.nan)


def relation_information(pair: np.ndarray) -> dict[str, np.ndarray]:
    """``npmi``, ``p_i_given_j`` and ``conditional_asymmetry`` ``[..., A, A]`` from summed pair
    counts ``[..., 4, A, A]`` (units with both coded, i present, j present, both present).

    >>> pair = np.zeros((4, 2, 2)); pair[0] = 10; pair[1] = [[4, 4], [8, 8]]
    >>> pair[2] = pair[1].T; pair[3] = [[4, 4], [4, 8]]
    >>> r = relation_information(pair)
    >>> float(r["p_i_given_j"][0, 1]), float(r["conditional_asymmetry"][0, 1])   # P(0|1), P(1|0) - P(0|1)
    (0.5, 0.5)
    """
    pair = np.asarray(pair, dtype=np.float64)
    n, ci, cj, both = (pair[..., k, :, :] for k in range(4))
    with np.errstate(invalid="ignore", divide="ignore"):
        p_j_given_i = both / ci
        p_i_given_j = both / cj
    return {"npmi": npmi_from_counts(both, ci, cj, n), "p_i_given_j": p_i_given_j,
            "conditional_asymmetry": p_j_given_i - p_i_given_j}


def expression_npmi(N: np.ndarray, K: np.ndarray) -> np.ndarray:
    """NPMI ``[..., E, A]`` between "the unit is of expression e" and "AU a is present", over the
    units where a is coded, from counts ``N``, ``K`` ``[..., E, A]`` (coded / present units).

    >>> N = np.array([[10., 10.], [10., 10.]]); K = np.array([[10., 5.], [0., 5.]])
    >>> expression_npmi(N, K).round(3).tolist()   # AU0 only in e0; AU1 independent of e
    [[1.0, 0.0], [-1.0, 0.0]]
    """
    N = np.asarray(N, dtype=np.float64)
    K = np.asarray(K, dtype=np.float64)
    return npmi_from_counts(K, N, np.broadcast_to(K.sum(-2, keepdims=True), K.shape),
                            np.broadcast_to(N.sum(-2, keepdims=True), N.shape))
