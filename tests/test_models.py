"""auknow.models: shapes of every input form, the AU relation GNN's invariances and graph use,
gradients, seeding, errors, and CPU/GPU agreement (skipped without CUDA). Small sizes."""

from __future__ import annotations

import copy

import pytest
import torch
import torch.nn.functional as F
from torch import nn
from torch_geometric.data import Data
from torch_geometric.utils import to_dense_adj

from auknow.facs import au_set
from auknow.models import (AUFeatureGenerator, AURelationConv, AURelationGNN, ExpressionAUGate, ExpressionEmbedding,
                           GCABlock, GlobalDepthwiseConv, GlobalLocalFusion, as_typed_graph, batch_graph,
                           expression_triplet_loss, landmark_masks, region_masks, relation_adjacency, relation_norm,
                           topk_similarity_graph, triplet_agreement)

A, D = 6, 8
CUDA = torch.cuda.is_available()


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    """Tiny tensors: intra-op threads only add synchronisation (seconds on a loaded 2-core box)."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def knowledge_graph():
    """Typed graph over 6 AUs: co-occurrence 0<->1, 2<->3, 1->4 (directed), exclusive 0<->5, 3<->4."""
    ei = torch.tensor([[0, 1, 2, 3, 1, 0, 5, 3, 4],
                       [1, 0, 3, 2, 4, 5, 0, 4, 3]])
    w = torch.tensor([0.9, 0.9, 0.5, 0.5, 0.7, 1.0, 1.0, 0.6, 0.6])
    t = torch.tensor([0, 0, 0, 0, 0, 1, 1, 1, 1])
    return ei, w, t


def signed_dense(ei, w, t, a=A):
    adj = torch.zeros(a, a)
    adj[ei[0], ei[1]] = torch.where(t == 1, -w, w)
    return adj


def grads_everywhere(module: nn.Module):
    missing = [n for n, p in module.named_parameters() if p.grad is None or not torch.isfinite(p.grad).all()
               or p.grad.abs().sum() == 0]
    assert not missing, f"no gradient for {missing}"


GNN_CONFIGS = [
    dict(graph="knowledge"), dict(graph="knowledge", exclusive="signed"), dict(graph="learned", k=3),
    dict(graph="learned", k=2, metric="cosine"), dict(graph="both", k=3), dict(graph="both", k=2, exclusive="signed"),
]


def make_gnn(cfg, **kw):
    cfg = {**cfg, **kw}
    if cfg["graph"] != "learned":
        cfg.setdefault("knowledge", knowledge_graph())
    return AURelationGNN(A, D, **cfg)


# --- AU relation GNN ----------------------------------------------------------------------------
@pytest.mark.parametrize("cfg", GNN_CONFIGS)
@pytest.mark.parametrize("head", ["prototype", "linear", "none"])
def test_gnn_shapes_and_ranges(cfg, head):
    torch.manual_seed(0)
    m = make_gnn(cfg, head=head, num_layers=2)
    y = m(torch.randn(5, A, D))
    if head == "none":
        assert y.shape == (5, A, D) and (y >= 0).all()
    else:
        assert y.shape == (5, A)
    if head == "prototype":
        assert (y >= 0).all() and (y <= 1 + 1e-6).all()


@pytest.mark.parametrize("cfg", GNN_CONFIGS)
@pytest.mark.parametrize("norm", ["node", "feature"])
def test_gnn_permutation_equivariance(cfg, norm):
    torch.manual_seed(1)
    m = make_gnn(cfg, norm=norm, num_layers=2).double()
    x = torch.randn(4, A, D, dtype=torch.float64)
    perm = torch.tensor([3, 0, 5, 1, 4, 2])
    expected = m(x)[:, perm]
    assert torch.allclose(m.permute_aus(perm)(x[:, perm]), expected, atol=1e-10)
    if norm == "feature":  # no per-AU norm statistics: relabelling the graph alone is enough
        shared = copy.deepcopy(m)
        shared.head_kind = "none"
        inv = torch.empty_like(perm)
        inv[perm] = torch.arange(A)
        kwargs = {}
        if cfg["graph"] != "learned":
            ei, w, t = knowledge_graph()
            kwargs["knowledge"] = (inv[ei], w.double(), t)
        assert torch.allclose(shared(x[:, perm], **kwargs), shared(x)[:, perm], atol=1e-10)


def test_permute_aus_rejects_non_permutations():
    m = make_gnn(GNN_CONFIGS[0])
    with pytest.raises(ValueError, match="permutation"):
        m.permute_aus([0, 0, 1, 2, 3, 4])


@pytest.mark.parametrize("cfg", [c for c in GNN_CONFIGS if c["graph"] != "learned"])
def test_gnn_dense_and_sparse_graphs_agree(cfg):
    ei, w, t = knowledge_graph()
    typed = torch.stack([to_dense_adj(ei[:, t == r], edge_attr=w[t == r], max_num_nodes=A)[0] for r in (0, 1)])
    perm = torch.randperm(ei.shape[1], generator=torch.Generator().manual_seed(0))
    forms = [(ei, w, t), signed_dense(ei, w, t), typed, Data(edge_index=ei, edge_weight=w, edge_type=t, num_nodes=A),
             (ei[:, perm], torch.where(t == 1, -w, w)[perm])]  # shuffled, types from the signs
    torch.manual_seed(2)
    x = torch.randn(3, A, D)
    outs = []
    for form in forms:
        torch.manual_seed(3)
        outs.append(make_gnn(cfg, knowledge=form)(x))
    for out in outs[1:]:
        assert torch.allclose(out, outs[0], atol=1e-6)


def test_as_typed_graph_forms_and_duplicates():
    ei, w, t = knowledge_graph()
    canon = as_typed_graph(A, (ei, w, t))
    dense = as_typed_graph(A, signed_dense(ei, w, t))
    for a, b in zip(canon, dense):
        assert torch.equal(a, b) if a.dtype == torch.long else torch.allclose(a, b)
    dup = as_typed_graph(A, (torch.tensor([[0, 0, 1], [1, 1, 2]]), torch.tensor([0.25, 0.5, 1.0])))
    assert dup[0].tolist() == [[0, 1], [1, 2]] and dup[1].tolist() == [0.75, 1.0] and dup[2].tolist() == [0, 0]
    empty = as_typed_graph(A, None)
    assert empty[0].shape == (2, 0)


def test_gnn_edge_types_and_relations():
    ei, w, t = knowledge_graph()
    m = AURelationGNN(A, D, graph="both", knowledge=(ei, w, t))
    assert m.num_relations == 3 and m.layers[0].lin_rel.out_features == 3 * D
    wide = AURelationGNN(A, D, graph="knowledge", knowledge=(ei, w, t), edge_types=[0, 1, "hierarchy", "self"])
    assert wide.num_relations == 4
    loops = torch.arange(A).repeat(2, 1)
    y = wide(torch.randn(2, A, D), knowledge=(torch.cat([ei, loops], 1), torch.cat([w, torch.ones(A)]),
                                               torch.cat([t, torch.full((A,), 3)])))
    assert y.shape == (2, A)
    assert AURelationGNN(A, D, graph="knowledge", knowledge=(ei, w, t), exclusive="signed").num_relations == 1


def test_gnn_takes_compiled_graphs():
    compile_ = pytest.importorskip("auknow.compile")
    if not hasattr(compile_, "to_pyg"):
        pytest.skip("auknow.compile.to_pyg not available")
    try:
        graph = compile_.au_graph("du2014", aus="bp4d")
    except Exception as err:  # bundled table names belong to the knowledge library, not to this module
        pytest.skip(f"no bundled prototype table to compile: {err}")
    aus = list(au_set("bp4d"))
    torch.manual_seed(19)
    x = torch.randn(3, len(aus), D)
    outs = []
    for form in (compile_.to_pyg(graph, aus), compile_.to_data(graph, aus),
                 compile_.dense_adjacency(graph, aus, by_kind=True)):
        torch.manual_seed(20)
        outs.append(AURelationGNN(len(aus), D, graph="both", knowledge=form, k=3)(x))
    assert torch.allclose(outs[0], outs[1], atol=1e-6) and torch.allclose(outs[0], outs[2], atol=1e-6)
    signed = compile_.to_pyg(graph, aus, signed=True)
    torch.manual_seed(20)
    assert torch.allclose(AURelationGNN(len(aus), D, graph="both", knowledge=signed, k=3)(x), outs[0], atol=1e-6)


def test_gnn_uses_the_knowledge_graph():
    torch.manual_seed(4)
    x = torch.randn(3, A, D)
    ei, w, t = knowledge_graph()
    for cfg in GNN_CONFIGS:
        if cfg["graph"] == "learned":
            continue
        m = make_gnn(cfg)
        full = m(x)
        no_edges = m(x, knowledge=(torch.zeros(2, 0, dtype=torch.long),))
        no_exclusive = m(x, knowledge=(ei[:, t == 0], w[t == 0], t[t == 0]))
        assert (full - no_edges).abs().max() > 1e-3, cfg
        assert (full - no_exclusive).abs().max() > 1e-3, cfg
    # exclusive edges are treated differently from co-occurrence edges
    m = make_gnn(GNN_CONFIGS[1])  # signed
    assert (m(x) - m(x, knowledge=(ei, w, torch.zeros_like(t)))).abs().max() > 1e-3


@pytest.mark.parametrize("cfg", GNN_CONFIGS)
@pytest.mark.parametrize("head", ["prototype", "linear"])
def test_gnn_gradients_reach_every_parameter(cfg, head):
    torch.manual_seed(5)
    m = make_gnn(cfg, head=head, num_layers=2)
    x = torch.randn(4, A, D, requires_grad=True)
    (m(x) * torch.randn(4, A)).sum().backward()
    grads_everywhere(m)
    assert x.grad is not None and x.grad.abs().sum() > 0


def anfl_dense(x, layer: AURelationConv, k):
    """ME-GraphAU ANFL GNN layer, written densely from the paper's formulas."""
    s = x @ x.transpose(1, 2)
    thr = s.topk(k, dim=-1).values[..., -1:]
    adj = (s >= thr).to(x.dtype)
    d = adj.sum(-1).rsqrt()
    a_hat = d.unsqueeze(-1) * adj * d.unsqueeze(-2)
    agg = a_hat @ layer.lin_rel(x) + layer.lin_self(x)
    return F.relu(x + layer.norm(agg))


def test_learned_mode_is_anfl():
    torch.manual_seed(6)
    m = AURelationGNN(A, D, graph="learned", k=3, head="none").double()
    x = torch.randn(5, A, D, dtype=torch.float64)
    assert torch.allclose(m(x), anfl_dense(x, m.layers[0], 3), atol=1e-10)


@pytest.mark.parametrize("cfg", GNN_CONFIGS)
def test_gnn_dense_and_sparse_aggregation_agree(cfg):
    torch.manual_seed(22)
    x = torch.randn(3, A, D, dtype=torch.float64)
    torch.manual_seed(23)
    dense = make_gnn(cfg, num_layers=2).double()
    torch.manual_seed(23)
    sparse = make_gnn(cfg, num_layers=2, aggregation="sparse").double()
    assert torch.allclose(dense(x), sparse(x), atol=1e-10)


def test_conv_edge_list_and_sparse_forms_agree():
    torch.manual_seed(21)
    conv = AURelationConv(D, A, num_relations=2, norm="layer")
    sparse = copy.deepcopy(conv)
    sparse.aggregation = "sparse"
    x = torch.randn(3, A, D)
    ei, w, t = batch_graph(*knowledge_graph()[:1], A, 3, knowledge_graph()[1], knowledge_graph()[2])
    adj = relation_adjacency(ei, w, t, 3 * A, 2)
    assert torch.allclose(conv(x, ei, w, t), conv(x, adj), atol=1e-6)
    assert torch.allclose(conv(x, ei, w, t), sparse(x, ei, w, t), atol=1e-6)
    # an edge between samples: "auto" falls back to the sparse product, "dense" refuses
    cross = torch.cat([ei, torch.tensor([[0], [A + 1]])], 1)
    cw, ct = torch.cat([w, torch.ones(1)]), torch.cat([t, torch.zeros(1, dtype=torch.long)])
    assert torch.allclose(conv(x, cross, cw, ct), sparse(x, cross, cw, ct), atol=1e-6)
    assert not torch.allclose(conv(x, cross, cw, ct), conv(x, ei, w, t))
    conv.aggregation = "dense"
    with pytest.raises(ValueError, match="one graph per sample"):
        conv(x, cross, cw, ct)
    with pytest.raises(ValueError, match="adj_t must be"):
        conv(x, relation_adjacency(ei, w, t, 3 * A, 1))


def test_relation_norm_and_adjacency():
    ei = torch.tensor([[1, 2, 0], [0, 0, 1]])
    w = torch.tensor([1.0, 3.0, 2.0])
    t = torch.tensor([0, 0, 0])
    coef = relation_norm(ei, w, t, 3, 2, "sym")
    # d(0) = 4, d(1) = 2, d(2) = 0 -> 1
    assert torch.allclose(coef, torch.tensor([1 / (2 * 2 ** 0.5), 3 / 2, 2 / (2 ** 0.5 * 2)]))
    assert torch.allclose(relation_norm(ei, w, t, 3, 2, "mean"), torch.tensor([0.25, 0.75, 1.0]))
    adj = relation_adjacency(ei, coef, torch.tensor([0, 1, 1]), 3, 2).to_dense()
    assert adj.shape == (3, 6) and adj[0, 1 * 2 + 0] == coef[0] and adj[0, 2 * 2 + 1] == coef[1]


def test_batch_graph_and_topk():
    ei, w, t = knowledge_graph()
    bei, bw, bt = batch_graph(ei, A, 3, w, t)
    assert bei.shape == (2, 3 * ei.shape[1]) and torch.equal(bei[:, -ei.shape[1]:], ei + 2 * A)
    assert torch.equal(bt, t.repeat(3))
    x = torch.randn(2, A, D)
    tk = topk_similarity_graph(x, 3)
    assert tk.shape == (2, 2 * A * 3)
    assert ((tk[0] // A) == (tk[1] // A)).all()  # edges stay inside their sample
    s = torch.bmm(x, x.transpose(1, 2))
    i = 7  # sample 1, AU 1: its 3 sources are its 3 most similar AUs
    srcs = tk[0][tk[1] == i] - A
    assert set(srcs.tolist()) == set(s[1, 1].topk(3).indices.tolist())


def test_gnn_errors():
    with pytest.raises(ValueError, match="knowledge graph"):
        AURelationGNN(A, D, graph="knowledge")
    with pytest.raises(ValueError, match="graph must be"):
        AURelationGNN(A, D, graph="dense")
    with pytest.raises(ValueError, match="k \\(neighbours"):
        AURelationGNN(A, D, graph="learned", k=A + 1)
    m = make_gnn(GNN_CONFIGS[0])
    with pytest.raises(ValueError, match=r"\[B, 6, 8\]"):
        m(torch.randn(2, A + 1, D))
    with pytest.raises(ValueError, match=r"\[B, A, D\]"):
        m(torch.randn(A, D))
    with pytest.raises(ValueError, match="node ids outside"):
        m(torch.randn(2, A, D), knowledge=(torch.tensor([[0], [A]]),))
    with pytest.raises(ValueError, match="edge_type must index"):
        m(torch.randn(2, A, D), knowledge=(torch.tensor([[0], [1]]), None, torch.tensor([4])))
    with pytest.raises(ValueError, match="without a relation"):  # built for co-occurrence + exclusive only
        m(torch.randn(2, A, D), knowledge=(torch.tensor([[0], [1]]), None, torch.tensor([2])))
    with pytest.raises(ValueError, match="leaves out"):
        AURelationGNN(A, D, graph="knowledge", knowledge=knowledge_graph(), edge_types=["co-occurrence"])
    with pytest.raises(ValueError, match="unknown edge type"):
        AURelationGNN(A, D, graph="knowledge", knowledge=knowledge_graph(), edge_types=["co", "exclusive"])
    with pytest.raises(ValueError, match=r"\[2, M\]"):
        m(torch.randn(2, A, D), knowledge=(torch.zeros(3, 2, dtype=torch.long),))
    with pytest.raises(ValueError, match="dense adjacency"):
        m(torch.randn(2, A, D), knowledge=torch.zeros(A, A + 1))
    with pytest.raises(ValueError, match="edge_weight must be"):
        m(torch.randn(2, A, D), knowledge=(torch.tensor([[0], [1]]), torch.ones(2)))
    with pytest.raises(ValueError, match="uses graph='learned'"):
        AURelationGNN(A, D, graph="learned")(torch.randn(2, A, D), knowledge=knowledge_graph())


# --- AU feature generator -----------------------------------------------------------------------
C, H, W = 5, 6, 7


@pytest.mark.parametrize("mask", ["none", "region"])
def test_feature_generator_map_input(mask):
    torch.manual_seed(7)
    g = AUFeatureGenerator(C, "bp4d", dim=D, mask=mask)
    v, att = g(torch.randn(3, C, H, W), return_attention=True)
    assert v.shape == (3, 12, D) and (v >= 0).all()
    assert att.shape == (3, 12, H, W) and torch.allclose(att.sum((-1, -2)), torch.ones(3, 12))


@pytest.mark.parametrize("temporal,shape", [("mean", (2, A, D)), ("attention", (2, A, D)), ("none", (2, 4, A, D))])
def test_feature_generator_frame_input(temporal, shape):
    torch.manual_seed(8)
    g = AUFeatureGenerator(C, A, dim=D, temporal=temporal)
    x = torch.randn(2, 4, C, H, W)
    v, att = g(x, return_attention=True)
    assert v.shape == shape and att.shape == (2, 4, A, H, W)
    if temporal == "mean":  # frames are processed independently, then averaged
        g.eval()
        per_frame = torch.stack([g(x[:, i]) for i in range(4)], 1)
        assert torch.allclose(g(x), per_frame.mean(1), atol=1e-6)


def test_feature_generator_landmarks():
    torch.manual_seed(9)
    aus = ["AU01", "AU12", "AU25"]
    g = AUFeatureGenerator(C, aus, dim=D, mask="region")
    lm = torch.rand(2, 68, 2)
    v, att = g(torch.randn(2, C, H, W), landmarks=lm, return_attention=True)
    assert v.shape == (2, 3, D) and att.shape == (2, 3, H, W)
    v5 = g(torch.randn(2, 3, C, H, W), landmarks=lm)
    v5t = g(torch.randn(2, 3, C, H, W), landmarks=lm.unsqueeze(1).expand(2, 3, 68, 2))
    assert v5.shape == v5t.shape == (2, 3, D)
    # a strong landmark mask focuses the attention around the AU's landmarks
    sharp = AUFeatureGenerator(C, ["AU12"], dim=D, landmark_sigma=0.05, mask_floor=1e-6)
    pts = torch.full((1, 68, 2), 0.1)
    pts[0, [48, 54, 60, 64]] = torch.tensor([0.75, 0.85])  # mouth corners at pixel (row 8, col 7)
    _, att = sharp(torch.randn(1, C, 10, 10), landmarks=pts, return_attention=True)
    assert int(att[0, 0].flatten().argmax()) == 8 * 10 + 7


def test_region_and_landmark_masks():
    m = region_masks(["AU01", "AU12", "AU26", "AD19"], 20, 3)
    assert m.shape == (4, 20, 3) and (m > 0).all() and (m <= 1).all()
    assert m[0, 0, 0] > 0.99 and m[0, -1, 0] < 0.01  # AU1: upper face
    assert m[1, -1, 0] > 0.99 and m[1, 0, 0] < 0.01  # AU12: lower face
    assert torch.allclose(m[3], torch.ones(20, 3))  # AD19 (Miscellaneous): whole face
    lm = torch.rand(4, 68, 2)
    mm = landmark_masks("disfa8", lm, 9, 11)
    assert mm.shape == (4, 8, 9, 11) and (mm >= 0).all() and (mm <= 1).all()
    custom = landmark_masks(["AU01"], torch.tensor([[[0.5, 0.5], [0.0, 0.0]]]), 5, 5, groups={1: [0]})
    assert custom[0, 0, 2, 2] == custom.max()
    with pytest.raises(ValueError, match="68-point"):
        landmark_masks(["AU01"], torch.rand(1, 5, 2), 5, 5)
    with pytest.raises(ValueError, match="AU identities"):
        region_masks(12, 5, 5)


def test_feature_generator_errors():
    with pytest.raises(ValueError, match="AU identities"):
        AUFeatureGenerator(C, 12, mask="region")
    with pytest.raises(ValueError, match="did you mean the label space bp4d"):
        AUFeatureGenerator(C, "bp5d")
    with pytest.raises(ValueError, match="both name AU01"):
        AUFeatureGenerator(C, ["AU01", "1"])
    g = AUFeatureGenerator(C, "disfa8", dim=D)
    with pytest.raises(ValueError, match="channels"):
        g(torch.randn(2, C + 1, H, W))
    with pytest.raises(ValueError, match=r"\[B, C, H, W\]"):
        g(torch.randn(C, H, W))
    with pytest.raises(ValueError, match="landmarks"):
        g(torch.randn(2, C, H, W), landmarks=torch.rand(3, 68, 2))
    with pytest.raises(ValueError, match="AU identities"):
        AUFeatureGenerator(C, 4, dim=D)(torch.randn(2, C, H, W), landmarks=torch.rand(2, 68, 2))


# --- attention gate -----------------------------------------------------------------------------
@pytest.mark.parametrize("direction", ["both", "expr_to_au", "au_to_expr"])
def test_attention_gate(direction):
    torch.manual_seed(10)
    gate = ExpressionAUGate(7, D, num_aus=A, direction=direction)
    e, u = torch.randn(3, 7), torch.randn(3, A, D)
    e2, u2, gates = gate(e, u, return_gates=True)
    assert e2.shape == e.shape and u2.shape == u.shape
    if direction == "au_to_expr":
        assert torch.equal(u2, u) and gates["au"] is None
    else:
        assert gates["au"].shape == (3, A, D) and ((gates["au"] > 0) & (gates["au"] < 1)).all()
    if direction == "expr_to_au":
        assert torch.equal(e2, e)
    else:
        assert torch.allclose(gates["attention"].sum(-1), torch.ones(3))
    flat = ExpressionAUGate(7, D, direction=direction)
    e3, u3 = flat(e, torch.randn(3, D))
    assert e3.shape == (3, 7) and u3.shape == (3, D)
    with pytest.raises(ValueError, match="batch size"):
        gate(e, torch.randn(2, A, D))
    with pytest.raises(ValueError, match="A = 6"):
        gate(e, torch.randn(3, A - 1, D))


# --- GCA ----------------------------------------------------------------------------------------
def test_global_depthwise_conv_is_full_extent_conv_at_base_size():
    torch.manual_seed(11)
    g = GlobalDepthwiseConv(4, 5)
    x = torch.randn(3, 4, 5, 5)
    ref = F.conv2d(x, g.weight, groups=4)[:, :, 0, 0]
    assert torch.allclose(g(x), ref, atol=1e-6)
    # other sizes: a constant map gives the same response as at the base size (scale kept)
    const = torch.ones(1, 4, 5, 5)
    big = torch.ones(1, 4, 10, 10)
    assert torch.allclose(g(big), g(const), rtol=0.05, atol=1e-3)
    assert g(torch.randn(2, 4, 3, 9)).shape == (2, 4)


@pytest.mark.parametrize("size", [(7, 7), (14, 14), (5, 9)])
def test_gca_block_shapes(size):
    torch.manual_seed(12)
    blk = GCABlock(8, 16, stride=2, num_frames=4, kernel_size=7, reduction=4, num_classes=3)
    y = blk(torch.randn(2 * 4, 8, *size))
    assert y.shape == (8, 16, (size[0] + 1) // 2, (size[1] + 1) // 2) and (y >= 0).all()
    assert blk.aux_logits.shape == (2, 3) and blk.attention.shape == (8, 16)
    assert ((blk.attention > 0) & (blk.attention < 2)).all()
    y5 = blk(torch.randn(2, 4, 8, *size))
    assert y5.shape == (2, 4, 16, (size[0] + 1) // 2, (size[1] + 1) // 2)
    same = GCABlock(16, 16)
    assert same(y).shape == y.shape and same.downsample is None
    with pytest.raises(ValueError, match="num_frames=4"):
        blk(torch.randn(6, 8, *size))
    with pytest.raises(ValueError, match="groups=1"):
        GCABlock(8, 8, groups=2)


def test_gca_clip_attention_couples_frames():
    """w_t = sqrt(a_t * mean_t a_t): changing one frame changes the other frames' outputs."""
    torch.manual_seed(13)
    blk = GCABlock(4, 4, num_frames=3, kernel_size=5, reduction=2).eval()
    x = torch.randn(3, 4, 5, 5)
    x2 = x.clone()
    x2[0] += 1.0
    assert not torch.allclose(blk(x)[1:], blk(x2)[1:])
    single = GCABlock(4, 4, kernel_size=5, reduction=2).eval()
    single.load_state_dict(blk.state_dict())
    assert torch.allclose(single(x)[1:], single(x2)[1:])  # T = 1: frames independent


class _BasicBlock(nn.Module):  # torchvision's layout, without importing torchvision
    def __init__(self, cin, cout, stride=1):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.downsample = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))


def test_gca_from_basic_block():
    basic = _BasicBlock(4, 8, 2)
    blk = GCABlock.from_basic_block(basic, num_frames=2, kernel_size=4)
    assert blk.conv1 is basic.conv1 and blk.downsample is basic.downsample and blk.stride == 2
    assert blk(torch.randn(4, 4, 8, 8)).shape == (4, 8, 4, 4)
    with pytest.raises(ValueError, match="BasicBlock"):
        GCABlock.from_basic_block(nn.Linear(2, 2))


# --- GLEE ---------------------------------------------------------------------------------------
def test_expression_embedding_forms():
    torch.manual_seed(14)
    emb = ExpressionEmbedding(C, dim=4, hidden=16)
    for x in (torch.randn(3, C), torch.randn(3, C, H, W), torch.randn(3, 2, C, H, W)):
        e = emb(x)
        assert e.shape == (3, 4) and torch.allclose(e.norm(dim=-1), torch.ones(3))
    with pytest.raises(ValueError, match="channels"):
        emb(torch.randn(3, C + 1))


def test_triplet_loss_and_agreement():
    e = torch.tensor([[[0.0, 0.0], [0.1, 0.0], [1.0, 0.0]],    # odd one out: face 2
                      [[1.0, 0.0], [0.0, 0.0], [0.0, 0.05]]])  # odd one out: face 0
    odd = torch.tensor([2, 0])
    assert float(expression_triplet_loss(e, odd)) == 0.0
    assert float(triplet_agreement(e, odd)) == 1.0
    wrong = torch.tensor([0, 2])
    # triplet 0 with odd 0: pair (1, 2) at d = 0.81; d(1,0) = 0.01, d(2,0) = 1 -> 0.81-0.01+0.1 + 0
    per = expression_triplet_loss(e, wrong, reduction="none")
    assert torch.allclose(per[0], torch.tensor(0.81 - 0.01 + 0.1))
    assert float(triplet_agreement(e, wrong)) == 0.0
    with pytest.raises(ValueError, match="0, 1 or 2"):
        expression_triplet_loss(e, torch.tensor([3, 0]))
    with pytest.raises(ValueError, match=r"\[N, 3, D\]"):
        expression_triplet_loss(torch.randn(2, 2, 4), odd)


@pytest.mark.parametrize("mode", ["concat", "transformer"])
def test_global_local_fusion(mode):
    torch.manual_seed(15)
    fuse = GlobalLocalFusion(D, 4, mode=mode, num_aus=A, heads=2)
    out = fuse(torch.randn(3, A, D), torch.randn(3, 4))
    assert out.shape == (3, A, D)
    with pytest.raises(ValueError, match="global_"):
        fuse(torch.randn(3, A, D), torch.randn(2, 4))


# --- all modules: gradients, seeding, devices ---------------------------------------------------
def module_cases():
    """(name, factory, inputs) with inputs a function of a generator."""
    return {
        "gnn_both": (lambda: make_gnn(GNN_CONFIGS[4], num_layers=2), lambda: (torch.randn(4, A, D),)),
        "afg_frames_region": (lambda: AUFeatureGenerator(C, ["AU01", "AU06", "AU12", "AU25"], dim=D, mask="region",
                                                         temporal="attention"),
                              lambda: (torch.randn(2, 3, C, H, W),)),
        "afg_landmarks": (lambda: AUFeatureGenerator(C, "disfa8", dim=D),
                          lambda: (torch.randn(2, C, H, W), torch.rand(2, 68, 2))),
        "gate": (lambda: ExpressionAUGate(7, D, num_aus=A), lambda: (torch.randn(3, 7), torch.randn(3, A, D))),
        "gca": (lambda: GCABlock(4, 8, stride=2, num_frames=2, kernel_size=3, reduction=2, num_classes=3),
                lambda: (torch.randn(4, 4, 6, 6),)),
        "embedding": (lambda: ExpressionEmbedding(C, dim=4, hidden=16), lambda: (torch.randn(3, C, H, W),)),
        "fusion": (lambda: GlobalLocalFusion(D, 4, mode="transformer", num_aus=A, heads=2),
                   lambda: (torch.randn(3, A, D), torch.randn(3, 4))),
    }


def scalar(module, out):
    parts = out if isinstance(out, tuple) else (out,)
    total = sum((p * torch.linspace(-1, 1, p.numel()).view(p.shape).to(p)).sum() for p in parts)
    if isinstance(module, GCABlock):
        total = total + module.aux_logits.sum()
    return total


@pytest.mark.parametrize("name", list(module_cases()))
def test_gradients_reach_every_parameter(name):
    factory, inputs = module_cases()[name]
    torch.manual_seed(16)
    m = factory()
    scalar(m, m(*inputs())).backward()
    grads_everywhere(m)


@pytest.mark.parametrize("name", list(module_cases()))
def test_deterministic_under_a_seed(name):
    factory, inputs = module_cases()[name]
    runs = []
    for _ in range(2):
        torch.manual_seed(17)
        m = factory()
        out = m(*inputs())
        scalar(m, out).backward()
        runs.append((out, [p.grad.clone() for p in m.parameters()]))
    (o1, g1), (o2, g2) = runs
    for a, b in zip(o1 if isinstance(o1, tuple) else (o1,), o2 if isinstance(o2, tuple) else (o2,)):
        assert torch.equal(a, b)
    assert all(torch.equal(a, b) for a, b in zip(g1, g2))


@pytest.mark.skipif(not CUDA, reason="CUDA is not available")
@pytest.mark.parametrize("name", list(module_cases()) + ["gnn_knowledge", "gnn_learned"])
def test_cpu_and_gpu_agree(name):
    cases = module_cases()
    cases["gnn_knowledge"] = (lambda: make_gnn(GNN_CONFIGS[0]), lambda: (torch.randn(4, A, D),))
    cases["gnn_learned"] = (lambda: make_gnn(GNN_CONFIGS[2], head="linear"), lambda: (torch.randn(4, A, D),))
    factory, inputs = cases[name]
    torch.manual_seed(18)
    m = factory().double()
    xs = tuple(x.double() for x in inputs())
    gpu = copy.deepcopy(m).cuda()
    out_c = m(*xs)
    out_g = gpu(*(x.cuda() for x in xs))
    for a, b in zip(out_c if isinstance(out_c, tuple) else (out_c,), out_g if isinstance(out_g, tuple) else (out_g,)):
        assert torch.allclose(a, b.cpu(), atol=1e-8)
    scalar(m, out_c).backward()
    scalar(gpu, out_g).backward()
    for (n, p), q in zip(m.named_parameters(), gpu.parameters()):
        assert torch.allclose(p.grad, q.grad.cpu(), atol=1e-7), n
