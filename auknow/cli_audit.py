"""``auknow audit``: which knowledge table explains your data, and where it is wrong.

:func:`add_audit_command` registers the subcommand; :func:`run_audit` reads the data (the readers
and reader options of ``estimate-prior``), scores the tables (:mod:`auknow.audit`), prints the
summary and, with ``--out``, writes everything atomically (all files or none).
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

from .errors import AuknowError, DataError

#: estimate-prior options the audit shares (same definitions, defaults and help).
SHARED_OPTIONS = ("task_map", "threshold", "expressions", "expression", "subject_col", "expression_col",
                  "sequence_col", "frame_col", "facs_col", "use", "emotion_threshold", "unit", "min_fraction",
                  "exclude_subjects", "labels", "name_pattern")
FILES = ("scores.csv", "comparisons.csv", "disagreements.csv", "report.md", "ranking.png", "auc_heatmap.png",
         "disagreements.png")


def add_audit_command(subparsers) -> None:
    """Register ``audit`` on the subparsers object of the ``auknow`` parser."""
    from .cli_estimate_options import add_estimate_arguments

    p = subparsers.add_parser(
        "audit", help="score knowledge tables as expression classifiers on AU-labelled data",
        description="Read each table as a classifier of expression from the AU vector (no training on the data: "
                    "prototype tables by the cosine kernel of Snoek et al. 2023, quantified tables by the "
                    "naive-Bayes read-out of implied_expression_logits) and score it per expression: ROC-AUC, "
                    "recall, UAR, log-loss with subject-level bootstrap intervals, a ranking with paired "
                    "differences, a lower reference (rows deranged), upper references (fit on the data with "
                    "subject-independent CV) and a noise ceiling; name where each table and the data disagree. "
                    "Without --dataset: every bundled expression table on the bundled CK+ codes. Method: "
                    "docs/audit.md.")
    p.add_argument("tables", nargs="*", metavar="TABLE",
                   help="a .yaml table or a bundled table name (default: every bundled prototype and quantified table)")
    data = p.add_argument_group("data (the readers and options of estimate-prior)")
    data.add_argument("--dataset", nargs="+", metavar=("KIND", "PATH"),
                      help="KIND (bp4d, disfa, ckplus, csv, openface, pyfeat, imotions) and its PATH(s) "
                           "(default: the bundled CK+ peak-frame FACS codes); give the TABLEs before --dataset, "
                           "whose PATH list runs to the next option")
    donor = argparse.ArgumentParser(add_help=False)
    add_estimate_arguments(donor)
    for action in donor._actions:  # reuse the definitions so both commands validate alike
        if action.dest in SHARED_OPTIONS:
            data._add_action(action)
    data.add_argument("--fold", type=int, action="append",
                      help="score only on the test subjects of this fold of the dataset's subject-independent "
                           "split (pairs with estimate-prior --fold, which leaves them out); repeatable")
    sc = p.add_argument_group("scoring")
    sc.add_argument("--n-boot", type=int, default=1000, help="subject-level bootstrap draws (default 1000)")
    sc.add_argument("--ci", type=float, default=0.95, help="interval level (default 0.95)")
    sc.add_argument("--seed", type=int, default=0, help="random seed (same seed, same output)")
    sc.add_argument("--beta", type=float, default=1.0,
                    help="softmax inverse temperature of prototype tables (default 1, Snoek et al. 2023)")
    sc.add_argument("--cv-folds", type=int, default=10,
                    help="subject-independent folds of the upper references (default 10)")
    sc.add_argument("--gap", type=float, default=0.5,
                    help="disagreement: a required AU whose data interval lies this far below the table (default 0.5)")
    out = p.add_argument_group("output")
    out.add_argument("--out", metavar="DIR", help="write " + ", ".join(FILES) + " here")
    out.add_argument("--force", action="store_true", help="replace existing files in --out")
    out.add_argument("--quiet", action="store_true", help="no terminal summary")
    p.set_defaults(func=run_audit)


def _frames(args: argparse.Namespace):
    from .cli_estimate import load_frames, reader_options

    ns = argparse.Namespace(**vars(args))
    ns.dataset, ns.paths = (None, []) if not args.dataset else (args.dataset[0].lower(), args.dataset[1:])
    if ns.dataset is not None:  # the aliases read_dataset accepts
        key = ns.dataset.replace("-", "")
        ns.dataset = {"tidy": "csv", "ck+": "ckplus", "ck": "ckplus"}.get(key, key)
    kinds = ("bp4d", "disfa", "ckplus", "csv", "openface", "pyfeat", "imotions")
    if ns.dataset is not None and ns.dataset not in kinds:
        raise DataError(f"--dataset {args.dataset[0]}: unknown kind (choose from {', '.join(kinds)})")
    return load_frames(**reader_options(ns)), ns.dataset


def _select(frames, kind: str | None, args: argparse.Namespace):
    import numpy as np

    info: dict = {}
    if args.fold:
        from .library import fold_subjects

        _, keep = fold_subjects(kind or "ckplus", args.fold)
        frames = frames.select(np.isin(frames.subject, sorted(keep)))
        info["scored_on_folds"] = sorted(args.fold)
    if args.exclude_subjects:
        wanted = {s.strip() for s in args.exclude_subjects.split(",") if s.strip()}
        unknown = sorted(wanted - set(frames.subjects))
        if unknown:
            raise DataError(f"--exclude-subjects: no such subject(s) in the data: {', '.join(unknown)}")
        frames = frames.select(~np.isin(frames.subject, sorted(wanted)))
        info["excluded_subjects"] = sorted(wanted)
    if len(frames) == 0:
        raise DataError("no subject is left to score on (check --fold / --exclude-subjects)")
    return frames, info


def _tables(refs: list[str]):
    from .compile._common import resolve_table
    from .library import list_bundled

    if not refs:
        return [t for _, t in list_bundled() if t.kind in ("prototype", "quantified")]
    tables = [resolve_table(r) for r in refs]
    for ref, t in zip(refs, tables):
        if t.kind not in ("prototype", "quantified"):
            raise AuknowError(f"{ref}: a {t.kind} table; the audit scores prototype and quantified tables")
    names = [t.name for t in tables]
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise AuknowError(f"table(s) given twice: {', '.join(dup)}")
    return tables


def held_out(tables, frames) -> tuple[list[str], dict[str, list[str]]]:
    """Subjects an estimated table was estimated from (its provenance ``details.subjects``), which
    the audit must not score it on; returns ``(all such subjects in the data, per table)``.

    Raises:
        AuknowError: an estimated table that does not list its subjects.
    """
    data_subjects = set(frames.subjects)
    used: dict[str, list[str]] = {}
    for t in tables:
        if t.provenance.kind != "estimated":
            continue
        subjects = t.provenance.details.get("subjects")
        if not isinstance(subjects, list):
            raise AuknowError(f"table '{t.name}' is estimated but its provenance does not list the subjects it was "
                              "estimated from (details.subjects), so it cannot be scored on other subjects")
        used[t.name] = sorted(data_subjects & {str(s) for s in subjects})
    return sorted({s for v in used.values() for s in v}), used


def _check(args: argparse.Namespace) -> None:
    if args.n_boot < 0:
        raise AuknowError(f"--n-boot must be >= 0, got {args.n_boot}")
    if not 0 < args.ci < 1:
        raise AuknowError(f"--ci must be in (0, 1), got {args.ci}")
    if not args.beta > 0:
        raise AuknowError(f"--beta must be > 0, got {args.beta}")
    if args.cv_folds < 2:
        raise AuknowError(f"--cv-folds must be >= 2, got {args.cv_folds}")
    if not 0 < args.gap <= 1:
        raise AuknowError(f"--gap must be in (0, 1], got {args.gap}")
    if args.out and Path(args.out).exists() and not Path(args.out).is_dir():
        raise AuknowError(f"{args.out}: exists and is not a folder")
    if args.out and not args.force:
        clash = [f for f in FILES if (Path(args.out) / f).exists()]
        if clash:
            raise AuknowError(f"{args.out}: already holds {', '.join(clash)}; not overwritten (use --force, or another --out)")


def run_audit(args: argparse.Namespace) -> int:
    """Run ``auknow audit`` from parsed options; returns the exit status."""
    import numpy as np

    from .audit import audit, units_from_frames
    from .audit.disagreements import disagreements
    from .audit.report import summary

    _check(args)
    tables = _tables(args.tables)
    frames, kind = _frames(args)
    frames, info = _select(frames, kind, args)
    used, per_table = held_out(tables, frames)
    if used:
        frames = frames.select(~np.isin(frames.subject, used))
        if len(frames) == 0:
            raise DataError("every subject of the data was used to estimate "
                            + ", ".join(n for n, v in per_table.items() if v)
                            + "; re-estimate it with estimate-prior --fold / --exclude-subjects")
        info["estimated_tables_not_scored_on"] = {n: len(v) for n, v in per_table.items()}
    units = units_from_frames(frames, unit=args.unit or ("sequence" if args.dataset == "dfew" else "frame"), min_fraction=args.min_fraction)
    result = audit(tables, units, n_boot=args.n_boot, ci=args.ci, seed=args.seed, beta=args.beta,
                   folds=args.cv_folds)
    result.settings["excluded_subjects"] = sorted(set(info.get("excluded_subjects", [])) | set(used))
    result.settings.update({k: v for k, v in info.items() if k != "excluded_subjects"})
    rows = disagreements(result, gap=args.gap)
    if not args.quiet:
        print(summary(result, rows))
    if args.out:
        written = _write(result, rows, frames.source, Path(args.out), args.force)
        if not args.quiet:
            print(f"wrote {', '.join(p.name for p in written)} to {args.out}", file=sys.stderr)
    return 0


def _write(result, rows, source: dict, out_dir: Path, force: bool):
    import matplotlib.pyplot as plt

    from .atomic import publish_folder
    from .audit import figures, report

    parent = out_dir.resolve().parent
    parent.mkdir(parents=True, exist_ok=True)
    staged = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", dir=parent))
    try:
        (staged / "scores.csv").write_text(report.scores_csv(result), encoding="utf-8")
        (staged / "comparisons.csv").write_text(report.comparisons_csv(result), encoding="utf-8")
        (staged / "disagreements.csv").write_text(report.disagreements_csv(rows), encoding="utf-8")
        pngs = {"ranking.png": figures.ranking_figure(result), "auc_heatmap.png": figures.auc_heatmap(result),
                "disagreements.png": figures.disagreement_map(result, rows)}
        for name, fig in pngs.items():
            fig.savefig(staged / name, dpi=130, metadata={"Software": None})
            plt.close(fig)
        (staged / "report.md").write_text(report.report_md(result, rows, source, list(pngs)), encoding="utf-8")
        return publish_folder(staged, out_dir, overwrite=force)
    finally:
        if staged.exists():
            shutil.rmtree(staged, ignore_errors=True)
