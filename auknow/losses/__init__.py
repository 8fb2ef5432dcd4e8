"""Differentiable prior losses that attach to any DFER or AU backbone.

Each loss has a functional form and an ``nn.Module`` whose priors and weights are registered
buffers (``.to(device)``, ``state_dict``, ``torch.compile`` and DDP carry them):

* :func:`au_loss` / :class:`AULoss`, :func:`au_dfer_loss` / :class:`AUDFERLoss`: AU-DFER's
  prior-weighted AU loss and ``(1 - w) * CE + w * L_AU`` (``w = au_loss_weight``); :func:`pos_weight_from_data`
  (``global`` / ``distinct`` / ``minor``); :func:`clip_au_targets` (majority vote, empty clips
  missing).
* :func:`intensity_aware_loss` / :class:`IntensityAwareLoss`: IAL (Li et al., AAAI 2023).
* :func:`smooth_weighted_loss` / :class:`SmoothWeightedLoss`: smooth class-weighted
  multi-label AU loss (after Liu et al., ICSPS 2021; closest public form documented).
* :func:`prior_consistency_loss` / :class:`PriorConsistencyLoss`: the expression posterior
  implied by the AU head through the prior vs the expression head, with soft AU targets from
  the prior where AU labels are missing.
* :mod:`~auknow.losses.class_weights`: inverse frequency, effective number (Cui et al. 2019),
  smoothed weights.

Shapes: AU logits / targets ``[B, A]``, expression logits ``[B, E]``, priors ``[E, A]``.
Missing AU targets are NaN or negative (e.g. -1). A prior is a tensor, an array, or any object
with a ``.tensor()`` method (e.g. ``auknow.compile.PriorMatrix``). Formulas, sources and the
differences from the reference code: ``docs/losses.md``.
"""

from .au_loss import AUDFERLoss, AULoss, au_dfer_loss, au_loss, clip_au_targets, pos_weight_from_data
from .class_weights import (au_counts, class_counts, effective_number_weights, frequencies,
                            inverse_frequency_weights, smoothed_weights)
from .intensity_aware import IntensityAwareLoss, intensity_aware_loss, most_confusing_class
from .prior_consistency import PriorConsistencyLoss, implied_expression_logits, prior_consistency_loss
from .smooth_weighted import SmoothWeightedLoss, au_weights_from_data, smooth_weighted_loss
from ._common import as_prior_tensor, expression_cross_entropy

__all__ = [
    "au_loss", "AULoss", "au_dfer_loss", "AUDFERLoss", "pos_weight_from_data", "clip_au_targets",
    "intensity_aware_loss", "IntensityAwareLoss", "most_confusing_class",
    "smooth_weighted_loss", "SmoothWeightedLoss", "au_weights_from_data",
    "prior_consistency_loss", "PriorConsistencyLoss", "implied_expression_logits",
    "class_counts", "au_counts", "frequencies", "inverse_frequency_weights", "effective_number_weights",
    "smoothed_weights", "as_prior_tensor", "expression_cross_entropy",
]
