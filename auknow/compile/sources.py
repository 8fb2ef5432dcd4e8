"""Per-source base matrices: one table to ``binary``, ``quantified`` or ``signed`` values
(:func:`table_matrix`, :func:`configuration_vector`)."""

from __future__ import annotations

import math
import warnings
from typing import Sequence

import numpy as np

from ..facs import are_exclusive, au_name, au_number, exclusive_pairs
from ..significance import RULE, risk_difference
from ..significance import significance as significance_of
from ..tables.expand import ALTERNATIVE_READINGS, DEFAULT_ALTERNATIVES, alternative_shares
from ..tables.model import PrototypeTable, QuantifiedTable, Table
from ._common import (BASES, CONFIGURATION_RULES, RESCALE_METHODS, SIGNED_STATISTICS, CompileError, check_choice,
                      citation_short)
from .intensity import CodeWeights, by_au
from .prior_matrix import PriorMatrix

#: Statistics that are rates P(AU | e) up to a positive per-AU factor: their direction is read
#: against the pooled rate of the other expressions (:func:`auknow.significance.risk_difference`).
RATE_STATISTICS = ("p_au_given_expression", "p_expression_given_au")


def _source_info(table: Table, weight: float = 1.0) -> dict:
    info = {"table": table.name, "kind": table.kind, "title": table.title,
            "provenance": table.provenance.kind, "citation": citation_short(table), "weight": float(weight)}
    if isinstance(table, QuantifiedTable):
        info["statistic"] = table.statistic.name
        info["table_scale"] = table.scale
    return info


def configuration_vector(config, aus: Sequence[str], *, signed: bool = False, optional_value: float = 0.5,
                         alternative_value: float | None = None, negative_value: float = 1.0,
                         alternatives: str = DEFAULT_ALTERNATIVES, code_weights: CodeWeights | None = None) -> np.ndarray:
    """Values ``[A]`` of one configuration (FACS code lists of a prototype table).

    ``v[a] = 1`` if ``a`` is required, ``optional_value`` if optional, ``alternative_value``
    if one of the alternatives, else 0; the largest applies when an AU is listed twice. The
    default ``alternative_value`` is the chance a given alternative joins under the reading
    ``alternatives`` (:func:`auknow.tables.expand.alternative_shares`): ``"one"`` (default,
    exactly one joins) ``1/k`` for k alternatives; ``"subsets"`` (every FACS-compatible
    non-empty subset joins, the ``facs`` R package's reading) the share of those subsets that
    hold it (25, 26, 27 -> 3/5, 2/5, 2/5). Signed:
    an AU not in the configuration that FACS 2002 forbids together with one of its required AUs
    (:func:`auknow.facs.are_exclusive`) gets ``-negative_value``. Intensity and laterality are
    ignored (``L12A`` counts as AU12) unless ``code_weights`` (:class:`~auknow.compile.intensity.CodeWeights`)
    says otherwise: then each value is multiplied by the AU's code weight in that role.

    >>> from auknow.facs import parse_facs
    >>> from auknow.tables.model import Configuration
    >>> c = Configuration(parse_facs("1+2+5B"), parse_facs("25"), parse_facs("26+27", check_exclusive=False))
    >>> configuration_vector(c, ["AU01", "AU05", "AU25", "AU26", "AU27", "AU12"]).tolist()
    [1.0, 1.0, 0.5, 0.5, 0.5, 0.0]
    """
    v = np.zeros(len(aus))
    pos = {a: i for i, a in enumerate(aus)}
    shares = alternative_shares(config, alternatives)
    cw = code_weights or CodeWeights()
    roles = ((config.required, lambda n: 1.0), (config.optional, lambda n: float(optional_value)),
             (config.alternatives, lambda n: shares[n] if alternative_value is None else float(alternative_value)))
    for items, role_value in roles:
        for number, codes in by_au(items).items():
            name = au_name(number)
            if name in pos:
                v[pos[name]] = max(v[pos[name]], role_value(number) * cw.au_weight(codes))
    if signed:
        mentioned = {it.number for it in (*config.required, *config.optional, *config.alternatives)}
        required = {it.number for it in config.required}
        for a, i in pos.items():
            n = au_number(a)
            if n not in mentioned and any(are_exclusive(n, r) for r in required):
                v[i] = -float(negative_value)
    return v


def _prototype_matrix(table: PrototypeTable, base: str, *, optional_value, alternative_value, configurations,
                      negative_value, alternatives=DEFAULT_ALTERNATIVES, code_weights=None) -> PriorMatrix:
    numbers = set()
    for configs in table.expressions.values():
        for c in configs:
            numbers.update(it.number for it in (*c.required, *c.optional, *c.alternatives))
    if base == "signed":
        required = {it.number for cs in table.expressions.values() for c in cs for it in c.required}
        for pair in exclusive_pairs():
            a, b = tuple(pair)
            if a in required:
                numbers.add(b)
            if b in required:
                numbers.add(a)
    aus = tuple(au_name(n) for n in sorted(numbers))
    exprs = tuple(table.expressions)
    vals = np.zeros((len(exprs), len(aus)))
    for i, e in enumerate(exprs):
        configs = table.expressions[e]
        if not configs:
            vals[i] = np.nan
            continue
        if configurations == "first":
            configs = configs[:1]
        vecs = np.stack([configuration_vector(c, aus, signed=base == "signed", optional_value=optional_value,
                                              alternative_value=alternative_value, negative_value=negative_value,
                                              alternatives=alternatives, code_weights=code_weights)
                         for c in configs])
        vals[i] = vecs.max(0) if configurations in ("max", "first") else vecs.mean(0)
    info = _source_info(table)
    info.update({"configurations": configurations, "optional_value": float(optional_value),
                 "alternative_value": ({"one": "1/k", "subsets": "subset share"}[alternatives]
                                       if alternative_value is None else float(alternative_value)),
                 "alternatives": alternatives})
    if code_weights is not None:
        info.update(code_weights.record())
    if base == "signed":
        info["negative_value"] = float(negative_value)
    return PriorMatrix(values=vals, expressions=exprs, aus=aus, mode=base, sources=[info], closed_aus=True)


def _scale_factor(table: QuantifiedTable, scale) -> float:
    if scale is None or scale == "none":
        return 1.0
    if scale == "table":
        return 1.0 if table.scale is None else float(table.scale)
    try:
        f = float(scale)
    except (TypeError, ValueError):
        raise CompileError(f"scale: '{scale}' is not a number, 'table' or None") from None
    if not math.isfinite(f):
        raise CompileError(f"scale: {scale} is not finite")
    return f


def _reference(table: QuantifiedTable, raw: np.ndarray, n: np.ndarray, signed_stat: bool) -> tuple[np.ndarray, str]:
    """What each cell is compared with for the direction of its association
    (:mod:`auknow.significance`: P(AU | e) vs P(AU | not e)), and that reading in words."""
    name = table.statistic.name
    if signed_stat:
        return np.zeros_like(raw), f"sign of {name}"
    if name == "lift":
        return np.ones_like(raw), "lift vs 1"
    if name in RATE_STATISTICS and np.isfinite(n[np.isfinite(raw)]).all():
        return raw - risk_difference(raw, n), "pooled rate of the other expressions (from value and n)"
    why = "has no unit count n for every value" if name in RATE_STATISTICS else f"has statistic '{name}'"
    warnings.warn(f"table '{table.name}' has q-values but {why}, so P(AU | not e) is unknown: the direction of "
                  "an association is read against the AU's mean over expressions instead", UserWarning, stacklevel=4)
    with np.errstate(all="ignore"):
        col_mean = np.nanmean(raw, axis=0) if raw.shape[0] else np.zeros(raw.shape[1])
    return np.broadcast_to(col_mean, raw.shape), "mean over expressions (fallback: P(AU | not e) unknown)"


def _quantified_matrix(table: QuantifiedTable, base: str, *, threshold, scale, rescale, alpha) -> PriorMatrix:
    exprs = tuple(table.weights)
    aus = tuple(table.aus())
    raw, q, lo, hi, n = _weight_arrays(table, exprs, aus)
    stat = table.statistic
    signed_stat = stat.name in SIGNED_STATISTICS or stat.range[0] < 0
    has_q = bool(np.isfinite(q).any())
    significance = reference = None
    info = _source_info(table)
    if has_q:
        reference, info["direction"] = _reference(table, raw, n, signed_stat)
        info["alpha"] = float(alpha)
        info["significance_rule"] = RULE
        significance = significance_of(q, raw - reference, alpha)
    if base == "binary":
        if threshold is None:
            raise CompileError(f"table '{table.name}' is quantified ({stat.name}); binary mode needs a threshold "
                               "(threshold=...): value >= threshold -> 1, else 0")
        vals = np.where(np.isnan(raw), np.nan, (raw >= float(threshold)).astype(float))
        info["threshold"] = float(threshold)
        return PriorMatrix(values=vals, expressions=exprs, aus=aus, mode=base, sources=[info],
                           q_values=q if has_q else None, significance=significance)
    vals = raw.copy()
    ci_lo, ci_hi = lo.copy(), hi.copy()
    if base == "signed":
        if signed_stat:
            info["signed_rule"] = f"{stat.name} keeps its sign"
        elif has_q:
            neg = significance == -1
            vals = np.where(neg, raw - reference, raw)
            ci_lo = np.where(neg, np.nan, ci_lo)
            ci_hi = np.where(neg, np.nan, ci_hi)
            info["signed_rule"] = (f"value - reference ({info['direction']}) where q < {alpha:g} and value "
                                   "below the reference")
        else:
            info["signed_rule"] = "none: no q-values and a non-negative statistic (values kept)"
    if rescale is not None:
        vals, ci_lo, ci_hi = _rescaled(table, base, rescale, vals, ci_lo, ci_hi)
        info["rescale"] = rescale
    f = _scale_factor(table, scale)
    info["scale"] = f
    vals, ci_lo, ci_hi = vals * f, ci_lo * f, ci_hi * f
    if f < 0:
        ci_lo, ci_hi = ci_hi, ci_lo
    ci = (ci_lo, ci_hi) if np.isfinite(ci_lo).any() else None
    return PriorMatrix(values=vals, expressions=exprs, aus=aus, mode=base, sources=[info],
                       q_values=q if has_q else None, significance=significance, ci=ci)


def _weight_arrays(table: QuantifiedTable, exprs: tuple[str, ...], aus: tuple[str, ...]):
    """``(value, q, ci_low, ci_high, n)``, each ``[E, A]`` float, NaN where the table gives none."""
    E, A = len(exprs), len(aus)
    raw = np.full((E, A), np.nan)
    q = np.full((E, A), np.nan)
    lo = np.full((E, A), np.nan)
    hi = np.full((E, A), np.nan)
    n = np.full((E, A), np.nan)
    for i, e in enumerate(exprs):
        for j, a in enumerate(aus):
            w = table.weights[e].get(a)
            if w is None:
                continue
            raw[i, j] = w.value
            if w.q_value is not None:
                q[i, j] = w.q_value
            if w.n is not None:
                n[i, j] = w.n
            if w.ci is not None:
                lo[i, j], hi[i, j] = w.ci
    return raw, q, lo, hi, n


def _rescaled(table: QuantifiedTable, base: str, rescale: str, vals, ci_lo, ci_hi):
    """``(vals, ci_lo, ci_hi)`` rescaled by ``rescale``: ``"range"`` maps the statistic's declared range
    to [0, 1]; ``"max"`` divides by the largest ``|value|`` (nothing when all are 0 or NaN)."""
    check_choice("rescale", rescale, RESCALE_METHODS)
    stat = table.statistic
    if rescale == "range":
        low, high = stat.range
        if not (math.isfinite(low) and math.isfinite(high)) or high <= low:
            raise CompileError(f"table '{table.name}': rescale 'range' needs a finite statistic range, "
                               f"{stat.name} has {list(stat.range)} (use rescale='max')")
        if base == "signed" and low < 0:
            raise CompileError(f"table '{table.name}': rescale 'range' would remove the sign of {stat.name}; "
                               "use rescale='max' in signed mode")
        return tuple((x - low) / (high - low) for x in (vals, ci_lo, ci_hi))
    m = np.nanmax(np.abs(vals)) if np.isfinite(vals).any() else 0.0
    if m > 0:
        vals, ci_lo, ci_hi = vals / m, ci_lo / m, ci_hi / m
    return vals, ci_lo, ci_hi


def table_matrix(table, base: str = "quantified", *, optional_value: float = 0.5,
                 alternative_value: float | None = None, configurations: str = "max", negative_value: float = 1.0,
                 threshold: float | None = None, scale=None, rescale: str | None = None,
                 alpha: float = 0.05, alternatives: str = DEFAULT_ALTERNATIVES,
                 code_weights: CodeWeights | None = None) -> PriorMatrix:
    """One table's base matrix ``[E_s, A_s]`` (rows: the table's expressions in table order;
    columns: its AUs in FACS order). Undefined cells (an AU a quantified table gives for some
    expressions but not this one) are NaN.

    Args:
        table: a prototype or quantified table (or a path / bundled name).
        base: ``"binary"``, ``"quantified"`` or ``"signed"``.
        optional_value, alternative_value, configurations, negative_value: prototype tables;
            see :func:`configuration_vector`. ``alternatives``: ``"one"`` (default) or
            ``"subsets"``, the reading of a configuration's alternatives
            (:mod:`auknow.tables.expand`). ``configurations``: ``"max"`` (default; an AU counts
            as much as in the configuration where it counts most; signed: negative only if every
            configuration excludes it), ``"mean"`` (average over configurations), ``"first"``
            (the first configuration, usually the prototype).
        threshold: quantified tables in binary mode: ``value >= threshold -> 1``, else 0 (required).
        scale: quantified tables: ``None`` (stored values), ``"table"`` (times the table's
            ``scale``, e.g. 5 for AU-DFER; 1 if it has none) or a number.
        rescale: quantified tables, applied before ``scale``: ``"range"`` maps the statistic's
            declared range ``[lo, hi]`` to ``[0, 1]``; ``"max"`` divides by the largest ``|value|``.
        alpha: FDR level in (0, 1) of tables with q-values (estimated tables): a cell is
            significantly above (+1 in ``significance``) when ``q < alpha`` and the AU is more
            frequent in the expression than in the others, below (-1) when less frequent, by the
            one rule of :mod:`auknow.significance`. The direction: the sign of a signed statistic
            (``log_odds_ratio``, ``phi``); ``lift`` vs 1; a rate (``p_au_given_expression``,
            ``p_expression_given_au``) vs the pooled rate of the other expressions, from the
            values and their unit counts ``n`` (estimate-prior writes both). A table with
            q-values but neither (no ``n``, another statistic) is read against the AU's mean over
            expressions, with a ``UserWarning``; ``info["direction"]`` in the sources says which.
        code_weights: prototype tables: what intensity letters and laterality prefixes count for
            (:class:`~auknow.compile.intensity.CodeWeights`; default: ignored). Quantified tables
            have no FACS codes: a non-default value raises.

    Returns:
        A per-source :class:`PriorMatrix` whose mode is ``base``. For prototype tables, quantified
        mode equals binary mode (a prototype's weights are its configurations).

    Raises:
        CompileError: a relation / dataset table, binary mode of a quantified table without a
            threshold, or a bad option value.

    >>> from auknow.tables.model import Provenance, QuantifiedTable, Statistic, Weight
    >>> t = QuantifiedTable("est", "est", Provenance("estimated"), Statistic("p_au_given_expression", (0, 1)),
    ...                     {"anger": {"AU04": Weight(0.6, n=10, q_value=0.01)},
    ...                      "fear": {"AU04": Weight(0.1, n=30, q_value=0.01)}})
    >>> m = table_matrix(t, "signed")
    >>> m.significance.tolist(), [round(float(v), 3) for v in m.values[:, 0]]  # fear: 0.1 - 0.6
    ([[1], [-1]], [0.6, -0.5])
    """
    from ._common import resolve_table

    table = resolve_table(table)
    check_choice("base", base, BASES)
    if isinstance(alpha, (bool, str)) or not (isinstance(alpha, (int, float, np.number)) and 0.0 < float(alpha) < 1.0):
        raise CompileError(f"alpha: expected a q-value (FDR) level in (0, 1), got {alpha!r}")
    check_choice("configurations", configurations, CONFIGURATION_RULES)
    if isinstance(table, PrototypeTable):
        check_choice("alternatives", alternatives, ALTERNATIVE_READINGS)
        return _prototype_matrix(table, base, optional_value=optional_value, alternative_value=alternative_value,
                                 alternatives=alternatives,
                                 configurations=configurations, negative_value=negative_value,
                                 code_weights=code_weights)
    if isinstance(table, QuantifiedTable):
        if code_weights is not None and not code_weights.is_default:
            raise CompileError(f"table '{table.name}' is quantified: its weights are numbers, not FACS codes, so "
                               "intensity_weights / laterality cannot apply to it")
        return _quantified_matrix(table, base, threshold=threshold, scale=scale, rescale=rescale, alpha=alpha)
    raise CompileError(f"table '{table.name}' is a {table.kind} table; prior matrices come from prototype and "
                       "quantified tables (relation tables give AU graphs: au_graph)")
