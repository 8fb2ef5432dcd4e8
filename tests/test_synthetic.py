"""experiments.synthetic_world: the synthetic dynamic-expression generator (shapes, seeds, class frequencies,
AUs drawn from the prior, onset-apex-offset profiles, the majority rule, AU-local rendering)."""

from __future__ import annotations

import time

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from experiments.synthetic_world import (AU_LAYOUT, DFEW_CLASS_COUNTS, PRESETS, SyntheticDFER, au_layout, class_frequencies,
                              generate, majority_au_targets, resolve_prior, shuffle_prior_rows, train_test)

EXPR = ("happiness", "sadness", "surprise")


def _quiet(**kw):
    """Options that switch every nuisance off (a clean face)."""
    base = dict(noise_std=0.0, identity_strength=0.0, shift_std=0.0, jitter_std=0.0, illumination_std=0.0,
                geometry_std=0.0, expressivity_std=0.0)
    base.update(kw)
    return base


def test_shapes_dtypes_and_fields():
    d = generate(50, seed=1, render="both", num_frames=6, image_size=12, feature_dim=30, num_subjects=7)
    assert d.images.shape == (50, 6, 1, 12, 12) and d.images.dtype == np.float32
    assert d.features.shape == (50, 6, 30) and d.features.dtype == np.float32
    A = len(d.aus)
    assert d.aus == tuple(f"AU{n:02d}" for n in (1, 2, 4, 5, 6, 7, 9, 10, 12, 14, 15, 17, 20, 23, 25, 26, 28, 45))
    assert d.expressions == tuple(DFEW_CLASS_COUNTS)
    assert d.labels.shape == (50,) and d.labels.dtype == np.int64
    assert d.au_targets.shape == (50, A) and d.au_present.shape == (50, A)
    assert d.au_intensity.shape == (50, 6, A) and d.au_detections.shape == (50, 6, A)
    assert d.subjects.min() >= 0 and d.subjects.max() < 7
    assert d.prior.shape == (7, A) and np.isclose(d.class_freq.sum(), 1.0)
    assert np.isfinite(d.images).all() and np.isfinite(d.features).all()
    assert set(np.unique(d.au_targets)) <= {0.0, 1.0}
    assert len(d) == 50 and len(d.subset(np.arange(10))) == 10


def test_render_choice():
    assert generate(5, render="images").features is None
    assert generate(5, render="features").images is None
    with pytest.raises(ValueError, match="render"):
        generate(5, render="video")


def test_same_seed_same_clips_other_seed_other_clips():
    a = generate(40, seed=3, render="both")
    b = generate(40, seed=3, render="both")
    c = generate(40, seed=4, render="both")
    for name in ("images", "features", "labels", "au_targets", "au_intensity", "subjects"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))
    assert not np.array_equal(a.images, c.images)


def test_chunking_does_not_change_the_result():
    g = SyntheticDFER(seed=2, render="images")
    np.testing.assert_array_equal(g.sample(37, seed=5, chunk=8).images, g.sample(37, seed=5, chunk=512).images)


def test_dfew_imbalance_preset_class_counts():
    freq = PRESETS["dfew-imbalance"]["class_freq"]
    dis, fea = freq[5], freq[6]
    assert 0.011 < dis < 0.013  # disgust about 1.2 %
    assert 0.07 < fea < 0.085   # fear about 8 %
    d = generate(2000, seed=0, render="features")
    counts = d.class_counts()
    assert counts.sum() == 2000
    np.testing.assert_allclose(counts / 2000, freq, atol=1 / 2000)  # exact (largest-remainder) counts
    assert counts[5] == round(2000 * dis) or abs(counts[5] - 2000 * dis) < 1


def test_class_frequencies_forms_and_errors():
    np.testing.assert_allclose(class_frequencies(None, EXPR), [1 / 3] * 3)
    np.testing.assert_allclose(class_frequencies([2, 1, 1], EXPR), [0.5, 0.25, 0.25])
    np.testing.assert_allclose(class_frequencies({"happy": 3, "surprised": 1}, EXPR), [0.75, 0, 0.25])
    with pytest.raises(ValueError, match="expected 3"):
        class_frequencies([1, 1], EXPR)
    with pytest.raises(ValueError, match=">= 0"):
        class_frequencies([1, -1, 1], EXPR)
    with pytest.raises(ValueError, match="unknown preset"):
        class_frequencies("imbalanced", EXPR)
    with pytest.raises(ValueError, match="no frequency"):
        class_frequencies("dfew-imbalance", ("happiness", "contempt"))


def test_sampled_rates_follow_the_prior_and_random_counts_follow_the_frequencies():
    P = np.array([[0.9, 0.1, 0.5], [0.2, 0.7, 0.05], [0.5, 0.5, 0.95]])
    g = SyntheticDFER(P, preset=None, expressions=EXPR, aus=["AU01", "AU12", "AU26"], class_freq=[0.5, 0.3, 0.2],
                      render="features", exact_counts=False, seed=0)
    d = g.sample(12000, seed=1)
    np.testing.assert_allclose(d.class_counts() / 12000, [0.5, 0.3, 0.2], atol=0.02)
    for e in range(3):
        rate = d.au_present[d.labels == e].mean(0)
        np.testing.assert_allclose(rate, P[e], atol=0.03)
    # detections are noisy (10 % flips) but the majority targets mostly agree with the truth
    assert (d.au_targets == d.au_present).mean() > 0.9


def test_onset_apex_offset_profile():
    d = generate(300, seed=5, render="features", num_frames=12)
    I = d.au_intensity  # [N, T, A]
    assert (I >= 0).all()
    assert (I.transpose(0, 2, 1)[d.au_present == 0] == 0).all()  # absent AUs stay at 0 in every frame
    # every profile rises to its apex then falls: unimodal along time
    dif = np.sign(np.diff(I, axis=1))  # [N, T-1, A]
    for n, a in zip(*np.nonzero(d.au_present)):
        s = dif[n, :, a]
        s = s[s != 0]
        # once it has gone down it never goes up again
        if (s < 0).any():
            first_down = np.argmax(s < 0)
            assert (s[first_down:] <= 0).all()
    peak = I.max(1)
    assert (peak[d.au_present == 1] > 0).mean() > 0.99
    assert peak.max() < 2.5


def test_majority_rule():
    det = np.array([[[1, 0], [1, 0], [0, 1], [0, 0]]])  # [1, T=4, A=2]
    np.testing.assert_array_equal(majority_au_targets(det), [[1, 0]])  # 2/4 >= 0.5, 1/4 < 0.5
    np.testing.assert_array_equal(majority_au_targets(det, threshold=0.25), [[1, 1]])
    valid = np.array([[True, False, True, False]])  # frames 0 and 2: AU01 1/2, AU02 1/2
    np.testing.assert_array_equal(majority_au_targets(det, valid=valid), [[1, 1]])
    out = majority_au_targets(det, valid=np.zeros((1, 4), bool))
    assert np.isnan(out).all()  # no valid frame: missing, not all ones
    with pytest.raises(ValueError):
        majority_au_targets(det, threshold=0)
    with pytest.raises(ValueError):
        majority_au_targets(det, valid=np.ones((1, 3), bool))


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 9), st.integers(1, 5), st.integers(0, 2**31 - 1))
def test_majority_rule_matches_a_loop(T, A, seed):
    rng = np.random.default_rng(seed)
    det = rng.random((3, T, A)) < 0.5
    valid = rng.random((3, T)) < 0.7
    out = majority_au_targets(det, valid=valid)
    for n in range(3):
        k = valid[n].sum()
        for a in range(A):
            if k == 0:
                assert np.isnan(out[n, a])
            else:
                assert out[n, a] == float(det[n, valid[n], a].sum() >= 0.5 * k)


def test_generator_targets_are_the_majority_of_its_detections():
    d = generate(200, seed=9, render="features")
    np.testing.assert_array_equal(d.au_targets, majority_au_targets(d.au_detections))


def test_resolve_prior_from_tables_and_arrays():
    P, ex, au, info = resolve_prior("du2014", "dfew", "openface_c")
    assert ex[0] == "happiness" and "neutral" in ex and len(au) == 18
    assert info["mode"] == "binary" and info["floor"] == 0.05 and info["ceil"] == 0.9
    M = info["matrix"]
    np.testing.assert_allclose(P, 0.05 + 0.85 * M)
    assert (P[ex.index("neutral")] == 0.05).all()  # no table lists neutral: floor only
    assert P[ex.index("happiness"), au.index("AU12")] == pytest.approx(0.9)
    Q, _, _, qi = resolve_prior("au_dfer", "dfew", "openface_c")
    assert qi["mode"] == "quantified"
    np.testing.assert_allclose(Q, qi["matrix"])  # quantified values kept
    A, ex2, au2, _ = resolve_prior(np.eye(3) * 0.8, EXPR, ["AU01", "AU12", "AU26"])
    assert ex2 == EXPR and au2 == ("AU01", "AU12", "AU26")
    B, *_ = resolve_prior(np.eye(3), EXPR, ["AU01", "AU12", "AU26"], floor=0.1, ceil=0.7)
    np.testing.assert_allclose(B, 0.1 + 0.6 * np.eye(3))
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        resolve_prior(np.full((3, 3), 1.5), EXPR, ["AU01", "AU12", "AU26"])
    with pytest.raises(ValueError, match="named"):
        resolve_prior(np.eye(3), EXPR, ["AU01", "AU12"])
    with pytest.raises(ValueError, match="floor"):
        resolve_prior(np.eye(3), EXPR, ["AU01", "AU12", "AU26"], floor=0.5, ceil=0.4)


def test_prior_matrix_object_is_accepted():
    from auknow.compile import compile_matrix

    pm = compile_matrix("fig2002", mode="binary", expressions="basic6", aus="bp4d", fill="zero", missing="zero")
    g = SyntheticDFER(pm, preset=None, render="features", seed=0)
    assert g.expressions == pm.expressions and g.aus == pm.aus
    np.testing.assert_allclose(g.prior, 0.05 + 0.85 * pm.values)


def test_shuffle_prior_rows_is_a_derangement():
    P = np.arange(28, dtype=float).reshape(7, 4)
    for seed in range(20):
        W, perm = shuffle_prior_rows(P, seed)
        assert (perm != np.arange(7)).all()
        np.testing.assert_array_equal(W, P[perm])
        assert sorted(map(tuple, W)) == sorted(map(tuple, P))
    with pytest.raises(ValueError):
        shuffle_prior_rows(np.ones((1, 3)))


def test_train_test_subjects_are_disjoint():
    tr, te, g = train_test(60, 40, seed=2, render="features", num_subjects=30)
    assert not set(tr.subjects.tolist()) & set(te.subjects.tolist())
    assert len(set(te.info["subjects"])) <= 10
    with pytest.raises(ValueError, match="subject"):
        train_test(10, 10, seed=0, render="features", num_subjects=3, test_subject_fraction=0.01)


def test_au_patterns_are_local_to_their_face_region():
    """A clean face with only AU12 (lip corners) changes the lower face; only AU01 (inner brow)
    the upper face."""
    H = 24
    for au, lower in (("AU12", True), ("AU01", False)):
        P = np.array([[0.0], [1.0]])  # class 0: AU absent, class 1: AU present
        g = SyntheticDFER(P, preset=None, expressions=("neutral", "happiness"), aus=[au], class_freq=[1, 1],
                          image_size=H, num_frames=8, detector_flip=0.0, seed=0, **_quiet())
        d = g.sample(20, seed=0)
        on = d.images[d.labels == 1].mean((0, 1, 2))
        off = d.images[d.labels == 0].mean((0, 1, 2))
        diff = np.abs(on - off)
        top, bottom = diff[: H // 2].sum(), diff[H // 2:].sum()
        assert (bottom > 5 * top) if lower else (top > 5 * bottom), (au, top, bottom)


def test_layout_covers_openface_aus_and_places_unknown_ones_by_region():
    lay = au_layout(["AU01", "AU12", "AU13", "AU16"])
    assert lay.shape == (4, 6)
    assert lay[0, 0] < 0.5 and lay[1, 0] > 0.5
    for n in (1, 2, 4, 5, 6, 7, 9, 10, 12, 14, 15, 17, 20, 23, 25, 26, 28, 45):
        assert n in AU_LAYOUT
    other = au_layout(["AU08", "weird"])  # not hand-placed: seeded position, deterministic
    np.testing.assert_array_equal(other, au_layout(["AU08", "weird"]))
    assert ((other[:, 0] > 0) & (other[:, 0] < 1)).all()


def test_nuisance_and_identity_change_the_images():
    clean = SyntheticDFER(seed=0, **_quiet()).sample(30, seed=1).images
    noisy = SyntheticDFER(seed=0).sample(30, seed=1).images
    assert noisy.std() > clean.std()
    # identity: two subjects' neutral faces differ when identity effects are on
    g = SyntheticDFER(np.zeros((1, 1)), preset=None, expressions=("neutral",), aus=["AU12"], seed=0,
                      **_quiet(identity_strength=0.5, geometry_std=0.6))
    a = g.sample(3, subjects=[0], seed=0).images
    b = g.sample(3, subjects=[1], seed=0).images
    assert np.abs(a.mean(0) - b.mean(0)).mean() > 0.01
    np.testing.assert_allclose(a[0], a[1], atol=1e-6)  # same subject, no nuisance: same face


def test_bad_arguments():
    with pytest.raises(ValueError, match="preset"):
        SyntheticDFER(preset="afew")
    with pytest.raises(ValueError, match="num_frames"):
        SyntheticDFER(num_frames=1)
    with pytest.raises(ValueError, match="noise_std"):
        SyntheticDFER(noise_std=-1)
    with pytest.raises(ValueError, match="detector_flip"):
        SyntheticDFER(detector_flip=0.7)
    g = SyntheticDFER(num_subjects=5, render="features")
    with pytest.raises(ValueError, match="subjects"):
        g.sample(3, subjects=[7])
    with pytest.raises(ValueError, match="n"):
        g.sample(0)


def test_fast_enough():
    t = time.perf_counter()
    d = generate(2000, seed=0, render="images")
    assert d.images.shape[0] == 2000
    assert time.perf_counter() - t < 20.0  # about 1 s on an idle 2-core CPU
