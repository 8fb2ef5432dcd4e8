r"""Differences between two prior matrices or tables: which expressions and AUs differ, by how much.

:func:`diff_tables` compiles two tables (or loads exported matrices) in one mode and compares them
with :func:`diff_matrices`. The comparison is over the labels both have; labels only one side has
are listed apart. :math:`\Delta = B - A` cell by cell; a cell *differs* when
:math:`|\Delta| >` ``tolerance``, or when exactly one side is NaN (a value only one table gives).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ._common import CompileError
from .matrix import PriorMatrix, compile_matrix

MATRIX_SUFFIXES = (".pt", ".npy", ".csv", ".json")


@dataclass(eq=False)
class MatrixDiff:
    """The difference ``B - A`` of two prior matrices.

    Attributes:
        a, b: the two matrices; ``name_a``, ``name_b``: how to call them in text.
        expressions, aus: the labels both have (A's order), lengths E and A.
        only_a_expressions, only_b_expressions, only_a_aus, only_b_aus: labels only one side has.
        delta: ``[E, A]`` float64 ``B - A`` on the common labels (NaN where either side is NaN).
        value_a, value_b: ``[E, A]`` the two sides on the common labels.
        tolerance: ``|delta|`` above which a cell differs.

    >>> from auknow.compile import table_matrix
    >>> d = diff_matrices(table_matrix("fig2002", "binary"), table_matrix("ekman_emfacs", "binary"))
    >>> d.identical, d.only_a_aus, d.delta.shape
    (False, ('AD54', 'AD64'), (6, 20))
    """

    a: PriorMatrix
    b: PriorMatrix
    name_a: str
    name_b: str
    expressions: tuple[str, ...]
    aus: tuple[str, ...]
    only_a_expressions: tuple[str, ...]
    only_b_expressions: tuple[str, ...]
    only_a_aus: tuple[str, ...]
    only_b_aus: tuple[str, ...]
    value_a: np.ndarray
    value_b: np.ndarray
    delta: np.ndarray
    tolerance: float

    @property
    def changed(self) -> np.ndarray:
        """``[E, A]`` bool: ``|delta| > tolerance``, or a value on one side only (NaN on the other)."""
        one_sided = np.isnan(self.value_a) != np.isnan(self.value_b)
        with np.errstate(invalid="ignore"):
            return (np.abs(self.delta) > self.tolerance) | one_sided

    @property
    def identical(self) -> bool:
        """Same labels (in any order) and no differing cell."""
        return not (self.only_a_expressions or self.only_b_expressions or self.only_a_aus or self.only_b_aus
                    or self.changed.any())

    def cells(self, top: int | None = None) -> list[tuple[str, str, float, float, float]]:
        """Differing cells ``(expression, AU, A, B, B - A)``, largest ``|B - A|`` first (one-sided
        cells last), at most ``top``."""
        out = []
        ch = self.changed
        for i, e in enumerate(self.expressions):
            for j, au in enumerate(self.aus):
                if ch[i, j]:
                    out.append((e, au, float(self.value_a[i, j]), float(self.value_b[i, j]), float(self.delta[i, j])))
        out.sort(key=lambda c: (np.isnan(c[4]), -abs(c[4]) if not np.isnan(c[4]) else 0.0))
        return out[:top] if top is not None else out

    def _summary(self, axis: int) -> list[tuple[str, int, float, float]]:
        ch = self.changed
        labels = self.expressions if axis == 0 else self.aus
        out = []
        for k, name in enumerate(labels):
            c = ch[k] if axis == 0 else ch[:, k]
            d = self.delta[k] if axis == 0 else self.delta[:, k]
            finite = np.abs(d[np.isfinite(d)])
            out.append((name, int(c.sum()), float(finite.max()) if finite.size else float("nan"),
                        float(finite.mean()) if finite.size else float("nan")))
        return out

    def by_expression(self) -> list[tuple[str, int, float, float]]:
        """Per common expression: ``(name, cells differing, max |B - A|, mean |B - A|)`` (NaN
        when no cell has values on both sides)."""
        return self._summary(0)

    def by_au(self) -> list[tuple[str, int, float, float]]:
        """Per common AU: ``(name, cells differing, max |B - A|, mean |B - A|)``."""
        return self._summary(1)

    def text(self, top: int = 5) -> str:
        """A readable report: labels on one side only, then per expression and per AU the
        differing cells with ``A -> B (+delta)``, the ``top`` largest per expression."""
        def fmt(x: float) -> str:
            return "-" if np.isnan(x) else f"{x:.3g}"

        lines = [f"A: {self.name_a} ({self.a.mode}, {len(self.a.expressions)} expressions x {len(self.a.aus)} AUs)",
                 f"B: {self.name_b} ({self.b.mode}, {len(self.b.expressions)} expressions x {len(self.b.aus)} AUs)"]
        for label, names in (("expressions only in A", self.only_a_expressions),
                             ("expressions only in B", self.only_b_expressions),
                             ("AUs only in A", self.only_a_aus), ("AUs only in B", self.only_b_aus)):
            if names:
                lines.append(f"{label}: {', '.join(names)}")
        ch = self.changed
        n = int(ch.sum())
        common = f"{len(self.expressions)} expressions x {len(self.aus)} AUs in common"
        if n == 0:
            lines.append(f"{common}: no cell differs (tolerance {self.tolerance:g})")
            return "\n".join(lines)
        big = self.cells(1)[0]
        lines.append(f"{common}: {n} cell(s) differ (tolerance {self.tolerance:g}); largest |B - A| "
                     f"{fmt(abs(big[4]))} at {big[0]} {big[1]}")
        lines.append("by expression (cells differing, max |B - A|):")
        width = max(len(e) for e in self.expressions)
        for i, (e, k, mx, _) in enumerate(self.by_expression()):
            if k == 0:
                continue
            cells = [(au, va, vb, d) for (ee, au, va, vb, d) in self.cells() if ee == e][:top]
            shown = ", ".join(f"{au} {fmt(va)}->{fmt(vb)}" + ("" if np.isnan(d) else f" ({d:+.3g})")
                              for au, va, vb, d in cells)
            more = f", +{k - len(cells)} more" if k > len(cells) else ""
            lines.append(f"  {e:<{width}}  {k:>3}  {fmt(mx):>6}  {shown}{more}")
        lines.append("by AU (cells differing, max |B - A|):")
        for au, k, mx, _ in self.by_au():
            if k:
                lines.append(f"  {au}  {k:>3}  {fmt(mx):>6}")
        return "\n".join(lines)

    def plot(self, ax=None, title: str | None = None):
        """Heatmap of ``B - A`` on the common labels (diverging colours symmetric about 0; blank
        where a side is NaN), drawn by :func:`auknow.plots.diff_heatmap`. Returns the Figure."""
        from ..plots import diff_heatmap

        return diff_heatmap(self, ax=ax, title=title)


def _name(m: PriorMatrix, fallback: str) -> str:
    names = [s.get("table") for s in m.sources if s.get("table")]
    return "+".join(names) if names else fallback


def diff_matrices(a: PriorMatrix, b: PriorMatrix, tolerance: float = 1e-9, names: tuple[str, str] | None = None) -> MatrixDiff:
    """Compare two prior matrices on the labels both have.

    Args:
        a, b: the matrices (any label order; B is aligned to A's order).
        tolerance: ``|B - A|`` above which a cell differs (>= 0).
        names: how to call A and B in text (default: their source tables).

    Returns:
        :class:`MatrixDiff` (``text()``, ``plot()``, ``cells()``, ``identical``).

    Raises:
        CompileError: a negative tolerance.

    >>> from auknow.compile import table_matrix
    >>> a = table_matrix("fig2002", "binary")
    >>> diff_matrices(a, a).identical
    True
    >>> d = diff_matrices(a, table_matrix("ekman_emfacs", "binary"))
    >>> print(d.text().splitlines()[3])
    6 expressions x 20 AUs in common: 11 cell(s) differ (tolerance 1e-09); largest |B - A| 1 at anger AU11
    """
    if not tolerance >= 0:
        raise CompileError(f"tolerance: {tolerance} must be >= 0")
    exprs = tuple(e for e in a.expressions if e in b.expressions)
    aus = tuple(x for x in a.aus if x in b.aus)
    ia = [a.expressions.index(e) for e in exprs]
    ib = [b.expressions.index(e) for e in exprs]
    ja = [a.aus.index(x) for x in aus]
    jb = [b.aus.index(x) for x in aus]
    va = a.values[np.ix_(ia, ja)] if exprs and aus else np.zeros((len(exprs), len(aus)))
    vb = b.values[np.ix_(ib, jb)] if exprs and aus else np.zeros((len(exprs), len(aus)))
    na, nb = names or (_name(a, "A"), _name(b, "B"))
    return MatrixDiff(a=a, b=b, name_a=na, name_b=nb, expressions=exprs, aus=aus,
                      only_a_expressions=tuple(e for e in a.expressions if e not in b.expressions),
                      only_b_expressions=tuple(e for e in b.expressions if e not in a.expressions),
                      only_a_aus=tuple(x for x in a.aus if x not in b.aus),
                      only_b_aus=tuple(x for x in b.aus if x not in a.aus),
                      value_a=va, value_b=vb, delta=vb - va, tolerance=float(tolerance))


def load_side(ref, **compile_options) -> PriorMatrix:
    """One side of a diff: a :class:`PriorMatrix`; a matrix file written by ``auknow export``
    (``.pt``, ``.npy``, ``.csv``, ``.json``; then no recompiling); or a table / path / bundled
    name, compiled with ``compile_options`` (default ``fill="nan"``, so cells a table lacks
    show as one-sided differences instead of errors).

    >>> m = load_side("fig2002", mode="binary")   # a table name, compiled; or a .pt/.npy/.csv/.json matrix
    >>> m.mode, m.values.shape
    ('binary', (6, 22))
    """
    if isinstance(ref, PriorMatrix):
        return ref
    if isinstance(ref, (str, Path)) and Path(ref).suffix.lower() in MATRIX_SUFFIXES and Path(ref).exists():
        return PriorMatrix.load(ref)
    opts = {"fill": "nan", **compile_options}
    return compile_matrix(ref, **opts)


def diff_tables(a, b, mode: str = "quantified", tolerance: float = 1e-9, **compile_options) -> MatrixDiff:
    """Compile two tables in one ``mode`` (see :func:`~auknow.compile.matrix.compile_matrix`;
    e.g. an estimated table against a literature one with ``mode="row_normalized"``, or
    ``expressions=`` / ``aus=`` to compare in one label space) and diff them (B - A).

    Each side is compiled on its own; ``compile_options`` apply to both.

    Raises:
        CompileError: as :func:`compile_matrix` and :func:`diff_matrices`.

    >>> d = diff_tables("fig2002", "ekman_emfacs", mode="binary")
    >>> d.identical, len(d.cells())
    (False, 11)
    """
    ma = load_side(a, mode=mode, **compile_options)
    mb = load_side(b, mode=mode, **compile_options)
    return diff_matrices(ma, mb, tolerance=tolerance)
