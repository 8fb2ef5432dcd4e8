"""The seed papers' backbones, chosen by ``model.backbone`` in a config; weights from a local file.

==========================  ===============================================================
``small``                   :class:`experiments.models.VideoBackbone` (1.1 M parameters at width
                            32; the default, trains on a CPU)
``resnet18``                2D ResNet-18 per frame (He et al. 2016) + mean over time
                            (Former-DFER's spatial stage is ResNet-18-style)
``resnet18_transformer``    the same + a small temporal transformer over the 16 frame
                            features (Former-DFER's T-Former; 2 layers, 4 heads, learned
                            positions)
``r3d_18``                  3D ResNet-18 (Tran et al. 2018; M3DFEL's instance encoder)
``r2plus1d_18``             R(2+1)D-18 (Tran et al. 2018)
==========================  ===============================================================

Each maps ``[B, T, C, H, W]`` to frame / time-step features ``[B, T', D]`` (``D = model.dim``;
a linear projection of the 512-d ResNet features; 3D nets: ``T' = ceil(T / 8)``) and offers
``forward_maps`` (``[B, T', 512, h, w]`` maps for the AU model) and ``encoder.out_channels``.

**Why not torchvision:** the torchvision wheels that install next to the pinned torch 2.13.0
CPU build (0.28.0, 0.29.0, 0.29.1 here) are CUDA builds whose C extension does not load
(``operator torchvision::nms does not exist``), so ``import torchvision`` fails. These modules
are compact re-implementations of torchvision's ``resnet18``, ``r3d_18`` and ``r2plus1d_18``
with **the same parameter names and shapes**, so torchvision checkpoints load unchanged
(``model.weights: /path/r3d_18-b3b3357e.pth``; ``fc.*`` is ignored). Checked against
torchvision 0.28.0's Python model code (its extension skipped): identical state-dict keys and
shapes, parameter counts 11,689,512 / 33,371,472 / 31,505,325 with the 1000 / 400-class heads,
and identical outputs after loading the same weights (``benchmarks/backbones_vs_torchvision.py``).
Nothing is downloaded: weights come only from the path given.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
from torch import Tensor, nn

__all__ = ["BACKBONES", "ResNet18", "VideoResNet18", "FrameResNet", "Video3D", "build_backbone", "load_weights"]

BACKBONES = ("small", "resnet18", "resnet18_transformer", "r3d_18", "r2plus1d_18")


class _Basic2d(nn.Module):
    def __init__(self, cin: int, cout: int, stride: int):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.downsample = (nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))
                           if stride != 1 or cin != cout else None)

    def forward(self, x: Tensor) -> Tensor:
        idt = x if self.downsample is None else self.downsample(x)
        return self.relu(self.bn2(self.conv2(self.relu(self.bn1(self.conv1(x))))) + idt)


class ResNet18(nn.Module):
    """2D ResNet-18 (He et al. 2016, torchvision's ``resnet18`` layout): ``[N, C, H, W] ->`` maps
    ``[N, 512, H/32, W/32]`` (:meth:`features`) or logits ``[N, num_classes]``."""

    def __init__(self, in_channels: int = 3, num_classes: int = 1000):
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, 64, 7, 2, 3, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(3, 2, 1)
        chans = (64, 128, 256, 512)
        for i, c in enumerate(chans):
            cin = 64 if i == 0 else chans[i - 1]
            s = 1 if i == 0 else 2
            setattr(self, f"layer{i + 1}", nn.Sequential(_Basic2d(cin, c, s), _Basic2d(c, c, 1)))
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(512, num_classes)
        _init(self)

    def features(self, x: Tensor) -> Tensor:
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        return self.layer4(self.layer3(self.layer2(self.layer1(x))))

    def forward(self, x: Tensor) -> Tensor:
        return self.fc(self.avgpool(self.features(x)).flatten(1))


def _conv3d(cin: int, cout: int, mid: int, stride: int, r2plus1d: bool) -> nn.Module:
    if not r2plus1d:
        return nn.Conv3d(cin, cout, 3, stride, 1, bias=False)
    return nn.Sequential(nn.Conv3d(cin, mid, (1, 3, 3), (1, stride, stride), (0, 1, 1), bias=False),
                         nn.BatchNorm3d(mid), nn.ReLU(inplace=True),
                         nn.Conv3d(mid, cout, (3, 1, 1), (stride, 1, 1), (1, 0, 0), bias=False))


class _Basic3d(nn.Module):
    def __init__(self, cin: int, cout: int, stride: int, r2plus1d: bool):
        super().__init__()
        mid = (cin * cout * 27) // (cin * 9 + 3 * cout)  # torchvision's (2+1)D width, one per block (both convs)
        self.conv1 = nn.Sequential(_conv3d(cin, cout, mid, stride, r2plus1d), nn.BatchNorm3d(cout),
                                   nn.ReLU(inplace=True))
        self.conv2 = nn.Sequential(_conv3d(cout, cout, mid, 1, r2plus1d), nn.BatchNorm3d(cout))
        self.relu = nn.ReLU(inplace=True)
        self.downsample = (nn.Sequential(nn.Conv3d(cin, cout, 1, stride, bias=False), nn.BatchNorm3d(cout))
                           if stride != 1 or cin != cout else None)

    def forward(self, x: Tensor) -> Tensor:
        idt = x if self.downsample is None else self.downsample(x)
        return self.relu(self.conv2(self.conv1(x)) + idt)


class VideoResNet18(nn.Module):
    """R3D-18 / R(2+1)D-18 (Tran et al. 2018, torchvision's ``r3d_18`` / ``r2plus1d_18`` layout):
    ``[N, C, T, H, W] ->`` maps ``[N, 512, T/8, H/16, W/16]`` (:meth:`features`) or logits."""

    def __init__(self, r2plus1d: bool = False, in_channels: int = 3, num_classes: int = 400):
        super().__init__()
        if r2plus1d:
            self.stem = nn.Sequential(nn.Conv3d(in_channels, 45, (1, 7, 7), (1, 2, 2), (0, 3, 3), bias=False),
                                      nn.BatchNorm3d(45), nn.ReLU(inplace=True),
                                      nn.Conv3d(45, 64, (3, 1, 1), 1, (1, 0, 0), bias=False),
                                      nn.BatchNorm3d(64), nn.ReLU(inplace=True))
        else:
            self.stem = nn.Sequential(nn.Conv3d(in_channels, 64, (3, 7, 7), (1, 2, 2), (1, 3, 3), bias=False),
                                      nn.BatchNorm3d(64), nn.ReLU(inplace=True))
        chans = (64, 128, 256, 512)
        for i, c in enumerate(chans):
            cin = 64 if i == 0 else chans[i - 1]
            s = 1 if i == 0 else 2
            setattr(self, f"layer{i + 1}", nn.Sequential(_Basic3d(cin, c, s, r2plus1d), _Basic3d(c, c, 1, r2plus1d)))
        self.avgpool = nn.AdaptiveAvgPool3d(1)
        self.fc = nn.Linear(512, num_classes)
        _init(self)

    def features(self, x: Tensor) -> Tensor:
        return self.layer4(self.layer3(self.layer2(self.layer1(self.stem(x)))))

    def forward(self, x: Tensor) -> Tensor:
        return self.fc(self.avgpool(self.features(x)).flatten(1))


def _init(m: nn.Module) -> None:
    for mod in m.modules():
        if isinstance(mod, (nn.Conv2d, nn.Conv3d)):
            nn.init.kaiming_normal_(mod.weight, mode="fan_out", nonlinearity="relu")
        elif isinstance(mod, (nn.BatchNorm2d, nn.BatchNorm3d)):
            nn.init.ones_(mod.weight)
            nn.init.zeros_(mod.bias)


class _Enc:
    def __init__(self, c: int, s: int):
        self.out_channels, self.map_size = c, s


def load_weights(net: nn.Module, path: str | Path) -> dict:
    """Load a local checkpoint (a torchvision ``state_dict``, or ``{"state_dict"| "model": ...}``,
    ``module.`` prefixes stripped) into ``net``, ignoring the classifier ``fc.*``.

    Returns:
        ``{"loaded": n, "missing": [...], "ignored": [...]}``.

    Raises:
        FileNotFoundError: no such file; ValueError: a tensor whose shape differs (names the key
            and the file), or nothing matched.
    """
    p = Path(path)
    if not p.is_file():
        raise FileNotFoundError(f"{p}: model.weights file not found (weights are never downloaded)")
    sd: Any = torch.load(p, map_location="cpu", weights_only=True)
    for k in ("state_dict", "model"):
        if isinstance(sd, dict) and k in sd and isinstance(sd[k], dict):
            sd = sd[k]
    sd = {k.removeprefix("module."): v for k, v in sd.items()}
    own = net.state_dict()
    take, ignored = {}, []
    for k, v in sd.items():
        if k.startswith("fc.") or k not in own:
            ignored.append(k)
            continue
        if own[k].shape != v.shape:
            raise ValueError(f"{p}: {k} has shape {tuple(v.shape)}, the model expects {tuple(own[k].shape)}")
        take[k] = v
    if not take:
        raise ValueError(f"{p}: no parameter name matches the model (expected torchvision's resnet18 / r3d_18 / "
                         f"r2plus1d_18 names such as {next(iter(own))})")
    net.load_state_dict(take, strict=False)
    missing = [k for k in own if k not in take and not k.startswith("fc.")]
    return {"loaded": len(take), "missing": missing, "ignored": ignored}


class FrameResNet(nn.Module):
    """Per-frame ResNet-18 + temporal mean (``temporal="mean"``) or a small transformer.

    ``[B, T, C, H, W] -> [B, T, D]``. Args: ``in_channels``, ``dim`` D, ``temporal``
    (``"mean"``: per-frame features, pooled by ``PriorHead``; ``"transformer"``: 2 layers, 4
    heads, learned positions for up to ``max_frames``), ``weights`` (local torchvision file).
    """

    def __init__(self, in_channels: int = 3, dim: int = 256, temporal: str = "mean", weights: str | None = None,
                 max_frames: int = 64, dropout: float = 0.0):
        super().__init__()
        if temporal not in ("mean", "transformer"):
            raise ValueError(f"model.temporal: expected mean or transformer, got {temporal!r}")
        self.net = ResNet18(in_channels)
        self.weights_info = load_weights(self.net, weights) if weights else None
        self.net.fc = nn.Identity()
        self.proj = nn.Linear(512, dim)
        self.temporal = None
        if temporal == "transformer":
            self.pos = nn.Parameter(torch.zeros(1, max_frames, dim))
            layer = nn.TransformerEncoderLayer(dim, 4, 2 * dim, dropout, batch_first=True)
            self.temporal = nn.TransformerEncoder(layer, 2, enable_nested_tensor=False)
        self.dim, self.encoder = dim, _Enc(512, 0)

    def forward_maps(self, x: Tensor) -> tuple[Tensor, Tensor]:
        if x.dim() != 5:
            raise ValueError(f"x: expected [B, T, C, H, W], got {tuple(x.shape)}")
        b, t = x.shape[:2]
        maps = self.net.features(x.flatten(0, 1))
        f = self.proj(maps.mean((2, 3))).view(b, t, -1)
        if self.temporal is not None:
            f = self.temporal(f + self.pos[:, :t])
        return f, maps.view(b, t, *maps.shape[1:])

    def forward(self, x: Tensor) -> Tensor:
        return self.forward_maps(x)[0]


class Video3D(nn.Module):
    """R3D-18 / R(2+1)D-18 over the clip: ``[B, T, C, H, W] -> [B, ceil(T/8), D]`` (space-pooled
    layer-4 features per remaining time step, projected to D)."""

    def __init__(self, arch: str = "r3d_18", in_channels: int = 3, dim: int = 256, weights: str | None = None):
        super().__init__()
        if arch not in ("r3d_18", "r2plus1d_18"):
            raise ValueError(f"arch: expected r3d_18 or r2plus1d_18, got {arch!r}")
        self.net = VideoResNet18(arch == "r2plus1d_18", in_channels)
        self.weights_info = load_weights(self.net, weights) if weights else None
        self.net.fc = nn.Identity()
        self.proj = nn.Linear(512, dim)
        self.dim, self.encoder = dim, _Enc(512, 0)

    def forward_maps(self, x: Tensor) -> tuple[Tensor, Tensor]:
        if x.dim() != 5:
            raise ValueError(f"x: expected [B, T, C, H, W], got {tuple(x.shape)}")
        maps = self.net.features(x.transpose(1, 2)).transpose(1, 2)  # [B, T', 512, h, w]
        return self.proj(maps.mean((3, 4))), maps

    def forward(self, x: Tensor) -> Tensor:
        return self.forward_maps(x)[0]


def build_backbone(cfg: dict) -> nn.Module:
    """The backbone of a config: ``model.backbone`` in :data:`BACKBONES`, ``model.weights``
    (local file or null), ``model.temporal``, ``model.dim``, ``data.channels``.

    Raises:
        ValueError: an unknown backbone; FileNotFoundError: a missing weights file.
    """
    from .models import VideoBackbone

    d, m = cfg["data"], cfg["model"]
    name = m.get("backbone", "small")
    if name not in BACKBONES:
        raise ValueError(f"model.backbone: expected one of {', '.join(BACKBONES)}, got {name!r}")
    w = m.get("weights")
    if name == "small":
        if w:
            raise ValueError("model.weights: the small backbone has no pretrained weights (set model.weights=null)")
        return VideoBackbone(d["channels"], d["image_size"], m["width"], 4, m["dim"], m["dropout"])
    if name.startswith("resnet18"):
        temporal = "transformer" if name == "resnet18_transformer" else m.get("temporal", "mean")
        return FrameResNet(d["channels"], m["dim"], temporal, w, max(64, int(d.get("num_frames") or 16)),
                           m["dropout"])
    return Video3D(name, d["channels"], m["dim"], w)
