"""Drawings of compiled knowledge: prior-matrix heatmaps and AU-relation graphs (matplotlib).

Every function takes an optional matplotlib ``ax``; without one it makes its own
``matplotlib.figure.Figure`` (no pyplot, no global backend switch) and returns it. Heatmaps are
drawn by :mod:`auknow.plots` (the one style of every auknow figure); graphs by networkx's
drawing functions in the same style (fonts, colour-blind-safe edge colours).
"""

from __future__ import annotations

import math
import os
import textwrap
from pathlib import Path

import numpy as np

from ._common import CompileError

FIGURE_FORMATS = ("png", "pdf", "svg")
LAYOUTS = ("circular", "spring", "kamada_kawai", "shell")
#: Edge styles per kind: colour (Okabe-Ito, colour-blind safe), line style, arrows for directed arcs.
EDGE_STYLE = {
    "co-occurrence": {"color": "#0072B2", "style": "solid"},
    "exclusive": {"color": "#D55E00", "style": "dashed"},
    "hierarchy": {"color": "#009E73", "style": "dotted"},
}

#: Node colour per FACS face region (the same in every drawing).
REGION_COLOURS = {
    "Upper Face": "#bebada",
    "Lower Face": "#ffffb3",
    "Lip and Jaw Opening": "#8dd3c7",
    "Head Position": "#fb8072",
    "Eye Position": "#80b1d3",
    "Miscellaneous": "#fdb462",
    "Gross Behavior": "#b3de69",
    "Head Movement": "#fccde5",
    "Eye Movement": "#bc80bd",
    "Visibility": "#ccebc5",
}


def _new_figure(size: tuple[float, float]):
    from ..plots import new_figure

    return new_figure(size)


def heatmap_axes(n_rows: int, n_cols: int, ax=None, size: tuple[float, float] | None = None):
    """``(figure, ax)`` for an expression x AU heatmap: the given ``ax``, or a new Figure sized
    by :func:`auknow.plots.heatmap_size`.

    >>> fig, ax = heatmap_axes(6, 17)
    >>> [round(float(x), 2) for x in fig.get_size_inches()]
    [7.0, 2.96]
    """
    from ..plots import heatmap_size

    if ax is not None:
        return ax.figure, ax
    fig = _new_figure(size or heatmap_size(n_rows, n_cols))
    return fig, fig.add_subplot(1, 1, 1)


def plot_prior(matrix, ax=None, title: str | None = None, value_label: str | None = None,
               size: tuple[float, float] | None = None, marks: bool = True):
    """Heatmap of a prior matrix; see :func:`auknow.plots.plot_prior` (the one drawing style).

    >>> from auknow.compile import compile_matrix
    >>> fig = plot_prior(compile_matrix("fig2002", "binary"), title="FACS 2002")
    >>> fig.axes[0].get_title(loc="left")
    'FACS 2002'
    """
    from ..plots import plot_prior as _plot_prior

    return _plot_prior(matrix, ax=ax, title=title, value_label=value_label, size=size, marks=marks)


def _layout(graph, layout: str, seed: int):
    import networkx as nx

    nodes = list(graph.nodes)
    if layout == "circular":
        # clockwise from the top, in node (FACS) order
        n = max(len(nodes), 1)
        return {a: np.array([math.sin(2 * math.pi * i / n), math.cos(2 * math.pi * i / n)])
                for i, a in enumerate(nodes)}
    simple = nx.Graph()
    simple.add_nodes_from(nodes)
    for u, v, d in graph.edges(data=True):
        if u == v:
            continue
        w = abs(float(d.get("weight", 1.0))) if d.get("kind") != "exclusive" else 0.05
        if simple.has_edge(u, v):
            simple[u][v]["weight"] += w
        else:
            simple.add_edge(u, v, weight=w)
    if layout == "spring":
        return nx.spring_layout(simple, weight="weight", seed=seed)
    if layout == "kamada_kawai":
        if simple.number_of_nodes() < 2:
            return nx.circular_layout(nodes)
        # distances need positive lengths: stronger relations pull closer
        for _, _, d in simple.edges(data=True):
            d["length"] = 1.0 / (0.1 + d["weight"])
        comps = nx.number_connected_components(simple)
        if comps > 1:
            return nx.spring_layout(simple, weight="weight", seed=seed)
        return nx.kamada_kawai_layout(simple, weight="length")
    regions: dict[str, list] = {}
    for n, d in graph.nodes(data=True):
        regions.setdefault(d.get("region", "?"), []).append(n)
    shells = [regions[r] for r in sorted(regions, key=lambda r: -len(regions[r]))]
    return nx.shell_layout(nodes, nlist=shells)


def plot_graph(graph, ax=None, layout: str = "circular", seed: int = 0, title: str | None = None,
               kinds=None, width_scale: float = 4.0, size: tuple[float, float] = (7.0, 7.0),
               footnote: str | None = None):
    """Drawing of an AU-relation graph (:func:`~auknow.compile.graph.au_graph`).

    Nodes are coloured by face region and labelled with the AU name. Edge width grows with
    ``|weight|`` (0.6 + ``width_scale`` x ``|w| / max |w|`` within each kind); co-occurrence edges
    are blue, exclusive edges orange and dashed, hierarchy edges green and dotted (Okabe-Ito
    colours, colour-blind safe); directed arcs carry arrows and bend slightly so ``i->j`` and
    ``j->i`` stay apart; nodes are drawn above the edges. The legend gives the edge kinds, the
    widths of three co-occurrence strengths, and the face regions. Prune dense graphs before
    drawing (``au_graph(..., top_k=3)``; ``auknow plot`` does so by default).

    Args:
        graph: a networkx (Multi)(Di)Graph with ``kind`` / ``weight`` edge attributes.
        ax: a matplotlib Axes to draw into (default: a new Figure of ``size`` inches).
        layout: ``"circular"`` (FACS order, default), ``"spring"`` (seeded, by weight),
            ``"kamada_kawai"`` or ``"shell"`` (one ring per face region).
        kinds: edge kinds to draw (default all).

    Returns:
        The matplotlib Figure.

    Raises:
        CompileError: an unknown layout.

    >>> from auknow.compile import au_graph
    >>> fig = plot_graph(au_graph("fig2002", aus=["AU01", "AU02", "AU05", "AU26", "AU27"]), size=(4, 4))
    >>> [float(x) for x in fig.get_size_inches()]
    [4.0, 4.0]
    """
    from matplotlib.patches import Patch

    if layout not in LAYOUTS:
        raise CompileError(f"layout: '{layout}' is not one of {', '.join(LAYOUTS)}")
    if ax is None:
        fig = _new_figure(size)
        ax = fig.add_subplot(1, 1, 1)
    else:
        fig = ax.figure
    pos = _layout(graph, layout, seed)
    regions = sorted({d.get("region", "?") for _, d in graph.nodes(data=True)})
    colour = {r: REGION_COLOURS.get(r, "#d9d9d9") for r in regions}
    _draw_nodes(graph, pos, ax, colour)
    kinds = tuple(EDGE_STYLE) if kinds is None else tuple(kinds)
    handles = []
    for kind in kinds:
        handles += _draw_edges_of_kind(graph, pos, ax, kind, width_scale)
    handles += [Patch(facecolor=colour[r], edgecolor="#333333", label=r) for r in regions]
    if handles:
        ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, 0.0), ncol=min(4, len(handles)),
                  fontsize=7, frameon=False)
    if footnote:
        fig.text(0.01, 0.0, footnote, fontsize=6.5, ha="left", va="bottom")
        engine = fig.get_layout_engine()
        if engine is not None and hasattr(engine, "set"):
            engine.set(rect=(0, 0.03, 1, 0.97))
    tables = (graph.graph.get("tables", "") or "").replace(";", ", ")
    ax.set_title(textwrap.fill(title or f"AU relations: {tables or 'graph'}", 60), fontsize=10)
    ax.set_axis_off()
    ax.set_aspect("equal")
    ax.margins(0.08)
    return fig


def _draw_nodes(graph, pos, ax, colour: dict[str, str]) -> None:
    """The nodes, coloured by face region, and their labels, above the edges."""
    import networkx as nx

    nodes = list(graph.nodes)
    drawn = nx.draw_networkx_nodes(graph, pos, nodelist=nodes, ax=ax, node_size=620, edgecolors="#333333",
                                   node_color=[colour[graph.nodes[n].get("region", "?")] for n in nodes])
    if drawn is not None:
        drawn.set_zorder(3)
    for t in nx.draw_networkx_labels(graph, pos, labels={n: n for n in nodes}, font_size=7, ax=ax).values():
        t.set_zorder(4)


def _edges_of_kind(graph, kind: str) -> tuple[list[tuple], list[tuple]]:
    """``(undirected, arcs)`` edges ``(u, v, weight)`` of one kind, without self loops; an undirected
    edge that a directed graph holds as two arcs is listed once."""
    und, arcs = [], []
    for u, v, d in graph.edges(data=True):
        if d.get("kind") != kind or u == v:
            continue
        if d.get("directed", graph.is_directed()):
            arcs.append((u, v, float(d.get("weight", 1.0))))
        elif not graph.is_directed() or (u, v) < (v, u) or not graph.has_edge(v, u):
            und.append((u, v, float(d.get("weight", 1.0))))
    return und, arcs


def _draw_edges_of_kind(graph, pos, ax, kind: str, width_scale: float) -> list:
    """Draw the edges of one kind in its :data:`EDGE_STYLE` (width by ``|w| / max |w|``, arcs bent
    with arrows); return its legend handles (none when it has no edge)."""
    import networkx as nx
    from matplotlib.lines import Line2D

    style = EDGE_STYLE.get(kind)
    if style is None:
        raise CompileError(f"kinds: '{kind}' is not one of {', '.join(EDGE_STYLE)}")
    und, arcs = _edges_of_kind(graph, kind)
    items = und + arcs
    if not items:
        return []
    nodes = list(graph.nodes)
    top = max(abs(w) for *_, w in items) or 1.0
    if und:
        h = nx.Graph()
        h.add_nodes_from(nodes)
        h.add_edges_from((u, v) for u, v, _ in und)
        nx.draw_networkx_edges(h, pos, edgelist=[(u, v) for u, v, _ in und], ax=ax, edge_color=style["color"],
                               style=style["style"], width=[0.6 + width_scale * abs(w) / top for *_, w in und],
                               alpha=0.8)
    if arcs:
        h = nx.DiGraph()
        h.add_nodes_from(nodes)
        h.add_edges_from((u, v) for u, v, _ in arcs)
        nx.draw_networkx_edges(h, pos, edgelist=[(u, v) for u, v, _ in arcs], ax=ax, edge_color=style["color"],
                               style=style["style"], width=[0.6 + width_scale * abs(w) / top for *_, w in arcs],
                               arrows=True, arrowsize=10, node_size=620, connectionstyle="arc3,rad=0.12",
                               alpha=0.8)
    dash = {"dashed": "--", "dotted": ":"}.get(style["style"], "-")
    handles = [Line2D([0], [0], color=style["color"], linestyle=dash, lw=2, label=kind)]
    if kind == "co-occurrence":
        for frac in (1.0, 0.5, 0.1):
            handles.append(Line2D([0], [0], color=style["color"], lw=0.6 + width_scale * frac, alpha=0.8,
                                  label=f"  |w| = {top * frac:.2g}"))
    return handles


def save_figure(fig, path: str | os.PathLike, overwrite: bool = False, dpi: float = 150) -> Path:
    """Save a Figure atomically as PNG, PDF or SVG (by suffix); the PNG is exactly
    ``figsize x dpi`` pixels. Never replaces a file unless ``overwrite``.

    Raises:
        CompileError: an unknown suffix or a non-positive dpi. OutputExistsError: the file exists.

    >>> import pathlib, tempfile
    >>> from auknow.plots import new_figure
    >>> with tempfile.TemporaryDirectory() as d:
    ...     p = save_figure(new_figure((2.0, 1.0)), pathlib.Path(d) / "f.png", dpi=100)
    ...     from matplotlib.image import imread
    ...     imread(p).shape[:2]
    (100, 200)
    """
    from ..atomic import write_atomic

    path = Path(path)
    fmt = path.suffix.lower().lstrip(".")
    if fmt not in FIGURE_FORMATS:
        raise CompileError(f"{path}: unknown figure format '{path.suffix}' (expected .png, .pdf or .svg)")
    if not (math.isfinite(dpi) and dpi > 0):
        raise CompileError(f"dpi: {dpi} must be > 0")
    return write_atomic(path, lambda p: fig.savefig(p, format=fmt, dpi=dpi), overwrite=overwrite)
