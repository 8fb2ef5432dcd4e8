"""Shared helpers of :mod:`auknow.compile`: errors, label spaces, resolving tables and label lists."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Iterable, Sequence, Union

from ..errors import AuknowError, FacsCodeError
from ..expressions import ExpressionError, canonical_expression
from ..facs import AU_SETS, au_number, au_set, canonical_au
from ..tables.model import Table


class CompileError(AuknowError, ValueError):
    """Tables cannot be compiled as asked: a gap with policy ``error``, an unknown label, a bad
    option value. The message names the table / key and what was expected."""


#: Expression label spaces of models and datasets, keyed by name, in the model's class order.
#: ``dfew``: DFEW's 7 classes as every AU-DFER / Former-DFER / M3DFEL / MAE-DFER loader indexes
#: them (``emotions = ["hap", "sad", "neu", "ang", "sur", "dis", "fea"]``, label - 1);
#: ``ferv39k``: FERV39K's string map (Happy 0, Sad 1, Neutral 2, Angry 3, Surprise 4, Disgust 5, Fear 6).
LABEL_SPACES: dict[str, tuple[str, ...]] = {
    "dfew": ("happy", "sad", "neutral", "angry", "surprise", "disgust", "fear"),
    "ferv39k": ("happy", "sad", "neutral", "angry", "surprise", "disgust", "fear"),
    "basic6": ("happiness", "sadness", "surprise", "fear", "anger", "disgust"),
    "basic7": ("happiness", "sadness", "surprise", "fear", "anger", "disgust", "contempt"),
}

TableLike = Union[Table, str, os.PathLike]


def _split(spec: str | Sequence[str]) -> list[str]:
    if isinstance(spec, str):
        return [s.strip() for s in spec.split(",") if s.strip()]
    return [str(s).strip() for s in spec]


def _no_duplicates(names: list[str], what: str, written: list[str]) -> None:
    seen: dict[str, str] = {}
    for name, text in zip(names, written):
        if name in seen:
            raise CompileError(f"{what}: '{text}' and '{seen[name]}' both name {name}; each label may appear once")
        seen[name] = text


def resolve_expressions(spec: str | Sequence[str] | None, extra: Iterable[str] = ()) -> tuple[str, ...] | None:
    """Canonical expression names of a label list.

    Args:
        spec: ``None``; a label-space name (``"dfew"``, see :data:`LABEL_SPACES`); a comma list
            (``"happy,sad,neutral"``); or a sequence of names. Aliases are resolved
            (``happy -> happiness``, ``angry -> anger``).
        extra: expression names accepted as they are (tables' ``extra_expressions``).

    Returns:
        A tuple of canonical names in the given order, or ``None`` for ``None``.

    Raises:
        CompileError: an unknown name (with close matches) or a name given twice.
    """
    if spec is None:
        return None
    if isinstance(spec, str) and spec.strip().lower() in LABEL_SPACES:
        spec = LABEL_SPACES[spec.strip().lower()]
    written = _split(spec)
    if not written:
        raise CompileError("expressions: empty list (give names such as happy,sad,neutral or a label space "
                           f"{', '.join(LABEL_SPACES)})")
    try:
        names = [canonical_expression(t, extra) for t in written]
    except ExpressionError as exc:
        raise CompileError(f"expressions: {exc}") from None
    _no_duplicates(names, "expressions", written)
    return tuple(names)


def resolve_aus(spec: str | Sequence[str | int] | None) -> tuple[str, ...] | None:
    """Canonical AU names of an AU list.

    Args:
        spec: ``None``; an AU-set name of :data:`auknow.facs.AU_SETS` (``"openface_c"``, ``"bp4d"``,
            ...); a comma list (``"AU01,AU2,12"``); or a sequence of names / FACS numbers.

    Returns:
        A tuple of canonical AU names (``AU01``) in the given order, or ``None`` for ``None``.

    Raises:
        CompileError: an unknown AU (not a FACS 2002 code) or an AU given twice.
    """
    if spec is None:
        return None
    if isinstance(spec, str) and spec.strip().lower() in AU_SETS:
        return au_set(spec.strip())
    written = [str(s) for s in (_split(spec) if isinstance(spec, str) else spec)]
    if not written:
        raise CompileError(f"aus: empty list (give AUs such as AU01,AU12 or an AU set {', '.join(AU_SETS)})")
    try:
        names = [canonical_au(int(t) if isinstance(t, int) else t.strip()) for t in written]
    except FacsCodeError as exc:
        raise CompileError(f"aus: {exc} (or name an AU set: {', '.join(AU_SETS)})") from None
    _no_duplicates(names, "aus", written)
    return tuple(names)


def au_sort_key(name: str) -> int:
    """FACS number of a canonical AU name, for sorting columns in FACS order."""
    return au_number(name)


def resolve_table(ref: TableLike) -> Table:
    """A table object, a path to a ``.yaml`` table, or the name of a bundled table.

    Raises:
        CompileError: neither an existing file nor a bundled table name.
        auknow.errors.TableError: the file is not a valid table.
    """
    if not isinstance(ref, (str, os.PathLike)):
        return ref
    from ..tables.io import load_table

    path = Path(ref)
    text = str(ref)
    if path.exists() or text.endswith((".yaml", ".yml")):
        return load_table(path)
    try:
        from ..library import load_bundled
    except ImportError:  # pragma: no cover - the library module is part of the package
        raise CompileError(f"{text}: no such file (and the bundled library is not available)") from None
    try:
        return load_bundled(text)
    except KeyError as exc:
        msg = exc.args[0] if exc.args else "not a bundled table"
        raise CompileError(f"{text}: no such file, and {msg}") from None


def resolve_tables(tables) -> list[Table]:
    """A list of tables from one table / path / name or a sequence of them (see :func:`resolve_table`)."""
    if isinstance(tables, (str, os.PathLike)) or not isinstance(tables, (list, tuple)):
        tables = [tables]
    if not tables:
        raise CompileError("no tables given")
    return [resolve_table(t) for t in tables]


def citation_short(table: Table) -> str | None:
    """``"Ekman et al. (2002)"`` for a table with a citation, else ``None``."""
    cite = table.provenance.citation
    return cite.short() if cite is not None else None
