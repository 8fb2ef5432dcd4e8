"""``auknow export``, ``auknow plot`` and ``auknow diff``: formats, label orders, plots, one-line errors."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import matplotlib.image as mpimg
import networkx as nx
import numpy as np
import pytest
import torch

from auknow.compile import PriorMatrix, load_graph
from auknow.facs import au_set

DATA = Path(__file__).parent / "data"


def main(argv: list[str]) -> int:
    """The real ``auknow`` entry point (its error handling turns keywords into flags)."""
    from auknow.cli import main as cli_main

    return cli_main(argv)


@pytest.fixture(autouse=True)
def _bundled():
    try:
        from auknow.library import load_bundled

        for name in ("au_dfer", "fig2002", "ekman_emfacs", "jackschyns_all"):
            load_bundled(name)
    except (ImportError, KeyError) as exc:  # pragma: no cover - while the library is being written
        pytest.skip(f"bundled tables not available: {exc}")


def _one_error_line(capsys) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("auknow: error: "), err
    return err[0]


def test_help_of_each_command(capsys):
    for cmd in ("export", "plot", "diff"):
        assert main([cmd, "--help"]) == 0
        out = capsys.readouterr().out
        assert f"usage: auknow {cmd}" in out and "--mode" in out and "--expressions" in out


def test_export_au_dfer_to_dfew_order_pt(tmp_path):
    ref = json.loads((DATA / "au_dfer_reference.json").read_text())
    out = tmp_path / "prior.pt"
    assert main(["export", "au_dfer", "--to", str(out), "--expressions", "dfew", "--aus", "openface_c",
                 "--scale", "table"]) == 0
    raw = torch.load(out, weights_only=True)
    expected = np.array([[x * ref["scale"] for x in row] for row in ref["raw"]])
    np.testing.assert_array_equal(raw["values"].numpy(), expected)
    assert raw["expressions"] == ["happiness", "sadness", "neutral", "anger", "surprise", "disgust", "fear"]
    assert raw["aus"] == list(au_set("openface_c"))
    assert raw["sources"][0]["table"] == "au_dfer" and raw["sources"][0]["scale"] == 5.0


@pytest.mark.parametrize("suffix", [".npy", ".csv", ".json"])
def test_export_matrix_formats(tmp_path, suffix, capsys):
    out = tmp_path / f"matrix{suffix}"
    argv = ["export", "fig2002", "ekman_emfacs", "--to", str(out), "--mode", "row_normalized",
            "--expressions", "happy,sad,neutral,angry,surprise,disgust,fear", "--aus", "openface_c",
            "--fill", "neutral=uniform", "--missing", "ignore"]
    assert main(argv) == 0
    assert "wrote" in capsys.readouterr().err
    m = PriorMatrix.load(out)
    assert m.expressions[2] == "neutral" and m.values.shape == (7, 18)
    np.testing.assert_allclose(m.values.sum(1), 1.0)
    np.testing.assert_allclose(m.values[2], 1 / 18)
    if suffix == ".npy":
        assert (tmp_path / "matrix.labels.json").exists()
    if suffix == ".csv":
        assert out.read_text().splitlines()[0] == "expression," + ",".join(au_set("openface_c"))
    else:
        assert [s["table"] for s in m.sources] == ["fig2002", "ekman_emfacs"] and m.filled == {"neutral": "uniform"}


def test_export_never_overwrites_without_force(tmp_path, capsys):
    out = tmp_path / "m.csv"
    assert main(["export", "fig2002", "--to", str(out)]) == 0
    before = out.read_text()
    capsys.readouterr()
    assert main(["export", "ekman_emfacs", "--to", str(out)]) == 2
    assert "exists" in _one_error_line(capsys) and out.read_text() == before
    assert main(["export", "ekman_emfacs", "--to", str(out), "--force"]) == 0
    assert out.read_text() != before


def test_export_graphs(tmp_path):
    g = tmp_path / "graph.graphml"
    assert main(["export", "fig2002", "ekman_emfacs", "--to", str(g), "--aus", "openface_c"]) == 0
    G = load_graph(g)
    assert set(G.nodes) <= set(au_set("openface_c"))
    assert {d["kind"] for *_, d in G.edges(data=True)} == {"co-occurrence", "exclusive"}
    j = tmp_path / "g.json"
    assert main(["export", "fig2002", "--to", str(j), "--top-k", "2", "--no-facs-exclusive"]) == 0
    J = load_graph(j)
    assert {d["kind"] for *_, d in J.edges(data=True)} == {"co-occurrence"}
    p = tmp_path / "graph.pt"
    assert main(["export", "fig2002", "--to", str(p), "--aus", "openface_c", "--kinds", "co-occurrence",
                 "--normalize", "gcn"]) == 0
    raw = torch.load(p, weights_only=True)
    assert raw["edge_index"].shape[0] == 2 and raw["aus"] == list(au_set("openface_c"))
    assert (raw["edge_type"] == 3).sum() == 18  # GCN normalization adds the self loops
    b = tmp_path / "bip.json"
    assert main(["export", "fig2002", "--to", str(b), "--kind", "bipartite"]) == 0
    B = load_graph(b)
    assert nx.is_bipartite(B) and "happiness" in B.nodes


def test_bad_input_is_one_line_exit_2(tmp_path, capsys):
    out = str(tmp_path / "m.csv")
    cases = [
        (["export", "no_such_table", "--to", out], "no_such_table"),
        (["export", "fig2002", "--to", out, "--expressions", "happyness"], "did you mean"),
        (["export", "fig2002", "--to", out, "--aus", "AU99"], "AU"),
        (["export", "fig2002", "--to", out, "--expressions", "dfew"], "neutral"),
        (["export", "au_dfer", "--to", out, "--mode", "binary"], "--threshold"),
        (["export", "fig2002", "jackschyns_all", "--to", out], "--missing"),
        (["export", "fig2002", "--to", out, "--missing", "maybe"], "--missing"),
        (["export", "fig2002", "--to", str(tmp_path / "m.xlsx")], "unknown output format"),
        (["plot", "fig2002", "--out", str(tmp_path / "x.gif")], "figure format"),
        (["export", str(tmp_path / "missing.yaml"), "--to", out], "no such file"),
    ]
    for argv, needle in cases:
        assert main(argv) == 2, argv
        assert needle in _one_error_line(capsys), argv
    assert not Path(out).exists()


def _png_size(path):
    img = mpimg.imread(path)
    return img.shape[1], img.shape[0]


def test_plot_heatmap_and_graph(tmp_path):
    h = tmp_path / "heat.png"
    assert main(["plot", "au_dfer", "--out", str(h), "--expressions", "dfew", "--aus", "openface_c",
                 "--size", "8,4", "--dpi", "100"]) == 0
    assert _png_size(h) == (800, 400) and h.stat().st_size > 10000
    s = tmp_path / "signed.png"
    assert main(["plot", "fig2002", "--mode", "signed", "--out", str(s), "--dpi", "50"]) == 0
    assert s.stat().st_size > 5000
    g = tmp_path / "graph.pdf"
    assert main(["plot", "fig2002", "--kind", "graph", "--out", str(g), "--layout", "spring"]) == 0
    assert g.read_bytes()[:5] == b"%PDF-"
    gp = tmp_path / "graph.png"
    assert main(["plot", "fig2002", "--kind", "graph", "--out", str(gp), "--dpi", "60"]) == 0
    assert _png_size(gp) == (420, 420)


def test_diff_text_plot_and_exit_code(tmp_path, capsys):
    p = tmp_path / "d.png"
    rc = main(["diff", "fig2002", "ekman_emfacs", "--mode", "binary", "--plot", str(p), "--dpi", "60"])
    out = capsys.readouterr().out
    assert rc == 0 and out.startswith("A: fig2002 (binary") and "B: ekman_emfacs" in out
    assert "by expression" in out and p.stat().st_size > 3000
    assert main(["diff", "fig2002", "ekman_emfacs", "--exit-code"]) == 1
    capsys.readouterr()
    assert main(["diff", "fig2002", "fig2002", "--exit-code"]) == 0
    assert "no cell differs" in capsys.readouterr().out
    # an exported matrix against its table: identical
    m = tmp_path / "au.pt"
    assert main(["export", "au_dfer", "--to", str(m)]) == 0
    assert main(["diff", str(m), "au_dfer", "--exit-code"]) == 0
    # estimated-vs-literature style: different AU sets and label spaces are reported apart
    capsys.readouterr()
    assert main(["diff", "jackschyns_all", "au_dfer", "--aus", "openface_c"]) == 0
    out = capsys.readouterr().out
    assert "expressions only in B: neutral" in out
