"""Turn YAML data into validated tables, collecting every problem with its file, line and key.

Rules (``docs/knowledge-format.md``): ``schema_version: 1``; a known ``kind``; a provenance block
(literature tables cite their source); canonical AUs (any common spelling accepted, each at most
once per configuration, row or pair); no FACS-exclusive pair required together; expression names
in the vocabulary (or declared in ``extra_expressions``), each once; values inside the declared
statistic range; no unknown keys (typos are caught, not ignored).
"""

from __future__ import annotations

import re
from typing import Any, Callable

from ..errors import Problem
from .model import PROVENANCE_KINDS, SCHEMA_VERSION, TABLE_KINDS, Citation, Provenance, Table
from .parse_dataset import parse_dataset
from .parse_fields import ParseContext, describe_value
from .parse_prototype import parse_prototype
from .parse_weights import parse_quantified, parse_relation
from .yamlio import LineMap, PathKey

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


def parse_table(data: Any, lines: LineMap, file: str) -> tuple[Table | None, list[Problem]]:
    """Validate YAML data and build the table it describes.

    Returns:
        ``(table, problems)``: the table when there are no problems, else ``None`` and every
        problem found (each naming file, line and key path).

    A wrong ``schema_version`` or ``kind`` stops at once (the rest cannot be read); otherwise
    every problem of the file is collected.

    >>> from auknow.tables.yamlio import load_with_lines
    >>> text = ("schema_version: 1\\nkind: relation\\nname: mini\\ntitle: Mini\\nprovenance: {kind: edited}\\n"
    ...         "relations:\\n- {au_i: AU6, au_j: 12, kind: co-occurrence, strength: 0.6}\\n")
    >>> table, problems = parse_table(*load_with_lines(text, "t.yaml")[:2], "t.yaml")
    >>> [(r.au_i, r.au_j, r.strength) for r in table.relations], problems
    ([('AU06', 'AU12', 0.6)], [])
    >>> bad = text.replace("name: mini", "name: Mini").replace("strength: 0.6", "strength: high")
    >>> table, problems = parse_table(*load_with_lines(bad, "t.yaml")[:2], "t.yaml")
    >>> print(table, *problems, sep="\\n")
    None
    t.yaml:3: name: name 'Mini' must be lower-case letters, digits, '_' or '-'
    t.yaml:7: relations[0].strength: expected a number, got 'high'
    >>> bad = text.replace("kind: relation", "kind: relations")
    >>> print(*parse_table(*load_with_lines(bad, "t.yaml")[:2], "t.yaml")[1])
    t.yaml:2: kind: unknown kind 'relations' (expected one of prototype, quantified, relation, dataset)
    """
    ctx = ParseContext(file, lines)
    if not isinstance(data, dict):
        ctx.err((), f"expected a knowledge table (a YAML mapping), got {describe_value(data)}")
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
    builder: Callable = {"prototype": parse_prototype, "quantified": parse_quantified,
                         "relation": parse_relation, "dataset": parse_dataset}[kind]
    table = builder(ctx, data, name, title, provenance, extra)
    if ctx.problems:
        return None, ctx.problems
    return table, []


def _extra_expressions(ctx: ParseContext, value: Any) -> list[str]:
    if value in (None, []):
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) and _SNAKE.match(v) for v in value):
        ctx.err(("extra_expressions",), "expected a list of snake_case expression names (a-z, 0-9, _)")
        return []
    return list(value)


def _provenance(ctx: ParseContext, value: Any, table_kind: str) -> Provenance | None:
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
        ctx.err(path + ("notes",), f"expected text, got {describe_value(notes)}")
    details = {k: v for k, v in block.items() if k not in ("kind", "citation", "notes")}
    return Provenance(kind=kind, citation=citation, notes=notes, details=details)


def _citation(ctx: ParseContext, value: Any, path: PathKey) -> Citation | None:
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
        ctx.err(path + ("year",), f"expected a year such as 2002, got {describe_value(year)}")
    for key in ("title", "venue", "doi", "url"):
        if key in block:
            ctx.string(block[key], path + (key,), f"text for {key}")
    if ctx.problems:
        return None
    return Citation(authors=list(authors), year=year, title=block["title"], venue=block.get("venue"),
                    doi=block.get("doi"), url=block.get("url"))
