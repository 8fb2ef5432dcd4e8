"""Data-driven AU configurations: AU combinations of any size characteristic of each expression.

A configuration (a set of AUs) **occurs** in a unit (a frame, or a sequence with ``unit="sequence"``)
when every one of its AUs is present there, NetFACS's definition (``netfacs(combination.size = k)``
counts, per event, every combination of up to k of its active elements; Mielke et al. 2021,
Behav. Res. Methods, doi:10.3758/s13428-021-01692-5). It is **coded** in a unit when every one of
its AUs is coded; a unit where one of them is missing counts for nothing, as for single AUs.

The search is level-wise (Apriori; Agrawal & Srikant 1994): the **support** of a configuration in
expression e is the number of e's units in which it occurs; it can only fall when an AU is added,
so only configurations that reach ``min_support`` in some expression are extended, and a size-k
candidate is kept only when all its size-(k-1) subsets reach it in the same expression. The cells
tested are exactly ``{(e, C): support_e(C) >= min_support, |C| <= max_size}``, whatever the order
of the search.

Every configuration is then a derived AU column (coded / occurs per unit), reduced to the same
per-sequence counts (:class:`~auknow.estimate.statistics.Counts`) as single AUs, and gets the same
inference as ``estimate-prior``'s singles: the subject-level cluster bootstrap with BCa intervals
(:func:`auknow.estimate.statistics.bootstrap`), the within-subject permutation test of the
studentized risk difference, its permutations doubled while the p-value floor could decide
(:func:`auknow.estimate.permutation.adaptive_permutation_test`; with ``independent_clips`` the
unrestricted test of :func:`auknow.estimate.statistics.permutation_pvalues`), and
Benjamini-Hochberg q-values over **all** tested cells (every expression, every size).
"""

from __future__ import annotations

import dataclasses
import warnings
from dataclasses import dataclass, field

import numpy as np

from ..errors import DataError
from ..readers.frames import MISSING, AUFrames
from . import design as dz
from . import permutation as pm
from . import statistics as st

#: refuse a search that would test more configurations than this (raise min_support)
MAX_CONFIGURATIONS = 50_000
#: bytes one block of the bootstrap or one chunk of permutations may use
_BLOCK_BYTES = 128 * 2**20


@dataclass
class ConfigurationEstimate:
    """The result of :func:`estimate_configurations`; arrays are ``[E, C]`` (expression x configuration).

    Attributes:
        expressions: E expression names. configurations: C tuples of AU names (FACS order),
            sorted by size, then by AU numbers.
        support: units of e in which the configuration occurs. n_units: units of e in which all
            its AUs are coded. tested: ``support >= min_support`` (the BH family).
        p_given_expression: P(config | e) = support / n_units, in [0, 1]; ci_low / ci_high its
            BCa subject-bootstrap interval (NaN without bootstrap).
        p_given_other: P(config | not e) over the other expressions' units. lift: their ratio
            (``inf`` when the configuration never occurs outside e).
        p_value, q_value: permutation p and BH q over all tested cells (NaN where not tested).
        n_subjects: subjects with the configuration coded in e; support_subjects: subjects in
            whose e units it occurs.
        settings: unit, max_size, min_support, n_tested, n_boot, n_perm(_used), ci, seed, schemes.

    Counts are whole units (float arrays); probabilities in [0, 1]; lift in [0, inf].

    >>> import auknow
    >>> est = estimate_configurations(auknow.read_ckplus(auknow.bundled_ckplus_path()), max_size=2,
    ...                               n_boot=50, n_perm=50, seed=0)
    >>> est.support.shape == (len(est.expressions), len(est.configurations)), est.settings["sizes"]
    (True, {1: 18, 2: 68})
    >>> e, c = est.expressions.index("happiness"), est.configurations.index(("AU06", "AU12"))
    >>> [round(float(x[e, c]), 3) for x in (est.p_given_expression, est.ci_low, est.ci_high, est.p_given_other)]
    [0.942, 0.856, 0.985, 0.008]
    >>> round(float(est.lift[e, c]), 2), bool(est.q_value[e, c] < 0.05), bool(est.significant()[e, c])
    (121.52, True, True)
    >>> est.reordered(["surprise"]).expressions[:2]
    ('surprise', 'anger')
    """

    expressions: tuple[str, ...]
    configurations: tuple[tuple[str, ...], ...]
    support: np.ndarray
    n_units: np.ndarray
    tested: np.ndarray
    p_given_expression: np.ndarray
    ci_low: np.ndarray
    ci_high: np.ndarray
    p_given_other: np.ndarray
    lift: np.ndarray
    p_value: np.ndarray
    q_value: np.ndarray
    n_subjects: np.ndarray
    support_subjects: np.ndarray
    settings: dict = field(default_factory=dict)

    def reordered(self, order) -> "ConfigurationEstimate":
        """The same estimate with its expression rows in ``order`` (names absent from the data are
        skipped, the data's others follow), as :func:`auknow.estimate.order.reorder_expressions`."""
        names = list(self.expressions)
        wanted = [names.index(e) for e in order if e in names]
        perm = np.asarray(wanted + [i for i in range(len(names)) if i not in wanted], dtype=np.int64)
        rows = {f.name: getattr(self, f.name)[perm] for f in dataclasses.fields(self)
                if isinstance(getattr(self, f.name), np.ndarray)}
        return dataclasses.replace(self, expressions=tuple(names[i] for i in perm), **rows)

    def significant(self, alpha: float = 0.05) -> np.ndarray:
        """``[E, C]`` tested cells with q < alpha and a positive association (lift > 1)."""
        with np.errstate(invalid="ignore"):
            return self.tested & (self.q_value < alpha) & (self.p_given_expression > self.p_given_other)


def unit_rows(frames: AUFrames, counts: st.Counts) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The units of ``counts`` as distinct rows: ``(coded [R, A], present [R, A], weight [R], seq [R])``.

    With ``unit="frame"`` a row is a distinct (sequence, AU pattern) of frames, ``weight`` how
    many frames show it (exact: every count is a weighted sum over rows); with
    ``unit="sequence"`` a row is a sequence, its AUs as :func:`~auknow.estimate.statistics.count_units`
    decided them (``min_fraction``). ``seq`` indexes ``counts.sequences``.

    ``frames``: the frames ``counts`` came from (:func:`~auknow.estimate.statistics.count_units`).
    Below, the two frames of ``a1`` with AU1 and AU2 present become one row of weight 2.

    >>> f = AUFrames(aus=["AU01", "AU02"], occurrence=[[1, 1], [1, 1], [0, -1], [1, 0], [0, 0]],
    ...              subject=list("aaabb"), sequence=["a1", "a1", "a1", "b1", "b1"], frame=[0, 1, 2, 0, 1],
    ...              expression=["surprise"] * 5)
    >>> coded, present, weight, seq = unit_rows(f, st.count_units(f))
    >>> coded.astype(int).tolist(), present.astype(int).tolist(), weight.tolist(), seq.tolist()
    ([[1, 0], [1, 1], [1, 1], [1, 1]], [[0, 0], [1, 1], [0, 0], [1, 0]], [1.0, 2.0, 1.0, 1.0], [0, 0, 1, 1])
    >>> [x.astype(int).tolist() for x in unit_rows(f, st.count_units(f, unit="sequence"))[:2]]
    [[[1, 1], [1, 1]], [[1, 1], [1, 0]]]
    """
    if counts.unit == "sequence":
        Q = len(counts.sequences)
        return counts.seq_n > 0, counts.seq_k > 0, np.ones(Q), np.arange(Q)
    index = {(counts.subjects[s], q): i for i, (s, q) in enumerate(zip(counts.seq_subject, counts.sequences))}
    seq = np.array([index[(s, q)] for s, q in zip(frames.subject.tolist(), frames.sequence.tolist())],
                   dtype=np.int64)
    occ = frames.occurrence
    keys = np.concatenate([seq[:, None], (occ != MISSING), (occ == 1)], axis=1).astype(np.int64)
    rows, weight = np.unique(keys, axis=0, return_counts=True)
    A = occ.shape[1]
    return rows[:, 1:1 + A].astype(bool), rows[:, 1 + A:].astype(bool), weight.astype(np.float64), rows[:, 0]


def _support(present: np.ndarray, weight: np.ndarray, row_expr: np.ndarray, E: int) -> np.ndarray:
    lab = row_expr >= 0
    return st.scatter_rows(row_expr[lab], present[lab] * weight[lab, None], E)  # [E, C]


def _extend(level: list[tuple[int, ...]], frequent: np.ndarray) -> list[tuple[tuple[int, ...], int, int]]:
    """Apriori candidates of size k+1 from size-k ``level`` and ``frequent`` [E, C_k]: joins of two
    configurations frequent in one expression that share their first k-1 AUs, kept when every
    size-k subset is frequent in that expression. Returns (candidate, column of x, column of y)."""
    col = {c: i for i, c in enumerate(level)}
    out: dict[tuple[int, ...], tuple[int, int]] = {}
    for e in range(frequent.shape[0]):
        members = sorted(level[i] for i in np.flatnonzero(frequent[e]))
        ok = set(members)
        groups: dict[tuple[int, ...], list[tuple[int, ...]]] = {}
        for c in members:
            groups.setdefault(c[:-1], []).append(c)
        for group in groups.values():
            for i, x in enumerate(group):
                for y in group[i + 1:]:
                    cand = x + y[-1:]
                    if cand in out:
                        continue
                    if all(cand[:j] + cand[j + 1:] in ok for j in range(len(cand) - 2)):
                        out[cand] = (col[x], col[y])
    return [(c, *out[c]) for c in sorted(out)]


def search(coded: np.ndarray, present: np.ndarray, weight: np.ndarray, row_expr: np.ndarray, n_expressions: int,
           max_size: int, min_support: float, max_configurations: int = MAX_CONFIGURATIONS):
    """Level-wise search of the configurations that reach ``min_support`` units in some expression.

    Args:
        coded, present: ``[R, A]`` per row, AU coded / present. weight: ``[R]`` units per row.
        row_expr: ``[R]`` expression index (-1 unlabelled: never counts towards support).
        max_size: largest configuration size (>= 1). min_support: units (> 0).

    Returns:
        ``(configs, coded_c [R, C], present_c [R, C])``: configurations as tuples of AU column
        indices (by size, then lexicographic), and whether each is coded / occurs in each row.

    Raises:
        DataError: more than ``max_configurations`` configurations would be tested.

    >>> pres = np.array([[1, 1, 0], [1, 1, 1], [1, 0, 1]], bool)
    >>> configs, _, occ = search(np.ones_like(pres), pres, np.ones(3), np.zeros(3, int), 1, 3, 2)
    >>> configs
    [(0,), (1,), (2,), (0, 1), (0, 2)]
    """
    level = [(a,) for a in range(present.shape[1])]
    lc, lp = coded, present
    configs, coded_parts, present_parts = [], [], []
    for size in range(1, max_size + 1):
        frequent = _support(lp, weight, row_expr, n_expressions) >= min_support  # [E, C_k]
        keep = np.flatnonzero(frequent.any(0))
        configs += [level[i] for i in keep]
        coded_parts.append(lc[:, keep])
        present_parts.append(lp[:, keep])
        if len(configs) > max_configurations:
            raise DataError(f"more than {max_configurations:,} configurations reach min_support={min_support:g} "
                            f"(at size {size}); raise min_support=... or lower max_size=...")
        if size == max_size or not keep.size:
            break
        level, frequent, lc, lp = [level[i] for i in keep], frequent[:, keep], lc[:, keep], lp[:, keep]
        cands = _extend(level, frequent)
        if not cands:
            break
        x = np.array([c[1] for c in cands])
        y = np.array([c[2] for c in cands])
        lc, lp = lc[:, x] & lc[:, y], lp[:, x] & lp[:, y]
        level = [c[0] for c in cands]
    return configs, np.concatenate(coded_parts, axis=1), np.concatenate(present_parts, axis=1)


def configuration_counts(base: st.Counts, coded_c: np.ndarray, present_c: np.ndarray, weight: np.ndarray,
                         seq: np.ndarray, labels: tuple[str, ...]) -> st.Counts:
    """Per-sequence counts of configuration columns, in the layout of ``base`` (no AU-pair counts:
    ``pair_counts`` is ``[S, 4, 0, 0]``, relations between configurations are not estimated).

    ``coded_c``, ``present_c``: ``[R, C]`` per row of :func:`unit_rows` (``weight`` [R], ``seq``
    [R]), from :func:`search`; ``labels``: C names. Returns ``seq_n`` / ``seq_k`` ``[Q, C]``.

    >>> f = AUFrames(aus=["AU01", "AU02"], occurrence=[[1, 1], [1, 1], [0, -1], [1, 0], [0, 0]],
    ...              subject=list("aaabb"), sequence=["a1", "a1", "a1", "b1", "b1"], frame=[0, 1, 2, 0, 1],
    ...              expression=["surprise"] * 5)
    >>> base = st.count_units(f)
    >>> coded, present, weight, seq = unit_rows(f, base)
    >>> configs, coded_c, present_c = search(coded, present, weight, np.zeros(len(seq), int), 1, 2, 1)
    >>> configs                                  # AU1, AU2, AU1+AU2 (column indices)
    [(0,), (1,), (0, 1)]
    >>> c = configuration_counts(base, coded_c, present_c, weight, seq, ("AU01", "AU02", "AU01+AU02"))
    >>> c.sequences, c.seq_n.tolist(), c.seq_k.tolist()    # units coded / showing each configuration
    (('a1', 'b1'), [[3.0, 2.0, 2.0], [2.0, 2.0, 2.0]], [[2.0, 2.0, 2.0], [1.0, 0.0, 0.0]])
    """
    Q, S = len(base.sequences), len(base.subjects)
    seq_n = st.scatter_rows(seq, coded_c * weight[:, None], Q)
    seq_k = st.scatter_rows(seq, present_c * weight[:, None], Q)
    return dataclasses.replace(base, aus=labels, seq_n=seq_n, seq_k=seq_k, seq_frames=seq_n,
                               pair_counts=np.zeros((S, 4, 0, 0)))


def _block_bootstrap(counts: st.Counts, weights: np.ndarray, level: float) -> tuple[np.ndarray, np.ndarray]:
    """BCa interval of P(config | e) by :func:`~auknow.estimate.statistics.bootstrap`, over blocks of
    columns so that memory stays bounded (each cell's interval depends on its own column only)."""
    E, C = len(counts.expressions), len(counts.aus)
    block = max(1, int(_BLOCK_BYTES // (8 * 6 * 3 * max(weights.shape[0], 1) * max(E, 1))))
    low, high = np.full((E, C), np.nan), np.full((E, C), np.nan)
    for start in range(0, C, block):
        cols = slice(start, start + block)
        part = dataclasses.replace(counts, aus=counts.aus[cols], seq_n=counts.seq_n[:, cols],
                                   seq_k=counts.seq_k[:, cols], seq_frames=counts.seq_frames[:, cols])
        lo, hi = st.bootstrap(part, weights, level)["expression"]["p_au_given_expression"]
        low[:, cols], high[:, cols] = lo, hi
    return low, high


def _test(counts: st.Counts, tested: np.ndarray, rng: np.random.Generator, n_perm: int,
          independent_clips: bool, progress) -> tuple[np.ndarray, dict]:
    """Permutation p-values [E, C] (NaN where not tested) as ``estimate_prior`` computes them."""
    if independent_clips:
        perms = st.within_subject_permutations(rng, dz.unrestricted_block(len(counts.sequences)), n_perm)
        p, info = st.permutation_pvalues(counts, perms, progress=progress), {"n_perm_used": n_perm}
    else:
        chunk = max(1, min(250, int(_BLOCK_BYTES // (64 * len(counts.sequences) * max(len(counts.aus), 1)))))
        res = pm.adaptive_permutation_test(counts, rng, n_perm, progress=progress, chunk=chunk, tested=tested)
        p = res["p"]
        info = {"n_perm_used": res["n_perm"], "p_floor": res["floor"], "n_at_p_floor": res["n_floor"],
                "p_floor_q": res["floor_q"],
                "p_floor_may_decide": res["floor_q"] is not None and res["floor_q"] > pm.FLOOR_Q}
    return np.where(tested, p, np.nan), info


def estimate_configurations(frames: AUFrames, unit: str = "frame", min_fraction: float = 0.5, max_size: int = 4,
                            min_support: int = 5, n_boot: int = 1000, n_perm: int = 1000, ci: float = 0.95,
                            seed: int = 0, independent_clips: bool = False, progress=None
                            ) -> ConfigurationEstimate:
    """AU configurations of up to ``max_size`` AUs characteristic of each expression, with CIs, p and q.

    Args:
        frames: expression-labelled frames (any reader's output). unit, min_fraction,
            independent_clips, n_boot, n_perm, ci, seed: as :func:`auknow.estimate.prior.estimate_prior`
            (the same seed draws the same bootstrap weights, so a size-1 configuration's interval
            equals the single AU's).
        max_size: largest configuration size, >= 1. min_support: a configuration is tested in
            expression e when it occurs in at least this many of e's units (>= 1).
        progress: ``progress(label, total)`` returns a callback taking the resamples done.

    Returns:
        :class:`ConfigurationEstimate`; :mod:`auknow.estimate.configuration_output` writes it.

    Raises:
        DataError: no expression labels, bad options, fewer than 2 subjects, no configuration
            reaching ``min_support``, or a search larger than :data:`MAX_CONFIGURATIONS`.

    >>> import auknow
    >>> est = estimate_configurations(auknow.read_ckplus(auknow.bundled_ckplus_path()), max_size=2,
    ...                               n_boot=0, n_perm=0)
    >>> e, c = est.expressions.index("happiness"), est.configurations.index(("AU06", "AU12"))
    >>> int(est.support[e, c]), int(est.n_units[e, c])
    (65, 69)
    """
    _check_search_options(max_size, min_support, n_boot, n_perm, seed, ci)
    frames, base, design, path, real_subject = _units(frames, unit, min_fraction, independent_clips)
    messages = [] if independent_clips else dz.design_warnings(design, True)
    for m in messages:
        warnings.warn(m, dz.ResamplingWarning, stacklevel=2)
    coded, present, weight, seq = unit_rows(frames, base)
    E = len(base.expressions)
    configs, coded_c, present_c = search(coded, present, weight, base.seq_expression[seq], E, max_size, min_support)
    if not configs:
        raise DataError(f"no AU occurs in min_support={min_support} units of any expression; lower min_support=...",
                        file=path)
    names = tuple(tuple(frames.aus[a] for a in c) for c in configs)
    counts = configuration_counts(base, coded_c, present_c, weight, seq, tuple("+".join(c) for c in names))
    N, K = counts.subject_expression_counts()
    Ne, Ke = N.sum(0), K.sum(0)
    stats = st.expression_statistics(Ne, Ke)
    tested = Ke >= min_support
    with np.errstate(invalid="ignore", divide="ignore"):
        p_other = (Ke.sum(0) - Ke) / (Ne.sum(0) - Ne)
    boot_rng, perm_rng = (np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(2))
    weights = st.bootstrap_weights(boot_rng, len(counts.subjects), n_boot)
    low = high = np.full(Ne.shape, np.nan)
    if n_boot:
        low, high = _block_bootstrap(counts, weights, ci)
    p_value, perm_info = np.full(Ne.shape, np.nan), {}
    if n_perm and (independent_clips or design["permutation_varies"]):
        tick = progress("configuration permutations", n_perm) if progress else None
        p_value, perm_info = _test(counts, tested, perm_rng, n_perm, independent_clips, tick)
    n_subjects = (N > 0).sum(0).astype(float)
    support_subjects = (K > 0).sum(0).astype(float)
    if real_subject is not None:
        n_subjects = dz.real_subject_counts(counts, frames.sequence, real_subject)
    settings = {"unit": unit, "min_fraction": min_fraction if unit == "sequence" else None, "max_size": max_size,
                "min_support": min_support, "n_configurations": len(configs), "n_tested": int(tested.sum()),
                "n_boot": n_boot, "n_perm": n_perm, "ci": ci, "seed": seed, "independent_clips": independent_clips,
                "warnings": messages, "sizes": {k: sum(len(c) == k for c in configs) for k in range(1, max_size + 1)},
                **perm_info}
    return ConfigurationEstimate(
        expressions=counts.expressions, configurations=names, support=Ke, n_units=Ne, tested=tested,
        p_given_expression=stats["p_au_given_expression"], ci_low=low, ci_high=high, p_given_other=p_other,
        lift=stats["lift"], p_value=p_value, q_value=st.bh_qvalues(p_value), n_subjects=n_subjects,
        support_subjects=support_subjects, settings=settings)


def _check_search_options(max_size, min_support, n_boot, n_perm, seed, ci: float) -> None:
    """Raise :class:`DataError` on a size, support, resample count or seed that is not a whole
    number in range, or a confidence level outside (0, 1)."""
    for name, value, low in (("max_size", max_size, 1), ("min_support", min_support, 1), ("n_boot", n_boot, 0),
                             ("n_perm", n_perm, 0), ("seed", seed, 0)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
            raise DataError(f"{name} must be a whole number >= {low}, got {value!r}")
    if not 0 < ci < 1:
        raise DataError(f"confidence level {ci} is outside (0, 1)")


def _units(frames: AUFrames, unit: str, min_fraction: float, independent_clips: bool):
    """``(frames, base, design, path, real_subject)``: the labelled frames without uncoded AUs
    (each clip its own subject with ``independent_clips``; ``real_subject`` maps them back, else
    None), their counts at ``unit`` and the design, checked to let the bootstrap vary."""
    frames = frames.drop_uncoded_aus()
    path = frames.source.get("path")
    if frames.expression is None:
        raise DataError("configurations need expression labels; this data has none (give them when reading it: "
                        "expressions_file=..., or one expression=... for all frames)", file=path)
    if not frames.aus:
        raise DataError("no AU is coded in any frame", file=path)
    real_subject = None
    if independent_clips:
        frames, real_subject = dz.as_independent_clips(frames)
    base = st.count_units(frames, unit=unit, min_fraction=min_fraction)
    design = dz.check_design(base.seq_subject, base.seq_expression, len(base.subjects))
    if not design["bootstrap_varies"]:
        raise DataError(f"only {len(base.subjects)} subject(s): resampling needs at least 2", file=path)
    return frames, base, design, path, real_subject


def table_configurations(est: ConfigurationEstimate, alpha: float = 0.05, min_prevalence: float = 0.5
                         ) -> np.ndarray:
    """``[E, C]`` the configurations a prototype table lists: per expression, the **maximal**
    configurations among those that are significant (q < alpha), positively associated (lift > 1)
    and shown by at least ``min_prevalence`` of the expression's units (P(config | e)); a
    configuration with such a superset is left out (the superset says more: it implies it).
    A configuration holding a FACS 2002 exclusive pair (coded together in the data, e.g. 26+27)
    cannot be a prototype's required AUs and is never chosen (:func:`facs_exclusive`).

    >>> one, q = np.ones((1, 3)), np.full((1, 3), 0.01)
    >>> est = ConfigurationEstimate(("e",), (("AU01",), ("AU02",), ("AU01", "AU02")), support=one, n_units=one,
    ...     tested=one > 0, p_given_expression=np.array([[.9, .9, .8]]), ci_low=one, ci_high=one,
    ...     p_given_other=one / 10, lift=one, p_value=q, q_value=q, n_subjects=one, support_subjects=one)
    >>> table_configurations(est).astype(int).tolist()
    [[0, 0, 1]]
    """
    with np.errstate(invalid="ignore"):
        keep = est.significant(alpha) & (est.p_given_expression >= min_prevalence)
    keep &= ~facs_exclusive(est.configurations)[None, :]
    sets = [frozenset(c) for c in est.configurations]
    out = np.zeros_like(keep)
    for e in range(keep.shape[0]):
        chosen = [sets[c] for c in np.flatnonzero(keep[e])]
        for c in np.flatnonzero(keep[e]):
            out[e, c] = not any(sets[c] < other for other in chosen)
    return out


def facs_code(configuration) -> str:
    """The FACS code string of a configuration of AU names: ``("AU01", "AU02") -> "1+2"``.

    >>> facs_code(("AU01", "AU02", "AU05"))
    '1+2+5'
    """
    from ..facs import au_number, format_facs, parse_facs

    return format_facs(parse_facs([str(au_number(a)) for a in configuration], check_exclusive=False))


def facs_exclusive(configurations) -> np.ndarray:
    """``[C]`` whether each configuration holds a FACS 2002 exclusive pair (``26+27``, ``24+25``),
    by :func:`auknow.facs_exclusive.exclusive_conflicts`; ``configurations``: tuples of AU names.

    >>> facs_exclusive([("AU01", "AU02"), ("AU25", "AU26", "AU27"), ("AU24", "AU25")]).tolist()
    [False, True, True]
    """
    from ..facs import parse_facs
    from ..facs_exclusive import exclusive_conflicts

    return np.array([bool(exclusive_conflicts(parse_facs(facs_code(c), check_exclusive=False)))
                     for c in configurations], dtype=bool)
