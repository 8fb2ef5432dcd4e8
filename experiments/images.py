"""Frame images of AU-labelled sequences (BP4D, DISFA): one naming scheme per folder, no neighbours.

A labelled frame is matched to an image only through the number in the image's file name
(``12.png``, ``0012.jpg`` -> 12), under **one** naming scheme per folder, decided once and
reported:

* ``"frame"``: the image is named by the frame number of the label file (BP4D always; DISFA
  image folders cut by frame number);
* ``"index"``: by the 0-based line index of the label file (ME-GraphAU's DISFA lists:
  ``SN001/0.png`` is the first labelled frame, frame 1).

A frame whose image is missing is **skipped and counted**, never matched to another file (the
old loaders tried ``{index}.png`` and then ``{frame}.png``, so with ``2.png`` deleted frame 3 got
frame 4's image ``3.png``). For DISFA the scheme is detected per subject from the file names:
DISFA's frames are numbered 1..N, so an image named ``0`` means ``"index"`` and one named ``N``
means ``"frame"``; a folder with neither (e.g. a JAA-Net-style subset that keeps frames 2..N-1)
cannot be told apart and is an error that asks for ``data.image_naming``. Two files with the
same number (``1.png`` and ``0001.jpg``) are an error naming both.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

__all__ = ["DatasetError", "IMAGE_SUFFIXES", "ImageAudit", "image_index", "detect_naming"]

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp")
_NUM = re.compile(r"^(\d+)$")


class DatasetError(ValueError):
    """A dataset folder is missing a file or holds a malformed one; the message names it."""


def image_index(folder: Path) -> dict[int, Path]:
    """``{number: path}`` of the images of ``folder`` whose stem is an integer (padding allowed).

    Returns an empty dict when the folder does not exist.

    Raises:
        DatasetError: two images with the same number (names both).
    """
    out: dict[int, Path] = {}
    if not folder.is_dir():
        return out
    for p in folder.iterdir():
        if p.suffix.lower() not in IMAGE_SUFFIXES:
            continue
        m = _NUM.match(p.stem)
        if not m:
            continue
        k = int(m.group(1))
        if k in out:
            a, b = sorted([out[k].name, p.name])
            raise DatasetError(f"{folder}: {a} and {b} are both frame {k}; keep one image per frame")
        out[k] = p
    return out


def detect_naming(index: dict[int, Path], frames: Sequence[int], folder: Path) -> str:
    """DISFA: ``"index"`` (0-based line index) or ``"frame"`` (frame number) from the file names.

    Args:
        index: from :func:`image_index`.
        frames: the label file's frame numbers (DISFA: 1..N, in order).
        folder: for the error message.

    Raises:
        DatasetError: both or neither scheme fit the names (ambiguous: set ``data.image_naming``).
    """
    n = len(frames)
    as_index = set(range(n))
    as_frame = set(int(f) for f in frames)
    names = set(index)
    fits = {"index": names <= as_index, "frame": names <= as_frame}
    # a name only one scheme explains decides it (0 -> index, N -> frame for DISFA's 1..N)
    only_index = bool(names & (as_index - as_frame))
    only_frame = bool(names & (as_frame - as_index))
    if fits["index"] and only_index and not only_frame:
        return "index"
    if fits["frame"] and only_frame and not only_index:
        return "frame"
    if not fits["index"] and not fits["frame"]:
        out_i, out_f = sorted(names - as_index)[:3], sorted(names - as_frame)[:3]
        raise DatasetError(f"{folder}: the image names fit neither the 0-based line index 0..{n - 1} (not: {out_i}) "
                           f"nor the frame numbers of the labels (not: {out_f}); is this the right folder?")
    raise DatasetError(f"{folder}: the image names ({min(names)}..{max(names)}) fit both the 0-based line index "
                       "and the frame number; say which with data.image_naming=index (ME-GraphAU lists: 0.png is "
                       "the first labelled frame) or data.image_naming=frame (--set on the command line)")


@dataclass
class ImageAudit:
    """What the image matching did, per folder key (DISFA subject, BP4D ``subject/task``).

    Attributes:
        naming: key -> ``"index"`` / ``"frame"``.
        matched: key -> labelled frames with their image.
        skipped: key -> labelled frames whose image is missing (left out).
        missing_examples: the first few expected image paths that were missing.
        missing_folders: image folders that do not exist (all their frames skipped).
        unlabelled_images: key -> images with no labelled frame (ignored).
        notes: provenance of the label reading (e.g. BP4D columns left out).
    """

    naming: dict[str, str] = field(default_factory=dict)
    matched: dict[str, int] = field(default_factory=dict)
    skipped: dict[str, int] = field(default_factory=dict)
    missing_examples: list[str] = field(default_factory=list)
    missing_folders: list[str] = field(default_factory=list)
    unlabelled_images: dict[str, int] = field(default_factory=dict)
    notes: dict = field(default_factory=dict)
    max_examples: int = 5

    def add(self, key: str, naming: str, matched: int, skipped: Sequence[str], unlabelled: int) -> None:
        """Record one folder: its scheme, counts and the expected paths of skipped frames."""
        self.naming[key] = naming
        self.matched[key] = int(matched)
        self.skipped[key] = len(skipped)
        if unlabelled:
            self.unlabelled_images[key] = int(unlabelled)
        room = self.max_examples - len(self.missing_examples)
        self.missing_examples.extend(list(skipped)[:max(0, room)])

    @property
    def n_matched(self) -> int:
        return sum(self.matched.values())

    @property
    def n_skipped(self) -> int:
        return sum(self.skipped.values())

    def summary(self) -> str:
        """Lines for the log: scheme counts, frames matched / skipped, first missing paths."""
        schemes: dict[str, int] = {}
        for v in self.naming.values():
            schemes[v] = schemes.get(v, 0) + 1
        lines = [f"images: {self.n_matched} labelled frames matched, {self.n_skipped} skipped (image missing); "
                 f"naming {', '.join(f'{k} x{v}' for k, v in sorted(schemes.items())) or 'none'}"]
        if self.missing_folders:
            lines.append(f"  {len(self.missing_folders)} image folder(s) missing, e.g. {self.missing_folders[0]}")
        if self.missing_examples:
            lines.append("  first missing: " + ", ".join(self.missing_examples))
        for k, v in self.notes.items():
            lines.append(f"  {k.replace('_', ' ')}: {v}")
        if self.unlabelled_images:
            lines.append(f"  {sum(self.unlabelled_images.values())} image(s) without a labelled frame ignored")
        return "\n".join(lines)


def _check_forced(idx: dict[int, Path], frames: Sequence[int], naming: str, folder: Path) -> None:
    """A scheme the names contradict (an image only the other scheme explains) is an error: it
    would shift every frame by one."""
    as_index, as_frame = set(range(len(frames))), {int(f) for f in frames}
    other = (as_frame - as_index) if naming == "index" else (as_index - as_frame)
    bad = sorted(set(idx) & other)
    if bad:
        raise DatasetError(f"{folder}: {idx[bad[0]].name} exists, which only the "
                           f"{'frame-number' if naming == 'index' else '0-based line index'} naming explains, but "
                           f"data.image_naming={naming}; images of this folder would go with their neighbour's labels")


def match_frames(folder: Path, frames: Sequence[int], naming: str, key: str, audit: ImageAudit | None,
                 suffix: str = ".png", check_scheme: bool = True) -> list[Path | None]:
    """The image of each labelled frame under one scheme (``None`` where it is missing).

    Args:
        folder: the image folder of one sequence.
        frames: frame numbers of the label file, in line order.
        naming: ``"index"``, ``"frame"`` or ``"auto"`` (:func:`detect_naming`).
        key: the audit key.
        audit: filled when given.
        suffix: for the expected path of a missing image in the audit.
        check_scheme: refuse a scheme the names contradict (DISFA, whose labels cover every
            frame 1..N); off for BP4D, whose image folders also hold frames that were not coded.

    Raises:
        DatasetError: duplicate numbers; an ambiguous folder under ``"auto"``; an unknown scheme.
    """
    idx = image_index(folder)
    if not idx:
        if audit is not None:
            audit.missing_folders.append(str(folder))
            audit.add(key, naming, 0, [], 0)
            audit.skipped[key] = len(frames)
        return [None] * len(frames)
    if naming == "auto":
        naming = detect_naming(idx, frames, folder)
    if naming not in ("index", "frame"):
        raise ValueError(f"data.image_naming: expected auto, index or frame, got {naming!r}")
    if check_scheme:
        _check_forced(idx, frames, naming, folder)
    keys = list(range(len(frames))) if naming == "index" else [int(f) for f in frames]
    out = [idx.get(k) for k in keys]
    if audit is not None:
        miss = [str(folder / f"{k}{suffix}") for k, p in zip(keys, out) if p is None]
        audit.add(key, naming, sum(p is not None for p in out), miss, len(set(idx) - set(keys)))
    return out
