"""Render tables for people: aligned text for the terminal, and CSV, JSON or Markdown.

Every table kind becomes one list of rows (:func:`table_rows`), so all formats show the same
content: prototypes one row per configuration, quantified tables one row per expression with an
AU column each, relations one row per pair, dataset descriptors one row per fact.
"""

from __future__ import annotations

import csv
import io
import json
import math

from ..facs import format_facs
from .io import table_to_dict
from .model import DatasetDescriptor, PrototypeTable, QuantifiedTable, RelationTable, Table

FORMATS = ("text", "csv", "json", "md")


def _num(x: float | None) -> str:
    """Short readable number: 3 decimals without trailing zeros; tiny values in 3 significant digits."""
    if x is None:
        return ""
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    if x != 0 and abs(x) < 1e-3:
        return f"{x:.3g}"
    return f"{x:.3f}".rstrip("0").rstrip(".")


def _cell(w) -> str:
    """A weight as shown: its value; ``[low, high]`` for an interval-valued cell whose value is the
    band's midpoint, ``value [low, high]`` otherwise."""
    if w.interval is None:
        return _num(w.value)
    band = f"[{_num(w.interval[0])}, {_num(w.interval[1])}]"
    return band if w.value == (w.interval[0] + w.interval[1]) / 2 else f"{_num(w.value)} {band}"


def table_rows(table: Table) -> tuple[list[str], list[list[str]]]:
    """``(header, rows)`` of strings describing a table (see module docstring).

    Numbers are shown with at most 3 decimals; an interval-valued weight as ``[low, high]``; a
    cell an expression does not weight is empty.

    >>> from auknow.tables.model import Provenance, QuantifiedTable, Statistic, Weight
    >>> table = QuantifiedTable(name="mini", title="Mini", provenance=Provenance(kind="edited"),
    ...                         statistic=Statistic("p_au_given_expression", (0.0, 1.0)),
    ...                         weights={"happiness": {"AU06": Weight(0.5),
    ...                                                "AU12": Weight(0.875, interval=(0.75, 1.0))},
    ...                                  "surprise": {"AU01": Weight(0.8125)}})
    >>> table_rows(table)
    (['expression', 'AU01', 'AU06', 'AU12'], [['happiness', '', '0.5', '[0.75, 1]'], ['surprise', '0.812', '', '']])
    >>> from auknow.library import load_bundled
    >>> table_rows(load_bundled("disfa"))[1][2]
    ['occurrence_threshold', '2']
    """
    if isinstance(table, PrototypeTable):
        header = ["expression", "type", "required", "optional", "alternatives", "notes"]
        rows = [[e, c.type or "", format_facs(c.required), format_facs(c.optional), format_facs(c.alternatives),
                 c.notes or ""] for e, cs in table.expressions.items() for c in cs]
    elif isinstance(table, QuantifiedTable):
        aus = table.aus()
        header = ["expression", *aus]
        rows = [[e, *(_cell(row[a]) if a in row else "" for a in aus)] for e, row in table.weights.items()]
    elif isinstance(table, RelationTable):
        header = ["au_i", "au_j", "kind", "strength", "directed", "ci_low", "ci_high", "n"]
        rows = [[r.au_i, r.au_j, r.kind, _num(r.strength), "yes" if r.directed else "no",
                 _num(r.ci[0]) if r.ci else "", _num(r.ci[1]) if r.ci else "", "" if r.n is None else str(r.n)]
                for r in table.relations]
    elif isinstance(table, DatasetDescriptor):
        header = ["fact", "value"]
        rows = [["aus", " ".join(table.aus)], ["intensity_aus", " ".join(table.intensity_aus)]]
        if table.occurrence_threshold is not None:
            rows.append(["occurrence_threshold", _num(table.occurrence_threshold)])
        rows += [[f"task {k}", t.expression + (f" ({t.description})" if t.description else "")]
                 for k, t in table.tasks.items()]
        rows += [[f"emotion code {k}", v] for k, v in table.emotion_codes.items()]
        rows += [[f"fold {k}", f"{len(v)} subjects: {' '.join(v)}"] for k, v in table.folds.items()]
    else:  # pragma: no cover - Table is a closed union
        raise TypeError(f"not a table: {type(table).__name__}")
    return header, rows


def _text(header: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(header)]
    line = lambda cells: "  ".join(c.ljust(w) for c, w in zip(cells, widths)).rstrip()  # noqa: E731
    return "\n".join([line(header), line(["-" * w for w in widths]), *(line(r) for r in rows)])


def _md_cell(text: str) -> str:
    return text.replace("|", "\\|")


def render_table(table: Table, fmt: str = "text") -> str:
    """A table as text (``text``, ``csv``, ``json`` or ``md``).

    ``text`` and ``md`` start with the title and citation; ``json`` is the full YAML mapping
    (:func:`auknow.tables.table_to_dict`) as JSON; ``csv`` is :func:`table_rows` only.

    Raises:
        ValueError: unknown format.

    >>> from auknow.facs import parse_facs
    >>> from auknow.tables.model import Citation, Configuration, PrototypeTable, Provenance
    >>> cite = Citation(["Ekman, P.", "Friesen, W. V.", "Hager, J. C."], 2002, "FACS Investigator's Guide")
    >>> surprise = Configuration(parse_facs("1+2+5B"), alternatives=parse_facs("26+27", check_exclusive=False),
    ...                          type="variant")
    >>> table = PrototypeTable(name="mini", title="Two prototypes", provenance=Provenance("literature", cite),
    ...                        expressions={"happiness": [Configuration(parse_facs("6+12"), type="prototype")],
    ...                                     "surprise": [surprise]})
    >>> print(render_table(table))
    Two prototypes [mini, prototype]
    source: Ekman et al. (2002), FACS Investigator's Guide
    <BLANKLINE>
    expression  type       required  optional  alternatives  notes
    ----------  ---------  --------  --------  ------------  -----
    happiness   prototype  6+12
    surprise    variant    1+2+5B              26+27
    >>> print(render_table(table, "csv"))
    expression,type,required,optional,alternatives,notes
    happiness,prototype,6+12,,,
    surprise,variant,1+2+5B,,26+27,
    >>> render_table(table, "html")
    Traceback (most recent call last):
    ...
    ValueError: unknown format 'html' (choose from text, csv, json, md)
    """
    if fmt not in FORMATS:
        raise ValueError(f"unknown format '{fmt}' (choose from {', '.join(FORMATS)})")
    if fmt == "json":
        return json.dumps(table_to_dict(table), indent=2, ensure_ascii=False, default=str)
    header, rows = table_rows(table)
    if fmt == "csv":
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)
        return buf.getvalue().rstrip("\n")
    cite = table.provenance.citation
    source = f"{cite.short()}, {cite.title}" if cite else f"({table.provenance.kind})"
    extra = ""
    if isinstance(table, QuantifiedTable):
        extra = f"statistic: {table.statistic.name} in [{_num(table.statistic.range[0])}, " \
                f"{_num(table.statistic.range[1])}]" + (f"; applied x{_num(table.scale)}" if table.scale else "")
    if fmt == "md":
        lines = [f"### {table.title} (`{table.name}`, {table.kind})", "", f"Source: {source}", ""]
        if extra:
            lines += [extra, ""]
        lines += ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        lines += ["| " + " | ".join(_md_cell(c) for c in r) + " |" for r in rows]
        return "\n".join(lines)
    head = [f"{table.title} [{table.name}, {table.kind}]", f"source: {source}"] + ([extra] if extra else [])
    return "\n".join(head + ["", _text(header, rows)])
