"""experiments.unseen: classes with no training clips, recognised through the AU head and a prior.

The world and its held-out class, the read-out and the seen/unseen combination (against values
worked out by hand), a tiny seeded training run (the prior read-out finds the held-out class far
above chance, CE never predicts it), the results-page sections, and every malformed option."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:  # experiments/ is a top-level package of the repository
    sys.path.insert(0, str(REPO))

pytest.importorskip("sklearn", reason="experiments' metrics need scikit-learn")

from experiments import unseen as U  # noqa: E402
from experiments.synthetic_report import write_page, write_section  # noqa: E402

# features world: a one-layer frame MLP learns the AUs in a second (the reported run uses images)
FAST = dict(render="features", epochs=15, n_train=1400, n_test=350, dim=64, batch_size=64, seeds=(1,),
            other_tables=("matsumoto2008",))


def test_held_out_class_has_no_training_clip_and_is_tested():
    cfg = U.UnseenConfig.quick(unseen=("disgust", "fear"), render="features", seeds=(0,))
    d = U.prepare(cfg, 0)
    E = list(d["test"].expressions)
    held = [E.index("disgust"), E.index("fear")]
    assert sorted(d["unseen"]) == held and sorted(d["seen"] + d["unseen"]) == list(range(len(E)))
    assert not np.isin(d["train"].labels, held).any()           # no training clip of either class
    assert np.isin(d["train_all"].labels, held).sum() > 0      # ... though the world drew some
    assert len(d["train"]) == len(d["train_all"]) - np.isin(d["train_all"].labels, held).sum()
    counts = np.bincount(d["test"].labels, minlength=len(E))
    assert (counts[held] > 0).all()                             # the test set has them
    # the priors: correct = the world's table (model floor / ceiling), wrong = a derangement of it
    P = d["priors"]
    perm = d["row_perm"]
    assert all(i != j for i, j in enumerate(perm))
    np.testing.assert_array_equal(P["wrong"], P["correct"][perm])
    M = d["test"].prior  # the generator's P = 0.05 + 0.85 M, the model's 0.1 + 0.8 M of the same M
    np.testing.assert_allclose((P["correct"] - 0.1) / 0.8, (M - 0.05) / 0.85, atol=1e-12)
    assert not np.allclose(P["other:matsumoto2008"], P["correct"])


def test_combine_seen_unseen_by_hand():
    ce = np.array([[1.0, 0.0, 5.0, 3.0], [0.0, 2.0, -1.0, 0.0]])
    implied = np.log(np.array([[0.1, 0.2, 0.3, 0.4], [0.5, 0.1, 0.1, 0.3]]))
    s = U.combine_seen_unseen(ce, implied, [3])
    # row 0: q(unseen) = 0.4; seen mass 0.6 split by softmax(1, 0, 5) over the seen classes
    w = np.exp([1.0, 0.0, 5.0]) / np.exp([1.0, 0.0, 5.0]).sum()
    np.testing.assert_allclose(s[0], np.r_[0.6 * w, 0.4], rtol=1e-12)
    np.testing.assert_allclose(s.sum(1), 1.0, rtol=1e-12)
    assert s[0].argmax() == 2 and s[1].argmax() == 1  # row 1: 0.7 * softmax(0, 2, -1)[1] = 0.59 > 0.3
    with pytest.raises(ValueError, match="unseen"):
        U.combine_seen_unseen(ce, implied, [0, 1, 2, 3])
    with pytest.raises(ValueError, match="unseen"):
        U.combine_seen_unseen(ce, implied, [4])
    with pytest.raises(ValueError, match="shapes"):
        U.combine_seen_unseen(ce, implied[:, :3], [1])


def test_rebased_read_out_is_the_naive_bayes_likelihood():
    rng = np.random.default_rng(3)
    P = rng.uniform(0.1, 0.9, size=(3, 5))
    z = rng.normal(size=(4, 5))
    rate = U.au_prevalence(np.array([[1, 0, 0, 1, np.nan], [1, 1, 0, 0, 1]], dtype=float))
    np.testing.assert_allclose(rate, [2.5 / 3, 1.5 / 3, 0.5 / 3, 1.5 / 3, 1.5 / 2])
    q = 1.0 / (1.0 + np.exp(-(z - np.log(rate / (1 - rate)))))
    ref = (q[:, None, :] * np.log(P) + (1 - q[:, None, :]) * np.log(1 - P)).sum(-1)  # float64, from the formula
    got = U.implied_logits(U.rebase_au_logits(z, rate), P)
    np.testing.assert_allclose(got - got.mean(1, keepdims=True), ref - ref.mean(1, keepdims=True), atol=1e-9)
    with pytest.raises(ValueError, match="train_rate"):
        U.rebase_au_logits(z, np.r_[rate[:4], 1.0])


@pytest.fixture
def one_thread():
    import torch

    n = torch.get_num_threads()
    torch.set_num_threads(1)  # as the runner does; several threads on a shared CPU only contend
    yield
    torch.set_num_threads(n)


def test_prior_read_out_recognises_an_unseen_class_ce_cannot(one_thread):
    """Tiny seeded run (features world): fear has no training clip. CE never predicts it; the AU
    head read out through the world's table finds it far above chance (1/7), and far above the
    deranged table's read-out. Observed here: 60 % vs 0 % (CE) and 12 % (wrong prior)."""
    cfg = U.UnseenConfig.quick(**FAST)
    runs = {r["arm"]: r for r in U.run_seed(cfg, 1, with_reference=False)}
    chance = 1.0 / 7
    assert runs["ce"]["unseen_recall"] <= 0.02 and runs["au-ce"]["unseen_recall"] <= 0.02
    assert runs["ce"]["seen_to_unseen"] <= 0.02
    assert runs["zs-correct"]["unseen_recall"] >= 2 * chance
    assert runs["zs-correct"]["unseen_recall"] >= runs["zs-wrong"]["unseen_recall"] + 0.2
    assert runs["zs-correct"]["seen_uar"] >= 0.4  # the seen classes are not given up for it
    assert "zs-other:matsumoto2008" in runs and "readout-correct" in runs and "ce-all" not in runs
    h = runs["zs-correct"]
    assert h["h"] == pytest.approx(2 * h["unseen_recall"] * h["seen_uar"] / (h["unseen_recall"] + h["seen_uar"]))


def test_cli_quick_writes_its_section_and_keeps_the_page(tmp_path, one_thread):
    page = tmp_path / "results.md"
    page.write_text("# Results\n\nmain table\n", encoding="utf-8")
    rc = U.main(["--quick", "--unseen", "fear", "--other-tables", "matsumoto2008", "--seeds", "0,1", "--epochs", "1",
                 "--n-train", "150", "--n-test", "70",
                 "--out", str(page), "--json", str(tmp_path / "runs.json"), "-q"])
    assert rc == 0
    text = page.read_text()
    assert text.startswith("# Results\n\nmain table\n")
    assert "<!-- section:unseen-fear -->" in text and "<!-- /section:unseen-fear -->" in text
    assert "python -m experiments.unseen --quick --unseen fear" in text
    for arm in ("`ce`", "`zs-correct`", "`zs-wrong`", "`zs-other:matsumoto2008`", "`readout-correct`", "`ce-all`"):
        assert arm in text
    assert "`zs-correct` − `zs-wrong`" in text and "No seen/unseen calibration constant" in text
    assert (tmp_path / "runs.json").exists()
    # rewriting the section replaces it; the main benchmark's writer keeps it
    write_section(page, "unseen-fear", "new body")
    assert page.read_text().count("<!-- section:unseen-fear -->") == 1 and "new body" in page.read_text()
    write_page(page, "# Results\n\nregenerated main table\n")
    assert "regenerated main table" in page.read_text() and "new body" in page.read_text()


@pytest.mark.parametrize("argv, message", [
    (["--unseen", "xyzzy"], "unknown expression"),
    (["--unseen", "contempt"], "not a class of this world"),
    (["--unseen", "fear,fear"], "named twice"),
    (["--unseen", "fear,"], "comma list"),
    (["--unseen", "happiness,sadness,neutral,anger,surprise,disgust,fear"], "every class is unseen"),
    (["--unseen", "neutral"], "gives no AU of neutral"),
    (["--other-tables", "fig2002"], "world's own table"),
    (["--other-tables", "no_such_table"], "no_such_table"),
    (["--other-tables", "matsumoto2008,matsumoto2008"], "named twice"),
    (["--table", "no_such_table"], "no_such_table"),
    (["--seeds", "two"], "--seeds"),
    (["--seeds", "1,1"], "--seeds"),
    (["--alpha", "1.0"], "--alpha"),
    (["--au-loss-weight", "0"], "--au-loss-weight: expected 0 < weight < 1"),
    (["--au-loss-weight", "0.3", "--alpha", "0.3"], "give --au-loss-weight only, not also --alpha"),
    (["--epochs", "0"], "--epochs"),
    (["--n-train", "3"], "--n-train"),
])
def test_malformed_options_exit_2_with_one_line_and_write_nothing(tmp_path, capsys, argv, message):
    page = tmp_path / "results.md"
    assert U.main(argv + ["--quick", "--out", str(page), "-q"]) == 2
    err = capsys.readouterr().err
    assert message in err and err.startswith("error: ") and err.count("\n") == 1
    assert not page.exists() and list(tmp_path.iterdir()) == []


def test_alpha_is_the_deprecated_alias_of_au_loss_weight():
    from experiments.unseen_cli import _parser, config_from_args

    with pytest.warns(DeprecationWarning, match="use --au-loss-weight"):
        old = config_from_args(_parser().parse_args(["--quick", "--alpha", "0.3"]))
    new = config_from_args(_parser().parse_args(["--quick", "--au-loss-weight", "0.3"]))
    assert old == new and new.au_loss_weight == 0.3
    assert config_from_args(_parser().parse_args(["--quick"])).au_loss_weight == U.UnseenConfig().au_loss_weight


def test_section_names_and_bodies_are_checked(tmp_path):
    with pytest.raises(ValueError, match="section name"):
        write_section(tmp_path / "p.md", "Bad Name", "x")
    with pytest.raises(ValueError, match="markers"):
        write_section(tmp_path / "p.md", "ok", "<!-- section:other -->")
    assert not (tmp_path / "p.md").exists()
