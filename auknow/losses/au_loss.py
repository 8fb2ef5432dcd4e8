"""AU loss of AU-DFER (Liu, Gu, Shi & Fu 2025, "Action Unit Enhance Dynamic Facial Expression
Recognition", arXiv 2507.07678) and its ``pos_weight`` strategies.

An auxiliary AU head's logits ``z [B, A]`` are trained against AU targets ``y [B, A]``; each
sample's per-AU terms are weighted by the prior row of its **ground-truth** expression ``e_b``
times a scale (5 in AU-DFER)::

    l_ba = - scale * W[e_b, a] * ( P_ba * y_ba * log sigmoid(z_ba) + (1 - y_ba) * log(1 - sigmoid(z_ba)) )
    L_AU = sum_{b,a valid} l_ba / #valid
    L    = (1 - w) * CE(expression logits, e) + w * L_AU     (w = au_loss_weight, 0.25 in AU-DFER)

which is ``torch.nn.BCEWithLogitsLoss(weight=scale * W[e], pos_weight=P)`` as the reference code
builds it per batch, with missing targets masked out (the reference has none: it turns clips
without AU detections into all-ones targets; here they are missing and count for nothing).

``P`` (``pos_weight``) is one of the paper's strategies, computed from training statistics by
:func:`pos_weight_from_data`: ``global`` ``[A]``, ``distinct`` ``[E, A]`` (the row of each
sample's expression), ``minor`` ``[E, A]`` (distinct rows for minor classes, ones elsewhere), or
None (1). See ``docs/losses.md`` for what differs from the reference code and why.
"""

from __future__ import annotations

import warnings
from typing import Any, Sequence

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ._common import (LabelledLoss, as_prior_tensor, au_loss_weight_of, as_vector, buffer_dtype, check_au_targets, check_expression_labels,
                      check_label_count, check_logits_targets, check_reduction, compiled_scale, compute_dtype,
                      expression_cross_entropy, expression_rows, prior_labels, valid_mask, weighted_bce_mean)
from .class_weights import au_counts, class_counts

__all__ = ["au_loss", "au_dfer_loss", "AULoss", "AUDFERLoss", "pos_weight_from_data", "clip_au_targets"]


def _as_table(x: Any, like: Tensor, name: str) -> Tensor:
    """Hot path: a tensor is used as it is (moved/cast only, no value checks: no device sync)."""
    if isinstance(x, Tensor):
        return x.to(device=like.device, dtype=like.dtype)
    return as_prior_tensor(x, device=like.device, dtype=like.dtype, name=name)


def _check_pos_weight(pw: Tensor, E: int, A: int) -> None:
    if not (pw.shape == (A,) or pw.shape == (E, A)):
        raise ValueError(f"pos_weight: expected [A]={A} (global) or [E, A]=[{E}, {A}] (per expression), "
                         f"got {tuple(pw.shape)}")


def _au_loss(z: Tensor, y: Tensor, labels: Tensor, weight: Tensor, pos_weight: Tensor | None,
             reduction: str) -> Tensor:
    """Core with tables already in the compute dtype: ``weight`` is the scaled prior [E, A]."""
    A = weight.shape[1]
    if pos_weight is not None and pos_weight.dim() == 2:
        rows = expression_rows(torch.cat((weight, pos_weight), 1), labels, fill=1.0)  # one lookup
        w, pw = rows[:, :A], rows[:, A:]
    else:
        w, pw = expression_rows(weight, labels, fill=1.0), pos_weight
    return weighted_bce_mean(z, y, w, pw, reduction)


def au_loss(au_logits: Tensor, au_targets: Tensor, expr_labels: Tensor, prior: Any, *,
            scale: float = 5.0, pos_weight: Tensor | None = None, reduction: str = "mean") -> Tensor:
    """AU-DFER AU loss: BCE-with-logits weighted by the prior row of each sample's expression.

    Args:
        au_logits: ``[B, A]`` AU logits (any real; fp16 / bf16 are computed in float32).
        au_targets: ``[B, A]`` targets in ``[0, 1]``; missing = NaN or negative (e.g. -1).
        expr_labels: ground-truth expressions, integer ``[B]`` in ``[0, E)`` (a negative label
            means unknown: that sample gets weight 1 and pos_weight 1) or soft ``[B, E]``
            (mixup: the prior / pos_weight rows are mixed).
        prior: ``[E, A]`` non-negative weights (tensor, array or object with ``.tensor()``).
            Not value-checked here (no device sync); :class:`AULoss` checks once.
        scale: multiplies the prior (AU-DFER: 5, so a prior in [0, 1] gives weights in [0, 5];
            use 1 for a matrix that already carries the scale).
        pos_weight: None, ``[A]`` (global) or ``[E, A]`` (per expression); see
            :func:`pos_weight_from_data`.
        reduction: ``"mean"`` over valid entries (0 when none, still differentiable),
            ``"sum"``, or ``"none"`` (``[B, A]``, 0 at missing entries).

    Returns:
        Scalar (or ``[B, A]``), float32 (float64 for float64 logits).

    Raises:
        ValueError: shapes do not match.

    Source: AU-DFER reference code, ``BCEWithLogitsLoss(weight=5 * W[e], pos_weight=P)``.

    >>> z = torch.zeros(2, 2)                                    # AU logits [B, A]
    >>> y = torch.tensor([[1.0, 0.0], [1.0, float("nan")]])      # NaN: missing target
    >>> round(float(au_loss(z, y, torch.tensor([0, 1]), torch.ones(2, 2), scale=1.0)), 4)   # log 2
    0.6931
    """
    check_logits_targets(au_logits, au_targets)
    check_reduction(reduction)
    dt = compute_dtype(au_logits)
    z = au_logits.to(dt)
    W = _as_table(prior, z, "prior")
    B, A = z.shape
    E = W.shape[0]
    if W.dim() != 2 or W.shape[1] != A:
        raise ValueError(f"prior: expected [E, {A}] for {A} AU logits, got {tuple(W.shape)}")
    if expr_labels.shape[0] != B:
        raise ValueError(f"expr_labels: expected {B} labels, got {tuple(expr_labels.shape)}")
    pw = None
    if pos_weight is not None:
        pw = (pos_weight if isinstance(pos_weight, Tensor)
              else torch.as_tensor(np.asarray(pos_weight, dtype=np.float64))).to(device=z.device, dtype=dt)
        _check_pos_weight(pw, E, A)
    return _au_loss(z, au_targets.to(dt), expr_labels, W * scale, pw, reduction)


def au_dfer_loss(expr_logits: Tensor, au_logits: Tensor, expr_labels: Tensor, au_targets: Tensor,
                 prior: Any, *, au_loss_weight: float | None = None, scale: float = 5.0,
                 pos_weight: Tensor | None = None, class_weight: Tensor | None = None, label_smoothing: float = 0.0,
                 alpha: float | None = None) -> Tensor:
    """AU-DFER total loss ``(1 - w) * CE(expr_logits, e) + w * L_AU``, ``w = au_loss_weight``.

    Args:
        expr_logits: ``[B, E]``; au_logits, au_targets, prior, scale, pos_weight: see
            :func:`au_loss`; expr_labels: integer ``[B]`` (negative = unknown, ignored by CE)
            or soft ``[B, E]``.
        au_loss_weight: the AU term's weight ``w`` in ``[0, 1]`` (default 0.25, AU-DFER's).
        class_weight: optional ``[E]`` CE class weights (see :mod:`auknow.losses.class_weights`;
            AU-DFER used none); label_smoothing: CE label smoothing (M3DFEL: 0.1).
        alpha: deprecated name of ``au_loss_weight`` (``DeprecationWarning``).

    Raises:
        ValueError: au_loss_weight outside [0, 1] or shapes do not match.
        TypeError: both ``au_loss_weight`` and ``alpha`` given.

    >>> W = torch.ones(2, 3)
    >>> y, t = torch.tensor([0, 1]), torch.ones(2, 3)
    >>> ce_only = au_dfer_loss(torch.zeros(2, 2), torch.zeros(2, 3), y, t, W, au_loss_weight=0.0)
    >>> round(float(ce_only), 4)  # log 2: two equal logits
    0.6931
    """
    w = au_loss_weight_of(au_loss_weight, alpha, "au_dfer_loss")
    if not 0.0 <= w <= 1.0:
        raise ValueError(f"au_loss_weight: expected 0 <= au_loss_weight <= 1, got {w}")
    ce = expression_cross_entropy(expr_logits, expr_labels, class_weight=class_weight,
                                  label_smoothing=label_smoothing)
    lau = au_loss(au_logits, au_targets, expr_labels, prior, scale=scale, pos_weight=pos_weight)
    return (1.0 - w) * ce + w * lau


class AULoss(LabelledLoss):
    """Module form of :func:`au_loss`. The scaled prior (``weight = scale * prior``, ``[E, A]``)
    and ``pos_weight`` (``[A]``, ``[E, A]``; ones ``[A]`` when None) are buffers, so ``.to()``,
    ``state_dict``, ``torch.compile`` and DDP carry them; the label orders travel too.

    Args:
        prior: ``[E, A]`` non-negative (tensor, array, or object with ``.tensor()``, e.g.
            ``auknow.compile.PriorMatrix``, whose label orders are kept and checked).
        scale: AU-DFER's 5. A ``PriorMatrix`` compiled with ``scale="table"`` already holds
            the table's factor: then ``scale`` must be 1 (else ValueError: 25x instead of 5x).
        pos_weight: None, ``[A]`` or ``[E, A]`` (e.g. from :func:`pos_weight_from_data`), in the
            prior's label order.
        expressions, aus: the label orders of the expression labels and AU targets the loss will
            see (names, ``"dfew"``, ``"openface_c"``, ...); checked against a labelled prior.
        ignore_index: the expression label meaning "unknown" (torch's -100 convention); ``None``
            (default): any negative label.
        reduction: ``"mean"``, ``"sum"`` or ``"none"``.
        validate_args: check label and target values at forward (one device sync; as
            ``torch.distributions``' ``validate_args``). ``False`` where the caller has checked
            them, e.g. :class:`~auknow.models.PriorHead`.

    Raises:
        ValueError: prior not a finite non-negative ``[E, A]`` matrix, scale <= 0 or a second
            scale on a scaled prior, bad pos_weight shape or negative values; at forward,
            expression labels outside ``[0, E)`` that are not unknown, AU targets above 1.
        LabelError: a labelled prior in another order than ``expressions`` / ``aus``.

    Forward: ``(au_logits [B, A], au_targets [B, A], expr_labels [B] or [B, E])``: logits first,
    then their targets, then the expression labels that pick the prior rows.

    >>> import torch
    >>> loss = AULoss(torch.tensor([[1.0, 0.0], [0.0, 1.0]]))
    >>> loss(torch.zeros(3, 2), torch.tensor([[1.0, 0.0], [0.0, 1.0], [1.0, -1.0]]), torch.tensor([0, 1, -1]))
    tensor(1.5249)
    """

    def __init__(self, prior: Any, *, scale: float = 5.0, pos_weight: Any | None = None,
                 expressions: Any = None, aus: Any = None, ignore_index: int | None = None,
                 reduction: str = "mean", validate_args: bool = True):
        super().__init__()
        check_reduction(reduction)
        self.validate_args = bool(validate_args)
        if not scale > 0:
            raise ValueError(f"scale: expected > 0, got {scale}")
        already = compiled_scale(prior)
        if already != 1.0 and float(scale) != 1.0:
            raise ValueError(f"scale: the prior was compiled with scale {already:g} (scale='table'); "
                             f"scale={scale:g} here would multiply it again ({already * scale:g}x): pass scale=1")
        p = as_prior_tensor(prior, dtype=buffer_dtype(prior))
        if bool((p < 0).any()):
            raise ValueError("prior: the AU loss weights must be non-negative")
        E, A = p.shape
        self.expressions, self.aus = prior_labels(prior, expressions, aus)
        check_label_count(self.expressions, E, "expressions", "prior")
        check_label_count(self.aus, A, "AUs", "prior")
        if pos_weight is None:
            pw = torch.ones(A, dtype=p.dtype, device=p.device)
        else:
            prior_labels(pos_weight, self.expressions, self.aus, what="pos_weight")
            pw = (pos_weight.detach() if isinstance(pos_weight, Tensor)
                  else torch.as_tensor(np.asarray(pos_weight, dtype=np.float64))).to(p.device, p.dtype)
            _check_pos_weight(pw, E, A)
            if not bool(torch.isfinite(pw).all()) or bool((pw < 0).any()):
                raise ValueError("pos_weight: must be finite and non-negative")
        self.scale = float(scale)
        self.reduction = reduction
        self.ignore_index = ignore_index
        self.register_buffer("weight", p * self.scale)
        self.register_buffer("pos_weight", pw)

    @property
    def num_expressions(self) -> int:
        return self.weight.shape[0]

    @property
    def num_aus(self) -> int:
        return self.weight.shape[1]

    def forward(self, au_logits: Tensor, au_targets: Tensor, expr_labels: Tensor) -> Tensor:
        check_logits_targets(au_logits, au_targets)
        if au_logits.shape[1] != self.num_aus:
            raise ValueError(f"au_logits: expected [B, {self.num_aus}], got {tuple(au_logits.shape)}")
        if expr_labels.shape[0] != au_logits.shape[0]:
            raise ValueError(f"expr_labels: expected {au_logits.shape[0]} labels, got {tuple(expr_labels.shape)}")
        if self.validate_args:
            check_expression_labels(expr_labels, self.num_expressions, self.ignore_index)
            check_au_targets(au_targets)
        if self.ignore_index is not None and not expr_labels.is_floating_point():
            expr_labels = torch.where(expr_labels == self.ignore_index, -1, expr_labels)
        dt = compute_dtype(au_logits)
        return _au_loss(au_logits.to(dt), au_targets.to(dt), expr_labels, self.weight.to(dt),
                        self.pos_weight.to(dt), self.reduction)

    def extra_repr(self) -> str:
        return (f"{self._labels_repr()}num_expressions={self.num_expressions}, num_aus={self.num_aus}, "
                f"scale={self.scale}, pos_weight={list(self.pos_weight.shape)}, reduction={self.reduction!r}")


class AUDFERLoss(nn.Module):
    """Module form of :func:`au_dfer_loss`: ``(1 - w) * CE + w * L_AU``, ``w = au_loss_weight``.

    Args:
        prior, scale, pos_weight, expressions, aus, ignore_index, validate_args: as :class:`AULoss`.
        au_loss_weight: in [0, 1] (default 0.25, AU-DFER's), the weight of the AU term;
            ``alpha``: its deprecated name (``DeprecationWarning``; both given: ``TypeError``).
        class_weight: optional ``[E]`` CE weights (a buffer); label_smoothing: CE smoothing.
        reduction: ``"mean"`` (AU-DFER) or ``"sum"`` (both terms summed over the batch);
            ``"none"`` is refused, the two terms have different shapes (use :class:`AULoss`).

    Forward: ``(expr_logits [B, E], au_logits [B, A], expr_labels [B] or [B, E], au_targets [B, A])``:
    logits first (expression, then AU), then the labels in the same order.

    >>> import torch
    >>> loss = AUDFERLoss(torch.ones(2, 3), au_loss_weight=0.5)
    >>> float(loss(torch.zeros(4, 2), torch.zeros(4, 3), torch.tensor([0, 1, 0, 1]), torch.ones(4, 3))) > 0
    True
    """

    def __init__(self, prior: Any, *, au_loss_weight: float | None = None, scale: float = 5.0,
                 pos_weight: Any | None = None, class_weight: Any | None = None, label_smoothing: float = 0.0,
                 expressions: Any = None, aus: Any = None, ignore_index: int | None = None, reduction: str = "mean",
                 validate_args: bool = True, alpha: float | None = None):
        super().__init__()
        w = au_loss_weight_of(au_loss_weight, alpha, "AUDFERLoss")
        if not 0.0 <= w <= 1.0:
            raise ValueError(f"au_loss_weight: expected 0 <= au_loss_weight <= 1, got {w}")
        if reduction not in ("mean", "sum"):
            raise ValueError(f"reduction: expected 'mean' or 'sum' (the CE and AU terms differ in shape), "
                             f"got {reduction!r}")
        self.au = AULoss(prior, scale=scale, pos_weight=pos_weight, expressions=expressions, aus=aus,
                         ignore_index=ignore_index, reduction=reduction, validate_args=validate_args)
        self.au_loss_weight = float(w)
        self.label_smoothing = float(label_smoothing)
        self.reduction = reduction
        E = self.au.num_expressions
        if class_weight is None:
            self.register_buffer("class_weight", None)
        else:
            prior_labels(class_weight, self.au.expressions, None, what="class_weight")
            self.register_buffer("class_weight", as_vector(class_weight, E, "class_weight"))

    @property
    def expressions(self):
        return self.au.expressions

    @property
    def aus(self):
        return self.au.aus

    def forward(self, expr_logits: Tensor, au_logits: Tensor, expr_labels: Tensor, au_targets: Tensor) -> Tensor:
        if expr_logits.dim() != 2 or expr_logits.shape[1] != self.au.num_expressions:
            raise ValueError(f"expr_logits: expected [B, {self.au.num_expressions}], got {tuple(expr_logits.shape)}")
        l_au = self.au(au_logits, au_targets, expr_labels)  # checks the labels first
        labels = expr_labels
        if self.au.ignore_index is not None and not labels.is_floating_point():
            labels = torch.where(labels == self.au.ignore_index, -1, labels)
        ce = expression_cross_entropy(expr_logits, labels, class_weight=self.class_weight,
                                      label_smoothing=self.label_smoothing, reduction=self.reduction)
        return (1.0 - self.au_loss_weight) * ce + self.au_loss_weight * l_au

    @property
    def alpha(self) -> float:
        """Deprecated name of :attr:`au_loss_weight` (``DeprecationWarning``)."""
        warnings.warn("AUDFERLoss.alpha is deprecated, use AUDFERLoss.au_loss_weight", DeprecationWarning, stacklevel=2)
        return self.au_loss_weight

    def extra_repr(self) -> str:
        return f"au_loss_weight={self.au_loss_weight}, label_smoothing={self.label_smoothing}, reduction={self.reduction!r}"


# ----------------------------------------------------------------------------------------------
# Statistics


def _pos_weight(k: Tensor, n: Tensor, smoothing: float) -> tuple[Tensor, Tensor]:
    """(1 - p) / p with p = (k + s) / (n + 2 s); returns (value, ok) where ok marks 0 < p < 1."""
    kk = k + smoothing
    nn_ = n + 2.0 * smoothing
    ok = (kk > 0) & (kk < nn_)
    return torch.where(ok, (nn_ - kk) / kk.clamp(min=1e-300), torch.ones_like(k)), ok


def pos_weight_from_data(au_targets: Any, expr_labels: Any | None = None, *, strategy: str = "global",
                         num_expressions: int | None = None, minor: Sequence[int] | None = None,
                         smoothing: float = 0.0, max_pos_weight: float | None = None,
                         dtype: torch.dtype = torch.float32) -> Tensor:
    """BCE ``pos_weight`` from training statistics, AU-DFER's ``--posw_option``.

    With ``p`` the fraction of labelled training samples (clips) in which an AU is present,
    ``pos_weight = (1 - p) / p = N_neg / N_pos``:

    * ``"global"``: ``[A]``, ``p_a`` over all samples.
    * ``"distinct"``: ``[E, A]``, ``p_{a|e}`` over the samples of expression ``e``; the loss
      takes the row of each sample's ground-truth expression.
    * ``"minor"``: ``[E, A]``, the ``distinct`` rows for the minor classes and ones (no
      re-weighting) for the others. ``minor=None`` takes the classes with fewer samples than
      the uniform share ``N / E`` (on DFEW: surprise, disgust, fear, AU-DFER's hand-picked set).

    Guards (documented choices): with ``smoothing = s > 0``, ``p = (k + s) / (n + 2 s)``
    (additive smoothing; s = 0 reproduces the reference's exact ``N_neg / N_pos``). A cell with
    ``p = 0`` (AU never present) or ``p = 1`` (always present) has no balance to restore and gets
    1 (no re-weighting) instead of infinity or 0. A ``distinct`` cell with no labelled sample
    at all (empty expression class, or AU never labelled for it) falls back to the ``global``
    value. ``max_pos_weight`` optionally caps every value.

    Args:
        au_targets: ``[N, A]`` in ``[0, 1]``; missing entries (NaN / negative) are not counted.
        expr_labels: integer ``[N]`` (negative = unknown: counted in ``global`` only); needed
            for ``distinct`` and ``minor``.
        num_expressions: E (default: ``max(label) + 1``).
        minor: indices of the minor classes, for ``"minor"``.
        dtype: output dtype (statistics are computed in float64).

    Raises:
        ValueError: unknown strategy, missing labels, bad shapes, targets outside [0, 1].

    >>> t = torch.tensor([[1.0, 0.0], [1.0, 1.0], [0.0, 0.0], [1.0, 0.0]])   # [N, A] clip targets
    >>> pos_weight_from_data(t)                                           # (1 - p) / p per AU
    tensor([0.3333, 3.0000])
    >>> pos_weight_from_data(t, torch.tensor([0, 0, 1, 1]), strategy="distinct", num_expressions=2).shape
    torch.Size([2, 2])
    """
    if smoothing < 0:
        raise ValueError(f"smoothing: expected >= 0, got {smoothing}")
    pos, lab = au_counts(au_targets)
    glob, _ = _pos_weight(pos, lab, smoothing)
    if strategy == "global":
        out = glob
    elif strategy in ("distinct", "minor"):
        if expr_labels is None:
            raise ValueError(f"strategy {strategy!r} needs expr_labels")
        out, counts = _per_expression_pos_weight(au_targets, expr_labels, num_expressions, smoothing, glob)
        if strategy == "minor":
            is_minor = _minor_classes(counts, minor)
            out = torch.where(is_minor.unsqueeze(1), out, torch.ones_like(out))
    else:
        raise ValueError(f"strategy: expected 'global', 'distinct' or 'minor', got {strategy!r}")
    if max_pos_weight is not None:
        out = out.clamp(max=float(max_pos_weight))
    return out.to(dtype)


def _per_expression_pos_weight(au_targets: Any, expr_labels: Any, num_expressions: int | None, smoothing: float,
                               glob: Tensor) -> tuple[Tensor, Tensor]:
    """``(pos_weight [E, A] float64, samples per class [E])``: the ``"distinct"`` strategy of
    :func:`pos_weight_from_data`, the ``glob`` value where an expression has no labelled sample."""
    y = (expr_labels.detach().cpu() if isinstance(expr_labels, Tensor)
         else torch.as_tensor(np.asarray(expr_labels).tolist()))  # Python ints: see class_counts
    if y.dim() != 1 or y.is_floating_point():
        raise ValueError(f"expr_labels: expected integer [N], got {y.dtype} {tuple(y.shape)}")
    y = y.long()
    t = au_targets.detach().cpu() if isinstance(au_targets, Tensor) else torch.as_tensor(
        np.asarray(au_targets, dtype=np.float64))
    t = t.to(torch.float64)
    if y.shape[0] != t.shape[0]:
        raise ValueError(f"expr_labels: expected {t.shape[0]} labels, got {y.shape[0]}")
    E = int(num_expressions) if num_expressions is not None else (int(y.max()) + 1 if y.numel() else 0)
    if E <= 0:
        raise ValueError("num_expressions: cannot infer it from empty labels; pass it")
    counts = class_counts(y, E)
    valid = valid_mask(t)
    t0 = torch.where(valid, t, torch.zeros((), dtype=t.dtype))
    onehot = F.one_hot(y.clamp(min=0), E).to(torch.float64) * (y >= 0).unsqueeze(1)  # [N, E]
    k = onehot.T @ t0            # [E, A]
    n = onehot.T @ valid.to(torch.float64)
    dist, _ = _pos_weight(k, n, smoothing)
    return torch.where(n > 0, dist, glob.expand_as(dist)), counts


def _minor_classes(counts: Tensor, minor: Sequence[int] | None) -> Tensor:
    """``[E]`` bool: the classes given in ``minor``, or (None) those with fewer samples than ``N / E``."""
    E = counts.shape[0]
    if minor is None:
        share = counts.sum() / E
        return counts < share
    is_minor = torch.zeros(E, dtype=torch.bool)
    for m in minor:
        if not 0 <= int(m) < E:
            raise ValueError(f"minor: class index {m} out of range for {E} classes")
        is_minor[int(m)] = True
    return is_minor


def clip_au_targets(frame_aus: Any, *, threshold: float = 0.5, frame_threshold: float | None = None,
                    frame_mask: Any | None = None) -> Tensor:
    """Per-clip AU targets from per-frame AU values by majority vote (AU-DFER's rule).

    ``y_a = 1`` iff the AU is active in at least ``threshold`` of the clip's frames where it is
    labelled (AU-DFER: ``sum_t a_ta >= n / 2``). A frame value counts as active as it is
    (0 / 1 detections) or, with ``frame_threshold``, when ``>= frame_threshold`` (M3DFEL_AU:
    0.01). Clips with no valid frame for an AU get a **missing** target (NaN), not the
    reference code's all-ones vector.

    Args:
        frame_aus: ``[..., T, A]`` frame values; missing = NaN or negative.
        threshold: fraction of frames in ``(0, 1]``.
        frame_mask: optional boolean ``[..., T]``, False for padding / faceless frames.

    Returns:
        float ``[..., A]`` with values 0, 1 or NaN.

    >>> frames = torch.tensor([[[1.0, 0.0], [1.0, 0.0], [0.0, float("nan")]]])    # [clips, T, A]
    >>> clip_au_targets(frames)                                # AU A: 2 of 3 frames; AU B: 0 of 2
    tensor([[1., 0.]])
    """
    if not 0.0 < threshold <= 1.0:
        raise ValueError(f"threshold: expected 0 < threshold <= 1, got {threshold}")
    x = frame_aus if isinstance(frame_aus, Tensor) else torch.as_tensor(np.asarray(frame_aus, dtype=np.float64))
    if not x.is_floating_point():
        x = x.to(torch.get_default_dtype())
    if x.dim() < 2:
        raise ValueError(f"frame_aus: expected [..., T, A], got shape {tuple(x.shape)}")
    valid = valid_mask(x)
    if frame_mask is not None:
        m = frame_mask if isinstance(frame_mask, Tensor) else torch.as_tensor(np.asarray(frame_mask))
        if m.shape != x.shape[:-1]:
            raise ValueError(f"frame_mask: expected shape {tuple(x.shape[:-1])}, got {tuple(m.shape)}")
        valid = valid & m.to(torch.bool).unsqueeze(-1)
    active = (x >= frame_threshold).to(x.dtype) if frame_threshold is not None else x
    num = torch.where(valid, active, torch.zeros((), dtype=x.dtype)).sum(-2)
    n = valid.sum(-2)
    y = (num >= threshold * n).to(x.dtype)
    return torch.where(n > 0, y, torch.full_like(y, float("nan")))
