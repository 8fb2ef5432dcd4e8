"""The audit's written outputs: scores.csv, comparisons.csv, disagreements.csv, report.md, summary."""

from __future__ import annotations


import numpy as np

from ..estimate.output import fmt
from .disagreements import Disagreement
from ..estimate.output import csv_text
from .engine import AuditResult, ModelScores

ROLE_TEXT = {"table": "table", "lower": "lower reference: rows deranged (expectation over all derangements)",
             "upper": "upper reference: fit on the data, subject-independent CV", "ceiling": "noise ceiling"}


def _summaries(s: ModelScores) -> dict[str, np.ndarray]:
    d = s.draws
    with np.errstate(all="ignore"):
        return {"macro_auc": d.macro_auc, "uar": d.uar, "log_loss": np.nanmean(d.log_loss, axis=1)}


def score_rows(result: AuditResult) -> list[list]:
    """Rows ``model, role, scope, metric, expression, estimate, ci_low, ci_high, n_units, n_subjects``.

    Per model and scope: ``macro_auc``, ``uar``, ``log_loss`` over ``expression`` ``all``, then
    ``auc``, ``recall``, ``log_loss`` per expression. Estimates and bounds are CSV cells
    (:func:`auknow.estimate.output.fmt`: 6 significant digits, empty for NaN, e.g. no draws).

    >>> import numpy as np
    >>> from auknow.audit import Units, audit
    >>> from auknow.library import load_bundled
    >>> x = np.array([[1, 0, 0, 0], [0, 1, 1, 1]] * 3 + [[1, 0, 1, 0], [0, 0, 1, 1]], np.int8)
    >>> u = Units(("AU04", "AU06", "AU12", "AU25"), x, subject=np.repeat(np.arange(4), 2),
    ...           label=np.tile([0, 1], 4), subjects=("s1", "s2", "s3", "s4"), expressions=("anger", "happiness"))
    >>> r = audit([load_bundled("fig2002"), load_bundled("ekman_emfacs")], u, n_boot=20, references=False)
    >>> rows = score_rows(r)  # 3 models x scopes per table, 3 + 3 x 2 rows each
    >>> len(rows), rows[0]
    (54, ['fig2002', 'table', 'common', 'macro_auc', 'all', '0.96875', '0.71875', '1', 8, 4])
    """
    units = result.units
    n_e = {e: int((units.label == i).sum()) for i, e in enumerate(units.expressions)}
    n_s = {e: len(set(units.subject[units.label == i].tolist())) for i, e in enumerate(units.expressions)}
    rows = []
    for s in result.scores:
        total = sum(n_e[e] for e in s.expressions)
        subjects = len(set(units.subject[np.isin(units.label, [units.expressions.index(e)
                                                                for e in s.expressions])].tolist()))
        for metric, draws in _summaries(s).items():
            lo, hi = result.ci(draws)
            rows.append([s.name, s.role, s.scope, metric, "all", fmt(draws[0]), fmt(lo), fmt(hi), total, subjects])
        for metric in ("auc", "recall", "log_loss"):
            arr = getattr(s.draws, metric)
            lo, hi = result.ci(arr)
            for j, e in enumerate(s.expressions):
                rows.append([s.name, s.role, s.scope, metric, e, fmt(arr[0, j]), fmt(lo[j]), fmt(hi[j]), n_e[e], n_s[e]])
    return rows


def scores_csv(result: AuditResult) -> str:
    """Every score with its bootstrap interval, one row per model x scope x metric x expression
    (``scores.csv``: a header and the rows of :func:`score_rows`).

    >>> import numpy as np
    >>> from auknow.audit import Units, audit
    >>> from auknow.library import load_bundled
    >>> x = np.array([[1, 0, 0, 0], [0, 1, 1, 1]] * 3 + [[1, 0, 1, 0], [0, 0, 1, 1]], np.int8)
    >>> u = Units(("AU04", "AU06", "AU12", "AU25"), x, subject=np.repeat(np.arange(4), 2),
    ...           label=np.tile([0, 1], 4), subjects=("s1", "s2", "s3", "s4"), expressions=("anger", "happiness"))
    >>> r = audit([load_bundled("fig2002"), load_bundled("ekman_emfacs")], u, n_boot=20, references=False)
    >>> lines = scores_csv(r).splitlines()
    >>> len(lines), lines[0]
    (55, 'model,role,scope,metric,expression,estimate,ci_low,ci_high,n_units,n_subjects')
    """
    return csv_text(["model", "role", "scope", "metric", "expression", "estimate", "ci_low", "ci_high", "n_units",
                 "n_subjects"], score_rows(result))


def comparisons(result: AuditResult) -> list[tuple]:
    """Paired differences ``(a, b, metric, diff, low, high)`` of every ordered pair of ranked tables
    (a ranked above b), on the common expressions and the same bootstrap draws; metric one of
    ``macro_auc``, ``uar``, ``log_loss``, ``diff = a - b`` (log-loss: negative when a is better).

    >>> import numpy as np
    >>> from auknow.audit import Units, audit
    >>> from auknow.library import load_bundled
    >>> x = np.array([[1, 0, 0, 0], [0, 1, 1, 1]] * 3 + [[1, 0, 1, 0], [0, 0, 1, 1]], np.int8)
    >>> u = Units(("AU04", "AU06", "AU12", "AU25"), x, subject=np.repeat(np.arange(4), 2),
    ...           label=np.tile([0, 1], 4), subjects=("s1", "s2", "s3", "s4"), expressions=("anger", "happiness"))
    >>> r = audit([load_bundled("fig2002"), load_bundled("ekman_emfacs")], u, n_boot=20, references=False)
    >>> [(a, b, m, round(d, 3), round(lo, 3), round(hi, 3)) for a, b, m, d, lo, hi in comparisons(r)]
    ... # doctest: +NORMALIZE_WHITESPACE
    [('ekman_emfacs', 'fig2002', 'macro_auc', 0.031, 0.0, 0.281),
     ('ekman_emfacs', 'fig2002', 'uar', 0.062, 0.0, 0.188),
     ('ekman_emfacs', 'fig2002', 'log_loss', -0.039, -0.046, -0.035)]
    """
    ranked = result.ranking()
    out = []
    for i, a in enumerate(ranked):
        sa = _summaries(a)
        for b in ranked[i + 1:]:
            sb = _summaries(b)
            for metric in ("macro_auc", "uar", "log_loss"):
                d = sa[metric] - sb[metric]
                lo, hi = result.ci(d)
                out.append((a.name, b.name, metric, float(d[0]), float(lo), float(hi)))
    return out


def comparisons_csv(result: AuditResult) -> str:
    """``comparisons.csv``: the rows of :func:`comparisons` as CSV cells.

    >>> import numpy as np
    >>> from auknow.audit import Units, audit
    >>> from auknow.library import load_bundled
    >>> x = np.array([[1, 0, 0, 0], [0, 1, 1, 1]] * 3 + [[1, 0, 1, 0], [0, 0, 1, 1]], np.int8)
    >>> u = Units(("AU04", "AU06", "AU12", "AU25"), x, subject=np.repeat(np.arange(4), 2),
    ...           label=np.tile([0, 1], 4), subjects=("s1", "s2", "s3", "s4"), expressions=("anger", "happiness"))
    >>> r = audit([load_bundled("fig2002"), load_bundled("ekman_emfacs")], u, n_boot=20, references=False)
    >>> print(comparisons_csv(r), end="")
    table_a,table_b,metric,difference,ci_low,ci_high
    ekman_emfacs,fig2002,macro_auc,0.03125,0,0.28125
    ekman_emfacs,fig2002,uar,0.0625,0,0.1875
    ekman_emfacs,fig2002,log_loss,-0.0388974,-0.0456996,-0.0354963
    """
    return csv_text(["table_a", "table_b", "metric", "difference", "ci_low", "ci_high"],
                [[a, b, m, fmt(d), fmt(lo), fmt(hi)] for a, b, m, d, lo, hi in comparisons(result)])


def disagreements_csv(rows: list[Disagreement]) -> str:
    """``disagreements.csv``: one row per :class:`Disagreement`, in the order given.

    >>> import numpy as np
    >>> from auknow.audit import Units, audit
    >>> from auknow.library import load_bundled
    >>> x = np.array([[1, 0, 0, 0], [0, 1, 1, 1]] * 3 + [[1, 0, 1, 0], [0, 0, 1, 1]], np.int8)
    >>> u = Units(("AU04", "AU06", "AU12", "AU25"), x, subject=np.repeat(np.arange(4), 2),
    ...           label=np.tile([0, 1], 4), subjects=("s1", "s2", "s3", "s4"), expressions=("anger", "happiness"))
    >>> r = audit([load_bundled("fig2002"), load_bundled("ekman_emfacs")], u, n_boot=20, references=False)
    >>> from auknow.audit.disagreements import disagreements
    >>> print(disagreements_csv(disagreements(r)), end="")
    table,expression,au,kind,table_value,p_au_given_expression,ci_low,ci_high,gap
    fig2002,happiness,AU25,shown_table_lacks,0,1,1,1,1
    ekman_emfacs,happiness,AU25,shown_table_lacks,0,1,1,1,1
    """
    return csv_text(["table", "expression", "au", "kind", "table_value", "p_au_given_expression", "ci_low", "ci_high",
                 "gap"], [[d.table, d.expression, d.au, d.kind, fmt(d.table_value), fmt(d.p), fmt(d.low),
                           fmt(d.high), fmt(d.gap)] for d in rows])


def _ci_text(result, draws) -> str:
    lo, hi = result.ci(draws)
    return f"{draws[0]:.3f} [{lo:.3f}, {hi:.3f}]" if np.isfinite(lo) else f"{draws[0]:.3f} [no draws]"


def ranking_lines(result: AuditResult) -> list[str]:
    """The ranking as markdown table lines (macro ROC-AUC, UAR, log-loss, vs the best, deranged):
    a header, a rule, one line per ranked table, then one per upper reference / noise ceiling.
    Cells are ``estimate [low, high]`` (``[no draws]`` with ``n_boot = 0``).

    >>> import numpy as np
    >>> from auknow.audit import Units, audit
    >>> from auknow.library import load_bundled
    >>> x = np.array([[1, 0, 0, 0], [0, 1, 1, 1]] * 3 + [[1, 0, 1, 0], [0, 0, 1, 1]], np.int8)
    >>> u = Units(("AU04", "AU06", "AU12", "AU25"), x, subject=np.repeat(np.arange(4), 2),
    ...           label=np.tile([0, 1], 4), subjects=("s1", "s2", "s3", "s4"), expressions=("anger", "happiness"))
    >>> r = audit([load_bundled("fig2002"), load_bundled("ekman_emfacs")], u, n_boot=20, references=False)
    >>> lines = ranking_lines(r)
    >>> len(lines), lines[2].split(" | ")[:4]
    (4, ['| 1', 'ekman_emfacs', 'prototype', '1.000 [1.000, 1.000]'])
    >>> lines[3].split(" | ")[6]  # fig2002's AUC minus the best's, paired over the same draws
    '-0.031 [-0.281, 0.000]'
    """
    ranked = result.ranking()
    best = _summaries(ranked[0])
    lines = ["| rank | table | kind | macro ROC-AUC | UAR | log-loss | AUC minus best | rows deranged (AUC) |",
             "|---|---|---|---|---|---|---|---|"]
    for k, s in enumerate(ranked, 1):
        sm = _summaries(s)
        diff = "—" if k == 1 else _ci_text(result, sm["macro_auc"] - best["macro_auc"])
        low = _lower(result, s.name).macro_auc
        lines.append(f"| {k} | {s.name} | {result.classifiers[s.name].kind} | {_ci_text(result, sm['macro_auc'])} | "
                     f"{_ci_text(result, sm['uar'])} | {_ci_text(result, sm['log_loss'])} | {diff} | "
                     f"{_ci_text(result, low)} |")
    for s in result.scores:
        if s.role in ("upper", "ceiling"):
            sm = _summaries(s)
            lines.append(f"| — | *{s.name}* | {s.role} | {_ci_text(result, sm['macro_auc'])} | "
                         f"{_ci_text(result, sm['uar'])} | {_ci_text(result, sm['log_loss'])} | | |")
    return lines


def _lower(result: AuditResult, name: str):
    return next(s.draws for s in result.scores if s.name == name and s.role == "lower")


def summary(result: AuditResult, rows: list[Disagreement], top: int = 3) -> str:
    """The terminal summary: data, ranking with intervals, references, the largest disagreements
    (at most ``top`` per table, of ``rows`` from :func:`auknow.audit.disagreements.disagreements`).

    >>> import numpy as np
    >>> from auknow.audit import Units, audit
    >>> from auknow.library import load_bundled
    >>> x = np.array([[1, 0, 0, 0], [0, 1, 1, 1]] * 3 + [[1, 0, 1, 0], [0, 0, 1, 1]], np.int8)
    >>> u = Units(("AU04", "AU06", "AU12", "AU25"), x, subject=np.repeat(np.arange(4), 2),
    ...           label=np.tile([0, 1], 4), subjects=("s1", "s2", "s3", "s4"), expressions=("anger", "happiness"))
    >>> r = audit([load_bundled("fig2002"), load_bundled("ekman_emfacs")], u, n_boot=20, references=False)
    >>> from auknow.audit.disagreements import disagreements
    >>> print(summary(r, disagreements(r)))  # doctest: +NORMALIZE_WHITESPACE
    audit of 2 table(s) on 8 frames of 4 subjects; ranking over anger, happiness
    (20 subject-level bootstrap draws, 95% intervals)
        table                                      macro AUC                     UAR              log-loss
      1 ekman_emfacs                    1.000 [1.000, 1.000]    0.938 [0.812, 1.000]  0.470 [0.411, 0.586]
      2 fig2002                         0.969 [0.719, 1.000]    0.875 [0.625, 1.000]  0.509 [0.447, 0.632]
    rows deranged (lower reference): macro AUC 0.000 - 0.031
    fig2002: happiness lacks AU25, data P 1.00 [1.00, 1.00]
    ekman_emfacs: happiness lacks AU25, data P 1.00 [1.00, 1.00]
    """
    st = result.settings
    out = [f"audit of {len(result.classifiers)} table(s) on {st['n_units']} {result.units.unit}s of "
           f"{st['n_subjects']} subjects; ranking over {', '.join(result.common)} "
           f"({st['n_boot']} subject-level bootstrap draws, {st['ci']:.0%} intervals)"]
    out.append(f"{'':4}{'table':<28}{'macro AUC':>24}{'UAR':>24}{'log-loss':>22}")
    for k, s in enumerate(result.ranking(), 1):
        sm = _summaries(s)
        out.append(f"{k:>3} {s.name:<28}{_ci_text(result, sm['macro_auc']):>24}{_ci_text(result, sm['uar']):>24}"
                   f"{_ci_text(result, sm['log_loss']):>22}")
    for s in result.scores:
        if s.role in ("upper", "ceiling"):
            sm = _summaries(s)
            out.append(f"{'ref':>3} {s.name:<28}{_ci_text(result, sm['macro_auc']):>24}"
                       f"{_ci_text(result, sm['uar']):>24}{_ci_text(result, sm['log_loss']):>22}")
    lows = [_summaries(s)["macro_auc"][0] for s in result.scores if s.role == "lower"]
    out.append(f"rows deranged (lower reference): macro AUC {min(lows):.3f} - {max(lows):.3f}")
    for name, why in result.unscored.items():
        out.append(f"not scored: {name}: {why}")
    for e, why in result.left_out.items():
        out.append(f"not scored: expression {e}: {why}")
    for name in result.classifiers:
        mine = [d for d in rows if d.table == name][:top]
        if mine:
            out.append(f"{name}: " + "; ".join(_dis_text(d) for d in mine))
    return "\n".join(out)


def _dis_text(d: Disagreement) -> str:
    if d.kind == "required_far_lower":
        return f"{d.expression} requires {d.au} (w {d.table_value:.2f}), data P {d.p:.2f} [{d.low:.2f}, {d.high:.2f}]"
    return f"{d.expression} lacks {d.au}, data P {d.p:.2f} [{d.low:.2f}, {d.high:.2f}]"


def _auc_grid_lines(result: AuditResult) -> list[str]:
    exprs = [e for e in result.units.expressions if any(e in c.expressions for c in result.classifiers.values())]
    lines = ["| table | " + " | ".join(exprs) + " |", "|---|" + "---|" * len(exprs)]
    for s in result.ranking():
        own = result.get(s.name, "own")
        cells = []
        for e in exprs:
            if e in own.expressions:
                j = own.expressions.index(e)
                lo, hi = result.ci(own.draws.auc[:, j])
                cells.append(f"{own.draws.auc[0, j]:.2f} [{lo:.2f}, {hi:.2f}]" if np.isfinite(lo)
                             else f"{own.draws.auc[0, j]:.2f}")
            else:
                cells.append("—")
        lines.append(f"| {s.name} | " + " | ".join(cells) + " |")
    return lines


def report_md(result: AuditResult, rows: list[Disagreement], source: dict, figures: list[str]) -> str:
    """The markdown report: data and settings, ranking, per-expression AUC, disagreements, notes.

    Args:
        result: the audit. rows: its disagreements. source: ``dataset`` / ``path`` named in the
            first line. figures: image file names linked at the end (relative to the report).

    >>> import numpy as np
    >>> from auknow.audit import Units, audit
    >>> from auknow.library import load_bundled
    >>> x = np.array([[1, 0, 0, 0], [0, 1, 1, 1]] * 3 + [[1, 0, 1, 0], [0, 0, 1, 1]], np.int8)
    >>> u = Units(("AU04", "AU06", "AU12", "AU25"), x, subject=np.repeat(np.arange(4), 2),
    ...           label=np.tile([0, 1], 4), subjects=("s1", "s2", "s3", "s4"), expressions=("anger", "happiness"))
    >>> r = audit([load_bundled("fig2002"), load_bundled("ekman_emfacs")], u, n_boot=20, references=False)
    >>> from auknow.audit.disagreements import disagreements
    >>> md = report_md(r, disagreements(r), {"dataset": "toy", "path": "toy.csv"}, figures=[])
    >>> md.splitlines()[2]
    'Data: toy (toy.csv), 8 frames of 4 subjects, 4 AUs coded.'
    >>> [line for line in md.splitlines() if line.startswith("## ")][::2]
    ['## Ranking', '## Disagreements']
    >>> for line in md.splitlines():
    ...     if line.startswith("- **"):
    ...         print(line)
    - **fig2002**: happiness lacks AU25, data P 1.00 [1.00, 1.00]
    - **ekman_emfacs**: happiness lacks AU25, data P 1.00 [1.00, 1.00]
    """
    st = result.settings
    u = result.units
    out = ["# auknow audit", "",
           f"Data: {source.get('dataset', 'data')} ({source.get('path', '')}), {st['n_units']} {u.unit}s of "
           f"{st['n_subjects']} subjects, {len(u.aus)} AUs coded.",
           f"Excluded subjects: {', '.join(st.get('excluded_subjects', [])) or 'none'}.",
           f"Settings: {st['n_boot']} subject-level bootstrap draws, {st['ci']:.0%} percentile intervals, seed "
           f"{st['seed']}, prototype softmax beta {st['beta']}, {st['cv_folds']} subject-independent folds for "
           "the upper references.", "",
           "## Ranking", "",
           f"Over the expressions every table shares with the data: {', '.join(result.common)}. Each table "
           "chooses among these; intervals are subject-level bootstrap percentile intervals, and the "
           "differences are paired (same draws).", ""]
    out += ranking_lines(result)
    out += ["", "## ROC-AUC per expression (each table over the expressions it shares with the data)", ""]
    out += _auc_grid_lines(result)
    out += ["", "## Disagreements", "",
            "*required, data far lower*: the table requires the AU (w >= 0.5) and the data's P(AU | e) "
            "interval lies at least the gap below w; *table lacks*: the data show the AU in most units of e "
            "(interval >= 0.5), more than in other expressions, and the table does not mention it.", ""]
    for name in result.classifiers:
        mine = [d for d in rows if d.table == name]
        out.append(f"- **{name}**: " + ("; ".join(_dis_text(d) for d in mine) if mine else "none"))
    out += ["", "## Notes", ""]
    for name, n in st.get("estimated_tables_not_scored_on", {}).items():
        out.append(f"- {name} is estimated from {n} of the data's subjects; every table is scored on the others only")
    if st.get("scored_on_folds"):
        out.append(f"- scored on the test subjects of fold(s) {', '.join(map(str, st['scored_on_folds']))}")
    for name, clf in result.classifiers.items():
        if clf.uncoded:
            out.append(f"- {name}: AUs not coded in the data, left out: {', '.join(clf.uncoded)}")
    for name, why in result.unscored.items():
        out.append(f"- not scored: {name}: {why}")
    for e in u.expressions:
        if e not in result.common:
            has = [n for n, c in result.classifiers.items() if e in c.expressions]
            out.append(f"- expression {e}: not in the ranking; " +
                       (f"scored per expression for {', '.join(has)}" if has else "no audited table has it"))
    if figures:
        out += ["", "## Figures", ""] + [f"![{f}]({f})" for f in figures]
    out += ["", "Method: docs/audit.md (auknow). Prototype kernel: Snoek et al. (2023), Science Advances 9, "
            "eabq8421."]
    return "\n".join(out) + "\n"
