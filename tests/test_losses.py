"""Prior losses against their reference formulations, gradchecks, invariances, mixed precision
and edge cases (empty classes, all-missing AU targets, batch size 1)."""

from __future__ import annotations

import contextlib
import math
import warnings

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import auknow.losses as L
from auknow.losses import class_weights as cw

E, A = 7, 18


def _f32(x):
    """Values representable in float32, so modules (float32 buffers) and float64 functionals agree."""
    return x.float().to(x.dtype)


def _prior(seed=0, dtype=torch.float64):
    g = torch.Generator().manual_seed(seed)
    return _f32(torch.rand(E, A, generator=g, dtype=dtype) * 0.9 + 0.05)


def _batch(B=6, seed=0, dtype=torch.float64, missing=0.0):
    g = torch.Generator().manual_seed(seed)
    au_logits = torch.randn(B, A, generator=g, dtype=dtype) * 2
    expr_logits = torch.randn(B, E, generator=g, dtype=dtype) * 2
    labels = torch.randint(0, E, (B,), generator=g)
    aus = (torch.rand(B, A, generator=g) > 0.6).to(dtype)
    if missing:
        drop = torch.rand(B, A, generator=g) < missing
        aus = torch.where(drop, torch.full_like(aus, -1.0), aus)
    return au_logits, expr_logits, labels, aus


# ------------------------------------------------------------------------------------------
# Every loss, in one table: (name, functional(au, ex, labels, aus), module, module call)


def _cases():
    W = _prior(1)
    P_glob = _f32(torch.rand(A, dtype=torch.float64, generator=torch.Generator().manual_seed(2)) * 5 + 0.2)
    P_dist = _f32(torch.rand(E, A, dtype=torch.float64, generator=torch.Generator().manual_seed(3)) * 5 + 0.2)
    cls_w = _f32(torch.linspace(0.5, 2.0, E, dtype=torch.float64))
    au_w = _f32(torch.linspace(0.3, 3.0, A, dtype=torch.float64))
    return [
        ("au_global", lambda au, ex, y, t: L.au_loss(au, t, y, W, pos_weight=P_glob),
         L.AULoss(W, pos_weight=P_glob).double(), lambda m, au, ex, y, t: m(au, t, y)),
        ("au_distinct", lambda au, ex, y, t: L.au_loss(au, t, y, W, pos_weight=P_dist),
         L.AULoss(W, pos_weight=P_dist).double(), lambda m, au, ex, y, t: m(au, t, y)),
        ("au_dfer", lambda au, ex, y, t: L.au_dfer_loss(ex, au, y, t, W, class_weight=cls_w, label_smoothing=0.1),
         L.AUDFERLoss(W, class_weight=cls_w, label_smoothing=0.1).double(),
         lambda m, au, ex, y, t: m(ex, au, y, t)),
        ("ial", lambda au, ex, y, t: L.intensity_aware_loss(ex, y, class_weight=cls_w),
         L.IntensityAwareLoss(cls_w).double(), lambda m, au, ex, y, t: m(ex, y)),
        ("smooth", lambda au, ex, y, t: L.smooth_weighted_loss(au, t, au_w, label_smoothing=0.1),
         L.SmoothWeightedLoss(au_w, label_smoothing=0.1).double(), lambda m, au, ex, y, t: m(au, t)),
        ("consistency_kl", lambda au, ex, y, t: L.prior_consistency_loss(ex, au, W, expr_labels=y, au_targets=t,
                                                                         temperature=2.0),
         L.PriorConsistencyLoss(W, temperature=2.0).double(), lambda m, au, ex, y, t: m(ex, au, y, t)),
        # no AU targets: soft prior targets everywhere (with labels; without them the targets come
        # from the detached head posterior, a stop-gradient that gradcheck cannot see)
        ("consistency_ce", lambda au, ex, y, t: L.prior_consistency_loss(ex, au, W, expr_labels=y, divergence="ce",
                                                                         class_prior=torch.full((E,), 1 / E)),
         L.PriorConsistencyLoss(W, divergence="ce", class_prior=torch.full((E,), 1 / E)).double(),
         lambda m, au, ex, y, t: m(ex, au, y)),
    ]


CASES = _cases()
IDS = [c[0] for c in CASES]


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_gradcheck_float64(case):
    name, fn, _, _ = case
    uses_au, uses_ex = not name.startswith("ial"), name.startswith(("ial", "au_dfer", "consistency"))

    def check(B, seed, **kw):
        au, ex, y, t = _batch(B=B, seed=seed, missing=0.25)
        inputs = tuple(x.requires_grad_(True) for x, used in ((au, uses_au), (ex, uses_ex)) if used)

        def f(*xs):
            xs = list(xs)
            return fn(xs.pop(0) if uses_au else au, xs.pop(0) if uses_ex else ex, y, t)
        assert torch.autograd.gradcheck(f, inputs, eps=1e-6, atol=1e-5, **kw)

    check(2, 5)                      # full Jacobian
    check(16, 6, fast_mode=True)     # random projections of the Jacobian, larger batch


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_functional_equals_module(case):
    _, fn, mod, call = case
    for seed in range(3):
        au, ex, y, t = _batch(B=9, seed=seed, missing=0.15)
        torch.testing.assert_close(fn(au, ex, y, t), call(mod, au, ex, y, t), rtol=1e-9, atol=1e-9)


@contextlib.contextmanager
def cpu_autocast(dtype: torch.dtype):
    """``torch.autocast("cpu", dtype)`` that is known to compute in ``dtype``, else a skip.

    Some builds warn and switch CPU autocast off, or refuse to enter it (torch 2.1 for fp16);
    tests that claim mixed precision would then run in fp32 and test nothing. A probe matmul
    must come back in ``dtype`` inside the region.
    """
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ctx = torch.autocast("cpu", dtype=dtype)
    why = [str(w.message) for w in caught]
    try:
        ctx.__enter__()
    except RuntimeError as exc:  # torch 2.1 for fp16: "AutocastCPU only support Bfloat16"
        why.append(str(exc))
        ctx.__exit__(None, None, None)  # restore the autocast state __enter__ had begun to set
        pytest.skip(f"torch {torch.__version__}: CPU autocast does not compute in {dtype} ({'; '.join(why)})")
    try:
        probe = torch.ones(2, 2) @ torch.ones(2, 2)
        if probe.dtype != dtype:
            why.append(f"a matmul gave {probe.dtype}")
            pytest.skip(f"torch {torch.__version__}: CPU autocast does not compute in {dtype} "
                        f"({'; '.join(why)})")
        yield
    finally:
        ctx.__exit__(None, None, None)


def test_cpu_autocast_helper_checks_the_dtype():
    # the helper must really be in bf16 (CPU's native autocast mode on every supported torch)
    with cpu_autocast(torch.bfloat16):
        assert (torch.ones(3, 3) @ torch.ones(3, 3)).dtype == torch.bfloat16
    assert (torch.ones(3, 3) @ torch.ones(3, 3)).dtype == torch.float32  # and off again after
    # a dtype CPU autocast does not compute in (torch disables the region): skipped, not passed
    with pytest.raises(pytest.skip.Exception, match="does not compute in torch.float64"):
        with cpu_autocast(torch.float64):
            pass


@pytest.mark.parametrize("case", CASES, ids=IDS)
@pytest.mark.parametrize("half", [torch.bfloat16, torch.float16])
def test_mixed_precision_large_logits_finite(case, half):
    _, fn, mod, call = case
    mod = mod.float()
    au, ex, y, t = _batch(B=8, seed=11, dtype=torch.float32, missing=0.2)
    for sign in (1.0, -1.0):
        au_h = (au.sign() * 1e4 * sign).to(half).requires_grad_(True)
        ex_h = (ex.sign() * 1e4 * sign).to(half).requires_grad_(True)
        with cpu_autocast(half):  # a region that computes in `half` (or a skip saying why not)
            out_f = fn(au_h, ex_h, y, t)
            out_m = call(mod, au_h, ex_h, y, t)
        assert out_f.dtype == torch.float32 and torch.isfinite(out_f)
        torch.testing.assert_close(out_f, out_m)
        g_au, g_ex = torch.autograd.grad(out_f, (au_h, ex_h), allow_unused=True, materialize_grads=True)
        assert g_au.dtype == half and g_ex.dtype == half  # gradients flow back in half precision
        assert torch.isfinite(g_au).all() and torch.isfinite(g_ex).all()


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_batch_size_one_and_all_missing(case):
    _, fn, mod, call = case
    au, ex, y, t = _batch(B=1, seed=3)
    au.requires_grad_(True)
    ex.requires_grad_(True)
    out = fn(au, ex, y, t)
    assert out.dim() == 0 and torch.isfinite(out)
    out.backward()
    # every AU target missing (NaN and -1 mixed): finite, and the AU-only losses are exactly 0
    au, ex, y, t = _batch(B=5, seed=4)
    t = torch.full_like(t, float("nan"))
    t[::2] = -1.0
    au.requires_grad_(True)
    ex.requires_grad_(True)
    out = fn(au, ex, y, t)
    assert torch.isfinite(out)
    g_au, g_ex = torch.autograd.grad(out, (au, ex), allow_unused=True, materialize_grads=True)
    assert torch.isfinite(g_au).all() and torch.isfinite(g_ex).all()
    if case[0] in ("au_global", "au_distinct", "smooth"):
        assert out.item() == 0.0 and (g_au == 0).all()


def test_modules_state_dict_to_and_duck_typed_prior():
    W = _prior(7, dtype=torch.float32)

    class FakePriorMatrix:  # what auknow.compile.PriorMatrix offers: .tensor(device, dtype)
        values = W.numpy()
        expressions = tuple(f"e{i}" for i in range(E))
        aus = tuple(f"AU{i:02d}" for i in range(A))

        def tensor(self, device=None, dtype=None):
            return torch.as_tensor(self.values, device=device, dtype=dtype)

    pm = FakePriorMatrix()
    au, ex, y, t = _batch(B=5, seed=1, dtype=torch.float32)
    for cls, call in [(L.AULoss, lambda m: m(au, t, y)), (L.PriorConsistencyLoss, lambda m: m(ex, au, y, t))]:
        a, b = cls(pm), cls(W)
        torch.testing.assert_close(call(a), call(b))
        assert a.expressions == pm.expressions and a.aus == pm.aus
        c = cls(torch.zeros(E, A))
        c.load_state_dict(a.state_dict())
        torch.testing.assert_close(call(c), call(a))
        assert all(v.dtype == torch.float64 for v in a.double().state_dict().values() if isinstance(v, torch.Tensor))
    # functional forms take the duck-typed prior and NumPy arrays too
    torch.testing.assert_close(L.au_loss(au, t, y, pm), L.au_loss(au, t, y, W))
    torch.testing.assert_close(L.au_loss(au, t, y, W.numpy()), L.au_loss(au, t, y, W))


def test_torch_compile_fullgraph():
    W = _prior(2, dtype=torch.float32)
    au, ex, y, t = _batch(B=6, seed=2, dtype=torch.float32, missing=0.2)
    # AULoss, IntensityAwareLoss and PriorConsistencyLoss are compiled inside PriorHead too (test_heads.py)
    mods = [(L.AUDFERLoss(W, pos_weight=torch.ones(E, A)), lambda m: m(ex, au, y, t)),
            (L.IntensityAwareLoss(torch.ones(E)), lambda m: m(ex, y)),
            (L.SmoothWeightedLoss(torch.ones(A), label_smoothing=0.1), lambda m: m(au, t)),
            (L.PriorConsistencyLoss(W, temperature=2.0, detach="au"), lambda m: m(ex, au, None, t))]
    for mod, call in mods:
        compiled = torch.compile(mod, backend="eager", fullgraph=True)
        torch.testing.assert_close(call(compiled), call(mod))
    torch._dynamo.reset()


# ------------------------------------------------------------------------------------------
# AU loss (AU-DFER)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("seed", range(4))
def test_au_loss_equals_reference_bce_with_logits(dtype, seed):
    au, _, y, t = _batch(B=16, seed=seed, dtype=dtype)
    W = _prior(seed, dtype=dtype)
    g = torch.Generator().manual_seed(100 + seed)
    P_glob = (torch.rand(A, generator=g, dtype=torch.float64) * 10 + 0.1).to(dtype)
    P_dist = (torch.rand(E, A, generator=g, dtype=torch.float64) * 10 + 0.1).to(dtype)
    scale = 5.0
    # the reference builds the criterion per batch: weight = scale * W[e] [B, A]; pos_weight (A,) or (B, A)
    ref_g = torch.nn.BCEWithLogitsLoss(weight=scale * W[y], pos_weight=P_glob)(au, t)
    ref_d = torch.nn.BCEWithLogitsLoss(weight=scale * W[y], pos_weight=P_dist[y])(au, t)
    ref_plain = torch.nn.BCEWithLogitsLoss(weight=scale * W[y])(au, t)
    assert abs(L.au_loss(au, t, y, W, scale=scale, pos_weight=P_glob).item() - ref_g.item()) < 1e-6
    assert abs(L.au_loss(au, t, y, W, scale=scale, pos_weight=P_dist).item() - ref_d.item()) < 1e-6
    assert abs(L.au_loss(au, t, y, W, scale=scale).item() - ref_plain.item()) < 1e-6
    mod = L.AULoss(W, scale=scale, pos_weight=P_dist).to(dtype)
    assert abs(mod(au, t, y).item() - ref_d.item()) < 1e-6
    per = L.au_loss(au, t, y, W, pos_weight=P_dist, reduction="none")
    ref_per = torch.nn.BCEWithLogitsLoss(weight=scale * W[y], pos_weight=P_dist[y], reduction="none")(au, t)
    torch.testing.assert_close(per, ref_per)


def test_au_loss_invariances():
    au, _, y, t = _batch(B=12, seed=9)
    plain = F.binary_cross_entropy_with_logits(au, t)
    ones = torch.ones(E, A, dtype=torch.float64)
    # uniform prior of 1, scale 1 and pos_weight 1 (None or explicit ones) is plain BCE
    torch.testing.assert_close(L.au_loss(au, t, y, ones, scale=1.0), plain)
    torch.testing.assert_close(L.au_loss(au, t, y, ones, scale=1.0, pos_weight=torch.ones(A)), plain)
    torch.testing.assert_close(L.au_loss(au, t, y, ones, scale=1.0, pos_weight=torch.ones(E, A)), plain)
    # a uniform prior c with scale s multiplies BCE by c * s; the labels then do not matter
    torch.testing.assert_close(L.au_loss(au, t, y, 0.3 * ones, scale=5.0), 1.5 * plain)
    torch.testing.assert_close(L.au_loss(au, t, (y + 1) % E, 0.3 * ones, scale=5.0), 1.5 * plain)
    # soft one-hot labels equal hard labels; unknown labels (-100) give weight-1 rows
    W = _prior(3)
    hard = L.au_loss(au, t, y, W, pos_weight=torch.rand(E, A, dtype=torch.float64) + 0.5)
    torch.manual_seed(0)
    Pd = torch.rand(E, A, dtype=torch.float64) + 0.5
    torch.testing.assert_close(L.au_loss(au, t, F.one_hot(y, E).double(), W, pos_weight=Pd),
                               L.au_loss(au, t, y, W, pos_weight=Pd))
    assert torch.isfinite(hard)
    unknown = torch.full_like(y, -100)
    torch.testing.assert_close(L.au_loss(au, t, unknown, W, pos_weight=Pd), plain)


def test_au_loss_missing_targets_masked_out():
    au, _, y, t = _batch(B=10, seed=6)
    W = _prior(6)
    P = torch.rand(A, dtype=torch.float64) * 4 + 0.5
    drop = torch.rand(10, A, generator=torch.Generator().manual_seed(1)) < 0.3
    t_nan = torch.where(drop, torch.full_like(t, float("nan")), t)
    t_neg = torch.where(drop, torch.full_like(t, -1.0), t)
    ref_per = torch.nn.BCEWithLogitsLoss(weight=5 * W[y], pos_weight=P, reduction="none")(au, t)
    ref = ref_per[~drop].mean()
    for tt in (t_nan, t_neg):
        torch.testing.assert_close(L.au_loss(au, tt, y, W, pos_weight=P), ref)
        torch.testing.assert_close(L.au_loss(au, tt, y, W, pos_weight=P, reduction="sum"), ref_per[~drop].sum())
        none = L.au_loss(au, tt, y, W, pos_weight=P, reduction="none")
        assert (none[drop] == 0).all()


def test_au_loss_errors():
    au, ex, y, t = _batch(B=4)
    W = _prior()
    with pytest.raises(ValueError, match="au_targets"):
        L.au_loss(au, t[:, :5], y, W)
    with pytest.raises(ValueError, match="prior"):
        L.au_loss(au, t, y, W[:, :5])
    with pytest.raises(ValueError, match="pos_weight"):
        L.au_loss(au, t, y, W, pos_weight=torch.ones(3))
    with pytest.raises(ValueError, match="non-negative"):
        L.AULoss(-W)
    with pytest.raises(ValueError, match="au_loss_weight"):
        L.au_dfer_loss(ex, au, y, t, W, au_loss_weight=1.5)
    with pytest.raises(ValueError, match="reduction"):
        L.AULoss(W, reduction="avg")


def test_au_dfer_total_equals_reference_composition():
    au, ex, y, t = _batch(B=16, seed=2)
    W = _prior(2)
    P = torch.rand(A, dtype=torch.float64) * 3 + 0.5
    alpha = 0.25
    ref = (1 - alpha) * torch.nn.CrossEntropyLoss()(ex, y) + \
        alpha * torch.nn.BCEWithLogitsLoss(weight=5 * W[y], pos_weight=P)(au, t)
    torch.testing.assert_close(L.au_dfer_loss(ex, au, y, t, W, au_loss_weight=alpha, pos_weight=P), ref)
    torch.testing.assert_close(L.AUDFERLoss(W, pos_weight=P).double()(ex, au, y, t), ref)
    # CE with class weights and label smoothing is torch's, also with an unknown label in the batch
    cls_w = torch.linspace(0.2, 3, E, dtype=torch.float64)
    y2 = y.clone()
    y2[0] = -100
    ref_ce = torch.nn.CrossEntropyLoss(weight=cls_w, label_smoothing=0.1)(ex, y2)
    torch.testing.assert_close(L.expression_cross_entropy(ex, y2, class_weight=cls_w, label_smoothing=0.1), ref_ce)
    # every expression label unknown: 0, not NaN
    assert L.expression_cross_entropy(ex, torch.full_like(y, -100)).item() == 0.0


def test_pos_weight_strategies_from_data():
    rng = np.random.default_rng(0)
    # DFEW single-label class counts (union of the 5 folds, IAL annotation files), as given in
    # the project's research notes (dfer_seeds.md section 1.2): hap, sad, neu, ang, sur, dis, fea.
    counts = [2445, 1894, 2669, 2173, 1469, 145, 902]
    labels = np.repeat(np.arange(7), counts)
    rates = rng.uniform(0.05, 0.6, size=(7, 5))
    aus = (rng.random((labels.size, 5)) < rates[labels]).astype(float)
    aus[rng.random(aus.shape) < 0.05] = -1  # missing entries are not counted
    valid = aus >= 0

    def nb(mask):
        k = ((aus == 1) & mask[:, None]).sum(0)
        n = (valid & mask[:, None]).sum(0)
        return (n - k) / k

    glob = L.pos_weight_from_data(aus, strategy="global", dtype=torch.float64)
    np.testing.assert_allclose(glob.numpy(), nb(np.ones(labels.size, bool)), rtol=1e-12)
    dist = L.pos_weight_from_data(aus, labels, strategy="distinct", dtype=torch.float64)
    assert dist.shape == (7, 5)
    for e in range(7):
        np.testing.assert_allclose(dist[e].numpy(), nb(labels == e), rtol=1e-12)
    minor = L.pos_weight_from_data(aus, labels, strategy="minor", dtype=torch.float64)
    # default minor classes: below the uniform share N / E -> surprise, disgust, fear (AU-DFER's set)
    for e in range(7):
        expect = dist[e] if e in (4, 5, 6) else torch.ones(5, dtype=torch.float64)
        torch.testing.assert_close(minor[e], expect)
    explicit = L.pos_weight_from_data(aus, labels, strategy="minor", minor=[5], dtype=torch.float64)
    torch.testing.assert_close(explicit[5], dist[5])
    torch.testing.assert_close(explicit[4], torch.ones(5, dtype=torch.float64))
    assert L.pos_weight_from_data(aus, labels, strategy="distinct", max_pos_weight=2.0).max() <= 2.0


def test_pos_weight_guards():
    # AU 0 never present, AU 1 always present, AU 2 never labelled; class 2 empty
    t = torch.tensor([[0, 1, -1, 1], [0, 1, -1, 0], [0, 1, -1, 0], [0, 1, -1, 1]], dtype=torch.float64)
    y = torch.tensor([0, 0, 1, 1])
    g = L.pos_weight_from_data(t, strategy="global", dtype=torch.float64)
    torch.testing.assert_close(g, torch.tensor([1.0, 1.0, 1.0, 1.0], dtype=torch.float64))
    d = L.pos_weight_from_data(t, y, strategy="distinct", num_expressions=3, dtype=torch.float64)
    assert torch.isfinite(d).all()
    torch.testing.assert_close(d[2], g)  # empty class -> global row
    # smoothing: p = (k + s) / (n + 2 s)
    s = L.pos_weight_from_data(t, strategy="global", smoothing=0.5, dtype=torch.float64)
    torch.testing.assert_close(s[0], torch.tensor(4.5 / 0.5, dtype=torch.float64))
    torch.testing.assert_close(s[1], torch.tensor(0.5 / 4.5, dtype=torch.float64))
    with pytest.raises(ValueError, match="expr_labels"):
        L.pos_weight_from_data(t, strategy="distinct")
    with pytest.raises(ValueError, match="strategy"):
        L.pos_weight_from_data(t, y, strategy="median")
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        L.pos_weight_from_data(t * 3)


def test_clip_au_targets_majority_vote_and_empty_clips():
    nan = float("nan")
    frames = torch.tensor([
        [[1, 0, 1], [1, 0, nan], [0, 1, 0], [0, 0, -1]],    # AU0 2/4 -> 1 (>= half), AU1 1/4 -> 0, AU2 1/2 -> 1
        [[nan, nan, nan], [-1, -1, -1], [nan, -1, nan], [-1, nan, -1]],  # no valid frame: missing
    ])
    y = L.clip_au_targets(frames)
    torch.testing.assert_close(y[0], torch.tensor([1.0, 0.0, 1.0]))
    assert torch.isnan(y[1]).all()
    # a frame mask (padding) drops frames; an all-padding clip is missing
    mask = torch.tensor([[True, True, False, False], [False] * 4])
    y = L.clip_au_targets(frames, frame_mask=mask)
    torch.testing.assert_close(y[0], torch.tensor([1.0, 0.0, 1.0]))
    assert torch.isnan(y[1]).all()
    # frame_threshold binarises detector intensities (M3DFEL: >= 0.01)
    soft = torch.tensor([[[0.02, 0.0], [0.005, 0.3], [0.5, 0.0]]])
    torch.testing.assert_close(L.clip_au_targets(soft, frame_threshold=0.01), torch.tensor([[1.0, 0.0]]))
    # the clip targets feed the AU loss directly: the empty clip counts for nothing
    au = torch.randn(2, 3, dtype=torch.float64)
    t = L.clip_au_targets(frames).double()
    W = torch.ones(1, 3, dtype=torch.float64)
    ref = F.binary_cross_entropy_with_logits(au[0], t[0])
    torch.testing.assert_close(L.au_loss(au, t, torch.zeros(2, dtype=torch.long), W, scale=1.0), ref)


# ------------------------------------------------------------------------------------------
# IAL


def _ial_reference(z, y):
    """The reference code's form (float64 masks): argmax over z + onehot(y) * -99999, then CE of
    the logits with every class but y and j masked by -9999."""
    oh_y = F.one_hot(y, z.shape[1]).double()
    j = (z + oh_y * -99999).argmax(1)
    oh_j = F.one_hot(j, z.shape[1]).double()
    return F.cross_entropy(z - 9999 * (1 - oh_y - oh_j), y)


@pytest.mark.parametrize("seed", range(4))
def test_ial_equals_reference(seed):
    _, z, y, _ = _batch(B=20, seed=seed)
    ref = _ial_reference(z, y)
    assert abs(L.intensity_aware_loss(z, y).item() - ref.item()) < 1e-6
    assert abs(L.IntensityAwareLoss()(z.float(), y).item() - ref.item()) < 1e-5
    j = L.most_confusing_class(z, y)
    zz = z.clone()
    zz[torch.arange(20), y] = -float("inf")
    assert torch.equal(j, zz.argmax(1))
    # explicit form
    per = F.softplus(z.gather(1, j[:, None]) - z.gather(1, y[:, None])).squeeze(1)
    torch.testing.assert_close(L.intensity_aware_loss(z, y, reduction="none"), per)


def test_ial_invariances_weights_ignore():
    _, z, y, _ = _batch(B=12, seed=3)
    base = L.intensity_aware_loss(z, y)
    torch.testing.assert_close(L.intensity_aware_loss(z + 123.0, y), base)  # shift invariance
    # two classes: IAL is exactly the cross-entropy
    z2 = z[:, :2]
    y2 = y % 2
    torch.testing.assert_close(L.intensity_aware_loss(z2, y2), F.cross_entropy(z2, y2))
    # class weights: weighted mean like CE; uniform weights change nothing
    w = torch.linspace(0.1, 2.0, E, dtype=torch.float64)
    per = L.intensity_aware_loss(z, y, reduction="none")
    torch.testing.assert_close(L.intensity_aware_loss(z, y, class_weight=w), (w[y] * per).sum() / w[y].sum())
    torch.testing.assert_close(L.intensity_aware_loss(z, y, class_weight=torch.full((E,), 3.0, dtype=torch.float64)), base)
    # ignored labels
    y_ign = y.clone()
    y_ign[:4] = -100
    torch.testing.assert_close(L.intensity_aware_loss(z, y_ign), per[4:].mean())
    assert L.intensity_aware_loss(z, torch.full_like(y, -100)).item() == 0.0
    # an empty class (never the target) is still a valid competitor
    y_no0 = torch.where(y == 0, torch.ones_like(y), y)
    assert torch.isfinite(L.intensity_aware_loss(z, y_no0))
    with pytest.raises(ValueError, match="2 classes"):
        L.intensity_aware_loss(z[:, :1], torch.zeros_like(y))
    with pytest.raises(ValueError, match="integer"):
        L.intensity_aware_loss(z, F.one_hot(y, E).double())


def test_ial_half_precision_exact():
    # the reference's -99999 is -inf in fp16; here the masked max stays exact in half precision
    z = torch.tensor([[3e4, -3e4, 1e4], [-6e4, 6e4, 6e4]], dtype=torch.float16, requires_grad=True)
    y = torch.tensor([0, 1])
    per = L.intensity_aware_loss(z, y, reduction="none")
    expect = F.softplus(torch.tensor([1e4 - 3e4, 0.0], dtype=torch.float32))
    torch.testing.assert_close(per, expect, rtol=1e-3, atol=1e-3)
    per.sum().backward()
    assert z.grad.dtype == torch.float16 and torch.isfinite(z.grad).all()


# ------------------------------------------------------------------------------------------
# Smooth class-weighted loss and class weights


def test_smooth_weights_reproduce_jaanet_megraphau():
    rng = np.random.default_rng(3)
    r = rng.uniform(0.02, 0.6, size=12)
    w = cw.inverse_frequency_weights(r * 1000, np.full(12, 1000.0), dtype=torch.float64)
    np.testing.assert_allclose(w.numpy(), 12 * (1 / r) / (1 / r).sum(), rtol=1e-12)
    # ME-GraphAU BP4D fold-1 weights (CVI-SZU/ME-GraphAU, data/BP4D/list/BP4D_train_weight_fold1.txt,
    # as quoted in the project's research notes au_seeds.md section 1.3); rates proportional to 1/w
    # give the same weights back (they sum to 12).
    me = np.array([1.342985, 1.689665, 1.248091, 0.561356, 0.433044, 0.435894, 0.457287, 0.541004,
                   1.408054, 0.722762, 1.493145, 1.666711])
    rates = (1 / me) / (1 / me).max() * 0.5
    back = L.au_weights_from_data(_targets_with_rates(rates), power=1.0, dtype=torch.float64)
    np.testing.assert_allclose(back.numpy(), me * 12 / me.sum(), rtol=2e-3)
    assert abs(me.sum() - 12) < 1e-5


def _targets_with_rates(rates, n=2000):
    k = np.round(np.asarray(rates) * n).astype(int)
    t = np.zeros((n, len(rates)))
    for i, kk in enumerate(k):
        t[:kk, i] = 1
    return t


def test_smooth_weights_compress_rare_aus():
    t = _targets_with_rates([0.5, 0.005])  # a 100x rarer AU
    w1 = L.au_weights_from_data(t, power=1.0, dtype=torch.float64)
    wh = L.au_weights_from_data(t, power=0.5, dtype=torch.float64)
    w0 = L.au_weights_from_data(t, power=0.0, dtype=torch.float64)
    assert w1[1] / w1[0] == pytest.approx(100.0)
    assert wh[1] / wh[0] == pytest.approx(10.0)
    torch.testing.assert_close(w0, torch.ones(2, dtype=torch.float64))
    for w in (w1, wh, w0):
        assert w.sum().item() == pytest.approx(2.0)
    wl = L.au_weights_from_data(t, method="log", dtype=torch.float64)
    raw = 1 / np.log(1.02 + np.array([0.5, 0.005]))
    np.testing.assert_allclose(wl.numpy(), 2 * raw / raw.sum())


def test_smooth_weighted_loss_formula():
    au, _, _, t = _batch(B=10, seed=8, missing=0.2)
    w = torch.rand(A, dtype=torch.float64) * 2
    eps = 0.1
    valid = t >= 0
    ts = torch.where(valid, t, 0) * (1 - eps) + eps / 2
    ref = (w * F.binary_cross_entropy_with_logits(au, ts, reduction="none"))[valid].mean()
    torch.testing.assert_close(L.smooth_weighted_loss(au, t, w, label_smoothing=eps), ref)
    # unit weights, no smoothing: plain BCE over the valid entries
    torch.testing.assert_close(L.smooth_weighted_loss(au, t), F.binary_cross_entropy_with_logits(au[valid], t[valid]))
    m = L.SmoothWeightedLoss.from_targets(torch.where(valid, t, -1.0))
    assert m.au_weight.shape == (A,) and torch.isfinite(m(au.float(), t.float()))


def test_class_weights_helpers():
    labels = torch.tensor([0, 0, 0, 1, 2, 2, -100])
    counts = L.class_counts(labels, 4)
    torch.testing.assert_close(counts, torch.tensor([3.0, 1.0, 2.0, 0.0], dtype=torch.float64))
    inv = L.inverse_frequency_weights(counts, dtype=torch.float64)
    present = torch.tensor([1 / 3, 1.0, 1 / 2], dtype=torch.float64)
    torch.testing.assert_close(inv[:3], 3 * present / present.sum())
    assert inv[3] == inv[:3].max()  # empty class: the largest weight (empty="max")
    assert L.inverse_frequency_weights(counts, empty="zero")[3] == 0
    # effective number, Cui et al. 2019: (1 - beta) / (1 - beta^n), normalized to sum to C
    beta = 0.99
    en = L.effective_number_weights(counts[:3], beta, dtype=torch.float64)
    raw = (1 - beta) / (1 - beta ** counts[:3])
    torch.testing.assert_close(en, 3 * raw / raw.sum())
    torch.testing.assert_close(L.effective_number_weights(counts[:3], 0.0, dtype=torch.float64),
                               torch.ones(3, dtype=torch.float64))
    near1 = L.effective_number_weights(torch.tensor([10.0, 1000.0]), 1 - 1e-9, dtype=torch.float64)
    torch.testing.assert_close(near1, L.inverse_frequency_weights(torch.tensor([10.0, 1000.0]), dtype=torch.float64),
                               rtol=1e-5, atol=0)
    sm = L.smoothed_weights(counts[:3], dtype=torch.float64)
    torch.testing.assert_close(sm, 3 * present.sqrt() / present.sqrt().sum())
    pos, lab = L.au_counts(torch.tensor([[1.0, -1.0], [0.0, float("nan")], [1.0, 1.0]]))
    torch.testing.assert_close(pos, torch.tensor([2.0, 1.0], dtype=torch.float64))
    torch.testing.assert_close(lab, torch.tensor([3.0, 1.0], dtype=torch.float64))
    torch.testing.assert_close(L.frequencies(pos, lab), torch.tensor([2 / 3, 1.0], dtype=torch.float64))
    # no statistics at all: ones
    torch.testing.assert_close(L.inverse_frequency_weights([0.0, 0.0]), torch.ones(2))
    with pytest.raises(ValueError, match="beta"):
        L.effective_number_weights(counts, 1.0)
    with pytest.raises(ValueError, match="non-negative"):
        L.inverse_frequency_weights([-1.0, 2.0])
    with pytest.raises(ValueError, match="out of range"):
        L.class_counts([0, 5], 3)
    # the weights plug into the CE and the AU terms
    _, ex, y, _ = _batch(B=8)
    assert torch.isfinite(L.expression_cross_entropy(ex, y, class_weight=L.smoothed_weights(
        L.class_counts(y, E), dtype=torch.float64)))


# ------------------------------------------------------------------------------------------
# Prior consistency


def test_implied_logits_are_naive_bayes():
    W = _prior(4)
    q = torch.rand(5, A, dtype=torch.float64)
    s = L.implied_expression_logits(q, W, eps=1e-12)
    ref = torch.zeros(5, E, dtype=torch.float64)
    for b in range(5):
        for e in range(E):
            ref[b, e] = sum(q[b, a] * math.log(W[e, a]) + (1 - q[b, a]) * math.log(1 - W[e, a]) for a in range(A))
    torch.testing.assert_close(s, ref)
    # binary AU evidence: softmax gives Bayes' rule P(e | y) = pi_e prod M^y (1-M)^(1-y) / Z
    y = (torch.rand(5, A) > 0.5).double()
    pi = torch.rand(E, dtype=torch.float64)
    pi = pi / pi.sum()
    lik = torch.stack([torch.prod(W ** y[b] * (1 - W) ** (1 - y[b]), dim=1) for b in range(5)]) * pi
    torch.testing.assert_close(torch.softmax(L.implied_expression_logits(y, W, class_prior=pi, eps=1e-12), 1),
                               lik / lik.sum(1, keepdim=True))


def test_prior_consistency_divergences_and_detach():
    W = _prior(5)
    au, ex, y, t = _batch(B=8, seed=5)
    T = 2.0
    # KL is 0 when the expression head equals the implied logits; >= 0 otherwise
    implied = L.implied_expression_logits(torch.sigmoid(au), W)
    zero = L.prior_consistency_loss(implied, au, W, soft_target_weight=0.0)
    assert abs(zero.item()) < 1e-12
    kl = L.prior_consistency_loss(ex, au, W, temperature=T, soft_target_weight=0.0)
    ce = L.prior_consistency_loss(ex, au, W, temperature=T, divergence="ce", soft_target_weight=0.0)
    p = torch.softmax(implied / T, 1)
    entropy = -(p * torch.log(p)).sum(1).mean()
    assert kl.item() > 0
    torch.testing.assert_close(ce - kl, T ** 2 * entropy)
    ref_kl = T ** 2 * F.kl_div(F.log_softmax(ex / T, 1), p, reduction="batchmean")
    torch.testing.assert_close(kl, ref_kl)
    for detach, frozen in (("au", "au"), ("expr", "ex")):
        a = au.clone().requires_grad_(True)
        e = ex.clone().requires_grad_(True)
        L.prior_consistency_loss(e, a, W, detach=detach, soft_target_weight=0.0).backward()
        g = a.grad if frozen == "au" else e.grad
        other = e.grad if frozen == "au" else a.grad
        assert g is None or (g == 0).all()
        assert other is not None and other.abs().sum() > 0


def test_prior_consistency_soft_targets_only_where_missing():
    W = _prior(6)
    au, ex, y, t = _batch(B=8, seed=6)
    D = L.prior_consistency_loss(ex, au, W, soft_target_weight=0.0)
    # every target present: no soft term
    torch.testing.assert_close(L.prior_consistency_loss(ex, au, W, expr_labels=y, au_targets=t), D)
    # none given: soft targets M[e] everywhere
    soft = F.binary_cross_entropy_with_logits(au, W[y])
    torch.testing.assert_close(L.prior_consistency_loss(ex, au, W, expr_labels=y, soft_target_weight=0.5),
                               D + 0.5 * soft)
    # some missing: only those entries
    miss = torch.rand(8, A, generator=torch.Generator().manual_seed(0)) < 0.4
    tm = torch.where(miss, torch.full_like(t, float("nan")), t)
    ref = F.binary_cross_entropy_with_logits(au, W[y], reduction="none")[miss].mean()
    torch.testing.assert_close(L.prior_consistency_loss(ex, au, W, expr_labels=y, au_targets=tm), D + ref)
    # no labels: the detached head posterior mixes the rows
    mix = torch.softmax(ex, 1) @ W
    torch.testing.assert_close(L.prior_consistency_loss(ex, au, W),
                               D + F.binary_cross_entropy_with_logits(au, mix))
    # unknown label (-100) behaves like no label for that sample
    y_unk = torch.full_like(y, -100)
    torch.testing.assert_close(L.prior_consistency_loss(ex, au, W, expr_labels=y_unk), L.prior_consistency_loss(ex, au, W))


def test_prior_consistency_errors_and_empty_class():
    W = _prior(1)
    au, ex, y, t = _batch(B=4)
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        L.PriorConsistencyLoss(W * 3)
    with pytest.raises(ValueError, match="temperature"):
        L.prior_consistency_loss(ex, au, W, temperature=0)
    with pytest.raises(ValueError, match="divergence"):
        L.PriorConsistencyLoss(W, divergence="js")
    with pytest.raises(ValueError, match="expr_logits"):
        L.prior_consistency_loss(ex[:, :3], au, W)
    # a prior row of zeros / ones (an expression with no AU evidence) stays finite
    W2 = W.clone()
    W2[0] = 0.0
    W2[1] = 1.0
    out = L.PriorConsistencyLoss(W2).double()(ex, au, y, t)
    assert torch.isfinite(out)
