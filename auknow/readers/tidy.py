"""Generic tidy CSV reader (one row per frame or per sequence) and the parsing helpers that the
dataset and detector readers share.

A *tidy* AU table has one row per observation (a frame, or a whole sequence such as a peak
frame) and either one column per AU (``AU1``, ``AU01``, ``1``, ``AU12_c``, ``au_1``; cells 0/1,
blank = not coded, or intensities 0-5 binarised with a threshold) or one column holding a FACS
code string (``1+2+5B+26``). This is the layout of NetFACS data frames (Mielke et al. 2022), of
CK+ as shipped in NetFACS (Lucey et al. 2010), and what most labs export from their coding tools.

The helpers (``_numeric_rows``, ``_float_column``, ``_ExpressionCache``, ``_read_expression_map``)
are private to :mod:`auknow.readers`: every reader turns bad input into a
:class:`~auknow.errors.DataError` that names the file and line and says what was expected.
"""

from __future__ import annotations

import csv
import io
import math
import re
import warnings
from pathlib import Path
from typing import Iterable, Mapping, Sequence

import numpy as np

from ..errors import AuknowError, DataError
from ..expressions import canonical_expression
from ..facs import au_name, exclusive_cooccurrence, parse_au_column, parse_facs
from .frames import MISSING, AUFrames

#: Cell texts read as "not coded" (lower-cased, stripped): blank, R's NA, pandas' NaN.
MISSING_TOKENS = frozenset({"", "na", "nan", "n/a", "none", "null"})

# A header that *looks* like an AU column (so a spelling we cannot parse is an error rather than
# an ignored extra column): AU12x, au_99, 12b, ...
_AU_LIKE = re.compile(r"^\s*(?:(?:au|ad)[\s_]?\d|\d+\s*$|\d+[lr]?_)", re.IGNORECASE)


# ---------------------------------------------------------------------------------------------
# shared helpers
# ---------------------------------------------------------------------------------------------
def _existing(path: str | Path, what: str) -> Path:
    """``Path(path)``, or :class:`DataError` naming it when it does not exist."""
    p = Path(path)
    if not p.exists():
        raise DataError(f"no such file or folder (expected {what})", file=str(p))
    return p


def _read_text(path: Path) -> str:
    """Whole text of a UTF-8 file (a byte-order mark is dropped); errors become DataError."""
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


def _line_of_row(text: str, skip: int, k: int) -> int:
    """1-based line number of the ``k``-th (0-based) non-blank line after the first ``skip`` lines."""
    seen = -1
    for lineno, raw in enumerate(text.split("\n"), start=1):
        if lineno <= skip or not raw.strip():
            continue
        seen += 1
        if seen == k:
            return lineno
    return skip + k + 1


def _numeric_rows(text: str, file: str, skip: int, names: Sequence[str], dtype=np.int64) -> np.ndarray:
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
        values = []
        for name, cell in zip(names, cells):
            cell = cell.strip()
            try:
                v = float(cell)
            except ValueError:
                raise DataError(f"column {name}: '{cell}' is not a number", file=file, line=lineno) from None
            if integer and not v.is_integer():
                raise DataError(f"column {name}: '{cell}' is not a whole number", file=file, line=lineno)
            if not integer and math.isinf(v):
                raise DataError(f"column {name}: '{cell}' is not a finite number", file=file, line=lineno)
            values.append(v)
        rows.append(values)
    return np.array(rows, dtype=dtype).reshape(len(rows), ncols)


def _float_column(cells: list[str], file: str, lines: Sequence[int], name: str,
                  allow_missing: bool = True) -> np.ndarray:
    """Cells of one CSV column as float64; :data:`MISSING_TOKENS` give NaN (when allowed).

    Raises:
        DataError: a non-numeric (or, when not allowed, missing) cell, naming its line.
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


def _frame_column(cells: list[str], file: str, lines: Sequence[int], name: str) -> np.ndarray:
    """A frame-number column as int64 (whole numbers >= 0; ``12.0`` is accepted)."""
    values = _float_column(cells, file, lines, name, allow_missing=False)
    bad = (values < 0) | (values != np.floor(values))
    if bad.any():
        i = int(np.argmax(bad))
        raise DataError(f"column {name}: '{cells[i].strip()}' is not a frame number (a whole number >= 0)",
                        file=file, line=lines[i])
    return values.astype(np.int64)


def _check_duplicate_frames(frames: np.ndarray, file: str, lines, what: str = "frame") -> None:
    """Raise DataError naming the line of the second occurrence of a repeated frame number."""
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


class _ExpressionCache:
    """``canonical_expression`` with a cache, turning unknown names into DataError."""

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


def _stack_au_columns(blocks: Sequence[Mapping[int, np.ndarray]], sizes: Sequence[int], numbers: Sequence[int],
                      fill, dtype) -> np.ndarray:
    """Stack per-file ``{AU number: column [n_k]}`` blocks into one ``[sum n_k, len(numbers)]`` array
    (files in order, AUs in ``numbers`` order), ``fill`` where a file lacks an AU."""
    out = np.full((int(sum(sizes)), len(numbers)), fill, dtype=dtype)
    start = 0
    for cols, size in zip(blocks, sizes):
        for j, k in enumerate(numbers):
            if k in cols:
                out[start:start + size, j] = cols[k]
        start += size
    return out


def _csv_rows(path: Path) -> tuple[list[str], list[list[str]], list[int]]:
    """Header (stripped), data rows and their 1-based line numbers of a CSV file.

    Blank rows are skipped; a row with a different number of cells than the header raises
    :class:`DataError` naming its line (a ragged row).
    """
    text = _read_text(path)
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


def _column_index(header: list[str], name: str, file: str, hint: str = "") -> int:
    """Index of column ``name`` (exact, else case-insensitive), or DataError naming the file."""
    if name in header:
        return header.index(name)
    lower = [h.lower() for h in header]
    if name.lower() in lower:
        return lower.index(name.lower())
    shown = ", ".join(header[:12]) + (", ..." if len(header) > 12 else "")
    raise DataError(f"no column '{name}'{hint} (columns: {shown})", file=file, line=1)


def _read_expression_map(path: str | Path, keys: Sequence[str]) -> tuple[str, dict[tuple, str], dict[tuple, int]]:
    """Read an expressions CSV: a key column (the first of ``keys`` present) and ``expression``.

    ``keys`` lists alternatives: ``("sequence", "subject")`` takes the ``sequence`` column if the
    file has one, else ``subject``. A tuple such as ``("subject", "frame")`` (joined by ``+``)
    asks for several key columns at once.

    Returns:
        ``(key_name, mapping, lines)``: ``mapping[key_tuple] = canonical expression`` and the line
        of each key (for messages).

    Raises:
        DataError: missing file / columns, a duplicate key, an unknown expression, a bad frame.
    """
    p = _existing(path, "an expressions CSV with an expression column")
    header, rows, lines = _csv_rows(p)
    file = str(p)
    lower = [h.lower() for h in header]
    chosen = None
    for key in keys:
        parts = key.split("+")
        if all(part in lower for part in parts):
            chosen = parts
            break
    if chosen is None:
        raise DataError(f"expected columns {' or '.join(k.replace('+', ', ') for k in keys)} and expression",
                        file=file, line=1)
    if "expression" not in lower:
        raise DataError("expected an 'expression' column", file=file, line=1)
    idx = [lower.index(part) for part in chosen]
    ei = lower.index("expression")
    canon = _ExpressionCache()
    columns = []
    for part, i in zip(chosen, idx):
        if part == "frame":
            columns.append(_frame_column([r[i] for r in rows], file, lines, header[i]).tolist())
        else:
            col = [r[i].strip() for r in rows]
            if not all(col):
                k = col.index("")
                raise DataError(f"empty {part}", file=file, line=lines[k])
            columns.append(col)
    keys = list(zip(*columns))
    values = [canon(r[ei], file, line, header[ei]) for r, line in zip(rows, lines)]
    mapping: dict[tuple, str] = dict(zip(keys, values))
    where: dict[tuple, int] = {}
    if len(mapping) != len(keys):
        for key_t, line in zip(keys, lines):
            if key_t in where:
                raise DataError(f"{'+'.join(chosen)} {', '.join(map(str, key_t))} appears twice "
                                f"(first on line {where[key_t]})", file=file, line=line)
            where[key_t] = line
    where = dict(zip(keys, lines))
    if not mapping:
        raise DataError("no rows (the file has a header only)", file=file)
    return "+".join(chosen), mapping, where


def _au_columns(header: list[str], skip: Iterable[int], file: str, au_cols: Sequence[str] | None = None,
                suffixes: Iterable[str | None] | None = None) -> tuple[list[int], list[int], list[str]]:
    """Find the AU columns of a header.

    Args:
        header: stripped column names.
        skip: indices of columns used for something else (subject, expression, ...).
        au_cols: explicit AU column names (any spelling); ``None`` takes every column that parses
            as an AU name and ignores the others, except that a name that looks like an AU but does
            not parse (``AU99``, ``AU12x``) is an error.
        suffixes: accepted suffixes (``None`` = no suffix, ``"c"``, ``"r"``, ...); default all.

    Returns:
        ``(indices, numbers, ignored)``: the AU columns, their FACS numbers, the other columns.

    Raises:
        DataError: unknown AU column, one-sided AU column, an AU twice.
    """
    skip = set(skip)
    ok_suffix = None if suffixes is None else set(suffixes)
    indices, numbers, ignored = [], [], []
    if au_cols is not None:
        candidates = []
        for name in au_cols:
            candidates.append(_column_index(header, str(name).strip(), file, " (named in au_cols)"))
    else:
        candidates = [i for i in range(len(header)) if i not in skip]
    for i in candidates:
        name = header[i]
        try:
            number, side, suffix = parse_au_column(name)
        except AuknowError as exc:
            if au_cols is not None or _AU_LIKE.match(name):
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


# ---------------------------------------------------------------------------------------------
# the tidy CSV reader
# ---------------------------------------------------------------------------------------------
def read_tidy_csv(path: str | Path, subject_col: str = "subject", expression_col: str | None = "expression",
                  sequence_col: str | None = None, frame_col: str | None = None,
                  au_cols: Sequence[str] | None = None, facs_col: str | None = None,
                  threshold: float | None = None) -> AUFrames:
    """Read a tidy AU table: one row per frame or per sequence, AUs as columns or a FACS string.

    Args:
        path: the CSV file (UTF-8, comma-separated, a header row).
        subject_col: column of subject ids (required; a blank cell is an error).
        expression_col: column of expression labels (any alias of the vocabulary, e.g. ``happy``);
            ``None`` reads no labels (``expression=None``).
        sequence_col: column of sequence (video) ids. ``None``: every row is its own sequence,
            id ``{subject}_row{line}``. Ids used by several subjects are prefixed with the subject
            (``{subject}_{id}``) so that sequence ids are unique.
        frame_col: column of frame numbers (whole numbers >= 0). ``None``: the row's position in
            its sequence (0, 1, ...).
        au_cols: the AU columns to read (any spelling); ``None`` takes every column whose name
            parses as an AU (``AU1``, ``AU01``, ``1``, ``AU12_c``, ``au_1``) and ignores the other
            columns (listed in ``source["ignored_columns"]``).
        facs_col: instead of AU columns, a column of FACS code strings (``1+2+5B+26``; laterality
            and intensity letters are accepted, ``L12`` counts as AU12). The AU set is the union
            over rows; an AU not mentioned in a row is absent (0); a blank cell or ``0`` means no
            AU; ``NA`` means not coded (the whole row :data:`MISSING`). Intensity letters A-E
            give ``intensity`` 1-5 (NaN where a present AU has no letter, 0 where absent) when any
            row has one. A code string with a FACS 2002 exclusive pair (``26+27``) is an error.
        threshold: ``None``: AU cells must be 0 or 1 (blank / ``NA`` = not coded). A number in
            (0, 5]: cells are intensities 0-5, occurrence = intensity >= threshold, and the
            intensities are kept. Not used with ``facs_col``.

    Returns:
        :class:`AUFrames` with ``occurrence [N, A]`` int8 (N = data rows, A = AU columns, sorted
        by FACS number), ``expression [N]`` (or ``None``), ``intensity [N, A]`` (with
        ``threshold`` or intensity letters, else ``None``), and ``source`` with dataset ``csv``,
        path, options, ``rows_read``, ``ignored_columns`` and, when AU columns code both AUs of a
        FACS 2002 exclusive pair in some rows (kept, with a warning), ``exclusive_cooccurrence``
        (``["AU26+AU27: 2"]``: pair and rows; it goes into ``estimate-prior``'s provenance).

    Raises:
        DataError: missing file or column, ragged row, unknown AU column, a cell that is not 0/1
            (or not 0-5 with ``threshold``), a malformed FACS string, an unknown expression, an
            empty subject, duplicate frames in a sequence; each names the file and line.

    Source: the tidy layout of NetFACS (Mielke et al. 2022) and of CK+ as shipped there
    (Lucey et al. 2010, doi:10.1109/CVPRW.2010.5543262).
    """
    p = _existing(path, "a CSV file with one row per frame or sequence")
    if p.is_dir():
        raise DataError("expected a CSV file, found a folder", file=str(p))
    if threshold is not None and not 0 < threshold <= 5:
        raise DataError(f"threshold {threshold:g} is outside (0, 5] (intensities are 0-5)", file=str(p))
    if facs_col is not None and au_cols is not None:
        raise DataError("give either au_cols or facs_col, not both", file=str(p))
    header, rows, lines = _csv_rows(p)
    file = str(p)
    n = len(rows)
    if n == 0:
        raise DataError("no data rows (the file has a header only)", file=file)

    si = _column_index(header, subject_col, file, " (the subject column; set subject_col)")
    used = {si}
    ei = qi = fi = None
    if expression_col is not None:
        ei = _column_index(header, expression_col, file, " (the expression column; set expression_col)")
        used.add(ei)
    if sequence_col is not None:
        qi = _column_index(header, sequence_col, file, " (set sequence_col)")
        used.add(qi)
    if frame_col is not None:
        fi = _column_index(header, frame_col, file, " (set frame_col)")
        used.add(fi)

    subject = [r[si].strip() for r in rows]
    for s, line in zip(subject, lines):
        if not s:
            raise DataError(f"empty {header[si]} (subject id)", file=file, line=line)
    expression = None
    if ei is not None:
        canon = _ExpressionCache()
        expression = [canon(r[ei], file, line, header[ei]) for r, line in zip(rows, lines)]

    # sequences
    if qi is None:
        sequence = [f"{s}_row{line}" for s, line in zip(subject, lines)]
    else:
        raw_seq = [r[qi].strip() for r in rows]
        for q, line in zip(raw_seq, lines):
            if not q:
                raise DataError(f"empty {header[qi]} (sequence id)", file=file, line=line)
        owners: dict[str, str] = {}
        shared = False
        for q, s in zip(raw_seq, subject):
            if owners.setdefault(q, s) != s:
                shared = True
                break
        sequence = [f"{s}_{q}" for s, q in zip(subject, raw_seq)] if shared else raw_seq
    # frames
    if fi is not None:
        frame = _frame_column([r[fi] for r in rows], file, lines, header[fi])
    else:
        counter: dict[str, int] = {}
        frame_list = []
        for q in sequence:
            k = counter.get(q, 0)
            frame_list.append(k)
            counter[q] = k + 1
        frame = np.array(frame_list, dtype=np.int64)
    seq_arr = np.array(sequence, dtype=str)
    if fi is not None:
        seen: dict[tuple[str, int], int] = {}
        for q, f, line in zip(sequence, frame.tolist(), lines):
            first = seen.setdefault((q, f), line)
            if first != line:
                raise DataError(f"frame {f} of sequence {q} appears more than once (first on line {first})",
                                file=file, line=line)

    source: dict = {"dataset": "csv", "path": file, "rows_read": n, "subject_col": header[si]}
    if ei is not None:
        source["expression_col"] = header[ei]
    if qi is not None:
        source["sequence_col"] = header[qi]
    if fi is not None:
        source["frame_col"] = header[fi]

    intensity = None
    if facs_col is not None:
        ci = _column_index(header, facs_col, file, " (the FACS code column; set facs_col)")
        occ, numbers, intensity = _facs_block([r[ci] for r in rows], file, lines, header[ci])
        source["facs_col"] = header[ci]
        source["ignored_columns"] = [h for i, h in enumerate(header) if i not in used and i != ci]
    else:
        indices, numbers, ignored = _au_columns(header, used, file, au_cols)
        if not indices:
            raise DataError("no AU columns (expected e.g. AU1, AU01, 1, AU12_c or au_1; or set facs_col)",
                            file=file, line=1)
        source["ignored_columns"] = ignored
        order = np.argsort(numbers, kind="stable")
        indices = [indices[k] for k in order]
        numbers = [numbers[k] for k in order]
        values = np.column_stack([_float_column([r[i] for r in rows], file, lines, header[i]) for i in indices])
        known = ~np.isnan(values)
        if threshold is None:
            bad = known & (values != 0) & (values != 1)
            what = "is not 0, 1 or empty (for intensities 0-5 give a threshold)"
        else:
            bad = known & ((values < 0) | (values > 5))
            what = "is outside the intensity range 0-5"
        if bad.any():
            k = int(np.argmax(bad.any(axis=1)))
            j = int(np.argmax(bad[k]))
            raise DataError(f"column {header[indices[j]]}: '{rows[k][indices[j]].strip()}' {what}", file=file,
                            line=lines[k])
        if threshold is None:
            occ = np.where(known, values, MISSING).astype(np.int8)
        else:
            occ = np.where(known, values >= threshold, MISSING).astype(np.int8)
            intensity = values.astype(np.float32)
            source["threshold"] = float(threshold)
        _note_exclusive(numbers, occ, source, file)

    frames = AUFrames(aus=[au_name(k) for k in numbers], occurrence=occ, subject=subject, sequence=seq_arr,
                      frame=frame, expression=expression, intensity=intensity, source=source)
    return frames


def _note_exclusive(numbers: Sequence[int], occ: np.ndarray, source: dict, file: str) -> None:
    """AU columns are independent judgements: rows coding a FACS 2002 exclusive pair (AU26 and AU27)
    are kept, counted in ``source["exclusive_cooccurrence"]`` and warned about."""
    counts = exclusive_cooccurrence(numbers, occ)
    if counts:
        source["exclusive_cooccurrence"] = [f"{pair}: {k}" for pair, k in counts.items()]  # plain, for provenance
        listed = ", ".join(f"{pair} in {k} row(s)" for pair, k in counts.items())
        warnings.warn(f"{file}: AUs that FACS 2002 says cannot be scored together are both present: {listed}; "
                      "kept as coded (counts in source['exclusive_cooccurrence'])", stacklevel=3)


def _facs_block(cells: list[str], file: str, lines: Sequence[int], name: str
                ) -> tuple[np.ndarray, list[int], np.ndarray | None]:
    """Occurrence / numbers / intensity of a column of FACS code strings (see read_tidy_csv)."""
    parsed: list[dict[int, float] | None] = []
    any_letter = False
    for cell, line in zip(cells, lines):
        text = cell.strip()
        if text.lower() in MISSING_TOKENS - {""}:
            parsed.append(None)
            continue
        if text in ("", "0"):
            parsed.append({})
            continue
        try:
            items = parse_facs(text)
        except AuknowError as exc:
            raise DataError(f"column {name}: {exc}", file=file, line=line) from None
        row: dict[int, float] = {}
        for item in items:
            scores = item.intensity_scores()
            value = float(max(scores)) if scores else float("nan")
            any_letter = any_letter or bool(scores)
            old = row.get(item.number)
            if old is None or (not math.isnan(value) and (math.isnan(old) or value > old)):
                row[item.number] = value
        parsed.append(row)
    numbers = sorted({k for row in parsed if row for k in row})
    if not numbers:
        raise DataError(f"column {name}: no AU in any row", file=file)
    col = {k: j for j, k in enumerate(numbers)}
    n = len(cells)
    occ = np.zeros((n, len(numbers)), dtype=np.int8)
    intensity = np.zeros((n, len(numbers)), dtype=np.float32) if any_letter else None
    for i, row in enumerate(parsed):
        if row is None:
            occ[i] = MISSING
            if intensity is not None:
                intensity[i] = np.nan
            continue
        for k, v in row.items():
            occ[i, col[k]] = 1
            if intensity is not None:
                intensity[i, col[k]] = v
    return occ, numbers, intensity
