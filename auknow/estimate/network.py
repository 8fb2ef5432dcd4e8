"""Network summaries of the significant AU co-occurrence graph, per expression and overall.

NetFACS (Mielke et al., R package 0.5.1: ``netfacs_network``, ``network_summary``,
``network_summary_graph``, ``overlap_network``) builds an igraph of element pairs that occur
together more often than its null predicts and reports centralities and communities. Here the
graph is built by an explicit, recorded **edge rule** (every written row names it):

* ``q``: the pair's Benjamini-Hochberg q-value (a q-value matrix from a pair test, ``[A, A]``
  over ordered pairs) is below ``alpha`` in both directions and the association is positive
  (phi > 0);
* ``lift-ci``: the lower bound of the pair's subject-bootstrap interval of the lift
  P(i, j) / (P(i) P(j)) is above 1 (the pair co-occurs more than independence predicts; the
  lift is symmetric, so this is one test per unordered pair, without multiplicity control),
  and the two AUs co-occur in units of at least ``min_subjects`` (default 3) subjects: resamples
  that miss an AU leave its lift undefined and out of the interval, so the interval of a pair
  seen in one or two subjects only describes the resamples that contain them, and is not
  evidence (a rare pair seen once has a huge lift and an interval that stays above 1);
* ``auto``: ``q`` where pair q-values exist, else ``lift-ci``.

Edges are undirected and weighted by phi of the 2x2 table of the pair (in (0, 1] for a
positive association). On the graph, all measures come from :mod:`networkx`:

* ``degree`` (edges), ``strength`` = the sum of the edge weights at the AU (weighted degree;
  NetFACS divides it by 2 (n - 1), we keep the sum);
* ``eigenvector``: :func:`networkx.eigenvector_centrality` (weighted, unit Euclidean norm)
  on the largest connected component: on a disconnected graph the leading eigenvector is not
  unique (networkx refuses it), so AUs outside that component have none (empty), and a graph
  without edges has none at all;
* ``betweenness``: :func:`networkx.betweenness_centrality`, normalized, on hop counts (edge
  weights are similarities, not distances; NetFACS passes probabilities to igraph as distances);
* ``community``: :func:`networkx.community.greedy_modularity_communities` (Clauset-Newman-Moore
  greedy modularity, the ``cluster_fast_greedy`` of NetFACS's overlap network; deterministic),
  numbered from 1 by size, and the graph's ``modularity`` of that partition (empty without edges).

Graph-level: nodes, edges, density, transitivity, connected components, the largest one's
size, communities and modularity (NetFACS's ``network_summary_graph`` gives density,
transitivity, diameter, degree centralisation and mean distance).
"""

from __future__ import annotations

import numpy as np

from ..errors import DataError

EDGE_RULES = ("auto", "q", "lift-ci")
#: ``lift-ci``: the fewest subjects in whose units a pair must co-occur (see the module docstring).
MIN_SUBJECTS = 3
NODE_COLUMNS = ("graph", "expression", "au", "au_name", "p_au", "degree", "strength", "eigenvector",
                "betweenness", "community", "component", "edge_rule", "n_units")
GRAPH_COLUMNS = ("graph", "expression", "n_nodes", "n_edges", "density", "transitivity", "n_components",
                 "largest_component", "n_communities", "modularity", "edge_rule", "alpha", "min_subjects", "n_units")
EDGE_COLUMNS = ("graph", "expression", "au_i", "au_j", "weight", "lift", "lift_ci_low", "q_value", "edge_rule")


def edges(relation: dict, relation_ci: dict, q: np.ndarray | None = None, rule: str = "auto",
          alpha: float = 0.05, pair_subjects: np.ndarray | None = None, min_subjects: int = MIN_SUBJECTS
          ) -> tuple[np.ndarray, str]:
    """The undirected edge set ``[A, A]`` (symmetric bool, no self loops) and the rule used.

    Args:
        relation: ``{"phi": [A, A], "lift": [A, A], ...}`` (:func:`auknow.estimate.statistics.relation_statistics`).
        relation_ci: ``{"lift": ([A, A] low, [A, A] high), ...}``.
        q: ``[A, A]`` BH q-values of a pair test over ordered pairs (NaN: not tested), or None.
        rule: one of :data:`EDGE_RULES` (see the module docstring).
        alpha: q-value threshold of the ``q`` rule, in (0, 1).
        pair_subjects: ``[A, A]`` subjects with a unit where both AUs are present (``lift-ci``
            keeps pairs with at least ``min_subjects``; None: not checked).

    Raises:
        DataError: an unknown rule, ``rule="q"`` without q-values, a bad alpha.

    >>> phi = np.array([[np.nan, .5, 0.], [.5, np.nan, 0.], [0., 0., np.nan]])
    >>> low = np.array([[np.nan, 1.2, .8], [1.2, np.nan, .9], [.8, .9, np.nan]])
    >>> e, used = edges({"phi": phi}, {"lift": (low, low + 1)})
    >>> e.astype(int).tolist(), used
    ([[0, 1, 0], [1, 0, 0], [0, 0, 0]], 'lift-ci')
    """
    if rule not in EDGE_RULES:
        raise DataError(f"edge rule '{rule}' is not one of {', '.join(EDGE_RULES)}")
    if not 0 < alpha < 1:
        raise DataError(f"alpha {alpha} is outside (0, 1)")
    if rule == "q" and q is None:
        raise DataError("edge rule 'q' needs pair q-values, and none were computed for this graph "
                        "(use lift-ci or auto)")
    phi = np.asarray(relation["phi"], dtype=float)
    with np.errstate(invalid="ignore"):
        if rule == "q" or (rule == "auto" and q is not None):
            q = np.asarray(q, dtype=float)
            out, used = (q < alpha) & (q.T < alpha) & (phi > 0), "q"
        else:
            low = np.asarray(relation_ci["lift"][0], dtype=float)
            out, used = (low > 1) & (low.T > 1), "lift-ci"
            if pair_subjects is not None:
                out &= np.asarray(pair_subjects) >= min_subjects
    np.fill_diagonal(out, False)
    return out, used


def au_graph(aus, edge_mask: np.ndarray, weight: np.ndarray):
    """A :class:`networkx.Graph` with every AU a node and an edge ``i - j`` where ``edge_mask``,
    weighted by ``weight[i, j]`` (edge attribute ``weight``).

    >>> G = au_graph(["AU01", "AU02", "AU12"], np.array([[0, 1, 0], [1, 0, 0], [0, 0, 0]], bool), np.ones((3, 3)))
    >>> sorted(G.nodes), list(G.edges)
    (['AU01', 'AU02', 'AU12'], [('AU01', 'AU02')])
    """
    import networkx as nx

    G = nx.Graph()
    G.add_nodes_from(aus)
    for i, j in zip(*np.nonzero(np.triu(edge_mask, 1))):
        G.add_edge(aus[i], aus[j], weight=float(weight[i, j]))
    return G


def _largest_component(G) -> set:
    import networkx as nx

    comps = [c for c in nx.connected_components(G) if len(c) > 1]
    if not comps:
        return set()
    order = list(G.nodes)
    # largest by nodes, then by total weight, then by the first node in AU order: deterministic
    return max(comps, key=lambda c: (len(c), G.subgraph(c).size(weight="weight"), -min(order.index(n) for n in c)))


def node_measures(G) -> dict[str, dict]:
    """Per node: ``degree``, ``strength``, ``eigenvector`` (NaN outside the largest component),
    ``betweenness``, ``community`` (1 = the largest), ``component`` (1 = the largest; 0 for an
    isolated AU), all from networkx (see the module docstring).

    >>> import networkx as nx
    >>> m = node_measures(nx.path_graph(["a", "b", "c"]))
    >>> m["b"]["degree"], m["b"]["betweenness"], round(m["b"]["eigenvector"], 4)
    (2, 1.0, 0.7071)
    """
    import networkx as nx

    out = {n: {"degree": G.degree(n), "strength": float(G.degree(n, weight="weight")), "eigenvector": np.nan,
               "betweenness": 0.0, "community": 0, "component": 0} for n in G.nodes}
    if G.number_of_edges() == 0:
        return out
    big = _largest_component(G)
    # power iteration on (A + I): converges on a connected graph, also with 2 nodes (ARPACK does not)
    for n, v in nx.eigenvector_centrality(G.subgraph(big), max_iter=10_000, tol=1e-12, weight="weight").items():
        out[n]["eigenvector"] = float(v)
    for n, v in nx.betweenness_centrality(G, normalized=True).items():
        out[n]["betweenness"] = float(v)
    for k, comm in enumerate(_communities(G), start=1):
        for n in comm:
            out[n]["community"] = k
    comps = sorted((c for c in nx.connected_components(G) if len(c) > 1), key=lambda c: (c != big, -len(c)))
    for k, comp in enumerate(comps, start=1):
        for n in comp:
            out[n]["component"] = k
    return out


def _communities(G) -> list:
    """Greedy-modularity communities of the non-isolated AUs, largest first (isolates: none)."""
    import networkx as nx

    H = G.subgraph([n for n in G.nodes if G.degree(n) > 0])
    order = list(G.nodes)
    comms = nx.community.greedy_modularity_communities(H, weight="weight")
    return sorted(comms, key=lambda c: (-len(c), min(order.index(n) for n in c)))


def graph_measures(G) -> dict:
    """Graph-level summary: ``n_nodes``, ``n_edges``, ``density``, ``transitivity``,
    ``n_components`` (with more than one AU), ``largest_component``, ``n_communities``,
    ``modularity`` (NaN without edges), from networkx.

    >>> import networkx as nx
    >>> G = nx.Graph([("a", "b"), ("c", "d")]); G.add_node("e")
    >>> g = graph_measures(G)
    >>> g["density"], g["n_communities"], g["modularity"]
    (0.2, 2, 0.5)
    """
    import networkx as nx

    m = G.number_of_edges()
    comms = _communities(G) if m else []
    comps = [c for c in nx.connected_components(G) if len(c) > 1]
    return {"n_nodes": G.number_of_nodes(), "n_edges": m, "density": nx.density(G) if len(G) > 1 else np.nan,
            "transitivity": nx.transitivity(G), "n_components": len(comps),
            "largest_component": max((len(c) for c in comps), default=0), "n_communities": len(comms),
            # isolated AUs as singletons (they add 0): modularity needs a partition of every node
            "modularity": _clean(nx.community.modularity(G, comms + [{n} for n in G.nodes if G.degree(n) == 0],
                                                         weight="weight")) if m else np.nan}


def _clean(x: float) -> float:
    """Rounding residue (one community gives 1e-16, not 0) written as 0."""
    return 0.0 if abs(x) < 1e-12 else float(x)


def expression_relations(data, unit: str = "frame", min_fraction: float = 0.5, n_boot: int = 1000,
                         ci: float = 0.95, seed: int = 0, independent_clips: bool = False) -> dict[str, dict]:
    """AU-AU relations within each expression's units, with subject-bootstrap intervals.

    Args:
        data: :class:`~auknow.readers.frames.AUFrames` with expression labels, or their
            :class:`~auknow.estimate.statistics.Counts` (e.g. streamed BP4D; the same result as
            from the frames behind them).
        unit, min_fraction, ci, independent_clips: as in :func:`auknow.estimate.prior.estimate_prior`
            (``unit`` and ``min_fraction`` are the counts' own when ``data`` is counts).
        n_boot: resamples of the subjects who show the expression (0: no intervals, so the
            ``lift-ci`` rule finds no edge).
        seed: the seed; each expression's bootstrap draws from its own stream of it.

    Returns:
        ``{expression: {"relation": {stat: [A, A]}, "relation_ci": {stat: (low, high)},
        "p_au": [A], "n_units": units, "pair_subjects": [A, A] subjects showing both AUs}}`` over the AUs of ``frames`` (never-coded AUs dropped).

    Raises:
        DataError: no expression labels; counts with ``independent_clips=True`` (clips are made
            from frames).

    >>> import auknow
    >>> f = auknow.read_ckplus(auknow.bundled_ckplus_path())
    >>> rel = expression_relations(f, n_boot=50, seed=0)
    >>> sorted(rel) == sorted(set(f.expression.tolist())), rel["surprise"]["n_units"]
    (True, 83)
    >>> aus = f.drop_uncoded_aus().aus
    >>> s, i, j = rel["surprise"], aus.index("AU01"), aus.index("AU02")
    >>> s["relation"]["phi"].shape, s["p_au"][[i, j]].round(3).tolist()
    ((23, 23), [0.976, 0.976])
    >>> float(s["relation"]["phi"][i, j]), int(s["pair_subjects"][i, j])   # brows raised together
    (1.0, 81)
    >>> low, high = s["relation_ci"]["lift"]
    >>> bool(low[i, j] <= s["relation"]["lift"][i, j] <= high[i, j])
    True
    >>> bool(np.isnan(expression_relations(f, n_boot=0)["surprise"]["relation_ci"]["lift"][0]).all())  # no CIs
    True
    """
    from . import design as dz
    from . import statistics as st

    if isinstance(data, st.Counts):
        if independent_clips:
            raise DataError("independent_clips=True needs the frames, not their counts")
        counts = data
    else:
        if data.expression is None:
            raise DataError("per-expression networks need expression labels")
        frames = data.drop_uncoded_aus()
        if independent_clips:
            frames, _ = dz.as_independent_clips(frames)
        counts = st.count_units(frames, unit=unit, min_fraction=min_fraction)
    if not counts.expressions:
        raise DataError("per-expression networks need expression labels")
    out = {}
    for k, expr in enumerate(sorted(counts.expressions)):
        sub = st.expression_counts(counts, expr)
        A = len(sub.aus)
        nan = np.full((A, A), np.nan)
        ci_rel = {s: (nan, nan) for s in st.RELATION_STATISTICS}
        if n_boot and len(sub.subjects) >= 2:
            rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(0x4E45, k)))
            ci_rel = st.bootstrap(sub, st.bootstrap_weights(rng, len(sub.subjects), n_boot), ci)["relation"]
        with np.errstate(invalid="ignore", divide="ignore"):
            p_au = sub.seq_k.sum(0) / sub.seq_n.sum(0)
        out[expr] = {"relation": st.relation_statistics(sub.pair_counts.sum(0)), "relation_ci": ci_rel,
                     "p_au": p_au, "n_units": int(sub.seq_n.sum(0).max()),
                     "pair_subjects": (sub.pair_counts[:, 3] > 0).sum(0)}
    return out


def summarise(graphs: dict[str, dict], aus, rule: str = "auto", alpha: float = 0.05) -> dict[str, list[list]]:
    """Rows of ``network.csv``, ``network_summary.csv`` and ``network_edges.csv``.

    Args:
        graphs: key -> ``{"expression": name, "relation", "relation_ci", "q" (or absent),
            "pair_subjects" (or absent), "p_au": [A], "n_units"}``; ``expression`` is "" for the graph over all units, whose
            rows say ``graph`` = ``all`` (the others ``expression``).
        aus: AU names, length A.
        rule, alpha: see :func:`edges`.

    Returns:
        ``{"nodes": [...], "graphs": [...], "edges": [...]}``, rows of :data:`NODE_COLUMNS`,
        :data:`GRAPH_COLUMNS`, :data:`EDGE_COLUMNS` (raw values, NaN where undefined).

    >>> rel = {"phi": np.array([[np.nan, .5], [.5, np.nan]]), "lift": np.full((2, 2), 2.)}
    >>> lo = np.array([[np.nan, 1.5], [1.5, np.nan]])
    >>> out = summarise({"all": {"expression": "", "relation": rel, "relation_ci": {"lift": (lo, lo)},
    ...                          "p_au": np.array([.3, .4]), "n_units": 10}}, ["AU06", "AU12"])
    >>> [r[5:7] for r in out["nodes"]], out["graphs"][0][3]
    ([[1, 0.5], [1, 0.5]], 1)
    """
    from ..facs import au_number

    nodes, summary, edge_rows = [], [], []
    for g in graphs.values():
        name = "expression" if g["expression"] else "all"
        mask, used = edges(g["relation"], g["relation_ci"], g.get("q"), rule, alpha, g.get("pair_subjects"))
        phi = np.asarray(g["relation"]["phi"], dtype=float)
        G = au_graph(list(aus), mask, phi)
        measures = node_measures(G)
        for a, au in enumerate(aus):
            m = measures[au]
            nodes.append([name, g["expression"], au_number(au), au, g["p_au"][a], m["degree"], m["strength"],
                          m["eigenvector"], m["betweenness"], m["community"], m["component"], used, g["n_units"]])
        gm = graph_measures(G)
        summary.append([name, g["expression"], *(gm[c] for c in GRAPH_COLUMNS[2:10]), used,
                        alpha if used == "q" else np.nan, MIN_SUBJECTS if used == "lift-ci" else np.nan, g["n_units"]])
        q = g.get("q")
        low = g["relation_ci"]["lift"][0]
        for i, j in zip(*np.nonzero(np.triu(mask, 1))):
            edge_rows.append([name, g["expression"], aus[i], aus[j], phi[i, j], g["relation"]["lift"][i, j],
                              low[i, j], np.nan if q is None else max(q[i, j], q[j, i]), used])
    return {"nodes": nodes, "graphs": summary, "edges": edge_rows}


def pair_qvalues(est, expression: str | None = None) -> np.ndarray | None:
    """The ``[A, A]`` pair-test q-values an estimate carries for all units (``expression`` None)
    or for one expression's units, or None (no pair test: ``n_perm=0``, or an estimate without it).

    Reads ``est.pairs`` (:mod:`auknow.estimate.pair_test`: ``strata`` = ``("all", *expressions)``
    and ``q`` ``[H, A, A]``); the ``auto`` edge rule uses ``lift-ci`` where this is None.

    >>> class Est: pairs = {"strata": ("all", "fear"), "q": np.arange(8.).reshape(2, 2, 2)}
    >>> pair_qvalues(Est(), "fear").tolist(), pair_qvalues(Est(), "anger")
    ([[4.0, 5.0], [6.0, 7.0]], None)
    """
    pairs = getattr(est, "pairs", None)
    if not pairs or "q" not in pairs:
        return None
    strata = list(pairs.get("strata", ()))
    if expression is None:
        h = 0 if strata[:1] == ["all"] else None
    else:  # the expressions follow "all" (an expression named "all" is still found there)
        h = 1 + strata[1:].index(expression) if expression in strata[1:] else None
    return None if h is None else np.asarray(pairs["q"][h], dtype=float)


def bipartite_edges(est, alpha: float = 0.05) -> tuple[np.ndarray, np.ndarray]:
    """``(significant [E, A] bool, weight [E, A])`` of the expression <-> AU network: an edge where
    the AU is significantly more frequent in the expression (q < alpha, log odds ratio > 0),
    weighted by P(AU | e) (NetFACS ``overlap_network``'s occurrence graph, with BH q-values).

    ``est``: a :class:`~auknow.estimate.prior.PriorEstimate` (``q_value`` ``[E, A]``, NaN without
    the permutation test, so no edge); ``alpha`` in (0, 1); weights in [0, 1].

    >>> import auknow
    >>> from auknow.estimate.prior import estimate_prior
    >>> est = estimate_prior(auknow.read_ckplus(auknow.bundled_ckplus_path()), n_boot=0, n_perm=100)
    >>> sig, w = bipartite_edges(est)
    >>> sig.shape, int(sig.sum())
    ((7, 23), 30)
    >>> e = est.expressions.index("happiness")
    >>> [(est.aus[a], round(float(w[e, a]), 3)) for a in np.flatnonzero(sig[e])]
    [('AU06', 0.957), ('AU12', 0.971), ('AU25', 0.971)]
    """
    with np.errstate(invalid="ignore"):
        sig = (est.q_value < alpha) & (est.expression["log_odds_ratio"] > 0)
    return sig, est.expression["p_au_given_expression"]


def bipartite_measures(est, alpha: float = 0.05) -> tuple[dict, dict]:
    """Graph-level measures of the bipartite expression <-> AU graph and each node's community.

    Returns ``(graph_measures(...), {node: community})``; expression nodes are named as the
    expressions, AU nodes as the AUs; the communities (numbered from 1, largest first) cover the
    nodes with an edge ({} without edges). ``est``, ``alpha``: as :func:`bipartite_edges`.

    >>> import auknow
    >>> from auknow.estimate.prior import estimate_prior
    >>> est = estimate_prior(auknow.read_ckplus(auknow.bundled_ckplus_path()), n_boot=0, n_perm=100)
    >>> g, comm = bipartite_measures(est)
    >>> g["n_nodes"] == len(est.expressions) + len(est.aus), g["n_edges"], g["transitivity"]  # bipartite: no triangle
    (True, 30, 0)
    >>> sorted(n for n in comm if comm[n] == comm["happiness"])
    ['AU06', 'AU12', 'AU25', 'happiness']
    >>> round(g["modularity"], 3)
    0.49
    """
    import networkx as nx

    sig, w = bipartite_edges(est, alpha)
    G = nx.Graph()
    G.add_nodes_from(est.expressions, part="expression")
    G.add_nodes_from(est.aus, part="au")
    for e, a in zip(*np.nonzero(sig)):
        G.add_edge(est.expressions[e], est.aus[a], weight=float(w[e, a]))
    comm = {n: k for k, c in enumerate(_communities(G), start=1) for n in c} if G.number_of_edges() else {}
    return graph_measures(G), comm
