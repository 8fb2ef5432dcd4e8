"""Expanding prototype configurations: the two readings of ``alternatives``.

A configuration of a prototype table lists ``required`` AUs, ``optional`` AUs (any subset may
join) and ``alternatives``. Sources and tools read ``alternatives`` in two ways:

* ``"one"`` (auknow's default; Snoek et al. 2023's mappings): exactly one of the alternatives
  joins. FIG 2002's fear prototype ``1+2+4+5+20`` with ``25, 26, or 27`` is three
  configurations.
* ``"subsets"`` (the ``facs`` R package, J. M. Girard, ``R/expand.R``): every non-empty subset of
  the alternatives joins, as long as the whole configuration is FACS-compatible (no FACS 2002
  exclusive pair, :func:`auknow.facs.are_exclusive`). The same fear prototype is five
  configurations: 25, 26, 27, 25+26, 25+27 (26+27 is an exclusive pair).

Under both readings an alternative that is FACS-exclusive with a required AU never joins, and
the optional AUs expand to every subset (the empty one included). Counting the bundled tables
this way reproduces the ``facs`` package's own expanded data: fig2002 154, cordaro2018 33,
du2014 352 configurations under ``"subsets"`` (116, 33, 352 under ``"one"``).

Where configurations are compiled (:func:`auknow.compile.matrix.table_matrix`,
:func:`auknow.compile.graph.au_graph`), the keyword ``alternatives=`` chooses the reading.
"""

from __future__ import annotations

from itertools import combinations
from typing import Iterable

from ..errors import AuknowError
from ..facs import FacsItem, are_exclusive
from .model import Configuration, PrototypeTable

#: The readings of ``alternatives``; the first is the default.
ALTERNATIVE_READINGS = ("one", "subsets")
DEFAULT_ALTERNATIVES = ALTERNATIVE_READINGS[0]


class ExpansionError(AuknowError, ValueError):
    """An unknown reading of alternatives (or another bad expansion option).

    Also a ``ValueError``, so callers that catch bad values catch it.

    >>> check_reading("all")
    Traceback (most recent call last):
    ...
    auknow.tables.expand.ExpansionError: alternatives: 'all' is not one of one, subsets ('one': exactly one
    alternative joins; 'subsets': every FACS-compatible non-empty subset joins, as the facs R package reads them)
    >>> issubclass(ExpansionError, ValueError)
    True
    """


def check_reading(alternatives: str) -> str:
    """Return ``alternatives`` if it is a known reading, else raise :class:`ExpansionError`.

    >>> check_reading("subsets")
    'subsets'
    """
    if alternatives not in ALTERNATIVE_READINGS:
        raise ExpansionError(f"alternatives: '{alternatives}' is not one of {', '.join(ALTERNATIVE_READINGS)} "
                             "('one': exactly one alternative joins; 'subsets': every FACS-compatible "
                             "non-empty subset joins, as the facs R package reads them)")
    return alternatives


def _compatible(numbers: Iterable[int]) -> bool:
    ns = sorted(set(numbers))
    return not any(are_exclusive(a, b) for i, a in enumerate(ns) for b in ns[i + 1:])


def alternative_choices(config: Configuration, alternatives: str = DEFAULT_ALTERNATIVES) -> list[frozenset[int]]:
    """The sets of alternative AU numbers that may join ``config`` under a reading.

    Returns:
        ``[frozenset()]`` when the configuration has no alternatives; otherwise, in FACS order,
        one set per choice: ``"one"`` each alternative alone, ``"subsets"`` every non-empty
        subset (by size, then FACS order). Choices that would hold a FACS 2002 exclusive pair,
        among themselves or with a required AU, are left out (so the list may be empty).

    Raises:
        ExpansionError: an unknown reading.

    >>> from auknow.facs import parse_facs
    >>> cfg = Configuration(required=parse_facs("1+2+4+5+20"), alternatives=parse_facs("25+26+27", check_exclusive=False))
    >>> [sorted(c) for c in alternative_choices(cfg, "subsets")]
    [[25], [26], [27], [25, 26], [25, 27]]
    """
    check_reading(alternatives)
    alts = sorted({it.number for it in config.alternatives})
    if not alts:
        return [frozenset()]
    required = {it.number for it in config.required}
    sizes = (1,) if alternatives == "one" else range(1, len(alts) + 1)
    out = []
    for k in sizes:
        for combo in combinations(alts, k):
            if _compatible((*required, *combo)):
                out.append(frozenset(combo))
    return out


def alternative_shares(config: Configuration, alternatives: str = DEFAULT_ALTERNATIVES) -> dict[int, float]:
    """Per alternative AU number, the share of the reading's choices in which it joins.

    With every choice equally likely this is the probability that the AU joins: ``"one"`` gives
    ``1/k`` to each of k compatible alternatives; ``"subsets"`` gives FIG 2002's ``25, 26, 27``
    the shares 3/5, 2/5, 2/5. An alternative that never joins (exclusive with a required AU)
    gets 0.

    >>> from auknow.facs import parse_facs
    >>> cfg = Configuration(required=parse_facs("5+20"), alternatives=parse_facs("25+26+27", check_exclusive=False))
    >>> {a: round(s, 3) for a, s in alternative_shares(cfg, "subsets").items()}
    {25: 0.6, 26: 0.4, 27: 0.4}
    """
    choices = alternative_choices(config, alternatives)
    alts = sorted({it.number for it in config.alternatives})
    n = len(choices)
    return {a: (sum(a in c for c in choices) / n if n else 0.0) for a in alts}


def alternatives_together(config: Configuration, alternatives: str = DEFAULT_ALTERNATIVES) -> set[frozenset[int]]:
    """Pairs of alternative AU numbers that join ``config`` together in some choice.

    Always empty under ``"one"``; under ``"subsets"`` every FACS-compatible pair.

    Returns:
        A set of two-element frozensets of AU numbers.

    Raises:
        ExpansionError: an unknown reading.

    FIG 2002's fear ``1+2+4+5+20`` with ``25, 26, or 27``: 26 and 27 never join together (an
    exclusive pair).

    >>> from auknow.facs import parse_facs
    >>> cfg = Configuration(required=parse_facs("1+2+4+5+20"),
    ...                     alternatives=parse_facs("25+26+27", check_exclusive=False))
    >>> alternatives_together(cfg, "one"), sorted(sorted(p) for p in alternatives_together(cfg, "subsets"))
    (set(), [[25, 26], [25, 27]])
    """
    out: set[frozenset[int]] = set()
    for c in alternative_choices(config, alternatives):
        out |= {frozenset(p) for p in combinations(sorted(c), 2)}
    return out


def expand_configuration(config: Configuration, alternatives: str = DEFAULT_ALTERNATIVES, *,
                         optional: bool = True) -> list[tuple[FacsItem, ...]]:
    """Every concrete AU configuration ``config`` stands for, as FACS items in FACS order.

    Args:
        config: one configuration of a prototype table.
        alternatives: ``"one"`` or ``"subsets"`` (module docstring).
        optional: expand the optional AUs to every subset (the empty one first), as the ``facs``
            package does; ``False`` leaves them out.

    Returns:
        The configurations, each a tuple of the required items (with their intensity and
        laterality), the chosen alternatives and the chosen optional items; configurations that
        hold a FACS 2002 exclusive pair are left out. Order: optional subsets outer, alternative
        choices inner.

    >>> from auknow.facs import parse_facs
    >>> cfg = Configuration(required=parse_facs("1+2+5B"), alternatives=parse_facs("26+27", check_exclusive=False))
    >>> ["+".join(map(str, c)) for c in expand_configuration(cfg, "subsets")]
    ['1+2+5B+26', '1+2+5B+27']
    """
    by_number = {it.number: it for it in config.alternatives}
    opts = sorted(config.optional, key=lambda it: (it.number, it.laterality or ""))
    subsets = [c for k in range(len(opts) + 1) for c in combinations(opts, k)] if optional else [()]
    out = []
    for opt in subsets:
        for choice in alternative_choices(config, alternatives):
            items = (*config.required, *opt, *(by_number[a] for a in sorted(choice)))
            if _compatible(it.number for it in items):
                out.append(tuple(sorted(items, key=lambda it: (it.number, it.laterality or ""))))
    return out


def expand_table(table: PrototypeTable, alternatives: str = DEFAULT_ALTERNATIVES, *,
                 optional: bool = True) -> dict[str, list[tuple[FacsItem, ...]]]:
    """Expression -> every concrete configuration of a prototype table (see
    :func:`expand_configuration`), in table order. Duplicates across rows are kept, as in the
    ``facs`` package's data.

    Raises:
        ExpansionError: an unknown reading.

    >>> from auknow.facs import format_facs
    >>> from auknow.library import load_bundled
    >>> fig = load_bundled("fig2002")
    >>> one, subsets = expand_table(fig, "one"), expand_table(fig, "subsets")
    >>> [format_facs(c) for c in one["happiness"]], len(one["fear"]), len(subsets["fear"])
    (['6+12', '12CD'], 18, 28)
    """
    return {e: [c for cfg in cfgs for c in expand_configuration(cfg, alternatives, optional=optional)]
            for e, cfgs in table.expressions.items()}


def count_configurations(table: PrototypeTable, alternatives: str = DEFAULT_ALTERNATIVES, *,
                         optional: bool = True) -> int:
    """Number of concrete configurations of a prototype table under a reading.

    >>> from auknow.library import load_bundled
    >>> fig = load_bundled("fig2002")
    >>> count_configurations(fig, "one"), count_configurations(fig, "subsets")
    (116, 154)
    """
    return sum(len(v) for v in expand_table(table, alternatives, optional=optional).values())
