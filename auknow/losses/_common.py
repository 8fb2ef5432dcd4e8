"""Shared helpers of the prior losses: prior coercion, missing-target masks, compute dtype.

Conventions used by every loss in :mod:`auknow.losses`:

* **Missing AU targets.** An AU target is *missing* when it is NaN or negative (``-1`` is the
  usual marker; map BP4D's ``9`` or a detector's "no face" to ``-1`` or NaN first). Missing
  entries contribute nothing to a loss and nothing to its normalizer. Valid targets lie in
  ``[0, 1]`` (binary or soft).
* **Compute dtype.** Losses compute in ``float32`` when given ``float16`` / ``bfloat16``
  inputs (``float64`` stays ``float64``), and use no matrix products, so CPU and CUDA
  autocast leave them in full precision; gradients flow back in the inputs' dtype.
* **Priors.** A prior is a matrix ``[E, A]`` (expressions x AUs): a ``torch.Tensor``, a
  NumPy array, nested lists, or any object with a ``.tensor(device=..., dtype=...)`` method
  (e.g. ``auknow.compile.PriorMatrix``).
"""

from __future__ import annotations

import warnings
from typing import Any, Sequence

import numpy as np
import torch
from torch import Tensor, nn

from ..errors import LabelError
from ..vocabulary import check_same_order, labels_of, resolve_aus, resolve_expressions

__all__ = ["as_prior_tensor", "valid_mask", "compute_dtype", "expression_cross_entropy", "expression_rows",
           "weighted_bce_mean", "check_expression_labels", "check_au_targets", "prior_labels", "compiled_scale",
           "LabelledLoss"]


def au_loss_weight_of(au_loss_weight: float | None, alpha: float | None, owner: str,
                      default: float | None = 0.25) -> float | None:
    """The AU-loss weight from ``au_loss_weight=`` or its deprecated name ``alpha=``.

    ``alpha`` means the FDR (q-value) level elsewhere in auknow (``compile_matrix``,
    ``estimate-prior --alpha``), as in statsmodels; the weight of the AU loss against
    cross-entropy (``(1 - w) * CE + w * L_AU``, AU-DFER's 0.25) is ``au_loss_weight``.

    Returns:
        ``au_loss_weight``, else ``alpha`` (with a ``DeprecationWarning``), else ``default``.

    Raises:
        TypeError: both names given.

    >>> au_loss_weight_of(0.3, None, "AUDFERLoss")
    0.3
    >>> import warnings
    >>> with warnings.catch_warnings(record=True) as w:
    ...     warnings.simplefilter("always")
    ...     au_loss_weight_of(None, 0.5, "AUDFERLoss"), w[0].category.__name__
    (0.5, 'DeprecationWarning')
    """
    if alpha is None:
        return default if au_loss_weight is None else au_loss_weight
    if au_loss_weight is not None:
        raise TypeError(f"{owner}: give au_loss_weight= only (alpha= is its deprecated name), not both")
    warnings.warn(f"{owner}: alpha= as the AU-loss weight is deprecated, use au_loss_weight= (alpha now only "
                  "names an FDR level)", DeprecationWarning, stacklevel=3)
    return alpha


def compute_dtype(*tensors: Tensor) -> torch.dtype:
    """``float32`` for half-precision inputs, ``float64`` if any input is ``float64``.

    >>> compute_dtype(torch.zeros(1, dtype=torch.float16)), compute_dtype(torch.zeros(1), torch.zeros(1).double())
    (torch.float32, torch.float64)
    """
    dtype = torch.float32
    for t in tensors:
        if t is not None and t.dtype == torch.float64:
            dtype = torch.float64
    return dtype


def as_prior_tensor(prior: Any, device: torch.device | str | None = None,
                    dtype: torch.dtype | None = None, name: str = "prior") -> Tensor:
    """The prior as a 2-D floating tensor ``[E, A]`` on ``device`` with ``dtype``.

    Accepts a tensor, a NumPy array, nested lists, or any object with a ``.tensor()`` method
    (duck typing: ``auknow.compile.PriorMatrix`` or your own). ``dtype`` defaults to the
    input's own floating dtype (float64 for NumPy arrays and Python lists), else
    ``torch.get_default_dtype()``.

    Raises:
        ValueError: not 2-D, empty, or not finite.
        TypeError: not convertible to a tensor.

    >>> as_prior_tensor([[1, 0], [0.5, 1]], dtype=torch.float32)
    tensor([[1.0000, 0.0000],
            [0.5000, 1.0000]])
    >>> as_prior_tensor(np.eye(2)).dtype, as_prior_tensor([[1.0]]).dtype   # arrays and lists: float64
    (torch.float64, torch.float64)
    """
    if hasattr(prior, "tensor") and callable(prior.tensor) and not isinstance(prior, (Tensor, np.ndarray)):
        try:
            t = prior.tensor(device=device, dtype=dtype)
        except TypeError:
            t = prior.tensor()
        if not isinstance(t, Tensor):
            t = torch.as_tensor(np.asarray(t))
    elif isinstance(prior, Tensor):
        t = prior
    else:
        try:
            t = torch.as_tensor(np.asarray(prior, dtype=np.float64))
        except (TypeError, ValueError) as exc:
            raise TypeError(f"{name}: expected a tensor, array or an object with .tensor(), "
                            f"got {type(prior).__name__}") from exc
    if dtype is None:
        dtype = t.dtype if t.is_floating_point() else torch.get_default_dtype()
    t = t.detach().to(device=device if device is not None else t.device, dtype=dtype)
    if t.dim() != 2 or t.shape[0] == 0 or t.shape[1] == 0:
        raise ValueError(f"{name}: expected a non-empty matrix [E, A] (expressions x AUs), "
                         f"got shape {tuple(t.shape)}")
    if not bool(torch.isfinite(t).all()):
        raise ValueError(f"{name}: contains NaN or infinite values")
    return t


def buffer_dtype(x: Any) -> torch.dtype:
    """dtype of a module buffer made from ``x``: a floating tensor keeps its dtype (float64 stays
    float64), anything else (arrays, lists, ``.tensor()`` objects) gets the default dtype.

    >>> buffer_dtype(torch.zeros(1, dtype=torch.float64)), buffer_dtype(np.zeros(1))
    (torch.float64, torch.float32)
    """
    if isinstance(x, Tensor) and x.is_floating_point():
        return x.dtype
    return torch.get_default_dtype()


def as_vector(x: Any, length: int | None, name: str, dtype: torch.dtype | None = None) -> Tensor:
    """A 1-D floating tensor (weights), checked for length, finiteness and non-negativity.

    >>> as_vector([1, 2, 3], 3, "class_weight")
    tensor([1., 2., 3.])
    >>> try:
    ...     as_vector([1, -2], 2, "class_weight")
    ... except ValueError as err:
    ...     print(err)
    class_weight: must be finite and non-negative
    """
    dtype = dtype or buffer_dtype(x)
    t = x.detach() if isinstance(x, Tensor) else torch.as_tensor(np.asarray(x, dtype=np.float64))
    t = t.to(dtype=dtype)
    if t.dim() != 1 or (length is not None and t.shape[0] != length):
        want = f"[{length}]" if length is not None else "1-D"
        raise ValueError(f"{name}: expected shape {want}, got {tuple(t.shape)}")
    if not bool(torch.isfinite(t).all()) or bool((t < 0).any()):
        raise ValueError(f"{name}: must be finite and non-negative")
    return t


def valid_mask(targets: Tensor) -> Tensor:
    """Boolean mask of the non-missing targets: not NaN and ``>= 0``.

    >>> valid_mask(torch.tensor([[1.0, float("nan"), -1.0, 0.0]]))
    tensor([[ True, False, False,  True]])
    """
    return targets >= 0  # NaN >= 0 is False


def check_logits_targets(logits: Tensor, targets: Tensor, what: str = "au") -> None:
    """Shape check ``[B, A]`` vs ``[B, A]`` (shape only: free, no device sync).

    >>> check_logits_targets(torch.zeros(2, 3), torch.zeros(2, 3))   # same shape: nothing happens
    >>> try:
    ...     check_logits_targets(torch.zeros(2, 3), torch.zeros(2, 4))
    ... except ValueError as err:
    ...     print(err)
    au_targets: expected shape (2, 3) like the logits, got (2, 4)
    """
    if logits.dim() != 2:
        raise ValueError(f"{what}_logits: expected [B, A], got shape {tuple(logits.shape)}")
    if targets.shape != logits.shape:
        raise ValueError(f"{what}_targets: expected shape {tuple(logits.shape)} like the logits, "
                         f"got {tuple(targets.shape)}")
    if not logits.is_floating_point():
        raise TypeError(f"{what}_logits: expected a floating tensor, got {logits.dtype}")


def check_reduction(reduction: str) -> None:
    """Raise ValueError unless ``reduction`` is ``"mean"``, ``"sum"`` or ``"none"`` (torch's names).

    >>> check_reduction("sum")
    >>> try:
    ...     check_reduction("avg")
    ... except ValueError as err:
    ...     print(err)
    reduction: expected 'mean', 'sum' or 'none', got 'avg'
    """
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"reduction: expected 'mean', 'sum' or 'none', got {reduction!r}")


def expression_rows(table: Tensor, labels: Tensor, fill: float = 1.0) -> Tensor:
    """Per-sample rows ``[B, K]`` of an ``[E, K]`` table chosen by the expression labels.

    ``labels`` is either integer ``[B]`` (a negative label, e.g. the CE ``ignore_index`` -100,
    means "unknown" and gives a row of ``fill``; a label ``>= E`` gives a row of NaN, so the
    loss is NaN rather than silently wrong: this hot path does no device sync to raise, the
    module forms check labels and raise) or soft probabilities ``[B, E]`` (mixup / label
    smoothing), which mix the rows: ``labels @ table``, computed without a matrix product so
    that autocast leaves it in full precision. Several tables are looked up in one go by
    concatenating them along dim 1 first.

    >>> expression_rows(torch.tensor([[1.0, 2.0], [3.0, 4.0]]), torch.tensor([1, -100]))   # -100: unknown
    tensor([[3., 4.],
            [1., 1.]])
    """
    E = table.shape[0]
    if labels.is_floating_point():
        if labels.dim() != 2 or labels.shape[1] != E:
            raise ValueError(f"expr_labels: soft labels must be [B, {E}], got {tuple(labels.shape)}")
        return (labels.to(table.dtype).unsqueeze(-1) * table.unsqueeze(0)).sum(1)
    if labels.dim() != 1:
        raise ValueError(f"expr_labels: expected integer [B] or soft [B, E], got shape {tuple(labels.shape)}")
    # row E: the fill row of unknown (negative) labels; row E + 1: NaN for labels >= E
    padded = torch.nn.functional.pad(table, (0, 0, 0, 1), value=fill)
    padded = torch.nn.functional.pad(padded, (0, 0, 0, 1), value=float("nan"))
    index = torch.where(labels < 0, E, torch.where(labels >= E, E + 1, labels))
    return padded[index]


def weighted_bce_mean(logits: Tensor, targets: Tensor, weight: Tensor | None, pos_weight: Tensor | None,
                      reduction: str) -> Tensor:
    """BCE-with-logits over the valid targets (not NaN, ``>= 0``), missing ones masked out.

    ``weight`` (broadcastable to ``[B, A]``) is multiplied by the mask, so one fused
    ``binary_cross_entropy_with_logits`` call does the masking; ``mean`` divides the sum by the
    number of valid entries (0 when there is none, still attached to the graph).

    >>> loss = weighted_bce_mean(torch.zeros(1, 2), torch.tensor([[1.0, float("nan")]]), None, None, "mean")
    >>> round(float(loss), 4)   # log 2 over the one valid target
    0.6931
    """
    valid = targets >= 0
    y0 = torch.where(valid, targets, 0.0)
    w = valid.to(logits.dtype) if weight is None else weight * valid
    if reduction == "none":
        return torch.nn.functional.binary_cross_entropy_with_logits(logits, y0, weight=w, pos_weight=pos_weight,
                                                                    reduction="none")
    total = torch.nn.functional.binary_cross_entropy_with_logits(logits, y0, weight=w, pos_weight=pos_weight,
                                                                 reduction="sum")
    if reduction == "sum":
        return total
    return total / valid.sum().clamp(min=1)


def expression_cross_entropy(expr_logits: Tensor, expr_labels: Tensor, *, class_weight: Tensor | None = None,
                             label_smoothing: float = 0.0, reduction: str = "mean") -> Tensor:
    """Expression cross-entropy, computed in float32 or wider, safe when every label is unknown
    (returns 0, not NaN).

    ``expr_labels`` is integer ``[B]`` (any negative label, e.g. -100, is ignored) or soft
    probabilities ``[B, E]``. With integer labels the mean is ``torch``'s: the sum of the
    per-sample terms over the sum of the weights of the labelled samples. ``reduction``:
    ``"mean"`` or ``"sum"``.

    >>> import torch
    >>> expression_cross_entropy(torch.zeros(2, 4), torch.tensor([1, -100]))
    tensor(1.3863)
    """
    if reduction not in ("mean", "sum"):
        raise ValueError(f"reduction: expected 'mean' or 'sum', got {reduction!r}")
    dt = compute_dtype(expr_logits)
    z = expr_logits.to(dt)
    w = class_weight.to(dt) if class_weight is not None else None
    if expr_labels.is_floating_point():
        return torch.nn.functional.cross_entropy(z, expr_labels.to(dt), weight=w, label_smoothing=label_smoothing,
                                                 reduction=reduction)
    known = expr_labels >= 0
    y = torch.where(known, expr_labels, -100)
    total = torch.nn.functional.cross_entropy(z, y, weight=w, ignore_index=-100, reduction="sum",
                                              label_smoothing=label_smoothing)
    if reduction == "sum":
        return total
    if w is None:
        return total / known.sum().clamp(min=1)
    denom = (torch.nn.functional.pad(w, (0, 1))[y.clamp(min=-1)]).sum()  # ignored labels -> the 0 pad
    return total / denom.clamp(min=torch.finfo(dt).tiny)


# --- label checks of the module forms (they sync with the device; the functional forms do not) ---

def _compiling() -> bool:
    """Under ``torch.compile`` the value checks (device syncs) are skipped to keep one graph."""
    compiler = getattr(torch, "compiler", None)
    if compiler is not None and hasattr(compiler, "is_compiling"):
        return bool(compiler.is_compiling())
    return bool(torch._dynamo.is_compiling())  # torch < 2.3


def check_expression_labels(labels: Tensor, num_expressions: int, ignore_index: int | None) -> None:
    """Raise ValueError unless integer labels lie in ``[0, E)`` or mark "unknown".

    Unknown is ``ignore_index`` when it is set (torch's -100 convention), any negative label when
    it is ``None``. Soft labels ``[B, E]`` must be finite and non-negative. One device sync
    (skipped under ``torch.compile``).

    >>> check_expression_labels(torch.tensor([0, 6, -1]), 7, None)    # -1: unknown
    >>> try:
    ...     check_expression_labels(torch.tensor([0, 7]), 7, None)
    ... except ValueError as err:
    ...     print(str(err)[:42])
    expr_labels: [7] outside [0, 7) for 7 expr
    """
    if _compiling():
        return
    if labels.is_floating_point():
        if labels.numel() and (not bool(torch.isfinite(labels).all()) or bool((labels < 0).any())):
            raise ValueError("expr_labels: soft labels must be finite and non-negative")
        return
    if not labels.numel():
        return
    unknown = labels < 0 if ignore_index is None else labels == ignore_index
    bad = ~unknown & ((labels < 0) | (labels >= num_expressions))
    if bool(bad.any()):
        values = sorted(set(labels[bad].tolist()))[:5]
        what = "a negative label" if ignore_index is None else f"ignore_index={ignore_index}"
        hint = " (1-based labels, as DFEW's files write them? subtract 1)" if \
            any(v == num_expressions for v in values) else ""
        raise ValueError(f"expr_labels: {values} outside [0, {num_expressions}) for {num_expressions} expressions; "
                         f"unknown labels are {what}{hint}")


def check_au_targets(targets: Tensor) -> None:
    """Raise ValueError unless AU targets are occurrence in ``[0, 1]`` or missing (NaN / negative).

    Catches intensities (0-5) or BP4D's 9 passed as targets. One device sync (skipped under
    ``torch.compile``).

    >>> check_au_targets(torch.tensor([[0.0, 1.0, -1.0, float("nan")]]))
    >>> try:
    ...     check_au_targets(torch.tensor([[0.0, 3.0]]))   # an intensity, not an occurrence
    ... except ValueError as err:
    ...     print(str(err)[:32])
    au_targets: values [3.0] above 1
    """
    if _compiling():
        return
    if targets.numel() and bool((targets > 1).any()):
        bad = sorted(set(targets[targets > 1].flatten().tolist()))[:5]
        raise ValueError(f"au_targets: values {bad} above 1; AU targets are occurrence 0/1 (or soft in [0, 1]), "
                         "missing as NaN or a negative value (map BP4D's 9 to -1; threshold intensities first)")


def prior_labels(prior: Any, expressions: Any = None, aus: Any = None, what: str = "the prior"
                 ) -> tuple[tuple[str, ...] | None, tuple[str, ...] | None]:
    """The prior's label orders, checked against the ones a consumer was given.

    Args:
        prior: an object carrying ``.expressions`` / ``.aus`` (``PriorMatrix``) or an unlabelled
            tensor / array.
        expressions, aus: the orders the caller's labels use (names, a label-space / AU-set
            name) or ``None``.

    Returns:
        ``(expressions, aus)``, canonical, ``None`` where neither side names them.

    Raises:
        LabelError: the prior is in another order than the given labels.

    >>> from auknow.compile import compile_matrix
    >>> exprs, aus = prior_labels(compile_matrix("fig2002", "binary", aus=["AU06", "AU12"]))
    >>> exprs[:2], aus, prior_labels(torch.ones(2, 2))
    (('surprise', 'fear'), ('AU06', 'AU12'), (None, None))
    """
    own_e, own_a = labels_of(prior, "expressions"), labels_of(prior, "aus")
    want_e = _resolve(resolve_expressions, expressions, own_e)
    want_a = _resolve(resolve_aus, aus, own_a)
    check_same_order(want_e, own_e, kind="expressions", what=what)
    check_same_order(want_a, own_a, kind="aus", what=what)
    return want_e or own_e, want_a or own_a


def _resolve(resolve, spec, own):
    """Strict names, except where the prior itself uses names outside the vocabulary (a model's
    own classes): then the given names are compared as written."""
    if spec is None:
        return None
    try:
        return resolve(spec)
    except LabelError:
        if own is None or isinstance(spec, str):
            raise
        return tuple(str(v) for v in spec)


def check_label_count(labels: Sequence[str] | None, n: int, kind: str, what: str) -> None:
    """LabelError when ``labels`` name another count than the tensor's ``n``.

    >>> check_label_count(("happiness", "sadness"), 2, "expressions", "class_weight")
    >>> try:
    ...     check_label_count(("happiness", "sadness"), 3, "expressions", "class_weight")
    ... except LabelError as err:
    ...     print(err)
    class_weight: 2 expressions given (happiness,sadness) for a tensor of 3
    """
    if labels is not None and len(labels) != n:
        raise LabelError(f"{what}: {len(labels)} {kind} given ({','.join(labels)}) for a tensor of {n}")


def compiled_scale(prior: Any) -> float:
    """The scale already compiled into a prior: ``PriorMatrix.scale`` (``compile_matrix(scale="table")``),
    1 for tensors, arrays and objects that record none.

    >>> from auknow.compile import compile_matrix
    >>> compiled_scale(torch.ones(1, 1)), compiled_scale(compile_matrix("au_dfer", "quantified", scale="table"))
    (1.0, 5.0)
    """
    scale = getattr(prior, "scale", 1.0)
    return float(scale) if isinstance(scale, (int, float)) and not isinstance(scale, bool) else 1.0


class LabelledLoss(nn.Module):
    """Base of the loss modules that carry label orders: ``expressions`` / ``aus`` (tuples of
    canonical names, or ``None``) travel in ``state_dict`` (extra state) and are checked on load.

    >>> from auknow.losses import AULoss
    >>> loss = AULoss(torch.ones(2, 2), expressions=["happiness", "sadness"], aus=["AU06", "AU12"])
    >>> isinstance(loss, LabelledLoss), loss.expressions, loss.aus
    (True, ('happiness', 'sadness'), ('AU06', 'AU12'))
    """

    expressions: tuple[str, ...] | None = None
    aus: tuple[str, ...] | None = None

    def get_extra_state(self) -> dict:  # noqa: D102
        return {"expressions": list(self.expressions) if self.expressions else None,
                "aus": list(self.aus) if self.aus else None}

    def set_extra_state(self, state: dict) -> None:  # noqa: D102
        if not isinstance(state, dict):
            return
        for kind in ("expressions", "aus"):
            saved = state.get(kind)
            check_same_order(getattr(self, kind), tuple(saved) if saved else None, kind=kind,
                             what="the loaded state")

    def _labels_repr(self) -> str:
        parts = [f"{k}={','.join(getattr(self, k))}" for k in ("expressions", "aus") if getattr(self, k)]
        return (", ".join(parts) + ", ") if parts else ""
