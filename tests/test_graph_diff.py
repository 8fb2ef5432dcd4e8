"""`auknow diff --graph`: edges added, removed and reweighted between two AU graphs, on a
hand-built pair whose changes are known, a symmetry property, the tidy files and the CLI."""

from __future__ import annotations

import math

import networkx as nx
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as hst

from auknow import cli
from auknow.compile import CompileError, save_graph
from auknow.compile.graph_diff import EDGE_CHANGE_COLUMNS, diff_graphs, edge_weights


def _edge(G, u, v, kind, w, directed=False):
    G.add_edge(u, v, key=kind, kind=kind, weight=w, directed=directed)


def hand_pair():
    """A: AU01-AU02 co-occurrence 0.5, AU04->AU07 hierarchy 0.8, AU25-AU26 exclusive 1.
    B: AU01-AU02 0.75 (reweighted), AU04->AU07 0.8 (unchanged), AU07->AU04 0.4 (added),
    AU06-AU12 0.3 (added; AU12 a node of B only), the exclusive edge gone (removed)."""
    A, B = nx.MultiDiGraph(), nx.MultiDiGraph()
    for G in (A, B):
        G.add_nodes_from(["AU01", "AU02", "AU04", "AU06", "AU07", "AU25", "AU26"])
    B.add_node("AU12")
    for u, v in (("AU01", "AU02"), ("AU02", "AU01")):  # an undirected edge stored as two arcs
        _edge(A, u, v, "co-occurrence", 0.5)
    _edge(A, "AU04", "AU07", "hierarchy", 0.8, directed=True)
    _edge(A, "AU26", "AU25", "exclusive", 1.0)
    _edge(B, "AU02", "AU01", "co-occurrence", 0.75)
    _edge(B, "AU04", "AU07", "hierarchy", 0.8, directed=True)
    _edge(B, "AU07", "AU04", "hierarchy", 0.4, directed=True)
    _edge(B, "AU12", "AU06", "co-occurrence", 0.3)
    return A, B


def test_hand_built_pair():
    A, B = hand_pair()
    d = diff_graphs(A, B, names=("A", "B"))
    got = [(r[0], r[1], r[2], r[3], r[4]) for r in d.rows]
    assert got == [("added", "AU07", "AU04", "hierarchy", True), ("added", "AU06", "AU12", "co-occurrence", False),
                   ("removed", "AU25", "AU26", "exclusive", False),
                   ("reweighted", "AU01", "AU02", "co-occurrence", False)]
    added_arc, added_edge, removed, rew = d.rows
    assert math.isnan(added_arc[5]) and added_arc[6] == 0.4 and math.isnan(added_arc[7])
    assert removed[5] == 1.0 and math.isnan(removed[6])
    assert rew[5:] == (0.5, 0.75, 0.25)
    assert d.only_b_nodes == ("AU12",) and d.only_a_nodes == () and d.n_common == 2 and not d.identical
    assert (d.count("added"), d.count("removed"), d.count("reweighted")) == (2, 1, 1)
    text = d.text()
    assert "2 added, 1 removed, 1 reweighted (of 2 in both" in text and "AU07 -> AU04" in text
    assert "AUs only in B: AU12" in text


def test_tolerance_and_identity():
    A, B = hand_pair()
    assert diff_graphs(A, B, tolerance=0.3).count("reweighted") == 0
    assert diff_graphs(A, A).identical and "no change" in diff_graphs(A, A).text()
    with pytest.raises(CompileError, match="tolerance"):
        diff_graphs(A, B, tolerance=-1)


def test_direction_change_is_removed_plus_added():
    A, B = nx.MultiDiGraph(), nx.MultiDiGraph()
    _edge(A, "AU01", "AU02", "co-occurrence", 0.5)
    _edge(B, "AU01", "AU02", "co-occurrence", 0.5, directed=True)
    assert [r[0] for r in diff_graphs(A, B).rows] == ["added", "removed"]


def test_bad_edges_are_named():
    G = nx.MultiGraph()
    G.add_edge("AU01", "AU02", key=0, weight=1.0)
    with pytest.raises(CompileError, match="AU01 - AU02: no 'kind'"):
        edge_weights(G)
    H = nx.MultiGraph()
    H.add_edge("AU01", "AU02", key="co-occurrence", kind="co-occurrence", weight="strong")
    with pytest.raises(CompileError, match="'strong' is not a number"):
        edge_weights(H)


_AUS = ["AU01", "AU02", "AU04", "AU06", "AU12"]
_edges = hst.dictionaries(
    hst.tuples(hst.sampled_from(_AUS), hst.sampled_from(_AUS), hst.sampled_from(["co-occurrence", "exclusive"]))
    .filter(lambda t: t[0] != t[1]),
    hst.floats(0.01, 1), max_size=12)


def _graph(edges) -> nx.MultiGraph:
    G = nx.MultiGraph()
    G.add_nodes_from(_AUS)
    for (u, v, kind), w in edges.items():
        _edge(G, u, v, kind, w)
    return G


@settings(max_examples=60, deadline=None)
@given(_edges, _edges)
def test_swapping_sides_swaps_added_and_removed(ea, eb):
    A, B = _graph(ea), _graph(eb)
    ab, ba = diff_graphs(A, B), diff_graphs(B, A)
    key = lambda r: r[1:5]  # noqa: E731
    assert {key(r) for r in ab.rows if r[0] == "added"} == {key(r) for r in ba.rows if r[0] == "removed"}
    assert {(key(r), r[7]) for r in ab.rows if r[0] == "reweighted"} == \
        {(key(r), -r[7]) for r in ba.rows if r[0] == "reweighted"}
    # B rebuilt from A and the changes equals B's edge set
    wa = edge_weights(A)
    for r in ab.rows:
        if r[0] == "removed":
            del wa[key(r)]
        else:
            wa[key(r)] = r[6]
    wb = edge_weights(B)  # equal up to the tolerance below which a change is not reported
    assert wa.keys() == wb.keys() and all(abs(wa[k] - wb[k]) <= 1e-9 for k in wb)


def test_tidy_csv_and_markdown(tmp_path):
    d = diff_graphs(*hand_pair())
    path = d.save(tmp_path / "changes.csv")
    frame = pd.read_csv(path)
    assert list(frame.columns) == list(EDGE_CHANGE_COLUMNS) and len(frame) == 4
    row = frame[frame.change == "reweighted"].iloc[0]
    assert (row.au_i, row.au_j, row.weight_a, row.weight_b, row.delta) == ("AU01", "AU02", 0.5, 0.75, 0.25)
    assert frame[frame.change == "removed"].weight_b.isna().all()
    md = d.save(tmp_path / "changes.md").read_text()
    assert md.splitlines()[0] == "| " + " | ".join(EDGE_CHANGE_COLUMNS) + " |"
    assert "| removed | AU25 | AU26 | exclusive | false | 1 | - | - |" in md
    with pytest.raises(CompileError, match="expected .csv or .md"):
        d.save(tmp_path / "changes.txt")


def _files(tmp_path):
    A, B = hand_pair()
    return save_graph(A, tmp_path / "a.json"), save_graph(B, tmp_path / "b.json")


def test_cli_graph_files(tmp_path, capsys):
    a, b = _files(tmp_path)
    out = tmp_path / "changes.csv"
    assert cli.main(["diff", str(a), str(b), "--graph", "--to", str(out), "--exit-code"]) == 1
    printed = capsys.readouterr().out
    assert "2 added, 1 removed, 1 reweighted" in printed
    assert len(pd.read_csv(out)) == 4
    assert cli.main(["diff", str(a), str(a), "--graph", "--exit-code"]) == 0


def test_cli_graph_from_tables(tmp_path, capsys):
    out = tmp_path / "e.md"
    assert cli.main(["diff", "fig2002", "fig2002", "--graph", "--alternatives", "subsets", "--to", str(out)]) == 0
    assert "no change" in capsys.readouterr().out and out.read_text().count("\n") == 2  # header only
    assert cli.main(["diff", "fig2002", "ekman_emfacs", "--graph", "--kinds", "co-occurrence", "--top", "1"]) == 0
    assert "reweighted" in capsys.readouterr().out


@pytest.mark.parametrize("extra, match", [
    (["--graph", "--mode", "binary"], "--mode: only for a matrix diff"),
    (["--graph", "--intensity-weights", "linear"], "--intensity-weights: only for a matrix diff"),
    (["--top-k", "2"], "--top-k: only for a graph diff"),
    (["--graph", "--to", "x.txt"], "unknown table format '.txt'"),
])
def test_cli_options_that_do_not_apply(tmp_path, capsys, extra, match):
    extra = [str(tmp_path / e) if e.endswith(".txt") else e for e in extra]
    assert cli.main(["diff", "fig2002", "ekman_emfacs", *extra]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and match in err[0]
    assert not list(tmp_path.iterdir())


def test_cli_graph_file_refuses_build_options_and_existing_output(tmp_path, capsys):
    a, b = _files(tmp_path)
    assert cli.main(["diff", str(a), str(b), "--graph", "--top-k", "2"]) == 2
    assert "is a graph file" in capsys.readouterr().err
    out = tmp_path / "changes.csv"
    out.write_text("keep\n")
    assert cli.main(["diff", str(a), str(b), "--graph", "--to", str(out)]) == 2
    assert "exists" in capsys.readouterr().err and out.read_text() == "keep\n"


def test_cli_matrix_diff_to_csv(tmp_path, capsys):
    out = tmp_path / "cells.csv"
    assert cli.main(["diff", "fig2002", "du2014", "--to", str(out)]) == 0
    frame = pd.read_csv(out)
    assert list(frame.columns) == ["expression", "au", "value_a", "value_b", "delta"]
    both = frame.dropna()
    assert ((both.value_b - both.value_a - both.delta).abs() < 1e-12).all() and len(frame) > 0
