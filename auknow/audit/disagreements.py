"""Where a knowledge table and the data disagree, AU by AU.

For every expression ``e`` the table and data share and every AU ``a`` the data codes, the table's
claim ``w[e, a]`` in [0, 1] (prototype: the share of e's configurations that require a;
quantified: the value read as P(a | e)) is set against the data's P(a | e) with its subject-level
bootstrap interval ``[lo, hi]``:

* **required, the data far lower**: the table requires a (``w >= 0.5``) and the data's interval
  lies at least ``gap`` below it (``hi <= w - gap``; default gap 0.5: a required AU the data show
  in at most half of e's units, with confidence);
* **shown strongly, the table lacks it**: the data show a in most of e's units (``lo >= 0.5``),
  more often than in the other expressions (the interval of P(a | e) - P(a | not e) above 0), and
  the table does not mention a for e (prototype: in no configuration, not even as optional or
  alternative; quantified: ``w <= 0.1``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .engine import AuditResult

REQUIRED = 0.5
LACKS = 0.1


@dataclass(frozen=True)
class Disagreement:
    """One AU where a table and the data disagree.

    Attributes:
        table, expression, au: where. kind: ``"required_far_lower"`` or ``"shown_table_lacks"``.
        table_value: the table's ``w`` in [0, 1]. p, low, high: the data's P(AU | e) and interval.
        gap: how far apart, ``w - high`` or ``low - w`` (> 0).
    """

    table: str
    expression: str
    au: str
    kind: str
    table_value: float
    p: float
    low: float
    high: float
    gap: float


def table_claims(result: AuditResult, name: str) -> tuple[np.ndarray, np.ndarray]:
    """``(w [E, A], lacks [E, A] bool)`` of one table over ``result.units.expressions`` x AUs
    (rows of expressions the table does not have are NaN / False)."""
    clf = result.classifiers[name]
    E, A = len(result.units.expressions), len(result.units.aus)
    w = np.full((E, A), np.nan)
    lacks = np.zeros((E, A), dtype=bool)
    for i, e in enumerate(clf.expressions):
        r = result.units.expressions.index(e)
        w[r] = np.where(np.isnan(clf.weights[i]), np.nan, clf.weights[i])
        if clf.kind == "prototype":
            lacks[r] = ~clf.mentioned[i]
        else:
            lacks[r] = clf.mentioned[i] & (clf.weights[i] <= LACKS)
    return w, lacks


def disagreements(result: AuditResult, gap: float = 0.5) -> list[Disagreement]:
    """Every disagreement of every scored table (rules in the module docstring), largest gap first
    within each table.

    >>> from auknow.library import load_bundled
    >>> from auknow.readers import read_ckplus, bundled_ckplus_path
    >>> from auknow.audit import audit, units_from_frames
    >>> r = audit([load_bundled("ekman_emfacs")], units_from_frames(read_ckplus(bundled_ckplus_path())),
    ...           n_boot=50, references=False)
    >>> all(d.gap > 0 for d in disagreements(r))
    True
    """
    p, lo, hi = result.p_au
    out = []
    for name in result.classifiers:
        w, lacks = table_claims(result, name)
        rows = []
        for e, expr in enumerate(result.units.expressions):
            for a, au in enumerate(result.units.aus):
                if np.isnan(w[e, a]) or np.isnan(p[e, a]):
                    continue
                if w[e, a] >= REQUIRED and hi[e, a] <= w[e, a] - gap:
                    rows.append(Disagreement(name, expr, au, "required_far_lower", float(w[e, a]), float(p[e, a]),
                                             float(lo[e, a]), float(hi[e, a]), float(w[e, a] - hi[e, a])))
                elif lacks[e, a] and lo[e, a] >= 0.5 and result.diff_low[e, a] > 0:
                    rows.append(Disagreement(name, expr, au, "shown_table_lacks", float(w[e, a]), float(p[e, a]),
                                             float(lo[e, a]), float(hi[e, a]), float(lo[e, a] - w[e, a])))
        out += sorted(rows, key=lambda d: -d.gap)
    return out
