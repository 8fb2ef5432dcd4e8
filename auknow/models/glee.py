"""Global expression embedding (GLEE-Net style) with an expression-similarity triplet loss.

Sources:

* Hu, Zhang et al., "Facial Action Units Detection Aided by Global-Local Expression Embedding"
  (GLEE-Net, arXiv 2210.13718): a global branch (whole-face expression, identity effects
  removed), a local branch (positioned face patches) and a 3D branch, pre-trained on an
  expression dataset as an identity-independent expression embedding, fused by a
  Transformer-based multi-label AU classifier. An et al., "Global-to-local Expression-aware
  Embeddings for Facial AU Detection" (arXiv 2210.15160): a global expression encoder trained
  on "global expression similarity", its output transformed into per-AU masked features.
  Neither paper's code is public; only the abstracts could be read.
* The similarity protocol matches FEC (Vemulapalli & Agarwala, CVPR 2019, arXiv 1811.11283):
  triplets of faces where annotators mark the odd one out (the other two are the most similar
  pair); a 16-d L2-normalized embedding trained with a triplet loss on both members of the
  similar pair. The margin 0.1 is recalled from that paper (memory), not verified.

What auknow builds (a stand-in, not a reproduction): :class:`ExpressionEmbedding` (pooled
backbone map -> MLP -> unit vector, the global branch), :func:`expression_triplet_loss` and
:func:`triplet_agreement` on FEC-style triplets, and :class:`GlobalLocalFusion` to combine the
global embedding with local per-AU features ``[B, A, D]`` (``"concat"``: a per-AU MLP on
``[u_i; e]``; ``"transformer"``: a Transformer encoder over ``[e, u_1..u_A]`` tokens, the
GLEE-Net-style fusion). The 3D-reconstruction branch is not included.
"""

from __future__ import annotations

from typing import Optional

import torch
import torch.nn.functional as F
from torch import Tensor, nn

__all__ = ["ExpressionEmbedding", "expression_triplet_loss", "triplet_agreement", "GlobalLocalFusion"]


class ExpressionEmbedding(nn.Module):
    """Global expression embedding head: a backbone output -> a unit vector ``[B, dim]``.

    Shapes:
        input ``[B, C]`` (pooled features), ``[B, C, H, W]`` (averaged over space) or
        ``[B, T, C, H, W]`` (averaged over frames and space); output ``[B, dim]`` with
        ``||e|| = 1`` (``normalize=True``, as FEC) or unconstrained.

    Layers: ``Linear(C, hidden) -> LayerNorm -> ReLU -> Dropout -> Linear(hidden, dim)``.

    Source: GLEE-Net's global branch / An et al.'s global expression encoder (abstracts), FEC's
    16-d embedding (``dim=16`` default). Changed: the backbone is the caller's; only the head is
    here.

    Raises:
        ValueError: bad arguments; input not 2-, 4- or 5-D, or with C other than ``in_channels``.

    >>> head = ExpressionEmbedding(32)                # dim 16, unit vectors
    >>> e = head(torch.randn(3, 32))
    >>> e.shape, torch.allclose(e.norm(dim=1), torch.ones(3))
    (torch.Size([3, 16]), True)
    """

    def __init__(self, in_channels: int, dim: int = 16, hidden: int = 512, dropout: float = 0.0,
                 normalize: bool = True):
        super().__init__()
        if in_channels < 1 or dim < 1 or hidden < 1:
            raise ValueError(f"in_channels, dim and hidden must be >= 1, got {in_channels}, {dim}, {hidden}")
        self.in_channels, self.dim, self.normalize = in_channels, dim, normalize
        self.mlp = nn.Sequential(nn.Linear(in_channels, hidden), nn.LayerNorm(hidden), nn.ReLU(inplace=True),
                                 nn.Dropout(dropout), nn.Linear(hidden, dim))

    def forward(self, x: Tensor) -> Tensor:
        """``[B, C]``, ``[B, C, H, W]`` or ``[B, T, C, H, W]`` -> ``[B, dim]``."""
        if x.dim() == 2:
            pooled, c = x, x.shape[1]
        elif x.dim() == 4:
            pooled, c = x.mean(dim=(2, 3)), x.shape[1]
        elif x.dim() == 5:
            pooled, c = x.mean(dim=(1, 3, 4)), x.shape[2]
        else:
            raise ValueError(f"x must be [B, C], [B, C, H, W] or [B, T, C, H, W], got {tuple(x.shape)}")
        if c != self.in_channels:
            raise ValueError(f"x must have C = {self.in_channels} channels, got {tuple(x.shape)}")
        e = self.mlp(pooled)
        return F.normalize(e, p=2.0, dim=-1) if self.normalize else e


def _split_triplets(embeddings: Tensor, odd_one_out: Tensor):
    if embeddings.dim() != 3 or embeddings.shape[1] != 3:
        raise ValueError(f"embeddings must be [N, 3, D] (the three faces of each triplet), "
                         f"got {tuple(embeddings.shape)}")
    odd = torch.as_tensor(odd_one_out, device=embeddings.device)
    if odd.dim() != 1 or odd.shape[0] != embeddings.shape[0] or odd.is_floating_point():
        raise ValueError(f"odd_one_out must be an integer tensor [N] = [{embeddings.shape[0]}], got {tuple(odd.shape)}")
    if odd.numel() and (int(odd.min()) < 0 or int(odd.max()) > 2):
        raise ValueError("odd_one_out must hold 0, 1 or 2 (which face of the triplet is the odd one out)")
    odd = odd.long()
    first = (odd == 0).long()            # the similar pair is {0,1,2} minus odd
    second = 2 - (odd == 2).long()
    rows = torch.arange(embeddings.shape[0], device=embeddings.device)
    return embeddings[rows, first], embeddings[rows, second], embeddings[rows, odd]


def expression_triplet_loss(embeddings: Tensor, odd_one_out: Tensor, margin: float | Tensor = 0.1,
                            reduction: str = "mean") -> Tensor:
    """FEC-style triplet loss on expression-similarity triplets.

    For a triplet whose similar pair is (a, p) and odd one out n (squared Euclidean distances)::

        l = max(0, d(a, p) - d(a, n) + margin) + max(0, d(a, p) - d(p, n) + margin)

    Args:
        embeddings: ``[N, 3, D]`` (usually unit vectors from :class:`ExpressionEmbedding`).
        odd_one_out: ``[N]`` integer in {0, 1, 2}: the face that is *not* in the most-similar pair.
        margin: scalar or ``[N]`` (>= 0; FEC: 0.1, memory).
        reduction: ``"mean"`` | ``"sum"`` | ``"none"`` (``[N]``).

    Returns:
        the loss (>= 0), a scalar or ``[N]``.

    Source: Vemulapalli & Agarwala CVPR 2019 (FEC), used for GLEE-Net / An et al.'s global
    expression embedding. Raises: ValueError on wrong shapes, labels or reduction.

    >>> emb = torch.tensor([[[0.0, 0.0], [0.0, 0.1], [1.0, 0.0]]])   # faces 0 and 1 close, 2 the odd one
    >>> expression_triplet_loss(emb, torch.tensor([2])), expression_triplet_loss(emb, torch.tensor([2]), margin=1.0)
    (tensor(0.), tensor(0.0100))
    """
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"reduction must be 'mean', 'sum' or 'none', got {reduction!r}")
    a, p, n = _split_triplets(embeddings, odd_one_out)
    margin = torch.as_tensor(margin, dtype=embeddings.dtype, device=embeddings.device)
    d_ap = (a - p).pow(2).sum(-1)
    loss = F.relu(d_ap - (a - n).pow(2).sum(-1) + margin) + F.relu(d_ap - (p - n).pow(2).sum(-1) + margin)
    if reduction == "mean":
        return loss.mean() if loss.numel() else loss.sum()
    return loss.sum() if reduction == "sum" else loss


def triplet_agreement(embeddings: Tensor, odd_one_out: Tensor) -> Tensor:
    """Fraction of triplets whose closest pair in the embedding is the annotated similar pair.

    Args: embeddings ``[N, 3, D]``; odd_one_out ``[N]`` in {0, 1, 2}. Returns a scalar in [0, 1]
    (FEC's "triplet prediction accuracy"). Raises ValueError on wrong shapes.

    >>> emb = torch.tensor([[[0.0, 0.0], [0.0, 0.1], [1.0, 0.0]]])
    >>> triplet_agreement(emb, torch.tensor([2])), triplet_agreement(emb, torch.tensor([0]))
    (tensor(1.), tensor(0.))
    """
    a, p, n = _split_triplets(embeddings, odd_one_out)
    d_ap = (a - p).pow(2).sum(-1)
    ok = (d_ap < (a - n).pow(2).sum(-1)) & (d_ap < (p - n).pow(2).sum(-1))
    return ok.to(embeddings.dtype).mean()


class GlobalLocalFusion(nn.Module):
    """Combine a global expression embedding with local per-AU features.

    Shapes:
        ``forward(local [B, A, D], global_ [B, G]) -> [B, A, D]`` (same shape as ``local``, so
        the result can feed :class:`~auknow.models.AURelationGNN`).

    Modes:
        * ``"concat"``: ``u_i' = u_i + MLP([u_i; P e])`` with one MLP shared by the AUs
          (``Linear(2D, D) -> ReLU -> Linear(D, D)``, P = ``Linear(G, D)``);
        * ``"transformer"``: tokens ``[P e, u_1 + p_1, ..., u_A + p_A]`` (p_i learned AU position
          embeddings, needs ``num_aus``) through a ``TransformerEncoder`` (pre-LN, ``layers``
          layers, ``heads`` heads); the A AU tokens are returned.

    Source: GLEE-Net's Transformer multi-label classifier over global and local representations
    (abstract); An et al.'s global-to-local transform. Changed: a stand-in design; the AU
    classifier is left to the caller (e.g. the GNN's prototype head).

    Raises:
        ValueError: bad arguments; inputs of the wrong shape.

    >>> fuse = GlobalLocalFusion(local_dim=16, global_dim=8)
    >>> fuse(torch.randn(2, 5, 16), torch.randn(2, 8)).shape
    torch.Size([2, 5, 16])
    """

    def __init__(self, local_dim: int, global_dim: int, mode: str = "concat", num_aus: Optional[int] = None,
                 heads: int = 4, layers: int = 1, dropout: float = 0.0):
        super().__init__()
        if local_dim < 1 or global_dim < 1:
            raise ValueError(f"local_dim and global_dim must be >= 1, got {local_dim}, {global_dim}")
        if mode not in ("concat", "transformer"):
            raise ValueError(f"mode must be 'concat' or 'transformer', got {mode!r}")
        self.local_dim, self.global_dim, self.mode, self.num_aus = local_dim, global_dim, mode, num_aus
        self.project = nn.Linear(global_dim, local_dim)
        if mode == "concat":
            self.mlp = nn.Sequential(nn.Linear(2 * local_dim, local_dim), nn.ReLU(inplace=True),
                                     nn.Linear(local_dim, local_dim))
        else:
            if num_aus is None or num_aus < 1:
                raise ValueError("mode='transformer' needs num_aus (for the AU position embeddings)")
            if local_dim % heads:
                raise ValueError(f"local_dim ({local_dim}) must be divisible by heads ({heads})")
            self.position = nn.Parameter(torch.zeros(num_aus, local_dim))
            nn.init.normal_(self.position, std=0.02)
            layer = nn.TransformerEncoderLayer(local_dim, heads, dim_feedforward=2 * local_dim, dropout=dropout,
                                               batch_first=True, norm_first=True)
            self.encoder = nn.TransformerEncoder(layer, layers, enable_nested_tensor=False)

    def forward(self, local: Tensor, global_: Tensor) -> Tensor:
        """``(local [B, A, D], global_ [B, G]) -> [B, A, D]``."""
        if local.dim() != 3 or local.shape[-1] != self.local_dim:
            raise ValueError(f"local must be [B, A, {self.local_dim}], got {tuple(local.shape)}")
        if global_.dim() != 2 or global_.shape[-1] != self.global_dim or global_.shape[0] != local.shape[0]:
            raise ValueError(f"global_ must be [B, {self.global_dim}] with B = {local.shape[0]}, "
                             f"got {tuple(global_.shape)}")
        e = self.project(global_)
        if self.mode == "concat":
            expanded = e.unsqueeze(1).expand_as(local)
            return local + self.mlp(torch.cat([local, expanded], dim=-1))
        if local.shape[1] != self.num_aus:
            raise ValueError(f"local must hold A = {self.num_aus} AUs, got {tuple(local.shape)}")
        tokens = torch.cat([e.unsqueeze(1), local + self.position], dim=1)
        return self.encoder(tokens)[:, 1:]

    def extra_repr(self) -> str:  # noqa: D102
        return f"local_dim={self.local_dim}, global_dim={self.global_dim}, mode={self.mode!r}"
