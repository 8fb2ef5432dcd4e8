"""One ANFL GNN layer with typed relations (:class:`AURelationConv`), a torch-geometric
``MessagePassing`` layer. Source and changes: :mod:`auknow.models.relation_gnn`."""

from __future__ import annotations

import math
from typing import Optional, Tuple

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch_geometric.nn import MessagePassing
from torch_geometric.utils import is_torch_sparse_tensor, spmm, to_edge_index


from .relation_graph import check_node_features, relation_adjacency


class AURelationConv(MessagePassing):
    """One ANFL GNN layer with typed relations: ``X' = ReLU(X + Norm(U X + sum_r Â_r V_r X))``.

    Shapes:
        ``forward(x, edge_index, edge_weight=None, edge_type=None)`` (torch-geometric's layer
        convention): x ``[B, A, D]``; either ``edge_index [2, E]`` over the batched node set
        (node ``b*A + i``; row 0 source, row 1 target) with ``edge_weight [E]`` normalized edge
        coefficients (:func:`relation_norm`; default 1) and ``edge_type [E]`` long in ``[0, R)``
        (which V_r the edge uses; default 0), or a prebuilt sparse ``adj_t [B*A, B*A*R]``
        (:func:`relation_adjacency`) as ``edge_index``.
        Returns ``[B, A, D]``, values >= 0 (after the final ReLU).

    Message passing: ``propagate`` over the bipartite graph (source node j, relation r) ->
    target i, with the transposed adjacency ``adj_t [B*A, B*A*R]`` (entry ``(i, j*R + r)`` =
    the edge's coefficient) and the stacked messages ``V_r x_j`` (row ``j*R + r``). The fused
    ``message_and_aggregate`` computes ``adj_t @ [V_r x_j]``: with ``aggregation="auto"`` /
    ``"dense"`` and a batch of per-sample graphs (no edge between samples, the case of AU
    graphs), as B dense ``[A, A*R] @ [A*R, D]`` products (``bmm``, ANFL's own dense aggregation,
    the fastest for A of tens of AUs); otherwise (``"sparse"``, or edges across samples with
    ``"auto"``) as one sparse CSR product. ``message`` (``x_j``) defines the same sum for PyG's
    unfused paths (explain mode).

    Source: ME-GraphAU ``model/ANFL.py`` ``GNN.forward``: ``x = relu(x + bnv(A @ V(x) + U(x)))``.
    Changed: R weight matrices V_r (one per relation) instead of one V, stacked in one
    ``Linear(D, R D)`` (``lin_rel``; ``lin_self`` is U); aggregation as above instead of a
    dense ``einsum`` with ``[B, A, A]`` only; a choice of norm (``"node"`` = ANFL's
    ``BatchNorm1d(A)``). Init as ANFL: weights N(0, 2/D), zero bias, norm weight 1, bias 0.

    Args:
        dim: D. num_aus: A (for ``norm="node"``). num_relations: R >= 1.
        norm: ``"node"`` | ``"feature"`` | ``"layer"`` | ``"none"``.
        aggregation: ``"auto"`` | ``"dense"`` | ``"sparse"`` (see above).

    Raises:
        ValueError: bad argument values; x or the graph of the wrong shape; ``"dense"`` with
            edges between samples.

    >>> conv = AURelationConv(dim=16, num_aus=5)
    >>> edge_index = torch.tensor([[0, 1], [1, 0]])     # AU 0 -> AU 1 and back, batched ids
    >>> conv(torch.randn(2, 5, 16), edge_index).shape
    torch.Size([2, 5, 16])
    """

    def __init__(self, dim: int, num_aus: int, num_relations: int = 1, norm: str = "node",
                 aggregation: str = "auto"):
        super().__init__(aggr="add", flow="source_to_target", node_dim=0)
        if dim < 1 or num_aus < 1 or num_relations < 1:
            raise ValueError(f"dim, num_aus and num_relations must be >= 1, got {dim}, {num_aus}, {num_relations}")
        if aggregation not in ("auto", "dense", "sparse"):
            raise ValueError(f"aggregation must be 'auto', 'dense' or 'sparse', got {aggregation!r}")
        self.dim, self.num_aus, self.num_relations, self.aggregation = dim, num_aus, num_relations, aggregation
        self.lin_self = nn.Linear(dim, dim)  # U
        self.lin_rel = nn.Linear(dim, num_relations * dim)  # V_0 .. V_{R-1}, stacked by rows
        if norm == "node":
            self.norm = nn.BatchNorm1d(num_aus)
        elif norm == "feature":
            self.norm = nn.BatchNorm1d(dim)
        elif norm == "layer":
            self.norm = nn.LayerNorm(dim)
        elif norm == "none":
            self.norm = nn.Identity()
        else:
            raise ValueError(f"norm must be 'node', 'feature', 'layer' or 'none', got {norm!r}")
        self.norm_kind = norm
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """ANFL's init: weights N(0, 2/D), zero bias; the norm's weight 1, bias 0, statistics reset."""
        for lin in (self.lin_self, self.lin_rel):
            nn.init.normal_(lin.weight, 0.0, math.sqrt(2.0 / self.dim))
            nn.init.zeros_(lin.bias)
        if hasattr(self.norm, "reset_parameters"):
            self.norm.reset_parameters()

    def forward(self, x: Tensor, edge_index: Tensor, edge_weight: Optional[Tensor] = None,
                edge_type: Optional[Tensor] = None, *, per_sample: Optional[bool] = None) -> Tensor:
        """``x [B, A, D]`` and a graph -> ``[B, A, D]``.

        Args:
            x: node features ``[B, A, D]``.
            edge_index: ``[2, E]`` long over the batched node set (node ``b*A + i``; row 0
                source, row 1 target), or a prebuilt sparse ``adj_t [B*A, B*A*R]``
                (:func:`relation_adjacency`).
            edge_weight: ``[E]`` normalized edge coefficients (:func:`relation_norm`); default 1.
            edge_type: ``[E]`` long in ``[0, R)``: the relation (which V_r) of each edge; default 0.
            per_sample: ``True`` when no edge joins two samples (allows the dense per-sample
                aggregation without checking); ``None``: checked from the graph.
        """
        check_node_features(x, self.num_aus, self.dim)
        b, a, _ = x.shape
        n, r = b * a, self.num_relations
        if is_torch_sparse_tensor(edge_index):
            adj_t = edge_index
            if tuple(adj_t.shape) != (n, n * r):
                raise ValueError(f"adj_t must be [B*A, B*A*R] = [{n}, {n * r}], got {tuple(adj_t.shape)}")
        else:
            if edge_index.dim() != 2 or edge_index.shape[0] != 2:
                raise ValueError(f"edge_index must be [2, E], got {tuple(edge_index.shape)}")
            e = edge_index.shape[1]
            coef = x.new_ones(e) if edge_weight is None else edge_weight.to(x.dtype)
            slot = torch.zeros(e, dtype=torch.long, device=x.device) if edge_type is None else edge_type
            if coef.shape != (e,) or slot.shape != (e,):
                raise ValueError(f"edge_weight and edge_type must be [E] = [{e}], got {tuple(coef.shape)} "
                                 f"and {tuple(slot.shape)}")
            if e and (int(slot.min()) < 0 or int(slot.max()) >= r):
                raise ValueError(f"edge_type must index this layer's {r} relation(s), got values "
                                 f"{sorted(set(slot.tolist()))}")
            adj_t = relation_adjacency(edge_index, coef, slot, n, r)
        block = False
        if self.aggregation != "sparse":
            if per_sample is None:
                rows, cols = to_edge_index(adj_t)[0]
                per_sample = bool(((rows // a) == (cols // (a * r))).all())
            block = per_sample
            if not block and self.aggregation == "dense":
                raise ValueError("aggregation='dense' needs one graph per sample (no edge between samples)")
        return self.update_nodes(x, adj_t, block)

    def extra_repr(self) -> str:  # noqa: D102
        return (f"dim={self.dim}, num_aus={self.num_aus}, num_relations={self.num_relations}, "
                f"norm={self.norm_kind!r}, aggregation={self.aggregation!r}")

    def update_nodes(self, x: Tensor, adj_t: Tensor, block_diagonal: bool) -> Tensor:
        """The layer on a checked ``adj_t [B*A, B*A*R]`` (sparse); ``block_diagonal``: no edge
        between samples (allows the dense per-sample aggregation). ``x [B, A, D] -> [B, A, D]``."""
        b, a, d = x.shape
        n, r = b * a, self.num_relations
        flat = x.reshape(n, d)
        own = self.lin_self(flat)
        rel = self.lin_rel(flat).view(n * r, d)  # row j*R + r = V_r x_j (a view, no copy)
        agg = self.propagate(adj_t, x=(rel, None), block=(b, a) if block_diagonal else None)
        out = (own + agg).view(b, a, d)
        if self.norm_kind == "feature":
            out = self.norm(out.reshape(n, d)).view(b, a, d)
        else:
            out = self.norm(out)
        return F.relu(x + out)

    def message(self, x_j: Tensor, edge_weight: Optional[Tensor] = None) -> Tensor:
        """Message of (source, relation) j: ``w_ji V_r x_j`` (unfused path)."""
        return x_j if edge_weight is None else x_j * edge_weight.unsqueeze(-1)

    def message_and_aggregate(self, adj_t: Tensor, x: Tuple[Tensor, Optional[Tensor]],
                              block: Optional[Tuple[int, int]] = None) -> Tensor:
        """``adj_t [N, N*R] @ x[0] [N*R, D] -> [N, D]``; per-sample dense ``bmm`` when ``block = (B, A)``."""
        src = x[0]
        n = adj_t.shape[0]
        if block is None:
            if adj_t.values().numel() == 0:
                return src.new_zeros(n, src.shape[1])
            return spmm(adj_t, src, reduce="sum")
        b, a = block
        width = src.shape[0] // b  # A * R
        (rows, cols), values = to_edge_index(adj_t)
        # Entry (i, c) of sample s = i // A goes to [s, i % A, c - s*A*R]: flat i*A*R + c - s*A*R.
        flat = rows * width + cols - torch.div(rows, a, rounding_mode="floor") * width
        dense = src.new_zeros(b * a * width)
        dense.index_put_((flat,), values.to(src.dtype), accumulate=True)
        return torch.bmm(dense.view(b, a, width), src.view(b, width, -1)).view(n, -1)


