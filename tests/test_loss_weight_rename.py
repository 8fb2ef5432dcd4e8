"""``alpha`` is only an FDR level: the AU-loss weight is ``au_loss_weight``; ``alpha=`` still works
for now with a DeprecationWarning naming the new keyword, and both at once raise."""

from __future__ import annotations

import warnings

import pytest
import torch

from auknow.losses import AUDFERLoss, au_dfer_loss
from auknow.models.prior_head import PriorHead

E, A, B = 3, 4, 6


def _batch(seed=0):
    g = torch.Generator().manual_seed(seed)
    ex, au = torch.randn(B, E, generator=g), torch.randn(B, A, generator=g)
    y = torch.randint(0, E, (B,), generator=g)
    t = torch.randint(0, 2, (B, A), generator=g).float()
    return ex, au, y, t, torch.rand(E, A, generator=g)


def test_au_dfer_loss_old_keyword_warns_and_equals_new():
    ex, au, y, t, W = _batch()
    new = au_dfer_loss(ex, au, y, t, W, au_loss_weight=0.4)
    with pytest.warns(DeprecationWarning, match="au_loss_weight"):
        old = au_dfer_loss(ex, au, y, t, W, alpha=0.4)
    torch.testing.assert_close(old, new)
    # the weight applies: (1 - w) CE + w L_AU is linear in w
    w0 = au_dfer_loss(ex, au, y, t, W, au_loss_weight=0.0)
    w1 = au_dfer_loss(ex, au, y, t, W, au_loss_weight=1.0)
    torch.testing.assert_close(new, 0.6 * w0 + 0.4 * w1)
    with pytest.raises(TypeError, match="not both"):
        au_dfer_loss(ex, au, y, t, W, au_loss_weight=0.4, alpha=0.4)


def test_audfer_module_old_keyword_and_attribute():
    ex, au, y, t, W = _batch(1)
    with pytest.warns(DeprecationWarning, match="au_loss_weight"):
        old = AUDFERLoss(W, alpha=0.7)
    new = AUDFERLoss(W, au_loss_weight=0.7)
    assert new.au_loss_weight == old.au_loss_weight == 0.7
    torch.testing.assert_close(old(ex, au, y, t), new(ex, au, y, t))
    with pytest.warns(DeprecationWarning, match="au_loss_weight"):
        assert new.alpha == 0.7
    assert "au_loss_weight=0.7" in repr(new)
    with pytest.raises(TypeError, match="not both"):
        AUDFERLoss(W, au_loss_weight=0.1, alpha=0.1)
    with pytest.raises(ValueError, match="au_loss_weight"):
        AUDFERLoss(W, au_loss_weight=1.2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the new keyword and the default are silent
        AUDFERLoss(W)
        AUDFERLoss(W, au_loss_weight=0.3)


def test_prior_head_old_keyword_and_attribute():
    W = torch.rand(E, A)
    torch.manual_seed(0)
    with pytest.warns(DeprecationWarning, match="au_loss_weight"):
        old = PriorHead(torch.nn.Linear(5, 8), 8, W, alpha=0.6)
    torch.manual_seed(0)
    new = PriorHead(torch.nn.Linear(5, 8), 8, W, au_loss_weight=0.6)
    assert old.au_loss_weight == new.au_loss_weight == 0.6
    x = torch.randn(B, 5)
    targets = (torch.randint(0, E, (B,)), torch.randint(0, 2, (B, A)).float())
    torch.testing.assert_close(old.loss(old(x), targets), new.loss(new(x), targets))
    with pytest.warns(DeprecationWarning):
        assert new.alpha == 0.6
    with pytest.raises(TypeError, match="not both"):
        PriorHead(torch.nn.Linear(5, 8), 8, W, au_loss_weight=0.6, alpha=0.6)
    with pytest.raises(ValueError, match="au_loss_weight"):
        PriorHead(torch.nn.Linear(5, 8), 8, W, au_loss_weight=-0.1)
    # au_loss_weight=0: no AU term (as alpha=0 was)
    assert PriorHead(torch.nn.Linear(5, 8), 8, W, au_loss_weight=0.0).au_criterion is None
