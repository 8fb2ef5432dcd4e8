"""``auknow audit``: which knowledge table explains your data, and where it is wrong.

:func:`audit` scores prototype and quantified tables as expression classifiers with no training
(:mod:`auknow.audit.classifiers`), with subject-level bootstrap intervals
(:mod:`auknow.audit.scoring`), against a lower reference (the table with its rows deranged) and
upper ones (:mod:`auknow.audit.references`, a noise ceiling); :mod:`auknow.audit.disagreements`
names where each table and the data disagree. Method: ``docs/audit.md``.
"""

from .classifiers import TableClassifier, table_classifier
from .data import Units, units_from_frames
from .engine import AuditResult, ModelScores, audit

__all__ = ["audit", "AuditResult", "ModelScores", "TableClassifier", "table_classifier", "Units",
           "units_from_frames"]
