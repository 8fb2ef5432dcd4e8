"""The bundled knowledge library: every table validates and round-trips, and known facts hold.

The expected values are transcribed from the sources named in each table's provenance; the
tests never read the source files themselves.
"""

from __future__ import annotations

import pytest

from auknow.facs import au_set
from auknow.library import (bundled_catalog, bundled_table_paths, dataset_descriptor, knowledge_dir, list_bundled,
                            load_bundled)
from auknow.tables import (DatasetDescriptor, PrototypeTable, QuantifiedTable, load_table, save_table,
                           validate_paths)

BASIC6 = {"happiness", "sadness", "surprise", "fear", "anger", "disgust"}


@pytest.fixture(scope="module")
def bundled():
    return list_bundled()


def test_every_bundled_file_validates():
    n_files, problems = validate_paths([knowledge_dir()])
    assert n_files == len(bundled_table_paths()) >= 16
    assert problems == [], "\n".join(map(str, problems))


def test_file_names_equal_table_names_and_folders_match_kinds(bundled):
    folder = {"prototype": "prototypes", "quantified": "quantified", "relation": "relations", "dataset": "datasets"}
    by_name = {p.stem: p for p in bundled_table_paths()}
    for name, table in bundled:
        assert table.name == name
        assert by_name[name].parent.name == folder[table.kind]


def test_catalog_has_one_row_per_table_in_list_order(bundled):
    cat = bundled_catalog()
    assert list(cat["name"]) == [name for name, _ in bundled]
    assert list(cat["kind"]) == [t.kind for _, t in bundled]
    fig = cat.set_index("name").loc["fig2002"]
    assert fig.expressions == len(load_bundled("fig2002").expressions)
    assert fig.source.startswith("Ekman")
    assert (cat.loc[cat.kind == "dataset", "expressions"] == 0).all()
    assert cat.set_index("name").loc["au_dfer", "expressions"] == 7  # quantified: rows of its weights


def test_cli_list_prints_the_catalog(capsys):
    from auknow import cli

    assert cli.main(["list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    cat = bundled_catalog()
    assert len(lines) == len(cat)
    assert [line.split()[1] for line in lines] == list(cat["name"])


def test_round_trip(bundled, tmp_path):
    for name, table in bundled:
        assert load_table(save_table(table, tmp_path / f"{name}.yaml")) == table


def test_names_unique_and_sorted_by_kind_then_name(bundled):
    names = [n for n, _ in bundled]
    assert len(names) == len(set(names))
    kinds = ["prototype", "quantified", "relation", "dataset"]
    keys = [(kinds.index(t.kind), n) for n, t in bundled]
    assert keys == sorted(keys)
    assert {"fig2002", "du2014", "matsumoto2008", "keltner2019", "cordaro2018", "darwin_snoek", "ekman_emfacs",
            "jackschyns_wc", "jackschyns_ea", "jackschyns_all", "au_dfer", "au_dfer_wb", "au_dfer_wc",
            "bp4d", "disfa", "ckplus"} <= set(names)


def test_literature_tables_cite_their_source(bundled):
    for name, table in bundled:
        cite = table.provenance.citation
        if table.provenance.kind == "literature":
            assert cite is not None and cite.authors and cite.year and cite.title, name
        assert table.provenance.notes, name


def test_every_literature_table_has_a_doi_or_stable_url(bundled):
    """Issue 15: a researcher must be able to find the cited work; no exceptions."""
    missing = [name for name, t in bundled if t.provenance.kind == "literature"
               and not (t.provenance.citation.doi or (t.provenance.citation.url or "").startswith("https://"))]
    assert missing == []


def test_every_literature_table_records_how_its_citation_was_checked(bundled):
    for name, t in bundled:
        if t.provenance.kind == "literature":
            assert "against public records" in t.provenance.details.get("citation_checked", ""), name


def test_authors_are_written_as_surname_and_initials(bundled):
    # "Liu" alone (as the AU-DFER tables had it) cannot be told from any other Liu
    for name, t in bundled:
        if t.provenance.citation is not None:
            for author in t.provenance.citation.authors:
                assert "," in author, (name, author)


def test_ekman_emfacs_cites_clark_2020_and_is_not_fig2002_written_out():
    ek, fig = load_bundled("ekman_emfacs"), load_bundled("fig2002")
    cite = ek.provenance.citation
    assert cite.doi == "10.3389/fpsyg.2020.00920" and cite.year == 2020 and cite.authors[0] == "Clark, E. A."
    assert "11, 920" in cite.venue and "NOT the FIG 2002" in ek.provenance.notes

    def fig_sets(expr):  # FIG 2002, one alternative joining
        out = set()
        for c in fig.expressions[expr]:
            req = frozenset(i.number for i in c.required)
            out |= {req | {a.number} for a in c.alternatives} if c.alternatives else {req}
        return out

    def ek_sets(expr):
        return {frozenset(i.number for i in c.required) for c in ek.expressions[expr]}

    # the differences the notes name, computed from the two tables
    assert frozenset({9, 16, 25}) in ek_sets("disgust") - fig_sets("disgust")
    assert frozenset({9, 15, 16}) in fig_sets("disgust") - ek_sets("disgust")
    assert all(11 in s for s in ek_sets("anger") if 10 in s)
    assert not all(11 in s for s in fig_sets("anger") if 10 in s)
    assert {frozenset({1, 4}), frozenset({1})} <= ek_sets("sadness") - fig_sets("sadness")
    assert {frozenset({1, 2, 4}), frozenset({20})} <= ek_sets("fear") - fig_sets("fear")
    assert ek_sets("happiness") == fig_sets("happiness") and ek_sets("surprise") == fig_sets("surprise")
    assert ek.provenance.details["coded_by"]["doi"] == "10.1126/sciadv.abq8421"


# The files of Cross-Innovation-Lab/AU-DFER that hold the matrices (the repository's file list).
AU_DFER_FILES = {"Former-DFER_AU/main_DFEW.py", "Former-DFER_AU/main_FERV39K.py",
                 "M3DFEL_AU/solver_with_AU_weighted.py", "MAE-DFER_AU/engine_for_finetuning.py",
                 "MAE_AU/engine_for_finetuning.py"}


@pytest.mark.parametrize("name", ["au_dfer", "au_dfer_wb", "au_dfer_wc"])
def test_au_dfer_authors_and_code_files(name):
    t = load_bundled(name)
    assert t.provenance.citation.authors == ["Liu, F.", "Gu, L.", "Shi, C.", "Fu, X."]
    files = t.provenance.details["code_files"]
    assert files and all(f.split("@")[0] in AU_DFER_FILES for f in files), files
    assert all(len(f.split("@")[1]) == 8 for f in files)
    for f in files:  # every file named in the notes is a real path too
        assert f.split("@")[0] in t.provenance.notes
    assert "solver@" not in t.provenance.notes and "M3DFEL_AU solver" not in t.provenance.notes


@pytest.mark.parametrize("name, folds", [("jackschyns_wc", 40), ("jackschyns_ea", 40), ("jackschyns_all", 80)])
def test_jackschyns_values_are_fractions_of_leave_one_subject_out_folds(name, folds):
    t = load_bundled(name)
    assert t.statistic.name == "fraction_of_folds"
    assert f"{folds} leave-one-subject-out folds" in t.statistic.description
    notes = " ".join(t.provenance.notes.split())
    assert "FRACTION OF FOLDS" in notes and "p < 0.05" in notes and "leave-one-subject-out" in notes
    values = [w.value for row in t.weights.values() for w in row.values()]
    assert all(abs(v * folds - round(v * folds)) < 1e-9 for v in values)
    # the denominator is the smallest one: a 1/40 table is not a 1/20 table, the pooled one not 1/40
    assert not all(abs(v * folds / 2 - round(v * folds / 2)) < 1e-9 for v in values)


def test_load_bundled_unknown_name_lists_available():
    with pytest.raises(KeyError) as info:
        load_bundled("no_such_table")
    message = info.value.args[0]
    assert "no_such_table" in message and "fig2002" in message and "au_dfer" in message


def test_load_bundled_returns_independent_copies():
    a = load_bundled("fig2002")
    a.expressions.clear()
    assert load_bundled("FIG2002").expressions


def test_fig2002_happiness_and_special_codes():
    fig = load_bundled("fig2002")
    assert isinstance(fig, PrototypeTable)
    aus = {au for cfg in fig.expressions["happiness"] for au in cfg.au_names()}
    assert {"AU06", "AU12"} <= aus
    surprise = [str(i) for cfg in fig.expressions["surprise"] for i in cfg.required]
    assert "5B" in surprise  # the source's special 5B sits on AU05
    fear_lateral = [i for cfg in fig.expressions["fear"] for i in cfg.required if i.number == 20 and i.laterality]
    assert fear_lateral and fear_lateral[0].laterality == "U"


def test_du2014_happily_surprised():
    du = load_bundled("du2014")
    (cfg,) = du.expressions["happily_surprised"]
    assert tuple(i.name for i in cfg.required) == ("AU01", "AU02", "AU12", "AU25")
    assert all(i.laterality is None and i.intensity is None for i in cfg.required)
    assert len(du.expressions) == 21


def test_du2014_awed_is_kept_apart_from_awe():
    # Du et al.'s compound 'awed' is not Cordaro & Keltner's emotion 'awe'
    du = load_bundled("du2014")
    assert "awed" in du.expressions and "awe" not in du.expressions and du.extra_expressions == ["awed"]
    (cfg,) = du.expressions["awed"]
    assert {i.number for i in cfg.required} == {1, 2, 5, 25} and {i.number for i in cfg.optional} == {4, 20, 26}
    assert "NOT merged" in du.provenance.notes
    assert "awe" in load_bundled("cordaro2018").expressions


def test_matsumoto2008_gives_pages_and_a_stable_link():
    cite = load_bundled("matsumoto2008").provenance.citation
    assert "pp." in cite.venue and "211-234" in cite.venue.replace("\n", "")
    assert cite.url.startswith("https://")


@pytest.mark.parametrize("name", ["fig2002", "du2014", "matsumoto2008", "keltner2019", "cordaro2018",
                                  "darwin_snoek", "ekman_emfacs"])
def test_prototype_notes_say_how_alternatives_are_read(name):
    notes = " ".join(load_bundled(name).provenance.notes.split()).lower()
    assert "alternatives" in notes


def test_matsumoto2008_merges_joy_into_happiness():
    m = load_bundled("matsumoto2008")
    assert len(m.expressions["happiness"]) == 1
    assert {str(i) for i in m.expressions["contempt"][0].required} == {"U12", "U14"}


def test_au_dfer_matrix():
    t = load_bundled("au_dfer")
    assert isinstance(t, QuantifiedTable)
    assert t.scale == 5
    assert list(t.weights) == ["happiness", "sadness", "neutral", "anger", "surprise", "disgust", "fear"]
    assert all(len(row) == 18 for row in t.weights.values())
    assert t.aus() == list(au_set("openface_c"))
    happy = {au: w.value for au, w in t.weights["happiness"].items()}
    assert max(happy, key=happy.get) == "AU12"
    assert happy["AU12"] == 0.8882934142237333  # full precision of the reference code
    # AU28 is a constant, mean-imputed filler column
    assert len({row["AU28"].value for row in t.weights.values()}) == 1


def test_au_dfer_variants_declare_their_ranges():
    wb, wc = load_bundled("au_dfer_wb"), load_bundled("au_dfer_wc")
    assert wb.statistic.range == (0.0, 1.0)
    assert wc.statistic.range[1] >= max(w.value for row in wc.weights.values() for w in row.values()) > 1


@pytest.mark.parametrize("name", ["jackschyns_wc", "jackschyns_ea", "jackschyns_all"])
def test_jackschyns_tables(name):
    t = load_bundled(name)
    assert set(t.weights) == BASIC6
    assert t.statistic.name == "fraction_of_folds" and t.statistic.range == (0.0, 1.0)
    sizes = {len(row) for row in t.weights.values()}
    assert sizes == {25}  # every AU column of the source, zeros included


def test_jackschyns_lateral_columns_take_the_max():
    # East-Asian sadness: AU20L = 1, AU20R = 0 in the source
    assert load_bundled("jackschyns_ea").weights["sadness"]["AU20"].value == 1.0


def test_bp4d_descriptor():
    d = dataset_descriptor("bp4d")
    assert isinstance(d, DatasetDescriptor)
    assert d.tasks["T8"].expression == "disgust"
    assert d.tasks["T1"].expression == "happiness"
    assert d.aus == list(au_set("bp4d"))
    assert set(d.folds) == {1, 2, 3}
    subjects = [s for fold in d.folds.values() for s in fold]
    assert len(subjects) == len(set(subjects)) == 41


def test_disfa_descriptor():
    d = dataset_descriptor("disfa")
    subjects = [s for fold in d.folds.values() for s in fold]
    assert len(subjects) == len(set(subjects)) == 27
    assert d.occurrence_threshold == 2
    assert d.intensity_aus == d.aus == list(au_set("disfa"))


def test_ckplus_descriptor():
    d = dataset_descriptor("CKPLUS")
    assert d.emotion_codes[0] == "neutral" and d.emotion_codes[5] == "happiness" and d.emotion_codes[7] == "surprise"
    assert d.aus == list(au_set("ckplus"))
    assert not d.folds


def test_dataset_descriptor_rejects_other_tables():
    with pytest.raises(KeyError) as info:
        dataset_descriptor("fig2002")
    assert "bp4d" in info.value.args[0]


def test_cordaro2018_ref_is_snoeks_mapping_and_differs_from_the_icp():
    # expected: hypothesis-kernel-analysis src/mappings.py@25bef116, MAPPINGS['Cordaro2018ref']
    # (sides merged: AU06L+AU06R -> AU06)
    snoek = {"happiness": {6, 12}, "sadness": {1, 4, 5}, "surprise": {1, 2, 5, 26},
             "fear": {1, 2, 4, 5, 7, 20, 26}, "anger": {4, 5, 7, 23}, "disgust": {9, 15, 16}}
    ref = load_bundled("cordaro2018_ref")
    got = {e: {i.number for i in cs[0].required} for e, cs in ref.expressions.items()}
    assert got == snoek and all(len(cs) == 1 for cs in ref.expressions.values())
    icp = load_bundled("cordaro2018")
    for e in snoek:
        icp_sets = [{i.number for i in (*c.required, *c.alternatives)} for c in icp.expressions[e]]
        assert all(s != snoek[e] for s in icp_sets), e
    assert ref.provenance.details["coded_by"]["doi"] == "10.1126/sciadv.abq8421"
