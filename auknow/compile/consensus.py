"""Consensus of several sources: align per-source matrices to one label space and merge them
by a weighted mean or vote, each source's gaps handled by its ``missing`` policy."""

from __future__ import annotations

import math
from typing import Mapping, Sequence

import numpy as np

from ._common import (CompileError, au_sort_key, resolve_aus, resolve_expressions)
from ._common import COMBINE_METHODS, MISSING_POLICIES, check_choice
from .prior_matrix import PriorMatrix, reindex_cells, values_at

def _per_source(value, names: list[str], what: str, default):
    """A per-source option: one value for all, a sequence (one per source), or a mapping by table name."""
    if value is None:
        return [default] * len(names)
    if isinstance(value, Mapping):
        unknown = [k for k in value if k not in names and k != "*"]
        if unknown:
            raise CompileError(f"{what}: {', '.join(map(str, unknown))} is not among the tables ({', '.join(names)})")
        default = value.get("*", default)
        return [value.get(n, default) for n in names]
    if isinstance(value, (list, tuple, np.ndarray)):
        if len(value) != len(names):
            raise CompileError(f"{what}: {len(value)} values for {len(names)} tables ({', '.join(names)})")
        return list(value)
    return [value] * len(names)


def combine_matrices(matrices: Sequence[PriorMatrix], *, weights=None, method: str = "mean", missing="error",
            expressions=None, aus=None, vote_threshold: float = 0.0) -> PriorMatrix:
    r"""Consensus of several per-source matrices in one label space.

    The target rows are ``expressions`` (if given) or the union of the sources' rows in order of
    first appearance; the columns ``aus`` or the union of the sources' AUs in FACS order. Source
    ``s`` *lacks* a target cell when it has no such row, no such column (unless its AUs are
    closed: prototype tables give 0 for AUs they do not mention) or a NaN there. Where it lacks
    a cell that another source gives, its ``missing`` policy applies: ``"error"`` (raise, naming
    the table and what it lacks), ``"zero"`` (count it as 0) or ``"ignore"`` (leave it out of
    that cell's consensus). Cells no source gives stay NaN (``support`` 0) for the fill step.

    Consensus over the sources ``S(e, a)`` that give cell ``(e, a)``, with weights ``w_s > 0``:

    * ``mean``: :math:`\sum_s w_s x_s / \sum_s w_s`;
    * ``vote``: :math:`\sum_s w_s [x_s > t] / \sum_s w_s` (share of sources in which the AU is
      present; ``t = vote_threshold``), or :math:`\sum_s w_s \operatorname{sign}(x_s) / \sum_s w_s`
      when the sources are signed.

    Args:
        matrices: per-source matrices (:func:`table_matrix`), all of the same base mode.
        weights: source weights: one number, a sequence (one per source) or a mapping table
            name -> weight (others 1). Default 1 each.
        method: ``"mean"`` or ``"vote"``.
        missing: ``"error"``, ``"zero"`` or ``"ignore"``; one for all, a sequence, or a
            mapping table name -> policy (others ``"error"``).
        expressions, aus: the target label space (see :meth:`PriorMatrix.reindex`).

    Returns:
        ``[E, A]`` :class:`PriorMatrix` with NaN where no source gives a value, ``support`` the
        number of sources per cell, ``sources`` each source's provenance with its ``weight``,
        ``missing`` policy and ``lacks``.

    Raises:
        CompileError: a gap under policy ``"error"``, bad weights or policies, mixed modes.

    >>> from auknow.compile import table_matrix
    >>> a, b = table_matrix("fig2002", "binary"), table_matrix("ekman_emfacs", "binary")
    >>> m = combine_matrices([a, b], missing="zero")   # mean of the two sources per cell
    >>> m.values.shape, m.row("happiness")["AU12"]
    ((6, 22), 1.0)
    """
    if not matrices:
        raise CompileError("no tables to combine")
    check_choice("combine", method, COMBINE_METHODS)
    modes = {m.mode for m in matrices}
    if len(modes) > 1:
        raise CompileError(f"cannot combine matrices of different modes ({', '.join(sorted(modes))})")
    names, ws, pols = _source_options(matrices, weights, missing)
    target_e, target_a = _target_space(matrices, expressions, aus)
    X = np.stack([values_at(m, target_e, target_a)[0] for m in matrices])  # [S, E, A], NaN where not given
    sources = _apply_missing(X, matrices, names, ws, pols, target_e, target_a)
    vals, support = _consensus(X, ws, method, matrices[0].mode == "signed", vote_threshold)
    m0 = matrices[0]
    q = sig = ci = None
    if len(matrices) == 1:  # one source: its q-values, significance and CI carry over
        q = reindex_cells(m0.q_values, m0.expressions, m0.aus, target_e, target_a, np.nan)
        sig = reindex_cells(m0.significance, m0.expressions, m0.aus, target_e, target_a, 0, dtype=np.int8)
        if m0.ci is not None:
            ci = (reindex_cells(m0.ci[0], m0.expressions, m0.aus, target_e, target_a, np.nan),
                  reindex_cells(m0.ci[1], m0.expressions, m0.aus, target_e, target_a, np.nan))
    if method == "vote":
        sources_note = {"combine": "vote", "vote_threshold": float(vote_threshold)}
        for info in sources:
            info.update(sources_note)
    return PriorMatrix(values=vals, expressions=target_e, aus=target_a, mode=m0.mode, sources=sources,
                       support=support, closed_aus=all(m.closed_aus for m in matrices), q_values=q,
                       significance=sig, ci=ci)


#: Alias of :func:`combine_matrices`.
combine = combine_matrices


def _source_options(matrices: Sequence[PriorMatrix], weights, missing) -> tuple[list[str], list[float], list[str]]:
    """``(table names, weights, missing policies)``, one per source, checked (CompileError)."""
    names = [m.sources[0]["table"] if m.sources else f"source {i + 1}" for i, m in enumerate(matrices)]
    ws = [float(w) for w in _per_source(weights, names, "weights", 1.0)]
    for n, w in zip(names, ws):
        if not (math.isfinite(w) and w > 0):
            raise CompileError(f"weights: table '{n}' has weight {w}; weights must be finite and > 0")
    pols = _per_source(missing, names, "missing", "error")
    for n, p in zip(names, pols):
        if p not in MISSING_POLICIES:
            raise CompileError(f"missing: '{p}' for table '{n}' is not one of {', '.join(MISSING_POLICIES)}")
    return names, ws, pols


def _target_space(matrices: Sequence[PriorMatrix], expressions, aus) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The target rows (given, or the sources' in order of first appearance) and columns (given, or
    the union of the sources' AUs in FACS order)."""
    extra = [e for m in matrices for e in m.expressions]
    target_e = resolve_expressions(expressions, extra)
    if target_e is None:
        target_e = tuple(dict.fromkeys(e for m in matrices for e in m.expressions))
    target_a = resolve_aus(aus)
    if target_a is None:
        target_a = tuple(sorted({a for m in matrices for a in m.aus}, key=au_sort_key))
    return target_e, target_a


def _apply_missing(X: np.ndarray, matrices: Sequence[PriorMatrix], names: list[str], ws: list[float],
                   pols: list[str], target_e, target_a) -> list[dict]:
    """Apply each source's ``missing`` policy to the cells ``X [S, E, A]`` it lacks and another source
    gives (in place: ``"zero"`` writes 0; ``"error"`` raises); return each source's provenance."""
    given = ~np.isnan(X)
    any_given = given.any(0)
    sources = []
    for s, m in enumerate(matrices):
        gap = any_given & ~given[s]
        info = dict(m.sources[0]) if m.sources else {"table": names[s]}
        info["weight"], info["missing"] = ws[s], pols[s]
        lacks = _describe_gap(gap, target_e, target_a, m)
        if lacks:
            info["lacks"] = lacks
        if gap.any():
            if pols[s] == "error":
                raise CompileError(
                    f"table '{names[s]}' lacks {_gap_text(lacks)}, which other tables give; choose its policy: "
                    f"missing='zero' or missing='ignore' (per table: missing={{'{names[s]}': 'zero'}})")
            if pols[s] == "zero":
                X[s][gap] = 0.0
        sources.append(info)
    return sources


def _consensus(X: np.ndarray, ws: list[float], method: str, signed: bool,
               vote_threshold: float) -> tuple[np.ndarray, np.ndarray]:
    """``(values [E, A], support [E, A])``: the weighted mean or vote over the sources giving each
    cell of ``X [S, E, A]`` (NaN: not given), and how many give it."""
    given = ~np.isnan(X)
    W = np.asarray(ws)[:, None, None] * given
    total = W.sum(0)
    if method == "mean":
        num = np.where(given, X, 0.0) * W
    else:
        present = np.sign(np.nan_to_num(X)) if signed else (np.nan_to_num(X) > vote_threshold).astype(float)
        num = present * W
    with np.errstate(invalid="ignore", divide="ignore"):
        vals = np.where(total > 0, num.sum(0) / np.where(total > 0, total, 1.0), np.nan)
    return vals, given.sum(0).astype(int)


def _describe_gap(gap: np.ndarray, exprs, aus, m: PriorMatrix) -> dict:
    out = {}
    rows = [e for i, e in enumerate(exprs) if gap[i].any() and e not in m.expressions]
    cols = [a for j, a in enumerate(aus) if gap[:, j].any() and a not in m.aus and not m.closed_aus]
    cells = [[exprs[i], aus[j]] for i, j in zip(*np.nonzero(gap))
             if exprs[i] not in rows and aus[j] not in cols]
    if rows:
        out["expressions"] = rows
    if cols:
        out["aus"] = cols
    if cells:
        out["cells"] = cells
    return out


def _gap_text(lacks: dict) -> str:
    parts = []
    if "expressions" in lacks:
        parts.append(f"expression(s) {', '.join(lacks['expressions'])}")
    if "aus" in lacks:
        parts.append(f"AU(s) {', '.join(lacks['aus'])}")
    if "cells" in lacks:
        cells = lacks["cells"]
        shown = ", ".join(f"{e}/{a}" for e, a in cells[:6]) + (f" and {len(cells) - 6} more" if len(cells) > 6 else "")
        parts.append(f"{len(cells)} cell(s) ({shown})")
    return " and ".join(parts)
