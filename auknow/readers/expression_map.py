"""Expression labels of data rows: canonical names with ``file:line`` errors, and expressions CSVs.

Readers label rows with expressions written in a file (a column, or a separate *expressions
CSV* keyed by sequence or subject). Both go through the vocabulary
(:func:`auknow.expressions.canonical_expression`): ``happy`` becomes ``happiness``; a name that
is not in it is a :class:`~auknow.errors.DataError` naming the file and line.
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

from ..errors import AuknowError, DataError
from ..expressions import canonical_expression
from .columns import csv_rows, existing_path, frame_column


class ExpressionCache:
    """:func:`~auknow.expressions.canonical_expression` with a cache, turning unknown names into DataError.

    Call it with ``(text, file, line, what)``; ``what`` names the column in messages.

    Raises:
        DataError: an empty cell or a name that is not in the vocabulary, naming file and line.

    >>> canon = ExpressionCache()
    >>> canon("happy", "f.csv", 2), canon("Happy", "f.csv", 3)
    ('happiness', 'happiness')
    >>> canon("", "f.csv", 4)
    Traceback (most recent call last):
    ...
    auknow.errors.DataError: f.csv:4: empty expression, expected an expression name such as happiness
    """

    def __init__(self) -> None:
        self._cache: dict[str, str] = {}

    def __call__(self, text: str, file: str | None, line: int | None, what: str = "expression") -> str:
        try:
            return self._cache[text]
        except KeyError:
            pass
        if not text.strip():
            raise DataError(f"empty {what}, expected an expression name such as happiness", file=file, line=line)
        try:
            value = canonical_expression(text)
        except AuknowError as exc:
            raise DataError(f"{what}: {exc}", file=file, line=line) from None
        self._cache[text] = value
        return value


def _key_columns(lower: list[str], keys: Sequence[str], file: str) -> list[str]:
    """The key column names of the first alternative of ``keys`` that the header has."""
    for key in keys:
        parts = key.split("+")
        if all(part in lower for part in parts):
            return parts
    raise DataError(f"expected columns {' or '.join(k.replace('+', ', ') for k in keys)} and expression",
                    file=file, line=1)


def read_expression_map(path: str | Path, keys: Sequence[str]) -> tuple[str, dict[tuple, str], dict[tuple, int]]:
    """Read an expressions CSV: a key column (the first of ``keys`` present) and ``expression``.

    ``keys`` lists alternatives: ``("sequence", "subject")`` takes the ``sequence`` column if the
    file has one, else ``subject``. A key such as ``"subject+frame"`` (joined by ``+``) asks for
    several key columns at once; a ``frame`` key column holds whole numbers >= 0.

    Returns:
        ``(key_name, mapping, lines)``: ``mapping[key_tuple] = canonical expression`` and the line
        of each key (for messages).

    Raises:
        DataError: missing file / columns, a duplicate key, an unknown expression, a bad frame.

    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "expressions.csv"
    >>> _ = p.write_text("subject,expression\\nS1,happy\\nS2,sad\\n")
    >>> read_expression_map(p, ("sequence", "subject"))
    ('subject', {('S1',): 'happiness', ('S2',): 'sadness'}, {('S1',): 2, ('S2',): 3})
    """
    p = existing_path(path, "an expressions CSV with an expression column")
    header, rows, lines = csv_rows(p)
    file = str(p)
    lower = [h.lower() for h in header]
    chosen = _key_columns(lower, keys, file)
    if "expression" not in lower:
        raise DataError("expected an 'expression' column", file=file, line=1)
    idx = [lower.index(part) for part in chosen]
    ei = lower.index("expression")
    canon = ExpressionCache()
    columns = []
    for part, i in zip(chosen, idx):
        if part == "frame":
            columns.append(frame_column([r[i] for r in rows], file, lines, header[i]).tolist())
        else:
            col = [r[i].strip() for r in rows]
            if not all(col):
                k = col.index("")
                raise DataError(f"empty {part}", file=file, line=lines[k])
            columns.append(col)
    key_rows = list(zip(*columns))
    values = [canon(r[ei], file, line, header[ei]) for r, line in zip(rows, lines)]
    mapping: dict[tuple, str] = dict(zip(key_rows, values))
    if len(mapping) != len(key_rows):
        where: dict[tuple, int] = {}
        for key_t, line in zip(key_rows, lines):
            if key_t in where:
                raise DataError(f"{'+'.join(chosen)} {', '.join(map(str, key_t))} appears twice "
                                f"(first on line {where[key_t]})", file=file, line=line)
            where[key_t] = line
    if not mapping:
        raise DataError("no rows (the file has a header only)", file=file)
    return "+".join(chosen), mapping, dict(zip(key_rows, lines))
