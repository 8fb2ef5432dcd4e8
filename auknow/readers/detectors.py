"""Readers of automatic AU detector outputs: OpenFace 2.x and py-feat CSV files.

Users often have no manual FACS codes, only a detector's per-frame output. These readers turn it
into :class:`AUFrames` like the dataset readers, so that the same estimation runs on it. One
module per detector family: :mod:`auknow.readers.openface`, :mod:`auknow.readers.pyfeat` and
:mod:`auknow.readers.imotions` (iMotions / FACET); what they share is in
:mod:`auknow.readers.detector_files`. This module gathers the first two under their old home.

Sources:

* OpenFace 2.x: Baltrusaitis, Zadeh, Lim & Morency (2018), "OpenFace 2.0: Facial Behavior
  Analysis Toolkit", IEEE FG, doi:10.1109/FG.2018.00019. One CSV per video (``FeatureExtraction
  -aus``): ``frame, [face_id,] timestamp, confidence, success, ..., AU01_r ... AU45_r, AU01_c ...
  AU45_c``; column names carry a leading space. ``AUxx_c`` is presence (0/1, 18 AUs), ``AUxx_r``
  intensity 0-5 (17 AUs, no AU28); the two come from different models and can disagree.
* py-feat: Cheong, Jolly, Xie, Byrne, Kenney & Chang (2023), "Py-Feat: Python Facial Expression
  Analysis Toolbox", Affective Science 4, 781-796, doi:10.1007/s42761-023-00191-4. ``Fex`` CSV:
  ``FaceRect*``, landmarks, ``AU01 ... AU43`` (probabilities 0-1, 20 AUs), emotion
  probabilities ``anger, disgust, fear, happiness, sadness, surprise, neutral``, ``input``,
  ``frame``; frames without a face have empty (NaN) cells.
"""

from .openface import OPENFACE_REFERENCE, read_openface
from .pyfeat import PYFEAT_EMOTIONS, PYFEAT_REFERENCE, read_pyfeat

__all__ = ["OPENFACE_REFERENCE", "PYFEAT_EMOTIONS", "PYFEAT_REFERENCE", "read_openface", "read_pyfeat"]
