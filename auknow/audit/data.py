"""The units an audit scores: one AU vector and one expression label per frame or sequence."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import DataError
from ..readers.frames import MISSING, AUFrames


@dataclass
class Units:
    """Labelled AU vectors, one per unit (a frame, or a sequence), grouped by subject.

    Attributes:
        aus: canonical AU names coded somewhere in the data, length A.
        occurrence: ``[N, A]`` int8: 1 present, 0 absent, :data:`MISSING` (-1) not coded.
        subject: ``[N]`` int64 index into ``subjects``.
        label: ``[N]`` int64 index into ``expressions``.
        subjects: subject ids, length S. expressions: the data's expressions (sorted), length E.
        unit: ``"frame"`` or ``"sequence"``.

    Usually made by :func:`units_from_frames`; by hand (the arrays are not checked):

    >>> import numpy as np
    >>> u = Units(aus=("AU04", "AU12"), occurrence=np.array([[1, 0], [0, 1], [0, 1], [1, -1]], np.int8),
    ...           subject=np.array([0, 0, 1, 1]), label=np.array([0, 1, 1, 0]), subjects=("s1", "s2"),
    ...           expressions=("anger", "happiness"))
    >>> P, inverse = u.patterns()  # the two smiles share one pattern
    >>> len(u), P.tolist(), inverse.tolist()
    (4, [[0, 1], [1, -1], [1, 0]], [2, 0, 0, 1])
    """

    aus: tuple[str, ...]
    occurrence: np.ndarray
    subject: np.ndarray
    label: np.ndarray
    subjects: tuple[str, ...]
    expressions: tuple[str, ...]
    unit: str = "frame"

    def __len__(self) -> int:
        return int(self.occurrence.shape[0])

    def patterns(self) -> tuple[np.ndarray, np.ndarray]:
        """``(P [U, A], inverse [N])``: the distinct AU vectors and the pattern of each unit."""
        P, inv = np.unique(self.occurrence, axis=0, return_inverse=True)
        return P, inv.reshape(-1)


def units_from_frames(frames: AUFrames, unit: str = "frame", min_fraction: float = 0.5) -> Units:
    """Reduce AU-labelled frames to audit units.

    Args:
        frames: AU-labelled frames with expression labels (any reader of :mod:`auknow.readers`).
        unit: ``"frame"`` (each frame) or ``"sequence"`` (a sequence shows an AU when at least
            ``min_fraction`` of its frames where the AU is coded show it, as in ``estimate-prior``).
        min_fraction: in (0, 1], with ``unit="sequence"``.

    Returns:
        :class:`Units`; AUs never coded are dropped.

    Raises:
        DataError: no expression labels, no frames, an unknown unit, a sequence with two labels.

    >>> from auknow.readers import read_ckplus, bundled_ckplus_path
    >>> u = units_from_frames(read_ckplus(bundled_ckplus_path()))
    >>> len(u), len(u.subjects), u.expressions[:2]
    (327, 118, ('anger', 'contempt'))
    """
    from ..estimate.statistics import count_units

    if frames.expression is None:
        raise DataError("the audit needs expression labels; this data has none (give them when reading it: expressions_file=..., or one expression=... for all frames)",
                        file=frames.source.get("path"))
    frames = frames.drop_uncoded_aus()
    if not frames.aus:
        raise DataError("no AU is coded in any frame", file=frames.source.get("path"))
    if unit == "frame":
        if len(frames) == 0:
            raise DataError("no frames to audit", file=frames.source.get("path"))
        subjects, subj = np.unique(frames.subject, return_inverse=True)
        exprs, lab = np.unique(frames.expression, return_inverse=True)
        return Units(aus=frames.aus, occurrence=frames.occurrence.copy(), subject=subj.reshape(-1),
                     label=lab.reshape(-1), subjects=tuple(subjects.tolist()), expressions=tuple(exprs.tolist()),
                     unit=unit)
    counts = count_units(frames, unit=unit, min_fraction=min_fraction)
    occ = np.where(counts.seq_n > 0, (counts.seq_k > 0).astype(np.int8), MISSING).astype(np.int8)
    labelled = counts.seq_expression >= 0
    return Units(aus=counts.aus, occurrence=occ[labelled], subject=counts.seq_subject[labelled],
                 label=counts.seq_expression[labelled], subjects=counts.subjects, expressions=counts.expressions,
                 unit=unit)
