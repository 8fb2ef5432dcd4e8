"""Transforms of a consensus matrix: row / column normalization and the row softmax."""

from __future__ import annotations

import math

import numpy as np

from ._common import CompileError

def require_non_negative(vals: np.ndarray, mode: str) -> None:
    """Check that ``vals`` (any shape; NaN ignored) has no negative value before a ``mode`` that
    needs proportions (``row_normalized``, ``column_normalized``, ``softmax``).

    Raises:
        CompileError: a value is < 0; the message names ``mode`` and the bases / mode to use.

    >>> import numpy as np
    >>> require_non_negative(np.array([[0.2, np.nan]]), "softmax")  # no error
    >>> try:
    ...     require_non_negative(np.array([[0.2, -0.1]]), "softmax")
    ... except CompileError as err:
    ...     print(str(err)[:51])
    mode softmax needs non-negative values, but the sof
    """
    if np.nanmin(vals, initial=0.0) < 0:
        raise CompileError(f"mode {mode} needs non-negative values, but the {mode} base has negative ones "
                           "(use base='quantified' / 'binary', or mode='signed')")


def normalize_rows(vals: np.ndarray) -> np.ndarray:
    r"""Row-normalized ``[E, A]``: :math:`x_{ea} / \sum_{a'} x_{ea'}`; rows summing to 0 stay 0;
    NaN cells are left out of the sum and stay NaN.

    >>> import numpy as np
    >>> normalize_rows(np.array([[1.0, 3.0], [0.0, 0.0]])).tolist()
    [[0.25, 0.75], [0.0, 0.0]]
    """
    s = np.nansum(vals, axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(s > 0, vals / np.where(s > 0, s, 1.0), np.where(np.isnan(vals), np.nan, 0.0))


def normalize_columns(vals: np.ndarray) -> np.ndarray:
    r"""Column-normalized ``[E, A]``: :math:`x_{ea} / \sum_{e'} x_{e'a}`; columns summing to 0 stay 0.

    >>> import numpy as np
    >>> normalize_columns(np.array([[1.0, 3.0], [1.0, 1.0]])).tolist()
    [[0.5, 0.75], [0.5, 0.25]]
    """
    return normalize_rows(vals.T).T


def softmax_rows(vals: np.ndarray, temperature: float = 1.0) -> np.ndarray:
    r"""Temperature softmax over the AUs of each row: :math:`\exp(x_{ea}/\tau) / \sum_{a'} \exp(x_{ea'}/\tau)`.

    ``tau -> 0`` approaches a one-hot argmax, ``tau -> inf`` the uniform ``1/A``. NaN cells are
    left out and stay NaN. Raises :class:`CompileError` unless ``temperature > 0``.

    >>> import numpy as np
    >>> [round(float(x), 6) for x in softmax_rows(np.log(np.array([[1.0, 3.0]])))[0]]
    [0.25, 0.75]
    >>> [round(float(x), 6) for x in softmax_rows(np.log(np.array([[1.0, 3.0]])), temperature=1e9)[0]]
    [0.5, 0.5]
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
