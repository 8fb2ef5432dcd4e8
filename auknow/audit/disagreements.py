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

    Made by :func:`disagreements`; here the data's happiness units all part the lips (AU25), which
    FIG 2002 never mentions for happiness:

    >>> import numpy as np
    >>> from auknow.audit import Units, audit
    >>> from auknow.library import load_bundled
    >>> x = np.array([[1, 0, 0, 0], [0, 1, 1, 1]] * 3 + [[1, 0, 1, 0], [0, 0, 1, 1]], np.int8)
    >>> u = Units(("AU04", "AU06", "AU12", "AU25"), x, subject=np.repeat(np.arange(4), 2),
    ...           label=np.tile([0, 1], 4), subjects=("s1", "s2", "s3", "s4"), expressions=("anger", "happiness"))
    >>> r = audit([load_bundled("fig2002"), load_bundled("ekman_emfacs")], u, n_boot=20, references=False)
    >>> d = disagreements(r)[0]
    >>> d.table, d.expression, d.au, d.kind, d.table_value, d.p, d.gap
    ('fig2002', 'happiness', 'AU25', 'shown_table_lacks', 0.0, 1.0, 1.0)
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
    (rows of expressions the table does not have are NaN / False).

    ``w`` in [0, 1] is the table's claim (module docstring); ``lacks`` marks where the table does
    not mention the AU (prototype) or gives it at most 0.1 (quantified). ``KeyError``: a table
    that was not scored.

    >>> import numpy as np
    >>> from auknow.audit import Units, audit
    >>> from auknow.library import load_bundled
    >>> x = np.array([[1, 0, 0, 0], [0, 1, 1, 1]] * 3 + [[1, 0, 1, 0], [0, 0, 1, 1]], np.int8)
    >>> u = Units(("AU04", "AU06", "AU12", "AU25"), x, subject=np.repeat(np.arange(4), 2),
    ...           label=np.tile([0, 1], 4), subjects=("s1", "s2", "s3", "s4"), expressions=("anger", "happiness"))
    >>> r = audit([load_bundled("fig2002"), load_bundled("ekman_emfacs")], u, n_boot=20, references=False)
    >>> w, lacks = table_claims(r, "fig2002")  # columns AU04, AU06, AU12, AU25
    >>> w.round(2).tolist()
    [[0.76, 0.0, 0.0, 0.0], [0.0, 0.5, 1.0, 0.0]]
    >>> lacks.tolist()  # anger's alternatives include AU25, happiness mentions neither AU04 nor AU25
    [[False, True, True, False], [True, False, False, True]]
    """
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
