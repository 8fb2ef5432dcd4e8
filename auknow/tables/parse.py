"""Turn YAML data into validated tables, collecting every problem with its file, line and key.

Rules (``docs/knowledge-format.md``): ``schema_version: 1``; a known ``kind``; a provenance block
(literature tables cite their source); canonical AUs (any common spelling accepted, each at most
once per configuration, row or pair); no FACS-exclusive pair required together; expression names
in the vocabulary (or declared in ``extra_expressions``), each once; values inside the declared
statistic range; no unknown keys (typos are caught, not ignored).
"""

from __future__ import annotations

import math
import re
from typing import Any, Callable

from ..errors import AuknowError, FacsCodeError, Problem
from ..expressions import canonical_expression
from ..facs import FacsItem, au_name, canonical_au, exclusive_conflicts, parse_facs
from .model import (PROVENANCE_KINDS, RELATION_KINDS, SCHEMA_VERSION, TABLE_KINDS, Citation,
                    Configuration, DatasetDescriptor, PrototypeTable, Provenance, QuantifiedTable,
                    Relation, RelationTable, Statistic, Table, Task, Weight)
from .yamlio import LineMap, PathKey, format_path

_NAME = re.compile(r"^[a-z0-9][a-z0-9_\-]*$")
_SNAKE = re.compile(r"^[a-z0-9][a-z0-9_]*$")
_COMMON_KEYS = {"schema_version", "kind", "name", "title", "provenance"}
_KEYS = {
    "prototype": _COMMON_KEYS | {"expressions", "extra_expressions"},
    "quantified": _COMMON_KEYS | {"statistic", "weights", "scale", "extra_expressions"},
    "relation": _COMMON_KEYS | {"statistic", "relations"},
    "dataset": _COMMON_KEYS | {"aus", "intensity_aus", "occurrence_threshold", "tasks",
                               "emotion_codes", "folds"},
}


class _Ctx:
    """Collects problems for one file, looking lines up in the file's line map."""

    def __init__(self, file: str, lines: LineMap):
        self.file, self.lines, self.problems = file, lines, []

    def err(self, path: PathKey, message: str) -> None:
        self.problems.append(Problem(message, file=self.file, line=self.lines.line(path),
                                     path=format_path(path) or None))

    def mapping(self, value: Any, path: PathKey, what: str) -> dict | None:
        if not isinstance(value, dict):
            self.err(path, f"expected a mapping of {what}, got {_type(value)}")
            return None
        return value

    def keys(self, value: dict, path: PathKey, allowed: set[str], required: set[str] = frozenset()) -> None:
        for key in value:
            if str(key) not in allowed:
                self.err(path + (str(key),), f"unknown key '{key}' (expected one of {', '.join(sorted(allowed))})")
        for key in sorted(required):
            if key not in value:
                self.err(path, f"missing key '{key}'")

    def number(self, value: Any, path: PathKey, what: str = "a number") -> float | None:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            self.err(path, f"expected {what}, got {_type(value)}")
            return None
        if math.isnan(float(value)):
            self.err(path, f"expected {what}, got NaN")
            return None
        return float(value)

    def string(self, value: Any, path: PathKey, what: str = "a string") -> str | None:
        if not isinstance(value, str) or not value.strip():
            self.err(path, f"expected {what}, got {_type(value)}")
            return None
        return value


def _type(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, str):
        return f"'{value}'"
    if isinstance(value, (bool, int, float)):
        return repr(value)
    return type(value).__name__


def parse_table(data: Any, lines: LineMap, file: str) -> tuple[Table | None, list[Problem]]:
    """Validate YAML data and build the table it describes.

    Returns:
        ``(table, problems)``: the table when there are no problems, else ``None`` and every
        problem found (each naming file, line and key path).
    """
    ctx = _Ctx(file, lines)
    if not isinstance(data, dict):
        ctx.err((), f"expected a knowledge table (a YAML mapping), got {_type(data)}")
        return None, ctx.problems
    version = data.get("schema_version")
    if version is None:
        ctx.err((), "missing key 'schema_version' (expected schema_version: 1)")
    elif version != SCHEMA_VERSION or isinstance(version, bool):
        ctx.err(("schema_version",), f"schema_version {version!r} is not supported (expected {SCHEMA_VERSION})")
        return None, ctx.problems
    kind = data.get("kind")
    if kind not in TABLE_KINDS:
        ctx.err(("kind",) if "kind" in data else (),
                f"{'missing key kind' if kind is None else f'unknown kind {kind!r}'} "
                f"(expected one of {', '.join(TABLE_KINDS)})")
        return None, ctx.problems
    ctx.keys(data, (), _KEYS[kind], required={"name", "title", "provenance"})
    name = data.get("name")
    if name is not None and (not isinstance(name, str) or not _NAME.match(name)):
        ctx.err(("name",), f"name {name!r} must be lower-case letters, digits, '_' or '-'")
    title = ctx.string(data.get("title"), ("title",), "a title") if "title" in data else None
    provenance = _provenance(ctx, data.get("provenance"), kind) if "provenance" in data else None
    extra = _extra_expressions(ctx, data.get("extra_expressions", []))
    builder: Callable = {"prototype": _prototype, "quantified": _quantified,
                         "relation": _relation, "dataset": _dataset}[kind]
    table = builder(ctx, data, name, title, provenance, extra)
    if ctx.problems:
        return None, ctx.problems
    return table, []


def _extra_expressions(ctx: _Ctx, value: Any) -> list[str]:
    if value in (None, []):
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) and _SNAKE.match(v) for v in value):
        ctx.err(("extra_expressions",), "expected a list of snake_case expression names (a-z, 0-9, _)")
        return []
    return list(value)


def _provenance(ctx: _Ctx, value: Any, table_kind: str) -> Provenance | None:
    path = ("provenance",)
    block = ctx.mapping(value, path, "provenance (kind, citation, notes)")
    if block is None:
        return None
    kind = block.get("kind")
    if kind not in PROVENANCE_KINDS:
        ctx.err(path + (("kind",) if "kind" in block else ()),
                f"provenance kind {kind!r} is not one of {', '.join(PROVENANCE_KINDS)}")
    citation = None
    if "citation" in block:
        citation = _citation(ctx, block["citation"], path + ("citation",))
    elif kind == "literature":
        ctx.err(path, "a literature table needs a citation (authors, year, title, doi or url)")
    notes = block.get("notes")
    if notes is not None and not isinstance(notes, str):
        ctx.err(path + ("notes",), f"expected text, got {_type(notes)}")
    details = {k: v for k, v in block.items() if k not in ("kind", "citation", "notes")}
    return Provenance(kind=kind, citation=citation, notes=notes, details=details)


def _citation(ctx: _Ctx, value: Any, path: PathKey) -> Citation | None:
    block = ctx.mapping(value, path, "citation fields")
    if block is None:
        return None
    ctx.keys(block, path, {"authors", "year", "title", "venue", "doi", "url"},
             required={"authors", "year", "title"})
    authors = block.get("authors")
    if "authors" in block and (not isinstance(authors, list) or not authors
                               or not all(isinstance(a, str) and a.strip() for a in authors)):
        ctx.err(path + ("authors",), "expected a non-empty list of author names")
    year = block.get("year")
    if "year" in block and (isinstance(year, bool) or not isinstance(year, int) or not 1500 <= year <= 2100):
        ctx.err(path + ("year",), f"expected a year such as 2002, got {_type(year)}")
    for key in ("title", "venue", "doi", "url"):
        if key in block:
            ctx.string(block[key], path + (key,), f"text for {key}")
    if ctx.problems:
        return None
    return Citation(authors=list(authors), year=year, title=block["title"], venue=block.get("venue"),
                    doi=block.get("doi"), url=block.get("url"))


def _expression(ctx: _Ctx, key: Any, path: PathKey, extra: list[str], seen: dict[str, str]) -> str | None:
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


def _codes(ctx: _Ctx, value: Any, path: PathKey) -> tuple[FacsItem, ...]:
    if value is None or value == "" or value == []:
        return ()
    if not isinstance(value, (str, int, list)) or isinstance(value, bool):
        ctx.err(path, f"expected a FACS code string such as '1+2+5B+26', got {_type(value)}")
        return ()
    try:
        return parse_facs(value, check_exclusive=False)  # checked per configuration (alternatives may hold pairs)
    except FacsCodeError as exc:
        ctx.err(path, str(exc))
        return ()


def _prototype(ctx: _Ctx, data: dict, name, title, provenance, extra) -> PrototypeTable | None:
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
        expr = _expression(ctx, key, epath, extra, seen)
        if not isinstance(configs, list) or not configs:
            ctx.err(epath, "expected a non-empty list of configurations (required, optional, alternatives)")
            continue
        parsed = [_configuration(ctx, c, epath + (i,)) for i, c in enumerate(configs)]
        if expr is not None:
            out[expr] = [c for c in parsed if c is not None]
    return PrototypeTable(name=name, title=title, provenance=provenance, expressions=out,
                          extra_expressions=extra)


def _configuration(ctx: _Ctx, value: Any, path: PathKey) -> Configuration | None:
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


def _exclusive_in(ctx: _Ctx, parts: dict[str, tuple[FacsItem, ...]], path: PathKey) -> None:
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


def _statistic(ctx: _Ctx, value: Any, path: PathKey) -> Statistic | None:
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
                                       f"got {_type(rng) if not isinstance(rng, list) else rng}")
            rng = None
    if stat_name is None or rng is None:
        return None
    return Statistic(name=stat_name, range=(float(rng[0]), float(rng[1])), description=block.get("description"))


def _uncertainty(ctx: _Ctx, block: dict, path: PathKey, rng: tuple[float, float] | None) -> dict:
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
            ctx.err(path + ("n",), f"expected a count (a whole number >= 0), got {_type(n)}")
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


def _in_range(ctx: _Ctx, value: float | None, path: PathKey, rng: tuple[float, float] | None, what: str) -> None:
    if value is not None and rng is not None and not rng[0] <= value <= rng[1]:
        ctx.err(path, f"{what} {value:g} is outside the declared range [{rng[0]:g}, {rng[1]:g}]")


def _quantified(ctx: _Ctx, data: dict, name, title, provenance, extra) -> QuantifiedTable | None:
    statistic = _statistic(ctx, data.get("statistic"), ("statistic",)) if "statistic" in data else None
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
        expr = _expression(ctx, key, epath, extra, seen)
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


def _interval(ctx: _Ctx, band: Any, path: PathKey, rng) -> tuple[float, float] | None:
    if not (isinstance(band, list) and len(band) == 2 and all(
            isinstance(v, (int, float)) and not isinstance(v, bool) and not math.isnan(v) for v in band)
            and band[0] <= band[1]):
        ctx.err(path, f"expected an interval [low, high] with low <= high, got {band!r}")
        return None
    if rng is not None and not (rng[0] <= band[0] and band[1] <= rng[1]):
        ctx.err(path, f"interval {band} lies outside the declared range [{rng[0]:g}, {rng[1]:g}]")
        return None
    return float(band[0]), float(band[1])


def _weight(ctx: _Ctx, entry: Any, path: PathKey, rng) -> Weight | None:
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
        _in_range(ctx, value, path + ("value",), rng, "weight")
        if band is not None and value is not None and not band[0] <= value <= band[1]:
            ctx.err(path + ("value",), f"value {value:g} lies outside its interval [{band[0]:g}, {band[1]:g}]")
        extra = _uncertainty(ctx, entry, path, rng)
        if band is not None:
            extra["interval"] = band
    else:
        value = ctx.number(entry, path, "a number, an interval [low, high] or a mapping with value, ci, n, q_value")
        _in_range(ctx, value, path, rng, "weight")
        extra = {}
    return None if value is None else Weight(value=value, **extra)


def _relation(ctx: _Ctx, data: dict, name, title, provenance, extra) -> RelationTable | None:
    statistic = _statistic(ctx, data.get("statistic"), ("statistic",)) if "statistic" in data else None
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
        _in_range(ctx, strength, rpath + ("strength",), rng, "strength")
        directed = block.get("directed", kind == "hierarchy")
        if not isinstance(directed, bool):
            ctx.err(rpath + ("directed",), f"expected true or false, got {_type(directed)}")
        elif kind == "hierarchy" and not directed:
            ctx.err(rpath + ("directed",), "a hierarchy relation (au_i implies au_j) is directed; "
                                           "remove 'directed: false'")
        unc = _uncertainty(ctx, block, rpath, rng)
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


def _au_list(ctx: _Ctx, value: Any, path: PathKey) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list):
        ctx.err(path, f"expected a list of AU names, got {_type(value)}")
        return []
    out = []
    for i, v in enumerate(value):
        try:
            au = canonical_au(v)
        except AuknowError as exc:
            ctx.err(path + (i,), str(exc))
            continue
        if au in out:
            ctx.err(path + (i,), f"{au} listed twice")
        out.append(au)
    return out


def _dataset(ctx: _Ctx, data: dict, name, title, provenance, extra) -> DatasetDescriptor | None:
    aus = _au_list(ctx, data.get("aus"), ("aus",))
    intensity = _au_list(ctx, data.get("intensity_aus"), ("intensity_aus",))
    threshold = data.get("occurrence_threshold")
    if threshold is not None:
        threshold = ctx.number(threshold, ("occurrence_threshold",), "an intensity 0-5")
        if threshold is not None and not 0 < threshold <= 5:
            ctx.err(("occurrence_threshold",), f"occurrence threshold {threshold:g} is outside (0, 5]")
    tasks: dict[str, Task] = {}
    tblock = data.get("tasks") or {}
    if ctx.mapping(tblock, ("tasks",), "task codes to expressions") is not None:
        seen: dict[str, str] = {}
        for code, task in tblock.items():
            tpath = ("tasks", str(code))
            block = {"expression": task} if isinstance(task, str) else ctx.mapping(task, tpath, "expression, description")
            if block is None:
                continue
            ctx.keys(block, tpath, {"expression", "description"}, required={"expression"})
            if "description" in block and block["description"] is not None:
                ctx.string(block["description"], tpath + ("description",), "text for description")
            try:
                expr = canonical_expression(str(block.get("expression")), extra)
            except AuknowError as exc:
                ctx.err(tpath + ("expression",), str(exc))
                continue
            seen[str(code)] = expr
            tasks[str(code)] = Task(expression=expr, description=block.get("description"))
    codes: dict[int, str] = {}
    cblock = data.get("emotion_codes") or {}
    if ctx.mapping(cblock, ("emotion_codes",), "integer labels to expressions") is not None:
        for code, expr in cblock.items():
            cpath = ("emotion_codes", str(code))
            if isinstance(code, bool) or not isinstance(code, int):
                ctx.err(cpath, f"expected an integer label, got {_type(code)}")
                continue
            try:
                codes[code] = canonical_expression(str(expr), extra)
            except AuknowError as exc:
                ctx.err(cpath, str(exc))
    folds: dict[int, list[str]] = {}
    fblock = data.get("folds") or {}
    owner: dict[str, int] = {}
    if ctx.mapping(fblock, ("folds",), "fold numbers to test subjects") is not None:
        for fold, subjects in fblock.items():
            fpath = ("folds", str(fold))
            if isinstance(fold, bool) or not isinstance(fold, int):
                ctx.err(fpath, f"expected a fold number, got {_type(fold)}")
                continue
            if not isinstance(subjects, list) or not all(isinstance(s, str) for s in subjects):
                ctx.err(fpath, "expected a list of subject ids")
                continue
            for s in subjects:
                if s in owner:
                    ctx.err(fpath, f"subject {s} is in fold {owner[s]} and fold {fold}; folds must be disjoint")
                owner[s] = fold
            folds[fold] = list(subjects)
    return DatasetDescriptor(name=name, title=title, provenance=provenance, aus=aus, intensity_aus=intensity,
                             occurrence_threshold=threshold, tasks=tasks, emotion_codes=codes, folds=folds)
