"""Knowledge tables: save/load round trip, atomic no-overwrite saving, and the validator's messages.

(a) Hypothesis builds prototype, quantified, relation and dataset tables with the dataclasses
    (values inside their declared ranges); ``load_table(save_table(t)) == t``.
(b) ``save_table`` never overwrites unless asked, and a failure while writing leaves neither a
    partial file nor a temporary file behind.
(c) Malformed tables, each run through ``auknow validate``: exit status 1 and exactly the expected
    ``FILE:LINE: key.path: message`` lines, never a traceback. The examples of
    ``docs/knowledge-format.md`` are checked here too: its tables validate, and every error line it
    quotes is one the validator really prints.
"""

from __future__ import annotations

import math
import re
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from auknow import facs
from auknow.atomic import OutputExistsError
from auknow.cli import main
from auknow.expressions import _alias_map, vocabulary
from auknow.facs import INTENSITY_LETTERS, FacsItem, au_name
from auknow.tables import (Citation, Configuration, DatasetDescriptor, PrototypeTable, Provenance,
                           QuantifiedTable, Relation, RelationTable, Statistic, Task, Weight, dumps_table,
                           load_table, read_table, save_table, validate_paths)
from auknow.tables.model import PROVENANCE_KINDS, RELATION_KINDS

DOC = Path(__file__).resolve().parent.parent / "docs" / "knowledge-format.md"
SETTINGS = settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# --- strategies: tables built with the dataclasses ----------------------------------------------

NUMBERS = sorted(facs.codes())
AU_NAMES = [au_name(n) for n in NUMBERS]
INTENSITIES = [None, *INTENSITY_LETTERS, "AB", "BC", "CD", "DE"]
VOCAB = sorted(vocabulary())

names = st.from_regex(r"[a-z][a-z0-9_]{0,12}[a-z0-9]|[a-z]", fullmatch=True)
# Any printable text, newlines included (notes are often multi-line); no surrogates or control codes.
text = st.text(st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="\ufeff")
               | st.just("\n"), min_size=1, max_size=40).filter(lambda s: s.strip())
short_text = st.text(st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="\ufeff"),
                     min_size=1, max_size=20).filter(lambda s: s.strip())
scalars = st.none() | st.booleans() | st.integers(-10**6, 10**6) | st.floats(allow_nan=False) | short_text
details_values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=3)
                              | st.dictionaries(names, inner, max_size=3), max_leaves=4)


@st.composite
def citations(draw) -> Citation:
    opt = st.none() | short_text
    return Citation(authors=draw(st.lists(short_text, min_size=1, max_size=4)), year=draw(st.integers(1500, 2100)),
                    title=draw(text), venue=draw(opt), doi=draw(opt), url=draw(opt))


@st.composite
def provenances(draw) -> Provenance:
    kind = draw(st.sampled_from(PROVENANCE_KINDS))
    citation = draw(citations()) if kind == "literature" else draw(st.none() | citations())
    details = draw(st.dictionaries(names.filter(lambda k: k not in ("kind", "citation", "notes")),
                                   details_values, max_size=2))
    return Provenance(kind=kind, citation=citation, notes=draw(st.none() | text), details=details)


def _sorted(items) -> tuple[FacsItem, ...]:
    return tuple(sorted(items, key=lambda i: (i.number, i.laterality or "", i.intensity or "")))


@st.composite
def facs_part(draw, numbers: list[int]) -> tuple[FacsItem, ...]:
    items = []
    for n in numbers:
        inten = st.sampled_from(INTENSITIES)
        if draw(st.integers(0, 7)) == 0:
            items += [FacsItem(n, "L", draw(inten)), FacsItem(n, "R", draw(inten))]
        else:
            items.append(FacsItem(n, draw(st.sampled_from([None, None, "L", "R", "U", "T", "B"])), draw(inten)))
    return _sorted(items)


@st.composite
def configurations(draw) -> Configuration:
    numbers = draw(st.lists(st.sampled_from(NUMBERS), min_size=1, max_size=7, unique=True))
    cut1, cut2 = sorted(draw(st.lists(st.integers(0, len(numbers)), min_size=2, max_size=2)))
    required, optional, alternatives = numbers[:cut1], numbers[cut1:cut2], numbers[cut2:]
    # no FACS-exclusive pair (any row of the list, whatever its lip or intensity) may be required
    # together, nor an optional / alternative AU excluded by a required one: drop the later AU
    excl = {frozenset((r.first.number, r.second.number)) for r in facs.exclusive_rules()}
    kept: list[int] = []
    for n in required:
        if not any(frozenset((n, k)) in excl for k in kept):
            kept.append(n)
    optional = [n for n in optional if not any(frozenset((n, k)) in excl for k in kept)]
    alternatives = [n for n in alternatives if not any(frozenset((n, k)) in excl for k in kept)]
    if not kept and not alternatives:
        alternatives = numbers[-1:] if numbers[-1] not in optional else []
        if not alternatives:
            kept = [optional.pop()]
            optional = [n for n in optional if frozenset((n, kept[0])) not in excl]
    return Configuration(required=draw(facs_part(kept)), optional=draw(facs_part(optional)),
                         alternatives=draw(facs_part(alternatives)), type=draw(st.none() | short_text),
                         notes=draw(st.none() | text))


_TAKEN = set(_alias_map())
extra_names = st.lists(names.filter(lambda n: n not in _TAKEN), max_size=3, unique=True)


@st.composite
def prototype_tables(draw) -> PrototypeTable:
    extra = draw(extra_names)
    exprs = draw(st.lists(st.sampled_from(VOCAB + extra), min_size=1, max_size=3, unique=True))
    return PrototypeTable(name=draw(names), title=draw(text), provenance=draw(provenances()),
                          expressions={e: draw(st.lists(configurations(), min_size=1, max_size=2)) for e in exprs},
                          extra_expressions=extra)


RANGES = st.sampled_from([(0.0, 1.0), (-1.0, 1.0), (0.0, math.inf), (-math.inf, math.inf)]) | st.tuples(
    st.floats(-1e6, 1e6), st.floats(-1e6, 1e6)).filter(lambda r: r[0] < r[1])


def statistics():
    return st.builds(Statistic, name=short_text, range=RANGES, description=st.none() | text)


@st.composite
def uncertainty(draw, rng: tuple[float, float] | None) -> dict:
    out: dict = {}
    lo, hi = rng if rng is not None else (-math.inf, math.inf)
    if draw(st.booleans()):
        ci = sorted(draw(st.lists(st.floats(lo, hi, allow_nan=False), min_size=2, max_size=2)))
        out["ci"] = (ci[0], ci[1])
    if draw(st.booleans()):
        out["n"] = draw(st.integers(0, 10**7))
    for key in ("p_value", "q_value"):
        if draw(st.booleans()):
            out[key] = draw(st.floats(0.0, 1.0))
    return out


@st.composite
def weights(draw, rng: tuple[float, float]) -> Weight:
    extra = draw(uncertainty(rng))
    lo, hi = max(rng[0], -1e9), min(rng[1], 1e9)
    if lo <= hi and draw(st.integers(0, 3)) == 0:  # an interval-valued cell, value inside the band (or midpoint)
        band = sorted(draw(st.lists(st.floats(lo, hi, allow_nan=False), min_size=2, max_size=2)))
        mid = (band[0] + band[1]) / 2
        value = mid if draw(st.booleans()) else draw(st.floats(band[0], band[1], allow_nan=False))
        return Weight(value=value, interval=(band[0], band[1]), **extra)
    return Weight(value=draw(st.floats(rng[0], rng[1], allow_nan=False)), **extra)


@st.composite
def quantified_tables(draw) -> QuantifiedTable:
    statistic = draw(statistics())
    extra = draw(extra_names)
    exprs = draw(st.lists(st.sampled_from(VOCAB + extra), min_size=1, max_size=3, unique=True))
    rows = {e: {au: draw(weights(statistic.range))
                for au in draw(st.lists(st.sampled_from(AU_NAMES), max_size=4, unique=True))} for e in exprs}
    return QuantifiedTable(name=draw(names), title=draw(text), provenance=draw(provenances()), statistic=statistic,
                           weights=rows, scale=draw(st.none() | st.floats(0.001, 100.0)), extra_expressions=extra)


@st.composite
def relation_tables(draw) -> RelationTable:
    statistic = draw(st.none() | statistics())
    rng = statistic.range if statistic else None
    pairs = draw(st.lists(st.tuples(st.sampled_from(AU_NAMES), st.sampled_from(AU_NAMES), st.sampled_from(RELATION_KINDS))
                          .filter(lambda p: p[0] != p[1]),
                          min_size=1, max_size=5, unique_by=lambda p: (frozenset(p[:2]), p[2])))
    lo, hi = rng if rng else (-1e9, 1e9)
    relations = [Relation(au_i=i, au_j=j, kind=k, strength=draw(st.floats(lo, hi, allow_nan=False)),
                          directed=k == "hierarchy" or draw(st.booleans()), **draw(uncertainty(rng)))
                 for i, j, k in pairs]
    return RelationTable(name=draw(names), title=draw(text), provenance=draw(provenances()), relations=relations,
                         statistic=statistic)


@st.composite
def dataset_tables(draw) -> DatasetDescriptor:
    subjects = draw(st.lists(st.sampled_from([f"{s}{i:03d}" for s in "FM" for i in range(1, 30)]), max_size=8,
                             unique=True))
    n_folds = draw(st.integers(1, 3))
    folds = {k + 1: subjects[k::n_folds] for k in range(n_folds) if subjects[k::n_folds]}
    return DatasetDescriptor(
        name=draw(names), title=draw(text), provenance=draw(provenances()),
        aus=draw(st.lists(st.sampled_from(AU_NAMES), max_size=8, unique=True)),
        intensity_aus=draw(st.lists(st.sampled_from(AU_NAMES), max_size=4, unique=True)),
        occurrence_threshold=draw(st.none() | st.floats(0.01, 5.0)),
        tasks=draw(st.dictionaries(st.sampled_from([f"T{i}" for i in range(1, 12)]),
                                   st.builds(Task, expression=st.sampled_from(VOCAB),
                                             description=st.none() | short_text), max_size=4)),
        emotion_codes=draw(st.dictionaries(st.integers(0, 20), st.sampled_from(VOCAB), max_size=4)),
        folds=folds)


# --- (a) round trip -----------------------------------------------------------------------------

def _round_trip(table):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "t.yaml"
        save_table(table, path)
        loaded, problems = read_table(path)
        text = path.read_text("utf-8")
    assert problems == [], "\n".join(map(str, problems)) + "\n" + text
    assert loaded == table
    # saving the loaded table again gives the same text (a fixed point)
    assert dumps_table(loaded) == text


@SETTINGS
@given(table=prototype_tables())
def test_round_trip_prototype(table):
    _round_trip(table)


@SETTINGS
@given(table=quantified_tables())
def test_round_trip_quantified(table):
    _round_trip(table)


@SETTINGS
@given(table=relation_tables())
def test_round_trip_relation(table):
    _round_trip(table)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(table=dataset_tables())
def test_round_trip_dataset(table):
    _round_trip(table)


# --- (b) saving is atomic and never overwrites unless asked -------------------------------------

def _small_table(title: str = "T") -> PrototypeTable:
    return PrototypeTable(name="t", title=title, provenance=Provenance(kind="edited"),
                          expressions={"happiness": [Configuration(required=(FacsItem(6), FacsItem(12)))]})


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp") or p.name.startswith("."))


def test_save_refuses_to_overwrite(tmp_path):
    path = tmp_path / "t.yaml"
    save_table(_small_table("first"), path)
    before = path.read_bytes()
    with pytest.raises(OutputExistsError, match="t.yaml"):
        save_table(_small_table("second"), path)
    assert path.read_bytes() == before
    assert isinstance(OutputExistsError("x"), FileExistsError)
    save_table(_small_table("second"), path, overwrite=True)
    assert load_table(path).title == "second"
    assert _leftovers(tmp_path) == []


def test_no_overwrite_even_if_the_file_appears_while_writing(tmp_path, monkeypatch):
    # the existence check and the final move are separate steps; the move itself must refuse
    path = tmp_path / "t.yaml"
    path.write_text("someone else's table\n", encoding="utf-8")
    exists = Path.exists
    monkeypatch.setattr(Path, "exists", lambda self, *a, **k: False if self == path else exists(self, *a, **k))
    with pytest.raises(OutputExistsError):
        save_table(_small_table(), path)
    monkeypatch.undo()
    assert path.read_text(encoding="utf-8") == "someone else's table\n"
    assert _leftovers(tmp_path) == []


def test_save_creates_missing_folders(tmp_path):
    path = tmp_path / "a" / "b" / "t.yaml"
    save_table(_small_table(), path)
    assert load_table(path) == _small_table()


def _failing_write_text(self, data, *args, **kwargs):
    with open(self, "w", encoding="utf-8") as f:
        f.write(data[: len(data) // 2])  # half the file, then the disk "fills up"
    raise OSError(28, "No space left on device")


@pytest.mark.parametrize("existing", [False, True])
def test_failure_while_writing_leaves_nothing_behind(tmp_path, monkeypatch, existing):
    path = tmp_path / "t.yaml"
    if existing:
        save_table(_small_table("old"), path)
    before = path.read_bytes() if existing else None
    monkeypatch.setattr(Path, "write_text", _failing_write_text)
    with pytest.raises(OSError, match="No space"):
        save_table(_small_table("new"), path, overwrite=existing)
    monkeypatch.undo()
    assert _leftovers(tmp_path) == []
    if existing:
        assert path.read_bytes() == before
    else:
        assert not path.exists()
    assert [p.name for p in tmp_path.iterdir()] == (["t.yaml"] if existing else [])


@pytest.mark.parametrize("step", ["replace", "link"])
def test_failure_while_moving_into_place_leaves_nothing_behind(tmp_path, monkeypatch, step):
    import auknow.atomic as atomic

    path = tmp_path / "t.yaml"

    def boom(*args, **kwargs):
        raise OSError(5, "I/O error")

    monkeypatch.setattr(atomic.os, step, boom)
    with pytest.raises(OSError, match="I/O error"):
        save_table(_small_table(), path, overwrite=(step == "replace"))
    monkeypatch.undo()
    assert list(tmp_path.iterdir()) == []


# --- (c) malformed tables through `auknow validate` ---------------------------------------------

PROTO = """\
schema_version: 1
kind: prototype
name: t
title: T
provenance:
  kind: edited
expressions:
"""  # lines 1-7; expressions.<name> is line 8, its first configuration line 9

QUANT = """\
schema_version: 1
kind: quantified
name: t
title: T
provenance:
  kind: edited
statistic:
  name: p_au_given_expression
  range: [0, 1]
"""  # lines 1-9; weights: line 10, weights.happiness line 11, its first AU line 12

REL = """\
schema_version: 1
kind: relation
name: t
title: T
provenance:
  kind: edited
statistic:
  name: phi
  range: [-1, 1]
relations:
"""  # lines 1-10; relations[0] is line 11

DATASET = """\
schema_version: 1
kind: dataset
name: t
title: T
provenance:
  kind: edited
"""  # lines 1-6

LITERATURE = """\
schema_version: 1
kind: prototype
name: t
title: T
provenance:
  kind: literature
"""  # lines 1-6

HAPPY = "  happiness:\n  - required: 6+12\n"

# id -> (YAML text, [(line or None, key path or None, message fragment), ...] in printed order)
CASES = {
    "unknown_au": (PROTO + "  happiness:\n  - required: 6+12+99\n",
                   [(9, "expressions.happiness[0].required", "unknown FACS code 99 in '99'")]),
    "unknown_au_name": (QUANT + "weights:\n  happiness:\n    AU3: 0.5\n",
                        [(12, "weights.happiness.AU3", "unknown FACS code 3")]),
    "au_twice_in_configuration": (PROTO + "  happiness:\n  - required: 6+12+AU12\n",
                                  [(9, "expressions.happiness[0].required", "code 12 listed twice")]),
    "au_twice_in_optional": (PROTO + "  happiness:\n  - required: 6+12\n    optional: 25+25\n",
                             [(10, "expressions.happiness[0].optional", "code 25 listed twice in '25+25'")]),
    "au_required_and_optional": (PROTO + "  happiness:\n  - required: 6+12\n    optional: 12+25\n",
                                 [(10, "expressions.happiness[0].optional",
                                   "AU12 listed twice (in required and optional)")]),
    "au_twice_in_row": (QUANT + "weights:\n  happiness:\n    AU1: 0.5\n    AU01: 0.4\n",
                        [(13, "weights.happiness.AU01", "AU01 listed twice (as 'AU1' and 'AU01')")]),
    "weight_out_of_range": (QUANT + "weights:\n  happiness:\n    AU06: 0.5\n    AU12: 1.5\n",
                            [(13, "weights.happiness.AU12", "weight 1.5 is outside the declared range [0, 1]")]),
    "ci_out_of_range": (QUANT + "weights:\n  happiness:\n    AU12: {value: 0.9, ci: [0.8, 1.2]}\n",
                        [(12, "weights.happiness.AU12.ci", "confidence interval [0.8, 1.2] lies outside the declared range [0, 1]")]),
    "ci_low_above_high": (QUANT + "weights:\n  happiness:\n    AU12:\n      value: 0.9\n      ci: [0.95, 0.85]\n",
                          [(14, "weights.happiness.AU12.ci", "with low <= high, got [0.95, 0.85]")]),
    "q_value_above_1": (QUANT + "weights:\n  happiness:\n    AU12: {value: 0.9, q_value: 1.5}\n",
                        [(12, "weights.happiness.AU12.q_value", "q_value 1.5 is outside [0, 1]")]),
    "exclusive_pair_required": (PROTO + "  anger:\n  - required: 4+5+24+25\n",
                                [(9, "expressions.anger[0].required",
                                  "AU24 and AU25 cannot be scored together (FACS 2002 exclusive pair)")]),
    "unknown_expression": (PROTO + "  happyness:\n  - required: 6+12\n",
                           [(8, "expressions.happyness",
                             "unknown expression 'happyness'; did you mean happiness")]),
    "expression_twice_via_alias": (PROTO + "  happy:\n  - required: 6+12\n  happiness:\n  - required: 12\n",
                                   [(10, "expressions.happiness",
                                     "expression 'happiness' listed twice (as 'happy' too; both mean 'happiness')")]),
    "wrong_schema_version": (PROTO.replace("schema_version: 1", "schema_version: 2") + HAPPY,
                             [(1, "schema_version", "schema_version 2 is not supported (expected 1)")]),
    "missing_schema_version": (PROTO.replace("schema_version: 1\n", "") + HAPPY,
                               [(1, None, "missing key 'schema_version' (expected schema_version: 1)")]),
    "unknown_kind": (PROTO.replace("kind: prototype", "kind: prototypes") + HAPPY,
                     [(2, "kind", "unknown kind 'prototypes' (expected one of prototype, quantified, relation")]),
    "yaml_syntax_error": (PROTO + "  happiness:\n  - required: [6, 12\n  sadness:\n  - required: 1+4+15\n",
                          [(10, None, "YAML syntax error: expected ',' or ']'")]),
    "yaml_tab": (PROTO + "  happiness:\n\t- required: 6+12\n",
                 [(9, None, "YAML syntax error: found character '\\t'")]),
    "duplicate_yaml_key": (PROTO + HAPPY + "  sadness:\n  - required: 1+4+15\n  happiness:\n  - required: 12\n",
                           [(12, "expressions.happiness", "key 'happiness' appears twice (first on line 8)")]),
    "unknown_top_level_key": (QUANT + "wieghts:\n  happiness:\n    AU12: 0.9\n",
                              [(10, "wieghts", "unknown key 'wieghts' (expected one of extra_expressions, kind"),
                               (1, None, "missing key 'weights' (expression names to AU weights)")]),
    "unknown_optional_key": (QUANT + "sacle: 5\nweights:\n  happiness:\n    AU12: 0.9\n",
                             [(10, "sacle", "unknown key 'sacle'")]),
    "unknown_configuration_key": (PROTO + "  happiness:\n  - required: 6+12\n    optinal: 25\n",
                                  [(10, "expressions.happiness[0].optinal", "unknown key 'optinal'")]),
    "missing_citation": (LITERATURE + "  notes: from a paper\nexpressions:\n" + HAPPY,
                         [(5, "provenance", "a literature table needs a citation")]),
    "bad_year": (LITERATURE + "  citation:\n    authors: [\"Ekman, P.\"]\n    year: 20022\n    title: FACS\n"
                 "expressions:\n" + HAPPY,
                 [(9, "provenance.citation.year", "expected a year such as 2002, got 20022")]),
    "missing_authors": (LITERATURE + "  citation:\n    year: 2002\n    title: FACS\nexpressions:\n" + HAPPY,
                        [(7, "provenance.citation", "missing key 'authors'")]),
    "unknown_provenance_kind": (PROTO.replace("kind: edited", "kind: guessed") + HAPPY,
                                [(6, "provenance.kind", "provenance kind 'guessed' is not one of literature")]),
    "malformed_intensity": (PROTO + "  happiness:\n  - required: 6+12F\n",
                            [(9, "expressions.happiness[0].required", "malformed intensity 'F' in '12F'")]),
    "non_adjacent_intensity": (PROTO + "  happiness:\n  - required: 6+12AC\n",
                               [(9, "expressions.happiness[0].required", "malformed intensity 'AC' in '12AC'")]),
    "malformed_laterality": (PROTO + "  happiness:\n  - required: 6+X12\n",
                             [(9, "expressions.happiness[0].required", "malformed laterality 'X' in 'X12'")]),
    "empty_configuration": (PROTO + "  happiness:\n  - required: ''\n",
                            [(9, "expressions.happiness[0]", "configuration lists no AU")]),
    "no_configurations": (PROTO + "  happiness: []\n",
                          [(8, "expressions.happiness", "expected a non-empty list of configurations")]),
    "relation_same_au": (REL + "- {au_i: AU12, au_j: 12, kind: co-occurrence, strength: 0.5}\n",
                         [(11, "relations[0].au_j", "a relation needs two different AUs, got AU12 twice")]),
    "relation_unknown_kind": (REL + "- {au_i: AU06, au_j: AU12, kind: correlation, strength: 0.5}\n",
                              [(11, "relations[0].kind",
                                "relation kind 'correlation' is not one of co-occurrence, exclusive, hierarchy")]),
    "relation_listed_twice": (REL + "- {au_i: AU06, au_j: AU12, kind: co-occurrence, strength: 0.5}\n"
                              "- {au_i: AU12, au_j: AU06, kind: co-occurrence, strength: 0.4}\n",
                              [(12, "relations[1]", "relation AU12-AU06 (co-occurrence) listed twice "
                                                    "(first as relations[0])")]),
    "relation_directed_then_undirected": (
        REL + "- {au_i: AU12, au_j: AU06, kind: co-occurrence, strength: 0.5, directed: true}\n"
              "- {au_i: AU06, au_j: AU12, kind: co-occurrence, strength: 0.4}\n",
        [(12, "relations[1]", "relation AU06-AU12 (co-occurrence) listed twice (first as relations[0])")]),
    "hierarchy_undirected": (REL + "- {au_i: AU06, au_j: AU12, kind: hierarchy, strength: 0.5, directed: false}\n",
                             [(11, "relations[0].directed", "a hierarchy relation (au_i implies au_j) is directed")]),
    "task_description_not_text": (DATASET + "tasks:\n  T1: {expression: happiness, description: 3}\n",
                                  [(8, "tasks.T1.description", "expected text for description, got 3")]),
    "extra_expression_with_hyphen": (PROTO.replace("expressions:\n", "extra_expressions: [mild-startle]\nexpressions:\n")
                                     + "  mild_startle:\n  - 1+2\n",
                                     [(7, "extra_expressions", "expected a list of snake_case expression names"),
                                      (9, "expressions.mild_startle", "unknown expression 'mild_startle'")]),
    "relation_out_of_range": (REL + "- {au_i: AU06, au_j: AU12, kind: co-occurrence, strength: 1.5}\n",
                              [(11, "relations[0].strength", "strength 1.5 is outside the declared range [-1, 1]")]),
    "relation_p_value": (REL + "- au_i: AU06\n  au_j: AU12\n  kind: co-occurrence\n  strength: 0.5\n"
                               "  p_value: -0.1\n",
                         [(15, "relations[0].p_value", "p_value -0.1 is outside [0, 1]")]),
    "relation_side_au": (REL + "- {au_i: AU02L, au_j: AU12, kind: co-occurrence, strength: 0.5}\n",
                         [(11, "relations[0].au_i", "'AU02L' names one side of an AU")]),
    "folds_overlap": (DATASET + "folds:\n  1: [F001, F002]\n  2: [F002, M001]\n",
                      [(9, "folds.2", "subject F002 is in fold 1 and fold 2; folds must be disjoint")]),
    "dataset_au_twice": (DATASET + "aus: [AU01, AU02, AU1]\n",
                         [(7, "aus[2]", "AU01 listed twice")]),
    "occurrence_threshold": (DATASET + "occurrence_threshold: 7\n",
                             [(7, "occurrence_threshold", "occurrence threshold 7 is outside (0, 5]")]),
    "statistic_range_reversed": (QUANT.replace("[0, 1]", "[1, 0]") + "weights:\n  happiness:\n    AU12: 0.9\n",
                                 [(9, "statistic.range", "expected [low, high] with low < high")]),
    "statistic_range_not_pair": (QUANT.replace("[0, 1]", "[0, 1, 2]") + "weights:\n  happiness:\n    AU12: 0.9\n",
                                 [(9, "statistic.range", "expected [low, high] with low < high")]),
    "bad_name": (PROTO.replace("name: t", "name: My Table") + HAPPY,
                 [(3, "name", "name 'My Table' must be lower-case letters, digits, '_' or '-'")]),
    "missing_title": (PROTO.replace("title: T\n", "") + HAPPY, [(1, None, "missing key 'title'")]),
    "schema_version_true": (PROTO.replace("schema_version: 1", "schema_version: true") + HAPPY,
                            [(1, "schema_version", "schema_version True is not supported (expected 1)")]),
    "weight_not_a_number": (QUANT + "weights:\n  happiness:\n    AU12: high\n",
                            [(12, "weights.happiness.AU12",
                              "expected a number, an interval [low, high] or a mapping with value, ci, n")]),
    "interval_low_above_high": (QUANT + "weights:\n  happiness:\n    AU12: [1, 0.75]\n",
                                [(12, "weights.happiness.AU12",
                                  "expected an interval [low, high] with low <= high, got [1, 0.75]")]),
    "interval_out_of_range": (QUANT + "weights:\n  happiness:\n    AU12: [0.75, 1.5]\n",
                              [(12, "weights.happiness.AU12",
                                "interval [0.75, 1.5] lies outside the declared range [0, 1]")]),
    "value_outside_interval": (QUANT + "weights:\n  happiness:\n    AU12:\n      interval: [0.75, 1]\n"
                               "      value: 0.2\n",
                               [(14, "weights.happiness.AU12.value", "value 0.2 lies outside its interval [0.75, 1]")]),
    "interval_not_numbers": (QUANT + "weights:\n  happiness:\n    AU12: {interval: [low, high]}\n",
                             [(12, "weights.happiness.AU12.interval", "expected an interval [low, high]")]),
    "missing_statistic": ("\n".join(QUANT.splitlines()[:6]) + "\nweights:\n  happiness:\n    AU12: 0.9\n",
                          [(1, None, "missing key 'statistic' (name and range of the weights)")]),
    "scale_not_positive": (QUANT + "scale: -5\nweights:\n  happiness:\n    AU12: 0.9\n",
                           [(10, "scale", "scale must be positive, got -5")]),
    "bad_extra_expressions": (PROTO.replace("expressions:\n", "extra_expressions: [Mild Startle]\nexpressions:\n")
                              + HAPPY, [(7, "extra_expressions", "expected a list of snake_case expression names")]),
    "no_relations": (REL.replace("relations:\n", "relations: []\n"),
                     [(10, "relations", "expected a non-empty list of relations under 'relations'")]),
    "task_unknown_expression": (DATASET + "tasks:\n  T1: happyness\n",
                                [(8, "tasks.T1.expression", "unknown expression 'happyness'; did you mean")]),
    "emotion_code_not_integer": (DATASET + "emotion_codes:\n  one: anger\n",
                                 [(8, "emotion_codes.one", "expected an integer label, got 'one'")]),
    "not_a_mapping": ("- just\n- a list\n", [(1, None, "expected a knowledge table (a YAML mapping), got list")]),
    "empty_file": ("# nothing here\n", [(None, None, "empty file, expected a knowledge table")]),
}


def _run_validate(capsys, *paths) -> tuple[int, list[str], str]:
    code = main(["validate", *map(str, paths)])
    out, err = capsys.readouterr()
    assert "Traceback" not in out and "Traceback" not in err
    return code, out.splitlines(), err


def _expected_line(file: Path, line, path, fragment) -> re.Pattern:
    where = f"{re.escape(str(file))}:{line}: " if line else f"{re.escape(str(file))}: "
    key = f"{re.escape(path)}: " if path else ""
    return re.compile(f"^{where}{key}.*{re.escape(fragment)}")


def test_there_are_enough_malformed_cases():
    assert len(CASES) >= 20


@pytest.mark.parametrize("case", sorted(CASES))
def test_validate_reports_the_problem(case, tmp_path, capsys):
    content, expected = CASES[case]
    file = tmp_path / f"{case}.yaml"
    file.write_text(content, encoding="utf-8")
    code, lines, err = _run_validate(capsys, file)
    assert code == 1, lines
    assert len(lines) == len(expected), "\n".join(lines)
    for printed, (line, path, fragment) in zip(lines, expected):
        assert _expected_line(file, line, path, fragment).match(printed), printed
    assert "1 problem" in err or f"{len(expected)} problem" in err


def test_zero_padded_code_is_not_read_as_octal(tmp_path):
    # YAML 1.1 would read 012 as octal 10; the table loader keeps it a string, parsed as AU12.
    file = tmp_path / "t.yaml"
    file.write_text(PROTO + "  happiness:\n  - required: 012\n", encoding="utf-8")
    table, problems = read_table(file)
    assert not problems
    assert table.expressions["happiness"][0].required == (FacsItem(12),)


VALID = {
    "prototype.yaml": PROTO + HAPPY + "  surprise:\n  - required: 1+2+5B\n    alternatives: 26+27\n  - 1+2+5B+26\n",
    "quantified.yaml": QUANT + "weights:\n  happy:\n    AU6: 0.8\n    AU12: {value: 0.95, ci: [0.9, 1], n: 12}\n",
    "relation.yaml": REL + "- {au_i: AU06, au_j: AU12, kind: co-occurrence, strength: 0.6}\n",
    "dataset.yaml": DATASET + "aus: [AU01, AU02]\nfolds:\n  1: [F001]\n  2: [M001]\n",
}


def test_validate_folder_of_valid_tables(tmp_path, capsys):
    for name, content in VALID.items():
        (tmp_path / name).write_text(content, encoding="utf-8")
    code, lines, err = _run_validate(capsys, tmp_path)
    assert code == 0 and lines == [], lines
    assert "4 table(s) valid" in err


def test_validate_folder_reports_each_file(tmp_path, capsys):
    chosen = ["unknown_au", "weight_out_of_range", "yaml_syntax_error", "unknown_top_level_key", "folds_overlap"]
    (tmp_path / "sub").mkdir()
    for i, case in enumerate(chosen):
        folder = tmp_path / "sub" if i % 2 else tmp_path
        (folder / f"{case}.yaml").write_text(CASES[case][0], encoding="utf-8")
    for name, content in VALID.items():
        (tmp_path / name).write_text(content, encoding="utf-8")
    (tmp_path / "notes.txt").write_text("not a table: ignored", encoding="utf-8")
    code, lines, err = _run_validate(capsys, tmp_path)
    assert code == 1
    assert len(lines) == sum(len(CASES[c][1]) for c in chosen), "\n".join(lines)
    for i, case in enumerate(chosen):
        file = (tmp_path / "sub" if i % 2 else tmp_path) / f"{case}.yaml"
        mine = [ln for ln in lines if ln.startswith(f"{file}:")]
        assert len(mine) == len(CASES[case][1]), (case, lines)
        for printed, expected in zip(mine, CASES[case][1]):
            assert _expected_line(file, *expected).match(printed), printed
    assert not any("prototype.yaml" in ln or "notes.txt" in ln for ln in lines)
    assert f"{len(VALID) + len(chosen)} table(s) checked" in err


def test_validate_several_paths_and_validate_paths(tmp_path, capsys):
    good, bad = tmp_path / "good.yaml", tmp_path / "bad.yaml"
    good.write_text(VALID["prototype.yaml"], encoding="utf-8")
    bad.write_text(CASES["exclusive_pair_required"][0], encoding="utf-8")
    code, lines, _ = _run_validate(capsys, good, bad)
    assert code == 1 and len(lines) == 1 and lines[0].startswith(f"{bad}:9: ")
    n, problems = validate_paths([good, bad])
    assert n == 2 and [(p.file, p.line, p.path) for p in problems] == [
        (str(bad), 9, "expressions.anger[0].required")]
    assert main(["validate", str(good)]) == 0


# --- the format documentation -------------------------------------------------------------------

def _doc() -> str:
    return DOC.read_text(encoding="utf-8")


def test_doc_examples_are_valid_tables(tmp_path):
    blocks = re.findall(r"```yaml\n(.*?)```", _doc(), flags=re.S)
    tables = [b for b in blocks if b.lstrip().startswith(("schema_version", "#"))]
    assert len(tables) >= 4
    # the provenance example is a fragment: it must validate inside a table
    fragments = [b for b in blocks if b.startswith("provenance:")]
    assert len(fragments) == 1
    tables.append("schema_version: 1\nkind: dataset\nname: x\ntitle: X\n" + fragments[0])
    kinds = set()
    for i, block in enumerate(tables):
        path = tmp_path / f"example{i}.yaml"
        path.write_text(block, encoding="utf-8")
        table, problems = read_table(path)
        assert problems == [], f"example {i}:\n{block}\n" + "\n".join(map(str, problems))
        kinds.add(table.kind)
        if table.provenance.citation is not None:  # "Ekman, P." quoted, not split into two authors
            assert all("," in a for a in table.provenance.citation.authors), table.provenance.citation.authors
    assert kinds == {"prototype", "quantified", "relation", "dataset"}


def test_doc_error_messages_are_real(tmp_path):
    """Every ``FILE:LINE: key: message`` the documentation quotes is printed for one of CASES."""
    printed = set()
    for case, (content, _) in CASES.items():
        file = tmp_path / f"{case}.yaml"
        file.write_text(content, encoding="utf-8")
        for problem in read_table(file)[1]:
            printed.add(str(problem).split(": ", 1)[1])  # without "FILE:LINE: "
    quoted = re.findall(r"`[\w./-]+\.yaml(?::\d+)?: ([^`]+)`", _doc())
    assert len(quoted) >= 20
    missing = [q for q in quoted if q not in printed]
    assert not missing, "documented messages the validator does not print:\n" + "\n".join(missing)


def test_validate_exits_2_for_a_missing_path(tmp_path, capsys):
    code = main(["validate", str(tmp_path / "nope.yaml")])
    out, err = capsys.readouterr()
    assert code == 2
    assert "nope.yaml" in out and "no such file" in err
    assert main(["validate"]) == 2  # usage error: argparse's message, returned not raised
    capsys.readouterr()


def test_keys_with_different_yaml_types_are_not_duplicates(tmp_path):
    file = tmp_path / "t.yaml"
    file.write_text(DATASET + "emotion_codes:\n  1: anger\n  '1': anger\n", encoding="utf-8")
    _, problems = read_table(file)
    assert not any("appears twice" in str(p) for p in problems)


# --- interval-valued cells (probability bands) ---------------------------------------------------

def test_interval_cells_short_and_long_form(tmp_path):
    file = tmp_path / "bands.yaml"
    file.write_text(QUANT + "weights:\n  happiness:\n    AU12: [0.75, 1]\n    AU25: {interval: [0.5, 0.75], value: 0.6}\n"
                    "    AU01: 0.1\n", encoding="utf-8")
    t = load_table(file)
    w12, w25 = t.weights["happiness"]["AU12"], t.weights["happiness"]["AU25"]
    assert w12.interval == (0.75, 1.0) and w12.value == 0.875 and w12.ci is None
    assert w25.interval == (0.5, 0.75) and w25.value == 0.6
    assert t.weights["happiness"]["AU01"].interval is None
    again = load_table(save_table(t, tmp_path / "again.yaml"))
    assert again == t
    text = (tmp_path / "again.yaml").read_text()
    assert "AU12:\n    - 0.75\n    - 1\n" in text or "AU12: [0.75, 1]" in text  # the short form is kept
    from auknow.tables.render import render_table
    shown = render_table(t)
    assert "[0.75, 1]" in shown and "0.6 [0.5, 0.75]" in shown and "0.875" not in shown
    from auknow.compile.matrix import table_matrix
    m = table_matrix(t)
    assert m.values[0, list(m.aus).index("AU12")] == 0.875  # compiled matrices use the midpoint
