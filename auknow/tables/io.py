"""Load, validate and save knowledge tables (YAML, schema version 1)."""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Iterable

import yaml

from ..atomic import write_text_atomic
from ..errors import Problem, TableError
from ..facs import format_facs
from .model import (SCHEMA_VERSION, Configuration, DatasetDescriptor, PrototypeTable, Provenance,
                    QuantifiedTable, RelationTable, Statistic, Table, Weight)
from .parse import parse_table
from .yamlio import load_with_lines

YAML_SUFFIXES = (".yaml", ".yml")


def read_table(path: str | os.PathLike) -> tuple[Table | None, list[Problem]]:
    """Read and validate one table file. Returns ``(table, [])`` or ``(None, problems)``.

    Never raises for a bad file: a missing file, a folder, non-UTF-8 bytes, YAML syntax errors and
    every validation problem come back as :class:`~auknow.errors.Problem` (file, line, key path).
    :func:`load_table` is the raising form.

    >>> import pathlib, tempfile
    >>> MINI = ("schema_version: 1\\nkind: prototype\\nname: mini\\ntitle: Mini\\nprovenance: {kind: edited}\\n"
    ...         "expressions:\\n  happiness: [6+12]\\n")  # line 7: happiness and its one configuration
    >>> with tempfile.TemporaryDirectory() as d:
    ...     _ = (pathlib.Path(d) / "mini.yaml").write_text(MINI)
    ...     _ = (pathlib.Path(d) / "bad.yaml").write_text(MINI.replace("6+12", "6+12+99"))
    ...     table, problems = read_table(pathlib.Path(d) / "mini.yaml")
    ...     print(table.kind, table.expressions["happiness"][0].au_names(), problems)
    ...     table, problems = read_table(pathlib.Path(d) / "bad.yaml")
    ...     print(table, [(p.line, p.path, p.message) for p in problems])
    ...     print([p.message for p in read_table(pathlib.Path(d) / "missing.yaml")[1]])
    prototype ('AU06', 'AU12') []
    None [(7, 'expressions.happiness[0].required', "unknown FACS code 99 in '99' (not in the FACS 2002 code list)")]
    ['no such file']
    """
    path = Path(path)
    file = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None, [Problem("no such file", file=file)]
    except IsADirectoryError:
        return None, [Problem("is a folder, expected a .yaml table", file=file)]
    except UnicodeDecodeError as exc:
        return None, [Problem(f"not UTF-8 text ({exc.reason} at byte {exc.start})", file=file)]
    except OSError as exc:  # permission denied, a device that cannot be read, ...
        return None, [Problem(f"cannot read the file ({(exc.strerror or str(exc)).lower()})", file=file)]
    data, lines, problems = load_with_lines(text, file)
    if data is None and not problems:
        return None, [Problem("empty file, expected a knowledge table", file=file)]
    if data is None:
        return None, problems
    table, more = parse_table(data, lines, file)
    problems = problems + more
    return (None, problems) if problems else (table, [])


def load_table(path: str | os.PathLike) -> Table:
    """Load and validate one table.

    Raises:
        TableError: every problem found, each naming file, line and key path (one per line of
            the message; ``problems`` holds them as :class:`~auknow.errors.Problem`).

    >>> import pathlib, tempfile
    >>> MINI = ("schema_version: 1\\nkind: prototype\\nname: mini\\ntitle: Mini\\nprovenance: {kind: edited}\\n"
    ...         "expressions:\\n  happiness: [6+12]\\n")  # line 7: happiness and its one configuration
    >>> with tempfile.TemporaryDirectory() as d:
    ...     path = pathlib.Path(d) / "bad.yaml"
    ...     _ = path.write_text(MINI.replace("happiness", "happyness").replace("6+12", "6+12+99"))
    ...     load_table(path)
    Traceback (most recent call last):
    ...
    auknow.errors.TableError: .../bad.yaml:7: expressions.happyness: unknown expression 'happyness';
    did you mean happiness, happy, sadness?
    .../bad.yaml:7: expressions.happyness[0].required: unknown FACS code 99 in '99' (not in the FACS 2002 code list)
    >>> from auknow.library import knowledge_dir
    >>> load_table(knowledge_dir() / "prototypes" / "fig2002.yaml").provenance.citation.short()
    'Ekman et al. (2002)'
    """
    table, problems = read_table(path)
    if problems:
        raise TableError(problems)
    return table


def iter_table_files(paths: Iterable[str | os.PathLike]) -> list[Path]:
    """The ``.yaml``/``.yml`` files named or found (recursively, sorted) under the given paths.

    A path that is not a folder is kept as given (even if missing or not YAML), so that
    :func:`validate_paths` reports it; files are not read here.

    >>> from auknow.library import knowledge_dir
    >>> [f.relative_to(knowledge_dir()).as_posix() for f in iter_table_files([knowledge_dir() / "datasets"])]
    ['datasets/bp4d.yaml', 'datasets/ckplus.yaml', 'datasets/disfa.yaml']
    >>> iter_table_files(["mine.yaml", "notes.txt"])
    [PosixPath('mine.yaml'), PosixPath('notes.txt')]
    """
    out: list[Path] = []
    for p in paths:
        p = Path(p)
        if p.is_dir():
            out.extend(sorted(f for f in p.rglob("*") if f.suffix in YAML_SUFFIXES and f.is_file()))
        else:
            out.append(p)
    return out


def validate_paths(paths: Iterable[str | os.PathLike]) -> tuple[int, list[Problem]]:
    """Validate files and folders. Returns ``(number of files read, problems)``.

    Every file of :func:`iter_table_files` is read with :func:`read_table`; a folder without any
    ``.yaml`` table is a problem too (a wrong path should not pass as "0 problems").

    >>> import pathlib, tempfile
    >>> MINI = ("schema_version: 1\\nkind: prototype\\nname: mini\\ntitle: Mini\\nprovenance: {kind: edited}\\n"
    ...         "expressions:\\n  happiness: [6+12]\\n")  # line 7: happiness and its one configuration
    >>> with tempfile.TemporaryDirectory() as d:
    ...     _ = (pathlib.Path(d) / "mini.yaml").write_text(MINI)
    ...     _ = (pathlib.Path(d) / "bad.yaml").write_text(MINI.replace("edited", "edted"))
    ...     (pathlib.Path(d) / "empty").mkdir()
    ...     n, problems = validate_paths([d, pathlib.Path(d) / "empty"])
    ...     print(n, *[str(p).replace(d, "TMP") for p in problems], sep="\\n")
    2
    TMP/bad.yaml:5: provenance.kind: provenance kind 'edted' is not one of literature, estimated, edited
    TMP/empty: no .yaml tables in this folder
    """
    paths = list(paths)
    files = iter_table_files(paths)
    problems: list[Problem] = []
    for f in files:
        problems.extend(read_table(f)[1])
    for p in paths:
        if Path(p).is_dir() and not iter_table_files([p]):
            problems.append(Problem("no .yaml tables in this folder", file=str(p)))
    return len(files), problems


# --- saving -------------------------------------------------------------------------------------

def _float(x: float):
    # YAML keeps whole numbers readable (1 not 1.0) and infinities as .inf.
    if isinstance(x, float) and math.isfinite(x) and x.is_integer() and abs(x) < 1e15:
        return int(x)
    return x


def _provenance_dict(p: Provenance) -> dict:
    out: dict = {"kind": p.kind}
    if p.citation is not None:
        c = p.citation
        out["citation"] = {k: v for k, v in (("authors", list(c.authors)), ("year", c.year), ("title", c.title),
                                             ("venue", c.venue), ("doi", c.doi), ("url", c.url)) if v is not None}
    if p.notes is not None:
        out["notes"] = p.notes
    out.update(p.details)
    return out


def _statistic_dict(s: Statistic) -> dict:
    out = {"name": s.name, "range": [_float(s.range[0]), _float(s.range[1])]}
    if s.description is not None:
        out["description"] = s.description
    return out


def _uncertainty_dict(obj) -> dict:
    out = {}
    if obj.ci is not None:
        out["ci"] = [_float(obj.ci[0]), _float(obj.ci[1])]
    for key in ("n", "p_value", "q_value"):
        if getattr(obj, key) is not None:
            out[key] = getattr(obj, key)
    return out


def _weight_value(w: Weight):
    rest = _uncertainty_dict(w)
    if w.interval is not None:
        band = [_float(w.interval[0]), _float(w.interval[1])]
        if not rest and w.value == (w.interval[0] + w.interval[1]) / 2:
            return band  # the short form: a band, its midpoint the value
        rest = {"interval": band, **rest}
    return _float(w.value) if not rest else {"value": _float(w.value), **rest}


def _configuration_dict(c: Configuration) -> dict:
    out = {"required": format_facs(c.required)}
    if c.optional:
        out["optional"] = format_facs(c.optional)
    if c.alternatives:
        out["alternatives"] = format_facs(c.alternatives)
    if c.type is not None:
        out["type"] = c.type
    if c.notes is not None:
        out["notes"] = c.notes
    return out


def table_to_dict(table: Table) -> dict:
    """The YAML-ready mapping of a table (schema version 1), keys in documented order.

    Whole numbers are written as integers (``1`` not ``1.0``); a weight is a bare number, the
    short form ``[low, high]`` for an interval whose value is its midpoint, or a mapping when it
    carries uncertainty. Empty optional fields are left out.

    >>> from auknow.tables.model import Provenance, QuantifiedTable, Statistic, Weight
    >>> table = QuantifiedTable(name="mini", title="Mini", provenance=Provenance(kind="edited"),
    ...                         statistic=Statistic("p_au_given_expression", (0.0, 1.0)),
    ...                         weights={"happiness": {"AU06": Weight(0.5), "AU12": Weight(0.875, interval=(0.75, 1.0)),
    ...                                                "AU25": Weight(0.3, ci=(0.2, 0.4), n=40)}})
    >>> d = table_to_dict(table)
    >>> list(d)
    ['schema_version', 'kind', 'name', 'title', 'provenance', 'statistic', 'weights']
    >>> d["statistic"]
    {'name': 'p_au_given_expression', 'range': [0, 1]}
    >>> d["weights"]
    {'happiness': {'AU06': 0.5, 'AU12': [0.75, 1], 'AU25': {'value': 0.3, 'ci': [0.2, 0.4], 'n': 40}}}
    """
    out: dict = {"schema_version": SCHEMA_VERSION, "kind": table.kind, "name": table.name, "title": table.title,
                 "provenance": _provenance_dict(table.provenance)}
    if isinstance(table, (PrototypeTable, QuantifiedTable)) and table.extra_expressions:
        out["extra_expressions"] = list(table.extra_expressions)
    if isinstance(table, PrototypeTable):
        out["expressions"] = {e: [_configuration_dict(c) for c in cs] for e, cs in table.expressions.items()}
    elif isinstance(table, QuantifiedTable):
        out["statistic"] = _statistic_dict(table.statistic)
        if table.scale is not None:
            out["scale"] = _float(table.scale)
        out["weights"] = {e: {au: _weight_value(w) for au, w in row.items()} for e, row in table.weights.items()}
    elif isinstance(table, RelationTable):
        if table.statistic is not None:
            out["statistic"] = _statistic_dict(table.statistic)
        out["relations"] = [{"au_i": r.au_i, "au_j": r.au_j, "kind": r.kind, "strength": _float(r.strength),
                             "directed": r.directed, **_uncertainty_dict(r)} for r in table.relations]
    elif isinstance(table, DatasetDescriptor):
        for key in ("aus", "intensity_aus"):
            if getattr(table, key):
                out[key] = list(getattr(table, key))
        if table.occurrence_threshold is not None:
            out["occurrence_threshold"] = _float(table.occurrence_threshold)
        if table.tasks:
            out["tasks"] = {k: {"expression": t.expression, **({"description": t.description} if t.description else {})}
                            for k, t in table.tasks.items()}
        if table.emotion_codes:
            out["emotion_codes"] = dict(table.emotion_codes)
        if table.folds:
            out["folds"] = {k: list(v) for k, v in table.folds.items()}
    return out


class _Dumper(yaml.SafeDumper):
    pass


def _str_representer(dumper, data):
    style = "|" if "\n" in data else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=style)


_Dumper.add_representer(str, _str_representer)


def dumps_table(table: Table) -> str:
    """YAML text of a table (a header comment, then :func:`table_to_dict`).

    The text reads back to an equal table (:func:`read_table`); multi-line strings are written
    as ``|`` blocks.

    >>> from auknow.facs import parse_facs
    >>> from auknow.tables.model import Configuration, PrototypeTable, Provenance
    >>> table = PrototypeTable(name="mini", title="Mini", provenance=Provenance(kind="edited"),
    ...                        expressions={"happiness": [Configuration(parse_facs("6+12"), type="prototype")]})
    >>> print(dumps_table(table), end="")
    # auknow knowledge table (schema 1); format: docs/knowledge-format.md
    schema_version: 1
    kind: prototype
    name: mini
    title: Mini
    provenance:
      kind: edited
    expressions:
      happiness:
      - required: 6+12
        type: prototype
    """
    body = yaml.dump(table_to_dict(table), Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)
    return f"# auknow knowledge table (schema {SCHEMA_VERSION}); format: docs/knowledge-format.md\n{body}"


def save_table(table: Table, path: str | os.PathLike, overwrite: bool = False) -> Path:
    """Save a table as YAML, atomically; never replaces an existing file unless ``overwrite``.

    Raises:
        OutputExistsError: the file exists and ``overwrite`` is false.

    Returns the path written. The file loads back to an equal table:

    >>> import pathlib, tempfile
    >>> from auknow.library import load_bundled
    >>> ck = load_bundled("ckplus")
    >>> tmp = tempfile.TemporaryDirectory()
    >>> path = save_table(ck, pathlib.Path(tmp.name) / "ckplus.yaml")
    >>> path.name, load_table(path) == ck
    ('ckplus.yaml', True)
    >>> save_table(ck, path)
    Traceback (most recent call last):
    ...
    auknow.atomic.OutputExistsError: .../ckplus.yaml: exists; not overwritten (ask for it with overwrite=True)
    >>> save_table(ck, path, overwrite=True) == path
    True
    >>> tmp.cleanup()
    """
    return write_text_atomic(path, dumps_table(table), overwrite=overwrite)
