"""Intensity letters and laterality in compiled prior matrices: hand values from the formula, the
default reading unchanged, options that cannot apply raise or warn, the CLI options."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as hst

from auknow import cli
from auknow.compile import CompileError, compile_matrix, configuration_vector
from auknow.compile.intensity import CodeWeights, CodeWeightWarning
from auknow.facs import au_name, parse_facs
from auknow.library import list_bundled, load_bundled
from auknow.tables.expand import alternative_shares
from auknow.tables.model import Citation, Configuration, PrototypeTable, Provenance

LIT = Provenance("literature", citation=Citation(["Ekman, P."], 2002, "FACS"))
LINEAR = {"A": 0.2, "B": 0.4, "C": 0.6, "D": 0.8, "E": 1.0}


def C(required, optional="", alternatives=""):
    return Configuration(parse_facs(required), parse_facs(optional) if optional else (),
                         parse_facs(alternatives, check_exclusive=False) if alternatives else ())


def proto(name="t", **expressions):
    return PrototypeTable(name, name, LIT, {e: list(cs) for e, cs in expressions.items()})


def _old_vector(config, aus, optional_value=0.5):
    """The reading before intensity / laterality weights (independent re-statement): the largest
    role value of any code of the AU, letters and sides ignored."""
    v = dict.fromkeys(aus, 0.0)
    shares = alternative_shares(config)
    for items, val in ((config.required, lambda n: 1.0), (config.optional, lambda n: optional_value),
                       (config.alternatives, lambda n: shares[n])):
        for it in items:
            if au_name(it.number) in v:
                v[au_name(it.number)] = max(v[au_name(it.number)], val(it.number))
    return np.array([v[a] for a in aus])


def test_default_reading_is_unchanged_for_every_bundled_prototype_table():
    tables = [(name, table) for name, table in list_bundled() if table.kind == "prototype"]
    assert len(tables) >= 8
    for name, table in tables:
        for configs in table.expressions.values():
            for c in configs:
                aus = c.au_names()
                assert np.array_equal(configuration_vector(c, aus), _old_vector(c, aus)), (name, c)
                assert np.array_equal(configuration_vector(c, aus, code_weights=CodeWeights()), _old_vector(c, aus))
        m = compile_matrix(name, "binary")
        assert not {"intensity_weights", "laterality"} & set(m.sources[0]), "default provenance gains no keys"


def test_linear_intensity_weights_by_hand():
    t = proto(surprise=[C("1+2+5B+26")], happiness=[C("12CD", optional="6A")], fear=[C("1+4", alternatives="25C+26")])
    m = compile_matrix(t, "binary", intensity_weights="linear")
    row = m.row
    assert row("surprise")["AU05"] == pytest.approx(0.4) and row("surprise")["AU01"] == 1.0  # no letter: 1
    assert row("happiness")["AU12"] == pytest.approx(0.7)  # C or D: mean of 0.6 and 0.8
    assert row("happiness")["AU06"] == pytest.approx(0.5 * 0.2)  # optional_value x w(A)
    assert row("fear")["AU25"] == pytest.approx(0.5 * 0.6) and row("fear")["AU26"] == pytest.approx(0.5)
    assert m.sources[0]["intensity_weights"] == {**LINEAR, "unspecified": 1.0}


def test_custom_weights_unspecified_and_mean_configurations():
    t = proto(happiness=[C("12CD"), C("6+12")])
    w = {"a": 0.1, "B": 0.2, "C": 0.3, "D": 0.5, "E": 0.9, "unspecified": 0.6}
    mean = compile_matrix(t, "binary", configurations="mean", intensity_weights=w)
    assert mean.row("happiness")["AU12"] == pytest.approx((0.4 + 0.6) / 2)
    assert mean.row("happiness")["AU06"] == pytest.approx(0.6 / 2)
    # under "max" the configuration 6+12 (no letter, unspecified 0.6) outweighs 12CD (0.4)
    assert compile_matrix(t, "binary", intensity_weights=w).row("happiness")["AU12"] == pytest.approx(0.6)


def test_laterality_weighted_by_hand():
    t = proto(contempt=[C("U12+U14")], happiness=[C("L12+R12")], anger=[C("L12A+R12C")], fear=[C("1+U20")])
    w = compile_matrix(t, "binary", laterality="weighted")
    assert w.row("contempt")["AU12"] == 0.5 and w.row("contempt")["AU14"] == 0.5
    assert w.row("happiness")["AU12"] == 1.0 and w.row("fear")["AU20"] == 0.5 and w.row("fear")["AU01"] == 1.0
    both = compile_matrix(t, "binary", laterality="weighted", intensity_weights="linear")
    assert both.row("anger")["AU12"] == pytest.approx(0.5 * 0.2 + 0.5 * 0.6)
    collapse = compile_matrix(t, "binary", intensity_weights="linear")  # two sides count as the higher one
    assert collapse.row("anger")["AU12"] == pytest.approx(0.6) and collapse.row("contempt")["AU12"] == 1.0
    high = compile_matrix(t, "binary", laterality="weighted", unilateral_weight=0.8)
    assert high.row("happiness")["AU12"] == 1.0 and high.row("fear")["AU20"] == pytest.approx(0.8)
    assert high.sources[0]["unilateral_weight"] == 0.8 and high.sources[0]["laterality"] == "weighted"


def test_weights_reach_normalized_and_signed_modes():
    t = proto(surprise=[C("1+5B")], fear=[C("1+4")])
    rn = compile_matrix(t, "row_normalized", base="binary", intensity_weights="linear")
    assert rn.row("surprise")["AU05"] == pytest.approx(0.4 / 1.4)
    signed = compile_matrix(t, "signed", intensity_weights="linear")
    assert signed.row("surprise")["AU05"] == pytest.approx(0.4)
    # evidence against (FACS-exclusive partners of required AUs) is not scaled by intensity
    assert signed.row("surprise")["AU43"] == -1.0


def test_option_that_cannot_apply_raises():
    plain = proto(happiness=[C("6+12")])
    with pytest.raises(CompileError, match="no table has intensity letters"):
        compile_matrix(plain, "binary", intensity_weights="linear")
    with pytest.raises(CompileError, match="no table has one-sided codes"):
        compile_matrix(plain, "binary", laterality="weighted")
    with pytest.raises(CompileError, match="no table has intensity letters"):
        compile_matrix("au_dfer", "quantified", intensity_weights="linear")
    with pytest.raises(CompileError, match="only with laterality='weighted'"):
        compile_matrix(plain, "binary", unilateral_weight=0.3)


def test_table_without_codes_in_a_consensus_warns():
    lettered = proto("lettered", surprise=[C("1+5B")])
    plain = proto("plain", surprise=[C("1+5")])
    with pytest.warns(CodeWeightWarning, match="'plain' is a table without intensity letters"):
        m = compile_matrix([lettered, plain], "binary", intensity_weights="linear")
    assert m.row("surprise")["AU05"] == pytest.approx((0.4 + 1.0) / 2)


def test_weights_that_change_nothing_warn():
    t = proto(happiness=[C("6+12"), C("12CD")])  # "max" picks 6+12, where AU12 has no letter
    with pytest.warns(CodeWeightWarning, match="change none of its values"):
        compile_matrix(t, "binary", intensity_weights="linear")
    with warnings.catch_warnings():
        warnings.simplefilter("error", CodeWeightWarning)
        compile_matrix(t, "binary", intensity_weights="linear", configurations="mean")


@pytest.mark.parametrize("weights, match", [
    ("quadratic", "not one of linear"), ({"A": 1}, "no weight for letter"), ({**LINEAR, "F": 1}, "unknown key"),
    ({**LINEAR, "A": 1.5}, r"must lie in \[0, 1\]"), ({**LINEAR, "B": "x"}, "not a number"),
    ({**LINEAR, "C": float("nan")}, r"must lie in \[0, 1\]"), (3, "expected a preset name"),
])
def test_bad_intensity_weights(weights, match):
    with pytest.raises(CompileError, match=match):
        compile_matrix("fig2002", "binary", intensity_weights=weights)


def test_bad_laterality_options():
    with pytest.raises(CompileError, match="laterality: 'left'"):
        CodeWeights(laterality="left")
    with pytest.raises(CompileError, match="unilateral_weight"):
        CodeWeights(laterality="weighted", unilateral_weight=2.0)


@settings(max_examples=40, deadline=None)
@given(hst.lists(hst.floats(0, 1), min_size=5, max_size=5), hst.sampled_from(["max", "mean", "first"]),
       hst.floats(0, 1))
def test_weighted_values_never_exceed_the_default_reading(ws, configurations, side):
    """Every code weight is in [0, 1], so no cell can grow; cells of AUs without letters or
    sides keep their value exactly."""
    weights = dict(zip("ABCDE", ws))
    t = load_bundled("fig2002")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CodeWeightWarning)
        m = compile_matrix(t, "binary", configurations=configurations, intensity_weights=weights,
                           laterality="weighted", unilateral_weight=side)
    d = compile_matrix(t, "binary", configurations=configurations)
    assert np.all(m.values <= d.values + 1e-12) and np.all(m.values >= 0)
    coded = {"AU05", "AU12", "AU15", "AU20"}  # the AUs fig2002 writes with a letter or a side
    keep = [j for j, a in enumerate(d.aus) if a not in coded]
    assert np.array_equal(m.values[:, keep], d.values[:, keep])


def _err(capsys) -> str:
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1, lines
    return lines[0]


def test_cli_intensity_and_laterality(tmp_path, capsys):
    out = tmp_path / "p.csv"
    assert cli.main(["export", "fig2002", "--to", str(out), "--mode", "binary", "--configurations", "mean",
                     "--intensity-weights", "A=0.2,B=0.4,C=0.6,D=0.8,E=1", "--laterality", "weighted"]) == 0
    got = np.genfromtxt(out, delimiter=",", names=True, dtype=None, encoding="utf-8")
    ref = compile_matrix("fig2002", "binary", configurations="mean", intensity_weights="linear",
                         laterality="weighted")
    row = got[got["expression"] == "surprise"][0]
    assert row["AU05"] == pytest.approx(ref.row("surprise")["AU05"]) and row["AU05"] < 1


@pytest.mark.parametrize("argv, match", [
    (["--intensity-weights", "A=2,B=1,C=1,D=1,E=1"], "must lie in"),
    (["--intensity-weights", "A=1"], "no weight for letter"),
    (["--intensity-weights", "A=x,B=1,C=1,D=1,E=1"], "not a number"),
    (["--intensity-weights", "0.2,B=1"], "LETTER=WEIGHT"),
    (["--unilateral-weight", "0.3"], "only with laterality='weighted'"),
    (["--laterality", "weighted", "--unilateral-weight", "1.5"], "--unilateral-weight"),
])
def test_cli_bad_code_weights_exit_2_nothing_written(tmp_path, capsys, argv, match):
    out = tmp_path / "p.csv"
    assert cli.main(["export", "fig2002", "--to", str(out), *argv]) == 2
    err = capsys.readouterr().err
    assert match in err and not out.exists()


def test_cli_code_weights_refused_where_they_cannot_apply(tmp_path, capsys):
    assert cli.main(["export", "au_dfer", "--to", str(tmp_path / "a.csv"), "--intensity-weights", "linear"]) == 2
    assert "no table has intensity letters" in _err(capsys)
    assert cli.main(["export", "fig2002", "--to", str(tmp_path / "graph.graphml"), "--laterality", "weighted"]) == 2
    assert "prior matrices only" in _err(capsys)
    assert not list(tmp_path.iterdir())
    assert cli.main(["export", "fig2002", "--to", str(tmp_path / "b.csv"), "--laterality", "weighted"]) == 0
    assert "auknow: WARNING: table 'fig2002'" in capsys.readouterr().err


def test_a_table_without_the_codes_is_warned_about_once():
    # ekman_emfacs has FACS codes but no intensity letters: one warning says so, not two
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        compile_matrix(["fig2002", "ekman_emfacs"], "binary", intensity_weights="linear")
    about = [str(w.message) for w in caught if issubclass(w.category, CodeWeightWarning)]
    assert len(about) == 1 and "'ekman_emfacs' is a table without intensity letters" in about[0]
