"""Streaming to counts: reduce each file to its sufficient counts as it is read.

Every statistic of ``estimate-prior`` is a function of a few counts (see
:mod:`auknow.estimate.statistics`): per sequence, the frames with each AU coded / present, and
per subject the pair counts (a Gram matrix of the ``[coded | present]`` frame indicators). A
file's frames can be dropped as soon as these are added up, so memory stays at the largest file
plus the counts (``Q x A`` and ``S x 4 x A x A``) however many frames there are.

:class:`CountsBuilder` takes one block of frames at a time and gives the same
:class:`~auknow.estimate.statistics.Counts` as :func:`~auknow.estimate.statistics.count_units`
on all frames at once (same sequence / subject order, same float64 values; the tests check it
on CK+ and on BP4D-layout fixtures). :func:`count_bp4d` streams a BP4D tree through it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterable, Mapping

import numpy as np

from ..errors import DataError
from ..facs import au_name, codes
from ..readers.bp4d import BP4D_REFERENCE, file_subject_task, label_files, occ_file_patterns
from ..readers.frames import MISSING
from ..readers.patterns import distinct_rows
from . import statistics as st


class CountsBuilder:
    """Accumulate sufficient counts block by block (one file or sequence at a time).

    >>> b = CountsBuilder()
    >>> b.add("S1", "S1_a", "happiness", {12: np.array([1, 1, 0], np.int8)})
    >>> b.add("S2", "S2_a", "sadness", {12: np.array([0, -1], np.int8)})
    >>> c = b.counts("frame")
    >>> c.seq_n.ravel().tolist(), c.seq_k.ravel().tolist()
    ([3.0, 1.0], [2.0, 0.0])
    """

    def __init__(self) -> None:
        self.numbers: list[int] = []  # AU numbers in order of first appearance
        self._seq: dict[tuple[str, str], list] = {}  # (subject, sequence) -> [expression, coded, present]
        # (subject, expression) -> [2U, 2U] frame-level Gram of [coded | present]: summed per subject for
        # the pair counts, kept per cell for the per-expression AU-pair test
        self._gram: dict[tuple[str, str | None], np.ndarray] = {}
        self.frames = 0

    def _index(self, numbers: Iterable[int]) -> np.ndarray:
        for k in numbers:
            if k not in self.numbers:
                self.numbers.append(k)
        where = {k: j for j, k in enumerate(self.numbers)}
        return np.array([where[k] for k in numbers], dtype=np.int64)

    def add(self, subject: str, sequence: str, expression: str | None, columns: Mapping[int, np.ndarray],
            weights: np.ndarray | None = None) -> None:
        """Add the frames of one sequence (or part of one): ``columns`` maps AU number -> ``[n]``
        int8 occurrence (1, 0, :data:`MISSING`); ``weights`` (``[n]`` whole numbers, default 1)
        says how many frames each row stands for (distinct patterns, see
        :func:`auknow.readers.patterns.distinct_rows`).

        Raises:
            DataError: a sequence given two expressions (naming it).
        """
        numbers = list(columns)
        idx = self._index(numbers)
        U = len(self.numbers)
        occ = np.column_stack([np.asarray(columns[k]) for k in numbers]) if numbers else np.zeros((0, 0), np.int8)
        # Frames repeat a few AU patterns (persistent activity): sum over distinct rows, weighted.
        pattern, weight = distinct_rows(occ, weights)
        coded = np.zeros((pattern.shape[0], U))
        present = np.zeros((pattern.shape[0], U))
        coded[:, idx] = pattern != MISSING
        present[:, idx] = pattern == 1
        key = (str(subject), str(sequence))
        entry = self._seq.get(key)
        if entry is None:
            entry = self._seq[key] = [expression, np.zeros(U), np.zeros(U)]
        elif entry[0] != expression:
            raise DataError(f"sequence {sequence} has frames of two expressions; give each labelled episode its own "
                            "sequence id")
        # Sums of whole numbers in float64 (exact); einsum, not BLAS: OpenBLAS would start (and spin)
        # threads for these tiny products, several times the CPU time on a shared machine.
        entry[1] = _grow(entry[1], U) + np.einsum("u,ua->a", weight, coded)
        entry[2] = _grow(entry[2], U) + np.einsum("u,ua->a", weight, present)
        both = np.concatenate([coded, present], axis=1)
        gram = np.einsum("ui,uj->ij", both * weight[:, None], both)
        cell = (key[0], expression)
        g = self._gram.get(cell)
        self._gram[cell] = gram if g is None else _grow_gram(g, U) + gram
        self.frames += int(weight.sum())

    def counts(self, unit: str = "frame", min_fraction: float = 0.5) -> st.Counts:
        """The :class:`~auknow.estimate.statistics.Counts`, AUs never coded dropped, AUs in FACS order.

        Raises:
            DataError: no frames, no AU coded anywhere, an unknown unit or min fraction.
        """
        if unit not in ("frame", "sequence"):
            raise DataError(f"unknown unit '{unit}' (expected frame or sequence)")
        if not 0 < min_fraction <= 1:
            raise DataError(f"min fraction {min_fraction} is outside (0, 1]")
        if not self._seq:
            raise DataError("no frames to estimate from")
        U = len(self.numbers)
        keys = sorted(self._seq, key=lambda k: f"{k[0]}\x1f{k[1]}")  # the order of count_units
        coded = np.stack([_grow(self._seq[k][1], U) for k in keys])
        present = np.stack([_grow(self._seq[k][2], U) for k in keys])
        order = np.argsort(self.numbers, kind="stable")
        keep = [j for j in order if coded[:, j].sum() > 0]
        self.dropped = [au_name(self.numbers[j]) for j in order if coded[:, j].sum() == 0]
        if not keep:
            raise DataError("no AU is coded in any frame")
        subjects = tuple(sorted({k[0] for k in keys}))
        s_index = {s: i for i, s in enumerate(subjects)}
        seq_subject = np.array([s_index[k[0]] for k in keys], dtype=np.int64)
        labels = [self._seq[k][0] for k in keys]
        if any(e is not None for e in labels):
            if any(e is None for e in labels):
                raise DataError("some sequences have an expression label and others do not")
            expressions = tuple(sorted(set(labels)))
            e_index = {e: i for i, e in enumerate(expressions)}
            seq_expr = np.array([e_index[e] for e in labels], dtype=np.int64)
        else:
            expressions, seq_expr, e_index = (), np.full(len(keys), -1, dtype=np.int64), {}
        frames_coded, frames_present = coded[:, keep], present[:, keep]
        if unit == "frame":
            seq_n, seq_k = frames_coded, frames_present
            sel = np.concatenate([keep, np.asarray(keep) + U])
            A = len(keep)
            cell_keys = sorted(self._gram, key=lambda c: (s_index[c[0]], -1 if c[1] is None else e_index[c[1]]))
            grams = np.zeros((len(cell_keys), 4, A, A))
            for c, ck in enumerate(cell_keys):
                g = _grow_gram(self._gram[ck], U)[np.ix_(sel, sel)]
                grams[c] = (g[:A, :A], g[A:, :A], g[:A, A:], g[A:, A:])
            cell_subject = np.array([s_index[ck[0]] for ck in cell_keys], dtype=np.int64)
            pair = np.zeros((len(subjects), 4, A, A))
            np.add.at(pair, cell_subject, grams)
            cells = {} if not expressions else {
                "cell_pair_counts": grams, "cell_subject": cell_subject,
                "cell_expression": np.array([e_index[ck[1]] for ck in cell_keys], dtype=np.int64)}
        else:
            seq_n = (frames_coded > 0).astype(float)
            with np.errstate(invalid="ignore", divide="ignore"):
                seq_k = ((frames_present / frames_coded) >= min_fraction - 1e-12).astype(float) * seq_n
            pair = st.subject_pair_counts(seq_n > 0, seq_k > 0, seq_subject, len(subjects))
            cells = st.cell_pair_counts(seq_n > 0, seq_k > 0, seq_subject, seq_expr, len(expressions)) \
                if expressions else {}
        return st.Counts(aus=tuple(au_name(self.numbers[j]) for j in keep), expressions=expressions,
                         subjects=subjects, sequences=tuple(k[1] for k in keys), seq_subject=seq_subject,
                         seq_expression=seq_expr, seq_n=seq_n, seq_k=seq_k, seq_frames=frames_coded,
                         pair_counts=pair, unit=unit, **cells)


def _grow(v: np.ndarray, U: int) -> np.ndarray:
    return v if v.shape[0] == U else np.concatenate([v, np.zeros(U - v.shape[0])])


def _grow_gram(g: np.ndarray, U: int) -> np.ndarray:
    """A ``[2u, 2u]`` Gram over ``u`` AUs padded to ``U`` AUs (coded block, then present block)."""
    u = g.shape[0] // 2
    if u == U:
        return g
    out = np.zeros((2 * U, 2 * U))
    src = np.r_[0:u, u:2 * u]
    dst = np.r_[0:u, U:U + u]
    out[np.ix_(dst, dst)] = g[np.ix_(src, src)]
    return out


def count_bp4d(root: str | Path, task_map: Mapping[str, str] | None = None, unit: str = "frame",
               min_fraction: float = 0.5, exclude: Iterable[str] = ()) -> tuple[st.Counts, dict]:
    """BP4D's ``AU_OCC`` files reduced to counts one file at a time (memory: one file + counts).

    Args:
        root, task_map: as in :func:`auknow.readers.read_bp4d`.
        unit, min_fraction: as in :func:`auknow.estimate.statistics.count_units`.
        exclude: subject ids whose files are skipped (``--fold`` / ``--exclude-subjects``).

    Returns:
        ``(counts, source)``: the same counts as ``count_units(read_bp4d(root).drop_uncoded_aus())``
        restricted to the kept subjects, and the reader's provenance (``frames`` included).

    Raises:
        DataError: every error of :func:`auknow.readers.read_bp4d` (file and line named).

    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as root:
    ...     occ = Path(root) / "AUCoding" / "AU_OCC"
    ...     occ.mkdir(parents=True)
    ...     for name in ("F001_T1", "F001_T2", "M001_T1", "M001_T2"):   # frame, AU1, AU12
    ...         _ = (occ / f"{name}.csv").write_text("0,1,12\\n1,0,1\\n2,1,1\\n")
    ...     counts, source = count_bp4d(root, exclude=["M001"])
    >>> counts.aus, counts.expressions, counts.subjects, source["dataset"]
    (('AU01', 'AU12'), ('happiness', 'sadness'), ('F001',), 'bp4d')
    """
    root_p, occ_dir, tmap, files, ignored = label_files(root, task_map)
    exclude = set(exclude)
    builder = CountsBuilder()
    known = codes()
    n_files = 0
    for path in files:
        item = occ_file_patterns(path, tmap, known)  # read even when excluded: a bad file is an error
        n_files += 1
        if item.subject in exclude:
            continue
        order = np.argsort(item.numbers, kind="stable")  # AUs in FACS order, as the frames reader gives them
        builder.add(item.subject, f"{item.subject}_{item.task}", tmap[item.task],
                    {item.numbers[j]: item.patterns[:, j] for j in order}, item.weights)
    if not n_files:
        raise DataError("no BP4D label files found (expected files named like F001_T1.csv)", file=str(occ_dir))
    counts = builder.counts(unit, min_fraction)
    source: dict = {"dataset": "bp4d", "path": str(root_p), "reference": BP4D_REFERENCE, "files_read": n_files,
                    "task_map": [f"{k}={v}" for k, v in sorted(tmap.items())], "frames": builder.frames,
                    "streamed": "files reduced to counts as read"}
    if ignored:
        source["files_ignored"] = ignored
    if builder.dropped:
        source["uncoded_aus_dropped"] = builder.dropped
    return counts, source


def bp4d_subjects(root: str | Path) -> list[str]:
    """Subject ids of a BP4D tree from its file names (no file is read).

    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as root:
    ...     occ = Path(root) / "AUCoding" / "AU_OCC"
    ...     occ.mkdir(parents=True)
    ...     for name in ("F001_T1", "M001_T1", "M001_T2"):
    ...         _ = (occ / f"{name}.csv").write_text("0,1\\n1,0\\n")
    ...     bp4d_subjects(root)
    ['F001', 'M001']
    """
    return sorted({file_subject_task(p)[0] for p in label_files(root).files})
