"""Class-imbalance weights for the expression cross-entropy and the AU terms.

Every function takes **counts** (from :func:`class_counts` or :func:`au_counts`) and returns a
1-D tensor of non-negative weights, one per class (expressions) or per AU, normalized by default
so that the weights of the non-empty classes sum to their number (mean weight 1: the loss keeps
its scale). Statistics are computed in float64 and returned in ``dtype`` (float32 by default).

Frequencies: for single-label expressions the frequency of class ``c`` is ``n_c / sum(n)``;
for multi-label AUs pass ``totals`` (the number of samples where the AU is labelled, missing
ones excluded, as OpenGraphAU does) and the frequency is the occurrence rate
``r_i = positives_i / labelled_i``.

Empty classes (count 0, or no labelled sample) would get an infinite weight. They get
``empty="max"`` (default: the largest finite weight among the other classes, so nothing is
infinite and a class that is absent from the statistics is not silently ignored later) or
``empty="zero"`` (weight 0: the class is ignored).

Sources:
    * inverse frequency, ``w_i = N * r_i^-1 / sum_j r_j^-1`` (N classes): the AU weights of
      JAA-Net (Shao et al., ECCV 2018, ``dataset/write_AU_weight.py``) and ME-GraphAU (Luo et
      al., IJCAI 2022, ``tool/BP4D_calculate_AU_class_weights.py``); the same normalization for
      expressions.
    * effective number of samples, ``w_c = (1 - beta) / (1 - beta^n_c)``, normalized to sum to
      the number of classes: Cui, Jia, Lin, Song & Belongie, "Class-Balanced Loss Based on
      Effective Number of Samples", CVPR 2019, eq. 4 and sec. 4.
    * smoothed: ``power`` (``w_i ~ r_i^-power``, power in [0, 1]; power = 0.5 is the
      inverse-square-root weighting discussed by Cui et al. 2019) or ``log``
      (``w_i = 1 / ln(c + r_i)``, c = 1.02, ENet, Paszke et al. 2016).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from torch import Tensor

from ._common import valid_mask

__all__ = [
    "class_counts",
    "au_counts",
    "frequencies",
    "inverse_frequency_weights",
    "effective_number_weights",
    "smoothed_weights",
]


def _f64(x: Any, name: str) -> Tensor:
    t = x.detach() if isinstance(x, Tensor) else torch.as_tensor(np.asarray(x, dtype=np.float64))
    t = t.to(device="cpu", dtype=torch.float64)
    if t.dim() != 1 or t.numel() == 0:
        raise ValueError(f"{name}: expected a non-empty 1-D vector, got shape {tuple(t.shape)}")
    if not bool(torch.isfinite(t).all()) or bool((t < 0).any()):
        raise ValueError(f"{name}: must be finite and non-negative")
    return t


def class_counts(labels: Any, num_classes: int, *, ignore_index: int = -100) -> Tensor:
    """Number of samples per expression class, float64 ``[C]``.

    Args:
        labels: integer labels ``[N]`` in ``[0, num_classes)``; ``ignore_index`` (or any
            negative label) is skipped. Soft labels ``[N, C]`` are summed (expected counts).
        num_classes: C.

    Raises:
        ValueError: a label >= num_classes, or bad shapes.

    >>> class_counts(torch.tensor([0, 0, 2, -100]), 3)
    tensor([2., 0., 1.], dtype=torch.float64)
    """
    # via Python ints: torch < 2.3 cannot convert numpy.int64 (or any array) under numpy 2
    t = labels.detach().cpu() if isinstance(labels, Tensor) else torch.as_tensor(np.asarray(labels).tolist())
    if t.is_floating_point() and t.dim() == 2:
        if t.shape[1] != num_classes:
            raise ValueError(f"labels: soft labels must be [N, {num_classes}], got {tuple(t.shape)}")
        return t.to(torch.float64).sum(0)
    if t.dim() != 1:
        raise ValueError(f"labels: expected integer [N], got shape {tuple(t.shape)}")
    t = t.long()
    t = t[(t >= 0) & (t != ignore_index)]
    if t.numel() and int(t.max()) >= num_classes:
        raise ValueError(f"labels: label {int(t.max())} out of range for {num_classes} classes")
    return torch.bincount(t, minlength=num_classes).to(torch.float64)


def au_counts(au_targets: Any) -> tuple[Tensor, Tensor]:
    """Positives and labelled samples per AU, two float64 vectors ``[A]``.

    Args:
        au_targets: ``[N, A]`` in ``[0, 1]`` (binary or soft; soft values add up as expected
            counts); missing entries (NaN or negative, e.g. -1) are not counted.

    Returns:
        ``(positives, labelled)``.

    >>> au_counts(torch.tensor([[1.0, 0.0], [1.0, -1.0], [0.0, 1.0]]))    # -1: missing
    (tensor([2., 1.], dtype=torch.float64), tensor([3., 2.], dtype=torch.float64))
    """
    t = au_targets.detach().cpu() if isinstance(au_targets, Tensor) else torch.as_tensor(
        np.asarray(au_targets, dtype=np.float64))
    t = t.to(torch.float64)
    if t.dim() != 2:
        raise ValueError(f"au_targets: expected [N, A], got shape {tuple(t.shape)}")
    valid = valid_mask(t)
    if bool((t[valid] > 1).any()):
        raise ValueError("au_targets: valid targets must lie in [0, 1] (missing: NaN or negative)")
    positives = torch.where(valid, t, torch.zeros((), dtype=t.dtype)).sum(0)
    return positives, valid.sum(0).to(torch.float64)


def frequencies(counts: Any, totals: Any | None = None) -> Tensor:
    """Class frequencies, float64: ``counts / totals`` (per-AU occurrence rates; 0 where
    ``totals`` is 0) or ``counts / sum(counts)`` when ``totals`` is None.

    >>> frequencies(torch.tensor([1.0, 3.0])), frequencies(torch.tensor([1.0, 3.0]), torch.tensor([4.0, 4.0]))
    (tensor([0.2500, 0.7500], dtype=torch.float64), tensor([0.2500, 0.7500], dtype=torch.float64))
    """
    c = _f64(counts, "counts")
    if totals is None:
        s = c.sum()
        return c / s if s > 0 else torch.zeros_like(c)
    n = _f64(totals, "totals")
    if n.shape != c.shape:
        raise ValueError(f"totals: expected shape {tuple(c.shape)}, got {tuple(n.shape)}")
    if bool((c > n).any()):
        raise ValueError("counts: a count exceeds its total")
    return torch.where(n > 0, c / n.clamp(min=1e-300), torch.zeros_like(c))


def _finish(raw: Tensor, present: Tensor, normalize: bool, empty: str, dtype: torch.dtype) -> Tensor:
    if empty not in ("max", "zero"):
        raise ValueError(f"empty: expected 'max' or 'zero', got {empty!r}")
    w = torch.where(present, raw, torch.zeros_like(raw))
    if not bool(present.any()):
        return torch.ones_like(raw).to(dtype)  # no statistics at all: no re-weighting
    if normalize:
        w = w * present.sum() / w.sum()
    if empty == "max":
        w = torch.where(present, w, w.max())
    return w.to(dtype)


def inverse_frequency_weights(counts: Any, totals: Any | None = None, *, power: float = 1.0,
                              normalize: bool = True, empty: str = "max",
                              dtype: torch.dtype = torch.float32) -> Tensor:
    """Inverse-frequency weights ``w_c ~ f_c^-power``, ``[C]``.

    With ``power = 1`` and AU rates (``totals`` given) this is exactly the JAA-Net / ME-GraphAU
    AU weight ``w_i = A * (1/r_i) / sum_j (1/r_j)``; ``power = 0`` gives all ones.

    Args:
        counts: ``[C]`` non-negative counts (positives per AU, or samples per class).
        totals: ``[C]`` labelled samples per AU (multi-label) or None (single-label).
        power: smoothing exponent, ``>= 0``.
        normalize: scale so that the non-empty classes' weights sum to their number.
        empty: weight of empty classes, ``"max"`` or ``"zero"`` (see module docstring).
        dtype: output dtype.

    Raises:
        ValueError: negative / non-finite counts, negative power, bad shapes.

    >>> inverse_frequency_weights(torch.tensor([1.0, 3.0]))       # 1/f normalized to sum to 2
    tensor([1.5000, 0.5000])
    """
    if power < 0:
        raise ValueError(f"power: expected >= 0, got {power}")
    f = frequencies(counts, totals)
    present = f > 0
    raw = torch.where(present, f.clamp(min=1e-300) ** (-power), torch.zeros_like(f))
    return _finish(raw, present, normalize, empty, dtype)


def effective_number_weights(counts: Any, beta: float = 0.999, *, normalize: bool = True,
                             empty: str = "max", dtype: torch.dtype = torch.float32) -> Tensor:
    """Class-balanced weights from the effective number of samples (Cui et al., CVPR 2019).

    ``E_n = (1 - beta^n) / (1 - beta)`` and ``w_c = 1 / E_{n_c} = (1 - beta) / (1 - beta^n_c)``,
    normalized so that the weights sum to the number of (non-empty) classes (paper, sec. 4).
    ``beta = 0`` gives all ones; ``beta -> 1`` tends to inverse frequency. Typical beta: 0.9,
    0.99, 0.999, 0.9999 (for AUs pass the positive counts per AU).

    Raises:
        ValueError: beta outside [0, 1), negative / non-finite counts.

    >>> effective_number_weights(torch.tensor([10.0, 1000.0]), beta=0.99)
    tensor([1.8254, 0.1746])
    """
    if not 0.0 <= beta < 1.0:
        raise ValueError(f"beta: expected 0 <= beta < 1, got {beta}")
    n = _f64(counts, "counts")
    present = n > 0
    # (1 - beta) / (1 - beta^n) computed as -expm1(log beta) / -expm1(n log beta): exact for
    # beta close to 1 where 1 - beta^n would cancel.
    if beta == 0.0:
        raw = torch.ones_like(n)
    else:
        lb = torch.log(torch.tensor(beta, dtype=torch.float64))
        raw = torch.expm1(lb) / torch.expm1(n.clamp(min=1e-300) * lb)
    return _finish(raw, present, normalize, empty, dtype)


def smoothed_weights(counts: Any, totals: Any | None = None, *, method: str = "power",
                     power: float = 0.5, c: float = 1.02, normalize: bool = True,
                     empty: str = "max", dtype: torch.dtype = torch.float32) -> Tensor:
    """Smoothed inverse-frequency weights, so that rare classes are not over-amplified.

    * ``method="power"`` (default): ``w_i ~ f_i^-power`` with ``power`` in [0, 1]
      (0.5: inverse square root, Cui et al. 2019 sec. 2; 1: plain inverse frequency).
    * ``method="log"``: ``w_i = 1 / ln(c + f_i)`` (ENet, Paszke et al. 2016, c = 1.02), bounded
      by ``1 / ln(c)`` (about 50 for c = 1.02).

    ``f`` are the frequencies of :func:`frequencies` (rates when ``totals`` is given).

    >>> smoothed_weights(torch.tensor([1.0, 100.0]))               # power 0.5: 10x, not 100x
    tensor([1.8182, 0.1818])
    """
    if method == "power":
        if not 0.0 <= power <= 1.0:
            raise ValueError(f"power: expected 0 <= power <= 1 for smoothing, got {power}")
        return inverse_frequency_weights(counts, totals, power=power, normalize=normalize,
                                         empty=empty, dtype=dtype)
    if method == "log":
        if c <= 1.0:
            raise ValueError(f"c: expected > 1, got {c}")
        f = frequencies(counts, totals)
        present = f > 0
        raw = 1.0 / torch.log(c + f)
        return _finish(raw, present, normalize, empty, dtype)
    raise ValueError(f"method: expected 'power' or 'log', got {method!r}")
