"""The one in-memory form every reader produces: frames x AUs occurrence with missing values."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..errors import DataError, LabelError
from ..expressions import ExpressionError, canonical_expression
from ..facs import au_name
from ..vocabulary import resolve_aus
from .columns import au_columns

#: Value of :attr:`AUFrames.occurrence` for "not coded" (BP4D's 9, a missing file, a blank cell).
MISSING = -1


def _canonical_expressions(values: np.ndarray) -> np.ndarray:
    """Canonical expression names (``happy -> happiness``), resolved once per distinct value."""
    uniq, inverse = np.unique(values, return_inverse=True)
    try:
        names = np.array([canonical_expression(v) for v in uniq.tolist()], dtype=object).astype(str)
    except ExpressionError as exc:
        raise LabelError(f"expression: {exc}") from None
    return names[inverse.reshape(values.shape)] if len(uniq) else values


@dataclass
class AUFrames:
    """AU-labelled frames (or sequences, one row each) from any dataset or detector.

    Names are canonical from construction on (``AU1 -> AU01``, ``happy -> happiness``), so an
    estimate compiled from frames built by hand lines up with every table and label space.

    Attributes:
        aus: canonical AU names, length ``A`` (columns of ``occurrence``).
        occurrence: ``[N, A]`` int8: 1 present, 0 absent, :data:`MISSING` (-1) not coded.
        subject: ``[N]`` subject ids (str).
        sequence: ``[N]`` sequence ids (str), unique across subjects (e.g. ``F001_T1``).
        frame: ``[N]`` int64 frame numbers within a sequence.
        expression: ``[N]`` canonical expression names, or ``None`` when the data has no labels
            (DISFA without an expressions file).
        intensity: ``[N, A]`` float32 intensities 0-5 with NaN where not coded, or ``None``.
        source: provenance of the reading (dataset, path, threshold, files read, ...).

    Raises:
        ValueError: arrays of mismatched shapes, occurrence values other than 0, 1, -1.
        LabelError: an AU or expression name outside the vocabulary, an AU given twice.

    >>> f = AUFrames(aus=["AU1", "au_12"], occurrence=[[1, 0], [0, 1]], subject=["S1", "S2"],
    ...              sequence=["S1_a", "S2_a"], frame=[0, 0], expression=["happy", "Angry"])
    >>> f.aus, f.expression.tolist()
    (('AU01', 'AU12'), ['happiness', 'anger'])
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
        self.aus = resolve_aus(tuple(self.aus)) if len(self.aus) else ()  # canonical names: AU1 -> AU01
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
            self.expression = _canonical_expressions(np.asarray(self.expression).astype(str))
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

    # --- pandas in and out (py-feat's Fex is a DataFrame) ------------------------------------------
    @classmethod
    def from_frame(cls, df, subject: str = "subject", sequence: str | None = None,
                   expression: str | None = "expression", frame: str | None = None, aus=None,
                   threshold: float | None = None) -> "AUFrames":
        """AU-labelled frames from a pandas DataFrame (one row per frame or sequence).

        AU columns are found by any spelling the readers accept (``AU01``, ``AU1``, ``au_1``,
        ``AU12_c``, ``AU12_r``; a column whose name starts with AU/au and parses as a FACS AU),
        or named with ``aus``. Where a tool writes both ``AU12_c`` and ``AU12_r`` the presence
        column is used unless ``aus`` names the ``_r`` ones.

        Args:
            df: a ``pandas.DataFrame`` (py-feat's ``Fex`` is one).
            subject: column of subject ids (required: resampling is by subject).
            sequence: column of sequence ids; default one sequence per (subject, expression).
            expression: column of expression labels (any alias), or ``None`` for no labels.
            frame: column of frame numbers; default the row order within each sequence.
            aus: the AU columns to read (names as written in ``df``); default all AU columns.
            threshold: AU values >= threshold are present. Required when the values are not
                occurrence 0/1 (intensities 0-5, detector probabilities); without it such
                values raise.

        Values: 1 present, 0 absent; NaN, negative values and BP4D's 9 are "not coded".

        Returns:
            :class:`AUFrames` with canonical AU and expression names; ``source`` records the
            columns read.

        Raises:
            DataError: a missing column (naming it and the columns there are), no AU column,
                non-numeric AU values, values other than 0/1 without ``threshold``.
            LabelError: an unknown expression or AU name.

        >>> import pandas as pd
        >>> df = pd.DataFrame({"subject": ["S1", "S1", "S2"], "expression": ["happy", "sad", "happy"],
        ...                    "AU6": [1, 0, 1], "AU12_c": [1, 0, 0]})
        >>> f = AUFrames.from_frame(df)
        >>> f.aus, len(f), f.sequence.tolist()
        (('AU06', 'AU12'), 3, ['S1_happiness', 'S1_sadness', 'S2_happiness'])
        """
        import pandas as pd

        if not isinstance(df, pd.DataFrame):
            raise DataError(f"from_frame: expected a pandas DataFrame, got {type(df).__name__}")
        columns = [str(c) for c in df.columns]

        def column(name: str | None, what: str):
            if name is None:
                return None
            if name not in df.columns:
                raise DataError(f"from_frame: no {what} column '{name}' (columns: {', '.join(columns[:20])})")
            return df[name]

        subj = column(subject, "subject")
        if subj is None:
            raise DataError("from_frame: a subject column is required (resampling is by subject)")
        expr = column(expression, "expression")
        picked = _au_frame_columns(df, aus, skip={subject, sequence, expression, frame})
        occ = _frame_occurrence(df, picked, threshold)
        subj_v = subj.astype(str).to_numpy()
        expr_v = None if expr is None else _canonical_expressions(expr.astype(str).to_numpy())
        if sequence is not None:
            seq_v = column(sequence, "sequence").astype(str).to_numpy()
        else:
            seq_v = subj_v if expr_v is None else np.char.add(np.char.add(subj_v.astype(str), "_"), expr_v)
        if frame is not None:
            frame_v = pd.to_numeric(column(frame, "frame"), errors="coerce")
            if frame_v.isna().any():
                raise DataError(f"from_frame: frame column '{frame}' holds non-numbers")
            frame_v = frame_v.to_numpy(dtype=np.int64)
        else:
            frame_v = pd.Series(seq_v).groupby(seq_v, sort=False).cumcount().to_numpy(dtype=np.int64)
        out = cls(aus=tuple(picked), occurrence=occ, subject=subj_v, sequence=seq_v, frame=frame_v,
                  expression=expr_v, source={"dataset": "dataframe", "au_columns": list(picked.values()),
                                             "threshold": threshold})
        out.check_unique_frames()
        return out

    def to_frame(self):
        """A pandas DataFrame: ``subject``, ``sequence``, ``frame``, ``expression`` (if any), then
        one occurrence column per AU (1, 0, or NaN where not coded).

        >>> f = AUFrames(aus=["AU12"], occurrence=[[1], [-1]], subject=["S1", "S1"],
        ...              sequence=["a", "a"], frame=[0, 1])
        >>> f.to_frame()["AU12"].tolist()
        [1.0, nan]
        """
        import pandas as pd

        data = {"subject": self.subject, "sequence": self.sequence, "frame": self.frame}
        if self.expression is not None:
            data["expression"] = self.expression
        occ = np.where(self.occurrence == MISSING, np.nan, self.occurrence.astype(float))
        data.update({a: occ[:, j] for j, a in enumerate(self.aus)})
        return pd.DataFrame(data)


#: Column suffixes that mean occurrence / a probability of it, and those that mean intensity.
_PRESENCE_SUFFIXES = (None, "c", "occ", "occurrence", "prob", "probability", "evidence")
_INTENSITY_SUFFIXES = ("r", "int", "intensity")


def _frame_occurrence(df, picked: dict[str, str], threshold: float | None) -> np.ndarray:
    """``[N, A]`` int8 occurrence of the DataFrame columns ``picked`` (AU name -> column).

    NaN, negative values and BP4D's 9 are :data:`MISSING`; other values must be 0/1 unless a
    ``threshold`` binarises them (present when ``>= threshold``).
    """
    import pandas as pd

    values = []
    for name in picked.values():
        col = pd.to_numeric(df[name], errors="coerce")
        bad = col.isna() & df[name].notna()
        if bad.any():
            row = int(np.flatnonzero(bad.to_numpy())[0])
            raise DataError(f"from_frame: column '{name}' row {row}: '{df[name].iloc[row]}' is not a number")
        values.append(col.to_numpy(dtype=float))
    x = np.stack(values, axis=1) if values else np.zeros((len(df), 0))
    missing = np.isnan(x) | (x < 0) | (x == 9)
    if threshold is None:
        odd = ~missing & ~np.isin(x, (0.0, 1.0))
        if odd.any():
            r, c = (int(v[0]) for v in np.nonzero(odd))
            raise DataError(f"from_frame: column '{list(picked.values())[c]}' row {r}: {x[r, c]:g} is not "
                            "occurrence 0/1; give threshold= for intensities or probabilities")
        return np.where(missing, MISSING, x).astype(np.int8)
    return np.where(missing, MISSING, (x >= threshold).astype(np.int8)).astype(np.int8)


def _au_frame_columns(df, aus, skip) -> dict[str, str]:
    """Canonical AU name -> DataFrame column, for the AU columns of ``df`` (or the named ones).

    The readers' own rules (:func:`auknow.readers.columns.au_columns`): an AU-like name that is
    not a FACS AU, a one-sided column or an AU in two columns raises. Presence columns
    (``AU12_c``) come first; an AU with only an intensity column (``AU12_r``) is read from that.
    """
    header = [str(c).strip() for c in df.columns]
    skip_idx = [i for i, c in enumerate(header) if c in skip]
    where = "DataFrame header"
    if aus is not None:
        names = [aus] if isinstance(aus, str) else [str(a) for a in aus]
        idx, numbers, _ = au_columns(header, skip_idx, where, au_cols=names)
        return {au_name(n): df.columns[i] for i, n in zip(idx, numbers)}
    found: dict[int, int] = {}
    for suffixes in (_PRESENCE_SUFFIXES, _INTENSITY_SUFFIXES):
        idx, numbers, _ = au_columns(header, skip_idx, where, suffixes=suffixes)
        for i, n in zip(idx, numbers):
            found.setdefault(n, i)
    if not found:
        raise DataError("from_frame: no AU column found (expected names such as AU01, AU12_c); name them with aus=")
    return {au_name(n): df.columns[found[n]] for n in sorted(found)}
