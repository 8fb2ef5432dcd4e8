"""The :class:`PriorMatrix` container ``[E, A]`` with its labels and provenance, and its file formats
(``.pt``, ``.npy`` + labels JSON, ``.csv``, ``.json``); the mode and policy names of the compiler."""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping

import numpy as np

from ._common import (CompileError, resolve_aus, resolve_expressions)
from ._common import BASES, MODES, Fill, check_choice
from .fill import fill_record, fill_uncovered

PRIOR_FORMAT = "auknow.prior_matrix/1"

@dataclass(eq=False)
class PriorMatrix:
    """An expression x AU matrix with its labels and provenance.

    Attributes:
        values: ``[E, A]`` float64. Value range depends on ``mode``: binary ``{0, opt, alt, 1}``
            (fractions under a mean consensus), quantified the tables' statistic (times ``scale``),
            row / column normalized and softmax ``[0, 1]``, signed ``[-1, 1]`` for prototype
            tables. NaN only where asked for (``fill="nan"``) or in an intermediate per-source matrix.
        expressions: canonical expression names, the row order (length E).
        aus: canonical AU names (``AU01``), the column order (length A).
        mode: one of :data:`MODES` (per-source matrices: one of :data:`BASES`).
        sources: per-source provenance, one dict per table: ``table``, ``kind``, ``provenance``,
            ``citation`` (short form), ``weight``, ``missing`` (the policy), ``lacks`` (the
            expressions, AUs and cells the source did not give), and for quantified tables
            ``statistic`` and ``scale``.
        support: ``[E, A]`` int, the number of sources whose value entered each cell (0: the
            cell was filled by the ``fill`` policy); ``None`` for per-source matrices.
        filled: expression -> the fill policy that produced (part of) its row, for rows with
            cells no source covered.
        closed_aus: ``True`` when any AU not in ``aus`` is known to be 0 (prototype tables:
            an AU absent from every configuration is absent), so reindexing adds such AUs as
            zeros instead of treating them as missing.
        q_values: ``[E, A]`` Benjamini-Hochberg q-values of an estimated source (NaN where
            none), kept only when the matrix has a single source.
        significance: ``[E, A]`` int8: +1 significantly associated (q < alpha and
            P(AU | e) > P(AU | not e)), -1 significantly below, 0 otherwise, by
            :func:`auknow.significance.significance`; single estimated source only.
        ci: ``([E, A] low, [E, A] high)`` confidence intervals in the matrix's units; only in
            ``quantified`` mode with a single source that gives them.

    >>> import numpy as np
    >>> m = PriorMatrix(values=np.array([[1.0, 0.5]]), expressions=("happiness",), aus=("AU06", "AU12"),
    ...                 mode="binary")
    >>> m.row("happiness"), m.tensor().shape
    ({'AU06': 1.0, 'AU12': 0.5}, torch.Size([1, 2]))
    """

    values: np.ndarray
    expressions: tuple[str, ...]
    aus: tuple[str, ...]
    mode: str
    sources: list[dict] = field(default_factory=list)
    support: np.ndarray | None = None
    filled: dict[str, str] = field(default_factory=dict)
    closed_aus: bool = False
    q_values: np.ndarray | None = None
    significance: np.ndarray | None = None
    ci: tuple[np.ndarray, np.ndarray] | None = None

    def __post_init__(self):
        self.values = np.asarray(self.values, dtype=np.float64)
        self.expressions = tuple(self.expressions)
        self.aus = tuple(self.aus)
        shape = (len(self.expressions), len(self.aus))
        if self.values.shape != shape:
            raise CompileError(f"PriorMatrix: values have shape {self.values.shape} but the labels give {shape}")
        for what, labels in (("expressions", self.expressions), ("aus", self.aus)):
            if len(set(labels)) != len(labels):
                raise CompileError(f"PriorMatrix: {what} repeat a label: {', '.join(labels)}")
        for name in ("support", "q_values", "significance"):
            arr = getattr(self, name)
            if arr is not None and np.shape(arr) != shape:
                raise CompileError(f"PriorMatrix: {name} has shape {np.shape(arr)}, expected {shape}")

    # --- views -----------------------------------------------------------------------------------
    @property
    def shape(self) -> tuple[int, int]:
        """``(E, A)``."""
        return self.values.shape

    def numpy(self) -> np.ndarray:
        """A copy of the ``[E, A]`` float64 values (rows :attr:`expressions`, columns :attr:`aus`)."""
        return self.values.copy()

    def tensor(self, device=None, dtype=None):
        """The values as a torch tensor ``[E, A]``.

        Args:
            device: torch device (``"cpu"``, ``"cuda"``, a :class:`torch.device`); default CPU.
            dtype: torch dtype; default ``torch.float32``.
        """
        import torch

        return torch.tensor(self.values, dtype=torch.float32 if dtype is None else dtype, device=device)

    def to_frame(self):
        """The values as a pandas DataFrame: index the expressions, columns the AUs.

        >>> m = PriorMatrix(values=[[1.0, 0.0]], expressions=("happiness",), aus=("AU06", "AU12"), mode="binary")
        >>> float(m.to_frame().loc["happiness", "AU06"])
        1.0
        """
        import pandas as pd

        return pd.DataFrame(self.values.copy(), index=pd.Index(self.expressions, name="expression"),
                            columns=pd.Index(self.aus, name="au"))

    @classmethod
    def from_frame(cls, df, mode: str = "quantified") -> "PriorMatrix":
        """A matrix from a DataFrame with expressions as the index and AUs as the columns, any
        spelling (``happy`` / ``AU1``): the names are made canonical, the order kept.

        Raises:
            LabelError: an unknown or repeated expression or AU name.
            CompileError: an unknown mode or non-numeric values.

        >>> import pandas as pd
        >>> PriorMatrix.from_frame(pd.DataFrame({"AU6": [0.9]}, index=["happy"])).aus
        ('AU06',)
        """
        check_choice("mode", mode, MODES + BASES)
        try:
            values = np.asarray(df.to_numpy(), dtype=np.float64)
        except (TypeError, ValueError):
            raise CompileError("from_frame: the values must be numbers") from None
        return cls(values=values, expressions=resolve_expressions([str(i) for i in df.index]),
                   aus=resolve_aus([str(c) for c in df.columns]), mode=mode,
                   sources=[{"table": "dataframe", "kind": "dataframe"}])

    @property
    def scale(self) -> float:
        """The scale compiled into the values (``compile_matrix(scale=...)``): 1 when none, or
        when the sources were scaled differently. Losses read it to refuse scaling twice."""
        factors = {float(s.get("scale", 1.0)) for s in self.sources}
        return factors.pop() if len(factors) == 1 else 1.0

    def row(self, expression: str) -> dict[str, float]:
        """AU -> value of one expression (aliases accepted). Raises :class:`CompileError` if absent."""
        name = resolve_expressions([expression], self.expressions)[0]
        if name not in self.expressions:
            raise CompileError(f"'{expression}' is not a row of this matrix (rows: {', '.join(self.expressions)})")
        e = self.expressions.index(name)
        return {a: float(v) for a, v in zip(self.aus, self.values[e])}

    def __repr__(self) -> str:
        names = ", ".join(s.get("table", "?") for s in self.sources)
        return (f"PriorMatrix(mode={self.mode!r}, shape={self.shape}, expressions={list(self.expressions)}, "
                f"aus={list(self.aus)}, sources=[{names}])")

    # --- reindexing ------------------------------------------------------------------------------
    def reindex(self, expressions=None, aus=None, missing: Fill | Mapping[str, Fill] = "error") -> "PriorMatrix":
        """The matrix in another label order, e.g. a model's class and AU order.

        Args:
            expressions: rows of the result: names (aliases resolved: ``happy`` -> ``happiness``),
                a comma list, or a label space (``"dfew"``: happy, sad, neutral, angry, surprise,
                disgust, fear). ``None`` keeps the rows.
            aus: columns: AU names, a comma list, or an AU set (``"openface_c"``: the 18 OpenFace
                AUs). ``None`` keeps the columns.
            missing: policy for cells the matrix does not have (a new expression, a new AU
                unless :attr:`closed_aus`): ``"error"`` (default), ``"zero"``, ``"uniform"``
                (``1/A``), ``"mean"`` (the AU's mean over the rows the matrix has), ``"nan"``, a
                row (sequence of A values in the new AU order, or a mapping AU -> value, other
                AUs 0), or a mapping expression -> any of these.

        Returns:
            A new :class:`PriorMatrix` ``[E', A']``; ``filled`` records the policy per filled row.

        Raises:
            CompileError: unknown labels, or a missing cell under policy ``"error"`` (naming
                the expressions / AUs and the policies that would fill them).
        """
        new_e = resolve_expressions(expressions, self.expressions) or self.expressions
        new_a = resolve_aus(aus) or self.aus
        vals, covered = values_at(self, new_e, new_a)
        uncovered = ~covered
        out = fill_uncovered(vals, uncovered, new_e, new_a, missing, what="reindex")
        filled = {k: v for k, v in self.filled.items() if k in new_e}
        filled.update(fill_record(uncovered, new_e, missing))
        support = reindex_cells(self.support, self.expressions, self.aus, new_e, new_a, 0, dtype=int)
        if support is not None:
            support[uncovered] = 0
        ci = None
        if self.ci is not None:
            ci = (reindex_cells(self.ci[0], self.expressions, self.aus, new_e, new_a, np.nan),
                  reindex_cells(self.ci[1], self.expressions, self.aus, new_e, new_a, np.nan))
        return PriorMatrix(values=out, expressions=new_e, aus=new_a, mode=self.mode,
                           sources=[dict(s) for s in self.sources], support=support, filled=filled,
                           closed_aus=self.closed_aus,
                           q_values=reindex_cells(self.q_values, self.expressions, self.aus, new_e, new_a, np.nan),
                           significance=reindex_cells(self.significance, self.expressions, self.aus, new_e, new_a, 0,
                                              dtype=np.int8),
                           ci=ci)

    # --- serialisation ---------------------------------------------------------------------------
    def to_dict(self) -> dict:
        """A plain mapping (lists, floats, strings): ``format``, ``values`` (nested lists, rows
        = expressions), ``expressions``, ``aus``, ``mode``, ``sources``, ``filled`` and, when
        present, ``support``, ``q_values``, ``significance``, ``ci_low``, ``ci_high``."""
        out = {"format": PRIOR_FORMAT, "mode": self.mode, "expressions": list(self.expressions),
               "aus": list(self.aus), "values": self.values.tolist(), "sources": _jsonable(self.sources),
               "filled": dict(self.filled), "closed_aus": self.closed_aus}
        for name in ("support", "q_values", "significance"):
            arr = getattr(self, name)
            if arr is not None:
                out[name] = np.asarray(arr).tolist()
        if self.ci is not None:
            out["ci_low"], out["ci_high"] = self.ci[0].tolist(), self.ci[1].tolist()
        return out

    @classmethod
    def from_dict(cls, data: Mapping) -> "PriorMatrix":
        """Inverse of :meth:`to_dict` (also accepts tensors / arrays for the array entries).

        Raises:
            CompileError: a key is missing or the format is not ``auknow.prior_matrix/1``.
        """
        if data.get("format") != PRIOR_FORMAT:
            raise CompileError(f"not an auknow prior matrix (format {data.get('format')!r}, expected {PRIOR_FORMAT!r})")
        try:
            def arr(key, dtype=np.float64):
                v = data.get(key)
                if v is None:
                    return None
                return np.asarray(v.tolist() if hasattr(v, "tolist") and not isinstance(v, np.ndarray) else v,
                                  dtype=dtype)

            ci = None
            if data.get("ci_low") is not None:
                ci = (arr("ci_low"), arr("ci_high"))
            return cls(values=arr("values"), expressions=tuple(data["expressions"]), aus=tuple(data["aus"]),
                       mode=data["mode"], sources=list(data.get("sources", [])), support=arr("support", int),
                       filled=dict(data.get("filled", {})), closed_aus=bool(data.get("closed_aus", False)),
                       q_values=arr("q_values"), significance=arr("significance", np.int8), ci=ci)
        except KeyError as exc:
            raise CompileError(f"prior matrix: missing key {exc.args[0]!r}") from None

    def save(self, path: str | os.PathLike, overwrite: bool = False) -> list[Path]:
        """Write the matrix atomically; never replaces a file unless ``overwrite``.

        Formats by suffix:

        * ``.pt``: ``torch.save`` of :meth:`to_dict` with ``values`` as a float64 tensor
          ``[E, A]`` (loads with ``torch.load(path, weights_only=True)``);
        * ``.csv``: header ``expression,AU01,...``, one row per expression, 17 significant digits;
        * ``.npy``: the ``[E, A]`` float64 array, plus ``<stem>.labels.json`` holding every other
          field (labels, mode, sources), so the order is never lost;
        * ``.json``: :meth:`to_dict` as JSON.

        Returns:
            The written paths.

        Raises:
            CompileError: unknown suffix. OutputExistsError: a target exists and not ``overwrite``.
        """
        from ..atomic import OutputExistsError, write_atomic, write_text_atomic

        path = Path(path)
        suffix = path.suffix.lower()
        if suffix == ".pt":
            import torch

            data = self.to_dict()
            data["values"] = torch.tensor(self.values, dtype=torch.float64)
            return [write_atomic(path, lambda p: torch.save(data, p), overwrite=overwrite)]
        if suffix == ".csv":
            return [write_text_atomic(path, self.to_csv(), overwrite=overwrite)]
        if suffix == ".json":
            return [write_text_atomic(path, json.dumps(self.to_dict(), indent=1) + "\n", overwrite=overwrite)]
        if suffix == ".npy":
            side = labels_path(path)
            if not overwrite:
                for p in (path, side):
                    if p.exists():
                        raise OutputExistsError(f"{p}: exists; not overwritten (ask for it with overwrite=True)")
            meta = self.to_dict()
            del meta["values"]
            meta["values_file"] = path.name
            out = [write_atomic(path, lambda p: _save_npy(p, self.values), overwrite=overwrite)]
            out.append(write_text_atomic(side, json.dumps(meta, indent=1) + "\n", overwrite=overwrite))
            return out
        raise CompileError(f"{path}: unknown matrix format '{suffix}' (expected .pt, .npy, .csv or .json)")

    def to_csv(self) -> str:
        """CSV text: ``expression,AU01,...`` then one row per expression (``repr`` floats, exact)."""
        lines = [",".join(("expression", *self.aus))]
        for e, row in zip(self.expressions, self.values):
            lines.append(",".join((e, *(_csv_float(v) for v in row))))
        return "\n".join(lines) + "\n"

    @classmethod
    def load(cls, path: str | os.PathLike) -> "PriorMatrix":
        """Read a matrix written by :meth:`save` (``.pt``, ``.npy`` + labels, ``.csv``, ``.json``).

        A CSV carries only labels and values: mode ``"quantified"``, no sources.

        Raises:
            CompileError: unknown suffix, unreadable file, or a missing labels file for ``.npy``.
        """
        path = Path(path)
        suffix = path.suffix.lower()
        try:
            if suffix == ".pt":
                import torch

                return cls.from_dict(torch.load(path, weights_only=True))
            if suffix == ".json":
                return cls.from_dict(json.loads(path.read_text(encoding="utf-8")))
            if suffix == ".npy":
                side = labels_path(path)
                if not side.exists():
                    raise CompileError(f"{path}: its labels file {side.name} is missing")
                meta = json.loads(side.read_text(encoding="utf-8"))
                meta["values"] = np.load(path, allow_pickle=False)
                return cls.from_dict(meta)
            if suffix == ".csv":
                return _read_csv(path)
        except (OSError, ValueError) as exc:
            if isinstance(exc, CompileError):
                raise
            raise CompileError(f"{path}: cannot read a prior matrix ({exc})") from None
        raise CompileError(f"{path}: unknown matrix format '{suffix}' (expected .pt, .npy, .csv or .json)")


def labels_path(npy_path: str | os.PathLike) -> Path:
    """The labels file written next to a ``.npy`` matrix: ``prior.npy -> prior.labels.json``.

    >>> labels_path("out/prior.npy").as_posix()
    'out/prior.labels.json'
    """
    p = Path(npy_path)
    return p.with_name(p.stem + ".labels.json")


def _save_npy(path: Path, values: np.ndarray) -> None:
    with open(path, "wb") as fh:
        np.save(fh, values, allow_pickle=False)


def _csv_float(v: float) -> str:
    return "nan" if math.isnan(v) else repr(float(v))


def _read_csv(path: Path) -> PriorMatrix:
    import csv

    with open(path, encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    if not rows or rows[0][:1] != ["expression"]:
        raise CompileError(f"{path}: expected a header 'expression,AU01,...'")
    aus = tuple(rows[0][1:])
    exprs, vals = [], []
    for n, r in enumerate(rows[1:], start=2):
        if len(r) != len(aus) + 1:
            raise CompileError(f"{path}:{n}: expected {len(aus) + 1} cells, got {len(r)}")
        exprs.append(r[0])
        vals.append([float(x) for x in r[1:]])
    return PriorMatrix(values=np.array(vals, dtype=np.float64).reshape(len(exprs), len(aus)),
                       expressions=tuple(exprs), aus=aus, mode="quantified")


def _jsonable(obj):
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, (np.floating, np.integer)):
        return obj.item()
    return obj


def reindex_cells(arr, old_e, old_a, new_e, new_a, fill_value, dtype=np.float64):
    """``arr`` (``[E, A]``, rows ``old_e``, columns ``old_a``) at other labels: a new
    ``[len(new_e), len(new_a)]`` array of ``dtype``, ``fill_value`` where ``arr`` lacks the row or
    column; ``None`` when ``arr`` is ``None`` (an optional field such as ``support``).

    >>> import numpy as np
    >>> arr = np.array([[1.0, 2.0], [3.0, 4.0]])
    >>> old_e, old_a = ("happiness", "sadness"), ("AU6", "AU12")
    >>> reindex_cells(arr, old_e, old_a, ("sadness", "fear"), ("AU12", "AU1"), -1.0).tolist()
    [[4.0, -1.0], [-1.0, -1.0]]
    """
    if arr is None:
        return None
    out = np.full((len(new_e), len(new_a)), fill_value, dtype=dtype)
    for i, e in enumerate(new_e):
        if e not in old_e:
            continue
        r = old_e.index(e)
        for j, a in enumerate(new_a):
            if a in old_a:
                out[i, j] = arr[r, old_a.index(a)]
    return out


def values_at(m: "PriorMatrix", new_e, new_a) -> tuple[np.ndarray, np.ndarray]:
    """``m``'s values at other labels: ``(values [E', A'] with NaN where m lacks the cell, covered
    [E', A'] bool)``; in rows m has, AUs it lacks are 0 and covered when ``m.closed_aus``.

    >>> import numpy as np
    >>> m = PriorMatrix(values=np.array([[1.0, 0.5]]), expressions=("happiness",), aus=("AU6", "AU12"),
    ...                 mode="quantified", closed_aus=True)
    >>> vals, covered = values_at(m, ("happiness", "fear"), ("AU12", "AU1"))
    >>> vals.tolist(), covered.tolist()
    ([[0.5, 0.0], [nan, nan]], [[True, True], [False, False]])
    """
    vals = reindex_cells(m.values, m.expressions, m.aus, new_e, new_a, np.nan)
    covered = reindex_cells(np.ones(m.values.shape, bool), m.expressions, m.aus, new_e, new_a, False, dtype=bool)
    if m.closed_aus:
        closed = np.array([e in m.expressions for e in new_e], bool)[:, None] & ~covered
        vals[closed] = 0.0
        covered |= closed
    return vals, covered
