"""AU feature generator: a backbone feature map to one feature vector per AU.

Source: ME-GraphAU (Luo et al., IJCAI-ECAI 2022), stage-1 "AFG" (AU-specific Feature
Generator), repository CVI-SZU/ME-GraphAU ``model/ANFL.py`` (``Head.class_linears``) and
``model/basic_block.py`` (``LinearBlock``): for each AU i an independent
``LinearBlock(C, C') = Dropout -> Linear -> BatchNorm1d -> ReLU`` applied to every token of the
backbone map, then the mean over tokens: ``v_i = mean_l f_i(x_l)``.

What auknow changes:

* **Attention pooling** instead of the mean: each AU branch scores its own tokens
  (``a_il = w_i . f_i(x_l) + c_i``) and pools ``v_i = sum_l softmax_l(a_il + log m_il) f_i(x_l)``.
* **Region masks** ``m`` (optional): a soft spatial prior per AU, from the AU's FACS face region
  (``auknow.facs.codes()[n].region``: Upper Face, Lower Face, Lip and Jaw Opening) on an
  aligned face crop, or, when landmarks are given, Gaussian blobs around the AU's landmarks of
  the 68-point iBUG 300-W scheme. AU-centred landmark masks follow the idea of EAC-Net / JAA-Net
  (AU centres from landmarks); the band limits and the AU -> landmark groups below are auknow's
  own coarse choices, not values from those papers.
* All A branches run as one ``C -> A*D`` GEMM (the same parameters as A separate Linears) with a
  ``BatchNorm1d(A*D)`` (ANFL: one BatchNorm1d(D) per AU, the same statistics).
* **Frame maps** ``[B, T, C, H, W]``: per-frame AU features, then a temporal pooling (mean, or a
  learned per-AU softmax over frames), or the frame sequence itself.
* Input is a map ``[B, C, H, W]`` (ANFL takes the same map flattened to tokens ``[B, H*W, C]``).
"""

from __future__ import annotations

import math
from typing import Dict, Optional, Sequence, Tuple, Union

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ..facs import au_number, codes
from ..vocabulary import au_identities

__all__ = ["REGION_BANDS", "LANDMARK_GROUPS_68", "region_masks", "landmark_masks", "AUFeatureGenerator"]

#: Vertical band ``(top, bottom)`` of each FACS face region on an aligned face crop, in
#: normalized image coordinates (0 = top of the crop, 1 = bottom). Regions not listed (e.g.
#: "Miscellaneous", "Head Position") cover the whole face. auknow's coarse choice, not from FACS.
REGION_BANDS: Dict[str, Tuple[float, float]] = {
    "Upper Face": (0.0, 0.55),
    "Lower Face": (0.40, 1.0),
    "Lip and Jaw Opening": (0.55, 1.0),
}

_BROW_INNER = (19, 20, 21, 22, 23, 24)
_BROW_OUTER = (17, 18, 25, 26)
_EYES = tuple(range(36, 48))
_LOWER_EYES_CHEEK = (1, 2, 14, 15, 40, 41, 46, 47)
_NOSE = tuple(range(27, 36))
_UPPER_LIP = (31, 32, 33, 34, 35, 49, 50, 51, 52, 53)
_CORNERS = (48, 54, 60, 64)
_LIPS = tuple(range(48, 68))
_INNER_LIPS = tuple(range(60, 68))
_CHIN = (7, 8, 9, 56, 57, 58)
_JAW = (6, 7, 8, 9, 10, 57, 66)

#: AU number -> 0-based landmark indices of the 68-point iBUG 300-W markup (jaw 0-16, brows
#: 17-26, nose 27-35, eyes 36-47, outer lips 48-59, inner lips 60-67) around which the AU's
#: landmark mask is centred. AUs not listed use all landmarks. auknow's coarse mapping.
LANDMARK_GROUPS_68: Dict[int, Tuple[int, ...]] = {
    1: _BROW_INNER, 2: _BROW_OUTER, 4: _BROW_INNER + (27,), 5: _EYES, 6: _LOWER_EYES_CHEEK, 7: _EYES,
    9: _NOSE, 10: _UPPER_LIP, 11: (31, 35, 48, 54), 12: _CORNERS, 13: _CORNERS, 14: _CORNERS,
    15: _CORNERS, 16: (55, 56, 57, 58, 59), 17: _CHIN, 18: _LIPS, 20: _CORNERS, 22: _LIPS,
    23: _LIPS, 24: _LIPS, 25: _INNER_LIPS, 26: _JAW, 27: _JAW, 28: _LIPS, 43: _EYES, 45: _EYES,
    46: _EYES,
}

AUSpec = Union[int, str, Sequence[Union[int, str]]]


def _grid(height: int, width: int, device=None, dtype=None) -> Tuple[Tensor, Tensor]:
    ys = (torch.arange(height, device=device, dtype=dtype) + 0.5) / height
    xs = (torch.arange(width, device=device, dtype=dtype) + 0.5) / width
    return ys, xs


def region_masks(aus: AUSpec, height: int, width: int, softness: float = 0.05,
                 device=None, dtype=None) -> Tensor:
    """Soft FACS-region masks of AUs on an aligned face crop.

    Each AU's mask is its region's vertical band (:data:`REGION_BANDS`, from
    ``auknow.facs.codes()[number].region``) with sigmoid edges of width ``softness``:
    ``m(y) = sigmoid((y - top) / s) * sigmoid((bottom - y) / s)`` (a factor is left out where
    the band reaches the crop border), constant along x; AUs of other regions get 1 everywhere.
    Pixel centres are at ``(i + 0.5) / H``.

    Args:
        aus: AU names / numbers or an AU set name (see :func:`auknow.vocabulary.resolve_aus`; not a bare count).
        height, width: H, W of the feature map (>= 1). softness: > 0, normalized units.

    Returns:
        ``[A, H, W]`` in ``(0, 1]``.

    Raises:
        ValueError: anonymous AUs (a count), bad sizes or softness.

    >>> m = region_masks(["AU01", "AU12"], 8, 8)     # upper-face and lower-face bands
    >>> m.shape, m[0, :, 0].round(decimals=2)
    (torch.Size([2, 8, 8]), tensor([1.0000, 1.0000, 0.9900, 0.9000, 0.4400, 0.0600, 0.0100, 0.0000]))
    """
    names, _ = au_identities(aus)
    if names is None:
        raise ValueError("region masks need AU identities (names or an AU set), not just a count")
    if height < 1 or width < 1 or softness <= 0:
        raise ValueError(f"height, width must be >= 1 and softness > 0, got {height}, {width}, {softness}")
    ys, _ = _grid(height, width, device, dtype)
    rows = []
    for n in (au_number(a) for a in names):
        band = REGION_BANDS.get(codes()[n].region)
        if band is None:
            rows.append(torch.ones_like(ys))
        else:
            top, bottom = band
            m = torch.ones_like(ys)
            if top > 0.0:  # a band edge on the crop border is not softened
                m = m * torch.sigmoid((ys - top) / softness)
            if bottom < 1.0:
                m = m * torch.sigmoid((bottom - ys) / softness)
            rows.append(m)
    return torch.stack(rows).unsqueeze(-1).expand(len(names), height, width).contiguous()


def landmark_masks(aus: AUSpec, landmarks: Tensor, height: int, width: int, sigma: float = 0.1,
                   groups: Optional[Dict[int, Sequence[int]]] = None) -> Tensor:
    """Landmark-centred AU masks: the max of Gaussian blobs around each AU's landmarks.

    ``m_i(p) = max_{l in G_i} exp(-||p - l||^2 / (2 sigma^2))`` with ``G_i`` the AU's landmark
    group (:data:`LANDMARK_GROUPS_68`, or ``groups``).

    Args:
        aus: AU names / numbers or an AU set name (not a bare count).
        landmarks: ``[N, P, 2]`` float, ``(x, y)`` in normalized map coordinates (0 = left/top,
            1 = right/bottom; points outside [0, 1] are allowed). P = 68 for the default groups.
        height, width: H, W of the map. sigma: blob width (> 0), normalized units.
        groups: AU number -> landmark indices, overriding the default groups (any P).

    Returns:
        ``[N, A, H, W]`` in ``[0, 1]``.

    Raises:
        ValueError: landmarks not ``[N, P, 2]``; P != 68 without ``groups``; an index >= P;
            anonymous AUs; bad sizes.

    >>> landmarks = torch.full((1, 68, 2), 0.5)       # [N, 68, 2], every point at the centre
    >>> m = landmark_masks(["AU12"], landmarks, 4, 4)
    >>> m.shape, bool((m > 0).all() and (m <= 1).all())
    (torch.Size([1, 1, 4, 4]), True)
    """
    names, a = au_identities(aus)
    if names is None:
        raise ValueError("landmark masks need AU identities (names or an AU set), not just a count")
    if not isinstance(landmarks, Tensor) or landmarks.dim() != 3 or landmarks.shape[-1] != 2:
        shape = tuple(landmarks.shape) if isinstance(landmarks, Tensor) else type(landmarks).__name__
        raise ValueError(f"landmarks must be [N, P, 2] (x, y in [0, 1]), got {shape}")
    if height < 1 or width < 1 or sigma <= 0:
        raise ValueError(f"height, width must be >= 1 and sigma > 0, got {height}, {width}, {sigma}")
    p = landmarks.shape[1]
    table = dict(LANDMARK_GROUPS_68)
    if groups is not None:
        table.update({au_number(key): tuple(v) for key, v in groups.items()})
    elif p != 68:
        raise ValueError(f"the default AU landmark groups are for the 68-point iBUG scheme, got {p} "
                         "landmarks; pass groups={AU number: [indices]}")
    index_lists = []
    for n in (au_number(x) for x in names):
        idx = table.get(n)
        if idx is None:
            index_lists.append(list(range(p)))
        else:
            if not idx or max(idx) >= p or min(idx) < 0:
                raise ValueError(f"landmark group of AU{n:02d} must hold indices in [0, {p}), got {list(idx)}")
            index_lists.append(list(idx))
    ys, xs = _grid(height, width, landmarks.device, landmarks.dtype)
    dy = (ys.view(1, 1, height, 1) - landmarks[..., 1].reshape(-1, p, 1, 1)) ** 2  # [N, P, H, 1]
    dx = (xs.view(1, 1, 1, width) - landmarks[..., 0].reshape(-1, p, 1, 1)) ** 2  # [N, P, 1, W]
    blobs = torch.exp(-(dy + dx) / (2.0 * sigma * sigma))  # [N, P, H, W]
    # One small loop over AUs (not over the batch) keeps memory at [N, P, H, W].
    return torch.stack([blobs[:, idx].amax(dim=1) for idx in index_lists], dim=1)


class AUFeatureGenerator(nn.Module):
    """Per-AU features from a backbone map: one learned branch per AU with attention pooling.

    Shapes:
        * ``x [B, C, H, W]`` -> ``[B, A, D]``;
        * ``x [B, T, C, H, W]`` (T frames) -> ``[B, A, D]`` (``temporal="mean"`` or
          ``"attention"``) or ``[B, T, A, D]`` (``temporal="none"``);
        * ``landmarks`` (optional): ``[B, P, 2]`` (for frames: the same points for every frame)
          or ``[B, T, P, 2]``; ``(x, y)`` in normalized map coordinates.

        Output values are >= 0 (convex combinations of ReLU features). With ``return_attention=True``
        forward also returns the spatial attention ``[B, A, H, W]`` (``[B, T, A, H, W]`` for frames),
        each map summing to 1.

    Masks: ``mask="region"`` adds ``log(m)`` of :func:`region_masks` to the attention logits;
    landmarks, when given, replace it by :func:`landmark_masks` (either needs AU identities);
    ``mask="none"`` without landmarks: unguided attention. ``mask_floor`` keeps
    ``log(max(m, floor))`` finite so every position keeps a (small) weight.

    Source: ME-GraphAU AFG (``model/ANFL.py`` ``Head.class_linears`` + mean over tokens). Changed:
    attention pooling, optional masks, fused branches, frame input (module docstring).
    Init as ME-GraphAU's ``LinearBlock``: weights N(0, 2/D), BN weight 1, bias 0; attention
    weights 0 (uniform attention = ANFL's mean at init, up to the masks).

    Args:
        in_channels: C. aus: a count, an AU set name or a list of AUs (names go through :func:`auknow.vocabulary.resolve_aus`;
            a bare count gives anonymous AUs). ``.aus`` holds the canonical names (``None`` for a count).
        dim: D (ME-GraphAU: 512). mask: ``"none"`` | ``"region"``.
        temporal: ``"mean"`` | ``"attention"`` | ``"none"`` (frame input only).
        dropout: before the branch Linear (ME-GraphAU's LinearBlock: 0).
        region_softness, landmark_sigma, mask_floor: mask parameters (normalized units; floor in (0, 1]).
        landmark_groups: AU number -> landmark indices, for non-68-point schemes.

    Raises:
        ValueError: bad arguments (e.g. ``mask="region"`` with a bare AU count); at forward, x not
            4-D/5-D or with C channels other than ``in_channels``, landmarks of the wrong shape.

    >>> gen = AUFeatureGenerator(in_channels=8, aus=["AU01", "AU12"], dim=16)
    >>> gen(torch.randn(2, 8, 7, 7)).shape, gen(torch.randn(2, 3, 8, 7, 7)).shape   # frames pooled
    (torch.Size([2, 2, 16]), torch.Size([2, 2, 16]))
    """

    def __init__(self, in_channels: int, aus: AUSpec, dim: int = 512, mask: str = "none",
                 temporal: str = "mean", dropout: float = 0.0, region_softness: float = 0.05,
                 landmark_sigma: float = 0.1, mask_floor: float = 1e-3,
                 landmark_groups: Optional[Dict[int, Sequence[int]]] = None):
        super().__init__()
        numbers, a = au_identities(aus)
        if in_channels < 1 or dim < 1:
            raise ValueError(f"in_channels and dim must be >= 1, got {in_channels}, {dim}")
        if mask not in ("none", "region"):
            raise ValueError(f"mask must be 'none' or 'region', got {mask!r}")
        if mask == "region" and numbers is None:
            raise ValueError("mask='region' needs AU identities: pass AU names or an AU set name, not a count")
        if temporal not in ("mean", "attention", "none"):
            raise ValueError(f"temporal must be 'mean', 'attention' or 'none', got {temporal!r}")
        if not 0.0 < mask_floor <= 1.0:
            raise ValueError(f"mask_floor must be in (0, 1], got {mask_floor}")
        self.in_channels, self.num_aus, self.dim = in_channels, a, dim
        self.aus = numbers
        self.mask, self.temporal = mask, temporal
        self.region_softness, self.landmark_sigma, self.mask_floor = region_softness, landmark_sigma, mask_floor
        self.landmark_groups = landmark_groups
        self.drop = nn.Dropout(dropout)
        self.branch = nn.Linear(in_channels, a * dim)
        nn.init.normal_(self.branch.weight, 0.0, math.sqrt(2.0 / dim))
        nn.init.zeros_(self.branch.bias)
        self.bn = nn.BatchNorm1d(a * dim)
        self.att_weight = nn.Parameter(torch.zeros(a, dim))
        self.att_bias = nn.Parameter(torch.zeros(a))
        if temporal == "attention":
            self.time_weight = nn.Parameter(torch.zeros(a, dim))
        self._region_cache: Dict[tuple, Tensor] = {}

    def _log_mask(self, n: int, h: int, w: int, landmarks: Optional[Tensor], ref: Tensor) -> Optional[Tensor]:
        if landmarks is not None:
            if self.aus is None:
                raise ValueError("landmark masks need AU identities: build the generator with AU names")
            m = landmark_masks(self.aus, landmarks.to(ref.dtype), h, w, self.landmark_sigma,
                               self.landmark_groups)  # [N, A, H, W]
        elif self.mask == "region":
            key = (h, w, ref.device, ref.dtype)
            m = self._region_cache.get(key)
            if m is None:
                m = region_masks(self.aus, h, w, self.region_softness, ref.device, ref.dtype).unsqueeze(0)
                self._region_cache[key] = m
        else:
            return None
        return m.clamp_min(self.mask_floor).log().flatten(2).transpose(1, 2)  # [N or 1, HW, A]

    def forward(self, x: Tensor, landmarks: Optional[Tensor] = None, return_attention: bool = False):
        """Per-AU features (see the class docstring for shapes)."""
        if not isinstance(x, Tensor) or x.dim() not in (4, 5):
            shape = tuple(x.shape) if isinstance(x, Tensor) else type(x).__name__
            raise ValueError(f"x must be a map [B, C, H, W] or frame maps [B, T, C, H, W], got {shape}")
        frames = x.dim() == 5
        if x.shape[-3] != self.in_channels:
            raise ValueError(f"x must have C = {self.in_channels} channels at dim -3, got {tuple(x.shape)}")
        b = x.shape[0]
        t = x.shape[1] if frames else 1
        h, w = x.shape[-2:]
        xs = x.reshape(b * t, self.in_channels, h, w)
        if landmarks is not None:
            landmarks = self._frame_landmarks(landmarks, b, t, frames)
        n, a, d, hw = b * t, self.num_aus, self.dim, h * w
        tokens = xs.flatten(2).transpose(1, 2).reshape(n * hw, self.in_channels)
        f = F.relu(self.bn(self.branch(self.drop(tokens)))).view(n, hw, a, d)
        logits = torch.einsum("nlad,ad->nla", f, self.att_weight) + self.att_bias
        log_m = self._log_mask(n, h, w, landmarks, x)
        if log_m is not None:
            logits = logits + log_m
        att = logits.softmax(dim=1)  # [N, HW, A]
        v = torch.einsum("nla,nlad->nad", att, f)  # [N, A, D]
        if frames:
            v = v.view(b, t, a, d)
            if self.temporal == "mean":
                v = v.mean(dim=1)
            elif self.temporal == "attention":
                wt = torch.einsum("btad,ad->bta", v, self.time_weight).softmax(dim=1)
                v = (wt.unsqueeze(-1) * v).sum(dim=1)
        if not return_attention:
            return v
        att = att.transpose(1, 2).reshape(n, a, h, w)
        return v, (att.view(b, t, a, h, w) if frames else att)

    @staticmethod
    def _frame_landmarks(landmarks: Tensor, b: int, t: int, frames: bool) -> Tensor:
        if not isinstance(landmarks, Tensor) or landmarks.shape[-1:] != (2,):
            raise ValueError("landmarks must be [B, P, 2] or [B, T, P, 2] (x, y in [0, 1])")
        if landmarks.dim() == 3 and landmarks.shape[0] == b:
            return landmarks.repeat_interleave(t, dim=0) if frames and t > 1 else landmarks
        if frames and landmarks.dim() == 4 and landmarks.shape[:2] == (b, t):
            return landmarks.reshape(b * t, *landmarks.shape[2:])
        expect = f"[{b}, P, 2]" + (f" or [{b}, {t}, P, 2]" if frames else "")
        raise ValueError(f"landmarks must be {expect}, got {tuple(landmarks.shape)}")

    def extra_repr(self) -> str:  # noqa: D102
        return (f"in_channels={self.in_channels}, num_aus={self.num_aus}, dim={self.dim}, "
                f"mask={self.mask!r}, temporal={self.temporal!r}")
