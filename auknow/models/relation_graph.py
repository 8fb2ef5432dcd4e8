"""Typed AU graphs for :class:`~auknow.models.AURelationGNN`: one canonical edge list from any
graph form, batching, ME-GraphAU's top-k similarity graph, per-relation normalization and the
relational sparse adjacency.

Edge types index :data:`auknow.vocabulary.EDGE_KINDS` (0 co-occurrence, 1 exclusive,
2 hierarchy, 3 self). Sources and formulas: :mod:`auknow.models.relation_gnn`.
"""

from __future__ import annotations

import warnings
from typing import Any, Optional, Sequence, Tuple, Union

import torch
import torch.nn.functional as F
from torch import Tensor

from ..vocabulary import EDGE_KINDS


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


def check_node_features(x: Tensor, num_aus: int, dim: int, what: str = "x") -> None:
    """Check that ``x`` is a node-feature tensor ``[B, num_aus, dim]`` (batch, AUs, feature dim).

    Raises:
        ValueError: ``x`` is not a 3-D tensor, or its AU / feature size differs; the message
            (starting with ``what``) gives the expected and the actual shape.

    >>> check_node_features(torch.zeros(2, 3, 4), num_aus=3, dim=4)  # fine: no error
    >>> try:
    ...     check_node_features(torch.zeros(2, 3, 4), num_aus=3, dim=8)
    ... except ValueError as err:
    ...     print(err)
    x must be [B, 3, 8] (batch, AUs, feature dim), got (2, 3, 4)
    """
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

    >>> as_typed_graph(3, (torch.tensor([[0], [1]]), None, None))   # one edge 0 -> 1, weight 1, type 0
    (tensor([[0],
            [1]]), tensor([1.]), tensor([0]))
    """
    if graph is None:
        dev = device or torch.device("cpu")
        return (torch.zeros(2, 0, dtype=torch.long, device=dev), torch.zeros(0, device=dev),
                torch.zeros(0, dtype=torch.long, device=dev))
    if isinstance(graph, Tensor):
        if graph.is_floating_point() or graph.dtype == torch.bool:
            return _dense_to_typed(num_aus, graph, device)
        graph = (graph,)  # an integer tensor alone is an edge_index
    edge_index, edge_weight, edge_type = _edge_list_parts(graph)
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
    edge_weight = _checked_edge_weight(edge_weight, m, dev)
    edge_type = (edge_weight < 0).long() if edge_type is None else _checked_edge_type(edge_type, m, dev)
    return _merge_duplicates(num_aus, edge_index, edge_weight.abs(), edge_type)


def _edge_list_parts(graph) -> tuple:
    """``(edge_index, edge_weight or None, edge_type or None)`` of a ``Data``-like object or a 1- to 3-tuple."""
    if hasattr(graph, "edge_index") and not isinstance(graph, (tuple, list)):
        weight = getattr(graph, "edge_weight", None)
        if weight is None:
            attr = getattr(graph, "edge_attr", None)
            weight = attr.view(-1) if isinstance(attr, Tensor) and attr.numel() == attr.shape[0] else None
        graph = (graph.edge_index, weight, getattr(graph, "edge_type", None))
    if not isinstance(graph, (tuple, list)) or not 1 <= len(graph) <= 3:
        raise ValueError("graph must be None, a dense adjacency [A, A] / [R, A, A], or "
                         "(edge_index [2, M], edge_weight [M], edge_type [M]) as auknow.compile.to_pyg returns")
    return graph[0], graph[1] if len(graph) > 1 else None, graph[2] if len(graph) > 2 else None


def _checked_edge_weight(edge_weight, m: int, dev: torch.device) -> Tensor:
    """``[M]`` finite float weights on ``dev`` (None: all 1; an integer tensor becomes the default float dtype)."""
    if edge_weight is None:
        return torch.ones(m, device=dev)
    edge_weight = torch.as_tensor(edge_weight)
    if edge_weight.dim() != 1 or edge_weight.shape[0] != m:
        raise ValueError(f"edge_weight must be [M] = [{m}], got {tuple(edge_weight.shape)}")
    edge_weight = edge_weight.to(dev, edge_weight.dtype if edge_weight.is_floating_point()
                                 else torch.get_default_dtype())
    if not torch.isfinite(edge_weight).all():
        raise ValueError("edge_weight holds NaN or infinite values")
    return edge_weight


def _checked_edge_type(edge_type, m: int, dev: torch.device) -> Tensor:
    """``[M]`` long edge types on ``dev``, each indexing :data:`EDGE_KINDS`."""
    edge_type = torch.as_tensor(edge_type)
    if edge_type.dim() != 1 or edge_type.shape[0] != m:
        raise ValueError(f"edge_type must be [M] = [{m}], got {tuple(edge_type.shape)}")
    if edge_type.is_floating_point():
        raise ValueError(f"edge_type must be an integer tensor (indices into {EDGE_KINDS}), got {edge_type.dtype}")
    edge_type = edge_type.to(dev, torch.long)
    if m and (int(edge_type.min()) < 0 or int(edge_type.max()) >= NUM_EDGE_TYPES):
        raise ValueError(f"edge_type must index {EDGE_KINDS} (0-{NUM_EDGE_TYPES - 1}), got values "
                         f"{sorted(set(edge_type.tolist()))}")
    return edge_type


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


def edge_type_index(e: Union[int, str]) -> int:
    """The index of an edge type in :data:`auknow.vocabulary.EDGE_KINDS`, from its name
    (``"exclusive"``) or an index (checked to be in ``[0, NUM_EDGE_TYPES)``).

    Raises:
        ValueError: an unknown name (the message lists the kinds) or an index out of range
            (``True`` / ``False`` are not indices).

    >>> edge_type_index("exclusive"), edge_type_index(2)
    (1, 2)
    >>> try:
    ...     edge_type_index("friend")
    ... except ValueError as err:
    ...     print(err)
    unknown edge type 'friend' (choose from co-occurrence, exclusive, hierarchy, self)
    """
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

    >>> batch_graph(torch.tensor([[0], [1]]), 3, 2)                 # sample 1's nodes are 3, 4, 5
    (tensor([[0, 3],
            [1, 4]]),)
    """
    m = edge_index.shape[1]
    offsets = torch.arange(batch_size, device=edge_index.device).mul_(num_nodes).view(1, batch_size, 1)
    out = (edge_index.view(2, 1, m) + offsets).reshape(2, batch_size * m)
    attrs = tuple(a.repeat((batch_size,) + (1,) * (a.dim() - 1)) for a in edge_attrs)
    return (out,) + attrs


def topk_similarity_graph(x: Tensor, k: int, metric: str = "dots") -> Tensor:
    """ME-GraphAU's facial graph generator (FGG): each AU's k most similar AUs, per sample.

    Similarities use ``x.detach()`` (as ANFL): ``"dots"``: S = X X^T; ``"cosine"``: S on
    L2-normalized rows. The AU itself is a candidate (ANFL keeps self-loops the same way).

    Args:
        x: node features ``[B, A, D]``.
        k: neighbours per AU, ``1 <= k <= A``.
        metric: ``"dots"`` or ``"cosine"``.

    Returns:
        ``edge_index [2, B*A*k]`` long over the batched node set (node ``b*A + i``); edge
        ``j -> i`` means j is one of i's top-k (i receives from j). Sorted by target, then source.

    Raises:
        ValueError: x not 3-D, k out of range, unknown metric.

    >>> topk_similarity_graph(torch.eye(3).unsqueeze(0), k=1)       # orthogonal AUs: each its own top-1
    tensor([[0, 1, 2],
            [0, 1, 2]])
    """
    b, a = x.shape[0], x.shape[1]
    idx = topk_similar_aus(x, k, metric)  # [B, A, k]
    base = torch.arange(b, device=x.device).mul_(a).view(b, 1, 1)
    src = (idx + base).reshape(-1)
    dst = torch.arange(b * a, device=x.device).repeat_interleave(k)
    return torch.stack([src, dst])


def topk_similar_aus(x: Tensor, k: int, metric: str) -> Tensor:
    """Per sample and AU, the indices of its k most similar AUs, ascending: ``[B, A, k]`` long.

    ``x``: node features ``[B, A, D]`` (detached for the similarity); ``k`` in ``[1, A]``;
    ``metric``: ``"dots"`` (S = X X^T) or ``"cosine"``. See :func:`topk_similarity_graph`.

    Raises:
        ValueError: x not 3-D, k out of range, unknown metric.

    >>> x = torch.tensor([[[1.0, 0.0], [0.9, 0.1], [0.0, 1.0]]])  # AU 0 and 1 alike, AU 2 apart
    >>> topk_similar_aus(x, 2, "cosine")
    tensor([[[0, 1],
             [0, 1],
             [1, 2]]])
    """
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
    """Per-relation normalized edge coefficients (ANFL's ``normalize_digraph`` per edge type).

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

    >>> edge_index = torch.tensor([[0, 1, 2], [2, 2, 0]])
    >>> relation_norm(edge_index, torch.ones(3), torch.zeros(3, dtype=torch.long), 3, 1)   # 1 / sqrt(2 * 1)
    tensor([0.7071, 0.7071, 0.7071])
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

    >>> adj_t = relation_adjacency(torch.tensor([[0], [1]]), torch.tensor([0.5]), torch.tensor([0]), 2, 1)
    >>> adj_t.to_dense()                                          # row: target 1, column: source 0
    tensor([[0.0000, 0.0000],
            [0.5000, 0.0000]])
    """
    nr = num_nodes * num_relations
    dst = edge_index[1]
    key = dst * nr + edge_index[0] * num_relations + slot
    key, order = key.sort()
    uniq, inv = torch.unique_consecutive(key, return_inverse=True)
    values = coef.new_zeros(uniq.shape[0]).index_add_(0, inv, coef[order])
    crow = torch.zeros(num_nodes + 1, dtype=torch.long, device=coef.device)
    crow[1:] = torch.bincount(uniq // nr, minlength=num_nodes).cumsum(0)
    return sparse_csr(crow, uniq % nr, values, (num_nodes, nr))


def sparse_csr(crow: Tensor, col: Tensor, values: Tensor, size: tuple) -> Tensor:
    """``torch.sparse_csr_tensor(crow, col, values, size)`` without torch's "CSR support is in
    beta" warning and without re-checking the invariants (the callers build valid ones).

    Args:
        crow: ``[rows + 1]`` long row offsets; col: ``[nnz]`` long column ids; values: ``[nnz]``;
            size: ``(rows, columns)``.

    >>> m = sparse_csr(torch.tensor([0, 1, 2]), torch.tensor([1, 0]), torch.tensor([2.0, 3.0]), (2, 2))
    >>> m.layout, m.to_dense().tolist()
    (torch.sparse_csr, [[0.0, 2.0], [3.0, 0.0]])
    """
    with warnings.catch_warnings():  # "sparse CSR support is in beta" (once per process)
        warnings.simplefilter("ignore", UserWarning)
        return torch.sparse_csr_tensor(crow, col, values, size, check_invariants=False)

