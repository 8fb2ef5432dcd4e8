"""The FACS 2002 vocabulary: codes, canonical AU names, FACS code strings, AU sets of datasets.

Source: Ekman, Friesen & Hager (2002), *Facial Action Coding System: Investigator's Guide*,
as tabulated in the ``facs`` R package by J. M. Girard (GPL-3): ``data/facs_codes.csv`` (type
AU/AD/SC, number, name, face region, manual chapter) and ``data/facs_exclusives.csv`` (pairs
of codes that cannot be scored together).

Naming, one spelling everywhere in auknow:

* an AU *name* (a key in tables, a matrix label, a CLI column) is the code type and the
  zero-padded number: ``AU01``, ``AU12``, ``AD19`` (tongue show), ``AD53`` (head up);
* a FACS *code string* (a configuration as coders write it) is ``1+2+5B+26``: numbers without
  the type, optional laterality prefix (``L``, ``R``, ``U`` unilateral, ``T``/``B`` top/bottom,
  ``S`` symmetrical / both lips) and intensity suffix (``A``-``E``, or two adjacent letters such
  as ``CD`` for "C or D"), sorted by number and joined with ``+``. Codes FACS 2002 says cannot
  be scored together (``26+27``, ``5+7E``, ``T22+T28``: :func:`exclusive_rules`) are an error.

Readers accept the spellings tools emit (``AU1``, ``AU01``, ``au_1``, ``1``, ``AU12_c``,
``AU12_r``, `` AU12_r`` with OpenFace's leading space, ``AU1 Evidence`` of FACET / iMotions)
through :func:`au_number`. A type prefix must be the code's type in the FACS 2002 list
(``AD19``, not ``AU19``; ``AD12`` is refused); only ASCII digits are read.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Iterable, Sequence

from .errors import FacsCodeError

INTENSITY_LETTERS = "ABCDE"
#: FACS intensity letter -> the 0-5 scale used by DISFA, BP4D AU_INT and OpenFace ``_r``
#: (A = trace = 1 ... E = maximum = 5; 0 = absent).
INTENSITY_TO_SCORE = {letter: i + 1 for i, letter in enumerate(INTENSITY_LETTERS)}

#: Laterality / position prefixes accepted in code strings (FACS 2002 manual, ch. 8 and 11).
LATERALITY = {
    "L": "left",
    "R": "right",
    "U": "unilateral (side not given)",
    "T": "top (AU22/AU28 variants)",
    "B": "bottom (AU22/AU28 variants)",
    "S": "symmetrical, both sides / both lips (S22, S28 of the exclusive list)",
}


@dataclass(frozen=True)
class FacsCode:
    """One official FACS 2002 code.

    Attributes:
        kind: ``"AU"`` (action unit), ``"AD"`` (action descriptor) or ``"SC"`` (supplementary code).
        number: the FACS number, 0-92.
        description: the manual's name, e.g. ``"lip corner puller"``.
        region: face region / group, e.g. ``"Upper Face"``, ``"Lower Face"``, ``"Head Position"``.
        chapter: chapter of the FACS 2002 manual that describes it.

    >>> c = code(12)
    >>> c.kind, c.description, c.region
    ('AU', 'lip corner puller', 'Lower Face')
    """

    kind: str
    number: int
    description: str
    region: str
    chapter: int

    @property
    def name(self) -> str:
        """Canonical name, e.g. ``"AU12"``."""
        return f"{self.kind}{self.number:02d}"


def read_data_csv(filename: str) -> list[dict[str, str]]:
    """Rows of a CSV shipped in ``auknow/data/`` as dicts (header -> cell), e.g. ``facs_codes.csv``.

    >>> read_data_csv("facs_codes.csv")[1]
    {'type': 'AU', 'number': '1', 'name': 'inner brow raiser', 'group': 'Upper Face', 'chapter': '2'}
    """
    text = resources.files("auknow").joinpath("data").joinpath(filename).read_text(encoding="utf-8")
    return list(csv.DictReader(text.splitlines()))


@lru_cache(maxsize=None)
def codes() -> dict[int, FacsCode]:
    """All official FACS 2002 codes keyed by number: 73 codes (33 AUs counting AU0 neutral,
    23 ADs, 17 SCs; ``auknow/data/facs_codes.csv``).

    >>> len(codes()), codes()[12].name, codes()[19].name
    (73, 'AU12', 'AD19')
    """
    out = {}
    for row in read_data_csv("facs_codes.csv"):
        code = FacsCode(row["type"], int(row["number"]), row["name"], row["group"], int(row["chapter"]))
        out[code.number] = code
    return out


@lru_cache(maxsize=None)
def exclusive_pairs() -> frozenset[frozenset[int]]:
    """Pairs of FACS numbers that cannot be scored together whatever their intensity and side
    (e.g. {24, 25}, {5, 43}, {26, 27}): the plain-number rows of ``facs_exclusives.csv``.

    These are AU-level facts (used for AU graphs and prior matrices). The rows that concern one
    intensity (``5`` vs ``7E``) or one lip (``T22`` vs ``T28``, ``B22``/``B28``, ``S22``/``S28``,
    ``16``/``B28``) do not exclude the AU as such and are not here; :func:`exclusive_rules`
    holds every row and :func:`exclusive_conflicts` applies them to code strings.

    >>> frozenset((26, 27)) in exclusive_pairs(), frozenset((22, 28)) in exclusive_pairs()
    (True, False)
    """
    from .facs_exclusive import exclusive_rules

    return frozenset(frozenset((r.first.number, r.second.number)) for r in exclusive_rules()
                     if r.is_plain())


def are_exclusive(a: int, b: int) -> bool:
    """Whether FACS numbers ``a`` and ``b`` cannot be scored together at any intensity or side
    (FACS 2002; see :func:`exclusive_pairs`). ``are_exclusive(24, 25) -> True``.

    >>> are_exclusive(24, 25), are_exclusive(6, 12)
    (True, False)
    """
    return frozenset((a, b)) in exclusive_pairs()


def code(number: int) -> FacsCode:
    """The :class:`FacsCode` of a FACS number. Raises :class:`FacsCodeError` if unknown.

    >>> code(19).kind, code(19).description
    ('AD', 'tongue show')
    """
    try:
        return codes()[number]
    except KeyError:
        raise FacsCodeError(f"unknown FACS code {number} (not in the FACS 2002 code list)",
                            token=str(number)) from None


def au_name(number: int) -> str:
    """Canonical name of a FACS number: ``12 -> "AU12"``, ``19 -> "AD19"``.

    Raises:
        FacsCodeError: the number is not a FACS 2002 code.

    >>> au_name(12), au_name(1), au_name(19)
    ('AU12', 'AU01', 'AD19')
    """
    return code(number).name


# Column spellings emitted by tools: AU1, AU01, au_1, AU12_c, AU12_r, AU12_intensity, " AU12_r",
# "AU1 Evidence" (FACET / iMotions 5 and 6), 12, AU12L (Snoek's lateral columns; side returned
# separately by parse_au_column). ASCII digits only.
_AU_COLUMN = re.compile(
    r"^\s*(?:(?P<type>au|ad|sc)[\s_]?)?(?P<num>[0-9]+)(?P<side>[lr])?"
    r"(?:[_\s]+(?P<suffix>c|r|occ|occurrence|int|intensity|prob|probability|evidence))?\s*$",
    re.IGNORECASE | re.ASCII,
)


def _check_type(prefix: str | None, number: int, token: str, text: str = "") -> None:
    """A type prefix (``AU``/``AD``/``SC``) must be the code's type in the FACS 2002 list."""
    kind = code(number).kind
    if prefix is not None and prefix.upper() != kind:
        raise FacsCodeError(
            f"'{token.strip()}' gives type {prefix.upper()} but {number} is {kind}{number:02d} "
            f"({code(number).description}) in the FACS 2002 list; write {number} or {kind}{number:02d}",
            token=token, text=text or token)


def _non_ascii_digit(text: str) -> str | None:
    return next((ch for ch in text if ch.isdigit() and not ch.isascii()), None)


def _au_hint(text: str) -> str:
    """``"; did you mean AU01?"`` for a misspelt AU whose digits name a FACS code, else ``""``."""
    digits = re.findall(r"\d+", text)
    names = []
    for d in digits:
        try:
            names.append(code(int(d)).name)
        except FacsCodeError:
            continue
    return f"; did you mean {', '.join(dict.fromkeys(names))}?" if names else ""


def parse_au_column(text: str) -> tuple[int, str | None, str | None]:
    """Parse an AU column name as tools write it.

    Returns ``(number, side, suffix)``: ``"AU12_r" -> (12, None, "r")``,
    ``"AU02L" -> (2, "L", None)``, ``"au_1" -> (1, None, None)``, ``"AU1 Evidence" -> (1, None,
    "evidence")`` (FACET / iMotions). A bare ``0`` is refused: it is the frame-number column of
    BP4D's ``AU_OCC`` files, not AU0 (write ``AU0`` for FACS 0, neutral).

    Raises:
        FacsCodeError: not an AU spelling, a non-ASCII digit, a type prefix that is not the code's
            type (``AD12``, ``SC1``), a bare ``0``, or not a FACS 2002 number.

    >>> parse_au_column("AU1 Evidence"), parse_au_column(" AU12_r")
    ((1, None, 'evidence'), (12, None, 'r'))
    """
    text = str(text)
    m = _AU_COLUMN.match(text)
    if not m:
        digit = _non_ascii_digit(text)
        why = f" (non-ASCII digit '{digit}'; AU numbers use 0-9)" if digit else ""
        raise FacsCodeError(
            f"'{text.strip()}' is not an AU name{why}{_au_hint(text)} (expected e.g. AU12, AU01, au_1, 12, "
            "AU12_c, AU12_r, AU12 Evidence)", token=text)
    number = int(m["num"])
    if number == 0 and m["type"] is None and m["side"] is None and m["suffix"] is None:
        raise FacsCodeError(f"'{text.strip()}' is not an AU name: a bare 0 is the frame-number column of "
                            "BP4D's AU_OCC files; write AU0 for FACS 0 (neutral)", token=text)
    code(number)  # raises for unknown numbers
    _check_type(m["type"], number, text)
    side = m["side"].upper() if m["side"] else None
    suffix = m["suffix"].lower() if m["suffix"] else None
    return number, side, suffix


def au_number(text: str | int) -> int:
    """FACS number of an AU written any common way (``"AU01"``, ``"AU1"``, ``"au_1"``, ``1``,
    ``"AU12_c"``). Raises :class:`FacsCodeError` for anything else, naming the text.

    >>> au_number("AU01"), au_number("au_1"), au_number("AU12_c"), au_number(5)
    (1, 1, 12, 5)
    """
    if isinstance(text, int) and not isinstance(text, bool):
        return code(text).number
    number, side, _ = parse_au_column(str(text))
    if side is not None:
        raise FacsCodeError(f"'{text}' names one side of an AU; expected an AU name such as AU{number:02d}",
                            token=str(text))
    return number


def canonical_au(text: str | int) -> str:
    """Canonical name of an AU written any common way: ``"au_1" -> "AU01"``, ``19 -> "AD19"``.

    >>> canonical_au("au_1"), canonical_au(19)
    ('AU01', 'AD19')
    """
    return au_name(au_number(text))


@dataclass(frozen=True, order=True)
class FacsItem:
    """One element of a FACS code string, e.g. ``L12A`` or ``12CD``.

    Attributes:
        number: FACS number (a key of :func:`codes`).
        laterality: ``None`` (bilateral / not given) or one of ``L R U T B``.
        intensity: ``None``, one letter ``A``-``E``, or two adjacent letters (``"CD"``: C or D).

    >>> parse_facs("L12A")[0]
    FacsItem(number=12, laterality='L', intensity='A')
    """

    number: int
    laterality: str | None = None
    intensity: str | None = None

    @property
    def name(self) -> str:
        """Canonical AU name of the code, ignoring laterality and intensity (``"AU12"``)."""
        return au_name(self.number)

    def intensity_scores(self) -> tuple[int, ...]:
        """The 1-5 scores the intensity letters allow (``"CD" -> (3, 4)``; none given -> ())."""
        return tuple(INTENSITY_TO_SCORE[c] for c in (self.intensity or ""))

    def __str__(self) -> str:
        return f"{self.laterality or ''}{self.number}{self.intensity or ''}"


_TOKEN = re.compile(
    r"^(?:(?P<type1>AU|AD|SC))?(?P<lat>[A-Z])?(?:(?P<type2>AU|AD|SC))?(?P<num>[0-9]+)(?P<int>[A-Z]*)$",
    re.IGNORECASE | re.ASCII,
)
#: code-string separators: ``+`` or ``,`` (with any spaces around), or spaces alone
_PIECES = re.compile(r"[+,]|\s+|[^+,\s]+")


def _sort_key(item: FacsItem) -> tuple:
    return (item.number, "" if item.laterality is None else item.laterality, item.intensity or "")


def _movement_error(token: str, number: int, text: str) -> FacsCodeError:
    position = codes().get(number)
    hint = (f"write {number} ({position.description}) if the position was held, and keep the movement "
            "as a note" if position is not None and position.region.endswith("Position")
            else "keep the movement as a note")
    return FacsCodeError(
        f"'{token}' is a FACS movement code (an M code: a head or eye movement that accompanies the "
        f"onset of another action), not an action or a position; auknow code strings hold actions and "
        f"positions only: {hint}", token=token, text=text)


def parse_token(token: str, text: str | None = None) -> FacsItem:
    """Parse one token of a FACS code string (``"5B"``, ``"L12A"``, ``"AU01"``, ``"12CD"``).

    Raises:
        FacsCodeError: unknown code, malformed intensity or laterality, a type prefix that is not
            the code's FACS 2002 type (``AD12``, ``SC1``, ``AU19``), a non-ASCII digit, or a
            movement code (``M55``); the message names the token.

    >>> parse_token("L12CD"), parse_token("AD19").name
    (FacsItem(number=12, laterality='L', intensity='CD'), 'AD19')
    """
    text = token if text is None else text
    m = _TOKEN.match(token)
    if not m:
        digit = _non_ascii_digit(token)
        if digit:
            raise FacsCodeError(f"non-ASCII digit '{digit}' in '{token}' of '{text}' (FACS codes use the "
                                "digits 0-9)", token=token, text=text)
        raise FacsCodeError(f"malformed FACS code '{token}' in '{text}' (expected e.g. 12, L12A, 5B, AU01)",
                            token=token, text=text)
    lat = m["lat"].upper() if m["lat"] else None
    number = int(m["num"])
    if lat == "M":
        raise _movement_error(token, number, text)
    if lat is not None and lat not in LATERALITY:
        raise FacsCodeError(
            f"malformed laterality '{m['lat']}' in '{token}' (expected one of {', '.join(LATERALITY)})",
            token=token, text=text)
    if number not in codes():
        raise FacsCodeError(f"unknown FACS code {number} in '{token}' (not in the FACS 2002 code list)",
                            token=token, text=text)
    _check_type(m["type1"] or m["type2"], number, token, text)
    intensity = m["int"] or None
    if intensity is not None:
        up = intensity.upper()
        ok = (len(up) == 1 and up in INTENSITY_LETTERS) or (
            len(up) == 2 and up[0] in INTENSITY_LETTERS and up[1] in INTENSITY_LETTERS
            and ord(up[1]) == ord(up[0]) + 1)
        if not ok:
            raise FacsCodeError(
                f"malformed intensity '{intensity}' in '{token}' (expected one letter A-E, "
                "or two adjacent letters such as CD)", token=token, text=text)
        intensity = up
    return FacsItem(number, lat, intensity)


def _tokens(text: str) -> list[str]:
    """Split a code string, refusing empty codes (``1++2``, ``+1``, ``1+``) by position."""
    tokens: list[str] = []
    last_sep: tuple[str, int] | None = None  # the separator after the last token, or the start
    started = False
    for m in _PIECES.finditer(text):
        piece = m.group()
        if piece.isspace():
            continue
        if piece in "+,":
            if not started or last_sep is not None:
                where = (f"between '{last_sep[0]}' at character {last_sep[1]} and '{piece}' at character "
                         f"{m.start() + 1}" if last_sep else f"before '{piece}' at character {m.start() + 1}")
                raise FacsCodeError(f"empty code {where} of '{text}' (a code missing?)", token="", text=text)
            last_sep = (piece, m.start() + 1)
        else:
            tokens.append(piece)
            started, last_sep = True, None
    if last_sep is not None:
        raise FacsCodeError(f"empty code after '{last_sep[0]}' at character {last_sep[1]} of '{text}' "
                            "(a code missing?)", token="", text=text)
    return tokens


def parse_facs(text: str | int | Iterable, check_exclusive: bool = True) -> tuple[FacsItem, ...]:
    """Parse a FACS code string as coders write it.

    Accepts ``+``, ``,`` and spaces as separators, an optional type prefix that matches the
    code's type (``AU12``, ``AD19``), zero padding, laterality prefixes and intensity letters:
    ``"1+2+5B+26"``, ``"AU01 + AU02"``, ``"L12A, R14"``, ``"12CD"``. A bare integer or a list of
    tokens is accepted too. ``"1 2"`` is two codes, never ``12``. The result is sorted
    canonically; ``format_facs(parse_facs(s))`` is the canonical spelling.

    Args:
        text: the code string (``""`` gives ``()``), an integer, or a list of tokens.
        check_exclusive: refuse codes that FACS 2002 says cannot be scored together
            (:func:`exclusive_conflicts`: ``26+27``, ``5B+43``, ``5+7E``, ``T22+T28``). ``False``
            for lists whose codes are not scored together (a prototype's alternatives).

    Returns:
        A tuple of :class:`FacsItem`, sorted by number (then laterality).

    Raises:
        FacsCodeError: an unknown code, malformed intensity or laterality, a wrong type prefix,
            a movement code, a non-ASCII digit (naming the token); an empty code (``1++2``,
            ``+1``, ``1+``: naming the character position); the same code listed twice (other
            than once per side, ``L12+R12``); an exclusive pair (naming both codes and the rule).

    >>> format_facs(parse_facs("26+5b, AU01 2"))
    '1+2+5B+26'
    """
    if isinstance(text, bool):
        raise FacsCodeError(f"expected a FACS code string, got {text!r}", token=str(text))
    if isinstance(text, int):
        tokens, whole = [str(text)], str(text)
    elif isinstance(text, str):
        whole = text
        tokens = _tokens(text)
    else:
        tokens = [str(t).strip() for t in text]
        whole = "+".join(tokens)
        for k, t in enumerate(tokens):
            if not t:
                raise FacsCodeError(f"empty code at position {k + 1} of the list {list(text)!r}",
                                    token="", text=whole)
    items = [parse_token(t, whole) for t in tokens]
    seen: dict[int, list[FacsItem]] = {}
    for item in items:
        for other in seen.get(item.number, []):
            both_sided = {item.laterality, other.laterality} <= {"L", "R"} and item.laterality != other.laterality
            if not both_sided:
                raise FacsCodeError(f"code {item.number} listed twice in '{whole}' ('{other}' and '{item}')",
                                    token=str(item), text=whole)
        seen.setdefault(item.number, []).append(item)
    if check_exclusive:
        from .facs_exclusive import check_exclusive_items

        check_exclusive_items(items, whole)
    return tuple(sorted(items, key=_sort_key))


def format_facs(items: Iterable[FacsItem]) -> str:
    """Canonical FACS code string: sorted by number, ``+``-joined, e.g. ``"1+2+5B+26"``.

    >>> format_facs([FacsItem(26), FacsItem(5, intensity="B"), FacsItem(1)])
    '1+5B+26'
    """
    return "+".join(str(i) for i in sorted(items, key=_sort_key))


def canonical_facs(text: str) -> str:
    """``format_facs(parse_facs(text))``: the canonical spelling of a FACS code string.

    >>> canonical_facs("26 + 5b + 1")
    '1+5B+26'
    """
    return format_facs(parse_facs(text))


# --- AU sets of datasets and detectors -----------------------------------------------------------
#: AU sets keyed by name; each is a tuple of FACS numbers in the order the dataset / tool uses.
AU_SETS: dict[str, tuple[int, ...]] = {
    # BP4D-Spontaneous (Zhang et al. 2014): the 12 AUs used in AU-detection benchmarks
    # (JAA-Net, ME-GraphAU, LibreFace).
    "bp4d": (1, 2, 4, 6, 7, 10, 12, 14, 15, 17, 23, 24),
    # DISFA (Mavadati et al. 2013): the 12 AUs coded for intensity 0-5.
    "disfa": (1, 2, 4, 5, 6, 9, 12, 15, 17, 20, 25, 26),
    # DISFA's 8-AU benchmark subset (EAC-Net, JAA-Net, ME-GraphAU).
    "disfa8": (1, 2, 4, 6, 9, 12, 25, 26),
    # CK+ (Lucey et al. 2010) peak-frame AUs as shipped in the NetFACS package.
    "ckplus": (1, 2, 4, 5, 6, 7, 9, 10, 11, 12, 14, 15, 16, 17, 18, 20, 21, 22, 23, 24, 25, 26, 27),
    # OpenFace 2.x presence columns AUxx_c (Baltrusaitis et al. 2018).
    "openface_c": (1, 2, 4, 5, 6, 7, 9, 10, 12, 14, 15, 17, 20, 23, 25, 26, 28, 45),
    # OpenFace 2.x intensity columns AUxx_r: no AU28 (no training data).
    "openface_r": (1, 2, 4, 5, 6, 7, 9, 10, 12, 14, 15, 17, 20, 23, 25, 26, 45),
    # py-feat (Cheong et al. 2023) AU detector outputs, 20 AUs.
    "pyfeat": (1, 2, 4, 5, 6, 7, 9, 10, 11, 12, 14, 15, 17, 20, 23, 24, 25, 26, 28, 43),
}


def au_set(name: str) -> tuple[str, ...]:
    """Canonical AU names of a named AU set (``"bp4d"``, ``"disfa"``, ``"disfa8"``, ``"ckplus"``,
    ``"openface_c"``, ``"openface_r"``, ``"pyfeat"``). Raises ``KeyError`` naming the choices.

    >>> au_set("disfa8")
    ('AU01', 'AU02', 'AU04', 'AU06', 'AU09', 'AU12', 'AU25', 'AU26')
    """
    try:
        return tuple(au_name(n) for n in AU_SETS[name.lower()])
    except KeyError:
        raise KeyError(f"unknown AU set '{name}' (choose from {', '.join(AU_SETS)})") from None


# The exclusive-code rules live in facs_exclusive (they need FacsItem and parse_token above); they
# are re-exported here lazily, so that either module may be imported first.
_EXCLUSIVE_NAMES = ("ExclusiveRule", "check_exclusive_items", "exclusive_conflicts", "exclusive_cooccurrence",
                    "exclusive_rules")


def __getattr__(name: str):
    if name in _EXCLUSIVE_NAMES:
        from . import facs_exclusive
        return getattr(facs_exclusive, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
