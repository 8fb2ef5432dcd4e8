"""Delimited text of detector exports: comma, tab or semicolon, with an optional ``#`` preamble.

OpenFace and py-feat write comma-separated files; iMotions exports (FACET, AFFDEX) are
tab-separated after a preamble of ``#Key : value`` lines; a CSV saved by a spreadsheet in a
locale with decimal commas uses semicolons. :func:`read_delimited` finds the header after the
preamble, picks the delimiter from the header line and keeps every data row's 1-based line
number in the file, so that error messages name ``file:line``. :func:`numeric_blocks` parses a
long file of whole numbers block by block (BP4D's label files, streamed to counts).
"""

from __future__ import annotations

import csv
import io
import warnings
from pathlib import Path
from typing import Iterator, TextIO

import numpy as np

from ..errors import DataError
from .columns import read_text

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
            cells than the header (naming its line), malformed quoting; each names the file.

    An iMotions-style export: a ``#`` preamble, a blank line, tab-separated rows (the line
    numbers count the preamble and skip the blank row):

    >>> import tempfile
    >>> tmp = tempfile.TemporaryDirectory()
    >>> f = Path(tmp.name) / "export.txt"
    >>> _ = f.write_text("#Study : demo\\n#Version : 6.1\\n\\nframe\\tAU01\\tAU12\\n0\\t0.1\\t2.5\\n\\n1\\t0\\t3.1\\n")
    >>> header, rows, lines, info = read_delimited(f)
    >>> header, rows, lines
    (['frame', 'AU01', 'AU12'], [['0', '0.1', '2.5'], ['1', '0', '3.1']], [5, 7])
    >>> info
    {'delimiter': 'tab', 'preamble': {'Study': 'demo', 'Version': '6.1'}}
    >>> _ = f.write_text("frame;AU01\\n0;1\\n1;0;5\\n")
    >>> read_delimited(f)
    Traceback (most recent call last):
    ...
    auknow.errors.DataError: .../export.txt:3: 3 cells, expected 2 as in the header (semicolon-separated)
    >>> tmp.cleanup()
    """
    file = str(path)
    text = read_text(path)
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


class SlowPath(Exception):
    """:func:`numeric_blocks` met a block that :func:`numpy.loadtxt` does not take as whole numbers:
    the caller re-reads the file with the exact line-by-line parser, which names the bad line.

    >>> try:
    ...     next(numeric_blocks(io.StringIO("1,0\\n2,x\\n"), 2))
    ... except SlowPath:
    ...     print("re-read line by line")
    re-read line by line
    """


def numeric_blocks(handle: TextIO, ncols: int, block_bytes: int = 1 << 18) -> Iterator[np.ndarray]:
    """Comma-separated whole numbers of an open text file, ``[rows, ncols]`` int64 blocks of about
    ``block_bytes`` of text each, so that memory stays at one block however long the file is.

    Parsing is :func:`numpy.loadtxt` (C) on the lines of each block; blank lines are skipped.
    ``benchmarks/estimate_prior.py`` measures it against pandas' C engine (and pyarrow where
    installed) on BP4D files: loadtxt was the fastest (see ``docs/estimate-prior.md``).

    Raises:
        SlowPath: a cell that is not a whole number, a row with another number of cells (in the
            block or against ``ncols``), text that is not UTF-8, anything loadtxt refuses. The
            caller then parses the whole file line by line (slowly, exactly, naming the line).

    >>> [b.tolist() for b in numeric_blocks(io.StringIO("1,0\\n\\n2,9\\n"), 2)]
    [[[1, 0], [2, 9]]]
    >>> next(numeric_blocks(io.StringIO("1,0.5\\n"), 2))
    Traceback (most recent call last):
    ...
    auknow.readers.csvio.SlowPath: ...
    """
    while True:
        try:
            lines = handle.readlines(block_bytes)
        except (UnicodeDecodeError, OSError) as exc:
            raise SlowPath(str(exc)) from None
        if not lines:
            return
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # "input contained no data": a block of blank lines
                block = np.loadtxt(lines, delimiter=",", dtype=np.int64, ndmin=2, comments=None)
        except ValueError as exc:
            raise SlowPath(str(exc)) from None
        if block.size == 0:
            continue
        if block.shape[1] != ncols:
            raise SlowPath(f"{block.shape[1]} cells, expected {ncols}")
        yield block
