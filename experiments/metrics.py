"""Evaluation metrics of the experiments, computed with scikit-learn.

* Expression recognition (DFEW / FERV39K convention, as in every seed paper's code):
  **WAR** = accuracy (``sklearn.metrics.accuracy_score``), **UAR** = mean per-class recall
  (``recall_score(average=None)`` averaged over the classes present in ``y_true``, which equals
  ``balanced_accuracy_score``), and the per-class recalls.
* AU detection (ME-GraphAU convention): per-AU **F1** with threshold 0.5 over the whole test fold
  (``f1_score`` per AU on the frames where the AU is labelled; an AU without positives and
  without predicted positives scores 0) and their mean.
* Across seeds / folds: mean with a two-sided Student-t confidence interval
  (:func:`mean_ci`), and paired differences (:func:`paired_diff_ci`).
"""

from __future__ import annotations

import math
from typing import Sequence

import numpy as np

__all__ = ["classification_metrics", "au_f1", "mean_ci", "paired_diff_ci", "format_ci"]


def classification_metrics(y_true, y_pred, num_classes: int) -> dict:
    """WAR, UAR and per-class recall of expression predictions.

    Args:
        y_true: int ``[N]`` labels in ``[0, num_classes)``.
        y_pred: int ``[N]`` predicted labels.
        num_classes: E.

    Returns:
        ``{"war": float, "uar": float, "recall": float [E] (NaN for a class absent from y_true),
        "support": int [E], "confusion": int [E, E] (rows true, columns predicted)}``; WAR and
        UAR in [0, 1].

    Raises:
        ValueError: empty input, different lengths, labels out of range.
    """
    from sklearn.metrics import accuracy_score, confusion_matrix, recall_score

    yt = np.asarray(y_true).astype(np.int64).reshape(-1)
    yp = np.asarray(y_pred).astype(np.int64).reshape(-1)
    if yt.size == 0 or yt.shape != yp.shape:
        raise ValueError(f"y_true / y_pred: need equal, non-empty lengths, got {yt.shape} and {yp.shape}")
    for name, y in (("y_true", yt), ("y_pred", yp)):
        if y.min() < 0 or y.max() >= num_classes:
            raise ValueError(f"{name}: labels must lie in [0, {num_classes})")
    labels = list(range(num_classes))
    recall = recall_score(yt, yp, labels=labels, average=None, zero_division=np.nan)
    support = np.bincount(yt, minlength=num_classes)
    recall = np.where(support > 0, recall, np.nan).astype(np.float64)
    return {"war": float(accuracy_score(yt, yp)), "uar": float(np.nanmean(recall)), "recall": recall,
            "support": support, "confusion": confusion_matrix(yt, yp, labels=labels)}


def au_f1(y_true, y_score, threshold: float = 0.5) -> dict:
    """Per-AU F1 of AU detections.

    Args:
        y_true: ``[N, A]`` 0/1 labels; missing entries NaN or negative (BP4D's 9 after reading)
            are left out for that AU.
        y_score: ``[N, A]`` probabilities (or 0/1 predictions); predicted present iff
            ``>= threshold``.
        threshold: decision threshold (ME-GraphAU: 0.5).

    Returns:
        ``{"f1": float [A] in [0, 1] (NaN for an AU with no labelled frame), "mean_f1": float
        (mean over AUs with labelled frames), "support": int [A] positives, "labelled": int [A]}``.

    Raises:
        ValueError: shapes differ or are not 2-D.
    """
    from sklearn.metrics import f1_score

    yt = np.asarray(y_true, dtype=np.float64)
    ys = np.asarray(y_score, dtype=np.float64)
    if yt.ndim != 2 or yt.shape != ys.shape:
        raise ValueError(f"y_true / y_score: need equal [N, A] shapes, got {yt.shape} and {ys.shape}")
    A = yt.shape[1]
    f1 = np.full(A, np.nan)
    support = np.zeros(A, dtype=np.int64)
    labelled = np.zeros(A, dtype=np.int64)
    for a in range(A):
        ok = np.isfinite(yt[:, a]) & (yt[:, a] >= 0)
        labelled[a] = int(ok.sum())
        if not ok.any():
            continue
        t = (yt[ok, a] >= 0.5).astype(np.int64)
        p = (ys[ok, a] >= threshold).astype(np.int64)
        support[a] = int(t.sum())
        f1[a] = f1_score(t, p, zero_division=0.0)
    return {"f1": f1, "mean_f1": float(np.nanmean(f1)) if np.isfinite(f1).any() else float("nan"),
            "support": support, "labelled": labelled}


def mean_ci(values: Sequence[float], level: float = 0.95) -> dict:
    """Mean and two-sided Student-t confidence interval of independent values (seeds, folds).

    ``mean +- t_{(1+level)/2, n-1} * sd / sqrt(n)`` with the sample sd (ddof 1); NaN values are
    dropped. With one value the interval is NaN.

    Returns:
        ``{"mean", "low", "high", "half", "sd", "n"}`` (floats; n int).
    """
    from scipy import stats

    v = np.asarray(values, dtype=np.float64).reshape(-1)
    v = v[np.isfinite(v)]
    n = int(v.size)
    if n == 0:
        nan = float("nan")
        return {"mean": nan, "low": nan, "high": nan, "half": nan, "sd": nan, "n": 0}
    m = float(v.mean())
    if n == 1:
        return {"mean": m, "low": float("nan"), "high": float("nan"), "half": float("nan"), "sd": float("nan"), "n": 1}
    sd = float(v.std(ddof=1))
    half = float(stats.t.ppf(0.5 + level / 2, n - 1) * sd / math.sqrt(n))
    return {"mean": m, "low": m - half, "high": m + half, "half": half, "sd": sd, "n": n}


def paired_diff_ci(a: Sequence[float], b: Sequence[float], level: float = 0.95) -> dict:
    """Mean difference ``a - b`` over paired runs (same seed / fold) with a t interval.

    Returns :func:`mean_ci` of the differences plus ``"p"``, the two-sided paired t-test p-value
    (NaN with fewer than 2 pairs or zero variance).

    Raises:
        ValueError: different lengths.
    """
    from scipy import stats

    x = np.asarray(a, dtype=np.float64).reshape(-1)
    y = np.asarray(b, dtype=np.float64).reshape(-1)
    if x.shape != y.shape:
        raise ValueError(f"paired values: lengths differ ({x.size} vs {y.size})")
    d = x - y
    out = mean_ci(d, level)
    d = d[np.isfinite(d)]
    if d.size >= 2 and d.std(ddof=1) > 0:
        out["p"] = float(stats.ttest_1samp(d, 0.0).pvalue)
    else:
        out["p"] = float("nan")
    return out


def format_ci(ci: dict, scale: float = 100.0, digits: int = 1, signed: bool = False) -> str:
    """``"65.2 ± 1.3"`` (mean ± half-width, times ``scale``); ``"n/a"`` when the mean is NaN."""
    m = ci.get("mean", float("nan"))
    if not np.isfinite(m):
        return "n/a"
    sign = "+" if signed else ""
    head = f"{m * scale:{sign}.{digits}f}"
    half = ci.get("half", float("nan"))
    return head if not np.isfinite(half) else f"{head} ± {half * scale:.{digits}f}"
