"""AU relation GNN: message passing over a knowledge AU graph, a learned top-k graph, or both.

Source: Luo et al., "Learning Multi-dimensional Edge Feature-based AU Relation Graph for Facial
Action Unit Recognition" (ME-GraphAU, IJCAI-ECAI 2022, arXiv 2205.01782), stage 1 "ANFL"
(AU-specific feature generator + facial graph generator + GNN + similarity classifier);
repository CVI-SZU/ME-GraphAU, ``model/ANFL.py`` (``GNN``, ``Head``) and ``model/graph.py``
(``normalize_digraph``). The ANFL layer is (N AUs, node features X in R^{N x C})::

    S   = X X^T                      (metric "dots"; "cosine" normalises X first; X detached)
    A   = [S_ij >= k-th largest of row i]          (top-k neighbours of each AU, K=4 BP4D, 3 DISFA)
    Â   = D^-1/2 A D^-1/2             (D = row sums of A)
    X'  = ReLU(X + BN_N(Â V(X) + U(X)))            (BN over the node axis, one per AU)
    p_i = cos(x'_i, ReLU(s_i))        (s in R^{N x C} learned AU prototypes; p in [0, 1])

What auknow changes, and why:

* The graph can be the **knowledge graph** compiled from AU knowledge (``auknow.compile``:
  ``to_pyg(graph) -> (edge_index [2, M], edge_weight [M], edge_type [M])``, edge types
  indexing ``auknow.vocabulary.EDGE_KINDS``: 0 co-occurrence, 1 mutually
  exclusive, 2 hierarchy, 3 self loop), the **learned** top-k similarity graph of ANFL, or
  **both**. Each relation (each knowledge edge type, and the learned graph) is normalised on
  its own (R-GCN style: Â_r = D_r^-1/2 A_r D_r^-1/2) and has its own weight matrix V_r
  (``exclusive="separate"``), or all knowledge edges share V_0 and exclusive edges send
  negated messages (``exclusive="signed"``: inhibition). ME-GraphAU has one untyped learned
  relation.
* Implemented on ``torch_geometric.nn.MessagePassing`` over the batch of B graphs of A nodes
  (node ``b * A + i``), with no Python loop over the batch; all V_r are one stacked linear map
  (one GEMM instead of R). ``propagate`` gets the relational adjacency as a sparse
  ``adj_t [B*A, B*A*R]``; the fused ``message_and_aggregate`` sums the messages of all
  relations either as B per-sample dense ``[A, A*R]`` products (``aggregation="dense"``,
  default: ANFL's own ``bmm``, the fastest for tens of AUs) or as one CSR product
  (``"sparse"``); both give the same result.
* Top-k keeps exactly k neighbours per AU (``torch.topk`` indices); ME-GraphAU's ``S >= kth``
  threshold also keeps ties, which only differs when similarities tie exactly.
* For an edge j -> i, Â_ij = w_ij d_i^-1/2 d_j^-1/2 with d the weighted in-degree within the
  relation (ME-GraphAU's row sum). A source node with no in-edges in that relation uses d_j = 1
  (ME-GraphAU's top-k graph never has one; its formula would give inf).
* ``num_layers`` layers (ANFL has 1); the learned graph is rebuilt from each layer's input.
* ``norm``: ``"node"`` is ANFL's BatchNorm1d over the AU axis; ``"feature"`` (BatchNorm over
  channels, shared by all AUs), ``"layer"`` and ``"none"`` are added.
* ``head``: ``"prototype"`` is ANFL's similarity classifier; ``"linear"`` (per-AU logits, use
  with ``BCEWithLogitsLoss``) and ``"none"`` (node features) are added.
"""

from __future__ import annotations

import copy
import math
import warnings
from typing import Any, Optional, Sequence, Tuple, Union

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch_geometric.nn import MessagePassing
from torch_geometric.utils import is_torch_sparse_tensor, spmm, to_edge_index

from ..errors import LabelError
from ..vocabulary import EDGE_KINDS, check_same_order, labels_of, resolve_aus

__all__ = [
    "EDGE_COOCCURRENCE",
    "EDGE_EXCLUSIVE",
    "EDGE_HIERARCHY",
    "EDGE_SELF",
    "NUM_EDGE_TYPES",
    "as_typed_graph",
    "batch_graph",
    "topk_similarity_graph",
    "relation_norm",
    "relation_adjacency",
    "AURelationConv",
    "AURelationGNN",
]

#: Edge type of co-occurrence (positive) relations: ``EDGE_KINDS.index("co-occurrence")``.
EDGE_COOCCURRENCE = EDGE_KINDS.index("co-occurrence")
#: Edge type of mutually exclusive (negative) relations.
EDGE_EXCLUSIVE = EDGE_KINDS.index("exclusive")
#: Edge type of hierarchy relations (e.g. one AU implying another).
EDGE_HIERARCHY = EDGE_KINDS.index("hierarchy")
#: Edge type of self loops that ``auknow.compile.to_pyg(self_loops=True)`` adds.
EDGE_SELF = EDGE_KINDS.index("self")
#: Number of knowledge edge types (``len(auknow.vocabulary.EDGE_KINDS)``).
NUM_EDGE_TYPES = len(EDGE_KINDS)

GraphLike = Union[None, Tensor, Sequence[Optional[Tensor]], Any]
TypedGraph = Tuple[Tensor, Tensor, Tensor]


def _check_x(x: Tensor, num_aus: int, dim: int, what: str = "x") -> None:
    if not isinstance(x, Tensor) or x.dim() != 3:
        shape = tuple(x.shape) if isinstance(x, Tensor) else type(x).__name__
        raise ValueError(f"{what} must be [B, A, D] = [batch, {num_aus} AUs, {dim}], got {shape}")
    if x.shape[1] != num_aus or x.shape[2] != dim:
        raise ValueError(f"{what} must be [B, {num_aus}, {dim}] (batch, AUs, feature dim), got {tuple(x.shape)}")


def as_typed_graph(num_aus: int, graph: GraphLike, device: torch.device | None = None) -> TypedGraph:
    """Bring a knowledge AU graph, sparse or dense, to one canonical typed edge list.

    Args:
        num_aus: A, the number of AU nodes.
        graph: one of

            * ``None``: the empty graph (no edges);
            * ``(edge_index, edge_weight, edge_type)`` as ``auknow.compile.to_pyg`` returns
              (``edge_index [2, M]`` integer, node ids in ``[0, A)``, row 0 = source, row 1 =
              target as in PyG; ``edge_weight [M]`` float or ``None`` = all 1; ``edge_type [M]``
              integer indexing :data:`EDGE_KINDS` (0 co-occurrence, 1 exclusive, 2 hierarchy,
              3 self) or ``None``), or a 1- or 2-tuple prefix;
            * an object with an ``edge_index`` attribute (``torch_geometric.data.Data``) and
              optionally ``edge_weight`` / ``edge_type``;
            * a dense signed adjacency ``[A, A]``: ``adj[j, i]`` is the weight of edge j -> i
              (``torch_geometric.utils.to_dense_adj`` convention); > 0 co-occurrence, < 0 exclusive;
            * a dense typed adjacency ``[R, A, A]`` (R <= 4; ``auknow.compile.dense_adjacency(...,
              by_kind=True)``): channel r holds edges of type r.

            With no edge types, an edge's type is its sign (negative weight = exclusive). With
            types, the type decides and the weight's sign is dropped.
        device: where to put the result (default: where the graph is).

    Returns:
        ``(edge_index [2, M] long, edge_weight [M] float >= 0, edge_type [M] long in [0, 4))``.
        Edges are sorted by (type, target, source); repeated edges (same source, target and
        type) are merged and their weights added; zero entries of a dense input are left out.

    Raises:
        ValueError: wrong shape or dtype, node ids outside ``[0, A)``, edge types outside [0, 4),
            lengths of weight / type not matching M, non-finite weights.
    """
    if graph is None:
        dev = device or torch.device("cpu")
        return (torch.zeros(2, 0, dtype=torch.long, device=dev), torch.zeros(0, device=dev),
                torch.zeros(0, dtype=torch.long, device=dev))
    if isinstance(graph, Tensor):
        if graph.is_floating_point() or graph.dtype == torch.bool:
            return _dense_to_typed(num_aus, graph, device)
        graph = (graph,)  # an integer tensor alone is an edge_index
    if hasattr(graph, "edge_index") and not isinstance(graph, (tuple, list)):
        weight = getattr(graph, "edge_weight", None)
        if weight is None:
            attr = getattr(graph, "edge_attr", None)
            weight = attr.view(-1) if isinstance(attr, Tensor) and attr.numel() == attr.shape[0] else None
        graph = (graph.edge_index, weight, getattr(graph, "edge_type", None))
    if not isinstance(graph, (tuple, list)) or not 1 <= len(graph) <= 3:
        raise ValueError("graph must be None, a dense adjacency [A, A] / [R, A, A], or "
                         "(edge_index [2, M], edge_weight [M], edge_type [M]) as auknow.compile.to_pyg returns")
    edge_index = graph[0]
    edge_weight = graph[1] if len(graph) > 1 else None
    edge_type = graph[2] if len(graph) > 2 else None
    if not isinstance(edge_index, Tensor) or edge_index.dim() != 2 or edge_index.shape[0] != 2:
        shape = tuple(edge_index.shape) if isinstance(edge_index, Tensor) else type(edge_index).__name__
        raise ValueError(f"edge_index must be [2, M] (row 0 source, row 1 target), got {shape}")
    if edge_index.is_floating_point() or edge_index.dtype == torch.bool:
        raise ValueError(f"edge_index must be an integer tensor, got {edge_index.dtype}")
    m = edge_index.shape[1]
    dev = device or edge_index.device
    edge_index = edge_index.to(dev, torch.long)
    if m and (int(edge_index.min()) < 0 or int(edge_index.max()) >= num_aus):
        raise ValueError(f"edge_index holds node ids outside [0, {num_aus}) "
                         f"(min {int(edge_index.min())}, max {int(edge_index.max())})")
    if edge_weight is None:
        edge_weight = torch.ones(m, device=dev)
    else:
        edge_weight = torch.as_tensor(edge_weight)
        if edge_weight.dim() != 1 or edge_weight.shape[0] != m:
            raise ValueError(f"edge_weight must be [M] = [{m}], got {tuple(edge_weight.shape)}")
        edge_weight = edge_weight.to(dev, edge_weight.dtype if edge_weight.is_floating_point()
                                     else torch.get_default_dtype())
        if not torch.isfinite(edge_weight).all():
            raise ValueError("edge_weight holds NaN or infinite values")
    if edge_type is None:
        edge_type = (edge_weight < 0).long()
    else:
        edge_type = torch.as_tensor(edge_type)
        if edge_type.dim() != 1 or edge_type.shape[0] != m:
            raise ValueError(f"edge_type must be [M] = [{m}], got {tuple(edge_type.shape)}")
        if edge_type.is_floating_point():
            raise ValueError(f"edge_type must be an integer tensor (indices into {EDGE_KINDS}), got {edge_type.dtype}")
        edge_type = edge_type.to(dev, torch.long)
        if m and (int(edge_type.min()) < 0 or int(edge_type.max()) >= NUM_EDGE_TYPES):
            raise ValueError(f"edge_type must index {EDGE_KINDS} (0-{NUM_EDGE_TYPES - 1}), got values "
                             f"{sorted(set(edge_type.tolist()))}")
    return _merge_duplicates(num_aus, edge_index, edge_weight.abs(), edge_type)


def _merge_duplicates(num_aus: int, edge_index: Tensor, edge_weight: Tensor, edge_type: Tensor) -> TypedGraph:
    """Sort edges by (type, target, source) and add up the weights of repeated edges."""
    if edge_index.shape[1] == 0:
        return edge_index, edge_weight, edge_type
    key = (edge_type * num_aus + edge_index[1]) * num_aus + edge_index[0]
    uniq, inv = torch.unique(key, sorted=True, return_inverse=True)
    weight = edge_weight.new_zeros(uniq.shape[0]).index_add_(0, inv, edge_weight)
    src = uniq % num_aus
    dst = (uniq // num_aus) % num_aus
    return torch.stack([src, dst]), weight, uniq // (num_aus * num_aus)


def _edge_type_index(e: Union[int, str]) -> int:
    if isinstance(e, str):
        if e not in EDGE_KINDS:
            raise ValueError(f"unknown edge type {e!r} (choose from {', '.join(EDGE_KINDS)})")
        return EDGE_KINDS.index(e)
    if isinstance(e, bool) or not 0 <= int(e) < NUM_EDGE_TYPES:
        raise ValueError(f"edge type {e!r} is not an index of {EDGE_KINDS}")
    return int(e)


def _dense_to_typed(num_aus: int, adj: Tensor, device: torch.device | None) -> TypedGraph:
    adj = adj.to(device or adj.device, adj.dtype if adj.is_floating_point() else torch.get_default_dtype())
    if adj.dim() == 2:
        if tuple(adj.shape) != (num_aus, num_aus):
            raise ValueError(f"dense adjacency must be [A, A] = [{num_aus}, {num_aus}] or "
                             f"[R, {num_aus}, {num_aus}], got {tuple(adj.shape)}")
        if not torch.isfinite(adj).all():
            raise ValueError("dense adjacency holds NaN or infinite values")
        src, dst = adj.nonzero(as_tuple=True)
        w = adj[src, dst]
        return _merge_duplicates(num_aus, torch.stack([src, dst]), w.abs(), (w < 0).long())
    if adj.dim() == 3:
        if adj.shape[0] > NUM_EDGE_TYPES or tuple(adj.shape[1:]) != (num_aus, num_aus):
            raise ValueError(f"typed dense adjacency must be [R, A, A] with R <= {NUM_EDGE_TYPES} and "
                             f"A = {num_aus}, got {tuple(adj.shape)}")
        if not torch.isfinite(adj).all():
            raise ValueError("dense adjacency holds NaN or infinite values")
        rel, src, dst = adj.nonzero(as_tuple=True)
        return _merge_duplicates(num_aus, torch.stack([src, dst]), adj[rel, src, dst].abs(), rel)
    raise ValueError(f"dense adjacency must be [A, A] or [R, A, A], got {tuple(adj.shape)}")


def batch_graph(edge_index: Tensor, num_nodes: int, batch_size: int, *edge_attrs: Tensor) -> tuple:
    """Repeat one graph for every sample of a batch, as ``torch_geometric.data.Batch`` would.

    Sample b's node i becomes node ``b * num_nodes + i``; no Python loop over the batch.

    Args:
        edge_index: ``[2, M]`` long, node ids in ``[0, num_nodes)``.
        num_nodes: nodes per graph (A).
        batch_size: B.
        *edge_attrs: tensors ``[M, ...]`` to repeat along with the edges (weights, types).

    Returns:
        ``(edge_index [2, B*M], *attrs [B*M, ...])``; edges of sample b are the b-th block of M.
    """
    m = edge_index.shape[1]
    offsets = torch.arange(batch_size, device=edge_index.device).mul_(num_nodes).view(1, batch_size, 1)
    out = (edge_index.view(2, 1, m) + offsets).reshape(2, batch_size * m)
    attrs = tuple(a.repeat((batch_size,) + (1,) * (a.dim() - 1)) for a in edge_attrs)
    return (out,) + attrs


def topk_similarity_graph(x: Tensor, k: int, metric: str = "dots") -> Tensor:
    """ME-GraphAU's facial graph generator (FGG): each AU's k most similar AUs, per sample.

    Similarities use ``x.detach()`` (as ANFL): ``"dots"``: S = X X^T; ``"cosine"``: S on
    L2-normalised rows. The AU itself is a candidate (ANFL keeps self-loops the same way).

    Args:
        x: node features ``[B, A, D]``.
        k: neighbours per AU, ``1 <= k <= A``.
        metric: ``"dots"`` or ``"cosine"``.

    Returns:
        ``edge_index [2, B*A*k]`` long over the batched node set (node ``b*A + i``); edge
        ``j -> i`` means j is one of i's top-k (i receives from j). Sorted by target, then source.

    Raises:
        ValueError: x not 3-D, k out of range, unknown metric.
    """
    b, a = x.shape[0], x.shape[1]
    idx = _topk_indices(x, k, metric)  # [B, A, k]
    base = torch.arange(b, device=x.device).mul_(a).view(b, 1, 1)
    src = (idx + base).reshape(-1)
    dst = torch.arange(b * a, device=x.device).repeat_interleave(k)
    return torch.stack([src, dst])


def _topk_indices(x: Tensor, k: int, metric: str) -> Tensor:
    """Per sample and AU, the indices of its k most similar AUs, ascending: ``[B, A, k]``."""
    if x.dim() != 3:
        raise ValueError(f"x must be [B, A, D], got {tuple(x.shape)}")
    a = x.shape[1]
    if not 1 <= k <= a:
        raise ValueError(f"k (neighbours per AU) must be in [1, {a}], got {k}")
    s = x.detach()
    if metric == "cosine":
        s = F.normalize(s, p=2.0, dim=-1)
    elif metric != "dots":
        raise ValueError(f"metric must be 'dots' or 'cosine', got {metric!r}")
    sim = torch.bmm(s, s.transpose(1, 2))
    return sim.topk(k, dim=-1).indices.sort(dim=-1).values


def relation_norm(edge_index: Tensor, edge_weight: Tensor, edge_type: Tensor, num_nodes: int,
                  num_types: int, mode: str = "sym") -> Tensor:
    """Per-relation normalised edge coefficients (ANFL's ``normalize_digraph`` per edge type).

    For an edge j -> i of type r with weight w: ``"sym"``: w / sqrt(d_r(i) d_r(j)),
    ``"mean"``: w / d_r(i), ``"none"``: w; d_r(n) = sum of weights of type-r edges into n
    (a zero d_r(j) of a source counts as 1).

    Args:
        edge_index: ``[2, E]`` long; edge_weight: ``[E]`` >= 0; edge_type: ``[E]`` long in
            ``[0, num_types)``; num_nodes: N; mode: ``"sym"``, ``"mean"`` or ``"none"``.

    Returns:
        coefficients ``[E]``.

    Raises:
        ValueError: unknown mode.
    """
    if mode == "none":
        return edge_weight
    if mode not in ("sym", "mean"):
        raise ValueError(f"normalization must be 'sym', 'mean' or 'none', got {mode!r}")
    src, dst = edge_index[0], edge_index[1]
    deg = torch.zeros(num_nodes * num_types, device=edge_weight.device, dtype=edge_weight.dtype)
    deg.index_add_(0, dst * num_types + edge_type, edge_weight)
    d_dst = deg[dst * num_types + edge_type]
    if mode == "mean":
        return edge_weight / d_dst.clamp_min(1e-12)
    d_src = deg[src * num_types + edge_type]
    d_src = torch.where(d_src > 0, d_src, torch.ones_like(d_src))
    return edge_weight * d_dst.clamp_min(1e-12).rsqrt() * d_src.rsqrt()


def relation_adjacency(edge_index: Tensor, coef: Tensor, slot: Tensor, num_nodes: int,
                       num_relations: int) -> Tensor:
    """The transposed relational adjacency as a sparse CSR matrix ``[N, N * R]``.

    Entry ``(i, j * R + r)`` is the coefficient of edge j -> i in relation r, so that
    ``adj_t @ V`` with ``V[j * R + r] = V_r x_j`` sums the messages into each target (PyG's
    ``adj_t`` convention: rows are targets). Repeated (j, i, r) entries are added.

    Args:
        edge_index: ``[2, E]`` long (row 0 source, row 1 target, ids in ``[0, N)``).
        coef: ``[E]`` float edge coefficients. slot: ``[E]`` long in ``[0, R)``.
        num_nodes: N. num_relations: R.

    Returns:
        ``torch.sparse_csr_tensor`` of shape ``[N, N * R]`` and ``coef``'s dtype.
    """
    nr = num_nodes * num_relations
    dst = edge_index[1]
    key = dst * nr + edge_index[0] * num_relations + slot
    key, order = key.sort()
    uniq, inv = torch.unique_consecutive(key, return_inverse=True)
    values = coef.new_zeros(uniq.shape[0]).index_add_(0, inv, coef[order])
    crow = torch.zeros(num_nodes + 1, dtype=torch.long, device=coef.device)
    crow[1:] = torch.bincount(uniq // nr, minlength=num_nodes).cumsum(0)
    return _csr(crow, uniq % nr, values, (num_nodes, nr))


def _csr(crow: Tensor, col: Tensor, values: Tensor, size: tuple) -> Tensor:
    with warnings.catch_warnings():  # "sparse CSR support is in beta" (once per process)
        warnings.simplefilter("ignore", UserWarning)
        return torch.sparse_csr_tensor(crow, col, values, size, check_invariants=False)


class AURelationConv(MessagePassing):
    """One ANFL GNN layer with typed relations: ``X' = ReLU(X + Norm(U X + sum_r Â_r V_r X))``.

    Shapes:
        ``forward(x, edge_index, edge_weight=None, edge_type=None)`` (torch-geometric's layer
        convention): x ``[B, A, D]``; either ``edge_index [2, E]`` over the batched node set
        (node ``b*A + i``; row 0 source, row 1 target) with ``edge_weight [E]`` normalised edge
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
            edge_weight: ``[E]`` normalised edge coefficients (:func:`relation_norm`); default 1.
            edge_type: ``[E]`` long in ``[0, R)``: the relation (which V_r) of each edge; default 0.
            per_sample: ``True`` when no edge joins two samples (allows the dense per-sample
                aggregation without checking); ``None``: checked from the graph.
        """
        _check_x(x, self.num_aus, self.dim)
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


class AURelationGNN(nn.Module):
    """AU relation GNN (ME-GraphAU ANFL's graph part and classifier) with knowledge graphs.

    Input ``x [B, A, D]``: one feature per AU and sample (e.g. from
    :class:`~auknow.models.AUFeatureGenerator`). Output ``[B, A]``:

    * ``head="prototype"``: cosine similarity of each AU's node feature to a learned AU
      prototype, ``p_i = cos(x'_i, ReLU(s_i))`` in ``[0, 1]`` (ME-GraphAU: threshold 0.5, trained
      with a weighted BCE on p directly, no sigmoid);
    * ``head="linear"``: per-AU logits ``x'_i . w_i + b_i`` (real, for ``BCEWithLogitsLoss``);
    * ``head="none"``: the node features ``[B, A, D]`` (>= 0).

    Graphs (``graph=``): ``"knowledge"`` (fixed, from ``knowledge=``), ``"learned"`` (ANFL's
    top-k similarity graph, rebuilt per sample and layer), or ``"both"`` (relations: the
    knowledge edge types, then the learned graph). ``forward(x, knowledge=...)`` overrides the
    stored knowledge graph for one call (same forms as the constructor, e.g. an ablation
    without edges: ``knowledge=None`` is *not* an override, pass an empty edge list).

    Args:
        aus: the AUs, in the order of ``x``'s axis 1: an AU set name (``"bp4d"``), a list of
            AU names / FACS numbers, or a bare count A >= 1 (anonymous AUs; a labelled
            knowledge graph then names them). ``.aus`` holds the canonical names.
        dim: D >= 1 (ME-GraphAU: 512).
        graph: ``"knowledge"`` | ``"learned"`` | ``"both"``; default ``"knowledge"`` when
            ``knowledge`` is given, else ``"learned"``. ``"learned"`` with ``knowledge`` raises:
            knowledge given is never dropped.
        knowledge: the knowledge graph: the networkx graph of ``auknow.compile.au_graph``
            (put in ``aus`` order by name), ``auknow.compile.to_data(...)`` (its ``.aus`` must
            equal ``aus``), or an unlabelled form :func:`as_typed_graph` takes (``to_pyg``
            triple, dense signed ``[A, A]`` or typed ``[R, A, A]``), taken in ``aus`` order as
            given. Required unless ``graph="learned"``.
        k: top-k neighbours of the learned graph (ME-GraphAU: 4 BP4D, 3 DISFA).
        metric: similarity of the learned graph, ``"dots"`` (ME-GraphAU default) or ``"cosine"``.
        exclusive: ``"separate"``: every knowledge edge type in ``edge_types`` has its own V_r
            (so exclusive edges are learned apart from co-occurrence edges); ``"signed"``: all
            knowledge edges share one V and exclusive edges send negated messages.
        edge_types: the knowledge edge types (indices or names of :data:`EDGE_KINDS`) that get
            a relation; default: the types present in ``knowledge``. A forward-time graph with
            another type raises ValueError.
        num_layers: GNN layers (ANFL: 1).
        norm: see :class:`AURelationConv` (``"node"`` = ANFL).
        normalization: per-relation edge normalisation for the knowledge graph, see
            :func:`relation_norm` (``"sym"`` = ANFL; use ``"none"`` for weights that
            ``to_pyg(normalise=...)`` already normalised). The learned graph always uses 1/k
            (what ANFL's ``normalize_digraph`` gives for exactly k neighbours).
        head: ``"prototype"`` | ``"linear"`` | ``"none"``.
        aggregation: how :class:`AURelationConv`'s fused ``message_and_aggregate`` sums the
            messages: ``"dense"``, B per-sample ``[A, A*R]`` products (fastest for AU graphs);
            ``"sparse"``, one CSR product over the batch. Same result.

    Raises:
        ValueError: bad argument values or graph shapes; at forward, x not ``[B, A, D]``.
        LabelError: a labelled knowledge graph (or, at ``load_state_dict``, a saved state) in
            another AU order; an edge type of a loaded graph without a relation here raises
            ValueError instead of being routed to another relation.

    ``state_dict`` carries the graph (``edge_index``, ``edge_weight``, ``edge_type``) and, as
    extra state, the AU order; both are checked on load. The stored graph's normalised
    adjacency is built once per batch size, device and dtype, not at every forward.

    >>> import torch
    >>> from auknow.compile import au_graph
    >>> g = au_graph("fig2002", aus="bp4d")
    >>> gnn = AURelationGNN("bp4d", 16, knowledge=g, head="linear")
    >>> gnn.graph, gnn(torch.rand(2, 12, 16)).shape
    ('knowledge', torch.Size([2, 12]))

    A relation whose edges are absent in a forward call gets no gradient from it. The module
    is equivariant to relabelling the AUs: ``m.permute_aus(p)(x[:, p]) == m(x)[:, p]`` (with
    the graph relabelled the same way).
    """

    def __init__(self, aus: Union[int, str, Sequence[Union[int, str]]], dim: int, graph: Optional[str] = None,
                 knowledge: GraphLike = None, k: int = 4, metric: str = "dots", exclusive: str = "separate",
                 edge_types: Optional[Sequence[Union[int, str]]] = None, num_layers: int = 1,
                 norm: str = "node", normalization: str = "sym", head: str = "prototype",
                 aggregation: str = "dense"):
        super().__init__()
        if isinstance(aus, bool) or (isinstance(aus, int) and aus < 1):
            raise LabelError(f"aus must be a count >= 1, an AU set name or a list of AUs, got {aus!r}")
        names = None if isinstance(aus, int) else resolve_aus(aus)
        num_aus = aus if isinstance(aus, int) else len(names)
        if graph is None:  # knowledge given is used, never dropped
            graph = "learned" if knowledge is None else "knowledge"
        if dim < 1 or num_layers < 1:
            raise ValueError(f"dim and num_layers must be >= 1, got {dim}, {num_layers}")
        if graph not in ("knowledge", "learned", "both"):
            raise ValueError(f"graph must be 'knowledge', 'learned' or 'both', got {graph!r}")
        if graph == "learned" and knowledge is not None:
            raise ValueError("knowledge was given but graph='learned' would ignore it: use graph='knowledge' "
                             "or 'both' (or leave graph unset), or drop knowledge=")
        if exclusive not in ("separate", "signed"):
            raise ValueError(f"exclusive must be 'separate' or 'signed', got {exclusive!r}")
        if metric not in ("dots", "cosine"):
            raise ValueError(f"metric must be 'dots' or 'cosine', got {metric!r}")
        if normalization not in ("sym", "mean", "none"):
            raise ValueError(f"normalization must be 'sym', 'mean' or 'none', got {normalization!r}")
        if head not in ("prototype", "linear", "none"):
            raise ValueError(f"head must be 'prototype', 'linear' or 'none', got {head!r}")
        if aggregation not in ("dense", "sparse"):
            raise ValueError(f"aggregation must be 'dense' or 'sparse', got {aggregation!r}")
        self.aggregation = aggregation
        self.num_aus, self.dim, self.graph, self.k, self.metric = num_aus, dim, graph, k, metric
        self.aus: Optional[Tuple[str, ...]] = names
        self.exclusive, self.normalization, self.head_kind = exclusive, normalization, head
        self.use_knowledge = graph in ("knowledge", "both")
        self.use_learned = graph in ("learned", "both")
        if self.use_learned and not 1 <= k <= num_aus:
            raise ValueError(f"k (neighbours per AU) must be in [1, {num_aus}], got {k}")
        if self.use_knowledge and knowledge is None:
            raise ValueError(f"graph={graph!r} needs a knowledge graph (knowledge=auknow.compile.au_graph(...), "
                             "to_data(...), the to_pyg triple or a dense [A, A] adjacency)")
        ei, w, t = self._typed(knowledge if self.use_knowledge else None, adopt=True)
        # Weight slots: one per knowledge edge type ("separate") or one shared ("signed"), then
        # the learned graph. type_slot[type] = slot, -1 for a type without a relation.
        type_slot = torch.full((NUM_EDGE_TYPES,), -1, dtype=torch.long)
        n_slots = 0
        if self.use_knowledge:
            types = sorted(set(t.tolist()) or {EDGE_COOCCURRENCE}) if edge_types is None else \
                sorted({_edge_type_index(e) for e in edge_types})
            if not types:
                raise ValueError("edge_types is empty")
            missing = sorted(set(t.tolist()) - set(types))
            if missing:
                raise ValueError(f"the knowledge graph holds edge types {[EDGE_KINDS[i] for i in missing]} "
                                 f"that edge_types={list(edge_types)} leaves out")
            if exclusive == "separate":
                type_slot[types] = torch.arange(len(types))
                n_slots = len(types)
            else:
                type_slot[types] = 0
                n_slots = 1
        self.learned_slot = n_slots if self.use_learned else -1
        n_slots += int(self.use_learned)
        self.num_relations = n_slots
        self.register_buffer("type_slot", type_slot, persistent=False)
        self.register_buffer("edge_index", ei, persistent=True)
        self.register_buffer("edge_weight", w, persistent=True)
        self.register_buffer("edge_type", t, persistent=True)
        # The stored graph's normalised coefficients and relation slots: computed once, rebuilt
        # when the graph changes (load_state_dict, permute_aus), moved by .to() as buffers.
        self.register_buffer("_coef", torch.zeros(0), persistent=False)
        self.register_buffer("_slot", torch.zeros(0, dtype=torch.long), persistent=False)
        self._adj_cache: dict = {}
        self.layers = nn.ModuleList(AURelationConv(dim, num_aus, n_slots, norm, aggregation)
                                    for _ in range(num_layers))
        if head == "prototype":
            self.prototypes = nn.Parameter(torch.empty(num_aus, dim))
        elif head == "linear":
            self.weight = nn.Parameter(torch.empty(num_aus, dim))
            self.bias = nn.Parameter(torch.zeros(num_aus))
        self._reset_head()  # the layers initialised themselves
        self._refresh_knowledge()
        self.register_load_state_dict_post_hook(lambda module, incompatible: module._refresh_knowledge())

    def reset_parameters(self) -> None:
        """Re-initialise every layer and the head (ANFL's init; prototypes Xavier-uniform)."""
        for layer in self.layers:
            layer.reset_parameters()
        self._reset_head()

    def _reset_head(self) -> None:
        if self.head_kind == "prototype":
            nn.init.xavier_uniform_(self.prototypes)
        elif self.head_kind == "linear":
            nn.init.uniform_(self.weight, -1.0 / math.sqrt(self.dim), 1.0 / math.sqrt(self.dim))
            nn.init.zeros_(self.bias)

    # -- labels ------------------------------------------------------------------------------
    def _typed(self, graph: GraphLike, adopt: bool = False, device: Optional[torch.device] = None) -> TypedGraph:
        """The canonical typed edge list of a knowledge graph in this module's AU order.

        A networkx graph (``auknow.compile.au_graph``) is put in the module's AU order by name;
        a ``Data`` carrying ``aus`` (``auknow.compile.to_data``) must be in that order already;
        an unlabelled edge list or dense adjacency is taken as given. A module built with a bare
        count adopts the graph's AU names (``adopt``).
        """
        given = None
        if graph is not None and hasattr(graph, "nodes") and hasattr(graph, "graph") and \
                not isinstance(graph, (tuple, list, Tensor)):
            from ..compile.graph import to_pyg  # networkx graph -> edge list by AU name

            given = labels_of(graph, "aus")
            order = self.aus if self.aus is not None else given
            if self.aus is None and len(given) != self.num_aus:
                raise LabelError(f"the knowledge graph has {len(given)} AUs ({','.join(given)}), this GNN {self.num_aus}")
            graph = to_pyg(graph, aus=list(order), device=device)
            given = tuple(order)
        elif graph is not None and not isinstance(graph, (tuple, list, Tensor)):
            given = labels_of(graph, "aus")
            check_same_order(self.aus, given, kind="aus", what="the knowledge graph")
        if given is not None and self.aus is None:
            if len(given) != self.num_aus:
                raise LabelError(f"the knowledge graph has {len(given)} AUs ({','.join(given)}), this GNN {self.num_aus}")
            if adopt:
                self.aus = tuple(given)
        return as_typed_graph(self.num_aus, graph, device=device)

    def get_extra_state(self) -> dict:
        """Saved with ``state_dict``: the AU order and the edge kinds the edge types index."""
        return {"aus": list(self.aus) if self.aus is not None else None, "edge_kinds": list(EDGE_KINDS)}

    def set_extra_state(self, state: dict) -> None:
        """Check a loaded state's AU order and edge kinds against this module's (LabelError)."""
        if not isinstance(state, dict):
            return
        saved = tuple(state["aus"]) if state.get("aus") is not None else None
        check_same_order(self.aus, saved, kind="aus", what="the loaded state")
        kinds = state.get("edge_kinds")
        if kinds is not None and tuple(kinds) != EDGE_KINDS:
            raise LabelError(f"the loaded state indexes edge kinds {kinds}, this version {list(EDGE_KINDS)}")

    def _refresh_knowledge(self) -> None:
        """Check the stored graph's edge types against the relations and cache its coefficients."""
        self._adj_cache = {}
        t = self.edge_type
        if not self.use_knowledge:
            if t.numel():
                raise ValueError("this GNN uses graph='learned' but the loaded state holds knowledge edges")
            return
        slot = self.type_slot.to(t.device)[t]
        if t.numel() and bool((slot < 0).any()):
            bad = sorted({EDGE_KINDS[i] for i in t[slot < 0].tolist()})
            raise ValueError(f"the knowledge graph holds edge types {bad} without a relation in this GNN "
                             f"(built for {[EDGE_KINDS[i] for i in range(NUM_EDGE_TYPES) if self.type_slot[i] >= 0]}); "
                             "build the GNN with edge_types=... covering them")
        coef = relation_norm(self.edge_index, self.edge_weight, t, self.num_aus, NUM_EDGE_TYPES, self.normalization)
        if self.exclusive == "signed":
            coef = torch.where(t == EDGE_EXCLUSIVE, -coef, coef)
        self._coef, self._slot = coef, slot

    def _load_from_state_dict(self, state_dict, prefix, *args, **kwargs):
        # A knowledge graph is data: a saved graph of another size replaces the stored one (its
        # edge types are then checked against the relations by the post hook).
        for name in ("edge_index", "edge_weight", "edge_type"):
            saved, own = state_dict.get(prefix + name), getattr(self, name)
            if isinstance(saved, Tensor) and saved.shape != own.shape:
                setattr(self, name, torch.empty(saved.shape, dtype=own.dtype, device=own.device))
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)

    def __getstate__(self):  # copy.deepcopy / pickle: the cached sparse adjacencies are rebuilt
        state = self.__dict__.copy()
        state["_adj_cache"] = {}
        return state

    def _apply(self, fn, *args, **kwargs):  # .to() / .cuda() / .half(): cached adjacencies are stale
        out = super()._apply(fn, *args, **kwargs)
        self._refresh_knowledge()  # coefficients in the new dtype, from the converted weights
        return out

    # -- graph assembly ---------------------------------------------------------------------
    def _knowledge_edges(self, batch: int, graph: GraphLike, device: torch.device):
        if graph is None:
            return batch_graph(self.edge_index, self.num_aus, batch, self._coef, self._slot)
        ei, w, t = self._typed(graph, device=device)
        slot = self.type_slot.to(device)[t]
        if t.numel() and bool((slot < 0).any()):
            bad = sorted({EDGE_KINDS[i] for i in t[slot < 0].tolist()})
            raise ValueError(f"the knowledge graph holds edge types {bad} without a relation in this GNN "
                             f"(built for {[EDGE_KINDS[i] for i in range(NUM_EDGE_TYPES) if self.type_slot[i] >= 0]})")
        coef = relation_norm(ei, w.to(device), t, self.num_aus, NUM_EDGE_TYPES, self.normalization)
        if self.exclusive == "signed":
            coef = torch.where(t == EDGE_EXCLUSIVE, -coef, coef)
        return batch_graph(ei, self.num_aus, batch, coef, slot)

    def _fixed_adjacency(self, b: int, x: Tensor) -> Tensor:
        """The stored knowledge graph's ``adj_t`` for batch size b, built once per (b, device, dtype)."""
        key = (b, x.device, x.dtype)
        adj_t = self._adj_cache.get(key)
        if adj_t is None:
            k_ei, k_coef, k_slot = self._knowledge_edges(b, None, x.device)
            adj_t = relation_adjacency(k_ei, k_coef.to(x.dtype), k_slot, b * self.num_aus, self.num_relations)
            if len(self._adj_cache) >= 8:
                self._adj_cache.clear()
            self._adj_cache[key] = adj_t
        return adj_t

    def forward(self, x: Tensor, knowledge: GraphLike = None) -> Tensor:
        """Scores ``[B, A]`` (or node features ``[B, A, D]`` with ``head="none"``).

        Args:
            x: ``[B, A, D]`` float, AUs in this module's order (``.aus``).
            knowledge: optional knowledge graph for this call (any form the constructor takes;
                a labelled one must match ``.aus``).

        Raises:
            ValueError: x not ``[B, A, D]``; a malformed knowledge graph.
            LabelError: a labelled knowledge graph in another AU order.
        """
        _check_x(x, self.num_aus, self.dim)
        b, a = x.shape[0], self.num_aus
        n, r = b * a, self.num_relations
        if knowledge is not None and not self.use_knowledge:
            raise ValueError(f"a knowledge graph was given but this GNN uses graph={self.graph!r}")
        if self.use_knowledge:
            if knowledge is None and not self.use_learned:
                adj_t = self._fixed_adjacency(b, x)  # fixed: the same for every layer and call
            else:
                k_ei, k_coef, k_slot = self._knowledge_edges(b, knowledge, x.device)
                k_coef = k_coef.to(x.dtype)
                if not self.use_learned:
                    adj_t = relation_adjacency(k_ei, k_coef, k_slot, n, r)
        for layer in self.layers:
            if self.use_learned:
                idx = _topk_indices(x, self.k, self.metric)  # [B, A, k], ascending
                base = torch.arange(b, device=x.device).mul_(a).view(b, 1, 1)
                col = (idx + base).reshape(-1) * r + self.learned_slot
                if self.use_knowledge:
                    l_ei = torch.stack([col // r, torch.arange(n, device=x.device).repeat_interleave(self.k)])
                    adj_t = relation_adjacency(
                        torch.cat([k_ei, l_ei], 1),
                        torch.cat([k_coef, x.new_full((l_ei.shape[1],), 1.0 / self.k)]),
                        torch.cat([k_slot, torch.full_like(col, self.learned_slot)]), n, r)
                else:  # exactly k sorted entries per target row: build the CSR directly
                    crow = torch.arange(0, n * self.k + 1, self.k, device=x.device)
                    adj_t = _csr(crow, col, x.new_full((col.shape[0],), 1.0 / self.k), (n, n * r))
            x = layer(x, adj_t, per_sample=True)  # every graph here is per sample
        return self.head(x)

    def head(self, x: Tensor) -> Tensor:
        """Apply the output head to node features ``[B, A, D]`` (see the class docstring)."""
        if self.head_kind == "prototype":
            proto = F.normalize(F.relu(self.prototypes), p=2.0, dim=-1)
            return (F.normalize(x, p=2.0, dim=-1) * proto).sum(-1)
        if self.head_kind == "linear":
            return (x * self.weight).sum(-1) + self.bias
        return x

    # -- relabelling -------------------------------------------------------------------------
    def permute_aus(self, perm: Sequence[int] | Tensor) -> "AURelationGNN":
        """A copy whose AU i is this module's AU ``perm[i]`` (graph and per-AU parameters moved).

        ``m.permute_aus(perm)(x[:, perm]) == m(x)[:, perm]``; use it to reorder a trained
        model to another dataset's AU order.

        Raises:
            ValueError: perm is not a permutation of ``range(A)``.
        """
        perm = torch.as_tensor(perm, dtype=torch.long, device="cpu").view(-1)
        if perm.numel() != self.num_aus or not torch.equal(perm.sort().values, torch.arange(self.num_aus)):
            raise ValueError(f"perm must be a permutation of range({self.num_aus}), got {perm.tolist()}")
        new = copy.deepcopy(self)
        inv = torch.empty_like(perm)
        inv[perm] = torch.arange(self.num_aus)
        dev = self.edge_index.device
        new.edge_index = inv.to(dev)[self.edge_index]
        if self.aus is not None:
            new.aus = tuple(self.aus[i] for i in perm.tolist())
        new._refresh_knowledge()
        p = perm.to(dev)
        with torch.no_grad():
            for layer in new.layers:
                if layer.norm_kind == "node":
                    for name in ("weight", "bias", "running_mean", "running_var"):
                        t = getattr(layer.norm, name)
                        if t is not None:
                            t.copy_(t[p.to(t.device)])
            for name in ("prototypes", "weight", "bias"):
                t = getattr(new, name, None)
                if isinstance(t, nn.Parameter):
                    t.copy_(t[p.to(t.device)])
        return new

    def extra_repr(self) -> str:  # noqa: D102
        aus = f"aus={','.join(self.aus)}, " if self.aus is not None else ""
        return (f"{aus}num_aus={self.num_aus}, dim={self.dim}, graph={self.graph!r}, k={self.k}, "
                f"metric={self.metric!r}, exclusive={self.exclusive!r}, head={self.head_kind!r}, "
                f"knowledge_edges={self.edge_index.shape[1]}")
