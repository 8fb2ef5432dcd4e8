"""One label vocabulary from table to loss: every case here passed silently before (issue 11)."""

from __future__ import annotations

import sys
import subprocess

import numpy as np
import pandas as pd
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as hst

import auknow
from auknow.compile import au_graph, compile_matrix, to_data, to_pyg
from auknow.errors import LabelError
from auknow.models import AURelationGNN
from auknow.readers import AUFrames, bundled_ckplus_path, read_ckplus
from auknow.vocabulary import AU_SPACES, LABEL_SPACES, check_same_order, resolve_aus, resolve_expressions

BP4D = AU_SPACES["bp4d"]


@pytest.fixture(scope="module")
def fig_graph():
    return au_graph("fig2002", aus="bp4d")


@pytest.fixture(scope="module")
def ckplus_estimate():
    return auknow.estimate_prior(read_ckplus(bundled_ckplus_path()), n_boot=0, n_perm=0)


# --- the vocabulary ------------------------------------------------------------------------------

@given(hst.permutations(list(BP4D)))
@settings(max_examples=25, deadline=None)
def test_resolve_aus_keeps_any_order_and_spelling(order):
    spelt = [f"au_{int(a[2:])}" if i % 2 else a.replace("AU0", "AU") for i, a in enumerate(order)]
    assert resolve_aus(spelt) == tuple(order)


def test_check_same_order_names_both_orders():
    with pytest.raises(LabelError, match="AU02,AU01.*expected AU01,AU02"):
        check_same_order(("AU01", "AU02"), ("AU02", "AU01"), kind="aus", what="x")
    with pytest.raises(LabelError, match="lacks AU02"):
        check_same_order(("AU01", "AU02"), ("AU01",), kind="aus", what="x")


def test_label_spaces_resolve_to_canonical_names():
    assert resolve_expressions("dfew") == ("happiness", "sadness", "neutral", "anger", "surprise", "disgust",
                                           "fear")
    assert len(resolve_expressions("dfew")) == len(LABEL_SPACES["dfew"])


def test_vocabulary_is_torch_free():
    code = "import auknow.vocabulary, sys; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


# --- graphs reach the GNN in the right order ------------------------------------------------------

def test_gnn_with_knowledge_uses_it(fig_graph):
    ei, w, t = to_pyg(fig_graph, aus="bp4d")
    gnn = AURelationGNN(12, 8, knowledge=(ei, w, t))  # used to build the learned-only graph
    assert gnn.graph == "knowledge" and gnn.edge_index.shape[1] == ei.shape[1] > 0
    with pytest.raises(ValueError, match="ignore"):
        AURelationGNN(12, 8, graph="learned", knowledge=(ei, w, t))


def test_gnn_reads_networkx_graph_by_name(fig_graph):
    torch.manual_seed(0)
    by_name = AURelationGNN("bp4d", 8, knowledge=fig_graph, head="none")
    torch.manual_seed(0)
    by_index = AURelationGNN("bp4d", 8, knowledge=to_pyg(fig_graph, aus="bp4d"), head="none")
    x = torch.randn(3, 12, 8)
    torch.testing.assert_close(by_name(x), by_index(x))
    # a count adopts the graph's AU names
    assert AURelationGNN(12, 8, knowledge=fig_graph).aus == BP4D


def test_gnn_refuses_graph_in_another_order(fig_graph):
    reversed_data = to_data(fig_graph, aus=list(reversed(BP4D)))
    with pytest.raises(LabelError, match="another aus order"):
        AURelationGNN("bp4d", 8, knowledge=reversed_data)
    gnn = AURelationGNN("bp4d", 8, knowledge=to_data(fig_graph, aus="bp4d"))
    with pytest.raises(LabelError):
        gnn(torch.randn(2, 12, 8), knowledge=reversed_data)


def test_gnn_state_dict_checks_labels_and_edge_types():
    aus = AU_SPACES["ckplus"]  # holds exclusive pairs (26/27, 24/25 ...); BP4D's AU set holds none
    ei, w, t = to_pyg(au_graph("fig2002", aus="ckplus"), aus="ckplus")
    co = t == 0
    full = AURelationGNN(aus, 8, knowledge=(ei, w, t))
    only_co = AURelationGNN(aus, 8, knowledge=(ei[:, co], w[co], t[co]))
    assert bool((t == 1).any()), "the fixture needs exclusive edges"
    state = {k: v for k, v in full.state_dict().items() if not k.startswith("layers")}
    with pytest.raises(ValueError, match="exclusive"):  # used to misroute exclusive messages
        only_co.load_state_dict(state, strict=False)
    other = AURelationGNN(list(reversed(aus)), 8, knowledge=(ei, w, t))
    with pytest.raises(LabelError, match="loaded state"):
        other.load_state_dict(full.state_dict())
    twin = AURelationGNN(aus, 8, knowledge=(ei, w, t))
    twin.load_state_dict(full.state_dict())
    x = torch.randn(2, len(aus), 8)
    torch.testing.assert_close(twin.eval()(x), full.eval()(x))


def test_gnn_cached_adjacency_follows_dtype_and_permutation(fig_graph):
    gnn = AURelationGNN("bp4d", 8, knowledge=fig_graph, head="none").eval()
    x = torch.randn(2, 12, 8)
    y1, y2 = gnn(x), gnn(x)  # the second call reuses the cached adjacency
    torch.testing.assert_close(y1, y2)
    d = gnn.double()
    assert d(x.double()).dtype == torch.float64
    perm = torch.randperm(12)
    p = gnn.float().permute_aus(perm)
    assert p.aus == tuple(BP4D[i] for i in perm.tolist())
    torch.testing.assert_close(p(x[:, perm]), gnn(x)[:, perm], atol=1e-5, rtol=1e-5)


# --- frames, estimates and matrices ---------------------------------------------------------------

def test_aufames_normalizes_names_so_the_estimate_compiles_right():
    ck = read_ckplus(bundled_ckplus_path())
    spelt = AUFrames(aus=[a.replace("AU0", "AU") for a in ck.aus], occurrence=ck.occurrence, subject=ck.subject,
                     sequence=ck.sequence, frame=ck.frame,
                     expression=np.where(ck.expression == "happiness", "happy", ck.expression))
    est = auknow.estimate_prior(spelt, n_boot=0, n_perm=0)
    m = est.to_matrix()
    assert "happiness" in m.expressions and "happy" not in m.expressions
    assert m.row("happiness")["AU06"] == pytest.approx(0.957, abs=5e-4)  # was 0.0 with AU6 / happy


def test_from_frame_and_dataframe_front_door(ckplus_estimate):
    ck = read_ckplus(bundled_ckplus_path())
    df = ck.to_frame()
    df = df.rename(columns={a: f"{a}_c" for a in ck.aus})
    est = auknow.estimate_prior(df, sequence="sequence", n_boot=0, n_perm=0)
    a, b = est.to_frame(), ckplus_estimate.to_frame()
    assert list(a.columns) == list(b.columns) and len(a) == len(ck.aus) * 7
    np.testing.assert_allclose(a.p_au_given_expression, b.p_au_given_expression, equal_nan=True)
    with pytest.raises(TypeError, match="DataFrame only"):
        auknow.estimate_prior(ck, subject="subject")
    with pytest.raises(auknow.DataError, match="unknown AU column 'AU99'"):  # the readers' rule, not skipped
        AUFrames.from_frame(pd.DataFrame({"subject": ["a"], "AU99": [1]}), expression=None)
    only_r = AUFrames.from_frame(pd.DataFrame({"subject": ["a", "b"], "AU06_c": [1, 0], "AU06_r": [3.0, 0.0],
                                               "AU12_r": [2.0, 0.0]}), expression=None, threshold=1)
    assert only_r.source["au_columns"] == ["AU06_c", "AU12_r"]  # presence first, intensity where it is all
    with pytest.raises(auknow.DataError, match="threshold"):
        AUFrames.from_frame(pd.DataFrame({"subject": ["a", "b"], "expression": ["happy", "sad"],
                                          "AU12_r": [3.0, 0.0]}))


def test_estimate_results_as_table_and_summary(ckplus_estimate):
    table = ckplus_estimate.to_table(name="ck_estimate")
    assert table.name == "ck_estimate" and "happiness" in table.weights
    assert "happiness" in ckplus_estimate.summary()
    pm = ckplus_estimate.to_matrix(expressions="dfew", aus="openface_c")
    assert pm.shape == (7, 18) and pm.expressions == resolve_expressions("dfew")


def test_prior_matrix_frame_round_trip(ckplus_estimate):
    pm = ckplus_estimate.to_matrix()
    back = auknow.PriorMatrix.from_frame(pm.to_frame())
    assert back.expressions == pm.expressions and back.aus == pm.aus
    np.testing.assert_array_equal(back.values, pm.values)


# --- losses and PriorHead ------------------------------------------------------------------------

def _prior(order="basic6"):
    return compile_matrix("fig2002", "binary", expressions=order, aus="bp4d", fill="zero")


def test_expression_label_equal_to_E_is_not_unknown():
    W = torch.rand(7, 12)
    z, t = torch.zeros(3, 12), torch.ones(3, 12)
    ok = auknow.au_loss(z, t, torch.tensor([0, 1, 6]), W)
    assert torch.isfinite(ok)
    assert torch.isnan(auknow.au_loss(z, t, torch.tensor([0, 1, 7]), W))  # used to read the pad row
    loss = auknow.AULoss(W)
    with pytest.raises(ValueError, match="1-based"):
        loss(z, t, torch.tensor([1, 2, 7]))
    with pytest.raises(ValueError, match=r"\[10\] outside"):  # used to be an IndexError
        loss(z, t, torch.tensor([0, 1, 10]))
    strict = auknow.AULoss(W, ignore_index=-100)
    with pytest.raises(ValueError, match="ignore_index=-100"):
        strict(z, t, torch.tensor([0, 1, -1]))
    torch.testing.assert_close(strict(z, t, torch.tensor([0, 1, -100])), loss(z, t, torch.tensor([0, 1, -1])))


def test_au_targets_outside_occurrence_raise():
    loss = auknow.AULoss(torch.rand(7, 12))
    with pytest.raises(ValueError, match="au_targets"):
        loss(torch.zeros(2, 12), torch.full((2, 12), 3.0), torch.tensor([0, 1]))  # an intensity, not 0/1
    pc = auknow.PriorConsistencyLoss(torch.rand(7, 12))
    with pytest.raises(ValueError, match="au_targets"):
        pc(torch.zeros(2, 7), torch.zeros(2, 12), torch.tensor([0, 1]), torch.full((2, 12), 9.0))


def test_losses_check_the_prior_order():
    pm = _prior("basic6")
    with pytest.raises(LabelError, match="expressions order"):
        auknow.AULoss(pm, scale=1.0, expressions=["sadness", "happiness", "surprise", "fear", "anger", "disgust"])
    with pytest.raises(LabelError, match="aus order"):
        auknow.PriorConsistencyLoss(pm, aus=list(reversed(BP4D)))
    loss = auknow.AULoss(pm, expressions="basic6", aus="bp4d")
    assert loss.expressions == pm.expressions and "expressions=happiness" in repr(loss)
    plain = auknow.AULoss(torch.rand(6, 12))
    with pytest.raises(LabelError, match="loaded state"):
        reordered = auknow.AULoss(pm.reindex(aus=list(reversed(BP4D))))
        reordered.load_state_dict(loss.state_dict())
    plain.load_state_dict(loss.state_dict())  # an unlabelled loss takes any state


def test_scale_is_not_applied_twice():
    table = compile_matrix("au_dfer", "quantified", expressions="dfew", aus="openface_c", scale="table",
                           fill="zero")
    assert table.scale == 5.0
    with pytest.raises(ValueError, match="25x"):
        auknow.AULoss(table)  # scale=5.0 by default: 25x
    once = auknow.AULoss(table, scale=1.0)
    raw = compile_matrix("au_dfer", "quantified", expressions="dfew", aus="openface_c", fill="zero")
    torch.testing.assert_close(once.weight, auknow.AULoss(raw, scale=5.0).weight)


def test_prior_head_checks_prior_weights_and_labels():
    pm = _prior("basic6")
    backbone = torch.nn.Linear(4, 8)
    with pytest.raises(LabelError):
        auknow.PriorHead(backbone, 8, pm, expressions=list(reversed(pm.expressions)))
    pw = auknow.PriorMatrix(values=np.ones((6, 12)), expressions=tuple(reversed(pm.expressions)), aus=pm.aus,
                            mode="quantified")
    with pytest.raises(LabelError, match="pos_weight"):
        auknow.PriorHead(backbone, 8, pm, pos_weight=pw)
    head = auknow.PriorHead(backbone, 8, pm, expressions="basic6", aus="bp4d")
    with pytest.raises(ValueError, match="outside"):
        head.loss(head(torch.rand(2, 4)), torch.tensor([0, 6]))


def test_prior_head_terms_and_classifier_reuse():
    backbone = torch.nn.Sequential(torch.nn.Linear(4, 8))
    fc = torch.nn.Linear(8, 7)
    head = auknow.PriorHead(backbone, 8, num_expressions=7, classifier=fc, ial=auknow.IALTerm(0.1))
    assert head.expr_head is fc and head.au_head is None and head.ial_weight == 0.1
    with pytest.raises(ValueError, match="not both"):
        auknow.PriorHead(backbone, 8, num_expressions=7, ial=auknow.IALTerm(0.1), ial_weight=0.2)
    with pytest.warns(UserWarning, match="IAL term is skipped"):
        head.loss(head(torch.rand(2, 4)), torch.softmax(torch.rand(2, 7), 1))


def test_device_check_runs_every_case_on_cpu(capsys):
    import importlib.util
    from pathlib import Path

    spec = importlib.util.spec_from_file_location("device_check", Path(__file__).parents[1] / "benchmarks" /
                                                  "device_check.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    assert mod.main(["--cpu-smoke"]) == 0
    out = capsys.readouterr().out
    assert out.count("finite True") == len(mod.cases(2))


def test_prior_head_ignore_index_reaches_every_term_once():
    pm = _prior("basic6")
    torch.manual_seed(0)
    strict = auknow.PriorHead(torch.nn.Linear(4, 8), 8, pm, ignore_index=-100, consistency_weight=0.5)
    torch.manual_seed(0)
    loose = auknow.PriorHead(torch.nn.Linear(4, 8), 8, pm, consistency_weight=0.5)
    x, aus = torch.rand(3, 4), torch.randint(0, 2, (3, 12)).float()
    a = strict.loss(strict(x), (torch.tensor([0, 5, -100]), aus))  # used to raise inside the AU loss
    b = loose.loss(loose(x), (torch.tensor([0, 5, -1]), aus))
    torch.testing.assert_close(a, b)
    with pytest.raises(ValueError, match="ignore_index=-100"):
        strict.loss(strict(x), (torch.tensor([0, 5, -1]), aus))
    with pytest.raises(ValueError, match="au_targets"):
        loose.loss(loose(x), (torch.tensor([0, 5, 1]), aus * 3))
