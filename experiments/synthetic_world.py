r"""Synthetic dynamic facial expressions whose AUs follow a knowledge prior (a controlled benchmark).

Real DFER data (DFEW, FERV39K) cannot be shipped or run on a CPU in minutes, and its ground
truth AUs are unknown. This module generates clips whose generative process is known exactly,
so that "does AU knowledge help?" can be asked with the right controls. The full description,
with the formulas and every default, is in ``docs/synthetic.md``. In short, for clip ``n``:

1. **expression** ``y_n ~ Categorical(pi)``; ``pi`` from a preset (``"dfew-imbalance"``: DFEW's
   class proportions, disgust 1.2 %, fear 7.7 %) or given; with ``exact_counts`` the class
   counts are the proportional ones (largest remainder) in shuffled order;
2. **subject** ``s_n`` uniform over the subject ids asked for (train and test use disjoint ids);
3. **AUs present** ``z_na ~ Bernoulli(P[y_n, a])``, ``P = P(AU | expression)`` compiled from a
   knowledge table (which one is a parameter) or given as an ``[E, A]`` array;
4. **onset-apex-offset profile** per clip (start, onset, apex and offset durations drawn as
   fractions of T) with a per-AU jitter of the start, ``r_nta in [0, 1]``, piecewise linear;
5. **intensity** ``I_nta = z_na * peak_na * g_s * r_nta`` (peak ~ U(0.5, 1), subject
   expressivity ``g_s`` log-normal);
6. **detections** (an OpenFace-like detector): per frame ``d_nta = [I_nta > 0.2] XOR flip``
   (flip with probability ``detector_flip``), and the per-clip **AU targets** by AU-DFER's
   majority rule ``y_na = [mean_t d_nta >= 0.5]``;
7. **rendering** into small grey images ``[N, T, 1, H, W]`` and/or frame features ``[N, T, D]``:
   each AU is one or two (bilateral) anisotropic Gaussian blobs placed on a schematic face by its
   FACS region (upper face: brows / eyes; lower face: nose / mouth / chin; the region comes from
   :func:`auknow.facs.codes`), over a subject-specific face (template landmarks, a geometry offset
   and a smooth identity texture), moved by a per-clip head shift and per-frame jitter, with
   per-clip brightness, contrast and an illumination gradient, and pixel noise. Features use the
   same activity with AU patterns confined to their face region's block of dimensions.

Everything is drawn from ``numpy.random.Generator`` seeded by the caller; a generator built
with the same arguments and seed gives bit-identical clips. Generation is vectorised over
clips, frames and AUs (no Python loop over clips) and renders in chunks to bound memory.

Source of the layout: a schematic, hand-placed face (positions follow the FACS 2002 descriptions
of where each AU acts, e.g. AU01 inner brow, AU12 lip corners); it is **not** measured from faces.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Sequence

import numpy as np

from .synthetic_face import AU_LAYOUT, TEMPLATE_PARTS, au_layout, upsample_bilinear
from .synthetic_knowledge import (DFEW_CLASS_COUNTS, PRESETS, class_frequencies, resolve_prior,
                                  shuffle_prior_rows)

__all__ = [
    "DFEW_CLASS_COUNTS",
    "PRESETS",
    "AU_LAYOUT",
    "SyntheticClips",
    "SyntheticDFER",
    "class_frequencies",
    "resolve_prior",
    "shuffle_prior_rows",
    "majority_au_targets",
    "au_layout",
    "generate",
    "train_test",
]


def majority_au_targets(detections: np.ndarray, threshold: float = 0.5,
                        valid: np.ndarray | None = None) -> np.ndarray:
    """Per-clip AU targets from per-frame detections by AU-DFER's majority rule.

    ``y_a = 1`` iff the AU is detected in at least ``threshold`` of the clip's valid frames
    (AU-DFER: ``sum_t a_ta >= n / 2``). A clip with no valid frame gets NaN (missing), not the
    reference code's all-ones vector.

    Args:
        detections: ``[..., T, A]`` 0/1 (or bool).
        threshold: fraction in ``(0, 1]``.
        valid: optional bool ``[..., T]`` (False: no face / frame not usable).

    Returns:
        float32 ``[..., A]`` with 0, 1 or NaN.

    Raises:
        ValueError: bad threshold or shapes.
    """
    if not 0.0 < threshold <= 1.0:
        raise ValueError(f"threshold: expected 0 < threshold <= 1, got {threshold}")
    d = np.asarray(detections, dtype=np.float64)
    if d.ndim < 2:
        raise ValueError(f"detections: expected [..., T, A], got shape {d.shape}")
    if valid is None:
        m = np.ones(d.shape[:-1], dtype=bool)
    else:
        m = np.asarray(valid, dtype=bool)
        if m.shape != d.shape[:-1]:
            raise ValueError(f"valid: expected shape {d.shape[:-1]}, got {m.shape}")
    n = m.sum(-1)[..., None]
    k = (d * m[..., None]).sum(-2)
    with np.errstate(invalid="ignore"):
        y = (k >= threshold * n).astype(np.float32)
    y[np.broadcast_to(n == 0, y.shape)] = np.nan
    return y


@dataclass
class SyntheticClips:
    """A sample of synthetic clips. N clips, T frames, A AUs, E expressions.

    Attributes:
        images: float32 ``[N, T, 1, H, W]`` (roughly zero-mean, unit scale) or None.
        features: float32 ``[N, T, D]`` or None.
        labels: int64 ``[N]`` expression index into ``expressions``.
        au_targets: float32 ``[N, A]`` per-clip AU targets from noisy per-frame detections by
            the majority rule (what an OpenFace pipeline would give; 0/1).
        au_present: float32 ``[N, A]`` the true clip-level AU presence ``z``.
        au_intensity: float32 ``[N, T, A]`` the true intensities (>= 0, about [0, 1.6]).
        au_detections: uint8 ``[N, T, A]`` the per-frame detections behind ``au_targets``.
        subjects: int64 ``[N]`` subject ids.
        expressions, aus: label names (canonical).
        prior: float64 ``[E, A]`` the ``P(AU | expression)`` the AUs were drawn from.
        class_freq: float64 ``[E]`` the class frequencies of the generator.
        info: the generator's settings and the prior's source (a dict).
    """

    images: np.ndarray | None
    features: np.ndarray | None
    labels: np.ndarray
    au_targets: np.ndarray
    au_present: np.ndarray
    au_intensity: np.ndarray
    au_detections: np.ndarray
    subjects: np.ndarray
    expressions: tuple[str, ...]
    aus: tuple[str, ...]
    prior: np.ndarray
    class_freq: np.ndarray
    info: dict = field(default_factory=dict)

    def __len__(self) -> int:
        return int(self.labels.shape[0])

    def subset(self, index: Any) -> "SyntheticClips":
        """The clips at ``index`` (an index array or a boolean mask ``[N]``), as a new object."""
        idx = np.asarray(index)

        def take(a):
            return None if a is None else a[idx]

        return replace(self, images=take(self.images), features=take(self.features), labels=take(self.labels),
                       au_targets=take(self.au_targets), au_present=take(self.au_present),
                       au_intensity=take(self.au_intensity), au_detections=take(self.au_detections),
                       subjects=take(self.subjects), info=dict(self.info))

    def class_counts(self) -> np.ndarray:
        """int64 ``[E]`` clips per expression."""
        return np.bincount(self.labels, minlength=len(self.expressions))


class SyntheticDFER:
    r"""Generator of synthetic dynamic facial-expression clips (see the module docstring).

    The constructor fixes the *world*: the prior, the AU layout, and the identity of every
    subject (face geometry, texture, expressivity), all from ``seed``. :meth:`sample` draws clips
    of chosen subjects; train and test sets drawn for disjoint subject ids are subject-independent.

    Args:
        prior: what :func:`resolve_prior` takes (default ``"du2014"``).
        preset: ``"dfew-imbalance"`` (default), ``"dfew-balanced"`` or None; supplies the
            expressions, class frequencies and AU set that are not given explicitly.
        expressions: class order (names or a label space such as ``"dfew"``).
        aus: AU order (names or an AU set such as ``"openface_c"``).
        class_freq: see :func:`class_frequencies` (default: the preset's).
        floor, ceil: see :func:`resolve_prior`.
        num_frames: T >= 2 (default 8).
        render: ``"images"``, ``"features"`` or ``"both"``.
        image_size: H = W >= 8 pixels (default 16).
        feature_dim: D >= 3 (default 48), split into three face-region blocks.
        num_subjects: subjects in the world (default 120).
        au_strength: blob amplitude of a fully active AU (default 1.0).
        identity_strength: amplitude of the smooth identity texture (default 0.5).
        geometry_std: std of a subject's face-geometry offset, in pixels (default 0.6).
        shift_std, jitter_std: std of the per-clip head shift and per-frame jitter, in pixels
            (defaults 0.8 and 0.3).
        illumination_std: std of per-clip brightness and gradient (default 0.25); contrast is
            log-normal with sigma ``illumination_std / 2``.
        noise_std: pixel / feature noise std (default 0.35).
        expressivity_std: sigma of the log-normal subject expressivity (default 0.25).
        detector_flip: probability that a frame's detection is flipped (default 0.1).
        detect_threshold: intensity above which a frame detects an AU (default 0.2).
        exact_counts: class counts proportional to the frequencies (default True).
        seed: world seed (int).

    Raises:
        ValueError: bad sizes or options; see :func:`resolve_prior` and
            :func:`class_frequencies`.
    """

    def __init__(self, prior: Any = "du2014", *, preset: str | None = "dfew-imbalance", expressions: Any = None,
                 aus: Any = None, class_freq: Any = None, floor: float | None = None, ceil: float | None = None,
                 num_frames: int = 8, render: str = "images", image_size: int = 16, feature_dim: int = 48,
                 num_subjects: int = 120, au_strength: float = 1.0, identity_strength: float = 0.5,
                 geometry_std: float = 0.6, shift_std: float = 0.8, jitter_std: float = 0.3,
                 illumination_std: float = 0.25, noise_std: float = 0.35, expressivity_std: float = 0.25,
                 detector_flip: float = 0.1, detect_threshold: float = 0.2, exact_counts: bool = True,
                 seed: int = 0):
        if preset is not None and preset not in PRESETS:
            raise ValueError(f"preset: unknown {preset!r} (choose from {', '.join(PRESETS)} or None)")
        p = PRESETS.get(preset, {}) if preset else {}
        if expressions is None:
            expressions = p.get("expressions")
        if aus is None:
            aus = p.get("aus")
        if class_freq is None:
            class_freq = preset if preset else "balanced"
        if render not in ("images", "features", "both"):
            raise ValueError(f"render: expected 'images', 'features' or 'both', got {render!r}")
        if int(num_frames) < 2 or int(image_size) < 8 or int(feature_dim) < 3 or int(num_subjects) < 1:
            raise ValueError("need num_frames >= 2, image_size >= 8, feature_dim >= 3, num_subjects >= 1")
        if not 0.0 <= detector_flip < 0.5:
            raise ValueError(f"detector_flip: expected 0 <= p < 0.5, got {detector_flip}")
        for name, v in (("au_strength", au_strength), ("identity_strength", identity_strength),
                        ("geometry_std", geometry_std), ("shift_std", shift_std), ("jitter_std", jitter_std),
                        ("illumination_std", illumination_std), ("noise_std", noise_std),
                        ("expressivity_std", expressivity_std)):
            if not (np.isfinite(v) and v >= 0):
                raise ValueError(f"{name}: expected a finite value >= 0, got {v}")
        self.prior, self.expressions, self.aus, self.prior_info = resolve_prior(
            prior, expressions, aus, floor=floor, ceil=ceil)
        self.class_freq = class_frequencies(class_freq, self.expressions)
        self.T, self.H, self.D = int(num_frames), int(image_size), int(feature_dim)
        self.render = render
        self.num_subjects = int(num_subjects)
        self.au_strength, self.identity_strength = float(au_strength), float(identity_strength)
        self.geometry_std, self.shift_std, self.jitter_std = float(geometry_std), float(shift_std), float(jitter_std)
        self.illumination_std, self.noise_std = float(illumination_std), float(noise_std)
        self.expressivity_std = float(expressivity_std)
        self.detector_flip, self.detect_threshold = float(detector_flip), float(detect_threshold)
        self.exact_counts = bool(exact_counts)
        self.seed = int(seed)
        world = np.random.default_rng(np.random.SeedSequence([self.seed, 0x5EED]))
        A, S, H = len(self.aus), self.num_subjects, self.H
        # --- the face: template landmarks + AU blobs, as "parts" (one per side for bilateral ones)
        layout = au_layout(self.aus)
        parts, part_au, part_amp = [], [], []
        for y, dx, sy, sx, amp, bil in TEMPLATE_PARTS:
            for side in ((-1, 1) if bil else (0,)):
                parts.append((y, 0.5 + side * dx, sy, sx))
                part_au.append(-1)
                part_amp.append(amp)
        for a, (y, dx, sy, sx, pol, bil) in enumerate(layout):
            for side in ((-1, 1) if bil else (0,)):
                parts.append((y, 0.5 + side * dx, sy, sx))
                part_au.append(a)
                part_amp.append(pol)
        parts = np.asarray(parts, dtype=np.float64)
        self._part_pos = parts[:, :2] * (H - 1)                  # [K, 2] pixel centres (y, x)
        self._part_sigma = np.maximum(parts[:, 2:] * H, 1.0)     # [K, 2] pixel sigmas (>= 1 px: visible)
        self._part_au = np.asarray(part_au, dtype=np.int64)      # [K] AU index or -1 (template)
        self._part_amp = np.asarray(part_amp, dtype=np.float64)  # [K]
        # --- subjects: geometry offset, expressivity, smooth texture (4x4 grid, bilinear upsampling)
        self._subj_offset = world.normal(0.0, self.geometry_std, size=(S, 2))
        self._subj_gain = np.exp(world.normal(0.0, self.expressivity_std, size=S))
        coarse = world.normal(0.0, 1.0, size=(S, 4, 4))
        self._subj_texture = self.identity_strength * upsample_bilinear(coarse, H)            # [S, H, W]
        # --- features: AU patterns confined to their region block, identity and nuisance directions
        D = self.D
        block = np.where(layout[:, 0] < 0.47, 0, np.where(layout[:, 0] < 0.66, 1, 2))  # upper / middle / lower
        edges = np.linspace(0, D, 4).astype(int)
        U = np.zeros((A, D))
        for a in range(A):
            lo, hi = edges[block[a]], edges[block[a] + 1]
            U[a, lo:hi] = world.normal(0.0, 1.0, size=hi - lo) * np.sqrt(3.0 / max(hi - lo, 1)) * 1.5
        self._feat_patterns = U                                                       # [A, D]
        self._feat_identity = world.normal(0.0, self.identity_strength, size=(S, D))  # [S, D]
        self._feat_nuisance = world.normal(0.0, 1.0, size=(4, D)) / np.sqrt(D) * 2.0  # [4, D]

    # ------------------------------------------------------------------------------------------
    @property
    def num_expressions(self) -> int:
        """E."""
        return len(self.expressions)

    @property
    def num_aus(self) -> int:
        """A."""
        return len(self.aus)

    def settings(self) -> dict:
        """The generator's settings as a plain dict (for provenance and results files)."""
        return {
            "prior": self.prior_info["source"], "prior_mode": self.prior_info["mode"],
            "floor": self.prior_info["floor"], "ceil": self.prior_info["ceil"],
            "expressions": list(self.expressions), "aus": list(self.aus),
            "class_freq": [round(float(f), 6) for f in self.class_freq], "num_frames": self.T,
            "render": self.render, "image_size": self.H, "feature_dim": self.D, "num_subjects": self.num_subjects,
            "au_strength": self.au_strength, "identity_strength": self.identity_strength,
            "geometry_std": self.geometry_std, "shift_std": self.shift_std, "jitter_std": self.jitter_std,
            "illumination_std": self.illumination_std, "noise_std": self.noise_std,
            "expressivity_std": self.expressivity_std, "detector_flip": self.detector_flip,
            "detect_threshold": self.detect_threshold, "exact_counts": self.exact_counts, "seed": self.seed,
        }

    def _labels(self, n: int, rng: np.random.Generator) -> np.ndarray:
        E = self.num_expressions
        if not self.exact_counts:
            return rng.choice(E, size=n, p=self.class_freq).astype(np.int64)
        raw = self.class_freq * n
        counts = np.floor(raw).astype(np.int64)
        rest = n - counts.sum()
        if rest > 0:  # largest remainder, ties broken by class order
            order = np.argsort(-(raw - counts), kind="stable")
            counts[order[:rest]] += 1
        return rng.permutation(np.repeat(np.arange(E), counts)).astype(np.int64)

    def sample(self, n: int, subjects: Sequence[int] | None = None, seed: int = 0,
               chunk: int = 512) -> SyntheticClips:
        """Draw ``n`` clips.

        Args:
            n: number of clips (>= 1).
            subjects: subject ids to draw from uniformly (each in ``[0, num_subjects)``); default
                all.
            seed: sample seed (combined with the world seed).
            chunk: clips rendered at a time (memory bound; does not change the result).

        Returns:
            :class:`SyntheticClips`.

        Raises:
            ValueError: ``n < 1`` or subject ids out of range.
        """
        n = int(n)
        if n < 1:
            raise ValueError(f"n: expected >= 1, got {n}")
        subj_ids = np.arange(self.num_subjects) if subjects is None else np.asarray(list(subjects), dtype=np.int64)
        if subj_ids.size == 0 or subj_ids.min() < 0 or subj_ids.max() >= self.num_subjects:
            raise ValueError(f"subjects: ids must lie in [0, {self.num_subjects}) and not be empty")
        rng = np.random.default_rng(np.random.SeedSequence([self.seed, 0xC11F, int(seed)]))
        T, A = self.T, self.num_aus
        labels = self._labels(n, rng)
        subj = subj_ids[rng.integers(0, subj_ids.size, size=n)]
        present = (rng.random((n, A)) < self.prior[labels]).astype(np.float32)
        # onset-apex-offset profile (fractions of T), per-AU jitter of the start in frames
        start = rng.uniform(0.0, 0.25, size=(n, 1)) * T
        onset = rng.uniform(0.1, 0.3, size=(n, 1)) * T
        apex = rng.uniform(0.3, 0.6, size=(n, 1)) * T
        offset = rng.uniform(0.1, 0.3, size=(n, 1)) * T
        s_a = start + rng.normal(0.0, 0.5, size=(n, A))                     # [n, A]
        t = np.arange(T, dtype=np.float64)[None, :, None]                   # [1, T, 1]
        rise = np.clip((t - s_a[:, None, :]) / onset[:, None, :], 0.0, 1.0)
        end = (s_a + onset + apex + offset)[:, None, :]
        fall = np.clip((end - t) / offset[:, None, :], 0.0, 1.0)
        profile = np.minimum(rise, fall)                                    # [n, T, A]
        peak = rng.uniform(0.5, 1.0, size=(n, A)) * self._subj_gain[subj][:, None]
        intensity = (present * peak)[:, None, :] * profile                  # [n, T, A]
        det = (intensity > self.detect_threshold) ^ (rng.random((n, T, A)) < self.detector_flip)
        targets = majority_au_targets(det)
        # nuisance, drawn for every clip whatever is rendered (keeps the streams aligned)
        shift = rng.normal(0.0, self.shift_std, size=(n, 1, 2)) + rng.normal(0.0, self.jitter_std, size=(n, T, 2))
        bright = rng.normal(0.0, self.illumination_std, size=(n, 1, 1, 1))
        grad = rng.normal(0.0, self.illumination_std, size=(n, 1, 1, 1))
        contrast = np.exp(rng.normal(0.0, self.illumination_std / 2, size=(n, 1, 1, 1)))
        feat_nuis = rng.normal(0.0, 1.0, size=(n, 1, 4))
        noise_seed = int(rng.integers(0, 2**63 - 1))
        images = features = None
        if self.render in ("images", "both"):
            images = np.empty((n, T, 1, self.H, self.H), dtype=np.float32)
            nrng = np.random.default_rng(noise_seed)
            for lo in range(0, n, chunk):
                hi = min(n, lo + chunk)
                images[lo:hi, :, 0] = self._render_images(intensity[lo:hi], subj[lo:hi], shift[lo:hi],
                                                          bright[lo:hi], grad[lo:hi], contrast[lo:hi], nrng)
        if self.render in ("features", "both"):
            frng = np.random.default_rng(noise_seed + 1)
            x = (intensity * self._subj_gain[subj][:, None, None]) @ self._feat_patterns   # [n, T, D]
            x = x + self._feat_identity[subj][:, None, :] + feat_nuis @ self._feat_nuisance
            x = x + frng.normal(0.0, self.noise_std, size=x.shape)
            features = x.astype(np.float32)
        info = {"generator": self.settings(), "sample_seed": int(seed), "subjects": sorted(set(subj.tolist()))}
        return SyntheticClips(images=images, features=features, labels=labels, au_targets=targets,
                              au_present=present, au_intensity=intensity.astype(np.float32),
                              au_detections=det.astype(np.uint8), subjects=subj.astype(np.int64),
                              expressions=self.expressions, aus=self.aus, prior=self.prior.copy(),
                              class_freq=self.class_freq.copy(), info=info)

    def _render_images(self, intensity, subj, shift, bright, grad, contrast, rng) -> np.ndarray:
        """``[n, T, H, W]`` float32: parts as separable Gaussians, summed with their amplitudes."""
        n, T, _ = intensity.shape
        H = self.H
        K = self._part_au.shape[0]
        amp = np.empty((n, T, K))
        tmpl = self._part_au < 0
        amp[:, :, tmpl] = self._part_amp[tmpl]
        au_idx = self._part_au[~tmpl]
        amp[:, :, ~tmpl] = intensity[:, :, au_idx] * self._part_amp[~tmpl] * self.au_strength
        centre = self._part_pos[None, None] + (self._subj_offset[subj][:, None, None, :] + shift[:, :, None, :])
        grid = np.arange(H, dtype=np.float64)
        gy = np.exp(-0.5 * ((grid - centre[..., 0:1]) / self._part_sigma[:, 0:1]) ** 2)  # [n, T, K, H]
        gx = np.exp(-0.5 * ((grid - centre[..., 1:2]) / self._part_sigma[:, 1:2]) ** 2)  # [n, T, K, W]
        img = np.einsum("ntk,ntkh,ntkw->nthw", amp, gy, gx, optimize=True)
        img = img + self._subj_texture[subj][:, None]
        ramp = (grid / max(H - 1, 1) - 0.5)[None, None, None, :]
        img = contrast * img + bright + grad * ramp
        img = img + rng.normal(0.0, self.noise_std, size=img.shape)
        return img.astype(np.float32)


def generate(n_clips: int = 1000, *, seed: int = 0, subjects: Sequence[int] | None = None,
             **options: Any) -> SyntheticClips:
    """One-shot: build a :class:`SyntheticDFER` world with ``seed`` and draw ``n_clips`` clips.

    Args:
        n_clips: clips to draw.
        seed: seeds the world and the sample.
        subjects: subject ids (default all).
        **options: any :class:`SyntheticDFER` argument (``prior``, ``preset``, ``render``, ...).

    Returns:
        :class:`SyntheticClips`.
    """
    gen = SyntheticDFER(seed=seed, **options)
    return gen.sample(n_clips, subjects=subjects, seed=seed)


def train_test(n_train: int, n_test: int, *, seed: int = 0, test_subject_fraction: float = 1 / 3,
               **options: Any) -> tuple[SyntheticClips, SyntheticClips, SyntheticDFER]:
    """A subject-independent train / test pair from one world.

    The world's subjects are split (seeded) into train and test subjects; each set draws its
    clips from its own subjects with its own sample seed.

    Args:
        n_train, n_test: clip counts.
        seed: world and sample seed.
        test_subject_fraction: share of subjects reserved for the test set, in (0, 1).
        **options: any :class:`SyntheticDFER` argument.

    Returns:
        ``(train, test, generator)``.

    Raises:
        ValueError: a fraction that leaves either side without subjects.
    """
    gen = SyntheticDFER(seed=seed, **options)
    S = gen.num_subjects
    n_test_s = int(round(S * float(test_subject_fraction)))
    if not 0 < n_test_s < S:
        raise ValueError(f"test_subject_fraction {test_subject_fraction} leaves no train or no test subject "
                         f"among {S}")
    perm = np.random.default_rng(np.random.SeedSequence([seed, 0x5B1]))
    order = perm.permutation(S)
    test_s, train_s = np.sort(order[:n_test_s]), np.sort(order[n_test_s:])
    return gen.sample(n_train, train_s, seed=2 * seed + 1), gen.sample(n_test, test_s, seed=2 * seed + 2), gen
