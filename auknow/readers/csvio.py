"""Delimited text of detector exports: comma, tab or semicolon, with an optional ``#`` preamble.

OpenFace and py-feat write comma-separated files; iMotions exports (FACET, AFFDEX) are
tab-separated after a preamble of ``#Key : value`` lines; a CSV saved by a spreadsheet in a
locale with decimal commas uses semicolons. :func:`read_delimited` finds the header after the
preamble, picks the delimiter from the header line and keeps every data row's 1-based line
number in the file, so that error messages name ``file:line``.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from ..errors import DataError
from .tidy import _read_text

DELIMITERS = {",": "comma", "\t": "tab", ";": "semicolon"}


def sniff_delimiter(header_line: str) -> str:
    """The delimiter of a header line: tab if it has one, else the more frequent of ``;`` and ``,``.

    >>> sniff_delimiter("frame;AU01_c;AU02_c"), sniff_delimiter("a\\tb c"), sniff_delimiter("a, b")
    (';', '\\t', ',')
    """
    if "\t" in header_line:
        return "\t"
    return ";" if header_line.count(";") > header_line.count(",") else ","


def read_delimited(path: Path, comment: str | None = "#") -> tuple[list[str], list[list[str]], list[int], dict]:
    """Header (stripped), data rows, their 1-based line numbers, and the file's layout.

    Args:
        path: the file (UTF-8; a byte-order mark is dropped; LF or CRLF line ends).
        comment: lines starting with this before the header are a preamble (``None``: none);
            blank lines around it are skipped.

    Returns:
        ``(header, rows, lines, info)`` with ``info = {"delimiter": "tab", "preamble": {key: value}}``
        (``#Version : 6.1`` gives ``{"Version": "6.1"}``). Blank rows are skipped.

    Raises:
        DataError: an empty file, no header after the preamble, a row with a different number of
            cells than the header (naming its line), malformed quoting.
    """
    file = str(path)
    text = _read_text(path)
    raw = text.split("\n")
    preamble: dict[str, str] = {}
    start = 0
    while start < len(raw):
        line = raw[start].rstrip("\r")
        if comment is not None and line.startswith(comment):
            key, _, value = line[len(comment):].partition(":")
            if key.strip():
                preamble[key.strip()] = value.strip()
        elif line.strip():
            break
        start += 1
    if start >= len(raw):
        raise DataError("empty file, expected a header row" + (" after the preamble" if preamble else ""), file=file)
    delimiter = sniff_delimiter(raw[start])
    reader = csv.reader(io.StringIO("\n".join(raw[start:])), delimiter=delimiter)
    offset = start  # reader.line_num counts from the header line
    try:
        header = [h.strip() for h in next(reader)]
        n = len(header)
        rows, lines = [], []
        for row in reader:
            if not row or (len(row) == 1 and not row[0].strip()):
                continue
            if len(row) != n:
                raise DataError(f"{len(row)} cells, expected {n} as in the header ({DELIMITERS[delimiter]}-separated)",
                                file=file, line=reader.line_num + offset)
            rows.append(row)
            lines.append(reader.line_num + offset)
    except csv.Error as exc:
        raise DataError(f"malformed delimited text ({exc})", file=file, line=reader.line_num + offset) from None
    return header, rows, lines, {"delimiter": DELIMITERS[delimiter], "preamble": preamble}
