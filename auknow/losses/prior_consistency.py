"""Prior-consistency loss (new in auknow): the expression posterior implied by the predicted AU
probabilities through the prior matrix must agree with the expression head.

With ``M [E, A]`` the prior read as ``P(AU a present | expression e)`` (entries in ``[0, 1]``,
clamped to ``[eps, 1 - eps]``), AU probabilities ``q = sigmoid(z_au) [B, A]`` and an optional
class prior ``pi [E]``, the implied expression logits are the naive-Bayes log-posterior with
the AUs as soft evidence (the expected log-likelihood of the AU pattern under each expression)::

    s_be  = log pi_e + sum_a [ q_ba log M_ea + (1 - q_ba) log(1 - M_ea) ]
          = log pi_e + sum_a log(1 - M_ea) + sum_a q_ba logit(M_ea)
    p_impl = softmax(s / T),   log p_head = log_softmax(z_expr / T)

    D = T^2 * KL(p_impl || p_head)        (divergence="kl", Hinton et al. 2015's T^2 scaling)
      = T^2 * CE(p_impl, p_head)          (divergence="ce": KL + the entropy of p_impl)

``detach`` chooses who learns from whom through ``D``: ``"none"`` (both heads), ``"au"`` (the
implied posterior is a fixed target: only the expression head moves), ``"expr"`` (the expression
head is the teacher: only the AU head moves). The soft-target term below always trains the AU head.

**Missing AU targets.** DFER datasets rarely have AU labels. For every AU entry whose target is
missing (NaN / negative) - all of them when ``au_targets`` is None - the prior supplies a soft
target: the row of the ground-truth expression ``M[e_b, a]`` (soft labels mix the rows; without
a label, the detached expression-head posterior mixes them) and the AU head gets
``soft_target_weight * BCE(z_au, M[e])`` averaged over those entries. Entries with a target are
left to the AU loss (:mod:`auknow.losses.au_loss`)::

    L_PC = D + soft_target_weight * mean_{(b,a) missing} BCE(z_ba, M[e_b, a])
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

from ._common import (LabelledLoss, as_prior_tensor, as_vector, buffer_dtype, check_au_targets, check_expression_labels,
                      check_label_count, check_reduction, compute_dtype, prior_labels)

__all__ = ["prior_consistency_loss", "PriorConsistencyLoss", "implied_expression_logits"]

_DIVERGENCES = ("kl", "ce")
_DETACH = ("none", "au", "expr")



def _check_options(temperature: float, divergence: str, detach: str) -> None:
    """Raise ValueError for a non-positive temperature or an unknown divergence / detach mode."""
    if not temperature > 0:
        raise ValueError(f"temperature: expected > 0, got {temperature}")
    if divergence not in _DIVERGENCES:
        raise ValueError(f"divergence: expected one of {_DIVERGENCES}, got {divergence!r}")
    if detach not in _DETACH:
        raise ValueError(f"detach: expected one of {_DETACH}, got {detach!r}")

def _tables(prior: Tensor, eps: float, log_class_prior: Tensor | None) -> tuple[Tensor, Tensor]:
    """``(logit M [E, A], bias [E])`` with ``bias = sum_a log(1 - M) + log pi``."""
    m = prior.clamp(eps, 1.0 - eps)
    log1m = torch.log1p(-m)
    bias = log1m.sum(1)
    if log_class_prior is not None:
        bias = bias + log_class_prior
    return torch.log(m) - log1m, bias


def _implied(q: Tensor, logit_m: Tensor, bias: Tensor) -> Tensor:
    # elementwise product + sum instead of q @ logit_m.T: autocast leaves it in full precision
    return (q.unsqueeze(1) * logit_m.unsqueeze(0)).sum(-1) + bias


def implied_expression_logits(au_probs: Tensor, prior: Any, *, class_prior: Any | None = None,
                              eps: float = 1e-4) -> Tensor:
    """Expression logits ``[B, E]`` implied by AU probabilities through the prior (see module).

    Args:
        au_probs: ``[B, A]`` in ``[0, 1]`` (AU probabilities, or binary AU labels).
        prior: ``[E, A]`` ``P(AU | expression)`` in ``[0, 1]`` (clamped to ``[eps, 1 - eps]``).
        class_prior: optional ``[E]`` expression probabilities (uniform when None).
        eps: clamp of the prior, in ``(0, 0.5)``.

    Returns:
        ``[B, E]`` unnormalized log-posterior (softmax it for probabilities), float32 or wider.

    >>> prior = torch.tensor([[0.9, 0.1], [0.1, 0.9]])        # P(AU | e) [E, A]
    >>> implied_expression_logits(torch.tensor([[1.0, 0.0]]), prior).softmax(-1)   # AU 1 on, AU 2 off
    tensor([[0.9878, 0.0122]])
    """
    dt = compute_dtype(au_probs)
    W = (prior if isinstance(prior, Tensor) else as_prior_tensor(prior)).to(au_probs.device, dt)
    if au_probs.dim() != 2 or W.dim() != 2 or W.shape[1] != au_probs.shape[1]:
        raise ValueError(f"au_probs [B, A] and prior [E, A] do not match: {tuple(au_probs.shape)} vs {tuple(W.shape)}")
    lcp = None
    if class_prior is not None:
        cp = class_prior if isinstance(class_prior, Tensor) else torch.as_tensor(np.asarray(class_prior, dtype=np.float64))
        lcp = torch.log(cp.to(au_probs.device, dt).clamp(min=torch.finfo(dt).tiny))
    logit_m, bias = _tables(W, eps, lcp)
    return _implied(au_probs.to(dt), logit_m, bias)


def _soft_targets(prior: Tensor, expr_labels: Tensor | None, expr_logits: Tensor) -> Tensor:
    """Soft AU targets ``[B, A]``: the prior row of the label, the label-mixed rows (soft labels),
    or the rows mixed by the detached expression-head posterior (no / unknown label)."""
    if expr_labels is not None and expr_labels.is_floating_point():
        return (expr_labels.to(prior.dtype).unsqueeze(-1) * prior.unsqueeze(0)).sum(1)
    head = (torch.softmax(expr_logits.detach(), dim=1).unsqueeze(-1) * prior.unsqueeze(0)).sum(1)
    if expr_labels is None:
        return head
    return torch.where((expr_labels >= 0).unsqueeze(1), prior[expr_labels.clamp(min=0)], head)


def _pc(au_logits: Tensor, expr_logits: Tensor, prior: Tensor, logit_m: Tensor, bias: Tensor,
        expr_labels: Tensor | None, au_targets: Tensor | None, temperature: float, divergence: str,
        detach: str, soft_target_weight: float, reduction: str = "mean") -> Tensor:
    """Per-sample terms whose batch mean is the ``"mean"`` loss; ``"sum"`` adds them up."""
    dt = logit_m.dtype
    z_au = au_logits.to(dt)
    z_ex = expr_logits.to(dt)
    s = _implied(torch.sigmoid(z_au), logit_m, bias)
    h = z_ex.detach() if detach == "expr" else z_ex
    if temperature != 1.0:
        s = s / temperature
        h = h / temperature
    if detach == "au":
        s = s.detach()
    log_head = F.log_softmax(h, dim=1)
    log_impl = F.log_softmax(s, dim=1)
    if divergence == "kl":
        per = log_impl.exp() * (log_impl - log_head)
    else:
        per = log_impl.exp() * -log_head
    b = per.shape[0]
    if reduction == "mean":
        loss = per.sum() / b
    else:
        loss = per.sum(1)
    if temperature != 1.0:
        loss = loss * (temperature ** 2)
    if soft_target_weight:
        t = _soft_targets(prior, expr_labels, z_ex)
        if au_targets is None:  # every AU target missing
            missing = torch.ones_like(z_au, dtype=torch.bool)
        else:
            missing = ~(au_targets >= 0)
        terms = F.binary_cross_entropy_with_logits(z_au, t, weight=missing.to(dt), reduction="none")
        if reduction == "mean":
            soft = terms.sum() / missing.sum().clamp(min=1)
        else:  # per sample, scaled so that the batch mean is the "mean" loss
            soft = terms.sum(1) * (b / missing.sum().clamp(min=1))
        loss = loss + soft_target_weight * soft
    return loss.sum() if reduction == "sum" else loss


def _check(expr_logits: Tensor, au_logits: Tensor, E: int, A: int, expr_labels: Tensor | None,
           au_targets: Tensor | None, temperature: float, divergence: str, detach: str) -> None:
    if au_logits.dim() != 2 or au_logits.shape[1] != A:
        raise ValueError(f"au_logits: expected [B, {A}], got {tuple(au_logits.shape)}")
    if expr_logits.dim() != 2 or expr_logits.shape != (au_logits.shape[0], E):
        raise ValueError(f"expr_logits: expected [{au_logits.shape[0]}, {E}], got {tuple(expr_logits.shape)}")
    if au_targets is not None and au_targets.shape != au_logits.shape:
        raise ValueError(f"au_targets: expected {tuple(au_logits.shape)}, got {tuple(au_targets.shape)}")
    if expr_labels is not None and expr_labels.shape[0] != au_logits.shape[0]:
        raise ValueError(f"expr_labels: expected {au_logits.shape[0]} labels, got {tuple(expr_labels.shape)}")
    _check_options(temperature, divergence, detach)


def prior_consistency_loss(expr_logits: Tensor, au_logits: Tensor, prior: Any, *,
                           expr_labels: Tensor | None = None, au_targets: Tensor | None = None,
                           temperature: float = 1.0, divergence: str = "kl", detach: str = "none",
                           class_prior: Any | None = None, soft_target_weight: float = 1.0,
                           eps: float = 1e-4, reduction: str = "mean") -> Tensor:
    """Prior-consistency loss (see the module docstring for the formula).

    Args:
        expr_logits: ``[B, E]`` expression logits; au_logits: ``[B, A]`` AU logits (any
            floating dtype; fp16 / bf16 computed in float32). Expression logits first, as in
            every auknow loss that takes both (:func:`~auknow.losses.au_dfer_loss`).
        prior: ``[E, A]`` ``P(AU | expression)`` in ``[0, 1]`` (tensor, array or object with
            ``.tensor()``). The functional form clamps it to ``[eps, 1 - eps]`` without value
            checks; :class:`PriorConsistencyLoss` raises on values outside ``[0, 1]``.
        expr_labels: optional integer ``[B]`` (negative = unknown) or soft ``[B, E]``: the
            rows of the soft AU targets.
        au_targets: optional ``[B, A]``; soft prior targets are used only where it is missing
            (NaN / negative), everywhere when None.
        temperature: T > 0 for both distributions (the divergence is multiplied by T^2).
        divergence: ``"kl"`` or ``"ce"``; detach: ``"none"``, ``"au"`` or ``"expr"``.
        class_prior: optional ``[E]`` expression probabilities in the implied posterior.
        soft_target_weight: weight of the soft-target AU term (0 switches it off).
        eps: prior clamp in ``(0, 0.5)``.
        reduction: ``"mean"`` over the batch, ``"sum"``, or ``"none"`` (``[B]`` per-sample terms
            whose mean is the ``"mean"`` loss).

    Returns:
        Scalar >= 0 (``"kl"``); float32 (float64 for float64 logits).

    The functional form does no value checks (no device sync): an integer label ``>= E``
    raises IndexError; the module form checks labels and AU targets.

    Raises:
        ValueError: shapes do not match, bad temperature / divergence / detach / eps.

    >>> prior = torch.tensor([[0.9, 0.1], [0.1, 0.9]])
    >>> au_logits = torch.tensor([[4.0, -4.0]])                # AUs point to expression 0
    >>> agree = prior_consistency_loss(torch.tensor([[3.0, -3.0]]), au_logits, prior)
    >>> disagree = prior_consistency_loss(torch.tensor([[-3.0, 3.0]]), au_logits, prior)
    >>> round(float(agree), 4), round(float(disagree), 4)
    (0.4393, 9.4524)
    """
    if not 0.0 < eps < 0.5:
        raise ValueError(f"eps: expected 0 < eps < 0.5, got {eps}")
    check_reduction(reduction)
    dt = compute_dtype(au_logits, expr_logits)
    W = (prior if isinstance(prior, Tensor) else as_prior_tensor(prior)).to(au_logits.device, dt)
    if W.dim() != 2:
        raise ValueError(f"prior: expected [E, A], got {tuple(W.shape)}")
    E, A = W.shape
    _check(expr_logits, au_logits, E, A, expr_labels, au_targets, temperature, divergence, detach)
    lcp = None
    if class_prior is not None:
        cp = class_prior if isinstance(class_prior, Tensor) else torch.as_tensor(np.asarray(class_prior, dtype=np.float64))
        if cp.shape != (E,):
            raise ValueError(f"class_prior: expected [{E}], got {tuple(cp.shape)}")
        lcp = torch.log(cp.to(au_logits.device, dt).clamp(min=torch.finfo(dt).tiny))
    logit_m, bias = _tables(W, eps, lcp)
    return _pc(au_logits, expr_logits, W.clamp(0.0, 1.0), logit_m, bias, expr_labels, au_targets,
               float(temperature), divergence, detach, float(soft_target_weight), reduction)


class PriorConsistencyLoss(LabelledLoss):
    """Module form of :func:`prior_consistency_loss`.

    Buffers: ``prior`` ``[E, A]``, ``prior_logit`` ``[E, A]`` (``logit`` of the clamped prior)
    and ``prior_bias`` ``[E]`` (``sum_a log(1 - M) + log pi``), so the per-step cost is one
    ``[B, E, A]`` product and two softmaxes.

    Args:
        prior: ``[E, A]`` in ``[0, 1]`` (tensor, array, or object with ``.tensor()``).
        temperature, divergence, detach, class_prior, soft_target_weight, eps: see the function.
        expressions, aus: the label orders of the logits (checked against a labelled prior).
        ignore_index: the expression label meaning "unknown"; ``None``: any negative label.
        reduction: ``"mean"`` (over the batch), ``"sum"`` or ``"none"`` (``[B]``).
        validate_args: check label and target values at forward (one device sync); ``False``
            where the caller has checked them.

    Raises:
        ValueError: prior outside ``[0, 1]`` or not a finite matrix, bad options; at forward,
            expression labels outside ``[0, E)`` that are not unknown, AU targets above 1.
        LabelError: a labelled prior in another order than ``expressions`` / ``aus``.

    Forward: ``(expr_logits [B, E], au_logits [B, A], expr_labels=None, au_targets=None)``.

    >>> import torch
    >>> loss = PriorConsistencyLoss(torch.tensor([[0.9, 0.1], [0.1, 0.9]]))
    >>> float(loss(torch.zeros(3, 2), torch.zeros(3, 2))) >= 0
    True
    """

    def __init__(self, prior: Any, *, temperature: float = 1.0, divergence: str = "kl", detach: str = "none",
                 class_prior: Any | None = None, soft_target_weight: float = 1.0, eps: float = 1e-4,
                 expressions: Any = None, aus: Any = None, ignore_index: int | None = None,
                 reduction: str = "mean", validate_args: bool = True):
        super().__init__()
        check_reduction(reduction)
        self.validate_args = bool(validate_args)
        self.reduction = reduction
        self.ignore_index = ignore_index
        if not 0.0 < eps < 0.5:
            raise ValueError(f"eps: expected 0 < eps < 0.5, got {eps}")
        p = as_prior_tensor(prior, dtype=buffer_dtype(prior))
        if bool((p < 0).any()) or bool((p > 1).any()):
            raise ValueError("prior: prior consistency reads the prior as P(AU | expression) and needs values "
                             "in [0, 1]; rescale it first (e.g. prior / prior.max())")
        E, A = p.shape
        _check_options(temperature, divergence, detach)
        lcp = None
        if class_prior is not None:
            cp = as_vector(class_prior, E, "class_prior", torch.float64)
            if not float(cp.sum()) > 0:
                raise ValueError("class_prior: must have a positive sum")
            lcp = torch.log((cp / cp.sum()).clamp(min=1e-300)).to(p.dtype)
        logit_m, bias = _tables(p.double(), eps, lcp.double() if lcp is not None else None)
        self.register_buffer("prior", p)
        self.register_buffer("prior_logit", logit_m.to(p.dtype))
        self.register_buffer("prior_bias", bias.to(p.dtype))
        self.temperature = float(temperature)
        self.divergence = divergence
        self.detach = detach
        self.soft_target_weight = float(soft_target_weight)
        self.eps = float(eps)
        self.expressions, self.aus = prior_labels(prior, expressions, aus)
        check_label_count(self.expressions, E, "expressions", "prior")
        check_label_count(self.aus, A, "AUs", "prior")

    def forward(self, expr_logits: Tensor, au_logits: Tensor, expr_labels: Tensor | None = None,
                au_targets: Tensor | None = None) -> Tensor:
        E, A = self.prior.shape
        _check(expr_logits, au_logits, E, A, expr_labels, au_targets, self.temperature, self.divergence, self.detach)
        if expr_labels is not None:
            if self.validate_args:
                check_expression_labels(expr_labels, E, self.ignore_index)
            if self.ignore_index is not None and not expr_labels.is_floating_point():
                expr_labels = torch.where(expr_labels == self.ignore_index, -1, expr_labels)
        if au_targets is not None and self.validate_args:
            check_au_targets(au_targets)
        dt = compute_dtype(au_logits, expr_logits)
        return _pc(au_logits, expr_logits, self.prior.to(dt), self.prior_logit.to(dt), self.prior_bias.to(dt),
                   expr_labels, au_targets, self.temperature, self.divergence, self.detach, self.soft_target_weight,
                   self.reduction)

    def implied_logits(self, au_probs: Tensor) -> Tensor:
        """Implied expression logits ``[B, E]`` for AU probabilities ``[B, A]``."""
        dt = compute_dtype(au_probs)
        return _implied(au_probs.to(dt), self.prior_logit.to(dt), self.prior_bias.to(dt))

    def extra_repr(self) -> str:
        E, A = self.prior.shape
        return (f"{self._labels_repr()}num_expressions={E}, num_aus={A}, temperature={self.temperature}, divergence={self.divergence!r}, "
                f"detach={self.detach!r}, soft_target_weight={self.soft_target_weight}")
