"""Per-clip AU targets from detector outputs (OpenFace 2.x, py-feat), AU-DFER's majority rule.

A clip's target for AU a is ``y_a = 1`` iff ``sum_t a_ta / n >= threshold`` (AU-DFER: 0.5), with
``a_ta`` the frame-level presence and ``n`` the **denominator**:

* ``denominator=16`` (AU-DFER's Former-DFER DFEW loader, the default of the AU-DFER configs):
  ``n = 16`` fixed, over the 16 frames of ``Clip/clip_224x224_16f``. OpenFace (or py-feat) must
  therefore be run **on those 16 frames** (``FeatureExtraction -fdir Clip/clip_224x224_16f/00001
  -aus -out_dir OUT``, then rename ``00001.csv``); a file with another number of frames is an
  error naming it. Frames the detector did not track (``success == 0``, no face) count as 0 in
  the sum and still count in ``n``.
* ``denominator="tracked"`` (AU-DFER's FERV39K / MAE-DFER loaders): ``n`` = frames the detector
  tracked, any number of frames (run on every frame of the clip you train on). A clip with no
  tracked frame gets NaN (missing), not the reference code's all-ones vector.

Frame-level presence: OpenFace ``AUxx_c == 1``; py-feat ``AUxx >= frame_threshold`` (its AU
outputs are probabilities, 0.5 by default). Several faces per frame (OpenFace ``face_id``,
py-feat ``Identity``) are read per identity: :func:`clip_targets` returns one target per
identity, and :func:`attach_clip_targets` uses the identity seen in the most frames (the main
face; ties: the first in file order) and counts the clips that had several.

Files are looked up as ``<folder>/<clip id>.csv`` (DFEW ``00001.csv``; FERV39K the clip's relative
path ``Scene/Emotion/clip.csv``). Column names may carry OpenFace's leading spaces.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import numpy as np

from .images import DatasetError

__all__ = ["AU_DFER_FRAMES", "clip_targets", "openface_clip_target", "attach_clip_targets",
           "attach_openface_targets", "TargetReport"]

#: Frames of DFEW's ``Clip/clip_224x224_16f`` and AU-DFER's fixed denominator.
AU_DFER_FRAMES = 16
_OF_AU = re.compile(r"^AU(\d+)_c$")
_PF_AU = re.compile(r"^AU(\d+)$")
_IDENTITY = {"openface": "face_id", "pyfeat": "Identity"}


def _read(path: Path) -> tuple[list[str], list[list[str]]]:
    if not path.is_file():
        raise DatasetError(f"{path}: file not found")
    with path.open(newline="", encoding="utf-8-sig") as f:
        rows = [r for r in csv.reader(f) if r and any(c.strip() for c in r)]
    if not rows:
        raise DatasetError(f"{path}: empty detector file")
    return [h.strip() for h in rows[0]], rows[1:]


def _column(rows: list[list[str]], j: int, path: Path, name: str) -> np.ndarray:
    out = np.empty(len(rows), dtype=np.float64)
    for i, r in enumerate(rows):
        try:
            v = r[j].strip()
            out[i] = float(v) if v else np.nan
        except (ValueError, IndexError):
            raise DatasetError(f"{path}, line {i + 2}: column {name}: {r[j] if j < len(r) else '(none)'!r} is not "
                               "a number") from None
    return out


def clip_targets(path: str | Path, aus: Sequence[str], *, detector: str = "openface", threshold: float = 0.5,
                 denominator: int | str = "tracked", frame_threshold: float = 0.5) -> dict[str, np.ndarray]:
    """Per-identity clip targets of one detector CSV, by AU-DFER's majority rule.

    Args:
        path: one clip's OpenFace 2.x CSV (``success``, ``AUxx_c``, optional ``face_id``) or
            py-feat CSV (``AUxx`` probabilities, optional ``Identity``, ``frame``).
        aus: AU names in the target order (e.g. ``auknow.facs.au_set("openface_c")``).
        detector: ``"openface"`` or ``"pyfeat"``.
        threshold: the clip rule's fraction (AU-DFER: 0.5; ``sum / n >= threshold``).
        denominator: ``"tracked"`` or a fixed frame count (AU-DFER's DFEW rule: 16, and the file
            must then cover exactly that many frames).
        frame_threshold: py-feat probability at which an AU is present in a frame.

    Returns:
        ``{identity: float32 [A]}`` with 1, 0 or NaN (no tracked frame; AU without a column).
        One entry (``"0"``) when the file has no identity column.

    Raises:
        DatasetError: missing / empty file, no AU column, a non-numeric cell, a file whose frame
            count differs from a fixed ``denominator`` (names the file and what to run).

    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "c.csv"
    >>> _ = p.write_text("frame, success, AU12_c\\n" + "".join(f"{t}, 1, {int(t <= 8)}\\n" for t in range(1, 17)))
    >>> clip_targets(p, ["AU12"], denominator=16)["0"].tolist()   # 8 / 16 >= 0.5
    [1.0]
    """
    from auknow.facs import au_number

    path = Path(path)
    if detector not in _IDENTITY:
        raise ValueError(f"detector: expected openface or pyfeat, got {detector!r}")
    fixed = None if denominator == "tracked" else int(denominator)
    header, rows = _read(path)
    pat = _OF_AU if detector == "openface" else _PF_AU
    cols = {int(m.group(1)): j for j, h in enumerate(header) if (m := pat.match(h))}
    if not cols:
        want = "AUxx_c (OpenFace 2.x)" if detector == "openface" else "AU01, AU02, ... (py-feat)"
        raise DatasetError(f"{path}: no {want} column")
    ident_col = _IDENTITY[detector]
    ids = np.array([r[header.index(ident_col)].strip() for r in rows]) if ident_col in header else \
        np.full(len(rows), "0")
    if detector == "openface":
        ok = _column(rows, header.index("success"), path, "success") >= 0.5 if "success" in header else \
            np.ones(len(rows), dtype=bool)
    else:
        ok = ~np.isnan(np.column_stack([_column(rows, j, path, header[j]) for j in cols.values()])).all(1)
    present = {n: _column(rows, j, path, header[j]) >= (0.5 if detector == "openface" else frame_threshold)
               for n, j in cols.items()}
    out = {}
    for ident in dict.fromkeys(ids.tolist()):
        sel = ids == ident
        if fixed is not None and int(sel.sum()) != fixed:
            raise DatasetError(f"{path}: {int(sel.sum())} frames{'' if ident == '0' else f' of {ident_col} {ident}'}"
                               f", but data.au_denominator={fixed} (AU-DFER's rule) needs exactly {fixed}: run the "
                               f"detector on the {fixed} frames of Clip/clip_224x224_16f, or set "
                               "data.au_denominator=tracked")
        tracked = sel & ok
        n = fixed if fixed is not None else int(tracked.sum())
        y = np.full(len(aus), np.nan, dtype=np.float32)
        if n > 0 and tracked.any():
            for k, name in enumerate(aus):
                col = present.get(au_number(name))
                if col is not None:
                    y[k] = float((col & tracked).sum() / n >= threshold)
        out[str(ident)] = y
    return out


def openface_clip_target(path: str | Path, aus: Sequence[str], threshold: float = 0.5,
                         denominator: int | str = "tracked") -> np.ndarray:
    """The target of a single-face OpenFace 2.x CSV (the main face when there are several).

    See :func:`clip_targets`; returns float32 ``[A]`` (1, 0 or NaN).
    """
    return _main(clip_targets(path, aus, threshold=threshold, denominator=denominator), path, "openface")[0]


def _main(targets: dict[str, np.ndarray], path, detector: str) -> tuple[np.ndarray, bool]:
    if len(targets) == 1:
        return next(iter(targets.values())), False
    # the identity tracked in the most frames: recount from the file (cheap; files are small)
    header, rows = _read(Path(path))
    j = header.index(_IDENTITY[detector])
    counts: dict[str, int] = {}
    for r in rows:
        counts[r[j].strip()] = counts.get(r[j].strip(), 0) + 1
    best = max(targets, key=lambda k: counts.get(k, 0))
    return targets[best], True


@dataclass
class TargetReport:
    """What :func:`attach_clip_targets` found: clips with a file, the first missing paths, clips
    with several identities (the main one used), and the settings."""

    found: int = 0
    missing: int = 0
    missing_examples: list[str] = field(default_factory=list)
    several_identities: int = 0
    settings: dict = field(default_factory=dict)

    def summary(self) -> str:
        s = (f"AU targets ({self.settings.get('detector')}, denominator {self.settings.get('denominator')}): "
             f"{self.found} clips with a file, {self.missing} without (targets NaN)")
        if self.several_identities:
            s += f", {self.several_identities} with several faces (the face in most frames used)"
        if self.missing_examples:
            s += "; first missing: " + ", ".join(self.missing_examples)
        return s


def attach_clip_targets(records: list, folder: str | Path, aus: Sequence[str], *, detector: str = "openface",
                        threshold: float = 0.5, denominator: int | str = "tracked", frame_threshold: float = 0.5,
                        missing: str = "nan") -> TargetReport:
    """Set ``au_target`` of each clip record from ``<folder>/<clip_id>.csv``.

    Args:
        records: :class:`experiments.datasets.ClipRecord` list (``clip_id`` used).
        folder: the detector outputs.
        missing: a clip without a CSV gets NaN targets (``"nan"``) or raises (``"error"``).
        detector, threshold, denominator, frame_threshold: of :func:`clip_targets`.

    Raises:
        DatasetError: the folder is missing; a missing CSV with ``missing="error"``; a bad file.
    """
    d = Path(folder)
    if not d.is_dir():
        raise DatasetError(f"{d}: AU detector folder not found")
    rep = TargetReport(settings={"detector": detector, "denominator": denominator, "threshold": threshold})
    for r in records:
        p = d / f"{r.clip_id}.csv"
        if p.is_file():
            t = clip_targets(p, aus, detector=detector, threshold=threshold, denominator=denominator,
                             frame_threshold=frame_threshold)
            r.au_target, several = _main(t, p, detector)
            rep.found += 1
            rep.several_identities += int(several)
        elif missing == "error":
            raise DatasetError(f"{p}: no {detector} output for clip {r.clip_id}")
        else:
            r.au_target = np.full(len(aus), np.nan, dtype=np.float32)
            rep.missing += 1
            if len(rep.missing_examples) < 5:
                rep.missing_examples.append(str(p))
    return rep


def attach_openface_targets(records: list, openface_dir: str | Path, aus: Sequence[str], threshold: float = 0.5,
                            missing: str = "nan", denominator: int | str = "tracked") -> int:
    """:func:`attach_clip_targets` with OpenFace; returns the number of clips that had a CSV."""
    return attach_clip_targets(records, openface_dir, aus, detector="openface", threshold=threshold,
                               denominator=denominator, missing=missing).found
