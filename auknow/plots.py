"""The one drawing style of auknow: expression x AU heatmaps, interval panels and their colours.

Every figure of ``estimate-prior --plot``, ``auknow plot`` and ``auknow diff --plot`` comes from
here (graphs from :mod:`auknow.compile.plot_graph`, in the same style), sized for a paper:

* colour scales are fixed to the statistic's range, never fitted to the data: probabilities and
  other [0, 1] values on [0, 1]; signed values (differences, log odds, signed priors)
  symmetric about 0; a declared range of a quantified table when it is finite;
* colour-blind-safe colour maps: ``viridis`` (sequential) and ``PuOr_r`` (diverging,
  ColorBrewer's colour-blind-safe purple-orange);
* cell text of at least 6.5 pt at the printed size (about 0.3 in per AU column: 23 AUs fit a
  7 in double-column width), its colour picked from the cell's luminance;
* axis titles ("Action Unit", "Expression"), and a footnote that states the marks with the
  alpha used (``* q < 0.05``).

Functions draw into a given matplotlib ``ax`` or a new ``matplotlib.figure.Figure`` (no pyplot,
no global backend switch) and return the Figure.
"""

from __future__ import annotations

import math
from typing import Sequence

import numpy as np

SEQUENTIAL = "viridis"
DIVERGING = "PuOr_r"
FONT = {"font.size": 8, "axes.titlesize": 9, "axes.labelsize": 8, "xtick.labelsize": 7, "ytick.labelsize": 7,
        "legend.fontsize": 7, "svg.fonttype": "none", "pdf.fonttype": 42}
CELL_FONT = 6.5
CELL_IN = 0.3  # inches per heatmap cell (width); rows 0.26 in


def new_figure(size: tuple[float, float]):
    """A matplotlib Figure of ``size`` inches (no pyplot state).

    >>> fig = new_figure((3.5, 2.0))
    >>> [float(x) for x in fig.get_size_inches()]
    [3.5, 2.0]
    """
    from matplotlib.figure import Figure

    return Figure(figsize=size, layout="constrained")


def heatmap_size(n_rows: int, n_cols: int) -> tuple[float, float]:
    """Figure size ``(width, height)`` in inches of an ``n_rows x n_cols`` heatmap (rows:
    expressions, columns: AUs): 0.3 in per AU plus 1.9 in of labels and colour bar, at least
    3.5 in (one column); 17 AUs give 7.0 in (a double column).

    >>> [round(x, 2) for x in heatmap_size(7, 17)], heatmap_size(7, 4)[0]
    ([7.0, 3.22], 3.5)
    """
    return (max(3.5, CELL_IN * n_cols + 1.9), max(2.0, 0.26 * n_rows + 1.4))


def colour_limits(values: np.ndarray, signed: bool | None = None,
                  declared: tuple[float, float] | None = None) -> tuple[float, float, bool]:
    """``(low, high, diverging)`` of the colour scale of a statistic.

    Signed statistics (``signed=True``, or any value < 0): symmetric about 0 at the largest
    ``|value|`` rounded up to a nice number. Otherwise a finite ``declared`` range; else [0, 1]
    when every value lies in it (probabilities); else [0, max] rounded up.

    >>> colour_limits(np.array([0.04, 0.2]))
    (0.0, 1.0, False)
    >>> colour_limits(np.array([-0.3, 0.1]))
    (-0.5, 0.5, True)
    """
    finite = np.asarray(values, dtype=float)
    finite = finite[np.isfinite(finite)]
    if signed is None:
        signed = bool(finite.size and finite.min() < 0)
    if signed:
        lim = _nice(float(np.max(np.abs(finite)))) if finite.size else 1.0
        return (-lim, lim, True)
    if declared is not None and all(math.isfinite(x) for x in declared) and declared[0] < declared[1]:
        return (float(declared[0]), float(declared[1]), declared[0] < 0)
    if not finite.size or (finite.min() >= 0 and finite.max() <= 1):
        return (0.0, 1.0, False)
    return (min(0.0, float(finite.min())), _nice(float(finite.max())), False)


def _nice(x: float) -> float:
    """Smallest of 1, 2, 2.5, 5 x 10^k that is >= x (>0)."""
    if not x > 0:
        return 1.0
    k = math.floor(math.log10(x))
    for m in (1, 2, 2.5, 5, 10):
        if m * 10 ** k >= x - 1e-12:
            return float(m * 10 ** k)
    return float(10 ** (k + 1))  # pragma: no cover


def _reserve_bottom(fig, share: float) -> None:
    """Keep the lowest ``share`` of a constrained-layout figure free for its footnote."""
    engine = fig.get_layout_engine()
    if engine is not None and hasattr(engine, "set"):
        engine.set(rect=(0, share, 1, 1 - share))


def _cell_text(v: float, lo: float, hi: float) -> str:
    if max(abs(lo), abs(hi)) <= 1:
        s = f"{v:.2f}"
        return s.replace("0.", ".", 1) if abs(v) < 1 else s  # .97, -.35, 1.00
    if max(abs(lo), abs(hi)) <= 100:
        return f"{v:.1f}"
    return f"{v:.3g}"


def prior_heatmap(matrix: np.ndarray, expressions: Sequence[str], aus: Sequence[str], *,
                  significant: np.ndarray | None = None, below: np.ndarray | None = None,
                  ci: tuple[np.ndarray, np.ndarray] | None = None, title: str | None = None,
                  value_label: str = "", diverging: bool | None = None, vmin: float | None = None,
                  vmax: float | None = None, declared: tuple[float, float] | None = None,
                  alpha: float | None = None, footnote: str | None = None, ax=None,
                  size: tuple[float, float] | None = None, xlabel: str = "Action Unit",
                  ylabel: str = "Expression", cell_values: bool = True, colorbar: bool = True,
                  nan_text: str = ""):
    """Annotated heatmap in the auknow style: expression x AU by default, any rows x columns with
    ``xlabel`` / ``ylabel`` (the one heatmap drawer of auknow; the audit's figures use it too).

    Args:
        matrix: ``[E, A]`` values (NaN cells are blank on a light grey ground, ``nan_text`` in them).
        expressions, aus: row and column labels, lengths E and A.
        significant: optional ``[E, A]`` bool, marked ``*`` after the value (above).
        below: optional ``[E, A]`` bool, marked ``v`` (significantly below).
        ci: accepted for compatibility; intervals are drawn by :func:`interval_panel`.
        diverging, vmin, vmax, declared: colour scale (default :func:`colour_limits`).
        alpha: the q-value threshold of the marks, stated in the footnote.
        footnote: extra text under the axes (e.g. the sources).
        ax: a matplotlib Axes to draw into (a new Figure otherwise).
        xlabel, ylabel: axis titles of the columns and rows ("" for none).
        cell_values: write each finite cell's value (the marks are written either way).
        colorbar: draw this heatmap's colour bar (off for panels that share one, e.g. built from
            ``fig.axes[k].images[0]``).
        nan_text: text of NaN cells, in grey (e.g. ``"n/a"``; default none).

    Returns:
        The matplotlib Figure.

    Raises:
        ValueError: label lengths do not match the matrix shape.

    >>> fig = prior_heatmap(np.array([[0.9, 0.1]]), ["happiness"], ["AU06", "AU12"])
    >>> fig.axes[0].get_xlabel()
    'Action Unit'
    >>> fig = prior_heatmap(np.array([[0.97, np.nan]]), ["fig2002"], ["anger", "fear"], xlabel="Expression",
    ...                     ylabel="Table", vmin=0.5, nan_text="n/a", colorbar=False)
    >>> [t.get_text() for t in fig.axes[0].texts], len(fig.axes)
    (['.97', 'n/a'], 1)
    """
    import matplotlib
    from matplotlib.colors import Normalize

    M = np.asarray(matrix, dtype=float)
    if M.shape != (len(expressions), len(aus)):
        raise ValueError(f"matrix is {M.shape} but labels give {(len(expressions), len(aus))}")
    lo, hi, div = colour_limits(M, diverging, declared)
    lo, hi = (lo if vmin is None else vmin), (hi if vmax is None else vmax)
    cmap = matplotlib.colormaps[DIVERGING if div else SEQUENTIAL]
    with matplotlib.rc_context(FONT):
        own = ax is None
        if own:
            fig = new_figure(size or heatmap_size(*M.shape))
            ax = fig.add_subplot(1, 1, 1)
        else:
            fig = ax.figure
        norm = Normalize(lo, hi)
        ax.set_facecolor("#e6e6e6")
        image = ax.imshow(np.ma.masked_invalid(M), cmap=cmap, norm=norm, aspect="auto", interpolation="nearest")
        ax.set_xticks(range(len(aus)), labels=list(aus), rotation=90)
        ax.set_yticks(range(len(expressions)), labels=list(expressions))
        ax.set_xlabel(xlabel)
        ax.set_ylabel(ylabel)
        ax.tick_params(length=0)
        _annotate_cells(ax, M, cmap, norm, lo, hi, significant, below, cell_values, nan_text)
        if colorbar:
            bar = fig.colorbar(image, ax=ax, fraction=0.05, pad=0.02, aspect=25)
            bar.set_label(value_label)
        if title:
            ax.set_title(title, loc="left")
        _heatmap_notes(fig, ax, own, significant, below, alpha, footnote)
    return fig


def _annotate_cells(ax, M: np.ndarray, cmap, norm, lo: float, hi: float, significant: np.ndarray | None,
                    below: np.ndarray | None, values: bool = True, nan_text: str = "") -> None:
    """Write each finite cell's value (``*`` above, ``v`` below), white on dark colours, black on
    light; ``nan_text`` in grey in NaN cells."""
    for e in range(M.shape[0]):
        for a in range(M.shape[1]):
            v = M[e, a]
            if not np.isfinite(v):
                if nan_text:
                    ax.text(a, e, nan_text, ha="center", va="center", fontsize=CELL_FONT, color="0.4")
                continue
            mark = ("*" if significant is not None and significant[e, a] else
                    "v" if below is not None and below[e, a] else "")
            if not (values or mark):
                continue
            r, g, b, _ = cmap(norm(v))
            dark = 0.2126 * r + 0.7152 * g + 0.0722 * b < 0.5
            ax.text(a, e, (_cell_text(v, lo, hi) if values else "") + mark, ha="center", va="center",
                    fontsize=CELL_FONT, color="white" if dark else "black")


def _heatmap_notes(fig, ax, own: bool, significant: np.ndarray | None, below: np.ndarray | None,
                   alpha: float | None, footnote: str | None) -> None:
    """The footnote of a heatmap: what the marks mean, then ``footnote``; under the figure when the
    heatmap owns it, else under its axes."""
    notes = []
    if significant is not None or below is not None:
        at = f"q < {alpha:g}" if alpha is not None else "q < alpha"
        parts = ["* significantly above"] + (["v significantly below"] if below is not None and below.any() else [])
        notes.append(f"{', '.join(parts)} ({at}, Benjamini-Hochberg)")
    if footnote:
        notes.append(footnote)
    if notes and own:
        fig.text(0.01, 0.0, "; ".join(notes), fontsize=6.5, ha="left", va="bottom", wrap=True)
        _reserve_bottom(fig, 0.04)
    elif notes:  # drawing into someone else's figure: the note goes under this axes
        ax.annotate("; ".join(notes), (0, 0), xycoords="axes fraction", xytext=(0, -58),
                    textcoords="offset points", fontsize=6.5, ha="left", va="top")


def interval_panel(values: np.ndarray, low: np.ndarray, high: np.ndarray, expressions: Sequence[str],
                   aus: Sequence[str], *, significant: np.ndarray | None = None, alpha: float | None = None,
                   value_label: str = "P(AU | expression)", level: float | None = None,
                   xlim: tuple[float, float] | None = (0.0, 1.0), ncols: int = 4, title: str | None = None):
    """Dot-and-whisker panels: per expression, each AU's value with its confidence interval.

    Args:
        values, low, high: ``[E, A]`` estimate and interval bounds (NaN: not drawn).
        significant: ``[E, A]`` bool, drawn as filled dots (others hollow).
        level: the confidence level, stated in the footnote (e.g. 0.95).
        xlim: value axis (default [0, 1], for probabilities).

    Returns:
        The matplotlib Figure (one panel per expression, ``ncols`` per row).

    >>> v = np.array([[0.9, 0.2]]); fig = interval_panel(v, v - .1, v + .1, ["happiness"], ["AU06", "AU12"])
    >>> fig.axes[0].get_title(loc="left")
    'happiness'
    """
    import matplotlib

    V, L, H = (np.asarray(x, dtype=float) for x in (values, low, high))
    E, A = V.shape
    ncols = max(1, min(ncols, E))
    nrows = math.ceil(E / ncols)
    colour = matplotlib.colormaps[SEQUENTIAL](0.35)
    with matplotlib.rc_context(FONT):
        fig = new_figure((1.75 * ncols + 0.4, 0.13 * A * nrows + 0.7 * nrows + 0.5))
        axes = fig.subplots(nrows, ncols, sharey=True, sharex=True, squeeze=False)
        y = np.arange(A)
        for k, ax in enumerate(axes.flat):
            if k >= E:
                ax.set_visible(False)
                continue
            ok = np.isfinite(V[k])
            has = ok & np.isfinite(L[k]) & np.isfinite(H[k])
            ax.hlines(y[has], L[k][has], H[k][has], color=colour, lw=1.2)
            sig = np.zeros(A, bool) if significant is None else np.asarray(significant[k], bool)
            ax.plot(V[k][ok & sig], y[ok & sig], "o", ms=3.5, color=colour, zorder=3)
            ax.plot(V[k][ok & ~sig], y[ok & ~sig], "o", ms=3.5, mfc="white", mec=colour, zorder=3)
            ax.set_title(expressions[k], loc="left")
            ax.set_yticks(y, labels=list(aus))
            ax.invert_yaxis() if k == 0 else None
            if xlim is not None:
                pad = 0.03 * (xlim[1] - xlim[0])
                ax.set_xlim(xlim[0] - pad, xlim[1] + pad)
            ax.grid(axis="x", color="#dddddd", lw=0.5)
            ax.set_axisbelow(True)
            ax.tick_params(axis="y", length=0)
            for side in ("top", "right"):
                ax.spines[side].set_visible(False)
        for k, ax in enumerate(axes.flat):
            if k < E and k + ncols >= E:  # the lowest visible panel of its column
                ax.xaxis.set_tick_params(labelbottom=True)
                ax.set_xlabel(value_label)
        for ax in axes[:, 0]:
            ax.set_ylabel("Action Unit")
        notes = [f"lines: {level:.0%} bootstrap CI" if level else "lines: confidence interval"]
        if significant is not None:
            at = f"q < {alpha:g}" if alpha is not None else "q < alpha"
            notes.append(f"filled: significantly associated ({at}, Benjamini-Hochberg)")
        fig.text(0.01, 0.0, "; ".join(notes), fontsize=6.5, ha="left", va="bottom")
        _reserve_bottom(fig, 0.03)
        if title:
            fig.suptitle(title, x=0.01, ha="left", fontsize=9)
    return fig


def plot_prior(matrix, ax=None, title: str | None = None, value_label: str | None = None,
               size: tuple[float, float] | None = None, marks: bool = True):
    """Annotated heatmap of a :class:`~auknow.compile.matrix.PriorMatrix` ``[E, A]``.

    Colours: :func:`colour_limits` (signed matrices symmetric about 0; [0, 1] for binary,
    normalized, softmax and probability matrices). For a matrix from one estimated table
    (``significance`` set) cells significantly above the AU's level in the other expressions are
    marked ``*``, below ``v``, with the alpha in the footnote. NaN cells are blank.

    Returns:
        The matplotlib Figure.

    >>> from auknow.compile import compile_matrix
    >>> fig = plot_prior(compile_matrix("fig2002", "binary"))
    >>> fig.axes[0].get_xlabel()
    'Action Unit'
    """
    sig = matrix.significance if marks else None
    names = ", ".join(s.get("table", "?") for s in matrix.sources)
    stats = {s.get("statistic") for s in matrix.sources if s.get("statistic")}
    if value_label is None:
        value_label = matrix.mode + (f" ({', '.join(sorted(stats))})" if stats and matrix.mode in
                                     ("quantified", "signed") else "")
    signed = matrix.mode == "signed" or bool(np.nanmin(matrix.values, initial=0.0) < 0)
    alpha = next((s["alpha"] for s in matrix.sources if "alpha" in s), None)
    return prior_heatmap(matrix.values, matrix.expressions, matrix.aus,
                         significant=None if sig is None else sig == 1, below=None if sig is None else sig == -1,
                         diverging=signed, alpha=alpha, title=title or f"{matrix.mode} prior: {names}",
                         value_label=value_label, ax=ax, size=size)


def diff_heatmap(diff, ax=None, title: str | None = None, size: tuple[float, float] | None = None):
    """Heatmap of ``B - A`` of a :class:`~auknow.compile.diff.MatrixDiff` on the common labels:
    diverging colours symmetric about 0, blank where a side is NaN. Returns the Figure.

    >>> from auknow.compile import compile_matrix, diff_matrices
    >>> a = compile_matrix("fig2002", "binary")
    >>> fig = diff_heatmap(diff_matrices(a, a))
    >>> len(fig.axes) >= 1
    True
    """
    return prior_heatmap(diff.delta, diff.expressions, diff.aus, diverging=True, ax=ax, size=size,
                         value_label="B - A", footnote=f"B = {diff.name_b}, A = {diff.name_a} ({diff.a.mode})",
                         title=title or f"B - A: {diff.name_b} - {diff.name_a}")


def event_size_panel(sizes: Sequence[int], observed: np.ndarray, low: np.ndarray, high: np.ndarray,
                     null: np.ndarray, null_low: np.ndarray, null_high: np.ndarray, expressions: Sequence[str], *,
                     significant: np.ndarray | None = None, alpha: float | None = None, level: float | None = None,
                     subtitles: Sequence[str] | None = None, ncols: int = 4, title: str | None = None):
    """Event-size distributions: per expression, P(size = k | e) observed vs null.

    Args:
        sizes: the K sizes (AUs active at once) on the x axis.
        observed, low, high: ``[E, K]`` observed probabilities and their confidence interval (dots
            and whiskers; NaN: not drawn).
        null, null_low, null_high: ``[E, K]`` the null's mean (line) and central range (band).
        significant: ``[E, K]`` bool, observed dots filled (others hollow).
        alpha, level: stated in the footnote. subtitles: one line per panel (e.g. the mean sizes).

    Returns:
        The matplotlib Figure (one panel per expression, ``ncols`` per row, shared axes).

    >>> o = np.array([[.2, .5, .3]]); fig = event_size_panel([1, 2, 3], o, o - .1, o + .1, o, o, o, ["happiness"])
    >>> fig.axes[0].get_xlabel()
    'AUs active (event size)'
    """
    import matplotlib

    O, L, H, N, NL, NH = (np.asarray(x, dtype=float) for x in (observed, low, high, null, null_low, null_high))
    E, K = O.shape
    x = np.asarray(sizes, dtype=float)
    ncols = max(1, min(ncols, E))
    nrows = math.ceil(E / ncols)
    colour = matplotlib.colormaps[SEQUENTIAL](0.35)
    grey = "#8c8c8c"
    with matplotlib.rc_context(FONT):
        fig = new_figure((1.75 * ncols + 0.4, 1.55 * nrows + 0.6))
        axes = fig.subplots(nrows, ncols, sharey=True, sharex=True, squeeze=False)
        for k, ax in enumerate(axes.flat):
            if k >= E:
                ax.set_visible(False)
                continue
            band = np.isfinite(NL[k]) & np.isfinite(NH[k])
            if band.any():
                ax.fill_between(x, np.where(band, NL[k], np.nan), np.where(band, NH[k], np.nan), step="mid",
                                color=grey, alpha=0.25, lw=0, label="null range")
            if np.isfinite(N[k]).any():
                ax.step(x, N[k], where="mid", color=grey, lw=1.0, label="null mean")
            has = np.isfinite(O[k]) & np.isfinite(L[k]) & np.isfinite(H[k])
            ax.vlines(x[has], L[k][has], H[k][has], color=colour, lw=1.2)
            sig = np.zeros(K, bool) if significant is None else np.asarray(significant[k], bool)
            ok = np.isfinite(O[k])
            ax.plot(x[ok & sig], O[k][ok & sig], "o", ms=3.5, color=colour, zorder=3, label="observed, significant")
            ax.plot(x[ok & ~sig], O[k][ok & ~sig], "o", ms=3.5, mfc="white", mec=colour, zorder=3, label="observed")
            ax.set_title(expressions[k] if not subtitles else f"{expressions[k]}\n{subtitles[k]}", loc="left")
            ax.set_ylim(0, 1)
            ax.set_xticks(x)
            ax.grid(axis="y", color="#dddddd", lw=0.5)
            ax.set_axisbelow(True)
            for side in ("top", "right"):
                ax.spines[side].set_visible(False)
        for k, ax in enumerate(axes.flat):
            if k < E and k + ncols >= E:  # the lowest visible panel of its column
                ax.xaxis.set_tick_params(labelbottom=True)
                ax.set_xlabel("AUs active (event size)")
        for ax in axes[:, 0]:
            ax.set_ylabel("P(size | expression)")
        _event_size_legend(fig, axes, E, level, alpha, significant is not None)
        if title:
            fig.suptitle(title, x=0.01, ha="left", fontsize=9)
    return fig


def _event_size_legend(fig, axes, E: int, level, alpha, marks: bool) -> None:
    """The legend (in the first empty panel, else under the panels) and the footnote."""
    seen: dict = {}
    for ax in axes.flat[:E]:
        for h, lab in zip(*ax.get_legend_handles_labels()):
            seen.setdefault(lab, h)
    if E < axes.size:  # an empty panel holds the legend
        spare = axes.flat[E]
        spare.set_visible(True)
        spare.axis("off")
        spare.legend(list(seen.values()), list(seen.keys()), loc="center", frameon=False)
    else:
        fig.legend(list(seen.values()), list(seen.keys()), loc="outside lower center", ncols=4, frameon=False)
    notes = [f"whiskers: {level:.0%} subject-bootstrap CI" if level else "whiskers: confidence interval",
             "grey: within-subject permutation null (mean, central range)"]
    if marks:
        at = f"q < {alpha:g}" if alpha is not None else "q < alpha"
        notes.append(f"filled: P(size | e) differs from the other expressions ({at}, Benjamini-Hochberg)")
    fig.text(0.01, 0.0, "; ".join(notes[:2]) + ("\n" + notes[2] if len(notes) > 2 else ""), fontsize=6.5,
             ha="left", va="bottom")
    _reserve_bottom(fig, 0.05)


def bipartite_network(weight: np.ndarray, significant: np.ndarray, expressions: Sequence[str], aus: Sequence[str],
                      *, alpha: float | None = None, title: str | None = None, au_labels: Sequence[str] | None = None):
    """The expression <-> AU network (NetFACS ``overlap_network``): expressions in a left column,
    AUs in a right column ordered to cross as few edges as a barycentre order allows, an edge
    where the AU is significantly associated with the expression, its width and shade P(AU | e).

    Args:
        weight: ``[E, A]`` edge weights in [0, 1] (P(AU | expression)).
        significant: ``[E, A]`` bool, the edges drawn. AUs without an edge are left out.
        au_labels: text of each AU node (default the AU names).
        alpha: stated in the footnote.

    Returns:
        The matplotlib Figure.

    Raises:
        ValueError: shapes that do not match the labels.

    >>> fig = bipartite_network(np.array([[.9, .1]]), np.array([[True, False]]), ["happiness"], ["AU12", "AU04"])
    >>> [t.get_text() for t in fig.axes[0].texts][:2]
    ['happiness', 'AU12']
    """
    import matplotlib
    from matplotlib.lines import Line2D

    W = np.asarray(weight, dtype=float)
    S = np.asarray(significant, bool) & np.isfinite(W)
    if W.shape != (len(expressions), len(aus)) or S.shape != W.shape:
        raise ValueError(f"weight is {W.shape}, significant {S.shape}, labels {(len(expressions), len(aus))}")
    E = len(expressions)
    used = [a for a in range(len(aus)) if S[:, a].any()]
    ey = np.linspace(0, 1, E) if E > 1 else np.array([0.5])
    # barycentre of each AU's expressions, ties by the strongest edge: few crossings, stable order
    bary = {a: (float(np.average(ey[S[:, a]], weights=W[S[:, a], a])), -float(W[S[:, a], a].max())) for a in used}
    order = sorted(used, key=lambda a: bary[a])
    ay = np.linspace(0, 1, len(order)) if len(order) > 1 else np.array([0.5])
    cmap = matplotlib.colormaps["tab10" if E <= 10 else "tab20"]
    labels = list(au_labels) if au_labels is not None else list(aus)
    with matplotlib.rc_context(FONT):
        fig = new_figure((5.0, max(3.0, 0.17 * max(len(order), E) + 1.2)))
        ax = fig.add_subplot(1, 1, 1)
        for e in range(E):
            ax.text(-0.02, 1 - ey[e], expressions[e], ha="right", va="center", fontsize=8, color=cmap(e % cmap.N),
                    fontweight="bold")
        for k, a in enumerate(order):
            ax.text(1.02, 1 - ay[k], labels[a], ha="left", va="center", fontsize=7)
            for e in np.flatnonzero(S[:, a]):
                ax.plot([0, 1], [1 - ey[e], 1 - ay[k]], color=cmap(e % cmap.N), lw=0.4 + 3.0 * W[e, a],
                        alpha=0.35 + 0.6 * W[e, a], solid_capstyle="round", zorder=2)
        ax.plot(np.zeros(E), 1 - ey, "o", ms=4, color="black", zorder=3)
        ax.plot(np.ones(len(order)), 1 - ay, "o", ms=3, color="black", zorder=3)
        ax.set_xlim(-0.45, 1.55)
        ax.set_ylim(-0.05, 1.05)
        ax.axis("off")
        keys = [Line2D([], [], color="#555555", lw=0.4 + 3.0 * p, alpha=0.35 + 0.6 * p) for p in (0.25, 0.5, 1.0)]
        ax.legend(keys, ["0.25", "0.50", "1.00"], title="P(AU | expression)", loc="upper center",
                  bbox_to_anchor=(0.5, 0.0), ncols=3, frameon=False)
        at = f"q < {alpha:g}" if alpha is not None else "q < alpha"
        fig.text(0.01, 0.0, f"edge: the AU is significantly more frequent in the expression than in the others\n"
                 f"({at}, Benjamini-Hochberg); AUs without an edge are not shown", fontsize=6.5, ha="left",
                 va="bottom")
        _reserve_bottom(fig, 0.05)
        if title:
            ax.set_title(title, loc="left")
    return fig
