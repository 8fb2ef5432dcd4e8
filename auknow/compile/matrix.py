r"""Prior matrices ``[E, A]``: knowledge tables compiled to expression x AU weights.

:func:`compile_matrix` is the entry point. It runs four documented steps (formulas in
``docs/compile.md``):

1. **per source** (:func:`table_matrix`): each table becomes base values ``X_s [E_s, A_s]``,
   ``binary``, ``quantified`` or ``signed``; undefined cells are NaN;
2. **consensus** (:func:`combine`): the sources are aligned to the target label space and merged
   by a weighted mean or a weighted vote, each source's gaps handled by its ``missing`` policy;
3. **transform**: ``row_normalised``, ``column_normalised`` or ``softmax`` act on the consensus;
4. **fill**: cells no source covers (an expression such as ``neutral`` that no table lists) get
   the ``fill`` policy (:meth:`PriorMatrix.reindex` uses the same policies).

A :class:`PriorMatrix` always carries its row (expression) and column (AU) labels and the
per-source provenance, so no bare array whose order must be remembered leaves this module.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping, Sequence, Union

import numpy as np

from ..facs import are_exclusive, au_name, au_number, exclusive_pairs
from ..tables.expand import ALTERNATIVE_READINGS, DEFAULT_ALTERNATIVES, alternative_shares
from ..tables.model import PrototypeTable, QuantifiedTable, Table
from ._common import (CompileError, au_sort_key, citation_short, resolve_aus, resolve_expressions,
                      resolve_tables)

MODES = ("binary", "quantified", "row_normalised", "column_normalised", "softmax", "signed")
BASES = ("binary", "quantified", "signed")
MISSING_POLICIES = ("error", "zero", "ignore")
FILL_POLICIES = ("error", "zero", "uniform", "mean", "nan")
CONFIGURATION_RULES = ("max", "mean", "first")
COMBINE_METHODS = ("mean", "vote")
RESCALE_METHODS = ("range", "max")
#: Statistics whose sign already says "for" (> 0) or "against" (< 0) an expression.
SIGNED_STATISTICS = ("log_odds_ratio", "phi")

Fill = Union[str, Sequence[float], Mapping[str, float], np.ndarray]
PRIOR_FORMAT = "auknow.prior_matrix/1"


@dataclass(eq=False)
class PriorMatrix:
    """An expression x AU matrix with its labels and provenance.

    Attributes:
        values: ``[E, A]`` float64. Value range depends on ``mode``: binary ``{0, opt, alt, 1}``
            (fractions under a mean consensus), quantified the tables' statistic (times ``scale``),
            row / column normalised and softmax ``[0, 1]``, signed ``[-1, 1]`` for prototype
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
        significance: ``[E, A]`` int8: +1 significantly above the AU's level in other
            expressions (q < alpha), -1 significantly below, 0 otherwise; single estimated
            source only (rule in ``docs/compile.md``, "signed").
        ci: ``([E, A] low, [E, A] high)`` confidence intervals in the matrix's units; only in
            ``quantified`` mode with a single source that gives them.
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
        vals, covered = _lookup(self, new_e, new_a)
        uncovered = ~covered
        out = _fill(vals, uncovered, new_e, new_a, missing, what="reindex")
        filled = {k: v for k, v in self.filled.items() if k in new_e}
        filled.update(_fill_record(uncovered, new_e, missing))
        support = _take(self.support, self.expressions, self.aus, new_e, new_a, 0, dtype=int)
        if support is not None:
            support[uncovered] = 0
        ci = None
        if self.ci is not None:
            ci = (_take(self.ci[0], self.expressions, self.aus, new_e, new_a, np.nan),
                  _take(self.ci[1], self.expressions, self.aus, new_e, new_a, np.nan))
        return PriorMatrix(values=out, expressions=new_e, aus=new_a, mode=self.mode,
                           sources=[dict(s) for s in self.sources], support=support, filled=filled,
                           closed_aus=self.closed_aus,
                           q_values=_take(self.q_values, self.expressions, self.aus, new_e, new_a, np.nan),
                           significance=_take(self.significance, self.expressions, self.aus, new_e, new_a, 0,
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
                        raise OutputExistsError(f"{p}: exists; not overwritten (ask for it with --force / overwrite=True)")
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
    """The labels file written next to a ``.npy`` matrix: ``prior.npy -> prior.labels.json``."""
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


def _take(arr, old_e, old_a, new_e, new_a, fill_value, dtype=np.float64):
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


def _lookup(m: "PriorMatrix", new_e, new_a) -> tuple[np.ndarray, np.ndarray]:
    """``m``'s values at other labels: ``(values [E', A'] with NaN where m lacks the cell, covered
    [E', A'] bool)``; in rows m has, AUs it lacks are 0 and covered when ``m.closed_aus``."""
    vals = _take(m.values, m.expressions, m.aus, new_e, new_a, np.nan)
    covered = _take(np.ones(m.values.shape, bool), m.expressions, m.aus, new_e, new_a, False, dtype=bool)
    if m.closed_aus:
        closed = np.array([e in m.expressions for e in new_e], bool)[:, None] & ~covered
        vals[closed] = 0.0
        covered |= closed
    return vals, covered


# --- fill policies --------------------------------------------------------------------------------

def _policy_for(missing, expression: str, exprs=()):
    if isinstance(missing, Mapping) and not _is_au_mapping(missing):
        keyed = {resolve_expressions([k], exprs)[0]: v for k, v in missing.items() if k != "*"}
        return keyed.get(expression, missing.get("*", "error"))
    return missing


def _is_au_mapping(m: Mapping) -> bool:
    # A mapping AU -> value is a row; a mapping expression -> policy is per expression.
    keys = [k for k in m if k != "*"]
    if not keys:
        return False
    try:
        resolve_aus([str(k) for k in keys])
        return True
    except CompileError:
        return False


def _fill(vals: np.ndarray, uncovered: np.ndarray, exprs, aus, missing, what: str) -> np.ndarray:
    """Fill the uncovered cells of ``vals`` ([E, A], NaN there) by policy; see :meth:`PriorMatrix.reindex`."""
    out = vals.copy()
    if not uncovered.any():
        return out
    A = len(aus)
    col_mean = None
    errors = []
    for i, e in enumerate(exprs):
        cols = np.flatnonzero(uncovered[i])
        if cols.size == 0:
            continue
        pol = _policy_for(missing, e, exprs)
        if isinstance(pol, str):
            if pol not in FILL_POLICIES:
                raise CompileError(f"{what}: unknown fill policy '{pol}' for {e} (expected one of "
                                   f"{', '.join(FILL_POLICIES)}, a row of {A} values, or a mapping AU -> value)")
            if pol == "error":
                errors.append((e, [aus[j] for j in cols]))
                continue
            if pol == "zero":
                out[i, cols] = 0.0
            elif pol == "nan":
                out[i, cols] = np.nan
            elif pol == "uniform":
                out[i, cols] = 1.0 / A
            elif pol == "mean":
                if col_mean is None:
                    masked = np.where(uncovered, np.nan, vals)
                    with np.errstate(all="ignore"):
                        cnt = (~np.isnan(masked)).sum(0)
                        col_mean = np.where(cnt > 0, np.nansum(masked, 0) / np.maximum(cnt, 1), np.nan)
                bad = [aus[j] for j in cols if np.isnan(col_mean[j])]
                if bad:
                    raise CompileError(f"{what}: fill 'mean' for {e}: no expression has a value for "
                                       f"{', '.join(bad)} to average")
                out[i, cols] = col_mean[cols]
        else:
            row = _row_from(pol, aus, e, what)
            out[i, cols] = row[cols]
    if errors:
        parts = [f"{e} ({'every AU' if len(c) == A else ', '.join(c)})" for e, c in errors]
        raise CompileError(
            f"{what}: no source gives a value for {'; '.join(parts)}; choose a fill policy "
            "(fill/missing = zero, uniform, mean, nan, or a given row; per expression with a mapping, "
            "e.g. {'neutral': 'uniform'}; CLI: --fill neutral=uniform)")
    return out


def _row_from(pol, aus, expression: str, what: str) -> np.ndarray:
    A = len(aus)
    if isinstance(pol, Mapping):
        row = np.zeros(A)
        names = resolve_aus([str(k) for k in pol])
        for name, v in zip(names, pol.values()):
            if name not in aus:
                raise CompileError(f"{what}: fill row for {expression} names {name}, which is not a column "
                                   f"({', '.join(aus)})")
            row[aus.index(name)] = float(v)
        return row
    row = np.asarray(pol, dtype=np.float64).reshape(-1)
    if row.shape != (A,):
        raise CompileError(f"{what}: fill row for {expression} has {row.size} values, expected {A} "
                           f"(one per AU: {', '.join(aus)})")
    return row


def _fill_record(uncovered: np.ndarray, exprs, missing) -> dict[str, str]:
    out = {}
    for i, e in enumerate(exprs):
        if uncovered[i].any():
            pol = _policy_for(missing, e, exprs)
            out[e] = pol if isinstance(pol, str) else "row"
    return out


# --- per-source base matrices --------------------------------------------------------------------

def _check_choice(name: str, value, choices) -> None:
    if value not in choices:
        raise CompileError(f"{name}: '{value}' is not one of {', '.join(map(str, choices))}")


def _source_info(table: Table, weight: float = 1.0) -> dict:
    info = {"table": table.name, "kind": table.kind, "title": table.title,
            "provenance": table.provenance.kind, "citation": citation_short(table), "weight": float(weight)}
    if isinstance(table, QuantifiedTable):
        info["statistic"] = table.statistic.name
        info["table_scale"] = table.scale
    return info


def configuration_vector(config, aus: Sequence[str], *, signed: bool = False, optional_value: float = 0.5,
                         alternative_value: float | None = None, negative_value: float = 1.0,
                         alternatives: str = DEFAULT_ALTERNATIVES) -> np.ndarray:
    """Values ``[A]`` of one configuration (FACS code lists of a prototype table).

    ``v[a] = 1`` if ``a`` is required, ``optional_value`` if optional, ``alternative_value``
    if one of the alternatives, else 0; the largest applies when an AU is listed twice. The
    default ``alternative_value`` is the chance a given alternative joins under the reading
    ``alternatives`` (:func:`auknow.tables.expand.alternative_shares`): ``"one"`` (default,
    exactly one joins) ``1/k`` for k alternatives; ``"subsets"`` (every FACS-compatible
    non-empty subset joins, the ``facs`` R package's reading) the share of those subsets that
    hold it (25, 26, 27 -> 3/5, 2/5, 2/5). Signed:
    an AU not in the configuration that FACS 2002 forbids together with one of its required AUs
    (:func:`auknow.facs.are_exclusive`) gets ``-negative_value``. Intensity and laterality are
    ignored (``L12A`` counts as AU12).
    """
    v = np.zeros(len(aus))
    pos = {a: i for i, a in enumerate(aus)}
    shares = alternative_shares(config, alternatives)
    for items, val in ((config.required, 1.0), (config.optional, float(optional_value))):
        for it in items:
            name = au_name(it.number)
            if name in pos:
                v[pos[name]] = max(v[pos[name]], val)
    for it in config.alternatives:
        name = au_name(it.number)
        val = shares[it.number] if alternative_value is None else float(alternative_value)
        if name in pos:
            v[pos[name]] = max(v[pos[name]], val)
    if signed:
        mentioned = {it.number for it in (*config.required, *config.optional, *config.alternatives)}
        required = {it.number for it in config.required}
        for a, i in pos.items():
            n = au_number(a)
            if n not in mentioned and any(are_exclusive(n, r) for r in required):
                v[i] = -float(negative_value)
    return v


def _prototype_matrix(table: PrototypeTable, base: str, *, optional_value, alternative_value, configurations,
                      negative_value, alternatives=DEFAULT_ALTERNATIVES) -> PriorMatrix:
    numbers = set()
    for configs in table.expressions.values():
        for c in configs:
            numbers.update(it.number for it in (*c.required, *c.optional, *c.alternatives))
    if base == "signed":
        required = {it.number for cs in table.expressions.values() for c in cs for it in c.required}
        for pair in exclusive_pairs():
            a, b = tuple(pair)
            if a in required:
                numbers.add(b)
            if b in required:
                numbers.add(a)
    aus = tuple(au_name(n) for n in sorted(numbers))
    exprs = tuple(table.expressions)
    vals = np.zeros((len(exprs), len(aus)))
    for i, e in enumerate(exprs):
        configs = table.expressions[e]
        if not configs:
            vals[i] = np.nan
            continue
        if configurations == "first":
            configs = configs[:1]
        vecs = np.stack([configuration_vector(c, aus, signed=base == "signed", optional_value=optional_value,
                                              alternative_value=alternative_value, negative_value=negative_value,
                                              alternatives=alternatives)
                         for c in configs])
        vals[i] = vecs.max(0) if configurations in ("max", "first") else vecs.mean(0)
    info = _source_info(table)
    info.update({"configurations": configurations, "optional_value": float(optional_value),
                 "alternative_value": ({"one": "1/k", "subsets": "subset share"}[alternatives]
                                       if alternative_value is None else float(alternative_value)),
                 "alternatives": alternatives})
    if base == "signed":
        info["negative_value"] = float(negative_value)
    return PriorMatrix(values=vals, expressions=exprs, aus=aus, mode=base, sources=[info], closed_aus=True)


def _scale_factor(table: QuantifiedTable, scale) -> float:
    if scale is None or scale == "none":
        return 1.0
    if scale == "table":
        return 1.0 if table.scale is None else float(table.scale)
    try:
        f = float(scale)
    except (TypeError, ValueError):
        raise CompileError(f"scale: '{scale}' is not a number, 'table' or None") from None
    if not math.isfinite(f):
        raise CompileError(f"scale: {scale} is not finite")
    return f


def _quantified_matrix(table: QuantifiedTable, base: str, *, threshold, scale, rescale, alpha) -> PriorMatrix:
    exprs = tuple(table.weights)
    aus = tuple(table.aus())
    E, A = len(exprs), len(aus)
    raw = np.full((E, A), np.nan)
    q = np.full((E, A), np.nan)
    lo = np.full((E, A), np.nan)
    hi = np.full((E, A), np.nan)
    for i, e in enumerate(exprs):
        for j, a in enumerate(aus):
            w = table.weights[e].get(a)
            if w is None:
                continue
            raw[i, j] = w.value
            if w.q_value is not None:
                q[i, j] = w.q_value
            if w.ci is not None:
                lo[i, j], hi[i, j] = w.ci
    stat = table.statistic
    signed_stat = stat.name in SIGNED_STATISTICS or stat.range[0] < 0
    has_q = bool(np.isfinite(q).any())
    with np.errstate(all="ignore"):
        col_mean = np.nanmean(np.where(np.isnan(raw), np.nan, raw), axis=0) if E else np.zeros(A)
    significance = None
    info = _source_info(table)
    if has_q:
        info["alpha"] = float(alpha)
        above = raw > 0 if signed_stat else raw > col_mean
        below = raw < 0 if signed_stat else raw < col_mean
        sig = np.isfinite(q) & (q < alpha)
        significance = np.where(sig & above, 1, np.where(sig & below, -1, 0)).astype(np.int8)
    if base == "binary":
        if threshold is None:
            raise CompileError(f"table '{table.name}' is quantified ({stat.name}); binary mode needs a threshold "
                               "(threshold=..., CLI --threshold): value >= threshold -> 1, else 0")
        vals = np.where(np.isnan(raw), np.nan, (raw >= float(threshold)).astype(float))
        info["threshold"] = float(threshold)
        return PriorMatrix(values=vals, expressions=exprs, aus=aus, mode=base, sources=[info],
                           q_values=q if has_q else None, significance=significance)
    vals = raw.copy()
    ci_lo, ci_hi = lo.copy(), hi.copy()
    if base == "signed":
        if signed_stat:
            info["signed_rule"] = f"{stat.name} keeps its sign"
        elif has_q:
            neg = significance == -1
            vals = np.where(neg, raw - col_mean[None, :], raw)
            ci_lo = np.where(neg, np.nan, ci_lo)
            ci_hi = np.where(neg, np.nan, ci_hi)
            info["signed_rule"] = (f"value - mean over expressions where q < {alpha:g} and value below that mean")
        else:
            info["signed_rule"] = "none: no q-values and a non-negative statistic (values kept)"
    if rescale is not None:
        _check_choice("rescale", rescale, RESCALE_METHODS)
        if rescale == "range":
            low, high = stat.range
            if not (math.isfinite(low) and math.isfinite(high)) or high <= low:
                raise CompileError(f"table '{table.name}': rescale 'range' needs a finite statistic range, "
                                   f"{stat.name} has {list(stat.range)} (use rescale='max')")
            if base == "signed" and low < 0:
                raise CompileError(f"table '{table.name}': rescale 'range' would remove the sign of {stat.name}; "
                                   "use rescale='max' in signed mode")
            vals, ci_lo, ci_hi = ((x - low) / (high - low) for x in (vals, ci_lo, ci_hi))
        else:
            m = np.nanmax(np.abs(vals)) if np.isfinite(vals).any() else 0.0
            if m > 0:
                vals, ci_lo, ci_hi = vals / m, ci_lo / m, ci_hi / m
        info["rescale"] = rescale
    f = _scale_factor(table, scale)
    info["scale"] = f
    vals, ci_lo, ci_hi = vals * f, ci_lo * f, ci_hi * f
    if f < 0:
        ci_lo, ci_hi = ci_hi, ci_lo
    ci = (ci_lo, ci_hi) if np.isfinite(ci_lo).any() else None
    return PriorMatrix(values=vals, expressions=exprs, aus=aus, mode=base, sources=[info],
                       q_values=q if has_q else None, significance=significance, ci=ci)


def table_matrix(table, base: str = "quantified", *, optional_value: float = 0.5,
                 alternative_value: float | None = None, configurations: str = "max", negative_value: float = 1.0,
                 threshold: float | None = None, scale=None, rescale: str | None = None,
                 alpha: float = 0.05, alternatives: str = DEFAULT_ALTERNATIVES) -> PriorMatrix:
    """One table's base matrix ``[E_s, A_s]`` (rows: the table's expressions in table order;
    columns: its AUs in FACS order). Undefined cells (an AU a quantified table gives for some
    expressions but not this one) are NaN.

    Args:
        table: a prototype or quantified table (or a path / bundled name).
        base: ``"binary"``, ``"quantified"`` or ``"signed"``.
        optional_value, alternative_value, configurations, negative_value: prototype tables;
            see :func:`configuration_vector`. ``alternatives``: ``"one"`` (default) or
            ``"subsets"``, the reading of a configuration's alternatives
            (:mod:`auknow.tables.expand`). ``configurations``: ``"max"`` (default; an AU counts
            as much as in the configuration where it counts most; signed: negative only if every
            configuration excludes it), ``"mean"`` (average over configurations), ``"first"``
            (the first configuration, usually the prototype).
        threshold: quantified tables in binary mode: ``value >= threshold -> 1``, else 0 (required).
        scale: quantified tables: ``None`` (stored values), ``"table"`` (times the table's
            ``scale``, e.g. 5 for AU-DFER; 1 if it has none) or a number.
        rescale: quantified tables, applied before ``scale``: ``"range"`` maps the statistic's
            declared range ``[lo, hi]`` to ``[0, 1]``; ``"max"`` divides by the largest ``|value|``.
        alpha: q-value threshold of significance (estimated tables).

    Returns:
        A per-source :class:`PriorMatrix` whose mode is ``base``. For prototype tables, quantified
        mode equals binary mode (a prototype's weights are its configurations).

    Raises:
        CompileError: a relation / dataset table, binary mode of a quantified table without a
            threshold, or a bad option value.
    """
    from ._common import resolve_table

    table = resolve_table(table)
    _check_choice("base", base, BASES)
    _check_choice("configurations", configurations, CONFIGURATION_RULES)
    if isinstance(table, PrototypeTable):
        _check_choice("alternatives", alternatives, ALTERNATIVE_READINGS)
        return _prototype_matrix(table, base, optional_value=optional_value, alternative_value=alternative_value,
                                 alternatives=alternatives,
                                 configurations=configurations, negative_value=negative_value)
    if isinstance(table, QuantifiedTable):
        return _quantified_matrix(table, base, threshold=threshold, scale=scale, rescale=rescale, alpha=alpha)
    raise CompileError(f"table '{table.name}' is a {table.kind} table; prior matrices come from prototype and "
                       "quantified tables (relation tables give AU graphs: au_graph / export --to graph.*)")


# --- consensus -----------------------------------------------------------------------------------

def _per_source(value, names: list[str], what: str, default):
    """A per-source option: one value for all, a sequence (one per source), or a mapping by table name."""
    if value is None:
        return [default] * len(names)
    if isinstance(value, Mapping):
        unknown = [k for k in value if k not in names and k != "*"]
        if unknown:
            raise CompileError(f"{what}: {', '.join(map(str, unknown))} is not among the tables ({', '.join(names)})")
        default = value.get("*", default)
        return [value.get(n, default) for n in names]
    if isinstance(value, (list, tuple, np.ndarray)):
        if len(value) != len(names):
            raise CompileError(f"{what}: {len(value)} values for {len(names)} tables ({', '.join(names)})")
        return list(value)
    return [value] * len(names)


def combine_matrices(matrices: Sequence[PriorMatrix], *, weights=None, method: str = "mean", missing="error",
            expressions=None, aus=None, vote_threshold: float = 0.0) -> PriorMatrix:
    r"""Consensus of several per-source matrices in one label space.

    The target rows are ``expressions`` (if given) or the union of the sources' rows in order of
    first appearance; the columns ``aus`` or the union of the sources' AUs in FACS order. Source
    ``s`` *lacks* a target cell when it has no such row, no such column (unless its AUs are
    closed: prototype tables give 0 for AUs they do not mention) or a NaN there. Where it lacks
    a cell that another source gives, its ``missing`` policy applies: ``"error"`` (raise, naming
    the table and what it lacks), ``"zero"`` (count it as 0) or ``"ignore"`` (leave it out of
    that cell's consensus). Cells no source gives stay NaN (``support`` 0) for the fill step.

    Consensus over the sources ``S(e, a)`` that give cell ``(e, a)``, with weights ``w_s > 0``:

    * ``mean``: :math:`\sum_s w_s x_s / \sum_s w_s`;
    * ``vote``: :math:`\sum_s w_s [x_s > t] / \sum_s w_s` (share of sources in which the AU is
      present; ``t = vote_threshold``), or :math:`\sum_s w_s \operatorname{sign}(x_s) / \sum_s w_s`
      when the sources are signed.

    Args:
        matrices: per-source matrices (:func:`table_matrix`), all of the same base mode.
        weights: source weights: one number, a sequence (one per source) or a mapping table
            name -> weight (others 1). Default 1 each.
        method: ``"mean"`` or ``"vote"``.
        missing: ``"error"``, ``"zero"`` or ``"ignore"``; one for all, a sequence, or a
            mapping table name -> policy (others ``"error"``).
        expressions, aus: the target label space (see :meth:`PriorMatrix.reindex`).

    Returns:
        ``[E, A]`` :class:`PriorMatrix` with NaN where no source gives a value, ``support`` the
        number of sources per cell, ``sources`` each source's provenance with its ``weight``,
        ``missing`` policy and ``lacks``.

    Raises:
        CompileError: a gap under policy ``"error"``, bad weights or policies, mixed modes.
    """
    if not matrices:
        raise CompileError("no tables to combine")
    _check_choice("combine", method, COMBINE_METHODS)
    modes = {m.mode for m in matrices}
    if len(modes) > 1:
        raise CompileError(f"cannot combine matrices of different modes ({', '.join(sorted(modes))})")
    names = [m.sources[0]["table"] if m.sources else f"source {i + 1}" for i, m in enumerate(matrices)]
    ws = [float(w) for w in _per_source(weights, names, "weights", 1.0)]
    for n, w in zip(names, ws):
        if not (math.isfinite(w) and w > 0):
            raise CompileError(f"weights: table '{n}' has weight {w}; weights must be finite and > 0")
    pols = _per_source(missing, names, "missing", "error")
    for n, p in zip(names, pols):
        if p not in MISSING_POLICIES:
            raise CompileError(f"missing: '{p}' for table '{n}' is not one of {', '.join(MISSING_POLICIES)}")
    extra = [e for m in matrices for e in m.expressions]
    target_e = resolve_expressions(expressions, extra)
    if target_e is None:
        target_e = tuple(dict.fromkeys(e for m in matrices for e in m.expressions))
    target_a = resolve_aus(aus)
    if target_a is None:
        target_a = tuple(sorted({a for m in matrices for a in m.aus}, key=au_sort_key))
    S = len(matrices)
    X = np.stack([_lookup(m, target_e, target_a)[0] for m in matrices])  # [S, E, A], NaN where not given
    given = ~np.isnan(X)
    any_given = given.any(0)
    sources = []
    for s, m in enumerate(matrices):
        gap = any_given & ~given[s]
        info = dict(m.sources[0]) if m.sources else {"table": names[s]}
        info["weight"], info["missing"] = ws[s], pols[s]
        lacks = _describe_gap(gap, target_e, target_a, m)
        if lacks:
            info["lacks"] = lacks
        if gap.any():
            if pols[s] == "error":
                raise CompileError(
                    f"table '{names[s]}' lacks {_gap_text(lacks)}, which other tables give; choose its policy: "
                    f"missing='zero' or 'ignore' (per table: missing={{'{names[s]}': 'zero'}}; "
                    f"CLI: --missing {names[s]}=zero)")
            if pols[s] == "zero":
                X[s][gap] = 0.0
        sources.append(info)
    given = ~np.isnan(X)
    W = np.asarray(ws)[:, None, None] * given
    total = W.sum(0)
    signed = matrices[0].mode == "signed"
    if method == "mean":
        num = np.where(given, X, 0.0) * W
    else:
        present = np.sign(np.nan_to_num(X)) if signed else (np.nan_to_num(X) > vote_threshold).astype(float)
        num = present * W
    with np.errstate(invalid="ignore", divide="ignore"):
        vals = np.where(total > 0, num.sum(0) / np.where(total > 0, total, 1.0), np.nan)
    support = given.sum(0).astype(int)
    single = S == 1
    m0 = matrices[0]
    q = sig = ci = None
    if single:
        q = _take(m0.q_values, m0.expressions, m0.aus, target_e, target_a, np.nan)
        sig = _take(m0.significance, m0.expressions, m0.aus, target_e, target_a, 0, dtype=np.int8)
        if m0.ci is not None:
            ci = (_take(m0.ci[0], m0.expressions, m0.aus, target_e, target_a, np.nan),
                  _take(m0.ci[1], m0.expressions, m0.aus, target_e, target_a, np.nan))
    if method == "vote":
        sources_note = {"combine": "vote", "vote_threshold": float(vote_threshold)}
        for info in sources:
            info.update(sources_note)
    return PriorMatrix(values=vals, expressions=target_e, aus=target_a, mode=m0.mode, sources=sources,
                       support=support, closed_aus=all(m.closed_aus for m in matrices), q_values=q,
                       significance=sig, ci=ci)


#: Alias of :func:`combine_matrices`.
combine = combine_matrices


def _describe_gap(gap: np.ndarray, exprs, aus, m: PriorMatrix) -> dict:
    out = {}
    rows = [e for i, e in enumerate(exprs) if gap[i].any() and e not in m.expressions]
    cols = [a for j, a in enumerate(aus) if gap[:, j].any() and a not in m.aus and not m.closed_aus]
    cells = [[exprs[i], aus[j]] for i, j in zip(*np.nonzero(gap))
             if exprs[i] not in rows and aus[j] not in cols]
    if rows:
        out["expressions"] = rows
    if cols:
        out["aus"] = cols
    if cells:
        out["cells"] = cells
    return out


def _gap_text(lacks: dict) -> str:
    parts = []
    if "expressions" in lacks:
        parts.append(f"expression(s) {', '.join(lacks['expressions'])}")
    if "aus" in lacks:
        parts.append(f"AU(s) {', '.join(lacks['aus'])}")
    if "cells" in lacks:
        cells = lacks["cells"]
        shown = ", ".join(f"{e}/{a}" for e, a in cells[:6]) + (f" and {len(cells) - 6} more" if len(cells) > 6 else "")
        parts.append(f"{len(cells)} cell(s) ({shown})")
    return " and ".join(parts)


# --- transforms ----------------------------------------------------------------------------------

def _require_non_negative(vals: np.ndarray, mode: str) -> None:
    if np.nanmin(vals, initial=0.0) < 0:
        raise CompileError(f"mode {mode} needs non-negative values, but the {mode} base has negative ones "
                           "(use base='quantified' / 'binary', or mode='signed')")


def normalise_rows(vals: np.ndarray) -> np.ndarray:
    r"""Row-normalised ``[E, A]``: :math:`x_{ea} / \sum_{a'} x_{ea'}`; rows summing to 0 stay 0;
    NaN cells are left out of the sum and stay NaN."""
    s = np.nansum(vals, axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(s > 0, vals / np.where(s > 0, s, 1.0), np.where(np.isnan(vals), np.nan, 0.0))


def normalise_columns(vals: np.ndarray) -> np.ndarray:
    r"""Column-normalised ``[E, A]``: :math:`x_{ea} / \sum_{e'} x_{e'a}`; columns summing to 0 stay 0."""
    return normalise_rows(vals.T).T


def softmax_rows(vals: np.ndarray, temperature: float = 1.0) -> np.ndarray:
    r"""Temperature softmax over the AUs of each row: :math:`\exp(x_{ea}/\tau) / \sum_{a'} \exp(x_{ea'}/\tau)`.

    ``tau -> 0`` approaches a one-hot argmax, ``tau -> inf`` the uniform ``1/A``. NaN cells are
    left out and stay NaN. Raises :class:`CompileError` unless ``temperature > 0``.
    """
    t = float(temperature)
    if not (math.isfinite(t) and t > 0):
        raise CompileError(f"temperature: {temperature} must be finite and > 0")
    out = np.full_like(vals, np.nan)
    for i, row in enumerate(vals):
        ok = ~np.isnan(row)
        if not ok.any():
            continue
        z = row[ok] / t
        z = np.exp(z - z.max())
        out[i, ok] = z / z.sum()
    return out


# --- the entry point -----------------------------------------------------------------------------

def compile_matrix(tables, mode: str = "binary", expressions=None, aus=None, *, weights=None,
                   combine: str = "mean", missing="error", fill: Fill | Mapping[str, Fill] = "error",
                   base: str = "quantified", optional_value: float = 0.5, alternative_value: float | None = None,
                   configurations: str = "max", negative_value: float = 1.0, threshold: float | None = None,
                   scale=None, rescale: str | None = None, temperature: float = 1.0, alpha: float = 0.05,
                   vote_threshold: float = 0.0, alternatives: str = DEFAULT_ALTERNATIVES) -> PriorMatrix:
    r"""Compile knowledge tables into an expression x AU prior matrix ``[E, A]``.

    Modes (formulas in ``docs/compile.md``):

    * ``binary``: prototype tables: required 1, optional ``optional_value`` (0.5), one of ``k``
      alternatives ``alternative_value`` (``1/k``; under ``alternatives="subsets"`` the share of
      the FACS-compatible subsets of alternatives that hold the AU), absent 0, several configurations combined
      by ``configurations`` (max); quantified tables: ``value >= threshold``.
    * ``quantified``: quantified tables' values, optionally ``rescale``-d and times ``scale``
      (``"table"``: the table's own, e.g. AU-DFER's 5); prototype tables as binary.
    * ``row_normalised``: :math:`x_{ea}/\sum_{a'} x_{ea'}` (each expression a distribution over AUs).
    * ``column_normalised``: :math:`x_{ea}/\sum_{e'} x_{e'a}` (each AU a distribution over expressions).
    * ``softmax``: :math:`\mathrm{softmax}_a(x_{ea}/\tau)`, ``tau = temperature``.
    * ``signed``: evidence against is negative: prototype tables: AUs FACS forbids with a
      required AU get ``-negative_value``; estimated tables with q-values and a non-negative
      statistic (``p_au_given_expression``): :math:`x_{ea} - \bar x_{\cdot a}` where
      ``q < alpha`` and :math:`x_{ea} < \bar x_{\cdot a}` (:math:`\bar x_{\cdot a}`: the AU's
      mean over the table's expressions); ``log_odds_ratio`` / ``phi`` tables keep their sign.

    The normalised modes and softmax act on the consensus of the ``base`` values
    (``"quantified"`` or ``"binary"``), over the target AUs.

    Args:
        tables: a table, a path, a bundled table name, or a sequence of them.
        mode: one of :data:`MODES`.
        expressions: row order: names (aliases resolved), a comma list or a label space
            (``"dfew"``). Default: every expression of the tables, in order of appearance.
        aus: column order: AU names, a comma list or an AU set (``"openface_c"``). Default:
            every AU of the tables, FACS order.
        weights, combine, missing, vote_threshold: consensus of several tables, see :func:`combine_matrices`.
        fill: cells no table gives (e.g. ``neutral``): ``"error"`` (default), ``"zero"``,
            ``"uniform"`` (``1/A``), ``"mean"`` (the AU's mean over the other rows), ``"nan"``,
            a row of A values / mapping AU -> value, or a mapping expression -> policy. Applied
            after the transform, so a filled row is exactly what was asked for.
        optional_value, alternative_value, configurations, negative_value, threshold, scale,
        rescale, alpha: per-source options, see :func:`table_matrix`.
        alternatives: how prototype tables' alternatives are read: ``"one"`` (default: exactly
            one joins) or ``"subsets"`` (every FACS-compatible non-empty subset joins, as the
            ``facs`` R package expands them); see :mod:`auknow.tables.expand`.
        temperature: softmax temperature ``tau > 0``.

    Returns:
        :class:`PriorMatrix` ``[E, A]`` float64 with labels and per-source provenance; use
        ``.tensor(device, dtype)`` for torch.

    Raises:
        CompileError: unknown mode / label / option, a table that lacks cells under policy
            ``"error"``, a cell no table gives under fill ``"error"``.
    """
    _check_choice("mode", mode, MODES)
    if mode in ("binary", "quantified", "signed"):
        source_base = mode
    else:
        _check_choice("base", base, ("binary", "quantified"))
        source_base = base
    tabs = resolve_tables(tables)
    per = [table_matrix(t, source_base, optional_value=optional_value, alternative_value=alternative_value,
                        configurations=configurations, negative_value=negative_value, threshold=threshold,
                        scale=scale, rescale=rescale, alpha=alpha, alternatives=alternatives) for t in tabs]
    extra = [e for t in tabs for e in getattr(t, "extra_expressions", [])] + [e for m in per for e in m.expressions]
    target_e = resolve_expressions(expressions, extra)
    cons = combine_matrices(per, weights=weights, method=combine, missing=missing, expressions=target_e,
                                aus=aus, vote_threshold=vote_threshold)
    vals = cons.values
    if mode == "row_normalised":
        _require_non_negative(vals, mode)
        vals = normalise_rows(vals)
    elif mode == "column_normalised":
        _require_non_negative(vals, mode)
        vals = normalise_columns(vals)
    elif mode == "softmax":
        vals = softmax_rows(vals, temperature)
    uncovered = cons.support == 0
    out = _fill(vals, uncovered, cons.expressions, cons.aus, fill, what="fill")
    ci = cons.ci if mode == "quantified" else None
    settings = {"mode": mode}
    if mode in ("row_normalised", "column_normalised", "softmax"):
        settings["base"] = base
    if mode == "softmax":
        settings["temperature"] = float(temperature)
    for info in cons.sources:
        info.update(settings)
    return PriorMatrix(values=out, expressions=cons.expressions, aus=cons.aus, mode=mode, sources=cons.sources,
                       support=cons.support, filled=_fill_record(uncovered, cons.expressions, fill),
                       closed_aus=cons.closed_aus and mode in ("binary", "quantified", "signed"),
                       q_values=cons.q_values, significance=cons.significance, ci=ci)
