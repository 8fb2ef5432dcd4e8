"""Smooth class-weighted multi-label AU loss, after Liu et al., "Expression-assisted facial action
unit detection through an attention mechanism and smooth class-weighted loss" (Proc. SPIE 12171,
ICSPS 2021, 121710R).

The paper's formula is not public (only its abstract is: a "smooth class-weighted loss ... to
alleviate the dominance of negative AU classes"). This module implements, and labels as such,
the closest public form: the JAA-Net / ME-GraphAU weighted BCE with **power-smoothed**
inverse-occurrence weights, plus optional label smoothing::

    r_a   = positives_a / labelled_a                       (occurrence rate, missing excluded)
    w_a   = A * r_a^-power / sum_c r_c^-power              (weights sum to A: mean 1)
    y~    = y (1 - eps) + eps / 2                          (label smoothing, eps = 0 by default)
    L     = sum_{b,a valid} w_a * BCE(z_ba, y~_ba) / #valid

``power = 1`` is exactly the JAA-Net (Shao et al., ECCV 2018) / ME-GraphAU (Luo et al., IJCAI
2022) inverse-occurrence weights, whose largest weight grows like ``1 / r_min``; ``power = 0.5``
(default, the inverse square root of Cui et al. 2019 sec. 2) compresses the range so that rare AUs
are not over-amplified (a 100x rarer AU gets 10x, not 100x, the weight); ``power = 0`` is plain
BCE. ``method="log"`` uses the bounded ENet weights ``1 / ln(1.02 + r_a)`` instead.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor, nn

from ._common import (as_vector, check_au_targets, check_logits_targets, check_reduction, compute_dtype,
                      weighted_bce_mean)
from .class_weights import au_counts, smoothed_weights

__all__ = ["smooth_weighted_loss", "SmoothWeightedLoss", "au_weights_from_data"]


def au_weights_from_data(au_targets: Any, *, method: str = "power", power: float = 0.5,
                         dtype: torch.dtype = torch.float32) -> Tensor:
    """Smoothed per-AU weights ``[A]`` from training AU targets ``[N, A]`` (missing: NaN or
    negative, excluded from the rates). See :func:`auknow.losses.class_weights.smoothed_weights`;
    an AU never present gets the largest weight of the others.

    >>> targets = torch.tensor([[1.0, 0.0], [1.0, 0.0], [1.0, 0.0], [0.0, 1.0]])   # rates 3/4, 1/4
    >>> au_weights_from_data(targets)            # r^-0.5, normalized to sum to A = 2
    tensor([0.7321, 1.2679])
    """
    pos, lab = au_counts(au_targets)
    return smoothed_weights(pos, lab, method=method, power=power, dtype=dtype)


def _swl(z: Tensor, y: Tensor, w: Tensor | None, eps: float, reduction: str) -> Tensor:
    if eps:
        # smooth the valid targets; missing ones (NaN / negative) stay missing (-1)
        y = torch.where(y >= 0, y * (1.0 - eps) + 0.5 * eps, -1.0)
    return weighted_bce_mean(z, y, w, None, reduction)


def smooth_weighted_loss(au_logits: Tensor, au_targets: Tensor, au_weight: Tensor | None = None, *,
                         label_smoothing: float = 0.0, reduction: str = "mean") -> Tensor:
    """Class-weighted multi-label BCE with (smoothed) per-AU weights.

    Args:
        au_logits: ``[B, A]`` logits, any floating dtype (fp16 / bf16 computed in float32).
        au_targets: ``[B, A]`` in ``[0, 1]``; missing = NaN or negative (e.g. -1).
        au_weight: ``[A]`` non-negative weights (e.g. :func:`au_weights_from_data`); None = 1.
        label_smoothing: ``eps`` in ``[0, 1)``: targets become ``y (1 - eps) + eps / 2``.
        reduction: ``"mean"`` over valid entries (0 when none), ``"sum"`` or ``"none"``.

    Returns:
        Scalar (or ``[B, A]``), float32 (float64 for float64 logits).

    Raises:
        ValueError: shapes do not match, ``label_smoothing`` outside ``[0, 1)``. Target values
        are not checked (no device sync, a hot path): an intensity above 1 gives a wrong loss;
        :class:`SmoothWeightedLoss` checks them.

    >>> loss = smooth_weighted_loss(torch.zeros(1, 2), torch.tensor([[1.0, 0.0]]), torch.tensor([2.0, 0.0]))
    >>> round(float(loss), 4)                     # (2 log 2 + 0) / 2
    0.6931
    """
    check_logits_targets(au_logits, au_targets)
    check_reduction(reduction)
    if not 0.0 <= label_smoothing < 1.0:
        raise ValueError(f"label_smoothing: expected 0 <= eps < 1, got {label_smoothing}")
    dt = compute_dtype(au_logits)
    w = None
    if au_weight is not None:
        if au_weight.shape != (au_logits.shape[1],):
            raise ValueError(f"au_weight: expected [{au_logits.shape[1]}], got {tuple(au_weight.shape)}")
        w = au_weight.to(device=au_logits.device, dtype=dt)
    return _swl(au_logits.to(dt), au_targets.to(dt), w, label_smoothing, reduction)


class SmoothWeightedLoss(nn.Module):
    """Module form of :func:`smooth_weighted_loss`; ``au_weight`` ``[A]`` is a buffer.

    Args:
        au_weight: ``[A]`` non-negative weights, or None (plain BCE; ``num_aus`` unchecked).
        label_smoothing: ``eps`` in ``[0, 1)``.
        reduction: ``"mean"``, ``"sum"`` or ``"none"``.
        validate_args: check at forward that AU targets are occurrence in ``[0, 1]`` or missing
            (NaN / negative), raising ValueError on intensities (0-5) or BP4D's 9 (one device
            sync; ``False`` where the caller has checked them). The functional form does no check.

    Use :meth:`from_targets` to compute the weights from training AU targets.
    Forward: ``(au_logits [B, A], au_targets [B, A])``.

    >>> loss = SmoothWeightedLoss.from_targets(torch.tensor([[1.0, 0.0], [1.0, 1.0]]))   # rates 1, 1/2
    >>> loss.au_weight
    tensor([0.8284, 1.1716])
    >>> round(float(loss(torch.zeros(2, 2), torch.tensor([[1.0, 0.0], [0.0, 1.0]]))), 4)
    0.6931
    >>> loss
    SmoothWeightedLoss(au_weight=[2], label_smoothing=0.0, reduction='mean')
    >>> loss(torch.zeros(1, 2), torch.tensor([[3.0, 0.0]]))   # an intensity is not a target
    Traceback (most recent call last):
    ...
    ValueError: au_targets: values [3.0] above 1; AU targets are occurrence 0/1 (or soft in [0, 1]), missing as NaN or a negative value (map BP4D's 9 to -1; threshold intensities first)
    """

    def __init__(self, au_weight: Any | None = None, *, label_smoothing: float = 0.0, reduction: str = "mean",
                 validate_args: bool = True):
        super().__init__()
        check_reduction(reduction)
        self.validate_args = bool(validate_args)
        if not 0.0 <= label_smoothing < 1.0:
            raise ValueError(f"label_smoothing: expected 0 <= eps < 1, got {label_smoothing}")
        self.label_smoothing = float(label_smoothing)
        self.reduction = reduction
        if au_weight is None:
            self.register_buffer("au_weight", None)
        else:
            self.register_buffer("au_weight", as_vector(au_weight, None, "au_weight"))

    @classmethod
    def from_targets(cls, au_targets: Any, *, method: str = "power", power: float = 0.5,
                     label_smoothing: float = 0.0, reduction: str = "mean",
                     validate_args: bool = True) -> "SmoothWeightedLoss":
        """Weights from training AU targets ``[N, A]`` by :func:`au_weights_from_data`."""
        return cls(au_weights_from_data(au_targets, method=method, power=power),
                   label_smoothing=label_smoothing, reduction=reduction, validate_args=validate_args)

    def forward(self, au_logits: Tensor, au_targets: Tensor) -> Tensor:
        check_logits_targets(au_logits, au_targets)
        if self.validate_args:
            check_au_targets(au_targets)
        dt = compute_dtype(au_logits)
        w = None
        if self.au_weight is not None:
            if self.au_weight.shape[0] != au_logits.shape[1]:
                raise ValueError(f"au_logits: expected [B, {self.au_weight.shape[0]}], got {tuple(au_logits.shape)}")
            w = self.au_weight.to(dt)
        return _swl(au_logits.to(dt), au_targets.to(dt), w, self.label_smoothing, self.reduction)

    def extra_repr(self) -> str:
        weight = None if self.au_weight is None else list(self.au_weight.shape)
        return f"au_weight={weight}, label_smoothing={self.label_smoothing}, reduction={self.reduction!r}"
