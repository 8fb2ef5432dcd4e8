"""What the detector readers share: files, row ids, labels and stacking of per-file parts.

An automatic AU detector (OpenFace, py-feat, iMotions / FACET) writes one file per video. Its
readers (:mod:`auknow.readers.openface`, :mod:`auknow.readers.pyfeat`,
:mod:`auknow.readers.imotions`) find the files (:func:`detector_files`), give each row a sequence
and subject id (:func:`detector_ids`, :func:`apply_file_labels`), an expression
(:class:`DetectorExpressions`) and a frame number (:func:`frame_numbers`), and join the
per-file *parts* into one :class:`~auknow.readers.frames.AUFrames` (:func:`frames_from_parts`).

A *part* is a dict for one file: ``n`` (rows kept), ``occ`` / ``int`` (``{AU number: column
[n]}`` occurrence int8 / intensity float32), ``frame``, ``sequence``, ``subject`` and
``expression`` (``[n]`` arrays; ``expression`` may be ``None``).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np

from ..errors import DataError
from ..facs import au_name, codes
from .columns import csv_rows, existing_path, frame_column, stack_au_columns
from .expression_map import ExpressionCache, read_expression_map
from .filelabels import FileLabels
from .frames import MISSING, AUFrames


def detector_files(paths, what: str, patterns: tuple[str, ...] = ("*.csv",)) -> tuple[list[Path], str]:
    """The files named by ``paths`` (a file, a folder of ``patterns`` files, or a list of those).

    Returns:
        ``(files, shown)``: the files (a folder's sorted) and ``paths`` as text for provenance.

    Raises:
        DataError: no path, a missing path, a folder without such files, two files with one
            name (sequence ids come from file stems).

    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "b.csv").write_text("frame\\n"), (d / "a.csv").write_text("frame\\n")
    >>> [f.name for f in detector_files(d, "OpenFace")[0]]
    ['a.csv', 'b.csv']
    """
    if isinstance(paths, (str, Path)):
        paths = [paths]
    paths = list(paths)
    if not paths:
        raise DataError(f"no {what} CSV file given")
    files: list[Path] = []
    for p in paths:
        q = existing_path(p, f"a {what} CSV file or a folder of them")
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


def file_labels_for(labels, name_pattern: str | None, expressions_file) -> tuple[FileLabels | None, object]:
    """The :class:`FileLabels` of a reader's ``labels`` / ``name_pattern`` / ``expressions_file`` options.

    An ``expressions_file`` with a ``file`` column, ``sequence`` and ``subject`` columns, or
    DFEW's ``video_name,label`` is read as labels too (so that its subject column is used).

    Returns:
        ``(labels or None, the expressions_file left for DetectorExpressions or None)``.

    Raises:
        DataError: more than one of the three given; any error of :class:`FileLabels`.

    >>> file_labels_for(None, r"(?P<subject>[^_]+)_\\w+", None)[0].has_subject
    True
    """
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
        p = existing_path(expressions_file, "an expressions CSV with an expression column")
        header, _, _ = csv_rows(p)
        lower = [h.lower() for h in header]
        if "file" in lower or {"sequence", "subject"} <= set(lower) or lower[:2] == ["video_name", "label"]:
            return FileLabels.from_csv(p), None
    return None, expressions_file


def select_listed(files: list[Path], labels: FileLabels | None) -> tuple[list[Path], dict]:
    """The files of the clips a DFEW split file lists (all ``files`` for other labels).

    DFEW split files list the clips of one split: read only those, and every one of them.

    Returns:
        ``(files kept, provenance)``: ``clips_listed`` and ``files_not_in_split`` for DFEW.

    Raises:
        DataError: a listed clip without a file ``<5-digit id>.csv`` (naming the label file).

    A split listing clips 3 and 1 keeps their files, in the split's order:

    >>> import tempfile
    >>> tmp = tempfile.TemporaryDirectory()
    >>> split = Path(tmp.name) / "set_1.csv"
    >>> _ = split.write_text("video_name,label\\n00003,7\\n00001,1\\n")
    >>> files = [Path("00001.csv"), Path("00002.csv"), Path("00003.csv")]
    >>> kept, provenance = select_listed(files, FileLabels.from_csv(split))
    >>> [f.name for f in kept], provenance
    (['00003.csv', '00001.csv'], {'clips_listed': 2, 'files_not_in_split': 1})
    >>> select_listed(files, None)[0] == files
    True
    >>> select_listed(files[:2], FileLabels.from_csv(split))
    Traceback (most recent call last):
    ...
    auknow.errors.DataError: ...set_1.csv: 1 clip(s) of the DFEW label file have no detector output file (e.g. 00003.csv)
    >>> tmp.cleanup()
    """
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


def apply_file_labels(labels: FileLabels | None, path: Path, sequence: np.ndarray, subj: np.ndarray
                      ) -> tuple[np.ndarray, np.ndarray | None]:
    """``(subject [n], expression [n] or None)`` of one file's rows from ``labels``.

    Each sequence of the file is looked up (:meth:`FileLabels.lookup`); ``subj`` is kept where
    the labels give no subject, and ``expression`` is ``None`` when they give no expression.

    Raises:
        DataError: a sequence / file the labels do not cover (naming the labels file, or the
            file whose name a pattern does not match).

    >>> labels = FileLabels.from_pattern(r"(?P<subject>[^_]+)_(?P<expression>\\w+)")
    >>> ids = np.array(["S01_happy", "S01_happy"])
    >>> subject, expression = apply_file_labels(labels, Path("S01_happy.csv"), ids, ids.copy())
    >>> subject.tolist(), expression.tolist()
    (['S01', 'S01'], ['happiness', 'happiness'])
    >>> apply_file_labels(None, Path("S01_happy.csv"), ids, ids.copy())[1] is None
    True
    """
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


class DetectorExpressions:
    """Where detector frames get their expression: a file column, a constant, a CSV, or none.

    Args:
        expression: a column name of the files, else one expression for every frame.
        expressions_file: a CSV keyed by ``sequence`` or ``subject`` with an ``expression`` column.
        reserved: column names never read as labels (py-feat's emotion probabilities).

    Without both, an ``expression`` column of the files is used where there is one. Every file
    must be labelled alike: :meth:`for_file` raises when some files have labels and others not.

    Raises:
        DataError: both options given; any error of the expressions CSV; from :meth:`for_file`,
            an unknown expression (naming file and line) or files labelled unalike.

    >>> ids = np.array(["v", "v"])
    >>> DetectorExpressions("happy", None).for_file(["frame"], [["0"], ["1"]], [2, 3], "v.csv", ids, ids).tolist()
    ['happiness', 'happiness']
    >>> by_column = DetectorExpressions("label", None)
    >>> by_column.for_file(["frame", "label"], [["0", "sad"], ["1", "Surprised"]], [2, 3], "v.csv", ids, ids).tolist()
    ['sadness', 'surprise']
    >>> by_column.for_file(["frame", "label"], [["0", "blissful"]], [2], "v.csv", ids[:1], ids[:1])
    Traceback (most recent call last):
    ...
    auknow.errors.DataError: v.csv:2: label: unknown expression 'blissful' (declare new names under extra_expressions)
    """

    def __init__(self, expression: str | None, expressions_file: str | Path | None, reserved: Iterable[str] = ()):
        if expression is not None and expressions_file is not None:
            raise DataError("give either an expression (a constant or a column name) or an expressions file, not both",
                            file=str(expressions_file))
        self.expression = expression
        self.canon = ExpressionCache()
        self.file = None if expressions_file is None else str(expressions_file)
        self.key = None
        self.mapping: dict[tuple, str] = {}
        if expressions_file is not None:
            self.key, self.mapping, _ = read_expression_map(expressions_file, ("sequence", "subject"))
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


def detector_ids(path: Path, header: list[str], rows: list[list[str]], lines: Sequence[int], group_col: str | None,
                 subject: str | None) -> tuple[np.ndarray, np.ndarray]:
    """``(sequence [n], subject [n])`` ids of the rows of one detector file.

    The sequence is the file stem, split by ``group_col`` (``face_id``: ``{stem}_face{id}``;
    ``input``: ``{stem}_{input stem}``) when that column has several values; the subject is
    ``subject`` when given, else the sequence (one person per video).

    >>> detector_ids(Path("v.csv"), ["frame", "face_id"], [["0", "0"], ["0", "1"]], [2, 3], "face_id", None)
    (array(['v_face0', 'v_face1'], dtype='<U7'), array(['v_face0', 'v_face1'], dtype='<U7'))
    """
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


def subjects_provenance(labels: FileLabels | None, subject: str | None) -> dict:
    """Provenance: where the subject ids came from (``subjects_from``) and the labels source.

    >>> subjects_provenance(None, None)
    {'subjects_from': 'file stem (one subject per file)'}
    """
    if labels is not None:
        out = labels.describe()
        out["subjects_from"] = out["labels_from"] if labels.has_subject else "file stem (one subject per file)"
        return out
    return {"subjects_from": "the subject option" if subject is not None else "file stem (one subject per file)"}


def check_frames_unique(sequence: np.ndarray, frame: np.ndarray, file: str, lines: Sequence[int], hint: str) -> None:
    """Raise :class:`DataError` on the line of a frame repeated within a sequence (``hint`` ends the message).

    >>> check_frames_unique(np.array(["v", "v"]), np.array([3, 3]), "v.csv", [2, 3], "")
    Traceback (most recent call last):
    ...
    auknow.errors.DataError: v.csv:3: frame 3 appears more than once (first on line 2)
    """
    seen: dict[tuple[str, int], int] = {}
    for q, f, line in zip(sequence.tolist(), frame.tolist(), lines):
        first = seen.setdefault((q, f), line)
        if first != line:
            raise DataError(f"frame {f} appears more than once (first on line {first}){hint}", file=file, line=line)


def detector_au_columns(header: Sequence[str], pattern: re.Pattern, file: str,
                        known=None) -> dict[str, dict[int, int]]:
    """The AU columns of a detector file's header, by kind: ``{kind: {AU number: column index}}``.

    A column whose name ``pattern`` matches is an AU column: the pattern's first group is the AU
    number, its second group (when it has one) the kind, lower-cased (OpenFace's ``AU12_c`` /
    ``AU12_r``: ``"c"`` / ``"r"``); with one group every AU column is of kind ``""`` (py-feat's
    ``AU12``). Other columns are ignored; a kind no column has is absent; columns keep header order.

    Args:
        header: the column names. pattern: a compiled regular expression (``match`` is used).
        file: the file, for error messages. known: the FACS 2002 code numbers
            (``auknow.facs.codes()``, the default when ``None``).

    Raises:
        DataError: at line 1 of ``file``: an AU column whose number is not a FACS 2002 code, or an
            AU in two columns of one kind (the message names both columns and their positions).

    >>> import re
    >>> openface = re.compile(r"^AU(\\d+)_([cr])$", re.IGNORECASE)
    >>> detector_au_columns(["frame", "AU01_c", "AU12_c", "AU12_r"], openface, "clip.csv")
    {'c': {1: 1, 12: 2}, 'r': {12: 3}}
    >>> try:
    ...     detector_au_columns(["AU12", "AU06", "au12"], re.compile(r"^AU(\\d+)$", re.I), "clip.csv")
    ... except DataError as err:
    ...     print(err)
    clip.csv:1: AU12 appears in two columns ('AU12' and 'au12', columns 1 and 3); keep one
    """
    known = codes() if known is None else known
    by_kind: dict[str, dict[int, int]] = {}
    for i, h in enumerate(header):
        m = pattern.match(h)
        if not m:
            continue
        number = int(m[1])
        if number not in known:
            raise DataError(f"unknown AU column '{h}' (AU{number} is not a FACS 2002 code)", file=file, line=1)
        cols = by_kind.setdefault(m[2].lower() if pattern.groups > 1 else "", {})
        if number in cols:
            raise DataError(f"AU{number} appears in two columns ('{header[cols[number]]}' and '{h}', "
                            f"columns {cols[number] + 1} and {i + 1}); keep one", file=file, line=1)
        cols[number] = i
    return by_kind


def frame_numbers(header: list[str], rows: list[list[str]], lines: Sequence[int], file: str) -> np.ndarray:
    """``[n]`` int64 frame numbers from the ``frame`` column (any case), else the row numbers 0, 1, ...

    >>> frame_numbers(["Frame", "AU01"], [["4", "1"], ["5", "0"]], [2, 3], "v.csv").tolist()
    [4, 5]
    """
    lower = [h.lower() for h in header]
    if "frame" in lower:
        i = lower.index("frame")
        return frame_column([r[i] for r in rows], file, lines, header[i])
    return np.arange(len(rows), dtype=np.int64)


def join_parts(parts: list[dict], key: str) -> np.ndarray | None:
    """Concatenation of the parts' arrays under ``key`` (``None`` when the files have none).

    >>> join_parts([{"frame": np.array([0, 1])}, {"frame": np.array([0])}], "frame").tolist()
    [0, 1, 0]
    """
    return None if parts[0][key] is None else np.concatenate([p[key] for p in parts])


def stack_parts(parts: list[dict], numbers: list[int], with_intensity: bool) -> tuple[np.ndarray, np.ndarray | None]:
    """Concatenate the parts' ``{number: column}`` blocks into ``[N, A]`` arrays, AUs in ``numbers`` order.

    Returns:
        ``(occurrence [N, A] int8, intensity [N, A] float32 or None)``: :data:`MISSING` / NaN
        where a file lacks an AU; intensity only ``with_intensity``.

    Two files, the second without AU1 (so :data:`MISSING`, -1, there):

    >>> parts = [{"n": 2, "occ": {1: np.array([1, 0], np.int8), 12: np.array([1, 1], np.int8)}, "int": {}},
    ...          {"n": 1, "occ": {12: np.array([0], np.int8)}, "int": {12: np.array([2.5], np.float32)}}]
    >>> occ, inten = stack_parts(parts, [1, 12], with_intensity=True)
    >>> occ.tolist(), inten.tolist()
    ([[1, 1], [0, 1], [-1, 0]], [[nan, nan], [nan, nan], [nan, 2.5]])
    """
    sizes = [p["n"] for p in parts]
    occ = stack_au_columns([p["occ"] for p in parts], sizes, numbers, MISSING, np.int8)
    inten = stack_au_columns([p["int"] for p in parts], sizes, numbers, np.nan, np.float32) if with_intensity else None
    return occ, inten


def frames_from_parts(parts: list[dict], source: dict, with_intensity: bool = False) -> AUFrames:
    """One :class:`AUFrames` of the per-file parts (AUs: the union over files, sorted by number).

    ``source`` becomes the frames' ``source``, with ``frames`` (the number of rows) added.

    >>> def part(occ, sequence):
    ...     n = len(sequence)
    ...     return {"n": n, "occ": {k: np.array(v, np.int8) for k, v in occ.items()}, "int": {},
    ...             "frame": np.arange(n), "sequence": np.array(sequence), "subject": np.array(sequence),
    ...             "expression": None}
    >>> f = frames_from_parts([part({12: [1, 1], 1: [1, 0]}, ["a", "a"]), part({12: [0]}, ["b"])], {"dataset": "demo"})
    >>> f.aus, f.occurrence.tolist(), f.sequence.tolist(), f.frame.tolist(), f.source
    (('AU01', 'AU12'), [[1, 1], [0, 1], [-1, 0]], ['a', 'a', 'b'], [0, 1, 0], {'dataset': 'demo', 'frames': 3})
    """
    numbers = sorted(set().union(*(p["occ"] for p in parts)))
    occ, inten = stack_parts(parts, numbers, with_intensity=with_intensity)
    out = AUFrames(aus=[au_name(k) for k in numbers], occurrence=occ,
                   subject=np.concatenate([p["subject"] for p in parts]),
                   sequence=np.concatenate([p["sequence"] for p in parts]),
                   frame=np.concatenate([p["frame"] for p in parts]),
                   expression=join_parts(parts, "expression"),
                   intensity=inten, source=source)
    out.source["frames"] = len(out)
    return out
