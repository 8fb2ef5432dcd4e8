"""Plots of AU-expression matrices (matplotlib, non-interactive backend)."""

from __future__ import annotations

from typing import Sequence

import numpy as np


def prior_heatmap(matrix: np.ndarray, expressions: Sequence[str], aus: Sequence[str], *,
                  significant: np.ndarray | None = None, ci: tuple[np.ndarray, np.ndarray] | None = None,
                  title: str | None = None, value_label: str = "", diverging: bool | None = None,
                  vmin: float | None = None, vmax: float | None = None, ax=None):
    """Annotated expression x AU heatmap.

    Args:
        matrix: ``[E, A]`` values (NaN cells are left blank).
        expressions, aus: row and column labels, lengths E and A.
        significant: optional ``[E, A]`` bool; marked with ``*`` after the value.
        ci: optional ``([E, A] low, [E, A] high)``; shown under the value when the figure is large enough.
        diverging: colour map centred at 0 (``RdBu_r``) for signed matrices; default: any value < 0.
        ax: a matplotlib Axes to draw into (a new figure otherwise).

    Returns:
        The matplotlib Figure.

    Raises:
        ValueError: label lengths do not match the matrix shape.
    """
    import matplotlib

    if ax is None:
        matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    M = np.asarray(matrix, dtype=float)
    if M.shape != (len(expressions), len(aus)):
        raise ValueError(f"matrix is {M.shape} but labels give {(len(expressions), len(aus))}")
    finite = M[np.isfinite(M)]
    if diverging is None:
        diverging = bool(finite.size and finite.min() < 0)
    if diverging:
        lim = float(np.max(np.abs(finite))) if finite.size else 1.0
        cmap, lo, hi = "RdBu_r", -lim if vmin is None else vmin, lim if vmax is None else vmax
    else:
        cmap = "viridis"
        lo = (float(finite.min()) if finite.size else 0.0) if vmin is None else vmin
        hi = (float(finite.max()) if finite.size else 1.0) if vmax is None else vmax
    if ax is None:
        fig, ax = plt.subplots(figsize=(max(6.0, 0.62 * len(aus) + 2.5), max(3.0, 0.55 * len(expressions) + 1.6)))
    else:
        fig = ax.figure
    shown = np.ma.masked_invalid(M)
    image = ax.imshow(shown, cmap=cmap, vmin=lo, vmax=hi, aspect="auto")
    ax.set_xticks(range(len(aus)), labels=list(aus), rotation=90, fontsize=8)
    ax.set_yticks(range(len(expressions)), labels=list(expressions), fontsize=9)
    mid = (lo + hi) / 2
    for e in range(M.shape[0]):
        for a in range(M.shape[1]):
            if not np.isfinite(M[e, a]):
                continue
            star = "*" if significant is not None and significant[e, a] else ""
            text = f"{M[e, a]:.2f}{star}"
            if ci is not None and np.isfinite(ci[0][e, a]) and len(aus) <= 14:
                text += f"\n[{ci[0][e, a]:.2f},{ci[1][e, a]:.2f}]"
            dark = (M[e, a] < mid) if not diverging else abs(M[e, a]) > 0.6 * max(abs(lo), abs(hi))
            ax.text(a, e, text, ha="center", va="center", fontsize=6,
                    color="white" if dark else "black")
    fig.colorbar(image, ax=ax, label=value_label, fraction=0.04, pad=0.02)
    if title:
        ax.set_title(title, fontsize=10)
    if significant is not None:
        ax.set_xlabel("* significant (q < alpha, positive association)", fontsize=8)
    fig.tight_layout()
    return fig
