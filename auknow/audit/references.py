"""Upper references of the audit: classifiers fit on the data, scored on subjects they never saw.

Both use the same subject-independent folds (subjects shuffled with the seed, split into
``folds`` nearly equal groups): each unit's probabilities come from a model fit on the other
folds' subjects only.

* :func:`crossfit_proba`: the data's own ``P(AU | e)`` (Jeffreys-smoothed ``(K + .5) / (N + 1)``)
  with the same naive-Bayes read-out as quantified tables: what a table estimated from this kind of
  data would score;
* :func:`logistic_proba`: multinomial logistic regression (scikit-learn, L2, C = 1) on the AU
  occurrence (and a not-coded indicator per AU when any is missing): a flexible classifier.
"""

from __future__ import annotations

import warnings

import numpy as np

from .classifiers import EPS, likelihood_logits, softmax


def subject_folds(n_subjects: int, folds: int, seed: int) -> np.ndarray:
    """``[S]`` fold of each subject (0 .. folds-1), shuffled with ``seed``; fold sizes differ by
    at most one, and the same seed gives the same folds.

    >>> f = subject_folds(5, 2, seed=0)
    >>> f.tolist(), np.bincount(f).tolist()
    ([0, 0, 1, 0, 1], [3, 2])
    """
    rng = np.random.default_rng([seed, 7])
    order = rng.permutation(n_subjects)
    fold = np.empty(n_subjects, dtype=np.int64)
    fold[order] = np.arange(n_subjects) % folds
    return fold


def crossfit_proba(x: np.ndarray, label: np.ndarray, subject: np.ndarray, n_labels: int, folds: int,
                   seed: int = 0) -> np.ndarray:
    """Out-of-fold naive-Bayes probabilities ``[N, n_labels]`` from the data's own P(AU | e).

    Args:
        x: ``[N, A]`` 1 / 0 / -1 occurrence. label: ``[N]`` in ``0..n_labels-1``.
        subject: ``[N]`` subject index. folds: number of subject-independent folds.
        seed: shuffles the subjects into folds (:func:`subject_folds`).

    Returns:
        ``[N, n_labels]`` in (0, 1), rows sum to 1; each unit's row from the other folds' subjects.

    >>> x = np.array([[1, 0], [0, 1]] * 3)  # AU04 in anger units, AU12 in happiness ones
    >>> label, subject = np.array([0, 1] * 3), np.array([0, 0, 1, 1, 2, 2])
    >>> # P(AU04 | anger) from 2 subjects: (2 + .5) / (2 + 1); the likelihood ratio is 5 ** 2
    >>> crossfit_proba(x, label, subject, n_labels=2, folds=3)[:2].round(3).tolist()
    [[0.962, 0.038], [0.038, 0.962]]
    """
    fold_of = subject_folds(int(subject.max()) + 1, folds, seed)[subject]
    out = np.zeros((x.shape[0], n_labels))
    x1, k = (x == 1).astype(float), (x >= 0).astype(float)
    for f in range(folds):
        test, train = fold_of == f, fold_of != f
        if not test.any():
            continue
        onehot = np.eye(n_labels)[label[train]]
        K, N = onehot.T @ x1[train], onehot.T @ k[train]
        M = np.clip((K + 0.5) / (N + 1.0), EPS, 1 - EPS)
        out[test] = softmax(likelihood_logits(x[test], np.log(M), np.log1p(-M)))
    return out


def logistic_proba(x: np.ndarray, label: np.ndarray, subject: np.ndarray, n_labels: int, folds: int,
                   seed: int = 0) -> np.ndarray | None:
    """Out-of-fold multinomial logistic-regression probabilities ``[N, n_labels]``, or None
    (with a warning) when scikit-learn is not installed (``pip install auknow[audit]``).

    Arguments as :func:`crossfit_proba`; the features are the AU occurrence, plus a not-coded
    indicator per AU when any ``x`` is -1. A training fold with one label predicts that label.

    >>> x = np.array([[1, 0], [0, 1]] * 3)
    >>> label, subject = np.array([0, 1] * 3), np.array([0, 0, 1, 1, 2, 2])
    >>> # right on every held-out unit, less sure than naive Bayes (L2 penalty, 4 training units)
    >>> logistic_proba(x, label, subject, n_labels=2, folds=3)[:2].round(2).tolist()
    [[0.66, 0.34], [0.34, 0.66]]
    """
    try:
        from sklearn.linear_model import LogisticRegression
    except ImportError:  # pragma: no cover - scikit-learn is in the test extra
        warnings.warn("scikit-learn is not installed: the logistic-regression reference is left out "
                      "(pip install 'auknow[audit]')", stacklevel=2)
        return None
    feats = (x == 1).astype(float)
    if (x < 0).any():
        feats = np.hstack([feats, (x < 0).astype(float)])
    fold_of = subject_folds(int(subject.max()) + 1, folds, seed)[subject]
    out = np.zeros((x.shape[0], n_labels))
    for f in range(folds):
        test, train = fold_of == f, fold_of != f
        if not test.any():
            continue
        classes = np.unique(label[train])
        if classes.size < 2:
            out[test] = np.eye(n_labels)[classes[0]] if classes.size else 1.0 / n_labels
            continue
        model = LogisticRegression(C=1.0, max_iter=2000)
        model.fit(feats[train], label[train])
        p = np.full((int(test.sum()), n_labels), 0.0)
        p[:, model.classes_] = model.predict_proba(feats[test])
        out[test] = p
    return out
