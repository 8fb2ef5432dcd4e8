"""Resampling helpers of the estimate statistics: blocks, subject-bootstrap weights, quantiles and
intervals (percentile; BCa, Efron 1987), vectorised over resamples and NaN-aware.

Split out of :mod:`auknow.estimate.statistics` (which re-exports these names) so that each module
holds one concept: statistics.py computes the statistics from counts, this module turns resampled
values into intervals.
"""

from __future__ import annotations

import math
import warnings
from statistics import NormalDist
from typing import Iterable

import numpy as np


def chunks(total: int, size: int) -> Iterable[int]:
    """Block sizes that cover ``total`` resamples in blocks of at most ``size``.

    >>> list(chunks(10, 4))
    [4, 4, 2]
    """
    done = 0
    while done < total:
        yield min(size, total - done)
        done += size


#: Elements of one [chunk, ...] temporary array (512 KB of float64). Larger temporaries were ~3x
#: slower in CPU time at BP4D's size (fresh pages from the allocator each time: page faults), and
#: memory grows with them; smaller ones add Python overhead per chunk.
CHUNK_ELEMENTS = 1 << 16


def chunk_size(per_resample: int, elements: int = CHUNK_ELEMENTS) -> int:
    """Resamples per block so that one ``[block, per_resample]`` float64 array stays near ``elements``.

    >>> chunk_size(328 * 12), chunk_size(10), chunk_size(10 ** 6)
    (16, 6553, 4)
    """
    return max(4, elements // max(1, per_resample))


def bootstrap_weights(rng: np.random.Generator, n_subjects: int, n_boot: int) -> np.ndarray:
    """``[n_boot, S]`` how often each subject is drawn in each cluster-bootstrap resample.

    >>> w = bootstrap_weights(np.random.default_rng(0), n_subjects=3, n_boot=4)
    >>> w.shape, w.sum(axis=1).tolist()          # each resample draws 3 subjects
    ((4, 3), [3.0, 3.0, 3.0, 3.0])
    """
    return rng.multinomial(n_subjects, np.full(n_subjects, 1.0 / n_subjects), size=n_boot).astype(np.float64)


def nan_quantile(samples: np.ndarray, q: float, presorted: bool = False) -> np.ndarray:
    """Quantile over axis 0 ignoring NaN, by linear interpolation (numpy's default method).

    Equal to ``np.nanquantile(samples, q, axis=0)`` but vectorised (one sort instead of a Python
    loop per column); columns with no finite value give NaN. ``+inf`` orders as the largest value.
    ``q`` may be an array (one level per column). ``presorted``: ``samples`` is already sorted
    along axis 0 (NaN last), so several quantiles share one sort.

    >>> nan_quantile(np.array([[1.0, np.nan], [np.nan, np.nan], [3.0, np.nan]]), 0.5)
    array([ 2., nan])
    """
    s = samples if presorted else np.sort(samples, axis=0)  # NaN sorts last
    n = (~np.isnan(samples)).sum(axis=0)
    pos = q * np.maximum(n - 1, 0)
    lo = np.floor(pos).astype(np.int64)
    hi = np.minimum(lo + 1, np.maximum(n - 1, 0))
    a = np.take_along_axis(s, lo[None], axis=0)[0]
    b = np.take_along_axis(s, hi[None], axis=0)[0]
    frac = pos - lo
    with np.errstate(invalid="ignore"):
        out = np.where(frac == 0, a, a + (b - a) * frac)
    out = np.where(np.isinf(a) & (a == b), a, out)
    return np.where(n > 0, out, np.nan)


def percentile_interval(samples: np.ndarray, level: float) -> tuple[np.ndarray, np.ndarray]:
    """Percentile interval ``(low, high)`` over axis 0 of resampled statistics, ignoring NaN
    resamples (a resample without the expression); all NaN gives NaN.

    >>> percentile_interval(np.arange(101.0).reshape(-1, 1), 0.9)
    (array([5.]), array([95.]))
    """
    alpha = (1.0 - level) / 2.0
    return nan_quantile(samples, alpha), nan_quantile(samples, 1.0 - alpha)


_NORMAL = NormalDist()
_erf = np.frompyfunc(math.erf, 1, 1)


def _norm_cdf(x: np.ndarray) -> np.ndarray:
    """Standard normal CDF, elementwise: ``NormalDist().cdf`` exactly (the same ``math.erf`` and
    float64 operations, 0.5 (1 + erf(x / sqrt 2))), without a Python method call per element."""
    x = np.asarray(x, dtype=np.float64)
    return 0.5 * (1.0 + _erf(x / _SQRT2).astype(np.float64))


_SQRT2 = math.sqrt(2.0)
_norm_ppf = np.vectorize(_NORMAL.inv_cdf, otypes=[np.float64])


def bca_interval(samples: np.ndarray, estimate: np.ndarray, jack: np.ndarray,
                 level: float) -> tuple[np.ndarray, np.ndarray]:
    """Bias-corrected and accelerated (BCa) bootstrap interval over axis 0 (Efron 1987, JASA 82(397);
    Efron & Tibshirani 1993, ch. 14), ignoring NaN resamples.

    Args:
        samples: [B, ...] bootstrap replicates. estimate: [...] the statistic on the data.
        jack: [S, ...] leave-one-cluster-out values (the acceleration, from their skewness).
        level: in (0, 1).

    The bias correction z0 = Phi^-1(share of replicates below the estimate, ties counted half),
    clipped to the resolution of B; where z0 or the acceleration is not finite (an infinite lift,
    a constant statistic), it is 0, i.e. the percentile interval.

    >>> rng = np.random.default_rng(0)
    >>> lo, hi = bca_interval(rng.normal(size=(4000, 1)), np.zeros(1), rng.normal(size=(30, 1)), 0.9)
    >>> bool(-1.8 < lo[0] < -1.5 and 1.5 < hi[0] < 1.8)
    True
    """
    finite = ~np.isnan(samples)
    B = finite.sum(0)
    with np.errstate(invalid="ignore", divide="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a cell without any finite jackknife value
        below = ((samples < estimate) & finite).sum(0) + 0.5 * ((samples == estimate) & finite).sum(0)
        share = np.clip(below / np.maximum(B, 1), 0.5 / np.maximum(B, 1), 1 - 0.5 / np.maximum(B, 1))
        z0 = _norm_ppf(share)
        dev = np.nanmean(jack, axis=0) - jack
        num = np.nansum(dev ** 3, axis=0)
        den = 6.0 * np.nansum(dev ** 2, axis=0) ** 1.5
        acc = np.where(den > 0, num / den, 0.0)
    z0 = np.where(np.isfinite(z0) & np.isfinite(estimate), z0, 0.0)
    acc = np.where(np.isfinite(acc), acc, 0.0)
    alpha = (1.0 - level) / 2.0
    ordered = np.sort(samples, axis=0)  # one sort for both ends
    out = []
    for z in (_NORMAL.inv_cdf(alpha), _NORMAL.inv_cdf(1.0 - alpha)):
        with np.errstate(invalid="ignore", divide="ignore"):
            q = _norm_cdf(z0 + (z0 + z) / (1.0 - acc * (z0 + z)))
        out.append(nan_quantile(ordered, np.nan_to_num(q, nan=0.5), presorted=True))
    return out[0], out[1]
