"""Reader of iMotions exports of Emotient FACET: AU Evidence per frame.

Layout (iMotions 6.x sensor data export, one file per respondent): a preamble of ``#Key : value``
lines (``#Study``, ``#Date``, ``#Version``, ...), a blank line, then a tab-separated table with
one row per video frame: ``StudyName, ExportDate, Name`` (the respondent), ``Age, Gender,
StimulusName, ..., FrameNo, FrameTime, NoOfFaces``, face box, emotion ``<Emotion> Evidence`` /
``Intensity`` columns, ``AU1 Evidence ... AU43 Evidence`` (20 AUs), head pose and landmarks.
Rows without a face (``NoOfFaces`` 0) have empty cells.

FACET's Evidence is a log10 odds: the evidence that an expert coder would score the AU present
(Evidence 0: as likely present as absent; 1: ten times more likely present). An AU counts as
present when Evidence >= ``threshold`` (default 0).

Source: Littlewort, Whitehill, Wu, Fasel, Frank, Movellan & Bartlett (2011), "The computer
expression recognition toolbox (CERT)", IEEE FG, doi:10.1109/FG.2011.5771414 (FACET is CERT's
commercial successor by Emotient); layout from a real export shipped with py-feat's test data
(``iMotions_Test_v6.txt``, MIT licence).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Iterable

import numpy as np

from ..errors import DataError
from .columns import float_column
from .csvio import read_delimited
from .detector_files import (DetectorExpressions, apply_file_labels, check_frames_unique, detector_au_columns,
                             detector_files, file_labels_for, frame_numbers, frames_from_parts, select_listed,
                             subjects_provenance)
from .filelabels import FileLabels
from .frames import MISSING, AUFrames

IMOTIONS_REFERENCE = ("Littlewort et al. (2011), CERT, IEEE FG, doi:10.1109/FG.2011.5771414; "
                      "iMotions FACET export (Emotient)")

_EVIDENCE = re.compile(r"^AU\s*0*(\d+)\s+Evidence$", re.IGNORECASE)


def _au_evidence_columns(header: list[str], file: str) -> dict[int, int]:
    """``{AU number: column index}`` of the ``AUn Evidence`` columns (an AU twice is an error)."""
    out = detector_au_columns(header, _EVIDENCE, file).get("", {})
    if not out:
        raise DataError("no 'AUn Evidence' columns (expected an iMotions FACET export with AU1 Evidence, "
                        "AU2 Evidence, ...)", file=file, line=1)
    return out


def _column(header: list[str], name: str) -> int | None:
    lower = [h.lower() for h in header]
    return lower.index(name.lower()) if name.lower() in lower else None


def _ids(path: Path, header, rows, subject: str | None) -> tuple[np.ndarray, np.ndarray]:
    """Sequence ids (file stem; ``{stem}_{stimulus}`` with several stimuli) and subject ids
    (the ``Name`` column, else the file stem)."""
    n = len(rows)
    stem = path.stem
    si = _column(header, "StimulusName")
    sequence = np.full(n, stem).astype(object)
    if si is not None:
        stimuli = [r[si].strip() for r in rows]
        if len(set(stimuli)) > 1:
            sequence = np.array([f"{stem}_{re.sub(r'[^A-Za-z0-9._-]+', '_', s) or 'none'}" for s in stimuli],
                                dtype=object)
    ni = _column(header, "Name")
    if subject is not None:
        subj = np.full(n, str(subject)).astype(object)
    elif ni is not None and all(r[ni].strip() for r in rows):
        subj = np.array([r[ni].strip() for r in rows], dtype=object)
    else:
        subj = np.full(n, stem).astype(object)
    return sequence.astype(str), subj.astype(str)


def read_imotions(paths: str | Path | Iterable[str | Path], threshold: float = 0.0, subject: str | None = None,
                  expression: str | None = None, expressions_file: str | Path | None = None,
                  labels: str | Path | FileLabels | None = None, name_pattern: str | None = None) -> AUFrames:
    """Read iMotions / Emotient FACET exports (``#`` preamble, tab- or semicolon-separated).

    Args:
        paths: an export file (``.txt`` or ``.csv``), a folder of them, or a list; one file per
            respondent.
        threshold: AU Evidence (log10 odds) at or above which an AU counts as present; 0 means
            "more likely present than absent", 1 "ten times more likely".
        subject: one subject id for every file; default the ``Name`` column (the respondent),
            else the file stem.
        expression: a column name holding expression labels, or one expression for every frame.
        expressions_file, labels, name_pattern: as in :func:`auknow.readers.read_openface`.

    Returns:
        :class:`AUFrames`: ``occurrence [N, A]`` int8 (frames with ``NoOfFaces`` 0 or empty
        Evidence are :data:`MISSING`), ``sequence`` = file stem (``{stem}_{stimulus}`` when the
        file has several ``StimulusName`` values), ``frame`` from ``FrameNo``; ``source`` with the
        threshold, delimiter, the preamble's ``Version`` and the frames without a face.

    Raises:
        DataError: missing file, no ``AUn Evidence`` columns, an AU column twice, a ragged row, a
            non-numeric cell, duplicate frames, an unknown expression; each names file and line.

    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "p1.txt").write_text("#Version : 6.1\\n\\nName\\tFrameNo\\tNoOfFaces\\tAU12 Evidence\\n"
    ...                               "p1\\t0\\t1\\t0.7\\np1\\t1\\t1\\t-1.2\\np1\\t2\\t0\\t\\n")
    >>> read_imotions(d / "p1.txt", expression="happy").occurrence[:, 0].tolist()
    [1, 0, -1]
    """
    if not np.isfinite(threshold):
        raise DataError(f"threshold {threshold} is not a finite Evidence value (log10 odds, e.g. 0 or 1)")
    files, shown = detector_files(paths, "iMotions", patterns=("*.txt", "*.csv", "*.tsv"))
    file_labels, expressions_file = file_labels_for(labels, name_pattern, expressions_file)
    if file_labels is not None and file_labels.has_expression and expression is not None:
        raise DataError("give an expression or a labels file / pattern with expressions, not both")
    files, listed = select_listed(files, file_labels)
    exprs = DetectorExpressions(expression, expressions_file)
    parts, no_face, delimiters, versions = [], 0, set(), set()
    for path in files:
        part, n_no_face, info = _read_file(path, threshold, subject, file_labels, exprs)
        parts.append(part)
        no_face += n_no_face
        delimiters.add(info["delimiter"])
        if "Version" in info["preamble"]:
            versions.add(info["preamble"]["Version"])
    subjects = subjects_provenance(file_labels, subject)
    if file_labels is None and subject is None:
        subjects["subjects_from"] = "the Name column (respondent), else the file stem"
    source = {"dataset": "imotions", "path": shown, "reference": IMOTIONS_REFERENCE, "threshold": float(threshold),
              "files_read": len(files), "frames_no_face": no_face, "delimiter": ", ".join(sorted(delimiters)),
              **({"imotions_version": ", ".join(sorted(versions))} if versions else {}), **listed, **subjects}
    if expressions_file is not None:
        source["expressions"] = str(expressions_file)
    elif expression is not None:
        source["expression"] = expression
    return frames_from_parts(parts, source)


def _read_file(path: Path, threshold: float, subject: str | None, file_labels: FileLabels | None,
               exprs: DetectorExpressions) -> tuple[dict, int, dict]:
    """One export as a part (see :mod:`auknow.readers.detector_files`), its frames without a face,
    and its layout (``delimiter``, ``preamble``) from :func:`~auknow.readers.csvio.read_delimited`."""
    file = str(path)
    header, rows, lines, info = read_delimited(path)
    if not rows:
        raise DataError("no frames (the file has a header only)", file=file)
    cols = _au_evidence_columns(header, file)
    n = len(rows)
    face = np.ones(n, dtype=bool)
    fi = _column(header, "NoOfFaces")
    if fi is not None:
        faces = float_column([r[fi] for r in rows], file, lines, header[fi])
        face = np.nan_to_num(faces) > 0
    frame_header = ["frame" if h.lower() == "frameno" else h for h in header]
    frame = frame_numbers(frame_header, rows, lines, file)
    sequence, subj = _ids(path, header, rows, subject)
    subj, labelled = apply_file_labels(file_labels, path, sequence, subj)
    check_frames_unique(sequence, frame, file, lines, " (several faces in one frame? export one face)")
    occ: dict[int, np.ndarray] = {}
    for number, i in cols.items():
        v = float_column([r[i] for r in rows], file, lines, header[i])
        occ[number] = np.where(np.isnan(v) | ~face, MISSING, v >= threshold).astype(np.int8)
    expr = labelled if labelled is not None else exprs.for_file(header, rows, lines, file, sequence, subj)
    part = {"n": n, "occ": occ, "int": {}, "frame": frame, "sequence": sequence, "subject": subj,
            "expression": expr}
    return part, int((~face).sum()), info
