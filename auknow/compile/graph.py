r"""AU-relation graphs: networkx graphs with typed, weighted edges and their torch-geometric form.

* :func:`au_graph` builds a ``networkx.MultiGraph`` (every edge undirected) or
  ``networkx.MultiDiGraph`` (some directed) from relation tables (co-occurrence, exclusive,
  hierarchy relations) and prototype tables (AUs that appear together in a configuration;
  FACS 2002 exclusive pairs as exclusive edges). Edges are keyed by their kind, so one AU pair
  may carry a co-occurrence and an exclusive edge at once.
* :func:`to_pyg` / :func:`to_data` give ``edge_index [2, M]``, ``edge_weight [M]``,
  ``edge_type [M]`` and ``edge_attr [M, F]`` in a chosen AU order, with optional self loops
  and normalisation (GCN normalisation is torch-geometric's own ``gcn_norm``);
  :func:`dense_adjacency` gives ``[A, A]`` (``[K, A, A]`` per kind).
* :func:`from_pyg` and :func:`graph_to_table` invert :func:`to_data` and :func:`au_graph`
  without loss (property-tested).
* :func:`bipartite_graph` / :func:`bipartite_to_pyg` / :func:`bipartite_data`: the expression-AU
  bipartite graph of a :class:`~auknow.compile.matrix.PriorMatrix`.

Edge attributes: ``kind`` (one of :data:`EDGE_KINDS`), ``weight`` (float), ``directed`` (bool)
and, where the source gives them, ``ci_low``, ``ci_high``, ``n``, ``p_value``, ``q_value``.
Node attributes: ``name`` (``AU12``), ``number`` (12), ``description`` (``lip corner puller``),
``region`` (``Lower Face``), ``code_type`` (``AU``/``AD``). Formulas in ``docs/compile.md``.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Iterable, Sequence

import networkx as nx
import numpy as np

from ..facs import au_name, au_number, code, exclusive_pairs
from ..tables.expand import ALTERNATIVE_READINGS, DEFAULT_ALTERNATIVES, alternatives_together
from ..tables.model import PrototypeTable, Provenance, QuantifiedTable, Relation, RelationTable, Statistic
from ..vocabulary import EDGE_KINDS  # noqa: F401 (edge_type indexes it; re-exported)
from ._common import CompileError, au_sort_key, resolve_aus, resolve_tables

#: Columns of ``Data.edge_stats`` (float64, NaN where absent): the lossless edge record.
EDGE_STATS = ("weight", "ci_low", "ci_high", "n", "p_value", "q_value")
PROTOTYPE_WEIGHTS = ("fraction", "conditional", "count")
MEMBERS = ("required", "optional", "alternatives")
COMBINE_RULES = ("mean", "max", "min", "sum")
NORMALISATIONS = ("gcn", "row")
GRAPH_FORMAT = "auknow.au_graph/1"


class GraphError(CompileError):
    """A graph cannot be built, converted or normalised as asked (names the edge / option)."""


def au_node_attributes(name: str) -> dict:
    """Node attributes of an AU: ``name``, ``number``, ``description``, ``region``, ``code_type``
    (FACS 2002 code list, :func:`auknow.facs.code`)."""
    c = code(au_number(name))
    return {"name": c.name, "number": c.number, "description": c.description, "region": c.region,
            "code_type": c.kind}


def _combine(values: list[float], rule: str) -> float:
    if rule == "mean":
        return float(sum(values) / len(values))
    if rule == "max":
        return float(max(values))
    if rule == "min":
        return float(min(values))
    return float(sum(values))


def _relation_attrs(r: Relation) -> dict:
    out = {"weight": float(r.strength)}
    if r.ci is not None:
        out["ci_low"], out["ci_high"] = float(r.ci[0]), float(r.ci[1])
    if r.n is not None:
        out["n"] = int(r.n)
    if r.p_value is not None:
        out["p_value"] = float(r.p_value)
    if r.q_value is not None:
        out["q_value"] = float(r.q_value)
    return out


class _Edges:
    """Collects edge records: undirected ones keyed (a, b, kind) with a < b in FACS order,
    directed arcs keyed (u, v, kind)."""

    def __init__(self):
        self.und: dict[tuple, list[dict]] = {}
        self.arc: dict[tuple, list[dict]] = {}

    def add(self, u: str, v: str, kind: str, attrs: dict, directed: bool) -> None:
        if directed:
            self.arc.setdefault((u, v, kind), []).append(attrs)
        else:
            a, b = sorted((u, v), key=au_sort_key)
            self.und.setdefault((a, b, kind), []).append(attrs)

    def has_pair(self, a: str, b: str, kind: str) -> bool:
        x, y = sorted((a, b), key=au_sort_key)
        return (x, y, kind) in self.und or (a, b, kind) in self.arc or (b, a, kind) in self.arc


def _merge(records: list[dict], rule: str, directed: bool) -> dict:
    if len(records) == 1:
        out = dict(records[0])
    else:
        out = {"weight": _combine([r["weight"] for r in records], rule)}
    out["directed"] = directed
    return out


def _prototype_edges(tables: list[PrototypeTable], nodes: set[str] | None, edges: _Edges, weight: str,
                     members: Sequence[str], alternatives: str = DEFAULT_ALTERNATIVES) -> set[str]:
    configs = []
    for t in tables:
        for cs in t.expressions.values():
            for c in cs:
                mem = set()
                if "required" in members:
                    mem |= {it.number for it in c.required}
                if "optional" in members:
                    mem |= {it.number for it in c.optional}
                alts = {it.number for it in c.alternatives} if "alternatives" in members else set()
                together = alternatives_together(c, alternatives) if alts else set()
                configs.append((mem | alts, alts - mem, together))
    seen = set()
    n_i: dict[int, int] = {}
    n_ij: dict[tuple[int, int], int] = {}
    for mem, alts, together in configs:
        for i in mem:
            n_i[i] = n_i.get(i, 0) + 1
        ms = sorted(mem)
        for x in range(len(ms)):
            for y in range(x + 1, len(ms)):
                i, j = ms[x], ms[y]
                if i in alts and j in alts and frozenset((i, j)) not in together:
                    continue  # two alternatives that cannot join together under the reading
                n_ij[(i, j)] = n_ij.get((i, j), 0) + 1
    N = len(configs)
    for num in n_i:
        seen.add(au_name(num))
    for (i, j), c in sorted(n_ij.items()):
        a, b = au_name(i), au_name(j)
        if nodes is not None and (a not in nodes or b not in nodes):
            continue
        if weight == "fraction":
            edges.add(a, b, "co-occurrence", {"weight": c / N, "n": N}, directed=False)
        elif weight == "count":
            edges.add(a, b, "co-occurrence", {"weight": float(c), "n": N}, directed=False)
        else:
            edges.add(a, b, "co-occurrence", {"weight": c / n_i[i], "n": n_i[i]}, directed=True)
            edges.add(b, a, "co-occurrence", {"weight": c / n_i[j], "n": n_i[j]}, directed=True)
    return seen


def au_graph(tables, aus=None, *, kinds: Iterable[str] | None = None, facs_exclusive: bool | None = None,
             prototype_weight: str = "fraction", members: Sequence[str] = MEMBERS, combine: str = "mean",
             symmetrise: bool = False, threshold: float | None = None, top_k: int | None = None,
             prune: Iterable[str] = ("co-occurrence",), alternatives: str = DEFAULT_ALTERNATIVES):
    r"""AU-relation graph of relation and prototype tables.

    Edges:

    * relation tables: one edge per relation, ``kind`` and ``directed`` as in the table,
      ``weight`` its strength, and its CI, n, p- and q-value;
    * prototype tables (pooled over every configuration of every prototype table, N in all;
      an AU is a member of a configuration if it is listed under ``members``; two alternatives
      of one configuration count as together only if the reading ``alternatives`` lets them
      join together: never under ``"one"`` (default, exactly one joins), under ``"subsets"``
      (every FACS-compatible non-empty subset joins, the ``facs`` R package's reading) unless
      they are a FACS 2002 exclusive pair): ``prototype_weight="fraction"``
      :math:`w_{ij} = n_{ij}/N` (undirected), ``"conditional"`` :math:`w_{i\to j} = n_{ij}/n_i`
      (directed, P(j | i) over configurations), ``"count"`` :math:`w_{ij} = n_{ij}`; ``n`` holds
      the denominator (N, or n_i);
    * FACS 2002 exclusive pairs (:func:`auknow.facs.exclusive_pairs`) among the nodes, weight 1,
      undirected, where no exclusive edge exists already (``facs_exclusive``; default: when
      any prototype table is given).

    Several records of one edge (same kind and direction, from several tables or from a
    prototype and a relation table) merge by ``combine`` (``mean``, ``max``, ``min``, ``sum``
    of the weights; CI and p-values are dropped when records merge).

    Then, in this order: ``symmetrise`` (every arc becomes an undirected edge whose weight
    combines the arcs ``i->j`` and ``j->i`` present, by ``combine``); ``threshold`` (drop edges
    of the ``prune`` kinds with :math:`|w| <` threshold); ``top_k`` (keep, of the ``prune``
    kinds, each node's k strongest edges by ``|w|``: outgoing arcs in a directed graph; in an
    undirected one an edge stays if it is among the k strongest of either end; ties by FACS
    number, then kind). Exclusive and hierarchy edges are not pruned unless named in ``prune``.

    Args:
        tables: relation and/or prototype tables (objects, paths or bundled names).
        aus: node set and order (names, comma list or AU set such as ``"bp4d"``); edges to
            other AUs are dropped. Default: every AU of the tables, FACS order.
        kinds: edge kinds to keep (default all of ``co-occurrence``, ``exclusive``, ``hierarchy``).

    Returns:
        ``networkx.MultiGraph`` if every edge is undirected (or ``symmetrise``), else
        ``networkx.MultiDiGraph`` (undirected relations as two arcs with ``directed=False``).
        Edge keys are the kinds; ``graph.graph["tables"]`` lists the source tables (``;``-joined).

    Raises:
        GraphError: a quantified or dataset table, an unknown kind / option, ``top_k < 1``.
    """
    tabs = resolve_tables(tables)
    kinds = tuple(EDGE_KINDS[:3]) if kinds is None else tuple(kinds)
    for k in kinds:
        if k not in EDGE_KINDS[:3]:
            raise GraphError(f"kinds: '{k}' is not one of {', '.join(EDGE_KINDS[:3])}")
    prune = tuple(prune)
    for k in prune:
        if k not in EDGE_KINDS[:3]:
            raise GraphError(f"prune: '{k}' is not one of {', '.join(EDGE_KINDS[:3])}")
    if prototype_weight not in PROTOTYPE_WEIGHTS:
        raise GraphError(f"prototype_weight: '{prototype_weight}' is not one of {', '.join(PROTOTYPE_WEIGHTS)}")
    if combine not in COMBINE_RULES:
        raise GraphError(f"combine: '{combine}' is not one of {', '.join(COMBINE_RULES)}")
    if alternatives not in ALTERNATIVE_READINGS:
        raise GraphError(f"alternatives: '{alternatives}' is not one of {', '.join(ALTERNATIVE_READINGS)}")
    for m in members:
        if m not in MEMBERS:
            raise GraphError(f"members: '{m}' is not one of {', '.join(MEMBERS)}")
    if top_k is not None and int(top_k) < 1:
        raise GraphError(f"top_k: {top_k} must be >= 1")
    protos = [t for t in tabs if isinstance(t, PrototypeTable)]
    rels = [t for t in tabs if isinstance(t, RelationTable)]
    for t in tabs:
        if not isinstance(t, (PrototypeTable, RelationTable)):
            hint = " (quantified tables give prior matrices; see compile_matrix)" if isinstance(t, QuantifiedTable) else ""
            raise GraphError(f"table '{t.name}' is a {t.kind} table; AU graphs come from relation and prototype "
                             f"tables{hint}")
    order = resolve_aus(aus)
    nodes = set(order) if order is not None else None
    edges = _Edges()
    found: set[str] = set()
    if protos and "co-occurrence" in kinds:
        found |= _prototype_edges(protos, nodes, edges, prototype_weight, members, alternatives)
    elif protos:
        found |= {a for t in protos for cs in t.expressions.values() for c in cs for a in c.au_names()}
    for t in rels:
        for r in t.relations:
            found |= {r.au_i, r.au_j}
            if r.kind not in kinds:
                continue
            if nodes is not None and (r.au_i not in nodes or r.au_j not in nodes):
                continue
            directed = r.directed or r.kind == "hierarchy"
            edges.add(r.au_i, r.au_j, r.kind, _relation_attrs(r), directed)
    if order is None:
        order = tuple(sorted(found, key=au_sort_key))
    if facs_exclusive is None:
        facs_exclusive = bool(protos)
    if facs_exclusive and "exclusive" in kinds:
        present = set(order)
        for pair in sorted(exclusive_pairs(), key=sorted):
            i, j = sorted(pair)
            a, b = au_name(i), au_name(j)
            if a in present and b in present and not edges.has_pair(a, b, "exclusive"):
                edges.add(a, b, "exclusive", {"weight": 1.0}, directed=False)
    if symmetrise:
        for (u, v, k), recs in list(edges.arc.items()):
            a, b = sorted((u, v), key=au_sort_key)
            edges.und.setdefault((a, b, k), []).extend(recs)
        edges.arc = {}
    directed = bool(edges.arc)
    G = nx.MultiDiGraph() if directed else nx.MultiGraph()
    G.graph["tables"] = ";".join(t.name for t in tabs)
    for a in order:
        G.add_node(a, **au_node_attributes(a))
    for (a, b, k), recs in edges.und.items():
        if directed:
            for u, v in ((a, b), (b, a)):
                more = edges.arc.pop((u, v, k), [])
                attrs = _merge(recs + more, combine, directed=bool(more))
                G.add_edge(u, v, key=k, kind=k, **attrs)
        else:
            attrs = _merge(recs, combine, directed=False)
            G.add_edge(a, b, key=k, kind=k, **attrs)
    for (u, v, k), recs in edges.arc.items():
        G.add_edge(u, v, key=k, kind=k, **_merge(recs, combine, directed=True))
    _prune(G, prune, threshold, top_k)
    return G


def _prune(G, prune: tuple[str, ...], threshold: float | None, top_k: int | None) -> None:
    if threshold is not None:
        drop = [(u, v, k) for u, v, k, d in G.edges(keys=True, data=True)
                if d["kind"] in prune and abs(d["weight"]) < float(threshold)]
        G.remove_edges_from(drop)
    if top_k is None:
        return
    k_ = int(top_k)
    kind_index = {k: i for i, k in enumerate(EDGE_KINDS)}
    keep = set()
    for node in G.nodes:
        if G.is_directed():
            inc = [(v, k, d) for _, v, k, d in G.out_edges(node, keys=True, data=True) if d["kind"] in prune]
            ranked = sorted(inc, key=lambda x: (-abs(x[2]["weight"]), au_sort_key(x[0]), kind_index[x[1]]))
            keep |= {(node, v, k) for v, k, _ in ranked[:k_]}
        else:
            inc = [(v, k, d) for _, v, k, d in G.edges(node, keys=True, data=True) if d["kind"] in prune]
            ranked = sorted(inc, key=lambda x: (-abs(x[2]["weight"]), au_sort_key(x[0]), kind_index[x[1]]))
            keep |= {(frozenset((node, v)), k) for v, k, _ in ranked[:k_]}
    drop = []
    for u, v, k, d in G.edges(keys=True, data=True):
        if d["kind"] not in prune:
            continue
        key = (u, v, k) if G.is_directed() else (frozenset((u, v)), k)
        if key not in keep:
            drop.append((u, v, k))
    G.remove_edges_from(drop)


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
           self_loops: bool | None = None, self_loop_weight: float = 1.0, normalise: str | None = None,
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
            with ``normalise="gcn"``.
        normalise: ``None``; ``"gcn"``: :math:`\hat w_{ij} = w_{ij} / \sqrt{d_i d_j}`,
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
        GraphError: unknown kind / normalisation, negative weights with a normalisation, an AU
            order that leaves out an AU with edges.
    """
    ei, ew, et, _, _ = _pyg_parts(graph, aus, kinds=kinds, signed=signed, self_loops=self_loops,
                                  self_loop_weight=self_loop_weight, normalise=normalise, dtype=dtype, device=device)
    return ei, ew, et


def _pyg_parts(graph, aus, *, kinds, signed, self_loops, self_loop_weight, normalise, dtype, device):
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
    if normalise is not None and normalise not in NORMALISATIONS:
        raise GraphError(f"normalise: '{normalise}' is not one of {', '.join(NORMALISATIONS)} (or None)")
    if self_loops is None:
        self_loops = normalise == "gcn"
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
    if normalise is not None:
        if edge_weight.numel() and float(edge_weight.min()) < 0:
            raise GraphError(f"normalise '{normalise}' needs non-negative weights; drop signed=True or the "
                             "exclusive kind (kinds=['co-occurrence'])")
        if normalise == "gcn":
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
    NaN where absent; before signing / normalisation), ``edge_directed [M]`` bool,
    ``node_number [A]`` long (FACS numbers), ``num_nodes`` A, and the plain attributes
    ``aus`` (node names in order), ``edge_kinds``, ``directed`` (the networkx graph's
    directedness) and ``tables``. :func:`from_pyg` inverts it without loss.
    """
    import torch
    from torch_geometric.data import Data

    order = _node_order(graph, aus)
    ei, ew, et, stats, flags = _pyg_parts(graph, order, kinds=options.pop("kinds", None),
                                          signed=options.pop("signed", False),
                                          self_loops=options.pop("self_loops", None),
                                          self_loop_weight=options.pop("self_loop_weight", 1.0),
                                          normalise=options.pop("normalise", None),
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
    signing or normalising in :func:`to_data` does not change the result. For an undirected
    graph, the arcs ``i->j`` and ``j->i`` become one edge.

    Raises:
        GraphError: a required field is missing.
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
    (after the :func:`to_pyg` ``options``: kinds, signed, self loops, normalisation), via
    ``torch_geometric.utils.to_dense_adj``. Undirected graphs give a symmetric matrix.

    With ``by_kind=True``: ``[K, A, A]``, one slice per kind of :data:`EDGE_KINDS` (K = 4,
    ``self`` last), so kinds that share an AU pair stay apart.
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


# --- graph <-> relation table ---------------------------------------------------------------------

def graph_to_table(graph, name: str, title: str | None = None, provenance: Provenance | None = None,
                   statistic: Statistic | None = None) -> RelationTable:
    """A relation table holding every edge of an AU graph (inverse of :func:`au_graph` for
    relation tables, with ``facs_exclusive=False``).

    Undirected edges become relations with ``au_i`` before ``au_j`` in FACS order; directed
    arcs keep their direction; relations are sorted by kind, then AU numbers. Isolated nodes
    are not kept (pass ``aus=`` to :func:`au_graph` to restore them).

    Raises:
        GraphError: in a directed graph, an undirected edge whose two arcs differ, or lack one.
    """
    rels: list[Relation] = []
    directed_graph = graph.is_directed()
    for u, v, k, d in graph.edges(keys=True, data=True):
        kind = d.get("kind", k)
        if kind == "self":
            continue
        is_dir = bool(d.get("directed", directed_graph))
        if directed_graph and not is_dir:
            if au_sort_key(u) > au_sort_key(v):
                continue
            back = graph.get_edge_data(v, u, key=k)
            if back is None or {x: y for x, y in back.items()} != {x: y for x, y in d.items()}:
                raise GraphError(f"edge {u}-{v} ({kind}) is marked undirected but its arcs {u}->{v} and {v}->{u} "
                                 "differ or one is missing; symmetrise the graph or mark the arcs directed")
        a, b = (u, v) if is_dir else tuple(sorted((u, v), key=au_sort_key))
        ci = (d["ci_low"], d["ci_high"]) if d.get("ci_low") is not None and d.get("ci_high") is not None else None
        rels.append(Relation(au_i=a, au_j=b, kind=kind, strength=float(d["weight"]), directed=is_dir, ci=ci,
                             n=None if d.get("n") is None else int(d["n"]), p_value=d.get("p_value"),
                             q_value=d.get("q_value")))
    kind_index = {k: i for i, k in enumerate(EDGE_KINDS)}
    rels.sort(key=lambda r: (kind_index[r.kind], au_sort_key(r.au_i), au_sort_key(r.au_j), r.directed))
    prov = provenance or Provenance(kind="edited", notes=f"AU graph of {graph.graph.get('tables') or 'tables'}")
    return RelationTable(name=name, title=title or f"AU relations ({name})", provenance=prov, relations=rels,
                         statistic=statistic)


# --- expression-AU bipartite graph ----------------------------------------------------------------

def bipartite_graph(matrix, threshold: float = 0.0):
    """Expression-AU bipartite ``networkx.Graph`` of a prior matrix.

    Nodes: the expressions (``bipartite=0``, ``kind="expression"``, ``index``) and the AUs
    (``bipartite=1``, ``kind="au"``, ``index``, plus :func:`au_node_attributes`). Edges: one per
    cell with :math:`|x_{ea}| >` ``threshold`` (default: every non-zero cell; NaN cells skipped),
    attribute ``weight`` :math:`x_{ea}`. ``graph.graph`` holds ``mode`` and ``tables``.
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
    (``torch_geometric.utils.dense_to_sparse``)."""
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
    ``torch_geometric.transforms.ToUndirected`` for the reverse edges)."""
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


# --- files ----------------------------------------------------------------------------------------

def save_graph(graph, path: str | os.PathLike, overwrite: bool = False, aus=None, **options) -> Path:
    """Write an AU graph atomically; never replaces a file unless ``overwrite``.

    Formats by suffix: ``.graphml`` (``networkx.write_graphml``; edge ids are the kinds),
    ``.json`` (``networkx.node_link_data``, edges under ``"edges"``), ``.pt`` (``torch.save`` of
    a plain dict of the :func:`to_data` fields, loadable with ``torch.load(weights_only=True)``;
    ``options`` go to :func:`to_data`).

    Raises:
        GraphError: unknown suffix. OutputExistsError: the file exists and not ``overwrite``.
    """
    from ..atomic import write_atomic, write_text_atomic

    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".graphml":
        return write_atomic(path, lambda p: nx.write_graphml(graph, p), overwrite=overwrite)
    if suffix == ".json":
        text = json.dumps(nx.node_link_data(graph, edges="edges"), indent=1)
        return write_text_atomic(path, text + "\n", overwrite=overwrite)
    if suffix == ".pt":
        import torch

        data = to_data(graph, aus, **options)
        payload = {"format": GRAPH_FORMAT, **{k: data[k] for k in data.keys()}}
        payload["num_nodes"] = int(data.num_nodes)
        return write_atomic(path, lambda p: torch.save(payload, p), overwrite=overwrite)
    raise GraphError(f"{path}: unknown graph format '{suffix}' (expected .graphml, .json or .pt)")


def load_graph(path: str | os.PathLike):
    """Read a graph written by :func:`save_graph` (``.graphml``, ``.json``, ``.pt``).

    Raises:
        GraphError: unknown suffix or unreadable file.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    try:
        if suffix == ".graphml":
            G = nx.read_graphml(path, force_multigraph=True)
            G.graph.pop("node_default", None)
            G.graph.pop("edge_default", None)
            for _, _, d in G.edges(data=True):
                if "n" in d:
                    d["n"] = int(d["n"])
            return G
        if suffix == ".json":
            data = json.loads(path.read_text(encoding="utf-8"))
            return nx.node_link_graph(data, edges="edges")
        if suffix == ".pt":
            import torch

            return from_pyg(torch.load(path, weights_only=True))
    except (OSError, ValueError, KeyError) as exc:
        raise GraphError(f"{path}: cannot read an AU graph ({exc})") from None
    raise GraphError(f"{path}: unknown graph format '{suffix}' (expected .graphml, .json or .pt)")
