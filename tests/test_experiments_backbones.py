"""experiments.backbones: the seeds' backbones from ``model.backbone``, torchvision-compatible
parameters (counts = torchvision's published ones: resnet18 11,689,512, r3d_18 33,371,472,
r2plus1d_18 31,505,325 with their 1000 / 400-class heads), weights from a local file."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import torch

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from experiments.backbones import ResNet18, VideoResNet18, build_backbone, load_weights  # noqa: E402


def _cfg(backbone, **model):
    return {"data": {"channels": 3, "image_size": 32, "num_frames": 8},
            "model": {"backbone": backbone, "weights": None, "temporal": "mean", "width": 4, "dim": 16,
                      "dropout": 0.0, **model}}


def test_parameter_counts_equal_torchvisions():
    n = lambda m: sum(p.numel() for p in m.parameters())  # noqa: E731
    with torch.device("meta"):  # shapes only: no memory, no initialisation cost
        assert n(ResNet18()) == 11_689_512
        assert n(VideoResNet18(False)) == 33_371_472
        assert n(VideoResNet18(True)) == 31_505_325


@pytest.mark.parametrize("name,steps", [("small", 8), ("resnet18", 8), ("resnet18_transformer", 8),
                                        ("r2plus1d_18", 1)])
def test_config_backbones_in_prior_head(name, steps):
    from auknow.models.prior_head import PriorHead

    torch.manual_seed(0)
    bb = build_backbone(_cfg(name))
    x = torch.rand(2, 8, 3, 32, 32)
    f = bb(x)
    assert f.shape == (2, steps, 16)
    head = PriorHead(bb, 16, None, num_expressions=7, au_loss_weight=0.0, consistency_weight=0.0)
    loss = head.loss(head(x), {"expression": torch.tensor([0, 3])})
    loss.backward()
    assert torch.isfinite(loss)
    first = next(p for p in bb.parameters() if p.dim() == 4 or p.dim() == 5)  # the first conv gets a gradient
    assert first.grad is not None and first.grad.abs().sum() > 0


def test_weights_from_a_local_file(tmp_path):
    torch.manual_seed(1)
    src = ResNet18()  # a "torchvision" resnet18 checkpoint: same names, with its 1000-class fc
    p = tmp_path / "resnet18.pth"
    torch.save(src.state_dict(), p)
    bb = build_backbone(_cfg("resnet18", weights=str(p)))
    assert bb.weights_info["loaded"] == len(src.state_dict()) - 2 and bb.weights_info["missing"] == []
    x = torch.rand(1, 3, 32, 32)
    src.eval(), bb.eval()
    with torch.no_grad():
        assert torch.equal(src.features(x), bb.net.features(x))
    torch.save({"state_dict": {"module.conv1.weight": torch.zeros(64, 1, 7, 7)}}, p)
    with pytest.raises(ValueError, match=r"conv1.weight has shape \(64, 1, 7, 7\)"):
        load_weights(ResNet18(), p)
    with pytest.raises(FileNotFoundError, match="never downloaded"):
        build_backbone(_cfg("resnet18", weights=str(tmp_path / "nope.pth")))
    with pytest.raises(ValueError, match="model.backbone"):
        build_backbone(_cfg("vit"))


def test_au_graph_model_on_resnet_maps():
    from experiments.models import AUGraphModel

    bb = build_backbone(_cfg("resnet18"))
    m = AUGraphModel(bb, ["AU01", "AU02", "AU12"], 0, au_dim=8, gnn=True, graph="learned", k=2)
    out = m(torch.rand(2, 1, 3, 64, 64))
    assert out.au_logits.shape == (2, 3)
