"""Reader of py-feat detector output CSV files (``Fex.to_csv``).

Source: Cheong, Jolly, Xie, Byrne, Kenney & Chang (2023), "Py-Feat: Python Facial Expression
Analysis Toolbox", Affective Science 4, 781-796, doi:10.1007/s42761-023-00191-4. ``Fex`` CSV:
``FaceRect*``, landmarks, ``AU01 ... AU43`` (probabilities 0-1, 20 AUs), emotion probabilities
``anger, disgust, fear, happiness, sadness, surprise, neutral``, ``input``, ``frame``; frames
without a face have empty (NaN) cells.
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

PYFEAT_REFERENCE = "Cheong et al. (2023), Py-Feat, Affective Science 4, doi:10.1007/s42761-023-00191-4"

#: py-feat's emotion probability columns (Detector / Fex ``emotion_columns``).
PYFEAT_EMOTIONS = ("anger", "disgust", "fear", "happiness", "sadness", "surprise", "neutral")

_PYFEAT_AU = re.compile(r"^AU(\d+)$", re.IGNORECASE)


def read_pyfeat(paths: str | Path | Iterable[str | Path], threshold: float = 0.5, expression: str | None = None,
                expressions_file: str | Path | None = None, emotion_threshold: float | None = None,
                labels: str | Path | FileLabels | None = None, name_pattern: str | None = None) -> AUFrames:
    """Read py-feat detector output CSV files (``Fex.to_csv``).

    Args:
        paths: a CSV file, a folder of them, or a list of files / folders (one video or image
            set each). A file whose ``input`` column names several inputs is split into one
            sequence per input (``{stem}_{input stem}``).
        threshold: AU probability (0-1) at or above which an AU counts as present.
        expression: the name of a column of the files holding expression labels, or else one
            expression name for every frame (py-feat's emotion probability columns are never
            read as labels: ``expression="neutral"`` means the constant).
        expressions_file: CSV with columns ``sequence`` or ``subject``, and ``expression``.
        emotion_threshold: instead of the above, label each frame with py-feat's own emotion
            output: the argmax over :data:`PYFEAT_EMOTIONS`, kept only where that probability is
            ``>= emotion_threshold`` (0-1); other frames and frames without a face are dropped and
            counted in ``source`` (``frames_dropped_low_emotion``, ``frames_dropped_no_face``).
        labels, name_pattern: subject and / or expression per file, as in :func:`read_openface`.

    Returns:
        :class:`AUFrames` with one row per frame: ``occurrence [N, A]`` int8 from the ``AU01`` ...
        probability columns (frames with no face, i.e. NaN probabilities, are :data:`MISSING`),
        ``subject`` and ``sequence`` = the file stem, ``frame`` from the ``frame`` column (row
        number if absent), ``expression`` as above or ``None``, ``intensity`` ``None``.

    Raises:
        DataError: missing file, no ``AUxx`` columns, a ragged row, a non-numeric cell, a
            probability outside 0-1, duplicate frames (several faces in one frame), missing
            emotion columns with ``emotion_threshold``, an unknown expression; each names the
            file and, for a cell or row, its line (``file:line``).

    Source: Cheong et al. (2023), doi:10.1007/s42761-023-00191-4.

    One clip of three frames; the third has no face (empty cells), so its AUs are
    :data:`MISSING` (-1):

    >>> import tempfile
    >>> tmp = tempfile.TemporaryDirectory()
    >>> clip = Path(tmp.name) / "clip1.csv"
    >>> _ = clip.write_text("frame,AU01,AU12,anger,disgust,fear,happiness,sadness,surprise,neutral\\n"
    ...     "0,0.10,0.90,0.01,0.01,0.01,0.90,0.02,0.02,0.03\\n1,0.70,0.40,0.05,0.05,0.05,0.30,0.20,0.05,0.30\\n"
    ...     "2,,,,,,,,,\\n")
    >>> f = read_pyfeat(clip)
    >>> f.aus, f.occurrence.tolist(), f.frame.tolist(), f.sequence.tolist(), f.expression
    (('AU01', 'AU12'), [[0, 1], [1, 0], [-1, -1]], [0, 1, 2], ['clip1', 'clip1', 'clip1'], None)
    >>> read_pyfeat(clip, threshold=0.3).occurrence.tolist()
    [[0, 1], [1, 1], [-1, -1]]
    >>> g = read_pyfeat(clip, emotion_threshold=0.5)
    >>> g.frame.tolist(), g.expression.tolist()
    ([0], ['happiness'])
    >>> g.source["frames_dropped_low_emotion"], g.source["frames_dropped_no_face"]
    (1, 1)
    >>> tmp.cleanup()
    """
    if not 0 < threshold <= 1:
        raise DataError(f"threshold {threshold:g} is outside (0, 1] (py-feat AU outputs are probabilities)")
    if emotion_threshold is not None:
        if expression is not None or expressions_file is not None:
            raise DataError("give emotion_threshold (use py-feat's emotions) or an expression / expressions file, "
                            "not both")
        if not 0 <= emotion_threshold <= 1:
            raise DataError(f"emotion threshold {emotion_threshold:g} is outside 0-1 (probabilities)")
    files, shown = detector_files(paths, "py-feat")
    file_labels, expressions_file = file_labels_for(labels, name_pattern, expressions_file)
    if file_labels is not None and file_labels.has_expression and (expression is not None or
                                                                   emotion_threshold is not None):
        raise DataError("give an expression / emotion_threshold or a labels file / pattern with expressions, "
                        "not both", file=file_labels.source if file_labels.kind != "pattern" else None)
    files, listed = select_listed(files, file_labels)
    exprs = None if emotion_threshold is not None else DetectorExpressions(expression, expressions_file,
                                                                           PYFEAT_EMOTIONS)
    known = codes()
    parts = []
    no_face = low = 0
    for path in files:
        part, n_no_face, n_low = _read_file(path, threshold, emotion_threshold, file_labels, exprs, known)
        parts.append(part)
        no_face += n_no_face
        low += n_low
    source = {"dataset": "pyfeat", "path": shown, "reference": PYFEAT_REFERENCE, "threshold": float(threshold),
              "files_read": len(files), **listed, **subjects_provenance(file_labels, None)}
    if emotion_threshold is not None:
        source["emotion_threshold"] = float(emotion_threshold)
        source["frames_dropped_no_face"] = no_face
        source["frames_dropped_low_emotion"] = low
    elif expressions_file is not None:
        source["expressions"] = str(expressions_file)
    elif expression is not None:
        source["expression"] = expression
    if sum(p["n"] for p in parts) == 0:
        raise DataError(f"no frame left: every frame's top emotion probability is below {emotion_threshold:g} "
                        "or has no face", file=shown)
    return frames_from_parts(parts, source)


def _au_columns(header: list[str], file: str, known) -> dict[int, int]:
    """``{AU number: column}`` of the ``AUxx`` probability columns."""
    au_cols = detector_au_columns(header, _PYFEAT_AU, file, known).get("", {})
    if not au_cols:
        raise DataError("no AU probability columns (expected py-feat output with AU01, AU02, ...)", file=file,
                        line=1)
    return au_cols


def _emotion_labels(header: list[str], rows: list[list[str]], lines: Sequence[int], file: str,
                    emotion_threshold: float) -> tuple[np.ndarray, np.ndarray, int, int]:
    """py-feat's own emotion per frame: ``(keep [n], expression [n], frames without a face, frames
    whose top emotion probability is below emotion_threshold)``."""
    lower = [h.lower() for h in header]
    missing = [e for e in PYFEAT_EMOTIONS if e not in lower]
    if missing:
        raise DataError(f"emotion_threshold needs py-feat's emotion columns; missing: {', '.join(missing)}",
                        file=file, line=1)
    probs = np.column_stack([float_column([r[lower.index(e)] for r in rows], file, lines, e)
                             for e in PYFEAT_EMOTIONS])
    bad = (probs < 0) | (probs > 1)
    if bad.any():
        k = int(np.argwhere(bad)[0][0])
        raise DataError(f"emotion probability {probs[bad][0]:g} is outside 0-1", file=file, line=lines[k])
    face = ~np.isnan(probs).any(axis=1)
    best = np.argmax(np.where(np.isnan(probs), -1.0, probs), axis=1)
    top = np.where(face, np.nanmax(np.where(np.isnan(probs), -1.0, probs), axis=1), np.nan)
    confident = face & (top >= emotion_threshold)
    return confident, np.array(PYFEAT_EMOTIONS)[best], int((~face).sum()), int((face & ~confident).sum())


def _read_file(path: Path, threshold: float, emotion_threshold: float | None, file_labels: FileLabels | None,
               exprs: DetectorExpressions | None, known) -> tuple[dict, int, int]:
    """One py-feat file as a part (see :mod:`auknow.readers.detector_files`), and its frames
    dropped for no face and for a low emotion probability (with ``emotion_threshold``)."""
    file = str(path)
    header, rows, lines, _ = read_delimited(path)
    if not rows:
        raise DataError("no frames (the file has a header only)", file=file)
    au_cols = _au_columns(header, file, known)
    n = len(rows)
    frame = frame_numbers(header, rows, lines, file)
    sequence, subj = detector_ids(path, header, rows, lines, "input", None)
    subj, labelled = apply_file_labels(file_labels, path, sequence, subj)
    check_frames_unique(sequence, frame, file, lines, " (several faces in one frame? give one face per file)")
    occ: dict[int, np.ndarray] = {}
    for number, i in au_cols.items():
        v = float_column([r[i] for r in rows], file, lines, header[i])
        bad = (v < 0) | (v > 1)
        if bad.any():
            k = int(np.argmax(bad))
            raise DataError(f"column {header[i]}: {v[k]:g} is outside 0-1 (a probability)", file=file,
                            line=lines[k])
        occ[number] = np.where(np.isnan(v), MISSING, v >= threshold).astype(np.int8)
    keep = np.ones(n, dtype=bool)
    no_face = low = 0
    if emotion_threshold is not None:
        keep, expr, no_face, low = _emotion_labels(header, rows, lines, file, emotion_threshold)
    elif labelled is not None:
        expr = labelled
    else:
        expr = exprs.for_file(header, rows, lines, file, sequence, subj)
    part = {"n": int(keep.sum()), "occ": {k: v[keep] for k, v in occ.items()}, "int": {},
            "frame": frame[keep], "sequence": sequence[keep], "subject": subj[keep],
            "expression": None if expr is None else expr[keep]}
    return part, no_face, low
