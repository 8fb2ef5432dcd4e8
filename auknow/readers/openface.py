"""Reader of OpenFace 2.x per-video CSV files (``FeatureExtraction -aus`` output).

Source: Baltrusaitis, Zadeh, Lim & Morency (2018), "OpenFace 2.0: Facial Behavior Analysis
Toolkit", IEEE FG, doi:10.1109/FG.2018.00019. One CSV per video: ``frame, [face_id,] timestamp,
confidence, success, ..., AU01_r ... AU45_r, AU01_c ... AU45_c``; column names carry a leading
space. ``AUxx_c`` is presence (0/1, 18 AUs), ``AUxx_r`` intensity 0-5 (17 AUs, no AU28); the two
come from different models and can disagree.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np

from ..errors import DataError
from ..facs import codes
from .columns import float_column
from .csvio import read_delimited
from .detector_files import (DetectorExpressions, apply_file_labels, check_frames_unique, detector_au_columns,
                             detector_files, detector_ids, file_labels_for, frame_numbers, frames_from_parts,
                             select_listed, subjects_provenance)
from .filelabels import FileLabels
from .frames import MISSING, AUFrames

OPENFACE_REFERENCE = "Baltrusaitis et al. (2018), OpenFace 2.0, IEEE FG, doi:10.1109/FG.2018.00019"

_OPENFACE_AU = re.compile(r"^AU(\d+)_([cr])$", re.IGNORECASE)


def read_openface(paths: str | Path | Iterable[str | Path], use: str = "c", threshold: float = 1.0,
                  subject: str | None = None, expression: str | None = None,
                  expressions_file: str | Path | None = None, labels: str | Path | FileLabels | None = None,
                  name_pattern: str | None = None) -> AUFrames:
    """Read OpenFace 2.x per-video CSV files (``FeatureExtraction -aus`` output).

    Args:
        paths: a CSV file, a folder of them, or a list of files / folders; one file per video.
            Header names are stripped (OpenFace writes ``" AU01_r"``).
        use: ``"c"`` reads the presence columns ``AUxx_c`` (0/1, 18 AUs); ``"r"`` binarises the
            intensity columns ``AUxx_r`` (0-5, 17 AUs): present when ``>= threshold``.
        threshold: intensity threshold for ``use="r"``, in (0, 5] (1 = "present at minimum").
        subject: subject id for every file; default the file stem (one person per video).
        expression: the name of a column of the files holding expression labels, or else one
            expression name for every frame (any alias, e.g. ``happy``).
        expressions_file: CSV with columns ``sequence`` (the file stem, or the per-face sequence
            id) or ``subject``, and ``expression``. Without ``expression`` and ``expressions_file``, an ``expression``
            column of the files is used when there is one, else ``expression=None``. A file with
            a ``file`` column, or ``sequence`` and ``subject`` columns, is read as ``labels``.
        labels: the subject and / or expression of each file: a CSV with a ``sequence`` or
            ``file`` column (the file stem) and ``subject`` and / or ``expression`` columns, or
            DFEW's ``video_name,label`` split file (only the clips it lists are read; every one
            must have a file ``<5-digit id>.csv``). See :mod:`auknow.readers.filelabels`.
        name_pattern: instead, a regular expression with named groups ``subject`` and / or
            ``expression`` matched against each whole file stem, e.g.
            ``(?P<subject>[^_]+)_(?P<expression>\\w+)``.

    Returns:
        :class:`AUFrames` with one row per frame: ``occurrence [N, A]`` int8 (rows with
        ``success == 0`` are :data:`MISSING`), ``intensity [N, A]`` float32 from the ``AUxx_r``
        columns (NaN for AU28 and failed frames), ``sequence`` = file stem (``{stem}_face{id}``
        when a ``face_id`` column has several faces), ``frame`` from the ``frame`` column.
        ``source``: dataset ``openface``, path, use, threshold, files read, failed frames.

    Raises:
        DataError: missing file, no AU columns of the kind asked for, an AU column twice, a
            ragged row, a non-numeric cell, ``_c`` not 0/1, ``_r`` outside 0-5, duplicate frames, a
            file without frames, an unknown expression, a sequence / subject missing from the
            expressions or labels file, a file name the pattern does not match; each names the
            file and, for a cell or row, its line (``file:line``).

    Source: Baltrusaitis et al. (2018), doi:10.1109/FG.2018.00019.

    Two videos; frame 3 of the first failed (``success`` 0), so its AUs are :data:`MISSING` (-1):

    >>> import tempfile
    >>> tmp = tempfile.TemporaryDirectory()
    >>> folder = Path(tmp.name)
    >>> head = "frame, face_id, timestamp, confidence, success, AU01_r, AU12_r, AU01_c, AU12_c\\n"
    >>> _ = (folder / "S01_happy.csv").write_text(head + "1, 0, 0.00, 0.98, 1, 0.20, 2.50, 0, 1\\n"
    ...     "2, 0, 0.03, 0.97, 1, 1.40, 3.10, 1, 1\\n3, 0, 0.07, 0.10, 0, 0.00, 0.00, 0, 0\\n")
    >>> _ = (folder / "S02_sad.csv").write_text(head + "1, 0, 0.00, 0.95, 1, 2.00, 0.10, 1, 0\\n")
    >>> f = read_openface(folder)
    >>> f.aus, f.occurrence.tolist(), f.sequence.tolist(), f.frame.tolist(), f.source["frames_failed"]
    (('AU01', 'AU12'), [[0, 1], [1, 1], [-1, -1], [1, 0]], ['S01_happy', 'S01_happy', 'S01_happy', 'S02_sad'],
     [1, 2, 3, 1], 1)
    >>> np.round(f.intensity.astype(float), 2).tolist()
    [[0.2, 2.5], [1.4, 3.1], [nan, nan], [2.0, 0.1]]
    >>> g = read_openface(folder, use="r", threshold=1.5, name_pattern=r"(?P<subject>[^_]+)_(?P<expression>\\w+)")
    >>> g.occurrence.tolist(), g.subject.tolist(), g.expression.tolist()
    ([[0, 1], [0, 1], [-1, -1], [1, 0]], ['S01', 'S01', 'S01', 'S02'],
     ['happiness', 'happiness', 'happiness', 'sadness'])
    >>> _ = (folder / "S03.csv").write_text("frame, success, AU01_c\\n1, 1, 0.5\\n")
    >>> read_openface(folder / "S03.csv")
    Traceback (most recent call last):
    ...
    auknow.errors.DataError: .../S03.csv:2: column AU01_c: '0.5' is not 0 or 1 (presence)
    >>> tmp.cleanup()
    """
    if use not in ("c", "r"):
        raise DataError(f"use must be 'c' (AUxx_c presence) or 'r' (AUxx_r intensity), got '{use}'")
    if use == "r" and not 0 < threshold <= 5:
        raise DataError(f"threshold {threshold:g} is outside (0, 5] (OpenFace intensities are 0-5)")
    files, shown = detector_files(paths, "OpenFace")
    file_labels, expressions_file = file_labels_for(labels, name_pattern, expressions_file)
    if file_labels is not None and file_labels.has_expression and expression is not None:
        raise DataError("give an expression or a labels file / pattern with expressions, not both",
                        file=file_labels.source if file_labels.kind != "pattern" else None)
    files, listed = select_listed(files, file_labels)
    exprs = DetectorExpressions(expression, expressions_file)
    known = codes()
    parts, failed = [], 0
    for path in files:
        part, n_failed = _read_file(path, use, threshold, subject, file_labels, exprs, known)
        parts.append(part)
        failed += n_failed
    source = {"dataset": "openface", "path": shown, "reference": OPENFACE_REFERENCE, "use": use,
              "files_read": len(files), "frames_failed": failed, **listed, **subjects_provenance(file_labels, subject)}
    if use == "r":
        source["threshold"] = float(threshold)
    if expressions_file is not None:
        source["expressions"] = str(expressions_file)
    elif expression is not None:
        source["expression"] = expression
    return frames_from_parts(parts, source, with_intensity=any(p["int"] for p in parts))


def _au_columns(header: list[str], file: str, known, use: str) -> tuple[dict[int, int], dict[int, int]]:
    """``({AU number: column} of the kind ``use`` asks for, {AU number: column} of AUxx_r)``."""
    by_kind = detector_au_columns(header, _OPENFACE_AU, file, known)
    c_cols, r_cols = by_kind.get("c", {}), by_kind.get("r", {})
    chosen = c_cols if use == "c" else r_cols
    if not chosen:
        other = "r" if use == "c" else "c"
        has_other = bool(r_cols if use == "c" else c_cols)
        hint = f"; the file has AUxx_{other} columns, try use='{other}'" if has_other else ""
        raise DataError(f"no AUxx_{use} columns (expected OpenFace 2.x output such as AU01_{use}{hint})",
                        file=file, line=1)
    return chosen, r_cols


def _tracked(header: list[str], rows: list[list[str]], lines: Sequence[int], file: str) -> np.ndarray:
    """``[n]`` bool: the frames OpenFace tracked (``success`` 1; all when there is no such column)."""
    lower = [h.lower() for h in header]
    if "success" not in lower:
        return np.ones(len(rows), dtype=bool)
    i = lower.index("success")
    s = float_column([r[i] for r in rows], file, lines, header[i], allow_missing=False)
    bad = (s != 0) & (s != 1)
    if bad.any():
        k = int(np.argmax(bad))
        raise DataError(f"column success: '{rows[k][i].strip()}' is not 0 or 1", file=file, line=lines[k])
    return s == 1


def _read_file(path: Path, use: str, threshold: float, subject: str | None, file_labels: FileLabels | None,
               exprs: DetectorExpressions, known) -> tuple[dict, int]:
    """One OpenFace file as a part (see :mod:`auknow.readers.detector_files`) and its failed frames."""
    file = str(path)
    header, rows, lines, _ = read_delimited(path)
    if not rows:
        raise DataError("no frames (the file has a header only)", file=file)
    chosen, r_cols = _au_columns(header, file, known, use)
    ok = _tracked(header, rows, lines, file)
    frame = frame_numbers(header, rows, lines, file)
    sequence, subj = detector_ids(path, header, rows, lines, "face_id", subject)
    subj, labelled = apply_file_labels(file_labels, path, sequence, subj)
    check_frames_unique(sequence, frame, file, lines, "")
    occ: dict[int, np.ndarray] = {}
    inten: dict[int, np.ndarray] = {}
    for number, i in r_cols.items():
        v = float_column([r[i] for r in rows], file, lines, header[i])
        bad = ok & ((v < 0) | (v > 5))
        if bad.any():
            k = int(np.argmax(bad))
            raise DataError(f"column {header[i]}: {v[k]:g} is outside the intensity range 0-5", file=file,
                            line=lines[k])
        v = v.astype(np.float32)
        v[~ok] = np.nan
        inten[number] = v
    for number, i in chosen.items():
        if use == "c":
            v = float_column([r[i] for r in rows], file, lines, header[i])
            bad = ok & ~np.isnan(v) & (v != 0) & (v != 1)
            if bad.any():
                k = int(np.argmax(bad))
                raise DataError(f"column {header[i]}: '{rows[k][i].strip()}' is not 0 or 1 (presence)",
                                file=file, line=lines[k])
        else:
            v = inten[number]
        occ[number] = np.where(np.isnan(v) | ~ok, MISSING, v >= (threshold if use == "r" else 1)).astype(np.int8)
    expr = labelled if labelled is not None else exprs.for_file(header, rows, lines, file, sequence, subj)
    part = {"n": len(rows), "occ": occ, "int": {k: v for k, v in inten.items() if k in occ}, "frame": frame,
            "sequence": sequence, "subject": subj, "expression": expr}
    return part, int((~ok).sum())
