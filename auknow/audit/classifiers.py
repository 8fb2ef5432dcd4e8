r"""Knowledge tables as expression classifiers with no training, and the audit's references.

**Prototype tables** (:func:`prototype_similarity`): the cosine similarity of the observed AU
vector ``x`` (binary) to each configuration ``z`` of an expression, the maximum over its
configurations, softmax with inverse temperature ``beta`` - the kernel classifier of Snoek et
al. (2023, Science Advances 9, eabq8421; ``KernelClassifier`` of their hypothesis-kernel-analysis
code, cosine kernel, softmax, max over configurations). Required / optional / alternatives are
honoured by taking, for each configuration, the member of its family closest to ``x``:

* every required AU is in ``z``;
* an optional AU joins ``z`` exactly when it is observed (any subset may join, and the observed
  subset maximises the cosine: adding an observed AU raises ``m / sqrt(|x| |z|)`` because
  ``m <= |z|``, adding an unobserved one lowers it);
* exactly one alternative joins: an observed one if there is one.

So with ``m = |x & R| + |x & O| + [x & Alt != {}]`` and ``|z| = |R| + |x & O| + [Alt != {}]``
(AUs the data does not code are left out of ``R``, ``O``, ``Alt``, and AUs missing in a unit out
of that unit's ``R``), ``sim = m / sqrt(|x| |z|)``, 0 when ``x`` or ``z`` is empty. Intensity and
laterality in the FACS codes are ignored (binary occurrence).

**Quantified tables** (:func:`likelihood_logits`): the read-out of
:func:`auknow.losses.implied_expression_logits` with binary AU evidence, uniform class prior, the
table read as ``M = P(AU | expression)`` clamped to ``[eps, 1 - eps]``:
``s_e = sum_a x_a log M_ea + (1 - x_a) log(1 - M_ea)`` over the AUs the table gives and the unit
codes (an AU the table does not give, or the unit does not code, is no evidence). A statistic in
``[lo, hi]`` is rescaled to ``[0, 1]`` first; an undefined cell takes the AU's mean over the
table's other expressions.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

import numpy as np

from ..errors import AuknowError
from ..facs import au_name
from ..readers.frames import MISSING
from ..tables.model import PrototypeTable, QuantifiedTable

EPS = 1e-4


def softmax(scores: np.ndarray, beta: float = 1.0) -> np.ndarray:
    """Row-wise softmax of ``beta * scores`` ``[U, E]`` (stable: the row maximum is subtracted first).

    Returns:
        ``[U, E]`` float64 in (0, 1], rows sum to 1; larger ``beta`` (> 0) sharpens it.

    >>> import numpy as np
    >>> softmax(np.array([[0.0, 0.0], [1.0, 0.0]])).round(3).tolist()
    [[0.5, 0.5], [0.731, 0.269]]
    >>> softmax(np.array([[1.0, 0.0]]), beta=2).round(3).tolist()
    [[0.881, 0.119]]
    """
    z = beta * np.asarray(scores, dtype=np.float64)
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


@dataclass
class TableClassifier:
    """One knowledge table read as a classifier of expression from the AU vector.

    Attributes:
        name: the table's name. kind: ``"prototype"`` or ``"quantified"``.
        expressions: the table's expressions the data also has (data order).
        aus: the data's AUs (columns of the occurrence the classifier takes).
        uncoded: AUs the table uses that the data does not code (left out, named in the report).
        weights: ``[len(expressions), len(aus)]`` what the table says of each AU, in [0, 1]:
            prototype: share of the expression's configurations that require it (NaN never:
            a prototype table's AU set is closed); quantified: the rescaled value (NaN where
            the table gives no value).
        mentioned: ``[E, A]`` bool, prototype tables: the AU is in some configuration (required,
            optional or alternative); quantified: the table gives a value.
        beta: softmax inverse temperature (prototype tables).

    Build one with :func:`table_classifier`.

    >>> from auknow.library import load_bundled
    >>> c = table_classifier(load_bundled("fig2002"), ("AU04", "AU06", "AU12"), ("anger", "happiness"))
    >>> c.kind, c.weights.round(2).tolist()  # happiness: 6+12 or 12 alone, so AU06 in half
    ('prototype', [[0.76, 0.0, 0.0], [0.0, 0.5, 1.0]])
    >>> x = np.array([[0, 1, 1], [1, 0, 0]])  # a smile; a brow lowerer
    >>> c.scores(x, c.expressions).round(3).tolist(), c.predict_proba(x, c.expressions).round(3).tolist()
    ([[0.0, 1.0], [1.0, 0.0]], [[0.269, 0.731], [0.731, 0.269]])
    >>> c.uncoded[:3]  # anger's AUs these data do not code
    ('AU05', 'AU07', 'AU10')
    """

    name: str
    kind: str
    expressions: tuple[str, ...]
    aus: tuple[str, ...]
    uncoded: tuple[str, ...]
    weights: np.ndarray
    mentioned: np.ndarray
    beta: float = 1.0
    _configs: dict = field(default_factory=dict, repr=False)
    _logm: np.ndarray | None = field(default=None, repr=False)
    _log1m: np.ndarray | None = field(default=None, repr=False)

    def scores(self, occurrence: np.ndarray, expressions: Sequence[str]) -> np.ndarray:
        """Similarities (prototype) or log-likelihoods (quantified) ``[U, len(expressions)]``."""
        occurrence = np.asarray(occurrence)
        cols = [self.expressions.index(e) for e in expressions]
        if self.kind == "prototype":
            return prototype_similarity(occurrence, [self._configs[self.expressions[c]] for c in cols])
        return likelihood_logits(occurrence, self._logm[cols], self._log1m[cols])

    def predict_proba(self, occurrence: np.ndarray, expressions: Sequence[str]) -> np.ndarray:
        """Expression probabilities ``[U, len(expressions)]`` (rows sum to 1) for AU vectors
        ``occurrence [U, A]`` (1 / 0 / -1 missing, columns :attr:`aus`)."""
        s = self.scores(occurrence, expressions)
        return softmax(s, self.beta if self.kind == "prototype" else 1.0)


def _index_sets(items, pos: dict[str, int]) -> np.ndarray:
    v = np.zeros(len(pos), dtype=bool)
    for it in items:
        name = au_name(it.number)
        if name in pos:
            v[pos[name]] = True
    return v


def prototype_similarity(occurrence: np.ndarray, configs: Sequence[Sequence[tuple]]) -> np.ndarray:
    """Max cosine similarity ``[U, E]`` of AU vectors to each expression's configurations.

    Args:
        occurrence: ``[U, A]`` 1 present, 0 absent, -1 not coded.
        configs: per expression, a list of ``(required, optional, alternatives)`` bool ``[A]`` masks.

    Returns:
        ``[U, E]`` in [0, 1] (formula in the module docstring).

    >>> import numpy as np
    >>> R = np.array([True, True, False]); N = np.zeros(3, bool)
    >>> prototype_similarity(np.array([[1, 1, 0], [1, 0, 1]]), [[(R, N, N)]]).round(3).ravel().tolist()
    [1.0, 0.5]
    """
    x = (occurrence == 1).astype(np.float64)
    k = (occurrence != MISSING).astype(np.float64)
    xn = x.sum(1)
    out = np.zeros((x.shape[0], len(configs)))
    for e, cs in enumerate(configs):
        best = np.zeros(x.shape[0])
        for req, opt, alt in cs:
            m = x @ req + x @ opt + (x @ alt > 0)
            zn = k @ req + x @ opt + (k @ alt > 0)
            with np.errstate(invalid="ignore", divide="ignore"):
                cos = np.where((xn > 0) & (zn > 0), m / np.sqrt(xn * zn), 0.0)
            best = np.maximum(best, cos)
        out[:, e] = best
    return out


def likelihood_logits(occurrence: np.ndarray, logm: np.ndarray, log1m: np.ndarray) -> np.ndarray:
    """Naive-Bayes log-likelihood ``[U, E]``: ``x log M + (1 - x) log(1 - M)`` over coded AUs.

    Args:
        occurrence: ``[U, A]`` 1 / 0 / -1 (missing: no evidence).
        logm, log1m: ``[E, A]`` ``log M`` and ``log(1 - M)``, 0 where the table gives no value.

    >>> import numpy as np
    >>> M = np.array([[0.9, 0.1], [0.2, 0.8]])
    >>> likelihood_logits(np.array([[1, 0]]), np.log(M), np.log1p(-M)).round(3).tolist()
    [[-0.211, -3.219]]
    """
    x1 = (occurrence == 1).astype(np.float64)
    x0 = (occurrence == 0).astype(np.float64)
    return x1 @ logm.T + x0 @ log1m.T


def _prototype(table: PrototypeTable, aus: tuple[str, ...], shared: tuple[str, ...], beta: float) -> TableClassifier:
    pos = {a: i for i, a in enumerate(aus)}
    configs, used = {}, set()
    W = np.zeros((len(shared), len(aus)))
    ment = np.zeros((len(shared), len(aus)), dtype=bool)
    for i, e in enumerate(shared):
        cs = table.expressions[e]
        masks = []
        for c in cs:
            used.update(au_name(it.number) for it in (*c.required, *c.optional, *c.alternatives))
            masks.append((_index_sets(c.required, pos).astype(float), _index_sets(c.optional, pos).astype(float),
                          _index_sets(c.alternatives, pos).astype(float)))
        configs[e] = masks
        if masks:
            W[i] = np.mean([m[0] for m in masks], axis=0)
            ment[i] = np.any([m[0] + m[1] + m[2] > 0 for m in masks], axis=0)
    uncoded = tuple(sorted(used - set(aus), key=lambda a: int(a[2:])))
    return TableClassifier(name=table.name, kind="prototype", expressions=shared, aus=aus, uncoded=uncoded,
                           weights=W, mentioned=ment, beta=beta, _configs=configs)


def quantified_probabilities(table: QuantifiedTable, aus: Sequence[str], expressions: Sequence[str]) -> np.ndarray:
    """The table read as ``P(AU | expression)`` ``[E, A]`` in [0, 1] (NaN: no value, or an AU
    the table does not give).

    Values are rescaled from the statistic's declared range ``[lo, hi]`` to ``[0, 1]``.

    Raises:
        AuknowError: the statistic's range is not finite, or is signed (``log_odds_ratio``,
            ``phi``): such a table cannot be read as a probability.

    >>> from auknow.tables.model import Provenance, QuantifiedTable, Statistic, Weight
    >>> t = QuantifiedTable(name="toy", title="toy", provenance=Provenance(kind="edited"),
    ...                     statistic=Statistic("percent", (0.0, 100.0)),
    ...                     weights={"anger": {"AU04": Weight(80.0)},
    ...                              "happiness": {"AU04": Weight(5.0), "AU12": Weight(90.0)}})
    >>> quantified_probabilities(t, ("AU04", "AU12"), ("anger", "happiness")).tolist()
    [[0.8, nan], [0.05, 0.9]]
    >>> t.statistic = Statistic("log_odds_ratio", (-np.inf, np.inf))
    >>> try:
    ...     quantified_probabilities(t, ("AU04",), ("anger",))
    ... except AuknowError as e:
    ...     print(str(e).split(";")[0])
    table 'toy': its statistic log_odds_ratio has range [-inf, inf]
    """
    lo, hi = table.statistic.range
    if not (np.isfinite(lo) and np.isfinite(hi)) or lo < 0 or hi <= lo:
        raise AuknowError(f"table '{table.name}': its statistic {table.statistic.name} has range [{lo}, {hi}]; "
                          "the audit reads a quantified table as P(AU | expression) and needs a finite, "
                          "non-negative range (estimate it with statistic='p_au_given_expression')")
    M = np.full((len(expressions), len(aus)), np.nan)
    for i, e in enumerate(expressions):
        row = table.weights.get(e, {})
        for j, a in enumerate(aus):
            if a in row:
                M[i, j] = (row[a].value - lo) / (hi - lo)
    return M


def _quantified(table: QuantifiedTable, aus: tuple[str, ...], shared: tuple[str, ...]) -> TableClassifier:
    M = quantified_probabilities(table, aus, shared)
    given = ~np.isnan(M)
    col_given = given.any(0)
    n_given = given.sum(0)
    col_mean = np.where(given, M, 0.0).sum(0) / np.maximum(n_given, 1)
    filled = np.where(given, M, np.where(col_given, col_mean, 0.5))
    m = np.clip(filled, EPS, 1 - EPS)
    logm = np.where(col_given, np.log(m), 0.0)
    log1m = np.where(col_given, np.log1p(-m), 0.0)
    uncoded = tuple(a for a in table.aus() if a not in aus)
    return TableClassifier(name=table.name, kind="quantified", expressions=shared, aus=aus, uncoded=uncoded,
                           weights=M, mentioned=given, _logm=logm, _log1m=log1m)


def table_classifier(table, aus: Sequence[str], expressions: Sequence[str], *, beta: float = 1.0) -> TableClassifier:
    """A prototype or quantified table as a classifier over the data's AUs and expressions.

    Args:
        table: :class:`PrototypeTable` or :class:`QuantifiedTable`.
        aus: the data's AU names (columns of the AU vectors it will classify).
        expressions: the data's expressions; the classifier covers those the table also has,
            in this order.
        beta: softmax inverse temperature of prototype tables (Snoek et al. 2023 use 1).

    Raises:
        AuknowError: a relation / dataset table, or a quantified statistic that is not a probability.

    >>> from auknow.library import load_bundled
    >>> c = table_classifier(load_bundled("fig2002"), ("AU06", "AU12"), ("happiness", "sadness"))
    >>> # sadness has a configuration 6+15: with AU15 not coded, AU06 alone matches it (cos 0.71)
    >>> c.expressions, c.predict_proba(np.array([[1, 1]]), c.expressions).round(3).tolist()
    (('happiness', 'sadness'), [[0.573, 0.427]])
    """
    aus = tuple(aus)
    if isinstance(table, PrototypeTable):
        shared = tuple(e for e in expressions if e in table.expressions)
        return _prototype(table, aus, shared, beta)
    if isinstance(table, QuantifiedTable):
        shared = tuple(e for e in expressions if e in table.weights)
        return _quantified(table, aus, shared)
    raise AuknowError(f"table '{table.name}' is a {table.kind} table; the audit scores prototype and quantified "
                      "tables (expression x AU knowledge)")
