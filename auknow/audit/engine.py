"""``audit()``: score knowledge tables as expression classifiers on AU-labelled data."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

import numpy as np

from ..errors import DataError
from .classifiers import TableClassifier, table_classifier
from .data import Units
from .references import crossfit_proba, logistic_proba
from .scoring import Draws, group_counts, interval, score_weighted

METRICS = ("auc", "recall", "log_loss")


@dataclass
class ModelScores:
    """Scores of one classifier (a table or a reference) on one expression set.

    Attributes:
        name: table or reference name. role: ``table``, ``lower`` (rows deranged), ``upper``
            (fit on the data, subject-independent CV) or ``ceiling`` (noise ceiling).
        expressions: the expressions scored (the label set the classifier chooses among).
        draws: :class:`Draws` (row 0 the data, rows 1.. the bootstrap).
        scope: ``own`` (the expressions the table shares with the data) or ``common`` (the
            expressions every audited table shares with the data: the ranking's set).

    Four subjects, each with one anger unit (AU04) and one happiness unit (AU06 + AU12 + AU25),
    except that the last one's anger unit also shows AU12 and its happiness unit lacks AU06:

    >>> import numpy as np
    >>> from auknow.audit import Units, audit
    >>> from auknow.library import load_bundled
    >>> x = np.array([[1, 0, 0, 0], [0, 1, 1, 1]] * 3 + [[1, 0, 1, 0], [0, 0, 1, 1]], np.int8)
    >>> u = Units(("AU04", "AU06", "AU12", "AU25"), x, subject=np.repeat(np.arange(4), 2),
    ...           label=np.tile([0, 1], 4), subjects=("s1", "s2", "s3", "s4"), expressions=("anger", "happiness"))
    >>> r = audit([load_bundled("fig2002"), load_bundled("ekman_emfacs")], u, n_boot=20, references=False)
    >>> s = r.get("fig2002")
    >>> s.role, s.scope, s.expressions, s.draws.auc.shape  # [1 + n_boot, E]
    ('table', 'common', ('anger', 'happiness'), (21, 2))
    >>> [(m.name, m.role) for m in r.scores if m.scope == "common"]
    [('fig2002', 'table'), ('fig2002', 'lower'), ('ekman_emfacs', 'table'), ('ekman_emfacs', 'lower')]
    """

    name: str
    role: str
    scope: str
    expressions: tuple[str, ...]
    draws: Draws


@dataclass
class AuditResult:
    """Everything :func:`audit` measured.

    Attributes:
        units: the scored data. classifiers: table name -> :class:`TableClassifier`.
        common: the expressions of the ranking. scores: every :class:`ModelScores`.
        unscored: table name -> why it was not scored. left_out: data expressions no table has.
        p_au: ``(point [E, A], low, high)`` the data's P(AU | e) over ``units.expressions`` with
            bootstrap intervals; diff_low: lower bound of P(a | e) - P(a | not e).
        settings: n_boot, ci, seed, beta, folds, excluded subjects and the other choices.

    :meth:`get` raises ``KeyError`` for a model / scope it did not score.

    >>> import numpy as np
    >>> from auknow.audit import Units, audit
    >>> from auknow.library import load_bundled
    >>> x = np.array([[1, 0, 0, 0], [0, 1, 1, 1]] * 3 + [[1, 0, 1, 0], [0, 0, 1, 1]], np.int8)
    >>> u = Units(("AU04", "AU06", "AU12", "AU25"), x, subject=np.repeat(np.arange(4), 2),
    ...           label=np.tile([0, 1], 4), subjects=("s1", "s2", "s3", "s4"), expressions=("anger", "happiness"))
    >>> r = audit([load_bundled("fig2002"), load_bundled("ekman_emfacs")], u, n_boot=20, references=False)
    >>> [s.name for s in r.ranking()], r.common
    (['ekman_emfacs', 'fig2002'], ('anger', 'happiness'))
    >>> auc = r.get("fig2002").draws.macro_auc  # one anger unit also smiles: not quite separable
    >>> [round(float(v), 3) for v in (auc[0], *r.ci(auc))]
    [0.969, 0.719, 1.0]
    >>> r.p_au[0].round(2).tolist()  # the data's P(AU | e), rows anger, happiness
    [[1.0, 0.0, 0.25, 0.0], [0.0, 0.75, 1.0, 1.0]]
    """

    units: Units
    classifiers: dict[str, TableClassifier]
    common: tuple[str, ...]
    scores: list[ModelScores]
    unscored: dict[str, str]
    left_out: dict[str, str]
    p_au: tuple[np.ndarray, np.ndarray, np.ndarray]
    diff_low: np.ndarray
    settings: dict = field(default_factory=dict)

    def get(self, name: str, scope: str = "common") -> ModelScores:
        """The scores of one model on one scope."""
        for s in self.scores:
            if s.name == name and s.scope == scope:
                return s
        raise KeyError(f"no scores for {name} ({scope})")

    def ranking(self) -> list[ModelScores]:
        """Tables on the common expressions, best macro ROC-AUC first."""
        rows = [s for s in self.scores if s.role == "table" and s.scope == "common"]
        return sorted(rows, key=lambda s: -s.draws.macro_auc[0])

    def ci(self, samples: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Bootstrap interval of draws ``[1 + B, ...]`` at the audit's level."""
        return interval(samples[1:], self.settings["ci"])


def _label_index(units: Units, expressions: Sequence[str]) -> np.ndarray:
    pos = {e: i for i, e in enumerate(expressions)}
    lut = np.array([pos.get(e, -1) for e in units.expressions], dtype=np.int64)
    return lut[units.label]


def _p_au(units: Units, weights: np.ndarray, ci: float):
    P, inv = units.patterns()
    E = len(units.expressions)
    x1 = (P == 1).astype(float)
    k = (P >= 0).astype(float)
    step = max(1, int(2e7 // max(1, P.shape[0] * E)))
    ps, diffs = [], []
    for b0 in range(0, weights.shape[0], step):
        c = group_counts(weights[b0:b0 + step], units.subject, inv, units.label, P.shape[0], E)
        K = np.einsum("bue,ua->bea", c, x1)
        N = np.einsum("bue,ua->bea", c, k)
        with np.errstate(invalid="ignore", divide="ignore"):
            p = K / N
            diffs.append(p - (K.sum(1, keepdims=True) - K) / (N.sum(1, keepdims=True) - N))
        ps.append(p)
    p, diff = np.concatenate(ps), np.concatenate(diffs)
    lo, hi = interval(p[1:], ci)
    dlo, _ = interval(diff[1:], ci)
    return (p[0], lo, hi), dlo


def _score_tables(units, classifiers, weights, common, P, inv):
    scores = []
    for name, clf in classifiers.items():
        drawn = {}
        for scope, exprs in (("common", tuple(common)), ("own", tuple(clf.expressions))):
            if exprs not in drawn:
                drawn[exprs] = score_weighted(clf.predict_proba(P, exprs), weights, units.subject, inv,
                                              _label_index(units, exprs), cross=scope == "common")
            scores.append(ModelScores(name, "table", scope, exprs, drawn[exprs]))
        scores.append(ModelScores(name, "lower", "common", tuple(common), drawn[tuple(common)].deranged()))
    return scores


def _per_unit_draws(proba: np.ndarray, units: Units, lab: np.ndarray, weights: np.ndarray) -> Draws:
    # units with the same output form one group (same pattern in the same fold): fewer columns
    rows, inv = np.unique(proba, axis=0, return_inverse=True)
    return score_weighted(rows, weights, units.subject, inv.reshape(-1), lab, cross=False)


def _score_references(units, weights, common, P, inv, folds, seed):
    out = []
    lab = _label_index(units, common)
    keep = lab >= 0
    ceiling = score_weighted(None, weights, units.subject, inv, lab, n_labels=len(common))
    out.append(ModelScores("noise ceiling", "ceiling", "common", tuple(common), ceiling))
    x, subj = units.occurrence[keep], units.subject[keep]
    nb = np.zeros((len(units), len(common)))
    nb[keep] = crossfit_proba(x, lab[keep], subj, len(common), folds)
    out.append(ModelScores("data P(AU|e), cross-fitted", "upper", "common", tuple(common),
                           _per_unit_draws(nb, units, lab, weights)))
    lr = logistic_proba(x, lab[keep], subj, len(common), folds, seed)
    if lr is not None:
        full = np.zeros((len(units), len(common)))
        full[keep] = lr
        out.append(ModelScores("logistic regression (CV)", "upper", "common", tuple(common),
                               _per_unit_draws(full, units, lab, weights)))
    return out


def audit(tables: Sequence, units: Units, *, n_boot: int = 1000, ci: float = 0.95, seed: int = 0,
          beta: float = 1.0, folds: int = 10, references: bool = True) -> AuditResult:
    """Score each knowledge table as a classifier of expression from the AU vector (no training).

    Args:
        tables: prototype / quantified tables (e.g. :func:`auknow.library.load_bundled`).
        units: the data (:func:`auknow.audit.data.units_from_frames`), already restricted to
            the subjects to score on (see ``auknow audit --fold``).
        n_boot: subject-level bootstrap draws (>= 0; 0 gives no intervals).
        ci: interval level in (0, 1). seed: random seed (same seed, same numbers).
        beta: softmax inverse temperature of prototype tables (Snoek et al. 2023: 1). It changes
            the log-loss of prototype tables, not their ROC-AUC ranks' ties or recall.
        folds: subject-independent folds of the upper references (at most the number of subjects).
        references: also score the upper references and the noise ceiling.

    Returns:
        :class:`AuditResult`.

    Raises:
        DataError: bad options, fewer than 2 subjects, no table sharing 2 expressions with the data.

    >>> from auknow.library import load_bundled
    >>> from auknow.readers import read_ckplus, bundled_ckplus_path
    >>> from auknow.audit.data import units_from_frames
    >>> u = units_from_frames(read_ckplus(bundled_ckplus_path()))
    >>> r = audit([load_bundled("fig2002")], u, n_boot=20, references=False)
    >>> r.common, round(float(r.get("fig2002").draws.macro_auc[0]), 3) > 0.8
    (('anger', 'disgust', 'fear', 'happiness', 'sadness', 'surprise'), True)
    """
    if n_boot < 0:
        raise DataError(f"n_boot={n_boot}: must be >= 0")
    if not 0 < ci < 1:
        raise DataError(f"confidence level {ci} is outside (0, 1)")
    if not beta > 0:
        raise DataError(f"beta={beta}: must be > 0")
    if len(units.subjects) < 2:
        raise DataError(f"only {len(units.subjects)} subject(s) to score on: the subject-level bootstrap needs 2")
    folds = min(int(folds), len(units.subjects))
    if folds < 2:
        raise DataError(f"folds={folds}: the cross-fitted references need >= 2 folds")
    classifiers, unscored = {}, {}
    for t in tables:
        clf = table_classifier(t, units.aus, units.expressions, beta=beta)
        if len(clf.expressions) < 2:
            unscored[t.name] = (f"shares {len(clf.expressions)} expression(s) with the data "
                                f"({', '.join(clf.expressions) or 'none'}); 2 are needed")
            continue
        classifiers[t.name] = clf
    if not classifiers:
        raise DataError("no table shares 2 or more expressions with the data: "
                        + "; ".join(f"{k} {v}" for k, v in unscored.items()))
    common = tuple(e for e in units.expressions if all(e in c.expressions for c in classifiers.values()))
    if len(common) < 2:
        raise DataError("the tables share fewer than 2 expressions with the data and each other ("
                        + ", ".join(common) + "); audit them separately")
    covered = {e for c in classifiers.values() for e in c.expressions}
    left_out = {e: "no audited table has it" for e in units.expressions if e not in covered}
    rng = np.random.default_rng(seed)
    from ..estimate.statistics import bootstrap_weights

    S = len(units.subjects)
    weights = np.vstack([np.ones((1, S)), bootstrap_weights(rng, S, n_boot)])
    P, inv = units.patterns()
    scores = _score_tables(units, classifiers, weights, common, P, inv)
    if references:
        scores += _score_references(units, weights, common, P, inv, folds, seed)
    p_au, diff_low = _p_au(units, weights, ci)
    settings = {"n_boot": n_boot, "ci": ci, "seed": seed, "beta": beta, "cv_folds": folds, "unit": units.unit,
                "n_units": len(units), "n_subjects": S}
    return AuditResult(units=units, classifiers=classifiers, common=common, scores=scores, unscored=unscored,
                       left_out=left_out, p_au=p_au, diff_low=diff_low, settings=settings)
