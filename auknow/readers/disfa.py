"""DISFA reader: ``ActionUnit_Labels/SN001/SN001_au1.txt`` intensities 0-5, one line per frame.

Source: Mavadati, Mahoor, Bartlett, Trinh & Cohn (2013), "DISFA: A spontaneous facial action
intensity database", IEEE Transactions on Affective Computing 4(2), 151-160,
doi:10.1109/T-AFFC.2013.4. 27 subjects, one video each (4,845 frames), 12 AUs (1, 2, 4, 5, 6,
9, 12, 15, 17, 20, 25, 26) coded for intensity 0-5 in every frame. Occurrence is usually taken
as intensity >= 2 (the AU-detection benchmark convention). DISFA has no per-frame emotion label:
labels can be attached from a separate CSV (``subject, frame, expression``).
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from ..errors import DataError
from ..facs import au_name, codes
from .columns import check_duplicate_frames, existing_path, line_of_row, numeric_rows, read_text, stack_au_columns
from .expression_map import read_expression_map
from .frames import MISSING, AUFrames

DISFA_REFERENCE = ("Mavadati et al. (2013), DISFA, IEEE Transactions on Affective Computing 4(2), "
                   "doi:10.1109/T-AFFC.2013.4")

_LABEL_NAME = re.compile(r"^(?P<subject>.+)_au(?P<au>\d+)\.txt$", re.IGNORECASE)


def _label_folder(root: Path) -> Path:
    for cand in (root / "ActionUnit_Labels", root):
        if cand.is_dir() and any(_LABEL_NAME.match(p.name) for p in cand.glob("*/*.txt")):
            return cand
    raise DataError("no DISFA label files found (expected ActionUnit_Labels/SN001/SN001_au1.txt, ...: give the "
                    "DISFA folder or its ActionUnit_Labels folder)", file=str(root))


def _skip_header(text: str) -> int:
    first = text.split("\n", 1)[0].strip()
    if not first:
        return 0
    cell = first.split(",")[0].strip()
    try:
        float(cell)
        return 0
    except ValueError:
        return 1 if cell.lower() in ("frame", "frames", "frame_number") else 0


def read_disfa(root: str | Path, threshold: float = 2, expressions: str | Path | None = None) -> AUFrames:
    """Read DISFA AU intensity labels; occurrence = intensity >= ``threshold``.

    Args:
        root: the DISFA folder (containing ``ActionUnit_Labels/``) or the ``ActionUnit_Labels``
            folder; one sub-folder per subject (``SN001``) with ``SN001_au1.txt`` ... files of
            ``frame,intensity`` lines (intensity 0-5).
        threshold: intensity (0-5 scale, in (0, 5]) at or above which an AU counts as present;
            2 is the benchmark convention.
        expressions: optional CSV with columns ``subject, frame, expression`` (any expression
            alias). Frames without a label are dropped (counted in
            ``source["frames_dropped_unlabelled"]``), and the sequences become *episodes*: the runs
            of consecutive labelled frames of one subject with the same expression (in frame
            order, unlabelled frames in between ignored), ids ``SN001_r001``, ``SN001_r002``, ...
            so that resampling units are labelled episodes.

    Returns:
        :class:`AUFrames` with one row per frame (sorted by subject, frame): ``occurrence [N, A]``
        int8 (A = the AUs with label files, sorted by number; a subject's missing label file
        gives :data:`MISSING` for that AU), ``intensity [N, A]`` float32 0-5 (NaN where missing),
        ``subject`` = the folder name, ``sequence`` = the subject (one video each) or the episode
        id with ``expressions``, ``expression`` ``None`` or the labels. ``source`` records
        dataset, path, threshold, files read, missing label files, frames dropped.

    Raises:
        DataError: missing folder, no label files, a subject folder without label files, a ragged
            or non-numeric line, an intensity outside 0-5, duplicate frames, an unknown AU
            number; in the expressions CSV: missing columns, an unknown expression, a duplicate
            (subject, frame), a subject with no frames in the labels. Each names file and line.

    Source: Mavadati et al. (2013), doi:10.1109/T-AFFC.2013.4.

    Two subjects; SN002 has no AU12 file, so its AU12 is :data:`MISSING` (-1) / NaN:

    >>> import tempfile
    >>> tmp = tempfile.TemporaryDirectory()
    >>> labels = Path(tmp.name) / "ActionUnit_Labels"
    >>> for subject in ("SN001", "SN002"):
    ...     (labels / subject).mkdir(parents=True)
    >>> _ = (labels / "SN001" / "SN001_au1.txt").write_text("0,0\\n1,3\\n2,1\\n")
    >>> _ = (labels / "SN001" / "SN001_au12.txt").write_text("0,2\\n1,4\\n2,0\\n")
    >>> _ = (labels / "SN002" / "SN002_au1.txt").write_text("0,5\\n1,0\\n")
    >>> f = read_disfa(tmp.name)
    >>> f.aus, f.occurrence.tolist(), f.subject.tolist(), f.frame.tolist()
    (('AU01', 'AU12'), [[0, 1], [1, 1], [0, 0], [1, -1], [0, -1]], ['SN001', 'SN001', 'SN001', 'SN002', 'SN002'],
     [0, 1, 2, 0, 1])
    >>> f.intensity.tolist(), f.source["missing_label_files"]
    ([[0.0, 2.0], [3.0, 4.0], [1.0, 0.0], [5.0, nan], [0.0, nan]], ['SN002_au12'])
    >>> read_disfa(tmp.name, threshold=1).occurrence[:, 0].tolist()
    [0, 1, 1, 1, 0]

    With expressions, unlabelled frames are dropped and the sequences become episodes:

    >>> emotions = Path(tmp.name) / "emotions.csv"
    >>> _ = emotions.write_text("subject,frame,expression\\nSN001,0,happy\\nSN001,1,happy\\n"
    ...                         "SN001,2,sad\\nSN002,1,sad\\n")
    >>> g = read_disfa(tmp.name, expressions=emotions)
    >>> g.sequence.tolist(), g.expression.tolist(), g.source["frames_dropped_unlabelled"]
    (['SN001_r001', 'SN001_r001', 'SN001_r002', 'SN002_r001'], ['happiness', 'happiness', 'sadness', 'sadness'], 1)
    >>> _ = (labels / "SN002" / "SN002_au1.txt").write_text("0,5\\n1,6\\n")
    >>> read_disfa(tmp.name)
    Traceback (most recent call last):
    ...
    auknow.errors.DataError: .../SN002_au1.txt:2: intensity 6 is outside 0-5
    >>> tmp.cleanup()
    """
    root_p = existing_path(root, "the DISFA folder or its ActionUnit_Labels folder")
    if not root_p.is_dir():
        raise DataError("expected a folder (DISFA or ActionUnit_Labels), found a file", file=str(root_p))
    if not 0 < float(threshold) <= 5:
        raise DataError(f"threshold {threshold:g} is outside (0, 5] (DISFA intensities are 0-5)", file=str(root_p))
    labels = _label_folder(root_p)
    known = codes()

    subjects = []  # (subject, frames [n], {number: intensities [n] float32})
    files_read = 0
    for sdir in sorted((d for d in labels.iterdir() if d.is_dir() and not d.name.startswith(".")),
                       key=lambda d: d.name):
        per_au = {number: _read_label_file(path, sdir.name, number)
                  for number, path in sorted(_subject_label_files(sdir, known).items())}
        files_read += len(per_au)
        subjects.append((sdir.name, *_aligned_frames(per_au)))
    if not subjects:
        raise DataError("no subject folders (expected ActionUnit_Labels/SN001/SN001_au1.txt, ...)", file=str(labels))

    numbers = sorted(set().union(*(s[2] for s in subjects)))
    sizes = [len(s[1]) for s in subjects]
    inten = stack_au_columns([s[2] for s in subjects], sizes, numbers, np.nan, np.float32)
    missing_files = [f"{name}_au{k}" for name, _, cols in subjects for k in numbers if k not in cols]
    occ = np.where(np.isnan(inten), MISSING, inten >= threshold).astype(np.int8)
    subject = np.repeat(np.array([s[0] for s in subjects]), sizes)
    frame = np.concatenate([s[1] for s in subjects])
    sequence = subject.copy()
    expression = None
    source: dict = {
        "dataset": "disfa",
        "path": str(root_p),
        "reference": DISFA_REFERENCE,
        "threshold": float(threshold),
        "files_read": files_read,
        "subjects_read": len(subjects),
    }
    if missing_files:
        source["missing_label_files"] = missing_files
    if expressions is not None:
        keep, expression = _frame_expressions(expressions, labels, {s[0] for s in subjects}, subject, frame, source)
        subject, frame, occ, inten = subject[keep], frame[keep], occ[keep], inten[keep]
        sequence = _episodes(subject, expression, source)

    out = AUFrames(aus=[au_name(k) for k in numbers], occurrence=occ, subject=subject, sequence=sequence,
                   frame=frame, expression=expression, intensity=inten, source=source)
    out.source["frames"] = len(out)
    return out


def _subject_label_files(sdir: Path, known) -> dict[int, Path]:
    """``{AU number: label file}`` of one subject folder (``SN001_au1.txt``, ...)."""
    files: dict[int, Path] = {}
    for path in sorted(sdir.glob("*.txt")):
        m = _LABEL_NAME.match(path.name)
        if not m:
            continue
        number = int(m["au"])
        if number not in known:
            raise DataError(f"AU{number} in the file name is not a FACS 2002 code", file=str(path))
        if number in files:
            raise DataError(f"a second label file for AU{number} (also {files[number].name})", file=str(path))
        files[number] = path
    if not files:
        raise DataError(f"subject {sdir.name} has no frames: no {sdir.name}_au*.txt label files in its folder",
                        file=str(sdir))
    return files


def _read_label_file(path: Path, subject: str, number: int) -> tuple[np.ndarray, np.ndarray]:
    """``(frames [n] int64, intensities [n] float32)`` of one ``frame,intensity`` label file."""
    file = str(path)
    text = read_text(path)
    skip = _skip_header(text)
    block = numeric_rows(text, file, skip, ["frame", "intensity"], dtype=np.float64)
    if block.shape[0] == 0:
        raise DataError(f"no frames (subject {subject} has no frames for AU{number})", file=file)
    fr, val = block[:, 0], block[:, 1]
    bad = (fr < 0) | (fr != np.floor(fr))
    if bad.any():
        k = int(np.argmax(bad))
        raise DataError(f"'{fr[k]:g}' is not a frame number (a whole number >= 0)", file=file,
                        line=line_of_row(text, skip, k))
    bad = ~((val >= 0) & (val <= 5))
    if bad.any():
        k = int(np.argmax(bad))
        raise DataError(f"intensity {val[k]:g} is outside 0-5", file=file, line=line_of_row(text, skip, k))
    fr = fr.astype(np.int64)
    check_duplicate_frames(fr, file, lambda k: line_of_row(text, skip, k))
    return fr, val.astype(np.float32)


def _aligned_frames(per_au: dict[int, tuple[np.ndarray, np.ndarray]]) -> tuple[np.ndarray, dict[int, np.ndarray]]:
    """One subject's frames (sorted) and ``{AU number: intensities}`` on them; label files of
    different lengths are joined on the union of frames, NaN where a file lacks one."""
    first = next(iter(per_au.values()))[0]
    if all(np.array_equal(f, first) for f, _ in per_au.values()):
        frames = first
        cols = {k: v for k, (_, v) in per_au.items()}
    else:
        frames = np.unique(np.concatenate([f for f, _ in per_au.values()]))
        cols = {}
        for k, (f, v) in per_au.items():
            col = np.full(len(frames), np.nan, dtype=np.float32)
            col[np.searchsorted(frames, f)] = v
            cols[k] = col
    order = np.argsort(frames, kind="stable")
    return frames[order], {k: v[order] for k, v in cols.items()}


def _frame_expressions(expressions: str | Path, labels: Path, present: set[str], subject: np.ndarray,
                       frame: np.ndarray, source: dict) -> tuple[np.ndarray, np.ndarray]:
    """``(keep [N] bool, expression [kept])`` from a ``subject, frame, expression`` CSV; records
    the frames dropped and labels without frames in ``source``."""
    _, mapping, where = read_expression_map(expressions, ("subject+frame",))
    efile = str(expressions)
    for (subj, _), line in where.items():
        if subj not in present:
            raise DataError(f"subject {subj} has no frames in the DISFA labels ({labels})", file=efile, line=line)
    labels_arr = np.array([mapping.get((s, f), "") for s, f in zip(subject.tolist(), frame.tolist())])
    keep = labels_arr != ""
    if not keep.any():
        raise DataError("no labelled frame matches a frame of the DISFA labels", file=efile)
    source["expressions"] = efile
    source["frames_dropped_unlabelled"] = int((~keep).sum())
    source["labels_without_frames"] = int(len(mapping) - keep.sum())
    return keep, labels_arr[keep]


def _episodes(subject: np.ndarray, expression: np.ndarray, source: dict) -> np.ndarray:
    """Episode ids (``SN001_r001``, ...): runs of the same expression within a subject (rows sorted
    by subject, frame); their number goes to ``source["episodes"]``."""
    change = np.ones(len(subject), dtype=bool)
    change[1:] = (subject[1:] != subject[:-1]) | (expression[1:] != expression[:-1])
    run = np.cumsum(change)  # global run number, 1-based
    new_subject = np.ones(len(subject), dtype=bool)
    new_subject[1:] = subject[1:] != subject[:-1]
    first_run = np.maximum.accumulate(np.where(new_subject, run, 0))
    local = run - first_run + 1
    source["episodes"] = int(run[-1]) if len(run) else 0
    return np.char.add(np.char.add(subject, "_r"), np.char.zfill(local.astype(str), 3))
