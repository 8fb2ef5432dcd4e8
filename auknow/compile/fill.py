"""Fill policies: what cells no source covers become (``error``, ``zero``, ``uniform``, ``mean``,
``nan``, an AU row or per-expression policies); shared by :func:`compile_matrix` and
:meth:`PriorMatrix.reindex`."""

from __future__ import annotations

from typing import Mapping

import numpy as np

from ..errors import LabelError
from ._common import FILL_POLICIES
from ._common import (CompileError, resolve_aus, resolve_expressions)

def _policy_for(missing, expression: str, exprs=()):
    if isinstance(missing, Mapping) and not _is_au_mapping(missing):
        keyed = {resolve_expressions([k], exprs)[0]: v for k, v in missing.items() if k != "*"}
        return keyed.get(expression, missing.get("*", "error"))
    return missing


def _is_au_mapping(m: Mapping) -> bool:
    # A mapping AU -> value is a row; a mapping expression -> policy is per expression.
    keys = [k for k in m if k != "*"]
    if not keys:
        return False
    try:
        resolve_aus([str(k) for k in keys])
        return True
    except (CompileError, LabelError):
        return False


def fill_uncovered(vals: np.ndarray, uncovered: np.ndarray, exprs, aus, missing, what: str) -> np.ndarray:
    """``vals`` with its uncovered cells filled by policy; see :meth:`PriorMatrix.reindex`.

    Args:
        vals: ``[E, A]`` float values (NaN where no source covers the cell); not modified.
        uncovered: ``[E, A]`` bool, the cells to fill.
        exprs, aus: the row (expression) and column (AU) names, lengths E and A.
        missing: the policy: ``"error"``, ``"zero"``, ``"uniform"`` (``1/A``), ``"mean"`` (the AU's
            mean over the covered rows), ``"nan"``, a row (A values, or a mapping AU -> value,
            other AUs 0), or a mapping expression -> any of these (``"*"``: the others).
        what: the caller's name in error messages (``"fill"``, ``"reindex"``).

    Returns:
        A new ``[E, A]`` float array; covered cells are unchanged.

    Raises:
        CompileError: an unknown policy, a row of the wrong length or naming an unknown AU,
            ``"mean"`` for an AU no row covers, or uncovered cells under ``"error"`` (naming the
            expressions and AUs and the policies that would fill them).

    >>> import numpy as np
    >>> vals = np.array([[0.5, np.nan], [np.nan, np.nan]])
    >>> policy = {"neutral": "uniform", "*": "zero"}
    >>> fill_uncovered(vals, np.isnan(vals), ("happiness", "neutral"), ("AU6", "AU12"), policy, what="fill").tolist()
    [[0.5, 0.0], [0.5, 0.5]]
    """
    out = vals.copy()
    if not uncovered.any():
        return out
    A = len(aus)
    col_mean = None
    errors = []
    for i, e in enumerate(exprs):
        cols = np.flatnonzero(uncovered[i])
        if cols.size == 0:
            continue
        pol = _policy_for(missing, e, exprs)
        if isinstance(pol, str):
            if pol not in FILL_POLICIES:
                raise CompileError(f"{what}: unknown fill policy '{pol}' for {e} (expected one of "
                                   f"{', '.join(FILL_POLICIES)}, a row of {A} values, or a mapping AU -> value)")
            if pol == "error":
                errors.append((e, [aus[j] for j in cols]))
                continue
            if pol == "zero":
                out[i, cols] = 0.0
            elif pol == "nan":
                out[i, cols] = np.nan
            elif pol == "uniform":
                out[i, cols] = 1.0 / A
            elif pol == "mean":
                if col_mean is None:
                    masked = np.where(uncovered, np.nan, vals)
                    with np.errstate(all="ignore"):
                        cnt = (~np.isnan(masked)).sum(0)
                        col_mean = np.where(cnt > 0, np.nansum(masked, 0) / np.maximum(cnt, 1), np.nan)
                bad = [aus[j] for j in cols if np.isnan(col_mean[j])]
                if bad:
                    raise CompileError(f"{what}: fill 'mean' for {e}: no expression has a value for "
                                       f"{', '.join(bad)} to average")
                out[i, cols] = col_mean[cols]
        else:
            row = _row_from(pol, aus, e, what)
            out[i, cols] = row[cols]
    if errors:
        parts = [f"{e} ({'every AU' if len(c) == A else ', '.join(c)})" for e, c in errors]
        raise CompileError(
            f"{what}: no source gives a value for {'; '.join(parts)}; choose a fill policy "
            "(fill/missing = zero, uniform, mean, nan, or a given row; per expression with a mapping, "
            "e.g. fill={'neutral': 'uniform'})")
    return out


def _row_from(pol, aus, expression: str, what: str) -> np.ndarray:
    A = len(aus)
    if isinstance(pol, Mapping):
        row = np.zeros(A)
        names = resolve_aus([str(k) for k in pol])
        for name, v in zip(names, pol.values()):
            if name not in aus:
                raise CompileError(f"{what}: fill row for {expression} names {name}, which is not a column "
                                   f"({', '.join(aus)})")
            row[aus.index(name)] = float(v)
        return row
    row = np.asarray(pol, dtype=np.float64).reshape(-1)
    if row.shape != (A,):
        raise CompileError(f"{what}: fill row for {expression} has {row.size} values, expected {A} "
                           f"(one per AU: {', '.join(aus)})")
    return row


def fill_record(uncovered: np.ndarray, exprs, missing) -> dict[str, str]:
    """``{expression: policy}`` for each row of ``exprs`` with an uncovered cell (``uncovered``:
    ``[E, A]`` bool): the policy name that :func:`fill_uncovered` applies there, ``"row"`` for a
    given row (a :class:`PriorMatrix`'s ``filled``). Rows with nothing to fill are left out.

    >>> import numpy as np
    >>> uncovered = np.array([[False, True], [True, True], [False, False]])
    >>> fill_record(uncovered, ("happiness", "neutral", "fear"), {"neutral": "uniform", "*": "zero"})
    {'happiness': 'zero', 'neutral': 'uniform'}
    >>> fill_record(uncovered, ("happiness", "neutral", "fear"), [1.0, 0.0])
    {'happiness': 'row', 'neutral': 'row'}
    """
    out = {}
    for i, e in enumerate(exprs):
        if uncovered[i].any():
            pol = _policy_for(missing, e, exprs)
            out[e] = pol if isinstance(pol, str) else "row"
    return out
