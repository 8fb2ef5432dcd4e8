r"""What a prototype table's intensity letters and laterality prefixes count for in a prior matrix.

FACS code strings carry more than the AU: ``5B`` (AU5 at intensity B), ``12CD`` (C or D),
``U20`` (AU20 on one side, the side not given), ``L12`` / ``R12`` (left / right only). By
default the compiler reads every such code as its AU at full weight (``L12A`` counts as AU12),
as it always has. :class:`CodeWeights` makes another reading explicit:

* **intensity** (``intensity_weights``): a weight per letter, ``w(A) .. w(E)``. The letters are
  ordinal (FACS 2002 Manual: A trace, B slight, C marked or pronounced, D severe or extreme, E
  maximum), so any number is a modelling choice. ``"linear"`` is ``score / 5`` with the 1-5
  score of :data:`auknow.facs.INTENSITY_TO_SCORE` (the 0-5 intensity coding of DISFA, Mavadati
  et al. 2013, and of BP4D's AU_INT files): A 0.2, B 0.4, C 0.6, D 0.8, E 1. A code with two
  letters (``12CD``, "C or D") gets the mean of their weights; a code without a letter gets
  ``unspecified`` (default 1: the table says the AU is present, not how strongly).
* **laterality** (``laterality``): ``"collapse"`` (default) counts ``L12``, ``R12``, ``U12`` as
  AU12; ``"weighted"`` counts a one-sided code ``unilateral_weight`` (default 0.5, one of two
  sides) times its intensity weight, and a configuration listing both sides (``L12+R12``) the
  sum of its sides, at most 1. Under ``"collapse"`` two sides of one AU count as the larger one,
  the FACS 2002 scoring rule for an AU of different intensity on the two sides ("use the higher
  intensity", Manual ch. 10, scoring step V). ``T``/``B``/``S`` (top / bottom / both lips of
  AU22 and AU28) are positions, not sides, and always count in full.

A configuration's value for an AU is then its role value (1 required, ``optional_value``,
the alternative's share; :func:`auknow.compile.sources.configuration_vector`) times the AU's
*code weight* :math:`c(a) \in [0, 1]`:

.. math::

    c(a) = \max_k w_I(k) \ \text{(collapse)}, \qquad
    c(a) = \min\bigl(1, \textstyle\sum_k s(k)\, w_I(k)\bigr) \ \text{(weighted)},

over the codes ``k`` of AU ``a`` in that role, with :math:`w_I` the intensity weight and
:math:`s(k)` = ``unilateral_weight`` for L/R/U codes, else 1.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from typing import Callable, Iterable, Mapping

import numpy as np

from ..facs import INTENSITY_LETTERS, INTENSITY_TO_SCORE, FacsItem
from ._common import CompileError

#: Named intensity-weight presets (letter -> weight).
INTENSITY_PRESETS: dict[str, dict[str, float]] = {
    "linear": {letter: INTENSITY_TO_SCORE[letter] / 5.0 for letter in INTENSITY_LETTERS},
}
LATERALITY_RULES = ("collapse", "weighted")
#: Laterality prefixes that mean "one side of the face only".
ONE_SIDED = frozenset("LRU")
DEFAULT_UNILATERAL_WEIGHT = 0.5


class CodeWeightWarning(UserWarning):
    """An intensity or laterality option was given for a table that has no such codes: that
    table's values are unchanged. Issued by :func:`applicable_code_weights` and
    :func:`warn_if_unchanged` (so by :func:`~auknow.compile.compile_matrix`).

    >>> import warnings
    >>> from auknow.compile import compile_matrix
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     m = compile_matrix(["fig2002", "ekman_emfacs"], "binary", intensity_weights="linear")
    >>> for w in caught:
    ...     print(w.category.__name__, "|", w.message)
    CodeWeightWarning | table 'ekman_emfacs' is a table without intensity letters (A-E, e.g. 5B,
        12CD): intensity_weights leaves its values unchanged
    """


def _weight(value, key: str) -> float:
    try:
        w = float(value)
    except (TypeError, ValueError):
        raise CompileError(f"intensity_weights: {key}={value!r} is not a number") from None
    if not (math.isfinite(w) and 0.0 <= w <= 1.0):
        raise CompileError(f"intensity_weights: {key}={value!r} must lie in [0, 1]")
    return w


def _intensity_table(spec) -> tuple[dict[str, float], float] | None:
    """``None`` / a preset name / a mapping -> (letter weights, weight of a code without a letter)."""
    if spec is None:
        return None
    if isinstance(spec, str):
        if spec not in INTENSITY_PRESETS:
            raise CompileError(f"intensity_weights: '{spec}' is not one of {', '.join(INTENSITY_PRESETS)} "
                               "or a mapping A..E -> weight")
        return dict(INTENSITY_PRESETS[spec]), 1.0
    if not isinstance(spec, Mapping):
        raise CompileError(f"intensity_weights: expected a preset name or a mapping A..E -> weight, got {spec!r}")
    keys = {str(k).strip().upper() if str(k).strip().upper() in INTENSITY_LETTERS else str(k).strip(): v
            for k, v in spec.items()}
    unknown = sorted(set(keys) - set(INTENSITY_LETTERS) - {"unspecified"})
    if unknown:
        raise CompileError(f"intensity_weights: unknown key(s) {', '.join(unknown)} (expected the letters "
                           f"{', '.join(INTENSITY_LETTERS)} and optionally 'unspecified')")
    absent = [c for c in INTENSITY_LETTERS if c not in keys]
    if absent:
        raise CompileError(f"intensity_weights: no weight for letter(s) {', '.join(absent)} (give all of A-E)")
    letters = {c: _weight(keys[c], c) for c in INTENSITY_LETTERS}
    return letters, _weight(keys.get("unspecified", 1.0), "unspecified")


@dataclass(frozen=True)
class CodeWeights:
    """How intensity letters and laterality prefixes weigh an AU in a prototype configuration.

    Args:
        intensity_weights: ``None`` (default: letters ignored, every code weighs 1), ``"linear"``
            (A..E -> 0.2..1.0), or a mapping ``{"A": w, ..., "E": w}`` with every letter and
            optionally ``"unspecified"`` (a code without a letter; default 1), weights in [0, 1].
        laterality: ``"collapse"`` (default: L/R/U codes count as the AU; two sides count as the
            larger) or ``"weighted"`` (a one-sided code counts ``unilateral_weight`` times; sides
            add up to at most 1).
        unilateral_weight: weight of one side under ``"weighted"``, in [0, 1]; giving it with
            ``"collapse"`` raises (it would not apply).

    Raises:
        CompileError: an unknown preset, rule or letter, a missing letter, a weight outside [0, 1].

    >>> from auknow.facs import parse_facs
    >>> cw = CodeWeights("linear", "weighted")
    >>> round(cw.au_weight(parse_facs("12CD")), 6), cw.au_weight(parse_facs("L12E")), cw.au_weight(parse_facs("L12E+R12E"))
    (0.7, 0.5, 1.0)
    >>> CodeWeights().au_weight(parse_facs("L12A"))  # the default: the AU at full weight
    1.0
    """

    intensity_weights: object = None
    laterality: str = "collapse"
    unilateral_weight: float | None = None
    _letters: dict | None = field(default=None, init=False, repr=False, compare=False)
    _unspecified: float = field(default=1.0, init=False, repr=False, compare=False)

    def __post_init__(self):
        table = _intensity_table(self.intensity_weights)
        if table is not None:
            object.__setattr__(self, "_letters", table[0])
            object.__setattr__(self, "_unspecified", table[1])
        if self.laterality not in LATERALITY_RULES:
            raise CompileError(f"laterality: '{self.laterality}' is not one of {', '.join(LATERALITY_RULES)}")
        if self.unilateral_weight is not None:
            if self.laterality != "weighted":
                raise CompileError("unilateral_weight applies only with laterality='weighted' (under 'collapse' "
                                   "a one-sided code counts as the AU)")
            w = float(self.unilateral_weight)
            if not (math.isfinite(w) and 0.0 <= w <= 1.0):
                raise CompileError(f"unilateral_weight: {self.unilateral_weight!r} must lie in [0, 1]")

    @property
    def is_default(self) -> bool:
        """Letters and sides ignored: today's reading (``L12A`` counts as AU12 at weight 1)."""
        return self._letters is None and self.laterality == "collapse"

    @property
    def uses_intensity(self) -> bool:
        """Intensity letters are weighted (``intensity_weights`` given)."""
        return self._letters is not None

    @property
    def side_weight(self) -> float:
        """Weight of one side of the face under ``"weighted"`` (1 under ``"collapse"``)."""
        if self.laterality == "collapse":
            return 1.0
        return DEFAULT_UNILATERAL_WEIGHT if self.unilateral_weight is None else float(self.unilateral_weight)

    def intensity_weight(self, item: FacsItem) -> float:
        """``w_I`` of one code: its letter's weight (mean of two letters), ``unspecified`` without one."""
        if self._letters is None:
            return 1.0
        if not item.intensity:
            return self._unspecified
        return sum(self._letters[c] for c in item.intensity) / len(item.intensity)

    def au_weight(self, items: Iterable[FacsItem]) -> float:
        """Code weight ``c(a)`` in [0, 1] of the codes of one AU in one role of a configuration
        (one code, or ``L``/``R`` of one AU); 0 for no code."""
        items = list(items)
        if not items:
            return 0.0
        if self.laterality == "collapse":
            return max(self.intensity_weight(it) for it in items)
        s = self.side_weight
        return min(1.0, sum((s if it.laterality in ONE_SIDED else 1.0) * self.intensity_weight(it) for it in items))

    def record(self) -> dict:
        """Provenance entries (empty for the default reading, so default outputs stay as they were)."""
        out: dict = {}
        if self._letters is not None:
            out["intensity_weights"] = {**self._letters, "unspecified": self._unspecified}
        if self.laterality != "collapse":
            out["laterality"] = self.laterality
            out["unilateral_weight"] = self.side_weight
        return out


def by_au(items: Iterable[FacsItem]) -> dict[int, list[FacsItem]]:
    """Codes grouped by AU number, in order (``L12+R12`` -> ``{12: [L12, R12]}``).

    >>> from auknow.facs import parse_facs
    >>> {au: [str(c) for c in codes] for au, codes in by_au(parse_facs("L12+R12+25")).items()}
    {12: ['L12', 'R12'], 25: ['25']}
    """
    out: dict[int, list[FacsItem]] = {}
    for it in items:
        out.setdefault(it.number, []).append(it)
    return out


def table_codes(table) -> list[FacsItem]:
    """Every FACS code of a prototype table's configurations (empty for other tables).

    >>> from auknow.library import load_bundled
    >>> sorted({str(c) for c in table_codes(load_bundled("fig2002")) if c.intensity})
    ['12CD', '15B', '5B']
    >>> table_codes(load_bundled("au_dfer"))     # quantified: numbers, no FACS codes
    []
    """
    configs = getattr(table, "expressions", {})
    if getattr(table, "kind", None) != "prototype":
        return []
    return [it for cs in configs.values() for c in cs for it in (*c.required, *c.optional, *c.alternatives)]


def code_weights(intensity_weights=None, laterality: str = "collapse",
                 unilateral_weight: float | None = None) -> CodeWeights:
    """A :class:`CodeWeights` from the compiler's keyword options (see there).

    >>> code_weights().is_default, code_weights("linear").uses_intensity
    (True, True)
    >>> code_weights(laterality="weighted").side_weight      # one side of the face counts half
    0.5
    """
    if isinstance(intensity_weights, CodeWeights):
        return intensity_weights
    return CodeWeights(intensity_weights, laterality, unilateral_weight)


def applicable_code_weights(tables, cw: CodeWeights) -> list[CodeWeights | None]:
    """Per table, the code weights to compile it with: ``None`` for the default reading and for
    tables without FACS codes (quantified tables).

    Raises:
        CompileError: a non-default rule that acts on no code of any table (it would change nothing).

    Warns:
        CodeWeightWarning: for each table the rule leaves unchanged, when it changes another.

    >>> import warnings
    >>> from auknow.library import load_bundled
    >>> tables = [load_bundled("fig2002"), load_bundled("au_dfer")]   # FACS codes; numbers
    >>> applicable_code_weights(tables, code_weights())               # the default reading
    [None, None]
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     per = applicable_code_weights(tables, code_weights("linear"))
    >>> [w is not None and w.uses_intensity for w in per], [str(w.message) for w in caught]
    ([True, False], ["table 'au_dfer' is a quantified table (numbers, not FACS codes):
        intensity_weights leaves its values unchanged"])
    >>> applicable_code_weights(tables[1:], code_weights("linear"))
    Traceback (most recent call last):
    ...
    auknow.compile._common.CompileError: intensity_weights: no table has intensity letters (A-E,
        e.g. 5B, 12CD) (au_dfer); the option would change nothing
    """
    if cw.is_default:
        return [None] * len(tables)
    codes = [table_codes(t) for t in tables]
    names = ", ".join(t.name for t in tables)
    for option, what, acts in _asked(cw):
        hits = [acts(items) for items in codes]
        if not any(hits):
            raise CompileError(f"{option}: no table has {what} ({names}); the option would change nothing")
        for t, items, hit in zip(tables, codes, hits):
            if not hit:
                kind = f"a table without {what}" if items else "a quantified table (numbers, not FACS codes)"
                warnings.warn(f"table '{t.name}' is {kind}: {option} leaves its values unchanged",
                              CodeWeightWarning, stacklevel=3)
    return [cw if items else None for items in codes]


def _asked(cw: CodeWeights) -> list[tuple[str, str, Callable]]:
    """``(option, what it acts on, acts(items) -> bool)`` for each non-default code-weight option."""
    asked = []
    if cw.uses_intensity:
        asked.append(("intensity_weights", "intensity letters (A-E, e.g. 5B, 12CD)",
                      lambda items: any(it.intensity for it in items)))
    if cw.laterality != "collapse":
        asked.append(("laterality='weighted'", "one-sided codes (L, R, U, e.g. U20, L12)",
                      lambda items: any(it.laterality in ONE_SIDED for it in items)))
    return asked


def warn_if_unchanged(tables, matrices, per_cw, default_matrix) -> None:
    """Warn (:class:`CodeWeightWarning`) for each table whose compiled values the code weights
    did not change at all although it has codes they act on (e.g. ``configurations="max"``
    picks another configuration where the AU is coded without a letter: fig2002's happiness
    has ``12CD`` and ``6+12``). ``default_matrix(table)`` compiles a table the default way.

    Args:
        tables: the tables compiled; matrices: their compiled matrices (``.values``), in order;
        per_cw: :func:`applicable_code_weights` of the tables (``None``: not weighted, skipped).

    >>> import warnings
    >>> from auknow.compile.sources import table_matrix
    >>> from auknow.facs import parse_facs
    >>> from auknow.tables.model import Citation, Configuration, PrototypeTable, Provenance
    >>> lit = Provenance("literature", citation=Citation(["Ekman, P."], 2002, "FACS"))
    >>> t = PrototypeTable("t", "t", lit, {"happiness": [Configuration(parse_facs("6+12")),
    ...                                                  Configuration(parse_facs("12CD"))]})
    >>> cw = code_weights("linear")
    >>> m = table_matrix(t, "binary", code_weights=cw)    # "max": 6+12 wins, AU12 without a letter
    >>> m.row("happiness")
    {'AU06': 1.0, 'AU12': 1.0}
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     warn_if_unchanged([t], [m], [cw], lambda t: table_matrix(t, "binary"))
    >>> [str(w.message) for w in caught]
    ["table 't': the intensity / laterality weights change none of its values (each weighted code
        is outweighed by an unweighted one, e.g. under configurations='max')"]
    >>> m = table_matrix(t, "binary", configurations="mean", code_weights=cw)   # AU12: (1 + 0.7) / 2
    >>> round(m.row("happiness")["AU12"], 6)
    0.85
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("error")                       # values changed: no warning
    ...     warn_if_unchanged([t], [m], [cw], lambda t: table_matrix(t, "binary", configurations="mean"))
    """
    for t, m, w in zip(tables, matrices, per_cw):
        if w is None or not any(acts(table_codes(t)) for _, _, acts in _asked(w)):
            continue  # not weighted, or nothing the options act on (applicable_code_weights said so)
        if np.array_equal(m.values, default_matrix(t).values, equal_nan=True):
            warnings.warn(f"table '{t.name}': the intensity / laterality weights change none of its values (each "
                          "weighted code is outweighed by an unweighted one, e.g. under configurations='max')",
                          CodeWeightWarning, stacklevel=3)
