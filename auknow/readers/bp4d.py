"""BP4D-Spontaneous reader: ``AUCoding/AU_OCC/{subject}_{task}.csv`` (+ optional ``AU_INT``).

Source: Zhang, Yin, Cohn, Canavan, Reale, Horowitz, Liu & Girard (2014), "BP4D-Spontaneous: a
high-resolution spontaneous 3D dynamic facial expression database", Image and Vision Computing
32(10), 692-706, doi:10.1016/j.imavis.2014.06.002. 41 subjects x 8 emotion-eliciting tasks = 328
sequences, 146,847 AU-coded frames.

Layout of the AU labels:

* ``AUCoding/AU_OCC/F001_T1.csv``: a header row of column numbers ``0,1,2,4,...`` (column ``0``
  is the frame number, column ``n`` is AU n), then one row per coded frame with 0 (absent),
  1 (present) or 9 (not coded).
* ``AUCoding/AU_INT/AU06/F001_T1_AU06.csv``: ``frame,intensity`` lines, intensity 0-5 or 9
  (unknown), for the AUs coded for intensity (6, 10, 12, 14, 17).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Mapping, NamedTuple, Sequence

import numpy as np

from ..errors import AuknowError, DataError
from ..facs import au_name, au_number, codes
from .columns import check_duplicate_frames, existing_path, line_of_row, numeric_rows, read_text, stack_au_columns
from .csvio import SlowPath, numeric_blocks
from .expression_map import ExpressionCache
from .frames import MISSING, AUFrames
from .patterns import distinct_rows

#: What each BP4D task elicits (Zhang et al. 2014, Table 1): task code -> canonical expression.
BP4D_TASKS: dict[str, str] = {
    "T1": "happiness",
    "T2": "sadness",
    "T3": "surprise",
    "T4": "embarrassment",
    "T5": "fear",
    "T6": "pain",
    "T7": "anger",
    "T8": "disgust",
}

BP4D_REFERENCE = ("Zhang et al. (2014), BP4D-Spontaneous, Image and Vision Computing 32(10), "
                  "doi:10.1016/j.imavis.2014.06.002")

_OCC_NAME = re.compile(r"^(?P<subject>[A-Za-z0-9]+)_(?P<task>[A-Za-z0-9]+)\.csv$", re.IGNORECASE)
_INT_NAME = re.compile(r"^(?P<subject>[A-Za-z0-9]+)_(?P<task>[A-Za-z0-9]+)_AU(?P<au>\d+)\.csv$", re.IGNORECASE)


def _occ_folder(root: Path) -> Path:
    """The ``AU_OCC`` folder of a BP4D root, ``AUCoding`` folder or ``AU_OCC`` folder."""
    for cand in (root / "AUCoding" / "AU_OCC", root / "AU_OCC", root):
        if cand.is_dir() and any(_OCC_NAME.match(p.name) for p in cand.glob("*.csv")):
            return cand
    raise DataError("no BP4D label files found (expected AUCoding/AU_OCC/F001_T1.csv, ...: give the BP4D folder, "
                    "its AUCoding folder or the AU_OCC folder)", file=str(root))


def _bp4d_files(root: str | Path, task_map: Mapping[str, str] | None):
    """``(root, AU_OCC folder, canonical task map, label files, ignored file names)`` of a BP4D tree."""
    root_p = existing_path(root, "the BP4D folder, its AUCoding folder or AU_OCC folder")
    if not root_p.is_dir():
        raise DataError("expected a folder (BP4D, AUCoding or AU_OCC), found a file", file=str(root_p))
    occ_dir = _occ_folder(root_p)
    canon = ExpressionCache()
    tmap_raw = dict(BP4D_TASKS if task_map is None else task_map)
    tmap = {str(k).strip().upper(): canon(str(v), None, None, f"task_map {k}") for k, v in tmap_raw.items()}
    files = sorted((p for p in occ_dir.glob("*.csv") if _OCC_NAME.match(p.name)), key=lambda p: p.name)
    ignored = sorted(p.name for p in occ_dir.iterdir() if p.is_file() and not _OCC_NAME.match(p.name))
    return root_p, occ_dir, tmap, files, ignored


def _wanted_aus(aus: Sequence[str | int], root: Path) -> list[str]:
    out = []
    for a in aus:
        try:
            out.append(au_name(au_number(a)))
        except AuknowError as exc:
            raise DataError(f"aus: {exc}", file=str(root)) from None
    return out


def _occ_header(first_line: str, file: str) -> tuple[list[str], list[int]]:
    """The column names and numbers of an ``AU_OCC`` header row (``0,1,2,4,...``)."""
    head = first_line.strip()
    names = [c.strip() for c in head.split(",")]
    if not head or not all(c.isdigit() for c in names):
        raise DataError(f"expected a header row of column numbers (0,1,2,4,...), got '{head[:60]}'",
                        file=file, line=1)
    numbers = [int(c) for c in names]
    if numbers[0] != 0:
        raise DataError("the first column must be 0 (the frame number)", file=file, line=1)
    if len(set(numbers)) != len(numbers):
        dup = next(x for x in numbers if numbers.count(x) > 1)
        raise DataError(f"column {dup} appears twice in the header", file=file, line=1)
    return names, numbers


def _read_occ_file(path: Path, tmap: Mapping[str, str], known, wanted_numbers: set[int] | None = None,
                   left_out: dict[str, set[int]] | None = None) -> tuple:
    """One ``AU_OCC`` file: ``(subject, task, frames [n] int64, {AU number: [n] int8 column}, file)``.

    Columns that are not FACS AUs (BP4D's column 3, ...) or not in ``wanted_numbers`` are left
    out, never read as an AU and never an error; their numbers are added to ``left_out``
    (``"not_facs"`` / ``"not_requested"``) for the provenance."""
    m = _OCC_NAME.match(path.name)
    subject, task = m["subject"], m["task"].upper()
    file = str(path)
    if task not in tmap:
        raise DataError(f"task {task} is not in the task map ({', '.join(sorted(tmap))}); give task_map "
                        f"(e.g. task_map={{'{task}': 'EXPRESSION'}})", file=file)
    text = read_text(path)
    first_nl = text.find("\n")
    names, numbers = _occ_header(text if first_nl < 0 else text[:first_nl], file)
    block = numeric_rows(text, file, 1, names, dtype=np.int64)
    if block.shape[0] == 0:
        raise DataError(f"no frames (the file has a header only; subject {subject} has no frames in "
                        f"task {task})", file=file)
    frames = block[:, 0]
    bad_f = frames < 0
    if bad_f.any():
        k = int(np.argmax(bad_f))
        raise DataError(f"frame number {frames[k]} is negative", file=file, line=line_of_row(text, 1, k))
    check_duplicate_frames(frames, file, lambda k: line_of_row(text, 1, k))
    values = block[:, 1:]
    cols: dict[int, np.ndarray] = {}
    for c, number in enumerate(numbers[1:]):
        if number not in known:
            if left_out is not None:
                left_out["not_facs"].add(number)  # e.g. column 3: not a FACS AU, never read as one
            continue
        if wanted_numbers is not None and number not in wanted_numbers:
            if left_out is not None:
                left_out["not_requested"].add(number)
            continue
        col = values[:, c]
        bad = (col != 0) & (col != 1) & (col != 9)
        if bad.any():
            r = int(np.argmax(bad))
            raise DataError(f"column {number} (AU{number}): {col[r]} is not 0, 1 or 9 (not coded)", file=file,
                            line=line_of_row(text, 1, r))
        col8 = col.astype(np.int8)
        col8[col == 9] = MISSING
        cols[number] = col8
    return subject, task, frames, cols, file

#: BP4D cell value (0-9) -> occurrence code; values 2-8 map to _BAD (an error).
_BAD = 100
_OCC_CODE = np.full(10, _BAD, dtype=np.int8)
_OCC_CODE[[0, 1, 9]] = (0, 1, MISSING)


class LabelFiles(NamedTuple):
    """The label files of a BP4D tree (:func:`label_files`).

    >>> import tempfile
    >>> tmp = tempfile.TemporaryDirectory()
    >>> occ = Path(tmp.name) / "AUCoding" / "AU_OCC"
    >>> occ.mkdir(parents=True)
    >>> _ = (occ / "F001_T1.csv").write_text("0,1,12\\n10,1,1\\n"), (occ / "notes.txt").write_text("")
    >>> found = label_files(tmp.name)
    >>> found.occ_dir.relative_to(tmp.name).as_posix(), [f.name for f in found.files], found.ignored
    ('AUCoding/AU_OCC', ['F001_T1.csv'], ['notes.txt'])
    >>> tmp.cleanup()
    """

    root: Path  #: the folder given
    occ_dir: Path  #: its ``AU_OCC`` folder
    task_map: dict[str, str]  #: task code (upper case) -> canonical expression
    files: list[Path]  #: ``{subject}_{task}.csv`` files, sorted by name
    ignored: list[str]  #: other file names in ``AU_OCC``


def label_files(root: str | Path, task_map: Mapping[str, str] | None = None) -> LabelFiles:
    """Find the ``AU_OCC`` label files of a BP4D tree (no file is read).

    Args:
        root, task_map: as in :func:`read_bp4d`.

    Returns:
        :class:`LabelFiles`: the folder given, its ``AU_OCC`` folder, the task map with upper-case
        task codes and canonical expressions, the ``{subject}_{task}.csv`` files sorted by name,
        and the names of the other files there.

    Raises:
        DataError: a missing folder, a file given, no label files, an unknown expression in
            ``task_map``; each names the path.

    >>> import tempfile
    >>> tmp = tempfile.TemporaryDirectory()
    >>> for name in ("F002_T1.csv", "F001_T8.csv"):
    ...     _ = (Path(tmp.name) / name).write_text("0,1\\n1,0\\n")
    >>> found = label_files(tmp.name, task_map={"t1": "happy", "T8": "disgusted"})
    >>> [f.name for f in found.files], found.task_map
    (['F001_T8.csv', 'F002_T1.csv'], {'T1': 'happiness', 'T8': 'disgust'})
    >>> tmp.cleanup()
    """
    return LabelFiles(*_bp4d_files(root, task_map))


def file_subject_task(path: Path) -> tuple[str, str]:
    """``(subject, TASK)`` of a label file name such as ``F001_t1.csv`` (the task in upper case).

    Raises:
        DataError: a name not of the form ``{subject}_{task}.csv`` (naming the file).

    >>> file_subject_task(Path("AU_OCC/F001_t1.csv"))
    ('F001', 'T1')
    >>> file_subject_task(Path("F001.csv"))
    Traceback (most recent call last):
    ...
    auknow.errors.DataError: F001.csv: not a BP4D label file name (expected F001_T1.csv)
    """
    m = _OCC_NAME.match(Path(path).name)
    if not m:
        raise DataError("not a BP4D label file name (expected F001_T1.csv)", file=str(path))
    return m["subject"], m["task"].upper()


class OccPatterns(NamedTuple):
    """One ``AU_OCC`` file reduced to its distinct AU patterns (:func:`occ_file_patterns`).

    >>> import tempfile
    >>> tmp = tempfile.TemporaryDirectory()
    >>> f = Path(tmp.name) / "F001_T2.csv"
    >>> _ = f.write_text("0,1,12\\n1,1,1\\n2,0,9\\n3,1,1\\n")
    >>> r = occ_file_patterns(f, BP4D_TASKS)
    >>> r.subject, r.task, r.numbers, r.patterns.tolist(), r.weights.tolist(), r.frames
    ('F001', 'T2', [1, 12], [[0, -1], [1, 1]], [1, 2], 3)
    >>> tmp.cleanup()
    """

    subject: str
    task: str
    numbers: list[int]  #: AU numbers of the pattern columns, in the file's column order
    patterns: np.ndarray  #: ``[u, len(numbers)]`` int8: 1, 0, MISSING (BP4D's 9)
    weights: np.ndarray  #: ``[u]`` int64: frames showing each pattern (they sum to ``frames``)
    frames: int
    file: str


def occ_file_patterns(path: Path, task_map: Mapping[str, str], known=None, block_bytes: int = 1 << 18) -> OccPatterns:
    """Read one ``AU_OCC`` file block by block, keeping only its distinct AU patterns and frame numbers.

    Memory is one block of ``block_bytes`` of text plus the frame numbers (8 bytes a frame, for
    the duplicate check), whatever the file's length. Columns that are not FACS AUs (``known``,
    default every FACS code) are left out, as in :func:`read_bp4d`. The patterns, weighted, give
    exactly the sums over the frames that :func:`read_bp4d` returns for this file.

    Raises:
        DataError: the errors of :func:`read_bp4d` for this file, with the same message and line:
            when a block does not parse as whole numbers, or a value, frame number or duplicate is
            wrong, the file is read again with the whole-file reader, which names the bad line.

    >>> import tempfile
    >>> f = Path(tempfile.mkdtemp()) / "F001_T1.csv"
    >>> _ = f.write_text("0,1,2,3\\n10,1,9,5\\n11,1,9,7\\n12,0,0,7\\n")
    >>> r = occ_file_patterns(f, BP4D_TASKS)
    >>> r.numbers, r.patterns.tolist(), r.weights.tolist(), r.frames
    ([1, 2], [[1, -1], [0, 0]], [2, 1], 3)
    """
    subject, task = file_subject_task(path)
    file = str(path)
    if task not in task_map:
        raise DataError(f"task {task} is not in the task map ({', '.join(sorted(task_map))}); give task_map "
                        f"(e.g. task_map={{'{task}': 'EXPRESSION'}})", file=file)
    known = codes() if known is None else known
    try:
        with open(path, encoding="utf-8-sig") as handle:
            names, numbers = _occ_header(handle.readline(), file)
            keep = [c for c, number in enumerate(numbers) if c and number in known]
            frames, rows, weights, ok = [], [], [], True
            for block in numeric_blocks(handle, len(names), block_bytes):
                values = block[:, keep]
                ok = block[:, 0].min() >= 0 and (not values.size or (values.min() >= 0 and values.max() <= 9))
                occ = _OCC_CODE[values] if ok else None  # 0 -> 0, 1 -> 1, 9 -> MISSING, 2-8 -> _BAD
                if not ok or (occ == _BAD).any():
                    ok = False
                    break  # the whole-file reader below names the first bad cell
                frames.append(block[:, 0])
                r, w = distinct_rows(occ)
                rows.append(r)
                weights.append(w)
    except (SlowPath, DataError, UnicodeDecodeError, OSError):
        ok = False
    if ok:
        frame = np.concatenate(frames) if frames else np.zeros(0, np.int64)
        # frame numbers usually ascend: then there is no duplicate without sorting
        ok = frame.size > 0 and bool((np.diff(frame) > 0).all() or (np.diff(np.sort(frame)) > 0).all())
    if not ok:  # a problem somewhere: the whole-file reader finds it and raises its exact message
        _, _, frame, cols, _ = _read_occ_file(path, task_map, known)
        numbers = [0, *cols]
        keep = list(range(1, len(numbers)))
        rows = [np.column_stack([cols[k] for k in numbers[1:]]) if cols else np.zeros((frame.size, 0), np.int8)]
        weights = [np.ones(frame.size, np.int64)]
    patterns, weight = distinct_rows(np.concatenate(rows), np.concatenate(weights))
    return OccPatterns(subject, task, [numbers[c] for c in keep], patterns, weight, int(frame.size), file)


def read_bp4d(root: str | Path, task_map: Mapping[str, str] | None = None, aus: Sequence[str | int] | None = None,
              intensity: bool = False) -> AUFrames:
    """Read BP4D-Spontaneous AU occurrence (and optionally intensity) labels.

    Args:
        root: the BP4D folder (containing ``AUCoding/``), the ``AUCoding`` folder, or the
            ``AU_OCC`` folder itself.
        task_map: task code -> expression (any alias, e.g. ``{"T1": "happy"}``); default
            :data:`BP4D_TASKS` (the elicited emotions of Zhang et al. 2014). Every task found in
            the file names must be in it.
        aus: keep only these AUs (any spelling: ``AU1``, ``1``, ``AU01``), in FACS-number order;
            each must be coded somewhere. ``None`` keeps every AU column coded anywhere.
        intensity: also read ``AUCoding/AU_INT/AU{nn}/{subject}_{task}_AU{nn}.csv`` (0-5,
            9 = unknown -> NaN). Intensities are matched to the occurrence rows by frame number;
            AUs or frames without an intensity file stay NaN.

    Returns:
        :class:`AUFrames` with one row per coded frame: ``occurrence [N, A]`` int8 (1 / 0 /
        :data:`MISSING` for BP4D's 9; AU columns never coded anywhere are dropped),
        ``subject`` (``F001``), ``sequence`` ``{subject}_{task}`` (``F001_T1``), ``frame`` (the
        file's frame numbers), ``expression`` from ``task_map``, ``intensity [N, A]`` float32 or
        ``None``. ``source`` records dataset, path, task map, files read, the AU columns dropped.

    Raises:
        DataError: missing folder, no label files, a ragged row, a non-numeric cell, a value
            other than 0/1/9 in a column that is read, duplicate frames, a file with no frames, a
            task not in ``task_map``, an intensity outside 0-5 (9 allowed); each names the file
            and, where it applies, the line.

    Source: Zhang et al. (2014), doi:10.1016/j.imavis.2014.06.002.

    Two label files; column 3 is not a FACS AU and is left out, 9 (not coded) reads as
    :data:`MISSING` (-1):

    >>> import tempfile
    >>> tmp = tempfile.TemporaryDirectory()
    >>> occ = Path(tmp.name) / "AUCoding" / "AU_OCC"
    >>> occ.mkdir(parents=True)
    >>> _ = (occ / "F001_T1.csv").write_text("0,1,2,3,12\\n10,0,0,0,1\\n11,1,9,1,1\\n")
    >>> _ = (occ / "F002_T7.csv").write_text("0,1,2,3,12\\n4,1,0,0,0\\n")
    >>> f = read_bp4d(tmp.name)
    >>> len(f), f.aus, f.occurrence.tolist()
    (3, ('AU01', 'AU02', 'AU12'), [[0, 0, 1], [1, -1, 1], [1, 0, 0]])
    >>> f.sequence.tolist(), f.frame.tolist(), f.expression.tolist()
    (['F001_T1', 'F001_T1', 'F002_T7'], [10, 11, 4], ['happiness', 'happiness', 'anger'])
    >>> f.source["columns_left_out_not_facs"], read_bp4d(tmp.name, aus=["AU12"]).occurrence.ravel().tolist()
    ([3], [1, 1, 0])
    >>> _ = (occ / "F003_T2.csv").write_text("0,1,2,3,12\\n1,0,2,0,1\\n")
    >>> read_bp4d(tmp.name)
    Traceback (most recent call last):
    ...
    auknow.errors.DataError: .../F003_T2.csv:2: column 2 (AU2): 2 is not 0, 1 or 9 (not coded)
    >>> tmp.cleanup()
    """
    root_p, occ_dir, tmap, files, ignored = _bp4d_files(root, task_map)
    wanted = None if aus is None else _wanted_aus(aus, root_p)
    wanted_numbers = None if wanted is None else {au_number(a) for a in wanted}
    left_out: dict[str, set[int]] = {"not_facs": set(), "not_requested": set()}
    per_file, numbers = _read_occ_files(files, occ_dir, tmap, wanted_numbers, left_out)
    sizes = [len(f[2]) for f in per_file]
    occ = stack_au_columns([f[3] for f in per_file], sizes, numbers, MISSING, np.int8)
    subject = np.repeat(np.array([f[0] for f in per_file]), sizes)
    sequence = np.repeat(np.array([f"{f[0]}_{f[1]}" for f in per_file]), sizes)
    expression = np.repeat(np.array([tmap[f[1]] for f in per_file]), sizes)
    frame = np.concatenate([f[2] for f in per_file])
    source = _bp4d_source(root_p, len(per_file), tmap, ignored, left_out)
    inten = _read_intensities(occ_dir, per_file, sizes, numbers, occ.shape, source) if intensity else None
    frames_out = AUFrames(aus=[au_name(k) for k in numbers], occurrence=occ, subject=subject, sequence=sequence,
                          frame=frame, expression=expression, intensity=inten, source=source)
    coded = (occ != MISSING).any(axis=0)
    dropped = [a for a, c in zip(frames_out.aus, coded) if not c]
    if dropped:
        frames_out = frames_out.drop_uncoded_aus()
        frames_out.source["uncoded_aus_dropped"] = dropped
    if wanted is not None:
        frames_out = _keep_wanted_aus(frames_out, wanted, occ_dir)
    frames_out.source["frames"] = len(frames_out)
    return frames_out


def _read_occ_files(files: list[Path], occ_dir: Path, tmap: Mapping[str, str], wanted_numbers: set[int] | None,
                    left_out: dict[str, set[int]]) -> tuple[list[tuple], list[int]]:
    """Every ``AU_OCC`` file read (:func:`_read_occ_file`), and the AU numbers read in any of them, sorted."""
    per_file = []  # (subject, task, frames[int64], {au_number: column int8}, file)
    all_numbers: set[int] = set()
    known = codes()
    for path in files:
        item = _read_occ_file(path, tmap, known, wanted_numbers, left_out)
        all_numbers.update(item[3])
        per_file.append(item)
    if not per_file:
        raise DataError("no BP4D label files found (expected files named like F001_T1.csv)", file=str(occ_dir))
    return per_file, sorted(all_numbers)


def _bp4d_source(root_p: Path, files_read: int, tmap: Mapping[str, str], ignored: list[str],
                 left_out: dict[str, set[int]]) -> dict:
    """The provenance of a :func:`read_bp4d` result before the intensities and AU selection."""
    source: dict = {
        "dataset": "bp4d",
        "path": str(root_p),
        "reference": BP4D_REFERENCE,
        "files_read": files_read,
        "task_map": [f"{k}={v}" for k, v in sorted(tmap.items())],
    }
    if ignored:
        source["files_ignored"] = ignored
    for why, nums in left_out.items():
        if nums:  # columns read past: not FACS AUs (BP4D's column 3, ...) or not among `aus`
            source[f"columns_left_out_{why}"] = sorted(nums)
    return source


def _read_intensities(occ_dir: Path, per_file: list[tuple], sizes: list[int], numbers: list[int],
                      shape: tuple[int, int], source: dict) -> np.ndarray:
    """``[N, A]`` float32 intensities from ``AU_INT`` next to ``occ_dir``, matched to the occurrence rows
    by sequence and frame number (NaN where no file or frame gives one); counts go to ``source``."""
    inten = np.full(shape, np.nan, dtype=np.float32)
    int_dir = occ_dir.parent / "AU_INT"
    if not int_dir.is_dir():
        raise DataError("intensity=True but there is no AU_INT folder next to AU_OCC", file=str(int_dir))
    index = {k: j for j, k in enumerate(numbers)}
    offsets = np.cumsum([0, *sizes[:-1]]).tolist()
    seq_pos = {f"{f[0]}_{f[1]}": (off, f[2]) for f, off in zip(per_file, offsets)}
    n_int_files, unmatched_frames, unmatched_files = 0, 0, 0
    int_aus = set()
    for path in sorted(int_dir.rglob("*.csv")):
        m = _INT_NAME.match(path.name)
        if not m:
            continue
        number = int(m["au"])
        key = f"{m['subject']}_{m['task'].upper()}"
        if key not in seq_pos or number not in index:
            unmatched_files += 1
            continue
        fr, val = _read_intensity_file(path)
        off, seq_frames = seq_pos[key]
        rows, hit = _rows_of_frames(seq_frames, fr)
        v = val[hit].astype(np.float32)
        v[v == 9] = np.nan
        inten[off + rows, index[number]] = v
        unmatched_frames += int((~hit).sum())
        n_int_files += 1
        int_aus.add(number)
    source["intensity_files_read"] = n_int_files
    source["intensity_aus"] = [au_name(k) for k in sorted(int_aus)]
    if unmatched_frames:
        source["intensity_frames_without_occurrence"] = unmatched_frames
    if unmatched_files:
        source["intensity_files_ignored"] = unmatched_files
    return inten


def _read_intensity_file(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """One ``AU_INT`` file: ``(frames [n] int64, intensities [n] float64 in 0-5 or 9)``, checked."""
    file = str(path)
    text = read_text(path)
    skip = 0
    first = text.split("\n", 1)[0]
    if first.strip() and not first.split(",")[0].strip().lstrip("-").replace(".", "", 1).isdigit():
        skip = 1  # a header row such as "frame,intensity"
    block = numeric_rows(text, file, skip, ["frame", "intensity"], dtype=np.float64)
    fr, val = block[:, 0], block[:, 1]
    bad = ~((val >= 0) & (val <= 5) & (val == np.floor(val)) | (val == 9))
    if bad.any():
        k = int(np.argmax(bad))
        raise DataError(f"intensity {val[k]:g} is not 0-5 or 9 (unknown)", file=file,
                        line=line_of_row(text, skip, k))
    bad_f = (fr < 0) | (fr != np.floor(fr))
    if bad_f.any():
        k = int(np.argmax(bad_f))
        raise DataError(f"'{fr[k]:g}' is not a frame number", file=file, line=line_of_row(text, skip, k))
    fr = fr.astype(np.int64)
    check_duplicate_frames(fr, file, lambda k: line_of_row(text, skip, k))
    return fr, val


def _rows_of_frames(seq_frames: np.ndarray, fr: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(rows, hit)``: ``hit [n]`` marks the frames ``fr`` found in ``seq_frames`` (one sequence's frame
    numbers, any order), ``rows`` their positions there (one per hit)."""
    order = np.argsort(seq_frames, kind="stable")
    pos = np.searchsorted(seq_frames[order], fr)
    pos_c = np.minimum(pos, len(order) - 1)
    hit = seq_frames[order][pos_c] == fr
    return order[pos_c[hit]], hit


def _keep_wanted_aus(frames_out: AUFrames, wanted: list[str], occ_dir: Path) -> AUFrames:
    """The columns ``wanted`` (``aus=`` of :func:`read_bp4d`) in FACS order; each must be coded somewhere."""
    missing = [a for a in wanted if a not in frames_out.aus]
    if missing:
        raise DataError(f"aus: {', '.join(missing)} not coded in any file (coded: {', '.join(frames_out.aus)})",
                        file=str(occ_dir))
    wanted = sorted(set(wanted), key=lambda a: au_number(a))
    cols = [frames_out.aus.index(a) for a in wanted]
    frames_out = AUFrames(aus=wanted, occurrence=frames_out.occurrence[:, cols], subject=frames_out.subject,
                          sequence=frames_out.sequence, frame=frames_out.frame, expression=frames_out.expression,
                          intensity=None if frames_out.intensity is None else frames_out.intensity[:, cols],
                          source=frames_out.source)
    frames_out.source["aus"] = list(wanted)
    return frames_out
