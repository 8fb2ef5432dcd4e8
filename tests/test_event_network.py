"""Event sizes (auknow.estimate.event_size) and AU network summaries (auknow.estimate.network)."""

from __future__ import annotations

import io

import networkx as nx
import numpy as np
import pandas as pd
import pytest

from auknow.cli import main
from auknow.estimate import event_size as ev
from auknow.estimate import network as nw
from auknow.estimate.statistics import count_units
from auknow.readers.frames import AUFrames


def _frames(rows, aus=("AU01", "AU02", "AU12")):
    """rows: (subject, sequence, expression, [occurrence per AU])."""
    return AUFrames(aus=list(aus), occurrence=[r[3] for r in rows], subject=[r[0] for r in rows],
                    sequence=[r[1] for r in rows], frame=list(range(len(rows))), expression=[r[2] for r in rows])


ROWS = [
    ("s1", "a", "happiness", [0, 0, 1]), ("s1", "a", "happiness", [1, 0, 1]), ("s1", "a", "happiness", [1, -1, 1]),
    ("s1", "b", "surprise", [1, 1, 0]), ("s1", "b", "surprise", [1, 1, 1]),
    ("s2", "c", "happiness", [0, 0, 1]), ("s2", "d", "surprise", [1, 1, 0]), ("s2", "d", "surprise", [0, 0, 0]),
]


def test_event_sizes_equal_a_count_by_hand():
    es = ev.event_sizes(ev.size_counts(_frames(ROWS)), n_boot=0, n_perm=0)
    assert es.sizes == (0, 1, 2, 3) and es.expressions == ("happiness", "surprise")
    # happiness: complete frames have sizes 1, 2, 1 (the third frame has AU02 missing: left out)
    assert es.p_size[0].tolist() == [0, 2 / 3, 1 / 3, 0]
    assert es.n_units.tolist() == [3, 4] and es.n_incomplete.tolist() == [1, 0]
    # surprise: sizes 2, 3, 2, 0
    assert es.p_size[1].tolist() == [1 / 4, 0, 2 / 4, 1 / 4]
    assert es.mean_size.tolist() == pytest.approx([4 / 3, 7 / 4])
    assert es.p_other[0].tolist() == es.p_size[1].tolist()  # with two expressions, "other" is the other one
    assert es.n_subjects.tolist() == [2, 2]


def test_event_sizes_per_sequence_by_hand_and_from_counts():
    f = _frames(ROWS)
    es = ev.event_sizes(ev.size_counts(f, unit="sequence", min_fraction=0.5), n_boot=0, n_perm=0)
    # sequence a: AU01 2/3, AU02 0/2 coded, AU12 3/3 -> size 2; b: 2/2, 1/2, 1/2 -> 3;
    # c: AU12 -> 1; d: AU01 1/2, AU02 1/2, AU12 0/2 -> 2
    assert es.sizes == (1, 2, 3)
    assert es.p_size.tolist() == [[0.5, 0.5, 0.0], [0.0, 0.5, 0.5]]
    from_counts = ev.event_sizes(ev.size_counts(count_units(f, "sequence", 0.5), unit="sequence"), n_boot=0, n_perm=0)
    assert from_counts.p_size.tolist() == es.p_size.tolist()
    with pytest.raises(Exception, match="need the frames"):
        ev.size_counts(count_units(f, "frame"), unit="frame")


def _simulate(rng, n_subjects, p=(0.6, 0.3)):
    """Per subject 3 happiness + 3 surprise frames; each of 2 AUs present independently with p[e]."""
    rows = []
    for s in range(n_subjects):
        for e, expr in enumerate(("happiness", "surprise")):
            for t in range(3):
                rows.append((f"s{s}", f"s{s}{expr}", expr, (rng.random(2) < p[e]).astype(int).tolist()))
    return _frames(rows, aus=("AU01", "AU02"))


def test_intervals_cover_the_truth_and_shrink_with_subjects():
    rng = np.random.default_rng(1)
    truth = np.array([0.4 ** 2, 2 * 0.6 * 0.4, 0.6 ** 2])  # happiness: size ~ Binomial(2, 0.6)
    widths = {}
    for S in (20, 80):
        cover, width = [], []
        for rep in range(30):
            es = ev.event_sizes(ev.size_counts(_simulate(rng, S)), n_boot=300, n_perm=0, seed=rep)
            cover.append((es.ci_low[0] <= truth) & (truth <= es.ci_high[0]))
            width.append(es.ci_high[0] - es.ci_low[0])
        cover = np.mean(cover, axis=0)
        se = np.sqrt(0.95 * 0.05 / 30)
        assert (cover >= 0.95 - 4 * se).all(), (S, cover)  # 95% CIs: coverage within MC error
        widths[S] = np.mean(width, axis=0)
    # 4x the subjects: about half the width (1/sqrt(4))
    assert (widths[80] < 0.65 * widths[20]).all(), widths


def test_planted_size_shift_is_detected_and_null_is_not():
    rng = np.random.default_rng(3)
    es = ev.event_sizes(ev.size_counts(_simulate(rng, 40, p=(0.7, 0.2))), n_boot=0, n_perm=200)
    assert (es.mean_q_value < 0.01).all() and es.mean_size[0] > es.mean_size[1]
    # the permutation null of P(size | e) lies between e's and the other's distribution
    assert es.p_null[0, 2] < es.p_size[0, 2] and es.p_null[0, 2] > es.p_other[0, 2]
    null = ev.event_sizes(ev.size_counts(_simulate(rng, 40, p=(0.4, 0.4))), n_boot=0, n_perm=200)
    assert (null.mean_q_value > 0.05).all()


def test_reorder_and_rows():
    es = ev.event_sizes(ev.size_counts(_frames(ROWS)), n_boot=0, n_perm=0)
    r = ev.reorder(es, ["surprise", "happiness"])
    assert r.p_size[0].tolist() == es.p_size[1].tolist()
    df = ev.to_frame(r)
    assert list(df.columns) == list(ev.COLUMNS) and len(df) == 2 * len(es.sizes)
    assert df.expression.iloc[0] == "surprise"
    with pytest.raises(Exception, match="does not name"):
        ev.reorder(es, ["surprise"])


# --- networks --------------------------------------------------------------------------------------

AUS = ["AU01", "AU02", "AU04", "AU06", "AU12"]


def _relations(pairs: dict[tuple[int, int], tuple[float, float]]):
    """Relation dicts with phi and lift-CI lower bounds set for the given pairs (both directions)."""
    A = len(AUS)
    phi, low = np.full((A, A), 0.0), np.full((A, A), 0.9)
    for (i, j), (w, lo) in pairs.items():
        phi[i, j] = phi[j, i] = w
        low[i, j] = low[j, i] = lo
    np.fill_diagonal(phi, np.nan)
    return {"phi": phi, "lift": phi + 1}, {"lift": (low, low + 1)}


def test_centralities_equal_networkx_on_a_hand_graph():
    # a triangle 1-2-4 with a tail 4-6; AU12 isolated (lift CI low 0.9: no edge)
    rel, ci = _relations({(0, 1): (0.5, 1.3), (0, 2): (0.4, 1.2), (1, 2): (0.2, 1.1), (2, 3): (0.7, 1.5)})
    out = nw.summarise({"": {"expression": "", "relation": rel, "relation_ci": ci, "p_au": np.full(5, .5),
                             "n_units": 10}}, AUS, rule="lift-ci")
    G = nx.Graph()
    G.add_weighted_edges_from([("AU01", "AU02", .5), ("AU01", "AU04", .4), ("AU02", "AU04", .2), ("AU04", "AU06", .7)])
    bet = nx.betweenness_centrality(G, normalized=True)
    eig = nx.eigenvector_centrality_numpy(G, weight="weight")
    nodes = {r[3]: dict(zip(nw.NODE_COLUMNS, r)) for r in out["nodes"]}
    for au in G.nodes:
        assert nodes[au]["degree"] == G.degree(au)
        assert nodes[au]["strength"] == pytest.approx(G.degree(au, weight="weight"))
        assert nodes[au]["betweenness"] == pytest.approx(bet[au] * 3 / 6)  # pairs: 3 of 4 nodes, 6 of 5 (AU12)
        assert nodes[au]["eigenvector"] == pytest.approx(abs(eig[au]), abs=1e-6)
    # by hand: AU04 is on the only shortest paths AU06-AU01 and AU06-AU02: 2 of the 6 pairs of the others
    assert nodes["AU04"]["betweenness"] == pytest.approx(2 / 6) and nodes["AU04"]["strength"] == pytest.approx(1.3)
    assert nodes["AU12"]["degree"] == 0 and np.isnan(nodes["AU12"]["eigenvector"]) and nodes["AU12"]["community"] == 0
    g = dict(zip(nw.GRAPH_COLUMNS, out["graphs"][0]))
    assert g["n_edges"] == 4 and g["density"] == pytest.approx(4 / 10) and g["edge_rule"] == "lift-ci"
    comms = nx.community.greedy_modularity_communities(G, weight="weight")
    assert g["modularity"] == pytest.approx(nx.community.modularity(G, comms, weight="weight"))
    assert {tuple(r[2:4]) for r in out["edges"]} == {("AU01", "AU02"), ("AU01", "AU04"), ("AU02", "AU04"),
                                                     ("AU04", "AU06")}


def test_q_rule_needs_both_directions_and_a_positive_association():
    rel, ci = _relations({(0, 1): (0.5, 0.5), (1, 2): (0.3, 0.5), (2, 3): (-0.2, 0.5)})
    q = np.ones((5, 5))
    q[0, 1] = q[1, 0] = 0.01  # an edge
    q[1, 2], q[2, 1] = 0.01, 0.2  # one direction only: none
    q[2, 3] = q[3, 2] = 0.01  # negative phi: none
    mask, used = nw.edges(rel, ci, q, "auto")
    assert used == "q" and np.argwhere(np.triu(mask)).tolist() == [[0, 1]]
    assert nw.edges(rel, ci, None, "auto")[1] == "lift-ci"
    with pytest.raises(Exception, match="needs pair q-values"):
        nw.edges(rel, ci, None, "q")
    with pytest.raises(Exception, match="not one of"):
        nw.edges(rel, ci, q, "strong")


def test_a_graph_without_edges_gives_valid_rows():
    rel, ci = _relations({})
    out = nw.summarise({"x": {"expression": "fear", "relation": rel, "relation_ci": ci, "p_au": np.zeros(5),
                              "n_units": 3}}, AUS)
    from auknow.estimate.output import network_csvs

    files = network_csvs(out)
    nodes = pd.read_csv(io.StringIO(files["network.csv"]))
    assert len(nodes) == 5 and (nodes.degree == 0).all() and nodes.eigenvector.isna().all()
    assert (nodes.graph == "expression").all() and (nodes.expression == "fear").all()
    summary = pd.read_csv(io.StringIO(files["network_summary.csv"]))
    assert summary.n_edges.tolist() == [0] and summary.modularity.isna().all() and summary.density.tolist() == [0]
    assert pd.read_csv(io.StringIO(files["network_edges.csv"])).empty


# --- command line ----------------------------------------------------------------------------------

def test_cli_writes_event_sizes_and_networks(tmp_path, capsys):
    out = tmp_path / "o"
    assert main(["estimate-prior", "--quiet", "--n-boot", "20", "--n-perm", "20", "--out", str(out)]) == 0
    es = pd.read_csv(out / "event_sizes.csv")
    assert list(es.columns) == list(ev.COLUMNS)
    assert es.groupby("expression").n_units.first().sum() == 327  # every CK+ peak frame, each in one expression
    assert (es.groupby("expression").n_units_size.sum() == es.groupby("expression").n_units.first()).all()
    assert np.allclose(es.p_size, es.n_units_size / es.n_units, atol=1e-6)
    nodes = pd.read_csv(out / "network.csv")
    # the pair test's q-values exist (n_perm > 0), so the automatic rule takes them
    assert len(nodes) == 23 * 8 and set(nodes.edge_rule) == {"q"}
    summary = pd.read_csv(out / "network_summary.csv")
    assert summary.graph.tolist() == ["all"] + ["expression"] * 7 + ["bipartite"]
    edges = pd.read_csv(out / "network_edges.csv")
    assert not edges.empty and (edges.q_value < 0.05).all()


def _check_refused(argv, tmp_path, capsys, fragment):
    before = sorted(tmp_path.rglob("*"))
    assert main(argv) == 2
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("auknow: error: ") and fragment in err, err
    assert sorted(tmp_path.rglob("*")) == before


@pytest.mark.parametrize("value, n_perm, fragment", [("strong", "2", "--network-edges"), ("", "2", "--network-edges"),
                                                     ("q", "0", "pair q-values")])
def test_bad_network_edges_exit_2_and_write_nothing(tmp_path, capsys, value, n_perm, fragment):
    # without permutations there are no pair q-values, so the q rule cannot apply
    argv = ["estimate-prior", "--quiet", "--n-boot", "2", "--n-perm", n_perm, "--out", str(tmp_path / "o"),
            "--network-edges", value]
    _check_refused(argv, tmp_path, capsys, fragment)


def test_network_edges_without_out_is_refused(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    _check_refused(["estimate-prior", "--quiet", "--network-edges", "lift-ci"], tmp_path, capsys, "--out")


def test_streamed_bp4d_gives_per_expression_networks_notes_sizes_and_sequence_sizes_match_frames(tmp_path, capsys):
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).parent))
    from fixtures import write_bp4d

    from auknow.readers import read_bp4d

    fx = write_bp4d(tmp_path / "BP4D", subjects=("F001", "F002", "M001"), seed=2, intensity=False)
    base = ["estimate-prior", "--dataset", "bp4d", str(fx.root), "--n-boot", "5", "--n-perm", "5"]
    assert main(base + ["--out", str(tmp_path / "f")]) == 0
    err = capsys.readouterr().err
    assert "event_sizes.csv not written" in err and "--unit sequence or --independent-clips" in err
    assert not (tmp_path / "f" / "event_sizes.csv").exists()
    net = pd.read_csv(tmp_path / "f" / "network.csv")
    assert set(net.graph) == {"all", "expression"}
    # the per-expression graphs from streamed counts equal those computed from the frames
    per = nw.expression_relations(read_bp4d(fx.root), n_boot=0)
    mine = net[net.graph == "expression"]
    assert set(mine.expression) == set(per)
    for e, rows in mine.groupby("expression"):
        aus = [int(a[2:]) for a in read_bp4d(fx.root).drop_uncoded_aus().aus]
        p_au = dict(zip(aus, per[e]["p_au"]))
        assert np.allclose(rows.p_au, [p_au[a] for a in rows.au], atol=1e-6, equal_nan=True)
        assert (rows.n_units == per[e]["n_units"]).all()
    assert main(base + ["--unit", "sequence", "--out", str(tmp_path / "s")]) == 0
    streamed = pd.read_csv(tmp_path / "s" / "event_sizes.csv")
    frames = ev.event_sizes(ev.size_counts(read_bp4d(fx.root), unit="sequence"), n_boot=0, n_perm=0)
    assert np.allclose(streamed.p_size, ev.to_frame(ev.reorder(frames, list(dict.fromkeys(streamed.expression))))
                       .p_size, atol=1e-6, equal_nan=True)
    assert streamed.n_incomplete.sum() > 0  # the fixture's extra AU27 is coded in some files only
    assert "event sizes leave out" in capsys.readouterr().err


def test_independent_clips_permute_over_all_clips():
    f = _simulate(np.random.default_rng(5), 30, p=(0.8, 0.2))
    es = ev.event_sizes(ev.size_counts(f, independent_clips=True), n_boot=20, n_perm=100, independent_clips=True)
    assert es.settings["n_perm_used"] == 100 and (es.mean_p_value < 0.05).all()
    assert es.n_subjects.tolist() == [30, 30]  # clips: one per subject and expression here


def test_lift_ci_needs_the_pair_in_min_subjects():
    rel, ci = _relations({(0, 1): (0.5, 1.3), (3, 4): (0.9, 4.0)})
    subjects = np.full((5, 5), 10)
    subjects[3, 4] = subjects[4, 3] = nw.MIN_SUBJECTS - 1  # a rare pair: huge lift, seen in 2 subjects
    mask, _ = nw.edges(rel, ci, None, "lift-ci", pair_subjects=subjects)
    assert np.argwhere(np.triu(mask)).tolist() == [[0, 1]]
    assert np.argwhere(np.triu(nw.edges(rel, ci, None, "lift-ci")[0])).tolist() == [[0, 1], [3, 4]]


def test_same_seed_same_files(tmp_path):
    argv = ["estimate-prior", "--quiet", "--n-boot", "30", "--n-perm", "30"]
    for d in ("a", "b"):
        assert main(argv + ["--out", str(tmp_path / d)]) == 0
    for name in ("event_sizes.csv", "network.csv", "network_summary.csv", "network_edges.csv"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()


def test_data_without_expressions_gets_the_overall_network_only(tmp_path):
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).parent))
    from fixtures import write_disfa

    root = write_disfa(tmp_path / "DISFA")
    root = getattr(root, "root", root)
    out = tmp_path / "o"
    assert main(["estimate-prior", "--dataset", "disfa", str(root), "--quiet", "--n-boot", "10", "--n-perm", "10",
                 "--plot", "--out", str(out)]) == 0
    assert not (out / "event_sizes.csv").exists() and not (out / "network.png").exists()
    assert set(pd.read_csv(out / "network.csv").graph) == {"all"}
    assert pd.read_csv(out / "network_summary.csv").graph.tolist() == ["all"]


def test_pair_test_q_values_build_the_graphs_when_present():
    import auknow
    from auknow.estimate import summaries

    frames = auknow.read_ckplus(auknow.bundled_ckplus_path())
    est = auknow.estimate_prior(frames, n_boot=20, n_perm=0)
    A, E = len(est.aus), len(est.expressions)
    q = np.ones((1 + E, A, A))
    i, j = est.aus.index("AU06"), est.aus.index("AU12")
    q[0, i, j] = q[0, j, i] = 0.001  # overall: one significant pair
    est.pairs = {"strata": ("all", *est.expressions), "q": q}  # the pair test's layout
    out = summaries.compute(frames, est, unit="frame", min_fraction=0.5, n_boot=20, n_perm=0, ci=0.95, seed=0)
    edges = pd.read_csv(io.StringIO(out.files["network_edges.csv"]))
    assert edges[["au_i", "au_j"]].values.tolist() == [["AU06", "AU12"]]
    assert set(edges.edge_rule) == {"q"} and edges.q_value.tolist() == [0.001]
    summary = pd.read_csv(io.StringIO(out.files["network_summary.csv"]))
    assert (summary.edge_rule[summary.graph != "bipartite"] == "q").all()
    assert summary.n_edges.tolist()[:1 + E] == [1] + [0] * E
    forced = summaries.compute(frames, est, unit="frame", min_fraction=0.5, n_boot=20, n_perm=0, ci=0.95, seed=0,
                               rule="lift-ci")
    assert set(pd.read_csv(io.StringIO(forced.files["network_summary.csv"])).edge_rule) == {"lift-ci",
                                                                                          "expression-au q"}
