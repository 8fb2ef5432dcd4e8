"""The schematic face of the synthetic world: where each AU acts, and the neutral template.

Split out of :mod:`experiments.synthetic_world` (which re-exports :data:`AU_LAYOUT` and
:func:`au_layout`). Source of the layout: a hand-placed face whose positions follow the FACS
2002 descriptions of where each AU acts (e.g. AU01 inner brow, AU12 lip corners); it is **not**
measured from faces. Rendering itself is :meth:`experiments.synthetic_world.SyntheticDFER.sample`.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

__all__ = ["AU_LAYOUT", "TEMPLATE_PARTS", "au_layout", "upsample_bilinear"]

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
TEMPLATE_PARTS = (
    (0.23, 0.17, 0.025, 0.10, -0.6, True),   # brows
    (0.36, 0.18, 0.035, 0.07, -0.8, True),   # eyes
    (0.52, 0.00, 0.10, 0.04, +0.3, False),   # nose ridge
    (0.75, 0.00, 0.03, 0.14, -0.7, False),   # mouth
)


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


def upsample_bilinear(coarse: np.ndarray, size: int) -> np.ndarray:
    """Bilinear upsampling of ``[S, g, g]`` to ``[S, size, size]`` (align corners)."""
    g = coarse.shape[-1]
    pos = np.linspace(0.0, g - 1.0, size)
    i0 = np.clip(np.floor(pos).astype(int), 0, g - 2)
    w = pos - i0
    rows = coarse[:, i0, :] * (1 - w)[None, :, None] + coarse[:, i0 + 1, :] * w[None, :, None]
    return rows[:, :, i0] * (1 - w)[None, None, :] + rows[:, :, i0 + 1] * w[None, None, :]

