"""Shared helpers of :mod:`auknow.compile`: errors, label spaces, resolving tables and label lists."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Mapping, Sequence, Union

import numpy as np

from ..errors import AuknowError
from ..tables.model import Table
from ..vocabulary import LABEL_SPACES, au_sort_key, resolve_aus, resolve_expressions  # noqa: F401 (re-exported)


class CompileError(AuknowError, ValueError):
    """Tables cannot be compiled as asked: a gap with policy ``error``, an unknown label, a bad
    option value. The message names the table / key and what was expected.

    >>> try:
    ...     resolve_table("no_such_table")
    ... except CompileError as err:
    ...     print(type(err).__name__, isinstance(err, ValueError))
    CompileError True
    """


TableLike = Union[Table, str, os.PathLike]

# --- the compiler's mode and policy names (shared by its modules) ----------------------------------
MODES = ("binary", "quantified", "row_normalized", "column_normalized", "softmax", "signed")
BASES = ("binary", "quantified", "signed")
MISSING_POLICIES = ("error", "zero", "ignore")
FILL_POLICIES = ("error", "zero", "uniform", "mean", "nan")
CONFIGURATION_RULES = ("max", "mean", "first")
COMBINE_METHODS = ("mean", "vote")
RESCALE_METHODS = ("range", "max")
#: Statistics whose sign already says "for" (> 0) or "against" (< 0) an expression.
SIGNED_STATISTICS = ("log_odds_ratio", "phi")
Fill = Union[str, Sequence[float], Mapping[str, float], np.ndarray]


def check_choice(name: str, value, choices) -> None:
    """Check that an option's ``value`` is one of ``choices`` (the compiler's mode and policy names).

    Raises:
        CompileError: ``value`` is not in ``choices``; the message names the option and lists
            the choices.

    >>> check_choice("mode", "binary", MODES)  # a valid choice: no error, returns None
    >>> try:
    ...     check_choice("mode", "soft", ("binary", "softmax"))
    ... except CompileError as err:
    ...     print(err)
    mode: 'soft' is not one of binary, softmax
    """
    if value not in choices:
        raise CompileError(f"{name}: '{value}' is not one of {', '.join(map(str, choices))}")


def resolve_table(ref: TableLike) -> Table:
    """A table object, a path to a ``.yaml`` table, or the name of a bundled table.

    Raises:
        CompileError: neither an existing file nor a bundled table name.
        auknow.errors.TableError: the file is not a valid table.

    >>> t = resolve_table("fig2002")   # a bundled name; a path to a .yaml file works too
    >>> t.name, t.kind, resolve_table(t) is t
    ('fig2002', 'prototype', True)
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
    """A list of tables from one table / path / name or a sequence of them (see :func:`resolve_table`).

    >>> [t.name for t in resolve_tables(["fig2002", "au_dfer"])], len(resolve_tables("fig2002"))
    (['fig2002', 'au_dfer'], 1)
    """
    if isinstance(tables, (str, os.PathLike)) or not isinstance(tables, (list, tuple)):
        tables = [tables]
    if not tables:
        raise CompileError("no tables given")
    return [resolve_table(t) for t in tables]


def citation_short(table: Table) -> str | None:
    """``"Ekman et al. (2002)"`` for a table with a citation, else ``None``.

    >>> citation_short(resolve_table("fig2002"))
    'Ekman et al. (2002)'
    """
    cite = table.provenance.citation
    return cite.short() if cite is not None else None
