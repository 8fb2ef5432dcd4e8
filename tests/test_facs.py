"""FACS codes: parsing coder spellings, canonical form, rejection of malformed codes, AU names, AU sets.

Property tests generate random lists of valid FACS items (numbers of the FACS 2002 list, optional
laterality, optional intensity including two-letter ranges), write them the way coders do
(separators ``+``, ``,``, spaces; optional ``AU`` prefix; zero padding; lower case; any order) and
check that parsing recovers exactly the same items and that the canonical form is a fixed point.
"""

from __future__ import annotations

import csv
import re
import string
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from auknow import facs
from auknow.errors import FacsCodeError
from auknow.facs import (AU_SETS, INTENSITY_LETTERS, LATERALITY, FacsItem, au_number, au_set, canonical_au,
                         canonical_facs, format_facs, parse_au_column, parse_facs, parse_token)

DATA = Path(__file__).resolve().parent / "data"

SETTINGS = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
#: fewer examples for the rejection tests (each draws a whole valid string too)
FEW = settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])

NUMBERS = sorted(facs.codes())
NOT_NUMBERS = sorted(set(range(0, 130)) - set(NUMBERS))
INTENSITIES = list(INTENSITY_LETTERS) + [a + b for a, b in zip(INTENSITY_LETTERS, INTENSITY_LETTERS[1:])]
BAD_INTENSITIES = (
    ["F", "G", "Z", "X", "AA", "CC", "ABC", "ABCD"]
    + [a + b for a in INTENSITY_LETTERS for b in INTENSITY_LETTERS if ord(b) - ord(a) >= 2]  # AC, BE, ...
    + [a + b for a in INTENSITY_LETTERS for b in INTENSITY_LETTERS if ord(b) < ord(a)]  # DC, EA, ...
    + ["AF", "EF", "FG"]
)
BAD_LATERALITY = sorted(set(string.ascii_uppercase) - set(LATERALITY) - {"M"})  # M: movement codes
KIND = {n: c.kind for n, c in facs.codes().items()}


def _exclusive_rows() -> list[tuple[str, str]]:
    """The rows of the bundled FACS 2002 exclusive list, read here without auknow's parser."""
    with open(Path(facs.__file__).parent / "data" / "facs_exclusives.csv", encoding="utf-8") as f:
        return [(r["code1"], r["code2"]) for r in csv.DictReader(f)]


EXCLUSIVE_ROWS = _exclusive_rows()
#: numbers that some row (plain, lip or intensity) pairs: the valid-string strategy avoids them together
EXCLUSIVE_NUMBERS = {frozenset(int(re.sub(r"[^0-9]", "", c)) for c in row) for row in EXCLUSIVE_ROWS}
PLAIN_ROWS = sorted({tuple(sorted((int(a), int(b)))) for a, b in EXCLUSIVE_ROWS if a.isdigit() and b.isdigit()})


# --- strategies ---------------------------------------------------------------------------------

@st.composite
def facs_items(draw, min_size=0, max_size=8) -> list[FacsItem]:
    """A valid list of FACS items: distinct numbers, except that a number may appear once per side
    (L12 + R12)."""
    drawn = draw(st.lists(st.sampled_from(NUMBERS), min_size=min_size, max_size=max_size, unique=True))
    numbers: list[int] = []
    for n in drawn:  # no two codes FACS 2002 says cannot be scored together
        if not any(frozenset((n, k)) in EXCLUSIVE_NUMBERS for k in numbers) or len(numbers) < min_size:
            numbers.append(n)
    items = []
    for n in numbers:
        intensity = st.none() | st.sampled_from(INTENSITIES)
        if draw(st.integers(0, 9)) == 0:  # both sides coded separately
            items += [FacsItem(n, "L", draw(intensity)), FacsItem(n, "R", draw(intensity))]
        else:
            items.append(FacsItem(n, draw(st.none() | st.sampled_from(sorted(LATERALITY))), draw(intensity)))
    return items


@st.composite
def coder_token(draw, item: FacsItem) -> str:
    """One item written in a random coder style."""
    number = str(item.number).zfill(draw(st.integers(1, 3)))  # zero padding: 1, 01, 001
    lat = item.laterality or ""
    kind = KIND[item.number]  # a type prefix must be the code's own type (AU12, AD19, SC50)
    prefix = draw(st.sampled_from(["", "", kind, kind.lower(), kind.capitalize()]))
    if draw(st.booleans()):
        token = f"{prefix}{lat}{number}"  # AUL12
    else:
        token = f"{lat}{prefix}{number}"  # LAU12
    token += item.intensity or ""
    case = draw(st.sampled_from(["keep", "lower", "upper"]))
    return token.lower() if case == "lower" else token.upper() if case == "upper" else token


@st.composite
def coder_string(draw, min_size=0, max_size=8) -> tuple[list[FacsItem], str]:
    """``(items, text)``: valid items and one way a coder might have written them."""
    items = draw(facs_items(min_size=min_size, max_size=max_size))
    order = draw(st.permutations(items)) if items else []
    tokens = [draw(coder_token(i)) for i in order]
    text = ""
    for k, tok in enumerate(tokens):
        if k:
            text += draw(st.sampled_from(["+", ",", " ", " + ", ", ", "  ", "\t", "+ ", " ,"]))
        text += tok
    pad = st.sampled_from(["", " ", "  ", "\n"])
    return items, draw(pad) + text + draw(pad)


def _multiset(items) -> Counter:
    return Counter((i.number, i.laterality, i.intensity) for i in items)


# --- parsing valid code strings -----------------------------------------------------------------

@SETTINGS
@given(coder_string())
def test_parse_preserves_items_and_canonical_form_is_a_fixed_point(case):
    items, text = case
    parsed = parse_facs(text)
    assert _multiset(parsed) == _multiset(items)
    canonical = format_facs(parsed)
    assert canonical == canonical_facs(text)
    assert canonical_facs(canonical) == canonical  # idempotent
    assert parse_facs(canonical) == parsed
    # canonical spelling: '+'-joined, no prefix, no padding, no spaces, upper case, sorted by number
    assert re.fullmatch(r"(?:[LRUTBS]?\d+(?:[A-E]{1,2})?(?:\+|$))*", canonical), canonical
    assert [i.number for i in parsed] == sorted(i.number for i in parsed)
    assert all(not tok.startswith("0") or tok == "0" for tok in re.findall(r"\d+", canonical))


@SETTINGS
@given(facs_items())
def test_format_of_items_parses_back_to_the_same_items(items):
    text = format_facs(items)
    assert _multiset(parse_facs(text)) == _multiset(items)
    assert format_facs(parse_facs(text)) == text


@FEW
@given(coder_string(min_size=1))
def test_token_list_and_string_give_the_same_result(case):
    items, text = case
    tokens = [t for t in re.split(r"[+,\s]+", text.strip()) if t]
    assert parse_facs(tokens) == parse_facs(text)


@pytest.mark.parametrize("text, canonical", [
    ("1+2+5B+26", "1+2+5B+26"),
    ("26+5b+2+1", "1+2+5B+26"),
    ("AU01 + AU02", "1+2"),
    ("au1, au2,au4", "1+2+4"),
    ("L12A, R14", "L12A+R14"),
    ("12CD", "12CD"),
    ("R12+L12", "L12+R12"),
    ("U20", "U20"),
    ("T22+B28", "T22+B28"),
    ("AD19", "19"),
    ("006 012", "6+12"),
    ("", ""),
    ("   ", ""),
])
def test_known_spellings(text, canonical):
    assert canonical_facs(text) == canonical


def test_integer_and_item_details():
    assert parse_facs(12) == (FacsItem(12),)
    item = parse_token("L12CD")
    assert (item.number, item.laterality, item.intensity) == (12, "L", "CD")
    assert item.name == "AU12" and str(item) == "L12CD"
    assert item.intensity_scores() == (3, 4)
    assert FacsItem(19).name == "AD19"
    assert parse_token("5b").intensity_scores() == (2,)
    assert FacsItem(1).intensity_scores() == ()


# --- rejecting malformed codes ------------------------------------------------------------------

def _rejects(text: str, token: str) -> FacsCodeError:
    with pytest.raises(FacsCodeError) as info:
        parse_facs(text)
    assert token in str(info.value), (token, str(info.value))
    return info.value


@FEW
@given(coder_string(max_size=4), st.sampled_from(NOT_NUMBERS), st.data())
def test_unknown_numbers_are_rejected_naming_the_token(case, number, data):
    _, text = case
    bad = data.draw(st.sampled_from([str(number), f"AU{number:02d}", f"{number}B", f"L{number}"]))
    err = _rejects(f"{text}+{bad}" if text.strip() else bad, bad)
    assert str(number) in str(err) and "unknown FACS code" in str(err)
    assert err.token == bad


@FEW
@given(coder_string(max_size=4), st.sampled_from(NUMBERS), st.sampled_from(BAD_INTENSITIES), st.booleans())
def test_bad_intensities_are_rejected_naming_the_token(case, number, letters, lower):
    _, text = case
    bad = f"{number}{letters.lower() if lower else letters}"
    err = _rejects(f"{bad}, {text}" if text.strip() else bad, bad)
    assert "malformed intensity" in str(err)
    assert err.token == bad


@FEW
@given(coder_string(max_size=4), st.sampled_from(NUMBERS), st.sampled_from(BAD_LATERALITY))
def test_bad_laterality_is_rejected_naming_the_token(case, number, letter):
    _, text = case
    bad = f"{letter}{number}"
    err = _rejects(f"{text} {bad}" if text.strip() else bad, bad)
    assert "malformed laterality" in str(err) or "malformed FACS code" in str(err)


@FEW
@given(coder_string(min_size=1, max_size=5), st.data())
def test_duplicates_are_rejected_naming_the_code(case, data):
    items, text = case
    item = data.draw(st.sampled_from(items))
    # the same number again: bilateral, same side, or a different intensity - all duplicates,
    # except the one allowed pattern (once per side, L + R), which is excluded here
    lat = data.draw(st.sampled_from([None, item.laterality]))
    dup = f"{lat or ''}{item.number}{data.draw(st.sampled_from(['', 'A', 'CD']))}"
    with pytest.raises(FacsCodeError) as info:
        parse_facs(f"{text}+{dup}")
    assert "listed twice" in str(info.value)
    assert str(item.number) in str(info.value)


@pytest.mark.parametrize("text, token, fragment", [
    ("1+2+99", "99", "unknown FACS code 99"),
    ("1+AU3", "AU3", "unknown FACS code 3"),
    ("1+2+5F", "5F", "malformed intensity 'F'"),
    ("12Z", "12Z", "malformed intensity 'Z'"),
    ("12AC", "12AC", "malformed intensity 'AC'"),
    ("12DC", "12DC", "malformed intensity 'DC'"),
    ("12ABC", "12ABC", "malformed intensity 'ABC'"),
    ("X12", "X12", "malformed laterality 'X'"),
    ("1+2+Q4", "Q4", "malformed laterality 'Q'"),
    ("1+2+1", "1", "code 1 listed twice"),
    ("L12+L12", "L12", "code 12 listed twice"),
    ("12+L12", "L12", "code 12 listed twice"),
    ("1+foo", "foo", "malformed FACS code 'foo'"),
    ("1+AU", "AU", "malformed FACS code 'AU'"),
    ("1+-2", "-2", "malformed FACS code '-2'"),
])
def test_malformed_examples(text, token, fragment):
    err = _rejects(text, token)
    assert fragment in str(err)
    assert err.text == text


def test_non_strings_rejected():
    with pytest.raises(FacsCodeError):
        parse_facs(True)
    with pytest.raises(FacsCodeError):
        parse_facs(3)


# --- AU names as tools spell them ---------------------------------------------------------------

@pytest.mark.parametrize("text, number", [
    ("AU1", 1), ("AU01", 1), ("au_1", 1), ("1", 1), (1, 1), ("AU12_c", 12), (" AU12_r", 12),
    ("AU12_r ", 12), ("AU001", 1), ("au 4", 4), ("AU45_intensity", 45), ("AD19", 19), ("AU0", 0),
])
def test_au_number_accepts_tool_spellings(text, number):
    assert au_number(text) == number


@pytest.mark.parametrize("text, name", [
    ("AU1", "AU01"), ("au_1", "AU01"), (12, "AU12"), ("AU12_c", "AU12"), (" AU12_r", "AU12"),
    (19, "AD19"), ("AD19", "AD19"), ("ad_19", "AD19"), ("53", "AD53"), ("SC50", "SC50"), ("AU0", "AU00"),
])
def test_canonical_au(text, name):
    assert canonical_au(text) == name


@pytest.mark.parametrize("text", ["AU02L", "AU12R", "AU3", "AU99", "12B", "L12", "smile", "", "AU", True, 99,
                                  "AU19", "AD12", "SC1", "0", "00", "１２", "AU١"])
def test_au_number_rejects(text):
    with pytest.raises(FacsCodeError):
        au_number(text)


def test_au_number_names_the_text_in_its_message():
    with pytest.raises(FacsCodeError, match="AU02L"):
        au_number("AU02L")
    with pytest.raises(FacsCodeError, match="smile"):
        au_number("smile")


@pytest.mark.parametrize("text, expected", [
    ("AU02L", (2, "L", None)), ("AU12R", (12, "R", None)), ("AU12_r", (12, None, "r")),
    (" AU12_c", (12, None, "c")), ("au_1", (1, None, None)), ("AU12L_r", (12, "L", "r")),
])
def test_parse_au_column(text, expected):
    assert parse_au_column(text) == expected


@SETTINGS
@given(st.sampled_from(NUMBERS), st.integers(0, 2), st.sampled_from(["{}", "{}", "{}_", "{} ", ""]),
       st.booleans(), st.sampled_from(["", "_c", "_r", "_C", " Evidence", "_evidence"]), st.sampled_from(["", " "]))
def test_au_number_round_trip(number, pad, prefix, lower, suffix, space):
    kind = KIND[number].lower() if lower else KIND[number]
    prefix = prefix.format(kind) if prefix or number else kind  # a bare 0 is BP4D's frame column
    text = f"{space}{prefix}{str(number).zfill(pad + 1)}{suffix}"
    assert au_number(text) == number
    name = canonical_au(text)
    assert re.fullmatch(r"(AU|AD|SC)\d{2}", name)
    assert canonical_au(name) == name and au_number(name) == number


# --- exclusive pairs and AU sets ----------------------------------------------------------------

def test_exclusive_pairs():
    pairs = facs.exclusive_pairs()
    for a, b in [(24, 25), (5, 43), (26, 27)]:
        assert frozenset((a, b)) in pairs
        assert facs.are_exclusive(a, b) and facs.are_exclusive(b, a)
    assert not facs.are_exclusive(6, 12) and not facs.are_exclusive(1, 2)
    for pair in pairs:
        assert len(pair) == 2 and pair <= set(NUMBERS)
        a, b = sorted(pair)
        assert facs.are_exclusive(a, b) == facs.are_exclusive(b, a) is True


@pytest.mark.parametrize("name, size", [
    ("bp4d", 12), ("disfa", 12), ("disfa8", 8), ("openface_c", 18), ("openface_r", 17), ("pyfeat", 20),
])
def test_au_set_sizes(name, size):
    names = au_set(name)
    assert len(names) == len(set(names)) == size
    assert all(canonical_au(n) == n for n in names)
    assert au_set(name.upper()) == names


def test_au_set_relations():
    assert set(au_set("disfa8")) < set(au_set("disfa"))
    assert set(au_set("openface_r")) == set(au_set("openface_c")) - {"AU28"}
    for name, numbers in AU_SETS.items():
        assert all(n in facs.codes() for n in numbers), name
    with pytest.raises(KeyError, match="bp4d"):
        au_set("nope")


def test_code_list():
    assert len(facs.codes()) == 73
    assert facs.code(12).description.lower() == "lip corner puller"
    assert facs.au_name(12) == "AU12" and facs.au_name(19) == "AD19"
    with pytest.raises(FacsCodeError, match="3"):
        facs.code(3)


# --- exclusive codes in code strings (FACS 2002 list, every row) ---------------------------------

def test_exclusive_rules_hold_every_row_of_the_list():
    rules = facs.exclusive_rules()
    assert [(str(r.first), str(r.second)) for r in rules] == list(dict.fromkeys(EXCLUSIVE_ROWS))
    assert {str(r) for r in rules if not r.is_plain()} == {"5/7E", "16/B28", "S22/S28", "T22/T28", "B22/B28"}
    assert facs.exclusive_pairs() == {frozenset(p) for p in PLAIN_ROWS}
    assert not facs.are_exclusive(22, 28) and not facs.are_exclusive(5, 7)  # lip / intensity rows only


@pytest.mark.parametrize("text, a, b, row", [
    ("26+27", "26", "27", "26/27"), ("24+25", "24", "25", "24/25"), ("5+43", "5", "43", "5/43"),
    ("5+7E", "5", "7E", "5/7E"), ("T22+T28", "T22", "T28", "T22/T28"), ("26B+27", "26B", "27", "26/27"),
    ("5B+43", "5B", "43", "5/43"), ("L26+27", "L26", "27", "26/27"), ("24+25B", "24", "25B", "24/25"),
    ("6+12+25+26+27", "26", "27", "26/27"), ("S22+S28", "S22", "S28", "S22/S28"),
    ("B22+B28", "B22", "B28", "B22/B28"), ("16+B28", "16", "B28", "16/B28"),
    ("22+28", "22", "28", "S22/S28"),  # unprefixed: both lips
    ("T22+28", "T22", "28", "T22/T28"), ("16+28", "16", "28", "16/B28"), ("7E+5", "7E", "5", "5/7E"),
    ("U5+43", "U5", "43", "5/43"), ("L5+L43", "L5", "L43", "5/43"), ("R5B+43", "R5B", "43", "5/43"),
])
def test_exclusive_pairs_are_errors_naming_both_codes_and_the_rule(text, a, b, row):
    with pytest.raises(FacsCodeError) as info:
        parse_facs(text)
    msg = str(info.value)
    assert f"'{a}' and '{b}' cannot be scored together" in msg or f"'{b}' and '{a}' cannot" in msg, msg
    assert f"exclusive row {row}" in msg and "FACS 2002 lists" in msg and "mutually exclusive" in msg
    assert info.value.text == text
    assert parse_facs(text, check_exclusive=False)  # the codes themselves are fine


@pytest.mark.parametrize("text", ["5+7D", "5+7DE", "T22+B28", "16+T28", "L5+R43", "U5+U43", "L26+R27",
                                  "B22+T28", "6+12+25+26", "1+2+5B+27"])
def test_compatible_codes_are_accepted(text):
    assert canonical_facs(text) == format_facs(parse_facs(text, check_exclusive=False))


@FEW
@given(st.sampled_from(PLAIN_ROWS), st.sampled_from([None, "L", "R", "T", "B", "S"]),
       st.sampled_from([None, "A", "CD", "E"]), st.sampled_from([None, "A", "E"]), st.booleans(), st.data())
def test_every_plain_pair_is_refused_whatever_is_attached(pair, lat, int_a, int_b, swap, data):
    a, b = pair
    lat_b = data.draw(st.sampled_from([None, "S"] if lat is None else [None, lat]))  # same place, or bilateral
    ta, tb = f"{lat or ''}{a}{int_a or ''}", f"{lat_b or ''}{b}{int_b or ''}"
    text = f"{tb}+{ta}" if swap else f"{ta}+{tb}"
    with pytest.raises(FacsCodeError, match="cannot be scored together") as info:
        parse_facs(text)
    assert f"'{ta}'" in str(info.value) and f"'{tb}'" in str(info.value)
    if lat in ("L", "R"):  # opposite sides never conflict
        other = "R" if lat == "L" else "L"
        assert parse_facs(f"{lat}{a}+{other}{b}", check_exclusive=True)


def test_exclusive_conflicts_lists_every_pair():
    items = parse_facs("5+7E+24+25+43", check_exclusive=False)
    found = {(str(a), str(b), str(r)) for a, b, r in facs.exclusive_conflicts(items)}
    assert found == {("5", "7E", "5/7E"), ("24", "25", "24/25"), ("5", "43", "5/43")}
    assert facs.exclusive_conflicts(parse_facs("1+2+5B+26")) == []


def test_exclusive_cooccurrence_counts_rows_of_independent_columns():
    occ = np.array([[1, 1, 1, 0], [0, 1, 1, 1], [1, 1, 0, -1], [-1, 1, 1, 1], [1, 0, 0, 1]])
    # columns AU24 AU25 AU26 AU27: 24+25 in rows 0,2; 26+27 in rows 1,3; 25+26 is no pair
    assert facs.exclusive_cooccurrence([24, 25, 26, 27], occ) == {"AU24+AU25": 2, "AU26+AU27": 2}
    assert facs.exclusive_cooccurrence([1, 2], np.ones((3, 2))) == {}


def test_tidy_reader_warns_and_records_exclusive_rows(tmp_path):
    from auknow.errors import DataError
    from auknow.readers import read_tidy_csv

    path = tmp_path / "occ.csv"
    path.write_text("subject,expression,AU25,AU26,AU27\nP1,happy,1,1,1\nP1,sad,0,1,1\nP2,happy,1,0,1\n"
                    "P2,sad,1,1,0\n", encoding="utf-8")
    with pytest.warns(UserWarning, match=r"AU26\+AU27 in 2 row\(s\)"):
        frames = read_tidy_csv(path)
    assert frames.source["exclusive_cooccurrence"] == ["AU26+AU27: 2"]
    assert frames.occurrence[:2, 1:].tolist() == [[1, 1], [1, 1]]  # kept as coded
    codes_csv = tmp_path / "codes.csv"
    codes_csv.write_text("subject,expression,facs\nP1,happy,6+12\nP1,happy,6+12+25+26+27\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"codes.csv:3: .*'26' and '27' cannot be scored together"):
        read_tidy_csv(codes_csv, facs_col="facs")


# --- empty codes, digits, type prefixes, movement codes ------------------------------------------

@pytest.mark.parametrize("text, where", [
    ("1++2", "between '+' at character 2 and '+' at character 3"), ("+1", "before '+' at character 1"),
    ("1+", "after '+' at character 2"), ("+", "before '+' at character 1"), (",", "before ',' at character 1"),
    ("1,,2", "between ',' at character 2 and ',' at character 3"), (" 1 + ", "after '+' at character 4"),
    ("1 ,+ 2", "between ',' at character 3 and '+' at character 4"),
])
def test_empty_codes_are_refused_naming_the_position(text, where):
    with pytest.raises(FacsCodeError, match="empty code") as info:
        parse_facs(text)
    assert where in str(info.value) and repr(text)[1:-1] in str(info.value)


@FEW
@given(coder_string(min_size=1, max_size=5), st.sampled_from(["+", ","]), st.data())
def test_an_extra_separator_is_refused_naming_its_position(case, sep, data):
    _, text = case
    text = text.strip()
    # places where one more separator leaves a code out: the start, the end, beside a + or ,
    places = [0, len(text)] + [m.end() for m in re.finditer(r"[+,]", text)]
    k = data.draw(st.sampled_from(places))
    bad = text[:k] + sep + text[k:]
    with pytest.raises(FacsCodeError, match="empty code") as info:
        parse_facs(bad)
    positions = [int(p) for p in re.findall(r"character (\d+)", str(info.value))]
    assert positions and all(bad[p - 1] in "+," for p in positions)


def test_empty_tokens_in_a_list_are_refused():
    with pytest.raises(FacsCodeError, match="empty code at position 2"):
        parse_facs(["1", " ", "2"])


@pytest.mark.parametrize("text, digit", [("\uff11\uff12", "\uff11"), ("\u0661\u0662", "\u0661"),
                                         ("1+\uff12", "\uff12"), ("L\U0001d7cf2", "\U0001d7cf")])
def test_only_ascii_digits(text, digit):
    with pytest.raises(FacsCodeError, match="non-ASCII digit") as info:
        parse_facs(text)
    assert digit in str(info.value)
    with pytest.raises(FacsCodeError, match="non-ASCII digit"):
        parse_au_column(f"AU{digit}")


@SETTINGS
@given(st.sampled_from(NUMBERS), st.sampled_from(["AU", "AD", "SC"]), st.booleans())
def test_type_prefix_must_be_the_codes_type(number, prefix, lower):
    written = prefix.lower() if lower else prefix
    right = KIND[number]
    if prefix == right:
        assert parse_facs(f"{written}{number}") == (FacsItem(number),)
        assert au_number(f"{written}{number:02d}") == number
    else:
        for parse in (parse_facs, au_number):
            with pytest.raises(FacsCodeError, match=f"gives type {prefix} but {number} is {right}{number:02d}"):
                parse(f"{written}{number}")


@pytest.mark.parametrize("number", [55, 56, 57, 59, 60, 61, 62, 68, 69, 83, 84, 85])
def test_movement_codes_are_refused_saying_what_they_are(number):
    with pytest.raises(FacsCodeError, match="movement code") as info:
        parse_facs(f"14+M{number}")
    msg = str(info.value)
    assert f"'M{number}'" in msg and "head or eye movement" in msg
    if number in facs.codes() and facs.codes()[number].region.endswith("Position"):
        assert f"write {number} ({facs.codes()[number].description})" in msg


# --- AU columns as detectors write them ----------------------------------------------------------

def _header(name: str, sep: str) -> list[str]:
    return (DATA / "headers" / name).read_text(encoding="utf-8").rstrip("\n").split(sep)


@pytest.mark.parametrize("name, sep, suffix, aus", [
    ("iMotions_Test_v6.header.txt", "\t", {"evidence"}, (1, 2, 4, 5, 6, 7, 9, 10, 12, 14, 15, 17, 18, 20, 23, 24,
                                                          25, 26, 28, 43)),
    ("OpenFace_Test.header.csv", ",", {"r", "c"}, AU_SETS["openface_c"]),
    ("pyfeat_detector_001.header.csv", ",", {None}, AU_SETS["pyfeat"]),
])
def test_real_detector_headers(name, sep, suffix, aus):
    header = _header(name, sep)
    parsed, refused = {}, []
    for col in header:
        try:
            parsed[col] = parse_au_column(col)
        except FacsCodeError:
            refused.append(col)
    assert {n for n, _, _ in parsed.values()} == set(aus)
    assert {s for _, _, s in parsed.values()} == suffix and all(side is None for _, side, _ in parsed.values())
    assert all("AU" not in col.upper() or not re.search(r"AU\d", col.upper()) for col in refused), refused
    assert len(parsed) + len(refused) == len(header)


@pytest.mark.parametrize("text, expected", [
    ("AU1 Evidence", (1, None, "evidence")), ("AU12 Evidence", (12, None, "evidence")),  # iMotions 6
    ("AU1_Evidence", (1, None, "evidence")), ("au4  evidence", (4, None, "evidence")),
    ("AU43 Evidence ", (43, None, "evidence")), ("AD19 Evidence", (19, None, "evidence")),
])
def test_facet_imotions_headers(text, expected):
    assert parse_au_column(text) == expected


@pytest.mark.parametrize("text", ["0", "00", " 0 ", "Joy Evidence", "AU Evidence", "7 X", "AU1 Evidencee",
                                  "AU3 Evidence"])
def test_headers_that_are_not_aus(text):
    with pytest.raises(FacsCodeError) as info:
        parse_au_column(text)
    if text.strip() in ("0", "00"):
        assert "frame-number column of BP4D" in str(info.value)
    assert parse_au_column("AU0") == (0, None, None)


# --- peer parity with the facs R package ---------------------------------------------------------

def _parity() -> list[dict[str, str]]:
    with open(DATA / "facs_parity.csv", encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def _now(case: str) -> str:
    try:
        return canonical_facs(case)
    except FacsCodeError as exc:
        return f"ERROR: {exc}"


def test_parity_fixture_covers_the_facs_package():
    rows = _parity()
    assert len(rows) >= 500 and len({r["case"] for r in rows}) == len(rows)
    assert {r["status"] for r in rows} == {"agree", "differs-on-purpose", "fixed-here"}
    assert {r["source"] for r in rows} == {"facs tests", "tricky", "facs prototypes"}
    assert sum(r["source"] == "facs prototypes" for r in rows) >= 400


def test_parity_with_the_facs_package():
    """Each case: auknow's answer is the fixture's, and its status is what the answers say."""
    for r in _parity():
        now = _now(r["case"])
        kind = (lambda a: "ERROR" if a.startswith("ERROR") else a)
        assert kind(now) == kind(r["auknow"]), r
        same = kind(now) == kind(r["facs"])
        if r["status"] == "agree":
            assert same and not r["reason"], r
        elif r["status"] == "differs-on-purpose":
            assert not same and r["reason"], r
        else:
            assert r["reason"].startswith("item "), r
            assert kind(now) != kind(r["auknow_before"]) or now.split(":", 1)[1] != r["auknow_before"].split(":", 1)[1]


def test_the_exclusive_module_imports_first_too():
    """auknow.facs re-exports the exclusive rules lazily: either module may be imported first."""
    import subprocess
    import sys

    code = ("import auknow.facs_exclusive as m, auknow.facs as f; "
            "assert f.exclusive_rules is m.exclusive_rules and len(f.exclusive_pairs()) == 42")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).resolve().parents[1])
