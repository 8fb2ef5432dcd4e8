"""DFEW clips as OpenFace saw them: the AU-DFER workflow's input.

AU-DFER (Liu, Gu, Shi & Fu 2025, arXiv:2507.07678) runs OpenFace 2.x on every DFEW clip and
turns each clip's per-frame ``AUxx_c`` presence into one clip-level AU vector by a majority
vote: ``y_a = 1`` iff the AU is present in at least half of the frames (``sum_t a_ta >= n / 2``).
With DFEW's split file (``EmoLabel_DataSplit/train(single-labeled)/set_k.csv``: ``video_name,label``,
label 1..7) this gives P(AU | expression) at the clip unit over OpenFace's 18 AUs, in DFEW's
class order. DFEW has no subject ids, so clips are the resampling units (see
:mod:`auknow.estimate.design`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterable

from ..errors import DataError
from .detectors import read_openface
from .filelabels import DFEW_CLASSES, DFEW_REFERENCE, FileLabels
from .frames import AUFrames


def read_dfew_openface(openface: str | Path | Iterable[str | Path], labels: str | Path) -> AUFrames:
    """OpenFace outputs of DFEW clips (``<id>.csv``, e.g. ``00001.csv``) labelled by a DFEW split file.

    Args:
        openface: the folder of OpenFace CSV files (or files / folders); files of clips not in
            the split are skipped (counted in ``source["files_not_in_split"]``).
        labels: DFEW's ``set_k.csv`` (``video_name,label``, 1 happy ... 7 fear).

    Returns:
        :class:`AUFrames` from :func:`read_openface` (``AUxx_c`` presence, failed frames
        missing), one sequence per clip, subject = clip id, expressions in
        :data:`DFEW_CLASSES`; ``source["expression_order"]`` = DFEW's class order and
        ``source["dataset"]`` = ``dfew``.

    Raises:
        DataError: a labels file that is not in DFEW's layout, a listed clip without an OpenFace
            file, a file with several faces (``face_id``), and every error of :func:`read_openface`.

    Three OpenFace files; the split lists clips 1 (label 1, happy) and 5 (label 2, sad), so
    clip 2 is not read:

    >>> import tempfile
    >>> tmp = tempfile.TemporaryDirectory()
    >>> folder = Path(tmp.name) / "openface"
    >>> folder.mkdir()
    >>> head = "frame, face_id, success, AU01_c, AU12_c\\n"
    >>> _ = (folder / "00001.csv").write_text(head + "1, 0, 1, 1, 1\\n2, 0, 1, 1, 0\\n3, 0, 1, 0, 1\\n")
    >>> _ = (folder / "00002.csv").write_text(head + "1, 0, 1, 0, 0\\n")
    >>> _ = (folder / "00005.csv").write_text(head + "1, 0, 1, 1, 1\\n")
    >>> split = Path(tmp.name) / "set_1.csv"
    >>> _ = split.write_text("video_name,label\\n1,1\\n5,2\\n")
    >>> f = read_dfew_openface(folder, split)
    >>> f.sequence.tolist(), f.expression.tolist(), f.occurrence.tolist()
    (['00001', '00001', '00001', '00005'], ['happiness', 'happiness', 'happiness', 'sadness'],
     [[1, 1], [1, 0], [0, 1], [1, 1]])
    >>> f.source["files_not_in_split"], f.source["expression_order"][:3]
    (1, ['happiness', 'sadness', 'neutral'])
    >>> tmp.cleanup()
    """
    table = FileLabels.from_csv(labels)
    if table.kind != "dfew":
        raise DataError("expected DFEW's split file with a 'video_name,label' header "
                        "(EmoLabel_DataSplit/train(single-labeled)/set_k.csv)", file=str(labels), line=1)
    frames = read_openface(openface, use="c", labels=table)
    split = sorted(q for q in set(frames.sequence.tolist()) if "_face" in q)
    if split:
        raise DataError(f"clip {split[0].split('_face')[0]} has several faces ({', '.join(split[:3])}); the clip unit "
                        "of AU-DFER needs one face per clip: keep one face_id in that file", file=str(openface))
    frames.source.update({"dataset": "dfew", "reader": "openface", "dfew_reference": DFEW_REFERENCE,
                          "expression_order": list(DFEW_CLASSES)})
    return frames
