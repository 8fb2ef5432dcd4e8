"""GCA block: a ResNet basic block with global convolution-attention over frames.

Source: Li, Niu, Zhu, Zhao, "Intensity-Aware Loss for Dynamic Facial Expression Recognition in
the Wild" (IAL, AAAI 2023, arXiv 2208.10335); repository
muse1998/IAL-for-Facial-Expression-Recognition, ``modules.py`` (``BasicBlock`` when the
channel count is > 64). On the residual branch ``out_t = BN(conv3x3(ReLU(BN(conv3x3(x_t)))))``
of frame t of a clip of T frames::

    g_t = DWConv_{k x k}(out_t)                    depthwise, kernel = the whole map, no bias -> [C]
    a_t = 2 * sigmoid(W_2 ReLU(W_1 g_t))           1x1 convs C -> C/16 -> C, no bias; a_t in (0, 2)
    w_t = sqrt(a_t * mean_t'(a_t') + 1e-5)         geometric mean of frame and clip attention
    y_t = ReLU(out_t * w_t + identity_t)
    aux = W_4 W_3 mean_t(g_t)                      optional clip classifier (C -> 2C -> K, no bias)

The reference hard-wires k to the map size at 112-px input (k = 256 // C * 7: 14 for C = 128,
7 for C = 256) and uses the block in layer2 and layer3 of its ResNet-18-like backbone.

What auknow changes:

* **Any input size**: the depthwise kernel is a learned ``[C, k, k]`` map (``kernel_size`` k,
  default 7); for a map of another size (H, W) it is resized bilinearly to (H, W) and scaled by
  k^2 / (H W), so that ``g`` keeps the scale of a k x k sum. At (H, W) = (k, k) it is exactly the
  reference's full-extent depthwise convolution.
* The clip length comes from a 5-D input ``[B, T, C, H, W]``, or from ``num_frames`` for the
  reference's ``[B*T, C, H, W]`` layout (``None``: every sample is its own clip, T = 1).
* Drop-in constructor of ``torchvision.models.resnet.BasicBlock`` (``inplanes, planes, stride,
  downsample, groups, base_width, dilation, norm_layer``); a missing ``downsample`` is created
  (1x1 conv + norm) when the shape changes. :meth:`GCABlock.from_basic_block` converts an existing
  block, copying its weights.
* The auxiliary logits, when ``num_classes`` is given, are stored in ``self.aux_logits``
  (``[B, K]``) so that ``forward`` returns a tensor like any basic block. The reference's unused
  parameters (``bias1``, ``bias2``, ``glb``) are left out.
"""

from __future__ import annotations

from typing import Callable, Optional

import torch
import torch.nn.functional as F
from torch import Tensor, nn

__all__ = ["GCABlock", "GlobalDepthwiseConv"]


class GlobalDepthwiseConv(nn.Module):
    """Full-extent depthwise convolution adapted to any map size: ``[N, C, H, W] -> [N, C]``.

    ``g[n, c] = sum_{h,w} K_c(h, w) x[n, c, h, w]`` with ``K_c`` the learned ``[k, k]`` kernel,
    bilinearly resized to (H, W) and scaled by k^2 / (H W) when (H, W) != (k, k). No bias.

    Source: IAL ``modules.py`` (``nn.Conv2d(C, C, k, groups=C, bias=False)`` with k = the map
    size). Changed: resizing for other sizes (see the module docstring). Init as ``nn.Conv2d``
    (Kaiming-uniform with a = sqrt(5)).

    Raises:
        ValueError: x not ``[N, C, H, W]`` with the module's C; bad arguments.

    >>> conv = GlobalDepthwiseConv(4, kernel_size=7)
    >>> conv(torch.randn(2, 4, 7, 7)).shape, conv(torch.randn(2, 4, 14, 14)).shape   # any map size
    (torch.Size([2, 4]), torch.Size([2, 4]))
    """

    def __init__(self, channels: int, kernel_size: int = 7):
        super().__init__()
        if channels < 1 or kernel_size < 1:
            raise ValueError(f"channels and kernel_size must be >= 1, got {channels}, {kernel_size}")
        self.channels, self.kernel_size = channels, kernel_size
        self.weight = nn.Parameter(torch.empty(channels, 1, kernel_size, kernel_size))
        nn.init.kaiming_uniform_(self.weight, a=5 ** 0.5)

    def forward(self, x: Tensor) -> Tensor:
        """``[N, C, H, W] -> [N, C]`` (the per-channel global response)."""
        if x.dim() != 4 or x.shape[1] != self.channels:
            raise ValueError(f"x must be [N, {self.channels}, H, W], got {tuple(x.shape)}")
        h, w = x.shape[-2:]
        k = self.kernel_size
        if (h, w) == (k, k):
            kernel = self.weight[:, 0]
        else:
            kernel = F.interpolate(self.weight, size=(h, w), mode="bilinear", align_corners=False)[:, 0]
            kernel = kernel * (k * k / (h * w))
        return torch.einsum("nchw,chw->nc", x, kernel)

    def extra_repr(self) -> str:  # noqa: D102
        return f"channels={self.channels}, kernel_size={self.kernel_size}"


def _conv3x3(cin: int, cout: int, stride: int = 1) -> nn.Conv2d:
    return nn.Conv2d(cin, cout, 3, stride=stride, padding=1, bias=False)


class GCABlock(nn.Module):
    """ResNet basic block with global convolution-attention (GCA, IAL AAAI 2023).

    Shapes:
        ``[N, C_in, H, W] -> [N, planes, H', W']`` (H' = ceil(H / stride)), N = B*T frames of
        clips of ``num_frames`` T consecutive frames; or ``[B, T, C_in, H, W] -> [B, T, planes,
        H', W']``. Values >= 0. After a forward with ``num_classes``, ``self.aux_logits`` holds
        the clip logits ``[B, K]``; ``self.attention`` holds ``w_t`` ``[N, planes]`` (detached, in
        ``(0, 2)``).

    Args:
        inplanes, planes, stride, downsample, groups, base_width, dilation, norm_layer: as
            ``torchvision.models.resnet.BasicBlock`` (groups 1, base_width 64, dilation 1 only).
        num_frames: T for 4-D input (``None``: T = 1). kernel_size: k of
            :class:`GlobalDepthwiseConv` (the reference: the map size, 14 at C=128, 7 at C=256).
        reduction: r of the C -> C/r -> C attention (reference 16). num_classes: K of the
            auxiliary clip classifier (``None``: none).

    Raises:
        ValueError: unsupported groups / base_width / dilation, bad sizes; at forward, a 4-D
            batch not divisible by ``num_frames``, wrong channel count.

    >>> block = GCABlock(8, 8, num_frames=2)          # N = B * T = 2 clips x 2 frames
    >>> block(torch.randn(4, 8, 7, 7)).shape
    torch.Size([4, 8, 7, 7])
    """

    expansion = 1

    def __init__(self, inplanes: int, planes: int, stride: int = 1, downsample: Optional[nn.Module] = None,
                 groups: int = 1, base_width: int = 64, dilation: int = 1,
                 norm_layer: Optional[Callable[[int], nn.Module]] = None, *, num_frames: Optional[int] = None,
                 kernel_size: int = 7, reduction: int = 16, num_classes: Optional[int] = None):
        super().__init__()
        if groups != 1 or base_width != 64:
            raise ValueError("GCABlock (like BasicBlock) only supports groups=1 and base_width=64")
        if dilation != 1:
            raise ValueError("GCABlock (like BasicBlock) does not support dilation > 1")
        if inplanes < 1 or planes < 1 or stride < 1 or reduction < 1:
            raise ValueError(f"inplanes, planes, stride, reduction must be >= 1, got "
                             f"{inplanes}, {planes}, {stride}, {reduction}")
        if num_frames is not None and num_frames < 1:
            raise ValueError(f"num_frames must be >= 1 or None, got {num_frames}")
        norm_layer = norm_layer or nn.BatchNorm2d
        self.inplanes, self.planes, self.stride, self.num_frames = inplanes, planes, stride, num_frames
        self.conv1 = _conv3x3(inplanes, planes, stride)
        self.bn1 = norm_layer(planes)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = _conv3x3(planes, planes)
        self.bn2 = norm_layer(planes)
        if downsample is None and (stride != 1 or inplanes != planes):
            downsample = nn.Sequential(nn.Conv2d(inplanes, planes, 1, stride=stride, bias=False), norm_layer(planes))
        self.downsample = downsample
        self.global_conv = GlobalDepthwiseConv(planes, kernel_size)
        hidden = max(1, planes // reduction)
        self.fc1 = nn.Conv2d(planes, hidden, 1, bias=False)
        self.fc2 = nn.Conv2d(hidden, planes, 1, bias=False)
        self.num_classes = num_classes
        if num_classes is not None:
            self.aux = nn.Sequential(nn.Linear(planes, 2 * planes, bias=False),
                                     nn.Linear(2 * planes, num_classes, bias=False))
        self.aux_logits: Optional[Tensor] = None
        self.attention: Optional[Tensor] = None

    def forward(self, x: Tensor) -> Tensor:
        """``[B*T, C_in, H, W]`` or ``[B, T, C_in, H, W]`` -> the same layout with ``planes`` channels."""
        five = x.dim() == 5
        if x.dim() not in (4, 5) or x.shape[-3] != self.inplanes:
            raise ValueError(f"x must be [N, {self.inplanes}, H, W] or [B, T, {self.inplanes}, H, W], "
                             f"got {tuple(x.shape)}")
        if five:
            b, t = x.shape[:2]
            x = x.reshape(b * t, *x.shape[2:])
        else:
            t = self.num_frames or 1
            if x.shape[0] % t:
                raise ValueError(f"batch of {x.shape[0]} frames is not a whole number of clips of num_frames={t}")
            b = x.shape[0] // t
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        g = self.global_conv(out)  # [N, C]
        a = 2.0 * torch.sigmoid(self.fc2(F.relu(self.fc1(g[:, :, None, None]))))[:, :, 0, 0]
        a_clip = a.view(b, t, -1).mean(dim=1, keepdim=True)
        w = torch.sqrt(a.view(b, t, -1) * a_clip + 1e-5).reshape(b * t, -1)
        self.attention = w.detach()
        if self.num_classes is not None:
            self.aux_logits = self.aux(g.view(b, t, -1).mean(dim=1))
        y = self.relu(out * w[:, :, None, None] + identity)
        return y.view(b, t, *y.shape[1:]) if five else y

    @classmethod
    def from_basic_block(cls, block: nn.Module, **kwargs) -> "GCABlock":
        """A GCA block with the convolutions, norms and downsample of a ResNet ``BasicBlock``.

        ``block`` needs ``conv1``, ``bn1``, ``conv2``, ``bn2`` and ``downsample`` (torchvision's
        layout); ``kwargs`` go to the constructor (``num_frames``, ``kernel_size``, ...). The GCA
        parts are freshly initialised; with them removed the block computes the same as ``block``.

        Raises:
            ValueError: ``block`` lacks the attributes above.
        """
        for name in ("conv1", "bn1", "conv2", "bn2"):
            if not hasattr(block, name):
                raise ValueError(f"block has no '{name}': expected a ResNet BasicBlock")
        conv1 = block.conv1
        new = cls(conv1.in_channels, conv1.out_channels, stride=conv1.stride[0],
                  downsample=getattr(block, "downsample", None), **kwargs)
        new.conv1, new.bn1, new.conv2, new.bn2 = block.conv1, block.bn1, block.conv2, block.bn2
        if getattr(block, "downsample", None) is None:
            new.downsample = None
        return new

    def extra_repr(self) -> str:  # noqa: D102
        return f"num_frames={self.num_frames}, num_classes={self.num_classes}"
