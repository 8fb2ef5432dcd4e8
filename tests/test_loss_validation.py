"""Module forms of the IAL and smooth weighted losses refuse bad labels and targets (issue 11).

Before: ``IntensityAwareLoss()(logits [B, 7], label 7)`` raised torch's bare index error (a
device-side assert on CUDA) and ``SmoothWeightedLoss`` took intensities (0-5) or BP4D's 9 as
targets silently.
"""

from __future__ import annotations

import pytest
import torch

from auknow.losses import IntensityAwareLoss, SmoothWeightedLoss, intensity_aware_loss, smooth_weighted_loss


def _logits(B=4, E=7, seed=0):
    return torch.randn(B, E, generator=torch.Generator().manual_seed(seed))


def test_ial_refuses_a_label_equal_to_the_class_count_with_the_1_based_hint():
    with pytest.raises(ValueError, match=r"\[7\] outside \[0, 7\).*1-based"):
        IntensityAwareLoss()(_logits(), torch.tensor([0, 1, 2, 7]))


def test_ial_ignore_index_says_what_is_unknown():
    logits, labels = _logits(), torch.tensor([0, 3, -100, 6])
    got = IntensityAwareLoss(ignore_index=-100)(logits, labels)
    keep = labels != -100
    assert torch.allclose(got, intensity_aware_loss(logits[keep], labels[keep]))
    with pytest.raises(ValueError, match=r"\[-1\] outside.*ignore_index=-100"):
        IntensityAwareLoss(ignore_index=-100)(logits, torch.tensor([0, -1, 2, 3]))
    # without ignore_index any negative label is unknown, as in the functional form
    assert torch.allclose(IntensityAwareLoss()(logits, torch.tensor([0, 3, -1, 6])), got)


def test_ial_validate_args_false_skips_the_check_and_repr_names_the_options():
    loss = IntensityAwareLoss(torch.ones(7), ignore_index=-100, validate_args=False)
    assert not loss.validate_args
    assert repr(loss) == "IntensityAwareLoss(class_weight=[7], ignore_index=-100, reduction='mean')"


@pytest.mark.parametrize("bad", [3.0, 5.0, 9.0])
def test_smooth_loss_refuses_intensities_and_bp4d_codes(bad):
    targets = torch.tensor([[1.0, 0.0], [bad, 1.0]])
    with pytest.raises(ValueError, match=f"values \\[{bad}\\] above 1"):
        SmoothWeightedLoss(torch.ones(2))(torch.zeros(2, 2), targets)
    # the functional form does no device sync and no check (documented)
    assert torch.isfinite(smooth_weighted_loss(torch.zeros(2, 2), targets, au_weight=torch.ones(2)))
    assert torch.isfinite(SmoothWeightedLoss(torch.ones(2), validate_args=False)(torch.zeros(2, 2), targets))


def test_smooth_loss_takes_missing_and_soft_targets():
    targets = torch.tensor([[1.0, float("nan")], [-1.0, 0.25]])
    loss = SmoothWeightedLoss.from_targets(torch.tensor([[1.0, 0.0], [0.0, 1.0]]))
    assert torch.isfinite(loss(torch.zeros(2, 2), targets))
    assert repr(loss) == "SmoothWeightedLoss(au_weight=[2], label_smoothing=0.0, reduction='mean')"
