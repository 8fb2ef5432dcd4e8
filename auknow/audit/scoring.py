r"""Scores of expression classifiers with subject-level bootstrap intervals, all draws at once.

A classifier's output is a function of a *unit group* (units with the same AU pattern, or each
unit alone for cross-validated references). Every draw ``b`` of the subject-level cluster
bootstrap gives each subject a multiplicity ``w[b, s]``, so the data of draw ``b`` reduce to
weighted counts ``c[b, u, e]`` = sum of ``w[b, subject]`` over units of group ``u`` labelled
``e`` (one matrix product). Every score is a function of those counts:

* ``recall_e = sum_u c[u, e] h[u, e] / n_e`` with ``h`` the predicted class (ties of the argmax
  share the credit: the expected recall under random tie-breaking); ``UAR`` = mean recall;
* ``log_loss_e = sum_u c[u, e] (-log p[u, e]) / n_e`` (p clipped at 1e-15, as scikit-learn);
* ``AUC_e``: one-vs-rest ROC-AUC of the score ``p[:, e]`` with positives ``c[:, e]`` and
  negatives ``sum_e' c[:, e'] - c[:, e]``, ties counted half (the Mann-Whitney form, equal to
  :func:`sklearn.metrics.roc_auc_score` with sample weights).

The *cross* versions score column ``j`` of the output against label ``e``; a table with its rows
deranged (a permutation with no fixed point) scores ``AUC[pi(e), e]``, so its expectation over
all derangements is the mean over ``j != e`` of the cross matrix (exact, no sampling).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

CLIP = 1e-15
#: up to this many unit groups, cross AUCs use a dense one-hot product (faster, memory ~ U^2 E)
DENSE_GROUPS = 600


def group_counts(weights: np.ndarray, subject: np.ndarray, group: np.ndarray, label: np.ndarray,
                 n_groups: int, n_labels: int) -> np.ndarray:
    """``c [B, U, E]``: per draw, the summed subject multiplicities of the units in each group x label.

    Args:
        weights: ``[B, S]`` subject multiplicities (all ones: the data as observed).
        subject, group, label: ``[N]`` int indices of each unit (label -1: not scored).
        n_groups, n_labels: U and E (every index of ``group`` / ``label`` below them).

    Returns:
        ``[B, U, E]`` float, non-negative; with all-ones weights, plain unit counts.

    >>> import numpy as np
    >>> w = np.array([[1.0, 1.0], [2.0, 0.0]])  # the data, and a draw taking subject 0 twice
    >>> c = group_counts(w, subject=np.array([0, 0, 1]), group=np.array([0, 1, 1]),
    ...                  label=np.array([0, 1, 1]), n_groups=2, n_labels=2)
    >>> c.shape, c[0].tolist(), c[1].tolist()
    ((2, 2, 2), [[1.0, 0.0], [0.0, 2.0]], [[2.0, 0.0], [0.0, 2.0]])
    """
    S = weights.shape[1]
    keep = label >= 0
    D = np.zeros((S, n_groups * n_labels))
    np.add.at(D, (subject[keep], group[keep] * n_labels + label[keep]), 1.0)
    return (weights @ D).reshape(weights.shape[0], n_groups, n_labels)


def _tie_groups(score: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(order, starts)``: the ascending order of ``score [U]`` and where each run of equal
    scores starts in it (ties form one group)."""
    order = np.argsort(score, kind="stable")
    s = score[order]
    return order, np.flatnonzero(np.r_[True, s[1:] != s[:-1]])


def _chunk(U: int, E: int, B: int) -> int:
    return max(1, min(B, int(4e6 // max(1, U * E))))  # bounds the [chunk, U, E] working set


def _auc_from_groups(pos: np.ndarray, neg: np.ndarray) -> np.ndarray:
    """AUC over axis 1 of per-distinct-score positive / negative weights (ascending scores)."""
    below = np.cumsum(neg, axis=1) - 0.5 * neg  # negatives strictly below + half the tied ones
    P, N = pos.sum(1), neg.sum(1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(P * N > 0, (pos * below).sum(1) / (P * N), np.nan)


def cross_auc(proba: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """ROC-AUC ``[B, E (score column j), E (label e)]`` of every output column against every label.

    Args:
        proba: ``[U, E]`` scores of each unit group (fixed across draws).
        counts: ``[B, U, E]`` weighted label counts per draw (:func:`group_counts`).

    For each column the groups are sorted once and runs of equal scores summed (ties share a
    value); the AUC is then ``sum_g pos_g (neg below g + neg_g / 2) / (P N)``. Cost
    ``O(B U E^2)``, memory bounded by working in chunks of draws.

    >>> import numpy as np
    >>> c = np.array([[[1, 0], [0, 1], [1, 0]]], float)  # 3 groups, labels 0 / 1
    >>> p = np.array([[0.9, 0.1], [0.2, 0.8], [0.5, 0.5]])
    >>> cross_auc(p, c)[0].tolist()  # [j][e]
    [[1.0, 0.0], [0.0, 1.0]]
    """
    B, U, E = counts.shape
    if U <= DENSE_GROUPS:
        return _cross_auc_dense(proba, counts)
    groups = [_tie_groups(proba[:, j]) for j in range(E)]
    out = np.empty((B, E, E))
    step = _chunk(U, E, B)
    for b0 in range(0, B, step):
        c = counts[b0:b0 + step]
        tot = c.sum(2)
        for j, (order, starts) in enumerate(groups):
            pos = np.add.reduceat(c[:, order, :], starts, axis=1)  # [nb, G, E]
            neg = np.add.reduceat(tot[:, order], starts, axis=1)[:, :, None] - pos
            out[b0:b0 + step, j, :] = _auc_from_groups(pos, neg)
    return out


def _cross_auc_dense(proba: np.ndarray, counts: np.ndarray, chunk: int = 250) -> np.ndarray:
    """:func:`cross_auc` by one matrix product per chunk of draws with the one-hot matrix of
    every column's distinct scores: about 3x faster for a few hundred groups, but its memory
    grows as U^2 E."""
    B, U, E = counts.shape
    blocks, seg = [], []
    for j in range(E):
        _, inv = np.unique(proba[:, j], return_inverse=True)
        oh = np.zeros((U, int(inv.max()) + 1))
        oh[np.arange(U), inv.reshape(-1)] = 1.0
        blocks.append(oh)
        seg.append(oh.shape[1])
    OH = np.hstack(blocks).astype(np.float32)  # counts are integers: float32 sums are exact here
    starts = np.r_[0, np.cumsum(seg)[:-1]]
    out = np.empty((B, E, E))
    for b0 in range(0, B, chunk):
        c = counts[b0:b0 + chunk]
        nb = c.shape[0]
        flat = np.ascontiguousarray(c.transpose(0, 2, 1), dtype=np.float32).reshape(nb * E, U)
        G = (flat @ OH).reshape(nb, E, -1)  # [nb, E (label), sum G]: positives at each distinct score
        neg = G.sum(1, keepdims=True) - G
        cum = np.cumsum(neg, axis=2)
        base = cum[:, :, starts] - neg[:, :, starts]  # negatives before each column's segment
        cum -= 0.5 * neg
        P = np.add.reduceat(G, starts, axis=2)
        N = np.add.reduceat(neg, starts, axis=2)
        num = np.add.reduceat(G * cum, starts, axis=2) - base * P  # [nb, e, j]
        with np.errstate(invalid="ignore", divide="ignore"):
            out[b0:b0 + nb] = np.where(P * N > 0, num / (P * N), np.nan).transpose(0, 2, 1)
    return out


def diagonal_auc(proba: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """ROC-AUC ``[B, E]`` of column e against label e only (the diagonal of :func:`cross_auc`,
    at ``1/E`` of its cost).

    Args:
        proba: ``[U, E]`` scores of each unit group. counts: ``[B, U, E]`` (:func:`group_counts`).

    Returns:
        ``[B, E]`` in [0, 1], ties counted half; NaN where label e has no positives or no negatives.

    >>> import numpy as np
    >>> p = np.array([[0.9, 0.1], [0.2, 0.8], [0.5, 0.5]])
    >>> c = np.array([[[1, 0], [0, 1], [1, 1]]], float)  # group 2: one unit of each label, tied
    >>> diagonal_auc(p, c).tolist()  # 3 of 4 pairs ordered right, the tied pair counts half
    [[0.875, 0.875]]
    """
    B, U, E = counts.shape
    tot = counts.sum(2)
    out = np.empty((B, E))
    for e in range(E):
        order, starts = _tie_groups(proba[:, e])
        pos = np.add.reduceat(counts[:, order, e], starts, axis=1)
        neg = np.add.reduceat(tot[:, order], starts, axis=1) - pos
        out[:, e] = _auc_from_groups(pos, neg)
    return out


def auc_rowwise(score: np.ndarray, pos: np.ndarray, neg: np.ndarray) -> np.ndarray:
    """ROC-AUC ``[B]`` where the score itself differs per draw: ``score, pos, neg`` all ``[B, U]``
    (``pos`` / ``neg``: positive and negative weight of each unit group; ties count half; NaN in a
    draw without positives or negatives).

    >>> import numpy as np
    >>> score = np.array([[0.1, 0.9, 0.5], [0.9, 0.1, 0.5]])
    >>> pos = np.array([[0.0, 1.0, 1.0], [0.0, 1.0, 1.0]])
    >>> auc_rowwise(score, pos, 1 - pos).tolist()  # draw 1 ranks the one negative first
    [1.0, 0.0]
    """
    order = np.argsort(score, axis=1, kind="stable")
    s = np.take_along_axis(score, order, 1)
    p = np.take_along_axis(pos, order, 1)
    n = np.take_along_axis(neg, order, 1)
    B, U = s.shape
    idx = np.broadcast_to(np.arange(U), (B, U))
    new = np.concatenate([np.ones((B, 1), bool), s[:, 1:] != s[:, :-1]], axis=1)
    start = np.maximum.accumulate(np.where(new, idx, 0), axis=1)
    last = np.concatenate([s[:, 1:] != s[:, :-1], np.ones((B, 1), bool)], axis=1)
    end = np.minimum.accumulate(np.where(last, idx, U)[:, ::-1], axis=1)[:, ::-1]
    cum = np.cumsum(n, axis=1)
    below = np.take_along_axis(cum, start, 1) - np.take_along_axis(n, start, 1)
    upto = np.take_along_axis(cum, end, 1)
    num = (p * (below + upto) / 2.0).sum(1)
    den = p.sum(1) * n.sum(1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, num / den, np.nan)


def argmax_share(proba: np.ndarray) -> np.ndarray:
    """``[U, E]`` predicted-class indicator with ties of the maximum sharing 1 equally (rows sum to 1).

    >>> import numpy as np
    >>> argmax_share(np.array([[0.5, 0.5], [0.9, 0.1]])).tolist()
    [[0.5, 0.5], [1.0, 0.0]]
    """
    top = proba >= proba.max(axis=1, keepdims=True) - 1e-12
    return top / top.sum(axis=1, keepdims=True)


@dataclass
class Draws:
    """Scores per bootstrap draw (row 0: the data as observed; rows 1..B: resamples).

    Attributes:
        auc, recall, log_loss: ``[1 + B, E]``. cross_auc: ``[1 + B, E (column), E (label)]``.
        confusion: ``[1 + B, E (label), E (predicted)]`` rows sum to 1. cross_nll likewise
        (mean -log p of column j over units labelled e).

    :attr:`uar` and :attr:`macro_auc` are ``[1 + B]`` means over expressions (NaN ignored).

    >>> import numpy as np
    >>> c = group_counts(np.ones((1, 2)), np.array([0, 1]), np.array([0, 1]), np.array([0, 1]), 2, 2)
    >>> d = score_draws(np.array([[0.8, 0.2], [0.3, 0.7]]), c)  # a perfect classifier
    >>> d.macro_auc.tolist(), d.uar.tolist(), d.deranged().macro_auc.tolist()
    ([1.0], [1.0], [0.0])
    """

    auc: np.ndarray
    recall: np.ndarray
    log_loss: np.ndarray
    cross_auc: np.ndarray
    confusion: np.ndarray
    cross_nll: np.ndarray

    @property
    def uar(self) -> np.ndarray:
        return np.nanmean(self.recall, axis=1)

    @property
    def macro_auc(self) -> np.ndarray:
        return np.nanmean(self.auc, axis=1)

    def deranged(self) -> "Draws":
        """The expected scores of the same classifier with its rows deranged (module docstring)."""
        E = self.auc.shape[1]
        off = ~np.eye(E, dtype=bool)
        auc = np.stack([self.cross_auc[:, off[:, e], e].mean(1) for e in range(E)], axis=1)
        conf_off = np.where(off[None], self.confusion, 0.0).sum(2) / (E - 1)
        nll = np.stack([self.cross_nll[:, e, off[e]].mean(1) for e in range(E)], axis=1)
        return Draws(auc=auc, recall=conf_off, log_loss=nll, cross_auc=self.cross_auc, confusion=self.confusion,
                     cross_nll=self.cross_nll)


def score_draws(proba: np.ndarray, counts: np.ndarray, cross: bool = True) -> Draws:
    """Every score of one classifier for every draw.

    Args:
        proba: ``[U, E]`` expression probabilities of each unit group (rows sum to 1).
        counts: ``[B, U, E]`` from :func:`group_counts` (the same label order as ``proba``).
        cross: also the cross AUC of every column against every label (needed for
            :meth:`Draws.deranged`); otherwise its off-diagonal is NaN.

    Returns:
        :class:`Draws` with ``B`` rows: AUC and recall in [0, 1], log-loss >= 0 (nats); NaN for
        a label with no units in a draw.

    >>> import numpy as np
    >>> p = np.array([[0.9, 0.1], [0.2, 0.8], [0.5, 0.5]])
    >>> c = np.array([[[1, 0], [0, 1], [1, 1]]], float)  # group 2 is a tie: recall shares it
    >>> d = score_draws(p, c)
    >>> d.auc.tolist(), d.recall.tolist(), d.log_loss.round(3).tolist()
    ([[0.875, 0.875]], [[0.75, 0.75]], [[0.399, 0.458]])
    """
    B, U, E = counts.shape
    n = counts.sum(axis=1)  # [B, E]
    if cross:
        auc = cross_auc(proba, counts)  # [B, j, e]
    else:
        auc = np.full((B, E, E), np.nan)
        auc[:, np.arange(E), np.arange(E)] = diagonal_auc(proba, counts)
    h = argmax_share(proba)
    ct = counts.transpose(0, 2, 1)
    with np.errstate(invalid="ignore", divide="ignore"):
        confusion = np.matmul(ct, h) / n[:, :, None]
        nll = -np.log(np.clip(proba, CLIP, 1.0))
        cross_nll = np.matmul(ct, nll) / n[:, :, None]
    idx = np.arange(E)
    return Draws(auc=auc[:, idx, idx], recall=confusion[:, idx, idx], log_loss=cross_nll[:, idx, idx],
                 cross_auc=auc, confusion=confusion, cross_nll=cross_nll)


def ceiling_draws(counts: np.ndarray) -> Draws:
    """The noise ceiling: scores of the empirical ``P(e | AU pattern)`` of each draw itself.

    ``counts [B, U, E]`` must be grouped by AU pattern. No function of the AU vector ranks or
    classifies these units better in-sample: the AUC uses ``P(e | pattern)`` (the likelihood-ratio
    order), the recall the class-balanced argmax ``P(e | pattern) / P(e)`` (maximises UAR), the
    log-loss the pattern's own label distribution (its conditional entropy).

    Returns:
        :class:`Draws` with ``auc``, ``recall``, ``log_loss`` ``[B, E]``; the cross / confusion
        fields are NaN (a ceiling has no columns to derange).

    >>> import numpy as np
    >>> c = np.array([[[2, 0], [1, 1]]], float)  # pattern 0: two units of label 0; pattern 1: one of each
    >>> d = ceiling_draws(c)
    >>> d.auc.round(3).tolist(), d.recall.round(3).tolist(), d.log_loss.round(3).tolist()
    ([[0.833, 0.833]], [[0.667, 1.0]], [[0.231, 0.693]])
    """
    B, U, E = counts.shape
    tot = counts.sum(2)
    n = counts.sum(1)
    with np.errstate(invalid="ignore", divide="ignore"):
        post = np.where(tot[:, :, None] > 0, counts / tot[:, :, None], 0.0)
        auc = np.stack([auc_rowwise(post[:, :, e], counts[:, :, e], tot - counts[:, :, e]) for e in range(E)], 1)
        bal = np.where(n[:, None, :] > 0, post / n[:, None, :], -1.0)
        top = bal >= bal.max(axis=2, keepdims=True) - 1e-15
        h = top / top.sum(axis=2, keepdims=True)
        recall = (counts * h).sum(1) / n
        log_loss = -(counts * np.log(np.clip(post, CLIP, 1.0))).sum(1) / n
    nan3 = np.full((B, E, E), np.nan)
    return Draws(auc=auc, recall=recall, log_loss=log_loss, cross_auc=nan3, confusion=nan3, cross_nll=nan3)


def _concat(parts: list[Draws]) -> Draws:
    return Draws(*(np.concatenate([getattr(p, f) for p in parts]) for f in
                   ("auc", "recall", "log_loss", "cross_auc", "confusion", "cross_nll")))


def score_weighted(proba: np.ndarray | None, weights: np.ndarray, subject: np.ndarray, group: np.ndarray,
                   label: np.ndarray, *, n_labels: int | None = None, cross: bool = True,
                   max_cells: float = 2e7) -> Draws:
    """:func:`score_draws` (or :func:`ceiling_draws` when ``proba`` is None, ``group`` the AU
    pattern) for every row of ``weights [B, S]``, in chunks of draws so that the ``[chunk, U, E]``
    counts stay below ``max_cells`` entries (large frame-level data sets).

    Args:
        proba: ``[U, E]`` or None (the noise ceiling; then ``n_labels`` gives E).
        weights: ``[B, S]`` subject multiplicities. subject, group, label: ``[N]`` indices.

    Returns:
        :class:`Draws` with ``B`` rows, equal to one pass of :func:`score_draws` over all draws.

    >>> import numpy as np
    >>> w = np.array([[1.0, 1.0], [2.0, 0.0]])  # draw 1 drops subject 1 and its label-1 unit
    >>> args = np.array([0, 1]), np.array([0, 1]), np.array([0, 1])  # subject, group, label
    >>> score_weighted(np.array([[0.8, 0.2], [0.3, 0.7]]), w, *args).recall.tolist()
    [[1.0, 1.0], [1.0, nan]]
    >>> score_weighted(None, w, *args, n_labels=2).recall.tolist()  # the ceiling
    [[1.0, 1.0], [1.0, nan]]
    """
    U = int(group.max()) + 1 if group.size else 1
    E = proba.shape[1] if proba is not None else int(n_labels)
    step = max(1, int(max_cells // max(1, U * E)))
    parts = []
    for b0 in range(0, weights.shape[0], step):
        c = group_counts(weights[b0:b0 + step], subject, group, label, U, E)
        parts.append(ceiling_draws(c) if proba is None else score_draws(proba, c, cross=cross))
    return parts[0] if len(parts) == 1 else _concat(parts)


def interval(samples: np.ndarray, level: float) -> tuple[np.ndarray, np.ndarray]:
    """Percentile interval over axis 0 ignoring NaN draws (the estimate-prior convention); NaN
    when there are no draws (``n_boot = 0``).

    Args:
        samples: ``[B, ...]`` bootstrap draws. level: in (0, 1), e.g. 0.95.

    Returns:
        ``(low, high)`` arrays of shape ``samples.shape[1:]`` (0-d for ``[B]`` samples).

    >>> import numpy as np
    >>> [round(float(x), 3) for x in interval(np.arange(101.0) / 100, 0.9)]
    [0.05, 0.95]
    >>> interval(np.zeros((0, 2)), 0.95)  # no draws
    (array([nan, nan]), array([nan, nan]))
    """
    from ..estimate.statistics import percentile_interval

    samples = np.asarray(samples, dtype=np.float64)
    if samples.shape[0] == 0:
        nan = np.full(samples.shape[1:], np.nan)
        return (nan, nan.copy()) if nan.ndim else (float("nan"), float("nan"))
    return percentile_interval(samples, level)
