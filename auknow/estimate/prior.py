"""Estimate AU contributions to expressions, and AU-AU relations, with honest uncertainty.

:func:`estimate_prior` is the Python entry point of ``auknow estimate-prior``; the statistics and
the resampling schemes are defined in :mod:`auknow.estimate.statistics`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from ..errors import DataError
from ..readers.frames import AUFrames
from . import permutation as pm
from . import statistics as st

NULL_DESCRIPTION = ("permutation of expression labels between whole sequences within each subject "
                    "(restricted permutation respecting subject clustering); two-sided test of the "
                    "studentized risk difference P(AU|e) - P(AU|not e) over its subject-clustered "
                    "standard error (Chung & Romano 2013); p = (1 + #extreme) / (1 + n_perm_used), "
                    "permutations doubled while the p-value floor could decide a BH discovery")
BOOTSTRAP_DESCRIPTION = ("subject-level cluster bootstrap (subjects resampled with replacement), BCa intervals "
                         "(bias-corrected and accelerated, acceleration from the subject jackknife)")


@dataclass
class PriorEstimate:
    """The result of :func:`estimate_prior`.

    Attributes:
        counts: the sufficient counts (AU, expression, subject and sequence indices).
        expression: statistic name -> [E, A] point estimates (empty without expression labels).
        expression_ci: statistic name -> ([E, A] low, [E, A] high) bootstrap intervals.
        p_value, q_value: [E, A] permutation p-values and Benjamini-Hochberg q-values.
        n_frames, n_sequences, n_subjects: [E, A] frames, sequences and subjects behind each cell
            (those where the AU is coded).
        relation: statistic name -> [A, A] point estimates (row i, column j); relation_ci likewise.
        relation_n: [A, A] units where both AUs are coded; relation_subjects: [A, A] subjects.
        settings: unit, min_fraction, n_boot, n_perm, ci, seed and the resampling schemes.
    """

    counts: st.Counts
    expression: dict[str, np.ndarray]
    expression_ci: dict[str, tuple[np.ndarray, np.ndarray]]
    p_value: np.ndarray | None
    q_value: np.ndarray | None
    n_frames: np.ndarray | None
    n_sequences: np.ndarray | None
    n_subjects: np.ndarray | None
    relation: dict[str, np.ndarray]
    relation_ci: dict[str, tuple[np.ndarray, np.ndarray]]
    relation_n: np.ndarray
    relation_subjects: np.ndarray
    settings: dict = field(default_factory=dict)

    @property
    def aus(self) -> tuple[str, ...]:
        return self.counts.aus

    @property
    def expressions(self) -> tuple[str, ...]:
        return self.counts.expressions


def estimate_prior(frames: AUFrames, unit: str = "frame", min_fraction: float = 0.5, n_boot: int = 1000,
                   n_perm: int = 1000, ci: float = 0.95, seed: int = 0,
                   progress: Callable[[str, int], Callable[[int], None]] | None = None) -> PriorEstimate:
    """Estimate P(AU | expression) and the other statistics, with CIs, p- and q-values.

    Args:
        frames: AU-labelled frames; AUs never coded anywhere are dropped first. Without
            expression labels only AU-AU relations are estimated.
        unit: ``"frame"`` or ``"sequence"`` (see :func:`auknow.estimate.statistics.count_units`).
        min_fraction: with ``unit="sequence"``, in (0, 1].
        n_boot: subject-level bootstrap resamples (>= 0; 0 gives no intervals).
        n_perm: within-subject permutations (>= 0; 0 gives no p-values); doubled, up to 16x, while
            the p-value floor could decide a BH discovery (``settings['n_perm_used']``, ``'p_floor_q'``).
        ci: confidence level in (0, 1).
        seed: the bootstrap and the permutations draw from independent streams of this seed, so
            the same seed gives the same output, and changing ``n_boot`` leaves the p-values alone.
        progress: ``progress(label, total)`` returns a callback taking the number of resamples done.

    Raises:
        DataError: no frames, fewer than 2 subjects, a bad option value.
    """
    if n_boot < 0 or n_perm < 0:
        raise DataError("--n-boot and --n-perm must be >= 0")
    if not 0 < ci < 1:
        raise DataError(f"confidence level {ci} is outside (0, 1)")
    frames = frames.drop_uncoded_aus()
    if not frames.aus:
        raise DataError("no AU is coded in any frame", file=frames.source.get("path"))
    counts = st.count_units(frames, unit=unit, min_fraction=min_fraction)
    if len(counts.subjects) < 2:
        raise DataError(f"only {len(counts.subjects)} subject(s): subject-level resampling needs at least 2",
                        file=frames.source.get("path"))
    boot_rng, perm_rng = (np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(2))
    weights = st.bootstrap_weights(boot_rng, len(counts.subjects), n_boot)
    tick = progress("bootstrap", n_boot) if (progress and n_boot) else None
    boot = st.bootstrap(counts, weights, ci, progress=tick) if n_boot else None

    E, A = len(counts.expressions), len(counts.aus)
    expression, expression_ci = {}, {}
    p_value = q_value = n_frames = n_sequences = n_subjects = None
    perm_info = {}
    if E:
        N, K = counts.subject_expression_counts()
        expression = st.expression_statistics(N.sum(0), K.sum(0))
        nan = np.full((E, A), np.nan)
        expression_ci = boot["expression"] if boot else {k: (nan, nan) for k in st.STATISTICS}
        if n_perm:
            tick = progress("permutation", n_perm) if progress else None
            test = pm.adaptive_permutation_test(counts, perm_rng, n_perm, progress=tick)
            p_value, q_value = test["p"], st.bh_qvalues(test["p"])
            perm_info = {"n_perm_used": test["n_perm"], "p_floor": test["floor"], "n_at_p_floor": test["n_floor"],
                         "p_floor_q": test["floor_q"],
                         "p_floor_may_decide": test["floor_q"] is not None and test["floor_q"] > pm.FLOOR_Q}
        else:
            p_value = q_value = nan
        labelled = counts.seq_expression >= 0
        n_frames = st.scatter_rows(counts.seq_expression[labelled], counts.seq_frames[labelled], E)
        n_sequences = st.scatter_rows(counts.seq_expression[labelled], counts.seq_n[labelled] > 0, E)
        n_subjects = ((N > 0).sum(0)).astype(float)
    pair_sum = counts.pair_counts.sum(0)
    relation = st.relation_statistics(pair_sum)
    nan_aa = np.full((A, A), np.nan)
    relation_ci = boot["relation"] if boot else {k: (nan_aa, nan_aa) for k in st.RELATION_STATISTICS}
    settings = {"unit": unit, "min_fraction": min_fraction if unit == "sequence" else None, "n_boot": n_boot,
                "n_perm": n_perm, "ci": ci, "seed": seed, "bootstrap": BOOTSTRAP_DESCRIPTION,
                "null": NULL_DESCRIPTION, **perm_info}
    return PriorEstimate(counts=counts, expression=expression, expression_ci=expression_ci, p_value=p_value,
                         q_value=q_value, n_frames=n_frames, n_sequences=n_sequences, n_subjects=n_subjects,
                         relation=relation, relation_ci=relation_ci, relation_n=pair_sum[0],
                         relation_subjects=(counts.pair_counts[:, 0] > 0).sum(0).astype(float),
                         settings=settings)
