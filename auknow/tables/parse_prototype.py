"""Parser of ``kind: prototype`` tables: expressions to AU configurations (FACS code strings).

A configuration lists ``required``, ``optional`` and ``alternatives`` AUs (``1+2+5B+26``); an
AU appears once per configuration, and no FACS 2002 exclusive pair may be required together
(:func:`auknow.facs.exclusive_conflicts`). See ``docs/knowledge-format.md``.
"""

from __future__ import annotations

from typing import Any

from ..errors import FacsCodeError
from ..facs import FacsItem, au_name, exclusive_conflicts, parse_facs
from .model import Configuration, PrototypeTable
from .parse_fields import ParseContext, describe_value, parse_expression_name
from .yamlio import PathKey


def parse_prototype(ctx: ParseContext, data: dict, name, title, provenance, extra) -> PrototypeTable | None:
    """The ``expressions`` block of a prototype table as a :class:`PrototypeTable` (``None`` when
    the block is missing or not a mapping); problems go to ``ctx``.

    A bare code string is the shorthand for ``{required: ...}``; an exclusive pair required
    together is a problem naming the FACS 2002 rule.

    >>> from auknow.tables.model import Provenance
    >>> from auknow.tables.parse_fields import ParseContext
    >>> from auknow.tables.yamlio import load_with_lines
    >>> data, lines, _ = load_with_lines("expressions:\\n  happy: [6+12]\\n  surprise:\\n"
    ...                                  "  - {required: 1+2+5B, alternatives: 26+27}\\n", "t.yaml")
    >>> ctx = ParseContext("t.yaml", lines)
    >>> table = parse_prototype(ctx, data, "mini", "Mini", Provenance("edited"), [])
    >>> {e: [c.au_names() for c in cs] for e, cs in table.expressions.items()}, ctx.problems
    ({'happiness': [('AU06', 'AU12')], 'surprise': [('AU01', 'AU02', 'AU05', 'AU26', 'AU27')]}, [])
    >>> data, lines, _ = load_with_lines("expressions:\\n  anger:\\n  - required: 4+5+24+25\\n", "t.yaml")
    >>> ctx = ParseContext("t.yaml", lines)
    >>> _ = parse_prototype(ctx, data, "mini", "Mini", Provenance("edited"), [])
    >>> print(ctx.problems[0])
    t.yaml:3: expressions.anger[0].required: AU24 and AU25 cannot be scored together (FACS 2002 exclusive pair) but
    are both required: FACS 2002 lists 24 (lip presser) and 25 (lips part) as mutually exclusive: they cannot be
    scored in the same event (row 24/25)
    """
    path = ("expressions",)
    if "expressions" not in data:
        ctx.err((), "missing key 'expressions' (expression names to AU configurations)")
        return None
    block = ctx.mapping(data.get("expressions"), path, "expressions to configurations")
    if block is None:
        return None
    if not block:
        ctx.err(path, "no expressions given")
    out: dict[str, list[Configuration]] = {}
    seen: dict[str, str] = {}
    for key, configs in block.items():
        epath = path + (str(key),)
        expr = parse_expression_name(ctx, key, epath, extra, seen)
        if not isinstance(configs, list) or not configs:
            ctx.err(epath, "expected a non-empty list of configurations (required, optional, alternatives)")
            continue
        parsed = [_configuration(ctx, c, epath + (i,)) for i, c in enumerate(configs)]
        if expr is not None:
            out[expr] = [c for c in parsed if c is not None]
    return PrototypeTable(name=name, title=title, provenance=provenance, expressions=out,
                          extra_expressions=extra)


def _configuration(ctx: ParseContext, value: Any, path: PathKey) -> Configuration | None:
    if isinstance(value, (str, int)) and not isinstance(value, bool):
        value = {"required": value}  # shorthand: a bare code string is the required AUs
    block = ctx.mapping(value, path, "configuration fields (required, optional, alternatives)")
    if block is None:
        return None
    ctx.keys(block, path, {"required", "optional", "alternatives", "type", "notes"})
    before = len(ctx.problems)
    parts = {k: _codes(ctx, block.get(k), path + (k,)) for k in ("required", "optional", "alternatives")}
    if len(ctx.problems) > before:
        return None
    if not any(parts.values()):
        ctx.err(path, "configuration lists no AU (expected at least one in required or alternatives)")
        return None
    where: dict[int, str] = {}
    for part, items in parts.items():
        for item in items:
            if item.number in where and where[item.number] != part:
                ctx.err(path + (part,), f"{au_name(item.number)} listed twice (in {where[item.number]} and {part})")
            where.setdefault(item.number, part)
    _exclusive_in(ctx, parts, path)
    for key in ("type", "notes"):
        if key in block and block[key] is not None:
            ctx.string(block[key], path + (key,), f"text for {key}")
    return Configuration(required=parts["required"], optional=parts["optional"],
                         alternatives=parts["alternatives"], type=block.get("type"), notes=block.get("notes"))


def _codes(ctx: ParseContext, value: Any, path: PathKey) -> tuple[FacsItem, ...]:
    if value is None or value == "" or value == []:
        return ()
    if not isinstance(value, (str, int, list)) or isinstance(value, bool):
        ctx.err(path, f"expected a FACS code string such as '1+2+5B+26', got {describe_value(value)}")
        return ()
    try:
        return parse_facs(value, check_exclusive=False)  # checked per configuration (alternatives may hold pairs)
    except FacsCodeError as exc:
        ctx.err(path, str(exc))
        return ()


def _exclusive_in(ctx: ParseContext, parts: dict[str, tuple[FacsItem, ...]], path: PathKey) -> None:
    """FACS 2002 exclusive codes (auknow.facs.exclusive_rules) may not be required together, and an
    optional or alternative code excluded by a required one could never join."""
    def names(a, b, rule):
        return (au_name(a.number), au_name(b.number)) if rule.is_plain() else (str(a), str(b))

    required = parts["required"]
    for a, b, rule in exclusive_conflicts(required):
        x, y = names(a, b, rule)
        ctx.err(path + ("required",), f"{x} and {y} cannot be scored together (FACS 2002 exclusive pair) but "
                                      f"are both required: {rule.text()} (row {rule})")
    for part in ("optional", "alternatives"):
        for item in parts[part]:
            for a, b, rule in exclusive_conflicts(required + (item,)):
                if item in (a, b):
                    other = b if item == a else a
                    x, y = names(item, other, rule)
                    ctx.err(path + (part,), f"{x} cannot be scored together with the required {y} (FACS 2002 "
                                            f"exclusive pair), so it can never join: {rule.text()} (row {rule})")
