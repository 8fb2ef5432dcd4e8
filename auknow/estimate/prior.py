"""Estimate AU contributions to expressions, and AU-AU relations, with honest uncertainty.

:func:`estimate_prior` is the Python entry point of ``auknow estimate-prior``; the statistics and
the resampling schemes are defined in :mod:`auknow.estimate.statistics`.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from ..errors import DataError
from ..readers.frames import AUFrames
from . import design as dz
from . import pair_test as pt
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
        pairs: the AU-pair test (:func:`auknow.estimate.pair_test.pair_test`: ``strata``, and
            ``p``, ``q``, ``z``, ``observed``, ``expected`` [H, A, A] for all units and each
            expression); None with ``n_perm=0``.

    >>> from auknow.readers import read_ckplus
    >>> from auknow.readers.ckplus import bundled_ckplus_path
    >>> est = estimate_prior(read_ckplus(bundled_ckplus_path()), n_boot=0, n_perm=0)
    >>> e, a = est.expressions.index("happiness"), est.aus.index("AU12")
    >>> round(float(est.expression["p_au_given_expression"][e, a]), 3), int(est.n_sequences[e, a])
    (0.971, 69)
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
    pairs: dict | None = None

    @property
    def aus(self) -> tuple[str, ...]:
        return self.counts.aus

    @property
    def expressions(self) -> tuple[str, ...]:
        return self.counts.expressions

    # --- results as tables (statsmodels / scikit-learn style) ------------------------------------
    def to_frame(self, statistic: str = "p_au_given_expression"):
        """One row per expression x AU with the columns of ``statistics.csv``, at full precision.

        Columns: ``expression``, ``au`` (FACS number), ``au_name``, every statistic, the chosen
        ``statistic`` as ``contribution`` with ``ci_low`` / ``ci_high``, ``p_value``, ``q_value``,
        ``n_frames``, ``n_sequences``, ``n_subjects`` and each statistic's CI. NaN where undefined.

        Raises:
            DataError: no expression labels (only relations were estimated), unknown statistic.

        >>> import auknow
        >>> est = auknow.estimate_prior(auknow.read_ckplus(auknow.bundled_ckplus_path()), n_boot=0, n_perm=0)
        >>> df = est.to_frame()
        >>> row = df[(df.expression == "happiness") & (df.au_name == "AU12")]
        >>> round(float(row.p_au_given_expression.iloc[0]), 3)
        0.971
        """
        import pandas as pd

        from .output import STATISTICS_COLUMNS, statistics_rows

        self._need_labels(statistic)
        return pd.DataFrame(statistics_rows(self, statistic), columns=list(STATISTICS_COLUMNS))

    def summary(self, statistic: str = "p_au_given_expression", top: int = 5, alpha: float = 0.05) -> str:
        """The terminal summary: per expression the top AUs with their CIs; ``*`` marks AUs
        significantly associated with the expression (q < alpha and P(AU | e) > P(AU | not e),
        :mod:`auknow.significance`)."""
        from .output import relations_summary, summary

        if not self.expressions:
            return relations_summary(self)
        self._need_labels(statistic)
        return summary(self, statistic, top, alpha)

    def to_table(self, name: str = "estimated", statistic: str = "p_au_given_expression", title: str | None = None):
        """The estimate as a quantified knowledge table (value, CI, n, p, q per cell), the same
        table ``estimate-prior`` writes as ``prior.yaml``: save it with ``auknow.save_table``,
        compile it with ``auknow.compile_matrix``.

        Raises:
            DataError: no expression labels, unknown statistic. TableError: a bad ``name``.
        """
        from .output import provenance, quantified_table

        self._need_labels(statistic)
        prov = provenance(self, dict(self.settings.get("source") or {}), statistic, {})
        return quantified_table(self, statistic, name, title or f"AU contributions ({statistic}) estimated", prov)

    def to_matrix(self, statistic: str = "p_au_given_expression", expressions=None, aus=None):
        """The estimate as a :class:`~auknow.compile.PriorMatrix` ``[E, A]`` (quantified mode, with
        CIs and q-values), optionally reindexed to a model's label space (``expressions="dfew"``).

        >>> import auknow
        >>> est = auknow.estimate_prior(auknow.read_ckplus(auknow.bundled_ckplus_path()), n_boot=0, n_perm=0)
        >>> round(est.to_matrix().row("happy")["AU06"], 3)
        0.957
        """
        from ..compile.matrix import compile_matrix

        return compile_matrix(self.to_table(statistic=statistic), "quantified", expressions=expressions, aus=aus,
                              fill="zero" if (expressions is not None or aus is not None) else "error")

    def _need_labels(self, statistic: str) -> None:
        if not self.expressions:
            raise DataError("this estimate has no expression labels: only AU relations were estimated")
        if statistic not in self.expression:
            raise DataError(f"unknown statistic '{statistic}' (choose from {', '.join(self.expression)})")


def estimate_prior(frames, unit: str = "frame", min_fraction: float = 0.5, n_boot: int = 1000,
                   n_perm: int = 1000, ci: float = 0.95, seed: int = 0,
                   progress: Callable[[str, int], Callable[[int], None]] | None = None,
                   independent_clips: bool = False, **columns) -> PriorEstimate:
    """Estimate P(AU | expression) and the other statistics, with CIs, p- and q-values.

    Args:
        frames: AU-labelled frames: an :class:`~auknow.readers.frames.AUFrames` (any reader's
            output) or a pandas DataFrame (py-feat's ``Fex``; read by
            :meth:`AUFrames.from_frame <auknow.readers.frames.AUFrames.from_frame>` with
            ``**columns``); or the counts they reduce to
            (:class:`~auknow.estimate.statistics.Counts` at ``unit``, e.g. from
            :func:`auknow.estimate.stream.count_bp4d`: memory independent of the frames). AUs never
            coded anywhere are dropped first. Without expression labels only AU-AU relations are
            estimated.
        unit: ``"frame"`` or ``"sequence"`` (see :func:`auknow.estimate.statistics.count_units`).
        min_fraction: with ``unit="sequence"``, in (0, 1].
        n_boot: subject-level bootstrap resamples (>= 0; 0 gives no intervals).
        n_perm: within-subject permutations (>= 0; 0 gives no p-values); doubled, up to 16x, while
            the p-value floor could decide a BH discovery (``settings['n_perm_used']``, ``'p_floor_q'``).
        ci: confidence level in (0, 1).
        seed: the bootstrap and the permutations draw from independent streams of this seed, so
            the same seed gives the same output, and changing ``n_boot`` leaves the p-values alone.
        progress: ``progress(label, total)`` returns a callback taking the number of resamples done.
        **columns: for a DataFrame, the column options of ``AUFrames.from_frame`` (``subject=``,
            ``sequence=``, ``expression=``, ``frame=``, ``aus=``, ``threshold=``).

        independent_clips: treat every sequence (clip) as an independent unit: the bootstrap
            resamples sequences and the permutation is unrestricted (see
            :mod:`auknow.estimate.design`); ``n_subjects`` still counts the real subjects.

    Returns:
        :class:`PriorEstimate`: ``.to_frame()`` (one row per expression x AU), ``.summary()``,
        ``.to_table()`` (the quantified YAML table), ``.to_matrix()``.

    Warns:
        ResamplingWarning: when no subject has sequences of two expressions, so the
            within-subject permutation cannot vary; the p- and q-values are then NaN (not 1),
            and ``settings["warnings"]`` holds the message.

    Raises:
        DataError: no frames, fewer than 2 subjects (fewer than 2 sequences with
            ``independent_clips``), a bad option value.
        TypeError: column options with data that is not a DataFrame.

    Method and sources: ``docs/estimate-prior.md``.

    >>> import pandas as pd, auknow
    >>> df = pd.DataFrame({"subject": ["S1", "S1", "S2", "S2"], "expression": ["happy", "sad"] * 2,
    ...                    "AU06": [1, 0, 1, 0], "AU12": [1, 0, 1, 1]})
    >>> est = auknow.estimate_prior(df, n_boot=0, n_perm=0)
    >>> float(est.to_frame().set_index(["expression", "au_name"]).loc[("sadness", "AU12"), "p_au_given_expression"])
    0.5
    """
    frames = _as_frames(frames, columns)
    _check_options(unit, n_boot, n_perm, seed, ci)
    frames, counts, path, real_subject = _reduce(frames, unit, min_fraction, independent_clips)
    design = _check_resampling_design(counts, independent_clips, path)
    messages = [] if independent_clips else dz.design_warnings(design, bool(counts.expressions))
    for m in messages:
        warnings.warn(m, dz.ResamplingWarning, stacklevel=2)
    boot_rng, perm_rng = (np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(2))
    weights = st.bootstrap_weights(boot_rng, len(counts.subjects), n_boot)
    tick = progress("bootstrap", n_boot) if (progress and n_boot) else None
    boot = st.bootstrap(counts, weights, ci, progress=tick) if n_boot else None

    by_expression, perm_info = {}, {}
    if counts.expressions:
        testable = independent_clips or design["permutation_varies"]
        by_expression, perm_info = _expression_estimates(counts, boot, n_perm, perm_rng, progress, testable,
                                                         independent_clips)
        if real_subject is not None:
            by_expression["n_subjects"] = dz.real_subject_counts(counts, frames.sequence, real_subject)
    relations = _relation_estimates(counts, boot)
    pairs = None
    if n_perm:
        pairs = _pair_test(counts, seed, n_perm, progress)
        perm_info.update({"pair_null": pt.PAIR_NULL, "pair_n_flips_used": pairs["n_flips"],
                          "pair_p_floor_q": pairs["floor_q"]})
    settings = {"unit": unit, "min_fraction": min_fraction if unit == "sequence" else None, "n_boot": n_boot,
                "n_perm": n_perm, "ci": ci, "seed": seed,
                "bootstrap": dz.CLIP_BOOTSTRAP if independent_clips else BOOTSTRAP_DESCRIPTION,
                "null": dz.CLIP_NULL if independent_clips else NULL_DESCRIPTION,
                "independent_clips": independent_clips, "design": design, "warnings": messages,
                "source": dict(getattr(frames, "source", None) or {}), **perm_info}
    return PriorEstimate(counts=counts, **{**_NO_EXPRESSIONS, **by_expression}, **relations,
                         settings=settings, pairs=pairs)


#: The expression fields of a :class:`PriorEstimate` whose data has no expression labels.
_NO_EXPRESSIONS = {"expression": {}, "expression_ci": {}, "p_value": None, "q_value": None,
                   "n_frames": None, "n_sequences": None, "n_subjects": None}


def _as_frames(frames, columns: dict):
    """``frames`` as :class:`AUFrames` or :class:`~auknow.estimate.statistics.Counts` (a DataFrame is
    read with the ``columns`` options, which apply to a DataFrame only)."""
    if isinstance(frames, (AUFrames, st.Counts)):
        if columns:
            raise TypeError(f"estimate_prior: column options ({', '.join(columns)}) apply to a DataFrame only")
        return frames
    try:
        import pandas as pd
    except ImportError:  # pragma: no cover - pandas is a dependency
        pd = None
    if pd is not None and isinstance(frames, pd.DataFrame):
        return AUFrames.from_frame(frames, **columns)
    raise TypeError(f"estimate_prior: expected AUFrames, Counts or a pandas DataFrame, "
                    f"got {type(frames).__name__}")


def _check_options(unit: str, n_boot, n_perm, seed, ci: float) -> None:
    """Raise :class:`DataError` on a resample count or seed that is not a whole number >= 0, an
    unknown ``unit`` or a confidence level outside (0, 1)."""
    for name, value in (("n_boot", n_boot), ("n_perm", n_perm), ("seed", seed)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
            raise DataError(f"{name} must be a whole number >= 0, got {value!r}")
    if unit not in ("frame", "sequence"):
        raise DataError(f"unit must be 'frame' or 'sequence', got {unit!r}")
    if not 0 < ci < 1:
        raise DataError(f"confidence level {ci} is outside (0, 1)")


def _reduce(frames, unit: str, min_fraction: float, independent_clips: bool):
    """``(frames, counts, path, real_subject)``: the frames without uncoded AUs (each clip its own
    subject with ``independent_clips``; ``real_subject`` then maps them back, else None) and their
    counts at ``unit``; counts given already are checked and passed through."""
    if isinstance(frames, st.Counts):  # already reduced (auknow.estimate.stream)
        if independent_clips or frames.unit != unit:
            raise DataError("counts are given: give them at the unit asked for, and frames for independent_clips")
        return frames, frames, None, None
    real_subject = None
    frames = frames.drop_uncoded_aus()
    path = frames.source.get("path")
    if not frames.aus:
        raise DataError("no AU is coded in any frame", file=path)
    if independent_clips:
        frames, real_subject = dz.as_independent_clips(frames)
    return frames, st.count_units(frames, unit=unit, min_fraction=min_fraction), path, real_subject


def _check_resampling_design(counts: st.Counts, independent_clips: bool, path) -> dict:
    """The design summary (:func:`auknow.estimate.design.check_design`); raises :class:`DataError`
    when the bootstrap cannot vary (fewer than 2 subjects, or sequences with ``independent_clips``)."""
    design = dz.check_design(counts.seq_subject, counts.seq_expression, len(counts.subjects))
    if not design["bootstrap_varies"]:
        what = "sequence(s)" if independent_clips else "subject(s)"
        hint = "" if independent_clips else "; " + dz.HOW_TO_GIVE_SUBJECTS
        raise DataError(f"only {len(counts.subjects)} {what}: resampling needs at least 2{hint}", file=path)
    return design


def _expression_estimates(counts: st.Counts, boot, n_perm: int, perm_rng, progress, testable: bool,
                          independent_clips: bool) -> tuple[dict, dict]:
    """``(fields, perm_info)``: the expression fields of :class:`PriorEstimate` (statistics, their
    bootstrap intervals, p- and q-values (NaN when untested), frames, sequences and subjects per
    cell) and the permutation settings."""
    E, A = len(counts.expressions), len(counts.aus)
    N, K = counts.subject_expression_counts()
    nan = np.full((E, A), np.nan)
    p_value, q_value, perm_info = _expression_pvalues(counts, n_perm, perm_rng, progress, testable,
                                                      independent_clips)
    labelled = counts.seq_expression >= 0
    fields = {"expression": st.expression_statistics(N.sum(0), K.sum(0)),
              "expression_ci": boot["expression"] if boot else {k: (nan, nan) for k in st.STATISTICS},
              "p_value": nan if p_value is None else p_value, "q_value": nan if q_value is None else q_value,
              "n_frames": st.scatter_rows(counts.seq_expression[labelled], counts.seq_frames[labelled], E),
              "n_sequences": st.scatter_rows(counts.seq_expression[labelled], counts.seq_n[labelled] > 0, E),
              "n_subjects": ((N > 0).sum(0)).astype(float)}
    return fields, perm_info


def _expression_pvalues(counts: st.Counts, n_perm: int, perm_rng, progress, testable: bool,
                        independent_clips: bool):
    """``(p, q, perm_info)`` of the expression-AU permutation test: unrestricted for independent
    clips, else the adaptive within-subject test; ``(None, None, {})`` when untested."""
    if not (n_perm and testable):
        return None, None, {}
    tick = progress("permutation", n_perm) if progress else None
    if independent_clips:  # iid clips: the unrestricted permutation of the labels
        perms = st.within_subject_permutations(perm_rng, dz.unrestricted_block(len(counts.sequences)), n_perm)
        p_value = st.permutation_pvalues(counts, perms, progress=tick)
        return p_value, st.bh_qvalues(p_value), {}
    test = pm.adaptive_permutation_test(counts, perm_rng, n_perm, progress=tick)
    perm_info = {"n_perm_used": test["n_perm"], "p_floor": test["floor"], "n_at_p_floor": test["n_floor"],
                 "p_floor_q": test["floor_q"],
                 "p_floor_may_decide": test["floor_q"] is not None and test["floor_q"] > pm.FLOOR_Q}
    return test["p"], st.bh_qvalues(test["p"]), perm_info


def _relation_estimates(counts: st.Counts, boot) -> dict:
    """The AU-AU relation fields of :class:`PriorEstimate`: statistics, bootstrap intervals (NaN
    without a bootstrap), units and subjects where both AUs are coded."""
    A = len(counts.aus)
    pair_sum = counts.pair_counts.sum(0)
    nan_aa = np.full((A, A), np.nan)
    return {"relation": st.relation_statistics(pair_sum),
            "relation_ci": boot["relation"] if boot else {k: (nan_aa, nan_aa) for k in st.RELATION_STATISTICS},
            "relation_n": pair_sum[0],
            "relation_subjects": (counts.pair_counts[:, 0] > 0).sum(0).astype(float)}


def _pair_test(counts: st.Counts, seed: int, n_perm: int, progress) -> dict:
    """The AU-pair test (:func:`auknow.estimate.pair_test.pair_test`) on its own stream (child 2 of
    the seed), so the bootstrap and permutation streams are unchanged by it."""
    pair_rng = np.random.default_rng(np.random.SeedSequence(seed).spawn(3)[2])
    return pt.pair_test(counts, pair_rng, n_perm, progress=progress("pair test", n_perm) if progress else None)
