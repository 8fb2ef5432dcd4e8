"""``auknow export``, ``auknow plot`` and ``auknow diff``: knowledge tables to tensors, graphs and figures.

:func:`add_compile_commands` registers the three subcommands on the ``auknow`` parser; the work
happens in :mod:`auknow.compile` (imported only when a command runs, so ``--help`` stays fast).
Bad input raises :class:`auknow.errors.AuknowError` subclasses (one line, exit status 2);
outputs are written atomically and never replace a file without ``--force``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .cli_checks import CliOptionError, check_output_file, float_range, int_range

MODES = ("binary", "quantified", "row_normalized", "column_normalized", "softmax", "signed")
MATRIX_SUFFIXES = (".pt", ".npy", ".csv", ".json")
GRAPH_SUFFIXES = (".graphml", ".json", ".pt")
FIGURE_SUFFIXES = (".png", ".pdf", ".svg")
#: ``auknow plot`` of a graph keeps each AU's 3 strongest co-occurrence edges unless told otherwise
DEFAULT_PLOT_TOP_K = 3
EDGE_KIND_NAMES = ("co-occurrence", "exclusive", "hierarchy")


# --- option parsing -------------------------------------------------------------------------------

def _keyed(text: str | None, option: str, cast=str, allowed=None):
    """``"zero"`` -> ``"zero"``; ``"a=zero,b=ignore"`` -> dict; ``"zero,neutral=uniform"`` -> dict
    with ``"*"`` (the default for keys not named)."""
    if text is None:
        return None
    parts = [p.strip() for p in text.split(",") if p.strip()]
    if not parts:
        raise CliOptionError(f"{option}: empty value")
    out: dict = {}
    for p in parts:
        key, sep, val = p.partition("=")
        key, val = (key.strip(), val.strip()) if sep else ("*", key.strip())
        if allowed is not None and val not in allowed:
            raise CliOptionError(f"{option}: '{val}' is not one of {', '.join(allowed)}")
        try:
            out[key] = cast(val)
        except ValueError:
            raise CliOptionError(f"{option}: '{val}' is not a number") from None
    if list(out) == ["*"]:
        return out["*"]
    return out


def _weights(text: str | None):
    """``"2,1"`` (one per table, in order) or ``"fig2002=2"`` (by table name, others 1)."""
    if text is None:
        return None
    parts = [p.strip() for p in text.split(",") if p.strip()]
    if parts and all("=" not in p for p in parts):
        try:
            return [float(p) for p in parts]
        except ValueError:
            raise CliOptionError(f"--weights: '{text}' is not a list of numbers or TABLE=WEIGHT pairs") from None
    return _keyed(text, "--weights", cast=float)


def _scale(text: str | None):
    if text is None or text.lower() == "none":
        return None
    if text.lower() == "table":
        return "table"
    try:
        return float(text)
    except ValueError:
        raise CliOptionError(f"--scale: '{text}' is not 'table', 'none' or a number") from None


def _size(text: str | None):
    if text is None:
        return None
    try:
        w, h = (float(x) for x in text.lower().replace("x", ",").split(","))
    except ValueError:
        raise CliOptionError(f"--size: '{text}' is not WIDTH,HEIGHT in inches (e.g. 8,4)") from None
    if w <= 0 or h <= 0:
        raise CliOptionError(f"--size: '{text}' must be positive")
    return (w, h)


def _csv_list(text: str | None):
    return None if text is None else [t.strip() for t in text.split(",") if t.strip()]


def _add_table_args(p: argparse.ArgumentParser, nargs="+") -> None:
    p.add_argument("tables", nargs=nargs, metavar="TABLE",
                   help="path to a .yaml table, or the name of a bundled table (see auknow list)")


def _add_label_args(g) -> None:
    g.add_argument("--expressions", metavar="LIST",
                   help="row order: comma list (aliases resolved: happy,sad,neutral) or a label space "
                        "(dfew, ferv39k: happy,sad,neutral,angry,surprise,disgust,fear; basic6; basic7)")
    g.add_argument("--aus", metavar="LIST",
                   help="column order: comma list (AU01,AU12 or 1,12) or an AU set (openface_c: the 18 OpenFace "
                        "AUs; openface_r, bp4d, disfa, disfa8, ckplus, pyfeat)")


def _add_matrix_args(p: argparse.ArgumentParser, default_mode: str = "quantified") -> None:
    g = p.add_argument_group("prior matrix (formulas: docs/compile.md)")
    g.add_argument("--mode", choices=MODES, default=default_mode,
                   help=f"binary: required 1, optional/alternative a value, absent 0; quantified: the table's "
                        f"weights (prototype tables: as binary); row_normalized / column_normalized: divide by "
                        f"row / column sums; softmax: softmax over AUs at --temperature; signed: evidence "
                        f"against is negative (default {default_mode})")
    _add_label_args(g)
    g.add_argument("--missing", metavar="POLICY",
                   help="what a table lacks that another gives: error (default), zero, ignore; per table: "
                        "TABLE=POLICY,... (a bare POLICY is the default for the rest)")
    g.add_argument("--fill", metavar="POLICY",
                   help="cells no table gives (e.g. neutral): error (default), zero, uniform (1/A), mean (the "
                        "AU's mean over other rows), nan; per expression: neutral=uniform,... ")
    g.add_argument("--combine", choices=("mean", "vote"), default="mean",
                   help="consensus of several tables: weighted mean, or weighted share of tables where the AU "
                        "is present (default mean)")
    g.add_argument("--weights", metavar="W,...", help="table weights: one per table in order, or TABLE=W,...")
    g.add_argument("--base", choices=("quantified", "binary"), default="quantified",
                   help="values the normalized modes and softmax start from (default quantified)")
    g.add_argument("--optional-value", type=float_range(), metavar="X", default=0.5, help="value of optional AUs (default 0.5)")
    g.add_argument("--alternative-value", type=float_range(), metavar="X", default=None,
                   help="value of each of k alternative AUs (default: the chance it joins under --alternatives; "
                        "1/k when exactly one joins)")
    _add_alternatives_arg(p, g)
    g.add_argument("--configurations", choices=("max", "mean", "first"), default="max",
                   help="several configurations of one expression: max (default), mean, or the first only")
    g.add_argument("--negative-value", type=float_range(0), metavar="X", default=1.0,
                   help="signed mode: magnitude for AUs FACS forbids with a required AU (default 1)")
    g.add_argument("--threshold", type=float_range(), metavar="X", default=None,
                   help="binary mode of a quantified table: value >= THRESHOLD -> 1")
    g.add_argument("--scale", metavar="S", default=None,
                   help="quantified tables: multiply by S: a number, 'table' (the table's own scale, e.g. 5 "
                        "for au_dfer) or 'none' (default)")
    g.add_argument("--rescale", choices=("range", "max"), default=None,
                   help="quantified tables, before --scale: range maps the statistic's range to [0,1]; max "
                        "divides by the largest |value|")
    g.add_argument("--temperature", type=float_range(0, low_open=True), metavar="X", default=1.0, help="softmax temperature (default 1)")
    g.add_argument("--alpha", type=float_range(0, 1, True, True), metavar="X", default=0.05,
                   help="q-value below which an estimated cell is significant (default 0.05)")
    g.add_argument("--vote-threshold", type=float_range(), metavar="X", default=0.0,
                   help="--combine vote: a value above this counts as present (default 0)")
    g.add_argument("--intensity-weights", metavar="W", default=None,
                   help="prototype tables: weigh intensity letters (5B, 12CD): 'linear' (A..E -> 0.2..1.0) or "
                        "A=w,B=w,C=w,D=w,E=w[,unspecified=w] in [0, 1] (default: letters ignored)")
    g.add_argument("--laterality", choices=("collapse", "weighted"), default="collapse",
                   help="prototype tables: one-sided codes (U20, L12): collapse = count as the AU (default); "
                        "weighted = one side counts --unilateral-weight, both sides at most 1")
    g.add_argument("--unilateral-weight", type=float_range(0, 1), metavar="X", default=None,
                   help="--laterality weighted: weight of one side (default 0.5)")


def _add_alternatives_arg(p: argparse.ArgumentParser, g) -> None:
    if "--alternatives" in p._option_string_actions:  # a command with matrix and graph options takes it once
        return
    g.add_argument("--alternatives", choices=("one", "subsets"), default="one",
                   help="prototype tables' alternatives: one = exactly one joins (default); subsets = every "
                        "FACS-compatible non-empty subset joins (the facs R package's reading)")


def _add_graph_args(p: argparse.ArgumentParser, pyg: bool = True) -> None:
    g = p.add_argument_group("AU graph (formulas: docs/compile.md)")
    _add_alternatives_arg(p, g)
    g.add_argument("--kinds", metavar="LIST",
                   help=f"edge kinds to keep, comma list of {', '.join(EDGE_KIND_NAMES)} (default all)")
    g.add_argument("--facs-exclusive", dest="facs_exclusive", action="store_true", default=None,
                   help="add FACS 2002 exclusive pairs as exclusive edges (default: with prototype tables)")
    g.add_argument("--no-facs-exclusive", dest="facs_exclusive", action="store_false",
                   help="do not add FACS exclusive pairs")
    g.add_argument("--prototype-weight", choices=("fraction", "conditional", "count"), default="fraction",
                   help="co-occurrence from prototype tables: share of configurations with both AUs (default), "
                        "P(j|i) over configurations (directed), or the count")
    g.add_argument("--edge-combine", choices=("mean", "max", "min", "sum"), default="mean",
                   help="merging several records of one edge, and arcs when symmetrising (default mean)")
    g.add_argument("--symmetrise", action="store_true", help="make every edge undirected")
    g.add_argument("--edge-threshold", type=float_range(0), metavar="X", default=None,
                   help="drop co-occurrence edges with |weight| below this")
    g.add_argument("--top-k", type=int_range(1), metavar="K", default=None, help="keep each AU's k strongest co-occurrence edges")
    if not pyg:
        return
    g.add_argument("--self-loops", action="store_true", default=None,
                   help="torch-geometric / dense form: add self loops of weight 1 (default: with --normalize gcn)")
    g.add_argument("--normalize", choices=("gcn", "row"), default=None,
                   help="torch-geometric / dense form: gcn = D^-1/2 (A+I) D^-1/2 (torch-geometric gcn_norm), "
                        "row = D^-1 A")
    g.add_argument("--signed-edges", action="store_true",
                   help="torch-geometric / dense form: exclusive edges get negative weights")


def _add_output_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--force", action="store_true", help="replace an existing output file")


# --- compiling from options -----------------------------------------------------------------------

def _matrix_options(args: argparse.Namespace) -> dict:
    missing = _keyed(args.missing, "--missing", allowed=("error", "zero", "ignore")) or "error"
    fill = _keyed(args.fill, "--fill", allowed=("error", "zero", "uniform", "mean", "nan")) or "error"
    return dict(mode=args.mode, expressions=args.expressions, aus=args.aus, weights=_weights(args.weights),
                combine=args.combine, missing=missing, fill=fill, base=args.base,
                optional_value=args.optional_value, alternative_value=args.alternative_value,
                configurations=args.configurations, negative_value=args.negative_value, threshold=args.threshold,
                scale=_scale(args.scale), rescale=args.rescale, temperature=args.temperature, alpha=args.alpha,
                vote_threshold=args.vote_threshold, alternatives=args.alternatives,
                intensity_weights=_intensity_weights(args.intensity_weights), laterality=args.laterality,
                unilateral_weight=args.unilateral_weight)


def _intensity_weights(text: str | None):
    """``None``, a preset name (``linear``) or ``A=0.2,B=0.4,...`` -> the compiler's value."""
    if text is None or "=" not in text:
        return text
    out = _keyed(text, "--intensity-weights", cast=float)
    if not isinstance(out, dict) or "*" in out:
        raise CliOptionError(f"--intensity-weights: '{text}' is not 'linear' or LETTER=WEIGHT pairs "
                             "(A=0.2,B=0.4,C=0.6,D=0.8,E=1)")
    return out


def _refuse_code_weights(args: argparse.Namespace, what: str) -> None:
    """The intensity / laterality options shape prior matrices only: refuse them for a graph."""
    given = [o for o, v in (("--intensity-weights", args.intensity_weights), ("--unilateral-weight",
             args.unilateral_weight)) if v is not None]
    if args.laterality != "collapse":
        given.append("--laterality")
    if given:
        raise CliOptionError(f"{', '.join(given)}: apply to prior matrices only, not to {what}")


def _graph_build_options(args: argparse.Namespace) -> dict:
    return dict(aus=args.aus, kinds=_csv_list(args.kinds), facs_exclusive=args.facs_exclusive,
                prototype_weight=args.prototype_weight, combine=args.edge_combine, symmetrise=args.symmetrise,
                threshold=args.edge_threshold, top_k=args.top_k, alternatives=args.alternatives)


def _pyg_options(args: argparse.Namespace) -> dict:
    return dict(self_loops=args.self_loops, normalize=args.normalize, signed=args.signed_edges)


def _tables(refs):
    from .compile import resolve_table

    return [resolve_table(r) for r in refs]


def _all_relation(tables) -> bool:
    from .tables.model import RelationTable

    return all(isinstance(t, RelationTable) for t in tables)


def _any_relation(tables) -> bool:
    from .tables.model import RelationTable

    return any(isinstance(t, RelationTable) for t in tables)


def _note(msg: str) -> None:
    print(msg, file=sys.stderr)


def _warning_lines(fn, *a, **k):
    """Call ``fn``; the compiler's CodeWeightWarnings become ``auknow: WARNING: ...`` lines."""
    import warnings

    from .compile.intensity import CodeWeightWarning

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", CodeWeightWarning)
        out = fn(*a, **k)
    for w in caught:
        if issubclass(w.category, CodeWeightWarning):
            _note(f"auknow: WARNING: {w.message}")
        else:
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    return out


def _cmd_export(args: argparse.Namespace) -> int:
    from .compile import au_graph, bipartite_graph, compile_matrix, save_graph

    out = check_output_file(args.to, "--to", args.force, tuple(dict.fromkeys(MATRIX_SUFFIXES + GRAPH_SUFFIXES)))
    suffix = out.suffix.lower()
    tables = _tables(args.tables)
    kind = args.kind
    if kind == "auto":
        stem = out.name.lower()
        if suffix == ".graphml":
            kind = "graph"
        elif suffix in (".npy", ".csv"):
            kind = "matrix"
        elif suffix == ".pt":
            kind = "graph" if (_all_relation(tables) or stem.startswith("graph")) else "matrix"
        elif suffix == ".json":
            kind = "matrix" if (stem.startswith(("matrix", "prior")) and not _all_relation(tables)) else "graph"
        else:
            raise CliOptionError(f"--to {out}: unknown format '{out.suffix}' (matrix: .pt .npy .csv; graph: "
                                 ".graphml .json .pt)")
    if kind == "matrix":
        if suffix not in MATRIX_SUFFIXES:
            raise CliOptionError(f"--to {out}: a matrix is written as .pt, .npy, .csv or .json")
        m = _warning_lines(compile_matrix, tables, **_matrix_options(args))
        written = m.save(out, overwrite=args.force)
        _note(f"wrote {', '.join(map(str, written))}: {m.mode} matrix {len(m.expressions)} expressions x "
              f"{len(m.aus)} AUs from {', '.join(t.name for t in tables)}")
        return 0
    if suffix not in GRAPH_SUFFIXES:
        raise CliOptionError(f"--to {out}: a graph is written as .graphml, .json or .pt")
    if kind == "bipartite":
        m = _warning_lines(compile_matrix, tables, **_matrix_options(args))
        g = bipartite_graph(m)
        if suffix == ".pt":
            _save_bipartite_pt(m, out, args.force)
        else:
            save_graph(g, out, overwrite=args.force)
        _note(f"wrote {out}: expression-AU graph, {len(m.expressions)} expressions, {len(m.aus)} AUs, "
              f"{g.number_of_edges()} edges")
        return 0
    _refuse_code_weights(args, "an AU graph (--kind graph)")
    g = au_graph(tables, **_graph_build_options(args))
    save_graph(g, out, overwrite=args.force, **_pyg_options(args))
    _note(f"wrote {out}: AU graph, {g.number_of_nodes()} AUs, {g.number_of_edges()} edges from "
          f"{', '.join(t.name for t in tables)}")
    return 0


def _save_bipartite_pt(m, out: Path, force: bool) -> None:
    import torch

    from .atomic import write_atomic
    from .compile import bipartite_to_pyg

    ei, ew = bipartite_to_pyg(m)
    payload = {"format": "auknow.bipartite/1", "edge_index": ei, "edge_weight": ew,
               "expressions": list(m.expressions), "aus": list(m.aus), "mode": m.mode}
    write_atomic(out, lambda p: torch.save(payload, p), overwrite=force)


def _cmd_plot(args: argparse.Namespace) -> int:
    from .compile import au_graph, compile_matrix, plot_graph, plot_prior, save_figure

    check_output_file(args.out, "--out", args.force, FIGURE_SUFFIXES, "figure")
    tables = _tables(args.tables)
    kind = args.kind
    if kind == "auto":
        kind = "graph" if _any_relation(tables) else "heatmap"
    size = _size(args.size)
    if kind == "heatmap":
        m = _warning_lines(compile_matrix, tables, **_matrix_options(args))
        fig = plot_prior(m, title=args.title, size=size)
    else:
        _refuse_code_weights(args, "an AU graph (--kind graph)")
        opts = _graph_build_options(args)
        note = None
        if not args.all_edges and opts["top_k"] is None and opts["threshold"] is None:
            opts["top_k"] = DEFAULT_PLOT_TOP_K
            note = (f"co-occurrence edges: each AU's {DEFAULT_PLOT_TOP_K} strongest (--top-k K, --edge-threshold X; "
                    "--all-edges draws every edge)")
        g = au_graph(tables, **opts)
        fig = plot_graph(g, layout=args.layout, seed=args.seed, title=args.title, size=size or (7.0, 7.0),
                         footnote=note)
    path = save_figure(fig, args.out, overwrite=args.force, dpi=args.dpi)
    w, h = fig.get_size_inches()
    _note(f"wrote {path}: {kind}, {int(round(w * args.dpi))}x{int(round(h * args.dpi))} px")
    return 0


DIFF_TABLE_SUFFIXES = (".csv", ".md")
#: ``auknow diff`` options that shape only the matrix comparison / only the graph comparison
DIFF_MATRIX_ONLY = ("mode", "missing", "fill", "combine", "weights", "base", "optional_value", "alternative_value",
                    "configurations", "negative_value", "threshold", "scale", "rescale", "temperature", "alpha",
                    "vote_threshold", "intensity_weights", "laterality", "unilateral_weight", "plot", "title", "dpi")
DIFF_GRAPH_ONLY = ("kinds", "facs_exclusive", "prototype_weight", "edge_combine", "symmetrise", "edge_threshold",
                   "top_k")


def _given(args: argparse.Namespace, parser: argparse.ArgumentParser, dests) -> list[str]:
    """The options among ``dests`` set to something other than their default, as ``--spelled``."""
    defaults = parser.parse_args(["A", "B"])  # what each option is when not given (two flags may share a dest)
    return ["--" + d.replace("_", "-") for d in dests if getattr(args, d) != getattr(defaults, d)]


def _cmd_diff(args: argparse.Namespace) -> int:
    from .compile import diff_tables, save_figure

    stray = _given(args, args.diff_parser, DIFF_MATRIX_ONLY if args.graph else DIFF_GRAPH_ONLY)
    if stray:
        what = "a matrix diff (without --graph)" if args.graph else "a graph diff (--graph)"
        raise CliOptionError(f"{', '.join(stray)}: only for {what}")
    if args.to:
        check_output_file(args.to, "--to", args.force, DIFF_TABLE_SUFFIXES, "table")
    if args.graph:
        return _diff_graphs(args)
    if args.plot:
        check_output_file(args.plot, "--plot", args.force, FIGURE_SUFFIXES, "figure")
    opts = _matrix_options(args)
    if args.fill is None:
        opts["fill"] = "nan"  # cells a table lacks show as one-sided differences
    mode = opts.pop("mode")
    d = _warning_lines(diff_tables, args.a, args.b, mode=mode, tolerance=args.tolerance, **opts)
    print(d.text(top=args.top))
    if args.to:
        _save_cells(d, Path(args.to), args.force)
        _note(f"wrote {args.to}: {len(d.cells())} differing cells")
    if args.plot:
        fig = d.plot(title=args.title)
        save_figure(fig, args.plot, overwrite=args.force, dpi=args.dpi)
        _note(f"wrote {args.plot}")
    return 1 if (args.exit_code and not d.identical) else 0


def _save_cells(d, out: Path, force: bool) -> None:
    """A matrix diff's differing cells as a tidy CSV / markdown table (expression, au, a, b, delta)."""
    import pandas as pd

    from .atomic import write_text_atomic

    frame = pd.DataFrame(d.cells(), columns=["expression", "au", "value_a", "value_b", "delta"])
    if out.suffix.lower() == ".csv":
        text = frame.to_csv(index=False, float_format="%.17g", lineterminator="\n")
    else:
        rows = ["| expression | au | value_a | value_b | delta |", "|---|---|---|---|---|"]
        rows += [f"| {e} | {a} | {va:.4g} | {vb:.4g} | {dl:.4g} |".replace("nan", "-") for e, a, va, vb, dl in d.cells()]
        text = "\n".join(rows) + "\n"
    write_text_atomic(out, text, overwrite=force)


def _diff_graphs(args: argparse.Namespace) -> int:
    """``auknow diff A B --graph``: edges added, removed and reweighted."""
    from .compile.graph_diff import diff_graph_tables, GRAPH_SUFFIXES

    opts = _graph_build_options(args)
    files = [r for r in (args.a, args.b) if Path(r).suffix.lower() in GRAPH_SUFFIXES and Path(r).exists()]
    built = [o for o in _given(args, args.diff_parser, DIFF_GRAPH_ONLY + ("aus", "alternatives"))]
    if files and built:
        raise CliOptionError(f"{', '.join(built)}: shape graphs built from tables; {', '.join(files)} "
                             "is a graph file and is compared as written")
    if files:
        opts = {}
    d = diff_graph_tables(args.a, args.b, tolerance=args.tolerance, **opts)
    print(d.text(top=args.top))
    if args.to:
        d.save(args.to, overwrite=args.force)
        _note(f"wrote {args.to}: {len(d.rows)} edge changes")
    return 1 if (args.exit_code and not d.identical) else 0


def add_compile_commands(subparsers) -> None:
    """Register ``export``, ``plot`` and ``diff`` (each with its own ``--help``) on the
    subparsers object of the ``auknow`` parser (``parser.add_subparsers(...)``)."""
    p = subparsers.add_parser(
        "export", help="compile tables to a prior matrix (.pt .npy .csv) or an AU graph (.graphml .json .pt)",
        description="Compile knowledge tables into an expression x AU prior matrix or an AU-relation graph and "
                    "write it. Matrix: .pt (torch dict, values float64 [E, A] with labels and provenance), .npy "
                    "(+ <stem>.labels.json), .csv, .json. Graph: .graphml, .json (node-link), .pt (torch-geometric "
                    "fields: edge_index [2, M], edge_weight [M], edge_type [M], edge_attr [M, 5], aus). "
                    "Formulas: docs/compile.md.")
    _add_table_args(p)
    p.add_argument("--to", required=True, metavar="FILE", help="output file; the suffix picks the format")
    p.add_argument("--kind", choices=("auto", "matrix", "graph", "bipartite"), default="auto",
                   help="what to write: auto (.npy/.csv: matrix; .graphml: graph; .pt: graph when every table is a "
                        "relation table or FILE starts with 'graph', else matrix; .json: matrix when FILE starts "
                        "with 'matrix' or 'prior', else graph), matrix, graph (AU-AU), or bipartite "
                        "(expression-AU graph of the matrix)")
    _add_matrix_args(p)
    _add_graph_args(p)
    _add_output_args(p)
    p.set_defaults(func=_cmd_export)

    p = subparsers.add_parser(
        "plot", help="draw a prior heatmap or an AU-relation graph (.png .pdf .svg)",
        description="Draw an annotated expression x AU heatmap (diverging colours for signed matrices; * / v "
                    "marks significantly above / below for estimated tables) or an AU-relation graph (networkx "
                    "layout, edge width by strength, exclusive edges red and dashed).")
    _add_table_args(p)
    p.add_argument("--out", required=True, metavar="FILE", help="output figure: .png, .pdf or .svg")
    p.add_argument("--kind", choices=("auto", "heatmap", "graph"), default="auto",
                   help="auto: graph when any table is a relation table, else heatmap")
    p.add_argument("--title", help="figure title")
    p.add_argument("--layout", choices=("circular", "spring", "kamada_kawai", "shell"), default="circular",
                   help="graph layout (default circular, FACS order)")
    p.add_argument("--seed", type=int_range(0, 2**32 - 1, "a seed"), default=0, help="seed of the spring layout (default 0)")
    p.add_argument("--dpi", type=float_range(10, 2400), default=150, help="resolution (default 150)")
    p.add_argument("--size", metavar="W,H", help="figure size in inches (default: fitted to the matrix; graph 7,7)")
    p.add_argument("--all-edges", action="store_true",
                   help=f"graph: draw every edge (default: each AU's {DEFAULT_PLOT_TOP_K} strongest co-occurrence "
                        "edges, unless --top-k or --edge-threshold is given)")
    _add_matrix_args(p)
    _add_graph_args(p)
    _add_output_args(p)
    p.set_defaults(func=_cmd_plot)

    p = subparsers.add_parser(
        "diff", help="which expressions and AUs differ between two tables, and by how much",
        description="Compile two tables (or read two exported matrices .pt/.npy/.csv/.json) in one mode and "
                    "report B - A: labels only one side has, then per expression and per AU the cells that "
                    "differ. Cells only one table gives count as differences (default --fill nan). With "
                    "--graph: build two AU graphs (or read two graph files) and list the edges added, removed "
                    "and reweighted.")
    p.add_argument("a", metavar="A", help="table path, bundled table name, or exported matrix file")
    p.add_argument("b", metavar="B", help="table path, bundled table name, or exported matrix file")
    p.add_argument("--tolerance", type=float_range(0), default=1e-9, help="|B - A| above which a cell differs (default 1e-9)")
    p.add_argument("--top", type=int_range(0), default=5, help="cells listed per expression (default 5)")
    p.add_argument("--plot", metavar="FILE", help="also draw the B - A heatmap (.png .pdf .svg)")
    p.add_argument("--title", help="plot title")
    p.add_argument("--dpi", type=float_range(10, 2400), default=150, help="plot resolution (default 150)")
    p.add_argument("--exit-code", action="store_true", help="exit with status 1 when the tables differ")
    p.add_argument("--graph", action="store_true",
                   help="compare AU-relation graphs (tables built with the graph options, or graph files "
                        ".graphml/.json/.pt): edges added, removed, reweighted")
    p.add_argument("--to", metavar="FILE", help="also write the changes as a tidy table (.csv or .md): differing "
                                                "cells, or with --graph edge changes")
    _add_matrix_args(p)
    _add_graph_args(p, pyg=False)
    _add_output_args(p)
    p.set_defaults(func=_cmd_diff, diff_parser=p)
