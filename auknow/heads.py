"""``PriorHead``: attach the prior losses to any DFER / AU backbone in a few lines.

The head wraps a backbone whose output is a clip embedding ``[B, D]`` or frame features
``[B, T, D]`` (pooled over time by ``pooling``), adds an expression head ``Linear(D, E)`` and,
when an AU term is active, an AU head ``Linear(D, A)``, and combines the chosen terms::

    L = (1 - alpha) * CE(expr, e)                      expression cross-entropy (class weights,
                                                       label smoothing optional)
      + alpha * L_AU                                   AU-DFER prior-weighted AU loss, or the smooth
                                                       class-weighted AU loss (au_loss="smooth")
      + ial_weight * L_IAL                             intensity-aware loss (Li et al. 2023: 0.1)
      + consistency_weight * L_PC                      prior consistency (+ soft AU targets from the
                                                       prior where AU labels are missing)

With ``alpha = 0.25`` and the other weights 0 this is AU-DFER's training loss.

**No extra cost at inference.** In eval mode the AU head is skipped (``au_logits`` is None)
unless ``au_head_in_eval=True`` or ``forward(x, return_aus=True)``; :meth:`PriorHead.drop_au_head`
removes it and the AU-loss buffers altogether, and :meth:`PriorHead.inference_model` returns a
module (sharing the weights) that maps the input to expression logits ``[B, E]`` only, e.g. for
export. The AU head is one linear layer, so it costs ``D * A`` multiply-adds per clip in training.
"""

from __future__ import annotations

from typing import Any, Callable, Mapping, NamedTuple

import torch
from torch import Tensor, nn

from .losses._common import as_prior_tensor, as_vector, buffer_dtype, expression_cross_entropy
from .losses.au_loss import AULoss
from .losses.intensity_aware import intensity_aware_loss
from .losses.prior_consistency import PriorConsistencyLoss
from .losses.smooth_weighted import SmoothWeightedLoss

__all__ = ["PriorHead", "PriorHeadOutput", "AttentionPool", "temporal_pool"]


class PriorHeadOutput(NamedTuple):
    """What :class:`PriorHead` returns: ``expr_logits [B, E]``, ``au_logits [B, A]`` (None when the
    AU head is skipped) and the pooled ``features [B, D]``."""

    expr_logits: Tensor
    au_logits: Tensor | None
    features: Tensor


class AttentionPool(nn.Module):
    """Attention pooling over time: ``softmax_t(w . x_t + b)``-weighted mean of ``[B, T, D]``,
    with an optional boolean ``mask [B, T]`` (False = padding; a clip with no valid frame
    pools to 0)."""

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
    """``[B, T, D] -> [B, D]`` by ``"mean"`` or ``"max"``; ``[B, D]`` is returned as it is."""
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


class PriorHead(nn.Module):
    """Backbone + temporal pooling + expression head (+ AU head) + prior losses.

    Args:
        backbone: any module; its output (after ``features`` if given) must be ``[B, D]`` or
            ``[B, T, D]``.
        feature_dim: D.
        prior: ``[E, A]`` prior (tensor, array, or an object with ``.tensor()`` such as
            ``auknow.compile.PriorMatrix``); needed for ``au_loss="prior"`` with ``alpha > 0``
            and for ``consistency_weight > 0`` (there read as ``P(AU | expression)`` in [0, 1]).
        num_expressions, num_aus: E and A when no prior gives them.
        pooling: ``"mean"``, ``"max"``, ``"attention"`` (:class:`AttentionPool`) or a callable
            ``[B, T, D] -> [B, D]`` (a module is registered as a submodule).
        features: optional callable picking the feature tensor out of the backbone's output
            (e.g. ``lambda out: out["pooled"]``).
        alpha: weight of the AU term, in [0, 1]; CE gets ``1 - alpha`` (AU-DFER: 0.25).
        au_loss: ``"prior"`` (AU-DFER, :class:`~auknow.losses.AULoss`) or ``"smooth"``
            (:class:`~auknow.losses.SmoothWeightedLoss`).
        scale, pos_weight: of the AU-DFER loss (5, None / ``[A]`` / ``[E, A]``).
        au_weight, au_label_smoothing: of the smooth loss (``[A]`` or None).
        ial_weight: lambda of the intensity-aware loss (0: off; Li et al. ran 0.1).
        consistency_weight: beta of the prior-consistency loss (0: off); temperature,
            divergence, detach, soft_target_weight: its options.
        class_weight: optional ``[E]`` weights for the CE and IAL terms; label_smoothing: CE.
        dropout: dropout on the pooled features before the heads.
        au_head_in_eval: compute the AU head in eval mode too (default False: no inference cost).

    Raises:
        ValueError: inconsistent sizes, missing prior for a term that needs it, bad options.

    Forward: ``head(x) -> PriorHeadOutput(expr_logits, au_logits, features)``;
    loss: ``head.loss(outputs, targets)`` with targets ``labels [B]``, ``(labels, aus)`` or
    ``{"expression": labels, "aus": aus}``; labels are integer ``[B]`` (negative = unknown) or
    soft ``[B, E]``; aus ``[B, A]`` with NaN / negative for missing, or absent.
    """

    def __init__(self, backbone: nn.Module, feature_dim: int, prior: Any | None = None, *,
                 num_expressions: int | None = None, num_aus: int | None = None,
                 pooling: str | Callable[[Tensor], Tensor] = "mean",
                 features: Callable[[Any], Tensor] | None = None,
                 alpha: float = 0.25, au_loss: str = "prior", scale: float = 5.0, pos_weight: Any | None = None,
                 au_weight: Any | None = None, au_label_smoothing: float = 0.0,
                 ial_weight: float = 0.0,
                 consistency_weight: float = 0.0, temperature: float = 1.0, divergence: str = "kl",
                 detach: str = "none", soft_target_weight: float = 1.0,
                 class_weight: Any | None = None, label_smoothing: float = 0.0,
                 dropout: float = 0.0, au_head_in_eval: bool = False):
        super().__init__()
        if not 0.0 <= alpha <= 1.0:
            raise ValueError(f"alpha: expected 0 <= alpha <= 1, got {alpha}")
        if ial_weight < 0 or consistency_weight < 0:
            raise ValueError("ial_weight and consistency_weight must be >= 0")
        if au_loss not in ("prior", "smooth"):
            raise ValueError(f"au_loss: expected 'prior' or 'smooth', got {au_loss!r}")
        P = as_prior_tensor(prior, dtype=buffer_dtype(prior)) if prior is not None else None
        if P is not None:
            if num_expressions is not None and num_expressions != P.shape[0]:
                raise ValueError(f"num_expressions={num_expressions} but the prior has {P.shape[0]} rows")
            if num_aus is not None and num_aus != P.shape[1]:
                raise ValueError(f"num_aus={num_aus} but the prior has {P.shape[1]} columns")
            num_expressions, num_aus = P.shape
        if num_expressions is None or num_expressions < 1:
            raise ValueError("num_expressions: give it or a prior")
        self.backbone = backbone
        self.features = features
        self.feature_dim = int(feature_dim)
        self.num_expressions = int(num_expressions)
        self.expressions = tuple(getattr(prior, "expressions", ()) or ())
        self.aus = tuple(getattr(prior, "aus", ()) or ())
        if isinstance(pooling, str):
            if pooling == "attention":
                self.pool: Any = AttentionPool(self.feature_dim)
            elif pooling in ("mean", "max"):
                self.pool = pooling
            else:
                raise ValueError(f"pooling: expected 'mean', 'max', 'attention' or a callable, got {pooling!r}")
        elif callable(pooling):
            self.pool = pooling  # nn.Module values are registered by nn.Module.__setattr__
        else:
            raise ValueError("pooling: expected 'mean', 'max', 'attention' or a callable")
        self.dropout = nn.Dropout(dropout) if dropout > 0 else nn.Identity()
        self.expr_head = nn.Linear(self.feature_dim, self.num_expressions)

        self.alpha = float(alpha)
        self.ial_weight = float(ial_weight)
        self.consistency_weight = float(consistency_weight)
        self.label_smoothing = float(label_smoothing)
        self.au_head_in_eval = bool(au_head_in_eval)
        needs_au = self.alpha > 0 or self.consistency_weight > 0
        self.au_criterion: nn.Module | None = None
        self.consistency: PriorConsistencyLoss | None = None
        self.au_head: nn.Linear | None = None
        if needs_au:
            if num_aus is None or num_aus < 1:
                raise ValueError("num_aus: give it or a prior (an AU term is active)")
            self.num_aus = int(num_aus)
            self.au_head = nn.Linear(self.feature_dim, self.num_aus)
            if self.alpha > 0:
                if au_loss == "prior":
                    if P is None:
                        raise ValueError("prior: au_loss='prior' with alpha > 0 needs a prior [E, A]")
                    self.au_criterion = AULoss(P, scale=scale, pos_weight=pos_weight)
                else:
                    self.au_criterion = SmoothWeightedLoss(au_weight, label_smoothing=au_label_smoothing)
            if self.consistency_weight > 0:
                if P is None:
                    raise ValueError("prior: consistency_weight > 0 needs a prior [E, A]")
                self.consistency = PriorConsistencyLoss(P, temperature=temperature, divergence=divergence,
                                                        detach=detach, soft_target_weight=soft_target_weight)
        else:
            self.num_aus = int(num_aus) if num_aus is not None else 0
        if class_weight is None:
            self.register_buffer("class_weight", None)
        else:
            self.register_buffer("class_weight", as_vector(class_weight, self.num_expressions, "class_weight"))

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
        soft AU targets from the prior. IAL is skipped for soft labels.

        Args:
            outputs: what :meth:`forward` returned (or a tuple ``(expr_logits, au_logits)``).
            targets: labels ``[B]`` / ``[B, E]``, ``(labels, aus)`` or a mapping.
            return_terms: also return the unweighted terms (``ce``, ``au``, ``ial``,
                ``consistency``) as detached tensors.
        """
        expr_logits, au_logits = outputs[0], outputs[1]
        labels, aus = _parse_targets(targets)
        terms: dict[str, Tensor] = {}
        ce = expression_cross_entropy(expr_logits, labels, class_weight=self.class_weight,
                                      label_smoothing=self.label_smoothing)
        terms["ce"] = ce
        total = (1.0 - self.alpha) * ce
        if au_logits is not None and self.au_criterion is not None:
            if aus is None:
                lau = au_logits.sum() * 0.0  # every target missing: 0, graph kept (DDP)
            elif isinstance(self.au_criterion, AULoss):
                lau = self.au_criterion(au_logits, aus, labels)
            else:
                lau = self.au_criterion(au_logits, aus)
            terms["au"] = lau
            total = total + self.alpha * lau
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
        self.alpha = 0.0
        self.consistency_weight = 0.0
        return self

    def inference_model(self) -> nn.Module:
        """A module ``x -> expr_logits [B, E]`` sharing this head's weights (no AU head)."""
        return _ExpressionClassifier(self)

    def extra_repr(self) -> str:
        pool = self.pool if isinstance(self.pool, str) else type(self.pool).__name__
        return (f"feature_dim={self.feature_dim}, num_expressions={self.num_expressions}, num_aus={self.num_aus}, "
                f"pooling={pool!r}, alpha={self.alpha}, ial_weight={self.ial_weight}, "
                f"consistency_weight={self.consistency_weight}")


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
