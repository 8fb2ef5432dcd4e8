"""CK+ reader: the tidy peak-frame table (as shipped in NetFACS) and the original release layout.

Source: Lucey, Cohn, Kanade, Saragih, Ambadar & Matthews (2010), "The Extended Cohn-Kanade
Dataset (CK+)", CVPR Workshops, doi:10.1109/CVPRW.2010.5543262. The bundled copy
(``auknow/data/ckplus_facs_emotion.csv``) is the peak-frame FACS occurrence of 23 AUs and the
validated emotion of 327 sequences of 118 subjects, as shipped in the NetFACS R package
(Apache-2.0).
"""

from __future__ import annotations

import csv
import re
from importlib import resources
from pathlib import Path

import numpy as np

from ..errors import AuknowError, DataError
from ..expressions import canonical_expression
from ..facs import au_name, parse_au_column
from .frames import MISSING, AUFrames

#: CK+ ``Emotion_labels`` codes (Lucey et al. 2010, Table 1).
EMOTION_CODES = {0: "neutral", 1: "anger", 2: "contempt", 3: "disgust", 4: "fear", 5: "happiness",
                 6: "sadness", 7: "surprise"}


def bundled_ckplus_path() -> Path:
    """Path of the bundled CK+ peak-frame FACS table (327 sequences, 118 subjects, 23 AUs)."""
    return Path(str(resources.files("auknow").joinpath("data").joinpath("ckplus_facs_emotion.csv")))


def read_ckplus(path: str | Path) -> AUFrames:
    """Read CK+ into :class:`AUFrames`, one row per sequence (its peak frame).

    Args:
        path: the tidy CSV (columns ``subject, video, emotion, AU1 ... AU27``, cells 0/1), or the
            root of the original release with ``Emotion/S005/001/S005_001_00000011_emotion.txt``
            (one code 0-7, :data:`EMOTION_CODES`) and ``FACS/S005/001/S005_001_00000011_facs.txt``
            (lines ``AU intensity``; 0 = intensity not coded). Only sequences with an emotion
            label are kept (as in the release, 327 of 593).

    Returns:
        AUFrames with ``occurrence [N, A]`` (0/1), ``sequence`` = video id, ``frame`` = the peak
        frame number (0 for the tidy CSV), ``expression`` canonical names.

    Raises:
        DataError: missing path, no label files, a malformed line (file and line named).
    """
    path = Path(path)
    if not path.exists():
        raise DataError("no such file or folder (expected the CK+ tidy CSV or the release's root folder)",
                        file=str(path))
    if path.is_dir():
        return _read_release(path)
    return _read_tidy(path)


def _read_tidy(path: Path) -> AUFrames:
    file = str(path)
    with open(path, newline="", encoding="utf-8") as fh:
        reader = csv.reader(fh)
        try:
            header = [h.strip() for h in next(reader)]
        except StopIteration:
            raise DataError("empty file, expected a header row", file=file) from None
        for col in ("subject", "video", "emotion"):
            if col not in header:
                raise DataError(f"missing column '{col}' (expected subject, video, emotion, AU1, ...)", file=file, line=1)
        au_cols = [i for i, h in enumerate(header) if h not in ("subject", "video", "emotion")]
        aus = []
        for i in au_cols:
            try:
                number, side, _ = parse_au_column(header[i])
            except AuknowError as exc:
                raise DataError(f"column '{header[i]}': {exc}", file=file, line=1) from None
            if side is not None:
                raise DataError(f"column '{header[i]}': one-sided AU columns are not supported", file=file, line=1)
            aus.append(au_name(number))
        if len(set(aus)) != len(aus):
            raise DataError("an AU column appears twice", file=file, line=1)
        si, vi, ei = header.index("subject"), header.index("video"), header.index("emotion")
        subj, seq, expr, occ = [], [], [], []
        for line, row in enumerate(reader, start=2):
            if not row or all(not c.strip() for c in row):
                continue
            if len(row) != len(header):
                raise DataError(f"{len(row)} cells, expected {len(header)}", file=file, line=line)
            try:
                expr.append(canonical_expression(row[ei]))
            except AuknowError as exc:
                raise DataError(str(exc), file=file, line=line) from None
            cells = []
            for i in au_cols:
                v = row[i].strip()
                if v == "":
                    cells.append(MISSING)
                elif v in ("0", "1"):
                    cells.append(int(v))
                else:
                    raise DataError(f"column {header[i]}: '{v}' is not 0, 1 or empty", file=file, line=line)
            subj.append(row[si].strip())
            seq.append(row[vi].strip())
            occ.append(cells)
    if not occ:
        raise DataError("no sequences (the file has a header only)", file=file)
    frames = AUFrames(aus=aus, occurrence=np.array(occ, dtype=np.int8), subject=subj, sequence=seq,
                      frame=np.zeros(len(occ), dtype=np.int64), expression=expr,
                      source={"dataset": "ckplus", "path": file, "layout": "tidy csv"})
    frames.check_unique_frames(file)
    return frames


_LABEL_NAME = re.compile(r"^(S\d+)_(\d+)_(\d+)_(emotion|facs)\.txt$")


def _read_release(root: Path) -> AUFrames:
    emo_root = next((root / d for d in ("Emotion", "Emotion_labels") if (root / d).is_dir()), None)
    facs_root = next((root / d for d in ("FACS", "FACS_labels") if (root / d).is_dir()), None)
    if emo_root is None or facs_root is None:
        raise DataError("expected the CK+ release folders Emotion/ (or Emotion_labels/) and FACS/ "
                        "(or FACS_labels/)", file=str(root))
    emotion_files = sorted(emo_root.rglob("*_emotion.txt"))
    if not emotion_files:
        raise DataError("no *_emotion.txt label files", file=str(emo_root))
    rows = []  # (subject, video, frame, expression, {au: 1})
    all_aus: set[int] = set()
    for ef in emotion_files:
        m = _LABEL_NAME.match(ef.name)
        if not m:
            raise DataError("unexpected file name (expected S005_001_00000011_emotion.txt)", file=str(ef))
        subject, video, frame = m.group(1), f"{m.group(1)}_{m.group(2)}", int(m.group(3))
        text = ef.read_text(encoding="utf-8").split()
        try:
            code = int(float(text[0])) if len(text) == 1 else None
        except ValueError:
            code = None
        if code not in EMOTION_CODES:
            raise DataError(f"expected one emotion code 0-7, got {' '.join(text) or 'nothing'}", file=str(ef), line=1)
        ff = facs_root / subject / m.group(2) / ef.name.replace("_emotion.txt", "_facs.txt")
        if not ff.exists():
            raise DataError("the FACS file of this labelled sequence is missing", file=str(ff))
        present: dict[int, int] = {}
        for line, raw in enumerate(ff.read_text(encoding="utf-8").splitlines(), start=1):
            parts = raw.split()
            if not parts:
                continue
            try:
                au, intensity = (float(p) for p in parts)
            except ValueError:
                raise DataError(f"expected 'AU intensity' (two numbers), got '{raw.strip()}'", file=str(ff),
                                line=line) from None
            if not au.is_integer() or not 0 <= intensity <= 5:
                raise DataError(f"expected an AU number and an intensity 0-5, got '{raw.strip()}'", file=str(ff),
                                line=line)
            try:
                au_name(int(au))
            except AuknowError as exc:
                raise DataError(str(exc), file=str(ff), line=line) from None
            present[int(au)] = 1
        all_aus |= set(present)
        rows.append((subject, video, frame, EMOTION_CODES[code], present))
    numbers = sorted(all_aus)
    occ = np.array([[r[4].get(n, 0) for n in numbers] for r in rows], dtype=np.int8).reshape(len(rows), len(numbers))
    frames = AUFrames(aus=[au_name(n) for n in numbers], occurrence=occ, subject=[r[0] for r in rows],
                      sequence=[r[1] for r in rows], frame=[r[2] for r in rows], expression=[r[3] for r in rows],
                      source={"dataset": "ckplus", "path": str(root), "layout": "release",
                              "files_read": 2 * len(rows)})
    frames.check_unique_frames(str(root))
    return frames
