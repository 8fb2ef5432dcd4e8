"""Subject and expression of each detector output file: from a labels file or a file-name pattern.

A detector (OpenFace, py-feat, iMotions / FACET) writes one file per video and knows nothing of
who is in the video or what it shows. Without more, each file is its own subject, and the
within-subject permutation of ``estimate-prior`` has nothing to permute. This module supplies
the two usual ways of saying more:

* a **labels file**, a CSV with one row per file: a key column ``sequence`` or ``file`` (the file
  stem, e.g. ``S01_happy_take2``; a value with a folder or an extension is reduced to its stem),
  and ``subject`` and / or ``expression`` columns;
* DFEW's own split files (Jiang et al. 2020, ACM MM, "DFEW: A Large-Scale Database for
  Recognizing Dynamic Facial Expressions in the Wild"): ``EmoLabel_DataSplit/train(single-
  labeled)/set_k.csv`` with columns ``video_name,label``, label 1..7 = happy, sad, neutral,
  angry, surprise, disgust, fear (the order every AU-DFER loader indexes, label - 1). DFEW has
  no subject ids: clips carry no subject;
* a **file-name pattern**, a regular expression with named groups ``subject`` and / or
  ``expression`` matched against the whole file stem, e.g. ``(?P<subject>[^_]+)_(?P<expression>\\w+)``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path, PureWindowsPath

from ..errors import DataError
from .columns import csv_rows, existing_path
from .expression_map import ExpressionCache

#: DFEW's classes in label order (CSV label 1..7), canonical auknow names (Jiang et al. 2020).
DFEW_CLASSES = ("happiness", "sadness", "neutral", "anger", "surprise", "disgust", "fear")
DFEW_REFERENCE = "Jiang et al. (2020), DFEW, ACM Multimedia, doi:10.1145/3394171.3413620"


def _stem(value: str) -> str:
    """``S01/clip_3.csv`` or ``C:\\x\\clip_3.csv`` -> ``clip_3``."""
    name = PureWindowsPath(value.strip()).name if "\\" in value else Path(value.strip()).name
    for suffix in (".csv", ".txt", ".tsv", ".mp4", ".avi", ".mov", ".mkv"):
        if name.lower().endswith(suffix):
            return name[: -len(suffix)]
    return name


@dataclass
class FileLabel:
    """What is known of one file: its subject and / or expression (``None`` when not given).

    ``expression`` is a canonical name (``happy`` -> ``happiness``); ``where`` says where the
    label came from (``line 4`` of a labels file, or ``pattern``).

    >>> FileLabels.from_pattern(r"(?P<subject>[^_]+)_(?P<expression>\\w+)").lookup("S01_happy", "S01_happy.csv")
    FileLabel(subject='S01', expression='happiness', where='pattern')
    >>> FileLabel(subject="S02")
    FileLabel(subject='S02', expression=None, where='')
    """

    subject: str | None = None
    expression: str | None = None
    where: str = ""  # "labels.csv:4" or "pattern" (for messages)


class FileLabels:
    """Subject and expression per detector file (see the module docstring).

    Build with :meth:`from_csv` or :meth:`from_pattern`; :meth:`lookup` gives a file's label.

    Attributes:
        kind: ``"labels"``, ``"dfew"`` or ``"pattern"``.
        has_subject, has_expression: which of the two the source gives.
        source: the labels file's path or the pattern (for provenance).

    >>> labels = FileLabels.from_pattern(r"(?P<subject>[^_]+)_(?P<expression>\\w+)")
    >>> label = labels.lookup("S01_happy", "S01_happy.csv")
    >>> (label.subject, label.expression)
    ('S01', 'happiness')
    """

    def __init__(self, kind: str, source: str, table: dict[str, FileLabel] | None = None,
                 pattern: re.Pattern | None = None, has_subject: bool = False, has_expression: bool = False):
        self.kind, self.source, self.table, self.pattern = kind, source, table or {}, pattern
        self.has_subject, self.has_expression = has_subject, has_expression
        self._canon = ExpressionCache()

    # -- construction ------------------------------------------------------------------------
    @classmethod
    def from_csv(cls, path: str | Path) -> "FileLabels":
        """Read a labels CSV (``sequence``/``file`` + ``subject`` and/or ``expression``) or a
        DFEW split file (``video_name,label``).

        Raises:
            DataError: missing file, no key column, neither ``subject`` nor ``expression``, an
                empty key, a key twice, a DFEW label outside 1..7, an unknown expression; each
                names the file and line.
        """
        p = existing_path(path, "a labels CSV (sequence or file, subject, expression)")
        file = str(p)
        header, rows, lines = csv_rows(p)
        lower = [h.lower() for h in header]
        if not rows:
            raise DataError("no rows (the file has a header only)", file=file)
        if lower[:2] == ["video_name", "label"]:
            return cls._dfew(file, rows, lines)
        key = next((k for k in ("sequence", "file") if k in lower), None)
        if key is None:
            raise DataError("expected a 'sequence' or 'file' column (the detector file's stem) with 'subject' "
                            f"and/or 'expression' columns, or DFEW's 'video_name,label' (got {', '.join(header)})",
                            file=file, line=1)
        si = lower.index("subject") if "subject" in lower else None
        ei = lower.index("expression") if "expression" in lower else None
        if si is None and ei is None:
            raise DataError(f"a '{key}' column needs a 'subject' and/or an 'expression' column beside it",
                            file=file, line=1)
        out = cls("labels", file, has_subject=si is not None, has_expression=ei is not None)
        ki = lower.index(key)
        for row, line in zip(rows, lines):
            stem = _stem(row[ki])
            if not stem:
                raise DataError(f"empty {header[ki]}", file=file, line=line)
            if stem in out.table:
                raise DataError(f"{header[ki]} '{stem}' appears twice (first on {out.table[stem].where})",
                                file=file, line=line)
            subject = None if si is None else row[si].strip()
            if si is not None and not subject:
                raise DataError(f"empty {header[si]} for {stem}", file=file, line=line)
            expression = None if ei is None else out._canon(row[ei], file, line, header[ei])
            out.table[stem] = FileLabel(subject, expression, f"line {line}")
        return out

    @classmethod
    def _dfew(cls, file: str, rows, lines) -> "FileLabels":
        out = cls("dfew", file, has_subject=False, has_expression=True)
        for row, line in zip(rows, lines):
            vid, lab = row[0].strip(), row[1].strip()
            if not vid.isdigit() or not lab.isdigit():
                raise DataError(f"expected 'video_name,label' with whole numbers (DFEW), got '{vid},{lab}'",
                                file=file, line=line)
            if not 1 <= int(lab) <= 7:
                raise DataError(f"label {lab} is outside 1..7 (DFEW: 1 happy ... 7 fear)", file=file, line=line)
            key = str(int(vid))
            if key in out.table:
                raise DataError(f"video_name {vid} appears twice (first on {out.table[key].where})",
                                file=file, line=line)
            out.table[key] = FileLabel(None, DFEW_CLASSES[int(lab) - 1], f"line {line}")
        return out

    @classmethod
    def from_pattern(cls, pattern: str) -> "FileLabels":
        """A regular expression with named groups ``subject`` and / or ``expression``, matched
        against the whole file stem.

        Raises:
            DataError: the pattern does not compile, or has neither group (naming the pattern).
        """
        try:
            rx = re.compile(pattern)
        except re.error as exc:
            raise DataError(f"name_pattern='{pattern}' is not a regular expression ({exc})") from None
        groups = set(rx.groupindex)
        if not groups & {"subject", "expression"}:
            raise DataError(f"name_pattern='{pattern}' has no named group (?P<subject>...) or "
                            "(?P<expression>...)")
        return cls("pattern", pattern, pattern=rx, has_subject="subject" in groups,
                   has_expression="expression" in groups)

    # -- use -----------------------------------------------------------------------------------
    def lookup(self, key: str, file: str, stem: str | None = None) -> FileLabel:
        """The label of the file (or per-face sequence) ``key``; ``stem`` is tried second.

        Raises:
            DataError: a file missing from the labels file, or whose stem the pattern does not match.
        """
        stem = key if stem is None else stem
        if self.kind == "pattern":
            m = self.pattern.fullmatch(stem)
            if m is None:
                raise DataError(f"the file name '{stem}' does not match name_pattern='{self.source}'", file=file)
            subject = m.groupdict().get("subject")
            expr = m.groupdict().get("expression")
            if self.has_subject and not subject:
                raise DataError(f"name_pattern='{self.source}' gives an empty subject for '{stem}'", file=file)
            expression = None if expr is None else self._canon(expr, file, None, "expression (from the file name)")
            return FileLabel(subject, expression, "pattern")
        if self.kind == "dfew":
            for k in (key, stem):
                if k.isdigit() and str(int(k)) in self.table:
                    return self.table[str(int(k))]
            raise DataError(f"clip {stem} is not listed in the DFEW label file", file=self.source)
        for k in (key, stem):
            if k in self.table:
                return self.table[k]
        raise DataError(f"no row for '{key}' (of {file}) in the labels file", file=self.source)

    def listed(self) -> list[str]:
        """The keys of a labels / DFEW file (empty for a pattern)."""
        return list(self.table)

    def describe(self) -> dict:
        """Provenance entries: where subjects and expressions came from."""
        what = {"labels": "labels file", "dfew": "DFEW label file", "pattern": "file-name pattern"}[self.kind]
        out = {"labels_from": f"{what} {self.source}"}
        if self.kind == "dfew":
            out["labels_reference"] = DFEW_REFERENCE
        return out
