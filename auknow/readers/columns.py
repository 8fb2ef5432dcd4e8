"""CSV text and column parsing shared by every reader, with ``file:line`` errors.

The dataset and detector readers (:mod:`auknow.readers.tidy`, :mod:`~auknow.readers.bp4d`,
:mod:`~auknow.readers.disfa`, :mod:`~auknow.readers.openface`, ...) read their files through
these helpers, so that bad input always becomes a :class:`~auknow.errors.DataError` that names
the file and line and says what was expected: reading the text (:func:`read_text`), splitting
CSV rows (:func:`csv_rows`, :func:`numeric_rows`), finding named and AU columns
(:func:`column_index`, :func:`au_columns`) and converting cells (:func:`float_column`,
:func:`frame_column`).
"""

from __future__ import annotations

import csv
import io
import math
import re
import warnings
from pathlib import Path
from typing import Callable, Iterable, Mapping, Sequence

import numpy as np

from ..errors import AuknowError, DataError
from ..facs import parse_au_column

#: Cell texts read as "not coded" (lower-cased, stripped): blank, R's NA, pandas' NaN.
MISSING_TOKENS = frozenset({"", "na", "nan", "n/a", "none", "null"})

#: A header that *looks* like an AU column (so a spelling we cannot parse is an error rather than
#: an ignored extra column): ``AU12x``, ``au_99``, ``12b``, ...
AU_LIKE = re.compile(r"^\s*(?:(?:au|ad)[\s_]?\d|\d+\s*$|\d+[lr]?_)", re.IGNORECASE)


# ---------------------------------------------------------------------------------------------
# files and rows
# ---------------------------------------------------------------------------------------------
def existing_path(path: str | Path, what: str) -> Path:
    """``Path(path)``, or :class:`DataError` naming it when it does not exist.

    Args:
        path: a file or folder.
        what: what was expected there, for the message (``"a CSV file"``).

    Raises:
        DataError: ``no such file or folder (expected <what>)``.

    >>> existing_path("/no/such/file.csv", "a CSV file")
    Traceback (most recent call last):
    ...
    auknow.errors.DataError: /no/such/file.csv: no such file or folder (expected a CSV file)
    """
    p = Path(path)
    if not p.exists():
        raise DataError(f"no such file or folder (expected {what})", file=str(p))
    return p


def read_text(path: Path) -> str:
    """Whole text of a UTF-8 file (a byte-order mark is dropped).

    Raises:
        DataError: the file is missing, a folder, not UTF-8, or unreadable (naming it).

    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "a.csv"
    >>> _ = p.write_bytes(b"\\xef\\xbb\\xbfsubject,AU1\\n")
    >>> read_text(p)
    'subject,AU1\\n'
    """
    try:
        return path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise DataError("no such file", file=str(path)) from None
    except IsADirectoryError:
        raise DataError("expected a file, found a folder", file=str(path)) from None
    except UnicodeDecodeError:
        raise DataError("not a UTF-8 text file", file=str(path)) from None
    except OSError as exc:
        raise DataError(f"cannot read the file ({exc.strerror})", file=str(path)) from None


def line_of_row(text: str, skip: int, k: int) -> int:
    """1-based line number of the ``k``-th (0-based) non-blank line after the first ``skip`` lines.

    >>> line_of_row("h\\n1\\n\\n2\\n", skip=1, k=1)
    4
    """
    seen = -1
    for lineno, raw in enumerate(text.split("\n"), start=1):
        if lineno <= skip or not raw.strip():
            continue
        seen += 1
        if seen == k:
            return lineno
    return skip + k + 1


def numeric_rows(text: str, file: str, skip: int, names: Sequence[str], dtype=np.int64) -> np.ndarray:
    """Parse the comma-separated numeric lines of ``text`` after ``skip`` header lines.

    Blank lines are skipped. The fast path is :func:`numpy.loadtxt` (C); when it fails, a Python
    scan finds the first problem and raises :class:`DataError` with its line, or, where the cells
    are merely written differently (``1.0`` for an integer), returns the values.

    Args:
        text: the whole file text.
        file: the file name for messages.
        skip: header lines before the data.
        names: column names (their number is the expected number of cells per line).
        dtype: ``np.int64`` (cells must be whole numbers) or ``np.float64``.

    Returns:
        ``[rows, len(names)]`` array of ``dtype``.

    Raises:
        DataError: a line with another number of cells, a non-number, a fraction where whole
            numbers are expected, an infinite value; naming the line.

    >>> numeric_rows("frame,AU1\\n0,1\\n1,0.0\\n", "f.csv", 1, ["frame", "AU1"]).tolist()
    [[0, 1], [1, 0]]
    >>> numeric_rows("frame,AU1\\n0,x\\n", "f.csv", 1, ["frame", "AU1"])
    Traceback (most recent call last):
    ...
    auknow.errors.DataError: f.csv:2: column AU1: 'x' is not a number
    """
    ncols = len(names)
    # whole numbers parse faster than floats: try them first even when floats are allowed
    for fast in dict.fromkeys((np.int64, dtype)):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # "input contained no data"
                arr = np.loadtxt(io.StringIO(text), delimiter=",", dtype=fast, skiprows=skip, ndmin=2,
                                 comments=None)
            if arr.size == 0:
                return np.empty((0, ncols), dtype=dtype)
            if arr.shape[1] == ncols:
                return arr.astype(dtype, copy=False)
            break  # wrong number of columns: the scan below names the line
        except ValueError:
            continue
    integer = np.issubdtype(np.dtype(dtype), np.integer)
    rows = []
    for lineno, raw in enumerate(text.split("\n"), start=1):
        if lineno <= skip:
            continue
        line = raw.strip()
        if not line:
            continue
        cells = line.split(",")
        if len(cells) != ncols:
            raise DataError(f"{len(cells)} cells, expected {ncols} ({', '.join(map(str, names))})",
                            file=file, line=lineno)
        rows.append([_number_cell(name, cell.strip(), integer, file, lineno) for name, cell in zip(names, cells)])
    return np.array(rows, dtype=dtype).reshape(len(rows), ncols)


def _number_cell(name: str, cell: str, integer: bool, file: str, lineno: int) -> float:
    """One stripped cell of :func:`numeric_rows`' slow scan as a float, or DataError naming its line."""
    try:
        v = float(cell)
    except ValueError:
        raise DataError(f"column {name}: '{cell}' is not a number", file=file, line=lineno) from None
    if integer and not v.is_integer():
        raise DataError(f"column {name}: '{cell}' is not a whole number", file=file, line=lineno)
    if not integer and math.isinf(v):
        raise DataError(f"column {name}: '{cell}' is not a finite number", file=file, line=lineno)
    return v


def csv_rows(path: Path) -> tuple[list[str], list[list[str]], list[int]]:
    """Header (stripped), data rows and their 1-based line numbers of a CSV file.

    Blank rows are skipped; a row with a different number of cells than the header raises
    :class:`DataError` naming its line (a ragged row).

    Raises:
        DataError: an unreadable file (see :func:`read_text`), an empty file or header, a
            ragged or malformed row.

    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "a.csv"
    >>> _ = p.write_text(" subject ,AU1\\nS1,1\\n\\nS2,0\\n")
    >>> csv_rows(p)
    (['subject', 'AU1'], [['S1', '1'], ['S2', '0']], [2, 4])
    """
    text = read_text(path)
    file = str(path)
    reader = csv.reader(io.StringIO(text))
    try:
        header = [h.strip() for h in next(reader)]
    except StopIteration:
        raise DataError("empty file, expected a header row", file=file) from None
    except csv.Error as exc:
        raise DataError(f"not a CSV file ({exc})", file=file, line=1) from None
    if not any(header):
        raise DataError("empty header row", file=file, line=1)
    rows, lines = [], []
    n = len(header)
    try:
        for row in reader:
            if not row or (len(row) == 1 and not row[0].strip()):
                continue
            if len(row) != n:
                raise DataError(f"{len(row)} cells, expected {n} as in the header", file=file, line=reader.line_num)
            rows.append(row)
            lines.append(reader.line_num)
    except csv.Error as exc:
        raise DataError(f"malformed CSV ({exc})", file=file, line=reader.line_num) from None
    return header, rows, lines


# ---------------------------------------------------------------------------------------------
# columns and cells
# ---------------------------------------------------------------------------------------------
def column_index(header: list[str], name: str, file: str, hint: str = "") -> int:
    """Index of column ``name`` in ``header`` (exact, else case-insensitive).

    Raises:
        DataError: no such column (naming the file, line 1, and the first columns there are).

    >>> column_index(["Subject", "AU1"], "subject", "f.csv")
    0
    >>> column_index(["Subject", "AU1"], "expression", "f.csv", " (set expression_col)")
    Traceback (most recent call last):
    ...
    auknow.errors.DataError: f.csv:1: no column 'expression' (set expression_col) (columns: Subject, AU1)
    """
    if name in header:
        return header.index(name)
    lower = [h.lower() for h in header]
    if name.lower() in lower:
        return lower.index(name.lower())
    shown = ", ".join(header[:12]) + (", ..." if len(header) > 12 else "")
    raise DataError(f"no column '{name}'{hint} (columns: {shown})", file=file, line=1)


def float_column(cells: list[str], file: str, lines: Sequence[int], name: str,
                 allow_missing: bool = True) -> np.ndarray:
    """Cells of one CSV column as float64 ``[n]``; :data:`MISSING_TOKENS` give NaN (when allowed).

    Args:
        cells: the column's cells, one per data row.
        file: the file name for messages.
        lines: the 1-based line of each cell.
        name: the column name for messages.
        allow_missing: read blank / ``NA`` cells as NaN; ``False``: they are an error.

    Raises:
        DataError: a non-numeric, infinite or (when not allowed) missing cell, naming its line.

    >>> float_column(["1", " NA", "0.5"], "f.csv", [2, 3, 4], "AU12_r").tolist()
    [1.0, nan, 0.5]
    >>> float_column(["1", "x"], "f.csv", [2, 3], "AU12_r")
    Traceback (most recent call last):
    ...
    auknow.errors.DataError: f.csv:3: column AU12_r: 'x' is not a number
    """
    try:
        out = np.fromiter(map(float, cells), dtype=np.float64, count=len(cells))
        if allow_missing or not np.isnan(out).any():
            if not np.isinf(out).any():
                return out
    except ValueError:
        pass
    out = np.empty(len(cells), dtype=np.float64)
    for i, cell in enumerate(cells):
        c = cell.strip()
        if c.lower() in MISSING_TOKENS:
            if not allow_missing:
                raise DataError(f"column {name}: empty cell, expected a number", file=file, line=lines[i])
            out[i] = np.nan
            continue
        try:
            out[i] = float(c)
        except ValueError:
            raise DataError(f"column {name}: '{c}' is not a number", file=file, line=lines[i]) from None
        if math.isinf(out[i]):
            raise DataError(f"column {name}: '{c}' is not a finite number", file=file, line=lines[i])
    return out


def frame_column(cells: list[str], file: str, lines: Sequence[int], name: str) -> np.ndarray:
    """A frame-number column as int64 ``[n]`` (whole numbers >= 0; ``12.0`` is accepted).

    Raises:
        DataError: a missing cell, a non-number, a negative or fractional frame, naming its line.

    >>> frame_column(["0", "1", "12.0"], "f.csv", [2, 3, 4], "frame").tolist()
    [0, 1, 12]
    >>> frame_column(["0", "-1"], "f.csv", [2, 3], "frame")
    Traceback (most recent call last):
    ...
    auknow.errors.DataError: f.csv:3: column frame: '-1' is not a frame number (a whole number >= 0)
    """
    values = float_column(cells, file, lines, name, allow_missing=False)
    bad = (values < 0) | (values != np.floor(values))
    if bad.any():
        i = int(np.argmax(bad))
        raise DataError(f"column {name}: '{cells[i].strip()}' is not a frame number (a whole number >= 0)",
                        file=file, line=lines[i])
    return values.astype(np.int64)


def check_duplicate_frames(frames: np.ndarray, file: str, lines: Sequence[int] | Callable[[int], int],
                           what: str = "frame") -> None:
    """Raise :class:`DataError` naming the line of the second occurrence of a repeated frame number.

    Args:
        frames: ``[n]`` frame numbers of one sequence.
        file: the file name for messages.
        lines: the 1-based line of each row, or a function from row index to line (computed
            only when there is a duplicate).
        what: the name of the number in the message (``frame``).

    >>> check_duplicate_frames(np.array([0, 1, 1]), "f.csv", [2, 3, 4])
    Traceback (most recent call last):
    ...
    auknow.errors.DataError: f.csv:4: frame 1 appears more than once (expected one row per frame)
    """
    if frames.size < 2:
        return
    order = np.argsort(frames, kind="stable")
    same = frames[order][1:] == frames[order][:-1]
    if same.any():
        dup = order[1:][same]
        i = int(dup.min())
        line = lines(i) if callable(lines) else lines[i]
        raise DataError(f"{what} {frames[i]} appears more than once (expected one row per frame)",
                        file=file, line=line)


def stack_au_columns(blocks: Sequence[Mapping[int, np.ndarray]], sizes: Sequence[int], numbers: Sequence[int],
                     fill, dtype) -> np.ndarray:
    """Stack per-file ``{AU number: column [n_k]}`` blocks into one ``[sum n_k, len(numbers)]`` array.

    Files are stacked in order and AUs in ``numbers`` order; ``fill`` where a file lacks an AU.

    >>> stack_au_columns([{1: np.array([1, 0])}, {2: np.array([1])}], [2, 1], [1, 2], -1, np.int8).tolist()
    [[1, -1], [0, -1], [-1, 1]]
    """
    out = np.full((int(sum(sizes)), len(numbers)), fill, dtype=dtype)
    start = 0
    for cols, size in zip(blocks, sizes):
        for j, k in enumerate(numbers):
            if k in cols:
                out[start:start + size, j] = cols[k]
        start += size
    return out


def au_columns(header: list[str], skip: Iterable[int], file: str, au_cols: Sequence[str] | None = None,
               suffixes: Iterable[str | None] | None = None) -> tuple[list[int], list[int], list[str]]:
    """Find the AU columns of a header.

    Args:
        header: stripped column names.
        skip: indices of columns used for something else (subject, expression, ...).
        file: the file name for messages.
        au_cols: explicit AU column names (any spelling); ``None`` takes every column that parses
            as an AU name and ignores the others, except that a name that looks like an AU but does
            not parse (``AU99``, ``AU12x``, see :data:`AU_LIKE`) is an error.
        suffixes: accepted suffixes (``None`` = no suffix, ``"c"``, ``"r"``, ...); default all.

    Returns:
        ``(indices, numbers, ignored)``: the AU columns, their FACS numbers, the other columns.

    Raises:
        DataError: unknown AU column, one-sided AU column, an AU twice (naming line 1).

    >>> au_columns(["subject", "AU01", "au_12", "age"], skip=[0], file="f.csv")
    ([1, 2], [1, 12], ['age'])
    """
    skip = set(skip)
    ok_suffix = None if suffixes is None else set(suffixes)
    indices, numbers, ignored = [], [], []
    if au_cols is not None:
        candidates = [column_index(header, str(name).strip(), file, " (named in au_cols)") for name in au_cols]
    else:
        candidates = [i for i in range(len(header)) if i not in skip]
    for i in candidates:
        name = header[i]
        try:
            number, side, suffix = parse_au_column(name)
        except AuknowError as exc:
            if au_cols is not None or AU_LIKE.match(name):
                raise DataError(f"unknown AU column '{name}': {exc}", file=file, line=1) from None
            ignored.append(name)
            continue
        if ok_suffix is not None and suffix not in ok_suffix:
            ignored.append(name)
            continue
        if side is not None:
            raise DataError(f"column '{name}' codes one side of AU{number}; one column per AU is expected "
                            "(merge the left and right columns first)", file=file, line=1)
        if number in numbers:
            other = header[indices[numbers.index(number)]]
            raise DataError(f"AU{number} appears in two columns ('{other}' and '{name}'); name the ones to "
                            "use with au_cols", file=file, line=1)
        indices.append(i)
        numbers.append(number)
    return indices, numbers, ignored
