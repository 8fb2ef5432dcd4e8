"""Within-subject permutation test of AU-expression association with a studentized statistic.

The expression labels of whole sequences are permuted within each subject (a restricted
permutation). With ``unit="frame"`` those sequences are not exchangeable when their length
depends on the expression (BP4D's short tasks T3 and T8; AU episodes persist over many frames, so
a short sequence's AU rate varies more): the permutation distribution of an unstudentized
statistic such as the pooled log odds ratio is then too narrow for the short expressions, and
their type-I error exceeds the nominal level. Studentizing restores asymptotic validity (Chung &
Romano 2013, Ann. Statist. 41(2), 484-507; Janssen 1997 for the two-sample case): the statistic is
divided by a standard error that is consistent under both the true and the permutation
distribution, so both converge to N(0, 1), and the test stays exact whenever the sequences *are*
exchangeable (equal-length or ``unit="sequence"`` designs), because any statistic gives an exact
permutation test then.

The statistic, per expression e and AU a, over units where a is coded:

    T = (P(a | e) - P(a | not e)) / SE,    SE^2 = sum_s u_s^2,
    u_s = (K_se - p_e N_se) / N_e - (K_s,not e - p_not N_s,not e) / N_not,

the risk difference over its subject-clustered (sandwich / linearisation) standard error:
``u_s`` is subject s's influence on the difference, so frames and sequences of one subject are
treated as one correlated cluster. The variance is floored at the variance of independent units
under H0, pbar (1 - pbar) (1/N_e + 1/N_not) (pbar the pooled rate, the same in every permutation):
with few subjects the sandwich can be 0 by coincidence (perfect separation, identical subjects),
which would give infinite statistics; with clustered frames the sandwich is the larger term. The two-sided p-value uses ``|T|``:
p = (1 + #{|T*| >= |T|}) / (1 + n_perm) (Phipson & Smyth 2010), NaN where the difference is
undefined (the AU never coded in e or in the other expressions).
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from .intervals import chunk_size, chunks
from .statistics import Counts, within_subject_permutations


def subject_expression_sums(labels: np.ndarray, seq_subject: np.ndarray, values: np.ndarray,
                            n_subjects: int, n_expressions: int) -> np.ndarray:
    """Sum per-sequence values into subject x expression cells, for many label vectors at once.

    Args:
        labels: [P, Q] expression index of each sequence (-1: unlabelled, left out).
        seq_subject: [Q] subject index of each sequence.
        values: [Q, A] per-sequence counts (units coded, or present).

    Returns:
        [P, S, E, A] float64 sums.

    >>> labels = np.array([[0, 1, 0]])                 # one label vector, 3 sequences
    >>> sums = subject_expression_sums(labels, np.array([0, 0, 1]), np.array([[1.0], [2.0], [4.0]]), 2, 2)
    >>> sums.shape, sums[0, :, :, 0].tolist()          # [P, S, E, A]; subject x expression
    ((1, 2, 2, 1), [[1.0, 2.0], [4.0, 0.0]])
    """
    P, Q = labels.shape
    S, E, A = n_subjects, n_expressions, values.shape[1]
    ok = labels >= 0
    cell = (np.arange(P)[:, None] * S + seq_subject[None, :]) * E + np.where(ok, labels, 0)  # [P, Q]
    flat = (cell[:, :, None] * A + np.arange(A)).reshape(-1)
    w = np.where(ok[:, :, None], values[None], 0.0).reshape(-1)
    return np.bincount(flat, weights=w, minlength=P * S * E * A).reshape(P, S, E, A)


def studentized_difference(Nse: np.ndarray, Kse: np.ndarray) -> np.ndarray:
    """Studentized risk difference ``T`` [..., E, A] from per-subject counts [..., S, E, A].

    ``T = (K_e/N_e - K_not/N_not) / SE`` with ``SE^2 = max(sum_s u_s^2, pbar (1 - pbar) (1/N_e +
    1/N_not))`` (see the module docstring; pbar = the pooled rate): NaN where ``N_e`` or ``N_not``
    is 0; 0 where the AU is in no unit or in all of them.

    >>> N = np.array([[[10., 10.]], [[10., 10.]]]).transpose(0, 2, 1)   # S=2, E=2, A=1
    >>> K = np.array([[[8., 2.]], [[6., 4.]]]).transpose(0, 2, 1)
    >>> float(np.round(studentized_difference(N, K)[0, 0], 4))  # d = 0.4; sum u_s^2 = 0.02 < 0.025
    2.5298
    """
    Nse = np.asarray(Nse, dtype=np.float64)
    Kse = np.asarray(Kse, dtype=np.float64)
    Ns, Ks = Nse.sum(-2, keepdims=True), Kse.sum(-2, keepdims=True)  # [..., S, 1, A]
    Ne, Ke = Nse.sum(-3), Kse.sum(-3)  # [..., E, A]
    Nn, Kn = Ne.sum(-2, keepdims=True) - Ne, Ke.sum(-2, keepdims=True) - Ke
    with np.errstate(invalid="ignore", divide="ignore"):
        pe, pn = Ke / Ne, Kn / Nn
        d = pe - pn
        u = ((Kse - pe[..., None, :, :] * Nse) / Ne[..., None, :, :]
             - ((Ks - Kse) - pn[..., None, :, :] * (Ns - Nse)) / Nn[..., None, :, :])
        pbar = (Ke.sum(-2) / Ne.sum(-2))[..., None, :]  # pooled rate: the same in every permutation
        v0 = pbar * (1 - pbar) * (1 / Ne + 1 / Nn)  # independent units' variance of d under H0
        var = np.maximum((u * u).sum(-3), v0)
        # Relative guard: a variance at rounding level is a zero variance (the AU in no unit, or in all).
        zero_se = var <= 1e-10 * (1 / Ne + 1 / Nn) ** 2
        t = np.where(zero_se, np.where(np.abs(d) <= 1e-12, 0.0, np.sign(d) * np.inf), d / np.sqrt(var))
    return np.where(np.isnan(d), np.nan, t)


def labelled_permutations(rng: np.random.Generator, counts: Counts, n_perm: int) -> np.ndarray:
    """``[n_perm, Q]`` within-subject permutations of the labelled sequences; unlabelled ones stay put.

    >>> c = type("C", (), {"seq_subject": np.array([0, 0, 0, 1, 1]), "seq_expression": np.array([0, -1, 1, 0, 1])})
    >>> perms = labelled_permutations(np.random.default_rng(0), c, 50)
    >>> bool((perms[:, 1] == 1).all() and (c.seq_subject[perms] == c.seq_subject).all())
    True
    """
    lab = np.flatnonzero(counts.seq_expression >= 0)
    out = np.tile(np.arange(counts.seq_expression.shape[0]), (n_perm, 1))
    out[:, lab] = lab[within_subject_permutations(rng, counts.seq_subject[lab], n_perm)]
    return out


class _CellLayout:
    """Fixed positions of the labelled sequences, sorted by (expression, subject): a within-subject
    permutation moves the data between positions, so per-permutation (expression, subject) cell
    sums are two ``np.add.reduceat`` calls, never an [S, E, A] array per permutation."""

    def __init__(self, counts: Counts):
        e, s = counts.seq_expression, counts.seq_subject
        lab = np.flatnonzero(e >= 0)
        self.pos = lab[np.lexsort((s[lab], e[lab]))]  # positions in (expression, subject) order
        key = e[self.pos] * (s.max() + 1) + s[self.pos]
        self.cell_start = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
        self.cell_expr = e[self.pos][self.cell_start]  # [C]
        self.cell_subj = s[self.pos][self.cell_start]
        self.expr_start = np.flatnonzero(np.r_[True, self.cell_expr[1:] != self.cell_expr[:-1]])
        self.expressions = self.cell_expr[self.expr_start]  # expressions present, sorted
        self.E = len(counts.expressions)
        S = len(counts.subjects)
        n_lab, k_lab = counts.seq_n[lab], counts.seq_k[lab]
        self.Ns = np.zeros((S, n_lab.shape[1])); np.add.at(self.Ns, s[lab], n_lab)  # noqa: E702
        self.Ks = np.zeros_like(self.Ns); np.add.at(self.Ks, s[lab], k_lab)  # noqa: E702
        self.moments = ((self.Ks ** 2).sum(0), (self.Ks * self.Ns).sum(0), (self.Ns ** 2).sum(0))
        self.Ks_cell, self.Ns_cell = self.Ks[self.cell_subj], self.Ns[self.cell_subj]  # [C, A]
        self.all_expressions = self.expressions.size == self.E
        # cells are sorted by expression: repeating each expression's value over its cells is the
        # gather ``v[:, cell_expr]`` (the same values), without fancy indexing
        self.cells_per_expr = np.diff(np.r_[self.expr_start, self.cell_start.size])

    def statistic(self, n: np.ndarray, k: np.ndarray) -> np.ndarray:
        """T [P, E, A] from per-position data [P, Q_labelled, A] (position order of ``pos``)."""
        if self.cell_start.size == self.pos.size:  # one sequence per cell (CK+, BP4D): nothing to sum
            Nc, Kc = n, k
        else:
            Nc, Kc = (np.add.reduceat(x, self.cell_start, axis=1) for x in (n, k))  # [P, C, A]
        Ne_p, Ke_p = (np.add.reduceat(x, self.expr_start, axis=1) for x in (Nc, Kc))
        P, _, A = Nc.shape
        if self.all_expressions:
            Ne, Ke = Ne_p, Ke_p
        else:
            Ne, Ke = np.zeros((P, self.E, A)), np.zeros((P, self.E, A))
            Ne[:, self.expressions], Ke[:, self.expressions] = Ne_p, Ke_p
        Nn, Kn = Ne.sum(1, keepdims=True) - Ne, Ke.sum(1, keepdims=True) - Ke
        kk, kn, nn = self.moments
        with np.errstate(invalid="ignore", divide="ignore"):
            pe, pn = Ke / Ne, Kn / Nn
            alpha, beta = 1 / Ne + 1 / Nn, pe / Ne + pn / Nn
            # sum over every subject of gamma_s^2, gamma_s = (K_s - p_not N_s) / N_not
            V = (kk - 2 * pn * kn + pn ** 2 * nn) / Nn ** 2

            def at(v):  # [P, E, A] -> [P, C, A]: each cell's expression's value
                v = v if self.all_expressions else v[:, self.expressions]
                return np.repeat(v, self.cells_per_expr, axis=1)

            x = at(alpha) * Kc - at(beta) * Nc  # [P, C, A]: u_s = x - gamma_s in the cells
            gamma = (self.Ks_cell - at(pn) * self.Ns_cell) / at(Nn)
            V[:, self.expressions] += np.add.reduceat(x * (x - 2 * gamma), self.expr_start, axis=1)
            d = pe - pn
            pbar = Ke.sum(1, keepdims=True) / Ne.sum(1, keepdims=True)
            V = np.maximum(V, pbar * (1 - pbar) * (1 / Ne + 1 / Nn))
            zero_se = V <= 1e-10 * (1 / Ne + 1 / Nn) ** 2
            t = np.where(zero_se, np.where(np.abs(d) <= 1e-12, 0.0, np.sign(d) * np.inf), d / np.sqrt(V))
        return np.where(np.isnan(d), np.nan, t)


def permutation_test(counts: Counts, permutations: np.ndarray,
                     progress: Callable[[int], None] | None = None, chunk: int | None = None,
                     layout: "_CellLayout | None" = None) -> tuple[np.ndarray, np.ndarray]:
    """Two-sided permutation p-values [E, A] of the studentized risk difference, and ``T`` [E, A].

    Args:
        counts: from :func:`auknow.estimate.statistics.count_units`.
        permutations: [P, Q] sequence permutations within subjects
            (:func:`auknow.estimate.statistics.within_subject_permutations`): permutation ``pi``
            moves the data of sequence ``pi[j]`` to position ``j``, which keeps its label.
        progress: called with the number of permutations done after each chunk.
        chunk: permutations per block (default :func:`chunk_size`; the p-values do not depend on it).
        layout: the cell layout of ``counts`` (built when not given).

    Returns:
        ``(p, T)``: p = (1 + #{|T*| >= |T|}) / (1 + P), in [1/(P+1), 1], NaN where T is NaN
        (equal to :func:`studentized_difference` of the permuted data). A permutation whose
        statistic is undefined (the AU no longer coded in e) counts as extreme.

    >>> from auknow.estimate.statistics import count_units, within_subject_permutations
    >>> from auknow.readers import read_ckplus
    >>> from auknow.readers.ckplus import bundled_ckplus_path
    >>> counts = count_units(read_ckplus(bundled_ckplus_path()))
    >>> perms = within_subject_permutations(np.random.default_rng(0), counts.seq_subject, 99)
    >>> p, T = permutation_test(counts, perms)
    >>> e, a = counts.expressions.index("happiness"), counts.aus.index("AU12")
    >>> float(p[e, a]), bool(T[e, a] > 0)             # at the floor 1 / (99 + 1)
    (0.01, True)
    """
    layout = layout or _CellLayout(counts)
    if chunk is None:
        chunk = chunk_size(layout.pos.size * counts.seq_n.shape[1])
    if (counts.seq_expression[permutations[:, layout.pos]] < 0).any():
        raise ValueError("a permutation moves an unlabelled sequence into a labelled one "
                         "(use labelled_permutations)")
    observed = layout.statistic(counts.seq_n[layout.pos][None], counts.seq_k[layout.pos][None])[0]
    a = np.abs(observed)
    with np.errstate(invalid="ignore"):
        thr = np.where(np.isinf(a), np.inf, a - 1e-9 * np.maximum(1.0, a))
    extreme = np.zeros(observed.shape)
    start = 0
    for size in chunks(permutations.shape[0], chunk):
        src = permutations[start:start + size][:, layout.pos]  # [P, Q_labelled] data moved to each position
        start += size
        null = layout.statistic(counts.seq_n[src], counts.seq_k[src])
        extreme += (~(np.abs(null) < thr)).sum(0)  # NaN counts as extreme
        if progress:
            progress(size)
    p = (1.0 + extreme) / (1.0 + permutations.shape[0])
    return np.where(np.isnan(observed), np.nan, p), observed


#: The Monte-Carlo extension stops once the BH q-value of cells at the p-value floor is at most this,
#: so the floor cannot decide a discovery at any level alpha >= FLOOR_Q.
FLOOR_Q = 0.01
#: ... or once this many times the requested permutations are drawn.
MAX_EXTENSION = 16


def adaptive_permutation_test(counts: Counts, rng: np.random.Generator, n_perm: int,
                              progress: Callable[[int], None] | None = None,
                              floor_q: float = FLOOR_Q, max_factor: int = MAX_EXTENSION, chunk: int = 250,
                              tested: np.ndarray | None = None) -> dict:
    """:func:`permutation_test` with more permutations drawn while the p-value floor could decide.

    After ``n_perm`` permutations a cell with no extreme permutation sits at the floor
    p = 1/(P+1); with Benjamini-Hochberg over m cells such a cell is a discovery only when m/(P+1)
    (divided by the number of floor cells) is small enough, so too few permutations cap the
    discoveries. The number of permutations doubles while the BH q-value of the floor cells
    exceeds ``floor_q``, up to ``max_factor * n_perm`` (a sequential Monte-Carlo test in the spirit
    of Besag & Clifford 1991, Biometrika 78(2); every permutation is kept, p = (1 + g)/(1 + P)).

    ``chunk`` permutations are evaluated at once (memory ~ 64 chunk Q A bytes); ``tested`` [E, A]
    (default: every cell) marks the cells of the Benjamini-Hochberg family whose floor decides the
    extension (``auknow.estimate.configurations`` tests only the supported cells).

    Returns:
        ``{"p": [E, A], "T": [E, A], "n_perm": permutations drawn, "floor": 1/(P+1),
        "floor_q": BH q-value of the cells at the floor (None if none), "n_floor": their number}``.

    >>> from auknow.estimate.statistics import count_units
    >>> from auknow.readers import read_ckplus
    >>> from auknow.readers.ckplus import bundled_ckplus_path
    >>> counts = count_units(read_ckplus(bundled_ckplus_path()))
    >>> test = adaptive_permutation_test(counts, np.random.default_rng(0), 100)
    >>> sorted(test), test["n_perm"] >= 100
    (['T', 'floor', 'floor_q', 'n_floor', 'n_perm', 'p'], True)
    """
    from .statistics import bh_qvalues

    layout = _CellLayout(counts)
    extreme, total, batch = None, 0, n_perm
    while True:
        perms = labelled_permutations(rng, counts, batch)
        p, observed = permutation_test(counts, perms, progress=progress if not total else None, layout=layout,
                                       chunk=chunk)
        g = (p * (batch + 1) - 1).round()
        extreme = g if extreme is None else extreme + g
        total += batch
        p = np.where(np.isnan(observed), np.nan, (1 + extreme) / (1 + total))
        family = p if tested is None else np.where(tested, p, np.nan)
        at_floor = (extreme == 0) & ~np.isnan(family)
        fq = float(np.nanmax(bh_qvalues(family)[at_floor])) if at_floor.any() else None
        if fq is None or fq <= floor_q or total >= max_factor * n_perm:
            break
        batch = min(total, max_factor * n_perm - total)
    return {"p": p, "T": observed, "n_perm": total, "floor": 1 / (total + 1), "floor_q": fq,
            "n_floor": int(at_floor.sum())}
