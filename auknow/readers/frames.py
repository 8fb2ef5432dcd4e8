"""The one in-memory form every reader produces: frames x AUs occurrence with missing values."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..errors import DataError

#: Value of :attr:`AUFrames.occurrence` for "not coded" (BP4D's 9, a missing file, a blank cell).
MISSING = -1


@dataclass
class AUFrames:
    """AU-labelled frames (or sequences, one row each) from any dataset or detector.

    Attributes:
        aus: canonical AU names, length ``A`` (columns of ``occurrence``).
        occurrence: ``[N, A]`` int8: 1 present, 0 absent, :data:`MISSING` (-1) not coded.
        subject: ``[N]`` subject ids (str).
        sequence: ``[N]`` sequence ids (str), unique across subjects (e.g. ``F001_T1``).
        frame: ``[N]`` int64 frame numbers within a sequence.
        expression: ``[N]`` canonical expression names, or ``None`` when the data has no labels
            (DISFA without ``--expressions``).
        intensity: ``[N, A]`` float32 intensities 0-5 with NaN where not coded, or ``None``.
        source: provenance of the reading (dataset, path, threshold, files read, ...).
    """

    aus: tuple[str, ...]
    occurrence: np.ndarray
    subject: np.ndarray
    sequence: np.ndarray
    frame: np.ndarray
    expression: np.ndarray | None = None
    intensity: np.ndarray | None = None
    source: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.aus = tuple(self.aus)
        self.occurrence = np.asarray(self.occurrence, dtype=np.int8)
        n = self.occurrence.shape[0]
        if self.occurrence.ndim != 2 or self.occurrence.shape[1] != len(self.aus):
            raise ValueError(f"occurrence must be [N, {len(self.aus)}], got {self.occurrence.shape}")
        self.subject = np.asarray(self.subject).astype(str)
        self.sequence = np.asarray(self.sequence).astype(str)
        self.frame = np.asarray(self.frame, dtype=np.int64)
        for name in ("subject", "sequence", "frame"):
            if getattr(self, name).shape != (n,):
                raise ValueError(f"{name} must be [{n}], got {getattr(self, name).shape}")
        if self.expression is not None:
            self.expression = np.asarray(self.expression).astype(str)
            if self.expression.shape != (n,):
                raise ValueError(f"expression must be [{n}], got {self.expression.shape}")
        if self.intensity is not None:
            self.intensity = np.asarray(self.intensity, dtype=np.float32)
            if self.intensity.shape != self.occurrence.shape:
                raise ValueError(f"intensity must be {self.occurrence.shape}, got {self.intensity.shape}")
        bad = ~np.isin(self.occurrence, (0, 1, MISSING))
        if bad.any():
            raise ValueError("occurrence values must be 0, 1 or -1 (missing)")

    def __len__(self) -> int:
        return int(self.occurrence.shape[0])

    @property
    def subjects(self) -> list[str]:
        """Sorted unique subject ids."""
        return sorted(set(self.subject.tolist()))

    def select(self, mask: np.ndarray) -> "AUFrames":
        """The rows where ``mask`` ([N] bool) is true, as a new :class:`AUFrames`."""
        mask = np.asarray(mask, dtype=bool)
        return AUFrames(
            aus=self.aus, occurrence=self.occurrence[mask], subject=self.subject[mask],
            sequence=self.sequence[mask], frame=self.frame[mask],
            expression=None if self.expression is None else self.expression[mask],
            intensity=None if self.intensity is None else self.intensity[mask], source=dict(self.source))

    def drop_uncoded_aus(self) -> "AUFrames":
        """Drop AU columns that are never coded (all :data:`MISSING`), e.g. BP4D's unused columns."""
        keep = (self.occurrence != MISSING).any(axis=0)
        return AUFrames(
            aus=tuple(a for a, k in zip(self.aus, keep) if k), occurrence=self.occurrence[:, keep],
            subject=self.subject, sequence=self.sequence, frame=self.frame, expression=self.expression,
            intensity=None if self.intensity is None else self.intensity[:, keep], source=dict(self.source))

    def check_unique_frames(self, file: str | None = None) -> None:
        """Raise :class:`DataError` if a (sequence, frame) pair appears twice."""
        key = np.char.add(np.char.add(self.sequence, "\x1f"), self.frame.astype(str))
        uniq, idx, counts = np.unique(key, return_index=True, return_counts=True)
        if (counts > 1).any():
            first = idx[counts > 1][0]
            raise DataError(f"frame {self.frame[first]} of sequence {self.sequence[first]} appears more than once",
                            file=file or self.source.get("path"))
