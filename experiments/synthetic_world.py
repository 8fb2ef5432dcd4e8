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
from typing import Any, Mapping, Sequence

import numpy as np

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

#: DFEW single-label clip counts over the union of its 5 folds, in DFEW's label order
#: (Jiang et al. 2020, DFEW; counts from the IAL annotation files, Li et al. AAAI 2023).
DFEW_CLASS_COUNTS: dict[str, int] = {
    "happiness": 2445, "sadness": 1894, "neutral": 2669, "anger": 2173,
    "surprise": 1469, "disgust": 145, "fear": 902,
}

#: Presets: expression label space, class frequencies and AU set.
#: ``dfew-imbalance``: DFEW's 7 classes and proportions (disgust 1.2 %, fear 7.7 %), OpenFace's
#: 18 presence AUs (AU-DFER's AU space). ``dfew-balanced``: the same with equal frequencies.
PRESETS: dict[str, dict[str, Any]] = {
    "dfew-imbalance": {
        "expressions": tuple(DFEW_CLASS_COUNTS),
        "class_freq": tuple(c / sum(DFEW_CLASS_COUNTS.values()) for c in DFEW_CLASS_COUNTS.values()),
        "aus": "openface_c",
    },
    "dfew-balanced": {
        "expressions": tuple(DFEW_CLASS_COUNTS),
        "class_freq": tuple(1.0 / len(DFEW_CLASS_COUNTS) for _ in DFEW_CLASS_COUNTS),
        "aus": "openface_c",
    },
}

#: Schematic face position of AUs: FACS number -> (y, dx, sigma_y, sigma_x, polarity, bilateral),
#: in units of the face canvas (y from the top, 0..1; dx the distance from the midline, 0..0.5;
#: sigmas as fractions of the canvas). Polarity +1 brightens (raised / stretched skin), -1 darkens
#: (furrows, closure). Hand-placed after the FACS 2002 descriptions of where each AU acts; AUs not
#: listed are placed inside their FACS region (``auknow.facs.codes()[n].region``) by
#: :func:`au_layout` with a position seeded by the AU number.
AU_LAYOUT: dict[int, tuple[float, float, float, float, float, bool]] = {
    1: (0.20, 0.08, 0.05, 0.06, +1, True),    # inner brow raiser
    2: (0.19, 0.26, 0.05, 0.07, +1, True),    # outer brow raiser
    4: (0.28, 0.05, 0.05, 0.05, -1, True),    # brow lowerer (glabella)
    5: (0.33, 0.18, 0.04, 0.07, +1, True),    # upper lid raiser
    6: (0.50, 0.26, 0.07, 0.07, +1, True),    # cheek raiser
    7: (0.39, 0.18, 0.04, 0.07, -1, True),    # lid tightener
    9: (0.45, 0.07, 0.07, 0.06, -1, True),    # nose wrinkler
    10: (0.60, 0.08, 0.04, 0.06, +1, True),   # upper lip raiser
    11: (0.58, 0.15, 0.05, 0.04, -1, True),   # nasolabial deepener
    12: (0.70, 0.20, 0.05, 0.05, +1, True),   # lip corner puller
    13: (0.68, 0.17, 0.04, 0.04, +1, True),   # sharp lip puller
    14: (0.72, 0.25, 0.05, 0.05, -1, True),   # dimpler
    15: (0.80, 0.18, 0.05, 0.05, -1, True),   # lip corner depressor
    16: (0.82, 0.06, 0.04, 0.06, +1, True),   # lower lip depressor
    17: (0.90, 0.00, 0.05, 0.09, +1, False),  # chin raiser
    18: (0.75, 0.00, 0.05, 0.05, -1, False),  # lip pucker
    20: (0.75, 0.27, 0.04, 0.07, +1, True),   # lip stretcher
    22: (0.76, 0.00, 0.06, 0.08, +1, False),  # lip funneler
    23: (0.74, 0.09, 0.03, 0.05, -1, True),   # lip tightener
    24: (0.77, 0.05, 0.03, 0.05, -1, True),   # lip pressor
    25: (0.76, 0.00, 0.03, 0.10, -1, False),  # lips part
    26: (0.86, 0.00, 0.08, 0.10, -1, False),  # jaw drop
    27: (0.84, 0.00, 0.10, 0.09, -1, False),  # mouth stretch
    28: (0.77, 0.04, 0.03, 0.08, -1, False),  # lip suck
    43: (0.37, 0.18, 0.03, 0.07, -1, True),   # eyes closed
    45: (0.37, 0.18, 0.03, 0.08, -1, True),   # blink
    46: (0.37, 0.18, 0.03, 0.07, -1, False),  # wink
}

#: Template landmarks of the neutral face: (y, dx, sigma_y, sigma_x, amplitude, bilateral):
#: brows, eyes, nose, mouth. They move with the head and the subject's geometry.
_TEMPLATE = (
    (0.23, 0.17, 0.025, 0.10, -0.6, True),   # brows
    (0.36, 0.18, 0.035, 0.07, -0.8, True),   # eyes
    (0.52, 0.00, 0.10, 0.04, +0.3, False),   # nose ridge
    (0.75, 0.00, 0.03, 0.14, -0.7, False),   # mouth
)


def class_frequencies(spec: Any, expressions: Sequence[str]) -> np.ndarray:
    """Class frequencies ``[E]`` (summing to 1) from a preset name, a sequence or a mapping.

    Args:
        spec: a preset name (``"dfew-imbalance"``, ``"dfew-balanced"``), ``"balanced"`` /
            ``None`` (equal), a sequence of E non-negative numbers (normalized), or a mapping
            expression -> weight (canonical names or aliases; missing expressions get 0).
        expressions: the canonical expression names, the class order.

    Returns:
        float64 ``[E]``, non-negative, sum 1.

    Raises:
        ValueError: unknown preset, wrong length, negative values or a zero sum; a preset whose
            expressions differ from ``expressions``.
    """
    E = len(expressions)
    if spec is None or (isinstance(spec, str) and spec == "balanced"):
        return np.full(E, 1.0 / E)
    if isinstance(spec, str):
        if spec not in PRESETS:
            raise ValueError(f"class_freq: unknown preset {spec!r} (choose from balanced, {', '.join(PRESETS)})")
        preset = PRESETS[spec]
        freq = dict(zip(preset["expressions"], preset["class_freq"]))
        missing = [e for e in expressions if e not in freq]
        if missing:
            raise ValueError(f"class_freq: preset {spec!r} has no frequency for {', '.join(missing)}")
        w = np.array([freq[e] for e in expressions], dtype=np.float64)
    elif isinstance(spec, Mapping):
        from auknow.expressions import canonical_expression

        canon = {canonical_expression(str(k), expressions): float(v) for k, v in spec.items()}
        unknown = [k for k in canon if k not in expressions]
        if unknown:
            raise ValueError(f"class_freq: {', '.join(unknown)} not among the expressions {', '.join(expressions)}")
        w = np.array([canon.get(e, 0.0) for e in expressions], dtype=np.float64)
    else:
        w = np.asarray(spec, dtype=np.float64).reshape(-1)
        if w.shape != (E,):
            raise ValueError(f"class_freq: expected {E} values (one per expression), got {w.shape[0]}")
    if not np.all(np.isfinite(w)) or (w < 0).any() or w.sum() <= 0:
        raise ValueError("class_freq: values must be finite, >= 0 and not all 0")
    return w / w.sum()


def resolve_prior(prior: Any, expressions: Any = None, aus: Any = None, *,
                  floor: float | None = None, ceil: float | None = None
                  ) -> tuple[np.ndarray, tuple[str, ...], tuple[str, ...], dict]:
    r"""The generator's ``P(AU | expression)`` ``[E, A]`` from a knowledge table or an array.

    Knowledge tables are compiled by :func:`auknow.compile.compile_matrix`: prototype tables in
    ``binary`` mode (required 1, optional 0.5, absent 0), quantified tables in ``quantified``
    mode (their values, which must lie in ``[0, 1]``); expressions no table lists (``neutral``)
    and AUs no table mentions are filled with 0. The matrix ``M`` is then mapped to
    probabilities :math:`P = f + (c - f) M` with floor ``f`` and ceiling ``c``.

    Args:
        prior: a bundled table name or path (``"du2014"``, ``"fig2002"``, ``"au_dfer"``), a
            sequence of them (consensus mean), an ``auknow.compile.PriorMatrix``, or an
            ``[E, A]`` array-like in ``[0, 1]`` (then ``expressions`` and ``aus`` name its rows and
            columns).
        expressions: row order (names or a label space such as ``"dfew"``). Needed with an
            array unless generic names ``class0..`` are fine.
        aus: column order (AU names or an AU set such as ``"openface_c"``). With an array,
            default ``AU`` names cannot be guessed: generic columns get a seeded layout.
        floor, ceil: ``0 <= floor <= ceil <= 1``. Default: ``0.05, 0.9`` for binary (prototype)
            sources, ``0, 1`` (values kept) for quantified sources and arrays.

    Returns:
        ``(P, expressions, aus, info)``: float64 ``[E, A]`` in ``[floor, ceil]``, the labels, and
        a dict with ``source`` (a description), ``mode``, ``floor``, ``ceil`` and ``matrix`` (the
        compiled ``M`` before the floor / ceiling mapping).

    Raises:
        ValueError: values outside ``[0, 1]``, mismatched label lengths, bad floor / ceil.
        auknow.compile.CompileError: an unknown table or label.
    """
    mode = "array"
    if isinstance(prior, (str, bytes)) or (isinstance(prior, Sequence) and prior and
                                           all(isinstance(p, str) for p in prior)):
        from auknow.compile import compile_matrix
        from auknow.compile._common import resolve_tables
        from auknow.tables.model import PrototypeTable

        tables = resolve_tables(prior)
        mode = "binary" if all(isinstance(t, PrototypeTable) for t in tables) else "quantified"
        pm = compile_matrix(tables, mode=mode, expressions=expressions, aus=aus, fill="zero", missing="zero")
        M, ex, au = pm.values, pm.expressions, pm.aus
        source = "+".join(t.name for t in tables)
    elif hasattr(prior, "values") and hasattr(prior, "expressions") and hasattr(prior, "aus"):
        pm = prior
        if expressions is not None or aus is not None:
            pm = pm.reindex(expressions=_resolve_exprs(expressions), aus=_resolve_aus(aus), missing="zero")
        M, ex, au = np.asarray(pm.values, dtype=np.float64), tuple(pm.expressions), tuple(pm.aus)
        mode = getattr(pm, "mode", "matrix")
        source = ";".join(str(s.get("table", "?")) for s in getattr(pm, "sources", [])) or "PriorMatrix"
    else:
        M = np.asarray(prior, dtype=np.float64)
        if M.ndim != 2:
            raise ValueError(f"prior: expected an [E, A] matrix, got shape {M.shape}")
        ex = _resolve_exprs(expressions) if expressions is not None else tuple(f"class{i}" for i in range(M.shape[0]))
        au = _resolve_aus(aus) if aus is not None else tuple(f"au{i}" for i in range(M.shape[1]))
        if len(ex) != M.shape[0] or len(au) != M.shape[1]:
            raise ValueError(f"prior: matrix {M.shape} but {len(ex)} expressions and {len(au)} AUs named")
        source = "array"
    if not np.all(np.isfinite(M)) or M.min() < 0 or M.max() > 1:
        raise ValueError(f"prior ({source}): values must lie in [0, 1] to be read as P(AU | expression); got "
                         f"[{np.nanmin(M):.3g}, {np.nanmax(M):.3g}]")
    if floor is None:
        floor = 0.05 if mode == "binary" else 0.0
    if ceil is None:
        ceil = 0.9 if mode == "binary" else 1.0
    if not 0.0 <= floor <= ceil <= 1.0:
        raise ValueError(f"floor / ceil: need 0 <= floor <= ceil <= 1, got {floor}, {ceil}")
    P = floor + (ceil - floor) * M
    return P, tuple(ex), tuple(au), {"source": source, "mode": mode, "floor": float(floor),
                                     "ceil": float(ceil), "matrix": M.copy()}


def _resolve_exprs(spec):
    if spec is None:
        return None
    from auknow.vocabulary import resolve_expressions

    return resolve_expressions(spec)


def _resolve_aus(spec):
    if spec is None:
        return None
    from auknow.vocabulary import resolve_aus

    return resolve_aus(spec)


def shuffle_prior_rows(prior: np.ndarray, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A **wrong** prior for controls: the rows permuted by a random derangement.

    Every expression gets another expression's row (no row stays in place), so the matrix holds
    the same numbers (same marginals, same sparsity) but the AU-expression assignment is wrong.

    Args:
        prior: ``[E, A]`` array (E >= 2).
        seed: seed of the derangement.

    Returns:
        ``(shuffled [E, A], perm [E])`` with ``shuffled[e] = prior[perm[e]]`` and
        ``perm[e] != e`` for every e.

    Raises:
        ValueError: fewer than 2 rows.
    """
    P = np.asarray(prior)
    E = P.shape[0]
    if P.ndim != 2 or E < 2:
        raise ValueError(f"prior: need an [E, A] matrix with E >= 2, got shape {P.shape}")
    rng = np.random.default_rng(seed)
    while True:  # rejection sampling: a random permutation is a derangement with probability ~1/e
        perm = rng.permutation(E)
        if not np.any(perm == np.arange(E)):
            return P[perm].copy(), perm


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


def au_layout(aus: Sequence[str]) -> np.ndarray:
    """Schematic face positions of AUs as blob parameters.

    Args:
        aus: AU names (``AU12``); names that are not FACS AUs get a random position (seeded by
            the name) anywhere on the face.

    Returns:
        float64 ``[A, 6]``: ``y, dx, sigma_y, sigma_x, polarity, bilateral`` per AU (see
        :data:`AU_LAYOUT`). AUs missing from :data:`AU_LAYOUT` are placed in their FACS region
        (upper face y in [0.18, 0.42], lower face y in [0.55, 0.92], elsewhere [0.2, 0.9]).
    """
    from auknow.facs import codes

    rows = []
    for name in aus:
        num = None
        try:
            from auknow.facs import au_number

            num = au_number(name)
        except Exception:
            num = None
        if num is not None and num in AU_LAYOUT:
            rows.append(AU_LAYOUT[num])
            continue
        seed = sum(ord(c) * (i + 1) for i, c in enumerate(str(name)))
        rng = np.random.default_rng(seed)
        region = codes()[num].region if num is not None and num in codes() else ""
        lo, hi = {"Upper Face": (0.18, 0.42), "Lower Face": (0.55, 0.92)}.get(region, (0.2, 0.9))
        rows.append((rng.uniform(lo, hi), rng.uniform(0.0, 0.3), 0.045, 0.06,
                     float(rng.choice([-1.0, 1.0])), bool(rng.random() < 0.7)))
    return np.asarray(rows, dtype=np.float64).reshape(len(aus), 6)


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
        for y, dx, sy, sx, amp, bil in _TEMPLATE:
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
        self._subj_texture = self.identity_strength * _upsample(coarse, H)            # [S, H, W]
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


def _upsample(coarse: np.ndarray, size: int) -> np.ndarray:
    """Bilinear upsampling of ``[S, g, g]`` to ``[S, size, size]`` (align corners)."""
    g = coarse.shape[-1]
    pos = np.linspace(0.0, g - 1.0, size)
    i0 = np.clip(np.floor(pos).astype(int), 0, g - 2)
    w = pos - i0
    rows = coarse[:, i0, :] * (1 - w)[None, :, None] + coarse[:, i0 + 1, :] * w[None, :, None]
    return rows[:, :, i0] * (1 - w)[None, None, :] + rows[:, :, i0 + 1] * w[None, None, :]


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
