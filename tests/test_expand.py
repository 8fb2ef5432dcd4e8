"""The two readings of a prototype configuration's ``alternatives`` (auknow.tables.expand).

Reference counts: the ``facs`` R package (J. M. Girard) expands every non-empty subset of the
alternatives (``R/expand.R``, ``expand_alternatives``) and every subset of the optional AUs
(``expand_optional``) and drops configurations with a FACS 2002 exclusive pair (``coding``);
its own data hold fig2002 154, cordaro2018 33 and du2014 352 configurations, matsumoto2008 five
more than auknow's one-alternative reading (issue 16).
"""

from __future__ import annotations

import subprocess
import sys
from itertools import combinations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from auknow.compile.graph import GraphError, au_graph
from auknow.compile import CompileError, compile_matrix, table_matrix
from auknow.facs import FacsItem, are_exclusive, parse_facs
from auknow.library import load_bundled
from auknow.tables.expand import (ExpansionError, alternative_choices, alternative_shares, alternatives_together,
                                  count_configurations, expand_configuration, expand_table)
from auknow.tables.model import Configuration


@pytest.mark.parametrize("name, one, subsets", [("fig2002", 116, 154), ("cordaro2018", 33, 33),
                                                 ("du2014", 352, 352), ("matsumoto2008", 21, 26),
                                                 ("keltner2019", 18, 18)])
def test_counts_reproduce_the_facs_package(name, one, subsets):
    t = load_bundled(name)
    assert count_configurations(t, "one") == one
    assert count_configurations(t, "subsets") == subsets


def test_matsumoto2008_extra_configurations_under_subsets():
    t = load_bundled("matsumoto2008")

    def codes(reading):
        return {"+".join(str(i.number) for i in c) for cs in expand_table(t, reading).values() for c in cs}

    extra = codes("subsets") - codes("one")
    assert {"1+2+4+5+20+25+26", "9+25+26"} <= extra and len(extra) == 5


def test_fear_prototype_choices_and_shares():
    cfg = Configuration(required=parse_facs("1+2+4+5+20"), alternatives=parse_facs("25+26+27", check_exclusive=False))
    assert alternative_choices(cfg, "one") == [frozenset({25}), frozenset({26}), frozenset({27})]
    subs = alternative_choices(cfg, "subsets")
    assert set(subs) == {frozenset(s) for s in ({25}, {26}, {27}, {25, 26}, {25, 27})}  # 26+27 exclusive
    assert alternative_shares(cfg, "one") == {25: 1 / 3, 26: 1 / 3, 27: 1 / 3}
    assert alternative_shares(cfg, "subsets") == {25: 3 / 5, 26: 2 / 5, 27: 2 / 5}
    assert alternatives_together(cfg, "one") == set()
    assert alternatives_together(cfg, "subsets") == {frozenset({25, 26}), frozenset({25, 27})}


def test_expansion_keeps_intensity_and_laterality():
    cfg = Configuration(required=parse_facs("1+2+5B+U20"), optional=parse_facs("L12"),
                        alternatives=parse_facs("26+27", check_exclusive=False))
    got = ["+".join(map(str, c)) for c in expand_configuration(cfg, "subsets")]
    assert got == ["1+2+5B+U20+26", "1+2+5B+U20+27", "1+2+5B+L12+U20+26", "1+2+5B+L12+U20+27"]
    assert ["+".join(map(str, c)) for c in expand_configuration(cfg, "one", optional=False)] == \
        ["1+2+5B+U20+26", "1+2+5B+U20+27"]


def test_alternative_exclusive_with_a_required_au_never_joins():
    cfg = Configuration(required=parse_facs("24"), alternatives=parse_facs("25+26", check_exclusive=False))  # 24+25 exclusive
    for reading in ("one", "subsets"):
        assert all(25 not in c for c in alternative_choices(cfg, reading))
        assert alternative_shares(cfg, reading)[25] == 0.0
    assert alternative_shares(cfg, "one")[26] == 1.0


def test_unknown_reading_is_rejected_everywhere():
    cfg = Configuration(required=parse_facs("12"))
    with pytest.raises(ExpansionError, match="one, subsets"):
        alternative_choices(cfg, "some")
    with pytest.raises(CompileError, match="alternatives"):
        table_matrix("fig2002", "binary", alternatives="some")
    with pytest.raises(GraphError, match="alternatives"):
        au_graph("fig2002", alternatives="some")


# --- property: the readings against a brute-force powerset ---------------------------------------

NUMBERS = [1, 2, 4, 5, 12, 20, 24, 25, 26, 27, 43, 45]  # several FACS-exclusive pairs among them


@st.composite
def configurations(draw):
    picked = draw(st.lists(st.sampled_from(NUMBERS), min_size=1, max_size=7, unique=True))
    n_req = draw(st.integers(0, len(picked)))
    req, alts = picked[:n_req], picked[n_req:]
    if any(are_exclusive(a, b) for a, b in combinations(req, 2)) or not (req or alts):
        req = req[:1]
    return Configuration(required=tuple(FacsItem(n) for n in req), alternatives=tuple(FacsItem(n) for n in alts))


@settings(max_examples=150, deadline=None)
@given(configurations())
def test_readings_match_brute_force(cfg):
    req = {i.number for i in cfg.required}
    alts = sorted({i.number for i in cfg.alternatives})

    def ok(s):
        return not any(are_exclusive(a, b) for a, b in combinations(sorted(s), 2))

    brute_subsets = {frozenset(c) for k in range(1, len(alts) + 1) for c in combinations(alts, k) if ok(req | set(c))}
    brute_one = {frozenset({a}) for a in alts if ok(req | {a})}
    if not alts:
        brute_subsets = brute_one = {frozenset()}
    subs, one = alternative_choices(cfg, "subsets"), alternative_choices(cfg, "one")
    assert set(subs) == brute_subsets and len(subs) == len(brute_subsets)
    assert set(one) == brute_one and set(one) <= set(subs)
    shares = alternative_shares(cfg, "subsets")
    for a in alts:  # share = fraction of valid subsets holding a, computed independently
        want = sum(a in s for s in brute_subsets) / len(brute_subsets) if brute_subsets else 0.0
        assert shares[a] == pytest.approx(want)
    assert len(expand_configuration(cfg, "subsets")) == len(brute_subsets)


# --- where configurations are compiled ----------------------------------------------------------

def test_matrix_alternative_values_follow_the_reading():
    one = table_matrix("fig2002", "binary")
    assert np.array_equal(one.values, table_matrix("fig2002", "binary", alternatives="one").values)
    sub = table_matrix("fig2002", "binary", alternatives="subsets")
    f, col = one.expressions.index("fear"), {a: j for j, a in enumerate(one.aus)}
    assert one.values[f, col["AU25"]] == pytest.approx(1 / 3)
    assert sub.values[f, col["AU25"]] == pytest.approx(3 / 5) and sub.values[f, col["AU27"]] == pytest.approx(2 / 5)
    assert sub.sources[0]["alternatives"] == "subsets" and one.sources[0]["alternatives"] == "one"
    # an explicit alternative_value still wins over either reading
    fixed = table_matrix("fig2002", "binary", alternatives="subsets", alternative_value=0.25)
    assert fixed.values[f, col["AU25"]] == 0.25
    # tables without alternatives do not change
    k = compile_matrix("keltner2019", "binary", alternatives="subsets")
    assert np.array_equal(k.values, compile_matrix("keltner2019", "binary").values)


def test_graph_alternatives_join_together_only_under_subsets():
    one, sub = au_graph("fig2002"), au_graph("fig2002", alternatives="subsets")
    assert not one.has_edge("AU25", "AU26", "co-occurrence")
    assert sub.has_edge("AU25", "AU26", "co-occurrence") and sub.has_edge("AU25", "AU27", "co-occurrence")
    assert not sub.has_edge("AU26", "AU27", "co-occurrence")  # FACS-exclusive: never together
    assert sub.has_edge("AU26", "AU27", "exclusive")
    # the denominator N (configurations = table rows) is the same; only alternative pairs change
    assert sub["AU01"]["AU02"]["co-occurrence"]["n"] == one["AU01"]["AU02"]["co-occurrence"]["n"]
    assert sub["AU01"]["AU02"]["co-occurrence"]["weight"] == one["AU01"]["AU02"]["co-occurrence"]["weight"]


def test_cli_export_takes_alternatives(tmp_path):
    out = tmp_path / "m.csv"
    r = subprocess.run([sys.executable, "-m", "auknow", "export", "fig2002", "--mode", "binary",
                        "--alternatives", "subsets", "--to", str(out)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    fear = next(line for line in out.read_text().splitlines() if line.startswith("fear,"))
    header = out.read_text().splitlines()[0].split(",")
    assert float(fear.split(",")[header.index("AU25")]) == pytest.approx(0.6)
    bad = subprocess.run([sys.executable, "-m", "auknow", "export", "fig2002", "--alternatives", "some",
                          "--to", str(tmp_path / "x.csv")], capture_output=True, text=True)
    assert bad.returncode == 2 and not (tmp_path / "x.csv").exists()


# --- against the facs package's own expanded data ------------------------------------------------

def _package_expansions():
    import json
    from pathlib import Path

    path = Path(__file__).parent / "data" / "facs_package_expansions.json"
    return json.loads(path.read_text(encoding="utf-8"))["tables"]


@pytest.mark.parametrize("name", ["fig2002", "cordaro2018", "du2014", "matsumoto2008"])
def test_subsets_reading_reproduces_the_facs_package_configurations(name):
    """The 'subsets' expansion gives exactly the configurations in the facs package's .rda data."""
    from collections import Counter

    from auknow.expressions import canonical_expression

    table = load_bundled(name)
    theirs = Counter((canonical_expression(e, table.extra_expressions), frozenset(c))
                     for e, c in _package_expansions()[name])
    mine = Counter((e, frozenset(i.number for i in c))
                   for e, cs in expand_table(table, "subsets").items() for c in cs)
    assert set(mine) == set(theirs)
    if name != "matsumoto2008":
        assert mine == theirs  # the same configurations, each as often
    else:
        # the package keeps joy and happiness apart (6+12 twice) and expands the duplicate
        # alternatives '26,26' of surprise to 26, 26 and 26+26 -> 1+2+5+26 three times
        extra = theirs - mine
        assert extra == Counter({("surprise", frozenset({1, 2, 5, 26})): 2, ("happiness", frozenset({6, 12})): 1})
    one = Counter((e, frozenset(i.number for i in c)) for e, cs in expand_table(table, "one").items() for c in cs)
    assert set(one) <= set(theirs)  # the default reading is a sub-list
