"""Put the expression rows of an estimate in a model's class order (e.g. DFEW's)."""

from __future__ import annotations

import dataclasses
from typing import Sequence

import numpy as np

from .prior import PriorEstimate


def reorder_expressions(est: PriorEstimate, order: Sequence[str]) -> PriorEstimate:
    """The same estimate with its expression rows in ``order`` (canonical names).

    Expressions of ``order`` absent from the data are skipped; expressions of the data absent
    from ``order`` follow in their current order. Every ``[E, A]`` array, the CIs, p- and
    q-values, counts and ``counts.seq_expression`` are permuted together, so each row keeps its
    numbers.

    >>> from auknow.readers import read_ckplus, bundled_ckplus_path
    >>> from auknow.estimate.prior import estimate_prior
    >>> est = estimate_prior(read_ckplus(bundled_ckplus_path()), n_boot=0, n_perm=0)
    >>> reorder_expressions(est, ["surprise", "happiness"]).expressions[:3]
    ('surprise', 'happiness', 'anger')
    """
    names = list(est.expressions)
    wanted = [names.index(e) for e in order if e in names]
    perm = wanted + [i for i in range(len(names)) if i not in wanted]
    if perm == list(range(len(names))):
        return est
    perm_a = np.asarray(perm)
    inverse = np.empty(len(perm), dtype=np.int64)
    inverse[perm_a] = np.arange(len(perm))
    seq_expr = est.counts.seq_expression
    new_seq = np.where(seq_expr >= 0, inverse[np.maximum(seq_expr, 0)], -1)
    cells = est.counts.cell_expression
    counts = dataclasses.replace(est.counts, expressions=tuple(names[i] for i in perm), seq_expression=new_seq,
                                 cell_expression=None if cells is None else inverse[cells])
    pairs = est.pairs
    if pairs is not None and len(pairs["strata"]) == len(perm) + 1:  # strata: "all", then the expressions
        h = np.r_[0, perm_a + 1]
        pairs = {**pairs, "strata": tuple(pairs["strata"][i] for i in h),
                 **{k: pairs[k][h] for k in ("p", "q", "z", "observed", "expected")}}

    def take(x):
        return None if x is None else np.asarray(x)[perm_a]

    return dataclasses.replace(
        est, counts=counts,
        expression={k: take(v) for k, v in est.expression.items()},
        expression_ci={k: (take(lo), take(hi)) for k, (lo, hi) in est.expression_ci.items()},
        p_value=take(est.p_value), q_value=take(est.q_value), n_frames=take(est.n_frames),
        n_sequences=take(est.n_sequences), n_subjects=take(est.n_subjects), pairs=pairs)
