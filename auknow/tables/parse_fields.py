"""What every knowledge-table parser shares: the problem collector and the common fields.

:class:`ParseContext` collects every problem of a file with its line and key path (the parsers
report all problems together rather than stopping at the first); the functions check fields
that several table kinds have: expression names, the ``statistic`` block, uncertainty fields
(``ci``, ``n``, ``p_value``, ``q_value``) and values against the declared range.
"""

from __future__ import annotations

import math
from typing import Any

from ..errors import AuknowError, Problem
from ..expressions import canonical_expression
from .model import Statistic
from .yamlio import LineMap, PathKey, format_path


class ParseContext:
    """Collects the problems of one table file, each with the line of its key path.

    The parsers of :mod:`auknow.tables.parse` and its kind modules check every field and call
    :meth:`err` instead of raising, so that a file's problems are reported together.

    Args:
        file: the file name for messages.
        lines: the file's :class:`~auknow.tables.yamlio.LineMap` (key path -> line).

    >>> from auknow.tables.yamlio import load_with_lines
    >>> data, lines, _ = load_with_lines("statistic:\\n  name: p\\n  range: 3\\n", "t.yaml")
    >>> ctx = ParseContext("t.yaml", lines)
    >>> parse_statistic(ctx, data["statistic"], ("statistic",)) is None, [str(p) for p in ctx.problems]
    (True, ['t.yaml:3: statistic.range: expected [low, high] with low < high (e.g. [0, 1] or [-.inf, .inf]), got 3'])
    """

    def __init__(self, file: str, lines: LineMap):
        self.file, self.lines, self.problems = file, lines, []

    def err(self, path: PathKey, message: str) -> None:
        """Record a problem at key ``path`` (its line from the line map)."""
        self.problems.append(Problem(message, file=self.file, line=self.lines.line(path),
                                     path=format_path(path) or None))

    def mapping(self, value: Any, path: PathKey, what: str) -> dict | None:
        """``value`` when it is a mapping, else record "expected a mapping of <what>" and return ``None``."""
        if not isinstance(value, dict):
            self.err(path, f"expected a mapping of {what}, got {describe_value(value)}")
            return None
        return value

    def keys(self, value: dict, path: PathKey, allowed: set[str], required: set[str] = frozenset()) -> None:
        """Record each key of ``value`` not in ``allowed`` (a typo) and each ``required`` key missing."""
        for key in value:
            if str(key) not in allowed:
                self.err(path + (str(key),), f"unknown key '{key}' (expected one of {', '.join(sorted(allowed))})")
        for key in sorted(required):
            if key not in value:
                self.err(path, f"missing key '{key}'")

    def number(self, value: Any, path: PathKey, what: str = "a number") -> float | None:
        """``value`` as a float when it is a number (not a bool, not NaN), else record a problem and return ``None``."""
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            self.err(path, f"expected {what}, got {describe_value(value)}")
            return None
        if math.isnan(float(value)):
            self.err(path, f"expected {what}, got NaN")
            return None
        return float(value)

    def string(self, value: Any, path: PathKey, what: str = "a string") -> str | None:
        """``value`` when it is a non-blank string, else record a problem and return ``None``."""
        if not isinstance(value, str) or not value.strip():
            self.err(path, f"expected {what}, got {describe_value(value)}")
            return None
        return value


def describe_value(value: Any) -> str:
    """How ``value`` is shown in a message: ``nothing``, a quoted string, a number's repr, else its type.

    >>> describe_value(None), describe_value("x"), describe_value(1.5), describe_value([1])
    ('nothing', "'x'", '1.5', 'list')
    """
    if value is None:
        return "nothing"
    if isinstance(value, str):
        return f"'{value}'"
    if isinstance(value, (bool, int, float)):
        return repr(value)
    return type(value).__name__


def parse_expression_name(ctx: ParseContext, key: Any, path: PathKey, extra: list[str],
                          seen: dict[str, str]) -> str | None:
    """Canonical expression name of the key ``key`` (vocabulary or ``extra``), each at most once.

    ``seen`` maps canonical names to their spelling so far (updated); a name listed twice under
    two spellings (``happy`` and ``happiness``) is a problem. Returns ``None`` after a problem.

    >>> from auknow.tables.yamlio import LineMap
    >>> ctx, seen = ParseContext("t.yaml", LineMap()), {}
    >>> parse_expression_name(ctx, "happy", ("expressions", "happy"), [], seen), seen
    ('happiness', {'happiness': 'happy'})
    >>> parse_expression_name(ctx, "happiness", ("expressions", "happiness"), [], seen) is None
    True
    >>> print(*ctx.problems)
    t.yaml:1: expressions.happiness: expression 'happiness' listed twice (as 'happy' too; both mean 'happiness')
    >>> parse_expression_name(ctx, "boredom", ("expressions", "boredom"), ["boredom"], seen)  # declared in extra
    'boredom'
    """
    try:
        name = canonical_expression(str(key), extra)
    except AuknowError as exc:
        ctx.err(path, str(exc))
        return None
    if name in seen:
        ctx.err(path, f"expression '{key}' listed twice (as '{seen[name]}' too; both mean '{name}')")
        return None
    seen[name] = str(key)
    return name


def parse_statistic(ctx: ParseContext, value: Any, path: PathKey) -> Statistic | None:
    """The ``statistic`` block (``name``, ``range: [low, high]``, ``description``), or ``None`` after a problem.

    An unknown key is a problem but does not stop the statistic being built (see also the
    :class:`ParseContext` example, a range that is not a pair).

    >>> from auknow.tables.yamlio import load_with_lines
    >>> data, lines, _ = load_with_lines("statistic:\\n  name: phi\\n  range: [-1, 1]\\n  descripton: x\\n", "t.yaml")
    >>> ctx = ParseContext("t.yaml", lines)
    >>> parse_statistic(ctx, data["statistic"], ("statistic",))
    Statistic(name='phi', range=(-1.0, 1.0), description=None)
    >>> print(*ctx.problems)
    t.yaml:4: statistic.descripton: unknown key 'descripton' (expected one of description, name, range)
    """
    block = ctx.mapping(value, path, "statistic fields (name, range, description)")
    if block is None:
        return None
    ctx.keys(block, path, {"name", "range", "description"}, required={"name", "range"})
    stat_name = ctx.string(block.get("name"), path + ("name",), "the statistic's name") if "name" in block else None
    rng = block.get("range")
    if "range" in block:
        if not (isinstance(rng, list) and len(rng) == 2 and all(
                isinstance(v, (int, float)) and not isinstance(v, bool) for v in rng) and rng[0] < rng[1]):
            ctx.err(path + ("range",), f"expected [low, high] with low < high (e.g. [0, 1] or [-.inf, .inf]), "
                                       f"got {describe_value(rng) if not isinstance(rng, list) else rng}")
            rng = None
    if stat_name is None or rng is None:
        return None
    return Statistic(name=stat_name, range=(float(rng[0]), float(rng[1])), description=block.get("description"))


def parse_uncertainty(ctx: ParseContext, block: dict, path: PathKey, rng: tuple[float, float] | None) -> dict:
    """The uncertainty fields of a weight or relation: ``ci`` (inside ``rng``), ``n`` (a count),
    ``p_value`` / ``q_value`` (in [0, 1]); returns those that are valid, records problems for the rest.

    >>> from auknow.tables.yamlio import load_with_lines
    >>> data, lines, _ = load_with_lines("AU12: {value: 0.9, ci: [0.8, 0.95], n: 40, q_value: 1.5}\\n", "t.yaml")
    >>> ctx = ParseContext("t.yaml", lines)
    >>> parse_uncertainty(ctx, data["AU12"], ("AU12",), (0.0, 1.0)), [str(p) for p in ctx.problems]
    ({'ci': (0.8, 0.95), 'n': 40}, ['t.yaml:1: AU12.q_value: q_value 1.5 is outside [0, 1]'])
    """
    out: dict = {}
    if "ci" in block:
        ci = block["ci"]
        if not (isinstance(ci, list) and len(ci) == 2 and all(
                isinstance(v, (int, float)) and not isinstance(v, bool) for v in ci) and ci[0] <= ci[1]):
            ctx.err(path + ("ci",), f"expected a confidence interval [low, high] with low <= high, got {ci!r}")
        elif rng is not None and not (rng[0] <= ci[0] and ci[1] <= rng[1]):
            ctx.err(path + ("ci",), f"confidence interval {ci} lies outside the declared range "
                                   f"[{rng[0]:g}, {rng[1]:g}]")
        else:
            out["ci"] = (float(ci[0]), float(ci[1]))
    if "n" in block:
        n = block["n"]
        if isinstance(n, bool) or not isinstance(n, int) or n < 0:
            ctx.err(path + ("n",), f"expected a count (a whole number >= 0), got {describe_value(n)}")
        else:
            out["n"] = n
    for key in ("p_value", "q_value"):
        if key in block:
            v = ctx.number(block[key], path + (key,), f"{key} in [0, 1]")
            if v is not None and not 0.0 <= v <= 1.0:
                ctx.err(path + (key,), f"{key} {v} is outside [0, 1]")
            elif v is not None:
                out[key] = v
    return out


def check_in_range(ctx: ParseContext, value: float | None, path: PathKey, rng: tuple[float, float] | None,
                   what: str) -> None:
    """Record a problem when ``value`` lies outside the declared statistic range ``rng``.

    ``None`` for the value (already reported as not a number) or for the range (none declared)
    records nothing; the range is closed.

    >>> from auknow.tables.yamlio import LineMap
    >>> ctx = ParseContext("t.yaml", LineMap())
    >>> for value, rng in ((1.0, (0.0, 1.0)), (1.5, None), (1.5, (0.0, 1.0))):
    ...     check_in_range(ctx, value, ("weights", "happiness", "AU12"), rng, "weight")
    >>> [str(p) for p in ctx.problems]
    ['t.yaml:1: weights.happiness.AU12: weight 1.5 is outside the declared range [0, 1]']
    """
    if value is not None and rng is not None and not rng[0] <= value <= rng[1]:
        ctx.err(path, f"{what} {value:g} is outside the declared range [{rng[0]:g}, {rng[1]:g}]")
