"""Distinct AU patterns of a block of frames: the exact summary that counts are made from.

AU activity persists over many frames, so a sequence of thousands of frames repeats a few hundred
occurrence patterns (rows of 1 / 0 / :data:`~auknow.readers.frames.MISSING`). Every count the
statistics need (frames with an AU coded or present, pair counts) is a sum over frames, and so
the same sum over the distinct patterns weighted by how often each occurs: exact in integers.
"""

from __future__ import annotations

import numpy as np

#: Rows of at most this many columns are coded as one base-3 int64 (3**39 < 2**63).
_BASE3_COLUMNS = 39


def distinct_rows(occ: np.ndarray, weights: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """``(distinct rows [u, k], total weight of each [u] int64)`` of an int8 ``{-1, 0, 1}`` block.

    Args:
        occ: ``[n, k]`` int8 occurrence rows (1, 0, -1 = not coded).
        weights: ``[n]`` whole-number weights of the rows (default 1 each), e.g. to merge the
            distinct rows of several blocks.

    Rows come out in a fixed order (ascending base-3 code) whatever the input order. Rows of up to
    39 columns are coded in base 3 and counted with one sort; wider rows use
    ``np.unique(axis=0)``.

    >>> rows, w = distinct_rows(np.array([[1, 0], [-1, 0], [1, 0]], np.int8))
    >>> rows.tolist(), w.tolist()
    ([[-1, 0], [1, 0]], [1, 2])
    >>> distinct_rows(rows, w)[1].tolist()
    [1, 2]
    """
    occ = np.asarray(occ)
    w = np.ones(occ.shape[0], np.int64) if weights is None else np.asarray(weights, np.int64)
    if occ.shape[0] == 0:
        return occ.reshape(0, occ.shape[1] if occ.ndim == 2 else 0), np.zeros(0, np.int64)
    if occ.shape[1] > _BASE3_COLUMNS:
        rows, inverse = np.unique(occ, axis=0, return_inverse=True)
        return rows, np.bincount(inverse.reshape(-1), weights=w, minlength=rows.shape[0]).astype(np.int64)
    code = (occ.astype(np.int64) + 1) @ (3 ** np.arange(occ.shape[1], dtype=np.int64))
    # Runs of equal consecutive rows first (activity persists): the sort then sees far fewer codes.
    start = np.flatnonzero(np.r_[True, code[1:] != code[:-1]])
    run_weight = np.add.reduceat(w, start)
    _, first, inverse = np.unique(code[start], return_index=True, return_inverse=True)
    rows = occ[start[first]]
    return rows, np.bincount(inverse.reshape(-1), weights=run_weight, minlength=rows.shape[0]).astype(np.int64)
