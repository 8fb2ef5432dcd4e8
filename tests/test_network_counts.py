"""Per-expression AU networks from counts equal those from the frames behind them (streamed BP4D)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as hs

from auknow.errors import DataError
from auknow.estimate import network as nw
from auknow.estimate.statistics import count_units, expression_counts
from auknow.readers.frames import MISSING, AUFrames


def _frames(seed: int, n_subjects: int = 5) -> AUFrames:
    rng = np.random.default_rng(seed)
    rows = []
    for s in range(n_subjects):
        for q, expr in enumerate(rng.choice(["anger", "happiness", "sadness"], size=3)):
            for f in range(int(rng.integers(2, 6))):
                rows.append((f"S{s}", f"S{s}_{q}", f, expr))
    n = len(rows)
    occ = (rng.random((n, 4)) < 0.4).astype(np.int8)
    occ[rng.random((n, 4)) < 0.1] = MISSING
    return AUFrames(aus=("AU01", "AU04", "AU06", "AU12"), occurrence=occ, subject=[r[0] for r in rows],
                    sequence=[r[1] for r in rows], frame=[r[2] for r in rows], expression=[r[3] for r in rows])


def _reference(frames: AUFrames, expr: str, unit: str):
    """The definition: count the frames of one expression alone."""
    return count_units(frames.select(frames.expression == expr), unit=unit)


@settings(max_examples=25, deadline=None)
@given(seed=hs.integers(0, 10_000), unit=hs.sampled_from(["frame", "sequence"]))
def test_expression_counts_equal_counting_the_expression_alone(seed, unit):
    frames = _frames(seed)
    full = count_units(frames, unit=unit)
    for expr in full.expressions:
        got, ref = expression_counts(full, expr), _reference(frames, expr, unit)
        assert got.subjects == ref.subjects and got.sequences == ref.sequences
        for name in ("seq_subject", "seq_expression", "seq_n", "seq_k", "seq_frames", "pair_counts"):
            np.testing.assert_array_equal(getattr(got, name), getattr(ref, name), err_msg=name)


@pytest.mark.parametrize("unit", ["frame", "sequence"])
def test_networks_from_counts_equal_networks_from_frames(unit):
    frames = _frames(3, n_subjects=8)
    a = nw.expression_relations(frames, unit=unit, n_boot=40, seed=5)
    b = nw.expression_relations(count_units(frames, unit=unit), unit=unit, n_boot=40, seed=5)
    assert a.keys() == b.keys() == {"anger", "happiness", "sadness"}
    for e in a:
        for stat in a[e]["relation"]:
            np.testing.assert_array_equal(a[e]["relation"][stat], b[e]["relation"][stat])
            for lo_hi_a, lo_hi_b in zip(a[e]["relation_ci"][stat], b[e]["relation_ci"][stat]):
                np.testing.assert_array_equal(lo_hi_a, lo_hi_b)
        np.testing.assert_array_equal(a[e]["pair_subjects"], b[e]["pair_subjects"])
        assert a[e]["n_units"] == b[e]["n_units"]


def test_counts_refuse_what_they_cannot_do():
    frames = _frames(1)
    counts = count_units(frames)
    with pytest.raises(DataError, match="independent_clips=True needs the frames"):
        nw.expression_relations(counts, independent_clips=True)
    with pytest.raises(DataError, match="unknown expression 'fear'"):
        expression_counts(counts, "fear")
    unlabelled = count_units(AUFrames(aus=("AU01",), occurrence=[[1]], subject=["S"], sequence=["a"], frame=[0]))
    with pytest.raises(DataError, match="expression labels"):
        expression_counts(unlabelled, "anger")


def test_summaries_refuse_independent_clips_on_counts_instead_of_dropping_it():
    from auknow.estimate import summaries
    from auknow.estimate.prior import estimate_prior

    frames = _frames(2)
    counts = count_units(frames)  # frame units: no event sizes from counts, so the networks decide
    est = estimate_prior(counts, n_boot=0, n_perm=0)
    with pytest.raises(DataError, match="independent_clips=True needs the frames"):
        summaries.compute(counts, est, unit="frame", min_fraction=0.5, n_boot=0, n_perm=0, ci=0.95, seed=0,
                          independent_clips=True)
