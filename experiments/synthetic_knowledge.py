"""Knowledge side of the synthetic world: presets, class frequencies and the prior P(AU | expression).

Split out of :mod:`experiments.synthetic_world` (which re-exports every name here): the
label spaces and class proportions of the presets (DFEW's), :func:`class_frequencies`,
:func:`resolve_prior` (a knowledge table, a ``PriorMatrix`` or an array -> ``[E, A]``
probabilities) and the wrong-prior control :func:`shuffle_prior_rows`. Formulas and defaults:
``docs/synthetic.md``.
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

import numpy as np

__all__ = ["DFEW_CLASS_COUNTS", "PRESETS", "class_frequencies", "resolve_prior", "shuffle_prior_rows"]

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

