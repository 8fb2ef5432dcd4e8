"""estimate-prior recovers a known generating prior from BP4D- and DISFA-layout fixtures.

The fixtures draw each subject's AU rate as expit(logit p + u), u ~ N(0, SUBJECT_SD^2) shared by
a subject's expressions, with temporally persistent activity. The population value of
P(AU | expression) is therefore E_u[expit(logit p + u)], computed here independently by
Gauss-Hermite quadrature in float64, and the reported intervals must cover it.
"""

from __future__ import annotations

import csv
import io

import numpy as np
import pytest
from fixtures import BP4D_TASKS, SUBJECT_SD, prior_probability, write_bp4d, write_disfa

from auknow.cli import main


def population_rate(p: float) -> float:
    """E[expit(logit p + u)], u ~ N(0, SUBJECT_SD^2), by 60-point Gauss-Hermite quadrature."""
    x, w = np.polynomial.hermite_e.hermegauss(60)  # weight exp(-x^2 / 2)
    logit = np.log(p) - np.log1p(-p)
    return float(np.sum(w / (1 + np.exp(-(logit + SUBJECT_SD * x)))) / np.sqrt(2 * np.pi))


def statistics_rows(out):
    return list(csv.DictReader(io.StringIO((out / "statistics.csv").read_text())))


def test_bp4d_layout_prior_is_recovered_inside_the_intervals(tmp_path):
    subjects = [f"F{i:03d}" for i in range(1, 16)] + [f"M{i:03d}" for i in range(1, 16)]
    write_bp4d(tmp_path / "BP4D", subjects=subjects, length_scale=0.25, drop_files=3, intensity=False,
               extra_au27=False, seed=11)
    out = tmp_path / "out"
    assert main(["estimate-prior", "--dataset", "bp4d", str(tmp_path / "BP4D"), "--out", str(out),
                 "--n-boot", "400", "--n-perm", "200", "--quiet"]) == 0
    rows = statistics_rows(out)
    assert {r["expression"] for r in rows} == set(BP4D_TASKS.values())
    covered, errors = [], []
    for r in rows:
        truth = population_rate(prior_probability(r["expression"], int(r["au"])))
        covered.append(float(r["ci_low"]) <= truth <= float(r["ci_high"]))
        errors.append(abs(float(r["p_au_given_expression"]) - truth))
    assert len(rows) == 8 * 12
    assert np.mean(covered) >= 0.85, np.mean(covered)
    assert np.mean(errors) < 0.05
    # The strongest generating AU of each task is among the top 3 estimates.
    for expr in BP4D_TASKS.values():
        mine = sorted((r for r in rows if r["expression"] == expr), key=lambda r: -float(r["contribution"]))
        best = max((int(r["au"]) for r in mine), key=lambda a: prior_probability(expr, a))
        assert best in {int(r["au"]) for r in mine[:3]}, (expr, best)


def test_disfa_layout_with_expression_labels_recovers_the_prior(tmp_path):
    subjects = [f"SN{i:03d}" for i in range(1, 19)]
    fix = write_disfa(tmp_path / "DISFA", subjects=subjects, n_frames=900, seed=5, missing=())
    out = tmp_path / "out"
    # threshold 1: every present frame counts (the fixture draws intensities 1-5 for present AUs)
    assert main(["estimate-prior", "--dataset", "disfa", str(fix.root), "--expressions", str(fix.expressions_csv),
                 "--threshold", "1", "--out", str(out), "--n-boot", "300", "--n-perm", "100", "--quiet"]) == 0
    rows = statistics_rows(out)
    covered = [float(r["ci_low"]) <= population_rate(prior_probability(r["expression"], int(r["au"])))
               <= float(r["ci_high"]) for r in rows if r["ci_low"]]
    assert len(covered) >= 6 * 12 - 2
    assert np.mean(covered) >= 0.8, np.mean(covered)


def test_disfa_without_labels_estimates_relations_only(tmp_path, capsys):
    fix = write_disfa(tmp_path / "DISFA", subjects=("SN001", "SN002", "SN003", "SN004"), seed=1, expressions=False)
    out = tmp_path / "out"
    assert main(["estimate-prior", "--dataset", "disfa", str(fix.root), "--out", str(out),
                 "--n-boot", "50", "--n-perm", "10"]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["network.csv", "network_edges.csv", "network_summary.csv",
                                                     "relations.csv", "relations.yaml"]
    printed = capsys.readouterr().out
    assert "co-occurrence" in printed
    rel = list(csv.DictReader(io.StringIO((out / "relations.csv").read_text())))
    assert len(rel) == 12 * 11
    # P(j | i) from an independent count over the fixture's frames (threshold 2, missing file excluded)
    occ = fix.occurrence(2)
    i, j = fix.aus.index("AU06"), fix.aus.index("AU12")
    both_coded = (occ[:, i] >= 0) & (occ[:, j] >= 0)
    expected = (occ[both_coded, j][occ[both_coded, i] == 1] == 1).mean()
    row = next(r for r in rel if r["au_i"] == "6" and r["au_j"] == "12")
    assert float(row["p_j_given_i"]) == pytest.approx(expected, abs=5e-7)
