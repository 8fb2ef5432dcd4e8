"""Generic tidy CSV reader: one row per frame or per sequence.

A *tidy* AU table has one row per observation (a frame, or a whole sequence such as a peak
frame) and either one column per AU (``AU1``, ``AU01``, ``1``, ``AU12_c``, ``au_1``; cells 0/1,
blank = not coded, or intensities 0-5 binarised with a threshold) or one column holding a FACS
code string (``1+2+5B+26``). This is the layout of NetFACS data frames (Mielke et al. 2022), of
CK+ as shipped in NetFACS (Lucey et al. 2010), and what most labs export from their coding tools.

The CSV and column helpers that every reader shares live in :mod:`auknow.readers.columns` and
:mod:`auknow.readers.expression_map`; every reader turns bad input into a
:class:`~auknow.errors.DataError` that names the file and line and says what was expected.
"""

from __future__ import annotations

import math
import warnings
from pathlib import Path
from typing import Sequence

import numpy as np

from ..errors import AuknowError, DataError
from ..facs import au_name, exclusive_cooccurrence, parse_facs
from .columns import MISSING_TOKENS, au_columns, column_index, csv_rows, existing_path, float_column, frame_column
from .expression_map import ExpressionCache
from .frames import MISSING, AUFrames

__all__ = ["MISSING_TOKENS", "read_tidy_csv"]


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

    AU columns (a blank cell is not coded, :data:`MISSING` -1; ``notes`` is not an AU and is
    ignored), then a FACS code column with intensity letters (C = 3, D = 4):

    >>> import tempfile
    >>> tmp = tempfile.TemporaryDirectory()
    >>> table = Path(tmp.name) / "coded.csv"
    >>> _ = table.write_text("subject,expression,AU1,AU12,notes\\nS1,happy,0,1,x\\nS1,sad,1,,y\\nS2,happy,0,1,z\\n")
    >>> f = read_tidy_csv(table)
    >>> f.aus, f.occurrence.tolist(), f.expression.tolist(), f.source["ignored_columns"]
    (('AU01', 'AU12'), [[0, 1], [1, -1], [0, 1]], ['happiness', 'sadness', 'happiness'], ['notes'])
    >>> f.sequence.tolist()
    ['S1_row2', 'S1_row3', 'S2_row4']
    >>> _ = table.write_text("subject,expression,facs\\nS1,happy,6C+12D\\nS1,sad,1+4+15B\\n")
    >>> g = read_tidy_csv(table, facs_col="facs")
    >>> g.aus, g.occurrence.tolist(), g.intensity.tolist()
    (('AU01', 'AU04', 'AU06', 'AU12', 'AU15'), [[0, 0, 1, 1, 0], [1, 1, 0, 0, 1]],
     [[0.0, 0.0, 3.0, 4.0, 0.0], [nan, nan, 0.0, 0.0, 2.0]])
    >>> _ = table.write_text("subject,expression,AU1\\nS1,happy,2\\n")
    >>> read_tidy_csv(table)
    Traceback (most recent call last):
    ...
    auknow.errors.DataError: ...coded.csv:2: column AU1: '2' is not 0, 1 or empty (for intensities 0-5 give a threshold)
    >>> tmp.cleanup()
    """
    p = _checked_options(path, threshold, au_cols, facs_col)
    header, rows, lines = csv_rows(p)
    file = str(p)
    n = len(rows)
    if n == 0:
        raise DataError("no data rows (the file has a header only)", file=file)
    si, ei, qi, fi = _label_columns(header, file, subject_col, expression_col, sequence_col, frame_col)
    used = {i for i in (si, ei, qi, fi) if i is not None}

    subject, expression = _subjects_and_expressions(header, rows, lines, file, si, ei)
    sequence = _sequence_ids(header, rows, lines, file, subject, qi)
    frame = _frame_numbers(header, rows, lines, file, sequence, fi)

    source: dict = {"dataset": "csv", "path": file, "rows_read": n, "subject_col": header[si]}
    for key, i in (("expression_col", ei), ("sequence_col", qi), ("frame_col", fi)):
        if i is not None:
            source[key] = header[i]
    if facs_col is not None:
        ci = column_index(header, facs_col, file, " (the FACS code column; set facs_col)")
        occ, numbers, intensity = _facs_block([r[ci] for r in rows], file, lines, header[ci])
        source["facs_col"] = header[ci]
        source["ignored_columns"] = [h for i, h in enumerate(header) if i not in used and i != ci]
    else:
        occ, numbers, intensity = _au_block(header, rows, lines, file, used, au_cols, threshold, source)
        _note_exclusive(numbers, occ, source, file)
    return AUFrames(aus=[au_name(k) for k in numbers], occurrence=occ, subject=subject,
                    sequence=np.array(sequence, dtype=str), frame=frame, expression=expression,
                    intensity=intensity, source=source)


def _checked_options(path: str | Path, threshold: float | None, au_cols, facs_col: str | None) -> Path:
    """The CSV file's path, after checking that it is a file and that the options fit together."""
    p = existing_path(path, "a CSV file with one row per frame or sequence")
    if p.is_dir():
        raise DataError("expected a CSV file, found a folder", file=str(p))
    if threshold is not None and not 0 < threshold <= 5:
        raise DataError(f"threshold {threshold:g} is outside (0, 5] (intensities are 0-5)", file=str(p))
    if facs_col is not None and au_cols is not None:
        raise DataError("give either au_cols or facs_col, not both", file=str(p))
    return p


def _subjects_and_expressions(header: list[str], rows: list[list[str]], lines: Sequence[int], file: str, si: int,
                              ei: int | None) -> tuple[list[str], list[str] | None]:
    """Subject ids (none blank) and canonical expressions (``None`` without an expression column)."""
    subject = [r[si].strip() for r in rows]
    for s, line in zip(subject, lines):
        if not s:
            raise DataError(f"empty {header[si]} (subject id)", file=file, line=line)
    if ei is None:
        return subject, None
    canon = ExpressionCache()
    return subject, [canon(r[ei], file, line, header[ei]) for r, line in zip(rows, lines)]


def _label_columns(header: list[str], file: str, subject_col: str, expression_col: str | None,
                   sequence_col: str | None, frame_col: str | None) -> tuple[int, int | None, int | None, int | None]:
    """Indices of the subject, expression, sequence and frame columns (``None`` where not asked for)."""
    si = column_index(header, subject_col, file, " (the subject column; set subject_col)")
    ei = qi = fi = None
    if expression_col is not None:
        ei = column_index(header, expression_col, file, " (the expression column; set expression_col)")
    if sequence_col is not None:
        qi = column_index(header, sequence_col, file, " (set sequence_col)")
    if frame_col is not None:
        fi = column_index(header, frame_col, file, " (set frame_col)")
    return si, ei, qi, fi


def _sequence_ids(header: list[str], rows: list[list[str]], lines: Sequence[int], file: str, subject: list[str],
                  qi: int | None) -> list[str]:
    """Sequence id of each row: ``{subject}_row{line}`` without a sequence column; the column's ids,
    prefixed with the subject when several subjects use one id."""
    if qi is None:
        return [f"{s}_row{line}" for s, line in zip(subject, lines)]
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
    return [f"{s}_{q}" for s, q in zip(subject, raw_seq)] if shared else raw_seq


def _frame_numbers(header: list[str], rows: list[list[str]], lines: Sequence[int], file: str,
                   sequence: list[str], fi: int | None) -> np.ndarray:
    """``[N]`` int64 frame numbers: the frame column (each once per sequence), else the position of
    the row in its sequence (0, 1, ...)."""
    if fi is None:
        counter: dict[str, int] = {}
        frame_list = []
        for q in sequence:
            k = counter.get(q, 0)
            frame_list.append(k)
            counter[q] = k + 1
        return np.array(frame_list, dtype=np.int64)
    frame = frame_column([r[fi] for r in rows], file, lines, header[fi])
    seen: dict[tuple[str, int], int] = {}
    for q, f, line in zip(sequence, frame.tolist(), lines):
        first = seen.setdefault((q, f), line)
        if first != line:
            raise DataError(f"frame {f} of sequence {q} appears more than once (first on line {first})",
                            file=file, line=line)
    return frame


def _au_block(header: list[str], rows: list[list[str]], lines: Sequence[int], file: str, used: set[int],
              au_cols: Sequence[str] | None, threshold: float | None, source: dict
              ) -> tuple[np.ndarray, list[int], np.ndarray | None]:
    """Occurrence ``[N, A]`` int8, FACS numbers (sorted) and intensity (with ``threshold``) of the AU
    columns; records ``ignored_columns`` (and the threshold) in ``source``."""
    indices, numbers, ignored = au_columns(header, used, file, au_cols)
    if not indices:
        raise DataError("no AU columns (expected e.g. AU1, AU01, 1, AU12_c or au_1; or set facs_col)",
                        file=file, line=1)
    source["ignored_columns"] = ignored
    order = np.argsort(numbers, kind="stable")
    indices = [indices[k] for k in order]
    numbers = [numbers[k] for k in order]
    values = np.column_stack([float_column([r[i] for r in rows], file, lines, header[i]) for i in indices])
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
        return np.where(known, values, MISSING).astype(np.int8), numbers, None
    source["threshold"] = float(threshold)
    occ = np.where(known, values >= threshold, MISSING).astype(np.int8)
    return occ, numbers, values.astype(np.float32)


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
