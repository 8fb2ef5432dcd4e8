"""PriorHead: pooling, the combined loss against its terms, inference without the AU head,
buffers (state_dict, dtype), torch.compile and duck-typed priors."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch import nn

import auknow.losses as L
from auknow.models.prior_head import AttentionPool, PriorHead, PriorHeadOutput, temporal_pool

E, A, D, T = 7, 18, 16, 4


class FrameBackbone(nn.Module):
    """[B, 3, T, H, W] -> frame features [B, T, D]."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv3d(3, D, 3, padding=1)

    def forward(self, x):
        return torch.relu(self.conv(x)).mean((3, 4)).transpose(1, 2)


class ClipBackbone(FrameBackbone):
    """[B, 3, T, H, W] -> clip embedding [B, D]."""

    def forward(self, x):
        return super().forward(x).mean(1)


def _prior(seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.rand(E, A, generator=g) * 0.9 + 0.05


def _data(B=5, seed=0, missing=0.2):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(B, 3, T, 6, 6, generator=g)
    y = torch.randint(0, E, (B,), generator=g)
    aus = (torch.rand(B, A, generator=g) > 0.6).float()
    aus[torch.rand(B, A, generator=g) < missing] = -1
    return x, y, aus


@pytest.mark.parametrize("pooling", ["mean", "max", "attention", "callable"])
@pytest.mark.parametrize("backbone", [FrameBackbone, ClipBackbone])
def test_shapes_and_pooling(pooling, backbone):
    torch.manual_seed(0)
    pool = (lambda f: f[:, -1]) if pooling == "callable" else pooling
    head = PriorHead(backbone(), D, _prior(), pooling=pool, ial_weight=0.1, consistency_weight=0.5)
    x, y, aus = _data()
    out = head(x)
    assert isinstance(out, PriorHeadOutput)
    assert out.expr_logits.shape == (5, E) and out.au_logits.shape == (5, A) and out.features.shape == (5, D)
    feats = head.backbone(x)
    if feats.dim() == 3:
        expect = {"mean": feats.mean(1), "max": feats.amax(1), "callable": feats[:, -1]}.get(pooling)
        if expect is not None:
            torch.testing.assert_close(out.features, expect)
    else:
        torch.testing.assert_close(out.features, feats)
    loss = head.loss(out, (y, aus))
    loss.backward()
    assert torch.isfinite(loss)
    unused = "pool." if backbone is ClipBackbone else "\0"  # nothing to pool in a clip embedding
    assert all(p.grad is not None for n, p in head.named_parameters() if not n.startswith(unused))


def test_attention_pool_mask_and_temporal_pool_errors():
    pool = AttentionPool(D)
    f = torch.randn(3, T, D)
    mask = torch.tensor([[True] * T, [True, True, False, False], [False] * T])
    out = pool(f, mask)
    torch.testing.assert_close(out[1], pool(f[1:2, :2])[0])
    assert (out[2] == 0).all()
    torch.testing.assert_close(pool(f[:, :1]), f[:, 0])  # one frame: identity
    with pytest.raises(ValueError, match=r"\[B, D\] or \[B, T, D\]"):
        temporal_pool(torch.randn(2, 3, 4, 5))
    with pytest.raises(ValueError, match="pooling"):
        temporal_pool(f, "median")


def test_loss_is_the_weighted_sum_of_the_terms():
    torch.manual_seed(1)
    W = _prior(1)
    pw = L.pos_weight_from_data((torch.rand(50, A) > 0.5).float(), torch.randint(0, E, (50,)),
                                strategy="distinct", num_expressions=E)
    cls_w = torch.linspace(0.5, 2, E)
    head = PriorHead(FrameBackbone(), D, W, au_loss_weight=0.3, pos_weight=pw, ial_weight=0.1, consistency_weight=0.7,
                     temperature=2.0, class_weight=cls_w, label_smoothing=0.05)
    x, y, aus = _data(B=6, seed=2)
    out = head(x)
    total, terms = head.loss(out, {"expression": y, "aus": aus}, return_terms=True)
    ce = L.expression_cross_entropy(out.expr_logits, y, class_weight=cls_w, label_smoothing=0.05)
    au = L.au_loss(out.au_logits, aus, y, W, pos_weight=pw)
    ial = L.intensity_aware_loss(out.expr_logits, y, class_weight=cls_w)
    pc = L.prior_consistency_loss(out.expr_logits, out.au_logits, W, expr_labels=y, au_targets=aus, temperature=2.0)
    torch.testing.assert_close(total, 0.7 * ce + 0.3 * au + 0.1 * ial + 0.7 * pc)
    for k, v in dict(ce=ce, au=au, ial=ial, consistency=pc).items():
        torch.testing.assert_close(terms[k], v.detach())
    # AU-DFER's loss exactly: au_loss_weight 0.25, nothing else
    head2 = PriorHead(ClipBackbone(), D, W)
    out2 = head2(x)
    torch.testing.assert_close(head2.loss(out2, (y, aus)),
                               L.au_dfer_loss(out2.expr_logits, out2.au_logits, y, aus, W, au_loss_weight=0.25))
    # smooth AU loss instead of the prior-weighted one; no prior needed
    w = L.au_weights_from_data(aus)
    head3 = PriorHead(ClipBackbone(), D, num_expressions=E, num_aus=A, au_loss="smooth", au_weight=w, au_loss_weight=0.5)
    out3 = head3(x)
    torch.testing.assert_close(head3.loss(out3, (y, aus)),
                               0.5 * F.cross_entropy(out3.expr_logits, y) + 0.5 * L.smooth_weighted_loss(out3.au_logits, aus, w))


def test_missing_au_targets_and_soft_labels():
    torch.manual_seed(2)
    W = _prior(2)
    head = PriorHead(FrameBackbone(), D, W, ial_weight=0.1, consistency_weight=1.0)
    x, y, _ = _data(B=4, seed=3)
    out = head(x)
    # no AU labels at all (the usual DFER dataset): AU loss 0, the prior supplies soft AU targets
    total, terms = head.loss(out, y, return_terms=True)
    assert terms["au"].item() == 0.0 and terms["consistency"].item() > 0
    total.backward()
    assert head.au_head.weight.grad.abs().sum() > 0
    # soft labels (mixup): IAL is skipped, the prior rows are mixed
    soft = 0.7 * F.one_hot(y, E).float() + 0.3 / E
    total, terms = head.loss(head(x), {"expression": soft}, return_terms=True)
    assert "ial" not in terms and torch.isfinite(total)
    # batch size 1 and unknown expression labels
    x1, y1, a1 = _data(B=1, seed=4)
    assert torch.isfinite(head.loss(head(x1), (torch.tensor([-100]), a1)))


def test_no_inference_cost_eval_drop_and_export():
    torch.manual_seed(3)
    head = PriorHead(FrameBackbone(), D, _prior(), pooling="attention", consistency_weight=0.5)
    x, y, aus = _data(B=3)
    head.eval()
    out = head(x)
    assert out.au_logits is None  # the AU head is skipped in eval mode
    assert head(x, return_aus=True).au_logits.shape == (3, A)
    # validation loss in eval covers the expression terms only
    torch.testing.assert_close(head.loss(out, (y, aus)), 0.75 * F.cross_entropy(out.expr_logits, y))
    infer = head.inference_model()
    torch.testing.assert_close(infer(x), out.expr_logits)
    head_keys = set(head.state_dict())
    assert not any(k.startswith(("au_head", "au_criterion", "consistency")) for k in infer.state_dict())
    assert set(infer.state_dict()) < head_keys
    head.drop_au_head()
    assert head.au_head is None and not any("au" in k.split(".")[0] for k in head.state_dict())
    torch.testing.assert_close(head(x).expr_logits, out.expr_logits)
    head.train()
    assert head(x).au_logits is None
    # au_head_in_eval keeps it
    h2 = PriorHead(ClipBackbone(), D, _prior(), au_head_in_eval=True).eval()
    assert h2(x).au_logits is not None
    # no AU term: no AU head at all
    h3 = PriorHead(ClipBackbone(), D, num_expressions=E, au_loss_weight=0.0, ial_weight=0.1)
    assert h3.au_head is None and h3.train()(x).au_logits is None


def test_buffers_state_dict_dtype_and_duck_typed_prior():
    W = _prior(4)

    class FakePriorMatrix:
        values = W.numpy()
        expressions = ("happiness", "sadness", "neutral", "anger", "surprise", "disgust", "fear")
        aus = tuple(f"AU{i:02d}" for i in range(A))

        def tensor(self, device=None, dtype=None):
            return torch.as_tensor(self.values, device=device, dtype=dtype)

    torch.manual_seed(4)
    a = PriorHead(FrameBackbone(), D, FakePriorMatrix(), consistency_weight=0.5, class_weight=torch.ones(E))
    assert a.expressions[0] == "happiness" and a.num_aus == A
    sd = a.state_dict()
    assert "au_criterion.weight" in sd and "consistency.prior_logit" in sd and "class_weight" in sd
    torch.manual_seed(5)
    b = PriorHead(FrameBackbone(), D, torch.zeros(E, A) + 0.5, consistency_weight=0.5, class_weight=torch.ones(E))
    b.load_state_dict(sd)
    x, y, aus = _data()
    torch.testing.assert_close(b.loss(b(x), (y, aus)), a.loss(a(x), (y, aus)))
    d = a.double()
    assert d.au_criterion.weight.dtype == torch.float64
    loss = d.loss(d(x.double()), (y, aus.double()))
    assert loss.dtype == torch.float64


def test_bf16_autocast_training_step():
    torch.manual_seed(6)
    head = PriorHead(FrameBackbone(), D, _prior(), ial_weight=0.1, consistency_weight=0.5)
    x, y, aus = _data()
    with torch.autocast("cpu", dtype=torch.bfloat16):
        out = head(x * 1e3)
        loss = head.loss(out, (y, aus))
    assert out.expr_logits.dtype == torch.bfloat16 and loss.dtype == torch.float32
    loss.backward()
    assert torch.isfinite(loss) and all(torch.isfinite(p.grad).all() for p in head.parameters())


def test_torch_compile_step_fullgraph():
    torch.manual_seed(7)
    head = PriorHead(FrameBackbone(), D, _prior(), pooling="attention", ial_weight=0.1, consistency_weight=0.5)
    x, y, aus = _data()

    def step(x, y, aus):
        return head.loss(head(x), (y, aus))

    compiled = torch.compile(step, backend="eager", fullgraph=True)
    torch.testing.assert_close(compiled(x, y, aus), step(x, y, aus))
    torch._dynamo.reset()


def test_errors():
    with pytest.raises(ValueError, match="prior"):
        PriorHead(ClipBackbone(), D, num_expressions=E, num_aus=A, au_loss_weight=0.25)  # the prior loss needs a prior
    # without a prior the default is no AU term (an IAL-only head needs no au_loss_weight=0)
    plain = PriorHead(ClipBackbone(), D, num_expressions=E, ial_weight=0.1)
    assert plain.au_head is None and plain.au_loss_weight == 0.0 and plain.ial_weight == 0.1
    with pytest.raises(ValueError, match="num_expressions"):
        PriorHead(ClipBackbone(), D, au_loss_weight=0.0)
    with pytest.raises(ValueError, match="pooling"):
        PriorHead(ClipBackbone(), D, _prior(), pooling="median")
    with pytest.raises(ValueError, match="rows"):
        PriorHead(ClipBackbone(), D, _prior(), num_expressions=3)
    with pytest.raises(ValueError, match="au_loss_weight"):
        PriorHead(ClipBackbone(), D, _prior(), au_loss_weight=2.0)
    head = PriorHead(ClipBackbone(), D, _prior())
    x, y, aus = _data()
    with pytest.raises(ValueError, match="features"):
        PriorHead(ClipBackbone(), D + 1, _prior())(x)
    with pytest.raises(KeyError, match="expression"):
        head.loss(head(x), {"aus": aus})
    with pytest.raises(TypeError, match="features="):
        PriorHead(nn.Identity(), D, _prior(), features=None)({"x": x})
    # features= picks the tensor out of a structured backbone output
    h = PriorHead(nn.Identity(), D, _prior(), features=lambda o: o["f"])
    assert h({"f": torch.randn(2, T, D)}).expr_logits.shape == (2, E)


def test_example_runs():
    """experiments/plug_prior_loss.py end to end, on tiny sizes."""
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[1] / "experiments" / "plug_prior_loss.py"
    spec = importlib.util.spec_from_file_location("plug_prior_loss", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    mod.main(["--epochs", "1", "--train", "24", "--test", "16", "--batch", "12", "--class-weights"])


def test_with_compiled_prior_matrix():
    """The real auknow.compile.PriorMatrix (AU-DFER's bundled table) plugs in by duck typing."""
    compile_mod = pytest.importorskip("auknow.compile")
    if not hasattr(compile_mod, "compile_matrix"):
        pytest.skip("auknow.compile.compile_matrix not available")
    pm = compile_mod.compile_matrix("au_dfer", mode="quantified")
    n_e, n_a = pm.shape
    head = PriorHead(nn.Identity(), D, pm, consistency_weight=0.5, ial_weight=0.1)
    assert head.expressions == tuple(pm.expressions) and head.aus == tuple(pm.aus)
    torch.testing.assert_close(head.au_criterion.weight, 5.0 * pm.tensor())
    feats = torch.randn(4, T, D)
    y = torch.arange(4) % n_e
    aus = (torch.rand(4, n_a) > 0.5).float()
    out = head(feats)
    ref = 0.75 * F.cross_entropy(out.expr_logits, y) + 0.25 * L.au_loss(out.au_logits, aus, y, pm.tensor()) \
        + 0.1 * L.intensity_aware_loss(out.expr_logits, y) \
        + 0.5 * L.prior_consistency_loss(out.expr_logits, out.au_logits, pm.tensor(), expr_labels=y, au_targets=aus)
    torch.testing.assert_close(head.loss(out, (y, aus)), ref)
