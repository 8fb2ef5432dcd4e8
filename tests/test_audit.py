"""auknow audit: classifiers, scores against independent references, and the CLI."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import log_loss, roc_auc_score

from auknow.audit import audit, table_classifier, units_from_frames
from auknow.audit.classifiers import likelihood_logits, prototype_similarity
from auknow.audit.data import Units
from auknow.audit.disagreements import disagreements
from auknow.audit.scoring import ceiling_draws, group_counts, score_draws
from auknow.cli import main
from auknow.library import load_bundled
from auknow.readers import bundled_ckplus_path, read_ckplus


@pytest.fixture(scope="module")
def ck_units():
    return units_from_frames(read_ckplus(bundled_ckplus_path()))


# --- scores against scikit-learn ------------------------------------------------------------------

@settings(max_examples=8, deadline=None)
@given(st.integers(0, 10_000))
def test_cross_auc_and_log_loss_equal_sklearn_with_weights(seed):
    rng = np.random.default_rng(seed)
    U, E, S = 12, 3, 5
    proba = rng.dirichlet(np.ones(E), size=U).round(1)  # rounding makes ties
    proba /= proba.sum(1, keepdims=True)
    n = 40
    group, label, subject = rng.integers(0, U, n), rng.integers(0, E, n), rng.integers(0, S, n)
    label[:E] = np.arange(E)
    w = rng.multinomial(S, np.ones(S) / S, size=3).astype(float)
    c = group_counts(w, subject, group, label, U, E)
    d = score_draws(proba, c)
    for b in range(3):
        sw = w[b][subject]
        for e in range(E):
            mask = sw > 0
            y = label[mask] == e
            if 0 < y.sum() < mask.sum():
                for j in range(E):
                    ref = roc_auc_score(y, proba[group[mask], j], sample_weight=sw[mask])
                    assert d.cross_auc[b, j, e] == pytest.approx(ref, abs=1e-6)
            if y.any():
                nll = -np.log(np.clip(proba[group[mask & (label == e)], e], 1e-15, 1))
                ref = np.average(nll, weights=sw[mask & (label == e)])
                assert d.log_loss[b, e] == pytest.approx(ref, rel=1e-9)


def test_log_loss_mean_over_units_matches_sklearn():
    proba = np.array([[0.7, 0.2, 0.1], [0.1, 0.8, 0.1], [0.3, 0.3, 0.4]])
    group = np.array([0, 1, 2, 0, 2])
    label = np.array([0, 1, 2, 1, 2])
    c = group_counts(np.ones((1, 5)), np.arange(5), group, label, 3, 3)
    d = score_draws(proba, c)
    n_e = np.bincount(label)
    overall = (d.log_loss[0] * n_e).sum() / n_e.sum()
    assert overall == pytest.approx(log_loss(label, proba[group]))


def test_recall_shares_tied_argmax():
    proba = np.array([[0.5, 0.5], [0.9, 0.1]])
    c = group_counts(np.ones((1, 2)), np.array([0, 1]), np.array([0, 1]), np.array([0, 0]), 2, 2)
    d = score_draws(proba, c)
    assert d.recall[0, 0] == pytest.approx(0.75)  # one tie (1/2) and one hit, by hand


def test_deranged_scores_are_the_mean_over_every_derangement():
    rng = np.random.default_rng(3)
    U, E = 15, 4
    proba = rng.dirichlet(np.ones(E), size=U)
    group, label = rng.integers(0, U, 60), rng.integers(0, E, 60)
    c = group_counts(np.ones((1, 6)), rng.integers(0, 6, 60), group, label, U, E)
    d = score_draws(proba, c).deranged()
    perms = [p for p in itertools.permutations(range(E)) if all(p[i] != i for i in range(E))]
    assert len(perms) == 9
    auc = np.zeros(E)
    rec = np.zeros(E)
    for p in perms:  # the deranged table scores expression e with the table's row p[e]
        dd = score_draws(proba[:, list(p)], c)
        auc += dd.auc[0] / len(perms)
        rec += dd.recall[0] / len(perms)
    np.testing.assert_allclose(d.auc[0], auc, atol=1e-6)
    np.testing.assert_allclose(d.recall[0], rec, atol=1e-12)


def test_noise_ceiling_by_hand():
    # pattern 0: two units labelled 0 and one labelled 1; pattern 1: one unit labelled 1
    c = np.array([[[2.0, 1.0], [0.0, 1.0]]])
    d = ceiling_draws(c)
    # AUC for label 0: positives (2 at score 2/3) vs negatives (1 at 2/3, 1 at 0): (2*(1 + .5)) / (2*2)
    assert d.auc[0, 0] == pytest.approx(0.75)
    # UAR-optimal argmax of P(e|u)/P(e): pattern 0 -> label 0 (2/3/2 > 1/3/2), pattern 1 -> label 1
    assert d.recall[0].tolist() == pytest.approx([1.0, 0.5])
    assert d.log_loss[0, 0] == pytest.approx(-math.log(2 / 3))


# --- classifiers ------------------------------------------------------------------------------------

def _brute_cosine(x, req, opt, alt):
    best = 0.0
    alts = [a for a in range(len(x)) if alt[a]] or [None]
    opts = [a for a in range(len(x)) if opt[a]]
    for k in range(len(opts) + 1):
        for sub in itertools.combinations(opts, k):
            for a in alts:
                z = req.copy()
                z[list(sub)] = 1
                if a is not None:
                    z[a] = 1
                if z.sum() and x.sum():
                    best = max(best, float(x @ z) / math.sqrt(x.sum() * z.sum()))
    return best


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(0, 3), min_size=6, max_size=6), st.lists(st.integers(0, 1), min_size=6, max_size=6))
def test_prototype_similarity_is_the_best_member_of_the_configuration_family(roles, x):
    # roles: 0 not mentioned, 1 required, 2 optional, 3 alternative
    roles, x = np.array(roles), np.array(x, dtype=float)
    req, opt, alt = ((roles == r).astype(float) for r in (1, 2, 3))
    got = prototype_similarity(x[None].astype(int), [[(req, opt, alt)]])[0, 0]
    assert got == pytest.approx(_brute_cosine(x, req, opt, alt))


def test_likelihood_readout_equals_implied_expression_logits():
    torch = pytest.importorskip("torch")
    from auknow.losses import implied_expression_logits

    rng = np.random.default_rng(0)
    M = rng.uniform(0.02, 0.98, size=(4, 6))
    x = rng.integers(0, 2, size=(10, 6))
    ours = likelihood_logits(x, np.log(M), np.log1p(-M))
    ref = implied_expression_logits(torch.tensor(x, dtype=torch.float64), torch.tensor(M)).numpy()
    np.testing.assert_allclose(ours, ref, rtol=1e-9)


def test_missing_au_is_no_evidence():
    M = np.array([[0.9, 0.2], [0.1, 0.7]])
    full = likelihood_logits(np.array([[1, -1]]), np.log(M), np.log1p(-M))
    np.testing.assert_allclose(full, [[math.log(0.9), math.log(0.1)]])


def test_table_classifier_restricts_to_shared_expressions_and_names_uncoded_aus(ck_units):
    clf = table_classifier(load_bundled("fig2002"), ck_units.aus, ck_units.expressions)
    assert clf.expressions == ("anger", "disgust", "fear", "happiness", "sadness", "surprise")
    assert "AD54" in clf.uncoded and "AD64" in clf.uncoded  # head / eye codes CK+ does not code
    p = clf.predict_proba(ck_units.occurrence[:5], clf.expressions)
    np.testing.assert_allclose(p.sum(1), 1.0)


def test_signed_quantified_table_is_refused(ck_units):
    from auknow.errors import AuknowError
    from auknow.tables.model import Provenance, QuantifiedTable, Statistic, Weight

    t = QuantifiedTable(name="lor", title="t", provenance=Provenance(kind="edited"),
                        statistic=Statistic("log_odds_ratio", (-math.inf, math.inf)),
                        weights={"anger": {"AU04": Weight(2.0)}, "happiness": {"AU12": Weight(3.0)}})
    with pytest.raises(AuknowError, match="P\\(AU \\| expression\\)"):
        table_classifier(t, ck_units.aus, ck_units.expressions)


# --- the audit on CK+ -----------------------------------------------------------------------------

def test_audit_on_ckplus_is_reproducible_and_beats_its_deranged_reference(ck_units):
    tabs = [load_bundled("fig2002"), load_bundled("au_dfer")]
    r1 = audit(tabs, ck_units, n_boot=40, seed=1, folds=5)
    r2 = audit(tabs, ck_units, n_boot=40, seed=1, folds=5)
    for a, b in zip(r1.scores, r2.scores):
        np.testing.assert_array_equal(a.draws.auc, b.draws.auc)
    for s in r1.ranking():
        low = next(x for x in r1.scores if x.name == s.name and x.role == "lower")
        assert s.draws.macro_auc[0] > low.draws.macro_auc[0] + 0.2
    upper = [s for s in r1.scores if s.role in ("upper", "ceiling")]
    assert {s.name for s in upper} >= {"noise ceiling", "logistic regression (CV)"}
    assert all(s.draws.macro_auc[0] >= r1.ranking()[-1].draws.macro_auc[0] for s in upper)
    # the data's own P(AU | e) matches a direct count
    p, lo, hi = r1.p_au
    i, a = ck_units.expressions.index("happiness"), ck_units.aus.index("AU12")
    rows = ck_units.label == i
    assert p[i, a] == pytest.approx((ck_units.occurrence[rows, a] == 1).mean())
    assert lo[i, a] <= p[i, a] <= hi[i, a]


def test_disagreements_follow_their_rules(ck_units):
    r = audit([load_bundled("ekman_emfacs")], ck_units, n_boot=40, references=False)
    rows = disagreements(r)
    assert rows
    for d in rows:
        if d.kind == "required_far_lower":
            assert d.table_value >= 0.5 and d.high <= d.table_value - 0.5
        else:
            assert d.low >= 0.5
    # CK+ codes AU25 in almost every surprise; EMFACS surprise does not mention it
    assert any(d.expression == "surprise" and d.au == "AU25" and d.kind == "shown_table_lacks" for d in rows)


def test_units_by_sequence_use_the_majority_rule():
    from auknow.readers.frames import AUFrames

    f = AUFrames(aus=("AU01", "AU12"), occurrence=[[1, 0], [1, 1], [0, 1], [1, -1]],
                 subject=["a", "a", "a", "b"], sequence=["a1", "a1", "a1", "b1"], frame=[0, 1, 2, 0],
                 expression=["happiness"] * 3 + ["anger"])
    u = units_from_frames(f, unit="sequence", min_fraction=0.5)
    assert isinstance(u, Units) and len(u) == 2
    assert u.occurrence.tolist() == [[1, 1], [1, -1]]


# --- the CLI ------------------------------------------------------------------------------------------

def test_cli_writes_every_output(tmp_path, capsys):
    out = tmp_path / "audit"
    rc = main(["audit", "fig2002", "jackschyns_all", "--n-boot", "30", "--cv-folds", "4", "--out", str(out)])
    assert rc == 0
    text = capsys.readouterr().out
    assert "fig2002" in text and "noise ceiling" in text
    names = sorted(p.name for p in out.iterdir())
    assert names == sorted(["scores.csv", "comparisons.csv", "disagreements.csv", "report.md", "ranking.png",
                            "auc_heatmap.png", "disagreements.png"])
    import csv

    rows = list(csv.DictReader((out / "scores.csv").open()))
    macro = [r for r in rows if r["model"] == "fig2002" and r["metric"] == "macro_auc" and r["scope"] == "common"
             and r["role"] == "table"]
    assert len(macro) == 1 and float(macro[0]["ci_low"]) <= float(macro[0]["estimate"]) <= float(macro[0]["ci_high"])
    comp = list(csv.DictReader((out / "comparisons.csv").open()))
    assert {r["metric"] for r in comp} == {"macro_auc", "uar", "log_loss"}
    assert "## Ranking" in (out / "report.md").read_text()


def test_cli_scores_an_estimated_table_only_on_held_out_subjects(tmp_path, capsys):
    est = tmp_path / "est"
    subjects = sorted({line.split(",")[0] for line in bundled_ckplus_path().read_text().splitlines()[1:]})
    held = subjects[:40]
    assert main(["estimate-prior", "--n-boot", "0", "--n-perm", "0", "--exclude-subjects", ",".join(held),
                 "--out", str(est), "--quiet"]) == 0
    capsys.readouterr()
    out = tmp_path / "a"
    assert main(["audit", str(est / "prior.yaml"), "fig2002", "--n-boot", "20", "--cv-folds", "3",
                 "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "of 40 subjects" in text
    assert "is estimated from 78 of the data" in (out / "report.md").read_text()
    # an estimated table from every subject cannot be scored on this data
    full = tmp_path / "full"
    assert main(["estimate-prior", "--n-boot", "0", "--n-perm", "0", "--out", str(full), "--quiet"]) == 0
    capsys.readouterr()
    assert main(["audit", str(full / "prior.yaml"), "--n-boot", "10"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "re-estimate" in err


@pytest.mark.parametrize("argv, needle", [
    (["audit", "no_such_table"], "no_such_table"),
    (["audit", "fig2002", "--dataset", "bogus", "x"], "unknown kind"),
    (["audit", "fig2002", "--dataset", "tidy", "missing.csv"], "missing.csv"),
    (["audit", "fig2002", "--dataset", "ckplus"], "needs a PATH"),
    (["audit", "fig2002", "--n-boot", "-1"], "--n-boot"),
    (["audit", "fig2002", "--ci", "1.5"], "--ci"),
    (["audit", "fig2002", "--beta", "0"], "--beta"),
    (["audit", "ckplus"], "dataset table"),
    (["audit", "fig2002", "--exclude-subjects", "X001"], "X001"),
    (["audit", "fig2002", "--fold", "1"], "--fold"),
])
def test_cli_bad_input_one_line_exit_2_nothing_written(tmp_path, capsys, argv, needle):
    out = tmp_path / "o"
    assert main(argv + ["--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("auknow: error:") and needle in err
    assert not out.exists()
    assert not any(tmp_path.iterdir())  # no staging folder left behind


def test_cli_refuses_to_overwrite_without_force(tmp_path, capsys):
    out = tmp_path / "o"
    out.mkdir()
    (out / "report.md").write_text("mine")
    assert main(["audit", "fig2002", "--n-boot", "5", "--out", str(out)]) == 2
    assert "--force" in capsys.readouterr().err
    assert (out / "report.md").read_text() == "mine"


def test_diagonal_auc_equals_the_cross_diagonal():
    rng = np.random.default_rng(5)
    proba = rng.dirichlet(np.ones(4), size=20).round(2)
    c = group_counts(rng.multinomial(6, np.ones(6) / 6, size=4).astype(float), rng.integers(0, 6, 80),
                     rng.integers(0, 20, 80), rng.integers(0, 4, 80), 20, 4)
    full = score_draws(proba, c, cross=True)
    diag = score_draws(proba, c, cross=False)
    np.testing.assert_allclose(diag.auc, full.auc, atol=1e-6)


def test_cli_without_bootstrap_draws_reports_no_intervals(capsys):
    assert main(["audit", "fig2002", "--n-boot", "0", "--cv-folds", "3"]) == 0
    assert "[no draws]" in capsys.readouterr().out


def test_chunked_draws_equal_one_pass(ck_units):
    from auknow.audit.scoring import score_weighted

    clf = table_classifier(load_bundled("du2014"), ck_units.aus, ck_units.expressions)
    P, inv = ck_units.patterns()
    lut = np.array([clf.expressions.index(e) if e in clf.expressions else -1 for e in ck_units.expressions])
    w = np.random.default_rng(0).multinomial(len(ck_units.subjects), np.ones(len(ck_units.subjects)) /
                                             len(ck_units.subjects), size=7).astype(float)
    proba = clf.predict_proba(P, clf.expressions)
    one = score_weighted(proba, w, ck_units.subject, inv, lut[ck_units.label])
    many = score_weighted(proba, w, ck_units.subject, inv, lut[ck_units.label], max_cells=P.shape[0] * 6 * 2)
    np.testing.assert_allclose(many.cross_auc, one.cross_auc)
    np.testing.assert_allclose(many.log_loss, one.log_loss)
    ceil_one = score_weighted(None, w, ck_units.subject, inv, lut[ck_units.label], n_labels=6)
    ceil_many = score_weighted(None, w, ck_units.subject, inv, lut[ck_units.label], n_labels=6, max_cells=1)
    np.testing.assert_allclose(ceil_many.auc, ceil_one.auc)


def test_dense_and_sorted_cross_auc_agree():
    from auknow.audit import scoring

    rng = np.random.default_rng(8)
    proba = rng.dirichlet(np.ones(3), size=30).round(1)
    c = group_counts(rng.multinomial(5, np.ones(5) / 5, size=6).astype(float), rng.integers(0, 5, 90),
                     rng.integers(0, 30, 90), rng.integers(0, 3, 90), 30, 3)
    dense = scoring._cross_auc_dense(proba, c)
    old, scoring.DENSE_GROUPS = scoring.DENSE_GROUPS, 0
    try:
        sorted_ = scoring.cross_auc(proba, c)
    finally:
        scoring.DENSE_GROUPS = old
    np.testing.assert_allclose(sorted_, dense, atol=1e-6)


def test_audit_heatmaps_mark_missing_claims_and_share_one_colour_bar():
    from auknow.audit.figures import auc_heatmap, disagreement_map

    x = np.array([[1, 0, 0, 0], [0, 0, 1, 1], [0, 1, 0, 1]] * 3 + [[1, 0, 1, 0], [0, 1, 1, 0], [0, 1, 0, 0]], np.int8)
    u = Units(("AU04", "AU12", "AU14", "AU25"), x, subject=np.repeat(np.arange(4), 3), label=np.tile([0, 1, 2], 4),
              subjects=("s1", "s2", "s3", "s4"), expressions=("anger", "contempt", "happiness"))
    r = audit([load_bundled("fig2002"), load_bundled("cordaro2018")], u, n_boot=10, references=False)
    ax = auc_heatmap(r).axes[0]
    cells = {(t.get_position(), t.get_text()) for t in ax.texts}
    fig2002 = [t.get_text() for t in ax.get_yticklabels()].index("fig2002")
    assert ((1, fig2002), "n/a") in cells  # fig2002 has no contempt
    assert ax.images[0].get_clim() == (0.5, 1.0) and ax.get_xlabel() == "Expression"
    fig = disagreement_map(r, disagreements(r))
    panels = [a for a in fig.axes if a.images]
    assert len(panels) == 2 and len(fig.axes) == 3  # two panels, one shared colour bar
    assert all(a.images[0].get_clim() == (-1.0, 1.0) for a in panels)
    assert "grey: no claim" in fig.get_suptitle()
