"""Readers of automatic AU detector outputs: OpenFace 2.x and py-feat CSV files.

Users often have no manual FACS codes, only a detector's per-frame output. These readers turn it
into :class:`AUFrames` like the dataset readers, so that the same estimation runs on it.

Sources:

* OpenFace 2.x: Baltrusaitis, Zadeh, Lim & Morency (2018), "OpenFace 2.0: Facial Behavior
  Analysis Toolkit", IEEE FG, doi:10.1109/FG.2018.00019. One CSV per video (``FeatureExtraction
  -aus``): ``frame, [face_id,] timestamp, confidence, success, ..., AU01_r ... AU45_r, AU01_c ...
  AU45_c``; column names carry a leading space. ``AUxx_c`` is presence (0/1, 18 AUs), ``AUxx_r``
  intensity 0-5 (17 AUs, no AU28); the two come from different models and can disagree.
* py-feat: Cheong, Jolly, Xie, Byrne, Kenney & Chang (2023), "Py-Feat: Python Facial Expression
  Analysis Toolbox", Affective Science 4, 781-796, doi:10.1007/s42761-023-00191-4. ``Fex`` CSV:
  ``FaceRect*``, landmarks, ``AU01 ... AU43`` (probabilities 0-1, 20 AUs), emotion
  probabilities ``anger, disgust, fear, happiness, sadness, surprise, neutral``, ``input``,
  ``frame``; frames without a face have empty (NaN) cells.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np

from ..errors import DataError
from ..facs import au_name, codes
from .csvio import read_delimited
from .filelabels import FileLabels
from .frames import MISSING, AUFrames
from .tidy import (_csv_rows, _ExpressionCache, _existing, _float_column, _frame_column, _read_expression_map,
                   _stack_au_columns)

OPENFACE_REFERENCE = "Baltrusaitis et al. (2018), OpenFace 2.0, IEEE FG, doi:10.1109/FG.2018.00019"
PYFEAT_REFERENCE = "Cheong et al. (2023), Py-Feat, Affective Science 4, doi:10.1007/s42761-023-00191-4"

#: py-feat's emotion probability columns (Detector / Fex ``emotion_columns``).
PYFEAT_EMOTIONS = ("anger", "disgust", "fear", "happiness", "sadness", "surprise", "neutral")

_OPENFACE_AU = re.compile(r"^AU(\d+)_([cr])$", re.IGNORECASE)
_PYFEAT_AU = re.compile(r"^AU(\d+)$", re.IGNORECASE)


def _detector_files(paths, what: str, patterns: tuple[str, ...] = ("*.csv",)) -> tuple[list[Path], str]:
    """The files named by ``paths`` (a file, a folder of ``patterns`` files, or a list of those)."""
    if isinstance(paths, (str, Path)):
        paths = [paths]
    paths = list(paths)
    if not paths:
        raise DataError(f"no {what} CSV file given")
    files: list[Path] = []
    for p in paths:
        q = _existing(p, f"a {what} CSV file or a folder of them")
        if q.is_dir():
            found = sorted({f for pat in patterns for f in q.glob(pat)})
            if not found:
                raise DataError(f"no {what} files ({', '.join(patterns)}) found in the folder", file=str(q))
            files.extend(found)
        else:
            files.append(q)
    stems: dict[str, Path] = {}
    for f in files:
        if f.stem in stems:
            raise DataError(f"two files named {f.name} ({stems[f.stem]} and {f}); sequence ids come from file names, "
                            "so rename one", file=str(f))
        stems[f.stem] = f
    return files, ", ".join(str(p) for p in paths)


def _file_labels(labels, name_pattern: str | None, expressions_file) -> tuple[FileLabels | None, object]:
    """The :class:`FileLabels` of ``labels`` / ``name_pattern``; an ``expressions_file`` with a
    ``file`` column, ``sequence`` and ``subject`` columns, or DFEW's ``video_name,label`` is read as
    one too (so that its subject column is used). Returns ``(labels, expressions_file left)``."""
    given = [x for x in (labels, name_pattern) if x is not None]
    if len(given) > 1 or (given and expressions_file is not None):
        raise DataError("give one of a labels file, a file-name pattern or an expressions file, not several")
    if isinstance(labels, FileLabels):
        return labels, None
    if labels is not None:
        return FileLabels.from_csv(labels), None
    if name_pattern is not None:
        return FileLabels.from_pattern(name_pattern), None
    if expressions_file is not None:
        p = _existing(expressions_file, "an expressions CSV with an expression column")
        header, _, _ = _csv_rows(p)
        lower = [h.lower() for h in header]
        if "file" in lower or {"sequence", "subject"} <= set(lower) or lower[:2] == ["video_name", "label"]:
            return FileLabels.from_csv(p), None
    return None, expressions_file


def _select_listed(files: list[Path], labels: FileLabels | None) -> tuple[list[Path], dict]:
    """DFEW split files list the clips of one split: read only those, and every one of them."""
    if labels is None or labels.kind != "dfew":
        return files, {}
    by_id = {str(int(f.stem)): f for f in files if f.stem.isdigit()}
    missing = [k for k in labels.listed() if k not in by_id]
    if missing:
        shown = ", ".join(f"{int(k):05d}" for k in missing[:5]) + (", ..." if len(missing) > 5 else "")
        raise DataError(f"{len(missing)} clip(s) of the DFEW label file have no detector output file "
                        f"(e.g. {shown}.csv)", file=labels.source)
    keep = [by_id[k] for k in labels.listed()]
    return keep, {"clips_listed": len(keep), "files_not_in_split": len(files) - len(keep)}


def _apply_labels(labels: FileLabels | None, path: Path, sequence: np.ndarray, subj: np.ndarray
                  ) -> tuple[np.ndarray, np.ndarray | None]:
    """``(subject [n], expression [n] or None)`` of one file's rows from ``labels`` (``subj`` kept
    where the labels give no subject)."""
    if labels is None:
        return subj, None
    subj = subj.astype(object)
    expr = np.empty(len(sequence), dtype=object) if labels.has_expression else None
    for q in np.unique(sequence).tolist():
        lab = labels.lookup(q, str(path), path.stem)
        rows = sequence == q
        if labels.has_subject:
            subj[rows] = lab.subject
        if expr is not None:
            expr[rows] = lab.expression
    return subj.astype(str), None if expr is None else expr.astype(str)


class _Expressions:
    """Where detector frames get their expression: a file column, a constant, a CSV, or none."""

    def __init__(self, expression: str | None, expressions_file: str | Path | None, reserved: Iterable[str] = ()):
        if expression is not None and expressions_file is not None:
            raise DataError("give either an expression (a constant or a column name) or an expressions file, not both",
                            file=str(expressions_file))
        self.expression = expression
        self.canon = _ExpressionCache()
        self.file = None if expressions_file is None else str(expressions_file)
        self.key = None
        self.mapping: dict[tuple, str] = {}
        if expressions_file is not None:
            self.key, self.mapping, _ = _read_expression_map(expressions_file, ("sequence", "subject"))
        self._kinds: set[bool] = set()
        self.reserved = {r.lower() for r in reserved}  # columns never read as labels (py-feat's emotions)

    def for_file(self, header: list[str], rows: list[list[str]], lines: Sequence[int], file: str,
                 sequence: np.ndarray, subject: np.ndarray) -> np.ndarray | None:
        """``[n]`` canonical expressions of the rows of one file, or ``None`` when unlabelled."""
        n = len(rows)
        out = None
        lower = [h.lower() for h in header]
        if self.mapping:
            keys = sequence if self.key == "sequence" else subject
            stem = Path(file).stem
            values = []
            cache: dict[str, str] = {}
            for k in keys.tolist():
                if k not in cache:
                    # a file split into faces / inputs may be labelled as a whole (by its stem)
                    v = self.mapping.get((k,), self.mapping.get((stem,)) if self.key == "sequence" else None)
                    if v is None:
                        raise DataError(f"no expression for {self.key} {k} (of {file})", file=self.file)
                    cache[k] = v
                values.append(cache[k])
            out = np.array(values)
        elif self.expression is not None:
            name = self.expression.strip()
            if name.lower() in lower and name.lower() not in self.reserved:
                i = lower.index(name.lower())
                out = np.array([self.canon(r[i], file, line, header[i]) for r, line in zip(rows, lines)])
            else:
                out = np.full(n, self.canon(name, None, None, "expression"))
        elif "expression" in lower:
            i = lower.index("expression")
            out = np.array([self.canon(r[i], file, line, header[i]) for r, line in zip(rows, lines)])
        self._kinds.add(out is not None)
        if len(self._kinds) > 1:
            raise DataError("some files have an expression column and others do not; give an expression or an "
                            "expressions file", file=file)
        return out


def _ids_for_file(path: Path, header: list[str], rows: list[list[str]], lines: Sequence[int], group_col: str | None,
                  subject: str | None) -> tuple[np.ndarray, np.ndarray]:
    """Sequence and subject ids of the rows of one detector file (file stem; split by ``group_col``
    (face_id / input) when that column has several values)."""
    stem = path.stem
    n = len(rows)
    lower = [h.lower() for h in header]
    groups = None
    if group_col is not None and group_col in lower:
        i = lower.index(group_col)
        values = [r[i].strip() for r in rows]
        if len(set(values)) > 1:
            if group_col == "input":
                groups = [re.sub(r"[^A-Za-z0-9._-]+", "_", Path(v).stem or "input") for v in values]
            else:
                groups = [f"face{v}" for v in values]
    if groups is None:
        sequence = np.full(n, stem)
        subj = np.full(n, stem if subject is None else str(subject))
    else:
        sequence = np.array([f"{stem}_{g}" for g in groups])
        subj = sequence.copy() if subject is None else np.full(n, str(subject))
    return sequence, subj


def _subjects_from(labels: FileLabels | None, subject: str | None) -> dict:
    """Provenance: where the subject ids came from (``subjects_from``) and the labels source."""
    if labels is not None:
        out = labels.describe()
        out["subjects_from"] = out["labels_from"] if labels.has_subject else "file stem (one subject per file)"
        return out
    return {"subjects_from": "the subject option" if subject is not None else "file stem (one subject per file)"}


def _check_frames_unique(sequence: np.ndarray, frame: np.ndarray, file: str, lines: Sequence[int], hint: str) -> None:
    seen: dict[tuple[str, int], int] = {}
    for q, f, line in zip(sequence.tolist(), frame.tolist(), lines):
        first = seen.setdefault((q, f), line)
        if first != line:
            raise DataError(f"frame {f} appears more than once (first on line {first}){hint}", file=file, line=line)


def _frames_of(header, rows, lines, file) -> np.ndarray:
    lower = [h.lower() for h in header]
    if "frame" in lower:
        i = lower.index("frame")
        return _frame_column([r[i] for r in rows], file, lines, header[i])
    return np.arange(len(rows), dtype=np.int64)


def _joined(parts: list[dict], key: str) -> np.ndarray | None:
    """Concatenation of the per-file arrays under ``key`` (``None`` when the files have none)."""
    return None if parts[0][key] is None else np.concatenate([p[key] for p in parts])


def _stack(parts: list[dict], numbers: list[int], with_intensity: bool) -> tuple[np.ndarray, np.ndarray | None]:
    """Concatenate per-file ``{number: column}`` blocks into ``[N, A]`` arrays (MISSING / NaN where absent)."""
    sizes = [p["n"] for p in parts]
    occ = _stack_au_columns([p["occ"] for p in parts], sizes, numbers, MISSING, np.int8)
    inten = _stack_au_columns([p["int"] for p in parts], sizes, numbers, np.nan, np.float32) if with_intensity else None
    return occ, inten


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
            expressions or labels file, a file name the pattern does not match.

    Source: Baltrusaitis et al. (2018), doi:10.1109/FG.2018.00019.
    """
    if use not in ("c", "r"):
        raise DataError(f"use must be 'c' (AUxx_c presence) or 'r' (AUxx_r intensity), got '{use}'")
    if use == "r" and not 0 < threshold <= 5:
        raise DataError(f"threshold {threshold:g} is outside (0, 5] (OpenFace intensities are 0-5)")
    files, shown = _detector_files(paths, "OpenFace")
    file_labels, expressions_file = _file_labels(labels, name_pattern, expressions_file)
    if file_labels is not None and file_labels.has_expression and expression is not None:
        raise DataError("give an expression or a labels file / pattern with expressions, not both",
                        file=file_labels.source if file_labels.kind != "pattern" else None)
    files, listed = _select_listed(files, file_labels)
    exprs = _Expressions(expression, expressions_file)
    known = codes()
    parts = []
    failed = 0
    for path in files:
        file = str(path)
        header, rows, lines, _ = read_delimited(path)
        if not rows:
            raise DataError("no frames (the file has a header only)", file=file)
        c_cols: dict[int, int] = {}
        r_cols: dict[int, int] = {}
        for i, h in enumerate(header):
            m = _OPENFACE_AU.match(h)
            if m:
                number = int(m[1])
                if number not in known:
                    raise DataError(f"unknown AU column '{h}' (AU{number} is not a FACS 2002 code)", file=file, line=1)
                cols = c_cols if m[2].lower() == "c" else r_cols
                if number in cols:
                    raise DataError(f"AU{number} appears in two columns ('{header[cols[number]]}' and '{h}', "
                                    f"columns {cols[number] + 1} and {i + 1}); keep one", file=file, line=1)
                cols[number] = i
        chosen = c_cols if use == "c" else r_cols
        if not chosen:
            other = "r" if use == "c" else "c"
            has_other = bool(r_cols if use == "c" else c_cols)
            hint = f"; the file has AUxx_{other} columns, try use='{other}'" if has_other else ""
            raise DataError(f"no AUxx_{use} columns (expected OpenFace 2.x output such as AU01_{use}{hint})",
                            file=file, line=1)
        lower = [h.lower() for h in header]
        n = len(rows)
        ok = np.ones(n, dtype=bool)
        if "success" in lower:
            i = lower.index("success")
            s = _float_column([r[i] for r in rows], file, lines, header[i], allow_missing=False)
            bad = (s != 0) & (s != 1)
            if bad.any():
                k = int(np.argmax(bad))
                raise DataError(f"column success: '{rows[k][i].strip()}' is not 0 or 1", file=file, line=lines[k])
            ok = s == 1
        failed += int((~ok).sum())
        frame = _frames_of(header, rows, lines, file)
        sequence, subj = _ids_for_file(path, header, rows, lines, "face_id", subject)
        subj, labelled = _apply_labels(file_labels, path, sequence, subj)
        _check_frames_unique(sequence, frame, file, lines, "")
        occ: dict[int, np.ndarray] = {}
        inten: dict[int, np.ndarray] = {}
        for number, i in r_cols.items():
            v = _float_column([r[i] for r in rows], file, lines, header[i])
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
                v = _float_column([r[i] for r in rows], file, lines, header[i])
                bad = ok & ~np.isnan(v) & (v != 0) & (v != 1)
                if bad.any():
                    k = int(np.argmax(bad))
                    raise DataError(f"column {header[i]}: '{rows[k][i].strip()}' is not 0 or 1 (presence)",
                                    file=file, line=lines[k])
            else:
                v = inten[number]
            col = np.where(np.isnan(v) | ~ok, MISSING, v >= (threshold if use == "r" else 1)).astype(np.int8)
            occ[number] = col
        expr = labelled if labelled is not None else exprs.for_file(header, rows, lines, file, sequence, subj)
        parts.append({"n": n, "occ": occ, "int": {k: v for k, v in inten.items() if k in occ}, "frame": frame,
                      "sequence": sequence, "subject": subj, "expression": expr})
    numbers = sorted(set().union(*(p["occ"] for p in parts)))
    occ, inten = _stack(parts, numbers, with_intensity=any(p["int"] for p in parts))
    source = {"dataset": "openface", "path": shown, "reference": OPENFACE_REFERENCE, "use": use,
              "files_read": len(files), "frames_failed": failed, **listed, **_subjects_from(file_labels, subject)}
    if use == "r":
        source["threshold"] = float(threshold)
    if expressions_file is not None:
        source["expressions"] = str(expressions_file)
    elif expression is not None:
        source["expression"] = expression
    out = AUFrames(aus=[au_name(k) for k in numbers], occurrence=occ,
                   subject=np.concatenate([p["subject"] for p in parts]),
                   sequence=np.concatenate([p["sequence"] for p in parts]),
                   frame=np.concatenate([p["frame"] for p in parts]),
                   expression=_joined(parts, "expression"),
                   intensity=inten, source=source)
    out.source["frames"] = len(out)
    return out


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
            emotion columns with ``emotion_threshold``, an unknown expression.

    Source: Cheong et al. (2023), doi:10.1007/s42761-023-00191-4.
    """
    if not 0 < threshold <= 1:
        raise DataError(f"threshold {threshold:g} is outside (0, 1] (py-feat AU outputs are probabilities)")
    if emotion_threshold is not None:
        if expression is not None or expressions_file is not None:
            raise DataError("give emotion_threshold (use py-feat's emotions) or an expression / expressions file, "
                            "not both")
        if not 0 <= emotion_threshold <= 1:
            raise DataError(f"emotion threshold {emotion_threshold:g} is outside 0-1 (probabilities)")
    files, shown = _detector_files(paths, "py-feat")
    file_labels, expressions_file = _file_labels(labels, name_pattern, expressions_file)
    if file_labels is not None and file_labels.has_expression and (expression is not None or
                                                                   emotion_threshold is not None):
        raise DataError("give an expression / emotion_threshold or a labels file / pattern with expressions, "
                        "not both", file=file_labels.source if file_labels.kind != "pattern" else None)
    files, listed = _select_listed(files, file_labels)
    exprs = None if emotion_threshold is not None else _Expressions(expression, expressions_file, PYFEAT_EMOTIONS)
    known = codes()
    parts = []
    no_face = low = 0
    for path in files:
        file = str(path)
        header, rows, lines, _ = read_delimited(path)
        if not rows:
            raise DataError("no frames (the file has a header only)", file=file)
        au_cols: dict[int, int] = {}
        for i, h in enumerate(header):
            m = _PYFEAT_AU.match(h)
            if m:
                number = int(m[1])
                if number not in known:
                    raise DataError(f"unknown AU column '{h}' (AU{number} is not a FACS 2002 code)", file=file, line=1)
                if number in au_cols:
                    raise DataError(f"AU{number} appears in two columns", file=file, line=1)
                au_cols[number] = i
        if not au_cols:
            raise DataError("no AU probability columns (expected py-feat output with AU01, AU02, ...)", file=file,
                            line=1)
        n = len(rows)
        frame = _frames_of(header, rows, lines, file)
        sequence, subj = _ids_for_file(path, header, rows, lines, "input", None)
        subj, labelled = _apply_labels(file_labels, path, sequence, subj)
        _check_frames_unique(sequence, frame, file, lines, " (several faces in one frame? give one face per file)")
        occ: dict[int, np.ndarray] = {}
        for number, i in au_cols.items():
            v = _float_column([r[i] for r in rows], file, lines, header[i])
            bad = (v < 0) | (v > 1)
            if bad.any():
                k = int(np.argmax(bad))
                raise DataError(f"column {header[i]}: {v[k]:g} is outside 0-1 (a probability)", file=file,
                                line=lines[k])
            occ[number] = np.where(np.isnan(v), MISSING, v >= threshold).astype(np.int8)
        keep = np.ones(n, dtype=bool)
        if emotion_threshold is not None:
            lower = [h.lower() for h in header]
            missing = [e for e in PYFEAT_EMOTIONS if e not in lower]
            if missing:
                raise DataError(f"emotion_threshold needs py-feat's emotion columns; missing: {', '.join(missing)}",
                                file=file, line=1)
            probs = np.column_stack([_float_column([r[lower.index(e)] for r in rows], file, lines, e)
                                     for e in PYFEAT_EMOTIONS])
            bad = (probs < 0) | (probs > 1)
            if bad.any():
                k = int(np.argwhere(bad)[0][0])
                raise DataError(f"emotion probability {probs[bad][0]:g} is outside 0-1", file=file, line=lines[k])
            face = ~np.isnan(probs).any(axis=1)
            best = np.argmax(np.where(np.isnan(probs), -1.0, probs), axis=1)
            top = np.where(face, np.nanmax(np.where(np.isnan(probs), -1.0, probs), axis=1), np.nan)
            confident = face & (top >= emotion_threshold)
            no_face += int((~face).sum())
            low += int((face & ~confident).sum())
            keep = confident
            expr = np.array(PYFEAT_EMOTIONS)[best]
        elif labelled is not None:
            expr = labelled
        else:
            expr = exprs.for_file(header, rows, lines, file, sequence, subj)
        parts.append({"n": int(keep.sum()), "occ": {k: v[keep] for k, v in occ.items()}, "int": {},
                      "frame": frame[keep], "sequence": sequence[keep], "subject": subj[keep],
                      "expression": None if expr is None else expr[keep]})
    numbers = sorted(set().union(*(p["occ"] for p in parts)))
    occ, _ = _stack(parts, numbers, with_intensity=False)
    source = {"dataset": "pyfeat", "path": shown, "reference": PYFEAT_REFERENCE, "threshold": float(threshold),
              "files_read": len(files), **listed, **_subjects_from(file_labels, None)}
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
    out = AUFrames(aus=[au_name(k) for k in numbers], occurrence=occ,
                   subject=np.concatenate([p["subject"] for p in parts]),
                   sequence=np.concatenate([p["sequence"] for p in parts]),
                   frame=np.concatenate([p["frame"] for p in parts]),
                   expression=_joined(parts, "expression"),
                   source=source)
    out.source["frames"] = len(out)
    return out
