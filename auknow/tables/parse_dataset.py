"""Parser of ``kind: dataset`` tables: a dataset's AUs, tasks, emotion codes and folds.

See ``docs/knowledge-format.md``; folds list test subjects and must be disjoint.
"""

from __future__ import annotations

from typing import Any

from ..errors import AuknowError
from ..expressions import canonical_expression
from ..facs import canonical_au
from .model import DatasetDescriptor, Task
from .parse_fields import ParseContext, describe_value
from .yamlio import PathKey


def parse_dataset(ctx: ParseContext, data: dict, name, title, provenance, extra) -> DatasetDescriptor | None:
    """A dataset table (``aus``, ``intensity_aus``, ``occurrence_threshold``, ``tasks``,
    ``emotion_codes``, ``folds``) as a :class:`DatasetDescriptor`; problems go to ``ctx``.

    AU names are made canonical (``AU1``, ``2``, ``au_4`` -> ``AU01``, ``AU02``, ``AU04``) and
    expression names resolved through the vocabulary (``happy`` -> ``happiness``); a subject in
    two folds is a problem. The descriptor is returned even when problems were recorded
    (:func:`~auknow.tables.parse.parse_table` then drops it).

    >>> from auknow.tables.model import Provenance
    >>> from auknow.tables.parse_fields import ParseContext
    >>> from auknow.tables.yamlio import load_with_lines
    >>> data, lines, _ = load_with_lines("aus: [AU1, 2, au_4]\\noccurrence_threshold: 2\\ntasks: {T1: happy}\\n"
    ...                                  "folds:\\n  1: [S1, S2]\\n  2: [S2]\\n", "t.yaml")
    >>> ctx = ParseContext("t.yaml", lines)
    >>> ds = parse_dataset(ctx, data, "mini", "Mini", Provenance("edited"), [])
    >>> ds.aus, ds.occurrence_threshold, ds.tasks["T1"].expression
    (['AU01', 'AU02', 'AU04'], 2.0, 'happiness')
    >>> [str(p) for p in ctx.problems]
    ['t.yaml:6: folds.2: subject S2 is in fold 1 and fold 2; folds must be disjoint']
    """
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
            block = ({"expression": task} if isinstance(task, str)
                     else ctx.mapping(task, tpath, "expression, description"))
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
                ctx.err(cpath, f"expected an integer label, got {describe_value(code)}")
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
                ctx.err(fpath, f"expected a fold number, got {describe_value(fold)}")
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


def _au_list(ctx: ParseContext, value: Any, path: PathKey) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list):
        ctx.err(path, f"expected a list of AU names, got {describe_value(value)}")
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
