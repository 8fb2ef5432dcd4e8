"""Readers of AU-labelled data into one in-memory form (:class:`auknow.readers.frames.AUFrames`)."""

from __future__ import annotations

import inspect
from pathlib import Path

from ..errors import DataError
from .bp4d import BP4D_TASKS, read_bp4d
from .ckplus import EMOTION_CODES, bundled_ckplus_path, read_ckplus
from .dfew import read_dfew_openface
from .disfa import read_disfa
from .filelabels import DFEW_CLASSES, FileLabels
from .frames import MISSING, AUFrames
from .imotions import read_imotions
from .openface import read_openface
from .pyfeat import PYFEAT_EMOTIONS, read_pyfeat
from .tidy import read_tidy_csv

#: ``read_dataset`` kinds and their readers.
READERS = {
    "bp4d": read_bp4d,
    "disfa": read_disfa,
    "ckplus": read_ckplus,
    "csv": read_tidy_csv,
    "openface": read_openface,
    "pyfeat": read_pyfeat,
    "imotions": read_imotions,
}


def read_dataset(kind: str, path, **options) -> AUFrames:
    """Read AU-labelled data of any supported kind into :class:`AUFrames`.

    Args:
        kind: ``bp4d`` (:func:`read_bp4d`), ``disfa`` (:func:`read_disfa`), ``ckplus``
            (:func:`read_ckplus`), ``csv`` (a tidy CSV, :func:`read_tidy_csv`; ``tidy`` is an
            alias), ``openface`` (:func:`read_openface`) or ``pyfeat`` (:func:`read_pyfeat`;
            ``py-feat`` is an alias) or ``imotions`` (:func:`read_imotions`, FACET Evidence).
            Case-insensitive.
        path: the dataset folder or file; for ``openface`` / ``pyfeat`` also a list of files.
        **options: the keyword arguments of that reader (e.g. ``threshold=2`` for DISFA).

    Returns:
        The reader's :class:`AUFrames` (``occurrence [N, A]`` int8 with :data:`MISSING`, ...).

    Raises:
        DataError: unknown ``kind``, an option the reader does not take, or any reading error
            of the reader (naming file and line).

    >>> f = read_dataset("CK+", bundled_ckplus_path())
    >>> len(f), len(f.aus), f.aus[:3], f.expression[:2].tolist()
    (327, 23, ('AU01', 'AU02', 'AU04'), ['disgust', 'surprise'])
    >>> read_dataset("affwild", "x")
    Traceback (most recent call last):
    ...
    auknow.errors.DataError: x: unknown dataset kind 'affwild' (choose from bp4d, disfa, ckplus, ...)
    >>> read_dataset("disfa", "x", treshold=2)
    Traceback (most recent call last):
    ...
    auknow.errors.DataError: disfa reader: unknown option(s) treshold (accepted: expressions, threshold)
    """
    key = str(kind).strip().lower().replace("-", "")
    key = {"tidy": "csv", "ck+": "ckplus", "ck": "ckplus"}.get(key, key)
    reader = READERS.get(key)
    if reader is None:
        raise DataError(f"unknown dataset kind '{kind}' (choose from {', '.join(READERS)})",
                        file=None if isinstance(path, (list, tuple)) else str(path))
    accepted = set(inspect.signature(reader).parameters) - {"path", "root", "paths"}
    unknown = sorted(set(options) - accepted)
    if unknown:
        raise DataError(f"{key} reader: unknown option(s) {', '.join(unknown)} "
                        f"(accepted: {', '.join(sorted(accepted))})")
    if key not in ("openface", "pyfeat", "imotions") and isinstance(path, (list, tuple)):
        if len(path) != 1:
            raise DataError(f"the {key} reader takes one path, got {len(path)}")
        path = path[0]
    return reader(path if isinstance(path, (list, tuple)) else Path(path), **options)


__all__ = [
    "AUFrames", "MISSING", "BP4D_TASKS", "DFEW_CLASSES", "EMOTION_CODES", "FileLabels", "PYFEAT_EMOTIONS", "READERS",
    "bundled_ckplus_path", "read_bp4d", "read_ckplus", "read_dataset", "read_dfew_openface", "read_disfa",
    "read_imotions", "read_openface", "read_pyfeat", "read_tidy_csv",
]
