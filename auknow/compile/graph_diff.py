r"""Differences between two AU-relation graphs: edges added, removed and reweighted.

:func:`diff_graphs` compares two graphs of :func:`~auknow.compile.graph.au_graph` (or read by
:func:`~auknow.compile.graph.load_graph`) edge by edge. An edge is identified by its AU pair, its
``kind`` and whether it is directed: an undirected edge by its two AUs in FACS order, a directed
arc by ``(source, target)``. Then, with :math:`w_A`, :math:`w_B` the weights,

* ``added``: the edge is in B only;
* ``removed``: in A only;
* ``reweighted``: in both and :math:`|w_B - w_A| >` ``tolerance``.

An edge whose direction changed (an undirected edge in A, arcs in B) is one ``removed`` and one
or two ``added`` rows: direction is part of what an edge says. :meth:`GraphDiff.table` is the
tidy form (one row per change; columns :data:`EDGE_CHANGE_COLUMNS`), written as CSV or markdown
by :meth:`GraphDiff.save`; :func:`diff_graph_tables` builds both graphs from tables or files.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

from ._common import CompileError, au_sort_key
from .graph import au_graph, load_graph

GRAPH_SUFFIXES = (".graphml", ".json", ".pt")
CHANGES = ("added", "removed", "reweighted")
#: Columns of :meth:`GraphDiff.table`, one row per changed edge.
EDGE_CHANGE_COLUMNS = ("change", "au_i", "au_j", "kind", "directed", "weight_a", "weight_b", "delta")


def edge_weights(graph) -> dict[tuple[str, str, str, bool], float]:
    """``{(au_i, au_j, kind, directed): weight}`` of a graph: undirected edges once, ``au_i``
    before ``au_j`` in FACS order (also when a ``MultiDiGraph`` stores them as two arcs marked
    ``directed=False``); directed arcs as ``(source, target)``.

    Raises:
        CompileError: an edge without a ``kind`` or with a non-numeric weight (names the edge);
            an undirected edge stored twice with two weights.

    >>> import networkx as nx
    >>> g = nx.MultiGraph()
    >>> g.add_edge("AU02", "AU01", key="co-occurrence", kind="co-occurrence", weight=0.5, directed=False)
    'co-occurrence'
    >>> edge_weights(g)       # undirected: stored once, in FACS order
    {('AU01', 'AU02', 'co-occurrence', False): 0.5}
    """
    out: dict = {}
    for u, v, key, d in graph.edges(keys=True, data=True):
        kind = d.get("kind", key if isinstance(key, str) else None)
        if kind is None:
            raise CompileError(f"edge {u} - {v}: no 'kind' attribute (expected an auknow AU graph)")
        try:
            w = float(d.get("weight", 1.0))
        except (TypeError, ValueError):
            raise CompileError(f"edge {u} - {v} ({kind}): weight {d.get('weight')!r} is not a number") from None
        directed = bool(d.get("directed", graph.is_directed()))
        if not directed:
            u, v = sorted((u, v), key=au_sort_key)
        k = (str(u), str(v), str(kind), directed)
        if k in out and not (out[k] == w or (math.isnan(out[k]) and math.isnan(w))):
            raise CompileError(f"undirected edge {u} - {v} ({kind}) has two weights, {out[k]} and {w}")
        out[k] = w
    return out


@dataclass(eq=False)
class GraphDiff:
    """Edge changes from graph A to graph B.

    Attributes:
        name_a, name_b: how to call the graphs in text.
        rows: ``(change, au_i, au_j, kind, directed, weight_a, weight_b, delta)`` per changed
            edge, ``weight_a`` NaN for ``added``, ``weight_b`` NaN for ``removed``, ``delta =
            weight_b - weight_a`` (NaN when one side is absent); ordered by change (added,
            removed, reweighted), then ``|delta|`` or weight (largest first), then FACS order.
        only_a_nodes, only_b_nodes: AUs that are nodes of one graph only.
        n_common: edges in both graphs (changed or not); tolerance: as given.

    Built by :func:`diff_graphs` / :func:`diff_graph_tables`; ``save`` raises
    :class:`~auknow.compile.CompileError` for a suffix other than ``.csv`` / ``.md``.

    >>> import networkx as nx, pathlib, tempfile
    >>> A, B = nx.MultiGraph(), nx.MultiGraph()
    >>> _ = A.add_edge("AU01", "AU02", kind="co-occurrence", weight=0.5, directed=False)
    >>> _ = B.add_edge("AU01", "AU02", kind="co-occurrence", weight=0.75, directed=False)
    >>> _ = B.add_edge("AU25", "AU26", kind="exclusive", weight=1.0, directed=False)
    >>> d = diff_graphs(A, B, names=("before", "after"))
    >>> d.identical, d.count("added"), d.count("reweighted"), d.n_common, d.only_b_nodes
    (False, 1, 1, 1, ('AU25', 'AU26'))
    >>> print(d.text())
    A: before
    B: after
    AUs only in B: AU25, AU26
    edges: 1 added, 0 removed, 1 reweighted (of 1 in both; tolerance 1e-09)
      added       AU25 -- AU26  exclusive      - -> 1
      reweighted  AU01 -- AU02  co-occurrence  0.5 -> 0.75 (+0.25)
    >>> d.table()[["change", "au_i", "au_j", "delta"]].to_dict("records")[1]
    {'change': 'reweighted', 'au_i': 'AU01', 'au_j': 'AU02', 'delta': 0.25}
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     print(d.save(pathlib.Path(tmp) / "changes.md").read_text().splitlines()[2])
    | added | AU25 | AU26 | exclusive | false | - | 1 | - |
    """

    name_a: str
    name_b: str
    rows: list[tuple]
    only_a_nodes: tuple[str, ...]
    only_b_nodes: tuple[str, ...]
    n_common: int
    tolerance: float

    @property
    def identical(self) -> bool:
        """No changed edge and the same nodes."""
        return not (self.rows or self.only_a_nodes or self.only_b_nodes)

    def count(self, change: str) -> int:
        """Number of rows of one change (``added``, ``removed``, ``reweighted``)."""
        return sum(r[0] == change for r in self.rows)

    def table(self):
        """The tidy ``pandas.DataFrame`` of the changes (columns :data:`EDGE_CHANGE_COLUMNS`)."""
        import pandas as pd

        return pd.DataFrame(self.rows, columns=list(EDGE_CHANGE_COLUMNS))

    def markdown(self) -> str:
        """The changes as a markdown table (weights to 4 significant digits, ``-`` for absent)."""
        def cell(x) -> str:
            if isinstance(x, float):
                return "-" if math.isnan(x) else f"{x:.4g}"
            return str(x).lower() if isinstance(x, bool) else str(x)

        lines = ["| " + " | ".join(EDGE_CHANGE_COLUMNS) + " |", "|" + "---|" * len(EDGE_CHANGE_COLUMNS)]
        lines += ["| " + " | ".join(cell(x) for x in r) + " |" for r in self.rows]
        return "\n".join(lines) + "\n"

    def save(self, path, overwrite: bool = False) -> Path:
        """Write :meth:`table` atomically as ``.csv`` (exact floats, empty where absent) or
        :meth:`markdown` as ``.md``; never replaces a file unless ``overwrite``.

        Raises:
            CompileError: another suffix. OutputExistsError: the file exists.
        """
        from ..atomic import write_text_atomic

        path = Path(path)
        suffix = path.suffix.lower()
        if suffix == ".csv":
            text = self.table().to_csv(index=False, float_format="%.17g", lineterminator="\n")
        elif suffix == ".md":
            text = self.markdown()
        else:
            raise CompileError(f"{path}: unknown format '{path.suffix}' for edge changes (expected .csv or .md)")
        return write_text_atomic(path, text, overwrite=overwrite)

    def text(self, top: int = 10) -> str:
        """A readable summary: counts per change, then the ``top`` rows of each change."""
        def fmt(x: float) -> str:
            return "-" if math.isnan(x) else f"{x:.3g}"

        lines = [f"A: {self.name_a}", f"B: {self.name_b}"]
        for label, nodes in (("AUs only in A", self.only_a_nodes), ("AUs only in B", self.only_b_nodes)):
            if nodes:
                lines.append(f"{label}: {', '.join(nodes)}")
        if not self.rows:
            lines.append(f"edges: no change ({self.n_common} in both, tolerance {self.tolerance:g})")
            return "\n".join(lines)
        lines.append(f"edges: {self.count('added')} added, {self.count('removed')} removed, "
                     f"{self.count('reweighted')} reweighted (of {self.n_common} in both; tolerance "
                     f"{self.tolerance:g})")
        for change in CHANGES:
            rows = [r for r in self.rows if r[0] == change]
            for r in rows[:top]:
                arrow = "->" if r[4] else "--"
                delta = "" if math.isnan(r[7]) else f" ({r[7]:+.3g})"
                lines.append(f"  {change:<10}  {r[1]} {arrow} {r[2]}  {r[3]:<13}  {fmt(r[5])} -> {fmt(r[6])}{delta}")
            if len(rows) > top:
                lines.append(f"  {change:<10}  +{len(rows) - top} more")
        return "\n".join(lines)


def _order(row: tuple) -> tuple:
    change, u, v, kind, directed, wa, wb, delta = row
    size = abs(delta) if not math.isnan(delta) else abs(wb if change == "added" else wa)
    return (CHANGES.index(change), -size, au_sort_key(u), au_sort_key(v), kind, directed)


def _graph_name(graph, fallback: str) -> str:
    tables = graph.graph.get("tables") if hasattr(graph, "graph") else None
    if isinstance(tables, str) and tables:
        return tables.replace(";", "+")
    return fallback


def diff_graphs(a, b, tolerance: float = 1e-9, names: tuple[str, str] | None = None) -> GraphDiff:
    """Compare two AU graphs edge by edge (see the module docstring for the rules).

    Args:
        a, b: networkx graphs as :func:`~auknow.compile.graph.au_graph` builds them (edges with
            ``kind``, ``weight``, ``directed``).
        tolerance: ``|w_B - w_A|`` above which a common edge counts as reweighted (>= 0).
        names: how to call A and B in text.

    Returns:
        :class:`GraphDiff` (``rows``, ``table()``, ``text()``, ``save()``, ``identical``).

    Raises:
        CompileError: a negative tolerance, an edge without kind or with a non-numeric weight.

    >>> import networkx as nx
    >>> A, B = nx.MultiGraph(), nx.MultiGraph()
    >>> A.add_edge("AU01", "AU02", key="co-occurrence", kind="co-occurrence", weight=0.5, directed=False)
    'co-occurrence'
    >>> B.add_edge("AU02", "AU01", key="co-occurrence", kind="co-occurrence", weight=0.75, directed=False)
    'co-occurrence'
    >>> B.add_edge("AU25", "AU26", key="exclusive", kind="exclusive", weight=1.0, directed=False)
    'exclusive'
    >>> [r[:3] + r[5:] for r in diff_graphs(A, B).rows]
    [('added', 'AU25', 'AU26', nan, 1.0, nan), ('reweighted', 'AU01', 'AU02', 0.5, 0.75, 0.25)]
    """
    if not tolerance >= 0:
        raise CompileError(f"tolerance: {tolerance} must be >= 0")
    wa, wb = edge_weights(a), edge_weights(b)
    nan = float("nan")
    rows = [("removed", *k, w, nan, nan) for k, w in wa.items() if k not in wb]
    rows += [("added", *k, nan, w, nan) for k, w in wb.items() if k not in wa]
    for k in wa.keys() & wb.keys():
        d = wb[k] - wa[k]
        if abs(d) > tolerance or (math.isnan(d) and not (math.isnan(wa[k]) and math.isnan(wb[k]))):
            rows.append(("reweighted", *k, wa[k], wb[k], d))
    rows.sort(key=_order)
    na, nb = names or (_graph_name(a, "A"), _graph_name(b, "B"))
    nodes_a, nodes_b = set(map(str, a.nodes)), set(map(str, b.nodes))
    return GraphDiff(name_a=na, name_b=nb, rows=rows,
                     only_a_nodes=tuple(sorted(nodes_a - nodes_b, key=au_sort_key)),
                     only_b_nodes=tuple(sorted(nodes_b - nodes_a, key=au_sort_key)),
                     n_common=len(wa.keys() & wb.keys()), tolerance=float(tolerance))


def load_graph_side(ref, **graph_options):
    """One side of a graph diff: a networkx graph as it is; a graph file (``.graphml``,
    ``.json``, ``.pt`` written by ``auknow export``; ``graph_options`` must then be empty); or
    a table / path / bundled name (or a list of them), built with
    :func:`~auknow.compile.graph.au_graph` and ``graph_options``.

    >>> import networkx as nx
    >>> g = nx.MultiGraph()
    >>> load_graph_side(g) is g                        # a graph is taken as it is
    True
    >>> load_graph_side("fig2002").number_of_edges() > 0   # a bundled table is built into one
    True
    """
    if hasattr(ref, "edges"):
        return ref
    if isinstance(ref, (str, Path)) and Path(ref).suffix.lower() in GRAPH_SUFFIXES and Path(ref).exists():
        return load_graph(ref)
    return au_graph(ref, **graph_options)


def diff_graph_tables(a, b, tolerance: float = 1e-9, **graph_options) -> GraphDiff:
    """Build two AU graphs (tables with the same ``graph_options``, or graph files) and diff them
    (B against A); names are the references as given.

    Raises:
        CompileError / GraphError: as :func:`~auknow.compile.graph.au_graph` and :func:`diff_graphs`.

    >>> diff_graph_tables("fig2002", "fig2002").identical
    True
    >>> d = diff_graph_tables("fig2002", "ekman_emfacs")
    >>> d.identical, d.name_a, d.name_b
    (False, 'fig2002', 'ekman_emfacs')
    """
    ga, gb = load_graph_side(a, **graph_options), load_graph_side(b, **graph_options)
    return diff_graphs(ga, gb, tolerance=tolerance, names=(str(a), str(b)))
