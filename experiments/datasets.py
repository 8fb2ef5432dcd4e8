"""Loaders of DFEW, FERV39K, BP4D and DISFA in their released layouts (for users who hold them).

Nothing here downloads or ships data: each loader reads the folder it is pointed at and fails
with a message naming the missing file. Layouts (paths relative to the dataset root):

* **DFEW** (Jiang et al., ACM MM 2020): labels ``EmoLabel_DataSplit/train(single-labeled)/set_k.csv``
  and ``test(single-labeled)/set_k.csv`` (k = 1..5; columns ``video_name,label``, label 1..7 =
  happy, sad, neutral, angry, surprise, disgust, fear); frames
  ``Clip/clip_224x224_16f/<5-digit id>/*.jpg`` (16 frames per clip) or, for all frames,
  ``Clip/clip_224x224/<id>/*.jpg``.
* **FERV39K** (Wang et al., CVPR 2022): ``4_setups/All_scenes/train_All.csv`` and
  ``test_All.csv`` (one clip per line: ``Scene/Emotion/clip Emotion``, space separated, an
  optional header), frames ``2_ClipsforFaceCrop/<Scene>/<Emotion>/<clip>/*.jpg``; emotions mapped
  to DFEW's order (Happy 0, Sad 1, Neutral 2, Angry 3, Surprise 4, Disgust 5, Fear 6).
* **BP4D** (Zhang et al. 2014): AU occurrence ``AUCoding/AU_OCC/<Subject>_<Task>.csv`` (header of
  AU numbers, column ``0`` = frame; 0 absent, 1 present, 9 not coded -> missing); frame images
  ``<images>/<Subject>/<Task>/<frame>.jpg`` (frame number as in the CSV, plain or zero-padded to
  4 digits, ME-GraphAU / JAA-Net lists).
* **DISFA** (Mavadati et al. 2013): ``ActionUnit_Labels/<SN>/<SN>_au<n>.txt`` (``frame,intensity``
  per line, intensity 0-5; present iff ``>= 2``, the descriptor's threshold); frame images
  ``<images>/<SN>/<i>.png`` or ``.jpg`` with ``i`` the 0-based line index (ME-GraphAU).

Subject-independent folds come from the knowledge library (``auknow.library.dataset_descriptor``:
BP4D and DISFA 3-fold splits of JAA-Net / ME-GraphAU); DFEW's 5 folds are its own ``set_k``
files; FERV39K has one train / test split.

**Per-video AU targets** from OpenFace 2.x or py-feat: :mod:`experiments.targets` (AU-DFER's
majority rule with a fixed denominator of 16 or over the tracked frames; several faces read per
identity).

Frame sampling (IAL code): the clip is cut into ``num_frames`` equal segments; training takes a
random frame in each segment, testing the segment's centre; clips shorter than ``num_frames``
repeat frames. IAL drops clips with fewer than 16 frames (:func:`drop_short_clips`, config
``data.min_frames``).
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from .images import IMAGE_SUFFIXES, DatasetError, ImageAudit
from .targets import attach_clip_targets, attach_openface_targets, clip_targets, openface_clip_target  # noqa: F401

__all__ = [
    "DFEW_EXPRESSIONS", "FERV39K_LABELS", "IMAGE_SUFFIXES", "DatasetError", "ClipRecord", "FrameRecord",
    "list_frames", "sample_indices", "dfew_records", "ferv39k_records", "openface_clip_target",
    "attach_openface_targets", "bp4d_records", "disfa_records", "split_by_fold", "ClipDataset", "FrameDataset",
    "load_image", "ImageAudit", "attach_clip_targets", "clip_targets", "drop_short_clips",
]

#: DFEW's classes in label order (CSV label - 1), canonical auknow names.
DFEW_EXPRESSIONS = ("happiness", "sadness", "neutral", "anger", "surprise", "disgust", "fear")
#: FERV39K emotion strings -> DFEW index (the AU-DFER / M3DFEL mapping).
FERV39K_LABELS = {"Happy": 0, "Sad": 1, "Neutral": 2, "Angry": 3, "Surprise": 4, "Disgust": 5, "Fear": 6}


@dataclass
class ClipRecord:
    """One video clip: ``frames`` (sorted image paths), ``label`` (expression index or -1),
    ``au_target`` (float32 ``[A]`` 0/1/NaN, or None), ``clip_id`` and ``subject`` (if known)."""

    clip_id: str
    frames: list[Path]
    label: int
    au_target: np.ndarray | None = None
    subject: str | None = None


@dataclass
class FrameRecord:
    """One AU-labelled frame: image ``path``, ``aus`` float32 ``[A]`` (0/1, NaN = not coded),
    ``subject``, ``sequence`` and ``frame`` number."""

    path: Path
    aus: np.ndarray
    subject: str
    sequence: str
    frame: int


def _natural_key(p: Path):
    return [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", p.name)]


def list_frames(folder: str | Path) -> list[Path]:
    """Image files of a clip folder in natural order (``2.jpg`` before ``10.jpg``).

    Raises:
        DatasetError: the folder does not exist or holds no image.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise DatasetError(f"{folder}: clip folder not found")
    frames = sorted((p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES), key=_natural_key)
    if not frames:
        raise DatasetError(f"{folder}: no image ({', '.join(IMAGE_SUFFIXES)}) in the clip folder")
    return frames


def sample_indices(n_frames: int, num_frames: int, train: bool, rng: np.random.Generator | None = None) -> np.ndarray:
    """Frame indices of a clip (IAL's segment sampling).

    Args:
        n_frames: frames in the clip (>= 1).
        num_frames: frames to return (>= 1).
        train: random frame per segment (needs ``rng``) vs the segment centre.

    Returns:
        int64 ``[num_frames]`` in ``[0, n_frames)``, non-decreasing.
    """
    if n_frames < 1 or num_frames < 1:
        raise ValueError(f"n_frames and num_frames must be >= 1, got {n_frames}, {num_frames}")
    seg = n_frames / num_frames
    starts = np.arange(num_frames) * seg
    if train:
        rng = rng or np.random.default_rng()
        idx = np.floor(starts + rng.random(num_frames) * seg)
    else:
        idx = np.floor(starts + seg / 2)
    return np.clip(idx.astype(np.int64), 0, n_frames - 1)


def _read_rows(path: Path) -> list[list[str]]:
    if not path.is_file():
        raise DatasetError(f"{path}: file not found")
    with path.open(newline="", encoding="utf-8-sig") as f:
        return [row for row in csv.reader(f) if row and any(c.strip() for c in row)]


def dfew_records(root: str | Path, fold: int, split: str, clip_dir: str | None = None) -> list[ClipRecord]:
    """DFEW clips of one fold's ``train`` or ``test`` split.

    Args:
        root: DFEW root (holds ``EmoLabel_DataSplit`` and ``Clip``).
        fold: 1..5.
        split: ``"train"`` or ``"test"``.
        clip_dir: frames folder relative to root (default ``Clip/clip_224x224_16f``, else
            ``Clip/clip_224x224`` when that one is missing).

    Returns:
        Records with 0-based labels in :data:`DFEW_EXPRESSIONS` order.

    Raises:
        DatasetError: a missing split file or clip folder, a malformed row, a label outside 1..7.
    """
    root = Path(root)
    if split not in ("train", "test") or not 1 <= int(fold) <= 5:
        raise ValueError(f"split must be train/test and fold 1..5, got {split!r}, {fold}")
    path = root / "EmoLabel_DataSplit" / f"{split}(single-labeled)" / f"set_{int(fold)}.csv"
    rows = _read_rows(path)
    if rows and not rows[0][0].strip().isdigit():
        rows = rows[1:]  # header video_name,label
    if clip_dir is None:
        clip_dir = "Clip/clip_224x224_16f" if (root / "Clip/clip_224x224_16f").is_dir() else "Clip/clip_224x224"
    if not (root / clip_dir).is_dir():
        raise DatasetError(f"{root / clip_dir}: frames folder not found (data.clip_dir)")
    out = []
    for i, row in enumerate(rows, start=2):
        try:
            vid, lab = int(row[0]), int(row[1])
        except (ValueError, IndexError):
            raise DatasetError(f"{path}, line {i}: expected 'video_name,label' with integers, got {row}") from None
        if not 1 <= lab <= 7:
            raise DatasetError(f"{path}, line {i}: label {lab} outside 1..7")
        cid = f"{vid:05d}"
        out.append(ClipRecord(cid, list_frames(root / clip_dir / cid), lab - 1))
    if not out:
        raise DatasetError(f"{path}: no clip listed")
    return out


def ferv39k_records(root: str | Path, split: str, setup: str = "All_scenes",
                    clip_dir: str = "2_ClipsforFaceCrop") -> list[ClipRecord]:
    """FERV39K clips of the ``train`` or ``test`` split of a setup (default ``All_scenes``).

    Raises:
        DatasetError: a missing list file or clip folder, an unknown emotion string.
    """
    root = Path(root)
    if split not in ("train", "test"):
        raise ValueError(f"split must be train or test, got {split!r}")
    tag = setup.split("_")[0] if setup != "All_scenes" else "All"
    path = root / "4_setups" / setup / f"{split}_{tag}.csv"
    if not path.is_file():
        raise DatasetError(f"{path}: file not found")
    out = []
    for i, line in enumerate(path.read_text(encoding="utf-8-sig").splitlines(), start=1):
        parts = line.replace(",", " ").split()
        if not parts:
            continue
        rel, emo = parts[0], parts[-1]
        if emo not in FERV39K_LABELS:
            if i == 1:
                continue  # header
            raise DatasetError(f"{path}, line {i}: unknown emotion {emo!r} (expected {', '.join(FERV39K_LABELS)})")
        out.append(ClipRecord(rel, list_frames(root / clip_dir / rel), FERV39K_LABELS[emo]))
    if not out:
        raise DatasetError(f"{path}: no clip listed")
    return out


BP4D_IMAGE_PATTERNS = ("{subject}/{task}/{frame}.jpg",)  # also .png / zero-padded: the number in the name counts
DISFA_IMAGE_PATTERNS = ("{subject}/{index}.png", "{subject}/{frame}.png")  # one of the two per subject


def bp4d_records(root: str | Path, images: str | Path | None = None, aus: Sequence[str] | None = None,
                 require_images: bool = True, audit: ImageAudit | None = None) -> list[FrameRecord]:
    """BP4D frames with their AU occurrence (9 = not coded -> NaN), read by :func:`auknow.readers.read_bp4d`.

    Columns are read by their header number, as the reader (and ME-GraphAU) read them: columns
    that are not requested AUs (not FACS codes, such as column 3, or not in ``aus``) are left out
    and listed in ``audit.notes``. Images: ``<images>/<Subject>/<Task>/<n>.jpg`` (or ``.png``,
    zero-padded or not) with ``n`` the frame number of the label row; a frame without its image
    is skipped and counted in ``audit``, never matched to another file.

    Args:
        root: BP4D root (holds ``AUCoding/AU_OCC``).
        images: folder of frame images (default ``root``).
        aus: AU names in the target order (default the descriptor's 12 benchmark AUs).
        require_images: skip frames without an image (True) or keep them with ``path=None``.
        audit: filled with the image matching and the reader's provenance notes.

    Raises:
        DatasetError: no label file, a malformed file (the reader's message, with file and line),
            a requested AU never coded, two images of one frame, no image at all.
    """
    from auknow.errors import DataError
    from auknow.facs import au_name, au_number
    from auknow.library import dataset_descriptor
    from auknow.readers import read_bp4d

    from .images import match_frames

    root = Path(root)
    aus = [au_name(au_number(a)) for a in (aus or dataset_descriptor("bp4d").aus)]
    try:
        fr = read_bp4d(root, aus=aus)
    except DataError as exc:
        raise DatasetError(str(exc)) from None
    audit = audit if audit is not None else ImageAudit()
    audit.notes.update({k: v for k, v in fr.source.items() if k.startswith("columns_left_out")
                        or k.endswith("dropped")})
    col = [fr.aus.index(a) for a in aus]
    y_all = fr.occurrence[:, col].astype(np.float32)
    y_all[y_all < 0] = np.nan  # MISSING (BP4D's 9)
    base = Path(images) if images is not None else root
    out = []
    for seq in dict.fromkeys(fr.sequence.tolist()):
        rows = np.flatnonzero(fr.sequence == seq)
        subject = str(fr.subject[rows[0]])
        task = seq[len(subject) + 1:]
        paths = match_frames(base / subject / task, fr.frame[rows].tolist(), "frame", seq, audit, ".jpg",
                             check_scheme=False)
        for r, path in zip(rows, paths):
            if path is None and require_images:
                continue
            out.append(FrameRecord(path, y_all[r], subject, seq, int(fr.frame[r])))
    if not out:
        raise DatasetError(f"{base}: no frame image found for the BP4D labels (expected <Subject>/<Task>/<frame>.jpg, "
                           f"e.g. {audit.missing_examples[:1] or audit.missing_folders[:1]})")
    return out


def disfa_records(root: str | Path, images: str | Path | None = None, aus: Sequence[str] | None = None,
                  threshold: float | None = None, require_images: bool = True, naming: str = "auto",
                  audit: ImageAudit | None = None) -> list[FrameRecord]:
    """DISFA frames with AU occurrence (intensity >= threshold; descriptor: 2).

    Images: ``<images>/<SN>/<n>.png`` (or ``.jpg``, zero-padded or not) under **one** scheme
    per subject (:mod:`experiments.images`): ``n`` = the 0-based line index of the label files
    (``"index"``, ME-GraphAU) or the frame number (``"frame"``); ``"auto"`` detects it from the
    names and raises when a folder fits both. A frame without its image is skipped and counted
    in ``audit``, never matched to a neighbour's image.

    Args:
        root: DISFA root (holds ``ActionUnit_Labels``).
        images: folder of frame images (default ``root``).
        aus: AU names (default the 8-AU benchmark set ``disfa8``).
        threshold: occurrence threshold (default the descriptor's, 2).
        naming: ``"auto"``, ``"index"`` or ``"frame"`` (config ``data.image_naming``).
        audit: filled with the scheme per subject and the frames matched / skipped.

    Raises:
        DatasetError: no subject folder, a missing AU file, lines that disagree in count, an
            ambiguous or inconsistent image folder, two images of one frame, no image at all.
    """
    from auknow.facs import au_number, au_set
    from auknow.library import dataset_descriptor

    from .images import match_frames

    root = Path(root)
    aus = list(aus or au_set("disfa8"))
    if threshold is None:
        threshold = dataset_descriptor("disfa").occurrence_threshold or 2
    lab = root / "ActionUnit_Labels"
    subjects = sorted(p.name for p in lab.iterdir() if p.is_dir()) if lab.is_dir() else []
    if not subjects:
        raise DatasetError(f"{lab}: no subject folder (SN001, ...)")
    base = Path(images) if images is not None else root
    audit = audit if audit is not None else ImageAudit()
    out = []
    for s in subjects:
        cols, frames = [], None
        for a in aus:
            f = lab / s / f"{s}_au{au_number(a)}.txt"
            rows = _read_rows(f)
            try:
                arr = np.array([[float(v) for v in r[:2]] for r in rows], dtype=np.float64)
            except (ValueError, IndexError):
                raise DatasetError(f"{f}: expected 'frame,intensity' lines") from None
            if frames is None:
                frames = arr[:, 0].astype(np.int64)
            elif len(arr) != len(frames) or (arr[:, 0] != frames).any():
                raise DatasetError(f"{f}: {len(arr)} lines / frame numbers that differ from the other AU files of {s}")
            cols.append((arr[:, 1] >= threshold).astype(np.float32))
        y = np.stack(cols, 1)
        paths = match_frames(base / s, frames.tolist(), naming, s, audit)
        for i, (fr, path) in enumerate(zip(frames, paths)):
            if path is None and require_images:
                continue
            out.append(FrameRecord(path, y[i], s, s, int(fr)))
    if not out:
        raise DatasetError(f"{base}: no frame image found for the DISFA labels (expected <SN>/<n>.png, e.g. "
                           f"{audit.missing_examples[:1] or audit.missing_folders[:1]})")
    return out


def drop_short_clips(records: list[ClipRecord], min_frames: int | None) -> tuple[list[ClipRecord], list[str]]:
    """IAL's rule: leave out clips with fewer than ``min_frames`` frames (IAL: 16, on DFEW's
    ``Clip/clip_224x224``; on ``clip_224x224_16f`` every clip has 16). Returns the kept records
    and the ids of the dropped ones (the runner logs them)."""
    if not min_frames:
        return records, []
    keep = [r for r in records if len(r.frames) >= int(min_frames)]
    return keep, [r.clip_id for r in records if len(r.frames) < int(min_frames)]


def split_by_fold(records: list[Any], dataset: str, fold: int) -> tuple[list[Any], list[Any]]:
    """Subject-independent train / test records of a fold of the bundled descriptor.

    The test subjects are ``dataset_descriptor(dataset).folds[fold]``; every other subject
    trains (JAA-Net / ME-GraphAU: fold k tests one part and trains on the two others).

    Raises:
        KeyError: unknown dataset or fold; DatasetError: a side ends up empty.
    """
    from auknow.library import dataset_descriptor

    desc = dataset_descriptor(dataset)
    if int(fold) not in desc.folds:
        raise KeyError(f"{dataset}: no fold {fold} (folds {sorted(desc.folds)})")
    test_s = set(desc.folds[int(fold)])
    test = [r for r in records if r.subject in test_s]
    train = [r for r in records if r.subject not in test_s]
    if not test or not train:
        raise DatasetError(f"{dataset} fold {fold}: {len(train)} training and {len(test)} test frames; the data "
                           f"needs subjects on both sides (test subjects: {', '.join(sorted(test_s))})")
    return train, test


def load_image(path: Path, size: int, channels: int) -> np.ndarray:
    """An image as float32 ``[C, size, size]`` in [0, 1] (bilinear resize; ``channels`` 1 or 3)."""
    from PIL import Image

    with Image.open(path) as im:
        im = im.convert("L" if channels == 1 else "RGB").resize((size, size), Image.BILINEAR)
        a = np.asarray(im, dtype=np.float32) / 255.0
    return a[None] if channels == 1 else a.transpose(2, 0, 1)


class _EpochDataset:
    """Shared by the datasets below: a list of records and an epoch that seeds per-item randomness."""

    records: list
    epoch: int = 0

    def __len__(self) -> int:
        return len(self.records)

    def set_epoch(self, epoch: int) -> None:
        """Change the sampling / augmentation of the next epoch (train mode)."""
        self.epoch = int(epoch)


class ClipDataset(_EpochDataset):
    """``torch.utils.data.Dataset``-style clips: item -> ``{"x": [T, C, S, S], "expression": int,
    "aus": [A] (NaN where unknown)}``.

    Args:
        records: :class:`ClipRecord` list.
        num_frames: T (DFER seeds: 16). image_size: S. channels: 1 or 3.
        train: random frame per segment and a random horizontal flip; else centres.
        num_aus: A (targets NaN when a record has none).
        seed: base seed of the sampling (item i of epoch e uses ``seed, e, i``).
    """

    def __init__(self, records: list[ClipRecord], num_frames: int = 16, image_size: int = 112, channels: int = 3,
                 train: bool = False, num_aus: int = 0, seed: int = 0):
        self.records, self.T, self.S, self.C = records, int(num_frames), int(image_size), int(channels)
        self.train, self.A, self.seed, self.epoch = bool(train), int(num_aus), int(seed), 0

    def __getitem__(self, i: int) -> dict:
        import torch

        r = self.records[i]
        rng = np.random.default_rng([self.seed, self.epoch, i])
        idx = sample_indices(len(r.frames), self.T, self.train, rng)
        x = np.stack([load_image(r.frames[j], self.S, self.C) for j in idx])
        if self.train and rng.random() < 0.5:
            x = x[..., ::-1].copy()
        aus = r.au_target if r.au_target is not None else np.full(self.A, np.nan, dtype=np.float32)
        return {"x": torch.from_numpy(x), "expression": torch.tensor(int(r.label), dtype=torch.long),
                "aus": torch.as_tensor(aus, dtype=torch.float32)}


class FrameDataset(_EpochDataset):
    """Frames for AU detection: item -> ``{"x": [1, C, S, S] (a one-frame clip), "aus": [A]}``.

    Args:
        records: :class:`FrameRecord` list. image_size: S. channels: 1 or 3.
        train: random horizontal flip.
    """

    def __init__(self, records: list[FrameRecord], image_size: int = 112, channels: int = 3, train: bool = False,
                 seed: int = 0):
        self.records, self.S, self.C, self.train, self.seed, self.epoch = records, int(image_size), int(channels), \
            bool(train), int(seed), 0

    def __getitem__(self, i: int) -> dict:
        import torch

        r = self.records[i]
        x = load_image(r.path, self.S, self.C)
        if self.train and np.random.default_rng([self.seed, self.epoch, i]).random() < 0.5:
            x = x[..., ::-1].copy()
        return {"x": torch.from_numpy(x[None]), "aus": torch.as_tensor(r.aus, dtype=torch.float32)}
