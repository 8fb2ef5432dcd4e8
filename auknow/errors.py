"""Error types that carry where a problem is, so that messages name the file, line and key.

Every error auknow raises for bad input derives from :class:`AuknowError`; the CLI catches it,
prints ``str(error)`` on one line and exits with status 2, never a traceback.
"""

from __future__ import annotations


class AuknowError(Exception):
    """Base class of all user-facing auknow errors (bad input, not bugs).

    Catch it to handle any bad input at once, as the CLI does:

    >>> from auknow.facs import parse_facs
    >>> try:
    ...     parse_facs("1+2+99")
    ... except AuknowError as err:
    ...     print(type(err).__name__, isinstance(err, ValueError))
    FacsCodeError True
    """


class FacsCodeError(AuknowError, ValueError):
    """A FACS code string or AU name could not be parsed.

    Attributes:
        token: the offending token as written, e.g. ``"12F"``.
        text: the whole string that was being parsed.

    >>> from auknow.facs import parse_facs
    >>> try:
    ...     parse_facs("1+2+99")
    ... except FacsCodeError as err:
    ...     print(err.token, err.text)
    99 1+2+99
    """

    def __init__(self, message: str, token: str = "", text: str = ""):
        super().__init__(message)
        self.token = token
        self.text = text


class Problem:
    """One validation problem: where it is and what was expected.

    ``str(problem)`` gives the one-line form ``FILE:LINE: KEY.PATH: MESSAGE`` (the parts that
    are unknown are left out).

    >>> str(Problem("expected a number", file="t.yaml", line=7, path="weights.happiness.AU12"))
    't.yaml:7: weights.happiness.AU12: expected a number'
    >>> str(Problem("empty file", file="t.yaml"))
    't.yaml: empty file'
    """

    __slots__ = ("file", "line", "path", "message")

    def __init__(self, message: str, file: str | None = None, line: int | None = None,
                 path: str | None = None):
        self.message = message
        self.file = file
        self.line = line
        self.path = path

    def __str__(self) -> str:
        where = ""
        if self.file:
            where = f"{self.file}:{self.line}: " if self.line else f"{self.file}: "
        key = f"{self.path}: " if self.path else ""
        return f"{where}{key}{self.message}"

    def __repr__(self) -> str:
        return f"Problem({str(self)!r})"


class TableError(AuknowError):
    """A knowledge table is invalid. ``problems`` lists every problem found (at least one).

    ``str(error)`` is one line per problem. Raises ValueError when given no problem.

    >>> err = TableError([Problem("unknown key 'wieghts'", "t.yaml", 3), Problem("no expressions", "t.yaml")])
    >>> print(err)
    t.yaml:3: unknown key 'wieghts'
    t.yaml: no expressions
    >>> len(err.problems)
    2
    """

    def __init__(self, problems: list[Problem]):
        if not problems:
            raise ValueError("TableError needs at least one problem")
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class DataError(AuknowError):
    """AU-labelled data could not be read: names the file and, where known, the line.

    >>> err = DataError("AU12_c: 'x' is not a number", file="S001_T1.csv", line=42)
    >>> print(err)
    S001_T1.csv:42: AU12_c: 'x' is not a number
    >>> err.file, err.line
    ('S001_T1.csv', 42)
    """

    def __init__(self, message: str, file: str | None = None, line: int | None = None):
        self.file = file
        self.line = line
        self.message = message
        super().__init__(str(Problem(message, file=file, line=line)))


class LabelError(AuknowError, ValueError):
    """Labels disagree: an unknown AU or expression name, a label given twice, or two artifacts
    whose label orders differ (a prior in one expression order, labels in another). The message
    names both orders; reorder explicitly (``PriorMatrix.reindex``) where that is what you mean.

    >>> from auknow.vocabulary import resolve_aus
    >>> try:
    ...     resolve_aus(["AU01", "AU01"])
    ... except LabelError as err:
    ...     print(isinstance(err, ValueError))
    True
    """
