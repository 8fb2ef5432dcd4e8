"""Small video backbones and the AU-graph model used by the experiments.

These are deliberately small (they train on a 2-core CPU in seconds on the synthetic
benchmark); on real data they are a runnable default. The seeds' backbones (ResNet-18 per frame,
R3D-18, R(2+1)D-18) are in :mod:`experiments.backbones` (config ``model.backbone``); other models
(Former-DFER, M3DFEL, MAE-DFER) plug in through :class:`auknow.models.prior_head.PriorHead` or the
``backbone_fn`` hook of :func:`experiments.run.run_config` (``docs/experiments.md``).

* :class:`FrameEncoder`: ``[B, T, C, H, W] -> [B, T, c, h, w]`` frame feature maps (3x3 conv
  blocks with stride 2, BatchNorm, ReLU, until the map is at most ``map_size``, then adaptive
  average pooling to ``map_size x map_size``; 16x16 input: two blocks, 16 and 32 channels).
* :class:`VideoBackbone`: the encoder, a per-frame linear embedding and a residual temporal
  convolution: ``[B, T, C, H, W] -> [B, T, D]`` (frame features, pooled by ``PriorHead``).
* :class:`FeatureBackbone`: the same for frame *features* ``[B, T, D_in]`` (synthetic features).
* :class:`AUGraphModel`: backbone maps -> :class:`auknow.models.AUFeatureGenerator` (per-AU
  features with FACS-region attention masks) -> optional :class:`auknow.models.AURelationGNN`
  over the knowledge AU graph -> per-AU logits, plus an expression head on the clip embedding
  and the AU node features. ``gnn=False`` replaces the GNN by the identity (the "GNN off" arm).
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple, Sequence

import torch
from torch import Tensor, nn

__all__ = ["FrameEncoder", "VideoBackbone", "FeatureBackbone", "AUGraphModel", "ModelOutput"]


class ModelOutput(NamedTuple):
    """``expr_logits [B, E]`` (None without an expression head), ``au_logits [B, A]`` (None
    without AUs) and the clip embedding ``features [B, D]``."""

    expr_logits: Tensor | None
    au_logits: Tensor | None
    features: Tensor


def _block(cin: int, cout: int, stride: int) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(cin, cout, 3, stride=stride, padding=1, bias=False), nn.BatchNorm2d(cout),
                         nn.ReLU(inplace=True))


class FrameEncoder(nn.Module):
    """Per-frame CNN: ``[B, T, C, H, W]`` (or ``[B, C, H, W]``) -> maps ``[B, T, c, h, w]``.

    Args:
        in_channels: C (1 for the synthetic images, 3 for RGB).
        image_size: H (= W) the encoder is built for (decides the number of stride-2 blocks).
        width: channels of the first block; later blocks double it up to ``4 * width``.
            Every block has stride 2 (3x3 conv, BatchNorm, ReLU), as many as needed to bring
            ``image_size`` down to ``map_size`` (at least one).
        map_size: side of the output map (the map is pooled adaptively to it).

    Raises:
        ValueError: sizes < 1.
    """

    def __init__(self, in_channels: int = 1, image_size: int = 16, width: int = 16, map_size: int = 4):
        super().__init__()
        if min(in_channels, image_size, width, map_size) < 1:
            raise ValueError("in_channels, image_size, width and map_size must be >= 1")
        layers, c, cout, size = [], in_channels, width, image_size
        while size > map_size:  # stride-2 blocks from the first one on (cheap on a CPU)
            layers.append(_block(c, cout, 2))
            c, cout, size = cout, min(2 * cout, 4 * width), (size + 1) // 2
        if not layers:
            layers.append(_block(c, width, 1))
            c = width
        self.net = nn.Sequential(*layers)
        self.pool = nn.AdaptiveAvgPool2d(map_size)
        self.out_channels, self.map_size = c, map_size

    def forward(self, x: Tensor) -> Tensor:
        frames = x.dim() == 5
        if not frames and x.dim() != 4:
            raise ValueError(f"x: expected [B, T, C, H, W] or [B, C, H, W], got {tuple(x.shape)}")
        b = x.shape[0]
        t = x.shape[1] if frames else 1
        m = self.pool(self.net(x.reshape(b * t, *x.shape[-3:])))
        return m.view(b, t, *m.shape[1:])


class VideoBackbone(nn.Module):
    """Small video backbone: ``[B, T, C, H, W] -> [B, T, D]`` frame features.

    Frame maps (:class:`FrameEncoder`) are flattened and embedded per frame
    (``Linear -> ReLU``), then a residual temporal convolution (kernel 3 over T) mixes frames.
    ``forward_maps`` returns the frame maps too, for :class:`AUGraphModel`.

    Args:
        in_channels, image_size, width, map_size: of the encoder.
        dim: D, the feature size.
        dropout: on the frame embedding.
    """

    def __init__(self, in_channels: int = 1, image_size: int = 16, width: int = 16, map_size: int = 4,
                 dim: int = 64, dropout: float = 0.0):
        super().__init__()
        self.encoder = FrameEncoder(in_channels, image_size, width, map_size)
        flat = self.encoder.out_channels * map_size * map_size
        self.embed = nn.Sequential(nn.Flatten(2), nn.Linear(flat, dim), nn.ReLU(inplace=True),
                                   nn.Dropout(dropout) if dropout > 0 else nn.Identity())
        self.temporal = nn.Conv1d(dim, dim, 3, padding=1)
        self.dim = dim

    def forward_maps(self, x: Tensor) -> tuple[Tensor, Tensor]:
        """``(frame features [B, T, D], frame maps [B, T, c, h, w])``."""
        maps = self.encoder(x)
        f = self.embed(maps)                                   # [B, T, D]
        f = torch.relu(f + self.temporal(f.transpose(1, 2)).transpose(1, 2))
        return f, maps

    def forward(self, x: Tensor) -> Tensor:
        return self.forward_maps(x)[0]


class FeatureBackbone(nn.Module):
    """``[B, T, D_in] -> [B, T, D]``: a per-frame MLP and a residual temporal convolution.

    ``forward_maps`` returns the frame features viewed as 1x1 maps ``[B, T, D, 1, 1]`` so that
    :class:`AUGraphModel` works on feature input too (its attention then has one position).
    """

    def __init__(self, in_dim: int, dim: int = 64, dropout: float = 0.0):
        super().__init__()
        self.mlp = nn.Sequential(nn.Linear(in_dim, dim), nn.ReLU(inplace=True),
                                 nn.Dropout(dropout) if dropout > 0 else nn.Identity(), nn.Linear(dim, dim),
                                 nn.ReLU(inplace=True))
        self.temporal = nn.Conv1d(dim, dim, 3, padding=1)
        self.dim = dim
        self.encoder = type("_E", (), {"out_channels": dim, "map_size": 1})()

    def forward_maps(self, x: Tensor) -> tuple[Tensor, Tensor]:
        if x.dim() != 3:
            raise ValueError(f"x: expected frame features [B, T, D_in], got {tuple(x.shape)}")
        f = self.mlp(x)
        f = torch.relu(f + self.temporal(f.transpose(1, 2)).transpose(1, 2))
        return f, f.unsqueeze(-1).unsqueeze(-1)

    def forward(self, x: Tensor) -> Tensor:
        return self.forward_maps(x)[0]


class AUGraphModel(nn.Module):
    """Backbone + per-AU features + (optional) AU relation GNN + AU and expression heads.

    ``x -> backbone.forward_maps -> (frame features [B, T, D], maps [B, T, c, h, w])``;
    per-AU features ``v = AUFeatureGenerator(mean_t maps) [B, A, d]`` (the frame maps averaged over
    time: one attention pooling per clip instead of per frame);
    ``v' = AURelationGNN(v)`` (``head="none"``: node features) when ``gnn`` else ``v``;
    AU logits ``z_a = w_a . v'_a + b_a``; expression logits from ``[mean_t f ; flatten(v')]``.

    Args:
        backbone: a :class:`VideoBackbone` / :class:`FeatureBackbone` (anything with
            ``forward_maps`` and ``encoder.out_channels``, ``dim``).
        aus: AU names (for the FACS-region masks) or a count.
        num_expressions: E (0: AU detection only, ``expr_logits`` is None).
        au_dim: d.
        gnn: use the GNN (True) or the identity (False, the control).
        graph: ``"knowledge"``, ``"learned"`` or ``"both"`` (ME-GraphAU: learned).
        knowledge: the knowledge graph, any form ``AURelationGNN`` takes (e.g. the triple of
            ``auknow.compile.to_pyg``); required for ``"knowledge"`` / ``"both"``.
        k: neighbours of the learned graph.
        mask: ``"region"`` (FACS-region attention masks; needs AU names) or ``"none"``.
        num_layers: GNN layers.

    Raises:
        ValueError: from the auknow modules (bad graph, sizes).
    """

    def __init__(self, backbone: nn.Module, aus: Sequence[str] | int, num_expressions: int = 0, *,
                 au_dim: int = 32, gnn: bool = True, graph: str = "knowledge", knowledge: Any = None, k: int = 4,
                 mask: str = "region", num_layers: int = 1):
        super().__init__()
        from auknow.models import AUFeatureGenerator, AURelationGNN

        self.backbone = backbone
        A = aus if isinstance(aus, int) else len(aus)
        c = backbone.encoder.out_channels
        if backbone.encoder.map_size == 1 or isinstance(aus, int):
            mask = "none"
        self.afg = AUFeatureGenerator(c, aus if not isinstance(aus, int) else A, dim=au_dim, mask=mask,
                                      temporal="mean")
        self.gnn = AURelationGNN(A, au_dim, graph=graph, knowledge=knowledge, k=min(k, A), head="none",
                                 num_layers=num_layers, norm="feature") if gnn else None
        self.au_weight = nn.Parameter(torch.empty(A, au_dim).uniform_(-1 / math.sqrt(au_dim), 1 / math.sqrt(au_dim)))
        self.au_bias = nn.Parameter(torch.zeros(A))
        self.expr_head = nn.Linear(backbone.dim + A * au_dim, num_expressions) if num_expressions > 0 else None
        self.num_aus, self.num_expressions = A, num_expressions

    def forward(self, x: Tensor) -> ModelOutput:
        f, maps = self.backbone.forward_maps(x)
        v = self.afg(maps.mean(1))                  # time-averaged map [B, c, h, w] -> [B, A, d]
        if self.gnn is not None:
            v = self.gnn(v)
        au = (v * self.au_weight).sum(-1) + self.au_bias
        clip = f.mean(1)
        expr = self.expr_head(torch.cat([clip, v.flatten(1)], 1)) if self.expr_head is not None else None
        return ModelOutput(expr, au, clip)
