"""NPMI and conditional asymmetry (auknow.estimate.information): edge cases by hand in float64,
and the columns estimate-prior writes."""

from __future__ import annotations

import csv
import io
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as hs

from auknow.cli import main
from auknow.estimate import information as inf
from auknow.readers import bundled_ckplus_path


def npmi_by_hand(both, x, y, n):
    """Bouma's definition in float64 with math.log, the edge cases spelled out."""
    if n == 0 or x == 0 or y == 0 or both == n:
        return math.nan
    if both == 0:
        return -1.0
    return math.log((both / n) / ((x / n) * (y / n))) / -math.log(both / n)


@pytest.mark.parametrize("both, x, y, n, expected", [
    (0, 5, 7, 20, -1.0),            # never together
    (6, 6, 6, 20, 1.0),             # only together
    (5, 10, 10, 20, 0.0),           # independent: P(x, y) = P(x) P(y)
    (3, 20, 3, 20, 0.0),            # x in every unit: independent of y
    (20, 20, 20, 20, math.nan),     # both in every unit: 0 / 0
    (0, 0, 5, 20, math.nan),        # x never present
    (0, 0, 0, 0, math.nan),         # never coded together
])
def test_npmi_edge_cases(both, x, y, n, expected):
    got = float(inf.npmi_from_counts(np.float64(both), np.float64(x), np.float64(y), np.float64(n)))
    if math.isnan(expected):
        assert math.isnan(got)
    else:
        assert got == expected  # exact, not approximately


@settings(max_examples=200, deadline=None)
@given(hs.integers(1, 500).flatmap(lambda n: hs.tuples(hs.just(n), hs.integers(0, n), hs.integers(0, n))).flatmap(
    lambda t: hs.tuples(hs.just(t), hs.integers(max(0, t[1] + t[2] - t[0]), min(t[1], t[2])))))
def test_npmi_matches_the_definition_and_stays_in_range(args):
    (n, x, y), both = args
    got = float(inf.npmi_from_counts(np.float64(both), np.float64(x), np.float64(y), np.float64(n)))
    ref = npmi_by_hand(both, x, y, n)
    if math.isnan(ref):
        assert math.isnan(got)
    else:
        assert got == pytest.approx(ref, abs=1e-12) and -1 - 1e-12 <= got <= 1 + 1e-12


def test_conditional_asymmetry_is_bayes():
    """P(j|i) - P(i|j), and P(j|i) / P(i|j) = P(j) / P(i) (units where both are coded)."""
    pair = np.zeros((4, 2, 2))
    pair[0] = 40
    pair[1] = [[10, 10], [25, 25]]  # i present: AU0 in 10 units, AU1 in 25
    pair[2] = pair[1].T
    pair[3] = [[10, 8], [8, 25]]
    r = inf.relation_information(pair)
    assert r["p_i_given_j"][0, 1] == 8 / 25 and r["conditional_asymmetry"][0, 1] == 8 / 10 - 8 / 25
    assert r["conditional_asymmetry"][1, 0] == -r["conditional_asymmetry"][0, 1]
    assert (8 / 10) / r["p_i_given_j"][0, 1] == pytest.approx(25 / 10)


def test_written_columns_match_a_count_of_the_bundled_csv(tmp_path):
    out = tmp_path / "out"
    assert main(["estimate-prior", "--out", str(out), "--quiet", "--n-boot", "0", "--n-perm", "50"]) == 0
    raw = list(csv.DictReader(io.StringIO(bundled_ckplus_path().read_text())))
    n = len(raw)
    x = sum(r["AU1"] == "1" for r in raw)
    y = sum(r["AU2"] == "1" for r in raw)
    both = sum(r["AU1"] == "1" and r["AU2"] == "1" for r in raw)
    rel = {(r["au_i"], r["au_j"]): r for r in csv.DictReader(io.StringIO((out / "relations.csv").read_text()))}
    row = rel[("1", "2")]
    assert float(row["npmi"]) == pytest.approx(npmi_by_hand(both, x, y, n), abs=5e-6)
    assert float(row["p_i_given_j"]) == pytest.approx(both / y, abs=5e-7)
    assert float(row["n_both_units"]) == both
    assert float(row["expected_both_units"]) == pytest.approx(x * y / n, rel=1e-5)
    assert float(row["q_value"]) < 0.05 and float(row["dependence_z"]) > 0  # brows raised together
    assert row["p_value"] == rel[("2", "1")]["p_value"]
    stats = {(r["expression"], r["au"]): r for r in csv.DictReader(io.StringIO((out / "statistics.csv").read_text()))}
    happy = [r for r in raw if r["emotion"] == "happy"]
    k12 = sum(r["AU12"] == "1" for r in raw)
    ref = npmi_by_hand(sum(r["AU12"] == "1" for r in happy), len(happy), k12, n)
    assert float(stats[("happiness", "12")]["npmi"]) == pytest.approx(ref, abs=5e-6)
    by_e = list(csv.DictReader(io.StringIO((out / "relations_by_expression.csv").read_text())))
    A = len({r["au_i"] for r in rel.values()})
    assert len(by_e) == 7 * A * (A - 1)
    fear = next(r for r in by_e if r["expression"] == "fear" and r["au_i"] == "1" and r["au_j"] == "2")
    rows = [r for r in raw if r["emotion"] == "fear"]
    assert float(fear["p_j_given_i"]) == pytest.approx(
        sum(r["AU2"] == "1" for r in rows if r["AU1"] == "1") / sum(r["AU1"] == "1" for r in rows), abs=5e-7)
    empty = [r for r in by_e if r["p_value"] == ""]
    assert all(r["expected_both_units"] == "" for r in empty)  # untestable: no value, not a fake p = 1
