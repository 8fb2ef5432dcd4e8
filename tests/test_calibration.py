"""Type-I error of estimate-prior's permutation test when sequence length depends on the expression.

With ``--unit frame`` the sequences of a short expression are not exchangeable with the others
under the within-subject permutation: the unstudentized log-odds-ratio test of auknow <= 0.1 had a
type-I error of ~0.12 at p < 0.05 on this design (one expression 10 frames, the others 50,
AU episodes of mean length 5 frames, subject effects sd 1 on the logit scale; issue 10). The
studentized statistic brings it back to the nominal level; ``benchmarks/calibration.py`` has
the full table with Monte-Carlo errors.
"""

from __future__ import annotations

import numpy as np
import pytest

from auknow.estimate import statistics as st
from auknow.estimate.permutation import labelled_permutations, permutation_test, studentized_difference
from auknow.estimate.prior import estimate_prior
from auknow.readers.frames import AUFrames

EXPRS = ("anger", "fear", "happiness", "surprise")  # surprise sequences are the short ones


def short_long_null(rng, n_subjects: int = 20, n_aus: int = 6, run: float = 5.0) -> AUFrames:
    """H0: AU rates depend on the subject only; surprise sequences 10 frames, the others 50."""
    lengths = np.array([50, 50, 50, 10])
    subj, expr, seq, occ = [], [], [], []
    for s in range(n_subjects):
        p = 1 / (1 + np.exp(-(rng.uniform(-2, 0, n_aus) + rng.normal(0, 1, n_aus))))
        for e, n in enumerate(lengths):
            cut = rng.random((n, n_aus)) < 1 / run
            cut[0] = True
            seg = np.cumsum(cut, axis=0) - 1
            occ.append(np.take_along_axis(rng.random((n, n_aus)) < p, seg, axis=0).astype(np.int8))
            subj += [f"S{s}"] * n
            expr += [EXPRS[e]] * n
            seq += [f"S{s}_{e}"] * n
    return AUFrames(aus=("AU01", "AU02", "AU04", "AU06", "AU07", "AU10", "AU12", "AU14")[:n_aus], occurrence=np.concatenate(occ),
                    subject=subj, sequence=seq, frame=np.zeros(len(subj)), expression=expr)


def test_short_sequences_get_nominal_type_one_error():
    rng = np.random.default_rng(2024)
    hits = []
    for rep in range(100):
        est = estimate_prior(short_long_null(rng), n_boot=0, n_perm=99, seed=rep)
        hits.append(est.p_value[est.expressions.index("surprise")] <= 0.05)
    rate = np.mean(hits)  # 600 null tests: Monte-Carlo SE 0.009 at 0.05; the old test gave ~0.12
    assert rate <= 0.08, rate


def test_permutation_statistic_equals_its_definition_on_permuted_data():
    """The vectorised statistic of each permutation equals the [S, E, A] definition on moved data,
    also with two sequences of one expression in a subject and an unlabelled sequence."""
    rng = np.random.default_rng(5)
    frames = short_long_null(rng, n_subjects=5, n_aus=3)
    expr = frames.expression.copy()
    expr[frames.sequence == "S0_1"] = "anger"  # S0: two anger sequences
    keep = frames.sequence != "S1_2"
    frames = AUFrames(aus=frames.aus, occurrence=frames.occurrence[keep], subject=frames.subject[keep],
                      sequence=frames.sequence[keep], frame=frames.frame[keep], expression=expr[keep])
    counts = st.count_units(frames)
    counts.seq_expression[3] = -1  # one unlabelled sequence: stays where it is
    perms = labelled_permutations(rng, counts, 30)
    assert (perms[:, 3] == 3).all()
    S, E, A = len(counts.subjects), len(counts.expressions), len(counts.aus)
    lab = counts.seq_expression

    def by_cell(values):
        out = np.zeros((S, E, A))
        for q in np.flatnonzero(lab >= 0):
            out[counts.seq_subject[q], lab[q]] += values[q]
        return out

    p, observed = permutation_test(counts, perms)
    ref = studentized_difference(by_cell(counts.seq_n), by_cell(counts.seq_k))
    np.testing.assert_allclose(observed, ref, rtol=1e-10, atol=1e-12)
    extreme = np.zeros((E, A))
    for pi in perms:
        null = studentized_difference(by_cell(counts.seq_n[pi]), by_cell(counts.seq_k[pi]))
        extreme += np.abs(null) >= np.abs(ref) - 1e-9
    np.testing.assert_allclose(p, (1 + extreme) / 31)


def test_studentized_difference_by_hand():
    """Two subjects, two expressions, one AU, by hand."""
    N = np.full((2, 2, 1), 10.0)
    K = np.array([[[8.0], [2.0]], [[6.0], [4.0]]])
    # p_e = 0.7, p_not = 0.3; u_0 = (8 - 7)/20 - (2 - 3)/20 = 0.1, u_1 = (6 - 7)/20 - (4 - 3)/20 = -0.1
    # sum u_s^2 = 0.02 is below the independent-units floor 0.5 * 0.5 * (1/20 + 1/20) = 0.025
    assert studentized_difference(N, K)[0, 0] == pytest.approx(0.4 / np.sqrt(0.025), rel=1e-12)
    K = np.array([[[9.0], [1.0]], [[3.0], [7.0]]])  # subjects disagree: the sandwich is the larger
    pe, pn = 12 / 20, 8 / 20
    u = [(9 - pe * 10) / 20 - (1 - pn * 10) / 20, (3 - pe * 10) / 20 - (7 - pn * 10) / 20]
    assert studentized_difference(N, K)[0, 0] == pytest.approx((pe - pn) / np.hypot(*u), rel=1e-12)
    # every unit of e shows the AU and none of the others: zero sandwich, finite T from the floor
    K2 = np.array([[[10.0], [0.0]], [[10.0], [0.0]]])
    assert studentized_difference(N, K2)[0, 0] == pytest.approx(1 / np.sqrt(0.025), rel=1e-12)
    assert studentized_difference(N, np.zeros_like(N))[0, 0] == 0  # AU never present: no evidence


def _one_perfect_au(rng, n_subjects: int = 8) -> AUFrames:
    """AU01, AU02, AU04 independent of the expression; AU06 present exactly in surprise sequences."""
    frames = short_long_null(rng, n_subjects=n_subjects, n_aus=4)
    occ = frames.occurrence.copy()
    occ[:, 3] = frames.expression == "surprise"
    return AUFrames(aus=frames.aus, occurrence=occ, subject=frames.subject, sequence=frames.sequence,
                    frame=frames.frame, expression=frames.expression)


def test_permutations_are_extended_while_the_floor_could_decide():
    est = estimate_prior(_one_perfect_au(np.random.default_rng(1)), n_boot=0, n_perm=20, seed=0)
    s = est.settings
    e, a = est.expressions.index("surprise"), est.aus.index("AU06")  # the 4th AU
    # 16 cells; after 20 permutations the planted cell sits at p = 1/21, q >= 16/21 / (cells at floor)
    assert s["n_perm"] == 20 and s["n_perm_used"] > 20
    assert est.p_value[e, a] == s["p_floor"] == 1 / (s["n_perm_used"] + 1)
    assert s["n_at_p_floor"] == int((est.p_value == s["p_floor"]).sum()) >= 1
    if s["p_floor_may_decide"]:  # stopped at the cap: 16 x --n-perm
        assert s["n_perm_used"] == 320 and s["p_floor_q"] > 0.01
    else:
        assert s["p_floor_q"] <= 0.01


def test_cli_warns_when_the_floor_could_decide(capsys):
    from auknow.cli import main

    assert main(["estimate-prior", "--n-boot", "0", "--n-perm", "20", "--alpha", "0.001", "--quiet"]) == 0
    err = capsys.readouterr().err
    assert "p-value floor" in err and "--n-perm" in err
    assert main(["estimate-prior", "--n-boot", "0", "--n-perm", "20", "--quiet"]) == 0
    assert "p-value floor" not in capsys.readouterr().err  # CK+: the floor cells are discoveries at 0.05
