"""Figures in the one auknow style, and the estimate-prior terminal table."""

from __future__ import annotations

import numpy as np
import pytest

from auknow.cli import main
from auknow.plots import colour_limits, interval_panel, prior_heatmap


def _image(fig):
    return fig.axes[0].images[0]


def test_probability_scale_is_fixed_not_fitted():
    fig = prior_heatmap(np.array([[0.04, 0.1], [0.2, 0.05]]), ["happiness", "sadness"], ["AU06", "AU12"])
    assert _image(fig).get_clim() == (0.0, 1.0)  # P = 0.04 is not drawn as bright as 1.0
    assert _image(fig).get_cmap().name == "viridis"
    ax = fig.axes[0]
    assert ax.get_xlabel() == "Action Unit" and ax.get_ylabel() == "Expression"
    assert min(t.get_fontsize() for t in ax.texts) >= 6.5


def test_signed_scale_is_symmetric_and_diverging():
    fig = prior_heatmap(np.array([[-0.3, 0.12]]), ["anger"], ["AU04", "AU12"])
    lo, hi = _image(fig).get_clim()
    assert lo == -hi and hi >= 0.3 and _image(fig).get_cmap().name == "PuOr_r"


@pytest.mark.parametrize("values, declared, expected", [
    ([0.2, 0.4], None, (0.0, 1.0, False)),
    ([-2.0, 3.0], None, (-5.0, 5.0, True)),
    ([0.5, 3.7], None, (0.0, 5.0, False)),
    ([0.1, 0.2], (-1.0, 1.0), (-1.0, 1.0, True)),  # phi: its declared range
    ([1.5, 4.0], (0.0, float("inf")), (0.0, 5.0, False)),  # lift: infinite range, data-rounded
])
def test_colour_limits(values, declared, expected):
    assert colour_limits(np.array(values), declared=declared) == expected


def test_footnote_states_alpha_and_marks():
    sig = np.array([[True, False]])
    fig = prior_heatmap(np.array([[0.9, 0.1]]), ["happiness"], ["AU12", "AU04"], significant=sig, alpha=0.01)
    notes = " ".join(t.get_text() for t in fig.texts)
    assert "q < 0.01" in notes and "*" in notes
    assert any(t.get_text().endswith("*") for t in fig.axes[0].texts)


def test_heatmap_options_for_other_rows_and_panels():
    M = np.array([[0.97, np.nan], [0.6, 0.8]])
    sig = np.array([[False, False], [True, False]])
    fig = prior_heatmap(M, ["fig2002", "ekman"], ["anger", "fear"], xlabel="Expression", ylabel="Table",
                        vmin=0.5, vmax=1.0, nan_text="n/a", colorbar=False)
    ax = fig.axes[0]
    assert len(fig.axes) == 1 and _image(fig).get_clim() == (0.5, 1.0)
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("Expression", "Table")
    assert [t.get_text() for t in ax.texts] == [".97", "n/a", ".60", ".80"]
    quiet = prior_heatmap(M, ["a", "b"], ["AU1", "AU2"], cell_values=False, significant=sig).axes[0]
    assert [t.get_text() for t in quiet.texts] == ["*"]  # the marks stay without the values
    assert len(prior_heatmap(M, ["a", "b"], ["AU1", "AU2"]).axes) == 2  # the default keeps its colour bar


def test_interval_panel_draws_every_ci():
    v = np.array([[0.9, 0.2, np.nan], [0.5, 0.6, 0.1]])
    fig = interval_panel(v, v - 0.1, v + 0.1, ["happiness", "sadness"], ["AU06", "AU12", "AU25"],
                         significant=v > 0.55, level=0.95, alpha=0.05)
    segs = [len(c.get_segments()) for ax in fig.axes for c in ax.collections]
    assert segs == [2, 3]  # NaN has no interval
    assert "95% bootstrap CI" in " ".join(t.get_text() for t in fig.texts)


def test_plot_graph_is_pruned_by_default_and_has_a_width_legend(tmp_path, capsys):
    from auknow.compile import au_graph

    full = au_graph(["fig2002"], kinds=["co-occurrence"])
    out = tmp_path / "g.svg"
    assert main(["plot", "fig2002", "--kind", "graph", "--kinds", "co-occurrence", "--out", str(out)]) == 0
    svg = out.read_text()
    assert "|w| =" in svg and "3 strongest" in svg
    pruned = au_graph(["fig2002"], kinds=["co-occurrence"], top_k=3)
    assert pruned.number_of_edges() < full.number_of_edges()
    assert main(["plot", "fig2002", "--kind", "graph", "--all-edges", "--out", str(tmp_path / "all.pdf")]) == 0
    assert (tmp_path / "all.pdf").read_bytes()[:5] == b"%PDF-"
    capsys.readouterr()


def test_estimate_summary_is_an_aligned_table(capsys):
    assert main(["estimate-prior", "--n-boot", "20", "--n-perm", "200", "--top", "3"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert all(len(line) <= 100 for line in out)
    header = next(i for i, line in enumerate(out) if line.startswith("expression"))
    rows = [line for line in out[header + 2:] if line.strip() and not line.startswith(("n:", "*"))]
    assert len(rows) == 7 * 3
    au_col = out[header].index("AU")
    assert all(line[au_col:au_col + 2] == "AU" for line in rows)  # the AU column lines up
    assert any(line.rstrip().endswith("*") for line in rows)
    assert any(line.startswith("* significant: q < 0.05") for line in out)
