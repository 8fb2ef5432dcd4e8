"""``PriorHead``: attach the prior losses to any DFER / AU backbone in a few lines.

The head wraps a backbone whose output is a clip embedding ``[B, D]`` or frame features
``[B, T, D]`` (pooled over time by ``pooling``), adds an expression head ``Linear(D, E)`` and,
when an AU term is active, an AU head ``Linear(D, A)``, and combines the chosen terms::

    L = (1 - w) * CE(expr, e)                          expression cross-entropy (class weights,
                                                       label smoothing optional); w = au_loss_weight
      + w * L_AU                                       AU-DFER prior-weighted AU loss, or the smooth
                                                       class-weighted AU loss (au_loss="smooth")
      + ial_weight * L_IAL                             intensity-aware loss (Li et al. 2023: 0.1)
      + consistency_weight * L_PC                      prior consistency (+ soft AU targets from the
                                                       prior where AU labels are missing)

With ``au_loss_weight = 0.25`` and the other weights 0 this is AU-DFER's training loss.

**No extra cost at inference.** In eval mode the AU head is skipped (``au_logits`` is None)
unless ``au_head_in_eval=True`` or ``forward(x, return_aus=True)``; :meth:`PriorHead.drop_au_head`
removes it and the AU-loss buffers altogether, and :meth:`PriorHead.inference_model` returns a
module (sharing the weights) that maps the input to expression logits ``[B, E]`` only, e.g. for
export. The AU head is one linear layer, so it costs ``D * A`` multiply-adds per clip in training.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any, Callable, Mapping, NamedTuple

import torch
from torch import Tensor, nn

from ..losses._common import (as_prior_tensor, au_loss_weight_of, as_vector, buffer_dtype, check_au_targets, check_expression_labels,
                              expression_cross_entropy, prior_labels)
from ..losses.au_loss import AULoss
from ..losses.intensity_aware import intensity_aware_loss
from ..losses.prior_consistency import PriorConsistencyLoss
from ..losses.smooth_weighted import SmoothWeightedLoss

__all__ = ["PriorHead", "PriorHeadOutput", "AUTerm", "IALTerm", "ConsistencyTerm", "AttentionPool", "temporal_pool"]


class PriorHeadOutput(NamedTuple):
    """What :class:`PriorHead` returns: ``expr_logits [B, E]``, ``au_logits [B, A]`` (None when the
    AU head is skipped) and the pooled ``features [B, D]``.

    >>> out = PriorHeadOutput(expr_logits=torch.zeros(2, 7), au_logits=None, features=torch.zeros(2, 16))
    >>> out.expr_logits.shape, out.au_logits is None
    (torch.Size([2, 7]), True)
    """

    expr_logits: Tensor
    au_logits: Tensor | None
    features: Tensor


class AttentionPool(nn.Module):
    """Attention pooling over time: ``softmax_t(w . x_t + b)``-weighted mean of ``[B, T, D]``,
    with an optional boolean ``mask [B, T]`` (False = padding; a clip with no valid frame
    pools to 0).

    >>> pool = AttentionPool(16)
    >>> x = torch.randn(2, 5, 16)
    >>> pool(x).shape, pool(x, mask=torch.tensor([[True] * 5, [False] * 5]))[1].abs().sum().item()
    (torch.Size([2, 16]), 0.0)
    """

    def __init__(self, dim: int):
        super().__init__()
        self.score = nn.Linear(dim, 1)

    def forward(self, x: Tensor, mask: Tensor | None = None) -> Tensor:
        s = self.score(x).squeeze(-1)  # [B, T]
        if mask is not None:
            s = s.masked_fill(~mask, float("-inf"))
            a = torch.softmax(s, dim=1)
            a = torch.nan_to_num(a, nan=0.0)  # all-masked rows
        else:
            a = torch.softmax(s, dim=1)
        return (a.unsqueeze(-1) * x).sum(1)


def temporal_pool(x: Tensor, how: str = "mean") -> Tensor:
    """``[B, T, D] -> [B, D]`` by ``"mean"`` or ``"max"``; ``[B, D]`` is returned as it is.

    >>> x = torch.arange(6.0).reshape(1, 3, 2)     # [B, T, D]
    >>> temporal_pool(x), temporal_pool(x, "max")
    (tensor([[2., 3.]]), tensor([[4., 5.]]))
    """
    if x.dim() == 2:
        return x
    if x.dim() != 3:
        raise ValueError(f"backbone output: expected [B, D] or [B, T, D], got shape {tuple(x.shape)}")
    if how == "mean":
        return x.mean(1)
    if how == "max":
        return x.amax(1)
    raise ValueError(f"pooling: expected 'mean', 'max', 'attention' or a callable, got {how!r}")


def _parse_targets(targets: Any) -> tuple[Tensor, Tensor | None]:
    if isinstance(targets, Tensor):
        return targets, None
    if isinstance(targets, Mapping):
        for key in ("expression", "expr", "labels", "label", "y"):
            if key in targets:
                labels = targets[key]
                break
        else:
            raise KeyError("targets: a mapping needs an 'expression' entry (and optionally 'aus')")
        aus = None
        for key in ("aus", "au", "au_targets"):
            if key in targets:
                aus = targets[key]
                break
        return labels, aus
    if isinstance(targets, (tuple, list)) and 1 <= len(targets) <= 2:
        return targets[0], (targets[1] if len(targets) == 2 else None)
    raise TypeError("targets: expected labels [B], (labels, aus) or {'expression': ..., 'aus': ...}")


@dataclass(frozen=True)
class AUTerm:
    """The AU term of :class:`PriorHead`: ``weight * L_AU``, CE gets ``1 - weight``.

    Attributes:
        weight: the AU-loss weight ``w`` in [0, 1] (AU-DFER: 0.25); ``PriorHead(au_loss_weight=...)``.
        loss: ``"prior"`` (AU-DFER's prior-weighted loss, :class:`~auknow.losses.AULoss`; needs a
            prior) or ``"smooth"`` (:class:`~auknow.losses.SmoothWeightedLoss`).
        scale, pos_weight: of the AU-DFER loss (5; None, ``[A]`` or ``[E, A]``).
        au_weight, label_smoothing: of the smooth loss (``[A]`` or None).

    >>> AUTerm()                                   # AU-DFER's: 0.75 CE + 0.25 L_AU, scale 5
    AUTerm(weight=0.25, loss='prior', scale=5.0, pos_weight=None, au_weight=None, label_smoothing=0.0)
    """

    weight: float = 0.25
    loss: str = "prior"
    scale: float = 5.0
    pos_weight: Any = None
    au_weight: Any = None
    label_smoothing: float = 0.0


@dataclass(frozen=True)
class IALTerm:
    """The intensity-aware term of :class:`PriorHead`: ``weight * L_IAL`` (Li et al. 2023 ran 0.1).

    >>> IALTerm().weight
    0.1
    """

    weight: float = 0.1


@dataclass(frozen=True)
class ConsistencyTerm:
    """The prior-consistency term of :class:`PriorHead`: ``weight * L_PC`` (see
    :class:`~auknow.losses.PriorConsistencyLoss` for the options).

    >>> ConsistencyTerm(0.3)
    ConsistencyTerm(weight=0.3, temperature=1.0, divergence='kl', detach='none', soft_target_weight=1.0)
    """

    weight: float = 0.5
    temperature: float = 1.0
    divergence: str = "kl"
    detach: str = "none"
    soft_target_weight: float = 1.0


_UNSET: Any = object()


class PriorHead(nn.Module):
    """Backbone + temporal pooling + expression head (+ AU head) + prior losses.

    The loss terms are given as one object each (``au=AUTerm(...)``, ``ial=IALTerm(...)``,
    ``consistency=ConsistencyTerm(...)``) or by the flat shorthands (``au_loss_weight``, ``ial_weight``,
    ``consistency_weight`` and their options); giving a term both ways raises.

    Args:
        backbone: any module; its output (after ``features`` if given) must be ``[B, D]`` or
            ``[B, T, D]``.
        feature_dim: D.
        prior: ``[E, A]`` prior (tensor, array, or an object with ``.tensor()`` such as
            ``auknow.compile.PriorMatrix``, whose label orders are checked against
            ``expressions`` / ``aus``); needed for the ``"prior"`` AU loss and for the
            consistency term (there read as ``P(AU | expression)`` in [0, 1]).
        expressions, aus: the label orders of the training labels (names or a label-space /
            AU-set name such as ``"dfew"``, ``"openface_c"``); checked against a labelled prior,
            ``pos_weight`` and ``class_weight``; they also give E and A.
        num_expressions, num_aus: E and A when neither a prior nor the label orders give them.
        classifier: the expression head: a module ``[B, D] -> [B, E]``, e.g. the backbone's own
            ``fc`` (then give the backbone without it); default a new ``Linear(D, E)``.
        pooling: ``"mean"``, ``"max"``, ``"attention"`` (:class:`AttentionPool`) or a callable
            ``[B, T, D] -> [B, D]`` (a module is registered as a submodule).
        features: optional callable picking the feature tensor out of the backbone's output
            (e.g. ``lambda out: out["pooled"]``).
        au: the AU term (:class:`AUTerm`), or None. Default: ``AUTerm()`` (weight 0.25) when a
            prior is given or ``au_loss="smooth"``, else no AU term (so an IAL-only head needs
            no ``au_loss_weight=0``).
        ial: the IAL term (:class:`IALTerm`) or None (default).
        consistency: the prior-consistency term (:class:`ConsistencyTerm`) or None (default).
        au_loss_weight, au_loss, scale, pos_weight, au_weight, au_label_smoothing: shorthand for
            ``au`` (``au_weight``: the smooth loss's per-AU weights ``[A]``, not the term's).
        alpha: deprecated name of ``au_loss_weight`` (``DeprecationWarning``; both: ``TypeError``).
        ial_weight: shorthand for ``ial=IALTerm(ial_weight)`` (0: off).
        consistency_weight, temperature, divergence, detach, soft_target_weight: shorthand for
            ``consistency``.
        class_weight: optional ``[E]`` weights for the CE and IAL terms; label_smoothing: CE.
        ignore_index: the expression label meaning "unknown"; ``None``: any negative label.
        dropout: dropout on the pooled features before the heads.
        au_head_in_eval: compute the AU head in eval mode too (default False: no inference cost).

    Raises:
        ValueError: inconsistent sizes, missing prior for a term that needs it, a term given
            twice, bad options; in :meth:`loss`, labels outside ``[0, E)`` that are not unknown.
        LabelError: a labelled prior / pos_weight / class_weight in another label order.

    Forward: ``head(x) -> PriorHeadOutput(expr_logits, au_logits, features)``;
    loss: ``head.loss(outputs, targets)`` with targets ``labels [B]``, ``(labels, aus)`` or
    ``{"expression": labels, "aus": aus}``; labels are integer ``[B]`` (negative = unknown) or
    soft ``[B, E]``; aus ``[B, A]`` with NaN / negative for missing, or absent.

    >>> import torch
    >>> backbone = torch.nn.Linear(8, 16)  # stands for any model giving [B, D] or [B, T, D]
    >>> head = PriorHead(backbone, 16, torch.rand(7, 12), expressions="dfew", aus="bp4d",
    ...                  ial=IALTerm(0.1))
    >>> out = head(torch.rand(4, 8))
    >>> out.expr_logits.shape, out.au_logits.shape
    (torch.Size([4, 7]), torch.Size([4, 12]))
    >>> head.loss(out, (torch.tensor([0, 1, 2, -1]), torch.randint(0, 2, (4, 12)).float())).item() > 0
    True
    """

    def __init__(self, backbone: nn.Module, feature_dim: int, prior: Any | None = None, *,
                 expressions: Any = None, aus: Any = None,
                 num_expressions: int | None = None, num_aus: int | None = None,
                 classifier: nn.Module | None = None,
                 pooling: str | Callable[[Tensor], Tensor] = "mean",
                 features: Callable[[Any], Tensor] | None = None,
                 au: AUTerm | None = _UNSET, ial: IALTerm | None = None, consistency: ConsistencyTerm | None = None,
                 au_loss_weight: float | None = None, au_loss: str | None = None, scale: float | None = None,
                 pos_weight: Any | None = None, au_weight: Any | None = None, au_label_smoothing: float | None = None,
                 ial_weight: float | None = None,
                 consistency_weight: float | None = None, temperature: float | None = None,
                 divergence: str | None = None, detach: str | None = None, soft_target_weight: float | None = None,
                 class_weight: Any | None = None, label_smoothing: float = 0.0, ignore_index: int | None = None,
                 dropout: float = 0.0, au_head_in_eval: bool = False, alpha: float | None = None):
        super().__init__()
        au_loss_weight = au_loss_weight_of(au_loss_weight, alpha, "PriorHead", default=None)
        au = _au_term(au, prior, weight=au_loss_weight, au_loss=au_loss, scale=scale, pos_weight=pos_weight,
                      au_weight=au_weight, au_label_smoothing=au_label_smoothing)
        ial = _flat_term(ial, IALTerm, "ial", weight=ial_weight)
        consistency = _flat_term(consistency, ConsistencyTerm, "consistency", weight=consistency_weight,
                                 temperature=temperature, divergence=divergence, detach=detach,
                                 soft_target_weight=soft_target_weight)
        _check_terms(au, ial, consistency)
        P, self.expressions, self.aus, num_expressions, num_aus = _label_space(prior, expressions, aus,
                                                                               num_expressions, num_aus)
        self.backbone = backbone
        self.features = features
        self.feature_dim = int(feature_dim)
        self.num_expressions = int(num_expressions)
        self.ignore_index = ignore_index
        self.pool: Any = _pool_of(pooling, self.feature_dim)  # a module is registered by nn.Module.__setattr__
        self.dropout = nn.Dropout(dropout) if dropout > 0 else nn.Identity()
        self.expr_head = classifier if classifier is not None else nn.Linear(self.feature_dim, self.num_expressions)

        self.terms = {"au": au, "ial": ial, "consistency": consistency}
        self.au_loss_weight = float(au.weight) if au is not None else 0.0
        self.ial_weight = float(ial.weight) if ial is not None else 0.0
        self.consistency_weight = float(consistency.weight) if consistency is not None else 0.0
        self.label_smoothing = float(label_smoothing)
        self.au_head_in_eval = bool(au_head_in_eval)
        self._warned_soft_ial = False
        self._build_au_side(prior, P, au, consistency, num_aus)
        if class_weight is None:
            self.register_buffer("class_weight", None)
        else:
            prior_labels(class_weight, self.expressions, None, what="class_weight")
            self.register_buffer("class_weight", as_vector(class_weight, self.num_expressions, "class_weight"))

    def _build_au_side(self, prior: Any, P: Tensor | None, au: AUTerm | None, consistency: ConsistencyTerm | None,
                       num_aus: int | None) -> None:
        """The AU head and the AU-side criteria (AU loss, prior consistency) of the active terms."""
        needs_au = self.au_loss_weight > 0 or self.consistency_weight > 0
        self.au_criterion: nn.Module | None = None
        self.consistency: PriorConsistencyLoss | None = None
        self.au_head: nn.Linear | None = None
        if not needs_au:
            self.num_aus = int(num_aus) if num_aus is not None else 0
            return
        # loss() checks labels and targets once and maps ignore_index to -1 before the terms see them
        labels = dict(expressions=self.expressions, aus=self.aus, ignore_index=None, validate_args=False)
        if num_aus is None or num_aus < 1:
            raise ValueError("num_aus: give it, aus= or a prior (an AU term is active)")
        self.num_aus = int(num_aus)
        self.au_head = nn.Linear(self.feature_dim, self.num_aus)
        if self.au_loss_weight > 0:
            if au.loss == "prior":
                if P is None:
                    raise ValueError("prior: the 'prior' AU loss (au_loss_weight > 0) needs a prior [E, A]; pass one, "
                                     "or au=None / au=AUTerm(loss='smooth')")
                self.au_criterion = AULoss(prior, scale=au.scale, pos_weight=au.pos_weight, **labels)
            else:
                self.au_criterion = SmoothWeightedLoss(au.au_weight, label_smoothing=au.label_smoothing,
                                                       validate_args=False)  # loss() checked them
        if self.consistency_weight > 0:
            if P is None:
                raise ValueError("prior: the consistency term needs a prior [E, A]")
            self.consistency = PriorConsistencyLoss(prior, temperature=consistency.temperature,
                                                    divergence=consistency.divergence, detach=consistency.detach,
                                                    soft_target_weight=consistency.soft_target_weight, **labels)

    # ------------------------------------------------------------------ forward
    def pooled_features(self, x: Any) -> Tensor:
        """Backbone output pooled to ``[B, D]``."""
        out = self.backbone(x)
        if self.features is not None:
            out = self.features(out)
        if not isinstance(out, Tensor):
            raise TypeError("backbone output: expected a tensor; pass features=... to pick one out of "
                            f"a {type(out).__name__}")
        if out.dim() == 3 and not isinstance(self.pool, str):
            out = self.pool(out)
        else:
            out = temporal_pool(out, self.pool if isinstance(self.pool, str) else "mean")
        if out.dim() != 2 or out.shape[1] != self.feature_dim:
            raise ValueError(f"features: expected [B, {self.feature_dim}] after pooling, got {tuple(out.shape)}")
        return out

    def forward(self, x: Any, return_aus: bool | None = None) -> PriorHeadOutput:
        f = self.pooled_features(x)
        h = self.dropout(f)
        expr = self.expr_head(h)
        if return_aus is None:
            return_aus = self.training or self.au_head_in_eval
        au = self.au_head(h) if (return_aus and self.au_head is not None) else None
        return PriorHeadOutput(expr, au, f)

    # ------------------------------------------------------------------ loss
    def loss(self, outputs: PriorHeadOutput | tuple, targets: Any, return_terms: bool = False
             ) -> Tensor | tuple[Tensor, dict[str, Tensor]]:
        """The weighted total of the active terms (a scalar, float32 or wider).

        AU terms are skipped when the outputs carry no AU logits (eval mode); the AU loss is 0
        when no AU target is given (all missing), and the prior-consistency term then supplies
        soft AU targets from the prior. IAL is skipped for soft labels, with a warning (once).

        Args:
            outputs: what :meth:`forward` returned (or a tuple ``(expr_logits, au_logits)``).
            targets: labels ``[B]`` / ``[B, E]``, ``(labels, aus)`` or a mapping.
            return_terms: also return the unweighted terms (``ce``, ``au``, ``ial``,
                ``consistency``) as detached tensors.
        """
        expr_logits, au_logits = outputs[0], outputs[1]
        labels, aus = _parse_targets(targets)
        check_expression_labels(labels, self.num_expressions, self.ignore_index)  # once for every term
        if aus is not None:
            check_au_targets(aus)
        if self.ignore_index is not None and not labels.is_floating_point():
            labels = torch.where(labels == self.ignore_index, -1, labels)
        terms: dict[str, Tensor] = {}
        ce = expression_cross_entropy(expr_logits, labels, class_weight=self.class_weight,
                                      label_smoothing=self.label_smoothing)
        terms["ce"] = ce
        total = (1.0 - self.au_loss_weight) * ce
        if au_logits is not None and self.au_criterion is not None:
            if aus is None:
                lau = au_logits.sum() * 0.0  # every target missing: 0, graph kept (DDP)
            elif isinstance(self.au_criterion, AULoss):
                lau = self.au_criterion(au_logits, aus, labels)
            else:
                lau = self.au_criterion(au_logits, aus)
            terms["au"] = lau
            total = total + self.au_loss_weight * lau
        if self.ial_weight > 0 and labels.is_floating_point() and not self._warned_soft_ial:
            warnings.warn("PriorHead: the IAL term is skipped for soft labels [B, E] (it needs one target "
                          "class per sample)", stacklevel=2)
            self._warned_soft_ial = True
        if self.ial_weight > 0 and not labels.is_floating_point():
            lial = intensity_aware_loss(expr_logits, labels, class_weight=self.class_weight)
            terms["ial"] = lial
            total = total + self.ial_weight * lial
        if au_logits is not None and self.consistency is not None:
            lpc = self.consistency(expr_logits, au_logits, labels, aus)
            terms["consistency"] = lpc
            total = total + self.consistency_weight * lpc
        if return_terms:
            return total, {k: v.detach() for k, v in terms.items()}
        return total

    # ------------------------------------------------------------------ inference
    def drop_au_head(self) -> "PriorHead":
        """Remove the AU head and the AU-term buffers (inference / export); returns self."""
        self.au_head = None
        self.au_criterion = None
        self.consistency = None
        self.au_loss_weight = 0.0
        self.consistency_weight = 0.0
        return self

    @property
    def alpha(self) -> float:
        """Deprecated name of :attr:`au_loss_weight` (``DeprecationWarning``)."""
        warnings.warn("PriorHead.alpha is deprecated, use PriorHead.au_loss_weight", DeprecationWarning, stacklevel=2)
        return self.au_loss_weight

    def inference_model(self) -> nn.Module:
        """A module ``x -> expr_logits [B, E]`` sharing this head's weights (no AU head)."""
        return _ExpressionClassifier(self)

    def extra_repr(self) -> str:
        pool = self.pool if isinstance(self.pool, str) else type(self.pool).__name__
        labels = "".join(f"{k}={','.join(v)}, " for k, v in (("expressions", self.expressions),
                                                              ("aus", self.aus)) if v)
        return (f"{labels}feature_dim={self.feature_dim}, num_expressions={self.num_expressions}, num_aus={self.num_aus}, "
                f"pooling={pool!r}, au_loss_weight={self.au_loss_weight}, ial_weight={self.ial_weight}, "
                f"consistency_weight={self.consistency_weight}")


def _check_terms(au: AUTerm | None, ial: IALTerm | None, consistency: ConsistencyTerm | None) -> None:
    """Raise ValueError for term weights or an AU loss :class:`PriorHead` cannot use."""
    if au is not None and not 0.0 <= au.weight <= 1.0:
        raise ValueError(f"au_loss_weight: expected 0 <= au_loss_weight <= 1, got {au.weight}")
    if au is not None and au.loss not in ("prior", "smooth"):
        raise ValueError(f"au_loss: expected 'prior' or 'smooth', got {au.loss!r}")
    if (ial is not None and ial.weight < 0) or (consistency is not None and consistency.weight < 0):
        raise ValueError("ial_weight and consistency_weight must be >= 0")


def _label_space(prior, expressions, aus, num_expressions: int | None, num_aus: int | None):
    """``(prior tensor or None, expression names, AU names, E, A)`` of :class:`PriorHead`'s arguments,
    checked against each other (A may be None: no AU count given anywhere)."""
    P = as_prior_tensor(prior, dtype=buffer_dtype(prior)) if prior is not None else None
    expr_names, au_names = prior_labels(prior, expressions, aus)
    for n, labels, what in ((num_expressions, expr_names, "expressions"), (num_aus, au_names, "aus")):
        if n is not None and labels is not None and n != len(labels):
            raise ValueError(f"num_{what}={n} but {what} names {len(labels)}: {','.join(labels)}")
    num_expressions = num_expressions if num_expressions is not None else \
        (len(expr_names) if expr_names else None)
    num_aus = num_aus if num_aus is not None else (len(au_names) if au_names else None)
    if P is not None:
        if num_expressions is not None and num_expressions != P.shape[0]:
            raise ValueError(f"num_expressions={num_expressions} but the prior has {P.shape[0]} rows")
        if num_aus is not None and num_aus != P.shape[1]:
            raise ValueError(f"num_aus={num_aus} but the prior has {P.shape[1]} columns")
        num_expressions, num_aus = P.shape
    if num_expressions is None or num_expressions < 1:
        raise ValueError("num_expressions: give it, expressions= or a prior")
    return P, expr_names, au_names, num_expressions, num_aus


def _pool_of(pooling, feature_dim: int):
    """The temporal pooling of :class:`PriorHead`: ``"mean"`` / ``"max"``, an :class:`AttentionPool` or the callable."""
    if isinstance(pooling, str):
        if pooling == "attention":
            return AttentionPool(feature_dim)
        if pooling in ("mean", "max"):
            return pooling
        raise ValueError(f"pooling: expected 'mean', 'max', 'attention' or a callable, got {pooling!r}")
    if callable(pooling):
        return pooling
    raise ValueError("pooling: expected 'mean', 'max', 'attention' or a callable")


def _flat_term(term, cls, name: str, weight: float | None, **options):
    """A term object from the flat shorthands (``None`` = not given); both ways at once raise."""
    given = {k: v for k, v in options.items() if v is not None}
    if term is not None and (weight is not None or given):
        raise ValueError(f"{name}: give the term as {cls.__name__}(...) or by its flat keywords, not both")
    if term is not None:
        if not isinstance(term, cls):
            raise TypeError(f"{name}: expected {cls.__name__} or None, got {type(term).__name__}")
        return term
    if weight is None:
        if given:
            raise ValueError(f"{name}: options {', '.join(given)} were given but the term is off (weight unset)")
        return None
    return cls(weight=float(weight), **given) if weight > 0 else None


def _au_term(au, prior, *, weight, au_loss, scale, pos_weight, au_weight, au_label_smoothing):
    flat = dict(loss=au_loss, scale=scale, pos_weight=pos_weight, au_weight=au_weight,
                label_smoothing=au_label_smoothing)
    given = {k: v for k, v in flat.items() if v is not None}
    if au is not _UNSET:
        if weight is not None or given:
            raise ValueError("au: give the AU term as AUTerm(...) or by au_loss_weight / au_loss / scale / pos_weight, "
                             "not both")
        if au is not None and not isinstance(au, AUTerm):
            raise TypeError(f"au: expected AUTerm or None, got {type(au).__name__}")
        return au
    if weight is None:  # default: AU-DFER's term when there is knowledge (or weights) to use
        weight = 0.25 if (prior is not None or au_loss == "smooth") else 0.0
        if weight == 0.0 and given:
            raise ValueError(f"au: {', '.join(given)} given but no AU term is on (no prior): set au_loss_weight= "
                             "or a prior")
    if weight == 0:
        return None
    return AUTerm(weight=float(weight), **given)


class _ExpressionClassifier(nn.Module):
    """Backbone -> pooling -> expression head; what :meth:`PriorHead.inference_model` returns."""

    def __init__(self, head: PriorHead):
        super().__init__()
        self.backbone = head.backbone
        self.expr_head = head.expr_head
        self.dropout = head.dropout
        self.features = head.features
        self.pool = head.pool
        self.feature_dim = head.feature_dim

    def forward(self, x: Any) -> Tensor:
        out = self.backbone(x)
        if self.features is not None:
            out = self.features(out)
        if out.dim() == 3 and not isinstance(self.pool, str):
            out = self.pool(out)
        else:
            out = temporal_pool(out, self.pool if isinstance(self.pool, str) else "mean")
        return self.expr_head(self.dropout(out))
