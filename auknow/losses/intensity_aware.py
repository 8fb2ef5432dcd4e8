"""Intensity-aware loss (IAL) of Li, Niu, Zhu & Zhao, "Intensity-Aware Loss for Dynamic Facial
Expression Recognition in the Wild", AAAI 2023 (37(1):67-75, arXiv 2208.10335).

A two-way cross-entropy between the target class and the most confusing non-target class::

    j_b   = argmax_{k != y_b} z_bk                 (the largest non-target logit)
    l_b   = -log( e^{z_{b,y}} / (e^{z_{b,y}} + e^{z_{b,j}}) ) = softplus(z_{b,j} - z_{b,y})
    L_IAL = mean_b l_b                             (class-weighted mean with ``class_weight``)

and the total of the reference code is ``CE + lambda * L_IAL`` with ``lambda = 0.1`` as it ran
(the code comment says 0.5). The reference masks all other classes with ``-9999`` (and the target
with ``-99999`` before the argmax), constants beyond the float16 range; here the argmax runs on
the logits with the target replaced by ``-inf`` (exact in every dtype), the two logits are
gathered from the unmasked tensor, upcast to float32 and subtracted, so the loss is finite and
exact under fp16 / bf16 autocast for any finite logits.
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ._common import as_vector, check_expression_labels, check_reduction, compute_dtype

__all__ = ["intensity_aware_loss", "IntensityAwareLoss", "most_confusing_class"]


def most_confusing_class(logits: Tensor, labels: Tensor) -> Tensor:
    """Index ``[B]`` of the largest non-target logit (ties: the first index, as ``argmax``).

    Negative labels (unknown) are treated as class 0 here; mask them in the loss.

    >>> logits = torch.tensor([[2.0, 1.0, 3.0], [0.0, 0.0, 5.0]])
    >>> most_confusing_class(logits, torch.tensor([0, 2]))    # the largest logit other than the label's
    tensor([2, 0])
    """
    y = labels.clamp(min=0).unsqueeze(1)
    masked = logits.detach().scatter(1, y, float("-inf"))
    return masked.argmax(1)


def _check(logits: Tensor, labels: Tensor) -> None:
    if logits.dim() != 2:
        raise ValueError(f"expr_logits: expected [B, E], got shape {tuple(logits.shape)}")
    if logits.shape[1] < 2:
        raise ValueError(f"expr_logits: IAL needs at least 2 classes, got {logits.shape[1]}")
    if labels.dim() != 1 or labels.is_floating_point():
        raise ValueError(f"expr_labels: IAL needs integer labels [B], got {labels.dtype} {tuple(labels.shape)}")
    if labels.shape[0] != logits.shape[0]:
        raise ValueError(f"expr_labels: expected {logits.shape[0]} labels, got {labels.shape[0]}")


def _ial(logits: Tensor, labels: Tensor, class_weight: Tensor | None, reduction: str) -> Tensor:
    dt = compute_dtype(logits)
    known = labels >= 0
    y = labels.clamp(min=0).unsqueeze(1)
    j = logits.detach().scatter(1, y, float("-inf")).argmax(1, keepdim=True)
    # [z_y, z_j] upcast, then the 2-way cross-entropy with target 0 = softplus(z_j - z_y), fused
    pair = logits.gather(1, torch.cat((y, j), 1)).to(dt)
    target = torch.where(known, 0, -100)
    if class_weight is None and reduction == "mean":
        total = F.cross_entropy(pair, target, ignore_index=-100, reduction="sum")
        return total / known.sum().clamp(min=1)
    per = F.cross_entropy(pair, target, ignore_index=-100, reduction="none")  # 0 where unknown
    if class_weight is not None:
        w = F.pad(class_weight.to(dt), (0, 1))[torch.where(known, labels, -1)]  # unknown -> 0
        per = per * w
    if reduction == "none":
        return per
    if reduction == "sum":
        return per.sum()
    return per.sum() / w.sum().clamp(min=torch.finfo(dt).tiny)


def intensity_aware_loss(expr_logits: Tensor, expr_labels: Tensor, *, class_weight: Tensor | None = None,
                         reduction: str = "mean") -> Tensor:
    """IAL, ``softplus(z_j - z_y)`` with ``j`` the most confusing non-target class.

    Args:
        expr_logits: ``[B, E]`` (E >= 2), any finite values, any floating dtype.
        expr_labels: integer ``[B]`` in ``[0, E)``; a negative label (e.g. -100) is ignored.
        class_weight: optional ``[E]`` non-negative per-class weights (the target's weight
            multiplies its term; ``mean`` divides by the sum of the weights, as CE does).
        reduction: ``"mean"`` (0 when every label is ignored), ``"sum"`` or ``"none"`` (``[B]``).

    Returns:
        Scalar (or ``[B]``) in ``[0, inf)``, float32 (float64 for float64 logits).

    Raises:
        ValueError: fewer than 2 classes, soft labels, shape mismatch. Label values are not
        checked (no device sync, a hot path): a label >= E fails inside torch's gather;
        :class:`IntensityAwareLoss` checks them and names the bad values.

    Source: Li et al., AAAI 2023, IAL; reference code ``main.py`` (``train()``).

    >>> logits = torch.tensor([[2.0, 1.0, 3.0], [0.0, 0.0, 5.0]])
    >>> intensity_aware_loss(logits, torch.tensor([0, 2]), reduction="none")   # softplus(3 - 2), softplus(0 - 5)
    tensor([1.3133, 0.0067])
    """
    _check(expr_logits, expr_labels)
    check_reduction(reduction)
    if class_weight is not None and class_weight.shape != (expr_logits.shape[1],):
        raise ValueError(f"class_weight: expected [{expr_logits.shape[1]}], got {tuple(class_weight.shape)}")
    return _ial(expr_logits, expr_labels, class_weight, reduction)


class IntensityAwareLoss(nn.Module):
    """Module form of :func:`intensity_aware_loss` (``class_weight`` is a buffer).

    Args:
        class_weight: optional ``[E]`` non-negative weights (E is then checked against the logits).
        ignore_index: the label meaning "unknown" (torch's -100 convention); ``None`` (default):
            any negative label.
        reduction: ``"mean"``, ``"sum"`` or ``"none"``.
        validate_args: check at forward that labels lie in ``[0, E)`` or are unknown, raising
            ValueError otherwise (a label equal to E, e.g. DFEW's 1-based 7, would index past the
            logits; one device sync). The functional form does no check.

    Forward: ``(expr_logits [B, E], expr_labels [B])``. The weight lambda of the IAL term in the
    total (0.1 in the reference run) belongs to the caller, e.g. :class:`auknow.models.prior_head.PriorHead`'s
    ``ial_weight``.

    >>> logits = torch.tensor([[2.0, 1.0, 3.0], [0.0, 0.0, 5.0]])
    >>> IntensityAwareLoss()(logits, torch.tensor([0, 2]))    # the mean of 1.3133 and 0.0067
    tensor(0.6600)
    >>> IntensityAwareLoss(ignore_index=-100)(logits, torch.tensor([0, -100]))   # unknown: left out
    tensor(1.3133)
    >>> IntensityAwareLoss()(logits, torch.tensor([1, 3]))   # 3 classes: label 3 is 1-based
    Traceback (most recent call last):
    ...
    ValueError: expr_labels: [3] outside [0, 3) for 3 expressions; unknown labels are a negative label (1-based labels, as DFEW's files write them? subtract 1)
    """

    def __init__(self, class_weight: Any | None = None, *, ignore_index: int | None = None,
                 reduction: str = "mean", validate_args: bool = True):
        super().__init__()
        check_reduction(reduction)
        self.reduction = reduction
        self.ignore_index = ignore_index
        self.validate_args = bool(validate_args)
        if class_weight is None:
            self.register_buffer("class_weight", None)
        else:
            self.register_buffer("class_weight", as_vector(class_weight, None, "class_weight"))

    def forward(self, expr_logits: Tensor, expr_labels: Tensor) -> Tensor:
        _check(expr_logits, expr_labels)
        if self.class_weight is not None and self.class_weight.shape[0] != expr_logits.shape[1]:
            raise ValueError(f"expr_logits: expected [B, {self.class_weight.shape[0]}], got {tuple(expr_logits.shape)}")
        if self.validate_args:
            check_expression_labels(expr_labels, expr_logits.shape[1], self.ignore_index)
        if self.ignore_index is not None:
            expr_labels = torch.where(expr_labels == self.ignore_index, -1, expr_labels)
        return _ial(expr_logits, expr_labels, self.class_weight, self.reduction)

    def extra_repr(self) -> str:
        weight = None if self.class_weight is None else list(self.class_weight.shape)
        return f"class_weight={weight}, ignore_index={self.ignore_index}, reduction={self.reduction!r}"
