"""AU graphs in torch-geometric form: :func:`to_pyg` / :func:`to_data` (``edge_index [2, M]``,
``edge_weight [M]``, ``edge_type [M]`` indexing :data:`auknow.vocabulary.EDGE_KINDS`, in a
chosen AU order, with optional self loops and GCN / row normalization), :func:`from_pyg` (the
inverse), :func:`dense_adjacency`, and the expression-AU bipartite graph of a prior matrix.
The networkx graphs themselves are built by :mod:`auknow.compile.graph`.
"""

from __future__ import annotations

import math
from typing import Iterable, Sequence

import networkx as nx
import numpy as np

from ..facs import au_number
from ..vocabulary import EDGE_KINDS  # noqa: F401 (edge_type indexes it; re-exported)
from ._common import resolve_aus

#: Columns of ``Data.edge_stats`` (float64, NaN where absent): the lossless edge record.
from .graph import EDGE_STATS, NORMALISATIONS, GraphError, au_node_attributes


# --- torch-geometric form -----------------------------------------------------------------------

def _node_order(graph, aus) -> tuple[str, ...]:
    order = resolve_aus(aus)
    if order is None:
        return tuple(graph.nodes)
    missing = [a for a in graph.nodes if a not in order and graph.degree(a) > 0]
    if missing:
        raise GraphError(f"aus: the graph has edges at {', '.join(missing)}, which the AU order leaves out "
                         "(add them, or build the graph with aus=... to drop those edges)")
    return order


def _arcs(graph, order: Sequence[str], kinds) -> list[tuple[int, int, str, dict]]:
    index = {a: i for i, a in enumerate(order)}
    kinds = EDGE_KINDS[:3] if kinds is None else tuple(kinds)
    for k in kinds:
        if k not in EDGE_KINDS[:3]:
            raise GraphError(f"kinds: '{k}' is not one of {', '.join(EDGE_KINDS[:3])}")
    out = []
    for u, v, k, d in graph.edges(keys=True, data=True):
        kind = d.get("kind", k)
        if kind not in kinds:
            continue
        out.append((index[u], index[v], kind, d))
        if not graph.is_directed() and u != v:
            out.append((index[v], index[u], kind, d))
    kind_index = {k: i for i, k in enumerate(EDGE_KINDS)}
    out.sort(key=lambda x: (x[0], x[1], kind_index[x[2]]))
    return out


def to_pyg(graph, aus=None, *, kinds: Iterable[str] | None = None, signed: bool = False,
           self_loops: bool | None = None, self_loop_weight: float = 1.0, normalize: str | None = None,
           dtype=None, device=None):
    r"""torch-geometric form of an AU graph: ``(edge_index, edge_weight, edge_type)``.

    Every undirected edge becomes two arcs ``i->j`` and ``j->i`` (torch-geometric's convention);
    arcs are sorted by (source, target, kind).

    Args:
        graph: a graph from :func:`au_graph` (or :func:`from_pyg`).
        aus: node order (names, comma list or AU set); default the graph's node order. It
            must include every AU with an edge; extra AUs become isolated nodes.
        kinds: edge kinds to include (default all).
        signed: exclusive edges get weight :math:`-|w|` (evidence against co-activation).
        self_loops: add a self loop of weight ``self_loop_weight`` (kind ``self``) at every node
            that has none (``torch_geometric.utils.add_remaining_self_loops``). Default: only
            with ``normalize="gcn"``.
        normalize: ``None``; ``"gcn"``: :math:`\hat w_{ij} = w_{ij} / \sqrt{d_i d_j}`,
            :math:`d_j = \sum_i w_{ij}` (torch-geometric's ``gcn_norm``, i.e.
            :math:`\hat D^{-1/2} \hat A \hat D^{-1/2}` with :math:`\hat A = A + I` when self loops
            are on; Kipf & Welling 2017, "Semi-supervised classification with graph convolutional
            networks", eq. 2); ``"row"``: :math:`w_{ij} / \sum_{k} w_{ik}` (random-walk :math:`D^{-1}A`).
            Both need non-negative weights.
        dtype, device: of ``edge_weight`` (default ``torch.float32``, CPU).

    Returns:
        ``edge_index`` ``[2, M]`` long (row 0 source, row 1 target, indices into ``aus``),
        ``edge_weight`` ``[M]`` float, ``edge_type`` ``[M]`` long (indices into :data:`EDGE_KINDS`).

    Raises:
        GraphError: unknown kind / normalization, negative weights with a normalization, an AU
            order that leaves out an AU with edges.

    >>> from auknow.compile import au_graph
    >>> g = au_graph("fig2002", aus=["AU01", "AU02", "AU05", "AU26", "AU27"])
    >>> edge_index, edge_weight, edge_type = to_pyg(g)    # 10 edges, both arcs each
    >>> edge_index.shape, edge_weight.shape, edge_type.shape
    (torch.Size([2, 20]), torch.Size([20]), torch.Size([20]))
    """
    ei, ew, et, _, _ = _pyg_parts(graph, aus, kinds=kinds, signed=signed, self_loops=self_loops,
                                  self_loop_weight=self_loop_weight, normalize=normalize, dtype=dtype, device=device)
    return ei, ew, et


def _pyg_parts(graph, aus, *, kinds, signed, self_loops, self_loop_weight, normalize, dtype, device):
    import torch
    from torch_geometric.utils import add_remaining_self_loops

    dtype = torch.float32 if dtype is None else dtype
    order = _node_order(graph, aus)
    A = len(order)
    arcs = _arcs(graph, order, kinds)
    kind_index = {k: i for i, k in enumerate(EDGE_KINDS)}
    edge_index = torch.tensor([[a[0] for a in arcs], [a[1] for a in arcs]], dtype=torch.long).reshape(2, len(arcs))
    weights = [(-abs(d["weight"]) if signed and kind == "exclusive" else d["weight"]) for _, _, kind, d in arcs]
    edge_weight = torch.tensor(weights, dtype=torch.float64)
    edge_type = torch.tensor([kind_index[a[2]] for a in arcs], dtype=torch.long)
    stats = torch.full((len(arcs), len(EDGE_STATS)), float("nan"), dtype=torch.float64)
    for m, (_, _, _, d) in enumerate(arcs):
        for c, name in enumerate(EDGE_STATS):
            if d.get(name) is not None:
                stats[m, c] = float(d[name])
    directed_flags = torch.tensor([bool(d.get("directed", graph.is_directed())) for *_, d in arcs], dtype=torch.bool)
    if normalize is not None and normalize not in NORMALISATIONS:
        raise GraphError(f"normalize: '{normalize}' is not one of {', '.join(NORMALISATIONS)} (or None)")
    if self_loops is None:
        self_loops = normalize == "gcn"
    if self_loops:
        M = edge_index.size(1)
        edge_index, edge_weight = add_remaining_self_loops(edge_index, edge_weight, fill_value=float(self_loop_weight),
                                                           num_nodes=A)
        added = edge_index.size(1) - M
        # add_remaining_self_loops keeps the non-loop arcs in order and appends one loop per node;
        # auknow graphs hold no loops, so the first M arcs are ours.
        edge_type = torch.cat([edge_type, torch.full((added,), kind_index["self"], dtype=torch.long)])
        stats = torch.cat([stats, torch.full((added, len(EDGE_STATS)), float("nan"), dtype=torch.float64)])
        directed_flags = torch.cat([directed_flags, torch.zeros(added, dtype=torch.bool)])
    if normalize is not None:
        if edge_weight.numel() and float(edge_weight.min()) < 0:
            raise GraphError(f"normalize '{normalize}' needs non-negative weights; drop signed=True or the "
                             "exclusive kind (kinds=['co-occurrence'])")
        if normalize == "gcn":
            from torch_geometric.nn.conv.gcn_conv import gcn_norm

            edge_index, edge_weight = gcn_norm(edge_index, edge_weight, num_nodes=A, add_self_loops=False)
        else:
            from torch_geometric.utils import scatter

            deg = scatter(edge_weight, edge_index[0], dim=0, dim_size=A, reduce="sum")
            inv = torch.where(deg > 0, 1.0 / deg, torch.zeros_like(deg))
            edge_weight = edge_weight * inv[edge_index[0]]
    edge_weight = edge_weight.to(dtype=dtype, device=device)
    return (edge_index.to(device), edge_weight, edge_type.to(device), stats, directed_flags)


def to_data(graph, aus=None, **options):
    r"""The graph as a ``torch_geometric.data.Data``.

    Fields: ``edge_index [2, M]``, ``edge_weight [M]``, ``edge_type [M]`` (as :func:`to_pyg`,
    same ``options``), ``edge_attr [M, 1 + K]`` (the weight, then a one-hot of the kind over
    :data:`EDGE_KINDS`, K = 4), ``edge_stats [M, 6]`` float64 (the raw :data:`EDGE_STATS`,
    NaN where absent; before signing / normalization), ``edge_directed [M]`` bool,
    ``node_number [A]`` long (FACS numbers), ``num_nodes`` A, and the plain attributes
    ``aus`` (node names in order), ``edge_kinds``, ``directed`` (the networkx graph's
    directedness) and ``tables``. :func:`from_pyg` inverts it without loss.

    >>> from auknow.compile import au_graph
    >>> d = to_data(au_graph("fig2002", aus=["AU01", "AU02", "AU05", "AU26", "AU27"]))
    >>> d.num_nodes, tuple(d.edge_attr.shape), d.aus
    (5, (20, 5), ['AU01', 'AU02', 'AU05', 'AU26', 'AU27'])
    """
    import torch
    from torch_geometric.data import Data

    order = _node_order(graph, aus)
    ei, ew, et, stats, flags = _pyg_parts(graph, order, kinds=options.pop("kinds", None),
                                          signed=options.pop("signed", False),
                                          self_loops=options.pop("self_loops", None),
                                          self_loop_weight=options.pop("self_loop_weight", 1.0),
                                          normalize=options.pop("normalize", None),
                                          dtype=options.pop("dtype", None), device=options.pop("device", None))
    if options:
        raise GraphError(f"to_data: unknown option(s) {', '.join(options)}")
    one_hot = torch.nn.functional.one_hot(et, num_classes=len(EDGE_KINDS)).to(ew.dtype)
    edge_attr = torch.cat([ew.unsqueeze(1), one_hot], dim=1)
    data = Data(edge_index=ei, edge_weight=ew, edge_type=et, edge_attr=edge_attr, num_nodes=len(order))
    data.edge_stats = stats
    data.edge_directed = flags
    data.node_number = torch.tensor([au_number(a) for a in order], dtype=torch.long)
    data.aus = list(order)
    data.edge_kinds = list(EDGE_KINDS)
    data.directed = bool(graph.is_directed())
    data.tables = graph.graph.get("tables", "")
    return data


def from_pyg(data):
    """Rebuild the networkx graph from :func:`to_data` output (or an equivalent mapping with
    ``edge_index``, ``edge_type``, ``edge_stats``, ``edge_directed``, ``aus``, ``directed``).

    Self loops (kind ``self``) are dropped; weights and statistics come from ``edge_stats``, so
    signing or normalizing in :func:`to_data` does not change the result. For an undirected
    graph, the arcs ``i->j`` and ``j->i`` become one edge.

    Raises:
        GraphError: a required field is missing.

    >>> from auknow.compile import au_graph
    >>> g = au_graph("fig2002", aus=["AU01", "AU02", "AU05", "AU26", "AU27"])
    >>> sorted(from_pyg(to_data(g)).edges(keys=True)) == sorted(g.edges(keys=True))
    True
    """
    get = data.get if isinstance(data, dict) else (lambda k, default=None: getattr(data, k, default))
    for key in ("edge_index", "edge_type", "edge_stats", "aus"):
        if get(key) is None:
            raise GraphError(f"from_pyg: missing '{key}' (expected the output of to_data)")
    aus = list(get("aus"))
    directed = bool(get("directed", False))
    kinds = list(get("edge_kinds", EDGE_KINDS))
    G = nx.MultiDiGraph() if directed else nx.MultiGraph()
    tables = get("tables", "")
    G.graph["tables"] = tables if tables is not None else ""
    for a in aus:
        G.add_node(a, **au_node_attributes(a))
    ei = np.asarray(get("edge_index").tolist(), dtype=np.int64).reshape(2, -1)
    et = list(np.asarray(get("edge_type").tolist(), dtype=np.int64).reshape(-1))
    stats = np.asarray(get("edge_stats").tolist(), dtype=np.float64).reshape(-1, len(EDGE_STATS))
    flags = get("edge_directed")
    flags = [bool(x) for x in flags.tolist()] if flags is not None else [directed] * len(et)
    for m in range(ei.shape[1]):
        kind = kinds[et[m]]
        if kind == "self":
            continue
        u, v = aus[ei[0, m]], aus[ei[1, m]]
        if not directed and G.has_edge(u, v, key=kind):
            continue
        attrs = {"kind": kind}
        for c, name in enumerate(EDGE_STATS):
            x = stats[m, c]
            if not math.isnan(x):
                attrs[name] = int(x) if name == "n" else float(x)
        attrs["directed"] = flags[m]
        G.add_edge(u, v, key=kind, **attrs)
    return G


def dense_adjacency(graph, aus=None, *, by_kind: bool = False, **options):
    r"""Dense adjacency ``[A, A]``: :math:`A_{ij}` = the summed weight of the arcs ``i->j``
    (after the :func:`to_pyg` ``options``: kinds, signed, self loops, normalization), via
    ``torch_geometric.utils.to_dense_adj``. Undirected graphs give a symmetric matrix.

    With ``by_kind=True``: ``[K, A, A]``, one slice per kind of :data:`EDGE_KINDS` (K = 4,
    ``self`` last), so kinds that share an AU pair stay apart.

    >>> from auknow.compile import au_graph
    >>> g = au_graph("fig2002", aus=["AU01", "AU02", "AU05"], facs_exclusive=False)
    >>> A = dense_adjacency(g)
    >>> A.shape, bool((A == A.T).all()), float(A[0, 0])
    (torch.Size([3, 3]), True, 0.0)
    """
    import torch
    from torch_geometric.utils import to_dense_adj

    order = _node_order(graph, aus)
    ei, ew, et = to_pyg(graph, order, **options)
    A = len(order)
    if not by_kind:
        if ei.size(1) == 0:
            return torch.zeros(A, A, dtype=ew.dtype, device=ew.device)
        return to_dense_adj(ei, edge_attr=ew, max_num_nodes=A)[0]
    out = torch.zeros(len(EDGE_KINDS), A, A, dtype=ew.dtype, device=ew.device)
    for k in range(len(EDGE_KINDS)):
        sel = et == k
        if bool(sel.any()):
            out[k] = to_dense_adj(ei[:, sel], edge_attr=ew[sel], max_num_nodes=A)[0]
    return out



# --- expression-AU bipartite graph ----------------------------------------------------------------

def bipartite_graph(matrix, threshold: float = 0.0):
    """Expression-AU bipartite ``networkx.Graph`` of a prior matrix.

    Nodes: the expressions (``bipartite=0``, ``kind="expression"``, ``index``) and the AUs
    (``bipartite=1``, ``kind="au"``, ``index``, plus :func:`au_node_attributes`). Edges: one per
    cell with :math:`|x_{ea}| >` ``threshold`` (default: every non-zero cell; NaN cells skipped),
    attribute ``weight`` :math:`x_{ea}`. ``graph.graph`` holds ``mode`` and ``tables``.

    >>> from auknow.compile import compile_matrix
    >>> b = bipartite_graph(compile_matrix("fig2002", "binary"))
    >>> b.number_of_nodes(), b.number_of_edges()    # 6 expressions + 22 AUs; non-zero cells
    (28, 42)
    """
    G = nx.Graph(mode=matrix.mode, tables=";".join(s.get("table", "") for s in matrix.sources))
    for i, e in enumerate(matrix.expressions):
        G.add_node(e, bipartite=0, kind="expression", index=i)
    for j, a in enumerate(matrix.aus):
        G.add_node(a, bipartite=1, kind="au", index=j, **au_node_attributes(a))
    for i, e in enumerate(matrix.expressions):
        for j, a in enumerate(matrix.aus):
            x = matrix.values[i, j]
            if np.isfinite(x) and abs(x) > threshold:
                G.add_edge(e, a, weight=float(x))
    return G


def bipartite_to_pyg(matrix, threshold: float = 0.0, dtype=None, device=None):
    """``(edge_index [2, M], edge_weight [M])`` of the expression->AU bipartite graph: row 0
    indexes ``matrix.expressions``, row 1 ``matrix.aus`` (torch-geometric's bipartite
    convention, source then target); cells with ``|x| > threshold``, row-major order
    (``torch_geometric.utils.dense_to_sparse``).

    >>> from auknow.compile import compile_matrix
    >>> edge_index, edge_weight = bipartite_to_pyg(compile_matrix("fig2002", "binary"))
    >>> edge_index.shape, round(float(edge_weight.min()), 3)   # 1/3: one of three alternatives
    (torch.Size([2, 42]), 0.333)
    """
    import torch
    from torch_geometric.utils import dense_to_sparse

    vals = torch.tensor(np.nan_to_num(matrix.values, nan=0.0), dtype=torch.float64)
    kept = torch.where(vals.abs() > threshold, vals, torch.zeros_like(vals))
    ei, ew = dense_to_sparse(kept)
    return ei.to(device), ew.to(dtype=torch.float32 if dtype is None else dtype, device=device)


def bipartite_data(matrix, threshold: float = 0.0, dtype=None, device=None):
    """``torch_geometric.data.HeteroData`` with node types ``expression`` (E nodes, ``names``)
    and ``au`` (A nodes, ``names``, ``number``) and edge type ``("expression", "shows", "au")``
    holding ``edge_index`` / ``edge_weight`` of :func:`bipartite_to_pyg` (apply
    ``torch_geometric.transforms.ToUndirected`` for the reverse edges).

    >>> from auknow.compile import compile_matrix
    >>> h = bipartite_data(compile_matrix("fig2002", "binary"))
    >>> h["expression"].num_nodes, h["au"].num_nodes, h["expression", "shows", "au"].edge_index.shape
    (6, 22, torch.Size([2, 42]))
    """
    import torch
    from torch_geometric.data import HeteroData

    ei, ew = bipartite_to_pyg(matrix, threshold, dtype=dtype, device=device)
    data = HeteroData()
    data["expression"].num_nodes = len(matrix.expressions)
    data["expression"].names = list(matrix.expressions)
    data["au"].num_nodes = len(matrix.aus)
    data["au"].names = list(matrix.aus)
    data["au"].number = torch.tensor([au_number(a) for a in matrix.aus], dtype=torch.long)
    data["expression", "shows", "au"].edge_index = ei
    data["expression", "shows", "au"].edge_weight = ew
    return data
