"""CK+ reader: the tidy peak-frame table (as shipped in NetFACS) and the original release layout.

Source: Lucey, Cohn, Kanade, Saragih, Ambadar & Matthews (2010), "The Extended Cohn-Kanade
Dataset (CK+)", CVPR Workshops, doi:10.1109/CVPRW.2010.5543262. The bundled copy
(``auknow/data/ckplus_facs_emotion.csv``) is the peak-frame FACS occurrence of 23 AUs and the
validated emotion of 327 sequences of 118 subjects, as shipped in the NetFACS R package
(Apache-2.0).
"""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path

import numpy as np

from ..errors import AuknowError, DataError
from ..facs import au_name
from .columns import read_text
from .frames import AUFrames
from .tidy import read_tidy_csv

#: CK+ ``Emotion_labels`` codes (Lucey et al. 2010, Table 1).
EMOTION_CODES = {0: "neutral", 1: "anger", 2: "contempt", 3: "disgust", 4: "fear", 5: "happiness",
                 6: "sadness", 7: "surprise"}


CKPLUS_REFERENCE = ("Lucey et al. (2010), The Extended Cohn-Kanade Dataset (CK+), CVPR Workshops, "
                    "doi:10.1109/CVPRW.2010.5543262")


def bundled_ckplus_path() -> Path:
    """Path of the bundled CK+ peak-frame FACS table (``auknow/data/ckplus_facs_emotion.csv``).

    Returns:
        The path of a CSV with columns ``subject, video, emotion, AU1 ... AU27``: peak-frame
        occurrence (0/1) of 23 AUs and the validated emotion of 327 sequences of 118 subjects.

    Source: Lucey et al. (2010), CVPR Workshops, doi:10.1109/CVPRW.2010.5543262, as shipped in
    the NetFACS R package (Apache-2.0); see ``auknow/data/README.md``.

    >>> path = bundled_ckplus_path()
    >>> lines = path.read_text().splitlines()
    >>> path.name, lines[0].split(",")[:5], len(lines) - 1
    ('ckplus_facs_emotion.csv', ['subject', 'video', 'emotion', 'AU1', 'AU2'], 327)
    """
    return Path(str(resources.files("auknow").joinpath("data").joinpath("ckplus_facs_emotion.csv")))


def read_ckplus(path: str | Path) -> AUFrames:
    """Read CK+ into :class:`AUFrames`, one row per sequence (its peak frame).

    Args:
        path: either (a) the tidy CSV (columns ``subject, video, emotion, AU1 ... AU27``, cells
            0/1, one row per sequence; e.g. :func:`bundled_ckplus_path`), or (b) the root of the
            original release, holding ``Emotion/S005/001/S005_001_00000011_emotion.txt`` (one
            code 0-7, :data:`EMOTION_CODES`) and ``FACS/S005/001/S005_001_00000011_facs.txt``
            (lines ``AU intensity``, intensity 0-5 where 0 = intensity not coded); the folders
            may also be called ``Emotion_labels`` / ``FACS_labels``. Only sequences with an
            emotion label are kept (327 of the 593 in the release).

    Returns:
        :class:`AUFrames` with ``occurrence [N, A]`` int8 0/1 (N sequences, A = AUs, sorted by
        FACS number: the CSV's AU columns, or in layout (b) every AU coded in some kept
        sequence), ``subject`` (``S005``), ``sequence`` = the video id (``S005_001``),
        ``frame`` = the peak frame number (from the file name in layout (b); 0 for the CSV),
        ``expression`` canonical names (``happy`` -> ``happiness``). Layout (b) also gives
        ``intensity [N, A]`` float32: the FACS intensity 1-5, NaN where present but not
        intensity-coded, 0 where absent.

    Raises:
        DataError: missing path, no label files, a malformed line or code, a labelled sequence
            without its FACS file, a video listed twice, an unknown AU or emotion (file and line
            named).

    Source: Lucey et al. (2010), doi:10.1109/CVPRW.2010.5543262.

    The bundled tidy CSV, then one sequence in the release layout (``S005_001``, peak frame 11,
    emotion 3 = disgust, AU9 without intensity and AU17 at intensity 2):

    >>> f = read_ckplus(bundled_ckplus_path())
    >>> len(f), len(f.subjects), f.sequence[:2].tolist(), f.occurrence.shape, f.intensity
    (327, 118, ['S005_001', 'S010_002'], (327, 23), None)
    >>> import tempfile
    >>> tmp = tempfile.TemporaryDirectory()
    >>> root = Path(tmp.name)
    >>> for d in ("Emotion", "FACS"):
    ...     (root / d / "S005" / "001").mkdir(parents=True)
    >>> _ = (root / "Emotion/S005/001/S005_001_00000011_emotion.txt").write_text("   3.0000000e+00\\n")
    >>> _ = (root / "FACS/S005/001/S005_001_00000011_facs.txt").write_text("9 0\\n17 2\\n")
    >>> g = read_ckplus(root)
    >>> g.aus, g.occurrence.tolist(), g.intensity.tolist(), g.frame.tolist(), g.expression.tolist()
    (('AU09', 'AU17'), [[1, 1]], [[nan, 2.0]], [11], ['disgust'])
    >>> tmp.cleanup()
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
    frames = read_tidy_csv(path, subject_col="subject", expression_col="emotion", sequence_col="video")
    if (frames.frame != 0).any():
        i = int(np.argmax(frames.frame != 0))
        raise DataError(f"video {frames.sequence[i]} appears more than once (expected one row per sequence)",
                        file=file)
    kept = {k: frames.source[k] for k in ("exclusive_cooccurrence",) if k in frames.source}
    frames.source = {"dataset": "ckplus", "path": file, "reference": CKPLUS_REFERENCE, "layout": "tidy csv",
                     "sequences": len(frames), **kept}
    return frames


_LABEL_NAME = re.compile(r"^(S\d+)_(\d+)_(\d+)_(emotion|facs)\.txt$")


def _read_release(root: Path) -> AUFrames:
    emo_root = next((root / d for d in ("Emotion", "Emotion_labels") if (root / d).is_dir()), None)
    facs_root = next((root / d for d in ("FACS", "FACS_labels") if (root / d).is_dir()), None)
    if emo_root is None or facs_root is None:
        raise DataError("expected the CK+ release folders Emotion/ (or Emotion_labels/) and FACS/ "
                        "(or FACS_labels/)", file=str(root))
    emotion_files = sorted(emo_root.rglob("*_emotion.txt"), key=lambda p: p.name)
    if not emotion_files:
        raise DataError("no *_emotion.txt label files found", file=str(emo_root))
    rows = []  # (subject, video, frame, expression, {au: intensity})
    all_aus: set[int] = set()
    seen: dict[str, str] = {}
    for ef in emotion_files:
        m = _LABEL_NAME.match(ef.name)
        if not m:
            raise DataError("unexpected file name (expected S005_001_00000011_emotion.txt)", file=str(ef))
        subject, video, frame = m.group(1), f"{m.group(1)}_{m.group(2)}", int(m.group(3))
        if video in seen:
            raise DataError(f"a second emotion label for video {video} (also {seen[video]})", file=str(ef))
        seen[video] = ef.name
        text = read_text(ef).split()
        try:
            value = float(text[0]) if len(text) == 1 else None
        except ValueError:
            value = None
        code = int(value) if value is not None and value.is_integer() else None
        if code not in EMOTION_CODES:
            raise DataError(f"expected one emotion code 0-7, got '{' '.join(text) or 'nothing'}'", file=str(ef),
                            line=1)
        ff = facs_root / subject / m.group(2) / ef.name.replace("_emotion.txt", "_facs.txt")
        if not ff.exists():
            raise DataError("the FACS file of this labelled sequence is missing", file=str(ff))
        present: dict[int, float] = {}
        for line, raw in enumerate(read_text(ff).splitlines(), start=1):
            parts = raw.split()
            if not parts:
                continue
            try:
                au, level = (float(p) for p in parts)
            except ValueError:
                raise DataError(f"expected 'AU intensity' (two numbers), got '{raw.strip()}'", file=str(ff),
                                line=line) from None
            if not au.is_integer() or not 0 <= level <= 5 or not level.is_integer():
                raise DataError(f"expected an AU number and an intensity 0-5, got '{raw.strip()}'", file=str(ff),
                                line=line)
            try:
                au_name(int(au))
            except AuknowError as exc:
                raise DataError(str(exc), file=str(ff), line=line) from None
            value = float("nan") if level == 0 else level
            old = present.get(int(au))
            if old is None or np.isnan(old) or (not np.isnan(value) and value > old):
                present[int(au)] = value  # a repeated AU line keeps the highest coded intensity
        all_aus |= set(present)
        rows.append((subject, video, frame, EMOTION_CODES[code], present))
    numbers = sorted(all_aus)
    occ = np.array([[1 if n in r[4] else 0 for n in numbers] for r in rows], dtype=np.int8)
    occ = occ.reshape(len(rows), len(numbers))
    inten = np.array([[r[4].get(n, 0.0) for n in numbers] for r in rows], dtype=np.float32).reshape(occ.shape)
    return AUFrames(aus=[au_name(n) for n in numbers], occurrence=occ, subject=[r[0] for r in rows],
                    sequence=[r[1] for r in rows], frame=[r[2] for r in rows], expression=[r[3] for r in rows],
                    intensity=inten,
                    source={"dataset": "ckplus", "path": str(root), "reference": CKPLUS_REFERENCE, "layout": "release",
                            "files_read": 2 * len(rows), "sequences": len(rows)})
