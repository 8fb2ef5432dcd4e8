"""Parsers of statistic-valued tables: ``kind: quantified`` (expression x AU weights) and
``kind: relation`` (AU pairs with a kind and a strength).

Values lie inside the declared ``statistic`` range; a weight is a number, an interval
``[low, high]`` or a mapping with ``value`` / ``interval`` and uncertainty fields; a relation
pair (or directed arc) is listed once per kind. See ``docs/knowledge-format.md``.
"""

from __future__ import annotations

import math
from typing import Any

from ..errors import AuknowError
from ..facs import canonical_au
from .model import RELATION_KINDS, QuantifiedTable, Relation, RelationTable, Weight
from .parse_fields import (ParseContext, check_in_range, describe_value, parse_expression_name, parse_statistic,
                           parse_uncertainty)
from .yamlio import PathKey


def parse_quantified(ctx: ParseContext, data: dict, name, title, provenance, extra) -> QuantifiedTable | None:
    """A quantified table (``statistic``, ``scale``, ``weights``) as a :class:`QuantifiedTable`
    (``None`` when ``weights`` is missing or not a mapping); problems go to ``ctx``.

    A weight is a number, an interval ``[low, high]`` (value: its midpoint) or a mapping with
    ``value`` and uncertainty; every value must lie inside the declared statistic range.

    >>> from auknow.tables.model import Provenance
    >>> from auknow.tables.parse_fields import ParseContext
    >>> from auknow.tables.yamlio import load_with_lines
    >>> head = "statistic: {name: p_au_given_expression, range: [0, 1]}\\nweights:\\n  happy:\\n"
    >>> data, lines, _ = load_with_lines(head + "    AU6: 0.7\\n    12: [0.75, 1]\\n    AU25: {value: 0.3, n: 40}\\n",
    ...                                  "t.yaml")
    >>> ctx = ParseContext("t.yaml", lines)
    >>> row = parse_quantified(ctx, data, "mini", "Mini", Provenance("edited"), []).weights["happiness"]
    >>> {au: (w.value, w.interval, w.n) for au, w in row.items()}, ctx.problems
    ({'AU06': (0.7, None, None), 'AU12': (0.875, (0.75, 1.0), None), 'AU25': (0.3, None, 40)}, [])
    >>> data, lines, _ = load_with_lines(head + "    AU6: 0.7\\n    AU12: 1.2\\n", "t.yaml")
    >>> ctx = ParseContext("t.yaml", lines)
    >>> _ = parse_quantified(ctx, data, "mini", "Mini", Provenance("edited"), [])
    >>> [str(p) for p in ctx.problems]
    ['t.yaml:5: weights.happy.AU12: weight 1.2 is outside the declared range [0, 1]']
    """
    statistic = parse_statistic(ctx, data.get("statistic"), ("statistic",)) if "statistic" in data else None
    if "statistic" not in data:
        ctx.err((), "missing key 'statistic' (name and range of the weights)")
    rng = statistic.range if statistic else None
    scale = data.get("scale")
    if scale is not None:
        s = ctx.number(scale, ("scale",), "a positive number")
        if s is not None and s <= 0:
            ctx.err(("scale",), f"scale must be positive, got {s:g}")
    path = ("weights",)
    if "weights" not in data:
        ctx.err((), "missing key 'weights' (expression names to AU weights)")
        return None
    block = ctx.mapping(data.get("weights"), path, "expressions to AU weights")
    if block is None:
        return None
    weights: dict[str, dict[str, Weight]] = {}
    seen: dict[str, str] = {}
    for key, row in block.items():
        epath = path + (str(key),)
        expr = parse_expression_name(ctx, key, epath, extra, seen)
        row = ctx.mapping(row, epath, "AU names to weights")
        if row is None:
            continue
        parsed: dict[str, Weight] = {}
        spelled: dict[str, str] = {}
        for au_key, entry in row.items():
            wpath = epath + (str(au_key),)
            try:
                au = canonical_au(au_key)
            except AuknowError as exc:
                ctx.err(wpath, str(exc))
                continue
            if au in parsed:
                ctx.err(wpath, f"{au} listed twice (as '{spelled[au]}' and '{au_key}')")
                continue
            weight = _weight(ctx, entry, wpath, rng)
            if weight is not None:
                parsed[au], spelled[au] = weight, str(au_key)
        if expr is not None:
            weights[expr] = parsed
    return QuantifiedTable(name=name, title=title, provenance=provenance, statistic=statistic,
                           weights=weights, scale=None if scale is None else float(scale),
                           extra_expressions=extra)


def _interval(ctx: ParseContext, band: Any, path: PathKey, rng) -> tuple[float, float] | None:
    if not (isinstance(band, list) and len(band) == 2 and all(
            isinstance(v, (int, float)) and not isinstance(v, bool) and not math.isnan(v) for v in band)
            and band[0] <= band[1]):
        ctx.err(path, f"expected an interval [low, high] with low <= high, got {band!r}")
        return None
    if rng is not None and not (rng[0] <= band[0] and band[1] <= rng[1]):
        ctx.err(path, f"interval {band} lies outside the declared range [{rng[0]:g}, {rng[1]:g}]")
        return None
    return float(band[0]), float(band[1])


def _weight(ctx: ParseContext, entry: Any, path: PathKey, rng) -> Weight | None:
    if isinstance(entry, list):  # short form of an interval-valued cell: [low, high]
        band = _interval(ctx, entry, path, rng)
        return None if band is None else Weight(value=(band[0] + band[1]) / 2, interval=band)
    if isinstance(entry, dict):
        ctx.keys(entry, path, {"value", "ci", "n", "p_value", "q_value", "interval"},
                 required=set() if "interval" in entry else {"value"})
        band = _interval(ctx, entry["interval"], path + ("interval",), rng) if "interval" in entry else None
        if "value" not in entry:
            if band is None:
                return None
            entry = {**entry, "value": (band[0] + band[1]) / 2}
        value = ctx.number(entry["value"], path + ("value",), "a number")
        check_in_range(ctx, value, path + ("value",), rng, "weight")
        if band is not None and value is not None and not band[0] <= value <= band[1]:
            ctx.err(path + ("value",), f"value {value:g} lies outside its interval [{band[0]:g}, {band[1]:g}]")
        extra = parse_uncertainty(ctx, entry, path, rng)
        if band is not None:
            extra["interval"] = band
    else:
        value = ctx.number(entry, path, "a number, an interval [low, high] or a mapping with value, ci, n, q_value")
        check_in_range(ctx, value, path, rng, "weight")
        extra = {}
    return None if value is None else Weight(value=value, **extra)


def parse_relation(ctx: ParseContext, data: dict, name, title, provenance, extra) -> RelationTable | None:
    """A relation table (``statistic``, ``relations``) as a :class:`RelationTable` (``None`` when
    ``relations`` is not a non-empty list); problems go to ``ctx``.

    ``hierarchy`` relations are directed by default; an undirected pair may be listed once per
    kind, in either order.

    >>> from auknow.tables.model import Provenance
    >>> from auknow.tables.parse_fields import ParseContext
    >>> from auknow.tables.yamlio import load_with_lines
    >>> data, lines, _ = load_with_lines(
    ...     "statistic: {name: phi, range: [-1, 1]}\\nrelations:\\n"
    ...     "- {au_i: AU6, au_j: 12, kind: co-occurrence, strength: 0.6}\\n"
    ...     "- {au_i: AU12, au_j: AU06, kind: co-occurrence, strength: 0.5}\\n"
    ...     "- {au_i: AU1, au_j: AU2, kind: hierarchy, strength: 0.9}\\n", "t.yaml")
    >>> ctx = ParseContext("t.yaml", lines)
    >>> table = parse_relation(ctx, data, "mini", "Mini", Provenance("edited"), [])
    >>> [(r.au_i, r.au_j, r.kind, r.directed) for r in table.relations]
    [('AU06', 'AU12', 'co-occurrence', False), ('AU01', 'AU02', 'hierarchy', True)]
    >>> [str(p) for p in ctx.problems]
    ['t.yaml:4: relations[1]: relation AU12-AU06 (co-occurrence) listed twice (first as relations[0])']
    """
    statistic = parse_statistic(ctx, data.get("statistic"), ("statistic",)) if "statistic" in data else None
    rng = statistic.range if statistic else None
    path = ("relations",)
    items = data.get("relations")
    if not isinstance(items, list) or not items:
        ctx.err(path if "relations" in data else (), "expected a non-empty list of relations under 'relations'")
        return None
    out: list[Relation] = []
    seen_pairs: dict[tuple, int] = {}  # (frozenset pair, kind) of undirected relations
    seen_arcs: dict[tuple, int] = {}  # (au_i, au_j, kind) of directed relations
    for i, item in enumerate(items):
        rpath = path + (i,)
        block = ctx.mapping(item, rpath, "relation fields (au_i, au_j, kind, strength)")
        if block is None:
            continue
        ctx.keys(block, rpath, {"au_i", "au_j", "kind", "strength", "directed", "ci", "n", "p_value", "q_value"},
                 required={"au_i", "au_j", "kind", "strength"})
        aus = []
        for key in ("au_i", "au_j"):
            if key in block:
                try:
                    aus.append(canonical_au(block[key]))
                except AuknowError as exc:
                    ctx.err(rpath + (key,), str(exc))
        kind = block.get("kind")
        if "kind" in block and kind not in RELATION_KINDS:
            ctx.err(rpath + ("kind",), f"relation kind {kind!r} is not one of {', '.join(RELATION_KINDS)}")
        strength = ctx.number(block["strength"], rpath + ("strength",)) if "strength" in block else None
        check_in_range(ctx, strength, rpath + ("strength",), rng, "strength")
        directed = block.get("directed", kind == "hierarchy")
        if not isinstance(directed, bool):
            ctx.err(rpath + ("directed",), f"expected true or false, got {describe_value(directed)}")
        elif kind == "hierarchy" and not directed:
            ctx.err(rpath + ("directed",), "a hierarchy relation (au_i implies au_j) is directed; "
                                           "remove 'directed: false'")
        unc = parse_uncertainty(ctx, block, rpath, rng)
        if len(aus) != 2 or kind not in RELATION_KINDS or strength is None:
            continue
        if aus[0] == aus[1]:
            ctx.err(rpath + ("au_j",), f"a relation needs two different AUs, got {aus[0]} twice")
            continue
        pair = (frozenset(aus), kind)
        if directed:
            first = seen_arcs.get((aus[0], aus[1], kind), seen_pairs.get(pair))
        else:
            first = seen_pairs.get(pair, seen_arcs.get((aus[0], aus[1], kind), seen_arcs.get((aus[1], aus[0], kind))))
        if first is not None:
            ctx.err(rpath, f"relation {aus[0]}-{aus[1]} ({kind}) listed twice (first as relations[{first}])")
            continue
        if directed:
            seen_arcs[(aus[0], aus[1], kind)] = i
        else:
            seen_pairs[pair] = i
        out.append(Relation(au_i=aus[0], au_j=aus[1], kind=kind, strength=strength,
                            directed=bool(directed), **unc))
    return RelationTable(name=name, title=title, provenance=provenance, relations=out, statistic=statistic)
