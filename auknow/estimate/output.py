"""What ``estimate-prior`` writes: tidy CSVs, knowledge tables with provenance, a terminal summary.

Numbers in the CSVs have 6 significant digits; an undefined value (an AU never coded for an
expression, a ratio with an empty denominator) is an empty cell, ``inf`` an infinite lift.
"""

from __future__ import annotations

import csv
import io
import math

import numpy as np

from ..facs import au_number
from ..significance import risk_difference, significant
from ..tables.model import Provenance, QuantifiedTable, Relation, RelationTable, Statistic, Weight
from . import information as inf
from . import statistics as st
from .prior import PriorEstimate

STATISTICS_COLUMNS = (
    "expression", "au", "au_name", "p_au_given_expression", "p_au", "lift", "log_odds_ratio", "phi",
    "p_expression_given_au", "statistic", "contribution", "ci_low", "ci_high", "p_value", "q_value",
    "n_frames", "n_sequences", "n_subjects",
    *(f"{s}_ci_{side}" for s in st.STATISTICS for side in ("low", "high")),
    "npmi",
)
#: AU-pair test and information columns (relations.csv and relations_by_expression.csv).
PAIR_COLUMNS = ("p_i_given_j", "conditional_asymmetry", "npmi", "n_both_units", "expected_both_units",
                "dependence_z", "p_value", "q_value")
RELATION_COLUMNS = (
    "au_i", "au_j", "au_i_name", "au_j_name", "p_j_given_i", "phi", "lift", "n_units",
    "n_subjects", "never_co_occur",
    *(f"{s}_ci_{side}" for s in st.RELATION_STATISTICS for side in ("low", "high")),
    *PAIR_COLUMNS,
)
RELATION_BY_EXPRESSION_COLUMNS = ("expression", "au_i", "au_j", "au_i_name", "au_j_name", "p_j_given_i", "phi",
                                  "lift", "n_units", "n_subjects", "never_co_occur", *PAIR_COLUMNS)


def fmt(x) -> str:
    """A CSV cell: 6 significant digits, empty for NaN / None, ``inf``/``-inf``, integers plain.

    >>> fmt(0.1234567), fmt(float("nan")), fmt(3.0), fmt(float("inf")), fmt(True)
    ('0.123457', '', '3', 'inf', 'true')
    """
    if x is None:
        return ""
    if isinstance(x, (bool, np.bool_)):
        return "true" if x else "false"
    if isinstance(x, (int, np.integer)):
        return str(int(x))
    x = float(x)
    if math.isnan(x):
        return ""
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    if x.is_integer() and abs(x) < 1e15:
        return str(int(x))
    return f"{x:.6g}"


def csv_text(header, rows) -> str:
    """A CSV document (``\\n`` line ends) from a header and rows of cells, via :mod:`csv`.

    >>> csv_text(["expression", "note"], [["happiness", "AU6, AU12"]])
    'expression,note\\nhappiness,"AU6, AU12"\\n'
    """
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    w.writerows(rows)
    return buf.getvalue()


def statistics_rows(est: PriorEstimate, statistic: str) -> list[list]:
    """The rows of ``statistics.csv`` as raw values (full precision, NaN where undefined).

    >>> from auknow.readers import read_ckplus
    >>> from auknow.readers.ckplus import bundled_ckplus_path
    >>> from auknow.estimate.prior import estimate_prior
    >>> est = estimate_prior(read_ckplus(bundled_ckplus_path()), n_boot=0, n_perm=0)
    >>> rows = statistics_rows(est, "p_au_given_expression")
    >>> len(rows) == len(est.expressions) * len(est.aus), rows[0][:3]
    (True, ['anger', 1, 'AU01'])
    """
    rows = []
    low, high = est.expression_ci[statistic]
    npmi = inf.expression_npmi(*(x.sum(0) for x in est.counts.subject_expression_counts()))
    for e, expr in enumerate(est.expressions):
        for a, au in enumerate(est.aus):
            vals = [est.expression[s][e, a] for s in st.STATISTICS]
            rows.append([
                expr, au_number(au), au, *vals, statistic, est.expression[statistic][e, a],
                low[e, a], high[e, a], est.p_value[e, a], est.q_value[e, a],
                est.n_frames[e, a], est.n_sequences[e, a], est.n_subjects[e, a],
                *(est.expression_ci[s][k][e, a] for s in st.STATISTICS for k in (0, 1)),
                npmi[e, a],
            ])
    return rows


def statistics_csv(est: PriorEstimate, statistic: str) -> str:
    """``statistics.csv``: one row per (expression, AU) with every statistic, CI, p, q and counts.

    AUs with no coded unit in an expression still get a row (values empty, counts 0), so the
    grid is complete; AUs never coded in the data were dropped before estimation.

    >>> from auknow.readers import read_ckplus
    >>> from auknow.readers.ckplus import bundled_ckplus_path
    >>> from auknow.estimate.prior import estimate_prior
    >>> est = estimate_prior(read_ckplus(bundled_ckplus_path()), n_boot=0, n_perm=0)
    >>> statistics_csv(est, "p_au_given_expression").splitlines()[0].split(",")[:4]
    ['expression', 'au', 'au_name', 'p_au_given_expression']
    """
    return csv_text(STATISTICS_COLUMNS, [[v if isinstance(v, str) else fmt(v) for v in row]
                                     for row in statistics_rows(est, statistic)])


def relations_csv(est: PriorEstimate) -> str:
    """``relations.csv``: one row per ordered AU pair (i != j) with P(j | i), phi, lift, CIs, counts,
    then the information measures and the pair test of the ``all`` stratum (:data:`PAIR_COLUMNS`).

    ``n_units`` counts units where both AUs are coded (frames, or sequences with ``--unit
    sequence``); ``never_co_occur`` flags pairs coded together but never present together.

    >>> from auknow.readers import read_ckplus
    >>> from auknow.readers.ckplus import bundled_ckplus_path
    >>> from auknow.estimate.prior import estimate_prior
    >>> est = estimate_prior(read_ckplus(bundled_ckplus_path()), n_boot=0, n_perm=0)
    >>> relations_csv(est).splitlines()[0].split(",")[:5]
    ['au_i', 'au_j', 'au_i_name', 'au_j_name', 'p_j_given_i']
    """
    rows = []
    both = est.counts.pair_counts.sum(0)[3]
    extra = pair_cells(est, est.counts.pair_counts.sum(0), 0)
    for i, ai in enumerate(est.aus):
        for j, aj in enumerate(est.aus):
            if i == j:
                continue
            n = est.relation_n[i, j]
            rows.append([
                au_number(ai), au_number(aj), ai, aj, *(fmt(est.relation[s][i, j]) for s in st.RELATION_STATISTICS),
                fmt(n), fmt(est.relation_subjects[i, j]), fmt(bool(n > 0 and both[i, j] == 0)),
                *(fmt(est.relation_ci[s][k][i, j]) for s in st.RELATION_STATISTICS for k in (0, 1)),
                *(fmt(x[i, j]) for x in extra),
            ])
    return csv_text(RELATION_COLUMNS, rows)


def pair_cells(est: PriorEstimate, pair: np.ndarray, stratum: int) -> list[np.ndarray]:
    """The :data:`PAIR_COLUMNS` as ``[A, A]`` arrays for summed pair counts ``pair`` [4, A, A] and
    the pair test's ``stratum`` (0: all units; 1 + e: expression e); test columns NaN without it.

    Returns eight ``[A, A]`` float arrays: P(i | j) in [0, 1], the conditional asymmetry
    P(j | i) - P(i | j) in [-1, 1], NPMI in [-1, 1], units with both present, then the pair
    test's expected both-present units, ``dependence_z``, p in (0, 1] and BH q (:mod:`auknow.estimate.pair_test`).

    >>> from auknow.readers import read_ckplus
    >>> from auknow.readers.ckplus import bundled_ckplus_path
    >>> from auknow.estimate.prior import estimate_prior
    >>> est = estimate_prior(read_ckplus(bundled_ckplus_path()), n_boot=0, n_perm=100)
    >>> cells = dict(zip(PAIR_COLUMNS, pair_cells(est, est.counts.pair_counts.sum(0), 0)))
    >>> i, j = est.aus.index("AU01"), est.aus.index("AU02")
    >>> {k: round(float(v[i, j]), 3) for k, v in cells.items()}    # brows: together far above chance
    {'p_i_given_j': 1.0, 'conditional_asymmetry': -0.238, 'npmi': 0.772, 'n_both_units': 99.0,
     'expected_both_units': 39.358, 'dependence_z': 9.477, 'p_value': 0.001, 'q_value': 0.008}
    >>> untested = estimate_prior(read_ckplus(bundled_ckplus_path()), n_boot=0, n_perm=0)   # no pair test
    >>> bool(np.isnan(pair_cells(untested, untested.counts.pair_counts.sum(0), 0)[-1]).all())
    True
    """
    info = inf.relation_information(pair)
    test = est.pairs
    nan = np.full(pair.shape[1:], np.nan)
    got = test is not None and stratum < len(test["strata"])
    return [info["p_i_given_j"], info["conditional_asymmetry"], info["npmi"], pair[3],
            *((test[k][stratum] if got else nan) for k in ("expected", "z", "p", "q"))]


def relations_by_expression_csv(est: PriorEstimate) -> str | None:
    """``relations_by_expression.csv``: one row per expression and ordered AU pair, over the
    units of that expression (:data:`RELATION_BY_EXPRESSION_COLUMNS`; no bootstrap CIs); None
    without expression labels or per-expression pair counts.

    >>> import csv
    >>> from auknow.readers import read_ckplus
    >>> from auknow.readers.ckplus import bundled_ckplus_path
    >>> from auknow.estimate.prior import estimate_prior
    >>> est = estimate_prior(read_ckplus(bundled_ckplus_path()), n_boot=0, n_perm=0)
    >>> rows = list(csv.DictReader(relations_by_expression_csv(est).splitlines()))
    >>> len(rows) == len(est.expressions) * len(est.aus) * (len(est.aus) - 1)
    True
    >>> r = next(r for r in rows if r["expression"] == "surprise" and r["au_i_name"] == "AU01"
    ...          and r["au_j_name"] == "AU02")
    >>> r["p_j_given_i"], r["n_units"], r["n_both_units"], r["p_value"]     # no pair test: p empty
    ('1', '83', '81', '')
    """
    cells = est.counts.cell_pair_counts
    if not est.expressions or cells is None:
        return None
    rows = []
    for e, expr in enumerate(est.expressions):
        mine = cells[est.counts.cell_expression == e]  # [C_e, 4, A, A]: the subjects with units of e
        pair = mine.sum(0) if len(mine) else np.zeros(cells.shape[1:])
        rel = st.relation_statistics(pair)
        subjects = (mine[:, 0] > 0).sum(0)
        extra = pair_cells(est, pair, 1 + e)
        for i, ai in enumerate(est.aus):
            for j, aj in enumerate(est.aus):
                if i != j:
                    n = pair[0, i, j]
                    rows.append([expr, au_number(ai), au_number(aj), ai, aj,
                                 *(fmt(rel[s][i, j]) for s in st.RELATION_STATISTICS), fmt(n),
                                 fmt(subjects[i, j]), fmt(bool(n > 0 and pair[3, i, j] == 0)),
                                 *(fmt(x[i, j]) for x in extra)])
    return csv_text(RELATION_BY_EXPRESSION_COLUMNS, rows)


def _round(x: float) -> float:
    return float(f"{x:.6g}")


def _clip(x: float, rng: tuple[float, float]) -> float:
    # Rounding to 6 digits cannot leave the range, but guard the declared range exactly.
    return min(max(x, rng[0]), rng[1])


def provenance(est: PriorEstimate, source: dict, statistic: str, extra: dict) -> Provenance:
    """Provenance of an estimated table: dataset, path, unit, counts, subjects, folds, statistic,
    resampling schemes, seed, auknow version and date (all in ``details``).

    >>> from auknow.readers import read_ckplus
    >>> from auknow.readers.ckplus import bundled_ckplus_path
    >>> from auknow.estimate.prior import estimate_prior
    >>> est = estimate_prior(read_ckplus(bundled_ckplus_path()), n_boot=0, n_perm=0)
    >>> prov = provenance(est, {"dataset": "ckplus"}, "p_au_given_expression", {})
    >>> prov.kind, prov.details["dataset"], prov.details["n_subjects"], prov.details["unit"]
    ('estimated', 'ckplus', 118, 'frame')
    """
    from .. import __version__

    counts = est.counts
    n_frames = int(counts.seq_frames.max(axis=1).sum()) if counts.seq_frames.size else 0
    details = {
        "dataset": source.get("dataset"),
        "path": source.get("path"),
        "unit": est.settings["unit"],
        **({"min_fraction": est.settings["min_fraction"]} if est.settings["min_fraction"] is not None else {}),
        "n_frames": n_frames,
        "n_sequences": len(counts.sequences),
        # with independent clips every sequence is its own resampling unit: no subject list
        "n_subjects": None if est.settings.get("independent_clips") else len(counts.subjects),
        "subjects": None if est.settings.get("independent_clips") else list(counts.subjects),
        **extra,
        "statistic": statistic,
        "ci_level": est.settings["ci"],
        "bootstrap": est.settings["bootstrap"],
        "n_boot": est.settings["n_boot"],
        "null": est.settings["null"],
        "n_perm": est.settings["n_perm"],
        **{k: est.settings.get(k) for k in ("n_perm_used", "p_floor", "n_at_p_floor", "p_floor_q",
                                            "p_floor_may_decide", "pair_null", "pair_n_flips_used",
                                            "pair_p_floor_q")},
        "multiple_comparisons": "Benjamini-Hochberg q-values over the expression x AU grid",
        **({"independent_clips": True} if est.settings.get("independent_clips") else {}),
        **({"permutable_sequences": est.settings["design"]["permutable_sequences"]}
           if est.settings.get("design") and not est.settings.get("independent_clips") else {}),
        **({"resampling_warnings": list(est.settings["warnings"])} if est.settings.get("warnings") else {}),
        "seed": est.settings["seed"],
        "auknow_version": __version__,
    }
    details.update({k: v for k, v in source.items() if k not in ("dataset", "path") and _plain(v)})
    return Provenance(kind="estimated", citation=source.get("citation"), notes=source.get("notes"),
                      details={k: v for k, v in details.items() if v is not None})


def _plain(v) -> bool:
    return isinstance(v, (str, int, float, bool)) or (isinstance(v, list) and all(isinstance(i, (str, int, float)) for i in v))


def quantified_table(est: PriorEstimate, statistic: str, name: str, title: str, prov: Provenance) -> QuantifiedTable:
    """The written contributions as a quantified knowledge table (value, CI, n units, p, q).

    >>> from auknow.readers import read_ckplus
    >>> from auknow.readers.ckplus import bundled_ckplus_path
    >>> from auknow.estimate.prior import estimate_prior
    >>> est = estimate_prior(read_ckplus(bundled_ckplus_path()), n_boot=0, n_perm=0)
    >>> prov = provenance(est, {"dataset": "ckplus"}, "p_au_given_expression", {})
    >>> t = quantified_table(est, "p_au_given_expression", "ck", "CK+", prov)
    >>> t.kind, t.weights["happiness"]["AU12"].value, t.weights["happiness"]["AU12"].n
    ('quantified', 0.971014, 69)
    """
    rng = st.RANGES[statistic]
    low, high = est.expression_ci[statistic]
    weights: dict[str, dict[str, Weight]] = {}
    for e, expr in enumerate(est.expressions):
        row = {}
        for a, au in enumerate(est.aus):
            v = est.expression[statistic][e, a]
            if not np.isfinite(v):
                continue  # undefined (AU never coded for this expression) or infinite: not a weight
            ci = None
            if np.isfinite(low[e, a]) and np.isfinite(high[e, a]):
                ci = (_clip(_round(low[e, a]), rng), _clip(_round(high[e, a]), rng))
            row[au] = Weight(value=_clip(_round(v), rng), ci=ci,
                             n=int(unit_counts(est)[e, a]),
                             p_value=None if np.isnan(est.p_value[e, a]) else _round(est.p_value[e, a]),
                             q_value=None if np.isnan(est.q_value[e, a]) else min(1.0, _round(est.q_value[e, a])))
        weights[expr] = row
    stat = Statistic(name=statistic, range=rng, description=st.DESCRIPTIONS[statistic])
    return QuantifiedTable(name=name, title=title, provenance=prov, statistic=stat, weights=weights)


def relation_table(est: PriorEstimate, name: str, title: str, prov: Provenance) -> RelationTable:
    """Directed co-occurrence relations P(j | i) with CIs, as a relation knowledge table.

    >>> from auknow.readers import read_ckplus
    >>> from auknow.readers.ckplus import bundled_ckplus_path
    >>> from auknow.estimate.prior import estimate_prior
    >>> est = estimate_prior(read_ckplus(bundled_ckplus_path()), n_boot=0, n_perm=0)
    >>> prov = provenance(est, {"dataset": "ckplus"}, "p_au_given_expression", {})
    >>> r = relation_table(est, "ck_rel", "CK+ co-occurrence", prov)
    >>> r.kind, r.relations[0].kind, r.relations[0].directed
    ('relation', 'co-occurrence', True)
    """
    low, high = est.relation_ci["p_j_given_i"]
    rels = []
    for i, ai in enumerate(est.aus):
        for j, aj in enumerate(est.aus):
            v = est.relation["p_j_given_i"][i, j]
            if i == j or not np.isfinite(v):
                continue
            ci = (_round(low[i, j]), _round(high[i, j])) if np.isfinite(low[i, j]) and np.isfinite(high[i, j]) else None
            p = np.nan if est.pairs is None else est.pairs["p"][0, i, j]  # the pair test, all units
            q = np.nan if est.pairs is None else est.pairs["q"][0, i, j]
            rels.append(Relation(au_i=ai, au_j=aj, kind="co-occurrence", strength=_round(v), directed=True,
                                 ci=ci, n=int(est.relation_n[i, j]), p_value=None if np.isnan(p) else _round(p),
                                 q_value=None if np.isnan(q) else min(1.0, _round(q))))
    stat = Statistic(name="p_j_given_i", range=(0.0, 1.0), description=st.DESCRIPTIONS["p_j_given_i"])
    return RelationTable(name=name, title=title, provenance=prov, relations=rels, statistic=stat)


def _q_text(q: float) -> str:
    if not np.isfinite(q):
        return "-"
    return "<0.001" if q < 0.001 else f"{q:.3f}"


def _value_text(x: float) -> str:
    if np.isposinf(x):
        return "inf"
    if not np.isfinite(x):
        return "-"
    return f"{x:.3f}" if abs(x) < 1000 else f"{x:.3g}"


def significant_cells(est: PriorEstimate, alpha: float) -> np.ndarray:
    """``[E, A]`` bool: the AUs significantly associated with each expression, by the one rule of
    :mod:`auknow.significance` (``q < alpha`` and ``P(AU | e) > P(AU | not e)``), computed from
    the same P(AU | e) and unit counts ``n`` that :func:`quantified_table` writes, so compiling
    the written table with the same ``alpha`` marks the same cells.

    >>> from auknow.readers import read_ckplus
    >>> from auknow.readers.ckplus import bundled_ckplus_path
    >>> from auknow.estimate.prior import estimate_prior
    >>> est = estimate_prior(read_ckplus(bundled_ckplus_path()), n_boot=0, n_perm=200)
    >>> sig = significant_cells(est, 0.05)
    >>> e = est.expressions.index("happiness")
    >>> [est.aus[a] for a in np.flatnonzero(sig[e])]
    ['AU06', 'AU12', 'AU25']
    """
    return significant(est.q_value, risk_difference(est.expression["p_au_given_expression"], unit_counts(est)), alpha)


def unit_counts(est: PriorEstimate) -> np.ndarray:
    """``[E, A]`` units behind each cell: sequences with ``unit="sequence"``, else frames (the ``n``
    of the written table and the denominators of P(AU | e)).

    >>> from auknow.readers import read_ckplus
    >>> from auknow.readers.ckplus import bundled_ckplus_path
    >>> from auknow.estimate.prior import estimate_prior
    >>> est = estimate_prior(read_ckplus(bundled_ckplus_path()), n_boot=0, n_perm=0)
    >>> int(unit_counts(est)[est.expressions.index("happiness"), est.aus.index("AU12")])   # frames coded
    69
    """
    return est.n_sequences if est.settings["unit"] == "sequence" else est.n_frames


def summary(est: PriorEstimate, statistic: str, top: int, alpha: float) -> str:
    """Terminal summary as an aligned table (at most 100 columns): per expression, its units and
    its ``top`` AUs by the written statistic, each with the value, CI and BH q-value; ``*`` marks
    AUs significantly associated with the expression (:func:`significant_cells`: q < alpha and
    P(AU | e) > P(AU | not e)), explained in the footer.

    Columns: expression, n (its sequences), AU, value, ``[low, high]`` CI, q, mark.

    >>> from auknow.readers import read_ckplus
    >>> from auknow.readers.ckplus import bundled_ckplus_path
    >>> from auknow.estimate.prior import estimate_prior
    >>> est = estimate_prior(read_ckplus(bundled_ckplus_path()), n_boot=0, n_perm=200)
    >>> print(summary(est, "p_au_given_expression", top=1, alpha=0.05).splitlines()[3])
    anger          45  AU04      0.889           -             0.007 *
    """
    c = est.counts
    level = est.settings["ci"]
    unit = est.settings["unit"]
    who = (f"{len(c.sequences)} sequences as independent units" if est.settings.get("independent_clips")
           else f"{len(c.subjects)} subjects, {len(c.sequences)} sequences")
    boot = "clip-bootstrap" if est.settings.get("independent_clips") else "subject-bootstrap"
    lines = [f"{who}, unit {unit}; {statistic} with {level:.0%} {boot} CI"]
    M = est.expression[statistic]
    low, high = est.expression_ci[statistic]
    width = max([len("expression")] + [len(e) for e in est.expressions])
    width = min(width, 24)
    value_head = "value"
    header = (f"{'expression':<{width}}  {'n':>5}  {'AU':<5}  {value_head:>8}  {f'{level:.0%} CI':^19}  "
              f"{'q':>7}")
    lines += [header, "-" * len(header)]
    marked = significant_cells(est, alpha)
    for e, expr in enumerate(est.expressions):
        vals = np.where(np.isnan(M[e]), -np.inf, M[e])
        order = [a for a in np.argsort(-vals, kind="stable")[:top] if np.isfinite(M[e, a]) or np.isposinf(M[e, a])]
        n_seq = int((c.seq_expression == e).sum())
        name = expr if len(expr) <= width else expr[:width - 1] + "~"
        if not order:
            lines.append(f"{name:<{width}}  {n_seq:>5}  (no AU coded)")
        for k, a in enumerate(order):
            sig = "*" if marked[e, a] else ""
            ci = (f"[{_value_text(low[e, a]):>7}, {_value_text(high[e, a]):>7}]" if np.isfinite(low[e, a])
                  else f"{'-':^19}")
            lead = f"{name:<{width}}  {n_seq:>5}" if k == 0 else " " * (width + 7)
            lines.append(f"{lead}  {est.aus[a]:<5}  {_value_text(M[e, a]):>8}  {ci}  "
                         f"{_q_text(est.q_value[e, a]):>7} {sig}".rstrip())
    lines.append("n: sequences of the expression; q: Benjamini-Hochberg q-value of the within-subject "
                 "permutation test")
    lines.append(f"* significant: q < {alpha:g} and positively associated (P(AU | e) > P(AU | not e))")
    return "\n".join(lines)


def _r3(x: float) -> float:
    return round(float(x), 3) if np.isfinite(x) else float(x)


def relations_summary(est: PriorEstimate, top: int = 8) -> str:
    """The strongest AU co-occurrences by phi, for data without expression labels.

    >>> from auknow.readers import read_ckplus
    >>> from auknow.readers.ckplus import bundled_ckplus_path
    >>> from auknow.estimate.prior import estimate_prior
    >>> est = estimate_prior(read_ckplus(bundled_ckplus_path()), n_boot=0, n_perm=0)
    >>> print(relations_summary(est, top=1))
    118 subjects; strongest AU co-occurrences (phi, P(j|i)):
      AU01-AU02  phi 0.811  P(AU02|AU01) 0.762
    """
    phi = est.relation["phi"].copy()
    A = len(est.aus)
    pairs = [(phi[i, j], i, j) for i in range(A) for j in range(i + 1, A) if np.isfinite(phi[i, j])]
    pairs.sort(reverse=True)
    lines = [f"{len(est.counts.subjects)} subjects; strongest AU co-occurrences (phi, P(j|i)):"]
    for v, i, j in pairs[:top]:
        lines.append(f"  {est.aus[i]}-{est.aus[j]}  phi {v:.3f}  P({est.aus[j]}|{est.aus[i]}) "
                     f"{est.relation['p_j_given_i'][i, j]:.3f}")
    return "\n".join(lines)


def event_sizes_csv(es) -> str:
    """``event_sizes.csv``: one row per (expression, event size) of an
    :class:`~auknow.estimate.event_size.EventSizes` (columns :data:`auknow.estimate.event_size.COLUMNS`).

    >>> from auknow.estimate.event_size import event_sizes, size_counts
    >>> from auknow.readers.frames import AUFrames
    >>> f = AUFrames(aus=["AU06", "AU12"], occurrence=[[1, 1], [0, 1], [0, 0], [0, 0]], subject=list("aabb"),
    ...              sequence=["a1", "a2", "b1", "b2"], frame=[0, 0, 0, 0], expression=["happiness", "neutral"] * 2)
    >>> lines = event_sizes_csv(event_sizes(size_counts(f), n_boot=0, n_perm=0)).splitlines()
    >>> len(lines), lines[0].split(",")[:5]
    (7, ['expression', 'size', 'n_units', 'n_units_size', 'p_size'])
    >>> lines[1].split(",")[:5], lines[3].split(",")[:5]    # happiness: a1 size 2, b1 size 0
    (['happiness', '0', '2', '1', '0.5'], ['happiness', '2', '2', '1', '0.5'])
    """
    from .event_size import COLUMNS, rows

    return csv_text(COLUMNS, [[v if isinstance(v, str) else fmt(v) for v in row] for row in rows(es)])


def network_csvs(tables: dict[str, list[list]]) -> dict[str, str]:
    """``network.csv`` (nodes), ``network_summary.csv`` (graphs), ``network_edges.csv`` from the
    rows of :func:`auknow.estimate.network.summarise`.

    >>> from auknow.estimate.network import summarise
    >>> rel = {"phi": np.array([[np.nan, .5], [.5, np.nan]]), "lift": np.full((2, 2), 2.)}
    >>> lo = np.array([[np.nan, 1.5], [1.5, np.nan]])
    >>> tables = summarise({"all": {"expression": "", "relation": rel, "relation_ci": {"lift": (lo, lo)},
    ...                             "p_au": np.array([.3, .4]), "n_units": 10}}, ["AU06", "AU12"])
    >>> files = network_csvs(tables)
    >>> sorted(files)
    ['network.csv', 'network_edges.csv', 'network_summary.csv']
    >>> print(files["network_edges.csv"], end="")
    graph,expression,au_i,au_j,weight,lift,lift_ci_low,q_value,edge_rule
    all,,AU06,AU12,0.5,2,1.5,,lift-ci
    >>> files["network.csv"].splitlines()[1]
    'all,,6,AU06,0.3,1,0.5,0.707107,0,1,1,lift-ci,10'
    """
    from .network import EDGE_COLUMNS, GRAPH_COLUMNS, NODE_COLUMNS

    def text(header, rows):
        return csv_text(header, [[v if isinstance(v, str) else fmt(v) for v in row] for row in rows])
    return {"network.csv": text(NODE_COLUMNS, tables["nodes"]),
            "network_summary.csv": text(GRAPH_COLUMNS, tables["graphs"]),
            "network_edges.csv": text(EDGE_COLUMNS, tables["edges"])}
