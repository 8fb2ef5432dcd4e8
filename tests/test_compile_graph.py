"""AU-relation graphs against brute-force float64 references; lossless round trips networkx <->
torch-geometric <-> relation table (property tests); bipartite graphs; rendered plots."""

from __future__ import annotations

import itertools
import math

import matplotlib.image as mpimg
import networkx as nx
import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as hst

from auknow.atomic import OutputExistsError
from auknow.compile import (EDGE_KINDS, GraphError, au_graph, bipartite_data, bipartite_graph, bipartite_to_pyg,
                            compile_matrix, dense_adjacency, diff_tables, from_pyg, graph_to_table, load_graph,
                            plot_graph, plot_prior, save_figure, save_graph, to_data, to_pyg)
from auknow.facs import au_name, au_set, exclusive_pairs, parse_facs
from auknow.tables.model import (Configuration, PrototypeTable, Provenance, QuantifiedTable, Relation,
                                 RelationTable, Statistic, Weight)

PROV = Provenance("literature")


def C(required, optional="", alternatives=""):
    return Configuration(parse_facs(required), parse_facs(optional) if optional else (),
                         parse_facs(alternatives, check_exclusive=False) if alternatives else ())


PROTO = PrototypeTable("toy", "Toy", PROV, {
    "surprise": [C("1+2+5", alternatives="26+27")],
    "happiness": [C("6+12")],
    "sadness": [C("1+4+15", optional="17")],
    "fear": [C("1+2+4+5+20")],
})


def rel_table(relations, name="rel", statistic=Statistic("phi", (-1.0, 1.0))):
    return RelationTable(name, name, Provenance("estimated"), relations, statistic)


def reference_prototype_counts(tables, members=("required", "optional", "alternatives")):
    """Brute force over every configuration and every pair of FACS numbers."""
    configs = []
    for t in tables:
        for cs in t.expressions.values():
            for c in cs:
                groups = {"required": {i.number for i in c.required}, "optional": {i.number for i in c.optional},
                          "alternatives": {i.number for i in c.alternatives}}
                configs.append(groups)
    numbers = sorted({n for g in configs for m in members for n in g[m]})
    n_i = {a: sum(any(a in g[m] for m in members) for g in configs) for a in numbers}
    n_ij = {}
    for a, b in itertools.combinations(numbers, 2):
        count = 0
        for g in configs:
            has_a = any(a in g[m] for m in members)
            has_b = any(b in g[m] for m in members)
            both_alt = ("alternatives" in members and a in g["alternatives"] and b in g["alternatives"]
                        and not any(a in g[m] or b in g[m] for m in members if m != "alternatives"))
            if has_a and has_b and not both_alt:
                count += 1
        if count:
            n_ij[(a, b)] = count
    return len(configs), n_i, n_ij


# --- building ------------------------------------------------------------------------------------

def test_prototype_fraction_by_brute_force():
    G = au_graph(PROTO)
    assert isinstance(G, nx.MultiGraph) and not G.is_directed()
    N, n_i, n_ij = reference_prototype_counts([PROTO])
    assert N == 4
    co = {(u, v): d for u, v, k, d in G.edges(keys=True, data=True) if k == "co-occurrence"}
    assert len(co) == len(n_ij)
    for (a, b), c in n_ij.items():
        d = co.get((au_name(a), au_name(b))) or co.get((au_name(b), au_name(a)))
        assert d["weight"] == c / N and d["n"] == N and d["directed"] is False
    assert co[("AU01", "AU02")]["weight"] == 0.5  # surprise and fear of 4 configurations
    assert ("AU26", "AU27") not in co  # two alternatives of one configuration are never together
    # FACS exclusive pairs among the nodes, weight 1
    ex = {frozenset((u, v)) for u, v, k in G.edges(keys=True) if k == "exclusive"}
    nodes = {int(n[2:]) for n in G.nodes}
    assert ex == {frozenset(map(au_name, p)) for p in exclusive_pairs() if set(p) <= nodes}
    assert frozenset(("AU26", "AU27")) in ex
    assert G.nodes["AU12"] == {"name": "AU12", "number": 12, "description": "lip corner puller",
                               "region": "Lower Face", "code_type": "AU"}
    assert list(G.nodes) == sorted(G.nodes, key=lambda a: int(a[2:]))


def test_prototype_conditional_and_count_and_members():
    N, n_i, n_ij = reference_prototype_counts([PROTO])
    D = au_graph(PROTO, prototype_weight="conditional", facs_exclusive=False)
    assert D.is_directed()
    for (a, b), c in n_ij.items():
        A, B = au_name(a), au_name(b)
        assert D[A][B]["co-occurrence"]["weight"] == c / n_i[a] and D[A][B]["co-occurrence"]["n"] == n_i[a]
        assert D[B][A]["co-occurrence"]["weight"] == c / n_i[b]
    assert D["AU01"]["AU02"]["co-occurrence"]["weight"] == 2 / 3 and D["AU02"]["AU01"]["co-occurrence"]["weight"] == 1
    K = au_graph(PROTO, prototype_weight="count", facs_exclusive=False)
    assert K["AU01"]["AU02"]["co-occurrence"]["weight"] == 2.0
    R = au_graph(PROTO, members=("required",), facs_exclusive=False)
    _, _, n_req = reference_prototype_counts([PROTO], members=("required",))
    assert {tuple(sorted((int(u[2:]), int(v[2:])))) for u, v in R.edges()} == set(n_req)
    assert "AU17" not in R.nodes and "AU26" not in R.nodes


def test_relation_table_graph_and_facs_exclusive_not_duplicated():
    t = rel_table([
        Relation("AU01", "AU02", "co-occurrence", 0.7, ci=(0.6, 0.8), n=40, p_value=0.001, q_value=0.01),
        Relation("AU25", "AU24", "exclusive", 0.9),
        Relation("AU06", "AU12", "hierarchy", 1.0, directed=True),
    ])
    G = au_graph(t)
    assert G.is_directed()  # the hierarchy is directed
    assert G["AU01"]["AU02"]["co-occurrence"] == {"kind": "co-occurrence", "weight": 0.7, "ci_low": 0.6,
                                                  "ci_high": 0.8, "n": 40, "p_value": 0.001, "q_value": 0.01,
                                                  "directed": False}
    assert G["AU02"]["AU01"]["co-occurrence"]["weight"] == 0.7  # undirected relation: both arcs
    assert not G.has_edge("AU12", "AU06")
    both = au_graph([t, PROTO])
    ex = [(u, v, d["weight"]) for u, v, k, d in both.edges(keys=True, data=True) if k == "exclusive"
          and {u, v} == {"AU24", "AU25"}]
    assert sorted(ex) == [("AU24", "AU25", 0.9), ("AU25", "AU24", 0.9)]  # the table's edge, no FACS duplicate
    only_co = au_graph([t, PROTO], kinds=["co-occurrence"])
    assert {d["kind"] for *_, d in only_co.edges(data=True)} == {"co-occurrence"}


def test_combine_records_and_symmetrise():
    a = rel_table([Relation("AU01", "AU02", "co-occurrence", 0.8, directed=True, ci=(0.7, 0.9)),
                   Relation("AU02", "AU01", "co-occurrence", 0.4, directed=True)], name="a")
    b = rel_table([Relation("AU01", "AU02", "co-occurrence", 0.2, directed=True)], name="b")
    G = au_graph([a, b])
    assert G["AU01"]["AU02"]["co-occurrence"] == {"kind": "co-occurrence", "weight": 0.5, "directed": True}
    assert G["AU02"]["AU01"]["co-occurrence"]["weight"] == 0.4
    assert au_graph([a, b], combine="max")["AU01"]["AU02"]["co-occurrence"]["weight"] == 0.8
    assert au_graph([a, b], combine="sum")["AU01"]["AU02"]["co-occurrence"]["weight"] == pytest.approx(1.0)
    S = au_graph([a, b], symmetrise=True)
    assert not S.is_directed()
    assert S["AU01"]["AU02"]["co-occurrence"]["weight"] == pytest.approx((0.8 + 0.2 + 0.4) / 3)
    single = au_graph(a.__class__("c", "c", PROV, [Relation("AU01", "AU04", "co-occurrence", 0.3, directed=True,
                                                            n=5)]), symmetrise=True)
    assert single["AU01"]["AU04"]["co-occurrence"] == {"kind": "co-occurrence", "weight": 0.3, "n": 5,
                                                       "directed": False}
    assert G.graph["tables"] == "a;b"


def test_threshold_and_top_k_by_hand():
    t = rel_table([Relation("AU01", "AU02", "co-occurrence", 0.9), Relation("AU01", "AU04", "co-occurrence", 0.5),
                   Relation("AU01", "AU05", "co-occurrence", 0.1), Relation("AU02", "AU04", "co-occurrence", -0.6),
                   Relation("AU04", "AU05", "co-occurrence", 0.2), Relation("AU01", "AU06", "exclusive", 0.05)])
    th = au_graph(t, threshold=0.3)
    assert {frozenset((u, v)) for u, v, k in th.edges(keys=True) if k == "co-occurrence"} == \
        {frozenset(p) for p in (("AU01", "AU02"), ("AU01", "AU04"), ("AU02", "AU04"))}
    assert th.has_edge("AU01", "AU06")  # exclusive edges are not pruned by default
    assert not au_graph(t, threshold=0.3, prune=("co-occurrence", "exclusive")).has_edge("AU01", "AU06")
    # top-1 per node (by |w|): AU01->AU02 (0.9), AU02->AU01 (0.9), AU04->AU02 (|-0.6|), AU05->AU04 (0.2)
    k1 = au_graph(t, top_k=1)
    assert {frozenset((u, v)) for u, v, k in k1.edges(keys=True) if k == "co-occurrence"} == \
        {frozenset(p) for p in (("AU01", "AU02"), ("AU02", "AU04"), ("AU04", "AU05"))}
    d = rel_table([Relation("AU01", "AU02", "co-occurrence", 0.9, directed=True),
                   Relation("AU01", "AU04", "co-occurrence", 0.5, directed=True),
                   Relation("AU04", "AU01", "co-occurrence", 0.1, directed=True)])
    dk = au_graph(d, top_k=1)
    assert sorted((u, v) for u, v in dk.edges()) == [("AU01", "AU02"), ("AU04", "AU01")]
    with pytest.raises(GraphError, match="top_k"):
        au_graph(t, top_k=0)


def test_aus_restrict_and_order():
    G = au_graph(PROTO, aus="AU12,AU06,AU01,AU02,AU45")
    assert list(G.nodes) == ["AU12", "AU06", "AU01", "AU02", "AU45"]
    assert set(G.edges()) <= {(a, b) for a in G.nodes for b in G.nodes}
    assert G.degree("AU45") == 0


def test_bad_tables_and_options():
    q = QuantifiedTable("q", "q", PROV, Statistic("weight", (0.0, 1.0)), {"anger": {"AU04": Weight(0.5)}})
    with pytest.raises(GraphError, match="quantified"):
        au_graph(q)
    with pytest.raises(GraphError, match="kinds"):
        au_graph(PROTO, kinds=["friendship"])
    with pytest.raises(GraphError, match="prototype_weight"):
        au_graph(PROTO, prototype_weight="jaccard")


# --- torch-geometric form ------------------------------------------------------------------------

def _dense_reference(G, order, kinds=None, signed=False):
    idx = {a: i for i, a in enumerate(order)}
    A = np.zeros((len(order), len(order)))
    for u, v, k, d in G.edges(keys=True, data=True):
        if kinds is not None and k not in kinds:
            continue
        w = -abs(d["weight"]) if signed and k == "exclusive" else d["weight"]
        A[idx[u], idx[v]] += w
        if not G.is_directed():
            A[idx[v], idx[u]] += w
    return A


def test_to_pyg_layout():
    G = au_graph(PROTO)
    ei, ew, et = to_pyg(G)
    order = list(G.nodes)
    M = 2 * G.number_of_edges()
    assert ei.shape == (2, M) and ew.shape == (M,) and et.shape == (M,)
    assert ei.dtype == torch.long and et.dtype == torch.long and ew.dtype == torch.float32
    pairs = list(zip(ei[0].tolist(), ei[1].tolist(), et.tolist()))
    assert pairs == sorted(pairs)  # sorted by source, target, kind
    for s, t, k in pairs:
        assert (t, s, k) in pairs  # undirected: both arcs
        assert G.has_edge(order[s], order[t], key=EDGE_KINDS[k])
    sg = to_pyg(G, signed=True)[1]
    assert torch.equal(sg[et == 1], -ew[et == 1]) and torch.equal(sg[et == 0], ew[et == 0])
    ei2, ew2, et2 = to_pyg(G, self_loops=True, self_loop_weight=2.0)
    assert ei2.shape[1] == M + len(order) and (et2 == 3).sum() == len(order)
    assert torch.equal(ew2[et2 == 3], torch.full((len(order),), 2.0))
    with pytest.raises(GraphError, match="leaves out"):
        to_pyg(G, aus=["AU01", "AU02"])


@pytest.mark.parametrize("directed", [False, True])
def test_dense_and_normalizations_by_reference(directed):
    G = au_graph(PROTO, prototype_weight="conditional" if directed else "fraction", kinds=["co-occurrence"])
    order = list(G.nodes)
    A = _dense_reference(G, order)
    dense = dense_adjacency(G, dtype=torch.float64)
    np.testing.assert_allclose(dense.numpy(), A, rtol=0, atol=1e-15)
    Ah = A + np.eye(len(order))
    deg = Ah.sum(0)  # in-degree at the target (torch-geometric's source_to_target flow)
    gcn = Ah / np.sqrt(np.outer(deg, deg))
    np.testing.assert_allclose(dense_adjacency(G, normalize="gcn", dtype=torch.float64).numpy(), gcn, atol=1e-12)
    row = A / np.where(A.sum(1, keepdims=True) > 0, A.sum(1, keepdims=True), 1)
    np.testing.assert_allclose(dense_adjacency(G, normalize="row", dtype=torch.float64).numpy(), row, atol=1e-12)
    rowl = Ah / Ah.sum(1, keepdims=True)
    np.testing.assert_allclose(dense_adjacency(G, normalize="row", self_loops=True, dtype=torch.float64).numpy(),
                               rowl, atol=1e-12)
    # without self loops GCN normalization is D^-1/2 A D^-1/2 (isolated nodes 0)
    d0 = A.sum(0)
    inv = np.where(d0 > 0, 1 / np.sqrt(np.where(d0 > 0, d0, 1)), 0)
    np.testing.assert_allclose(dense_adjacency(G, normalize="gcn", self_loops=False, dtype=torch.float64).numpy(),
                               inv[:, None] * A * inv[None, :], atol=1e-12)


def test_gcn_matches_torch_geometric_gcnconv():
    from torch_geometric.nn import GCNConv

    G = au_graph(PROTO, kinds=["co-occurrence"])
    ei, ew, _ = to_pyg(G)
    x = torch.randn(G.number_of_nodes(), 3, generator=torch.Generator().manual_seed(0))
    conv = GCNConv(3, 2, bias=False)
    ref = conv(x, ei, ew)
    ein, ewn, _ = to_pyg(G, normalize="gcn")
    conv2 = GCNConv(3, 2, bias=False, normalize=False)
    conv2.lin.weight.data.copy_(conv.lin.weight.data)
    torch.testing.assert_close(conv2(x, ein, ewn), ref)


def test_signed_dense_by_kind_and_negative_normalization():
    G = au_graph(PROTO)
    order = list(G.nodes)
    s = dense_adjacency(G, signed=True, dtype=torch.float64).numpy()
    np.testing.assert_allclose(s, _dense_reference(G, order, signed=True))
    assert s[order.index("AU26"), order.index("AU27")] == -1.0
    by = dense_adjacency(G, by_kind=True, dtype=torch.float64)
    assert by.shape == (4, len(order), len(order))
    np.testing.assert_allclose(by[0].numpy(), _dense_reference(G, order, kinds=["co-occurrence"]))
    np.testing.assert_allclose(by[1].numpy(), _dense_reference(G, order, kinds=["exclusive"]))
    with pytest.raises(GraphError, match="non-negative"):
        to_pyg(G, signed=True, normalize="gcn")


def test_to_data_fields():
    t = rel_table([Relation("AU01", "AU02", "co-occurrence", 0.7, ci=(0.6, 0.8), n=40, q_value=0.01),
                   Relation("AU06", "AU12", "hierarchy", 1.0, directed=True)])
    G = au_graph(t, aus="openface_c")
    d = to_data(G)
    M = d.edge_index.shape[1]
    assert M == 3 and d.num_nodes == 18 and d.aus == list(au_set("openface_c"))
    assert d.edge_attr.shape == (3, 1 + len(EDGE_KINDS)) and d.edge_stats.shape == (3, 6)
    assert d.edge_stats.dtype == torch.float64 and d.edge_directed.tolist() == [False, False, True]
    assert torch.equal(d.edge_attr[:, 0], d.edge_weight)
    assert d.edge_attr[:, 1:].argmax(1).tolist() == d.edge_type.tolist() == [0, 0, 2]
    assert d.node_number.tolist()[:3] == [1, 2, 4] and d.directed is True
    assert math.isnan(d.edge_stats[2, 1]) and d.edge_stats[0].tolist()[:4] == [0.7, 0.6, 0.8, 40.0]
    n = to_data(G, normalize="gcn")
    assert nx.utils.graphs_equal(from_pyg(n), G)  # raw values survive normalization


# --- round trips (property tests) ----------------------------------------------------------------

POOL = ["AU01", "AU02", "AU04", "AU06", "AU12", "AU25", "AU26"]
finite = hst.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False)
unit = hst.floats(0, 1, allow_nan=False)


@hst.composite
def relation_tables(draw):
    pairs = list(itertools.combinations(POOL, 2))
    chosen = draw(hst.lists(hst.tuples(hst.sampled_from(pairs), hst.sampled_from(EDGE_KINDS[:3])), unique=True,
                            max_size=12))
    rels = []
    for (a, b), kind in chosen:
        shape = "ij" if kind == "hierarchy" and draw(hst.booleans()) else \
            draw(hst.sampled_from(["ij", "ji", "both"] if kind == "hierarchy" else ["und", "ij", "ji", "both"]))
        ends = {"und": [(a, b)], "ij": [(a, b)], "ji": [(b, a)], "both": [(a, b), (b, a)]}[shape]
        for u, v in ends:
            lo = draw(finite)
            ci = draw(hst.none() | hst.tuples(hst.just(lo), hst.floats(lo, 2e6, allow_nan=False)))
            rels.append(Relation(u, v, kind, draw(finite), directed=shape != "und", ci=ci,
                                 n=draw(hst.none() | hst.integers(0, 10 ** 6)),
                                 p_value=draw(hst.none() | unit), q_value=draw(hst.none() | unit)))
    return rel_table(rels, statistic=draw(hst.none() | hst.just(Statistic("phi", (-1.0, 1.0)))))


def _canonical(rels):
    def key(r):
        a, b = (r.au_i, r.au_j) if r.directed else tuple(sorted((r.au_i, r.au_j)))
        return (r.kind, a, b, r.directed, r.strength, r.ci, r.n, r.p_value, r.q_value)
    return sorted(map(key, rels))


@settings(max_examples=60, deadline=None)
@given(relation_tables())
def test_round_trip_networkx_pyg_table(table):
    G = au_graph(table, aus=POOL, facs_exclusive=False)
    data = to_data(G)
    G2 = from_pyg(data)
    assert nx.utils.graphs_equal(G, G2)
    assert dict(G.nodes(data=True)) == dict(G2.nodes(data=True)) and G.is_directed() == G2.is_directed()
    t2 = graph_to_table(G2, table.name, table.title, table.provenance, table.statistic)
    assert _canonical(t2.relations) == _canonical(table.relations)
    assert t2.statistic == table.statistic and t2.provenance == table.provenance
    G3 = au_graph(t2, aus=POOL, facs_exclusive=False)
    assert nx.utils.graphs_equal(G, G3)
    # the plain-dict form that export writes (.pt) rebuilds the same graph
    plain = {k: data[k] for k in data.keys()}
    assert nx.utils.graphs_equal(from_pyg(plain), G)


@settings(max_examples=30, deadline=None)
@given(hst.lists(hst.tuples(hst.sampled_from(["happiness", "sadness", "fear", "anger", "pain"]),
                            hst.lists(hst.sampled_from([1, 2, 4, 5, 6, 12, 15, 25, 26, 27]), min_size=1, max_size=5,
                                      unique=True)), min_size=1, max_size=6))
def test_round_trip_prototype_graphs(items):
    exprs = {}
    for e, nums in items:
        exprs.setdefault(e, []).append(Configuration(parse_facs("+".join(map(str, nums)), check_exclusive=False)))
    t = PrototypeTable("p", "p", PROV, exprs)
    for weight in ("fraction", "conditional"):
        G = au_graph(t, prototype_weight=weight)
        assert nx.utils.graphs_equal(from_pyg(to_data(G)), G)
        back = au_graph(graph_to_table(G, "p"), aus=list(G.nodes), facs_exclusive=False)
        assert nx.utils.graphs_equal(back, G)


@pytest.mark.parametrize("suffix", [".graphml", ".json", ".pt"])
def test_graph_files_round_trip(tmp_path, suffix):
    t = rel_table([Relation("AU01", "AU02", "co-occurrence", 0.7, ci=(0.6, 0.8), n=40, q_value=0.01),
                   Relation("AU06", "AU12", "hierarchy", 1.0, directed=True)])
    G = au_graph([t, PROTO])
    path = tmp_path / f"graph{suffix}"
    save_graph(G, path)
    back = load_graph(path)
    assert sorted(back.nodes) == sorted(G.nodes)
    assert nx.utils.graphs_equal(nx.MultiDiGraph(back), nx.MultiDiGraph(G))
    with pytest.raises(OutputExistsError):
        save_graph(G, path)
    if suffix == ".pt":
        raw = torch.load(path, weights_only=True)
        assert raw["format"] == "auknow.au_graph/1" and raw["edge_index"].shape[0] == 2


def test_graph_to_table_rejects_mismatched_undirected_arcs():
    G = au_graph(rel_table([Relation("AU01", "AU02", "co-occurrence", 0.5),
                            Relation("AU06", "AU12", "hierarchy", 1.0, directed=True)]))
    G["AU02"]["AU01"]["co-occurrence"]["weight"] = 0.4
    with pytest.raises(GraphError, match="differ"):
        graph_to_table(G, "x")


# --- bipartite ----------------------------------------------------------------------------------

def test_bipartite_forms():
    m = compile_matrix(PROTO, "binary")
    B = bipartite_graph(m)
    assert nx.is_bipartite(B)
    assert {n for n, d in B.nodes(data=True) if d["bipartite"] == 0} == set(m.expressions)
    cells = [(e, a, m.values[i, j]) for i, e in enumerate(m.expressions) for j, a in enumerate(m.aus)
             if m.values[i, j] != 0]
    assert sorted((e, a, w) for e, a, w in cells) == sorted(
        (u, v, d["weight"]) if u in m.expressions else (v, u, d["weight"]) for u, v, d in B.edges(data=True))
    ei, ew = bipartite_to_pyg(m, dtype=torch.float64)
    assert ei.shape == (2, len(cells))
    assert [(m.expressions[i], m.aus[j], w) for i, j, w in zip(ei[0].tolist(), ei[1].tolist(), ew.tolist())] == cells
    h = bipartite_data(m)
    assert h["expression"].num_nodes == len(m.expressions) and h["au"].num_nodes == len(m.aus)
    assert torch.equal(h["expression", "shows", "au"].edge_index, ei)
    assert bipartite_graph(m, threshold=0.5).number_of_edges() == sum(1 for *_, w in cells if w > 0.5)


# --- plots ---------------------------------------------------------------------------------------

def _png_shape(path):
    img = mpimg.imread(path)
    return img.shape[1], img.shape[0]


def test_plots_render_png_and_pdf(tmp_path):
    est = QuantifiedTable("est", "est", Provenance("estimated"), Statistic("p_au_given_expression", (0.0, 1.0)), {
        "anger": {"AU04": Weight(0.8, ci=(0.7, 0.9), q_value=0.001), "AU12": Weight(0.05, q_value=0.01)},
        "happiness": {"AU04": Weight(0.1, q_value=0.01), "AU12": Weight(0.9, ci=(0.8, 0.95), q_value=0.001)}})
    for mode in ("quantified", "signed"):
        m = compile_matrix(est, mode)
        fig = plot_prior(m)
        path = save_figure(fig, tmp_path / f"heat_{mode}.png", dpi=100)
        w, h = fig.get_size_inches()
        assert _png_shape(path) == (round(w * 100), round(h * 100))
        assert path.stat().st_size > 5000
        texts = [t.get_text() for t in fig.axes[0].texts]
        assert any(t.startswith(".90*") for t in texts) and any("v" in t for t in texts)
    G = au_graph(PROTO)
    for layout in ("circular", "spring", "kamada_kawai", "shell"):
        fig = plot_graph(G, layout=layout, size=(6, 5))
        path = save_figure(fig, tmp_path / f"graph_{layout}.png", dpi=80)
        assert _png_shape(path) == (480, 400) and path.stat().st_size > 5000
    pdf = save_figure(plot_graph(au_graph(PROTO, prototype_weight="conditional")), tmp_path / "g.pdf")
    assert pdf.read_bytes()[:5] == b"%PDF-" and pdf.stat().st_size > 2000
    with pytest.raises(OutputExistsError):
        save_figure(fig, tmp_path / "graph_shell.png")


def test_plots_draw_into_a_given_ax(tmp_path):
    from matplotlib.figure import Figure

    fig = Figure(figsize=(12, 4))
    ax1, ax2, ax3 = fig.subplots(1, 3)
    m = compile_matrix(PROTO, "signed")
    assert plot_prior(m, ax=ax1) is fig
    assert plot_graph(au_graph(PROTO), ax=ax2) is fig
    assert diff_tables(PROTO, PrototypeTable("other", "o", PROV, {"happiness": [C("6+12+25")]})).plot(ax=ax3) is fig
    path = save_figure(fig, tmp_path / "panel.png", dpi=50)
    assert _png_shape(path) == (600, 200)
