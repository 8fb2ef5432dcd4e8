"""FACS 2002 codes that cannot be scored together, applied to FACS code strings and AU columns.

Source: the list of mutually exclusive codes of Ekman, Friesen & Hager (2002), *Facial Action
Coding System: Investigator's Guide*, as tabulated in the ``facs`` R package by J. M. Girard
(``auknow/data/facs_exclusives.csv``). Most rows are plain pairs (``26/27``: jaw drop and mouth
stretch); one concerns an intensity (``5/7E``) and four a lip (``S22/S28``, ``T22/T28``,
``B22/B28``, ``16/B28``). The names here are re-exported by :mod:`auknow.facs`.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Iterable, Sequence

from .errors import FacsCodeError
from .facs import FacsItem, au_name, code, exclusive_pairs, format_facs, parse_token, read_data_csv
from .facs import parse_facs  # noqa: F401  (used by the doctests)

_LIPS = {"T": frozenset({"top"}), "B": frozenset({"bottom"})}
_BOTH_LIPS = frozenset({"top", "bottom"})
_LIP_WORDS = {"T": "top lip", "B": "bottom lip", "S": "both lips"}


def _lips(laterality: str | None) -> frozenset[str]:
    """Lips an item of AU16/22/28 covers: T top, B bottom, anything else both."""
    return _LIPS.get(laterality or "", _BOTH_LIPS)


@dataclass(frozen=True)
class ExclusiveRule:
    """One row of the FACS 2002 list of codes that cannot be scored together.

    ``first`` and ``second`` are patterns: a number, optionally a lip (``T``/``B``/``S`` on
    AU16/22/28) and optionally one intensity (``7E``). An item matches a pattern when it has the
    number, exactly that intensity (``7E`` is matched by ``7E``, not by ``7D`` or ``7DE``) and
    covers the pattern's lip (``22`` and ``S22`` cover both lips, ``T22`` only the top one).

    >>> rule = exclusive_rules()[0]
    >>> str(rule), rule.second
    ('5/7E', FacsItem(number=7, laterality=None, intensity='E'))
    """

    first: FacsItem
    second: FacsItem

    def is_plain(self) -> bool:
        """True for a number-only row (``26/27``), which excludes the AUs as such."""
        return all(p.laterality is None and p.intensity is None for p in (self.first, self.second))

    def __str__(self) -> str:
        return f"{self.first}/{self.second}"

    def text(self) -> str:
        """The manual's rule in words, e.g. ``"FACS 2002 lists 26 (jaw drop) and 27 (mouth
        stretch) as mutually exclusive: they cannot be scored in the same event"``."""
        def part(p: FacsItem) -> str:
            extra = [_LIP_WORDS[p.laterality]] if p.laterality in _LIP_WORDS else []
            extra += [f"at intensity {p.intensity}"] if p.intensity else []
            return f"{p} ({', '.join([code(p.number).description] + extra)})"
        return (f"FACS 2002 lists {part(self.first)} and {part(self.second)} as mutually exclusive: "
                "they cannot be scored in the same event")

    def applies(self, a: FacsItem, b: FacsItem) -> bool:
        """Whether items ``a`` and ``b`` (either order) break this rule."""
        return (_matches(self.first, a) and _matches(self.second, b) or
                _matches(self.first, b) and _matches(self.second, a)) and _same_place(a, b)


def _matches(pattern: FacsItem, item: FacsItem) -> bool:
    if item.number != pattern.number:
        return False
    if pattern.intensity is not None and item.intensity != pattern.intensity:
        return False
    if pattern.laterality in _LIP_WORDS:
        need = _BOTH_LIPS if pattern.laterality == "S" else _LIPS[pattern.laterality]
        return need <= _lips(item.laterality)
    return True


def _same_place(a: FacsItem, b: FacsItem) -> bool:
    """Whether two items surely act on a common side: not ``L`` vs ``R``; ``U`` (side unknown)
    only against a bilateral item."""
    sides = ("L", "R")
    if a.laterality in sides and b.laterality in sides:
        return a.laterality == b.laterality
    if "U" in (a.laterality, b.laterality):
        other = b.laterality if a.laterality == "U" else a.laterality
        return other not in sides + ("U",)
    return True


@lru_cache(maxsize=None)
def exclusive_rules() -> tuple[ExclusiveRule, ...]:
    """Every row of ``facs_exclusives.csv`` (FACS 2002 codes that cannot be scored together),
    duplicates dropped, in file order: plain pairs (``26/27``), an intensity row (``5/7E``) and
    lip rows (``S22/S28``, ``T22/T28``, ``B22/B28``, ``16/B28``).

    >>> [str(r) for r in exclusive_rules() if not r.is_plain()]
    ['5/7E', '16/B28', 'S22/S28', 'T22/T28', 'B22/B28']
    """
    out: dict[tuple, ExclusiveRule] = {}
    for row in read_data_csv("facs_exclusives.csv"):
        rule = ExclusiveRule(parse_token(row["code1"]), parse_token(row["code2"]))
        out.setdefault((rule.first, rule.second), rule)
    return tuple(out.values())


def exclusive_conflicts(items: Iterable[FacsItem]) -> list[tuple[FacsItem, FacsItem, ExclusiveRule]]:
    """The pairs of ``items`` that FACS 2002 says cannot be scored together, with the rule.

    Sides: ``L12`` and ``R12``-style opposite sides never conflict (``L5+R43``: one eye open
    wide, the other closed); ``U`` (one side, not given) conflicts only with a bilateral item.

    >>> [(str(a), str(b), str(r)) for a, b, r in exclusive_conflicts(parse_facs("5+7E+12", check_exclusive=False))]
    [('5', '7E', '5/7E')]
    """
    items = list(items)
    by_pair = _rules_by_pair()
    found = []
    for i, a in enumerate(items):
        for b in items[i + 1:]:
            rule = next((r for r in by_pair.get(frozenset((a.number, b.number)), ()) if r.applies(a, b)), None)
            if rule is not None:
                found.append((a, b, rule))
    return found


@lru_cache(maxsize=None)
def _rules_by_pair() -> dict[frozenset[int], tuple[ExclusiveRule, ...]]:
    out: dict[frozenset[int], list[ExclusiveRule]] = {}
    for rule in exclusive_rules():
        out.setdefault(frozenset((rule.first.number, rule.second.number)), []).append(rule)
    return {k: tuple(v) for k, v in out.items()}


def check_exclusive_items(items: Iterable[FacsItem], text: str | None = None) -> None:
    """Raise :class:`FacsCodeError` naming both codes and the rule if two of ``items`` cannot be
    scored together (:func:`exclusive_conflicts`); ``text`` is the code string, for the message.

    >>> from auknow.facs import parse_facs
    >>> check_exclusive_items(parse_facs("6+12", check_exclusive=False))  # compatible: no error
    >>> try:
    ...     check_exclusive_items(parse_facs("24+25", check_exclusive=False), "24+25")
    ... except FacsCodeError as err:
    ...     print(str(err)[:45])
    '24' and '25' cannot be scored together in '2
    """
    items = list(items)
    conflicts = exclusive_conflicts(items)
    if conflicts:
        a, b, rule = conflicts[0]
        whole = format_facs(items) if text is None else text
        raise FacsCodeError(f"'{a}' and '{b}' cannot be scored together in '{whole}': {rule.text()} "
                            f"(exclusive row {rule})", token=f"{a}+{b}", text=whole)


def exclusive_cooccurrence(numbers: Sequence[int], occurrence) -> dict[str, int]:
    """Count rows of AU occurrence *columns* that code both AUs of an exclusive pair.

    In data whose AUs are judged independently (one column per AU) an exclusive pair is not an
    error but worth a warning; readers record this count in ``source["exclusive_cooccurrence"]``.

    Args:
        numbers: FACS number of each column.
        occurrence: ``[N, A]`` array, 1 = present (other values, e.g. -1 missing, count as not).

    Returns:
        ``{"AU26+AU27": rows, ...}`` for the plain exclusive pairs (:func:`exclusive_pairs`) with
        at least one such row, sorted by name.

    >>> import numpy as np
    >>> exclusive_cooccurrence([25, 26, 27], np.array([[1, 1, 1], [0, 1, 0], [1, 0, 1]]))
    {'AU26+AU27': 1}
    """
    import numpy as np

    occ = np.asarray(occurrence) == 1
    col = {n: j for j, n in enumerate(numbers)}
    out = {}
    for pair in exclusive_pairs():
        a, b = sorted(pair)
        if a in col and b in col:
            count = int(np.sum(occ[:, col[a]] & occ[:, col[b]]))
            if count:
                out[f"{au_name(a)}+{au_name(b)}"] = count
    return dict(sorted(out.items()))
