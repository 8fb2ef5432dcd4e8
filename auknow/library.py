"""The bundled knowledge library: find, list and load the tables shipped in ``knowledge/``.

The folder ``knowledge/`` at the repository root is installed as the package ``auknow.knowledge``
(``pyproject.toml`` maps it), so a wheel carries the tables and people edit them in one place.
Tables are organised as ``knowledge/{prototypes,quantified,relations,datasets}/<name>.yaml``;
a file's stem equals the table's ``name``, which is how tables are found by name without
loading every file. What each table holds and where it comes from: ``knowledge/README.md``.
"""

from __future__ import annotations

import copy
from importlib import resources
from pathlib import Path
from typing import Iterable

from .tables.io import iter_table_files, load_table
from .tables.model import TABLE_KINDS, DatasetDescriptor, Table

#: The repository's folder, used when the installed package cannot be resolved to a directory.
_REPO_KNOWLEDGE = Path(__file__).resolve().parent.parent / "knowledge"

# Parsed tables keyed by (path, mtime_ns, size): an edited file is re-read, an unchanged one is not.
_CACHE: dict[tuple[str, int, int], Table] = {}


def knowledge_dir() -> Path:
    """The folder that holds the bundled knowledge tables.

    Returns:
        The directory of the installed package ``auknow.knowledge`` (via
        ``importlib.resources``), or the repository's ``knowledge/`` folder when the package
        does not resolve to a directory on disk (e.g. not installed, or installed zipped).

    Raises:
        FileNotFoundError: neither location exists (a broken installation).

    Source: ``pyproject.toml`` maps ``auknow.knowledge`` to ``knowledge/``.

    >>> (knowledge_dir() / "prototypes").is_dir()
    True
    """
    try:
        root = resources.files("auknow.knowledge")
    except ModuleNotFoundError:
        root = None
    if isinstance(root, Path) and root.is_dir():
        return root
    if _REPO_KNOWLEDGE.is_dir():
        return _REPO_KNOWLEDGE
    raise FileNotFoundError(f"the bundled knowledge folder is missing (looked for the package auknow.knowledge "
                            f"and {_REPO_KNOWLEDGE}); reinstall auknow")


def bundled_table_paths() -> list[Path]:
    """Every bundled table file (``.yaml``/``.yml`` under :func:`knowledge_dir`), sorted by path.

    Returns:
        A sorted list of paths; the files are not read or validated here.

    Raises:
        FileNotFoundError: see :func:`knowledge_dir`.

    >>> names = [p.stem for p in bundled_table_paths()]
    >>> "fig2002" in names and "au_dfer" in names
    True
    """
    return iter_table_files([knowledge_dir()])


def _paths_by_name() -> dict[str, Path]:
    """Table name (file stem) -> path. Two files with one stem would make a name ambiguous."""
    out: dict[str, Path] = {}
    for path in bundled_table_paths():
        name = path.stem
        if name in out:
            raise RuntimeError(f"two bundled tables are named '{name}': {out[name]} and {path}")
        out[name] = path
    return out


def _load(path: Path) -> Table:
    """Load a bundled file through the cache; callers get their own copy, so edits stay local."""
    stat = path.stat()
    key = (str(path), stat.st_mtime_ns, stat.st_size)
    table = _CACHE.get(key)
    if table is None:
        table = load_table(path)
        _CACHE[key] = table
    return copy.deepcopy(table)


def list_bundled() -> list[tuple[str, Table]]:
    """Every bundled table, loaded and validated.

    Returns:
        ``(name, table)`` pairs sorted by table kind (in the order prototype, quantified,
        relation, dataset) and then by name.

    Raises:
        TableError: a bundled file is invalid (every problem, naming file, line and key).
        RuntimeError: two bundled files have the same name.
        FileNotFoundError: see :func:`knowledge_dir`.

    Source: the files under :func:`knowledge_dir`; see ``knowledge/README.md``.

    >>> kinds = [t.kind for _, t in list_bundled()]
    >>> kinds[0], kinds[-1]
    ('prototype', 'dataset')
    """
    tables = [(name, _load(path)) for name, path in _paths_by_name().items()]
    order = {kind: i for i, kind in enumerate(TABLE_KINDS)}
    return sorted(tables, key=lambda nt: (order.get(nt[1].kind, len(order)), nt[0]))


def bundled_catalog():
    """The bundled tables as a pandas DataFrame, one row per table: what ``auknow list`` prints.

    Returns:
        A ``pandas.DataFrame`` with the columns ``kind`` (prototype, quantified, relation,
        dataset), ``name`` (what :func:`load_bundled` takes), ``source`` (the short citation,
        e.g. ``"Friesen & Ekman (1983)"``, or the provenance kind where there is none),
        ``expressions`` (how many expressions the table covers; 0 for relation and dataset
        tables) and ``title``; rows in the order of :func:`list_bundled`.

    Raises:
        TableError: a bundled file is invalid.

    Source: the files under :func:`knowledge_dir`; see ``knowledge/README.md``.

    >>> cat = bundled_catalog()
    >>> list(cat.columns)
    ['kind', 'name', 'source', 'expressions', 'title']
    >>> row = cat.set_index("name").loc["fig2002"]
    >>> row.kind, int(row.expressions) > 0
    ('prototype', True)
    """
    import pandas as pd

    rows = []
    for name, table in list_bundled():
        cite = table.provenance.citation
        expressions = getattr(table, "expressions", None) or getattr(table, "weights", None) or {}
        rows.append({"kind": table.kind, "name": name, "source": cite.short() if cite else table.provenance.kind,
                     "expressions": len(expressions), "title": table.title})
    return pd.DataFrame(rows, columns=["kind", "name", "source", "expressions", "title"])


def load_bundled(name: str) -> Table:
    """Load one bundled table by name (``"fig2002"``, ``"au_dfer"``, ``"bp4d"``; case-insensitive).

    Returns:
        The validated table (a fresh copy: changing it does not change later loads).

    Raises:
        KeyError: no bundled table has that name; the message (``args[0]``) names the
            available ones.
        TableError: the bundled file is invalid.

    Source: ``knowledge/<kind>/<name>.yaml``; see ``knowledge/README.md``.

    >>> t = load_bundled("FIG2002")
    >>> t.name, t.kind
    ('fig2002', 'prototype')
    """
    paths = _paths_by_name()
    key = str(name).strip().lower()
    if key not in paths:
        import difflib

        close = difflib.get_close_matches(key, sorted(paths), n=3, cutoff=0.6)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise KeyError(f"no bundled table named '{name}'{hint} (available: {', '.join(sorted(paths))})")
    return _load(paths[key])


def dataset_descriptor(name: str) -> DatasetDescriptor:
    """The bundled descriptor of an AU-labelled dataset: ``"bp4d"``, ``"disfa"`` or ``"ckplus"``.

    Returns:
        The :class:`DatasetDescriptor` (benchmark AUs, intensity AUs, occurrence threshold,
        tasks, emotion codes, subject-independent folds).

    Raises:
        KeyError: no bundled dataset descriptor has that name; the message names the available
            ones.
        TableError: the bundled file is invalid.

    Source: ``knowledge/datasets/<name>.yaml`` (BP4D: Zhang et al. 2014; DISFA: Mavadati et al.
    2013; CK+: Lucey et al. 2010; folds: the JAA-Net / ME-GraphAU split).

    >>> d = dataset_descriptor("disfa")
    >>> d.name
    'disfa'
    """
    paths = _paths_by_name()
    key = str(name).strip().lower()
    datasets = sorted(n for n, p in paths.items() if p.parent.name == "datasets")
    if key in paths:
        table = _load(paths[key])
        if isinstance(table, DatasetDescriptor):
            return table
    raise KeyError(f"no bundled dataset descriptor named '{name}' (available: {', '.join(datasets)})")


def fold_subjects(name: str, folds: Iterable[int]) -> tuple[list[int], set[str]]:
    """The test subjects of ``folds`` of a bundled dataset's subject-independent split.

    Returns:
        ``(all fold numbers, the union of the named folds' subjects)``.

    Raises:
        DataError: no folds are known for ``name``, or a fold number it does not have (naming
            the folds it has).

    >>> numbers, subjects = fold_subjects("bp4d", [1])
    >>> numbers, len(subjects) > 0
    ([1, 2, 3], True)
    """
    from .errors import DataError

    try:
        known = dataset_descriptor(name).folds
    except KeyError:
        known = {}
    if not known:
        raise DataError(f"fold {', '.join(map(str, folds))}: no subject-independent folds are known for "
                        f"dataset '{name}' "
                        "(known for bp4d and disfa); name the held-out subjects instead (exclude_subjects=...)")
    subjects: set[str] = set()
    for k in folds:
        if k not in known:
            raise DataError(f"fold {k}: {name} has folds {', '.join(map(str, sorted(known)))}")
        subjects.update(known[k])
    return sorted(known), subjects
