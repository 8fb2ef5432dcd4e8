"""One significance rule (auknow.significance) on both sides: estimate-prior and the compiler."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as hs

from auknow.compile import table_matrix
from auknow.compile._common import CompileError
from auknow.estimate import output
from auknow.estimate import statistics as st
from auknow.estimate.prior import estimate_prior
from auknow.readers.frames import AUFrames
from auknow.significance import risk_difference, significance, significant
from auknow.tables.model import Provenance, QuantifiedTable, Statistic, Weight

EXPRS = ("anger", "fear", "happiness")
# present / coded frames per expression, split over 4 subjects (per subject: a quarter)
#   AU01: 90/100, 45/100, 100/1000: fear's P = 0.45 is below the AU's mean over expressions
#         (0.483) but above P(AU01 | not fear) = 190/1100 = 0.173 -- the old compile rule said
#         "significantly below", the old summary rule (log OR > 0) said "associated".
#   AU02: 10/100, 11/100, 100/1000: anger's P = 0.10 is below P(AU02 | not anger) = 111/1100 =
#         0.1009, yet its Haldane-corrected log OR is +0.029 (the old summary rule said
#         "associated"; the studentized test's direction, the difference, says "below").
COUNTS = {"AU01": ((90, 100), (45, 100), (100, 1000)),
          "AU02": ((10, 100), (11, 100), (100, 1000))}


def _frames() -> AUFrames:
    subj, expr, seq, occ = [], [], [], []
    aus = tuple(COUNTS)
    for e, name in enumerate(EXPRS):
        n = COUNTS["AU01"][e][1]
        for s in range(4):
            m = n // 4
            block = np.zeros((m, len(aus)), np.int8)
            for j, a in enumerate(aus):
                k = COUNTS[a][e][0]
                ks = k // 4 + (1 if s < k % 4 else 0)  # split k over the subjects
                block[:ks, j] = 1
            occ.append(block)
            subj += [f"S{s}"] * m
            expr += [name] * m
            seq += [f"S{s}_{name}"] * m
    return AUFrames(aus=aus, occurrence=np.concatenate(occ), subject=subj, sequence=seq,
                    frame=np.zeros(len(subj)), expression=expr)


@pytest.fixture(scope="module")
def est():
    est = estimate_prior(_frames(), n_boot=0, n_perm=0)
    # The cells' direction is what is under test: make every cell "discovered" (q small).
    est.q_value = np.full(est.q_value.shape, 0.001)
    return est


def test_premise_the_old_rules_disagree(est):
    p = est.expression["p_au_given_expression"]
    lor = est.expression["log_odds_ratio"]
    fear, anger = EXPRS.index("fear"), EXPRS.index("anger")
    # AU01 / fear: log OR > 0 (old summary: *) but below the AU's mean (old compile: -1)
    assert lor[fear, 0] > 0 and p[fear, 0] < np.nanmean(p[:, 0])
    # AU02 / anger: Haldane log OR > 0 (old summary: *) although P(AU | e) < P(AU | not e)
    rest = (11 + 100) / 1100
    assert lor[anger, 1] > 0 and p[anger, 1] == pytest.approx(0.10) and rest > 0.10


def test_estimate_and_compile_mark_the_same_cells(est):
    marked = output.significant_cells(est, 0.05)
    table = output.quantified_table(est, "p_au_given_expression", "est", "est", Provenance("estimated"))
    m = table_matrix(table, "quantified", alpha=0.05)
    # the compiled rows/columns are the estimate's (table order, FACS order)
    assert m.expressions == tuple(est.expressions) and m.aus == tuple(est.aus)
    np.testing.assert_array_equal(m.significance == 1, marked)
    fear, anger = EXPRS.index("fear"), EXPRS.index("anger")
    assert marked[fear, 0] and m.significance[fear, 0] == 1           # associated on both sides
    assert not marked[anger, 1] and m.significance[anger, 1] == -1    # below on both sides
    # by hand: P(AU | e) - P(AU | not e) from COUNTS
    for j, a in enumerate(est.aus):
        for e in range(3):
            k, n = COUNTS[a][e]
            kr = sum(COUNTS[a][x][0] for x in range(3) if x != e)
            nr = sum(COUNTS[a][x][1] for x in range(3) if x != e)
            assert marked[e, j] == (k / n > kr / nr)
    assert m.sources[0]["direction"].startswith("pooled rate")


def test_summary_marks_follow_the_rule(est):
    text = output.summary(est, "p_au_given_expression", 5, 0.05)
    stars = [ln for ln in text.splitlines() if ln.endswith(" *")]
    assert len(stars) == int(output.significant_cells(est, 0.05).sum())
    assert "P(AU | e) > P(AU | not e)" in text


def test_compile_other_statistics_agree(est):
    marked = output.significant_cells(est, 0.05)
    for stat in ("phi", "lift", "p_expression_given_au"):
        table = output.quantified_table(est, stat, "est", "est", Provenance("estimated"))
        np.testing.assert_array_equal(table_matrix(table, "quantified").significance == 1, marked, err_msg=stat)


def test_table_without_n_falls_back_with_a_warning():
    t = QuantifiedTable("hand", "hand", Provenance("literature"), Statistic("p_au_given_expression", (0, 1)),
                        {"anger": {"AU04": Weight(0.9, q_value=0.01)}, "fear": {"AU04": Weight(0.3, q_value=0.01)},
                         "joy": {"AU04": Weight(0.45, q_value=0.01)}})
    with pytest.warns(UserWarning, match="hand.*no unit count n"):
        m = table_matrix(t, "signed")
    assert m.significance[:, 0].tolist() == [1, -1, -1]  # vs the mean 0.55
    assert m.sources[0]["direction"].startswith("mean over expressions")
    assert m.values[1, 0] == pytest.approx(0.3 - 0.55)


@pytest.mark.parametrize("alpha", [0, 1, -0.1, 1.5, "0.05", True])
def test_bad_alpha_raises(alpha):
    t = QuantifiedTable("x", "x", Provenance("estimated"), Statistic("lift", (0, float("inf"))),
                        {"anger": {"AU04": Weight(2.0, q_value=0.01)}})
    with pytest.raises(CompileError, match="alpha"):
        table_matrix(t, alpha=alpha)
    with pytest.raises(ValueError, match="alpha"):
        significance([0.01], [1.0], alpha=alpha if not isinstance(alpha, str) else 2.0)


def test_significance_by_hand():
    q = np.array([0.01, 0.01, 0.01, 0.05, np.nan, 0.2])
    eff = np.array([0.5, -0.5, 0.0, 0.5, 0.5, np.nan])
    assert significance(q, eff, 0.05).tolist() == [1, -1, 0, 0, 0, 0]  # q == alpha is not below
    assert significant(q, eff, 0.05).tolist() == [True, False, False, False, False, False]


@settings(max_examples=60, deadline=None)
@given(hs.lists(hs.tuples(hs.integers(0, 40), hs.integers(0, 40)), min_size=2, max_size=5))
def test_risk_difference_matches_the_estimate_statistics(cells):
    n = np.array([[float(a + b)] for a, b in cells])
    k = np.array([[float(a)] for a, _ in cells])
    with np.errstate(invalid="ignore", divide="ignore"):
        p = np.where(n > 0, k / n, np.nan)
    d = risk_difference(p, n)
    s = st.expression_statistics(n, k)
    for e in range(len(cells)):
        nr, kr = n.sum() - n[e, 0], k.sum() - k[e, 0]
        if n[e, 0] == 0 or nr == 0:
            assert np.isnan(d[e, 0])
            continue
        assert d[e, 0] == pytest.approx(k[e, 0] / n[e, 0] - kr / nr, abs=1e-12)
        phi = s["phi"][e, 0]
        if np.isfinite(phi):  # phi has the difference's sign (lift - 1 too)
            assert np.sign(phi) == np.sign(np.round(d[e, 0], 12))


def test_risk_difference_bad_input():
    with pytest.raises(ValueError, match="shape"):
        risk_difference([[0.5]], [[1], [2]])
    with pytest.raises(ValueError, match=">= 0"):
        risk_difference([[0.5], [0.2]], [[1], [-2]])
