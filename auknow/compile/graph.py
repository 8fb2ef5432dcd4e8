r"""AU-relation graphs: networkx graphs with typed, weighted edges and their torch-geometric form.

* :func:`au_graph` builds a ``networkx.MultiGraph`` (every edge undirected) or
  ``networkx.MultiDiGraph`` (some directed) from relation tables (co-occurrence, exclusive,
  hierarchy relations) and prototype tables (AUs that appear together in a configuration;
  FACS 2002 exclusive pairs as exclusive edges). Edges are keyed by their kind, so one AU pair
  may carry a co-occurrence and an exclusive edge at once.
* :func:`~auknow.compile.graph_pyg.to_pyg` / :func:`~auknow.compile.graph_pyg.to_data` (module
  :mod:`auknow.compile.graph_pyg`) give ``edge_index [2, M]``, ``edge_weight [M]``,
  ``edge_type [M]`` and ``edge_attr [M, F]`` in a chosen AU order, with optional self loops
  and normalization (GCN normalization is torch-geometric's own ``gcn_norm``);
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
import os
from pathlib import Path
from typing import Iterable, Sequence

import networkx as nx

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
    """A graph cannot be built, converted or normalized as asked (names the edge / option).

    >>> try:
    ...     save_graph(au_graph("fig2002", aus=["AU01", "AU02"]), "graph.txt")
    ... except GraphError as err:
    ...     print(type(err).__name__, isinstance(err, CompileError))
    GraphError True
    """


def au_node_attributes(name: str) -> dict:
    """Node attributes of an AU: ``name``, ``number``, ``description``, ``region``, ``code_type``
    (FACS 2002 code list, :func:`auknow.facs.code`).

    >>> au_node_attributes("AU12")
    {'name': 'AU12', 'number': 12, 'description': 'lip corner puller', 'region': 'Lower Face', 'code_type': 'AU'}
    """
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

    def add_facs_exclusive(self, order: Sequence[str]) -> None:
        """Add the FACS 2002 exclusive pairs among ``order`` (weight 1, undirected) that have no exclusive record."""
        present = set(order)
        for pair in sorted(exclusive_pairs(), key=sorted):
            i, j = sorted(pair)
            a, b = au_name(i), au_name(j)
            if a in present and b in present and not self.has_pair(a, b, "exclusive"):
                self.add(a, b, "exclusive", {"weight": 1.0}, directed=False)

    def symmetrise(self) -> None:
        """Every arc record becomes a record of the undirected edge of its pair and kind."""
        for (u, v, k), recs in list(self.arc.items()):
            a, b = sorted((u, v), key=au_sort_key)
            self.und.setdefault((a, b, k), []).extend(recs)
        self.arc = {}


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

    >>> g = au_graph("fig2002", aus=["AU01", "AU02", "AU05", "AU26", "AU27"])
    >>> g.number_of_nodes(), g.number_of_edges()
    (5, 10)
    >>> round(g["AU01"]["AU02"]["co-occurrence"]["weight"], 3), g["AU26"]["AU27"]["exclusive"]["weight"]
    (0.141, 1.0)
    """
    tabs = resolve_tables(tables)
    kinds, prune = _check_graph_options(kinds, prune, prototype_weight, combine, alternatives, members, top_k)
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
    found |= _relation_edges(rels, nodes, edges, kinds)
    if order is None:
        order = tuple(sorted(found, key=au_sort_key))
    if facs_exclusive is None:
        facs_exclusive = bool(protos)
    if facs_exclusive and "exclusive" in kinds:
        edges.add_facs_exclusive(order)
    if symmetrise:
        edges.symmetrise()
    G = _to_networkx(edges, order, combine)
    G.graph["tables"] = ";".join(t.name for t in tabs)
    _prune(G, prune, threshold, top_k)
    return G


def _check_graph_options(kinds, prune, prototype_weight: str, combine: str, alternatives: str,
                         members: Sequence[str], top_k: int | None) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """``(kinds, prune)`` of :func:`au_graph` as tuples (``kinds`` None: all three); GraphError for a bad option."""
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
    return kinds, prune


def _relation_edges(rels: list[RelationTable], nodes: set[str] | None, edges: _Edges,
                    kinds: tuple[str, ...]) -> set[str]:
    """Add the relations of ``rels`` of the ``kinds`` between ``nodes`` (None: any) to ``edges``;
    return every AU the tables name."""
    found: set[str] = set()
    for t in rels:
        for r in t.relations:
            found |= {r.au_i, r.au_j}
            if r.kind not in kinds:
                continue
            if nodes is not None and (r.au_i not in nodes or r.au_j not in nodes):
                continue
            directed = r.directed or r.kind == "hierarchy"
            edges.add(r.au_i, r.au_j, r.kind, _relation_attrs(r), directed)
    return found


def _to_networkx(edges: _Edges, order: Sequence[str], combine: str):
    """The MultiGraph (no arcs) or MultiDiGraph of the collected records, merged by ``combine``; the
    nodes ``order`` with their FACS attributes. An undirected edge of a directed graph becomes two
    arcs, each merged with the arc records of its direction."""
    directed = bool(edges.arc)
    G = nx.MultiDiGraph() if directed else nx.MultiGraph()
    arc = dict(edges.arc)  # popped below: arcs merged into an undirected edge's two arcs
    for a in order:
        G.add_node(a, **au_node_attributes(a))
    for (a, b, k), recs in edges.und.items():
        if directed:
            for u, v in ((a, b), (b, a)):
                more = arc.pop((u, v, k), [])
                attrs = _merge(recs + more, combine, directed=bool(more))
                G.add_edge(u, v, key=k, kind=k, **attrs)
        else:
            attrs = _merge(recs, combine, directed=False)
            G.add_edge(a, b, key=k, kind=k, **attrs)
    for (u, v, k), recs in arc.items():
        G.add_edge(u, v, key=k, kind=k, **_merge(recs, combine, directed=True))
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

    >>> g = au_graph("fig2002", aus=["AU01", "AU02", "AU05"], facs_exclusive=False)
    >>> t = graph_to_table(g, "fig2002_graph")
    >>> t.kind, len(t.relations), t.relations[0].au_i, t.relations[0].au_j
    ('relation', 3, 'AU01', 'AU02')
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



# --- files ----------------------------------------------------------------------------------------

def save_graph(graph, path: str | os.PathLike, overwrite: bool = False, aus=None, **options) -> Path:
    """Write an AU graph atomically; never replaces a file unless ``overwrite``.

    Formats by suffix: ``.graphml`` (``networkx.write_graphml``; edge ids are the kinds),
    ``.json`` (``networkx.node_link_data``, edges under ``"edges"``), ``.pt`` (``torch.save`` of
    a plain dict of the :func:`to_data` fields, loadable with ``torch.load(weights_only=True)``;
    ``options`` go to :func:`to_data`).

    Raises:
        GraphError: unknown suffix. OutputExistsError: the file exists and not ``overwrite``.

    >>> import pathlib, tempfile
    >>> g = au_graph("fig2002", aus=["AU01", "AU02", "AU05"])
    >>> with tempfile.TemporaryDirectory() as d:
    ...     save_graph(g, pathlib.Path(d) / "g.graphml").name
    'g.graphml'
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

        from .graph_pyg import to_data  # the torch-geometric form, imported when asked for

        data = to_data(graph, aus, **options)
        payload = {"format": GRAPH_FORMAT, **{k: data[k] for k in data.keys()}}
        payload["num_nodes"] = int(data.num_nodes)
        return write_atomic(path, lambda p: torch.save(payload, p), overwrite=overwrite)
    raise GraphError(f"{path}: unknown graph format '{suffix}' (expected .graphml, .json or .pt)")


def load_graph(path: str | os.PathLike):
    """Read a graph written by :func:`save_graph` (``.graphml``, ``.json``, ``.pt``).

    Raises:
        GraphError: unknown suffix or unreadable file.

    >>> import pathlib, tempfile
    >>> g = au_graph("fig2002", aus=["AU01", "AU02", "AU05"])
    >>> with tempfile.TemporaryDirectory() as d:
    ...     back = load_graph(save_graph(g, pathlib.Path(d) / "g.json"))
    >>> sorted(back.edges(keys=True)) == sorted(g.edges(keys=True))
    True
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

            from .graph_pyg import from_pyg

            return from_pyg(torch.load(path, weights_only=True))
    except (OSError, ValueError, KeyError) as exc:
        raise GraphError(f"{path}: cannot read an AU graph ({exc})") from None
    raise GraphError(f"{path}: unknown graph format '{suffix}' (expected .graphml, .json or .pt)")
