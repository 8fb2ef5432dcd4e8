"""Event sizes: how many AUs are active at once per unit, per expression, observed vs null.

The *event size* of a unit (a frame, or a sequence with ``unit="sequence"``) is the number of
AUs present in it. NetFACS (Mielke et al., R package 0.5.1, ``netfacs()``'s
``event.size.information`` and ``event_size_plot``) compares the observed size distribution
of a test condition with that of resampled null-condition events (p = the smaller one-sided
share, not doubled, no multiple-comparison control). Here:

* **observed**: P(size = k | e) over the *complete* units of expression e (every AU of the data
  coded; a unit with an AU not coded has an unknown size and is left out, counted in
  ``n_incomplete``), with subject-level cluster-bootstrap BCa intervals (the same scheme as
  P(AU | e): :func:`auknow.estimate.statistics.bca_interval`);
* **null**: the same within-subject permutation of whole sequences' expression labels as the
  AU-expression test (:mod:`auknow.estimate.permutation`). We chose it over "the sizes of the
  other expressions" because it keeps every subject's own size habits and mix of expressions:
  a subject who moves many AUs at once does not make their expressions look "bigger" than the
  others'. ``p_null`` is the mean of P*(size = k | e) over the permutations (what e's units
  would look like if labels carried nothing within subjects), ``null_low`` / ``null_high`` its
  central ``ci`` range; ``p_other`` = P(size = k | not e) is what the test contrasts;
* **tests**: per (e, k) the studentized, subject-clustered risk difference of the indicator
  [size = k] between e and the other expressions (Chung & Romano 2013; exactly the AU test with
  the AU replaced by the indicator), and per e one test of the *mean* size, on the share of AUs
  active (size / A, in [0, 1], so the variance floor of the studentized statistic is the
  largest variance a [0, 1] variable with that mean can have, never too small). Benjamini-
  Hochberg q-values over the (e, k) grid, and separately over the E mean-size tests.

Every number is a function of per-sequence size histograms, so resampling only re-weights them.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

from ..errors import DataError
from ..readers.frames import MISSING, AUFrames
from . import design as dz
from . import permutation as pm
from . import statistics as st

#: Seed-sequence keys of the event-size streams, apart from the estimate's own two streams.
_BOOT_KEY, _PERM_KEY, _NULL_KEY = 0x45531, 0x45532, 0x45533

COLUMNS = ("expression", "size", "n_units", "n_units_size", "p_size", "p_size_ci_low", "p_size_ci_high",
           "p_null", "null_low", "null_high", "p_other", "p_value", "q_value", "mean_size",
           "mean_size_ci_low", "mean_size_ci_high", "mean_size_null", "mean_size_other", "mean_size_p_value",
           "mean_size_q_value", "n_incomplete", "n_subjects")


@dataclass
class SizeCounts:
    """Per-sequence event-size histograms (the sufficient counts of every event-size number).

    Attributes:
        sizes: the sizes k tabulated, from the smallest to the largest observed in a complete unit.
        n_aus: A, the AUs a complete unit has coded.
        counts: :class:`~auknow.estimate.statistics.Counts` with one column per size and a last
            column ``"share"``: ``seq_n`` [Q, K+1] complete units of each sequence (the same in
            every column), ``seq_k`` [Q, K+1] units of size k, and in the last column the sum of
            size / A over the sequence's complete units.
        incomplete: [Q] units left out because some AU is not coded in them.

    Built by :func:`size_counts`. Below, frame 0 of ``b1`` has AU12 not coded (size unknown).

    >>> f = AUFrames(aus=["AU06", "AU12"], occurrence=[[1, 1], [1, 0], [0, 0], [1, -1], [0, 1], [0, 0]],
    ...              subject=list("aaabbb"), sequence=["a1", "a1", "a2", "b1", "b1", "b2"],
    ...              frame=[0, 1, 0, 0, 1, 0], expression=["happiness", "happiness", "neutral"] * 2)
    >>> sc = size_counts(f)
    >>> sc.sizes, sc.n_aus, sc.counts.aus, sc.counts.sequences
    ((0, 1, 2), 2, ('0', '1', '2', 'share'), ('a1', 'a2', 'b1', 'b2'))
    >>> sc.counts.seq_k.tolist()          # per sequence: units of size 0, 1, 2; sum of size / A
    [[0.0, 1.0, 1.0, 1.5], [1.0, 0.0, 0.0, 0.0], [0.0, 1.0, 0.0, 0.5], [1.0, 0.0, 0.0, 0.0]]
    >>> sc.counts.seq_n[:, 0].tolist(), sc.incomplete.tolist()   # complete / left-out units
    ([2.0, 1.0, 1.0, 1.0], [0.0, 0.0, 1.0, 0.0])
    """

    sizes: tuple[int, ...]
    n_aus: int
    counts: st.Counts
    incomplete: np.ndarray


def unit_sizes(data, unit: str = "frame", min_fraction: float = 0.5) -> tuple[np.ndarray, ...]:
    """Per unit: its sequence index, its event size and whether every AU is coded in it.

    Args:
        data: AU-labelled :class:`~auknow.readers.frames.AUFrames` (AUs never coded anywhere are
            dropped first), or, with ``unit="sequence"``, the
            :class:`~auknow.estimate.statistics.Counts` they reduce to (a sequence is one unit).
        unit, min_fraction: as in :func:`auknow.estimate.statistics.count_units` (a sequence shows
            an AU when at least ``min_fraction`` of its frames where the AU is coded do).

    Returns:
        ``(sequence [U], size [U], complete [U], skeleton)``: ``sequence`` indexes
        ``skeleton.sequences`` (the :class:`~auknow.estimate.statistics.Counts` of the data,
        whose order the tests and the resampling use).

    Raises:
        DataError: counts at ``unit="frame"`` (frame sizes need the frames), no AU coded.

    >>> f = AUFrames(aus=["AU06", "AU12"], occurrence=[[1, 1], [0, 1], [1, -1]], subject=["a"] * 3,
    ...              sequence=["s"] * 3, frame=[0, 1, 2])
    >>> q, size, complete, _ = unit_sizes(f)
    >>> size.tolist(), complete.tolist()
    ([2, 1, 1], [True, True, False])
    """
    if isinstance(data, st.Counts):
        if data.unit != "sequence" or unit != "sequence":
            raise DataError("event sizes per frame need the frames, not counts (counts give them per sequence)")
        skeleton = data
    else:
        data = data.drop_uncoded_aus()
        if not data.aus:
            raise DataError("no AU is coded in any frame", file=data.source.get("path"))
        skeleton = st.count_units(data, unit=unit, min_fraction=min_fraction)
    if unit == "sequence":  # the sequence-level presence of count_units is the unit itself
        Q = len(skeleton.sequences)
        return (np.arange(Q), skeleton.seq_k.sum(1).round().astype(np.int64),
                (skeleton.seq_n > 0).all(1), skeleton)
    keys = np.char.add(np.char.add(data.subject, "\x1f"), data.sequence)  # count_units' sequence order
    _, seq = np.unique(keys, return_inverse=True)
    occ = data.occurrence
    return seq.reshape(-1), (occ == 1).sum(1).astype(np.int64), (occ != MISSING).all(1), skeleton


def size_counts(frames, unit: str = "frame", min_fraction: float = 0.5,
                independent_clips: bool = False) -> SizeCounts:
    """Reduce frames to per-sequence event-size histograms (see :class:`SizeCounts`).

    Args:
        frames: AU-labelled frames (expression labels optional), or sequence-level counts
            (see :func:`unit_sizes`).
        unit, min_fraction: see :func:`unit_sizes`.
        independent_clips: every sequence is its own cluster (as ``estimate_prior``'s option).

    Raises:
        DataError: no AU coded, or no unit with every AU coded (no size is known).

    >>> f = AUFrames(aus=["AU06", "AU12"], occurrence=[[1, 1], [0, 1], [0, 0]], subject=["a"] * 3,
    ...              sequence=["s"] * 3, frame=[0, 1, 2], expression=["happiness"] * 3)
    >>> sc = size_counts(f)
    >>> sc.sizes, sc.counts.seq_k.tolist()
    ((0, 1, 2), [[1.0, 1.0, 1.0, 1.5]])
    """
    if independent_clips:
        if isinstance(frames, st.Counts):
            raise DataError("independent clips need the frames, not counts")
        frames, _ = dz.as_independent_clips(frames)
    seq, size, complete, sk = unit_sizes(frames, unit, min_fraction)
    if not complete.any():
        raise DataError("no unit has every AU coded, so no event size is known")
    A = len(sk.aus)
    sizes = tuple(range(int(size[complete].min()), int(size[complete].max()) + 1))
    Q, K = len(sk.sequences), len(sizes)
    onehot = np.zeros((size.shape[0], K + 1))
    onehot[complete, size[complete] - sizes[0]] = 1.0
    onehot[complete, K] = size[complete] / A
    seq_k = st.scatter_rows(seq, onehot, Q)
    seq_n = np.repeat(st.scatter_rows(seq, complete[:, None], Q), K + 1, axis=1)
    incomplete = np.bincount(seq, weights=~complete, minlength=Q)
    counts = st.Counts(aus=tuple(str(k) for k in sizes) + ("share",), expressions=sk.expressions,
                       subjects=sk.subjects, sequences=sk.sequences, seq_subject=sk.seq_subject,
                       seq_expression=sk.seq_expression, seq_n=seq_n, seq_k=seq_k, seq_frames=seq_n,
                       pair_counts=np.zeros((len(sk.subjects), 4, 0, 0)), unit=unit)
    return SizeCounts(sizes=sizes, n_aus=A, counts=counts, incomplete=incomplete)


@dataclass
class EventSizes:
    """The result of :func:`event_sizes`; arrays are [E, K] per expression and size, [E] per expression.

    ``p_size`` (with ``ci_low`` / ``ci_high``), ``p_null`` (with ``null_low`` / ``null_high``),
    ``p_other``, ``p_value``, ``q_value``; ``mean_size`` (with ``mean_ci_low`` / ``mean_ci_high``),
    ``mean_null``, ``mean_other``, ``mean_p_value``, ``mean_q_value``; ``n_units``,
    ``n_incomplete``, ``n_subjects`` [E]. NaN where undefined or not computed (``n_boot=0``,
    ``n_perm=0``, a design where the permutation cannot vary).

    Value ranges: probabilities in [0, 1] (each row of ``p_size`` sums to 1), sizes and means in
    [0, A] (A = ``settings["n_aus"]``), counts >= 0.

    >>> f = AUFrames(aus=["AU06", "AU12"], occurrence=[[1, 1], [1, 0], [0, 0], [1, -1], [0, 1], [0, 0]],
    ...              subject=list("aaabbb"), sequence=["a1", "a1", "a2", "b1", "b1", "b2"],
    ...              frame=[0, 1, 0, 0, 1, 0], expression=["happiness", "happiness", "neutral"] * 2)
    >>> es = event_sizes(size_counts(f), n_boot=0, n_perm=0)
    >>> es.expressions, es.sizes
    (('happiness', 'neutral'), (0, 1, 2))
    >>> es.p_size.round(3).tolist(), es.mean_size.round(3).tolist()   # happiness: sizes 2, 1, 1
    ([[0.0, 0.667, 0.333], [1.0, 0.0, 0.0]], [1.333, 0.0])
    >>> es.p_other.round(3).tolist()[0], es.n_units.tolist(), es.n_incomplete.tolist()
    ([1.0, 0.0, 0.0], [3.0, 2.0], [1.0, 0.0])
    >>> bool(np.isnan(es.p_value).all() and np.isnan(es.ci_low).all())   # no tests, no intervals
    True
    """

    sizes: tuple[int, ...]
    expressions: tuple[str, ...]
    p_size: np.ndarray
    ci_low: np.ndarray
    ci_high: np.ndarray
    p_null: np.ndarray
    null_low: np.ndarray
    null_high: np.ndarray
    p_other: np.ndarray
    p_value: np.ndarray
    q_value: np.ndarray
    n_units_size: np.ndarray
    mean_size: np.ndarray
    mean_ci_low: np.ndarray
    mean_ci_high: np.ndarray
    mean_null: np.ndarray
    mean_other: np.ndarray
    mean_p_value: np.ndarray
    mean_q_value: np.ndarray
    n_units: np.ndarray
    n_incomplete: np.ndarray
    n_subjects: np.ndarray
    settings: dict


def _ratios(N: np.ndarray, K: np.ndarray, A: int) -> tuple[np.ndarray, np.ndarray]:
    """P(size = k | e) [..., E, K] and the mean size [..., E] from summed [..., E, K+1] counts."""
    with np.errstate(invalid="ignore", divide="ignore"):
        r = K / N
    return r[..., :-1], r[..., -1] * A


def _intervals(counts: st.Counts, A: int, n_boot: int, ci: float, rng) -> tuple[np.ndarray, ...]:
    """BCa subject-bootstrap intervals of P(size = k | e) and of the mean size."""
    N, K = counts.subject_expression_counts()  # [S, E, K+1]
    S = N.shape[0]
    w = st.bootstrap_weights(rng, S, n_boot)
    Nb = (w @ N.reshape(S, -1)).reshape(n_boot, *N.shape[1:])
    Kb = (w @ K.reshape(S, -1)).reshape(n_boot, *K.shape[1:])
    point, jack, boot = _ratios(N.sum(0), K.sum(0), A), _ratios(N.sum(0) - N, K.sum(0) - K, A), _ratios(Nb, Kb, A)
    return (*st.bca_interval(boot[0], point[0], jack[0], ci), *st.bca_interval(boot[1], point[1], jack[1], ci))


def _permutations(rng, counts: st.Counts, n: int, independent: bool) -> np.ndarray:
    """[n, Q] label permutations: within subjects, or over all labelled clips when independent."""
    if not independent:
        return pm.labelled_permutations(rng, counts, n)
    lab = np.flatnonzero(counts.seq_expression >= 0)
    out = np.tile(np.arange(counts.seq_expression.shape[0]), (n, 1))
    out[:, lab] = lab[np.argsort(rng.random((n, lab.size)), axis=1)]
    return out


def _null_distribution(counts: st.Counts, perms: np.ndarray, A: int, ci: float, chunk: int = 200):
    """Mean and central ``ci`` range over permutations of P*(size = k | e) and of the mean size.

    Permutation ``pi`` moves the data of sequence ``pi[j]`` to position ``j``, which keeps its label.
    """
    E = len(counts.expressions)
    lab = counts.seq_expression >= 0
    onehot = np.zeros((counts.seq_expression.shape[0], E))
    onehot[lab, counts.seq_expression[lab]] = 1.0
    sizes, means = [], []
    for start in range(0, perms.shape[0], chunk):
        p = perms[start:start + chunk]
        Nn = np.einsum("qe,pqc->pec", onehot, counts.seq_n[p])
        Kn = np.einsum("qe,pqc->pec", onehot, counts.seq_k[p])
        s, m = _ratios(Nn, Kn, A)
        sizes.append(s)
        means.append(m)
    s, m = np.concatenate(sizes), np.concatenate(means)
    lo, hi = st.percentile_interval(s, ci)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a cell NaN in every permutation: mean of nothing
        return np.nanmean(s, axis=0), lo, hi, np.nanmean(m, axis=0)


def event_sizes(data: SizeCounts, n_boot: int = 1000, n_perm: int = 1000, ci: float = 0.95, seed: int = 0,
                independent_clips: bool = False) -> EventSizes:
    """Observed vs null event-size distributions per expression, with CIs, p- and q-values.

    Args:
        data: from :func:`size_counts` (with expression labels).
        n_boot: subject-bootstrap resamples for the intervals (0: none).
        n_perm: permutations for the tests (doubled while the p-value floor could decide, as the
            AU test; 0: none) and for the null distribution.
        ci: confidence level of the intervals and width of the null range, in (0, 1).
        seed: the bootstrap, the tests and the null range draw from three independent streams
            of this seed (none shared with ``estimate_prior``'s, so its numbers do not change).
        independent_clips: the permutation is unrestricted over clips (``data`` built with it).

    Returns:
        :class:`EventSizes`.

    Raises:
        DataError: no expression labels, a bad option.

    >>> import auknow
    >>> f = auknow.read_ckplus(auknow.bundled_ckplus_path())
    >>> es = event_sizes(size_counts(f), n_boot=0, n_perm=0)
    >>> e = es.expressions.index("happiness")
    >>> round(float(es.mean_size[e]), 2), round(float(es.p_size[e, es.sizes.index(3)]), 3)  # mostly AU6+12+25
    (3.14, 0.725)
    """
    c = data.counts
    if not c.expressions:
        raise DataError("event sizes per expression need expression labels")
    for name, value in (("n_boot", n_boot), ("n_perm", n_perm), ("seed", seed)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
            raise DataError(f"{name} must be a whole number >= 0, got {value!r}")
    if not 0 < ci < 1:
        raise DataError(f"confidence level {ci} is outside (0, 1)")
    A, E, K = data.n_aus, len(c.expressions), len(data.sizes)
    N, Kc = c.subject_expression_counts()
    Ne, Ke = N.sum(0), Kc.sum(0)  # [E, K+1]
    p_size, mean_size = _ratios(Ne, Ke, A)
    p_other, mean_other = _ratios(Ne.sum(0) - Ne, Ke.sum(0) - Ke, A)
    rng = {k: np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(k,)))
           for k in (_BOOT_KEY, _PERM_KEY, _NULL_KEY)}
    nan_ek, nan_e = np.full((E, K), np.nan), np.full(E, np.nan)
    lo, hi, mlo, mhi = _intervals(c, A, n_boot, ci, rng[_BOOT_KEY]) if n_boot else (nan_ek, nan_ek, nan_e, nan_e)
    design = dz.check_design(c.seq_subject, c.seq_expression, len(c.subjects))
    testable = n_perm and (independent_clips or design["permutation_varies"])
    p = np.full((E, K + 1), np.nan)
    null, nlo, nhi, mnull = nan_ek, nan_ek, nan_ek, nan_e
    info: dict = {}
    if testable and independent_clips:
        p = pm.permutation_test(c, _permutations(rng[_PERM_KEY], c, n_perm, True))[0]
        info = {"n_perm_used": n_perm}
    elif testable:
        test = pm.adaptive_permutation_test(c, rng[_PERM_KEY], n_perm)
        p, info = test["p"], {"n_perm_used": test["n_perm"], "p_floor_q": test["floor_q"]}
    if testable:
        null, nlo, nhi, mnull = _null_distribution(c, _permutations(rng[_NULL_KEY], c, n_perm, independent_clips),
                                                   A, ci)
    labelled = c.seq_expression >= 0
    incomplete = np.bincount(c.seq_expression[labelled], weights=data.incomplete[labelled], minlength=E)
    return EventSizes(sizes=data.sizes, expressions=c.expressions, p_size=p_size, ci_low=lo, ci_high=hi,
                      p_null=null, null_low=nlo, null_high=nhi, p_other=p_other, p_value=p[:, :K],
                      q_value=st.bh_qvalues(p[:, :K]), n_units_size=Ke[:, :K], mean_size=mean_size,
                      mean_ci_low=mlo, mean_ci_high=mhi, mean_null=mnull, mean_other=mean_other,
                      mean_p_value=p[:, K], mean_q_value=st.bh_qvalues(p[:, K]), n_units=Ne[:, 0],
                      n_incomplete=incomplete, n_subjects=(N[:, :, 0] > 0).sum(0).astype(float),
                      settings={"n_boot": n_boot, "n_perm": n_perm, "ci": ci, "seed": seed,
                                "independent_clips": independent_clips, "n_aus": A, **info})


def reorder(es: EventSizes, expressions) -> EventSizes:
    """``es`` with its expressions in the order ``expressions`` (the same names).

    Raises:
        DataError: the names differ.

    >>> import auknow
    >>> es = event_sizes(size_counts(auknow.read_ckplus(auknow.bundled_ckplus_path())), n_boot=20, n_perm=20)
    >>> r = reorder(es, ("surprise",) + es.expressions[:-1])
    >>> r.expressions[:3], bool((r.p_size[0] == es.p_size[-1]).all())
    (('surprise', 'anger', 'contempt'), True)
    >>> reorder(es, ["happiness"])
    Traceback (most recent call last):
    ...
    auknow.errors.DataError: expression order ['happiness'] does not name ['anger', 'contempt',
        'disgust', 'fear', 'happiness', 'sadness', 'surprise']
    """
    if sorted(expressions) != sorted(es.expressions):
        raise DataError(f"expression order {list(expressions)} does not name {list(es.expressions)}")
    idx = [es.expressions.index(e) for e in expressions]
    fields = {k: (v[idx] if isinstance(v, np.ndarray) else v) for k, v in vars(es).items()}
    fields["expressions"] = tuple(expressions)
    return EventSizes(**fields)


def rows(es: EventSizes) -> list[list]:
    """The rows of ``event_sizes.csv`` (columns :data:`COLUMNS`) as raw values, one per (e, k).

    The ``mean_size*`` columns and the counts ``n_units``, ``n_incomplete``, ``n_subjects`` belong
    to the expression and repeat on each of its rows.

    >>> import auknow
    >>> es = event_sizes(size_counts(auknow.read_ckplus(auknow.bundled_ckplus_path())), n_boot=20, n_perm=20)
    >>> table = rows(es)
    >>> len(table) == len(es.expressions) * len(es.sizes), len(table[0]) == len(COLUMNS)
    (True, True)
    >>> e = es.expressions.index("happiness")
    >>> row = dict(zip(COLUMNS, table[e * len(es.sizes) + es.sizes.index(3)]))
    >>> row["expression"], row["size"], int(row["n_units_size"]), round(float(row["p_size"]), 3)
    ('happiness', 3, 50, 0.725)
    >>> bool(row["p_size_ci_low"] <= row["p_size"] <= row["p_size_ci_high"]), round(float(row["mean_size"]), 2)
    (True, 3.14)
    """
    out = []
    for e, expr in enumerate(es.expressions):
        for j, k in enumerate(es.sizes):
            out.append([expr, k, es.n_units[e], es.n_units_size[e, j], es.p_size[e, j], es.ci_low[e, j],
                        es.ci_high[e, j], es.p_null[e, j], es.null_low[e, j], es.null_high[e, j], es.p_other[e, j],
                        es.p_value[e, j], es.q_value[e, j], es.mean_size[e], es.mean_ci_low[e], es.mean_ci_high[e],
                        es.mean_null[e], es.mean_other[e], es.mean_p_value[e], es.mean_q_value[e],
                        es.n_incomplete[e], es.n_subjects[e]])
    return out


def to_frame(es: EventSizes):
    """``event_sizes.csv`` as a pandas DataFrame at full precision (NaN where undefined):
    columns :data:`COLUMNS`, one row per (expression, size) as :func:`rows`.

    >>> import auknow
    >>> es = event_sizes(size_counts(auknow.read_ckplus(auknow.bundled_ckplus_path())), n_boot=20, n_perm=20)
    >>> df = to_frame(es)
    >>> df.shape == (len(es.expressions) * len(es.sizes), len(COLUMNS))
    True
    >>> df.groupby("expression")["p_size"].sum().round(6).unique().tolist()   # a distribution each
    [1.0]
    >>> print(df.loc[df.expression == "happiness", ["size", "p_size", "p_null"]].round(3).head(4).to_string(index=False))
     size  p_size  p_null
        1   0.014   0.007
        2   0.058   0.063
        3   0.725   0.290
        4   0.174   0.237
    """
    import pandas as pd

    return pd.DataFrame(rows(es), columns=list(COLUMNS))
