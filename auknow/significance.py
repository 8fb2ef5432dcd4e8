"""The one rule for "significantly associated" AU-expression cells.

``estimate-prior`` (its terminal summary, its ``--plot`` marks) and the compiler (estimated
tables compiled with their q-values: the ``significance`` of a :class:`auknow.compile.PriorMatrix`,
its plot marks and the ``signed`` mode) all call :func:`significance`, so a cell is significant on
one side exactly when it is on the other.

The rule: an AU is **significantly associated** with expression e when

* its Benjamini-Hochberg q-value is below the FDR level ``alpha`` (``q < alpha``), and
* the effect is positive: ``P(AU | e) > P(AU | not e)``, the risk difference over units where
  the AU is coded (:func:`risk_difference`).

The permutation test behind the q-values (:mod:`auknow.estimate.permutation`) is two-sided on
the studentized risk difference, so the sign of that same difference is the direction of a
discovery; declaring a direction from a two-sided test's sign is the usual directional reading
of Benjamini-Hochberg (Benjamini & Yekutieli 2005, JASA 100(469), 71-81). The direction is *not*
read from the Haldane-corrected log odds ratio in ``statistics.csv``: its +0.5 correction can
make it positive for a (slightly) negative difference when an expression has few units and the
other expressions many (K_e = 10 of N_e = 100 vs 1010 of 10000: difference -0.001, log OR
+0.032). phi and ``lift - 1`` always have the difference's sign.

A cell with ``q < alpha`` and a negative difference is significantly *below* (-1): the AU is
rarer in e than in the other expressions (``signed`` compile mode turns it negative).
"""

from __future__ import annotations

import numpy as np

#: The rule in words, for summaries, figure footnotes and the compiled matrix's sources.
RULE = "q < alpha and P(AU | e) > P(AU | not e)"


def risk_difference(p, n) -> np.ndarray:
    """``P(AU | e) - P(AU | not e)`` per cell, from per-expression rates and unit counts.

    ``P(AU | not e)`` pools the other expressions' units: ``sum_{e' != e} p[e'] n[e'] /
    sum_{e' != e} n[e']`` (rows with ``n = 0`` or a NaN rate carry no units), which is exactly how
    ``estimate-prior`` defines it (:mod:`auknow.estimate.statistics`). Scaling a column of ``p``
    by a positive constant scales its differences by the same constant, so the sign is also
    right for ``p_expression_given_au`` (P(AU | e) divided by its column sum).

    Args:
        p: ``[E, A]`` rates P(AU | e) in [0, 1] (NaN: AU not coded in e).
        n: ``[E, A]`` units (frames or sequences) with the AU coded, >= 0.

    Returns:
        ``[E, A]`` float64 differences in [-1, 1]; NaN where e or the other expressions have no
        unit with the AU coded.

    Raises:
        ValueError: ``p`` and ``n`` differ in shape, or ``n`` is negative.

    >>> d = risk_difference([[0.8], [0.2], [0.2]], [[10], [10], [30]])
    >>> [round(float(x), 3) for x in d[:, 0]]   # 0.8 - 8/40; 0.2 - 14/40; 0.2 - 10/20
    [0.6, -0.15, -0.3]
    """
    p = np.asarray(p, dtype=np.float64)
    n = np.asarray(n, dtype=np.float64)
    if p.shape != n.shape:
        raise ValueError(f"risk_difference: p has shape {p.shape}, n {n.shape}; expected the same [E, A]")
    if (n < 0).any():
        raise ValueError("risk_difference: unit counts n must be >= 0")
    units = np.where(np.isfinite(p) & np.isfinite(n), n, 0.0)
    present = np.where(units > 0, p * units, 0.0)
    rest_n = units.sum(axis=0, keepdims=True) - units
    rest_k = present.sum(axis=0, keepdims=True) - present
    with np.errstate(invalid="ignore", divide="ignore"):
        d = p - rest_k / rest_n
    return np.where((units > 0) & (rest_n > 0), d, np.nan)


def significance(q, effect, alpha: float = 0.05) -> np.ndarray:
    """+1 significantly associated, -1 significantly below, 0 otherwise (see the module docstring).

    Args:
        q: ``[...]`` Benjamini-Hochberg q-values (NaN: untested).
        effect: ``[...]`` a signed effect, positive when ``P(AU | e) > P(AU | not e)``:
            :func:`risk_difference`, phi, ``lift - 1``.
        alpha: FDR level in (0, 1).

    Returns:
        int8 array of the broadcast shape: +1 where ``q < alpha`` and ``effect > 0``, -1 where
        ``q < alpha`` and ``effect < 0``, else 0 (NaN q or effect, a zero effect).

    Raises:
        ValueError: ``alpha`` outside (0, 1).

    >>> significance([0.01, 0.01, 0.2, float("nan")], [0.3, -0.1, 0.5, 0.4], alpha=0.05).tolist()
    [1, -1, 0, 0]
    """
    alpha = float(alpha)
    if not 0.0 < alpha < 1.0:
        raise ValueError(f"alpha: expected an FDR level in (0, 1), got {alpha}")
    q = np.asarray(q, dtype=np.float64)
    effect = np.asarray(effect, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        sig = np.isfinite(q) & (q < alpha)
        return np.where(sig & (effect > 0), 1, np.where(sig & (effect < 0), -1, 0)).astype(np.int8)


def significant(q, effect, alpha: float = 0.05) -> np.ndarray:
    """Bool mask of the significantly associated cells: ``significance(q, effect, alpha) == 1``.

    >>> significant([0.001, 0.001], [0.2, -0.2]).tolist()
    [True, False]
    """
    return significance(q, effect, alpha) == 1
