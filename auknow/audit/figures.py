"""The audit's figures (matplotlib, non-interactive): ranking, per-expression AUC, disagreement map.

The two heatmaps are drawn by :func:`auknow.plots.prior_heatmap` (the one auknow heatmap style)
into :class:`matplotlib.figure.Figure` objects, not pyplot's (nothing to close); the ranking
figure is a pyplot figure (close it when done)."""

from __future__ import annotations

import numpy as np

from .disagreements import Disagreement, table_claims
from .engine import AuditResult


def _plt():
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    return plt


def ranking_figure(result: AuditResult):
    """Macro ROC-AUC of each table with its interval, its deranged lower reference, and the upper
    references as vertical lines. Returns the Figure (one axes; close it when done).

    >>> import numpy as np
    >>> from auknow.audit import Units, audit
    >>> from auknow.library import load_bundled
    >>> x = np.array([[1, 0, 0, 0], [0, 1, 1, 1]] * 3 + [[1, 0, 1, 0], [0, 0, 1, 1]], np.int8)
    >>> u = Units(("AU04", "AU06", "AU12", "AU25"), x, subject=np.repeat(np.arange(4), 2),
    ...           label=np.tile([0, 1], 4), subjects=("s1", "s2", "s3", "s4"), expressions=("anger", "happiness"))
    >>> r = audit([load_bundled("fig2002"), load_bundled("ekman_emfacs")], u, n_boot=20, references=False)
    >>> import os, tempfile
    >>> fig = ranking_figure(r)
    >>> ax = fig.axes[0]
    >>> [t.get_text() for t in ax.get_yticklabels()], ax.get_xlabel()  # best at the top
    (['ekman_emfacs', 'fig2002'], 'macro ROC-AUC over anger, happiness')
    >>> with tempfile.TemporaryDirectory() as d:
    ...     fig.savefig(os.path.join(d, "ranking.png"))
    ...     os.path.getsize(os.path.join(d, "ranking.png")) > 0
    True
    >>> import matplotlib.pyplot as plt  # after the figure: the module chose the Agg backend
    >>> plt.close(fig)
    """
    plt = _plt()
    ranked = result.ranking()
    fig, ax = plt.subplots(figsize=(7.5, 0.42 * len(ranked) + 2.6))
    y = np.arange(len(ranked))[::-1]
    for yi, s in zip(y, ranked):
        d = s.draws.macro_auc
        lo, hi = result.ci(d)
        ax.errorbar(d[0], yi, xerr=[[d[0] - lo], [hi - d[0]]], fmt="o", color="C0", capsize=3,
                    label="table" if yi == y[0] else None)
        low = next(x.draws.macro_auc for x in result.scores if x.name == s.name and x.role == "lower")
        llo, lhi = result.ci(low)
        ax.errorbar(low[0], yi, xerr=[[low[0] - llo], [lhi - low[0]]], fmt="x", color="0.55", capsize=2,
                    label="same table, rows deranged" if yi == y[0] else None)
    styles = ["--", ":", "-."]
    for k, s in enumerate(x for x in result.scores if x.role in ("upper", "ceiling")):
        ax.axvline(s.draws.macro_auc[0], color="C3" if s.role == "ceiling" else "C2", ls=styles[k % 3], lw=1,
                   label=f"{s.name} ({s.draws.macro_auc[0]:.3f})")
    ax.axvline(0.5, color="0.8", lw=0.8)
    ax.set_yticks(y)
    ax.set_yticklabels([s.name for s in ranked])
    ax.set_xlabel(f"macro ROC-AUC over {', '.join(result.common)}")
    ax.set_xlim(min(0.3, ax.get_xlim()[0]), 1.02)
    ax.set_title(f"Knowledge tables as expression classifiers ({result.settings['n_units']} {result.units.unit}s, "
                 f"{result.settings['n_subjects']} subjects; {result.settings['ci']:.0%} bootstrap CI)", fontsize=9)
    ax.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.1), ncol=2, frameon=False)
    fig.tight_layout()
    return fig


def auc_heatmap(result: AuditResult):
    """Tables (ranked) x expressions ROC-AUC, each table over the expressions it shares with the data;
    colours (viridis) span [0.5, 1], a cell reads its AUC (``.97``) or ``n/a`` (grey) where the
    table does not have the expression. Returns the Figure (the heatmap's axes and its colour bar;
    not a pyplot figure).

    >>> import numpy as np
    >>> from auknow.audit import Units, audit
    >>> from auknow.library import load_bundled
    >>> x = np.array([[1, 0, 0, 0], [0, 1, 1, 1]] * 3 + [[1, 0, 1, 0], [0, 0, 1, 1]], np.int8)
    >>> u = Units(("AU04", "AU06", "AU12", "AU25"), x, subject=np.repeat(np.arange(4), 2),
    ...           label=np.tile([0, 1], 4), subjects=("s1", "s2", "s3", "s4"), expressions=("anger", "happiness"))
    >>> r = audit([load_bundled("fig2002"), load_bundled("ekman_emfacs")], u, n_boot=20, references=False)
    >>> fig = auc_heatmap(r)
    >>> ax = fig.axes[0]
    >>> [t.get_text() for t in ax.get_xticklabels()], [t.get_text() for t in ax.texts]
    (['anger', 'happiness'], ['1.00', '1.00', '.97', '.97'])
    >>> fig.axes[1].get_ylabel()  # the colour bar
    'ROC-AUC (one vs rest)'
    """
    from ..plots import prior_heatmap

    ranked = result.ranking()
    exprs = [e for e in result.units.expressions if any(e in c.expressions for c in result.classifiers.values())]
    M = np.full((len(ranked), len(exprs)), np.nan)
    for i, s in enumerate(ranked):
        own = result.get(s.name, "own")
        for j, e in enumerate(exprs):
            if e in own.expressions:
                M[i, j] = own.draws.auc[0, own.expressions.index(e)]
    return prior_heatmap(M, [s.name for s in ranked], exprs, xlabel="Expression", ylabel="Table (ranked)",
                         diverging=False, vmin=0.5, vmax=1.0, nan_text="n/a", value_label="ROC-AUC (one vs rest)",
                         title="ROC-AUC per expression (n/a: the table does not have it)",
                         size=(max(4.6, 0.42 * len(exprs) + 2.4), 0.26 * len(ranked) + 1.7))


def disagreement_map(result: AuditResult, rows: list[Disagreement]):
    """Per table, data P(AU | e) minus the table's claim w in [-1, 1] (diverging PuOr_r: orange,
    the data show it more; purple, less; grey, no claim: the table lacks the expression or does not
    code the AU); ``v`` marks a required AU the data put far lower, ``^`` an AU the data show
    strongly that the table lacks. Returns the Figure (not a pyplot figure): one panel per table
    (ranked, 3 a row beyond 4 tables), one colour bar over [-1, 1] shared by the panels.

    >>> import numpy as np
    >>> from auknow.audit import Units, audit
    >>> from auknow.library import load_bundled
    >>> x = np.array([[1, 0, 0, 0], [0, 1, 1, 1]] * 3 + [[1, 0, 1, 0], [0, 0, 1, 1]], np.int8)
    >>> u = Units(("AU04", "AU06", "AU12", "AU25"), x, subject=np.repeat(np.arange(4), 2),
    ...           label=np.tile([0, 1], 4), subjects=("s1", "s2", "s3", "s4"), expressions=("anger", "happiness"))
    >>> r = audit([load_bundled("fig2002"), load_bundled("ekman_emfacs")], u, n_boot=20, references=False)
    >>> from auknow.audit.disagreements import disagreements
    >>> fig = disagreement_map(r, disagreements(r))
    >>> [ax.get_title(loc="left") for ax in fig.axes[:2]], fig.axes[2].get_ylabel()  # panels, shared bar
    (['ekman_emfacs', 'fig2002'], 'data - table')
    >>> mark = fig.axes[0].texts[0]  # happiness (row 1) shows AU25 (column 3), the table lacks it
    >>> mark.get_text(), mark.get_position()
    ('^', (3, 1))
    """
    import matplotlib

    from ..plots import FONT, new_figure, prior_heatmap

    names = [s.name for s in result.ranking()]
    p = result.p_au[0]
    exprs = [e for e in result.units.expressions if any(e in c.expressions for c in result.classifiers.values())]
    rows_idx = [result.units.expressions.index(e) for e in exprs]
    aus = result.units.aus
    ncol = 3 if len(names) > 4 else len(names)
    nrow = int(np.ceil(len(names) / ncol))
    missing = False
    with matplotlib.rc_context(FONT):
        fig = new_figure((5.2 * ncol + 0.6, (0.22 * len(exprs) + 0.8) * nrow + 0.6))
        axes = fig.subplots(nrow, ncol, squeeze=False)
        for k, ax in enumerate(axes.ravel()):
            if k >= len(names):
                ax.axis("off")
                continue
            w, _ = table_claims(result, names[k])
            D = (p - w)[rows_idx]
            missing |= bool(np.isnan(D).any())
            prior_heatmap(D, exprs, [a[2:].lstrip("0") for a in aus], ax=ax, diverging=True, vmin=-1.0, vmax=1.0,
                          cell_values=False, colorbar=False, title=names[k], xlabel="AU" if k + ncol >= len(names)
                          else "", ylabel="Expression" if k % ncol == 0 else "")
            ax.tick_params(axis="x", labelrotation=0)  # AU numbers read upright
            for d in rows:
                if d.table == names[k] and d.expression in exprs:
                    ax.text(aus.index(d.au), exprs.index(d.expression), "v" if d.kind == "required_far_lower"
                            else "^", ha="center", va="center", fontsize=8, fontweight="bold", color="black",
                            bbox={"boxstyle": "circle,pad=0.05", "fc": "white", "ec": "none", "alpha": 0.8})
        fig.suptitle("Data P(AU | e) minus the table's claim (v: required, data far lower; ^: data show it, "
                     "table lacks it); x: AU number" + ("\ngrey: no claim (the table lacks the expression or does "
                                                          "not code the AU)" if missing else ""), x=0.01, ha="left", fontsize=9)
        if len(names):
            bar = fig.colorbar(axes[0, 0].images[0], ax=axes.ravel().tolist(), fraction=0.02, shrink=0.8, pad=0.01,
                               label="data - table")
            bar.set_ticks([-1, -0.5, 0, 0.5, 1])
    return fig
