"""Fixture writers for reader tests: dataset-layout trees and detector / tidy CSV files.

Every writer draws from a seeded generator and returns what it wrote (the arrays a correct
reader must give back), so that tests compare values exactly.

The AU data come from a known generating prior P(AU | expression) (:data:`GENERATING_PRIOR`)
with per-subject random effects on the logit scale, and temporally persistent AU activity
(segments of geometric length, each on or off). Structure follows the real datasets (facts
carried from their papers and release layouts, never read from files at test time):

* BP4D-Spontaneous (Zhang et al. 2014): 41 subjects (F001-F023, M001-M018) x 8 tasks, 146,847
  AU-coded frames; per-task sequence lengths and first coded frames as in the release (T3 and T8
  short and early, T2 / T7 late); ``AUCoding/AU_OCC`` files with a header of column numbers and
  0 / 1 / 9 cells; 12 AUs coded (1, 2, 4, 6, 7, 10, 12, 14, 15, 17, 23, 24), other columns all 9;
  intensities 0-5 (9 unknown) for AUs 6, 10, 12, 14, 17 in ``AUCoding/AU_INT``.
* DISFA (Mavadati et al. 2013): subjects SN001..., frames numbered from 0, 12 AUs with
  intensity 0-5 in ``ActionUnit_Labels/SNxxx/SNxxx_auN.txt``.
* OpenFace 2.x (leading spaces in headers, ``AUxx_r`` / ``AUxx_c``, ``success``) and py-feat
  (``AU01`` probabilities, emotion probabilities, ``input``, ``frame``; NaN rows without a face).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

# --- facts ------------------------------------------------------------------------------------
BP4D_TASKS = {"T1": "happiness", "T2": "sadness", "T3": "surprise", "T4": "embarrassment", "T5": "fear",
              "T6": "pain", "T7": "anger", "T8": "disgust"}
BP4D_SUBJECTS = tuple([f"F{i:03d}" for i in range(1, 24)] + [f"M{i:03d}" for i in range(1, 19)])
BP4D_TOTAL_FRAMES = 146_847
#: the AU columns of the fixture's AU_OCC header (after column 0 = frame): 26 AUs, 27 columns.
BP4D_HEADER_AUS = (1, 2, 4, 5, 6, 7, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 20, 22, 23, 24, 25, 26, 27, 28, 43, 45)
BP4D_CODED_AUS = (1, 2, 4, 6, 7, 10, 12, 14, 15, 17, 23, 24)
BP4D_INTENSITY_AUS = (6, 10, 12, 14, 17)
#: per task: (mean length, min, max, mean first coded frame), from the BP4D frame index.
BP4D_TASK_FRAMES = {"T1": (490, 311, 744, 477), "T2": (508, 376, 634, 635), "T3": (313, 214, 450, 1),
                    "T4": (493, 404, 590, 543), "T5": (507, 464, 768, 415), "T6": (477, 211, 740, 381),
                    "T7": (496, 432, 626, 665), "T8": (298, 90, 535, 66)}
DISFA_SUBJECTS = ("SN001", "SN002", "SN003", "SN004", "SN005", "SN006", "SN007", "SN008", "SN009", "SN010",
                  "SN011", "SN012", "SN013", "SN016", "SN017", "SN018", "SN021", "SN023", "SN024", "SN025",
                  "SN026", "SN027", "SN028", "SN029", "SN030", "SN031", "SN032")
DISFA_AUS = (1, 2, 4, 5, 6, 9, 12, 15, 17, 20, 25, 26)
DISFA_FRAMES = 4845
OPENFACE_C = (1, 2, 4, 5, 6, 7, 9, 10, 12, 14, 15, 17, 20, 23, 25, 26, 28, 45)
OPENFACE_R = (1, 2, 4, 5, 6, 7, 9, 10, 12, 14, 15, 17, 20, 23, 25, 26, 45)
PYFEAT_AUS = (1, 2, 4, 5, 6, 7, 9, 10, 11, 12, 14, 15, 17, 20, 23, 24, 25, 26, 28, 43)
PYFEAT_EMOTIONS = ("anger", "disgust", "fear", "happiness", "sadness", "surprise", "neutral")

#: Generating prior P(AU present | expression) of the fixtures (AUs not listed: BASE_RATE).
BASE_RATE = 0.06
GENERATING_PRIOR: dict[str, dict[int, float]] = {
    "happiness": {6: 0.75, 12: 0.90, 10: 0.55, 7: 0.50, 25: 0.50, 14: 0.35, 26: 0.20},
    "sadness": {1: 0.50, 4: 0.60, 15: 0.55, 17: 0.60, 7: 0.30, 14: 0.30, 10: 0.20},
    "surprise": {1: 0.70, 2: 0.70, 5: 0.50, 25: 0.60, 26: 0.50, 27: 0.30, 12: 0.30},
    "embarrassment": {12: 0.60, 6: 0.40, 14: 0.40, 24: 0.30, 10: 0.40, 7: 0.40, 17: 0.35},
    "fear": {1: 0.50, 2: 0.40, 4: 0.50, 5: 0.35, 20: 0.40, 25: 0.40, 7: 0.40},
    "pain": {4: 0.55, 6: 0.60, 7: 0.70, 9: 0.30, 10: 0.60, 12: 0.35, 25: 0.40},
    "anger": {4: 0.55, 7: 0.60, 23: 0.45, 24: 0.45, 17: 0.50, 10: 0.35},
    "disgust": {9: 0.50, 10: 0.70, 4: 0.50, 15: 0.35, 17: 0.45, 7: 0.55, 6: 0.40},
    "neutral": {},
}
SUBJECT_SD = 0.6  # sd of the per-subject, per-AU random effect on the logit scale


def prior_probability(expression: str, au: int) -> float:
    """P(AU present | expression) of :data:`GENERATING_PRIOR`."""
    return GENERATING_PRIOR[expression].get(au, BASE_RATE)


def _logit(p):
    return np.log(p) - np.log1p(-p)


def _expit(x):
    return 1.0 / (1.0 + np.exp(-x))


def _persistent(rng: np.random.Generator, p: np.ndarray, n: int, run: float) -> np.ndarray:
    """``[n, A]`` 0/1: segments of geometric length (mean ``run`` frames), each present with ``p[a]``."""
    a = len(p)
    cut = rng.random((n, a)) < 1.0 / run
    cut[0] = True
    seg = np.cumsum(cut, axis=0) - 1  # segment index per column
    states = rng.random((n, a)) < p[None, :]  # one draw per possible segment
    return np.take_along_axis(states, seg, axis=0).astype(np.int8)


def _int_lines(block: np.ndarray) -> bytes:
    """CSV text (no header) of a non-negative int block whose columns after the first are 0-9."""
    n, m = block.shape
    if n == 0:
        return b""
    buf = np.full((n, 2 * (m - 1)), ord(","), dtype=np.uint8)
    buf[:, 1::2] = block[:, 1:].astype(np.uint8) + ord("0")
    tails = np.ascontiguousarray(buf).view(f"S{2 * (m - 1)}").ravel().tolist()
    return b"\n".join(str(f).encode() + t for f, t in zip(block[:, 0].tolist(), tails)) + b"\n"


def _sorted_order(sequence: np.ndarray, frame: np.ndarray) -> np.ndarray:
    return np.lexsort((frame, sequence))


# --- BP4D -------------------------------------------------------------------------------------
@dataclass
class BP4DFixture:
    """What :func:`write_bp4d` wrote, in reading order (files sorted by name, rows in file order).

    ``occurrence`` / ``intensity`` have the columns ``aus`` (AUs coded somewhere; never-coded
    columns dropped); 9 -> -1 and NaN.
    """

    root: Path
    aus: tuple[str, ...]
    occurrence: np.ndarray
    intensity: np.ndarray
    subject: np.ndarray
    sequence: np.ndarray
    frame: np.ndarray
    expression: np.ndarray
    files: list[Path] = field(default_factory=list)
    missing_files: list[str] = field(default_factory=list)
    intensity_files: int = 0
    extra_intensity_frames: int = 0


def write_bp4d(root: Path, subjects=("F001", "F002", "M001"), tasks=tuple(BP4D_TASKS), seed: int = 0,
               length_scale: float = 0.1, total_frames: int | None = None, drop_files: int = 2,
               intensity: bool = True, extra_au27: bool = True, run: float = 25.0) -> BP4DFixture:
    """Write ``root/AUCoding/AU_OCC`` (and ``AU_INT``) as in BP4D-Spontaneous.

    Args:
        root: the BP4D folder to create.
        subjects, tasks: ids; sequences are all pairs minus ``drop_files`` random missing files.
        length_scale: sequence lengths relative to the real per-task lengths (0.1 -> ~30-50 frames).
        total_frames: make the lengths add up exactly to this (e.g. :data:`BP4D_TOTAL_FRAMES`).
        intensity: also write ``AU_INT`` for :data:`BP4D_INTENSITY_AUS` (one file left out, a few
            frames of one file without an occurrence row).
        extra_au27: AU27 coded in the first sequence only (MISSING elsewhere, kept as a column).
        run: mean length (frames) of the on / off segments of AU activity.
    """
    rng = np.random.default_rng(seed)
    occ_dir = root / "AUCoding" / "AU_OCC"
    occ_dir.mkdir(parents=True, exist_ok=True)
    pairs = [(s, t) for s in subjects for t in tasks]
    dropped = set()
    if drop_files:
        for k in rng.choice(len(pairs), size=drop_files, replace=False):
            dropped.add(pairs[int(k)])
    pairs = [p for p in pairs if p not in dropped]
    pairs.sort(key=lambda p: f"{p[0]}_{p[1]}.csv")
    lengths = []
    for _, t in pairs:
        mean, lo, hi, _ = BP4D_TASK_FRAMES[t]
        length = np.clip(rng.normal(mean, (hi - lo) / 4), lo, hi) * length_scale
        lengths.append(max(8, int(round(length))))
    lengths = np.array(lengths)
    if total_frames is not None:
        lengths = np.maximum(8, np.round(lengths * total_frames / lengths.sum())).astype(int)
        diff = total_frames - int(lengths.sum())
        k = 0
        while diff != 0:
            step = 1 if diff > 0 else -1
            lengths[k % len(lengths)] += step
            diff -= step
            k += 1
    effects = {s: rng.normal(0, SUBJECT_SD, size=100) for s in subjects}
    header_cols = (0,) + BP4D_HEADER_AUS
    col_of = {a: j for j, a in enumerate(header_cols)}
    blocks = []
    for idx, ((s, t), n) in enumerate(zip(pairs, lengths)):
        n = int(n)
        mean_first = BP4D_TASK_FRAMES[t][3]
        first = 1 if t == "T3" else int(max(1, rng.normal(mean_first, mean_first / 2)))
        block = np.full((n, len(header_cols)), 9, dtype=np.int64)
        block[:, 0] = np.arange(first, first + n)
        coded = list(BP4D_CODED_AUS) + ([27] if extra_au27 and idx == 0 else [])
        p = np.array([_expit(_logit(prior_probability(BP4D_TASKS[t], a)) + effects[s][a]) for a in coded])
        states = _persistent(rng, p, n, run)
        for j, a in enumerate(coded):
            col = states[:, j].astype(np.int64)
            if rng.random() < 0.15:  # a stretch the coders left out
                length = int(rng.integers(1, max(2, n // 4)))
                start = int(rng.integers(0, n - length + 1))
                col[start:start + length] = 9
            block[:, col_of[a]] = col
        if idx == 1:
            block[:, col_of[BP4D_CODED_AUS[0]]] = 9  # one AU not coded in a whole sequence
        path = occ_dir / f"{s}_{t}.csv"
        path.write_bytes((",".join(map(str, header_cols)) + "\n").encode() + _int_lines(block))
        blocks.append((s, t, path, block))

    coded_any = sorted({a for *_, block in blocks for a in BP4D_HEADER_AUS if (block[:, col_of[a]] != 9).any()})
    aus = tuple(f"AU{a:02d}" for a in coded_any)
    occ = np.concatenate([b[3][:, [col_of[a] for a in coded_any]] for b in blocks]).astype(np.int8)
    occ[occ == 9] = -1
    sizes = [len(b[3]) for b in blocks]
    fix = BP4DFixture(
        root=root, aus=aus, occurrence=occ, intensity=np.full(occ.shape, np.nan, dtype=np.float32),
        subject=np.repeat([b[0] for b in blocks], sizes), sequence=np.repeat([f"{b[0]}_{b[1]}" for b in blocks], sizes),
        frame=np.concatenate([b[3][:, 0] for b in blocks]),
        expression=np.repeat([BP4D_TASKS[b[1]] for b in blocks], sizes),
        files=[b[2] for b in blocks], missing_files=sorted(f"{s}_{t}" for s, t in dropped))
    if intensity:
        offset = np.cumsum([0] + sizes)
        skip = (len(blocks) - 1, BP4D_INTENSITY_AUS[0])  # this file is left out
        for a in BP4D_INTENSITY_AUS:
            adir = root / "AUCoding" / "AU_INT" / f"AU{a:02d}"
            adir.mkdir(parents=True, exist_ok=True)
            j = aus.index(f"AU{a:02d}")
            for k, (s, t, _, block) in enumerate(blocks):
                if (k, a) == skip:
                    continue
                o = block[:, col_of[a]]
                level = rng.choice([1, 2, 3, 4, 5], size=len(o), p=[0.15, 0.3, 0.3, 0.15, 0.1])
                value = np.where(o == 1, level, np.where(o == 0, 0, 9))
                value[rng.random(len(o)) < 0.02] = 9
                rows = np.column_stack([block[:, 0], value])
                if k == 0 and a == BP4D_INTENSITY_AUS[-1]:  # frames past the last coded one
                    extra = np.column_stack([block[-1, 0] + 1 + np.arange(3), np.zeros(3, dtype=np.int64)])
                    rows = np.concatenate([rows, extra])
                    fix.extra_intensity_frames += 3
                (adir / f"{s}_{t}_AU{a:02d}.csv").write_bytes(_int_lines(rows))
                fix.intensity_files += 1
                v = value.astype(np.float32)
                v[value == 9] = np.nan
                fix.intensity[offset[k]:offset[k + 1], j] = v
    return fix


# --- DISFA ------------------------------------------------------------------------------------
@dataclass
class DISFAFixture:
    """What :func:`write_disfa` wrote. ``intensity [N, 12]`` in subject / frame order (NaN for a
    missing label file); ``label`` the expression of each frame ('' when unlabelled)."""

    root: Path
    aus: tuple[str, ...]
    intensity: np.ndarray
    subject: np.ndarray
    frame: np.ndarray
    label: np.ndarray
    expressions_csv: Path | None
    missing_files: list[str]
    labels_without_frames: int

    def occurrence(self, threshold: float = 2) -> np.ndarray:
        """Expected occurrence at ``threshold`` (-1 where the label file is missing)."""
        return np.where(np.isnan(self.intensity), -1, self.intensity >= threshold).astype(np.int8)

    def episodes(self) -> np.ndarray:
        """Expected episode ids of the labelled frames (runs of one expression within a subject)."""
        keep = self.label != ""
        subj, lab = self.subject[keep], self.label[keep]
        out, prev, k = [], None, 0
        for s, e in zip(subj.tolist(), lab.tolist()):
            if prev is None or prev[0] != s:
                k = 1
            elif prev[1] != e:
                k += 1
            out.append(f"{s}_r{k:03d}")
            prev = (s, e)
        return np.array(out)


def write_disfa(root: Path, subjects=("SN001", "SN002", "SN003"), n_frames: int = 240, seed: int = 0,
                missing=(("SN002", 9),), expressions: bool = True, run: float = 15.0) -> DISFAFixture:
    """Write ``root/ActionUnit_Labels/SNxxx/SNxxx_auN.txt`` (frames 0..n-1, intensity 0-5).

    Each subject's video is a series of unlabelled gaps and expression episodes (basic emotions,
    some repeated across a gap); AU presence follows :data:`GENERATING_PRIOR` of the episode
    (``neutral`` in gaps) with subject effects; present segments get one intensity 1-5.
    With ``expressions``, ``root/expressions.csv`` (subject, frame, expression; aliases such as
    ``happy`` used on purpose, plus 2 labels of frames that do not exist) is written too.
    """
    rng = np.random.default_rng(seed)
    labels_dir = root / "ActionUnit_Labels"
    emotions = ["happiness", "sadness", "surprise", "fear", "anger", "disgust"]
    aliases = {"happiness": "happy", "sadness": "Sad", "surprise": "surprise", "fear": "afraid",
               "anger": "angry", "disgust": "disgust"}
    all_int, all_subj, all_frame, all_label = [], [], [], []
    missing = set(missing)
    missing_files = []
    rows_csv = []
    for s in subjects:
        label = np.full(n_frames, "", dtype=object)
        pos = 0
        last = None
        while pos < n_frames:
            gap = int(rng.integers(0, n_frames // 12 + 1))
            pos += gap
            length = int(rng.integers(n_frames // 12, n_frames // 5 + 1))
            e = last if (last is not None and gap > 0 and rng.random() < 0.3) else str(rng.choice(emotions))
            label[pos:pos + length] = e
            last = e
            pos += length
        label = label.astype(str)
        effect = rng.normal(0, SUBJECT_SD, size=100)
        inten = np.zeros((n_frames, len(DISFA_AUS)), dtype=np.float32)
        for e in set(label.tolist()):
            mask = label == e
            expr = e or "neutral"
            p = np.array([_expit(_logit(prior_probability(expr, a)) + effect[a]) for a in DISFA_AUS])
            states = _persistent(rng, p, int(mask.sum()), run)
            levels = rng.choice([1, 2, 3, 4, 5], size=states.shape, p=[0.25, 0.3, 0.25, 0.12, 0.08])
            inten[mask] = states * levels
        sdir = labels_dir / s
        sdir.mkdir(parents=True, exist_ok=True)
        for j, a in enumerate(DISFA_AUS):
            if (s, a) in missing:
                inten[:, j] = np.nan
                missing_files.append(f"{s}_au{a}")
                continue
            block = np.column_stack([np.arange(n_frames), inten[:, j].astype(np.int64)])
            (sdir / f"{s}_au{a}.txt").write_bytes(_int_lines(block))
        for f in np.flatnonzero(label != ""):
            rows_csv.append((s, int(f), aliases[label[f]]))
        all_int.append(inten)
        all_subj.append(np.full(n_frames, s))
        all_frame.append(np.arange(n_frames))
        all_label.append(label)
    extra = 0
    csv_path = None
    if expressions:
        rows_csv += [(subjects[-1], n_frames + 5, "happy"), (subjects[-1], n_frames + 6, "happy")]
        extra = 2
        order = rng.permutation(len(rows_csv))  # any row order
        csv_path = root / "expressions.csv"
        with open(csv_path, "w", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(["subject", "frame", "expression"])
            for k in order:
                w.writerow(rows_csv[k])
    return DISFAFixture(root=root, aus=tuple(f"AU{a:02d}" for a in DISFA_AUS), intensity=np.concatenate(all_int),
                        subject=np.concatenate(all_subj), frame=np.concatenate(all_frame),
                        label=np.concatenate(all_label), expressions_csv=csv_path, missing_files=missing_files,
                        labels_without_frames=extra)


# --- CK+ --------------------------------------------------------------------------------------
CK_CODES = {"neutral": 0, "anger": 1, "contempt": 2, "disgust": 3, "fear": 4, "happiness": 5, "sadness": 6,
            "surprise": 7}


@dataclass
class CKSequence:
    subject: str
    video: str  # S005_001
    peak: int
    emotion: str | None  # None: no emotion label (FACS file only)
    aus: dict[int, int]  # AU number -> intensity 0-5 (0 = not intensity-coded)


def make_ckplus(n_subjects: int = 5, seed: int = 0) -> list[CKSequence]:
    """Sequences drawn from :data:`GENERATING_PRIOR` (CK+ emotions), some without an emotion label."""
    rng = np.random.default_rng(seed)
    emotions = ["anger", "contempt", "disgust", "fear", "happiness", "sadness", "surprise"]
    aus = (1, 2, 4, 5, 6, 7, 9, 10, 12, 14, 15, 17, 20, 23, 24, 25, 26, 27)
    out = []
    for i in range(n_subjects):
        subject = f"S{5 * (i + 1):03d}"
        for v in range(1, int(rng.integers(2, 5)) + 1):
            emotion = str(rng.choice(emotions)) if rng.random() < 0.75 else None
            expr = emotion if emotion in GENERATING_PRIOR else "neutral"
            present = {a: int(rng.integers(0, 6)) for a in aus if rng.random() < prior_probability(expr, a)}
            if not present:
                present = {12: 3}
            out.append(CKSequence(subject, f"{subject}_{v:03d}", int(rng.integers(8, 40)), emotion, present))
    return out


def write_ckplus_release(root: Path, sequences: list[CKSequence]) -> None:
    """Write the CK+ release layout: ``Emotion/S005/001/S005_001_000000NN_emotion.txt`` (labelled
    sequences only) and ``FACS/.../..._facs.txt`` (all sequences), in the release's number format."""
    for q in sequences:
        num = q.video.split("_")[1]
        stem = f"{q.video}_{q.peak:08d}"
        fdir = root / "FACS" / q.subject / num
        fdir.mkdir(parents=True, exist_ok=True)
        (fdir / f"{stem}_facs.txt").write_text(
            "".join(f"   {a:.7e}   {v:.7e}\n" for a, v in sorted(q.aus.items())))
        if q.emotion is not None:
            edir = root / "Emotion" / q.subject / num
            edir.mkdir(parents=True, exist_ok=True)
            (edir / f"{stem}_emotion.txt").write_text(f"   {CK_CODES[q.emotion]:.7e}\n")


def write_ckplus_csv(path: Path, sequences: list[CKSequence]) -> None:
    """Write the tidy CK+ table (subject, video, emotion, AU1 ...) of the labelled sequences."""
    labelled = [q for q in sequences if q.emotion is not None]
    aus = sorted({a for q in labelled for a in q.aus})
    short = {"happiness": "happy"}
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["subject", "video", "emotion"] + [f"AU{a}" for a in aus])
        for q in labelled:
            w.writerow([q.subject, q.video, short.get(q.emotion, q.emotion)] + [int(a in q.aus) for a in aus])


# --- tidy CSV ---------------------------------------------------------------------------------
def write_csv(path: Path, header: list[str], rows: list[list]) -> Path:
    """Write a CSV file (header + rows) and return its path."""
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(rows)
    return path


@dataclass
class TidyFixture:
    path: Path
    aus: tuple[str, ...]
    values: np.ndarray  # [n, A] float, NaN = blank
    subject: list[str]
    expression: list[str]  # canonical
    sequence: list[str]
    frame: list[int]


def write_tidy(path: Path, spelling: str = "AU{n}", n_rows: int = 24, seed: int = 0, intensities: bool = False,
               blanks: int = 3, extra_columns: bool = True) -> TidyFixture:
    """A frame-level tidy CSV: subject, video, frame, expression (aliases), AU columns spelled
    ``spelling.format(n=number)`` (``AU{n}``, ``AU{n:02d}``, ``{n}``, ``AU{n:02d}_c``, ``au_{n}``),
    0/1 cells (or intensities 0-5), ``blanks`` blank cells, and extra non-AU columns."""
    rng = np.random.default_rng(seed)
    aus = (1, 2, 4, 6, 12, 15, 25)
    alias = {"happiness": "happy", "sadness": "sad", "surprise": "Surprised", "anger": "angry"}
    values = np.zeros((n_rows, len(aus)))
    subject, expression, sequence, frame = [], [], [], []
    counter: dict[str, int] = {}
    for i in range(n_rows):
        s = f"P{i % 3 + 1}"
        e = list(alias)[(i // 4) % 4]
        q = f"{s}_v{(i // 4) % 4}"
        subject.append(s)
        expression.append(e)
        sequence.append(q)
        frame.append(10 + counter.get(q, 0))
        counter[q] = counter.get(q, 0) + 1
        p = np.array([prior_probability(e, a) for a in aus])
        on = rng.random(len(aus)) < p
        values[i] = on * (rng.integers(1, 6, len(aus)) if intensities else 1)
    for k in range(blanks):
        values[int(rng.integers(0, n_rows)), int(rng.integers(0, len(aus)))] = np.nan
    header = ["subject", "video", "frame", "expression"] + ([ "age", "note"] if extra_columns else []) + \
        [spelling.format(n=a) for a in aus]
    rows = []
    for i in range(n_rows):
        cells = ["" if np.isnan(v) else str(int(v)) for v in values[i]]
        rows.append([subject[i], sequence[i], frame[i], alias[expression[i]]] +
                    ([str(20 + i), "ok"] if extra_columns else []) + cells)
    write_csv(path, header, rows)
    return TidyFixture(path, tuple(f"AU{a:02d}" for a in aus), values, subject, expression, sequence, frame)


# --- detectors --------------------------------------------------------------------------------
@dataclass
class OpenFaceFixture:
    path: Path
    frame: np.ndarray
    success: np.ndarray
    r: np.ndarray  # [n, 17] intensities (OPENFACE_R order)
    c: np.ndarray  # [n, 18] presence (OPENFACE_C order)


def write_openface(path: Path, n_frames: int = 30, seed: int = 0, failed=(4, 5), face_id: bool = True,
                   expression: str | None = None) -> OpenFaceFixture:
    """An OpenFace 2.x ``FeatureExtraction`` CSV: header names after the first with a leading space,
    frames from 1, ``success`` 0 (all zeros) at ``failed`` rows, ``AUxx_r`` with 4 decimals,
    ``AUxx_c`` 0/1 (a separate model: not derived from ``_r``)."""
    rng = np.random.default_rng(seed)
    r = np.round(np.where(rng.random((n_frames, len(OPENFACE_R))) < 0.5, 0.0,
                          rng.uniform(0, 5, (n_frames, len(OPENFACE_R)))), 4)
    c = (rng.random((n_frames, len(OPENFACE_C))) < 0.3).astype(np.int64)
    success = np.ones(n_frames, dtype=np.int64)
    success[list(failed)] = 0
    r[success == 0] = 0
    c[success == 0] = 0
    frame = np.arange(1, n_frames + 1)
    header = ["frame"] + (["face_id"] if face_id else []) + ["timestamp", "confidence", "success", "gaze_0_x",
                                                             "pose_Tx", "x_0", "y_0"]
    header += [f"AU{a:02d}_r" for a in OPENFACE_R] + [f"AU{a:02d}_c" for a in OPENFACE_C]
    if expression is not None:
        header.append("expression")
    lines = [", ".join(header)]
    for i in range(n_frames):
        cells = [str(frame[i])] + (["0"] if face_id else []) + [f"{i * 0.033:.3f}", "0.98" if success[i] else "0",
                                                                str(success[i]), "0.1", "12.5", "301.2", "220.7"]
        cells += [f"{v:.4f}" if v else "0" for v in r[i]] + [str(v) for v in c[i]]
        if expression is not None:
            cells.append(expression)
        lines.append(", ".join(cells))
    path.write_text("\n".join(lines) + "\n")
    return OpenFaceFixture(path, frame, success, r, c)


@dataclass
class PyFeatFixture:
    path: Path
    frame: np.ndarray
    aus: np.ndarray  # [n, 20] probabilities (PYFEAT_AUS order), NaN without a face
    emotions: np.ndarray  # [n, 7] probabilities (PYFEAT_EMOTIONS order), NaN without a face


def write_pyfeat(path: Path, n_frames: int = 30, seed: int = 0, no_face=(3,), input_name: str = "001.mp4"
                 ) -> PyFeatFixture:
    """A py-feat (``Fex.to_csv``) CSV: FaceRect*, landmarks, pose, ``AU01``... probabilities, the 7
    emotion probabilities (rows sum to 1), ``input``, ``frame`` (from 0); rows in ``no_face`` have
    empty cells (pandas' NaN) for everything but input and frame."""
    rng = np.random.default_rng(seed)
    aus = np.round(rng.random((n_frames, len(PYFEAT_AUS))), 6)
    logits = rng.normal(0, 1.5, (n_frames, len(PYFEAT_EMOTIONS)))
    emo = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    emo = np.round(emo, 6)
    aus[list(no_face)] = np.nan
    emo[list(no_face)] = np.nan
    frame = np.arange(n_frames)
    header = ["FaceRectX", "FaceRectY", "FaceRectWidth", "FaceRectHeight", "FaceScore", "x_0", "y_0",
              "Pitch", "Roll", "Yaw"] + [f"AU{a:02d}" for a in PYFEAT_AUS] + list(PYFEAT_EMOTIONS) + ["input", "frame"]
    rows = []
    for i in range(n_frames):
        face = not np.isnan(aus[i, 0])
        geo = ["236.1", "182.5", "254.9", "349.1", "0.999", "355.5", "688.8", "-3.5", "-3.4", "1.4"]
        geo = geo if face else [""] * 10
        rows.append(geo + ["" if np.isnan(v) else repr(float(v)) for v in aus[i]] +
                    ["" if np.isnan(v) else repr(float(v)) for v in emo[i]] + [input_name, str(frame[i])])
    write_csv(path, header, rows)
    return PyFeatFixture(path, frame, aus, emo)
