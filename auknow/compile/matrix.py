r"""Prior matrices ``[E, A]``: knowledge tables compiled to expression x AU weights.

:func:`compile_matrix` is the entry point. It runs four documented steps (formulas in
``docs/compile.md``):

1. **per source** (:func:`table_matrix`): each table becomes base values ``X_s [E_s, A_s]``,
   ``binary``, ``quantified`` or ``signed``; undefined cells are NaN;
2. **consensus** (:func:`combine`): the sources are aligned to the target label space and merged
   by a weighted mean or a weighted vote, each source's gaps handled by its ``missing`` policy;
3. **transform**: ``row_normalized``, ``column_normalized`` or ``softmax`` act on the consensus;
4. **fill**: cells no source covers (an expression such as ``neutral`` that no table lists) get
   the ``fill`` policy (:meth:`PriorMatrix.reindex` uses the same policies).

A :class:`PriorMatrix` always carries its row (expression) and column (AU) labels and the
per-source provenance, so no bare array whose order must be remembered leaves this module.

The steps live in their own modules: :mod:`~auknow.compile.prior_matrix` (the container and its
file formats), :mod:`~auknow.compile.sources` (step 1), :mod:`~auknow.compile.consensus`
(step 2), :mod:`~auknow.compile.transforms` (step 3), :mod:`~auknow.compile.fill` (step 4).
"""

from __future__ import annotations

from typing import Mapping

from ..tables.expand import DEFAULT_ALTERNATIVES
from ._common import MODES, Fill, check_choice, resolve_expressions, resolve_tables
from .consensus import combine_matrices
from .fill import fill_record, fill_uncovered
from .intensity import applicable_code_weights, code_weights, warn_if_unchanged
from .prior_matrix import PriorMatrix
from .sources import table_matrix
from .transforms import normalize_columns, normalize_rows, require_non_negative, softmax_rows

# --- the entry point -----------------------------------------------------------------------------

def compile_matrix(tables, mode: str = "binary", expressions=None, aus=None, *, weights=None,
                   combine: str = "mean", missing="error", fill: Fill | Mapping[str, Fill] = "error",
                   base: str = "quantified", optional_value: float = 0.5, alternative_value: float | None = None,
                   configurations: str = "max", negative_value: float = 1.0, threshold: float | None = None,
                   scale=None, rescale: str | None = None, temperature: float = 1.0, alpha: float = 0.05,
                   vote_threshold: float = 0.0, alternatives: str = DEFAULT_ALTERNATIVES, intensity_weights=None,
                   laterality: str = "collapse", unilateral_weight: float | None = None) -> PriorMatrix:
    r"""Compile knowledge tables into an expression x AU prior matrix ``[E, A]``.

    Modes (formulas in ``docs/compile.md``):

    * ``binary``: prototype tables: required 1, optional ``optional_value`` (0.5), one of ``k``
      alternatives ``alternative_value`` (``1/k``; under ``alternatives="subsets"`` the share of
      the FACS-compatible subsets of alternatives that hold the AU), absent 0, several configurations combined
      by ``configurations`` (max); quantified tables: ``value >= threshold``.
    * ``quantified``: quantified tables' values, optionally ``rescale``-d and times ``scale``
      (``"table"``: the table's own, e.g. AU-DFER's 5); prototype tables as binary.
    * ``row_normalized``: :math:`x_{ea}/\sum_{a'} x_{ea'}` (each expression a distribution over AUs).
    * ``column_normalized``: :math:`x_{ea}/\sum_{e'} x_{e'a}` (each AU a distribution over expressions).
    * ``softmax``: :math:`\mathrm{softmax}_a(x_{ea}/\tau)`, ``tau = temperature``.
    * ``signed``: evidence against is negative: prototype tables: AUs FACS forbids with a
      required AU get ``-negative_value``; estimated tables with q-values and a non-negative
      statistic (``p_au_given_expression``): :math:`x_{ea} - r_{ea}` where the cell is
      significantly below its reference :math:`r_{ea}` (P(AU | not e), see
      :func:`~auknow.compile.sources.table_matrix` and :mod:`auknow.significance`);
      ``log_odds_ratio`` / ``phi`` tables keep their sign.

    The normalized modes and softmax act on the consensus of the ``base`` values
    (``"quantified"`` or ``"binary"``), over the target AUs.

    Args:
        tables: a table, a path, a bundled table name, or a sequence of them.
        mode: one of :data:`MODES`.
        expressions: row order: names (aliases resolved), a comma list or a label space
            (``"dfew"``). Default: every expression of the tables, in order of appearance.
        aus: column order: AU names, a comma list or an AU set (``"openface_c"``). Default:
            every AU of the tables, FACS order.
        weights, combine, missing, vote_threshold: consensus of several tables, see :func:`combine_matrices`.
        fill: cells no table gives (e.g. ``neutral``): ``"error"`` (default), ``"zero"``,
            ``"uniform"`` (``1/A``), ``"mean"`` (the AU's mean over the other rows), ``"nan"``,
            a row of A values / mapping AU -> value, or a mapping expression -> policy. Applied
            after the transform, so a filled row is exactly what was asked for.
        optional_value, alternative_value, configurations, negative_value, threshold, scale,
        rescale, alpha: per-source options, see :func:`table_matrix`.
        alternatives: how prototype tables' alternatives are read: ``"one"`` (default: exactly
            one joins) or ``"subsets"`` (every FACS-compatible non-empty subset joins, as the
            ``facs`` R package expands them); see :mod:`auknow.tables.expand`.
        temperature: softmax temperature ``tau > 0``.
        intensity_weights, laterality, unilateral_weight: what prototype tables' intensity
            letters (``5B``, ``12CD``) and one-sided codes (``U20``, ``L12``) count for, in every
            mode built on prototype values (:class:`~auknow.compile.intensity.CodeWeights`).
            Defaults (``None``, ``"collapse"``): ignored, ``L12A`` counts as AU12, as before.
            ``"linear"`` weighs A..E as 0.2..1.0; ``laterality="weighted"`` counts one side
            ``unilateral_weight`` (0.5) times. Raises where no table has a code the option acts
            on; warns (:class:`~auknow.compile.intensity.CodeWeightWarning`) for each table it
            leaves unchanged.

    Returns:
        :class:`PriorMatrix` ``[E, A]`` float64 with labels and per-source provenance; use
        ``.tensor(device, dtype)`` for torch.

    Raises:
        CompileError: unknown mode / label / option, a table that lacks cells under policy
            ``"error"``, a cell no table gives under fill ``"error"``.

    >>> m = compile_matrix("fig2002", "binary")      # a bundled prototype table
    >>> m.expressions
    ('surprise', 'fear', 'happiness', 'sadness', 'disgust', 'anger')
    >>> {a: v for a, v in m.row("happiness").items() if v}
    {'AU06': 1.0, 'AU12': 1.0}
    >>> r = compile_matrix("fig2002", "row_normalized", aus=["AU06", "AU12", "AU04"])
    >>> r.row("happiness")
    {'AU06': 0.5, 'AU12': 0.5, 'AU04': 0.0}
    """
    check_choice("mode", mode, MODES)
    if mode in ("binary", "quantified", "signed"):
        source_base = mode
    else:
        check_choice("base", base, ("binary", "quantified"))
        source_base = base
    tabs = resolve_tables(tables)
    cw = code_weights(intensity_weights, laterality, unilateral_weight)
    per_cw = applicable_code_weights(tabs, cw)
    per = [table_matrix(t, source_base, optional_value=optional_value, alternative_value=alternative_value,
                        configurations=configurations, negative_value=negative_value, threshold=threshold,
                        scale=scale, rescale=rescale, alpha=alpha, alternatives=alternatives, code_weights=w)
           for t, w in zip(tabs, per_cw)]
    warn_if_unchanged(tabs, per, per_cw, lambda t: table_matrix(
        t, source_base, optional_value=optional_value, alternative_value=alternative_value,
        configurations=configurations, negative_value=negative_value, alternatives=alternatives))
    extra = [e for t in tabs for e in getattr(t, "extra_expressions", [])] + [e for m in per for e in m.expressions]
    target_e = resolve_expressions(expressions, extra)
    cons = combine_matrices(per, weights=weights, method=combine, missing=missing, expressions=target_e,
                                aus=aus, vote_threshold=vote_threshold)
    vals = _transformed(cons.values, mode, temperature)
    uncovered = cons.support == 0
    out = fill_uncovered(vals, uncovered, cons.expressions, cons.aus, fill, what="fill")
    ci = cons.ci if mode == "quantified" else None
    settings = _mode_settings(mode, base, temperature)
    for info in cons.sources:
        info.update(settings)
    return PriorMatrix(values=out, expressions=cons.expressions, aus=cons.aus, mode=mode, sources=cons.sources,
                       support=cons.support, filled=fill_record(uncovered, cons.expressions, fill),
                       closed_aus=cons.closed_aus and mode in ("binary", "quantified", "signed"),
                       q_values=cons.q_values, significance=cons.significance, ci=ci)


def _transformed(vals, mode: str, temperature: float):
    """The consensus values ``[E, A]`` after the mode's transform (row / column normalization,
    softmax over the AUs); the base modes keep them."""
    if mode == "row_normalized":
        require_non_negative(vals, mode)
        return normalize_rows(vals)
    if mode == "column_normalized":
        require_non_negative(vals, mode)
        return normalize_columns(vals)
    if mode == "softmax":
        return softmax_rows(vals, temperature)
    return vals


def _mode_settings(mode: str, base: str, temperature: float) -> dict:
    """What each source's provenance records of the mode (its base and temperature where they apply)."""
    settings = {"mode": mode}
    if mode in ("row_normalized", "column_normalized", "softmax"):
        settings["base"] = base
    if mode == "softmax":
        settings["temperature"] = float(temperature)
    return settings
