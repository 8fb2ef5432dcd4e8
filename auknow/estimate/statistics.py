"""AU-expression and AU-AU statistics, vectorised over resamples.

Every statistic is a function of counts, so the data are first reduced to sufficient counts and
resampling only re-weights those counts:

* per *sequence* q and AU a: ``n[q, a]`` rows where a is coded, ``k[q, a]`` rows where a is
  present (a row is a frame, or a whole sequence with ``unit="sequence"``);
* per subject s, expression e and AU a: ``N[s, e, a]``, ``K[s, e, a]`` (sums over sequences);
* per subject and AU pair: rows with both coded, with i present, with j present, with both.

Frames within a subject are not independent, so uncertainty comes from resampling subjects:

* **confidence intervals**: subject-level cluster bootstrap (subjects drawn with replacement,
  Field & Welsh 2007), BCa intervals with the subject jackknife (Efron 1987);
* **p-values**: permutation of the expression labels of whole sequences *within* each subject
  (a restricted permutation: the null keeps each subject's AU behaviour and label mix, and
  breaks only the AU-expression link inside the subject), two-sided, +1-corrected
  (Phipson & Smyth 2010); the test statistic is the studentized risk difference of
  :mod:`auknow.estimate.permutation` whatever statistic is written;
* **q-values**: Benjamini-Hochberg (1995) over the expression x AU grid.

Statistic definitions (rows with the AU coded; e = the expression, not-e = every other one):

* ``p_au_given_expression`` = K_e / N_e, in [0, 1];
* ``p_au`` = K / N, the base rate over all expressions;
* ``lift`` = P(a | e) / P(a | not e), in [0, inf] (inf when the AU never appears outside e);
* ``log_odds_ratio`` = log[(K_e + .5)(N_not - K_not + .5) / ((N_e - K_e + .5)(K_not + .5))]
  (Haldane-Anscombe correction, so it is finite with empty cells);
* ``phi`` = (ad - bc) / sqrt((a+b)(c+d)(a+c)(b+d)) of the 2x2 table expression x AU, in [-1, 1];
* ``p_expression_given_au`` = P(a | e) / sum_e' P(a | e'): P(e | a) with every expression
  weighted equally (class-balanced), in [0, 1]; the analytic form of NetFACS's up-sampled
  specificity without its Monte-Carlo noise.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from ..errors import DataError
from ..readers.frames import MISSING, AUFrames
# Resampling helpers live in intervals.py; re-exported here, where callers have found them.
from .intervals import (CHUNK_ELEMENTS, bca_interval, bootstrap_weights, chunk_size, chunks,  # noqa: F401
                        nan_quantile, percentile_interval)

STATISTICS = ("p_au_given_expression", "p_au", "lift", "log_odds_ratio", "phi", "p_expression_given_au")
RELATION_STATISTICS = ("p_j_given_i", "phi", "lift")
#: Declared value range of each statistic (written into the quantified table).
RANGES = {
    "p_au_given_expression": (0.0, 1.0),
    "p_au": (0.0, 1.0),
    "lift": (0.0, float("inf")),
    "log_odds_ratio": (float("-inf"), float("inf")),
    "phi": (-1.0, 1.0),
    "p_expression_given_au": (0.0, 1.0),
    "p_j_given_i": (0.0, 1.0),
}
DESCRIPTIONS = {
    "p_au_given_expression": "P(AU | expression): share of the expression's units (frames or sequences) "
                             "that show the AU",
    "p_au": "P(AU): share of all units that show the AU (base rate)",
    "lift": "P(AU | expression) / P(AU | other expressions)",
    "log_odds_ratio": "log odds ratio of the AU in the expression vs the other expressions (+0.5 correction)",
    "phi": "phi coefficient of the expression x AU 2x2 table",
    "p_expression_given_au": "P(expression | AU) with every expression weighted equally (class-balanced)",
    "p_j_given_i": "P(AU j | AU i) over units where both are coded",
}


@dataclass
class Counts:
    """Sufficient counts of AU-labelled data for every statistic here.

    Attributes:
        aus: AU names, length A. expressions: expression names, length E (empty: no labels).
        subjects: subject ids, length S. sequences: sequence ids, length Q, sorted by subject.
        seq_subject: [Q] subject index of each sequence. seq_expression: [Q] expression index (-1 none).
        seq_n, seq_k: [Q, A] units with the AU coded / present.
        seq_frames: [Q, A] frames behind the coded units (equals seq_n for ``unit="frame"``).
        pair_counts: [S, 4, A, A] per subject: units with i and j coded, i present (j coded),
            j present (i coded), both present.
        unit: ``"frame"`` or ``"sequence"``.
        cell_pair_counts: [C, 4, A, A] the pair counts of each (subject, expression) cell that has
            labelled units, for the per-expression AU-pair test of :mod:`auknow.estimate.pair_test`;
            cell_subject, cell_expression: [C] the cell's subject and expression index. None
            where not counted (no labels, or counts built without them).

    >>> frames = AUFrames(aus=("AU06", "AU12"), occurrence=[[1, 1], [1, 0], [0, MISSING]], subject=["S1", "S1", "S2"],
    ...                   sequence=["a", "a", "b"], frame=[0, 1, 0], expression=["happiness", "happiness", "sadness"])
    >>> c = count_units(frames)
    >>> c.sequences, c.seq_n.tolist(), c.seq_k.tolist()    # AU12 not coded in b
    (('a', 'b'), [[2.0, 2.0], [1.0, 0.0]], [[2.0, 1.0], [0.0, 0.0]])
    """

    aus: tuple[str, ...]
    expressions: tuple[str, ...]
    subjects: tuple[str, ...]
    sequences: tuple[str, ...]
    seq_subject: np.ndarray
    seq_expression: np.ndarray
    seq_n: np.ndarray
    seq_k: np.ndarray
    seq_frames: np.ndarray
    pair_counts: np.ndarray
    unit: str
    cell_pair_counts: np.ndarray | None = None
    cell_subject: np.ndarray | None = None
    cell_expression: np.ndarray | None = None

    def subject_expression_counts(self) -> tuple[np.ndarray, np.ndarray]:
        """``(N, K)``, each [S, E, A]: units with the AU coded / present per subject and expression."""
        S, E, A = len(self.subjects), len(self.expressions), len(self.aus)
        labelled = self.seq_expression >= 0
        cell = self.seq_subject[labelled] * E + self.seq_expression[labelled]
        N = scatter_rows(cell, self.seq_n[labelled], S * E).reshape(S, E, A)
        K = scatter_rows(cell, self.seq_k[labelled], S * E).reshape(S, E, A)
        return N, K


def scatter_rows(index: np.ndarray, values: np.ndarray, n: int) -> np.ndarray:
    """``out[k] = sum of values[i] over rows i with index[i] == k``: ``[N, A] -> [n, A]``.

    ``np.bincount`` on the flattened (row group, column) index: ~10x faster than ``np.add.at``.

    >>> scatter_rows(np.array([0, 1, 0]), np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]), 2)
    array([[6., 8.],
           [3., 4.]])
    """
    A = values.shape[1]
    flat = (index[:, None] * A + np.arange(A)).ravel()
    return np.bincount(flat, weights=values.ravel().astype(np.float64), minlength=n * A).reshape(n, A)


def _codes(values: np.ndarray) -> tuple[tuple[str, ...], np.ndarray]:
    uniq, inv = np.unique(values, return_inverse=True)
    return tuple(uniq.tolist()), inv.reshape(-1)


def count_units(frames: AUFrames, unit: str = "frame", min_fraction: float = 0.5) -> Counts:
    """Reduce frames to the sufficient counts of every statistic.

    Args:
        frames: AU-labelled frames (expression labels optional).
        unit: ``"frame"`` (each frame is a unit) or ``"sequence"`` (a sequence shows an AU when it
            does in at least ``min_fraction`` of its frames where the AU is coded).
        min_fraction: in (0, 1]; used with ``unit="sequence"``.

    Raises:
        DataError: no frames, an unknown unit, or a sequence whose frames carry two expressions
            under ``unit="sequence"``.

    >>> frames = AUFrames(aus=("AU12",), occurrence=[[1], [1], [0], [0]], subject=["S1"] * 4,
    ...                   sequence=["a", "a", "a", "b"], frame=[0, 1, 2, 0], expression=["happiness"] * 3 + ["sadness"])
    >>> count_units(frames).seq_k.tolist()                                    # frames: 2 of 3, 0 of 1
    [[2.0], [0.0]]
    >>> count_units(frames, unit="sequence", min_fraction=0.5).seq_k.tolist()   # a shows AU12 in >= 50%
    [[1.0], [0.0]]
    """
    if unit not in ("frame", "sequence"):
        raise DataError(f"unknown unit '{unit}' (expected frame or sequence)")
    if not 0 < min_fraction <= 1:
        raise DataError(f"min fraction {min_fraction} is outside (0, 1]")
    if len(frames) == 0:
        raise DataError("no frames to estimate from", file=frames.source.get("path"))
    occ = frames.occurrence
    coded = (occ != MISSING)
    present = (occ == 1)
    # Sequences sorted by (subject, sequence): the within-subject permutation relies on it.
    pairs = np.char.add(np.char.add(frames.subject, "\x1f"), frames.sequence)
    seq_keys, seq_of_row = np.unique(pairs, return_inverse=True)
    seq_of_row = seq_of_row.reshape(-1)
    Q = len(seq_keys)
    subjects, subj_of_row = _codes(frames.subject)
    seq_subject = np.zeros(Q, dtype=np.int64)
    seq_subject[seq_of_row] = subj_of_row
    if frames.expression is not None:
        expressions, expr_of_row = _codes(frames.expression)
        seq_expr = np.full(Q, -1, dtype=np.int64)
        seq_expr[seq_of_row] = expr_of_row
        mixed = seq_expr[seq_of_row] != expr_of_row
        if mixed.any():
            raise DataError(f"sequence {frames.sequence[np.argmax(mixed)]} has frames of two expressions; "
                            "give each labelled episode its own sequence id", file=frames.source.get("path"))
    else:
        expressions, seq_expr = (), np.full(Q, -1, dtype=np.int64)
    frames_coded = scatter_rows(seq_of_row, coded, Q)
    frames_present = scatter_rows(seq_of_row, present, Q)
    if unit == "frame":
        seq_n, seq_k = frames_coded, frames_present
        unit_coded, unit_present, unit_subject = coded, present, subj_of_row
    else:
        seq_n = (frames_coded > 0).astype(float)
        with np.errstate(invalid="ignore", divide="ignore"):
            seq_k = ((frames_present / frames_coded) >= min_fraction - 1e-12).astype(float) * seq_n
        unit_coded, unit_present, unit_subject = seq_n > 0, seq_k > 0, seq_subject
    pair_counts = subject_pair_counts(unit_coded, unit_present, unit_subject, len(subjects))
    cells = {}
    if expressions:  # per (subject, expression) cell: the per-expression pair test needs them
        unit_expr = expr_of_row if unit == "frame" else seq_expr
        cells = cell_pair_counts(unit_coded, unit_present, unit_subject, unit_expr, len(expressions))
    return Counts(aus=tuple(frames.aus), expressions=expressions, subjects=subjects,
                  sequences=tuple(s.split("\x1f", 1)[1] for s in seq_keys.tolist()),
                  seq_subject=seq_subject, seq_expression=seq_expr, seq_n=seq_n, seq_k=seq_k,
                  seq_frames=frames_coded, pair_counts=pair_counts, unit=unit, **cells)


def expression_counts(counts: Counts, expression: str) -> Counts:
    """The counts of one expression's sequences alone, as :func:`count_units` gives them for the
    frames of that expression (same subjects, sequences and order; the per-expression AU
    networks need them where only counts exist, as for streamed BP4D).

    Args:
        counts: from :func:`count_units` or the streamed BP4D reader, with expression labels and
            per-cell pair counts (``cell_pair_counts``).
        expression: one of ``counts.expressions``.

    Returns:
        A :class:`Counts` over the subjects who show ``expression`` (sorted as before), its
        sequences, ``expressions == (expression,)``; ``pair_counts`` [S_e, 4, A, A] from the cells.

    Raises:
        DataError: no expression labels or no per-cell pair counts, or an unknown expression.

    >>> frames = AUFrames(aus=("AU06", "AU12"), occurrence=[[1, 1], [1, 0], [0, 1]], subject=["S1", "S2", "S2"],
    ...                   sequence=["a", "b", "c"], frame=[0, 0, 0], expression=["happiness", "happiness", "sadness"])
    >>> full, sad = count_units(frames), count_units(frames.select(frames.expression == "sadness"))
    >>> sub = expression_counts(full, "sadness")
    >>> sub.subjects, sub.sequences, bool((sub.pair_counts == sad.pair_counts).all())
    (('S2',), ('c',), True)
    """
    if not counts.expressions or counts.cell_pair_counts is None:
        raise DataError("per-expression counts need expression labels and per-cell pair counts")
    if expression not in counts.expressions:
        raise DataError(f"unknown expression '{expression}' (the data has {', '.join(counts.expressions)})")
    k = counts.expressions.index(expression)
    keep = counts.seq_expression == k
    old_subjects = np.unique(counts.seq_subject[keep])  # sorted: the subjects keep their order
    new_index = np.full(len(counts.subjects), -1, dtype=np.int64)
    new_index[old_subjects] = np.arange(len(old_subjects))
    mine = counts.cell_expression == k
    cell_subject = new_index[counts.cell_subject[mine]]
    A = len(counts.aus)
    pair = np.zeros((len(old_subjects), 4, A, A), dtype=counts.pair_counts.dtype)
    np.add.at(pair, cell_subject, counts.cell_pair_counts[mine])
    return Counts(aus=counts.aus, expressions=(expression,),
                  subjects=tuple(counts.subjects[i] for i in old_subjects),
                  sequences=tuple(q for q, m in zip(counts.sequences, keep) if m),
                  seq_subject=new_index[counts.seq_subject[keep]], seq_expression=np.zeros(int(keep.sum()), np.int64),
                  seq_n=counts.seq_n[keep], seq_k=counts.seq_k[keep], seq_frames=counts.seq_frames[keep],
                  pair_counts=pair, unit=counts.unit, cell_pair_counts=counts.cell_pair_counts[mine],
                  cell_subject=cell_subject, cell_expression=np.zeros(int(mine.sum()), np.int64))


def cell_pair_counts(coded: np.ndarray, present: np.ndarray, subject: np.ndarray, expression: np.ndarray,
                     n_expressions: int) -> dict[str, np.ndarray]:
    """Pair counts of every (subject, expression) cell with labelled units (expression >= 0).

    Args:
        coded, present: [N, A] per unit. subject, expression: [N] indices (expression -1: unlabelled).
        n_expressions: E.

    Returns:
        ``{"cell_pair_counts": [C, 4, A, A], "cell_subject": [C], "cell_expression": [C]}``, the
        fields of :class:`Counts`, cells sorted by (subject, expression).

    >>> r = cell_pair_counts(np.ones((3, 2), bool), np.array([[1, 1], [1, 0], [0, 0]], bool),
    ...                      np.array([0, 0, 1]), np.array([0, 1, 0]), 2)
    >>> r["cell_subject"].tolist(), r["cell_expression"].tolist(), r["cell_pair_counts"][:, 3, 0, 1].tolist()
    ([0, 0, 1], [0, 1, 0], [1.0, 0.0, 0.0])
    """
    ok = expression >= 0
    key = subject[ok] * n_expressions + expression[ok]
    uniq, inv = np.unique(key, return_inverse=True)
    pairs = subject_pair_counts(coded[ok], present[ok], inv.reshape(-1), len(uniq))
    return {"cell_pair_counts": pairs, "cell_subject": uniq // n_expressions,
            "cell_expression": uniq % n_expressions}


def subject_pair_counts(coded: np.ndarray, present: np.ndarray, subject: np.ndarray, S: int) -> np.ndarray:
    """The AU-pair counts of each subject (the :attr:`Counts.pair_counts` field).

    Args:
        coded, present: ``[N, A]`` bool per unit (AU coded / present).
        subject: ``[N]`` subject index of each unit, in ``0 .. S-1``.
        S: the number of subjects.

    Returns:
        ``[S, 4, A, A]`` float: for AUs i, j, the units with both coded, i present (j coded),
        j present (i coded), and both present. A subject without units has zeros.

    >>> import numpy as np
    >>> coded, present = np.ones((3, 2), bool), np.array([[1, 1], [1, 0], [0, 1]], bool)
    >>> out = subject_pair_counts(coded, present, np.array([0, 0, 1]), 2)
    >>> out.shape, out[0, 3].tolist()  # subject 0: AU i and j both present
    ((2, 4, 2, 2), [[2.0, 1.0], [1.0, 1.0]])
    """
    # Per subject, the Gram matrix of [coded | present] rows gives all four pair counts at once.
    A = coded.shape[1]
    order = np.argsort(subject, kind="stable")
    bounds = np.searchsorted(subject[order], np.arange(S + 1))
    both = np.concatenate([coded, present], axis=1)[order].astype(np.float64)  # [N, 2A]
    out = np.zeros((S, 4, A, A))
    for s in range(S):
        rows = both[bounds[s]:bounds[s + 1]]
        g = rows.T @ rows  # [2A, 2A]: coded x coded, present x coded, coded x present, present x present
        out[s] = (g[:A, :A], g[A:, :A], g[:A, A:], g[A:, A:])
    return out


def expression_statistics(N: np.ndarray, K: np.ndarray) -> dict[str, np.ndarray]:
    """Every AU-expression statistic from counts ``N``, ``K`` of shape ``[..., E, A]``.

    Returns a dict of arrays of the same shape, NaN where undefined (an expression with no
    coded unit for the AU, or a statistic whose denominator is 0); see the module docstring.

    >>> s = expression_statistics(np.array([[10.0], [10.0]]), np.array([[8.0], [2.0]]))   # N, K [E, A]
    >>> s["p_au_given_expression"].ravel().tolist(), s["lift"].ravel().tolist(), s["phi"].ravel().round(3).tolist()
    ([0.8, 0.2], [4.0, 0.25], [0.6, -0.6])
    """
    N = np.asarray(N, dtype=np.float64)
    K = np.asarray(K, dtype=np.float64)
    Nt = N.sum(axis=-2, keepdims=True)
    Kt = K.sum(axis=-2, keepdims=True)
    Nn, Kn = Nt - N, Kt - K
    with np.errstate(invalid="ignore", divide="ignore"):
        p_e = K / N
        p_not = Kn / Nn
        p_au = np.broadcast_to(Kt / Nt, N.shape)
        lift = np.where((p_not == 0) & (p_e > 0), np.inf, p_e / p_not)
        lor = (np.log(K + 0.5) + np.log(Nn - Kn + 0.5) - np.log(N - K + 0.5) - np.log(Kn + 0.5))
        lor = np.where(N > 0, lor, np.nan)
        a, b, c, d = K, N - K, Kn, Nn - Kn
        phi = (a * d - b * c) / np.sqrt((a + b) * (c + d) * (a + c) * (b + d))
        balanced = p_e / np.nansum(p_e, axis=-2, keepdims=True)
    return {"p_au_given_expression": p_e, "p_au": np.array(p_au), "lift": lift, "log_odds_ratio": lor,
            "phi": phi, "p_expression_given_au": balanced}


def relation_statistics(pair: np.ndarray) -> dict[str, np.ndarray]:
    """AU-AU statistics from summed pair counts ``[..., 4, A, A]`` (see :class:`Counts`).

    ``p_j_given_i[i, j]`` = P(j | i); ``phi`` of the 2x2 table; ``lift`` = P(i, j) / (P(i) P(j)),
    all over units where both AUs are coded; NaN where undefined.

    >>> pair = np.zeros((4, 2, 2))
    >>> pair[0], pair[1], pair[2], pair[3] = 10, [[5, 5], [4, 4]], [[5, 4], [5, 4]], [[5, 3], [3, 4]]
    >>> r = relation_statistics(pair)      # both coded, i present, j present, both present
    >>> float(r["p_j_given_i"][0, 1]), float(r["lift"][0, 1])     # P(AU2 | AU1) = 3 / 5; 0.3 / (0.5 * 0.4)
    (0.6, 1.5)
    """
    n, ci, cj, both = (pair[..., k, :, :] for k in range(4))
    with np.errstate(invalid="ignore", divide="ignore"):
        p_j_given_i = both / ci
        lift = both * n / (ci * cj)
        a, b, c = both, ci - both, cj - both
        d = n - ci - cj + both
        phi = (a * d - b * c) / np.sqrt((a + b) * (c + d) * (a + c) * (b + d))
    return {"p_j_given_i": p_j_given_i, "phi": phi, "lift": lift}


def jackknife(counts: Counts) -> dict[str, dict[str, np.ndarray]]:
    """Leave-one-subject-out values of every statistic: ``{"expression": {stat: [S, E, A]},
    "relation": {stat: [S, A, A]}}`` (the expression part is empty without labels).

    >>> from auknow.readers import read_ckplus
    >>> from auknow.readers.ckplus import bundled_ckplus_path
    >>> counts = count_units(read_ckplus(bundled_ckplus_path()))
    >>> jackknife(counts)["expression"]["p_au_given_expression"].shape   # [S, E, A]
    (118, 7, 23)
    """
    out: dict[str, dict[str, np.ndarray]] = {"expression": {}, "relation": {}}
    if counts.expressions:
        N, K = counts.subject_expression_counts()
        out["expression"] = expression_statistics(N.sum(0) - N, K.sum(0) - K)
    out["relation"] = relation_statistics(counts.pair_counts.sum(0) - counts.pair_counts)
    return out


def bootstrap(counts: Counts, weights: np.ndarray, level: float,
              progress: Callable[[int], None] | None = None, chunk: int | None = None,
              method: str = "bca") -> dict[str, tuple]:
    """Cluster-bootstrap intervals of every expression and relation statistic.

    Args:
        counts: from :func:`count_units`.
        weights: ``[B, S]`` from :func:`bootstrap_weights`.
        level: confidence level in (0, 1), e.g. 0.95.
        progress: called with the number of resamples done after each chunk.
        chunk: resamples per block (default :func:`chunk_size`; the intervals do not depend on it).
        method: ``"bca"`` (default; :func:`bca_interval` with the subject jackknife) or
            ``"percentile"``.

    Returns:
        ``{"expression": {stat: (low, high)}, "relation": {stat: (low, high)}}``, arrays [E, A] / [A, A]
        (the expression part is empty without labels).

    >>> from auknow.readers import read_ckplus
    >>> from auknow.readers.ckplus import bundled_ckplus_path
    >>> counts = count_units(read_ckplus(bundled_ckplus_path()))
    >>> ci = bootstrap(counts, bootstrap_weights(np.random.default_rng(0), len(counts.subjects), 50), 0.9)
    >>> low, high = ci["expression"]["p_au_given_expression"]
    >>> e, a = counts.expressions.index("happiness"), counts.aus.index("AU12")
    >>> bool(low[e, a] <= 67 / 69 <= high[e, a]), low.shape
    (True, (7, 23))
    """
    if method not in ("bca", "percentile"):
        raise ValueError(f"unknown interval method '{method}' (expected bca or percentile)")
    N, K = counts.subject_expression_counts()
    S = len(counts.subjects)
    expr_samples: dict[str, list[np.ndarray]] = {s: [] for s in STATISTICS}
    rel_samples: dict[str, list[np.ndarray]] = {s: [] for s in RELATION_STATISTICS}
    # One product per chunk for N, K and the pair counts (exact: whole numbers in float64); each
    # BLAS call may wake (and spin) its threads, which costs CPU time on a busy machine.
    columns = np.concatenate([N.reshape(S, -1), K.reshape(S, -1), counts.pair_counts.reshape(S, -1)], axis=1)
    ea = N[0].size
    if chunk is None:
        chunk = chunk_size(columns.shape[1])
    start = 0
    for size in chunks(weights.shape[0], chunk):
        w = weights[start:start + size]
        start += size
        summed = w @ columns
        if counts.expressions:
            stats = expression_statistics(summed[:, :ea].reshape(size, *N.shape[1:]),
                                          summed[:, ea:2 * ea].reshape(size, *K.shape[1:]))
            for name in STATISTICS:
                expr_samples[name].append(stats[name])
        rel = relation_statistics(summed[:, 2 * ea:].reshape(size, *counts.pair_counts.shape[1:]))
        for name in RELATION_STATISTICS:
            rel_samples[name].append(rel[name])
        if progress:
            progress(size)
    if method == "bca":
        jack = jackknife(counts)
        point = {"expression": expression_statistics(N.sum(0), K.sum(0)) if counts.expressions else {},
                 "relation": relation_statistics(counts.pair_counts.sum(0))}

        def interval(part, name, samples):
            return bca_interval(samples, point[part][name], jack[part][name], level)
    else:
        def interval(part, name, samples):
            return percentile_interval(samples, level)
    out = {"expression": {}, "relation": {}}
    if counts.expressions:
        out["expression"] = {k: interval("expression", k, np.concatenate(v)) for k, v in expr_samples.items()}
    out["relation"] = {k: interval("relation", k, np.concatenate(v)) for k, v in rel_samples.items()}
    return out


def within_subject_permutations(rng: np.random.Generator, seq_subject: np.ndarray, n_perm: int) -> np.ndarray:
    """``[n_perm, Q]`` permutations of sequence indices that only move sequences within their subject.

    Requires sequences sorted by subject (as :func:`count_units` orders them): sorting random
    keys offset by the subject index shuffles each subject's block in place.

    >>> within_subject_permutations(np.random.default_rng(0), np.array([0, 0, 1, 1]), 2)  # subject 0: 0, 1
    array([[1, 0, 3, 2],
           [0, 1, 2, 3]])
    """
    if np.any(np.diff(seq_subject) < 0):
        raise ValueError("sequences must be sorted by subject")
    keys = seq_subject[None, :] + rng.random((n_perm, seq_subject.shape[0]))
    return np.argsort(keys, axis=1, kind="stable")


def permutation_pvalues(counts: Counts, permutations: np.ndarray,
                        progress: Callable[[int], None] | None = None, chunk: int = 100) -> np.ndarray:
    """Two-sided permutation p-values ``[E, A]`` of the log odds ratio of each expression x AU.

    The unstudentized test used before :func:`auknow.estimate.permutation.permutation_test`: its
    type-I error exceeds the level when sequence length depends on the expression (``--unit
    frame``, BP4D); kept as the reference that ``benchmarks/calibration.py`` compares against.

    ``p = min(1, 2 * min(p_upper, p_lower))`` with ``p_upper = (1 + #{null >= observed}) / (1 + P)``
    (Phipson & Smyth 2010: never 0); NaN where the log odds ratio is undefined.

    >>> from auknow.readers import read_ckplus
    >>> from auknow.readers.ckplus import bundled_ckplus_path
    >>> counts = count_units(read_ckplus(bundled_ckplus_path()))
    >>> p = permutation_pvalues(counts, within_subject_permutations(np.random.default_rng(0), counts.seq_subject, 49))
    >>> p.shape, float(np.nanmin(p))           # the floor 2 / (49 + 1) of the two-sided test
    ((7, 23), 0.04)
    """
    E, A = len(counts.expressions), len(counts.aus)
    labelled = counts.seq_expression >= 0
    N, K = counts.subject_expression_counts()
    observed = expression_statistics(N.sum(0), K.sum(0))["log_odds_ratio"]
    seq_n, seq_k = counts.seq_n * labelled[:, None], counts.seq_k * labelled[:, None]
    upper = np.zeros((E, A))
    lower = np.zeros((E, A))
    eye = np.eye(E + 1)[:, :E]  # label -1 (unlabelled) maps to the all-zero last row
    tol = 1e-9 * np.maximum(1.0, np.abs(observed))
    start = 0
    for size in chunks(permutations.shape[0], chunk):
        labels = counts.seq_expression[permutations[start:start + size]]  # [P, Q]
        start += size
        onehot = eye[labels]  # [P, Q, E]
        null = expression_statistics(np.einsum("pqe,qa->pea", onehot, seq_n),
                                     np.einsum("pqe,qa->pea", onehot, seq_k))["log_odds_ratio"]
        upper += (null >= observed - tol).sum(0)
        lower += (null <= observed + tol).sum(0)
        if progress:
            progress(size)
    P = permutations.shape[0]
    p = np.minimum(1.0, 2.0 * np.minimum((1 + upper) / (1 + P), (1 + lower) / (1 + P)))
    return np.where(np.isnan(observed), np.nan, p)


def bh_qvalues(pvalues: np.ndarray) -> np.ndarray:
    """Benjamini-Hochberg (1995) q-values over the finite entries of ``pvalues`` (NaN stays NaN).

    q_(i) = min over j >= i of p_(j) m / j, capped at 1 (the step-up adjusted p-values; equal to
    ``scipy.stats.false_discovery_control(p, method="bh")``, which the tests check). Written in
    numpy because importing scipy.stats alone takes longer than the whole statistics budget.

    >>> bh_qvalues(np.array([0.01, 0.04, 0.03, np.nan]))      # 0.01 * 3/1; 0.04 * 3/3; min(0.03 * 3/2, 0.04)
    array([0.03, 0.04, 0.04,  nan])
    """
    p = np.asarray(pvalues, dtype=np.float64)
    q = np.full_like(p, np.nan)
    ok = ~np.isnan(p)
    finite = p[ok]
    m = finite.size
    if m:
        order = np.argsort(finite, kind="stable")
        stepped = finite[order] * m / np.arange(1, m + 1)
        adjusted = np.minimum(np.minimum.accumulate(stepped[::-1])[::-1], 1.0)
        out = np.empty(m)
        out[order] = adjusted
        q[ok] = out
    return q
