"""Transforms of a consensus matrix: row / column normalization and the row softmax."""

from __future__ import annotations

import math

import numpy as np

from ._common import CompileError

def _require_non_negative(vals: np.ndarray, mode: str) -> None:
    if np.nanmin(vals, initial=0.0) < 0:
        raise CompileError(f"mode {mode} needs non-negative values, but the {mode} base has negative ones "
                           "(use base='quantified' / 'binary', or mode='signed')")


def normalize_rows(vals: np.ndarray) -> np.ndarray:
    r"""Row-normalized ``[E, A]``: :math:`x_{ea} / \sum_{a'} x_{ea'}`; rows summing to 0 stay 0;
    NaN cells are left out of the sum and stay NaN."""
    s = np.nansum(vals, axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(s > 0, vals / np.where(s > 0, s, 1.0), np.where(np.isnan(vals), np.nan, 0.0))


def normalize_columns(vals: np.ndarray) -> np.ndarray:
    r"""Column-normalized ``[E, A]``: :math:`x_{ea} / \sum_{e'} x_{e'a}`; columns summing to 0 stay 0."""
    return normalize_rows(vals.T).T


def softmax_rows(vals: np.ndarray, temperature: float = 1.0) -> np.ndarray:
    r"""Temperature softmax over the AUs of each row: :math:`\exp(x_{ea}/\tau) / \sum_{a'} \exp(x_{ea'}/\tau)`.

    ``tau -> 0`` approaches a one-hot argmax, ``tau -> inf`` the uniform ``1/A``. NaN cells are
    left out and stay NaN. Raises :class:`CompileError` unless ``temperature > 0``.
    """
    t = float(temperature)
    if not (math.isfinite(t) and t > 0):
        raise CompileError(f"temperature: {temperature} must be finite and > 0")
    out = np.full_like(vals, np.nan)
    for i, row in enumerate(vals):
        ok = ~np.isnan(row)
        if not ok.any():
            continue
        z = row[ok] / t
        z = np.exp(z - z.max())
        out[i, ok] = z / z.sum()
    return out
